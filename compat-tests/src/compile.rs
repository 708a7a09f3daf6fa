//! Building the C programs: `c/<name>.c` -> `target/compat/<variant>/<name>`.
//!
//! musl: `musl-gcc -static -O1`; glibc: `gcc -static -O1`; glibc-pie: `gcc -static-pie -O1`.
//! A binary newer than its source and every header in `c/` (`check.h`, `fs.h`) is up to date
//! and is not rebuilt. Output goes to a temporary file renamed into place, so an interrupted
//! build never leaves a fresh-looking broken binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

use anyhow::{Context, Result, anyhow, bail};

use crate::cases::Variant;

/// Flags shared by every variant. `-fno-builtin` is not used: the programs must behave as
/// ordinary C programs do.
const COMMON_FLAGS: &[&str] = &["-O1", "-g", "-Wall", "-Wextra", "-std=gnu11"];

/// The compiler and variant-specific flags.
pub fn compiler(variant: Variant) -> Option<(&'static str, &'static [&'static str])> {
    match variant {
        Variant::Musl => Some(("musl-gcc", &["-static"])),
        Variant::Glibc => Some(("gcc", &["-static"])),
        Variant::GlibcPie => Some(("gcc", &["-static-pie", "-fPIE"])),
        Variant::Busybox | Variant::Apps => None,
    }
}

/// Finds an executable in `PATH`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// One program to build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Target {
    pub variant: Variant,
    pub program: String,
}

/// Outcome counts of `build_all`.
#[derive(Debug, Default)]
pub struct BuildStats {
    pub built: usize,
    pub up_to_date: usize,
}

fn mtime(p: &Path) -> Option<SystemTime> {
    p.metadata().and_then(|m| m.modified()).ok()
}

/// Is `output` at least as new as every input?
pub fn up_to_date(output: &Path, inputs: &[&Path]) -> bool {
    let Some(out) = mtime(output) else { return false };
    inputs.iter().all(|i| mtime(i).is_some_and(|t| t <= out))
}

/// The headers (`*.h`) in `c_dir`: every program is rebuilt when one of them changes.
fn headers(c_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut v = Vec::new();
    for entry in std::fs::read_dir(c_dir).with_context(|| format!("listing {}", c_dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "h") {
            v.push(path);
        }
    }
    v.sort();
    Ok(v)
}

/// Builds every target that is out of date, `jobs` at a time. Fails up front, with the
/// command to run, when a needed compiler is missing; fails with the compiler's message
/// when a program does not compile.
pub fn build_all(c_dir: &Path, out_dir: &Path, targets: &[Target], jobs: usize) -> Result<BuildStats> {
    let mut needed: Vec<&'static str> = targets.iter().filter_map(|t| compiler(t.variant)).map(|(cc, _)| cc).collect();
    needed.sort();
    needed.dedup();
    for cc in needed {
        if find_in_path(cc).is_none() {
            let pkg = if cc == "musl-gcc" { "musl-tools" } else { "gcc" };
            bail!("`{cc}` is not installed (Debian package {pkg}): run `make setup`");
        }
    }
    let headers = headers(c_dir)?;
    let queue = Mutex::new(targets.iter());
    let stats = Mutex::new(BuildStats::default());
    let errors = Mutex::new(Vec::<String>::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| {
                loop {
                    let Some(t) = queue.lock().unwrap().next() else { break };
                    match build_one(c_dir, out_dir, &headers, t) {
                        Ok(true) => stats.lock().unwrap().built += 1,
                        Ok(false) => stats.lock().unwrap().up_to_date += 1,
                        Err(e) => errors.lock().unwrap().push(format!("{e:#}")),
                    }
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap();
    if !errors.is_empty() {
        bail!("building the C programs failed:\n{}", errors.join("\n"));
    }
    Ok(stats.into_inner().unwrap())
}

/// Builds one target if needed; `Ok(true)` when it compiled something.
fn build_one(c_dir: &Path, out_dir: &Path, headers: &[PathBuf], t: &Target) -> Result<bool> {
    let (cc, flags) = compiler(t.variant).ok_or_else(|| anyhow!("{} is not built from C", t.variant.name()))?;
    let src = c_dir.join(format!("{}.c", t.program));
    let dir = out_dir.join(t.variant.name());
    let out = dir.join(&t.program);
    let mut inputs: Vec<&Path> = vec![&src];
    inputs.extend(headers.iter().map(PathBuf::as_path));
    if up_to_date(&out, &inputs) {
        return Ok(false);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = dir.join(format!(".{}.tmp{}", t.program, std::process::id()));
    let output = Command::new(cc)
        .args(flags)
        .args(COMMON_FLAGS)
        .arg("-I")
        .arg(c_dir)
        .arg("-o")
        .arg(&tmp)
        .arg(&src)
        .output()
        .with_context(|| format!("running {cc}"))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!(
            "{cc} {} for {}/{} failed:\n{}",
            flags.join(" "),
            t.variant.name(),
            t.program,
            String::from_utf8_lossy(&output.stderr).trim_end()
        );
    }
    std::fs::rename(&tmp, &out).with_context(|| format!("moving the build to {}", out.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compilers_per_variant() {
        assert_eq!(compiler(Variant::Musl).unwrap().0, "musl-gcc");
        assert_eq!(compiler(Variant::Glibc).unwrap(), ("gcc", &["-static"][..]));
        assert!(compiler(Variant::GlibcPie).unwrap().1.contains(&"-static-pie"));
        assert!(compiler(Variant::Busybox).is_none());
    }

    #[test]
    fn staleness_by_mtime() {
        let dir = std::env::temp_dir().join(format!("elfin-compat-mtime-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("a.c");
        let out = dir.join("a");
        std::fs::write(&src, "int main(void){return 0;}").unwrap();
        assert!(!up_to_date(&out, &[&src]), "missing output is stale");
        std::fs::write(&out, "bin").unwrap();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options().write(true).open(&src).unwrap().set_modified(old).unwrap();
        assert!(up_to_date(&out, &[&src]));
        let newer = SystemTime::now() + std::time::Duration::from_secs(60);
        std::fs::File::options().write(true).open(&src).unwrap().set_modified(newer).unwrap();
        assert!(!up_to_date(&out, &[&src]), "newer source makes it stale");
        assert!(!up_to_date(&out, &[&dir.join("missing.h")]), "missing input makes it stale");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_compiler_is_reported() {
        assert!(find_in_path("definitely-not-a-compiler-xyz").is_none());
        assert!(find_in_path("sh").is_some());
    }
}
