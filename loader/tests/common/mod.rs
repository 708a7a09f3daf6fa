//! Shared helpers for the integration tests: real binaries compiled on the fly from a tiny C
//! program (musl-gcc / gcc), a hand-made minimal ELF builder, and little-endian field access.
//!
//! A missing compiler is a test failure whose message says to run `make setup`.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The C program every real test binary is built from: a TLS variable (so both libcs emit
/// `PT_TLS`), some data, bss and a call into libc.
pub const HELLO_C: &str = r#"
#include <stdio.h>
__thread int tls_counter = 5;
static char bss_buffer[8192];
int data_value = 42;
int main(int argc, char **argv) {
    bss_buffer[argc] = (char)data_value;
    printf("hello %d %s\n", tls_counter + argc, argv[0]);
    return bss_buffer[argc] == 42 ? 0 : 1;
}
"#;

/// Compiles `HELLO_C` with `compiler args...` and returns the bytes of the output.
pub fn compile(compiler: &str, args: &[&str], name: &str) -> Vec<u8> {
    compile_source(HELLO_C, compiler, args, name)
}

/// Compiles the C `source` with `compiler args... -O2` and returns the bytes of the output.
///
/// Works in a fresh directory under cargo's per-target temp dir and removes it afterwards.
pub fn compile_source(source: &str, compiler: &str, args: &[&str], name: &str) -> Vec<u8> {
    let dir = scratch_dir(name);
    let binary = compile_in(&dir, source, compiler, args, name);
    let bytes = std::fs::read(&binary).expect("read compiled binary");
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

/// A fresh directory for one test artifact (per process, so parallel runs do not collide).
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("elfin-loader-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir under CARGO_TARGET_TMPDIR");
    dir
}

/// Compiles the C `source` into `dir/name` and returns that path. On failure, removes `dir`
/// and panics with a message that says how to install the toolchain.
pub fn compile_in(dir: &Path, source: &str, compiler: &str, args: &[&str], name: &str) -> PathBuf {
    let source_path = dir.join(format!("{name}.c"));
    let output = dir.join(name);
    std::fs::write(&source_path, source).expect("write C source");
    let result = Command::new(compiler)
        .args(args)
        .arg("-O2")
        .arg("-o")
        .arg(&output)
        .arg(&source_path)
        .output();
    let result = match result {
        Ok(result) => result,
        Err(e) => {
            let _ = std::fs::remove_dir_all(dir);
            panic!(
                "cannot run `{compiler}` ({e}): the loader tests build real binaries with \
                 musl-gcc and gcc; run `make setup` to install them"
            );
        }
    };
    if !result.status.success() {
        let _ = std::fs::remove_dir_all(dir);
        panic!(
            "`{compiler} {}` failed ({}): {}\nrun `make setup` to install the C toolchains \
             (musl-tools, gcc, libc6-dev) the loader tests need",
            args.join(" "),
            result.status,
            String::from_utf8_lossy(&result.stderr)
        );
    }
    output
}

/// `musl-gcc -static`: a classic ET_EXEC.
pub fn musl_static() -> &'static [u8] {
    static BIN: OnceLock<Vec<u8>> = OnceLock::new();
    BIN.get_or_init(|| compile("musl-gcc", &["-static"], "musl-static"))
}

/// `gcc -static`: a glibc ET_EXEC.
pub fn glibc_static() -> &'static [u8] {
    static BIN: OnceLock<Vec<u8>> = OnceLock::new();
    BIN.get_or_init(|| compile("gcc", &["-static"], "glibc-static"))
}

/// `gcc -static-pie`: a glibc static-PIE (ET_DYN without PT_INTERP).
pub fn glibc_static_pie() -> &'static [u8] {
    static BIN: OnceLock<Vec<u8>> = OnceLock::new();
    BIN.get_or_init(|| compile("gcc", &["-static-pie"], "glibc-static-pie"))
}

/// Plain `gcc`: dynamically linked against glibc.
pub fn glibc_dynamic() -> &'static [u8] {
    static BIN: OnceLock<Vec<u8>> = OnceLock::new();
    BIN.get_or_init(|| compile("gcc", &[], "glibc-dynamic"))
}

// ---- little-endian field access -------------------------------------------------------

pub fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}
pub fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}
pub fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}
pub fn put_u16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}
pub fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}
pub fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

