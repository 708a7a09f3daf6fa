//! Path resolution (Linux's namei): components, `.` and `..`, symlinks (at most
//! [`MAXSYMLINKS`] per resolution, then `ELOOP`), magic procfs links that jump straight to an
//! inode, `ENAMETOOLONG` for a component over [`NAME_MAX`], `ENOTDIR` when a non-directory is
//! walked through, and trailing slashes (which force following the last symlink and require
//! a directory).
//!
//! [`Resolver::walk_parent`] stops before the last component (for create, unlink, rename...);
//! [`Resolver::lookup`] resolves the whole path; [`Resolver::open_create`] is `open`'s
//! `O_CREAT` walk, which may follow a dangling symlink to create its target.

use super::dir::parent_of;
use super::inode::{Body, Inode, permission};
use super::procfs::{self, ProcSource};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use elfin_abi::Errno;

/// Linux's `PATH_MAX` (with the NUL).
pub const PATH_MAX: usize = 4096;
/// Linux's `NAME_MAX`.
pub const NAME_MAX: usize = 255;
/// Symlinks followed in one resolution before `ELOOP` (Linux's `MAXSYMLINKS`).
pub const MAXSYMLINKS: u32 = 40;

/// Where a symlink leads.
pub enum Follow {
    /// A path to walk from the link's directory (or the root, if absolute).
    Path(Vec<u8>),
    /// A procfs magic link: straight to this inode; the path is what `readlink` shows.
    Jump(Arc<Inode>, Vec<u8>),
}

/// The last component of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Last {
    /// A name.
    Name(Vec<u8>),
    /// `.`
    Dot,
    /// `..`
    DotDot,
    /// No component at all (`/`).
    Root,
}

/// A path walked up to its last component.
pub struct Parent {
    /// The directory that holds the last component.
    pub dir: Arc<Inode>,
    /// The last component.
    pub last: Last,
    /// The path ended with `/`.
    pub trailing: bool,
}

/// A fully resolved path.
#[derive(Debug)]
pub struct Resolved {
    /// The inode.
    pub inode: Arc<Inode>,
    /// The absolute path it was reached by (for `/proc/self/fd` and `/proc/self/maps`).
    pub path: Vec<u8>,
}

struct Seg {
    path: Vec<u8>,
    pos: usize,
}

impl Seg {
    fn next(&mut self) -> Option<(usize, usize)> {
        while self.pos < self.path.len() && self.path[self.pos] == b'/' {
            self.pos += 1;
        }
        if self.pos >= self.path.len() {
            return None;
        }
        let start = self.pos;
        while self.pos < self.path.len() && self.path[self.pos] != b'/' {
            self.pos += 1;
        }
        Some((start, self.pos))
    }
    fn at_end(&self) -> bool {
        self.path[self.pos..].iter().all(|&c| c == b'/')
    }
    fn trailing(&self) -> bool {
        self.pos < self.path.len()
    }
}

/// The absolute path of a directory inode (by its parent chain); `ENOENT` once removed.
pub fn dir_path(dir: &Arc<Inode>) -> Result<Vec<u8>, Errno> {
    dir_path_in(dir, None)
}

/// The path of a directory as a process with root `root` sees it (`getcwd`): relative to that
/// root, or prefixed with `(unreachable)` when the directory is outside it (after chroot).
pub fn dir_path_in(dir: &Arc<Inode>, root: Option<&Arc<Inode>>) -> Result<Vec<u8>, Errno> {
    let mut names: Vec<Vec<u8>> = Vec::new();
    let mut cur = dir.clone();
    let mut reached_root = root.is_none();
    loop {
        if let Some(r) = root
            && Arc::ptr_eq(&cur, r)
        {
            reached_root = true;
            break;
        }
        let (name, removed) = match &cur.body {
            Body::Dir(d) => {
                let d = d.lock();
                (d.name.clone(), d.removed)
            }
            Body::Proc(n) => (n.name.clone(), false),
            _ => return Err(Errno::ENOTDIR),
        };
        if removed {
            return Err(Errno::ENOENT);
        }
        let up = parent_of(&cur);
        if Arc::ptr_eq(&up, &cur) {
            break;
        }
        names.push(name);
        cur = up;
    }
    let mut out = Vec::new();
    if !reached_root {
        out.extend_from_slice(b"(unreachable)");
    }
    for n in names.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(n);
    }
    if out.is_empty() || !out.ends_with(b"/") && names.is_empty() {
        out.push(b'/');
    }
    Ok(out)
}

