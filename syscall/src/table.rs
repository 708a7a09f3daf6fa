//! The one syscall table. Each line gives the Linux number (from `linux-raw-sys`), the
//! handler, how `--strace` prints the arguments, and the support status. From it come the
//! dispatcher ([`Dispatcher`]), the names used by tracing, `docs/syscalls.md` and its JSON twin
//! (see `elfin-compat gen-docs`) and the data the coverage report reads.

#![allow(non_upper_case_globals)] // the `__NR_*` constants of linux-raw-sys

use crate::strace::{Arg, Ret};
use crate::{
    Args, Ctx, Kernel, Process, SysResult, eventfd, eventpoll, fadvise, memfd, select, timerfd, xattr,
};
use crate::{
    access, arch_prctl, attr, clone, cwd, exit, fcntl, fd, futex, ids, ioctl, locks, mman, namei, open, pipe, random, read_write, readdir, readlink, resource, sched, signal, stat, statfs, sync, thread, time, truncate, uname, utimes,
};
use alloc::collections::BTreeSet;
use elfin_abi::Errno;
use linux_raw_sys::general::*;

/// How completely Elfin serves a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Linux semantics, error paths included.
    Full,
    /// Served, with the named parts missing.
    Partial(&'static str),
}

/// One syscall of the table.
pub struct Entry {
    /// Linux number.
    pub nr: u32,
    /// Linux name.
    pub name: &'static str,
    /// The handler.
    pub handler: fn(&mut Ctx, &Args) -> SysResult,
    /// How strace shows the arguments.
    pub args: &'static [Arg],
    /// How strace shows the result.
    pub ret: Ret,
    /// Support status.
    pub status: Status,
}

impl core::fmt::Debug for Entry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}({})", self.name, self.nr)
    }
}

macro_rules! table {
    ($( $nr:ident => $handler:path, [$($arg:expr),*], $ret:ident, $status:expr; )*) => {
        const ENTRIES: &[Entry] = &[
            $(Entry {
                nr: $nr,
                name: crate::linux_names::strip_nr(stringify!($nr)),
                handler: $handler,
                args: &[$($arg),*],
                ret: Ret::$ret,
                status: $status,
            },)*
        ];
        /// Every syscall Elfin serves, in number order.
        pub static TABLE: &[Entry] = ENTRIES;
    };
}

use Arg::*;
use Status::{Full, Partial};

