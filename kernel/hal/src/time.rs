//! Time sources: the TSC frequency (CPUID, a command-line value, or a short PIT measurement)
//! and the wall clock from the CMOS RTC.

use crate::cpu::{inb, outb, rdtsc};

/// Measure the TSC frequency against the PIT's channel 0, reading its counter back (port
/// 0x61, the channel-2 gate, does not exist on QEMU microvm). Returns kHz, or 0 when no PIT
/// answers. Three windows of `ms` / 3 each; the lowest result wins: a window during which the
/// host descheduled the vCPU for longer than the PIT's 55 ms period loses whole periods of PIT
/// counts and so can only overestimate.
pub fn calibrate_tsc_pit(ms: u32) -> u64 {
    const PIT_HZ: u64 = 1_193_182;
    let want = (PIT_HZ * ms as u64 / 1000 / 3).max(100);
    let read = || {
        outb(0x43, 0x00); // latch channel 0
        let lo = inb(0x40) as u64;
        let hi = inb(0x40) as u64;
        (hi << 8) | lo
    };
    // Channel 0, lo/hi byte, mode 2 (rate generator), full 16-bit period (~55 ms).
    outb(0x43, 0x34);
    outb(0x40, 0);
    outb(0x40, 0);
    let mut best = u64::MAX;
    for _ in 0..3 {
        let t0 = rdtsc();
        let mut prev = read();
        let mut elapsed = 0u64;
        let mut spins = 0u64;
        while elapsed < want {
            let now = read();
            // The counter counts down and reloads at 0x10000.
            elapsed += if now <= prev { prev - now } else { prev + 0x10000 - now };
            prev = now;
            spins += 1;
            if spins > 50_000_000 || (spins > 10_000 && elapsed == 0) {
                return 0;
            }
        }
        let t1 = rdtsc();
        best = best.min((t1 - t0) * PIT_HZ / elapsed / 1000);
    }
    // Leave channel 0 in one-shot mode (it counts down once and stops raising IRQ 0) and mask
    // the legacy PICs: Elfin takes no legacy interrupts.
    outb(0x43, 0x30);
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    best
}

fn cmos(reg: u8) -> u8 {
    outb(0x70, reg);
    inb(0x71)
}

/// Seconds since the Unix epoch, read from the CMOS RTC (0 if it looks absent).
pub fn rtc_unix_seconds() -> u64 {
    // Wait out an update in progress, then read twice until two reads agree.
    let read = || {
        let mut spins = 0;
        while cmos(0x0a) & 0x80 != 0 && spins < 1_000_000 {
            spins += 1;
        }
        [cmos(0x00), cmos(0x02), cmos(0x04), cmos(0x07), cmos(0x08), cmos(0x09), cmos(0x32)]
    };
    let mut a = read();
    for _ in 0..5 {
        let b = read();
        if a == b {
            break;
        }
        a = b;
    }
    let status_b = cmos(0x0b);
    let bcd = status_b & 0x04 == 0;
    let conv = |v: u8| if bcd { (v & 0x0f) + (v >> 4) * 10 } else { v };
    let (sec, min) = (conv(a[0]) as u64, conv(a[1]) as u64);
    let hour_raw = a[2];
    let mut hour = conv(hour_raw & 0x7f) as u64;
    if status_b & 0x02 == 0 && hour_raw & 0x80 != 0 {
        hour = (hour % 12) + 12;
    }
    let (day, month, year2) = (conv(a[3]) as u64, conv(a[4]) as u64, conv(a[5]) as u64);
    let century = match conv(a[6]) {
        19..=30 => conv(a[6]) as u64,
        _ => 20,
    };
    if month == 0 || month > 12 || day == 0 {
        return 0;
    }
    let year = century * 100 + year2;
    days_from_civil(year as i64, month as u32, day as u32) as u64 * 86400 + hour * 3600 + min * 60 + sec
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}
