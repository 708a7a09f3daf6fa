//! The file-descriptor table and the open file descriptions behind it.
//!
//! An [`OpenFile`] (Linux's `struct file`) is shared by duplicated descriptors: it holds the
//! object ([`FileOps`]), the status flags and the offset. Its flags and offset sit behind
//! a small lock; the object is reached without it, so waiting on a pipe never holds it.

use crate::file::FileOps;
use crate::lock::LockOwner;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::{Mutex, MutexGuard};

pub use crate::file::Stream;

/// Flags and offset of an open file description.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileState {
    /// `O_ACCMODE` and status flags (`O_APPEND`, `O_NONBLOCK`...).
    pub flags: u32,
    /// Current offset (directories: the `getdents` position).
    pub offset: u64,
}

/// An open file description.
pub struct OpenFile {
    /// The object.
    pub ops: Arc<dyn FileOps>,
    /// The path it was opened by (empty for pipes, sockets, anonymous files).
    pub path: Vec<u8>,
    state: Mutex<FileState>,
}

/// A shared open file description.
pub type FileRef = Arc<OpenFile>;

impl core::fmt::Debug for OpenFile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "OpenFile({:?}, {:#x})", alloc::string::String::from_utf8_lossy(&self.path), self.flags())
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        let id = self.id();
        self.ops.inode().locks.lock().release_description(id);
    }
}

impl OpenFile {
    /// A new open file description of `ops` with `flags`, opened by `path`.
    pub fn new(ops: Arc<dyn FileOps>, flags: u32, path: Vec<u8>) -> FileRef {
        Arc::new(OpenFile { ops, path, state: Mutex::new(FileState { flags, offset: 0 }) })
    }

    /// Identity of the description (OFD locks and flock belong to it).
    pub fn id(&self) -> usize {
        self as *const OpenFile as usize
    }

    /// Owner of this description's OFD locks.
    pub fn lock_owner(&self) -> LockOwner {
        LockOwner::Description(self.id())
    }

    /// Flags and offset, locked.
    pub fn state(&self) -> MutexGuard<'_, FileState> {
        self.state.lock()
    }

    /// `O_ACCMODE` and status flags.
    pub fn flags(&self) -> u32 {
        self.state.lock().flags
    }

    /// Replace the status flags that `F_SETFL` may change (`mask`) with `flags`.
    pub fn set_flags(&self, mask: u32, flags: u32) {
        let mut s = self.state.lock();
        s.flags = (s.flags & !mask) | (flags & mask);
    }

    /// Current offset.
    pub fn offset(&self) -> u64 {
        self.state.lock().offset
    }

    /// Set the offset.
    pub fn set_offset(&self, off: u64) {
        self.state.lock().offset = off;
    }

    /// Non-blocking?
    pub fn nonblocking(&self) -> bool {
        self.flags() & g::O_NONBLOCK != 0
    }

    /// Can this description be read? (`O_RDONLY` or `O_RDWR`, not `O_PATH`.)
    pub fn readable(&self) -> bool {
        let f = self.flags();
        let acc = f & g::O_ACCMODE;
        f & g::O_PATH == 0 && (acc == g::O_RDONLY || acc == g::O_RDWR)
    }

    /// Can this description be written? (`O_WRONLY` or `O_RDWR`, not `O_PATH`.)
    pub fn writable(&self) -> bool {
        let f = self.flags();
        let acc = f & g::O_ACCMODE;
        f & g::O_PATH == 0 && (acc == g::O_WRONLY || acc == g::O_RDWR)
    }

    /// Opened with `O_PATH`?
    pub fn is_path(&self) -> bool {
        self.flags() & g::O_PATH != 0
    }

    /// What `readlink("/proc/self/fd/N")` shows: the path (with ` (deleted)` once the file
    /// has no name left), or the object's own name (`pipe:[N]`, `anon_inode:[eventfd]`).
    pub fn link_text(&self) -> Vec<u8> {
        if self.path.is_empty() {
            return self.ops.link_name().unwrap_or_default();
        }
        let mut p = self.path.clone();
        let inode = self.ops.inode();
        if inode.meta.lock().nlink == 0 {
            p.extend_from_slice(b" (deleted)");
        }
        p
    }
}

