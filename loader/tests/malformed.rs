//! `plan` on malformed input: each case is a specific [`LoadError`], never a panic. Inputs are
//! mutated real binaries or hand-made minimal ELF files (`common::MiniElf`).

mod common;

use common::*;
use elfin_loader::{ElfKind, LoadError, MAX_TOTAL_MEMSZ, USER_ADDR_LIMIT, plan};

const BASE: u64 = 0x5555_5555_4000;

fn plan_mutated(
    elf: &[u8],
    mutate: impl FnOnce(&mut Vec<u8>),
) -> Result<elfin_loader::LoadPlan, LoadError> {
    let mut bytes = elf.to_vec();
    mutate(&mut bytes);
    plan(&bytes, BASE)
}

fn mini(build: impl FnOnce(&mut MiniElf)) -> Result<elfin_loader::LoadPlan, LoadError> {
    let mut elf = MiniElf::exec();
    build(&mut elf);
    plan(&elf.bytes(), BASE)
}

#[test]
fn mini_elf_baseline_is_valid() {
    let plan = mini(|_| {}).expect("the hand-made ELF is valid");
    assert_eq!(plan.kind, ElfKind::Exec);
    assert_eq!(plan.entry, 0x400100);
    assert_eq!(plan.phdr, 0x400040);
    assert_eq!(plan.brk_start, 0x403000);
    assert_eq!(plan.segments.len(), 2);
    assert!(plan.exec_stack, "no PT_GNU_STACK: executable stack");
    assert_eq!(plan.tls, None);
}

#[test]
fn empty_and_tiny_files() {
    assert_eq!(plan(&[], BASE), Err(LoadError::NotElf));
    assert_eq!(plan(b"\x7fEL", BASE), Err(LoadError::NotElf));
    assert_eq!(
        plan(b"\x7fELF", BASE),
        Err(LoadError::TruncatedHeader { len: 4 })
    );
}

#[test]
fn truncated_header() {
    let elf = musl_static();
    for len in [10, 16, 40, 63] {
        let err = plan(&elf[..len], BASE).unwrap_err();
        assert_eq!(err, LoadError::TruncatedHeader { len }, "len {len}");
    }
}

#[test]
fn bad_magic() {
    let err = plan_mutated(musl_static(), |b| b[1] = b'X').unwrap_err();
    assert_eq!(err, LoadError::NotElf);
    assert_eq!(plan(b"#!/bin/sh\necho hi\n", BASE), Err(LoadError::NotElf));
}

#[test]
fn elf32_is_refused() {
    let err = plan_mutated(musl_static(), |b| b[4] = 1).unwrap_err();
    assert_eq!(err, LoadError::UnsupportedClass(1));
    assert!(err.to_string().contains("64-bit"));
    let err = plan_mutated(musl_static(), |b| b[4] = 7).unwrap_err();
    assert_eq!(err, LoadError::UnsupportedClass(7));
}

#[test]
fn big_endian_is_refused() {
    let err = plan_mutated(musl_static(), |b| b[5] = 2).unwrap_err();
    assert_eq!(err, LoadError::UnsupportedEndianness(2));
}

#[test]
fn wrong_machine_is_refused() {
    let err = plan_mutated(musl_static(), |b| put_u16(b, E_MACHINE, 183)).unwrap_err();
    assert_eq!(err, LoadError::UnsupportedMachine(183)); // EM_AARCH64
    let err = plan_mutated(musl_static(), |b| put_u16(b, E_MACHINE, 3)).unwrap_err();
    assert_eq!(err, LoadError::UnsupportedMachine(3)); // EM_386
}

#[test]
fn wrong_type_is_refused() {
    for t in [0, 1, 4, 0xfe00] {
        let err = plan_mutated(musl_static(), |b| put_u16(b, E_TYPE, t)).unwrap_err();
        assert_eq!(err, LoadError::UnsupportedType(t));
    }
}

