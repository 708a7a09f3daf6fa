//! eventfd and eventfd2 (Linux's fs/eventfd.c).

use crate::fd::{check_free, install};
use crate::{Args, Ctx, SysResult};
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_posix::eventfd::EventFd;
use elfin_posix::fd::OpenFile;
use linux_raw_sys::general::{EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, O_RDWR};

fn create(c: &mut Ctx, initval: u32, flags: u32) -> SysResult {
    check_free(c)?;
    let e = Arc::new(EventFd::new(c.p.fs.vfs.anon_inode.clone(), initval, flags & EFD_SEMAPHORE != 0));
    install(c, OpenFile::new(e, O_RDWR | (flags & EFD_NONBLOCK), Vec::new()), flags & EFD_CLOEXEC != 0)
}

/// eventfd(2).
pub fn eventfd(c: &mut Ctx, a: &Args) -> SysResult {
    create(c, a.uint(0), 0)
}

/// eventfd2(2): `EFD_CLOEXEC`, `EFD_NONBLOCK`, `EFD_SEMAPHORE`.
pub fn eventfd2(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(1, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)?;
    create(c, a.uint(0), flags)
}
