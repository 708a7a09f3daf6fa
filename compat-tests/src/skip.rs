//! The skip list (`compat-tests/skip.txt`): cases Elfin is known not to pass yet.
//!
//! One entry per line: `<variant>/<case>  <one-line reason>`, where `<variant>` may be `*`
//! (every variant). `#` starts a comment line; blank lines are ignored. A skipped case still
//! runs: if it fails it counts as skipped, if it passes the runner reports a failure so that
//! the entry gets removed and the list only shrinks.

use anyhow::{Result, bail};

/// One skip-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipEntry {
    /// `musl`, `glibc`, ... or `*`.
    pub variant: String,
    /// Case name, e.g. `time` or `exit42`.
    pub case: String,
    pub reason: String,
    /// 1-based line in the file, for messages.
    pub line: usize,
}

impl SkipEntry {
    /// Does this entry cover the case `variant/case`?
    pub fn matches(&self, variant: &str, case: &str) -> bool {
        (self.variant == "*" || self.variant == variant) && self.case == case
    }

    /// The entry as written: `variant/case`.
    pub fn pattern(&self) -> String {
        format!("{}/{}", self.variant, self.case)
    }
}

/// The parsed list.
#[derive(Debug, Clone, Default)]
pub struct SkipList {
    pub entries: Vec<SkipEntry>,
}

impl SkipList {
    /// Parses the file's text. Errors name the line: an entry without a reason, a pattern
    /// without exactly one `/`, or a duplicate are mistakes, not something to guess about.
    pub fn parse(text: &str) -> Result<SkipList> {
        let mut entries: Vec<SkipEntry> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let (pattern, reason) = match trimmed.split_once(char::is_whitespace) {
                Some((p, r)) => (p, r.trim()),
                None => (trimmed, ""),
            };
            if reason.is_empty() {
                bail!("skip list line {line}: `{pattern}` has no reason (write `<libc>/<case>  <reason>`)");
            }
            let Some((variant, case)) = pattern.split_once('/') else {
                bail!("skip list line {line}: `{pattern}` is not `<libc>/<case>` (or `*/<case>`)");
            };
            if variant.is_empty() || case.is_empty() || case.contains('/') {
                bail!("skip list line {line}: `{pattern}` is not `<libc>/<case>` (or `*/<case>`)");
            }
            if let Some(prev) = entries.iter().find(|e| e.variant == variant && e.case == case) {
                bail!("skip list line {line}: `{pattern}` repeats line {}", prev.line);
            }
            entries.push(SkipEntry {
                variant: variant.to_string(),
                case: case.to_string(),
                reason: reason.to_string(),
                line,
            });
        }
        Ok(SkipList { entries })
    }

    /// The entry covering `variant/case`, preferring an exact variant over `*`.
    pub fn lookup(&self, variant: &str, case: &str) -> Option<&SkipEntry> {
        self.entries
            .iter()
            .filter(|e| e.matches(variant, case))
            .min_by_key(|e| e.variant == "*")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_entries_comments_and_blanks() {
        let list = SkipList::parse(
            "# header\n\nmusl/time   clock_getres not implemented\n*/fault-ud2\tno #UD report yet  \n",
        )
        .unwrap();
        assert_eq!(list.entries.len(), 2);
        assert_eq!(list.entries[0].variant, "musl");
        assert_eq!(list.entries[0].case, "time");
        assert_eq!(list.entries[0].reason, "clock_getres not implemented");
        assert_eq!(list.entries[0].line, 3);
        assert_eq!(list.entries[1].variant, "*");
        assert_eq!(list.entries[1].case, "fault-ud2");
        assert_eq!(list.entries[1].reason, "no #UD report yet");
    }

    #[test]
    fn empty_file_is_an_empty_list() {
        assert!(SkipList::parse("").unwrap().entries.is_empty());
        assert!(SkipList::parse("# only comments\n   \n").unwrap().entries.is_empty());
    }

    #[test]
    fn reason_is_required() {
        let err = SkipList::parse("musl/time\n").unwrap_err().to_string();
        assert!(err.contains("line 1"), "{err}");
        assert!(err.contains("no reason"), "{err}");
        assert!(SkipList::parse("musl/time    \n").is_err());
    }

    #[test]
    fn pattern_shape_is_checked() {
        assert!(SkipList::parse("time  reason\n").is_err());
        assert!(SkipList::parse("/time  reason\n").is_err());
        assert!(SkipList::parse("musl/  reason\n").is_err());
        assert!(SkipList::parse("musl/a/b  reason\n").is_err());
    }

    #[test]
    fn duplicates_are_rejected() {
        let err = SkipList::parse("musl/time  a\nmusl/time  b\n").unwrap_err().to_string();
        assert!(err.contains("repeats line 1"), "{err}");
        // the same case under `*` and a named variant is allowed (the named one wins)
        assert!(SkipList::parse("musl/time  a\n*/time  b\n").is_ok());
    }

    #[test]
    fn matching_and_wildcards() {
        let list = SkipList::parse("*/mmap  all libcs\nglibc/time  glibc only\nmusl/mmap  musl\n").unwrap();
        assert_eq!(list.lookup("glibc", "mmap").unwrap().reason, "all libcs");
        assert_eq!(list.lookup("musl", "mmap").unwrap().reason, "musl");
        assert_eq!(list.lookup("glibc", "time").unwrap().reason, "glibc only");
        assert!(list.lookup("musl", "time").is_none());
        assert!(list.lookup("musl", "mmap2").is_none());
        assert_eq!(list.entries[0].pattern(), "*/mmap");
    }
}
