//! The signal frame Linux x86-64 builds on the app's stack (`struct rt_sigframe`: return
//! address, `ucontext` with the interrupted registers and signal mask, `siginfo`, then the
//! XSAVE image of the FPU/SSE/AVX state), and reading back what `rt_sigreturn` restores.
//!
//! `siginfo`'s size comes from `linux-raw-sys`; `ucontext` and `sigcontext` are not in it, so
//! their offsets are spelled out below from arch/x86/include/uapi/asm/sigcontext.h and
//! include/uapi/asm-generic/ucontext.h (checked by the sizes in the tests).

use crate::signal::AltStack;
use alloc::vec::Vec;
use elfin_abi::{get, put};

/// The interrupted registers, in `struct sigcontext` order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct MContext {
    pub r8: u64, pub r9: u64, pub r10: u64, pub r11: u64, pub r12: u64, pub r13: u64, pub r14: u64,
    pub r15: u64, pub rdi: u64, pub rsi: u64, pub rbp: u64, pub rbx: u64, pub rdx: u64, pub rax: u64,
    pub rcx: u64, pub rsp: u64, pub rip: u64, pub eflags: u64,
    /// Exception error code and vector (0 for a signal not raised by a fault).
    pub err: u64, pub trapno: u64,
    /// Fault address.
    pub cr2: u64,
}

/// What `siginfo` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// Signal number.
    pub signo: u32,
    /// `si_code` (SI_USER, SI_TKILL, SEGV_MAPERR...).
    pub code: i32,
    /// `si_addr` for faults; `si_pid` | `si_uid` << 32 for kill.
    pub field: u64,
}

/// `sizeof(struct ucontext)`: flags, link, stack_t (24), sigcontext (256), sigset (8).
pub const UCONTEXT_SIZE: u64 = 8 + 8 + 24 + 256 + 8;
/// `sizeof(siginfo_t)`.
pub const SIGINFO_SIZE: u64 = 128;
/// `sizeof(struct rt_sigframe)` without the FPU state: return address, ucontext, siginfo.
pub const FRAME_SIZE: u64 = 8 + UCONTEXT_SIZE + SIGINFO_SIZE;

const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;
const MC: usize = 40; // uc_mcontext inside ucontext
const MASK: usize = MC + 256; // uc_sigmask
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;

/// A frame ready to be copied to the app's stack.
#[derive(Debug)]
pub struct Frame {
    /// Bytes to write at `addr`.
    pub bytes: Vec<u8>,
    /// Where they go: also the handler's `%rsp` (pointing at the return address).
    pub addr: u64,
    /// Address of the `siginfo` (handler's `%rsi`).
    pub info: u64,
    /// Address of the `ucontext` (handler's `%rdx`).
    pub uc: u64,
}