#[test]
fn wrong_phentsize() {
    for size in [0, 32, 55, 57, 64] {
        let err = plan_mutated(musl_static(), |b| put_u16(b, E_PHENTSIZE, size)).unwrap_err();
        assert_eq!(err, LoadError::BadPhentsize(size));
    }
}

#[test]
fn truncated_in_program_headers() {
    let elf = musl_static();
    let phnum = u16_at(elf, E_PHNUM);
    for len in [
        64,
        64 + 56,
        64 + 56 * 2 + 7,
        64 + 56 * usize::from(phnum) - 1,
    ] {
        let err = plan(&elf[..len], BASE).unwrap_err();
        assert!(
            matches!(err, LoadError::ProgramHeadersOutOfFile { file_len, phnum: n, .. } if file_len == len && n == phnum),
            "len {len}: {err:?}"
        );
    }
}

#[test]
fn phoff_beyond_file() {
    let elf = musl_static();
    let err = plan_mutated(elf, |b| put_u64(b, E_PHOFF, elf.len() as u64 + 8)).unwrap_err();
    assert!(
        matches!(err, LoadError::ProgramHeadersOutOfFile { .. }),
        "{err:?}"
    );
    let err = plan_mutated(elf, |b| put_u64(b, E_PHOFF, 1 << 62)).unwrap_err();
    assert!(
        matches!(err, LoadError::ProgramHeadersOutOfFile { .. }),
        "{err:?}"
    );
}

#[test]
fn phoff_plus_table_overflows() {
    for phoff in [u64::MAX, u64::MAX - 10, u64::MAX - 56 * 3] {
        let err = plan_mutated(musl_static(), |b| put_u64(b, E_PHOFF, phoff)).unwrap_err();
        assert!(
            matches!(err, LoadError::ProgramHeadersOutOfFile { phoff: p, .. } if p == phoff),
            "{err:?}"
        );
    }
}

#[test]
fn too_many_program_headers() {
    let err = plan_mutated(musl_static(), |b| put_u16(b, E_PHNUM, 0xffff)).unwrap_err();
    assert_eq!(err, LoadError::TooManyProgramHeaders(0xffff));
}

#[test]
fn no_load_segment() {
    let err = plan_mutated(musl_static(), |b| put_u16(b, E_PHNUM, 0)).unwrap_err();
    assert_eq!(err, LoadError::NoLoadSegments);
    let err = plan_mutated(musl_static(), |b| {
        for i in 0..usize::from(u16_at(b, E_PHNUM)) {
            let o = phdr_offset(b, i);
            if u32_at(b, o + P_TYPE) == PT_LOAD {
                put_u32(b, o + P_TYPE, 0); // PT_NULL
            }
        }
    })
    .unwrap_err();
    assert_eq!(err, LoadError::NoLoadSegments);
}

#[test]
fn filesz_greater_than_memsz() {
    let elf = musl_static();
    let i = nth_of_type(elf, PT_LOAD, 3);
    let err = plan_mutated(elf, |b| {
        let o = phdr_offset(b, i);
        let memsz = u64_at(b, o + P_MEMSZ);
        put_u64(b, o + P_FILESZ, memsz + 1);
    })
    .unwrap_err();
    assert!(
        matches!(err, LoadError::FileszExceedsMemsz { index, .. } if index == i),
        "{err:?}"
    );
}

#[test]
fn segment_beyond_file() {
    let elf = musl_static();
    let i = nth_of_type(elf, PT_LOAD, 1);
    let len = elf.len() as u64;
    // Offset past the end (keeping page congruence so that is the only problem).
    let err = plan_mutated(elf, |b| {
        let o = phdr_offset(b, i);
        let off = u64_at(b, o + P_OFFSET);
        put_u64(b, o + P_OFFSET, off + 0x100_0000);
        let vaddr = u64_at(b, o + P_VADDR);
        put_u64(b, o + P_VADDR, vaddr + 0x100_0000);
    });
    assert!(
        matches!(err, Err(LoadError::SegmentOutOfFile { index, file_len, .. }) if index == i && file_len as u64 == len),
        "{err:?}"
    );
    // A file range that ends one byte past the end.
    let err = mini(|e| e.phdrs[1].filesz = 0x101);
    assert!(
        matches!(err, Err(LoadError::SegmentOutOfFile { index: 1, .. })),
        "{err:?}"
    );
    // p_offset + p_filesz overflowing.
    let err = mini(|e| {
        e.phdrs[1].offset = u64::MAX - 0xfff;
        e.phdrs[1].vaddr = 0x401000;
    });
    assert!(
        matches!(err, Err(LoadError::SegmentOutOfFile { index: 1, .. })),
        "{err:?}"
    );
}

