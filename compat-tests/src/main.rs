//! `elfin-compat`: the ABI regression suite runner.
//!
//! Builds the C programs of `compat-tests/c/` for musl and glibc, runs every case natively on
//! the host (the oracle) and under `elfin run`, compares stdout and exit status (plus per-case
//! extras such as a crash report), applies `compat-tests/skip.txt`, and ends with
//! `N passed, N failed, N skipped`. Exit status: 0 when nothing failed, 1 on failures,
//! 2 when the suite could not run (no elfin, no compiler, bad skip list).
//!
//! ```text
//! cargo run --release -p elfin-compat -- [--elfin PATH] [--filter SUBSTR]... [--jobs N] [--list]
//!     [--timeout SECS] [--skip-file PATH] [--elfin-arg ARG]... [--verbose]
//! ```
//!
//! Modules: `cases` (the table), `apps` (cases with a file tree: busybox on `--root`, sqlite),
//! `compile` (building), `exec` (running a process),
//! `runner` (one case, host vs Elfin), `compare` (pure comparison), `skip` (the skip list).

#![forbid(unsafe_code)]

mod apps;
mod cases;
mod compare;
mod compile;
mod docs;
mod exec;
mod runner;
mod skip;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};

use crate::cases::{Case, Program};
use crate::runner::{Config, Verdict};
use crate::skip::SkipList;

const USAGE: &str = "\
usage: elfin-compat [OPTIONS]

Runs the ABI regression suite: every case natively on the host, then under `elfin run`,
comparing stdout and exit status.

options:
  --elfin PATH       the elfin CLI (default: target/release/elfin in the workspace)
  --filter SUBSTR    only cases whose id (e.g. musl/time) contains SUBSTR; repeatable
  --jobs N           cases run in parallel (default: number of CPUs)
  --list             list the selected case ids and exit
  --timeout SECS     time limit of one elfin run (default: 120)
  --skip-file PATH   the skip list (default: compat-tests/skip.txt)
  --elfin-arg ARG    pass ARG to `elfin run` before the binary; repeatable
  --verbose          also show timings of passing cases
  --docs             write docs/syscalls.md and docs/syscalls.json (no suite run)
  --check-docs       fail when those committed files are stale (no suite run)
  -h, --help         this text
";

#[derive(Debug)]
struct Options {
    elfin: Option<PathBuf>,
    filters: Vec<String>,
    jobs: usize,
    list: bool,
    timeout: Duration,
    skip_file: Option<PathBuf>,
    elfin_args: Vec<String>,
    verbose: bool,
    /// `Some(check)`: generate the syscall docs (or check them) instead of running the suite.
    docs: Option<bool>,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Option<Options>> {
    let mut o = Options {
        elfin: None,
        filters: Vec::new(),
        jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        list: false,
        timeout: Duration::from_secs(120),
        skip_file: None,
        elfin_args: Vec::new(),
        verbose: false,
        docs: None,
    };
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        // accept both `--opt value` and `--opt=value`
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String> {
            match inline.clone().or_else(|| it.next()) {
                Some(v) => Ok(v),
                None => bail!("{name} needs {what}"),
            }
        };
        match name.as_str() {
            "--elfin" => o.elfin = Some(PathBuf::from(value("a path")?)),
            "--filter" => o.filters.push(value("a substring")?),
            "--jobs" | "-j" => {
                let v = value("a number")?;
                o.jobs = v.parse().ok().filter(|&n| n > 0).with_context(|| format!("--jobs: bad number `{v}`"))?;
            }
            "--timeout" => {
                let v = value("seconds")?;
                let secs: u64 = v.parse().ok().filter(|&n| n > 0).with_context(|| format!("--timeout: bad number `{v}`"))?;
                o.timeout = Duration::from_secs(secs);
            }
            "--skip-file" => o.skip_file = Some(PathBuf::from(value("a path")?)),
            "--elfin-arg" => o.elfin_args.push(value("an argument")?),
            "--list" => o.list = true,
            "--verbose" | "-v" => o.verbose = true,
            "--docs" => o.docs = Some(false),
            "--check-docs" => o.docs = Some(true),
            "--help" | "-h" => return Ok(None),
            other => bail!("unknown argument `{other}` (see --help)"),
        }
    }
    Ok(Some(o))
}

