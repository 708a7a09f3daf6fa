//! The sqlite workloads, fed to the unmodified `sqlite3` shell on stdin with an in-memory
//! database (the same script for Elfin, the Linux guest and native).
//!
//! - [`insert_script`]: N single-row INSERTs, each its own statement (autocommit), between two
//!   time stamps the shell prints (`T0|<unix seconds>`, `T1|...`; millisecond resolution), so
//!   the figure excludes boot and exit; read with [`crate::parse::sqlite_seconds`].
//! - [`CHECK_SCRIPT`] / [`CHECK_EXPECT`]: the small "sqlite check" whose minimum memory is
//!   measured.

use std::fmt::Write;

/// A small table, three rows, one query.
pub const CHECK_SCRIPT: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value INTEGER);\n\
    INSERT INTO t(name, value) VALUES('a', 10);\n\
    INSERT INTO t(name, value) VALUES('b', 20);\n\
    INSERT INTO t(name, value) VALUES('c', 30);\n\
    SELECT 'check', count(*), sum(value), group_concat(name, '') FROM t;\n";
/// The line [`CHECK_SCRIPT`] prints.
pub const CHECK_EXPECT: &str = "check|3|60|abc";

/// `inserts` INSERT statements timed by the shell itself, then a count to check them.
pub fn insert_script(inserts: u32) -> String {
    let stamp = |tag: &str| format!("SELECT '{tag}', (julianday('now') - 2440587.5) * 86400.0;\n");
    let mut sql = String::with_capacity(inserts as usize * 60 + 300);
    sql.push_str("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value INTEGER);\n");
    sql.push_str(&stamp("T0"));
    for i in 0..inserts {
        let _ = writeln!(
            sql,
            "INSERT INTO t(name, value) VALUES('row {i}', {});",
            u64::from(i) * 7
        );
    }
    sql.push_str(&stamp("T1"));
    sql.push_str("SELECT 'rows', count(*) FROM t;\n");
    sql
}

/// The line [`insert_script`] ends with when every insert landed.
pub fn insert_expect(inserts: u32) -> String {
    format!("rows|{inserts}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_script_shape() {
        let sql = insert_script(3);
        let lines: Vec<&str> = sql.lines().collect();
        assert_eq!(lines.len(), 1 + 1 + 3 + 1 + 1);
        assert!(lines[1].starts_with("SELECT 'T0'"));
        assert_eq!(lines[4], "INSERT INTO t(name, value) VALUES('row 2', 14);");
        assert!(lines[5].starts_with("SELECT 'T1'"));
        assert_eq!(insert_expect(3), "rows|3");
    }

    /// With a host sqlite3 shell where one is installed (skipped otherwise): the stamps parse.
    #[test]
    fn scripts_run_in_a_real_shell() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let shell = ["sqlite3", "../../target/apps/sqlite3/sqlite3"]
            .into_iter()
            .find(|s| {
                Command::new(s)
                    .arg("-version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            });
        let Some(shell) = shell else {
            eprintln!("no sqlite3 shell: skipped");
            return;
        };
        for (script, expect) in [
            (insert_script(50), insert_expect(50)),
            (CHECK_SCRIPT.to_string(), CHECK_EXPECT.to_string()),
        ] {
            let mut child = Command::new(shell)
                .arg(":memory:")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(script.as_bytes())
                .unwrap();
            let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
            assert!(out.lines().any(|l| l == expect), "{out}");
            if script.contains("T0") {
                assert!(crate::parse::sqlite_seconds(&out).is_some(), "{out}");
            }
        }
    }
}
