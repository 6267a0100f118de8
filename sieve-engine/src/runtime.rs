//! The sans-I/O interpreter: runs a compiled [`Script`] over a parsed
//! message and an envelope, asking a [`Host`] for what it cannot know.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use mail_parser::parsers::MessageStream;
use mail_parser::{HeaderValue, Message};

use crate::Limits;
use crate::compile::{Script, build_regex};
use crate::error::RuntimeError;
use crate::ir::*;
use crate::matching;
use crate::time::DateTime;

/// The SMTP envelope of the message being delivered.
#[derive(Debug, Clone, Copy, Default)]
pub struct Envelope<'a> {
    /// The reverse-path (MAIL FROM); empty for the null sender `<>`.
    pub from: &'a str,
    /// The forward-path (RCPT TO) of this delivery.
    pub to: &'a str,
    /// The authenticated submitter, when known.
    pub auth: Option<&'a str>,
}

/// What the engine asks its caller. Every method has a safe default, so a
/// caller implements only what it supports.
pub trait Host {
    /// Does the mailbox exist (mailbox extension)? Default: only INBOX.
    fn mailbox_exists(&mut self, name: &str) -> bool {
        name.eq_ignore_ascii_case("INBOX")
    }
    /// Does a mailbox with this special-use flag exist (RFC 8579)?
    fn special_use_exists(&mut self, _mailbox: Option<&str>, _special_use: &str) -> bool {
        false
    }
    /// Was this duplicate id seen within `period` seconds (RFC 7352)?
    /// The host records it as seen (unless `last`, then it refreshes).
    fn duplicate(&mut self, _handle: &str, _id: &str, _period: u64, _last: bool) -> bool {
        false
    }
    /// The text of a script to include (RFC 6609), or `None` when missing.
    fn include(&mut self, _name: &str, _global: bool) -> Option<String> {
        None
    }
    /// An environment item (RFC 5183) the host knows; `None` falls back
    /// to the engine's own defaults.
    fn environment(&mut self, _name: &str) -> Option<String> {
        None
    }
    /// The spamtest value ("0" untested, "1".."10"), or with `percent`
    /// "0".."100" (RFC 5235); `None` means untested.
    fn spamtest(&mut self, _message: &Message<'_>, _percent: bool) -> Option<String> {
        None
    }
    /// The virustest value ("0" untested, "1" clean .. "5" infected).
    fn virustest(&mut self, _message: &Message<'_>) -> Option<String> {
        None
    }
}

/// A [`Host`] that knows nothing: every answer is the default.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHost;

impl Host for NoHost {}

/// A vacation auto-reply (RFC 5230), as the script asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacationReply {
    /// Minimum time between two replies to one sender, in seconds.
    pub period_seconds: u64,
    /// `:subject`, when given.
    pub subject: Option<String>,
    /// `:from`, when given.
    pub from: Option<String>,
    /// `:addresses`.
    pub addresses: Vec<String>,
    /// `:mime`: the reason is a MIME entity.
    pub mime: bool,
    /// `:handle`, or the reason text when absent.
    pub handle: String,
    /// The reply text.
    pub reason: String,
}

/// A notification (RFC 5435, mailto method RFC 5436).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The method URI.
    pub method: String,
    /// `:from`.
    pub from: Option<String>,
    /// Importance 1 (high) to 3 (low); 2 by default.
    pub importance: u8,
    /// `:options`.
    pub options: Vec<String>,
    /// `:message`.
    pub message: Option<String>,
}

/// One action of the result.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Store into the default mailbox (INBOX).
    Keep {
        /// IMAP flags to set.
        flags: Vec<String>,
    },
    /// Store into another mailbox.
    FileInto {
        /// Mailbox name.
        mailbox: String,
        /// IMAP flags to set.
        flags: Vec<String>,
        /// `:create`: create the mailbox when missing.
        create: bool,
        /// `:specialuse`: file into the mailbox with this flag instead.
        special_use: Option<String>,
    },
    /// Forward to another address.
    Redirect {
        /// The address, without angle brackets.
        address: String,
    },
    /// Refuse the message (RFC 5429).
    Reject {
        /// The reason.
        reason: String,
        /// `ereject`: refuse at the SMTP level when possible.
        extended: bool,
    },
    /// Throw the message away silently.
    Discard,
    /// Send a vacation reply.
    Vacation(VacationReply),
    /// Send a notification.
    Notify(Notification),
}

/// An action with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Performed {
    /// The action.
    pub action: Action,
    /// `:copy`: the action does not cancel the implicit keep.
    pub copy: bool,
    /// This is the implicit keep, not a command of the script.
    pub implicit: bool,
    /// Line of the command (0 for the implicit keep).
    pub line: u32,
    /// The command that asked for it (`keep`, `fileinto`, `redirect`,
    /// `reject`, `ereject`, `discard`, `vacation`, `notify`), or `implicit
    /// keep`; `fileinto "INBOX"` is a [`Action::Keep`] from `fileinto`.
    pub command: &'static str,
    /// Why it happened: the tests that led there.
    pub why: String,
    /// The message as editheader had changed it when the action was
    /// taken (RFC 5293 3): what to store or send instead of the
    /// original. `None` when the header was not changed.
    pub edited: Option<std::sync::Arc<Vec<u8>>>,
}

/// One test the run evaluated, for explanations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceStep {
    /// Line of the test.
    pub line: u32,
    /// The test's name (`header`, `allof`, ...).
    pub test: &'static str,
    /// What it gave.
    pub result: bool,
    /// The value and key that matched, when it matched.
    pub hit: Option<String>,
    /// The script of a [`run_sequence`] it belongs to (1-based), else 0.
    pub script: usize,
}

impl std::fmt::Display for TraceStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.script > 0 {
            write!(f, "script {}: ", self.script)?;
        }
        write!(f, "line {}: {} is {}", self.line, self.test, self.result)?;
        if let Some(h) = &self.hit {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// Why an action happened: the branches taken on the way.
#[derive(Debug, Clone)]
enum WhyStep {
    Test {
        line: u32,
        test: &'static str,
        hit: Option<String>,
    },
    Else(u32),
}

impl std::fmt::Display for WhyStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WhyStep::Test { line, test, hit } => {
                write!(f, "line {line}: {test} matched")?;
                if let Some(h) = hit {
                    write!(f, " ({h})")?;
                }
                Ok(())
            }
            WhyStep::Else(line) => write!(f, "line {line}: else branch"),
        }
    }
}

/// The result of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The actions to carry out, in script order after duplicate
    /// elimination; ends with the implicit keep when it applies.
    pub actions: Vec<Performed>,
    /// Set when the run failed; `actions` is then the implicit keep only.
    pub error: Option<RuntimeError>,
    /// Why the implicit keep was kept or cancelled.
    pub keep_note: String,
    /// Each test of an if, elsif or else branch evaluated, with its line
    /// and result, in order (`line 3: header is true ("a" against "a")`).
    pub trace: Vec<TraceStep>,
    /// Problems that did not stop the run, for example a `:regex` key
    /// built from variables that is not a valid pattern (it matched
    /// nothing).
    pub warnings: Vec<String>,
}

enum Flow {
    Go,
    Stop,
    Return,
    /// `test_fail` (test harness): leave the current `test` block.
    Abort,
    /// `break`: leave the innermost (or the named) foreverypart loop.
    Break(Option<String>),
}

/// The envelope, owned: the test harness can change it mid-run.
struct Env {
    from: String,
    to: String,
    auth: Option<String>,
}

/// The current message: the caller's, or one the test harness set.
macro_rules! msg {
    ($s:expr) => {
        match &$s.owned_msg {
            Some(m) => &**m,
            None => $s.msg,
        }
    };
}

/// Runs `$body` with `$n` bound to the strings of the list `$l`: the
/// compiled strings themselves when none holds a variable (no copy),
/// else their expansions.
macro_rules! with_strs {
    ($s:expr, $l:expr, |$n:ident| $body:expr) => {
        if $l.iter().any(|v| v.vars) {
            let $n = $s.names($l);
            let $n = &$n[..];
            $body
        } else {
            let $n: &[VStr] = $l;
            $body
        }
    };
}

#[path = "suite_rt.rs"]
mod suite_rt;
pub(crate) use suite_rt::Suite;
pub use suite_rt::TestResult;

/// Options for one run besides the message and envelope.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions<'a> {
    /// The current time (for currentdate and vacation); the engine
    /// reads no clock.
    pub now: DateTime,
    /// Resource limits.
    pub limits: &'a Limits,
}

/// A header field: borrowed from the message, owned once edited.
#[derive(Clone)]
struct Hdr<'a> {
    name: Cow<'a, str>,
    raw: Cow<'a, str>,
    /// The unfolded, RFC 2047-decoded value, computed on first use.
    decoded: std::cell::OnceCell<Rc<str>>,
    /// The addresses in the value, parsed on first use.
    addrs: std::cell::OnceCell<Vec<Rc<str>>>,
}

impl<'a> Hdr<'a> {
    fn new(name: impl Into<Cow<'a, str>>, raw: impl Into<Cow<'a, str>>) -> Self {
        Hdr {
            name: name.into(),
            raw: raw.into(),
            decoded: std::cell::OnceCell::new(),
            addrs: std::cell::OnceCell::new(),
        }
    }

