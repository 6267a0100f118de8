//! SpamAssassin-style weighted scoring.
//!
//! A [`Scorer`] holds a compiled rule set: rules over headers, the
//! decoded body text, the raw (undecoded-markup) body, URIs and the
//! whole message, all regular expressions with linear-time matching
//! ([`regex_automata::meta::Regex`]); built-in checks (`eval:` rules);
//! meta rules over other rules; characteristics the caller supplies
//! ([`Facts`]: DNSBL listings, SPF, DKIM, virus results); and the Bayes
//! probability as banded rules (`BAYES_00` … `BAYES_99`).
//!
//! [`Scorer::default`] loads the documented default rule set
//! ([`DEFAULT_RULES`]). [`ScorerBuilder`] adds SpamAssassin-syntax
//! configuration (`score RULE 1.5`, `required_score 6`, new `header`,
//! `body`, `rawbody`, `uri`, `full` and `meta` rules, `describe`) or
//! the TOML form, and reports what it ignored as [`ConfigWarning`]s.
//!
//! ```
//! use rampart_spam_bayes::{Facts, ScorerBuilder};
//!
//! let scorer = ScorerBuilder::new()
//!     .cf("score MISSING_DATE 2.5\nrequired_score 4.0\n")?
//!     .toml("[scores]\nBAYES_99 = 4.0\n")?
//!     .build()?;
//! let msg = b"From: a@example.com\r\nSubject: hello\r\n\r\nhi\r\n";
//! let report = scorer.score(msg, Some(0.995), &Facts::new());
//! assert!(report.hit("MISSING_DATE") && report.hit("BAYES_99"));
//! assert!(report.is_spam);
//! assert!(report.status_header().starts_with("Yes, score="));
//! # Ok::<(), rampart_spam_bayes::ConfigError>(())
//! ```
//!
//! ## Rule language
//!
//! The SpamAssassin subset understood, one directive per line, `#`
//! starting a comment when it begins the line or follows white space
//! (write `\#` for a literal `#` there):
//!
//! - `header NAME Field =~ /re/flags [if-unset: TEXT]` and `!~`. `Field`
//!   is a header name (all occurrences, decoded, joined by newlines),
//!   `Name:raw` (undecoded), `Name:addr` (the addresses), `Name:name`
//!   (the display names), `ALL` (every header as `Name: value` lines),
//!   `ToCc` or `MESSAGEID`. A missing header matches as the empty string
//!   unless `if-unset` says otherwise.
//! - `header NAME exists:Field`.
//! - `body NAME /re/flags`: the subject line and decoded text parts,
//!   HTML rendered to text. `rawbody`: decoded text parts with HTML kept.
//!   `uri`: each link in the message on its own. `full`: the raw
//!   message.
//! - `meta NAME expression` over other rules, e.g.
//!   `(A + B + C) >= 2 && !D`.
//! - `RULETYPE NAME eval:function(args)`: a built-in check, see below.
//! - `score NAME S` (or four scores, of which the last, SpamAssassin's
//!   Bayes-and-network set, is used), `describe NAME text`,
//!   `required_score S` (alias `required_hits`).
//!
//! Regular expressions may be written `/re/` or `m{re}` (any
//! punctuation delimiter), with flags `i`, `m`, `s`, `x`. They use the
//! `regex` crate's syntax, which is Perl's minus look-around and
//! backreferences; a pattern using those is a configuration error.
//! Rules named `__NAME` are sub-rules for metas: score 0, not reported.
//! A rule with no `score` line weighs 1.0.
//!
//! Built-in checks: `check_bayes(lo, hi)` (Bayes probability in
//! `[lo, hi)`, `hi` 1 inclusive), `fact(NAME)` (caller-supplied fact,
//! default the rule's own name), `missing_header(Name)`,
//! `date_invalid()`, `date_offset(lo_hours, hi_hours)` (Date minus the
//! receive time: the date of the newest `Received` header, else
//! [`Facts::now`]; `inf`/`-inf` allowed),
//! `subject_all_caps()`, `html_message()`, `html_only()`,
//! `html_image_only(max_chars)`, `html_link_mismatch()`,
//! `base64_text()`, `empty_body()`, `unparsed()`.
//!
//! Directives this scorer does not implement (`tflags`, `report_safe`,
//! `loadplugin`, plugin evals, ...) are skipped with a warning, so an
//! existing `local.cf` loads; malformed directives it does implement
//! are errors.

mod meta;
mod view;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

