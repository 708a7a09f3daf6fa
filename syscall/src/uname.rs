//! uname(2).

use crate::{Args, Ctx, SysResult};
use elfin_abi::linux_struct;
use linux_raw_sys::system::new_utsname;

linux_struct!(
    /// `struct new_utsname`: six 65-byte strings.
    Utsname, new_utsname
);

/// The kernel release Elfin reports: a Linux version recent enough for today's C libraries.
pub const RELEASE: &str = "6.1.0-elfin";

/// Write `s` NUL-padded into the 65-byte field at `off` (at most 64 bytes of text).
fn put_str(u: &mut Utsname, off: usize, s: &str) {
    let n = s.len().min(64);
    u.0[off..off + n].copy_from_slice(&s.as_bytes()[..n]);
}

/// uname(2).
pub fn uname(c: &mut Ctx, a: &Args) -> SysResult {
    let mut u = Utsname::default();
    put_str(&mut u, core::mem::offset_of!(new_utsname, sysname), "Linux");
    put_str(&mut u, core::mem::offset_of!(new_utsname, nodename), "elfin");
    put_str(&mut u, core::mem::offset_of!(new_utsname, release), RELEASE);
    put_str(&mut u, core::mem::offset_of!(new_utsname, version), "#1 SMP PREEMPT Elfin unikernel");
    put_str(&mut u, core::mem::offset_of!(new_utsname, machine), "x86_64");
    put_str(&mut u, core::mem::offset_of!(new_utsname, domainname), "(none)");
    a.ptr::<Utsname>(0).write(c.k.mem(), &u).map(|_| 0)
}
