//! What goes into the initrd handed to the kernel (docs/boot-protocol.md, "initrd").
//!
//! - [`GuestBinary::open`] checks a program on the host (exists, readable, regular file, ELF
//!   magic) and remembers its canonical path; deeper ELF checks are the kernel loader's.
//! - [`Tree`] is the guest's file tree as a plan: guest path -> directory, symlink, or host file
//!   to copy (metadata only, never file contents). [`Tree::add_root`] (`--root DIR`),
//!   [`Tree::add`] (`--add HOST[:GUEST]`, parsed by [`parse_add`]) and [`Tree::place_program`]
//!   (BINARY) fill it, later sources winning over earlier ones; symlinks already in the plan
//!   are followed the way the guest will follow them.
//! - [`Initrd`] is the whole content: the tree, then `.elfin/exe`, `.elfin/argv`, `.elfin/envp`
//!   and, when stdin is not a terminal, `.elfin/stdin`. [`Initrd::write`] streams it through
//!   `cpio.rs`, copying one host file at a time.
//! - [`parse_env`] validates one `--env K=V`.

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cpio::{CpioWriter, Member, S_IFDIR, S_IFLNK, S_IFREG};

/// The four bytes every ELF file starts with.
pub const ELF_MAGIC: [u8; 4] = *b"\x7fELF";
/// The guest directory the CLI's own files go into; no source may put anything there.
pub const RESERVED: &[u8] = b".elfin";
/// Symlinks followed while resolving one guest path before giving up (Linux's limit).
const MAX_SYMLINKS: u32 = 40;

/// The application binary, checked.
#[derive(Debug)]
pub struct GuestBinary {
    /// Canonical absolute host path.
    pub canonical: PathBuf,
    /// Permission bits.
    pub perm: u32,
    /// Modification time (seconds since the epoch, clamped to u32).
    pub mtime: u32,
    /// (device, inode) when the file has other hard links.
    link: Option<(u64, u64)>,
}

impl GuestBinary {
    /// Opens `path` (as the user typed it) and checks that it is a readable regular ELF file.
    /// Error messages read `<path>: <reason>`.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = path.display();
        let mut file =
            File::open(path).map_err(|e| anyhow::anyhow!("{shown}: {}", os_error_text(&e)))?;
        let meta = file
            .metadata()
            .map_err(|e| anyhow::anyhow!("{shown}: {}", os_error_text(&e)))?;
        if meta.is_dir() {
            bail!("{shown}: Is a directory");
        }
        if !meta.is_file() {
            bail!("{shown}: not a regular file");
        }
        let mut magic = [0u8; 4];
        let is_elf = match file.read_exact(&mut magic) {
            Ok(()) => magic == ELF_MAGIC,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => false,
            Err(e) => bail!("{shown}: {}", os_error_text(&e)),
        };
        if !is_elf {
            bail!("{shown}: not an ELF executable");
        }
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| anyhow::anyhow!("{shown}: {}", os_error_text(&e)))?;
        Ok(Self {
            canonical,
            perm: meta.permissions().mode() & 0o7777,
            mtime: mtime_of(&meta),
            link: link_key(&meta),
        })
    }
}

/// The text of an I/O error without Rust's " (os error N)" suffix, like `strerror`.
pub fn os_error_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Validates one `--env` argument: `K=V` with a non-empty `K` (K cannot contain `=` by
/// construction: the first `=` ends it). Returns it unchanged.
pub fn parse_env(arg: &OsStr) -> Result<OsString> {
    let bytes = arg.as_bytes();
    match bytes.iter().position(|&b| b == b'=') {
        Some(0) => bail!(
            "--env {}: the variable name is empty (expected K=V)",
            arg.display()
        ),
        Some(_) => Ok(arg.to_os_string()),
        None => bail!("--env {}: expected K=V", arg.display()),
    }
}

/// One `--add HOST[:GUEST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddSpec {
    /// The host file or directory, as the user typed it.
    pub host: PathBuf,
    /// Where it goes in the guest: a cpio name (normalized, no leading `/`; empty = `/`).
    pub guest: Vec<u8>,
}

/// Parses `--add HOST[:GUEST]`. The last `:` separates GUEST, which must be absolute; without
/// one, GUEST is HOST's absolute path (made absolute against the current directory, not
/// resolved through symlinks). `.` and `..` in GUEST are resolved lexically.
pub fn parse_add(arg: &OsStr) -> Result<AddSpec> {
    let bytes = arg.as_bytes();
    let shown = arg.display();
    let (host, guest) = match bytes.iter().rposition(|&b| b == b':') {
        Some(i) => {
            let guest = &bytes[i + 1..];
            if !guest.starts_with(b"/") {
                bail!(
                    "--add {shown}: GUEST `{}` is not an absolute path (expected HOST[:GUEST], \
                     e.g. ./data:/srv/data)",
                    String::from_utf8_lossy(guest)
                );
            }
            (
                PathBuf::from(OsStr::from_bytes(&bytes[..i])),
                guest.to_vec(),
            )
        }
        None => {
            let host = PathBuf::from(arg);
            let abs = std::path::absolute(&host)
                .with_context(|| format!("--add {shown}: cannot make the path absolute"))?;
            (host, abs.into_os_string().into_vec())
        }
    };
    if host.as_os_str().is_empty() {
        bail!("--add {shown}: HOST is empty (expected HOST[:GUEST])");
    }
    Ok(AddSpec {
        host,
        guest: normalize(&guest),
    })
}

