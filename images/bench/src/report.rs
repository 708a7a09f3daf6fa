//! The report: table rows with the three peers side by side and their ratios, the issue's
//! targets marked met or not met, `docs/bench/README.md` ([`markdown`]) and the plot
//! ([`svg`]). The harness fills a [`Report`]; everything here is formatting.

use std::fmt::Write;

/// The unit of a row; every row is "lower is better".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Ms,
    Us,
    Cycles,
    MiB,
    Bytes,
    Seconds,
}

impl Unit {
    /// `value` with its unit, rounded for reading.
    pub fn format(self, value: f64) -> String {
        match self {
            Unit::Ms => format!("{} ms", round_to(value, if value < 100.0 { 1 } else { 0 })),
            Unit::Us => format!("{} us", group(value.round())),
            Unit::Cycles => group(value.round()),
            Unit::MiB => format!("{} MiB", round_to(value, 0)),
            Unit::Bytes => bytes(value),
            Unit::Seconds => format!("{} s", round_to(value, if value < 10.0 { 2 } else { 1 })),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Unit::Ms => "ms",
            Unit::Us => "us",
            Unit::Cycles => "cycles",
            Unit::MiB => "MiB",
            Unit::Bytes => "bytes",
            Unit::Seconds => "s",
        }
    }
}

fn round_to(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

/// An integer with thousands separators: 12345 -> "12,345".
pub fn group(value: f64) -> String {
    let text = format!("{}", value.abs().round() as u64);
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 { format!("-{out}") } else { out }
}

/// A byte count in the largest binary unit that keeps it >= 1: "25.5 KiB", "7.9 MiB".
pub fn bytes(value: f64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut v = value;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{} bytes", v as u64)
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// One peer's figure on a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A measured median.
    Num(f64),
    /// A measured value with a qualifier shown after it, such as a bisection bracket.
    Qualified(f64, String),
    /// Not a number: "not yet", "n/a", a failure.
    Text(String),
}

impl Cell {
    pub fn value(&self) -> Option<f64> {
        match self {
            Cell::Num(v) | Cell::Qualified(v, _) => Some(*v),
            Cell::Text(_) => None,
        }
    }

    fn show(&self, unit: Unit) -> String {
        match self {
            Cell::Num(v) => unit.format(*v),
            Cell::Qualified(v, q) => format!("{} ({q})", unit.format(*v)),
            Cell::Text(t) => t.clone(),
        }
    }
}

/// One row of the table: a metric measured on the three peers.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub section: String,
    pub metric: String,
    /// Short key for the JSON and the plot.
    pub key: String,
    pub unit: Unit,
    pub elfin: Cell,
    pub linux: Cell,
    pub native: Cell,
    /// The ratio the issue asks for against the Linux guest, drawn on the plot.
    pub target_ratio: Option<f64>,
}

impl Row {
    /// How many times lower Elfin's figure is than the Linux guest's (> 1: Elfin is better).
    pub fn linux_over_elfin(&self) -> Option<f64> {
        ratio(self.linux.value()?, self.elfin.value()?)
    }

    /// How many times higher Elfin's figure is than native's (> 1: Elfin costs more).
    pub fn elfin_over_native(&self) -> Option<f64> {
        ratio(self.elfin.value()?, self.native.value()?)
    }

    /// How many times lower Elfin's figure is than native's, for the plot.
    pub fn native_over_elfin(&self) -> Option<f64> {
        ratio(self.native.value()?, self.elfin.value()?)
    }
}

/// `a / b` when both are positive and finite.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (a.is_finite() && b.is_finite() && a > 0.0 && b > 0.0).then(|| a / b)
}

/// A ratio for reading: "35x", "3.4x", "0.27x".
pub fn show_ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{}x", group(r.round()))
    } else if r >= 10.0 {
        format!("{r:.0}x")
    } else if r >= 1.0 {
        format!("{r:.1}x")
    } else if r >= 0.1 {
        format!("{r:.2}x")
    } else {
        format!("{r:.3}x")
    }
}

