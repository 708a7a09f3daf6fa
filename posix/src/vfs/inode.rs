//! Inodes and superblocks: the objects every filesystem of the VFS is made of.
//!
//! An [`Inode`] has Linux's attributes ([`Meta`]: mode, owner, link count, times) and a
//! [`Body`] saying what it is: a regular file ([`FileData`]), a directory ([`Dir`]), a symlink,
//! a device node, a FIFO, a procfs node... Each inode belongs to a [`Superblock`] (its
//! filesystem: device number, magic, clock, inode numbers), and file data is charged to a
//! [`Budget`] shared by the memory-backed filesystems, so running out of room is `ENOSPC`, never
//! a failed allocation.

use super::data::FileData;
use super::dir::Dir;
use super::procfs::ProcNode;
use crate::file::{FileOps, Stat, Timespec};
use crate::lock::FileLocks;
use crate::pipe::Pipe;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// Page size of file data.
pub const PAGE: u64 = 4096;

/// The time source of filesystem time stamps (wall clock).
pub trait FsClock: Send + Sync {
    /// Now.
    fn now(&self) -> Timespec;
}

/// A clock stuck at the epoch (tests, and a process created before the kernel set its clock).
#[derive(Debug)]
pub struct ZeroClock;

impl FsClock for ZeroClock {
    fn now(&self) -> Timespec {
        Timespec::default()
    }
}

/// How much memory the kernel could still hand out (free frames and free heap), so that the
/// filesystems stop before the heap runs dry for everything else.
pub trait MemoryGauge: Send + Sync {
    /// Bytes still available.
    fn available(&self) -> u64;
}

/// Memory kept free for the kernel's own structures: a charge that would leave less is
/// `ENOMEM` even within the capacity.
pub const RESERVE: u64 = 4 << 20;

/// How much memory the in-memory filesystems may hold (tmpfs's `size=`): file pages and a
/// fixed cost per inode are charged here; a charge past the capacity is `ENOSPC`, one that
/// would leave the kernel less than [`RESERVE`] (the app took the rest) is `ENOMEM`.
pub struct Budget {
    capacity: u64,
    used: AtomicU64,
    gauge: Option<Arc<dyn MemoryGauge>>,
}

impl core::fmt::Debug for Budget {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Budget({} of {})", self.used(), self.capacity)
    }
}

/// What an inode costs the budget: roughly what it and its directory entry take on the kernel
/// heap (Linux's tmpfs counts inodes separately; one number is simpler and keeps the budget
/// an honest bound of the heap).
pub const INODE_COST: u64 = 1024;

impl Budget {
    /// A budget of `capacity` bytes.
    pub fn new(capacity: u64) -> Self {
        Budget { capacity, used: AtomicU64::new(0), gauge: None }
    }
    /// A budget of `capacity` bytes that also keeps [`RESERVE`] of `gauge` free.
    pub fn with_gauge(capacity: u64, gauge: Arc<dyn MemoryGauge>) -> Self {
        Budget { capacity, used: AtomicU64::new(0), gauge: Some(gauge) }
    }
    /// Take `bytes`, or `ENOSPC` past the capacity, or `ENOMEM` when memory is short.
    pub fn charge(&self, bytes: u64) -> Result<(), Errno> {
        if let Some(g) = &self.gauge
            && g.available() < RESERVE.saturating_add(bytes)
        {
            return Err(Errno::ENOMEM);
        }
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| u.checked_add(bytes).filter(|&n| n <= self.capacity))
            .map(|_| ())
            .map_err(|_| Errno::ENOSPC)
    }
    /// Give `bytes` back.
    pub fn uncharge(&self, bytes: u64) {
        let _ = self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| Some(u.saturating_sub(bytes)));
    }
    /// Capacity in bytes.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }
    /// Bytes in use.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Acquire)
    }
}

/// Which filesystem a superblock is (for `statfs`, `/proc/mounts` and a few rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsKind {
    /// The root and `/tmp` (Linux's initramfs is a tmpfs).
    Tmpfs,
    /// `/dev`.
    Devtmpfs,
    /// `/proc`.
    Proc,
    /// Anonymous pipes.
    Pipefs,
    /// eventfd, epoll, timerfd (`anon_inode:[...]`).
    AnonInode,
    /// memfd files (Linux's internal shmem mount).
    Memfd,
    /// The console streams as the host redirected them.
    Console,
}