use meta::Expr;
pub use view::ScanLimits;
use view::View;

/// The default rule set, in SpamAssassin syntax, compiled into the crate.
pub const DEFAULT_RULES: &str = include_str!("default.cf");

/// What the caller knows about a message beyond its bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    names: BTreeSet<String>,
    now: Option<i64>,
}

impl Facts {
    /// No facts.
    pub fn new() -> Self {
        Facts::default()
    }

    /// Marks a fact as true, e.g. `RCVD_IN_XBL` after a DNSBL lookup or
    /// `VIRUS_FOUND` after a scan. It counts when a rule
    /// `eval:fact(NAME)` exists.
    pub fn set(&mut self, name: &str) -> &mut Self {
        self.names.insert(name.to_owned());
        self
    }

    /// Builder form of [`Facts::set`].
    pub fn with(mut self, name: &str) -> Self {
        self.set(name);
        self
    }

    /// The time the message was received, in seconds since the Unix
    /// epoch, for the `date_offset` checks when the message has no dated
    /// `Received` header (without either they never hit).
    pub fn now(mut self, unix_seconds: i64) -> Self {
        self.now = Some(unix_seconds);
        self
    }

    /// Whether a fact is set.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// A configuration error, with the line it is on (1-based, 0 when the
/// error is not tied to a line).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("rule config line {line}: {message}")]
pub struct ConfigError {
    /// Line number in the text that was being read.
    pub line: usize,
    /// What is wrong, with the offending text.
    pub message: String,
}

/// Something in the configuration that was understood but not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    /// Line number (0 when not tied to a line).
    pub line: usize,
    /// What was skipped and why.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Decoded,
    Raw,
    Addr,
    Name,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Field {
    Named(String, Mode),
    All,
    ToCc,
    MessageId,
}

#[derive(Debug, Clone, PartialEq)]
enum Eval {
    Bayes(f64, f64),
    Fact(String),
    MissingHeader(String),
    DateInvalid,
    DateOffset(f64, f64),
    SubjectAllCaps,
    HtmlMessage,
    HtmlOnly,
    HtmlImageOnly(usize),
    HtmlLinkMismatch,
    Base64Text,
    EmptyBody,
    Unparsed,
    /// A plugin check this scorer does not have: never hits.
    Unknown,
}

#[derive(Debug, Clone)]
enum Kind {
    Header {
        field: Field,
        regex: Box<Regex>,
        negate: bool,
        if_unset: Option<String>,
    },
    Exists(String),
    Body(Box<Regex>),
    RawBody(Box<Regex>),
    Uri(Box<Regex>),
    Full(Box<Regex>),
    Eval(Eval),
    Meta(Expr),
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    kind: Kind,
    score: f64,
    describe: String,
}

/// Builds a [`Scorer`] from the default rules plus configuration text.
#[derive(Debug, Clone)]
pub struct ScorerBuilder {
    rules: Vec<Rule>,
    index: HashMap<String, usize>,
    scores: BTreeMap<String, (f64, usize)>,
    describes: BTreeMap<String, String>,
    required: f64,
    limits: ScanLimits,
    warnings: Vec<ConfigWarning>,
}

impl Default for ScorerBuilder {
    fn default() -> Self {
        ScorerBuilder::new()
    }
}

impl ScorerBuilder {
    /// A builder holding the default rule set ([`DEFAULT_RULES`]).
    pub fn new() -> Self {
        ScorerBuilder::empty()
            .cf(DEFAULT_RULES)
            .expect("the default rule set is valid")
    }

    /// A builder with no rules and a required score of 5.0.
    pub fn empty() -> Self {
        ScorerBuilder {
            rules: Vec::new(),
            index: HashMap::new(),
            scores: BTreeMap::new(),
            describes: BTreeMap::new(),
            required: 5.0,
            limits: ScanLimits::default(),
            warnings: Vec::new(),
        }
    }

    /// Reads SpamAssassin-syntax configuration (`local.cf`). Later
    /// definitions of a rule replace earlier ones.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for a malformed directive this scorer
    /// implements (bad regex, bad number, bad meta expression).
    pub fn cf(mut self, text: &str) -> Result<Self, ConfigError> {
        for (n, line) in text.lines().enumerate() {
            self.directive(n + 1, line)?;
        }
        Ok(self)
    }

