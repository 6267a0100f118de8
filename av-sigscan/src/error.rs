//! Error types.

use std::path::PathBuf;

/// Why one signature or database line was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct SigError {
    /// What is wrong with the line, including the offending value.
    pub reason: String,
}

impl SigError {
    pub(crate) fn new(reason: String) -> Self {
        SigError { reason }
    }

    pub(crate) fn unsupported(what: String) -> Self {
        SigError {
            reason: format!("unsupported: {what}"),
        }
    }
}

/// A database could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A line of a database file is malformed or unsupported.
    #[error("{file}:{line}: {reason}")]
    Line {
        /// The database file (or the member of a `.cvd`).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: SigError,
    },
    /// The file name's extension is not a known database type.
    #[error("{file}: unknown database type {ext:?}")]
    UnknownType {
        /// The file.
        file: String,
        /// Its extension.
        ext: String,
    },
    /// A `.cvd`/`.cld`/`.cud` container is damaged.
    #[error("{file}: bad container: {reason}")]
    Container {
        /// The container file.
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A database file or directory could not be read.
    #[error("{}: {error}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        error: std::io::Error,
    },
    /// Nothing was loaded (an empty directory or only empty files).
    #[error("no signatures loaded from {0}")]
    Empty(String),
}
