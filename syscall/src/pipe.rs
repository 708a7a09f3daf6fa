//! pipe and pipe2 (Linux's fs/pipe.c).

use crate::fd::{check_free, install};
use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::fd::OpenFile;
use linux_raw_sys::general::{O_CLOEXEC, O_DIRECT, O_NONBLOCK, O_RDONLY, O_WRONLY};

fn pipe_common(c: &mut Ctx, fds: elfin_abi::UserPtr<[u8; 8]>, flags: u32) -> SysResult {
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    check_free(c)?;
    let (r, w) = elfin_posix::pipe::pipe(&c.p.fs.vfs.pipefs)?;
    let cloexec = flags & O_CLOEXEC != 0;
    // As Linux: only the write end shows O_DIRECT; its writes are packets.
    w.set_packet(flags & O_DIRECT != 0);
    let rfd = install(c, OpenFile::new(r, O_RDONLY | (flags & O_NONBLOCK), alloc::vec::Vec::new()), cloexec)?;
    let wfd = match install(c, OpenFile::new(w, O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)), alloc::vec::Vec::new()), cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = c.p.fds.close(rfd as i32);
            return Err(e);
        }
    };
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&(rfd as i32).to_le_bytes());
    out[4..].copy_from_slice(&(wfd as i32).to_le_bytes());
    if let Err(e) = fds.write(c.k.mem(), &out) {
        let _ = c.p.fds.close(rfd as i32);
        let _ = c.p.fds.close(wfd as i32);
        return Err(e);
    }
    Ok(0)
}

/// pipe(2).
pub fn pipe(c: &mut Ctx, a: &Args) -> SysResult {
    pipe_common(c, a.ptr(0), 0)
}

/// pipe2(2): `O_CLOEXEC`, `O_NONBLOCK`, `O_DIRECT` (packet mode is not kept: plain bytes).
pub fn pipe2(c: &mut Ctx, a: &Args) -> SysResult {
    pipe_common(c, a.ptr(0), a.uint(1))
}
