//! readlink and readlinkat: plain symlinks and procfs links (`/proc/self/exe`, `fd/N`...).

use crate::path::{ProcView, lookup_at, read_path};
use crate::{Args, Ctx, SysResult};
use alloc::vec::Vec;
use elfin_abi::{Errno, UserCStr, UserSlice};
use elfin_posix::vfs::Body;
use elfin_posix::vfs::procfs;
use linux_raw_sys::general::AT_FDCWD;

fn readlink_common(c: &mut Ctx, dirfd: i32, path: UserCStr, buf: UserSlice, size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(c, path)?;
    let inode = if path.is_empty() {
        // An empty path reads the symlink dirfd itself names (opened O_PATH | O_NOFOLLOW).
        if dirfd == AT_FDCWD {
            return Err(Errno::ENOENT);
        }
        let i = c.p.fds.file(dirfd)?.ops.inode().clone();
        if !i.is_symlink() {
            return Err(Errno::ENOENT);
        }
        i
    } else {
        lookup_at(c, dirfd, &path, false)?.inode
    };
    let target: Vec<u8> = match &inode.body {
        Body::Symlink(t) => t.clone(),
        Body::Proc(_) if inode.is_symlink() => procfs::readlink(&inode, &ProcView { p: c.p, k: &*c.k })?,
        _ => return Err(Errno::EINVAL),
    };
    inode.touch_accessed();
    let n = target.len().min(size as usize);
    buf.write(c.k.mem(), &target[..n])?;
    Ok(n)
}

/// readlink(2).
pub fn readlink(c: &mut Ctx, a: &Args) -> SysResult {
    readlink_common(c, AT_FDCWD, a.cstr(0), a.slice(1, a.usize(2)), a.int(2))
}

/// readlinkat(2).
pub fn readlinkat(c: &mut Ctx, a: &Args) -> SysResult {
    readlink_common(c, a.fd(0), a.cstr(1), a.slice(2, a.usize(3)), a.int(3))
}
