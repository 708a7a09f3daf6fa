//! fadvise64 and readahead (Linux's mm/fadvise.c and mm/readahead.c): everything is in
//! memory already, so only the arguments are checked, as Linux does.

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::file::SeekKind;

/// fadvise64(2): `ESPIPE` for pipes, `EINVAL` for an unknown advice.
pub fn fadvise64(c: &mut Ctx, a: &Args) -> SysResult {
    let f = crate::path::file_io(c, a.fd(0))?;
    if f.ops.inode().file_type() == linux_raw_sys::general::S_IFIFO {
        return Err(Errno::ESPIPE);
    }
    if a.uint(3) > 5 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// readahead(2): regular files only (`EINVAL` otherwise).
pub fn readahead(c: &mut Ctx, a: &Args) -> SysResult {
    let f = c.p.fds.file(a.fd(0))?;
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    if !f.ops.inode().is_regular() || f.ops.seek_kind() != SeekKind::Sized {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