/// `dir`'s path joined with `name`.
pub fn join(dir: &Arc<Inode>, name: &[u8]) -> Vec<u8> {
    let mut p = dir_path(dir).unwrap_or_else(|_| b"/".to_vec());
    if !p.ends_with(b"/") {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Resolves paths for one caller: its root, its credentials, and what procfs shows.
pub struct Resolver<'a> {
    /// The process's root directory.
    pub root: Arc<Inode>,
    /// procfs's view of the caller (`None`: procfs shows nothing, e.g. while unpacking).
    pub proc: Option<&'a dyn ProcSource>,
    /// Effective user id (search permission).
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    links: u32,
    /// openat2's `RESOLVE_*` restrictions.
    resolve: u64,
    /// The directory `RESOLVE_BENEATH` keeps the walk under.
    scope: Option<Arc<Inode>>,
}

const RESOLVE_NO_XDEV: u64 = 0x01;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;
const RESOLVE_IN_ROOT: u64 = 0x10;

impl<'a> Resolver<'a> {
    /// A resolver rooted at `root`.
    pub fn new(root: Arc<Inode>, proc: Option<&'a dyn ProcSource>, uid: u32, gid: u32) -> Self {
        Resolver { root, proc, uid, gid, links: 0, resolve: 0, scope: None }
    }

    /// Apply openat2's `RESOLVE_*` flags for a walk from `start`: no symlinks, no magic
    /// links, no mount crossing, stay beneath `start`, or treat `start` as the root.
    pub fn restrict(&mut self, resolve: u64, start: &Arc<Inode>) {
        self.resolve = resolve;
        if resolve & RESOLVE_BENEATH != 0 {
            self.scope = Some(start.clone());
        }
        if resolve & RESOLVE_IN_ROOT != 0 {
            self.root = start.clone();
        }
    }

    fn scoped(&self) -> bool {
        self.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) != 0
    }

    /// Moving from `from` to `to`: `RESOLVE_NO_XDEV` refuses a change of filesystem.
    fn cross(&self, from: &Arc<Inode>, to: &Arc<Inode>) -> Result<(), Errno> {
        if self.resolve & RESOLVE_NO_XDEV != 0 && !Arc::ptr_eq(&from.sb, &to.sb) {
            return Err(Errno::EXDEV);
        }
        Ok(())
    }

    /// Look `name` up in `dir` (which must be a directory the caller may search).
    pub fn child(&self, dir: &Arc<Inode>, name: &[u8]) -> Result<Arc<Inode>, Errno> {
        match &dir.body {
            Body::Dir(_) | Body::Proc(_) if dir.is_dir() => {}
            _ => return Err(Errno::ENOTDIR),
        }
        permission(dir, self.uid, self.gid, 1)?;
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        match &dir.body {
            Body::Dir(d) => d.lock().get(name).cloned().ok_or(Errno::ENOENT),
            Body::Proc(_) => self.proc.map_or(Err(Errno::ENOENT), |p| procfs::lookup(dir, name, p)),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Follow one symlink, counting it against [`MAXSYMLINKS`].
    pub fn follow(&mut self, link: &Arc<Inode>) -> Result<Follow, Errno> {
        self.links += 1;
        if self.links > MAXSYMLINKS || self.resolve & RESOLVE_NO_SYMLINKS != 0 {
            return Err(Errno::ELOOP);
        }
        let f = match &link.body {
            Body::Symlink(t) => Follow::Path(t.clone()),
            Body::Proc(_) => self.proc.map_or(Err(Errno::ENOENT), |p| procfs::follow(link, p))?,
            _ => return Err(Errno::EINVAL),
        };
        match &f {
            Follow::Jump(..) if self.resolve & RESOLVE_NO_MAGICLINKS != 0 => Err(Errno::ELOOP),
            Follow::Jump(..) if self.scoped() => Err(Errno::EXDEV),
            Follow::Path(t) if t.first() == Some(&b'/') && self.resolve & RESOLVE_BENEATH != 0 => Err(Errno::EXDEV),
            _ => Ok(f),
        }
    }

    fn up(&self, dir: &Arc<Inode>) -> Result<Arc<Inode>, Errno> {
        if let Some(s) = &self.scope
            && Arc::ptr_eq(dir, s)
        {
            return Err(Errno::EXDEV);
        }
        Ok(if Arc::ptr_eq(dir, &self.root) { dir.clone() } else { parent_of(dir) })
    }

    /// Walk `path` from `start` (ignored for absolute paths) to its last component. Empty
    /// paths are `ENOENT`; the caller handles `AT_EMPTY_PATH`.
    pub fn walk_parent(&mut self, start: &Arc<Inode>, path: &[u8]) -> Result<Parent, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if path[0] == b'/' && self.resolve & RESOLVE_BENEATH != 0 {
            return Err(Errno::EXDEV);
        }
        let mut cur = if path[0] == b'/' { self.root.clone() } else { start.clone() };
        let mut stack = vec![Seg { path: path.to_vec(), pos: 0 }];
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(Parent { dir: cur, last: Last::Root, trailing: true });
            };
            let Some((s, e)) = top.next() else {
                stack.pop();
                if stack.is_empty() {
                    // Only slashes: the path names the directory we are in.
                    return Ok(Parent { dir: cur, last: Last::Root, trailing: true });
                }
                continue;
            };
            let comp = top.path[s..e].to_vec();
            let trailing = top.trailing();
            let last = stack.iter().all(Seg::at_end);
            if !cur.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if last {
                let last = match &comp[..] {
                    b"." => Last::Dot,
                    b".." => Last::DotDot,
                    _ => Last::Name(comp),
                };
                return Ok(Parent { dir: cur, last, trailing });
            }
            match &comp[..] {
                b"." => permission(&cur, self.uid, self.gid, 1)?,
                b".." => {
                    permission(&cur, self.uid, self.gid, 1)?;
                    let up = self.up(&cur)?;
                    self.cross(&cur, &up)?;
                    cur = up;
                }
                name => {
                    let child = self.child(&cur, name)?;
                    self.cross(&cur, &child)?;
                    if child.is_symlink() {
                        match self.follow(&child)? {
                            Follow::Jump(i, _) => cur = i,
                            Follow::Path(t) => {
                                if t.is_empty() {
                                    return Err(Errno::ENOENT);
                                }
                                if t[0] == b'/' {
                                    cur = self.root.clone();
                                }
                                stack.push(Seg { path: t, pos: 0 });
                            }
                        }
                    } else {
                        cur = child;
                    }
                }
            }
        }
    }

    /// The inode a [`Parent`]'s last component names, without following a final symlink.
    fn last_inode(&self, p: &Parent) -> Result<Arc<Inode>, Errno> {
        match &p.last {
            Last::Root | Last::Dot => Ok(p.dir.clone()),
            Last::DotDot => {
                permission(&p.dir, self.uid, self.gid, 1)?;
                self.up(&p.dir)
            }
            Last::Name(n) => {
                let i = self.child(&p.dir, n)?;
                self.cross(&p.dir, &i)?;
                Ok(i)
            }
        }
    }

    fn path_of(p: &Parent, inode: &Arc<Inode>) -> Vec<u8> {
        match &p.last {
            Last::Name(n) if !inode.is_dir() => join(&p.dir, n),
            _ => dir_path(inode).unwrap_or_else(|_| match &p.last {
                Last::Name(n) => join(&p.dir, n),
                _ => b"/".to_vec(),
            }),
        }
    }

    /// Resolve `path` from `start`; `follow`: follow a final symlink (always done with a
    /// trailing slash, which also requires a directory).
    pub fn lookup(&mut self, start: &Arc<Inode>, path: &[u8], follow: bool) -> Result<Resolved, Errno> {
        let mut p = self.walk_parent(start, path)?;
        loop {
            let inode = self.last_inode(&p)?;
            if inode.is_symlink() && (follow || p.trailing) {
                match self.follow(&inode)? {
                    Follow::Jump(i, path) => {
                        if p.trailing && !i.is_dir() {
                            return Err(Errno::ENOTDIR);
                        }
                        return Ok(Resolved { inode: i, path });
                    }
                    Follow::Path(t) => {
                        if t.is_empty() {
                            return Err(Errno::ENOENT);
                        }
                        let trailing = p.trailing;
                        let from = p.dir.clone();
                        p = self.walk_parent(&from, &t)?;
                        p.trailing |= trailing;
                        continue;
                    }
                }
            }
            if p.trailing && !inode.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            let path = Self::path_of(&p, &inode);
            return Ok(Resolved { inode, path });
        }
    }

    /// `open`'s walk with `O_CREAT`: the existing inode (following a final symlink unless
    /// `nofollow`, which gives `ELOOP`), or `Err(Parent)`-like creation data: the directory and
    /// name to create in. `EISDIR` for a trailing slash or a `.`/`..`/`/` last component,
    /// `EEXIST` with `excl` when the name exists (even as a dangling symlink).
    pub fn open_create(&mut self, start: &Arc<Inode>, path: &[u8], excl: bool, nofollow: bool) -> Result<Created, Errno> {
        let mut p = self.walk_parent(start, path)?;
        loop {
            let name = match &p.last {
                Last::Name(n) if !p.trailing => n.clone(),
                _ => return Err(Errno::EISDIR),
            };
            match self.child(&p.dir, &name) {
                Err(Errno::ENOENT) => return Ok(Created::New { dir: p.dir, name }),
                Err(e) => return Err(e),
                Ok(_) if excl => return Err(Errno::EEXIST),
                Ok(i) if i.is_symlink() => {
                    if nofollow {
                        return Err(Errno::ELOOP);
                    }
                    match self.follow(&i)? {
                        Follow::Jump(j, path) => return Ok(Created::Existing(Resolved { inode: j, path })),
                        Follow::Path(t) => {
                            if t.is_empty() {
                                return Err(Errno::ENOENT);
                            }
                            let from = p.dir.clone();
                            p = self.walk_parent(&from, &t)?;
                        }
                    }
                }
                Ok(i) => {
                    let path = Self::path_of(&p, &i);
                    return Ok(Created::Existing(Resolved { inode: i, path }));
                }
            }
        }
    }
}

/// What [`Resolver::open_create`] found.
pub enum Created {
    /// The path exists.
    Existing(Resolved),
    /// Create `name` in `dir`.
    New {
        /// The directory.
        dir: Arc<Inode>,
        /// The name.
        name: Vec<u8>,
    },
}