    fn addresses(&self) -> &[Rc<str>] {
        self.addrs.get_or_init(|| {
            parse_addresses(&self.raw)
                .into_iter()
                .map(Rc::from)
                .collect()
        })
    }

    fn decoded(&self) -> &Rc<str> {
        self.decoded
            .get_or_init(|| Rc::from(decode_text(&self.raw)))
    }

    /// The same field, owning its text.
    fn into_owned(self) -> Hdr<'static> {
        Hdr {
            name: Cow::Owned(self.name.into_owned()),
            raw: Cow::Owned(self.raw.into_owned()),
            decoded: self.decoded,
            addrs: self.addrs,
        }
    }
}

/// `'h`: the header fields, borrowed from the message they came from.
struct Run<'r, 'm, 'h> {
    msg: &'r Message<'m>,
    owned_msg: Option<Box<Message<'static>>>,
    /// editheader changed the header (sizes then come from `headers`).
    edited: bool,
    /// The MIME part foreverypart is visiting (index into the tree).
    cur_part: Option<usize>,
    /// The MIME structure of the current message, built on first use.
    mime: std::cell::OnceCell<crate::mime::Tree>,
    /// Nesting of foreverypart loops, across includes.
    loop_depth: usize,
    /// Set while a `:mime` test runs its inner test.
    mime_ctx: Option<MimeOpts>,
    suite: Option<Box<Suite>>,
    env: Env,
    /// The envelope paths parsed and normalized (from, to, auth).
    env_paths: std::cell::OnceCell<[Option<String>; 3]>,
    host: &'r mut dyn Host,
    opts: RunOptions<'r>,
    headers: Vec<Hdr<'h>>,
    actions: Vec<Performed>,
    implicit_keep: bool,
    keep_note: String,
    vars: HashMap<String, String>,
    /// The global variable namespace (RFC 6609), shared with includes.
    global_vars: HashMap<String, String>,
    /// Names the running script declared global.
    globals: HashSet<String>,
    match_vars: Vec<String>,
    flags: Vec<String>,
    steps: u64,
    trace: Vec<TraceStep>,
    warnings: Vec<String>,
    why: Vec<WhyStep>,
    last_hit: Option<String>,
    include_depth: usize,
    included_once: HashSet<String>,
    includes: usize,
}

type R<T> = Result<T, RuntimeError>;

/// Runs a script. Never panics on bad input and never loses mail: on a
/// run-time error the outcome is the implicit keep, with the error set.
pub fn run(
    script: &Script,
    msg: &Message<'_>,
    env: Envelope<'_>,
    host: &mut dyn Host,
    opts: RunOptions<'_>,
) -> Outcome {
    let (out, _) = run_with_suite(script, msg, env, host, opts, None, None);
    out
}

/// What one script of a sequence hands to the next: the header as
/// editheader left it and the internal imap4flags flags.
pub(crate) struct Carry<'a> {
    headers: Vec<Hdr<'a>>,
    edited: bool,
    flags: Vec<String>,
}

impl<'a> Carry<'a> {
    pub(crate) fn new(msg: &'a Message<'_>) -> Self {
        Carry {
            headers: message_headers(msg),
            edited: false,
            flags: Vec::new(),
        }
    }
}

/// Runs several scripts one after the other on one message, as a server
/// runs the administrator's scripts around the user's (Pigeonhole's
/// sieve_before / sieve_after). Each script sees the header edits and
/// the imap4flags flags the previous ones left; the next script runs
/// only while the message is kept (explicitly or implicitly). The
/// outcome holds the merged actions of all of them, duplicates once,
/// and the implicit keep when the last script that ran keeps it. On a
/// run-time error the outcome is the implicit keep of the original
/// message, with the error set.
pub fn run_sequence(
    scripts: &[&Script],
    msg: &Message<'_>,
    env: Envelope<'_>,
    host: &mut dyn Host,
    opts: RunOptions<'_>,
) -> Outcome {
    let mut carry = Carry::new(msg);
    let mut merged = Outcome {
        actions: Vec::new(),
        error: None,
        keep_note: "implicit keep: no script ran".into(),
        trace: Vec::new(),
        warnings: Vec::new(),
    };
    let mut implicit = None;
    for (i, script) in scripts.iter().enumerate() {
        let (out, _) = run_with_suite(script, msg, env, host, opts, None, Some(&mut carry));
        merged.trace.extend(out.trace.iter().map(|t| TraceStep {
            script: i + 1,
            ..t.clone()
        }));
        merged.warnings.extend(out.warnings.iter().cloned());
        if out.error.is_some() {
            merged.actions = out.actions;
            merged.keep_note = out.keep_note;
            merged.error = out.error;
            return merged;
        }
        merged.keep_note = out.keep_note.clone();
        let mut kept = false;
        implicit = None;
        for p in out.actions {
            if p.implicit {
                kept = true;
                implicit = Some(p);
                continue;
            }
            if matches!(p.action, Action::Keep { .. }) && !p.copy {
                kept = true;
            }
            merge_action(&mut merged.actions, p);
        }
        if !kept {
            break;
        }
    }
    if let Some(p) = implicit {
        merge_action(&mut merged.actions, p);
    }
    merged
}

/// Adds an action of a later script to a result: a store into the same
/// mailbox or a redirect to the same address happens once (the later
/// flags win); a second reject or vacation is dropped.
pub(crate) fn merge_action(list: &mut Vec<Performed>, p: Performed) {
    for q in list.iter_mut() {
        let same = match (&q.action, &p.action) {
            (Action::Keep { .. }, Action::Keep { .. }) => true,
            (Action::FileInto { mailbox: a, .. }, Action::FileInto { mailbox: b, .. }) => a == b,
            (Action::Redirect { address: a }, Action::Redirect { address: b }) => {
                a.eq_ignore_ascii_case(b)
            }
            (Action::Discard, Action::Discard)
            | (Action::Reject { .. }, Action::Reject { .. })
            | (Action::Vacation(_), Action::Vacation(_)) => true,
            _ => false,
        };
        if same {
            match (&mut q.action, &p.action) {
                (Action::Keep { flags }, Action::Keep { flags: new })
                | (Action::FileInto { flags, .. }, Action::FileInto { flags: new, .. }) => {
                    *flags = new.clone();
                    q.edited = p.edited.clone().or(q.edited.take());
                }
                _ => {}
            }
            if p.command == "keep" {
                q.command = "keep";
            }
            q.copy &= p.copy;
            return;
        }
    }
    list.push(p);
}

