//! Device drivers in safe Rust over traits the kernel implements with the hal: the 16550
//! serial ports (terminal input, the fallback console, panics) and the virtio-serial devices
//! that carry the app's stdout and stderr (`virtio_serial`, over the `virtio-drivers` crate).
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod uart16550;
pub mod virtio_serial;
