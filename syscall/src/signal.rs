//! Signals: rt_sigaction, rt_sigprocmask, sigaltstack, rt_sigpending; kill, tkill, tgkill;
//! delivery to handlers on Linux's frame ([`deliver`]) and rt_sigreturn. State is kept and reported
//! exactly; delivery comes with the signals issue.

use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, field, linux_struct, set};
use elfin_posix::sigframe::{self, Info, MContext};
use elfin_posix::signal::{AltStack, DefaultAction, SigAction, bit, default_action};
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
        // An action that ignores the signal discards it where it is pending (POSIX).
        let ignored = act.handler == 1
            || (act.handler == 0 && elfin_posix::signal::default_action(sig) == elfin_posix::signal::DefaultAction::Ignore);
        if ignored && (1..=64).contains(&sig) {
            let b = 1u64 << (sig - 1);
            c.p.signals.pending &= !b;
            for t in c.p.threads.values_mut() {
                t.pending &= !b;
            }
        }
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

// --- Generation and delivery ---------------------------------------------------------------

/// `si_code` of a signal sent by kill(2), and by tkill/tgkill.
const SI_USER: i32 = 0;
const SI_TKILL: i32 = -6;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESETHAND: u64 = 0x8000_0000;
const SA_NODEFER: u64 = 0x4000_0000;
const SA_RESTORER: u64 = 0x0400_0000;

/// Mark `sig` pending for thread `tid` (or the process when `tid` is None) and interrupt the
/// thread that will take it if it is blocked.
fn send(c: &mut Ctx, tid: Option<i32>, sig: u32) {
    match tid {
        Some(t) => {
            if let Some(ts) = c.p.threads.get_mut(&t) {
                ts.pending |= bit(sig);
                if ts.sigmask & bit(sig) == 0 {
                    c.k.interrupt_thread(t);
                }
            }
        }
        None => {
            c.p.signals.pending |= bit(sig);
            let target = c.p.threads.values().find(|t| t.sigmask & bit(sig) == 0).map(|t| t.tid);
            if let Some(t) = target {
                c.k.interrupt_thread(t);
            }
        }
    }
}

fn check_sig(sig: i32) -> Result<u32, Errno> {
    if !(0..=64).contains(&sig) { Err(Errno::EINVAL) } else { Ok(sig as u32) }
}

/// kill(2): the process is the only one (pid 1); 0 and -1 name it too.
pub fn kill(c: &mut Ctx, a: &Args) -> SysResult {
    let (pid, sig) = (a.int(0), check_sig(a.int(1))?);
    if pid != c.p.pid && pid != 0 && pid != -1 && pid != -c.p.pid {
        return Err(Errno::ESRCH);
    }
    if sig != 0 {
        send(c, None, sig);
    }
    Ok(0)
}

/// tkill(2).
pub fn tkill(c: &mut Ctx, a: &Args) -> SysResult {
    let (tid, sig) = (a.int(0), check_sig(a.int(1))?);
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    if !c.p.threads.contains_key(&tid) {
        return Err(Errno::ESRCH);
    }
    if sig != 0 {
        send(c, Some(tid), sig);
    }
    Ok(0)
}

/// tgkill(2).
pub fn tgkill(c: &mut Ctx, a: &Args) -> SysResult {
    let (tgid, tid, sig) = (a.int(0), a.int(1), check_sig(a.int(2))?);
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    if tgid != c.p.pid || !c.p.threads.contains_key(&tid) {
        return Err(Errno::ESRCH);
    }
    if sig != 0 {
        send(c, Some(tid), sig);
    }
    Ok(0)
}

/// rt_sigpending(2): the blocked signals waiting for the thread or the process.
pub fn rt_sigpending(c: &mut Ctx, a: &Args) -> SysResult {
    let n = a.usize(1);
    if n > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let t = c.p.thread();
    let set = (t.pending | c.p.signals.pending) & t.sigmask;
    a.slice(0, n).write(c.k.mem(), &set.to_le_bytes()[..n]).map(|_| 0)
}