fn message_headers<'a>(msg: &'a Message<'_>) -> Vec<Hdr<'a>> {
    msg.parts
        .first()
        .map(|p| {
            p.headers
                .iter()
                .map(|h| {
                    let raw = msg
                        .raw_message
                        .get(h.offset_start as usize..h.offset_end as usize)
                        .unwrap_or_default();
                    // Checked as a whole first: valid text (the usual
                    // case) is borrowed without the lossy decoder's walk.
                    let raw = match std::str::from_utf8(raw) {
                        Ok(t) => Cow::Borrowed(t),
                        Err(_) => String::from_utf8_lossy(raw),
                    };
                    Hdr::new(h.name.as_str(), raw)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// [`run`], with the test harness state when running a testsuite file.
pub(crate) fn run_with_suite<'a>(
    script: &Script,
    msg: &'a Message<'_>,
    env: Envelope<'_>,
    host: &mut dyn Host,
    opts: RunOptions<'_>,
    suite: Option<Box<Suite>>,
    carry: Option<&mut Carry<'a>>,
) -> (Outcome, Option<Box<Suite>>) {
    let (headers, edited, flags) = match &carry {
        Some(c) => (c.headers.clone(), c.edited, c.flags.clone()),
        None => (message_headers(msg), false, Vec::new()),
    };
    let mut r = Run {
        msg,
        owned_msg: None,
        edited,
        cur_part: None,
        mime: std::cell::OnceCell::new(),
        loop_depth: 0,
        mime_ctx: None,
        suite,
        env: Env {
            from: env.from.to_string(),
            to: env.to.to_string(),
            auth: env.auth.map(str::to_string),
        },
        env_paths: std::cell::OnceCell::new(),
        host,
        opts,
        headers,
        actions: Vec::new(),
        implicit_keep: true,
        keep_note: String::new(),
        vars: HashMap::new(),
        global_vars: HashMap::new(),
        globals: HashSet::new(),
        match_vars: Vec::new(),
        flags,
        steps: 0,
        trace: Vec::new(),
        warnings: Vec::new(),
        why: Vec::new(),
        last_hit: None,
        include_depth: 0,
        included_once: HashSet::new(),
        includes: 0,
    };
    let res = r.block(&script.body, script);
    let mut out = Outcome {
        actions: Vec::new(),
        error: None,
        keep_note: String::new(),
        trace: std::mem::take(&mut r.trace),
        warnings: Vec::new(),
    };
    match res {
        Ok(_) => {
            out.actions = std::mem::take(&mut r.actions);
            if r.implicit_keep {
                out.keep_note = if r.keep_note.is_empty() {
                    "implicit keep: no action cancelled it".into()
                } else {
                    r.keep_note.clone()
                };
                let edited = r.snapshot();
                out.actions.push(Performed {
                    action: Action::Keep {
                        flags: r.flags.clone(),
                    },
                    command: "implicit keep",
                    copy: false,
                    implicit: true,
                    line: 0,
                    why: "implicit keep".into(),
                    edited,
                });
            } else {
                out.keep_note = r.keep_note.clone();
            }
        }
        Err(e) => {
            out.keep_note = format!("implicit keep because the script failed: {e}");
            out.actions.push(Performed {
                action: Action::Keep { flags: Vec::new() },
                command: "implicit keep",
                copy: false,
                implicit: true,
                line: 0,
                why: "run-time error".into(),
                edited: None,
            });
            out.error = Some(e);
        }
    }
    out.warnings = std::mem::take(&mut r.warnings);
    if let Some(c) = carry {
        c.headers = std::mem::take(&mut r.headers);
        c.edited = r.edited;
        c.flags = std::mem::take(&mut r.flags);
    }
    (out, r.suite.take())
}

/// Unfolds and decodes (RFC 2047) an unstructured header value.
fn decode_text(raw: &str) -> String {
    let line = raw.trim_end_matches(['\r', '\n']);
    // One line without encoded words: mail-parser would give the value
    // trimmed of blanks and carriage returns; skip its copies.
    if !line.contains('\n') && !line.contains("=?") {
        return line.trim_matches([' ', '\t', '\r']).to_string();
    }
    decode_text_parsed(line)
}

/// [`decode_text`] through mail-parser's unstructured-value parser.
fn decode_text_parsed(line: &str) -> String {
    let mut buf = line.to_string();
    buf.push_str("\r\n");
    match MessageStream::new(buf.as_bytes()).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        HeaderValue::TextList(l) => l.join(","),
        _ => String::new(),
    }
}

/// The addresses (`local@domain`) in a header value.
fn parse_addresses(raw: &str) -> Vec<String> {
    let mut buf = raw.trim_end_matches(['\r', '\n']).to_string();
    buf.push_str("\r\n");
    let v = MessageStream::new(buf.as_bytes()).parse_address();
    let mut out = Vec::new();
    if let HeaderValue::Address(a) = v {
        for addr in a.iter() {
            if let Some(x) = addr.address() {
                out.push(x.to_string());
            }
        }
    }
    out
}

/// RFC 5228 2.7.4 and RFC 5233: the part of an address to compare.
fn address_part<'a>(addr: &'a str, part: AddrPart, delims: &str) -> Option<&'a str> {
    let (local, domain) = match addr.rfind('@') {
        Some(i) => (&addr[..i], &addr[i + 1..]),
        None => (addr, ""),
    };
    // RFC 5233: user and detail split at the first separator character.
    let split = local.find(|c: char| delims.contains(c));
    match part {
        AddrPart::All => Some(addr),
        AddrPart::Local => Some(local),
        AddrPart::Domain => Some(domain),
        AddrPart::User => Some(split.map_or(local, |i| &local[..i])),
        AddrPart::Detail => split.map(|i| &local[i + 1..]),
    }
}

/// IMAP flag list semantics (RFC 5232): split on spaces, system flags
/// lowercased, unknown system flags dropped, no duplicates.
fn normalize_flags(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in list.iter().flat_map(|s| s.split_ascii_whitespace()) {
        let f = if f.starts_with('\\') {
            let l = f.to_ascii_lowercase();
            if !matches!(
                l.as_str(),
                "\\seen" | "\\answered" | "\\flagged" | "\\deleted" | "\\draft"
            ) {
                continue;
            }
            l
        } else {
            f.to_string()
        };
        if !out.iter().any(|o| o.eq_ignore_ascii_case(&f)) {
            out.push(f);
        }
    }
    out
}

/// `INBOX` is case-insensitive (RFC 3501 5.1), also as the first
/// level of a hierarchy: `Inbox.Sent` is `INBOX.Sent`.
pub(crate) fn normalize_mailbox(name: &str) -> String {
    let b = name.as_bytes();
    if b.len() >= 5
        && b[..5].eq_ignore_ascii_case(b"inbox")
        && (b.len() == 5 || b[5] == b'.' || b[5] == b'/')
    {
        format!("INBOX{}", &name[5..])
    } else {
        name.to_string()
    }
}

fn normalize_address(a: &str) -> String {
    let a = a.trim();
    let a = a
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(a);
    match a.rsplit_once('@') {
        Some((l, d)) => format!("{l}@{}", d.to_ascii_lowercase()),
        None => a.to_string(),
    }
}

impl Run<'_, '_, '_> {
    /// The subaddress separators (RFC 5233): the setting, or the harness's.
    fn delimiters(&self) -> Cow<'_, str> {
        match self
            .suite
            .as_ref()
            .and_then(|s| s.setting("recipient_delimiter"))
        {
            Some(d) => Cow::Owned(d),
            None => Cow::Borrowed(&self.opts.limits.recipient_delimiter),
        }
    }

    /// The limits as the test harness configured them, else the run's.
    fn policy(&self) -> std::borrow::Cow<'_, Limits> {
        match &self.suite {
            Some(s) => std::borrow::Cow::Owned(s.limits()),
            None => std::borrow::Cow::Borrowed(self.opts.limits),
        }
    }

    /// The message with the header edits so far, when there are any.
    pub(crate) fn snapshot(&self) -> Option<std::sync::Arc<Vec<u8>>> {
        self.edited.then(|| std::sync::Arc::new(self.current_raw()))
    }

    /// The largest variable value: the limit, or the test harness setting.
    fn var_limit(&self) -> usize {
        self.suite
            .as_ref()
            .and_then(|s| {
                s.setting_usize("sieve_variables_max_variable_size")
                    .or_else(|| s.setting_usize("sieve_variables_max_value_size"))
            })
            .unwrap_or(self.opts.limits.max_variable_size)
    }

    fn tick(&mut self) -> R<()> {
        self.steps += 1;
        if self.steps > self.opts.limits.max_steps {
            return Err(RuntimeError::CpuLimit(self.opts.limits.max_steps));
        }
        Ok(())
    }

    fn block(&mut self, body: &[Stmt], script: &Script) -> R<Flow> {
        for s in body {
            self.tick()?;
            match self.stmt(s, script)? {
                Flow::Go => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Go)
    }

    fn expand<'s>(&self, s: &'s VStr) -> Cow<'s, str> {
        if !s.vars {
            return Cow::Borrowed(&s.text);
        }
        let max = self.opts.limits.max_string_size;
        let mut out = String::with_capacity(s.text.len());
        let mut rest = s.text.as_str();
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let end = after.find('}');
            let name = end.map(|e| &after[..e]);
            match name.and_then(|n| self.lookup(n)) {
                Some(v) => {
                    out.push_str(v);
                    rest = &after[end.unwrap_or(0) + 1..];
                }
                None if name.is_some_and(is_var_ref) => {
                    rest = &after[end.unwrap_or(0) + 1..];
                }
                None => {
                    out.push_str("${");
                    rest = after;
                }
            }
            if out.len() > max {
                break;
            }
        }
        out.push_str(rest);
        truncate(&mut out, max);
        Cow::Owned(out)
    }

    fn lookup(&self, name: &str) -> Option<&str> {
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            let n: usize = name.trim_start_matches('0').parse().unwrap_or(0);
            return Some(self.match_vars.get(n).map_or("", String::as_str));
        }
        if !crate::strings::valid_variable_name(name) {
            return None;
        }
        if let Some(s) = &self.suite
            && let Some(item) = name.strip_prefix("tst.")
        {
            return Some(s.tst_variable(item));
        }
        Some(self.get_var(name).unwrap_or(""))
    }

    /// Where a variable lives: the global namespace for `global.NAME`
    /// and for names the current script declared global (RFC 6609).
    fn var_slot(&self, name: &str) -> (bool, String) {
        let key = name.to_ascii_lowercase();
        match key.strip_prefix("global.") {
            Some(g) => (true, g.to_string()),
            None if self.globals.contains(&key) => (true, key),
            None => (false, key),
        }
    }

    fn get_var(&self, name: &str) -> Option<&str> {
        match self.var_slot(name) {
            (true, k) => self.global_vars.get(&k),
            (false, k) => self.vars.get(&k),
        }
        .map(String::as_str)
    }

    fn set_var(&mut self, name: &str, value: String) {
        match self.var_slot(name) {
            (true, k) => self.global_vars.insert(k, value),
            (false, k) => self.vars.insert(k, value),
        };
    }

    /// Names or keys, borrowed when they hold no variables.
    fn names<'s>(&self, l: &'s [VStr]) -> Vec<Cow<'s, str>> {
        l.iter().map(|s| self.expand(s)).collect()
    }

    fn list(&self, l: &[VStr]) -> Vec<String> {
        l.iter().map(|s| self.expand(s).into_owned()).collect()
    }

    fn add_action(
        &mut self,
        line: u32,
        command: &'static str,
        action: Action,
        copy: bool,
    ) -> R<()> {
        let why = if self.why.is_empty() {
            "unconditional".to_string()
        } else {
            let w: Vec<String> = self.why.iter().map(ToString::to_string).collect();
            w.join("; ")
        };
        // RFC 5228 4 and RFC 5429: reject goes with no other delivery.
        let is_reject = matches!(action, Action::Reject { .. });
        let delivers = |a: &Action| {
            matches!(
                a,
                Action::Keep { .. } | Action::FileInto { .. } | Action::Redirect { .. }
            )
        };
        if is_reject && self.actions.iter().any(|p| delivers(&p.action)) {
            return Err(RuntimeError::Conflict(format!(
                "reject at line {line} after a delivery action"
            )));
        }
        if delivers(&action)
            && self
                .actions
                .iter()
                .any(|p| matches!(p.action, Action::Reject { .. }))
        {
            return Err(RuntimeError::Conflict(format!(
                "delivery at line {line} after reject"
            )));
        }
        // RFC 5230 4.7: vacation and reject do not go together.
        let is_vacation = matches!(action, Action::Vacation(_));
        if (is_reject
            && self
                .actions
                .iter()
                .any(|p| matches!(p.action, Action::Vacation(_))))
            || (is_vacation
                && self
                    .actions
                    .iter()
                    .any(|p| matches!(p.action, Action::Reject { .. })))
        {
            return Err(RuntimeError::Conflict(format!(
                "reject and vacation at line {line}"
            )));
        }
        if matches!(action, Action::Vacation(_))
            && self
                .actions
                .iter()
                .any(|p| matches!(p.action, Action::Vacation(_)))
        {
            return Err(RuntimeError::Conflict(format!(
                "second vacation at line {line}"
            )));
        }
        // Duplicates: the same mailbox or the same address once; for a
        // store the last flags win (RFC 5232 3).
        let edited = self.snapshot();
        let dup = self
            .actions
            .iter_mut()
            .find(|p| match (&p.action, &action) {
                (Action::Keep { .. }, Action::Keep { .. }) => true,
                (Action::FileInto { mailbox: a, .. }, Action::FileInto { mailbox: b, .. }) => {
                    a == b
                }
                (Action::Redirect { address: a }, Action::Redirect { address: b }) => {
                    a.eq_ignore_ascii_case(b)
                }
                (Action::Discard, Action::Discard) => true,
                _ => false,
            });
        let cancels = !copy && !matches!(action, Action::Vacation(_) | Action::Notify(_));
        if let Some(p) = dup {
            if !copy {
                p.copy = false;
            }
            match (&mut p.action, action.clone()) {
                (Action::Keep { flags }, Action::Keep { flags: new }) => *flags = new,
                (
                    Action::FileInto { flags, create, .. },
                    Action::FileInto {
                        flags: new,
                        create: c,
                        ..
                    },
                ) => {
                    *flags = new;
                    *create |= c;
                }
                _ => {}
            }
            if edited.is_some() {
                p.edited = edited;
            }
            if command == "keep" {
                p.command = command;
            }
        } else {
            if matches!(action, Action::Redirect { .. }) {
                let n = self
                    .actions
                    .iter()
                    .filter(|p| matches!(p.action, Action::Redirect { .. }))
                    .count();
                if n >= self.opts.limits.max_redirects {
                    return Err(RuntimeError::TooManyRedirects(
                        self.opts.limits.max_redirects,
                    ));
                }
            }
            if self.actions.len() >= self.opts.limits.max_actions {
                return Err(RuntimeError::TooManyActions(self.opts.limits.max_actions));
            }
            if matches!(action, Action::Notify(_)) {
                let n = self
                    .actions
                    .iter()
                    .filter(|p| matches!(p.action, Action::Notify(_)))
                    .count();
                if self.opts.limits.max_notifications == 0 {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: "local policy prohibits the use of a notify action".into(),
                    });
                }
                if n >= self.opts.limits.max_notifications {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!(
                            "number of notify actions exceeds policy limit ({})",
                            self.opts.limits.max_notifications
                        ),
                    });
                }
            }
            self.actions.push(Performed {
                action: action.clone(),
                command,
                copy,
                implicit: false,
                line,
                why,
                edited,
            });
        }
        if cancels && self.implicit_keep {
            self.implicit_keep = false;
            let name = match action {
                Action::Keep { .. } => "keep",
                Action::FileInto { .. } => "fileinto",
                Action::Redirect { .. } => "redirect",
                Action::Reject { .. } => "reject",
                _ => "discard",
            };
            self.keep_note = format!("implicit keep cancelled by {name} at line {line}");
        }
        Ok(())
    }

    fn stmt(&mut self, s: &Stmt, script: &Script) -> R<Flow> {
        let line = s.line;
        match &s.cmd {
            Cmd::If {
                branches,
                otherwise,
            } => {
                for (t, body) in branches {
                    self.last_hit = None;
                    let ok = self.test(t)?;
                    let hit = self.last_hit.take();
                    let test = test_name(&t.test);
                    self.trace.push(TraceStep {
                        line: t.line,
                        test,
                        result: ok,
                        hit: if ok { hit.clone() } else { None },
                        script: 0,
                    });
                    if ok {
                        self.why.push(WhyStep::Test {
                            line: t.line,
                            test,
                            hit,
                        });
                        let f = self.block(body, script);
                        self.why.pop();
                        return f;
                    }
                }
                if let Some(body) = otherwise {
                    self.why.push(WhyStep::Else(line));
                    let f = self.block(body, script);
                    self.why.pop();
                    return f;
                }
            }
            Cmd::Stop => return Ok(Flow::Stop),
            Cmd::Return => return Ok(Flow::Return),
            Cmd::Keep { flags } => {
                let flags = self.flag_arg(flags.as_deref());
                self.add_action(line, "keep", Action::Keep { flags }, false)?;
            }
            Cmd::Discard => self.add_action(line, "discard", Action::Discard, false)?,
            Cmd::FileInto {
                mailbox,
                copy,
                create,
                flags,
                special_use,
            } => {
                let mailbox = normalize_mailbox(&self.expand(mailbox));
                if mailbox.contains('\u{FFFD}') || mailbox.is_empty() {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!(
                            "invalid folder name {mailbox:?} specified for fileinto (not valid UTF-8)"
                        ),
                    });
                }
                let flags = self.flag_arg(flags.as_deref());
                let special_use = special_use.as_ref().map(|s| self.expand(s).into_owned());
                let action = if mailbox.eq_ignore_ascii_case("INBOX") && special_use.is_none() {
                    Action::Keep { flags }
                } else {
                    Action::FileInto {
                        mailbox,
                        flags,
                        create: *create,
                        special_use,
                    }
                };
                self.add_action(line, "fileinto", action, *copy)?;
            }
            Cmd::Redirect { address, copy } => {
                let a = self.expand(address);
                if !crate::strings::valid_address(&a) {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!("invalid redirect address {a:?}"),
                    });
                }
                let address =
                    crate::strings::parse_mailbox(&a).unwrap_or_else(|| normalize_address(&a));
                self.add_action(line, "redirect", Action::Redirect { address }, *copy)?;
            }
            Cmd::Reject { reason, extended } => {
                let reason = self.expand(reason).into_owned();
                self.add_action(
                    line,
                    if *extended { "ereject" } else { "reject" },
                    Action::Reject {
                        reason,
                        extended: *extended,
                    },
                    false,
                )?;
            }
            Cmd::Vacation(v) => {
                let reply = self.vacation(v);
                self.add_action(line, "vacation", Action::Vacation(reply), true)?;
            }
            Cmd::Notify(n) => {
                let method = self.expand(&n.method).into_owned();
                if let Err(m) = crate::report::check_notify_uri(&method) {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!("notify action: {m}"),
                    });
                }
                let importance = n
                    .importance
                    .as_ref()
                    .and_then(|i| self.expand(i).parse::<u8>().ok())
                    .filter(|i| (1..=3).contains(i))
                    .unwrap_or(2);
                let note = Notification {
                    method: self.expand(&n.method).into_owned(),
                    from: n.from.as_ref().map(|s| self.expand(s).into_owned()),
                    importance,
                    options: self.list(&n.options),
                    message: n.message.as_ref().map(|s| self.expand(s).into_owned()),
                };
                self.add_action(line, "notify", Action::Notify(note), true)?;
            }
            Cmd::Set { name, value, mods } => {
                let mut v = self.expand(value).into_owned();
                v = apply_mods(mods, v, self.var_limit());
                self.set_var(name, v);
            }
            Cmd::Flags { op, var, flags } => {
                let given = normalize_flags(&self.list(flags));
                let current = match var {
                    Some(v) => {
                        let name = self.expand(v).into_owned();
                        let cur =
                            normalize_flags(&[self.get_var(&name).unwrap_or_default().to_string()]);
                        let new = apply_flags(*op, cur, given);
                        self.set_var(&name, new.join(" "));
                        return Ok(Flow::Go);
                    }
                    None => std::mem::take(&mut self.flags),
                };
                self.flags = apply_flags(*op, current, given);
            }
            Cmd::AddHeader { last, name, value } => {
                let name = self.expand(name).into_owned();
                let value = self.expand(value).into_owned();
                if !crate::strings::valid_header_name(&name) {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!("addheader: specified field name {name:?} is invalid"),
                    });
                }
                if let Some(m) = crate::strings::header_value_problem(
                    &name,
                    &value,
                    self.opts.limits.max_header_size,
                ) {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!("addheader: {m}"),
                    });
                }
                if self
                    .policy()
                    .editheader_forbid_add
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(&name))
                {
                    return Ok(Flow::Go);
                }
                let h = Hdr::new(
                    name,
                    format!(" {}", crate::strings::fold_header_value(&value)),
                );
                self.edited = true;
                if *last {
                    self.headers.push(h);
                } else {
                    self.headers.insert(0, h);
                }
            }
            Cmd::DeleteHeader {
                index,
                m,
                name,
                values,
            } => {
                let name = self.expand(name).into_owned();
                if !crate::strings::valid_header_name(&name) {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!("deleteheader: specified field name {name:?} is invalid"),
                    });
                }
                if is_protected_header(&name)
                    || self
                        .policy()
                        .editheader_forbid_delete
                        .iter()
                        .any(|f| f.eq_ignore_ascii_case(&name))
                {
                    return Ok(Flow::Go);
                }
                let positions: Vec<usize> = (0..self.headers.len())
                    .filter(|i| self.headers[*i].name.eq_ignore_ascii_case(&name))
                    .collect();
                let chosen: Vec<usize> = match index {
                    Some(ix) => pick_index(&positions, *ix).into_iter().collect(),
                    None => positions,
                };
                let mut remove = Vec::new();
                for i in chosen {
                    let hit = match values {
                        None => true,
                        Some(keys) => {
                            let v = decode_text(&self.headers[i].raw);
                            self.matches(m, &[v], keys)?
                        }
                    };
                    if hit {
                        remove.push(i);
                    }
                }
                for i in remove.into_iter().rev() {
                    self.edited = true;
                    self.headers.remove(i);
                }
            }
            Cmd::Error(msg) => {
                return Err(RuntimeError::ScriptError(self.expand(msg).into_owned()));
            }
            Cmd::Include {
                global,
                once,
                optional,
                name,
            } => return self.include(line, *global, *once, *optional, name),
            Cmd::Suite(call) => return self.suite_cmd(call, script),
            Cmd::Break(name) => return Ok(Flow::Break(name.clone())),
            Cmd::ForEveryPart { name, body } => {
                // RFC 5703 3: the outermost loop visits the message and
                // every part in it; a nested loop the parts below the
                // part its enclosing loop visits.
                let parts = match self.cur_part {
                    None => {
                        let t = self.tree();
                        let mut v = vec![0];
                        v.extend(t.descendants(0));
                        v.retain(|p| *p < t.parts.len());
                        v
                    }
                    Some(c) => self.tree().descendants(c),
                };
                if self.loop_depth >= self.opts.limits.max_loop_depth {
                    return Err(RuntimeError::Invalid {
                        line,
                        message: format!(
                            "foreverypart loops nest deeper than {}",
                            self.opts.limits.max_loop_depth
                        ),
                    });
                }
                let saved = self.cur_part;
                self.loop_depth += 1;
                let mut flow = Ok(Flow::Go);
                for p in parts {
                    self.cur_part = Some(p);
                    match self.block(body, script) {
                        Ok(Flow::Go) => {}
                        Ok(Flow::Break(None)) => break,
                        Ok(Flow::Break(Some(n))) if name.as_deref() == Some(n.as_str()) => break,
                        f => {
                            flow = f;
                            break;
                        }
                    }
                }
                self.loop_depth -= 1;
                self.cur_part = saved;
                return flow;
            }
            Cmd::ExtractText { name, mods, first } => {
                let mut v = self
                    .cur_part
                    .and_then(|i| self.tree().parts.get(i))
                    .and_then(crate::mime::Part::plain_text)
                    .unwrap_or_default();
                if let Some(n) = first {
                    v = v
                        .chars()
                        .take(usize::try_from(*n).unwrap_or(usize::MAX))
                        .collect();
                }
                v = apply_mods(mods, v, self.var_limit());
                self.set_var(name, v);
            }
            Cmd::Global(names) => {
                for n in self.list(names) {
                    self.globals.insert(n.to_ascii_lowercase());
                }
            }
        }
        let _ = script;
        Ok(Flow::Go)
    }

    fn include(
        &mut self,
        _line: u32,
        global: bool,
        once: bool,
        optional: bool,
        name: &VStr,
    ) -> R<Flow> {
        let name = self.expand(name).into_owned();
        let key = format!("{}:{name}", if global { "global" } else { "personal" });
        if once && self.included_once.contains(&key) {
            return Ok(Flow::Go);
        }
        self.included_once.insert(key);
        self.includes += 1;
        let fail = |m: &str| RuntimeError::Include {
            name: name.clone(),
            message: m.to_string(),
        };
        // Each include level recurses; 64 bounds it whatever the limits.
        if self.include_depth >= self.opts.limits.max_include_depth.min(64)
            || self.includes > self.opts.limits.max_includes
        {
            return Err(fail("too many or too deeply nested includes"));
        }
        let text = match &self.suite {
            Some(s) => s.include(&name, global),
            None => self.host.include(&name, global),
        };
        let Some(text) = text else {
            return if optional {
                Ok(Flow::Go)
            } else {
                Err(fail("script not found"))
            };
        };
        let sub = crate::compile::compile_with(&text, self.opts.limits)
            .map_err(|e| fail(&e.to_string()))?;
        // RFC 6609: an included script has its own variables; only the
        // global namespace is shared.
        let saved = std::mem::take(&mut self.vars);
        let saved_globals = std::mem::take(&mut self.globals);
        self.include_depth += 1;
        let res = self.block(&sub.body, &sub);
        self.include_depth -= 1;
        self.vars = saved;
        self.globals = saved_globals;
        match res? {
            Flow::Stop => Ok(Flow::Stop),
            _ => Ok(Flow::Go),
        }
    }

    fn flag_arg(&self, flags: Option<&[VStr]>) -> Vec<String> {
        match flags {
            Some(f) => normalize_flags(&self.list(f)),
            None => self.flags.clone(),
        }
    }

    fn vacation(&mut self, v: &Vacation) -> VacationReply {
        let min = self.opts.limits.vacation_min_period;
        let max = self.opts.limits.vacation_max_period;
        let period = match v.period {
            Some(p) if v.seconds => p,
            Some(d) => d.saturating_mul(86_400),
            None => 7 * 86_400,
        };
        let reason = self.expand(&v.reason).into_owned();
        VacationReply {
            period_seconds: period.clamp(min, max.max(min)),
            subject: v.subject.as_ref().map(|s| self.expand(s).into_owned()),
            from: v.from.as_ref().map(|s| self.expand(s).into_owned()),
            addresses: self.list(&v.addresses),
            mime: v.mime,
            handle: v
                .handle
                .as_ref()
                .map_or_else(|| reason.clone(), |h| self.expand(h).into_owned()),
            reason,
        }
    }

    /// Header values of the current MIME part (and its children with
    /// `:anychild`) for a `:mime` test; `raw` keeps them undecoded.
    fn mime_values<S: AsRef<str>>(&self, names: &[S], raw: bool) -> Vec<String> {
        let Some(opts) = &self.mime_ctx else {
            return Vec::new();
        };
        let tree = self.tree();
        let cur = self.cur_part.unwrap_or(0);
        let mut parts = vec![cur];
        if opts.anychild {
            parts.extend(tree.descendants(cur));
        }
        let mut out = Vec::new();
        for p in parts {
            let found: Vec<String> = if p == 0 {
                self.headers
                    .iter()
                    .filter(|h| {
                        names
                            .iter()
                            .any(|n| h.name.eq_ignore_ascii_case(n.as_ref()))
                    })
                    .map(|h| h.raw.to_string())
                    .collect()
            } else {
                tree.parts
                    .get(p)
                    .map(|part| {
                        part.headers
                            .iter()
                            .filter(|(n, _)| {
                                names.iter().any(|w| n.eq_ignore_ascii_case(w.as_ref()))
                            })
                            .map(|(_, v)| v.clone())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            for v in found {
                if raw {
                    out.push(v);
                    continue;
                }
                match &opts.value {
                    MimeValue::Full => out.push(decode_text(&v).trim().to_string()),
                    other => {
                        let mut buf = v.trim_end_matches(['\r', '\n']).to_string();
                        buf.push_str("\r\n");
                        let HeaderValue::ContentType(ct) =
                            MessageStream::new(buf.as_bytes()).parse_content_type()
                        else {
                            continue;
                        };
                        let sub = ct.c_subtype.as_deref().unwrap_or("");
                        match other {
                            MimeValue::Type => out.push(ct.c_type.to_string()),
                            MimeValue::Subtype => out.push(sub.to_string()),
                            MimeValue::ContentType => out.push(if sub.is_empty() {
                                ct.c_type.to_string()
                            } else {
                                format!("{}/{sub}", ct.c_type)
                            }),
                            MimeValue::Param(wanted) => {
                                let wanted = self.list(wanted);
                                for a in ct.attributes.iter().flatten() {
                                    if wanted.iter().any(|w| w.eq_ignore_ascii_case(&a.name)) {
                                        out.push(a.value.to_string());
                                    }
                                }
                            }
                            MimeValue::Full => {}
                        }
                    }
                }
            }
        }
        out
    }

    fn header_values<S: AsRef<str>>(&self, names: &[S], index: Option<Index>) -> Vec<&str> {
        self.select_headers(names, index, |h| &*h.raw)
    }

    /// The decoded values of the named headers (cached per header).
    fn header_texts<S: AsRef<str>>(&self, names: &[S], index: Option<Index>) -> Vec<Rc<str>> {
        let mut out = Vec::new();
        for n in names {
            let found = self
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(n.as_ref()));
            match index {
                Some(ix) => {
                    let found: Vec<&Hdr> = found.collect();
                    let pos: Vec<usize> = (0..found.len()).collect();
                    if let Some(i) = pick_index(&pos, ix) {
                        out.push(found[i].decoded().clone());
                    }
                }
                None => out.extend(found.map(|h| h.decoded().clone())),
            }
        }
        out
    }

    /// The addresses in the named headers (parsed once per header).
    fn select_addresses<S: AsRef<str>>(&self, names: &[S], index: Option<Index>) -> Vec<Rc<str>> {
        let mut out = Vec::new();
        for n in names {
            let found: Vec<&Hdr> = self
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(n.as_ref()))
                .collect();
            let chosen: Vec<&Hdr> = match index {
                Some(ix) => {
                    let pos: Vec<usize> = (0..found.len()).collect();
                    pick_index(&pos, ix).map(|i| found[i]).into_iter().collect()
                }
                None => found,
            };
            for h in chosen {
                out.extend(h.addresses().iter().cloned());
            }
        }
        out
    }

    fn select_headers<'s, S: AsRef<str>>(
        &'s self,
        names: &[S],
        index: Option<Index>,
        pick: impl Fn(&'s Hdr) -> &'s str,
    ) -> Vec<&'s str> {
        let mut out = Vec::new();
        for n in names {
            let found: Vec<&str> = self
                .headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(n.as_ref()))
                .map(&pick)
                .collect();
            match index {
                Some(ix) => {
                    let pos: Vec<usize> = (0..found.len()).collect();
                    if let Some(i) = pick_index(&pos, ix) {
                        out.push(found[i]);
                    }
                }
                None => out.extend(found),
            }
        }
        out
    }

    fn test(&mut self, t: &TestNode) -> R<bool> {
        self.tick()?;
        Ok(match &t.test {
            Test::True => true,
            Test::False => false,
            Test::Not(t) => !self.test(t)?,
            Test::AllOf(ts) => {
                for t in ts {
                    if !self.test(t)? {
                        return Ok(false);
                    }
                }
                true
            }
            Test::AnyOf(ts) => {
                for t in ts {
                    if self.test(t)? {
                        return Ok(true);
                    }
                }
                false
            }
            Test::Exists(names) => with_strs!(self, names, |names| {
                if self.mime_ctx.is_some() {
                    return Ok(names
                        .iter()
                        .all(|n| !self.mime_values(std::slice::from_ref(n), false).is_empty()));
                }
                names.iter().all(|n| {
                    self.headers
                        .iter()
                        .any(|h| h.name.eq_ignore_ascii_case(n.as_ref()))
                })
            }),
            Test::Size { over, limit } => {
                let size = if self.edited {
                    self.current_raw().len() as u64
                } else {
                    msg!(self).raw_message.len() as u64
                };
                if *over { size > *limit } else { size < *limit }
            }
            Test::Header {
                names,
                keys,
                m,
                index,
            } => {
                let values: Vec<Rc<str>> = with_strs!(self, names, |names| {
                    if self.mime_ctx.is_some() {
                        self.mime_values(names, false)
                            .into_iter()
                            .map(Rc::from)
                            .collect()
                    } else {
                        self.header_texts(names, *index)
                    }
                });
                self.matches(m, &values, keys)?
            }
            Test::Address {
                part,
                names,
                keys,
                m,
                index,
            } => {
                let addrs: Vec<Rc<str>> = with_strs!(self, names, |names| {
                    if self.mime_ctx.is_some() {
                        self.mime_values(names, true)
                            .iter()
                            .flat_map(|r| parse_addresses(r))
                            .map(Rc::from)
                            .collect()
                    } else {
                        self.select_addresses(names, *index)
                    }
                });
                let delims = self.delimiters();
                let values: Vec<&str> = addrs
                    .iter()
                    .filter_map(|a| address_part(a, *part, &delims))
                    .collect();
                self.matches(m, &values, keys)?
            }
            Test::Envelope {
                part,
                names,
                keys,
                m,
            } => {
                self.env_paths.get_or_init(|| {
                    // A path that does not parse matches nothing; every
                    // part of the null reverse-path is empty.
                    let norm = |v: Option<&str>| {
                        v.and_then(crate::strings::parse_path).map(|p| {
                            if p.is_empty() {
                                p
                            } else {
                                normalize_address(&p)
                            }
                        })
                    };
                    [
                        norm(Some(&self.env.from)),
                        norm(Some(&self.env.to)),
                        norm(self.env.auth.as_deref()),
                    ]
                });
                // Moved out for the match (which needs the run mutably),
                // put back after it.
                let cell = std::mem::take(&mut self.env_paths);
                let paths = cell.get().expect("set just above");
                let delims = self.delimiters();
                let mut values: Vec<&str> = Vec::new();
                with_strs!(self, names, |names| {
                    for n in names {
                        let n: &str = n.as_ref();
                        let v = if n.eq_ignore_ascii_case("from") {
                            paths[0].as_deref()
                        } else if n.eq_ignore_ascii_case("to") {
                            paths[1].as_deref()
                        } else if n.eq_ignore_ascii_case("auth") {
                            paths[2].as_deref()
                        } else {
                            None
                        };
                        if let Some(v) = v {
                            if v.is_empty() {
                                values.push("");
                            } else if let Some(p) = address_part(v, *part, &delims) {
                                values.push(p);
                            }
                        }
                    }
                });
                drop(delims);
                let r = self.matches(m, &values, keys);
                drop(values);
                self.env_paths = cell;
                r?
            }
            Test::Body {
                transform,
                content_types,
                keys,
                m,
            } => {
                let types = self.list(content_types);
                let values = self.body_values(*transform, &types);
                // The body test leaves the match variables alone.
                self.matches_with(m, &values, keys, false)?
            }
            Test::String { sources, keys, m } => {
                let values: Vec<String> = self.list(sources);
                let values: Vec<String> = if matches!(m.mt, MatchType::Count(_)) {
                    values.into_iter().filter(|v| !v.is_empty()).collect()
                } else {
                    values
                };
                self.matches(m, &values, keys)?
            }
            Test::HasFlag { vars, keys, m } => {
                let flags: Vec<String> = match vars {
                    Some(vs) => {
                        let all: Vec<String> = self
                            .list(vs)
                            .iter()
                            .map(|n| self.get_var(n).unwrap_or_default().to_string())
                            .collect();
                        normalize_flags(&all)
                    }
                    None => self.flags.clone(),
                };
                let keys: Vec<VStr> = if matches!(m.mt, MatchType::Count(_)) {
                    keys.to_vec()
                } else {
                    normalize_flags(&self.list(keys))
                        .into_iter()
                        .map(|text| VStr { text, vars: false })
                        .collect()
                };
                self.matches(m, &flags, &keys)?
            }
            Test::Date {
                zone,
                header,
                part,
                keys,
                m,
                index,
            } => {
                let header = self.expand(header).into_owned();
                let part = self.expand(part).into_owned();
                let raws: Vec<String> = self
                    .header_values(std::slice::from_ref(&header), *index)
                    .into_iter()
                    .map(|s| s.to_string())
                    .collect();
                let mut values = Vec::new();
                for raw in raws {
                    let text = if header.eq_ignore_ascii_case("received") {
                        raw.rsplit(';').next().unwrap_or("").to_string()
                    } else {
                        raw
                    };
                    if let Some(dt) = parse_date(text.trim()) {
                        let dt = match zone {
                            Zone::Original => dt,
                            Zone::Local => dt.with_offset(self.opts.now.offset_minutes),
                            Zone::Fixed(z) => match crate::strings::parse_zone(&self.expand(z)) {
                                Some(o) => dt.with_offset(o),
                                None => continue,
                            },
                        };
                        if let Some(v) = dt.part(&part) {
                            values.push(v);
                        }
                    }
                }
                self.matches(m, &values, keys)?
            }
            Test::CurrentDate {
                zone,
                part,
                keys,
                m,
            } => {
                let now = match zone {
                    Zone::Fixed(z) => match crate::strings::parse_zone(&self.expand(z)) {
                        Some(o) => self.opts.now.with_offset(o),
                        None => return Ok(false),
                    },
                    _ => self.opts.now,
                };
                let values: Vec<String> = now.part(&self.expand(part)).into_iter().collect();
                self.matches(m, &values, keys)?
            }
            Test::MailboxExists(names) => {
                let names = self.list(names);
                match &self.suite {
                    Some(s) => names.iter().all(|n| s.mailbox_exists(n)),
                    None => names.iter().all(|n| self.host.mailbox_exists(n)),
                }
            }
            Test::SpecialUseExists { mailbox, uses } => {
                let mb = mailbox.as_ref().map(|m| self.expand(m).into_owned());
                let uses = self.list(uses);
                uses.iter()
                    .all(|u| self.host.special_use_exists(mb.as_deref(), u))
            }
            Test::Environment { name, keys, m } => {
                let name = self.expand(name).to_ascii_lowercase();
                // The test harness delivers like a mail store (RFC 5183
                // location "MS").
                let harness = self
                    .suite
                    .is_some()
                    .then(|| (name == "location").then(|| "MS".to_string()))
                    .flatten();
                let v = harness
                    .or_else(|| self.host.environment(&name))
                    .or_else(|| default_environment(&name));
                match v {
                    Some(v) => self.matches(m, &[v], keys)?,
                    None => false,
                }
            }
            Test::Spamtest { percent, key, m } => {
                let mm = msg!(self);
                let v = match &self.suite {
                    Some(s) => s.config.spamtest(mm, *percent),
                    None => self.host.spamtest(mm, *percent),
                }
                .unwrap_or_else(|| "0".into());
                self.matches(m, &[v], std::slice::from_ref(key))?
            }
            Test::Virustest { key, m } => {
                let mm = msg!(self);
                let v = match &self.suite {
                    Some(s) => s.config.virustest(mm),
                    None => self.host.virustest(mm),
                }
                .unwrap_or_else(|| "0".into());
                self.matches(m, &[v], std::slice::from_ref(key))?
            }
            Test::Duplicate {
                handle,
                header,
                uniqueid,
                seconds,
                last,
            } => {
                let id = match (header, uniqueid) {
                    (_, Some(u)) => Some(self.expand(u).into_owned()),
                    (Some(h), None) => {
                        let h = self.expand(h).into_owned();
                        self.header_values(&[h], None)
                            .first()
                            .map(|v| decode_text(v))
                    }
                    (None, None) => msg!(self).message_id().map(str::to_string),
                };
                match id {
                    Some(id) => {
                        let handle = handle
                            .as_ref()
                            .map(|h| self.expand(h).into_owned())
                            .unwrap_or_default();
                        let period = seconds.unwrap_or(self.opts.limits.duplicate_default_period);
                        self.host.duplicate(&handle, &id, period, *last)
                    }
                    None => false,
                }
            }
            Test::Suite(call) => self.suite_test(call)?,
            Test::Mime { opts, inner } => {
                let saved = self.mime_ctx.replace(opts.clone());
                let r = self.test(inner);
                self.mime_ctx = saved;
                r?
            }
            Test::ValidNotifyMethod(uris) => {
                let uris = self.list(uris);
                uris.iter()
                    .all(|u| crate::report::check_notify_uri(u).is_ok())
            }
            Test::NotifyMethodCapability {
                uri,
                capability,
                keys,
                m,
            } => {
                let uri = self.expand(uri).into_owned();
                let cap = self.expand(capability).to_ascii_lowercase();
                if cap == "online" && uri.to_ascii_lowercase().starts_with("mailto:") {
                    self.matches(m, &["maybe".to_string()], keys)?
                } else {
                    false
                }
            }
        })
    }

    /// The MIME structure of the current message.
    pub(crate) fn tree(&self) -> &crate::mime::Tree {
        self.mime
            .get_or_init(|| crate::mime::Tree::build(msg!(self)))
    }

    /// What a body test compares (RFC 5173 5): the raw body, the text
    /// of the text parts, or the parts of the given content types.
    fn body_values(&self, transform: BodyTransform, types: &[String]) -> Vec<String> {
        use crate::mime::{Content, Kind};
        if transform == BodyTransform::Raw {
            let msg = msg!(self);
            let p = msg.parts.first();
            let start = p.map_or(0, |p| p.offset_body as usize);
            let b = msg.raw_message.get(start..).unwrap_or_default();
            if b.is_empty() {
                return Vec::new();
            }
            return vec![String::from_utf8_lossy(b).into_owned()];
        }
        // RFC 5173 5.2: "type/subtype", "type" or "" (every type); a
        // type with a leading, trailing or second slash matches nothing.
        let specs: Vec<(String, Option<String>)> = types
            .iter()
            .filter_map(|t| {
                let t = t.to_ascii_lowercase();
                match t.split_once('/') {
                    None => Some((t, None)),
                    Some((a, b)) if !a.is_empty() && !b.is_empty() && !b.contains('/') => {
                        Some((a.to_string(), Some(b.to_string())))
                    }
                    Some(_) => None,
                }
            })
            .collect();
        let mut out = Vec::new();
        for part in &self.tree().parts {
            if transform == BodyTransform::Text {
                // Text parts and the text of HTML; containers only
                // through their children.
                if part.valid_type
                    && (part.ctype == "text" || part.is_html())
                    && let Some(t) = part.plain_text()
                {
                    out.push(t);
                }
                continue;
            }
            let wanted = part.valid_type
                && specs.iter().any(|(t, s)| {
                    t.is_empty()
                        || (*t == part.ctype && s.as_ref().is_none_or(|s| *s == part.subtype))
                });
            if !wanted {
                continue;
            }
            match &part.kind {
                Kind::Multipart { prologue, epilogue } => {
                    out.push(prologue.clone());
                    out.push(epilogue.clone());
                }
                Kind::Message { header } => out.push(header.clone()),
                Kind::Leaf(Some(Content::Text(t))) => out.push(t.clone()),
                Kind::Leaf(Some(Content::Binary(b))) => {
                    out.push(String::from_utf8_lossy(b).into_owned())
                }
                Kind::Leaf(None) => {}
            }
        }
        // A part without content is no body to match.
        out.retain(|v| !v.trim().is_empty());
        out
    }

    /// Tries the values against the keys under a match type. Fills the
    /// match variables on a `:matches` / `:regex` hit.
    fn matches<S: AsRef<str>>(&mut self, m: &Match, values: &[S], keys: &[VStr]) -> R<bool> {
        self.matches_with(m, values, keys, true)
    }

    fn matches_with<S: AsRef<str>>(
        &mut self,
        m: &Match,
        values: &[S],
        keys: &[VStr],
        capture: bool,
    ) -> R<bool> {
        // Keys without variables are used as compiled, without a copy.
        if keys.iter().any(|k| k.vars) {
            let keys: Vec<Cow<'_, str>> = keys.iter().map(|k| self.expand(k)).collect();
            self.match_keys(m, values, &keys, capture)
        } else {
            self.match_keys(m, values, keys, capture)
        }
    }

    /// Charges the work of a match to the CPU limit, up front: one step
    /// per KiB compared with each key. A wildcard match may revisit the
    /// value once per pattern character; a regex match (a PikeVM) moves
    /// every pattern state, with its capture slots, over every byte. So
    /// those worst cases, on the expanded keys.
    fn charge_match<S: AsRef<str>, K: AsRef<str>>(
        &mut self,
        m: &Match,
        values: &[S],
        keys: &[K],
    ) -> R<()> {
        let bytes: usize = values.iter().map(|v| v.as_ref().len()).sum();
        let mut cost = (bytes.saturating_mul(keys.len()) / 1024) as u64;
        match m.mt {
            MatchType::Matches => {
                let pat: usize = keys.iter().map(|k| k.as_ref().len()).sum();
                cost = cost.max((bytes.saturating_mul(pat) / 4096) as u64);
            }
            MatchType::Regex(_) => {
                // States grow with the pattern, slots with its groups.
                let work: usize = keys
                    .iter()
                    .map(|k| {
                        let k = k.as_ref();
                        let groups = 1 + k.bytes().filter(|b| *b == b'(').count();
                        k.len().saturating_mul(groups)
                    })
                    .fold(0, usize::saturating_add);
                cost = cost.max((bytes.saturating_mul(work) / 65536) as u64);
            }
            _ => {}
        }
        if cost > 0 {
            self.steps = self.steps.saturating_add(cost);
            if self.steps > self.opts.limits.max_steps {
                return Err(RuntimeError::CpuLimit(self.opts.limits.max_steps));
            }
        }
        Ok(())
    }

    /// [`Self::matches_with`] once the keys are expanded.
    fn match_keys<S: AsRef<str>, K: AsRef<str>>(
        &mut self,
        m: &Match,
        values: &[S],
        keys: &[K],
        capture: bool,
    ) -> R<bool> {
        self.charge_match(m, values, keys)?;
        let count: String;
        let found: Option<(&str, &str)> = match &m.mt {
            MatchType::Count(rel) => {
                count = format!("count {}", values.len());
                let n = &count["count ".len()..];
                keys.iter()
                    .map(AsRef::as_ref)
                    .find(|k| matching::rel_holds(*rel, matching::order(m.cmp, n, k)))
                    .map(|k| (count.as_str(), k))
            }
            MatchType::Value(rel) => find_pair(values, keys, |v, k| {
                matching::rel_holds(*rel, matching::order(m.cmp, v, k))
            }),
            MatchType::Is => find_pair(values, keys, |v, k| matching::equals(m.cmp, v, k)),
            MatchType::Contains => find_pair(values, keys, |v, k| matching::contains(m.cmp, v, k)),
            MatchType::Matches => {
                let mut caps = Vec::new();
                let mut found = None;
                'outer: for v in values {
                    let v = v.as_ref();
                    for k in keys {
                        let k = k.as_ref();
                        if matching::wildcard(m.cmp, v, k, capture.then_some(&mut caps)) {
                            found = Some((v, k));
                            break 'outer;
                        }
                    }
                }
                if found.is_some() && capture {
                    self.match_vars = caps;
                }
                found
            }
            MatchType::Regex(pre) => {
                // A pattern that does not compile at run time matches
                // nothing; the run goes on with a warning.
                let mut built: Vec<(regex_automata::meta::Regex, &str)> = Vec::new();
                let pairs: Vec<(&regex_automata::meta::Regex, &str)> = match pre {
                    Some(v) => v.iter().zip(keys.iter().map(AsRef::as_ref)).collect(),
                    None => {
                        for k in keys {
                            let k = k.as_ref();
                            match build_regex(k, m.cmp) {
                                Ok(re) => built.push((re, k)),
                                Err(e) => self.warnings.push(e),
                            }
                        }
                        built.iter().map(|(r, k)| (r, *k)).collect()
                    }
                };
                let mut found = None;
                let mut new_caps = None;
                'outer2: for v in values {
                    let v = v.as_ref();
                    for (re, k) in &pairs {
                        let mut caps = re.create_captures();
                        re.captures(v, &mut caps);
                        if caps.is_match() {
                            if capture {
                                new_caps = Some(
                                    (0..caps.group_len())
                                        .map(|i| {
                                            caps.get_group(i).map_or(String::new(), |s| {
                                                v.get(s.range()).unwrap_or_default().to_string()
                                            })
                                        })
                                        .collect(),
                                );
                            }
                            found = Some((v, *k));
                            break 'outer2;
                        }
                    }
                }
                if let Some(c) = new_caps {
                    self.match_vars = c;
                }
                found
            }
        };
        Ok(match found {
            Some((v, k)) => {
                self.last_hit = Some(format!("{:?} against {:?}", clip(v), clip(k)));
                true
            }
            None => false,
        })
    }
}

