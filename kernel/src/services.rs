//! The kernel services behind the syscall layer: the [`elfin_syscall::Kernel`] implementation
//! over the hal, the syscall hook, and the end of the application.

use crate::{console, mm, sched, time};
use elfin_abi::{Errno, UserMemory};
use elfin_hal::Regs;
use elfin_posix::fd::Stream;
use elfin_posix::sigframe::{Info, MContext};
use elfin_syscall::signal::Delivery;
use elfin_syscall::{Clock, Ctx, Dispatcher, Kernel, Process};
use spin::Mutex;

/// The running application's process and the syscall dispatcher.
pub struct State {
    /// The process.
    pub proc: Process,
    /// The dispatcher (tracing, ENOSYS log).
    pub disp: Dispatcher,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

/// Install the process the syscalls act on.
pub fn install(state: State) {
    *STATE.lock() = Some(state);
}

/// The kernel services (stateless: state lives in the subsystems).
pub struct Services;

impl UserMemory for Services {
    fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        elfin_hal::usercopy::copy_from_user(buf, addr).map_err(|_| Errno::EFAULT)
    }
    fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        elfin_hal::usercopy::copy_to_user(addr, data).map_err(|_| Errno::EFAULT)
    }
    fn write_partial(&self, addr: u64, data: &[u8]) -> usize {
        elfin_hal::usercopy::copy_to_user_partial(addr, data)
    }
}

static RNG: Mutex<u64> = Mutex::new(0);

