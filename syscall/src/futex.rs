//! futex(2): WAIT, WAKE, WAIT_BITSET, WAKE_BITSET, REQUEUE, CMP_REQUEUE, WAKE_OP, with the
//! PRIVATE and CLOCK_REALTIME flags. Waiting blocks the thread: the handler queues it and
//! returns [`Errno::RESTART`]; the kernel blocks it and runs the call again when it is woken or
//! times out (`ThreadState::wake` tells which).

use crate::{Args, Clock, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::thread::{Wake, WaitSpec};

const WAIT: u32 = 0;
const WAKE: u32 = 1;
const REQUEUE: u32 = 3;
const CMP_REQUEUE: u32 = 4;
const WAKE_OP: u32 = 5;
const WAIT_BITSET: u32 = 9;
const WAKE_BITSET: u32 = 10;
const PRIVATE_FLAG: u32 = 128;
const CLOCK_REALTIME_FLAG: u32 = 256;
const NS: u64 = 1_000_000_000;

fn read_word(c: &Ctx, addr: u64) -> Result<u32, Errno> {
    let mut b = [0u8; 4];
    c.k.mem().read_bytes(addr, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// A `struct timespec` from user memory, in ns; `EINVAL` when out of range.
pub(crate) fn read_timespec(c: &Ctx, addr: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 16];
    c.k.mem().read_bytes(addr, &mut b)?;
    let (sec, nsec): (i64, i64) = (elfin_abi::get(&b, 0), elfin_abi::get(&b, 8));
    if sec < 0 || !(0..NS as i64).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec as u64).saturating_mul(NS).saturating_add(nsec as u64))
}

/// Wake `tids` (already taken off the queues).
fn wake_all(c: &mut Ctx, tids: &[i32]) -> usize {
    for &t in tids {
        c.k.wake_thread(t);
    }
    tids.len()
}

/// Linux wakes at least one waiter even when asked for 0 (`++ret >= nr_wake`).
fn count(n: u32) -> usize {
    (n as i32).max(1) as usize
}

/// futex(2).
pub fn futex(c: &mut Ctx, a: &Args) -> SysResult {
    let (uaddr, op, val, uaddr2, val3) = (a.raw(0), a.uint(1), a.uint(2), a.raw(4), a.uint(5));
    let cmd = op & !(PRIVATE_FLAG | CLOCK_REALTIME_FLAG);
    if op & CLOCK_REALTIME_FLAG != 0 && cmd != WAIT_BITSET && cmd != WAIT {
        return Err(Errno::ENOSYS);
    }
    if uaddr % 4 != 0 {
        return Err(Errno::EINVAL);
    }
    match cmd {
        WAIT | WAIT_BITSET => {
            let bitset = if cmd == WAIT { u32::MAX } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            // Run again after blocking: say how it ended.
            match c.p.thread_mut().wake.take() {
                Some(Wake::Woken) => return Ok(0),
                Some(Wake::Timeout) => {
                    let tid = c.p.tid;
                    c.p.futex.cancel(tid);
                    return Err(Errno::ETIMEDOUT);
                }
                Some(Wake::Interrupted) => {
                    let tid = c.p.tid;
                    c.p.futex.cancel(tid);
                    return Err(Errno::EINTR);
                }
                None => {}
            }
            if read_word(c, uaddr)? != val {
                return Err(Errno::EAGAIN);
            }
            let deadline = if a.raw(3) == 0 {
                None
            } else {
                let t = read_timespec(c, a.raw(3))?;
                let mono = c.k.now_ns(Clock::Monotonic);
                Some(if cmd == WAIT {
                    mono.saturating_add(t) // relative
                } else if op & CLOCK_REALTIME_FLAG != 0 {
                    let real = c.k.now_ns(Clock::Realtime);
                    mono.saturating_add(t.saturating_sub(real)) // absolute wall time
                } else {
                    t // absolute monotonic
                })
            };
            if deadline.is_some_and(|d| d <= c.k.now_ns(Clock::Monotonic)) {
                return Err(Errno::ETIMEDOUT);
            }
            let tid = c.p.tid;
            c.p.futex.wait(uaddr, tid, bitset);
            c.p.thread_mut().wait = Some(WaitSpec { deadline });
            Err(Errno::RESTART)
        }
        WAKE | WAKE_BITSET => {
            let bitset = if cmd == WAKE { u32::MAX } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let woken = c.p.futex.wake(uaddr, count(val), bitset);
            Ok(wake_all(c, &woken))
        }
        REQUEUE | CMP_REQUEUE => {
            let nmove = a.raw(3) as u32 as i32;
            if (val as i32) < 0 || nmove < 0 {
                return Err(Errno::EINVAL);
            }
            if uaddr2 % 4 != 0 {
                return Err(Errno::EINVAL);
            }
            if cmd == CMP_REQUEUE && read_word(c, uaddr)? != val3 {
                return Err(Errno::EAGAIN);
            }
            let (woken, moved) = c.p.futex.requeue(uaddr, uaddr2, count(val), nmove as usize);
            let n = wake_all(c, &woken);
            // REQUEUE returns the woken; CMP_REQUEUE the woken plus the requeued.
            Ok(if cmd == CMP_REQUEUE { n + moved } else { n })
        }
        WAKE_OP => {
            if uaddr2 % 4 != 0 {
                return Err(Errno::EINVAL);
            }
            let old = read_word(c, uaddr2)?;
            let (new, cond) = elfin_posix::futex::wake_op(val3, old)?;
            c.k.mem().write_bytes(uaddr2, &new.to_le_bytes())?;
            let mut woken = c.p.futex.wake(uaddr, count(val), u32::MAX);
            if cond {
                let n2 = (a.raw(3) as u32 as i32).max(1) as usize;
                woken.extend(c.p.futex.wake(uaddr2, n2, u32::MAX));
            }
            Ok(wake_all(c, &woken))
        }
        _ => Err(Errno::ENOSYS),
    }
}
