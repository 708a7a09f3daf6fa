//! The CPU side of threads: each thread has a kernel stack (its syscalls and interrupts run
//! there), a saved stack pointer while it is switched out, and the app's FS/GS bases and
//! FPU/SSE/AVX state (an XSAVE area). [`switch`] moves the CPU from one thread to another;
//! [`ThreadCpu::new_user`] makes a thread that starts in the app with a given register frame
//! (a `clone` child).
//!
//! The kernel keeps its scheduler state elsewhere and must hold no lock across [`switch`]: the
//! thread switched to resumes inside its own earlier call to `switch` (or, when new, at the
//! frame it was created with).

use crate::Regs;
use alloc::vec::Vec;
use core::arch::{asm, global_asm};
use core::cell::UnsafeCell;

extern crate alloc;

/// Size of a thread's kernel stack.
pub const KSTACK_SIZE: usize = 64 * 1024;

#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line([u8; 64]);

#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct StackWord([u64; 2]);

struct Inner {
    rsp: u64,
    fs: u64,
    gs: u64,
    xsave: Vec<Line>,
    /// The kernel stack, owned here so it lives as long as the thread (None: the boot
    /// thread's static stack).
    _kstack: Option<Vec<StackWord>>,
    kstack_top: u64,
}

/// One thread's CPU state. Shared between the scheduler and the switch code; only the CPU
/// running (or switching) a thread touches its state.
pub struct ThreadCpu(UnsafeCell<Inner>);

// SAFETY: one CPU; a ThreadCpu's cells are only read or written by `switch` while that thread
// is being switched out or in, with interrupts disabled.
unsafe impl Sync for ThreadCpu {}
// SAFETY: as above; nothing in it is tied to a particular execution context.
unsafe impl Send for ThreadCpu {}

impl core::fmt::Debug for ThreadCpu {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ThreadCpu")
    }
}

fn xsave_lines() -> usize {
    // Bytes XSAVE needs for the components enabled in XCR0 (CPUID.(EAX=0DH,ECX=0):EBX).
    let size = if crate::cpu::features().xcr0 != 0 { core::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize } else { 512 };
    size.max(576).div_ceil(64)
}

fn save_fpu(area: &mut [Line]) {
    let p = area.as_mut_ptr();
    // SAFETY: the area is 64-byte aligned and as large as CPUID says XSAVE needs (or 512
    // bytes for FXSAVE without XSAVE).
    unsafe {
        if crate::cpu::features().xcr0 != 0 {
            asm!("xsave64 [{}]", in(reg) p, in("eax") u32::MAX, in("edx") u32::MAX, options(nostack));
        } else {
            asm!("fxsave64 [{}]", in(reg) p, options(nostack));
        }
    }
}

fn restore_fpu(area: &[Line]) {
    let p = area.as_ptr();
    // SAFETY: the area holds a state saved by save_fpu (or a copy of one).
    unsafe {
        if crate::cpu::features().xcr0 != 0 {
            asm!("xrstor64 [{}]", in(reg) p, in("eax") u32::MAX, in("edx") u32::MAX, options(nostack));
        } else {
            asm!("fxrstor64 [{}]", in(reg) p, options(nostack));
        }
    }
}

impl ThreadCpu {
    /// The thread running now (the boot thread, on the static syscall stack).
    pub fn current_boot() -> ThreadCpu {
        ThreadCpu(UnsafeCell::new(Inner {
            rsp: 0,
            fs: 0,
            gs: 0,
            xsave: alloc::vec![Line([0; 64]); xsave_lines()],
            _kstack: None,
            kstack_top: current_kstack_top(),
        }))
    }

    /// A thread that will start in the app with registers `regs` (returned to with `iretq`),
    /// FS/GS bases `fs`/`gs`, and a copy of the running thread's FPU state, as `clone` gives a
    /// child. `None` when memory runs out.
    pub fn new_user(regs: &Regs, fs: u64, gs: u64) -> Option<ThreadCpu> {
        let mut stack: Vec<StackWord> = Vec::new();
        stack.try_reserve_exact(KSTACK_SIZE / 16).ok()?;
        stack.resize(KSTACK_SIZE / 16, StackWord([0; 2]));
        let mut xsave: Vec<Line> = Vec::new();
        xsave.try_reserve_exact(xsave_lines()).ok()?;
        xsave.resize(xsave_lines(), Line([0; 64]));
        save_fpu(&mut xsave);
        let top = stack.as_ptr() as u64 + KSTACK_SIZE as u64;
        // Initial stack, from the top: the Regs frame (16-aligned), the address switch returns
        // to (hal_thread_start, which restores the frame), six callee-saved registers.
        let frame = (top - core::mem::size_of::<Regs>() as u64) & !15;
        let rsp = frame - 8 - 6 * 8;
        // SAFETY: all these addresses lie inside `stack`, which this function owns.
        unsafe {
            (frame as *mut Regs).write(*regs);
            ((frame - 8) as *mut u64).write((hal_thread_start as unsafe extern "C" fn()) as usize as u64);
            for i in 0..6 {
                ((rsp + i * 8) as *mut u64).write(0);
            }
        }
        Some(ThreadCpu(UnsafeCell::new(Inner { rsp, fs, gs, xsave, _kstack: Some(stack), kstack_top: top })))
    }
}

