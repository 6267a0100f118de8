//! The compiled form of a script: validated, typed and immutable.

use regex_automata::meta::Regex;

/// A string argument; `vars` is true when it contains `${` and the
/// script requires "variables", so it must be expanded at run time.
#[derive(Debug, Clone)]
pub(crate) struct VStr {
    pub text: String,
    pub vars: bool,
}

impl AsRef<str> for VStr {
    /// The text as written (unexpanded).
    fn as_ref(&self) -> &str {
        &self.text
    }
}

/// A string list. A single string, the usual case, is held inline: no
/// allocation of its own at compile time.
#[derive(Debug, Clone)]
pub(crate) enum VList {
    One(VStr),
    Many(Vec<VStr>),
}

impl Default for VList {
    /// The empty list.
    fn default() -> Self {
        VList::Many(Vec::new())
    }
}

impl std::ops::Deref for VList {
    type Target = [VStr];

    fn deref(&self) -> &[VStr] {
        match self {
            VList::One(s) => std::slice::from_ref(s),
            VList::Many(v) => v,
        }
    }
}

impl<'a> IntoIterator for &'a VList {
    type Item = &'a VStr;
    type IntoIter = std::slice::Iter<'a, VStr>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Comparators (RFC 4790 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparator {
    Octet,
    AsciiCasemap,
    AsciiNumeric,
    UnicodeCasemap,
}

/// Relational operators (RFC 5231).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rel {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

#[derive(Debug, Clone)]
pub(crate) enum MatchType {
    Is,
    Contains,
    Matches,
    /// Precompiled patterns when every key is constant.
    Regex(Option<Vec<Regex>>),
    Value(Rel),
    Count(Rel),
}

