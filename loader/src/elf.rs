//! ELF bytes -> [`LoadPlan`]: what the kernel must map to start a static x86-64 Linux binary.
//!
//! [`plan`] accepts ELFCLASS64 little-endian `EM_X86_64` files of type `ET_EXEC` (classic
//! static binaries) and `ET_DYN` without `PT_INTERP` (static-PIE). Dynamically linked binaries
//! are refused with [`LoadError::Interpreter`] naming their interpreter.
//!
//! goblin decodes the ELF header and the program header table; everything goblin does not
//! check and Linux's `load_elf_binary` relies on (file bounds, address ranges, alignment,
//! overlap, the entry point) is validated here with checked arithmetic, so any byte string
//! yields either a plan or a [`LoadError`], never a panic.
//!
//! Page sharing: linkers may end one `PT_LOAD` and start the next inside the same page (e.g.
//! `ld -z noseparate-code`, or lld's layouts). Byte ranges never overlap (that is an error), but
//! the kernel's mapper must be ready to merge one page from two neighbouring [`Segment`]s: the
//! page gets the union of their protections and both file ranges copied in.

use alloc::string::String;
use alloc::vec::Vec;

use goblin::container::Endian;
use goblin::elf::header::{
    EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB, ELFMAG, EM_X86_64, ET_DYN, ET_EXEC, SELFMAG,
    SIZEOF_IDENT,
};
use goblin::elf::program_header::{
    PF_R, PF_W, PF_X, PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR, PT_TLS,
};
use goblin::elf64::header::{Header, SIZEOF_EHDR};
use goblin::elf64::program_header::{ProgramHeader, SIZEOF_PHDR};

use crate::error::LoadError;
use crate::{MAX_TOTAL_MEMSZ, MMAP_MIN_ADDR, PAGE_SIZE, USER_ADDR_LIMIT, page_ceil, page_floor};

/// Linux refuses program header tables larger than this (`load_elf_phdrs`: 64 KiB).
const MAX_PHDR_TABLE_BYTES: usize = 64 * 1024;

/// Longest `PT_INTERP` string we are willing to quote (Linux: `PATH_MAX`).
const MAX_INTERP_LEN: u64 = 4096;

/// What kind of executable the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfKind {
    /// `ET_EXEC`: linked at fixed addresses, loaded with bias 0.
    Exec,
    /// `ET_DYN` without `PT_INTERP`: a static-PIE, loaded at the caller's `pie_base`.
    StaticPie,
}

/// Memory protection of a segment (from `PF_R`, `PF_W`, `PF_X`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prot {
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub exec: bool,
}

impl Prot {
    fn from_flags(p_flags: u32) -> Self {
        Self {
            read: p_flags & PF_R != 0,
            write: p_flags & PF_W != 0,
            exec: p_flags & PF_X != 0,
        }
    }
}

/// One `PT_LOAD` segment, with addresses already biased.
///
/// Linux `mmap`s each segment from the file at page granularity, and the kernel should give
/// the same result: pages `[page_start(), page_end())` hold the file bytes from
/// `page_floor(file_offset)` up to `file_offset + filesz` (the file is page-congruent:
/// `file_offset - vaddr` is a multiple of [`PAGE_SIZE`], so the bytes below `vaddr` in the
/// first page are file bytes too; `AT_PHDR` may point there), then zeros up to `page_end()`
/// (the `.bss`). `memsz` may be 0 (nothing to map).
///
/// Two neighbouring segments may share one page (never bytes). Linux maps the later segment
/// over that page; giving the page the union of both protections and filling it in segment
/// order (later file bytes win, as with Linux) is a safe equivalent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Biased start address, exact (not page aligned).
    pub vaddr: u64,
    /// Size in memory (`p_memsz`).
    pub memsz: u64,
    /// Offset of the segment's bytes in the file (`p_offset`).
    pub file_offset: u64,
    /// Number of bytes that come from the file (`p_filesz`, at most `memsz`).
    pub filesz: u64,
    /// Protection from `p_flags`.
    pub prot: Prot,
}

