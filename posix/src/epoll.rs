//! epoll: a set of watched open files and the readiness the app asked for, level- or
//! edge-triggered (`EPOLLET`), one-shot (`EPOLLONESHOT`), nested (an epoll watching epolls,
//! without loops and at most [`MAX_NESTS`] deep).
//!
//! An interest names an open file description weakly: when the description is gone (every
//! descriptor of it closed) the interest goes too, as Linux removes it at the last `fput`.
//! Readiness is computed when `epoll_wait` looks ([`FileOps::poll`]); an edge is a change of
//! the object's event counters since the interest last reported ([`Readiness`]). Level-
//! triggered interests that were reported move to the back, so a small `maxevents` still
//! reaches every ready file in turn.

use crate::fd::{FileRef, OpenFile};
use crate::file::{FileOps, Host, Readiness, SeekKind};
use crate::vfs::Inode;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// Deepest nesting of epoll instances (Linux's `EP_MAX_NESTS`).
pub const MAX_NESTS: usize = 4;

/// Events every interest reports whether asked or not.
const ALWAYS: u32 = g::EPOLLERR | g::EPOLLHUP;
/// Flags that are not events.
const FLAGS: u32 = g::EPOLLET | g::EPOLLONESHOT | g::EPOLLEXCLUSIVE | g::EPOLLWAKEUP;

struct Interest {
    fd: i32,
    file: Weak<OpenFile>,
    /// The object, kept to compare identity (the weak link above decides life).
    id: usize,
    events: u32,
    data: u64,
    /// Counters when last reported (edge-triggered).
    seen: Option<(u64, u64)>,
    /// A one-shot interest that fired: silent until `EPOLL_CTL_MOD`.
    disarmed: bool,
}

/// An epoll instance.
pub struct Epoll {
    inode: Arc<Inode>,
    items: Mutex<VecDeque<Interest>>,
}

/// `EPOLL_CTL_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctl {
    /// Add.
    Add,
    /// Change.
    Mod,
    /// Remove.
    Del,
}

impl Epoll {
    /// An empty instance on the shared anonymous inode.
    pub fn new(inode: Arc<Inode>) -> Self {
        Epoll { inode, items: Mutex::new(VecDeque::new()) }
    }

    fn epolls_in(&self) -> Vec<Arc<dyn FileOps>> {
        self.items.lock().iter().filter_map(|i| i.file.upgrade()).map(|f| f.ops.clone()).filter(|o| as_epoll(&**o).is_some()).collect()
    }

    /// Can `me` reach the epoll `target` through nested instances, and how deep do they go
    /// from `me`?
    fn reach(me: &dyn FileOps, target: *const (), depth: usize) -> (bool, usize) {
        let Some(ep) = as_epoll(me) else { return (false, 0) };
        if core::ptr::eq(me as *const dyn FileOps as *const (), target) {
            return (true, 0);
        }
        if depth > MAX_NESTS + 1 {
            return (false, depth);
        }
        let mut deepest = 0;
        for sub in ep.epolls_in() {
            let (found, d) = Self::reach(&*sub, target, depth + 1);
            if found {
                return (true, d + 1);
            }
            deepest = deepest.max(d + 1);
        }
        (false, deepest)
    }

    /// `epoll_ctl` on `file` known as descriptor `fd`. `events` and `data` for add and
    /// modify. The caller checked that `file` is pollable (`EPERM`) and is not this instance
    /// (`EINVAL`).
    pub fn ctl(&self, me: &dyn FileOps, op: Ctl, fd: i32, file: &FileRef, events: u32, data: u64) -> Result<(), Errno> {
        let id = Arc::as_ptr(file) as usize;
        if matches!(op, Ctl::Add | Ctl::Mod) && events & g::EPOLLEXCLUSIVE != 0 {
            let ok = g::EPOLLIN | g::EPOLLOUT | g::EPOLLERR | g::EPOLLHUP | g::EPOLLWAKEUP | g::EPOLLET | g::EPOLLEXCLUSIVE;
            if op == Ctl::Mod || as_epoll(&*file.ops).is_some() || events & !ok != 0 {
                return Err(Errno::EINVAL);
            }
        }
        if op == Ctl::Add && as_epoll(&*file.ops).is_some() {
            // A loop back to this instance, or a chain deeper than Linux allows.
            let (found, depth) = Self::reach(&*file.ops, me as *const dyn FileOps as *const (), 0);
            if found || depth + 1 > MAX_NESTS {
                return Err(Errno::ELOOP);
            }
        }
        let mut items = self.items.lock();
        items.retain(|i| i.file.strong_count() > 0);
        let at = items.iter().position(|i| i.id == id && i.fd == fd);
        match (op, at) {
            (Ctl::Add, Some(_)) => Err(Errno::EEXIST),
            (Ctl::Add, None) => {
                items.push_back(Interest {
                    fd,
                    file: Arc::downgrade(file),
                    id,
                    events: events | ALWAYS,
                    data,
                    seen: None,
                    disarmed: false,
                });
                crate::wait::notify();
                Ok(())
            }
            (Ctl::Mod, Some(i)) => {
                let it = &mut items[i];
                if it.events & g::EPOLLEXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                it.events = events | ALWAYS;
                it.data = data;
                it.seen = None;
                it.disarmed = false;
                crate::wait::notify();
                Ok(())
            }
            (Ctl::Del, Some(i)) => {
                items.remove(i);
                Ok(())
            }
            (_, None) => Err(Errno::ENOENT),
        }
    }

