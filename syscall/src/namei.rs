//! The namespace calls (Linux's fs/namei.c): mkdir, mkdirat, mknod, mknodat, rmdir, unlink,
//! unlinkat, rename, renameat, renameat2, link, linkat, symlink, symlinkat, with Linux's
//! rules for the last component (`.`/`..`, trailing slashes) and its order of checks.

use crate::path::{lookup_at_empty, read_path, start_dir, with_resolver};
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::{Errno, UserCStr};
use elfin_posix::vfs::dir::{self, RENAME_FLAGS};
use elfin_posix::vfs::inode::permission;
use elfin_posix::vfs::path::{Last, Parent};
use elfin_posix::vfs::{Body, Inode};
use linux_raw_sys::general::{
    AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT,
    S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
};

fn parent_at(c: &Ctx, dirfd: i32, path: &[u8]) -> Result<Parent, Errno> {
    let start = start_dir(c, dirfd, path)?;
    with_resolver(c, |r| r.walk_parent(&start, path))
}

/// May the caller add or remove entries of `dir`? (Write and search permission.)
fn may_modify(c: &Ctx, dir: &Arc<Inode>) -> Result<(), Errno> {
    permission(dir, c.p.creds.euid, c.p.creds.egid, 3)
}

/// Linux's `filename_create`: the parent and the new name. `EEXIST` for `.`/`..`/`/` or an
/// existing name; a trailing slash is only for directories (`ENOENT` otherwise).
fn create_target(c: &Ctx, dirfd: i32, path: &[u8], is_dir: bool) -> Result<(Arc<Inode>, Vec<u8>), Errno> {
    let p = parent_at(c, dirfd, path)?;
    let Last::Name(name) = p.last else { return Err(Errno::EEXIST) };
    match with_resolver(c, |r| r.child(&p.dir, &name)) {
        Ok(_) => return Err(Errno::EEXIST),
        Err(Errno::ENOENT) => {}
        Err(e) => return Err(e),
    }
    if matches!(p.dir.body, Body::Proc(_)) {
        // procfs lookups of unknown names fail; nothing can be created there.
        return Err(Errno::ENOENT);
    }
    if p.trailing && !is_dir {
        return Err(Errno::ENOENT);
    }
    may_modify(c, &p.dir)?;
    Ok((p.dir, name))
}

fn mkdir_common(c: &mut Ctx, dirfd: i32, path: UserCStr, mode: u32) -> SysResult {
    let path = read_path(c, path)?;
    let (d, name) = create_target(c, dirfd, &path, true)?;
    let mode = S_IFDIR | (mode & 0o1777 & !c.p.umask);
    dir::create(&d, &name, mode, c.p.creds.euid, c.p.creds.egid, Body::Dir(Default::default())).map(|_| 0)
}

/// mkdir(2).
pub fn mkdir(c: &mut Ctx, a: &Args) -> SysResult {
    mkdir_common(c, AT_FDCWD, a.cstr(0), a.uint(1))
}

/// mkdirat(2).
pub fn mkdirat(c: &mut Ctx, a: &Args) -> SysResult {
    mkdir_common(c, a.fd(0), a.cstr(1), a.uint(2))
}

fn mknod_common(c: &mut Ctx, dirfd: i32, path: UserCStr, mode: u32, dev: u64) -> SysResult {
    let path = read_path(c, path)?;
    let ty = match mode & S_IFMT {
        0 => S_IFREG,
        S_IFDIR => return Err(Errno::EPERM),
        t @ (S_IFREG | S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK) => t,
        _ => return Err(Errno::EINVAL),
    };
    let (d, name) = create_target(c, dirfd, &path, false)?;
    let perm = mode & 0o7777 & !c.p.umask;
    let body = match ty {
        S_IFREG => c.p.fs.vfs.file_body(),
        S_IFIFO => Body::Fifo(Default::default()),
        S_IFSOCK => Body::Socket,
        _ => Body::Device,
    };
    let inode = dir::create(&d, &name, ty | perm, c.p.creds.euid, c.p.creds.egid, body)?;
    if ty == S_IFCHR || ty == S_IFBLK {
        // The 32-bit `dev_t` of the syscall: major in bits 8-19, minor in 0-7 and 20-31.
        let dev = dev as u32;
        inode.meta.lock().rdev = elfin_posix::file::makedev((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00));
    }
    Ok(0)
}

