//! fstat and newfstatat on open descriptors (the console streams and captured stdin).

use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, linux_struct, set};
use elfin_posix::fd::{FileKind, Stream};
use linux_raw_sys::general::{AT_EMPTY_PATH, AT_NO_AUTOMOUNT, AT_SYMLINK_NOFOLLOW, S_IFCHR, S_IFIFO, stat};

linux_struct!(
    /// `struct stat` of x86-64.
    Stat, stat
);

/// The stat of an open descriptor.
fn stat_fd(c: &Ctx, fd: i32) -> Result<Stat, Errno> {
    let file = c.p.fds.file(fd)?;
    let f = file.lock();
    let mut s = Stat::default();
    let ino = match &f.kind {
        FileKind::Console { stream: Stream::Stdin, .. } | FileKind::Bytes(_) => 3u64,
        FileKind::Console { stream: Stream::Stdout, .. } => 4,
        FileKind::Console { stream: Stream::Stderr, .. } => 5,
    };
    match &f.kind {
        FileKind::Console { tty: true, .. } => {
            // A pseudo-terminal: /dev/pts/0 (major 136, minor 0), owned by root, group tty (5).
            set!(s, stat, st_mode, S_IFCHR | 0o620);
            set!(s, stat, st_rdev, 136u64 << 8);
            set!(s, stat, st_blksize, 1024i64);
            set!(s, stat, st_gid, 5u32);
            set!(s, stat, st_dev, 0x18u64);
        }
        _ => {
            // The read or write end of a pipe.
            set!(s, stat, st_mode, S_IFIFO | 0o600);
            set!(s, stat, st_blksize, 4096i64);
            set!(s, stat, st_dev, 0x0eu64);
        }
    }
    set!(s, stat, st_ino, ino);
    set!(s, stat, st_nlink, 1u64);
    Ok(s)
}

/// fstat(2).
pub fn fstat(c: &mut Ctx, a: &Args) -> SysResult {
    let s = stat_fd(c, a.fd(0))?;
    a.ptr::<Stat>(1).write(c.k.mem(), &s).map(|_| 0)
}

/// newfstatat(2): `AT_EMPTY_PATH` on a descriptor; paths need the VFS (ENOENT until then).
pub fn newfstatat(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(3, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)?;
    let path = a.cstr(1).read(c.k.mem(), 4096)?;
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        let s = stat_fd(c, a.fd(0))?;
        return a.ptr::<Stat>(2).write(c.k.mem(), &s).map(|_| 0);
    }
    Err(Errno::ENOENT)
}
