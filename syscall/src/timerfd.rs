//! timerfd_create, timerfd_settime, timerfd_gettime (Linux's fs/timerfd.c).

use crate::fd::{check_free, install};
use crate::path::KHost;
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::{Errno, UserPtr};
use elfin_posix::fd::OpenFile;
use elfin_posix::timerfd::{Setting, TimerClock, TimerFd};
use linux_raw_sys::general::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, O_RDWR, TFD_CLOEXEC,
    TFD_NONBLOCK, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
};

/// timerfd_create(2).
pub fn timerfd_create(c: &mut Ctx, a: &Args) -> SysResult {
    let clock = match a.uint(0) {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => TimerClock::Realtime,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => TimerClock::Monotonic,
        _ => return Err(Errno::EINVAL),
    };
    let flags = a.flags(1, TFD_CLOEXEC | TFD_NONBLOCK)?;
    check_free(c)?;
    let t = Arc::new(TimerFd::new(c.p.fs.vfs.anon_inode.clone(), clock));
    install(c, OpenFile::new(t, O_RDWR | (flags & TFD_NONBLOCK), Vec::new()), flags & TFD_CLOEXEC != 0)
}

fn timer(c: &Ctx, fd: i32) -> Result<Arc<dyn elfin_posix::file::FileOps>, Errno> {
    let f = c.p.fds.file(fd)?;
    let any: &dyn core::any::Any = &*f.ops;
    if any.downcast_ref::<TimerFd>().is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(f.ops.clone())
}

fn as_timer(ops: &Arc<dyn elfin_posix::file::FileOps>) -> &TimerFd {
    let any: &dyn core::any::Any = &**ops;
    match any.downcast_ref::<TimerFd>() {
        Some(t) => t,
        None => unreachable!("checked by timer()"),
    }
}

fn read_its(c: &Ctx, p: UserPtr<[u8; 32]>) -> Result<Setting, Errno> {
    let raw = p.read(c.k.mem())?;
    let ts = |off: usize| -> Result<u64, Errno> {
        let (sec, nsec): (i64, i64) = (elfin_abi::get(&raw, off), elfin_abi::get(&raw, off + 8));
        if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(Errno::EINVAL);
        }
        Ok((sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64))
    };
    Ok(Setting { interval: ts(0)?, value: ts(16)? })
}

fn write_its(c: &Ctx, p: UserPtr<[u8; 32]>, s: Setting) -> Result<(), Errno> {
    let mut raw = [0u8; 32];
    for (off, v) in [(0, s.interval), (16, s.value)] {
        raw[off..off + 8].copy_from_slice(&((v / 1_000_000_000) as i64).to_le_bytes());
        raw[off + 8..off + 16].copy_from_slice(&((v % 1_000_000_000) as i64).to_le_bytes());
    }
    p.write(c.k.mem(), &raw)
}

/// timerfd_settime(2): `TFD_TIMER_ABSTIME` (`TFD_TIMER_CANCEL_ON_SET` is accepted with it;
/// the wall clock is never set, so nothing is ever cancelled).
pub fn timerfd_settime(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(1, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)?;
    let new = read_its(c, a.ptr(2))?;
    let ops = timer(c, a.fd(0))?;
    if flags & TFD_TIMER_CANCEL_ON_SET != 0 && flags & TFD_TIMER_ABSTIME == 0 {
        return Err(Errno::EINVAL);
    }
    let old = as_timer(&ops).set(&mut KHost(c.k), new, flags & TFD_TIMER_ABSTIME != 0);
    let oldp = a.ptr::<[u8; 32]>(3);
    if !oldp.is_null() {
        write_its(c, oldp, old)?;
    }
    Ok(0)
}

/// timerfd_gettime(2).
pub fn timerfd_gettime(c: &mut Ctx, a: &Args) -> SysResult {
    let ops = timer(c, a.fd(0))?;
    let cur = as_timer(&ops).get(&mut KHost(c.k));
    write_its(c, a.ptr(1), cur).map(|_| 0)
}
