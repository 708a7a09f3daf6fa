//! Device drivers in safe Rust over traits the kernel implements with the hal: today the
//! 16550 serial ports (the app's stdout/stderr/stdin and the kernel log). virtio devices come
//! with the networking and block issues.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

pub mod uart16550;
