//! The app's stdout and stderr through virtio-serial devices on virtio-mmio, in batches: one
//! buffer of up to [`BATCH`] bytes per notification instead of one port write per byte.
//!
//! - [`find_consoles`]: which virtio-mmio slots hold the stdout and the stderr device. QEMU
//!   microvm fills its slots from the highest down in command-line order, and the CLI gives
//!   the stdout device first, then the stderr one (docs/boot-protocol.md): so the first
//!   console found going down is stdout, the second stderr. Discovery stops at the first empty
//!   slot (nothing lies below it), so a boot reads only a few registers (each read is a VM
//!   exit).
//! - [`SerialPort`]: the transmit side of port 1 of a multiport virtio-serial device (QEMU's
//!   `virtserialport`), over `virtio-drivers`' transport and virtqueue. Port 1 and not the
//!   console port 0: QEMU drops console-port data when the host side is full, while it holds
//!   a serial port's buffer until the host has taken all of it (no loss under backpressure).
//! - [`BatchWriter`]: collects bytes (with `\n` -> `\r\n` for a terminal) into batches and
//!   sends each as one buffer, waiting until the device has used it; when the device fails,
//!   the rest goes to a fallback (the 16550).
//!
//! The kernel provides the slot registers ([`MmioSlots`]) and the transports through the hal.

use alloc::vec::Vec;
use core::fmt;
use virtio_drivers::queue::VirtQueue;
use virtio_drivers::transport::{DeviceStatus, Transport};
use virtio_drivers::{Error, Hal, PAGE_SIZE};

/// `"virt"` in the magic register of a virtio-mmio slot.
pub const MMIO_MAGIC: u32 = 0x7472_6976;
/// virtio device ID of a console (virtio-serial) device.
pub const DEVICE_ID_CONSOLE: u32 = 3;
const REG_MAGIC: usize = 0x00;
const REG_DEVICE_ID: usize = 0x08;

/// Bytes handed to the device per notification.
pub const BATCH: usize = 4096;

/// The registers of the virtio-mmio slots (implemented by the kernel over the hal).
pub trait MmioSlots {
    /// Number of slots.
    fn count(&self) -> usize;
    /// The 32-bit register at `offset` of slot `slot`, if readable.
    fn read32(&self, slot: usize, offset: usize) -> Option<u32>;
}

/// Slots of the app's output devices.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Consoles {
    /// The first console device from the top: the app's stdout.
    pub stdout: Option<usize>,
    /// The second one: the app's stderr (and the kernel's messages).
    pub stderr: Option<usize>,
}

/// Find the stdout and stderr console devices: going down from the highest slot, the first and
/// second console devices. Every MMIO read is a VM exit, so: the magic is checked once, on the
/// top slot (no virtio-mmio window, no devices); then one device-ID read per slot, stopping at
/// the first empty slot and once both are found (the CLI's two devices: three reads in all).
pub fn find_consoles(slots: &dyn MmioSlots) -> Consoles {
    let mut found = [None; 2];
    let Some(top) = slots.count().checked_sub(1) else {
        return Consoles::default();
    };
    if slots.read32(top, REG_MAGIC) != Some(MMIO_MAGIC) {
        return Consoles::default();
    }
    let mut n = 0;
    for slot in (0..=top).rev() {
        match slots.read32(slot, REG_DEVICE_ID) {
            None | Some(0) => break,
            Some(DEVICE_ID_CONSOLE) => {
                found[n] = Some(slot);
                n += 1;
                if n == found.len() {
                    break;
                }
            }
            Some(_) => {}
        }
    }
    Consoles { stdout: found[0], stderr: found[1] }
}

/// Something that takes a buffer of bytes and returns once it has consumed all of them.
pub trait Sink {
    /// Send all of `bytes` (never empty, at most [`BATCH`] bytes).
    fn send(&mut self, bytes: &[u8]) -> Result<(), Error>;
}

/// virtio-serial feature: several ports, with control queues.
const F_MULTIPORT: u64 = 1 << 1;
/// virtio 1.0 device (modern transport).
const F_VERSION_1: u64 = 1 << 32;
/// Queue index of port 1's transmit queue (0/1: port 0, 2/3: control, 4/5: port 1).
const PORT1_TRANSMITQ: u16 = 5;
/// One buffer in flight is enough: every send waits for the device to use it.
const QUEUE_SIZE: usize = 2;

/// Transmit side of port 1 of a multiport virtio-serial device. Only that queue is set up: the
/// host accepts output on a port whose host side is open without any control message, and the
/// app's output needs nothing else.
pub struct SerialPort<H: Hal, T: Transport> {
    transport: T,
    txq: VirtQueue<H, QUEUE_SIZE>,
}

