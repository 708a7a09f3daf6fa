//! Signal bookkeeping: rt_sigaction, rt_sigprocmask, sigaltstack. State is kept and reported
//! exactly; delivery comes with the signals issue.

use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, field, linux_struct, set};
use elfin_posix::signal::{AltStack, SigAction};
use linux_raw_sys::general::{SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, sigaction, sigaltstack};

linux_struct!(
    /// The kernel's `struct sigaction` (handler, flags, restorer, mask).
    KSigAction, sigaction
);
linux_struct!(
    /// `stack_t`.
    StackT, sigaltstack
);

/// `sizeof(sigset_t)` in the kernel ABI.
const SIGSET_SIZE: usize = 8;
/// The `sa_flags` bits Linux keeps (`UAPI_SA_FLAGS` on x86: the generic flags and SA_RESTORER).
const SA_KNOWN: u64 = 0x0000_0001 | 0x0000_0002 | 0x0000_0004 | 0x0000_0800 | 0x0400_0000 | 0x0800_0000
    | 0x1000_0000 | 0x4000_0000 | 0x8000_0000;
/// Smallest alternate stack Linux accepts (`MINSIGSTKSZ`).
const MINSIGSTKSZ: u64 = 2048;

/// rt_sigaction(2).
pub fn rt_sigaction(c: &mut Ctx, a: &Args) -> SysResult {
    if a.usize(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let sig = a.uint(0);
    let (actp, oactp) = (a.ptr::<KSigAction>(1), a.ptr::<KSigAction>(2));
    let new = if actp.is_null() { None } else { Some(actp.read(c.k.mem())?) };
    let old = c.p.signals.action(sig)?;
    if let Some(n) = new {
        let act = SigAction {
            handler: field!(n, sigaction, sa_handler, u64),
            flags: field!(n, sigaction, sa_flags, u64) & SA_KNOWN,
            restorer: field!(n, sigaction, sa_restorer, u64),
            mask: field!(n, sigaction, sa_mask, u64),
        };
        c.p.signals.set_action(sig, act)?;
    }
    if !oactp.is_null() {
        let mut o = KSigAction::default();
        set!(o, sigaction, sa_handler, old.handler);
        set!(o, sigaction, sa_flags, old.flags);
        set!(o, sigaction, sa_restorer, old.restorer);
        set!(o, sigaction, sa_mask, old.mask);
        oactp.write(c.k.mem(), &o)?;
    }
    Ok(0)
}

/// rt_sigprocmask(2).
pub fn rt_sigprocmask(c: &mut Ctx, a: &Args) -> SysResult {
    if a.usize(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let (setp, oldp) = (a.ptr::<u64>(1), a.ptr::<u64>(2));
    let old = c.p.thread().sigmask;
    if !setp.is_null() {
        let set = setp.read(c.k.mem())?;
        c.p.thread_mut().sigmask = elfin_posix::signal::change_mask(old, a.uint(0), set)?;
    }
    oldp.write_opt(c.k.mem(), &old)?;
    Ok(0)
}

/// sigaltstack(2).
pub fn sigaltstack(c: &mut Ctx, a: &Args) -> SysResult {
    let (ssp, ossp) = (a.ptr::<StackT>(0), a.ptr::<StackT>(1));
    let old = c.p.thread().altstack;
    if !ssp.is_null() {
        let ss = ssp.read(c.k.mem())?;
        let sp = field!(ss, sigaltstack, ss_sp, u64);
        let flags = field!(ss, sigaltstack, ss_flags, i32);
        let size = field!(ss, sigaltstack, ss_size, u64);
        let mode = flags & !(SS_AUTODISARM as i32);
        if mode != SS_DISABLE as i32 && mode != SS_ONSTACK as i32 && mode != 0 {
            return Err(Errno::EINVAL);
        }
        c.p.thread_mut().altstack = if mode == SS_DISABLE as i32 {
            AltStack { sp: 0, flags: SS_DISABLE as i32, size: 0 }
        } else {
            if size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            AltStack { sp, flags: flags & SS_AUTODISARM as i32, size }
        };
    }
    if !ossp.is_null() {
        let mut o = StackT::default();
        set!(o, sigaltstack, ss_sp, old.sp);
        set!(o, sigaltstack, ss_flags, old.flags);
        set!(o, sigaltstack, ss_size, old.size);
        ossp.write(c.k.mem(), &o)?;
    }
    Ok(0)
}