/// A goal from the issue and how this run compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub goal: String,
    pub measured: String,
    /// `None`: not measurable yet (the feature has not landed).
    pub met: Option<bool>,
}

/// Everything `docs/bench/README.md` shows.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub title: String,
    /// `(label, value)` lines about the machine and the run.
    pub meta: Vec<(String, String)>,
    pub rows: Vec<Row>,
    pub targets: Vec<Target>,
    /// Paragraphs of "where the time goes", already in Markdown.
    pub notes: Vec<String>,
    /// Paragraphs of "how it is measured".
    pub method: Vec<String>,
    /// File name of the plot, linked from the page.
    pub plot: String,
    /// Put before the plot's subtitle (accelerator and date).
    pub plot_note: String,
}

/// `docs/bench/README.md`.
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", report.title);
    out.push_str(
        "Generated by `make bench` (`images/bench/`); do not edit by hand. Medians of repeated runs; \
         the raw samples are in [results.json](results.json). \"Linux / Elfin\" is how many times \
         lower Elfin's figure is than the Linux guest's (above 1x Elfin wins); \"Elfin / native\" \
         how many times higher it is than the program run directly on the host.\n\n",
    );
    out.push_str("| | |\n|---|---|\n");
    for (label, value) in &report.meta {
        let _ = writeln!(out, "| {label} | {} |", escape(value));
    }
    let _ = writeln!(
        out,
        "\n![Linux guest and native, relative to Elfin]({})\n",
        report.plot
    );
    out.push_str("## Results\n\n| metric | Elfin | Linux guest | native | Linux / Elfin | Elfin / native |\n|---|---:|---:|---:|---:|---:|\n");
    let mut section = "";
    for row in &report.rows {
        if row.section != section {
            section = &row.section;
            let _ = writeln!(out, "| **{}** | | | | | |", escape(section));
        }
        let r1 = row.linux_over_elfin().map_or(String::new(), show_ratio);
        let r2 = row.elfin_over_native().map_or(String::new(), show_ratio);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            escape(&row.metric),
            escape(&row.elfin.show(row.unit)),
            escape(&row.linux.show(row.unit)),
            escape(&row.native.show(row.unit)),
            r1,
            r2
        );
    }
    out.push_str("\n## Targets (issue 8)\n\n| target | this run | met |\n|---|---|---|\n");
    for t in &report.targets {
        let met = match t.met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not yet measurable",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {met} |",
            escape(&t.goal),
            escape(&t.measured)
        );
    }
    if !report.notes.is_empty() {
        out.push_str("\n## Where the time goes\n\n");
        for note in &report.notes {
            let _ = writeln!(out, "{note}\n");
        }
    }
    if !report.method.is_empty() {
        out.push_str("\n## How it is measured\n\n");
        for m in &report.method {
            let _ = writeln!(out, "{m}\n");
        }
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The plot: for each row measured on Elfin and on a peer, how many times lower Elfin's figure
/// is than the Linux guest's and than native's, as horizontal bars on a log scale (1x is
/// parity; right of it Elfin wins), with the issue's target ratios marked.
pub fn svg(report: &Report) -> String {
    let rows: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.linux_over_elfin().is_some() || r.native_over_elfin().is_some())
        .collect();
    let (lo_exp, hi_exp) = (-2i32, 3i32); // 0.01x .. 1000x
    let (label_w, plot_w, bar_h, gap, top) = (330.0, 560.0, 13.0, 12.0, 70.0);
    let group_h = 2.0 * bar_h + gap;
    let height = top + group_h * rows.len() as f64 + 60.0;
    let width = label_w + plot_w + 40.0;
    let x_of = |r: f64| {
        let e = r.log10().clamp(f64::from(lo_exp), f64::from(hi_exp));
        label_w + (e - f64::from(lo_exp)) / f64::from(hi_exp - lo_exp) * plot_w
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="22" font-size="15" font-weight="bold" text-anchor="middle">{}</text>"#,
        width / 2.0,
        xml(&report.title)
    );
    let _ = writeln!(
        s,
        r##"<text x="{}" y="40" text-anchor="middle" fill="#444">{}peer's figure / Elfin's figure (log scale; right of 1x Elfin is better)</text>"##,
        width / 2.0,
        xml(&report.plot_note)
    );
    let plot_bottom = top + group_h * rows.len() as f64;
    for e in lo_exp..=hi_exp {
        let x = x_of(10f64.powi(e));
        let label = show_ratio(10f64.powi(e));
        let (stroke, w) = if e == 0 { ("#000", 1.5) } else { ("#ccc", 1.0) };
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{plot_bottom}" stroke="{stroke}" stroke-width="{w}"/><text x="{x:.1}" y="{}" text-anchor="middle">{label}</text>"#,
            top - 8.0,
            plot_bottom + 16.0
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let y0 = top + group_h * i as f64 + gap / 2.0;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 8.0,
            y0 + bar_h + 4.0,
            xml(&format!(
                "{} ({})",
                plot_label(&row.metric),
                row.unit.name()
            ))
        );
        for (j, (ratio, color)) in [
            (row.linux_over_elfin(), "#3b6fb6"),
            (row.native_over_elfin(), "#9a9a9a"),
        ]
        .into_iter()
        .enumerate()
        {
            let Some(r) = ratio else { continue };
            let y = y0 + bar_h * j as f64;
            let (x1, x2) = (x_of(1.0), x_of(r));
            let (x, w) = if x2 >= x1 {
                (x1, x2 - x1)
            } else {
                (x2, x1 - x2)
            };
            let _ = writeln!(
                s,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{}" fill="{color}"/>"#,
                w.max(1.0),
                bar_h - 2.0
            );
            // Labels go past the bar's end; a bar reaching the row labels gets its label inside.
            let (tx, anchor, fill) = if x2 >= x1 {
                (x2 + 4.0, "start", "#000")
            } else if x2 - label_w > 45.0 {
                (x2 - 4.0, "end", "#000")
            } else {
                (x2 + 4.0, "start", "#fff")
            };
            let _ = writeln!(
                s,
                r#"<text x="{tx:.1}" y="{:.1}" font-size="10" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
                y + bar_h - 4.0,
                show_ratio(r)
            );
        }
        if let Some(t) = row.target_ratio {
            let x = x_of(t);
            let _ = writeln!(
                s,
                r##"<path d="M{x:.1} {:.1} l-5 -7 h10 z" fill="#d62728"/>"##,
                y0 + 1.0
            );
        }
    }
    let ly = plot_bottom + 38.0;
    let _ = writeln!(
        s,
        r##"<rect x="{label_w}" y="{}" width="12" height="10" fill="#3b6fb6"/><text x="{}" y="{ly}">Linux guest / Elfin</text><rect x="{}" y="{}" width="12" height="10" fill="#9a9a9a"/><text x="{}" y="{ly}">native / Elfin</text><path d="M{} {} l-5 -7 h10 z" fill="#d62728"/><text x="{}" y="{ly}">target (issue 8)</text>"##,
        ly - 9.0,
        label_w + 16.0,
        label_w + 170.0,
        ly - 9.0,
        label_w + 186.0,
        label_w + 320.0,
        ly + 1.0,
        label_w + 330.0
    );
    s.push_str("</svg>\n");
    s
}