    /// Ready interests as `(events, data)`, at most `max`, consuming edges and one-shots.
    pub fn collect(&self, io: &mut dyn Host, max: usize) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut items = self.items.lock();
        items.retain(|i| i.file.strong_count() > 0);
        let mut i = 0;
        let mut moved = 0;
        let n = items.len();
        while i + moved < n && out.len() < max {
            let Some(file) = items[i].file.upgrade() else {
                i += 1;
                continue;
            };
            let it = &items[i];
            if it.disarmed {
                i += 1;
                continue;
            }
            let r: Readiness = file.ops.poll(io);
            let got = r.mask & (it.events & !FLAGS);
            let gens = (r.read_gen, r.write_gen);
            let edge = it.events & g::EPOLLET != 0;
            let fresh = match it.seen {
                None => true,
                Some((rg, wg)) => (got & (g::EPOLLIN | g::EPOLLRDNORM | g::EPOLLHUP | g::EPOLLRDHUP) != 0 && rg != gens.0)
                    || (got & (g::EPOLLOUT | g::EPOLLWRNORM | g::EPOLLERR) != 0 && wg != gens.1),
            };
            if got == 0 || (edge && !fresh) {
                i += 1;
                continue;
            }
            out.push((got, it.data));
            let it = &mut items[i];
            it.seen = Some(gens);
            if it.events & g::EPOLLONESHOT != 0 {
                it.disarmed = true;
            }
            if !edge && it.events & g::EPOLLONESHOT == 0 {
                // Level-triggered: to the back, so the next wait starts with the others.
                if let Some(x) = items.remove(i) {
                    items.push_back(x);
                }
                moved += 1;
            } else {
                i += 1;
            }
        }
        out
    }

    /// The earliest time a watched object changes by itself (timers).
    pub fn next_event(&self, io: &mut dyn Host) -> Option<u64> {
        let files: Vec<FileRef> = self.items.lock().iter().filter_map(|i| i.file.upgrade()).collect();
        files.iter().filter_map(|f| f.ops.next_event(io)).min()
    }

    /// Number of interests (for tests and fdinfo).
    pub fn len(&self) -> usize {
        self.items.lock().iter().filter(|i| i.file.strong_count() > 0).count()
    }

    /// No interests?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The epoll behind `ops`, if it is one.
pub fn as_epoll(ops: &dyn FileOps) -> Option<&Epoll> {
    let any: &dyn core::any::Any = ops;
    any.downcast_ref::<Epoll>()
}

impl FileOps for Epoll {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, _io: &mut dyn Host, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _io: &mut dyn Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn poll(&self, io: &mut dyn Host) -> Readiness {
        // Readable when a wait would report something (without consuming it).
        let files: Vec<(FileRef, u32, Option<(u64, u64)>, bool)> = self
            .items
            .lock()
            .iter()
            .filter(|i| !i.disarmed)
            .filter_map(|i| i.file.upgrade().map(|f| (f, i.events, i.seen, i.events & g::EPOLLET != 0)))
            .collect();
        let mut mask = 0;
        let mut events_seen = 0u64;
        for (f, events, seen, edge) in files {
            let r = f.ops.poll(io);
            let got = r.mask & (events & !FLAGS);
            let fresh = seen != Some((r.read_gen, r.write_gen));
            if got != 0 && (!edge || fresh) {
                mask = g::EPOLLIN | g::EPOLLRDNORM;
                events_seen = events_seen.wrapping_add(r.read_gen).wrapping_add(r.write_gen);
            }
        }
        Readiness { mask, read_gen: events_seen, write_gen: 0 }
    }
    fn pollable(&self) -> bool {
        true
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Anon
    }
    fn next_event(&self, io: &mut dyn Host) -> Option<u64> {
        Epoll::next_event(self, io)
    }
    fn link_name(&self) -> Option<Vec<u8>> {
        Some(b"anon_inode:[eventpoll]".to_vec())
    }
}
