//! virtio over MMIO on QEMU microvm: [`VirtioHal`], the `virtio_drivers::Hal` implementation
//! (DMA memory from the frame allocator, addresses through the direct map), and the
//! virtio-mmio transport window: [`SLOTS`] slots of [`SLOT_SIZE`] bytes at [`MMIO_BASE`],
//! made uncached in the direct map on first use.
//!
//! Only the unsafe parts live here: reading a slot's registers ([`slot_read32`]) and handing
//! out a slot's transport once ([`transport`]). Which slot holds which device, and the drivers
//! themselves, are safe code in `elfin-drivers` (`virtio_serial.rs`).

use crate::boot::{DIRECT_MAP, DIRECT_MAP_SIZE, phys_to_virt};
use crate::{frames, paging};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use virtio_drivers::transport::mmio::{MmioError, MmioTransport, VirtIOHeader};
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

/// Physical address of virtio-mmio slot 0 on microvm.
pub const MMIO_BASE: u64 = 0xfeb0_0000;
/// Bytes per slot (registers at 0..0x100, device config space after).
pub const SLOT_SIZE: u64 = 0x200;
/// Number of slots microvm provides.
pub const SLOTS: usize = 24;

/// Where the kernel image is linked: `KERNEL_BASE + x` is physical `x` (see `boot.rs`).
const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

/// The window has been made uncached.
static MAPPED: AtomicBool = AtomicBool::new(false);
/// Slots whose transport was handed out (bit n = slot n): their registers are no longer ours.
static TAKEN: AtomicU32 = AtomicU32::new(0);

/// Virtual address of the window, uncached.
fn window() -> u64 {
    if !MAPPED.load(Ordering::Acquire) {
        paging::uncache_direct_map(MMIO_BASE, SLOTS as u64 * SLOT_SIZE);
        MAPPED.store(true, Ordering::Release);
    }
    phys_to_virt(MMIO_BASE)
}

fn slot_free(slot: usize) -> bool {
    slot < SLOTS && TAKEN.load(Ordering::Acquire) & (1 << slot) == 0
}

/// Read the 32-bit register at `offset` of virtio-mmio slot `slot` (magic at 0, version at 4,
/// device ID at 8...). `None` for a slot out of range or already handed out as a transport, or
/// an offset that is unaligned or past the slot.
pub fn slot_read32(slot: usize, offset: usize) -> Option<u32> {
    if !slot_free(slot) || !offset.is_multiple_of(4) || offset + 4 > SLOT_SIZE as usize {
        return None;
    }
    let va = window() + slot as u64 * SLOT_SIZE + offset as u64;
    // SAFETY: `va` is an aligned 32-bit register inside the virtio-mmio window, mapped uncached
    // by `window()`; no transport owns this slot yet, and reading a virtio-mmio register has no
    // side effect.
    Some(unsafe { core::ptr::read_volatile(va as *const u32) })
}

/// The transport of a virtio-mmio slot.
pub type SlotTransport = MmioTransport<'static>;

/// The virtio-mmio transport of slot `slot`, handed out at most once per slot (`None` for a
/// slot out of range or already taken; `Some(Err)` when the slot holds no usable device).
pub fn transport(slot: usize) -> Option<Result<SlotTransport, MmioError>> {
    if slot >= SLOTS || TAKEN.fetch_or(1 << slot, Ordering::AcqRel) & (1 << slot) != 0 {
        return None;
    }
    let va = window() + slot as u64 * SLOT_SIZE;
    let header = NonNull::new(va as *mut VirtIOHeader)?;
    // SAFETY: the slot is an aligned virtio-mmio register block of SLOT_SIZE bytes (header and
    // config space), mapped uncached for the kernel's whole life; the TAKEN bit makes this the
    // only pointer to it from now on.
    Some(unsafe { MmioTransport::new(header, SLOT_SIZE as usize) })
}

/// Physical address of kernel memory at `va` for `len` bytes: the direct map or the kernel
/// image, both physically contiguous. `None` for anything else (application memory).
fn kernel_virt_to_phys(va: u64, len: u64) -> Option<u64> {
    let end = va.checked_add(len)?;
    if va >= DIRECT_MAP && end <= DIRECT_MAP + DIRECT_MAP_SIZE {
        Some(va - DIRECT_MAP)
    } else if va >= KERNEL_BASE {
        Some(va - KERNEL_BASE)
    } else {
        None
    }
}

/// The `virtio_drivers::Hal` of the kernel. Buffers shared with a device must be kernel memory
/// (heap, statics, kernel stacks): devices get their physical address directly, no bounce.
#[derive(Debug)]
pub struct VirtioHal;

// SAFETY: dma_alloc returns zeroed, page-aligned, physically contiguous frames that nothing
// else uses until dma_dealloc; addresses are translated through the fixed direct map and the
// kernel image mapping, which never change.
unsafe impl Hal for VirtioHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        match frames::alloc_contiguous_zeroed(pages as u64) {
            Some(pa) => match NonNull::new(phys_to_virt(pa) as *mut u8) {
                Some(va) => (pa, va),
                None => (0, NonNull::dangling()),
            },
            // paddr 0 makes `Dma::new` fail with DmaError.
            None => (0, NonNull::dangling()),
        }
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        // Single frames go back to the allocator; larger carved ranges are kept (see frames).
        if pages == 1 {
            frames::free(paddr);
        }
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        assert!(paddr.saturating_add(size as u64) <= DIRECT_MAP_SIZE, "MMIO {paddr:#x} outside the direct map");
        paging::uncache_direct_map(paddr, size as u64);
        NonNull::new(phys_to_virt(paddr) as *mut u8).expect("direct map address is not null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        let va = buffer.as_ptr() as *mut u8 as u64;
        match kernel_virt_to_phys(va, buffer.len() as u64) {
            Some(pa) => pa,
            None => panic!("virtio: buffer at {va:#x} is not kernel memory"),
        }
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {
        // The device used the buffer in place: nothing to copy back.
    }
}
