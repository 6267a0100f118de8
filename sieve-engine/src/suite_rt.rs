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
    folders: HashMap<String, Vec<Vec<u8>>>,
    binaries: HashMap<String, Script>,
    orig_to: Option<String>,
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

    /// A numeric setting from `test_config_set`.
    pub(crate) fn setting_usize(&self, key: &str) -> Option<usize> {
        self.settings.get(key)?.trim().parse().ok()
    }

    pub(crate) fn mailbox_exists(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case("INBOX") || self.folders.contains_key(name)
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
}

fn invalid(line: u32, message: String) -> RuntimeError {
    RuntimeError::Invalid { line, message }
}

/// The action names Pigeonhole's `test_result_action` compares.
fn action_name(a: &Action) -> &'static str {
    match a {
        Action::Keep { .. } => "keep",
        Action::FileInto { .. } => "store",
        Action::Redirect { .. } => "redirect",
        Action::Reject { .. } => "reject",
        Action::Discard => "discard",
        Action::Vacation(_) => "vacation",
        Action::Notify(_) => "notify",
    }
}

impl Run<'_, '_> {
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
        self.headers = message_headers(&parsed);
        self.edited = empty;
        if empty {
            self.headers.clear();
        }
        self.owned_msg = Some(Box::new(parsed));
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
                    }
                    "envelope.from" => self.env.from = value,
                    "envelope.to" => self.env.to = value,
                    "envelope.orig_to" => {
                        self.suite_mut()?.orig_to = Some(value.trim_matches(['<', '>']).into())
                    }
                    "envelope.auth" => self.env.auth = Some(value),
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
            // Settings apply as soon as they are set.
            "test_config_reload" | "test_result_print" => {}
            "test_result_reset" => {
                self.reset_result();
                self.suite_mut()?.smtp.clear();
            }
            "test_mailbox_create" => {
                self.suite_mut()?.folders.entry(arg(0)).or_default();
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
            // Tests used as commands: a false result is an error.
            "test_message" | "test_result_execute" | "test_script_run" | "test_script_compile" => {
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
                match crate::compile::compile_with(&src, self.opts.limits) {
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
                        suite.errors.extend(e.errors.iter().map(|d| d.to_string()));
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
                    let limits = crate::Limits::default();
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
                if !append {
                    self.actions.clear();
                    self.implicit_keep = false;
                }
                for p in out.actions {
                    if p.implicit {
                        self.implicit_keep = true;
                    } else {
                        self.actions.push(p);
                    }
                }
                Ok(true)
            }
            "test_result_execute" => self.execute_result(),
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
                } else {
                    let folder = strings.first().cloned().unwrap_or_default();
                    let Some(raw) = suite.folders.get(&folder).and_then(|f| f.get(n)).cloned()
                    else {
                        return Ok(false);
                    };
                    self.set_message(&raw, 0)?;
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
                let mut names: Vec<String> = self
                    .actions
                    .iter()
                    .map(|p| action_name(&p.action).to_string())
                    .collect();
                if self.implicit_keep {
                    names.push("keep".into());
                }
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
    /// records outgoing messages, then starts a fresh result.
    fn execute_result(&mut self) -> R<bool> {
        let raw = self.current_raw();
        let mut exec_errors: Vec<String> = Vec::new();
        let mut actions: Vec<Performed> = std::mem::take(&mut self.actions);
        if self.implicit_keep {
            actions.push(Performed {
                action: Action::Keep {
                    flags: self.flags.clone(),
                },
                copy: false,
                implicit: true,
                line: 0,
                why: String::new(),
            });
        }
        let sender = self.env.from.clone();
        let recipient = self.env.to.clone();
        let subject = msg!(self).subject().unwrap_or_default().to_string();
        let msgid = msg!(self).message_id().map(str::to_string);
        let header_raw = |name: &str| {
            self.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| h.raw.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        let orig_from = header_raw("from").map(|raw| {
            let addrs = super::parse_addresses(&raw);
            (raw, addrs)
        });
        let orig_refs = header_raw("references");
        let suite = self
            .suite
            .as_deref_mut()
            .ok_or_else(|| invalid(0, "no harness".into()))?;
        let setting = |k: &str| suite.settings.get(k).cloned();
        let user_email = setting("sieve_user_email");
        let mut user_addresses: Vec<String> = user_email.iter().cloned().collect();
        if setting("sieve_vacation_use_original_recipient").as_deref() == Some("yes")
            && let Some(o) = &suite.orig_to
        {
            user_addresses.push(o.clone());
        }
        let check_recipient = setting("sieve_vacation_check_recipient").as_deref() != Some("no");
        let default_subject = setting("sieve_vacation_default_subject").filter(|s| !s.is_empty());
        let template = setting("sieve_vacation_default_subject_template").filter(|s| !s.is_empty());
        let msg = msg!(self);
        for p in actions {
            match p.action {
                Action::Keep { .. } => suite
                    .folders
                    .entry("INBOX".into())
                    .or_default()
                    .push(raw.clone()),
                Action::FileInto {
                    mailbox, create, ..
                } => {
                    // Like a real store: a missing mailbox is an error
                    // unless :create asked for it.
                    if !create && !suite.folders.contains_key(&mailbox) {
                        exec_errors.push(format!(
                            "failed to store into mailbox '{mailbox}': \
                             Mailbox doesn't exist: {mailbox}"
                        ));
                        continue;
                    }
                    suite.folders.entry(mailbox).or_default().push(raw.clone())
                }
                Action::Redirect { address } => suite.smtp.push(Sent {
                    from: sender.clone(),
                    to: address,
                    raw: raw.clone(),
                }),
                Action::Reject { reason, .. } => suite.smtp.push(Sent {
                    from: String::new(),
                    to: sender.clone(),
                    raw: format!(
                        "From: Mail Delivery Subsystem <MAILER-DAEMON@localhost>\r\n\
                         To: <{sender}>\r\nSubject: Rejected: {subject}\r\n\
                         Auto-Submitted: auto-replied (rejected)\r\n\r\n{reason}\r\n"
                    )
                    .into_bytes(),
                }),
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
                    let from = v
                        .from
                        .clone()
                        .or(user_email.clone())
                        .unwrap_or_else(|| recipient.clone());
                    let subj = match (&v.subject, &template, &default_subject) {
                        (Some(s), _, _) => s.clone(),
                        (None, Some(t), _) => t.replace("%{subject}", &subject),
                        (None, None, Some(d)) if subject.is_empty() => d.clone(),
                        (None, None, _) if subject.is_empty() => "Automated reply".into(),
                        (None, None, _) => shorten(&format!("Auto: {subject}"), 256),
                    };
                    // Reply to the From header when it names the sender,
                    // keeping its display name.
                    let bare = sender.trim().trim_matches(['<', '>']);
                    let to = orig_from
                        .as_ref()
                        .filter(|(_, addrs)| addrs.iter().any(|a| a.eq_ignore_ascii_case(bare)))
                        .map_or_else(|| format!("<{bare}>"), |(raw, _)| raw.clone());
                    let mut head = format!(
                        "X-Sieve: Rampart Sieve\r\nFrom: {from}\r\nTo: {to}\r\n\
                         Subject: {subj}\r\n\
                         Auto-Submitted: auto-replied (vacation)\r\nPrecedence: bulk\r\n"
                    );
                    if let Some(id) = &msgid {
                        let refs = match &orig_refs {
                            Some(r) => format!("{r} <{id}>"),
                            None => format!("<{id}>"),
                        };
                        head.push_str(&format!("In-Reply-To: <{id}>\r\nReferences: {refs}\r\n"));
                    }
                    let raw = if v.mime {
                        format!("{head}MIME-Version: 1.0\r\n{}", v.reason)
                    } else {
                        format!(
                            "{head}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                            v.reason
                        )
                    };
                    suite.smtp.push(Sent {
                        from: String::new(),
                        to: sender.clone(),
                        raw: raw.into_bytes(),
                    });
                }
                Action::Notify(n) => {
                    // RFC 5436 2.7: never notify about automatic mail.
                    if header_is_auto(msg) {
                        continue;
                    }
                    let uri = crate::report::Mailto::parse(&n.method);
                    let subj = n
                        .message
                        .clone()
                        .or(uri.subject.clone())
                        .unwrap_or_else(|| format!("[SIEVE] New mail from {sender}"));
                    let subj = shorten(&subj, 256);
                    let from = n.from.clone().unwrap_or_else(|| recipient.clone());
                    let domain = recipient.rsplit_once('@').map_or("localhost", |(_, d)| d);
                    let mut head = format!(
                        "X-Sieve: Rampart Sieve\r\nFrom: {from}\r\nTo: {}\r\n",
                        uri.to.join(", ")
                    );
                    if !uri.cc.is_empty() {
                        head.push_str(&format!("Cc: {}\r\n", uri.cc.join(", ")));
                    }
                    let (priority, importance) = match n.importance {
                        1 => ("1 (Highest)", "high"),
                        3 => ("5 (Lowest)", "low"),
                        _ => ("3 (Normal)", "normal"),
                    };
                    head.push_str(&format!(
                        "Subject: {subj}\r\nX-Priority: {priority}\r\nImportance: {importance}\r\n\
                         Auto-Submitted: auto-notified\r\n\r\nNotification\r\n"
                    ));
                    for to in uri.to.iter().chain(&uri.cc) {
                        suite.smtp.push(Sent {
                            from: format!("postmaster@{domain}"),
                            to: to.clone(),
                            raw: head.clone().into_bytes(),
                        });
                    }
                }
                Action::Discard => {}
            }
        }
        let ok = exec_errors.is_empty();
        if !ok {
            suite.errors = exec_errors;
        }
        self.reset_result();
        Ok(ok)
    }
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

/// Cuts a header text to about `max` bytes at a character boundary and
/// marks the cut with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\u{2026}", &s[..end])
}

/// The key list of `test_error` / `test_result_action`.
fn suite_keys(call: &SuiteCall) -> Vec<VStr> {
    call.args
        .iter()
        .flat_map(|a| match a {
            SuiteArg::Str(s) => vec![s.clone()],
            SuiteArg::List(l) => l.clone(),
            _ => Vec::new(),
        })
        .collect()
}
