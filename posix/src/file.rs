//! What every open file is: the [`FileOps`] trait object behind an open file description
//! (regular files, directories, pipes, eventfd, timerfd, epoll, devices, the console...), the
//! [`Host`] services the objects may need (clocks, randomness, the console), and the
//! Linux-shaped [`Stat`] and [`Timespec`] values the syscall layer encodes.
//!
//! Operations never block: one that would returns `EAGAIN`, and the syscall layer blocks the
//! thread until a file event ([`crate::wait`]) and runs the call again. They work on kernel buffers; copying to and from the app's memory
//! is the syscall layer's job.
//!
//! Neighbours: [`crate::fd`] holds open file descriptions in the descriptor table;
//! [`crate::vfs`] gives inodes and the filesystem objects; [`crate::pipe`],
//! [`crate::eventfd`], [`crate::timerfd`], [`crate::epoll`] the other kinds.

use crate::vfs::Inode;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;
use elfin_abi::Errno;
use linux_raw_sys::general as g;

/// Console streams (the app's fds 0-2 as the CLI sets them up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// fd 0: the terminal's input (COM1 receive).
    Stdin,
    /// fd 1: COM1.
    Stdout,
    /// fd 2: COM2.
    Stderr,
}

/// Clocks a file object may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostClock {
    /// Wall time, ns since the epoch.
    Realtime,
    /// Time since boot.
    Monotonic,
}

/// Kernel services a file object may need during an operation. The syscall layer implements
/// it over its `Kernel` trait; host tests use fakes.
pub trait Host {
    /// Nanoseconds on `clock`.
    fn now_ns(&mut self, clock: HostClock) -> u64;
    /// Fill `buf` with random bytes.
    fn random(&mut self, buf: &mut [u8]);
    /// Write to a console stream (`tty`: terminal output processing).
    fn console_write(&mut self, stream: Stream, data: &[u8], tty: bool);
    /// Read from the terminal (waits for a line; 0 at end of input).
    fn console_read(&mut self, buf: &mut [u8]) -> usize;
    /// The app's memory, for the sinks of [`FileOps::read_stream`] (file objects themselves
    /// never touch it).
    fn mem(&self) -> &dyn elfin_abi::UserMemory;
}

/// A time stamp (`struct timespec`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespec {
    /// Seconds since the epoch.
    pub sec: i64,
    /// Nanoseconds, `0..1e9`.
    pub nsec: u32,
}

impl Timespec {
    /// From nanoseconds since the epoch.
    pub const fn from_ns(ns: u64) -> Self {
        Timespec { sec: (ns / 1_000_000_000) as i64, nsec: (ns % 1_000_000_000) as u32 }
    }
}

/// The attributes `stat(2)` reports, before encoding into a Linux struct.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    /// Device of the filesystem.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Type and permission bits.
    pub mode: u32,
    /// Hard links.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number of a device node.
    pub rdev: u64,
    /// Size in bytes.
    pub size: u64,
    /// Preferred I/O size.
    pub blksize: u32,
    /// 512-byte blocks allocated.
    pub blocks: u64,
    /// Last access.
    pub atime: Timespec,
    /// Last modification.
    pub mtime: Timespec,
    /// Last status change.
    pub ctime: Timespec,
    /// Creation.
    pub btime: Timespec,
}

/// Linux's `makedev` encoding of a device number.
pub const fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    (mi & 0xff) | ((ma & 0xfff) << 8) | ((mi & !0xff) << 12) | ((ma & !0xfff) << 32)
}

/// Major number of a device number.
pub const fn major(dev: u64) -> u32 {
    (((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)) as u32
}

/// Minor number of a device number.
pub const fn minor(dev: u64) -> u32 {
    ((dev & 0xff) | ((dev >> 12) & !0xff)) as u32
}

/// Readiness of a file: `EPOLL*` bits, and counters of the events Linux would wake waiters
/// for, which give edge-triggered epoll its edges: `read_gen` changes with events for readers
/// (data arrived, the writer left), `write_gen` with events for writers (room freed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    /// `EPOLLIN | EPOLLOUT | EPOLLHUP | ...`
    pub mask: u32,
    /// Changes on each event for readers.
    pub read_gen: u64,
    /// Changes on each event for writers.
    pub write_gen: u64,
}

impl Readiness {
    /// Always readable and writable (regular files, devices that never block).
    pub const ALWAYS: Readiness = Readiness { mask: g::EPOLLIN | g::EPOLLOUT | g::EPOLLRDNORM | g::EPOLLWRNORM, read_gen: 0, write_gen: 0 };
}

/// How `lseek` treats a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekKind {
    /// Pipes, sockets, consoles: `ESPIPE`.
    Stream,
    /// Offsets in `[0, MAX_LFS]`, `SEEK_END` from the size; `SEEK_DATA`/`SEEK_HOLE` as
    /// [`FileOps::seek_data`] says.
    Sized,
    /// Every seek succeeds and the offset stays 0 (`/dev/null`, `/dev/zero`).
    Null,
    /// Directories: `SEEK_SET` and `SEEK_CUR` only (positions are directory cookies).
    Dir,
    /// Anonymous objects (eventfd, timerfd, epoll): `lseek` succeeds and stays at 0, I/O is
    /// a stream's, and positional I/O is `ESPIPE` (Linux's `noop_llseek` without pread).
    Anon,
    /// Generated files (procfs): positional like a file, but `lseek` takes `SEEK_SET` and
    /// `SEEK_CUR` only (Linux's `seq_lseek`).
    Seq,
}

