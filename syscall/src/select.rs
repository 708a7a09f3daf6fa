//! poll, ppoll, select, pselect6 (Linux's fs/select.c): readiness of a set of descriptors,
//! waiting for a file event or the timeout. The temporary signal mask of ppoll and pselect6
//! is checked but not applied.

use crate::path::{KHost, block_on_until};
use crate::{Args, Clock, Ctx, SysResult};
use alloc::vec;
use alloc::vec::Vec;
use elfin_abi::{Errno, UserPtr};
use elfin_posix::fd::FileRef;
use linux_raw_sys::general as g;

const POLLIN_SET: u32 = g::EPOLLRDNORM | g::EPOLLRDBAND | g::EPOLLIN | g::EPOLLHUP | g::EPOLLERR;
const POLLOUT_SET: u32 = g::EPOLLWRBAND | g::EPOLLWRNORM | g::EPOLLOUT | g::EPOLLERR;
const POLLEX_SET: u32 = g::EPOLLPRI;

/// A relative timeout in ns from a `timespec` (`EINVAL` when malformed).
pub fn timespec_ns(c: &Ctx, p: UserPtr<[u8; 16]>) -> Result<Option<u64>, Errno> {
    if p.is_null() {
        return Ok(None);
    }
    let raw = p.read(c.k.mem())?;
    let (sec, nsec): (i64, i64) = (elfin_abi::get(&raw, 0), elfin_abi::get(&raw, 8));
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Some((sec as u64).saturating_mul(1_000_000_000).saturating_add(nsec as u64)))
}

/// The absolute deadline of a relative timeout (`None`: wait forever).
fn deadline(c: &Ctx, rel: Option<u64>) -> Option<u64> {
    rel.map(|r| c.k.now_ns(Clock::Monotonic).saturating_add(r))
}

/// Time left until the call's deadline (the first run's, when it blocked and ran again).
fn left(c: &Ctx, dl: Option<u64>) -> Option<u64> {
    let d = c.p.thread().wait_deadline.or(dl)?;
    Some(d.saturating_sub(c.k.now_ns(Clock::Monotonic)))
}

/// The earliest time one of `files` changes by itself (timers).
fn wake_at(c: &mut Ctx, files: &[Option<FileRef>]) -> Option<u64> {
    files.iter().flatten().filter_map(|f| f.ops.next_event(&mut KHost(c.k))).min()
}

