//! The application list (images/coverage/apps.toml): which Debian packages and executables
//! to analyse, where the list comes from, and which workload runs each under strace.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub name: String,
    pub group: String,
    pub packages: Vec<String>,
    #[serde(default)]
    pub executables: Vec<String>,
    #[serde(default)]
    pub extra: Vec<String>,
    pub popcon: Option<String>,
    pub substitute: Option<String>,
    pub workload: Option<String>,
    #[serde(default)]
    pub trace: Vec<String>,
}

impl App {
    /// The package whose popcon count weighs this application.
    pub fn popcon_package(&self) -> &str {
        self.popcon.as_deref().unwrap_or(&self.packages[0])
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppList {
    #[serde(rename = "app")]
    pub apps: Vec<App>,
}

pub const GROUPS: [&str; 3] = ["unikraft", "server", "tools"];

impl AppList {
    pub fn parse(text: &str) -> Result<AppList> {
        let list: AppList = toml::from_str(text)?;
        let mut names = std::collections::HashSet::new();
        for a in &list.apps {
            if !names.insert(&a.name) {
                bail!("application {} is listed twice", a.name);
            }
            if a.packages.is_empty() {
                bail!("application {} lists no package", a.name);
            }
            if !GROUPS.contains(&a.group.as_str()) {
                bail!("application {}: group must be one of {GROUPS:?}", a.name);
            }
        }
        Ok(list)
    }

    pub fn load(path: &Path) -> Result<AppList> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        AppList::parse(&text).with_context(|| format!("parsing {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_list_parses_and_is_large_enough() {
        let list = AppList::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("apps.toml")).unwrap();
        assert!(list.apps.len() >= 30, "issue 7 asks for at least 30 applications");
        assert!(list.apps.iter().filter(|a| a.workload.is_some()).count() >= 10);
        for a in &list.apps {
            if let Some(w) = &a.workload {
                assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads").join(w).exists(), "{w}");
            }
        }
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(AppList::parse("[[app]]\nname='a'\ngroup='x'\npackages=['a']\n").is_err());
        assert!(AppList::parse("[[app]]\nname='a'\ngroup='tools'\npackages=[]\n").is_err());
        assert!(AppList::parse("[[app]]\nname='a'\ngroup='tools'\npackages=['a']\nbogus=1\n").is_err());
    }
}
