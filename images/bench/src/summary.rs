//! From the measurements to the report: the machine and run description, the targets
//! marked met or not met, the notes on where Elfin's time goes (built from the measured
//! breakdowns), the method, and the JSON.

use elfin_bench::accel::Accel;
use elfin_bench::bisect::MinSize;
use elfin_bench::json::Json;
use elfin_bench::report::{Cell, Report, Target, Unit, group, show_ratio};

use crate::setup::Host;
use crate::suites::{Bench, Sqlite};

/// Facts about this run for the header.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub host: Host,
    pub linux_version: String,
    pub commit: String,
    pub date: String,
    pub load_before: String,
    pub load_after: String,
    pub seconds: f64,
    pub quick: bool,
}

pub fn report(bench: &Bench, info: &RunInfo) -> Report {
    let cfg = &bench.cfg;
    let h = &info.host;
    let accel = match h.accel {
        Accel::Tcg => "TCG for both guests (`-accel tcg -cpu max`): no real KVM here (no vmx/svm flag; /dev/kvm, if any, is the nested kvm_pvm emulator)".to_string(),
        Accel::Kvm => "KVM for both guests (`-accel kvm -cpu host,-arch-capabilities`)".to_string(),
    };
    let meta = vec![
        ("date".into(), info.date.clone()),
        (
            "machine".into(),
            format!(
                "{}, {} cores, {:.0} GiB RAM, host Linux {}",
                h.cpu, h.cores, h.mem_gib, h.kernel_release
            ),
        ),
        ("accelerator".into(), accel),
        (
            "QEMU".into(),
            format!("{} (`-M microvm`, the same for both guests)", h.qemu),
        ),
        (
            "Linux guest".into(),
            format!(
                "Debian linux-image {} (vmlinux extracted from /boot/vmlinuz-*, PVH entry), initramfs with a static /init",
                info.linux_version
            ),
        ),
        (
            "Elfin".into(),
            format!("commit {} (`elfin run`, default 128 MiB)", info.commit),
        ),
        (
            "host TSC".into(),
            format!(
                "{} kHz (cycles are host TSC cycles: under TCG the guest's rdtsc reads the host's)",
                group(h.tsc_khz as f64)
            ),
        ),
        (
            "run".into(),
            format!(
                "{}; {} cold starts per peer ({} for the Linux guest), {} syscall-probe runs of {} batches x {} calls; {:.0} s",
                if info.quick {
                    "QUICK (make bench-quick: small repetitions, not for quoting)"
                } else {
                    "make bench"
                },
                cfg.cold_reps,
                cfg.linux_cold_reps,
                cfg.syscall_runs,
                cfg.batches,
                cfg.calls,
                info.seconds
            ),
        ),
        (
            "host load average (1/5/15 min)".into(),
            format!(
                "{} before, {} after (2 cores shared with other work: absolute times move with it; ratios from one run less so)",
                info.load_before, info.load_after
            ),
        ),
    ];
    let mut meta = meta;
    if !bench.errors.is_empty() {
        meta.push(("FAILURES".into(), bench.errors.join("; ")));
    }
    Report {
        title: "Elfin vs a Linux guest vs native".into(),
        meta,
        rows: bench.rows.clone(),
        targets: targets(bench),
        notes: notes(bench),
        method: method(bench),
        plot: "plot.svg".into(),
        plot_note: format!(
            "{}, {}{}: ",
            h.accel.name().to_uppercase(),
            info.date,
            if info.quick { ", QUICK run" } else { "" }
        ),
    }
}

fn ms(v: f64) -> String {
    Unit::Ms.format(v)
}

