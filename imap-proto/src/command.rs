//! IMAP commands (client to server): types, the server-side parser and
//! the client-side encoder.
//!
//! Covers RFC 9051 and RFC 3501 plus ENABLE, UIDPLUS, MOVE, UNSELECT,
//! NAMESPACE, ID, CONDSTORE/QRESYNC, ESEARCH, SEARCHRES, LIST-EXTENDED,
//! LIST-STATUS, SPECIAL-USE, QUOTA, SORT/THREAD, BINARY, UTF8=ACCEPT,
//! STATUS=SIZE, OBJECTID, PREVIEW, IDLE, SASL-IR and MULTIAPPEND.

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};
use crate::lex::{Cur, Enc, KwBuf, LiteralMode, ParseOptions, ascii, upper};
use crate::types::{
    Date, DateTime, Flag, Mailbox, Section, SequenceSet, Tag, encode_atom, encode_flag_list,
    encode_list_mailbox, match_kw, parse_flag_list, parse_list_mailbox,
};

/// A tagged command.
///
/// ```abnf
/// command         = tag SP (command-any / command-auth /
///                   command-nonauth / command-select) CRLF
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// The tag the server echoes in its completion.
    pub tag: Tag<'a>,
    /// What is asked.
    pub body: CommandBody<'a>,
}

/// `SELECT`/`EXAMINE` parameters (CONDSTORE, QRESYNC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectParam<'a> {
    /// `CONDSTORE`
    CondStore,
    /// `QRESYNC (uidvalidity modseq [known-uids [seq-match-data]])`
    QResync {
        /// Last known UIDVALIDITY.
        uid_validity: u32,
        /// Last known modification sequence.
        mod_seq: u64,
        /// Known UIDs.
        known_uids: Option<SequenceSet>,
        /// Known sequence numbers matched with their UIDs.
        seq_match: Option<(SequenceSet, SequenceSet)>,
    },
    /// Another parameter: name and raw value.
    Other(&'a str),
}

/// A STATUS item (RFC 9051, CONDSTORE, STATUS=SIZE, APPENDLIMIT,
/// OBJECTID, QUOTA).
///
/// ```abnf
/// status-att      = "MESSAGES" / "UIDNEXT" / "UIDVALIDITY" /
///                   "UNSEEN" / "DELETED" / "SIZE"
/// status-att      =/ "RECENT"                ; RFC 3501
/// status-att      =/ "HIGHESTMODSEQ"         ; RFC 7162
/// status-att      =/ "APPENDLIMIT"           ; RFC 7889
/// status-att      =/ "MAILBOXID"             ; RFC 8474
/// status-att      =/ "DELETED-STORAGE"       ; RFC 9208
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusItem {
    /// `MESSAGES`
    Messages,
    /// `UIDNEXT`
    UidNext,
    /// `UIDVALIDITY`
    UidValidity,
    /// `UNSEEN`
    Unseen,
    /// `DELETED`
    Deleted,
    /// `SIZE`
    Size,
    /// `RECENT` (IMAP4rev1)
    Recent,
    /// `HIGHESTMODSEQ`
    HighestModSeq,
    /// `APPENDLIMIT`
    AppendLimit,
    /// `MAILBOXID`
    MailboxId,
    /// `DELETED-STORAGE` (QUOTA)
    DeletedStorage,
}

const STATUS_NAMES: [(&[u8], StatusItem); 11] = [
    (b"MESSAGES", StatusItem::Messages),
    (b"UIDNEXT", StatusItem::UidNext),
    (b"UIDVALIDITY", StatusItem::UidValidity),
    (b"UNSEEN", StatusItem::Unseen),
    (b"DELETED", StatusItem::Deleted),
    (b"SIZE", StatusItem::Size),
    (b"RECENT", StatusItem::Recent),
    (b"HIGHESTMODSEQ", StatusItem::HighestModSeq),
    (b"APPENDLIMIT", StatusItem::AppendLimit),
    (b"MAILBOXID", StatusItem::MailboxId),
    (b"DELETED-STORAGE", StatusItem::DeletedStorage),
];

impl StatusItem {
    /// The wire name.
    pub fn name(self) -> &'static str {
        let n = STATUS_NAMES
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n);
        ascii(n.unwrap_or_default())
    }

    /// One `status-att` (see the type for the rule).
    pub(crate) fn parse(c: &mut Cur<'_>) -> Result<Self, ParseError> {
        let at = c.p;
        let w = c.word();
        STATUS_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(w))
            .map(|(_, s)| *s)
            .ok_or_else(|| ParseError {
                offset: at,
                kind: ParseErrorKind::UnknownKeyword(String::from_utf8_lossy(w).into_owned()),
            })
    }
}

/// LIST selection options (LIST-EXTENDED, SPECIAL-USE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListSelect<'a> {
    /// `SUBSCRIBED`
    Subscribed,
    /// `REMOTE`
    Remote,
    /// `RECURSIVEMATCH`
    RecursiveMatch,
    /// `SPECIAL-USE`
    SpecialUse,
    /// Another option.
    Other(&'a str),
}

/// LIST return options (LIST-EXTENDED, LIST-STATUS, SPECIAL-USE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListReturn<'a> {
    /// `SUBSCRIBED`
    Subscribed,
    /// `CHILDREN`
    Children,
    /// `SPECIAL-USE`
    SpecialUse,
    /// `STATUS (items)`
    Status(Vec<StatusItem>),
    /// Another option.
    Other(&'a str),
}

/// One message of an APPEND (several with MULTIAPPEND).
///
/// ```abnf
/// append          = "APPEND" SP mailbox 1*append-message
/// append-message  = [SP flag-list] [SP date-time] SP append-data
/// append-data     = literal / literal8 / "UTF8" SP "(" literal8 ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage<'a> {
    /// Flags to set.
    pub flags: Option<Vec<Flag<'a>>>,
    /// Internal date to set.
    pub date: Option<DateTime>,
    /// The message, borrowed from the literal.
    pub data: &'a [u8],
    /// Sent as `literal8` (`~{N}`, BINARY).
    pub binary: bool,
    /// Wrapped in `UTF8 (...)` (UTF8=ACCEPT).
    pub utf8: bool,
}

/// A FETCH item.
///
/// ```abnf
/// fetch-att       = "ENVELOPE" / "FLAGS" / "INTERNALDATE" /
///                   "RFC822.SIZE" /
///                   "BODY" ["STRUCTURE"] / "UID" /
///                   "BODY" section [partial] /
///                   "BODY.PEEK" section [partial] /
///                   "BINARY" [".PEEK"] section-binary [partial] /
///                   "BINARY.SIZE" section-binary
/// partial         = "<" number64 "." nz-number64 ">"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAttr<'a> {
    /// `ENVELOPE`
    Envelope,
    /// `FLAGS`
    Flags,
    /// `INTERNALDATE`
    InternalDate,
    /// `RFC822` (IMAP4rev1)
    Rfc822,
    /// `RFC822.HEADER` (IMAP4rev1)
    Rfc822Header,
    /// `RFC822.SIZE`
    Rfc822Size,
    /// `RFC822.TEXT` (IMAP4rev1)
    Rfc822Text,
    /// `BODY` (structure without extensions)
    Body,
    /// `BODYSTRUCTURE`
    BodyStructure,
    /// `UID`
    Uid,
    /// `BODY[section]<partial>` or `BODY.PEEK[...]`
    BodySection {
        /// The section.
        section: Section<'a>,
        /// Origin and length.
        partial: Option<(u64, u64)>,
        /// `.PEEK`: do not set `\Seen`.
        peek: bool,
    },
    /// `BINARY[part]<partial>` or `BINARY.PEEK[...]`
    Binary {
        /// Part numbers.
        part: Vec<u32>,
        /// Origin and length.
        partial: Option<(u64, u64)>,
        /// `.PEEK`
        peek: bool,
    },
    /// `BINARY.SIZE[part]`
    BinarySize(Vec<u32>),
    /// `MODSEQ` (CONDSTORE)
    ModSeq,
    /// `EMAILID` (OBJECTID)
    EmailId,
    /// `THREADID` (OBJECTID)
    ThreadId,
    /// `SAVEDATE`
    SaveDate,
    /// `PREVIEW` or `PREVIEW (LAZY)`
    Preview {
        /// `LAZY` modifier.
        lazy: bool,
    },
}

/// What FETCH asks for: a macro or a list of items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchItems<'a> {
    /// `ALL` = FLAGS INTERNALDATE RFC822.SIZE ENVELOPE
    All,
    /// `FAST` = FLAGS INTERNALDATE RFC822.SIZE
    Fast,
    /// `FULL` = ALL plus BODY
    Full,
    /// One item, or a parenthesized list (`parens`).
    Attrs {
        /// The items.
        attrs: Vec<FetchAttr<'a>>,
        /// Whether they were in parentheses.
        parens: bool,
    },
}

/// FETCH modifiers (CONDSTORE, QRESYNC).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchModifiers {
    /// `CHANGEDSINCE modseq`
    pub changed_since: Option<u64>,
    /// `VANISHED`
    pub vanished: bool,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreMode {
    /// `FLAGS`: replace
    Replace,
    /// `+FLAGS`: add
    Add,
    /// `-FLAGS`: remove
    Remove,
}