#[derive(Debug, Clone)]
pub(crate) struct Match {
    pub cmp: Comparator,
    pub mt: MatchType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddrPart {
    All,
    Local,
    Domain,
    User,
    Detail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyTransform {
    Raw,
    Text,
    Content,
}

/// `:index N [:last]` (RFC 5260).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Index {
    pub n: u64,
    pub last: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Zone {
    Local,
    Original,
    Fixed(VStr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetMod {
    Lower,
    Upper,
    LowerFirst,
    UpperFirst,
    QuoteWildcard,
    QuoteRegex,
    EncodeUrl,
    Length,
}

impl SetMod {
    /// RFC 5229 section 4.1: higher precedence applies first.
    pub fn precedence(self) -> u8 {
        match self {
            SetMod::Lower | SetMod::Upper => 40,
            SetMod::LowerFirst | SetMod::UpperFirst => 30,
            SetMod::QuoteWildcard | SetMod::QuoteRegex | SetMod::EncodeUrl => 20,
            SetMod::Length => 10,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Vacation {
    pub period: Option<u64>,
    pub seconds: bool,
    pub subject: Option<VStr>,
    pub from: Option<VStr>,
    pub addresses: VList,
    pub mime: bool,
    pub handle: Option<VStr>,
    pub reason: VStr,
}

#[derive(Debug, Clone)]
pub(crate) struct Notify {
    pub from: Option<VStr>,
    pub importance: Option<VStr>,
    pub options: VList,
    pub message: Option<VStr>,
    pub method: VStr,
}

#[derive(Debug, Clone)]
pub(crate) enum Cmd {
    If {
        branches: Vec<(TestNode, Vec<Stmt>)>,
        otherwise: Option<Vec<Stmt>>,
    },
    Stop,
    Keep {
        flags: Option<VList>,
    },
    Discard,
    FileInto {
        mailbox: VStr,
        copy: bool,
        create: bool,
        flags: Option<VList>,
        special_use: Option<VStr>,
    },
    Redirect {
        address: VStr,
        copy: bool,
    },
    Reject {
        reason: VStr,
        extended: bool,
    },
    Vacation(Box<Vacation>),
    Notify(Box<Notify>),
    Set {
        name: String,
        value: VStr,
        mods: Vec<SetMod>,
    },
    Flags {
        op: FlagOp,
        var: Option<VStr>,
        flags: VList,
    },
    AddHeader {
        last: bool,
        name: VStr,
        value: VStr,
    },
    DeleteHeader {
        index: Option<Index>,
        m: Match,
        name: VStr,
        values: Option<VList>,
    },
    Error(VStr),
    Include {
        global: bool,
        once: bool,
        optional: bool,
        name: VStr,
    },
    Return,
    Global(VList),
    /// A `vnd.dovecot.testsuite` command (test harness only).
    Suite(Box<SuiteCall>),
    /// `foreverypart [:name N] { ... }` (RFC 5703).
    ForEveryPart {
        name: Option<String>,
        body: Vec<Stmt>,
    },
    /// `break [:name N]` (RFC 5703).
    Break(Option<String>),
    /// `extracttext [MODIFIERS] [:first N] VARNAME` (RFC 5703).
    ExtractText {
        name: String,
        mods: Vec<SetMod>,
        first: Option<u64>,
    },
}

/// Which value of a MIME header `:mime` tests look at (RFC 5703 4.1).
#[derive(Debug, Clone)]
pub(crate) enum MimeValue {
    Full,
    Type,
    Subtype,
    ContentType,
    Param(VList),
}

/// `:mime` options of header, address and exists.
#[derive(Debug, Clone)]
pub(crate) struct MimeOpts {
    pub anychild: bool,
    pub value: MimeValue,
}

/// An argument of a testsuite command or test, in script order.
#[derive(Debug, Clone)]
pub(crate) enum SuiteArg {
    Tag(String),
    Str(VStr),
    List(VList),
    Num(u64),
}

/// A `vnd.dovecot.testsuite` command or test: its name, its arguments
/// and, for `test`, its block; tests also carry a match and keys.
#[derive(Debug, Clone)]
pub(crate) struct SuiteCall {
    pub name: String,
    pub args: Vec<SuiteArg>,
    pub block: Option<Vec<Stmt>>,
    pub m: Option<Match>,
    pub index: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagOp {
    Set,
    Add,
    Remove,
}

/// A command with the line it starts on.
#[derive(Debug, Clone)]
pub(crate) struct Stmt {
    pub line: u32,
    pub cmd: Cmd,
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    True,
    False,
    Not(Box<TestNode>),
    AllOf(Vec<TestNode>),
    AnyOf(Vec<TestNode>),
    Exists(VList),
    Size {
        over: bool,
        limit: u64,
    },
    Header {
        names: VList,
        keys: VList,
        m: Match,
        index: Option<Index>,
    },
    Address {
        part: AddrPart,
        names: VList,
        keys: VList,
        m: Match,
        index: Option<Index>,
    },
    Envelope {
        part: AddrPart,
        names: VList,
        keys: VList,
        m: Match,
    },
    Body {
        transform: BodyTransform,
        content_types: VList,
        keys: VList,
        m: Match,
    },
    String {
        sources: VList,
        keys: VList,
        m: Match,
    },
    HasFlag {
        vars: Option<VList>,
        keys: VList,
        m: Match,
    },
    Date {
        zone: Zone,
        header: VStr,
        part: VStr,
        keys: VList,
        m: Match,
        index: Option<Index>,
    },
    CurrentDate {
        zone: Zone,
        part: VStr,
        keys: VList,
        m: Match,
    },
    MailboxExists(VList),
    SpecialUseExists {
        mailbox: Option<VStr>,
        uses: VList,
    },
    Environment {
        name: VStr,
        keys: VList,
        m: Match,
    },
    Spamtest {
        percent: bool,
        key: VStr,
        m: Match,
    },
    Virustest {
        key: VStr,
        m: Match,
    },
    Duplicate {
        handle: Option<VStr>,
        header: Option<VStr>,
        uniqueid: Option<VStr>,
        seconds: Option<u64>,
        last: bool,
    },
    ValidNotifyMethod(VList),
    /// A `vnd.dovecot.testsuite` test (test harness only).
    Suite(Box<SuiteCall>),
    /// A header, address or exists test with `:mime`: it reads the
    /// headers of the current MIME part (and its children with `:anychild`).
    Mime {
        opts: MimeOpts,
        inner: Box<TestNode>,
    },
    NotifyMethodCapability {
        uri: VStr,
        capability: VStr,
        keys: VList,
        m: Match,
    },
}

/// A test with its line, for explanations.
#[derive(Debug, Clone)]
pub(crate) struct TestNode {
    pub line: u32,
    pub test: Test,
}
