//! Host tests of the handlers against a fake kernel: user memory is one buffer at a fixed
//! address; console output is captured.

use crate::{Clock, Dispatcher, Kernel, Process};
use elfin_abi::{Errno, UserMemory};
use elfin_posix::fd::{FdEntry, OpenFile, Stream};
use elfin_posix::stdio;
use linux_raw_sys::general::*;
use std::cell::RefCell;

const BASE: u64 = 0x10_0000;
const SIZE: usize = 64 * 1024;

struct Fake {
    mem: RefCell<Vec<u8>>,
    out: Vec<(Stream, Vec<u8>)>,
    logs: Vec<String>,
    fs: u64,
}

impl Fake {
    fn new() -> Self {
        Fake { mem: RefCell::new(vec![0; SIZE]), out: Vec::new(), logs: Vec::new(), fs: 0 }
    }
    fn poke(&self, addr: u64, data: &[u8]) {
        let o = (addr - BASE) as usize;
        self.mem.borrow_mut()[o..o + data.len()].copy_from_slice(data);
    }
    fn peek(&self, addr: u64, len: usize) -> Vec<u8> {
        let o = (addr - BASE) as usize;
        self.mem.borrow()[o..o + len].to_vec()
    }
}

impl UserMemory for Fake {
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let o = addr.checked_sub(BASE).ok_or(Errno::EFAULT)? as usize;
        let m = self.mem.borrow();
        buf.copy_from_slice(m.get(o..o + buf.len()).ok_or(Errno::EFAULT)?);
        Ok(())
    }
    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        let o = addr.checked_sub(BASE).ok_or(Errno::EFAULT)? as usize;
        let mut m = self.mem.borrow_mut();
        m.get_mut(o..o + data.len()).ok_or(Errno::EFAULT)?.copy_from_slice(data);
        Ok(())
    }
}

impl Kernel for Fake {
    fn mem(&self) -> &dyn UserMemory {
        self
    }
    fn console_write(&mut self, stream: Stream, data: &[u8], _tty: bool) {
        self.out.push((stream, data.to_vec()));
    }
    fn console_read(&mut self, _buf: &mut [u8]) -> usize {
        0
    }
    fn exit(&mut self, status: i32) -> ! {
        panic!("exit {status}")
    }
    fn now_ns(&self, clock: Clock) -> u64 {
        match clock {
            Clock::Realtime => 1_700_000_000_123_456_789,
            _ => 5_000_000_123,
        }
    }
    fn clock_res_ns(&self) -> u64 {
        1
    }
    fn fill_random(&mut self, buf: &mut [u8]) {
        buf.fill(0xab);
    }
    fn set_fs_base(&mut self, v: u64) {
        self.fs = v;
    }
    fn fs_base(&self) -> u64 {
        self.fs
    }
    fn set_gs_base(&mut self, _: u64) {}
    fn gs_base(&self) -> u64 {
        0
    }
    fn mmap(&mut self, _: u64, _: u64, _: u32, _: u32) -> Result<u64, Errno> {
        Ok(0x7000_0000)
    }
    fn munmap(&mut self, _: u64, _: u64) -> Result<(), Errno> {
        Ok(())
    }
    fn mprotect(&mut self, _: u64, _: u64, _: u32) -> Result<(), Errno> {
        Ok(())
    }
    fn mremap(&mut self, _: u64, _: u64, _: u64, _: u32, _: u64) -> Result<u64, Errno> {
        Err(Errno::ENOMEM)
    }
    fn madvise(&mut self, _: u64, _: u64, _: u32) -> Result<(), Errno> {
        Ok(())
    }
    fn brk(&mut self, new: u64) -> u64 {
        new
    }
    fn cpus(&self) -> usize {
        1
    }
    fn spawn_thread(&mut self, _tid: i32, _stack: u64, _tls: Option<u64>) -> bool {
        true
    }
    fn wake_thread(&mut self, tid: i32) {
        self.logs.push(format!("wake {tid}"));
    }
    fn interrupt_thread(&mut self, tid: i32) {
        self.logs.push(format!("interrupt {tid}"));
    }
    fn user_regs(&self) -> elfin_posix::sigframe::MContext {
        elfin_posix::sigframe::MContext { rsp: BASE + 0x8000, ..Default::default() }
    }
    fn set_user_regs(&mut self, regs: &elfin_posix::sigframe::MContext) {
        self.logs.push(format!("regs rip={:#x}", regs.rip));
    }
    fn fpu_save(&mut self) -> (Vec<u8>, u64) {
        (vec![0; 576], 3)
    }
    fn fpu_restore(&mut self, _image: &[u8]) -> bool {
        true
    }
    fn log(&mut self, args: core::fmt::Arguments) {
        self.logs.push(args.to_string());
    }
    fn trace(&mut self, args: core::fmt::Arguments) {
        self.logs.push(args.to_string());
    }
}

fn process(stdout_tty: bool) -> Process {
    let mut p = Process::new(b"/bin/app".to_vec());
    let vfs = p.fs.vfs.clone();
    let e = |ops, flags| FdEntry { file: OpenFile::new(ops, flags, Vec::new()), cloexec: false };
    p.fds.install_at(0, e(stdio::captured(&vfs.pipefs, b"input\n").unwrap(), O_RDONLY));
    let out_sb = if stdout_tty { &vfs.devpts } else { &vfs.pipefs };
    p.fds.install_at(1, e(stdio::console(out_sb, Stream::Stdout, stdout_tty).unwrap(), O_WRONLY));
    p.fds.install_at(2, e(stdio::console(&vfs.pipefs, Stream::Stderr, false).unwrap(), O_WRONLY));
    p
}