// ELF64 header field offsets.
pub const E_TYPE: usize = 16;
pub const E_MACHINE: usize = 18;
pub const E_ENTRY: usize = 24;
pub const E_PHOFF: usize = 32;
pub const E_PHENTSIZE: usize = 54;
pub const E_PHNUM: usize = 56;
// ELF64 program header field offsets (relative to the entry).
pub const P_TYPE: usize = 0;
pub const P_FLAGS: usize = 4;
pub const P_OFFSET: usize = 8;
pub const P_VADDR: usize = 16;
pub const P_FILESZ: usize = 32;
pub const P_MEMSZ: usize = 40;
pub const P_ALIGN: usize = 48;

pub const PT_LOAD: u32 = 1;
pub const PT_INTERP: u32 = 3;
pub const PT_PHDR: u32 = 6;
pub const PT_TLS: u32 = 7;
pub const PT_GNU_STACK: u32 = 0x6474_e551;
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;

/// One program header as the tests see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phdr {
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Phdr {
    pub fn load(flags: u32, offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Self {
        Self {
            p_type: PT_LOAD,
            flags,
            offset,
            vaddr,
            filesz,
            memsz,
            align: 0x1000,
        }
    }
}

/// Offset of program header `i` in a (well-formed) file.
pub fn phdr_offset(elf: &[u8], i: usize) -> usize {
    u64_at(elf, E_PHOFF) as usize + i * 56
}

/// Decodes the program headers of a well-formed file.
pub fn phdrs(elf: &[u8]) -> Vec<Phdr> {
    (0..u16_at(elf, E_PHNUM) as usize)
        .map(|i| {
            let o = phdr_offset(elf, i);
            Phdr {
                p_type: u32_at(elf, o + P_TYPE),
                flags: u32_at(elf, o + P_FLAGS),
                offset: u64_at(elf, o + P_OFFSET),
                vaddr: u64_at(elf, o + P_VADDR),
                filesz: u64_at(elf, o + P_FILESZ),
                memsz: u64_at(elf, o + P_MEMSZ),
                align: u64_at(elf, o + P_ALIGN),
            }
        })
        .collect()
}

/// Index of the `n`th program header of type `p_type`.
pub fn nth_of_type(elf: &[u8], p_type: u32, n: usize) -> usize {
    phdrs(elf)
        .iter()
        .enumerate()
        .filter(|(_, p)| p.p_type == p_type)
        .nth(n)
        .map(|(i, _)| i)
        .expect("program header of that type")
}

/// A hand-made ELF64 x86-64 file: header at 0, program headers at 64, zero padding up to
/// `file_len`.
#[derive(Debug, Clone)]
pub struct MiniElf {
    pub e_type: u16,
    pub entry: u64,
    pub phdrs: Vec<Phdr>,
    pub file_len: usize,
}

impl MiniElf {
    /// A valid static executable: one R+X segment at 0x400000 mapping the first page (which
    /// holds the headers) and one RW segment with bss on the next page.
    pub fn exec() -> Self {
        Self {
            e_type: 2,
            entry: 0x400100,
            phdrs: vec![
                Phdr::load(PF_R | PF_X, 0, 0x400000, 0x1000, 0x1000),
                Phdr::load(PF_R | PF_W, 0x1000, 0x401000, 0x100, 0x2000),
            ],
            file_len: 0x1100,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let table_end = 64 + 56 * self.phdrs.len();
        let mut b = vec![0u8; self.file_len.max(table_end)];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2; // ELFCLASS64
        b[5] = 1; // ELFDATA2LSB
        b[6] = 1; // EV_CURRENT
        put_u16(&mut b, E_TYPE, self.e_type);
        put_u16(&mut b, E_MACHINE, 62);
        put_u32(&mut b, 20, 1);
        put_u64(&mut b, E_ENTRY, self.entry);
        put_u64(&mut b, E_PHOFF, 64);
        put_u16(&mut b, 52, 64); // e_ehsize
        put_u16(&mut b, E_PHENTSIZE, 56);
        put_u16(&mut b, E_PHNUM, self.phdrs.len() as u16);
        for (i, p) in self.phdrs.iter().enumerate() {
            let o = 64 + 56 * i;
            put_u32(&mut b, o + P_TYPE, p.p_type);
            put_u32(&mut b, o + P_FLAGS, p.flags);
            put_u64(&mut b, o + P_OFFSET, p.offset);
            put_u64(&mut b, o + P_VADDR, p.vaddr);
            put_u64(&mut b, o + 24, p.vaddr); // p_paddr
            put_u64(&mut b, o + P_FILESZ, p.filesz);
            put_u64(&mut b, o + P_MEMSZ, p.memsz);
            put_u64(&mut b, o + P_ALIGN, p.align);
        }
        b
    }
}

/// A small xorshift64* PRNG: deterministic, no dependencies.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
