//! Unpacking the initrd (a cpio "newc" archive, see docs/boot-protocol.md) into the tree at
//! boot, as Linux unpacks an initramfs: directories, regular files (read in place from the
//! initrd until written, see [`super::data`]), symlinks (the target is the member's data),
//! hard links (members sharing `c_ino`/`c_dev` with `c_nlink > 1`; GNU cpio stores the data
//! with the last of them), device nodes and FIFOs, with their modes, owners and mtimes.
//!
//! Missing parent directories are created (0755). The CLI's control files under `.elfin/`
//! are not part of the tree. A member that cannot be placed (its parent is a file, the budget
//! is exhausted) is reported and skipped; a malformed archive is an error.

use super::dir;
use super::inode::{Body, Inode};
use super::path::{Follow, Resolver};
use super::{Vfs, data::FileData};
use crate::cpio::{CpioError, Reader};
use crate::file::{Timespec, makedev};
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// What unpacking did.
#[derive(Debug, Default)]
pub struct Report {
    /// Members placed in the tree.
    pub placed: usize,
    /// Members skipped, with why.
    pub skipped: Vec<(Vec<u8>, Errno)>,
}

/// The directory control files live in.
pub const CONTROL_DIR: &[u8] = b".elfin";

fn clean_name(name: &[u8]) -> &[u8] {
    let mut n = name;
    loop {
        if let Some(r) = n.strip_prefix(b"./") {
            n = r;
        } else if let Some(r) = n.strip_prefix(b"/") {
            n = r;
        } else {
            break;
        }
    }
    while let Some(r) = n.strip_suffix(b"/") {
        n = r;
    }
    if n == b"." { b"" } else { n }
}

/// Is `name` (cleaned) one of the CLI's control files?
pub fn is_control(name: &[u8]) -> bool {
    let n = clean_name(name);
    n == CONTROL_DIR || (n.starts_with(CONTROL_DIR) && n.get(CONTROL_DIR.len()) == Some(&b'/'))
}

/// The directory `path` (relative to the root), created with 0755 where missing; symlinks
/// on the way are followed.
fn ensure_dir(vfs: &Vfs, r: &mut Resolver, path: &[u8]) -> Result<Arc<Inode>, Errno> {
    let mut cur = vfs.root.clone();
    for comp in path.split(|&c| c == b'/').filter(|c| !c.is_empty() && *c != b".") {
        if comp == b".." {
            cur = dir::parent_of(&cur);
            continue;
        }
        let next = match r.child(&cur, comp) {
            Ok(i) => i,
            Err(Errno::ENOENT) => dir::create(&cur, comp, g::S_IFDIR | 0o755, 0, 0, Body::Dir(Default::default()))?,
            Err(e) => return Err(e),
        };
        cur = if next.is_symlink() {
            match r.follow(&next)? {
                Follow::Jump(i, _) => i,
                Follow::Path(t) => r.lookup(&cur, &t, true)?.inode,
            }
        } else {
            next
        };
        if !cur.is_dir() {
            return Err(Errno::ENOTDIR);
        }
    }
    Ok(cur)
}

fn set_meta(inode: &Inode, mode: u32, uid: u32, gid: u32, mtime: u32, keep_perm: bool) {
    let t = Timespec { sec: mtime as i64, nsec: 0 };
    let mut m = inode.meta.lock();
    if !keep_perm {
        m.mode = (m.mode & g::S_IFMT) | (mode & 0o7777);
    }
    m.uid = uid;
    m.gid = gid;
    m.atime = t;
    m.mtime = t;
}

