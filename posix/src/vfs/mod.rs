//! The virtual filesystem: one tree of [`Inode`]s in memory, made of several filesystems
//! (superblocks): the root tmpfs (with `/tmp`), devtmpfs on `/dev` ([`devfs`]), procfs on
//! `/proc` ([`procfs`]), plus the internal ones behind pipes, anonymous inodes (eventfd,
//! epoll, timerfd), memfd and the console streams.
//!
//! - [`inode`]: inodes, superblocks, the memory [`Budget`](inode::Budget);
//! - [`data`]: regular file contents (sparse pages, fallible allocation, initrd-backed);
//! - [`dir`]: directories and the namespace operations (link, unlink, rename...);
//! - [`path`]: path resolution;
//! - [`files`]: the open-file objects of regular files and directories, and
//!   [`files::open_inode`];
//! - [`initrd`]: unpacking the initrd (cpio) into the tree at boot.
//!
//! [`Vfs`] is the whole tree, shared by every process (there is one today); each process has
//! its own root and working directory (`crate::process::FsContext`).

pub mod data;
pub mod devfs;
pub mod dir;
pub mod files;
pub mod initrd;
pub mod inode;
pub mod path;
pub mod procfs;
pub mod xattr;

pub use inode::{Body, Inode};

use crate::file::makedev;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, Ordering};
use elfin_abi::Errno;
use inode::{Budget, FsClock, FsKind, Superblock};
use linux_raw_sys::general as g;

/// The filesystem tree and its filesystems.
pub struct Vfs {
    /// `/`.
    pub root: Arc<Inode>,
    /// `/tmp` as the kernel made it (kept world-writable and sticky).
    pub tmp: Arc<Inode>,
    /// Memory the in-memory filesystems may hold.
    pub budget: Arc<Budget>,
    /// Time stamps.
    pub clock: Arc<dyn FsClock>,
    /// The root tmpfs.
    pub tmpfs: Arc<Superblock>,
    /// `/dev`.
    pub devfs: Arc<Superblock>,
    /// `/proc`.
    pub procfs: Arc<Superblock>,
    /// Anonymous pipes.
    pub pipefs: Arc<Superblock>,
    /// memfd files.
    pub memfd: Arc<Superblock>,
    /// Console streams that are terminals (`/dev/pts/0`).
    pub devpts: Arc<Superblock>,
    /// The one inode every eventfd, epoll and timerfd shares (as Linux's anon_inode).
    pub anon_inode: Arc<Inode>,
    tty: AtomicU32,
}

impl core::fmt::Debug for Vfs {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Vfs(used {} of {})", self.budget.used(), self.budget.capacity())
    }
}

impl Vfs {
    /// A fresh tree: `/` (0755), `/tmp` (1777), `/dev` with its nodes, `/proc`. `capacity`:
    /// bytes the in-memory filesystems may hold (tmpfs's `size=`).
    pub fn new(clock: Arc<dyn FsClock>, capacity: u64) -> Result<Arc<Vfs>, Errno> {
        Self::with_budget(clock, Budget::new(capacity))
    }

    /// A fresh tree whose memory is accounted by `budget` (the kernel's keeps a reserve of
    /// free memory, see [`inode::MemoryGauge`]).
    pub fn with_budget(clock: Arc<dyn FsClock>, budget: Budget) -> Result<Arc<Vfs>, Errno> {
        let budget = Arc::new(budget);
        let sb = |kind, dev, first| Superblock::new(kind, dev, clock.clone(), budget.clone(), first);
        let tmpfs = sb(FsKind::Tmpfs, makedev(0, 32), 1);
        let devfs = sb(FsKind::Devtmpfs, makedev(0, 5), 1);
        let procfs = sb(FsKind::Proc, makedev(0, 21), 1);
        let pipefs = sb(FsKind::Pipefs, makedev(0, 14), 1000);
        let anon = sb(FsKind::AnonInode, makedev(0, 15), 1);
        let memfd = sb(FsKind::Memfd, makedev(0, 1), 1000);
        let devpts = sb(FsKind::Console, makedev(0, 24), 3);

        let root = Inode::new(&tmpfs, g::S_IFDIR | 0o755, 0, 0, Body::Dir(Default::default()))?;
        let tmp = dir::create(&root, b"tmp", g::S_IFDIR | 0o1777, 0, 0, Body::Dir(Default::default()))?;
        let dev = Inode::new(&devfs, g::S_IFDIR | 0o755, 0, 0, Body::Dir(Default::default()))?;
        dir::add(&root, b"dev", &dev, false)?;
        devfs::populate(&dev)?;
        let proc = procfs::new_root(&procfs, &root)?;
        dir::add(&root, b"proc", &proc, false)?;
        let anon_inode = Inode::new(&anon, 0o600, 0, 0, Body::Anon)?;
        Ok(Arc::new(Vfs { root, tmp, budget, clock, tmpfs, devfs, procfs, pipefs, memfd, devpts, anon_inode, tty: AtomicU32::new(0) }))
    }

    /// Bitmask of the standard streams that are terminals (bit 0: stdin...).
    pub fn tty(&self) -> u32 {
        self.tty.load(Ordering::Relaxed)
    }

    /// Record which standard streams are terminals (for `/dev/tty`, `/dev/console`).
    pub fn set_tty(&self, mask: u32) {
        self.tty.store(mask, Ordering::Relaxed);
    }

    /// Create `/etc/{hostname,hosts,passwd,group,resolv.conf}` and `/root` where the root
    /// filesystem does not bring its own.
    pub fn add_defaults(&self) -> Result<(), Errno> {
        let existing = self.root.dir()?.lock().get(b"etc").cloned();
        let etc = match existing {
            Some(e) => e,
            None => dir::create(&self.root, b"etc", g::S_IFDIR | 0o755, 0, 0, Body::Dir(Default::default()))?,
        };
        if !etc.is_dir() {
            return Ok(());
        }
        let files: [(&[u8], &[u8]); 6] = [
            (b"hostname", b"elfin\n"),
            (b"hosts", b"127.0.0.1\tlocalhost\n127.0.1.1\telfin\n::1\tlocalhost ip6-localhost ip6-loopback\n"),
            (b"passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
            (b"group", b"root:x:0:\ntty:x:5:\nnogroup:x:65534:\n"),
            (b"resolv.conf", b"nameserver 10.0.2.3\n"),
            (b"nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files dns\n"),
        ];
        for (name, text) in files {
            if etc.dir()?.lock().get(name).is_some() {
                continue;
            }
            let f = dir::create(&etc, name, g::S_IFREG | 0o644, 0, 0, Body::File(spin::Mutex::new(data::FileData::new(self.budget.clone()))))?;
            if let Some(d) = f.data() {
                d.lock().write(0, text)?;
            }
        }
        if self.root.dir()?.lock().get(b"root").is_none() {
            dir::create(&self.root, b"root", g::S_IFDIR | 0o700, 0, 0, Body::Dir(Default::default()))?;
        }
        Ok(())
    }

    /// A new empty regular-file body charged to the budget.
    pub fn file_body(&self) -> Body {
        Body::File(spin::Mutex::new(data::FileData::new(self.budget.clone())))
    }
}

#[cfg(test)]
mod tests;
