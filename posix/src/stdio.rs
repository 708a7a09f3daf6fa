//! The app's standard streams as the CLI sets them up: [`ConsoleFile`] (a console stream that
//! is a terminal or a pipe on the host side) and [`CapturedInput`] (the CLI's stdin captured
//! into the initrd when it was not a terminal: reads like the read end of a pipe whose writer
//! has finished).
//!
//! Each has an inode of its own so that `fstat`, `/proc/self/fd/N` and `/dev/stdin` behave as
//! on Linux: reopening the inode (through `/proc/self/fd/0`) gives the same object back.

use crate::file::{FileOps, Host, Readiness, SeekKind, Sink, Stat, Stream, makedev};
use crate::vfs::inode::{Body, Inode, Superblock};

use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// A console stream.
pub struct ConsoleFile {
    inode: Arc<Inode>,
    stream: Stream,
    tty: bool,
}

impl ConsoleFile {
    /// A console stream file on `inode`.
    pub fn new(inode: Arc<Inode>, stream: Stream, tty: bool) -> Self {
        ConsoleFile { inode, stream, tty }
    }

    /// The stream and whether it is a terminal.
    pub fn stream(&self) -> (Stream, bool) {
        (self.stream, self.tty)
    }
}

impl FileOps for ConsoleFile {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, io: &mut dyn Host, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        Ok(io.console_read(buf))
    }
    fn write(&self, io: &mut dyn Host, _off: u64, buf: &[u8]) -> Result<usize, Errno> {
        // A terminal opened for reading and writing (fd 0) echoes to the screen, i.e. stdout.
        let stream = if self.stream == Stream::Stdin { Stream::Stdout } else { self.stream };
        io.console_write(stream, buf, self.tty);
        Ok(buf.len())
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Stream
    }
    // Readiness: always ready. Reading a terminal waits inside the console driver for a line,
    // which the console does not report to poll yet.
    fn poll(&self, _io: &mut dyn Host) -> Readiness {
        Readiness::ALWAYS
    }
    fn is_tty(&self) -> bool {
        self.tty
    }
    fn pollable(&self) -> bool {
        true
    }
    fn bytes_ready(&self) -> Option<usize> {
        Some(0)
    }
    fn link_name(&self) -> Option<Vec<u8>> {
        if self.tty {
            Some(b"/dev/pts/0".to_vec())
        } else {
            Some(alloc::format!("pipe:[{}]", self.inode.ino).into_bytes())
        }
    }
}

/// Input captured by the CLI: reads drain it, then end of file.
pub struct CapturedInput {
    inode: Arc<Inode>,
    data: &'static [u8],
    pos: Mutex<usize>,
}

impl FileOps for CapturedInput {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, _io: &mut dyn Host, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut pos = self.pos.lock();
        let start = (*pos).min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        *pos = start + n;
        Ok(n)
    }
    fn write(&self, _io: &mut dyn Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn read_stream(&self, io: &mut dyn Host, max: usize, sink: &mut Sink) -> Result<usize, Errno> {
        // As a pipe reads a page of data: delivered whole or not at all (EFAULT).
        let mut pos = self.pos.lock();
        let start = (*pos).min(self.data.len());
        let mut done = 0;
        while done < max && start + done < self.data.len() {
            let n = (max - done).min(4096).min(self.data.len() - start - done);
            let piece = &self.data[start + done..start + done + n];
            if sink(io, piece) < n {
                if done == 0 {
                    return Err(Errno::EFAULT);
                }
                break;
            }
            done += n;
        }
        *pos = start + done;
        Ok(done)
    }
    fn poll(&self, _io: &mut dyn Host) -> Readiness {
        // Data or end of file: a read never blocks. No writer is left: HUP, as a pipe shows.
        let left = *self.pos.lock() < self.data.len();
        let mask = if left { g::EPOLLIN | g::EPOLLRDNORM } else { g::EPOLLIN | g::EPOLLRDNORM | g::EPOLLHUP };
        Readiness { mask, read_gen: 0, write_gen: 0 }
    }
    fn bytes_ready(&self) -> Option<usize> {
        Some(self.data.len().saturating_sub(*self.pos.lock()))
    }
    fn pollable(&self) -> bool {
        true
    }
    fn stat(&self) -> Stat {
        self.inode.stat()
    }
    fn link_name(&self) -> Option<Vec<u8>> {
        Some(alloc::format!("pipe:[{}]", self.inode.ino).into_bytes())
    }
}

/// A stream inode of `sb`: a pty (`/dev/pts/0`, group tty) for a terminal, a pipe otherwise.
fn stream_inode(sb: &Arc<Superblock>, tty: bool) -> Result<Arc<Inode>, Errno> {
    let i = if tty {
        let i = Inode::new(sb, g::S_IFCHR | 0o620, 0, 5, Body::Shared(Mutex::new(None)))?;
        i.meta.lock().rdev = makedev(136, 0);
        i
    } else {
        Inode::new(sb, g::S_IFIFO | 0o600, 0, 0, Body::Shared(Mutex::new(None)))?
    };
    Ok(i)
}

fn share(inode: &Arc<Inode>, ops: Arc<dyn FileOps>) -> Arc<dyn FileOps> {
    if let Body::Shared(w) = &inode.body {
        *w.lock() = Some(Arc::downgrade(&ops));
    }
    ops
}

/// The file of console stream `stream` (`sb`: the console pseudo-filesystem).
/// Terminals live in devpts (`/dev/pts/0`), redirected streams in pipefs.
pub fn console(sb: &Arc<Superblock>, stream: Stream, tty: bool) -> Result<Arc<dyn FileOps>, Errno> {
    let inode = stream_inode(sb, tty)?;
    let ops: Arc<dyn FileOps> = Arc::new(ConsoleFile::new(inode.clone(), stream, tty));
    Ok(share(&inode, ops))
}

/// The terminal the host gave (`/dev/pts/0`, major 136): one inode for every standard stream
/// that is the terminal, as on Linux; a device node, so opening it again (through
/// `/proc/self/fd/N` or `/dev/pts/0`) gives the terminal.
pub fn terminal_inode(sb: &Arc<Superblock>) -> Result<Arc<Inode>, Errno> {
    let i = Inode::new(sb, g::S_IFCHR | 0o620, 0, 5, Body::Device)?;
    i.meta.lock().rdev = makedev(136, 0);
    Ok(i)
}

/// Console stream `stream` on the terminal inode `terminal`.
pub fn on_terminal(terminal: &Arc<Inode>, stream: Stream) -> Arc<dyn FileOps> {
    Arc::new(ConsoleFile::new(terminal.clone(), stream, true))
}

/// The file of captured input `data`.
pub fn captured(sb: &Arc<Superblock>, data: &'static [u8]) -> Result<Arc<dyn FileOps>, Errno> {
    let inode = stream_inode(sb, false)?;
    let ops: Arc<dyn FileOps> = Arc::new(CapturedInput { inode: inode.clone(), data, pos: Mutex::new(0) });
    Ok(share(&inode, ops))
}

/// The object a [`Body::Shared`] inode stands for, if it is still open somewhere.
pub fn reopen(inode: &Inode) -> Result<Arc<dyn FileOps>, Errno> {
    match &inode.body {
        Body::Shared(w) => w.lock().as_ref().and_then(|w| w.upgrade()).ok_or(Errno::ENXIO),
        _ => Err(Errno::ENXIO),
    }
}
