//! The Linux ABI as Elfin's crates share it: [`Errno`], typed user pointers
//! ([`UserPtr`], [`UserSlice`], [`UserCStr`]) over the [`UserMemory`] trait, and [`Pod`]
//! byte images of Linux structs. The lowest crate of the workspace: `posix` and `syscall`
//! build on it; it knows nothing of hardware.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod errno;
mod pod;
mod user;

pub use errno::{Errno, SysResult};
pub use linux_raw_sys;
pub use pod::{Pod, get, put};
pub use user::{USER_END, UserCStr, UserMemory, UserPtr, UserSlice, in_user_half};

/// The single place where a handler's result becomes the value in `%rax`: a count or
/// address as is, an error as `-errno`.
pub fn to_syscall_return(r: SysResult) -> i64 {
    match r {
        Ok(v) => v as i64,
        Err(e) => -(e.raw() as i64),
    }
}
