//! Directories of the in-memory filesystems and the namespace operations on them: create,
//! link, unlink, rmdir, rename (with `RENAME_NOREPLACE` and `RENAME_EXCHANGE`), with Linux's
//! link counts, time stamps, error cases and their order.
//!
//! A directory keeps its entries by name, and by *cookie* (a position that only grows) for
//! `getdents`, so listing a directory while it changes neither repeats nor skips the entries
//! that stay. Each directory knows its parent and its name in it (directories have exactly
//! one parent), which gives `..` and `getcwd`.

use super::inode::{Body, Inode, dt_type};
use crate::file::DirEntry;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;

/// tmpfs's size of a directory entry (`BOGO_DIRENT_SIZE`): a directory's `st_size`.
const BOGO_DIRENT_SIZE: u64 = 20;
/// First cookie of a real entry (0 and 1 are `.` and `..`).
const FIRST_COOKIE: u64 = 2;

/// The body of a directory inode.
pub struct Dir {
    entries: BTreeMap<Vec<u8>, (u64, Arc<Inode>)>,
    order: BTreeMap<u64, Vec<u8>>,
    next_cookie: u64,
    /// The parent (`..`); empty for the root, whose `..` is itself.
    pub parent: Weak<Inode>,
    /// Name in the parent.
    pub name: Vec<u8>,
    /// Removed by rmdir or replaced by rename: nothing can be created in it.
    pub removed: bool,
}

impl Default for Dir {
    /// An empty directory; [`add`] sets its parent and name.
    fn default() -> Self {
        Dir::new(Weak::new(), b"")
    }
}

impl core::fmt::Debug for Dir {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dir({} entries)", self.entries.len())
    }
}

impl Dir {
    /// An empty directory under `parent` with `name`.
    pub fn new(parent: Weak<Inode>, name: &[u8]) -> Self {
        Dir { entries: BTreeMap::new(), order: BTreeMap::new(), next_cookie: FIRST_COOKIE, parent, name: name.to_vec(), removed: false }
    }

    /// `st_size` as tmpfs reports it.
    pub fn size(&self) -> u64 {
        (self.entries.len() as u64 + 2) * BOGO_DIRENT_SIZE
    }

    /// The entry `name`.
    pub fn get(&self, name: &[u8]) -> Option<&Arc<Inode>> {
        self.entries.get(name).map(|(_, i)| i)
    }

    /// Number of entries (without `.` and `..`).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Arc<Inode>)> {
        self.entries.iter().map(|(n, (_, i))| (n, i))
    }

    fn insert(&mut self, name: &[u8], inode: Arc<Inode>) {
        let cookie = self.next_cookie;
        self.next_cookie += 1;
        self.order.insert(cookie, name.to_vec());
        self.entries.insert(name.to_vec(), (cookie, inode));
    }

    fn remove(&mut self, name: &[u8]) -> Option<Arc<Inode>> {
        let (cookie, inode) = self.entries.remove(name)?;
        self.order.remove(&cookie);
        Some(inode)
    }

    /// Entries from position `pos` (0: `.`, 1: `..`, then cookies); see [`crate::file::FileOps::getdents`].
    pub fn list(&self, pos: u64, me: u64, parent: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> u64 {
        let mut pos = pos;
        if pos == 0 {
            if !emit(&DirEntry { ino: me, kind: g::DT_DIR as u8, name: b".", next: 1 }) {
                return pos;
            }
            pos = 1;
        }
        if pos == 1 {
            if !emit(&DirEntry { ino: parent, kind: g::DT_DIR as u8, name: b"..", next: FIRST_COOKIE }) {
                return pos;
            }
            pos = FIRST_COOKIE;
        }
        for (&cookie, name) in self.order.range(pos..) {
            let Some((_, inode)) = self.entries.get(name) else { continue };
            let kind = dt_type(inode.meta.lock().mode);
            if !emit(&DirEntry { ino: inode.ino, kind, name, next: cookie + 1 }) {
                return cookie;
            }
            pos = cookie + 1;
        }
        pos.max(self.next_cookie)
    }
}

