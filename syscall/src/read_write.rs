//! read, write, pread64, pwrite64, readv, writev, preadv, pwritev, preadv2, pwritev2, lseek,
//! sendfile and copy_file_range (Linux's fs/read_write.c).
//!
//! Data moves between the app and a file object through a kernel buffer of up to
//! [`CHUNK`] bytes. Copies from the app go page by page: a fault in the first page is
//! `EFAULT`, a later one ends the call with what was transferred, as Linux's page-wise copies
//! do. A stream that would block (an empty pipe, a full one) is waited on unless the
//! description is non-blocking.

use crate::path::{KHost, block_on, block_on_until};
use crate::{Args, Ctx, SysResult};
use alloc::vec::Vec;
use elfin_abi::{Errno, UserMemory, UserSlice};
use elfin_posix::fd::FileRef;
use elfin_posix::file::{Host, MAX_LFS, SeekKind, sized_seek};
use linux_raw_sys::general::{O_APPEND, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};

/// Linux's cap on one read or write (`MAX_RW_COUNT`: `INT_MAX` rounded down to a page).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;
/// Linux's `UIO_MAXIOV`.
const UIO_MAXIOV: i32 = 1024;
/// Kernel buffer size for one step of a transfer.
pub const CHUNK: usize = 64 * 1024;
const PAGE: u64 = 4096;

/// `RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | RWF_NOAPPEND | RWF_ATOMIC |
/// RWF_DONTCACHE`.
const RWF_SUPPORTED: u32 = 0x01 | 0x02 | 0x04 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80;
const RWF_NOWAIT: u32 = 0x08;
const RWF_APPEND: u32 = 0x10;
const RWF_NOAPPEND: u32 = 0x20;

/// A zeroed kernel buffer of `len` bytes, `ENOMEM` rather than a panic.
pub fn buffer(len: usize) -> Result<Vec<u8>, Errno> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Errno::ENOMEM)?;
    v.resize(len, 0);
    Ok(v)
}

/// Gather up to `out.len()` bytes of the app's buffers `bufs` from byte `skip` on, page by
/// page: the bytes copied, and whether a fault stopped the copy.
fn gather(mem: &dyn UserMemory, bufs: &[UserSlice], skip: usize, out: &mut [u8]) -> (usize, bool) {
    let mut skip = skip;
    let mut n = 0;
    for seg in bufs {
        if skip >= seg.len() {
            skip -= seg.len();
            continue;
        }
        let mut s = seg.skip(skip);
        skip = 0;
        while !s.is_empty() && n < out.len() {
            let to_page = (PAGE - (s.addr() & (PAGE - 1))) as usize;
            let part = s.prefix(to_page.min(out.len() - n));
            if part.read_into(mem, &mut out[n..n + part.len()]).is_err() {
                return (n, true);
            }
            n += part.len();
            s = s.skip(part.len());
        }
        if n == out.len() {
            break;
        }
    }
    (n, false)
}

/// Copy `data` to the app's buffers `bufs` from byte `skip` on: the bytes stored before a
/// fault (all of them without one).
fn scatter(mem: &dyn UserMemory, bufs: &[UserSlice], skip: usize, data: &[u8]) -> usize {
    let mut skip = skip;
    let mut n = 0;
    for seg in bufs {
        if skip >= seg.len() {
            skip -= seg.len();
            continue;
        }
        let s = seg.skip(skip);
        skip = 0;
        let len = s.len().min(data.len() - n);
        let w = mem.write_partial(s.addr(), &data[n..n + len]);
        n += w;
        if w < len || n == data.len() {
            break;
        }
    }
    n
}

fn total_len(bufs: &[UserSlice]) -> usize {
    bufs.iter().map(|b| b.len()).sum::<usize>().min(MAX_RW_COUNT)
}

