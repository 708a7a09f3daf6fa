//! The application's address space: the region list (`elfin_posix::mm::AddressMap`, Linux's
//! rules) and the page tables (through the hal), kept in step. Pages are mapped lazily: the
//! page-fault hook maps a zeroed frame when the region allows the access.
//!
//! File mappings map the file's own pages (the in-memory file data is the page cache, see
//! `elfin_posix::vfs::data`): a shared mapping, `read(2)`, `write(2)` and other mappings of the
//! file all see the same bytes at once, with no msync needed. A private mapping maps the file's
//! page read-only until the app stores to it, then a copy (copy-on-write), as Linux does. The
//! file's pages are never freed here: only private copies and anonymous frames are; and a file
//! shrinking first unmaps its pages from every mapping ([`file_shrink`]).

use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use elfin_hal::paging::{self, PageProt};
use elfin_hal::frames;
use elfin_posix::mm::{AddressMap, FileMap, MmError, Partial, Range, Region};
use elfin_posix::vfs::Inode;
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
    release_with(r, &[]);
}

/// The physical address of a file page (file pages live in the kernel heap, in the direct
/// map).
fn file_page_pa(va: usize) -> u64 {
    (va as u64).wrapping_sub(elfin_hal::boot::DIRECT_MAP)
}

/// Is the frame `pa` mapped at `va` the file's own page (not a private copy)?
fn is_file_page(fm: &FileMap, va: u64, pa: u64) -> bool {
    let Some(data) = fm.inode.data() else { return false };
    let idx = fm.offset_at(va) / PAGE;
    // The data lock may be held by the caller's caller only in paths that never get here.
    match data.try_lock() {
        Some(d) => d.page_addr(idx).is_some_and(|a| file_page_pa(a) == pa),
        // Locked: be safe, never free what might be the file's.
        None => true,
    }
}

/// Unmap every page in `r`, freeing the frames except the file pages of the file mappings
/// `files` covered.
fn release_with(r: Range, files: &[(Range, FileMap)]) {
    for_each_mapped(r, |va| {
        if let Some(pa) = paging::unmap(va) {
            let owned_by_file = files.iter().any(|(fr, fm)| fr.start <= va && va < fr.end && is_file_page(fm, va, pa));
            if !owned_by_file {
                frames::free(pa);
            }
        }
    });
}

/// The file-mapped pieces of `[start, end)` (before an operation that may drop pages there).
fn file_pieces(m: &AddressMap, start: u64, end: u64) -> Vec<(Range, FileMap)> {
    m.regions()
        .filter(|r| r.start < end && start < r.end)
        .filter_map(|r| r.file.clone().map(|f| (Range { start: r.start.max(start), end: r.end.min(end) }, f)))
        .collect()
}

/// The regions, for `/proc/self/maps`.
pub fn regions() -> Vec<elfin_posix::vfs::procfs::MapInfo> {
    with(|m| {
        m.regions()
            .map(|r| elfin_posix::vfs::procfs::MapInfo {
                region: r.clone(),
                file: r.file.as_ref().map(|f| (f.inode.sb.dev, f.inode.ino, f.offset_at(r.start), f.path.to_vec())),
            })
            .collect()
    })
}

/// Insert a fixed region at boot (ELF image, stack).
pub fn insert(region: Region) -> Result<(), Errno> {
    with(|m| m.insert(region)).map_err(errno)
}

/// The file pieces a `MAP_FIXED` mapping of `len` bytes at `addr` may replace.
fn fixed_pieces(m: &AddressMap, addr: u64, len: u64, flags: u32) -> Vec<(Range, FileMap)> {
    if flags & (linux_raw_sys::general::MAP_FIXED | linux_raw_sys::general::MAP_FIXED_NOREPLACE) == 0 {
        return Vec::new();
    }
    file_pieces(m, addr & !(PAGE - 1), addr.saturating_add(len).saturating_add(PAGE - 1) & !(PAGE - 1))
}