/// ESEARCH return options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchReturn {
    /// `MIN`
    Min,
    /// `MAX`
    Max,
    /// `ALL`
    All,
    /// `COUNT`
    Count,
    /// `SAVE` (SEARCHRES)
    Save,
}

/// A search key.
///
/// ```abnf
/// search-key      = "ALL" / "ANSWERED" / "BCC" SP astring /
///                   "BEFORE" SP date / "BODY" SP astring /
///                   "CC" SP astring / "DELETED" / "FLAGGED" /
///                   "FROM" SP astring / "KEYWORD" SP flag-keyword /
///                   "ON" SP date / "SEEN" /
///                   "SINCE" SP date / "SUBJECT" SP astring /
///                   "TEXT" SP astring / "TO" SP astring /
///                   "UNANSWERED" / "UNDELETED" / "UNFLAGGED" /
///                   "UNKEYWORD" SP flag-keyword / "UNSEEN" /
///                   "DRAFT" / "HEADER" SP header-fld-name SP astring /
///                   "LARGER" SP number64 / "NOT" SP search-key /
///                   "OR" SP search-key SP search-key /
///                   "SENTBEFORE" SP date / "SENTON" SP date /
///                   "SENTSINCE" SP date / "SMALLER" SP number64 /
///                   "UID" SP sequence-set / "UNDRAFT" / sequence-set /
///                   "(" search-key *(SP search-key) ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKey<'a> {
    /// `ALL`
    All,
    /// `ANSWERED`
    Answered,
    /// `BCC s`
    Bcc(Cow<'a, [u8]>),
    /// `BEFORE d`
    Before(Date),
    /// `BODY s`
    Body(Cow<'a, [u8]>),
    /// `CC s`
    Cc(Cow<'a, [u8]>),
    /// `DELETED`
    Deleted,
    /// `DRAFT`
    Draft,
    /// `FLAGGED`
    Flagged,
    /// `FROM s`
    From(Cow<'a, [u8]>),
    /// `HEADER name value`
    Header(Cow<'a, [u8]>, Cow<'a, [u8]>),
    /// `KEYWORD k`
    Keyword(&'a str),
    /// `LARGER n`
    Larger(u64),
    /// `NEW` (IMAP4rev1)
    New,
    /// `NOT k`
    Not(Box<SearchKey<'a>>),
    /// `OLD` (IMAP4rev1)
    Old,
    /// `ON d`
    On(Date),
    /// `OR a b`
    Or(Box<SearchKey<'a>>, Box<SearchKey<'a>>),
    /// `RECENT` (IMAP4rev1)
    Recent,
    /// `SEEN`
    Seen,
    /// `SENTBEFORE d`
    SentBefore(Date),
    /// `SENTON d`
    SentOn(Date),
    /// `SENTSINCE d`
    SentSince(Date),
    /// `SINCE d`
    Since(Date),
    /// `SMALLER n`
    Smaller(u64),
    /// `SUBJECT s`
    Subject(Cow<'a, [u8]>),
    /// `TEXT s`
    Text(Cow<'a, [u8]>),
    /// `TO s`
    To(Cow<'a, [u8]>),
    /// `UID set`
    Uid(SequenceSet),
    /// `UNANSWERED`
    Unanswered,
    /// `UNDELETED`
    Undeleted,
    /// `UNDRAFT`
    Undraft,
    /// `UNFLAGGED`
    Unflagged,
    /// `UNKEYWORD k`
    Unkeyword(&'a str),
    /// `UNSEEN`
    Unseen,
    /// A bare sequence set.
    SequenceSet(SequenceSet),
    /// `(k1 k2 ...)`: all must match.
    And(Vec<SearchKey<'a>>),
    /// `MODSEQ [entry-name entry-type] n` (CONDSTORE); the entry is
    /// kept as raw (name, type).
    ModSeq(Option<(Cow<'a, [u8]>, &'a str)>, u64),
    /// `EMAILID id` (OBJECTID)
    EmailId(&'a str),
    /// `THREADID id` (OBJECTID)
    ThreadId(&'a str),
    /// `OLDER n` (WITHIN, seconds)
    Older(u32),
    /// `YOUNGER n` (WITHIN, seconds)
    Younger(u32),
}

/// A SORT criterion (RFC 5256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortCriterion {
    /// `REVERSE`
    pub reverse: bool,
    /// The key.
    pub key: SortKey,
}

/// A SORT key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// `ARRIVAL`
    Arrival,
    /// `CC`
    Cc,
    /// `DATE`
    Date,
    /// `FROM`
    From,
    /// `SIZE`
    Size,
    /// `SUBJECT`
    Subject,
    /// `TO`
    To,
    /// `DISPLAYFROM` (RFC 5957)
    DisplayFrom,
    /// `DISPLAYTO` (RFC 5957)
    DisplayTo,
}

const SORT_KEYS: [(&[u8], SortKey); 9] = [
    (b"ARRIVAL", SortKey::Arrival),
    (b"CC", SortKey::Cc),
    (b"DATE", SortKey::Date),
    (b"FROM", SortKey::From),
    (b"SIZE", SortKey::Size),
    (b"SUBJECT", SortKey::Subject),
    (b"TO", SortKey::To),
    (b"DISPLAYFROM", SortKey::DisplayFrom),
    (b"DISPLAYTO", SortKey::DisplayTo),
];

/// SEARCH arguments shared by SEARCH, SORT and THREAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search<'a> {
    /// `RETURN (...)` options (ESEARCH); `None` when absent.
    pub ret: Option<Vec<SearchReturn>>,
    /// `CHARSET name`
    pub charset: Option<Cow<'a, [u8]>>,
    /// The keys, all of which must match.
    pub keys: Vec<SearchKey<'a>>,
}

/// One ID field: name and value (`NIL` when absent).
pub type IdParam<'a> = (Cow<'a, [u8]>, Option<Cow<'a, [u8]>>);

/// A quota resource limit: name and limit.
pub type QuotaLimit<'a> = (&'a str, u64);

/// The body of a command, one variant per command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandBody<'a> {
    // Any state.
    /// `CAPABILITY`
    Capability,
    /// `NOOP`
    Noop,
    /// `LOGOUT`
    Logout,
    /// `ID (params)` or `ID NIL` (RFC 2971)
    Id(Option<Vec<IdParam<'a>>>),

    // Not authenticated.
    /// `STARTTLS`
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR); `=` is an
    /// empty initial response.
    Authenticate {
        /// SASL mechanism name.
        mechanism: &'a str,
        /// Base64 initial response, as sent.
        initial: Option<&'a str>,
    },
    /// `LOGIN user password`
    Login {
        /// User name.
        user: Cow<'a, [u8]>,
        /// Password.
        password: Cow<'a, [u8]>,
    },

    // Authenticated.
    /// `ENABLE capabilities`
    Enable(Vec<&'a str>),
    /// `SELECT mailbox [(params)]`
    Select(Mailbox<'a>, Vec<SelectParam<'a>>),
    /// `EXAMINE mailbox [(params)]`
    Examine(Mailbox<'a>, Vec<SelectParam<'a>>),
    /// `CREATE mailbox [(USE (attrs))]`
    Create(Mailbox<'a>, Vec<&'a str>),
    /// `DELETE mailbox`
    Delete(Mailbox<'a>),
    /// `RENAME from to`
    Rename(Mailbox<'a>, Mailbox<'a>),
    /// `SUBSCRIBE mailbox`
    Subscribe(Mailbox<'a>),
    /// `UNSUBSCRIBE mailbox`
    Unsubscribe(Mailbox<'a>),
    /// `LIST [(select)] reference patterns [RETURN (options)]`
    List {
        /// Selection options.
        select: Vec<ListSelect<'a>>,
        /// Reference name.
        reference: Mailbox<'a>,
        /// Patterns (one, or several with LIST-EXTENDED).
        patterns: Vec<Cow<'a, str>>,
        /// Whether patterns were in parentheses.
        multiple: bool,
        /// Return options.
        ret: Vec<ListReturn<'a>>,
    },
    /// `LSUB reference pattern` (IMAP4rev1)
    Lsub(Mailbox<'a>, Cow<'a, str>),
    /// `NAMESPACE`
    Namespace,
    /// `STATUS mailbox (items)`
    Status(Mailbox<'a>, Vec<StatusItem>),
    /// `APPEND mailbox message...`
    Append(Mailbox<'a>, Vec<AppendMessage<'a>>),
    /// `IDLE`
    Idle,
    /// `GETQUOTA root`
    GetQuota(Cow<'a, [u8]>),
    /// `GETQUOTAROOT mailbox`
    GetQuotaRoot(Mailbox<'a>),
    /// `SETQUOTA root (resource limit ...)`
    SetQuota(Cow<'a, [u8]>, Vec<QuotaLimit<'a>>),

    // Selected.
    /// `CHECK` (IMAP4rev1)
    Check,
    /// `CLOSE`
    Close,
    /// `UNSELECT`
    Unselect,
    /// `EXPUNGE`, or `UID EXPUNGE set` (UIDPLUS)
    Expunge(Option<SequenceSet>),
    /// `[UID] SEARCH ...`
    Search {
        /// UID variant.
        uid: bool,
        /// The search.
        search: Search<'a>,
    },
    /// `[UID] FETCH set items [(modifiers)]`
    Fetch {
        /// UID variant.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Items.
        items: FetchItems<'a>,
        /// Modifiers.
        modifiers: FetchModifiers,
    },
    /// `[UID] STORE set [(UNCHANGEDSINCE n)] [+-]FLAGS[.SILENT] flags`
    Store {
        /// UID variant.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// `UNCHANGEDSINCE` (CONDSTORE).
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT`
        silent: bool,
        /// The flags.
        flags: Vec<Flag<'a>>,
        /// Whether the flags were in parentheses.
        parens: bool,
    },
    /// `[UID] COPY set mailbox`
    Copy {
        /// UID variant.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Destination.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] MOVE set mailbox`
    Move {
        /// UID variant.
        uid: bool,
        /// Messages.
        set: SequenceSet,
        /// Destination.
        mailbox: Mailbox<'a>,
    },
    /// `[UID] SORT (criteria) charset keys`
    Sort {
        /// UID variant.
        uid: bool,
        /// Sort order.
        criteria: Vec<SortCriterion>,
        /// The search (its charset is mandatory).
        search: Search<'a>,
    },
    /// `[UID] THREAD algorithm charset keys`
    Thread {
        /// UID variant.
        uid: bool,
        /// `ORDEREDSUBJECT`, `REFERENCES`, ...
        algorithm: &'a str,
        /// The search (its charset is mandatory).
        search: Search<'a>,
    },

    // Any state.
    /// An experimental command, `X` followed by an atom (RFC 3501
    /// `x-command`). Its arguments are kept as sent, literals inline;
    /// a server that does not know it answers BAD.
    X {
        /// The command name, `X` included (`XPIG-LATIN`).
        name: &'a str,
        /// Everything between the name and the final CRLF, the leading
        /// space excluded; empty when there are no arguments.
        args: &'a [u8],
    },
}

impl CommandBody<'_> {
    /// The command name as it goes on the wire (without `UID`); `X`
    /// for every experimental command (its own name is in
    /// [`CommandBody::X`]).
    pub fn name(&self) -> &'static str {
        use CommandBody as C;
        match self {
            C::Capability => "CAPABILITY",
            C::Noop => "NOOP",
            C::Logout => "LOGOUT",
            C::Id(_) => "ID",
            C::StartTls => "STARTTLS",
            C::Authenticate { .. } => "AUTHENTICATE",
            C::Login { .. } => "LOGIN",
            C::Enable(_) => "ENABLE",
            C::Select(..) => "SELECT",
            C::Examine(..) => "EXAMINE",
            C::Create(..) => "CREATE",
            C::Delete(_) => "DELETE",
            C::Rename(..) => "RENAME",
            C::Subscribe(_) => "SUBSCRIBE",
            C::Unsubscribe(_) => "UNSUBSCRIBE",
            C::List { .. } => "LIST",
            C::Lsub(..) => "LSUB",
            C::Namespace => "NAMESPACE",
            C::Status(..) => "STATUS",
            C::Append(..) => "APPEND",
            C::Idle => "IDLE",
            C::GetQuota(_) => "GETQUOTA",
            C::GetQuotaRoot(_) => "GETQUOTAROOT",
            C::SetQuota(..) => "SETQUOTA",
            C::Check => "CHECK",
            C::Close => "CLOSE",
            C::Unselect => "UNSELECT",
            C::Expunge(_) => "EXPUNGE",
            C::Search { .. } => "SEARCH",
            C::Fetch { .. } => "FETCH",
            C::Store { .. } => "STORE",
            C::Copy { .. } => "COPY",
            C::Move { .. } => "MOVE",
            C::Sort { .. } => "SORT",
            C::Thread { .. } => "THREAD",
            C::X { .. } => "X",
        }
    }
}

/// Parses one framed command (CRLF included, literals inline).
///
/// # Errors
///
/// Returns where and why the command does not follow the grammar; reply
/// with a tagged `BAD` (see [`ParseError`]).
///
/// ```
/// use rampart_imap_proto::command::{parse_command, CommandBody};
/// let c = parse_command(b"a1 LOGIN {5+}\r\nalice \"s3cret\"\r\n").unwrap();
/// assert_eq!(c.tag.as_str(), "a1");
/// assert!(matches!(c.body, CommandBody::Login { .. }));
/// ```
pub fn parse_command(input: &[u8]) -> Result<Command<'_>, ParseError> {
    parse_command_with(input, ParseOptions::default())
}

/// [`parse_command`] with options: once the client enabled UTF8=ACCEPT
/// or IMAP4rev2, mailbox names are read as plain UTF-8.
///
/// # Errors
///
/// As [`parse_command`].
///
/// ```
/// use rampart_imap_proto::ParseOptions;
/// use rampart_imap_proto::command::{parse_command, parse_command_with, CommandBody};
/// let wire = b"a1 SELECT \"R&D\"\r\n";
/// // In modified UTF-7 "&D" starts a shift sequence that never ends.
/// assert!(parse_command(wire).is_err());
/// let c = parse_command_with(wire, ParseOptions { utf8: true }).unwrap();
/// let CommandBody::Select(m, _) = c.body else { panic!() };
/// assert_eq!(m.as_str(), "R&D");
/// ```
pub fn parse_command_with(input: &[u8], opts: ParseOptions) -> Result<Command<'_>, ParseError> {
    let mut c = Cur::with_options(input, opts);
    let tag = Tag::parse(&mut c)?;
    c.sp()?;
    let body = parse_body(&mut c)?;
    c.crlf()?;
    c.end()?;
    Ok(Command { tag, body })
}

/// The tag at the start of a message that failed to parse, if any.
pub fn tag_of(input: &[u8]) -> Option<Tag<'_>> {
    let mut c = Cur::new(input);
    let t = Tag::parse(&mut c).ok()?;
    c.sp().ok()?;
    Some(t)
}

fn unknown(at: usize, w: &[u8]) -> ParseError {
    ParseError {
        offset: at,
        kind: ParseErrorKind::UnknownCommand(String::from_utf8_lossy(w).into_owned()),
    }
}

/// The command after its tag.
///
/// ```abnf
/// command-any     = "CAPABILITY" / "LOGOUT" / "NOOP" / x-command / id
/// command-auth    = append / create / delete / enable / examine / list /
///                   namespace-command / rename / select / status /
///                   subscribe / unsubscribe / idle / getquota /
///                   getquotaroot / setquota / lsub
/// command-nonauth = login / authenticate / "STARTTLS"
/// command-select  = "CLOSE" / "UNSELECT" / "EXPUNGE" / copy / move /
///                   fetch / store / search / uid / "CHECK" / sort /
///                   thread
/// uid             = "UID" SP (copy / move / fetch / search / store /
///                   uid-expunge / sort / thread)
/// uid-expunge     = "EXPUNGE" SP sequence-set           ; RFC 4315
/// x-command       = "X" atom <experimental command arguments>
/// id              = "ID" SP id-params-list              ; RFC 2971
/// id-params-list  = "(" *(string SP nstring) ")" / nil
/// authenticate    = "AUTHENTICATE" SP auth-type [SP initial-resp]
///                   *(CRLF base64)                      ; RFC 4959
/// initial-resp    = (base64 / "=")
/// login           = "LOGIN" SP userid SP password
/// enable          = "ENABLE" 1*(SP capability)         ; RFC 5161
/// select          = "SELECT" SP mailbox [select-params]
/// examine         = "EXAMINE" SP mailbox [select-params]
/// select-params   = SP "(" select-param *(SP select-param) ")"
/// create          = "CREATE" SP mailbox [create-params]
/// create-params   = SP "(" create-param *(SP create-param) ")"
/// create-param    = "USE" SP "(" [use-attr *(SP use-attr)] ")"
///                                                       ; RFC 6154
/// delete          = "DELETE" SP mailbox
/// rename          = "RENAME" SP mailbox SP mailbox
/// subscribe       = "SUBSCRIBE" SP mailbox
/// unsubscribe     = "UNSUBSCRIBE" SP mailbox
/// lsub            = "LSUB" SP mailbox SP list-mailbox   ; RFC 3501
/// namespace-command = "NAMESPACE"                       ; RFC 2342
/// status          = "STATUS" SP mailbox SP
///                   "(" status-att *(SP status-att) ")"
/// idle            = "IDLE" CRLF "DONE"                  ; RFC 2177
/// getquota        = "GETQUOTA" SP quota-root-name       ; RFC 9208
/// getquotaroot    = "GETQUOTAROOT" SP mailbox
/// setquota        = "SETQUOTA" SP quota-root-name
///                   SP setquota-list
/// setquota-list   = "(" [setquota-resource
///                   *(SP setquota-resource)] ")"
/// setquota-resource = resource-name SP resource-limit
/// ```
fn parse_body<'a>(c: &mut Cur<'a>) -> Result<CommandBody<'a>, ParseError> {
    use CommandBody as C;
    let at = c.p;
    let w = c.word();
    let mut buf: KwBuf = [0u8; 24];
    let n = upper(w, &mut buf);
    let body = match &buf[..n] {
        b"CAPABILITY" => C::Capability,
        b"NOOP" => C::Noop,
        b"LOGOUT" => C::Logout,
        b"STARTTLS" => C::StartTls,
        b"NAMESPACE" => C::Namespace,
        b"IDLE" => C::Idle,
        b"CHECK" => C::Check,
        b"CLOSE" => C::Close,
        b"UNSELECT" => C::Unselect,
        b"EXPUNGE" => C::Expunge(None),
        b"ID" => {
            c.sp()?;
            if c.nil() {
                C::Id(None)
            } else {
                C::Id(Some(c.list(true, |c| {
                    let k = c.string()?;
                    c.sp()?;
                    Ok((k, c.nstring()?))
                })?))
            }
        }
        b"AUTHENTICATE" => {
            c.sp()?;
            let mechanism = c.atom()?;
            let initial = if c.eat(b' ') {
                let s = c.take_while(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
                if s.is_empty() {
                    return Err(c.expected("base64 initial response"));
                }
                // "=" is the empty initial response.
                Some(if s == b"=" { "" } else { ascii(s) })
            } else {
                None
            };
            C::Authenticate { mechanism, initial }
        }
        b"LOGIN" => {
            c.sp()?;
            let user = c.astring()?;
            c.sp()?;
            C::Login {
                user,
                password: c.astring()?,
            }
        }
        b"ENABLE" => {
            let mut caps = Vec::new();
            while c.eat(b' ') {
                caps.push(c.atom()?);
            }
            if caps.is_empty() {
                return Err(c.expected("capability"));
            }
            C::Enable(caps)
        }
        b"SELECT" | b"EXAMINE" => {
            c.sp()?;
            let m = Mailbox::parse(c)?;
            let params = if c.eat(b' ') {
                c.list(false, parse_select_param)?
            } else {
                vec![]
            };
            if buf[0] == b'S' {
                C::Select(m, params)
            } else {
                C::Examine(m, params)
            }
        }
        b"CREATE" => {
            c.sp()?;
            let m = Mailbox::parse(c)?;
            let mut uses = Vec::new();
            if c.eat(b' ') {
                c.expect(b'(', "create parameters")?;
                if !c.eat_kw(b"USE (") {
                    return Err(c.expected("USE"));
                }
                while !c.eat(b')') {
                    if !uses.is_empty() {
                        c.sp()?;
                    }
                    c.expect(b'\\', "special-use attribute")?;
                    uses.push(c.atom()?);
                }
                c.expect(b')', "closing parenthesis")?;
            }
            C::Create(m, uses)
        }
        b"DELETE" => C::Delete(sp_mailbox(c)?),
        b"RENAME" => {
            let a = sp_mailbox(c)?;
            C::Rename(a, sp_mailbox(c)?)
        }
        b"SUBSCRIBE" => C::Subscribe(sp_mailbox(c)?),
        b"UNSUBSCRIBE" => C::Unsubscribe(sp_mailbox(c)?),
        b"LIST" => parse_list(c)?,
        b"LSUB" => {
            let r = sp_mailbox(c)?;
            c.sp()?;
            C::Lsub(r, parse_list_mailbox(c)?)
        }
        b"STATUS" => {
            let m = sp_mailbox(c)?;
            c.sp()?;
            C::Status(m, c.list(false, StatusItem::parse)?)
        }
        b"APPEND" => parse_append(c)?,
        b"GETQUOTA" => {
            c.sp()?;
            C::GetQuota(c.astring()?)
        }
        b"GETQUOTAROOT" => C::GetQuotaRoot(sp_mailbox(c)?),
        b"SETQUOTA" => {
            c.sp()?;
            let root = c.astring()?;
            c.sp()?;
            C::SetQuota(
                root,
                c.list(true, |c| {
                    let r = c.atom()?;
                    c.sp()?;
                    Ok((r, c.number64()?))
                })?,
            )
        }
        b"UID" => {
            c.sp()?;
            let at = c.p;
            let w = c.word();
            let n = upper(w, &mut buf);
            match &buf[..n] {
                b"EXPUNGE" => {
                    c.sp()?;
                    C::Expunge(Some(SequenceSet::parse(c)?))
                }
                b"SEARCH" | b"FETCH" | b"STORE" | b"COPY" | b"MOVE" | b"SORT" | b"THREAD" => {
                    parse_selected(c, &buf[..n], true)?
                }
                _ => return Err(unknown(at, w)),
            }
        }
        b"SEARCH" | b"FETCH" | b"STORE" | b"COPY" | b"MOVE" | b"SORT" | b"THREAD" => {
            let kw = buf;
            parse_selected(c, &kw[..n], false)?
        }
        _ if w.len() > 1 && w[0].eq_ignore_ascii_case(&b'X') => {
            c.p = at;
            let name = c.atom()?;
            let args = if c.eat(b' ') {
                // Up to the final CRLF, literals and all.
                let end = c.b.len().saturating_sub(2).max(c.p);
                let a = &c.b[c.p..end];
                c.p = end;
                a
            } else {
                &[]
            };
            C::X { name, args }
        }
        _ => return Err(unknown(at, w)),
    };
    Ok(body)
}

fn sp_mailbox<'a>(c: &mut Cur<'a>) -> Result<Mailbox<'a>, ParseError> {
    c.sp()?;
    Mailbox::parse(c)
}

/// ```abnf
/// select-param    = "CONDSTORE" / "QRESYNC" SP "(" uidvalidity SP
///                   mod-sequence-value [SP known-uids]
///                   [SP seq-match-data] ")"
/// seq-match-data  = "(" known-sequence-set SP known-uid-set ")"
/// ```
fn parse_select_param<'a>(c: &mut Cur<'a>) -> Result<SelectParam<'a>, ParseError> {
    if c.eat_kw(b"CONDSTORE") {
        return Ok(SelectParam::CondStore);
    }
    if c.eat_kw(b"QRESYNC ") {
        c.expect(b'(', "QRESYNC parameters")?;
        let uid_validity = c.nz_number()?;
        c.sp()?;
        let mod_seq = c.number64()?;
        let mut known_uids = None;
        let mut seq_match = None;
        if c.eat(b' ') {
            if c.peek() != Some(b'(') {
                known_uids = Some(SequenceSet::parse(c)?);
                if !c.eat(b' ') {
                    c.expect(b')', "closing parenthesis")?;
                    return Ok(SelectParam::QResync {
                        uid_validity,
                        mod_seq,
                        known_uids,
                        seq_match,
                    });
                }
            }
            c.expect(b'(', "sequence match data")?;
            let a = SequenceSet::parse(c)?;
            c.sp()?;
            let b = SequenceSet::parse(c)?;
            c.expect(b')', "closing parenthesis")?;
            seq_match = Some((a, b));
        }
        c.expect(b')', "closing parenthesis")?;
        return Ok(SelectParam::QResync {
            uid_validity,
            mod_seq,
            known_uids,
            seq_match,
        });
    }
    Ok(SelectParam::Other(c.atom()?))
}

/// ```abnf
/// list            = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat
///                   [SP list-return-opts]
/// list-select-opts = "(" [list-select-opt *(SP list-select-opt)] ")"
/// mbox-or-pat     = list-mailbox / patterns
/// patterns        = "(" list-mailbox *(SP list-mailbox) ")"
/// list-return-opts = "RETURN" SP "(" [return-option *(SP return-option)] ")"
/// ```
fn parse_list<'a>(c: &mut Cur<'a>) -> Result<CommandBody<'a>, ParseError> {
    c.sp()?;
    let mut select = Vec::new();
    if c.peek() == Some(b'(') {
        select = c.list(true, |c| {
            let a = c.atom()?;
            Ok(
                match match_kw(a.as_bytes(), &[b"SUBSCRIBED", b"REMOTE", b"RECURSIVEMATCH"]) {
                    Some(0) => ListSelect::Subscribed,
                    Some(1) => ListSelect::Remote,
                    Some(2) => ListSelect::RecursiveMatch,
                    _ if a.eq_ignore_ascii_case("SPECIAL-USE") => ListSelect::SpecialUse,
                    _ => ListSelect::Other(a),
                },
            )
        })?;
        c.sp()?;
    }
    let reference = Mailbox::parse(c)?;
    c.sp()?;
    let (patterns, multiple) = if c.peek() == Some(b'(') {
        (c.list(false, parse_list_mailbox)?, true)
    } else {
        (vec![parse_list_mailbox(c)?], false)
    };
    let mut ret = Vec::new();
    if c.eat(b' ') {
        if !c.eat_kw(b"RETURN ") {
            return Err(c.expected("RETURN"));
        }
        ret = c.list(true, |c| {
            let a = c.atom()?;
            Ok(
                match match_kw(a.as_bytes(), &[b"SUBSCRIBED", b"CHILDREN", b"SPECIAL-USE"]) {
                    Some(0) => ListReturn::Subscribed,
                    Some(1) => ListReturn::Children,
                    Some(2) => ListReturn::SpecialUse,
                    _ if a.eq_ignore_ascii_case("STATUS") => {
                        c.sp()?;
                        ListReturn::Status(c.list(false, StatusItem::parse)?)
                    }
                    _ => ListReturn::Other(a),
                },
            )
        })?;
    }
    Ok(CommandBody::List {
        select,
        reference,
        patterns,
        multiple,
        ret,
    })
}

/// ```abnf
/// append          = "APPEND" SP mailbox 1*append-message
///                                                 ; RFC 3502 MULTIAPPEND
/// append-message  = [SP flag-list] [SP date-time] SP append-data
/// append-data     = literal / literal8 / append-data-ext
///                                                 ; literal8: RFC 3516
/// append-data     =/ "UTF8" SP "(" literal8 ")"   ; RFC 6855
/// ```
fn parse_append<'a>(c: &mut Cur<'a>) -> Result<CommandBody<'a>, ParseError> {
    let m = sp_mailbox(c)?;
    let mut msgs = Vec::new();
    while c.eat(b' ') {
        let flags = if c.peek() == Some(b'(') {
            let f = parse_flag_list(c)?;
            c.sp()?;
            Some(f)
        } else {
            None
        };
        let date = if c.peek() == Some(b'"') {
            let d = DateTime::parse(c)?;
            c.sp()?;
            Some(d)
        } else {
            None
        };
        let utf8 = c.eat_kw(b"UTF8 (");
        let (data, binary) = c.literal()?;
        if utf8 {
            c.expect(b')', "closing parenthesis")?;
        }
        msgs.push(AppendMessage {
            flags,
            date,
            data,
            binary,
            utf8,
        });
    }
    if msgs.is_empty() {
        return Err(c.expected("message literal"));
    }
    Ok(CommandBody::Append(m, msgs))
}

/// The commands of the selected state that have a UID variant.
///
/// ```abnf
/// fetch           = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" /
///                   fetch-att / "(" fetch-att *(SP fetch-att) ")")
///                   [fetch-modifiers]
/// fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"
/// fetch-modifier  =/ chgsince-fetch-mod / "VANISHED"  ; RFC 7162
/// chgsince-fetch-mod = "CHANGEDSINCE" SP mod-sequence-value
/// copy            = "COPY" SP sequence-set SP mailbox
/// move            = "MOVE" SP sequence-set SP mailbox ; RFC 6851
/// sort            = ["UID" SP] "SORT" SP sort-criteria SP search-criteria
/// sort-criteria   = "(" sort-criterion *(SP sort-criterion) ")"
/// sort-criterion  = ["REVERSE" SP] sort-key
/// sort-key        = "ARRIVAL" / "CC" / "DATE" / "FROM" / "SIZE" /
///                   "SUBJECT" / "TO"                  ; RFC 5256
/// sort-key        =/ "DISPLAYFROM" / "DISPLAYTO"      ; RFC 5957
/// thread          = ["UID" SP] "THREAD" SP thread-alg SP search-criteria
/// thread-alg      = "ORDEREDSUBJECT" / "REFERENCES" / thread-alg-ext
/// search-criteria = charset 1*(SP search-key)
/// ```
fn parse_selected<'a>(
    c: &mut Cur<'a>,
    kw: &[u8],
    uid: bool,
) -> Result<CommandBody<'a>, ParseError> {
    c.sp()?;
    Ok(match kw {
        b"SEARCH" => CommandBody::Search {
            uid,
            search: parse_search(c, false)?,
        },
        b"FETCH" => {
            let set = SequenceSet::parse(c)?;
            c.sp()?;
            let items = parse_fetch_items(c)?;
            let mut modifiers = FetchModifiers::default();
            if c.eat(b' ') {
                c.list(false, |c| {
                    if c.eat_kw(b"CHANGEDSINCE ") {
                        modifiers.changed_since = Some(c.number64()?);
                    } else if c.eat_kw(b"VANISHED") {
                        modifiers.vanished = true;
                    } else {
                        return Err(c.expected("fetch modifier"));
                    }
                    Ok(())
                })?;
            }
            CommandBody::Fetch {
                uid,
                set,
                items,
                modifiers,
            }
        }
        b"STORE" => parse_store(c, uid)?,
        b"COPY" | b"MOVE" => {
            let set = SequenceSet::parse(c)?;
            let mailbox = sp_mailbox(c)?;
            if kw == b"COPY" {
                CommandBody::Copy { uid, set, mailbox }
            } else {
                CommandBody::Move { uid, set, mailbox }
            }
        }
        b"SORT" => {
            let criteria = c.list(false, |c| {
                let reverse = c.eat_kw(b"REVERSE ");
                let at = c.p;
                let w = c.word();
                match SORT_KEYS.iter().find(|(n, _)| n.eq_ignore_ascii_case(w)) {
                    Some(&(_, key)) => Ok(SortCriterion { reverse, key }),
                    None => Err(ParseError {
                        offset: at,
                        kind: ParseErrorKind::UnknownKeyword(
                            String::from_utf8_lossy(w).into_owned(),
                        ),
                    }),
                }
            })?;
            c.sp()?;
            CommandBody::Sort {
                uid,
                criteria,
                search: parse_search(c, true)?,
            }
        }
        _ => {
            let algorithm = c.atom()?;
            c.sp()?;
            CommandBody::Thread {
                uid,
                algorithm,
                search: parse_search(c, true)?,
            }
        }
    })
}

