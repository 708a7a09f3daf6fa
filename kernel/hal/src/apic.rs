//! The local APIC (xAPIC, memory-mapped at 0xfee00000): its timer in one-shot mode, for
//! sleeping threads and preemption, and end-of-interrupt.

use crate::boot::phys_to_virt;
use core::sync::atomic::{AtomicU64, Ordering};

const APIC_PHYS: u64 = 0xfee0_0000;
const EOI: u64 = 0xb0;
const SVR: u64 = 0xf0;
const LVT_TIMER: u64 = 0x320;
const TIMER_INITIAL: u64 = 0x380;
const TIMER_CURRENT: u64 = 0x390;
const TIMER_DIVIDE: u64 = 0x3e0;
const MASKED: u32 = 1 << 16;

/// Vector of the APIC timer interrupt.
pub const TIMER_VECTOR: u8 = 0x20;
/// Vector of spurious APIC interrupts (needs no EOI).
pub const SPURIOUS_VECTOR: u8 = 0xff;

/// APIC timer ticks per millisecond (0: no APIC timer).
static TICKS_PER_MS: AtomicU64 = AtomicU64::new(0);

fn write(reg: u64, v: u32) {
    // SAFETY: the APIC page is mapped uncached in the direct map by `init`; these are its
    // documented registers.
    unsafe { core::ptr::write_volatile(phys_to_virt(APIC_PHYS + reg) as *mut u32, v) }
}

fn read(reg: u64) -> u32 {
    // SAFETY: as write.
    unsafe { core::ptr::read_volatile(phys_to_virt(APIC_PHYS + reg) as *const u32) }
}

/// Enable the APIC and measure its timer against the TSC (`tsc_khz`). Returns false when the
/// CPU has no APIC.
pub fn init(tsc_khz: u64) -> bool {
    if !raw_cpuid::CpuId::new().get_feature_info().is_some_and(|f| f.has_apic()) {
        return false;
    }
    crate::paging::uncache_direct_map(APIC_PHYS, 4096);
    // SAFETY: IA32_APIC_BASE: keep the base, set the global enable bit.
    unsafe {
        let mut msr = x86_64::registers::model_specific::Msr::new(0x1b);
        let v = msr.read();
        msr.write(v | (1 << 11));
    }
    write(SVR, 0x100 | SPURIOUS_VECTOR as u32);
    write(TIMER_DIVIDE, 0xb); // divide by 1
    write(LVT_TIMER, MASKED | TIMER_VECTOR as u32);
    // Count down from the top for ~200 us of TSC time.
    write(TIMER_INITIAL, u32::MAX);
    let t0 = crate::cpu::rdtsc();
    let wait = tsc_khz / 5;
    while crate::cpu::rdtsc() - t0 < wait {
        core::hint::spin_loop();
    }
    let elapsed = u32::MAX - read(TIMER_CURRENT);
    write(TIMER_INITIAL, 0);
    TICKS_PER_MS.store((elapsed as u64 * 5).max(1), Ordering::Relaxed);
    true
}

/// Raise the timer interrupt once, `ns` nanoseconds from now (clamped to what the counter holds).
pub fn oneshot_ns(ns: u64) {
    let tpm = TICKS_PER_MS.load(Ordering::Relaxed);
    if tpm == 0 {
        return;
    }
    let ticks = ((ns as u128 * tpm as u128) / 1_000_000).clamp(1, u32::MAX as u128) as u32;
    write(LVT_TIMER, TIMER_VECTOR as u32);
    write(TIMER_INITIAL, ticks);
}

/// Stop the timer.
pub fn cancel() {
    write(TIMER_INITIAL, 0);
}

/// Acknowledge the interrupt being handled.
pub fn eoi() {
    write(EOI, 0);
}