/// One directory entry handed to a [`FileOps::getdents`] consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry<'a> {
    /// Inode number.
    pub ino: u64,
    /// `DT_*` type.
    pub kind: u8,
    /// Name.
    pub name: &'a [u8],
    /// The position after this entry (`d_off`).
    pub next: u64,
}

/// Where a stream read delivers its bytes: stores what it can of `data` and returns how
/// much (fewer on a fault).
pub type Sink<'a> = dyn FnMut(&mut dyn Host, &[u8]) -> usize + 'a;

/// Largest file offset (`MAX_LFS_FILESIZE` on 64-bit Linux).
pub const MAX_LFS: u64 = i64::MAX as u64;

/// The operations of an open file. Everything defaults to what Linux answers for a file that
/// does not support the operation.
pub trait FileOps: Send + Sync + Any {
    /// The inode (anonymous objects have a shared anonymous inode, as on Linux).
    fn inode(&self) -> &Arc<Inode>;

    /// Read at `off` (streams ignore it) into `buf`; `EAGAIN` when it would block; 0 at end.
    fn read(&self, _io: &mut dyn Host, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// Write `buf` at `off` (streams ignore it); may write part; `EAGAIN` when it would block.
    fn write(&self, _io: &mut dyn Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    /// How `lseek` works.
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Stream
    }

    /// `SEEK_DATA` (`data`) or `SEEK_HOLE` from `off`: the resulting offset, or `ENXIO`.
    /// The default treats the whole file as data.
    fn seek_data(&self, off: u64, data: bool) -> Result<u64, Errno> {
        let size = self.size();
        if off >= size {
            return Err(Errno::ENXIO);
        }
        Ok(if data { off } else { size })
    }

    /// Current size (for `SEEK_END`, `O_APPEND`, `FIONREAD`).
    fn size(&self) -> u64 {
        self.inode().stat().size
    }

    /// Readiness for poll, select and epoll.
    fn poll(&self, _io: &mut dyn Host) -> Readiness {
        Readiness::ALWAYS
    }

    /// Can epoll watch it? (Linux refuses regular files and directories: `EPERM`.)
    fn pollable(&self) -> bool {
        false
    }

    /// When readiness may change by itself (a timer's next expiry), in monotonic ns.
    fn next_event(&self, _io: &mut dyn Host) -> Option<u64> {
        None
    }

    /// Does a blocking write go on until all of it is written (pipes, terminals)? Otherwise
    /// one write is one operation (eventfd).
    fn writes_everything(&self) -> bool {
        true
    }

    /// `stat` of the open file.
    fn stat(&self) -> Stat {
        self.inode().stat()
    }

    /// Change the size (`ftruncate`); the syscall layer checks the access mode.
    fn truncate(&self, _len: u64) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    /// `fallocate(mode, off, len)`.
    fn fallocate(&self, _mode: u32, _off: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::ENODEV)
    }

    /// Directory entries from position `pos`: calls `emit` for each until it returns false
    /// (the buffer is full); returns the position to resume from. `ENOTDIR` for non-directories.
    fn getdents(&self, _pos: u64, _emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64, Errno> {
        Err(Errno::ENOTDIR)
    }

    /// A terminal (answers `TCGETS` and friends)?
    fn is_tty(&self) -> bool {
        false
    }

    /// Bytes ready to read (`FIONREAD`), `None` when the ioctl does not apply (`ENOTTY`).
    fn bytes_ready(&self) -> Option<usize> {
        None
    }

    /// The `/proc/self/fd` link text when it is not a path (`pipe:[ino]`, `anon_inode:[...]`).
    fn link_name(&self) -> Option<Vec<u8>> {
        None
    }

    /// Can `mmap` map this file? (`ENODEV` otherwise.)
    fn mappable(&self) -> bool {
        false
    }

    /// The object behind a file opened with `O_PATH` only (no I/O at all)?
    fn is_path_only(&self) -> bool {
        false
    }

    /// Can sendfile read from it (Linux's `splice_read`: files and the memory devices)?
    fn splice_read(&self) -> bool {
        false
    }

    /// Writes are discarded without reading the caller's buffer (`/dev/null`, `/dev/zero`).
    fn discards_writes(&self) -> bool {
        false
    }

    /// Read from a stream into `sink`, which stores what it can and returns how much (less
    /// when the app's buffer faults): only what was delivered is consumed. The default
    /// reads into a buffer first (what the sink refuses is lost); pipes override it.
    fn read_stream(&self, io: &mut dyn Host, max: usize, sink: &mut Sink) -> Result<usize, Errno> {
        let mut tmp = alloc::vec::Vec::new();
        tmp.try_reserve_exact(max).map_err(|_| Errno::ENOMEM)?;
        tmp.resize(max, 0);
        let n = self.read(io, 0, &mut tmp)?;
        let w = sink(io, &tmp[..n]);
        if w == 0 && n > 0 { Err(Errno::EFAULT) } else { Ok(w) }
    }
}

/// `lseek` arithmetic for a [`SeekKind::Sized`] file: Linux's `generic_file_llseek_size`.
pub fn sized_seek(ops: &dyn FileOps, cur: u64, off: i64, whence: u32) -> Result<u64, Errno> {
    let target: i128 = match whence {
        g::SEEK_SET => off as i128,
        g::SEEK_CUR => cur as i128 + off as i128,
        g::SEEK_END => ops.size() as i128 + off as i128,
        g::SEEK_DATA | g::SEEK_HOLE => {
            if off < 0 {
                return Err(Errno::ENXIO);
            }
            return ops.seek_data(off as u64, whence == g::SEEK_DATA);
        }
        _ => return Err(Errno::EINVAL),
    };
    if target < 0 || target > MAX_LFS as i128 {
        return Err(Errno::EINVAL);
    }
    Ok(target as u64)
}
