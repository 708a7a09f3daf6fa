//! Open files of the in-memory filesystems: [`RegularFile`], [`DirFile`], [`PathFile`]
//! (`O_PATH`), and [`open_inode`], which gives the right [`FileOps`] for any inode (device
//! nodes, FIFOs, procfs nodes, the console streams...).

use super::inode::{Body, Inode};
use super::procfs::{self, ProcSource};
use super::{Vfs, devfs};
use crate::file::{DirEntry, FileOps, Host, SeekKind, Stat};
use alloc::sync::Arc;
use elfin_abi::Errno;
use linux_raw_sys::general as g;

/// An open regular file.
pub struct RegularFile {
    inode: Arc<Inode>,
}

impl RegularFile {
    /// A regular file on `inode` (which must have a [`Body::File`]).
    pub fn new(inode: Arc<Inode>) -> Self {
        RegularFile { inode }
    }

    /// `F_ADD_SEALS` / `F_GET_SEALS` state (memfd).
    pub fn seals(&self) -> u32 {
        self.inode.data().map_or(0, |d| d.lock().seals)
    }

    /// `F_ADD_SEALS`: `EPERM` once `F_SEAL_SEAL` is set, `EBUSY` for a write seal while
    /// writable shared mappings exist (there are none to track yet), `EINVAL` for unknown bits.
    pub fn add_seals(&self, seals: u32) -> Result<(), Errno> {
        let known = g::F_SEAL_SEAL | g::F_SEAL_SHRINK | g::F_SEAL_GROW | g::F_SEAL_WRITE | g::F_SEAL_FUTURE_WRITE | g::F_SEAL_EXEC;
        if seals & !known != 0 {
            return Err(Errno::EINVAL);
        }
        let d = self.inode.data().ok_or(Errno::EINVAL)?;
        let mut d = d.lock();
        if d.seals & g::F_SEAL_SEAL != 0 {
            return Err(Errno::EPERM);
        }
        d.seals |= seals;
        Ok(())
    }
}

impl FileOps for RegularFile {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }

    fn read(&self, _io: &mut dyn Host, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let d = self.inode.data().ok_or(Errno::EINVAL)?;
        let n = d.lock().read(off, buf);
        self.inode.touch_accessed();
        Ok(n)
    }

    fn write(&self, _io: &mut dyn Host, off: u64, buf: &[u8]) -> Result<usize, Errno> {
        let d = self.inode.data().ok_or(Errno::EINVAL)?;
        let mut d = d.lock();
        if d.seals & (g::F_SEAL_WRITE | g::F_SEAL_FUTURE_WRITE) != 0 {
            return Err(Errno::EPERM);
        }
        if d.seals & g::F_SEAL_GROW != 0 && off.saturating_add(buf.len() as u64) > d.size() {
            return Err(Errno::EPERM);
        }
        let n = d.write(off, buf)?;
        drop(d);
        if n > 0 {
            self.inode.touch_modified();
        }
        Ok(n)
    }

    fn seek_kind(&self) -> SeekKind {
        SeekKind::Sized
    }

    fn seek_data(&self, off: u64, data: bool) -> Result<u64, Errno> {
        self.inode.data().ok_or(Errno::EINVAL)?.lock().seek_data(off, data)
    }

    fn size(&self) -> u64 {
        self.inode.data().map_or(0, |d| d.lock().size())
    }

    fn truncate(&self, len: u64) -> Result<(), Errno> {
        let d = self.inode.data().ok_or(Errno::EINVAL)?;
        let mut d = d.lock();
        let size = d.size();
        if (len < size && d.seals & g::F_SEAL_SHRINK != 0) || (len > size && d.seals & g::F_SEAL_GROW != 0) {
            return Err(Errno::EPERM);
        }
        d.truncate(len)?;
        drop(d);
        if len != size {
            self.inode.touch_modified();
        }
        Ok(())
    }

    fn fallocate(&self, mode: u32, off: u64, len: u64) -> Result<(), Errno> {
        let d = self.inode.data().ok_or(Errno::EINVAL)?;
        let mut d = d.lock();
        if mode & g::FALLOC_FL_PUNCH_HOLE != 0 {
            if d.seals & (g::F_SEAL_WRITE | g::F_SEAL_FUTURE_WRITE) != 0 {
                return Err(Errno::EPERM);
            }
            d.punch_hole(off, len)?;
        } else {
            let keep = mode & g::FALLOC_FL_KEEP_SIZE != 0;
            if !keep && d.seals & g::F_SEAL_GROW != 0 && off.saturating_add(len) > d.size() {
                return Err(Errno::EPERM);
            }
            d.allocate(off, len, keep)?;
        }
        drop(d);
        self.inode.touch_modified();
        Ok(())
    }

    fn mappable(&self) -> bool {
        true
    }

    fn splice_read(&self) -> bool {
        true
    }
}

/// An open directory.
pub struct DirFile {
    inode: Arc<Inode>,
}

impl DirFile {
    /// A directory file on `inode`.
    pub fn new(inode: Arc<Inode>) -> Self {
        DirFile { inode }
    }
}

impl FileOps for DirFile {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, _io: &mut dyn Host, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn write(&self, _io: &mut dyn Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Dir
    }
    fn getdents(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64, Errno> {
        let parent = super::dir::parent_of(&self.inode).ino;
        let d = self.inode.dir()?.lock();
        if d.removed {
            return Err(Errno::ENOENT);
        }
        let next = d.list(pos, self.inode.ino, parent, emit);
        drop(d);
        self.inode.touch_accessed();
        Ok(next)
    }
}

/// A descriptor opened with `O_PATH`: names an inode, allows no I/O.
pub struct PathFile {
    inode: Arc<Inode>,
}

impl FileOps for PathFile {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, _io: &mut dyn Host, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn write(&self, _io: &mut dyn Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EBADF)
    }
    fn stat(&self) -> Stat {
        self.inode.stat()
    }
    fn is_path_only(&self) -> bool {
        true
    }
    fn getdents(&self, _pos: u64, _emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
}

/// The open-file object for `inode` opened with `flags` (checks of the access mode against the
/// inode type are the caller's: `open` does them in Linux's order).
pub fn open_inode(inode: &Arc<Inode>, flags: u32, vfs: &Vfs, src: &dyn ProcSource) -> Result<Arc<dyn FileOps>, Errno> {
    if flags & g::O_PATH != 0 {
        return Ok(Arc::new(PathFile { inode: inode.clone() }));
    }
    match &inode.body {
        Body::File(_) => Ok(Arc::new(RegularFile::new(inode.clone()))),
        Body::Dir(_) => Ok(Arc::new(DirFile::new(inode.clone()))),
        Body::Symlink(_) => Err(Errno::ELOOP),
        Body::Device => devfs::open(inode, vfs),
        Body::Fifo(_) => Ok(crate::pipe::open_fifo(inode, flags)?),
        Body::Socket => Err(Errno::ENXIO),
        Body::Shared(_) => crate::stdio::reopen(inode),
        Body::Anon => Err(Errno::ENXIO),
        Body::Proc(_) => procfs::open(inode, src),
    }
}
