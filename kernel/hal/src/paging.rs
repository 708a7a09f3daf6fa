//! Page tables of the application's half (the lower half): map, unmap, change protection,
//! move, translate. The kernel half (direct map and kernel image) is fixed at boot.
//!
//! A page whose region is `PROT_NONE` keeps its frame: its entry loses the present bit and
//! gets the software bit [`PARKED`], so `mprotect` back to an accessible protection finds the
//! data again, and `munmap` still frees the frame.

use crate::boot::DIRECT_MAP;
use crate::frames;
use x86_64::registers::control::Cr3;
use x86_64::structures::paging::{PageTable, PageTableFlags as F};
use x86_64::{PhysAddr, VirtAddr};

/// Protection of one application page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageProt {
    /// Not accessible (the frame is kept).
    None,
    /// Readable.
    Read,
    /// Readable and writable.
    ReadWrite,
    /// Readable and executable.
    ReadExec,
    /// Readable, writable and executable.
    ReadWriteExec,
}

/// Software bit: a non-present entry that still owns its frame (PROT_NONE).
const PARKED: F = F::BIT_9;

/// Mapping failed for lack of memory for a page-table page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

fn flags(p: PageProt) -> F {
    match p {
        PageProt::None => PARKED | F::NO_EXECUTE,
        PageProt::Read => F::PRESENT | F::NO_EXECUTE,
        PageProt::ReadWrite => F::PRESENT | F::WRITABLE | F::NO_EXECUTE,
        PageProt::ReadExec => F::PRESENT,
        PageProt::ReadWriteExec => F::PRESENT | F::WRITABLE,
    }
}

fn table_at(pa: PhysAddr) -> &'static mut PageTable {
    // SAFETY: page-table pages are in the direct map. Only one CPU runs and every caller holds
    // the kernel's address-space lock, so no two references to a table are live at once.
    unsafe { &mut *((DIRECT_MAP + pa.as_u64()) as *mut PageTable) }
}

/// The level-1 entry for `va`, creating intermediate tables when `create` is set.
fn leaf(va: u64, create: bool) -> Result<Option<&'static mut x86_64::structures::paging::page_table::PageTableEntry>, OutOfMemory> {
    let va = VirtAddr::new(va);
    let (pml4, _) = Cr3::read();
    let mut table = table_at(pml4.start_address());
    for index in [va.p4_index(), va.p3_index(), va.p2_index()] {
        let entry = &mut table[index];
        if entry.is_unused() {
            if !create {
                return Ok(None);
            }
            let pa = frames::alloc_zeroed().ok_or(OutOfMemory)?;
            entry.set_addr(PhysAddr::new(pa), F::PRESENT | F::WRITABLE);
        }
        if entry.flags().contains(F::HUGE_PAGE) {
            return Ok(None); // never in the application half
        }
        table = table_at(entry.addr());
    }
    Ok(Some(&mut table[va.p1_index()]))
}

fn flush(va: u64) {
    x86_64::instructions::tlb::flush(VirtAddr::new(va));
}

/// Map the page at `va` (page aligned, lower half) to frame `pa`.
pub fn map(va: u64, pa: u64, prot: PageProt) -> Result<(), OutOfMemory> {
    let e = leaf(va, true)?.ok_or(OutOfMemory)?;
    e.set_addr(PhysAddr::new(pa), flags(prot));
    flush(va);
    Ok(())
}

/// Unmap the page at `va`; returns the frame it held (present or parked), if any.
pub fn unmap(va: u64) -> Option<u64> {
    let e = leaf(va, false).ok()??;
    if e.is_unused() {
        return None;
    }
    let pa = e.addr().as_u64();
    e.set_unused();
    flush(va);
    Some(pa)
}

/// Change the protection of the page at `va` if it holds a frame.
pub fn protect(va: u64, prot: PageProt) {
    if let Ok(Some(e)) = leaf(va, false) {
        if !e.is_unused() {
            let pa = e.addr();
            e.set_addr(pa, flags(prot));
            flush(va);
        }
    }
}

/// The frame held at `va` (present or parked), if any.
pub fn translate(va: u64) -> Option<u64> {
    match leaf(va, false) {
        Ok(Some(e)) if !e.is_unused() => Some(e.addr().as_u64()),
        _ => None,
    }
}

/// Is a 2 MiB-aligned block containing `va` without any page table (nothing mapped in it)?
/// Lets callers skip empty stretches quickly when walking big ranges.
pub fn empty_2m(va: u64) -> bool {
    let v = VirtAddr::new(va);
    let (pml4, _) = Cr3::read();
    let mut table = table_at(pml4.start_address());
    for index in [v.p4_index(), v.p3_index(), v.p2_index()] {
        let entry = &table[index];
        if entry.is_unused() {
            return true;
        }
        table = table_at(entry.addr());
    }
    false
}

/// Remove the boot identity map (PML4 entry 0): from now on the lower half is empty.
pub(crate) fn drop_identity_map() {
    let (pml4, _) = Cr3::read();
    table_at(pml4.start_address())[0].set_unused();
    x86_64::instructions::tlb::flush_all();
}

/// Make the direct map of physical `[pa, pa + len)` uncached (PCD|PWT: UC with the default
/// PAT), for MMIO registers. The boot page tables map the direct map with 2 MiB pages, so the
/// whole 2 MiB pages around the range change; that is fine for the device windows above RAM
/// this is meant for (nothing else lives in them). Idempotent.
pub fn uncache_direct_map(pa: u64, len: u64) {
    const PAGE_2M: u64 = 2 << 20;
    let mut page = pa & !(PAGE_2M - 1);
    while page < pa + len {
        let va = VirtAddr::new(DIRECT_MAP + page);
        let (pml4, _) = Cr3::read();
        let mut table = table_at(pml4.start_address());
        for index in [va.p4_index(), va.p3_index()] {
            let entry = &table[index];
            if entry.is_unused() {
                return; // not in the direct map: nothing to change
            }
            table = table_at(entry.addr());
        }
        let entry = &mut table[va.p2_index()];
        if entry.is_unused() {
            return;
        }
        let uc = F::NO_CACHE | F::WRITE_THROUGH;
        if entry.flags().contains(F::HUGE_PAGE) {
            if !entry.flags().contains(uc) {
                let (addr, flags) = (entry.addr(), entry.flags());
                entry.set_addr(addr, flags | uc);
                flush(va.as_u64());
            }
        } else {
            // Split into 4 KiB pages by someone: change the leaves in the range instead.
            let pt = table_at(entry.addr());
            let mut p = page.max(pa & !(frames::FRAME - 1));
            while p < (page + PAGE_2M).min(pa + len) {
                let e = &mut pt[VirtAddr::new(DIRECT_MAP + p).p1_index()];
                if !e.is_unused() {
                    let (addr, flags) = (e.addr(), e.flags());
                    e.set_addr(addr, flags | uc);
                    flush(DIRECT_MAP + p);
                }
                p += frames::FRAME;
            }
        }
        page += PAGE_2M;
    }
}
