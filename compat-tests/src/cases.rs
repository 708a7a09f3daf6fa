//! The test cases: which binary runs with which arguments, environment and stdin, and what
//! beyond "same stdout and exit status as the host" each case checks.
//!
//! Every `c/<program>.c` is built for the musl and glibc variants and gets a default case
//! (no arguments, empty stdin) unless `SPECS` names it; `SPECS` adds argument sets, inputs and
//! extra expectations. External cases run Debian's `/bin/busybox` applets.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// How a binary was built (or where it comes from). Names are the first part of a case id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variant {
    /// `musl-gcc -static`
    Musl,
    /// `gcc -static` (glibc)
    Glibc,
    /// `gcc -static-pie` (glibc)
    GlibcPie,
    /// Debian's static `/bin/busybox`
    Busybox,
    /// Real applications built by `images/recipes/` (see `apps.rs`)
    Apps,
}

impl Variant {
    pub fn name(self) -> &'static str {
        match self {
            Variant::Musl => "musl",
            Variant::Glibc => "glibc",
            Variant::GlibcPie => "glibc-pie",
            Variant::Busybox => "busybox",
            Variant::Apps => "apps",
        }
    }

    /// Variants built from our C sources.
    pub const BUILT: [Variant; 3] = [Variant::Musl, Variant::Glibc, Variant::GlibcPie];
}

/// What the case feeds on stdin (a pipe, for the host and for Elfin alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stdin {
    Empty,
    /// A file under `compat-tests/inputs/`.
    File(&'static str),
    Bytes(&'static [u8]),
    /// `n` bytes of deterministic text (see `pattern_input`).
    Pattern(usize),
}

/// Checks on top of comparing stdout and exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extra {
    /// Elfin's stderr must equal the host's (the app writes to stderr).
    SameStderr,
    /// Elfin's stderr must hold a crash report naming this fault address (in hex).
    CrashReportAddress(u64),
    /// Elfin's stderr must not be empty (a crash report of some form).
    CrashReport,
    /// Stdout is compared as a set of lines (output in directory order; see `apps.rs`).
    UnorderedLines,
}

/// How a case's program is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// `compat-tests/c/<name>.c`, built per variant.
    C(String),
    /// An existing binary on the host.
    External(PathBuf),
}

/// One runnable case: `<variant>/<name>`.
#[derive(Debug, Clone)]
pub struct Case {
    pub variant: Variant,
    pub name: String,
    pub program: Program,
    pub args: Vec<String>,
    /// The app's whole environment (the host run starts from an empty one too).
    pub env: Vec<(String, String)>,
    pub stdin: Stdin,
    /// The exit status the host must produce (guards against a broken oracle).
    pub host_status: i32,
    pub extras: Vec<Extra>,
    /// A file tree: Elfin gets it as `--root`, the host runs in a copy (see `apps.rs`).
    pub root: Option<crate::apps::RootTree>,
}

impl Case {
    pub fn id(&self) -> String {
        format!("{}/{}", self.variant.name(), self.name)
    }

    /// The binary to run, given where built programs live.
    pub fn binary(&self, build_dir: &Path) -> PathBuf {
        match &self.program {
            Program::C(p) => build_dir.join(self.variant.name()).join(p),
            Program::External(path) => path.clone(),
        }
    }

    /// The stdin bytes.
    pub fn stdin_bytes(&self, inputs_dir: &Path) -> Result<Vec<u8>> {
        Ok(match &self.stdin {
            Stdin::Empty => Vec::new(),
            Stdin::Bytes(b) => b.to_vec(),
            Stdin::Pattern(n) => pattern_input(*n),
            Stdin::File(f) => {
                let path = inputs_dir.join(f);
                std::fs::read(&path).with_context(|| format!("reading input {}", path.display()))?
            }
        })
    }
}

/// Deterministic multi-line text of exactly `n` bytes.
pub fn pattern_input(n: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(n + 64);
    let mut i = 0u64;
    while v.len() < n {
        let line = format!("{i:06} {}\n", "0123456789abcdefghijklmnopqrstuvwxyz".repeat((i % 4 + 1) as usize));
        v.extend_from_slice(line.as_bytes());
        i += 1;
    }
    v.truncate(n);
    v
}

