//! The contents of a regular file in memory: sparse, page-granular, allocated fallibly.
//!
//! Pages live in chunks of [`CHUNK_PAGES`] slots kept sorted by index, so a file with holes
//! costs only the pages written, and no allocation is ever a big contiguous one (a 64 MiB file
//! is 16384 separate pages). Every page is charged to the filesystem's [`Budget`] before it is
//! allocated (`ENOSPC` past the capacity) and allocated with `try_reserve` (`ENOMEM` when the
//! heap is exhausted): running out of memory is an errno, never a panic.
//!
//! A file unpacked from the initrd starts as a *base*: a slice of the initrd itself, read in
//! place. Writing a page copies that page of the base first (copy on write), so the initrd is
//! never duplicated for files the app only reads (and exec can load the program from it).

use super::inode::{Budget, PAGE};
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;

/// Page slots per chunk (2 MiB of file per chunk).
pub const CHUNK_PAGES: usize = 512;

/// One page of file data, page aligned: a mapping of the file maps this very memory.
#[repr(C, align(4096))]
pub struct PageBuf(pub [u8; PAGE as usize]);

/// A page (a boxed one-element slice: allocated fallibly through `Vec`).
type Page = Box<[PageBuf]>;

struct Chunk {
    index: u64,
    /// Slots up to the highest page used in the chunk (a small file has a small table).
    pages: Vec<Option<Page>>,
}

/// The data of one regular file.
pub struct FileData {
    size: u64,
    base: &'static [u8],
    chunks: Vec<Chunk>,
    pages: u64,
    budget: Arc<Budget>,
    /// `F_SEAL_*` bits (memfd sealing; other files carry `F_SEAL_SEAL`, as on tmpfs).
    pub seals: u32,
    /// An `O_TMPFILE` file that `linkat` may give a name (Linux's `I_LINKABLE`).
    pub linkable: bool,
}

impl core::fmt::Debug for FileData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "FileData(size {}, {} pages, base {})", self.size, self.pages, self.base.len())
    }
}

impl Drop for FileData {
    fn drop(&mut self) {
        self.budget.uncharge(self.pages * PAGE);
    }
}

fn alloc_page() -> Result<Page, Errno> {
    let mut v: Vec<PageBuf> = Vec::new();
    v.try_reserve_exact(1).map_err(|_| Errno::ENOMEM)?;
    v.push(PageBuf([0; PAGE as usize]));
    Ok(v.into_boxed_slice())
}

fn bytes(p: &Page) -> &[u8] {
    p.first().map_or(&[][..], |b| &b.0[..])
}

fn bytes_mut(p: &mut Page) -> &mut [u8] {
    p.first_mut().map_or(&mut [][..], |b| &mut b.0[..])
}

/// Make `slots` reach slot `slot`, growing it by doubling (fallibly) up to a whole chunk.
fn grow_slots(slots: &mut Vec<Option<Page>>, slot: usize) -> Result<(), Errno> {
    if slot < slots.len() {
        return Ok(());
    }
    let want = (slot + 1).max(slots.len() * 2).min(CHUNK_PAGES);
    slots.try_reserve_exact(want - slots.len()).map_err(|_| Errno::ENOMEM)?;
    slots.resize_with(want, || None);
    Ok(())
}

impl FileData {
    /// An empty file charged to `budget`.
    pub fn new(budget: Arc<Budget>) -> Self {
        FileData { size: 0, base: &[], chunks: Vec::new(), pages: 0, budget, seals: linux_raw_sys::general::F_SEAL_SEAL, linkable: false }
    }

    /// A file whose contents are `base` (read in place until written).
    pub fn with_base(budget: Arc<Budget>, base: &'static [u8]) -> Self {
        FileData { size: base.len() as u64, base, chunks: Vec::new(), pages: 0, budget, seals: linux_raw_sys::general::F_SEAL_SEAL, linkable: false }
    }

    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// 512-byte blocks in use (allocated pages plus the initrd pages not yet copied).
    pub fn blocks(&self) -> u64 {
        let base_pages = (self.base.len() as u64).div_ceil(PAGE);
        let shadowed = (0..base_pages).filter(|&p| self.page(p).is_some()).count() as u64;
        (self.pages + base_pages - shadowed) * (PAGE / 512)
    }

