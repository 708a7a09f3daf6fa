//! Descriptor-table calls: close, dup, dup2, dup3, fcntl, lseek.

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::fd::FdEntry;
use linux_raw_sys::general::{
    F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, FASYNC, O_APPEND, O_CLOEXEC,
    O_DIRECT, O_NOATIME, O_NONBLOCK, RLIMIT_NOFILE,
};

fn nofile(c: &Ctx) -> usize {
    c.p.rlimits[RLIMIT_NOFILE as usize].cur.min(1 << 20) as usize
}

/// close(2).
pub fn close(c: &mut Ctx, a: &Args) -> SysResult {
    c.p.fds.close(a.fd(0)).map(|_| 0)
}

fn dup_from(c: &mut Ctx, old: i32, min: usize, cloexec: bool) -> SysResult {
    let file = c.p.fds.file(old)?;
    let limit = nofile(c);
    if min >= limit {
        return Err(Errno::EINVAL);
    }
    c.p.fds.install(FdEntry { file, cloexec }, min, limit).map(|fd| fd as usize)
}

/// dup(2).
pub fn dup(c: &mut Ctx, a: &Args) -> SysResult {
    dup_from(c, a.fd(0), 0, false)
}

fn dup_to(c: &mut Ctx, old: i32, new: i32, cloexec: bool) -> SysResult {
    let file = c.p.fds.file(old)?;
    let new_ok = usize::try_from(new).ok().filter(|&n| n < nofile(c)).ok_or(Errno::EBADF)?;
    c.p.fds.install_at(new_ok, FdEntry { file, cloexec });
    Ok(new_ok)
}

/// dup2(2): `old == new` only checks that `old` is open.
pub fn dup2(c: &mut Ctx, a: &Args) -> SysResult {
    let (old, new) = (a.fd(0), a.fd(1));
    if old == new {
        c.p.fds.get(old)?;
        return Ok(new as usize);
    }
    dup_to(c, old, new, false)
}

/// dup3(2).
pub fn dup3(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(2, O_CLOEXEC)?;
    let (old, new) = (a.fd(0), a.fd(1));
    if old == new {
        return Err(Errno::EINVAL);
    }
    dup_to(c, old, new, flags & O_CLOEXEC != 0)
}

/// fcntl(2): descriptor and status flags, duplication.
pub fn fcntl(c: &mut Ctx, a: &Args) -> SysResult {
    let fd = a.fd(0);
    match a.uint(1) {
        F_DUPFD => dup_from(c, fd, a.raw(2) as usize, false),
        F_DUPFD_CLOEXEC => dup_from(c, fd, a.raw(2) as usize, true),
        F_GETFD => Ok(if c.p.fds.get(fd)?.cloexec { FD_CLOEXEC as usize } else { 0 }),
        F_SETFD => {
            c.p.fds.get_mut(fd)?.cloexec = a.raw(2) as u32 & FD_CLOEXEC != 0;
            Ok(0)
        }
        F_GETFL => Ok(c.p.fds.file(fd)?.lock().flags as usize),
        F_SETFL => {
            let file = c.p.fds.file(fd)?;
            let changeable = O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME;
            let mut f = file.lock();
            f.flags = (f.flags & !changeable) | (a.raw(2) as u32 & changeable);
            Ok(0)
        }
        _ => {
            c.p.fds.get(fd)?;
            Err(Errno::EINVAL)
        }
    }
}

/// lseek(2): console streams and pipes cannot seek.
pub fn lseek(c: &mut Ctx, a: &Args) -> SysResult {
    c.p.fds.get(a.fd(0))?;
    Err(Errno::ESPIPE)
}
