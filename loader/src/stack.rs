//! The initial process stack: argc, argv, envp, auxv and the strings they point to.
//!
//! [`build_stack`] lays the image out exactly as Linux's `fs/binfmt_elf.c:create_elf_tables`
//! (with `fs/exec.c` having copied the strings first) does on x86-64, from high to low
//! addresses:
//!
//! ```text
//! stack_top  -> 8 zero bytes (end marker)
//!               execfn string (AT_EXECFN)
//!               envp strings, argv strings (argv[0] lowest)
//!               (align down to 16)
//!               platform string "x86_64" (AT_PLATFORM)
//!               16 random bytes (AT_RANDOM)
//!               (padding so that sp ends up 16-byte aligned)
//!               auxv pairs ... AT_NULL, 0
//!               NULL, envp[envc-1] ... envp[0]
//!               NULL, argv[argc-1] ... argv[0]
//! sp         -> argc
//! ```
//!
//! Linux also subtracts a random amount below the strings when ASLR is on; Elfin does not.
//! The `AT_*` numbers come from `linux_raw_sys::auxvec` (include/uapi/linux/auxvec.h and the
//! x86 asm/auxvec.h), which is generated for the target architecture: x86-64 here.

use alloc::vec::Vec;

use linux_raw_sys::auxvec::{
    AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS, AT_GID, AT_HWCAP,
    AT_HWCAP2, AT_MINSIGSTKSZ, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PLATFORM,
    AT_RANDOM, AT_SECURE, AT_SYSINFO_EHDR, AT_UID,
};

use crate::USER_ADDR_LIMIT;
use crate::error::LoadError;

/// Longest single argv/envp string Linux accepts (`MAX_ARG_STRLEN`, 32 pages).
pub const MAX_ARG_STRLEN: usize = 32 * 4096;

/// Largest stack image we build: a quarter of the 8 MiB default stack rlimit, the budget
/// Linux gives argv + envp (`bprm_stack_limits`). Beyond it `execve` fails with `E2BIG`.
pub const MAX_STACK_IMAGE: u64 = 8 * 1024 * 1024 / 4;

/// Size of one stack slot (pointer, argc, auxv half).
const WORD: u64 = 8;

/// Everything that goes into the initial stack.
#[derive(Debug, Clone)]
pub struct StackSpec<'a> {
    /// Arguments, without their NUL terminators.
    pub argv: &'a [&'a [u8]],
    /// Environment strings (`NAME=value`), without their NUL terminators.
    pub envp: &'a [&'a [u8]],
    /// The path that was executed (`AT_EXECFN`).
    pub execfn: &'a [u8],
    /// `AT_PLATFORM` string, `"x86_64"` on Linux; empty to omit the string and the entry.
    pub platform: &'a [u8],
    /// The 16 bytes `AT_RANDOM` points at (the C library's stack-protector and pointer-guard
    /// seed).
    pub random: [u8; 16],
    /// `AT_HWCAP` (CPUID.1:EDX on x86).
    pub hwcap: u64,
    /// `AT_HWCAP2`.
    pub hwcap2: u64,
    /// `AT_MINSIGSTKSZ`: the signal frame size for this CPU's XSAVE area.
    pub minsigstksz: u64,
    /// `AT_PAGESZ`.
    pub pagesz: u64,
    /// `AT_CLKTCK` (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
    pub clktck: u64,
    /// `AT_UID`.
    pub uid: u32,
    /// `AT_EUID`.
    pub euid: u32,
    /// `AT_GID`.
    pub gid: u32,
    /// `AT_EGID`.
    pub egid: u32,
    /// `AT_SECURE`.
    pub secure: bool,
    /// `AT_PHDR` (see [`crate::LoadPlan::phdr`]).
    pub phdr: u64,
    /// `AT_PHENT`.
    pub phent: u16,
    /// `AT_PHNUM`.
    pub phnum: u16,
    /// `AT_ENTRY`: the program's (biased) entry point.
    pub entry: u64,
    /// `AT_BASE`: the interpreter's load address, 0 without one.
    pub base: u64,
    /// `AT_SYSINFO_EHDR`: address of the vDSO's ELF header, if one is mapped.
    pub sysinfo_ehdr: Option<u64>,
}

/// The initial stack contents and the initial stack pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackImage {
    /// The bytes of `[stack_top - bytes.len(), stack_top)`; `bytes[0]` is at `sp`.
    pub bytes: Vec<u8>,
    /// Initial `%rsp`: 16-byte aligned, pointing at argc.
    pub sp: u64,
}

