//! The measurements, one function per row group, each filling [`Bench`]: the report rows, the
//! facts the targets and notes are computed from, and the raw samples for the JSON.
//! A check that fails (a peer that does not print what it should) is an error: the harness
//! reports breakage, never a timing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use elfin_bench::bisect::{self, MinSize};
use elfin_bench::json::Json;
use elfin_bench::parse::{self, HELLO_MARKER};
use elfin_bench::report::{Cell, Row, Unit};
use elfin_bench::stats::{Summary, median};
use elfin_bench::{elf, sql};

use crate::exec::{Captured, Input};
use crate::peers::{ElfinOpts, Peers};
use crate::setup::{self, Programs};

/// How much of everything to do: `make bench` or `make bench-quick`.
#[derive(Debug, Clone)]
pub struct Config {
    pub quick: bool,
    pub cold_reps: usize,
    pub linux_cold_reps: usize,
    pub boot_reps: usize,
    pub syscall_runs: usize,
    pub linux_syscall_runs: usize,
    pub batches: u32,
    pub calls: u32,
    /// (lo, hi, step) in MiB of the memory bisections.
    pub elfin_mem: (u64, u64, u64),
    pub linux_mem: (u64, u64, u64),
    pub inserts: u32,
    pub sqlite_reps: usize,
    pub linux_sqlite_reps: usize,
    pub build_sqlite: bool,
}

impl Config {
    pub fn full() -> Self {
        Self {
            quick: false,
            cold_reps: 15,
            linux_cold_reps: 11,
            boot_reps: 11,
            syscall_runs: 5,
            linux_syscall_runs: 5,
            batches: 501,
            calls: 200,
            elfin_mem: (1, 256, 1),
            linux_mem: (32, 256, 1),
            inserts: 60_000,
            sqlite_reps: 3,
            linux_sqlite_reps: 3,
            build_sqlite: true,
        }
    }

    pub fn quick() -> Self {
        Self {
            quick: true,
            cold_reps: 3,
            linux_cold_reps: 1,
            boot_reps: 2,
            syscall_runs: 1,
            linux_syscall_runs: 1,
            batches: 51,
            calls: 200,
            elfin_mem: (1, 64, 1),
            linux_mem: (96, 160, 64),
            inserts: 2_000,
            sqlite_reps: 1,
            linux_sqlite_reps: 1,
            build_sqlite: false,
        }
    }
}

/// What the sqlite rows could show.
#[derive(Debug, Clone, PartialEq)]
pub enum Sqlite {
    /// The shell is not built (quick mode does not build it).
    NotBuilt,
    /// `elfin run` cannot run the check yet: why.
    NotYet(String),
    /// Measured.
    Ran,
}

/// Numbers the targets and the notes need.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub cold: BTreeMap<&'static str, f64>,
    pub boot_us: Option<f64>,
    pub phases: Vec<(String, f64)>,
    pub tsc_source: Option<String>,
    pub cycles: BTreeMap<(&'static str, String), f64>,
    pub mem: BTreeMap<(&'static str, &'static str), MinSize>,
    pub sqlite: Option<Sqlite>,
    pub sqlite_s: BTreeMap<&'static str, f64>,
    pub image: BTreeMap<&'static str, f64>,
    /// The last line of Elfin's stderr at the largest memory size where hello failed.
    pub mem_fail: Option<String>,
}

/// The run in progress.
pub struct Bench {
    pub cfg: Config,
    pub peers: Peers,
    pub progs: Programs,
    pub vmlinuz: PathBuf,
    pub rows: Vec<Row>,
    pub facts: Facts,
    pub raw: Vec<(String, Json)>,
    pub errors: Vec<String>,
}

const ELFIN_TIMEOUT: Duration = Duration::from_secs(60);
const LINUX_TIMEOUT: Duration = Duration::from_secs(90);

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary_json(s: &Option<Summary>) -> Json {
    match s {
        Some(s) => Json::obj([
            ("median", Json::Num(s.median)),
            ("min", Json::Num(s.min)),
            ("max", Json::Num(s.max)),
            ("samples", Json::nums(&s.samples)),
        ]),
        None => Json::Null,
    }
}

fn cell(s: &Option<Summary>) -> Cell {
    s.as_ref()
        .map_or(Cell::Text("failed".into()), |s| Cell::Num(s.median))
}

