//! What the file syscalls share: reading a path argument (`PATH_MAX`, `EFAULT`), the
//! directory a `*at` call starts from (`AT_FDCWD` or a directory descriptor; ignored for
//! absolute paths, as Linux does), path resolution through `elfin_posix::vfs::path`, procfs's
//! view of the caller ([`ProcView`]), the [`KHost`] adapter that gives file objects the kernel
//! services they need, and waiting for a file to become ready ([`wait`]).

use crate::{Clock, Ctx, Kernel};
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::{Errno, UserCStr};
use elfin_posix::fd::FileRef;
use elfin_posix::file::{Host, HostClock, Stream};
use elfin_posix::process::Process;
use elfin_posix::vfs::path::{PATH_MAX, Resolved, Resolver};
use elfin_posix::vfs::procfs::{MapInfo, MemInfo, ProcSource};
use elfin_posix::thread::{WaitSpec, Wake};
use elfin_posix::vfs::Inode;
use elfin_posix::wait::FILE_EVENTS;
use linux_raw_sys::general::AT_FDCWD;

/// File objects' view of the kernel.
pub struct KHost<'a>(pub &'a mut dyn Kernel);

impl Host for KHost<'_> {
    fn now_ns(&mut self, clock: HostClock) -> u64 {
        self.0.now_ns(match clock {
            HostClock::Realtime => Clock::Realtime,
            HostClock::Monotonic => Clock::Monotonic,
        })
    }
    fn random(&mut self, buf: &mut [u8]) {
        self.0.fill_random(buf)
    }
    fn console_write(&mut self, stream: Stream, data: &[u8], tty: bool) {
        self.0.console_write(stream, data, tty)
    }
    fn console_read(&mut self, buf: &mut [u8]) -> usize {
        self.0.console_read(buf)
    }
    fn mem(&self) -> &dyn elfin_abi::UserMemory {
        self.0.mem()
    }
}

/// procfs's view of the calling process and the kernel.
pub struct ProcView<'a> {
    /// The process.
    pub p: &'a Process,
    /// The kernel.
    pub k: &'a dyn Kernel,
}

impl ProcSource for ProcView<'_> {
    fn process(&self) -> &Process {
        self.p
    }
    fn regions(&self) -> Vec<MapInfo> {
        self.k.regions()
    }
    fn mem(&self) -> MemInfo {
        self.k.mem_info()
    }
    fn uptime_ns(&self) -> u64 {
        self.k.now_ns(Clock::Monotonic)
    }
    fn cpus(&self) -> usize {
        self.k.cpus()
    }
}

/// Read a path argument: `EFAULT` for a bad pointer, `ENAMETOOLONG` from `PATH_MAX` bytes on.
pub fn read_path(c: &Ctx, p: UserCStr) -> Result<Vec<u8>, Errno> {
    let s = p.read(c.k.mem(), PATH_MAX)?;
    if s.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(s)
}

/// The directory a relative path of a `*at` call starts from: the working directory for
/// `AT_FDCWD`, else the descriptor's inode (`EBADF`, or `ENOTDIR` for a non-directory). An
/// absolute path ignores `dirfd`.
pub fn start_dir(c: &Ctx, dirfd: i32, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    if path.first() == Some(&b'/') {
        return Ok(c.p.fs.root.clone());
    }
    if dirfd == AT_FDCWD {
        return Ok(c.p.fs.cwd.clone());
    }
    let f = c.p.fds.file(dirfd)?;
    let inode = f.ops.inode().clone();
    if !inode.is_dir() && !path.is_empty() {
        return Err(Errno::ENOTDIR);
    }
    Ok(inode)
}

/// Run `f` with a resolver for the caller.
pub fn with_resolver<R>(c: &Ctx, f: impl FnOnce(&mut Resolver) -> R) -> R {
    let view = ProcView { p: c.p, k: &*c.k };
    let creds = c.p.creds;
    let mut r = Resolver::new(c.p.fs.root.clone(), Some(&view), creds.euid, creds.egid);
    f(&mut r)
}