    /// Reads the TOML form:
    ///
    /// ```toml
    /// required_score = 6.0
    /// rules = """
    /// body LOCAL_OFFER /special offer/i
    /// """
    /// [scores]
    /// BAYES_99 = 4.0
    /// LOCAL_OFFER = 0.5
    /// [describe]
    /// LOCAL_OFFER = "Mentions a special offer"
    /// ```
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] for invalid TOML, values of the wrong type, or
    /// errors in the `rules` text.
    pub fn toml(mut self, text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| ConfigError {
            line: 0,
            message: format!("invalid TOML: {}", e.message()),
        })?;
        let number = |key: &str, v: &toml::Value| -> Result<f64, ConfigError> {
            match v {
                toml::Value::Float(f) if f.is_finite() => Ok(*f),
                toml::Value::Integer(i) => Ok(*i as f64),
                _ => Err(ConfigError {
                    line: 0,
                    message: format!("{key} must be a number"),
                }),
            }
        };
        for (key, value) in &table {
            match (key.as_str(), value) {
                ("required_score", v) => self.required = number(key, v)?,
                ("rules", toml::Value::String(s)) => self = self.cf(s)?,
                ("scores", toml::Value::Table(t)) => {
                    for (name, v) in t {
                        let s = number(name, v)?;
                        self.scores.insert(name.clone(), (s, 0));
                    }
                }
                ("describe", toml::Value::Table(t)) => {
                    for (name, v) in t {
                        let toml::Value::String(d) = v else {
                            return Err(ConfigError {
                                line: 0,
                                message: format!("describe.{name} must be a string"),
                            });
                        };
                        self.describes.insert(name.clone(), d.clone());
                    }
                }
                _ => self.warnings.push(ConfigWarning {
                    line: 0,
                    message: format!("unknown TOML key {key:?} ignored"),
                }),
            }
        }
        Ok(self)
    }

    /// Sets the score at or above which a message is spam.
    pub fn required_score(mut self, score: f64) -> Self {
        self.required = score;
        self
    }

    /// Sets how much of a message is read.
    pub fn limits(mut self, limits: ScanLimits) -> Self {
        self.limits = limits;
        self
    }

    /// What has been skipped so far.
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

    fn directive(&mut self, line_no: usize, line: &str) -> Result<(), ConfigError> {
        let err = |message: String| ConfigError {
            line: line_no,
            message,
        };
        let line = strip_comment(line);
        let line = line.trim();
        if line.is_empty() {
            return Ok(());
        }
        let (keyword, rest) = split_word(line);
        let keyword = keyword.to_ascii_lowercase();
        match keyword.as_str() {
            "required_score" | "required_hits" => {
                self.required = parse_num(rest.trim()).map_err(err)?;
            }
            "score" => {
                let (name, values) = split_word(rest);
                check_name(name).map_err(err)?;
                let nums = values
                    .split_whitespace()
                    .map(parse_num)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(err)?;
                let s = match nums.as_slice() {
                    [s] | [_, _, _, s] => *s,
                    _ => return Err(err(format!("score {name} needs 1 or 4 numbers"))),
                };
                self.scores.insert(name.to_owned(), (s, line_no));
            }
            "describe" => {
                let (name, text) = split_word(rest);
                check_name(name).map_err(err)?;
                self.describes
                    .insert(name.to_owned(), text.trim().to_owned());
            }
            "header" | "body" | "rawbody" | "uri" | "full" | "meta" => {
                let (name, def) = split_word(rest);
                check_name(name).map_err(err)?;
                let def = def.trim();
                if def.is_empty() {
                    return Err(err(format!("{keyword} {name} has no definition")));
                }
                let kind = self
                    .rule_kind(&keyword, name, def, line_no)
                    .map_err(|m| err(format!("{keyword} {name}: {m}")))?;
                self.define(name, kind);
            }
            _ => self.warnings.push(ConfigWarning {
                line: line_no,
                message: format!("directive {keyword:?} not supported, ignored"),
            }),
        }
        Ok(())
    }

    fn define(&mut self, name: &str, kind: Kind) {
        let rule = Rule {
            name: name.to_owned(),
            kind,
            score: if name.starts_with("__") { 0.0 } else { 1.0 },
            describe: String::new(),
        };
        match self.index.get(name) {
            Some(&i) => self.rules[i] = rule,
            None => {
                self.index.insert(name.to_owned(), self.rules.len());
                self.rules.push(rule);
            }
        }
    }

    fn rule_kind(
        &mut self,
        keyword: &str,
        name: &str,
        def: &str,
        line_no: usize,
    ) -> Result<Kind, String> {
        if keyword == "meta" {
            return Expr::parse(def).map(Kind::Meta);
        }
        if let Some(call) = def.strip_prefix("eval:") {
            let eval = parse_eval(name, call)?;
            if eval == Eval::Unknown {
                self.warnings.push(ConfigWarning {
                    line: line_no,
                    message: format!("{name}: check {call:?} not available, rule never hits"),
                });
            }
            return Ok(Kind::Eval(eval));
        }
        if keyword != "header" {
            let (re, rest) = parse_regex(def)?;
            if !rest.trim().is_empty() {
                return Err(format!(
                    "unexpected text after the pattern: {:?}",
                    rest.trim()
                ));
            }
            return Ok(match keyword {
                "body" => Kind::Body(re),
                "rawbody" => Kind::RawBody(re),
                "uri" => Kind::Uri(re),
                _ => Kind::Full(re),
            });
        }
        if let Some(h) = def.strip_prefix("exists:") {
            let h = h.trim();
            check_header_name(h)?;
            return Ok(Kind::Exists(h.to_owned()));
        }
        let (field, rest) = split_word(def);
        let field = parse_field(field)?;
        let rest = rest.trim_start();
        let negate = if let Some(r) = rest.strip_prefix("=~") {
            let _ = r;
            false
        } else if rest.starts_with("!~") {
            true
        } else {
            return Err(format!(
                "expected =~ or !~ after the header, found {rest:?}"
            ));
        };
        let (regex, tail) = parse_regex(rest[2..].trim_start())?;
        let tail = tail.trim();
        let if_unset = if tail.is_empty() {
            None
        } else if let Some(v) = tail
            .strip_prefix("[if-unset:")
            .and_then(|t| t.strip_suffix(']'))
        {
            Some(v.trim().to_owned())
        } else {
            return Err(format!("unexpected text after the pattern: {tail:?}"));
        };
        Ok(Kind::Header {
            field,
            regex,
            negate,
            if_unset,
        })
    }

    /// Compiles the rule set.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] when meta rules refer to each other in a cycle.
    pub fn build(mut self) -> Result<Scorer, ConfigError> {
        for (name, (score, line)) in std::mem::take(&mut self.scores) {
            match self.index.get(&name) {
                Some(&i) => self.rules[i].score = score,
                None => self.warnings.push(ConfigWarning {
                    line,
                    message: format!("score for undefined rule {name} ignored"),
                }),
            }
        }
        for (name, text) in std::mem::take(&mut self.describes) {
            if let Some(&i) = self.index.get(&name) {
                self.rules[i].describe = text;
            }
        }
        // Resolve meta names; note the unknown ones.
        let index = self.index.clone();
        let mut unknown = BTreeSet::new();
        for rule in &mut self.rules {
            if let Kind::Meta(e) = &mut rule.kind {
                let mut names = Vec::new();
                e.names(&mut names);
                for n in names {
                    if !index.contains_key(n) {
                        unknown.insert((rule.name.clone(), n.to_owned()));
                    }
                }
                e.resolve(&|n| index.get(n).copied());
            }
        }
        for (rule, name) in unknown {
            self.warnings.push(ConfigWarning {
                line: 0,
                message: format!("meta {rule} refers to undefined rule {name}, counted as 0"),
            });
        }
        let order = meta_order(&self.rules)?;
        Ok(Scorer {
            rules: self.rules,
            metas: order,
            required: self.required,
            limits: self.limits,
            warnings: self.warnings,
        })
    }
}

