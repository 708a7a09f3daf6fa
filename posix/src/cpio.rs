//! Reading a cpio "newc" archive (the initrd the CLI builds): an iterator over its entries.
//! Malformed archives end the iteration with an error, never a panic.

/// One archive member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path inside the archive (no leading `/`).
    pub name: &'a [u8],
    /// `c_mode` (file type and permissions).
    pub mode: u32,
    /// Contents.
    pub data: &'a [u8],
    /// Modification time.
    pub mtime: u32,
    /// `c_ino`: entries with the same `(ino, dev)` and `nlink > 1` are hard links.
    pub ino: u32,
    /// `c_nlink`.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// `(c_devmajor, c_devminor)`: the device of the archived file (identifies hard links).
    pub dev: (u32, u32),
    /// `(c_rdevmajor, c_rdevminor)`: the device number of a device node.
    pub rdev: (u32, u32),
}

/// Why an archive could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpioError {
    /// Not a newc header where one was expected.
    BadMagic,
    /// A header or member runs past the end of the archive.
    Truncated,
    /// A header field is not hexadecimal.
    BadField,
}

/// Iterator over the members of a newc archive, stopping at `TRAILER!!!`.
#[derive(Debug)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Reader<'a> {
    /// Read `data` as a newc archive.
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0, done: data.is_empty() }
    }
}

fn hex(field: &[u8]) -> Result<u32, CpioError> {
    let mut v: u32 = 0;
    for &c in field {
        let d = (c as char).to_digit(16).ok_or(CpioError::BadField)?;
        v = v.checked_mul(16).and_then(|v| v.checked_add(d)).ok_or(CpioError::BadField)?;
    }
    Ok(v)
}

fn align4(v: usize) -> Option<usize> {
    v.checked_add(3).map(|v| v & !3)
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.parse();
        match &r {
            Ok(None) | Err(_) => self.done = true,
            Ok(Some(_)) => {}
        }
        r.transpose()
    }
}

impl<'a> Reader<'a> {
    fn parse(&mut self) -> Result<Option<Entry<'a>>, CpioError> {
        let h = self.data.get(self.pos..self.pos.checked_add(110).ok_or(CpioError::Truncated)?).ok_or(CpioError::Truncated)?;
        if &h[..6] != b"070701" && &h[..6] != b"070702" {
            return Err(CpioError::BadMagic);
        }
        let field = |i: usize| hex(&h[6 + i * 8..14 + i * 8]);
        let ino = field(0)?;
        let mode = field(1)?;
        let uid = field(2)?;
        let gid = field(3)?;
        let nlink = field(4)?;
        let mtime = field(5)?;
        let dev = (field(7)?, field(8)?);
        let rdev = (field(9)?, field(10)?);
        let filesize = field(6)? as usize;
        let namesize = field(11)? as usize;
        let name_start = self.pos + 110;
        let name_end = name_start.checked_add(namesize).ok_or(CpioError::Truncated)?;
        let name = self.data.get(name_start..name_end).ok_or(CpioError::Truncated)?;
        let name = name.strip_suffix(&[0]).unwrap_or(name);
        let data_start = align4(name_end).ok_or(CpioError::Truncated)?;
        let data_end = data_start.checked_add(filesize).ok_or(CpioError::Truncated)?;
        let data = self.data.get(data_start..data_end).ok_or(CpioError::Truncated)?;
        self.pos = align4(data_end).ok_or(CpioError::Truncated)?;
        if name == b"TRAILER!!!" {
            return Ok(None);
        }
        Ok(Some(Entry { name, mode, data, mtime, ino, nlink, uid, gid, dev, rdev }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
        let h = format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            1, mode, 0, 0, 1, 0, data.len(), 0, 0, 0, 0, name.len() + 1, 0
        );
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }

    #[test]
    fn reads_members_until_trailer() {
        let mut a = Vec::new();
        member(&mut a, "tmp", 0o40755, b"");
        member(&mut a, "tmp/hello", 0o100755, b"\x7fELF...");
        member(&mut a, "TRAILER!!!", 0, b"");
        let v: Vec<_> = Reader::new(&a).collect::<Result<_, _>>().unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[1].name, b"tmp/hello");
        assert_eq!(v[1].data, b"\x7fELF...");
        assert_eq!(v[1].mode, 0o100755);
    }

    #[test]
    fn malformed_archives_are_errors() {
        let mut a = Vec::new();
        member(&mut a, "x", 0o100644, b"abcdef");
        for cut in 0..a.len() {
            let r: Result<Vec<_>, _> = Reader::new(&a[..cut]).collect();
            assert!(r.is_err() || cut == 0, "cut {cut}");
        }
        let mut bad = a.clone();
        bad[0] = b'X';
        assert_eq!(Reader::new(&bad).next(), Some(Err(CpioError::BadMagic)));
        let mut bad = a.clone();
        bad[60] = b'z';
        assert_eq!(Reader::new(&bad).next(), Some(Err(CpioError::BadField)));
    }
}
