//! open, openat, openat2, creat (Linux's fs/open.c and the open part of fs/namei.c).
//!
//! The order of checks is Linux's: flags (`EINVAL`), the path argument (`EFAULT`,
//! `ENAMETOOLONG`, empty: `ENOENT`), a free descriptor (`EMFILE`), then the walk and the checks
//! of the file found (`EEXIST`, `EISDIR`, `ENOTDIR`, `ELOOP`, permissions), then truncation.

use crate::fd::{check_free, install};
use crate::path::{ProcView, block_on, read_path, start_dir, with_resolver};
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::{Errno, UserCStr, field, linux_struct};
use elfin_posix::fd::OpenFile;
use elfin_posix::pipe::PipeEnd;
use elfin_posix::vfs::dir;
use elfin_posix::vfs::files::open_inode;
use elfin_posix::vfs::inode::permission;
use elfin_posix::vfs::path::{Created, Resolved};
use elfin_posix::vfs::{Body, Inode};
use linux_raw_sys::general::{
    AT_FDCWD, O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECT, O_DIRECTORY, O_DSYNC, O_EXCL, O_LARGEFILE, O_NOATIME,
    O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_SYNC, O_TMPFILE, O_TRUNC, O_WRONLY, RESOLVE_BENEATH,
    RESOLVE_CACHED, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, S_IFREG, open_how,
};

/// `FASYNC`.
const FASYNC: u32 = linux_raw_sys::general::FASYNC;
/// `__O_TMPFILE` (O_TMPFILE without O_DIRECTORY).
const O_TMPFILE_BIT: u32 = O_TMPFILE & !O_DIRECTORY;
/// Linux's `VALID_OPEN_FLAGS`.
const VALID_OPEN_FLAGS: u32 = O_RDONLY
    | O_WRONLY
    | O_RDWR
    | O_CREAT
    | O_EXCL
    | O_NOCTTY
    | O_TRUNC
    | O_APPEND
    | O_NONBLOCK
    | O_DSYNC
    | FASYNC
    | O_DIRECT
    | O_LARGEFILE
    | O_DIRECTORY
    | O_NOFOLLOW
    | O_NOATIME
    | O_CLOEXEC
    | O_PATH
    | O_TMPFILE
    | O_SYNC;
/// Flags an `O_PATH` open keeps.
const O_PATH_FLAGS: u32 = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
/// `S_IALLUGO`.
const S_IALLUGO: u32 = 0o7777;

linux_struct!(
    /// `struct open_how` (openat2).
    OpenHow, open_how
);

/// Check and normalise open flags as Linux's `build_open_flags`; returns the flags to keep.
fn build_flags(flags: u32) -> Result<u32, Errno> {
    let mut flags = flags;
    if flags & O_TMPFILE_BIT != 0 {
        // O_TMPFILE needs O_DIRECTORY and write access, and excludes O_CREAT.
        if flags & O_TMPFILE != O_TMPFILE || flags & O_CREAT != 0 {
            return Err(Errno::EINVAL);
        }
        let acc = flags & O_ACCMODE;
        if acc != O_WRONLY && acc != O_RDWR {
            return Err(Errno::EINVAL);
        }
    } else if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & O_PATH != 0 {
        flags &= O_PATH_FLAGS;
    }
    // O_SYNC implies O_DSYNC (its bits include it).
    Ok(flags)
}

/// What the inode found by an open must allow, checked as Linux's `do_open`/`may_open`.
fn may_open(c: &Ctx, inode: &Arc<Inode>, flags: u32, created: bool) -> Result<(), Errno> {
    if flags & O_PATH != 0 {
        if flags & O_DIRECTORY != 0 && !inode.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        return Ok(());
    }
    if flags & O_DIRECTORY != 0 && !inode.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if inode.is_symlink() {
        return Err(Errno::ELOOP);
    }
    let acc = flags & O_ACCMODE;
    let write = acc == O_WRONLY || acc == O_RDWR || acc == O_ACCMODE || flags & O_TRUNC != 0;
    let read = acc == O_RDONLY || acc == O_RDWR || acc == O_ACCMODE;
    if inode.is_dir() && (write || flags & O_CREAT != 0) {
        return Err(Errno::EISDIR);
    }
    if !created {
        let mask = (if read { 4 } else { 0 }) | (if write { 2 } else { 0 });
        permission(inode, c.p.creds.euid, c.p.creds.egid, mask)?;
        // procfs files without write permission bits refuse writers even for root.
        if write && matches!(inode.body, Body::Proc(_)) && inode.meta.lock().mode & 0o222 == 0 {
            return Err(Errno::EACCES);
        }
    }
    Ok(())
}

