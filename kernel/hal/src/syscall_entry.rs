//! The `syscall` instruction in ring 0: LSTAR points at [`syscall_entry`], which moves to the
//! thread's kernel stack without touching the application's stack (its 128-byte red zone must
//! survive), saves a [`Regs`](crate::Regs) frame, calls the kernel's syscall hook, and returns
//! with a plain jump (not `sysret`, which would drop to ring 3).
//!
//! `syscall` leaves the return address in `%rcx` and the flags in `%r11`, as on Linux; those
//! two registers are clobbered for the application exactly as Linux clobbers them.

use core::arch::global_asm;
use x86_64::registers::model_specific::{LStar, Msr, SFMask};
use x86_64::registers::rflags::RFlags;

/// Kernel stack of the running thread, loaded at each syscall entry (set by thread switches).
#[unsafe(no_mangle)]
pub(crate) static mut HAL_SYSCALL_KSTACK_TOP: u64 = 0;
/// Set by [`full_restore`]: return from this syscall with the whole frame (iretq).
#[unsafe(no_mangle)]
static mut HAL_SYSCALL_FULL_RESTORE: u8 = 0;

/// Return from the current syscall by restoring every register of its frame as the kernel left
/// it (after it redirected the app to a signal handler or back from one), instead of the fast
/// path that clobbers `%rcx` and `%r11` as `sysret` would.
pub fn full_restore() {
    // SAFETY: single CPU; read and cleared by the syscall exit path of this same syscall.
    unsafe { HAL_SYSCALL_FULL_RESTORE = 1 };
}

/// Scratch slot for the application's `%rsp` during entry.
#[unsafe(no_mangle)]
static mut HAL_SYSCALL_USER_RSP: u64 = 0;

const KSTACK_SIZE: usize = 64 * 1024;
#[repr(C, align(16))]
struct KStack([u8; KSTACK_SIZE]);
static mut MAIN_KSTACK: KStack = KStack([0; KSTACK_SIZE]);

global_asm!(
    r#"
    .text
    .global hal_syscall_entry
hal_syscall_entry:
    mov [rip + HAL_SYSCALL_USER_RSP], rsp
    mov rsp, [rip + HAL_SYSCALL_KSTACK_TOP]
    push 0x10
    push [rip + HAL_SYSCALL_USER_RSP]
    push r11
    push 0x08
    push rcx
    push 0
    push rax
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp
    call {dispatch}
    /* A frame the kernel rewrote (signal delivery, rt_sigreturn) is restored whole, rcx and
       r11 included, by iretq. */
    cmp byte ptr [rip + HAL_SYSCALL_FULL_RESTORE], 0
    je 5f
    mov byte ptr [rip + HAL_SYSCALL_FULL_RESTORE], 0
    jmp hal_trap_return
5:
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    /* [rsp] = rip, [rsp+16] = rflags, [rsp+24] = rsp: return like sysret, by jump. The
       flags are restored with IF clear and IF is set by `sti` right before the jump: its
       one-instruction shadow means no interrupt can arrive while rsp is already the app's
       but rip still the kernel's. */
    mov rcx, [rsp]
    mov r11, [rsp + 16]
    bt r11, 9
    jnc 4f
    push r11
    and qword ptr [rsp], ~0x200
    popfq
    mov rsp, [rsp + 24]
    sti
    jmp rcx
4:
    push r11
    popfq
    mov rsp, [rsp + 24]
    jmp rcx

    .global hal_enter_user
hal_enter_user:
    /* rdi = entry, rsi = stack pointer: start the application with Linux's initial
       register state (all zero but rsp and rip; rdx = 0: no atexit function). */
    mov rsp, rsi
    push rdi
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp
    xor r8d, r8d
    xor r9d, r9d
    xor r10d, r10d
    xor r11d, r11d
    xor r12d, r12d
    xor r13d, r13d
    xor r14d, r14d
    xor r15d, r15d
    push 0x002
    popfq
    sti
    ret
    "#,
    dispatch = sym hal_syscall,
);

unsafe extern "C" {
    fn hal_syscall_entry();
    fn hal_enter_user(entry: u64, sp: u64) -> !;
}

extern "C" fn hal_syscall(regs: &mut crate::Regs) {
    (crate::trap::hooks().syscall)(regs);
}

/// Point LSTAR at the entry, set STAR so `syscall` keeps the kernel segments, and mask IF, DF,
/// TF and AC on entry.
pub(crate) fn init() {
    // SAFETY: the stack is a static used only by syscalls of the one application thread.
    unsafe { HAL_SYSCALL_KSTACK_TOP = (&raw const MAIN_KSTACK) as u64 + KSTACK_SIZE as u64 };
    LStar::write(x86_64::VirtAddr::new((hal_syscall_entry as unsafe extern "C" fn()) as usize as u64));
    // STAR[47:32] = 0x08: `syscall` loads CS = 0x08, SS = 0x10, our kernel segments.
    // SAFETY: writing the documented SYSCALL MSRs; EFER.SCE was set by the boot stub.
    unsafe { Msr::new(0xC000_0081).write(0x0008u64 << 32) };
    SFMask::write(RFlags::INTERRUPT_FLAG | RFlags::DIRECTION_FLAG | RFlags::TRAP_FLAG | RFlags::ALIGNMENT_CHECK);
}

/// Start the application at `entry` with `%rsp = sp` (its initial stack image already built).
pub fn enter_user(entry: u64, sp: u64) -> ! {
    // SAFETY: entry and the stack were mapped by the kernel's loader; from here on the CPU runs
    // application code and comes back only through syscalls and traps.
    unsafe { hal_enter_user(entry, sp) }
}