/// The parent of a directory inode (itself for the root and for non-directories).
pub fn parent_of(dir: &Arc<Inode>) -> Arc<Inode> {
    match &dir.body {
        Body::Dir(d) => d.lock().parent.upgrade().unwrap_or_else(|| dir.clone()),
        Body::Proc(n) => n.parent().unwrap_or_else(|| dir.clone()),
        _ => dir.clone(),
    }
}

fn bump_nlink(inode: &Inode, up: bool) {
    let mut m = inode.meta.lock();
    m.nlink = if up { m.nlink.saturating_add(1) } else { m.nlink.saturating_sub(1) };
}

fn set_parent(child: &Arc<Inode>, parent: &Arc<Inode>, name: &[u8]) {
    if let Body::Dir(d) = &child.body {
        let mut d = d.lock();
        d.parent = Arc::downgrade(parent);
        d.name = name.to_vec();
    }
}

/// Add `child` as `name` in `dir` (a new inode, or a hard link when `link`): `EEXIST` if the
/// name is taken, `ENOENT` in a removed directory. Updates link counts and times.
pub fn add(dir: &Arc<Inode>, name: &[u8], child: &Arc<Inode>, link: bool) -> Result<(), Errno> {
    let mut d = dir.dir()?.lock();
    if d.removed {
        return Err(Errno::ENOENT);
    }
    if d.entries.contains_key(name) {
        return Err(Errno::EEXIST);
    }
    d.insert(name, child.clone());
    drop(d);
    if child.is_dir() {
        set_parent(child, dir, name);
        bump_nlink(dir, true);
    }
    if link {
        bump_nlink(child, true);
        child.touch_changed();
    }
    dir.touch_modified();
    Ok(())
}

/// Create a new inode named `name` in `dir` with `mode` (type and permissions), owner
/// `uid:gid` and `body`. The inode belongs to `dir`'s filesystem.
pub fn create(dir: &Arc<Inode>, name: &[u8], mode: u32, uid: u32, gid: u32, body: Body) -> Result<Arc<Inode>, Errno> {
    {
        let d = dir.dir()?.lock();
        if d.removed {
            return Err(Errno::ENOENT);
        }
        if d.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
    }
    // A directory's group comes from a set-gid parent, which also passes the bit on.
    let (pmode, pgid) = {
        let m = dir.meta.lock();
        (m.mode, m.gid)
    };
    let (gid, mode) = if pmode & g::S_ISGID != 0 {
        (pgid, if mode & g::S_IFMT == g::S_IFDIR { mode | g::S_ISGID } else { mode })
    } else {
        (gid, mode)
    };
    let inode = Inode::new(&dir.sb, mode, uid, gid, body)?;
    add(dir, name, &inode, false)?;
    Ok(inode)
}

/// Remove the non-directory `name` from `dir` (`unlink`): `EISDIR` for a directory.
pub fn unlink(dir: &Arc<Inode>, name: &[u8]) -> Result<(), Errno> {
    let mut d = dir.dir()?.lock();
    let child = d.get(name).cloned().ok_or(Errno::ENOENT)?;
    if child.is_dir() {
        return Err(Errno::EISDIR);
    }
    d.remove(name);
    drop(d);
    bump_nlink(&child, false);
    child.touch_changed();
    dir.touch_modified();
    Ok(())
}

/// Remove the empty directory `name` from `dir` (`rmdir`): `ENOTDIR`, `ENOTEMPTY`.
pub fn rmdir(dir: &Arc<Inode>, name: &[u8]) -> Result<(), Errno> {
    let mut d = dir.dir()?.lock();
    let child = d.get(name).cloned().ok_or(Errno::ENOENT)?;
    let cd = child.dir()?;
    {
        let mut c = cd.lock();
        if !c.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        c.removed = true;
    }
    d.remove(name);
    drop(d);
    child.meta.lock().nlink = 0;
    child.touch_changed();
    bump_nlink(dir, false);
    dir.touch_modified();
    Ok(())
}

/// Is `anc` `node` or one of its ancestors?
pub fn is_ancestor(anc: &Arc<Inode>, node: &Arc<Inode>) -> bool {
    let mut cur = node.clone();
    loop {
        if Arc::ptr_eq(&cur, anc) {
            return true;
        }
        let up = parent_of(&cur);
        if Arc::ptr_eq(&up, &cur) {
            return false;
        }
        cur = up;
    }
}

