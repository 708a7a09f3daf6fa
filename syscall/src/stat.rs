//! stat, lstat, fstat, newfstatat, statx (Linux's fs/stat.c).

use crate::path::{lookup_at_empty, read_path};
use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, UserPtr, linux_struct, set};
use elfin_posix::file::{Stat as PStat, Timespec, major, minor};
use elfin_posix::vfs::inode::FsKind;
use linux_raw_sys::general::{
    AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_DONT_SYNC, AT_STATX_FORCE_SYNC, AT_STATX_SYNC_TYPE,
    AT_SYMLINK_NOFOLLOW, STATX__RESERVED, STATX_ATTR_APPEND, STATX_ATTR_IMMUTABLE, STATX_ATTR_NODUMP, STATX_BASIC_STATS,
    STATX_BTIME, STATX_MNT_ID, STATX_MNT_ID_UNIQUE, stat, statx, statx_timestamp,
};

linux_struct!(
    /// `struct stat` of x86-64.
    Stat, stat
);
linux_struct!(
    /// `struct statx`.
    Statx, statx
);
linux_struct!(
    /// `struct statx_timestamp`.
    StatxTs, statx_timestamp
);

/// The `struct stat` image of `s`.
pub fn encode(s: &PStat) -> Stat {
    let mut o = Stat::default();
    set!(o, stat, st_dev, s.dev);
    set!(o, stat, st_ino, s.ino);
    set!(o, stat, st_nlink, s.nlink as u64);
    set!(o, stat, st_mode, s.mode);
    set!(o, stat, st_uid, s.uid);
    set!(o, stat, st_gid, s.gid);
    set!(o, stat, st_rdev, s.rdev);
    set!(o, stat, st_size, s.size as i64);
    set!(o, stat, st_blksize, s.blksize as i64);
    set!(o, stat, st_blocks, s.blocks as i64);
    set!(o, stat, st_atime, s.atime.sec as u64);
    set!(o, stat, st_atime_nsec, s.atime.nsec as u64);
    set!(o, stat, st_mtime, s.mtime.sec as u64);
    set!(o, stat, st_mtime_nsec, s.mtime.nsec as u64);
    set!(o, stat, st_ctime, s.ctime.sec as u64);
    set!(o, stat, st_ctime_nsec, s.ctime.nsec as u64);
    o
}

fn ts(t: Timespec) -> StatxTs {
    let mut o = StatxTs::default();
    set!(o, statx_timestamp, tv_sec, t.sec);
    set!(o, statx_timestamp, tv_nsec, t.nsec);
    o
}

/// A mount id per filesystem, as `statx` reports it.
fn mnt_id(kind: FsKind) -> u64 {
    match kind {
        FsKind::Tmpfs => 1,
        FsKind::Devtmpfs => 2,
        FsKind::Proc => 3,
        _ => 4,
    }
}

fn stat_path(c: &Ctx, dirfd: i32, path: &[u8], flags: u32) -> Result<(PStat, FsKind), Errno> {
    let r = lookup_at_empty(c, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0, flags & AT_EMPTY_PATH != 0)?;
    // A descriptor's own stat (AT_EMPTY_PATH) comes from the open file (pipes, consoles).
    if path.is_empty() && dirfd != AT_FDCWD {
        let f = c.p.fds.file(dirfd)?;
        return Ok((f.ops.stat(), r.inode.sb.kind));
    }
    Ok((r.inode.stat(), r.inode.sb.kind))
}

/// stat(2).
pub fn stat(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    let (s, _) = stat_path(c, AT_FDCWD, &path, 0)?;
    a.ptr::<Stat>(1).write(c.k.mem(), &encode(&s)).map(|_| 0)
}

/// lstat(2).
pub fn lstat(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    let (s, _) = stat_path(c, AT_FDCWD, &path, AT_SYMLINK_NOFOLLOW)?;
    a.ptr::<Stat>(1).write(c.k.mem(), &encode(&s)).map(|_| 0)
}

/// fstat(2).
pub fn fstat(c: &mut Ctx, a: &Args) -> SysResult {
    let f = c.p.fds.file(a.fd(0))?;
    let s = f.ops.stat();
    a.ptr::<Stat>(1).write(c.k.mem(), &encode(&s)).map(|_| 0)
}

/// newfstatat(2).
pub fn newfstatat(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(3, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)?;
    let path = read_path(c, a.cstr(1))?;
    let (s, _) = stat_path(c, a.fd(0), &path, flags)?;
    a.ptr::<Stat>(2).write(c.k.mem(), &encode(&s)).map(|_| 0)
}

/// statx(2): the basic fields, birth time and mount id.
pub fn statx(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(2, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)?;
    if flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE {
        return Err(Errno::EINVAL);
    }
    let _ = (AT_STATX_FORCE_SYNC, AT_STATX_DONT_SYNC);
    let mask = a.uint(3);
    if mask & STATX__RESERVED != 0 {
        return Err(Errno::EINVAL);
    }
    // A NULL path with AT_EMPTY_PATH names the descriptor (Linux 6.11).
    let path = if a.raw(1) == 0 && flags & AT_EMPTY_PATH != 0 { alloc::vec::Vec::new() } else { read_path(c, a.cstr(1))? };
    let (s, kind) = stat_path(c, a.fd(0), &path, flags)?;
    let mut o = Statx::default();
    let mut result = STATX_BASIC_STATS | STATX_MNT_ID;
    if matches!(kind, FsKind::Tmpfs | FsKind::Devtmpfs | FsKind::Memfd) {
        result |= STATX_BTIME;
        set!(o, statx, stx_attributes_mask, (STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP) as u64);
    }
    if mask & STATX_MNT_ID_UNIQUE != 0 {
        result = (result & !STATX_MNT_ID) | STATX_MNT_ID_UNIQUE;
    }
    set!(o, statx, stx_mask, result);
    set!(o, statx, stx_blksize, s.blksize);
    set!(o, statx, stx_nlink, s.nlink);
    set!(o, statx, stx_uid, s.uid);
    set!(o, statx, stx_gid, s.gid);
    set!(o, statx, stx_mode, s.mode as u16);
    set!(o, statx, stx_ino, s.ino);
    set!(o, statx, stx_size, s.size);
    set!(o, statx, stx_blocks, s.blocks);
    set!(o, statx, stx_atime, ts(s.atime).0);
    if result & STATX_BTIME != 0 {
        set!(o, statx, stx_btime, ts(s.btime).0);
    }
    set!(o, statx, stx_ctime, ts(s.ctime).0);
    set!(o, statx, stx_mtime, ts(s.mtime).0);
    set!(o, statx, stx_rdev_major, major(s.rdev));
    set!(o, statx, stx_rdev_minor, minor(s.rdev));
    set!(o, statx, stx_dev_major, major(s.dev));
    set!(o, statx, stx_dev_minor, minor(s.dev));
    set!(o, statx, stx_mnt_id, mnt_id(kind));
    UserPtr::<Statx>::new(a.raw(4)).write(c.k.mem(), &o).map(|_| 0)
}
