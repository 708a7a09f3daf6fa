//! The whole run: fetch every application's packages, analyse its executables and the shared
//! libraries they need (DT_NEEDED, transitively) against the libc model, run the workloads
//! under strace, and gather one `AppResult` per application.
//!
//! An application's static set is the union of: its executables' and libraries' own syscall
//! sites, the syscalls each imported libc function reaches inside libc, numbers passed to
//! libc's `syscall()` at their call sites, every syscall site of the dynamic loader, and libc's
//! start-up (init functions). A statically linked executable contributes its own sites only.

use crate::analysis::{LibcModel, ObjectSyscalls, object_syscalls};
use crate::apps::{App, AppList};
use crate::debian::{self, Apt, Package};
use crate::dynamic;
use crate::elfobj::{ObjKind, Object};
use crate::table::Table;
use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

#[derive(Debug, Clone, Serialize)]
pub struct LibRef {
    pub soname: String,
    /// Path inside its package (as installed).
    pub path: String,
    /// The package and version it came from (`name_version`).
    pub package: String,
    /// How that package was found.
    pub found_by: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exception {
    pub nr: Option<u32>,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct DynamicResult {
    pub syscalls: BTreeSet<u32>,
    pub calls: BTreeMap<String, u64>,
    pub processes: usize,
    pub opened_objects: Vec<String>,
    /// Installed host versions of the app's packages (the traced binaries).
    pub host_versions: BTreeMap<String, String>,
    /// Syscalls strace saw that the static analysis did not find.
    pub exceptions: Vec<Exception>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AppResult {
    pub name: String,
    pub group: String,
    pub packages: Vec<Package>,
    pub popcon_package: String,
    pub substitute: Option<String>,
    pub executables: Vec<String>,
    pub extra: Vec<String>,
    pub libraries: Vec<LibRef>,
    pub unresolved_libraries: Vec<String>,
    pub static_syscalls: BTreeSet<u32>,
    /// syscall -> where the static analysis found it (first few sources).
    pub provenance: BTreeMap<u32, Vec<String>>,
    pub syscall_sites: usize,
    pub resolved_sites: usize,
    pub int80_sites: usize,
    pub instructions: usize,
    pub statically_linked: bool,
    pub dynamic: Option<DynamicResult>,
    pub dynamic_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LibcInfo {
    pub package: Package,
    pub instructions: usize,
    pub sites: usize,
    pub resolved_sites: usize,
    pub regions: usize,
    pub edges: usize,
    pub syscalls_in_libc: usize,
    pub exports: usize,
    pub startup: BTreeSet<u32>,
    pub loader_syscalls: BTreeSet<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub date: String,
    pub apps: Vec<AppResult>,
    pub libc: LibcInfo,
    pub log: Vec<String>,
    pub dynamic_enabled: bool,
}

pub struct Options {
    pub apps: PathBuf,
    pub workloads: PathBuf,
    pub cache: PathBuf,
    pub dynamic: bool,
    pub only: Vec<String>,
}

/// Analysis of one library file, shared by every application that needs it.
struct LibInfo {
    syscalls: ObjectSyscalls,
    needed: Vec<String>,
    runpaths: Vec<String>,
}

const PROVENANCE_MAX: usize = 4;

fn add_prov(prov: &mut BTreeMap<u32, Vec<String>>, nr: u32, what: String) {
    let v = prov.entry(nr).or_default();
    if v.len() < PROVENANCE_MAX && !v.contains(&what) {
        v.push(what);
    }
}

/// UTC date of now as YYYY-MM-DD.
pub fn today() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

pub struct Runner {
    apt: Apt,
    libc_obj: Object,
    libc: LibcModel,
    libc_pkg: Package,
    libc_startup: BTreeSet<u32>,
    loader: BTreeSet<u32>,
    libs: HashMap<PathBuf, Rc<LibInfo>>,
    log: Vec<String>,
}

impl Runner {
    pub fn new(cache: &Path, list: &AppList) -> Result<Runner> {
        let mut apt = Apt::new(cache)?;
        let mut names: Vec<String> = list.apps.iter().flat_map(|a| a.packages.iter().cloned()).collect();
        names.push("libc6".into());
        names.extend(apt.remembered_packages());
        // The library packages the applications depend on directly: most DT_NEEDED sonames
        // are found among them, so one batch download replaces many small look-ups.
        let app_pkgs: Vec<String> = list.apps.iter().flat_map(|a| a.packages.iter().cloned()).collect();
        names.extend(depends_many(&app_pkgs));
        names.sort();
        names.dedup();
        apt.show_many(&names);
        // One download for every package known to be needed (apt fetches them in parallel).
        let known: Vec<Package> = names.iter().filter_map(|n| apt.show(n)).collect();
        if let Err(e) = apt.fetch(&known) {
            eprintln!("coverage: prefetch: {e:#} (fetching package by package instead)");
        }
        let libc_pkg = apt.show("libc6").ok_or_else(|| anyhow!("apt-cache knows no libc6 (run apt-get update)"))?;
        apt.fetch(std::slice::from_ref(&libc_pkg))?;
        let libc_path = apt.lookup_indexed("libc.so.6").ok_or_else(|| anyhow!("libc6 has no libc.so.6"))?;
        let ld_path = apt.lookup_indexed("ld-linux-x86-64.so.2").ok_or_else(|| anyhow!("libc6 has no ld-linux-x86-64.so.2"))?;
        let libc_obj = Object::open(&libc_path)?;
        let mut libc = LibcModel::new(&libc_obj);
        let libc_startup = libc.startup_syscalls(&libc_obj);
        let ld = Object::open(&ld_path)?;
        let loader = crate::analysis::analyse_object(&ld).0.all_syscalls();
        Ok(Runner { apt, libc_obj, libc, libc_pkg, libc_startup, loader, libs: HashMap::new(), log: vec![] })
    }

    pub fn libc_info(&self) -> LibcInfo {
        LibcInfo {
            package: self.libc_pkg.clone(),
            instructions: self.libc.analysis.instructions,
            sites: self.libc.analysis.sites,
            resolved_sites: self.libc.analysis.resolved_sites,
            regions: self.libc.regions,
            edges: self.libc.edge_count,
            syscalls_in_libc: self.libc.analysis.all_syscalls().len(),
            exports: self.libc_obj.exports.len(),
            startup: self.libc_startup.clone(),
            loader_syscalls: self.loader.clone(),
        }
    }

    /// Every syscall with a site anywhere in libc (used to explain strace exceptions).
    pub fn libc_all(&self) -> BTreeSet<u32> {
        self.libc.analysis.all_syscalls()
    }

    fn lib_info(&mut self, path: &Path) -> Result<Rc<LibInfo>> {
        if let Some(i) = self.libs.get(path) {
            return Ok(i.clone());
        }
        let obj = Object::open(path)?;
        let info = Rc::new(LibInfo {
            syscalls: object_syscalls(&obj, &mut self.libc),
            needed: obj.needed.clone(),
            runpaths: obj.runpaths.clone(),
        });
        self.libs.insert(path.to_path_buf(), info.clone());
        Ok(info)
    }

    /// A needed library inside the application's own packages (RUNPATH dirs first).
    fn find_in_trees(soname: &str, trees: &[PathBuf], runpaths: &[String]) -> Option<(PathBuf, String)> {
        for rp in runpaths {
            for t in trees {
                let rel = rp.replace("$ORIGIN", "").replace("${ORIGIN}", "");
                let cand = t.join(rel.trim_start_matches('/')).join(soname);
                if let Some(p) = debian::resolve_in_tree(t, &cand).filter(|p| p.is_file()) {
                    return Some((p, "the application's package (RUNPATH)".into()));
                }
            }
        }
        for t in trees {
            for f in debian::walk(t) {
                if f.file_name().and_then(|n| n.to_str()) == Some(soname)
                    && let Some(p) = debian::resolve_in_tree(t, &f).filter(|p| p.is_file())
                {
                    return Some((p, "the application's package".into()));
                }
            }
        }
        None
    }

    /// Find needed libraries: the application's own packages, then the library packages
    /// (`Apt::resolve_sonames`), then the library packages the application depends on.
    fn find_libs(
        &mut self,
        wanted: &[(String, Vec<String>)],
        trees: &[PathBuf],
        app_pkgs: &[Package],
    ) -> BTreeMap<String, (PathBuf, String)> {
        let mut found = BTreeMap::new();
        let mut rest = Vec::new();
        for (so, runpaths) in wanted {
            match Self::find_in_trees(so, trees, runpaths) {
                Some(f) => {
                    found.insert(so.clone(), f);
                }
                None => rest.push(so.clone()),
            }
        }
        found.extend(self.apt.resolve_sonames(&rest));
        rest.retain(|so| !found.contains_key(so));
        if !rest.is_empty() {
            for p in app_pkgs {
                let deps = depends(&p.name);
                self.apt.show_many(&deps);
                for dep in deps {
                    if let Some(dp) = self.apt.show(&dep)
                        && self.apt.fetch(std::slice::from_ref(&dp)).is_ok()
                    {
                        for so in &rest {
                            if !found.contains_key(so)
                                && let Some(f) = self.apt.lookup_indexed(so)
                            {
                                self.apt.remember_soname(so, &dp.name);
                                found.insert(so.clone(), (f, format!("{} (dependency of {})", dp.name, p.name)));
                            }
                        }
                    }
                }
            }
        }
        found
    }

    /// Static analysis of one application.
    pub fn analyse_app(&mut self, app: &App) -> Result<AppResult> {
        let mut pkgs = Vec::new();
        for name in &app.packages {
            pkgs.push(self.apt.show(name).ok_or_else(|| anyhow!("package {name} has no candidate version"))?);
        }
        let trees = self.apt.fetch(&pkgs)?;
        // Executables: as listed, else every ELF executable in the packages.
        let mut exes: Vec<(PathBuf, String, PathBuf)> = Vec::new(); // (file, display path, tree)
        if app.executables.is_empty() {
            for t in &trees {
                for f in debian::walk(t) {
                    if std::fs::symlink_metadata(&f).is_ok_and(|m| m.file_type().is_file())
                        && let Ok(o) = read_head(&f)
                        && crate::elfobj::is_elf(&o)
                        && Object::open(&f).is_ok_and(|o| o.kind != ObjKind::SharedLibrary)
                    {
                        let rel = f.strip_prefix(t).unwrap_or(&f).to_string_lossy().to_string();
                        exes.push((f.clone(), rel, t.clone()));
                    }
                }
            }
        } else {
            for e in &app.executables {
                let found = trees.iter().find_map(|t| debian::resolve_in_tree(t, &t.join(e)).filter(|p| p.is_file()).map(|p| (p, t.clone())));
                let (p, t) = found.ok_or_else(|| anyhow!("{}: {e} is in none of {:?}", app.name, app.packages))?;
                exes.push((p, e.clone(), t));
            }
        }
        if exes.is_empty() {
            bail!("{}: no ELF executable found in {:?}", app.name, app.packages);
        }
        let mut objects: Vec<(PathBuf, String)> = exes.iter().map(|(p, rel, _)| (p.clone(), rel.clone())).collect();
        for e in &app.extra {
            let found = trees.iter().find_map(|t| debian::resolve_in_tree(t, &t.join(e)).filter(|p| p.is_file()));
            objects.push((found.ok_or_else(|| anyhow!("{}: extra object {e} not found", app.name))?, e.clone()));
        }

        let mut r = AppResult {
            name: app.name.clone(),
            group: app.group.clone(),
            packages: pkgs.clone(),
            popcon_package: app.popcon_package().to_string(),
            substitute: app.substitute.clone(),
            executables: exes.iter().map(|(_, rel, _)| rel.clone()).collect(),
            extra: app.extra.clone(),
            libraries: vec![],
            unresolved_libraries: vec![],
            static_syscalls: BTreeSet::new(),
            provenance: BTreeMap::new(),
            syscall_sites: 0,
            resolved_sites: 0,
            int80_sites: 0,
            instructions: 0,
            statically_linked: false,
            dynamic: None,
            dynamic_error: None,
        };
        let mut any_dynamic = false;
        let mut needs_libc = false;
        let mut queue: Vec<(String, Vec<String>)> = Vec::new(); // (soname, runpaths of requester)
        for (path, rel) in &objects {
            let obj = Object::open(path)?;
            let s = object_syscalls(&obj, &mut self.libc);
            let short = rel.rsplit('/').next().unwrap_or(rel).to_string();
            self.account(&mut r, &s, &short);
            match obj.kind {
                ObjKind::StaticExecutable => r.statically_linked = true,
                _ => any_dynamic = true,
            }
            for n in &obj.needed {
                queue.push((n.clone(), obj.runpaths.clone()));
            }
        }
        if r.statically_linked && any_dynamic {
            r.statically_linked = false;
        }
        let mut done: BTreeSet<String> = BTreeSet::new();
        // Breadth first, one batch of package look-ups per level of DT_NEEDED.
        while !queue.is_empty() {
            let mut level: Vec<(String, Vec<String>)> = Vec::new();
            for (soname, runpaths) in std::mem::take(&mut queue) {
                if !done.insert(soname.clone()) {
                    continue;
                }
                if soname == "libc.so.6" {
                    needs_libc = true;
                } else if !soname.starts_with("ld-linux") {
                    level.push((soname, runpaths));
                }
            }
            let found = self.find_libs(&level, &trees, &pkgs);
            for (soname, _) in &level {
                let Some((path, how)) = found.get(soname) else {
                    r.unresolved_libraries.push(soname.clone());
                    continue;
                };
                let info = match self.lib_info(path) {
                    Ok(i) => i,
                    Err(e) => {
                        self.log.push(format!("{}: {soname}: {e:#}", app.name));
                        r.unresolved_libraries.push(soname.clone());
                        continue;
                    }
                };
                let (shown, dir) = self.apt.in_package(path);
                r.libraries.push(LibRef { soname: soname.clone(), path: shown, package: dir.replace("%3a", ":"), found_by: how.clone() });
                self.account(&mut r, &info.syscalls.clone(), soname);
                for n in &info.needed {
                    queue.push((n.clone(), info.runpaths.clone()));
                }
            }
        }
        if any_dynamic {
            for &nr in &self.loader {
                r.static_syscalls.insert(nr);
                add_prov(&mut r.provenance, nr, "ld.so".into());
            }
            if needs_libc {
                for &nr in &self.libc_startup {
                    r.static_syscalls.insert(nr);
                    add_prov(&mut r.provenance, nr, "libc start-up".into());
                }
            }
        }
        r.libraries.sort_by(|a, b| a.soname.cmp(&b.soname));
        Ok(r)
    }

    fn account(&self, r: &mut AppResult, s: &ObjectSyscalls, who: &str) {
        r.syscall_sites += s.sites;
        r.resolved_sites += s.resolved_sites;
        r.int80_sites += s.int80_sites;
        r.instructions += s.instructions;
        for &nr in &s.direct {
            r.static_syscalls.insert(nr);
            add_prov(&mut r.provenance, nr, format!("{who}: syscall site"));
        }
        for (&nr, funcs) in &s.via_libc {
            r.static_syscalls.insert(nr);
            let f: Vec<&str> = funcs.iter().take(3).map(String::as_str).collect();
            add_prov(&mut r.provenance, nr, format!("{who} -> libc {}", f.join(",")));
        }
        for &nr in &s.via_wrapper {
            r.static_syscalls.insert(nr);
            add_prov(&mut r.provenance, nr, format!("{who} -> libc syscall()"));
        }
    }

    /// Run the application's workload under strace and compare with the static set.
    pub fn run_dynamic(&mut self, app: &App, r: &mut AppResult, workloads: &Path, table: &Table) {
        let Some(w) = &app.workload else { return };
        let dir = self.apt.cache.join("traces");
        let _ = std::fs::create_dir_all(&dir);
        // The scripts change directory: give them absolute paths.
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let trace = dir.join(format!("{}.strace", app.name));
        let log = dir.join(format!("{}.log", app.name));
        let work = std::env::temp_dir().join(format!("elfin-coverage-{}-{}", app.name, std::process::id()));
        let _ = std::fs::remove_dir_all(&work);
        eprintln!("coverage: running workload {w} under strace");
        let res = dynamic::run_workload(&workloads.join(w), &trace, &work, &log, Duration::from_secs(180));
        let _ = std::fs::remove_dir_all(&work);
        if let Err(e) = res {
            r.dynamic_error = Some(format!("{e:#}"));
            return;
        }
        let text = match std::fs::read_to_string(&trace) {
            Ok(t) => t,
            Err(e) => {
                r.dynamic_error = Some(format!("reading the trace: {e}"));
                return;
            }
        };
        let targets: Vec<String> = if app.trace.is_empty() {
            r.executables.iter().map(|e| format!("/{e}")).collect()
        } else {
            app.trace.clone()
        };
        let canon: Vec<PathBuf> = targets.iter().filter_map(|t| std::fs::canonicalize(t).ok()).collect();
        let is_app = |p: &str| {
            targets.iter().any(|t| t == p) || std::fs::canonicalize(p).is_ok_and(|c| canon.contains(&c))
        };
        let t = dynamic::parse_trace(&text, &is_app);
        let mut d = DynamicResult {
            processes: t.processes,
            opened_objects: t.opened_objects.iter().cloned().collect(),
            calls: t.calls.clone(),
            ..Default::default()
        };
        if t.processes == 0 {
            r.dynamic_error = Some(format!("the trace shows no process running {targets:?}"));
            return;
        }
        for p in &r.packages {
            if let Some(v) = debian::installed_version(&p.name) {
                d.host_versions.insert(p.name.clone(), v);
            }
        }
        let libc_all = self.libc_all();
        let analysed: Vec<String> = r.libraries.iter().map(|l| l.soname.clone()).collect();
        let unanalysed_loaded: Vec<String> = t
            .opened_objects
            .iter()
            .filter(|o| {
                let base = o.rsplit('/').next().unwrap_or(o);
                !analysed.iter().any(|a| a == base)
                    && base != "libc.so.6"
                    && !r.extra.iter().any(|e| e.ends_with(base))
            })
            .cloned()
            .collect();
        for name in t.calls.keys() {
            let Some(nr) = table.nr_of_strace_name(name) else {
                d.exceptions.push(Exception { nr: None, name: name.clone(), reason: "name not in Elfin's table".into() });
                continue;
            };
            d.syscalls.insert(nr);
            if r.static_syscalls.contains(&nr) {
                continue;
            }
            // Objects loaded at run time (dlopen: NSS modules, plugins) are not in the static
            // set; the host's copy of each is analysed here only to explain the difference.
            let loaded_by: Vec<String> = unanalysed_loaded
                .iter()
                .filter(|o| {
                    let p = Path::new(o.as_str());
                    p.is_file() && self.lib_info(p).is_ok_and(|i| i.syscalls.all().contains(&nr))
                })
                .map(|o| o.rsplit('/').next().unwrap_or(o).to_string())
                .collect();
            let reason = if !loaded_by.is_empty() {
                format!(
                    "made by code loaded at run time with dlopen, which the static analysis (DT_NEEDED only) does not see: {} has it",
                    loaded_by.join(", ")
                )
            } else if libc_all.contains(&nr) {
                "libc has a site for it, but no function the program imports reaches it through direct calls: \
                 reached through a function pointer (stdio FILE vtable, callback, atexit/TLS destructor) the call graph does not follow"
                    .to_string()
            } else if !unanalysed_loaded.is_empty() {
                format!(
                    "no constant site in the analysed code; the program loaded objects at run time that were not analysed ({})",
                    unanalysed_loaded.iter().map(|o| o.rsplit('/').next().unwrap_or(o)).take(4).collect::<Vec<_>>().join(", ")
                )
            } else if r.resolved_sites < r.syscall_sites {
                format!(
                    "no constant site in the analysed code: made at one of the {} syscall sites whose number is computed at run time \
                     (a syscall() wrapper or a table of numbers)",
                    r.syscall_sites - r.resolved_sites
                )
            } else {
                "no site for it in the analysed code: an indirect call or code not analysed".to_string()
            };
            d.exceptions.push(Exception { nr: Some(nr), name: name.clone(), reason });
        }
        r.dynamic = Some(d);
    }

    pub fn take_log(&mut self) -> Vec<String> {
        self.apt.save_shown();
        let mut l = std::mem::take(&mut self.log);
        l.append(&mut self.apt.log);
        l
    }
}

fn read_head(p: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(p)?;
    let mut b = vec![0u8; 4];
    let n = f.read(&mut b)?;
    b.truncate(n);
    Ok(b)
}

/// Direct dependencies of a package that look like library packages.
fn depends(pkg: &str) -> Vec<String> {
    depends_many(&[pkg.to_string()])
}

/// Direct dependencies of packages that look like library packages (one apt-cache call).
fn depends_many(pkgs: &[String]) -> Vec<String> {
    let out = std::process::Command::new("apt-cache")
        .args(["depends", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances"])
        .args(pkgs)
        .output();
    let Ok(o) = out else { return vec![] };
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: ").or_else(|| l.trim().strip_prefix("PreDepends: ")))
        .map(|d| d.trim_matches(|c| c == '<' || c == '>').to_string())
        .filter(|d| d.starts_with("lib") || d.contains("-lib"))
        .collect()
}

/// Run everything for the listed applications.
pub fn run(opts: &Options, table: &Table) -> Result<RunResult> {
    let list = AppList::load(&opts.apps)?;
    let mut runner = Runner::new(&opts.cache, &list).context("preparing libc")?;
    let mut apps = Vec::new();
    for app in &list.apps {
        if !opts.only.is_empty() && !opts.only.contains(&app.name) {
            continue;
        }
        let t = std::time::Instant::now();
        let mut r = match runner.analyse_app(app) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("coverage: {}: {e:#}", app.name);
                runner.log.push(format!("{}: not analysed: {e:#}", app.name));
                continue;
            }
        };
        eprintln!(
            "coverage: {:<16} {:>3} syscalls static, {} libraries{} ({:.1?})",
            app.name,
            r.static_syscalls.len(),
            r.libraries.len(),
            if r.unresolved_libraries.is_empty() { String::new() } else { format!(", unresolved {:?}", r.unresolved_libraries) },
            t.elapsed()
        );
        if opts.dynamic {
            runner.run_dynamic(app, &mut r, &opts.workloads, table);
            if let Some(d) = &r.dynamic {
                eprintln!("coverage: {:<16} {:>3} syscalls traced, {} not found statically", app.name, d.syscalls.len(), d.exceptions.len());
            } else if let Some(e) = &r.dynamic_error {
                eprintln!("coverage: {:<16} workload failed: {e}", app.name);
            }
        }
        apps.push(r);
    }
    Ok(RunResult { date: today(), libc: runner.libc_info(), log: runner.take_log(), apps, dynamic_enabled: opts.dynamic })
}