fn targets(bench: &Bench) -> Vec<Target> {
    let f = &bench.facts;
    let mut t = vec![];
    let missing = |goal: &str| Target {
        goal: goal.into(),
        measured: "not measured (a suite failed)".into(),
        met: Some(false),
    };
    match (f.cold.get("elfin_first"), f.cold.get("linux_first")) {
        (Some(&e), Some(&l)) => {
            let r = l / e;
            t.push(Target {
                goal: "cold start to first output >= 40x faster than the Linux guest".into(),
                measured: format!("{} ({} vs {})", show_ratio(r), ms(e), ms(l)),
                met: Some(r >= 40.0),
            });
        }
        _ => t.push(missing(
            "cold start to first output >= 40x faster than the Linux guest",
        )),
    }
    match (f.cold.get("elfin_first"), f.cold.get("empty_exit")) {
        (Some(&e), Some(&x)) => t.push(Target {
            goal: "cold start to first output within 20 ms of QEMU starting and stopping an empty kernel".into(),
            measured: format!("{} vs {} for the empty PVH kernel: {:+.1} ms", ms(e), ms(x), e - x),
            met: Some(e - x <= 20.0),
        }),
        _ => t.push(missing("cold start within 20 ms of an empty kernel")),
    }
    if let Some(b) = f.boot_us {
        t.push(Target {
            goal: "(the bar) guest boot 54-83 us, Unikraft on real KVM".into(),
            measured: format!("{} us", group(b)),
            met: Some(b <= 83.0),
        });
    }
    let c = |peer: &'static str, name: &str| f.cycles.get(&(peer, name.to_string())).copied();
    for (name, label) in [("getppid", "getppid"), ("enosys", "ENOSYS")] {
        match (c("elfin", name), c("linux", name)) {
            (Some(e), Some(l)) => t.push(Target {
                goal: format!("no-op syscall ({label}) >= 3.5x cheaper than in the Linux guest"),
                measured: format!(
                    "{} ({} vs {} cycles)",
                    show_ratio(l / e),
                    group(e),
                    group(l)
                ),
                met: Some(l / e >= 3.5),
            }),
            _ => t.push(missing(&format!("no-op syscall ({label}) >= 3.5x cheaper"))),
        }
    }
    let limit = match bench.peers.accel {
        Accel::Tcg => 300.0,
        Accel::Kvm => 84.0,
    };
    if let (Some(g), Some(e)) = (c("elfin", "getppid"), c("elfin", "enosys")) {
        t.push(Target {
            goal: format!(
                "no-op syscall at most {limit} cycles under {} (300 under TCG, 84 on real KVM)",
                bench.peers.accel.name().to_uppercase()
            ),
            measured: format!("getppid {}, ENOSYS {} cycles", group(g), group(e)),
            met: Some(g.max(e) <= limit),
        });
    }
    let mem = |what: &'static str| f.mem.get(&("elfin", what)).copied();
    match mem("hello") {
        Some(m) => t.push(Target {
            goal: "hello runs in 2 MiB".into(),
            measured: mem_text(m),
            met: Some(m.min().is_some_and(|v| v <= 2)),
        }),
        None => t.push(missing("hello runs in 2 MiB")),
    }
    match (&f.sqlite, mem("sqlite")) {
        (Some(Sqlite::Ran), Some(m)) => t.push(Target {
            goal: "sqlite runs in 4 MiB".into(),
            measured: mem_text(m),
            met: Some(m.min().is_some_and(|v| v <= 4)),
        }),
        (Some(Sqlite::Ran), None) => t.push(missing("sqlite runs in 4 MiB")),
        _ => t.push(Target {
            goal: "sqlite runs in 4 MiB".into(),
            measured: "not yet (elfin run cannot run the sqlite check, or it is not built)".into(),
            met: None,
        }),
    }
    for goal in [
        "redis runs in 8 MiB",
        "redis >= 1.5x the Linux guest's requests per second",
        "nginx >= 2x the Linux guest's requests per second",
    ] {
        t.push(Target {
            goal: goal.into(),
            measured: "not yet: needs networking (virtio-net, sockets)".into(),
            met: None,
        });
    }
    t
}

fn mem_text(m: MinSize) -> String {
    match m {
        MinSize::Found {
            min,
            largest_failing: Some(f),
        } => format!("{min} MiB (fails at {f} MiB)"),
        MinSize::Found {
            min,
            largest_failing: None,
        } => format!("at most {min} MiB (the smallest size tried)"),
        MinSize::AboveRange { hi } => format!("fails even at {hi} MiB"),
    }
}

