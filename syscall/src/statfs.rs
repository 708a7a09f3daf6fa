//! statfs and fstatfs: the in-memory filesystems' sizes from the memory budget.

use crate::path::{lookup_at, read_path};
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use elfin_abi::{linux_struct, set};
use elfin_posix::vfs::Inode;
use elfin_posix::vfs::inode::{FsKind, INODE_COST};
use linux_raw_sys::general::{AT_FDCWD, statfs as statfs_t};

linux_struct!(
    /// `struct statfs` of x86-64.
    Statfs, statfs_t
);

const ST_NOSUID: i64 = 2;
const ST_NODEV: i64 = 4;
const ST_NOEXEC: i64 = 8;
const ST_RELATIME: i64 = 0x400;
const ST_VALID: i64 = 0x20;

fn encode(inode: &Arc<Inode>) -> Statfs {
    let sb = &inode.sb;
    let mut s = Statfs::default();
    set!(s, statfs_t, f_type, sb.kind.magic() as i64);
    set!(s, statfs_t, f_bsize, 4096i64);
    set!(s, statfs_t, f_frsize, 4096i64);
    set!(s, statfs_t, f_namelen, 255i64);
    let mut flags = ST_VALID | ST_RELATIME;
    match sb.kind {
        FsKind::Tmpfs | FsKind::Devtmpfs | FsKind::Memfd => {
            let (cap, used) = (sb.budget.capacity(), sb.budget.used());
            let blocks = (cap / 4096) as i64;
            let free = (cap.saturating_sub(used) / 4096) as i64;
            set!(s, statfs_t, f_blocks, blocks);
            set!(s, statfs_t, f_bfree, free);
            set!(s, statfs_t, f_bavail, free);
            set!(s, statfs_t, f_files, (cap / INODE_COST) as i64);
            set!(s, statfs_t, f_ffree, (cap.saturating_sub(used) / INODE_COST) as i64);
            if sb.kind == FsKind::Devtmpfs {
                flags |= ST_NOSUID;
            }
        }
        FsKind::Proc => flags |= ST_NOSUID | ST_NODEV | ST_NOEXEC,
        _ => {}
    }
    set!(s, statfs_t, f_flags, flags);
    s
}

/// statfs(2).
pub fn statfs(c: &mut Ctx, a: &Args) -> SysResult {
    let path = read_path(c, a.cstr(0))?;
    let inode = lookup_at(c, AT_FDCWD, &path, true)?.inode;
    a.ptr::<Statfs>(1).write(c.k.mem(), &encode(&inode)).map(|_| 0)
}

/// fstatfs(2) (also on `O_PATH` descriptors).
pub fn fstatfs(c: &mut Ctx, a: &Args) -> SysResult {
    let inode = c.p.fds.file(a.fd(0))?.ops.inode().clone();
    a.ptr::<Statfs>(1).write(c.k.mem(), &encode(&inode)).map(|_| 0)
}

