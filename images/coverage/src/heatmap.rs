//! The heatmap picture: applications (columns) x syscalls (rows), each cell coloured by
//! Elfin's status of the syscall when the application needs it. Written as SVG by hand and
//! rendered to PNG with resvg (fonts: the system's, DejaVu Sans on Debian).

use crate::table::Status;
use anyhow::{Context, Result, anyhow};
use std::fmt::Write as _;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    NotNeeded,
    Needed { status: Status, traced: bool, static_found: bool },
}

#[derive(Debug, Clone)]
pub struct Heatmap {
    pub title: String,
    /// "name nr count" per row (split on whitespace into three columns).
    pub row_labels: Vec<String>,
    pub col_labels: Vec<String>,
    pub col_groups: Vec<String>,
    pub cells: Vec<Vec<Cell>>,
}

const CELL_W: f64 = 18.0;
const CELL_H: f64 = 14.0;
const LABEL_W: f64 = 230.0;
const TOP: f64 = 112.0;
const COL_LABEL_H: f64 = 118.0;
const FONT: &str = "DejaVu Sans, Verdana, sans-serif";

pub const COLOR_IMPLEMENTED: &str = "#2e8b3a";
pub const COLOR_PARTIAL: &str = "#f2c230";
pub const COLOR_ENOSYS: &str = "#d0342c";
pub const COLOR_NOT_NEEDED: &str = "#ececec";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn color(c: &Cell) -> &'static str {
    match c {
        Cell::NotNeeded => COLOR_NOT_NEEDED,
        Cell::Needed { status: Status::Implemented, .. } => COLOR_IMPLEMENTED,
        Cell::Needed { status: Status::Partial, .. } => COLOR_PARTIAL,
        Cell::Needed { status: Status::Enosys, .. } => COLOR_ENOSYS,
    }
}

impl Heatmap {
    fn grid_top(&self) -> f64 {
        TOP + COL_LABEL_H
    }