/// Read from `file` into `bufs`, at `pos` (pread) or at the file offset.
pub fn read_into(c: &mut Ctx, file: &FileRef, bufs: &[UserSlice], pos: Option<u64>, nowait: bool) -> SysResult {
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    let ops = file.ops.clone();
    let total = total_len(bufs);
    match ops.seek_kind() {
        SeekKind::Stream | SeekKind::Anon => {
            if pos.is_some() {
                return Err(Errno::ESPIPE);
            }
            if total == 0 {
                return Ok(0);
            }
            let nonblock = file.nonblocking() || nowait;
            let max = total.min(CHUNK);
            let mut attempt = |c: &mut Ctx| {
                let mut done = 0;
                let mut sink = |io: &mut dyn Host, d: &[u8]| {
                    let w = scatter(io.mem(), bufs, done, d);
                    done += w;
                    w
                };
                ops.read_stream(&mut KHost(c.k), max, &mut sink)
            };
            if nonblock {
                attempt(c)
            } else {
                // A timer becomes readable by itself: look again at its expiry.
                let wake = ops.next_event(&mut KHost(c.k));
                block_on_until(c, None, wake, &mut attempt)
            }
        }
        kind => {
            // A directory's read fails (EISDIR) before anything else.
            if kind == SeekKind::Dir {
                return ops.read(&mut KHost(c.k), 0, &mut []);
            }
            let start = match pos {
                Some(p) => p,
                None => file.offset(),
            };
            if total == 0 {
                return Ok(0);
            }
            let mut tmp = buffer(total.min(CHUNK))?;
            let mut done = 0;
            while done < total {
                let want = (total - done).min(tmp.len());
                let n = match ops.read(&mut KHost(c.k), start + done as u64, &mut tmp[..want]) {
                    Ok(n) => n,
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                };
                if n == 0 {
                    break;
                }
                let w = scatter(c.k.mem(), bufs, done, &tmp[..n]);
                done += w;
                if w < n {
                    if done == 0 {
                        return Err(Errno::EFAULT);
                    }
                    break;
                }
                if n < want {
                    break;
                }
            }
            if pos.is_none() && matches!(kind, SeekKind::Sized | SeekKind::Seq) {
                file.set_offset(start + done as u64);
            }
            Ok(done)
        }
    }
}

/// `EPIPE` comes with `SIGPIPE` for the calling thread (delivered when the call returns: the
/// default action ends the process, as on Linux).
pub fn sigpipe(c: &mut Ctx, r: SysResult) -> SysResult {
    if r == Err(Errno::EPIPE) {
        let tid = c.p.tid;
        if let Some(t) = c.p.threads.get_mut(&tid) {
            t.pending |= 1 << (linux_raw_sys::general::SIGPIPE - 1);
        }
    }
    r
}

/// Write `bufs` to `file`, at `pos` (pwrite) or at the file offset (the end with
/// `O_APPEND`; Linux appends for pwrite on an `O_APPEND` file too). `EPIPE` raises `SIGPIPE`.
pub fn write_from(c: &mut Ctx, file: &FileRef, bufs: &[UserSlice], pos: Option<u64>, rwf: u32) -> SysResult {
    let r = write_inner(c, file, bufs, pos, rwf);
    sigpipe(c, r)
}

fn write_inner(c: &mut Ctx, file: &FileRef, bufs: &[UserSlice], pos: Option<u64>, rwf: u32) -> SysResult {
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    let ops = file.ops.clone();
    let total = total_len(bufs);
    let kind = match ops.seek_kind() {
        SeekKind::Anon => SeekKind::Stream,
        k => k,
    };
    if kind == SeekKind::Stream && pos.is_some() {
        return Err(Errno::ESPIPE);
    }
    if kind == SeekKind::Dir {
        return Err(Errno::EISDIR);
    }
    if total == 0 {
        // Nothing to copy, but the object decides (/dev/full still says ENOSPC).
        let off = if kind == SeekKind::Sized { pos.unwrap_or_else(|| file.offset()) } else { 0 };
        return ops.write(&mut KHost(c.k), off, &[]);
    }
    if ops.discards_writes() {
        return Ok(total);
    }
    let append = (file.flags() & O_APPEND != 0 || rwf & RWF_APPEND != 0) && rwf & RWF_NOAPPEND == 0;
    let sized = kind == SeekKind::Sized;
    let mut off = match pos {
        _ if append && sized => ops.size(),
        Some(p) => p,
        None => file.offset(),
    };
    if sized && off >= MAX_LFS {
        return Err(Errno::EFBIG);
    }
    let nonblock = file.nonblocking() || rwf & RWF_NOWAIT != 0;
    let mut tmp = buffer(total.min(CHUNK))?;
    if kind == SeekKind::Stream && !ops.writes_everything() {
        // One write is one operation (eventfd): the whole buffer or an error.
        let (got, fault) = gather(c.k.mem(), bufs, 0, &mut tmp);
        if fault && got < tmp.len() {
            return Err(Errno::EFAULT);
        }
        let data = &tmp[..got];
        return if nonblock { ops.write(&mut KHost(c.k), 0, data) } else { block_on(c, None, |c| ops.write(&mut KHost(c.k), 0, data)) };
    }
    let mut done = 0;
    while done < total {
        let want = (total - done).min(tmp.len());
        let (mut got, fault) = gather(c.k.mem(), bufs, done, &mut tmp[..want]);
        if fault && kind != SeekKind::Sized {
            // Pipes and terminals copy in whole pages of data: a page the fault cut short
            // is not written.
            got -= got % PAGE as usize;
        }
        if got == 0 {
            return if done == 0 && fault { Err(Errno::EFAULT) } else { Ok(done) };
        }
        let mut sent = 0;
        while sent < got {
            // Blocking only before anything was written: a call that blocks runs again from
            // the start, so after a partial write it returns the count instead (a short write).
            let r = if kind == SeekKind::Stream && !nonblock && done + sent == 0 {
                let chunk = &tmp[sent..got];
                block_on(c, None, |c| ops.write(&mut KHost(c.k), 0, chunk))
            } else {
                ops.write(&mut KHost(c.k), off, &tmp[sent..got])
            };
            match r {
                Ok(n) => {
                    sent += n;
                    off += n as u64;
                    if n == 0 {
                        break;
                    }
                }
                Err(e) if done + sent == 0 => return Err(e),
                Err(_) => {
                    done += sent;
                    if pos.is_none() && sized {
                        file.set_offset(off);
                    }
                    return Ok(done);
                }
            }
            if kind != SeekKind::Stream && sent < got {
                // A short write (out of room): report what went in.
                break;
            }
        }
        done += sent;
        if sent < got || fault {
            break;
        }
    }
    if pos.is_none() && sized {
        file.set_offset(off);
    }
    Ok(done)
}

