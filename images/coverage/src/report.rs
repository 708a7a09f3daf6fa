//! The report in docs/coverage/: README.md (the person's view), coverage.json and
//! coverage.csv (the data), and the heatmaps (see `heatmap`). Everything here is derived
//! from a `RunResult` and Elfin's table; nothing is typed by hand.

use crate::heatmap::{self, Cell, Heatmap};
use crate::pipeline::{AppResult, RunResult};
use crate::popcon::{self, Popcon};
use crate::table::{Status, Table};
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// Inputs named in the report.
pub struct Inputs<'a> {
    pub table_path: &'a str,
    pub apps_path: &'a str,
    pub popcon: Option<(&'a str, &'a Popcon)>,
}

fn names(table: &Table, set: &BTreeSet<u32>) -> String {
    if set.is_empty() {
        return "none".into();
    }
    set.iter().map(|&n| format!("`{}`", table.name(n))).collect::<Vec<_>>().join(", ")
}

fn missing(table: &Table, set: &BTreeSet<u32>) -> BTreeSet<u32> {
    set.iter().copied().filter(|&n| !table.status(n).supported()).collect()
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 { "-".into() } else { format!("{:.0}%", 100.0 * a as f64 / b as f64) }
}

/// Order syscalls to add so that apps become fully supported soonest: by the number of apps
/// needing them (or by importance), most first; returns (k, apps fully supported after the
/// first k) for a few k.
fn completeness_curve(sets: &[&BTreeSet<u32>], order: &[u32], table: &Table) -> Vec<(usize, usize)> {
    let mut added: BTreeSet<u32> = BTreeSet::new();
    let ok = |added: &BTreeSet<u32>| sets.iter().filter(|s| s.iter().all(|n| table.status(*n).supported() || added.contains(n))).count();
    let mut out = vec![(0, ok(&added))];
    let marks = [5, 10, 20, 30, 40, 50, 75, 100, 150, 200, 300];
    for (i, &n) in order.iter().enumerate() {
        added.insert(n);
        let k = i + 1;
        if marks.contains(&k) || k == order.len() {
            out.push((k, ok(&added)));
        }
    }
    out.dedup_by_key(|(k, _)| *k);
    out
}