/// Metas in an order where each comes after the metas it uses.
fn meta_order(rules: &[Rule]) -> Result<Vec<usize>, ConfigError> {
    fn deps(e: &Expr, out: &mut Vec<usize>) {
        match e {
            Expr::Rule(i) => out.push(*i),
            Expr::Not(e) | Expr::Neg(e) => deps(e, out),
            Expr::Bin(_, a, b) => {
                deps(a, out);
                deps(b, out);
            }
            Expr::Num(_) | Expr::Name(_) => {}
        }
    }
    // 0 = unvisited, 1 = on the stack, 2 = done. Iterative DFS.
    let mut state = vec![0u8; rules.len()];
    let mut order = Vec::new();
    for start in 0..rules.len() {
        if !matches!(rules[start].kind, Kind::Meta(_)) || state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> = Vec::new();
        state[start] = 1;
        let mut d = Vec::new();
        if let Kind::Meta(e) = &rules[start].kind {
            deps(e, &mut d);
        }
        stack.push((start, d));
        while let Some((node, pending)) = stack.last_mut() {
            let node = *node;
            match pending.pop() {
                Some(next) => {
                    let Kind::Meta(e) = &rules[next].kind else {
                        continue;
                    };
                    match state[next] {
                        0 => {
                            state[next] = 1;
                            let mut d = Vec::new();
                            deps(e, &mut d);
                            stack.push((next, d));
                        }
                        1 => {
                            return Err(ConfigError {
                                line: 0,
                                message: format!(
                                    "meta rules {} and {} depend on each other",
                                    rules[node].name, rules[next].name
                                ),
                            });
                        }
                        _ => {}
                    }
                }
                None => {
                    state[node] = 2;
                    order.push(node);
                    stack.pop();
                }
            }
        }
    }
    Ok(order)
}