fn row(
    section: &str,
    key: &str,
    metric: &str,
    unit: Unit,
    elfin: Cell,
    linux: Cell,
    native: Cell,
) -> Row {
    Row {
        section: section.into(),
        metric: metric.into(),
        key: key.into(),
        unit,
        elfin,
        linux,
        native,
        target_ratio: None,
    }
}

/// Elfin's hello ran: exit 0 and the marker on stdout.
fn elfin_ok(c: &Captured, expect: &str) -> bool {
    c.status == Some(0) && c.stdout_text().contains(expect)
}

/// The Linux guest's init ran the program to exit 0 and it printed `expect`.
fn linux_ok(c: &Captured, expect: &str) -> bool {
    parse::guest_exit_status(&c.stdout_text()) == Some(0) && c.stdout_text().contains(expect)
}

impl Bench {
    fn check(&self, ok: bool, what: &str, c: &Captured) -> Result<()> {
        ensure!(ok, "{what}: unexpected result ({})", c.describe());
        Ok(())
    }

    /// Runs one suite; an error becomes a line of the report and a failure of the harness.
    pub fn suite(&mut self, name: &str, f: impl FnOnce(&mut Self) -> Result<()>) {
        eprintln!("bench: {name}...");
        if let Err(e) = f(self) {
            eprintln!("bench: {name} FAILED: {e:#}");
            self.errors.push(format!("{name}: {e:#}"));
        }
    }