/// `a/./b//c/../d` -> `a/b/d`, without a leading `/`; `..` at the top stays at the top.
fn normalize(path: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    parts.join(&b'/')
}

/// `dir/name` (or `name` when `dir` is the root).
fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    if dir.is_empty() {
        name.to_vec()
    } else {
        [dir, b"/", name].concat()
    }
}

/// Modification time in seconds, clamped to what a newc header holds.
fn mtime_of(meta: &Metadata) -> u32 {
    u32::try_from(meta.mtime().max(0)).unwrap_or(u32::MAX)
}

/// The identity of a regular file that has other hard links.
fn link_key(meta: &Metadata) -> Option<(u64, u64)> {
    (meta.is_file() && meta.nlink() > 1).then(|| (meta.dev(), meta.ino()))
}

/// One guest path of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Dir {
        perm: u32,
        mtime: u32,
    },
    /// Contents copied from `host` when the archive is written.
    File {
        host: PathBuf,
        perm: u32,
        mtime: u32,
        link: Option<(u64, u64)>,
    },
    Symlink {
        target: Vec<u8>,
        mtime: u32,
    },
}

/// Why a guest path could not be resolved in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResolveError {
    NotDir,
    Loop,
}

impl ResolveError {
    fn text(self) -> &'static str {
        match self {
            ResolveError::NotDir => "Not a directory",
            ResolveError::Loop => "Too many levels of symbolic links",
        }
    }
}

/// The guest's file tree, as a plan: cpio name -> what to store. Names sort parents first.
#[derive(Debug, Default)]
pub struct Tree {
    nodes: BTreeMap<Vec<u8>, Node>,
    /// Devices, FIFOs and sockets met in the sources and left out.
    skipped: Vec<PathBuf>,
}

impl Tree {
    pub fn new() -> Self {
        Self::default()
    }

    /// `--root DIR`: the contents of `dir` become the guest's `/`.
    pub fn add_root(&mut self, dir: &Path) -> Result<()> {
        let meta = std::fs::metadata(dir)
            .map_err(|e| anyhow::anyhow!("--root {}: {}", dir.display(), os_error_text(&e)))?;
        if !meta.is_dir() {
            bail!("--root {}: Not a directory", dir.display());
        }
        self.add_dir_contents(dir, b"")
    }

    /// `--add HOST[:GUEST]`: a file, or a directory merged into the guest directory GUEST.
    /// HOST itself is followed if it is a symlink; symlinks inside a directory are kept.
    pub fn add(&mut self, spec: &AddSpec) -> Result<()> {
        let host = &spec.host;
        let meta = std::fs::metadata(host)
            .map_err(|e| anyhow::anyhow!("--add {}: {}", host.display(), os_error_text(&e)))?;
        let guest_shown = format!("/{}", String::from_utf8_lossy(&spec.guest));
        let resolve_err = |e: ResolveError| {
            anyhow::anyhow!("--add {}: {guest_shown}: {}", host.display(), e.text())
        };
        if meta.is_dir() {
            let target = if spec.guest.is_empty() {
                Vec::new()
            } else {
                let parent_resolved = self.resolve(&spec.guest, false).map_err(resolve_err)?;
                let target = self.dir_target(&parent_resolved);
                self.insert(
                    &target,
                    Node::Dir {
                        perm: meta.mode() & 0o7777,
                        mtime: mtime_of(&meta),
                    },
                    host,
                )?;
                target
            };
            self.add_dir_contents(host, &target)
        } else if meta.is_file() {
            if spec.guest.is_empty() {
                bail!("--add {}: a file cannot be the guest's /", host.display());
            }
            let name = self.resolve(&spec.guest, false).map_err(resolve_err)?;
            // Open now: an unreadable file is reported before anything is built.
            File::open(host)
                .map_err(|e| anyhow::anyhow!("--add {}: {}", host.display(), os_error_text(&e)))?;
            let node = Node::File {
                host: host.clone(),
                perm: meta.mode() & 0o7777,
                mtime: mtime_of(&meta),
                link: link_key(&meta),
            };
            self.insert(&name, node, host)
        } else {
            bail!("--add {}: not a regular file or directory", host.display())
        }
    }

