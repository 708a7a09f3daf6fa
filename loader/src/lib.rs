//! `elfin-loader`: the pure, host-testable half of `execve` for Elfin.
//!
//! Two jobs, both without touching memory or hardware:
//!
//! * [`plan`] turns the bytes of a static Linux x86-64 ELF executable (non-PIE `ET_EXEC` or
//!   static-PIE `ET_DYN` without `PT_INTERP`) into a validated [`LoadPlan`]: which file ranges
//!   go where with which protections, the entry point, `PT_TLS`, `PT_GNU_STACK`, the program
//!   header address for `AT_PHDR` and where the heap (`brk`) starts.
//! * [`build_stack`] produces the initial process stack image (argc, argv, envp, auxv and the
//!   strings above them) byte for byte as Linux's `fs/binfmt_elf.c:create_elf_tables` lays it
//!   out, together with the initial `%rsp`.
//!
//! The kernel (see `kernel/`) maps the segments into the application's address space, copies
//! the stack image below its stack top and jumps to the entry point. Every malformed input is a
//! [`LoadError`] with a one-line human message; nothing here panics on input or overflows.
//!
//! Modules: [`elf`] (the load plan), [`stack`] (the initial stack), [`error`] (the error type).
//!
//! ```no_run
//! # fn main() -> Result<(), elfin_loader::LoadError> {
//! use elfin_loader::{StackSpec, build_stack, plan};
//!
//! let elf = std::fs::read("hello").expect("a static binary");
//! let plan = plan(&elf, 0x5555_5555_4000)?; // the base is only used by static-PIE files
//! // ... map plan.segments, then build the stack below the stack top:
//! let argv: [&[u8]; 1] = [b"hello"];
//! let spec = StackSpec {
//!     argv: &argv,
//!     envp: &[b"HOME=/"],
//!     execfn: b"/hello",
//!     platform: b"x86_64",
//!     random: [7; 16],
//!     hwcap: 0,
//!     hwcap2: 0,
//!     minsigstksz: 2048,
//!     pagesz: elfin_loader::PAGE_SIZE,
//!     clktck: 100,
//!     uid: 0,
//!     euid: 0,
//!     gid: 0,
//!     egid: 0,
//!     secure: false,
//!     phdr: plan.phdr,
//!     phent: plan.phent,
//!     phnum: plan.phnum,
//!     entry: plan.entry,
//!     base: 0,
//!     sysinfo_ehdr: None,
//! };
//! let stack = build_stack(&spec, 0x7fff_ffff_f000)?;
//! // copy stack.bytes to [0x7fff_ffff_f000 - len, 0x7fff_ffff_f000), jump to plan.entry
//! // with %rsp = stack.sp.
//! # Ok(()) }
//! ```

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod elf;
pub mod error;
pub mod stack;

pub use elf::{ElfKind, LoadPlan, Prot, Segment, Tls, plan};
pub use error::LoadError;
pub use stack::{StackImage, StackSpec, build_stack};

/// The page size the plan is validated against (x86-64 base pages).
pub const PAGE_SIZE: u64 = 4096;

/// Lowest address an application segment may occupy (Linux's default `vm.mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x1_0000;

/// First address of the kernel half: the application owns `[0, USER_ADDR_LIMIT)`.
pub const USER_ADDR_LIMIT: u64 = 0x0000_8000_0000_0000;

/// Upper bound on the sum of all `PT_LOAD` `p_memsz` (1 TiB): anything bigger is refused as
/// absurd before the kernel tries to reserve it.
pub const MAX_TOTAL_MEMSZ: u64 = 1 << 40;

/// Rounds `value` down to a multiple of [`PAGE_SIZE`].
#[must_use]
pub const fn page_floor(value: u64) -> u64 {
    value & !(PAGE_SIZE - 1)
}

/// Rounds `value` up to a multiple of [`PAGE_SIZE`], or `None` if that overflows.
#[must_use]
pub const fn page_ceil(value: u64) -> Option<u64> {
    match value.checked_add(PAGE_SIZE - 1) {
        Some(v) => Some(page_floor(v)),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_rounding() {
        assert_eq!(page_floor(0x1fff), 0x1000);
        assert_eq!(page_floor(0x2000), 0x2000);
        assert_eq!(page_ceil(0x1001), Some(0x2000));
        assert_eq!(page_ceil(0x2000), Some(0x2000));
        assert_eq!(page_ceil(0), Some(0));
        assert_eq!(
            page_ceil(u64::MAX - PAGE_SIZE + 1),
            Some(u64::MAX - PAGE_SIZE + 1)
        );
        assert_eq!(page_ceil(u64::MAX - PAGE_SIZE + 2), None);
    }
}
