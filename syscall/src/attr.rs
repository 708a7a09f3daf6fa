//! chmod, fchmod, fchmodat, fchmodat2, chown, fchown, lchown, fchownat: the mode and owner
//! of an inode (Linux's fs/open.c), with Linux's privilege rules (root may do anything; the
//! owner may chmod; set-id bits are cleared by chown of a non-directory).

use crate::path::{lookup_at_empty, read_path};
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use elfin_abi::{Errno, UserCStr};
use elfin_posix::vfs::{Body, Inode};
use linux_raw_sys::general::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, S_IFDIR, S_IFMT, S_ISGID, S_ISUID, S_IXGRP};

fn chmod_inode(c: &Ctx, inode: &Arc<Inode>, mode: u32) -> SysResult {
    if matches!(inode.body, Body::Proc(_)) {
        return Err(Errno::EPERM);
    }
    let euid = c.p.creds.euid;
    let mut m = inode.meta.lock();
    if euid != 0 && euid != m.uid {
        return Err(Errno::EPERM);
    }
    let mut mode = mode & 0o7777;
    // Not in the file's group and not root: the set-gid bit is dropped.
    if euid != 0 && c.p.creds.egid != m.gid {
        mode &= !S_ISGID;
    }
    m.mode = (m.mode & S_IFMT) | mode;
    drop(m);
    inode.touch_changed();
    Ok(0)
}

fn chown_inode(c: &Ctx, inode: &Arc<Inode>, uid: u32, gid: u32) -> SysResult {
    if matches!(inode.body, Body::Proc(_)) {
        return Err(Errno::EPERM);
    }
    let euid = c.p.creds.euid;
    let mut m = inode.meta.lock();
    let change_uid = uid != u32::MAX && uid != m.uid;
    let change_gid = gid != u32::MAX && gid != m.gid;
    if euid != 0 && (change_uid || (change_gid && (euid != m.uid || gid != c.p.creds.egid))) {
        return Err(Errno::EPERM);
    }
    if uid != u32::MAX {
        m.uid = uid;
    }
    if gid != u32::MAX {
        m.gid = gid;
    }
    if (uid != u32::MAX || gid != u32::MAX) && m.mode & S_IFMT != S_IFDIR {
        m.mode &= !S_ISUID;
        if m.mode & S_IXGRP != 0 {
            m.mode &= !S_ISGID;
        }
    }
    drop(m);
    inode.touch_changed();
    Ok(0)
}

fn chmod_at(c: &mut Ctx, dirfd: i32, path: UserCStr, mode: u32, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(c, path)?;
    let r = lookup_at_empty(c, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)?;
    if r.inode.is_symlink() {
        return Err(Errno::EOPNOTSUPP);
    }
    chmod_inode(c, &r.inode, mode)
}

/// chmod(2).
pub fn chmod(c: &mut Ctx, a: &Args) -> SysResult {
    chmod_at(c, AT_FDCWD, a.cstr(0), a.uint(1), 0)
}

/// fchmod(2).
pub fn fchmod(c: &mut Ctx, a: &Args) -> SysResult {
    let f = crate::path::file_io(c, a.fd(0))?;
    let inode = f.ops.inode().clone();
    chmod_inode(c, &inode, a.uint(1))
}

/// fchmodat(2).
pub fn fchmodat(c: &mut Ctx, a: &Args) -> SysResult {
    chmod_at(c, a.fd(0), a.cstr(1), a.uint(2), 0)
}

/// fchmodat2(2): `AT_SYMLINK_NOFOLLOW` on a symlink is `EOPNOTSUPP`, as on Linux.
pub fn fchmodat2(c: &mut Ctx, a: &Args) -> SysResult {
    chmod_at(c, a.fd(0), a.cstr(1), a.uint(2), a.uint(3))
}

fn chown_at(c: &mut Ctx, dirfd: i32, path: UserCStr, uid: u32, gid: u32, flags: u32) -> SysResult {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(c, path)?;
    let r = lookup_at_empty(c, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)?;
    chown_inode(c, &r.inode, uid, gid)
}

/// chown(2).
pub fn chown(c: &mut Ctx, a: &Args) -> SysResult {
    chown_at(c, AT_FDCWD, a.cstr(0), a.uint(1), a.uint(2), 0)
}

/// lchown(2).
pub fn lchown(c: &mut Ctx, a: &Args) -> SysResult {
    chown_at(c, AT_FDCWD, a.cstr(0), a.uint(1), a.uint(2), AT_SYMLINK_NOFOLLOW)
}

/// fchown(2).
pub fn fchown(c: &mut Ctx, a: &Args) -> SysResult {
    let f = crate::path::file_io(c, a.fd(0))?;
    let inode = f.ops.inode().clone();
    chown_inode(c, &inode, a.uint(1), a.uint(2))
}

/// fchownat(2).
pub fn fchownat(c: &mut Ctx, a: &Args) -> SysResult {
    chown_at(c, a.fd(0), a.cstr(1), a.uint(2), a.uint(3), a.uint(4))
}

/// umask(2): set the creation mask, return the old one.
pub fn umask(c: &mut Ctx, a: &Args) -> SysResult {
    let old = c.p.umask;
    c.p.umask = a.uint(0) & 0o777;
    Ok(old as usize)
}