fn call(k: &mut Fake, p: &mut Process, nr: u32, args: [u64; 6]) -> i64 {
    Dispatcher::new(false).dispatch(k, p, nr as u64, args)
}

fn err(e: Errno) -> i64 {
    -(e.raw() as i64)
}

#[test]
fn write_reaches_the_console_with_linux_errors() {
    let (mut k, mut p) = (Fake::new(), process(false));
    k.poke(BASE, b"hello\n");
    assert_eq!(call(&mut k, &mut p, __NR_write, [1, BASE, 6, 0, 0, 0]), 6);
    assert_eq!(k.out, vec![(Stream::Stdout, b"hello\n".to_vec())]);
    assert_eq!(call(&mut k, &mut p, __NR_write, [9, BASE, 6, 0, 0, 0]), err(Errno::EBADF));
    assert_eq!(call(&mut k, &mut p, __NR_write, [1, 0x10, 6, 0, 0, 0]), err(Errno::EFAULT));
    assert_eq!(call(&mut k, &mut p, __NR_write, [1, 0x10, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_write, [0, BASE, 1, 0, 0, 0]), err(Errno::EBADF));
}

#[test]
fn read_drains_captured_stdin_then_eof() {
    let (mut k, mut p) = (Fake::new(), process(false));
    assert_eq!(call(&mut k, &mut p, __NR_read, [0, BASE, 3, 0, 0, 0]), 3);
    assert_eq!(k.peek(BASE, 3), b"inp");
    assert_eq!(call(&mut k, &mut p, __NR_read, [0, BASE, 100, 0, 0, 0]), 3);
    assert_eq!(call(&mut k, &mut p, __NR_read, [0, BASE, 100, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_read, [1, BASE, 100, 0, 0, 0]), err(Errno::EBADF));
}

#[test]
fn writev_checks_count_and_lengths() {
    let (mut k, mut p) = (Fake::new(), process(false));
    k.poke(BASE + 0x100, b"ab");
    k.poke(BASE + 0x200, b"cde");
    let mut iov = Vec::new();
    for (a, l) in [(BASE + 0x100, 2u64), (BASE + 0x200, 3)] {
        iov.extend_from_slice(&a.to_le_bytes());
        iov.extend_from_slice(&l.to_le_bytes());
    }
    k.poke(BASE, &iov);
    assert_eq!(call(&mut k, &mut p, __NR_writev, [1, BASE, 2, 0, 0, 0]), 5);
    assert_eq!(call(&mut k, &mut p, __NR_writev, [1, BASE, u64::MAX, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_writev, [1, BASE, 1025, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_writev, [1, BASE, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_writev, [7, BASE, 1, 0, 0, 0]), err(Errno::EBADF));
}

#[test]
fn unknown_syscalls_are_enosys_and_logged_once() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let mut d = Dispatcher::new(false);
    assert_eq!(d.dispatch(&mut k, &mut p, 1000, [0; 6]), err(Errno::ENOSYS));
    assert_eq!(d.dispatch(&mut k, &mut p, 1000, [0; 6]), err(Errno::ENOSYS));
    assert_eq!(d.dispatch(&mut k, &mut p, u64::MAX, [0; 6]), err(Errno::ENOSYS));
    assert_eq!(k.logs.iter().filter(|l| l.contains("1000")).count(), 1);
}

#[test]
fn strace_lines_look_like_strace() {
    let (mut k, mut p) = (Fake::new(), process(false));
    k.poke(BASE, b"hi\n");
    let mut d = Dispatcher::new(true);
    d.dispatch(&mut k, &mut p, __NR_write as u64, [1, BASE, 3, 0, 0, 0]);
    d.dispatch(&mut k, &mut p, __NR_close as u64, [42, 0, 0, 0, 0, 0]);
    assert_eq!(k.logs, vec!["write(1, \"hi\\n\", 3) = 3".to_string(), "close(42) = -1 EBADF".to_string()]);
}

#[test]
fn tty_and_pipe_answer_ioctls_like_linux() {
    let (mut k, mut p) = (Fake::new(), process(true));
    assert_eq!(call(&mut k, &mut p, __NR_ioctl, [1, linux_raw_sys::ioctl::TIOCGWINSZ as u64, BASE, 0, 0, 0]), 0);
    assert_eq!(k.peek(BASE, 4), [24, 0, 80, 0]);
    assert_eq!(call(&mut k, &mut p, __NR_ioctl, [2, linux_raw_sys::ioctl::TCGETS as u64, BASE, 0, 0, 0]), err(Errno::ENOTTY));
    assert_eq!(call(&mut k, &mut p, __NR_ioctl, [5, linux_raw_sys::ioctl::TCGETS as u64, BASE, 0, 0, 0]), err(Errno::EBADF));
}

#[test]
fn signal_bookkeeping_round_trips() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let mut act = Vec::new();
    for v in [0x401000u64, SA_SIGINFO as u64 | 0x0400_0000, 0x401100, 1 << 9] {
        act.extend_from_slice(&v.to_le_bytes());
    }
    k.poke(BASE, &act);
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigaction, [10, BASE, 0, 8, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigaction, [10, 0, BASE + 0x100, 8, 0, 0]), 0);
    assert_eq!(k.peek(BASE + 0x100, 32), act);
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigaction, [9, BASE, 0, 8, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigaction, [9, 0, BASE + 0x100, 8, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigaction, [10, BASE, 0, 4, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigaction, [10, 0x10, 0, 8, 0, 0]), err(Errno::EFAULT));
    k.poke(BASE, &u64::MAX.to_le_bytes());
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigprocmask, [SIG_SETMASK as u64, BASE, 0, 8, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigprocmask, [99, 0, BASE + 8, 8, 0, 0]), 0);
    let mask = u64::from_le_bytes(k.peek(BASE + 8, 8).try_into().unwrap());
    assert_eq!(mask, !((1 << 8) | (1 << 18)));
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigprocmask, [99, BASE, 0, 8, 0, 0]), err(Errno::EINVAL));
}

