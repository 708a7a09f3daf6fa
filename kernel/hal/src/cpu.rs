//! CPU set-up and small CPU services: SSE/XSAVE/AVX and FSGSBASE enabled from CPUID, the TSC,
//! FS/GS bases, port I/O, halting, and leaving QEMU through `isa-debug-exit`.

use core::arch::asm;
use raw_cpuid::CpuId;
use x86_64::registers::control::{Cr0, Cr0Flags, Cr4, Cr4Flags};
use x86_64::registers::model_specific::Msr;
use x86_64::registers::xcontrol::{XCr0, XCr0Flags};

static mut HAS_FSGSBASE: bool = false;

/// What the CPU offers that the kernel enabled for the application.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuFeatures {
    /// XSAVE enabled and the XCR0 mask in use.
    pub xcr0: u64,
    /// RDFSBASE/WRFSBASE usable.
    pub fsgsbase: bool,
    /// CPUID.1:EDX (AT_HWCAP on x86-64).
    pub hwcap: u32,
    /// AT_HWCAP2 bits (bit 1: FSGSBASE).
    pub hwcap2: u32,
    /// TSC frequency from CPUID 0x15/0x16 in kHz, when the CPU tells.
    pub tsc_khz_cpuid: u64,
}

static mut FEATURES: CpuFeatures =
    CpuFeatures { xcr0: 0, fsgsbase: false, hwcap: 0, hwcap2: 0, tsc_khz_cpuid: 0 };

/// Enable SSE, XSAVE (with every state component XCR0 can hold for x87/SSE/AVX/AVX-512) and
/// FSGSBASE. Runs once, first thing in long mode.
pub(crate) fn early_init() {
    let cpuid = CpuId::new();
    let mut f = CpuFeatures::default();
    let fi = cpuid.get_feature_info();
    // SAFETY: CR0/CR4/XCR0 writes enable features CPUID says exist; the kernel itself is
    // soft-float, so nothing running now depends on the old values.
    unsafe {
        let mut cr0 = Cr0::read();
        cr0.remove(Cr0Flags::EMULATE_COPROCESSOR | Cr0Flags::TASK_SWITCHED);
        cr0.insert(Cr0Flags::MONITOR_COPROCESSOR | Cr0Flags::NUMERIC_ERROR);
        Cr0::write(cr0);
        let mut cr4 = Cr4::read();
        cr4.insert(Cr4Flags::OSFXSR | Cr4Flags::OSXMMEXCPT_ENABLE);
        if let Some(fi) = &fi {
            f.hwcap = core::arch::x86_64::__cpuid(1).edx;
            if fi.has_xsave() {
                cr4.insert(Cr4Flags::OSXSAVE);
            }
        }
        let ext = cpuid.get_extended_feature_info();
        if ext.as_ref().is_some_and(|e| e.has_fsgsbase()) {
            cr4.insert(Cr4Flags::FSGSBASE);
            f.fsgsbase = true;
            f.hwcap2 |= 1 << 1; // HWCAP2_FSGSBASE
            HAS_FSGSBASE = true;
        }
        Cr4::write(cr4);
        if fi.as_ref().is_some_and(|fi| fi.has_xsave()) {
            // Supported XCR0 bits: CPUID.(EAX=0DH, ECX=0):EAX. Keep x87, SSE, AVX and the three
            // AVX-512 components (bits 5-7); leave MPX/PKRU/AMX off.
            let supported = core::arch::x86_64::__cpuid_count(0xd, 0).eax as u64;
            let mask = supported & (0x7 | 0xe0);
            let mask = if mask & 0xe0 != 0xe0 { mask & 0x7 } else { mask };
            XCr0::write(XCr0Flags::from_bits_truncate(mask));
            f.xcr0 = mask;
        }
        asm!("fninit", options(nostack));
    }
    if let Some(tsc) = cpuid.get_tsc_info() {
        if let Some(hz) = tsc.tsc_frequency() {
            f.tsc_khz_cpuid = hz / 1000;
        }
    }
    if f.tsc_khz_cpuid == 0 {
        if let Some(pf) = cpuid.get_processor_frequency_info() {
            f.tsc_khz_cpuid = pf.processor_base_frequency() as u64 * 1000;
        }
    }
    // SAFETY: single CPU, before anything reads FEATURES.
    unsafe { FEATURES = f };
}

