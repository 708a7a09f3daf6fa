//! eventfd: a 64-bit counter as a file. A write adds to it (`EAGAIN` when it would pass
//! `u64::MAX - 1`), a read takes all of it, or 1 in semaphore mode (`EAGAIN` at 0).

use crate::file::{FileOps, Host, Readiness, SeekKind};
use crate::vfs::Inode;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// Largest value the counter holds.
pub const MAX: u64 = u64::MAX - 1;

struct State {
    count: u64,
    read_gen: u64,
    write_gen: u64,
}

/// An eventfd.
pub struct EventFd {
    inode: Arc<Inode>,
    semaphore: bool,
    st: Mutex<State>,
}

impl EventFd {
    /// A counter starting at `initval`, on the shared anonymous inode.
    pub fn new(inode: Arc<Inode>, initval: u32, semaphore: bool) -> Self {
        EventFd { inode, semaphore, st: Mutex::new(State { count: initval as u64, read_gen: 0, write_gen: 0 }) }
    }

    /// The counter (for `/proc/self/fdinfo`).
    pub fn count(&self) -> u64 {
        self.st.lock().count
    }
}

impl FileOps for EventFd {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, _io: &mut dyn Host, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut s = self.st.lock();
        if s.count == 0 {
            return Err(Errno::EAGAIN);
        }
        let v = if self.semaphore { 1 } else { s.count };
        s.count -= v;
        s.write_gen += 1;
        crate::wait::notify();
        buf[..8].copy_from_slice(&v.to_ne_bytes());
        Ok(8)
    }
    fn write(&self, _io: &mut dyn Host, _off: u64, buf: &[u8]) -> Result<usize, Errno> {
        if buf.len() != 8 {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[..8]);
        let v = u64::from_ne_bytes(b);
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut s = self.st.lock();
        if v > MAX - s.count {
            return Err(Errno::EAGAIN);
        }
        s.count += v;
        if v > 0 {
            s.read_gen += 1;
            crate::wait::notify();
        }
        Ok(8)
    }
    fn poll(&self, _io: &mut dyn Host) -> Readiness {
        let s = self.st.lock();
        let mut mask = 0;
        if s.count > 0 {
            mask |= g::EPOLLIN | g::EPOLLRDNORM;
        }
        if s.count < MAX {
            mask |= g::EPOLLOUT | g::EPOLLWRNORM;
        }
        Readiness { mask, read_gen: s.read_gen, write_gen: s.write_gen }
    }
    fn pollable(&self) -> bool {
        true
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Anon
    }
    fn writes_everything(&self) -> bool {
        false
    }
    fn link_name(&self) -> Option<Vec<u8>> {
        Some(b"anon_inode:[eventfd]".to_vec())
    }
}
