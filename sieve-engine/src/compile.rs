//! From the raw syntax tree to the typed [`Script`]: `require`
//! checking and argument validation for every command and test.

use std::collections::BTreeSet;

use regex_automata::meta::Regex;

use crate::Limits;
use crate::error::{CompileError, Diagnostic};
use crate::ext::Extension;
use crate::ir::*;
use crate::parser::{Arg, Node, RawArg};

/// A compiled script: immutable, `Send + Sync`, cheap to share behind an
/// `Arc` and to run many times.
#[derive(Debug, Clone)]
pub struct Script {
    pub(crate) body: Vec<Stmt>,
    pub(crate) requires: BTreeSet<Extension>,
}

impl Script {
    /// The extensions named in `require` (and `ihave` checks that hold).
    pub fn requires(&self) -> impl Iterator<Item = Extension> + '_ {
        self.requires.iter().copied()
    }
}

/// Compiles a Sieve script with the default [`Limits`].
///
/// # Errors
///
/// [`CompileError`] with every error found, each with line and column.
pub fn compile(src: &str) -> Result<Script, CompileError> {
    compile_with(src, &Limits::default())
}

/// Compiles a Sieve script with the given limits (script size, nesting).
///
/// # Errors
///
/// [`CompileError`] with every error found, each with line and column.
pub fn compile_with(src: &str, limits: &Limits) -> Result<Script, CompileError> {
    compile_inner(src, limits, false, None)
}

/// Tells whether an included script exists: (name, global) -> exists.
pub(crate) type IncludeCheck<'a> = &'a dyn Fn(&str, bool) -> bool;

/// Compiles a script; with `testsuite`, `require "vnd.dovecot.testsuite"`
/// is accepted and the `test*` commands and tests of that extension are
/// compiled for the test harness.
pub(crate) fn compile_inner(
    src: &str,
    limits: &Limits,
    testsuite: bool,
    includes: Option<IncludeCheck<'_>>,
) -> Result<Script, CompileError> {
    if src.len() > limits.max_script_size {
        return Err(CompileError {
            errors: vec![Diagnostic {
                line: 1,
                column: 1,
                message: format!(
                    "script of {} bytes exceeds the limit of {} bytes",
                    src.len(),
                    limits.max_script_size
                ),
            }],
        });
    }
    let mut toks = crate::lexer::Tokens::new(src);
    let parsed = crate::parser::parse(&mut toks, limits.max_nesting);
    let lex_errors = toks.into_errors();
    if !lex_errors.is_empty() {
        // Lexical and syntax errors together; nothing to validate.
        let mut errors = lex_errors;
        errors.extend(parsed.err().unwrap_or_default());
        errors.sort_by_key(|d| (d.line, d.column));
        return Err(CompileError { errors });
    }
    let tree = parsed.map_err(|errors| CompileError { errors })?;
    let mut c = Compiler {
        all_args: &tree.args,
        all_nodes: &tree.nodes,
        includes,
        requires: BTreeSet::new(),
        required: 0,
        errors: Vec::new(),
        testsuite,
        suite_required: false,
        debug_required: false,
        loops: Vec::new(),
        max_loop_depth: limits.max_loop_depth,
        unknown: std::collections::HashSet::new(),
        unknown_tags: Vec::new(),
        max_variables: limits.max_variables,
        max_header_size: limits.max_header_size,
        max_notifications: limits.max_notifications,
        scope: std::cell::RefCell::default(),
    };
    let body = c.script(tree.top());
    c.errors.retain(|d| !d.message.is_empty());
    if c.errors.is_empty() {
        Ok(Script {
            body,
            requires: c.requires,
        })
    } else {
        // An empty message stands for an unknown name reported before.
        c.errors.retain(|d| !d.message.is_empty());
        c.errors.sort_by_key(|d| (d.line, d.column));
        Err(CompileError { errors: c.errors })
    }
}

struct Compiler<'i, 't> {
    /// The arguments of every node of the parsed script.
    all_args: &'t [Arg<'t>],
    /// Every node of the parsed script.
    all_nodes: &'t [Node<'t>],
    /// Checks that included scripts exist (as Pigeonhole does when it
    /// compiles); `None` leaves it to the run.
    includes: Option<IncludeCheck<'i>>,
    requires: BTreeSet<Extension>,
    /// The same set as `requires`, one bit per extension, for the many
    /// `has` checks.
    required: u64,
    errors: Vec<Diagnostic>,
    /// Harness mode: `vnd.dovecot.testsuite` may be required.
    testsuite: bool,
    /// `vnd.dovecot.testsuite` was required.
    suite_required: bool,
    /// `vnd.dovecot.debug` was required (test harness only).
    debug_required: bool,
    /// Names of the enclosing foreverypart loops, innermost last.
    loops: Vec<Option<String>>,
    max_loop_depth: usize,
    /// Unknown command and test names already reported.
    unknown: std::collections::HashSet<String>,
    /// Unknown (command, tag) pairs already reported.
    unknown_tags: Vec<(String, String)>,
    max_variables: usize,
    max_header_size: usize,
    max_notifications: usize,
    /// Variables declared so far (RFC 5229, RFC 6609 global).
    scope: std::cell::RefCell<VarScope>,
}

#[derive(Default)]
struct VarScope {
    locals: std::collections::HashSet<String>,
    globals: std::collections::HashSet<String>,
    reported_count: bool,
}

type R<T> = Result<T, Diagnostic>;

// `Compiler::required` has one bit per extension.
const _: () = assert!(Extension::ALL.len() <= 64);

fn diag(line: u32, col: u32, message: String) -> Diagnostic {
    Diagnostic {
        line,
        column: col,
        message,
    }
}

/// Reads the arguments of one command or test: tags by name, then the
/// positional arguments in order; `finish` rejects whatever is left.
struct Args<'n> {
    node: &'n Node<'n>,
    /// The node's arguments.
    args: &'n [Arg<'n>],
    used: Used,
    /// Which arguments are tags (same bits as `used`).
    tags: u64,
}

/// Which arguments were consumed, one bit each: the parser allows at
/// most 32 arguments (`MAX_ARGUMENTS`), so no allocation per command.
#[derive(Clone, Copy)]
struct Used(u64);

impl std::ops::Index<usize> for Used {
    type Output = bool;

    fn index(&self, i: usize) -> &bool {
        // Past 64 (never, given the parser's limit): counted as used.
        if i >= 64 || self.0 & (1 << i) != 0 {
            &true
        } else {
            &false
        }
    }
}

impl Used {
    fn set(&mut self, i: usize) {
        if i < 64 {
            self.0 |= 1 << i;
        }
    }
}

