//! The commands and tests of Pigeonhole's `vnd.dovecot.testsuite`
//! extension, run inside the interpreter for the test harness
//! ([`crate::testsuite`]). Only the harness compiles them.

use std::collections::HashMap;
use std::path::PathBuf;

use mail_parser::{Message, MessageParser};

use super::{Action, Flow, Host, Performed, R, Run, message_headers, run};
use crate::compile::Script;
use crate::error::RuntimeError;
use crate::ir::{SuiteArg, SuiteCall, VStr};
use crate::spamvirus::SpamVirusConfig;

/// One test's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The name given to `test`.
    pub name: String,
    /// Why it failed; `None` when it passed.
    pub failure: Option<String>,
}

/// A message the result "sent" (redirect, vacation, notify, reject).
#[derive(Debug, Clone)]
struct Sent {
    from: String,
    to: String,
    raw: Vec<u8>,
}

/// A message in one of the harness's folders, with its IMAP flags.
#[derive(Debug, Clone)]
struct Stored {
    raw: Vec<u8>,
    flags: Vec<String>,
}

/// The harness state that lives through one testsuite file.
#[derive(Debug, Default)]
pub(crate) struct Suite {
    /// Directory of the test file: scripts are read relative to it.
    pub dir: PathBuf,
    /// spamtest/virustest settings (`test_config_set`).
    pub config: SpamVirusConfig,
    settings: HashMap<String, String>,
    /// Results of the `test` blocks, in order.
    pub results: Vec<TestResult>,
    /// A `test_fail` outside any test.
    pub file_failure: Option<String>,
    current: Option<String>,
    failure: Option<String>,
    compiled: Option<Script>,
    errors: Vec<String>,
    smtp: Vec<Sent>,
    folders: HashMap<String, Vec<Stored>>,
    binaries: HashMap<String, Script>,
    orig_to: Option<String>,
    /// How many actions of the current result were executed already
    /// (`test_result_execute` keeps the result; later runs append).
    executed: usize,
    keep_executed: bool,
}

impl Suite {
    /// Included scripts: personal ones from `included/`, global ones
    /// from `included-global/`, next to the test file.
    pub(crate) fn include(&self, name: &str, global: bool) -> Option<String> {
        if name.contains('/') || name.starts_with('.') {
            return None;
        }
        let sub = if global {
            "included-global"
        } else {
            "included"
        };
        std::fs::read_to_string(self.dir.join(sub).join(format!("{name}.sieve"))).ok()
    }

    /// Loads and compiles what a script includes, recursively, as
    /// Pigeonhole does at compile time: missing scripts, circular
    /// includes and the include count and depth limits are errors. Each
    /// include level on the way to a failure adds one error.
    fn check_includes(
        &self,
        script: &Script,
        stack: &mut Vec<String>,
        total: &mut usize,
        errors: &mut Vec<String>,
    ) -> Result<(), ()> {
        let max_includes = self
            .setting_usize("sieve_include_max_includes")
            .unwrap_or(255);
        let max_depth = self
            .setting_usize("sieve_include_max_nesting_depth")
            .unwrap_or(10);
        let mut failed = false;
        for (name, global, once, optional) in static_includes(&script.body) {
            *total += 1;
            if *total > max_includes {
                errors.push(format!("more than {max_includes} includes"));
                return Err(());
            }
            if stack.contains(&name) {
                if once {
                    continue;
                }
                errors.push(format!("circular include of {name:?}"));
                failed = true;
                continue;
            }
            if stack.len() + 1 > max_depth {
                errors.push(format!("includes nest deeper than {max_depth}"));
                return Err(());
            }
            let Some(text) = self.include(&name, global) else {
                if optional {
                    continue;
                }
                errors.push(format!("included script {name:?} not found"));
                failed = true;
                continue;
            };
            let sub = match crate::compile::compile(&text) {
                Ok(sub) => sub,
                Err(e) => {
                    errors.push(format!("included script {name:?} does not compile: {e}"));
                    failed = true;
                    continue;
                }
            };
            stack.push(name.clone());
            let r = self.check_includes(&sub, stack, total, errors);
            stack.pop();
            if r.is_err() {
                errors.push(format!("failed to include {name:?}"));
                failed = true;
            }
        }
        if failed { Err(()) } else { Ok(()) }
    }

    /// `${tst.path}` (the test file's directory) and `${tst.name}`.
    pub(crate) fn tst_variable(&self, item: &str) -> &str {
        match item {
            "path" => self.dir.to_str().unwrap_or(""),
            "name" => self.current.as_deref().unwrap_or(""),
            _ => "",
        }
    }

