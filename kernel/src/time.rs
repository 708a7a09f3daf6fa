//! Kernel clocks from the TSC: its frequency comes from the command line (`tsc_khz=`), CPUID,
//! or a 2 ms PIT measurement; wall time is the RTC at boot plus TSC time since.

use core::sync::atomic::{AtomicU64, Ordering};
use elfin_hal::cpu::rdtsc;

static TSC_KHZ: AtomicU64 = AtomicU64::new(1_000_000);
static BOOT_TSC: AtomicU64 = AtomicU64::new(0);
static APP_START_TSC: AtomicU64 = AtomicU64::new(0);
static EPOCH_NS_AT_BOOT: AtomicU64 = AtomicU64::new(0);

/// Where the TSC frequency came from, for the boot log.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// `tsc_khz=` on the command line.
    CommandLine,
    /// CPUID leaf 0x15/0x16.
    Cpuid,
    /// Measured against the PIT.
    Pit,
}

/// Set up the clocks. `entry_tsc` is the TSC at PVH entry (time zero of the monotonic clock).
pub fn init(entry_tsc: u64, cmdline_khz: Option<u64>) -> (u64, Source) {
    let (khz, src) = match cmdline_khz {
        Some(k) if k > 0 => (k, Source::CommandLine),
        _ => match elfin_hal::cpu::features().tsc_khz_cpuid {
            0 => (elfin_hal::time::calibrate_tsc_pit(2).max(1), Source::Pit),
            k => (k, Source::Cpuid),
        },
    };
    TSC_KHZ.store(khz, Ordering::Relaxed);
    BOOT_TSC.store(entry_tsc, Ordering::Relaxed);
    let rtc = elfin_hal::time::rtc_unix_seconds();
    // The RTC was read now; subtract the time since boot so that realtime = epoch + monotonic.
    let since_boot = ns_since(entry_tsc);
    EPOCH_NS_AT_BOOT.store((rtc * 1_000_000_000).saturating_sub(since_boot), Ordering::Relaxed);
    (khz, src)
}

fn ns_since(tsc0: u64) -> u64 {
    let khz = TSC_KHZ.load(Ordering::Relaxed) as u128;
    (rdtsc().saturating_sub(tsc0) as u128 * 1_000_000 / khz) as u64
}

/// Convert TSC cycles to microseconds.
pub fn cycles_to_us(cycles: u64) -> u64 {
    (cycles as u128 * 1000 / TSC_KHZ.load(Ordering::Relaxed) as u128) as u64
}

/// Nanoseconds since boot.
pub fn monotonic_ns() -> u64 {
    ns_since(BOOT_TSC.load(Ordering::Relaxed))
}

/// Nanoseconds since the Unix epoch.
pub fn realtime_ns() -> u64 {
    EPOCH_NS_AT_BOOT.load(Ordering::Relaxed) + monotonic_ns()
}

/// Mark the app's first instruction (start of its CPU time).
pub fn mark_app_start() -> u64 {
    let t = rdtsc();
    APP_START_TSC.store(t, Ordering::Relaxed);
    t
}

/// Nanoseconds the app has run (it has the only CPU).
pub fn app_cpu_ns() -> u64 {
    ns_since(APP_START_TSC.load(Ordering::Relaxed))
}