/// mknod(2).
pub fn mknod(c: &mut Ctx, a: &Args) -> SysResult {
    mknod_common(c, AT_FDCWD, a.cstr(0), a.uint(1), a.raw(2))
}

/// mknodat(2).
pub fn mknodat(c: &mut Ctx, a: &Args) -> SysResult {
    mknod_common(c, a.fd(0), a.cstr(1), a.uint(2), a.raw(3))
}

/// Is `child` (an entry of `dir`) the root of another filesystem (`/dev`, `/proc`)?
fn is_mountpoint(dir: &Arc<Inode>, child: &Arc<Inode>) -> bool {
    !Arc::ptr_eq(&dir.sb, &child.sb)
}

fn rmdir_at(c: &mut Ctx, dirfd: i32, path: &[u8]) -> SysResult {
    let p = parent_at(c, dirfd, path)?;
    let name = match p.last {
        Last::Name(n) => n,
        Last::Dot => return Err(Errno::EINVAL),
        Last::DotDot => return Err(Errno::ENOTEMPTY),
        Last::Root => return Err(Errno::EBUSY),
    };
    let child = with_resolver(c, |r| r.child(&p.dir, &name))?;
    may_modify(c, &p.dir)?;
    if !child.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if is_mountpoint(&p.dir, &child) || Arc::ptr_eq(&child, &c.p.fs.root) {
        return Err(Errno::EBUSY);
    }
    if matches!(p.dir.body, Body::Proc(_)) {
        return Err(Errno::EPERM);
    }
    dir::rmdir(&p.dir, &name).map(|_| 0)
}

fn unlink_at(c: &mut Ctx, dirfd: i32, path: &[u8]) -> SysResult {
    let p = parent_at(c, dirfd, path)?;
    let Last::Name(name) = p.last else { return Err(Errno::EISDIR) };
    let child = with_resolver(c, |r| r.child(&p.dir, &name))?;
    if p.trailing {
        return Err(if child.is_dir() { Errno::EISDIR } else { Errno::ENOTDIR });
    }
    may_modify(c, &p.dir)?;
    if child.is_dir() {
        return Err(Errno::EISDIR);
    }
    if matches!(p.dir.body, Body::Proc(_)) {
        return Err(Errno::EPERM);
    }
    dir::unlink(&p.dir, &name).map(|_| 0)
}

/// rmdir(2).
pub fn rmdir(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    rmdir_at(c, AT_FDCWD, &path)
}

/// unlink(2).
pub fn unlink(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    unlink_at(c, AT_FDCWD, &path)
}

/// unlinkat(2): `AT_REMOVEDIR` makes it rmdir.
pub fn unlinkat(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(2, AT_REMOVEDIR)?;
    let path = read_path(c, a.cstr(1))?;
    if flags & AT_REMOVEDIR != 0 { rmdir_at(c, a.fd(0), &path) } else { unlink_at(c, a.fd(0), &path) }
}

fn rename_common(c: &mut Ctx, odfd: i32, opath: UserCStr, ndfd: i32, npath: UserCStr, flags: u32) -> SysResult {
    if flags & !RENAME_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0 && flags & RENAME_EXCHANGE != 0 {
        return Err(Errno::EINVAL);
    }
    let opath = read_path(c, opath)?;
    let npath = read_path(c, npath)?;
    let op = parent_at(c, odfd, &opath)?;
    let np = parent_at(c, ndfd, &npath)?;
    if !Arc::ptr_eq(&op.dir.sb, &np.dir.sb) {
        return Err(Errno::EXDEV);
    }
    let Last::Name(oname) = op.last else { return Err(Errno::EBUSY) };
    let Last::Name(nname) = np.last else {
        return Err(if flags & RENAME_NOREPLACE != 0 { Errno::EEXIST } else { Errno::EBUSY });
    };
    let old = with_resolver(c, |r| r.child(&op.dir, &oname))?;
    let new = match with_resolver(c, |r| r.child(&np.dir, &nname)) {
        Ok(i) => Some(i),
        Err(Errno::ENOENT) => None,
        Err(e) => return Err(e),
    };
    if flags & RENAME_NOREPLACE != 0 && new.is_some() {
        return Err(Errno::EEXIST);
    }
    if flags & RENAME_EXCHANGE != 0 {
        let Some(n) = &new else { return Err(Errno::ENOENT) };
        if !n.is_dir() && np.trailing {
            return Err(Errno::ENOTDIR);
        }
    }
    if !old.is_dir() && (op.trailing || (flags & RENAME_EXCHANGE == 0 && np.trailing)) {
        return Err(Errno::ENOTDIR);
    }
    may_modify(c, &op.dir)?;
    may_modify(c, &np.dir)?;
    if is_mountpoint(&op.dir, &old) || new.as_ref().is_some_and(|n| is_mountpoint(&np.dir, n)) {
        return Err(Errno::EBUSY);
    }
    if matches!(op.dir.body, Body::Proc(_)) {
        return Err(Errno::EPERM);
    }
    dir::rename(&op.dir, &oname, &np.dir, &nname, flags).map(|_| 0)
}