/// Check a temporary signal mask argument: size 8, readable.
fn check_sigmask(c: &Ctx, mask: u64, size: u64) -> Result<(), Errno> {
    if mask == 0 {
        return Ok(());
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    UserPtr::<u64>::new(mask).read(c.k.mem()).map(|_| ())
}

fn do_poll(c: &mut Ctx, fds: u64, nfds: u64, timeout: Option<u64>) -> Result<(usize, Option<u64>), Errno> {
    if nfds > crate::fd::nofile(c) as u64 {
        return Err(Errno::EINVAL);
    }
    let n = nfds as usize;
    let arr = UserPtr::<[u8; 8]>::new(fds);
    let mut entries: Vec<(i32, u16)> = Vec::with_capacity(n);
    for i in 0..n {
        let raw = arr.offset(i)?.read(c.k.mem())?;
        entries.push((elfin_abi::get::<i32>(&raw, 0), elfin_abi::get::<u16>(&raw, 4)));
    }
    let files: Vec<Option<FileRef>> = entries.iter().map(|&(fd, _)| if fd < 0 { None } else { c.p.fds.file(fd).ok() }).collect();
    let dl = deadline(c, timeout);
    let wake = wake_at(c, &files);
    let mut revents = vec![0u16; n];
    let scan = |c: &mut Ctx, revents: &mut Vec<u16>| -> usize {
        let mut count = 0;
        for (i, &(fd, events)) in entries.iter().enumerate() {
            let r = if fd < 0 {
                0
            } else {
                match &files[i] {
                    None => g::POLLNVAL,
                    Some(f) => f.ops.poll(&mut KHost(c.k)).mask & (events as u32 | g::POLLERR | g::POLLHUP),
                }
            };
            revents[i] = r as u16;
            if r != 0 {
                count += 1;
            }
        }
        count
    };
    let result = if timeout == Some(0) {
        Ok(scan(c, &mut revents))
    } else {
        block_on_until(c, dl, wake, &mut |c| match scan(c, &mut revents) {
            0 => Err(Errno::EAGAIN),
            n => Ok(n),
        })
    };
    let count = match result {
        Ok(n) => n,
        Err(Errno::ETIMEDOUT) => 0,
        Err(e) => return Err(e),
    };
    for (i, r) in revents.iter().enumerate() {
        arr.offset(i)?.write(c.k.mem(), &{
            let mut raw = [0u8; 8];
            raw[..4].copy_from_slice(&entries[i].0.to_le_bytes());
            raw[4..6].copy_from_slice(&entries[i].1.to_le_bytes());
            raw[6..].copy_from_slice(&r.to_le_bytes());
            raw
        })?;
    }
    Ok((count, left(c, dl)))
}

/// poll(2).
pub fn poll(c: &mut Ctx, a: &Args) -> SysResult {
    let t = a.int(2);
    let timeout = if t < 0 { None } else { Some(t as u64 * 1_000_000) };
    do_poll(c, a.raw(0), a.raw(1), timeout).map(|(n, _)| n)
}

/// ppoll(2): the timeout left is written back, as Linux does.
pub fn ppoll(c: &mut Ctx, a: &Args) -> SysResult {
    let tsp = a.ptr::<[u8; 16]>(2);
    let timeout = timespec_ns(c, tsp)?;
    check_sigmask(c, a.raw(3), a.raw(4))?;
    let (n, left) = do_poll(c, a.raw(0), a.raw(1), timeout)?;
    if let Some(l) = left {
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&((l / 1_000_000_000) as i64).to_le_bytes());
        raw[8..].copy_from_slice(&((l % 1_000_000_000) as i64).to_le_bytes());
        tsp.write(c.k.mem(), &raw)?;
    }
    Ok(n)
}

/// The three sets of select: bitmaps of `n` descriptors (NULL: empty).
fn read_set(c: &Ctx, p: u64, n: usize) -> Result<Vec<u64>, Errno> {
    let words = n.div_ceil(64);
    let mut v = vec![0u64; words];
    if p != 0 {
        let bytes = n.div_ceil(8);
        let raw = elfin_abi::UserSlice::new(p, bytes).read_vec(c.k.mem())?;
        for (i, b) in raw.iter().enumerate() {
            v[i / 8] |= (*b as u64) << ((i % 8) * 8);
        }
        // Bits at or past n are not looked at.
        if n % 64 != 0 {
            v[words - 1] &= (1u64 << (n % 64)) - 1;
        }
    }
    Ok(v)
}

fn write_set(c: &Ctx, p: u64, n: usize, v: &[u64]) -> Result<(), Errno> {
    if p == 0 {
        return Ok(());
    }
    let bytes = n.div_ceil(8);
    let mut raw = vec![0u8; bytes];
    for (i, b) in raw.iter_mut().enumerate() {
        *b = (v[i / 8] >> ((i % 8) * 8)) as u8;
    }
    elfin_abi::UserSlice::new(p, bytes).write(c.k.mem(), &raw)
}

