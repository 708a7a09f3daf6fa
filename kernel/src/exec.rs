//! Starting the application: unpack the initrd the CLI built (docs/boot-protocol.md) into the
//! filesystem tree, load the program it names from there through `elfin_loader`'s plan, build
//! the initial stack, and set up the process with its standard streams.

use crate::mm;
use crate::services::Services;
use alloc::borrow::Cow;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use alloc::format;
use core::sync::atomic::{AtomicU64, Ordering};
use elfin_abi::UserMemory;
use elfin_loader::{LoadPlan, StackSpec};
use elfin_posix::cpio;
use elfin_posix::fd::{FdEntry, OpenFile, Stream};
use elfin_posix::file::Timespec;
use elfin_posix::mm::{Region, RegionKind};
use elfin_posix::process::Process;
use elfin_posix::stdio;
use elfin_posix::vfs::inode::{Budget, FsClock, MemoryGauge};
use elfin_posix::vfs::path::Resolver;
use elfin_posix::vfs::{Vfs, initrd};
use elfin_syscall::Kernel;
use linux_raw_sys::general::{O_LARGEFILE, O_RDONLY, O_RDWR, O_WRONLY, PROT_EXEC, PROT_READ, PROT_WRITE};

/// Top of the initial stack (Linux puts it just below the top of user space, randomised).
pub const STACK_TOP: u64 = 0x7ffd_ffff_f000;
/// Size of the initial stack region; it grows down on faults up to `RLIMIT_STACK` (8 MiB), as
/// on Linux.
pub const STACK_SIZE: u64 = 132 << 10;
/// Room kept for the stack below its top: Linux's default 8 MiB `RLIMIT_STACK`.
pub const STACK_LIMIT: u64 = 8 << 20;
/// Top-down mmap area starts below the stack and its guard gap, as in Linux's default layout.
pub const MMAP_BASE: u64 = STACK_TOP - STACK_LIMIT - (128 << 20);
/// Where a static-PIE binary is placed (Linux's `ELF_ET_DYN_BASE` without randomisation).
pub const PIE_BASE: u64 = 0x5555_5555_4000;
const PAGE: u64 = 4096;

/// The application to start.
pub struct Launch {
    /// Entry point.
    pub entry: u64,
    /// Initial stack pointer.
    pub sp: u64,
    /// The process.
    pub process: Process,
}

/// What the initrd's control files (`.elfin/*`) say.
struct Bundle<'a> {
    exe: &'a [u8],
    argv: Vec<&'a [u8]>,
    envp: Vec<&'a [u8]>,
    stdin: Option<&'static [u8]>,
}

/// File time stamps: the wall clock.
struct WallClock;

impl FsClock for WallClock {
    fn now(&self) -> Timespec {
        Timespec::from_ns(crate::time::realtime_ns())
    }
}

/// What the kernel could still hand out: frames never used or freed, and free heap.
struct KernelMemory;

impl MemoryGauge for KernelMemory {
    fn available(&self) -> u64 {
        let (_, frames_left) = elfin_hal::frames::stats();
        let (heap_used, heap_total) = elfin_hal::heap::usage();
        frames_left + (heap_total.saturating_sub(heap_used)) as u64
    }
}

/// RAM the kernel saw at exec (for /proc/meminfo's MemTotal).
static RAM_TOTAL: AtomicU64 = AtomicU64::new(0);

/// Usable RAM in bytes, as measured when the program was loaded.
pub fn ram_total() -> u64 {
    RAM_TOTAL.load(Ordering::Relaxed)
}

/// Split a list of NUL-terminated strings (empty strings are kept: `""` is a valid argument).
fn split_nul(b: &[u8]) -> Vec<&[u8]> {
    let body = b.strip_suffix(&[0]).unwrap_or(b);
    if b.is_empty() { Vec::new() } else { body.split(|&c| c == 0).collect() }
}

