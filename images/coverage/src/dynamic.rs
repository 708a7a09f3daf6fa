//! Dynamic analysis: run an application's workload script under `strace -f` and read which
//! syscalls the application's own processes made.
//!
//! A workload script (images/coverage/workloads/NAME.sh) gets `TRACE` (the strace output file
//! to write with `strace -f -qq -o "$TRACE"`) and `WORK` (a scratch directory); it starts the
//! program under strace, makes a few real client requests from outside the trace, and stops
//! it. The trace may also hold processes the program did not become (a shell, a helper it
//! executes): a syscall counts only while its process runs one of the application's
//! executables, followed through `execve` and through `clone`/`fork` to the children.

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// What one trace says about the application.
#[derive(Debug, Clone, Default)]
pub struct Trace {
    /// syscall name -> number of calls made by the application's processes.
    pub calls: BTreeMap<String, u64>,
    /// Shared objects the application opened at run time (dlopen, plugins).
    pub opened_objects: BTreeSet<String>,
    /// Processes that ran one of the application's executables.
    pub processes: usize,
}

#[derive(Debug)]
struct Line<'a> {
    pid: u32,
    /// Name of a syscall starting on this line, or of one resumed.
    name: &'a str,
    resumed: bool,
    /// Text after the name: arguments and result.
    rest: &'a str,
}

fn parse_line(line: &str) -> Option<Line<'_>> {
    let line = line.trim_start();
    let (pid, rest) = line.split_once(|c: char| c.is_whitespace())?;
    let pid: u32 = pid.parse().ok()?;
    let rest = rest.trim_start();
    if let Some(r) = rest.strip_prefix("<... ") {
        let (name, after) = r.split_once(" resumed>")?;
        return Some(Line { pid, name, resumed: true, rest: after });
    }
    let end = rest.find('(')?;
    let name = &rest[..end];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    Some(Line { pid, name, resumed: false, rest: &rest[end..] })
}

/// The result after the last " = " on a completed call line.
fn result(rest: &str) -> Option<i64> {
    if rest.contains("<unfinished ...>") {
        return None;
    }
    // "...) = 0", or "<... x resumed>)   = 0" with padding before the '='.
    let r = rest.rsplit_once(" = ")?.1;
    let tok = r.split_whitespace().next()?;
    if let Some(h) = tok.strip_prefix("0x") { i64::from_str_radix(h, 16).ok() } else { tok.parse().ok() }
}

fn first_string_arg(rest: &str) -> Option<&str> {
    let s = rest.split_once('"')?.1;
    Some(s.split_once('"')?.0)
}

/// Parse an `strace -f` output (pids on each line). `is_app` says whether a path (argument of
/// a successful execve) is one of the application's executables; the first process is the one
/// strace started.
pub fn parse_trace(text: &str, is_app: &dyn Fn(&str) -> bool) -> Trace {
    // Pass 1: per pid, its parent and creation position, and its successful execs.
    let lines: Vec<Option<Line<'_>>> = text.lines().map(parse_line).collect();
    let mut parent: HashMap<u32, (u32, usize)> = HashMap::new();
    let mut execs: HashMap<u32, Vec<(usize, bool)>> = HashMap::new();
    let mut pending_exec: HashMap<u32, (usize, bool)> = HashMap::new();
    let mut first_pid = None;
    for (i, l) in lines.iter().enumerate() {
        let Some(l) = l else { continue };
        first_pid.get_or_insert(l.pid);
        match l.name {
            "execve" | "execveat" => {
                if !l.resumed {
                    let path = first_string_arg(l.rest).unwrap_or("");
                    pending_exec.insert(l.pid, (i, is_app(path)));
                }
                if result(l.rest) == Some(0)
                    && let Some(e) = pending_exec.remove(&l.pid)
                {
                    execs.entry(l.pid).or_default().push((i, e.1));
                }
            }
            "clone" | "clone3" | "fork" | "vfork" => {
                if let Some(child) = result(l.rest).filter(|&r| r > 0) {
                    parent.entry(child as u32).or_insert((l.pid, i));
                }
            }
            _ => {}
        }
    }
    // Is `pid` running an application executable just before line `at`?
    fn runs_app(
        pid: u32,
        at: usize,
        parent: &HashMap<u32, (u32, usize)>,
        execs: &HashMap<u32, Vec<(usize, bool)>>,
        depth: u32,
    ) -> bool {
        if let Some(list) = execs.get(&pid)
            && let Some(&(_, app)) = list.iter().rev().find(|(i, _)| *i < at)
        {
            return app;
        }
        match parent.get(&pid) {
            Some(&(pp, created)) if depth < 64 => runs_app(pp, created, parent, execs, depth + 1),
            _ => false,
        }
    }
    let mut out = Trace::default();
    let mut procs = BTreeSet::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(l) = l else { continue };
        if l.resumed {
            continue;
        }
        if !runs_app(l.pid, i, &parent, &execs, 0) {
            continue;
        }
        procs.insert(l.pid);
        *out.calls.entry(l.name.to_string()).or_default() += 1;
        if matches!(l.name, "openat" | "open")
            && let Some(p) = first_string_arg(l.rest)
            && p.contains(".so")
            && result(l.rest).is_some_and(|r| r >= 0)
        {
            out.opened_objects.insert(p.to_string());
        }
    }
    let _ = first_pid;
    out.processes = procs.len();
    out
}