/// The features set up at boot.
pub fn features() -> CpuFeatures {
    // SAFETY: written once in early_init before any reader runs.
    unsafe { FEATURES }
}

/// Read the time-stamp counter.
#[inline]
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Set the FS base (the application's TLS pointer).
pub fn set_fs_base(v: u64) {
    // SAFETY: the kernel does not use FS; FS base belongs to the application.
    unsafe {
        if HAS_FSGSBASE {
            asm!("wrfsbase {}", in(reg) v, options(nostack, preserves_flags));
        } else {
            Msr::new(0xC000_0100).write(v);
        }
    }
}

/// The FS base.
pub fn fs_base() -> u64 {
    // SAFETY: reading FS base has no side effects.
    unsafe {
        if HAS_FSGSBASE {
            let v: u64;
            asm!("rdfsbase {}", out(reg) v, options(nostack, preserves_flags));
            v
        } else {
            Msr::new(0xC000_0100).read()
        }
    }
}

/// Set the GS base (the kernel does not use GS; the application may).
pub fn set_gs_base(v: u64) {
    // SAFETY: as set_fs_base.
    unsafe { Msr::new(0xC000_0101).write(v) }
}

/// The GS base.
pub fn gs_base() -> u64 {
    // SAFETY: reading an MSR that always exists in long mode.
    unsafe { Msr::new(0xC000_0101).read() }
}

/// Write a byte to an I/O port. Port I/O in this kernel only reaches legacy devices QEMU
/// emulates (serial, PIT, CMOS, debug-exit); drivers decide which ports they own.
pub fn outb(port: u16, v: u8) {
    // SAFETY: port writes have no memory-safety effect on this machine model.
    unsafe { asm!("out dx, al", in("dx") port, in("al") v, options(nomem, nostack, preserves_flags)) }
}

/// Read a byte from an I/O port.
pub fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: as outb.
    unsafe { asm!("in al, dx", in("dx") port, out("al") v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Write a 32-bit value to an I/O port.
pub fn outl(port: u16, v: u32) {
    // SAFETY: as outb.
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") v, options(nomem, nostack, preserves_flags)) }
}

/// Leave QEMU: the status byte goes to the debugcon port 0x402 (the CLI reads it), then
/// `isa-debug-exit` makes QEMU exit with `(status << 1) | 1` (see docs/boot-protocol.md).
pub fn exit_qemu(status: u8) -> ! {
    outb(0x402, status);
    outl(0xf4, status as u32);
    // Without the device (not under the elfin CLI) there is nothing else to do: stop.
    loop {
        x86_64::instructions::interrupts::disable();
        x86_64::instructions::hlt();
    }
}

/// Stop the CPU until the next interrupt.
pub fn halt() {
    x86_64::instructions::hlt();
}

/// Spin-loop hint.
pub fn pause() {
    core::hint::spin_loop();
}

/// 64 random bits from RDRAND, when the CPU has it and it delivers.
pub fn hw_random() -> Option<u64> {
    if !CpuId::new().get_feature_info().is_some_and(|f| f.has_rdrand()) {
        return None;
    }
    for _ in 0..10 {
        let mut v = 0u64;
        // SAFETY: RDRAND exists (checked above); it only writes `v`.
        if unsafe { core::arch::x86_64::_rdrand64_step(&mut v) } == 1 {
            return Some(v);
        }
    }
    None
}

/// Enable interrupts, halt until one arrives (it is handled before this returns), disable
/// them again. `sti; hlt` is atomic: an interrupt cannot slip in between.
pub fn wait_for_interrupt() {
    // SAFETY: the interrupt handlers save and restore everything they touch.
    unsafe { asm!("sti", "hlt", "cli", options(nomem, nostack)) }
}
