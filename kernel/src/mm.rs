//! The application's address space: the region list (`elfin_posix::mm::AddressMap`, Linux's
//! rules) and the page tables (through the hal), kept in step. Pages are mapped lazily: the
//! page-fault hook maps a zeroed frame when the region allows the access.

use elfin_abi::Errno;
use elfin_hal::paging::{self, PageProt};
use elfin_hal::frames;
use elfin_posix::mm::{AddressMap, MmError, Partial, Range, Region};
use linux_raw_sys::general::{PROT_EXEC, PROT_READ, PROT_WRITE};
use spin::Mutex;

const PAGE: u64 = 4096;

/// The one address space (one process today).
static SPACE: Mutex<Option<AddressMap>> = Mutex::new(None);

/// Start with an empty map whose top-down mmap area begins below `mmap_base`.
pub fn init(mmap_base: u64) {
    *SPACE.lock() = Some(AddressMap::new(mmap_base));
}

fn errno(e: MmError) -> Errno {
    Errno::from_raw(e.errno()).unwrap_or(Errno::EINVAL)
}

fn with<R>(f: impl FnOnce(&mut AddressMap) -> R) -> R {
    let mut g = SPACE.lock();
    match g.as_mut() {
        Some(m) => f(m),
        None => panic!("address space used before mm::init"),
    }
}

/// The page protection for `PROT_*` bits (x86: write and exec imply read).
pub fn page_prot(prot: u32) -> PageProt {
    let (r, w, x) = (prot & PROT_READ != 0, prot & PROT_WRITE != 0, prot & PROT_EXEC != 0);
    match (r || w || x, w, x) {
        (false, _, _) => PageProt::None,
        (true, false, false) => PageProt::Read,
        (true, true, false) => PageProt::ReadWrite,
        (true, false, true) => PageProt::ReadExec,
        (true, true, true) => PageProt::ReadWriteExec,
    }
}

/// Visit every page of `r` that holds a frame, skipping empty 2 MiB blocks quickly.
fn for_each_mapped(r: Range, mut f: impl FnMut(u64)) {
    let mut va = r.start;
    while va < r.end {
        if paging::empty_2m(va) {
            va = ((va >> 21) + 1) << 21;
            continue;
        }
        if paging::translate(va).is_some() {
            f(va);
        }
        va += PAGE;
    }
}

/// Unmap and free every frame in `r`.
fn release(r: Range) {
    for_each_mapped(r, |va| {
        if let Some(pa) = paging::unmap(va) {
            frames::free(pa);
        }
    });
}

/// The regions, for `/proc/self/maps`.
pub fn regions() -> alloc::vec::Vec<elfin_posix::vfs::procfs::MapInfo> {
    with(|m| m.regions().map(|r| elfin_posix::vfs::procfs::MapInfo { region: r.clone(), file: None }).collect())
}

/// Insert a fixed region at boot (ELF image, stack).
pub fn insert(region: Region) -> Result<(), Errno> {
    with(|m| m.insert(region)).map_err(errno)
}

/// mmap (anonymous).
pub fn mmap(addr: u64, len: u64, prot: u32, flags: u32) -> Result<u64, Errno> {
    let (a, freed) = with(|m| m.mmap(addr, len, prot, flags)).map_err(errno)?;
    freed.into_iter().for_each(release);
    Ok(a)
}

/// munmap.
pub fn munmap(addr: u64, len: u64) -> Result<(), Errno> {
    let freed = with(|m| m.munmap(addr, len)).map_err(errno)?;
    freed.into_iter().for_each(release);
    Ok(())
}

/// Split an operation Linux may apply partly: the ranges done, and the error to report.
fn partial(r: Result<alloc::vec::Vec<Range>, Partial>) -> (alloc::vec::Vec<Range>, Result<(), Errno>) {
    match r {
        Ok(done) => (done, Ok(())),
        Err(p) => (p.done, Err(errno(p.error))),
    }
}

/// mprotect: the page tables follow the regions' new protection (also for the part Linux
/// applies before it meets a hole).
pub fn mprotect(addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
    let (changed, result) = partial(with(|m| m.mprotect(addr, len, prot)));
    let p = page_prot(prot);
    for r in changed {
        for_each_mapped(r, |va| paging::protect(va, p));
    }
    result
}

/// mremap: moved pages keep their frames.
pub fn mremap(old: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> Result<u64, Errno> {
    let r = with(|m| m.mremap(old, old_len, new_len, flags, new_addr)).map_err(errno)?;
    // Free what the move replaces first: the target may have held pages of its own.
    r.freed.into_iter().for_each(release);
    if let Some((from, to, len)) = r.moved {
        let prot = with(|m| m.find(to).map(|reg| reg.prot)).unwrap_or(0);
        let p = page_prot(prot);
        let mut off = 0;
        while off < len {
            if let Some(pa) = paging::unmap(from + off) {
                if paging::map(to + off, pa, p).is_err() {
                    frames::free(pa);
                    return Err(Errno::ENOMEM);
                }
            }
            off += PAGE;
        }
    }
    Ok(r.addr)
}

/// madvise: discarded pages read back as zero.
pub fn madvise(addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
    let (zap, result) = partial(with(|m| m.madvise(addr, len, advice)));
    zap.into_iter().for_each(release);
    result
}

/// Set the heap start (end of the ELF image).
pub fn brk_init(start: u64) {
    with(|m| m.brk_init(start));
}

/// brk.
pub fn brk(new: u64) -> u64 {
    let (cur, freed) = with(|m| m.brk(new));
    freed.into_iter().for_each(release);
    cur
}

/// The page-fault hook: map a zeroed frame if the region allows the access. Returns false for
/// a fault the app must die of (or a user copy must fail with EFAULT).
pub fn page_fault(addr: u64, err: u64) -> bool {
    const PRESENT: u64 = 1;
    const WRITE: u64 = 2;
    const FETCH: u64 = 16;
    // A fault while the map is locked is a kernel bug, not something to wait for.
    let Some(mut g) = SPACE.try_lock() else { return false };
    let Some(m) = g.as_mut() else { return false };
    let Some(region) = m.fault_lookup(addr) else { return false };
    let prot = region.prot;
    let allowed = if err & WRITE != 0 {
        prot & PROT_WRITE != 0
    } else if err & FETCH != 0 {
        prot & PROT_EXEC != 0
    } else {
        prot & (PROT_READ | PROT_WRITE | PROT_EXEC) != 0
    };
    if !allowed || err & PRESENT != 0 {
        return false;
    }
    let page = addr & !(PAGE - 1);
    let Some(pa) = frames::alloc_zeroed() else { return false };
    if paging::map(page, pa, page_prot(prot)).is_err() {
        frames::free(pa);
        return false;
    }
    true
}
