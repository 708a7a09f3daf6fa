//! Debian packages as the analyser's input: candidate versions (`apt-cache show`), downloads
//! into a cache (`apt-get download`, nothing installed), extraction (`dpkg-deb -x`), the ELF
//! files of an extracted package, and the package that ships a shared library (soname).
//!
//! The cache (`target/coverage-cache/` by default) holds `debs/` and `x/<pkg>_<version>/`; a
//! package already extracted at its candidate version is never fetched again.

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A package at the version apt would install.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub arch: String,
    pub source: String,
}

/// Parse the first stanza of `apt-cache show` output.
pub fn parse_show(text: &str) -> Option<Package> {
    let mut f: HashMap<&str, &str> = HashMap::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(": ") {
            f.entry(k).or_insert(v.trim());
        }
    }
    let name = f.get("Package")?.to_string();
    Some(Package {
        source: f.get("Source").map(|s| s.split(' ').next().unwrap_or(s).to_string()).unwrap_or_else(|| name.clone()),
        version: f.get("Version")?.to_string(),
        arch: f.get("Architecture").unwrap_or(&"amd64").to_string(),
        name,
    })
}

/// Candidate sonames -> Debian package names, by Debian's library package naming policy:
/// `libfoo.so.3` -> `libfoo3`; `libfoo-1.2.so.0` -> `libfoo-1.2-0`; a base ending in a digit
/// takes a hyphen before the major version.
pub fn soname_package_guesses(soname: &str) -> Vec<String> {
    let Some((base, major)) = soname.split_once(".so") else { return vec![] };
    let major = major.trim_start_matches('.');
    let major = major.split('.').next().unwrap_or("");
    let base_l = base.to_lowercase().replace('_', "-");
    let mut out = Vec::new();
    if major.is_empty() {
        out.push(base_l.clone());
    } else if base_l.ends_with(|c: char| c.is_ascii_digit()) {
        out.push(format!("{base_l}-{major}"));
        out.push(format!("{base_l}{major}"));
    } else {
        out.push(format!("{base_l}{major}"));
        out.push(format!("{base_l}-{major}"));
    }
    // libfoo.so.3 from libfoo3t64 / libfoo3-0 style variants are rare in bookworm; the
    // non-lib-prefixed names (zlib1g) come from dpkg -S on the host.
    out.dedup();
    out
}

pub struct Apt {
    pub cache: PathBuf,
    shown: HashMap<String, Option<Package>>,
    /// soname -> file inside an extracted package (libraries indexed so far).
    so_index: BTreeMap<String, PathBuf>,
    indexed: std::collections::HashSet<PathBuf>,
    pub log: Vec<String>,
}

impl Apt {
    pub fn new(cache: &Path) -> Result<Apt> {
        std::fs::create_dir_all(cache.join("debs"))?;
        std::fs::create_dir_all(cache.join("x"))?;
        Ok(Apt {
            cache: cache.to_path_buf(),
            shown: Self::load_shown(cache),
            so_index: BTreeMap::new(),
            indexed: Default::default(),
            log: vec![],
        })
    }

    /// The candidate version of a real (not virtual) package, or None.
    pub fn show(&mut self, name: &str) -> Option<Package> {
        if !self.shown.contains_key(name) {
            self.show_many(&[name.to_string()]);
        }
        self.shown.get(name).cloned().flatten()
    }

    /// Look up many packages with one `apt-cache show` (each call reads apt's whole cache,
    /// ~2 s here, so they are batched). Names apt does not know are remembered as None.
    pub fn show_many(&mut self, names: &[String]) {
        let todo: Vec<&String> = names.iter().filter(|n| !self.shown.contains_key(n.as_str())).collect();
        if todo.is_empty() {
            return;
        }
        if let Ok(o) = Command::new("apt-cache").args(["show", "--no-all-versions"]).args(&todo).output() {
            let text = String::from_utf8_lossy(&o.stdout);
            for stanza in text.split("\n\n") {
                if let Some(p) = parse_show(stanza.trim_start_matches('\n')) {
                    self.shown.insert(p.name.clone(), Some(p));
                }
            }
        }
        for n in todo {
            self.shown.entry(n.clone()).or_insert(None);
        }
    }

    /// apt's package cache changes with every `apt-get update`; look-ups made since the last
    /// one are kept in cache/apt-show.json, stamped with its modification time.
    fn apt_stamp() -> String {
        std::fs::metadata("/var/cache/apt/pkgcache.bin")
            .and_then(|m| m.modified())
            .map(|t| format!("{t:?}"))
            .unwrap_or_default()
    }

