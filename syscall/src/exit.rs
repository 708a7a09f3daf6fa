//! exit and exit_group.

use crate::{Args, Ctx, SysResult};

/// exit(2): the calling thread ends (the process with its last thread). Its
/// `clear_child_tid` word is zeroed and one futex waiter on it woken (how `pthread_join`
/// waits). The kernel switches away once it sees the thread gone from the process.
pub fn exit(c: &mut Ctx, a: &Args) -> SysResult {
    if c.p.threads.len() <= 1 {
        c.k.exit(a.int(0) & 0xff)
    }
    let tid = c.p.tid;
    let clear = c.p.thread().clear_child_tid;
    if clear != 0 && c.k.mem().write_bytes(clear, &0u32.to_le_bytes()).is_ok() {
        for t in c.p.futex.wake(clear, 1, u32::MAX) {
            c.k.wake_thread(t);
        }
    }
    c.p.futex.cancel(tid);
    c.p.threads.remove(&tid);
    Ok(0)
}

/// exit_group(2).
pub fn exit_group(c: &mut Ctx, a: &Args) -> SysResult {
    c.k.exit(a.int(0) & 0xff)
}