/// `compat-tests/` and the workspace root, fixed at build time.
fn compat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn workspace_root() -> PathBuf {
    compat_dir().parent().map(Path::to_path_buf).unwrap_or_else(compat_dir)
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Some(o)) => o,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("elfin-compat: {e:#}");
            return ExitCode::from(2);
        }
    };
    match run(opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("elfin-compat: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Build the musl programs, trace them on the host, and write or check the syscall docs.
fn syscall_docs(all: &[Case], c_dir: &Path, build_dir: &Path, compat: &Path, root: &Path, jobs: usize, check: bool) -> Result<bool> {
    let targets: BTreeSet<compile::Target> = all
        .iter()
        .filter(|c| c.variant == cases::Variant::Musl)
        .filter_map(|c| match &c.program {
            Program::C(p) => Some(compile::Target { variant: c.variant, program: p.clone() }),
            Program::External(_) => None,
        })
        .collect();
    compile::build_all(c_dir, build_dir, &targets.into_iter().collect::<Vec<_>>(), jobs)?;
    let tmp = build_dir.join("traces");
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let cov = docs::coverage(all, build_dir, &compat.join("inputs"), &tmp)?;
    let (md, json) = docs::render(&cov);
    docs::write_or_check(&root.join("docs"), &md, &json, check)
}

/// Final classification of a case after the skip list.
enum Status {
    Pass,
    Fail,
    Skip,
}

fn run(opts: Options) -> Result<bool> {
    let compat = compat_dir();
    let root = workspace_root();
    let c_dir = compat.join("c");
    let build_dir = root.join("target").join("compat");
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);

    let all = cases::all_cases(&c_dir, now)?;
    let selected: Vec<&Case> = all
        .iter()
        .filter(|c| opts.filters.is_empty() || opts.filters.iter().any(|f| c.id().contains(f.as_str())))
        .collect();
    if opts.list {
        for c in &selected {
            println!("{}", c.id());
        }
        return Ok(true);
    }
    if selected.is_empty() {
        bail!("no case matches the filter {:?} (try --list)", opts.filters);
    }
    if let Some(check) = opts.docs {
        return syscall_docs(&all, &c_dir, &build_dir, &compat, &root, opts.jobs, check);
    }

    let elfin = match &opts.elfin {
        Some(p) => p.clone(),
        None => root.join("target").join("release").join("elfin"),
    };
    if !elfin.is_file() {
        bail!(
            "the elfin CLI is not at {}: run `make build` first (or pass --elfin PATH)",
            elfin.display()
        );
    }

    let skip_path = opts.skip_file.clone().unwrap_or_else(|| compat.join("skip.txt"));
    let skips = match std::fs::read_to_string(&skip_path) {
        Ok(text) => SkipList::parse(&text).with_context(|| format!("in {}", skip_path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && opts.skip_file.is_none() => SkipList::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", skip_path.display())),
    };

    // build what the selected cases need
    let targets: BTreeSet<compile::Target> = selected
        .iter()
        .filter_map(|c| match &c.program {
            Program::C(p) => Some(compile::Target { variant: c.variant, program: p.clone() }),
            Program::External(_) => None,
        })
        .collect();
    let targets: Vec<compile::Target> = targets.into_iter().collect();
    let t0 = Instant::now();
    let stats = compile::build_all(&c_dir, &build_dir, &targets, opts.jobs)?;
    if stats.built > 0 {
        println!(
            "built {} C programs ({} up to date) in {:.1}s into {}",
            stats.built,
            stats.up_to_date,
            t0.elapsed().as_secs_f64(),
            build_dir.display()
        );
    }

    let cfg = Config {
        elfin: elfin.clone(),
        elfin_args: opts.elfin_args.clone(),
        build_dir,
        inputs_dir: compat.join("inputs"),
        host_timeout: Duration::from_secs(60),
        elfin_timeout: opts.timeout,
    };
    println!("running {} cases with {} job(s), elfin = {}", selected.len(), opts.jobs, elfin.display());
    std::io::stdout().flush().ok();

    let (mut passed, mut failed, mut skipped) = (0usize, 0usize, 0usize);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Verdict, Duration)>();
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.min(selected.len()) {
            let tx = tx.clone();
            let (next, selected, cfg) = (&next, &selected, &cfg);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = selected.get(i) else { break };
                    let t = Instant::now();
                    let verdict = runner::run_case(case, cfg);
                    if tx.send((i, verdict, t.elapsed())).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        // print in case order as results arrive
        let mut pending: Vec<Option<(Verdict, Duration)>> = vec![None; selected.len()];
        let mut printed = 0;
        for (i, verdict, took) in rx {
            pending[i] = Some((verdict, took));
            while printed < selected.len() {
                let Some((verdict, took)) = pending[printed].take() else { break };
                let case = selected[printed];
                match report(case, verdict, took, &skips, opts.verbose) {
                    Status::Pass => passed += 1,
                    Status::Fail => failed += 1,
                    Status::Skip => skipped += 1,
                }
                std::io::stdout().flush().ok();
                printed += 1;
            }
        }
    });

    // skip entries must name real cases, or the list rots
    for e in &skips.entries {
        if !all.iter().any(|c| e.matches(c.variant.name(), &c.name)) {
            println!(
                "FAIL {}: skip list line {} matches no case (remove it from {})",
                e.pattern(),
                e.line,
                skip_path.display()
            );
            failed += 1;
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    Ok(failed == 0)
}

/// Prints the result line (and details for failures) of one case.
fn report(case: &Case, verdict: Verdict, took: Duration, skips: &SkipList, verbose: bool) -> Status {
    let id = case.id();
    let skip = skips.lookup(case.variant.name(), &case.name);
    match (verdict, skip) {
        (Verdict::Pass, None) => {
            if verbose {
                println!("PASS {id} ({:.2}s)", took.as_secs_f64());
            } else {
                println!("PASS {id}");
            }
            Status::Pass
        }
        (Verdict::Pass, Some(entry)) => {
            println!(
                "FAIL {id}: passes now, remove it from skip.txt (line {}: `{} {}`)",
                entry.line,
                entry.pattern(),
                entry.reason
            );
            Status::Fail
        }
        (Verdict::Fail { summary, details }, None) => {
            println!("FAIL {id}: {summary}");
            if !details.is_empty() {
                println!("{details}");
            }
            Status::Fail
        }
        (Verdict::Fail { summary, .. }, Some(entry)) => {
            println!("SKIP {id}: {} (still failing: {})", entry.reason, compare::clip(&summary, 160));
            Status::Skip
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Option<Options>> {
        parse_args(a.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults() {
        let o = parse(&[]).unwrap().unwrap();
        assert!(o.elfin.is_none() && o.filters.is_empty() && !o.list);
        assert!(o.jobs >= 1);
        assert_eq!(o.timeout, Duration::from_secs(120));
    }

    #[test]
    fn options_with_values() {
        let o = parse(&["--elfin", "/x/elfin", "--filter=musl/", "--filter", "time", "--jobs", "3", "--list",
            "--elfin-arg=--no-kvm", "--timeout", "9", "--skip-file", "s.txt"])
        .unwrap()
        .unwrap();
        assert_eq!(o.elfin, Some(PathBuf::from("/x/elfin")));
        assert_eq!(o.filters, ["musl/", "time"]);
        assert_eq!(o.jobs, 3);
        assert!(o.list);
        assert_eq!(o.elfin_args, ["--no-kvm"]);
        assert_eq!(o.timeout, Duration::from_secs(9));
        assert_eq!(o.skip_file, Some(PathBuf::from("s.txt")));
    }

    #[test]
    fn bad_arguments() {
        assert!(parse(&["--jobs", "0"]).is_err());
        assert!(parse(&["--jobs"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--help"]).unwrap().is_none());
    }

    #[test]
    fn workspace_layout() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(compat_dir().join("c").join("check.h").is_file());
    }
}
