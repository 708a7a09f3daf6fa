//! The console: COM1 carries the app's stdout (and a terminal's input), COM2 the app's stderr,
//! the kernel log (with `verbose`) and the `--strace` lines. Kernel messages are prefixed
//! `elfin:` so they stand apart from the app's own stderr.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};
use elfin_drivers::uart16550::{PortIo, Uart};
use elfin_posix::fd::Stream;
use elfin_posix::tty::{Event, LineDiscipline};
use spin::Mutex;

/// Port I/O through the hal.
pub struct HalPorts;

impl PortIo for HalPorts {
    fn inb(&self, port: u16) -> u8 {
        elfin_hal::cpu::inb(port)
    }
    fn outb(&self, port: u16, v: u8) {
        elfin_hal::cpu::outb(port, v)
    }
}

static VERBOSE: AtomicBool = AtomicBool::new(false);
static COM2_LOCK: Mutex<()> = Mutex::new(());

/// Program both UARTs.
pub fn init(verbose: bool) {
    Uart::COM1.init(&HalPorts);
    Uart::COM2.init(&HalPorts);
    VERBOSE.store(verbose, Ordering::Relaxed);
}

/// Is the kernel log on?
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

struct Com2;
impl Write for Com2 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        Uart::COM2.write(&HalPorts, s.as_bytes());
        Ok(())
    }
}

/// One kernel log line (only with `verbose`).
pub fn log(args: fmt::Arguments) {
    if verbose() {
        let _g = COM2_LOCK.lock();
        let _ = writeln!(Com2, "elfin: {args}");
    }
}

/// One line on COM2 regardless of verbosity (strace output, crash reports).
pub fn line(args: fmt::Arguments) {
    let _g = COM2_LOCK.lock();
    let _ = writeln!(Com2, "{args}");
}

/// Write straight to COM2 without locking (panics, faults).
pub fn emergency(args: fmt::Arguments) {
    let _ = Com2.write_fmt(args);
}

/// `log!` in the style of `format!`.
#[macro_export]
macro_rules! log {
    ($($t:tt)*) => { $crate::console::log(format_args!($($t)*)) };
}

/// App output on a console stream; `tty` turns `\n` into `\r\n` (ONLCR) for a terminal.
pub fn write(stream: Stream, data: &[u8], tty: bool) {
    let uart = if stream == Stream::Stderr { Uart::COM2 } else { Uart::COM1 };
    let _g = (stream == Stream::Stderr).then(|| COM2_LOCK.lock());
    if !tty {
        uart.write(&HalPorts, data);
        return;
    }
    for part in data.split_inclusive(|&b| b == b'\n') {
        match part.split_last() {
            Some((b'\n', body)) => {
                uart.write(&HalPorts, body);
                uart.write(&HalPorts, b"\r\n");
            }
            _ => uart.write(&HalPorts, part),
        }
    }
}

/// Terminal input state: the line being edited and what is left of the last line.
struct Input {
    ld: LineDiscipline,
    pending: alloc::vec::Vec<u8>,
    eof: bool,
}

static INPUT: Mutex<Input> = Mutex::new(Input { ld: LineDiscipline::new(), pending: alloc::vec::Vec::new(), eof: false });

/// Read from the terminal on COM1 in canonical mode: waits for a whole line (or `^D`).
/// Returns 0 at end of input.
pub fn read_terminal(buf: &mut [u8]) -> usize {
    let mut inp = INPUT.lock();
    while inp.pending.is_empty() && !inp.eof {
        let Some(b) = Uart::COM1.try_read(&HalPorts) else {
            elfin_hal::cpu::pause();
            continue;
        };
        match inp.ld.feed(b) {
            Event::Echo(e) => Uart::COM1.write(&HalPorts, &e),
            Event::Line(l, e) => {
                Uart::COM1.write(&HalPorts, &e);
                inp.pending = l;
            }
            Event::Eof(l) if l.is_empty() => inp.eof = true,
            Event::Eof(l) => inp.pending = l,
            Event::Interrupt => {
                Uart::COM1.write(&HalPorts, b"^C\r\n");
                drop(inp);
                crate::services::exit_app(128 + 2);
            }
        }
    }
    if inp.pending.is_empty() {
        // One ^D ends this read; the next read waits for more, as on Linux.
        inp.eof = false;
        return 0;
    }
    let n = buf.len().min(inp.pending.len());
    buf[..n].copy_from_slice(&inp.pending[..n]);
    inp.pending.drain(..n);
    n
}
