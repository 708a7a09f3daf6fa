//! `build_stack`: the image is parsed back (argc, argv, envp, auxv, strings) and checked, and
//! compared with the stack the host's Linux builds for a real process (run under
//! `setarch -R`, which turns off the random padding, so the layout is deterministic).

mod common;

use std::process::Command;

use common::{compile_in, scratch_dir};
use elfin_loader::stack::{MAX_ARG_STRLEN, MAX_STACK_IMAGE};
use elfin_loader::{LoadError, StackImage, StackSpec, USER_ADDR_LIMIT, build_stack};

// Auxiliary vector keys (include/uapi/linux/auxvec.h), spelled out independently of the crate.
const AT_NULL: u64 = 0;
const AT_PHDR: u64 = 3;
const AT_PHENT: u64 = 4;
const AT_PHNUM: u64 = 5;
const AT_PAGESZ: u64 = 6;
const AT_BASE: u64 = 7;
const AT_FLAGS: u64 = 8;
const AT_ENTRY: u64 = 9;
const AT_UID: u64 = 11;
const AT_EUID: u64 = 12;
const AT_GID: u64 = 13;
const AT_EGID: u64 = 14;
const AT_PLATFORM: u64 = 15;
const AT_HWCAP: u64 = 16;
const AT_CLKTCK: u64 = 17;
const AT_SECURE: u64 = 23;
const AT_RANDOM: u64 = 25;
const AT_HWCAP2: u64 = 26;
const AT_EXECFN: u64 = 31;
const AT_SYSINFO_EHDR: u64 = 33;
const AT_MINSIGSTKSZ: u64 = 51;

const TOP: u64 = 0x7fff_ffff_f000;

/// The order Linux's create_elf_tables emits on x86-64 (without a vDSO).
const LINUX_ORDER: [u64; 20] = [
    AT_MINSIGSTKSZ,
    AT_HWCAP,
    AT_PAGESZ,
    AT_CLKTCK,
    AT_PHDR,
    AT_PHENT,
    AT_PHNUM,
    AT_BASE,
    AT_FLAGS,
    AT_ENTRY,
    AT_UID,
    AT_EUID,
    AT_GID,
    AT_EGID,
    AT_SECURE,
    AT_RANDOM,
    AT_HWCAP2,
    AT_EXECFN,
    AT_PLATFORM,
    AT_NULL,
];

/// A stack image seen from the program's side.
#[derive(Debug)]
struct Parsed {
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    argv_ptrs: Vec<u64>,
    envp_ptrs: Vec<u64>,
    auxv: Vec<(u64, u64)>,
    /// Address just past the AT_NULL pair.
    table_end: u64,
}

impl Parsed {
    fn aux(&self, key: u64) -> Option<u64> {
        self.auxv.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// Reads the image the way a C runtime does, bounds-checking every access.
struct Reader<'a> {
    bytes: &'a [u8],
    sp: u64,
}

impl Reader<'_> {
    fn offset(&self, addr: u64) -> usize {
        assert!(addr >= self.sp, "address {addr:#x} below sp {:#x}", self.sp);
        let off = (addr - self.sp) as usize;
        assert!(
            off < self.bytes.len(),
            "address {addr:#x} above the stack top"
        );
        off
    }
    fn word(&self, addr: u64) -> u64 {
        let off = self.offset(addr);
        u64::from_le_bytes(self.bytes[off..off + 8].try_into().unwrap())
    }
    fn bytes(&self, addr: u64, len: usize) -> &[u8] {
        let off = self.offset(addr);
        &self.bytes[off..off + len]
    }
    fn c_string(&self, addr: u64) -> Vec<u8> {
        let off = self.offset(addr);
        let len = self.bytes[off..]
            .iter()
            .position(|&b| b == 0)
            .expect("NUL-terminated");
        self.bytes[off..off + len].to_vec()
    }

    fn parse(&self) -> Parsed {
        let argc = self.word(self.sp);
        let mut addr = self.sp + 8;
        let pointers = |addr: &mut u64| {
            let mut list = Vec::new();
            loop {
                let p = self.word(*addr);
                *addr += 8;
                if p == 0 {
                    return list;
                }
                list.push(p);
            }
        };
        let argv_ptrs = pointers(&mut addr);
        assert_eq!(
            argv_ptrs.len() as u64,
            argc,
            "argv has argc entries then NULL"
        );
        let envp_ptrs = pointers(&mut addr);
        let mut auxv = Vec::new();
        loop {
            let (key, value) = (self.word(addr), self.word(addr + 8));
            addr += 16;
            auxv.push((key, value));
            if key == AT_NULL {
                break;
            }
        }
        Parsed {
            argv: argv_ptrs.iter().map(|&p| self.c_string(p)).collect(),
            envp: envp_ptrs.iter().map(|&p| self.c_string(p)).collect(),
            argv_ptrs,
            envp_ptrs,
            auxv,
            table_end: addr,
        }
    }
}