    /// The limits for scripts under test: the defaults with the
    /// Pigeonhole settings the test file set.
    pub(crate) fn limits(&self) -> crate::Limits {
        let mut l = crate::Limits::default();
        let num = |k: &str| self.setting_usize(k);
        if let Some(v) = num("sieve_max_actions") {
            l.max_actions = v;
        }
        if let Some(v) = num("sieve_max_redirects") {
            l.max_redirects = v;
        }
        if let Some(v) = num("sieve_variables_max_variable_size")
            .or_else(|| num("sieve_variables_max_value_size"))
        {
            l.max_variable_size = v;
        }
        if let Some(v) = num("sieve_variables_max_scope_size") {
            l.max_variables = v;
        }
        if let Some(v) = num("sieve_notify_max_notifications") {
            l.max_notifications = v;
        }
        if let Some(v) = num("sieve_editheader_max_header_size") {
            l.max_header_size = v;
        }
        if let Some(v) = num("sieve_include_max_includes") {
            l.max_includes = v;
        }
        if let Some(v) = num("sieve_include_max_nesting_depth") {
            l.max_include_depth = v;
        }
        if let Some(v) = num("sieve_max_script_size") {
            l.max_script_size = v;
        }
        if let Some(v) = self.settings.get("recipient_delimiter") {
            l.recipient_delimiter = v.clone();
        }
        // sieve_editheader_header = NAMES, with per-name forbid_add /
        // forbid_delete; Subject can never be protected.
        if let Some(names) = self.settings.get("sieve_editheader_header") {
            for n in names.split_whitespace() {
                let yes = |what: &str| {
                    self.settings
                        .get(&format!("sieve_editheader_header/{n}/{what}"))
                        .is_some_and(|v| v.trim() == "yes")
                };
                let name = self
                    .settings
                    .get(&format!("sieve_editheader_header/{n}/name"))
                    .map_or(n, |v| v.trim())
                    .to_ascii_lowercase();
                if name == "subject" {
                    continue;
                }
                if yes("forbid_add") {
                    l.editheader_forbid_add.push(name.clone());
                }
                if yes("forbid_delete") {
                    l.editheader_forbid_delete.push(name);
                }
            }
        }
        l
    }

    /// A setting from `test_config_set`.
    pub(crate) fn setting(&self, key: &str) -> Option<String> {
        self.settings.get(key).cloned()
    }

    /// A numeric setting from `test_config_set`.
    pub(crate) fn setting_usize(&self, key: &str) -> Option<usize> {
        self.settings.get(key)?.trim().parse().ok()
    }

    pub(crate) fn mailbox_exists(&self, name: &str) -> bool {
        let name = super::normalize_mailbox(name);
        name == "INBOX" || self.folders.contains_key(&name)
    }
}

/// The host of scripts run by `test_script_run`: the suite's settings,
/// includes and mailboxes.
struct SuiteHost<'a> {
    suite: &'a Suite,
}

impl Host for SuiteHost<'_> {
    fn mailbox_exists(&mut self, name: &str) -> bool {
        self.suite.mailbox_exists(name)
    }
    fn include(&mut self, name: &str, global: bool) -> Option<String> {
        self.suite.include(name, global)
    }
    fn spamtest(&mut self, message: &Message<'_>, percent: bool) -> Option<String> {
        self.suite.config.spamtest(message, percent)
    }
    fn virustest(&mut self, message: &Message<'_>) -> Option<String> {
        self.suite.config.virustest(message)
    }
    fn environment(&mut self, name: &str) -> Option<String> {
        (name == "location").then(|| "MS".to_string())
    }
}

fn invalid(line: u32, message: String) -> RuntimeError {
    RuntimeError::Invalid { line, message }
}

/// The action names Pigeonhole's `test_result_action` compares.
fn action_name(p: &Performed) -> &'static str {
    match &p.action {
        Action::Keep { .. } if p.command == "fileinto" => "store",
        Action::Keep { .. } => "keep",
        Action::FileInto { .. } => "store",
        Action::Redirect { .. } => "redirect",
        Action::Reject { .. } => "reject",
        Action::Discard => "discard",
        Action::Vacation(_) => "vacation",
        Action::Notify(_) => "notify",
    }
}