    /// Decides where the program runs from and returns its guest path (absolute).
    ///
    /// An absolute `binary` that the tree already holds (after following the tree's symlinks)
    /// runs from the tree, like `chroot DIR BINARY`. Otherwise `binary` is a host file, checked
    /// with [`GuestBinary::open`], and goes into the tree at its canonical host path, replacing
    /// what the tree has there.
    pub fn place_program(&mut self, binary: &Path) -> Result<Vec<u8>> {
        let bytes = binary.as_os_str().as_bytes();
        if let Some(rel) = bytes.strip_prefix(b"/")
            && let Ok(name) = self.resolve(&normalize(rel), true)
        {
            match self.nodes.get(&name) {
                Some(Node::File { host, .. }) => {
                    let host = host.clone();
                    GuestBinary::open(&host).with_context(|| {
                        format!("{} (found in the guest's tree)", binary.display())
                    })?;
                    return Ok([b"/", &name[..]].concat());
                }
                Some(Node::Dir { .. }) => {
                    bail!("{}: Is a directory (in the guest's tree)", binary.display())
                }
                _ => {}
            }
        }
        let bin = GuestBinary::open(binary)?;
        let rel = archive_path(&bin.canonical)?;
        let name = self.resolve(rel, false).map_err(|e| {
            anyhow::anyhow!(
                "{}: cannot place it at {} in the guest: {}",
                binary.display(),
                bin.canonical.display(),
                e.text()
            )
        })?;
        let node = Node::File {
            host: bin.canonical.clone(),
            perm: bin.perm,
            mtime: bin.mtime,
            link: bin.link,
        };
        self.insert(&name, node, &bin.canonical)?;
        Ok([b"/", &name[..]].concat())
    }

    /// Devices, FIFOs and sockets that were left out (the guest has its own /dev).
    pub fn skipped(&self) -> &[PathBuf] {
        &self.skipped
    }

    /// Number of guest paths in the plan.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Walks `host_dir` (not following symlinks) into the guest directory `guest_dir`.
    fn add_dir_contents(&mut self, host_dir: &Path, guest_dir: &[u8]) -> Result<()> {
        let listing = std::fs::read_dir(host_dir)
            .map_err(|e| anyhow::anyhow!("{}: {}", host_dir.display(), os_error_text(&e)))?;
        let mut children = Vec::new();
        for entry in listing {
            let entry = entry
                .map_err(|e| anyhow::anyhow!("{}: {}", host_dir.display(), os_error_text(&e)))?;
            children.push(entry.file_name());
        }
        children.sort();
        for child in children {
            let host = host_dir.join(&child);
            let err = |e: io::Error| anyhow::anyhow!("{}: {}", host.display(), os_error_text(&e));
            let meta = std::fs::symlink_metadata(&host).map_err(err)?;
            let name = join(guest_dir, child.as_bytes());
            let kind = meta.file_type();
            let perm = meta.mode() & 0o7777;
            let mtime = mtime_of(&meta);
            if kind.is_dir() {
                let target = self.dir_target(&name);
                self.insert(&target, Node::Dir { perm, mtime }, &host)?;
                self.add_dir_contents(&host, &target)?;
            } else if kind.is_file() {
                let link = link_key(&meta);
                let node = Node::File {
                    host: host.clone(),
                    perm,
                    mtime,
                    link,
                };
                self.insert(&name, node, &host)?;
            } else if kind.is_symlink() {
                let target = std::fs::read_link(&host).map_err(err)?;
                let node = Node::Symlink {
                    target: target.into_os_string().into_vec(),
                    mtime,
                };
                self.insert(&name, node, &host)?;
            } else if kind.is_block_device()
                || kind.is_char_device()
                || kind.is_fifo()
                || kind.is_socket()
            {
                self.skipped.push(host);
            }
        }
        Ok(())
    }

    /// Where a directory named `name` goes: into the directory a symlink at `name` points to
    /// (as `cp -r` into a tree would), else at `name` itself.
    fn dir_target(&self, name: &[u8]) -> Vec<u8> {
        if let Some(Node::Symlink { .. }) = self.nodes.get(name)
            && let Ok(resolved) = self.resolve(name, true)
            && let Some(Node::Dir { .. }) = self.nodes.get(&resolved)
        {
            return resolved;
        }
        name.to_vec()
    }

    /// Follows the plan's symlinks through `path` (a cpio name) the way the guest will:
    /// absolute targets from the guest's `/`, relative ones from the link's directory. The
    /// last component is followed only with `follow_last`. Missing components are fine (they
    /// will be created); a file in the middle is `NotDir`.
    fn resolve(&self, path: &[u8], follow_last: bool) -> Result<Vec<u8>, ResolveError> {
        let mut todo: Vec<Vec<u8>> = path
            .split(|&b| b == b'/')
            .rev()
            .map(<[u8]>::to_vec)
            .collect();
        let mut cur: Vec<Vec<u8>> = Vec::new();
        let mut hops = 0;
        while let Some(c) = todo.pop() {
            match &c[..] {
                b"" | b"." => continue,
                b".." => {
                    cur.pop();
                    continue;
                }
                _ => {}
            }
            cur.push(c);
            let last = todo.iter().all(|c| c.is_empty() || c == b".");
            let name = cur.join(&b'/');
            match self.nodes.get(&name) {
                Some(Node::Symlink { target, .. }) if !last || follow_last => {
                    hops += 1;
                    if hops > MAX_SYMLINKS {
                        return Err(ResolveError::Loop);
                    }
                    cur.pop();
                    if target.starts_with(b"/") {
                        cur.clear();
                    }
                    todo.extend(target.split(|&b| b == b'/').rev().map(<[u8]>::to_vec));
                }
                Some(Node::File { .. }) if !last => return Err(ResolveError::NotDir),
                _ => {}
            }
        }
        Ok(cur.join(&b'/'))
    }