impl<'n> Args<'n> {
    fn new(node: &'n Node<'n>, all: &'n [Arg<'n>]) -> Self {
        let args = node.args(all);
        let tags = args
            .iter()
            .take(64)
            .enumerate()
            .filter(|(_, a)| matches!(a.arg, RawArg::Tag(_)))
            .fold(0u64, |m, (i, _)| m | 1 << i);
        Args {
            node,
            args,
            used: Used(0),
            tags,
        }
    }

    fn all_used(&self) -> bool {
        (0..self.args.len()).all(|i| self.used[i])
    }

    /// The tag's index, when given (and marks it used).
    #[inline]
    fn find(&mut self, tag: &str) -> R<Option<usize>> {
        // Most lookups come after every tag was read already.
        if self.tags & !self.used.0 == 0 {
            return Ok(None);
        }
        self.find_unused(tag)
    }

    fn find_unused(&mut self, tag: &str) -> R<Option<usize>> {
        let mut found = None;
        // Only the tags not consumed yet (most lookups are for absent tags).
        let mut left = self.tags & !self.used.0;
        while left != 0 {
            let i = left.trailing_zeros() as usize;
            left &= left - 1;
            let a = &self.args[i];
            if let RawArg::Tag(t) = &a.arg
                && t == tag
            {
                if found.is_some() {
                    return Err(diag(a.line, a.col, format!("tag :{tag} given twice")));
                }
                found = Some(i);
            }
        }
        if let Some(i) = found {
            self.used.set(i);
        }
        Ok(found)
    }

    fn flag(&mut self, tag: &str) -> R<bool> {
        Ok(self.find(tag)?.is_some())
    }

    /// A tag followed by its value.
    fn tagged(&mut self, tag: &str) -> R<Option<&'n Arg<'n>>> {
        let Some(i) = self.find(tag)? else {
            return Ok(None);
        };
        match self.args.get(i + 1) {
            Some(a) if !matches!(a.arg, RawArg::Tag(_)) && !self.used[i + 1] => {
                self.used.set(i + 1);
                Ok(Some(a))
            }
            _ => {
                let a = &self.args[i];
                Err(diag(a.line, a.col, format!("tag :{tag} needs a value")))
            }
        }
    }

    fn positional(&mut self, what: &str) -> R<&'n Arg<'n>> {
        self.opt_positional().ok_or_else(|| {
            diag(
                self.node.line,
                self.node.col,
                format!("{} is missing its {what} argument", self.node.name),
            )
        })
    }

    fn opt_positional(&mut self) -> Option<&'n Arg<'n>> {
        // The first argument not used yet, unless it is a tag (the
        // parser allows at most 32 arguments, so the mask covers all).
        let i = (!self.used.0).trailing_zeros() as usize;
        let a = self.args.get(i)?;
        if self.tags & (1 << i) != 0 {
            return None;
        }
        self.used.set(i);
        Some(a)
    }

    fn remaining_positionals(&self) -> usize {
        self.args
            .iter()
            .enumerate()
            .filter(|(i, a)| !self.used[*i] && !matches!(a.arg, RawArg::Tag(_)))
            .count()
    }

    fn finish(self) -> R<()> {
        for (i, a) in self.args.iter().enumerate() {
            if !self.used[i] {
                let what = match &a.arg {
                    RawArg::Tag(t) => format!("unknown tag :{t} for {}", self.node.name),
                    _ => format!("too many arguments for {}", self.node.name),
                };
                return Err(diag(a.line, a.col, what));
            }
        }
        Ok(())
    }
}

impl Compiler<'_, '_> {
    fn has(&self, e: Extension) -> bool {
        self.required & (1u64 << (e as u32)) != 0
    }

    /// Adds an extension to the required ones.
    fn add_require(&mut self, e: Extension) {
        self.requires.insert(e);
        self.required |= 1u64 << (e as u32);
    }

    fn need(&self, e: Extension, line: u32, col: u32, what: &str) -> R<()> {
        if self.has(e) {
            Ok(())
        } else {
            Err(diag(
                line,
                col,
                format!("{what} needs require \"{}\"", e.name()),
            ))
        }
    }

    /// The `:from` argument of `cmd`, checked as an address when it holds
    /// no variables (a value built at run time is checked then).
    fn checked_from(&self, a: &mut Args<'_>, cmd: &str) -> R<Option<VStr>> {
        let Some(arg) = a.tagged("from")? else {
            return Ok(None);
        };
        let from = self.vstr(arg)?;
        if !from.vars && crate::strings::parse_mailbox(&from.text).is_none() {
            return Err(diag(
                arg.line,
                arg.col,
                format!(
                    "{cmd} command: specified :from address {:?} is invalid",
                    from.text
                ),
            ));
        }
        Ok(Some(from))
    }

    fn vstr(&self, a: &Arg) -> R<VStr> {
        match &a.arg {
            RawArg::Str(s) => self.mkstr(s, a),
            _ => Err(diag(a.line, a.col, "expected a string".into())),
        }
    }

    fn mkstr(&self, s: &str, a: &Arg) -> R<VStr> {
        let text = if self.has(Extension::EncodedCharacter) {
            crate::strings::decode_encoded_characters(s).map_err(|m| diag(a.line, a.col, m))?
        } else {
            s.to_string()
        };
        // A byte search for '$' first: most strings have none.
        let vars = text.contains('$') && text.contains("${") && self.has(Extension::Variables);
        if vars {
            let global = self.has(Extension::Include);
            for r in crate::strings::var_refs(&text) {
                if self.suite_required && r.to_ascii_lowercase().starts_with("tst.") {
                    continue;
                }
                crate::strings::var_ref(r, global).map_err(|m| diag(a.line, a.col, m))?;
            }
        }
        Ok(VStr { text, vars })
    }

    /// Declares a variable that `set` (or extracttext, setflag) writes;
    /// the name of the variable in the run, `global.` first for globals.
    fn declare_var(&self, name: &str, a: &Arg) -> R<String> {
        use crate::strings::VarRef;
        let r = crate::strings::var_ref(name, self.has(Extension::Include))
            .map_err(|m| diag(a.line, a.col, m))?;
        let mut scope = self.scope.borrow_mut();
        match r {
            VarRef::Match(_) => Err(diag(
                a.line,
                a.col,
                format!("cannot assign to match variable ${{{name}}}"),
            )),
            VarRef::Global(n) => Ok(format!("global.{n}")),
            VarRef::Local(n) if scope.globals.contains(&n) => Ok(format!("global.{n}")),
            VarRef::Local(n) => {
                if !scope.locals.contains(&n) {
                    if scope.locals.len() >= self.max_variables {
                        if scope.reported_count {
                            return Ok(n);
                        }
                        scope.reported_count = true;
                        return Err(diag(
                            a.line,
                            a.col,
                            format!(
                                "more than {} variables declared in the script",
                                self.max_variables
                            ),
                        ));
                    }
                    scope.locals.insert(n.clone());
                }
                Ok(n)
            }
        }
    }

    fn vlist(&self, a: &Arg) -> R<VList> {
        match &a.arg {
            RawArg::Str(s) => Ok(VList::One(self.mkstr(s, a)?)),
            RawArg::List(l) => {
                if let [s] = &l[..] {
                    return Ok(VList::One(self.mkstr(s, a)?));
                }
                let mut out = Vec::with_capacity(l.len());
                for s in l {
                    out.push(self.mkstr(s, a)?);
                }
                Ok(VList::Many(out))
            }
            _ => Err(diag(
                a.line,
                a.col,
                "expected a string or a string list".into(),
            )),
        }
    }

    fn num(&self, a: &Arg) -> R<u64> {
        match a.arg {
            RawArg::Num(n) => Ok(n),
            _ => Err(diag(a.line, a.col, "expected a number".into())),
        }
    }

    fn script(&mut self, nodes: &[Node]) -> Vec<Stmt> {
        let mut i = 0;
        // RFC 5228 3.2: require may only appear before other commands.
        while i < nodes.len() && nodes[i].name == "require" {
            if let Err(e) = self
                .check_shape(&nodes[i], false)
                .and_then(|()| self.require(&nodes[i]))
            {
                self.errors.push(e);
            }
            i += 1;
        }
        // RFC 5703 7: extracttext is usable only with foreverypart and
        // variables.
        if self.has(Extension::Extracttext) {
            let at = nodes.first().map_or((1, 1), |n| (n.line, n.col));
            for dep in [Extension::Foreverypart, Extension::Variables] {
                if !self.has(dep) {
                    self.errors.push(diag(
                        at.0,
                        at.1,
                        format!("extracttext needs require \"{}\"", dep.name()),
                    ));
                }
            }
        }
        self.block(&nodes[i..])
    }