#[test]
fn bss_only_segment_may_point_past_the_file() {
    // Nothing is read from the file when p_filesz is 0.
    let plan = mini(|e| {
        e.phdrs[1].offset = 0x10_0000;
        e.phdrs[1].vaddr = 0x501000;
        e.phdrs[1].filesz = 0;
    })
    .expect("bss-only segment");
    assert_eq!(plan.brk_start, 0x503000);
}

#[test]
fn overlapping_segments() {
    // The data segment starts inside the text segment's bytes.
    let err = mini(|e| {
        e.phdrs[1].vaddr = 0x400ff0;
        e.phdrs[1].offset = 0xff0;
    });
    assert_eq!(
        err,
        Err(LoadError::SegmentsOverlap {
            first: 0,
            second: 1
        })
    );
    // Same start.
    let err = mini(|e| {
        e.phdrs[1].vaddr = 0x400000;
        e.phdrs[1].offset = 0;
    });
    assert_eq!(
        err,
        Err(LoadError::SegmentsOverlap {
            first: 0,
            second: 1
        })
    );
    // A real binary whose rodata segment is grown into its data segment.
    let elf = musl_static();
    let rodata = nth_of_type(elf, PT_LOAD, 2);
    let data = nth_of_type(elf, PT_LOAD, 3);
    let err = plan_mutated(elf, |b| {
        let data_vaddr = u64_at(b, phdr_offset(b, data) + P_VADDR);
        let o = phdr_offset(b, rodata);
        let rodata_vaddr = u64_at(b, o + P_VADDR);
        put_u64(b, o + P_MEMSZ, data_vaddr - rodata_vaddr + 0x10);
    })
    .unwrap_err();
    assert_eq!(
        err,
        LoadError::SegmentsOverlap {
            first: rodata,
            second: data
        }
    );
}

#[test]
fn unsorted_segments() {
    let err = mini(|e| e.phdrs.swap(0, 1));
    assert_eq!(err, Err(LoadError::SegmentsUnsorted { index: 1 }));
}

#[test]
fn shared_boundary_pages_are_allowed() {
    // Text ends mid-page and data starts later in the same page, as `ld -N`-style or
    // hand-tuned layouts do; a third small segment lives in that page too.
    let plan = mini(|e| {
        e.phdrs = vec![
            Phdr::load(PF_R | PF_X, 0, 0x400000, 0x800, 0x800),
            Phdr::load(PF_R, 0x900, 0x400900, 0x100, 0x100),
            Phdr::load(PF_R | PF_W, 0xa00, 0x400a00, 0x100, 0x3000),
        ];
        e.file_len = 0xb00;
    })
    .expect("segments sharing pages but not bytes");
    assert_eq!(plan.segments.len(), 3);
    assert_eq!(plan.segments[1].page_start(), plan.segments[0].page_start());
    assert_eq!(plan.brk_start, 0x404000);
    // Touching exactly (end == next start) is fine too.
    assert!(
        mini(|e| {
            e.phdrs[0].filesz = 0x800;
            e.phdrs[0].memsz = 0x800;
            e.phdrs[1].vaddr = 0x400800;
            e.phdrs[1].offset = 0x800;
        })
        .is_ok()
    );
}

