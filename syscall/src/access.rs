//! access, faccessat, faccessat2: permission checks with the real ids (or the effective ones
//! with `AT_EACCESS`).

use crate::path::{lookup_at_empty, read_path};
use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, UserCStr};
use elfin_posix::vfs::inode::permission;
use linux_raw_sys::general::{AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};

fn access_common(c: &mut Ctx, dirfd: i32, path: UserCStr, mode: u32, flags: u32) -> SysResult {
    if mode & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = read_path(c, path)?;
    let r = lookup_at_empty(c, dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)?;
    if mode == 0 {
        return Ok(0);
    }
    let cr = c.p.creds;
    let (uid, gid) = if flags & AT_EACCESS != 0 { (cr.euid, cr.egid) } else { (cr.uid, cr.gid) };
    permission(&r.inode, uid, gid, mode).map(|_| 0)
}

/// access(2).
pub fn access(c: &mut Ctx, a: &Args) -> SysResult {
    access_common(c, AT_FDCWD, a.cstr(0), a.uint(1), 0)
}

/// faccessat(2) (no flags argument at the syscall level).
pub fn faccessat(c: &mut Ctx, a: &Args) -> SysResult {
    access_common(c, a.fd(0), a.cstr(1), a.uint(2), 0)
}

/// faccessat2(2).
pub fn faccessat2(c: &mut Ctx, a: &Args) -> SysResult {
    access_common(c, a.fd(0), a.cstr(1), a.uint(2), a.uint(3))
}
