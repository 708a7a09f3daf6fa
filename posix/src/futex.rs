//! Futex wait queues of a process: who waits on which address, with which bitset; waking,
//! requeueing, and the `FUTEX_WAKE_OP` arithmetic. Pure bookkeeping: the syscall layer reads
//! and writes the futex words in user memory and the kernel blocks and wakes threads.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use elfin_abi::Errno;

/// One waiting thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Waiter {
    tid: i32,
    bitset: u32,
}

/// The waiters of one process, per futex address, in arrival order.
#[derive(Debug, Default)]
pub struct FutexTable {
    queues: BTreeMap<u64, VecDeque<Waiter>>,
}

impl FutexTable {
    /// Queue `tid` on `addr`.
    pub fn wait(&mut self, addr: u64, tid: i32, bitset: u32) {
        self.queues.entry(addr).or_default().push_back(Waiter { tid, bitset });
    }

    /// Is `tid` still queued (not yet woken)?
    pub fn is_waiting(&self, tid: i32) -> bool {
        self.queues.values().any(|q| q.iter().any(|w| w.tid == tid))
    }

    /// Take `tid` off every queue (a timeout or an interruption).
    pub fn cancel(&mut self, tid: i32) {
        self.queues.retain(|_, q| {
            q.retain(|w| w.tid != tid);
            !q.is_empty()
        });
    }

    /// Wake up to `n` waiters on `addr` whose bitset meets `bitset`; returns their tids.
    pub fn wake(&mut self, addr: u64, n: usize, bitset: u32) -> Vec<i32> {
        let mut woken = Vec::new();
        if let Some(q) = self.queues.get_mut(&addr) {
            q.retain(|w| {
                if woken.len() < n && w.bitset & bitset != 0 {
                    woken.push(w.tid);
                    false
                } else {
                    true
                }
            });
            if q.is_empty() {
                self.queues.remove(&addr);
            }
        }
        woken
    }

    /// Wake up to `nwake` waiters on `from` and move up to `nmove` of the rest to `to`.
    /// Returns the woken tids and how many were moved.
    pub fn requeue(&mut self, from: u64, to: u64, nwake: usize, nmove: usize) -> (Vec<i32>, usize) {
        let woken = self.wake(from, nwake, u32::MAX);
        let mut moved = Vec::new();
        if let Some(q) = self.queues.get_mut(&from) {
            while moved.len() < nmove {
                match q.pop_front() {
                    Some(w) => moved.push(w),
                    None => break,
                }
            }
            if q.is_empty() {
                self.queues.remove(&from);
            }
        }
        let n = moved.len();
        if n > 0 {
            self.queues.entry(to).or_default().extend(moved);
        }
        (woken, n)
    }
}

/// `FUTEX_WAKE_OP`: decode `val3`, compute the new value of the second word from its old
/// value, and say whether the comparison holds (then waiters on the second address wake too).
/// Returns `(new value, condition)`; an unknown operation or comparison is `ENOSYS`, as on
/// Linux.
pub fn wake_op(val3: u32, old: u32) -> Result<(u32, bool), Errno> {
    let op = (val3 >> 28) & 0x7;
    let shift_arg = val3 >> 31 != 0; // FUTEX_OP_OPARG_SHIFT
    let cmp = (val3 >> 24) & 0xf;
    let mut oparg = ((val3 << 8) as i32 >> 20) as u32; // sign-extended 12 bits
    let cmparg = ((val3 << 20) as i32 >> 20) as u32;
    if shift_arg {
        oparg = 1u32.checked_shl(oparg & 31).unwrap_or(0);
    }
    let new = match op {
        0 => oparg,              // SET
        1 => old.wrapping_add(oparg), // ADD
        2 => old | oparg,        // OR
        3 => old & !oparg,       // ANDN
        4 => old ^ oparg,        // XOR
        _ => return Err(Errno::ENOSYS),
    };
    let (o, c) = (old as i32, cmparg as i32);
    let cond = match cmp {
        0 => o == c,
        1 => o != c,
        2 => o < c,
        3 => o <= c,
        4 => o > c,
        5 => o >= c,
        _ => return Err(Errno::ENOSYS),
    };
    Ok((new, cond))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_in_order_with_bitsets() {
        let mut t = FutexTable::default();
        t.wait(0x1000, 2, u32::MAX);
        t.wait(0x1000, 3, 0b10);
        t.wait(0x1000, 4, u32::MAX);
        assert_eq!(t.wake(0x1000, 1, 0b01), vec![2]);
        assert_eq!(t.wake(0x1000, 5, 0b01), vec![4]);
        assert!(t.is_waiting(3));
        assert_eq!(t.wake(0x1000, 5, 0b10), vec![3]);
        assert!(!t.is_waiting(3));
        assert_eq!(t.wake(0x1000, 5, u32::MAX), Vec::<i32>::new());
    }

    #[test]
    fn requeue_and_cancel() {
        let mut t = FutexTable::default();
        for tid in 2..7 {
            t.wait(0x10, tid, u32::MAX);
        }
        let (woken, moved) = t.requeue(0x10, 0x20, 1, 2);
        assert_eq!((woken, moved), (vec![2], 2));
        assert_eq!(t.wake(0x20, 10, u32::MAX), vec![3, 4]);
        t.cancel(5);
        assert_eq!(t.wake(0x10, 10, u32::MAX), vec![6]);
    }

    #[test]
    fn wake_op_arithmetic_like_linux() {
        // FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_GT, 1): glibc's condvar/lock release.
        let v = (0 << 28) | (4 << 24) | (1 << 12) | 1;
        assert_eq!(wake_op(v, 2), Ok((1, true)));
        assert_eq!(wake_op(v, 1), Ok((1, false)));
        // ADD 5, CMP_EQ 0
        let v = (1 << 28) | (0 << 24) | (5 << 12);
        assert_eq!(wake_op(v, 0), Ok((5, true)));
        // OPARG_SHIFT: OR (1 << 3), CMP_NE 0
        let v = (1 << 31) | (2 << 28) | (1 << 24) | (3 << 12);
        assert_eq!(wake_op(v, 0), Ok((8, false)));
        assert_eq!(wake_op(v, 1), Ok((9, true)));
        assert_eq!(wake_op(7 << 28, 0), Err(Errno::ENOSYS));
    }
}