/// Missing syscalls ranked by how many applications need them (static), then traced count.
pub fn ranked_missing(apps: &[AppResult], table: &Table) -> Vec<(u32, usize, usize)> {
    let mut count: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    for a in apps {
        for &n in &a.static_syscalls {
            if !table.status(n).supported() {
                count.entry(n).or_default().0 += 1;
            }
        }
        if let Some(d) = &a.dynamic {
            for &n in &d.syscalls {
                if !table.status(n).supported() {
                    count.entry(n).or_default().1 += 1;
                }
            }
        }
    }
    let mut v: Vec<(u32, usize, usize)> = count.into_iter().map(|(n, (s, d))| (n, s, d)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    v
}

/// Build the heatmap of applications x syscalls: rows are the syscalls in `rows`.
/// The count column shows how many applications need the syscall statically, or, with
/// `traced_counts`, how many traced applications made it.
pub fn build_heatmap(apps: &[AppResult], table: &Table, rows: &[u32], title: &str, traced_counts: bool) -> Heatmap {
    let cols: Vec<String> = apps.iter().map(|a| if a.dynamic.is_some() { format!("{}*", a.name) } else { a.name.clone() }).collect();
    let groups: Vec<String> = apps
        .iter()
        .map(|a| match a.group.as_str() {
            "unikraft" => "Unikraft study servers".to_string(),
            "server" => "other servers".to_string(),
            g => g.to_string(),
        })
        .collect();
    let row_labels: Vec<String> = rows
        .iter()
        .map(|&n| {
            let count = if traced_counts {
                apps.iter().filter(|a| a.dynamic.as_ref().is_some_and(|d| d.syscalls.contains(&n))).count()
            } else {
                apps.iter().filter(|a| a.static_syscalls.contains(&n)).count()
            };
            format!("{} {:>3} {:>2}", table.name(n), n, count)
        })
        .collect();
    let mut cells = Vec::new();
    for &n in rows {
        let mut row = Vec::new();
        for a in apps {
            let st = a.static_syscalls.contains(&n);
            let dy = a.dynamic.as_ref().is_some_and(|d| d.syscalls.contains(&n));
            row.push(if !st && !dy {
                Cell::NotNeeded
            } else {
                Cell::Needed { status: table.status(n), traced: dy, static_found: st }
            });
        }
        cells.push(row);
    }
    Heatmap { title: title.to_string(), row_labels, col_labels: cols, col_groups: groups, cells }
}

/// Sort applications for display: by group (the study's set first), then by name.
pub fn display_order(apps: &mut [AppResult]) {
    let g = |s: &str| crate::apps::GROUPS.iter().position(|x| *x == s).unwrap_or(9);
    apps.sort_by(|a, b| g(&a.group).cmp(&g(&b.group)).then(a.name.cmp(&b.name)));
}

/// Write README.md, coverage.json, coverage.csv and the heatmaps into `out`.
pub fn write(out: &Path, run: &RunResult, table: &Table, inputs: &Inputs<'_>) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut apps = run.apps.clone();
    display_order(&mut apps);
    let traced: Vec<&AppResult> = apps.iter().filter(|a| a.dynamic.is_some()).collect();

    // Heatmaps: every syscall any app needs (static or traced), by number of apps needing it;
    // and the traced syscalls only.
    let mut need_count: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    for a in &apps {
        for &n in &a.static_syscalls {
            need_count.entry(n).or_default().0 += 1;
        }
        if let Some(d) = &a.dynamic {
            for &n in &d.syscalls {
                need_count.entry(n).or_default().1 += 1;
            }
        }
    }
    let mut rows: Vec<u32> = need_count.keys().copied().collect();
    rows.sort_by(|a, b| {
        let (sa, da) = need_count[a];
        let (sb, db) = need_count[b];
        sb.cmp(&sa).then(db.cmp(&da)).then(a.cmp(b))
    });
    let mut traced_rows: Vec<u32> = rows.iter().copied().filter(|n| need_count[n].1 > 0).collect();
    traced_rows.sort_by(|a, b| need_count[b].1.cmp(&need_count[a].1).then(need_count[b].0.cmp(&need_count[a].0)).then(a.cmp(b)));
    let full = build_heatmap(&apps, table, &rows, "Syscalls needed by Debian applications (static analysis), coloured by Elfin's status", false);
    let traced_apps: Vec<AppResult> = traced.iter().map(|a| (*a).clone()).collect();
    let dynmap = build_heatmap(&traced_apps, table, &traced_rows, "Syscalls the traced applications made (strace), coloured by Elfin's status", true);
    heatmap::write(&full, &out.join("heatmap"))?;
    heatmap::write(&dynmap, &out.join("heatmap-traced"))?;

    // CSV: one row per application and syscall it needs (static or traced).
    let mut csv = String::from("app,group,package,version,nr,syscall,elfin_status,static,traced\n");
    for a in &apps {
        let dynset = a.dynamic.as_ref().map(|d| d.syscalls.clone()).unwrap_or_default();
        let all: BTreeSet<u32> = a.static_syscalls.union(&dynset).copied().collect();
        for n in all {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{}",
                a.name,
                a.group,
                a.packages[0].name,
                a.packages[0].version,
                n,
                table.name(n),
                table.status(n).label(),
                u8::from(a.static_syscalls.contains(&n)),
                if a.dynamic.is_some() { u8::from(dynset.contains(&n)).to_string() } else { String::new() }
            );
        }
    }
    std::fs::write(out.join("coverage.csv"), csv)?;

    let json = serde_json::json!({
        "generated_by": "make coverage (images/coverage, elfin-coverage)",
        "date": run.date,
        "inputs": {
            "elfin_table": inputs.table_path,
            "apps": inputs.apps_path,
            "popcon": inputs.popcon.map(|(p, _)| p),
            "libc": run.libc.package,
        },
        "elfin_status": table.by_nr.values().map(|e| (e.nr.to_string(), e.status.label())).collect::<BTreeMap<_, _>>(),
        "libc_model": run.libc,
        "apps": apps,
        "log": run.log,
    });
    std::fs::write(out.join("coverage.json"), serde_json::to_string_pretty(&json)? + "\n")?;

    std::fs::write(out.join("README.md"), markdown(run, &apps, table, inputs, &rows))?;
    Ok(())
}

