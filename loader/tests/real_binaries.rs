//! `plan` on real binaries compiled during the test from a tiny C file: `musl-gcc -static`,
//! `gcc -static`, `gcc -static-pie` (accepted) and plain dynamic `gcc` (refused with the
//! interpreter's name).

mod common;

use common::*;
use elfin_loader::{ElfKind, LoadError, LoadPlan, PAGE_SIZE, USER_ADDR_LIMIT, plan};

const PIE_BASE: u64 = 0x5555_5555_4000;

/// Reads `len` bytes at `addr` of the memory image the plan describes, with Linux's mapping
/// semantics (each segment maps its file bytes from its first page boundary up to
/// `file_offset + filesz`). `None` if a byte is not file-backed.
fn read_mapped(elf: &[u8], plan: &LoadPlan, addr: u64, len: u64) -> Option<Vec<u8>> {
    plan.segments.iter().rev().find_map(|s| {
        let map_start = s.page_start();
        let file_start = s.file_offset - (s.vaddr - map_start);
        let file_backed_end = s.vaddr + s.filesz;
        if map_start <= addr && addr + len <= file_backed_end {
            let off = (file_start + (addr - map_start)) as usize;
            Some(elf[off..off + len as usize].to_vec())
        } else {
            None
        }
    })
}

/// Checks everything a plan must say about a well-formed, compiler-made static binary.
fn check_plan(elf: &[u8], plan: &LoadPlan) {
    let file_phdrs = phdrs(elf);
    assert_eq!(plan.phnum, u16_at(elf, E_PHNUM), "phnum");
    assert_eq!(plan.phent, u16_at(elf, E_PHENTSIZE), "phent");
    assert_eq!(plan.phent, 56);

    // Segments: every PT_LOAD, in file order, shifted by the bias.
    let loads: Vec<&Phdr> = file_phdrs.iter().filter(|p| p.p_type == PT_LOAD).collect();
    assert_eq!(plan.segments.len(), loads.len());
    for (seg, ph) in plan.segments.iter().zip(&loads) {
        assert_eq!(seg.vaddr, ph.vaddr.wrapping_add(plan.bias));
        assert_eq!(seg.memsz, ph.memsz);
        assert_eq!(seg.filesz, ph.filesz);
        assert_eq!(seg.file_offset, ph.offset);
        assert_eq!(seg.prot.read, ph.flags & PF_R != 0);
        assert_eq!(seg.prot.write, ph.flags & PF_W != 0);
        assert_eq!(seg.prot.exec, ph.flags & PF_X != 0);
        assert!(seg.page_start() >= 0x10000 && seg.page_end() <= USER_ADDR_LIMIT);
    }
    assert!(
        plan.segments.iter().any(|s| s.prot.exec),
        "an executable segment"
    );

    // Entry: biased e_entry, inside an executable segment.
    assert_eq!(plan.entry, u64_at(elf, E_ENTRY).wrapping_add(plan.bias));
    assert!(
        plan.segments
            .iter()
            .any(|s| s.prot.exec && s.vaddr <= plan.entry && plan.entry < s.vaddr + s.memsz),
        "entry {:#x} inside an executable segment",
        plan.entry
    );

    // AT_PHDR: the program header table really is at that address in memory.
    assert_ne!(
        plan.phdr, 0,
        "program headers are mapped in compiler output"
    );
    let table_len = u64::from(plan.phnum) * 56;
    let phoff = u64_at(elf, E_PHOFF) as usize;
    assert_eq!(
        read_mapped(elf, plan, plan.phdr, table_len).as_deref(),
        Some(&elf[phoff..phoff + table_len as usize]),
        "AT_PHDR {:#x} points at the program header table",
        plan.phdr
    );

    // brk: page aligned, just above the highest segment.
    let highest_end = plan
        .segments
        .iter()
        .map(|s| s.vaddr + s.memsz)
        .max()
        .unwrap();
    assert_eq!(plan.brk_start % PAGE_SIZE, 0);
    assert!(plan.brk_start >= highest_end && plan.brk_start - highest_end < PAGE_SIZE);

    // TLS (the C file has a __thread variable): the image is mapped file bytes.
    let tls = plan.tls.expect("PT_TLS present");
    let file_tls = file_phdrs.iter().find(|p| p.p_type == PT_TLS).unwrap();
    assert_eq!(tls.vaddr, file_tls.vaddr.wrapping_add(plan.bias));
    assert_eq!(
        (tls.filesz, tls.memsz, tls.align),
        (file_tls.filesz, file_tls.memsz, file_tls.align)
    );
    assert!(
        tls.memsz >= 4 && tls.filesz >= 4,
        "tls_counter is initialised TLS data"
    );
    let off = file_tls.offset as usize;
    assert_eq!(
        read_mapped(elf, plan, tls.vaddr, tls.filesz).as_deref(),
        Some(&elf[off..off + tls.filesz as usize])
    );

    // gcc and musl-gcc emit PT_GNU_STACK without PF_X.
    assert!(file_phdrs.iter().any(|p| p.p_type == PT_GNU_STACK));
    assert!(!plan.exec_stack);
}

#[test]
fn musl_static_is_exec() {
    let elf = musl_static();
    let plan = plan(elf, PIE_BASE).expect("musl static binary loads");
    assert_eq!(plan.kind, ElfKind::Exec);
    assert_eq!(plan.bias, 0);
    assert_eq!(plan.segments[0].vaddr, 0x40_0000, "default ld base");
    check_plan(elf, &plan);
}