/// Linux's `access_ok` on a whole buffer, before the count is capped: a range past the user
/// half (`SIZE_MAX` bytes) is `EFAULT`.
fn user_buffer(a: &Args, addr: usize, len: usize) -> Result<UserSlice, Errno> {
    if !elfin_abi::in_user_half(a.raw(addr), a.raw(len)) {
        return Err(Errno::EFAULT);
    }
    Ok(a.slice(addr, a.usize(len)))
}

/// read(2).
pub fn read(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    let buf = user_buffer(a, 1, 2)?;
    read_into(c, &file, &[buf], None, false)
}

/// write(2).
pub fn write(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    let buf = user_buffer(a, 1, 2)?;
    write_from(c, &file, &[buf], None, 0)
}

fn offset_arg(v: u64) -> Result<u64, Errno> {
    if (v as i64) < 0 { Err(Errno::EINVAL) } else { Ok(v) }
}

/// pread64(2).
pub fn pread64(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    if !file.readable() {
        return Err(Errno::EBADF);
    }
    let buf = user_buffer(a, 1, 2)?;
    let pos = offset_arg(a.raw(3))?;
    read_into(c, &file, &[buf], Some(pos), false)
}

/// pwrite64(2).
pub fn pwrite64(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    if !file.writable() {
        return Err(Errno::EBADF);
    }
    let buf = user_buffer(a, 1, 2)?;
    let pos = offset_arg(a.raw(3))?;
    write_from(c, &file, &[buf], Some(pos), 0)
}

