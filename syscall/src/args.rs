//! Typed decoding of the six raw syscall argument registers.

use elfin_abi::{Errno, Pod, UserCStr, UserPtr, UserSlice};

/// The raw arguments of one syscall (`%rdi, %rsi, %rdx, %r10, %r8, %r9`).
#[derive(Debug, Clone, Copy)]
pub struct Args(pub [u64; 6]);

impl Args {
    /// Argument `i` as a raw 64-bit value.
    pub fn raw(&self, i: usize) -> u64 {
        self.0[i]
    }
    /// Argument `i` as a C `int` (the low 32 bits, as the kernel reads an `int` parameter).
    pub fn int(&self, i: usize) -> i32 {
        self.0[i] as u32 as i32
    }
    /// Argument `i` as a C `unsigned int`.
    pub fn uint(&self, i: usize) -> u32 {
        self.0[i] as u32
    }
    /// Argument `i` as a `size_t`.
    pub fn usize(&self, i: usize) -> usize {
        self.0[i] as usize
    }
    /// Argument `i` as a file descriptor.
    pub fn fd(&self, i: usize) -> i32 {
        self.int(i)
    }
    /// Argument `i` as a typed user pointer.
    pub fn ptr<T: Pod>(&self, i: usize) -> UserPtr<T> {
        UserPtr::new(self.0[i])
    }
    /// Arguments `i` (address) and `len` (length) as a user buffer.
    pub fn slice(&self, i: usize, len: usize) -> UserSlice {
        UserSlice::new(self.0[i], len)
    }
    /// Argument `i` as a user C string.
    pub fn cstr(&self, i: usize) -> UserCStr {
        UserCStr::new(self.0[i])
    }
    /// Argument `i` as flags that must fit in `known`; other bits give `EINVAL`.
    pub fn flags(&self, i: usize, known: u32) -> Result<u32, Errno> {
        let v = self.0[i];
        if v & !(known as u64) != 0 { Err(Errno::EINVAL) } else { Ok(v as u32) }
    }
}