fn markdown(run: &RunResult, apps: &[AppResult], table: &Table, inputs: &Inputs<'_>, rows: &[u32]) -> String {
    let mut md = String::new();
    let traced: Vec<&AppResult> = apps.iter().filter(|a| a.dynamic.is_some()).collect();
    let impl_n = table.by_nr.values().filter(|e| e.status == Status::Implemented).count();
    let part_n = table.by_nr.values().filter(|e| e.status == Status::Partial).count();
    let count_group = |g: &str| apps.iter().filter(|a| a.group == g).count();
    let _ = writeln!(md, "# Syscall coverage of Debian applications against Elfin\n");
    let _ = writeln!(
        md,
        "Generated on **{}** by `make coverage` (`images/coverage`, the `elfin-coverage` tool); do not edit: \
         rerun it. Data: [coverage.json](coverage.json), [coverage.csv](coverage.csv).\n",
        run.date
    );
    let _ = writeln!(md, "## Summary\n");
    let _ = writeln!(
        md,
        "- **{} applications** analysed from their Debian 12 binaries: {} from the Unikraft EuroSys'21 server set \
         (one substitute), {} other servers, {} widely installed tools. **{} traced** with strace under a workload.",
        apps.len(),
        count_group("unikraft"),
        count_group("server"),
        count_group("tools"),
        traced.len()
    );
    let _ = writeln!(
        md,
        "- Elfin's table (`{}`): {} implemented and {} partial of {} Linux x86-64 syscalls.",
        inputs.table_path,
        impl_n,
        part_n,
        table.by_nr.len()
    );
    let union_static: BTreeSet<u32> = apps.iter().flat_map(|a| a.static_syscalls.iter().copied()).collect();
    let union_dyn: BTreeSet<u32> = traced.iter().flat_map(|a| a.dynamic.as_ref().unwrap().syscalls.iter().copied()).collect();
    let _ = writeln!(
        md,
        "- Static analysis: the applications need **{}** distinct syscalls in all; Elfin supports {} of them ({}). \
         Traces: the traced applications made **{}** distinct syscalls; Elfin supports {} of them ({}).",
        union_static.len(),
        union_static.len() - missing(table, &union_static).len(),
        pct(union_static.len() - missing(table, &union_static).len(), union_static.len()),
        union_dyn.len(),
        union_dyn.len() - missing(table, &union_dyn).len(),
        pct(union_dyn.len() - missing(table, &union_dyn).len(), union_dyn.len()),
    );
    let full_static = apps.iter().filter(|a| missing(table, &a.static_syscalls).is_empty()).count();
    let full_dyn = traced.iter().filter(|a| missing(table, &a.dynamic.as_ref().unwrap().syscalls).is_empty()).count();
    let _ = writeln!(
        md,
        "- Applications whose every needed syscall Elfin serves: {full_static} of {} by static analysis, {full_dyn} of {} by their traces \
         (a syscall that returns ENOSYS is not always fatal: many programs fall back; see the per-application lists).",
        apps.len(),
        traced.len()
    );
    let ranked = ranked_missing(apps, table);
    let top: Vec<String> = ranked.iter().take(12).map(|(n, s, d)| format!("`{}` ({s}/{d})", table.name(*n))).collect();
    let _ = writeln!(md, "- Most-needed missing syscalls by static analysis (apps needing it statically / apps seen making it): {}.", top.join(", "));
    let mut by_traced: Vec<&(u32, usize, usize)> = ranked.iter().filter(|r| r.2 > 0).collect();
    by_traced.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    let top_traced: Vec<String> = by_traced.iter().take(12).map(|(n, _, d)| format!("`{}` ({d})", table.name(*n))).collect();
    let _ = writeln!(
        md,
        "- Most-needed missing syscalls by the traces (traced apps seen making it, of {}): {}. Static analysis over-approximates \
         (every libc error path, such as `abort`, reaches many syscalls), so this list is the closer guide to what to implement next.",
        traced.len(),
        top_traced.join(", ")
    );
    let exceptions: usize = traced.iter().map(|a| a.dynamic.as_ref().unwrap().exceptions.len()).sum();
    let _ = writeln!(
        md,
        "- Dynamic vs static: {exceptions} syscall(s) seen in a trace were not found by the static analysis of that application \
         (each listed with its likely cause in [Exceptions](#exceptions-traced-but-not-found-statically)).\n"
    );

    let _ = writeln!(md, "## Heatmaps\n");
    let _ = writeln!(
        md,
        "Columns are applications (grouped: Unikraft's server set, other servers, tools; `*` = traced), rows are syscalls with \
         their number and how many applications need them, most needed first. Green: implemented in Elfin; yellow: partial; \
         red: ENOSYS; grey: not needed. A dot marks a syscall seen in the application's strace trace; a hollow square, one \
         seen in the trace but not found statically.\n"
    );
    let _ = writeln!(md, "All syscalls found by static analysis ({} rows): [heatmap.png](heatmap.png) ([SVG](heatmap.svg))\n", rows.len());
    let _ = writeln!(md, "![static heatmap](heatmap.png)\n");
    let _ = writeln!(md, "Syscalls seen in the traces: [heatmap-traced.png](heatmap-traced.png) ([SVG](heatmap-traced.svg))\n");
    let _ = writeln!(md, "![traced heatmap](heatmap-traced.png)\n");

    let _ = writeln!(md, "## Per application\n");
    let _ = writeln!(
        md,
        "Static: syscalls the application's executables, the shared libraries they need and the dynamic loader can make. \
         Traced: syscalls strace saw under the workload. Supported = implemented or partial in Elfin.\n"
    );
    let _ = writeln!(md, "| application | group | Debian package (version) | static: needed | supported | missing | traced: made | supported | missing | traced ⊆ static |");
    let _ = writeln!(md, "|---|---|---|--:|--:|--:|--:|--:|--:|---|");
    for a in apps {
        let m = missing(table, &a.static_syscalls);
        let (dn, ds, dm, sub) = match &a.dynamic {
            Some(d) => {
                let dm = missing(table, &d.syscalls);
                let exc = d.exceptions.iter().filter(|e| e.nr.is_some()).count();
                (
                    d.syscalls.len().to_string(),
                    (d.syscalls.len() - dm.len()).to_string(),
                    dm.len().to_string(),
                    if d.exceptions.is_empty() { "yes".to_string() } else { format!("no ({exc} missed)") },
                )
            }
            None => {
                let why = if a.dynamic_error.is_some() { "failed" } else { "-" };
                (why.into(), "-".into(), "-".into(), "-".into())
            }
        };
        let pk: Vec<String> = a.packages.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
        let name = match &a.substitute {
            Some(_) => format!("{} (substitute)", a.name),
            None => a.name.clone(),
        };
        let _ = writeln!(
            md,
            "| [{name}](#{}) | {} | {} | {} | {} | {} | {dn} | {ds} | {dm} | {sub} |",
            anchor(&a.name),
            a.group,
            pk.join(", "),
            a.static_syscalls.len(),
            a.static_syscalls.len() - m.len(),
            m.len()
        );
    }
    let _ = writeln!(md);

    let _ = writeln!(md, "## Most-needed missing syscalls\n");
    let _ = writeln!(
        md,
        "Syscalls Elfin answers with ENOSYS, ranked by the number of applications whose static set needs them (of {}), then by the \
         number of traced applications seen making them (of {}).{}\n",
        apps.len(),
        traced.len(),
        if inputs.popcon.is_some() { " Importance: Tsai et al.'s API importance from the popcon counts (below)." } else { "" }
    );
    let importance = inputs.popcon.map(|(_, p)| {
        let needs: BTreeMap<String, BTreeSet<u32>> = apps.iter().map(|a| (a.popcon_package.clone(), a.static_syscalls.clone())).collect();
        popcon::importance(p, &needs)
    });
    let _ = writeln!(md, "| rank | syscall | nr | apps needing (static) | apps seen making it (traced) |{}", if importance.is_some() { " API importance |" } else { "" });
    let _ = writeln!(md, "|--:|---|--:|--:|--:|{}", if importance.is_some() { "--:|" } else { "" });
    for (i, (n, s, d)) in ranked.iter().take(40).enumerate() {
        let imp = importance.as_ref().map(|m| format!(" {:.3} |", m.get(n).copied().unwrap_or(0.0))).unwrap_or_default();
        let _ = writeln!(md, "| {} | `{}` | {n} | {s} | {d} |{imp}", i + 1, table.name(*n));
    }
    let _ = writeln!(md, "\n{} missing syscalls are needed by at least one application in all.\n", ranked.len());

    // Completeness curves.
    let static_sets: Vec<&BTreeSet<u32>> = apps.iter().map(|a| &a.static_syscalls).collect();
    let dyn_sets: Vec<&BTreeSet<u32>> = traced.iter().map(|a| &a.dynamic.as_ref().unwrap().syscalls).collect();
    let order_static: Vec<u32> = ranked.iter().filter(|r| r.1 > 0).map(|r| r.0).collect();
    let mut order_dyn: Vec<(u32, usize, usize)> = ranked.iter().copied().filter(|r| r.2 > 0).collect();
    order_dyn.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    let order_dyn: Vec<u32> = order_dyn.into_iter().map(|r| r.0).collect();
    let _ = writeln!(md, "### How many applications each next step would complete\n");
    let _ = writeln!(
        md,
        "Implementing the missing syscalls in rank order (by apps needing them), the number of applications all of whose syscalls \
         Elfin would then serve (Tsai et al.'s completeness, unweighted):\n"
    );
    let _ = writeln!(md, "| syscalls added | apps complete (static, of {}) |", apps.len());
    let _ = writeln!(md, "|--:|--:|");
    for (k, c) in completeness_curve(&static_sets, &order_static, table) {
        let _ = writeln!(md, "| {k} | {c} |");
    }
    let _ = writeln!(md);
    if !traced.is_empty() {
        let _ = writeln!(md, "| syscalls added (rank by traced apps) | traced apps complete (of {}) |", traced.len());
        let _ = writeln!(md, "|--:|--:|");
        for (k, c) in completeness_curve(&dyn_sets, &order_dyn, table) {
            let _ = writeln!(md, "| {k} | {c} |");
        }
        let first: Vec<String> = order_dyn.iter().take(15).map(|n| format!("`{}`", table.name(*n))).collect();
        let _ = writeln!(md, "\nThe first traced-rank syscalls to add: {}.\n", first.join(", "));
    }

    let _ = writeln!(md, "## Popularity-weighted importance (Tsai et al., EuroSys 2016)\n");
    match inputs.popcon {
        Some((path, pop)) => {
            let needs: BTreeMap<String, BTreeSet<u32>> = apps.iter().map(|a| (a.popcon_package.clone(), a.static_syscalls.clone())).collect();
            let wc = popcon::weighted_completeness(pop, &needs, &|n| table.status(n).supported());
            let wc_strict = popcon::weighted_completeness(pop, &needs, &|n| table.status(n) == Status::Implemented);
            let known = apps.iter().filter(|a| pop.inst.contains_key(&a.popcon_package)).count();
            if path.contains("popcon-sample") {
                let _ = writeln!(md, "**These weights come from the sample file, whose counts are made up: an illustration of the method, not Debian's data.**\n");
            }
            let _ = writeln!(
                md,
                "Install counts from `{path}` ({} packages; N = {} installations, the largest count in the file); {known} of the {} \
                 applications' packages have a count. API importance of a syscall = the probability that an installation has at \
                 least one of these applications needing it; weighted completeness = the install-weighted share of these \
                 applications whose every needed syscall Elfin serves.\n",
                pop.inst.len(),
                pop.installations,
                apps.len()
            );
            let _ = writeln!(md, "- Weighted completeness of Elfin today (static sets): **{:.1}%** counting partial as supported, {:.1}% implemented only.", wc * 100.0, wc_strict * 100.0);
            if !traced.is_empty() {
                let dneeds: BTreeMap<String, BTreeSet<u32>> = traced.iter().map(|a| (a.popcon_package.clone(), a.dynamic.as_ref().unwrap().syscalls.clone())).collect();
                let dwc = popcon::weighted_completeness(pop, &dneeds, &|n| table.status(n).supported());
                let _ = writeln!(md, "- Weighted completeness over the traced applications (traced sets): **{:.1}%**.", dwc * 100.0);
            }
            let imp = popcon::importance(pop, &needs);
            let mut by_imp: Vec<(u32, f64)> = imp.iter().filter(|(n, _)| !table.status(**n).supported()).map(|(n, v)| (*n, *v)).collect();
            by_imp.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let _ = writeln!(md, "\n| missing syscall | API importance |\n|---|--:|");
            for (n, v) in by_imp.iter().take(20) {
                let _ = writeln!(md, "| `{}` | {v:.4} |", table.name(*n));
            }
            let _ = writeln!(md);
        }
        None => {
            let _ = writeln!(
                md,
                "Not computed in this run: no popcon data was given. popcon.debian.org cannot be reached from the machines this report \
                 is built on; pass Debian's `by_inst` file with `make coverage POPCON=/path/to/by_inst` (or `elfin-coverage --popcon FILE`) \
                 to get each missing syscall's API importance and Elfin's weighted completeness. The unweighted counterparts are the \
                 rankings and completeness tables above. `images/coverage/popcon-sample.txt` shows the format (its counts are made up \
                 for the tests, not Debian's).\n"
            );
        }
    }

    let _ = writeln!(md, "## Exceptions: traced but not found statically\n");
    let _ = writeln!(
        md,
        "Each application's traced set should be a subset of its static set. Every syscall seen in a trace that the static \
         analysis did not find for that application is listed here with the likely reason.\n"
    );
    let mut any = false;
    for a in &traced {
        let d = a.dynamic.as_ref().unwrap();
        for e in &d.exceptions {
            if !any {
                let _ = writeln!(md, "| application | syscall | likely reason |\n|---|---|---|");
                any = true;
            }
            let _ = writeln!(md, "| {} | `{}` | {} |", a.name, e.name, e.reason);
        }
    }
    if !any {
        let _ = writeln!(md, "None: every traced syscall was found by the static analysis.");
    }
    let failed: Vec<String> = apps.iter().filter_map(|a| a.dynamic_error.as_ref().map(|e| format!("- {}: {e}", a.name))).collect();
    if !failed.is_empty() {
        let _ = writeln!(md, "\nWorkloads that did not complete (no trace used):\n\n{}", failed.join("\n"));
    }
    let _ = writeln!(md);

    let _ = writeln!(md, "## Applications in detail\n");
    for a in apps {
        let _ = writeln!(md, "### {}\n", a.name);
        let pk: Vec<String> = a.packages.iter().map(|p| format!("`{}` {}", p.name, p.version)).collect();
        let _ = writeln!(md, "- Packages: {}{}", pk.join(", "), a.substitute.as_ref().map(|s| format!(" — substitute {s}")).unwrap_or_default());
        let _ = writeln!(md, "- Executables: {}", a.executables.iter().map(|e| format!("`/{e}`")).collect::<Vec<_>>().join(", "));
        if !a.extra.is_empty() {
            let _ = writeln!(md, "- Modules loaded at run time (analysed too): {}", a.extra.len());
        }
        let libs: Vec<String> = a.libraries.iter().map(|l| format!("`{}` ({})", l.soname, l.package.replacen('_', " ", 1))).collect();
        let _ = writeln!(md, "- Shared libraries ({}): {}", libs.len(), if libs.is_empty() { "none (statically linked)".to_string() } else { libs.join(", ") });
        if !a.unresolved_libraries.is_empty() {
            let _ = writeln!(md, "- **Unresolved libraries** (not analysed): {}", a.unresolved_libraries.join(", "));
        }
        let _ = writeln!(
            md,
            "- Syscall sites in the application's own code and libraries: {} (number found for {}){}",
            a.syscall_sites,
            a.resolved_sites,
            if a.int80_sites > 0 { format!("; {} `int 0x80` sites (32-bit ABI, not counted)", a.int80_sites) } else { String::new() }
        );
        let m = missing(table, &a.static_syscalls);
        let _ = writeln!(md, "- Static: {} needed, {} missing in Elfin: {}", a.static_syscalls.len(), m.len(), names(table, &m));
        if let Some(d) = &a.dynamic {
            let dm = missing(table, &d.syscalls);
            let hv: Vec<String> = d.host_versions.iter().map(|(p, v)| format!("{p} {v}")).collect();
            let _ = writeln!(
                md,
                "- Traced ({} processes; host packages {}): {} made, {} missing in Elfin: {}",
                d.processes,
                hv.join(", "),
                d.syscalls.len(),
                dm.len(),
                names(table, &dm)
            );
            let sup: BTreeSet<u32> = d.syscalls.iter().copied().filter(|n| table.status(*n).supported()).collect();
            let _ = writeln!(md, "- Traced and supported: {}", names(table, &sup));
        }
        let _ = writeln!(md, "\n<details><summary>All {} syscalls of the static set</summary>\n\n{}\n\n</details>\n", a.static_syscalls.len(), names(table, &a.static_syscalls));
    }

    let _ = writeln!(md, "## Method\n");
    let _ = writeln!(
        md,
        "1. **Packages.** `images/coverage/apps.toml` lists each application's Debian packages and executables and where the list \
         comes from. `apt-get download` fetches the candidate version of each into `target/coverage-cache/` and `dpkg-deb -x` \
         extracts it; nothing is installed for the static analysis.\n\
         2. **Direct syscall sites.** Every executable section is disassembled (iced-x86, linear sweep). At each `syscall` \
         instruction the value of `%rax` is found by walking backwards through the basic block and, at a jump target, through \
         each direct predecessor: `mov $imm`, `xor`, and register copies are followed; a number that arrives as a function \
         argument (glibc's `syscall()`, Go's `Syscall6`) is looked up at that function's direct callers, up to 4 levels.\n\
         3. **libc.** Debian's `libc.so.6` (from `{} {}`) is analysed the same way and turned into a call graph: regions \
         start at every symbol, call target and address-taken function ({} regions); edges are direct calls and jumps, calls \
         through libc's own PLT/GOT slots (IRELATIVE resolvers included) and `lea` of a function address (IFUNC resolvers, \
         callbacks) ({} edges). Each imported libc function (undefined dynamic symbol, matched by its GLIBC_* version) \
         contributes every syscall reachable from it. {} of libc's {} syscall sites have a constant number; libc has sites for \
         {} distinct syscalls. libc's start-up (its init functions and `__libc_early_init`) adds {} syscalls to every \
         dynamically linked program, and every syscall site of the dynamic loader (`ld-linux-x86-64.so.2`, {} syscalls) counts \
         too.\n\
         4. **Shared libraries.** Each `DT_NEEDED` library, transitively, is looked for in the application's own packages \
         (RUNPATH first), then in the package that ships it: one recorded by an earlier run, the host's `dpkg -S`, or Debian's \
         library naming (`libssl.so.3` -> `libssl3`), and last among the application's dependencies. A library counts with \
         all its syscall sites and all its libc imports. Libraries not found are listed per application.\n\
         5. **Traces.** For the applications with a workload (`images/coverage/workloads/*.sh`) the program runs under \
         `strace -f` on this host (installed by `scripts/coverage-setup.sh`), a client makes a few real requests on loopback, \
         and the program is stopped; only processes running the application's own executables count (followed through \
         `execve` and `clone`).\n\
         6. **Elfin's column** comes from `{}` (written by `make docs` from `syscall/src/table.rs`), read at every run.\n",
        run.libc.package.name,
        run.libc.package.version,
        run.libc.regions,
        run.libc.edges,
        run.libc.resolved_sites,
        run.libc.sites,
        run.libc.syscalls_in_libc,
        run.libc.startup.len(),
        run.libc.loader_syscalls.len(),
        inputs.table_path
    );
    let _ = writeln!(md, "## Inputs\n");
    let _ = writeln!(md, "- Date: {}", run.date);
    let _ = writeln!(md, "- Application list: `{}` ({} applications)", inputs.apps_path, apps.len());
    let _ = writeln!(md, "- Elfin syscall table: `{}`", inputs.table_path);
    let _ = writeln!(md, "- libc: `{}` {} (source {})", run.libc.package.name, run.libc.package.version, run.libc.package.source);
    let _ = writeln!(md, "- Package versions: in the per-application table; library packages in coverage.json");
    let _ = writeln!(md, "- Popcon: {}", inputs.popcon.map(|(p, _)| format!("`{p}`")).unwrap_or_else(|| "none".into()));
    let _ = writeln!(md, "- Dynamic traces: {}\n", if run.dynamic_enabled { "run on this host (versions per application above)" } else { "not run (--no-dynamic)" });
    let _ = writeln!(md, "## Limitations\n");
    let _ = writeln!(
        md,
        "- Static analysis over-approximates: a library counts whole, a libc function counts with everything it can reach \
         (error paths such as `abort` reach many syscalls), and each listed executable counts whole.\n\
         - It also misses what it cannot see: calls through function pointers held in data (stdio's FILE vtables, callbacks \
         registered elsewhere) are not followed; syscall numbers computed at run time (a table, a value from memory) are not \
         resolved; objects loaded with `dlopen` count only when listed in `apps.toml` (`extra`); the vDSO (`clock_gettime`, \
         `gettimeofday`, `time`, `getcpu`) is counted through libc's fallback syscalls. The exceptions table shows what the \
         traces caught.\n\
         - `int 0x80` sites (the 32-bit ABI) are counted but not resolved; Elfin serves the 64-bit ABI only.\n\
         - Go binaries (influxdb) make syscalls through wrappers whose number often passes through the stack; those sites stay \
         unresolved.\n\
         - Traces cover one short workload each; they show a lower bound of what a real deployment needs. The traced binaries are \
         the host's installed versions, which may differ from the analysed .debs by a security update.\n\
         - A syscall Elfin answers with ENOSYS may not stop an application (many fall back, e.g. `rseq`, `clone3`, `statx`); \
         partial ones may not cover the flags an application uses.\n"
    );
    if !run.log.is_empty() {
        let _ = writeln!(md, "## Run notes\n");
        for l in &run.log {
            let _ = writeln!(md, "- {l}");
        }
        let _ = writeln!(md);
    }
    md
}