    fn load_shown(cache: &Path) -> HashMap<String, Option<Package>> {
        let Ok(text) = std::fs::read_to_string(cache.join("apt-show.json")) else { return HashMap::new() };
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return HashMap::new() };
        if v["stamp"].as_str() != Some(Self::apt_stamp().as_str()) || Self::apt_stamp().is_empty() {
            return HashMap::new();
        }
        let mut out = HashMap::new();
        if let Some(m) = v["packages"].as_object() {
            for (k, p) in m {
                let pkg = p.as_object().map(|o| Package {
                    name: o["name"].as_str().unwrap_or_default().to_string(),
                    version: o["version"].as_str().unwrap_or_default().to_string(),
                    arch: o["arch"].as_str().unwrap_or_default().to_string(),
                    source: o["source"].as_str().unwrap_or_default().to_string(),
                });
                out.insert(k.clone(), pkg);
            }
        }
        out
    }

    /// Keep this run's package look-ups for the next run (see `apt_stamp`).
    pub fn save_shown(&self) {
        let v = serde_json::json!({ "stamp": Self::apt_stamp(), "packages": self.shown });
        let _ = std::fs::write(self.cache.join("apt-show.json"), v.to_string());
    }

    /// Packages recorded in earlier runs as shipping some soname.
    pub fn remembered_packages(&self) -> Vec<String> {
        std::fs::read_to_string(self.cache.join("sonames.txt"))
            .map(|t| t.lines().filter_map(|l| l.split_once(' ').map(|(_, p)| p.to_string())).collect())
            .unwrap_or_default()
    }

    fn extract_dir(&self, p: &Package) -> PathBuf {
        self.cache.join("x").join(format!("{}_{}", p.name, p.version.replace(':', "%3a")))
    }

    /// Download (if needed) and extract the packages; returns their extraction dirs.
    pub fn fetch(&mut self, pkgs: &[Package]) -> Result<Vec<PathBuf>> {
        let debs = self.cache.join("debs");
        let deb_of = |p: &Package| debs.join(format!("{}_{}_{}.deb", p.name, p.version.replace(':', "%3a"), p.arch));
        let missing: Vec<String> = pkgs
            .iter()
            .filter(|p| !self.extract_dir(p).join(".done").exists() && !deb_of(p).exists())
            .map(|p| format!("{}={}", p.name, p.version))
            .collect();
        for chunk in missing.chunks(40) {
            eprintln!("coverage: apt-get download {}", chunk.join(" "));
            let st = Command::new("apt-get")
                .arg("download")
                .arg("-qq")
                // The cache dir belongs to the caller; as root, apt's _apt sandbox user could
                // not write there and apt would warn on every file.
                .args(["-o", "APT::Sandbox::User=root"])
                .args(chunk)
                .current_dir(&debs)
                .status()
                .context("running apt-get download")?;
            if !st.success() {
                bail!("apt-get download failed for {}", chunk.join(" "));
            }
        }
        let mut dirs = Vec::new();
        for p in pkgs {
            let dir = self.extract_dir(p);
            if !dir.join(".done").exists() {
                let deb = deb_of(p);
                if !deb.exists() {
                    bail!("{} was not downloaded", deb.display());
                }
                let tmp = dir.with_extension("tmp");
                let _ = std::fs::remove_dir_all(&tmp);
                std::fs::create_dir_all(&tmp)?;
                let st = Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&tmp).status().context("running dpkg-deb")?;
                if !st.success() {
                    bail!("dpkg-deb -x {} failed", deb.display());
                }
                std::fs::write(tmp.join(".done"), "")?;
                let _ = std::fs::remove_dir_all(&dir);
                std::fs::rename(&tmp, &dir)?;
            }
            self.index(&dir);
            dirs.push(dir);
        }
        Ok(dirs)
    }

    /// Add the shared libraries of an extracted tree to the soname index.
    pub fn index(&mut self, dir: &Path) {
        if !self.indexed.insert(dir.to_path_buf()) {
            return;
        }
        for f in walk(dir) {
            if let Some(name) = f.file_name().and_then(|n| n.to_str())
                && name.contains(".so")
            {
                self.so_index.entry(name.to_string()).or_insert(f);
            }
        }
    }

    fn remembered_soname(&self, soname: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.cache.join("sonames.txt")).ok()?;
        text.lines().find_map(|l| l.split_once(' ').filter(|(s, _)| *s == soname).map(|(_, p)| p.to_string()))
    }

    /// Record which package shipped a soname, so later runs skip the search.
    pub fn remember_soname(&self, soname: &str, pkg: &str) {
        if self.remembered_soname(soname).as_deref() == Some(pkg) {
            return;
        }
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(self.cache.join("sonames.txt")) {
            let _ = writeln!(f, "{soname} {pkg}");
        }
    }

    /// Path of `file` relative to the root of the extracted package holding it, and that
    /// package's directory name.
    pub fn in_package(&self, file: &Path) -> (String, String) {
        let x = self.cache.join("x");
        match file.strip_prefix(&x) {
            Ok(rel) => {
                let mut c = rel.components();
                let pkg = c.next().map(|c| c.as_os_str().to_string_lossy().to_string()).unwrap_or_default();
                (format!("/{}", c.as_path().display()), pkg)
            }
            Err(_) => (file.display().to_string(), String::new()),
        }
    }

    pub fn lookup_indexed(&self, soname: &str) -> Option<PathBuf> {
        self.so_index.get(soname).cloned()
    }

    /// Find, fetch and extract the packages shipping `sonames`; returns the library file and
    /// how its package was found, for each soname found. Three stages, each with one
    /// `apt-cache show` and one `apt-get download` for all sonames still missing: the package
    /// an earlier run recorded (cache/sonames.txt), the host's dpkg database (`dpkg -S`), and
    /// Debian's library package naming.
    pub fn resolve_sonames(&mut self, sonames: &[String]) -> BTreeMap<String, (PathBuf, String)> {
        let mut found = BTreeMap::new();
        let mut todo: Vec<String> = Vec::new();
        for so in sonames {
            match self.lookup_indexed(so) {
                Some(p) => {
                    found.insert(so.clone(), (p, "already fetched".to_string()));
                }
                None => todo.push(so.clone()),
            }
        }
        for stage in 0..3 {
            if todo.is_empty() {
                break;
            }
            let mut cands: Vec<(String, String)> = Vec::new(); // (soname, package)
            match stage {
                0 => {
                    for so in &todo {
                        if let Some(p) = self.remembered_soname(so) {
                            cands.push((so.clone(), p));
                        }
                    }
                }
                1 => {
                    let mut paths = Vec::new();
                    for so in &todo {
                        for d in ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"] {
                            paths.push(format!("{d}/{so}"));
                        }
                    }
                    // dpkg -S exits non-zero when some path is unknown but prints the others.
                    if let Ok(o) = Command::new("dpkg").arg("-S").args(&paths).output() {
                        for line in String::from_utf8_lossy(&o.stdout).lines() {
                            let Some((pkgs, path)) = line.split_once(": ") else { continue };
                            let so = path.rsplit('/').next().unwrap_or(path).to_string();
                            for p in pkgs.split(", ") {
                                cands.push((so.clone(), p.split(':').next().unwrap_or(p).to_string()));
                            }
                        }
                    }
                }
                _ => {
                    for so in &todo {
                        for g in soname_package_guesses(so) {
                            cands.push((so.clone(), g));
                        }
                    }
                }
            }
            let names: Vec<String> = cands.iter().map(|(_, p)| p.clone()).collect();
            self.show_many(&names);
            let mut pkgs: Vec<Package> = Vec::new();
            for n in &names {
                if let Some(Some(p)) = self.shown.get(n)
                    && !pkgs.contains(p)
                {
                    pkgs.push(p.clone());
                }
            }
            if self.fetch(&pkgs).is_err() {
                // One bad package fails a batch download: fetch them one by one.
                for p in &pkgs {
                    if let Err(e) = self.fetch(std::slice::from_ref(p)) {
                        self.log.push(format!("{}: {e:#}", p.name));
                    }
                }
            }
            let how = ["recorded by an earlier run", "dpkg -S", "soname naming"][stage];
            for (so, pkg) in &cands {
                if found.contains_key(so) {
                    continue;
                }
                if let Some(p) = self.lookup_indexed(so) {
                    self.remember_soname(so, pkg);
                    found.insert(so.clone(), (p, format!("{pkg} ({how})")));
                }
            }
            todo.retain(|so| !found.contains_key(so));
        }
        found
    }
}

