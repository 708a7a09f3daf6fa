//! sync, syncfs, fsync, fdatasync, sync_file_range: everything lives in memory, so these
//! only check their arguments as Linux does.

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;

/// sync(2).
pub fn sync(_: &mut Ctx, _: &Args) -> SysResult {
    Ok(0)
}

/// syncfs(2).
pub fn syncfs(c: &mut Ctx, a: &Args) -> SysResult {
    crate::path::file_io(c, a.fd(0)).map(|_| 0)
}

/// fsync(2) and fdatasync(2): files and directories of the memory filesystems have nothing
/// to write back; other objects (pipes, devices, consoles, procfs) have no fsync: `EINVAL`.
pub fn fsync(c: &mut Ctx, a: &Args) -> SysResult {
    let f = crate::path::file_io(c, a.fd(0))?;
    let inode = f.ops.inode();
    let syncable = (inode.is_regular() || inode.is_dir()) && inode.sb.kind != elfin_posix::vfs::inode::FsKind::Proc;
    if syncable { Ok(0) } else { Err(Errno::EINVAL) }
}

/// sync_file_range(2).
pub fn sync_file_range(c: &mut Ctx, a: &Args) -> SysResult {
    let (off, n, flags) = (a.raw(1) as i64, a.raw(2) as i64, a.uint(3));
    if flags & !7 != 0 || off < 0 || n < 0 || off.checked_add(n).is_none() {
        return Err(Errno::EINVAL);
    }
    let f = crate::path::file_io(c, a.fd(0))?;
    let t = f.ops.inode().file_type();
    if !matches!(t, linux_raw_sys::general::S_IFREG | linux_raw_sys::general::S_IFDIR | linux_raw_sys::general::S_IFBLK | linux_raw_sys::general::S_IFLNK) {
        return Err(Errno::ESPIPE);
    }
    Ok(0)
}
