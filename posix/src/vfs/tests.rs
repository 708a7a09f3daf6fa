//! Host tests of the VFS: building the tree, unpacking an initrd, path resolution, the
//! namespace operations and procfs, against a fake procfs source.

use super::dir;
use super::files::open_inode;
use super::inode::{Body, Inode, ZeroClock};
use super::path::{Created, Last, Resolver};
use super::procfs::{MapInfo, MemInfo, ProcSource};
use super::{Vfs, initrd};
use crate::fd::{FdEntry, OpenFile};
use crate::file::{DirEntry, FileOps, Host, HostClock, Stream};
use crate::process::Process;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;

struct Src(Process);

impl ProcSource for Src {
    fn process(&self) -> &Process {
        &self.0
    }
    fn regions(&self) -> Vec<MapInfo> {
        Vec::new()
    }
    fn mem(&self) -> MemInfo {
        MemInfo { total: 128 << 20, free: 100 << 20 }
    }
    fn uptime_ns(&self) -> u64 {
        1_500_000_000
    }
}

struct NoHost;

impl Host for NoHost {
    fn now_ns(&mut self, _: HostClock) -> u64 {
        0
    }
    fn random(&mut self, buf: &mut [u8]) {
        buf.fill(7);
    }
    fn console_write(&mut self, _: Stream, _: &[u8], _: bool) {}
    fn console_read(&mut self, _: &mut [u8]) -> usize {
        0
    }
    fn mem(&self) -> &dyn elfin_abi::UserMemory {
        self
    }
}

impl elfin_abi::UserMemory for NoHost {
    fn read_bytes(&self, _: u64, _: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::EFAULT)
    }
    fn write_bytes(&self, _: u64, _: &[u8]) -> Result<(), Errno> {
        Err(Errno::EFAULT)
    }
}

fn vfs() -> Arc<Vfs> {
    let v = Vfs::new(Arc::new(ZeroClock), 16 << 20).unwrap();
    v.add_defaults().unwrap();
    v
}

fn lookup(v: &Vfs, path: &str, follow: bool) -> Result<Arc<Inode>, Errno> {
    let mut r = Resolver::new(v.root.clone(), None, 0, 0);
    r.lookup(&v.root, path.as_bytes(), follow).map(|x| x.inode)
}

fn mkfile(v: &Vfs, dirpath: &str, name: &str, data: &[u8]) -> Arc<Inode> {
    let d = lookup(v, dirpath, true).unwrap();
    let f = dir::create(&d, name.as_bytes(), g::S_IFREG | 0o644, 0, 0, v.file_body()).unwrap();
    f.data().unwrap().lock().write(0, data).unwrap();
    f
}

fn mkdir(v: &Vfs, dirpath: &str, name: &str) -> Arc<Inode> {
    let d = lookup(v, dirpath, true).unwrap();
    dir::create(&d, name.as_bytes(), g::S_IFDIR | 0o755, 0, 0, Body::Dir(Default::default())).unwrap()
}

fn names(ops: &dyn FileOps) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    ops.getdents(0, &mut |e: &DirEntry| {
        out.push(e.name.to_vec());
        true
    })
    .unwrap();
    out
}

#[test]
fn fresh_tree_has_tmp_dev_proc_etc() {
    let v = vfs();
    assert_eq!(lookup(&v, "/tmp", true).unwrap().meta.lock().mode, g::S_IFDIR | 0o1777);
    assert_eq!(lookup(&v, "/dev/null", true).unwrap().meta.lock().rdev, super::devfs::NULL);
    assert!(lookup(&v, "/proc", true).unwrap().is_dir());
    let hosts = lookup(&v, "/etc/hostname", true).unwrap();
    let mut buf = [0u8; 16];
    let n = hosts.data().unwrap().lock().read(0, &mut buf);
    assert_eq!(&buf[..n], b"elfin\n");
    // `..` of the root is the root; `..` of /dev (another filesystem) is /.
    assert!(Arc::ptr_eq(&lookup(&v, "/..", true).unwrap(), &v.root));
    assert!(Arc::ptr_eq(&lookup(&v, "/dev/..", true).unwrap(), &v.root));
    assert_eq!(v.root.meta.lock().nlink, 2 + 5);
}

