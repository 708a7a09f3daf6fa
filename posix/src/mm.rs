//! Address-space region bookkeeping: the list of mappings (Linux's VMAs) of one user address
//! space, with the semantics of Linux x86-64 for anonymous memory.
//!
//! [`AddressMap`] is a pure data structure (no page tables, no frames). The kernel owns one per
//! address space and uses it in two ways:
//!
//! * **Page faults.** On a fault at `addr` the kernel calls [`AddressMap::fault_lookup`] (which
//!   also grows a [`RegionKind::Stack`] region downwards, as Linux grows `VM_GROWSDOWN`
//!   mappings); if a region allows the access it maps a zeroed frame lazily, otherwise it
//!   delivers SIGSEGV. [`Region::readable`] / [`Region::writable`] mirror x86's rules (any
//!   non-`PROT_NONE` mapping is readable).
//! * **Syscalls.** `mmap`, `munmap`, `mprotect`, `mremap`, `madvise` and `brk` validate their
//!   arguments exactly like Linux (same errno, same order of checks), update the region list
//!   and return the page-table work the caller must do:
//!   - [`Range`]s whose pages must be unmapped and freed (`munmap`, `MAP_FIXED` replacing a
//!     mapping, `brk` shrinking, `mremap` shrinking or replacing),
//!   - ranges whose PTE permissions must be rewritten (`mprotect`),
//!   - ranges whose pages must be discarded so they read back as zero (`madvise`),
//!   - a page move for `mremap` ([`Remap::moved`]).
//!
//!   Pages of a new or grown mapping are never populated here: they fault in as zero.
//!
//! Layout follows Linux's default ("top-down") policy: a non-fixed mapping goes at a free hint,
//! else at the highest free gap below `mmap_base`, else bottom-up from `TASK_SIZE / 3`.
//! `MAP_32BIT` searches `[1 GiB, 2 GiB)` bottom-up. Adjacent private regions with equal
//! protection and kind are merged, as Linux merges anonymous VMAs, so [`AddressMap::regions`]
//! is what `/proc/self/maps` should show. Shared regions are never merged (Linux backs each
//! shared anonymous mapping with its own shmem file).
//!
//! Where Linux applies part of an operation and then fails (`mprotect` or `madvise` over a
//! hole), the work done so far is reported in [`Partial`]. Everything else is all-or-nothing:
//! the checks run before anything changes. The number of regions is capped by
//! [`AddressMap::set_max_map_count`] (Linux's `vm.max_map_count`, default 65530), so a
//! program cannot make the kernel allocate without bound.
//!
//! Documented differences from Linux (kernel 6.18 on this host was the reference):
//! * `mremap` with `old_len == 0` (duplicate a shared mapping) is refused with `EINVAL`, and
//!   `MREMAP_DONTUNMAP` is accepted for private anonymous regions only (Linux before 5.13),
//!   because both would need frames shared between two ranges.
//! * `MADV_DONTNEED` on an [`RegionKind::Image`] region keeps the data (Linux would re-read
//!   the file). `MADV_COLLAPSE`, `MADV_GUARD_*`, `MADV_HWPOISON` and `MADV_SOFT_OFFLINE` give
//!   `EINVAL` (no THP, no guard pages, no poisoning). `MAP_HUGETLB` gives `ENOMEM`, as on a
//!   Linux with no reserved huge pages (the default).
//! * No address randomisation and no 2 MiB alignment of large anonymous mappings.
//! * The region cap is checked conservatively (splits are counted before merges), so an
//!   operation right at the cap may get `ENOMEM` where Linux would merge and succeed.
//! * Placement scans the gaps linearly (Linux keeps gap sizes in its tree); fine for the
//!   hundreds of regions programs have, worth revisiting for tens of thousands.
//!
//! Neighbours: the syscall handlers (`syscall/`) decode arguments and turn [`MmError`] into
//! `-errno`; the kernel's `mm` applies the returned ranges to the page tables.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;

use linux_raw_sys::errno;
use linux_raw_sys::general::{
    MADV_COLD, MADV_DODUMP, MADV_DOFORK, MADV_DONTDUMP, MADV_DONTFORK, MADV_DONTNEED,
    MADV_DONTNEED_LOCKED, MADV_FREE, MADV_HUGEPAGE, MADV_KEEPONFORK, MADV_MERGEABLE,
    MADV_NOHUGEPAGE, MADV_NORMAL, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
    MADV_RANDOM, MADV_REMOVE, MADV_SEQUENTIAL, MADV_UNMERGEABLE, MADV_WILLNEED, MADV_WIPEONFORK,
    MAP_32BIT, MAP_ABOVE4G, MAP_DROPPABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN,
    MAP_HUGETLB, MAP_LOCKED, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, MREMAP_DONTUNMAP, MREMAP_FIXED,
    MREMAP_MAYMOVE, PROT_EXEC, PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_SEM, PROT_WRITE,
};

/// Page size.
pub const PAGE: u64 = 4096;
/// Top of user space (exclusive), as Linux x86-64 with 4-level paging.
pub const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// Lowest address a mapping may occupy (`vm.mmap_min_addr`, Debian's default).
pub const MMAP_MIN_ADDR: u64 = 0x10000;
/// Start of the bottom-up search used when the top-down one fails (`TASK_SIZE / 3`).
pub const TASK_UNMAPPED_BASE: u64 = (TASK_SIZE / 3 + PAGE - 1) & !(PAGE - 1);
/// Gap kept free below a grows-down ([`RegionKind::Stack`]) region (`stack_guard_gap`).
pub const STACK_GUARD_GAP: u64 = 256 * PAGE;
/// Default cap on the number of regions (`vm.max_map_count`).
pub const DEFAULT_MAX_MAP_COUNT: usize = 65530;
/// Default limit for growing a stack region (`RLIMIT_STACK`, 8 MiB).
pub const DEFAULT_STACK_LIMIT: u64 = 8 << 20;

/// `MAP_32BIT` mappings are placed in `[MAP_32BIT_BASE, MAP_32BIT_END)`, as on Linux.
const MAP_32BIT_BASE: u64 = 0x4000_0000;
const MAP_32BIT_END: u64 = 0x8000_0000;
const FOUR_GIB: u64 = 1 << 32;
const PROT_RWX: u32 = PROT_READ | PROT_WRITE | PROT_EXEC;

/// Why an operation failed; [`MmError::errno`] gives the Linux errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmError {
    /// `EINVAL`
    Inval,
    /// `ENOMEM`
    NoMem,
    /// `EEXIST` (`MAP_FIXED_NOREPLACE` over a mapping)
    Exist,
    /// `EFAULT` (`mremap` of an unmapped or too long range)
    Fault,
    /// `EAGAIN` (locked-memory limits; not modelled yet)
    Again,
    /// `EOPNOTSUPP` (unknown flags with `MAP_SHARED_VALIDATE` on a *file* mapping; anonymous
    /// `MAP_SHARED_VALIDATE` is `EINVAL` on Linux and here)
    OpNotSupp,
    /// `EPERM` (an address below [`MMAP_MIN_ADDR`])
    Perm,
    /// `EACCES` (`MADV_REMOVE` on a private file-backed region)
    Acces,
}

impl MmError {
    /// The positive Linux errno.
    pub fn errno(self) -> i32 {
        let e = match self {
            MmError::Inval => errno::EINVAL,
            MmError::NoMem => errno::ENOMEM,
            MmError::Exist => errno::EEXIST,
            MmError::Fault => errno::EFAULT,
            MmError::Again => errno::EAGAIN,
            MmError::OpNotSupp => errno::EOPNOTSUPP,
            MmError::Perm => errno::EPERM,
            MmError::Acces => errno::EACCES,
        };
        e as i32
    }
}

/// What backs a region, which decides merging, `/proc/self/maps` labels and a few rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// Anonymous memory from `mmap`.
    Anon,
    /// The `brk` heap.
    Heap,
    /// A grows-down region: the main stack and `MAP_GROWSDOWN` mappings.
    Stack,
    /// An ELF segment (Linux: a private file mapping).
    Image,
}

/// What a file mapping maps: the file, and where in it.
#[derive(Clone, Debug)]
pub struct FileMap {
    /// The file's inode (kept alive by the mapping, as Linux's `vm_file`).
    pub inode: Arc<crate::vfs::Inode>,
    /// File offset minus address (wrapping): the same for every piece of a split region.
    pub delta: u64,
    /// The descriptor allowed writing (`VM_MAYWRITE` of a shared mapping).
    pub maywrite: bool,
    /// The path it was mapped by, for `/proc/self/maps`.
    pub path: Arc<[u8]>,
}

impl FileMap {
    /// A mapping of `inode` whose region starting at `addr` maps file offset `offset`.
    pub fn new(inode: Arc<crate::vfs::Inode>, addr: u64, offset: u64, maywrite: bool, path: Arc<[u8]>) -> Self {
        FileMap { inode, delta: offset.wrapping_sub(addr), maywrite, path }
    }

    /// The file offset that address `addr` maps.
    pub fn offset_at(&self, addr: u64) -> u64 {
        addr.wrapping_add(self.delta)
    }
}

impl PartialEq for FileMap {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inode, &other.inode) && self.delta == other.delta && self.maywrite == other.maywrite
    }
}

impl Eq for FileMap {}

/// One mapping: `[start, end)`, page aligned, non-empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    /// `PROT_READ | PROT_WRITE | PROT_EXEC` bits (nothing else is stored).
    pub prot: u32,
    /// `MAP_SHARED` (visible to other address spaces sharing it; matters once fork exists).
    pub shared: bool,
    pub kind: RegionKind,
    /// The file a file mapping maps (`None`: anonymous memory).
    pub file: Option<FileMap>,
}

impl Region {
    /// Length in bytes.
    pub fn size(&self) -> u64 {
        self.end - self.start
    }

    pub fn range(&self) -> Range {
        Range {
            start: self.start,
            end: self.end,
        }
    }

    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// A read (or instruction fetch) is allowed: on x86 every mapping that is not
    /// `PROT_NONE` is readable (Linux's `access_error` checks exactly this).
    pub fn readable(&self) -> bool {
        self.prot & PROT_RWX != 0
    }

    pub fn writable(&self) -> bool {
        self.prot & PROT_WRITE != 0
    }

    pub fn executable(&self) -> bool {
        self.prot & PROT_EXEC != 0
    }

    /// Lowest address of the region plus the guard gap a grows-down region keeps free below
    /// itself (Linux's `vm_start_gap`).
    fn start_gap(&self) -> u64 {
        if self.kind == RegionKind::Stack {
            self.start.saturating_sub(STACK_GUARD_GAP)
        } else {
            self.start
        }
    }

    /// `next` directly follows `self` and the two would be one VMA on Linux.
    fn merges_with(&self, next: &Region) -> bool {
        self.end == next.start
            && !self.shared
            && !next.shared
            && self.prot == next.prot
            && self.kind == next.kind
            && self.file == next.file
    }

    fn private_anon(&self) -> bool {
        !self.shared && self.kind != RegionKind::Image && self.file.is_none()
    }
}

/// A page-aligned address range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub end: u64,
}

