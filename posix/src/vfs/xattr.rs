//! Extended attributes of the in-memory filesystems (tmpfs's `simple_xattr`): `user.*`
//! (regular files and directories only), `trusted.*` and `security.*`, kept per inode in name
//! order; POSIX ACL names read as absent. procfs has none (`EOPNOTSUPP`); pipes and other
//! internal files have none either and refuse `user.*` (`EPERM`).

use super::inode::{Body, FsKind, Inode};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;

/// Longest name.
pub const NAME_MAX: usize = 255;
/// Largest value.
pub const SIZE_MAX: usize = 65536;

/// The attributes of one inode.
#[derive(Debug, Default)]
pub struct Xattrs {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl Xattrs {
    /// Bytes of names and values (charged to the budget).
    pub fn bytes(&self) -> u64 {
        self.map.iter().map(|(k, v)| (k.len() + v.len()) as u64).sum()
    }
}

/// Which namespace a name is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    User,
    Stored,
    Acl,
}

/// Check a name as Linux does: `ERANGE` when empty or too long, `EOPNOTSUPP` for an unknown
/// namespace, `EINVAL` for a bare prefix.
pub fn check_name(name: &[u8]) -> Result<(), Errno> {
    ns(name).map(|_| ())
}

fn ns(name: &[u8]) -> Result<Ns, Errno> {
    if name.is_empty() || name.len() > NAME_MAX {
        return Err(Errno::ERANGE);
    }
    for (prefix, ns) in [(&b"user."[..], Ns::User), (b"trusted.", Ns::Stored), (b"security.", Ns::Stored)] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return if rest.is_empty() { Err(Errno::EINVAL) } else { Ok(ns) };
        }
    }
    if name == b"system.posix_acl_access" || name == b"system.posix_acl_default" {
        return Ok(Ns::Acl);
    }
    Err(Errno::EOPNOTSUPP)
}

fn stores(inode: &Inode) -> bool {
    matches!(inode.sb.kind, FsKind::Tmpfs | FsKind::Devtmpfs | FsKind::Memfd)
}

/// The value of `name`.
pub fn get(inode: &Inode, name: &[u8]) -> Result<Vec<u8>, Errno> {
    let ns = ns(name)?;
    if inode.sb.kind == FsKind::Proc {
        return Err(Errno::EOPNOTSUPP);
    }
    if ns == Ns::Acl || !stores(inode) {
        return Err(Errno::ENODATA);
    }
    inode.xattrs.lock().map.get(name).cloned().ok_or(Errno::ENODATA)
}

/// Set `name` to `value` with `XATTR_CREATE` / `XATTR_REPLACE` in `flags`.
pub fn set(inode: &Inode, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
    let ns = ns(name)?;
    if value.len() > SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    if inode.sb.kind == FsKind::Proc {
        return Err(Errno::EOPNOTSUPP);
    }
    let t = inode.file_type();
    if ns == Ns::User && ((t != g::S_IFREG && t != g::S_IFDIR) || !stores(inode) || matches!(inode.body, Body::Proc(_))) {
        return Err(Errno::EPERM);
    }
    if ns == Ns::Acl || !stores(inode) {
        return Err(Errno::EOPNOTSUPP);
    }
    let mut x = inode.xattrs.lock();
    let exists = x.map.contains_key(name);
    if flags & g::XATTR_CREATE != 0 && exists {
        return Err(Errno::EEXIST);
    }
    if flags & g::XATTR_REPLACE != 0 && !exists {
        return Err(Errno::ENODATA);
    }
    let cost = (name.len() + value.len()) as u64;
    inode.sb.budget.charge(cost)?;
    if let Some(old) = x.map.insert(name.to_vec(), value.to_vec()) {
        inode.sb.budget.uncharge((name.len() + old.len()) as u64);
    }
    drop(x);
    inode.touch_changed();
    Ok(())
}

/// The names, each followed by a NUL.
pub fn list(inode: &Inode) -> Vec<u8> {
    let x = inode.xattrs.lock();
    let mut out = Vec::new();
    for n in x.map.keys() {
        out.extend_from_slice(n);
        out.push(0);
    }
    out
}

/// Remove `name`.
pub fn remove(inode: &Inode, name: &[u8]) -> Result<(), Errno> {
    let ns = ns(name)?;
    if inode.sb.kind == FsKind::Proc {
        return Err(Errno::EOPNOTSUPP);
    }
    if ns == Ns::User && !(inode.is_regular() || inode.is_dir()) {
        return Err(Errno::EPERM);
    }
    let old = inode.xattrs.lock().map.remove(name).ok_or(Errno::ENODATA)?;
    inode.sb.budget.uncharge((name.len() + old.len()) as u64);
    inode.touch_changed();
    Ok(())
}