impl Kernel for Services {
    fn mem(&self) -> &dyn UserMemory {
        self
    }
    fn console_write(&mut self, stream: Stream, data: &[u8], tty: bool) {
        console::write(stream, data, tty);
    }
    fn console_read(&mut self, buf: &mut [u8]) -> usize {
        console::read_terminal(buf)
    }
    fn exit(&mut self, status: i32) -> ! {
        exit_app(status)
    }
    fn now_ns(&self, clock: Clock) -> u64 {
        match clock {
            Clock::Realtime => time::realtime_ns(),
            Clock::Monotonic => time::monotonic_ns(),
            Clock::ProcessCpu => time::app_cpu_ns(),
        }
    }
    fn clock_res_ns(&self) -> u64 {
        1
    }
    fn fill_random(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = elfin_hal::cpu::hw_random().unwrap_or_else(|| {
                // xorshift64*, seeded from the TSC, where the CPU has no RDRAND.
                let mut s = RNG.lock();
                if *s == 0 {
                    *s = elfin_hal::cpu::rdtsc() | 1;
                }
                *s ^= *s >> 12;
                *s ^= *s << 25;
                *s ^= *s >> 27;
                s.wrapping_mul(0x2545_f491_4f6c_dd1d)
            });
            chunk.copy_from_slice(&v.to_le_bytes()[..chunk.len()]);
        }
    }
    fn set_fs_base(&mut self, v: u64) {
        elfin_hal::cpu::set_fs_base(v)
    }
    fn fs_base(&self) -> u64 {
        elfin_hal::cpu::fs_base()
    }
    fn set_gs_base(&mut self, v: u64) {
        elfin_hal::cpu::set_gs_base(v)
    }
    fn gs_base(&self) -> u64 {
        elfin_hal::cpu::gs_base()
    }
    fn mmap(&mut self, addr: u64, len: u64, prot: u32, flags: u32) -> Result<u64, Errno> {
        mm::mmap(addr, len, prot, flags)
    }
    fn munmap(&mut self, addr: u64, len: u64) -> Result<(), Errno> {
        mm::munmap(addr, len)
    }
    fn mprotect(&mut self, addr: u64, len: u64, prot: u32) -> Result<(), Errno> {
        mm::mprotect(addr, len, prot)
    }
    fn mremap(&mut self, old: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> Result<u64, Errno> {
        mm::mremap(old, old_len, new_len, flags, new_addr)
    }
    fn madvise(&mut self, addr: u64, len: u64, advice: u32) -> Result<(), Errno> {
        mm::madvise(addr, len, advice)
    }
    fn brk(&mut self, new: u64) -> u64 {
        mm::brk(new)
    }
    fn cpus(&self) -> usize {
        1
    }
    fn spawn_thread(&mut self, tid: i32, stack: u64, tls: Option<u64>) -> bool {
        let mut regs = *SYSCALL_FRAME.lock();
        regs.rax = 0;
        if stack != 0 {
            regs.rsp = stack;
        }
        let fs = tls.unwrap_or_else(elfin_hal::cpu::fs_base);
        sched::spawn(tid, &regs, fs, elfin_hal::cpu::gs_base())
    }
    fn wake_thread(&mut self, tid: i32) {
        sched::wake(tid);
    }
    fn interrupt_thread(&mut self, tid: i32) {
        sched::interrupt(tid);
    }
    fn user_regs(&self) -> MContext {
        mcontext(&SYSCALL_FRAME.lock())
    }
    fn set_user_regs(&mut self, regs: &MContext) {
        *NEW_FRAME.lock() = Some(*regs);
    }
    fn fpu_save(&mut self) -> (alloc::vec::Vec<u8>, u64) {
        (elfin_hal::thread::fpu_image(), elfin_hal::cpu::features().xcr0)
    }
    fn fpu_restore(&mut self, image: &[u8]) -> bool {
        elfin_hal::thread::fpu_load(image)
    }
    fn log(&mut self, args: core::fmt::Arguments) {
        console::log(args)
    }
    fn regions(&self) -> alloc::vec::Vec<elfin_posix::vfs::procfs::MapInfo> {
        mm::regions()
    }
    fn mmap_file(
        &mut self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        inode: alloc::sync::Arc<elfin_posix::vfs::Inode>,
        offset: u64,
        maywrite: bool,
        path: alloc::sync::Arc<[u8]>,
    ) -> Result<u64, Errno> {
        mm::mmap_file(addr, len, prot, flags, inode, offset, maywrite, path)
    }
    fn file_shrink(&mut self, inode: &alloc::sync::Arc<elfin_posix::vfs::Inode>, from: u64, to: u64) {
        mm::file_shrink(inode, from, to)
    }
    fn shared_writable_mapping(&self, inode: &alloc::sync::Arc<elfin_posix::vfs::Inode>) -> bool {
        mm::shared_writable_mapping(inode)
    }
    fn is_mapped(&self, addr: u64, len: u64) -> bool {
        mm::is_mapped(addr, len)
    }
    fn mem_info(&self) -> elfin_posix::vfs::procfs::MemInfo {
        let (_, free) = elfin_hal::frames::stats();
        elfin_posix::vfs::procfs::MemInfo { total: crate::exec::ram_total(), free }
    }
    fn trace(&mut self, args: core::fmt::Arguments) {
        console::line(args)
    }
}

/// The registers of the syscall being served (what a `clone` child starts from).
static SYSCALL_FRAME: Mutex<Regs> = Mutex::new(Regs {
    r15: 0, r14: 0, r13: 0, r12: 0, r11: 0, r10: 0, r9: 0, r8: 0, rbp: 0, rdi: 0, rsi: 0, rdx: 0,
    rcx: 0, rbx: 0, rax: 0, vector: 0, error: 0, rip: 0, cs: 0, rflags: 0, rsp: 0, ss: 0,
});

/// Registers set by `set_user_regs` for the return from the current syscall.
static NEW_FRAME: Mutex<Option<MContext>> = Mutex::new(None);

/// The app's registers of a trap frame, as a signal frame stores them.
fn mcontext(r: &Regs) -> MContext {
    MContext {
        r8: r.r8, r9: r.r9, r10: r.r10, r11: r.r11, r12: r.r12, r13: r.r13, r14: r.r14, r15: r.r15,
        rdi: r.rdi, rsi: r.rsi, rbp: r.rbp, rbx: r.rbx, rdx: r.rdx, rax: r.rax, rcx: r.rcx, rsp: r.rsp,
        rip: r.rip, eflags: r.rflags, err: r.error, trapno: if r.vector < 32 { r.vector } else { 0 }, cr2: 0,
    }
}