impl Run<'_, '_, '_> {
    fn suite_mut(&mut self) -> R<&mut Suite> {
        self.suite
            .as_deref_mut()
            .ok_or_else(|| invalid(0, "testsuite command outside the test harness".into()))
    }

    /// The string arguments (not tags), expanded.
    fn suite_strings(&self, call: &SuiteCall) -> Vec<String> {
        call.args
            .iter()
            .filter_map(|a| match a {
                SuiteArg::Str(s) => Some(self.expand(s).into_owned()),
                _ => None,
            })
            .collect()
    }

    fn suite_has_tag(call: &SuiteCall, tag: &str) -> bool {
        call.args
            .iter()
            .any(|a| matches!(a, SuiteArg::Tag(t) if t == tag))
    }

    fn suite_number(call: &SuiteCall) -> Option<u64> {
        call.args.iter().find_map(|a| match a {
            SuiteArg::Num(n) => Some(*n),
            _ => None,
        })
    }

    fn reset_result(&mut self) {
        self.actions.clear();
        self.implicit_keep = true;
        self.keep_note.clear();
        self.flags.clear();
        if let Some(s) = self.suite.as_deref_mut() {
            s.executed = 0;
            s.keep_executed = false;
        }
    }

    /// The current message with the header edits of editheader applied.
    pub(super) fn current_raw(&self) -> Vec<u8> {
        let msg = msg!(self);
        let mut out = Vec::new();
        for h in &self.headers {
            out.extend_from_slice(h.name.as_bytes());
            out.push(b':');
            out.extend_from_slice(h.raw.trim_end_matches(['\r', '\n']).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        let start = msg.parts.first().map_or(0, |p| p.offset_body as usize);
        out.extend_from_slice(msg.raw_message.get(start..).unwrap_or_default());
        out
    }

    fn set_message(&mut self, raw: &[u8], line: u32) -> R<()> {
        // An empty message is a message without header and body.
        let empty = raw.iter().all(u8::is_ascii_whitespace);
        let raw: &[u8] = if empty { b"X-Empty: \r\n\r\n" } else { raw };
        let parsed = MessageParser::default()
            .parse(raw)
            .ok_or_else(|| invalid(line, "test message does not parse".into()))?
            .into_owned();
        self.headers = message_headers(&parsed)
            .into_iter()
            .map(super::Hdr::into_owned)
            .collect();
        self.edited = empty;
        if empty {
            self.headers.clear();
        }
        self.owned_msg = Some(Box::new(parsed));
        self.mime = std::cell::OnceCell::new();
        Ok(())
    }

    pub(super) fn suite_cmd(&mut self, call: &SuiteCall, script: &Script) -> R<Flow> {
        let strings = self.suite_strings(call);
        let arg = |i: usize| strings.get(i).cloned().unwrap_or_default();
        match call.name.as_str() {
            "test" => {
                let name = arg(0);
                self.reset_result();
                self.steps = 0;
                let suite = self.suite_mut()?;
                suite.current = Some(name.clone());
                suite.failure = None;
                let body = call.block.as_deref().unwrap_or_default();
                let res = self.block(body, script);
                let suite = self.suite_mut()?;
                let failure = match res {
                    Err(e) => Some(
                        suite
                            .failure
                            .take()
                            .unwrap_or(format!("run-time error: {e}")),
                    ),
                    Ok(_) => suite.failure.take(),
                };
                suite.current = None;
                suite.results.push(TestResult { name, failure });
                self.reset_result();
            }
            "test_fail" => {
                let suite = self.suite_mut()?;
                if suite.current.is_some() {
                    suite.failure = Some(arg(0));
                    return Ok(Flow::Abort);
                }
                suite.file_failure = Some(arg(0));
                return Ok(Flow::Stop);
            }
            "test_set" => {
                let (name, value) = (arg(0), arg(1));
                match name.as_str() {
                    "message" => {
                        self.set_message(value.as_bytes(), 0)?;
                        // As Pigeonhole: the envelope follows the new message.
                        let m = msg!(self);
                        let first = |name: &str| -> Option<String> {
                            match m.header(name)? {
                                mail_parser::HeaderValue::Address(a) => {
                                    a.first()?.address().map(str::to_string)
                                }
                                mail_parser::HeaderValue::Text(t) => {
                                    Some(t.trim().trim_matches(['<', '>']).to_string())
                                }
                                _ => None,
                            }
                        };
                        let from = first("Return-Path")
                            .or_else(|| first("Sender"))
                            .or_else(|| first("From"))
                            .unwrap_or_else(|| "sender@example.com".into());
                        let to = first("Envelope-To")
                            .or_else(|| first("To"))
                            .unwrap_or_else(|| "recipient@example.com".into());
                        self.env.from = from;
                        self.env.to = to;
                        self.env_paths = std::cell::OnceCell::new();
                    }
                    "envelope.from" => {
                        self.env.from = value;
                        self.env_paths = std::cell::OnceCell::new();
                    }
                    "envelope.to" => {
                        self.env.to = value;
                        self.env_paths = std::cell::OnceCell::new();
                    }
                    "envelope.orig_to" => {
                        self.suite_mut()?.orig_to = Some(value.trim_matches(['<', '>']).into())
                    }
                    "envelope.auth" => {
                        self.env.auth = Some(value);
                        self.env_paths = std::cell::OnceCell::new();
                    }
                    other => {
                        return Err(invalid(0, format!("test_set of unknown item {other:?}")));
                    }
                }
            }
            "test_config_set" => {
                let (k, v) = (arg(0), arg(1));
                let suite = self.suite_mut()?;
                suite.config.set(&k, &v).map_err(|e| invalid(0, e))?;
                suite.settings.insert(k, v);
            }
            "test_config_unset" => {
                let k = arg(0);
                let suite = self.suite_mut()?;
                suite.config.unset(&k);
                suite.settings.remove(&k);
            }
            // Settings apply as soon as they are set; logging goes nowhere.
            "test_config_reload" | "test_result_print" | "debug_log" => {}
            "test_result_reset" => {
                self.reset_result();
                self.suite_mut()?.smtp.clear();
            }
            "test_mailbox_create" => {
                let name = super::normalize_mailbox(&arg(0));
                self.suite_mut()?.folders.entry(name).or_default();
            }
            "test_binary_save" => {
                let suite = self.suite_mut()?;
                let script = suite
                    .compiled
                    .clone()
                    .ok_or_else(|| invalid(0, "no compiled script to save".into()))?;
                suite.binaries.insert(arg(0), script);
            }
            "test_binary_load" => {
                let suite = self.suite_mut()?;
                let script = suite
                    .binaries
                    .get(&arg(0))
                    .cloned()
                    .ok_or_else(|| invalid(0, format!("no saved binary {:?}", arg(0))))?;
                suite.compiled = Some(script);
            }
            // test_message as a command: no such message fails the test,
            // in Pigeonhole's words.
            "test_message" => {
                if !self.suite_test(call)? {
                    let n = Self::suite_number(call).unwrap_or(0);
                    let why = if Self::suite_has_tag(call, "smtp") {
                        format!("no outgoing SMTP message with index {n}")
                    } else {
                        let folder = self
                            .suite_strings(call)
                            .first()
                            .cloned()
                            .unwrap_or_default();
                        format!("no message in folder '{folder}' with index {n}")
                    };
                    let suite = self.suite_mut()?;
                    if suite.current.is_some() {
                        suite.failure = Some(why);
                        return Ok(Flow::Abort);
                    }
                    suite.file_failure = Some(why);
                    return Ok(Flow::Stop);
                }
            }
            // Tests used as commands: a false result is an error.
            "test_result_execute" | "test_script_run" | "test_script_compile" => {
                if !self.suite_test(call)? {
                    return Err(invalid(0, format!("{} failed", call.name)));
                }
            }
            other => {
                return Err(invalid(
                    0,
                    format!("unsupported testsuite command {other:?}"),
                ));
            }
        }
        Ok(Flow::Go)
    }

    pub(super) fn suite_test(&mut self, call: &SuiteCall) -> R<bool> {
        let strings = self.suite_strings(call);
        match call.name.as_str() {
            "test_script_compile" => {
                let path = strings.first().cloned().unwrap_or_default();
                let suite = self.suite_mut()?;
                let file = suite.dir.join(&path);
                suite.compiled = None;
                suite.errors.clear();
                let src = match std::fs::read(&file) {
                    Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                    Err(e) => {
                        suite.errors.push(format!("cannot read {path}: {e}"));
                        return Ok(false);
                    }
                };
                let limits = suite.limits();
                // Scripts under test may use the testsuite commands too.
                let exists = |name: &str, global: bool| suite.include(name, global).is_some();
                match crate::compile::compile_inner(&src, &limits, true, Some(&exists)) {
                    Ok(s) => {
                        let suite = self.suite_mut()?;
                        // Pigeonhole resolves includes when it compiles.
                        let mut errors = Vec::new();
                        let mut total = 0;
                        let ok = suite
                            .check_includes(&s, &mut Vec::new(), &mut total, &mut errors)
                            .is_ok();
                        if !ok {
                            suite.errors = errors;
                            suite.errors.push("validation failed".into());
                            return Ok(false);
                        }
                        suite.compiled = Some(s);
                        Ok(true)
                    }
                    Err(e) => {
                        let suite = self.suite_mut()?;
                        suite
                            .errors
                            .extend(e.errors.iter().map(|d| d.message.clone()));
                        // Pigeonhole closes the list with a summary error.
                        suite.errors.push("validation failed".into());
                        Ok(false)
                    }
                }
            }
            "test_script_run" => {
                let append = Self::suite_has_tag(call, "append_result");
                let Some(suite) = self.suite.take() else {
                    return Err(invalid(0, "testsuite test outside the harness".into()));
                };
                let Some(script) = suite.compiled.clone() else {
                    self.suite = Some(suite);
                    return Ok(false);
                };
                let out = {
                    let mut host = SuiteHost { suite: &suite };
                    let env = super::Envelope {
                        from: &self.env.from,
                        to: &self.env.to,
                        auth: self.env.auth.as_deref(),
                    };
                    // Scripts under test get the default limits; the test
                    // file itself runs with generous ones.
                    let limits = suite.limits();
                    let opts = super::RunOptions {
                        now: self.opts.now,
                        limits: &limits,
                    };
                    run(&script, msg!(self), env, &mut host, opts)
                };
                self.suite = Some(suite);
                if let Some(e) = &out.error {
                    let suite = self.suite_mut()?;
                    suite.errors = vec![e.to_string()];
                    return Ok(false);
                }
                self.suite_mut()?.errors = out.warnings.clone();
                if !append {
                    self.reset_result();
                    self.implicit_keep = false;
                    for p in out.actions {
                        if p.implicit {
                            self.implicit_keep = true;
                        } else {
                            self.actions.push(p);
                        }
                    }
                } else {
                    // As a later script of a sequence: duplicates once,
                    // the implicit keep only if no script cancelled it.
                    let mut keep = false;
                    for p in out.actions {
                        if p.implicit {
                            keep = true;
                        } else {
                            super::merge_action(&mut self.actions, p);
                        }
                    }
                    self.implicit_keep &= keep;
                }
                Ok(true)
            }
            "test_result_execute" => self.execute_result(),
            "test_multiscript" => {
                // Runs the scripts in sequence and executes the result.
                let paths: Vec<String> = call
                    .args
                    .iter()
                    .flat_map(|a| match a {
                        SuiteArg::Str(s) => vec![self.expand(s).into_owned()],
                        SuiteArg::List(l) => {
                            l.iter().map(|s| self.expand(s).into_owned()).collect()
                        }
                        _ => Vec::new(),
                    })
                    .collect();
                let Some(suite) = self.suite.take() else {
                    return Err(invalid(0, "testsuite test outside the harness".into()));
                };
                let limits = suite.limits();
                let mut scripts = Vec::new();
                let mut errors = Vec::new();
                for p in &paths {
                    let src = std::fs::read(suite.dir.join(p))
                        .map(|b| String::from_utf8_lossy(&b).into_owned());
                    match src.map_err(|e| e.to_string()).and_then(|src| {
                        crate::compile::compile_inner(&src, &limits, true, None)
                            .map_err(|e| e.to_string())
                    }) {
                        Ok(s) => scripts.push(s),
                        Err(e) => errors.push(format!("{p}: {e}")),
                    }
                }
                let out = if errors.is_empty() {
                    let refs: Vec<&Script> = scripts.iter().collect();
                    let mut host = SuiteHost { suite: &suite };
                    let env = super::Envelope {
                        from: &self.env.from,
                        to: &self.env.to,
                        auth: self.env.auth.as_deref(),
                    };
                    let opts = super::RunOptions {
                        now: self.opts.now,
                        limits: &limits,
                    };
                    Some(super::run_sequence(&refs, msg!(self), env, &mut host, opts))
                } else {
                    None
                };
                self.suite = Some(suite);
                let Some(out) = out else {
                    self.suite_mut()?.errors = errors;
                    return Ok(false);
                };
                if let Some(e) = &out.error {
                    self.suite_mut()?.errors = vec![e.to_string()];
                }
                self.reset_result();
                self.actions = out.actions;
                self.implicit_keep = false;
                let ok = self.execute_result()?;
                Ok(ok && out.error.is_none())
            }
            "test_message" => {
                let n = Self::suite_number(call).unwrap_or(0) as usize;
                let suite = self.suite_mut()?;
                if Self::suite_has_tag(call, "smtp") {
                    let Some(sent) = suite.smtp.get(n).cloned() else {
                        return Ok(false);
                    };
                    self.set_message(&sent.raw, 0)?;
                    self.env.from = sent.from;
                    self.env.to = sent.to;
                    self.env_paths = std::cell::OnceCell::new();
                } else {
                    let folder =
                        super::normalize_mailbox(&strings.first().cloned().unwrap_or_default());
                    let Some(m) = suite.folders.get(&folder).and_then(|f| f.get(n)).cloned() else {
                        return Ok(false);
                    };
                    self.set_message(&m.raw, 0)?;
                    // hasflag now sees the flags the message was stored with.
                    self.flags = m.flags;
                }
                Ok(true)
            }
            "test_error" => {
                let Some(m) = &call.m else { return Ok(false) };
                let errors = self.suite_mut()?.errors.clone();
                let values = match call.index {
                    Some(i) => errors
                        .get((i as usize).wrapping_sub(1))
                        .cloned()
                        .into_iter()
                        .collect(),
                    None => errors,
                };
                let keys = suite_keys(call);
                self.matches(m, &values, &keys)
            }
            "test_result_action" => {
                let Some(m) = &call.m else { return Ok(false) };
                // The implicit keep is not in the result until it runs.
                let names: Vec<String> = self
                    .actions
                    .iter()
                    .map(|p| action_name(p).to_string())
                    .collect();
                let values = match call.index {
                    Some(i) => names
                        .get((i as usize).wrapping_sub(1))
                        .cloned()
                        .into_iter()
                        .collect(),
                    None => names,
                };
                let keys = suite_keys(call);
                self.matches(m, &values, &keys)
            }
            other => Err(invalid(0, format!("unsupported testsuite test {other:?}"))),
        }
    }

    /// Carries out the result: stores into the suite's folders and
    /// records outgoing messages, then starts a fresh result. When a store
    /// fails, the original message goes to INBOX instead (the implicit
    /// keep that never loses mail).
    fn execute_result(&mut self) -> R<bool> {
        let final_raw = self.current_raw();
        let original_raw = msg!(self).raw_message.to_vec();
        let mut exec_errors: Vec<String> = Vec::new();
        let (done, keep_done) = self
            .suite
            .as_deref()
            .map_or((0, false), |s| (s.executed, s.keep_executed));
        let mut actions: Vec<Performed> = self.actions.iter().skip(done).cloned().collect();
        if self.implicit_keep && !keep_done {
            actions.push(Performed {
                action: Action::Keep {
                    flags: self.flags.clone(),
                },
                command: "implicit keep",
                copy: false,
                implicit: true,
                line: 0,
                why: String::new(),
                edited: self.edited.then(|| std::sync::Arc::new(final_raw.clone())),
            });
        }
        let sender = self.env.from.clone();
        let sender_bare = sender.trim().trim_matches(['<', '>']).to_string();
        let recipient = self.env.to.clone();
        let subject = msg!(self).subject().unwrap_or_default().to_string();
        let msgid = msg!(self).message_id().map(str::to_string);
        let header_raw = |name: &str| {
            self.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.raw.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        let header_all = |name: &str| -> Vec<String> {
            self.headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.raw.trim().to_string())
                .collect()
        };
        let orig_refs = header_raw("references");
        let sender_headers: Vec<String> = ["sender", "resent-from", "from"]
            .iter()
            .filter_map(|h| header_raw(h))
            .collect();
        let redirected_from = header_all("x-sieve-redirected-from");
        let has_attachment = has_attachment(msg!(self));
        let suite = self
            .suite
            .as_deref_mut()
            .ok_or_else(|| invalid(0, "no harness".into()))?;
        let setting = |k: &str| suite.settings.get(k).map(|v| v.trim().to_string());
        let user_email = setting("sieve_user_email").filter(|s| !s.is_empty());
        let orig_to = suite.orig_to.clone();
        let mut user_addresses: Vec<String> = user_email.iter().cloned().collect();
        if setting("sieve_vacation_use_original_recipient").as_deref() == Some("yes")
            && let Some(o) = &orig_to
        {
            user_addresses.push(o.clone());
        }
        let check_recipient = setting("sieve_vacation_check_recipient").as_deref() != Some("no")
            && setting("sieve_vacation_dont_check_recipient").as_deref() != Some("yes");
        let default_subject = setting("sieve_vacation_default_subject").filter(|s| !s.is_empty());
        let template = setting("sieve_vacation_default_subject_template").filter(|s| !s.is_empty());
        let send_from_recipient =
            setting("sieve_vacation_send_from_recipient").as_deref() == Some("yes");
        let ignore_envelope =
            setting("sieve_vacation_to_header_ignore_envelope").as_deref() == Some("yes");
        let domain = recipient
            .rsplit_once('@')
            .map_or("example.com", |(_, d)| d.trim_end_matches('>'))
            .to_string();
        let postmaster = format!("postmaster@{domain}");
        // The envelope sender of mail the result sends on the user's
        // behalf, as Pigeonhole's sieve_redirect_envelope_from and
        // sieve_notify_mailto_envelope_from settings choose it; the null
        // sender stays null.
        let out_sender = |setting: Option<String>, fallback: &str| -> String {
            if sender_bare.is_empty() {
                return String::new();
            }
            match setting.as_deref().map(str::trim) {
                Some("sender") => sender_bare.clone(),
                Some("recipient") => recipient.clone(),
                Some("orig_recipient") => orig_to.clone().unwrap_or_else(|| recipient.clone()),
                Some("user_email") => user_email.clone().unwrap_or_else(|| recipient.clone()),
                Some(v) if v.starts_with('<') && v.ends_with('>') => {
                    v[1..v.len() - 1].trim().to_string()
                }
                _ => fallback.to_string(),
            }
        };
        let redirect_from = out_sender(setting("sieve_redirect_envelope_from"), &sender_bare);
        let me = user_email.clone().unwrap_or_else(|| recipient.clone());
        let msg = msg!(self);
        let mut notified: Vec<String> = Vec::new();
        let mut stored_ok = true;
        let mut stores: Vec<(String, Stored)> = Vec::new();
        for p in actions {
            let raw = p.edited.as_deref().cloned().unwrap_or_else(|| {
                if self.edited {
                    final_raw.clone()
                } else {
                    original_raw.clone()
                }
            });
            match p.action {
                Action::Keep { flags } => stores.push((
                    "INBOX".into(),
                    Stored {
                        raw,
                        flags: with_attachment_flag(flags, has_attachment),
                    },
                )),
                Action::FileInto {
                    mailbox,
                    create,
                    flags,
                    ..
                } => {
                    let mailbox = super::normalize_mailbox(&mailbox);
                    // Like a real store: a bad name or a missing mailbox
                    // is an error unless :create asked for it.
                    if !valid_mailbox_name(&mailbox) {
                        exec_errors.push(format!(
                            "failed to store into mailbox '{mailbox}': Invalid mailbox name"
                        ));
                        stored_ok = false;
                        continue;
                    }
                    if !create && mailbox != "INBOX" && !suite.folders.contains_key(&mailbox) {
                        exec_errors.push(format!(
                            "failed to store into mailbox '{mailbox}': \
                             Mailbox doesn't exist: {mailbox}"
                        ));
                        stored_ok = false;
                        continue;
                    }
                    stores.push((
                        mailbox,
                        Stored {
                            raw,
                            flags: with_attachment_flag(flags, has_attachment),
                        },
                    ));
                }
                Action::Redirect { address } => {
                    // Loop protection: this user redirected it before.
                    if redirected_from.iter().any(|h| {
                        super::parse_addresses(h).iter().any(|a| {
                            a.eq_ignore_ascii_case(&me) || a.eq_ignore_ascii_case(&recipient)
                        })
                    }) {
                        continue;
                    }
                    let mut out = format!("X-Sieve-Redirected-From: {me}\r\n").into_bytes();
                    out.extend_from_slice(&raw);
                    suite.smtp.push(Sent {
                        from: redirect_from.clone(),
                        to: address,
                        raw: out,
                    });
                }
                Action::Reject { reason, .. } => {
                    if sender_bare.is_empty() {
                        continue;
                    }
                    suite.smtp.push(Sent {
                        from: String::new(),
                        to: sender_bare.clone(),
                        raw: format!(
                            "X-Sieve: Rampart Sieve\r\nFrom: Postmaster <{postmaster}>\r\n\
                             To: <{sender_bare}>\r\nSubject: Rejected: {subject}\r\n\
                             Auto-Submitted: auto-replied (rejected)\r\n\
                             Precedence: bulk\r\n\r\n{reason}\r\n"
                        )
                        .into_bytes(),
                    })
                }
                Action::Vacation(v) => {
                    let ctx = crate::autoreply::ReplyContext {
                        sender: &sender,
                        recipient: &recipient,
                        user_addresses: &user_addresses,
                        check_recipient,
                    };
                    if crate::autoreply::vacation_suppressed(msg, &ctx, &v.addresses).is_some() {
                        continue;
                    }
                    // RFC 5230 4.5: reply from the address the message
                    // was sent to.
                    let matched = crate::autoreply::vacation_reply_from(msg, &ctx, &v.addresses);
                    let header_from = v
                        .from
                        .clone()
                        .filter(|f| !f.is_empty())
                        .or_else(|| matched.clone())
                        .or(user_email.clone())
                        .unwrap_or_else(|| recipient.clone());
                    let env_from = if send_from_recipient {
                        matched.clone().unwrap_or_else(|| recipient.clone())
                    } else {
                        String::new()
                    };
                    let subj = match (&v.subject, &template, &default_subject) {
                        (Some(s), _, _) if !s.is_empty() => s.clone(),
                        (_, Some(t), _) if !subject.is_empty() => {
                            t.replace("%{subject}", &subject).replace("%s", &subject)
                        }
                        (_, _, Some(d)) if subject.is_empty() => d.clone(),
                        _ if subject.is_empty() => "Automated reply".into(),
                        _ => format!("Auto: {subject}"),
                    };
                    let subj = shorten(&subj, 256);
                    let to = reply_to_header(&sender_headers, &sender_bare, ignore_envelope);
                    let mut head = format!(
                        "X-Sieve: Rampart Sieve\r\nFrom: {header_from}\r\nTo: {to}\r\n\
                         Subject: {}\r\n",
                        encode_header_text(&subj)
                    );
                    if let Some(id) = &msgid {
                        let refs = match &orig_refs {
                            Some(r) => format!("{r} <{id}>"),
                            None => format!("<{id}>"),
                        };
                        head.push_str(&format!("In-Reply-To: <{id}>\r\nReferences: {refs}\r\n"));
                    } else if let Some(r) = &orig_refs {
                        head.push_str(&format!("References: {r}\r\n"));
                    }
                    head.push_str(
                        "Auto-Submitted: auto-replied (vacation)\r\nPrecedence: bulk\r\n\
                         X-Auto-Response-Suppress: All\r\n",
                    );
                    let raw = if v.mime {
                        format!("{head}MIME-Version: 1.0\r\n{}\r\n", v.reason)
                    } else {
                        format!(
                            "{head}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
                             Content-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
                            v.reason
                        )
                    };
                    suite.smtp.push(Sent {
                        from: env_from,
                        to: sender_bare.clone(),
                        raw: raw.into_bytes(),
                    });
                }
                Action::Notify(n) => {
                    // RFC 5436 2.7: never notify about automatic mail.
                    if header_is_auto(msg) {
                        continue;
                    }
                    let uri = crate::report::Mailto::parse(&n.method);
                    // Each address gets one notification per result.
                    let mut fresh = |list: &[String]| -> Vec<String> {
                        let mut out = Vec::new();
                        for a in list {
                            let bare = super::parse_addresses(a)
                                .into_iter()
                                .next()
                                .unwrap_or_else(|| a.trim().to_string());
                            if !notified.iter().any(|x| x.eq_ignore_ascii_case(&bare)) {
                                notified.push(bare);
                                out.push(a.clone());
                            }
                        }
                        out
                    };
                    let to_list = fresh(&uri.to);
                    let cc_list = fresh(&uri.cc);
                    if to_list.is_empty() && cc_list.is_empty() {
                        continue;
                    }
                    let subj = n
                        .message
                        .clone()
                        .or(uri.subject.clone())
                        .unwrap_or_else(|| format!("[SIEVE] New mail from {sender_bare}"));
                    let subj = shorten(&subj, 256);
                    let from_hdr = n
                        .from
                        .clone()
                        .or(user_email.clone())
                        .unwrap_or_else(|| postmaster.clone());
                    let fallback = n
                        .from
                        .as_deref()
                        .map(|f| {
                            super::parse_addresses(f)
                                .into_iter()
                                .next()
                                .unwrap_or_else(|| f.trim().to_string())
                        })
                        .unwrap_or_else(|| postmaster.clone());
                    let env_from =
                        out_sender(setting("sieve_notify_mailto_envelope_from"), &fallback);
                    let mut head = format!("X-Sieve: Rampart Sieve\r\nFrom: {from_hdr}\r\n");
                    if !to_list.is_empty() {
                        head.push_str(&format!("To: {}\r\n", to_list.join(", ")));
                    }
                    if !cc_list.is_empty() {
                        head.push_str(&format!("Cc: {}\r\n", cc_list.join(", ")));
                    }
                    let (priority, importance) = match n.importance {
                        1 => ("1 (Highest)", "high"),
                        3 => ("5 (Lowest)", "low"),
                        _ => ("3 (Normal)", "normal"),
                    };
                    head.push_str(&format!(
                        "Subject: {}\r\nX-Priority: {priority}\r\nImportance: {importance}\r\n\
                         Auto-Submitted: auto-notified\r\nPrecedence: bulk\r\n\r\nNotification\r\n",
                        encode_header_text(&subj)
                    ));
                    for to in to_list.iter().chain(&cc_list) {
                        let bare = super::parse_addresses(to)
                            .into_iter()
                            .next()
                            .unwrap_or_else(|| to.trim().to_string());
                        suite.smtp.push(Sent {
                            from: env_from.clone(),
                            to: bare,
                            raw: head.clone().into_bytes(),
                        });
                    }
                }
                Action::Discard => {}
            }
        }
        if stored_ok {
            for (mb, st) in stores {
                suite.folders.entry(mb).or_default().push(st);
            }
        } else {
            // A failed store: the message is kept, unchanged.
            suite
                .folders
                .entry("INBOX".into())
                .or_default()
                .push(Stored {
                    raw: original_raw,
                    flags: with_attachment_flag(Vec::new(), has_attachment),
                });
        }
        let ok = exec_errors.is_empty();
        if !ok {
            suite.errors = exec_errors;
        }
        suite.executed = self.actions.len();
        suite.keep_executed |= self.implicit_keep;
        Ok(ok)
    }
}

/// Dovecot's attachment detection marks stored mail with
/// `$HasAttachment` or `$HasNoAttachment`.
fn with_attachment_flag(mut flags: Vec<String>, has: bool) -> Vec<String> {
    let kw = if has {
        "$HasAttachment"
    } else {
        "$HasNoAttachment"
    };
    if !flags.iter().any(|f| f.eq_ignore_ascii_case(kw)) {
        flags.push(kw.into());
    }
    flags
}

fn has_attachment(msg: &Message<'_>) -> bool {
    use mail_parser::MimeHeaders;
    msg.parts.iter().skip(1).any(|p| {
        p.content_disposition()
            .is_some_and(|d| d.c_type.eq_ignore_ascii_case("attachment"))
    })
}

/// A mailbox name the store accepts: UTF-8, no empty hierarchy level.
fn valid_mailbox_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('\u{FFFD}')
        && !name.chars().any(char::is_control)
        && name.split(['.', '/']).all(|p| !p.is_empty())
}