fn strip_comment(line: &str) -> std::borrow::Cow<'_, str> {
    let b = line.as_bytes();
    let mut out: Option<String> = None;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'#') {
            let o = out.get_or_insert_with(|| line[..i].to_owned());
            o.push('#');
            i += 2;
            continue;
        }
        if b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return match out {
                Some(o) => o.into(),
                None => line[..i].into(),
            };
        }
        if let Some(o) = out.as_mut() {
            let ch = line[i..].chars().next().unwrap_or(' ');
            o.push(ch);
            i += ch.len_utf8();
        } else {
            i += 1;
        }
    }
    match out {
        Some(o) => o.into(),
        None => line.into(),
    }
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if ok {
        Ok(())
    } else {
        Err(format!("invalid rule name {name:?}"))
    }
}

fn check_header_name(h: &str) -> Result<(), String> {
    if !h.is_empty() && h.len() <= 100 && h.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        Ok(())
    } else {
        Err(format!("invalid header name {h:?}"))
    }
}

fn parse_num(s: &str) -> Result<f64, String> {
    match s {
        "inf" | "+inf" => return Ok(f64::INFINITY),
        "-inf" => return Ok(f64::NEG_INFINITY),
        _ => {}
    }
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .ok_or_else(|| format!("not a number: {s:?}"))
}

fn parse_field(f: &str) -> Result<Field, String> {
    let (name, mode) = match f.rsplit_once(':') {
        Some((n, "raw")) => (n, Mode::Raw),
        Some((n, "addr")) => (n, Mode::Addr),
        Some((n, "name")) => (n, Mode::Name),
        Some((_, m)) => return Err(format!("unknown header modifier {m:?}")),
        None => (f, Mode::Decoded),
    };
    check_header_name(name)?;
    Ok(match name {
        "ALL" => Field::All,
        "ToCc" => Field::ToCc,
        "MESSAGEID" => Field::MessageId,
        _ => Field::Named(name.to_owned(), mode),
    })
}

fn parse_eval(rule: &str, call: &str) -> Result<Eval, String> {
    let call = call.trim();
    let (fname, args) = match call.find('(') {
        Some(i) if call.ends_with(')') => (&call[..i], &call[i + 1..call.len() - 1]),
        _ => return Err(format!("malformed check {call:?}")),
    };
    let args: Vec<&str> = args
        .split(',')
        .map(|a| a.trim().trim_matches(['\'', '"']))
        .filter(|a| !a.is_empty())
        .collect();
    let want = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("{fname} takes {n} argument(s), got {}", args.len()))
        }
    };
    Ok(match fname.trim() {
        "check_bayes" => {
            want(2)?;
            Eval::Bayes(parse_num(args[0])?, parse_num(args[1])?)
        }
        "fact" => match args.as_slice() {
            [] => Eval::Fact(rule.to_owned()),
            [f] => Eval::Fact((*f).to_owned()),
            _ => return Err("fact takes at most one argument".into()),
        },
        "missing_header" => {
            want(1)?;
            check_header_name(args[0])?;
            Eval::MissingHeader(args[0].to_owned())
        }
        "date_invalid" => Eval::DateInvalid,
        "date_offset" => {
            want(2)?;
            Eval::DateOffset(parse_num(args[0])?, parse_num(args[1])?)
        }
        "subject_all_caps" => Eval::SubjectAllCaps,
        "html_message" => Eval::HtmlMessage,
        "html_only" => Eval::HtmlOnly,
        "html_image_only" => {
            want(1)?;
            let n = args[0]
                .parse()
                .map_err(|_| format!("not a count: {:?}", args[0]))?;
            Eval::HtmlImageOnly(n)
        }
        "html_link_mismatch" => Eval::HtmlLinkMismatch,
        "base64_text" => Eval::Base64Text,
        "empty_body" => Eval::EmptyBody,
        "unparsed" => Eval::Unparsed,
        _ => Eval::Unknown,
    })
}