#[test]
fn resolution_errors_like_linux() {
    let v = vfs();
    mkfile(&v, "/tmp", "f", b"x");
    mkdir(&v, "/tmp", "d");
    let t = lookup(&v, "/tmp", true).unwrap();
    dir::create(&t, b"l", g::S_IFLNK | 0o777, 0, 0, Body::Symlink(b"f".to_vec())).unwrap();
    dir::create(&t, b"dl", g::S_IFLNK | 0o777, 0, 0, Body::Symlink(b"d".to_vec())).unwrap();
    dir::create(&t, b"loop", g::S_IFLNK | 0o777, 0, 0, Body::Symlink(b"loop".to_vec())).unwrap();
    assert_eq!(lookup(&v, "/tmp/f/x", true).unwrap_err(), Errno::ENOTDIR);
    assert_eq!(lookup(&v, "/tmp/f/", true).unwrap_err(), Errno::ENOTDIR);
    assert_eq!(lookup(&v, "/tmp/f/.", true).unwrap_err(), Errno::ENOTDIR);
    assert_eq!(lookup(&v, "/tmp/nope", true).unwrap_err(), Errno::ENOENT);
    assert_eq!(lookup(&v, "/tmp/loop", true).unwrap_err(), Errno::ELOOP);
    assert!(lookup(&v, "/tmp/loop", false).unwrap().is_symlink());
    assert!(lookup(&v, "/tmp/l", true).unwrap().is_regular());
    assert!(lookup(&v, "/tmp/l", false).unwrap().is_symlink());
    assert!(lookup(&v, "/tmp/dl/", false).unwrap().is_dir());
    assert_eq!(lookup(&v, "/tmp/l/", false).unwrap_err(), Errno::ENOTDIR);
    assert!(lookup(&v, "/tmp/dl/../f", true).unwrap().is_regular());
    let long = alloc::format!("/tmp/{}", "a".repeat(256));
    assert_eq!(lookup(&v, &long, true).unwrap_err(), Errno::ENAMETOOLONG);
    assert_eq!(lookup(&v, "", true).unwrap_err(), Errno::ENOENT);
    let mut r = Resolver::new(v.root.clone(), None, 0, 0);
    let p = r.walk_parent(&v.root, b"/tmp/d/..").unwrap();
    assert_eq!(p.last, Last::DotDot);
    let p = r.walk_parent(&v.root, b"/tmp/new/").unwrap();
    assert!(p.trailing);
    // O_CREAT through a dangling symlink creates its target; O_EXCL refuses.
    dir::create(&t, b"dangling", g::S_IFLNK | 0o777, 0, 0, Body::Symlink(b"target".to_vec())).unwrap();
    match r.open_create(&v.root, b"/tmp/dangling", false, false).unwrap() {
        Created::New { name, .. } => assert_eq!(name, b"target"),
        Created::Existing(_) => panic!("exists"),
    }
    assert!(matches!(r.open_create(&v.root, b"/tmp/dangling", true, false), Err(Errno::EEXIST)));
    assert!(matches!(r.open_create(&v.root, b"/tmp/f/", false, false), Err(Errno::EISDIR)));
}