    fn require(&mut self, n: &Node) -> R<()> {
        let mut a = Args::new(n, self.all_args);
        let list = a.positional("capabilities")?;
        a.finish()?;
        let (RawArg::List(_) | RawArg::Str(_)) = &list.arg else {
            return Err(diag(
                list.line,
                list.col,
                "require takes a string list".into(),
            ));
        };
        for cap in self.vlist(list)?.iter() {
            if self.testsuite && cap.text == "vnd.dovecot.testsuite" {
                self.suite_required = true;
                continue;
            }
            // Test files log with vnd.dovecot.debug's debug_log.
            if self.testsuite && cap.text == "vnd.dovecot.debug" {
                self.debug_required = true;
                continue;
            }
            match Extension::from_name(&cap.text) {
                Some(e) => {
                    self.add_require(e);
                    if e == Extension::Spamtestplus {
                        self.add_require(Extension::Spamtest);
                    }
                    // RFC 6131 3: vacation-seconds implies vacation.
                    if e == Extension::VacationSeconds {
                        self.add_require(Extension::Vacation);
                    }
                }
                None => {
                    self.errors.push(diag(
                        list.line,
                        list.col,
                        format!("unsupported extension {:?} in require", cap.text),
                    ));
                }
            }
        }
        Ok(())
    }

    fn block(&mut self, nodes: &[Node]) -> Vec<Stmt> {
        // One statement per node at most (elsif and else join their if).
        let mut out: Vec<Stmt> = Vec::with_capacity(nodes.len());
        for n in nodes {
            match self.command(n, &mut out) {
                Ok(Some(s)) => out.push(s),
                Ok(None) => {}
                Err(e) => {
                    self.errors.push(e);
                    // A broken if still heads its elsif/else chain.
                    if matches!(&*n.name, "if" | "elsif" | "else") {
                        out.push(placeholder_if(&n.name, n.line));
                    }
                }
            }
        }
        out
    }

    fn sub_block(&mut self, n: &Node) -> R<Vec<Stmt>> {
        match n.block(self.all_nodes) {
            Some(b) => Ok(self.block(b)),
            None => Err(diag(n.line, n.col, format!("{} needs a block", n.name))),
        }
    }

    fn no_block_no_test(&self, n: &Node) -> R<()> {
        if n.block(self.all_nodes).is_some() {
            return Err(diag(
                n.line,
                n.col,
                format!("{} does not take a block", n.name),
            ));
        }
        if !n.tests(self.all_nodes).is_empty() {
            return Err(diag(
                n.line,
                n.col,
                format!("{} does not take a test", n.name),
            ));
        }
        Ok(())
    }

