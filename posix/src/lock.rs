//! Advisory locks of one inode: POSIX record locks (`fcntl F_SETLK`, owned by a process and
//! released when it closes any descriptor of the file), open-file-description record locks
//! (`F_OFD_SETLK`, owned by the description), and `flock` locks (per description).
//!
//! Locks of one owner never conflict with each other: a new lock replaces, splits or merges
//! the owner's locks over its range, as Linux's `posix_lock_inode` does. Conflicts are between
//! different owners, e.g. two descriptions of the same file (OFD locks and flock).

use alloc::vec::Vec;
use elfin_abi::Errno;

/// Who owns a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockOwner {
    /// A process (classic POSIX record locks).
    Process(i32),
    /// An open file description (OFD locks), by its address.
    Description(usize),
}

/// Shared or exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// `F_RDLCK` / `LOCK_SH`.
    Read,
    /// `F_WRLCK` / `LOCK_EX`.
    Write,
}

/// A record lock on bytes `[start, end]` (inclusive; `end == u64::MAX`: to the end of file
/// and beyond).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLock {
    /// Owner.
    pub owner: LockOwner,
    /// Kind.
    pub kind: LockKind,
    /// First byte.
    pub start: u64,
    /// Last byte.
    pub end: u64,
    /// Pid to report (`-1` for OFD locks).
    pub pid: i32,
}

impl RecordLock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }
}

/// The locks of one inode.
#[derive(Debug, Default)]
pub struct FileLocks {
    records: Vec<RecordLock>,
    flocks: Vec<(usize, LockKind)>,
}

impl FileLocks {
    /// The first lock of another owner that conflicts with `kind` over `[start, end]`.
    pub fn conflict(&self, owner: LockOwner, kind: LockKind, start: u64, end: u64) -> Option<RecordLock> {
        self.records
            .iter()
            .find(|l| l.owner != owner && l.overlaps(start, end) && (kind == LockKind::Write || l.kind == LockKind::Write))
            .copied()
    }

    /// Set (`Some(kind)`) or remove (`None`) `owner`'s lock over `[start, end]`; `EAGAIN` on a
    /// conflict with another owner (nothing changes then).
    pub fn set(&mut self, owner: LockOwner, kind: Option<LockKind>, start: u64, end: u64, pid: i32) -> Result<(), Errno> {
        if let Some(k) = kind
            && self.conflict(owner, k, start, end).is_some()
        {
            return Err(Errno::EAGAIN);
        }
        let mut kept = Vec::with_capacity(self.records.len() + 2);
        for l in self.records.drain(..) {
            if l.owner != owner || !l.overlaps(start, end) {
                kept.push(l);
                continue;
            }
            if l.start < start {
                kept.push(RecordLock { end: start - 1, ..l });
            }
            if l.end > end {
                kept.push(RecordLock { start: end + 1, ..l });
            }
        }
        self.records = kept;
        if let Some(kind) = kind {
            let mut new = RecordLock { owner, kind, start, end, pid };
            // Merge with the owner's adjacent or overlapping locks of the same kind.
            self.records.retain(|l| {
                let touches = l.owner == owner
                    && l.kind == kind
                    && l.start <= new.end.saturating_add(1)
                    && new.start <= l.end.saturating_add(1);
                if touches {
                    new.start = new.start.min(l.start);
                    new.end = new.end.max(l.end);
                }
                !touches
            });
            self.records.push(new);
        }
        // A lock may have been released or downgraded: waiters look again.
        crate::wait::notify();
        Ok(())
    }

    /// Drop every record lock of `owner` (a process closed a descriptor of the file, or a
    /// description went away).
    pub fn release_owner(&mut self, owner: LockOwner) {
        let before = self.records.len();
        self.records.retain(|l| l.owner != owner);
        if self.records.len() != before {
            crate::wait::notify();
        }
    }

    /// `flock` by description `desc`: `Some(kind)` to lock (converting an existing lock),
    /// `None` to unlock; `EWOULDBLOCK` on a conflict.
    pub fn flock(&mut self, desc: usize, kind: Option<LockKind>) -> Result<(), Errno> {
        match kind {
            None => {
                self.flocks.retain(|(d, _)| *d != desc);
                crate::wait::notify();
            }
            Some(k) => {
                let conflict = self.flocks.iter().any(|(d, h)| *d != desc && (k == LockKind::Write || *h == LockKind::Write));
                if conflict {
                    return Err(Errno::EWOULDBLOCK);
                }
                self.flocks.retain(|(d, _)| *d != desc);
                self.flocks.push((desc, k));
                crate::wait::notify();
            }
        }
        Ok(())
    }

    /// A description is gone: its OFD locks and its flock.
    pub fn release_description(&mut self, desc: usize) {
        self.release_owner(LockOwner::Description(desc));
        let before = self.flocks.len();
        self.flocks.retain(|(d, _)| *d != desc);
        if self.flocks.len() != before {
            crate::wait::notify();
        }
    }

    /// Record locks held (for tests and `/proc/locks`).
    pub fn records(&self) -> &[RecordLock] {
        &self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LockKind::*;

    #[test]
    fn same_owner_splits_and_merges() {
        let mut l = FileLocks::default();
        let p = LockOwner::Process(1);
        l.set(p, Some(Write), 0, 99, 1).unwrap();
        l.set(p, Some(Read), 10, 19, 1).unwrap();
        assert_eq!(l.records().len(), 3);
        l.set(p, Some(Write), 10, 19, 1).unwrap();
        assert_eq!(l.records(), &[RecordLock { owner: p, kind: Write, start: 0, end: 99, pid: 1 }]);
        l.set(p, None, 50, u64::MAX, 1).unwrap();
        assert_eq!(l.records()[0].end, 49);
    }

    #[test]
    fn other_owners_conflict() {
        let mut l = FileLocks::default();
        let (a, b) = (LockOwner::Description(1), LockOwner::Description(2));
        l.set(a, Some(Read), 0, 9, -1).unwrap();
        assert!(l.set(b, Some(Read), 5, 20, -1).is_ok());
        assert_eq!(l.set(b, Some(Write), 5, 5, -1), Err(Errno::EAGAIN));
        assert_eq!(l.conflict(b, Write, 0, 0).map(|x| x.owner), Some(a));
        l.release_description(1);
        assert!(l.set(b, Some(Write), 0, 4, -1).is_ok());
        assert_eq!(l.flock(1, Some(Write)), Ok(()));
        assert_eq!(l.flock(2, Some(Read)), Err(Errno::EWOULDBLOCK));
        assert_eq!(l.flock(1, Some(Read)), Ok(()));
        assert_eq!(l.flock(2, Some(Read)), Ok(()));
    }
}
