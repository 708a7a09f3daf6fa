//! Cases that need a file tree (issue 4): Debian's busybox applets on a tree given to Elfin
//! with `--root`, and the sqlite check (`images/recipes/sqlite3/check.sql`).
//!
//! A case with a [`RootTree`] runs in staged copies of the tree ([`stage`]): Elfin gets one
//! copy as `--root` and starts in its `/`; the host run starts in a second copy (the host
//! cannot chroot), so relative paths name the same files on both sides and what one run
//! writes, the other never sees. Both copies get an empty `tmp/` (in the guest: `/tmp`).
//! Applets that walk directories print in directory order, which Linux does not fix; their
//! cases compare stdout as a set of lines ([`Extra::UnorderedLines`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};

use crate::cases::{BUSYBOX, Case, Extra, Program, Stdin, Variant};

/// The file tree a case runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootTree {
    /// Nothing but `tmp/`.
    Empty,
    /// A copy of `compat-tests/inputs/<dir>`.
    Inputs(&'static str),
}

/// Where `images/recipes/sqlite3/build.sh` puts the sqlite3 shell (`make apps` builds it).
pub fn sqlite3_binary() -> PathBuf {
    workspace_root().join("target/apps/sqlite3/sqlite3")
}

fn workspace_root() -> PathBuf {
    let compat = Path::new(env!("CARGO_MANIFEST_DIR"));
    compat.parent().unwrap_or(compat).to_path_buf()
}

/// The tree of the busybox cases.
const TREE: RootTree = RootTree::Inputs("tree");

/// Busybox applets on `compat-tests/inputs/tree`: (name, argv after `busybox`, extras).
/// Mutating applets use `-v` so that what they did shows on stdout or stderr.
fn busybox_tree_cases() -> Vec<(&'static str, Vec<&'static str>, Vec<Extra>)> {
    use Extra::{SameStderr, UnorderedLines as Unordered};
    vec![
        ("tree-ls", vec!["ls", "-1", "data"], vec![]),
        ("tree-ls-recursive", vec!["ls", "-1aR", "data"], vec![]),
        ("tree-find", vec!["find", "data"], vec![Unordered]),
        ("tree-find-follow", vec!["find", "-L", "data", "-type", "f"], vec![Unordered]),
        ("tree-find-symlinks", vec!["find", "data", "-type", "l"], vec![Unordered]),
        ("tree-find-executable", vec!["find", "data", "-type", "f", "-perm", "-u+x"], vec![]),
        ("tree-find-name", vec!["find", "data", "-name", "*.txt"], vec![Unordered]),
        (
            "tree-cat",
            vec![
                "cat",
                "data/README.txt",
                "data/link-to-readme",
                "data/sub/words-link",
                "data/sub/deep-link/leaf.txt",
                "data/docs/odd.txt",
            ],
            vec![],
        ),
        (
            "tree-wc",
            vec!["wc", "data/README.txt", "data/words.txt", "data/numbers.txt", "data/docs/odd.txt"],
            vec![],
        ),
        // Link counts, sizes, modes, types and mtimes (seconds) as stat(2) gives them; no
        // directory sizes or link counts, which depend on the host's filesystem.
        (
            "tree-stat",
            vec![
                "stat",
                "-c",
                "%n %h %s %a %F %Y",
                "data/README.txt",
                "data/docs/run.sh",
                "data/link-to-readme",
                "data/sub/words-link",
                "data/numbers.txt.gz",
                "archive.tar",
            ],
            vec![],
        ),
        ("tree-stat-dirs", vec!["stat", "-c", "%n %a %F %Y", "data", "data/sub", "data/sub/deep", "data/docs"], vec![]),
        (
            "tree-stat-follow",
            vec!["stat", "-L", "-c", "%n %h %s %a %F %Y", "data/link-to-readme", "data/sub/words-link"],
            vec![],
        ),
        ("tree-readlink", vec!["readlink", "data/sub/words-link"], vec![]),
        ("tree-sort", vec!["sort", "data/words.txt"], vec![]),
        ("tree-sort-keys", vec!["sort", "-t", " ", "-k2,2n", "-k1,1nr", "data/numbers.txt"], vec![]),
        (
            "tree-md5sum",
            vec!["md5sum", "data/README.txt", "data/words.txt", "data/numbers.txt.gz", "data/sub/words-link"],
            vec![],
        ),
        ("tree-md5sum-check", vec!["md5sum", "-c", "data/SUMS"], vec![]),
        ("tree-tar-list", vec!["tar", "tvf", "archive.tar"], vec![]),
        ("tree-tar-extract", vec!["tar", "xvf", "archive.tar", "-C", "tmp"], vec![SameStderr]),
        ("tree-tar-extract-stdout", vec!["tar", "xOf", "archive.tar"], vec![]),
        ("tree-tar-create", vec!["tar", "cvf", "tmp/data.tar", "data"], vec![Unordered, SameStderr]),
        ("tree-gzip-stdout", vec!["gzip", "-c", "data/words.txt"], vec![]),
        ("tree-gunzip-stdout", vec!["gunzip", "-c", "data/numbers.txt.gz"], vec![]),
        ("tree-gzip", vec!["gzip", "-v", "data/words.txt"], vec![SameStderr]),
        ("tree-gunzip", vec!["gunzip", "-fv", "data/numbers.txt.gz"], vec![SameStderr]),
        ("tree-cp-r", vec!["cp", "-rv", "data", "tmp/copy"], vec![Unordered, SameStderr]),
        ("tree-mv", vec!["mv", "-v", "data/sub", "tmp/moved"], vec![SameStderr]),
        ("tree-rm-r", vec!["rm", "-rv", "data"], vec![Unordered, SameStderr]),
    ]
}