    /// The picture as an SVG document.
    pub fn svg(&self) -> String {
        let ncols = self.col_labels.len() as f64;
        let nrows = self.row_labels.len() as f64;
        let width = (LABEL_W + ncols * CELL_W + 30.0).max(760.0);
        let grid_top = self.grid_top();
        let height = grid_top + nrows * CELL_H + COL_LABEL_H + 20.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}">"#
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(s, r#"<text x="10" y="24" font-size="16" font-weight="bold">{}</text>"#, esc(&self.title));
        // Legend.
        let legend = [
            (COLOR_IMPLEMENTED, "implemented in Elfin"),
            (COLOR_PARTIAL, "partial"),
            (COLOR_ENOSYS, "ENOSYS (missing)"),
            (COLOR_NOT_NEEDED, "not needed"),
        ];
        let mut x = 10.0;
        for (c, label) in legend {
            let _ = writeln!(s, r##"<rect x="{x}" y="38" width="14" height="14" fill="{c}" stroke="#888" stroke-width="0.5"/>"##);
            let _ = writeln!(s, r#"<text x="{}" y="50" font-size="12">{}</text>"#, x + 19.0, esc(label));
            x += 24.0 + label.len() as f64 * 7.0;
        }
        let _ = writeln!(s, r#"<circle cx="17" cy="69" r="3" fill="black"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="29" y="73" font-size="12">seen in the strace trace (columns marked * were traced)</text>"#
        );
        let _ = writeln!(s, r#"<rect x="12.5" y="78.5" width="9" height="9" fill="none" stroke="black" stroke-width="1.5"/>"#);
        let _ = writeln!(s, r#"<text x="29" y="88" font-size="12">seen in the trace, not found statically</text>"#);
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" font-size="11" fill="#444">syscall</text><text x="{}" y="{}" font-size="11" fill="#444" text-anchor="end">nr</text><text x="{}" y="{}" font-size="11" fill="#444" text-anchor="end">apps</text>"##,
            10.0,
            grid_top - 6.0,
            LABEL_W - 46.0,
            grid_top - 6.0,
            LABEL_W - 8.0,
            grid_top - 6.0
        );
        // Column labels (top and bottom), group bands and separators.
        let bottom = grid_top + nrows * CELL_H;
        for (i, label) in self.col_labels.iter().enumerate() {
            let cx = LABEL_W + i as f64 * CELL_W + CELL_W / 2.0 + 4.0;
            let _ = writeln!(
                s,
                r#"<text transform="translate({cx},{}) rotate(-90)" font-size="12">{}</text>"#,
                grid_top - 4.0,
                esc(label)
            );
            let _ = writeln!(
                s,
                r#"<text transform="translate({},{}) rotate(90)" font-size="12">{}</text>"#,
                cx - 8.0,
                bottom + 4.0,
                esc(label)
            );
        }
        let mut start = 0;
        let mut group_index = 0;
        for i in 1..=self.col_groups.len() {
            if i == self.col_groups.len() || self.col_groups[i] != self.col_groups[start] {
                let x0 = LABEL_W + start as f64 * CELL_W;
                let x1 = LABEL_W + i as f64 * CELL_W;
                let _ = writeln!(
                    s,
                    r##"<line x1="{x0}" y1="{}" x2="{x1}" y2="{}" stroke="#555" stroke-width="2"/>"##,
                    TOP + 2.0,
                    TOP + 2.0
                );
                // Labels of neighbouring groups alternate between two lines, so a narrow
                // group's label does not run into the next one.
                let line = if group_index % 2 == 0 { TOP - 3.0 } else { TOP - 17.0 };
                group_index += 1;
                let _ = writeln!(
                    s,
                    r##"<text x="{}" y="{line}" font-size="12" text-anchor="middle" fill="#222">{}</text>"##,
                    (x0 + x1) / 2.0,
                    esc(&self.col_groups[start])
                );
                if i < self.col_groups.len() {
                    let _ = writeln!(s, r##"<line x1="{x1}" y1="{}" x2="{x1}" y2="{bottom}" stroke="#333" stroke-width="2"/>"##, TOP);
                }
                start = i;
            }
        }
        // Rows.
        for (r, label) in self.row_labels.iter().enumerate() {
            let y = grid_top + r as f64 * CELL_H;
            if r % 2 == 1 {
                let _ = writeln!(s, r##"<rect x="4" y="{y}" width="{}" height="{CELL_H}" fill="#f6f6f6"/>"##, LABEL_W - 6.0);
            }
            let parts: Vec<&str> = label.split_whitespace().collect();
            let ty = y + CELL_H - 3.0;
            if let Some(name) = parts.first() {
                let _ = writeln!(s, r#"<text x="8" y="{ty}" font-size="12">{}</text>"#, esc(name));
            }
            if let Some(nr) = parts.get(1) {
                let _ = writeln!(s, r##"<text x="{}" y="{ty}" font-size="11" fill="#555" text-anchor="end">{nr}</text>"##, LABEL_W - 46.0);
            }
            if let Some(n) = parts.get(2) {
                let _ = writeln!(s, r#"<text x="{}" y="{ty}" font-size="11" font-weight="bold" text-anchor="end">{n}</text>"#, LABEL_W - 8.0);
            }
            for (c, cell) in self.cells[r].iter().enumerate() {
                let x = LABEL_W + c as f64 * CELL_W;
                let _ = writeln!(
                    s,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>"#,
                    x + 1.0,
                    y + 1.0,
                    CELL_W - 2.0,
                    CELL_H - 2.0,
                    color(cell)
                );
                if let Cell::Needed { traced: true, static_found, .. } = cell {
                    if *static_found {
                        let _ = writeln!(s, r#"<circle cx="{}" cy="{}" r="2.6" fill="black"/>"#, x + CELL_W / 2.0, y + CELL_H / 2.0);
                    } else {
                        let _ = writeln!(
                            s,
                            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="black" stroke-width="1.6"/>"#,
                            x + 3.5,
                            y + 3.0,
                            CELL_W - 7.0,
                            CELL_H - 6.0
                        );
                    }
                }
            }
            if r % 5 == 4 {
                let _ = writeln!(
                    s,
                    r##"<line x1="4" y1="{}" x2="{}" y2="{}" stroke="#999" stroke-width="0.6"/>"##,
                    y + CELL_H,
                    LABEL_W + ncols * CELL_W,
                    y + CELL_H
                );
            }
        }
        s.push_str("</svg>\n");
        s
    }
}

/// Render an SVG document to PNG bytes.
pub fn render_png(svg: &str) -> Result<Vec<u8>> {
    let mut opt = resvg::usvg::Options::default();
    opt.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| anyhow!("parsing the SVG: {e}"))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| anyhow!("empty picture"))?;
    resvg::render(&tree, resvg::tiny_skia::Transform::default(), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| anyhow!("encoding PNG: {e}"))
}

/// Write `<base>.svg` and `<base>.png`.
pub fn write(map: &Heatmap, base: &Path) -> Result<()> {
    let svg = map.svg();
    std::fs::write(base.with_extension("svg"), &svg).with_context(|| format!("writing {}.svg", base.display()))?;
    let png = render_png(&svg)?;
    std::fs::write(base.with_extension("png"), png).with_context(|| format!("writing {}.png", base.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_small_map() {
        let m = Heatmap {
            title: "t".into(),
            row_labels: vec!["read 0 2".into(), "open 2 1".into()],
            col_labels: vec!["a*".into(), "b".into()],
            col_groups: vec!["g".into(), "g".into()],
            cells: vec![
                vec![
                    Cell::Needed { status: Status::Implemented, traced: true, static_found: true },
                    Cell::Needed { status: Status::Partial, traced: false, static_found: true },
                ],
                vec![Cell::Needed { status: Status::Enosys, traced: true, static_found: false }, Cell::NotNeeded],
            ],
        };
        let svg = m.svg();
        assert!(svg.contains(COLOR_ENOSYS) && svg.contains("<circle"));
        let png = render_png(&svg).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