    /// Compiles one command; `elsif`/`else` attach to the preceding `if`.
    fn command(&mut self, n: &Node, prev: &mut [Stmt]) -> R<Option<Stmt>> {
        let (l, c) = (n.line, n.col);
        let suite_cmd = (self.suite_required && n.name.starts_with("test"))
            || (self.debug_required && n.name == "debug_log");
        if !suite_cmd {
            self.check_shape(n, false)?;
        }
        if matches!(&*n.name, "if" | "elsif" | "else") {
            return self.control_if(n, prev);
        }
        if suite_cmd {
            let call = self.suite_call(n, false)?;
            return Ok(Some(Stmt {
                line: l,
                cmd: Cmd::Suite(Box::new(call)),
            }));
        }
        if n.name == "foreverypart" {
            self.need(Extension::Foreverypart, l, c, "foreverypart")?;
            if !n.tests(self.all_nodes).is_empty() {
                return Err(diag(l, c, "foreverypart does not take a test".into()));
            }
            let mut a = Args::new(n, self.all_args);
            let name = a.tagged("name")?.map(|v| self.vstr(v)).transpose()?;
            a.finish()?;
            let name = name.map(|v| v.text);
            if self.loops.len() >= self.max_loop_depth {
                return Err(diag(
                    l,
                    c,
                    format!(
                        "foreverypart loops nest deeper than {}",
                        self.max_loop_depth
                    ),
                ));
            }
            self.loops.push(name.clone());
            let body = self.sub_block(n);
            self.loops.pop();
            return Ok(Some(Stmt {
                line: l,
                cmd: Cmd::ForEveryPart { name, body: body? },
            }));
        }
        self.no_block_no_test(n)?;
        let mut a = Args::new(n, self.all_args);
        let cmd = match &*n.name {
            "break" => {
                self.need(Extension::Foreverypart, l, c, "break")?;
                let name = a
                    .tagged("name")?
                    .map(|v| self.vstr(v))
                    .transpose()?
                    .map(|v| v.text);
                let known = match &name {
                    None => !self.loops.is_empty(),
                    Some(nm) => self.loops.iter().any(|x| x.as_deref() == Some(nm)),
                };
                if !known {
                    return Err(diag(
                        l,
                        c,
                        "break outside a matching foreverypart loop".into(),
                    ));
                }
                Cmd::Break(name)
            }
            "extracttext" => {
                self.need(Extension::Extracttext, l, c, "extracttext")?;
                if self.loops.is_empty() {
                    return Err(diag(l, c, "extracttext outside a foreverypart loop".into()));
                }
                let first = a.tagged("first")?.map(|v| self.num(v)).transpose()?;
                let (name, _, mods) = self.set_like(&mut a, l, c, false)?;
                Cmd::ExtractText { name, mods, first }
            }
            "require" => {
                return Err(diag(
                    l,
                    c,
                    "require must come before any other command".into(),
                ));
            }
            "stop" => Cmd::Stop,
            "keep" => Cmd::Keep {
                flags: self.flags_tag(&mut a)?,
            },
            "discard" => Cmd::Discard,
            "fileinto" => {
                self.need(Extension::Fileinto, l, c, "fileinto")?;
                let copy = self.copy_tag(&mut a)?;
                let flags = self.flags_tag(&mut a)?;
                let create = a.flag("create")?;
                if create {
                    self.need(Extension::Mailbox, l, c, ":create")?;
                }
                let special_use = match a.tagged("specialuse")? {
                    Some(v) => {
                        self.need(Extension::SpecialUse, l, c, ":specialuse")?;
                        let u = self.vstr(v)?;
                        if !u.vars && !crate::strings::valid_special_use(&u.text) {
                            return Err(diag(
                                v.line,
                                v.col,
                                format!("fileinto command: invalid special-use flag {:?}", u.text),
                            ));
                        }
                        Some(u)
                    }
                    None => None,
                };
                let mailbox_arg = a.positional("mailbox")?;
                let mailbox = self.vstr(mailbox_arg)?;
                if !mailbox.vars && (mailbox.text.is_empty() || mailbox.text.contains('\u{FFFD}')) {
                    return Err(diag(
                        mailbox_arg.line,
                        mailbox_arg.col,
                        format!(
                            "fileinto command: invalid folder name {:?} (not UTF-8)",
                            mailbox.text
                        ),
                    ));
                }
                Cmd::FileInto {
                    mailbox,
                    copy,
                    create,
                    flags,
                    special_use,
                }
            }
            "redirect" => {
                let copy = self.copy_tag(&mut a)?;
                let arg = a.positional("address")?;
                let address = self.vstr(arg)?;
                if !address.vars && !crate::strings::valid_address(&address.text) {
                    return Err(diag(
                        arg.line,
                        arg.col,
                        format!("invalid redirect address {:?}", address.text),
                    ));
                }
                Cmd::Redirect { address, copy }
            }
            "reject" | "ereject" => {
                let extended = n.name == "ereject";
                let e = if extended {
                    Extension::Ereject
                } else {
                    Extension::Reject
                };
                self.need(e, l, c, &n.name)?;
                Cmd::Reject {
                    reason: self.vstr(a.positional("reason")?)?,
                    extended,
                }
            }
            "vacation" => self.vacation(&mut a, l, c)?,
            "notify" => {
                self.need(Extension::Enotify, l, c, "notify")?;
                if self.max_notifications == 0 {
                    return Err(diag(
                        l,
                        c,
                        "notify action: local policy prohibits the use of a notify action".into(),
                    ));
                }
                let from = self.checked_from(&mut a, "notify")?;
                let importance = a.tagged("importance")?.map(|v| self.vstr(v)).transpose()?;
                if let Some(i) = &importance
                    && !i.vars
                    && !matches!(i.text.as_str(), "1" | "2" | "3")
                {
                    return Err(diag(l, c, format!("invalid :importance {:?}", i.text)));
                }
                let options = a
                    .tagged("options")?
                    .map(|v| self.vlist(v))
                    .transpose()?
                    .unwrap_or_default();
                for o in options.iter().filter(|o| !o.vars) {
                    crate::report::check_notify_option(&o.text)
                        .map_err(|m| diag(l, c, format!("notify command: {m}")))?;
                }
                let message = a.tagged("message")?.map(|v| self.vstr(v)).transpose()?;
                let method_arg = a.positional("method")?;
                let method = self.vstr(method_arg)?;
                if !method.vars {
                    crate::report::check_notify_uri(&method.text).map_err(|m| {
                        diag(
                            method_arg.line,
                            method_arg.col,
                            format!("notify command: {m}"),
                        )
                    })?;
                }
                Cmd::Notify(Box::new(Notify {
                    from,
                    importance,
                    options,
                    message,
                    method,
                }))
            }
            "set" => self.set(&mut a, l, c)?,
            "setflag" | "addflag" | "removeflag" => {
                self.need(Extension::Imap4flags, l, c, &n.name)?;
                let op = match &*n.name {
                    "setflag" => FlagOp::Set,
                    "addflag" => FlagOp::Add,
                    _ => FlagOp::Remove,
                };
                let first = a.positional("flag list")?;
                let (var, flags) = match a.opt_positional() {
                    Some(second) => {
                        self.need(Extension::Variables, l, c, "a flag variable")?;
                        (Some(self.vstr(first)?), self.vlist(second)?)
                    }
                    None => (None, self.vlist(first)?),
                };
                Cmd::Flags { op, var, flags }
            }
            "addheader" => {
                self.need(Extension::Editheader, l, c, "addheader")?;
                let last = a.flag("last")?;
                let name_arg = a.positional("field name")?;
                let name = self.vstr(name_arg)?;
                let value_arg = a.positional("value")?;
                let value = self.vstr(value_arg)?;
                if !name.vars && !crate::strings::valid_header_name(&name.text) {
                    return Err(diag(
                        name_arg.line,
                        name_arg.col,
                        format!(
                            "addheader command: specified field name {:?} is invalid",
                            name.text
                        ),
                    ));
                }
                if !value.vars
                    && let Some(m) = crate::strings::header_value_problem(
                        &name.text,
                        &value.text,
                        self.max_header_size,
                    )
                {
                    return Err(diag(
                        value_arg.line,
                        value_arg.col,
                        format!("addheader command: {m}"),
                    ));
                }
                Cmd::AddHeader { last, name, value }
            }
            "deleteheader" => {
                self.need(Extension::Editheader, l, c, "deleteheader")?;
                let index = self.index_tags_ext(&mut a, l, c, false)?;
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let name_arg = a.positional("field name")?;
                let name = self.vstr(name_arg)?;
                if !name.vars && !crate::strings::valid_header_name(&name.text) {
                    return Err(diag(
                        name_arg.line,
                        name_arg.col,
                        format!(
                            "deleteheader command: specified field name {:?} is invalid",
                            name.text
                        ),
                    ));
                }
                let values = a.opt_positional().map(|v| self.vlist(v)).transpose()?;
                let m = finish_regex(m, values.as_deref().unwrap_or(&[]), l, c)?;
                Cmd::DeleteHeader {
                    index,
                    m,
                    name,
                    values,
                }
            }
            "error" => {
                self.need(Extension::Ihave, l, c, "error")?;
                Cmd::Error(self.vstr(a.positional("message")?)?)
            }
            "include" => {
                self.need(Extension::Include, l, c, "include")?;
                let personal = a.flag("personal")?;
                let global = a.flag("global")?;
                if personal && global {
                    return Err(diag(
                        l,
                        c,
                        "include takes :personal or :global, not both".into(),
                    ));
                }
                let once = a.flag("once")?;
                let optional = a.flag("optional")?;
                let name_arg = a.positional("script name")?;
                let name = self.vstr(name_arg)?;
                // RFC 6609 3.2: no variables in script names.
                if name.vars {
                    return Err(diag(
                        name_arg.line,
                        name_arg.col,
                        format!(
                            "include: the script name {:?} must be a constant string",
                            name.text
                        ),
                    ));
                }
                if !valid_script_name(&name.text) {
                    return Err(diag(
                        name_arg.line,
                        name_arg.col,
                        format!("include: invalid script name {:?}", name.text),
                    ));
                }
                if let Some(check) = self.includes
                    && !optional
                    && !check(&name.text, global)
                {
                    return Err(diag(
                        name_arg.line,
                        name_arg.col,
                        format!("include: included script {:?} does not exist", name.text),
                    ));
                }
                Cmd::Include {
                    global,
                    once,
                    optional,
                    name,
                }
            }
            "return" => {
                self.need(Extension::Include, l, c, "return")?;
                Cmd::Return
            }
            "global" => {
                self.need(Extension::Include, l, c, "global")?;
                self.need(Extension::Variables, l, c, "global")?;
                let arg = a.positional("variable names")?;
                let names = self.vlist(arg)?;
                let mut scope = self.scope.borrow_mut();
                for n in &names {
                    if n.vars || !crate::strings::is_identifier(&n.text) {
                        return Err(diag(
                            arg.line,
                            arg.col,
                            format!("invalid global variable name {:?}", n.text),
                        ));
                    }
                    let key = n.text.to_ascii_lowercase();
                    if scope.locals.contains(&key) {
                        return Err(diag(
                            arg.line,
                            arg.col,
                            format!("variable {:?} is already declared as local", n.text),
                        ));
                    }
                    scope.globals.insert(key);
                }
                Cmd::Global(names)
            }
            other => return Err(diag(l, c, format!("unknown command {other:?}"))),
        };
        a.finish()?;
        Ok(Some(Stmt { line: l, cmd }))
    }

    /// Checks a node against its signature (`sig`): unknown names (once
    /// each), a test used as a command and the reverse, tags, argument
    /// count and types, tests and block. On a problem the tests and the
    /// block inside are still checked, so their errors show too.
    fn check_shape(&mut self, n: &Node, as_test: bool) -> R<()> {
        let (l, c) = (n.line, n.col);
        let Some((sig, groups)) = crate::sig::lookup(&n.name) else {
            let kind = if as_test { "test" } else { "command" };
            if self.unknown.insert(n.name.to_string()) {
                return Err(diag(
                    l,
                    c,
                    format!(
                        "unknown {kind} '{}' (only reported once at first occurrence)",
                        n.name
                    ),
                ));
            }
            return Err(diag(l, c, String::new()));
        };
        let mut errs = crate::sig::check(
            n,
            n.args(self.all_args),
            self.all_nodes,
            &sig,
            groups,
            as_test,
            &mut self.unknown_tags,
        );
        let Some(last) = errs.pop() else {
            return Ok(());
        };
        for e in errs {
            self.errors.push(diag(l, c, e));
        }
        if sig.test == as_test {
            if sig.sub != crate::sig::Sub::None {
                for t in n.tests(self.all_nodes) {
                    if let Err(e) = self.test(t) {
                        self.errors.push(e);
                    }
                }
            }
            if !as_test
                && sig.block.0
                && let Some(b) = n.block(self.all_nodes)
            {
                let _ = self.block(b);
            }
        }
        Err(diag(l, c, last))
    }

