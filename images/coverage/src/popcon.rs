//! Debian popularity-contest install counts (the `by_inst` format) and the two metrics of
//! Tsai et al., "A Study of Modern Linux API Usage and Compatibility" (EuroSys 2016):
//!
//! - **API importance** of a syscall: the probability that an installation includes at least
//!   one package that needs it, `1 - prod over packages p needing it of (1 - inst(p)/N)`.
//! - **Weighted completeness** of a system supporting a set of syscalls: the share of the
//!   packages an installation has that would run, weighting each package by its install
//!   probability: `sum of inst(p)/N over supported p / sum of inst(p)/N over all p`.
//!
//! N is the number of reporting installations; `by_inst` does not state it, so the largest
//! `inst` in the file stands for it (packages every system has, like libc6, are installed
//! on nearly every reporting machine). Both metrics here run over the analysed applications,
//! not over the whole archive as in the paper.

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct Popcon {
    pub inst: BTreeMap<String, u64>,
    /// The largest install count in the file (stands for the number of installations).
    pub installations: u64,
}

impl Popcon {
    /// Parse `rank name inst vote old recent no-files (maintainer)` rows; `#` comments, the
    /// `-----` line and the `Total` row are skipped.
    pub fn parse(text: &str) -> Result<Popcon> {
        let mut p = Popcon::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("---") {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 3 || f[0].parse::<u64>().is_err() || f[1] == "Total" {
                continue;
            }
            let inst: u64 = f[2].parse().with_context(|| format!("bad inst count in {line:?}"))?;
            p.installations = p.installations.max(inst);
            p.inst.insert(f[1].to_string(), inst);
        }
        if p.inst.is_empty() {
            bail!("no popcon rows found");
        }
        Ok(p)
    }

    pub fn load(path: &Path) -> Result<Popcon> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Popcon::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }

    /// Install probability of a package (0 when absent).
    pub fn prob(&self, pkg: &str) -> f64 {
        if self.installations == 0 {
            return 0.0;
        }
        self.inst.get(pkg).copied().unwrap_or(0) as f64 / self.installations as f64
    }
}

/// API importance of each syscall over `needs` (package -> syscalls it needs).
pub fn importance(pop: &Popcon, needs: &BTreeMap<String, BTreeSet<u32>>) -> BTreeMap<u32, f64> {
    let mut none_uses: BTreeMap<u32, f64> = BTreeMap::new();
    for (pkg, set) in needs {
        let p = pop.prob(pkg);
        for &s in set {
            *none_uses.entry(s).or_insert(1.0) *= 1.0 - p;
        }
    }
    none_uses.into_iter().map(|(s, q)| (s, 1.0 - q)).collect()
}

/// Weighted completeness of a system that supports `supported`.
pub fn weighted_completeness(
    pop: &Popcon,
    needs: &BTreeMap<String, BTreeSet<u32>>,
    supported: &dyn Fn(u32) -> bool,
) -> f64 {
    let mut total = 0.0;
    let mut ok = 0.0;
    for (pkg, set) in needs {
        let p = pop.prob(pkg);
        total += p;
        if set.iter().all(|&s| supported(s)) {
            ok += p;
        }
    }
    if total == 0.0 { 0.0 } else { ok / total }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "#rank name inst vote old recent no-files (maintainer)\n\
        1     libc6                          1000   900    10   80     0 (GNU Libc Maintainers)\n\
        2     a                               500   400    10   80     0 (X)\n\
        3     b                               250   200    10   40     0 (Y)\n\
        ----------------------------------------------------------------\n\
        4     Total                          99999 1 1 1 1 1\n";

    #[test]
    fn parses_and_weighs() {
        let p = Popcon::parse(SAMPLE).unwrap();
        assert_eq!(p.installations, 1000);
        assert_eq!(p.inst.len(), 3);
        let needs: BTreeMap<String, BTreeSet<u32>> =
            [("a".to_string(), BTreeSet::from([1, 2])), ("b".to_string(), BTreeSet::from([2, 3]))].into();
        let imp = importance(&p, &needs);
        assert!((imp[&1] - 0.5).abs() < 1e-9);
        assert!((imp[&2] - (1.0 - 0.5 * 0.75)).abs() < 1e-9);
        assert!((imp[&3] - 0.25).abs() < 1e-9);
        // supporting {1,2}: a runs (0.5), b does not (0.25) -> 0.5/0.75
        let wc = weighted_completeness(&p, &needs, &|s| s <= 2);
        assert!((wc - 2.0 / 3.0).abs() < 1e-9);
        assert!(Popcon::parse("# nothing\n").is_err());
    }
}
