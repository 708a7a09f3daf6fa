//! The file-descriptor table and the open files behind it.
//!
//! Today an open file is one of the console streams (a terminal or a pipe on the host side, as
//! the CLI reports) or the app's stdin captured by the CLI; the VFS issue adds regular files,
//! pipes and sockets behind the same [`OpenFile`].

use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use spin::Mutex;

/// Which console stream a file writes to (or reads from).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// fd 0: the terminal's input (COM1 receive).
    Stdin,
    /// fd 1: COM1.
    Stdout,
    /// fd 2: COM2.
    Stderr,
}

/// What an open file is.
#[derive(Debug)]
pub enum FileKind {
    /// A console stream; `tty` says whether the host side is a terminal (else it is a pipe).
    Console {
        /// The stream.
        stream: Stream,
        /// A terminal on the host (true) or a pipe/file (false).
        tty: bool,
    },
    /// Read-only bytes handed over at boot (the CLI's stdin when it was not a terminal); reads
    /// like the read end of a pipe whose writer has finished.
    Bytes(Arc<[u8]>),
}

/// An open file description (shared by duplicated descriptors).
#[derive(Debug)]
pub struct OpenFile {
    /// The object.
    pub kind: FileKind,
    /// `O_ACCMODE` and status flags (`O_APPEND`, `O_NONBLOCK`...).
    pub flags: u32,
    /// Current offset (for `Bytes`: how much has been read).
    pub offset: u64,
}

impl OpenFile {
    /// A new open file description.
    pub fn new(kind: FileKind, flags: u32) -> Arc<Mutex<OpenFile>> {
        Arc::new(Mutex::new(OpenFile { kind, flags, offset: 0 }))
    }

    /// Can this description be read? (`O_RDONLY` or `O_RDWR`.)
    pub fn readable(&self) -> bool {
        let acc = self.flags & linux_raw_sys::general::O_ACCMODE;
        acc == linux_raw_sys::general::O_RDONLY || acc == linux_raw_sys::general::O_RDWR
    }

    /// Can this description be written? (`O_WRONLY` or `O_RDWR`.)
    pub fn writable(&self) -> bool {
        let acc = self.flags & linux_raw_sys::general::O_ACCMODE;
        acc == linux_raw_sys::general::O_WRONLY || acc == linux_raw_sys::general::O_RDWR
    }
}

/// One slot of the table.
#[derive(Debug, Clone)]
pub struct FdEntry {
    /// The open file description.
    pub file: Arc<Mutex<OpenFile>>,
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
    pub fn file(&self, fd: i32) -> Result<Arc<Mutex<OpenFile>>, Errno> {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use linux_raw_sys::general::{O_RDONLY, O_WRONLY};

    fn entry(flags: u32) -> FdEntry {
        FdEntry { file: OpenFile::new(FileKind::Console { stream: Stream::Stdout, tty: false }, flags), cloexec: false }
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
    }

    #[test]
    fn access_modes() {
        let f = OpenFile::new(FileKind::Bytes(Arc::from(&b"x"[..])), O_RDONLY);
        assert!(f.lock().readable());
        assert!(!f.lock().writable());
    }
}