impl FsKind {
    /// `f_type` of `statfs`.
    pub fn magic(self) -> u32 {
        match self {
            FsKind::Tmpfs | FsKind::Devtmpfs | FsKind::Memfd => g::TMPFS_MAGIC,
            FsKind::Proc => g::PROC_SUPER_MAGIC,
            FsKind::Pipefs | FsKind::Console => g::PIPEFS_MAGIC,
            FsKind::AnonInode => g::ANON_INODE_FS_MAGIC,
        }
    }
}

/// A mounted filesystem instance.
pub struct Superblock {
    /// What it is.
    pub kind: FsKind,
    /// `st_dev` of its inodes.
    pub dev: u64,
    /// Time stamps.
    pub clock: Arc<dyn FsClock>,
    /// Memory accounting (shared between the memory-backed filesystems).
    pub budget: Arc<Budget>,
    next_ino: AtomicU64,
}

impl core::fmt::Debug for Superblock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Superblock({:?}, dev {:#x})", self.kind, self.dev)
    }
}

impl Superblock {
    /// A filesystem whose first inode number is `first_ino`.
    pub fn new(kind: FsKind, dev: u64, clock: Arc<dyn FsClock>, budget: Arc<Budget>, first_ino: u64) -> Arc<Self> {
        Arc::new(Superblock { kind, dev, clock, budget, next_ino: AtomicU64::new(first_ino) })
    }
    /// A fresh inode number.
    pub fn alloc_ino(&self) -> u64 {
        self.next_ino.fetch_add(1, Ordering::Relaxed)
    }
    /// Now, for time stamps.
    pub fn now(&self) -> Timespec {
        self.clock.now()
    }
}

/// Attributes of an inode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Meta {
    /// `S_IFMT` type bits and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Hard links (directories: 2 + subdirectories).
    pub nlink: u32,
    /// Device number of a device node.
    pub rdev: u64,
    /// Last access.
    pub atime: Timespec,
    /// Last modification.
    pub mtime: Timespec,
    /// Last status change.
    pub ctime: Timespec,
    /// Creation.
    pub btime: Timespec,
}

/// What an inode is.
pub enum Body {
    /// A regular file.
    File(Mutex<FileData>),
    /// A directory.
    Dir(Mutex<Dir>),
    /// A symbolic link and its target.
    Symlink(Vec<u8>),
    /// A character or block device (`Meta::rdev` says which).
    Device,
    /// A FIFO or an anonymous pipe: the pipe while some end of it is open.
    Fifo(Mutex<Weak<Pipe>>),
    /// A Unix socket bound in the filesystem.
    Socket,
    /// An object opened once and shared by every later open (the console streams).
    Shared(Mutex<Option<Weak<dyn FileOps>>>),
    /// An anonymous inode (eventfd, epoll, timerfd): cannot be reopened.
    Anon,
    /// A procfs node, generated on lookup and open.
    Proc(ProcNode),
}

/// An inode.
pub struct Inode {
    /// Inode number (unique within its superblock).
    pub ino: u64,
    /// Its filesystem.
    pub sb: Arc<Superblock>,
    /// Attributes.
    pub meta: Mutex<Meta>,
    /// What it is.
    pub body: Body,
    /// Record locks and `flock` locks.
    pub locks: Mutex<FileLocks>,
    /// Extended attributes.
    pub xattrs: Mutex<super::xattr::Xattrs>,
}

impl core::fmt::Debug for Inode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Inode({}, {:o})", self.ino, self.meta.lock().mode)
    }
}

impl Drop for Inode {
    fn drop(&mut self) {
        if matches!(self.sb.kind, FsKind::Tmpfs | FsKind::Devtmpfs | FsKind::Memfd) {
            self.sb.budget.uncharge(INODE_COST + self.xattrs.lock().bytes());
        }
    }
}

/// The `DT_*` type of a mode.
pub fn dt_type(mode: u32) -> u8 {
    ((mode & g::S_IFMT) >> 12) as u8
}