/// mmap (anonymous).
pub fn mmap(addr: u64, len: u64, prot: u32, flags: u32) -> Result<u64, Errno> {
    let (a, freed, files) = with(|m| {
        let files = fixed_pieces(m, addr, len, flags);
        m.mmap(addr, len, prot, flags).map(|(a, f)| (a, f, files))
    })
    .map_err(errno)?;
    freed.into_iter().for_each(|r| release_with(r, &files));
    Ok(a)
}

/// mmap of a file: `offset` in the file, `maywrite`: the descriptor was writable.
#[allow(clippy::too_many_arguments)]
pub fn mmap_file(addr: u64, len: u64, prot: u32, flags: u32, inode: Arc<Inode>, offset: u64, maywrite: bool, path: Arc<[u8]>) -> Result<u64, Errno> {
    let (a, freed, files) = with(|m| {
        let files = fixed_pieces(m, addr, len, flags);
        m.mmap_file(addr, len, prot, flags, inode, offset, maywrite, path).map(|(a, f)| (a, f, files))
    })
    .map_err(errno)?;
    freed.into_iter().for_each(|r| release_with(r, &files));
    Ok(a)
}

/// munmap.
pub fn munmap(addr: u64, len: u64) -> Result<(), Errno> {
    let (freed, files) = with(|m| {
        let files = file_pieces(m, addr, addr.saturating_add(len).saturating_add(PAGE - 1) & !(PAGE - 1));
        m.munmap(addr, len).map(|f| (f, files))
    })
    .map_err(errno)?;
    freed.into_iter().for_each(|r| release_with(r, &files));
    Ok(())
}

/// Is `[addr, addr + len)` entirely mapped? (msync's `ENOMEM` check.)
pub fn is_mapped(addr: u64, len: u64) -> bool {
    with(|m| {
        let end = addr.saturating_add(len);
        let mut covered = addr;
        for r in m.regions() {
            if r.end <= covered {
                continue;
            }
            if r.start > covered {
                return false;
            }
            covered = r.end;
            if covered >= end {
                return true;
            }
        }
        covered >= end
    })
}

/// Does a shared mapping of `inode` that may write exist?
pub fn shared_writable_mapping(inode: &Arc<Inode>) -> bool {
    with(|m| m.regions().any(|r| r.shared && r.file.as_ref().is_some_and(|f| f.maywrite && Arc::ptr_eq(&f.inode, inode))))
}

/// A file shrinks (or has a hole punched) over `[from, to)` (file offsets, page aligned):
/// unmap those pages from every mapping of it first, freeing private copies, so the file
/// can free its pages.
pub fn file_shrink(inode: &Arc<Inode>, from: u64, to: u64) {
    let pieces: Vec<(Range, FileMap)> = with(|m| {
        m.regions()
            .filter_map(|r| r.file.as_ref().filter(|f| Arc::ptr_eq(&f.inode, inode)).map(|f| (r.range(), f.clone())))
            .collect()
    });
    for (r, fm) in pieces {
        // The addresses of this region that map file offsets [from, to).
        let lo = fm.offset_at(r.start);
        let hi = fm.offset_at(r.end);
        if hi <= from || lo >= to {
            continue;
        }
        let start = r.start + from.saturating_sub(lo);
        let end = r.end - hi.saturating_sub(to);
        release_with(Range { start, end }, &[(r, fm)]);
    }
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
    let files = with(|m| {
        let mut v = Vec::new();
        for r in &changed {
            v.extend(file_pieces(m, r.start, r.end));
        }
        v
    });
    let shared_of = |va: u64| with(|m| m.find(va).is_some_and(|r| r.shared));
    for r in changed {
        for_each_mapped(r, |va| {
            // A private mapping keeps the file's own page read-only: a store copies it.
            let file_page = files.iter().any(|(fr, fm)| {
                fr.start <= va && va < fr.end && paging::translate(va).is_some_and(|pa| is_file_page(fm, va, pa))
            });
            if file_page && !shared_of(va) {
                paging::protect(va, page_prot(prot & !PROT_WRITE));
            } else {
                paging::protect(va, p);
            }
        });
    }
    result
}