#[test]
fn glibc_static_is_exec_with_tls() {
    let elf = glibc_static();
    let plan = plan(elf, PIE_BASE).expect("glibc static binary loads");
    assert_eq!(plan.kind, ElfKind::Exec);
    assert_eq!(plan.bias, 0);
    check_plan(elf, &plan);
    let tls = plan.tls.unwrap();
    assert!(tls.memsz > tls.filesz, "glibc has .tbss as well as .tdata");
    assert!(tls.align >= 8);
}

#[test]
fn glibc_static_pie_is_biased() {
    let elf = glibc_static_pie();
    assert_eq!(u16_at(elf, E_TYPE), 3, "gcc -static-pie makes ET_DYN");
    let plan_a = plan(elf, PIE_BASE).expect("static-PIE loads");
    assert_eq!(plan_a.kind, ElfKind::StaticPie);
    assert_eq!(
        plan_a.bias, PIE_BASE,
        "linked at 0, so the bias is the base"
    );
    assert_eq!(
        plan_a.segments[0].page_start(),
        PIE_BASE,
        "lowest page at pie_base"
    );
    check_plan(elf, &plan_a);

    // A different base shifts every address and nothing else.
    let other_base = 0x7f00_0000_0000;
    let plan_b = plan(elf, other_base).expect("static-PIE loads at another base");
    check_plan(elf, &plan_b);
    let delta = other_base - PIE_BASE;
    assert_eq!(plan_b.bias, plan_a.bias + delta);
    assert_eq!(plan_b.entry, plan_a.entry + delta);
    assert_eq!(plan_b.phdr, plan_a.phdr + delta);
    assert_eq!(plan_b.brk_start, plan_a.brk_start + delta);
    assert_eq!(plan_b.tls.unwrap().vaddr, plan_a.tls.unwrap().vaddr + delta);
    for (a, b) in plan_a.segments.iter().zip(&plan_b.segments) {
        assert_eq!(b.vaddr, a.vaddr + delta);
        assert_eq!(
            (a.memsz, a.filesz, a.file_offset, a.prot),
            (b.memsz, b.filesz, b.file_offset, b.prot)
        );
    }
}

#[test]
fn static_pie_needs_page_aligned_base() {
    let err = plan(glibc_static_pie(), PIE_BASE + 0x10).unwrap_err();
    assert_eq!(err, LoadError::BadPieBase(PIE_BASE + 0x10));
    // ET_EXEC ignores the base entirely.
    assert!(plan(glibc_static(), PIE_BASE + 0x10).is_ok());
}

#[test]
fn static_pie_base_too_high_is_kernel_half() {
    let err = plan(glibc_static_pie(), USER_ADDR_LIMIT - PAGE_SIZE).unwrap_err();
    assert!(matches!(err, LoadError::KernelHalf { .. }), "{err:?}");
    let err = plan(glibc_static_pie(), 0).unwrap_err();
    assert!(matches!(err, LoadError::BelowMinAddr { .. }), "{err:?}");
}

#[test]
fn glibc_dynamic_is_refused_with_interpreter() {
    let err = plan(glibc_dynamic(), PIE_BASE).unwrap_err();
    assert_eq!(
        err,
        LoadError::Interpreter("/lib64/ld-linux-x86-64.so.2".into())
    );
    assert_eq!(
        err.to_string(),
        "dynamically linked (interpreter /lib64/ld-linux-x86-64.so.2): \
         Elfin runs static binaries only for now"
    );
}

#[test]
fn omagic_binary_phdr_found_through_page_mapping() {
    // `ld -N` puts text and data in one RWX segment starting after the headers (p_offset
    // 0xe8); the table at offset 64 is still in memory because the first page is mapped
    // from file offset 0, which is what Linux's AT_PHDR used to assume.
    let elf = compile("musl-gcc", &["-static", "-Wl,-N"], "musl-omagic");
    let plan = plan(&elf, PIE_BASE).expect("ld -N output loads");
    assert_eq!(plan.kind, ElfKind::Exec);
    let first = &plan.segments[0];
    assert!(
        first.file_offset > u64_at(&elf, E_PHOFF),
        "table below the segment's offset"
    );
    assert_eq!(plan.phdr, first.page_start() + u64_at(&elf, E_PHOFF));
    let phoff = u64_at(&elf, E_PHOFF) as usize;
    let len = u64::from(plan.phnum) * 56;
    assert_eq!(
        read_mapped(&elf, &plan, plan.phdr, len).as_deref(),
        Some(&elf[phoff..phoff + len as usize])
    );
}

#[test]
fn noseparate_code_binary_loads() {
    // Fewer, larger segments (text shares a segment with the headers).
    let elf = compile(
        "musl-gcc",
        &["-static", "-Wl,-z,noseparate-code"],
        "musl-nosep",
    );
    let plan = plan(&elf, PIE_BASE).expect("-z noseparate-code output loads");
    check_plan(&elf, &plan);
}

#[test]
fn missing_compiler_says_make_setup() {
    let panic = std::panic::catch_unwind(|| compile("elfin-no-such-cc", &[], "nocc")).unwrap_err();
    let message = panic
        .downcast_ref::<String>()
        .expect("formatted panic message");
    assert!(message.contains("make setup"), "{message}");
}