impl Range {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// The outcome of a successful [`AddressMap::mremap`]. The caller first unmaps and frees the
/// pages of `freed` (sorted, disjoint), then, if `moved` is `(from, to, len)`, moves every present page of
/// `[from, from + len)` to the same offset in `[to, to + len)` (keeping the frames). The rest
/// of the new mapping faults in as zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remap {
    /// The address returned to the program.
    pub addr: u64,
    pub moved: Option<(u64, u64, u64)>,
    pub freed: Vec<Range>,
}

/// An operation that Linux applies partially before failing (`mprotect` or `madvise` over a
/// hole): `done` is the work already applied to the map that the caller must still carry out
/// on the page tables, as on success; `error` is returned to the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partial {
    pub error: MmError,
    pub done: Vec<Range>,
}

impl From<MmError> for Partial {
    fn from(error: MmError) -> Self {
        Partial {
            error,
            done: Vec::new(),
        }
    }
}

/// What `madvise` does to one region.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Advice {
    /// Accepted hint with no effect on the map or the pages.
    Hint,
    /// `MADV_DONTNEED`, `MADV_DONTNEED_LOCKED`.
    DontNeed,
    Free,
    Remove,
    WipeOnFork,
    Populate {
        write: bool,
    },
}

fn advice_of(advice: u32) -> Option<Advice> {
    Some(match advice {
        MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_WILLNEED | MADV_DONTFORK
        | MADV_DOFORK | MADV_MERGEABLE | MADV_UNMERGEABLE | MADV_HUGEPAGE | MADV_NOHUGEPAGE
        | MADV_DONTDUMP | MADV_DODUMP | MADV_KEEPONFORK | MADV_COLD | MADV_PAGEOUT => Advice::Hint,
        MADV_DONTNEED | MADV_DONTNEED_LOCKED => Advice::DontNeed,
        MADV_FREE => Advice::Free,
        MADV_REMOVE => Advice::Remove,
        MADV_WIPEONFORK => Advice::WipeOnFork,
        MADV_POPULATE_READ => Advice::Populate { write: false },
        MADV_POPULATE_WRITE => Advice::Populate { write: true },
        _ => return None,
    })
}

/// Round up to a page; `None` on overflow.
fn page_up(x: u64) -> Option<u64> {
    x.checked_add(PAGE - 1).map(|v| v & !(PAGE - 1))
}

/// Round up to a page with C's wrap-around (`PAGE_ALIGN`), where Linux relies on it.
fn page_up_wrapping(x: u64) -> u64 {
    x.wrapping_add(PAGE - 1) & !(PAGE - 1)
}

fn aligned(x: u64) -> bool {
    x.is_multiple_of(PAGE)
}

/// Append `r` to `out`, coalescing with the last range when they touch.
fn push_range(out: &mut Vec<Range>, r: Range) {
    if r.is_empty() {
        return;
    }
    if let Some(last) = out.last_mut()
        && last.end == r.start
    {
        last.end = r.end;
        return;
    }
    out.push(r);
}

/// The region list of one address space. Invariants: regions are sorted, non-empty, page
/// aligned, non-overlapping, inside `[MMAP_MIN_ADDR, TASK_SIZE)`, and no two adjacent
/// private regions could merge.
#[derive(Clone, Debug)]
pub struct AddressMap {
    map: BTreeMap<u64, Region>,
    mmap_base: u64,
    /// `(start_brk, brk)` once [`AddressMap::brk_init`] ran.
    brk: Option<(u64, u64)>,
    max_map_count: usize,
    stack_limit: u64,
}

impl AddressMap {
    /// An empty address space whose top-down allocations start below `mmap_base` (Linux:
    /// stack top minus the stack gap). The value is page aligned down and clamped to
    /// `[MMAP_MIN_ADDR, TASK_SIZE]`.
    pub fn new(mmap_base: u64) -> Self {
        AddressMap {
            map: BTreeMap::new(),
            mmap_base: (mmap_base & !(PAGE - 1)).clamp(MMAP_MIN_ADDR, TASK_SIZE),
            brk: None,
            max_map_count: DEFAULT_MAX_MAP_COUNT,
            stack_limit: DEFAULT_STACK_LIMIT,
        }
    }

    pub fn mmap_base(&self) -> u64 {
        self.mmap_base
    }

    /// Cap on the number of regions (`vm.max_map_count`). An operation that would need more
    /// fails with `ENOMEM` before changing anything.
    pub fn set_max_map_count(&mut self, n: usize) {
        self.max_map_count = n;
    }

    /// Largest size a stack region may grow to in [`AddressMap::fault_lookup`]
    /// (`RLIMIT_STACK`).
    pub fn set_stack_limit(&mut self, bytes: u64) {
        self.stack_limit = bytes;
    }

