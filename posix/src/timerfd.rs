//! timerfd: a timer on a clock as a file. Reading gives the number of expirations since the
//! last read (`EAGAIN` before the first); the timer may repeat with an interval. Time only
//! moves forward through the [`Host`] clocks, so expirations are counted when the file is
//! looked at; a blocked reader is woken at the next expiry ([`FileOps::next_event`]).

use crate::file::{FileOps, Host, HostClock, Readiness, SeekKind};
use crate::vfs::Inode;
use alloc::sync::Arc;
use alloc::vec::Vec;
use elfin_abi::Errno;
use linux_raw_sys::general as g;
use spin::Mutex;

/// The clock a timer counts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerClock {
    /// `CLOCK_REALTIME` (and `CLOCK_REALTIME_ALARM`).
    Realtime,
    /// `CLOCK_MONOTONIC`, `CLOCK_BOOTTIME` (no suspend: the same) and `CLOCK_BOOTTIME_ALARM`.
    Monotonic,
}

impl TimerClock {
    fn host(self) -> HostClock {
        match self {
            TimerClock::Realtime => HostClock::Realtime,
            TimerClock::Monotonic => HostClock::Monotonic,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// Next expiry on the timer's clock (ns), if armed.
    next: Option<u64>,
    /// Interval (ns), 0 for a one-shot timer.
    interval: u64,
    /// Expirations not read yet.
    ticks: u64,
    /// Expirations ever counted (the edge counter of epoll).
    total: u64,
}

impl State {
    /// Count the expirations up to `now`.
    fn advance(&mut self, now: u64) {
        let Some(next) = self.next else { return };
        if now < next {
            return;
        }
        let n = if self.interval == 0 {
            self.next = None;
            1
        } else {
            let n = (now - next) / self.interval + 1;
            self.next = Some(next.saturating_add(n.saturating_mul(self.interval)));
            n
        };
        self.ticks = self.ticks.saturating_add(n);
        self.total = self.total.wrapping_add(n);
    }
}

/// A timerfd.
pub struct TimerFd {
    inode: Arc<Inode>,
    clock: TimerClock,
    st: Mutex<State>,
}

/// A timer setting: `(value, interval)` in ns; value 0 disarms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Setting {
    /// Time to the first expiry (relative), or its time (absolute).
    pub value: u64,
    /// Period after it.
    pub interval: u64,
}

impl TimerFd {
    /// A disarmed timer on `clock`.
    pub fn new(inode: Arc<Inode>, clock: TimerClock) -> Self {
        TimerFd { inode, clock, st: Mutex::new(State::default()) }
    }

    /// What `timerfd_gettime` shows: time left and interval.
    pub fn get(&self, io: &mut dyn Host) -> Setting {
        let now = io.now_ns(self.clock.host());
        let mut s = self.st.lock();
        s.advance(now);
        Setting { value: s.next.map_or(0, |n| n.saturating_sub(now).max(1)), interval: s.interval }
    }

    /// `timerfd_settime`: arm (relative, or `absolute` on the timer's clock) or disarm;
    /// returns the old setting. Pending expirations are dropped.
    pub fn set(&self, io: &mut dyn Host, new: Setting, absolute: bool) -> Setting {
        let old = self.get(io);
        let now = io.now_ns(self.clock.host());
        let mut s = self.st.lock();
        s.ticks = 0;
        s.interval = new.interval;
        s.next = if new.value == 0 {
            None
        } else if absolute {
            Some(new.value)
        } else {
            Some(now.saturating_add(new.value))
        };
        s.advance(now);
        crate::wait::notify();
        old
    }
}

impl FileOps for TimerFd {
    fn inode(&self) -> &Arc<Inode> {
        &self.inode
    }
    fn read(&self, io: &mut dyn Host, _off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let now = io.now_ns(self.clock.host());
        let mut s = self.st.lock();
        s.advance(now);
        if s.ticks == 0 {
            return Err(Errno::EAGAIN);
        }
        buf[..8].copy_from_slice(&s.ticks.to_ne_bytes());
        s.ticks = 0;
        Ok(8)
    }
    fn write(&self, _io: &mut dyn Host, _off: u64, _buf: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn poll(&self, io: &mut dyn Host) -> Readiness {
        let now = io.now_ns(self.clock.host());
        let mut s = self.st.lock();
        s.advance(now);
        let mask = if s.ticks > 0 { g::EPOLLIN | g::EPOLLRDNORM } else { 0 };
        Readiness { mask, read_gen: s.total, write_gen: 0 }
    }
    fn pollable(&self) -> bool {
        true
    }
    fn seek_kind(&self) -> SeekKind {
        SeekKind::Anon
    }
    fn next_event(&self, io: &mut dyn Host) -> Option<u64> {
        let next = self.st.lock().next?;
        let now = io.now_ns(self.clock.host());
        let mono = io.now_ns(HostClock::Monotonic);
        Some(mono.saturating_add(next.saturating_sub(now)))
    }
    fn writes_everything(&self) -> bool {
        false
    }
    fn link_name(&self) -> Option<Vec<u8>> {
        Some(b"anon_inode:[timerfd]".to_vec())
    }
}
