//! getcwd, chdir, fchdir, chroot.

use crate::path::{lookup_at, read_path};
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use elfin_abi::Errno;
use elfin_posix::vfs::Inode;
use elfin_posix::vfs::inode::permission;
use elfin_posix::vfs::path::dir_path_in;
use linux_raw_sys::general::AT_FDCWD;

/// getcwd(2): the path and its NUL; `ERANGE` when the buffer is too small, `ENOENT` once the
/// directory was removed.
pub fn getcwd(c: &mut Ctx, a: &Args) -> SysResult {
    let mut path = dir_path_in(&c.p.fs.cwd, Some(&c.p.fs.root))?;
    path.push(0);
    if a.usize(1) < path.len() {
        return Err(Errno::ERANGE);
    }
    a.slice(0, path.len()).write(c.k.mem(), &path)?;
    Ok(path.len())
}

fn set_cwd(c: &mut Ctx, dir: Arc<Inode>) -> SysResult {
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    permission(&dir, c.p.creds.euid, c.p.creds.egid, 1)?;
    c.p.fs.cwd = dir;
    Ok(0)
}

/// chdir(2).
pub fn chdir(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    let dir = lookup_at(c, AT_FDCWD, &path, true)?.inode;
    set_cwd(c, dir)
}

/// chroot(2): the process's `/` becomes `path` (root may; the working directory stays, as on
/// Linux, possibly outside the new root).
pub fn chroot(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    let dir = lookup_at(c, AT_FDCWD, &path, true)?.inode;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    permission(&dir, c.p.creds.euid, c.p.creds.egid, 1)?;
    if c.p.creds.euid != 0 {
        return Err(Errno::EPERM);
    }
    c.p.fs.root = dir;
    Ok(0)
}

/// fchdir(2) (also through an `O_PATH` descriptor).
pub fn fchdir(c: &mut Ctx, a: &Args) -> SysResult {
    let dir = c.p.fds.file(a.fd(0))?.ops.inode().clone();
    set_cwd(c, dir)
}