impl Segment {
    /// End of the segment in memory (`vaddr + memsz`, exclusive).
    #[must_use]
    pub fn end(&self) -> u64 {
        self.vaddr.saturating_add(self.memsz)
    }

    /// First page of the segment.
    #[must_use]
    pub fn page_start(&self) -> u64 {
        page_floor(self.vaddr)
    }

    /// End of the segment's last page (exclusive, page aligned).
    #[must_use]
    pub fn page_end(&self) -> u64 {
        page_ceil(self.end()).unwrap_or(page_floor(u64::MAX))
    }
}

/// The `PT_TLS` template (biased). The C library copies it into each thread's TLS block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls {
    /// Biased address of the initialisation image (`.tdata`).
    pub vaddr: u64,
    /// Size of the initialisation image.
    pub filesz: u64,
    /// Size of the whole TLS block (`.tdata` + `.tbss`).
    pub memsz: u64,
    /// Required alignment (`p_align`: 0 or a power of two).
    pub align: u64,
}

/// Everything the kernel needs to map a static executable and start it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadPlan {
    /// `ET_EXEC` or static-PIE.
    pub kind: ElfKind,
    /// Added (modulo 2^64) to every link-time address: 0 for `ET_EXEC`; for static-PIE
    /// `pie_base - page_floor(lowest p_vaddr)`, i.e. `pie_base` for the usual files linked at 0.
    pub bias: u64,
    /// Biased entry point; always inside an executable segment.
    pub entry: u64,
    /// `PT_LOAD` segments in file order (which is ascending address order), validated.
    pub segments: Vec<Segment>,
    /// Biased address of the program headers in memory (`AT_PHDR`): from `PT_PHDR`, else
    /// computed from the `PT_LOAD` whose (page-granular) file mapping covers the table;
    /// 0 if they are not mapped.
    pub phdr: u64,
    /// Size of one program header (`AT_PHENT`).
    pub phent: u16,
    /// Number of program headers (`AT_PHNUM`).
    pub phnum: u16,
    /// The `PT_TLS` template, if any.
    pub tls: Option<Tls>,
    /// Whether the stack should be executable: the last `PT_GNU_STACK` has `PF_X`, or there
    /// is no `PT_GNU_STACK` at all. The latter is the permissive legacy answer (Linux before
    /// 5.8; since then x86-64 Linux keeps a 64-bit binary's stack non-executable even then).
    pub exec_stack: bool,
    /// Page-aligned end of the highest segment (biased): where `brk` starts.
    pub brk_start: u64,
}

/// Maps link-time addresses to load addresses: `addr - from + to`, checked.
#[derive(Clone, Copy)]
struct Relocation {
    from: u64,
    to: u64,
}

impl Relocation {
    fn apply(self, addr: u64) -> Option<u64> {
        addr.checked_sub(self.from)?.checked_add(self.to)
    }
}

