//! Page tables of the application's half (the lower half): map, unmap, change protection,
//! translate. The kernel half (direct map and kernel image) is fixed at boot.

use crate::boot::DIRECT_MAP;
use crate::frames;
use x86_64::structures::paging::{
    FrameAllocator, Mapper, OffsetPageTable, Page, PageTable, PageTableFlags, PhysFrame, Size4KiB,
    Translate, mapper::TranslateResult,
};
use x86_64::{PhysAddr, VirtAddr, registers::control::Cr3};

/// Protection of one application page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageProt {
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
}

/// Mapping failed for lack of memory for a page-table page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfMemory;

struct Alloc;

// SAFETY: frames::alloc_zeroed returns unused, zeroed frames, as FrameAllocator requires.
unsafe impl FrameAllocator<Size4KiB> for Alloc {
    fn allocate_frame(&mut self) -> Option<PhysFrame> {
        frames::alloc_zeroed().map(|pa| PhysFrame::containing_address(PhysAddr::new(pa)))
    }
}

fn with_tables<R>(f: impl FnOnce(&mut OffsetPageTable<'static>) -> R) -> R {
    let (pml4, _) = Cr3::read();
    let va = DIRECT_MAP + pml4.start_address().as_u64();
    // SAFETY: CR3 points at the active PML4, mapped by the direct map. Only one CPU runs and
    // callers hold the address-space lock of the kernel, so no other reference exists.
    let table = unsafe { &mut *(va as *mut PageTable) };
    // SAFETY: all physical memory we use is mapped at DIRECT_MAP.
    let mut opt = unsafe { OffsetPageTable::new(table, VirtAddr::new(DIRECT_MAP)) };
    f(&mut opt)
}

fn flags(p: PageProt) -> PageTableFlags {
    let mut f = PageTableFlags::PRESENT;
    if p.write {
        f |= PageTableFlags::WRITABLE;
    }
    if !p.exec {
        f |= PageTableFlags::NO_EXECUTE;
    }
    f
}

/// Map the page at `va` (page aligned, lower half) to frame `pa`.
pub fn map(va: u64, pa: u64, prot: PageProt) -> Result<(), OutOfMemory> {
    with_tables(|t| {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(va));
        let frame = PhysFrame::containing_address(PhysAddr::new(pa));
        // Intermediate tables must allow writes and execution: the leaf decides.
        let parent = PageTableFlags::PRESENT | PageTableFlags::WRITABLE;
        // SAFETY: `va` is in the application half, which only the application uses; the frame
        // is owned by the caller and handed to this mapping.
        match unsafe { t.map_to_with_table_flags(page, frame, flags(prot), parent, &mut Alloc) } {
            Ok(flush) => {
                flush.flush();
                Ok(())
            }
            Err(x86_64::structures::paging::mapper::MapToError::FrameAllocationFailed) => Err(OutOfMemory),
            Err(_) => Err(OutOfMemory),
        }
    })
}

/// Unmap the page at `va`; returns the frame it mapped, if any.
pub fn unmap(va: u64) -> Option<u64> {
    with_tables(|t| {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(va));
        match t.unmap(page) {
            Ok((frame, flush)) => {
                flush.flush();
                Some(frame.start_address().as_u64())
            }
            Err(_) => None,
        }
    })
}

/// Change the protection of the page at `va` if it is mapped.
pub fn protect(va: u64, prot: PageProt) {
    with_tables(|t| {
        let page = Page::<Size4KiB>::containing_address(VirtAddr::new(va));
        // SAFETY: changing leaf flags of an application page; the kernel never relies on them.
        if let Ok(flush) = unsafe { t.update_flags(page, flags(prot)) } {
            flush.flush();
        }
    })
}

/// The frame mapped at `va`, if any.
pub fn translate(va: u64) -> Option<u64> {
    with_tables(|t| match t.translate(VirtAddr::new(va)) {
        TranslateResult::Mapped { frame, .. } => Some(frame.start_address().as_u64()),
        _ => None,
    })
}

/// Remove the boot identity map (PML4 entry 0): from now on the lower half is empty.
pub(crate) fn drop_identity_map() {
    with_tables(|t| {
        t.level_4_table_mut()[0].set_unused();
    });
    x86_64::instructions::tlb::flush_all();
}
