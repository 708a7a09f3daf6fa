//! What goes into the initrd handed to the kernel (docs/boot-protocol.md, "initrd").
//!
//! - [`GuestBinary::open`] checks the user's BINARY on the host (exists, readable, regular
//!   file, ELF magic) and remembers its canonical path; deeper ELF checks are the kernel loader's.
//! - [`Initrd`] is the content: the binary at its canonical absolute host path (with directory
//!   entries for every parent), `.elfin/exe`, `.elfin/argv`, `.elfin/envp` and, when stdin is not
//!   a terminal, `.elfin/stdin`. [`Initrd::write`] streams it through `cpio.rs`.
//! - [`parse_env`] validates one `--env K=V`.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cpio::CpioWriter;

/// The four bytes every ELF file starts with.
pub const ELF_MAGIC: [u8; 4] = *b"\x7fELF";

/// The application binary, opened and checked.
#[derive(Debug)]
pub struct GuestBinary {
    /// Open handle (read from the start when the initrd is written).
    pub file: File,
    /// Canonical absolute host path: also the path of the binary in the guest.
    pub canonical: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Permission bits.
    pub perm: u32,
    /// Modification time (seconds since the epoch, clamped to u32).
    pub mtime: u32,
}

impl GuestBinary {
    /// Opens `path` (as the user typed it) and checks that it is a readable regular ELF file.
    /// Error messages read `<path>: <reason>`.
    pub fn open(path: &Path) -> Result<Self> {
        let shown = path.display();
        let mut file =
            File::open(path).map_err(|e| anyhow::anyhow!("{shown}: {}", os_error_text(&e)))?;
        let meta = file
            .metadata()
            .map_err(|e| anyhow::anyhow!("{shown}: {}", os_error_text(&e)))?;
        if meta.is_dir() {
            bail!("{shown}: Is a directory");
        }
        if !meta.is_file() {
            bail!("{shown}: not a regular file");
        }
        let mut magic = [0u8; 4];
        let is_elf = match file.read_exact(&mut magic) {
            Ok(()) => magic == ELF_MAGIC,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => false,
            Err(e) => bail!("{shown}: {}", os_error_text(&e)),
        };
        if !is_elf {
            bail!("{shown}: not an ELF executable");
        }
        let canonical = std::fs::canonicalize(path)
            .map_err(|e| anyhow::anyhow!("{shown}: {}", os_error_text(&e)))?;
        Ok(Self {
            // Reopen so reads start at offset 0 without seeking through a shared handle.
            file: File::open(&canonical)
                .map_err(|e| anyhow::anyhow!("{shown}: {}", os_error_text(&e)))?,
            canonical,
            size: meta.len(),
            perm: meta.permissions().mode() & 0o7777,
            mtime: u32::try_from(meta.mtime().max(0)).unwrap_or(u32::MAX),
        })
    }
}

/// The text of an I/O error without Rust's " (os error N)" suffix, like `strerror`.
pub fn os_error_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Validates one `--env` argument: `K=V` with a non-empty `K` (K cannot contain `=` by
/// construction: the first `=` ends it). Returns it unchanged.
pub fn parse_env(arg: &OsStr) -> Result<OsString> {
    let bytes = arg.as_bytes();
    match bytes.iter().position(|&b| b == b'=') {
        Some(0) => bail!(
            "--env {}: the variable name is empty (expected K=V)",
            arg.display()
        ),
        Some(_) => Ok(arg.to_os_string()),
        None => bail!("--env {}: expected K=V", arg.display()),
    }
}

/// Everything the initrd holds besides the binary's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initrd {
    /// Canonical absolute host path of the binary (= its guest path).
    pub binary_path: PathBuf,
    /// argv; argv[0] is BINARY as the user typed it.
    pub argv: Vec<OsString>,
    /// `K=V` strings from `--env`.
    pub envp: Vec<OsString>,
    /// All of stdin when it is not a terminal.
    pub stdin: Option<Vec<u8>>,
}

