//! getcwd(2).

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;

/// getcwd(2): the path and its NUL; `ERANGE` when the buffer is too small.
pub fn getcwd(c: &mut Ctx, a: &Args) -> SysResult {
    let mut path = c.p.cwd.clone();
    path.push(0);
    if a.usize(1) < path.len() {
        return Err(Errno::ERANGE);
    }
    a.slice(0, path.len()).write(c.k.mem(), &path)?;
    Ok(path.len())
}