unsafe extern "C" {
    fn hal_switch(save_rsp: *mut u64, load_rsp: u64);
    fn hal_thread_start();
}

global_asm!(
    r#"
    .text
    .global hal_switch
hal_switch:
    push rbp
    push rbx
    push r12
    push r13
    push r14
    push r15
    mov [rdi], rsp
    mov rsp, rsi
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbx
    pop rbp
    ret

    .global hal_thread_start
hal_thread_start:
    call {reap}
    jmp hal_trap_return
    "#,
    reap = sym reap_extern,
);

/// A thread that exited, freed by the next thread to run (not on its own stack).
static DEAD: spin::Mutex<Option<alloc::sync::Arc<ThreadCpu>>> = spin::Mutex::new(None);

fn reap() {
    let dead = DEAD.lock().take();
    drop(dead);
}

extern "C" fn reap_extern() {
    reap();
}

/// The running thread's FPU/SSE/AVX state as an XSAVE (or FXSAVE) image.
pub fn fpu_image() -> Vec<u8> {
    let mut area = alloc::vec![Line([0; 64]); xsave_lines()];
    save_fpu(&mut area);
    let size = if crate::cpu::features().xcr0 != 0 { core::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize } else { 512 };
    area.iter().flat_map(|l| l.0).take(size).collect()
}

/// Load an image made by [`fpu_image`] (and possibly changed by the app, as a signal handler
/// may): false, and nothing loaded, when it would make XRSTOR fault (unknown state
/// components, a compacted header, reserved bits).
pub fn fpu_load(image: &[u8]) -> bool {
    let mut area = alloc::vec![Line([0; 64]); xsave_lines()];
    let bytes = area.len() * 64;
    if image.len() < 512 || image.len() > bytes {
        return false;
    }
    for (i, b) in image.iter().enumerate() {
        area[i / 64].0[i % 64] = *b;
    }
    let u32_at = |o: usize| u32::from_le_bytes([image[o], image[o + 1], image[o + 2], image[o + 3]]);
    let u64_at = |o: usize| u32_at(o) as u64 | (u32_at(o + 4) as u64) << 32;
    if u32_at(24) & !0xffff != 0 {
        return false; // MXCSR reserved bits
    }
    let xcr0 = crate::cpu::features().xcr0;
    if xcr0 != 0 && (image.len() < 576 || u64_at(512) & !xcr0 != 0 || u64_at(520) != 0 || image[528..576].iter().any(|&b| b != 0)) {
        return false;
    }
    restore_fpu(&area);
    true
}

/// Top of the running thread's kernel stack.
pub fn current_kstack_top() -> u64 {
    // SAFETY: a plain read of a word only switch writes, with interrupts disabled.
    unsafe { core::ptr::read_volatile(&raw const crate::syscall_entry::HAL_SYSCALL_KSTACK_TOP) }
}

/// Switch the CPU from thread `from` (the one running) to `to`. Returns when `from` is
/// switched back in. Interrupts must be disabled; the caller holds no lock.
pub fn switch(from: &ThreadCpu, to: &ThreadCpu) {
    if core::ptr::eq(from, to) {
        return;
    }
    // SAFETY: one CPU with interrupts off: nothing else touches these two threads' state now;
    // `to` is switched out (its rsp was saved by an earlier switch or made by new_user).
    unsafe {
        let f = &mut *from.0.get();
        let t = &*to.0.get();
        f.fs = crate::cpu::fs_base();
        f.gs = crate::cpu::gs_base();
        save_fpu(&mut f.xsave);
        restore_fpu(&t.xsave);
        crate::cpu::set_fs_base(t.fs);
        crate::cpu::set_gs_base(t.gs);
        crate::syscall_entry::HAL_SYSCALL_KSTACK_TOP = t.kstack_top;
        hal_switch(&raw mut f.rsp, t.rsp);
    }
    reap();
}

/// End the running thread `dead` and switch to `to`; `dead`'s memory (its kernel stack
/// included) is freed by the next thread that runs. Interrupts must be disabled; the caller
/// holds no lock and keeps no other reference to `dead` that it expects to be dropped.
pub fn exit_to(dead: alloc::sync::Arc<ThreadCpu>, to: &ThreadCpu) -> ! {
    // SAFETY: as in `switch`; `dead` is running now, so its rsp slot is ours to write, and it
    // stays allocated (in DEAD) until another thread has switched away from this stack.
    unsafe {
        let slot = &raw mut (*dead.0.get()).rsp;
        let t = &*to.0.get();
        restore_fpu(&t.xsave);
        crate::cpu::set_fs_base(t.fs);
        crate::cpu::set_gs_base(t.gs);
        crate::syscall_entry::HAL_SYSCALL_KSTACK_TOP = t.kstack_top;
        let old = DEAD.lock().replace(dead);
        drop(old);
        hal_switch(slot, t.rsp);
    }
    unreachable!("a dead thread was switched back in")
}