/// `renameat2` flags this filesystem knows.
pub const RENAME_FLAGS: u32 = g::RENAME_NOREPLACE | g::RENAME_EXCHANGE | g::RENAME_WHITEOUT;

/// Rename `odir/oname` to `ndir/nname` with `flags` (`RENAME_NOREPLACE`, `RENAME_EXCHANGE`),
/// checking what Linux's `do_renameat2` and `vfs_rename` check, in their order. The caller has
/// resolved both parents, checked the flag combination, the name types (`.`/`..`) and
/// trailing slashes of non-directories.
pub fn rename(odir: &Arc<Inode>, oname: &[u8], ndir: &Arc<Inode>, nname: &[u8], flags: u32) -> Result<(), Errno> {
    if !Arc::ptr_eq(&odir.sb, &ndir.sb) {
        return Err(Errno::EXDEV);
    }
    let old = odir.dir()?.lock().get(oname).cloned().ok_or(Errno::ENOENT)?;
    let new = ndir.dir()?.lock().get(nname).cloned();
    let exchange = flags & g::RENAME_EXCHANGE != 0;
    if exchange && new.is_none() {
        return Err(Errno::ENOENT);
    }
    if flags & g::RENAME_NOREPLACE != 0 && new.is_some() {
        return Err(Errno::EEXIST);
    }
    if flags & g::RENAME_WHITEOUT != 0 {
        return Err(Errno::EINVAL);
    }
    // lock_rename's traps: the source may not be an ancestor of the target's directory, and
    // the target may not be an ancestor of the source.
    if old.is_dir() && is_ancestor(&old, ndir) {
        return Err(Errno::EINVAL);
    }
    if let Some(n) = &new
        && n.is_dir()
        && is_ancestor(n, odir)
    {
        return Err(if exchange { Errno::EINVAL } else { Errno::ENOTEMPTY });
    }
    if let Some(n) = &new
        && Arc::ptr_eq(n, &old)
    {
        return Ok(());
    }
    let old_is_dir = old.is_dir();
    if let Some(n) = &new
        && !exchange
    {
        match (old_is_dir, n.is_dir()) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            (true, true) => {
                if !n.dir()?.lock().is_empty() {
                    return Err(Errno::ENOTEMPTY);
                }
            }
            _ => {}
        }
    }
    let same = Arc::ptr_eq(odir, ndir);
    if exchange {
        let new = new.ok_or(Errno::ENOENT)?;
        if same {
            let mut d = odir.dir()?.lock();
            let (oc, _) = d.entries.get(oname).cloned().ok_or(Errno::ENOENT)?;
            let (nc, _) = d.entries.get(nname).cloned().ok_or(Errno::ENOENT)?;
            d.entries.insert(oname.to_vec(), (oc, new.clone()));
            d.entries.insert(nname.to_vec(), (nc, old.clone()));
        } else {
            odir.dir()?.lock().entries.get_mut(oname).ok_or(Errno::ENOENT)?.1 = new.clone();
            ndir.dir()?.lock().entries.get_mut(nname).ok_or(Errno::ENOENT)?.1 = old.clone();
            if old_is_dir != new.is_dir() {
                // The directory changes parent: move one link from one parent to the other.
                let (gains, loses) = if old_is_dir { (ndir, odir) } else { (odir, ndir) };
                bump_nlink(gains, true);
                bump_nlink(loses, false);
            }
        }
        set_parent(&old, ndir, nname);
        set_parent(&new, odir, oname);
        old.touch_changed();
        new.touch_changed();
    } else {
        if let Some(n) = &new {
            ndir.dir()?.lock().remove(nname);
            if n.is_dir() {
                n.dir()?.lock().removed = true;
                n.meta.lock().nlink = 0;
                bump_nlink(ndir, false);
            } else {
                bump_nlink(n, false);
            }
            n.touch_changed();
        }
        odir.dir()?.lock().remove(oname);
        ndir.dir()?.lock().insert(nname, old.clone());
        if old_is_dir {
            set_parent(&old, ndir, nname);
            if !same {
                bump_nlink(odir, false);
                bump_nlink(ndir, true);
            }
        }
        old.touch_changed();
    }
    odir.touch_modified();
    if !same {
        ndir.touch_modified();
    }
    Ok(())
}