#[test]
fn uname_and_clocks() {
    let (mut k, mut p) = (Fake::new(), process(false));
    assert_eq!(call(&mut k, &mut p, __NR_uname, [BASE, 0, 0, 0, 0, 0]), 0);
    assert_eq!(&k.peek(BASE, 6), b"Linux\0");
    assert_eq!(&k.peek(BASE + 65 * 4, 7), b"x86_64\0");
    assert_eq!(call(&mut k, &mut p, __NR_clock_gettime, [CLOCK_REALTIME as u64, BASE, 0, 0, 0, 0]), 0);
    assert_eq!(i64::from_le_bytes(k.peek(BASE, 8).try_into().unwrap()), 1_700_000_000);
    assert_eq!(i64::from_le_bytes(k.peek(BASE + 8, 8).try_into().unwrap()), 123_456_789);
    assert_eq!(call(&mut k, &mut p, __NR_clock_gettime, [99, BASE, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_clock_getres, [CLOCK_MONOTONIC_COARSE as u64, BASE, 0, 0, 0, 0]), 0);
    assert_eq!(i64::from_le_bytes(k.peek(BASE + 8, 8).try_into().unwrap()), 4_000_000);
    assert_eq!(call(&mut k, &mut p, __NR_clock_getres, [CLOCK_MONOTONIC as u64, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_time, [0, 0, 0, 0, 0, 0]), 1_700_000_000);
}

#[test]
fn limits_ids_and_registrations() {
    let (mut k, mut p) = (Fake::new(), process(false));
    assert_eq!(call(&mut k, &mut p, __NR_prlimit64, [0, RLIMIT_STACK as u64, 0, BASE, 0, 0]), 0);
    assert_eq!(u64::from_le_bytes(k.peek(BASE, 8).try_into().unwrap()), 8 << 20);
    assert_eq!(call(&mut k, &mut p, __NR_prlimit64, [77, RLIMIT_STACK as u64, 0, BASE, 0, 0]), err(Errno::ESRCH));
    assert_eq!(call(&mut k, &mut p, __NR_getrlimit, [99, BASE, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_getpid, [0; 6]), 1);
    assert_eq!(call(&mut k, &mut p, __NR_getppid, [0; 6]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_set_tid_address, [BASE, 0, 0, 0, 0, 0]), 1);
    assert_eq!(call(&mut k, &mut p, __NR_set_robust_list, [BASE, 23, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_rseq, [BASE + 32, 32, 0, 0x53053053, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_rseq, [BASE + 32, 32, 0, 0x53053053, 0, 0]), err(Errno::EBUSY));
    assert_eq!(call(&mut k, &mut p, __NR_rseq, [BASE + 32, 32, 1, 1, 0, 0]), err(Errno::EPERM));
    assert_eq!(call(&mut k, &mut p, __NR_arch_prctl, [0x1002, 0x1234, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_arch_prctl, [0x1003, BASE, 0, 0, 0, 0]), 0);
    assert_eq!(u64::from_le_bytes(k.peek(BASE, 8).try_into().unwrap()), 0x1234);
    assert_eq!(call(&mut k, &mut p, __NR_arch_prctl, [0x9999, BASE, 0, 0, 0, 0]), err(Errno::EINVAL));
}

#[test]
fn readlink_proc_self_exe_and_getcwd() {
    let (mut k, mut p) = (Fake::new(), process(false));
    k.poke(BASE, b"/proc/self/exe\0");
    assert_eq!(call(&mut k, &mut p, __NR_readlink, [BASE, BASE + 0x100, 100, 0, 0, 0]), 8);
    assert_eq!(k.peek(BASE + 0x100, 8), b"/bin/app");
    assert_eq!(call(&mut k, &mut p, __NR_readlink, [BASE, BASE + 0x100, 3, 0, 0, 0]), 3);
    assert_eq!(call(&mut k, &mut p, __NR_readlink, [BASE, BASE + 0x100, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_getcwd, [BASE, 1, 0, 0, 0, 0]), err(Errno::ERANGE));
    assert_eq!(call(&mut k, &mut p, __NR_getcwd, [BASE, 10, 0, 0, 0, 0]), 2);
}

#[test]
fn fd_table_calls() {
    let (mut k, mut p) = (Fake::new(), process(false));
    assert_eq!(call(&mut k, &mut p, __NR_dup, [1, 0, 0, 0, 0, 0]), 3);
    assert_eq!(call(&mut k, &mut p, __NR_dup3, [1, 1, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_dup3, [1, 9, O_CLOEXEC as u64, 0, 0, 0]), 9);
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [9, F_GETFD as u64, 0, 0, 0, 0]), FD_CLOEXEC as i64);
    assert_eq!(call(&mut k, &mut p, __NR_dup2, [1, 1, 0, 0, 0, 0]), 1);
    assert_eq!(call(&mut k, &mut p, __NR_dup2, [55, 1, 0, 0, 0, 0]), err(Errno::EBADF));
    assert_eq!(call(&mut k, &mut p, __NR_close, [9, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_close, [9, 0, 0, 0, 0, 0]), err(Errno::EBADF));
    assert_eq!(call(&mut k, &mut p, __NR_lseek, [1, 0, 0, 0, 0, 0]), err(Errno::ESPIPE));
}

#[test]
fn mmap_of_a_console_is_enodev() {
    let (mut k, mut p) = (Fake::new(), process(false));
    assert_eq!(call(&mut k, &mut p, __NR_mmap, [0, 4096, 3, MAP_PRIVATE as u64, 0, 0]), err(Errno::ENODEV));
    assert_eq!(call(&mut k, &mut p, __NR_mmap, [0, 4096, 3, MAP_PRIVATE as u64, 1, 0]), err(Errno::EACCES));
    assert_eq!(call(&mut k, &mut p, __NR_mmap, [0, 4096, 3, MAP_PRIVATE as u64, 99, 0]), err(Errno::EBADF));
    assert_eq!(call(&mut k, &mut p, __NR_mmap, [0, 4096, 3, (MAP_PRIVATE | MAP_ANONYMOUS) as u64, u64::MAX, 1]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_mmap, [0, 4096, 3, (MAP_PRIVATE | MAP_ANONYMOUS) as u64, u64::MAX, 0]), 0x7000_0000);
}

#[test]
fn clone_threads_and_futex_wait_wake() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let flags = (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS
        | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID) as u64;
    assert_eq!(call(&mut k, &mut p, __NR_clone, [flags, BASE + 0x1000, BASE, BASE + 8, 0x1234, 0]), 2);
    assert_eq!(k.peek(BASE, 4), 2i32.to_le_bytes());
    assert_eq!(p.threads[&2].clear_child_tid, BASE + 8);
    // fork-like and inconsistent flags
    assert_eq!(call(&mut k, &mut p, __NR_clone, [17, 0, 0, 0, 0, 0]), err(Errno::ENOSYS));
    assert_eq!(call(&mut k, &mut p, __NR_clone, [CLONE_THREAD as u64, 0, 0, 0, 0, 0]), err(Errno::EINVAL));
    // thread 2 waits on a futex word holding 7
    k.poke(BASE + 0x100, &7u32.to_le_bytes());
    p.tid = 2;
    assert_eq!(call(&mut k, &mut p, __NR_futex, [BASE + 0x100, 0, 8, 0, 0, 0]), err(Errno::EAGAIN));
    let d = Dispatcher::new(false).dispatch(&mut k, &mut p, __NR_futex as u64, [BASE + 0x100, 0, 7, 0, 0, 0]);
    assert_eq!(d, err(Errno::RESTART));
    assert!(p.futex.is_waiting(2));
    // thread 1 wakes it
    p.tid = 1;
    assert_eq!(call(&mut k, &mut p, __NR_futex, [BASE + 0x100, 1, 1, 0, 0, 0]), 1);
    assert!(k.logs.contains(&"wake 2".to_string()));
    // thread 2 runs its futex call again, woken
    p.tid = 2;
    p.thread_mut().wake = Some(elfin_posix::thread::Wake::Woken);
    assert_eq!(call(&mut k, &mut p, __NR_futex, [BASE + 0x100, 0, 7, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_futex, [BASE + 0x101, 0, 7, 0, 0, 0]), err(Errno::EINVAL));
    // thread 2 exits: its clear_child_tid word is zeroed
    k.poke(BASE + 8, &2u32.to_le_bytes());
    assert_eq!(call(&mut k, &mut p, __NR_exit, [0; 6]), 0);
    assert!(!p.threads.contains_key(&2));
    assert_eq!(k.peek(BASE + 8, 4), [0, 0, 0, 0]);
}

#[test]
fn signals_reach_a_handler_and_come_back() {
    let (mut k, mut p) = (Fake::new(), process(false));
    // SIGUSR1 handler with a restorer
    let mut act = Vec::new();
    for v in [0x401000u64, (SA_SIGINFO | 0x0400_0000) as u64, 0x401100, 0] {
        act.extend_from_slice(&v.to_le_bytes());
    }
    k.poke(BASE, &act);
    assert_eq!(call(&mut k, &mut p, __NR_rt_sigaction, [10, BASE, 0, 8, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_tgkill, [1, 1, 10, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_tgkill, [1, 9, 10, 0, 0, 0]), err(Errno::ESRCH));
    assert_eq!(call(&mut k, &mut p, __NR_kill, [1, 65, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_kill, [77, 0, 0, 0, 0, 0]), err(Errno::ESRCH));
    let mut regs = elfin_posix::sigframe::MContext { rsp: BASE + 0x8000, rip: 0x400000, rax: 5, ..Default::default() };
    let mut ctx = crate::Ctx { k: &mut k, p: &mut p };
    assert_eq!(crate::signal::deliver(&mut ctx, &mut regs, None), crate::signal::Delivery::Handler);
    assert_eq!((regs.rip, regs.rdi), (0x401000, 10));
    assert_eq!((regs.rsp + 8) % 16, 0);
    assert_eq!(p.thread().sigmask, 1 << 9, "the signal is blocked while its handler runs");
    let mut ctx = crate::Ctx { k: &mut k, p: &mut p };
    assert_eq!(crate::signal::deliver(&mut ctx, &mut regs.clone(), None), crate::signal::Delivery::None);
    // SIGCHLD's default is to ignore; SIGTERM's ends the process
    p.thread_mut().pending |= 1 << 16;
    let mut ctx = crate::Ctx { k: &mut k, p: &mut p };
    assert_eq!(crate::signal::deliver(&mut ctx, &mut regs.clone(), None), crate::signal::Delivery::None);
    p.thread_mut().pending |= 1 << 14;
    let mut ctx = crate::Ctx { k: &mut k, p: &mut p };
    assert_eq!(crate::signal::deliver(&mut ctx, &mut regs.clone(), None), crate::signal::Delivery::Terminate(15));
}

// --- Files, directories, pipes, readiness (the VFS families) -------------------------------

/// Put a NUL-terminated string at `addr`; returns `addr`.
fn cstr(k: &Fake, addr: u64, s: &str) -> u64 {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    k.poke(addr, &v);
    addr
}

fn u32_at(k: &Fake, addr: u64) -> u32 {
    u32::from_le_bytes(k.peek(addr, 4).try_into().unwrap())
}

fn u64_at(k: &Fake, addr: u64) -> u64 {
    u64::from_le_bytes(k.peek(addr, 8).try_into().unwrap())
}

const AT: u64 = AT_FDCWD as i64 as u64;
const P: u64 = BASE + 0x1000; // paths
const B: u64 = BASE + 0x2000; // data buffers
const S: u64 = BASE + 0x4000; // structs

#[test]
fn files_open_write_read_seek_stat() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let f = cstr(&k, P, "/tmp/f");
    let fd = call(&mut k, &mut p, __NR_openat, [AT, f, (O_CREAT | O_RDWR | O_EXCL) as u64, 0o640, 0, 0]);
    assert_eq!(fd, 3);
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, f, (O_CREAT | O_EXCL) as u64, 0o640, 0, 0]), err(Errno::EEXIST));
    k.poke(B, b"hello world");
    assert_eq!(call(&mut k, &mut p, __NR_write, [3, B, 11, 0, 0, 0]), 11);
    assert_eq!(call(&mut k, &mut p, __NR_lseek, [3, 6, SEEK_SET as u64, 0, 0, 0]), 6);
    assert_eq!(call(&mut k, &mut p, __NR_read, [3, B + 0x100, 100, 0, 0, 0]), 5);
    assert_eq!(k.peek(B + 0x100, 5), b"world");
    assert_eq!(call(&mut k, &mut p, __NR_pread64, [3, B + 0x100, 5, 0, 0, 0]), 5);
    assert_eq!(k.peek(B + 0x100, 5), b"hello");
    assert_eq!(call(&mut k, &mut p, __NR_pread64, [3, B, 5, u64::MAX, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_lseek, [3, 0, SEEK_END as u64, 0, 0, 0]), 11);
    assert_eq!(call(&mut k, &mut p, __NR_lseek, [3, (-20i64) as u64, SEEK_CUR as u64, 0, 0, 0]), err(Errno::EINVAL));
    // fstat: a regular file, mode after the umask (022), size 11.
    assert_eq!(call(&mut k, &mut p, __NR_fstat, [3, S, 0, 0, 0, 0]), 0);
    let mode = u32_at(&k, S + core::mem::offset_of!(stat, st_mode) as u64);
    assert_eq!(mode, S_IFREG | 0o640);
    assert_eq!(u64_at(&k, S + core::mem::offset_of!(stat, st_size) as u64), 11);
    // O_APPEND writes at the end whatever the offset.
    let fd2 = call(&mut k, &mut p, __NR_openat, [AT, f, (O_WRONLY | O_APPEND) as u64, 0, 0, 0]);
    assert_eq!(call(&mut k, &mut p, __NR_write, [fd2 as u64, B, 1, 0, 0, 0]), 1);
    assert_eq!(call(&mut k, &mut p, __NR_fstat, [3, S, 0, 0, 0, 0]), 0);
    assert_eq!(u64_at(&k, S + core::mem::offset_of!(stat, st_size) as u64), 12);
    assert_eq!(call(&mut k, &mut p, __NR_read, [fd2 as u64, B, 1, 0, 0, 0]), err(Errno::EBADF));
    // ftruncate needs a writable descriptor; O_TRUNC empties.
    let ro = call(&mut k, &mut p, __NR_openat, [AT, f, O_RDONLY as u64, 0, 0, 0]);
    assert_eq!(call(&mut k, &mut p, __NR_ftruncate, [ro as u64, 0, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert!(call(&mut k, &mut p, __NR_openat, [AT, f, (O_WRONLY | O_TRUNC) as u64, 0, 0, 0]) > 0);
    assert_eq!(call(&mut k, &mut p, __NR_lseek, [ro as u64, 0, SEEK_END as u64, 0, 0, 0]), 0);
    // Errors of the walk.
    let nope = cstr(&k, P + 0x100, "/tmp/f/x");
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, nope, O_RDONLY as u64, 0, 0, 0]), err(Errno::ENOTDIR));
    let dir = cstr(&k, P + 0x200, "/tmp");
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, dir, O_WRONLY as u64, 0, 0, 0]), err(Errno::EISDIR));
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, f, (O_RDONLY | O_DIRECTORY) as u64, 0, 0, 0]), err(Errno::ENOTDIR));
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, f, (O_CREAT | O_DIRECTORY) as u64, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, 0x10, O_RDONLY as u64, 0, 0, 0]), err(Errno::EFAULT));
}