/// Most bytes of compiled automaton one rule may take.
const REGEX_SIZE_LIMIT: usize = 2 << 20;

/// Parses `/re/flags` or `m{re}flags`; returns the compiled regex and
/// the text after it.
fn parse_regex(s: &str) -> Result<(Box<Regex>, &str), String> {
    let (open, body_start) = if let Some(r) = s.strip_prefix('m') {
        match r.chars().next() {
            Some(c) if c.is_ascii_punctuation() => (c, 2),
            _ => return Err(format!("expected a pattern, found {s:?}")),
        }
    } else if s.starts_with('/') {
        ('/', 1)
    } else {
        return Err(format!("expected a /pattern/, found {s:?}"));
    };
    let close = match open {
        '{' => '}',
        '(' => ')',
        '[' => ']',
        '<' => '>',
        c => c,
    };
    let bytes = s.as_bytes();
    let mut pattern = String::new();
    let mut i = body_start;
    let mut depth = 0usize;
    let end = loop {
        let Some(c) = s[i..].chars().next() else {
            return Err(format!("pattern not closed with {close:?}"));
        };
        if c == '\\' && i + 1 < bytes.len() {
            let next = s[i + 1..].chars().next().unwrap_or('\\');
            // An escaped delimiter that means nothing to the regex
            // syntax is written plain.
            if (next == close || next == open) && !"{}()[]<>.*+?|^$".contains(next) {
                pattern.push(next);
            } else {
                pattern.push('\\');
                pattern.push(next);
            }
            i += 1 + next.len_utf8();
            continue;
        }
        if c == close && depth == 0 {
            break i;
        }
        if open != close {
            if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
            }
        }
        pattern.push(c);
        i += c.len_utf8();
    };
    let rest = &s[end + 1..];
    let flag_end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let mut cfg = syntax::Config::new();
    for f in rest[..flag_end].chars() {
        cfg = match f {
            'i' => cfg.case_insensitive(true),
            'm' => cfg.multi_line(true),
            's' => cfg.dot_matches_new_line(true),
            'x' => cfg.ignore_whitespace(true),
            // Perl flags with no meaning for a match test.
            'o' | 'g' => cfg,
            _ => return Err(format!("unknown regex flag {f:?}")),
        };
    }
    let regex = Regex::builder()
        .syntax(cfg)
        .configure(
            Regex::config()
                .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
                .onepass_size_limit(Some(REGEX_SIZE_LIMIT))
                .dfa_size_limit(Some(REGEX_SIZE_LIMIT)),
        )
        .build(&pattern)
        .map_err(|e| format!("bad pattern /{pattern}/: {e}"))?;
    Ok((Box::new(regex), &rest[flag_end..]))
}

/// A compiled rule set. Build once ([`Scorer::default`],
/// [`ScorerBuilder`]), then score many messages, from many threads.
#[derive(Debug, Clone)]
pub struct Scorer {
    rules: Vec<Rule>,
    metas: Vec<usize>,
    required: f64,
    limits: ScanLimits,
    warnings: Vec<ConfigWarning>,
}

impl Default for Scorer {
    /// The default rule set with its default weights.
    fn default() -> Self {
        ScorerBuilder::new()
            .build()
            .expect("the default rule set is valid")
    }
}

/// One rule that hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Rule name.
    pub name: String,
    /// Its weight, added to the total.
    pub score: f64,
    /// What it means.
    pub description: String,
}

/// The result of scoring a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Sum of the weights of the rules that hit, rounded to 3 decimals.
    pub score: f64,
    /// The threshold.
    pub required: f64,
    /// `score >= required`.
    pub is_spam: bool,
    /// Rules hit, by name (sub-rules `__X` left out).
    pub hits: Vec<Hit>,
    /// The Bayes probability used, if any.
    pub bayes: Option<f64>,
}

impl Scorer {
    /// The required score.
    pub fn required(&self) -> f64 {
        self.required
    }

    /// Warnings from building (skipped directives, unknown names).
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

    /// The rules: name, weight and description, in definition order
    /// (sub-rules included).
    pub fn rules(&self) -> impl Iterator<Item = (&str, f64, &str)> {
        self.rules
            .iter()
            .map(|r| (r.name.as_str(), r.score, r.describe.as_str()))
    }