    /// Cold start of the static hello on each peer, the empty-kernel baseline, and Elfin's
    /// guest-side boot time with its phases.
    pub fn cold_start(&mut self) -> Result<()> {
        let p = self.progs.clone();
        let initramfs = self.peers.initramfs("hello", &p.init, &p.hello, None)?;
        let (mut ef, mut ee, mut empty, mut lf, mut le, mut nf, mut ne) =
            (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
        for i in 0..self.cfg.cold_reps {
            let c = self.peers.elfin(
                &p.hello,
                &[],
                &ElfinOpts::default(),
                &Input::Null,
                ELFIN_TIMEOUT,
            )?;
            self.check(elfin_ok(&c, HELLO_MARKER), "Elfin hello", &c)?;
            ef.push(ms(
                parse::first_output(&c.chunks, HELLO_MARKER.as_bytes()).context("no first byte")?
            ));
            ee.push(ms(c.exit_at));

            let opts = ElfinOpts {
                kernel: Some(&p.empty_kernel),
                ..Default::default()
            };
            let c = self
                .peers
                .elfin(&p.hello, &[], &opts, &Input::Null, ELFIN_TIMEOUT)?;
            self.check(
                c.status == Some(0),
                "empty PVH kernel through elfin run",
                &c,
            )?;
            empty.push(ms(c.exit_at));

            let c = self
                .peers
                .native(&p.hello, &[], &Input::Null, ELFIN_TIMEOUT)?;
            self.check(elfin_ok(&c, HELLO_MARKER), "native hello", &c)?;
            nf.push(ms(
                parse::first_output(&c.chunks, HELLO_MARKER.as_bytes()).context("no first byte")?
            ));
            ne.push(ms(c.exit_at));

            if i < self.cfg.linux_cold_reps {
                let c = self.peers.linux(&initramfs, &[], 256, LINUX_TIMEOUT)?;
                self.check(linux_ok(&c, HELLO_MARKER), "Linux guest hello", &c)?;
                lf.push(ms(parse::first_output(&c.chunks, HELLO_MARKER.as_bytes())
                    .context("no first byte")?));
                le.push(ms(c.exit_at));
            }
        }
        let mut boot = vec![];
        let mut phases: BTreeMap<String, (usize, Vec<f64>)> = BTreeMap::new();
        let mut initrd = None;
        for _ in 0..self.cfg.boot_reps {
            let opts = ElfinOpts {
                verbose: true,
                ..Default::default()
            };
            let c = self
                .peers
                .elfin(&p.hello, &[], &opts, &Input::Null, ELFIN_TIMEOUT)?;
            self.check(elfin_ok(&c, HELLO_MARKER), "Elfin hello --verbose", &c)?;
            let log = c.stderr_text();
            boot.push(
                parse::boot_us(&log)
                    .with_context(|| format!("no boot time in the --verbose log: {log}"))?
                    as f64,
            );
            for (i, (phase, us)) in parse::boot_phases(&log).into_iter().enumerate() {
                phases.entry(phase).or_insert((i, vec![])).1.push(us as f64);
            }
            initrd = parse::initrd_bytes(&log).or(initrd);
            self.facts.tsc_source = log
                .lines()
                .find_map(|l| Some(l[l.find(" kHz (")? + 6..].trim_end_matches(')').to_string()));
        }
        let [ef, ee, empty, lf, le, nf, ne, boot] =
            [ef, ee, empty, lf, le, nf, ne, boot].map(|v| Summary::of(&v));
        for (k, s) in [
            ("elfin_first", &ef),
            ("elfin_exit", &ee),
            ("empty_exit", &empty),
            ("linux_first", &lf),
            ("linux_exit", &le),
            ("native_first", &nf),
            ("native_exit", &ne),
        ] {
            if let Some(s) = s {
                self.facts.cold.insert(k, s.median);
            }
        }
        self.facts.boot_us = boot.as_ref().map(|s| s.median);
        let mut ordered: Vec<(usize, String, f64)> = phases
            .into_iter()
            .filter_map(|(k, (i, v))| Some((i, k, median(&v)?)))
            .collect();
        ordered.sort_by_key(|(i, _, _)| *i);
        self.facts.phases = ordered.into_iter().map(|(_, k, v)| (k, v)).collect();
        if let Some(b) = initrd {
            self.facts.image.insert("elfin_initrd", b as f64);
        }
        let na = || Cell::Text("n/a".into());
        let mut first = row(
            "Cold start (static hello)",
            "cold_first",
            "hello: launch to first output byte",
            Unit::Ms,
            cell(&ef),
            cell(&lf),
            cell(&nf),
        );
        first.target_ratio = Some(40.0);
        self.rows.push(first);
        self.rows.push(row(
            "Cold start (static hello)",
            "cold_exit",
            "hello: launch to exit",
            Unit::Ms,
            cell(&ee),
            cell(&le),
            cell(&ne),
        ));
        self.rows.push(row(
            "Cold start (static hello)",
            "cold_empty",
            "empty PVH kernel: launch to exit (same QEMU devices)",
            Unit::Ms,
            cell(&empty),
            na(),
            na(),
        ));
        self.rows.push(row(
            "Cold start (static hello)",
            "boot_us",
            "guest boot: PVH entry to the app's first instruction",
            Unit::Us,
            cell(&boot),
            Cell::Text("not instrumented".into()),
            na(),
        ));
        let phases_json = Json::Obj(
            self.facts
                .phases
                .iter()
                .map(|(k, v)| (k.clone(), Json::Num(*v)))
                .collect(),
        );
        self.raw.push((
            "cold_start_ms".into(),
            Json::obj([
                ("elfin_first_byte", summary_json(&ef)),
                ("elfin_exit", summary_json(&ee)),
                ("empty_kernel_exit", summary_json(&empty)),
                ("linux_first_byte", summary_json(&lf)),
                ("linux_exit", summary_json(&le)),
                ("native_first_byte", summary_json(&nf)),
                ("native_exit", summary_json(&ne)),
                ("elfin_boot_us", summary_json(&boot)),
                ("elfin_boot_phases_us", phases_json),
            ]),
        ));
        Ok(())
    }

    /// Cycles of a no-op syscall, a function call and an mmap/munmap pair on each peer.
    pub fn syscalls(&mut self) -> Result<()> {
        let p = self.progs.clone();
        let args_owned = [self.cfg.batches.to_string(), self.cfg.calls.to_string()];
        let args: Vec<&str> = args_owned.iter().map(String::as_str).collect();
        let initramfs = self.peers.initramfs("syscall", &p.init, &p.syscall, None)?;
        let mut per: BTreeMap<(&'static str, String), Vec<f64>> = BTreeMap::new();
        let mut collect = |peer: &'static str, text: &str| -> Result<()> {
            let lines = parse::cycle_lines(text);
            ensure!(
                lines.len() == 5,
                "{peer}: the syscall probe printed {} of 5 lines: {text}",
                lines.len()
            );
            for l in lines {
                per.entry((peer, format!("{}.min", l.name)))
                    .or_default()
                    .push(l.min);
                per.entry((peer, l.name)).or_default().push(l.median);
            }
            Ok(())
        };
        for i in 0..self.cfg.syscall_runs.max(self.cfg.linux_syscall_runs) {
            if i < self.cfg.syscall_runs {
                let c = self.peers.elfin(
                    &p.syscall,
                    &args,
                    &ElfinOpts::default(),
                    &Input::Null,
                    ELFIN_TIMEOUT,
                )?;
                self.check(c.status == Some(0), "Elfin syscall probe", &c)?;
                collect("elfin", &c.stdout_text())?;
                let c = self
                    .peers
                    .native(&p.syscall, &args, &Input::Null, ELFIN_TIMEOUT)?;
                self.check(c.status == Some(0), "native syscall probe", &c)?;
                collect("native", &c.stdout_text())?;
            }
            if i < self.cfg.linux_syscall_runs {
                let c = self.peers.linux(&initramfs, &args, 256, LINUX_TIMEOUT)?;
                self.check(
                    parse::guest_exit_status(&c.stdout_text()) == Some(0),
                    "Linux guest syscall probe",
                    &c,
                )?;
                collect("linux", &c.stdout_text())?;
            }
        }
        let mut raw = vec![];
        for ((peer, name), samples) in &per {
            if let Some(m) = median(samples) {
                self.facts.cycles.insert((peer, name.clone()), m);
            }
            raw.push((
                format!("{peer}.{name}"),
                summary_json(&Summary::of(samples)),
            ));
        }
        self.raw
            .push(("syscall_cycles_median_of_runs".into(), Json::Obj(raw)));
        let get = |peer: &'static str, name: &str| {
            self.facts
                .cycles
                .get(&(peer, name.to_string()))
                .map_or(Cell::Text("failed".into()), |v| Cell::Num(*v))
        };
        for (name, metric, target) in [
            ("getppid", "no-op syscall: getppid", Some(3.5)),
            ("enosys", "no-op syscall: ENOSYS (number 500)", Some(3.5)),
            ("call", "plain function call (reference)", None),
            ("mmap", "mmap + one store + munmap, 4 KiB", None),
        ] {
            let mut r = row(
                "Syscall cost (host cycles, rdtsc loops)",
                name,
                metric,
                Unit::Cycles,
                get("elfin", name),
                get("linux", name),
                get("native", name),
            );
            r.target_ratio = target;
            self.rows.push(r);
        }
        Ok(())
    }