/// Build the frame for a handler of `info.signo` interrupting `regs`. `stack_top` is where the
/// frame goes below (the interrupted `%rsp` minus the red zone, or the top of the alternate
/// stack); `restorer` is `sa_restorer`; `fpu` the XSAVE image; `xfeatures` the XCR0 mask;
/// `mask` the signal mask to restore; `altstack` what `uc_stack` reports.
#[allow(clippy::too_many_arguments)]
pub fn build(regs: &MContext, info: Info, stack_top: u64, restorer: u64, fpu: &[u8], xfeatures: u64, mask: u64, altstack: AltStack) -> Option<Frame> {
    let fp = (stack_top.checked_sub(fpu.len() as u64 + 4)?) & !63;
    let addr = ((fp.checked_sub(FRAME_SIZE)?) & !15).checked_sub(8)?;
    let total = (fp + fpu.len() as u64 + 4 - addr) as usize;
    let mut b = alloc::vec![0u8; total];
    let uc = 8usize;
    let si = 8 + UCONTEXT_SIZE as usize;
    put(&mut b, 0, restorer);
    put(&mut b, uc, UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
    put(&mut b, uc + 16, altstack.sp);
    put(&mut b, uc + 24, altstack.flags);
    put(&mut b, uc + 32, altstack.size);
    let m = uc + MC;
    let gprs = [
        regs.r8, regs.r9, regs.r10, regs.r11, regs.r12, regs.r13, regs.r14, regs.r15, regs.rdi, regs.rsi, regs.rbp,
        regs.rbx, regs.rdx, regs.rax, regs.rcx, regs.rsp, regs.rip, regs.eflags,
    ];
    for (i, v) in gprs.iter().enumerate() {
        put(&mut b, m + i * 8, *v);
    }
    put(&mut b, m + 144, 0x33u16); // cs, as Linux reports it for 64-bit user code
    put(&mut b, m + 150, 0x2bu16); // ss
    put(&mut b, m + 152, regs.err);
    put(&mut b, m + 160, regs.trapno);
    put(&mut b, m + 168, mask);
    put(&mut b, m + 176, regs.cr2);
    put(&mut b, m + 184, fp);
    put(&mut b, uc + MASK, mask);
    put(&mut b, si, info.signo as i32);
    put(&mut b, si + 8, info.code);
    put(&mut b, si + 16, info.field);
    let f = (fp - addr) as usize;
    b[f..f + fpu.len()].copy_from_slice(fpu);
    if fpu.len() >= 512 {
        // The software-reserved bytes of the FXSAVE area describe the extended state.
        put(&mut b, f + 464, FP_XSTATE_MAGIC1);
        put(&mut b, f + 468, fpu.len() as u32 + 4);
        put(&mut b, f + 472, xfeatures);
        put(&mut b, f + 480, fpu.len() as u32);
        put(&mut b, f + fpu.len(), FP_XSTATE_MAGIC2);
    }
    Some(Frame { bytes: b, addr, info: addr + si as u64, uc: addr + uc as u64 })
}

/// What `rt_sigreturn` restores from a `ucontext` (the `UCONTEXT_SIZE` bytes at the app's
/// `%rsp`): registers, signal mask, and where the FPU state is.
pub fn parse(uc: &[u8]) -> Option<(MContext, u64, u64)> {
    if uc.len() < UCONTEXT_SIZE as usize {
        return None;
    }
    let r = |i: usize| -> u64 { get(uc, MC + i * 8) };
    let regs = MContext {
        r8: r(0), r9: r(1), r10: r(2), r11: r(3), r12: r(4), r13: r(5), r14: r(6), r15: r(7), rdi: r(8),
        rsi: r(9), rbp: r(10), rbx: r(11), rdx: r(12), rax: r(13), rcx: r(14), rsp: r(15), rip: r(16),
        eflags: r(17), err: 0, trapno: 0, cr2: 0,
    };
    Some((regs, get(uc, MASK), get(uc, MC + 184)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_linux() {
        assert_eq!(core::mem::size_of::<linux_raw_sys::general::siginfo>() as u64, SIGINFO_SIZE);
        assert_eq!(UCONTEXT_SIZE, 304);
    }

    #[test]
    fn frame_round_trips_and_is_aligned() {
        let regs = MContext { rax: 1, rbx: 2, rcx: 3, r11: 4, rsp: 0x7fff_0000_1234, rip: 0x401000, eflags: 0x246, ..Default::default() };
        let fpu = alloc::vec![0xaau8; 832];
        let alt = AltStack { sp: 0, flags: 2, size: 0 };
        let info = Info { signo: 11, code: 1, field: 0xdead };
        let f = build(&regs, info, regs.rsp - 128, 0x402000, &fpu, 7, 0x10, alt).unwrap();
        assert_eq!((f.addr + 8) % 16, 0, "handler entry rsp + 8 is 16-aligned, as after a call");
        assert!(f.addr + (f.bytes.len() as u64) <= regs.rsp - 128);
        assert_eq!(get::<u64>(&f.bytes, 0), 0x402000);
        let uc = &f.bytes[(f.uc - f.addr) as usize..];
        let (back, mask, fp) = parse(uc).unwrap();
        assert_eq!(back.rip, 0x401000);
        assert_eq!(back.rsp, regs.rsp);
        assert_eq!((back.rax, back.rbx, back.rcx, back.r11), (1, 2, 3, 4));
        assert_eq!(mask, 0x10);
        assert_eq!(fp % 64, 0);
        let fo = (fp - f.addr) as usize;
        assert_eq!(get::<u32>(&f.bytes, fo + 464), FP_XSTATE_MAGIC1);
        assert_eq!(get::<u32>(&f.bytes, fo + 832), FP_XSTATE_MAGIC2);
        let si = (f.info - f.addr) as usize;
        assert_eq!((get::<i32>(&f.bytes, si), get::<i32>(&f.bytes, si + 8), get::<u64>(&f.bytes, si + 16)), (11, 1, 0xdead));
        assert!(build(&regs, info, 100, 0, &fpu, 7, 0, alt).is_none());
    }
}
