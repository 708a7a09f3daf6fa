//! Pipes and FIFOs: a bounded byte buffer (64 KiB by default, as Linux), with `PIPE_BUF`
//! atomicity for small writes, end of file once every writer is gone, and `EPIPE` for a
//! write with no reader left (the `SIGPIPE` that goes with it comes with the signals issue).
//!
//! Operations never block: a read of an empty pipe with writers, or a write that does not
//! fit, is `EAGAIN`; the syscall layer waits on the pipe's [`Readiness`] and retries. Each end
//! is a [`PipeEnd`]; dropping the last description of an end closes it.

use crate::file::{FileOps, Host, Readiness, SeekKind, Sink};
use crate::vfs::inode::{Body, Inode, Superblock};
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// Default capacity (Linux: 16 pages).
pub const PIPE_DEF: usize = 65536;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;
/// Largest capacity `F_SETPIPE_SZ` accepts (Linux's `/proc/sys/fs/pipe-max-size`; root may
/// go further on Linux, Elfin keeps this bound).
pub const PIPE_MAX: usize = 1 << 20;

struct State {
    buf: VecDeque<u8>,
    /// Packet lengths, oldest first, for data written in packet mode (`O_DIRECT`).
    packets: VecDeque<(u64, usize)>,
    /// Bytes ever written (packet boundaries are positions in this count).
    written: u64,
    /// Bytes ever read.
    taken: u64,
    cap: usize,
    readers: u32,
    writers: u32,
    /// Writers ever opened (a FIFO reader sees HUP only once a writer came and went).
    writers_seen: u64,
    /// Events for readers (data in, a writer gone) and for writers (room, a reader gone).
    read_gen: u64,
    write_gen: u64,
}

/// A pipe (anonymous or a FIFO's).
pub struct Pipe {
    inode: Arc<Inode>,
    st: Mutex<State>,
}

/// One open end (or both, for a FIFO opened `O_RDWR`).
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
    /// `writers_seen` when this end was opened.
    seen_at_open: u64,
    /// Writes are packets (`pipe2(O_DIRECT)`, or `F_SETFL O_DIRECT` on the write end).
    packet: core::sync::atomic::AtomicBool,
}

impl Pipe {
    fn new(inode: Arc<Inode>) -> Arc<Pipe> {
        Arc::new(Pipe {
            inode,
            st: Mutex::new(State { buf: VecDeque::new(), packets: VecDeque::new(), written: 0, taken: 0, cap: PIPE_DEF, readers: 0, writers: 0, writers_seen: 0, read_gen: 0, write_gen: 0 }),
        })
    }

    fn end(self: &Arc<Self>, read: bool, write: bool) -> PipeEnd {
        let mut s = self.st.lock();
        if read {
            s.readers += 1;
        }
        if write {
            s.writers += 1;
            s.writers_seen += 1;
        }
        s.read_gen += 1;
        s.write_gen += 1;
        crate::wait::notify();
        PipeEnd { pipe: self.clone(), read, write, seen_at_open: s.writers_seen, packet: core::sync::atomic::AtomicBool::new(false) }
    }
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        let mut s = self.pipe.st.lock();
        if self.read {
            s.readers -= 1;
        }
        if self.write {
            s.writers -= 1;
            s.read_gen += 1;
        }
        if self.read {
            s.write_gen += 1;
        }
        crate::wait::notify();
    }
}

/// A new anonymous pipe in `sb` (pipefs): `(read end, write end)`.
pub fn pipe(sb: &Arc<Superblock>) -> Result<(Arc<PipeEnd>, Arc<PipeEnd>), Errno> {
    let inode = Inode::new(sb, g::S_IFIFO | 0o600, 0, 0, Body::Fifo(Mutex::new(alloc::sync::Weak::new())))?;
    let p = Pipe::new(inode.clone());
    if let Body::Fifo(w) = &inode.body {
        *w.lock() = Arc::downgrade(&p);
    }
    Ok((Arc::new(p.end(true, false)), Arc::new(p.end(false, true))))
}

/// Open the FIFO (or anonymous pipe) `inode` with access mode `flags & O_ACCMODE`: the end,
/// and whether a blocking open must wait for a partner ([`PipeEnd::has_partner`]). A
/// non-blocking write-only open with no reader is `ENXIO`.
pub fn open_fifo(inode: &Arc<Inode>, flags: u32) -> Result<Arc<PipeEnd>, Errno> {
    let Body::Fifo(w) = &inode.body else { return Err(Errno::ENXIO) };
    let pipe = {
        let mut w = w.lock();
        match w.upgrade() {
            Some(p) => p,
            None => {
                let p = Pipe::new(inode.clone());
                *w = Arc::downgrade(&p);
                p
            }
        }
    };
    let acc = flags & g::O_ACCMODE;
    if acc == g::O_WRONLY && flags & g::O_NONBLOCK != 0 && pipe.st.lock().readers == 0 {
        return Err(Errno::ENXIO);
    }
    let (r, wr) = match acc {
        g::O_RDONLY => (true, false),
        g::O_WRONLY => (false, true),
        _ => (true, true),
    };
    Ok(Arc::new(pipe.end(r, wr)))
}

impl PipeEnd {
    /// For a blocking FIFO open: is the other side there (a writer for a reader, a reader for
    /// a writer)?
    pub fn has_partner(&self) -> bool {
        let s = self.pipe.st.lock();
        (!self.read || s.writers > 0 || s.writers_seen > self.seen_at_open) && (!self.write || s.readers > 0)
    }

