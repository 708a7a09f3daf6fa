//! `/dev`: device nodes (`null`, `zero`, `full`, `random`, `urandom`, `tty`, `console`), the
//! `stdin`/`stdout`/`stderr`/`fd` links into `/proc/self/fd`, and `shm/` (POSIX shared
//! memory). A device node is an ordinary inode with a device number; opening one gives the
//! driver's [`FileOps`] here, so a node made with `mknod` works as well.

use super::dir;
use super::inode::{Body, Inode};
use super::Vfs;
use crate::file::{FileOps, Host, Readiness, SeekKind, Stream, makedev};
use crate::stdio::ConsoleFile;
use alloc::sync::Arc;
use elfin_abi::Errno;
use linux_raw_sys::general as g;

/// `/dev/null` (1, 3).
pub const NULL: u64 = makedev(1, 3);
/// `/dev/zero` (1, 5).
pub const ZERO: u64 = makedev(1, 5);
/// `/dev/full` (1, 7).
pub const FULL: u64 = makedev(1, 7);
/// `/dev/random` (1, 8).
pub const RANDOM: u64 = makedev(1, 8);
/// `/dev/urandom` (1, 9).
pub const URANDOM: u64 = makedev(1, 9);
/// `/dev/tty` (5, 0).
pub const TTY: u64 = makedev(5, 0);
/// `/dev/console` (5, 1).
pub const CONSOLE: u64 = makedev(5, 1);
/// `/dev/pts/0` (136, 0): the host's terminal.
pub const PTS0: u64 = makedev(136, 0);

/// A memory device (`null`, `zero`, `full`, `random`, `urandom`).
pub struct MemDev {
    inode: Arc<Inode>,
    rdev: u64,
}

impl MemDev {
    /// `/dev/zero`? (Its mappings are anonymous memory.)
    pub fn is_zero(&self) -> bool {
        self.rdev == ZERO
    }
}

impl FileOps for MemDev {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, io: &mut dyn Host, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match self.rdev {
            NULL => Ok(0),
            RANDOM | URANDOM => {
                io.random(buf);
                Ok(buf.len())
            }
            _ => {
                buf.fill(0);
                Ok(buf.len())
            }
        }
    }
    fn write(&self, _io: &mut dyn Host, _off: u64, buf: &[u8]) -> Result<usize, Errno> {
        if self.rdev == FULL { Err(Errno::ENOSPC) } else { Ok(buf.len()) }
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Null
    }
    fn poll(&self, _io: &mut dyn Host) -> Readiness {
        Readiness::ALWAYS
    }
    fn mappable(&self) -> bool {
        self.rdev == ZERO
    }
    fn pollable(&self) -> bool {
        // Linux's null, zero and full have no poll; random and urandom do.
        matches!(self.rdev, RANDOM | URANDOM)
    }
    fn splice_read(&self) -> bool {
        self.rdev != NULL
    }
    fn discards_writes(&self) -> bool {
        matches!(self.rdev, NULL | ZERO)
    }
}

/// Open the device node `inode`: `ENXIO` for a device Elfin has no driver for (as Linux
/// answers for an unregistered major), and for `/dev/tty` without a terminal.
pub fn open(inode: &Arc<Inode>, vfs: &Vfs) -> Result<Arc<dyn FileOps>, Errno> {
    let (mode, rdev) = {
        let m = inode.meta.lock();
        (m.mode, m.rdev)
    };
    if mode & g::S_IFMT == g::S_IFBLK {
        return Err(Errno::ENXIO);
    }
    match rdev {
        NULL | ZERO | FULL | RANDOM | URANDOM => Ok(Arc::new(MemDev { inode: inode.clone(), rdev })),
        TTY => {
            if vfs.tty() & 7 == 0 {
                return Err(Errno::ENXIO);
            }
            Ok(Arc::new(ConsoleFile::new(inode.clone(), Stream::Stdin, true)))
        }
        CONSOLE => Ok(Arc::new(ConsoleFile::new(inode.clone(), Stream::Stdout, vfs.tty() & 2 != 0))),
        PTS0 => {
            if vfs.tty() & 7 == 0 {
                return Err(Errno::ENXIO);
            }
            Ok(Arc::new(ConsoleFile::new(inode.clone(), Stream::Stdin, true)))
        }
        _ => Err(Errno::ENXIO),
    }
}

/// Fill the devtmpfs root `dev` with the standard nodes.
pub fn populate(dev: &Arc<Inode>) -> Result<(), Errno> {
    let nodes: [(&[u8], u32, u64); 7] = [
        (b"null", 0o666, NULL),
        (b"zero", 0o666, ZERO),
        (b"full", 0o666, FULL),
        (b"random", 0o666, RANDOM),
        (b"urandom", 0o666, URANDOM),
        (b"tty", 0o666, TTY),
        (b"console", 0o600, CONSOLE),
    ];
    for (name, perm, rdev) in nodes {
        let i = dir::create(dev, name, g::S_IFCHR | perm, 0, 0, Body::Device)?;
        i.meta.lock().rdev = rdev;
    }
    let links: [(&[u8], &[u8]); 4] =
        [(b"fd", b"/proc/self/fd"), (b"stdin", b"/proc/self/fd/0"), (b"stdout", b"/proc/self/fd/1"), (b"stderr", b"/proc/self/fd/2")];
    for (name, target) in links {
        dir::create(dev, name, g::S_IFLNK | 0o777, 0, 0, Body::Symlink(target.to_vec()))?;
    }
    let shm = dir::create(dev, b"shm", g::S_IFDIR | 0o1777, 0, 0, Body::Dir(Default::default()))?;
    let _ = shm;
    dir::create(dev, b"pts", g::S_IFDIR | 0o755, 0, 0, Body::Dir(Default::default()))?;
    Ok(())
}