/// mremap: moved pages keep their frames.
pub fn mremap(old: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> Result<u64, Errno> {
    let (r, files) = with(|m| {
        let mut files = file_pieces(m, old, old.saturating_add(old_len.max(new_len)));
        if flags & linux_raw_sys::general::MREMAP_FIXED != 0 {
            files.extend(file_pieces(m, new_addr, new_addr.saturating_add(new_len)));
        }
        m.mremap(old, old_len, new_len, flags, new_addr).map(|r| (r, files))
    })
    .map_err(errno)?;
    // Free what the move replaces first: the target may have held pages of its own.
    r.freed.into_iter().for_each(|x| release_with(x, &files));
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
    let (zap, result, files) = with(|m| {
        let files = file_pieces(m, addr, addr.saturating_add(len).saturating_add(PAGE - 1) & !(PAGE - 1));
        let (zap, result) = partial(m.madvise(addr, len, advice));
        (zap, result, files)
    });
    zap.into_iter().for_each(|r| release_with(r, &files));
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

/// The page-fault hook: map a zeroed frame (or a file's page) if the region allows the
/// access; copy a private file page on a store. Returns false for a fault the app must die
/// of (or a user copy must fail with EFAULT).
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
    let page = addr & !(PAGE - 1);
    if let Some(fm) = region.file.clone() {
        let shared = region.shared;
        drop(g);
        return allowed && file_fault(page, err & WRITE != 0, err & PRESENT != 0, prot, shared, &fm);
    }
    if !allowed || err & PRESENT != 0 {
        return false;
    }
    let Some(pa) = frames::alloc_zeroed() else { return false };
    if paging::map(page, pa, page_prot(prot)).is_err() {
        frames::free(pa);
        return false;
    }
    true
}

/// A private copy of file page `idx` (zeros past the end of file) in a new frame.
fn private_copy(d: &elfin_posix::vfs::data::FileData, idx: u64) -> Option<u64> {
    let pa = frames::alloc_zeroed()?;
    let mut buf = [0u8; 512];
    let mut off = 0;
    while off < PAGE {
        let n = d.read(idx * PAGE + off, &mut buf);
        if n == 0 {
            break;
        }
        frames::copy_to_phys(pa + off, &buf[..n]);
        off += buf.len() as u64;
    }
    Some(pa)
}

/// A fault in a file mapping (the access is allowed by the region).
fn file_fault(page: u64, write: bool, present: bool, prot: u32, shared: bool, fm: &FileMap) -> bool {
    let Some(data) = fm.inode.data() else { return false };
    let Some(mut d) = data.try_lock() else { return false };
    let off = fm.offset_at(page);
    // Past the end of the file (Linux: SIGBUS).
    if off >= d.size().div_ceil(PAGE) * PAGE {
        return false;
    }
    let idx = off / PAGE;
    if present {
        // A store to a private mapping of the file's page: copy on write.
        if !write || shared {
            return false;
        }
        let Some(cur) = paging::translate(page) else { return false };
        if d.page_addr(idx).map(file_page_pa) != Some(cur) {
            return false;
        }
        let Some(copy) = private_copy(&d, idx) else { return false };
        if paging::map(page, copy, page_prot(prot)).is_err() {
            frames::free(copy);
            return false;
        }
        return true;
    }
    if !shared && write {
        let Some(copy) = private_copy(&d, idx) else { return false };
        if paging::map(page, copy, page_prot(prot)).is_err() {
            frames::free(copy);
            return false;
        }
        return true;
    }
    let Ok(va) = d.page_for_mapping(idx) else { return false };
    let p = if shared { prot } else { prot & !PROT_WRITE };
    paging::map(page, file_page_pa(va), page_prot(p)).is_ok()
}