    /// Scores a raw message. `bayes` is the Bayes spam probability
    /// ([`crate::Score::probability`]) or `None` when the classifier has
    /// no answer (then no `BAYES_*` rule hits); `facts` holds what the
    /// caller found out (DNSBL, SPF, virus scan, receive time).
    ///
    /// Bounded: only [`ScanLimits`] of the message is read.
    pub fn score(&self, raw: &[u8], bayes: Option<f64>, facts: &Facts) -> Report {
        let view = View::new(raw, &self.limits);
        let bayes = bayes.filter(|p| p.is_finite()).map(|p| p.clamp(0.0, 1.0));
        let mut hit = vec![false; self.rules.len()];
        for (i, rule) in self.rules.iter().enumerate() {
            hit[i] = match &rule.kind {
                Kind::Meta(_) => continue,
                Kind::Header {
                    field,
                    regex,
                    negate,
                    if_unset,
                } => {
                    let value = header_text(&view, field).or_else(|| if_unset.clone());
                    let matched = regex.is_match(value.as_deref().unwrap_or(""));
                    matched != *negate
                }
                Kind::Exists(h) => view.header(h).is_some(),
                Kind::Body(re) => re.is_match(&view.body),
                Kind::RawBody(re) => re.is_match(&view.rawbody),
                Kind::Full(re) => re.is_match(&view.full),
                Kind::Uri(re) => view.uris.iter().any(|u| re.is_match(u)),
                Kind::Eval(e) => eval(e, &view, bayes, facts),
            };
        }
        for &i in &self.metas {
            if let Kind::Meta(e) = &self.rules[i].kind {
                hit[i] = e.eval(&hit) != 0.0;
            }
        }
        let mut hits: Vec<Hit> = self
            .rules
            .iter()
            .zip(&hit)
            .filter(|(r, h)| **h && !r.name.starts_with("__") && r.score != 0.0)
            .map(|(r, _)| Hit {
                name: r.name.clone(),
                score: r.score,
                description: r.describe.clone(),
            })
            .collect();
        hits.sort_by(|a, b| a.name.cmp(&b.name));
        let total: f64 = hits.iter().map(|h| h.score).sum();
        // An empty float sum is -0.0; adding 0.0 makes it print as 0.0.
        let score = (total * 1000.0).round() / 1000.0 + 0.0;
        Report {
            score,
            required: self.required,
            is_spam: score >= self.required,
            hits,
            bayes,
        }
    }
}

fn header_text(view: &View, field: &Field) -> Option<String> {
    let join = |names: &[&str], mode: Mode| -> Option<String> {
        let mut out: Vec<&str> = Vec::new();
        for h in &view.headers {
            if !names.iter().any(|n| h.name.eq_ignore_ascii_case(n)) {
                continue;
            }
            match mode {
                Mode::Decoded => out.push(&h.value),
                Mode::Raw => out.push(&h.raw),
                Mode::Addr => out.extend(h.addrs.iter().map(String::as_str)),
                Mode::Name => out.extend(h.names.iter().map(String::as_str)),
            }
        }
        (!out.is_empty()).then(|| out.join("\n"))
    };
    match field {
        Field::Named(n, mode) => join(&[n.as_str()], *mode),
        Field::ToCc => join(&["To", "Cc"], Mode::Decoded),
        Field::MessageId => join(
            &["Message-Id", "Resent-Message-Id", "X-Message-Id"],
            Mode::Decoded,
        ),
        Field::All => {
            let mut s = String::new();
            for h in &view.headers {
                s.push_str(&h.name);
                s.push_str(": ");
                s.push_str(&h.raw);
                s.push('\n');
            }
            (!s.is_empty()).then_some(s)
        }
    }
}

fn eval(e: &Eval, view: &View, bayes: Option<f64>, facts: &Facts) -> bool {
    match e {
        Eval::Bayes(lo, hi) => bayes.is_some_and(|p| p >= *lo && (p < *hi || *hi >= 1.0)),
        Eval::Fact(name) => facts.contains(name),
        Eval::MissingHeader(h) => view.parsed && view.header(h).is_none(),
        Eval::DateInvalid => view.date == Some(None),
        Eval::DateOffset(lo, hi) => match (view.date, view.received.or(facts.now)) {
            (Some(Some(date)), Some(now)) => {
                let hours = (date - now) as f64 / 3600.0;
                hours >= *lo && hours < *hi
            }
            _ => false,
        },
        Eval::SubjectAllCaps => view.header("Subject").is_some_and(|s| {
            let letters = s.value.chars().filter(|c| c.is_alphabetic()).count();
            letters >= 10 && !s.value.chars().any(|c| c.is_lowercase())
        }),
        Eval::HtmlMessage => view.has_html,
        Eval::HtmlOnly => view.has_html && !view.has_plain,
        Eval::HtmlImageOnly(max) => {
            view.has_html && view.html_images > 0 && view.html_text_chars < *max
        }
        Eval::HtmlLinkMismatch => view.link_mismatch,
        Eval::Base64Text => view.base64_text,
        Eval::EmptyBody => view.parsed && view.empty_body,
        Eval::Unparsed => !view.parsed,
        Eval::Unknown => false,
    }
}