#[test]
fn directories_links_rename_and_cwd() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let d = cstr(&k, P, "/tmp/d");
    assert_eq!(call(&mut k, &mut p, __NR_mkdir, [d, 0o755, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_mkdir, [d, 0o755, 0, 0, 0, 0]), err(Errno::EEXIST));
    assert_eq!(call(&mut k, &mut p, __NR_chdir, [d, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_getcwd, [B, 100, 0, 0, 0, 0]), 7);
    assert_eq!(k.peek(B, 7), b"/tmp/d\0");
    // Relative paths from the new working directory.
    let a = cstr(&k, P + 0x100, "a");
    assert!(call(&mut k, &mut p, __NR_creat, [a, 0o644, 0, 0, 0, 0]) > 0);
    let l = cstr(&k, P + 0x200, "l");
    let target = cstr(&k, P + 0x300, "a");
    assert_eq!(call(&mut k, &mut p, __NR_symlink, [target, l, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_readlink, [l, B, 100, 0, 0, 0]), 1);
    assert_eq!(call(&mut k, &mut p, __NR_readlink, [a, B, 100, 0, 0, 0]), err(Errno::EINVAL));
    let h = cstr(&k, P + 0x400, "h");
    assert_eq!(call(&mut k, &mut p, __NR_link, [a, h, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_stat, [l, S, 0, 0, 0, 0]), 0);
    assert_eq!(u64_at(&k, S + core::mem::offset_of!(stat, st_nlink) as u64), 2);
    assert_eq!(call(&mut k, &mut p, __NR_lstat, [l, S, 0, 0, 0, 0]), 0);
    assert_eq!(u32_at(&k, S + core::mem::offset_of!(stat, st_mode) as u64) & S_IFMT, S_IFLNK);
    // getdents64 lists ., .., a, l, h in creation order.
    let dfd = call(&mut k, &mut p, __NR_openat, [AT, d, (O_RDONLY | O_DIRECTORY) as u64, 0, 0, 0]);
    let n = call(&mut k, &mut p, __NR_getdents64, [dfd as u64, B, 4096, 0, 0, 0]) as usize;
    let buf = k.peek(B, n);
    let mut names = Vec::new();
    let mut off = 0;
    while off < n {
        let reclen = u16::from_le_bytes([buf[off + 16], buf[off + 17]]) as usize;
        let name: Vec<u8> = buf[off + 19..off + reclen].iter().copied().take_while(|&c| c != 0).collect();
        names.push(String::from_utf8(name).unwrap());
        off += reclen;
    }
    assert_eq!(names, [".", "..", "a", "l", "h"]);
    assert_eq!(call(&mut k, &mut p, __NR_getdents64, [dfd as u64, B, 4096, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_getdents64, [dfd as u64, B, 10, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_lseek, [dfd as u64, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_getdents64, [dfd as u64, B, 10, 0, 0, 0]), err(Errno::EINVAL));
    // rename over a file, rename a directory into itself, RENAME_NOREPLACE.
    let sub = cstr(&k, P + 0x500, "/tmp/d/sub");
    assert_eq!(call(&mut k, &mut p, __NR_renameat2, [AT, h, AT, a, RENAME_NOREPLACE as u64, 0]), err(Errno::EEXIST));
    assert_eq!(call(&mut k, &mut p, __NR_rename, [d, sub, 0, 0, 0, 0]), err(Errno::EINVAL));
    // Two names of one inode: rename does nothing and both stay (as on Linux).
    assert_eq!(call(&mut k, &mut p, __NR_rename, [h, a, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_rmdir, [d, 0, 0, 0, 0, 0]), err(Errno::ENOTEMPTY));
    assert_eq!(call(&mut k, &mut p, __NR_unlink, [h, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_unlink, [a, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_unlink, [l, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_unlink, [a, 0, 0, 0, 0, 0]), err(Errno::ENOENT));
    assert_eq!(call(&mut k, &mut p, __NR_rmdir, [d, 0, 0, 0, 0, 0]), 0);
    // The working directory is gone: getcwd says so, and so does getdents.
    assert_eq!(call(&mut k, &mut p, __NR_getcwd, [B, 100, 0, 0, 0, 0]), err(Errno::ENOENT));
    assert_eq!(call(&mut k, &mut p, __NR_getdents64, [dfd as u64, B, 4096, 0, 0, 0]), err(Errno::ENOENT));
    assert_eq!(call(&mut k, &mut p, __NR_creat, [a, 0o644, 0, 0, 0, 0]), err(Errno::ENOENT));
}

#[test]
fn pipes_nonblocking_blocking_eof_and_sigpipe() {
    let (mut k, mut p) = (Fake::new(), process(false));
    assert_eq!(call(&mut k, &mut p, __NR_pipe2, [S, O_NONBLOCK as u64, 0, 0, 0, 0]), 0);
    let (r, w) = (u32_at(&k, S) as u64, u32_at(&k, S + 4) as u64);
    assert_eq!((r, w), (3, 4));
    assert_eq!(call(&mut k, &mut p, __NR_read, [r, B, 10, 0, 0, 0]), err(Errno::EAGAIN));
    k.poke(B, b"abc");
    assert_eq!(call(&mut k, &mut p, __NR_write, [w, B, 3, 0, 0, 0]), 3);
    assert_eq!(call(&mut k, &mut p, __NR_ioctl, [r, linux_raw_sys::ioctl::FIONREAD as u64, S + 0x10, 0, 0, 0]), 0);
    assert_eq!(u32_at(&k, S + 0x10), 3);
    // poll: the read end is readable, the write end writable.
    let mut pfd = Vec::new();
    for (fd, ev) in [(r as i32, POLLIN as u16), (w as i32, POLLOUT as u16)] {
        pfd.extend_from_slice(&fd.to_le_bytes());
        pfd.extend_from_slice(&ev.to_le_bytes());
        pfd.extend_from_slice(&0u16.to_le_bytes());
    }
    k.poke(S + 0x20, &pfd);
    assert_eq!(call(&mut k, &mut p, __NR_poll, [S + 0x20, 2, 0, 0, 0, 0]), 2);
    assert_eq!(call(&mut k, &mut p, __NR_read, [r, B + 0x10, 10, 0, 0, 0]), 3);
    // Blocking now: an empty pipe makes the call block (the kernel runs it again later).
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [r, F_SETFL as u64, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_read, [r, B, 10, 0, 0, 0]), err(Errno::RESTART));
    assert!(p.thread().wait.is_some());
    // The writer's write wakes the blocked thread (the file-event queue, shared with other
    // tests running at the same time: its wake-up is not asserted here) and the read runs
    // again.
    assert_eq!(call(&mut k, &mut p, __NR_write, [w, B, 1, 0, 0, 0]), 1);
    p.thread_mut().wake = Some(elfin_posix::thread::Wake::Woken);
    assert_eq!(call(&mut k, &mut p, __NR_read, [r, B, 10, 0, 0, 0]), 1);
    // The writer leaves: end of file. The reader leaves: EPIPE and SIGPIPE for the writer.
    assert_eq!(call(&mut k, &mut p, __NR_close, [w, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_read, [r, B, 10, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_pipe, [S, 0, 0, 0, 0, 0]), 0);
    let (r2, w2) = (u32_at(&k, S) as u64, u32_at(&k, S + 4) as u64);
    assert_eq!(call(&mut k, &mut p, __NR_close, [r2, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_write, [w2, B, 1, 0, 0, 0]), err(Errno::EPIPE));
    assert_ne!(p.thread().pending & (1 << (SIGPIPE - 1)), 0);
    assert_eq!(call(&mut k, &mut p, __NR_lseek, [w2, 0, 0, 0, 0, 0]), err(Errno::ESPIPE));
    assert_eq!(call(&mut k, &mut p, __NR_pipe2, [S, 0x40, 0, 0, 0, 0]), err(Errno::EINVAL));
}

fn epoll_event(events: u32, data: u64) -> Vec<u8> {
    let mut v = events.to_le_bytes().to_vec();
    v.extend_from_slice(&data.to_le_bytes());
    v
}

#[test]
fn epoll_level_edge_oneshot_with_eventfd() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let ep = call(&mut k, &mut p, __NR_epoll_create1, [0, 0, 0, 0, 0, 0]) as u64;
    let efd = call(&mut k, &mut p, __NR_eventfd2, [0, EFD_NONBLOCK as u64, 0, 0, 0, 0]) as u64;
    k.poke(S, &epoll_event(EPOLLIN, 77));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_ADD as u64, efd, S, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_ADD as u64, efd, S, 0, 0]), err(Errno::EEXIST));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_ADD as u64, ep, S, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S + 0x100, 4, 0, 0, 0]), 0);
    k.poke(B, &5u64.to_le_bytes());
    assert_eq!(call(&mut k, &mut p, __NR_write, [efd, B, 8, 0, 0, 0]), 8);
    // Level-triggered: reported while readable.
    for _ in 0..2 {
        assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S + 0x100, 4, 0, 0, 0]), 1);
        assert_eq!(u64_at(&k, S + 0x104), 77);
    }
    // Edge-triggered: once per write.
    k.poke(S, &epoll_event(EPOLLIN | EPOLLET, 78));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_MOD as u64, efd, S, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S + 0x100, 4, 0, 0, 0]), 1);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S + 0x100, 4, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_write, [efd, B, 8, 0, 0, 0]), 8);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S + 0x100, 4, 0, 0, 0]), 1);
    // One-shot: once, then silent until modified.
    k.poke(S, &epoll_event(EPOLLIN | EPOLLONESHOT, 79));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_MOD as u64, efd, S, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S + 0x100, 4, 0, 0, 0]), 1);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S + 0x100, 4, 0, 0, 0]), 0);
    // The counter: read takes all of it (5 + 5).
    assert_eq!(call(&mut k, &mut p, __NR_read, [efd, B, 8, 0, 0, 0]), 8);
    assert_eq!(u64_at(&k, B), 10);
    assert_eq!(call(&mut k, &mut p, __NR_read, [efd, B, 8, 0, 0, 0]), err(Errno::EAGAIN));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_DEL as u64, efd, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_DEL as u64, efd, 0, 0, 0]), err(Errno::ENOENT));
    // Regular files cannot be watched; an epoll cannot watch itself through another.
    let f = cstr(&k, P, "/tmp/x");
    let ffd = call(&mut k, &mut p, __NR_creat, [f, 0o644, 0, 0, 0, 0]) as u64;
    k.poke(S, &epoll_event(EPOLLIN, 0));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_ADD as u64, ffd, S, 0, 0]), err(Errno::EPERM));
    let ep2 = call(&mut k, &mut p, __NR_epoll_create1, [0, 0, 0, 0, 0, 0]) as u64;
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep, EPOLL_CTL_ADD as u64, ep2, S, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_epoll_ctl, [ep2, EPOLL_CTL_ADD as u64, ep, S, 0, 0]), err(Errno::ELOOP));
    assert_eq!(call(&mut k, &mut p, __NR_epoll_wait, [ep, S, 0, 0, 0, 0]), err(Errno::EINVAL));
}

