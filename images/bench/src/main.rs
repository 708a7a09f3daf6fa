//! `elfin-bench`: Elfin vs a Linux guest under the same QEMU vs native, in one run
//! (issue 8; `make bench`, `make bench-quick`).
//!
//! ```text
//! elfin-bench [--quick] [--out DIR] [--elfin PATH] [--commit TEXT]
//! ```
//! `--elfin` picks the CLI (default `target/release/elfin`; the kernel is `$ELFIN_KERNEL` or
//! the one in `target/`), `--commit` the Elfin version named in the report (default: the
//! repository's HEAD).
//! Writes `DIR/README.md` (table, targets, notes), `DIR/results.json` (raw samples) and
//! `DIR/plot.svg`; default DIR `docs/bench`. `--quick` does a small version of every
//! measurement (CI keeps the harness working with it; it asserts no timing). Exit status 1 when
//! a peer did not run what it should (breakage), 0 otherwise.
//!
//! Modules: `setup` (host facts, programs, the Linux kernel), `peers` (starting each peer),
//! `exec` (one timed process), `suites` (the measurements), `summary` (targets, notes, the
//! report). The pure parts are the `elfin_bench` library.

#![forbid(unsafe_code)]

mod exec;
mod peers;
mod setup;
mod suites;
mod summary;

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use elfin_bench::parse;

use crate::suites::{Bench, Config, Facts};

struct Args {
    quick: bool,
    commit: Option<String>,
    out: PathBuf,
    elfin: PathBuf,
}

fn parse_args() -> Result<Args> {
    let root = setup::repo_root();
    let mut args = Args {
        quick: false,
        commit: None,
        out: root.join("docs/bench"),
        elfin: root.join("target/release/elfin"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.quick = true,
            "--out" => args.out = it.next().context("--out needs a directory")?.into(),
            "--elfin" => args.elfin = it.next().context("--elfin needs a path")?.into(),
            "--commit" => args.commit = Some(it.next().context("--commit needs a text")?),
            "-h" | "--help" => {
                println!("usage: elfin-bench [--quick] [--out DIR] [--elfin PATH] [--commit TEXT]");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("elfin-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args = parse_args()?;
    let started = Instant::now();
    let cfg = if args.quick {
        Config::quick()
    } else {
        Config::full()
    };
    let root = setup::repo_root();
    let work = root
        .join("target/bench")
        .join(if cfg.quick { "quick" } else { "full" });
    fs::create_dir_all(&work)?;
    fs::create_dir_all(&args.out)?;
    let load_before = setup::loadavg();

    setup::apt_install(&["qemu-system-x86", "musl-tools", "xz-utils"])?;
    let progs = setup::build_programs(&work).context("building the probe programs")?;
    let tsc_text = setup::output(&mut std::process::Command::new(&progs.tsc_khz))?;
    let tsc_khz = parse::tsc_khz(&tsc_text).context("measuring the host TSC frequency")?;
    let host = setup::Host::probe(tsc_khz)?;
    let linux = setup::linux_kernel(&root.join("target/bench"))
        .context("preparing the Linux guest's kernel")?;
    let elfin_kernel = std::env::var_os("ELFIN_KERNEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/x86_64-unknown-none/release/elfin-kernel"));
    if !args.elfin.is_file() || !elfin_kernel.is_file() {
        bail!(
            "{} or {} missing: run `make build` first",
            args.elfin.display(),
            elfin_kernel.display()
        );
    }
    eprintln!(
        "bench: {} mode, accelerator {}, TSC {} kHz, Linux guest {}, load {}",
        if cfg.quick { "quick" } else { "full" },
        host.accel.name(),
        tsc_khz,
        linux.version,
        load_before
    );
    let peers = peers::Peers::new(
        args.elfin.clone(),
        elfin_kernel,
        host.accel,
        linux.vmlinux.clone(),
        tsc_khz,
        work,
    )?;
    let mut bench = Bench {
        cfg: cfg.clone(),
        peers,
        progs,
        vmlinuz: linux.vmlinuz.clone(),
        rows: vec![],
        facts: Facts::default(),
        raw: vec![],
        errors: vec![],
    };
    bench.suite("cold start", Bench::cold_start);
    bench.suite("syscall cost", Bench::syscalls);
    bench.suite("memory", Bench::memory);
    bench.suite("image size", Bench::image_size);
    bench.suite("sqlite", Bench::sqlite);
    bench.servers();

    let run_info = summary::RunInfo {
        host,
        linux_version: linux.version,
        commit: args.commit.clone().unwrap_or_else(setup::commit),
        date: setup::now_utc(),
        load_before,
        load_after: setup::loadavg(),
        seconds: started.elapsed().as_secs_f64(),
        quick: cfg.quick,
    };
    let report = summary::report(&bench, &run_info);
    let md = elfin_bench::report::markdown(&report);
    fs::write(args.out.join("README.md"), &md)?;
    fs::write(args.out.join("plot.svg"), elfin_bench::report::svg(&report))?;
    fs::write(
        args.out.join("results.json"),
        summary::json(&bench, &report, &run_info).to_pretty() + "\n",
    )?;
    println!("{md}");
    println!(
        "bench: wrote {} (README.md, results.json, plot.svg) in {:.0} s",
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    suites::finish(&bench.errors)
}