fn bundle(initrd: &'static [u8]) -> Result<Bundle<'static>, String> {
    let mut files: BTreeMap<&[u8], &'static [u8]> = BTreeMap::new();
    for e in cpio::Reader::new(initrd) {
        let e = e.map_err(|e| format!("the initrd is not a valid cpio archive ({e:?})"))?;
        if initrd::is_control(e.name) {
            files.insert(e.name, e.data);
        }
    }
    let exe = *files.get(&b".elfin/exe"[..]).ok_or("the initrd names no program (.elfin/exe missing)")?;
    let argv = files.get(&b".elfin/argv"[..]).map(|a| split_nul(a)).unwrap_or_else(|| alloc::vec![exe]);
    let envp = files.get(&b".elfin/envp"[..]).map(|e| split_nul(e)).unwrap_or_default();
    let stdin = files.get(&b".elfin/stdin"[..]).copied();
    Ok(Bundle { exe, argv, envp, stdin })
}

/// The filesystem tree: the initrd unpacked over a fresh root (`/tmp`, `/dev`, `/proc`), then
/// the `/etc` defaults the root does not bring. The in-memory filesystems may hold half of the
/// RAM left now (tmpfs's default size), so the app keeps the rest.
fn build_tree(initrd: &'static [u8], tty: u32) -> Result<Arc<Vfs>, String> {
    let (used, left) = elfin_hal::frames::stats();
    RAM_TOTAL.store(left + used * 4096, Ordering::Relaxed);
    let budget = Budget::with_gauge(left / 2, Arc::new(KernelMemory));
    let vfs = Vfs::with_budget(Arc::new(WallClock), budget).map_err(|e| format!("cannot create the root filesystem: {e:?}"))?;
    let report = initrd::unpack(&vfs, initrd).map_err(|e| format!("the initrd is not a valid cpio archive ({e:?})"))?;
    for (name, err) in &report.skipped {
        crate::log!("initrd: {} not unpacked: {err:?}", String::from_utf8_lossy(name));
    }
    vfs.add_defaults().map_err(|e| format!("cannot create /etc: {e:?}"))?;
    vfs.set_tty(tty);
    crate::log!("initrd: {} entries unpacked", report.placed);
    Ok(vfs)
}

/// The program's bytes: in place in the initrd when the file is untouched.
fn program(vfs: &Arc<Vfs>, exe: &[u8]) -> Result<Cow<'static, [u8]>, String> {
    let name = String::from_utf8_lossy(exe).to_string();
    let mut r = Resolver::new(vfs.root.clone(), None, 0, 0);
    let inode = r.lookup(&vfs.root, exe, true).map_err(|e| format!("{name}: not in the initrd ({e:?})"))?.inode;
    let data = inode.data().ok_or_else(|| format!("{name}: not a regular file"))?;
    let d = data.lock();
    match d.as_base() {
        Some(b) => Ok(Cow::Borrowed(b)),
        None => d.to_vec().map(Cow::Owned).map_err(|_| format!("{name}: out of memory reading the program")),
    }
}

fn prot_bits(p: elfin_loader::Prot) -> u32 {
    (if p.read { PROT_READ } else { 0 }) | (if p.write { PROT_WRITE } else { 0 }) | (if p.exec { PROT_EXEC } else { 0 })
}

/// Map the segments: regions first (writable while we fill them), then the final protection.
/// A page shared by two segments gets both protections, as Linux's overlapping maps give it.
fn map_image(binary: &[u8], plan: &LoadPlan) -> Result<(), String> {
    let mut pages: BTreeMap<u64, u32> = BTreeMap::new();
    for s in &plan.segments {
        let start = s.vaddr & !(PAGE - 1);
        let end = (s.vaddr + s.memsz).div_ceil(PAGE) * PAGE;
        let mut p = start;
        while p < end {
            *pages.entry(p).or_insert(0) |= prot_bits(s.prot);
            p += PAGE;
        }
    }
    // Runs of consecutive pages with the same protection become regions.
    let mut runs: Vec<(u64, u64, u32)> = Vec::new();
    for (&p, &prot) in &pages {
        match runs.last_mut() {
            Some(r) if r.1 == p && r.2 == prot => r.1 = p + PAGE,
            _ => runs.push((p, p + PAGE, prot)),
        }
    }
    for &(start, end, _) in &runs {
        mm::insert(Region { start, end, prot: PROT_READ | PROT_WRITE, shared: false, kind: RegionKind::Image, file: None })
            .map_err(|e| format!("cannot map the program at {start:#x}: {e:?}"))?;
    }
    for s in &plan.segments {
        // Like Linux's mmap of the file, the bytes from the page start to vaddr come from the
        // file too (AT_PHDR may point there).
        let page_start = s.vaddr & !(PAGE - 1);
        let lead = s.vaddr - page_start;
        let off = s.file_offset - lead;
        let len = s.filesz + lead;
        let data = binary.get(off as usize..(off + len) as usize).ok_or("segment outside the file")?;
        Services.write_bytes(page_start, data).map_err(|_| "out of memory loading the program")?;
    }
    for &(start, end, prot) in &runs {
        mm::mprotect(start, end - start, prot).map_err(|e| format!("mprotect of the image failed: {e:?}"))?;
    }
    Ok(())
}

