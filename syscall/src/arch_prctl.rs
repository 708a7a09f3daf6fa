//! arch_prctl(2): FS and GS bases (TLS), CPUID faulting queries.

use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, USER_END};
use linux_raw_sys::general::ARCH_SET_FS;

// linux-raw-sys has only ARCH_SET_FS; the others are from arch/x86/include/uapi/asm/prctl.h.
const ARCH_SET_GS: u32 = 0x1001;
const ARCH_GET_FS: u32 = 0x1003;
const ARCH_GET_GS: u32 = 0x1004;
const ARCH_GET_CPUID: u32 = 0x1011;
const ARCH_SET_CPUID: u32 = 0x1012;

/// arch_prctl(2).
pub fn arch_prctl(c: &mut Ctx, a: &Args) -> SysResult {
    let v = a.raw(1);
    match a.uint(0) {
        ARCH_SET_FS | ARCH_SET_GS if v >= USER_END - 4096 => Err(Errno::EPERM),
        ARCH_SET_FS => {
            c.k.set_fs_base(v);
            Ok(0)
        }
        ARCH_SET_GS => {
            c.k.set_gs_base(v);
            Ok(0)
        }
        ARCH_GET_FS => {
            let b = c.k.fs_base();
            a.ptr::<u64>(1).write(c.k.mem(), &b).map(|_| 0)
        }
        ARCH_GET_GS => {
            let b = c.k.gs_base();
            a.ptr::<u64>(1).write(c.k.mem(), &b).map(|_| 0)
        }
        // CPUID is never made to fault here.
        ARCH_GET_CPUID => Ok(1),
        ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}
