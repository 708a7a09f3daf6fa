//! `Errno`: a Linux error number with its Linux name.
//!
//! The numbers come from `linux-raw-sys`; this file only lists the names. The conversion of a
//! handler's `Result` into the `-errno` value the app sees happens in exactly one place,
//! [`crate::to_syscall_return`].

use linux_raw_sys::errno as e;

/// A Linux error number (always positive; the syscall layer negates it once).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(u16);

/// The result every syscall handler returns.
pub type SysResult = Result<usize, Errno>;

macro_rules! errnos {
    ($($name:ident)*) => {
        impl Errno {
            $(
                #[allow(missing_docs)]
                pub const $name: Errno = Errno(e::$name as u16);
            )*
            /// `EWOULDBLOCK` is `EAGAIN` on Linux.
            pub const EWOULDBLOCK: Errno = Errno::EAGAIN;

            /// The Linux name, as strace prints it (`"EBADF"`), or `None` for an unknown number.
            pub fn name(self) -> Option<&'static str> {
                match self.0 as u32 {
                    $(e::$name => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

errnos!(EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY ELOOP ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR EXFULL ENOANO EBADRQC EBADSLT EBFONT ENOSTR ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW ENOTUNIQ EBADFD EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE EUSERS ENOTSOCK EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH ENETRESET ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN ETOOMANYREFS ETIMEDOUT ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY EKEYEXPIRED EKEYREVOKED EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL EHWPOISON );

impl Errno {
    /// Kernel-internal, never returned to the app (Linux's `ERESTARTSYS` number): the syscall
    /// blocked; the kernel blocks the thread as its `ThreadState::wait` says and runs the same
    /// syscall again when the thread wakes.
    pub const RESTART: Errno = Errno(512);

    /// The positive error number.
    pub const fn raw(self) -> i32 {
        self.0 as i32
    }

    /// An `Errno` from a positive number; `None` outside Linux's range (1..4096).
    pub const fn from_raw(n: i32) -> Option<Errno> {
        if n > 0 && n < 4096 { Some(Errno(n as u16)) } else { None }
    }
}

impl core::fmt::Debug for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_agree_with_linux() {
        assert_eq!(Errno::EBADF.raw(), 9);
        assert_eq!(Errno::ENOSYS.raw(), 38);
        assert_eq!(Errno::EBADF.name(), Some("EBADF"));
        assert_eq!(Errno::EWOULDBLOCK, Errno::EAGAIN);
        assert_eq!(Errno::from_raw(0), None);
        assert_eq!(Errno::from_raw(4096), None);
        assert_eq!(format!("{:?}", Errno::from_raw(4000).unwrap()), "Errno(4000)");
    }
}