#[test]
fn timerfd_expiry_on_the_fake_clock() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let t = call(&mut k, &mut p, __NR_timerfd_create, [CLOCK_MONOTONIC as u64, TFD_NONBLOCK as u64, 0, 0, 0, 0]) as u64;
    assert_eq!(call(&mut k, &mut p, __NR_read, [t, B, 8, 0, 0, 0]), err(Errno::EAGAIN));
    // Armed at an absolute time already past (the fake monotonic clock reads 5.000000123 s),
    // with a 1 s interval: 3 expirations by now.
    let mut its = Vec::new();
    for v in [1i64, 0, 3, 0] {
        its.extend_from_slice(&v.to_le_bytes());
    }
    k.poke(S, &its);
    assert_eq!(call(&mut k, &mut p, __NR_timerfd_settime, [t, TFD_TIMER_ABSTIME as u64, S, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_read, [t, B, 8, 0, 0, 0]), 8);
    assert_eq!(u64_at(&k, B), 3);
    assert_eq!(call(&mut k, &mut p, __NR_read, [t, B, 4, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_timerfd_gettime, [t, S + 0x40, 0, 0, 0, 0]), 0);
    assert_eq!(u64_at(&k, S + 0x40), 1); // interval 1 s
    assert_eq!(call(&mut k, &mut p, __NR_timerfd_create, [99, 0, 0, 0, 0, 0]), err(Errno::EINVAL));
    assert_eq!(call(&mut k, &mut p, __NR_timerfd_settime, [1, 0, S, 0, 0, 0]), err(Errno::EINVAL));
}

#[test]
fn locks_by_owner_and_access_mode() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let f = cstr(&k, P, "/tmp/lk");
    let a = call(&mut k, &mut p, __NR_openat, [AT, f, (O_CREAT | O_RDWR) as u64, 0o644, 0, 0]) as u64;
    let b = call(&mut k, &mut p, __NR_openat, [AT, f, O_RDONLY as u64, 0, 0, 0]) as u64;
    // struct flock: type, whence, start, len, pid.
    let fl = |t: i16, pid: i32| {
        let mut v = vec![0u8; 32];
        v[0..2].copy_from_slice(&t.to_le_bytes());
        v[24..28].copy_from_slice(&pid.to_le_bytes());
        v
    };
    k.poke(S, &fl(F_WRLCK as i16, 0));
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [b, F_SETLK as u64, S, 0, 0, 0]), err(Errno::EBADF));
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [a, F_OFD_SETLK as u64, S, 0, 0, 0]), 0);
    // Another description conflicts (OFD locks), the same process's classic lock does too.
    k.poke(S, &fl(F_RDLCK as i16, 0));
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [b, F_OFD_SETLK as u64, S, 0, 0, 0]), err(Errno::EAGAIN));
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [b, F_SETLK as u64, S, 0, 0, 0]), err(Errno::EAGAIN));
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [b, F_OFD_GETLK as u64, S, 0, 0, 0]), 0);
    assert_eq!(i16::from_le_bytes(k.peek(S, 2).try_into().unwrap()), F_WRLCK as i16);
    assert_eq!(i32::from_le_bytes(k.peek(S + 24, 4).try_into().unwrap()), -1);
    k.poke(S, &fl(F_UNLCK as i16, 0));
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [b, F_GETLK as u64, S, 0, 0, 0]), err(Errno::EINVAL));
    k.poke(S, &fl(F_RDLCK as i16, 5));
    assert_eq!(call(&mut k, &mut p, __NR_fcntl, [b, F_OFD_SETLK as u64, S, 0, 0, 0]), err(Errno::EINVAL));
    // flock between descriptions.
    assert_eq!(call(&mut k, &mut p, __NR_flock, [a, LOCK_EX as u64, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_flock, [b, (LOCK_SH | LOCK_NB) as u64, 0, 0, 0, 0]), err(Errno::EAGAIN));
    assert_eq!(call(&mut k, &mut p, __NR_close, [a, 0, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_flock, [b, (LOCK_SH | LOCK_NB) as u64, 0, 0, 0, 0]), 0);
    assert_eq!(call(&mut k, &mut p, __NR_flock, [b, LOCK_NB as u64, 0, 0, 0, 0]), err(Errno::EINVAL));
}

#[test]
fn proc_and_dev_through_the_syscalls() {
    let (mut k, mut p) = (Fake::new(), process(false));
    let null = cstr(&k, P, "/dev/null");
    let fd = call(&mut k, &mut p, __NR_openat, [AT, null, O_RDWR as u64, 0, 0, 0]) as u64;
    // Writes to /dev/null never read the buffer.
    assert_eq!(call(&mut k, &mut p, __NR_write, [fd, 0x10, 5, 0, 0, 0]), 5);
    assert_eq!(call(&mut k, &mut p, __NR_read, [fd, B, 5, 0, 0, 0]), 0);
    let link = cstr(&k, P + 0x100, "/proc/self/fd/3");
    assert_eq!(call(&mut k, &mut p, __NR_readlink, [link, B, 100, 0, 0, 0]), 9);
    assert_eq!(k.peek(B, 9), b"/dev/null");
    let tty = cstr(&k, P + 0x200, "/dev/tty");
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, tty, O_RDWR as u64, 0, 0, 0]), err(Errno::ENXIO));
    let cmd = cstr(&k, P + 0x300, "/proc/self/status");
    let s = call(&mut k, &mut p, __NR_openat, [AT, cmd, O_RDONLY as u64, 0, 0, 0]) as u64;
    let n = call(&mut k, &mut p, __NR_read, [s, B, 4096, 0, 0, 0]) as usize;
    assert!(String::from_utf8_lossy(&k.peek(B, n)).starts_with("Name:\tapp\n"));
    assert_eq!(call(&mut k, &mut p, __NR_openat, [AT, cmd, O_WRONLY as u64, 0, 0, 0]), err(Errno::EACCES));
    assert_eq!(call(&mut k, &mut p, __NR_statfs, [cmd, S, 0, 0, 0, 0]), 0);
    assert_eq!(u64_at(&k, S), PROC_SUPER_MAGIC as u64);
}