/// One slot of the table.
#[derive(Debug, Clone)]
pub struct FdEntry {
    /// The open file description.
    pub file: FileRef,
    /// `FD_CLOEXEC`.
    pub cloexec: bool,
}

/// A process's descriptor table.
#[derive(Debug, Default)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
}

/// Highest number of descriptors (Linux's default `RLIMIT_NOFILE` soft limit).
pub const NOFILE_DEFAULT: u64 = 1024;

impl FdTable {
    /// An empty table.
    pub fn new() -> Self {
        FdTable { slots: Vec::new() }
    }

    /// The entry at `fd`, or `EBADF`.
    pub fn get(&self, fd: i32) -> Result<&FdEntry, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get(i)).and_then(Option::as_ref).ok_or(Errno::EBADF)
    }

    /// The entry at `fd` for changing its flags, or `EBADF`.
    pub fn get_mut(&mut self, fd: i32) -> Result<&mut FdEntry, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).and_then(Option::as_mut).ok_or(Errno::EBADF)
    }

    /// The open file at `fd`, or `EBADF`.
    pub fn file(&self, fd: i32) -> Result<FileRef, Errno> {
        self.get(fd).map(|e| e.file.clone())
    }

    /// Install at the lowest free descriptor `>= min`, below `limit`; `EMFILE` when full.
    pub fn install(&mut self, entry: FdEntry, min: usize, limit: usize) -> Result<i32, Errno> {
        let free = (min..limit).find(|&i| self.slots.get(i).is_none_or(Option::is_none)).ok_or(Errno::EMFILE)?;
        if free >= self.slots.len() {
            self.slots.resize(free + 1, None);
        }
        self.slots[free] = Some(entry);
        Ok(free as i32)
    }

    /// Put `entry` at exactly `fd` (closing what was there); returns the old entry.
    pub fn install_at(&mut self, fd: usize, entry: FdEntry) -> Option<FdEntry> {
        if fd >= self.slots.len() {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd].replace(entry)
    }

    /// Close `fd`.
    pub fn close(&mut self, fd: i32) -> Result<FdEntry, Errno> {
        usize::try_from(fd).ok().and_then(|i| self.slots.get_mut(i)).and_then(Option::take).ok_or(Errno::EBADF)
    }

    /// The open descriptors, in order.
    pub fn open_fds(&self) -> Vec<i32> {
        self.slots.iter().enumerate().filter(|(_, s)| s.is_some()).map(|(i, _)| i as i32).collect()
    }

    /// One past the highest slot the table has room for.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// No slots at all?
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::Vfs;
    use crate::vfs::inode::ZeroClock;
    use linux_raw_sys::general::{O_RDONLY, O_WRONLY};

    fn entry(flags: u32) -> FdEntry {
        let vfs = Vfs::new(Arc::new(ZeroClock), 1 << 20).unwrap();
        let ops = crate::stdio::console(&vfs.devpts, Stream::Stdout, false).unwrap();
        FdEntry { file: OpenFile::new(ops, flags, Vec::new()), cloexec: false }
    }

    #[test]
    fn lowest_free_descriptor_and_ebadf() {
        let mut t = FdTable::new();
        assert_eq!(t.install(entry(O_RDONLY), 0, 4), Ok(0));
        assert_eq!(t.install(entry(O_WRONLY), 0, 4), Ok(1));
        assert_eq!(t.install(entry(O_WRONLY), 3, 4), Ok(3));
        assert_eq!(t.install(entry(O_WRONLY), 0, 4), Ok(2));
        assert_eq!(t.install(entry(O_WRONLY), 0, 4).unwrap_err(), Errno::EMFILE);
        assert!(t.close(1).is_ok());
        assert_eq!(t.close(1).unwrap_err(), Errno::EBADF);
        assert_eq!(t.get(-1).unwrap_err(), Errno::EBADF);
        assert_eq!(t.get(99).unwrap_err(), Errno::EBADF);
        assert_eq!(t.install(entry(O_WRONLY), 0, 4), Ok(1));
        assert_eq!(t.open_fds(), alloc::vec![0, 1, 2, 3]);
    }

    #[test]
    fn access_modes() {
        let f = entry(O_RDONLY).file;
        assert!(f.readable());
        assert!(!f.writable());
        let p = entry(O_RDONLY | g::O_PATH).file;
        assert!(!p.readable());
    }
}