    /// Puts `node` at `name` (already resolved): missing parents become directories (0755),
    /// a directory over a directory merges (the newer metadata wins), anything else replaces
    /// what was there, a directory's contents included. `source` names the host path in errors.
    fn insert(&mut self, name: &[u8], node: Node, source: &Path) -> Result<()> {
        if name.is_empty() {
            return Ok(()); // the guest's `/` itself is not an archive member
        }
        if name == RESERVED || name.starts_with(&[RESERVED, b"/"].concat()) {
            bail!(
                "{}: the guest path /{} is reserved for elfin's own files",
                source.display(),
                String::from_utf8_lossy(name)
            );
        }
        for parent in parent_dirs(name) {
            match self.nodes.get(parent) {
                None => {
                    self.nodes.insert(
                        parent.to_vec(),
                        Node::Dir {
                            perm: 0o755,
                            mtime: 0,
                        },
                    );
                }
                Some(Node::Dir { .. }) => {}
                Some(_) => bail!(
                    "{}: cannot place it at /{} in the guest: /{} is not a directory",
                    source.display(),
                    String::from_utf8_lossy(name),
                    String::from_utf8_lossy(parent)
                ),
            }
        }
        let was_dir = matches!(self.nodes.get(name), Some(Node::Dir { .. }));
        if was_dir && !matches!(node, Node::Dir { .. }) {
            let prefix = [name, b"/"].concat();
            let doomed: Vec<Vec<u8>> = self
                .nodes
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            for k in doomed {
                self.nodes.remove(&k);
            }
        }
        self.nodes.insert(name.to_vec(), node);
        Ok(())
    }