/// `-0.0` printed as `0.0`, one decimal, as SpamAssassin's `_SCORE_`.
fn one_decimal(x: f64) -> String {
    let s = format!("{x:.1}");
    if s == "-0.0" { "0.0".into() } else { s }
}

impl Report {
    /// Whether a rule hit.
    pub fn hit(&self, name: &str) -> bool {
        self.hits.iter().any(|h| h.name == name)
    }

    /// The value of `X-Spam-Status`:
    /// `Yes, score=7.3 required=5.0 tests=A,B autolearn=disabled version=...`.
    /// Tests are sorted by name; `none` when nothing hit.
    pub fn status_header(&self) -> String {
        let tests = if self.hits.is_empty() {
            "none".to_owned()
        } else {
            self.hits
                .iter()
                .map(|h| h.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            "{}, score={} required={} tests={} autolearn=disabled version=rampart-{}",
            if self.is_spam { "Yes" } else { "No" },
            one_decimal(self.score),
            one_decimal(self.required),
            tests,
            env!("CARGO_PKG_VERSION")
        )
    }

    /// `X-Spam-Level`: one `*` per whole point, at most 50.
    pub fn level_header(&self) -> String {
        let stars = if self.score > 0.0 {
            (self.score.floor() as usize).min(50)
        } else {
            0
        };
        "*".repeat(stars)
    }

    /// The headers to add, unfolded, in SpamAssassin's order:
    /// `X-Spam-Flag: YES` (only for spam), `X-Spam-Score`,
    /// `X-Spam-Level`, `X-Spam-Status`.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(4);
        if self.is_spam {
            out.push(("X-Spam-Flag", "YES".to_owned()));
        }
        out.push(("X-Spam-Score", one_decimal(self.score)));
        out.push(("X-Spam-Level", self.level_header()));
        out.push(("X-Spam-Status", self.status_header()));
        out
    }

    /// The headers as text ready to prepend to the message: folded at 78
    /// columns after a comma or space, continuation lines starting with
    /// a tab, every line ending in CRLF.
    pub fn header_block(&self) -> String {
        let mut out = String::new();
        for (name, value) in self.headers() {
            fold_into(&mut out, name, &value);
        }
        out
    }
}

fn fold_into(out: &mut String, name: &str, value: &str) {
    const WIDTH: usize = 78;
    out.push_str(name);
    out.push(':');
    if !value.is_empty() {
        out.push(' ');
    }
    let mut col = name.len() + 2;
    // Split after each comma or space, keeping the separator on the left.
    let mut pieces = Vec::new();
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if c == ',' || c == ' ' {
            pieces.push(&value[start..=i]);
            start = i + 1;
        }
    }
    pieces.push(&value[start..]);
    let mut first = true;
    for p in pieces {
        if p.is_empty() {
            continue;
        }
        let visible = p.trim_end_matches(' ').len();
        if !first && col + visible > WIDTH {
            // Drop the trailing space of the line being closed.
            while out.ends_with(' ') {
                out.pop();
            }
            out.push_str("\r\n\t");
            col = 8;
        }
        out.push_str(p);
        col += p.len();
        first = false;
    }
    while out.ends_with(' ') && !value.is_empty() {
        out.pop();
    }
    out.push_str("\r\n");
}

impl fmt::Display for Report {
    /// SpamAssassin's "Content analysis details" table.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Content analysis details:   ({} points, {} required)",
            one_decimal(self.score),
            one_decimal(self.required)
        )?;
        writeln!(f)?;
        writeln!(f, " pts rule name              description")?;
        writeln!(
            f,
            "---- ---------------------- --------------------------------------------------"
        )?;
        for h in &self.hits {
            writeln!(
                f,
                "{:>4} {:<22} {}",
                one_decimal(h.score),
                h.name,
                h.description
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
