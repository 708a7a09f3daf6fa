//! Waiting for file events: the one wait queue of threads blocked on a file object (a pipe
//! to read, a FIFO partner, a lock, poll/select/epoll).
//!
//! A blocked file call returns to the kernel, which blocks the thread and runs the call again
//! when it is woken (the restart model of `crate::thread`). Objects call [`FileEvents::notify`]
//! whenever something a waiter may wait for happens (data written or read, an end closed, a
//! lock released); after each syscall the syscall layer wakes every registered waiter if
//! anything was notified, and each runs its call again and looks. One queue for all objects
//! keeps the objects free of kernel hooks; waking a few too many threads is cheap next to a
//! syscall. Waits on time (timerfd) use the kernel's deadlines instead.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use spin::Mutex;

/// The waiters and a counter of events.
#[derive(Debug)]
pub struct FileEvents {
    generation: AtomicU64,
    waiters: Mutex<Vec<i32>>,
}

impl FileEvents {
    /// An empty queue.
    pub const fn new() -> Self {
        FileEvents { generation: AtomicU64::new(0), waiters: Mutex::new(Vec::new()) }
    }

    /// Something happened that a waiter may be waiting for.
    pub fn notify(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The count of events so far.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Thread `tid` blocks until the next event.
    pub fn register(&self, tid: i32) {
        let mut w = self.waiters.lock();
        if !w.contains(&tid) {
            w.push(tid);
        }
    }

    /// Thread `tid` no longer waits (it timed out or was interrupted).
    pub fn cancel(&self, tid: i32) {
        self.waiters.lock().retain(|&t| t != tid);
    }

    /// Every waiter, removed from the queue (the caller wakes them).
    pub fn take_waiters(&self) -> Vec<i32> {
        core::mem::take(&mut *self.waiters.lock())
    }
}

impl Default for FileEvents {
    fn default() -> Self {
        Self::new()
    }
}

/// The queue of the whole system (file objects are shared by all processes).
pub static FILE_EVENTS: FileEvents = FileEvents::new();

/// Notify [`FILE_EVENTS`].
pub fn notify() {
    FILE_EVENTS.notify();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiters_are_taken_once_and_cancelled() {
        let q = FileEvents::new();
        let g = q.generation();
        q.register(3);
        q.register(3);
        q.register(4);
        q.cancel(4);
        q.notify();
        assert_ne!(q.generation(), g);
        assert_eq!(q.take_waiters(), alloc::vec![3]);
        assert!(q.take_waiters().is_empty());
    }
}
