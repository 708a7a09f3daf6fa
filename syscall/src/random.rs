//! getrandom(2).

use crate::{Args, Ctx, SysResult};
use elfin_abi::Errno;
use linux_raw_sys::general::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};

/// Linux returns at most this much per call (`(1 << 25) - 1`).
const MAX: usize = (1 << 25) - 1;

/// getrandom(2): the pool is always initialised, so every flag combination returns data.
pub fn getrandom(c: &mut Ctx, a: &Args) -> SysResult {
    let flags = a.flags(2, GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)?;
    if flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE {
        return Err(Errno::EINVAL);
    }
    let buf = a.slice(0, a.usize(1).min(MAX));
    let mut done = 0;
    let mut tmp = [0u8; 256];
    while done < buf.len() {
        let part = buf.skip(done).prefix(tmp.len());
        let chunk = &mut tmp[..part.len()];
        c.k.fill_random(chunk);
        // Like Linux's copy_to_user: the bytes stored before a fault count.
        let n = c.k.mem().write_partial(part.addr(), chunk);
        done += n;
        if n < chunk.len() {
            return if done == 0 { Err(Errno::EFAULT) } else { Ok(done) };
        }
    }
    Ok(done)
}