/// rename(2).
pub fn rename(c: &mut Ctx, a: &Args) -> SysResult {
    rename_common(c, AT_FDCWD, a.cstr(0), AT_FDCWD, a.cstr(1), 0)
}

/// renameat(2).
pub fn renameat(c: &mut Ctx, a: &Args) -> SysResult {
    rename_common(c, a.fd(0), a.cstr(1), a.fd(2), a.cstr(3), 0)
}

/// renameat2(2): `RENAME_NOREPLACE`, `RENAME_EXCHANGE` (`RENAME_WHITEOUT`: `EINVAL`).
pub fn renameat2(c: &mut Ctx, a: &Args) -> SysResult {
    rename_common(c, a.fd(0), a.cstr(1), a.fd(2), a.cstr(3), a.uint(4))
}

fn link_common(c: &mut Ctx, odfd: i32, opath: UserCStr, ndfd: i32, npath: UserCStr, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let opath = read_path(c, opath)?;
    let npath = read_path(c, npath)?;
    let old = lookup_at_empty(c, odfd, &opath, flags & AT_SYMLINK_FOLLOW != 0, flags & AT_EMPTY_PATH != 0)?.inode;
    let (d, name) = create_target(c, ndfd, &npath, false)?;
    if !Arc::ptr_eq(&d.sb, &old.sb) {
        return Err(Errno::EXDEV);
    }
    if old.is_dir() {
        return Err(Errno::EPERM);
    }
    if matches!(old.body, Body::Proc(_) | Body::Anon | Body::Shared(_)) {
        return Err(Errno::EXDEV);
    }
    if old.meta.lock().nlink == 0 {
        // A removed file cannot get a name back; an O_TMPFILE file opened without O_EXCL
        // can, once.
        let d = old.data().ok_or(Errno::ENOENT)?;
        let mut d = d.lock();
        if !d.linkable {
            return Err(Errno::ENOENT);
        }
        d.linkable = false;
    }
    dir::add(&d, &name, &old, true).map(|_| 0)
}

/// link(2).
pub fn link(c: &mut Ctx, a: &Args) -> SysResult {
    link_common(c, AT_FDCWD, a.cstr(0), AT_FDCWD, a.cstr(1), 0)
}

/// linkat(2): `AT_SYMLINK_FOLLOW`, `AT_EMPTY_PATH` (names an O_TMPFILE file).
pub fn linkat(c: &mut Ctx, a: &Args) -> SysResult {
    link_common(c, a.fd(0), a.cstr(1), a.fd(2), a.cstr(3), a.uint(4))
}

fn symlink_common(c: &mut Ctx, target: UserCStr, dfd: i32, path: UserCStr) -> SysResult {
    let target = read_path(c, target)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    let path = read_path(c, path)?;
    let (d, name) = create_target(c, dfd, &path, false)?;
    dir::create(&d, &name, S_IFLNK | 0o777, c.p.creds.euid, c.p.creds.egid, Body::Symlink(target)).map(|_| 0)
}

/// symlink(2).
pub fn symlink(c: &mut Ctx, a: &Args) -> SysResult {
    symlink_common(c, a.cstr(0), AT_FDCWD, a.cstr(1))
}

/// symlinkat(2).
pub fn symlinkat(c: &mut Ctx, a: &Args) -> SysResult {
    symlink_common(c, a.cstr(0), a.fd(1), a.cstr(2))
}