    fn control_if(&mut self, n: &Node, prev: &mut [Stmt]) -> R<Option<Stmt>> {
        let (l, c) = (n.line, n.col);
        let test = if n.name == "else" {
            None
        } else {
            n.tests(self.all_nodes).first().map(|t| self.test(t))
        };
        // RFC 5463: a block guarded by an ihave of an unknown extension
        // is never run, so it is not compiled either.
        let skip = n
            .tests(self.all_nodes)
            .first()
            .is_some_and(|t| t.name == "ihave")
            && matches!(
                test,
                Some(Ok(TestNode {
                    test: Test::False,
                    ..
                }))
            );
        // The block is checked even when the test is wrong.
        let body = if skip { Vec::new() } else { self.sub_block(n)? };
        let test = match test.transpose() {
            Ok(t) => t,
            Err(e) => {
                // Keep the chain: a following elsif or else is no error.
                self.errors.push(e);
                Some(TestNode {
                    line: l,
                    test: Test::False,
                })
            }
        };
        if n.name == "if" {
            let Some(t) = test else { unreachable_if() };
            return Ok(Some(Stmt {
                line: l,
                cmd: Cmd::If {
                    branches: vec![(t, body)],
                    otherwise: None,
                },
            }));
        }
        match prev.last_mut() {
            Some(Stmt {
                cmd:
                    Cmd::If {
                        branches,
                        otherwise,
                    },
                ..
            }) if otherwise.is_none() => {
                match test {
                    Some(t) => branches.push((t, body)),
                    None => *otherwise = Some(body),
                }
                Ok(None)
            }
            _ => {
                // One error for an if-less elsif/else chain.
                self.errors.push(diag(
                    l,
                    c,
                    format!("the {} command must follow an if or elsif command", n.name),
                ));
                Ok(Some(placeholder_if(&n.name, l)))
            }
        }
    }

    /// A testsuite command or test: arguments kept in order; the tests
    /// `test_error` and `test_result_action` take a match and `:index`.
    fn suite_call(&mut self, n: &Node, is_test: bool) -> R<SuiteCall> {
        let (l, c) = (n.line, n.col);
        let mut a = Args::new(n, self.all_args);
        let mut m = None;
        let mut index = None;
        if is_test && matches!(&*n.name, "test_error" | "test_result_action") {
            m = Some(self.match_spec(&mut a, false, l, c)?.0);
            if let Some(v) = a.tagged("index")? {
                index = Some(self.num(v)?);
            }
        }
        let mut args = Vec::new();
        for (i, arg) in n.args(self.all_args).iter().enumerate() {
            if a.used[i] {
                continue;
            }
            args.push(match &arg.arg {
                RawArg::Tag(t) => SuiteArg::Tag(t.to_string()),
                RawArg::Num(v) => SuiteArg::Num(*v),
                RawArg::Str(_) => SuiteArg::Str(self.vstr(arg)?),
                RawArg::List(_) => SuiteArg::List(self.vlist(arg)?),
            });
        }
        if let Some(m) = &mut m {
            let keys: Vec<VStr> = args
                .iter()
                .filter_map(|a| match a {
                    SuiteArg::Str(s) => Some(vec![s.clone()]),
                    SuiteArg::List(l) => Some(l.to_vec()),
                    _ => None,
                })
                .flatten()
                .collect();
            *m = finish_regex(m.clone(), &keys, l, c)?;
        }
        let block = match n.block(self.all_nodes) {
            Some(b) if !is_test => Some(self.block(b)),
            Some(_) => return Err(diag(l, c, format!("{} does not take a block", n.name))),
            None => None,
        };
        Ok(SuiteCall {
            name: n.name.to_string(),
            args,
            block,
            m,
            index,
        })
    }

    fn copy_tag(&self, a: &mut Args<'_>) -> R<bool> {
        let copy = a.flag("copy")?;
        if copy {
            self.need(Extension::Copy, a.node.line, a.node.col, ":copy")?;
        }
        Ok(copy)
    }

    fn flags_tag(&self, a: &mut Args<'_>) -> R<Option<VList>> {
        match a.tagged("flags")? {
            Some(v) => {
                self.need(Extension::Imap4flags, v.line, v.col, ":flags")?;
                Ok(Some(self.vlist(v)?))
            }
            None => Ok(None),
        }
    }

    fn vacation(&self, a: &mut Args<'_>, l: u32, c: u32) -> R<Cmd> {
        self.need(Extension::Vacation, l, c, "vacation")?;
        let days = a.tagged("days")?.map(|v| self.num(v)).transpose()?;
        let secs = a.tagged("seconds")?.map(|v| self.num(v)).transpose()?;
        if secs.is_some() {
            self.need(Extension::VacationSeconds, l, c, ":seconds")?;
        }
        if days.is_some() && secs.is_some() {
            return Err(diag(
                l,
                c,
                "vacation takes :days or :seconds, not both".into(),
            ));
        }
        let subject = a.tagged("subject")?.map(|v| self.vstr(v)).transpose()?;
        let from = self.checked_from(a, "vacation")?;
        let addresses = a
            .tagged("addresses")?
            .map(|v| self.vlist(v))
            .transpose()?
            .unwrap_or_default();
        let mime = a.flag("mime")?;
        let handle = a.tagged("handle")?.map(|v| self.vstr(v)).transpose()?;
        let reason = self.vstr(a.positional("reason")?)?;
        Ok(Cmd::Vacation(Box::new(Vacation {
            period: secs.or(days),
            seconds: secs.is_some(),
            subject,
            from,
            addresses,
            mime,
            handle,
            reason,
        })))
    }

    fn set(&self, a: &mut Args<'_>, l: u32, c: u32) -> R<Cmd> {
        self.need(Extension::Variables, l, c, "set")?;
        let (name, value, mods) = self.set_like(a, l, c, true)?;
        Ok(Cmd::Set { name, value, mods })
    }

    /// `set` and `extracttext`: modifiers, a name and (for set) a value.
    fn set_like(
        &self,
        a: &mut Args<'_>,
        l: u32,
        c: u32,
        with_value: bool,
    ) -> R<(String, VStr, Vec<SetMod>)> {
        let table = [
            ("lower", SetMod::Lower),
            ("upper", SetMod::Upper),
            ("lowerfirst", SetMod::LowerFirst),
            ("upperfirst", SetMod::UpperFirst),
            ("quotewildcard", SetMod::QuoteWildcard),
            ("quoteregex", SetMod::QuoteRegex),
            ("encodeurl", SetMod::EncodeUrl),
            ("length", SetMod::Length),
        ];
        let mut mods = Vec::new();
        for (tag, m) in table {
            if a.flag(tag)? {
                if m == SetMod::QuoteRegex {
                    self.need(Extension::Regex, l, c, ":quoteregex")?;
                }
                if m == SetMod::EncodeUrl {
                    self.need(Extension::Enotify, l, c, ":encodeurl")?;
                }
                if mods
                    .iter()
                    .any(|o: &SetMod| o.precedence() == m.precedence())
                {
                    return Err(diag(
                        l,
                        c,
                        format!(
                            "set modifier :{tag} conflicts with another of the same precedence"
                        ),
                    ));
                }
                mods.push(m);
            }
        }
        mods.sort_by_key(|m| std::cmp::Reverse(m.precedence()));
        let name_arg = a.positional("variable name")?;
        let name = self.vstr(name_arg)?;
        if name.vars || name.text.contains("${") {
            return Err(diag(
                name_arg.line,
                name_arg.col,
                format!("invalid variable name {:?}", name.text),
            ));
        }
        let key = self.declare_var(&name.text, name_arg)?;
        let value = if with_value {
            self.vstr(a.positional("value")?)?
        } else {
            VStr {
                text: String::new(),
                vars: false,
            }
        };
        Ok((key, value, mods))
    }

