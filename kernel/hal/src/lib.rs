//! Elfin's hardware abstraction layer: ALL of the kernel's `unsafe` code lives here.
//!
//! - [`boot`]: PVH entry, long mode, boot page tables, `hvm_start_info` ([`BootInfo`]);
//! - [`cpu`]: SSE/XSAVE/FSGSBASE set-up, TSC, FS/GS base, port I/O, QEMU exit;
//! - [`trap`]: GDT/TSS with IST stacks for every vector, IDT, [`Regs`], kernel hooks;
//! - [`syscall_entry`]: the ring-0 `syscall` entry (LSTAR) and the jump into the application;
//! - [`usercopy`]: copies to and from application memory with fault fix-up;
//! - [`frames`], [`paging`], [`heap`]: physical frames, the application's page tables, the
//!   kernel heap; [`time`]: TSC calibration and the RTC;
//! - [`virtio`]: the `virtio_drivers::Hal` implementation and the microvm virtio-mmio slots.
//!
//! The kernel crate (safe code only) wires these together; see `kernel/src/main.rs`.
#![no_std]
#![allow(clippy::missing_safety_doc)]

extern crate alloc;

pub mod apic;
pub mod boot;
pub mod cpu;
pub mod frames;
pub mod heap;
pub mod paging;
pub mod syscall_entry;
pub mod thread;
pub mod time;
pub mod trap;
pub mod usercopy;
pub mod virtio;

pub use boot::BootInfo;
pub use trap::{Hooks, Regs, set_hooks};

/// Finish CPU set-up once the kernel has its hooks ready: frames, GDT/IDT, syscall MSRs.
pub fn init(info: &BootInfo) {
    frames::init(info);
    trap::init();
    syscall_entry::init();
}

/// Write a message straight to COM2 (0x2f8), for failures before (or instead of) the console.
pub fn serial_emergency(msg: &str) {
    for b in msg.bytes() {
        cpu::outb(0x2f8, b);
    }
}