    /// Streams every member into `cpio`: directories with their link count (2 + subdirectories),
    /// symlinks with their target as data, files copied from the host one at a time. Files
    /// that are hard links of each other share an inode number and carry `c_nlink` = the number
    /// of their names in the archive; each name carries the full data.
    fn write_to<W: Write>(&self, cpio: &mut CpioWriter<W>) -> Result<()> {
        let mut subdirs: HashMap<&[u8], u32> = HashMap::new();
        let mut links: HashMap<(u64, u64), u32> = HashMap::new();
        for (name, node) in &self.nodes {
            match node {
                Node::Dir { .. } => {
                    if let Some(&parent) = parent_dirs(name).last() {
                        *subdirs.entry(parent).or_default() += 1;
                    }
                }
                Node::File { link: Some(k), .. } => *links.entry(*k).or_default() += 1,
                _ => {}
            }
        }
        let mut inos: HashMap<(u64, u64), u32> = HashMap::new();
        for (name, node) in &self.nodes {
            match node {
                Node::Dir { perm, mtime } => {
                    let nlink = 2 + subdirs.get(&name[..]).copied().unwrap_or(0);
                    let m = Member {
                        mode: S_IFDIR | perm,
                        ino: None,
                        nlink,
                        mtime: *mtime,
                    };
                    cpio.member(name, m, 0, &mut io::empty())?;
                }
                Node::Symlink { target, mtime } => {
                    let m = Member {
                        mode: S_IFLNK | 0o777,
                        ino: None,
                        nlink: 1,
                        mtime: *mtime,
                    };
                    cpio.member(name, m, target.len() as u64, &mut &target[..])?;
                }
                Node::File {
                    host,
                    perm,
                    mtime,
                    link,
                } => {
                    let err =
                        |e: io::Error| anyhow::anyhow!("{}: {}", host.display(), os_error_text(&e));
                    let mut file = File::open(host).map_err(err)?;
                    let size = file.metadata().map_err(err)?.len();
                    let (ino, nlink) = match link {
                        Some(k) if links[k] > 1 => {
                            let ino = *inos.entry(*k).or_insert_with(|| cpio.new_ino());
                            (Some(ino), links[k])
                        }
                        _ => (None, 1),
                    };
                    let m = Member {
                        mode: S_IFREG | perm,
                        ino,
                        nlink,
                        mtime: *mtime,
                    };
                    cpio.member(name, m, size, &mut file).map_err(|e| {
                        anyhow::anyhow!("archiving {}: {}", host.display(), os_error_text(&e))
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// Everything the initrd holds.
#[derive(Debug)]
pub struct Initrd {
    /// The guest's files (the program among them).
    pub tree: Tree,
    /// Guest path of the program, absolute (from [`Tree::place_program`]).
    pub exe: Vec<u8>,
    /// argv; argv[0] is BINARY as the user typed it.
    pub argv: Vec<OsString>,
    /// `K=V` strings from `--env`.
    pub envp: Vec<OsString>,
    /// All of stdin when it is not a terminal.
    pub stdin: Option<Vec<u8>>,
}

impl Initrd {
    /// Writes the archive: the tree (parents before children), then `.elfin/*`.
    pub fn write<W: Write>(&self, out: W) -> Result<W> {
        let mut cpio = CpioWriter::new(out);
        self.tree.write_to(&mut cpio)?;
        cpio.dir(RESERVED, 0o755)?;
        cpio.file(b".elfin/exe", 0o444, 0, &self.exe)?;
        cpio.file(b".elfin/argv", 0o444, 0, &nul_terminated(&self.argv))?;
        cpio.file(b".elfin/envp", 0o444, 0, &nul_terminated(&self.envp))?;
        if let Some(stdin) = &self.stdin {
            cpio.file(b".elfin/stdin", 0o444, 0, stdin)?;
        }
        Ok(cpio.finish()?)
    }
}

/// The cpio name of an absolute path: the path without its leading `/`.
pub fn archive_path(abs: &Path) -> Result<&[u8]> {
    let bytes = abs.as_os_str().as_bytes();
    match bytes.strip_prefix(b"/") {
        Some(rel) if !rel.is_empty() => Ok(rel),
        _ => bail!("{}: not an absolute file path", abs.display()),
    }
}

/// Every proper parent of a relative cpio path, outermost first: `a/b/c` gives `a`, `a/b`.
pub fn parent_dirs(rel: &[u8]) -> Vec<&[u8]> {
    rel.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'/')
        .map(|(i, _)| &rel[..i])
        .collect()
}

/// Each string followed by a NUL byte.
pub fn nul_terminated(items: &[OsString]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(item.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpio::{self, S_IFMT};
    use crate::tempdir::TempDir;
    use std::os::unix::fs::symlink;
    use std::time::{Duration, UNIX_EPOCH};

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    fn write_file(path: &Path, data: &[u8], mode: u32, mtime: u64) {
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).unwrap();
        }
        std::fs::write(path, data).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        set_mtime(path, mtime);
    }

    fn set_mtime(path: &Path, mtime: u64) {
        File::open(path)
            .unwrap()
            .set_modified(UNIX_EPOCH + Duration::from_secs(mtime))
            .unwrap();
    }

    /// A fake ELF program in `dir`.
    fn program(dir: &Path) -> PathBuf {
        let p = dir.join("prog");
        write_file(&p, b"\x7fELF fake program", 0o755, 1_000_000);
        p
    }

    fn initrd(tree: Tree, exe: Vec<u8>, stdin: Option<Vec<u8>>) -> Vec<cpio::Entry> {
        let spec = Initrd {
            tree,
            exe,
            argv: vec![os("prog"), os("a b")],
            envp: vec![os("HOME=/")],
            stdin,
        };
        cpio::parse(&spec.write(Vec::new()).unwrap()).unwrap()
    }

    fn names(entries: &[cpio::Entry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned())
            .collect()
    }

    fn find<'a>(entries: &'a [cpio::Entry], name: &str) -> &'a cpio::Entry {
        entries
            .iter()
            .find(|e| e.name == name.as_bytes())
            .unwrap_or_else(|| panic!("no {name} in {:?}", names(entries)))
    }

    /// A host tree with every kind of member:
    /// `etc/` (0750), `etc/conf` (0640), `bin/tool` (04755), `bin/ln1` + `bin/ln2` (hard
    /// links), `lib -> bin` and `abs -> /etc/conf` (symlinks), `empty/`.
    fn sample_root(dir: &Path) -> PathBuf {
        let root = dir.join("root");
        write_file(&root.join("etc/conf"), b"key=value\n", 0o640, 1_600_000_000);
        write_file(
            &root.join("bin/tool"),
            b"\x7fELF tool",
            0o4755,
            1_600_000_001,
        );
        write_file(&root.join("bin/ln1"), b"shared", 0o644, 1_600_000_002);
        std::fs::hard_link(root.join("bin/ln1"), root.join("bin/ln2")).unwrap();
        symlink("bin", root.join("lib")).unwrap();
        symlink("/etc/conf", root.join("abs")).unwrap();
        std::fs::create_dir(root.join("empty")).unwrap();
        std::fs::set_permissions(root.join("etc"), std::fs::Permissions::from_mode(0o750)).unwrap();
        for d in ["etc", "bin", "empty"] {
            set_mtime(&root.join(d), 1_500_000_000);
        }
        root
    }

    #[test]
    fn env_validation() {
        assert_eq!(parse_env(OsStr::new("A=1")).unwrap(), os("A=1"));
        assert_eq!(parse_env(OsStr::new("A=")).unwrap(), os("A="));
        assert_eq!(parse_env(OsStr::new("A=b=c")).unwrap(), os("A=b=c"));
        assert!(parse_env(OsStr::new("=1")).is_err());
        assert!(parse_env(OsStr::new("A")).is_err());
        assert!(parse_env(OsStr::new("")).is_err());
    }

    #[test]
    fn parents_and_archive_paths() {
        assert_eq!(parent_dirs(b"tmp/a/hello"), vec![&b"tmp"[..], b"tmp/a"]);
        assert_eq!(parent_dirs(b"hello"), Vec::<&[u8]>::new());
        assert_eq!(archive_path(Path::new("/tmp/hello")).unwrap(), b"tmp/hello");
        assert!(archive_path(Path::new("tmp/hello")).is_err());
        assert!(archive_path(Path::new("/")).is_err());
    }

    #[test]
    fn nul_terminated_lists() {
        assert_eq!(
            nul_terminated(&[os("./hi"), os(""), os("x y")]),
            b"./hi\0\0x y\0"
        );
        assert_eq!(nul_terminated(&[]), b"");
    }

    #[test]
    fn add_arguments() {
        let add = |s: &str| parse_add(OsStr::new(s));
        assert_eq!(
            add("data:/srv/./x//y/../data").unwrap(),
            AddSpec {
                host: "data".into(),
                guest: b"srv/x/data".to_vec()
            }
        );
        assert_eq!(add("a:b:/c").unwrap().host, PathBuf::from("a:b"));
        assert_eq!(add("/etc/hosts").unwrap().guest, b"etc/hosts");
        assert_eq!(add("d:/").unwrap().guest, b"");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            add("rel/f").unwrap().guest,
            normalize(cwd.join("rel/f").as_os_str().as_bytes())
        );
        let err = add("data:srv").unwrap_err().to_string();
        assert!(err.contains("GUEST `srv` is not an absolute path"), "{err}");
        assert!(add("x:").is_err());
        assert!(
            add(":/x")
                .unwrap_err()
                .to_string()
                .contains("HOST is empty")
        );
    }

    #[test]
    fn program_only_matches_the_protocol() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let prog = program(tmp.path());
        let canonical = std::fs::canonicalize(&prog).unwrap();
        let mut tree = Tree::new();
        let exe = tree.place_program(&prog).unwrap();
        assert_eq!(exe, canonical.as_os_str().as_bytes());
        let entries = initrd(tree, exe, Some(b"input\n".to_vec()));
        let rel = String::from_utf8(archive_path(&canonical).unwrap().to_vec()).unwrap();
        let mut expected: Vec<String> = parent_dirs(rel.as_bytes())
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        expected.push(rel.clone());
        for e in [
            ".elfin",
            ".elfin/exe",
            ".elfin/argv",
            ".elfin/envp",
            ".elfin/stdin",
        ] {
            expected.push(e.into());
        }
        assert_eq!(names(&entries), expected);
        assert_eq!(entries[0].mode, S_IFDIR | 0o755);
        let bin = find(&entries, &rel);
        assert_eq!(
            (bin.mode, bin.mtime, bin.nlink),
            (S_IFREG | 0o755, 1_000_000, 1)
        );
        assert_eq!(bin.data, b"\x7fELF fake program");
        assert_eq!(
            find(&entries, ".elfin/exe").data,
            canonical.as_os_str().as_bytes()
        );
        assert_eq!(find(&entries, ".elfin/argv").data, b"prog\0a b\0");
        assert_eq!(find(&entries, ".elfin/envp").data, b"HOME=/\0");
        assert_eq!(find(&entries, ".elfin/stdin").data, b"input\n");
    }

    #[test]
    fn stdin_entry_only_when_not_a_terminal() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let prog = program(tmp.path());
        let mut tree = Tree::new();
        let exe = tree.place_program(&prog).unwrap();
        let entries = initrd(tree, exe, None);
        assert_eq!(entries.last().unwrap().name, b".elfin/envp");
        let mut tree = Tree::new();
        let exe = tree.place_program(&prog).unwrap();
        let entries = initrd(tree, exe, Some(Vec::new()));
        assert_eq!(entries.last().unwrap().name, b".elfin/stdin");
        assert!(entries.last().unwrap().data.is_empty());
    }

