//! The kernel heap: a buddy allocator that grows on demand with contiguous chunks carved from
//! the top of RAM (so a small app in a small VM uses a small heap).

use buddy_system_allocator::{Heap, LockedHeapWithRescue};
use core::alloc::Layout;

const CHUNK: u64 = 1 << 20;

#[global_allocator]
static HEAP: LockedHeapWithRescue<32> = LockedHeapWithRescue::new(grow);

fn grow(heap: &mut Heap<32>, layout: &Layout) {
    let want = (layout.size().max(layout.align()) as u64 * 2).max(CHUNK).next_power_of_two();
    if let Some(pa) = crate::frames::carve_top(want) {
        let va = crate::boot::phys_to_virt(pa) as usize;
        // SAFETY: the range was just carved out of the frame allocator and is mapped by the
        // direct map; nothing else uses it.
        unsafe { heap.add_to_heap(va, va + want as usize) };
    }
}

/// Bytes currently allocated / total bytes the heap owns.
pub fn usage() -> (usize, usize) {
    let h = HEAP.lock();
    (h.stats_alloc_actual(), h.stats_total_bytes())
}