/// ```abnf
/// store           = "STORE" SP sequence-set [SP store-modifiers]
///                   SP store-att-flags
/// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP
///                   (flag-list / (flag *(SP flag)))
/// ```
fn parse_store<'a>(c: &mut Cur<'a>, uid: bool) -> Result<CommandBody<'a>, ParseError> {
    let set = SequenceSet::parse(c)?;
    c.sp()?;
    let mut unchanged_since = None;
    if c.eat(b'(') {
        if !c.eat_kw(b"UNCHANGEDSINCE ") {
            return Err(c.expected("UNCHANGEDSINCE"));
        }
        unchanged_since = Some(c.number64()?);
        c.expect(b')', "closing parenthesis")?;
        c.sp()?;
    }
    let mode = if c.eat(b'+') {
        StoreMode::Add
    } else if c.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    if !c.eat_kw(b"FLAGS") {
        return Err(c.expected("FLAGS"));
    }
    let silent = c.eat_kw(b".SILENT");
    c.sp()?;
    let (flags, parens) = if c.peek() == Some(b'(') {
        (parse_flag_list(c)?, true)
    } else {
        let mut v = vec![Flag::parse(c)?];
        while c.eat(b' ') {
            v.push(Flag::parse(c)?);
        }
        (v, false)
    };
    Ok(CommandBody::Store {
        uid,
        set,
        unchanged_since,
        mode,
        silent,
        flags,
        parens,
    })
}

