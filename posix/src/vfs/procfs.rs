//! `/proc`: nodes generated on lookup, contents generated on open (a snapshot read like a
//! file), from what the caller's [`ProcSource`] shows: the process (descriptors, executable,
//! argv, environment, credentials) and the kernel (memory regions, memory, uptime).
//!
//! Layout: `self` -> `<pid>`, `thread-self`, `<pid>/{exe,cwd,root,fd/N}` (magic links that
//! jump to the inode), `<pid>/{maps,status,stat,statm,cmdline,environ,comm,mounts,limits}`,
//! `meminfo`, `cpuinfo`, `uptime`, `version`, `loadavg`, `stat`, `filesystems`, `mounts`, and a
//! few `sys/` values programs commonly read.

use super::inode::{Body, FsKind, Inode, Meta, Superblock};
use super::path::Follow;
use crate::fd::FileRef;
use crate::file::{DirEntry, FileOps, SeekKind, Stat};
use crate::mm::{Region, RegionKind};
use crate::process::Process;
use alloc::format;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::fmt::Write;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// A memory region with what backs it, for `/proc/self/maps`.
#[derive(Debug, Clone)]
pub struct MapInfo {
    /// The region.
    pub region: Region,
    /// For a file mapping: `(dev, ino, offset of the region start, path)`.
    pub file: Option<(u64, u64, u64, Vec<u8>)>,
}

/// Memory figures for `/proc/meminfo`.
#[derive(Debug, Clone, Copy, Default)]
pub struct MemInfo {
    /// Usable RAM.
    pub total: u64,
    /// RAM not in use.
    pub free: u64,
}

/// What procfs shows of the calling process and the kernel.
pub trait ProcSource {
    /// The process.
    fn process(&self) -> &Process;
    /// Its memory regions.
    fn regions(&self) -> Vec<MapInfo>;
    /// Memory figures.
    fn mem(&self) -> MemInfo;
    /// Nanoseconds since boot.
    fn uptime_ns(&self) -> u64;
    /// Number of CPUs.
    fn cpus(&self) -> usize {
        1
    }
}

/// Generated files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcFile {
    /// `<pid>/maps`
    Maps,
    /// `<pid>/status`
    Status,
    /// `<pid>/stat`
    PidStat,
    /// `<pid>/statm`
    Statm,
    /// `<pid>/cmdline`
    Cmdline,
    /// `<pid>/environ`
    Environ,
    /// `<pid>/comm`
    Comm,
    /// `<pid>/mounts`
    Mounts,
    /// `<pid>/mountinfo`
    Mountinfo,
    /// `<pid>/limits`
    Limits,
    /// `meminfo`
    Meminfo,
    /// `cpuinfo`
    Cpuinfo,
    /// `uptime`
    Uptime,
    /// `version`
    Version,
    /// `loadavg`
    Loadavg,
    /// `stat`
    Stat,
    /// `filesystems`
    Filesystems,
    /// A fixed value under `sys/`.
    Fixed(&'static str),
}

/// What a procfs node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcKind {
    /// `/proc`
    Root,
    /// `/proc/<pid>`
    PidDir(i32),
    /// `/proc/<pid>/task`
    TaskDir(i32),
    /// `/proc/<pid>/task/<tid>`
    ThreadDir(i32, i32),
    /// `/proc/<pid>/fd`
    FdDir(i32),
    /// `/proc/<pid>/fd/<n>`
    FdLink(i32, i32),
    /// `/proc/<pid>/fdinfo`
    FdinfoDir(i32),
    /// `/proc/<pid>/fdinfo/<n>`
    Fdinfo(i32, i32),
    /// `/proc/<pid>/exe`
    Exe(i32),
    /// `/proc/<pid>/cwd`
    Cwd(i32),
    /// `/proc/<pid>/root`
    RootLink(i32),
    /// A plain symlink (`self`, `thread-self`, `mounts`).
    Link(Vec<u8>),
    /// A directory of `sys/` with fixed entries.
    SysDir(&'static [SysEntry]),
    /// A generated file of process `pid` (0: system-wide).
    File(i32, ProcFile),
}

