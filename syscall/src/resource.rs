//! Resource limits: getrlimit, setrlimit, prlimit64.

use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, UserPtr};
use elfin_posix::process::Rlimit;

fn read_limit(c: &Ctx, p: UserPtr<[u8; 16]>) -> Result<Rlimit, Errno> {
    let b = p.read(c.k.mem())?;
    Ok(Rlimit { cur: elfin_abi::get(&b, 0), max: elfin_abi::get(&b, 8) })
}

fn write_limit(c: &Ctx, p: UserPtr<[u8; 16]>, l: Rlimit) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    elfin_abi::put(&mut b, 0, l.cur);
    elfin_abi::put(&mut b, 8, l.max);
    p.write(c.k.mem(), &b)
}

/// getrlimit(2).
pub fn getrlimit(c: &mut Ctx, a: &Args) -> SysResult {
    let l = c.p.rlimit(a.uint(0))?;
    write_limit(c, a.ptr(1), l).map(|_| 0)
}

/// setrlimit(2).
pub fn setrlimit(c: &mut Ctx, a: &Args) -> SysResult {
    c.p.rlimit(a.uint(0))?;
    let new = read_limit(c, a.ptr(1))?;
    c.p.set_rlimit(a.uint(0), new).map(|_| 0)
}

/// prlimit64(2): only the calling process (pid 0 or its own pid) exists.
pub fn prlimit64(c: &mut Ctx, a: &Args) -> SysResult {
    let pid = a.int(0);
    if pid != 0 && pid != c.p.pid {
        return Err(Errno::ESRCH);
    }
    let res = a.uint(1);
    let (newp, oldp) = (a.ptr::<[u8; 16]>(2), a.ptr::<[u8; 16]>(3));
    let new = if newp.is_null() { None } else { Some(read_limit(c, newp)?) };
    let old = c.p.rlimit(res)?;
    if let Some(n) = new {
        c.p.set_rlimit(res, n)?;
    }
    if !oldp.is_null() {
        write_limit(c, oldp, old)?;
    }
    Ok(0)
}