fn anchor(name: &str) -> String {
    name.to_lowercase().chars().filter(|c| c.is_alphanumeric() || *c == '-' || *c == ' ').map(|c| if c == ' ' { '-' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::debian::Package;
    use crate::pipeline::{DynamicResult, LibcInfo};

    fn app(name: &str, group: &str, st: &[u32], dy: Option<&[u32]>) -> AppResult {
        AppResult {
            name: name.into(),
            group: group.into(),
            packages: vec![Package { name: name.into(), version: "1.0-1".into(), arch: "amd64".into(), source: name.into() }],
            popcon_package: name.into(),
            substitute: None,
            executables: vec![format!("usr/bin/{name}")],
            extra: vec![],
            libraries: vec![],
            unresolved_libraries: vec![],
            static_syscalls: st.iter().copied().collect(),
            provenance: BTreeMap::new(),
            syscall_sites: 0,
            resolved_sites: 0,
            int80_sites: 0,
            instructions: 0,
            statically_linked: false,
            dynamic: dy.map(|d| DynamicResult { syscalls: d.iter().copied().collect(), ..Default::default() }),
            dynamic_error: None,
        }
    }

    fn table(open_status: &str) -> Table {
        Table::parse(&format!(
            r#"{{"syscalls":[{{"nr":0,"name":"read","status":"implemented"}},{{"nr":1,"name":"write","status":"partial"}},
               {{"nr":2,"name":"open","status":"{open_status}"}},{{"nr":41,"name":"socket","status":"ENOSYS"}}]}}"#
        ))
        .unwrap()
    }

    fn run() -> RunResult {
        RunResult {
            date: "2026-01-01".into(),
            apps: vec![app("srv", "unikraft", &[0, 1, 2, 41], Some(&[0, 2])), app("tool", "tools", &[0, 2], None)],
            libc: LibcInfo {
                package: Package { name: "libc6".into(), version: "2.36".into(), arch: "amd64".into(), source: "glibc".into() },
                instructions: 0,
                sites: 0,
                resolved_sites: 0,
                regions: 0,
                edges: 0,
                syscalls_in_libc: 0,
                exports: 0,
                startup: BTreeSet::new(),
                loader_syscalls: BTreeSet::new(),
            },
            log: vec![],
            dynamic_enabled: true,
        }
    }

    #[test]
    fn the_elfin_column_follows_the_table() {
        let dir = std::env::temp_dir().join(format!("elfin-coverage-report-{}", std::process::id()));
        let inputs = Inputs { table_path: "t.json", apps_path: "apps.toml", popcon: None };
        write(&dir, &run(), &table("ENOSYS"), &inputs).unwrap();
        let before = std::fs::read_to_string(dir.join("coverage.csv")).unwrap();
        let md_before = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(before.contains("tool,tools,tool,1.0-1,2,open,ENOSYS,1,"));
        assert!(md_before.contains("| 1 | `open` | 2 | 2 | 1 |"), "{md_before}");
        // The table changes (open implemented): the report follows, nothing else edited.
        write(&dir, &run(), &table("implemented"), &inputs).unwrap();
        let after = std::fs::read_to_string(dir.join("coverage.csv")).unwrap();
        let md_after = std::fs::read_to_string(dir.join("README.md")).unwrap();
        assert!(after.contains("tool,tools,tool,1.0-1,2,open,implemented,1,"));
        assert!(!md_after.contains("`open` | 2 |"));
        assert!(md_after.contains("whose every needed syscall Elfin serves: 1 of 2 by static analysis, 1 of 1 by their traces"));
        assert!(dir.join("heatmap.png").exists() && dir.join("heatmap-traced.svg").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn curve_and_ranking() {
        let r = run();
        let t = table("ENOSYS");
        let ranked = ranked_missing(&r.apps, &t);
        assert_eq!(ranked, vec![(2, 2, 1), (41, 1, 0)]);
        let sets: Vec<&BTreeSet<u32>> = r.apps.iter().map(|a| &a.static_syscalls).collect();
        assert_eq!(completeness_curve(&sets, &[2, 41], &t), vec![(0, 0), (2, 2)]);
    }
}
