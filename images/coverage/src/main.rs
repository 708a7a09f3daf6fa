//! `elfin-coverage`: the syscall coverage report of Elfin against Debian applications
//! (issue 7). `make coverage` runs it after `make docs`; see images/coverage/README.md.
#![forbid(unsafe_code)]

use anyhow::Result;
use clap::Parser;
use elfin_coverage::{pipeline, popcon::Popcon, report, table::Table};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "elfin-coverage", about = "Syscall coverage of Debian applications against Elfin's syscall table")]
struct Args {
    /// Application list (packages, executables, workloads).
    #[arg(long, default_value = "images/coverage/apps.toml")]
    apps: PathBuf,
    /// Elfin's machine-readable syscall table (written by `make docs`).
    #[arg(long, default_value = "docs/syscalls.json")]
    table: PathBuf,
    /// Output directory for README.md, coverage.json, coverage.csv and the heatmaps.
    #[arg(long, default_value = "docs/coverage")]
    out: PathBuf,
    /// Download and extraction cache.
    #[arg(long, default_value = "target/coverage-cache")]
    cache: PathBuf,
    /// Directory of the workload scripts.
    #[arg(long, default_value = "images/coverage/workloads")]
    workloads: PathBuf,
    /// popcon install counts in Debian's by_inst format, for Tsai et al.'s metrics.
    #[arg(long)]
    popcon: Option<PathBuf>,
    /// Skip the strace workloads (static analysis only).
    #[arg(long)]
    no_dynamic: bool,
    /// Analyse only these applications (by name; repeatable).
    #[arg(long)]
    only: Vec<String>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let table = Table::load(&args.table)?;
    let popcon = args.popcon.as_ref().map(|p| Popcon::load(p)).transpose()?;
    let opts = pipeline::Options {
        apps: args.apps.clone(),
        workloads: args.workloads.clone(),
        cache: args.cache.clone(),
        dynamic: !args.no_dynamic,
        only: args.only.clone(),
    };
    let run = pipeline::run(&opts, &table)?;
    let popcon_path = args.popcon.as_ref().map(|p| p.display().to_string());
    let inputs = report::Inputs {
        table_path: &args.table.display().to_string(),
        apps_path: &args.apps.display().to_string(),
        popcon: popcon_path.as_deref().zip(popcon.as_ref()),
    };
    report::write(&args.out, &run, &table, &inputs)?;
    let traced = run.apps.iter().filter(|a| a.dynamic.is_some()).count();
    println!("coverage: {} applications, {} traced; report in {}", run.apps.len(), traced, args.out.join("README.md").display());
    Ok(())
}