table! {
    __NR_read => read_write::read, [Fd, OutBuf(2), Uint], Dec, Partial("a terminal with O_NONBLOCK still waits for a line");
    __NR_write => read_write::write, [Fd, InBuf(2), Uint], Dec, Full;
    __NR_open => open::open, [Str, Hex, Oct], Dec, Full;
    __NR_close => fd::close, [Fd], Dec, Full;
    __NR_stat => stat::stat, [Str, Ptr], Dec, Full;
    __NR_fstat => stat::fstat, [Fd, Ptr], Dec, Full;
    __NR_lstat => stat::lstat, [Str, Ptr], Dec, Full;
    __NR_poll => select::poll, [Ptr, Uint, Int], Dec, Partial("a terminal always reads as ready (the console does not report pending input)");
    __NR_lseek => read_write::lseek, [Fd, Int, Int], Dec, Full;
    __NR_mmap => mman::mmap, [Hex, Uint, Hex, Hex, Fd, Hex], Hex, Partial("MAP_SHARED of anonymous memory and of files is shared within the one address space (no fork yet); access past the end of a file is SIGSEGV, not SIGBUS");
    __NR_mprotect => mman::mprotect, [Hex, Uint, Hex], Dec, Full;
    __NR_munmap => mman::munmap, [Hex, Uint], Dec, Full;
    __NR_brk => mman::brk, [Hex], Hex, Full;
    __NR_rt_sigaction => signal::rt_sigaction, [Int, Ptr, Ptr, Uint], Dec, Partial("no SA_RESTART: interrupted calls give EINTR");
    __NR_rt_sigprocmask => signal::rt_sigprocmask, [Int, Ptr, Ptr, Uint], Dec, Full;
    __NR_rt_sigreturn => signal::rt_sigreturn, [], Dec, Full;
    __NR_ioctl => ioctl::ioctl, [Fd, Hex, Hex], Dec, Partial("FIONBIO, FIOASYNC, FIOCLEX, FIONCLEX, FIONREAD; TCGETS, TCSETS*, TIOCGWINSZ, TIOCGPGRP on a terminal");
    __NR_pread64 => read_write::pread64, [Fd, OutBuf(2), Uint, Int], Dec, Full;
    __NR_pwrite64 => read_write::pwrite64, [Fd, InBuf(2), Uint, Int], Dec, Full;
    __NR_readv => read_write::readv, [Fd, Ptr, Int], Dec, Partial("a terminal with O_NONBLOCK still waits for a line");
    __NR_writev => read_write::writev, [Fd, Ptr, Int], Dec, Full;
    __NR_access => access::access, [Str, Oct], Dec, Full;
    __NR_pipe => pipe::pipe, [Ptr], Dec, Full;
    __NR_select => select::select, [Int, Ptr, Ptr, Ptr, Ptr], Dec, Partial("a terminal always reads as ready (the console does not report pending input)");
    __NR_sched_yield => sched::sched_yield, [], Dec, Full;
    __NR_mremap => mman::mremap, [Hex, Uint, Uint, Hex, Hex], Hex, Full;
    __NR_msync => mman::msync, [Hex, Uint, Hex], Dec, Full;
    __NR_madvise => mman::madvise, [Hex, Uint, Int], Dec, Full;
    __NR_dup => fd::dup, [Fd], Dec, Full;
    __NR_dup2 => fd::dup2, [Fd, Fd], Dec, Full;
    __NR_nanosleep => time::nanosleep, [Ptr, Ptr], Dec, Partial("rem is not written on EINTR");
    __NR_getpid => ids::getpid, [], Dec, Full;
    __NR_sendfile => read_write::sendfile, [Fd, Fd, Ptr, Uint], Dec, Full;
    __NR_clone => clone::clone, [Hex, Ptr, Ptr, Ptr, Hex], Dec, Partial("threads only: new processes (fork, vfork) are ENOSYS");
    __NR_exit => exit::exit, [Int], Dec, Partial("no robust-list processing at thread exit");
    __NR_kill => signal::kill, [Int, Int], Dec, Partial("one process: other pids are ESRCH");
    __NR_uname => uname::uname, [Ptr], Dec, Full;
    __NR_fcntl => fcntl::fcntl, [Fd, Int, Hex], Dec, Partial("F_SETOWN/F_SETSIG/F_SETLEASE are accepted without signal delivery; F_NOTIFY is EINVAL");
    __NR_flock => locks::flock, [Fd, Int], Dec, Full;
    __NR_fsync => sync::fsync, [Fd], Dec, Full;
    __NR_fdatasync => sync::fsync, [Fd], Dec, Full;
    __NR_truncate => truncate::truncate, [Str, Int], Dec, Full;
    __NR_ftruncate => truncate::ftruncate, [Fd, Int], Dec, Full;
    __NR_getdents => readdir::getdents, [Fd, Ptr, Uint], Dec, Full;
    __NR_getcwd => cwd::getcwd, [Ptr, Uint], Dec, Full;
    __NR_chdir => cwd::chdir, [Str], Dec, Full;
    __NR_fchdir => cwd::fchdir, [Fd], Dec, Full;
    __NR_rename => namei::rename, [Str, Str], Dec, Full;
    __NR_mkdir => namei::mkdir, [Str, Oct], Dec, Full;
    __NR_rmdir => namei::rmdir, [Str], Dec, Full;
    __NR_creat => open::creat, [Str, Oct], Dec, Full;
    __NR_link => namei::link, [Str, Str], Dec, Full;
    __NR_unlink => namei::unlink, [Str], Dec, Full;
    __NR_symlink => namei::symlink, [Str, Str], Dec, Full;
    __NR_readlink => readlink::readlink, [Str, Ptr, Uint], Dec, Full;
    __NR_chmod => attr::chmod, [Str, Oct], Dec, Full;
    __NR_fchmod => attr::fchmod, [Fd, Oct], Dec, Full;
    __NR_chown => attr::chown, [Str, Int, Int], Dec, Full;
    __NR_fchown => attr::fchown, [Fd, Int, Int], Dec, Full;
    __NR_lchown => attr::lchown, [Str, Int, Int], Dec, Full;
    __NR_umask => attr::umask, [Oct], Oct, Full;
    __NR_gettimeofday => time::gettimeofday, [Ptr, Ptr], Dec, Full;
    __NR_getrlimit => resource::getrlimit, [Int, Ptr], Dec, Full;
    __NR_getuid => ids::getuid, [], Dec, Full;
    __NR_getgid => ids::getgid, [], Dec, Full;
    __NR_geteuid => ids::geteuid, [], Dec, Full;
    __NR_getegid => ids::getegid, [], Dec, Full;
    __NR_getppid => ids::getppid, [], Dec, Full;
    __NR_getresuid => ids::getresuid, [Ptr, Ptr, Ptr], Dec, Full;
    __NR_getresgid => ids::getresgid, [Ptr, Ptr, Ptr], Dec, Full;
    __NR_rt_sigpending => signal::rt_sigpending, [Ptr, Uint], Dec, Full;
    __NR_sigaltstack => signal::sigaltstack, [Ptr, Ptr], Dec, Full;
    __NR_utime => utimes::utime, [Str, Ptr], Dec, Full;
    __NR_mknod => namei::mknod, [Str, Oct, Hex], Dec, Partial("device nodes other than the memory devices and ttys open with ENXIO; sockets cannot be connected");
    __NR_statfs => statfs::statfs, [Str, Ptr], Dec, Full;
    __NR_fstatfs => statfs::fstatfs, [Fd, Ptr], Dec, Full;
    __NR_arch_prctl => arch_prctl::arch_prctl, [Hex, Hex], Dec, Full;
    __NR_setrlimit => resource::setrlimit, [Int, Ptr], Dec, Full;
    __NR_chroot => cwd::chroot, [Str], Dec, Full;
    __NR_sync => sync::sync, [], Dec, Full;
    __NR_gettid => ids::gettid, [], Dec, Full;
    __NR_readahead => fadvise::readahead, [Fd, Int, Uint], Dec, Full;
    __NR_setxattr => xattr::setxattr, [Str, Str, Ptr, Uint, Hex], Dec, Partial("POSIX ACLs (system.posix_acl_*) cannot be set");
    __NR_lsetxattr => xattr::lsetxattr, [Str, Str, Ptr, Uint, Hex], Dec, Partial("POSIX ACLs (system.posix_acl_*) cannot be set");
    __NR_fsetxattr => xattr::fsetxattr, [Fd, Str, Ptr, Uint, Hex], Dec, Partial("POSIX ACLs (system.posix_acl_*) cannot be set");
    __NR_getxattr => xattr::getxattr, [Str, Str, Ptr, Uint], Dec, Full;
    __NR_lgetxattr => xattr::lgetxattr, [Str, Str, Ptr, Uint], Dec, Full;
    __NR_fgetxattr => xattr::fgetxattr, [Fd, Str, Ptr, Uint], Dec, Full;
    __NR_listxattr => xattr::listxattr, [Str, Ptr, Uint], Dec, Full;
    __NR_llistxattr => xattr::llistxattr, [Str, Ptr, Uint], Dec, Full;
    __NR_flistxattr => xattr::flistxattr, [Fd, Ptr, Uint], Dec, Full;
    __NR_removexattr => xattr::removexattr, [Str, Str], Dec, Full;
    __NR_lremovexattr => xattr::lremovexattr, [Str, Str], Dec, Full;
    __NR_fremovexattr => xattr::fremovexattr, [Fd, Str], Dec, Full;
    __NR_tkill => signal::tkill, [Int, Int], Dec, Full;
    __NR_time => time::time, [Ptr], Dec, Full;
    __NR_futex => futex::futex, [Ptr, Int, Int, Ptr, Ptr, Hex], Dec, Partial("no priority-inheritance operations (ENOSYS)");
    __NR_sched_getaffinity => sched::sched_getaffinity, [Int, Uint, Ptr], Dec, Full;
    __NR_epoll_create => eventpoll::epoll_create, [Int], Dec, Full;
    __NR_getdents64 => readdir::getdents64, [Fd, Ptr, Uint], Dec, Full;
    __NR_set_tid_address => thread::set_tid_address, [Ptr], Dec, Full;
    __NR_fadvise64 => fadvise::fadvise64, [Fd, Int, Int, Int], Dec, Full;
    __NR_clock_gettime => time::clock_gettime, [Int, Ptr], Dec, Partial("CPU-time clocks count time since the app started");
    __NR_clock_getres => time::clock_getres, [Int, Ptr], Dec, Full;
    __NR_clock_nanosleep => time::clock_nanosleep, [Int, Hex, Ptr, Ptr], Dec, Partial("rem is not written on EINTR; CPU-time clocks EOPNOTSUPP");
    __NR_exit_group => exit::exit_group, [Int], Dec, Full;
    __NR_epoll_wait => eventpoll::epoll_wait, [Fd, Ptr, Int, Int], Dec, Partial("a terminal always reads as ready (the console does not report pending input)");
    __NR_epoll_ctl => eventpoll::epoll_ctl, [Fd, Int, Fd, Ptr], Dec, Partial("EPOLLEXCLUSIVE and EPOLLWAKEUP are accepted and have no effect");
    __NR_tgkill => signal::tgkill, [Int, Int, Int], Dec, Full;
    __NR_utimes => utimes::utimes, [Str, Ptr], Dec, Full;
    __NR_openat => open::openat, [Fd, Str, Hex, Oct], Dec, Full;
    __NR_mkdirat => namei::mkdirat, [Fd, Str, Oct], Dec, Full;
    __NR_mknodat => namei::mknodat, [Fd, Str, Oct, Hex], Dec, Partial("device nodes other than the memory devices and ttys open with ENXIO; sockets cannot be connected");
    __NR_fchownat => attr::fchownat, [Fd, Str, Int, Int, Hex], Dec, Full;
    __NR_futimesat => utimes::futimesat, [Fd, Str, Ptr], Dec, Full;
    __NR_newfstatat => stat::newfstatat, [Fd, Str, Ptr, Hex], Dec, Full;
    __NR_unlinkat => namei::unlinkat, [Fd, Str, Hex], Dec, Full;
    __NR_renameat => namei::renameat, [Fd, Str, Fd, Str], Dec, Full;
    __NR_linkat => namei::linkat, [Fd, Str, Fd, Str, Hex], Dec, Full;
    __NR_symlinkat => namei::symlinkat, [Str, Fd, Str], Dec, Full;
    __NR_readlinkat => readlink::readlinkat, [Fd, Str, Ptr, Uint], Dec, Full;
    __NR_fchmodat => attr::fchmodat, [Fd, Str, Oct], Dec, Full;
    __NR_faccessat => access::faccessat, [Fd, Str, Oct], Dec, Full;
    __NR_pselect6 => select::pselect6, [Int, Ptr, Ptr, Ptr, Ptr, Ptr], Dec, Partial("the temporary signal mask is checked, not applied; a terminal always reads as ready (the console does not report pending input)");
    __NR_ppoll => select::ppoll, [Ptr, Uint, Ptr, Ptr, Uint], Dec, Partial("the temporary signal mask is checked, not applied; a terminal always reads as ready (the console does not report pending input)");
    __NR_set_robust_list => thread::set_robust_list, [Ptr, Uint], Dec, Full;
    __NR_sync_file_range => sync::sync_file_range, [Fd, Int, Int, Hex], Dec, Full;
    __NR_utimensat => utimes::utimensat, [Fd, Str, Ptr, Hex], Dec, Full;
    __NR_epoll_pwait => eventpoll::epoll_pwait, [Fd, Ptr, Int, Int, Ptr, Uint], Dec, Partial("the temporary signal mask is checked, not applied; a terminal always reads as ready (the console does not report pending input)");
    __NR_timerfd_create => timerfd::timerfd_create, [Int, Hex], Dec, Full;
    __NR_eventfd => eventfd::eventfd, [Uint], Dec, Full;
    __NR_fallocate => truncate::fallocate, [Fd, Hex, Int, Int], Dec, Full;
    __NR_timerfd_settime => timerfd::timerfd_settime, [Fd, Hex, Ptr, Ptr], Dec, Partial("TFD_TIMER_CANCEL_ON_SET never cancels: the wall clock is never set");
    __NR_timerfd_gettime => timerfd::timerfd_gettime, [Fd, Ptr], Dec, Full;
    __NR_eventfd2 => eventfd::eventfd2, [Uint, Hex], Dec, Full;
    __NR_epoll_create1 => eventpoll::epoll_create1, [Hex], Dec, Full;
    __NR_dup3 => fd::dup3, [Fd, Fd, Hex], Dec, Full;
    __NR_pipe2 => pipe::pipe2, [Ptr, Hex], Dec, Partial("O_DIRECT pipes are byte streams, not packets");
    __NR_preadv => read_write::preadv, [Fd, Ptr, Int, Int], Dec, Full;
    __NR_pwritev => read_write::pwritev, [Fd, Ptr, Int, Int], Dec, Full;
    __NR_prlimit64 => resource::prlimit64, [Int, Int, Ptr, Ptr], Dec, Full;
    __NR_syncfs => sync::syncfs, [Fd], Dec, Full;
    __NR_renameat2 => namei::renameat2, [Fd, Str, Fd, Str, Hex], Dec, Partial("RENAME_WHITEOUT is EINVAL");
    __NR_getrandom => random::getrandom, [Ptr, Uint, Hex], Dec, Full;
    __NR_memfd_create => memfd::memfd_create, [Str, Hex], Dec, Partial("MFD_HUGETLB is EINVAL (no huge pages)");
    __NR_copy_file_range => read_write::copy_file_range, [Fd, Ptr, Fd, Ptr, Uint, Hex], Dec, Full;
    __NR_preadv2 => read_write::preadv2, [Fd, Ptr, Int, Int, Int, Hex], Dec, Full;
    __NR_pwritev2 => read_write::pwritev2, [Fd, Ptr, Int, Int, Int, Hex], Dec, Full;
    __NR_statx => stat::statx, [Fd, Str, Hex, Hex, Ptr], Dec, Full;
    __NR_rseq => thread::rseq, [Ptr, Uint, Hex, Hex], Dec, Partial("registration only; no preemption, so no aborts to deliver");
    __NR_clone3 => clone::clone3, [Ptr, Uint], Dec, Partial("threads only: new processes are ENOSYS");
    __NR_close_range => fd::close_range, [Fd, Fd, Hex], Dec, Partial("CLOSE_RANGE_UNSHARE has nothing to unshare: one process");
    __NR_openat2 => open::openat2, [Fd, Str, Ptr, Uint], Dec, Full;
    __NR_faccessat2 => access::faccessat2, [Fd, Str, Oct, Hex], Dec, Full;
    __NR_epoll_pwait2 => eventpoll::epoll_pwait2, [Fd, Ptr, Int, Ptr, Ptr, Uint], Dec, Partial("the temporary signal mask is checked, not applied; a terminal always reads as ready (the console does not report pending input)");
    __NR_fchmodat2 => attr::fchmodat2, [Fd, Str, Oct, Hex], Dec, Full;
}