impl Initrd {
    /// Writes the archive: parents of the binary, the binary, then `.elfin/*`.
    ///
    /// `binary` yields the binary's `size` bytes; `perm`/`mtime` are stored in its entry.
    pub fn write<W: Write>(
        &self,
        out: W,
        binary: &mut dyn Read,
        size: u64,
        perm: u32,
        mtime: u32,
    ) -> Result<W> {
        let rel = archive_path(&self.binary_path)?;
        let mut cpio = CpioWriter::new(out);
        for dir in parent_dirs(rel) {
            cpio.dir(dir, 0o755)?;
        }
        cpio.file_from_reader(rel, perm, mtime, size, binary)
            .with_context(|| format!("{}", self.binary_path.display()))?;
        cpio.dir(b".elfin", 0o755)?;
        cpio.file(
            b".elfin/exe",
            0o444,
            0,
            self.binary_path.as_os_str().as_bytes(),
        )?;
        cpio.file(b".elfin/argv", 0o444, 0, &nul_terminated(&self.argv))?;
        cpio.file(b".elfin/envp", 0o444, 0, &nul_terminated(&self.envp))?;
        if let Some(stdin) = &self.stdin {
            cpio.file(b".elfin/stdin", 0o444, 0, stdin)?;
        }
        Ok(cpio.finish()?)
    }
}

/// The cpio name of an absolute path: the path without its leading `/`.
pub fn archive_path(abs: &Path) -> Result<&[u8]> {
    let bytes = abs.as_os_str().as_bytes();
    match bytes.strip_prefix(b"/") {
        Some(rel) if !rel.is_empty() => Ok(rel),
        _ => bail!("{}: not an absolute file path", abs.display()),
    }
}

/// Every proper parent of a relative cpio path, outermost first: `a/b/c` gives `a`, `a/b`.
pub fn parent_dirs(rel: &[u8]) -> Vec<&[u8]> {
    rel.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'/')
        .map(|(i, _)| &rel[..i])
        .collect()
}