/// Run a workload script with a time limit; its output goes to `log`.
pub fn run_workload(script: &Path, trace: &Path, work: &Path, log: &Path, limit: Duration) -> Result<()> {
    let _ = std::fs::remove_file(trace);
    std::fs::create_dir_all(work)?;
    let logf = std::fs::File::create(log)?;
    let st = Command::new("timeout")
        .arg("--kill-after=10")
        .arg(limit.as_secs().to_string())
        .arg("bash")
        .arg(script)
        .env("TRACE", trace)
        .env("WORK", work)
        .stdin(std::process::Stdio::null())
        .stdout(logf.try_clone()?)
        .stderr(logf)
        .status()
        .with_context(|| format!("running {}", script.display()))?;
    if !st.success() {
        bail!("{} exited with {st} (log: {})", script.display(), log.display());
    }
    if !trace.exists() {
        bail!("{} wrote no trace", script.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = r#"100 execve("/usr/sbin/app", ["app"], 0x7ffd /* 3 vars */) = 0
100 brk(NULL)                           = 0x55d0
100 openat(AT_FDCWD, "/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY|O_CLOEXEC) = 3
100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD <unfinished ...>
101 getpid()                            = 101
100 <... clone resumed>, child_tidptr=0x7f) = 101
101 execve("/bin/sh", ["sh", "-c", "true"], 0x7ffd /* 3 vars */) = 0
101 newfstatat(AT_FDCWD, "/x", 0x7ff, 0) = -1 ENOENT (No such file or directory)
100 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED} ---
100 wait4(-1, NULL, 0, NULL)            = 101
100 exit_group(0)                       = ?
"#;

    #[test]
    fn follows_exec_and_clone() {
        let t = parse_trace(TRACE, &|p| p == "/usr/sbin/app");
        let names: Vec<&str> = t.calls.keys().map(String::as_str).collect();
        // the launching execve belongs to strace's child; /bin/sh's newfstatat is not the app's;
        // the child's getpid before its execve and the execve of /bin/sh are.
        assert_eq!(names, ["brk", "clone", "execve", "exit_group", "getpid", "openat", "wait4"]);
        assert_eq!(t.calls["execve"], 1);
        assert!(t.opened_objects.contains("/lib/x86_64-linux-gnu/libc.so.6"));
        assert_eq!(t.processes, 2);
    }

    #[test]
    fn results() {
        assert_eq!(result("(NULL) = 0x55d0"), Some(0x55d0));
        assert_eq!(result("(1) = -1 ENOENT (x)"), Some(-1));
        assert_eq!(result("(0) = ?"), None);
        assert_eq!(result(")             = 0"), Some(0));
    }
}
