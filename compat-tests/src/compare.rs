//! Pure comparison logic: exit statuses, outputs (first differing line and a small diff),
//! and the crash-report check on Elfin's stderr.

use std::process::ExitStatus;

/// How a run ended, as a shell would report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit status; death by signal `s` is recorded as `128 + s`.
    Exited(i32),
    /// Killed by the runner after the case's time limit.
    TimedOut,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Exited(s) if *s > 128 => write!(f, "{s} (signal {})", s - 128),
            Outcome::Exited(s) => write!(f, "{s}"),
            Outcome::TimedOut => write!(f, "timed out"),
        }
    }
}

/// Maps a process status to a shell-style number: the exit code, or `128 + signal`.
pub fn status_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        // neither: cannot happen for a waited-for child; make it stand out
        (None, None) => -1,
    }
}

/// The first line where two outputs differ, rendered for a one-line result.
/// `None` when the outputs are byte-identical.
pub fn first_difference(host: &[u8], elfin: &[u8]) -> Option<String> {
    if host == elfin {
        return None;
    }
    let h = split_lines(host);
    let e = split_lines(elfin);
    for i in 0..h.len().max(e.len()) {
        let (a, b) = (h.get(i), e.get(i));
        if a != b {
            let show = |l: Option<&&[u8]>| match l {
                Some(l) => format!("{:?}", clip(&String::from_utf8_lossy(l), 120)),
                None => "<end of output>".to_string(),
            };
            return Some(format!("stdout line {}: host {} vs elfin {}", i + 1, show(a), show(b)));
        }
    }
    // same lines: the difference is a trailing newline
    Some(format!(
        "stdout differs only in its final newline (host {} bytes, elfin {} bytes)",
        host.len(),
        elfin.len()
    ))
}

/// Lines without their `\n`; a missing final newline is kept visible as a separate
/// difference by `first_difference` (lines compare equal, bytes do not).
fn split_lines(b: &[u8]) -> Vec<&[u8]> {
    if b.is_empty() {
        return Vec::new();
    }
    let body = b.strip_suffix(b"\n").unwrap_or(b);
    body.split(|&c| c == b'\n').collect()
}

/// Shortens `s` to at most `max` characters, marking the cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push_str("...");
        t
    }
}

/// A line diff (`-` host only, `+` elfin only, ` ` context) of at most `max_lines` lines,
/// with `context` unchanged lines around each change. Longest-common-subsequence based;
/// outputs are small (tens of lines), so the quadratic table is fine, and very large outputs
/// fall back to comparing line by line.
pub fn render_diff(host: &[u8], elfin: &[u8], context: usize, max_lines: usize) -> String {
    let a = split_lines(host);
    let b = split_lines(elfin);
    let ops = if a.len().saturating_mul(b.len()) <= 4_000_000 {
        lcs_ops(&a, &b)
    } else {
        pairwise_ops(&a, &b)
    };
    // which ops to show: changes plus `context` neighbours
    let changed: Vec<bool> = ops.iter().map(|op| !matches!(op, Op::Same(..))).collect();
    let mut show = vec![false; ops.len()];
    for (i, &c) in changed.iter().enumerate() {
        if c {
            let lo = i.saturating_sub(context);
            let hi = (i + context + 1).min(ops.len());
            show[lo..hi].iter_mut().for_each(|s| *s = true);
        }
    }
    let mut out = Vec::new();
    let mut last_shown: Option<usize> = None;
    for (i, op) in ops.iter().enumerate() {
        if !show[i] {
            continue;
        }
        if last_shown.is_some_and(|l| l + 1 != i) || (last_shown.is_none() && i > 0) {
            out.push("  ...".to_string());
        }
        last_shown = Some(i);
        let (tag, line) = match op {
            Op::Same(l) => (' ', *l),
            Op::Host(l) => ('-', *l),
            Op::Elfin(l) => ('+', *l),
        };
        out.push(format!("{tag} {}", clip(&String::from_utf8_lossy(line), 200)));
    }
    if last_shown.is_some_and(|l| l + 1 < ops.len()) {
        out.push("  ...".to_string());
    }
    if out.len() > max_lines {
        let more = out.len() - max_lines;
        out.truncate(max_lines);
        out.push(format!("  ... ({more} more diff lines)"));
    }
    if out.is_empty() && host != elfin {
        out.push("  (outputs differ only in the final newline)".to_string());
    }
    out.join("\n")
}

