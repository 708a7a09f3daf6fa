//! Finding the kernel inside a bzImage: Debian's `/boot/vmlinuz-*` carries the ELF `vmlinux`
//! as an XZ stream after the real-mode setup code and the decompressor. Booting that ELF
//! through its PVH entry is the fast way to start the Linux guest (DESIGN.md section 3).
//!
//! [`stream_starts`] lists the offsets where a valid XZ stream header begins (the magic, valid
//! stream flags and their CRC32: a bare magic can occur inside code); [`extract_elf`] tries
//! them in order with a caller-given decompressor (the harness pipes to `xz -dc
//! --single-stream`, which ignores what follows the stream) and keeps the first output that is
//! an ELF file.

use anyhow::{Result, bail};

/// The six bytes an XZ stream starts with.
pub const XZ_MAGIC: [u8; 6] = [0xfd, b'7', b'z', b'X', b'Z', 0x00];

/// CRC-32 (IEEE 802.3, reflected, as XZ and gzip use it).
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Offsets in `data` where a well-formed XZ stream header (12 bytes) starts.
pub fn stream_starts(data: &[u8]) -> Vec<usize> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(pos) = crate::parse::find(&data[from..], &XZ_MAGIC) {
        let at = from + pos;
        if let Some(header) = data.get(at..at + 12) {
            let flags = &header[6..8];
            let stored = u32::from_le_bytes([header[8], header[9], header[10], header[11]]);
            // Stream flags: first byte reserved (0), second byte the check type in the low nibble.
            if flags[0] == 0 && flags[1] & 0xf0 == 0 && crc32(flags) == stored {
                found.push(at);
            }
        }
        from = at + 1;
    }
    found
}

/// The first XZ stream of `image` that `decompress` turns into an ELF file, and its offset.
pub fn extract_elf(
    image: &[u8],
    mut decompress: impl FnMut(&[u8]) -> Result<Vec<u8>>,
) -> Result<(usize, Vec<u8>)> {
    let starts = stream_starts(image);
    if starts.is_empty() {
        bail!("no XZ stream in the kernel image (is it an XZ-compressed bzImage?)");
    }
    let mut last_error = None;
    for &at in &starts {
        match decompress(&image[at..]) {
            Ok(out) if out.starts_with(b"\x7fELF") => return Ok((at, out)),
            Ok(_) => last_error = Some(anyhow::anyhow!("the stream at {at} is not an ELF file")),
            Err(e) => last_error = Some(e.context(format!("decompressing the stream at {at}"))),
        }
    }
    Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no usable XZ stream")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real XZ stream header (CRC64 check), as `xz` writes it.
    const HEADER: [u8; 12] = [
        0xfd, b'7', b'z', b'X', b'Z', 0, 0, 4, 0xe6, 0xd6, 0xb4, 0x46,
    ];

    #[test]
    fn crc32_known_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(&[0, 4]), 0x46b4_d6e6);
        assert_eq!(crc32(b""), 0);
    }

    fn synthetic() -> Vec<u8> {
        let mut image = vec![0x90; 100]; // "setup code"
        image.extend_from_slice(&XZ_MAGIC); // a bare magic with bad flags: not a stream
        image.extend_from_slice(&[0, 4, 0, 0, 0, 0]);
        image.extend_from_slice(&[0xcc; 50]);
        image.extend_from_slice(&HEADER); // the real one at 162
        image.extend_from_slice(b"payload");
        image.extend_from_slice(&XZ_MAGIC[..4]); // truncated at the end
        image
    }

    #[test]
    fn finds_only_valid_headers() {
        assert_eq!(stream_starts(&synthetic()), vec![162]);
        assert_eq!(stream_starts(&HEADER), vec![0]);
        assert!(stream_starts(b"no stream here").is_empty());
        assert!(stream_starts(&HEADER[..11]).is_empty());
    }

    #[test]
    fn extracts_the_first_stream_that_decompresses_to_elf() {
        let mut image = synthetic();
        image.extend_from_slice(&HEADER); // a second valid stream at the end
        let second = image.len() - 12;
        let (at, elf) = extract_elf(&image, |stream| {
            assert!(stream.starts_with(&HEADER));
            if stream.len() > 12 {
                Ok(b"not elf".to_vec())
            } else {
                Ok(b"\x7fELF\x02".to_vec())
            }
        })
        .unwrap();
        assert_eq!((at, elf), (second, b"\x7fELF\x02".to_vec()));
        assert!(extract_elf(b"nothing", |_| Ok(Vec::new())).is_err());
        let err = extract_elf(&synthetic(), |_| bail!("corrupt")).unwrap_err();
        assert!(format!("{err:#}").contains("corrupt"), "{err:#}");
    }

    /// With the real `xz` tool (skipped where it is missing): a compressed ELF-looking payload
    /// behind setup bytes and followed by trailing data comes back whole.
    #[test]
    fn round_trip_with_the_xz_tool() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let run = |args: &[&str], input: &[u8]| -> Option<Vec<u8>> {
            let mut child = Command::new("xz")
                .args(args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok()?;
            let mut stdin = child.stdin.take()?;
            let input = input.to_vec();
            let feeder = std::thread::spawn(move || stdin.write_all(&input));
            let out = child.wait_with_output().ok()?;
            let _ = feeder.join();
            out.status.success().then_some(out.stdout)
        };
        let payload: Vec<u8> = b"\x7fELF"
            .iter()
            .copied()
            .chain((0..5000u32).map(|i| (i * 7 % 251) as u8))
            .collect();
        let Some(stream) = run(&["-c", "--check=crc32"], &payload) else {
            eprintln!("xz not installed: skipped");
            return;
        };
        let mut image = vec![0u8; 300];
        image.extend_from_slice(&stream);
        image.extend_from_slice(b"trailing data after the stream");
        let (at, elf) = extract_elf(&image, |s| {
            run(&["-dc", "--single-stream"], s).ok_or_else(|| anyhow::anyhow!("xz failed"))
        })
        .unwrap();
        assert_eq!(at, 300);
        assert_eq!(elf, payload);
    }
}
