//! flock(2): whole-file advisory locks owned by the open file description (Linux's
//! fs/locks.c). Record locks are in [`crate::fcntl`].

use crate::path::{block_on, file_io};
use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::lock::LockKind;
use linux_raw_sys::general::{LOCK_EX, LOCK_MAND, LOCK_NB, LOCK_SH, LOCK_UN};

/// flock(2): `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, optionally `LOCK_NB`; `LOCK_MAND` is
/// accepted and ignored, as Linux does since 5.15.
pub fn flock(c: &mut Ctx, a: &Args) -> SysResult {
    let file = file_io(c, a.fd(0))?;
    let op = a.uint(1);
    if op & LOCK_MAND != 0 {
        return Ok(0);
    }
    let kind = match op & !LOCK_NB {
        LOCK_SH => Some(LockKind::Read),
        LOCK_EX => Some(LockKind::Write),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let inode = file.ops.inode().clone();
    let id = file.id();
    let attempt = |_: &mut Ctx| inode.locks.lock().flock(id, kind);
    if op & LOCK_NB != 0 || kind.is_none() { attempt(c).map(|_| 0) } else { block_on(c, None, attempt).map(|_| 0) }
}
