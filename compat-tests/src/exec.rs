//! Running one process: stdin fed from memory through a pipe, stdout and stderr captured,
//! a time limit. The process gets its own process group so that a timeout also kills what
//! it started (the `elfin` CLI starts QEMU).

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::compare::{Outcome, status_code};

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutput {
    pub outcome: Outcome,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
}

/// Runs `cmd` with `stdin` on a pipe, capturing stdout and stderr, killing its process group
/// after `timeout`.
pub fn run(mut cmd: Command, stdin: Vec<u8>, timeout: Duration) -> Result<RunOutput> {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let start = Instant::now();
    let mut child = cmd.spawn().with_context(|| format!("starting {:?}", cmd.get_program()))?;
    let pid = child.id();

    let mut child_stdin = child.stdin.take().expect("stdin is piped");
    let feeder = thread::spawn(move || {
        // The app may exit without reading everything: a broken pipe is not an error here.
        let _ = child_stdin.write_all(&stdin);
    });
    let out_rx = reader(child.stdout.take().expect("stdout is piped"));
    let err_rx = reader(child.stderr.take().expect("stderr is piped"));

    let deadline = start + timeout;
    let mut sleep = Duration::from_millis(1);
    let outcome = loop {
        if let Some(status) = child.try_wait().context("waiting for the child")? {
            break Outcome::Exited(status_code(status));
        }
        if Instant::now() >= deadline {
            kill_group(pid);
            let _ = child.kill();
            let _ = child.wait();
            break Outcome::TimedOut;
        }
        thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    // A grandchild that outlives the child could hold the pipes open: do not wait forever.
    let grace = Duration::from_secs(if outcome == Outcome::TimedOut { 2 } else { 10 });
    let stdout = out_rx.recv_timeout(grace).unwrap_or_default();
    let stderr = err_rx.recv_timeout(grace).unwrap_or_default();
    if outcome != Outcome::TimedOut {
        let _ = feeder.join();
    }
    Ok(RunOutput { outcome, stdout, stderr, elapsed })
}

fn reader(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

/// SIGKILL to the whole process group `pgid` (the child made itself its leader).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("/bin/sh");
        c.args(["-c", script]);
        c
    }

    #[test]
    fn captures_streams_and_status() {
        let r = run(sh("echo out; echo err >&2; exit 3"), Vec::new(), Duration::from_secs(10)).unwrap();
        assert_eq!(r.outcome, Outcome::Exited(3));
        assert_eq!(r.stdout, b"out\n");
        assert_eq!(r.stderr, b"err\n");
    }

    #[test]
    fn feeds_stdin_through_a_pipe() {
        let input = crate::cases::pattern_input(200_000);
        let r = run(sh("cat; [ -p /dev/stdin ] && echo pipe >&2"), input.clone(), Duration::from_secs(10)).unwrap();
        assert_eq!(r.outcome, Outcome::Exited(0));
        assert_eq!(r.stdout, input);
        assert_eq!(r.stderr, b"pipe\n");
    }

    #[test]
    fn unread_stdin_is_fine() {
        let r = run(sh("exit 0"), vec![b'x'; 1 << 20], Duration::from_secs(10)).unwrap();
        assert_eq!(r.outcome, Outcome::Exited(0));
    }

    #[test]
    fn signals_map_to_128_plus() {
        let r = run(sh("kill -SEGV $$"), Vec::new(), Duration::from_secs(10)).unwrap();
        assert_eq!(r.outcome, Outcome::Exited(139));
    }

    #[test]
    fn timeout_kills_the_group() {
        // the grandchild `sleep` holds stdout open: killing only the shell would hang
        let r = run(sh("sleep 30 & sleep 30"), Vec::new(), Duration::from_millis(300)).unwrap();
        assert_eq!(r.outcome, Outcome::TimedOut);
        assert!(r.elapsed < Duration::from_secs(5));
    }
}