fn notes(bench: &Bench) -> Vec<String> {
    let f = &bench.facts;
    let mut n = vec![];
    let c = |peer: &'static str, name: &str| f.cycles.get(&(peer, name.to_string())).copied();
    // Cold start.
    if let (Some(&ee), Some(&empty), Some(boot)) = (
        f.cold.get("elfin_exit"),
        f.cold.get("empty_exit"),
        f.boot_us,
    ) {
        let mut text = format!(
            "**Cold start.** Elfin's launch-to-exit median is {} against {} for the empty PVH kernel booted by the same CLI with the \
             same QEMU devices: the host side (the CLI writing the initrd and starting QEMU, QEMU creating the microvm and its \
             devices, and exiting) is the floor, and Elfin adds {:+.1} ms. Inside the guest, {} us pass from the PVH entry to \
             the app's first instruction (`--verbose`, median); the kernel's log splits them as:",
            ms(ee),
            ms(empty),
            ee - empty,
            group(boot)
        );
        let mut prev = 0.0;
        for (phase, us) in &f.phases {
            if phase.contains("probed") {
                text.push_str(&format!(
                    " virtio-serial consoles probed in {} us;",
                    group(*us)
                ));
            } else {
                text.push_str(&format!(
                    " {phase} at {} us (+{} us);",
                    group(*us),
                    group(us - prev)
                ));
                prev = *us;
            }
        }
        text.push_str(&format!(
            " first instruction at {} us (+{} us).",
            group(boot),
            group(boot - prev)
        ));
        if let Some(src) = &f.tsc_source {
            text.push_str(&format!(
                " The TSC frequency came from `{src}`{}.",
                if src.contains("Pit") { ": a PIT calibration busy-waits at every boot; the CLI could pass the host's frequency as `tsc_khz=` (the kernel already accepts it)" } else { "" }
            ));
        }
        text.push_str(
            " The largest phase is the one from \"clocks ready\" to \"program loaded\" (address-space set-up and loading the \
             program): under TCG every instruction and page-table write is emulated, so that code wants a profile first \
             (rdtsc stamps inside `mm::init` and `exec::load`, or QEMU's `-d exec`); boot work that scales with memory or \
             zeroes pages eagerly is the usual suspect. The Linux guest spends its seconds in the kernel's own boot \
             (decompression is avoided: vmlinux is booted directly).",
        );
        n.push(text);
    }
    if let (Some(eg), Some(ee), Some(call), Some(ncall)) = (
        c("elfin", "getppid"),
        c("elfin", "enosys"),
        c("elfin", "call"),
        c("native", "call"),
    ) {
        let lg = match (c("linux", "getppid"), c("linux", "enosys")) {
            (Some(g), Some(e)) => format!(" ({} and {} in the Linux guest)", group(g), group(e)),
            _ => String::new(),
        };
        let fastest = match (
            c("elfin", "getppid.min"),
            c("elfin", "enosys.min"),
            c("linux", "getppid.min"),
            c("linux", "enosys.min"),
        ) {
            (Some(eg), Some(ee), Some(lg), Some(le)) => {
                let verdict = match (eg < lg, ee < le) {
                    (true, true) => "Elfin is cheaper on both by that measure too",
                    (false, false) => {
                        "by that measure the Linux guest is cheaper on both, so the fast path below is needed before any ratio can be claimed"
                    }
                    (true, false) => "by that measure Elfin is cheaper for getppid only",
                    (false, true) => "by that measure Elfin is cheaper for ENOSYS only",
                };
                format!(
                    " The fastest batches (those the machine's other load disturbed least): getppid {} and ENOSYS {} cycles in \
                     Elfin, {} and {} in the Linux guest; {verdict}.",
                    group(eg),
                    group(ee),
                    group(lg),
                    group(le)
                )
            }
            _ => String::new(),
        };
        n.push(format!(
            "**Syscall cost.** A no-op syscall costs {} cycles (getppid) and {} (ENOSYS) in Elfin{lg}. For scale, a plain \
             function call costs {} cycles in the guest against {} natively: under TCG guest code runs about {:.0}x slower, and a \
             bare `syscall` plus return costs about 230 cycles by itself (DESIGN.md section 3). Reading the path, each call: \
             the entry stub pushes a 22-word frame; `services::syscall` (kernel/src/services.rs) copies the whole frame into \
             `SYSCALL_FRAME` under a spin lock, asks the scheduler for the current thread, takes the `STATE` lock, dispatches \
             through the table (`syscall/src/table.rs`; an unknown number also inserts into the once-only ENOSYS log, a \
             `BTreeSet`{}), then looks the thread up in the process's thread `BTreeMap` to clear its wait state. The fix: a fast path for calls that cannot block or switch \
             threads (no frame copy, no thread-table lookups, at most one lock), checked with this probe before and after; \
             each removed memory access matters more under TCG than on hardware. The function-call row runs the same \
             user code in both guests, so its ratio shows the run-to-run noise on this machine.{fastest}",
            group(eg),
            group(ee),
            group(call),
            group(ncall),
            call / ncall.max(0.1),
            if ee > eg { ", a lookup getppid does not pay" } else { "" }
        ));
    }
    if let Some(m) = f.mem.get(&("elfin", "hello")) {
        let mut text = format!("**Memory.** Elfin runs hello with {}.", mem_text(*m));
        if m.min().is_none_or(|v| v > 2) {
            if let Some(msg) = &f.mem_fail {
                text.push_str(&format!(
                    " At the largest failing size the run ends with: `{}`.",
                    msg.replace('`', "'")
                ));
            }
            text.push_str(
                " The kernel's own heap, page tables and the stacks it sets up come out of the same RAM as the app; a \
                 boot-time accounting of the frames each subsystem takes (printed with `--verbose`) is the first step, then \
                 sizing those reservations to the RAM given.",
            );
        }
        n.push(text);
    }
    match &f.sqlite {
        Some(Sqlite::Ran) => {
            if let (Some(&e), Some(&nat)) = (f.sqlite_s.get("elfin"), f.sqlite_s.get("native")) {
                let l = f.sqlite_s.get("linux").copied();
                let mut text = format!(
                    "**sqlite.** {} inserts take {:.2} s in Elfin, {} in the Linux guest and {:.2} s natively.",
                    group(f64::from(bench.cfg.inserts)),
                    e,
                    l.map_or("?".into(), |v| format!("{v:.2} s")),
                    nat
                );
                text.push_str(
                    " Per statement, the shell (musl's malloc) maps and unmaps 4 KiB pages: strace of a native run shows about one \
                     mmap and one munmap per INSERT, so memory-map calls and their page faults are a large share of the \
                     kernel's part;",
                );
                if let (Some(em), Some(lm)) = (c("elfin", "mmap"), c("linux", "mmap")) {
                    text.push_str(&format!(
                        " the mmap row measures that pair with one store: {} cycles in Elfin against {} in the Linux guest.",
                        group(em),
                        group(lm)
                    ));
                }
                if l.is_some_and(|l| e > l) {
                    text.push_str(
                        " Elfin is slower than the Linux guest here: make mmap/munmap of small anonymous regions and the first \
                         touch cheap (no full TLB flush per munmap: under TCG a flush drops QEMU's whole soft TLB; reuse freed \
                         frames), then profile the rest with the syscall probe's mmap row.",
                    );
                }
                n.push(text);
            }
        }
        Some(Sqlite::NotYet(_)) => n.push("**sqlite.** Not measured: `elfin run` cannot run the sqlite check yet (see `sqlite_not_yet` in results.json).".into()),
        Some(Sqlite::NotBuilt) => n.push("**sqlite.** Not measured in this run: the sqlite3 shell was not built (`make bench` builds it).".into()),
        None => {}
    }
    n.push("**Servers.** redis and nginx rows wait for networking (virtio-net and sockets); the harness leaves them out until then.".into());
    n
}

