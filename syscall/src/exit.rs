//! exit and exit_group.

use crate::{Args, Ctx, SysResult};

/// exit(2): with one thread, the process ends.
pub fn exit(c: &mut Ctx, a: &Args) -> SysResult {
    c.k.exit(a.int(0) & 0xff)
}

/// exit_group(2).
pub fn exit_group(c: &mut Ctx, a: &Args) -> SysResult {
    c.k.exit(a.int(0) & 0xff)
}
