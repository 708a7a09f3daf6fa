//! ioctl: the generic file ioctls (`FIONBIO`, `FIOASYNC`, `FIOCLEX`, `FIONCLEX`, `FIONREAD`)
//! and the terminal ones on the console: a terminal answers TCGETS and TIOCGWINSZ like a
//! Linux pty; anything else (a pipe the host redirected a stream to, a file) answers ENOTTY,
//! as Linux does.

use crate::{Args, Ctx, SysResult};
use elfin_abi::{Errno, linux_struct, set};
use elfin_posix::file::SeekKind;
use linux_raw_sys::general::{
    B38400, BRKINT, CREAD, CS8, ECHO, ECHOCTL, ECHOE, ECHOK, ECHOKE, HUPCL, ICANON, ICRNL, IEXTEN, IMAXBEL, ISIG,
    IUTF8, IXON, ONLCR, OPOST, O_NONBLOCK, termios, winsize,
};
use linux_raw_sys::ioctl::{FIOASYNC, FIOCLEX, FIONBIO, FIONCLEX, FIONREAD, TCGETS, TCSETS, TCSETSF, TCSETSW, TIOCGPGRP, TIOCGWINSZ};

linux_struct!(
    /// `struct termios` of the kernel ABI.
    Termios, termios
);
linux_struct!(
    /// `struct winsize`.
    Winsize, winsize
);

/// The settings of a freshly opened Linux pty (what `stty -a` shows by default).
fn default_termios() -> Termios {
    let mut t = Termios::default();
    set!(t, termios, c_iflag, ICRNL | IXON | BRKINT | IMAXBEL | IUTF8);
    set!(t, termios, c_oflag, OPOST | ONLCR);
    set!(t, termios, c_cflag, B38400 | CS8 | CREAD | HUPCL);
    set!(t, termios, c_lflag, ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE);
    // VINTR ^C, VQUIT ^\, VERASE DEL, VKILL ^U, VEOF ^D, VTIME 0, VMIN 1, VSTART ^Q, VSTOP ^S,
    // VSUSP ^Z, VREPRINT ^R, VDISCARD ^O, VWERASE ^W, VLNEXT ^V.
    let cc: [u8; 19] = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0];
    set!(t, termios, c_cc, cc);
    t
}

/// ioctl(2).
pub fn ioctl(c: &mut Ctx, a: &Args) -> SysResult {
    let fd = a.fd(0);
    let cmd = a.uint(1);
    let file = crate::path::file_io(c, fd)?;
    match cmd {
        FIONBIO | FIOASYNC => {
            let on = a.ptr::<i32>(2).read(c.k.mem())?;
            let bit = if cmd == FIONBIO { O_NONBLOCK } else { linux_raw_sys::general::FASYNC };
            file.set_flags(bit, if on != 0 { bit } else { 0 });
            return Ok(0);
        }
        FIOCLEX | FIONCLEX => {
            c.p.fds.get_mut(fd)?.cloexec = cmd == FIOCLEX;
            return Ok(0);
        }
        FIONREAD => {
            // Regular files: bytes from the offset to the end; streams: bytes waiting.
            let n = if file.ops.seek_kind() == SeekKind::Sized && file.ops.inode().is_regular() {
                Some(file.ops.size().saturating_sub(file.offset()) as usize)
            } else {
                file.ops.bytes_ready()
            };
            match n {
                Some(n) => return a.ptr::<i32>(2).write(c.k.mem(), &(n.min(i32::MAX as usize) as i32)).map(|_| 0),
                None if file.ops.inode().is_dir() => return Err(Errno::EINVAL),
                None => return Err(Errno::ENOTTY),
            }
        }
        _ => {}
    }
    if !file.ops.is_tty() {
        return Err(Errno::ENOTTY);
    }
    match cmd {
        TCGETS => a.ptr::<Termios>(2).write(c.k.mem(), &default_termios()).map(|_| 0),
        // Settings are read but not applied: the host terminal does its own line discipline.
        TCSETS | TCSETSW | TCSETSF => a.ptr::<Termios>(2).read(c.k.mem()).map(|_| 0),
        TIOCGWINSZ => {
            let mut w = Winsize::default();
            set!(w, winsize, ws_row, 24u16);
            set!(w, winsize, ws_col, 80u16);
            a.ptr::<Winsize>(2).write(c.k.mem(), &w).map(|_| 0)
        }
        TIOCGPGRP => a.ptr::<i32>(2).write(c.k.mem(), &c.p.pid).map(|_| 0),
        _ => Err(Errno::ENOTTY),
    }
}