/// rt_sigreturn(2): back from a handler to the registers, mask and FPU state its frame saved.
/// The frame's `ucontext` is at the app's `%rsp` (the handler's `ret` popped the return
/// address into the restorer).
pub fn rt_sigreturn(c: &mut Ctx, _: &Args) -> SysResult {
    let rsp = c.k.user_regs().rsp;
    let mut uc = [0u8; sigframe::UCONTEXT_SIZE as usize];
    let Some((regs, mask, fp)) = c.k.mem().read_bytes(rsp, &mut uc).ok().and_then(|_| sigframe::parse(&uc)) else {
        return Err(Errno::EFAULT);
    };
    let (image, _) = c.k.fpu_save();
    let mut fpu = alloc::vec![0u8; image.len()];
    if fp != 0 && (c.k.mem().read_bytes(fp, &mut fpu).is_err() || !c.k.fpu_restore(&fpu)) {
        return Err(Errno::EFAULT);
    }
    c.p.thread_mut().sigmask = mask & !elfin_posix::signal::UNBLOCKABLE;
    c.k.set_user_regs(&regs);
    Ok(regs.rax as usize)
}

/// What happened when the kernel looked for a signal to deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Nothing deliverable.
    None,
    /// The app now runs a handler (registers changed).
    Handler,
    /// The process must end with this signal (default action).
    Terminate(u32),
}

/// Deliver one pending, unblocked signal to the calling thread, or `forced` (a fault, which
/// is delivered even if blocked or ignored: then the default action ends the process, as on
/// Linux). `regs` are the app's registers, changed to enter the handler.
pub fn deliver(c: &mut Ctx, regs: &mut MContext, forced: Option<Info>) -> Delivery {
    loop {
        let t = c.p.thread();
        let mask = t.sigmask;
        let (sig, info) = match forced {
            Some(info) => (info.signo, info),
            None => {
                let ready = (t.pending | c.p.signals.pending) & !mask;
                if ready == 0 {
                    return Delivery::None;
                }
                let sig = ready.trailing_zeros() + 1;
                let own = t.pending & bit(sig) != 0;
                if own {
                    c.p.thread_mut().pending &= !bit(sig);
                } else {
                    c.p.signals.pending &= !bit(sig);
                }
                let code = if own { SI_TKILL } else { SI_USER };
                (sig, Info { signo: sig, code, field: c.p.pid as u64 })
            }
        };
        let Ok(mut act) = c.p.signals.action(sig) else { return Delivery::None };
        if forced.is_some() && (act.handler == 1 || mask & bit(sig) != 0) {
            c.p.signals.reset(sig);
            act = SigAction::default();
        }
        match act.handler {
            0 => match default_action(sig) {
                DefaultAction::Terminate => return Delivery::Terminate(sig),
                _ if forced.is_some() => return Delivery::Terminate(sig),
                _ => continue,
            },
            1 => continue, // SIG_IGN
            handler => {
                if act.flags & SA_RESTORER == 0 {
                    return Delivery::Terminate(11);
                }
                let alt = c.p.thread().altstack;
                let on_alt = alt.size != 0 && regs.rsp > alt.sp && regs.rsp <= alt.sp + alt.size;
                let top = if act.flags & SA_ONSTACK != 0 && alt.size != 0 && !on_alt {
                    alt.sp + alt.size
                } else {
                    regs.rsp.wrapping_sub(128)
                };
                let uc_stack = AltStack { flags: if on_alt { 1 } else { alt.flags }, ..alt };
                let (fpu, xfeatures) = c.k.fpu_save();
                let Some(frame) = sigframe::build(regs, info, top, act.restorer, &fpu, xfeatures, mask, uc_stack) else {
                    return Delivery::Terminate(11);
                };
                if c.k.mem().write_bytes(frame.addr, &frame.bytes).is_err() {
                    return Delivery::Terminate(11);
                }
                let add = act.mask | if act.flags & SA_NODEFER != 0 { 0 } else { bit(sig) };
                c.p.thread_mut().sigmask = (mask | add) & !elfin_posix::signal::UNBLOCKABLE;
                if act.flags & SA_RESETHAND != 0 {
                    c.p.signals.reset(sig);
                }
                *regs = MContext {
                    rip: handler,
                    rsp: frame.addr,
                    rdi: sig as u64,
                    rsi: frame.info,
                    rdx: frame.uc,
                    rax: 0,
                    eflags: regs.eflags & !(1 << 10), // DF clear, as the ABI wants
                    ..*regs
                };
                return Delivery::Handler;
            }
        }
    }
}
