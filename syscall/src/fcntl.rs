//! fcntl(2): duplication, descriptor and status flags, record locks (classic and OFD), pipe
//! sizes, memfd seals, owner and lease queries.

use crate::fd::dup_from;
use crate::path::block_on;
use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, UserPtr, field, linux_struct, set};
use elfin_posix::fd::FileRef;
use elfin_posix::lock::{LockKind, LockOwner};
use elfin_posix::pipe::PipeEnd;
use elfin_posix::vfs::files::RegularFile;
use linux_raw_sys::general::{
    F_ADD_SEALS, F_DUPFD, F_DUPFD_CLOEXEC, F_GET_SEALS, F_GETFD, F_GETFL, F_GETLEASE, F_GETLK, F_GETOWN, F_GETOWN_EX,
    F_GETPIPE_SZ, F_GETSIG, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_RDLCK, F_SETFD, F_SETFL, F_SETLEASE, F_SETLK,
    F_SETLKW, F_SETOWN, F_SETPIPE_SZ, F_SETSIG, F_UNLCK, F_WRLCK, FASYNC, FD_CLOEXEC, O_APPEND, O_DIRECT, O_NOATIME,
    O_NONBLOCK, SEEK_CUR, SEEK_END, SEEK_SET, flock,
};

linux_struct!(
    /// `struct flock` (x86-64: the same as `flock64`).
    Flock, flock
);

/// `F_DUPFD_QUERY` (Linux 6.10): do two descriptors share one open file description?
const F_DUPFD_QUERY: u32 = 1024 + 3;
/// `F_CREATED_QUERY` (Linux 6.12).
const F_CREATED_QUERY: u32 = 1024 + 4;

/// A lock request decoded from `struct flock`: kind (`None` for `F_UNLCK`) and byte range.
struct Request {
    kind: Option<LockKind>,
    start: u64,
    end: u64,
}

/// Decode `l_type`, `l_whence`, `l_start` and `l_len` like Linux's `flock_to_posix_lock`.
fn decode(file: &FileRef, l: &Flock) -> Result<Request, Errno> {
    let kind = match field!(l, flock, l_type, i16) as u32 {
        F_RDLCK => Some(LockKind::Read),
        F_WRLCK => Some(LockKind::Write),
        F_UNLCK => None,
        _ => return Err(Errno::EINVAL),
    };
    let base: i64 = match field!(l, flock, l_whence, i16) as u32 {
        SEEK_SET => 0,
        SEEK_CUR => file.offset() as i64,
        SEEK_END => file.ops.size() as i64,
        _ => return Err(Errno::EINVAL),
    };
    let start = base.checked_add(field!(l, flock, l_start, i64)).ok_or(Errno::EOVERFLOW)?;
    let len = field!(l, flock, l_len, i64);
    let (start, end) = if len > 0 {
        let end = start.checked_add(len - 1).ok_or(Errno::EOVERFLOW)?;
        (start, end as u64)
    } else if len < 0 {
        let s = start.checked_add(len).ok_or(Errno::EINVAL)?;
        (s, (start - 1) as u64)
    } else {
        (start, u64::MAX)
    };
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Request { kind, start: start as u64, end })
}

fn getlk(c: &mut Ctx, fd: i32, p: UserPtr<Flock>, ofd: bool) -> SysResult {
    let file = crate::path::file_io(c, fd)?;
    let mut l = p.read(c.k.mem())?;
    if ofd && field!(l, flock, l_pid, i32) != 0 {
        return Err(Errno::EINVAL);
    }
    let req = decode(&file, &l)?;
    let kind = req.kind.ok_or(Errno::EINVAL)?;
    let owner = if ofd { file.lock_owner() } else { LockOwner::Process(c.p.pid) };
    let conflict = file.ops.inode().locks.lock().conflict(owner, kind, req.start, req.end);
    match conflict {
        None => set!(l, flock, l_type, F_UNLCK as i16),
        Some(h) => {
            set!(l, flock, l_type, if h.kind == LockKind::Read { F_RDLCK as i16 } else { F_WRLCK as i16 });
            set!(l, flock, l_whence, SEEK_SET as i16);
            set!(l, flock, l_start, h.start as i64);
            set!(l, flock, l_len, if h.end == u64::MAX { 0 } else { (h.end - h.start + 1) as i64 });
            set!(l, flock, l_pid, h.pid);
        }
    }
    p.write(c.k.mem(), &l).map(|_| 0)
}

fn setlk(c: &mut Ctx, fd: i32, p: UserPtr<Flock>, ofd: bool, wait: bool) -> SysResult {
    let file = crate::path::file_io(c, fd)?;
    let l = p.read(c.k.mem())?;
    if ofd && field!(l, flock, l_pid, i32) != 0 {
        return Err(Errno::EINVAL);
    }
    let req = decode(&file, &l)?;
    match req.kind {
        Some(LockKind::Read) if !file.readable() => return Err(Errno::EBADF),
        Some(LockKind::Write) if !file.writable() => return Err(Errno::EBADF),
        _ => {}
    }
    let (owner, pid) = if ofd { (file.lock_owner(), -1) } else { (LockOwner::Process(c.p.pid), c.p.pid) };
    let inode = file.ops.inode().clone();
    let attempt = |_: &mut Ctx| inode.locks.lock().set(owner, req.kind, req.start, req.end, pid);
    if wait { block_on(c, None, attempt).map(|_| 0) } else { attempt(c).map(|_| 0) }
}

