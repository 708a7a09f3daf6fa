//! Descriptor-table calls (Linux's fs/file.c): close, close_range, dup, dup2, dup3.

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::fd::{FdEntry, FileRef};
use elfin_posix::lock::LockOwner;
use linux_raw_sys::general::{O_CLOEXEC, RLIMIT_NOFILE};

/// `CLOSE_RANGE_UNSHARE`.
const CLOSE_RANGE_UNSHARE: u32 = 2;
/// `CLOSE_RANGE_CLOEXEC`.
const CLOSE_RANGE_CLOEXEC: u32 = 4;

/// The descriptor limit (`RLIMIT_NOFILE`, capped by `nr_open`).
pub fn nofile(c: &Ctx) -> usize {
    c.p.rlimits[RLIMIT_NOFILE as usize].cur.min(1 << 20) as usize
}

/// What closing a descriptor does beyond the table: the process's POSIX record locks on the
/// file go away (whichever descriptor they were taken through, as on Linux).
pub fn release(c: &mut Ctx, file: &FileRef) {
    file.ops.inode().locks.lock().release_owner(LockOwner::Process(c.p.pid));
}

/// close(2).
pub fn close(c: &mut Ctx, a: &Args) -> SysResult {
    let e = c.p.fds.close(a.fd(0))?;
    release(c, &e.file);
    Ok(0)
}

/// close_range(2): close (or mark close-on-exec) every open descriptor in `[first, last]`.
pub fn close_range(c: &mut Ctx, a: &Args) -> SysResult {
    let (first, last) = (a.uint(0), a.uint(1));
    let flags = a.flags(2, CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)?;
    if first > last {
        return Err(Errno::EINVAL);
    }
    for fd in c.p.fds.open_fds() {
        let fdu = fd as u32;
        if fdu < first || fdu > last {
            continue;
        }
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            c.p.fds.get_mut(fd)?.cloexec = true;
        } else if let Ok(e) = c.p.fds.close(fd) {
            release(c, &e.file);
        }
    }
    Ok(0)
}

/// Install `file` at the lowest free descriptor `>= min` (`F_DUPFD`, `dup`).
pub fn dup_from(c: &mut Ctx, file: FileRef, min: usize, cloexec: bool) -> SysResult {
    let limit = nofile(c);
    if min >= limit {
        return Err(Errno::EINVAL);
    }
    c.p.fds.install(FdEntry { file, cloexec }, min, limit).map(|fd| fd as usize)
}

/// Install a new open file at the lowest free descriptor; `EMFILE` when the table is full.
pub fn install(c: &mut Ctx, file: FileRef, cloexec: bool) -> SysResult {
    let limit = nofile(c);
    c.p.fds.install(FdEntry { file, cloexec }, 0, limit).map(|fd| fd as usize)
}

/// Is there a free descriptor below the limit? (Linux allocates the descriptor before it
/// resolves the path, so a full table is `EMFILE` even for a path that does not exist.)
pub fn check_free(c: &Ctx) -> Result<(), Errno> {
    let limit = nofile(c);
    if (0..limit).any(|i| c.p.fds.get(i as i32).is_err()) { Ok(()) } else { Err(Errno::EMFILE) }
}

/// dup(2).
pub fn dup(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    dup_from(c, file, 0, false)
}

fn dup_to(c: &mut Ctx, old: i32, new: i32, cloexec: bool) -> SysResult {
    let file = c.p.fds.file(old)?;
    let new_ok = usize::try_from(new).ok().filter(|&n| n < nofile(c)).ok_or(Errno::EBADF)?;
    if let Some(prev) = c.p.fds.install_at(new_ok, FdEntry { file, cloexec }) {
        release(c, &prev.file);
    }
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
