//! The Elfin kernel binary: the hal boots the CPU and calls [`boot::main`], which wires the
//! console, clocks, address space and syscall layer together and starts the application.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod boot;
mod console;
mod exec;
mod mm;
mod sched;
mod services;
mod time;
mod trap;

elfin_hal::entry!(boot::main);

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    console::emergency(format_args!("elfin: kernel panic: {info}\n"));
    elfin_hal::cpu::exit_qemu(125)
}