fn do_select(c: &mut Ctx, nfds: i32, sets: [u64; 3], timeout: Option<u64>) -> Result<(usize, Option<u64>), Errno> {
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    // Linux clamps to the descriptor table's size.
    let n = (nfds as usize).min(c.p.fds.len().max(crate::fd::nofile(c)).min(1 << 20));
    let ins = [read_set(c, sets[0], n)?, read_set(c, sets[1], n)?, read_set(c, sets[2], n)?];
    let mut files: Vec<Option<FileRef>> = vec![None; n];
    for (fd, slot) in files.iter_mut().enumerate() {
        let word = fd / 64;
        let bit = 1u64 << (fd % 64);
        if (ins[0][word] | ins[1][word] | ins[2][word]) & bit != 0 {
            *slot = Some(c.p.fds.file(fd as i32)?);
        }
    }
    let dl = deadline(c, timeout);
    let wake = wake_at(c, &files);
    let words = n.div_ceil(64);
    let mut outs = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
    let scan = |c: &mut Ctx, outs: &mut [Vec<u64>; 3]| -> usize {
        let mut count = 0;
        for o in outs.iter_mut() {
            o.fill(0);
        }
        for (fd, f) in files.iter().enumerate() {
            let Some(f) = f else { continue };
            let (word, bit) = (fd / 64, 1u64 << (fd % 64));
            let mask = f.ops.poll(&mut KHost(c.k)).mask;
            for (k, set) in [POLLIN_SET, POLLOUT_SET, POLLEX_SET].iter().enumerate() {
                if ins[k][word] & bit != 0 && mask & set != 0 {
                    outs[k][word] |= bit;
                    count += 1;
                }
            }
        }
        count
    };
    let result = if timeout == Some(0) {
        Ok(scan(c, &mut outs))
    } else {
        block_on_until(c, dl, wake, &mut |c| match scan(c, &mut outs) {
            0 => Err(Errno::EAGAIN),
            n => Ok(n),
        })
    };
    let count = match result {
        Ok(n) => n,
        Err(Errno::ETIMEDOUT) => {
            for o in outs.iter_mut() {
                o.fill(0);
            }
            0
        }
        Err(e) => return Err(e),
    };
    for k in 0..3 {
        write_set(c, sets[k], n, &outs[k])?;
    }
    Ok((count, left(c, dl)))
}

/// select(2): the time left is written back to the timeval, as Linux does.
pub fn select(c: &mut Ctx, a: &Args) -> SysResult {
    let tvp = a.ptr::<[u8; 16]>(4);
    let timeout = if tvp.is_null() {
        None
    } else {
        let raw = tvp.read(c.k.mem())?;
        let (sec, usec): (i64, i64) = (elfin_abi::get(&raw, 0), elfin_abi::get(&raw, 8));
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        Some((sec as u64).saturating_mul(1_000_000_000).saturating_add(usec as u64 * 1000))
    };
    let (n, left) = do_select(c, a.int(0), [a.raw(1), a.raw(2), a.raw(3)], timeout)?;
    if let Some(l) = left {
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&((l / 1_000_000_000) as i64).to_le_bytes());
        raw[8..].copy_from_slice(&(((l % 1_000_000_000) / 1000) as i64).to_le_bytes());
        tvp.write(c.k.mem(), &raw)?;
    }
    Ok(n)
}

/// pselect6(2): a timespec and a `{mask pointer, size}` pair.
pub fn pselect6(c: &mut Ctx, a: &Args) -> SysResult {
    let tsp = a.ptr::<[u8; 16]>(4);
    let timeout = timespec_ns(c, tsp)?;
    if a.raw(5) != 0 {
        let raw = a.ptr::<[u8; 16]>(5).read(c.k.mem())?;
        check_sigmask(c, elfin_abi::get(&raw, 0), elfin_abi::get(&raw, 8))?;
    }
    let (n, left) = do_select(c, a.int(0), [a.raw(1), a.raw(2), a.raw(3)], timeout)?;
    if let Some(l) = left {
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&((l / 1_000_000_000) as i64).to_le_bytes());
        raw[8..].copy_from_slice(&((l % 1_000_000_000) as i64).to_le_bytes());
        tsp.write(c.k.mem(), &raw)?;
    }
    Ok(n)
}