#[test]
fn address_overflow() {
    let err = mini(|e| {
        e.phdrs[1].vaddr = u64::MAX - 0xfff;
        e.phdrs[1].offset = 0x1000;
    });
    assert_eq!(err, Err(LoadError::AddressOverflow { index: 1 }));
    // Overflow only when rounding the end up to a page.
    let err = mini(|e| {
        e.phdrs[1].vaddr = u64::MAX - 0x1fff;
        e.phdrs[1].offset = 0x1000;
        e.phdrs[1].memsz = 0x1ffe;
    });
    assert_eq!(err, Err(LoadError::AddressOverflow { index: 1 }));
}

#[test]
fn segment_in_kernel_half() {
    let err = mini(|e| {
        e.phdrs[1].vaddr = 0xffff_8000_0000_1000;
        e.phdrs[1].offset = 0x1000;
    });
    assert!(
        matches!(err, Err(LoadError::KernelHalf { index: 1, .. })),
        "{err:?}"
    );
    // Straddling the boundary.
    let err = mini(|e| {
        e.phdrs[1].vaddr = USER_ADDR_LIMIT - 0x1000;
        e.phdrs[1].offset = 0x1000;
    });
    assert_eq!(
        err,
        Err(LoadError::KernelHalf {
            index: 1,
            end: USER_ADDR_LIMIT + 0x1000
        })
    );
    // Ending exactly at the boundary is still user space.
    assert!(
        mini(|e| {
            e.phdrs[1].vaddr = USER_ADDR_LIMIT - 0x2000;
            e.phdrs[1].offset = 0x1000;
        })
        .is_ok()
    );
}

#[test]
fn segment_below_mmap_min_addr() {
    let err = mini(|e| {
        e.phdrs[0].vaddr = 0x1000;
        e.entry = 0x1100;
    });
    assert_eq!(
        err,
        Err(LoadError::BelowMinAddr {
            index: 0,
            vaddr: 0x1000
        })
    );
    let err = mini(|e| {
        e.phdrs[0].vaddr = 0;
        e.entry = 0x100;
    });
    assert_eq!(err, Err(LoadError::BelowMinAddr { index: 0, vaddr: 0 }));
}

#[test]
fn misaligned_offset_and_vaddr() {
    let err = mini(|e| e.phdrs[1].vaddr = 0x401010);
    assert_eq!(
        err,
        Err(LoadError::Misaligned {
            index: 1,
            offset: 0x1000,
            vaddr: 0x401010,
            align: 0x1000
        })
    );
    // Page-congruent, but p_align (2 MiB) says more.
    let err = mini(|e| {
        e.phdrs[1].align = 0x20_0000;
        e.phdrs[1].vaddr = 0x402000;
    });
    assert_eq!(
        err,
        Err(LoadError::Misaligned {
            index: 1,
            offset: 0x1000,
            vaddr: 0x402000,
            align: 0x20_0000
        })
    );
    // Congruent modulo 2 MiB as well: fine.
    assert!(mini(|e| e.phdrs[1].align = 0x20_0000).is_ok());
    // Small or zero p_align only needs page congruence.
    assert!(mini(|e| e.phdrs[1].align = 0).is_ok());
    assert!(mini(|e| e.phdrs[1].align = 0x20).is_ok());
}

#[test]
fn entry_outside_executable_segment() {
    // In the writable data segment.
    assert_eq!(
        mini(|e| e.entry = 0x401010),
        Err(LoadError::EntryNotExecutable { entry: 0x401010 })
    );
    // Unmapped, null, just past the end of text.
    for entry in [0, 0x300000, 0x401000 + 0x2000, u64::MAX] {
        let err = mini(|e| {
            e.entry = entry;
            e.phdrs[0].memsz = 0x1000;
        });
        assert_eq!(err, Err(LoadError::EntryNotExecutable { entry }));
    }
    let err = mini(|e| e.entry = 0x401000);
    assert_eq!(err, Err(LoadError::EntryNotExecutable { entry: 0x401000 }));
    // A real binary with e_entry pointing at its rodata.
    let elf = musl_static();
    let rodata = phdrs(elf)[nth_of_type(elf, PT_LOAD, 2)];
    let err = plan_mutated(elf, |b| put_u64(b, E_ENTRY, rodata.vaddr + 8)).unwrap_err();
    assert_eq!(
        err,
        LoadError::EntryNotExecutable {
            entry: rodata.vaddr + 8
        }
    );
}