/// Read and check an iovec array (argument 1, count argument 2): `EINVAL` for a bad count
/// or a negative length, `EFAULT` for a range outside user space; the total is capped at
/// `MAX_RW_COUNT`, as Linux's `import_iovec` does.
pub fn iovecs(c: &Ctx, a: &Args) -> Result<Vec<UserSlice>, Errno> {
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

fn check_access(file: &FileRef, write: bool) -> Result<(), Errno> {
    if (write && !file.writable()) || (!write && !file.readable()) { Err(Errno::EBADF) } else { Ok(()) }
}

/// readv(2).
pub fn readv(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    check_access(&file, false)?;
    let iov = iovecs(c, a)?;
    read_into(c, &file, &iov, None, false)
}

/// writev(2).
pub fn writev(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    check_access(&file, true)?;
    let iov = iovecs(c, a)?;
    write_from(c, &file, &iov, None, 0)
}

/// The offset of preadv/pwritev: `pos_l | pos_h << 32` (on x86-64 `pos_l` holds all of it).
fn vec_pos(a: &Args) -> u64 {
    a.raw(3)
}

/// preadv(2).
pub fn preadv(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    check_access(&file, false)?;
    let iov = iovecs(c, a)?;
    let pos = offset_arg(vec_pos(a))?;
    read_into(c, &file, &iov, Some(pos), false)
}

/// pwritev(2).
pub fn pwritev(c: &mut Ctx, a: &Args) -> SysResult {
    let file = c.p.fds.file(a.fd(0))?;
    check_access(&file, true)?;
    let iov = iovecs(c, a)?;
    let pos = offset_arg(vec_pos(a))?;
    write_from(c, &file, &iov, Some(pos), 0)
}

/// preadv2(2): offset -1 means the file offset; `RWF_*` flags.
pub fn preadv2(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.uint(5);
    if flags & !RWF_SUPPORTED != 0 || a.raw(5) >> 32 != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let file = c.p.fds.file(a.fd(0))?;
    check_access(&file, false)?;
    let iov = iovecs(c, a)?;
    let pos = match vec_pos(a) as i64 {
        -1 => None,
        p if p < 0 => return Err(Errno::EINVAL),
        p => Some(p as u64),
    };
    read_into(c, &file, &iov, pos, flags & RWF_NOWAIT != 0)
}

/// pwritev2(2).
pub fn pwritev2(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.uint(5);
    if flags & !RWF_SUPPORTED != 0 || a.raw(5) >> 32 != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let file = c.p.fds.file(a.fd(0))?;
    check_access(&file, true)?;
    let iov = iovecs(c, a)?;
    let pos = match vec_pos(a) as i64 {
        -1 => None,
        p if p < 0 => return Err(Errno::EINVAL),
        p => Some(p as u64),
    };
    write_from(c, &file, &iov, pos, flags)
}

/// lseek(2).
pub fn lseek(c: &mut Ctx, a: &Args) -> SysResult {
    let file = crate::path::file_io(c, a.fd(0))?;
    let (off, whence) = (a.raw(1) as i64, a.uint(2));
    let ops = file.ops.clone();
    let mut st = file.state();
    let new = match ops.seek_kind() {
        SeekKind::Stream => return Err(Errno::ESPIPE),
        SeekKind::Anon => 0,
        SeekKind::Null => {
            if whence > SEEK_HOLE {
                return Err(Errno::EINVAL);
            }
            0
        }
        SeekKind::Dir | SeekKind::Seq => {
            // tmpfs directories (positions are entry cookies) and generated files.
            let target = match whence {
                SEEK_SET => off as i128,
                SEEK_CUR => st.offset as i128 + off as i128,
                _ => return Err(Errno::EINVAL),
            };
            if target < 0 {
                return Err(Errno::EINVAL);
            }
            target as u64
        }
        SeekKind::Sized => {
            if !matches!(whence, SEEK_SET | SEEK_CUR | SEEK_END | SEEK_DATA | SEEK_HOLE) {
                return Err(Errno::EINVAL);
            }
            sized_seek(&*ops, st.offset, off, whence)?
        }
    };
    st.offset = new;
    Ok(new as usize)
}

/// Copy up to `count` bytes from `input` (at `*in_off`, or its offset) to `output` (at its
/// offset, or `out_off`) through a kernel buffer: the engine of sendfile and
/// copy_file_range.
fn splice_copy(c: &mut Ctx, input: &FileRef, in_off: Option<u64>, output: &FileRef, out_off: Option<u64>, count: usize) -> Result<(usize, u64, u64), Errno> {
    let count = count.min(MAX_RW_COUNT);
    let (iops, oops) = (input.ops.clone(), output.ops.clone());
    let in_stream = matches!(iops.seek_kind(), SeekKind::Stream | SeekKind::Anon);
    let out_stream = matches!(oops.seek_kind(), SeekKind::Stream | SeekKind::Anon);
    let mut ipos = in_off.unwrap_or_else(|| input.offset());
    let out_append = output.flags() & O_APPEND != 0 && !out_stream;
    let mut opos = if out_append { oops.size() } else { out_off.unwrap_or_else(|| output.offset()) };
    let mut tmp = buffer(count.min(CHUNK))?;
    let mut done = 0;
    while done < count {
        let want = (count - done).min(tmp.len());
        let r = if in_stream && !input.nonblocking() && done == 0 {
            block_on(c, None, |c| iops.read(&mut KHost(c.k), ipos, &mut tmp[..want]))
        } else {
            iops.read(&mut KHost(c.k), ipos, &mut tmp[..want])
        };
        let n = match r {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let mut sent = 0;
        while sent < n {
            let w = if out_stream && !output.nonblocking() && done + sent == 0 {
                let chunk = &tmp[sent..n];
                block_on(c, None, |c| oops.write(&mut KHost(c.k), opos, chunk))
            } else {
                oops.write(&mut KHost(c.k), opos, &tmp[sent..n])
            };
            match w {
                Ok(0) => break,
                Ok(w) => {
                    sent += w;
                    opos += w as u64;
                }
                Err(e) if done + sent == 0 => return Err(e),
                Err(_) => break,
            }
        }
        ipos += sent as u64;
        done += sent;
        if sent < n || n < want || in_stream {
            break;
        }
    }
    Ok((done, ipos, opos))
}

/// sendfile(2): from a seekable file (or a pipe) to any writable file.
pub fn sendfile(c: &mut Ctx, a: &Args) -> SysResult {
    let (out_fd, in_fd, offp, count) = (a.fd(0), a.fd(1), a.ptr::<i64>(2), a.usize(3));
    let input = c.p.fds.file(in_fd)?;
    let output = c.p.fds.file(out_fd)?;
    if !input.readable() || !output.writable() {
        return Err(Errno::EBADF);
    }
    let in_off = if offp.is_null() {
        None
    } else {
        let o = offp.read(c.k.mem())?;
        if o < 0 {
            return Err(Errno::EINVAL);
        }
        if input.ops.seek_kind() == SeekKind::Stream {
            return Err(Errno::ESPIPE);
        }
        Some(o as u64)
    };
    if output.flags() & O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    // Linux splices from files and the memory devices only: pipes, eventfds, procfs files as
    // input are EINVAL.
    if !input.ops.splice_read() {
        return Err(Errno::EINVAL);
    }
    if count == 0 {
        return Ok(0);
    }
    let r = splice_copy(c, &input, in_off, &output, None, count);
    let (n, ipos, opos) = match r {
        Ok(v) => v,
        Err(e) => return sigpipe(c, Err(e)),
    };
    match in_off {
        Some(_) => offp.write(c.k.mem(), &(ipos as i64))?,
        None if input.ops.seek_kind() != SeekKind::Stream => input.set_offset(ipos),
        None => {}
    }
    if output.ops.seek_kind() == SeekKind::Sized {
        output.set_offset(opos);
    }
    Ok(n)
}

/// copy_file_range(2): between regular files; `EXDEV` never happens (one tree), overlapping
/// ranges of one file are `EINVAL`.
pub fn copy_file_range(c: &mut Ctx, a: &Args) -> SysResult {
    let (in_fd, in_offp, out_fd, out_offp, len) = (a.fd(0), a.ptr::<i64>(1), a.fd(2), a.ptr::<i64>(3), a.usize(4));
    let input = c.p.fds.file(in_fd)?;
    let output = c.p.fds.file(out_fd)?;
    let read_off = |p: elfin_abi::UserPtr<i64>| -> Result<Option<i64>, Errno> {
        if p.is_null() { Ok(None) } else { p.read(c.k.mem()).map(Some) }
    };
    let in_off = read_off(in_offp)?;
    let out_off = read_off(out_offp)?;
    if a.uint(5) != 0 {
        return Err(Errno::EINVAL);
    }
    let (ik, ok) = (input.ops.inode().clone(), output.ops.inode().clone());
    if ik.is_dir() || ok.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !ik.is_regular() || !ok.is_regular() {
        return Err(Errno::EINVAL);
    }
    if !input.readable() || !output.writable() || output.flags() & O_APPEND != 0 {
        return Err(Errno::EBADF);
    }
    if in_off.is_some_and(|o| o < 0) || out_off.is_some_and(|o| o < 0) {
        return Err(Errno::EOVERFLOW);
    }
    let (in_off, out_off) = (in_off.map(|o| o as u64), out_off.map(|o| o as u64));
    let ipos = in_off.unwrap_or_else(|| input.offset());
    let opos = out_off.unwrap_or_else(|| output.offset());
    if alloc::sync::Arc::ptr_eq(&ik, &ok) && ipos < opos.saturating_add(len as u64) && opos < ipos.saturating_add(len as u64) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let (n, ipos, opos) = splice_copy(c, &input, Some(ipos), &output, Some(opos), len)?;
    match in_off {
        Some(_) => in_offp.write(c.k.mem(), &(ipos as i64))?,
        None => input.set_offset(ipos),
    }
    match out_off {
        Some(_) => out_offp.write(c.k.mem(), &(opos as i64))?,
        None => output.set_offset(opos),
    }
    Ok(n)
}

