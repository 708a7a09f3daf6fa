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