/// Resolve `path` from `dirfd`; `follow`: follow a final symlink.
pub fn lookup_at(c: &Ctx, dirfd: i32, path: &[u8], follow: bool) -> Result<Resolved, Errno> {
    let start = start_dir(c, dirfd, path)?;
    with_resolver(c, |r| r.lookup(&start, path, follow))
}

/// The `*at` resolution with `AT_EMPTY_PATH` support: an empty path names `dirfd` itself
/// (any kind of file) when `empty_ok`, else `ENOENT`.
pub fn lookup_at_empty(c: &Ctx, dirfd: i32, path: &[u8], follow: bool, empty_ok: bool) -> Result<Resolved, Errno> {
    if path.is_empty() {
        if !empty_ok {
            return Err(Errno::ENOENT);
        }
        if dirfd == AT_FDCWD {
            let cwd = c.p.fs.cwd.clone();
            let path = elfin_posix::vfs::path::dir_path(&cwd).unwrap_or_default();
            return Ok(Resolved { inode: cwd, path });
        }
        let f = c.p.fds.file(dirfd)?;
        return Ok(Resolved { inode: f.ops.inode().clone(), path: f.path.clone() });
    }
    lookup_at(c, dirfd, path, follow)
}

/// The blocking form of a non-blocking operation: run `attempt`; if it would block
/// (`EAGAIN`), the thread waits for a file event (or until `deadline`, monotonic ns, then
/// `ETIMEDOUT`; or a signal: `EINTR`) and the whole syscall runs again, as the kernel's
/// restart model does (`Errno::RESTART`). `wake_at`: a time at which the condition may change
/// by itself (a timer), to look again then. Only call it before the syscall has changed
/// anything it cannot do again.
pub fn block_on<T>(
    c: &mut Ctx,
    deadline: Option<u64>,
    mut attempt: impl FnMut(&mut Ctx) -> Result<T, Errno>,
) -> Result<T, Errno> {
    block_on_until(c, deadline, None, &mut attempt)
}

/// [`block_on`] with a time at which to look again even without an event.
pub fn block_on_until<T>(
    c: &mut Ctx,
    deadline: Option<u64>,
    wake_at: Option<u64>,
    attempt: &mut dyn FnMut(&mut Ctx) -> Result<T, Errno>,
) -> Result<T, Errno> {
    let tid = c.p.tid;
    match attempt(c) {
        Err(Errno::EAGAIN) => {}
        r => {
            FILE_EVENTS.cancel(tid);
            return r;
        }
    }
    let t = c.p.thread_mut();
    // The deadline of the first run stands for the whole call (reruns recompute it).
    let deadline = match t.wait_deadline {
        Some(d) => Some(d),
        None => {
            t.wait_deadline = deadline;
            deadline
        }
    };
    match t.wake.take() {
        Some(Wake::Interrupted) => {
            FILE_EVENTS.cancel(tid);
            return Err(Errno::EINTR);
        }
        Some(Wake::Timeout) | None if deadline.is_some_and(|d| c.k.now_ns(Clock::Monotonic) >= d) => {
            FILE_EVENTS.cancel(tid);
            return Err(Errno::ETIMEDOUT);
        }
        _ => {}
    }
    FILE_EVENTS.register(tid);
    let when = match (deadline, wake_at) {
        (Some(d), Some(w)) => Some(d.min(w)),
        (d, w) => d.or(w),
    };
    c.p.thread_mut().wait = Some(WaitSpec { deadline: when });
    Err(Errno::RESTART)
}

/// The file behind `fd`, refusing `O_PATH` descriptors (`EBADF`), for calls that need a real
/// open file.
pub fn file_io(c: &Ctx, fd: i32) -> Result<FileRef, Errno> {
    let f = c.p.fds.file(fd)?;
    if f.is_path() {
        return Err(Errno::EBADF);
    }
    Ok(f)
}