#[test]
fn rename_link_unlink_rmdir() {
    let v = vfs();
    let t = lookup(&v, "/tmp", true).unwrap();
    let f = mkfile(&v, "/tmp", "f", b"data");
    let d = mkdir(&v, "/tmp", "d");
    mkdir(&v, "/tmp/d", "sub");
    assert_eq!(d.meta.lock().nlink, 3);
    assert_eq!(dir::rename(&t, b"d", &d, b"x", 0), Err(Errno::EINVAL));
    assert_eq!(dir::rename(&t, b"f", &t, b"d", 0), Err(Errno::EISDIR));
    assert_eq!(dir::rename(&t, b"d", &t, b"f", 0), Err(Errno::ENOTDIR));
    assert_eq!(dir::rename(&t, b"f", &t, b"f", 0), Ok(()));
    dir::add(&d, b"hard", &f, true).unwrap();
    assert_eq!(f.meta.lock().nlink, 2);
    assert_eq!(dir::rename(&t, b"f", &d, b"hard", 0), Ok(()));
    dir::rename(&t, b"f", &t, b"g", g::RENAME_NOREPLACE).unwrap();
    assert!(lookup(&v, "/tmp/g", true).is_ok());
    let e = mkdir(&v, "/tmp", "e");
    dir::rename(&t, b"g", &t, b"e", g::RENAME_EXCHANGE).unwrap();
    assert!(lookup(&v, "/tmp/g", true).unwrap().is_dir());
    assert!(lookup(&v, "/tmp/e", true).unwrap().is_regular());
    assert!(Arc::ptr_eq(&lookup(&v, "/tmp/g", true).unwrap(), &e));
    // Moving a directory moves its parent link.
    let tn = t.meta.lock().nlink;
    dir::rename(&t, b"g", &d, b"moved", 0).unwrap();
    assert_eq!(t.meta.lock().nlink, tn - 1);
    assert_eq!(d.meta.lock().nlink, 4);
    assert_eq!(super::path::dir_path(&e).unwrap(), b"/tmp/d/moved");
    assert_eq!(dir::rmdir(&t, b"d"), Err(Errno::ENOTEMPTY));
    assert_eq!(dir::unlink(&t, b"d"), Err(Errno::EISDIR));
    dir::unlink(&d, b"hard").unwrap();
    assert_eq!(f.meta.lock().nlink, 1);
    dir::rmdir(&d, b"sub").unwrap();
    dir::rmdir(&d, b"moved").unwrap();
    dir::rmdir(&t, b"d").unwrap();
    assert_eq!(super::path::dir_path(&d), Err(Errno::ENOENT));
    assert_eq!(dir::create(&d, b"x", g::S_IFREG, 0, 0, v.file_body()).unwrap_err(), Errno::ENOENT);
}

#[test]
fn directory_listing_is_stable_while_it_changes() {
    let v = vfs();
    let d = mkdir(&v, "/tmp", "d");
    for n in ["a", "b", "c"] {
        mkfile(&v, "/tmp/d", n, b"");
    }
    let ops = open_inode(&d, 0, &v, &Src(Process::new(Vec::new()))).unwrap();
    let mut first = Vec::new();
    let pos = ops
        .getdents(0, &mut |e: &DirEntry| {
            first.push(e.name.to_vec());
            first.len() < 3
        })
        .unwrap();
    assert_eq!(first, [b".".to_vec(), b"..".to_vec(), b"a".to_vec()]);
    dir::unlink(&d, b"a").unwrap();
    mkfile(&v, "/tmp/d", "z", b"");
    let mut rest = Vec::new();
    ops.getdents(pos, &mut |e: &DirEntry| {
        rest.push(e.name.to_vec());
        true
    })
    .unwrap();
    assert_eq!(rest, [b"b".to_vec(), b"c".to_vec(), b"z".to_vec()]);
    assert_eq!(d.stat().size, (3 + 2) * 20);
}

