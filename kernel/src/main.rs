//! The Elfin kernel binary: assembles the hal and the kernel services and starts the app.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

elfin_hal::entry!(boot_main);

fn boot_main(info: elfin_hal::BootInfo) -> ! {
    elfin_hal::init(&info);
    elfin_hal::serial_emergency("hello from elfin\n");
    elfin_hal::serial_emergency(info.cmdline);
    elfin_hal::cpu::exit_qemu(7)
}

#[panic_handler]
fn panic(p: &core::panic::PanicInfo) -> ! {
    let _ = p;
    elfin_hal::serial_emergency("elfin: kernel panic\n");
    elfin_hal::cpu::exit_qemu(125)
}
