//! End-to-end test of the runner with `compat-tests/fake-elfin`, a stand-in for `elfin run`
//! that runs each binary natively. Every case should then agree with the host, except those
//! whose extra check needs a real kernel (a crash report naming the fault address); the skip
//! list logic, the summary line, the exit status and the detection of a broken "kernel"
//! (a syscall result changed with `strace --inject`) are checked on real output.
//!
//! Needs what `make setup` installs: gcc, musl-gcc, /bin/busybox.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn compat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn runner(args: &[&str], envs: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_elfin-compat"))
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .expect("running elfin-compat")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn fake() -> String {
    compat_dir().join("fake-elfin").to_string_lossy().into_owned()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("elfin-compat-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

fn summary(out: &str) -> (usize, usize, usize) {
    let line = out.lines().rev().find(|l| l.contains(" passed, ")).unwrap_or_else(|| panic!("no summary in:\n{out}"));
    let n: Vec<usize> = line.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect();
    assert_eq!(n.len(), 3, "summary line `{line}`");
    (n[0], n[1], n[2])
}

#[test]
fn whole_suite_against_the_host() {
    let skip = temp_file(
        "skip.txt",
        "# test list\n\
         */fault-null-read   fake-elfin knows no fault address\n\
         */fault-null-write  fake-elfin knows no fault address\n\
         */fault-null-exec   fake-elfin knows no fault address\n\
         musl/hello          stale on purpose: this case passes\n",
    );
    let o = runner(&["--elfin", &fake(), "--skip-file", skip.to_str().unwrap()], &[]);
    let out = text(&o);
    let total = out.lines().filter(|l| l.starts_with("PASS ") || l.starts_with("FAIL ") || l.starts_with("SKIP ")).count();
    let (passed, failed, skipped) = summary(&out);
    assert_eq!(failed, 1, "exactly the stale skip entry fails:\n{out}");
    assert_eq!(skipped, 6, "{out}");
    assert_eq!(passed + failed + skipped, total, "{out}");
    assert!(passed > 100, "{out}");
    assert!(out.contains("FAIL musl/hello: passes now, remove it from skip.txt"), "{out}");
    assert!(out.contains("SKIP glibc/fault-null-write: fake-elfin knows no fault address"), "{out}");
    assert!(out.contains("PASS glibc-pie/hello"), "{out}");
    assert!(out.contains("PASS busybox/expr-false"), "{out}");
    assert_eq!(o.status.code(), Some(1), "failures give exit status 1");
}

#[test]
fn missing_crash_report_is_a_failure() {
    let empty = temp_file("empty-skip.txt", "");
    let o = runner(&["--elfin", &fake(), "--skip-file", empty.to_str().unwrap(), "--filter", "musl/fault-null-write"], &[]);
    let out = text(&o);
    assert!(out.contains("FAIL musl/fault-null-write: no crash report naming fault address 0x1238"), "{out}");
    assert_eq!(summary(&out), (0, 1, 0));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_broken_syscall_is_noticed() {
    if !Path::new("/usr/bin/strace").exists() {
        eprintln!("strace not installed: skipping the broken-syscall check");
        return;
    }
    let empty = temp_file("empty-skip2.txt", "");
    let skip = empty.to_str().unwrap();
    // getppid returning the caller's own pid... or any wrong value: here 1 for every call
    // would still look plausible, so return an error instead
    let o = runner(&["--elfin", &fake(), "--skip-file", skip, "--filter", "/ids"], &[("FAKE_ELFIN_INJECT", "getppid:error=ENOSYS")]);
    let out = text(&o);
    assert!(out.contains("FAIL musl/ids: stdout line 7"), "{out}");
    assert!(out.contains("getppid>=0"), "{out}");
    assert_eq!(summary(&out).1, 2, "{out}");
    // mremap failing: the mremap case notices
    let o = runner(&["--elfin", &fake(), "--skip-file", skip, "--filter", "musl/mremap"], &[("FAKE_ELFIN_INJECT", "mremap:error=ENOMEM")]);
    let out = text(&o);
    assert!(out.contains("FAIL musl/mremap:"), "{out}");
}

#[test]
fn list_and_filters() {
    let o = runner(&["--list", "--filter", "busybox/seq"], &[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["busybox/seq", "busybox/seq-step", "busybox/seq-1000"]);
    assert!(o.status.success());
    let o = runner(&["--list"], &[]);
    let ids: Vec<String> = String::from_utf8_lossy(&o.stdout).lines().map(String::from).collect();
    assert!(ids.len() >= 100, "{ids:?}");
    for id in ["musl/hello", "glibc/hello", "glibc-pie/hello", "musl/exit42", "glibc/fault-null-read", "busybox/echo"] {
        assert!(ids.iter().any(|i| i == id), "missing {id}");
    }
}

#[test]
fn missing_elfin_says_how_to_get_it() {
    let o = runner(&["--elfin", "/nonexistent/elfin", "--filter", "musl/hello"], &[]);
    let out = text(&o);
    assert!(out.contains("make build"), "{out}");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_skip_list_is_an_error() {
    let bad = temp_file("bad-skip.txt", "musl/hello\n");
    let o = runner(&["--elfin", &fake(), "--skip-file", bad.to_str().unwrap(), "--filter", "musl/hello"], &[]);
    let out = text(&o);
    assert!(out.contains("no reason"), "{out}");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stale_skip_entry_for_unknown_case() {
    let skip = temp_file("unknown-skip.txt", "musl/no-such-case  gone\n");
    let o = runner(&["--elfin", &fake(), "--skip-file", skip.to_str().unwrap(), "--filter", "musl/hello"], &[]);
    let out = text(&o);
    assert!(out.contains("FAIL musl/no-such-case: skip list line 1 matches no case"), "{out}");
    assert_eq!(summary(&out), (1, 1, 0));
}
