//! Running one case twice, natively (the oracle) and under `elfin run`, and judging the pair.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Result;

use crate::cases::{Case, Extra};
use crate::compare::{self, Outcome};
use crate::exec::{self, RunOutput};

/// Settings shared by every case.
#[derive(Debug, Clone)]
pub struct Config {
    pub elfin: PathBuf,
    /// Extra arguments after `elfin run` (e.g. `--no-kvm`).
    pub elfin_args: Vec<String>,
    pub build_dir: PathBuf,
    pub inputs_dir: PathBuf,
    pub host_timeout: Duration,
    pub elfin_timeout: Duration,
}

/// The judgement of one case before the skip list is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// One-line summary, then details (diff, stderr) for the log.
    Fail { summary: String, details: String },
}

/// The command line for the host run: the binary itself, an empty environment plus the
/// case's variables, `/` as working directory (Elfin's guest starts there too).
pub fn host_command(case: &Case, binary: &Path) -> Command {
    let mut cmd = Command::new(binary);
    cmd.args(&case.args).env_clear().envs(case.env.iter().map(|(k, v)| (k, v))).current_dir("/");
    cmd
}

/// The arguments of `elfin run` for a case: `run [ELFIN_ARGS] [--env K=V]... [--] BINARY ARGS`.
/// `--` is added only when an app argument starts with `-`, so the CLI cannot take it for one
/// of its own options.
pub fn elfin_argv(case: &Case, binary: &Path, elfin_args: &[String]) -> Vec<String> {
    let mut v = vec!["run".to_string()];
    v.extend(elfin_args.iter().cloned());
    for (k, val) in &case.env {
        v.push("--env".to_string());
        v.push(format!("{k}={val}"));
    }
    if case.args.iter().any(|a| a.starts_with('-')) {
        v.push("--".to_string());
    }
    v.push(binary.to_string_lossy().into_owned());
    v.extend(case.args.iter().cloned());
    v
}

/// Runs the case on the host, then under Elfin, and judges.
pub fn run_case(case: &Case, cfg: &Config) -> Verdict {
    match try_run_case(case, cfg) {
        Ok(v) => v,
        Err(e) => Verdict::Fail { summary: format!("runner error: {e:#}"), details: String::new() },
    }
}

fn try_run_case(case: &Case, cfg: &Config) -> Result<Verdict> {
    let binary = case.binary(&cfg.build_dir);
    if !binary.exists() {
        let hint = match case.variant {
            crate::cases::Variant::Busybox => " (run `make setup`)",
            crate::cases::Variant::Apps => " (run `make apps`)",
            _ => "",
        };
        return Ok(fail(format!("missing binary {}{hint}", binary.display()), String::new()));
    }
    let stdin = case.stdin_bytes(&cfg.inputs_dir)?;
    let staged = case.root.as_ref().map(|t| crate::apps::stage(t, &cfg.inputs_dir)).transpose()?;
    let mut host_cmd = host_command(case, &binary);
    let mut elfin_args = cfg.elfin_args.clone();
    if let Some(s) = &staged {
        host_cmd.current_dir(s.host_cwd());
        elfin_args.extend(["--root".to_string(), s.guest_root().to_string_lossy().into_owned()]);
    }
    let host = exec::run(host_cmd, stdin.clone(), cfg.host_timeout)?;
    let mut elfin_cmd = Command::new(&cfg.elfin);
    elfin_cmd.args(elfin_argv(case, &binary, &elfin_args));
    let elfin = exec::run(elfin_cmd, stdin, cfg.elfin_timeout)?;
    Ok(judge(case, &host, &elfin))
}

fn fail(summary: String, details: String) -> Verdict {
    Verdict::Fail { summary, details }
}