/// Each string followed by a NUL byte.
pub fn nul_terminated(items: &[OsString]) -> Vec<u8> {
    let mut out = Vec::new();
    for item in items {
        out.extend_from_slice(item.as_bytes());
        out.push(0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpio::{self, S_IFDIR, S_IFREG};

    fn os(s: &str) -> OsString {
        OsString::from(s)
    }

    #[test]
    fn env_validation() {
        assert_eq!(parse_env(OsStr::new("A=1")).unwrap(), os("A=1"));
        assert_eq!(parse_env(OsStr::new("A=")).unwrap(), os("A="));
        assert_eq!(parse_env(OsStr::new("A=b=c")).unwrap(), os("A=b=c"));
        assert!(parse_env(OsStr::new("=1")).is_err());
        assert!(parse_env(OsStr::new("A")).is_err());
        assert!(parse_env(OsStr::new("")).is_err());
    }

    #[test]
    fn parents_and_archive_paths() {
        assert_eq!(parent_dirs(b"tmp/a/hello"), vec![&b"tmp"[..], b"tmp/a"]);
        assert_eq!(parent_dirs(b"hello"), Vec::<&[u8]>::new());
        assert_eq!(archive_path(Path::new("/tmp/hello")).unwrap(), b"tmp/hello");
        assert!(archive_path(Path::new("tmp/hello")).is_err());
        assert!(archive_path(Path::new("/")).is_err());
    }

    #[test]
    fn nul_terminated_lists() {
        assert_eq!(
            nul_terminated(&[os("./hi"), os(""), os("x y")]),
            b"./hi\0\0x y\0"
        );
        assert_eq!(nul_terminated(&[]), b"");
    }

    #[test]
    fn archive_layout_matches_the_protocol() {
        let spec = Initrd {
            binary_path: PathBuf::from("/tmp/dir/hello"),
            argv: vec![os("./hello"), os("-v"), os("a b")],
            envp: vec![os("HOME=/"), os("X=")],
            stdin: Some(b"input\n".to_vec()),
        };
        let elf = b"\x7fELF rest of the binary";
        let out = spec
            .write(Vec::new(), &mut &elf[..], elf.len() as u64, 0o755, 42)
            .unwrap();
        let entries = cpio::parse(&out).unwrap();
        let names: Vec<&[u8]> = entries.iter().map(|e| &e.name[..]).collect();
        assert_eq!(
            names,
            vec![
                &b"tmp"[..],
                b"tmp/dir",
                b"tmp/dir/hello",
                b".elfin",
                b".elfin/exe",
                b".elfin/argv",
                b".elfin/envp",
                b".elfin/stdin"
            ]
        );
        assert_eq!(entries[0].mode, S_IFDIR | 0o755);
        assert_eq!(entries[2].mode, S_IFREG | 0o755);
        assert_eq!(entries[2].mtime, 42);
        assert_eq!(entries[2].data, elf);
        assert_eq!(entries[4].data, b"/tmp/dir/hello");
        assert_eq!(entries[5].data, b"./hello\0-v\0a b\0");
        assert_eq!(entries[6].data, b"HOME=/\0X=\0");
        assert_eq!(entries[7].data, b"input\n");
    }

    #[test]
    fn no_stdin_entry_for_a_terminal_and_empty_envp_still_present() {
        let spec = Initrd {
            binary_path: PathBuf::from("/hello"),
            argv: vec![os("hello")],
            envp: vec![],
            stdin: None,
        };
        let out = spec
            .write(Vec::new(), &mut &b"\x7fELF"[..], 4, 0o700, 0)
            .unwrap();
        let entries = cpio::parse(&out).unwrap();
        let names: Vec<&[u8]> = entries.iter().map(|e| &e.name[..]).collect();
        assert_eq!(
            names,
            vec![
                &b"hello"[..],
                b".elfin",
                b".elfin/exe",
                b".elfin/argv",
                b".elfin/envp"
            ]
        );
        assert_eq!(entries[4].data, b"");
    }

    #[test]
    fn empty_stdin_gives_an_empty_entry() {
        let spec = Initrd {
            binary_path: PathBuf::from("/hello"),
            argv: vec![os("hello")],
            envp: vec![],
            stdin: Some(vec![]),
        };
        let out = spec
            .write(Vec::new(), &mut &b"\x7fELF"[..], 4, 0o700, 0)
            .unwrap();
        let entries = cpio::parse(&out).unwrap();
        assert_eq!(entries.last().unwrap().name, b".elfin/stdin");
        assert!(entries.last().unwrap().data.is_empty());
    }

    #[test]
    fn binary_checks() {
        let dir = std::env::temp_dir().join(format!("elfin-initrd-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = dir.join("text");
        std::fs::write(&text, "#!/bin/sh\n").unwrap();
        let short = dir.join("short");
        std::fs::write(&short, "\x7fE").unwrap();
        let elf = dir.join("elf");
        std::fs::write(&elf, b"\x7fELF\x02\x01\x01").unwrap();

        let msg = |p: &Path| GuestBinary::open(p).unwrap_err().to_string();
        assert_eq!(
            msg(&text),
            format!("{}: not an ELF executable", text.display())
        );
        assert_eq!(
            msg(&short),
            format!("{}: not an ELF executable", short.display())
        );
        assert_eq!(
            msg(&dir.join("missing")),
            format!(
                "{}: No such file or directory",
                dir.join("missing").display()
            )
        );
        assert_eq!(msg(&dir), format!("{}: Is a directory", dir.display()));
        let bin = GuestBinary::open(&dir.join(".").join("elf")).unwrap();
        assert_eq!(bin.canonical, std::fs::canonicalize(&elf).unwrap());
        assert_eq!(bin.size, 7);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