/// The To header of a vacation reply: the sender header that names the
/// envelope sender (or the first one, when the envelope is ignored),
/// with its display name; else the bare envelope sender.
fn reply_to_header(headers: &[String], sender: &str, ignore_envelope: bool) -> String {
    for h in headers {
        let mut buf = h.trim_end_matches(['\r', '\n']).to_string();
        buf.push_str("\r\n");
        let v = mail_parser::parsers::MessageStream::new(buf.as_bytes()).parse_address();
        if let mail_parser::HeaderValue::Address(list) = v {
            for a in list.iter() {
                let Some(addr) = a.address() else { continue };
                if !addr.contains('@') {
                    continue;
                }
                if ignore_envelope || addr.eq_ignore_ascii_case(sender) {
                    return match a.name() {
                        Some(n) if !n.is_empty() => {
                            format!(
                                "\"{}\" <{addr}>",
                                n.replace('\\', "\\\\").replace('"', "\\\"")
                            )
                        }
                        _ => format!("<{addr}>"),
                    };
                }
            }
        }
    }
    format!("<{sender}>")
}

/// RFC 2047 encoded-words for a header text with non-ASCII characters.
fn encode_header_text(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut words = Vec::new();
    let mut cur = String::new();
    for ch in s.chars() {
        let mut enc = String::new();
        let mut buf = [0u8; 4];
        for b in ch.encode_utf8(&mut buf).bytes() {
            if b.is_ascii_alphanumeric() {
                enc.push(b as char);
            } else if b == b' ' {
                enc.push('_');
            } else {
                enc.push_str(&format!("={b:02X}"));
            }
        }
        if cur.len() + enc.len() > 60 {
            words.push(format!("=?utf-8?q?{cur}?="));
            cur.clear();
        }
        cur.push_str(&enc);
    }
    if !cur.is_empty() {
        words.push(format!("=?utf-8?q?{cur}?="));
    }
    words.join("\r\n ")
}

