//! Copies between kernel buffers and the application's memory. A page fault during the copy
//! first goes to the kernel's demand-paging hook; if that cannot resolve it, the fault is
//! fixed up: the copy stops and reports failure (the caller answers `EFAULT`), never a panic.

use core::arch::global_asm;

/// First address above the application's half.
pub(crate) const USER_END: u64 = 0x0000_8000_0000_0000;

global_asm!(
    r#"
    .text
    .global hal_copy_user
    .global hal_copy_user_insn
    .global hal_copy_user_fixup
hal_copy_user:
    mov rcx, rdx
hal_copy_user_insn:
    rep movsb
    xor eax, eax
    ret
hal_copy_user_fixup:
    /* rcx: the bytes `rep movsb` had left when it faulted */
    mov rax, rcx
    ret
    "#
);

unsafe extern "C" {
    fn hal_copy_user(dst: *mut u8, src: *const u8, len: usize) -> u64;
    static hal_copy_user_insn: u8;
    static hal_copy_user_fixup: u8;
}

/// A user address range could not be accessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadAddress;

fn user_range(addr: u64, len: usize) -> Result<(), BadAddress> {
    match addr.checked_add(len as u64) {
        Some(end) if end <= USER_END => Ok(()),
        _ => Err(BadAddress),
    }
}

/// Copy `dst.len()` bytes from application address `src`.
pub fn copy_from_user(dst: &mut [u8], src: u64) -> Result<(), BadAddress> {
    user_range(src, dst.len())?;
    // SAFETY: dst is a valid kernel buffer; src lies in the application half, and any fault
    // reading it is resolved or fixed up by the page-fault handler (see `fixup`).
    match unsafe { hal_copy_user(dst.as_mut_ptr(), src as *const u8, dst.len()) } {
        0 => Ok(()),
        _ => Err(BadAddress),
    }
}

/// Copy `src` to application address `dst`.
pub fn copy_to_user(dst: u64, src: &[u8]) -> Result<(), BadAddress> {
    match copy_to_user_partial(dst, src) {
        n if n == src.len() => Ok(()),
        _ => Err(BadAddress),
    }
}

/// Copy `src` to application address `dst` as far as memory allows: the number of bytes
/// stored before the first fault (all of them on success).
pub fn copy_to_user_partial(dst: u64, src: &[u8]) -> usize {
    if user_range(dst, src.len()).is_err() {
        return 0;
    }
    // SAFETY: as copy_from_user, in the other direction.
    let left = unsafe { hal_copy_user(dst as *mut u8, src.as_ptr(), src.len()) } as usize;
    src.len() - left.min(src.len())
}

/// Called for an unresolved page fault: if it happened inside the copy loop, resume at the
/// fix-up label (which reports failure) and return true.
pub(crate) fn fixup(regs: &mut crate::Regs) -> bool {
    let insn = (&raw const hal_copy_user_insn) as u64;
    if regs.rip == insn {
        regs.rip = (&raw const hal_copy_user_fixup) as u64;
        return true;
    }
    false
}
