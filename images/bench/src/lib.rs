//! `elfin-bench`: the pure parts of the benchmark harness (`make bench`, `make bench-quick`),
//! host-tested. The binary (`main.rs` and its modules) runs the peers; this library only
//! computes and formats.
//!
//! - [`accel`]: KVM where it is real, TCG otherwise (for both guests).
//! - [`sql`]: the sqlite scripts.
//! - [`stats`]: medians and summaries of repeated samples.
//! - [`parse`]: what the peers print (Elfin's `--verbose` log, the probe programs, the Linux
//!   guest's init) and when the app's first output byte arrived.
//! - [`bisect`]: the smallest memory size that still runs a program.
//! - [`xz`]: finding the XZ stream inside a bzImage (`/boot/vmlinuz-*`).
//! - [`cpio`]: the Linux guest's initramfs (cpio "newc", with device nodes).
//! - [`elf`]: the bytes a kernel ELF loads (for the image-size rows).
//! - [`json`]: a small JSON value and writer (docs/bench/results.json).
//! - [`report`]: the table rows, the targets, docs/bench/README.md and the SVG plot.

#![forbid(unsafe_code)]

pub mod accel;
pub mod bisect;
pub mod cpio;
pub mod elf;
pub mod json;
pub mod parse;
pub mod report;
pub mod sql;
pub mod stats;
pub mod xz;
