//! epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait, epoll_pwait2 (Linux's
//! fs/eventpoll.c) over `elfin_posix::epoll`.

use crate::fd::{check_free, install};
use crate::path::{KHost, block_on_until};
use crate::select::timespec_ns;
use crate::{Args, Clock, Ctx, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::{Errno, UserPtr, field, linux_struct, set};
use elfin_posix::epoll::{Ctl, Epoll, as_epoll};
use elfin_posix::fd::OpenFile;
use linux_raw_sys::general::{EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, O_RDWR, epoll_event};

linux_struct!(
    /// `struct epoll_event` (packed on x86-64: 12 bytes).
    EpollEvent, epoll_event
);

const _: () = assert!(core::mem::size_of::<epoll_event>() == 12);

/// Linux's `EP_MAX_EVENTS`.
const EP_MAX_EVENTS: i32 = (i32::MAX as usize / 12) as i32;

fn create(c: &mut Ctx, cloexec: bool) -> SysResult {
    check_free(c)?;
    let ep = Arc::new(Epoll::new(c.p.fs.vfs.anon_inode.clone()));
    install(c, OpenFile::new(ep, O_RDWR, Vec::new()), cloexec)
}

/// epoll_create(2): `size` must be positive (and is otherwise ignored).
pub fn epoll_create(c: &mut Ctx, a: &Args) -> SysResult {
    if a.int(0) <= 0 {
        return Err(Errno::EINVAL);
    }
    create(c, false)
}

/// epoll_create1(2).
pub fn epoll_create1(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(0, EPOLL_CLOEXEC)?;
    create(c, flags & EPOLL_CLOEXEC != 0)
}

/// epoll_ctl(2), with Linux's order of checks.
pub fn epoll_ctl(c: &mut Ctx, a: &Args) -> SysResult {
    let (epfd, op, fd) = (a.fd(0), a.int(1), a.fd(2));
    let ev = if op as u32 != EPOLL_CTL_DEL { Some(a.ptr::<EpollEvent>(3).read(c.k.mem())?) } else { None };
    let epf = c.p.fds.file(epfd)?;
    let tf = c.p.fds.file(fd)?;
    if !tf.ops.pollable() || tf.is_path() {
        return Err(Errno::EPERM);
    }
    if Arc::ptr_eq(&epf, &tf) {
        return Err(Errno::EINVAL);
    }
    let Some(ep) = as_epoll(&*epf.ops) else { return Err(Errno::EINVAL) };
    let op = match op as u32 {
        EPOLL_CTL_ADD => Ctl::Add,
        EPOLL_CTL_MOD => Ctl::Mod,
        EPOLL_CTL_DEL => Ctl::Del,
        _ => return Err(Errno::EINVAL),
    };
    let (events, data) = match ev {
        Some(e) => (field!(e, epoll_event, events, u32), field!(e, epoll_event, data, u64)),
        None => (0, 0),
    };
    ep.ctl(&*epf.ops, op, fd, &tf, events, data).map(|_| 0)
}

fn wait_common(c: &mut Ctx, epfd: i32, events: u64, max: i32, timeout: Option<u64>) -> SysResult {
    if max <= 0 || max > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    if !elfin_abi::in_user_half(events, max as u64 * 12) {
        return Err(Errno::EFAULT);
    }
    let epf = c.p.fds.file(epfd)?;
    let ops = epf.ops.clone();
    let Some(ep) = as_epoll(&*ops) else { return Err(Errno::EINVAL) };
    let dl = timeout.map(|t| c.k.now_ns(Clock::Monotonic).saturating_add(t));
    let wake = ep.next_event(&mut KHost(c.k));
    let mut got: Vec<(u32, u64)> = Vec::new();
    let result = if timeout == Some(0) {
        got = ep.collect(&mut KHost(c.k), max as usize);
        Ok(())
    } else {
        block_on_until(c, dl, wake, &mut |c| {
            got = ep.collect(&mut KHost(c.k), max as usize);
            if got.is_empty() { Err(Errno::EAGAIN) } else { Ok(()) }
        })
    };
    match result {
        Ok(()) | Err(Errno::ETIMEDOUT) => {}
        Err(e) => return Err(e),
    }
    let out = UserPtr::<EpollEvent>::new(events);
    for (i, (ev, data)) in got.iter().enumerate() {
        let mut e = EpollEvent::default();
        set!(e, epoll_event, events, *ev);
        set!(e, epoll_event, data, *data);
        out.offset(i)?.write(c.k.mem(), &e)?;
    }
    Ok(got.len())
}

fn ms(t: i32) -> Option<u64> {
    if t < 0 { None } else { Some(t as u64 * 1_000_000) }
}

/// epoll_wait(2).
pub fn epoll_wait(c: &mut Ctx, a: &Args) -> SysResult {
    wait_common(c, a.fd(0), a.raw(1), a.int(2), ms(a.int(3)))
}

fn check_sigmask(c: &Ctx, mask: u64, size: u64) -> Result<(), Errno> {
    if mask == 0 {
        return Ok(());
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    UserPtr::<u64>::new(mask).read(c.k.mem()).map(|_| ())
}

/// epoll_pwait(2): the temporary signal mask is checked, not applied.
pub fn epoll_pwait(c: &mut Ctx, a: &Args) -> SysResult {
    check_sigmask(c, a.raw(4), a.raw(5))?;
    wait_common(c, a.fd(0), a.raw(1), a.int(2), ms(a.int(3)))
}

/// epoll_pwait2(2): a timespec timeout.
pub fn epoll_pwait2(c: &mut Ctx, a: &Args) -> SysResult {
    let timeout = timespec_ns(c, a.ptr(3))?;
    check_sigmask(c, a.raw(4), a.raw(5))?;
    wait_common(c, a.fd(0), a.raw(1), a.int(2), timeout)
}
