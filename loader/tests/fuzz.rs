//! Property test: thousands of random mutations and truncations of real and hand-made
//! binaries. `plan` must never panic, and every plan it does return must satisfy the
//! invariants the kernel relies on.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::*;
use elfin_loader::{LoadPlan, MMAP_MIN_ADDR, PAGE_SIZE, USER_ADDR_LIMIT, plan};

/// Values that tend to sit on the edge of some check.
const INTERESTING: [u64; 16] = [
    0,
    1,
    7,
    56,
    64,
    0xfff,
    0x1000,
    0x10000,
    0x40_0000,
    0x1_0000_0000,
    1 << 40,
    USER_ADDR_LIMIT - 0x1000,
    USER_ADDR_LIMIT,
    0xffff_8000_0000_0000,
    u64::MAX - 0xfff,
    u64::MAX,
];

/// Applies 1-4 random mutations, concentrated on the ELF and program headers.
fn mutate(rng: &mut XorShift, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        if bytes.len() < 64 {
            return;
        }
        let phnum = usize::from(u16_at(bytes, E_PHNUM)).min(64);
        let header_len = (64 + 56 * phnum).min(bytes.len());
        match rng.below(8) {
            // Random byte in the headers.
            0 | 1 => {
                let i = rng.below(header_len);
                bytes[i] = rng.next_u64() as u8;
            }
            // An aligned 8-byte header field set to an interesting or random value.
            2 | 3 => {
                let slots = header_len / 8;
                if slots > 0 {
                    let off = rng.below(slots) * 8;
                    let value = if rng.below(2) == 0 {
                        INTERESTING[rng.below(INTERESTING.len())]
                    } else {
                        rng.next_u64()
                    };
                    put_u64(bytes, off, value);
                }
            }
            // A 2-byte header field (e_phnum, e_phentsize, e_type...).
            4 => {
                let off = 16 + rng.below(24) * 2;
                if off + 2 <= bytes.len() {
                    put_u16(bytes, off, rng.next_u64() as u16);
                }
            }
            // Nudge a program header field by a small amount (keeps it plausible).
            5 => {
                let off = 64 + rng.below(phnum.max(1)) * 56 + 8 * (1 + rng.below(6));
                if off + 8 <= bytes.len() {
                    let delta = (rng.below(0x3000) as u64).wrapping_sub(0x1800);
                    let v = u64_at(bytes, off).wrapping_add(delta);
                    put_u64(bytes, off, v);
                }
            }
            // Truncate, usually somewhere in the headers.
            6 => {
                let limit = if rng.below(2) == 0 {
                    header_len + 1
                } else {
                    bytes.len()
                };
                bytes.truncate(rng.below(limit));
            }
            // Random byte anywhere.
            _ => {
                let i = rng.below(bytes.len());
                bytes[i] = rng.next_u64() as u8;
            }
        }
    }
}

/// What the kernel may assume about any plan `plan` returns.
fn check_invariants(elf: &[u8], plan: &LoadPlan) {
    assert!(!plan.segments.is_empty());
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for s in &plan.segments {
        assert!(s.filesz <= s.memsz);
        assert!(s.page_start() >= MMAP_MIN_ADDR, "{s:?}");
        assert!(s.vaddr.checked_add(s.memsz).is_some());
        assert!(s.page_end() <= USER_ADDR_LIMIT, "{s:?}");
        if s.filesz > 0 {
            assert!(s.file_offset + s.filesz <= elf.len() as u64, "{s:?}");
        }
        assert_eq!(
            (s.file_offset.wrapping_sub(s.vaddr.wrapping_sub(plan.bias))) % PAGE_SIZE,
            0
        );
        if s.memsz > 0 {
            ranges.push((s.vaddr, s.vaddr + s.memsz));
        }
    }
    ranges.sort();
    for pair in ranges.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "byte ranges overlap: {pair:?}");
    }
    let total: u64 = plan.segments.iter().map(|s| s.memsz).sum();
    assert!(total <= elfin_loader::MAX_TOTAL_MEMSZ);
    assert!(
        plan.segments
            .iter()
            .any(|s| s.prot.exec && s.vaddr <= plan.entry && plan.entry < s.vaddr + s.memsz)
    );
    assert_eq!(plan.brk_start % PAGE_SIZE, 0);
    assert!(
        plan.segments
            .iter()
            .all(|s| s.vaddr + s.memsz <= plan.brk_start)
    );
    assert!(plan.brk_start <= USER_ADDR_LIMIT);
    if let Some(tls) = plan.tls {
        assert!(tls.filesz <= tls.memsz);
        assert!(tls.align <= 1 || tls.align.is_power_of_two());
    }
}