/// Create a regular file `name` in `dir` with `mode` (after the umask), owned by the caller.
pub fn create_file(c: &Ctx, dir: &Arc<Inode>, name: &[u8], mode: u32) -> Result<Arc<Inode>, Errno> {
    if matches!(dir.body, Body::Proc(_)) {
        return Err(Errno::ENOENT);
    }
    permission(dir, c.p.creds.euid, c.p.creds.egid, 3)?;
    let body = c.p.fs.vfs.file_body();
    dir::create(dir, name, S_IFREG | (mode & S_IALLUGO & !c.p.umask), c.p.creds.euid, c.p.creds.egid, body)
}

/// The resolution restrictions of openat2 the resolver applies.
#[derive(Default, Clone, Copy)]
struct Restrict {
    resolve: u64,
}

fn open_common(c: &mut Ctx, dirfd: i32, path: UserCStr, flags: u32, mode: u32, restrict: Restrict) -> SysResult {
    let flags = build_flags(flags)?;
    let path = read_path(c, path)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    check_free(c)?;
    let start = start_dir(c, dirfd, &path)?;
    let start = if restrict.resolve & RESOLVE_IN_ROOT as u64 != 0 && path[0] == b'/' {
        // An absolute path starts at dirfd's directory, which acts as the root.
        if dirfd == AT_FDCWD { c.p.fs.cwd.clone() } else { c.p.fds.file(dirfd)?.ops.inode().clone() }
    } else {
        start
    };
    let mut created = false;
    let found: Resolved = with_resolver(c, |r| -> Result<Resolved, Errno> {
        r.restrict(restrict.resolve, &start);
        if flags & O_TMPFILE_BIT != 0 {
            let d = r.lookup(&start, &path, true)?;
            if !d.inode.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            return Ok(d);
        }
        if flags & O_CREAT != 0 {
            match r.open_create(&start, &path, flags & O_EXCL != 0, flags & O_NOFOLLOW != 0)? {
                Created::Existing(res) => Ok(res),
                Created::New { dir, name } => {
                    let inode = create_file(c, &dir, &name, mode)?;
                    created = true;
                    let path = elfin_posix::vfs::path::join(&dir, &name);
                    Ok(Resolved { inode, path })
                }
            }
        } else {
            r.lookup(&start, &path, flags & O_NOFOLLOW == 0)
        }
    })?;
    let (inode, path) = if flags & O_TMPFILE_BIT != 0 {
        // An unnamed file in that directory's filesystem, with no link: linkat can name it.
        permission(&found.inode, c.p.creds.euid, c.p.creds.egid, 3)?;
        let body = c.p.fs.vfs.file_body();
        let i = Inode::new(&found.inode.sb, S_IFREG | (mode & S_IALLUGO & !c.p.umask), c.p.creds.euid, c.p.creds.egid, body)?;
        i.meta.lock().nlink = 0;
        if flags & O_EXCL == 0
            && let Some(d) = i.data()
        {
            d.lock().linkable = true;
        }
        let mut p = found.path.clone();
        p.extend_from_slice(alloc::format!("/#{}", i.ino).as_bytes());
        created = true;
        (i, p)
    } else {
        (found.inode, found.path)
    };
    may_open(c, &inode, flags, created)?;
    if flags & O_TRUNC != 0 && !created && inode.is_regular() && flags & O_PATH == 0 {
        if let Some(d) = inode.data() {
            if d.lock().seals & (linux_raw_sys::general::F_SEAL_SHRINK | linux_raw_sys::general::F_SEAL_WRITE) != 0 {
                return Err(Errno::EPERM);
            }
            crate::truncate::shrink_mappings(c, &inode, 0);
            d.lock().truncate(0)?;
        }
        inode.touch_modified();
    }
    let ops = {
        let view = ProcView { p: c.p, k: &*c.k };
        open_inode(&inode, flags, &c.p.fs.vfs, &view)?
    };
    // A FIFO opened blocking waits for the other side.
    let any: &dyn core::any::Any = &*ops;
    if let Some(end) = any.downcast_ref::<PipeEnd>()
        && flags & O_NONBLOCK == 0
        && !end.has_partner()
    {
        block_on(c, None, |_| if end.has_partner() { Ok(()) } else { Err(Errno::EAGAIN) })?;
    }
    // What F_GETFL shows: creation flags are gone, O_LARGEFILE is forced on 64-bit.
    let kept = flags & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
    let kept = if flags & O_PATH != 0 { kept } else { kept | O_LARGEFILE };
    let kept = if flags & O_TMPFILE_BIT != 0 { kept & !O_DIRECTORY } else { kept };
    let file = OpenFile::new(ops, kept, path);
    install(c, file, flags & O_CLOEXEC != 0)
}