/// A metric's name without its parenthesised detail, short enough for the plot's labels.
fn plot_label(metric: &str) -> &str {
    metric.split(" (").next().unwrap_or(metric).trim_end()
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(elfin: Cell, linux: Cell, native: Cell) -> Row {
        Row {
            section: "Cold start".into(),
            metric: "hello: launch to first byte".into(),
            key: "cold_first".into(),
            unit: Unit::Ms,
            elfin,
            linux,
            native,
            target_ratio: Some(40.0),
        }
    }

    #[test]
    fn number_formats() {
        assert_eq!(group(1234567.0), "1,234,567");
        assert_eq!(group(999.0), "999");
        assert_eq!(group(1271.6), "1,272");
        assert_eq!(Unit::Ms.format(84.26), "84.3 ms");
        assert_eq!(Unit::Ms.format(2612.4), "2612 ms");
        assert_eq!(Unit::Cycles.format(1171.2), "1,171");
        assert_eq!(Unit::Bytes.format(26112.0), "25.5 KiB");
        assert_eq!(Unit::Bytes.format(500.0), "500 bytes");
        assert_eq!(Unit::Seconds.format(23.04), "23.0 s");
        assert_eq!(show_ratio(31.4), "31x");
        assert_eq!(show_ratio(3.44), "3.4x");
        assert_eq!(show_ratio(0.271), "0.27x");
        assert_eq!(show_ratio(1234.0), "1,234x");
    }

    #[test]
    fn ratios_need_two_positive_numbers() {
        let r = row(Cell::Num(80.0), Cell::Num(2600.0), Cell::Num(1.0));
        assert_eq!(r.linux_over_elfin(), Some(32.5));
        assert_eq!(r.elfin_over_native(), Some(80.0));
        let r = row(
            Cell::Num(80.0),
            Cell::Text("not yet".into()),
            Cell::Num(0.0),
        );
        assert_eq!(r.linux_over_elfin(), None);
        assert_eq!(r.elfin_over_native(), None);
        assert_eq!(ratio(1.0, f64::NAN), None);
    }

    fn sample() -> Report {
        Report {
            title: "Elfin benchmarks".into(),
            meta: vec![("accelerator".into(), "tcg".into())],
            rows: vec![
                row(Cell::Num(80.0), Cell::Num(2600.0), Cell::Num(1.2)),
                Row {
                    section: "Memory".into(),
                    metric: "hello | min".into(),
                    key: "mem_hello".into(),
                    unit: Unit::MiB,
                    elfin: Cell::Qualified(3.0, "exact".into()),
                    linux: Cell::Text("not yet".into()),
                    native: Cell::Text("n/a".into()),
                    target_ratio: None,
                },
            ],
            targets: vec![
                Target {
                    goal: "40x".into(),
                    measured: "32x".into(),
                    met: Some(false),
                },
                Target {
                    goal: "redis".into(),
                    measured: "not yet".into(),
                    met: None,
                },
            ],
            notes: vec!["PIT calibration: 10 ms.".into()],
            method: vec!["TCG.".into()],
            plot: "plot.svg".into(),
            plot_note: "TCG, today: ".into(),
        }
    }

    #[test]
    fn markdown_has_rows_ratios_and_targets() {
        let md = markdown(&sample());
        assert!(md.contains("| **Cold start** | | | | | |"), "{md}");
        assert!(
            md.contains("| hello: launch to first byte | 80.0 ms | 2600 ms | 1.2 ms | 32x | 67x |"),
            "{md}"
        );
        assert!(
            md.contains("| hello \\| min | 3 MiB (exact) | not yet | n/a |  |  |"),
            "{md}"
        );
        assert!(md.contains("| 40x | 32x | **not met** |"));
        assert!(md.contains("| redis | not yet | not yet measurable |"));
        assert!(md.contains("![Linux guest and native, relative to Elfin](plot.svg)"));
        assert!(md.contains("PIT calibration"));
    }

    #[test]
    fn svg_is_well_formed_enough() {
        let svg = svg(&sample());
        assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"));
        // One labelled row (the memory row has no ratio), its two bars and the target marker.
        assert_eq!(svg.matches("text-anchor=\"end\">hello: launch").count(), 1);
        assert!(!svg.contains("hello | min"));
        assert!(svg.contains(">32x<") && svg.contains(">0.015x<"));
        assert!(svg.contains(">TCG, today: peer's figure"));
        assert_eq!(svg.matches("fill=\"#d62728\"").count(), 2); // marker + legend
        assert_eq!(svg.matches('<').count(), svg.matches('>').count());
    }
}
