//! Compile-time diagnostics and run-time errors.

use std::fmt;

/// One compile error with its position in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What is wrong, lowercase, with the offending value.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

/// A script that did not compile: every error found, in script order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} compile error(s), first at {}", .errors.len(), .errors.first().map(|d| d.to_string()).unwrap_or_default())]
pub struct CompileError {
    /// All errors found (at least one).
    pub errors: Vec<Diagnostic>,
}

/// Why a run stopped early. The engine then falls back to the
/// implicit keep, so no mail is lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    /// The script used more interpreter steps than allowed.
    #[error("cpu limit of {0} steps exceeded")]
    CpuLimit(u64),
    /// Too many actions.
    #[error("total number of actions exceeds policy limit ({0})")]
    TooManyActions(usize),
    /// Too many redirects.
    #[error("number of redirect actions exceeds policy limit ({0})")]
    TooManyRedirects(usize),
    /// Actions that cannot go together, for example reject and keep.
    #[error("action conflict: {0}")]
    Conflict(String),
    /// The script executed `error` (ihave) with this message.
    #[error("script error: {0}")]
    ScriptError(String),
    /// A value that the script computed at run time is not usable.
    #[error("invalid value at line {line}: {message}")]
    Invalid {
        /// Line of the command.
        line: u32,
        /// What is wrong.
        message: String,
    },
    /// An included script is missing, does not compile or nests too deep.
    #[error("include {name:?} failed: {message}")]
    Include {
        /// Script name.
        name: String,
        /// What went wrong.
        message: String,
    },
}
