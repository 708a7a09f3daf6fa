//! A minimal writer for cpio "newc" archives (the format Linux's initramfs uses, magic `070701`).
//!
//! [`CpioWriter`] streams entries into any [`Write`]: directories ([`CpioWriter::dir`]), regular
//! files from memory ([`CpioWriter::file`]) or from a reader of known size
//! ([`CpioWriter::file_from_reader`]), and members with every field chosen by the caller
//! ([`CpioWriter::member`]: symlinks, hard links, a directory's link count), then
//! [`CpioWriter::finish`] appends the `TRAILER!!!` entry and pads the archive to a 512-byte
//! block.
//!
//! Symlinks are `S_IFLNK` members whose data is the target. Hard links are members sharing one
//! `c_ino` with `c_nlink` > 1; `initrd.rs` stores the full data in each of them (see
//! docs/boot-protocol.md). uid and gid are always 0.
//!
//! Format rules (see the kernel's `Documentation/driver-api/early-userspace/buffer-format.rst`):
//! a 110-byte ASCII header (`070701` + 13 fields of 8 upper-case hex digits: ino, mode, uid, gid,
//! nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check), then the
//! NUL-terminated name, padded with NULs so that header + name is a multiple of 4 bytes, then the
//! file data padded to a multiple of 4. `namesize` counts the trailing NUL.
//!
//! Used by `initrd.rs`, which decides what goes into the archive.

use std::io::{self, Read, Write};

/// `S_IFDIR`: directory bit of `mode`.
pub const S_IFDIR: u32 = 0o040_000;
/// `S_IFREG`: regular file bit of `mode`.
pub const S_IFREG: u32 = 0o100_000;
/// `S_IFLNK`: symbolic link bit of `mode`.
pub const S_IFLNK: u32 = 0o120_000;
/// `S_IFMT`: the file type bits of `mode`.
#[cfg(test)]
pub const S_IFMT: u32 = 0o170_000;
/// Name of the last entry of every archive.
pub const TRAILER: &str = "TRAILER!!!";
/// Length of a newc header.
pub const HEADER_LEN: usize = 110;
/// Magic of the newc format (without CRC).
pub const MAGIC: &[u8; 6] = b"070701";

/// The header fields of one member chosen by the caller ([`CpioWriter::member`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// File type and permission bits (`S_IFREG | 0o644`, ...).
    pub mode: u32,
    /// Inode number; `None`: a fresh one. Members sharing one are hard links.
    pub ino: Option<u32>,
    /// Link count (`c_nlink`).
    pub nlink: u32,
    /// Modification time, seconds since the epoch.
    pub mtime: u32,
}

/// Streams a newc archive into `W`.
#[derive(Debug)]
pub struct CpioWriter<W: Write> {
    out: W,
    /// Bytes written so far (for the 4-byte alignment rules).
    offset: u64,
    /// Next inode number; each entry gets its own so readers never mistake two for hard links.
    next_ino: u32,
}

impl<W: Write> CpioWriter<W> {
    /// Starts an empty archive.
    pub fn new(out: W) -> Self {
        Self {
            out,
            offset: 0,
            next_ino: 1,
        }
    }

    /// Adds a directory entry; `perm` holds the permission bits (e.g. `0o755`).
    pub fn dir(&mut self, name: &[u8], perm: u32) -> io::Result<()> {
        let m = Member {
            mode: S_IFDIR | (perm & 0o7777),
            ino: None,
            nlink: 2,
            mtime: 0,
        };
        self.member(name, m, 0, &mut io::empty())
    }

    /// A fresh inode number, for members that share one (hard links).
    pub fn new_ino(&mut self) -> u32 {
        let ino = self.next_ino;
        self.next_ino = self.next_ino.wrapping_add(1).max(1);
        ino
    }