    /// The smallest memory with which hello (and the sqlite check, when Elfin runs it) still
    /// runs, in Elfin and in the Linux guest.
    pub fn memory(&mut self) -> Result<()> {
        let p = self.progs.clone();
        let initramfs = self.peers.initramfs("hello", &p.init, &p.hello, None)?;
        let elfin = self.bisect_elfin(
            "hello",
            &p.hello,
            &[],
            &Input::Null,
            HELLO_MARKER,
            self.cfg.elfin_mem.0,
        )?;
        let linux =
            self.bisect_linux("hello", &initramfs, &[], HELLO_MARKER, self.cfg.linux_mem.0)?;
        self.facts.mem.insert(("elfin", "hello"), elfin);
        self.facts.mem.insert(("linux", "hello"), linux);
        self.rows.push(row(
            "Memory (smallest -m that runs it)",
            "mem_hello",
            "hello: smallest memory",
            Unit::MiB,
            mem_cell(elfin),
            mem_cell(linux),
            Cell::Text("n/a".into()),
        ));
        Ok(())
    }

    fn bisect_elfin(
        &mut self,
        what: &str,
        prog: &Path,
        args: &[&str],
        input: &Input,
        expect: &str,
        lo: u64,
    ) -> Result<MinSize> {
        let (_, hi, step) = self.cfg.elfin_mem;
        let mut probes = vec![];
        let mut error = None;
        let mut failures = BTreeMap::new();
        let peers = self.peers.clone();
        let result = bisect::smallest_passing(lo.min(hi), hi, step, |m| {
            let opts = ElfinOpts {
                mem_mib: Some(m),
                ..Default::default()
            };
            let ok = match peers.elfin(prog, args, &opts, input, ELFIN_TIMEOUT) {
                Ok(c) => {
                    let ok = elfin_ok(&c, expect);
                    if !ok {
                        let last = c
                            .stderr_text()
                            .lines()
                            .rev()
                            .find(|l| !l.trim().is_empty())
                            .unwrap_or("")
                            .to_string();
                        failures.insert(
                            m,
                            format!(
                                "status {}: {last}",
                                c.status.map_or("timeout".into(), |s| s.to_string())
                            ),
                        );
                    }
                    ok
                }
                Err(e) => {
                    error = Some(e);
                    false
                }
            };
            probes.push(Json::Arr(vec![Json::Num(m as f64), Json::Bool(ok)]));
            ok
        });
        if let Some(e) = error {
            return Err(e);
        }
        self.raw
            .push((format!("memory_probes.elfin.{what}"), Json::Arr(probes)));
        if let (
            true,
            MinSize::Found {
                largest_failing: Some(f),
                ..
            },
        ) = (what == "hello", result)
        {
            self.facts.mem_fail = failures.remove(&f);
        }
        Ok(result)
    }