fn spec<'a>(argv: &'a [&'a [u8]], envp: &'a [&'a [u8]]) -> StackSpec<'a> {
    StackSpec {
        argv,
        envp,
        execfn: b"/bin/hello",
        platform: b"x86_64",
        random: *b"0123456789abcdef",
        hwcap: 0x178b_fbff,
        hwcap2: 2,
        minsigstksz: 1776,
        pagesz: 4096,
        clktck: 100,
        uid: 1000,
        euid: 1001,
        gid: 100,
        egid: 101,
        secure: false,
        phdr: 0x400040,
        phent: 56,
        phnum: 9,
        entry: 0x401234,
        base: 0,
        sysinfo_ehdr: None,
    }
}

/// Checks the structural invariants and returns the parsed view.
fn check(image: &StackImage, spec: &StackSpec, top: u64) -> Parsed {
    assert_eq!(image.sp % 16, 0, "sp 16-byte aligned");
    assert_eq!(
        image.sp + image.bytes.len() as u64,
        top,
        "image ends at the stack top"
    );
    let reader = Reader {
        bytes: &image.bytes,
        sp: image.sp,
    };
    let parsed = reader.parse();

    let owned = |list: &[&[u8]]| list.iter().map(|s| s.to_vec()).collect::<Vec<_>>();
    assert_eq!(parsed.argv, owned(spec.argv));
    assert_eq!(parsed.envp, owned(spec.envp));

    // Strings: argv then envp then execfn, contiguous, then the 8-byte end marker.
    let mut expected = parsed.argv_ptrs.first().copied().unwrap_or_else(|| {
        parsed
            .envp_ptrs
            .first()
            .copied()
            .unwrap_or(parsed.aux(AT_EXECFN).unwrap())
    });
    for (p, s) in parsed
        .argv_ptrs
        .iter()
        .zip(&parsed.argv)
        .chain(parsed.envp_ptrs.iter().zip(&parsed.envp))
    {
        assert_eq!(*p, expected, "strings are packed in order");
        expected += s.len() as u64 + 1;
    }
    let execfn = parsed.aux(AT_EXECFN).unwrap();
    assert_eq!(execfn, expected, "execfn right after the environment");
    assert_eq!(reader.c_string(execfn), spec.execfn);
    assert_eq!(
        execfn + spec.execfn.len() as u64 + 1,
        top - 8,
        "execfn at the very top"
    );
    assert_eq!(reader.bytes(top - 8, 8), [0; 8], "end marker");

    // Below the strings (aligned down to 16): platform, then the random bytes.
    let strings_start = expected
        - parsed
            .argv
            .iter()
            .chain(&parsed.envp)
            .map(|s| s.len() as u64 + 1)
            .sum::<u64>();
    let random = parsed.aux(AT_RANDOM).unwrap();
    assert_eq!(
        reader.bytes(random, 16),
        spec.random,
        "AT_RANDOM points at the random bytes"
    );
    if spec.platform.is_empty() {
        assert_eq!(parsed.aux(AT_PLATFORM), None);
        assert_eq!(random + 16, strings_start & !15);
    } else {
        let platform = parsed.aux(AT_PLATFORM).unwrap();
        assert_eq!(reader.c_string(platform), spec.platform);
        assert_eq!(
            platform + spec.platform.len() as u64 + 1,
            strings_start & !15
        );
        assert_eq!(random + 16, platform);
    }
    // The table sits as high as alignment allows under the random bytes (STACK_ROUND).
    assert!(parsed.table_end <= random && random - parsed.table_end < 16);

    // Values.
    let expect = [
        (AT_MINSIGSTKSZ, spec.minsigstksz),
        (AT_HWCAP, spec.hwcap),
        (AT_PAGESZ, spec.pagesz),
        (AT_CLKTCK, spec.clktck),
        (AT_PHDR, spec.phdr),
        (AT_PHENT, u64::from(spec.phent)),
        (AT_PHNUM, u64::from(spec.phnum)),
        (AT_BASE, spec.base),
        (AT_FLAGS, 0),
        (AT_ENTRY, spec.entry),
        (AT_UID, u64::from(spec.uid)),
        (AT_EUID, u64::from(spec.euid)),
        (AT_GID, u64::from(spec.gid)),
        (AT_EGID, u64::from(spec.egid)),
        (AT_SECURE, u64::from(spec.secure)),
        (AT_HWCAP2, spec.hwcap2),
    ];
    for (key, value) in expect {
        assert_eq!(parsed.aux(key), Some(value), "auxv key {key}");
    }
    assert_eq!(parsed.aux(AT_SYSINFO_EHDR), spec.sysinfo_ehdr);

    // Order: Linux's, with AT_SYSINFO_EHDR first when present.
    let keys: Vec<u64> = parsed.auxv.iter().map(|(k, _)| *k).collect();
    let mut order: Vec<u64> = LINUX_ORDER.to_vec();
    if spec.platform.is_empty() {
        order.retain(|&k| k != AT_PLATFORM);
    }
    if spec.sysinfo_ehdr.is_some() {
        order.insert(0, AT_SYSINFO_EHDR);
    }
    assert_eq!(keys, order);
    parsed
}

#[test]
fn typical_stack_parses_back() {
    let argv: [&[u8]; 3] = [b"/bin/hello", b"--flag", b"a b c"];
    let envp: [&[u8]; 2] = [b"HOME=/", b"PATH=/bin:/usr/bin"];
    let spec = spec(&argv, &envp);
    let image = build_stack(&spec, TOP).expect("stack builds");
    let parsed = check(&image, &spec, TOP);
    assert_eq!(parsed.argv.len(), 3);
    assert!(
        image.bytes.len() < 1024,
        "small image: {} bytes",
        image.bytes.len()
    );
}

#[test]
fn vdso_platform_and_empty_lists() {
    let mut spec = spec(&[], &[]);
    spec.sysinfo_ehdr = Some(0x7fff_f7ff_d000);
    spec.secure = true;
    spec.base = 0x7fff_f000_0000;
    let image = build_stack(&spec, TOP).unwrap();
    let parsed = check(&image, &spec, TOP);
    assert!(parsed.argv.is_empty() && parsed.envp.is_empty());
    assert_eq!(parsed.auxv[0], (AT_SYSINFO_EHDR, 0x7fff_f7ff_d000));

    spec.platform = b"";
    let image = build_stack(&spec, TOP).unwrap();
    check(&image, &spec, TOP);
}

#[test]
fn alignment_holds_for_every_shape() {
    // Vary string lengths and counts so every residue mod 16 is hit, and unaligned tops too.
    let pool: Vec<Vec<u8>> = (0..40).map(|n| vec![b'x'; n]).collect();
    for argc in 0..5 {
        for envc in 0..4 {
            for len in 0..20 {
                for top_skew in [0, 8, 3] {
                    let argv: Vec<&[u8]> =
                        (0..argc).map(|i| pool[(len + i) % 40].as_slice()).collect();
                    let envp: Vec<&[u8]> = (0..envc)
                        .map(|i| pool[(len * 3 + i) % 40].as_slice())
                        .collect();
                    let mut spec = spec(&argv, &envp);
                    let execfn = &pool[len][..len];
                    spec.execfn = execfn;
                    let top = TOP - top_skew;
                    let image = build_stack(&spec, top).unwrap();
                    check(&image, &spec, top);
                }
            }
        }
    }
}

#[test]
fn bad_strings_are_refused() {
    let argv: [&[u8]; 2] = [b"ok", b"bad\0arg"];
    assert_eq!(
        build_stack(&spec(&argv, &[]), TOP),
        Err(LoadError::NulInString)
    );
    let envp: [&[u8]; 1] = [b"X=\0"];
    assert_eq!(
        build_stack(&spec(&[], &envp), TOP),
        Err(LoadError::NulInString)
    );
    let mut s = spec(&[], &[]);
    s.execfn = b"/bin/\0";
    assert_eq!(build_stack(&s, TOP), Err(LoadError::NulInString));

    let long = vec![b'a'; MAX_ARG_STRLEN + 1];
    let argv: [&[u8]; 1] = [&long];
    assert_eq!(
        build_stack(&spec(&argv, &[]), TOP),
        Err(LoadError::StringTooLong {
            len: MAX_ARG_STRLEN + 1
        })
    );
    // Exactly the limit is fine.
    let max = vec![b'a'; MAX_ARG_STRLEN];
    let argv: [&[u8]; 1] = [&max];
    let s = spec(&argv, &[]);
    check(&build_stack(&s, TOP).unwrap(), &s, TOP);
}

#[test]
fn too_many_arguments_is_e2big() {
    let big = vec![b'a'; MAX_ARG_STRLEN];
    let argv: Vec<&[u8]> = (0..20).map(|_| big.as_slice()).collect();
    let Err(err) = build_stack(&spec(&argv, &[]), TOP) else {
        panic!("20 maximal strings accepted")
    };
    assert!(
        matches!(
            err,
            LoadError::ArgumentsTooLarge {
                limit: MAX_STACK_IMAGE,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("argument list too long"));
    // Many tiny strings: the pointers count too.
    let argv: Vec<&[u8]> = vec![b"".as_slice(); 250_000];
    let result = build_stack(&spec(&argv, &[]), TOP).map(|image| image.sp);
    assert!(
        matches!(result, Err(LoadError::ArgumentsTooLarge { .. })),
        "{result:?}"
    );
    // Just under the limit works.
    let argv: Vec<&[u8]> = (0..15).map(|_| big.as_slice()).collect();
    let s = spec(&argv, &[]);
    let image = build_stack(&s, TOP).unwrap();
    assert!(image.bytes.len() as u64 <= MAX_STACK_IMAGE);
    check(&image, &s, TOP);
}

#[test]
fn bad_stack_top() {
    let argv: [&[u8]; 1] = [b"/bin/hello"];
    for top in [0, 8, 100, 0x100] {
        assert_eq!(
            build_stack(&spec(&argv, &[]), top),
            Err(LoadError::BadStackTop(top))
        );
    }
    for top in [USER_ADDR_LIMIT + 0x1000, u64::MAX] {
        assert_eq!(
            build_stack(&spec(&argv, &[]), top),
            Err(LoadError::BadStackTop(top))
        );
    }
    // The very top of user space is allowed.
    let s = spec(&argv, &[]);
    check(
        &build_stack(&s, USER_ADDR_LIMIT).unwrap(),
        &s,
        USER_ADDR_LIMIT,
    );
}

#[test]
fn random_specs_never_panic() {
    let mut rng = common::XorShift::new(0x5eed);
    let pool: Vec<Vec<u8>> = (0..64)
        .map(|n| (0..n).map(|i| b'a' + (i % 26) as u8).collect())
        .collect();
    for _ in 0..2000 {
        let argv: Vec<&[u8]> = (0..rng.below(8))
            .map(|_| pool[rng.below(64)].as_slice())
            .collect();
        let envp: Vec<&[u8]> = (0..rng.below(8))
            .map(|_| pool[rng.below(64)].as_slice())
            .collect();
        let mut s = spec(&argv, &envp);
        s.execfn = &pool[rng.below(64)];
        s.platform = &pool[rng.below(8)];
        s.sysinfo_ehdr = (rng.below(2) == 0).then(|| rng.next_u64());
        let top = match rng.below(3) {
            0 => rng.next_u64(),
            1 => rng.below(4096) as u64,
            _ => TOP - rng.below(64) as u64,
        };
        match std::panic::catch_unwind(|| build_stack(&s, top)) {
            Ok(Ok(image)) => {
                check(&image, &s, top);
            }
            Ok(Err(err)) => assert!(matches!(err, LoadError::BadStackTop(_)), "{err:?}"),
            Err(_) => panic!("build_stack panicked (top {top:#x})"),
        }
    }
}

/// Dumps its own initial stack: "sp top" then the bytes of [sp, top) in hex.
const STACK_DUMP_C: &str = r#"
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    unsigned long sp = (unsigned long)(argv - 1), lo, hi, top = 0;
    char line[512];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2) top = hi;
    printf("%lx %lx\n", sp, top);
    for (unsigned char *p = (unsigned char *)sp; p < (unsigned char *)top; p++) printf("%02x", *p);
    printf("\n");
    return top == 0;
}
"#;

#[test]
fn matches_the_host_linux_layout() {
    // Build the dumper and run it natively with a controlled argv/envp.
    let dir = scratch_dir("stackdump");
    let binary = compile_in(&dir, STACK_DUMP_C, "musl-gcc", &["-static"], "stackdump");
    let output = Command::new("setarch")
        .args(["x86_64", "-R"])
        .arg(&binary)
        .args(["one", "", "three words"])
        .env_clear()
        .env("HOME", "/root")
        .env("ELFIN", "a=b")
        .output()
        .unwrap_or_else(|e| panic!("cannot run setarch (util-linux) ({e})"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(output.status.success(), "stack dumper failed: {output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut lines = text.lines();
    let mut first = lines
        .next()
        .unwrap()
        .split(' ')
        .map(|w| u64::from_str_radix(w, 16).unwrap());
    let (linux_sp, top) = (first.next().unwrap(), first.next().unwrap());
    let hex = lines.next().unwrap();
    let linux_bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let linux = Reader {
        bytes: &linux_bytes,
        sp: linux_sp,
    }
    .parse();
    let reader = Reader {
        bytes: &linux_bytes,
        sp: linux_sp,
    };

    // Rebuild the same stack with build_stack from what Linux put there.
    let aux = |key| {
        linux
            .aux(key)
            .unwrap_or_else(|| panic!("Linux auxv lacks {key}"))
    };
    let execfn = reader.c_string(aux(AT_EXECFN));
    let platform = reader.c_string(aux(AT_PLATFORM));
    let argv: Vec<&[u8]> = linux.argv.iter().map(Vec::as_slice).collect();
    let envp: Vec<&[u8]> = linux.envp.iter().map(Vec::as_slice).collect();
    let spec = StackSpec {
        argv: &argv,
        envp: &envp,
        execfn: &execfn,
        platform: &platform,
        random: reader.bytes(aux(AT_RANDOM), 16).try_into().unwrap(),
        hwcap: aux(AT_HWCAP),
        hwcap2: aux(AT_HWCAP2),
        minsigstksz: aux(AT_MINSIGSTKSZ),
        pagesz: aux(AT_PAGESZ),
        clktck: aux(AT_CLKTCK),
        uid: aux(AT_UID) as u32,
        euid: aux(AT_EUID) as u32,
        gid: aux(AT_GID) as u32,
        egid: aux(AT_EGID) as u32,
        secure: aux(AT_SECURE) != 0,
        phdr: aux(AT_PHDR),
        phent: aux(AT_PHENT) as u16,
        phnum: aux(AT_PHNUM) as u16,
        entry: aux(AT_ENTRY),
        base: aux(AT_BASE),
        sysinfo_ehdr: linux.aux(AT_SYSINFO_EHDR),
    };
    assert_eq!(argv.len(), 4);
    let mut sorted_env = envp.clone();
    sorted_env.sort();
    assert_eq!(sorted_env, [b"ELFIN=a=b".as_slice(), b"HOME=/root"]);
    let ours_image = build_stack(&spec, top).unwrap();
    let ours = check(&ours_image, &spec, top);

    // Everything from the random bytes up (random, platform, padding, strings, end marker) is
    // byte-identical, at the same addresses.
    let random = aux(AT_RANDOM);
    assert_eq!(ours.aux(AT_RANDOM), Some(random));
    let tail = (top - random) as usize;
    assert_eq!(
        ours_image.bytes[ours_image.bytes.len() - tail..],
        linux_bytes[linux_bytes.len() - tail..]
    );
    // Same string pointers.
    assert_eq!(ours.argv_ptrs, linux.argv_ptrs);
    assert_eq!(ours.envp_ptrs, linux.envp_ptrs);
    // Same auxv entries in the same order, except the ones Elfin does not provide.
    let not_provided = [27, 28, 29, 30, 24, 2]; // AT_RSEQ_*, AT_HWCAP3/4, AT_BASE_PLATFORM, AT_EXECFD
    let linux_auxv: Vec<(u64, u64)> = linux
        .auxv
        .iter()
        .copied()
        .filter(|(k, _)| !not_provided.contains(k))
        .collect();
    assert_eq!(ours.auxv, linux_auxv);
    // And sp follows the same rule: the table as high as possible under the random bytes.
    let words = |p: &Parsed| (3 + p.argv.len() + p.envp.len() + 2 * p.auxv.len()) as u64;
    assert_eq!(
        linux_sp,
        (random - 8 * words(&linux)) & !15,
        "Linux's STACK_ROUND"
    );
    assert_eq!(ours_image.sp, (random - 8 * words(&ours)) & !15);
}