    #[test]
    fn root_keeps_modes_times_symlinks_and_hard_links() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let root = sample_root(tmp.path());
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        // An absolute BINARY found in the root runs from there, through the root's symlinks.
        let exe = tree.place_program(Path::new("/lib/tool")).unwrap();
        assert_eq!(exe, b"/bin/tool");
        let entries = initrd(tree, exe, None);
        assert_eq!(
            names(&entries),
            [
                "abs",
                "bin",
                "bin/ln1",
                "bin/ln2",
                "bin/tool",
                "empty",
                "etc",
                "etc/conf",
                "lib",
                ".elfin",
                ".elfin/exe",
                ".elfin/argv",
                ".elfin/envp"
            ]
        );
        let etc = find(&entries, "etc");
        assert_eq!(
            (etc.mode, etc.mtime, etc.nlink),
            (S_IFDIR | 0o750, 1_500_000_000, 2)
        );
        let conf = find(&entries, "etc/conf");
        assert_eq!((conf.mode, conf.mtime), (S_IFREG | 0o640, 1_600_000_000));
        assert_eq!(conf.data, b"key=value\n");
        assert_eq!(find(&entries, "bin/tool").mode, S_IFREG | 0o4755);
        let lib = find(&entries, "lib");
        assert_eq!(
            (lib.mode & S_IFMT, lib.mode & 0o777, &lib.data[..]),
            (S_IFLNK, 0o777, &b"bin"[..])
        );
        assert_eq!(find(&entries, "abs").data, b"/etc/conf");
        let (ln1, ln2) = (find(&entries, "bin/ln1"), find(&entries, "bin/ln2"));
        assert_eq!(ln1.ino, ln2.ino, "hard links share an inode");
        assert_eq!((ln1.nlink, ln2.nlink), (2, 2));
        assert_eq!(
            (&ln1.data[..], &ln2.data[..]),
            (&b"shared"[..], &b"shared"[..]),
            "data in each"
        );
        let others: Vec<u32> = entries
            .iter()
            .filter(|e| e.nlink < 2 || e.mode & S_IFMT == S_IFDIR)
            .map(|e| e.ino)
            .collect();
        assert!(!others.contains(&ln1.ino));
        let mut unique = others.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            others.len(),
            "every other member has its own inode"
        );
        assert_eq!(find(&entries, ".elfin/exe").data, b"/bin/tool");
    }

    #[test]
    fn hard_link_outside_the_tree_is_a_plain_file() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let root = tmp.path().join("root");
        write_file(&root.join("f"), b"x", 0o644, 0);
        std::fs::hard_link(root.join("f"), tmp.path().join("outside")).unwrap();
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        tree.place_program(&program(tmp.path())).unwrap();
        let entries = initrd(tree, b"/x".to_vec(), None);
        assert_eq!(find(&entries, "f").nlink, 1);
    }

    #[test]
    fn adds_overlay_the_root_and_follow_its_symlinks() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let root = sample_root(tmp.path());
        let extra = tmp.path().join("extra");
        write_file(&extra.join("a"), b"A", 0o600, 7);
        write_file(&extra.join("sub/b"), b"B", 0o644, 8);
        let single = tmp.path().join("single");
        write_file(&single, b"new conf", 0o600, 9);
        let add = |s: String| parse_add(OsStr::new(&s)).unwrap();
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        // a file replaces the root's file; a directory merges into the root's directory
        // through the `lib -> bin` symlink; a file replaces a whole directory
        tree.add(&add(format!("{}:/etc/conf", single.display())))
            .unwrap();
        tree.add(&add(format!("{}:/lib", extra.display()))).unwrap();
        tree.add(&add(format!("{}:/empty", single.display())))
            .unwrap();
        tree.add(&add(format!("{}:/new/dir/", extra.display())))
            .unwrap();
        // a later add wins
        tree.add(&add(format!("{}:/new/dir/a", single.display())))
            .unwrap();
        let entries = initrd(tree, b"/bin/tool".to_vec(), None);
        assert_eq!(find(&entries, "etc/conf").data, b"new conf");
        assert_eq!(find(&entries, "etc/conf").mode, S_IFREG | 0o600);
        assert_eq!(find(&entries, "bin/a").data, b"A");
        assert_eq!(find(&entries, "bin/sub/b").data, b"B");
        assert_eq!(find(&entries, "bin").nlink, 3, "bin/sub counts");
        assert_eq!(
            find(&entries, "lib").mode & S_IFMT,
            S_IFLNK,
            "the symlink stays"
        );
        assert_eq!(find(&entries, "empty").mode, S_IFREG | 0o600);
        assert_eq!(
            find(&entries, "new").mode,
            S_IFDIR | 0o755,
            "missing parents are created"
        );
        assert_eq!(find(&entries, "new/dir/a").data, b"new conf");
        assert_eq!(find(&entries, "new/dir/sub/b").data, b"B");
        assert!(!names(&entries).iter().any(|n| n.starts_with("lib/")));
    }

    #[test]
    fn host_program_goes_to_its_canonical_path_unless_the_tree_has_it() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let root = sample_root(tmp.path());
        let prog = program(tmp.path());
        let canonical = std::fs::canonicalize(&prog).unwrap();
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        let n = tree.len();
        assert_eq!(
            tree.place_program(&prog).unwrap(),
            canonical.as_os_str().as_bytes()
        );
        assert!(tree.len() > n);
        // relative BINARY: always the host file
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        let cwd_rel = pathdiff(&prog);
        assert_eq!(
            tree.place_program(&cwd_rel).unwrap(),
            canonical.as_os_str().as_bytes()
        );
        // in the tree but not an ELF file, or a directory
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        let err = format!(
            "{:#}",
            tree.place_program(Path::new("/etc/conf")).unwrap_err()
        );
        assert!(
            err.contains("/etc/conf (found in the guest's tree)")
                && err.contains("not an ELF executable"),
            "{err}"
        );
        let err = tree
            .place_program(Path::new("/etc"))
            .unwrap_err()
            .to_string();
        assert_eq!(err, "/etc: Is a directory (in the guest's tree)");
    }

    /// `path` relative to the current directory (`../..` as needed).
    fn pathdiff(path: &Path) -> PathBuf {
        let cwd = std::env::current_dir().unwrap();
        let depth = cwd.components().count() - 1;
        let mut rel = PathBuf::new();
        for _ in 0..depth {
            rel.push("..");
        }
        rel.join(path.strip_prefix("/").unwrap())
    }

    #[test]
    fn bad_sources_are_clear_errors() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let file = tmp.path().join("file");
        write_file(&file, b"x", 0o644, 0);
        let mut tree = Tree::new();
        let missing = tmp.path().join("missing");
        assert_eq!(
            tree.add_root(&missing).unwrap_err().to_string(),
            format!("--root {}: No such file or directory", missing.display())
        );
        assert_eq!(
            tree.add_root(&file).unwrap_err().to_string(),
            format!("--root {}: Not a directory", file.display())
        );
        let add = |s: String| parse_add(OsStr::new(&s)).unwrap();
        assert_eq!(
            tree.add(&add(format!("{}:/x", missing.display())))
                .unwrap_err()
                .to_string(),
            format!("--add {}: No such file or directory", missing.display())
        );
        assert!(tree.add(&add(format!("{}:/", file.display()))).is_err());
        let err = tree
            .add(&add(format!("{}:/.elfin/x", file.display())))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/.elfin/x is reserved"), "{err}");
        // a file in the middle of a guest path, a symlink loop
        tree.add(&add(format!("{}:/f", file.display()))).unwrap();
        let err = tree
            .add(&add(format!("{}:/f/g", file.display())))
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("/f/g: Not a directory"), "{err}");
        let looping = tmp.path().join("loop");
        std::fs::create_dir(&looping).unwrap();
        symlink("b", looping.join("a")).unwrap();
        symlink("a", looping.join("b")).unwrap();
        tree.add(&add(format!("{}:/", looping.display()))).unwrap();
        let err = tree
            .add(&add(format!("{}:/a/x", file.display())))
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("Too many levels of symbolic links"), "{err}");
        // `.elfin` in a root
        let root = tmp.path().join("root");
        write_file(&root.join(".elfin/x"), b"", 0o644, 0);
        let err = Tree::new().add_root(&root).unwrap_err().to_string();
        assert!(err.contains("/.elfin is reserved"), "{err}");
    }

    #[test]
    fn special_files_are_left_out() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let root = tmp.path().join("root");
        std::fs::create_dir(&root).unwrap();
        nix::unistd::mkfifo(
            &root.join("fifo"),
            nix::sys::stat::Mode::from_bits_truncate(0o600),
        )
        .unwrap();
        write_file(&root.join("f"), b"", 0o644, 0);
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        assert_eq!(tree.skipped(), [root.join("fifo")]);
        assert_eq!(tree.len(), 1);
    }

    #[test]
    fn large_files_are_streamed() {
        // 8 MiB through a reader: the archive holds it, nothing else is kept around.
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let root = tmp.path().join("root");
        let big: Vec<u8> = (0..8u32 << 20).map(|i| (i % 251) as u8).collect();
        write_file(&root.join("big"), &big, 0o644, 0);
        let mut tree = Tree::new();
        tree.add_root(&root).unwrap();
        let entries = initrd(tree, b"/big".to_vec(), None);
        assert_eq!(find(&entries, "big").data, big);
    }

    #[test]
    fn binary_checks() {
        let tmp = TempDir::new("elfin-initrd-test").unwrap();
        let dir = tmp.path();
        let text = dir.join("text");
        std::fs::write(&text, "#!/bin/sh\n").unwrap();
        let short = dir.join("short");
        std::fs::write(&short, "\x7fE").unwrap();
        let elf = dir.join("elf");
        std::fs::write(&elf, b"\x7fELF\x02\x01\x01").unwrap();

        let msg = |p: &Path| GuestBinary::open(p).unwrap_err().to_string();
        assert_eq!(
            msg(&text),
            format!("{}: not an ELF executable", text.display())
        );
        assert_eq!(
            msg(&short),
            format!("{}: not an ELF executable", short.display())
        );
        assert_eq!(
            msg(&dir.join("missing")),
            format!(
                "{}: No such file or directory",
                dir.join("missing").display()
            )
        );
        assert_eq!(msg(dir), format!("{}: Is a directory", dir.display()));
        let bin = GuestBinary::open(&dir.join(".").join("elf")).unwrap();
        assert_eq!(bin.canonical, std::fs::canonicalize(&elf).unwrap());
        assert_eq!(bin.perm, 0o644);
    }
}