/// An entry of a `sys/` directory.
#[derive(Debug, PartialEq, Eq)]
pub struct SysEntry {
    /// Name.
    pub name: &'static str,
    /// A subdirectory or a value.
    pub node: SysNode,
}

/// What a `sys/` entry is.
#[derive(Debug, PartialEq, Eq)]
pub enum SysNode {
    /// A directory.
    Dir(&'static [SysEntry]),
    /// A file with this contents.
    Value(&'static str),
}

/// The body of a procfs inode.
#[derive(Debug)]
pub struct ProcNode {
    /// What it is.
    pub kind: ProcKind,
    /// Name in its parent.
    pub name: Vec<u8>,
    parent: Option<Arc<Inode>>,
    /// `/proc` itself: the directory it is mounted on.
    mount_parent: Option<Weak<Inode>>,
}

impl ProcNode {
    /// The parent directory (`..`).
    pub fn parent(&self) -> Option<Arc<Inode>> {
        self.parent.clone().or_else(|| self.mount_parent.as_ref().and_then(Weak::upgrade))
    }
    /// `st_size` (0 for generated files, 64 for fd links, as Linux shows).
    pub fn stat_size(&self) -> u64 {
        match self.kind {
            ProcKind::FdLink(..) => 64,
            _ => 0,
        }
    }
}

const SYS_KERNEL: &[SysEntry] = &[
    SysEntry { name: "hostname", node: SysNode::Value("elfin\n") },
    SysEntry { name: "osrelease", node: SysNode::Value("6.1.0-elfin\n") },
    SysEntry { name: "ostype", node: SysNode::Value("Linux\n") },
    SysEntry { name: "pid_max", node: SysNode::Value("4194304\n") },
    SysEntry { name: "threads-max", node: SysNode::Value("63432\n") },
    SysEntry { name: "ngroups_max", node: SysNode::Value("65536\n") },
    SysEntry { name: "randomize_va_space", node: SysNode::Value("0\n") },
];
const SYS_VM: &[SysEntry] = &[
    SysEntry { name: "overcommit_memory", node: SysNode::Value("0\n") },
    SysEntry { name: "max_map_count", node: SysNode::Value("65530\n") },
];
const SYS_FS: &[SysEntry] = &[
    SysEntry { name: "pipe-max-size", node: SysNode::Value("1048576\n") },
    SysEntry { name: "file-max", node: SysNode::Value("9223372036854775807\n") },
    SysEntry { name: "nr_open", node: SysNode::Value("1048576\n") },
];
const SYS: &[SysEntry] = &[
    SysEntry { name: "fs", node: SysNode::Dir(SYS_FS) },
    SysEntry { name: "kernel", node: SysNode::Dir(SYS_KERNEL) },
    SysEntry { name: "vm", node: SysNode::Dir(SYS_VM) },
];

const ROOT_FILES: &[(&str, ProcFile)] = &[
    ("cpuinfo", ProcFile::Cpuinfo),
    ("filesystems", ProcFile::Filesystems),
    ("loadavg", ProcFile::Loadavg),
    ("meminfo", ProcFile::Meminfo),
    ("stat", ProcFile::Stat),
    ("uptime", ProcFile::Uptime),
    ("version", ProcFile::Version),
];

const PID_FILES: &[(&str, ProcFile)] = &[
    ("cmdline", ProcFile::Cmdline),
    ("comm", ProcFile::Comm),
    ("environ", ProcFile::Environ),
    ("limits", ProcFile::Limits),
    ("maps", ProcFile::Maps),
    ("mountinfo", ProcFile::Mountinfo),
    ("mounts", ProcFile::Mounts),
    ("stat", ProcFile::PidStat),
    ("statm", ProcFile::Statm),
    ("status", ProcFile::Status),
];

/// Create the `/proc` directory inode of `sb`, mounted on `parent`.
pub fn new_root(sb: &Arc<Superblock>, parent: &Arc<Inode>) -> Result<Arc<Inode>, Errno> {
    let node = ProcNode { kind: ProcKind::Root, name: b"proc".to_vec(), parent: None, mount_parent: Some(Arc::downgrade(parent)) };
    let i = Inode::new(sb, g::S_IFDIR | 0o555, 0, 0, Body::Proc(node))?;
    i.meta.lock().nlink = 3;
    Ok(i)
}

fn mode_of(kind: &ProcKind, src: &dyn ProcSource) -> u32 {
    match kind {
        ProcKind::Root | ProcKind::PidDir(_) | ProcKind::SysDir(_) | ProcKind::TaskDir(_) | ProcKind::ThreadDir(..) => g::S_IFDIR | 0o555,
        ProcKind::FdDir(_) | ProcKind::FdinfoDir(_) => g::S_IFDIR | 0o500,
        ProcKind::Fdinfo(..) => g::S_IFREG | 0o444,
        ProcKind::FdLink(_, fd) => {
            let perm = match src.process().fds.file(*fd) {
                Ok(f) => (if f.readable() { 0o400 } else { 0 }) | (if f.writable() { 0o200 } else { 0 }) | 0o100,
                Err(_) => 0o700,
            };
            g::S_IFLNK | perm
        }
        ProcKind::Exe(_) | ProcKind::Cwd(_) | ProcKind::RootLink(_) | ProcKind::Link(_) => g::S_IFLNK | 0o777,
        ProcKind::File(_, ProcFile::Environ) => g::S_IFREG | 0o400,
        ProcKind::File(_, ProcFile::Fixed(_)) => g::S_IFREG | 0o644,
        ProcKind::File(..) => g::S_IFREG | 0o444,
    }
}

/// A stable inode number for a node (procfs numbers are synthetic on Linux too).
fn ino_of(kind: &ProcKind, name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let tag: &[u8] = match kind {
        ProcKind::Root => return 1,
        ProcKind::PidDir(_) => b"pid",
        ProcKind::TaskDir(_) => b"task",
        ProcKind::ThreadDir(..) => b"thread",
        ProcKind::FdDir(_) => b"fddir",
        ProcKind::FdLink(..) => b"fd",
        ProcKind::FdinfoDir(_) => b"fdinfodir",
        ProcKind::Fdinfo(..) => b"fdinfo",
        ProcKind::Exe(_) => b"exe",
        ProcKind::Cwd(_) => b"cwd",
        ProcKind::RootLink(_) => b"root",
        ProcKind::Link(_) => b"link",
        ProcKind::SysDir(_) => b"sys",
        ProcKind::File(..) => b"file",
    };
    let pid = match kind {
        ProcKind::PidDir(p) | ProcKind::FdDir(p) | ProcKind::FdLink(p, _) | ProcKind::Exe(p) | ProcKind::Cwd(p) | ProcKind::RootLink(p) => *p,
        ProcKind::TaskDir(p) | ProcKind::FdinfoDir(p) => *p,
        ProcKind::Fdinfo(_, fd) => 0x10000 + *fd,
        ProcKind::ThreadDir(_, t) => *t,
        ProcKind::File(p, _) => *p,
        _ => 0,
    };
    for &b in tag.iter().chain(name).chain(&pid.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    (h >> 40) + 2
}

fn node(dir: &Arc<Inode>, kind: ProcKind, name: &[u8], src: &dyn ProcSource) -> Result<Arc<Inode>, Errno> {
    let mode = mode_of(&kind, src);
    let ino = ino_of(&kind, name);
    let nlink = if mode & g::S_IFMT == g::S_IFDIR { 2 } else { 1 };
    let m = *dir.meta.lock();
    let body = Body::Proc(ProcNode { kind, name: name.to_vec(), parent: Some(dir.clone()), mount_parent: None });
    let i = Arc::new(Inode {
        ino,
        sb: dir.sb.clone(),
        meta: Mutex::new(Meta { mode, uid: 0, gid: 0, nlink, rdev: 0, atime: m.atime, mtime: m.mtime, ctime: m.ctime, btime: m.btime }),
        body,
        locks: Mutex::new(Default::default()),
        xattrs: Mutex::new(Default::default()),
    });
    Ok(i)
}

fn parse_num(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 10 || (name[0] == b'0' && name.len() > 1) {
        return None;
    }
    let mut v: i64 = 0;
    for &c in name {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as i64;
    }
    i32::try_from(v).ok()
}

fn kind_of(dir: &Inode) -> Result<&ProcKind, Errno> {
    match &dir.body {
        Body::Proc(n) => Ok(&n.kind),
        _ => Err(Errno::ENOTDIR),
    }
}

/// Entries of a procfs directory: `(name, kind)`.
fn entries(kind: &ProcKind, src: &dyn ProcSource) -> Result<Vec<(Vec<u8>, ProcKind)>, Errno> {
    entries_opening(kind, src, false)
}

/// [`entries`]; `opening`: the listing is for a directory being opened, whose own descriptor
/// (the lowest free one) will exist when it is read, as Linux lists it.
fn entries_opening(kind: &ProcKind, src: &dyn ProcSource, opening: bool) -> Result<Vec<(Vec<u8>, ProcKind)>, Errno> {
    let p = src.process();
    let mut v: Vec<(Vec<u8>, ProcKind)> = Vec::new();
    match kind {
        ProcKind::Root => {
            for (n, f) in ROOT_FILES {
                v.push((n.as_bytes().to_vec(), ProcKind::File(0, *f)));
            }
            v.push((b"mounts".to_vec(), ProcKind::Link(b"self/mounts".to_vec())));
            v.push((b"self".to_vec(), ProcKind::Link(format!("{}", p.pid).into_bytes())));
            v.push((b"thread-self".to_vec(), ProcKind::Link(format!("{}/task/{}", p.pid, p.tid).into_bytes())));
            v.push((b"sys".to_vec(), ProcKind::SysDir(SYS)));
            v.push((format!("{}", p.pid).into_bytes(), ProcKind::PidDir(p.pid)));
        }
        ProcKind::PidDir(pid) | ProcKind::ThreadDir(pid, _) => {
            for (n, f) in PID_FILES {
                v.push((n.as_bytes().to_vec(), ProcKind::File(*pid, *f)));
            }
            v.push((b"cwd".to_vec(), ProcKind::Cwd(*pid)));
            v.push((b"exe".to_vec(), ProcKind::Exe(*pid)));
            v.push((b"fd".to_vec(), ProcKind::FdDir(*pid)));
            v.push((b"fdinfo".to_vec(), ProcKind::FdinfoDir(*pid)));
            v.push((b"root".to_vec(), ProcKind::RootLink(*pid)));
            if matches!(kind, ProcKind::PidDir(_)) {
                v.push((b"task".to_vec(), ProcKind::TaskDir(*pid)));
            }
        }
        ProcKind::TaskDir(pid) => {
            for &tid in p.threads.keys() {
                v.push((format!("{tid}").into_bytes(), ProcKind::ThreadDir(*pid, tid)));
            }
        }
        ProcKind::FdDir(pid) | ProcKind::FdinfoDir(pid) => {
            let info = matches!(kind, ProcKind::FdinfoDir(_));
            let mut fds = p.fds.open_fds();
            if opening && let Some(free) = (0..).find(|&i| p.fds.get(i).is_err()) {
                fds.push(free);
                fds.sort_unstable();
            }
            for fd in fds {
                let k = if info { ProcKind::Fdinfo(*pid, fd) } else { ProcKind::FdLink(*pid, fd) };
                v.push((format!("{fd}").into_bytes(), k));
            }
        }
        ProcKind::SysDir(list) => {
            for e in list.iter() {
                let k = match &e.node {
                    SysNode::Dir(d) => ProcKind::SysDir(d),
                    SysNode::Value(s) => ProcKind::File(0, ProcFile::Fixed(s)),
                };
                v.push((e.name.as_bytes().to_vec(), k));
            }
        }
        _ => return Err(Errno::ENOTDIR),
    }
    Ok(v)
}

/// Look `name` up in the procfs directory `dir`.
pub fn lookup(dir: &Arc<Inode>, name: &[u8], src: &dyn ProcSource) -> Result<Arc<Inode>, Errno> {
    let kind = kind_of(dir)?.clone();
    let pid = src.process().pid;
    let found = match &kind {
        // Only our own process exists; `/proc/<pid>` of another pid is ENOENT.
        ProcKind::Root if parse_num(name) == Some(pid) => Some(ProcKind::PidDir(pid)),
        ProcKind::FdDir(p) => parse_num(name).filter(|&fd| src.process().fds.file(fd).is_ok()).map(|fd| ProcKind::FdLink(*p, fd)),
        ProcKind::FdinfoDir(p) => parse_num(name).filter(|&fd| src.process().fds.file(fd).is_ok()).map(|fd| ProcKind::Fdinfo(*p, fd)),
        _ => entries(&kind, src)?.into_iter().find(|(n, _)| n == name).map(|(_, k)| k),
    };
    match found {
        Some(k) => node(dir, k, name, src),
        None => Err(Errno::ENOENT),
    }
}

fn fd_file(src: &dyn ProcSource, fd: i32) -> Result<FileRef, Errno> {
    src.process().fds.file(fd).map_err(|_| Errno::ENOENT)
}

/// The text `readlink` gives for a procfs link.
pub fn readlink(link: &Inode, src: &dyn ProcSource) -> Result<Vec<u8>, Errno> {
    let p = src.process();
    match kind_of(link).map_err(|_| Errno::EINVAL)? {
        ProcKind::Link(t) => Ok(t.clone()),
        ProcKind::Exe(_) => Ok(p.exe.clone()),
        ProcKind::Cwd(_) => super::path::dir_path(&p.fs.cwd).or_else(|_| {
            let mut v = b"/".to_vec();
            v.extend_from_slice(b" (deleted)");
            Ok(v)
        }),
        ProcKind::RootLink(_) => Ok(b"/".to_vec()),
        ProcKind::FdLink(_, fd) => Ok(fd_file(src, *fd)?.link_text()),
        _ => Err(Errno::EINVAL),
    }
}

/// Follow a procfs link: plain ones are paths, the process links jump to their inode.
pub fn follow(link: &Arc<Inode>, src: &dyn ProcSource) -> Result<Follow, Errno> {
    let p = src.process();
    match kind_of(link)? {
        ProcKind::Link(t) => Ok(Follow::Path(t.clone())),
        ProcKind::Exe(_) => Ok(Follow::Path(p.exe.clone())),
        ProcKind::Cwd(_) => Ok(Follow::Jump(p.fs.cwd.clone(), readlink(link, src)?)),
        ProcKind::RootLink(_) => Ok(Follow::Jump(p.fs.root.clone(), b"/".to_vec())),
        ProcKind::FdLink(_, fd) => {
            let f = fd_file(src, *fd)?;
            Ok(Follow::Jump(f.ops.inode().clone(), f.path.clone()))
        }
        _ => Err(Errno::EINVAL),
    }
}

/// A generated file, read from a snapshot taken at open.
pub struct ProcFileOps {
    inode: Arc<Inode>,
    data: Vec<u8>,
}

impl FileOps for ProcFileOps {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, _io: &mut dyn crate::file::Host, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let start = (off as usize).min(self.data.len());
        let n = buf.len().min(self.data.len() - start);
        buf[..n].copy_from_slice(&self.data[start..start + n]);
        Ok(n)
    }
    fn write(&self, _io: &mut dyn crate::file::Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EIO)
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Seq
    }
    fn size(&self) -> u64 {
        self.data.len() as u64
    }
    fn stat(&self) -> Stat {
        self.inode.stat()
    }
}

/// A procfs directory with its entries listed at open.
pub struct ProcDirOps {
    inode: Arc<Inode>,
    list: Vec<(Vec<u8>, u64, u8)>,
    parent_ino: u64,
}

impl FileOps for ProcDirOps {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, _io: &mut dyn crate::file::Host, _off: u64, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn write(&self, _io: &mut dyn crate::file::Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Dir
    }
    fn getdents(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64, Errno> {
        let mut pos = pos;
        if pos == 0 {
            if !emit(&DirEntry { ino: self.inode.ino, kind: g::DT_DIR as u8, name: b".", next: 1 }) {
                return Ok(0);
            }
            pos = 1;
        }
        if pos == 1 {
            if !emit(&DirEntry { ino: self.parent_ino, kind: g::DT_DIR as u8, name: b"..", next: 2 }) {
                return Ok(1);
            }
            pos = 2;
        }
        while let Some((name, ino, kind)) = self.list.get(pos as usize - 2) {
            if !emit(&DirEntry { ino: *ino, kind: *kind, name, next: pos + 1 }) {
                return Ok(pos);
            }
            pos += 1;
        }
        Ok(pos)
    }
}

/// Open a procfs inode: a directory listing or a file snapshot.
pub fn open(inode: &Arc<Inode>, src: &dyn ProcSource) -> Result<Arc<dyn FileOps>, Errno> {
    let kind = kind_of(inode)?.clone();
    match &kind {
        ProcKind::File(_, f) => Ok(Arc::new(ProcFileOps { inode: inode.clone(), data: generate(*f, src) })),
        ProcKind::Fdinfo(_, fd) => {
            let f = fd_file(src, *fd)?;
            let cloexec = src.process().fds.get(*fd).map(|e| e.cloexec).unwrap_or(false);
            let flags = f.flags() | if cloexec { g::O_CLOEXEC } else { 0 };
            let i = f.ops.inode();
            let mnt = match i.sb.kind {
                FsKind::Tmpfs => 1,
                FsKind::Devtmpfs => 2,
                FsKind::Proc => 3,
                _ => 4,
            };
            let data = format!("pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n", f.offset(), flags, mnt, i.ino).into_bytes();
            Ok(Arc::new(ProcFileOps { inode: inode.clone(), data }))
        }
        ProcKind::Root
        | ProcKind::PidDir(_)
        | ProcKind::FdDir(_)
        | ProcKind::FdinfoDir(_)
        | ProcKind::SysDir(_)
        | ProcKind::TaskDir(_)
        | ProcKind::ThreadDir(..) => {
            let list = entries_opening(&kind, src, true)?
                .into_iter()
                .map(|(name, k)| {
                    let ino = ino_of(&k, &name);
                    let t = (mode_of(&k, src) & g::S_IFMT) >> 12;
                    (name, ino, t as u8)
                })
                .collect();
            let parent_ino = super::dir::parent_of(inode).ino;
            Ok(Arc::new(ProcDirOps { inode: inode.clone(), list, parent_ino }))
        }
        _ => Err(Errno::ELOOP),
    }
}

fn comm(p: &Process) -> &[u8] {
    let base = p.exe.rsplit(|&c| c == b'/').next().unwrap_or(&p.exe);
    &base[..base.len().min(15)]
}

fn perms(r: &Region) -> String {
    let mut s = String::new();
    s.push(if r.prot & g::PROT_READ != 0 { 'r' } else { '-' });
    s.push(if r.prot & g::PROT_WRITE != 0 { 'w' } else { '-' });
    s.push(if r.prot & g::PROT_EXEC != 0 { 'x' } else { '-' });
    s.push(if r.shared { 's' } else { 'p' });
    s
}

fn maps(src: &dyn ProcSource) -> String {
    let p = src.process();
    let mut out = String::new();
    for m in src.regions() {
        let r = &m.region;
        let (dev, ino, off, name): (u64, u64, u64, Vec<u8>) = match (&m.file, r.kind) {
            (Some((d, i, o, n)), _) => (*d, *i, *o, n.clone()),
            (None, RegionKind::Image) => (0, 0, 0, p.exe.clone()),
            (None, RegionKind::Heap) => (0, 0, 0, b"[heap]".to_vec()),
            (None, RegionKind::Stack) => (0, 0, 0, b"[stack]".to_vec()),
            (None, _) => (0, 0, 0, Vec::new()),
        };
        let mut line = format!(
            "{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {}",
            r.start,
            r.end,
            perms(r),
            off,
            crate::file::major(dev),
            crate::file::minor(dev),
            ino
        );
        if !name.is_empty() {
            while line.len() < 73 {
                line.push(' ');
            }
            line.push_str(&String::from_utf8_lossy(&name));
        }
        line.push('\n');
        out.push_str(&line);
    }
    out
}

fn vm_kb(src: &dyn ProcSource) -> (u64, u64, u64) {
    let (mut size, mut data, mut stack) = (0, 0, 0);
    for m in src.regions() {
        let s = m.region.end - m.region.start;
        size += s;
        match m.region.kind {
            RegionKind::Stack => stack += s,
            RegionKind::Heap | RegionKind::Anon if !m.region.shared => data += s,
            _ => {}
        }
    }
    (size >> 10, data >> 10, stack >> 10)
}

fn status(src: &dyn ProcSource) -> String {
    let p = src.process();
    let (size, data, stack) = vm_kb(src);
    let c = &p.creds;
    let mut s = String::new();
    let _ = write!(s, "Name:\t{}\nUmask:\t{:04o}\nState:\tR (running)\n", String::from_utf8_lossy(comm(p)), p.umask);
    let _ = write!(s, "Tgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\n", p.pid, p.pid, p.ppid);
    let _ = write!(s, "Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n", c.uid, c.euid, c.euid, c.euid, c.gid, c.egid, c.egid, c.egid);
    let _ = write!(s, "FDSize:\t{}\nGroups:\t\n", p.fds.open_fds().last().map_or(64, |&m| (m as usize + 64) & !63));
    let _ = write!(s, "VmPeak:\t{size:8} kB\nVmSize:\t{size:8} kB\nVmLck:\t       0 kB\nVmPin:\t       0 kB\n");
    let _ = write!(s, "VmHWM:\t{size:8} kB\nVmRSS:\t{size:8} kB\nVmData:\t{data:8} kB\nVmStk:\t{stack:8} kB\n");
    let _ = write!(s, "Threads:\t1\nSigQ:\t0/63432\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n");
    let _ = write!(s, "SigBlk:\t{:016x}\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n", p.thread().sigmask);
    let _ = write!(s, "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n");
    let _ = write!(s, "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n");
    let cpus = src.cpus().max(1);
    let _ = write!(s, "Cpus_allowed:\t{:x}\nCpus_allowed_list:\t0-{}\n", (1u64 << cpus.min(63)) - 1, cpus - 1);
    let _ = write!(s, "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
    s
}

fn pid_stat(src: &dyn ProcSource) -> String {
    let p = src.process();
    let (size, _, _) = vm_kb(src);
    let start = 0;
    format!(
        "{} ({}) R {} {} {} 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 {} {} {} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
        p.pid,
        String::from_utf8_lossy(comm(p)),
        p.ppid,
        p.pid,
        p.pid,
        start,
        size * 1024,
        size / 4
    )
}

fn meminfo(src: &dyn ProcSource) -> String {
    let m = src.mem();
    let shmem = src.process().fs.vfs.budget.used();
    let (t, f, sh) = (m.total >> 10, m.free >> 10, shmem >> 10);
    let mut s = String::new();
    let _ = write!(s, "MemTotal:       {t:8} kB\nMemFree:        {f:8} kB\nMemAvailable:   {f:8} kB\n");
    let _ = write!(s, "Buffers:               0 kB\nCached:         {sh:8} kB\nSwapCached:            0 kB\n");
    let _ = write!(s, "Active:                0 kB\nInactive:              0 kB\nSwapTotal:             0 kB\n");
    let _ = write!(s, "SwapFree:              0 kB\nDirty:                 0 kB\nWriteback:             0 kB\n");
    let _ = write!(s, "AnonPages:             0 kB\nMapped:                0 kB\nShmem:          {sh:8} kB\n");
    let _ = write!(s, "CommitLimit:    {t:8} kB\nCommitted_AS:          0 kB\nHugePages_Total:       0\n");
    let _ = write!(s, "HugePages_Free:        0\nHugepagesize:       2048 kB\n");
    s
}

fn cpuinfo(src: &dyn ProcSource) -> String {
    let mut s = String::new();
    let n = src.cpus().max(1);
    for i in 0..n {
        let _ = write!(
            s,
            "processor\t: {i}\nvendor_id\t: Elfin\ncpu family\t: 6\nmodel\t\t: 0\nmodel name\t: Elfin virtual CPU\n\
             stepping\t: 0\ncpu MHz\t\t: 1000.000\ncache size\t: 512 KB\nphysical id\t: 0\nsiblings\t: {n}\n\
             core id\t\t: {i}\ncpu cores\t: {n}\napicid\t\t: {i}\nfpu\t\t: yes\nfpu_exception\t: yes\n\
             cpuid level\t: 13\nwp\t\t: yes\nflags\t\t: fpu tsc cx8 cmov mmx fxsr sse sse2 syscall nx lm pni ssse3 cx16 sse4_1 sse4_2 popcnt\n\
             bogomips\t: 2000.00\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 40 bits physical, 48 bits virtual\n\n"
        );
    }
    s
}

fn mounts() -> &'static str {
    "rootfs / tmpfs rw,relatime 0 0\ndevtmpfs /dev devtmpfs rw,relatime,mode=755 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
}

fn limits(p: &Process) -> String {
    const NAMES: [(&str, &str); 16] = [
        ("Max cpu time", "seconds"),
        ("Max file size", "bytes"),
        ("Max data size", "bytes"),
        ("Max stack size", "bytes"),
        ("Max core file size", "bytes"),
        ("Max resident set", "bytes"),
        ("Max processes", "processes"),
        ("Max open files", "files"),
        ("Max locked memory", "bytes"),
        ("Max address space", "bytes"),
        ("Max file locks", "locks"),
        ("Max pending signals", "signals"),
        ("Max msgqueue size", "bytes"),
        ("Max nice priority", ""),
        ("Max realtime priority", ""),
        ("Max realtime timeout", "us"),
    ];
    let mut s = format!("{:<25} {:<20} {:<20} {:<10}\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (i, (name, unit)) in NAMES.iter().enumerate() {
        let v = |x: u64| if x == u64::MAX { String::from("unlimited") } else { format!("{x}") };
        let r = p.rlimits[i];
        let _ = writeln!(s, "{:<25} {:<20} {:<20} {:<10}", name, v(r.cur), v(r.max), unit);
    }
    s
}

/// The contents of a generated file.
pub fn generate(f: ProcFile, src: &dyn ProcSource) -> Vec<u8> {
    let p = src.process();
    match f {
        ProcFile::Maps => maps(src).into_bytes(),
        ProcFile::Status => status(src).into_bytes(),
        ProcFile::PidStat => pid_stat(src).into_bytes(),
        ProcFile::Statm => {
            let (size, data, _) = vm_kb(src);
            format!("{} {} 0 0 0 {} 0\n", size / 4, size / 4, data / 4).into_bytes()
        }
        ProcFile::Cmdline => p.cmdline.clone(),
        ProcFile::Environ => p.environ.clone(),
        ProcFile::Comm => {
            let mut v = comm(p).to_vec();
            v.push(b'\n');
            v
        }
        ProcFile::Mounts => mounts().as_bytes().to_vec(),
        ProcFile::Mountinfo => {
            let v = &p.fs.vfs;
            let dev = |d: u64| format!("{}:{}", crate::file::major(d), crate::file::minor(d));
            format!(
                "1 1 {} / / rw,relatime shared:1 - tmpfs rootfs rw\n2 1 {} / /dev rw,relatime shared:2 - devtmpfs devtmpfs rw,mode=755\n3 1 {} / /proc rw,nosuid,nodev,noexec,relatime shared:3 - proc proc rw\n",
                dev(v.tmpfs.dev),
                dev(v.devfs.dev),
                dev(v.procfs.dev)
            )
            .into_bytes()
        }
        ProcFile::Limits => limits(p).into_bytes(),
        ProcFile::Meminfo => meminfo(src).into_bytes(),
        ProcFile::Cpuinfo => cpuinfo(src).into_bytes(),
        ProcFile::Uptime => {
            let ns = src.uptime_ns();
            let (s, cs) = (ns / 1_000_000_000, (ns / 10_000_000) % 100);
            format!("{s}.{cs:02} 0.00\n").into_bytes()
        }
        ProcFile::Version => b"Linux version 6.1.0-elfin (elfin@elfin) (rustc) #1 SMP PREEMPT Elfin unikernel\n".to_vec(),
        ProcFile::Loadavg => format!("0.00 0.00 0.00 1/1 {}\n", p.pid).into_bytes(),
        ProcFile::Stat => {
            let secs = src.uptime_ns() / 1_000_000_000;
            format!(
                "cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\nintr 0\nctxt 0\nbtime {}\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n",
                secs
            )
            .into_bytes()
        }
        ProcFile::Filesystems => b"nodev\ttmpfs\nnodev\tdevtmpfs\nnodev\tproc\nnodev\tpipefs\nnodev\tanon_inodefs\n".to_vec(),
        ProcFile::Fixed(s) => s.as_bytes().to_vec(),
    }
}

/// The superblock kind of procfs (for callers that build one).
pub const KIND: FsKind = FsKind::Proc;