    /// Packet mode for this end's writes (`O_DIRECT`).
    pub fn set_packet(&self, on: bool) {
        self.packet.store(on, core::sync::atomic::Ordering::Relaxed);
    }

    /// `F_GETPIPE_SZ`.
    pub fn capacity(&self) -> usize {
        self.pipe.st.lock().cap
    }

    /// `F_SETPIPE_SZ`: rounded up to a power-of-two number of pages; `EBUSY` below the data
    /// held, `EPERM` above [`PIPE_MAX`], `EINVAL` for 0 or beyond 2 GiB.
    pub fn set_capacity(&self, size: u64) -> Result<usize, Errno> {
        if size > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        let pages = size.div_ceil(4096).max(1).next_power_of_two();
        let bytes = (pages * 4096) as usize;
        if bytes > PIPE_MAX {
            return Err(Errno::EPERM);
        }
        let mut s = self.pipe.st.lock();
        if s.buf.len() > bytes {
            return Err(Errno::EBUSY);
        }
        s.cap = bytes;
        crate::wait::notify();
        Ok(bytes)
    }
}

impl FileOps for PipeEnd {
    fn inode(&self) -> &Arc<Inode> {
        &self.pipe.inode
    }

    fn read(&self, io: &mut dyn Host, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut done = 0;
        let max = buf.len();
        self.read_stream(io, max, &mut |_: &mut dyn Host, d: &[u8]| {
            buf[done..done + d.len()].copy_from_slice(d);
            done += d.len();
            d.len()
        })
    }

    fn read_stream(&self, io: &mut dyn Host, max: usize, sink: &mut Sink) -> Result<usize, Errno> {
        let mut s = self.pipe.st.lock();
        if s.buf.is_empty() {
            return if s.writers == 0 { Ok(0) } else { Err(Errno::EAGAIN) };
        }
        // A packet is read whole: at most one per read, and what does not fit is dropped.
        let packet = s.packets.front().filter(|(at, _)| *at == s.taken).map(|(_, len)| *len);
        let want = match packet {
            Some(len) => len.min(max),
            None => {
                // Stop before the next packet.
                let next = s.packets.front().map_or(usize::MAX, |(at, _)| (*at - s.taken) as usize);
                max.min(s.buf.len()).min(next)
            }
        };
        // Data goes out a page at a time; a page the app's buffer cannot take whole is not
        // consumed (and is EFAULT when it is the first), as Linux's pipe_read.
        let (a, b) = s.buf.as_slices();
        let mut n = 0;
        while n < want {
            let len = (want - n).min(4096 - (s.taken as usize + n) % 4096);
            let joined: alloc::vec::Vec<u8>;
            let piece: &[u8] = if n + len <= a.len() {
                &a[n..n + len]
            } else if n >= a.len() {
                &b[n - a.len()..n - a.len() + len]
            } else {
                joined = a[n..].iter().chain(&b[..n + len - a.len()]).copied().collect();
                &joined
            };
            if sink(io, piece) < len {
                if n == 0 {
                    return Err(Errno::EFAULT);
                }
                break;
            }
            n += len;
        }
        let consumed = match packet {
            Some(len) if n == want => {
                s.packets.pop_front();
                len
            }
            _ => n,
        };
        s.buf.drain(..consumed);
        s.taken += consumed as u64;
        if s.buf.is_empty() {
            // Give the memory back: an idle pipe holds nothing.
            s.buf = VecDeque::new();
        }
        s.write_gen += 1;
        crate::wait::notify();
        Ok(n)
    }

    fn write(&self, _io: &mut dyn Host, _off: u64, buf: &[u8]) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut s = self.pipe.st.lock();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        let free = s.cap.saturating_sub(s.buf.len());
        if free == 0 || (buf.len() <= PIPE_BUF && free < buf.len()) {
            return Err(Errno::EAGAIN);
        }
        let packet = self.packet.load(core::sync::atomic::Ordering::Relaxed);
        let n = buf.len().min(free).min(if packet { PIPE_BUF } else { usize::MAX });
        s.buf.try_reserve(n).map_err(|_| Errno::ENOMEM)?;
        s.buf.extend(&buf[..n]);
        if packet {
            let at = s.written;
            s.packets.push_back((at, n));
        }
        s.written += n as u64;
        s.read_gen += 1;
        crate::wait::notify();
        Ok(n)
    }

    fn seek_kind(&self) -> SeekKind {
        SeekKind::Stream
    }

    fn poll(&self, _io: &mut dyn Host) -> Readiness {
        let s = self.pipe.st.lock();
        let mut mask = 0;
        if self.read {
            if !s.buf.is_empty() {
                mask |= g::EPOLLIN | g::EPOLLRDNORM;
            }
            if s.writers == 0 && s.writers_seen != self.seen_at_open {
                mask |= g::EPOLLHUP;
            }
        }
        if self.write {
            if s.buf.len() < s.cap {
                mask |= g::EPOLLOUT | g::EPOLLWRNORM;
            }
            if s.readers == 0 {
                mask |= g::EPOLLERR;
            }
        }
        Readiness { mask, read_gen: s.read_gen, write_gen: s.write_gen }
    }

    fn bytes_ready(&self) -> Option<usize> {
        Some(self.pipe.st.lock().buf.len())
    }

    fn pollable(&self) -> bool {
        true
    }

    fn link_name(&self) -> Option<Vec<u8>> {
        Some(alloc::format!("pipe:[{}]", self.pipe.inode.ino).into_bytes())
    }
}
