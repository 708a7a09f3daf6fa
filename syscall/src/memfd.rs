//! memfd_create(2) (Linux's mm/memfd.c): an unnamed regular file in memory, with sealing.

use crate::fd::{check_free, install};
use crate::path::read_path;
use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::fd::OpenFile;
use elfin_posix::vfs::Inode;
use elfin_posix::vfs::files::RegularFile;
use linux_raw_sys::general::{
    F_SEAL_EXEC, F_SEAL_SEAL, MFD_ALLOW_SEALING, MFD_CLOEXEC, MFD_EXEC, MFD_HUGETLB, MFD_NOEXEC_SEAL, O_LARGEFILE, O_RDWR, S_IFREG,
};

/// Longest name (`NAME_MAX` minus the `memfd:` prefix).
const MFD_NAME_MAX: usize = 255 - 6;

/// memfd_create(2). `MFD_HUGETLB` is refused (`EINVAL`): there are no huge pages.
pub fn memfd_create(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.uint(1);
    let known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
    if flags & !known != 0 && flags & MFD_HUGETLB == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MFD_HUGETLB != 0 || (flags & MFD_EXEC != 0 && flags & MFD_NOEXEC_SEAL != 0) {
        return Err(Errno::EINVAL);
    }
    let name = read_path(c, a.cstr(0)).map_err(|e| if e == Errno::ENAMETOOLONG { Errno::EINVAL } else { e })?;
    if name.len() > MFD_NAME_MAX {
        return Err(Errno::EINVAL);
    }
    check_free(c)?;
    let vfs = c.p.fs.vfs.clone();
    let mode = if flags & MFD_NOEXEC_SEAL != 0 { 0o666 } else { 0o777 };
    let inode = Inode::new(&vfs.memfd, S_IFREG | mode, c.p.creds.euid, c.p.creds.egid, vfs.file_body())?;
    inode.meta.lock().nlink = 0;
    if let Some(d) = inode.data() {
        let mut d = d.lock();
        d.seals = if flags & MFD_NOEXEC_SEAL != 0 {
            F_SEAL_EXEC
        } else if flags & MFD_ALLOW_SEALING != 0 {
            0
        } else {
            F_SEAL_SEAL
        };
    }
    let mut path = b"/memfd:".to_vec();
    path.extend_from_slice(&name);
    let ops = alloc::sync::Arc::new(RegularFile::new(inode));
    install(c, OpenFile::new(ops, O_RDWR | O_LARGEFILE, path), flags & MFD_CLOEXEC != 0)
}