/// open(2).
pub fn open(c: &mut Ctx, a: &Args) -> SysResult {
    open_common(c, AT_FDCWD, a.cstr(0), a.uint(1) & VALID_OPEN_FLAGS, a.uint(2), Restrict::default())
}

/// openat(2).
pub fn openat(c: &mut Ctx, a: &Args) -> SysResult {
    open_common(c, a.fd(0), a.cstr(1), a.uint(2) & VALID_OPEN_FLAGS, a.uint(3), Restrict::default())
}

/// creat(2): `open(path, O_CREAT | O_WRONLY | O_TRUNC, mode)`.
pub fn creat(c: &mut Ctx, a: &Args) -> SysResult {
    open_common(c, AT_FDCWD, a.cstr(0), O_CREAT | O_WRONLY | O_TRUNC, a.uint(1), Restrict::default())
}

/// Size of the first version of `struct open_how`.
const OPEN_HOW_SIZE_VER0: usize = 24;

/// openat2(2): strict flag checking, and the `RESOLVE_*` restrictions.
pub fn openat2(c: &mut Ctx, a: &Args) -> SysResult {
    let size = a.usize(3);
    if size < OPEN_HOW_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let how: OpenHow = a.ptr::<OpenHow>(2).read(c.k.mem())?;
    if size > OPEN_HOW_SIZE_VER0 {
        // A newer struct: the bytes we do not know must be zero.
        let extra: Vec<u8> = a.slice(2, size).skip(OPEN_HOW_SIZE_VER0).read_vec(c.k.mem())?;
        if extra.iter().any(|&b| b != 0) {
            return Err(Errno::E2BIG);
        }
    }
    let flags = field!(how, open_how, flags, u64);
    let mode = field!(how, open_how, mode, u64);
    let resolve = field!(how, open_how, resolve, u64);
    if flags & !(VALID_OPEN_FLAGS as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    let flags = flags as u32;
    if flags & (O_CREAT | O_TMPFILE_BIT) != 0 {
        if mode & !(S_IALLUGO as u64) != 0 {
            return Err(Errno::EINVAL);
        }
    } else if mode != 0 {
        return Err(Errno::EINVAL);
    }
    let known = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
    if resolve & !(known as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    if resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) as u64 == (RESOLVE_BENEATH | RESOLVE_IN_ROOT) as u64 {
        return Err(Errno::EINVAL);
    }
    if resolve & RESOLVE_CACHED as u64 != 0 && flags & (O_TRUNC | O_CREAT | O_TMPFILE_BIT) != 0 {
        return Err(Errno::EAGAIN);
    }
    open_common(c, a.fd(0), a.cstr(1), flags, mode as u32, Restrict { resolve })
}
