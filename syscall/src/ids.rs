//! Process identity: getpid, gettid, getppid, get[e]uid, get[e]gid, getresuid, getresgid.

use crate::{Args, Ctx, SysResult};

/// getpid(2).
pub fn getpid(c: &mut Ctx, _: &Args) -> SysResult {
    Ok(c.p.pid as usize)
}
/// gettid(2).
pub fn gettid(c: &mut Ctx, _: &Args) -> SysResult {
    Ok(c.p.tid as usize)
}
/// getppid(2).
pub fn getppid(c: &mut Ctx, _: &Args) -> SysResult {
    Ok(c.p.ppid as usize)
}
/// getuid(2).
pub fn getuid(c: &mut Ctx, _: &Args) -> SysResult {
    Ok(c.p.creds.uid as usize)
}
/// geteuid(2).
pub fn geteuid(c: &mut Ctx, _: &Args) -> SysResult {
    Ok(c.p.creds.euid as usize)
}
/// getgid(2).
pub fn getgid(c: &mut Ctx, _: &Args) -> SysResult {
    Ok(c.p.creds.gid as usize)
}
/// getegid(2).
pub fn getegid(c: &mut Ctx, _: &Args) -> SysResult {
    Ok(c.p.creds.egid as usize)
}
/// getresuid(2): real, effective, saved (saved = effective).
pub fn getresuid(c: &mut Ctx, a: &Args) -> SysResult {
    let cr = c.p.creds;
    a.ptr::<u32>(0).write(c.k.mem(), &cr.uid)?;
    a.ptr::<u32>(1).write(c.k.mem(), &cr.euid)?;
    a.ptr::<u32>(2).write(c.k.mem(), &cr.euid)?;
    Ok(0)
}
/// getresgid(2).
pub fn getresgid(c: &mut Ctx, a: &Args) -> SysResult {
    let cr = c.p.creds;
    a.ptr::<u32>(0).write(c.k.mem(), &cr.gid)?;
    a.ptr::<u32>(1).write(c.k.mem(), &cr.egid)?;
    a.ptr::<u32>(2).write(c.k.mem(), &cr.egid)?;
    Ok(0)
}