impl Inode {
    /// A new inode of `sb` with `mode`, owned by `uid:gid`, times set to now, link count 1
    /// (2 for directories). Charged to the budget of memory-backed filesystems.
    pub fn new(sb: &Arc<Superblock>, mode: u32, uid: u32, gid: u32, body: Body) -> Result<Arc<Inode>, Errno> {
        if matches!(sb.kind, FsKind::Tmpfs | FsKind::Devtmpfs | FsKind::Memfd) {
            sb.budget.charge(INODE_COST)?;
        }
        let now = sb.now();
        let nlink = if mode & g::S_IFMT == g::S_IFDIR { 2 } else { 1 };
        let meta = Meta { mode, uid, gid, nlink, rdev: 0, atime: now, mtime: now, ctime: now, btime: now };
        Ok(Arc::new(Inode {
            ino: sb.alloc_ino(),
            sb: sb.clone(),
            meta: Mutex::new(meta),
            body,
            locks: Mutex::new(FileLocks::default()),
            xattrs: Mutex::new(Default::default()),
        }))
    }

    /// The `S_IFMT` bits.
    pub fn file_type(&self) -> u32 {
        self.meta.lock().mode & g::S_IFMT
    }

    /// A directory?
    pub fn is_dir(&self) -> bool {
        self.file_type() == g::S_IFDIR
    }

    /// A symlink (including procfs links)?
    pub fn is_symlink(&self) -> bool {
        self.file_type() == g::S_IFLNK
    }

    /// A regular file?
    pub fn is_regular(&self) -> bool {
        self.file_type() == g::S_IFREG
    }

    /// The directory body, or `ENOTDIR`.
    pub fn dir(&self) -> Result<&Mutex<Dir>, Errno> {
        match &self.body {
            Body::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// The regular-file body, if any.
    pub fn data(&self) -> Option<&Mutex<FileData>> {
        match &self.body {
            Body::File(d) => Some(d),
            _ => None,
        }
    }

    /// Attributes as `stat` reports them.
    pub fn stat(&self) -> Stat {
        let m = *self.meta.lock();
        let (size, blocks) = match &self.body {
            Body::File(d) => {
                let d = d.lock();
                (d.size(), d.blocks())
            }
            Body::Dir(d) => (d.lock().size(), 0),
            Body::Symlink(t) => (t.len() as u64, 0),
            Body::Proc(n) => (n.stat_size(), 0),
            _ => (0, 0),
        };
        Stat {
            dev: self.sb.dev,
            ino: self.ino,
            mode: m.mode,
            nlink: m.nlink,
            uid: m.uid,
            gid: m.gid,
            rdev: m.rdev,
            size,
            blksize: if self.sb.kind == FsKind::Proc { 1024 } else { PAGE as u32 },
            blocks,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
            btime: m.btime,
        }
    }

    /// Set mtime and ctime to now (contents changed).
    pub fn touch_modified(&self) {
        let now = self.sb.now();
        let mut m = self.meta.lock();
        m.mtime = now;
        m.ctime = now;
    }

    /// Set ctime to now (attributes changed).
    pub fn touch_changed(&self) {
        let now = self.sb.now();
        self.meta.lock().ctime = now;
    }

    /// Update atime after a read, with Linux's default `relatime` rule: only when it is not
    /// newer than mtime or ctime, or older than a day.
    pub fn touch_accessed(&self) {
        let now = self.sb.now();
        let mut m = self.meta.lock();
        if m.atime <= m.mtime || m.atime <= m.ctime || now.sec - m.atime.sec >= 24 * 3600 {
            m.atime = now;
        }
    }

    /// The target of a plain symlink.
    pub fn symlink_target(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Symlink(t) => Some(t),
            _ => None,
        }
    }
}

/// Can `creds` access `inode` for `mask` (`R_OK | W_OK | X_OK` bits)? Root passes everything
/// except execute of a non-directory with no execute bit at all, as with `CAP_DAC_OVERRIDE`.
pub fn permission(inode: &Inode, uid: u32, gid: u32, mask: u32) -> Result<(), Errno> {
    let m = *inode.meta.lock();
    if uid == 0 {
        if mask & 1 != 0 && m.mode & g::S_IFMT != g::S_IFDIR && m.mode & 0o111 == 0 {
            return Err(Errno::EACCES);
        }
        return Ok(());
    }
    let bits = if uid == m.uid {
        (m.mode >> 6) & 7
    } else if gid == m.gid {
        (m.mode >> 3) & 7
    } else {
        m.mode & 7
    };
    if mask & 7 & !bits != 0 { Err(Errno::EACCES) } else { Ok(()) }
}
