//! POSIX objects behind the syscalls: the process and its descriptor table, open files,
//! signal bookkeeping, the address-space region list ([`mm`]) and the initrd reader
//! ([`cpio`]). Knows nothing of syscall numbers or hardware; host-tested.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cpio;
pub mod fd;
pub mod mm;
pub mod process;
pub mod signal;
pub mod tty;
