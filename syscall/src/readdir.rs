//! getdents64 and getdents (Linux's fs/readdir.c): directory entries packed into the app's
//! buffer, resuming at the description's position.

use crate::path::file_io;
use crate::{Args, Ctx, SysResult};
use alloc::vec::Vec;
use elfin_abi::Errno;
use elfin_posix::file::DirEntry;

/// Fill the app's buffer with entries encoded by `encode` (which returns `None` when an
/// entry does not fit in the room left).
fn getdents_common(c: &mut Ctx, a: &Args, encode: fn(&DirEntry, usize) -> Option<Vec<u8>>) -> SysResult {
    let file = file_io(c, a.fd(0))?;
    let count = a.uint(2) as usize;
    let buf = a.slice(1, count);
    let ops = file.ops.clone();
    let pos = file.offset();
    let mut out: Vec<u8> = Vec::new();
    let mut too_small = false;
    let next = ops.getdents(pos, &mut |e| match encode(e, count - out.len()) {
        Some(rec) => {
            out.extend_from_slice(&rec);
            true
        }
        None => {
            too_small = out.is_empty();
            false
        }
    })?;
    if too_small {
        return Err(Errno::EINVAL);
    }
    if !out.is_empty() {
        buf.write(c.k.mem(), &out)?;
    }
    file.set_offset(next);
    Ok(out.len())
}

fn align8(n: usize) -> usize {
    (n + 7) & !7
}

/// `struct linux_dirent64`: ino, off, reclen, type, name, NUL, padding.
fn dirent64(e: &DirEntry, room: usize) -> Option<Vec<u8>> {
    let reclen = align8(19 + e.name.len() + 1);
    if reclen > room {
        return None;
    }
    let mut r = alloc::vec![0u8; reclen];
    r[0..8].copy_from_slice(&e.ino.to_le_bytes());
    r[8..16].copy_from_slice(&e.next.to_le_bytes());
    r[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
    r[18] = e.kind;
    r[19..19 + e.name.len()].copy_from_slice(e.name);
    Some(r)
}

/// The old `struct linux_dirent`: ino, off, reclen, name, NUL, padding, type in the last byte.
fn dirent(e: &DirEntry, room: usize) -> Option<Vec<u8>> {
    let reclen = align8(18 + e.name.len() + 2);
    if reclen > room {
        return None;
    }
    let mut r = alloc::vec![0u8; reclen];
    r[0..8].copy_from_slice(&e.ino.to_le_bytes());
    r[8..16].copy_from_slice(&e.next.to_le_bytes());
    r[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
    r[18..18 + e.name.len()].copy_from_slice(e.name);
    r[reclen - 1] = e.kind;
    Some(r)
}

/// getdents64(2).
pub fn getdents64(c: &mut Ctx, a: &Args) -> SysResult {
    getdents_common(c, a, dirent64)
}

/// getdents(2).
pub fn getdents(c: &mut Ctx, a: &Args) -> SysResult {
    getdents_common(c, a, dirent)
}
