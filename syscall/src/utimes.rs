//! utimensat, utimes, utime, futimesat: access and modification times (Linux's
//! fs/utimes.c), with `UTIME_NOW` and `UTIME_OMIT`.

use crate::path::{lookup_at_empty, read_path};
use crate::{Args, Ctx, Kernel, SysResult};
use alloc::sync::Arc;
use elfin_abi::{Errno, UserPtr};
use elfin_posix::file::Timespec;
use elfin_posix::vfs::inode::permission;
use elfin_posix::vfs::{Body, Inode};
use linux_raw_sys::general::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, UTIME_NOW, UTIME_OMIT};

/// A requested time: now, keep, or a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum T {
    Now,
    Omit,
    At(Timespec),
}

fn now(k: &dyn Kernel) -> Timespec {
    Timespec::from_ns(k.now_ns(crate::Clock::Realtime))
}

fn apply(c: &Ctx, inode: &Arc<Inode>, times: Option<[T; 2]>) -> SysResult {
    if matches!(inode.body, Body::Proc(_)) {
        return Err(Errno::EPERM);
    }
    let times = times.unwrap_or([T::Now, T::Now]);
    if times == [T::Omit, T::Omit] {
        return Ok(0);
    }
    let euid = c.p.creds.euid;
    let owner = inode.meta.lock().uid;
    let explicit = times.iter().any(|t| matches!(t, T::At(_)));
    if euid != 0 && euid != owner {
        if explicit {
            return Err(Errno::EPERM);
        }
        permission(inode, euid, c.p.creds.egid, 2)?;
    }
    let n = now(&*c.k);
    let mut m = inode.meta.lock();
    for (i, t) in times.iter().enumerate() {
        let v = match t {
            T::Omit => continue,
            T::Now => n,
            T::At(ts) => *ts,
        };
        if i == 0 {
            m.atime = v;
        } else {
            m.mtime = v;
        }
    }
    m.ctime = n;
    Ok(0)
}

fn decode_timespec(c: &Ctx, p: UserPtr<[u8; 32]>) -> Result<Option<[T; 2]>, Errno> {
    if p.is_null() {
        return Ok(None);
    }
    let raw = p.read(c.k.mem())?;
    let mut out = [T::Now; 2];
    for (i, o) in out.iter_mut().enumerate() {
        let sec: i64 = elfin_abi::get(&raw, i * 16);
        let nsec: i64 = elfin_abi::get(&raw, i * 16 + 8);
        *o = match nsec {
            n if n == UTIME_NOW as i64 => T::Now,
            n if n == UTIME_OMIT as i64 => T::Omit,
            n if (0..1_000_000_000).contains(&n) => T::At(Timespec { sec, nsec: n as u32 }),
            _ => return Err(Errno::EINVAL),
        };
    }
    Ok(Some(out))
}

fn decode_timeval(c: &Ctx, p: UserPtr<[u8; 32]>) -> Result<Option<[T; 2]>, Errno> {
    if p.is_null() {
        return Ok(None);
    }
    let raw = p.read(c.k.mem())?;
    let mut out = [T::Now; 2];
    for (i, o) in out.iter_mut().enumerate() {
        let sec: i64 = elfin_abi::get(&raw, i * 16);
        let usec: i64 = elfin_abi::get(&raw, i * 16 + 8);
        if !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        *o = T::At(Timespec { sec, nsec: (usec * 1000) as u32 });
    }
    Ok(Some(out))
}

/// utimensat(2): a NULL path sets the times of `dirfd` itself (futimens).
pub fn utimensat(c: &mut Ctx, a: &Args) -> SysResult {
    let (dirfd, flags) = (a.fd(0), a.uint(3));
    let times = decode_timespec(c, a.ptr(2))?;
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let inode = if a.raw(1) == 0 {
        if flags & AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        if dirfd == AT_FDCWD {
            return Err(Errno::EFAULT);
        }
        c.p.fds.file(dirfd)?.ops.inode().clone()
    } else {
        let path = read_path(c, a.cstr(1))?;
        lookup_at_empty(c, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)?.inode
    };
    apply(c, &inode, times)
}

/// futimesat(2).
pub fn futimesat(c: &mut Ctx, a: &Args) -> SysResult {
    let times = decode_timeval(c, a.ptr(2))?;
    let path = read_path(c, a.cstr(1))?;
    let inode = lookup_at_empty(c, a.fd(0), &path, true, false)?.inode;
    apply(c, &inode, times)
}

/// utimes(2).
pub fn utimes(c: &mut Ctx, a: &Args) -> SysResult {
    let times = decode_timeval(c, a.ptr(1))?;
    let path = read_path(c, a.cstr(0))?;
    let inode = lookup_at_empty(c, AT_FDCWD, &path, true, false)?.inode;
    apply(c, &inode, times)
}

/// utime(2): `struct utimbuf { time_t actime, modtime; }`.
pub fn utime(c: &mut Ctx, a: &Args) -> SysResult {
    let p = a.ptr::<[u8; 16]>(1);
    let times = if p.is_null() {
        None
    } else {
        let raw = p.read(c.k.mem())?;
        let at: i64 = elfin_abi::get(&raw, 0);
        let mt: i64 = elfin_abi::get(&raw, 8);
        Some([T::At(Timespec { sec: at, nsec: 0 }), T::At(Timespec { sec: mt, nsec: 0 })])
    };
    let path = read_path(c, a.cstr(0))?;
    let inode = lookup_at_empty(c, AT_FDCWD, &path, true, false)?.inode;
    apply(c, &inode, times)
}