    /// Adds a member with the header fields of `m` whose `size` bytes of data come from
    /// `reader` (a symlink's data is its target). Fails, leaving the archive unusable, if
    /// `reader` yields fewer than `size` bytes; reads no more than `size`.
    pub fn member(
        &mut self,
        name: &[u8],
        m: Member,
        size: u64,
        reader: &mut dyn Read,
    ) -> io::Result<()> {
        check_name(name)?;
        let size32 = u32::try_from(size).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "file too large for a cpio archive (4 GiB limit)",
            )
        })?;
        let ino = match m.ino {
            Some(ino) => ino,
            None => self.new_ino(),
        };
        self.header(name, ino, m.mode, m.nlink, m.mtime, size32)?;
        let copied = io::copy(&mut reader.take(size), &mut self.out)?;
        if copied != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("file changed while being archived: read {copied} of {size} bytes"),
            ));
        }
        self.offset += size;
        self.pad()
    }

    /// Adds a regular file whose contents are in memory.
    pub fn file(&mut self, name: &[u8], perm: u32, mtime: u32, data: &[u8]) -> io::Result<()> {
        self.file_from_reader(name, perm, mtime, data.len() as u64, &mut &data[..])
    }

    /// Adds a regular file of `size` bytes read from `reader`.
    ///
    /// Fails (and leaves the archive unusable) if `reader` yields fewer than `size` bytes, e.g.
    /// because the file shrank while being copied.
    pub fn file_from_reader(
        &mut self,
        name: &[u8],
        perm: u32,
        mtime: u32,
        size: u64,
        reader: &mut dyn Read,
    ) -> io::Result<()> {
        let m = Member {
            mode: S_IFREG | (perm & 0o7777),
            ino: None,
            nlink: 1,
            mtime,
        };
        self.member(name, m, size, reader)
    }

    /// Writes the trailer, pads the archive to a multiple of 512 bytes and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.header(TRAILER.as_bytes(), 0, 0, 1, 0, 0)?;
        let rem = (self.offset % 512) as usize;
        if rem != 0 {
            self.write_all(&[0; 512][..512 - rem])?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    /// Writes a header followed by the padded name.
    fn header(
        &mut self,
        name: &[u8],
        ino: u32,
        mode: u32,
        nlink: u32,
        mtime: u32,
        filesize: u32,
    ) -> io::Result<()> {
        let namesize = u32::try_from(name.len() + 1)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "cpio entry name too long"))?;
        let fields = [
            ino, mode, 0, 0, nlink, mtime, filesize, 0, 0, 0, 0, namesize, 0,
        ];
        let mut header = Vec::with_capacity(HEADER_LEN + name.len() + 4);
        header.extend_from_slice(MAGIC);
        for field in fields {
            header.extend_from_slice(format!("{field:08X}").as_bytes());
        }
        debug_assert_eq!(header.len(), HEADER_LEN);
        header.extend_from_slice(name);
        header.push(0);
        self.write_all(&header)?;
        self.pad()
    }

    /// Pads the output with NULs to the next multiple of 4.
    fn pad(&mut self) -> io::Result<()> {
        let n = (4 - (self.offset % 4) as usize) % 4;
        self.write_all(&[0; 3][..n])
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok(())
    }
}

/// Rejects names a reader could not represent or would misinterpret.
fn check_name(name: &[u8]) -> io::Result<()> {
    let bad = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "invalid cpio entry name {:?}: {why}",
                String::from_utf8_lossy(name)
            ),
        ))
    };
    if name.is_empty() {
        bad("empty")
    } else if name.contains(&0) {
        bad("contains a NUL byte")
    } else if name.starts_with(b"/") {
        bad("absolute")
    } else if name == TRAILER.as_bytes() {
        bad("reserved for the trailer")
    } else {
        Ok(())
    }
}

/// A parsed entry, for tests of this module and of `initrd.rs`.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub ino: u32,
    pub mode: u32,
    pub nlink: u32,
    pub mtime: u32,
    pub name: Vec<u8>,
    pub data: Vec<u8>,
}