    fn index_tags(&self, a: &mut Args<'_>, l: u32, c: u32) -> R<Option<Index>> {
        self.index_tags_ext(a, l, c, true)
    }

    /// `:index N [:last]`; `deleteheader` has them without "index" (RFC 5293).
    fn index_tags_ext(&self, a: &mut Args<'_>, l: u32, c: u32, need_ext: bool) -> R<Option<Index>> {
        let idx = a.tagged("index")?.map(|v| self.num(v)).transpose()?;
        let last = a.flag("last")?;
        match idx {
            Some(n) => {
                if need_ext {
                    self.need(Extension::Index, l, c, ":index")?;
                }
                if n == 0 {
                    return Err(diag(l, c, ":index must be at least 1".into()));
                }
                Ok(Some(Index { n, last }))
            }
            None if last => Err(diag(
                l,
                c,
                format!(
                    "the :last tag for the {} cannot be specified without the :index tag",
                    a.node.name
                ),
            )),
            None => Ok(None),
        }
    }

    /// `[COMPARATOR] [MATCH-TYPE] [ADDRESS-PART]` in any order.
    fn match_spec(&self, a: &mut Args<'_>, addr: bool, l: u32, c: u32) -> R<(Match, AddrPart)> {
        let cmp = match a.tagged("comparator")? {
            Some(v) => {
                let s = self.vstr(v)?;
                match &*ascii_lower(&s.text) {
                    "i;octet" => Comparator::Octet,
                    "i;ascii-casemap" => Comparator::AsciiCasemap,
                    "i;ascii-numeric" => {
                        self.need(
                            Extension::ComparatorAsciiNumeric,
                            l,
                            c,
                            "comparator i;ascii-numeric",
                        )?;
                        Comparator::AsciiNumeric
                    }
                    // Like Pigeonhole, accepted without its require: the
                    // comparator has no side effects and RFC 5051 scripts
                    // in the wild often omit it.
                    "i;unicode-casemap" => Comparator::UnicodeCasemap,
                    other => {
                        return Err(diag(v.line, v.col, format!("unknown comparator {other:?}")));
                    }
                }
            }
            None => Comparator::AsciiCasemap,
        };
        let mut mt = None;
        let mut set = |m: MatchType| -> R<()> {
            if mt.is_some() {
                return Err(diag(l, c, "more than one match type".into()));
            }
            mt = Some(m);
            Ok(())
        };
        if a.flag("is")? {
            set(MatchType::Is)?;
        }
        if a.flag("contains")? {
            set(MatchType::Contains)?;
        }
        if a.flag("matches")? {
            set(MatchType::Matches)?;
        }
        if a.flag("regex")? {
            self.need(Extension::Regex, l, c, ":regex")?;
            set(MatchType::Regex(None))?;
        }
        for (tag, count) in [("value", false), ("count", true)] {
            if let Some(v) = a.tagged(tag)? {
                if !self.has(Extension::Relational) {
                    self.need(Extension::Relational, l, c, &format!(":{tag}"))?;
                }
                let s = self.vstr(v)?;
                let rel = match &*ascii_lower(&s.text) {
                    "gt" => Rel::Gt,
                    "ge" => Rel::Ge,
                    "lt" => Rel::Lt,
                    "le" => Rel::Le,
                    "eq" => Rel::Eq,
                    "ne" => Rel::Ne,
                    other => {
                        return Err(diag(
                            v.line,
                            v.col,
                            format!("unknown relational operator {other:?}"),
                        ));
                    }
                };
                set(if count {
                    MatchType::Count(rel)
                } else {
                    MatchType::Value(rel)
                })?;
            }
        }
        let mt = mt.unwrap_or(MatchType::Is);
        if matches!(
            mt,
            MatchType::Regex(_) | MatchType::Contains | MatchType::Matches
        ) && cmp == Comparator::AsciiNumeric
        {
            return Err(diag(
                l,
                c,
                "comparator i;ascii-numeric supports only :is, :value and :count".into(),
            ));
        }
        let mut part = AddrPart::All;
        if addr {
            let mut n = 0;
            for (tag, p) in [
                ("all", AddrPart::All),
                ("localpart", AddrPart::Local),
                ("domain", AddrPart::Domain),
                ("user", AddrPart::User),
                ("detail", AddrPart::Detail),
            ] {
                if a.flag(tag)? {
                    if matches!(p, AddrPart::User | AddrPart::Detail)
                        && !self.has(Extension::Subaddress)
                    {
                        self.need(Extension::Subaddress, l, c, &format!(":{tag}"))?;
                    }
                    part = p;
                    n += 1;
                }
            }
            if n > 1 {
                return Err(diag(l, c, "more than one address part".into()));
            }
        }
        Ok((Match { cmp, mt }, part))
    }

    fn zone(&self, a: &mut Args<'_>, l: u32, c: u32, original_ok: bool) -> R<Zone> {
        let fixed = a.tagged("zone")?.map(|v| self.vstr(v)).transpose()?;
        let orig = original_ok && a.flag("originalzone")?;
        match (fixed, orig) {
            (Some(_), true) => Err(diag(
                l,
                c,
                ":zone and :originalzone exclude each other".into(),
            )),
            (Some(z), false) => {
                if !z.vars && crate::strings::parse_zone(&z.text).is_none() {
                    return Err(diag(l, c, format!("invalid time zone {:?}", z.text)));
                }
                Ok(Zone::Fixed(z))
            }
            (None, true) => Ok(Zone::Original),
            (None, false) => Ok(Zone::Local),
        }
    }