/// The includes with constant names in a script body, in order:
/// (name, global, once, optional).
fn static_includes(body: &[crate::ir::Stmt]) -> Vec<(String, bool, bool, bool)> {
    use crate::ir::Cmd;
    let mut out = Vec::new();
    for st in body {
        match &st.cmd {
            Cmd::Include {
                global,
                once,
                optional,
                name,
            } if !name.vars => out.push((name.text.clone(), *global, *once, *optional)),
            Cmd::If {
                branches,
                otherwise,
            } => {
                for (_, b) in branches {
                    out.extend(static_includes(b));
                }
                if let Some(b) = otherwise {
                    out.extend(static_includes(b));
                }
            }
            Cmd::ForEveryPart { body, .. } => out.extend(static_includes(body)),
            _ => {}
        }
    }
    out
}

/// Auto-Submitted present with a value other than `no`.
fn header_is_auto(msg: &Message<'_>) -> bool {
    msg.parts.first().is_some_and(|p| {
        p.headers.iter().any(|h| {
            h.name.as_str().eq_ignore_ascii_case("auto-submitted")
                && h.value
                    .as_text()
                    .is_none_or(|v| !v.trim().eq_ignore_ascii_case("no"))
        })
    })
}

/// Cuts a header text to `max` characters, the last one an ellipsis
/// (as Pigeonhole's str_sanitize_utf8).
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('\u{2026}');
    out
}

/// The key list of `test_error` / `test_result_action`.
fn suite_keys(call: &SuiteCall) -> Vec<VStr> {
    call.args
        .iter()
        .flat_map(|a| match a {
            SuiteArg::Str(s) => vec![s.clone()],
            SuiteArg::List(l) => l.to_vec(),
            _ => Vec::new(),
        })
        .collect()
}