const MAX_NR: usize = 512;

/// Syscall number -> index in the table (`u16::MAX`: not served), built at compile time.
static INDEX: [u16; MAX_NR] = {
    let mut idx = [u16::MAX; MAX_NR];
    let mut i = 0;
    while i < ENTRIES.len() {
        assert!(idx[ENTRIES[i].nr as usize] == u16::MAX, "a syscall appears twice in the table");
        idx[ENTRIES[i].nr as usize] = i as u16;
        i += 1;
    }
    idx
};

/// The table entry of syscall `nr`: one array lookup.
pub fn entry(nr: u64) -> Option<&'static Entry> {
    let i = *INDEX.get(usize::try_from(nr).ok()?)?;
    TABLE.get(i as usize)
}

/// The Linux name of syscall `nr`, served or not.
pub fn name(nr: u64) -> Option<&'static str> {
    let nr32 = u32::try_from(nr).ok()?;
    crate::linux_names::LINUX_SYSCALLS.iter().find(|(n, _)| *n == nr32).map(|(_, s)| *s)
}

/// Dispatches syscalls to the table, tracing and logging as configured.
#[derive(Debug, Default)]
pub struct Dispatcher {
    /// Print every syscall (`--strace`).
    pub strace: bool,
    enosys_seen: BTreeSet<u64>,
}

