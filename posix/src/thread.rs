//! Per-thread state the syscalls keep: the thread id, `set_tid_address`, the robust list,
//! rseq, the signal mask and alternate stack, and how a blocked syscall waits and was woken.

use crate::signal::AltStack;

/// What a blocked syscall waits for (the kernel blocks the thread, then runs the syscall again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitSpec {
    /// Wake at this time (ns on the monotonic clock), if nothing else wakes the thread first.
    pub deadline: Option<u64>,
}

/// Why a blocked thread runs again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Another thread woke it (futex wake).
    Woken,
    /// Its deadline passed.
    Timeout,
    /// A signal arrived for it: the call ends with `EINTR`.
    Interrupted,
}

/// One thread of a process.
#[derive(Debug, Clone)]
pub struct ThreadState {
    /// Thread id.
    pub tid: i32,
    /// `set_tid_address` / `CLONE_CHILD_CLEARTID` pointer: zeroed and woken at exit.
    pub clear_child_tid: u64,
    /// `set_robust_list` head and length.
    pub robust_list: (u64, u64),
    /// `rseq` registration: (address, length, signature).
    pub rseq: Option<(u64, u32, u32)>,
    /// Blocked signals (bit n-1 for signal n).
    pub sigmask: u64,
    /// The alternate signal stack.
    pub altstack: AltStack,
    /// Set by a syscall that blocks: what to wait for.
    pub wait: Option<WaitSpec>,
    /// Set by the kernel when a blocked syscall runs again: why.
    pub wake: Option<Wake>,
    /// A blocked syscall's own deadline, kept across its runs (a relative sleep must not
    /// restart from zero). Cleared by the kernel when the syscall completes.
    pub wait_deadline: Option<u64>,
    /// Set by `sched_yield`: the kernel lets other threads run after the syscall.
    pub yield_after: bool,
    /// Signals sent to this thread and not yet delivered (bit n-1 for signal n).
    pub pending: u64,
}

impl ThreadState {
    /// A new thread with `tid`, inheriting `sigmask` (as clone does); no alternate stack.
    pub fn new(tid: i32, sigmask: u64) -> Self {
        ThreadState {
            tid,
            clear_child_tid: 0,
            robust_list: (0, 0),
            rseq: None,
            sigmask,
            altstack: AltStack { sp: 0, flags: linux_raw_sys::general::SS_DISABLE as i32, size: 0 },
            wait: None,
            wake: None,
            wait_deadline: None,
            yield_after: false,
            pending: 0,
        }
    }
}
