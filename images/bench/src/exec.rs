//! Running one measured process: stdout captured in chunks stamped with their arrival time
//! (relative to just before the spawn), stderr captured whole, stdin from a file or nothing, a
//! time limit. The process leads its own process group, so that a timeout also stops what it
//! started (the `elfin` CLI starts QEMU): SIGTERM first (the CLI then stops QEMU itself), SIGKILL
//! two seconds later.

use std::fs::File;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// What the process reads on stdin.
#[derive(Debug, Clone)]
pub enum Input {
    Null,
    File(PathBuf),
}

/// What a run produced.
#[derive(Debug)]
pub struct Captured {
    /// Exit code, or 128+signal; `None` after a timeout.
    pub status: Option<i32>,
    /// Stdout as it arrived: (time since launch, bytes).
    pub chunks: Vec<(Duration, Vec<u8>)>,
    pub stderr: Vec<u8>,
    /// Time from launch to the process's exit (or to the timeout).
    pub exit_at: Duration,
}

impl Captured {
    pub fn stdout(&self) -> Vec<u8> {
        self.chunks
            .iter()
            .flat_map(|(_, c)| c.iter().copied())
            .collect()
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout()).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// A short description for error messages: status and the tail of both streams.
    pub fn describe(&self) -> String {
        let tail = |s: String| {
            let s = s.trim().to_string();
            let start = s.char_indices().rev().nth(600).map_or(0, |(i, _)| i);
            s[start..].to_string()
        };
        format!(
            "status {}; stdout ends: {:?}; stderr ends: {:?}",
            self.status.map_or("timeout".to_string(), |s| s.to_string()),
            tail(self.stdout_text()),
            tail(self.stderr_text())
        )
    }
}

/// Runs `cmd` to its end or for at most `timeout`.
pub fn run(mut cmd: Command, input: &Input, timeout: Duration) -> Result<Captured> {
    let stdin = match input {
        Input::Null => Stdio::null(),
        Input::File(path) => {
            Stdio::from(File::open(path).with_context(|| format!("opening {}", path.display()))?)
        }
    };
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {:?}", cmd.get_program()))?;
    let pid = child.id();
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let out_thread = thread::spawn(move || {
        let mut chunks = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = out.read(&mut buf) {
            if n == 0 {
                break;
            }
            chunks.push((start.elapsed(), buf[..n].to_vec()));
        }
        chunks
    });
    let err_thread = thread::spawn(move || {
        let mut all = Vec::new();
        let _ = err.read_to_end(&mut all);
        all
    });
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send((status, start.elapsed()));
    });
    let (status, exit_at) = match rx.recv_timeout(timeout) {
        Ok((status, at)) => {
            let status = status.context("waiting for the process")?;
            let code = status.code().or_else(|| status.signal().map(|s| 128 + s));
            (code, at)
        }
        Err(_) => {
            let at = start.elapsed();
            signal_group(pid, "-TERM");
            if rx.recv_timeout(Duration::from_secs(2)).is_err() {
                signal_group(pid, "-KILL");
                let _ = rx.recv_timeout(Duration::from_secs(5));
            }
            (None, at)
        }
    };
    // Descendants that outlive the child could keep the pipes open: stop them too.
    signal_group(pid, "-KILL");
    let chunks = out_thread.join().unwrap_or_default();
    let stderr = err_thread.join().unwrap_or_default();
    Ok(Captured {
        status,
        chunks,
        stderr,
        exit_at,
    })
}

/// Sends `signal` to the process group `pgid` (the child made itself its leader).
fn signal_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
