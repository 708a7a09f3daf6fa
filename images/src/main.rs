//! `elfin`: the host-side CLI of the Elfin unikernel.
//!
//! `elfin run BINARY [ARGS]...` packs a static Linux x86-64 ELF binary into an initrd and boots
//! it on the Elfin kernel in QEMU microvm (see docs/boot-protocol.md). Modules: `cli` (command
//! line, the run flow), `initrd` + `cpio` (the archive), `kernel` (finding the kernel ELF),
//! `accel` (KVM or TCG), `qemu` (command line, running QEMU), `tempdir`.

#![forbid(unsafe_code)]

mod accel;
mod cli;
mod cpio;
mod initrd;
mod kernel;
mod qemu;
mod tempdir;

fn main() -> std::process::ExitCode {
    cli::main()
}
