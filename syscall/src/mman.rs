//! Memory mapping: brk, mmap, munmap, mprotect, mremap, madvise. The region bookkeeping with
//! Linux's rules is `elfin_posix::mm`; the kernel applies it to the page tables. This file
//! checks what only the syscall layer knows (offsets, descriptors).

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use linux_raw_sys::general::MAP_ANONYMOUS;

const PAGE_MASK: u64 = 4095;

/// brk(2).
pub fn brk(c: &mut Ctx, a: &Args) -> SysResult {
    Ok(c.k.brk(a.raw(0)) as usize)
}

/// mmap(2): anonymous memory. A descriptor-backed mapping needs the VFS: an open console or
/// pipe cannot be mapped (`ENODEV`, as on Linux).
pub fn mmap(c: &mut Ctx, a: &Args) -> SysResult {
    let (addr, len, prot, flags, fd, off) = (a.raw(0), a.raw(1), a.uint(2), a.uint(3), a.fd(4), a.raw(5));
    if off & PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MAP_ANONYMOUS == 0 {
        c.p.fds.get(fd)?;
        return Err(Errno::ENODEV);
    }
    c.k.mmap(addr, len, prot, flags).map(|v| v as usize)
}

/// munmap(2).
pub fn munmap(c: &mut Ctx, a: &Args) -> SysResult {
    c.k.munmap(a.raw(0), a.raw(1)).map(|_| 0)
}

/// mprotect(2).
pub fn mprotect(c: &mut Ctx, a: &Args) -> SysResult {
    c.k.mprotect(a.raw(0), a.raw(1), a.uint(2)).map(|_| 0)
}

/// mremap(2).
pub fn mremap(c: &mut Ctx, a: &Args) -> SysResult {
    c.k.mremap(a.raw(0), a.raw(1), a.raw(2), a.uint(3), a.raw(4)).map(|v| v as usize)
}

/// madvise(2).
pub fn madvise(c: &mut Ctx, a: &Args) -> SysResult {
    c.k.madvise(a.raw(0), a.raw(1), a.uint(2)).map(|_| 0)
}
