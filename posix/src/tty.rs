//! A minimal canonical line discipline for a terminal on the console: QEMU hands the guest
//! raw keystrokes (Enter is `\r`, no echo), so the guest does what Linux's N_TTY does by
//! default: map CR to NL (ICRNL), echo (ECHO), erase with DEL/backspace (ICANON), `^U` kills the
//! line, `^D` ends input, `^C` interrupts.

use alloc::vec::Vec;

/// What feeding one byte produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Nothing to hand to the reader yet; echo these bytes.
    Echo(Vec<u8>),
    /// A complete line (with its `\n`) is ready; echo the bytes first.
    Line(Vec<u8>, Vec<u8>),
    /// End of input (`^D` on an empty line) or the pending text without a newline.
    Eof(Vec<u8>),
    /// `^C`: the default action of SIGINT.
    Interrupt,
}

/// The line being edited.
#[derive(Debug, Default)]
pub struct LineDiscipline {
    line: Vec<u8>,
}

impl LineDiscipline {
    /// An empty line.
    pub const fn new() -> Self {
        LineDiscipline { line: Vec::new() }
    }

    /// Feed one byte from the terminal.
    pub fn feed(&mut self, b: u8) -> Event {
        match b {
            b'\r' | b'\n' => {
                self.line.push(b'\n');
                Event::Line(core::mem::take(&mut self.line), b"\r\n".to_vec())
            }
            0x7f | 0x08 => {
                if self.line.pop().is_some() {
                    Event::Echo(b"\x08 \x08".to_vec())
                } else {
                    Event::Echo(Vec::new())
                }
            }
            0x15 => {
                let n = self.line.len();
                self.line.clear();
                Event::Echo(b"\x08 \x08".repeat(n))
            }
            0x04 => Event::Eof(core::mem::take(&mut self.line)),
            0x03 => Event::Interrupt,
            _ => {
                self.line.push(b);
                Event::Echo(alloc::vec![b])
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_and_completes_lines() {
        let mut l = LineDiscipline::default();
        assert_eq!(l.feed(b'a'), Event::Echo(b"a".to_vec()));
        l.feed(b'x');
        l.feed(0x7f);
        l.feed(b'b');
        assert_eq!(l.feed(b'\r'), Event::Line(b"ab\n".to_vec(), b"\r\n".to_vec()));
        l.feed(b'z');
        assert_eq!(l.feed(0x04), Event::Eof(b"z".to_vec()));
        assert_eq!(l.feed(0x04), Event::Eof(Vec::new()));
        assert_eq!(l.feed(0x03), Event::Interrupt);
        l.feed(b'q');
        l.feed(0x15);
        assert_eq!(l.feed(b'\n'), Event::Line(b"\n".to_vec(), b"\r\n".to_vec()));
    }
}
