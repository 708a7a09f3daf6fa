//! Threads: clone and clone3 with the flags the C libraries and Go use for threads. A new
//! process (no `CLONE_VM`, `CLONE_VFORK`, fork) is not supported yet: `ENOSYS`, logged.

use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, field, linux_struct};
use elfin_posix::thread::ThreadState;
use linux_raw_sys::general::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_DETACHED, CLONE_FILES, CLONE_FS, CLONE_IO, CLONE_PARENT_SETTID,
    CLONE_SETTLS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VFORK, CLONE_VM, clone_args,
};

linux_struct!(
    /// `struct clone_args` (clone3).
    CloneArgs, clone_args
);

/// The flags that make a thread of the same process.
const THREAD: u64 = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD) as u64;
/// Flags accepted with them.
const EXTRA: u64 = (CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID
    | CLONE_DETACHED | CLONE_IO) as u64;

/// The common part of clone and clone3: `stack` is the child's stack pointer (0: the
/// parent's), `tls` its FS base when `CLONE_SETTLS`.
fn clone_thread(c: &mut Ctx, flags: u64, stack: u64, ptid: u64, ctid: u64, tls: u64) -> SysResult {
    // Linux's consistency checks first.
    if flags & CLONE_THREAD as u64 != 0 && flags & CLONE_SIGHAND as u64 == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_SIGHAND as u64 != 0 && flags & CLONE_VM as u64 == 0 {
        return Err(Errno::EINVAL);
    }
    if flags & THREAD != THREAD || flags & CLONE_VFORK as u64 != 0 {
        c.k.log(format_args!("clone with flags {flags:#x}: new processes (fork, vfork) are not supported yet"));
        return Err(Errno::ENOSYS);
    }
    if flags & !(THREAD | EXTRA) != 0 {
        return Err(Errno::EINVAL);
    }
    let tid = c.p.next_tid;
    if flags & CLONE_PARENT_SETTID as u64 != 0 {
        c.k.mem().write_bytes(ptid, &tid.to_le_bytes())?;
    }
    if flags & CLONE_CHILD_SETTID as u64 != 0 {
        c.k.mem().write_bytes(ctid, &tid.to_le_bytes())?;
    }
    let mut t = ThreadState::new(tid, c.p.thread().sigmask);
    if flags & CLONE_CHILD_CLEARTID as u64 != 0 {
        t.clear_child_tid = ctid;
    }
    let tls = (flags & CLONE_SETTLS as u64 != 0).then_some(tls);
    if !c.k.spawn_thread(tid, stack, tls) {
        return Err(Errno::EAGAIN);
    }
    c.p.next_tid += 1;
    c.p.threads.insert(tid, t);
    Ok(tid as usize)
}

/// clone(2) (x86-64 order: flags, stack, parent_tid, child_tid, tls).
pub fn clone(c: &mut Ctx, a: &Args) -> SysResult {
    // The low byte is the exit signal, meaningless for threads.
    clone_thread(c, a.raw(0) & !0xff, a.raw(1), a.raw(2), a.raw(3), a.raw(4))
}

/// clone3(2).
pub fn clone3(c: &mut Ctx, a: &Args) -> SysResult {
    const VER0: usize = 64;
    let size = a.usize(1);
    if size < VER0 || size > 4096 {
        return Err(Errno::EINVAL);
    }
    let ca = a.ptr::<CloneArgs>(0).read(c.k.mem())?;
    let flags = field!(ca, clone_args, flags, u64);
    if field!(ca, clone_args, exit_signal, u64) != 0 && flags & CLONE_THREAD as u64 != 0 {
        return Err(Errno::EINVAL);
    }
    let (stack, stack_size) = (field!(ca, clone_args, stack, u64), field!(ca, clone_args, stack_size, u64));
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    let sp = stack.checked_add(stack_size).ok_or(Errno::EINVAL)?;
    clone_thread(
        c,
        flags,
        sp,
        field!(ca, clone_args, parent_tid, u64),
        field!(ca, clone_args, child_tid, u64),
        field!(ca, clone_args, tls, u64),
    )
}
