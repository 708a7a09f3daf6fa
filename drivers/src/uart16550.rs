//! The 16550 UART, as QEMU emulates it on the ISA ports 0x3f8 (COM1) and 0x2f8 (COM2).
//! Polled: the guest writes bytes as the transmitter is ready and polls the receiver.

/// Port I/O as the kernel provides it (implemented over the hal; faked in tests).
pub trait PortIo {
    /// Read a byte from an I/O port.
    fn inb(&self, port: u16) -> u8;
    /// Write a byte to an I/O port.
    fn outb(&self, port: u16, v: u8);
}

/// One 16550 serial port at a base I/O port.
#[derive(Debug, Clone, Copy)]
pub struct Uart {
    base: u16,
}

const THR: u16 = 0; // transmit holding / receive buffer
const IER: u16 = 1;
const FCR: u16 = 2;
const LCR: u16 = 3;
const MCR: u16 = 4;
const LSR: u16 = 5;
const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;

impl Uart {
    /// COM1.
    pub const COM1: Uart = Uart { base: 0x3f8 };
    /// COM2.
    pub const COM2: Uart = Uart { base: 0x2f8 };

    /// Program 115200 8N1, FIFOs on, interrupts off.
    pub fn init(&self, io: &dyn PortIo) {
        io.outb(self.base + IER, 0x00);
        io.outb(self.base + LCR, 0x80); // DLAB
        io.outb(self.base, 0x01); // divisor 1: 115200 baud
        io.outb(self.base + 1, 0x00);
        io.outb(self.base + LCR, 0x03); // 8N1
        io.outb(self.base + FCR, 0xc7);
        io.outb(self.base + MCR, 0x03);
    }

    /// Write all of `data`, waiting for the transmitter as needed. Bytes go out as they are
    /// (no newline translation: the host side sees exactly what the app wrote).
    pub fn write(&self, io: &dyn PortIo, data: &[u8]) {
        for &b in data {
            let mut spins = 0u32;
            while io.inb(self.base + LSR) & LSR_THR_EMPTY == 0 && spins < 1_000_000 {
                spins += 1;
            }
            io.outb(self.base + THR, b);
        }
    }

    /// A received byte, if one is waiting.
    pub fn try_read(&self, io: &dyn PortIo) -> Option<u8> {
        if io.inb(self.base + LSR) & LSR_DATA_READY != 0 { Some(io.inb(self.base + THR)) } else { None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Fake {
        out: RefCell<Vec<(u16, u8)>>,
        rx: RefCell<Vec<u8>>,
    }
    impl PortIo for Fake {
        fn inb(&self, port: u16) -> u8 {
            match port & 7 {
                5 => LSR_THR_EMPTY | if self.rx.borrow().is_empty() { 0 } else { LSR_DATA_READY },
                0 => self.rx.borrow_mut().remove(0),
                _ => 0,
            }
        }
        fn outb(&self, port: u16, v: u8) {
            self.out.borrow_mut().push((port, v));
        }
    }

    #[test]
    fn writes_bytes_unchanged_to_thr() {
        let f = Fake::default();
        Uart::COM2.write(&f, b"a\nb");
        assert_eq!(*f.out.borrow(), vec![(0x2f8, b'a'), (0x2f8, b'\n'), (0x2f8, b'b')]);
    }

    #[test]
    fn reads_only_when_data_ready() {
        let f = Fake::default();
        assert_eq!(Uart::COM1.try_read(&f), None);
        f.rx.borrow_mut().push(b'x');
        assert_eq!(Uart::COM1.try_read(&f), Some(b'x'));
    }
}
