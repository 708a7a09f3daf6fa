//! `--strace`: one line per syscall on the kernel's trace stream, formatted like strace
//! (`write(1, "hi\n", 3) = 3`, `open(...) = -1 ENOENT`).

use crate::table::Entry;
use crate::{Args, Kernel, SysResult};
use alloc::string::String;
use core::fmt::Write;
use elfin_abi::UserCStr;

/// How one argument is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Signed decimal (C `int`/`long`).
    Int,
    /// Unsigned decimal.
    Uint,
    /// Hexadecimal (flags, addresses).
    Hex,
    /// Octal (file modes), as strace shows them (`0644`).
    Oct,
    /// A file descriptor (`AT_FDCWD` by name).
    Fd,
    /// A pointer (`NULL` or hex).
    Ptr,
    /// A C string.
    Str,
    /// A buffer the app passes in; its length is argument `n`.
    InBuf(usize),
    /// A buffer the kernel fills; the result is its length.
    OutBuf(usize),
}

/// How the result is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ret {
    /// Decimal.
    Dec,
    /// Hexadecimal (addresses).
    Hex,
    /// Octal (umask).
    Oct,
}

const SHOWN: usize = 32;

fn quote(out: &mut String, bytes: &[u8], more: bool) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    if more {
        out.push_str("...");
    }
}

fn buffer(out: &mut String, k: &dyn Kernel, addr: u64, len: usize) {
    let n = len.min(SHOWN);
    let mut buf = [0u8; SHOWN];
    match k.mem().read_bytes(addr, &mut buf[..n]) {
        Ok(()) => quote(out, &buf[..n], len > n),
        Err(_) => {
            let _ = write!(out, "{addr:#x}");
        }
    }
}

fn arg(out: &mut String, k: &dyn Kernel, a: Arg, args: &Args, i: usize, r: Option<SysResult>) {
    let v = args.raw(i);
    let _ = match a {
        Arg::Int => write!(out, "{}", v as i64),
        Arg::Uint => write!(out, "{v}"),
        Arg::Hex => write!(out, "{v:#x}"),
        Arg::Oct if v as u32 == 0 => write!(out, "0"),
        Arg::Oct => write!(out, "0{:o}", v as u32),
        Arg::Fd if v as i32 == -100 => write!(out, "AT_FDCWD"),
        Arg::Fd => write!(out, "{}", v as i32),
        Arg::Ptr if v == 0 => write!(out, "NULL"),
        Arg::Ptr => write!(out, "{v:#x}"),
        Arg::Str => match UserCStr::new(v).read(k.mem(), 256) {
            Ok(s) => {
                quote(out, &s, false);
                Ok(())
            }
            Err(_) => write!(out, "{v:#x}"),
        },
        Arg::InBuf(n) => {
            buffer(out, k, v, args.usize(n));
            Ok(())
        }
        Arg::OutBuf(_) => match r {
            Some(Ok(len)) => {
                buffer(out, k, v, len);
                Ok(())
            }
            _ => write!(out, "{v:#x}"),
        },
    };
}

/// Trace one served syscall. `r` is `None` for calls that do not return (exit), traced before.
pub fn trace_call(k: &mut dyn Kernel, e: &Entry, args: &Args, r: Option<SysResult>) {
    let mut out = String::new();
    let _ = write!(out, "{}(", e.name);
    for (i, &a) in e.args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        arg(&mut out, k, a, args, i, r);
    }
    out.push(')');
    match r {
        None => out.push_str(" = ?"),
        Some(Ok(v)) => {
            let _ = match e.ret {
                crate::strace::Ret::Dec => write!(out, " = {}", v as i64),
                crate::strace::Ret::Hex => write!(out, " = {v:#x}"),
                crate::strace::Ret::Oct if v == 0 => write!(out, " = 0"),
                crate::strace::Ret::Oct => write!(out, " = 0{v:o}"),
            };
        }
        Some(Err(errno)) => {
            let _ = write!(out, " = -1 {errno}");
        }
    }
    k.trace(format_args!("{out}"));
}

/// Trace a syscall Elfin does not serve.
pub fn trace_unknown(k: &mut dyn Kernel, nr: u64, args: &Args) {
    let a = args.0;
    match crate::table::name(nr) {
        Some(n) => k.trace(format_args!(
            "{n}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = -1 ENOSYS (not supported by Elfin)",
            a[0], a[1], a[2], a[3], a[4], a[5]
        )),
        None => k.trace(format_args!("syscall_{nr}({:#x}, {:#x}, {:#x}, ...) = -1 ENOSYS", a[0], a[1], a[2])),
    }
}