    fn test(&mut self, n: &Node) -> R<TestNode> {
        let (l, c) = (n.line, n.col);
        let suite_test = self.suite_required && n.name.starts_with("test_");
        if !suite_test {
            self.check_shape(n, true)?;
        }
        if !matches!(&*n.name, "not" | "allof" | "anyof") && !n.tests(self.all_nodes).is_empty() {
            return Err(diag(l, c, format!("test {} does not take tests", n.name)));
        }
        if suite_test {
            let call = self.suite_call(n, true)?;
            return Ok(TestNode {
                line: l,
                test: Test::Suite(Box::new(call)),
            });
        }
        let mut a = Args::new(n, self.all_args);
        let mime = if matches!(&*n.name, "header" | "address" | "exists") {
            self.mime_tags(&mut a, n.name == "header", l, c)?
        } else {
            None
        };
        let test = match &*n.name {
            "true" => Test::True,
            "false" => Test::False,
            "not" => {
                if n.tests(self.all_nodes).len() != 1 || n.test_list {
                    return Err(diag(l, c, "not needs exactly one test".into()));
                }
                Test::Not(Box::new(self.test(&n.tests(self.all_nodes)[0])?))
            }
            "allof" | "anyof" => {
                if !n.test_list {
                    return Err(diag(
                        l,
                        c,
                        format!("{} needs a test list in parentheses", n.name),
                    ));
                }
                let mut ts = Vec::with_capacity(n.tests(self.all_nodes).len());
                for t in n.tests(self.all_nodes) {
                    ts.push(self.test(t)?);
                }
                if n.name == "allof" {
                    Test::AllOf(ts)
                } else {
                    Test::AnyOf(ts)
                }
            }
            "exists" => Test::Exists(self.vlist(a.positional("header names")?)?),
            "size" => {
                let over = a.flag("over")?;
                let under = a.flag("under")?;
                if over == under {
                    return Err(diag(
                        l,
                        c,
                        "size needs exactly one of :over and :under".into(),
                    ));
                }
                Test::Size {
                    over,
                    limit: self.num(a.positional("limit")?)?,
                }
            }
            "header" | "address" => {
                let addr = n.name == "address";
                let index = self.index_tags(&mut a, l, c)?;
                let (m, part) = self.match_spec(&mut a, addr, l, c)?;
                let names_arg = a.positional("header names")?;
                let names = self.vlist(names_arg)?;
                // RFC 5228 5.1: the address test reads address headers.
                if addr
                    && mime.is_none()
                    && let Some(bad) = names
                        .iter()
                        .find(|h| !h.vars && !crate::strings::is_address_header(&h.text))
                {
                    return Err(diag(
                        names_arg.line,
                        names_arg.col,
                        format!(
                            "specified header '{}' is not allowed for the address test",
                            bad.text
                        ),
                    ));
                }
                let keys = self.vlist(a.positional("key list")?)?;
                let m = finish_regex(m, &keys, l, c)?;
                if addr {
                    Test::Address {
                        part,
                        names,
                        keys,
                        m,
                        index,
                    }
                } else {
                    Test::Header {
                        names,
                        keys,
                        m,
                        index,
                    }
                }
            }
            "envelope" => {
                self.need(Extension::Envelope, l, c, "envelope")?;
                let (m, part) = self.match_spec(&mut a, true, l, c)?;
                let names = self.vlist(a.positional("envelope parts")?)?;
                for p in &names {
                    if !p.vars
                        && !matches!(p.text.to_ascii_lowercase().as_str(), "from" | "to" | "auth")
                    {
                        return Err(diag(l, c, format!("unknown envelope part {:?}", p.text)));
                    }
                }
                let keys = self.vlist(a.positional("key list")?)?;
                let m = finish_regex(m, &keys, l, c)?;
                Test::Envelope {
                    part,
                    names,
                    keys,
                    m,
                }
            }
            "body" => {
                self.need(Extension::Body, l, c, "body")?;
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let raw = a.flag("raw")?;
                let text = a.flag("text")?;
                let content = a.tagged("content")?.map(|v| self.vlist(v)).transpose()?;
                if usize::from(raw) + usize::from(text) + usize::from(content.is_some()) > 1 {
                    return Err(diag(
                        l,
                        c,
                        "body takes one of :raw, :content and :text".into(),
                    ));
                }
                let transform = if raw {
                    BodyTransform::Raw
                } else if content.is_some() {
                    BodyTransform::Content
                } else {
                    BodyTransform::Text
                };
                let keys = self.vlist(a.positional("key list")?)?;
                let m = finish_regex(m, &keys, l, c)?;
                Test::Body {
                    transform,
                    content_types: content.unwrap_or_default(),
                    keys,
                    m,
                }
            }
            "string" => {
                self.need(Extension::Variables, l, c, "string")?;
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let sources = self.vlist(a.positional("source")?)?;
                let keys = self.vlist(a.positional("key list")?)?;
                let m = finish_regex(m, &keys, l, c)?;
                Test::String { sources, keys, m }
            }
            "hasflag" => {
                self.need(Extension::Imap4flags, l, c, "hasflag")?;
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let first = self.vlist(a.positional("flag list")?)?;
                let (vars, keys) = match a.opt_positional() {
                    Some(k) => {
                        self.need(Extension::Variables, l, c, "a flag variable")?;
                        (Some(first), self.vlist(k)?)
                    }
                    None => (None, first),
                };
                let m = finish_regex(m, &keys, l, c)?;
                Test::HasFlag { vars, keys, m }
            }
            "date" | "currentdate" => {
                self.need(Extension::Date, l, c, &n.name)?;
                let cur = n.name == "currentdate";
                let index = if cur {
                    None
                } else {
                    self.index_tags(&mut a, l, c)?
                };
                let zone = self.zone(&mut a, l, c, !cur)?;
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let header = if cur {
                    None
                } else {
                    Some(self.vstr(a.positional("header name")?)?)
                };
                let part = self.vstr(a.positional("date part")?)?;
                if !part.vars
                    && !crate::strings::DATE_PARTS
                        .contains(&part.text.to_ascii_lowercase().as_str())
                {
                    return Err(diag(l, c, format!("unknown date part {:?}", part.text)));
                }
                let keys = self.vlist(a.positional("key list")?)?;
                let m = finish_regex(m, &keys, l, c)?;
                match header {
                    Some(header) => Test::Date {
                        zone,
                        header,
                        part,
                        keys,
                        m,
                        index,
                    },
                    None => Test::CurrentDate {
                        zone,
                        part,
                        keys,
                        m,
                    },
                }
            }
            "mailboxexists" => {
                self.need(Extension::Mailbox, l, c, "mailboxexists")?;
                Test::MailboxExists(self.vlist(a.positional("mailbox names")?)?)
            }
            "specialuse_exists" => {
                self.need(Extension::SpecialUse, l, c, "specialuse_exists")?;
                let first = a.positional("special-use flags")?;
                let (mailbox, uses_arg) = match a.opt_positional() {
                    Some(uses) => (Some(self.vstr(first)?), uses),
                    None => (None, first),
                };
                let uses = self.vlist(uses_arg)?;
                for u in uses.iter().filter(|u| !u.vars) {
                    if !crate::strings::valid_special_use(&u.text) {
                        return Err(diag(
                            uses_arg.line,
                            uses_arg.col,
                            format!(
                                "specialuse_exists test: invalid special-use flag {:?}",
                                u.text
                            ),
                        ));
                    }
                }
                Test::SpecialUseExists { mailbox, uses }
            }
            "environment" => {
                self.need(Extension::Environment, l, c, "environment")?;
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let name = self.vstr(a.positional("item name")?)?;
                let keys = self.vlist(a.positional("key list")?)?;
                let m = finish_regex(m, &keys, l, c)?;
                Test::Environment { name, keys, m }
            }
            "spamtest" | "virustest" => {
                let spam = n.name == "spamtest";
                self.need(
                    if spam {
                        Extension::Spamtest
                    } else {
                        Extension::Virustest
                    },
                    l,
                    c,
                    &n.name,
                )?;
                let percent = spam && a.flag("percent")?;
                if percent {
                    self.need(Extension::Spamtestplus, l, c, ":percent")?;
                }
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let key_arg = a.positional("value")?;
                let key = self.vstr(key_arg)?;
                let m = finish_regex(m, std::slice::from_ref(&key), l, c)?;
                if spam {
                    Test::Spamtest { percent, key, m }
                } else {
                    Test::Virustest { key, m }
                }
            }
            "duplicate" => {
                self.need(Extension::Duplicate, l, c, "duplicate")?;
                let handle = a.tagged("handle")?.map(|v| self.vstr(v)).transpose()?;
                let header = a.tagged("header")?.map(|v| self.vstr(v)).transpose()?;
                let uniqueid = a.tagged("uniqueid")?.map(|v| self.vstr(v)).transpose()?;
                if header.is_some() && uniqueid.is_some() {
                    return Err(diag(
                        l,
                        c,
                        "duplicate takes :header or :uniqueid, not both".into(),
                    ));
                }
                let seconds = a.tagged("seconds")?.map(|v| self.num(v)).transpose()?;
                let last = a.flag("last")?;
                Test::Duplicate {
                    handle,
                    header,
                    uniqueid,
                    seconds,
                    last,
                }
            }
            "ihave" => {
                self.need(Extension::Ihave, l, c, "ihave")?;
                let caps = self.vlist(a.positional("capabilities")?)?;
                a.finish()?;
                // RFC 5463 4: encoded-character and variables change how
                // a script is read, so ihave never reports them.
                let all = caps.iter().all(|s| {
                    Extension::from_name(&s.text).is_some_and(|e| {
                        !matches!(e, Extension::EncodedCharacter | Extension::Variables)
                    })
                });
                if all {
                    // RFC 5463: within the guarded block the extensions
                    // are usable as if required.
                    for s in &caps {
                        if let Some(e) = Extension::from_name(&s.text) {
                            self.add_require(e);
                        }
                    }
                }
                return Ok(TestNode {
                    line: l,
                    test: if all { Test::True } else { Test::False },
                });
            }
            "valid_notify_method" => {
                self.need(Extension::Enotify, l, c, "valid_notify_method")?;
                Test::ValidNotifyMethod(self.vlist(a.positional("uris")?)?)
            }
            "notify_method_capability" => {
                self.need(Extension::Enotify, l, c, "notify_method_capability")?;
                let (m, _) = self.match_spec(&mut a, false, l, c)?;
                let uri = self.vstr(a.positional("uri")?)?;
                let capability = self.vstr(a.positional("capability")?)?;
                let keys = self.vlist(a.positional("key list")?)?;
                let m = finish_regex(m, &keys, l, c)?;
                Test::NotifyMethodCapability {
                    uri,
                    capability,
                    keys,
                    m,
                }
            }
            other => return Err(diag(l, c, format!("unknown test {other:?}"))),
        };
        if a.remaining_positionals() > 0 || !a.all_used() {
            a.finish()?;
        }
        let test = match mime {
            Some(opts) => Test::Mime {
                opts,
                inner: Box::new(TestNode { line: l, test }),
            },
            None => test,
        };
        Ok(TestNode { line: l, test })
    }