impl<H: Hal, T: Transport> SerialPort<H, T> {
    /// Initialise the device behind `transport`. Fails when it is not a virtio-serial device
    /// offering several ports, or its queue cannot be set up.
    pub fn new(mut transport: T) -> Result<Self, Error> {
        if transport.device_type() != virtio_drivers::transport::DeviceType::Console {
            return Err(Error::Unsupported);
        }
        // virtio 1.x 3.1.1, by hand: `Transport::begin_init` keeps only feature bits its flag
        // type knows, and virtio-drivers' console does not know MULTIPORT.
        transport.set_status(DeviceStatus::empty());
        transport.set_status(DeviceStatus::ACKNOWLEDGE | DeviceStatus::DRIVER);
        let features = transport.read_device_features() & (F_MULTIPORT | F_VERSION_1);
        transport.write_driver_features(features);
        transport.set_status(DeviceStatus::ACKNOWLEDGE | DeviceStatus::DRIVER | DeviceStatus::FEATURES_OK);
        // A modern device clears FEATURES_OK when it refuses the features.
        let refused = features & F_VERSION_1 != 0 && !transport.get_status().contains(DeviceStatus::FEATURES_OK);
        if features & F_MULTIPORT == 0 || refused {
            transport.set_status(DeviceStatus::FAILED);
            return Err(Error::Unsupported);
        }
        transport.set_guest_page_size(PAGE_SIZE as u32);
        let txq = match VirtQueue::new(&mut transport, PORT1_TRANSMITQ, false, false) {
            Ok(q) => q,
            Err(e) => {
                transport.set_status(DeviceStatus::FAILED);
                return Err(e);
            }
        };
        transport.finish_init();
        Ok(Self { transport, txq })
    }
}

impl<H: Hal, T: Transport> Sink for SerialPort<H, T> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), Error> {
        // Notifies the device, then polls the used ring until it is done with the buffer
        // (with QEMU, that is when the whole buffer went to the chardev).
        self.txq.add_notify_wait_pop(&[bytes], &mut [], &mut self.transport).map(|_| ())
    }
}

impl<H: Hal, T: Transport> Drop for SerialPort<H, T> {
    fn drop(&mut self) {
        // The device must not touch the queue's memory once it is freed.
        self.transport.queue_unset(PORT1_TRANSMITQ);
    }
}

/// Collects output into batches of up to [`BATCH`] bytes and sends each batch as one buffer.
/// Bytes sent before a call returns are out of the kernel (ordering with other channels, such
/// as a later 16550 write, is kept). After a failed send, every batch goes to `fallback`.
pub struct BatchWriter<S: Sink, F: FnMut(&[u8])> {
    sink: S,
    fallback: F,
    buf: Vec<u8>,
    failed: bool,
}

impl<S: Sink, F: FnMut(&[u8])> BatchWriter<S, F> {
    /// A writer over `sink`, with `fallback` for when `sink` fails.
    pub fn new(sink: S, fallback: F) -> Self {
        Self { sink, fallback, buf: Vec::with_capacity(BATCH), failed: false }
    }

    /// Has the sink failed (everything goes to the fallback)?
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Write all of `data` and flush; `onlcr` turns each `\n` into `\r\n` (a terminal's ONLCR).
    pub fn write(&mut self, data: &[u8], onlcr: bool) {
        self.push(data, onlcr);
        self.flush();
    }

    /// Add `data` to the batch, sending full batches as they fill.
    pub fn push(&mut self, mut data: &[u8], onlcr: bool) {
        while !data.is_empty() {
            // Keep room for a whole "\r\n".
            if BATCH - self.buf.len() < 2 {
                self.flush();
            }
            let room = BATCH - self.buf.len();
            let take = data.len().min(room);
            let newline = if onlcr { data[..take].iter().position(|&b| b == b'\n') } else { None };
            match newline {
                Some(i) if room - i >= 2 => {
                    self.buf.extend_from_slice(&data[..i]);
                    self.buf.extend_from_slice(b"\r\n");
                    data = &data[i + 1..];
                }
                Some(i) => {
                    self.buf.extend_from_slice(&data[..i]);
                    data = &data[i..];
                    self.flush();
                }
                None => {
                    self.buf.extend_from_slice(&data[..take]);
                    data = &data[take..];
                }
            }
        }
    }

    /// Send what the batch holds.
    pub fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if !self.failed && self.sink.send(&self.buf).is_err() {
            self.failed = true;
        }
        if self.failed {
            (self.fallback)(&self.buf);
        }
        self.buf.clear();
    }
}

impl<S: Sink, F: FnMut(&[u8])> fmt::Write for BatchWriter<S, F> {
    /// Adds to the batch (no `\r`): call [`BatchWriter::flush`] at the end of the message.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes(), false);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::fmt::Write as _;
    use std::rc::Rc;

    struct Slots(HashMap<(usize, usize), u32>, RefCell<usize>);
    impl Slots {
        /// microvm's 24 slots with `devices` from slot 23 down; reads are recorded.
        fn new(devices: &[u32]) -> Self {
            let mut m = HashMap::new();
            for slot in 0..24 {
                m.insert((slot, REG_MAGIC), MMIO_MAGIC);
                m.insert((slot, REG_DEVICE_ID), 0);
            }
            for (i, &id) in devices.iter().enumerate() {
                m.insert((23 - i, REG_DEVICE_ID), id);
            }
            Slots(m, RefCell::new(0))
        }
    }
    impl MmioSlots for Slots {
        fn count(&self) -> usize {
            24
        }
        fn read32(&self, slot: usize, offset: usize) -> Option<u32> {
            *self.1.borrow_mut() += 1;
            self.0.get(&(slot, offset)).copied()
        }
    }