#[test]
fn static_pie_entry_below_its_image() {
    let err = mini(|e| {
        e.e_type = 3;
        e.entry = 0x100;
    });
    assert!(
        matches!(err, Err(LoadError::EntryNotExecutable { .. })),
        "{err:?}"
    );
}

#[test]
fn absurd_sizes() {
    let err = mini(|e| e.phdrs[1].memsz = 2 << 40);
    assert_eq!(
        err,
        Err(LoadError::TooLarge {
            total: 0x1000 + (2 << 40)
        })
    );
    // Two segments that are fine alone but too big together.
    let err = mini(|e| {
        e.phdrs[0].memsz = MAX_TOTAL_MEMSZ - 0x1000;
        e.phdrs[1].vaddr = 0x400000 + MAX_TOTAL_MEMSZ;
        e.phdrs[1].memsz = 0x2000;
    });
    assert!(matches!(err, Err(LoadError::TooLarge { .. })), "{err:?}");
    // u64::MAX memsz saturates instead of overflowing.
    let err = mini(|e| e.phdrs[1].memsz = u64::MAX);
    assert_eq!(err, Err(LoadError::TooLarge { total: u64::MAX }));
}

#[test]
fn interpreter_is_named_and_sanitised() {
    let mut e = MiniElf::exec();
    e.phdrs.insert(
        0,
        Phdr {
            p_type: PT_INTERP,
            flags: PF_R,
            offset: 0x200,
            vaddr: 0x400200,
            filesz: 20,
            memsz: 20,
            align: 1,
        },
    );
    let mut bytes = e.bytes();
    bytes[0x200..0x214].copy_from_slice(b"/lib/ld\nevil.so\0\0\0\0\0");
    let err = plan(&bytes, BASE).unwrap_err();
    assert_eq!(err, LoadError::Interpreter("/lib/ld\\nevil.so".into()));
    assert!(!err.to_string().contains('\n'));

    // PT_INTERP pointing outside the file.
    e.phdrs[0].offset = 0x10_0000;
    assert_eq!(
        plan(&e.bytes(), BASE),
        Err(LoadError::MalformedInterpreter { index: 0 })
    );
    e.phdrs[0].offset = u64::MAX;
    assert_eq!(
        plan(&e.bytes(), BASE),
        Err(LoadError::MalformedInterpreter { index: 0 })
    );
}

#[test]
fn bad_tls() {
    let tls = |filesz, memsz, align, vaddr| Phdr {
        p_type: PT_TLS,
        flags: PF_R,
        offset: 0x1000,
        vaddr,
        filesz,
        memsz,
        align,
    };
    let ok = mini(|e| e.phdrs.push(tls(0x10, 0x20, 8, 0x401000))).unwrap();
    assert_eq!(
        ok.tls,
        Some(elfin_loader::Tls {
            vaddr: 0x401000,
            filesz: 0x10,
            memsz: 0x20,
            align: 8
        })
    );
    for (phdr, what) in [
        (tls(0x20, 0x10, 8, 0x401000), "filesz > memsz"),
        (tls(0x10, 0x20, 12, 0x401000), "align not a power of two"),
        (tls(0x10, 0x20, 8, 0x900000), "image not mapped"),
        (
            tls(0x200, 0x200, 8, 0x401000),
            "image past the file-backed part",
        ),
        (tls(0x10, 0x20, 8, u64::MAX - 4), "address overflow"),
        (tls(0, u64::MAX, 8, 0x401000), "absurd size"),
    ] {
        let err = mini(|e| e.phdrs.push(phdr));
        assert!(matches!(err, Err(LoadError::BadTls(_))), "{what}: {err:?}");
    }
}