    /// The whole contents as one slice when they are still the untouched initrd base.
    pub fn as_base(&self) -> Option<&'static [u8]> {
        (self.pages == 0 && self.base.len() as u64 == self.size).then_some(self.base)
    }

    fn chunk_pos(&self, chunk: u64) -> Result<usize, usize> {
        self.chunks.binary_search_by_key(&chunk, |c| c.index)
    }

    fn page(&self, p: u64) -> Option<&[u8]> {
        let c = self.chunk_pos(p / CHUNK_PAGES as u64).ok()?;
        self.chunks[c].pages.get((p % CHUNK_PAGES as u64) as usize)?.as_ref().map(bytes)
    }

    /// Is page `p` backed by data (allocated or from the base)?
    fn has_data(&self, p: u64) -> bool {
        self.page(p).is_some() || p * PAGE < self.base.len() as u64
    }

    /// Page `p` for writing: allocated (and filled from the base) on first use.
    fn page_mut(&mut self, p: u64) -> Result<&mut [u8], Errno> {
        let ci = p / CHUNK_PAGES as u64;
        let c = match self.chunk_pos(ci) {
            Ok(c) => c,
            Err(at) => {
                self.chunks.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
                self.chunks.insert(at, Chunk { index: ci, pages: Vec::new() });
                at
            }
        };
        let slot = (p % CHUNK_PAGES as u64) as usize;
        if let Err(e) = grow_slots(&mut self.chunks[c].pages, slot) {
            if self.chunks[c].pages.is_empty() {
                self.chunks.remove(c);
            }
            return Err(e);
        }
        if self.chunks[c].pages[slot].is_none() {
            self.budget.charge(PAGE)?;
            let mut page = match alloc_page() {
                Ok(pg) => pg,
                Err(e) => {
                    self.budget.uncharge(PAGE);
                    return Err(e);
                }
            };
            let start = (p * PAGE) as usize;
            if start < self.base.len() {
                let end = self.base.len().min(start + PAGE as usize);
                bytes_mut(&mut page)[..end - start].copy_from_slice(&self.base[start..end]);
            }
            self.chunks[c].pages[slot] = Some(page);
            self.pages += 1;
        }
        Ok(self.chunks[c].pages[slot].as_mut().map_or(&mut [][..], bytes_mut))
    }

    /// The address of page `p` for a mapping (allocated, from the initrd or zeroed, on first
    /// use). The page stays where it is until the file is truncated below it or dropped; the
    /// kernel unmaps it from every mapping first.
    pub fn page_for_mapping(&mut self, p: u64) -> Result<usize, Errno> {
        let page = self.page_mut(p)?;
        Ok(page.as_ptr() as usize)
    }

    /// The address of page `p` if it is allocated (is a mapped frame the file's own page?).
    pub fn page_addr(&self, p: u64) -> Option<usize> {
        self.page(p).map(|b| b.as_ptr() as usize)
    }

    /// Read at `off` into `buf`; returns the bytes read (0 at or past the end).
    pub fn read(&self, off: u64, buf: &mut [u8]) -> usize {
        if off >= self.size {
            return 0;
        }
        let n = buf.len().min((self.size - off) as usize);
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let p = pos / PAGE;
            let in_page = (pos % PAGE) as usize;
            let len = (n - done).min(PAGE as usize - in_page);
            let dst = &mut buf[done..done + len];
            match self.page(p) {
                Some(page) => dst.copy_from_slice(&page[in_page..in_page + len]),
                None => {
                    let b = pos as usize;
                    let from_base = self.base.len().saturating_sub(b).min(len);
                    if from_base > 0 {
                        dst[..from_base].copy_from_slice(&self.base[b..b + from_base]);
                    }
                    dst[from_base..].fill(0);
                }
            }
            done += len;
        }
        n
    }

    /// Write `data` at `off`, growing the file. Stops at the first page that cannot be
    /// allocated: returns what was written, or the error if nothing was.
    pub fn write(&mut self, off: u64, data: &[u8]) -> Result<usize, Errno> {
        let end = off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        if end > crate::file::MAX_LFS {
            return Err(Errno::EFBIG);
        }
        let mut done = 0;
        while done < data.len() {
            let pos = off + done as u64;
            let in_page = (pos % PAGE) as usize;
            let len = (data.len() - done).min(PAGE as usize - in_page);
            match self.page_mut(pos / PAGE) {
                Ok(page) => page[in_page..in_page + len].copy_from_slice(&data[done..done + len]),
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
            done += len;
            self.size = self.size.max(pos + len as u64);
        }
        Ok(done)
    }

    fn free_page(&mut self, p: u64) {
        if let Ok(c) = self.chunk_pos(p / CHUNK_PAGES as u64)
            && self.chunks[c].pages.get_mut((p % CHUNK_PAGES as u64) as usize).and_then(Option::take).is_some()
        {
            self.pages -= 1;
            self.budget.uncharge(PAGE);
            if self.chunks[c].pages.iter().all(Option::is_none) {
                self.chunks.remove(c);
            }
        }
    }

    /// Zero `[off, off + len)` inside one page without allocating where nothing is stored.
    fn zero_in_page(&mut self, off: u64, len: usize) -> Result<(), Errno> {
        let p = off / PAGE;
        if !self.has_data(p) {
            return Ok(());
        }
        let in_page = (off % PAGE) as usize;
        let page = self.page_mut(p)?;
        page[in_page..in_page + len].fill(0);
        Ok(())
    }

    /// Set the size: shrinking frees the pages past the end and zeroes the tail of the last
    /// one, so growing again reads zeros. May need one page (`ENOMEM`/`ENOSPC`) to zero a
    /// partial initrd page.
    pub fn truncate(&mut self, len: u64) -> Result<(), Errno> {
        if len > crate::file::MAX_LFS {
            return Err(Errno::EFBIG);
        }
        if len < self.size {
            if len % PAGE != 0 && self.page(len / PAGE).is_some() {
                let keep = (len % PAGE) as usize;
                self.zero_in_page(len, PAGE as usize - keep)?;
            }
            let first_gone = len.div_ceil(PAGE);
            let gone: Vec<u64> = self
                .chunks
                .iter()
                .flat_map(|c| {
                    c.pages.iter().enumerate().filter(|(_, p)| p.is_some()).map(move |(i, _)| c.index * CHUNK_PAGES as u64 + i as u64)
                })
                .filter(|&p| p >= first_gone)
                .collect();
            for p in gone {
                self.free_page(p);
            }
            self.base = &self.base[..self.base.len().min(len as usize)];
        }
        self.size = len;
        Ok(())
    }

    /// Allocate the pages of `[off, off + len)` (`fallocate` mode 0 or `KEEP_SIZE`).
    pub fn allocate(&mut self, off: u64, len: u64, keep_size: bool) -> Result<(), Errno> {
        let end = off.checked_add(len).filter(|&e| e <= crate::file::MAX_LFS).ok_or(Errno::EFBIG)?;
        let mut p = off / PAGE;
        while p * PAGE < end {
            self.page_mut(p)?;
            p += 1;
        }
        if !keep_size && end > self.size {
            self.size = end;
        }
        Ok(())
    }

    /// Punch a hole: `[off, off + len)` reads as zero and whole pages are freed.
    pub fn punch_hole(&mut self, off: u64, len: u64) -> Result<(), Errno> {
        let end = off.saturating_add(len).min(self.size.max(off));
        let mut pos = off;
        while pos < end {
            let p = pos / PAGE;
            let in_page = pos % PAGE;
            let n = (PAGE - in_page).min(end - pos);
            if n == PAGE && p * PAGE >= self.base.len() as u64 {
                self.free_page(p);
            } else {
                self.zero_in_page(pos, n as usize)?;
            }
            pos += n;
        }
        Ok(())
    }

    /// `SEEK_DATA` / `SEEK_HOLE` from `off` (page granular, like tmpfs).
    pub fn seek_data(&self, off: u64, data: bool) -> Result<u64, Errno> {
        if off >= self.size {
            return Err(Errno::ENXIO);
        }
        let mut p = off / PAGE;
        let last = self.size.div_ceil(PAGE);
        while p < last {
            if self.has_data(p) == data {
                return Ok((p * PAGE).max(off).min(self.size));
            }
            p += 1;
        }
        if data { Err(Errno::ENXIO) } else { Ok(self.size) }
    }

    /// The whole contents as a vector (exec of a file that was written to).
    pub fn to_vec(&self) -> Result<Vec<u8>, Errno> {
        let mut v = Vec::new();
        v.try_reserve_exact(self.size as usize).map_err(|_| Errno::ENOMEM)?;
        v.resize(self.size as usize, 0);
        self.read(0, &mut v);
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(n: u64) -> Arc<Budget> {
        Arc::new(Budget::new(n))
    }

    #[test]
    fn sparse_write_read_truncate() {
        let b = budget(1 << 30);
        let mut f = FileData::new(b.clone());
        assert_eq!(f.write(10_000_000, b"xyz"), Ok(3));
        assert_eq!(f.size(), 10_000_003);
        assert_eq!(f.blocks(), 8);
        assert_eq!(b.used(), PAGE);
        let mut buf = [1u8; 8];
        assert_eq!(f.read(9_999_998, &mut buf), 5);
        assert_eq!(&buf[..5], b"\0\0xyz");
        assert_eq!(f.read(5, &mut buf), 8);
        assert_eq!(buf, [0; 8]);
        f.truncate(10_000_001).unwrap();
        f.truncate(10_000_003).unwrap();
        assert_eq!(f.read(10_000_000, &mut buf), 3);
        assert_eq!(&buf[..3], b"x\0\0");
        f.truncate(0).unwrap();
        assert_eq!(b.used(), 0);
        assert_eq!(f.read(0, &mut buf), 0);
    }

    #[test]
    fn budget_gives_enospc_and_partial_writes() {
        let b = budget(2 * PAGE);
        let mut f = FileData::new(b.clone());
        let data = alloc::vec![7u8; 3 * PAGE as usize];
        assert_eq!(f.write(0, &data), Ok(2 * PAGE as usize));
        assert_eq!(f.write(2 * PAGE, &data), Err(Errno::ENOSPC));
        drop(f);
        assert_eq!(b.used(), 0);
    }

    #[test]
    fn base_is_copied_on_write() {
        static BASE: [u8; 5000] = [b'a'; 5000];
        let b = budget(1 << 20);
        let mut f = FileData::with_base(b.clone(), &BASE);
        assert_eq!(f.as_base().map(|s| s.len()), Some(5000));
        assert_eq!(f.blocks(), 16);
        f.write(4999, b"Z").unwrap();
        assert!(f.as_base().is_none());
        assert_eq!(b.used(), PAGE);
        let mut buf = [0u8; 3];
        assert_eq!(f.read(4096, &mut buf), 3);
        assert_eq!(&buf, b"aaa");
        assert_eq!(f.read(4998, &mut buf), 2);
        assert_eq!(&buf[..2], b"aZ");
        f.truncate(100).unwrap();
        f.truncate(5000).unwrap();
        assert_eq!(f.read(4000, &mut buf), 3);
        assert_eq!(buf, [0; 3]);
        assert_eq!(f.read(98, &mut buf), 3);
        assert_eq!(&buf, b"aa\0");
    }

    #[test]
    fn seek_data_and_holes() {
        let mut f = FileData::new(budget(1 << 20));
        f.write(3 * PAGE, b"d").unwrap();
        f.truncate(6 * PAGE).unwrap();
        assert_eq!(f.seek_data(0, true), Ok(3 * PAGE));
        assert_eq!(f.seek_data(0, false), Ok(0));
        assert_eq!(f.seek_data(3 * PAGE + 5, false), Ok(4 * PAGE));
        assert_eq!(f.seek_data(4 * PAGE, true), Err(Errno::ENXIO));
        assert_eq!(f.seek_data(6 * PAGE, false), Err(Errno::ENXIO));
        f.punch_hole(3 * PAGE, PAGE).unwrap();
        assert_eq!(f.seek_data(0, true), Err(Errno::ENXIO));
        assert_eq!(f.size(), 6 * PAGE);
        f.allocate(0, 10, true).unwrap();
        assert_eq!(f.seek_data(0, true), Ok(0));
    }
}
