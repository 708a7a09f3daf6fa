//! [`LoadError`]: every way [`crate::plan`] or [`crate::build_stack`] can refuse its input.
//!
//! Each variant carries the numbers needed to explain itself, and its `Display` is one line
//! meant for a human (the `elfin` CLI prints it as is). "Program header #i" counts from 0 in
//! file order, as `readelf -l` lists them.

use alloc::string::String;
use core::fmt;

/// Why an ELF file cannot be loaded, or why an initial stack cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// The file does not start with `\x7fELF`.
    NotElf,
    /// The file is shorter than the 64-byte ELF64 header.
    TruncatedHeader {
        /// Length of the whole file.
        len: usize,
    },
    /// `EI_CLASS` is not `ELFCLASS64`.
    UnsupportedClass(u8),
    /// `EI_DATA` is not `ELFDATA2LSB`.
    UnsupportedEndianness(u8),
    /// `e_machine` is not `EM_X86_64`.
    UnsupportedMachine(u16),
    /// `e_type` is neither `ET_EXEC` nor `ET_DYN`.
    UnsupportedType(u16),
    /// `e_phentsize` is not the size of an ELF64 program header (56).
    BadPhentsize(u16),
    /// More program headers than Linux accepts (their table may not exceed 64 KiB).
    TooManyProgramHeaders(u16),
    /// The program header table does not lie inside the file.
    ProgramHeadersOutOfFile {
        /// `e_phoff`.
        phoff: u64,
        /// `e_phnum`.
        phnum: u16,
        /// Length of the whole file.
        file_len: usize,
    },
    /// The binary asks for a dynamic linker (`PT_INTERP`); the string is the interpreter path.
    Interpreter(String),
    /// A `PT_INTERP` entry whose string lies outside the file.
    MalformedInterpreter {
        /// Program header index.
        index: usize,
    },
    /// There is no `PT_LOAD` entry at all.
    NoLoadSegments,
    /// A `PT_LOAD` has `p_filesz > p_memsz`.
    FileszExceedsMemsz {
        /// Program header index.
        index: usize,
        /// `p_filesz`.
        filesz: u64,
        /// `p_memsz`.
        memsz: u64,
    },
    /// A `PT_LOAD`'s file range `[p_offset, p_offset + p_filesz)` is not inside the file.
    SegmentOutOfFile {
        /// Program header index.
        index: usize,
        /// `p_offset`.
        offset: u64,
        /// `p_filesz`.
        filesz: u64,
        /// Length of the whole file.
        file_len: usize,
    },
    /// A segment's address computation (`bias + p_vaddr + p_memsz`, rounded to pages) overflows.
    AddressOverflow {
        /// Program header index.
        index: usize,
    },
    /// A segment reaches into the kernel half (`>= USER_ADDR_LIMIT`).
    KernelHalf {
        /// Program header index.
        index: usize,
        /// Page-rounded end address of the segment (biased).
        end: u64,
    },
    /// A segment starts below `MMAP_MIN_ADDR`.
    BelowMinAddr {
        /// Program header index.
        index: usize,
        /// Page-rounded start address of the segment (biased).
        vaddr: u64,
    },
    /// `p_offset` and `p_vaddr` are not congruent modulo the page size or `p_align`.
    Misaligned {
        /// Program header index.
        index: usize,
        /// `p_offset`.
        offset: u64,
        /// `p_vaddr` (unbiased).
        vaddr: u64,
        /// The alignment that is violated.
        align: u64,
    },
    /// `PT_LOAD` entries are not sorted by ascending `p_vaddr` (the ELF spec requires it).
    SegmentsUnsorted {
        /// Index of the first program header that starts below its predecessor.
        index: usize,
    },
    /// Two `PT_LOAD` segments overlap byte-wise in memory.
    SegmentsOverlap {
        /// Program header index of the lower segment.
        first: usize,
        /// Program header index of the higher segment.
        second: usize,
    },
    /// The sum of all `p_memsz` exceeds `MAX_TOTAL_MEMSZ`.
    TooLarge {
        /// The total (saturated at `u64::MAX`).
        total: u64,
    },
    /// The entry point is not inside a `PT_LOAD` with `PF_X`.
    EntryNotExecutable {
        /// Biased entry address.
        entry: u64,
    },
    /// The requested static-PIE base is not page aligned.
    BadPieBase(u64),
    /// The `PT_TLS` entry is inconsistent; the string says how.
    BadTls(&'static str),
    /// The `PT_PHDR` entry does not lie inside a loaded segment.
    BadPhdr,
    /// An argv/envp/execfn/platform string is longer than Linux's `MAX_ARG_STRLEN`.
    StringTooLong {
        /// Length of the string in bytes (without its NUL).
        len: usize,
    },
    /// An argv/envp/execfn/platform string contains a NUL byte.
    NulInString,
    /// The strings and tables do not fit in the initial-stack budget (Linux: `E2BIG`).
    ArgumentsTooLarge {
        /// Bytes the image would need (saturated at `u64::MAX`).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// `stack_top` is outside the user half or too low to hold the image.
    BadStackTop(u64),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotElf => f.write_str("not an ELF file (missing \\x7fELF magic)"),
            Self::TruncatedHeader { len } => write!(
                f,
                "truncated ELF header: the file has {len} bytes, an ELF64 header needs 64"
            ),
            Self::UnsupportedClass(c) => write!(
                f,
                "unsupported ELF class {c}: Elfin runs 64-bit (ELFCLASS64) binaries only"
            ),
            Self::UnsupportedEndianness(d) => write!(
                f,
                "unsupported ELF data encoding {d}: Elfin runs little-endian binaries only"
            ),
            Self::UnsupportedMachine(m) => write!(
                f,
                "unsupported ELF machine {m}: Elfin runs x86-64 (EM_X86_64 = 62) binaries only"
            ),
            Self::UnsupportedType(t) => write!(
                f,
                "unsupported ELF type {t}: expected an executable (ET_EXEC) or a static-PIE (ET_DYN)"
            ),
            Self::BadPhentsize(s) => write!(
                f,
                "bad program header entry size {s} (e_phentsize): ELF64 program headers are 56 bytes"
            ),
            Self::TooManyProgramHeaders(n) => write!(
                f,
                "too many program headers ({n}): the table may not exceed 64 KiB"
            ),
            Self::ProgramHeadersOutOfFile {
                phoff,
                phnum,
                file_len,
            } => write!(
                f,
                "program header table ({phnum} entries at offset {phoff:#x}) lies outside the {file_len}-byte file"
            ),
            Self::Interpreter(path) => write!(
                f,
                "dynamically linked (interpreter {path}): Elfin runs static binaries only for now"
            ),
            Self::MalformedInterpreter { index } => write!(
                f,
                "program header #{index} (PT_INTERP) points outside the file"
            ),
            Self::NoLoadSegments => f.write_str("no loadable (PT_LOAD) segment in the ELF file"),
            Self::FileszExceedsMemsz {
                index,
                filesz,
                memsz,
            } => write!(
                f,
                "program header #{index}: file size {filesz:#x} exceeds memory size {memsz:#x}"
            ),
            Self::SegmentOutOfFile {
                index,
                offset,
                filesz,
                file_len,
            } => write!(
                f,
                "program header #{index}: file range {offset:#x}+{filesz:#x} lies outside the {file_len}-byte file"
            ),
            Self::AddressOverflow { index } => write!(
                f,
                "program header #{index}: segment address range overflows 64 bits"
            ),
            Self::KernelHalf { index, end } => write!(
                f,
                "program header #{index}: segment ends at {end:#x}, inside the kernel half (>= {:#x})",
                crate::USER_ADDR_LIMIT
            ),
            Self::BelowMinAddr { index, vaddr } => write!(
                f,
                "program header #{index}: segment starts at {vaddr:#x}, below the minimum mappable address {:#x}",
                crate::MMAP_MIN_ADDR
            ),
            Self::Misaligned {
                index,
                offset,
                vaddr,
                align,
            } => write!(
                f,
                "program header #{index}: file offset {offset:#x} and address {vaddr:#x} differ modulo the alignment {align:#x}"
            ),
            Self::SegmentsUnsorted { index } => write!(
                f,
                "program header #{index}: PT_LOAD segments are not in ascending address order"
            ),
            Self::SegmentsOverlap { first, second } => write!(
                f,
                "program headers #{first} and #{second}: PT_LOAD segments overlap in memory"
            ),
            Self::TooLarge { total } => write!(
                f,
                "segments need {total:#x} bytes of memory in total, more than the {:#x}-byte limit",
                crate::MAX_TOTAL_MEMSZ
            ),
            Self::EntryNotExecutable { entry } => write!(
                f,
                "entry point {entry:#x} is not inside an executable PT_LOAD segment"
            ),
            Self::BadPieBase(base) => {
                write!(f, "static-PIE load base {base:#x} is not page aligned")
            }
            Self::BadTls(why) => write!(f, "bad PT_TLS segment: {why}"),
            Self::BadPhdr => f.write_str("PT_PHDR does not lie inside a loaded segment"),
            Self::StringTooLong { len } => write!(
                f,
                "argument or environment string of {len} bytes exceeds the {}-byte limit",
                crate::stack::MAX_ARG_STRLEN
            ),
            Self::NulInString => f.write_str("argument or environment string contains a NUL byte"),
            Self::ArgumentsTooLarge { size, limit } => write!(
                f,
                "argument list too long: the initial stack needs {size} bytes, the limit is {limit}"
            ),
            Self::BadStackTop(top) => write!(
                f,
                "stack top {top:#x} is outside the user address space or too low for the initial stack"
            ),
        }
    }
}

impl core::error::Error for LoadError {}