    #[test]
    fn first_console_from_the_top_is_stdout() {
        let s = Slots::new(&[3, 3]);
        let c = find_consoles(&s);
        assert_eq!(c, Consoles { stdout: Some(23), stderr: Some(22) });
        assert_eq!(*s.1.borrow(), 3, "the magic once, then one read per device");
    }

    #[test]
    fn other_devices_before_the_consoles_are_skipped() {
        // A net (1) and a block (2) device given first on the command line.
        let c = find_consoles(&Slots::new(&[1, 2, 3, 3]));
        assert_eq!(c, Consoles { stdout: Some(21), stderr: Some(20) });
    }

    #[test]
    fn no_devices_or_no_virtio_window() {
        assert_eq!(find_consoles(&Slots::new(&[])), Consoles::default());
        assert_eq!(find_consoles(&Slots(HashMap::new(), RefCell::new(0))), Consoles::default());
        assert_eq!(find_consoles(&Slots::new(&[3])), Consoles { stdout: Some(23), stderr: None });
    }

    #[test]
    fn discovery_stops_at_the_first_empty_slot() {
        let mut s = Slots::new(&[3]);
        s.0.insert((10, REG_DEVICE_ID), 3); // below a gap: QEMU never does that
        assert_eq!(find_consoles(&s), Consoles { stdout: Some(23), stderr: None });
    }

    /// Records every batch; fails from send number `fail_at` on.
    struct FakeSink {
        sent: Rc<RefCell<Vec<Vec<u8>>>>,
        fail_at: usize,
    }
    impl Sink for FakeSink {
        fn send(&mut self, bytes: &[u8]) -> Result<(), Error> {
            assert!(!bytes.is_empty() && bytes.len() <= BATCH);
            let mut s = self.sent.borrow_mut();
            if s.len() >= self.fail_at {
                return Err(Error::IoError);
            }
            s.push(bytes.to_vec());
            Ok(())
        }
    }

    type Log = Rc<RefCell<Vec<Vec<u8>>>>;
    type Fallback = Box<dyn FnMut(&[u8])>;

    fn writer(fail_at: usize) -> (BatchWriter<FakeSink, Fallback>, Log, Log) {
        let sent: Log = Default::default();
        let fell: Log = Default::default();
        let f = fell.clone();
        let fallback: Fallback = Box::new(move |b: &[u8]| f.borrow_mut().push(b.to_vec()));
        let w = BatchWriter::new(FakeSink { sent: sent.clone(), fail_at }, fallback);
        (w, sent, fell)
    }

    #[test]
    fn one_write_is_one_batch_per_4k() {
        let (mut w, sent, _) = writer(usize::MAX);
        w.write(b"hello\n", false);
        assert_eq!(*sent.borrow(), vec![b"hello\n".to_vec()]);
        let big: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        w.write(&big, false);
        let s = sent.borrow();
        assert_eq!(s.iter().map(Vec::len).collect::<Vec<_>>(), vec![6, 4096, 4096, 1808]);
        assert_eq!(s[1..].concat(), big);
    }

    #[test]
    fn onlcr_translates_newlines_even_across_batches() {
        let (mut w, sent, _) = writer(usize::MAX);
        let data: Vec<u8> = b"ab\n".iter().copied().cycle().take(9000).collect();
        w.write(&data, true);
        let out = sent.borrow().concat();
        assert_eq!(out, b"ab\r\n".iter().copied().cycle().take(12000).collect::<Vec<_>>());
        assert!(sent.borrow().iter().all(|b| b.len() <= BATCH));
        // A newline exactly at the end of a full batch.
        let (mut w, sent, _) = writer(usize::MAX);
        let mut data = vec![b'x'; BATCH - 1];
        data.push(b'\n');
        w.write(&data, true);
        let s = sent.borrow();
        assert_eq!(s[0].len(), BATCH - 1);
        assert_eq!(s[1], b"\r\n");
        assert_eq!(s.concat().len(), BATCH + 1);
    }

    #[test]
    fn formatted_lines_are_one_batch() {
        let (mut w, sent, _) = writer(usize::MAX);
        let step = "boot";
        writeln!(w, "elfin: {step} {}", 42).unwrap();
        w.flush();
        assert_eq!(*sent.borrow(), vec![b"elfin: boot 42\n".to_vec()]);
        w.flush();
        assert_eq!(sent.borrow().len(), 1, "an empty flush sends nothing");
    }

    #[test]
    fn after_a_failure_everything_goes_to_the_fallback_in_order() {
        let (mut w, sent, fell) = writer(1);
        w.write(b"one", false);
        assert!(!w.failed());
        w.write(b"two", false);
        w.write(b"three\n", true);
        assert!(w.failed());
        assert_eq!(*sent.borrow(), vec![b"one".to_vec()]);
        assert_eq!(*fell.borrow(), vec![b"two".to_vec(), b"three\r\n".to_vec()]);
    }
}