    /// All regions in address order.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.map.values()
    }

    /// Number of regions.
    pub fn region_count(&self) -> usize {
        self.map.len()
    }

    /// The region containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Region> {
        self.map
            .range(..=addr)
            .next_back()
            .map(|(_, r)| r)
            .filter(|r| addr < r.end)
    }

    /// The region for a page fault at `addr`: the one containing it, or a stack region just
    /// above it, grown down to cover it as Linux's `expand_stack` would (page granular, at
    /// most the stack limit, never closer than [`STACK_GUARD_GAP`] to an accessible
    /// non-stack region below). The caller still checks the access against the region.
    pub fn fault_lookup(&mut self, addr: u64) -> Option<&Region> {
        let next = self.next_region(addr)?;
        if next.start <= addr {
            return self.find(addr);
        }
        if next.kind != RegionKind::Stack {
            return None;
        }
        let page = addr & !(PAGE - 1);
        if page < MMAP_MIN_ADDR || next.end - page > self.stack_limit {
            return None;
        }
        let key = next.start;
        if let Some((_, prev)) = self.map.range(..key).next_back()
            && prev.kind != RegionKind::Stack
            && prev.readable()
            && page - prev.end < STACK_GUARD_GAP
        {
            return None;
        }
        let mut grown = self.map.remove(&key)?;
        grown.start = page;
        self.map.insert(page, grown);
        self.merge_around(page, page);
        self.find(addr)
    }

    /// Is `[addr, addr + len)` entirely covered by regions that allow a write (`write`) or a
    /// read? An empty range is; an overflowing one is not. Stack growth is not considered:
    /// a user copy that faults goes through [`AddressMap::fault_lookup`].
    pub fn check_access(&self, addr: u64, len: u64, write: bool) -> bool {
        if len == 0 {
            return true;
        }
        let Some(end) = addr.checked_add(len) else {
            return false;
        };
        let mut covered = addr;
        for r in self.overlapping(addr, end) {
            let allowed = if write { r.writable() } else { r.readable() };
            if r.start > covered || !allowed {
                return false;
            }
            covered = r.end;
            if covered >= end {
                return true;
            }
        }
        false
    }

    /// Insert a region at a fixed place (ELF segments and the stack at boot). Fails with
    /// `EINVAL` if it is empty, unaligned or has bits other than `PROT_READ | PROT_WRITE |
    /// PROT_EXEC`, `EPERM` below [`MMAP_MIN_ADDR`], `ENOMEM` beyond [`TASK_SIZE`] or over the
    /// region cap, `EEXIST` if it overlaps a region.
    pub fn insert(&mut self, region: Region) -> Result<(), MmError> {
        if region.start >= region.end
            || !aligned(region.start)
            || !aligned(region.end)
            || region.prot & !PROT_RWX != 0
        {
            return Err(MmError::Inval);
        }
        if region.start < MMAP_MIN_ADDR {
            return Err(MmError::Perm);
        }
        if region.end > TASK_SIZE {
            return Err(MmError::NoMem);
        }
        if self.overlapping(region.start, region.end).next().is_some() {
            return Err(MmError::Exist);
        }
        self.ensure_room(1)?;
        let (start, end) = (region.start, region.end);
        self.map.insert(start, region);
        self.merge_around(start, end);
        Ok(())
    }

    /// Where a non-fixed mapping of `len` bytes with `hint` and `flags` (`MAP_32BIT`,
    /// `MAP_ABOVE4G`) would go, without mapping it. Linux's `get_unmapped_area` for x86-64.
    pub fn get_unmapped_area(&self, hint: u64, len: u64, flags: u32) -> Result<u64, MmError> {
        if len == 0 || len > TASK_SIZE {
            return Err(MmError::NoMem);
        }
        if flags & MAP_32BIT == 0 {
            if hint != 0 {
                let hint = hint & !(PAGE - 1);
                if TASK_SIZE - len >= hint && self.hint_is_free(hint, len) {
                    return Ok(hint);
                }
            }
            let low = if flags & MAP_ABOVE4G != 0 {
                FOUR_GIB
            } else {
                MMAP_MIN_ADDR
            };
            if let Some(addr) = self.search_top_down(low, self.mmap_base, len) {
                return Ok(addr);
            }
        }
        // Bottom-up: MAP_32BIT's window, or the fallback when top-down found nothing.
        let (begin, end) = if flags & MAP_32BIT != 0 {
            (MAP_32BIT_BASE, MAP_32BIT_END)
        } else {
            (TASK_UNMAPPED_BASE, TASK_SIZE)
        };
        if len > end {
            return Err(MmError::NoMem);
        }
        if hint != 0
            && let Some(hint) = page_up(hint)
            && end - len >= hint
            && self.hint_is_free(hint, len)
        {
            return Ok(hint);
        }
        self.search_bottom_up(begin, end, len).ok_or(MmError::NoMem)
    }

    /// `mmap` of anonymous memory (file mappings are rejected by the caller). Returns the
    /// address and the ranges whose old pages the caller must unmap and free (what a
    /// `MAP_FIXED` mapping replaced). Checks and their order follow Linux's `do_mmap`.
    pub fn mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
    ) -> Result<(u64, Vec<Range>), MmError> {
        self.mmap_with(addr, len, prot, flags, None)
    }

    /// `mmap` of a file: `offset` is the file offset (page aligned), `inode` and `path` the
    /// file, `maywrite` whether the descriptor was writable. The caller checked the
    /// descriptor's access (`EACCES`) and that the file can be mapped.
    #[allow(clippy::too_many_arguments)]
    pub fn mmap_file(
        &mut self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        inode: Arc<crate::vfs::Inode>,
        offset: u64,
        maywrite: bool,
        path: Arc<[u8]>,
    ) -> Result<(u64, Vec<Range>), MmError> {
        self.mmap_with(addr, len, prot, flags, Some((inode, offset, maywrite, path)))
    }

    #[allow(clippy::type_complexity)]
    fn mmap_with(
        &mut self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        file: Option<(Arc<crate::vfs::Inode>, u64, bool, Arc<[u8]>)>,
    ) -> Result<(u64, Vec<Range>), MmError> {
        if len == 0 {
            return Err(MmError::Inval);
        }
        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let mut addr = addr;
        if !fixed {
            // round_hint_to_min
            addr &= !(PAGE - 1);
            if addr != 0 && addr < MMAP_MIN_ADDR {
                addr = MMAP_MIN_ADDR;
            }
        }
        let len = page_up(len).ok_or(MmError::NoMem)?;
        if len > TASK_SIZE {
            return Err(MmError::NoMem);
        }
        if !fixed {
            addr = self.get_unmapped_area(addr, len, flags)?;
        }
        if addr > TASK_SIZE - len {
            return Err(MmError::NoMem);
        }
        if !aligned(addr) {
            return Err(MmError::Inval);
        }
        if addr < MMAP_MIN_ADDR {
            return Err(MmError::Perm);
        }
        let end = addr + len;
        if flags & MAP_FIXED_NOREPLACE != 0 && self.overlapping(addr, end).next().is_some() {
            return Err(MmError::Exist);
        }
        let growsdown = flags & MAP_GROWSDOWN != 0;
        let shared = match flags & MAP_TYPE {
            MAP_SHARED if growsdown => return Err(MmError::Inval),
            MAP_SHARED => true,
            // Files accept the validating form (the flags were checked by the caller).
            MAP_SHARED_VALIDATE if file.is_some() && !growsdown => true,
            MAP_PRIVATE => false,
            // Pages the kernel may drop under memory pressure; keeping them is allowed.
            MAP_DROPPABLE if growsdown || flags & MAP_LOCKED != 0 => {
                return Err(MmError::Inval);
            }
            MAP_DROPPABLE => false,
            // Includes MAP_SHARED_VALIDATE, which Linux refuses for anonymous memory.
            _ => return Err(MmError::Inval),
        };
        if flags & MAP_HUGETLB != 0 {
            return Err(MmError::NoMem);
        }
        self.ensure_room(self.carve_delta(addr, end) + 1)?;
        let freed = self.carve(addr, end);
        let kind = if growsdown {
            RegionKind::Stack
        } else {
            RegionKind::Anon
        };
        self.map.insert(
            addr,
            Region {
                start: addr,
                end,
                prot: prot & PROT_RWX,
                shared,
                kind,
                file: file.map(|(inode, off, maywrite, path)| FileMap::new(inode, addr, off, maywrite, path)),
            },
        );
        self.merge_around(addr, end);
        Ok((addr, freed))
    }

    /// `munmap`: returns the ranges that were mapped and are now gone (unmap and free their
    /// pages). Holes are fine; regions are split as needed.
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<Vec<Range>, MmError> {
        if !aligned(addr) || addr > TASK_SIZE || len > TASK_SIZE - addr {
            return Err(MmError::Inval);
        }
        // Cannot overflow: len <= TASK_SIZE - addr and both ends are page aligned.
        let end = addr + page_up_wrapping(len);
        if end == addr {
            return Err(MmError::Inval);
        }
        self.ensure_room(self.carve_delta(addr, end))?;
        Ok(self.carve(addr, end))
    }

    /// `mprotect`: returns the ranges whose protection changed (rewrite their PTEs to `prot`).
    /// As on Linux, a hole stops the walk: the part before it is changed and `ENOMEM`
    /// returned, with that part in [`Partial::done`]. `PROT_GROWSDOWN` extends the change
    /// down to the start of the stack region; `PROT_SEM` is accepted and ignored.
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: u32) -> Result<Vec<Range>, Partial> {
        let grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
        let prot = prot & !grows;
        if grows == PROT_GROWSDOWN | PROT_GROWSUP || !aligned(addr) {
            return Err(MmError::Inval.into());
        }
        if len == 0 {
            return Ok(Vec::new());
        }
        let end = page_up(len)
            .and_then(|l| addr.checked_add(l))
            .ok_or(MmError::NoMem)?;
        if prot & !(PROT_RWX | PROT_SEM) != 0 {
            return Err(MmError::Inval.into());
        }
        let prot = prot & PROT_RWX;
        let first = self.overlapping(addr, end).next().ok_or(MmError::NoMem)?;
        let mut start = addr;
        if grows & PROT_GROWSDOWN != 0 {
            start = first.start;
            if first.kind != RegionKind::Stack {
                return Err(MmError::Inval.into());
            }
        } else if first.start > start {
            return Err(MmError::NoMem.into());
        } else if grows & PROT_GROWSUP != 0 {
            // x86 has no grows-up mappings.
            return Err(MmError::Inval.into());
        }
        // The contiguous mapped part from `start`, and what in it actually changes.
        let mut covered = start;
        let mut changed = Vec::new();
        let mut denied = false;
        for r in self.overlapping(start, end) {
            if r.start > covered {
                break;
            }
            // A shared mapping of a file opened read-only can never become writable.
            if prot & PROT_WRITE != 0 && r.shared && r.file.as_ref().is_some_and(|f| !f.maywrite) {
                denied = true;
                break;
            }
            let piece_end = r.end.min(end);
            if r.prot != prot {
                push_range(
                    &mut changed,
                    Range {
                        start: covered,
                        end: piece_end,
                    },
                );
            }
            covered = piece_end;
            if covered >= end {
                break;
            }
        }
        let splits = changed.first().map_or(0, |c| self.splits_at(c.start))
            + changed.last().map_or(0, |c| self.splits_at(c.end));
        self.ensure_room(splits)?;
        for c in &changed {
            self.split_at(c.start);
            self.split_at(c.end);
            for (_, r) in self.map.range_mut(c.start..c.end) {
                r.prot = prot;
            }
        }
        self.merge_around(start, covered);
        if denied {
            return Err(Partial {
                error: MmError::Acces,
                done: changed,
            });
        }
        if covered < end {
            Err(Partial {
                error: MmError::NoMem,
                done: changed,
            })
        } else {
            Ok(changed)
        }
    }

    /// `mremap` (Linux 6.18 rules): shrink in place, grow in place when the space after the
    /// mapping is free, otherwise move with `MREMAP_MAYMOVE` (`ENOMEM` without it).
    /// `MREMAP_FIXED` moves to `new_addr`, replacing what is there; with `old_len ==
    /// new_len` the source may span several regions and holes (it must start in one).
    /// `MREMAP_DONTUNMAP` leaves the old range mapped but empty.
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> Result<Remap, MmError> {
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 || !aligned(old) {
            return Err(MmError::Inval);
        }
        let old_len = page_up_wrapping(old_len);
        let new_len = page_up_wrapping(new_len);
        if new_len == 0 || new_len > TASK_SIZE {
            return Err(MmError::Inval);
        }
        let fixed = flags & MREMAP_FIXED != 0;
        let dontunmap = flags & MREMAP_DONTUNMAP != 0;
        let maymove = flags & MREMAP_MAYMOVE != 0;
        if fixed || dontunmap {
            if new_addr > TASK_SIZE - new_len
                || !aligned(new_addr)
                || !maymove
                || (dontunmap && old_len != new_len)
            {
                return Err(MmError::Inval);
            }
            // Source and destination overlap (C arithmetic, wrapping like Linux's).
            if old.wrapping_add(old_len) > new_addr && new_addr + new_len > old {
                return Err(MmError::Inval);
            }
            if self.map.len() + 2 >= self.max_map_count.saturating_sub(3) {
                return Err(MmError::NoMem);
            }
        }
        let region = self.find(old).ok_or(MmError::Fault)?.clone();
        if fixed && old_len == new_len {
            return self.remap_move(old, new_len, new_addr, dontunmap);
        }
        if fixed || dontunmap {
            return self.remap_to(&region, old, old_len, new_len, new_addr, fixed, dontunmap);
        }
        if old_len >= new_len {
            let freed = if old_len == new_len {
                Vec::new()
            } else {
                self.munmap(old + new_len, old_len - new_len)?
            };
            return Ok(Remap {
                addr: old,
                moved: None,
                freed,
            });
        }
        // Grow.
        if old_len == 0 {
            return Err(MmError::Inval);
        }
        if old_len > region.end - old {
            return Err(MmError::Fault);
        }
        let delta = new_len - old_len;
        if old + old_len == region.end
            && let Some(new_end) = region.end.checked_add(delta)
            && new_end <= TASK_SIZE
            && self.overlapping(region.end, new_end).next().is_none()
        {
            self.ensure_room(1)?;
            let grown = Region {
                start: region.end,
                end: new_end,
                ..region.clone()
            };
            self.map.insert(region.end, grown);
            self.merge_around(region.start, new_end);
            return Ok(Remap {
                addr: old,
                moved: None,
                freed: Vec::new(),
            });
        }
        if !maymove {
            return Err(MmError::NoMem);
        }
        let to = self.get_unmapped_area(0, new_len, 0)?;
        self.ensure_room(self.carve_delta(old, old + old_len) + 1)?;
        self.relocate(old, to, old_len, new_len, false);
        Ok(Remap {
            addr: to,
            moved: Some((old, to, old_len)),
            freed: Vec::new(),
        })
    }

    /// `madvise`. Returns the ranges to zap: the caller discards their pages so they read
    /// back as zero (`MADV_DONTNEED`/`MADV_FREE` on private memory, `MADV_REMOVE` on shared
    /// memory). Like Linux, holes are skipped and reported as `ENOMEM` at the end, and a
    /// region that refuses the advice stops the walk; in both cases [`Partial::done`] holds
    /// the zaps already due.
    pub fn madvise(&mut self, addr: u64, len: u64, advice: u32) -> Result<Vec<Range>, Partial> {
        let advice = advice_of(advice).ok_or(MmError::Inval)?;
        if !aligned(addr) {
            return Err(MmError::Inval.into());
        }
        let alen = page_up_wrapping(len);
        if len != 0 && alen == 0 {
            return Err(MmError::Inval.into());
        }
        let end = addr.checked_add(alen).ok_or(MmError::Inval)?;
        if end == addr {
            return Ok(Vec::new());
        }
        if let Advice::Populate { write } = advice {
            // Stops at the first hole (ENOMEM) or forbidden access (EINVAL).
            let mut covered = addr;
            for r in self.overlapping(addr, end) {
                if r.start > covered {
                    break;
                }
                if !(if write { r.writable() } else { r.readable() }) {
                    return Err(MmError::Inval.into());
                }
                covered = r.end;
                if covered >= end {
                    return Ok(Vec::new());
                }
            }
            return Err(MmError::NoMem.into());
        }
        let mut done = Vec::new();
        let mut covered = addr;
        let mut hole = false;
        for r in self.overlapping(addr, end) {
            if r.start > covered {
                hole = true;
            }
            let piece = Range {
                start: r.start.max(addr),
                end: r.end.min(end),
            };
            let zap = match advice {
                // File pages come back from the file; private copies are dropped.
                Advice::DontNeed => r.private_anon() || r.file.is_some(),
                Advice::Free if r.private_anon() => true,
                Advice::Free => {
                    return Err(Partial {
                        error: MmError::Inval,
                        done,
                    });
                }
                Advice::Remove if r.shared => true,
                Advice::Remove if r.kind == RegionKind::Image => {
                    return Err(Partial {
                        error: MmError::Acces,
                        done,
                    });
                }
                Advice::Remove => {
                    return Err(Partial {
                        error: MmError::Inval,
                        done,
                    });
                }
                Advice::WipeOnFork if !r.private_anon() => {
                    return Err(Partial {
                        error: MmError::Inval,
                        done,
                    });
                }
                _ => false,
            };
            if zap {
                push_range(&mut done, piece);
            }
            covered = piece.end;
        }
        if hole || covered < end {
            Err(Partial {
                error: MmError::NoMem,
                done,
            })
        } else {
            Ok(done)
        }
    }

    /// Set the heap start (page aligned up: the end of the ELF image). The break starts there.
    pub fn brk_init(&mut self, start: u64) {
        let start = page_up(start).unwrap_or(TASK_SIZE).min(TASK_SIZE);
        self.brk = Some((start, start));
    }

    /// The current break (0 before [`AddressMap::brk_init`]).
    pub fn brk_current(&self) -> u64 {
        self.brk.map_or(0, |(_, cur)| cur)
    }

    /// The heap start (0 before [`AddressMap::brk_init`]).
    pub fn brk_start(&self) -> u64 {
        self.brk.map_or(0, |(start, _)| start)
    }

    /// `brk` with Linux's rules: below the heap start, or growing to within a page of another
    /// mapping, or past [`TASK_SIZE`], leaves the break unchanged; otherwise the heap region
    /// grows or shrinks (page granular) and the exact requested value becomes the break.
    /// Returns the resulting break and the ranges freed by shrinking.
    pub fn brk(&mut self, new: u64) -> (u64, Vec<Range>) {
        let Some((start, cur)) = self.brk else {
            return (0, Vec::new());
        };
        let unchanged = (cur, Vec::new());
        if new < start {
            return unchanged;
        }
        let (Some(new_page), Some(old_page)) = (page_up(new), page_up(cur)) else {
            return unchanged;
        };
        if new_page == old_page {
            self.brk = Some((start, new));
            return (new, Vec::new());
        }
        if new <= cur {
            // Shrink; Linux refuses when nothing is mapped in the range to release.
            if self.overlapping(new_page, old_page).next().is_none()
                || self
                    .ensure_room(self.carve_delta(new_page, old_page))
                    .is_err()
            {
                return unchanged;
            }
            let freed = self.carve(new_page, old_page);
            self.brk = Some((start, new));
            return (new, freed);
        }
        if old_page < MMAP_MIN_ADDR || new_page > TASK_SIZE {
            return unchanged;
        }
        // Keep one page free above the heap (and the guard gap below a stack).
        if let Some(next) = self.next_region(old_page)
            && new_page.saturating_add(PAGE) > next.start_gap()
        {
            return unchanged;
        }
        if self.ensure_room(1).is_err() {
            return unchanged;
        }
        let heap = Region {
            start: old_page,
            end: new_page,
            prot: PROT_READ | PROT_WRITE,
            shared: false,
            kind: RegionKind::Heap,
            file: None,
        };
        self.map.insert(old_page, heap);
        self.merge_around(old_page, new_page);
        self.brk = Some((start, new));
        (new, Vec::new())
    }

    // ---- internals ----

    /// Regions intersecting `[start, end)`, in order.
    fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = &Region> {
        let before = self
            .map
            .range(..start)
            .next_back()
            .map(|(_, r)| r)
            .filter(move |r| r.end > start);
        before
            .into_iter()
            .chain(self.map.range(start..end.max(start)).map(|(_, r)| r))
    }

    /// The first region ending above `addr` (Linux's `find_vma`).
    fn next_region(&self, addr: u64) -> Option<&Region> {
        self.find(addr)
            .or_else(|| self.map.range(addr..).next().map(|(_, r)| r))
    }

    /// A hinted range is usable if the next region (and its guard gap) starts after it.
    fn hint_is_free(&self, addr: u64, len: u64) -> bool {
        let end = addr + len;
        self.next_region(addr).is_none_or(|r| end <= r.start_gap())
    }

    /// Highest `a` with `[a, a + len)` free and inside `[low, high)`.
    fn search_top_down(&self, low: u64, high: u64, len: u64) -> Option<u64> {
        let low = low.max(MMAP_MIN_ADDR);
        if high < low || high - low < len {
            return None;
        }
        let mut top = high;
        if let Some((_, r)) = self.map.range(high..).next() {
            top = top.min(r.start_gap());
        }
        for (_, r) in self.map.range(..high).rev() {
            let bottom = r.end.max(low);
            if top >= bottom && top - bottom >= len {
                return Some(top - len);
            }
            top = top.min(r.start_gap());
            if top < low + len {
                return None;
            }
        }
        if top >= low && top - low >= len {
            Some(top - len)
        } else {
            None
        }
    }

    /// Lowest `a` with `[a, a + len)` free and inside `[low, high)`.
    fn search_bottom_up(&self, low: u64, high: u64, len: u64) -> Option<u64> {
        let low = low.max(MMAP_MIN_ADDR);
        if high < low || high - low < len {
            return None;
        }
        let mut bottom = self.find(low).map_or(low, |r| r.end);
        for (_, r) in self.map.range(low..) {
            if bottom >= high {
                return None;
            }
            let top = r.start_gap().min(high);
            if top >= bottom && top - bottom >= len {
                return Some(bottom);
            }
            bottom = bottom.max(r.end);
        }
        (high >= bottom && high - bottom >= len).then_some(bottom)
    }

    /// Split the region strictly containing `at` (if any) in two at `at`.
    fn split_at(&mut self, at: u64) {
        let tail = match self.map.range_mut(..at).next_back() {
            Some((_, r)) if r.end > at => {
                let tail = Region {
                    start: at,
                    ..r.clone()
                };
                r.end = at;
                tail
            }
            _ => return,
        };
        self.map.insert(at, tail);
    }

    /// 1 if removing or changing from `at` would split a region, else 0.
    fn splits_at(&self, at: u64) -> i64 {
        i64::from(self.find(at).is_some_and(|r| r.start < at))
    }

    /// How the region count changes when `[start, end)` is carved out.
    fn carve_delta(&self, start: u64, end: u64) -> i64 {
        let mut delta = 0;
        for r in self.overlapping(start, end) {
            if r.start >= start && r.end <= end {
                delta -= 1;
            } else if r.start < start && r.end > end {
                delta += 1;
            }
        }
        delta
    }

    fn ensure_room(&self, extra: i64) -> Result<(), MmError> {
        let count = i64::try_from(self.map.len()).unwrap_or(i64::MAX);
        let max = i64::try_from(self.max_map_count).unwrap_or(i64::MAX);
        if extra > 0 && count.saturating_add(extra) > max {
            Err(MmError::NoMem)
        } else {
            Ok(())
        }
    }

    /// Remove everything in `[start, end)`, splitting regions at the edges; returns what was
    /// mapped there.
    fn carve(&mut self, start: u64, end: u64) -> Vec<Range> {
        let mut out = Vec::new();
        if start >= end {
            return out;
        }
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.map.range(start..end).map(|(&k, _)| k).collect();
        for k in keys {
            if let Some(r) = self.map.remove(&k) {
                push_range(&mut out, r.range());
            }
        }
        out
    }

    /// Merge mergeable neighbours among the regions touching `[start, end]`.
    fn merge_around(&mut self, start: u64, end: u64) {
        let keys: Vec<u64> = self
            .overlapping(start.saturating_sub(1), end.saturating_add(1))
            .map(|r| r.start)
            .collect();
        let mut keys = keys.into_iter();
        let Some(mut cur) = keys.next() else {
            return;
        };
        for k in keys {
            let merged_end = match (self.map.get(&cur), self.map.get(&k)) {
                (Some(a), Some(b)) if a.merges_with(b) => Some(b.end),
                _ => None,
            };
            match merged_end {
                Some(e) => {
                    self.map.remove(&k);
                    if let Some(a) = self.map.get_mut(&cur) {
                        a.end = e;
                    }
                }
                None => cur = k,
            }
        }
    }

    /// Move the regions of `[from, from + keep)` to `to` (leaving the source mapped if
    /// `dontunmap`) and extend the moved mapping to `new_len` bytes. The destination is free.
    fn relocate(&mut self, from: u64, to: u64, keep: u64, new_len: u64, dontunmap: bool) {
        let pieces: Vec<Region> = self
            .overlapping(from, from + keep)
            .map(|r| Region {
                start: r.start.max(from) - from + to,
                end: r.end.min(from + keep) - from + to,
                // A moved heap is no longer the brk heap.
                kind: if r.kind == RegionKind::Heap {
                    RegionKind::Anon
                } else {
                    r.kind
                },
                // The same file offsets at the new addresses.
                file: r.file.clone().map(|f| FileMap {
                    delta: f.delta.wrapping_add(from).wrapping_sub(to),
                    ..f
                }),
                ..r.clone()
            })
            .collect();
        if !dontunmap {
            self.carve(from, from + keep);
        }
        let tail = pieces.last().map(|last| Region {
            start: to + keep,
            end: to + new_len,
            ..last.clone()
        });
        for p in pieces.into_iter().chain(tail.filter(|t| t.start < t.end)) {
            self.map.insert(p.start, p);
        }
        self.merge_around(to, to + new_len);
    }

    /// `mremap` with `MREMAP_FIXED` and no resize: may span regions and holes.
    fn remap_move(
        &mut self,
        old: u64,
        len: u64,
        to: u64,
        dontunmap: bool,
    ) -> Result<Remap, MmError> {
        if to < MMAP_MIN_ADDR {
            return Err(MmError::Perm);
        }
        let mut pieces = 0;
        for r in self.overlapping(old, old + len) {
            if dontunmap && !r.private_anon() {
                return Err(MmError::Inval);
            }
            pieces += 1;
        }
        let source = if dontunmap {
            0
        } else {
            self.carve_delta(old, old + len)
        };
        self.ensure_room(self.carve_delta(to, to + len) + source + pieces)?;
        let freed = self.carve(to, to + len);
        self.relocate(old, to, len, len, dontunmap);
        Ok(Remap {
            addr: to,
            moved: Some((old, to, len)),
            freed,
        })
    }

    /// `mremap` with `MREMAP_FIXED` (resizing) or `MREMAP_DONTUNMAP`: the old range must lie
    /// in `region`.
    #[allow(clippy::too_many_arguments)]
    fn remap_to(
        &mut self,
        region: &Region,
        old: u64,
        old_len: u64,
        new_len: u64,
        new_addr: u64,
        fixed: bool,
        dontunmap: bool,
    ) -> Result<Remap, MmError> {
        let keep = old_len.min(new_len);
        // Tail released when shrinking: Linux munmaps it, with munmap's checks.
        let tail = (old_len > new_len).then(|| (old + new_len, old_len - new_len));
        if let Some((t, tlen)) = tail
            && (t > TASK_SIZE || tlen > TASK_SIZE - t)
        {
            return Err(MmError::Inval);
        }
        if keep == 0 || (dontunmap && !region.private_anon()) {
            return Err(MmError::Inval);
        }
        if keep > region.end - old {
            return Err(MmError::Fault);
        }
        let to = if fixed {
            new_addr
        } else {
            self.get_unmapped_area(new_addr, new_len, 0)?
        };
        if to > TASK_SIZE - new_len {
            return Err(MmError::NoMem);
        }
        if to < MMAP_MIN_ADDR {
            return Err(MmError::Perm);
        }
        let mut extra = 1;
        if fixed {
            extra += self.carve_delta(to, to + new_len);
        }
        if let Some((t, tlen)) = tail {
            extra += self.carve_delta(t, t + tlen);
        }
        if !dontunmap {
            extra += self.carve_delta(old, old + keep);
        }
        self.ensure_room(extra)?;
        let mut gone = Vec::new();
        if fixed {
            gone = self.carve(to, to + new_len);
        }
        if let Some((t, tlen)) = tail {
            gone.extend(self.carve(t, t + tlen));
        }
        gone.sort_unstable_by_key(|r| r.start);
        let mut freed = Vec::new();
        for r in gone {
            push_range(&mut freed, r);
        }
        self.relocate(old, to, keep, new_len, dontunmap);
        Ok(Remap {
            addr: to,
            moved: Some((old, to, keep)),
            freed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: u64 = 0x3_0000_0000;
    const P: u64 = PAGE;
    const BASE: u64 = 0x7f00_0000_0000;
    const RW: u32 = PROT_READ | PROT_WRITE;
    const PRIV: u32 = MAP_PRIVATE | linux_raw_sys::general::MAP_ANONYMOUS;
    const FIX: u32 = PRIV | MAP_FIXED;

    fn r(start: u64, end: u64) -> Range {
        Range { start, end }
    }

    fn map() -> AddressMap {
        AddressMap::new(BASE)
    }

    /// (start, end, prot) of every region.
    fn layout(m: &AddressMap) -> Vec<(u64, u64, u32)> {
        m.regions().map(|r| (r.start, r.end, r.prot)).collect()
    }

    fn check_invariants(m: &AddressMap) {
        let mut prev: Option<&Region> = None;
        for (k, r) in &m.map {
            assert_eq!(*k, r.start);
            assert!(
                r.start < r.end && aligned(r.start) && aligned(r.end),
                "{r:?}"
            );
            assert!(r.start >= MMAP_MIN_ADDR && r.end <= TASK_SIZE, "{r:?}");
            assert_eq!(r.prot & !PROT_RWX, 0);
            if let Some(p) = prev {
                assert!(p.end <= r.start, "overlap {p:?} {r:?}");
                assert!(!p.merges_with(r), "unmerged {p:?} {r:?}");
            }
            prev = Some(r);
        }
    }

    #[test]
    fn errno_values() {
        assert_eq!(MmError::Inval.errno(), 22);
        assert_eq!(MmError::NoMem.errno(), 12);
        assert_eq!(MmError::Exist.errno(), 17);
        assert_eq!(MmError::Fault.errno(), 14);
        assert_eq!(MmError::Again.errno(), 11);
        assert_eq!(MmError::OpNotSupp.errno(), 95);
        assert_eq!(MmError::Perm.errno(), 1);
        assert_eq!(MmError::Acces.errno(), 13);
    }

    #[test]
    fn mmap_argument_errors() {
        let mut m = map();
        assert_eq!(m.mmap(0, 0, RW, PRIV), Err(MmError::Inval));
        assert_eq!(m.mmap(0, u64::MAX, RW, PRIV), Err(MmError::NoMem));
        assert_eq!(m.mmap(0, u64::MAX - 4095, RW, PRIV), Err(MmError::NoMem));
        assert_eq!(m.mmap(0, 1 << 47, RW, PRIV), Err(MmError::NoMem));
        assert_eq!(m.mmap(0, TASK_SIZE, RW, PRIV), Err(MmError::NoMem));
        // Type: exactly MAP_SHARED or MAP_PRIVATE (SHARED_VALIDATE is EINVAL for anon).
        let anon = linux_raw_sys::general::MAP_ANONYMOUS;
        assert_eq!(m.mmap(0, P, RW, anon), Err(MmError::Inval));
        assert_eq!(m.mmap(0, P, RW, anon | 0xf), Err(MmError::Inval));
        assert_eq!(m.mmap(0, P, RW, anon | 4), Err(MmError::Inval));
        let validate = linux_raw_sys::general::MAP_SHARED_VALIDATE;
        assert_eq!(m.mmap(0, P, RW, anon | validate), Err(MmError::Inval));
        assert_eq!(
            m.mmap(0, P, RW, MAP_SHARED | MAP_GROWSDOWN),
            Err(MmError::Inval)
        );
        assert_eq!(m.mmap(0, P, RW, PRIV | MAP_HUGETLB), Err(MmError::NoMem));
        assert_eq!(m.region_count(), 0);
    }

    #[test]
    fn mmap_fixed_address_errors_in_linux_order() {
        let mut m = map();
        assert_eq!(m.mmap(B + 0x234, P, RW, FIX), Err(MmError::Inval));
        // TASK_SIZE check comes before the alignment check.
        assert_eq!(m.mmap(TASK_SIZE - 0x800, P, RW, FIX), Err(MmError::NoMem));
        assert_eq!(m.mmap(TASK_SIZE, P, RW, FIX), Err(MmError::NoMem));
        assert_eq!(
            m.mmap(TASK_SIZE, P, RW, PRIV | MAP_FIXED_NOREPLACE),
            Err(MmError::NoMem)
        );
        assert_eq!(m.mmap(0x1000, P, RW, FIX), Err(MmError::Perm));
        assert_eq!(m.mmap(0, P, RW, FIX), Err(MmError::Perm));
        // EPERM comes before the type check.
        let anon = linux_raw_sys::general::MAP_ANONYMOUS;
        assert_eq!(m.mmap(0, P, RW, anon | MAP_FIXED), Err(MmError::Perm));
        assert_eq!(
            m.mmap(TASK_SIZE - P, P, RW, FIX),
            Ok((TASK_SIZE - P, vec![]))
        );
        check_invariants(&m);
    }

    #[test]
    fn mmap_top_down_below_base() {
        let mut m = map();
        let (a, freed) = m.mmap(0, 3 * P, RW, PRIV).unwrap();
        assert_eq!(a, BASE - 3 * P);
        assert!(freed.is_empty());
        let (b, _) = m.mmap(0, 100, PROT_READ, PRIV).unwrap();
        assert_eq!(b, BASE - 4 * P);
        // Same protection: merged with the one above.
        let (c, _) = m.mmap(0, P, PROT_READ, PRIV).unwrap();
        assert_eq!(c, BASE - 5 * P);
        assert_eq!(
            layout(&m),
            vec![(c, BASE - 3 * P, PROT_READ), (a, BASE, RW)]
        );
        // A hole is reused top-down.
        m.munmap(a, P).unwrap();
        assert_eq!(m.mmap(0, P, RW, PRIV).unwrap().0, a);
        check_invariants(&m);
    }

    #[test]
    fn mmap_hints() {
        let mut m = map();
        // Unaligned hint rounds down (x86), and is used when free.
        assert_eq!(m.mmap(B + 0x1234, P, RW, PRIV).unwrap().0, B + P);
        // Busy hint: fall back to top-down.
        assert_eq!(m.mmap(B + P, P, RW, PRIV).unwrap().0, BASE - P);
        // Hint below mmap_min_addr is raised to it.
        assert_eq!(m.mmap(0x1000, P, RW, PRIV).unwrap().0, MMAP_MIN_ADDR);
        assert_eq!(m.mmap(0x3000, P, RW, PRIV).unwrap().0, BASE - 2 * P);
        // Hint at the very top works, beyond it does not.
        assert_eq!(m.mmap(TASK_SIZE - P, P, RW, PRIV).unwrap().0, TASK_SIZE - P);
        assert_eq!(m.mmap(TASK_SIZE, P, RW, PRIV).unwrap().0, BASE - 3 * P);
        assert_eq!(m.mmap(1 << 47, P, RW, PRIV).unwrap().0, BASE - 4 * P);
        // A hint whose range would overlap the next mapping is not used.
        assert_eq!(m.mmap(B, 2 * P, RW, PRIV).unwrap().0, BASE - 6 * P);
        check_invariants(&m);
    }

    #[test]
    fn mmap_fixed_replaces_and_reports_freed() {
        let mut m = map();
        m.mmap(B, 4 * P, RW, FIX).unwrap();
        m.mmap(B + 6 * P, 2 * P, PROT_READ, FIX).unwrap();
        let (a, freed) = m.mmap(B + 2 * P, 5 * P, PROT_EXEC, FIX).unwrap();
        assert_eq!(a, B + 2 * P);
        assert_eq!(
            freed,
            vec![r(B + 2 * P, B + 4 * P), r(B + 6 * P, B + 7 * P)]
        );
        assert_eq!(
            layout(&m),
            vec![
                (B, B + 2 * P, RW),
                (B + 2 * P, B + 7 * P, PROT_EXEC),
                (B + 7 * P, B + 8 * P, PROT_READ)
            ]
        );
        check_invariants(&m);
    }

    #[test]
    fn mmap_fixed_noreplace() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        let nr = PRIV | MAP_FIXED_NOREPLACE;
        assert_eq!(m.mmap(B, P, RW, nr), Err(MmError::Exist));
        assert_eq!(m.mmap(B - P, 2 * P, RW, nr), Err(MmError::Exist));
        assert_eq!(m.mmap(B + 1, P, RW, nr), Err(MmError::Inval));
        assert_eq!(m.mmap(B, P, RW, nr | MAP_FIXED), Err(MmError::Exist));
        assert_eq!(m.mmap(B + 2 * P, P, RW, nr), Ok((B + 2 * P, vec![])));
        assert_eq!(layout(&m), vec![(B, B + 3 * P, RW)]);
    }

    #[test]
    fn mmap_prot_and_ignored_flags() {
        let mut m = map();
        // Unknown prot bits are dropped by mmap (Linux does not validate them there).
        let (a, _) = m.mmap(0, P, 0x100 | PROT_SEM | PROT_READ, PRIV).unwrap();
        assert_eq!(m.find(a).unwrap().prot, PROT_READ);
        // Unknown flag bits without MAP_SHARED_VALIDATE are ignored.
        let (b, _) = m.mmap(0, P, RW, PRIV | 0x80_0000).unwrap();
        assert!(m.find(b).is_some());
        let droppable = linux_raw_sys::general::MAP_ANONYMOUS | MAP_DROPPABLE;
        let (c, _) = m.mmap(0, P, RW, droppable).unwrap();
        assert!(!m.find(c).unwrap().shared);
        assert_eq!(
            m.mmap(0, P, RW, droppable | MAP_LOCKED),
            Err(MmError::Inval)
        );
        let (s, _) = m.mmap(0, P, RW, MAP_SHARED).unwrap();
        assert!(m.find(s).unwrap().shared);
        let (g, _) = m.mmap(0, P, RW, PRIV | MAP_GROWSDOWN).unwrap();
        assert_eq!(m.find(g).unwrap().kind, RegionKind::Stack);
        check_invariants(&m);
    }

    #[test]
    fn mmap_32bit_and_above4g() {
        let mut m = map();
        assert_eq!(
            m.mmap(0, P, RW, PRIV | MAP_32BIT).unwrap().0,
            MAP_32BIT_BASE
        );
        assert_eq!(
            m.mmap(0, P, RW, PRIV | MAP_32BIT).unwrap().0,
            MAP_32BIT_BASE + P
        );
        // A hint inside the window is honoured, one above it is not.
        assert_eq!(
            m.mmap(0x1000_0000, P, RW, PRIV | MAP_32BIT).unwrap().0,
            0x1000_0000
        );
        assert_eq!(
            m.mmap(FOUR_GIB, P, RW, PRIV | MAP_32BIT).unwrap().0,
            MAP_32BIT_BASE + 2 * P
        );
        // The whole 1 GiB window minus what is used does not fit 1 GiB.
        assert_eq!(m.mmap(0, 1 << 30, 0, PRIV | MAP_32BIT), Err(MmError::NoMem));
        assert_eq!(m.mmap(0, 1 << 31, 0, PRIV | MAP_32BIT), Err(MmError::NoMem));
        // MAP_ABOVE4G only raises the floor of the top-down search.
        let mut low = AddressMap::new(FOUR_GIB + 2 * P);
        assert_eq!(
            low.mmap(0, 2 * P, RW, PRIV | MAP_ABOVE4G).unwrap().0,
            FOUR_GIB
        );
        assert_eq!(
            low.mmap(0, P, RW, PRIV | MAP_ABOVE4G).unwrap().0,
            TASK_UNMAPPED_BASE
        );
        assert_eq!(low.mmap(0, P, RW, PRIV).unwrap().0, FOUR_GIB - P);
        check_invariants(&m);
        check_invariants(&low);
    }

    #[test]
    fn mmap_falls_back_bottom_up_then_fails() {
        let mut m = AddressMap::new(MMAP_MIN_ADDR + 4 * P);
        assert_eq!(m.mmap(0, 4 * P, RW, PRIV).unwrap().0, MMAP_MIN_ADDR);
        assert_eq!(m.mmap(0, P, RW, PRIV).unwrap().0, TASK_UNMAPPED_BASE);
        assert_eq!(
            m.mmap(0, P, PROT_READ, PRIV).unwrap().0,
            TASK_UNMAPPED_BASE + P
        );
        let rest = TASK_SIZE - TASK_UNMAPPED_BASE - 2 * P;
        assert_eq!(
            m.mmap(0, rest, 0, PRIV).unwrap().0,
            TASK_UNMAPPED_BASE + 2 * P
        );
        assert_eq!(m.mmap(0, P, RW, PRIV), Err(MmError::NoMem));
        check_invariants(&m);
    }

    #[test]
    fn stack_guard_gap_is_respected() {
        let mut m = map();
        let stack_top = BASE + (64 << 20);
        m.insert(Region {
            start: stack_top - 16 * P,
            end: stack_top,
            prot: RW,
            shared: false,
            kind: RegionKind::Stack,
            file: None,
        })
        .unwrap();
        // A hint just below the stack is refused within the guard gap.
        let hint = stack_top - 17 * P;
        let (a, _) = m.mmap(hint, P, RW, PRIV).unwrap();
        assert_ne!(a, hint);
        let ok = stack_top - 16 * P - STACK_GUARD_GAP - P;
        assert_eq!(m.mmap(ok, P, RW, PRIV).unwrap().0, ok);
        // MAP_FIXED ignores the gap.
        assert_eq!(m.mmap(hint, P, RW, FIX).unwrap().0, hint);
        check_invariants(&m);
    }

    #[test]
    fn insert_validates() {
        let mut m = map();
        let reg = |s, e| Region {
            start: s,
            end: e,
            prot: PROT_READ,
            shared: false,
            kind: RegionKind::Image,
            file: None,
        };
        assert_eq!(m.insert(reg(0x40_0000, 0x40_1000)), Ok(()));
        assert_eq!(m.insert(reg(0x40_0000, 0x40_2000)), Err(MmError::Exist));
        assert_eq!(m.insert(reg(0x40_1000, 0x40_1000)), Err(MmError::Inval));
        assert_eq!(m.insert(reg(0x40_1001, 0x40_2000)), Err(MmError::Inval));
        assert_eq!(m.insert(reg(0x1000, 0x2000)), Err(MmError::Perm));
        assert_eq!(m.insert(reg(TASK_SIZE, TASK_SIZE + P)), Err(MmError::NoMem));
        assert_eq!(
            m.insert(Region {
                prot: 8,
                ..reg(0x50_0000, 0x50_1000)
            }),
            Err(MmError::Inval)
        );
        // Adjacent compatible segments merge.
        m.insert(reg(0x40_1000, 0x40_3000)).unwrap();
        assert_eq!(layout(&m), vec![(0x40_0000, 0x40_3000, PROT_READ)]);
        check_invariants(&m);
    }

    #[test]
    fn find_and_check_access() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        m.mmap(B + 2 * P, P, PROT_READ, FIX).unwrap();
        m.mmap(B + 3 * P, P, PROT_WRITE, FIX).unwrap();
        m.mmap(B + 4 * P, P, 0, FIX).unwrap();
        m.mmap(B + 6 * P, P, PROT_EXEC, FIX).unwrap();
        assert_eq!(m.find(B + 5).unwrap().start, B);
        assert_eq!(m.find(B + 2 * P).unwrap().prot, PROT_READ);
        assert!(m.find(B - 1).is_none());
        assert!(m.find(B + 5 * P).is_none());
        assert!(m.check_access(B, 4 * P, false));
        assert!(!m.check_access(B, 3 * P, true));
        assert!(m.check_access(B + 3 * P, P, true));
        assert!(!m.check_access(B, 5 * P, false)); // PROT_NONE
        assert!(!m.check_access(B + 6 * P - 1, 2, false)); // hole
        assert!(m.check_access(B + 6 * P, P, false)); // exec implies read on x86
        assert!(m.check_access(0, 0, true));
        assert!(m.check_access(u64::MAX, 0, true));
        assert!(!m.check_access(B, u64::MAX, false));
        assert!(!m.check_access(u64::MAX, 1, false));
        assert!(!m.check_access(B + 7 * P, 1, false));
    }

    #[test]
    fn munmap_semantics() {
        let mut m = map();
        assert_eq!(m.munmap(B + 1, P), Err(MmError::Inval));
        assert_eq!(m.munmap(B, 0), Err(MmError::Inval));
        assert_eq!(m.munmap(B, TASK_SIZE), Err(MmError::Inval));
        assert_eq!(m.munmap(B, u64::MAX), Err(MmError::Inval));
        assert_eq!(m.munmap(TASK_SIZE, P), Err(MmError::Inval));
        assert_eq!(m.munmap(TASK_SIZE - P, 2 * P), Err(MmError::Inval));
        assert_eq!(m.munmap(TASK_SIZE - P, P + 1), Err(MmError::Inval));
        assert_eq!(m.munmap(1 << 47, P), Err(MmError::Inval));
        assert_eq!(m.munmap(0, P), Ok(vec![]));
        assert_eq!(m.munmap(TASK_SIZE - P, P), Ok(vec![]));
        m.mmap(B, 10 * P, RW, FIX).unwrap();
        // Punch a hole: split into two, length rounded up.
        assert_eq!(
            m.munmap(B + 2 * P, P + 1),
            Ok(vec![r(B + 2 * P, B + 4 * P)])
        );
        assert_eq!(
            layout(&m),
            vec![(B, B + 2 * P, RW), (B + 4 * P, B + 10 * P, RW)]
        );
        // Across a hole and beyond the end.
        assert_eq!(
            m.munmap(B + P, 20 * P),
            Ok(vec![r(B + P, B + 2 * P), r(B + 4 * P, B + 10 * P)])
        );
        assert_eq!(layout(&m), vec![(B, B + P, RW)]);
        check_invariants(&m);
    }

    #[test]
    fn munmap_reports_adjacent_regions_as_one_range() {
        let mut m = map();
        m.mmap(B, P, RW, FIX).unwrap();
        m.mmap(B + P, P, PROT_READ, FIX).unwrap();
        assert_eq!(m.region_count(), 2);
        assert_eq!(m.munmap(B, 2 * P), Ok(vec![r(B, B + 2 * P)]));
        assert_eq!(m.region_count(), 0);
    }

    #[test]
    fn mprotect_argument_errors() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        let e = |x: MmError| Err(Partial::from(x));
        assert_eq!(m.mprotect(B + 1, P, 1), e(MmError::Inval));
        assert_eq!(m.mprotect(B + 1, 0, 1), e(MmError::Inval));
        assert_eq!(m.mprotect(B + 100 * P, 0, 1), Ok(vec![]));
        assert_eq!(m.mprotect(B, u64::MAX, 1), e(MmError::NoMem));
        assert_eq!(m.mprotect(B, u64::MAX, 0x100), e(MmError::NoMem));
        assert_eq!(m.mprotect(B, P, 0x10), e(MmError::Inval));
        assert_eq!(m.mprotect(B, P, 0x100), e(MmError::Inval));
        assert_eq!(m.mprotect(B + 100 * P, P, 0x100), e(MmError::Inval));
        assert_eq!(m.mprotect(B + 100 * P, P, 1), e(MmError::NoMem));
        assert_eq!(m.mprotect(TASK_SIZE, P, 1), e(MmError::NoMem));
        assert_eq!(
            m.mprotect(B, P, PROT_GROWSDOWN | PROT_GROWSUP | 1),
            e(MmError::Inval)
        );
        assert_eq!(m.mprotect(B, P, PROT_GROWSDOWN | 1), e(MmError::Inval));
        assert_eq!(m.mprotect(B, P, PROT_GROWSUP | 1), e(MmError::Inval));
        assert_eq!(layout(&m), vec![(B, B + 2 * P, RW)]);
    }

    #[test]
    fn mprotect_splits_merges_and_reports_changes() {
        let mut m = map();
        m.mmap(B, 4 * P, RW, FIX).unwrap();
        assert_eq!(
            m.mprotect(B + P, 1, PROT_READ | PROT_SEM),
            Ok(vec![r(B + P, B + 2 * P)])
        );
        assert_eq!(
            layout(&m),
            vec![
                (B, B + P, RW),
                (B + P, B + 2 * P, PROT_READ),
                (B + 2 * P, B + 4 * P, RW)
            ]
        );
        // Only the pieces that really change are reported.
        assert_eq!(
            m.mprotect(B, 4 * P, PROT_READ),
            Ok(vec![r(B, B + P), r(B + 2 * P, B + 4 * P)])
        );
        assert_eq!(layout(&m), vec![(B, B + 4 * P, PROT_READ)]);
        assert_eq!(m.mprotect(B, 4 * P, PROT_READ), Ok(vec![]));
        assert_eq!(m.region_count(), 1);
        check_invariants(&m);
    }

    #[test]
    fn mprotect_over_hole_applies_prefix() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        m.mmap(B + 3 * P, 2 * P, RW, FIX).unwrap();
        let res = m.mprotect(B, 5 * P, PROT_READ);
        assert_eq!(
            res,
            Err(Partial {
                error: MmError::NoMem,
                done: vec![r(B, B + 2 * P)]
            })
        );
        assert_eq!(
            layout(&m),
            vec![(B, B + 2 * P, PROT_READ), (B + 3 * P, B + 5 * P, RW)]
        );
        // Starting in a hole changes nothing.
        assert_eq!(m.mprotect(B + 2 * P, 3 * P, 0), Err(MmError::NoMem.into()));
        // Trailing hole: the mapped part changes.
        let res = m.mprotect(B + 3 * P, 3 * P, 0);
        assert_eq!(
            res,
            Err(Partial {
                error: MmError::NoMem,
                done: vec![r(B + 3 * P, B + 5 * P)]
            })
        );
        assert_eq!(
            layout(&m),
            vec![(B, B + 2 * P, PROT_READ), (B + 3 * P, B + 5 * P, 0)]
        );
        check_invariants(&m);
    }

    #[test]
    fn mprotect_growsdown_extends_to_stack_start() {
        let mut m = map();
        m.mmap(B + 20 * P, 4 * P, RW, FIX | MAP_GROWSDOWN).unwrap();
        let res = m.mprotect(B + 22 * P, P, PROT_GROWSDOWN | PROT_RWX);
        assert_eq!(res, Ok(vec![r(B + 20 * P, B + 23 * P)]));
        assert_eq!(
            layout(&m),
            vec![
                (B + 20 * P, B + 23 * P, PROT_RWX),
                (B + 23 * P, B + 24 * P, RW)
            ]
        );
        // Range below the region: ENOMEM; range reaching into it: applies from its start.
        assert_eq!(
            m.mprotect(B + 18 * P, 2 * P, PROT_GROWSDOWN | 1),
            Err(MmError::NoMem.into())
        );
        assert_eq!(
            m.mprotect(B + 18 * P, 3 * P, PROT_GROWSDOWN | 1),
            Ok(vec![r(B + 20 * P, B + 21 * P)])
        );
        check_invariants(&m);
    }

    #[test]
    fn madvise_argument_errors() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        let e = |x: MmError| Err(Partial::from(x));
        assert_eq!(m.madvise(B, P, 999), e(MmError::Inval));
        assert_eq!(m.madvise(B + 1, P, 999), e(MmError::Inval));
        for bad in [5, 6, 7, 25, 26, 100, 101, 102, 103] {
            assert_eq!(m.madvise(B, P, bad), e(MmError::Inval), "advice {bad}");
        }
        assert_eq!(m.madvise(B + 1, P, MADV_NORMAL), e(MmError::Inval));
        assert_eq!(m.madvise(B + 1, 0, MADV_NORMAL), e(MmError::Inval));
        assert_eq!(m.madvise(B + 100 * P, 0, MADV_NORMAL), Ok(vec![]));
        assert_eq!(m.madvise(B, u64::MAX, MADV_NORMAL), e(MmError::Inval));
        assert_eq!(
            m.madvise(B, 0u64.wrapping_sub(2 * P), MADV_NORMAL),
            e(MmError::Inval)
        );
        assert_eq!(
            m.madvise(B, 0u64.wrapping_sub(B), MADV_NORMAL),
            e(MmError::Inval)
        );
        assert_eq!(m.madvise(TASK_SIZE, P, MADV_NORMAL), e(MmError::NoMem));
        assert_eq!(m.madvise(B + 100 * P, P, MADV_DONTNEED), e(MmError::NoMem));
        for ok in [
            MADV_NORMAL,
            MADV_WILLNEED,
            MADV_HUGEPAGE,
            MADV_COLD,
            MADV_DONTDUMP,
        ] {
            assert_eq!(m.madvise(B, 2 * P, ok), Ok(vec![]));
        }
    }

    #[test]
    fn madvise_dontneed_and_free_zap_private_memory() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        m.mmap(B + 3 * P, 2 * P, RW, FIX).unwrap();
        assert_eq!(
            m.madvise(B, P + 1, MADV_DONTNEED),
            Ok(vec![r(B, B + 2 * P)])
        );
        assert_eq!(m.madvise(B, 2 * P, MADV_FREE), Ok(vec![r(B, B + 2 * P)]));
        // A hole: everything mapped is zapped, then ENOMEM.
        let res = m.madvise(B, 5 * P, MADV_DONTNEED);
        let done = vec![r(B, B + 2 * P), r(B + 3 * P, B + 5 * P)];
        assert_eq!(
            res,
            Err(Partial {
                error: MmError::NoMem,
                done
            })
        );
        let res = m.madvise(B + 3 * P, 5 * P, MADV_DONTNEED);
        let done = vec![r(B + 3 * P, B + 5 * P)];
        assert_eq!(
            res,
            Err(Partial {
                error: MmError::NoMem,
                done
            })
        );
        // Advice changes no region.
        assert_eq!(m.region_count(), 2);
    }

    #[test]
    fn madvise_shared_and_image_rules() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        m.mmap(B + 10 * P, 2 * P, RW, MAP_SHARED | MAP_FIXED)
            .unwrap();
        let img = Region {
            start: B + 20 * P,
            end: B + 22 * P,
            prot: RW,
            shared: false,
            kind: RegionKind::Image,
            file: None,
        };
        m.insert(img).unwrap();
        let (s, i) = (B + 10 * P, B + 20 * P);
        // Shared memory keeps its data on DONTNEED; REMOVE punches a hole.
        assert_eq!(m.madvise(s, P, MADV_DONTNEED), Ok(vec![]));
        assert_eq!(m.madvise(s, P, MADV_FREE), Err(MmError::Inval.into()));
        assert_eq!(m.madvise(s, P, MADV_REMOVE), Ok(vec![r(s, s + P)]));
        assert_eq!(m.madvise(s, P, MADV_WIPEONFORK), Err(MmError::Inval.into()));
        assert_eq!(m.madvise(s, P, MADV_KEEPONFORK), Ok(vec![]));
        assert_eq!(m.madvise(B, P, MADV_REMOVE), Err(MmError::Inval.into()));
        assert_eq!(m.madvise(B, P, MADV_WIPEONFORK), Ok(vec![]));
        assert_eq!(m.madvise(i, P, MADV_DONTNEED), Ok(vec![]));
        assert_eq!(m.madvise(i, P, MADV_FREE), Err(MmError::Inval.into()));
        assert_eq!(m.madvise(i, P, MADV_REMOVE), Err(MmError::Acces.into()));
        // A refusing region stops the walk; zaps before it are still due.
        m.mmap(B + 2 * P, 8 * P, RW, FIX).unwrap();
        let res = m.madvise(B, 12 * P, MADV_FREE);
        assert_eq!(
            res,
            Err(Partial {
                error: MmError::Inval,
                done: vec![r(B, B + 10 * P)]
            })
        );
    }

    #[test]
    fn madvise_populate() {
        let mut m = map();
        m.mmap(B, P, RW, FIX).unwrap();
        m.mmap(B + P, P, PROT_READ, FIX).unwrap();
        m.mmap(B + 2 * P, P, 0, FIX).unwrap();
        assert_eq!(m.madvise(B, 2 * P, MADV_POPULATE_READ), Ok(vec![]));
        assert_eq!(
            m.madvise(B, 2 * P, MADV_POPULATE_WRITE),
            Err(MmError::Inval.into())
        );
        assert_eq!(
            m.madvise(B + 2 * P, P, MADV_POPULATE_READ),
            Err(MmError::Inval.into())
        );
        assert_eq!(
            m.madvise(B, 5 * P, MADV_POPULATE_READ),
            Err(MmError::Inval.into())
        );
        assert_eq!(m.madvise(B, P, MADV_POPULATE_WRITE), Ok(vec![]));
        assert_eq!(
            m.madvise(B + 100 * P, P, MADV_POPULATE_READ),
            Err(MmError::NoMem.into())
        );
        assert_eq!(m.madvise(B, 2 * P, MADV_POPULATE_READ), Ok(vec![]));
        m.munmap(B + 2 * P, P).unwrap();
        assert_eq!(
            m.madvise(B, 3 * P, MADV_POPULATE_READ),
            Err(MmError::NoMem.into())
        );
    }

    #[test]
    fn mremap_argument_errors() {
        let mut m = map();
        m.mmap(B, 4 * P, RW, FIX).unwrap();
        let (mm, fx, du) = (MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP);
        assert_eq!(m.mremap(B, P, P, 8, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B, P, P, fx, B + 100 * P), Err(MmError::Inval));
        assert_eq!(m.mremap(B, P, P, du, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B, P, 2 * P, du | mm, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B + 1, P, P, 0, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B, P, 0, 0, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B, P, u64::MAX, 0, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B, P, 1 << 47, mm, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B + 100 * P, P, P, 0, 0), Err(MmError::Fault));
        assert_eq!(m.mremap(B, 0, P, mm, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B, u64::MAX, P, mm, 0), Err(MmError::Inval));
        assert_eq!(m.mremap(B, 10 * P, 11 * P, mm, 0), Err(MmError::Fault));
        assert_eq!(
            m.mremap(B, 2 * P, 2 * P, fx | mm, B + P),
            Err(MmError::Inval)
        );
        assert_eq!(
            m.mremap(B, 2 * P, 2 * P, fx | mm, B + 100 * P + 1),
            Err(MmError::Inval)
        );
        assert_eq!(
            m.mremap(B, 2 * P, 2 * P, fx | mm, TASK_SIZE - P),
            Err(MmError::Inval)
        );
        assert_eq!(m.mremap(B, P, P, fx | mm, 0x1000), Err(MmError::Perm));
        assert_eq!(
            m.mremap(B, 2 * P, 2 * P, du | mm, B + P),
            Err(MmError::Inval)
        );
        // Same length: success even if the range spans more than the mapping.
        assert_eq!(m.mremap(B, 10 * P, 10 * P, 0, 0).unwrap().addr, B);
        assert_eq!(layout(&m), vec![(B, B + 4 * P, RW)]);
    }

    #[test]
    fn mremap_shrink_in_place() {
        let mut m = map();
        m.mmap(B, 6 * P, RW, FIX).unwrap();
        m.mmap(B + 8 * P, 2 * P, RW, FIX).unwrap();
        let res = m.mremap(B, 4 * P, 2 * P, 0, 0).unwrap();
        assert_eq!(
            res,
            Remap {
                addr: B,
                moved: None,
                freed: vec![r(B + 2 * P, B + 4 * P)]
            }
        );
        // The released tail may cross holes and other mappings, like munmap.
        let res = m.mremap(B, 10 * P, P, 0, 0).unwrap();
        assert_eq!(
            res.freed,
            vec![
                r(B + P, B + 2 * P),
                r(B + 4 * P, B + 6 * P),
                r(B + 8 * P, B + 10 * P)
            ]
        );
        assert_eq!(layout(&m), vec![(B, B + P, RW)]);
        assert_eq!(m.mremap(B, TASK_SIZE, P, 0, 0), Err(MmError::Inval));
    }

    #[test]
    fn mremap_grow_in_place_or_move() {
        let mut m = map();
        m.mmap(B, 4 * P, RW, FIX).unwrap();
        m.mmap(B + 5 * P, P, RW, FIX).unwrap();
        assert_eq!(m.mremap(B, 4 * P, 6 * P, 0, 0), Err(MmError::NoMem));
        let res = m.mremap(B, 4 * P, 5 * P, 0, 0).unwrap();
        assert_eq!(
            res,
            Remap {
                addr: B,
                moved: None,
                freed: vec![]
            }
        );
        // Grown into contact with the next one: merged.
        assert_eq!(layout(&m), vec![(B, B + 6 * P, RW)]);
        // Not at the end of the mapping: must move.
        assert_eq!(m.mremap(B + P, P, 2 * P, 0, 0), Err(MmError::NoMem));
        let res = m.mremap(B + P, P, 3 * P, MREMAP_MAYMOVE, 0).unwrap();
        let to = BASE - 3 * P;
        assert_eq!(
            res,
            Remap {
                addr: to,
                moved: Some((B + P, to, P)),
                freed: vec![]
            }
        );
        assert_eq!(
            layout(&m),
            vec![(B, B + P, RW), (B + 2 * P, B + 6 * P, RW), (to, BASE, RW)]
        );
        // Grow at the top of the address space.
        m.mmap(TASK_SIZE - 2 * P, P, RW, FIX).unwrap();
        assert_eq!(
            m.mremap(TASK_SIZE - 2 * P, P, 3 * P, 0, 0),
            Err(MmError::NoMem)
        );
        assert_eq!(
            m.mremap(TASK_SIZE - 2 * P, P, 2 * P, 0, 0).unwrap().addr,
            TASK_SIZE - 2 * P
        );
        check_invariants(&m);
    }

    #[test]
    fn mremap_fixed_replaces_destination() {
        let mut m = map();
        m.mmap(B, 4 * P, RW, FIX).unwrap();
        m.mmap(B + 200 * P, 8 * P, PROT_READ, FIX).unwrap();
        let (mm, fx) = (MREMAP_MAYMOVE, MREMAP_FIXED);
        let res = m.mremap(B, 4 * P, 2 * P, fx | mm, B + 201 * P).unwrap();
        assert_eq!(res.addr, B + 201 * P);
        assert_eq!(res.moved, Some((B, B + 201 * P, 2 * P)));
        assert_eq!(
            res.freed,
            vec![r(B + 2 * P, B + 4 * P), r(B + 201 * P, B + 203 * P)]
        );
        assert_eq!(
            layout(&m),
            vec![
                (B + 200 * P, B + 201 * P, PROT_READ),
                (B + 201 * P, B + 203 * P, RW),
                (B + 203 * P, B + 208 * P, PROT_READ)
            ]
        );
        // Growing while moving to a fixed place.
        let res = m
            .mremap(B + 201 * P, 2 * P, 4 * P, fx | mm, B + 300 * P)
            .unwrap();
        assert_eq!(res.moved, Some((B + 201 * P, B + 300 * P, 2 * P)));
        assert!(res.freed.is_empty());
        assert_eq!(
            m.find(B + 303 * P).unwrap().range(),
            r(B + 300 * P, B + 304 * P)
        );
        check_invariants(&m);
    }

    #[test]
    fn mremap_fixed_same_length_spans_regions_and_holes() {
        let mut m = map();
        m.mmap(B, 2 * P, RW, FIX).unwrap();
        m.mmap(B + 3 * P, 2 * P, PROT_READ, FIX).unwrap();
        let flags = MREMAP_FIXED | MREMAP_MAYMOVE;
        assert_eq!(
            m.mremap(B - P, 5 * P, 5 * P, flags, B + 100 * P),
            Err(MmError::Fault)
        );
        let res = m.mremap(B, 6 * P, 6 * P, flags, B + 100 * P).unwrap();
        assert_eq!(res.moved, Some((B, B + 100 * P, 6 * P)));
        let d = B + 100 * P;
        assert_eq!(
            layout(&m),
            vec![(d, d + 2 * P, RW), (d + 3 * P, d + 5 * P, PROT_READ)]
        );
        // Growing across regions is still refused.
        assert_eq!(m.mremap(d, 5 * P, 6 * P, flags, B), Err(MmError::Fault));
        check_invariants(&m);
    }

    #[test]
    fn mremap_dontunmap() {
        let mut m = map();
        m.mmap(B, 4 * P, RW, FIX).unwrap();
        let flags = MREMAP_DONTUNMAP | MREMAP_MAYMOVE;
        let res = m.mremap(B, 4 * P, 4 * P, flags, 0).unwrap();
        let to = BASE - 4 * P;
        assert_eq!(
            res,
            Remap {
                addr: to,
                moved: Some((B, to, 4 * P)),
                freed: vec![]
            }
        );
        assert_eq!(layout(&m), vec![(B, B + 4 * P, RW), (to, BASE, RW)]);
        // The hint is used when free.
        assert_eq!(
            m.mremap(B, 2 * P, 2 * P, flags, B + 300 * P).unwrap().addr,
            B + 300 * P
        );
        let res = m
            .mremap(B, 2 * P, 2 * P, flags | MREMAP_FIXED, B + 310 * P)
            .unwrap();
        assert_eq!(res.addr, B + 310 * P);
        // Shared memory cannot be split between two ranges.
        m.mmap(B + 400 * P, P, RW, MAP_SHARED | MAP_FIXED).unwrap();
        assert_eq!(m.mremap(B + 400 * P, P, P, flags, 0), Err(MmError::Inval));
        check_invariants(&m);
    }

    #[test]
    fn mremap_moves_heap_as_anon() {
        let mut m = map();
        m.brk_init(0x60_0000);
        m.brk(0x60_0000 + 2 * P);
        m.mmap(0x60_0000 + 3 * P, P, RW, FIX).unwrap();
        let res = m
            .mremap(0x60_0000, 2 * P, 8 * P, MREMAP_MAYMOVE, 0)
            .unwrap();
        assert_eq!(m.find(res.addr).unwrap().kind, RegionKind::Anon);
        assert!(m.find(0x60_0000).is_none());
    }

    #[test]
    fn brk_semantics() {
        let mut m = map();
        assert_eq!(m.brk(0x1234_5000), (0, vec![]));
        let start = 0x4c_b000;
        m.brk_init(start - 0x100);
        assert_eq!(m.brk_start(), start);
        assert_eq!(m.brk(0), (start, vec![]));
        assert_eq!(m.brk(start - 1), (start, vec![]));
        assert_eq!(m.brk(start + 100), (start + 100, vec![]));
        assert_eq!(layout(&m), vec![(start, start + P, RW)]);
        assert_eq!(m.find(start).unwrap().kind, RegionKind::Heap);
        assert_eq!(m.brk(start + 5000), (start + 5000, vec![]));
        assert_eq!(
            m.brk(start + 4000),
            (start + 4000, vec![r(start + P, start + 2 * P)])
        );
        assert_eq!(m.brk_current(), start + 4000);
        // Needs a page free above the new heap end.
        m.mmap(start + 10 * P, P, RW, FIX).unwrap();
        assert_eq!(m.brk(start + 10 * P), (start + 4000, vec![]));
        assert_eq!(m.brk(start + 9 * P + 1), (start + 4000, vec![]));
        assert_eq!(m.brk(start + 9 * P), (start + 9 * P, vec![]));
        assert_eq!(
            layout(&m),
            vec![
                (start, start + 9 * P, RW),
                (start + 10 * P, start + 11 * P, RW)
            ]
        );
        assert_eq!(m.region_count(), 2); // heap and anon do not merge
        assert_eq!(m.brk(start), (start, vec![r(start, start + 9 * P)]));
        assert_eq!(m.brk(TASK_SIZE), (start, vec![]));
        assert_eq!(m.brk(u64::MAX), (start, vec![]));
        check_invariants(&m);
    }

    #[test]
    fn brk_after_heap_was_unmapped() {
        let mut m = map();
        let start = 0x4e_d000;
        m.brk_init(start);
        m.brk(start + 3 * P);
        m.munmap(start, 3 * P).unwrap();
        // Nothing left to release: refused.
        assert_eq!(m.brk(start + P), (start + 3 * P, vec![]));
        assert_eq!(m.brk(start + 5 * P), (start + 5 * P, vec![]));
        assert_eq!(layout(&m), vec![(start + 3 * P, start + 5 * P, RW)]);
        m.mprotect(start + 3 * P, P, PROT_READ).unwrap();
        // Shrinking releases every mapping in the range.
        let (b, freed) = m.brk(start);
        assert_eq!((b, freed), (start, vec![r(start + 3 * P, start + 5 * P)]));
        assert_eq!(m.region_count(), 0);
    }

    #[test]
    fn fault_lookup_grows_stack() {
        let mut m = map();
        let top = 0x7fff_0000_0000;
        let stack = Region {
            start: top - 4 * P,
            end: top,
            prot: RW,
            shared: false,
            kind: RegionKind::Stack,
            file: None,
        };
        m.insert(stack).unwrap();
        assert_eq!(m.fault_lookup(top - P).unwrap().start, top - 4 * P);
        assert!(m.fault_lookup(top).is_none());
        let r = m.fault_lookup(top - 100 * P + 8).unwrap();
        assert_eq!(
            r.range(),
            Range {
                start: top - 100 * P,
                end: top
            }
        );
        // Beyond the stack limit: refused.
        m.set_stack_limit(200 * P);
        assert!(m.fault_lookup(top - 201 * P).is_none());
        assert_eq!(m.fault_lookup(top - 200 * P).unwrap().start, top - 200 * P);
        // An accessible mapping within the guard gap below blocks growth.
        m.mmap(top - 300 * P, P, RW, FIX).unwrap();
        assert!(m.fault_lookup(top - 201 * P).is_none());
        m.set_stack_limit(DEFAULT_STACK_LIMIT);
        assert!(m.fault_lookup(top - 250 * P).is_none());
        // A non-stack region does not grow.
        assert!(m.fault_lookup(top - 301 * P).is_none());
        check_invariants(&m);
    }

    #[test]
    fn max_map_count_is_enforced_without_partial_changes() {
        let mut m = map();
        m.set_max_map_count(4);
        m.mmap(B, 10 * P, RW, FIX).unwrap();
        m.munmap(B + 2 * P, P).unwrap();
        m.mmap(B + 5 * P, P, PROT_READ, FIX).unwrap();
        let before = layout(&m);
        assert_eq!(before.len(), 4);
        assert_eq!(m.mmap(B + 8 * P, P, PROT_READ, FIX), Err(MmError::NoMem));
        assert_eq!(m.mprotect(B + 8 * P, P, 0), Err(MmError::NoMem.into()));
        assert_eq!(m.munmap(B + 8 * P, P), Err(MmError::NoMem));
        assert_eq!(
            m.insert(Region {
                start: B + 100 * P,
                end: B + 101 * P,
                prot: 0,
                shared: false,
                kind: RegionKind::Anon,
                file: None,
            }),
            Err(MmError::NoMem)
        );
        m.brk_init(B + 50 * P);
        assert_eq!(m.brk(B + 51 * P), (B + 50 * P, vec![]));
        assert_eq!(layout(&m), before);
        // Operations that do not add regions still work.
        assert_eq!(m.munmap(B, P), Ok(vec![r(B, B + P)]));
        assert_eq!(
            m.mmap(B + 3 * P, 2 * P, 0, FIX),
            Ok((B + 3 * P, vec![r(B + 3 * P, B + 5 * P)]))
        );
        check_invariants(&m);
    }

    #[test]
    fn extreme_arguments_never_panic() {
        let mut m = map();
        let vals = [
            0,
            1,
            P - 1,
            P,
            P + 1,
            B,
            MMAP_MIN_ADDR,
            TASK_SIZE - P,
            TASK_SIZE,
            1 << 47,
            u64::MAX - P,
            u64::MAX,
        ];
        for &a in &vals {
            for &l in &vals {
                for flags in [
                    PRIV,
                    FIX,
                    MAP_SHARED,
                    PRIV | MAP_FIXED_NOREPLACE,
                    PRIV | MAP_32BIT,
                ] {
                    let _ = m.mmap(a, l, RW, flags);
                }
                let _ = m.mprotect(a, l, PROT_READ);
                let _ = m.madvise(a, l, MADV_DONTNEED);
                let _ = m.check_access(a, l, true);
                for flags in [
                    0,
                    MREMAP_MAYMOVE,
                    MREMAP_MAYMOVE | MREMAP_FIXED,
                    MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
                ] {
                    for &n in &vals {
                        let _ = m.mremap(a, l, n, flags, a.wrapping_add(l));
                    }
                }
                let _ = m.munmap(a, l);
                let _ = m.fault_lookup(a);
                check_invariants(&m);
            }
            m.brk_init(a);
            for &b in &vals {
                let _ = m.brk(b);
            }
            check_invariants(&m);
        }
    }
}