/// Validates `elf` and returns its [`LoadPlan`].
///
/// `pie_base` is where the lowest page of a static-PIE goes (it must be page aligned); it is
/// ignored for `ET_EXEC` files.
///
/// # Errors
///
/// A [`LoadError`] describing the first problem found: not a 64-bit little-endian x86-64 ELF
/// executable, dynamically linked, or any inconsistency in its program headers.
pub fn plan(elf: &[u8], pie_base: u64) -> Result<LoadPlan, LoadError> {
    let header = parse_header(elf)?;
    let kind = match header.e_type {
        ET_EXEC => ElfKind::Exec,
        ET_DYN => ElfKind::StaticPie,
        other => return Err(LoadError::UnsupportedType(other)),
    };
    let phdrs = parse_program_headers(elf, &header)?;

    // A dynamic binary is the most likely "error": say so before nitpicking its segments.
    if let Some((index, interp)) = phdrs
        .iter()
        .enumerate()
        .find(|(_, ph)| ph.p_type == PT_INTERP)
    {
        return Err(interpreter_error(elf, index, interp));
    }

    let loads: Vec<(usize, &ProgramHeader)> = phdrs
        .iter()
        .enumerate()
        .filter(|(_, ph)| ph.p_type == PT_LOAD)
        .collect();
    let lowest_vaddr = loads
        .iter()
        .map(|(_, ph)| ph.p_vaddr)
        .min()
        .ok_or(LoadError::NoLoadSegments)?;

    let relocation = match kind {
        ElfKind::Exec => Relocation { from: 0, to: 0 },
        ElfKind::StaticPie => {
            if !pie_base.is_multiple_of(PAGE_SIZE) {
                return Err(LoadError::BadPieBase(pie_base));
            }
            Relocation {
                from: page_floor(lowest_vaddr),
                to: pie_base,
            }
        }
    };
    let bias = relocation.to.wrapping_sub(relocation.from);

    let segments = validate_segments(elf.len(), &loads, relocation)?;

    let entry = relocation
        .apply(header.e_entry)
        .ok_or(LoadError::EntryNotExecutable {
            entry: header.e_entry,
        })?;
    if !segments
        .iter()
        .any(|s| s.prot.exec && s.vaddr <= entry && entry < s.end())
    {
        return Err(LoadError::EntryNotExecutable { entry });
    }

    let tls = match phdrs.iter().find(|ph| ph.p_type == PT_TLS) {
        Some(ph) => Some(validate_tls(ph, relocation, &segments)?),
        None => None,
    };

    let phdr = program_headers_address(&header, &phdrs, &loads, relocation, &segments)?;

    // Like Linux, the last PT_GNU_STACK wins; without one, answer permissively.
    let exec_stack = phdrs
        .iter()
        .rev()
        .find(|ph| ph.p_type == PT_GNU_STACK)
        .is_none_or(|ph| ph.p_flags & PF_X != 0);

    // Every segment's page end was checked to be <= USER_ADDR_LIMIT, so this cannot fail.
    let brk_start = segments
        .iter()
        .map(Segment::page_end)
        .max()
        .ok_or(LoadError::NoLoadSegments)?;

    Ok(LoadPlan {
        kind,
        bias,
        entry,
        segments,
        phdr,
        phent: header.e_phentsize,
        phnum: header.e_phnum,
        tls,
        exec_stack,
        brk_start,
    })
}

/// Checks the identification bytes and decodes the ELF64 header.
fn parse_header(elf: &[u8]) -> Result<Header, LoadError> {
    if elf.get(..SELFMAG) != Some(ELFMAG.as_slice()) {
        return Err(LoadError::NotElf);
    }
    let ident = elf
        .get(..SIZEOF_IDENT)
        .ok_or(LoadError::TruncatedHeader { len: elf.len() })?;
    let class = ident.get(EI_CLASS).copied().unwrap_or_default();
    if class != ELFCLASS64 {
        return Err(LoadError::UnsupportedClass(class));
    }
    let data = ident.get(EI_DATA).copied().unwrap_or_default();
    if data != ELFDATA2LSB {
        return Err(LoadError::UnsupportedEndianness(data));
    }
    if elf.len() < SIZEOF_EHDR {
        return Err(LoadError::TruncatedHeader { len: elf.len() });
    }
    let header = Header::parse(elf).map_err(|_| LoadError::TruncatedHeader { len: elf.len() })?;
    if header.e_machine != EM_X86_64 {
        return Err(LoadError::UnsupportedMachine(header.e_machine));
    }
    Ok(header)
}

/// Bounds-checks and decodes the program header table.
fn parse_program_headers(elf: &[u8], header: &Header) -> Result<Vec<ProgramHeader>, LoadError> {
    if usize::from(header.e_phentsize) != SIZEOF_PHDR {
        return Err(LoadError::BadPhentsize(header.e_phentsize));
    }
    let count = usize::from(header.e_phnum);
    let table_len = count
        .checked_mul(SIZEOF_PHDR)
        .filter(|&len| len <= MAX_PHDR_TABLE_BYTES)
        .ok_or(LoadError::TooManyProgramHeaders(header.e_phnum))?;
    let out_of_file = LoadError::ProgramHeadersOutOfFile {
        phoff: header.e_phoff,
        phnum: header.e_phnum,
        file_len: elf.len(),
    };
    let start = usize::try_from(header.e_phoff).map_err(|_| out_of_file.clone())?;
    match start.checked_add(table_len) {
        Some(end) if end <= elf.len() => {}
        _ => return Err(out_of_file),
    }
    ProgramHeader::parse(elf, start, count, Endian::Little).map_err(|_| out_of_file)
}

