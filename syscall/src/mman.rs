//! Memory mapping: brk, mmap, munmap, mprotect, mremap, madvise. The region bookkeeping with
//! Linux's rules is `elfin_posix::mm`; the kernel applies it to the page tables. This file
//! checks what only the syscall layer knows (offsets, descriptors).

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::vfs::devfs::MemDev;
use linux_raw_sys::general::{MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, PROT_WRITE};

const PAGE_MASK: u64 = 4095;

/// brk(2).
pub fn brk(c: &mut Ctx, a: &Args) -> SysResult {
    Ok(c.k.brk(a.raw(0)) as usize)
}

/// mmap(2): anonymous memory, and `/dev/zero` (which is anonymous memory too). The descriptor
/// of a file mapping is checked as Linux does: readable (`EACCES`), writable for a writable
/// shared mapping (`EACCES`), and mappable at all (`ENODEV` for pipes, consoles...).
pub fn mmap(c: &mut Ctx, a: &Args) -> SysResult {
    let (addr, len, prot, flags, fd, off) = (a.raw(0), a.raw(1), a.uint(2), a.uint(3), a.fd(4), a.raw(5));
    if off & PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MAP_ANONYMOUS == 0 {
        let file = c.p.fds.file(fd)?;
        if file.is_path() {
            return Err(Errno::EBADF);
        }
        let shared = matches!(flags & MAP_TYPE, MAP_SHARED | MAP_SHARED_VALIDATE);
        if shared && prot & PROT_WRITE != 0 && !file.writable() {
            return Err(Errno::EACCES);
        }
        if !file.readable() {
            return Err(Errno::EACCES);
        }
        if !file.ops.mappable() {
            return Err(Errno::ENODEV);
        }
        let any: &dyn core::any::Any = &*file.ops;
        if let Some(dev) = any.downcast_ref::<MemDev>()
            && dev.is_zero()
        {
            let flags = (flags & !MAP_TYPE) | MAP_ANONYMOUS | if shared { MAP_SHARED } else { MAP_PRIVATE };
            return c.k.mmap(addr, len, prot, flags).map(|v| v as usize);
        }
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
