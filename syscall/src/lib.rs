//! Elfin's syscall layer: the one declarative table ([`table`]), typed argument decoding
//! ([`Args`]), strace-style tracing ([`strace`]), and one handler file per syscall family,
//! named after Linux (`mman.rs` holds mmap, munmap, mprotect...).
//!
//! Handlers see a [`Ctx`]: the [`Kernel`] services (user memory, console, clocks, address
//! space...) that the kernel crate implements over the hal, and the [`Process`] they act on.
//! Errors are [`Errno`] values; `-errno` is produced in exactly one place,
//! [`elfin_abi::to_syscall_return`].
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod args;
pub mod linux_names;
pub mod strace;
pub mod table;

pub mod path;

mod access;
mod arch_prctl;
mod clone;
mod attr;
mod cwd;
mod eventfd;
mod eventpoll;
mod exit;
mod fcntl;
mod fadvise;
mod fd;
mod futex;
mod ids;
mod ioctl;
mod locks;
mod memfd;
mod mman;
mod namei;
mod open;
mod pipe;
mod random;
mod read_write;
mod readdir;
mod readlink;
mod select;
mod resource;
mod sched;
pub mod signal;
mod stat;
mod statfs;
mod sync;
mod thread;
mod time;
mod timerfd;
mod truncate;
mod uname;
mod utimes;
mod xattr;

#[cfg(test)]
mod tests;

pub use args::Args;
pub use elfin_abi::{Errno, SysResult};
pub use elfin_posix::process::Process;
pub use table::{Dispatcher, Entry, Status, TABLE};

use alloc::vec::Vec;
use elfin_abi::UserMemory;
use elfin_posix::fd::Stream;
use elfin_posix::vfs::procfs::{MapInfo, MemInfo};

/// Clocks the kernel keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Wall time (ns since the epoch).
    Realtime,
    /// Time since boot, not counting suspend (there is none).
    Monotonic,
    /// CPU time of the process (the app is the only thing running: time since it started).
    ProcessCpu,
}

/// The services handlers need from the kernel. Implemented by the kernel crate over the hal,
/// and by a fake in host tests.
pub trait Kernel {
    /// The application's memory.
    fn mem(&self) -> &dyn UserMemory;
    /// Write to a console stream (COM1 for stdout, COM2 for stderr). `tty` asks for terminal
    /// output processing (`\n` -> `\r\n`, Linux's default ONLCR).
    fn console_write(&mut self, stream: Stream, data: &[u8], tty: bool);
    /// Read from the terminal: blocks until at least one byte is there; 0 means end of input.
    fn console_read(&mut self, buf: &mut [u8]) -> usize;
    /// End the application (all threads) with `status`.
    fn exit(&mut self, status: i32) -> !;
    /// Nanoseconds on `clock`.
    fn now_ns(&self, clock: Clock) -> u64;
    /// Resolution of the clocks in nanoseconds.
    fn clock_res_ns(&self) -> u64;
    /// Fill `buf` with random bytes.
    fn fill_random(&mut self, buf: &mut [u8]);
    /// Set/get the FS and GS base registers.
    fn set_fs_base(&mut self, v: u64);
    /// FS base.
    fn fs_base(&self) -> u64;
    /// Set the GS base.
    fn set_gs_base(&mut self, v: u64);
    /// GS base.
    fn gs_base(&self) -> u64;
    /// Anonymous mmap (arguments already checked for file mappings).
    fn mmap(&mut self, addr: u64, len: u64, prot: u32, flags: u32) -> Result<u64, Errno>;
    /// munmap.
    fn munmap(&mut self, addr: u64, len: u64) -> Result<(), Errno>;
    /// mprotect.
    fn mprotect(&mut self, addr: u64, len: u64, prot: u32) -> Result<(), Errno>;
    /// mremap.
    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> Result<u64, Errno>;
    /// madvise.
    fn madvise(&mut self, addr: u64, len: u64, advice: u32) -> Result<(), Errno>;
    /// brk: the resulting program break.
    fn brk(&mut self, new: u64) -> u64;
    /// Number of CPUs.
    fn cpus(&self) -> usize;
    /// Start thread `tid`: a copy of the calling thread's registers returning 0 from the
    /// syscall, on stack `stack` (0: the caller's) with FS base `tls` (None: the caller's).
    /// False when memory runs out.
    fn spawn_thread(&mut self, tid: i32, stack: u64, tls: Option<u64>) -> bool;
    /// Make blocked thread `tid` runnable (it runs its syscall again with `Wake::Woken`).
    fn wake_thread(&mut self, tid: i32);
    /// A signal arrived for thread `tid`: if it is blocked, it runs its syscall again with
    /// `Wake::Interrupted`.
    fn interrupt_thread(&mut self, tid: i32);
    /// The app's registers at the syscall being served.
    fn user_regs(&self) -> elfin_posix::sigframe::MContext;
    /// Replace the app's registers (all but `%rax`, which gets the syscall's result) for the
    /// return from this syscall: `rt_sigreturn`.
    fn set_user_regs(&mut self, regs: &elfin_posix::sigframe::MContext);
    /// The calling thread's FPU/SSE/AVX state as an XSAVE image, and the XCR0 mask.
    fn fpu_save(&mut self) -> (alloc::vec::Vec<u8>, u64);
    /// Load an XSAVE image (from `rt_sigreturn`); false when it is not a valid one.
    fn fpu_restore(&mut self, image: &[u8]) -> bool;
    /// Kernel log line (shown with `--verbose`).
    fn log(&mut self, args: core::fmt::Arguments);
    /// Trace output line (shown with `--strace`).
    fn trace(&mut self, args: core::fmt::Arguments);
    /// mmap of a regular file (arguments and the descriptor already checked): `offset` into
    /// `inode`, `maywrite` when the descriptor allows writing, `path` for `/proc/self/maps`.
    #[allow(clippy::too_many_arguments)]
    fn mmap_file(
        &mut self,
        _addr: u64,
        _len: u64,
        _prot: u32,
        _flags: u32,
        _inode: alloc::sync::Arc<elfin_posix::vfs::Inode>,
        _offset: u64,
        _maywrite: bool,
        _path: alloc::sync::Arc<[u8]>,
    ) -> Result<u64, Errno> {
        Err(Errno::ENODEV)
    }
    /// File offsets `[from, to)` of `inode` are going away (truncation, hole punching): unmap
    /// them from every mapping before the file frees its pages.
    fn file_shrink(&mut self, _inode: &alloc::sync::Arc<elfin_posix::vfs::Inode>, _from: u64, _to: u64) {}
    /// Does a shared mapping of `inode` that may write exist (`F_SEAL_WRITE` is `EBUSY`)?
    fn shared_writable_mapping(&self, _inode: &alloc::sync::Arc<elfin_posix::vfs::Inode>) -> bool {
        false
    }
    /// Is `[addr, addr + len)` entirely mapped (msync)?
    fn is_mapped(&self, _addr: u64, _len: u64) -> bool {
        true
    }
    /// The memory regions of the address space, for `/proc/self/maps`.
    fn regions(&self) -> Vec<MapInfo> {
        Vec::new()
    }
    /// RAM figures, for `/proc/meminfo`.
    fn mem_info(&self) -> MemInfo {
        MemInfo::default()
    }
}

/// What a handler works with.
pub struct Ctx<'a> {
    /// Kernel services.
    pub k: &'a mut dyn Kernel,
    /// The calling process.
    pub p: &'a mut Process,
}