/// Builds the [`LoadError::Interpreter`] for a `PT_INTERP` entry (or says it is malformed).
fn interpreter_error(elf: &[u8], index: usize, ph: &ProgramHeader) -> LoadError {
    let malformed = LoadError::MalformedInterpreter { index };
    if ph.p_filesz == 0 || ph.p_filesz > MAX_INTERP_LEN {
        return malformed;
    }
    let Some(bytes) = file_range(elf, ph.p_offset, ph.p_filesz) else {
        return malformed;
    };
    let path = bytes.split(|&b| b == 0).next().unwrap_or_default();
    // Keep the message on one line whatever the file contains.
    let mut name = String::new();
    for c in String::from_utf8_lossy(path).chars() {
        if c.is_control() {
            name.extend(c.escape_default());
        } else {
            name.push(c);
        }
    }
    LoadError::Interpreter(name)
}

/// `elf[offset..offset + len]`, or `None` if that is not inside the file.
fn file_range(elf: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    elf.get(start..end)
}

/// Validates every `PT_LOAD` and converts it to a biased [`Segment`], in file order.
fn validate_segments(
    file_len: usize,
    loads: &[(usize, &ProgramHeader)],
    relocation: Relocation,
) -> Result<Vec<Segment>, LoadError> {
    let mut segments = Vec::with_capacity(loads.len());
    let mut total_memsz: u64 = 0;
    // (program header index, start, end) of the previous non-empty segment.
    let mut previous: Option<(usize, u64, u64)> = None;

    for &(index, ph) in loads {
        if ph.p_filesz > ph.p_memsz {
            return Err(LoadError::FileszExceedsMemsz {
                index,
                filesz: ph.p_filesz,
                memsz: ph.p_memsz,
            });
        }
        total_memsz = total_memsz.saturating_add(ph.p_memsz);
        if total_memsz > MAX_TOTAL_MEMSZ {
            return Err(LoadError::TooLarge { total: total_memsz });
        }
        // A segment with nothing from the file reads nothing, wherever p_offset points.
        if ph.p_filesz > 0 {
            let in_file = ph
                .p_offset
                .checked_add(ph.p_filesz)
                .is_some_and(|end| end <= file_len as u64);
            if !in_file {
                return Err(LoadError::SegmentOutOfFile {
                    index,
                    offset: ph.p_offset,
                    filesz: ph.p_filesz,
                    file_len,
                });
            }
        }
        check_alignment(index, ph)?;

        let overflow = LoadError::AddressOverflow { index };
        let start = relocation.apply(ph.p_vaddr).ok_or(overflow.clone())?;
        let end = start.checked_add(ph.p_memsz).ok_or(overflow.clone())?;
        let end_page = page_ceil(end).ok_or(overflow)?;
        if page_floor(start) < MMAP_MIN_ADDR {
            return Err(LoadError::BelowMinAddr {
                index,
                vaddr: page_floor(start),
            });
        }
        if end_page > USER_ADDR_LIMIT {
            return Err(LoadError::KernelHalf {
                index,
                end: end_page,
            });
        }

        if ph.p_memsz > 0 {
            if let Some((previous_index, previous_start, previous_end)) = previous {
                if start < previous_start {
                    return Err(LoadError::SegmentsUnsorted { index });
                }
                // Sharing a page with the previous segment is fine; sharing bytes is not.
                if start < previous_end {
                    return Err(LoadError::SegmentsOverlap {
                        first: previous_index,
                        second: index,
                    });
                }
            }
            previous = Some((index, start, end));
        }

        segments.push(Segment {
            vaddr: start,
            memsz: ph.p_memsz,
            file_offset: ph.p_offset,
            filesz: ph.p_filesz,
            prot: Prot::from_flags(ph.p_flags),
        });
    }
    Ok(segments)
}