    fn bisect_linux(
        &mut self,
        what: &str,
        initramfs: &Path,
        args: &[&str],
        expect: &str,
        lo: u64,
    ) -> Result<MinSize> {
        let (_, hi, step) = self.cfg.linux_mem;
        // A guest with too little memory may hang instead of failing: give up well after a
        // normal boot would have ended.
        let normal = self
            .facts
            .cold
            .get("linux_exit")
            .copied()
            .unwrap_or(10_000.0);
        let timeout = Duration::from_secs_f64((normal * 3.0 / 1000.0).max(15.0));
        let mut probes = vec![];
        let mut error = None;
        let peers = self.peers.clone();
        let result = bisect::smallest_passing(lo.min(hi), hi, step, |m| {
            let ok = match peers.linux(initramfs, args, m, timeout) {
                Ok(c) => linux_ok(&c, expect),
                Err(e) => {
                    error = Some(e);
                    false
                }
            };
            probes.push(Json::Arr(vec![Json::Num(m as f64), Json::Bool(ok)]));
            ok
        });
        if let Some(e) = error {
            return Err(e);
        }
        self.raw
            .push((format!("memory_probes.linux.{what}"), Json::Arr(probes)));
        Ok(result)
    }

    /// Kernel and initrd sizes for hello.
    pub fn image_size(&mut self) -> Result<()> {
        let p = self.progs.clone();
        let size = |path: &Path| -> Result<f64> {
            Ok(fs::metadata(path)
                .with_context(|| format!("{}", path.display()))?
                .len() as f64)
        };
        let elfin_kernel = size(&self.peers.elfin_kernel)?;
        let elfin_loaded = elf::load_sizes(&fs::read(&self.peers.elfin_kernel)?)
            .context("the Elfin kernel is not an ELF64 file")?
            .0 as f64;
        let vmlinuz = size(&self.vmlinuz)?;
        let vmlinux_loaded = elf::load_sizes(&fs::read(&self.peers.vmlinux)?)
            .context("vmlinux is not an ELF64 file")?
            .0 as f64;
        let initramfs = size(&self.peers.initramfs("hello", &p.init, &p.hello, None)?)?;
        let elfin_initrd = match self.facts.image.get("elfin_initrd") {
            Some(v) => *v,
            None => {
                let c = self.peers.elfin(
                    &p.hello,
                    &[],
                    &ElfinOpts {
                        verbose: true,
                        ..Default::default()
                    },
                    &Input::Null,
                    ELFIN_TIMEOUT,
                )?;
                parse::initrd_bytes(&c.stderr_text())
                    .context("no initrd size in the --verbose log")? as f64
            }
        };
        for (k, v) in [
            ("elfin_kernel", elfin_kernel),
            ("elfin_loaded", elfin_loaded),
            ("vmlinuz", vmlinuz),
            ("vmlinux_loaded", vmlinux_loaded),
            ("initramfs", initramfs),
            ("elfin_initrd", elfin_initrd),
        ] {
            self.facts.image.insert(k, v);
        }
        let na = || Cell::Text("n/a".into());
        let s = "Image size (hello)";
        self.rows.push(row(
            s,
            "img_kernel",
            "kernel file (elfin-kernel ELF vs bzImage vmlinuz)",
            Unit::Bytes,
            Cell::Num(elfin_kernel),
            Cell::Num(vmlinuz),
            na(),
        ));
        self.rows.push(row(
            s,
            "img_loaded",
            "kernel bytes loaded (PT_LOAD of elfin-kernel vs vmlinux)",
            Unit::Bytes,
            Cell::Num(elfin_loaded),
            Cell::Num(vmlinux_loaded),
            na(),
        ));
        self.rows.push(row(
            s,
            "img_initrd",
            "initrd with hello (CLI's cpio vs initramfs with /init)",
            Unit::Bytes,
            Cell::Num(elfin_initrd),
            Cell::Num(initramfs),
            na(),
        ));
        self.rows.push(row(
            s,
            "img_total",
            "total: kernel file + initrd",
            Unit::Bytes,
            Cell::Num(elfin_kernel + elfin_initrd),
            Cell::Num(vmlinuz + initramfs),
            na(),
        ));
        self.raw.push((
            "image_bytes".into(),
            Json::Obj(
                self.facts
                    .image
                    .iter()
                    .map(|(k, v)| (k.to_string(), Json::Num(*v)))
                    .collect(),
            ),
        ));
        Ok(())
    }

