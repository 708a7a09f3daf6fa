//! Scheduling: sched_yield, sched_getaffinity (one vCPU today).

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;

/// sched_yield(2): other runnable threads run before this one continues.
pub fn sched_yield(c: &mut Ctx, _: &Args) -> SysResult {
    c.p.thread_mut().yield_after = true;
    Ok(0)
}

/// sched_getaffinity(2): Linux's checks on the length, then the mask of our CPUs; returns the
/// number of bytes written (the size of the kernel's cpumask: one `long`).
pub fn sched_getaffinity(c: &mut Ctx, a: &Args) -> SysResult {
    let pid = a.int(0);
    if pid != 0 && pid != c.p.pid && !c.p.threads.contains_key(&pid) {
        return Err(Errno::ESRCH);
    }
    let len = a.usize(1);
    let cpus = c.k.cpus();
    if len * 8 < cpus || len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = if cpus >= 64 { u64::MAX } else { (1u64 << cpus) - 1 };
    a.ptr::<u64>(2).write(c.k.mem(), &mask)?;
    Ok(8)
}