/// Unpack `archive` into `vfs`.
pub fn unpack(vfs: &Vfs, archive: &'static [u8]) -> Result<Report, CpioError> {
    let mut report = Report::default();
    let mut links: BTreeMap<(u32, u32, u32), Arc<Inode>> = BTreeMap::new();
    let mut dir_times: Vec<(Arc<Inode>, u32)> = Vec::new();
    for e in Reader::new(archive) {
        let e = e?;
        let name = clean_name(e.name);
        if name.is_empty() || is_control(name) {
            continue;
        }
        let mut r = Resolver::new(vfs.root.clone(), None, 0, 0);
        let (parent, last) = match name.iter().rposition(|&c| c == b'/') {
            Some(i) => (&name[..i], &name[i + 1..]),
            None => (&b""[..], name),
        };
        let result = (|| -> Result<Option<Arc<Inode>>, Errno> {
            if last == b"." || last == b".." {
                return Err(Errno::EINVAL);
            }
            let dir_inode = ensure_dir(vfs, &mut r, parent)?;
            let existing = r.child(&dir_inode, last).ok();
            let ty = e.mode & g::S_IFMT;
            if ty == g::S_IFDIR {
                if let Some(d) = existing.as_ref().filter(|i| i.is_dir()) {
                    let keep = Arc::ptr_eq(d, &vfs.tmp) || !matches!(d.body, Body::Dir(_));
                    set_meta(d, e.mode, e.uid, e.gid, e.mtime, keep);
                    dir_times.push((d.clone(), e.mtime));
                    return Ok(None);
                }
            }
            if let Some(old) = existing {
                if old.is_dir() {
                    if ty != g::S_IFDIR {
                        dir::rmdir(&dir_inode, last)?;
                    }
                } else {
                    dir::unlink(&dir_inode, last)?;
                }
            }
            let perm = e.mode & 0o7777;
            let inode = match ty {
                g::S_IFDIR => {
                    let d = dir::create(&dir_inode, last, g::S_IFDIR | perm, e.uid, e.gid, Body::Dir(Default::default()))?;
                    dir_times.push((d.clone(), e.mtime));
                    d
                }
                g::S_IFREG => {
                    let key = (e.ino, e.dev.0, e.dev.1);
                    if e.nlink > 1
                        && let Some(target) = links.get(&key)
                    {
                        dir::add(&dir_inode, last, target, true)?;
                        if !e.data.is_empty()
                            && let Some(d) = target.data()
                        {
                            *d.lock() = FileData::with_base(vfs.budget.clone(), e.data);
                        }
                        target.clone()
                    } else {
                        let body = Body::File(Mutex::new(FileData::with_base(vfs.budget.clone(), e.data)));
                        let f = dir::create(&dir_inode, last, g::S_IFREG | perm, e.uid, e.gid, body)?;
                        if e.nlink > 1 {
                            links.insert(key, f.clone());
                        }
                        f
                    }
                }
                g::S_IFLNK => {
                    if e.data.is_empty() || e.data.len() >= super::path::PATH_MAX {
                        return Err(Errno::EINVAL);
                    }
                    dir::create(&dir_inode, last, g::S_IFLNK | 0o777, e.uid, e.gid, Body::Symlink(e.data.to_vec()))?
                }
                g::S_IFCHR | g::S_IFBLK => {
                    let n = dir::create(&dir_inode, last, ty | perm, e.uid, e.gid, Body::Device)?;
                    n.meta.lock().rdev = makedev(e.rdev.0, e.rdev.1);
                    n
                }
                g::S_IFIFO => dir::create(&dir_inode, last, ty | perm, e.uid, e.gid, Body::Fifo(Mutex::new(Default::default())))?,
                g::S_IFSOCK => dir::create(&dir_inode, last, ty | perm, e.uid, e.gid, Body::Socket)?,
                _ => return Err(Errno::EINVAL),
            };
            Ok(Some(inode))
        })();
        match result {
            Ok(Some(inode)) => {
                let keep = inode.is_symlink();
                set_meta(&inode, e.mode, e.uid, e.gid, e.mtime, keep);
                report.placed += 1;
            }
            Ok(None) => report.placed += 1,
            Err(err) => report.skipped.push((name.to_vec(), err)),
        }
    }
    // Directory times last: adding their entries changed them.
    for (d, mtime) in dir_times {
        let t = Timespec { sec: mtime as i64, nsec: 0 };
        let mut m = d.meta.lock();
        m.mtime = t;
        m.atime = t;
    }
    Ok(report)
}