/// The cases of this module: `busybox/tree-*` and `apps/sqlite`.
pub fn cases() -> Vec<Case> {
    let mut cases: Vec<Case> = busybox_tree_cases()
        .into_iter()
        .map(|(name, args, extras)| Case {
            variant: Variant::Busybox,
            name: name.to_string(),
            program: Program::External(PathBuf::from(BUSYBOX)),
            args: args.iter().map(|a| a.to_string()).collect(),
            // tar prints times in local time: the same zone on both sides.
            env: vec![("TZ".to_string(), "UTC0".to_string())],
            stdin: Stdin::Empty,
            host_status: 0,
            extras,
            root: Some(TREE),
        })
        .collect();
    cases.push(Case {
        variant: Variant::Apps,
        name: "sqlite".to_string(),
        program: Program::External(sqlite3_binary()),
        // tmp/ is the guest's /tmp (the guest starts in /) and a private directory on the host.
        args: vec!["tmp/check.db".to_string()],
        env: Vec::new(),
        // Stdin files are found under compat-tests/inputs/.
        stdin: Stdin::File("../../images/recipes/sqlite3/check.sql"),
        host_status: 0,
        extras: vec![Extra::SameStderr],
        root: Some(RootTree::Empty),
    });
    cases
}

/// The staged copies of one case's tree, removed on drop.
#[derive(Debug)]
pub struct Staged {
    dir: PathBuf,
}

impl Staged {
    /// The copy Elfin gets as `--root`.
    pub fn guest_root(&self) -> PathBuf {
        self.dir.join("guest")
    }

    /// The copy the host run starts in.
    pub fn host_cwd(&self) -> PathBuf {
        self.dir.join("host")
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Makes the two copies of `tree` (with `tmp/`) in a fresh temp directory. `cp -a` keeps
/// modes, times and symlinks, so both sides see the same metadata.
pub fn stage(tree: &RootTree, inputs_dir: &Path) -> Result<Staged> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("elfin-compat-tree-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let staged = Staged { dir };
    let guest = staged.guest_root();
    match tree {
        RootTree::Empty => {
            std::fs::create_dir(&guest).with_context(|| format!("creating {}", guest.display()))?
        }
        RootTree::Inputs(name) => copy_tree(&inputs_dir.join(name), &guest)?,
    }
    let tmp = guest.join("tmp");
    std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777))?;
    copy_tree(&guest, &staged.host_cwd())?;
    Ok(staged)
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    let out = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .output()
        .context("running cp")?;
    if !out.status.success() {
        bail!(
            "cp -a {} {}: {}",
            from.display(),
            to.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Stdout as a sorted list of lines, for [`Extra::UnorderedLines`].
pub fn sorted_lines(out: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.sort();
    let mut v = Vec::with_capacity(out.len() + 1);
    for l in lines {
        v.extend_from_slice(l);
        v.push(b'\n');
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("inputs")
    }

    #[test]
    fn staged_copies_are_private_and_alike() {
        let s = stage(&TREE, &inputs()).unwrap();
        let (guest, host) = (s.guest_root(), s.host_cwd());
        for d in [&guest, &host] {
            assert!(d.join("tmp").is_dir());
            assert!(d.join("data/README.txt").is_file());
            let link = std::fs::read_link(d.join("data/link-to-readme")).unwrap();
            assert_eq!(link, Path::new("README.txt"));
        }
        use std::os::unix::fs::MetadataExt;
        let (a, b) = (
            std::fs::metadata(guest.join("data/words.txt")).unwrap(),
            std::fs::metadata(host.join("data/words.txt")).unwrap(),
        );
        assert_eq!((a.mtime(), a.mode()), (b.mtime(), b.mode()));
        assert_ne!(a.ino(), b.ino());
        let dir = s.dir.clone();
        drop(s);
        assert!(!dir.exists());
        let e = stage(&RootTree::Empty, &inputs()).unwrap();
        assert_eq!(std::fs::read_dir(e.host_cwd()).unwrap().count(), 1, "only tmp/");
    }

    #[test]
    fn every_path_a_case_names_exists_in_the_tree() {
        let tree = inputs().join("tree");
        for (name, args, _) in busybox_tree_cases() {
            for a in &args[1..] {
                if a.starts_with("data/") || a.ends_with(".tar") && !a.starts_with("tmp/") {
                    assert!(tree.join(a).exists(), "{name}: {a} is not in {}", tree.display());
                }
            }
        }
        assert!(workspace_root().join("images/recipes/sqlite3/check.sql").is_file());
    }

    #[test]
    fn sorted_lines_ignore_order_only() {
        assert_eq!(sorted_lines(b"b\na\n"), b"a\nb\n");
        assert_eq!(sorted_lines(b"b\na"), b"a\nb\n");
        assert_eq!(sorted_lines(b""), b"");
        assert_ne!(sorted_lines(b"a\na\n"), sorted_lines(b"a\n"));
    }
}