#[derive(Debug)]
enum Op<'a> {
    Same(&'a [u8]),
    Host(&'a [u8]),
    Elfin(&'a [u8]),
}

fn lcs_ops<'a>(a: &[&'a [u8]], b: &[&'a [u8]]) -> Vec<Op<'a>> {
    let (n, m) = (a.len(), b.len());
    // table[i][j] = LCS length of a[i..], b[j..]
    let mut table = vec![0u32; (n + 1) * (m + 1)];
    let idx = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[idx(i, j)] = if a[i] == b[j] {
                table[idx(i + 1, j + 1)] + 1
            } else {
                table[idx(i + 1, j)].max(table[idx(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same(a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || table[idx(i + 1, j)] >= table[idx(i, j + 1)]) {
            ops.push(Op::Host(a[i]));
            i += 1;
        } else {
            ops.push(Op::Elfin(b[j]));
            j += 1;
        }
    }
    ops
}

fn pairwise_ops<'a>(a: &[&'a [u8]], b: &[&'a [u8]]) -> Vec<Op<'a>> {
    let mut ops = Vec::new();
    for i in 0..a.len().max(b.len()) {
        match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) if x == y => ops.push(Op::Same(x)),
            (x, y) => {
                if let Some(x) = x {
                    ops.push(Op::Host(x));
                }
                if let Some(y) = y {
                    ops.push(Op::Elfin(y));
                }
            }
        }
    }
    ops
}

/// Hexadecimal numbers mentioned in a crash report: `0x`-prefixed numbers, and bare runs of
/// at least 8 hex digits standing alone (e.g. `cr2=0000000000001238`).
pub fn hex_numbers(text: &str) -> Vec<u64> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let prev_is_word = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if bytes[i] == b'0'
            && matches!(bytes.get(i + 1), Some(b'x' | b'X'))
            && bytes.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit())
            && !prev_is_word
        {
            let start = i + 2;
            let mut end = start;
            while end < bytes.len() && (bytes[end].is_ascii_hexdigit() || bytes[end] == b'_') {
                end += 1;
            }
            let digits: String = text[start..end].chars().filter(|&c| c != '_').collect();
            if let Ok(v) = u64::from_str_radix(&digits, 16) {
                found.push(v);
            }
            i = end;
        } else if bytes[i].is_ascii_hexdigit() && !prev_is_word {
            let mut end = i;
            while end < bytes.len() && bytes[end].is_ascii_hexdigit() {
                end += 1;
            }
            let next_is_word = end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
            if end - i >= 8
                && !next_is_word
                && let Ok(v) = u64::from_str_radix(&text[i..end], 16)
            {
                found.push(v);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

/// Does Elfin's stderr hold a crash report naming `addr`?
pub fn mentions_address(stderr: &str, addr: u64) -> bool {
    hex_numbers(stderr).contains(&addr)
}

/// The last `n` lines of a stream, for failure details.
pub fn tail(bytes: &[u8], n: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].iter().map(|l| clip(l, 200)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn status_mapping() {
        // wait(2) encoding: exit code in bits 8..16, terminating signal in bits 0..7
        assert_eq!(status_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(status_code(ExitStatus::from_raw(42 << 8)), 42);
        assert_eq!(status_code(ExitStatus::from_raw(255 << 8)), 255);
        assert_eq!(status_code(ExitStatus::from_raw(11)), 139); // SIGSEGV
        assert_eq!(status_code(ExitStatus::from_raw(4)), 132); // SIGILL
        assert_eq!(status_code(ExitStatus::from_raw(9)), 137); // SIGKILL
        assert_eq!(status_code(ExitStatus::from_raw(11 | 0x80)), 139); // with core dump bit
    }

    #[test]
    fn outcome_display() {
        assert_eq!(Outcome::Exited(0).to_string(), "0");
        assert_eq!(Outcome::Exited(139).to_string(), "139 (signal 11)");
        assert_eq!(Outcome::TimedOut.to_string(), "timed out");
    }

    #[test]
    fn identical_outputs() {
        assert_eq!(first_difference(b"", b""), None);
        assert_eq!(first_difference(b"a\nb\n", b"a\nb\n"), None);
    }

    #[test]
    fn first_differing_line() {
        let d = first_difference(b"a\nb\nc\n", b"a\nB\nc\n").unwrap();
        assert_eq!(d, r#"stdout line 2: host "b" vs elfin "B""#);
    }

    #[test]
    fn missing_and_extra_lines() {
        let d = first_difference(b"a\nb\n", b"a\n").unwrap();
        assert_eq!(d, r#"stdout line 2: host "b" vs elfin <end of output>"#);
        let d = first_difference(b"", b"x\n").unwrap();
        assert_eq!(d, r#"stdout line 1: host <end of output> vs elfin "x""#);
    }

    #[test]
    fn final_newline_difference() {
        let d = first_difference(b"a\nb\n", b"a\nb").unwrap();
        assert!(d.contains("final newline"), "{d}");
    }

    #[test]
    fn long_lines_are_clipped() {
        let long = "x".repeat(500);
        let d = first_difference(long.as_bytes(), b"y").unwrap();
        assert!(d.len() < 300, "{d}");
        assert!(d.contains("..."));
    }

    #[test]
    fn diff_shows_changes_with_context() {
        let host = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let elfin = b"1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        let d = render_diff(host, elfin, 1, 50);
        assert_eq!(d, "  ...\n  4\n- 5\n+ five\n  6\n  ...");
    }

    #[test]
    fn diff_of_truncated_output() {
        let d = render_diff(b"a\nb\nc\n", b"a\n", 2, 50);
        assert_eq!(d, "  a\n- b\n- c");
    }

    #[test]
    fn diff_is_bounded() {
        let host: String = (0..100).map(|i| format!("h{i}\n")).collect();
        let elfin: String = (0..100).map(|i| format!("e{i}\n")).collect();
        let d = render_diff(host.as_bytes(), elfin.as_bytes(), 2, 10);
        assert_eq!(d.lines().count(), 11);
        assert!(d.ends_with("more diff lines)"));
    }

    #[test]
    fn hex_numbers_in_reports() {
        assert_eq!(hex_numbers("page fault at 0x1238, rip=0x401a2f"), vec![0x1238, 0x401a2f]);
        assert_eq!(hex_numbers("cr2=0000000000000000 err 4"), vec![0]);
        assert_eq!(hex_numbers("addr 0x0"), vec![0]);
        assert_eq!(hex_numbers("0xffff_8000_0000_0000"), vec![0xffff_8000_0000_0000]);
        // words and short decimal-looking numbers are not addresses
        assert!(hex_numbers("SIGSEGV deadbeefcafe1 12 exit 139 abc").iter().all(|&v| v == 0xdeadbeefcafe1));
        assert!(hex_numbers("error code 4 vector 14").is_empty());
        assert!(hex_numbers("x0x12").is_empty());
    }

    #[test]
    fn crash_report_address() {
        let report = "elfin: app killed by SIGSEGV: page fault at address 0x1238 (rip 0x401000)\n";
        assert!(mentions_address(report, 0x1238));
        assert!(!mentions_address(report, 0));
        assert!(mentions_address("fault addr=0x0000000000000000 rip=0x4010a0", 0));
        assert!(!mentions_address("", 0));
    }

    #[test]
    fn tail_of_stream() {
        assert_eq!(tail(b"a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail(b"", 3), "");
    }
}