fn find_pair<'a, S: AsRef<str>, K: AsRef<str>>(
    values: &'a [S],
    keys: &'a [K],
    f: impl Fn(&str, &str) -> bool,
) -> Option<(&'a str, &'a str)> {
    for v in values {
        for k in keys {
            if f(v.as_ref(), k.as_ref()) {
                return Some((v.as_ref(), k.as_ref()));
            }
        }
    }
    None
}

fn clip(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(60) {
        Some((i, _)) => Cow::Owned(format!("{}...", &s[..i])),
        None => Cow::Borrowed(s),
    }
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

fn is_var_ref(n: &str) -> bool {
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || crate::strings::valid_variable_name(n)
}

fn pick_index(positions: &[usize], ix: Index) -> Option<usize> {
    let n = usize::try_from(ix.n).ok()?;
    if n == 0 || n > positions.len() {
        return None;
    }
    Some(if ix.last {
        positions[positions.len() - n]
    } else {
        positions[n - 1]
    })
}

/// RFC 5293 section 7: these must not be deleted.
fn is_protected_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("received") || name.eq_ignore_ascii_case("auto-submitted")
}

fn apply_flags(op: FlagOp, mut cur: Vec<String>, given: Vec<String>) -> Vec<String> {
    match op {
        FlagOp::Set => given,
        FlagOp::Add => {
            for f in given {
                if !cur.iter().any(|c| c.eq_ignore_ascii_case(&f)) {
                    cur.push(f);
                }
            }
            cur
        }
        FlagOp::Remove => {
            cur.retain(|c| !given.iter().any(|g| g.eq_ignore_ascii_case(c)));
            cur
        }
    }
}