fn member(out: &mut Vec<u8>, name: &str, ino: u32, mode: u32, nlink: u32, mtime: u32, data: &[u8]) {
    let h = alloc::format!(
        "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
        ino,
        mode,
        0,
        0,
        nlink,
        mtime,
        data.len(),
        0,
        0,
        0,
        0,
        name.len() + 1,
        0
    );
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while out.len() % 4 != 0 {
        out.push(0);
    }
    out.extend_from_slice(data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

#[test]
fn initrd_unpacks_files_dirs_symlinks_hard_links() {
    let mut a = Vec::new();
    member(&mut a, "usr", 1, g::S_IFDIR | 0o755, 2, 1000, b"");
    member(&mut a, "usr/bin/tool", 2, g::S_IFREG | 0o755, 1, 2000, b"#!elf");
    member(&mut a, "bin", 3, g::S_IFLNK | 0o777, 1, 3000, b"usr/bin");
    member(&mut a, "data/a", 4, g::S_IFREG | 0o600, 2, 4000, b"");
    member(&mut a, "data/b", 4, g::S_IFREG | 0o600, 2, 4000, b"shared");
    member(&mut a, "tmp", 5, g::S_IFDIR | 0o755, 2, 5000, b"");
    member(&mut a, ".elfin", 6, g::S_IFDIR | 0o755, 2, 0, b"");
    member(&mut a, ".elfin/exe", 7, g::S_IFREG | 0o644, 1, 0, b"/bin/tool");
    member(&mut a, "bin/extra", 8, g::S_IFREG | 0o644, 1, 0, b"via symlink");
    member(&mut a, "TRAILER!!!", 0, 0, 1, 0, b"");
    let archive: &'static [u8] = alloc::boxed::Box::leak(a.into_boxed_slice());
    let v = Vfs::new(Arc::new(ZeroClock), 1 << 20).unwrap();
    let report = initrd::unpack(&v, archive).unwrap();
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let tool = lookup(&v, "/bin/tool", true).unwrap();
    assert_eq!(tool.meta.lock().mode, g::S_IFREG | 0o755);
    assert_eq!(tool.meta.lock().mtime.sec, 2000);
    assert_eq!(tool.data().unwrap().lock().as_base(), Some(&b"#!elf"[..]));
    assert_eq!(lookup(&v, "/usr", true).unwrap().meta.lock().mtime.sec, 1000);
    assert!(lookup(&v, "/usr/bin/extra", true).is_ok());
    let (x, y) = (lookup(&v, "/data/a", true).unwrap(), lookup(&v, "/data/b", true).unwrap());
    assert!(Arc::ptr_eq(&x, &y));
    assert_eq!(x.meta.lock().nlink, 2);
    assert_eq!(x.stat().size, 6);
    assert_eq!(lookup(&v, "/.elfin", true).unwrap_err(), Errno::ENOENT);
    // The kernel's /tmp stays world-writable and sticky.
    assert_eq!(lookup(&v, "/tmp", true).unwrap().meta.lock().mode, g::S_IFDIR | 0o1777);
    // Nothing of the initrd is charged to the budget until written.
    let used = v.budget.used();
    let n = tool.data().unwrap().lock().write(0, b"!").unwrap();
    assert_eq!(n, 1);
    assert_eq!(v.budget.used(), used + 4096);
    let mut bad = archive.to_vec();
    bad[0] = b'x';
    assert!(initrd::unpack(&v, alloc::boxed::Box::leak(bad.into_boxed_slice())).is_err());
}

#[test]
fn procfs_self_fd_maps_and_status() {
    let mut p = Process::new(b"/bin/app".to_vec());
    p.cmdline = b"app\0-x\0".to_vec();
    let v = p.fs.vfs.clone();
    let f = mkfile(&v, "/tmp", "file", b"hello");
    let ops = open_inode(&f, g::O_RDONLY, &v, &Src(Process::new(Vec::new()))).unwrap();
    p.fds.install_at(3, FdEntry { file: OpenFile::new(ops, g::O_RDONLY, b"/tmp/file".to_vec()), cloexec: false });
    let (pr, pw) = crate::pipe::pipe(&v.pipefs).unwrap();
    p.fds.install_at(4, FdEntry { file: OpenFile::new(pr, g::O_RDONLY, Vec::new()), cloexec: false });
    drop(pw);
    let src = Src(p);
    let mut r = Resolver::new(v.root.clone(), Some(&src), 0, 0);
    let fd3 = r.lookup(&v.root, b"/proc/self/fd/3", true).unwrap();
    assert!(Arc::ptr_eq(&fd3.inode, &f));
    assert_eq!(fd3.path, b"/tmp/file");
    let link = r.lookup(&v.root, b"/proc/self/fd/4", false).unwrap().inode;
    let text = super::procfs::readlink(&link, &src).unwrap();
    assert!(text.starts_with(b"pipe:["), "{}", alloc::string::String::from_utf8_lossy(&text));
    assert_eq!(r.lookup(&v.root, b"/proc/self/fd/9", true).unwrap_err(), Errno::ENOENT);
    assert_eq!(r.lookup(&v.root, b"/proc/2/status", true).unwrap_err(), Errno::ENOENT);
    let fddir = r.lookup(&v.root, b"/proc/1/fd", true).unwrap().inode;
    let list = names(&*open_inode(&fddir, 0, &v, &src).unwrap());
    // The listing includes the descriptor the directory itself is about to get (0 here).
    assert_eq!(list, [b".".to_vec(), b"..".to_vec(), b"0".to_vec(), b"3".to_vec(), b"4".to_vec()]);
    let status = r.lookup(&v.root, b"/proc/self/status", true).unwrap().inode;
    let ops = open_inode(&status, 0, &v, &src).unwrap();
    let mut buf = alloc::vec![0u8; 4096];
    let n = ops.read(&mut NoHost, 0, &mut buf).unwrap();
    let text = alloc::string::String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(text.starts_with("Name:\tapp\n"), "{text}");
    let cmd = r.lookup(&v.root, b"/proc/self/cmdline", true).unwrap().inode;
    let n = open_inode(&cmd, 0, &v, &src).unwrap().read(&mut NoHost, 0, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"app\0-x\0");
    let exe = r.lookup(&v.root, b"/proc/self/exe", false).unwrap().inode;
    assert_eq!(super::procfs::readlink(&exe, &src).unwrap(), b"/bin/app");
    let up = r.lookup(&v.root, b"/proc/self/fd/..", true).unwrap().inode;
    assert!(matches!(&up.body, Body::Proc(n) if n.kind == super::procfs::ProcKind::PidDir(1)));
    assert_eq!(super::path::dir_path(&fddir).unwrap(), b"/proc/1/fd");
    let root_list = names(&*open_inode(&r.lookup(&v.root, b"/proc", true).unwrap().inode, 0, &v, &src).unwrap());
    assert!(root_list.contains(&b"self".to_vec()) && root_list.contains(&b"1".to_vec()));
}

#[test]
fn devices_behave() {
    let v = vfs();
    let src = Src(Process::new(Vec::new()));
    let mut buf = [1u8; 8];
    let null = open_inode(&lookup(&v, "/dev/null", true).unwrap(), g::O_RDWR, &v, &src).unwrap();
    assert_eq!(null.read(&mut NoHost, 0, &mut buf), Ok(0));
    assert_eq!(null.write(&mut NoHost, 0, b"abc"), Ok(3));
    let full = open_inode(&lookup(&v, "/dev/full", true).unwrap(), g::O_RDWR, &v, &src).unwrap();
    assert_eq!(full.write(&mut NoHost, 0, b"abc"), Err(Errno::ENOSPC));
    assert_eq!(full.read(&mut NoHost, 0, &mut buf), Ok(8));
    assert_eq!(buf, [0; 8]);
    let rnd = open_inode(&lookup(&v, "/dev/urandom", true).unwrap(), g::O_RDONLY, &v, &src).unwrap();
    assert_eq!(rnd.read(&mut NoHost, 0, &mut buf), Ok(8));
    assert_eq!(buf, [7; 8]);
    assert!(matches!(open_inode(&lookup(&v, "/dev/tty", true).unwrap(), g::O_RDWR, &v, &src), Err(Errno::ENXIO)));
    v.set_tty(1);
    assert!(open_inode(&lookup(&v, "/dev/tty", true).unwrap(), g::O_RDWR, &v, &src).unwrap().is_tty());
    assert!(lookup(&v, "/dev/stdin", false).unwrap().is_symlink());
}

#[test]
fn pipes_block_eof_and_epipe() {
    let v = vfs();
    let (r, w) = crate::pipe::pipe(&v.pipefs).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(r.read(&mut NoHost, 0, &mut buf), Err(Errno::EAGAIN));
    assert_eq!(w.write(&mut NoHost, 0, b"abc"), Ok(3));
    assert_eq!(r.poll(&mut NoHost).mask & g::EPOLLIN, g::EPOLLIN);
    assert_eq!(r.read(&mut NoHost, 0, &mut buf), Ok(3));
    let big = alloc::vec![1u8; 70000];
    assert_eq!(w.write(&mut NoHost, 0, &big), Ok(65536));
    assert_eq!(w.write(&mut NoHost, 0, b"x"), Err(Errno::EAGAIN));
    assert_eq!(w.poll(&mut NoHost).mask & g::EPOLLOUT, 0);
    drop(w);
    assert_ne!(r.poll(&mut NoHost).mask & g::EPOLLHUP, 0);
    let mut all = alloc::vec![0u8; 70000];
    assert_eq!(r.read(&mut NoHost, 0, &mut all), Ok(65536));
    assert_eq!(r.read(&mut NoHost, 0, &mut all), Ok(0));
    let (r2, w2) = crate::pipe::pipe(&v.pipefs).unwrap();
    drop(r2);
    assert_eq!(w2.write(&mut NoHost, 0, b"x"), Err(Errno::EPIPE));
}
