//! `docs/syscalls.md` and `docs/syscalls.json`, generated from the syscall table
//! (`elfin_syscall::TABLE`, the list of every Linux syscall) and from what the suite's programs
//! really call: each musl case runs on the host under `strace`, and a syscall is "covered" by
//! the programs that made it. `--docs` writes both files; `--check-docs` fails when the
//! committed ones differ from what would be generated.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use elfin_syscall::Status;
use elfin_syscall::linux_names::LINUX_SYSCALLS;

use crate::cases::{Case, Program, Variant};

/// Syscall name -> the suite programs that made it.
pub type Coverage = BTreeMap<String, BTreeSet<String>>;

/// The syscall names in an `strace -f -o` trace (lines `PID name(args...) = ret`).
pub fn names_in_trace(trace: &str) -> BTreeSet<String> {
    trace
        .lines()
        .filter_map(|l| {
            let rest = l.trim_start().trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
            let name = rest.split('(').next()?;
            (rest.contains('(') && !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'))
                .then(|| name.to_string())
        })
        // Unnamed numbers, and the execve strace itself makes to start the program.
        .filter(|n| !n.starts_with("syscall_") && n != "execve")
        .collect()
}

/// Run every musl C case on the host under strace and collect what each program calls.
pub fn coverage(cases: &[Case], build_dir: &Path, inputs_dir: &Path, tmp: &Path) -> Result<Coverage> {
    if crate::compile::find_in_path("strace").is_none() {
        bail!("`strace` is not installed: run `make setup`");
    }
    let mut cov = Coverage::new();
    for case in cases.iter().filter(|c| c.variant == Variant::Musl) {
        let Program::C(program) = &case.program else { continue };
        let trace = tmp.join(format!("{}.trace", case.name));
        let stdin = case.stdin_bytes(inputs_dir)?;
        let mut cmd = Command::new("strace");
        cmd.arg("-f").arg("-qq").arg("-o").arg(&trace).arg("--").arg(case.binary(build_dir)).args(&case.args);
        cmd.env_clear().envs(case.env.iter().map(|(k, v)| (k, v))).current_dir("/");
        cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = cmd.spawn().context("starting strace")?;
        if let Some(mut s) = child.stdin.take() {
            use std::io::Write;
            let _ = s.write_all(&stdin);
        }
        child.wait().context("waiting for strace")?;
        let text = std::fs::read_to_string(&trace).with_context(|| format!("reading {}", trace.display()))?;
        for name in names_in_trace(&text) {
            cov.entry(name).or_default().insert(program.clone());
        }
    }
    Ok(cov)
}

fn status_of(nr: u32) -> (&'static str, &'static str) {
    match elfin_syscall::table::entry(nr as u64).map(|e| e.status) {
        Some(Status::Full) => ("implemented", ""),
        Some(Status::Partial(missing)) => ("partial", missing),
        None => ("ENOSYS", ""),
    }
}

/// The two documents, from the table and the coverage.
pub fn render(cov: &Coverage) -> (String, String) {
    let total = LINUX_SYSCALLS.len();
    let full = elfin_syscall::TABLE.iter().filter(|e| e.status == Status::Full).count();
    let partial = elfin_syscall::TABLE.len() - full;
    let mut md = String::new();
    md.push_str("# Elfin's syscalls\n\n");
    md.push_str("Generated from the syscall table (`syscall/src/table.rs`) by `make docs`; do not edit.\n");
    md.push_str("`make test` fails when this file is stale. Machine-readable twin: `syscalls.json`.\n\n");
    md.push_str(&format!(
        "Of Linux x86-64's {total} syscalls, Elfin serves {}: {full} implemented with Linux semantics, \
         {partial} partially (what is missing is named). The other {} return `ENOSYS`.\n\n",
        full + partial,
        total - full - partial
    ));
    md.push_str("\"Covered by\" lists the ABI-suite programs (`compat-tests/c/`) that make the call on the host \
                 (seen with strace) and whose output Elfin must reproduce.\n\n");
    md.push_str("| nr | name | status | missing | covered by |\n|---:|---|---|---|---|\n");
    let mut json = Vec::new();
    for &(nr, name) in LINUX_SYSCALLS {
        let (status, missing) = status_of(nr);
        let covered: Vec<String> = cov.get(name).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        md.push_str(&format!("| {nr} | {name} | {status} | {missing} | {} |\n", covered.join(", ")));
        json.push(serde_json::json!({
            "nr": nr,
            "name": name,
            "status": status,
            "missing": if missing.is_empty() { serde_json::Value::Null } else { missing.into() },
            "covered_by": covered,
        }));
    }
    let doc = serde_json::json!({
        "generated_by": "make docs (compat-tests/src/docs.rs) from syscall/src/table.rs",
        "linux_syscalls": total,
        "implemented": full,
        "partial": partial,
        "syscalls": json,
    });
    let mut js = serde_json::to_string_pretty(&doc).unwrap_or_default();
    js.push('\n');
    (md, js)
}

/// Write the documents, or (with `check`) compare them with the committed ones.
pub fn write_or_check(docs_dir: &Path, md: &str, json: &str, check: bool) -> Result<bool> {
    let files = [("syscalls.md", md), ("syscalls.json", json)];
    if !check {
        for (name, text) in files {
            std::fs::write(docs_dir.join(name), text).with_context(|| format!("writing docs/{name}"))?;
            println!("wrote docs/{name}");
        }
        return Ok(true);
    }
    let mut fresh = true;
    for (name, text) in files {
        let committed = std::fs::read_to_string(docs_dir.join(name)).unwrap_or_default();
        if committed != text {
            println!("FAIL docs/{name} is stale: regenerate it with `make docs` and commit it");
            fresh = false;
        } else {
            println!("PASS docs/{name} is up to date");
        }
    }
    Ok(fresh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_lines_give_syscall_names() {
        let t = "123 execve(\"/x\", [\"x\"], 0x7ffc /* 0 vars */) = 0\n\
                 123 arch_prctl(ARCH_SET_FS, 0x4040) = 0\n\
                 123 syscall_0x1ff(0, 0) = -1 ENOSYS (Function not implemented)\n\
                 123 --- SIGSEGV {si_signo=SIGSEGV} ---\n\
                 123 +++ killed by SIGSEGV +++\n\
                 write(1, \"a\", 1) = 1\n";
        let names: Vec<_> = names_in_trace(t).into_iter().collect();
        assert_eq!(names, ["arch_prctl", "write"]);
    }

    #[test]
    fn render_lists_every_linux_syscall_with_status() {
        let mut cov = Coverage::new();
        cov.entry("write".into()).or_default().insert("hello".into());
        let (md, js) = render(&cov);
        // write's row carries the table's own status (it changes as the kernel grows).
        let w = elfin_syscall::TABLE.iter().find(|e| e.name == "write").map(|e| e.status);
        let (word, note) = match w {
            Some(Status::Partial(n)) => ("partial", n),
            _ => ("implemented", ""),
        };
        assert!(md.contains(&format!("| 1 | write | {word} | {note} | hello |")));
        assert!(md.contains("| 231 | exit_group | implemented |  |  |"));
        assert!(md.contains("| 246 | kexec_load | ENOSYS |"));
        let v: serde_json::Value = serde_json::from_str(&js).unwrap();
        assert_eq!(v["syscalls"].as_array().unwrap().len(), LINUX_SYSCALLS.len());
        assert_eq!(v["syscalls"][1]["covered_by"][0], "hello");
    }
}