/// `p_offset` and `p_vaddr` must agree modulo the page size (so the file can be mapped), and
/// modulo `p_align` when that is a larger power of two (the ELF spec's requirement).
fn check_alignment(index: usize, ph: &ProgramHeader) -> Result<(), LoadError> {
    // Wrapping difference: congruence modulo a power of two survives the wrap.
    let skew = ph.p_offset.wrapping_sub(ph.p_vaddr);
    let mut align = PAGE_SIZE;
    if ph.p_align > PAGE_SIZE && ph.p_align.is_power_of_two() {
        align = ph.p_align;
    }
    // Report the page size when that is what fails: it is the requirement that matters.
    for a in [PAGE_SIZE, align] {
        if !skew.is_multiple_of(a) {
            return Err(LoadError::Misaligned {
                index,
                offset: ph.p_offset,
                vaddr: ph.p_vaddr,
                align: a,
            });
        }
    }
    Ok(())
}

/// Validates `PT_TLS`: sane sizes and alignment, its image inside a loaded segment.
fn validate_tls(
    ph: &ProgramHeader,
    relocation: Relocation,
    segments: &[Segment],
) -> Result<Tls, LoadError> {
    if ph.p_filesz > ph.p_memsz {
        return Err(LoadError::BadTls("file size exceeds memory size"));
    }
    if ph.p_align > 1 && !ph.p_align.is_power_of_two() {
        return Err(LoadError::BadTls("alignment is not a power of two"));
    }
    if ph.p_memsz > MAX_TOTAL_MEMSZ {
        return Err(LoadError::BadTls("absurd size"));
    }
    let vaddr = relocation
        .apply(ph.p_vaddr)
        .ok_or(LoadError::BadTls("address out of range"))?;
    let image_end = vaddr
        .checked_add(ph.p_filesz)
        .ok_or(LoadError::BadTls("address out of range"))?;
    // The C library copies the image from memory: it must be file-backed in some segment.
    if ph.p_filesz > 0
        && !segments.iter().any(|s| {
            s.vaddr <= vaddr
                && s.vaddr
                    .checked_add(s.filesz)
                    .is_some_and(|e| image_end <= e)
        })
    {
        return Err(LoadError::BadTls(
            "initialisation image is not inside a loaded segment",
        ));
    }
    Ok(Tls {
        vaddr,
        filesz: ph.p_filesz,
        memsz: ph.p_memsz,
        align: ph.p_align,
    })
}

/// The biased address of the program header table in memory, for `AT_PHDR`.
fn program_headers_address(
    header: &Header,
    phdrs: &[ProgramHeader],
    loads: &[(usize, &ProgramHeader)],
    relocation: Relocation,
    segments: &[Segment],
) -> Result<u64, LoadError> {
    if let Some(ph) = phdrs.iter().find(|ph| ph.p_type == PT_PHDR) {
        let start = relocation.apply(ph.p_vaddr).ok_or(LoadError::BadPhdr)?;
        let end = start.checked_add(ph.p_memsz).ok_or(LoadError::BadPhdr)?;
        if segments.iter().any(|s| s.vaddr <= start && end <= s.end()) {
            return Ok(start);
        }
        return Err(LoadError::BadPhdr);
    }
    // Otherwise find the PT_LOAD whose mapping holds the table. A segment's mapping starts at
    // its page boundary (file offset page_floor(p_offset) at page_floor(p_vaddr)), as with
    // Linux's mmap, so this also finds tables just below p_offset (`ld -N` output).
    // The table's size was bounds-checked against the file, so these products fit.
    let table_len = u64::from(header.e_phnum) * SIZEOF_PHDR as u64;
    let table_end = header.e_phoff.saturating_add(table_len);
    let covering = loads.iter().find(|(_, ph)| {
        ph.p_filesz > 0
            && page_floor(ph.p_offset) <= header.e_phoff
            && ph
                .p_offset
                .checked_add(ph.p_filesz)
                .is_some_and(|end| table_end <= end)
    });
    Ok(covering
        .and_then(|(_, ph)| {
            let vaddr =
                page_floor(ph.p_vaddr).checked_add(header.e_phoff - page_floor(ph.p_offset))?;
            relocation.apply(vaddr)
        })
        .unwrap_or(0))
}