/// ```abnf
/// fetch-items     = "ALL" / "FULL" / "FAST" /
///                   fetch-att / "(" fetch-att *(SP fetch-att) ")"
/// ```
fn parse_fetch_items<'a>(c: &mut Cur<'a>) -> Result<FetchItems<'a>, ParseError> {
    if c.peek() == Some(b'(') {
        return Ok(FetchItems::Attrs {
            attrs: c.list(false, parse_fetch_attr)?,
            parens: true,
        });
    }
    let save = c.p;
    let w = c.word();
    match match_kw(w, &[b"ALL", b"FAST", b"FULL"]) {
        Some(0) => return Ok(FetchItems::All),
        Some(1) => return Ok(FetchItems::Fast),
        Some(2) => return Ok(FetchItems::Full),
        _ => c.p = save,
    }
    Ok(FetchItems::Attrs {
        attrs: vec![parse_fetch_attr(c)?],
        parens: false,
    })
}

/// ```abnf
/// partial         = "<" number64 "." nz-number64 ">"
/// ```
fn parse_partial(c: &mut Cur<'_>) -> Result<Option<(u64, u64)>, ParseError> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let a = c.number64()?;
    c.expect(b'.', "partial length")?;
    let b = c.number64()?;
    if b == 0 {
        return Err(c.expected("non-zero partial length"));
    }
    c.expect(b'>', "closing angle bracket")?;
    Ok(Some((a, b)))
}

