//! Per-thread registrations the C libraries make at start-up: set_tid_address,
//! set_robust_list, rseq.

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;

/// `sizeof(struct robust_list_head)`.
const ROBUST_LIST_HEAD_SIZE: usize = 24;
/// The original `struct rseq` size, the minimum length.
const RSEQ_MIN_LEN: u32 = 32;
const RSEQ_FLAG_UNREGISTER: u32 = 1;
const RSEQ_CPU_ID_UNINITIALIZED: u32 = u32::MAX;

/// set_tid_address(2): remember the pointer; returns the caller's tid.
pub fn set_tid_address(c: &mut Ctx, a: &Args) -> SysResult {
    c.p.thread_mut().clear_child_tid = a.raw(0);
    Ok(c.p.tid as usize)
}

/// set_robust_list(2).
pub fn set_robust_list(c: &mut Ctx, a: &Args) -> SysResult {
    if a.usize(1) != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    c.p.thread_mut().robust_list = (a.raw(0), a.raw(1));
    Ok(0)
}

/// rseq(2): registration with Linux's checks; the area reports CPU 0, the only one.
pub fn rseq(c: &mut Ctx, a: &Args) -> SysResult {
    let (addr, len, flags, sig) = (a.raw(0), a.uint(1), a.uint(2), a.uint(3));
    if flags & !RSEQ_FLAG_UNREGISTER != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & RSEQ_FLAG_UNREGISTER != 0 {
        let Some((cur, cur_len, cur_sig)) = c.p.thread().rseq else { return Err(Errno::EINVAL) };
        if cur != addr || cur_len != len {
            return Err(Errno::EINVAL);
        }
        if cur_sig != sig {
            return Err(Errno::EPERM);
        }
        a.ptr::<u32>(0).offset(1)?.write(c.k.mem(), &RSEQ_CPU_ID_UNINITIALIZED)?;
        c.p.thread_mut().rseq = None;
        return Ok(0);
    }
    if let Some((cur, cur_len, cur_sig)) = c.p.thread().rseq {
        if cur != addr || cur_len != len {
            return Err(Errno::EINVAL);
        }
        return if cur_sig != sig { Err(Errno::EPERM) } else { Err(Errno::EBUSY) };
    }
    if addr % 32 != 0 || len < RSEQ_MIN_LEN {
        return Err(Errno::EINVAL);
    }
    // cpu_id_start and cpu_id: CPU 0.
    a.ptr::<u64>(0).write(c.k.mem(), &0)?;
    c.p.thread_mut().rseq = Some((addr, len, sig));
    Ok(0)
}
