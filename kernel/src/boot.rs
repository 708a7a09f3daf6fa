//! Boot: from the hal's entry to the application's first instruction.

use crate::{console, exec, log, mm, sched, services, time, trap};
use elfin_hal::{BootInfo, Hooks};
use elfin_syscall::Dispatcher;

/// What the kernel command line asks for (docs/boot-protocol.md).
#[derive(Debug, Default)]
struct Options {
    verbose: bool,
    strace: bool,
    tty: u32,
    tsc_khz: Option<u64>,
}

fn parse(cmdline: &str) -> (Options, alloc::vec::Vec<&str>) {
    let mut o = Options::default();
    let mut unknown = alloc::vec::Vec::new();
    for w in cmdline.split_ascii_whitespace() {
        match w.split_once('=') {
            None if w == "verbose" => o.verbose = true,
            None if w == "strace" => o.strace = true,
            Some(("tty", v)) => o.tty = v.parse().unwrap_or(0),
            Some(("tsc_khz", v)) => o.tsc_khz = v.parse().ok(),
            _ => unknown.push(w),
        }
    }
    (o, unknown)
}

/// The kernel's main function, called by the hal on the boot stack.
pub fn main(info: BootInfo) -> ! {
    let (opts, unknown) = parse(info.cmdline);
    console::init(opts.verbose);
    elfin_hal::init(&info);
    elfin_hal::set_hooks(Hooks { syscall: services::syscall, page_fault: mm::page_fault, fatal: trap::fatal, irq: trap::irq, user_fault: trap::user_fault });
    // From here on the app's stdout/stderr and the log go to the virtio-serial devices, if any.
    let probe_start = elfin_hal::cpu::rdtsc();
    console::probe_virtio();
    let probe_cycles = elfin_hal::cpu::rdtsc() - probe_start;
    let (khz, src) = time::init(info.entry_tsc, opts.tsc_khz);
    if !elfin_hal::apic::init(khz) {
        log!("no local APIC: no preemption, sleeps poll the clock");
    }
    log!("cmdline {:?}; TSC {khz} kHz ({src:?})", info.cmdline);
    log!("console devices probed in {} us", time::cycles_to_us(probe_cycles));
    for w in unknown {
        log!("ignoring unknown command-line word {w:?}");
    }
    let ram: u64 = info.ram[..info.ram_count].iter().map(|r| r.1 - r.0).sum();
    log!("RAM {} MiB in {} regions; initrd {} KiB", ram >> 20, info.ram_count, info.initrd.len() >> 10);
    log!("clocks ready at {} us", time::monotonic_ns() / 1000);
    mm::init(exec::MMAP_BASE);
    let launch = match exec::load(info.initrd, opts.tty) {
        Ok(l) => l,
        Err(msg) => {
            console::line(format_args!("elfin: {msg}"));
            elfin_hal::cpu::exit_qemu(125);
        }
    };
    log!("program loaded at {} us", time::monotonic_ns() / 1000);
    services::install(services::State { proc: launch.process, disp: Dispatcher::new(opts.strace) });
    sched::init(1);
    let t = time::mark_app_start();
    log!("boot: {} us from PVH entry to the app's first instruction", time::cycles_to_us(t - info.entry_tsc));
    elfin_hal::syscall_entry::enter_user(launch.entry, launch.sp)
}
