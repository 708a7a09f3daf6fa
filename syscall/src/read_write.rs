//! read, write, readv, writev on the console streams and the captured stdin.

use crate::{Args, Ctx, SysResult};
use alloc::vec::Vec;
use elfin_abi::{Errno, UserSlice};
use elfin_posix::fd::{FileKind, Stream};

/// Linux's cap on one read or write (`MAX_RW_COUNT`: `INT_MAX` rounded down to a page).
const MAX_RW_COUNT: usize = 0x7fff_f000;
/// Linux's `UIO_MAXIOV`.
const UIO_MAXIOV: i32 = 1024;
const CHUNK: usize = 4096;

/// Read into `buf` from `fd`.
fn read_fd(c: &mut Ctx, fd: i32, buf: UserSlice) -> SysResult {
    let file = c.p.fds.file(fd)?;
    let mut f = file.lock();
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    let buf = buf.prefix(MAX_RW_COUNT);
    if buf.is_empty() {
        return Ok(0);
    }
    match &f.kind {
        FileKind::Console { .. } => {
            let mut tmp = [0u8; CHUNK];
            let want = buf.len().min(CHUNK);
            let n = c.k.console_read(&mut tmp[..want]);
            buf.write(c.k.mem(), &tmp[..n])?;
            Ok(n)
        }
        FileKind::Bytes(data) => {
            let start = (f.offset as usize).min(data.len());
            let n = buf.len().min(data.len() - start);
            buf.write(c.k.mem(), &data[start..start + n])?;
            f.offset += n as u64;
            Ok(n)
        }
    }
}

/// Write the concatenation of `bufs` to `fd`, as Linux's pipe and tty writes do: in chunks of
/// a page, a fault in the first chunk is `EFAULT` (nothing written), a later one ends the
/// write with the count so far.
fn write_fd(c: &mut Ctx, fd: i32, bufs: &[UserSlice]) -> SysResult {
    let file = c.p.fds.file(fd)?;
    let f = file.lock();
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    let (stream, tty) = match &f.kind {
        FileKind::Console { stream, tty } => (*stream, *tty),
        FileKind::Bytes(_) => return Err(Errno::EBADF),
    };
    let stream = if stream == Stream::Stdin { Stream::Stdout } else { stream };
    let mut tmp = [0u8; CHUNK];
    let (mut filled, mut done) = (0usize, 0usize);
    let mut budget = MAX_RW_COUNT;
    for seg in bufs {
        let mut seg = seg.prefix(budget);
        budget -= seg.len();
        while !seg.is_empty() {
            let part = seg.prefix(CHUNK - filled);
            if part.read_into(c.k.mem(), &mut tmp[filled..filled + part.len()]).is_err() {
                return if done == 0 { Err(Errno::EFAULT) } else { Ok(done) };
            }
            filled += part.len();
            seg = seg.skip(part.len());
            if filled == CHUNK {
                c.k.console_write(stream, &tmp, tty);
                done += filled;
                filled = 0;
            }
        }
    }
    if filled > 0 {
        c.k.console_write(stream, &tmp[..filled], tty);
        done += filled;
    }
    Ok(done)
}

/// read(2).
pub fn read(c: &mut Ctx, a: &Args) -> SysResult {
    read_fd(c, a.fd(0), a.slice(1, a.usize(2)))
}

/// write(2).
pub fn write(c: &mut Ctx, a: &Args) -> SysResult {
    write_fd(c, a.fd(0), &[a.slice(1, a.usize(2))])
}

/// Read and check an iovec array: `EINVAL` for a bad count or a total above `SSIZE_MAX`.
fn iovecs(c: &Ctx, a: &Args) -> Result<Vec<UserSlice>, Errno> {
    let count = a.int(2);
    if !(0..=UIO_MAXIOV).contains(&count) {
        return Err(Errno::EINVAL);
    }
    let base = a.ptr::<[u8; 16]>(1);
    let mut v = Vec::with_capacity(count as usize);
    let mut total: u64 = 0;
    for i in 0..count as usize {
        let raw = base.offset(i)?.read(c.k.mem())?;
        let addr: u64 = elfin_abi::get(&raw, 0);
        let mut len: u64 = elfin_abi::get(&raw, 8);
        // As Linux's import_iovec: a negative length is EINVAL, a range outside user space
        // EFAULT, and the total is capped at MAX_RW_COUNT.
        if (len as i64) < 0 {
            return Err(Errno::EINVAL);
        }
        if !elfin_abi::in_user_half(addr, len) {
            return Err(Errno::EFAULT);
        }
        len = len.min(MAX_RW_COUNT as u64 - total);
        total += len;
        v.push(UserSlice::new(addr, len as usize));
    }
    Ok(v)
}

/// Check that `fd` is open with the access mode the call needs.
fn check_fd(c: &Ctx, fd: i32, write: bool) -> Result<(), Errno> {
    let file = c.p.fds.file(fd)?;
    let f = file.lock();
    if (write && !f.writable()) || (!write && !f.readable()) { Err(Errno::EBADF) } else { Ok(()) }
}

/// readv: fill each buffer in turn, stopping at a short read; an error after some bytes were
/// read ends the call with the count so far, as Linux does.
fn readv_fd(c: &mut Ctx, a: &Args) -> SysResult {
    let fd = a.fd(0);
    check_fd(c, fd, false)?;
    let mut total = 0usize;
    for s in iovecs(c, a)? {
        if s.is_empty() {
            continue;
        }
        match read_fd(c, fd, s) {
            Ok(n) => {
                total += n;
                if n < s.len() {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(total)
}

/// readv(2).
pub fn readv(c: &mut Ctx, a: &Args) -> SysResult {
    readv_fd(c, a)
}

/// writev(2).
pub fn writev(c: &mut Ctx, a: &Args) -> SysResult {
    let fd = a.fd(0);
    check_fd(c, fd, true)?;
    let iov = iovecs(c, a)?;
    write_fd(c, fd, &iov)
}