/// ```abnf
/// fetch-att       = "ENVELOPE" / "FLAGS" / "INTERNALDATE" /
///                   "RFC822.SIZE" /
///                   "BODY" ["STRUCTURE"] / "UID" /
///                   "BODY" section [partial] /
///                   "BODY.PEEK" section [partial] /
///                   "BINARY" [".PEEK"] section-binary [partial] /
///                   "BINARY.SIZE" section-binary
/// fetch-att       =/ "RFC822" / "RFC822.HEADER" / "RFC822.TEXT"
///                                                 ; RFC 3501
/// fetch-att       =/ "MODSEQ"                     ; RFC 7162
/// fetch-att       =/ "EMAILID" / "THREADID"       ; RFC 8474
/// fetch-att       =/ "SAVEDATE"                   ; RFC 8514
/// fetch-att       =/ "PREVIEW" [SP "(" preview-mod *(SP preview-mod) ")"]
/// preview-mod     = "LAZY"                        ; RFC 8970
/// ```
fn parse_fetch_attr<'a>(c: &mut Cur<'a>) -> Result<FetchAttr<'a>, ParseError> {
    use FetchAttr as F;
    let at = c.p;
    let w = c.word();
    let mut buf: KwBuf = [0u8; 24];
    let n = upper(w, &mut buf);
    Ok(match &buf[..n] {
        b"ENVELOPE" => F::Envelope,
        b"FLAGS" => F::Flags,
        b"INTERNALDATE" => F::InternalDate,
        b"RFC822" => F::Rfc822,
        b"RFC822.HEADER" => F::Rfc822Header,
        b"RFC822.SIZE" => F::Rfc822Size,
        b"RFC822.TEXT" => F::Rfc822Text,
        b"BODYSTRUCTURE" => F::BodyStructure,
        b"UID" => F::Uid,
        b"MODSEQ" => F::ModSeq,
        b"EMAILID" => F::EmailId,
        b"THREADID" => F::ThreadId,
        b"SAVEDATE" => F::SaveDate,
        b"PREVIEW" => F::Preview {
            lazy: c.eat_kw(b" (LAZY)"),
        },
        b"BODY" | b"BODY.PEEK" if c.peek() == Some(b'[') => F::BodySection {
            section: Section::parse(c, false)?,
            partial: parse_partial(c)?,
            peek: n == 9,
        },
        b"BODY" => F::Body,
        b"BINARY" | b"BINARY.PEEK" => {
            let part = Section::parse(c, true)?.part;
            F::Binary {
                part,
                partial: parse_partial(c)?,
                peek: n == 11,
            }
        }
        b"BINARY.SIZE" => F::BinarySize(Section::parse(c, true)?.part),
        _ => {
            return Err(ParseError {
                offset: at,
                kind: ParseErrorKind::UnknownKeyword(String::from_utf8_lossy(w).into_owned()),
            });
        }
    })
}

