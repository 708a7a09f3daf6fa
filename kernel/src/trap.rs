//! Fatal traps: a fault in the application ends it with 128+signal and a one-line report on
//! stderr, as a shell shows a crashed Linux program; a fault in the kernel itself is a kernel
//! bug, reported with its registers.

use crate::console;
use elfin_hal::Regs;

/// The signal Linux sends for an exception vector, with its name.
fn signal_for(vector: u64) -> (u8, &'static str) {
    match vector {
        0 | 16 | 19 => (8, "SIGFPE"),
        1 | 3 => (5, "SIGTRAP"),
        6 => (4, "SIGILL"),
        12 | 17 => (7, "SIGBUS"),
        _ => (11, "SIGSEGV"),
    }
}

fn what(vector: u64, err: u64) -> &'static str {
    match vector {
        0 => "divide error",
        3 => "breakpoint",
        6 => "invalid opcode",
        13 => "general protection fault",
        14 if err & 1 == 0 && err & 16 != 0 => "execute of unmapped memory",
        14 if err & 1 == 0 && err & 2 != 0 => "write to unmapped memory",
        14 if err & 1 == 0 => "read of unmapped memory",
        14 if err & 16 != 0 => "execute of non-executable memory",
        14 if err & 2 != 0 => "write to read-only memory",
        14 => "access to protected memory",
        17 => "alignment check",
        19 => "SIMD floating-point exception",
        _ => "exception",
    }
}

/// The hal's interrupt hook: acknowledge; the timer drives the scheduler (sleepers,
/// preemption).
pub fn irq(regs: &mut Regs) {
    match regs.vector as u8 {
        elfin_hal::apic::SPURIOUS_VECTOR => {}
        elfin_hal::apic::TIMER_VECTOR => {
            elfin_hal::apic::eoi();
            crate::sched::tick(regs);
            if regs.rip < elfin_abi::USER_END {
                crate::services::deliver_signals(regs, None);
            }
        }
        _ => elfin_hal::apic::eoi(),
    }
}

/// The hal's hook for a fault of the app (on its thread's kernel stack): the signal goes to the
/// app's handler if it has one, else the app ends with 128+signal and a report.
pub fn user_fault(regs: &mut Regs, cr2: u64) {
    let (sig, _) = signal_for(regs.vector);
    // si_code: SEGV_MAPERR (1) for a page not mapped, SEGV_ACCERR (2) for a protection fault,
    // FPE_INTDIV, ILL_ILLOPN, TRAP_BRKPT; SI_KERNEL (0x80) for the rest, as Linux reports them.
    let code = match regs.vector {
        14 if regs.error & 1 == 0 => 1,
        14 => 2,
        0 => 1,
        6 => 2,
        1 | 3 => 1,
        _ => 0x80,
    };
    let addr = match regs.vector {
        14 => cr2,
        13 => 0,
        _ => regs.rip,
    };
    let before = regs.rip;
    crate::services::deliver_signals(regs, Some(elfin_posix::sigframe::Info { signo: sig as u32, code, field: addr }));
    if regs.rip == before {
        fatal(regs, cr2);
    }
}

/// The hal's fatal hook.
pub fn fatal(regs: &mut Regs, cr2: u64) {
    let user = regs.rip < elfin_abi::USER_END;
    if user {
        let (sig, name) = signal_for(regs.vector);
        let addr = if regs.vector == 14 { cr2 } else { 0 };
        console::line(format_args!(
            "elfin: app killed by {name}: {} at address {addr:#x}, RIP {:#x} (vector {}, error {:#x})",
            what(regs.vector, regs.error),
            regs.rip,
            regs.vector,
            regs.error
        ));
        crate::services::exit_app(128 + sig as i32);
    }
    console::emergency(format_args!(
        "elfin: kernel fault: vector {} error {:#x} at RIP {:#x}, CR2 {cr2:#x}, RSP {:#x}\n",
        regs.vector, regs.error, regs.rip, regs.rsp
    ));
    elfin_hal::cpu::exit_qemu(125);
}
