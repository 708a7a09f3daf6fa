//! Clocks: clock_gettime, clock_getres, gettimeofday, time.

use crate::{Args, Clock, Ctx, SysResult};
use elfin_abi::Errno;

const NS: u64 = 1_000_000_000;
/// Resolution of the coarse clocks: one tick at Debian's HZ=250.
const COARSE_RES_NS: u64 = 4_000_000;

/// What a `clockid_t` names.
fn decode(c: &Ctx, id: i32) -> Result<(Clock, bool), Errno> {
    use linux_raw_sys::general::*;
    if id < 0 {
        // A CPU-time clock of a process or thread: ((~pid) << 3) | (thread << 2) | which.
        if id & 3 == 3 {
            return Err(Errno::EINVAL);
        }
        let pid = !(id >> 3);
        if pid != 0 && pid != c.p.pid {
            return Err(Errno::EINVAL);
        }
        return Ok((Clock::ProcessCpu, false));
    }
    Ok(match id as u32 {
        CLOCK_REALTIME | CLOCK_TAI | CLOCK_REALTIME_ALARM => (Clock::Realtime, false),
        CLOCK_REALTIME_COARSE => (Clock::Realtime, true),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => (Clock::Monotonic, false),
        CLOCK_MONOTONIC_COARSE => (Clock::Monotonic, true),
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => (Clock::ProcessCpu, false),
        _ => return Err(Errno::EINVAL),
    })
}

fn timespec(ns: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    elfin_abi::put(&mut b, 0, (ns / NS) as i64);
    elfin_abi::put(&mut b, 8, (ns % NS) as i64);
    b
}

/// clock_gettime(2).
pub fn clock_gettime(c: &mut Ctx, a: &Args) -> SysResult {
    let (clock, coarse) = decode(c, a.int(0))?;
    let mut ns = c.k.now_ns(clock);
    if coarse {
        ns -= ns % COARSE_RES_NS;
    }
    a.ptr::<[u8; 16]>(1).write(c.k.mem(), &timespec(ns)).map(|_| 0)
}

/// clock_getres(2): a NULL result pointer is allowed.
pub fn clock_getres(c: &mut Ctx, a: &Args) -> SysResult {
    let (_, coarse) = decode(c, a.int(0))?;
    let res = if coarse { COARSE_RES_NS } else { c.k.clock_res_ns() };
    a.ptr::<[u8; 16]>(1).write_opt(c.k.mem(), &timespec(res)).map(|_| 0)
}

/// gettimeofday(2): the timezone, if asked, is UTC.
pub fn gettimeofday(c: &mut Ctx, a: &Args) -> SysResult {
    let ns = c.k.now_ns(Clock::Realtime);
    let mut tv = [0u8; 16];
    elfin_abi::put(&mut tv, 0, (ns / NS) as i64);
    elfin_abi::put(&mut tv, 8, ((ns % NS) / 1000) as i64);
    a.ptr::<[u8; 16]>(0).write_opt(c.k.mem(), &tv)?;
    a.ptr::<[u8; 8]>(1).write_opt(c.k.mem(), &[0u8; 8])?;
    Ok(0)
}

/// time(2).
pub fn time(c: &mut Ctx, a: &Args) -> SysResult {
    let secs = (c.k.now_ns(Clock::Realtime) / NS) as i64;
    a.ptr::<i64>(0).write_opt(c.k.mem(), &secs)?;
    Ok(secs as usize)
}

/// Block until `deadline` (monotonic ns) through the restart protocol; `Ok(0)` once it passed.
fn sleep_until(c: &mut Ctx, deadline: u64) -> SysResult {
    match c.p.thread_mut().wake.take() {
        Some(elfin_posix::thread::Wake::Interrupted) => return Err(Errno::EINTR),
        Some(_) => return Ok(0),
        None if deadline <= c.k.now_ns(Clock::Monotonic) => return Ok(0),
        None => {}
    }
    c.p.thread_mut().wait = Some(elfin_posix::thread::WaitSpec { deadline: Some(deadline) });
    Err(Errno::RESTART)
}

/// nanosleep(2). (A signal ends it with EINTR; `rem` is not written yet.)
pub fn nanosleep(c: &mut Ctx, a: &Args) -> SysResult {
    if let Some(d) = c.p.thread().wait_deadline {
        return sleep_until(c, d);
    }
    let dur = crate::futex::read_timespec(c, a.raw(0))?;
    let deadline = c.k.now_ns(Clock::Monotonic).saturating_add(dur);
    c.p.thread_mut().wait_deadline = Some(deadline);
    sleep_until(c, deadline)
}

/// clock_nanosleep(2): relative or `TIMER_ABSTIME` sleeps on the wall or monotonic clocks.
pub fn clock_nanosleep(c: &mut Ctx, a: &Args) -> SysResult {
    use linux_raw_sys::general::{CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_TAI, TIMER_ABSTIME};
    if let Some(d) = c.p.thread().wait_deadline {
        return sleep_until(c, d);
    }
    let clock = a.int(0);
    let flags = a.uint(1);
    let realtime = match clock as u32 {
        CLOCK_REALTIME | CLOCK_TAI => true,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => false,
        _ if clock < 0 || clock as u32 == linux_raw_sys::general::CLOCK_PROCESS_CPUTIME_ID => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    };
    if flags & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    let t = crate::futex::read_timespec(c, a.raw(2))?;
    let mono = c.k.now_ns(Clock::Monotonic);
    let deadline = if flags & TIMER_ABSTIME == 0 {
        mono.saturating_add(t)
    } else if realtime {
        mono.saturating_add(t.saturating_sub(c.k.now_ns(Clock::Realtime)))
    } else {
        t
    };
    c.p.thread_mut().wait_deadline = Some(deadline);
    sleep_until(c, deadline)
}
