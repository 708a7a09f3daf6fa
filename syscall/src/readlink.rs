//! readlink and readlinkat: `/proc/self/exe` (the VFS issue adds real symlinks).

use crate::{Args, Ctx, SysResult};
use alloc::vec::Vec;
use elfin_abi::{Errno, UserCStr, UserSlice};

/// Linux's `PATH_MAX`.
pub const PATH_MAX: usize = 4096;

fn resolve(c: &Ctx, path: &[u8]) -> Result<Vec<u8>, Errno> {
    let mut abs = Vec::new();
    if !path.starts_with(b"/") {
        abs.extend_from_slice(&c.p.cwd);
        if !abs.ends_with(b"/") {
            abs.push(b'/');
        }
    }
    abs.extend_from_slice(path);
    let mut pid_dir = Vec::from(&b"/proc/"[..]);
    pid_dir.extend_from_slice(alloc::format!("{}/exe", c.p.pid).as_bytes());
    if abs == b"/proc/self/exe" || abs == b"/proc/thread-self/exe" || abs == pid_dir {
        return Ok(c.p.exe.clone());
    }
    Err(Errno::ENOENT)
}

fn readlink_common(c: &mut Ctx, path: UserCStr, buf: UserSlice, size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read(c.k.mem(), PATH_MAX)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let target = resolve(c, &path)?;
    let n = target.len().min(size as usize);
    buf.write(c.k.mem(), &target[..n])?;
    Ok(n)
}

/// readlink(2).
pub fn readlink(c: &mut Ctx, a: &Args) -> SysResult {
    readlink_common(c, a.cstr(0), a.slice(1, a.usize(2)), a.int(2))
}

/// readlinkat(2): relative paths resolve against the working directory (`AT_FDCWD`); other
/// directory descriptors need the VFS.
pub fn readlinkat(c: &mut Ctx, a: &Args) -> SysResult {
    readlink_common(c, a.cstr(1), a.slice(2, a.usize(3)), a.int(3))
}
