//! The data directory: one place for all of Rampart's state.

use std::path::{Path, PathBuf};

/// The resolved data directory and the conventional places inside it.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// `--data DIR` or `RAMPART_DATA` when given; otherwise
    /// `$XDG_DATA_HOME/rampart`, then `$HOME/.local/share/rampart`, then
    /// `./rampart-data`.
    pub fn resolve(explicit: Option<PathBuf>) -> Self {
        let root = explicit
            .filter(|p| !p.as_os_str().is_empty())
            .or_else(|| {
                std::env::var_os("XDG_DATA_HOME")
                    .filter(|v| !v.is_empty())
                    .map(|d| PathBuf::from(d).join("rampart"))
            })
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".local/share/rampart"))
            })
            .unwrap_or_else(|| PathBuf::from("rampart-data"));
        DataDir { root }
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where a kind of state lives, for example `store` or `bayes`.
    pub fn join(&self, part: &str) -> PathBuf {
        self.root.join(part)
    }

    /// Prints the directory and each kind of state in it, one per line.
    pub fn print_layout(&self) {
        println!("data\t{}", self.root().display());
        for (what, part) in LAYOUT {
            println!("{what}\t{}", self.join(part).display());
        }
    }
}

/// Each kind of state and its folder or file under the data directory.
const LAYOUT: &[(&str, &str)] = &[
    ("store", "store"),
    ("bayes", "bayes/tokens.db"),
    ("signatures", "signatures"),
    ("queue", "queue"),
    ("sieve", "sieve"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins() {
        let d = DataDir::resolve(Some(PathBuf::from("/srv/mail")));
        assert_eq!(d.root(), Path::new("/srv/mail"));
        assert_eq!(d.join("store"), Path::new("/srv/mail/store"));
    }

    #[test]
    fn empty_explicit_path_falls_back() {
        let d = DataDir::resolve(Some(PathBuf::new()));
        assert_ne!(d.root(), Path::new(""));
    }
}
