//! Signal bookkeeping: per-signal actions, the blocked mask and the alternate stack, kept
//! exactly as `rt_sigaction`, `rt_sigprocmask` and `sigaltstack` report them. Delivery comes
//! with the threads-and-signals issue.

use elfin_abi::Errno;

/// Number of signals (1..=64).
pub const NSIG: usize = 64;
/// SIGKILL.
pub const SIGKILL: u32 = 9;
/// SIGSTOP.
pub const SIGSTOP: u32 = 19;

/// One signal's action, as `struct sigaction` of the kernel ABI carries it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SigAction {
    /// `sa_handler` (0 = SIG_DFL, 1 = SIG_IGN, else a function).
    pub handler: u64,
    /// `sa_flags`.
    pub flags: u64,
    /// `sa_restorer`.
    pub restorer: u64,
    /// `sa_mask`.
    pub mask: u64,
}

/// The alternate signal stack (`stack_t`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AltStack {
    /// `ss_sp`.
    pub sp: u64,
    /// `ss_flags` (`SS_DISABLE` when none is set).
    pub flags: i32,
    /// `ss_size`.
    pub size: u64,
}

/// Signal actions of a process (each thread's mask and alternate stack are in
/// [`crate::thread::ThreadState`]).
#[derive(Debug, Clone)]
pub struct SignalState {
    actions: [SigAction; NSIG],
    /// Signals sent to the process (any thread may take them), not yet delivered.
    pub pending: u64,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState { actions: [SigAction::default(); NSIG], pending: 0 }
    }
}

/// What a signal does when its action is `SIG_DFL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process (with or without a core dump on Linux: the same here).
    Terminate,
    /// Nothing.
    Ignore,
    /// Stop (job control: nobody could continue it, so it is ignored) or continue.
    StopOrContinue,
}

/// Linux's default action of `sig` (signal(7)).
pub fn default_action(sig: u32) -> DefaultAction {
    match sig {
        17 | 23 | 28 => DefaultAction::Ignore,                  // SIGCHLD, SIGURG, SIGWINCH
        18 | 19 | 20 | 21 | 22 => DefaultAction::StopOrContinue, // SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU
        _ => DefaultAction::Terminate,
    }
}

/// Bit of signal `sig` (1..=64) in a mask.
pub const fn bit(sig: u32) -> u64 {
    1u64 << (sig - 1)
}

/// The Linux name of a signal (`SIGSEGV`), for reports.
pub fn name(sig: u32) -> &'static str {
    const NAMES: [&str; 31] = [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP",
        "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",
        "SIGIO", "SIGPWR", "SIGSYS",
    ];
    NAMES.get((sig as usize).wrapping_sub(1)).copied().unwrap_or("SIGRT")
}

/// Bits of a mask that can never be blocked.
pub const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

impl SignalState {
    /// The action of `sig` (1..=64), or `EINVAL`.
    pub fn action(&self, sig: u32) -> Result<SigAction, Errno> {
        if sig == 0 || sig as usize > NSIG {
            return Err(Errno::EINVAL);
        }
        Ok(self.actions[sig as usize - 1])
    }

    /// Reset the action of `sig` to `SIG_DFL` (SA_RESETHAND, or a fault signal forced).
    pub fn reset(&mut self, sig: u32) {
        if (1..=NSIG as u32).contains(&sig) {
            self.actions[sig as usize - 1] = SigAction::default();
        }
    }

    /// Set the action of `sig`; SIGKILL and SIGSTOP cannot be changed (`EINVAL`).
    pub fn set_action(&mut self, sig: u32, mut act: SigAction) -> Result<(), Errno> {
        self.action(sig)?;
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        act.mask &= !UNBLOCKABLE;
        self.actions[sig as usize - 1] = act;
        Ok(())
    }

}

/// The mask `rt_sigprocmask`'s `how` makes of `old` with `set` (SIGKILL and SIGSTOP never
/// blocked).
pub fn change_mask(old: u64, how: u32, set: u64) -> Result<u64, Errno> {
    use linux_raw_sys::general::{SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK};
    Ok(match how {
        SIG_BLOCK => old | set,
        SIG_UNBLOCK => old & !set,
        SIG_SETMASK => set,
        _ => return Err(Errno::EINVAL),
    } & !UNBLOCKABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_and_stop_are_fixed() {
        let mut s = SignalState::default();
        assert_eq!(s.set_action(SIGKILL, SigAction::default()), Err(Errno::EINVAL));
        assert_eq!(s.set_action(0, SigAction::default()), Err(Errno::EINVAL));
        assert_eq!(s.set_action(65, SigAction::default()), Err(Errno::EINVAL));
        let a = SigAction { handler: 0x1234, flags: 4, restorer: 0, mask: u64::MAX };
        s.set_action(10, a).unwrap();
        assert_eq!(s.action(10).unwrap().mask, !UNBLOCKABLE);
    }

    #[test]
    fn mask_operations() {
        use linux_raw_sys::general::{SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK};
        assert_eq!(change_mask(0, SIG_BLOCK, 0b110), Ok(0b110));
        assert_eq!(change_mask(0b110, SIG_UNBLOCK, 0b010), Ok(0b100));
        assert_eq!(change_mask(0b100, SIG_SETMASK, u64::MAX), Ok(!UNBLOCKABLE));
        assert_eq!(change_mask(0, 7, 0), Err(Errno::EINVAL));
    }
}