/// Strict newc parser used by tests: checks magic, hex fields, NUL terminator, padding bytes,
/// the trailer and the final 512-byte padding. Returns the entries before the trailer.
#[cfg(test)]
pub fn parse(archive: &[u8]) -> Result<Vec<Entry>, String> {
    fn align4(x: usize) -> usize {
        (x + 3) & !3
    }
    let mut entries = Vec::new();
    let mut pos = 0;
    loop {
        let header = archive
            .get(pos..pos + HEADER_LEN)
            .ok_or(format!("truncated header at {pos}"))?;
        if &header[..6] != MAGIC {
            return Err(format!("bad magic at {pos}"));
        }
        let field = |i: usize| -> Result<u32, String> {
            let text =
                std::str::from_utf8(&header[6 + 8 * i..14 + 8 * i]).map_err(|e| e.to_string())?;
            if !text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
            {
                return Err(format!("field {i} not upper-case hex: {text:?}"));
            }
            u32::from_str_radix(text, 16).map_err(|e| e.to_string())
        };
        let (ino, mode, nlink, mtime, filesize, namesize) = (
            field(0)?,
            field(1)?,
            field(4)?,
            field(5)?,
            field(6)? as usize,
            field(11)? as usize,
        );
        for i in [2, 3, 7, 8, 9, 10, 12] {
            if field(i)? != 0 {
                return Err(format!("field {i} not zero"));
            }
        }
        if namesize == 0 {
            return Err("zero namesize".into());
        }
        let name_start = pos + HEADER_LEN;
        let name_end = name_start + namesize;
        let name_with_nul = archive.get(name_start..name_end).ok_or("truncated name")?;
        if name_with_nul.last() != Some(&0) || name_with_nul[..namesize - 1].contains(&0) {
            return Err("name not NUL-terminated exactly once".into());
        }
        let data_start = align4(name_end);
        if archive
            .get(name_end..data_start)
            .ok_or("truncated name padding")?
            .iter()
            .any(|&b| b != 0)
        {
            return Err("non-zero name padding".into());
        }
        let data_end = data_start + filesize;
        let data = archive.get(data_start..data_end).ok_or("truncated data")?;
        let next = align4(data_end);
        if archive
            .get(data_end..next)
            .ok_or("truncated data padding")?
            .iter()
            .any(|&b| b != 0)
        {
            return Err("non-zero data padding".into());
        }
        let name = name_with_nul[..namesize - 1].to_vec();
        if name == TRAILER.as_bytes() {
            if filesize != 0 {
                return Err("trailer has data".into());
            }
            if !archive.len().is_multiple_of(512) || archive[next..].iter().any(|&b| b != 0) {
                return Err("archive not padded with zeros to 512 bytes".into());
            }
            return Ok(entries);
        }
        entries.push(Entry {
            ino,
            mode,
            nlink,
            mtime,
            name,
            data: data.to_vec(),
        });
        pos = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(f: impl FnOnce(&mut CpioWriter<Vec<u8>>) -> io::Result<()>) -> Vec<u8> {
        let mut w = CpioWriter::new(Vec::new());
        f(&mut w).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn empty_archive_is_just_the_trailer() {
        let a = build(|_| Ok(()));
        assert_eq!(a.len(), 512);
        // 110 + "TRAILER!!!\0" (11) = 121, padded to 124.
        assert_eq!(&a[..6], b"070701");
        assert_eq!(&a[110..121], b"TRAILER!!!\0");
        // namesize field (index 11) of the trailer is 11.
        assert_eq!(&a[6 + 8 * 11..6 + 8 * 12], b"0000000B");
        assert_eq!(parse(&a).unwrap(), vec![]);
    }

    #[test]
    fn header_fields_are_exact() {
        let a = build(|w| w.file(b"ab", 0o644, 0x1234_5678, b"xyz"));
        let expected: &[u8] = b"070701\
            00000001\
            000081A4\
            00000000\
            00000000\
            00000001\
            12345678\
            00000003\
            00000000\
            00000000\
            00000000\
            00000000\
            00000003\
            00000000";
        assert_eq!(&a[..HEADER_LEN], expected);
        // Name "ab\0" ends at 113, padded to 116; data "xyz" at 116..119, padded to 120.
        assert_eq!(&a[110..116], b"ab\0\0\0\0");
        assert_eq!(&a[116..120], b"xyz\0");
        assert_eq!(&a[120..126], b"070701");
    }

    #[test]
    fn round_trip_with_every_padding_length() {
        // Names of length 1..=8 and data of length 0..=8 cover every residue mod 4.
        let mut expect = Vec::new();
        let a = build(|w| {
            w.dir(b"d", 0o755)?;
            expect.push((b"d".to_vec(), S_IFDIR | 0o755, 2, Vec::new()));
            for n in 1..=8usize {
                for len in 0..=8usize {
                    let name = format!("d/{}{len}", "n".repeat(n)).into_bytes();
                    let data: Vec<u8> = (0..len as u8).map(|i| i + 1).collect();
                    w.file(&name, 0o600, 7, &data)?;
                    expect.push((name, S_IFREG | 0o600, 1, data));
                }
            }
            Ok(())
        });
        assert_eq!(a.len() % 512, 0);
        let entries = parse(&a).unwrap();
        assert_eq!(entries.len(), expect.len());
        for (i, (e, (name, mode, nlink, data))) in entries.iter().zip(&expect).enumerate() {
            assert_eq!(&e.name, name);
            assert_eq!(e.mode, *mode);
            assert_eq!(e.nlink, *nlink);
            assert_eq!(&e.data, data);
            assert_eq!(e.ino, i as u32 + 1, "inodes are unique");
        }
    }

    #[test]
    fn reader_entries_match_memory_entries() {
        let data = vec![0xAB; 4099];
        let a = build(|w| w.file(b"f", 0o755, 0, &data));
        let b = build(|w| w.file_from_reader(b"f", 0o755, 0, data.len() as u64, &mut &data[..]));
        assert_eq!(a, b);
    }

    #[test]
    fn short_reader_is_an_error() {
        let mut w = CpioWriter::new(Vec::new());
        let err = w
            .file_from_reader(b"f", 0o644, 0, 10, &mut &b"abc"[..])
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn reader_longer_than_size_is_truncated_to_size() {
        let a = build(|w| w.file_from_reader(b"f", 0o644, 0, 2, &mut &b"abcdef"[..]));
        assert_eq!(parse(&a).unwrap()[0].data, b"ab");
    }

    #[test]
    fn bad_names_are_rejected() {
        let mut w = CpioWriter::new(Vec::new());
        for name in [&b""[..], b"/abs", b"a\0b", b"TRAILER!!!"] {
            assert_eq!(
                w.file(name, 0o644, 0, b"").unwrap_err().kind(),
                io::ErrorKind::InvalidInput
            );
            assert!(w.dir(name, 0o755).is_err());
        }
    }

    #[test]
    fn members_with_chosen_fields() {
        let mut shared = 0;
        let a = build(|w| {
            shared = w.new_ino();
            let link = Member {
                mode: S_IFREG | 0o644,
                ino: Some(shared),
                nlink: 2,
                mtime: 5,
            };
            w.member(b"a", link, 2, &mut &b"hi"[..])?;
            w.member(b"b", link, 2, &mut &b"hi"[..])?;
            let sym = Member {
                mode: S_IFLNK | 0o777,
                ino: None,
                nlink: 1,
                mtime: 6,
            };
            w.member(b"c", sym, 1, &mut &b"a"[..])?;
            w.dir(b"d", 0o700)
        });
        let e = parse(&a).unwrap();
        assert_eq!(
            (e[0].ino, e[1].ino, e[0].nlink, e[1].nlink),
            (shared, shared, 2, 2)
        );
        assert_eq!(
            (e[2].mode, e[2].mtime, &e[2].data[..]),
            (S_IFLNK | 0o777, 6, &b"a"[..])
        );
        assert!(e[2].ino != shared && e[3].ino != shared && e[2].ino != e[3].ino);
        assert_eq!(e[3].mode, S_IFDIR | 0o700);
    }

    #[test]
    fn permission_bits_are_masked() {
        let a = build(|w| w.file(b"f", 0o170_777, 0, b""));
        assert_eq!(parse(&a).unwrap()[0].mode, S_IFREG | 0o777);
    }

    #[test]
    fn parser_rejects_broken_archives() {
        let good = build(|w| w.file(b"f", 0o644, 0, b"hello"));
        assert!(parse(&good).is_ok());
        let mut bad_magic = good.clone();
        bad_magic[5] = b'2';
        assert!(parse(&bad_magic).is_err());
        assert!(parse(&good[..200]).is_err(), "missing trailer");
        let mut bad_pad = good.clone();
        bad_pad[HEADER_LEN + 2 + 5 + 1] = 1; // padding after the data "hello"
        assert!(parse(&bad_pad).is_err());
    }
}
