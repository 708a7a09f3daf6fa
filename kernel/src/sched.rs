//! The scheduler: threads of the application on one vCPU, round robin, preempted by the
//! timer tick when another thread is runnable; a thread blocks (futex wait, sleep) until it
//! is woken or its deadline passes; with nothing runnable the vCPU halts until the next
//! interrupt.
//!
//! Everything here runs with interrupts disabled (syscalls and interrupt hooks do), on one
//! CPU; the lock only keeps the borrow checker and future SMP honest, and is never held
//! across a thread switch.

use crate::time;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::sync::Arc;
use elfin_hal::Regs;
use elfin_hal::thread::ThreadCpu;
use elfin_posix::thread::Wake;
use spin::Mutex;

/// Period of the scheduler tick (preemption, and the longest halt).
pub const TICK_NS: u64 = 10_000_000;

struct Entry {
    cpu: Arc<ThreadCpu>,
    /// Blocked: not runnable until woken or until `deadline`.
    blocked: bool,
    deadline: Option<u64>,
    /// Why it became runnable again.
    wake: Option<Wake>,
}

struct Sched {
    threads: BTreeMap<i32, Entry>,
    /// Round-robin order of all threads.
    order: VecDeque<i32>,
    current: i32,
}

static SCHED: Mutex<Option<Sched>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Sched) -> R) -> R {
    let mut g = SCHED.lock();
    match g.as_mut() {
        Some(s) => f(s),
        None => panic!("scheduler used before sched::init"),
    }
}

/// The boot thread becomes thread `tid`; the tick starts.
pub fn init(tid: i32) {
    let cpu = Arc::new(ThreadCpu::current_boot());
    let mut threads = BTreeMap::new();
    threads.insert(tid, Entry { cpu, blocked: false, deadline: None, wake: None });
    *SCHED.lock() = Some(Sched { threads, order: VecDeque::from([tid]), current: tid });
    elfin_hal::apic::oneshot_ns(TICK_NS);
}

/// The running thread.
pub fn current() -> i32 {
    with(|s| s.current)
}

/// A new thread `tid` that starts in the app with `regs` and FS/GS bases `fs`/`gs`. False
/// when memory runs out.
pub fn spawn(tid: i32, regs: &Regs, fs: u64, gs: u64) -> bool {
    let Some(cpu) = ThreadCpu::new_user(regs, fs, gs) else { return false };
    with(|s| {
        s.threads.insert(tid, Entry { cpu: Arc::new(cpu), blocked: false, deadline: None, wake: None });
        s.order.push_back(tid);
    });
    true
}

/// Make deadlines that have passed runnable; the earliest deadline still ahead.
fn expire(s: &mut Sched, now: u64) -> Option<u64> {
    let mut next: Option<u64> = None;
    for e in s.threads.values_mut() {
        if let (true, Some(d)) = (e.blocked, e.deadline) {
            if d <= now {
                e.blocked = false;
                e.deadline = None;
                e.wake = Some(Wake::Timeout);
            } else {
                next = Some(next.map_or(d, |n| n.min(d)));
            }
        }
    }
    next
}

/// The next runnable thread after the current one in round-robin order, if any other.
fn pick_other(s: &mut Sched) -> Option<i32> {
    let n = s.order.len();
    for _ in 0..n {
        s.order.rotate_left(1);
        let tid = s.order[0];
        if tid != s.current && s.threads.get(&tid).is_some_and(|e| !e.blocked) {
            return Some(tid);
        }
    }
    None
}

/// Switch to `to` (holding no lock during the switch).
fn switch_to(to: i32) {
    let (from_cpu, to_cpu) = with(|s| {
        let from = s.threads.get(&s.current).map(|e| e.cpu.clone());
        let to_cpu = s.threads.get(&to).map(|e| e.cpu.clone());
        s.current = to;
        (from, to_cpu)
    });
    if let (Some(f), Some(t)) = (from_cpu, to_cpu) {
        elfin_hal::thread::switch(&f, &t);
    }
}

/// Arm the timer for the next deadline or tick, whichever comes first.
fn rearm(next_deadline: Option<u64>) {
    let now = time::monotonic_ns();
    let until = next_deadline.map_or(TICK_NS, |d| d.saturating_sub(now).min(TICK_NS));
    elfin_hal::apic::oneshot_ns(until.max(1000));
}

/// Let another runnable thread run (the current one stays runnable).
pub fn yield_now() {
    if let Some(to) = with(pick_other) {
        switch_to(to);
    }
}

/// Block the current thread until [`wake`] or `deadline` (monotonic ns); returns why it runs
/// again.
pub fn block(deadline: Option<u64>) -> Wake {
    with(|s| {
        let cur = s.current;
        if let Some(e) = s.threads.get_mut(&cur) {
            e.blocked = true;
            e.deadline = deadline;
            e.wake = None;
        }
    });
    loop {
        let now = time::monotonic_ns();
        let (mine, other, next) = with(|s| {
            let next = expire(s, now);
            let cur = s.current;
            let mine = s.threads.get(&cur).and_then(|e| if e.blocked { None } else { e.wake });
            (mine, if mine.is_none() { pick_other(s) } else { None }, next)
        });
        if let Some(w) = mine {
            return w;
        }
        match other {
            Some(to) => switch_to(to),
            None => {
                // Nothing to run: halt until the timer (armed for the next deadline) or
                // another interrupt.
                rearm(next);
                elfin_hal::cpu::wait_for_interrupt();
            }
        }
    }
}

/// Make thread `tid` runnable if it is blocked; it learns `why`.
fn unblock(tid: i32, why: Wake) {
    with(|s| {
        if let Some(e) = s.threads.get_mut(&tid) {
            if e.blocked {
                e.blocked = false;
                e.deadline = None;
                e.wake = Some(why);
            }
        }
    });
}

/// Make thread `tid` runnable if it is blocked (a futex wake).
pub fn wake(tid: i32) {
    unblock(tid, Wake::Woken);
}

/// A signal for thread `tid`: if it is blocked, its call ends (`EINTR`).
pub fn interrupt(tid: i32) {
    unblock(tid, Wake::Interrupted);
}

/// End the current thread (not the process): run another; never returns. When no other
/// thread is left, the caller should have ended the process instead.
pub fn exit_current() -> ! {
    loop {
        let now = time::monotonic_ns();
        let step = with(|s| {
            let next = expire(s, now);
            match pick_other(s) {
                Some(to) => {
                    let cur = s.current;
                    let dead = s.threads.remove(&cur).map(|e| e.cpu);
                    s.order.retain(|&t| t != cur);
                    s.current = to;
                    let to_cpu = s.threads.get(&to).map(|e| e.cpu.clone());
                    Ok((dead, to_cpu))
                }
                None => Err(next),
            }
        });
        match step {
            Ok((Some(dead), Some(to))) => elfin_hal::thread::exit_to(dead, &to),
            Ok(_) => panic!("scheduler lost a thread"),
            Err(next) => {
                // Others exist but all are blocked: wait for a deadline or an interrupt.
                rearm(next);
                elfin_hal::cpu::wait_for_interrupt();
            }
        }
    }
}

/// The timer interrupt: wake expired sleepers, re-arm, and preempt app code when another
/// thread is runnable.
pub fn tick(regs: &Regs) {
    let now = time::monotonic_ns();
    let (next, other) = with(|s| {
        let next = expire(s, now);
        let other = s.threads.values().filter(|e| !e.blocked).count() > 1;
        (next, other)
    });
    rearm(next);
    if other && regs.rip < elfin_abi::USER_END {
        yield_now();
    }
}