/// ```abnf
/// search          = "SEARCH" [search-return-opts]
///                   SP search-program
/// search-program  = ["CHARSET" SP charset SP]
///                   search-key *(SP search-key)
/// search-return-opts = SP "RETURN" SP "(" [search-return-opt
///                   *(SP search-return-opt)] ")"
/// ```
/// For SORT and THREAD the charset is mandatory and has no keyword.
fn parse_search<'a>(c: &mut Cur<'a>, sort: bool) -> Result<Search<'a>, ParseError> {
    let mut ret = None;
    let mut charset = None;
    if sort {
        charset = Some(c.astring()?);
        c.sp()?;
    } else {
        if c.eat_kw(b"RETURN ") {
            ret = Some(c.list(true, |c| {
                let w = c.word();
                Ok(
                    match match_kw(w, &[b"MIN", b"MAX", b"ALL", b"COUNT", b"SAVE"]) {
                        Some(0) => SearchReturn::Min,
                        Some(1) => SearchReturn::Max,
                        Some(2) => SearchReturn::All,
                        Some(3) => SearchReturn::Count,
                        Some(4) => SearchReturn::Save,
                        _ => return Err(c.expected("search return option")),
                    },
                )
            })?);
            c.sp()?;
        }
        if c.eat_kw(b"CHARSET ") {
            charset = Some(c.astring()?);
            c.sp()?;
        }
    }
    let mut keys = vec![parse_search_key(c)?];
    while c.eat(b' ') {
        keys.push(parse_search_key(c)?);
    }
    Ok(Search { ret, charset, keys })
}

/// ```abnf
/// search-key      = "ALL" / "ANSWERED" / "BCC" SP astring /
///                   "BEFORE" SP date / "BODY" SP astring /
///                   "CC" SP astring / "DELETED" / "FLAGGED" /
///                   "FROM" SP astring / "KEYWORD" SP flag-keyword /
///                   "ON" SP date / "SEEN" /
///                   "SINCE" SP date / "SUBJECT" SP astring /
///                   "TEXT" SP astring / "TO" SP astring /
///                   "UNANSWERED" / "UNDELETED" / "UNFLAGGED" /
///                   "UNKEYWORD" SP flag-keyword / "UNSEEN" /
///                   "DRAFT" / "HEADER" SP header-fld-name SP astring /
///                   "LARGER" SP number64 / "NOT" SP search-key /
///                   "OR" SP search-key SP search-key /
///                   "SENTBEFORE" SP date / "SENTON" SP date /
///                   "SENTSINCE" SP date / "SMALLER" SP number64 /
///                   "UID" SP sequence-set / "UNDRAFT" / sequence-set /
///                   "(" search-key *(SP search-key) ")"
/// search-key      =/ "NEW" / "OLD" / "RECENT"      ; RFC 3501
/// search-key      =/ search-modsequence            ; RFC 7162
/// search-modsequence = "MODSEQ" [search-modseq-ext] SP
///                   mod-sequence-valzer
/// search-modseq-ext = SP entry-name SP entry-type-req
/// search-key      =/ "EMAILID" SP objectid /
///                   "THREADID" SP objectid        ; RFC 8474
/// search-key      =/ "OLDER" SP nz-number /
///                   "YOUNGER" SP nz-number        ; RFC 5032
/// ```
fn parse_search_key<'a>(c: &mut Cur<'a>) -> Result<SearchKey<'a>, ParseError> {
    use SearchKey as K;
    match c.peek() {
        Some(b'(') => return Ok(K::And(c.list(false, parse_search_key)?)),
        Some(b'0'..=b'9' | b'*' | b'$') => return Ok(K::SequenceSet(SequenceSet::parse(c)?)),
        _ => {}
    }
    let at = c.p;
    let w = c.word();
    let mut buf: KwBuf = [0u8; 24];
    let n = upper(w, &mut buf);
    let kw = &buf[..n];
    // Keys without argument.
    let simple = match kw {
        b"ALL" => Some(K::All),
        b"ANSWERED" => Some(K::Answered),
        b"DELETED" => Some(K::Deleted),
        b"DRAFT" => Some(K::Draft),
        b"FLAGGED" => Some(K::Flagged),
        b"NEW" => Some(K::New),
        b"OLD" => Some(K::Old),
        b"RECENT" => Some(K::Recent),
        b"SEEN" => Some(K::Seen),
        b"UNANSWERED" => Some(K::Unanswered),
        b"UNDELETED" => Some(K::Undeleted),
        b"UNDRAFT" => Some(K::Undraft),
        b"UNFLAGGED" => Some(K::Unflagged),
        b"UNSEEN" => Some(K::Unseen),
        _ => None,
    };
    if let Some(k) = simple {
        return Ok(k);
    }
    c.sp()?;
    let s = |c: &mut Cur<'a>| c.astring();
    let d = |c: &mut Cur<'a>| Date::parse(c);
    c.enter()?;
    let key = match kw {
        b"BCC" => K::Bcc(s(c)?),
        b"BODY" => K::Body(s(c)?),
        b"CC" => K::Cc(s(c)?),
        b"FROM" => K::From(s(c)?),
        b"SUBJECT" => K::Subject(s(c)?),
        b"TEXT" => K::Text(s(c)?),
        b"TO" => K::To(s(c)?),
        b"BEFORE" => K::Before(d(c)?),
        b"ON" => K::On(d(c)?),
        b"SINCE" => K::Since(d(c)?),
        b"SENTBEFORE" => K::SentBefore(d(c)?),
        b"SENTON" => K::SentOn(d(c)?),
        b"SENTSINCE" => K::SentSince(d(c)?),
        b"KEYWORD" => K::Keyword(c.atom()?),
        b"UNKEYWORD" => K::Unkeyword(c.atom()?),
        b"LARGER" => K::Larger(c.number64()?),
        b"SMALLER" => K::Smaller(c.number64()?),
        b"UID" => K::Uid(SequenceSet::parse(c)?),
        b"EMAILID" => K::EmailId(c.atom()?),
        b"THREADID" => K::ThreadId(c.atom()?),
        b"OLDER" => K::Older(c.nz_number()?),
        b"YOUNGER" => K::Younger(c.nz_number()?),
        b"HEADER" => {
            let name = s(c)?;
            c.sp()?;
            K::Header(name, s(c)?)
        }
        b"NOT" => K::Not(Box::new(parse_search_key(c)?)),
        b"OR" => {
            let a = parse_search_key(c)?;
            c.sp()?;
            K::Or(Box::new(a), Box::new(parse_search_key(c)?))
        }
        b"MODSEQ" => {
            let entry = if c.peek() == Some(b'"') {
                let name = c.quoted()?;
                c.sp()?;
                let t = c.atom()?;
                c.sp()?;
                Some((name, t))
            } else {
                None
            };
            K::ModSeq(entry, c.number64()?)
        }
        _ => {
            return Err(ParseError {
                offset: at,
                kind: ParseErrorKind::UnknownKeyword(String::from_utf8_lossy(w).into_owned()),
            });
        }
    };
    c.leave();
    Ok(key)
}

/// A command encoded for the wire, with the points where a client must
/// wait for a continuation request before sending on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The bytes, CRLF included.
    pub bytes: Vec<u8>,
    /// Offsets just after each synchronizing literal header.
    pub waits: Vec<usize>,
}

impl Encoded {
    /// The pieces to send, each after a continuation request except the
    /// first.
    pub fn chunks(&self) -> Vec<&[u8]> {
        let mut out = Vec::with_capacity(self.waits.len() + 1);
        let mut start = 0;
        for &w in &self.waits {
            out.push(&self.bytes[start..w]);
            start = w;
        }
        out.push(&self.bytes[start..]);
        out
    }
}

/// Options of the command encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeOptions {
    /// Literal style (`{N}` or `{N+}` when LITERAL+ is advertised).
    pub literal: LiteralMode,
    /// Send mailbox names and quoted strings in UTF-8 (UTF8=ACCEPT).
    pub utf8: bool,
}