/// Compares the two runs of a case. Pure: unit-tested with synthetic outputs.
pub fn judge(case: &Case, host: &RunOutput, elfin: &RunOutput) -> Verdict {
    // The oracle first: a host run that is not what the case expects means the test itself
    // (or the host) is broken, and comparing Elfin against it would prove nothing.
    if host.outcome != Outcome::Exited(case.host_status) {
        return fail(
            format!("host oracle: expected exit status {}, got {}", case.host_status, host.outcome),
            format!("host stderr:\n{}", indent(&compare::tail(&host.stderr, 10))),
        );
    }
    let mut problems = Vec::new();
    let mut details = Vec::new();
    match elfin.outcome {
        Outcome::TimedOut => problems.push(format!("elfin timed out after {:.0?}", elfin.elapsed)),
        Outcome::Exited(125) if case.host_status != 125 => {
            problems.push("elfin failed on the host side (status 125)".to_string())
        }
        Outcome::Exited(s) if s != case.host_status => {
            problems.push(format!("exit status: host {} vs elfin {}", host.outcome, elfin.outcome))
        }
        Outcome::Exited(_) => {}
    }
    let (host_out, elfin_out) = if case.extras.contains(&Extra::UnorderedLines) {
        (crate::apps::sorted_lines(&host.stdout), crate::apps::sorted_lines(&elfin.stdout))
    } else {
        (host.stdout.clone(), elfin.stdout.clone())
    };
    if let Some(d) = compare::first_difference(&host_out, &elfin_out) {
        problems.push(d);
        details.push(format!(
            "stdout diff (- host, + elfin{}):\n{}",
            if host_out == host.stdout { "" } else { ", lines sorted" },
            indent(&compare::render_diff(&host_out, &elfin_out, 2, 40))
        ));
    }
    let elfin_err = String::from_utf8_lossy(&elfin.stderr);
    for extra in &case.extras {
        match extra {
            Extra::SameStderr => {
                if host.stderr != elfin.stderr {
                    problems.push("stderr differs".to_string());
                    details.push(format!(
                        "stderr diff (- host, + elfin):\n{}",
                        indent(&compare::render_diff(&host.stderr, &elfin.stderr, 2, 20))
                    ));
                }
            }
            Extra::CrashReportAddress(addr) => {
                if !compare::mentions_address(&elfin_err, *addr) {
                    problems.push(format!("no crash report naming fault address {addr:#x} on elfin's stderr"));
                }
            }
            Extra::CrashReport => {
                if elfin_err.trim().is_empty() {
                    problems.push("no crash report on elfin's stderr".to_string());
                }
            }
            Extra::UnorderedLines => {}
        }
    }
    if problems.is_empty() {
        return Verdict::Pass;
    }
    if !elfin.stderr.is_empty() {
        details.push(format!("elfin stderr (last lines):\n{}", indent(&compare::tail(&elfin.stderr, 12))));
    }
    fail(problems.join("; "), details.join("\n"))
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Program, Stdin, Variant};

    fn case(status: i32, extras: Vec<Extra>) -> Case {
        Case {
            variant: Variant::Musl,
            name: "t".into(),
            program: Program::C("t".into()),
            args: vec!["a".into()],
            env: vec![("K".into(), "V=1".into())],
            stdin: Stdin::Empty,
            host_status: status,
            extras,
            root: None,
        }
    }

    fn out(status: i32, stdout: &str, stderr: &str) -> RunOutput {
        RunOutput {
            outcome: Outcome::Exited(status),
            stdout: stdout.as_bytes().to_vec(),
            stderr: stderr.as_bytes().to_vec(),
            elapsed: Duration::from_millis(5),
        }
    }

    fn summary(v: Verdict) -> String {
        match v {
            Verdict::Pass => "PASS".into(),
            Verdict::Fail { summary, .. } => summary,
        }
    }

    #[test]
    fn same_output_passes() {
        let c = case(0, vec![]);
        assert_eq!(judge(&c, &out(0, "a\n", "x"), &out(0, "a\n", "different stderr is fine")), Verdict::Pass);
    }

    #[test]
    fn stdout_difference_fails_with_first_line() {
        let c = case(0, vec![]);
        let s = summary(judge(&c, &out(0, "a\nb\n", ""), &out(0, "a\nc\n", "")));
        assert_eq!(s, r#"stdout line 2: host "b" vs elfin "c""#);
    }

    #[test]
    fn status_difference_fails() {
        let c = case(42, vec![]);
        let s = summary(judge(&c, &out(42, "", ""), &out(0, "", "")));
        assert_eq!(s, "exit status: host 42 vs elfin 0");
    }

    #[test]
    fn broken_oracle_is_reported() {
        let c = case(0, vec![]);
        let s = summary(judge(&c, &out(1, "", "boom"), &out(1, "", "")));
        assert!(s.starts_with("host oracle: expected exit status 0, got 1"), "{s}");
    }

    #[test]
    fn host_side_failure_and_timeout() {
        let c = case(0, vec![]);
        let s = summary(judge(&c, &out(0, "", ""), &out(125, "", "qemu-system-x86_64: not found")));
        assert!(s.contains("host side"), "{s}");
        let mut t = out(0, "", "");
        t.outcome = Outcome::TimedOut;
        assert!(summary(judge(&c, &out(0, "", ""), &t)).contains("timed out"));
    }

    #[test]
    fn crash_report_checks() {
        let c = case(139, vec![Extra::CrashReportAddress(0x1238)]);
        let host = out(139, "about to fault\n", "");
        let good = out(139, "about to fault\n", "elfin: SIGSEGV: page fault at 0x1238, rip 0x401136\n");
        assert_eq!(judge(&c, &host, &good), Verdict::Pass);
        let vague = out(139, "about to fault\n", "elfin: crashed\n");
        assert!(summary(judge(&c, &host, &vague)).contains("fault address 0x1238"));
        let c = case(132, vec![Extra::CrashReport]);
        assert!(summary(judge(&c, &out(132, "", ""), &out(132, "", " \n"))).contains("no crash report"));
        assert_eq!(judge(&c, &out(132, "", ""), &out(132, "", "invalid opcode at 0x401000\n")), Verdict::Pass);
    }

    #[test]
    fn stderr_comparison_when_asked() {
        let c = case(0, vec![Extra::SameStderr]);
        assert_eq!(judge(&c, &out(0, "o\n", "e\n"), &out(0, "o\n", "e\n")), Verdict::Pass);
        assert_eq!(summary(judge(&c, &out(0, "o\n", "e\n"), &out(0, "o\n", "E\n"))), "stderr differs");
    }

    #[test]
    fn unordered_lines_compare_as_sets() {
        let c = case(0, vec![Extra::UnorderedLines]);
        assert_eq!(judge(&c, &out(0, "a\nb\n", ""), &out(0, "b\na\n", "")), Verdict::Pass);
        let s = summary(judge(&c, &out(0, "a\nb\n", ""), &out(0, "b\nc\n", "")));
        assert_eq!(s, r#"stdout line 1: host "a" vs elfin "b""#);
        assert!(summary(judge(&case(0, vec![]), &out(0, "a\nb\n", ""), &out(0, "b\na\n", ""))).starts_with("stdout"));
    }

    #[test]
    fn several_problems_are_joined() {
        let c = case(0, vec![]);
        let s = summary(judge(&c, &out(0, "a\n", ""), &out(1, "b\n", "")));
        assert_eq!(s, r#"exit status: host 0 vs elfin 1; stdout line 1: host "a" vs elfin "b""#);
    }

    #[test]
    fn elfin_command_line() {
        let c = case(0, vec![]);
        let argv = elfin_argv(&c, Path::new("/b/prog"), &["--no-kvm".to_string()]);
        assert_eq!(argv, ["run", "--no-kvm", "--env", "K=V=1", "/b/prog", "a"]);
        let mut c2 = case(0, vec![]);
        c2.args = vec!["-n".into(), "x".into()];
        c2.env.clear();
        assert_eq!(elfin_argv(&c2, Path::new("/b/p"), &[]), ["run", "--", "/b/p", "-n", "x"]);
    }

    #[test]
    fn host_command_is_clean() {
        let c = case(0, vec![]);
        let cmd = host_command(&c, Path::new("/b/prog"));
        assert_eq!(cmd.get_program(), "/b/prog");
        assert_eq!(cmd.get_args().collect::<Vec<_>>(), ["a"]);
        assert_eq!(cmd.get_current_dir(), Some(Path::new("/")));
        let envs: Vec<_> = cmd.get_envs().collect();
        assert_eq!(envs.len(), 1);
    }
}