/// Every regular file under `dir` (symlinks not followed).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                stack.push(e.path());
            } else if ft.is_file() || ft.is_symlink() {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Resolve a path inside an extracted tree, following symlinks within the tree (absolute
/// link targets are taken relative to the tree's root, as they would be once installed).
pub fn resolve_in_tree(root: &Path, path: &Path) -> Option<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..16 {
        let meta = std::fs::symlink_metadata(&p).ok()?;
        if !meta.file_type().is_symlink() {
            return Some(p);
        }
        let t = std::fs::read_link(&p).ok()?;
        p = if t.is_absolute() { root.join(t.strip_prefix("/").ok()?) } else { p.parent()?.join(t) };
    }
    None
}

/// The version of a package installed on this host, if any.
pub fn installed_version(name: &str) -> Option<String> {
    let o = Command::new("dpkg-query").args(["-W", "-f=${Status}|${Version}", name]).output().ok()?;
    let s = String::from_utf8_lossy(&o.stdout).to_string();
    let (status, version) = s.split_once('|')?;
    status.ends_with("installed").then(|| version.to_string()).filter(|_| status.contains("install ok"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soname_guesses_follow_policy() {
        assert_eq!(soname_package_guesses("libssl.so.3")[0], "libssl3");
        assert_eq!(soname_package_guesses("libpcre2-8.so.0")[0], "libpcre2-8-0");
        assert_eq!(soname_package_guesses("libevent-2.1.so.7")[0], "libevent-2.1-7");
        assert!(soname_package_guesses("noso").is_empty());
    }

    #[test]
    fn show_stanza() {
        let t = "Package: nginx\nSource: nginx (1.22)\nVersion: 1.22.1-9\nArchitecture: amd64\n\nPackage: other\n";
        let p = parse_show(t).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str(), p.source.as_str()), ("nginx", "1.22.1-9", "nginx"));
    }
}
