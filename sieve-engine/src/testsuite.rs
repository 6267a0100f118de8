//! A harness for test files written for Pigeonhole's
//! `vnd.dovecot.testsuite` extension (`.svtest`).
//!
//! A test file is a Sieve script that requires `vnd.dovecot.testsuite`
//! and groups checks into `test "name" { ... }` blocks. The harness
//! implements that extension's commands and tests: `test`, `test_fail`,
//! `test_set` (message and envelope), `test_config_set`/`unset`/`reload`
//! (the spamtest and virustest settings take effect), `test_message`
//! (`:smtp` and `:folder`), `test_script_compile`, `test_script_run`,
//! `test_result_execute`, `test_result_reset`, `test_result_action`,
//! `test_error`, `test_mailbox_create` and `test_binary_save`/`load`.
//! Executing a result stores messages in in-memory folders and records
//! outgoing mail (redirect, vacation, notify, reject) for `test_message`.
//!
//! This module reads the test file and the scripts it names from disk;
//! the engine itself does no I/O.
//!
//! ```
//! let src = r#"
//! require "vnd.dovecot.testsuite";
//! test_set "message" text:
//! From: a@example.org
//! Subject: hello
//!
//! body
//! .
//! ;
//! test "subject" {
//!     if not header :is "subject" "hello" { test_fail "no match"; }
//! }
//! test "broken" { test_fail "on purpose"; }
//! "#;
//! let report = rampart_sieve_engine::testsuite::run_source(src, std::path::Path::new("."));
//! assert_eq!(report.passed(), 1);
//! assert_eq!(report.failed(), 1);
//! ```

use std::path::Path;

use crate::runtime::{NoHost, RunOptions, Suite, run_with_suite};
use crate::{DateTime, Envelope, Limits};

pub use crate::runtime::TestResult;

/// The results of one test file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// Every `test` block, in order.
    pub tests: Vec<TestResult>,
    /// Why the file as a whole failed (unreadable, does not compile, a
    /// `test_fail` outside a test, or a run-time error outside a test).
    pub error: Option<String>,
}

impl FileReport {
    /// Number of tests that passed.
    pub fn passed(&self) -> usize {
        self.tests.iter().filter(|t| t.failure.is_none()).count()
    }

    /// Number of tests that failed, counting a file-level error as one.
    pub fn failed(&self) -> usize {
        self.tests.iter().filter(|t| t.failure.is_some()).count()
            + usize::from(self.error.is_some())
    }
}

/// The message a test file starts with, as Pigeonhole's harness has it.
const DEFAULT_MESSAGE: &str = "From: sender@example.com\r\n\
To: recipient@example.org\r\n\
Subject: Frop!\r\n\
\r\n\
Friep!\r\n";

/// Reads and runs one `.svtest` file; scripts it names are read
/// relative to its directory.
pub fn run_file(path: &Path) -> FileReport {
    match std::fs::read(path) {
        Ok(bytes) => {
            let dir = path.parent().unwrap_or_else(|| Path::new("."));
            run_source(&String::from_utf8_lossy(&bytes), dir)
        }
        Err(e) => FileReport {
            tests: Vec::new(),
            error: Some(format!("cannot read {}: {e}", path.display())),
        },
    }
}

/// Runs the text of a test file; `dir` is where the scripts it names live.
pub fn run_source(src: &str, dir: &Path) -> FileReport {
    let limits = Limits {
        max_steps: 1_000_000,
        max_actions: 1024,
        ..Limits::default()
    };
    let script = match crate::compile::compile_inner(src, &limits, true, None) {
        Ok(s) => s,
        Err(e) => {
            return FileReport {
                tests: Vec::new(),
                error: Some(format!("test file does not compile: {e}")),
            };
        }
    };
    let Some(msg) = mail_parser::MessageParser::default().parse(DEFAULT_MESSAGE.as_bytes()) else {
        return FileReport {
            tests: Vec::new(),
            error: Some("default message does not parse".into()),
        };
    };
    let mut suite = Box::<Suite>::default();
    suite.dir = dir.to_path_buf();
    let env = Envelope {
        from: "sender@example.com",
        to: "recipient@example.org",
        auth: None,
    };
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits: &limits,
    };
    let (out, suite) = run_with_suite(&script, &msg, env, &mut NoHost, opts, Some(suite), None);
    let suite = suite.unwrap_or_default();
    let error = match (suite.file_failure, out.error) {
        (Some(f), _) => Some(format!("test_fail outside a test: {f}")),
        (None, Some(e)) => Some(format!("run-time error outside a test: {e}")),
        (None, None) => None,
    };
    FileReport {
        tests: suite.results,
        error,
    }
}
