//! The Linux guest's initramfs: a cpio "newc" archive in memory (the format the kernel
//! unpacks into its rootfs), with regular files, directories and character devices. The
//! kernel needs `/dev/console` (5, 1) in it to give `/init` its stdin, stdout and stderr.
//! Everything is owned by root, mtime 0, one link: the archive depends only on its contents.

/// File type bits of `st_mode`.
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFCHR: u32 = 0o020000;

/// Builds a newc archive entry by entry; [`Archive::finish`] appends the trailer.
#[derive(Debug, Default)]
pub struct Archive {
    bytes: Vec<u8>,
    next_ino: u32,
}

impl Archive {
    pub fn new() -> Self {
        Self {
            bytes: Vec::new(),
            next_ino: 1,
        }
    }

    /// A directory (`path` without a leading `/`, as cpio paths are).
    pub fn dir(&mut self, path: &str, perm: u32) -> &mut Self {
        self.entry(path, S_IFDIR | (perm & 0o7777), (0, 0), &[])
    }

    /// A regular file with `data`.
    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) -> &mut Self {
        self.entry(path, S_IFREG | (perm & 0o7777), (0, 0), data)
    }

    /// A character device node (`major`, `minor`).
    pub fn char_dev(&mut self, path: &str, perm: u32, major: u32, minor: u32) -> &mut Self {
        self.entry(path, S_IFCHR | (perm & 0o7777), (major, minor), &[])
    }

    /// The archive with its `TRAILER!!!` entry.
    pub fn finish(mut self) -> Vec<u8> {
        self.next_ino = 0;
        self.entry("TRAILER!!!", 0, (0, 0), &[]);
        self.bytes
    }

    fn entry(&mut self, name: &str, mode: u32, rdev: (u32, u32), data: &[u8]) -> &mut Self {
        let ino = self.next_ino;
        if ino != 0 {
            self.next_ino += 1;
        }
        let nlink = if mode & 0o170000 == S_IFDIR { 2 } else { 1 };
        let size = u32::try_from(data.len()).expect("a newc member is under 4 GiB");
        let namesize = u32::try_from(name.len() + 1).expect("short name");
        let fields = [
            ino, mode, 0, 0, nlink, 0, size, 0, 0, rdev.0, rdev.1, namesize, 0,
        ];
        self.bytes.extend_from_slice(b"070701");
        for field in fields {
            self.bytes
                .extend_from_slice(format!("{field:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
        self
    }

    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, mode, rdevmajor, rdevminor, data) of each member, read back.
    fn read_back(mut bytes: &[u8]) -> Vec<(String, u32, u32, u32, Vec<u8>)> {
        let total = bytes.len();
        let mut out = Vec::new();
        loop {
            assert_eq!((total - bytes.len()) % 4, 0, "header alignment");
            assert_eq!(&bytes[..6], b"070701");
            let field = |i: usize| {
                u32::from_str_radix(
                    std::str::from_utf8(&bytes[6 + 8 * i..14 + 8 * i]).unwrap(),
                    16,
                )
                .unwrap()
            };
            let (mode, size, major, minor, namesize) =
                (field(1), field(6), field(9), field(10), field(11));
            let name_end = 110 + namesize as usize;
            let name = std::str::from_utf8(&bytes[110..name_end - 1])
                .unwrap()
                .to_string();
            assert_eq!(bytes[name_end - 1], 0);
            let data_start = name_end.next_multiple_of(4);
            let data = bytes[data_start..data_start + size as usize].to_vec();
            let next = (data_start + size as usize).next_multiple_of(4);
            bytes = &bytes[next..];
            if name == "TRAILER!!!" {
                assert!(bytes.is_empty());
                return out;
            }
            out.push((name, mode, major, minor, data));
        }
    }

    #[test]
    fn initramfs_layout_round_trips() {
        let mut archive = Archive::new();
        archive
            .dir("dev", 0o755)
            .char_dev("dev/console", 0o600, 5, 1)
            .file("init", 0o755, b"\x7fELF init")
            .file("stdin", 0o644, b"abc");
        let bytes = archive.finish();
        assert_eq!(bytes.len() % 4, 0);
        let members = read_back(&bytes);
        assert_eq!(
            members,
            vec![
                ("dev".to_string(), 0o040755, 0, 0, vec![]),
                ("dev/console".to_string(), 0o020600, 5, 1, vec![]),
                ("init".to_string(), 0o100755, 0, 0, b"\x7fELF init".to_vec()),
                ("stdin".to_string(), 0o100644, 0, 0, b"abc".to_vec()),
            ]
        );
    }

    #[test]
    fn header_bytes_match_the_newc_format() {
        let mut archive = Archive::new();
        archive.file("a", 0o644, b"xy");
        let bytes = archive.finish();
        let expect = "070701\
            00000001000081A4000000000000000000000001\
            0000000000000002000000000000000000000000\
            000000000000000200000000";
        assert_eq!(std::str::from_utf8(&bytes[..110]).unwrap(), expect);
        // name "a\0" -> 112, padded to 112; data "xy" padded to 116; then the trailer.
        assert_eq!(&bytes[110..116], b"a\0xy\0\0");
        assert_eq!(&bytes[116..122], b"070701");
        assert!(Archive::new().finish().len() == 124);
    }
}