impl Command<'_> {
    /// Encodes the command as a client sends it.
    ///
    /// ```
    /// use rampart_imap_proto::command::{parse_command, EncodeOptions};
    /// let c = parse_command(b"A1 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n").unwrap();
    /// let e = c.encode(EncodeOptions::default());
    /// assert_eq!(e.bytes, b"A1 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER])\r\n");
    /// ```
    pub fn encode(&self, opts: EncodeOptions) -> Encoded {
        let mut e = Enc {
            utf8: opts.utf8,
            lit: opts.literal,
            client: true,
            ..Enc::default()
        };
        e.raw(self.tag.as_str().as_bytes());
        e.sp();
        encode_body(&mut e, &self.body);
        e.raw(b"\r\n");
        Encoded {
            bytes: e.out,
            waits: e.waits,
        }
    }
}

fn encode_body(e: &mut Enc, b: &CommandBody<'_>) {
    use CommandBody as C;
    let uid = match b {
        C::Search { uid, .. }
        | C::Fetch { uid, .. }
        | C::Store { uid, .. }
        | C::Copy { uid, .. }
        | C::Move { uid, .. }
        | C::Sort { uid, .. }
        | C::Thread { uid, .. } => *uid,
        C::Expunge(set) => set.is_some(),
        _ => false,
    };
    if uid {
        e.raw(b"UID ");
    }
    if let C::X { name, args } = b {
        encode_atom(e, name);
        if !args.is_empty() {
            e.sp();
            let start = e.out.len();
            e.raw(args);
            raw_waits(e, start);
        }
        return;
    }
    e.raw(b.name().as_bytes());
    match b {
        C::Capability
        | C::Noop
        | C::Logout
        | C::StartTls
        | C::Namespace
        | C::Idle
        | C::Check
        | C::Close
        | C::Unselect
        | C::Expunge(None) => {}
        C::Expunge(Some(set)) => {
            e.sp();
            set.encode(e);
        }
        C::Id(None) => e.raw(b" NIL"),
        C::Id(Some(params)) => {
            e.sp();
            e.list(params, |e, (k, v)| {
                e.string(k);
                e.sp();
                e.nstring(v.as_deref());
            });
        }
        C::Authenticate { mechanism, initial } => {
            e.sp();
            encode_atom(e, mechanism);
            if let Some(i) = initial {
                e.sp();
                e.raw(if i.is_empty() { b"=" } else { i.as_bytes() });
            }
        }
        C::Login { user, password } => {
            e.sp();
            e.astring(user);
            e.sp();
            e.astring(password);
        }
        C::Enable(caps) => {
            for cap in caps {
                e.sp();
                encode_atom(e, cap);
            }
        }
        C::Select(m, p) | C::Examine(m, p) => {
            e.sp();
            m.encode(e);
            if !p.is_empty() {
                e.sp();
                e.list(p, encode_select_param);
            }
        }
        C::Create(m, uses) => {
            e.sp();
            m.encode(e);
            if !uses.is_empty() {
                e.raw(b" (USE (");
                for (i, u) in uses.iter().enumerate() {
                    if i > 0 {
                        e.sp();
                    }
                    e.byte(b'\\');
                    e.raw(u.as_bytes());
                }
                e.raw(b"))");
            }
        }
        C::Delete(m) | C::Subscribe(m) | C::Unsubscribe(m) | C::GetQuotaRoot(m) => {
            e.sp();
            m.encode(e);
        }
        C::Rename(a, b) => {
            e.sp();
            a.encode(e);
            e.sp();
            b.encode(e);
        }
        C::List {
            select,
            reference,
            patterns,
            multiple,
            ret,
        } => {
            e.sp();
            if !select.is_empty() {
                e.list(select, |e, s| {
                    e.raw(match s {
                        ListSelect::Subscribed => b"SUBSCRIBED",
                        ListSelect::Remote => b"REMOTE",
                        ListSelect::RecursiveMatch => b"RECURSIVEMATCH",
                        ListSelect::SpecialUse => b"SPECIAL-USE",
                        ListSelect::Other(a) => a.as_bytes(),
                    })
                });
                e.sp();
            }
            reference.encode(e);
            e.sp();
            if *multiple || patterns.len() != 1 {
                e.list(patterns, |e, p| encode_list_mailbox(e, p));
            } else {
                encode_list_mailbox(e, &patterns[0]);
            }
            if !ret.is_empty() {
                e.raw(b" RETURN ");
                e.list(ret, |e, r| match r {
                    ListReturn::Subscribed => e.raw(b"SUBSCRIBED"),
                    ListReturn::Children => e.raw(b"CHILDREN"),
                    ListReturn::SpecialUse => e.raw(b"SPECIAL-USE"),
                    ListReturn::Status(items) => {
                        e.raw(b"STATUS ");
                        e.list(items, |e, i| e.raw(i.name().as_bytes()));
                    }
                    ListReturn::Other(a) => e.raw(a.as_bytes()),
                });
            }
        }
        C::Lsub(r, p) => {
            e.sp();
            r.encode(e);
            e.sp();
            encode_list_mailbox(e, p);
        }
        C::Status(m, items) => {
            e.sp();
            m.encode(e);
            e.sp();
            e.list(items, |e, i| e.raw(i.name().as_bytes()));
        }
        C::Append(m, msgs) => {
            e.sp();
            m.encode(e);
            for msg in msgs {
                if let Some(f) = &msg.flags {
                    e.sp();
                    encode_flag_list(e, f);
                }
                if let Some(d) = &msg.date {
                    e.sp();
                    d.encode(e);
                }
                e.sp();
                if msg.utf8 {
                    e.raw(b"UTF8 (");
                }
                e.literal(msg.data, msg.binary);
                if msg.utf8 {
                    e.byte(b')');
                }
            }
        }
        C::GetQuota(root) => {
            e.sp();
            e.astring(root);
        }
        C::SetQuota(root, limits) => {
            e.sp();
            e.astring(root);
            e.sp();
            e.list(limits, |e, (r, n)| {
                encode_atom(e, r);
                e.sp();
                e.num(*n);
            });
        }
        C::Search { search, .. } => {
            e.sp();
            encode_search(e, search, false);
        }
        C::Fetch {
            set,
            items,
            modifiers,
            ..
        } => {
            e.sp();
            set.encode(e);
            e.sp();
            match items {
                FetchItems::All => e.raw(b"ALL"),
                FetchItems::Fast => e.raw(b"FAST"),
                FetchItems::Full => e.raw(b"FULL"),
                FetchItems::Attrs { attrs, parens } => {
                    if *parens || attrs.len() != 1 {
                        e.list(attrs, encode_fetch_attr);
                    } else {
                        encode_fetch_attr(e, &attrs[0]);
                    }
                }
            }
            if modifiers.changed_since.is_some() || modifiers.vanished {
                e.raw(b" (");
                if let Some(n) = modifiers.changed_since {
                    e.raw(b"CHANGEDSINCE ");
                    e.num(n);
                    if modifiers.vanished {
                        e.sp();
                    }
                }
                if modifiers.vanished {
                    e.raw(b"VANISHED");
                }
                e.byte(b')');
            }
        }
        C::Store {
            set,
            unchanged_since,
            mode,
            silent,
            flags,
            parens,
            ..
        } => {
            e.sp();
            set.encode(e);
            e.sp();
            if let Some(n) = unchanged_since {
                e.raw(b"(UNCHANGEDSINCE ");
                e.num(*n);
                e.raw(b") ");
            }
            match mode {
                StoreMode::Replace => {}
                StoreMode::Add => e.byte(b'+'),
                StoreMode::Remove => e.byte(b'-'),
            }
            e.raw(if *silent { b"FLAGS.SILENT " } else { b"FLAGS " });
            if *parens || flags.is_empty() {
                encode_flag_list(e, flags);
            } else {
                for (i, f) in flags.iter().enumerate() {
                    if i > 0 {
                        e.sp();
                    }
                    f.encode(e);
                }
            }
        }
        C::Copy { set, mailbox, .. } | C::Move { set, mailbox, .. } => {
            e.sp();
            set.encode(e);
            e.sp();
            mailbox.encode(e);
        }
        C::Sort {
            criteria, search, ..
        } => {
            e.sp();
            e.list(criteria, |e, c| {
                if c.reverse {
                    e.raw(b"REVERSE ");
                }
                let name = SORT_KEYS.iter().find(|(_, k)| *k == c.key).map(|(n, _)| *n);
                e.raw(name.unwrap_or_default());
            });
            e.sp();
            encode_search(e, search, true);
        }
        C::Thread {
            algorithm, search, ..
        } => {
            e.sp();
            encode_atom(e, algorithm);
            e.sp();
            encode_search(e, search, true);
        }
        C::X { .. } => {}
    }
}

/// Records the wait points of synchronizing literals inside raw bytes
/// written from `start` on (the arguments of an `X` command), as the
/// server's framer will see them.
fn raw_waits(e: &mut Enc, start: usize) {
    if !e.client {
        return;
    }
    let mut p = start;
    while let Some(i) = memchr::memchr(b'\n', &e.out[p..]) {
        let line_end = p + i + 1;
        p = line_end;
        if let Some((n, sync)) = crate::frame::literal_header(&e.out[..line_end]) {
            if sync {
                e.waits.push(line_end);
            }
            p = line_end.saturating_add(usize::try_from(n).unwrap_or(usize::MAX));
            if p >= e.out.len() {
                break;
            }
        }
    }
}