/// Load the program the initrd names and prepare its process. `tty` is the CLI's bitmask of
/// standard streams that are terminals.
pub fn load(initrd: &'static [u8], tty: u32) -> Result<Launch, String> {
    let b = bundle(initrd)?;
    let exe_name = String::from_utf8_lossy(b.exe).to_string();
    let vfs = build_tree(initrd, tty)?;
    let binary = program(&vfs, b.exe)?;
    let plan = elfin_loader::plan(&binary, PIE_BASE).map_err(|e| format!("{exe_name}: {e}"))?;
    map_image(&binary, &plan)?;
    drop(binary);
    mm::brk_init(plan.brk_start);
    mm::insert(Region {
        start: STACK_TOP - STACK_SIZE,
        end: STACK_TOP,
        prot: PROT_READ | PROT_WRITE,
        shared: false,
        kind: RegionKind::Stack,
        file: None,
    })
    .map_err(|e| format!("cannot map the stack: {e:?}"))?;

    let mut random = [0u8; 16];
    Services.fill_random(&mut random);
    let f = elfin_hal::cpu::features();
    let spec = StackSpec {
        argv: &b.argv,
        envp: &b.envp,
        execfn: b.exe,
        platform: b"x86_64",
        random,
        hwcap: f.hwcap as u64,
        hwcap2: f.hwcap2 as u64,
        minsigstksz: 2048,
        pagesz: PAGE,
        clktck: 100,
        uid: 0,
        euid: 0,
        gid: 0,
        egid: 0,
        secure: false,
        phdr: plan.phdr,
        phent: plan.phent,
        phnum: plan.phnum,
        entry: plan.entry,
        base: 0,
        sysinfo_ehdr: None,
    };
    let image = elfin_loader::build_stack(&spec, STACK_TOP).map_err(|e| format!("{exe_name}: {e}"))?;
    Services
        .write_bytes(STACK_TOP - image.bytes.len() as u64, &image.bytes)
        .map_err(|_| "out of memory building the stack")?;

    let mut process = Process::with_vfs(b.exe.to_vec(), vfs.clone());
    process.cmdline = b.argv.iter().flat_map(|a| a.iter().copied().chain([0])).collect();
    process.environ = b.envp.iter().flat_map(|e| e.iter().copied().chain([0])).collect();
    // The streams as the host gave them: a terminal (a pty, opened read-write with
    // O_LARGEFILE, like a login shell's) or a pipe.
    // One terminal inode for the streams that are the terminal, also as /dev/pts/0.
    let terminal = if tty & 7 != 0 {
        let t = stdio::terminal_inode(&vfs.devpts).map_err(|e| format!("cannot set up the terminal: {e:?}"))?;
        let mut r = Resolver::new(vfs.root.clone(), None, 0, 0);
        if let Ok(pts) = r.lookup(&vfs.root, b"/dev/pts", true) {
            let _ = elfin_posix::vfs::dir::add(&pts.inode, b"0", &t, false);
        }
        Some(t)
    } else {
        None
    };
    let console = |stream, is_tty: bool, flags| -> Result<FdEntry, String> {
        let (ops, flags, path) = match (&terminal, is_tty) {
            (Some(t), true) => (stdio::on_terminal(t, stream), O_RDWR | O_LARGEFILE, b"/dev/pts/0".to_vec()),
            _ => (stdio::console(&vfs.pipefs, stream, false).map_err(|e| format!("cannot set up the console: {e:?}"))?, flags, Vec::new()),
        };
        Ok(FdEntry { file: OpenFile::new(ops, flags, path), cloexec: false })
    };
    let stdin = match b.stdin {
        Some(data) => {
            let ops = stdio::captured(&vfs.pipefs, data).map_err(|e| format!("cannot set up stdin: {e:?}"))?;
            FdEntry { file: OpenFile::new(ops, O_RDONLY, Vec::new()), cloexec: false }
        }
        None => console(Stream::Stdin, tty & 1 != 0, O_RDONLY)?,
    };
    process.fds.install_at(0, stdin);
    process.fds.install_at(1, console(Stream::Stdout, tty & 2 != 0, O_WRONLY)?);
    process.fds.install_at(2, console(Stream::Stderr, tty & 4 != 0, O_WRONLY)?);
    Ok(Launch { entry: plan.entry, sp: image.sp, process })
}
