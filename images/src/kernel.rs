//! Finding the `elfin-kernel` ELF that QEMU boots.
//!
//! Order: `--kernel PATH`, else `$ELFIN_KERNEL`, else next to the running `elfin` executable in
//! the cargo target dir: `<exe dir>/../x86_64-unknown-none/<profile>/elfin-kernel`, the exe's own
//! profile (`release` or `debug`, from the exe dir's name) first, then the other one. An
//! explicit path (flag or variable) is the only candidate. [`candidates`] is pure;
//! [`locate`] checks the file system.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

/// File name of the kernel binary.
pub const KERNEL_NAME: &str = "elfin-kernel";
/// Target triple the kernel is built for.
pub const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// The paths to try, in order.
pub fn candidates(flag: Option<&Path>, env: Option<OsString>, exe: Option<&Path>) -> Vec<PathBuf> {
    if let Some(path) = flag {
        return vec![path.to_path_buf()];
    }
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        return vec![PathBuf::from(path)];
    }
    let Some(exe_dir) = exe.and_then(Path::parent) else {
        return Vec::new();
    };
    let target_dir = exe_dir.parent().unwrap_or(exe_dir);
    let profiles = if exe_dir.file_name().is_some_and(|n| n == "debug") {
        ["debug", "release"]
    } else {
        ["release", "debug"]
    };
    profiles
        .iter()
        .map(|profile| {
            target_dir
                .join(KERNEL_TARGET)
                .join(profile)
                .join(KERNEL_NAME)
        })
        .collect()
}

/// The first candidate that is a file, or the "kernel not found" error listing all of them.
pub fn locate(flag: Option<&Path>) -> Result<PathBuf> {
    let exe = std::env::current_exe().ok();
    let list = candidates(flag, std::env::var_os("ELFIN_KERNEL"), exe.as_deref());
    if let Some(found) = list.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = list.iter().map(|p| p.display().to_string()).collect();
    bail!(
        "kernel not found (looked in {}); run `make build`",
        looked.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_then_env() {
        let exe = Path::new("/w/target/release/elfin");
        assert_eq!(
            candidates(Some(Path::new("k")), Some("e".into()), Some(exe)),
            vec![PathBuf::from("k")]
        );
        assert_eq!(
            candidates(None, Some("e".into()), Some(exe)),
            vec![PathBuf::from("e")]
        );
    }

    #[test]
    fn empty_env_is_ignored() {
        let exe = Path::new("/w/target/release/elfin");
        assert_eq!(candidates(None, Some("".into()), Some(exe)).len(), 2);
    }

    #[test]
    fn relative_to_a_release_exe() {
        let exe = Path::new("/w/target/release/elfin");
        assert_eq!(
            candidates(None, None, Some(exe)),
            vec![
                PathBuf::from("/w/target/x86_64-unknown-none/release/elfin-kernel"),
                PathBuf::from("/w/target/x86_64-unknown-none/debug/elfin-kernel"),
            ]
        );
    }

    #[test]
    fn relative_to_a_debug_exe() {
        let exe = Path::new("/w/target/debug/elfin");
        assert_eq!(
            candidates(None, None, Some(exe)),
            vec![
                PathBuf::from("/w/target/x86_64-unknown-none/debug/elfin-kernel"),
                PathBuf::from("/w/target/x86_64-unknown-none/release/elfin-kernel"),
            ]
        );
    }

    #[test]
    fn no_exe_no_candidates() {
        assert!(candidates(None, None, None).is_empty());
    }
}