/// Builds the initial stack image that ends at `stack_top`.
///
/// # Errors
///
/// [`LoadError::NulInString`] or [`LoadError::StringTooLong`] for an unusable string,
/// [`LoadError::ArgumentsTooLarge`] if the image would exceed [`MAX_STACK_IMAGE`], and
/// [`LoadError::BadStackTop`] if `stack_top` is not a user address with room below it.
pub fn build_stack(spec: &StackSpec, stack_top: u64) -> Result<StackImage, LoadError> {
    if stack_top > USER_ADDR_LIMIT {
        return Err(LoadError::BadStackTop(stack_top));
    }
    for s in spec
        .argv
        .iter()
        .chain(spec.envp)
        .chain([&spec.execfn, &spec.platform])
    {
        check_string(s)?;
    }

    // Refuse oversized input before computing any address (and before allocating).
    let too_large = |size: u64| LoadError::ArgumentsTooLarge {
        size,
        limit: MAX_STACK_IMAGE,
    };
    let arg_bytes = strings_size(spec.argv);
    let env_bytes = strings_size(spec.envp);
    let pointer_count = (spec.argv.len() as u64)
        .saturating_add(spec.envp.len() as u64)
        .saturating_add(3); // argc and the two NULLs
    let estimate = arg_bytes
        .saturating_add(env_bytes)
        .saturating_add(pointer_count.saturating_mul(WORD));
    if estimate > MAX_STACK_IMAGE {
        return Err(too_large(estimate));
    }

    // Addresses, from the top down. Every length here is bounded by MAX_STACK_IMAGE; only
    // the subtractions from `stack_top` can fail.
    let low = LoadError::BadStackTop(stack_top);
    let down = |addr: u64, len: u64| addr.checked_sub(len).ok_or(low.clone());
    let end_marker = down(stack_top, WORD)?;
    let execfn_addr = down(end_marker, c_len(spec.execfn))?;
    let env_start = down(execfn_addr, env_bytes)?;
    let arg_start = down(env_start, arg_bytes)?;
    let mut cursor = arg_start & !15;
    let platform_addr = if spec.platform.is_empty() {
        None
    } else {
        cursor = down(cursor, c_len(spec.platform))?;
        Some(cursor)
    };
    let random_addr = down(cursor, 16)?;

    let auxv = aux_vector(spec, random_addr, execfn_addr, platform_addr);
    let table_words = pointer_count.saturating_add(2 * auxv.len() as u64);
    let sp = down(random_addr, table_words.saturating_mul(WORD))? & !15;
    let size = stack_top - sp;
    if size > MAX_STACK_IMAGE {
        return Err(too_large(size));
    }

    // Now write it bottom-up; `size` <= MAX_STACK_IMAGE, so offsets fit in usize.
    let offset = |addr: u64| (addr - sp) as usize;
    let mut bytes = Vec::with_capacity(size as usize);
    let push_word = |bytes: &mut Vec<u8>, word: u64| bytes.extend_from_slice(&word.to_le_bytes());
    push_word(&mut bytes, spec.argv.len() as u64);
    for (list, start) in [(spec.argv, arg_start), (spec.envp, env_start)] {
        let mut addr = start;
        for s in list {
            push_word(&mut bytes, addr);
            addr += c_len(s);
        }
        push_word(&mut bytes, 0);
    }
    for (key, value) in auxv {
        push_word(&mut bytes, key);
        push_word(&mut bytes, value);
    }
    bytes.resize(offset(random_addr), 0);
    bytes.extend_from_slice(&spec.random);
    if !spec.platform.is_empty() {
        push_c_string(&mut bytes, spec.platform);
    }
    bytes.resize(offset(arg_start), 0);
    for s in spec.argv.iter().chain(spec.envp) {
        push_c_string(&mut bytes, s);
    }
    push_c_string(&mut bytes, spec.execfn);
    bytes.resize(offset(stack_top), 0); // the end marker
    debug_assert_eq!(bytes.len() as u64, size);

    Ok(StackImage { bytes, sp })
}

/// The auxiliary vector in Linux's x86-64 order, ending with `AT_NULL`.
fn aux_vector(
    spec: &StackSpec,
    random_addr: u64,
    execfn_addr: u64,
    platform_addr: Option<u64>,
) -> Vec<(u64, u64)> {
    let mut auxv = Vec::with_capacity(22);
    // ARCH_DLINFO comes first on x86-64.
    if let Some(ehdr) = spec.sysinfo_ehdr {
        auxv.push((AT_SYSINFO_EHDR, ehdr));
    }
    auxv.extend([
        (AT_MINSIGSTKSZ, spec.minsigstksz),
        (AT_HWCAP, spec.hwcap),
        (AT_PAGESZ, spec.pagesz),
        (AT_CLKTCK, spec.clktck),
        (AT_PHDR, spec.phdr),
        (AT_PHENT, u64::from(spec.phent)),
        (AT_PHNUM, u64::from(spec.phnum)),
        (AT_BASE, spec.base),
        (AT_FLAGS, 0),
        (AT_ENTRY, spec.entry),
        (AT_UID, u64::from(spec.uid)),
        (AT_EUID, u64::from(spec.euid)),
        (AT_GID, u64::from(spec.gid)),
        (AT_EGID, u64::from(spec.egid)),
        (AT_SECURE, u64::from(spec.secure)),
        (AT_RANDOM, random_addr),
        (AT_HWCAP2, spec.hwcap2),
        (AT_EXECFN, execfn_addr),
    ]);
    if let Some(platform) = platform_addr {
        auxv.push((AT_PLATFORM, platform));
    }
    auxv.push((AT_NULL, 0));
    auxv.into_iter()
        .map(|(key, value)| (u64::from(key), value))
        .collect()
}

/// Refuses strings the program could not see as C strings, or that Linux would refuse.
fn check_string(s: &[u8]) -> Result<(), LoadError> {
    if s.len() > MAX_ARG_STRLEN {
        return Err(LoadError::StringTooLong { len: s.len() });
    }
    if s.contains(&0) {
        return Err(LoadError::NulInString);
    }
    Ok(())
}

/// Bytes a string occupies on the stack, with its NUL.
fn c_len(s: &[u8]) -> u64 {
    s.len() as u64 + 1
}

/// Total bytes of a string list on the stack (saturating; callers compare with a limit).
fn strings_size(list: &[&[u8]]) -> u64 {
    list.iter()
        .fold(0u64, |total, s| total.saturating_add(c_len(s)))
}

fn push_c_string(bytes: &mut Vec<u8>, s: &[u8]) {
    bytes.extend_from_slice(s);
    bytes.push(0);
}