/// Applies the set modifiers in order and cuts the value to `max`
/// bytes; a cut never splits a character, nor an escape that
/// :quotewildcard, :quoteregex or :encodeurl made.
fn apply_mods(mods: &[SetMod], mut v: String, max: usize) -> String {
    for m in mods {
        v = apply_mod(*m, v);
    }
    if v.len() <= max {
        return v;
    }
    truncate(&mut v, max);
    if mods
        .iter()
        .any(|m| matches!(m, SetMod::QuoteWildcard | SetMod::QuoteRegex))
    {
        let trailing = v.bytes().rev().take_while(|b| *b == b'\\').count();
        if trailing % 2 == 1 {
            v.pop();
        }
    }
    if mods.contains(&SetMod::EncodeUrl) {
        let b = v.as_bytes();
        let n = b.len();
        if n >= 1 && b[n - 1] == b'%' {
            v.truncate(n - 1);
        } else if n >= 2 && b[n - 2] == b'%' {
            v.truncate(n - 2);
        }
        // Nor the escapes of one UTF-8 character.
        let b = v.as_bytes();
        let mut end = b.len();
        let mut conts = 0;
        while end >= 3 && b[end - 3] == b'%' {
            let Ok(x) = u8::from_str_radix(&v[end - 2..end], 16) else {
                break;
            };
            if x & 0xC0 == 0x80 {
                conts += 1;
                end -= 3;
                continue;
            }
            let want = if x >= 0xF0 {
                3
            } else if x >= 0xE0 {
                2
            } else if x >= 0xC0 {
                1
            } else {
                0
            };
            if want != conts {
                let cut = end - 3;
                v.truncate(cut);
            }
            break;
        }
    }
    v
}

