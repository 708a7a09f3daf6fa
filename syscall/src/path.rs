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
use elfin_posix::vfs::Inode;
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

/// Wait (through the kernel) until `ready` holds, retrying `attempt` each time it reports
/// `EAGAIN`: the blocking form of a non-blocking operation. `deadline`: monotonic ns, after
/// which `ETIMEDOUT`.
pub fn block_on<T>(c: &mut Ctx, deadline: Option<u64>, mut attempt: impl FnMut(&mut Ctx) -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match attempt(c) {
            Err(Errno::EAGAIN) => {}
            r => return r,
        }
        wait(c, deadline)?;
    }
}

/// Wait once for an event; `ETIMEDOUT` once `deadline` has passed.
pub fn wait(c: &mut Ctx, deadline: Option<u64>) -> Result<(), Errno> {
    if let Some(d) = deadline
        && c.k.now_ns(Clock::Monotonic) >= d
    {
        return Err(Errno::ETIMEDOUT);
    }
    c.k.wait_event(deadline)
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