/// Put registers from a signal frame (or for a handler) into a trap frame.
fn apply(r: &mut Regs, m: &MContext) {
    (r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15) = (m.r8, m.r9, m.r10, m.r11, m.r12, m.r13, m.r14, m.r15);
    (r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp, r.rip) = (m.rdi, m.rsi, m.rbp, m.rbx, m.rdx, m.rax, m.rcx, m.rsp, m.rip);
    // The app may change only the arithmetic, direction, AC and ID flags; IF stays on.
    const USER_FLAGS: u64 = 0xcd5 | (1 << 18) | (1 << 21);
    r.rflags = (r.rflags & !USER_FLAGS) | (m.eflags & USER_FLAGS) | 0x202;
}

/// Look for a signal to deliver to the running thread, whose app registers are `regs` (a
/// syscall frame or an interrupt/fault frame), or deliver `forced` (a fault). A handler
/// changes `regs`; a default action that terminates ends the app here.
pub fn deliver_signals(regs: &mut Regs, forced: Option<Info>) {
    let tid = sched::current();
    let mut g = STATE.lock();
    let Some(st) = g.as_mut() else { return };
    st.proc.tid = tid;
    if !st.proc.threads.contains_key(&tid) {
        return;
    }
    let mut m = mcontext(regs);
    if let Some(f) = forced {
        m.cr2 = f.field;
    }
    let mut svc = Services;
    let mut ctx = Ctx { k: &mut svc, p: &mut st.proc };
    match elfin_syscall::signal::deliver(&mut ctx, &mut m, forced) {
        Delivery::None => {}
        Delivery::Handler => apply(regs, &m),
        // A fault the app cannot handle: the caller reports it (fault address, RIP) and ends
        // the app.
        Delivery::Terminate(_) if forced.is_some() => {}
        Delivery::Terminate(sig) => {
            drop(g);
            console::line(format_args!("elfin: app killed by {}", elfin_posix::signal::name(sig)));
            exit_app(128 + sig as i32);
        }
    }
}

/// The hal's syscall hook. Syscalls of all threads are served one at a time under the
/// process lock; a call that blocks (it returns [`Errno::RESTART`] with the thread's wait set)
/// releases the lock, blocks the thread in the scheduler, and runs again when woken. A thread
/// that left the process (exit) is switched away for good.
pub fn syscall(regs: &mut Regs) {
    let nr = regs.rax;
    let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
    *SYSCALL_FRAME.lock() = *regs;
    let tid = sched::current();
    loop {
        let mut g = STATE.lock();
        let Some(st) = g.as_mut() else {
            regs.rax = elfin_abi::to_syscall_return(Err(Errno::ENOSYS)) as u64;
            return;
        };
        st.proc.tid = tid;
        let r = st.disp.dispatch(&mut Services, &mut st.proc, nr, args);
        let Some(t) = st.proc.threads.get_mut(&tid) else {
            drop(g);
            sched::exit_current();
        };
        if r == elfin_abi::to_syscall_return(Err(Errno::RESTART)) {
            let deadline = t.wait.take().and_then(|w| w.deadline);
            drop(g);
            let wake = sched::block(deadline);
            if let Some(st) = STATE.lock().as_mut() {
                if let Some(t) = st.proc.threads.get_mut(&tid) {
                    t.wake = Some(wake);
                }
            }
            continue;
        }
        t.wake = None;
        t.wait_deadline = None;
        let yield_after = core::mem::take(&mut t.yield_after);
        drop(g);
        if let Some(m) = NEW_FRAME.lock().take() {
            apply(regs, &m);
            elfin_hal::syscall_entry::full_restore();
        }
        regs.rax = r as u64;
        if yield_after {
            sched::yield_now();
        }
        let before = regs.rip;
        deliver_signals(regs, None);
        if regs.rip != before {
            elfin_hal::syscall_entry::full_restore();
        }
        return;
    }
}

/// End the application with `status` (0..=255): QEMU exits and the CLI returns it.
pub fn exit_app(status: i32) -> ! {
    crate::log!("app exited with status {}", status & 0xff);
    elfin_hal::cpu::exit_qemu((status & 0xff) as u8)
}
