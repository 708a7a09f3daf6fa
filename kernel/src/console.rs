//! The console. The CLI gives the VM two virtio-serial devices (docs/boot-protocol.md): the
//! app's stdout goes to the first, and its stderr, the kernel log (with `verbose`), the
//! `--strace` lines and crash reports to the second, a batch (up to 4 KiB) per notification.
//! Without them (an older CLI), or if a device fails, the same goes to the 16550s: stdout to
//! COM1, the rest to COM2. Terminal input is always read from COM1; its echo goes out with
//! stdout. Panics and kernel faults write straight to COM2 ([`emergency`]), which the CLI
//! merges into the stderr device's host stream, after everything sent before.
//! Kernel messages are prefixed `elfin:` so they stand apart from the app's own stderr.

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicBool, Ordering};
use elfin_drivers::uart16550::{PortIo, Uart};
use elfin_drivers::virtio_serial::{BatchWriter, MmioSlots, SerialPort, find_consoles};
use elfin_hal::virtio::{SlotTransport, VirtioHal};
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

/// The virtio-mmio slots through the hal.
struct HalSlots;

impl MmioSlots for HalSlots {
    fn count(&self) -> usize {
        elfin_hal::virtio::SLOTS
    }
    fn read32(&self, slot: usize, offset: usize) -> Option<u32> {
        elfin_hal::virtio::slot_read32(slot, offset)
    }
}

type Writer = BatchWriter<SerialPort<VirtioHal, SlotTransport>, fn(&[u8])>;

/// One output stream: its virtio device when there is one, else its UART.
struct Channel {
    uart: Uart,
    virtio: Option<Writer>,
}

impl Channel {
    const fn new(uart: Uart) -> Self {
        Self { uart, virtio: None }
    }

    /// `data`, with `\n` -> `\r\n` when `onlcr`; returns once the bytes left the kernel.
    fn write(&mut self, data: &[u8], onlcr: bool) {
        match &mut self.virtio {
            Some(w) => w.write(data, onlcr),
            None => uart_write(self.uart, data, onlcr),
        }
    }

    /// One formatted line, sent as one batch.
    fn line(&mut self, args: fmt::Arguments) {
        match &mut self.virtio {
            Some(w) => {
                let _ = writeln!(w, "{args}");
                w.flush();
            }
            None => {
                let _ = writeln!(UartWriter(self.uart), "{args}");
            }
        }
    }
}

fn uart_write(uart: Uart, data: &[u8], onlcr: bool) {
    if !onlcr {
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

struct UartWriter(Uart);
impl Write for UartWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.write(&HalPorts, s.as_bytes());
        Ok(())
    }
}

fn com1_raw(data: &[u8]) {
    Uart::COM1.write(&HalPorts, data)
}

fn com2_raw(data: &[u8]) {
    Uart::COM2.write(&HalPorts, data)
}

static VERBOSE: AtomicBool = AtomicBool::new(false);
/// The app's stdout (and the terminal echo).
static OUT: Mutex<Channel> = Mutex::new(Channel::new(Uart::COM1));
/// The app's stderr and the kernel's messages.
static ERR: Mutex<Channel> = Mutex::new(Channel::new(Uart::COM2));

/// Program both UARTs.
pub fn init(verbose: bool) {
    Uart::COM1.init(&HalPorts);
    Uart::COM2.init(&HalPorts);
    VERBOSE.store(verbose, Ordering::Relaxed);
}

/// Find the virtio-serial devices of the app's stdout and stderr and use them from now on
/// (reads only the top virtio-mmio slots). Needs the frame allocator and the heap.
pub fn probe_virtio() {
    let found = find_consoles(&HalSlots);
    let mut report = [(found.stdout, false), (found.stderr, false)];
    for ((slot, ok), (channel, fallback)) in report.iter_mut().zip([(&OUT, com1_raw as fn(&[u8])), (&ERR, com2_raw)]) {
        let Some(slot) = *slot else { continue };
        if let Some(Ok(t)) = elfin_hal::virtio::transport(slot)
            && let Ok(port) = SerialPort::new(t)
        {
            channel.lock().virtio = Some(BatchWriter::new(port, fallback));
            *ok = true;
        }
    }
    // Logged once both are set up: the log itself then goes out in batches.
    for ((slot, ok), name) in report.into_iter().zip(["stdout", "stderr"]) {
        match (slot, ok) {
            (Some(slot), true) => log(format_args!("{name}: virtio-serial at virtio-mmio slot {slot}")),
            (Some(slot), false) => log(format_args!("{name}: virtio-serial at slot {slot} unusable, using the 16550")),
            (None, _) => log(format_args!("{name}: no virtio-serial device, using the 16550")),
        }
    }
}

/// Is the kernel log on?
pub fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// One kernel log line (only with `verbose`).
pub fn log(args: fmt::Arguments) {
    if verbose() {
        ERR.lock().line(format_args!("elfin: {args}"));
    }
}

/// One line on stderr regardless of verbosity (strace output, crash reports).
pub fn line(args: fmt::Arguments) {
    ERR.lock().line(args);
}

/// Write straight to COM2 without locking (panics, kernel faults): works whatever state the
/// console is in. The CLI puts COM2 into the same host stream as the stderr device.
pub fn emergency(args: fmt::Arguments) {
    let _ = UartWriter(Uart::COM2).write_fmt(args);
}

/// `log!` in the style of `format!`.
#[macro_export]
macro_rules! log {
    ($($t:tt)*) => { $crate::console::log(format_args!($($t)*)) };
}

/// App output on a console stream; `tty` turns `\n` into `\r\n` (ONLCR) for a terminal.
pub fn write(stream: Stream, data: &[u8], tty: bool) {
    let channel = if stream == Stream::Stderr { &ERR } else { &OUT };
    channel.lock().write(data, tty);
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
            Event::Echo(e) => OUT.lock().write(&e, false),
            Event::Line(l, e) => {
                OUT.lock().write(&e, false);
                inp.pending = l;
            }
            Event::Eof(l) if l.is_empty() => inp.eof = true,
            Event::Eof(l) => inp.pending = l,
            Event::Interrupt => {
                OUT.lock().write(b"^C\r\n", false);
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