/// A case description in the table below.
struct Spec {
    name: &'static str,
    program: &'static str,
    args: Vec<String>,
    env: &'static [(&'static str, &'static str)],
    stdin: Stdin,
    status: i32,
    extras: &'static [Extra],
    /// Extra variants beyond musl and glibc.
    pie: bool,
}

fn spec(name: &'static str, program: &'static str) -> Spec {
    Spec { name, program, args: Vec::new(), env: &[], stdin: Stdin::Empty, status: 0, extras: &[], pie: false }
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

const SIGSEGV: i32 = 128 + 11;
const SIGILL: i32 = 128 + 4;
const SIGFPE: i32 = 128 + 8;

/// Environment shared by the argv/env cases: empty values, `=` in values, spaces, UTF-8.
const ARGS_ENV: &[(&str, &str)] = &[
    ("COMPAT_EMPTY", ""),
    ("COMPAT_EQ", "a=b=c"),
    ("COMPAT_GREETING", "hello from the runner"),
    ("COMPAT_SPACES", "  two  spaces  "),
    ("COMPAT_UTF8", "h\u{e9}llo \u{2603}"),
    ("HOME", "/nonexistent-home"),
    ("PATH", "/usr/bin:/bin"),
];

/// Environment of the procfs case (compared with /proc/self/environ).
const PROCFS_ENV: &[(&str, &str)] = &[("COMPAT_PROC", "x=y"), ("PATH", "/usr/bin:/bin")];

fn specs() -> Vec<Spec> {
    let long_arg = "L".repeat(1000);
    let many: Vec<String> = (0..100).map(|i| format!("arg{i}")).collect();
    vec![
        Spec { pie: true, ..spec("hello", "hello") },
        Spec { args: args(&["return", "42"]), status: 42, ..spec("exit42", "exit") },
        Spec { args: args(&["return", "0"]), ..spec("exit0", "exit") },
        Spec { args: args(&["exit", "3"]), status: 3, ..spec("exit-atexit", "exit") },
        Spec { args: args(&["exit", "-1"]), status: 255, ..spec("exit-minus1", "exit") },
        Spec { args: args(&["group", "300"]), status: 300 & 0xff, ..spec("exit-group-300", "exit") },
        Spec { args: args(&["thread", "7"]), status: 7, ..spec("exit-thread", "exit") },
        Spec {
            args: args(&["null-read"]),
            status: SIGSEGV,
            extras: &[Extra::CrashReportAddress(0)],
            ..spec("fault-null-read", "fault")
        },
        Spec {
            args: args(&["null-write"]),
            status: SIGSEGV,
            extras: &[Extra::CrashReportAddress(0x1238)],
            ..spec("fault-null-write", "fault")
        },
        Spec {
            args: args(&["null-exec"]),
            status: SIGSEGV,
            extras: &[Extra::CrashReportAddress(0)],
            ..spec("fault-null-exec", "fault")
        },
        Spec {
            args: args(&["noncanonical"]),
            status: SIGSEGV,
            extras: &[Extra::CrashReport],
            ..spec("fault-noncanonical", "fault")
        },
        Spec { args: args(&["ud2"]), status: SIGILL, extras: &[Extra::CrashReport], ..spec("fault-ud2", "fault") },
        Spec { args: args(&["div0"]), status: SIGFPE, extras: &[Extra::CrashReport], ..spec("fault-div0", "fault") },
        Spec {
            args: args(&["stack-overflow"]),
            status: SIGSEGV,
            extras: &[Extra::CrashReport],
            ..spec("fault-stack-overflow", "fault")
        },
        Spec {
            stdin: Stdin::File("console.txt"),
            extras: &[Extra::SameStderr],
            ..spec("console", "console")
        },
        Spec { stdin: Stdin::Pattern(300_000), extras: &[Extra::SameStderr], ..spec("console-300k", "console") },
        Spec { stdin: Stdin::Empty, extras: &[Extra::SameStderr], ..spec("console-empty", "console") },
        Spec { stdin: Stdin::File("console.txt"), extras: &[Extra::SameStderr], ..spec("stdio", "stdio") },
        Spec { stdin: Stdin::Bytes(b"0123456789abcdef\n"), ..spec("errno", "errno") },
        Spec {
            stdin: Stdin::Bytes(b"0123456789012345678901234567890123456789012345678901234567890123"),
            ..spec("partial", "partial")
        },
        Spec {
            args: args(&["alpha", "with space", "x=y", "tab\there", "new\nline", "\u{fc}nic\u{f6}de", &long_arg]),
            env: ARGS_ENV,
            ..spec("args", "args")
        },
        Spec { args: args(&["", "between empties", ""]), ..spec("args-empty", "args") },
        Spec { args: many, ..spec("args-100", "args") },
        Spec { ..spec("args-none", "args") },
        Spec { pie: true, ..spec("auxv", "auxv") },
        Spec { args: args(&["one", "two words", ""]), env: PROCFS_ENV, ..spec("procfs", "procfs") },
    ]
}

/// Busybox applet cases: (name, argv after `busybox`, stdin, expected status).
fn busybox_cases() -> Vec<(&'static str, Vec<&'static str>, Stdin, i32)> {
    vec![
        ("echo", vec!["echo", "hello", "world"], Stdin::Empty, 0),
        ("echo-n", vec!["echo", "-n", "no newline"], Stdin::Empty, 0),
        ("echo-e", vec!["echo", "-e", "tab\\there\\nnext"], Stdin::Empty, 0),
        ("seq", vec!["seq", "1", "5"], Stdin::Empty, 0),
        ("seq-step", vec!["seq", "10", "-3", "-5"], Stdin::Empty, 0),
        ("seq-1000", vec!["seq", "1000"], Stdin::Empty, 0),
        ("printf", vec!["printf", "%s-%d\\n", "a", "5"], Stdin::Empty, 0),
        ("printf-formats", vec!["printf", "%x %o %5.2f|%-6s|%c\\n", "255", "8", "3.14159", "ab", "xyz"], Stdin::Empty, 0),
        ("expr-mul", vec!["expr", "6", "*", "7"], Stdin::Empty, 0),
        ("expr-false", vec!["expr", "1", "=", "2"], Stdin::Empty, 1),
        ("expr-length", vec!["expr", "length", "hello"], Stdin::Empty, 0),
        ("expr-error", vec!["expr", "1", "+"], Stdin::Empty, 2),
        ("true", vec!["true"], Stdin::Empty, 0),
        ("false", vec!["false"], Stdin::Empty, 1),
        ("basename", vec!["basename", "/a/b/c.txt", ".txt"], Stdin::Empty, 0),
        ("basename-dir", vec!["basename", "/usr/lib/"], Stdin::Empty, 0),
        ("cat-stdin", vec!["cat"], Stdin::File("console.txt"), 0),
        ("env", vec!["env"], Stdin::Empty, 0),
    ]
}

/// Where Debian's busybox-static lives.
pub const BUSYBOX: &str = "/bin/busybox";

/// All cases, given the C programs present in `c_dir` and the wall-clock second the runner
/// started (passed to the time case so the guest's clock is checked against the host's).
pub fn all_cases(c_dir: &Path, now_secs: u64) -> Result<Vec<Case>> {
    let programs = c_programs(c_dir)?;
    let specs = specs();
    for s in &specs {
        if !programs.contains(s.program) {
            bail!("case `{}` needs {}/{}.c, which does not exist", s.name, c_dir.display(), s.program);
        }
    }
    let mut named: Vec<Spec> = Vec::new();
    for p in &programs {
        let mine: Vec<&Spec> = specs.iter().filter(|s| s.program == p).collect();
        if mine.is_empty() {
            let name: &'static str = Box::leak(p.clone().into_boxed_str());
            named.push(spec(name, name));
        }
    }
    named.extend(specs);
    // stable, readable order: by program, then as listed
    named.sort_by(|a, b| a.program.cmp(b.program));

    let mut cases = Vec::new();
    for variant in Variant::BUILT {
        for s in &named {
            if variant == Variant::GlibcPie && !s.pie {
                continue;
            }
            let mut env: Vec<(String, String)> =
                s.env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            if s.program == "time" {
                env.push(("COMPAT_NOW".to_string(), now_secs.to_string()));
            }
            cases.push(Case {
                variant,
                name: s.name.to_string(),
                program: Program::C(s.program.to_string()),
                args: s.args.clone(),
                env,
                stdin: s.stdin.clone(),
                host_status: s.status,
                extras: s.extras.to_vec(),
                root: None,
            });
        }
    }
    for (name, args, stdin, status) in busybox_cases() {
        let env = if name == "env" {
            ARGS_ENV.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        } else {
            Vec::new()
        };
        cases.push(Case {
            variant: Variant::Busybox,
            name: name.to_string(),
            program: Program::External(PathBuf::from(BUSYBOX)),
            args: args.iter().map(|a| a.to_string()).collect(),
            env,
            stdin,
            host_status: status,
            extras: Vec::new(),
            root: None,
        });
    }
    cases.extend(crate::apps::cases());
    let mut seen = BTreeSet::new();
    for c in &cases {
        if !seen.insert(c.id()) {
            bail!("duplicate case id {}", c.id());
        }
    }
    Ok(cases)
}

/// Names of the C programs (`<name>.c`) in `c_dir`, sorted.
pub fn c_programs(c_dir: &Path) -> Result<BTreeSet<String>> {
    let mut set = BTreeSet::new();
    let dir = std::fs::read_dir(c_dir).with_context(|| format!("listing {}", c_dir.display()))?;
    for entry in dir {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "c")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            set.insert(stem.to_string());
        }
    }
    if set.is_empty() {
        bail!("no C programs in {}", c_dir.display());
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("c")
    }

    #[test]
    fn table_is_consistent() {
        let cases = all_cases(&c_dir(), 1_700_000_000).unwrap();
        let ids: Vec<String> = cases.iter().map(Case::id).collect();
        for id in ["musl/hello", "glibc/hello", "glibc-pie/hello", "musl/exit42", "glibc/fault-null-read",
            "busybox/echo", "busybox/expr-false", "musl/mmap", "glibc/time", "musl/files", "glibc/procfs"]
        {
            assert!(ids.iter().any(|i| i == id), "missing {id}");
        }
        // every C program runs under both libcs
        for p in c_programs(&c_dir()).unwrap() {
            for v in ["musl", "glibc"] {
                assert!(
                    cases.iter().any(|c| c.variant.name() == v && c.program == Program::C(p.clone())),
                    "{v}/{p} has no case"
                );
            }
        }
        let exit42 = cases.iter().find(|c| c.id() == "musl/exit42").unwrap();
        assert_eq!(exit42.host_status, 42);
        let time = cases.iter().find(|c| c.id() == "glibc/time").unwrap();
        assert_eq!(time.env, vec![("COMPAT_NOW".to_string(), "1700000000".to_string())]);
    }

    #[test]
    fn pattern_input_is_exact_and_deterministic() {
        let a = pattern_input(1000);
        assert_eq!(a.len(), 1000);
        assert_eq!(a, pattern_input(1000));
        assert!(a.starts_with(b"000000 0123"));
        assert!(pattern_input(0).is_empty());
    }

    #[test]
    fn stdin_from_inputs_dir() {
        let inputs = Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs");
        let cases = all_cases(&c_dir(), 0).unwrap();
        let console = cases.iter().find(|c| c.id() == "musl/console").unwrap();
        let bytes = console.stdin_bytes(&inputs).unwrap();
        assert!(bytes.starts_with(b"The quick brown fox"));
        let errno = cases.iter().find(|c| c.id() == "glibc/errno").unwrap();
        assert_eq!(errno.stdin_bytes(&inputs).unwrap(), b"0123456789abcdef\n");
    }

    #[test]
    fn binary_paths() {
        let cases = all_cases(&c_dir(), 0).unwrap();
        let hello = cases.iter().find(|c| c.id() == "glibc-pie/hello").unwrap();
        assert_eq!(hello.binary(Path::new("/t")), PathBuf::from("/t/glibc-pie/hello"));
        let echo = cases.iter().find(|c| c.id() == "busybox/echo").unwrap();
        assert_eq!(echo.binary(Path::new("/t")), PathBuf::from(BUSYBOX));
    }
}
