//! The process: identity, credentials, resource limits, working directory, descriptor table
//! and signal state. One process today; `fork`/`execve` will create more of these, so nothing
//! here is a global.

use crate::fd::FdTable;
use crate::futex::FutexTable;
use crate::signal::SignalState;
use crate::thread::ThreadState;
use crate::vfs::inode::ZeroClock;
use crate::vfs::{Inode, Vfs};
use alloc::sync::Arc;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;

/// `RLIM_INFINITY`.
pub const RLIM_INFINITY: u64 = u64::MAX;

/// One resource limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    /// Soft limit.
    pub cur: u64,
    /// Hard limit.
    pub max: u64,
}

/// Number of resources (`RLIM_NLIMITS`).
pub const RLIM_NLIMITS: usize = 16;

/// Linux's defaults for a process started by init (include/asm-generic/resource.h), with the
/// 8 MiB stack Linux reports.
pub fn default_rlimits() -> [Rlimit; RLIM_NLIMITS] {
    let inf = Rlimit { cur: RLIM_INFINITY, max: RLIM_INFINITY };
    let mut r = [inf; RLIM_NLIMITS];
    r[g::RLIMIT_STACK as usize] = Rlimit { cur: 8 << 20, max: RLIM_INFINITY };
    r[g::RLIMIT_CORE as usize] = Rlimit { cur: 0, max: RLIM_INFINITY };
    r[g::RLIMIT_NOFILE as usize] = Rlimit { cur: crate::fd::NOFILE_DEFAULT, max: 4096 };
    r[g::RLIMIT_MEMLOCK as usize] = Rlimit { cur: 8 << 20, max: 8 << 20 };
    r[g::RLIMIT_MSGQUEUE as usize] = Rlimit { cur: 819_200, max: 819_200 };
    r[g::RLIMIT_NICE as usize] = Rlimit { cur: 0, max: 0 };
    r[g::RLIMIT_RTPRIO as usize] = Rlimit { cur: 0, max: 0 };
    r[g::RLIMIT_NPROC as usize] = Rlimit { cur: 63_432, max: 63_432 };
    r[g::RLIMIT_SIGPENDING as usize] = Rlimit { cur: 63_432, max: 63_432 };
    r
}

/// User and group ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Creds {
    /// Real, effective, saved user id.
    pub uid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Real group id.
    pub gid: u32,
    /// Effective group id.
    pub egid: u32,
}

/// The filesystem view of a process (Linux's `fs_struct`): the tree, its root and working
/// directory.
#[derive(Debug, Clone)]
pub struct FsContext {
    /// The filesystem tree.
    pub vfs: Arc<Vfs>,
    /// Root directory (`/`).
    pub root: Arc<Inode>,
    /// Working directory.
    pub cwd: Arc<Inode>,
}

impl FsContext {
    /// Root and working directory at the root of `vfs`.
    pub fn new(vfs: Arc<Vfs>) -> Self {
        FsContext { root: vfs.root.clone(), cwd: vfs.root.clone(), vfs }
    }
}

/// A process.
#[derive(Debug)]
pub struct Process {
    /// Process id (the app is process 1 of its VM).
    pub pid: i32,
    /// Parent's id (0: none, like init).
    pub ppid: i32,
    /// The thread making the current syscall (the kernel sets it before each dispatch).
    pub tid: i32,
    /// The threads, by tid.
    pub threads: BTreeMap<i32, ThreadState>,
    /// Futex wait queues.
    pub futex: FutexTable,
    /// The next thread id to hand out.
    pub next_tid: i32,
    /// Credentials (root, as a unikernel app is the only user of its VM).
    pub creds: Creds,
    /// Resource limits.
    pub rlimits: [Rlimit; RLIM_NLIMITS],
    /// File mode creation mask.
    pub umask: u32,
    /// Root, working directory and the filesystem tree.
    pub fs: FsContext,
    /// Path of the executable (for /proc/self/exe).
    pub exe: Vec<u8>,
    /// argv as `/proc/self/cmdline` shows it (each argument NUL-terminated).
    pub cmdline: Vec<u8>,
    /// The initial environment as `/proc/self/environ` shows it.
    pub environ: Vec<u8>,
    /// Descriptors.
    pub fds: FdTable,
    /// Signal actions.
    pub signals: SignalState,
}

