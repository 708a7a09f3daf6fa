//! The analyser against small programs built here whose syscalls are known: direct `syscall`
//! sites with constant numbers (in one block, across a merge point, and passed as an
//! argument), calls to libc's `syscall()`, and libc imports (`getppid`, `write`) mapped through
//! the host's libc.so.6 (the same Debian glibc the report analyses). Built with gcc
//! (dynamically linked) and musl-gcc -static (direct sites only). Skipped with a message when a
//! compiler is missing.

use elfin_coverage::analysis::{LibcModel, analyse_object, object_syscalls};
use elfin_coverage::elfobj::{ObjKind, Object};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const PROGRAM: &str = r#"
#define _GNU_SOURCE
#include <unistd.h>
#include <sys/syscall.h>

/* %rax chosen on two paths that meet at the syscall: gettimeofday (96) or time (201). */
__asm__(".text\n.globl merge_site\n.type merge_site,@function\nmerge_site:\n"
        "  test %edi, %edi\n  je 1f\n  mov $96, %eax\n  jmp 2f\n"
        "1: mov $201, %eax\n2: xor %esi, %esi\n  syscall\n  ret\n");
long merge_site(int which);

/* The number arrives as an argument: resolved at the call sites (nanosleep 35, pause 34). */
__attribute__((noinline)) long raw1(long n, long a) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a) : "rcx", "r11", "memory");
    return r;
}

int main(int argc, char **argv) {
    long r;
    (void)argv;
    /* direct sites, constant in the same block: getpid (39), getuid (102) */
    __asm__ volatile("mov $39, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    __asm__ volatile("mov $102, %%eax\n\tsyscall" : "=a"(r) : : "rcx", "r11", "memory");
    if (argc > 5) {
        raw1(35, 0);
        raw1(34, 0);
        merge_site(argc);
    }
    /* libc's syscall(): gettid (186) */
    syscall(SYS_gettid);
    /* libc imports: getppid (110), write (1) */
    r += getppid();
    write(1, "", 0);
    return (int)(r & 1);
}
"#;

fn build(compiler: &str, flags: &[&str], name: &str) -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("elfin-coverage-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let src = dir.join("prog.c");
    std::fs::write(&src, PROGRAM).ok()?;
    let out = dir.join(name);
    let st = Command::new(compiler).args(flags).arg("-O2").arg("-o").arg(&out).arg(&src).status();
    match st {
        Ok(s) if s.success() => Some(out),
        _ => {
            eprintln!("skipping: {compiler} is not available or failed");
            None
        }
    }
}

fn set(v: &[u32]) -> BTreeSet<u32> {
    v.iter().copied().collect()
}

const HOST_LIBC: &str = "/lib/x86_64-linux-gnu/libc.so.6";

#[test]
fn gcc_dynamic_binary_direct_sites_wrapper_and_libc_imports() {
    let Some(bin) = build("gcc", &[], "prog-gcc") else { return };
    let obj = Object::open(&bin).unwrap();
    assert_eq!(obj.kind, ObjKind::DynamicExecutable);
    assert!(obj.needed.iter().any(|n| n == "libc.so.6"));
    let getppid = obj.imports.iter().find(|i| i.name == "getppid").expect("getppid is imported");
    assert!(getppid.version.as_deref().is_some_and(|v| v.starts_with("GLIBC_")), "{getppid:?}");

    let (a, _) = analyse_object(&obj);
    assert_eq!(a.all_syscalls(), set(&[34, 35, 39, 96, 102, 201]), "direct sites");
    assert_eq!(a.sites, a.resolved_sites, "every site resolved");

    let libc_obj = Object::open(Path::new(HOST_LIBC)).unwrap();
    let mut libc = LibcModel::new(&libc_obj);
    let s = object_syscalls(&obj, &mut libc);
    assert_eq!(s.via_wrapper, set(&[186]), "syscall(SYS_gettid) resolved at the call site");
    assert!(s.via_libc.get(&110).is_some_and(|f| f.contains("getppid")), "getppid reaches getppid(2)");
    assert!(s.via_libc.get(&1).is_some_and(|f| f.contains("write")), "write reaches write(2)");
    // Nothing reaches these from what the program imports.
    for never in [169 /* reboot */, 246 /* kexec_load */, 165 /* mount */] {
        assert!(!s.all().contains(&never), "{never} must not be found");
    }
}

#[test]
fn libc_model_maps_exports_from_libc_code() {
    let libc_obj = Object::open(Path::new(HOST_LIBC)).unwrap();
    let mut libc = LibcModel::new(&libc_obj);
    assert!(libc.analysis.sites > 300, "glibc has hundreds of syscall sites");
    assert!(libc.analysis.resolved_sites * 100 >= libc.analysis.sites * 95, "most are constant");
    let getpid = libc.import_syscalls(&imp("getpid")).unwrap();
    assert_eq!(getpid.syscalls, set(&[39]));
    let reboot = libc.import_syscalls(&imp("reboot")).unwrap();
    assert!(reboot.syscalls.contains(&169));
    // glibc's syscall(): the number is the caller's first argument.
    let sys = libc.import_syscalls(&imp("syscall")).unwrap();
    assert!(sys.arg_regs.contains(&iced_x86::Register::RDI), "{sys:?}");
    // An IFUNC (gettimeofday picks the vDSO or the syscall): the resolver's choices count.
    assert!(libc.import_syscalls(&imp("gettimeofday")).unwrap().syscalls.contains(&96));
    assert!(libc.import_syscalls(&imp("no_such_function")).is_none());
}

fn imp(name: &str) -> elfin_coverage::elfobj::Import {
    elfin_coverage::elfobj::Import { name: name.into(), version: None }
}

#[test]
fn musl_static_binary_direct_sites_only() {
    let Some(bin) = build("musl-gcc", &["-static"], "prog-musl") else { return };
    let obj = Object::open(&bin).unwrap();
    assert_eq!(obj.kind, ObjKind::StaticExecutable);
    assert!(obj.imports.is_empty() && obj.needed.is_empty());
    let (a, _) = analyse_object(&obj);
    let all = a.all_syscalls();
    // Our own sites, musl's syscall() resolved at main's call (gettid), and musl's own
    // wrappers for getppid and write: all are direct sites in a static binary.
    for nr in [39, 102, 35, 34, 96, 201, 186, 110, 1] {
        assert!(all.contains(&nr), "{nr} missing from {all:?}");
    }
    assert!(!all.contains(&169) && !all.contains(&165), "{all:?}");
}