#[test]
fn pt_phdr_must_be_mapped() {
    let pt_phdr = |vaddr| Phdr {
        p_type: PT_PHDR,
        flags: PF_R,
        offset: 64,
        vaddr,
        filesz: 3 * 56,
        memsz: 3 * 56,
        align: 8,
    };
    let ok = mini(|e| e.phdrs.insert(0, pt_phdr(0x400040))).unwrap();
    assert_eq!(ok.phdr, 0x400040);
    let err = mini(|e| e.phdrs.insert(0, pt_phdr(0x900040)));
    assert_eq!(err, Err(LoadError::BadPhdr));
}

#[test]
fn phdr_zero_when_not_mapped() {
    let plan = mini(|e| {
        e.phdrs[0].offset = 0x1000;
        e.phdrs[0].filesz = 0x100;
        e.phdrs[1].offset = 0x2000;
        e.file_len = 0x2100;
    })
    .unwrap();
    assert_eq!(plan.phdr, 0);
}

#[test]
fn gnu_stack_flags() {
    let stack = |flags| Phdr {
        p_type: PT_GNU_STACK,
        flags,
        offset: 0,
        vaddr: 0,
        filesz: 0,
        memsz: 0,
        align: 16,
    };
    assert!(mini(|_| {}).unwrap().exec_stack, "absent");
    assert!(
        !mini(|e| e.phdrs.push(stack(PF_R | PF_W)))
            .unwrap()
            .exec_stack
    );
    assert!(
        mini(|e| e.phdrs.push(stack(PF_R | PF_W | PF_X)))
            .unwrap()
            .exec_stack
    );
}

#[test]
fn every_error_has_a_distinct_one_line_message() {
    let errors = [
        LoadError::NotElf,
        LoadError::TruncatedHeader { len: 3 },
        LoadError::UnsupportedClass(1),
        LoadError::UnsupportedEndianness(2),
        LoadError::UnsupportedMachine(3),
        LoadError::UnsupportedType(1),
        LoadError::BadPhentsize(32),
        LoadError::TooManyProgramHeaders(0xffff),
        LoadError::ProgramHeadersOutOfFile {
            phoff: 1,
            phnum: 2,
            file_len: 3,
        },
        LoadError::Interpreter("/lib/ld.so".into()),
        LoadError::MalformedInterpreter { index: 1 },
        LoadError::NoLoadSegments,
        LoadError::FileszExceedsMemsz {
            index: 1,
            filesz: 2,
            memsz: 1,
        },
        LoadError::SegmentOutOfFile {
            index: 1,
            offset: 2,
            filesz: 3,
            file_len: 4,
        },
        LoadError::AddressOverflow { index: 1 },
        LoadError::KernelHalf { index: 1, end: 2 },
        LoadError::BelowMinAddr { index: 1, vaddr: 2 },
        LoadError::Misaligned {
            index: 1,
            offset: 2,
            vaddr: 3,
            align: 4,
        },
        LoadError::SegmentsUnsorted { index: 1 },
        LoadError::SegmentsOverlap {
            first: 1,
            second: 2,
        },
        LoadError::TooLarge { total: 1 },
        LoadError::EntryNotExecutable { entry: 1 },
        LoadError::BadPieBase(1),
        LoadError::BadTls("why"),
        LoadError::BadPhdr,
        LoadError::StringTooLong { len: 1 },
        LoadError::NulInString,
        LoadError::ArgumentsTooLarge { size: 1, limit: 2 },
        LoadError::BadStackTop(1),
    ];
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for m in &messages {
        assert!(!m.is_empty() && !m.contains('\n'), "{m:?}");
    }
    // Distinct even with the numbers stripped: each variant says something different.
    let mut shapes: Vec<String> = messages
        .iter()
        .map(|m| m.chars().filter(|c| !c.is_ascii_digit()).collect())
        .collect();
    shapes.sort();
    shapes.dedup();
    assert_eq!(shapes.len(), errors.len());
}
