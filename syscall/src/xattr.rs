//! The extended-attribute calls (Linux's fs/xattr.c): getxattr, lgetxattr, fgetxattr,
//! setxattr, lsetxattr, fsetxattr, listxattr, llistxattr, flistxattr, removexattr,
//! lremovexattr, fremovexattr, over `elfin_posix::vfs::xattr`.

use crate::path::{lookup_at, read_path};
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::{Errno, UserCStr};
use elfin_posix::vfs::Inode;
use elfin_posix::vfs::xattr::{self, NAME_MAX, SIZE_MAX};
use linux_raw_sys::general::{AT_FDCWD, XATTR_CREATE, XATTR_REPLACE};

/// The inode a path (`follow`: the last symlink followed) or a descriptor names.
enum Target {
    Path(u64, bool),
    Fd(i32),
}

fn inode(c: &Ctx, t: Target) -> Result<Arc<Inode>, Errno> {
    match t {
        Target::Path(p, follow) => {
            let path = read_path(c, UserCStr::new(p))?;
            Ok(lookup_at(c, AT_FDCWD, &path, follow)?.inode)
        }
        Target::Fd(fd) => Ok(crate::path::file_io(c, fd)?.ops.inode().clone()),
    }
}

/// An attribute name: `ERANGE` when empty or longer than `NAME_MAX`.
fn name(c: &Ctx, p: u64) -> Result<Vec<u8>, Errno> {
    let n = UserCStr::new(p).read(c.k.mem(), NAME_MAX + 1).map_err(|e| if e == Errno::ENAMETOOLONG { Errno::ERANGE } else { e })?;
    if n.is_empty() || n.len() > NAME_MAX {
        return Err(Errno::ERANGE);
    }
    Ok(n)
}

fn get(c: &mut Ctx, a: &Args, t: Target) -> SysResult {
    let n = name(c, a.raw(1))?;
    let i = inode(c, t)?;
    let v = xattr::get(&i, &n)?;
    let size = a.usize(3);
    if size == 0 {
        return Ok(v.len());
    }
    if size < v.len() {
        return Err(Errno::ERANGE);
    }
    a.slice(2, v.len()).write(c.k.mem(), &v)?;
    Ok(v.len())
}

fn set(c: &mut Ctx, a: &Args, t: Target) -> SysResult {
    let flags = a.flags(4, XATTR_CREATE | XATTR_REPLACE)?;
    let n = name(c, a.raw(1))?;
    let size = a.usize(3);
    if size > SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let v = a.slice(2, size).read_vec(c.k.mem())?;
    let i = inode(c, t)?;
    xattr::set(&i, &n, &v, flags).map(|_| 0)
}

fn list(c: &mut Ctx, a: &Args, t: Target) -> SysResult {
    let i = inode(c, t)?;
    let l = xattr::list(&i);
    let size = a.usize(2);
    if size == 0 {
        return Ok(l.len());
    }
    if size < l.len() {
        return Err(Errno::ERANGE);
    }
    a.slice(1, l.len()).write(c.k.mem(), &l)?;
    Ok(l.len())
}

fn remove(c: &mut Ctx, a: &Args, t: Target) -> SysResult {
    let n = name(c, a.raw(1))?;
    let i = inode(c, t)?;
    xattr::remove(&i, &n).map(|_| 0)
}

/// getxattr(2).
pub fn getxattr(c: &mut Ctx, a: &Args) -> SysResult {
    get(c, a, Target::Path(a.raw(0), true))
}
/// lgetxattr(2).
pub fn lgetxattr(c: &mut Ctx, a: &Args) -> SysResult {
    get(c, a, Target::Path(a.raw(0), false))
}
/// fgetxattr(2).
pub fn fgetxattr(c: &mut Ctx, a: &Args) -> SysResult {
    get(c, a, Target::Fd(a.fd(0)))
}
/// setxattr(2).
pub fn setxattr(c: &mut Ctx, a: &Args) -> SysResult {
    set(c, a, Target::Path(a.raw(0), true))
}
/// lsetxattr(2).
pub fn lsetxattr(c: &mut Ctx, a: &Args) -> SysResult {
    set(c, a, Target::Path(a.raw(0), false))
}
/// fsetxattr(2).
pub fn fsetxattr(c: &mut Ctx, a: &Args) -> SysResult {
    set(c, a, Target::Fd(a.fd(0)))
}
/// listxattr(2).
pub fn listxattr(c: &mut Ctx, a: &Args) -> SysResult {
    list(c, a, Target::Path(a.raw(0), true))
}
/// llistxattr(2).
pub fn llistxattr(c: &mut Ctx, a: &Args) -> SysResult {
    list(c, a, Target::Path(a.raw(0), false))
}
/// flistxattr(2).
pub fn flistxattr(c: &mut Ctx, a: &Args) -> SysResult {
    list(c, a, Target::Fd(a.fd(0)))
}
/// removexattr(2).
pub fn removexattr(c: &mut Ctx, a: &Args) -> SysResult {
    remove(c, a, Target::Path(a.raw(0), true))
}
/// lremovexattr(2).
pub fn lremovexattr(c: &mut Ctx, a: &Args) -> SysResult {
    remove(c, a, Target::Path(a.raw(0), false))
}
/// fremovexattr(2).
pub fn fremovexattr(c: &mut Ctx, a: &Args) -> SysResult {
    remove(c, a, Target::Fd(a.fd(0)))
}
