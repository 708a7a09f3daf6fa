//! Physical page frames: a bump allocator over the RAM regions of the boot memory map, with a
//! free list of returned frames (stored inside the free frames themselves, via the direct
//! map), plus contiguous chunks carved from the top of RAM for the kernel heap.

use crate::boot::{BootInfo, phys_to_virt};
use spin::Mutex;

/// Size of a page frame.
pub const FRAME: u64 = 4096;

struct Frames {
    ram: [(u64, u64); 16],
    count: usize,
    region: usize,
    next: u64,
    /// Top of the last region, moving down as heap chunks are carved.
    top: u64,
    reserved: [(u64, u64); 2],
    free_head: u64,
    free_frames: u64,
    used_frames: u64,
}

static FRAMES: Mutex<Frames> = Mutex::new(Frames {
    ram: [(0, 0); 16],
    count: 0,
    region: 0,
    next: 0,
    top: 0,
    reserved: [(0, 0); 2],
    free_head: 0,
    free_frames: 0,
    used_frames: 0,
});

fn align_up(v: u64, a: u64) -> u64 {
    v.div_ceil(a) * a
}

/// Take the RAM regions of the boot map, minus the first MiB, the kernel image and the initrd.
pub(crate) fn init(info: &BootInfo) {
    let mut f = FRAMES.lock();
    f.count = info.ram_count;
    f.ram = info.ram;
    for r in f.ram.iter_mut().take(info.ram_count) {
        r.0 = align_up(r.0.max(0x10_0000), FRAME);
        r.1 &= !(FRAME - 1);
    }
    f.reserved = [(0x10_0000, align_up(info.kernel_end_phys, FRAME)), (info.initrd_phys.0 & !(FRAME - 1), align_up(info.initrd_phys.1, FRAME))];
    f.region = 0;
    f.next = f.ram[0].0;
    let last = info.ram_count.saturating_sub(1);
    f.top = f.ram[last].1;
}

impl Frames {
    fn is_reserved(&self, pa: u64) -> Option<u64> {
        self.reserved.iter().find(|r| pa >= r.0 && pa < r.1).map(|r| r.1)
    }

    fn bump(&mut self) -> Option<u64> {
        loop {
            if self.region >= self.count {
                return None;
            }
            let last = self.region + 1 == self.count;
            let end = if last { self.top } else { self.ram[self.region].1 };
            if self.next + FRAME > end {
                self.region += 1;
                if self.region < self.count {
                    self.next = self.ram[self.region].0;
                }
                continue;
            }
            if let Some(skip) = self.is_reserved(self.next) {
                self.next = skip;
                continue;
            }
            let pa = self.next;
            self.next += FRAME;
            return Some(pa);
        }
    }
}

/// Allocate one zeroed frame; `None` when memory is exhausted.
pub fn alloc_zeroed() -> Option<u64> {
    let mut f = FRAMES.lock();
    let pa = if f.free_head != 0 {
        let pa = f.free_head;
        // SAFETY: a free frame holds the physical address of the next free frame in its first
        // 8 bytes; it is in the direct map and owned by the allocator.
        f.free_head = unsafe { core::ptr::read(phys_to_virt(pa) as *const u64) };
        f.free_frames -= 1;
        pa
    } else {
        f.bump()?
    };
    f.used_frames += 1;
    drop(f);
    // SAFETY: the frame was just taken from the allocator; nobody else refers to it.
    unsafe { core::ptr::write_bytes(phys_to_virt(pa) as *mut u8, 0, FRAME as usize) };
    Some(pa)
}

/// Return a frame obtained from [`alloc_zeroed`]; the caller must hold no mapping to it.
pub fn free(pa: u64) {
    let mut f = FRAMES.lock();
    // SAFETY: the caller gives the frame back; we own it and link it into the free list.
    unsafe { core::ptr::write(phys_to_virt(pa) as *mut u64, f.free_head) };
    f.free_head = pa;
    f.free_frames += 1;
    f.used_frames -= 1;
}

/// Carve `bytes` (rounded up to frames) of contiguous memory from the top of RAM, for the
/// kernel heap. Returns the physical start.
pub(crate) fn carve_top(bytes: u64) -> Option<u64> {
    let mut f = FRAMES.lock();
    let bytes = align_up(bytes, FRAME);
    let last = f.count.checked_sub(1)?;
    let floor = if f.region == last { f.next } else { f.ram[last].0 };
    loop {
        let start = f.top.checked_sub(bytes)?;
        if start < floor {
            return None;
        }
        // QEMU puts the initrd at the top of RAM: carve below anything reserved.
        match f.reserved.iter().find(|r| start < r.1 && f.top > r.0) {
            Some(r) => f.top = r.0 & !(FRAME - 1),
            None => {
                f.top = start;
                return Some(start);
            }
        }
    }
}

/// Allocate `count` physically contiguous zeroed frames (device DMA memory: virtqueues).
/// One frame comes from [`alloc_zeroed`] (and may go back with [`free`]); more are carved from
/// the top of RAM with [`carve_top`] and are never returned (devices keep them for the VM's
/// life). `None` when memory is exhausted or `count` is 0.
pub fn alloc_contiguous_zeroed(count: u64) -> Option<u64> {
    match count {
        0 => None,
        1 => alloc_zeroed(),
        _ => {
            let bytes = count.checked_mul(FRAME)?;
            let pa = carve_top(bytes)?;
            // SAFETY: the range was just carved out of the allocator, is in the direct map, and
            // nobody else refers to it.
            unsafe { core::ptr::write_bytes(phys_to_virt(pa) as *mut u8, 0, bytes as usize) };
            Some(pa)
        }
    }
}

/// `(frames in use by mappings, bytes of RAM not yet handed out)`, for /proc/meminfo-like stats.
pub fn stats() -> (u64, u64) {
    let f = FRAMES.lock();
    let mut left = f.free_frames * FRAME;
    for i in f.region..f.count {
        let start = if i == f.region { f.next } else { f.ram[i].0 };
        let end = if i + 1 == f.count { f.top } else { f.ram[i].1 };
        left += end.saturating_sub(start);
    }
    (f.used_frames, left)
}

/// Copy `data` into physical memory at `pa` (through the direct map).
pub fn copy_to_phys(pa: u64, data: &[u8]) {
    // SAFETY: callers pass frames they own (just allocated for a mapping they build).
    unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), phys_to_virt(pa) as *mut u8, data.len()) }
}