/// Runs `iterations` random mutations of `base`; returns how many produced a plan.
fn fuzz(name: &str, base: &[u8], seed: u64, iterations: usize) -> usize {
    let mut rng = XorShift::new(seed);
    let mut accepted = 0;
    for iteration in 0..iterations {
        let mut bytes = base.to_vec();
        mutate(&mut rng, &mut bytes);
        let pie_base = match rng.below(4) {
            0 => INTERESTING[rng.below(INTERESTING.len())],
            1 => rng.next_u64(),
            _ => 0x5555_5555_4000,
        };
        let result = catch_unwind(AssertUnwindSafe(|| plan(&bytes, pie_base)));
        match result {
            Err(_) => panic!(
                "{name}: plan panicked at iteration {iteration} (seed {seed:#x}, pie_base {pie_base:#x})"
            ),
            Ok(Ok(plan)) => {
                check_invariants(&bytes, &plan);
                accepted += 1;
            }
            Ok(Err(err)) => {
                let message = err.to_string();
                assert!(!message.is_empty() && !message.contains('\n'));
            }
        }
    }
    eprintln!("{name}: {accepted} of {iterations} mutated files accepted");
    accepted
}

#[test]
fn mutated_musl_binary_never_panics() {
    let accepted = fuzz("musl-static", musl_static(), 0x9e37_79b9_7f4a_7c15, 10_000);
    // Some mutations are harmless (they hit padding or unused fields): the fuzzer must also
    // reach the end of `plan`, not only its first checks.
    assert!(accepted > 100, "only {accepted} mutated files accepted");
}

#[test]
fn mutated_static_pie_never_panics() {
    let elf = glibc_static_pie();
    let accepted = fuzz("glibc-static-pie", elf, 0xdead_beef_cafe_f00d, 3000);
    assert!(accepted > 50, "only {accepted} mutated files accepted");
}

#[test]
fn mutated_mini_elf_never_panics() {
    let mut elf = MiniElf::exec();
    elf.phdrs.push(Phdr {
        p_type: PT_TLS,
        flags: PF_R,
        offset: 0x1000,
        vaddr: 0x401000,
        filesz: 0x10,
        memsz: 0x20,
        align: 8,
    });
    elf.phdrs.push(Phdr {
        p_type: PT_PHDR,
        flags: PF_R,
        offset: 64,
        vaddr: 0x400040,
        filesz: 4 * 56,
        memsz: 4 * 56,
        align: 8,
    });
    let accepted = fuzz("mini", &elf.bytes(), 0x1234_5678_9abc_def1, 10_000);
    assert!(accepted > 100, "only {accepted} mutated files accepted");
}

#[test]
fn every_truncation_of_a_real_binary_is_handled() {
    let elf = musl_static();
    // Every prefix through the headers and first pages, then a stride through the rest.
    let lengths = (0..0x2000.min(elf.len())).chain((0x2000..elf.len()).step_by(97));
    for len in lengths {
        let result = catch_unwind(|| plan(&elf[..len], 0x5555_5555_4000));
        match result {
            Err(_) => panic!("plan panicked on a {len}-byte prefix"),
            Ok(Ok(plan)) => check_invariants(&elf[..len], &plan),
            Ok(Err(_)) => {}
        }
    }
}