fn method(bench: &Bench) -> Vec<String> {
    let cfg = &bench.cfg;
    vec![
        format!(
            "**Peers.** The same static binaries (built from `images/bench/programs/` with musl-gcc at bench time) run (1) in Elfin \
             through `elfin run`, (2) in a Linux guest: Debian's kernel booted through its PVH entry on the same QEMU, machine type \
             (`-M microvm`) and accelerator, command line `{} tsc_early_khz=<host TSC kHz> tsc=reliable -- /prog ARGS`, with an \
             initramfs holding /init (`programs/init.c`: runs /prog, prints its exit status, powers off; QEMU runs with \
             `-no-reboot`), /dev/console and the program, and (3) natively on the host.",
            crate::peers::LINUX_CMDLINE
        ),
        "**Cold start.** Wall time from spawning `elfin run` (for the Linux guest: spawning QEMU) to the first byte of the \
         app's output line arriving on the harness's pipe, and to the process's exit (each stamped by the harness thread that \
         reads the pipe or waits for the process, so sub-millisecond figures, the native ones, carry that thread's wake-up \
         latency: a native first byte can read later than the exit). The empty-kernel row boots \
         `programs/empty_pvh.S` (it writes exit status 0 to the debug-exit ports and nothing else) with `elfin run --kernel`, \
         so it pays everything Elfin's run pays on the host side. The guest boot time is the kernel's own figure from \
         `elfin run --verbose` (separate runs, so the log does not slow the timed ones)."
            .into(),
        format!(
            "**Syscall cost.** `programs/syscall.c` times {} batches of {} calls with rdtsc (median over batches, then median \
             over runs; batches short enough that most run without a host context switch on a loaded machine) of `syscall` with getppid (110) and with 500 (ENOSYS everywhere), of an out-of-line function call, and of \
             mmap + one store + munmap of 4 KiB. Under TCG the guest's rdtsc reads the host TSC, so all figures are host cycles.",
            cfg.batches, cfg.calls
        ),
        format!(
            "**Memory.** Bisection in 1 MiB steps{} for the smallest `-m` with which the program still prints its output and \
             exits 0 (Elfin: `elfin run --mem`; below the CLI's 8 MiB floor a wrapper set as `$ELFIN_QEMU` rewrites only QEMU's \
             `-m`). A Linux guest with too little memory can hang silently, so its probes time out after three normal boots (at least 15 s).",
            if cfg.linux_mem.2 > 1 { format!(" ({} MiB steps for the Linux guest in quick mode)", cfg.linux_mem.2) } else { String::new() }
        ),
        "**Image size.** Elfin: the kernel ELF (`target/x86_64-unknown-none/release/elfin-kernel`, which keeps line-table debug \
         info; the loaded bytes are the PT_LOAD segments) plus the initrd the CLI builds for hello (from `--verbose`). Linux: \
         the distribution's bzImage (`/boot/vmlinuz-*`) plus the initramfs (static /init + hello), uncompressed."
            .into(),
        "**sqlite.** Debian's sqlite3 shell built statically by `images/recipes/sqlite3/build.sh`, an in-memory database, the \
         script on stdin; the time is the difference of two time stamps the shell prints before and after the inserts, so boot \
         and exit are not in it. The rows are filled only when `elfin run` passes the sqlite check."
            .into(),
    ]
}