    /// sqlite: the check in Elfin decides whether the rows can be measured; then the timed
    /// inserts on the three peers and the check's minimum memory in both guests.
    pub fn sqlite(&mut self) -> Result<()> {
        let section = "sqlite (sqlite3 shell, in-memory database, script on stdin)";
        let metric = format!(
            "sqlite: {} single-row INSERTs",
            elfin_bench::report::group(f64::from(self.cfg.inserts))
        );
        let bin = setup::sqlite3(self.cfg.build_sqlite)?;
        let status = match &bin {
            None => Sqlite::NotBuilt,
            Some(bin) => {
                let check = self.peers.work.join("sqlite-check.sql");
                fs::write(&check, sql::CHECK_SCRIPT)?;
                let c = self.peers.native(
                    bin,
                    &[":memory:"],
                    &Input::File(check.clone()),
                    ELFIN_TIMEOUT,
                )?;
                self.check(elfin_ok(&c, sql::CHECK_EXPECT), "native sqlite check", &c)?;
                let c = self.peers.elfin(
                    bin,
                    &[":memory:"],
                    &ElfinOpts::default(),
                    &Input::File(check),
                    ELFIN_TIMEOUT,
                )?;
                if elfin_ok(&c, sql::CHECK_EXPECT) {
                    Sqlite::Ran
                } else {
                    Sqlite::NotYet(c.describe())
                }
            }
        };
        self.facts.sqlite = Some(status.clone());
        let text = match &status {
            Sqlite::NotBuilt => "not built (make bench builds it)".to_string(),
            Sqlite::NotYet(_) => "not yet (elfin run cannot run the sqlite check)".to_string(),
            Sqlite::Ran => String::new(),
        };
        if status != Sqlite::Ran {
            if let Sqlite::NotYet(why) = &status {
                self.raw
                    .push(("sqlite_not_yet".into(), Json::str(why.clone())));
            }
            let t = || Cell::Text(text.clone());
            self.rows.push(row(
                section,
                "sqlite_inserts",
                &metric,
                Unit::Seconds,
                t(),
                t(),
                t(),
            ));
            self.rows.push(row(
                "Memory (smallest -m that runs it)",
                "mem_sqlite",
                "sqlite check: smallest memory",
                Unit::MiB,
                t(),
                t(),
                Cell::Text("n/a".into()),
            ));
            return Ok(());
        }
        let bin = bin.expect("Ran implies a binary");
        let script = self
            .peers
            .work
            .join(format!("sqlite-insert-{}.sql", self.cfg.inserts));
        fs::write(&script, sql::insert_script(self.cfg.inserts))?;
        let expect = sql::insert_expect(self.cfg.inserts);
        let initramfs =
            self.peers
                .initramfs("sqlite-insert", &self.progs.init, &bin, Some(&script))?;
        let (mut e, mut l, mut n) = (vec![], vec![], vec![]);
        let input = Input::File(script.clone());
        for i in 0..self.cfg.sqlite_reps.max(self.cfg.linux_sqlite_reps) {
            if i < self.cfg.sqlite_reps {
                let c = self
                    .peers
                    .native(&bin, &[":memory:"], &input, Duration::from_secs(600))?;
                self.check(elfin_ok(&c, &expect), "native sqlite inserts", &c)?;
                n.push(parse::sqlite_seconds(&c.stdout_text()).context("no time stamps")?);
                let c = self.peers.elfin(
                    &bin,
                    &[":memory:"],
                    &ElfinOpts::default(),
                    &input,
                    Duration::from_secs(1800),
                )?;
                self.check(elfin_ok(&c, &expect), "Elfin sqlite inserts", &c)?;
                e.push(parse::sqlite_seconds(&c.stdout_text()).context("no time stamps")?);
            }
            if i < self.cfg.linux_sqlite_reps {
                let c =
                    self.peers
                        .linux(&initramfs, &[":memory:"], 256, Duration::from_secs(1800))?;
                self.check(linux_ok(&c, &expect), "Linux guest sqlite inserts", &c)?;
                l.push(parse::sqlite_seconds(&c.stdout_text()).context("no time stamps")?);
            }
        }
        let [e, l, n] = [e, l, n].map(|v| Summary::of(&v));
        for (k, s) in [("elfin", &e), ("linux", &l), ("native", &n)] {
            if let Some(s) = s {
                self.facts.sqlite_s.insert(k, s.median);
            }
        }
        self.rows.push(row(
            section,
            "sqlite_inserts",
            &metric,
            Unit::Seconds,
            cell(&e),
            cell(&l),
            cell(&n),
        ));
        self.raw.push((
            "sqlite_insert_seconds".into(),
            Json::obj([
                ("inserts", Json::Num(f64::from(self.cfg.inserts))),
                ("elfin", summary_json(&e)),
                ("linux", summary_json(&l)),
                ("native", summary_json(&n)),
            ]),
        ));

        // Minimum memory of the check; it needs at least what hello needs.
        let check = self.peers.work.join("sqlite-check.sql");
        let check_ramfs =
            self.peers
                .initramfs("sqlite-check", &self.progs.init, &bin, Some(&check))?;
        let elfin_lo = self
            .facts
            .mem
            .get(&("elfin", "hello"))
            .and_then(|m| m.min())
            .unwrap_or(self.cfg.elfin_mem.0);
        let linux_lo = self
            .facts
            .mem
            .get(&("linux", "hello"))
            .and_then(|m| m.min())
            .unwrap_or(self.cfg.linux_mem.0);
        let em = self.bisect_elfin(
            "sqlite",
            &bin,
            &[":memory:"],
            &Input::File(check),
            sql::CHECK_EXPECT,
            elfin_lo,
        )?;
        let lm = self.bisect_linux(
            "sqlite",
            &check_ramfs,
            &[":memory:"],
            sql::CHECK_EXPECT,
            linux_lo,
        )?;
        self.facts.mem.insert(("elfin", "sqlite"), em);
        self.facts.mem.insert(("linux", "sqlite"), lm);
        self.rows.push(row(
            "Memory (smallest -m that runs it)",
            "mem_sqlite",
            "sqlite check: smallest memory",
            Unit::MiB,
            mem_cell(em),
            mem_cell(lm),
            Cell::Text("n/a".into()),
        ));
        // Keep the memory rows together.
        let hello_at = self.rows.iter().position(|r| r.key == "mem_hello");
        if let (Some(at), Some(last)) = (hello_at, self.rows.pop()) {
            self.rows.insert(at + 1, last);
        }
        Ok(())
    }

    /// The server rows, until networking lands.
    pub fn servers(&mut self) {
        let t = || Cell::Text("not yet (needs networking)".into());
        for (key, metric) in [
            ("redis_get", "redis-benchmark GET (req/s)"),
            ("redis_set", "redis-benchmark SET (req/s)"),
            ("nginx", "nginx under wrk (req/s)"),
        ] {
            self.rows.push(row(
                "Servers (over a tap device)",
                key,
                metric,
                Unit::Seconds,
                t(),
                t(),
                t(),
            ));
        }
    }
}

/// A memory cell: the minimum, with the bracket when the grid was coarse.
fn mem_cell(m: MinSize) -> Cell {
    match m {
        MinSize::Found {
            min,
            largest_failing: Some(f),
        } if min - f > 1 => Cell::Qualified(min as f64, format!("fails at {f}")),
        MinSize::Found { min, .. } => Cell::Num(min as f64),
        MinSize::AboveRange { hi } => Cell::Text(format!("fails even at {hi} MiB")),
    }
}

/// Errors of the run, if any, as one failure.
pub fn finish(errors: &[String]) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
    bail!(
        "{} suite(s) failed:\n  {}",
        errors.len(),
        errors.join("\n  ")
    )
}