impl Process {
    /// The first process of the VM, running `exe`, with a fresh filesystem tree (for tests;
    /// the kernel uses [`Process::with_vfs`]).
    pub fn new(exe: Vec<u8>) -> Self {
        let vfs = match Vfs::new(Arc::new(ZeroClock), 64 << 20) {
            Ok(v) => v,
            Err(e) => panic!("cannot build an empty filesystem tree: {e:?}"),
        };
        Self::with_vfs(exe, vfs)
    }

    /// The first process of the VM, running `exe`, on the filesystem tree `vfs`.
    pub fn with_vfs(exe: Vec<u8>, vfs: Arc<Vfs>) -> Self {
        Process {
            pid: 1,
            ppid: 0,
            tid: 1,
            threads: BTreeMap::from([(1, ThreadState::new(1, 0))]),
            futex: FutexTable::default(),
            next_tid: 2,
            creds: Creds::default(),
            rlimits: default_rlimits(),
            umask: 0o022,
            fs: FsContext::new(vfs),
            exe,
            cmdline: Vec::new(),
            environ: Vec::new(),
            fds: FdTable::new(),
            signals: SignalState::default(),
        }
    }

    /// The thread making the current syscall.
    pub fn thread(&self) -> &ThreadState {
        match self.threads.get(&self.tid) {
            Some(t) => t,
            None => panic!("syscall from unknown thread {}", self.tid),
        }
    }

    /// The thread making the current syscall, to change.
    pub fn thread_mut(&mut self) -> &mut ThreadState {
        let tid = self.tid;
        match self.threads.get_mut(&tid) {
            Some(t) => t,
            None => panic!("syscall from unknown thread {tid}"),
        }
    }

    /// A resource limit, or `EINVAL` for an unknown resource.
    pub fn rlimit(&self, resource: u32) -> Result<Rlimit, Errno> {
        self.rlimits.get(resource as usize).copied().ok_or(Errno::EINVAL)
    }

    /// Set a limit with Linux's checks: soft above hard is `EINVAL`; raising the hard limit
    /// needs privilege (we are root, so it is allowed), and `RLIMIT_NOFILE` is capped by
    /// `nr_open` (1 << 20): `EPERM` above.
    pub fn set_rlimit(&mut self, resource: u32, new: Rlimit) -> Result<(), Errno> {
        self.rlimit(resource)?;
        if new.cur > new.max {
            return Err(Errno::EINVAL);
        }
        if resource == g::RLIMIT_NOFILE && new.max > 1 << 20 {
            return Err(Errno::EPERM);
        }
        self.rlimits[resource as usize] = new;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rlimits_like_linux() {
        let mut p = Process::new(b"/a".to_vec());
        assert_eq!(p.rlimit(g::RLIMIT_STACK).unwrap().cur, 8 << 20);
        assert_eq!(p.rlimit(99), Err(Errno::EINVAL));
        assert_eq!(p.set_rlimit(g::RLIMIT_NOFILE, Rlimit { cur: 10, max: 5 }), Err(Errno::EINVAL));
        assert_eq!(p.set_rlimit(g::RLIMIT_NOFILE, Rlimit { cur: 10, max: 2 << 20 }), Err(Errno::EPERM));
        assert!(p.set_rlimit(g::RLIMIT_NOFILE, Rlimit { cur: 10, max: 20 }).is_ok());
        assert_eq!(p.rlimit(g::RLIMIT_NOFILE).unwrap(), Rlimit { cur: 10, max: 20 });
    }
}