/// `results.json`.
pub fn json(bench: &Bench, report: &Report, info: &RunInfo) -> Json {
    let cell = |c: &Cell| match c {
        Cell::Num(v) | Cell::Qualified(v, _) => Json::Num(*v),
        Cell::Text(t) => Json::str(t.clone()),
    };
    let rows = report
        .rows
        .iter()
        .map(|r| {
            Json::obj([
                ("key", Json::str(r.key.clone())),
                ("section", Json::str(r.section.clone())),
                ("metric", Json::str(r.metric.clone())),
                ("unit", Json::str(r.unit.name())),
                ("elfin", cell(&r.elfin)),
                ("linux", cell(&r.linux)),
                ("native", cell(&r.native)),
                ("linux_over_elfin", Json::opt(r.linux_over_elfin())),
                ("elfin_over_native", Json::opt(r.elfin_over_native())),
            ])
        })
        .collect();
    let targets = report
        .targets
        .iter()
        .map(|t| {
            Json::obj([
                ("goal", Json::str(t.goal.clone())),
                ("measured", Json::str(t.measured.clone())),
                ("met", t.met.map_or(Json::Null, Json::Bool)),
            ])
        })
        .collect();
    let h = &info.host;
    Json::obj([
        (
            "meta",
            Json::obj([
                ("date", Json::str(info.date.clone())),
                ("quick", Json::Bool(info.quick)),
                ("cpu", Json::str(h.cpu.clone())),
                ("cores", Json::Num(h.cores as f64)),
                ("mem_gib", Json::Num(h.mem_gib)),
                ("host_kernel", Json::str(h.kernel_release.clone())),
                ("accel", Json::str(h.accel.name())),
                ("qemu", Json::str(h.qemu.clone())),
                ("linux_guest", Json::str(info.linux_version.clone())),
                ("elfin_commit", Json::str(info.commit.clone())),
                ("tsc_khz", Json::Num(h.tsc_khz as f64)),
                ("load_before", Json::str(info.load_before.clone())),
                ("load_after", Json::str(info.load_after.clone())),
                ("seconds", Json::Num(info.seconds)),
                (
                    "errors",
                    Json::Arr(bench.errors.iter().map(|e| Json::str(e.clone())).collect()),
                ),
            ]),
        ),
        ("rows", Json::Arr(rows)),
        ("targets", Json::Arr(targets)),
        ("raw", Json::Obj(bench.raw.clone())),
    ])
}