    /// `:mime`, `:anychild` and, for header, `:type`, `:subtype`,
    /// `:contenttype` or `:param` (RFC 5703 section 4).
    fn mime_tags(&self, a: &mut Args<'_>, header: bool, l: u32, c: u32) -> R<Option<MimeOpts>> {
        let mime = a.flag("mime")?;
        let anychild = a.flag("anychild")?;
        let mut value = MimeValue::Full;
        let mut count = 0;
        if header {
            for (tag, v) in [
                ("type", MimeValue::Type),
                ("subtype", MimeValue::Subtype),
                ("contenttype", MimeValue::ContentType),
            ] {
                if a.flag(tag)? {
                    count += 1;
                    value = v;
                }
            }
            if let Some(p) = a.tagged("param")? {
                count += 1;
                value = MimeValue::Param(self.vlist(p)?);
            }
        }
        if count > 1 {
            return Err(diag(
                l,
                c,
                "more than one of :type, :subtype, :contenttype, :param".into(),
            ));
        }
        if !mime {
            if anychild || count > 0 {
                return Err(diag(
                    l,
                    c,
                    ":anychild, :type, :subtype, :contenttype and :param need :mime".into(),
                ));
            }
            return Ok(None);
        }
        self.need(Extension::Mime, l, c, ":mime")?;
        Ok(Some(MimeOpts { anychild, value }))
    }
}

/// Precompiles `:regex` keys when none of them has variables.
fn finish_regex(mut m: Match, keys: &[VStr], l: u32, c: u32) -> R<Match> {
    if let MatchType::Regex(slot) = &mut m.mt
        && keys.iter().all(|k| !k.vars)
    {
        let mut v = Vec::with_capacity(keys.len());
        for k in keys {
            v.push(build_regex(&k.text, m.cmp).map_err(|e| diag(l, c, e))?);
        }
        *slot = Some(v);
    }
    Ok(m)
}

/// Builds a POSIX-extended-like pattern on the linear-time engine.
pub(crate) fn build_regex(pat: &str, cmp: Comparator) -> Result<Regex, String> {
    let ci = matches!(cmp, Comparator::AsciiCasemap | Comparator::UnicodeCasemap);
    Regex::builder()
        .syntax(
            regex_automata::util::syntax::Config::new()
                .case_insensitive(ci)
                .unicode(cmp == Comparator::UnicodeCasemap)
                .utf8(false),
        )
        .configure(Regex::config().nfa_size_limit(Some(1 << 20)))
        .build(pat)
        .map_err(|e| format!("invalid regular expression {pat:?}: {e}"))
}

/// A script name for include (RFC 6609 3.2, RFC 5804 1.6): no slash,
/// no control characters, no line or paragraph separator.
/// `s` in ASCII lowercase, borrowed when it is already.
fn ascii_lower(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn valid_script_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 256
        && !name
            .chars()
            .any(|c| c == '/' || c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
}

/// An if that stands in for a broken one, so the elsif and else after it
/// are not reported too (the script does not compile anyway).
fn placeholder_if(name: &str, line: u32) -> Stmt {
    Stmt {
        line,
        cmd: Cmd::If {
            branches: vec![(
                TestNode {
                    line,
                    test: Test::False,
                },
                Vec::new(),
            )],
            otherwise: (name == "else").then(Vec::new),
        },
    }
}

fn unreachable_if() -> ! {
    unreachable!("an if always has a test")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_scripts_compile() {
        let ok = [
            "keep;",
            "require \"fileinto\"; if header :contains \"subject\" \"x\" { fileinto \"A\"; } elsif true { stop; } else { discard; }",
            "require [\"variables\", \"relational\", \"comparator-i;ascii-numeric\"]; set :lower \"x\" \"AB\"; if string :value \"gt\" :comparator \"i;ascii-numeric\" \"${x}\" \"3\" { keep; }",
            "require [\"envelope\", \"subaddress\"]; if envelope :detail \"to\" \"list\" { discard; }",
            "require \"vacation\"; vacation :days 3 :subject \"away\" \"I am away\";",
            "require [\"imap4flags\", \"fileinto\", \"copy\"]; fileinto :copy :flags [\"\\\\Seen\"] \"X\";",
            "require \"regex\"; if header :regex \"subject\" \"^a(b|c)+$\" { keep; }",
            "require \"ihave\"; if ihave \"frobnicate\" { frobnicate 3; }",
            "require [\"date\", \"relational\"]; if currentdate :value \"ge\" \"year\" \"2020\" { keep; }",
        ];
        for s in ok {
            if let Err(e) = compile(s) {
                panic!("{s}: {e:?}");
            }
        }
    }

    #[test]
    fn bad_scripts_fail_with_position() {
        let bad: &[(&str, u32, &str)] = &[
            ("fileinto \"x\";", 1, "needs require"),
            ("require \"nope\";", 1, "unsupported extension"),
            ("keep \"x\";", 1, "requires 0 positional argument(s), but 1"),
            ("\nif true keep;", 2, "requires a command block"),
            ("\nif true { keep }", 2, "expected ';' or '{'"),
            ("elsif true {}", 1, "must follow an if"),
            (
                "if header :is :contains \"a\" \"b\" {}",
                1,
                "more than one match type",
            ),
            (
                "if header :comparator \"i;nope\" \"a\" \"b\" {}",
                1,
                "unknown comparator",
            ),
            (
                "redirect \"not an address\";",
                1,
                "invalid redirect address",
            ),
            (
                "keep;\nrequire \"fileinto\";",
                2,
                "require must come before",
            ),
            ("if size 3 {}", 1, ":over and :under"),
            (
                "require \"regex\"; if header :regex \"a\" \"(\" {}",
                1,
                "invalid regular expression",
            ),
        ];
        for (s, line, msg) in bad {
            let e = compile(s).unwrap_err();
            assert_eq!(e.errors[0].line, *line, "{s}: {e:?}");
            assert!(e.errors[0].message.contains(msg), "{s}: {e:?}");
        }
    }

    #[test]
    fn several_errors_at_once() {
        let e = compile("fileinto \"a\";\nfoo;\nkeep 1;\n").unwrap_err();
        assert_eq!(e.errors.len(), 3, "{e:?}");
    }

    #[test]
    fn script_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Script>();
    }
}