impl Dispatcher {
    /// A dispatcher; `strace` turns tracing on.
    pub fn new(strace: bool) -> Self {
        Dispatcher { strace, enosys_seen: BTreeSet::new() }
    }

    /// Serve syscall `nr` with `args`; returns the value for `%rax`.
    pub fn dispatch(&mut self, k: &mut dyn Kernel, p: &mut Process, nr: u64, args: [u64; 6]) -> i64 {
        let args = Args(args);
        let result = match entry(nr) {
            Some(e) => {
                if self.strace && matches!(nr as u32, __NR_exit | __NR_exit_group) {
                    crate::strace::trace_call(k, e, &args, None);
                }
                let events = elfin_posix::wait::FILE_EVENTS.generation();
                let mut ctx = Ctx { k, p };
                let r = (e.handler)(&mut ctx, &args);
                // Something a blocked file call may wait for happened: its threads look again.
                if elfin_posix::wait::FILE_EVENTS.generation() != events {
                    for t in elfin_posix::wait::FILE_EVENTS.take_waiters() {
                        ctx.k.wake_thread(t);
                    }
                }
                // A blocked call is traced once, when it completes.
                if self.strace && r != Err(Errno::RESTART) {
                    crate::strace::trace_call(ctx.k, e, &args, Some(r));
                }
                r
            }
            None => {
                let first = self.note_enosys(nr);
                if first {
                    match name(nr) {
                        Some(n) => k.log(format_args!("unsupported syscall {n} ({nr}): ENOSYS")),
                        None => k.log(format_args!("unknown syscall {nr}: ENOSYS")),
                    }
                }
                if self.strace {
                    crate::strace::trace_unknown(k, nr, &args);
                }
                Err(Errno::ENOSYS)
            }
        };
        elfin_abi::to_syscall_return(result)
    }

    /// Record that `nr` got ENOSYS; true the first time.
    fn note_enosys(&mut self, nr: u64) -> bool {
        self.enosys_seen.insert(nr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_named_like_linux() {
        for w in TABLE.windows(2) {
            assert!(w[0].nr < w[1].nr, "{:?} before {:?}", w[0], w[1]);
        }
        for e in TABLE {
            assert_eq!(name(e.nr as u64), Some(e.name));
        }
        assert_eq!(entry(__NR_write as u64).unwrap().name, "write");
        assert!(entry(1000).is_none());
        assert!(entry(u64::MAX).is_none());
    }

    #[test]
    fn linux_list_is_complete_and_ordered() {
        let l = crate::linux_names::LINUX_SYSCALLS;
        assert!(l.len() > 350);
        assert_eq!(l[0], (0, "read"));
        assert!(l.iter().any(|&(n, s)| n == 231 && s == "exit_group"));
    }
}
