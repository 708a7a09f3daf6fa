//! Typed user-space pointers: [`UserPtr`], [`UserSlice`], [`UserCStr`], and the
//! [`UserMemory`] trait the kernel implements to copy across the user boundary.
//!
//! A handler never sees a raw pointer: it gets one of these types, and every access goes
//! through [`UserMemory`], which answers `EFAULT` for an address the app has not mapped
//! (the kernel fixes up a fault during the copy into `EFAULT` too).

use crate::{Errno, Pod};
use alloc::vec::Vec;
use core::marker::PhantomData;

/// First address above the user half (x86-64, 4-level paging).
pub const USER_END: u64 = 0x0000_8000_0000_0000;

/// Copies between the kernel and the app's memory. Implemented by the kernel (and by fakes in
/// host tests).
pub trait UserMemory {
    /// Fill `buf` from user address `addr`; `EFAULT` if any byte is not readable.
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno>;
    /// Write `data` at user address `addr`; `EFAULT` if any byte is not writable.
    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno>;
    /// Write as much of `data` as memory allows: the bytes stored before the first one that
    /// is not writable (where Linux's `copy_to_user` returns a short count).
    fn write_partial(&self, addr: u64, data: &[u8]) -> usize {
        if self.write_bytes(addr, data).is_ok() { data.len() } else { 0 }
    }
}

/// Is `[addr, addr + len)` inside the user half? (Cheap check before any copy.)
pub fn in_user_half(addr: u64, len: u64) -> bool {
    addr.checked_add(len).is_some_and(|end| end <= USER_END)
}

/// Run `f` on a scratch buffer of `size` bytes: on the stack when small, else on the heap.
fn with_buffer<R>(size: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    let mut small = [0u8; 256];
    match small.get_mut(..size) {
        Some(b) => f(b),
        None => f(&mut alloc::vec![0u8; size]),
    }
}

/// A pointer to one `T` in user memory.
pub struct UserPtr<T> {
    addr: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for UserPtr<T> {}

impl<T> core::fmt::Debug for UserPtr<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:#x}", self.addr)
    }
}

impl<T: Pod> UserPtr<T> {
    /// A typed pointer from a syscall argument.
    pub const fn new(addr: u64) -> Self {
        UserPtr { addr, _t: PhantomData }
    }
    /// The raw address (for logging and arithmetic, never for dereferencing).
    pub const fn addr(self) -> u64 {
        self.addr
    }
    /// Is this NULL? (Many syscalls treat NULL as "not given".)
    pub const fn is_null(self) -> bool {
        self.addr == 0
    }
    /// The `i`-th element of an array starting here.
    pub fn offset(self, i: usize) -> Result<Self, Errno> {
        let off = (i as u64).checked_mul(T::SIZE as u64).ok_or(Errno::EFAULT)?;
        Ok(Self::new(self.addr.checked_add(off).ok_or(Errno::EFAULT)?))
    }
    /// Read the value.
    pub fn read(self, mem: &dyn UserMemory) -> Result<T, Errno> {
        with_buffer(T::SIZE, |b| {
            mem.read_bytes(self.addr, b)?;
            Ok(T::decode(b))
        })
    }
    /// Write the value.
    pub fn write(self, mem: &dyn UserMemory, value: &T) -> Result<(), Errno> {
        with_buffer(T::SIZE, |b| {
            value.encode(b);
            mem.write_bytes(self.addr, b)
        })
    }
    /// Write the value if the pointer is not NULL.
    pub fn write_opt(self, mem: &dyn UserMemory, value: &T) -> Result<(), Errno> {
        if self.is_null() { Ok(()) } else { self.write(mem, value) }
    }
}

/// `len` bytes of user memory at `addr`.
#[derive(Clone, Copy, Debug)]
pub struct UserSlice {
    addr: u64,
    len: usize,
}

impl UserSlice {
    /// A user buffer from syscall arguments.
    pub const fn new(addr: u64, len: usize) -> Self {
        UserSlice { addr, len }
    }
    /// Start address.
    pub const fn addr(self) -> u64 {
        self.addr
    }
    /// Length in bytes.
    pub const fn len(self) -> usize {
        self.len
    }
    /// Zero length?
    pub const fn is_empty(self) -> bool {
        self.len == 0
    }
    /// The first `n` bytes.
    pub fn prefix(self, n: usize) -> Self {
        UserSlice { addr: self.addr, len: n.min(self.len) }
    }
    /// The bytes from `n` on.
    pub fn skip(self, n: usize) -> Self {
        let n = n.min(self.len);
        UserSlice { addr: self.addr.wrapping_add(n as u64), len: self.len - n }
    }
    /// Copy the whole slice into a new vector.
    pub fn read_vec(self, mem: &dyn UserMemory) -> Result<Vec<u8>, Errno> {
        let mut v = alloc::vec![0u8; self.len];
        mem.read_bytes(self.addr, &mut v)?;
        Ok(v)
    }
    /// Fill `buf` from the start of the slice (`buf` no longer than the slice).
    pub fn read_into(self, mem: &dyn UserMemory, buf: &mut [u8]) -> Result<(), Errno> {
        let n = buf.len().min(self.len);
        mem.read_bytes(self.addr, &mut buf[..n])
    }
    /// Write `data` at the start of the slice (truncated to the slice's length).
    pub fn write(self, mem: &dyn UserMemory, data: &[u8]) -> Result<(), Errno> {
        let n = data.len().min(self.len);
        mem.write_bytes(self.addr, &data[..n])
    }
}

/// A NUL-terminated string in user memory.
#[derive(Clone, Copy, Debug)]
pub struct UserCStr {
    addr: u64,
}

impl UserCStr {
    /// A string pointer from a syscall argument.
    pub const fn new(addr: u64) -> Self {
        UserCStr { addr }
    }
    /// The raw address.
    pub const fn addr(self) -> u64 {
        self.addr
    }
    /// Read up to `max` bytes (without the NUL). `ENAMETOOLONG` when no NUL comes within
    /// `max` bytes, `EFAULT` when memory runs out first.
    pub fn read(self, mem: &dyn UserMemory, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut addr = self.addr;
        let mut chunk = [0u8; 64];
        while out.len() < max {
            // Never read across a page boundary in one go: the next page may be unmapped.
            let to_page_end = (4096 - (addr & 4095)) as usize;
            let n = chunk.len().min(to_page_end);
            mem.read_bytes(addr, &mut chunk[..n])?;
            if let Some(z) = chunk[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..z]);
                return if out.len() <= max { Ok(out) } else { Err(Errno::ENAMETOOLONG) };
            }
            out.extend_from_slice(&chunk[..n]);
            addr = addr.checked_add(n as u64).ok_or(Errno::EFAULT)?;
        }
        Err(Errno::ENAMETOOLONG)
    }
}