fn apply_mod(m: SetMod, v: String) -> String {
    match m {
        SetMod::Lower => v.to_lowercase(),
        SetMod::Upper => v.to_uppercase(),
        SetMod::LowerFirst => first_char(v, |c| c.to_lowercase().collect()),
        SetMod::UpperFirst => first_char(v, |c| c.to_uppercase().collect()),
        SetMod::QuoteWildcard => quote(&v, "*?\\"),
        SetMod::QuoteRegex => quote(&v, "\\^$.[]|()?*+{}"),
        SetMod::Length => v.chars().count().to_string(),
        SetMod::EncodeUrl => {
            let mut out = String::new();
            for b in v.bytes() {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    out.push(b as char);
                } else {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
            out
        }
    }
}

fn first_char(v: String, f: impl Fn(char) -> String) -> String {
    let mut it = v.chars();
    match it.next() {
        Some(c) => f(c) + it.as_str(),
        None => v,
    }
}

fn quote(v: &str, special: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        if special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn parse_date(s: &str) -> Option<DateTime> {
    let d = mail_parser::DateTime::parse_rfc822(s)?;
    if !d.is_valid() {
        return None;
    }
    let off = i32::from(d.tz_hour) * 60 + i32::from(d.tz_minute);
    let off = if d.tz_before_gmt { -off } else { off };
    Some(DateTime::utc(d.to_timestamp()).with_offset(off))
}

fn default_environment(name: &str) -> Option<String> {
    Some(match name {
        "domain" => "localhost".into(),
        "host" => "localhost".into(),
        "location" => "MDA".into(),
        "phase" => "during".into(),
        "name" => "Rampart Sieve".into(),
        "version" => env!("CARGO_PKG_VERSION").into(),
        _ => return None,
    })
}

fn test_name(t: &Test) -> &'static str {
    match t {
        Test::Suite(_) => "testsuite test",
        Test::Mime { inner, .. } => test_name(&inner.test),
        Test::True => "true",
        Test::False => "false",
        Test::Not(_) => "not",
        Test::AllOf(_) => "allof",
        Test::AnyOf(_) => "anyof",
        Test::Exists(_) => "exists",
        Test::Size { .. } => "size",
        Test::Header { .. } => "header",
        Test::Address { .. } => "address",
        Test::Envelope { .. } => "envelope",
        Test::Body { .. } => "body",
        Test::String { .. } => "string",
        Test::HasFlag { .. } => "hasflag",
        Test::Date { .. } => "date",
        Test::CurrentDate { .. } => "currentdate",
        Test::MailboxExists(_) => "mailboxexists",
        Test::SpecialUseExists { .. } => "specialuse_exists",
        Test::Environment { .. } => "environment",
        Test::Spamtest { .. } => "spamtest",
        Test::Virustest { .. } => "virustest",
        Test::Duplicate { .. } => "duplicate",
        Test::ValidNotifyMethod(_) => "valid_notify_method",
        Test::NotifyMethodCapability { .. } => "notify_method_capability",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The one-line shortcut of `decode_text` gives what mail-parser
        /// gives.
        #[test]
        fn decode_text_shortcut_agrees(v in "[ a\t\r=?é]{0,12}") {
            let raw = format!("{v}\r\n");
            let line = raw.trim_end_matches(['\r', '\n']);
            prop_assume!(!line.contains("=?"));
            prop_assert_eq!(decode_text(&raw), decode_text_parsed(line));
        }
    }
}
