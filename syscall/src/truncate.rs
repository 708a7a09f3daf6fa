//! truncate, ftruncate, fallocate (Linux's fs/open.c).

use crate::path::{lookup_at, read_path};
use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::file::{FileOps, MAX_LFS, SeekKind};
use elfin_posix::vfs::files::RegularFile;
use elfin_posix::vfs::inode::permission;
use linux_raw_sys::general::{
    AT_FDCWD, FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE,
    FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_WRITE_ZEROES, FALLOC_FL_ZERO_RANGE,
};

/// truncate(2).
pub fn truncate(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    let len = a.raw(1) as i64;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let inode = lookup_at(c, AT_FDCWD, &path, true)?.inode;
    if inode.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !inode.is_regular() {
        return Err(Errno::EINVAL);
    }
    permission(&inode, c.p.creds.euid, c.p.creds.egid, 2)?;
    shrink_mappings(c, &inode, len as u64);
    RegularFile::new(inode).truncate(len as u64).map(|_| 0)
}

/// Before a file shrinks to `len`: its pages past the new end leave every mapping.
pub fn shrink_mappings(c: &mut Ctx, inode: &alloc::sync::Arc<elfin_posix::vfs::Inode>, len: u64) {
    let size = inode.stat().size;
    if len < size {
        c.k.file_shrink(inode, len.div_ceil(4096) * 4096, u64::MAX);
    }
}

/// ftruncate(2): the descriptor must be open for writing (`EINVAL` otherwise, as Linux).
pub fn ftruncate(c: &mut Ctx, a: &Args) -> SysResult {
    let len = a.raw(1) as i64;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let file = crate::path::file_io(c, a.fd(0))?;
    if !file.writable() || !file.ops.inode().is_regular() {
        return Err(Errno::EINVAL);
    }
    let inode = file.ops.inode().clone();
    shrink_mappings(c, &inode, len as u64);
    file.ops.truncate(len as u64).map(|_| 0)
}

/// fallocate(2): mode 0, `FALLOC_FL_KEEP_SIZE` and `FALLOC_FL_PUNCH_HOLE` (what tmpfs
/// supports); the other modes are `EOPNOTSUPP`, as on tmpfs.
pub fn fallocate(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    let (mode, off, len) = (a.uint(1), a.raw(2) as i64, a.raw(3) as i64);
    if off < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    let modes = FALLOC_FL_PUNCH_HOLE
        | FALLOC_FL_COLLAPSE_RANGE
        | FALLOC_FL_ZERO_RANGE
        | FALLOC_FL_INSERT_RANGE
        | FALLOC_FL_UNSHARE_RANGE
        | FALLOC_FL_WRITE_ZEROES;
    if mode & !(modes | FALLOC_FL_KEEP_SIZE) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    match mode & modes {
        0 | FALLOC_FL_ZERO_RANGE | FALLOC_FL_UNSHARE_RANGE => {}
        FALLOC_FL_PUNCH_HOLE if mode & FALLOC_FL_KEEP_SIZE != 0 => {}
        FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE if mode & FALLOC_FL_KEEP_SIZE == 0 => {}
        FALLOC_FL_WRITE_ZEROES if mode & FALLOC_FL_KEEP_SIZE == 0 => {}
        _ => return Err(Errno::EOPNOTSUPP),
    }
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    let inode = file.ops.inode().clone();
    if file.ops.seek_kind() == SeekKind::Stream && inode.file_type() == linux_raw_sys::general::S_IFIFO {
        return Err(Errno::ESPIPE);
    }
    if inode.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !inode.is_regular() {
        return Err(Errno::ENODEV);
    }
    if (off as u64).saturating_add(len as u64) > MAX_LFS {
        return Err(Errno::EFBIG);
    }
    if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if mode & FALLOC_FL_PUNCH_HOLE != 0 {
        // Whole pages of the hole leave the mappings; partial ones are zeroed in place.
        let (from, to) = ((off as u64).div_ceil(4096) * 4096, ((off + len) as u64) / 4096 * 4096);
        if from < to {
            c.k.file_shrink(&inode, from, to);
        }
    }
    file.ops.fallocate(mode, off as u64, len as u64).map(|_| 0)
}
