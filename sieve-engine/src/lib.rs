//! Sieve (RFC 5228) for Rampart: a parser, a compiler to an immutable
//! script, and a sans-I/O interpreter, with the common extensions.
//!
//! Compile once, run many times. The engine does no I/O: the message
//! comes parsed by `mail-parser`, the envelope and the current time are
//! arguments, and whatever the engine cannot know (does a mailbox exist,
//! was this message seen before, the text of an included script) it asks
//! through the [`Host`] trait. Run-time failures never lose mail: the
//! outcome falls back to the implicit keep.
//!
//! ```
//! use rampart_sieve_engine::{compile, run, Action, DateTime, Envelope, Limits, NoHost, RunOptions};
//!
//! let script = compile(r#"
//!     require ["fileinto", "imap4flags"];
//!     if header :contains "subject" "[list]" {
//!         fileinto :flags "\\Seen" "Lists";
//!     }
//! "#).unwrap();
//! let raw = b"From: a@example.org\r\nSubject: [list] hello\r\n\r\nhi\r\n";
//! let msg = mail_parser::MessageParser::default().parse(raw).unwrap();
//! let env = Envelope { from: "a@example.org", to: "me@example.net", auth: None };
//! let limits = Limits::default();
//! let opts = RunOptions { now: DateTime::utc(1_700_000_000), limits: &limits };
//! let out = run(&script, &msg, env, &mut NoHost, opts);
//! assert_eq!(out.actions.len(), 1);
//! assert!(matches!(&out.actions[0].action,
//!     Action::FileInto { mailbox, flags, .. } if mailbox == "Lists" && flags == &["\\seen"]));
//! assert!(out.actions[0].why.contains("line 3"));
//! ```
//!
//! Supported extensions are listed in [`Extension`]; an unknown one in
//! `require` is a compile error.

mod autoreply;
mod compile;
mod error;
mod ext;
mod ir;
mod lexer;
mod matching;
mod mime;
mod parser;
mod report;
mod runtime;
mod sig;
mod spamvirus;
mod strings;
pub mod testsuite;
mod time;
pub mod wizard;

pub use autoreply::{ReplyContext, vacation_reply_from, vacation_suppressed};
pub use compile::{Script, compile, compile_with};
pub use error::{CompileError, Diagnostic, RuntimeError};
pub use ext::Extension;
pub use report::{oracle_line, oracle_lines};
pub use runtime::{
    Action, Envelope, Host, NoHost, Notification, Outcome, Performed, RunOptions, TraceStep,
    VacationReply, run, run_sequence,
};
pub use spamvirus::{SpamVirusConfig, StatusType, TestConfig};
pub use time::DateTime;

/// Parses a script without compiling it: syntax errors only, any
/// command names accepted. Useful for test files of other dialects.
///
/// # Errors
///
/// Every syntax error found, with line and column.
pub fn check_syntax(src: &str) -> Result<(), CompileError> {
    let mut toks = lexer::Tokens::new(src);
    let parsed = parser::parse(&mut toks, Limits::default().max_nesting);
    let mut errors = toks.into_errors();
    if let Err(e) = parsed {
        errors.extend(e);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        errors.sort_by_key(|d| (d.line, d.column));
        Err(CompileError { errors })
    }
}

/// Resource limits, for compile and run. Exceeding a run-time limit is a
/// [`RuntimeError`] and the message falls back to the implicit keep.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Maximum script size in bytes.
    pub max_script_size: usize,
    /// Maximum nesting of blocks, and of tests (each counted apart);
    /// at most 256 whatever is set.
    pub max_nesting: usize,
    /// Maximum interpreter steps (commands plus tests) per run.
    pub max_steps: u64,
    /// Maximum number of actions.
    pub max_actions: usize,
    /// Maximum number of redirects.
    pub max_redirects: usize,
    /// Maximum number of notify actions (RFC 5435); 0 forbids notify.
    pub max_notifications: usize,
    /// Maximum size of a header field that addheader adds (RFC 5293).
    pub max_header_size: usize,
    /// Header fields addheader may not add (lowercase names).
    pub editheader_forbid_add: Vec<String>,
    /// Header fields deleteheader may not delete (lowercase names), besides
    /// Received and Auto-Submitted, which RFC 5293 7 always protects.
    pub editheader_forbid_delete: Vec<String>,
    /// Maximum size of an expanded string, in bytes.
    pub max_string_size: usize,
    /// Maximum size of a variable value, in bytes.
    pub max_variable_size: usize,
    /// Maximum number of variables.
    pub max_variables: usize,
    /// Maximum nesting of foreverypart loops (RFC 5703), across includes.
    pub max_loop_depth: usize,
    /// Maximum number of includes per run.
    pub max_includes: usize,
    /// Maximum nesting of includes; at most 64 whatever is set.
    pub max_include_depth: usize,
    /// The characters that separate user and detail in an address
    /// (RFC 5233 subaddress; Dovecot's recipient_delimiter): "+".
    pub recipient_delimiter: String,
    /// Shortest vacation period, seconds.
    pub vacation_min_period: u64,
    /// Longest vacation period, seconds.
    pub vacation_max_period: u64,
    /// Default duplicate tracking period, seconds.
    pub duplicate_default_period: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_script_size: 1 << 20,
            max_nesting: 32,
            max_steps: 100_000,
            max_actions: 32,
            max_redirects: 4,
            max_notifications: 10,
            max_header_size: 2048,
            editheader_forbid_add: Vec::new(),
            editheader_forbid_delete: Vec::new(),
            max_string_size: 64 * 1024,
            max_variable_size: 4096,
            max_variables: 255,
            max_loop_depth: 4,
            max_includes: 255,
            max_include_depth: 10,
            recipient_delimiter: "+".into(),
            vacation_min_period: 86_400,
            vacation_max_period: u64::MAX,
            duplicate_default_period: 7 * 86_400,
        }
    }
}
