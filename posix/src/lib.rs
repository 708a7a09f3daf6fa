//! POSIX objects behind the syscalls: the process and its descriptor table, open files
//! ([`file`]), the virtual filesystem ([`vfs`]: ramfs, devfs, procfs, initrd unpacking),
//! pipes, eventfd, timerfd, epoll, advisory locks, signal bookkeeping, the address-space
//! region list ([`mm`]) and the initrd reader ([`cpio`]). Knows nothing of syscall numbers or
//! hardware; host-tested.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cpio;
pub mod epoll;
pub mod eventfd;
pub mod fd;
pub mod futex;
pub mod file;
pub mod lock;
pub mod mm;
pub mod pipe;
pub mod process;
pub mod sigframe;
pub mod signal;
pub mod stdio;
pub mod thread;
pub mod timerfd;
pub mod tty;
pub mod vfs;
pub mod wait;
