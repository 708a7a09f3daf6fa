//! Memory mapping: brk, mmap (anonymous memory, `/dev/zero`, regular files and memfds),
//! munmap, mprotect, mremap, madvise, msync. The region bookkeeping with
//! Linux's rules is `elfin_posix::mm`; the kernel applies it to the page tables. This file
//! checks what only the syscall layer knows (offsets, descriptors).

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use elfin_posix::file::MAX_LFS;
use elfin_posix::vfs::devfs::MemDev;
use linux_raw_sys::general::{
    F_SEAL_FUTURE_WRITE, F_SEAL_WRITE, MAP_ANONYMOUS, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_FIXED, MAP_GROWSDOWN, MAP_HUGETLB,
    MAP_LOCKED, MAP_NONBLOCK, MAP_NORESERVE, MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_STACK, MAP_TYPE,
    MAP_UNINITIALIZED, MS_ASYNC, MS_INVALIDATE, MS_SYNC, PROT_WRITE,
};

/// Linux's `LEGACY_MAP_MASK`: the flags `MAP_SHARED_VALIDATE` accepts.
const LEGACY_MAP_MASK: u32 = MAP_SHARED
    | MAP_PRIVATE
    | MAP_FIXED
    | MAP_ANONYMOUS
    | MAP_DENYWRITE
    | MAP_EXECUTABLE
    | MAP_UNINITIALIZED
    | MAP_GROWSDOWN
    | MAP_LOCKED
    | MAP_NORESERVE
    | MAP_POPULATE
    | MAP_NONBLOCK
    | MAP_STACK
    | MAP_HUGETLB;

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
        if flags & MAP_TYPE == MAP_SHARED_VALIDATE && flags & !(LEGACY_MAP_MASK | MAP_SHARED_VALIDATE) != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        if flags & MAP_GROWSDOWN != 0 {
            return Err(Errno::EINVAL);
        }
        let plen = len.checked_add(PAGE_MASK).map(|l| l & !PAGE_MASK).unwrap_or(u64::MAX);
        if off.checked_add(plen).is_none_or(|e| e > MAX_LFS) {
            return Err(Errno::EOVERFLOW);
        }
        let inode = file.ops.inode().clone();
        let Some(data) = inode.data() else { return Err(Errno::ENODEV) };
        // A write-sealed memfd: no writable shared mapping, and a read-only one can never
        // become writable.
        let sealed = data.lock().seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0;
        if shared && sealed && prot & PROT_WRITE != 0 {
            return Err(Errno::EPERM);
        }
        let maywrite = file.writable() && !sealed;
        let path: alloc::sync::Arc<[u8]> = alloc::sync::Arc::from(file.path.as_slice());
        return c.k.mmap_file(addr, len, prot, flags, inode, off, maywrite, path).map(|v| v as usize);
    }
    c.k.mmap(addr, len, prot, flags).map(|v| v as usize)
}

/// msync(2): a shared file mapping maps the file's own pages, so there is nothing to write
/// back; the arguments are checked as Linux does (`EINVAL`, `ENOMEM` for unmapped memory).
pub fn msync(c: &mut Ctx, a: &Args) -> SysResult {
    let (addr, len, flags) = (a.raw(0), a.raw(1), a.uint(2));
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0 || addr & PAGE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MS_ASYNC != 0 && flags & MS_SYNC != 0 {
        return Err(Errno::EINVAL);
    }
    let len = len.checked_add(PAGE_MASK).map(|l| l & !PAGE_MASK).ok_or(Errno::ENOMEM)?;
    if addr.checked_add(len).is_none() {
        return Err(Errno::ENOMEM);
    }
    if len == 0 {
        return Ok(0);
    }
    if c.k.is_mapped(addr, len) { Ok(0) } else { Err(Errno::ENOMEM) }
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