fn encode_select_param(e: &mut Enc, p: &SelectParam<'_>) {
    match p {
        SelectParam::CondStore => e.raw(b"CONDSTORE"),
        SelectParam::Other(a) => e.raw(a.as_bytes()),
        SelectParam::QResync {
            uid_validity,
            mod_seq,
            known_uids,
            seq_match,
        } => {
            e.raw(b"QRESYNC (");
            e.num(u64::from(*uid_validity));
            e.sp();
            e.num(*mod_seq);
            if let Some(k) = known_uids {
                e.sp();
                k.encode(e);
            }
            if let Some((a, b)) = seq_match {
                e.raw(b" (");
                a.encode(e);
                e.sp();
                b.encode(e);
                e.byte(b')');
            }
            e.byte(b')');
        }
    }
}

fn encode_partial(e: &mut Enc, p: Option<(u64, u64)>) {
    if let Some((a, b)) = p {
        e.byte(b'<');
        e.num(a);
        e.byte(b'.');
        e.num(b);
        e.byte(b'>');
    }
}

fn encode_part(e: &mut Enc, part: &[u32]) {
    Section {
        part: part.to_vec(),
        text: None,
    }
    .encode(e);
}

pub(crate) fn encode_fetch_attr(e: &mut Enc, a: &FetchAttr<'_>) {
    use FetchAttr as F;
    let name: &[u8] = match a {
        F::Envelope => b"ENVELOPE",
        F::Flags => b"FLAGS",
        F::InternalDate => b"INTERNALDATE",
        F::Rfc822 => b"RFC822",
        F::Rfc822Header => b"RFC822.HEADER",
        F::Rfc822Size => b"RFC822.SIZE",
        F::Rfc822Text => b"RFC822.TEXT",
        F::Body => b"BODY",
        F::BodyStructure => b"BODYSTRUCTURE",
        F::Uid => b"UID",
        F::ModSeq => b"MODSEQ",
        F::EmailId => b"EMAILID",
        F::ThreadId => b"THREADID",
        F::SaveDate => b"SAVEDATE",
        F::Preview { lazy } => {
            if *lazy {
                b"PREVIEW (LAZY)"
            } else {
                b"PREVIEW"
            }
        }
        F::BodySection {
            section,
            partial,
            peek,
        } => {
            e.raw(if *peek { b"BODY.PEEK" } else { b"BODY" });
            section.encode(e);
            return encode_partial(e, *partial);
        }
        F::Binary {
            part,
            partial,
            peek,
        } => {
            e.raw(if *peek { b"BINARY.PEEK" } else { b"BINARY" });
            encode_part(e, part);
            return encode_partial(e, *partial);
        }
        F::BinarySize(part) => {
            e.raw(b"BINARY.SIZE");
            return encode_part(e, part);
        }
    };
    e.raw(name);
}

fn encode_search(e: &mut Enc, s: &Search<'_>, sort: bool) {
    if let Some(ret) = &s.ret {
        e.raw(b"RETURN ");
        e.list(ret, |e, r| {
            e.raw(match r {
                SearchReturn::Min => b"MIN",
                SearchReturn::Max => b"MAX",
                SearchReturn::All => b"ALL",
                SearchReturn::Count => b"COUNT",
                SearchReturn::Save => b"SAVE",
            })
        });
        e.sp();
    }
    if let Some(cs) = &s.charset {
        if !sort {
            e.raw(b"CHARSET ");
        }
        e.astring(cs);
        e.sp();
    } else if sort {
        e.raw(b"UTF-8 ");
    }
    for (i, k) in s.keys.iter().enumerate() {
        if i > 0 {
            e.sp();
        }
        encode_key(e, k);
    }
}

fn encode_key(e: &mut Enc, k: &SearchKey<'_>) {
    use SearchKey as K;
    let (name, arg): (&[u8], Option<&[u8]>) = match k {
        K::All => (b"ALL", None),
        K::Answered => (b"ANSWERED", None),
        K::Deleted => (b"DELETED", None),
        K::Draft => (b"DRAFT", None),
        K::Flagged => (b"FLAGGED", None),
        K::New => (b"NEW", None),
        K::Old => (b"OLD", None),
        K::Recent => (b"RECENT", None),
        K::Seen => (b"SEEN", None),
        K::Unanswered => (b"UNANSWERED", None),
        K::Undeleted => (b"UNDELETED", None),
        K::Undraft => (b"UNDRAFT", None),
        K::Unflagged => (b"UNFLAGGED", None),
        K::Unseen => (b"UNSEEN", None),
        K::Bcc(s) => (b"BCC", Some(s)),
        K::Body(s) => (b"BODY", Some(s)),
        K::Cc(s) => (b"CC", Some(s)),
        K::From(s) => (b"FROM", Some(s)),
        K::Subject(s) => (b"SUBJECT", Some(s)),
        K::Text(s) => (b"TEXT", Some(s)),
        K::To(s) => (b"TO", Some(s)),
        K::Keyword(a) => return word_arg(e, b"KEYWORD ", a),
        K::Unkeyword(a) => return word_arg(e, b"UNKEYWORD ", a),
        K::EmailId(a) => return word_arg(e, b"EMAILID ", a),
        K::ThreadId(a) => return word_arg(e, b"THREADID ", a),
        K::Before(d) => return date_arg(e, b"BEFORE ", d),
        K::On(d) => return date_arg(e, b"ON ", d),
        K::Since(d) => return date_arg(e, b"SINCE ", d),
        K::SentBefore(d) => return date_arg(e, b"SENTBEFORE ", d),
        K::SentOn(d) => return date_arg(e, b"SENTON ", d),
        K::SentSince(d) => return date_arg(e, b"SENTSINCE ", d),
        K::Larger(n) => return num_arg(e, b"LARGER ", *n),
        K::Smaller(n) => return num_arg(e, b"SMALLER ", *n),
        K::Older(n) => return num_arg(e, b"OLDER ", u64::from(*n)),
        K::Younger(n) => return num_arg(e, b"YOUNGER ", u64::from(*n)),
        K::Uid(set) => {
            e.raw(b"UID ");
            return set.encode(e);
        }
        K::SequenceSet(set) => return set.encode(e),
        K::Header(n, v) => {
            e.raw(b"HEADER ");
            e.astring(n);
            e.sp();
            return e.astring(v);
        }
        K::Not(k) => {
            e.raw(b"NOT ");
            return encode_key(e, k);
        }
        K::Or(a, b) => {
            e.raw(b"OR ");
            encode_key(e, a);
            e.sp();
            return encode_key(e, b);
        }
        K::And(keys) => return e.list(keys, |e, k| encode_key(e, k)),
        K::ModSeq(entry, n) => {
            e.raw(b"MODSEQ ");
            if let Some((name, t)) = entry {
                e.quoted(name);
                e.sp();
                e.raw(t.as_bytes());
                e.sp();
            }
            return e.num(*n);
        }
    };
    e.raw(name);
    if let Some(a) = arg {
        e.sp();
        e.astring(a);
    }
}

fn word_arg(e: &mut Enc, kw: &[u8], a: &str) {
    e.raw(kw);
    encode_atom(e, a);
}

fn date_arg(e: &mut Enc, kw: &[u8], d: &Date) {
    e.raw(kw);
    d.encode(e);
}

fn num_arg(e: &mut Enc, kw: &[u8], n: u64) {
    e.raw(kw);
    e.num(n);
}

/// Parses the client's answer during AUTHENTICATE: one base64 line, or
/// `*` to cancel.
///
/// ```abnf
/// authenticate    = "AUTHENTICATE" SP auth-type [SP initial-resp]
///                   *(CRLF base64)
/// ```
///
/// # Errors
///
/// Fails when the line is not base64 characters followed by CRLF.
pub fn parse_auth_line(input: &[u8]) -> Result<Option<&str>, ParseError> {
    let mut c = Cur::new(input);
    if c.eat(b'*') {
        c.crlf()?;
        c.end()?;
        return Ok(None);
    }
    let s = c.take_while(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
    c.crlf()?;
    c.end()?;
    Ok(Some(ascii(s)))
}

/// Whether a line is the `DONE` that ends IDLE.
///
/// ```abnf
/// idle            = "IDLE" CRLF "DONE"
/// ```
pub fn is_idle_done(input: &[u8]) -> bool {
    input.len() == 6 && input[..4].eq_ignore_ascii_case(b"DONE") && &input[4..] == b"\r\n"
}

/// The client's answer to an AUTHENTICATE challenge: a base64 line, or
/// `*` (for `None`) to cancel. An empty response goes out as an empty
/// line. The inverse of [`parse_auth_line`].
///
/// ```
/// use rampart_imap_proto::command::{encode_auth_line, parse_auth_line};
/// assert_eq!(encode_auth_line(Some("dGVzdA==")), b"dGVzdA==\r\n");
/// assert_eq!(parse_auth_line(&encode_auth_line(None)).unwrap(), None);
/// ```
pub fn encode_auth_line(response: Option<&str>) -> Vec<u8> {
    let mut out = response.unwrap_or("*").as_bytes().to_vec();
    out.extend_from_slice(b"\r\n");
    out
}

/// The line a client sends to end IDLE.
pub const IDLE_DONE: &[u8] = b"DONE\r\n";
