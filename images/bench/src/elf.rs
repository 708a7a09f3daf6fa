//! How many bytes a kernel ELF loads: the file on disk may carry debug information (Elfin's
//! release profile keeps line tables), so the image-size rows also show the sum of the
//! `PT_LOAD` segments, which is what the VM receives.

/// Sums of `p_filesz` and `p_memsz` over the `PT_LOAD` segments of a little-endian ELF64
/// file; `None` when `data` is not one or its program headers run past the end.
pub fn load_sizes(data: &[u8]) -> Option<(u64, u64)> {
    if data.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let u16_at = |at: usize| Some(u16::from_le_bytes(data.get(at..at + 2)?.try_into().ok()?));
    let u32_at = |at: usize| Some(u32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?));
    let u64_at = |at: usize| Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?));
    let phoff = usize::try_from(u64_at(0x20)?).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    if phentsize < 0x38 {
        return None;
    }
    let (mut file, mut mem) = (0u64, 0u64);
    for i in 0..phnum {
        let ph = phoff.checked_add(i.checked_mul(phentsize)?)?;
        if u32_at(ph)? == 1 {
            file = file.checked_add(u64_at(ph + 0x20)?)?;
            mem = mem.checked_add(u64_at(ph + 0x28)?)?;
        }
    }
    Some((file, mem))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ELF64 header with `phdrs` (type, filesz, memsz) right after it.
    fn elf(phdrs: &[(u32, u64, u64)]) -> Vec<u8> {
        let mut data = vec![0u8; 64];
        data[..6].copy_from_slice(b"\x7fELF\x02\x01");
        data[0x20..0x28].copy_from_slice(&64u64.to_le_bytes());
        data[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        data[0x38..0x3a].copy_from_slice(&(phdrs.len() as u16).to_le_bytes());
        for &(kind, filesz, memsz) in phdrs {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&kind.to_le_bytes());
            ph[0x20..0x28].copy_from_slice(&filesz.to_le_bytes());
            ph[0x28..0x30].copy_from_slice(&memsz.to_le_bytes());
            data.extend_from_slice(&ph);
        }
        data
    }

    #[test]
    fn sums_load_segments_only() {
        let data = elf(&[(1, 100, 200), (4, 20, 20), (1, 1000, 5000)]);
        assert_eq!(load_sizes(&data), Some((1100, 5200)));
        assert_eq!(load_sizes(&elf(&[])), Some((0, 0)));
    }

    #[test]
    fn rejects_non_elf_and_truncated() {
        assert_eq!(load_sizes(b"not an elf"), None);
        let data = elf(&[(1, 1, 1)]);
        assert_eq!(load_sizes(&data[..100]), None);
        let mut elf32 = data.clone();
        elf32[4] = 1;
        assert_eq!(load_sizes(&elf32), None);
    }
}