/// fcntl(2).
pub fn fcntl(c: &mut Ctx, a: &Args) -> SysResult {
    let fd = a.fd(0);
    let cmd = a.uint(1);
    let arg = a.raw(2);
    // An O_PATH descriptor allows only duplication and the descriptor and status flags.
    if !matches!(cmd, F_DUPFD | F_DUPFD_CLOEXEC | F_GETFD | F_SETFD | F_GETFL) && c.p.fds.file(fd)?.is_path() {
        return Err(Errno::EBADF);
    }
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let file = c.p.fds.file(fd)?;
            let min = usize::try_from(arg as i64).map_err(|_| Errno::EINVAL)?;
            dup_from(c, file, min, cmd == F_DUPFD_CLOEXEC)
        }
        F_GETFD => Ok(if c.p.fds.get(fd)?.cloexec { FD_CLOEXEC as usize } else { 0 }),
        F_SETFD => {
            c.p.fds.get_mut(fd)?.cloexec = arg as u32 & FD_CLOEXEC != 0;
            Ok(0)
        }
        F_GETFL => Ok(c.p.fds.file(fd)?.flags() as usize),
        F_SETFL => {
            let file = crate::path::file_io(c, fd)?;
            file.set_flags(O_APPEND | O_NONBLOCK | FASYNC | O_DIRECT | O_NOATIME, arg as u32);
            let any: &dyn core::any::Any = &*file.ops;
            if let Some(p) = any.downcast_ref::<PipeEnd>() {
                p.set_packet(arg as u32 & O_DIRECT != 0);
            }
            Ok(0)
        }
        F_GETLK => getlk(c, fd, a.ptr(2), false),
        F_OFD_GETLK => getlk(c, fd, a.ptr(2), true),
        F_SETLK | F_SETLKW => setlk(c, fd, a.ptr(2), false, cmd == F_SETLKW),
        F_OFD_SETLK | F_OFD_SETLKW => setlk(c, fd, a.ptr(2), true, cmd == F_OFD_SETLKW),
        F_GETPIPE_SZ | F_SETPIPE_SZ => {
            let file = crate::path::file_io(c, fd)?;
            let any: &dyn core::any::Any = &*file.ops;
            let pipe = any.downcast_ref::<PipeEnd>().ok_or(Errno::EBADF)?;
            if cmd == F_GETPIPE_SZ { Ok(pipe.capacity()) } else { pipe.set_capacity(arg as u32 as u64) }
        }
        F_ADD_SEALS | F_GET_SEALS => {
            let file = crate::path::file_io(c, fd)?;
            let any: &dyn core::any::Any = &*file.ops;
            let f = any.downcast_ref::<RegularFile>().ok_or(Errno::EINVAL)?;
            if cmd == F_GET_SEALS {
                return Ok(f.seals() as usize);
            }
            if !file.writable() {
                return Err(Errno::EPERM);
            }
            if arg as u32 & linux_raw_sys::general::F_SEAL_WRITE != 0 && f.seals() & linux_raw_sys::general::F_SEAL_SEAL == 0 {
                let inode = file.ops.inode().clone();
                if c.k.shared_writable_mapping(&inode) {
                    return Err(Errno::EBUSY);
                }
            }
            f.add_seals(arg as u32).map(|_| 0)
        }
        F_GETOWN | F_GETSIG => {
            c.p.fds.get(fd)?;
            Ok(0)
        }
        F_SETOWN => {
            c.p.fds.get(fd)?;
            let pid = arg as i32;
            // Owners are processes or process groups; only ours exists.
            if pid == 0 || pid.unsigned_abs() as i32 == c.p.pid { Ok(0) } else { Err(Errno::ESRCH) }
        }
        F_SETSIG => {
            c.p.fds.get(fd)?;
            if arg > 64 { Err(Errno::EINVAL) } else { Ok(0) }
        }
        F_GETOWN_EX => {
            c.p.fds.get(fd)?;
            a.ptr::<[u8; 8]>(2).write(c.k.mem(), &[0; 8]).map(|_| 0)
        }
        F_GETLEASE => {
            crate::path::file_io(c, fd)?;
            Ok(F_UNLCK as usize)
        }
        F_SETLEASE => {
            let file = crate::path::file_io(c, fd)?;
            match arg as u32 {
                F_UNLCK => Ok(0),
                F_RDLCK if !file.writable() => Ok(0),
                F_RDLCK | F_WRLCK => Err(Errno::EAGAIN),
                _ => Err(Errno::EINVAL),
            }
        }
        F_DUPFD_QUERY => {
            let a_file = c.p.fds.file(fd)?;
            match c.p.fds.file(arg as i32) {
                Ok(b) => Ok(alloc::sync::Arc::ptr_eq(&a_file, &b) as usize),
                Err(_) => Err(Errno::EBADF),
            }
        }
        F_CREATED_QUERY => {
            c.p.fds.get(fd)?;
            Ok(0)
        }
        _ => {
            c.p.fds.get(fd)?;
            Err(Errno::EINVAL)
        }
    }
}
