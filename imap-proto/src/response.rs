//! IMAP responses (server to client): types, the server-side encoder
//! and the client-side parser.
//!
//! The encoder picks atoms, quoted strings or literals from the content
//! and writes mailbox names in modified UTF-7, or in UTF-8 once the
//! client enabled UTF8=ACCEPT. [`parse_response`] reads back what
//! [`Response::encode`] writes, which the tests check with proptest.

use std::borrow::Cow;

use crate::command::{IdParam, StatusItem};
use crate::error::{FrameError, ParseError, ParseErrorKind};
use crate::lex::{Cur, Enc, KwBuf, ParseOptions, ascii, is_atom_char, upper};
use crate::types::{
    DateTime, Flag, Mailbox, Section, SequenceSet, Tag, encode_atom, encode_flag_list, match_kw,
    parse_flag_list,
};

/// One server response.
///
/// ```abnf
/// response        = *(continue-req / response-data) response-done
/// response-tagged = tag SP resp-cond-state CRLF
/// continue-req    = "+" SP (resp-text / base64) CRLF
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// A tagged completion: `a1 OK done`.
    Tagged {
        /// The tag of the command completed.
        tag: Tag<'a>,
        /// OK, NO or BAD with code and text.
        status: Status<'a>,
    },
    /// An untagged status: `* OK`, `* NO`, `* BAD`, `* PREAUTH`, `* BYE`.
    Untagged(Status<'a>),
    /// Untagged data: `* 3 EXISTS`, `* LIST ...`, `* 1 FETCH ...`.
    Data(Data<'a>),
    /// A continuation request: `+ Ready` or `+ base64`.
    Continue {
        /// Response code, rarely used.
        code: Option<Code<'a>>,
        /// Text, or the base64 challenge during AUTHENTICATE.
        text: Cow<'a, str>,
    },
}

/// The condition of a status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusKind {
    /// `OK`
    Ok,
    /// `NO`: the command failed.
    No,
    /// `BAD`: the command was malformed or not allowed now.
    Bad,
    /// `PREAUTH` (greeting only)
    PreAuth,
    /// `BYE`: the server closes the connection.
    Bye,
}

impl StatusKind {
    fn name(self) -> &'static [u8] {
        match self {
            StatusKind::Ok => b"OK",
            StatusKind::No => b"NO",
            StatusKind::Bad => b"BAD",
            StatusKind::PreAuth => b"PREAUTH",
            StatusKind::Bye => b"BYE",
        }
    }
}

/// A status with optional response code and human-readable text.
///
/// ```abnf
/// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
/// resp-text       = ["[" resp-text-code "]" SP] [text]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status<'a> {
    /// OK, NO, BAD, PREAUTH or BYE.
    pub kind: StatusKind,
    /// Machine-readable code in brackets.
    pub code: Option<Code<'a>>,
    /// Text for humans; CR and LF are replaced by spaces on output.
    pub text: Cow<'a, str>,
}

impl<'a> Status<'a> {
    /// A status without code.
    pub fn new(kind: StatusKind, text: impl Into<Cow<'a, str>>) -> Self {
        Status {
            kind,
            code: None,
            text: text.into(),
        }
    }

    /// The same status with a response code.
    pub fn with_code(mut self, code: Code<'a>) -> Self {
        self.code = Some(code);
        self
    }
}

macro_rules! simple_codes {
    ($($(#[$doc:meta])* $v:ident => $s:literal,)*) => {
        /// A response code (RFC 9051 section 7.1, RFC 5530 and the
        /// extensions).
        ///
        /// ```abnf
        /// resp-text-code  = "ALERT" / "BADCHARSET" [SP "(" charset
        ///                   *(SP charset) ")" ] / capability-data /
        ///                   "PARSE" / "PERMANENTFLAGS" SP "(" [flag-perm
        ///                   *(SP flag-perm)] ")" / "READ-ONLY" /
        ///                   "READ-WRITE" / "TRYCREATE" /
        ///                   "UIDNEXT" SP nz-number / "UIDVALIDITY" SP
        ///                   nz-number / resp-code-apnd / resp-code-copy /
        ///                   "UIDNOTSTICKY" / "UNAVAILABLE" / ... /
        ///                   atom [SP 1*<any TEXT-CHAR except "]">]
        /// ```
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum Code<'a> {
            $($(#[$doc])* $v,)*
            /// `BADCHARSET (charsets)`
            BadCharset(Vec<Cow<'a, [u8]>>),
            /// `CAPABILITY caps`
            Capability(Vec<&'a str>),
            /// `PERMANENTFLAGS (flags)`
            PermanentFlags(Vec<Flag<'a>>),
            /// `UIDNEXT n`
            UidNext(u32),
            /// `UIDVALIDITY n`
            UidValidity(u32),
            /// `UNSEEN n` (IMAP4rev1)
            Unseen(u32),
            /// `APPENDUID uidvalidity uids` (UIDPLUS)
            AppendUid {
                /// UIDVALIDITY of the destination.
                validity: u32,
                /// UIDs given to the appended messages.
                uids: SequenceSet,
            },
            /// `COPYUID uidvalidity source-uids dest-uids` (UIDPLUS)
            CopyUid {
                /// UIDVALIDITY of the destination.
                validity: u32,
                /// UIDs in the source mailbox.
                source: SequenceSet,
                /// UIDs in the destination, in the same order.
                dest: SequenceSet,
            },
            /// `HIGHESTMODSEQ n` (CONDSTORE)
            HighestModSeq(u64),
            /// `MODIFIED set` (CONDSTORE)
            Modified(SequenceSet),
            /// `MAILBOXID (id)` (OBJECTID)
            MailboxId(&'a str),
            /// Any other code, with its raw argument text.
            Other {
                /// The code name.
                name: &'a str,
                /// Raw argument text up to `]`.
                text: Option<&'a str>,
            },
        }

        fn simple_code_name(c: &Code<'_>) -> Option<&'static [u8]> {
            match c {
                $(Code::$v => Some($s.as_bytes()),)*
                _ => None,
            }
        }

        /// The code without arguments named `up` (uppercased).
        fn simple_code(up: &str) -> Option<Code<'static>> {
            match up {
                $($s => Some(Code::$v),)*
                _ => None,
            }
        }
    };
}

simple_codes! {
    /// `ALERT`: show the text to the user.
    Alert => "ALERT",
    /// `PARSE`: a message could not be parsed.
    Parse => "PARSE",
    /// `READ-ONLY`
    ReadOnly => "READ-ONLY",
    /// `READ-WRITE`
    ReadWrite => "READ-WRITE",
    /// `TRYCREATE`: the target mailbox does not exist.
    TryCreate => "TRYCREATE",
    /// `UIDNOTSTICKY` (UIDPLUS)
    UidNotSticky => "UIDNOTSTICKY",
    /// `NOMODSEQ` (CONDSTORE)
    NoModSeq => "NOMODSEQ",
    /// `CLOSED` (QRESYNC)
    Closed => "CLOSED",
    /// `NOTSAVED` (SEARCHRES)
    NotSaved => "NOTSAVED",
    /// `HASCHILDREN`
    HasChildren => "HASCHILDREN",
    /// `ALREADYEXISTS`
    AlreadyExists => "ALREADYEXISTS",
    /// `AUTHENTICATIONFAILED`
    AuthenticationFailed => "AUTHENTICATIONFAILED",
    /// `AUTHORIZATIONFAILED`
    AuthorizationFailed => "AUTHORIZATIONFAILED",
    /// `CANNOT`
    Cannot => "CANNOT",
    /// `CLIENTBUG`
    ClientBug => "CLIENTBUG",
    /// `CONTACTADMIN`
    ContactAdmin => "CONTACTADMIN",
    /// `CORRUPTION`
    Corruption => "CORRUPTION",
    /// `EXPIRED`
    Expired => "EXPIRED",
    /// `EXPUNGEISSUED`
    ExpungeIssued => "EXPUNGEISSUED",
    /// `INUSE`
    InUse => "INUSE",
    /// `LIMIT`
    Limit => "LIMIT",
    /// `NONEXISTENT`
    NonExistent => "NONEXISTENT",
    /// `NOPERM`
    NoPerm => "NOPERM",
    /// `OVERQUOTA`
    OverQuota => "OVERQUOTA",
    /// `PRIVACYREQUIRED`
    PrivacyRequired => "PRIVACYREQUIRED",
    /// `SERVERBUG`
    ServerBug => "SERVERBUG",
    /// `UNAVAILABLE`
    Unavailable => "UNAVAILABLE",
    /// `UNKNOWN-CTE` (BINARY)
    UnknownCte => "UNKNOWN-CTE",
    /// `TOOBIG` (RFC 7888, RFC 7889)
    TooBig => "TOOBIG",
    /// `USEATTR`: the special-use attribute is not supported (RFC 6154)
    UseAttr => "USEATTR",
}

/// One LIST or LSUB reply.
///
/// ```abnf
/// mailbox-list    = "(" [mbx-list-flags] ")" SP
///                   (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
///                   [SP mbox-list-extended]
/// mbox-list-extended = "(" [mbox-list-extended-item
///                   *(SP mbox-list-extended-item)] ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem<'a> {
    /// Attributes without their backslash (`HasChildren`, `Sent`, ...).
    pub attributes: Vec<&'a str>,
    /// Hierarchy delimiter, `None` for a flat name space.
    pub delimiter: Option<char>,
    /// The mailbox.
    pub mailbox: Mailbox<'a>,
    /// `CHILDINFO` (LIST-EXTENDED).
    pub child_info: Vec<Cow<'a, [u8]>>,
    /// `OLDNAME` (RFC 9051).
    pub old_name: Option<Mailbox<'a>>,
    /// Other extended data items: the tag and the value as sent
    /// (`tagged-ext-val`, literals inline), written back unchanged.
    pub extensions: Vec<(Cow<'a, [u8]>, &'a [u8])>,
}

/// The result of an ESEARCH (RFC 4731).
///
/// ```abnf
/// esearch-response = "ESEARCH" [search-correlator] [SP "UID"]
///                   *(SP search-return-data)
/// search-return-data = "MIN" SP nz-number / "MAX" SP nz-number /
///                   "ALL" SP sequence-set / "COUNT" SP number /
///                   "MODSEQ" SP mod-sequence-value
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ESearch<'a> {
    /// The tag of the SEARCH command (`(TAG "a1")`).
    pub tag: Option<Cow<'a, [u8]>>,
    /// Whether the numbers are UIDs.
    pub uid: bool,
    /// `MIN`
    pub min: Option<u32>,
    /// `MAX`
    pub max: Option<u32>,
    /// `ALL`
    pub all: Option<SequenceSet>,
    /// `COUNT`
    pub count: Option<u32>,
    /// `MODSEQ`
    pub mod_seq: Option<u64>,
}

/// A thread of the THREAD response: a chain of messages, then either no
/// branches or two or more.
///
/// ```abnf
/// thread-list     = "(" (thread-members / thread-nested) ")"
/// thread-members  = nz-number *(SP nz-number) [SP thread-nested]
/// thread-nested   = 2*thread-list
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Thread {
    /// Messages one after the other (may be empty for a dummy root).
    pub chain: Vec<u32>,
    /// Sub-threads after the chain.
    pub branches: Vec<Thread>,
}

/// A namespace: prefix and hierarchy delimiter.
pub type NamespaceDesc<'a> = (Cow<'a, [u8]>, Option<char>);

/// A quota resource: name, usage and limit.
pub type QuotaResource<'a> = (&'a str, u64, u64);

/// A body parameter: attribute and value.
pub type Param<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

/// Untagged data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data<'a> {
    /// `CAPABILITY caps`
    Capability(Vec<&'a str>),
    /// `ENABLED caps`
    Enabled(Vec<&'a str>),
    /// `LIST ...`
    List(ListItem<'a>),
    /// `LSUB ...` (IMAP4rev1)
    Lsub(ListItem<'a>),
    /// `STATUS mailbox (item value ...)`
    Status {
        /// The mailbox.
        mailbox: Mailbox<'a>,
        /// The items, in order.
        items: Vec<StatusValue<'a>>,
    },
    /// `SEARCH n...` (IMAP4rev1) with optional `(MODSEQ n)`
    Search(Vec<u32>, Option<u64>),
    /// `SORT n...` with optional `(MODSEQ n)`
    Sort(Vec<u32>, Option<u64>),
    /// `ESEARCH ...`
    ESearch(ESearch<'a>),
    /// `THREAD threads`
    Thread(Vec<Thread>),
    /// `FLAGS (flags)`
    Flags(Vec<Flag<'a>>),
    /// `n EXISTS`
    Exists(u32),
    /// `n RECENT` (IMAP4rev1)
    Recent(u32),
    /// `n EXPUNGE`
    Expunge(u32),
    /// `VANISHED [(EARLIER)] uids` (QRESYNC)
    Vanished {
        /// `(EARLIER)`: a reply to a FETCH, not a live expunge.
        earlier: bool,
        /// The UIDs.
        uids: SequenceSet,
    },
    /// `n FETCH (items)`
    Fetch {
        /// Message sequence number.
        seq: u32,
        /// The items.
        items: Vec<FetchValue<'a>>,
    },
    /// `NAMESPACE personal other shared` (each `None` for NIL)
    Namespace([Option<Vec<NamespaceDesc<'a>>>; 3]),
    /// `QUOTA root (resource usage limit ...)`
    Quota {
        /// The quota root.
        root: Cow<'a, [u8]>,
        /// Resources.
        resources: Vec<QuotaResource<'a>>,
    },
    /// `QUOTAROOT mailbox roots...`
    QuotaRoot {
        /// The mailbox asked about.
        mailbox: Mailbox<'a>,
        /// Its quota roots.
        roots: Vec<Cow<'a, [u8]>>,
    },
    /// `ID (params)` or `ID NIL`
    Id(Option<Vec<IdParam<'a>>>),
    /// Untagged data this crate does not know (an extension, or the
    /// reply to an `X` command): the name and the rest of the line as
    /// sent, literals inline, without the space after the name.
    Other {
        /// The response name, an atom.
        name: &'a str,
        /// The rest, empty when nothing follows the name.
        rest: &'a [u8],
    },
}

/// One item of a STATUS response.
///
/// ```abnf
/// status-att-val  = ("MESSAGES" SP number) / ("UIDNEXT" SP nz-number) /
///                   ("UIDVALIDITY" SP nz-number) /
///                   ("UNSEEN" SP number) / ("DELETED" SP number) /
///                   ("SIZE" SP number64)
/// status-att-val  =/ "APPENDLIMIT" SP (number / nil)      ; RFC 7889
/// status-att-val  =/ "MAILBOXID" SP "(" objectid ")"      ; RFC 8474
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusValue<'a> {
    /// A numeric item (every item but `MAILBOXID`).
    Number(StatusItem, u64),
    /// `APPENDLIMIT NIL`: this mailbox sets no limit.
    NoAppendLimit,
    /// `MAILBOXID (id)`
    MailboxId(&'a str),
}

/// One FETCH data item.
///
/// ```abnf
/// msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"
/// msg-att-static  = "ENVELOPE" SP envelope /
///                   "INTERNALDATE" SP date-time /
///                   "RFC822.SIZE" SP number64 /
///                   "BODY" ["STRUCTURE"] SP body /
///                   "BODY" section ["<" number ">"] SP nstring /
///                   "BINARY" section-binary SP (nstring / literal8) /
///                   "BINARY.SIZE" section-binary SP number /
///                   "UID" SP uniqueid
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchValue<'a> {
    /// `FLAGS (...)`
    Flags(Vec<Flag<'a>>),
    /// `UID n`
    Uid(u32),
    /// `INTERNALDATE "..."`
    InternalDate(DateTime),
    /// `RFC822.SIZE n`
    Rfc822Size(u64),
    /// `ENVELOPE (...)`
    Envelope(Box<Envelope<'a>>),
    /// `BODY (...)`: the structure without extension data.
    Body(Box<BodyStructure<'a>>),
    /// `BODYSTRUCTURE (...)`
    BodyStructure(Box<BodyStructure<'a>>),
    /// `BODY[section]<origin> data`
    BodySection {
        /// The section.
        section: Section<'a>,
        /// Origin of a partial fetch.
        origin: Option<u64>,
        /// The bytes, `None` for NIL.
        data: Option<Cow<'a, [u8]>>,
    },
    /// `BINARY[part]<origin> data`
    Binary {
        /// Part numbers.
        part: Vec<u32>,
        /// Origin of a partial fetch.
        origin: Option<u64>,
        /// Decoded bytes, `None` for NIL.
        data: Option<Cow<'a, [u8]>>,
    },
    /// `BINARY.SIZE[part] n`
    BinarySize {
        /// Part numbers.
        part: Vec<u32>,
        /// Decoded size.
        size: u64,
    },
    /// `RFC822 data` (IMAP4rev1)
    Rfc822(Option<Cow<'a, [u8]>>),
    /// `RFC822.HEADER data` (IMAP4rev1)
    Rfc822Header(Option<Cow<'a, [u8]>>),
    /// `RFC822.TEXT data` (IMAP4rev1)
    Rfc822Text(Option<Cow<'a, [u8]>>),
    /// `MODSEQ (n)` (CONDSTORE)
    ModSeq(u64),
    /// `EMAILID (id)` (OBJECTID)
    EmailId(&'a str),
    /// `THREADID (id)` or `THREADID NIL` (OBJECTID)
    ThreadId(Option<&'a str>),
    /// `SAVEDATE "..."` or NIL
    SaveDate(Option<DateTime>),
    /// `PREVIEW text` or NIL (RFC 8970)
    Preview(Option<Cow<'a, [u8]>>),
}

/// An envelope: the main header fields, as on the wire.
///
/// ```abnf
/// envelope        = "(" env-date SP env-subject SP env-from SP
///                   env-sender SP env-reply-to SP env-to SP env-cc SP
///                   env-bcc SP env-in-reply-to SP env-message-id ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Envelope<'a> {
    /// `Date:` as written.
    pub date: Option<Cow<'a, [u8]>>,
    /// `Subject:` as written (encoded words left alone).
    pub subject: Option<Cow<'a, [u8]>>,
    /// `From:`
    pub from: Vec<Address<'a>>,
    /// `Sender:` (the From addresses when absent)
    pub sender: Vec<Address<'a>>,
    /// `Reply-To:` (the From addresses when absent)
    pub reply_to: Vec<Address<'a>>,
    /// `To:`
    pub to: Vec<Address<'a>>,
    /// `Cc:`
    pub cc: Vec<Address<'a>>,
    /// `Bcc:`
    pub bcc: Vec<Address<'a>>,
    /// `In-Reply-To:`
    pub in_reply_to: Option<Cow<'a, [u8]>>,
    /// `Message-ID:`
    pub message_id: Option<Cow<'a, [u8]>>,
}

/// An envelope address. A group starts with an address whose `host` is
/// `None` and `mailbox` the group name, and ends with one whose
/// `mailbox` and `host` are both `None`.
///
/// ```abnf
/// address         = "(" addr-name SP addr-adl SP addr-mailbox SP
///                   addr-host ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address<'a> {
    /// Display name.
    pub name: Option<Cow<'a, [u8]>>,
    /// Source route (obsolete).
    pub adl: Option<Cow<'a, [u8]>>,
    /// Local part, or group name.
    pub mailbox: Option<Cow<'a, [u8]>>,
    /// Domain.
    pub host: Option<Cow<'a, [u8]>>,
}

/// A body structure: a part and, for BODYSTRUCTURE, its extension data.
///
/// ```abnf
/// body            = "(" (body-type-1part / body-type-mpart) ")"
/// body-type-1part = (body-type-basic / body-type-msg / body-type-text)
///                   [SP body-ext-1part]
/// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyStructure<'a> {
    /// What the part is.
    pub kind: BodyKind<'a>,
    /// Extension data (BODYSTRUCTURE only).
    pub ext: Option<BodyExt<'a>>,
}

/// Single part or multipart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyKind<'a> {
    /// A leaf part.
    Single {
        /// `TEXT`, `IMAGE`, `MESSAGE`, ...
        media_type: Cow<'a, [u8]>,
        /// `PLAIN`, `JPEG`, `RFC822`, ...
        subtype: Cow<'a, [u8]>,
        /// The fields every leaf has.
        fields: BodyFields<'a>,
        /// Text line count or encapsulated message.
        extra: SingleExtra<'a>,
    },
    /// A multipart with its children.
    Multi {
        /// The parts.
        parts: Vec<BodyStructure<'a>>,
        /// `MIXED`, `ALTERNATIVE`, ...
        subtype: Cow<'a, [u8]>,
    },
}

/// What follows the fields of a leaf part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleExtra<'a> {
    /// Nothing (`body-type-basic`).
    Basic,
    /// `TEXT/*`: the number of lines.
    Text {
        /// Lines in the encoded body.
        lines: u64,
    },
    /// `MESSAGE/RFC822` or `MESSAGE/GLOBAL`: envelope, structure, lines.
    Message {
        /// Envelope of the enclosed message.
        envelope: Box<Envelope<'a>>,
        /// Structure of the enclosed message.
        body: Box<BodyStructure<'a>>,
        /// Lines in the encoded body.
        lines: u64,
    },
}

/// ```abnf
/// body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP
///                   body-fld-enc SP body-fld-octets
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyFields<'a> {
    /// Content-Type parameters.
    pub params: Vec<Param<'a>>,
    /// `Content-ID`
    pub id: Option<Cow<'a, [u8]>>,
    /// `Content-Description`
    pub description: Option<Cow<'a, [u8]>>,
    /// `Content-Transfer-Encoding` (`7BIT` when absent)
    pub encoding: Cow<'a, [u8]>,
    /// Size of the encoded body in octets.
    pub size: u64,
}

/// Extension data of BODYSTRUCTURE. For a leaf, `md5` is used and
/// `params` is empty; for a multipart, `params` holds the Content-Type
/// parameters and `md5` is `None`.
///
/// ```abnf
/// body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang
///                   [SP body-fld-loc *(SP body-extension)]]]
/// body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang
///                   [SP body-fld-loc *(SP body-extension)]]]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BodyExt<'a> {
    /// `Content-MD5` (leaf only).
    pub md5: Option<Cow<'a, [u8]>>,
    /// Content-Type parameters (multipart only).
    pub params: Vec<Param<'a>>,
    /// `Content-Disposition`: value and parameters.
    pub disposition: Option<(Cow<'a, [u8]>, Vec<Param<'a>>)>,
    /// `Content-Language` tags.
    pub language: Vec<Cow<'a, [u8]>>,
    /// `Content-Location`
    pub location: Option<Cow<'a, [u8]>>,
}

/// Options of the response encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ResponseOptions {
    /// The client enabled UTF8=ACCEPT (or IMAP4rev2): mailbox names and
    /// quoted strings go out in UTF-8.
    pub utf8: bool,
}

impl Response<'_> {
    /// Encodes the response as a server sends it, CRLF included.
    ///
    /// ```
    /// use rampart_imap_proto::response::{Code, Response, Status, StatusKind};
    /// use rampart_imap_proto::types::Tag;
    /// let r = Response::Tagged {
    ///     tag: Tag::new("a1").unwrap(),
    ///     status: Status::new(StatusKind::No, "too big").with_code(Code::TooBig),
    /// };
    /// assert_eq!(r.encode(Default::default()), b"a1 NO [TOOBIG] too big\r\n");
    /// ```
    pub fn encode(&self, opts: ResponseOptions) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode_into(&mut out, opts);
        out
    }

    /// Appends the encoded response to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>, opts: ResponseOptions) {
        let mut e = Enc {
            out: std::mem::take(out),
            utf8: opts.utf8,
            ..Enc::default()
        };
        match self {
            Response::Tagged { tag, status } => {
                e.raw(tag.as_str().as_bytes());
                e.sp();
                encode_status(&mut e, status);
            }
            Response::Untagged(status) => {
                e.raw(b"* ");
                encode_status(&mut e, status);
            }
            Response::Data(d) => {
                e.raw(b"* ");
                encode_data(&mut e, d);
            }
            Response::Continue { code, text } => {
                e.raw(b"+ ");
                encode_resp_text(&mut e, code.as_ref(), text);
            }
        }
        e.raw(b"\r\n");
        *out = e.out;
    }
}

fn encode_status(e: &mut Enc, s: &Status<'_>) {
    e.raw(s.kind.name());
    e.sp();
    encode_resp_text(e, s.code.as_ref(), &s.text);
}

fn encode_resp_text(e: &mut Enc, code: Option<&Code<'_>>, text: &str) {
    if let Some(c) = code {
        e.byte(b'[');
        encode_code(e, c);
        e.byte(b']');
        if text.is_empty() {
            return;
        }
        e.sp();
    }
    let start = e.out.len();
    e.raw(text.as_bytes());
    for b in &mut e.out[start..] {
        if *b == b'\r' || *b == b'\n' || *b == 0 {
            *b = b' ';
        }
    }
    // A text starting with "[" would read as a code; the parser drops
    // this one added space again.
    if code.is_none() && (text.starts_with('[') || text.starts_with(' ')) {
        e.out.insert(start, b' ');
    }
}

fn encode_code(e: &mut Enc, c: &Code<'_>) {
    if let Some(n) = simple_code_name(c) {
        e.raw(n);
        return;
    }
    match c {
        Code::BadCharset(cs) => {
            e.raw(b"BADCHARSET");
            if !cs.is_empty() {
                e.sp();
                e.list(cs, |e, s| e.astring(s));
            }
        }
        Code::Capability(caps) => {
            e.raw(b"CAPABILITY");
            for cap in caps {
                e.sp();
                encode_atom(e, cap);
            }
        }
        Code::PermanentFlags(f) => {
            e.raw(b"PERMANENTFLAGS ");
            encode_flag_list(e, f);
        }
        Code::UidNext(n) => num_code(e, b"UIDNEXT ", u64::from(*n)),
        Code::UidValidity(n) => num_code(e, b"UIDVALIDITY ", u64::from(*n)),
        Code::Unseen(n) => num_code(e, b"UNSEEN ", u64::from(*n)),
        Code::HighestModSeq(n) => num_code(e, b"HIGHESTMODSEQ ", *n),
        Code::AppendUid { validity, uids } => {
            num_code(e, b"APPENDUID ", u64::from(*validity));
            e.sp();
            uids.encode(e);
        }
        Code::CopyUid {
            validity,
            source,
            dest,
        } => {
            num_code(e, b"COPYUID ", u64::from(*validity));
            e.sp();
            source.encode(e);
            e.sp();
            dest.encode(e);
        }
        Code::Modified(set) => {
            e.raw(b"MODIFIED ");
            set.encode(e);
        }
        Code::MailboxId(id) => {
            e.raw(b"MAILBOXID (");
            encode_atom(e, id);
            e.byte(b')');
        }
        Code::Other { name, text } => {
            encode_atom(e, name);
            if let Some(t) = text {
                e.sp();
                let start = e.out.len();
                e.raw(t.as_bytes());
                for b in &mut e.out[start..] {
                    if matches!(*b, b']' | b'\r' | b'\n' | 0) {
                        *b = b' ';
                    }
                }
            }
        }
        _ => {}
    }
}

fn num_code(e: &mut Enc, kw: &[u8], n: u64) {
    e.raw(kw);
    e.num(n);
}

fn encode_data(e: &mut Enc, d: &Data<'_>) {
    match d {
        Data::Capability(caps) | Data::Enabled(caps) => {
            e.raw(if matches!(d, Data::Capability(_)) {
                b"CAPABILITY"
            } else {
                b"ENABLED"
            });
            for cap in caps {
                e.sp();
                encode_atom(e, cap);
            }
        }
        Data::List(l) => {
            e.raw(b"LIST ");
            encode_list_item(e, l);
        }
        Data::Lsub(l) => {
            e.raw(b"LSUB ");
            encode_list_item(e, l);
        }
        Data::Status { mailbox, items } => {
            e.raw(b"STATUS ");
            mailbox.encode(e);
            e.sp();
            e.list(items, |e, v| match v {
                StatusValue::Number(item, n) => {
                    e.raw(item.name().as_bytes());
                    e.sp();
                    e.num(*n);
                }
                StatusValue::NoAppendLimit => e.raw(b"APPENDLIMIT NIL"),
                StatusValue::MailboxId(id) => {
                    e.raw(b"MAILBOXID (");
                    encode_atom(e, id);
                    e.byte(b')');
                }
            });
        }
        Data::Search(ids, modseq) | Data::Sort(ids, modseq) => {
            e.raw(if matches!(d, Data::Search(..)) {
                b"SEARCH"
            } else {
                b"SORT"
            });
            for id in ids {
                e.sp();
                e.num(u64::from(*id));
            }
            if let Some(m) = modseq {
                e.raw(b" (MODSEQ ");
                e.num(*m);
                e.byte(b')');
            }
        }
        Data::ESearch(s) => encode_esearch(e, s),
        Data::Thread(threads) => {
            e.raw(b"THREAD");
            if !threads.is_empty() {
                e.sp();
            }
            for t in threads {
                encode_thread(e, t);
            }
        }
        Data::Flags(f) => {
            e.raw(b"FLAGS ");
            encode_flag_list(e, f);
        }
        Data::Exists(n) => {
            e.num(u64::from(*n));
            e.raw(b" EXISTS");
        }
        Data::Recent(n) => {
            e.num(u64::from(*n));
            e.raw(b" RECENT");
        }
        Data::Expunge(n) => {
            e.num(u64::from(*n));
            e.raw(b" EXPUNGE");
        }
        Data::Vanished { earlier, uids } => {
            e.raw(if *earlier {
                b"VANISHED (EARLIER) "
            } else {
                b"VANISHED "
            });
            uids.encode(e);
        }
        Data::Fetch { seq, items } => {
            e.num(u64::from(*seq));
            e.raw(b" FETCH ");
            e.list(items, encode_fetch_value);
        }
        Data::Namespace(groups) => {
            e.raw(b"NAMESPACE");
            for g in groups {
                e.sp();
                match g {
                    None => e.raw(b"NIL"),
                    // Namespace descriptions follow each other without
                    // spaces (RFC 2342).
                    Some(descs) => {
                        e.byte(b'(');
                        for (prefix, delim) in descs {
                            e.byte(b'(');
                            e.string(prefix);
                            e.sp();
                            encode_delim(e, *delim);
                            e.byte(b')');
                        }
                        e.byte(b')');
                    }
                }
            }
        }
        Data::Quota { root, resources } => {
            e.raw(b"QUOTA ");
            e.astring(root);
            e.sp();
            e.list(resources, |e, (name, usage, limit)| {
                encode_atom(e, name);
                e.sp();
                e.num(*usage);
                e.sp();
                e.num(*limit);
            });
        }
        Data::QuotaRoot { mailbox, roots } => {
            e.raw(b"QUOTAROOT ");
            mailbox.encode(e);
            for r in roots {
                e.sp();
                e.astring(r);
            }
        }
        Data::Other { name, rest } => {
            encode_atom(e, name);
            if !rest.is_empty() {
                e.sp();
                e.raw(rest);
            }
        }
        Data::Id(None) => e.raw(b"ID NIL"),
        Data::Id(Some(params)) => {
            e.raw(b"ID ");
            e.list(params, |e, (k, v)| {
                e.string(k);
                e.sp();
                e.nstring(v.as_deref());
            });
        }
    }
}

fn encode_delim(e: &mut Enc, d: Option<char>) {
    match d {
        None => e.raw(b"NIL"),
        Some(c) => {
            let mut buf = [0u8; 4];
            e.quoted(c.encode_utf8(&mut buf).as_bytes());
        }
    }
}

fn encode_list_item(e: &mut Enc, l: &ListItem<'_>) {
    e.list(&l.attributes, |e, a| {
        e.byte(b'\\');
        e.raw(a.as_bytes());
    });
    e.sp();
    encode_delim(e, l.delimiter);
    e.sp();
    l.mailbox.encode(e);
    if l.child_info.is_empty() && l.old_name.is_none() && l.extensions.is_empty() {
        return;
    }
    e.raw(b" (");
    let mut first = true;
    if !l.child_info.is_empty() {
        e.raw(b"\"CHILDINFO\" ");
        e.list(&l.child_info, |e, s| e.string(s));
        first = false;
    }
    if let Some(old) = &l.old_name {
        if !first {
            e.sp();
        }
        e.raw(b"\"OLDNAME\" (");
        old.encode(e);
        e.byte(b')');
        first = false;
    }
    for (tag, value) in &l.extensions {
        if !first {
            e.sp();
        }
        e.string(tag);
        e.sp();
        e.raw(value);
        first = false;
    }
    e.byte(b')');
}

fn encode_esearch(e: &mut Enc, s: &ESearch<'_>) {
    e.raw(b"ESEARCH");
    if let Some(t) = &s.tag {
        e.raw(b" (TAG ");
        e.string(t);
        e.byte(b')');
    }
    if s.uid {
        e.raw(b" UID");
    }
    if let Some(n) = s.min {
        num_code(e, b" MIN ", u64::from(n));
    }
    if let Some(n) = s.max {
        num_code(e, b" MAX ", u64::from(n));
    }
    if let Some(set) = &s.all {
        e.raw(b" ALL ");
        set.encode(e);
    }
    if let Some(n) = s.count {
        num_code(e, b" COUNT ", u64::from(n));
    }
    if let Some(n) = s.mod_seq {
        num_code(e, b" MODSEQ ", n);
    }
}

fn encode_thread(e: &mut Enc, t: &Thread) {
    e.byte(b'(');
    for (i, n) in t.chain.iter().enumerate() {
        if i > 0 {
            e.sp();
        }
        e.num(u64::from(*n));
    }
    if !t.branches.is_empty() {
        if !t.chain.is_empty() {
            e.sp();
        }
        for b in &t.branches {
            encode_thread(e, b);
        }
    }
    e.byte(b')');
}

fn encode_part_nums(e: &mut Enc, part: &[u32]) {
    e.byte(b'[');
    for (i, p) in part.iter().enumerate() {
        if i > 0 {
            e.byte(b'.');
        }
        e.num(u64::from(*p));
    }
    e.byte(b']');
}

fn encode_fetch_value(e: &mut Enc, v: &FetchValue<'_>) {
    match v {
        FetchValue::Flags(f) => {
            e.raw(b"FLAGS ");
            encode_flag_list(e, f);
        }
        FetchValue::Uid(n) => num_code(e, b"UID ", u64::from(*n)),
        FetchValue::InternalDate(d) => {
            e.raw(b"INTERNALDATE ");
            d.encode(e);
        }
        FetchValue::Rfc822Size(n) => num_code(e, b"RFC822.SIZE ", *n),
        FetchValue::Envelope(env) => {
            e.raw(b"ENVELOPE ");
            encode_envelope(e, env);
        }
        FetchValue::Body(b) => {
            e.raw(b"BODY ");
            encode_body(e, b, false);
        }
        FetchValue::BodyStructure(b) => {
            e.raw(b"BODYSTRUCTURE ");
            encode_body(e, b, true);
        }
        FetchValue::BodySection {
            section,
            origin,
            data,
        } => {
            e.raw(b"BODY");
            section.encode(e);
            if let Some(o) = origin {
                e.byte(b'<');
                e.num(*o);
                e.byte(b'>');
            }
            e.sp();
            encode_payload(e, data.as_deref(), false);
        }
        FetchValue::Binary { part, origin, data } => {
            e.raw(b"BINARY");
            encode_part_nums(e, part);
            if let Some(o) = origin {
                e.byte(b'<');
                e.num(*o);
                e.byte(b'>');
            }
            e.sp();
            encode_payload(e, data.as_deref(), true);
        }
        FetchValue::BinarySize { part, size } => {
            e.raw(b"BINARY.SIZE");
            encode_part_nums(e, part);
            e.sp();
            e.num(*size);
        }
        FetchValue::Rfc822(d) => {
            e.raw(b"RFC822 ");
            encode_payload(e, d.as_deref(), false);
        }
        FetchValue::Rfc822Header(d) => {
            e.raw(b"RFC822.HEADER ");
            encode_payload(e, d.as_deref(), false);
        }
        FetchValue::Rfc822Text(d) => {
            e.raw(b"RFC822.TEXT ");
            encode_payload(e, d.as_deref(), false);
        }
        FetchValue::ModSeq(n) => {
            e.raw(b"MODSEQ (");
            e.num(*n);
            e.byte(b')');
        }
        FetchValue::EmailId(id) => {
            e.raw(b"EMAILID (");
            encode_atom(e, id);
            e.byte(b')');
        }
        FetchValue::ThreadId(id) => match id {
            Some(id) => {
                e.raw(b"THREADID (");
                encode_atom(e, id);
                e.byte(b')');
            }
            None => e.raw(b"THREADID NIL"),
        },
        FetchValue::SaveDate(d) => {
            e.raw(b"SAVEDATE ");
            match d {
                Some(d) => d.encode(e),
                None => e.raw(b"NIL"),
            }
        }
        FetchValue::Preview(p) => {
            e.raw(b"PREVIEW ");
            e.nstring(p.as_deref());
        }
    }
}

/// Message bytes: a literal unless short and quotable; `literal8` when
/// a BINARY item holds NUL.
fn encode_payload(e: &mut Enc, data: Option<&[u8]>, binary: bool) {
    match data {
        None => e.raw(b"NIL"),
        Some(d) if binary && d.contains(&0) => e.literal(d, true),
        Some(d) => e.string(d),
    }
}

fn encode_addresses(e: &mut Enc, a: &[Address<'_>]) {
    if a.is_empty() {
        e.raw(b"NIL");
        return;
    }
    e.byte(b'(');
    for addr in a {
        e.byte(b'(');
        e.nstring(addr.name.as_deref());
        e.sp();
        e.nstring(addr.adl.as_deref());
        e.sp();
        e.nstring(addr.mailbox.as_deref());
        e.sp();
        e.nstring(addr.host.as_deref());
        e.byte(b')');
    }
    e.byte(b')');
}

fn encode_envelope(e: &mut Enc, env: &Envelope<'_>) {
    e.byte(b'(');
    e.nstring(env.date.as_deref());
    e.sp();
    e.nstring(env.subject.as_deref());
    for a in [
        &env.from,
        &env.sender,
        &env.reply_to,
        &env.to,
        &env.cc,
        &env.bcc,
    ] {
        e.sp();
        encode_addresses(e, a);
    }
    e.sp();
    e.nstring(env.in_reply_to.as_deref());
    e.sp();
    e.nstring(env.message_id.as_deref());
    e.byte(b')');
}

fn encode_params(e: &mut Enc, p: &[Param<'_>]) {
    if p.is_empty() {
        e.raw(b"NIL");
        return;
    }
    e.list(p, |e, (k, v)| {
        e.string(k);
        e.sp();
        e.string(v);
    });
}

fn encode_body(e: &mut Enc, b: &BodyStructure<'_>, ext: bool) {
    e.byte(b'(');
    match &b.kind {
        BodyKind::Multi { parts, subtype } => {
            for p in parts {
                encode_body(e, p, ext);
            }
            // `1*body`: an empty multipart, which the parser never
            // returns, still goes out well-formed.
            if parts.is_empty() {
                e.raw(b"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)");
            }
            e.sp();
            e.string(subtype);
        }
        BodyKind::Single {
            media_type,
            subtype,
            fields,
            extra,
        } => {
            e.string(media_type);
            e.sp();
            e.string(subtype);
            e.sp();
            encode_params(e, &fields.params);
            e.sp();
            e.nstring(fields.id.as_deref());
            e.sp();
            e.nstring(fields.description.as_deref());
            e.sp();
            e.string(&fields.encoding);
            e.sp();
            e.num(fields.size);
            match extra {
                SingleExtra::Basic => {}
                SingleExtra::Text { lines } => {
                    e.sp();
                    e.num(*lines);
                }
                SingleExtra::Message {
                    envelope,
                    body,
                    lines,
                } => {
                    e.sp();
                    encode_envelope(e, envelope);
                    e.sp();
                    encode_body(e, body, ext);
                    e.sp();
                    e.num(*lines);
                }
            }
        }
    }
    if let (true, Some(x)) = (ext, &b.ext) {
        e.sp();
        if matches!(b.kind, BodyKind::Multi { .. }) {
            encode_params(e, &x.params);
        } else {
            e.nstring(x.md5.as_deref());
        }
        e.sp();
        match &x.disposition {
            None => e.raw(b"NIL"),
            Some((kind, params)) => {
                e.byte(b'(');
                e.string(kind);
                e.sp();
                encode_params(e, params);
                e.byte(b')');
            }
        }
        e.sp();
        match x.language.as_slice() {
            [] => e.raw(b"NIL"),
            [one] => e.string(one),
            many => e.list(many, |e, s| e.string(s)),
        }
        e.sp();
        e.nstring(x.location.as_deref());
    }
    e.byte(b')');
}

/// The reply a server sends for a message the framer refused: NO
/// `[TOOBIG]` for a synchronizing literal the client has not sent, BAD
/// `[TOOBIG]` when bytes were already on their way.
pub fn frame_error_response<'a>(tag: Option<Tag<'a>>, err: &FrameError) -> Response<'a> {
    let kind = match err {
        FrameError::LiteralTooLarge {
            synchronizing: true,
            ..
        } => StatusKind::No,
        _ => StatusKind::Bad,
    };
    let status = Status::new(kind, err.to_string()).with_code(Code::TooBig);
    match tag {
        Some(tag) => Response::Tagged { tag, status },
        None => Response::Untagged(status),
    }
}

/// The reply a server sends for a command that failed to parse.
///
/// A mailbox name that is not modified UTF-7, or a literal one that is
/// not UTF-8, is well-formed but names no possible mailbox: `NO
/// [CANNOT]` (RFC 5530). Everything else is a syntax error: `BAD
/// [LIMIT]` for lists nested deeper than [`crate::MAX_DEPTH`], `BAD
/// [CLIENTBUG]` otherwise (invalid UTF-8 in a quoted string, unknown
/// command, a number out of range, ...).
pub fn parse_error_response<'a>(tag: Option<Tag<'a>>, err: &ParseError) -> Response<'a> {
    let (kind, code) = match err.kind {
        ParseErrorKind::TooDeep(_) => (StatusKind::Bad, Code::Limit),
        ParseErrorKind::InvalidUtf7(_) | ParseErrorKind::MailboxNotUtf8 => {
            (StatusKind::No, Code::Cannot)
        }
        _ => (StatusKind::Bad, Code::ClientBug),
    };
    let mut text = err.to_string();
    if text.len() > 200 {
        let mut cut = 200;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    let status = Status::new(kind, text).with_code(code);
    match tag {
        Some(tag) => Response::Tagged { tag, status },
        None => Response::Untagged(status),
    }
}

// ---------------------------------------------------------------------
// Client-side parser.

/// Parses one framed response (CRLF included, literals inline).
///
/// ```abnf
/// response        = *(continue-req / response-data) response-done
/// continue-req    = "+" SP (resp-text / base64) CRLF
/// response-data   = "*" SP (resp-cond-state / resp-cond-bye /
///                   mailbox-data / message-data / capability-data /
///                   enable-data) CRLF
/// response-tagged = tag SP resp-cond-state CRLF
/// resp-cond-auth  = ("OK" / "PREAUTH") SP resp-text
/// resp-cond-bye   = "BYE" SP resp-text
/// ```
///
/// # Errors
///
/// Returns where and why the response does not follow the grammar.
///
/// ```
/// use rampart_imap_proto::response::{parse_response, Data, Response};
/// let r = parse_response(b"* 23 EXISTS\r\n").unwrap();
/// assert_eq!(r, Response::Data(Data::Exists(23)));
/// ```
pub fn parse_response(input: &[u8]) -> Result<Response<'_>, ParseError> {
    parse_response_with(input, ParseOptions::default())
}

/// [`parse_response`] with options: after the client enabled
/// UTF8=ACCEPT or IMAP4rev2, mailbox names are read as plain UTF-8.
///
/// # Errors
///
/// As [`parse_response`].
pub fn parse_response_with(input: &[u8], opts: ParseOptions) -> Result<Response<'_>, ParseError> {
    let mut c = Cur::with_options(input, opts);
    let r = if c.eat(b'+') {
        let (code, text) = if c.eat(b' ') {
            parse_resp_text(&mut c)?
        } else {
            (None, "".into())
        };
        Response::Continue { code, text }
    } else if c.eat(b'*') {
        c.sp()?;
        if let Some(kind) = status_kind(&mut c) {
            let (code, text) = sp_resp_text(&mut c)?;
            Response::Untagged(Status { kind, code, text })
        } else {
            Response::Data(parse_data(&mut c)?)
        }
    } else {
        let tag = Tag::parse(&mut c)?;
        c.sp()?;
        let at = c.p;
        let kind = match status_kind(&mut c) {
            Some(k @ (StatusKind::Ok | StatusKind::No | StatusKind::Bad)) => k,
            _ => {
                c.p = at;
                return Err(c.expected("OK, NO or BAD"));
            }
        };
        let (code, text) = sp_resp_text(&mut c)?;
        Response::Tagged {
            tag,
            status: Status { kind, code, text },
        }
    };
    c.crlf()?;
    c.end()?;
    Ok(r)
}

/// ```abnf
/// resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text
/// resp-cond-auth  = ("OK" / "PREAUTH") SP resp-text
/// resp-cond-bye   = "BYE" SP resp-text
/// ```
fn status_kind(c: &mut Cur<'_>) -> Option<StatusKind> {
    let at = c.p;
    let w = c.word();
    let k = match match_kw(w, &[b"OK", b"NO", b"BAD", b"PREAUTH", b"BYE"]) {
        Some(0) => StatusKind::Ok,
        Some(1) => StatusKind::No,
        Some(2) => StatusKind::Bad,
        Some(3) => StatusKind::PreAuth,
        Some(4) => StatusKind::Bye,
        _ => {
            c.p = at;
            return None;
        }
    };
    if matches!(c.peek(), Some(b' ') | Some(b'\r')) {
        Some(k)
    } else {
        c.p = at;
        None
    }
}

type RespText<'a> = (Option<Code<'a>>, Cow<'a, str>);

fn sp_resp_text<'a>(c: &mut Cur<'a>) -> Result<RespText<'a>, ParseError> {
    // Tolerate a missing text after the condition ("a1 OK\r\n").
    if c.rest().starts_with(b"\r\n") {
        return Ok((None, Cow::Borrowed("")));
    }
    c.sp()?;
    parse_resp_text(c)
}

/// ```abnf
/// resp-text       = ["[" resp-text-code "]" SP] [text]
/// text            = 1*TEXT-CHAR
/// TEXT-CHAR       = <any CHAR except CR and LF>
/// ```
fn parse_resp_text<'a>(c: &mut Cur<'a>) -> Result<RespText<'a>, ParseError> {
    let mut code = None;
    if c.eat(b'[') {
        code = Some(parse_code(c)?);
        c.expect(b']', "closing bracket of response code")?;
        if !c.eat(b' ') {
            return Ok((code, Cow::Borrowed("")));
        }
    }
    let at = c.p;
    // TEXT-CHAR: no CR, LF or NUL; a stray one fails at the CRLF check.
    let t = c.take_while(|b| b != b'\r' && b != b'\n' && b != 0);
    let t = std::str::from_utf8(t).map_err(|_| ParseError {
        offset: at,
        kind: ParseErrorKind::InvalidUtf8,
    })?;
    let t = if code.is_none() {
        t.strip_prefix(' ').unwrap_or(t)
    } else {
        t
    };
    Ok((code, Cow::Borrowed(t)))
}

/// ```abnf
/// resp-text-code  = "ALERT" /
///                   "BADCHARSET" [SP "(" charset *(SP charset) ")" ] /
///                   capability-data / "PARSE" /
///                   "PERMANENTFLAGS" SP "(" [flag-perm *(SP flag-perm)] ")" /
///                   "READ-ONLY" / "READ-WRITE" / "TRYCREATE" /
///                   "UIDNEXT" SP nz-number / "UIDVALIDITY" SP nz-number /
///                   resp-code-apnd / resp-code-copy / "UIDNOTSTICKY" /
///                   "UNAVAILABLE" / "AUTHENTICATIONFAILED" /
///                   "AUTHORIZATIONFAILED" / "EXPIRED" /
///                   "PRIVACYREQUIRED" / "CONTACTADMIN" / "NOPERM" /
///                   "INUSE" / "EXPUNGEISSUED" / "CORRUPTION" /
///                   "SERVERBUG" / "CLIENTBUG" / "CANNOT" /
///                   "LIMIT" / "OVERQUOTA" / "ALREADYEXISTS" /
///                   "NONEXISTENT" / "NOTSAVED" / "HASCHILDREN" /
///                   "CLOSED" / "UNKNOWN-CTE" /
///                   atom [SP 1*<any TEXT-CHAR except "]">]
/// resp-code-apnd  = "APPENDUID" SP nz-number SP append-uid
/// resp-code-copy  = "COPYUID" SP nz-number SP uid-set SP uid-set
/// resp-text-code  =/ "UNSEEN" SP nz-number              ; RFC 3501
/// resp-text-code  =/ "HIGHESTMODSEQ" SP mod-sequence-value /
///                   "NOMODSEQ" / "MODIFIED" SP sequence-set
///                                                       ; RFC 7162
/// resp-text-code  =/ "MAILBOXID" SP "(" objectid ")"    ; RFC 8474
/// resp-text-code  =/ "USEATTR"                          ; RFC 6154
/// resp-text-code  =/ "TOOBIG"                           ; RFC 7888
/// ```
fn parse_code<'a>(c: &mut Cur<'a>) -> Result<Code<'a>, ParseError> {
    let at = c.p;
    let name = c.atom_until_bracket()?;
    let mut buf: KwBuf = [0; 24];
    let n = upper(name.as_bytes(), &mut buf);
    if let Some(code) = simple_code(ascii(&buf[..n])) {
        return Ok(code);
    }
    Ok(match &buf[..n] {
        b"BADCHARSET" => {
            if c.eat(b' ') {
                Code::BadCharset(c.list(false, |c| c.astring())?)
            } else {
                Code::BadCharset(Vec::new())
            }
        }
        b"CAPABILITY" => {
            let mut caps = Vec::new();
            while c.eat(b' ') {
                caps.push(c.atom_until_bracket()?);
            }
            Code::Capability(caps)
        }
        b"PERMANENTFLAGS" => {
            c.sp()?;
            Code::PermanentFlags(parse_flag_list(c)?)
        }
        b"UIDNEXT" => Code::UidNext(sp_nz(c)?),
        b"UIDVALIDITY" => Code::UidValidity(sp_nz(c)?),
        b"UNSEEN" => Code::Unseen(sp_nz(c)?),
        b"HIGHESTMODSEQ" => {
            c.sp()?;
            Code::HighestModSeq(c.number64()?)
        }
        b"APPENDUID" => {
            let validity = sp_nz(c)?;
            c.sp()?;
            Code::AppendUid {
                validity,
                uids: SequenceSet::parse(c)?,
            }
        }
        b"COPYUID" => {
            let validity = sp_nz(c)?;
            c.sp()?;
            let source = SequenceSet::parse(c)?;
            c.sp()?;
            Code::CopyUid {
                validity,
                source,
                dest: SequenceSet::parse(c)?,
            }
        }
        b"MODIFIED" => {
            c.sp()?;
            Code::Modified(SequenceSet::parse(c)?)
        }
        b"MAILBOXID" => {
            c.sp()?;
            c.expect(b'(', "opening parenthesis")?;
            let id = c.atom()?;
            c.expect(b')', "closing parenthesis")?;
            Code::MailboxId(id)
        }
        _ => {
            let text = if c.eat(b' ') {
                let s = c.take_while(|b| b != b']' && b != b'\r' && b != b'\n' && b != 0);
                Some(std::str::from_utf8(s).map_err(|_| ParseError {
                    offset: at,
                    kind: ParseErrorKind::InvalidUtf8,
                })?)
            } else {
                None
            };
            Code::Other { name, text }
        }
    })
}

fn sp_nz(c: &mut Cur<'_>) -> Result<u32, ParseError> {
    c.sp()?;
    c.nz_number()
}

impl<'a> Cur<'a> {
    /// An atom that stops at `]` (capabilities and codes in brackets).
    fn atom_until_bracket(&mut self) -> Result<&'a str, ParseError> {
        let s = self.take_while(|b| is_atom_char(b) && b != b']');
        if s.is_empty() {
            return Err(self.expected("atom"));
        }
        Ok(ascii(s))
    }
}

/// ```abnf
/// capability-data = "CAPABILITY" *(SP capability) SP "IMAP4rev2"
///                   *(SP capability)
/// enable-data     = "ENABLED" *(SP capability)
/// capability      = ("AUTH=" auth-type) / atom
/// ```
fn parse_caps<'a>(c: &mut Cur<'a>) -> Result<Vec<&'a str>, ParseError> {
    let mut caps = Vec::new();
    while c.eat(b' ') {
        caps.push(c.atom()?);
    }
    Ok(caps)
}

/// Untagged data after `* `.
///
/// ```abnf
/// mailbox-data    = "FLAGS" SP flag-list / "LIST" SP mailbox-list /
///                   esearch-response /
///                   "STATUS" SP mailbox SP "(" [status-att-list] ")" /
///                   number SP "EXISTS" / namespace-response
/// mailbox-data    =/ "SEARCH" *(SP nz-number) [SP search-sort-mod-seq]
///                   / "LSUB" SP mailbox-list / number SP "RECENT"
///                                                       ; RFC 3501
/// mailbox-data    =/ "SORT" *(SP nz-number) [SP search-sort-mod-seq] /
///                   "THREAD" [SP 1*thread-list]         ; RFC 5256
/// search-sort-mod-seq = "(" "MODSEQ" SP mod-sequence-value ")"
/// message-data    = nz-number SP ("EXPUNGE" / ("FETCH" SP msg-att))
/// expunged-resp   = "VANISHED" [SP "(EARLIER)"] SP known-uids
///                                                       ; RFC 7162
/// namespace-response = "NAMESPACE" SP namespace SP namespace SP
///                   namespace
/// namespace       = nil / "(" 1*namespace-descr ")"
/// namespace-descr = "(" string SP (DQUOTE QUOTED-CHAR DQUOTE / nil)
///                   [namespace-response-extensions] ")"
/// quota-response  = "QUOTA" SP quota-root-name SP quota-list
/// quota-list      = "(" quota-resource *(SP quota-resource) ")"
/// quota-resource  = resource-name SP resource-usage SP resource-limit
/// quotaroot-response = "QUOTAROOT" SP mailbox *(SP quota-root-name)
///                                                       ; RFC 9208
/// id-response     = "ID" SP id-params-list              ; RFC 2971
/// ```
fn parse_data<'a>(c: &mut Cur<'a>) -> Result<Data<'a>, ParseError> {
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        let n = c.number()?;
        c.sp()?;
        let at = c.p;
        let w = c.word();
        return Ok(
            match match_kw(w, &[b"EXISTS", b"RECENT", b"EXPUNGE", b"FETCH"]) {
                Some(0) => Data::Exists(n),
                Some(1) => Data::Recent(n),
                Some(2) => Data::Expunge(n),
                Some(3) => {
                    c.sp()?;
                    Data::Fetch {
                        seq: n,
                        items: c.list(false, parse_fetch_value)?,
                    }
                }
                _ => return Err(unknown(at, w)),
            },
        );
    }
    let at = c.p;
    let w = c.word();
    let mut buf: KwBuf = [0; 24];
    let n = upper(w, &mut buf);
    let up = &buf[..n];
    Ok(match up {
        b"CAPABILITY" => Data::Capability(parse_caps(c)?),
        b"ENABLED" => Data::Enabled(parse_caps(c)?),
        b"LIST" => {
            c.sp()?;
            Data::List(parse_list_item(c)?)
        }
        b"LSUB" => {
            c.sp()?;
            Data::Lsub(parse_list_item(c)?)
        }
        b"STATUS" => {
            c.sp()?;
            let mailbox = Mailbox::parse(c)?;
            c.sp()?;
            Data::Status {
                mailbox,
                items: c.list(true, parse_status_value)?,
            }
        }
        b"SEARCH" | b"SORT" => {
            let mut ids = Vec::new();
            let mut modseq = None;
            while c.eat(b' ') {
                if c.eat_kw(b"(MODSEQ ") {
                    modseq = Some(c.number64()?);
                    c.expect(b')', "closing parenthesis")?;
                    break;
                }
                ids.push(c.nz_number()?);
            }
            if up == b"SEARCH" {
                Data::Search(ids, modseq)
            } else {
                Data::Sort(ids, modseq)
            }
        }
        b"ESEARCH" => Data::ESearch(parse_esearch(c)?),
        b"THREAD" => {
            let mut threads = Vec::new();
            if c.eat(b' ') {
                while c.peek() == Some(b'(') {
                    threads.push(parse_thread(c)?);
                }
            }
            Data::Thread(threads)
        }
        b"FLAGS" => {
            c.sp()?;
            Data::Flags(parse_flag_list(c)?)
        }
        b"VANISHED" => {
            c.sp()?;
            let earlier = c.eat_kw(b"(EARLIER) ");
            Data::Vanished {
                earlier,
                uids: SequenceSet::parse(c)?,
            }
        }
        b"NAMESPACE" => {
            let mut groups: [Option<Vec<NamespaceDesc<'a>>>; 3] = [None, None, None];
            for g in &mut groups {
                c.sp()?;
                if !c.nil() {
                    c.expect(b'(', "namespace list")?;
                    let mut descs = Vec::new();
                    while c.eat(b'(') {
                        let prefix = c.string()?;
                        c.sp()?;
                        let d = parse_delim(c)?;
                        // Namespace response extensions are skipped.
                        while c.eat(b' ') {
                            skip_body_extension(c)?;
                        }
                        c.expect(b')', "closing parenthesis")?;
                        descs.push((prefix, d));
                        c.eat(b' ');
                    }
                    c.expect(b')', "closing parenthesis of namespace list")?;
                    if descs.is_empty() {
                        return Err(c.expected("namespace"));
                    }
                    *g = Some(descs);
                }
            }
            Data::Namespace(groups)
        }
        b"QUOTA" => {
            c.sp()?;
            let root = c.astring()?;
            c.sp()?;
            let resources = c.list(true, |c| {
                let name = c.atom()?;
                c.sp()?;
                let usage = c.number64()?;
                c.sp()?;
                Ok((name, usage, c.number64()?))
            })?;
            Data::Quota { root, resources }
        }
        b"QUOTAROOT" => {
            c.sp()?;
            let mailbox = Mailbox::parse(c)?;
            let mut roots = Vec::new();
            while c.eat(b' ') {
                roots.push(c.astring()?);
            }
            Data::QuotaRoot { mailbox, roots }
        }
        b"ID" => {
            c.sp()?;
            if c.nil() {
                Data::Id(None)
            } else {
                Data::Id(Some(c.list(true, |c| {
                    let k = c.string()?;
                    c.sp()?;
                    Ok((k, c.nstring()?))
                })?))
            }
        }
        _ if !w.is_empty() => {
            c.p = at;
            let name = c.atom()?;
            let rest = if c.eat(b' ') {
                let end = c.b.len().saturating_sub(2).max(c.p);
                let r = &c.b[c.p..end];
                c.p = end;
                r
            } else {
                &[]
            };
            Data::Other { name, rest }
        }
        _ => return Err(unknown(at, w)),
    })
}

/// See [`StatusValue`] for the rule.
fn parse_status_value<'a>(c: &mut Cur<'a>) -> Result<StatusValue<'a>, ParseError> {
    let item = StatusItem::parse(c)?;
    c.sp()?;
    Ok(match item {
        StatusItem::MailboxId => {
            c.expect(b'(', "opening parenthesis")?;
            let id = c.atom()?;
            c.expect(b')', "closing parenthesis")?;
            StatusValue::MailboxId(id)
        }
        StatusItem::AppendLimit if c.nil() => StatusValue::NoAppendLimit,
        _ => StatusValue::Number(item, c.number64()?),
    })
}

fn unknown(at: usize, w: &[u8]) -> ParseError {
    ParseError {
        offset: at,
        kind: ParseErrorKind::UnknownKeyword(String::from_utf8_lossy(w).into_owned()),
    }
}

/// ```abnf
/// delimiter       = DQUOTE QUOTED-CHAR DQUOTE / nil
/// ```
fn parse_delim(c: &mut Cur<'_>) -> Result<Option<char>, ParseError> {
    if c.nil() {
        return Ok(None);
    }
    let at = c.p;
    let q = c.quoted()?;
    let s = std::str::from_utf8(&q).map_err(|_| ParseError {
        offset: at,
        kind: ParseErrorKind::InvalidUtf8,
    })?;
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(ch), None) => Ok(Some(ch)),
        _ => Err(ParseError {
            offset: at,
            kind: ParseErrorKind::Expected("one delimiter char"),
        }),
    }
}

/// ```abnf
/// mailbox-list    = "(" [mbx-list-flags] ")" SP
///                   (DQUOTE QUOTED-CHAR DQUOTE / nil) SP mailbox
///                   [SP mbox-list-extended]
/// mbx-list-flags  = *(mbx-list-oflag SP) mbx-list-sflag
///                   *(SP mbx-list-oflag) /
///                   mbx-list-oflag *(SP mbx-list-oflag)
/// mbox-list-extended = "(" [mbox-list-extended-item
///                   *(SP mbox-list-extended-item)] ")"
/// mbox-list-extended-item = mbox-list-extended-item-tag SP
///                   tagged-ext-val
/// mbox-list-extended-item-tag = astring
/// ```
fn parse_list_item<'a>(c: &mut Cur<'a>) -> Result<ListItem<'a>, ParseError> {
    let attributes = c.list(true, |c| {
        c.expect(b'\\', "backslash of mailbox attribute")?;
        c.atom()
    })?;
    c.sp()?;
    let delimiter = parse_delim(c)?;
    c.sp()?;
    let mailbox = Mailbox::parse(c)?;
    let mut item = ListItem {
        attributes,
        delimiter,
        mailbox,
        child_info: vec![],
        old_name: None,
        extensions: vec![],
    };
    if c.eat(b' ') {
        c.expect(b'(', "extended list data")?;
        c.enter()?;
        while !c.eat(b')') {
            let tag = c.astring()?;
            c.sp()?;
            if tag.eq_ignore_ascii_case(b"CHILDINFO") {
                item.child_info = c.list(false, |c| c.string())?;
            } else if tag.eq_ignore_ascii_case(b"OLDNAME") {
                c.expect(b'(', "opening parenthesis")?;
                item.old_name = Some(Mailbox::parse(c)?);
                c.expect(b')', "closing parenthesis")?;
            } else {
                let start = c.p;
                skip_tagged_ext_val(c)?;
                item.extensions.push((tag, &c.b[start..c.p]));
            }
            if c.peek() != Some(b')') {
                c.sp()?;
            }
        }
        c.leave();
    }
    Ok(item)
}

/// Skips one extension value (RFC 4466).
///
/// ```abnf
/// tagged-ext-val  = tagged-ext-simple / "(" [tagged-ext-comp] ")"
/// tagged-ext-simple = sequence-set / number / number64
/// tagged-ext-comp = astring / tagged-ext-comp *(SP tagged-ext-comp) /
///                   "(" tagged-ext-comp ")"
/// ```
fn skip_tagged_ext_val(c: &mut Cur<'_>) -> Result<(), ParseError> {
    // One astring or parenthesized list; `list` handles the spaces.
    fn comp(c: &mut Cur<'_>) -> Result<(), ParseError> {
        if c.peek() == Some(b'(') {
            c.list(true, comp).map(|_| ())
        } else {
            c.astring().map(|_| ())
        }
    }
    match c.peek() {
        Some(b'(') => c.list(true, comp).map(|_| ()),
        Some(b'0'..=b'9' | b'*' | b'$') => {
            c.take_while(|b| b.is_ascii_digit() || b":,*$".contains(&b));
            Ok(())
        }
        _ => Err(c.expected("extension value")),
    }
}

/// ```abnf
/// esearch-response = "ESEARCH" [search-correlator] [SP "UID"]
///                   *(SP search-return-data)
/// search-correlator = SP "(" "TAG" SP tag-string ")"
/// search-return-data = "MIN" SP nz-number / "MAX" SP nz-number /
///                   "ALL" SP sequence-set / "COUNT" SP number /
///                   "MODSEQ" SP mod-sequence-value
/// ```
fn parse_esearch<'a>(c: &mut Cur<'a>) -> Result<ESearch<'a>, ParseError> {
    let mut s = ESearch::default();
    if c.eat_kw(b" (TAG ") {
        s.tag = Some(c.string()?);
        c.expect(b')', "closing parenthesis")?;
    }
    let save = c.p;
    if c.eat_kw(b" UID") && matches!(c.peek(), None | Some(b' ' | b'\r')) {
        s.uid = true;
    } else {
        c.p = save;
    }
    while c.eat(b' ') {
        let at = c.p;
        let w = c.word();
        c.sp()?;
        match match_kw(w, &[b"MIN", b"MAX", b"ALL", b"COUNT", b"MODSEQ"]) {
            Some(0) => s.min = Some(c.nz_number()?),
            Some(1) => s.max = Some(c.nz_number()?),
            Some(2) => s.all = Some(SequenceSet::parse(c)?),
            Some(3) => s.count = Some(c.number()?),
            Some(4) => s.mod_seq = Some(c.number64()?),
            _ => return Err(unknown(at, w)),
        }
    }
    Ok(s)
}

/// ```abnf
/// thread-list     = "(" (thread-members / thread-nested) ")"
/// thread-members  = nz-number *(SP nz-number) [SP thread-nested]
/// thread-nested   = 2*thread-list
/// ```
fn parse_thread(c: &mut Cur<'_>) -> Result<Thread, ParseError> {
    c.expect(b'(', "opening parenthesis of thread")?;
    c.enter()?;
    let mut t = Thread::default();
    while c.peek().is_some_and(|b| b.is_ascii_digit()) {
        t.chain.push(c.nz_number()?);
        if !c.eat(b' ') {
            break;
        }
    }
    while c.peek() == Some(b'(') {
        t.branches.push(parse_thread(c)?);
    }
    c.expect(b')', "closing parenthesis of thread")?;
    c.leave();
    if t.chain.is_empty() && t.branches.is_empty() {
        return Err(c.expected("thread member"));
    }
    Ok(t)
}

/// ```abnf
/// msg-att-static  =/ "BODY" section ["<" number ">"] SP nstring
/// ```
fn parse_partial_origin(c: &mut Cur<'_>) -> Result<Option<u64>, ParseError> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let n = c.number64()?;
    c.expect(b'>', "closing angle bracket")?;
    Ok(Some(n))
}

/// ```abnf
/// msg-att-static  =/ "BINARY" section-binary SP (nstring / literal8)
/// ```
fn parse_payload<'a>(c: &mut Cur<'a>) -> Result<Option<Cow<'a, [u8]>>, ParseError> {
    if c.peek() == Some(b'~') {
        return Ok(Some(Cow::Borrowed(c.literal()?.0)));
    }
    c.nstring()
}

/// ```abnf
/// msg-att         = "(" (msg-att-dynamic / msg-att-static)
///                   *(SP (msg-att-dynamic / msg-att-static)) ")"
/// msg-att-dynamic = "FLAGS" SP "(" [flag-fetch *(SP flag-fetch)] ")"
/// msg-att-static  = "ENVELOPE" SP envelope /
///                   "INTERNALDATE" SP date-time /
///                   "RFC822.SIZE" SP number64 /
///                   "BODY" ["STRUCTURE"] SP body /
///                   "BODY" section ["<" number ">"] SP nstring /
///                   "BINARY" section-binary SP (nstring / literal8) /
///                   "BINARY.SIZE" section-binary SP number /
///                   "UID" SP uniqueid
/// msg-att-static  =/ "RFC822" ["." ("HEADER" / "TEXT")] SP nstring
///                                                       ; RFC 3501
/// msg-att-dynamic =/ "MODSEQ" SP "(" permsg-modsequence ")"
///                                                       ; RFC 7162
/// msg-att-static  =/ "EMAILID" SP "(" objectid ")" /
///                   "THREADID" SP ( "(" objectid ")" / nil )
///                                                       ; RFC 8474
/// msg-att-static  =/ "SAVEDATE" SP (date-time / nil)    ; RFC 8514
/// msg-att-static  =/ "PREVIEW" SP nstring               ; RFC 8970
/// ```
fn parse_fetch_value<'a>(c: &mut Cur<'a>) -> Result<FetchValue<'a>, ParseError> {
    let at = c.p;
    let w = c.word();
    let mut buf: KwBuf = [0; 24];
    let n = upper(w, &mut buf);
    let up = &buf[..n];
    Ok(match up {
        b"FLAGS" => {
            c.sp()?;
            FetchValue::Flags(parse_flag_list(c)?)
        }
        b"UID" => FetchValue::Uid(sp_nz(c)?),
        b"INTERNALDATE" => {
            c.sp()?;
            FetchValue::InternalDate(DateTime::parse(c)?)
        }
        b"RFC822.SIZE" => {
            c.sp()?;
            FetchValue::Rfc822Size(c.number64()?)
        }
        b"ENVELOPE" => {
            c.sp()?;
            FetchValue::Envelope(Box::new(parse_envelope(c)?))
        }
        b"BODYSTRUCTURE" => {
            c.sp()?;
            FetchValue::BodyStructure(Box::new(parse_body(c)?))
        }
        b"BODY" if c.peek() == Some(b'[') => {
            let section = Section::parse(c, false)?;
            let origin = parse_partial_origin(c)?;
            c.sp()?;
            FetchValue::BodySection {
                section,
                origin,
                data: parse_payload(c)?,
            }
        }
        b"BODY" => {
            c.sp()?;
            FetchValue::Body(Box::new(parse_body(c)?))
        }
        b"BINARY" => {
            let part = Section::parse(c, true)?.part;
            let origin = parse_partial_origin(c)?;
            c.sp()?;
            FetchValue::Binary {
                part,
                origin,
                data: parse_payload(c)?,
            }
        }
        b"BINARY.SIZE" => {
            let part = Section::parse(c, true)?.part;
            c.sp()?;
            FetchValue::BinarySize {
                part,
                size: c.number64()?,
            }
        }
        b"RFC822" | b"RFC822.HEADER" | b"RFC822.TEXT" => {
            c.sp()?;
            let d = c.nstring()?;
            match up.len() {
                6 => FetchValue::Rfc822(d),
                13 => FetchValue::Rfc822Header(d),
                _ => FetchValue::Rfc822Text(d),
            }
        }
        b"MODSEQ" => {
            c.sp()?;
            c.expect(b'(', "opening parenthesis")?;
            let n = c.number64()?;
            c.expect(b')', "closing parenthesis")?;
            FetchValue::ModSeq(n)
        }
        b"EMAILID" | b"THREADID" => {
            c.sp()?;
            let id = if c.nil() {
                None
            } else {
                c.expect(b'(', "opening parenthesis")?;
                let id = c.atom()?;
                c.expect(b')', "closing parenthesis")?;
                Some(id)
            };
            if up == b"THREADID" {
                FetchValue::ThreadId(id)
            } else {
                FetchValue::EmailId(id.ok_or_else(|| c.expected("email id"))?)
            }
        }
        b"SAVEDATE" => {
            c.sp()?;
            FetchValue::SaveDate(if c.nil() {
                None
            } else {
                Some(DateTime::parse(c)?)
            })
        }
        b"PREVIEW" => {
            c.sp()?;
            FetchValue::Preview(c.nstring()?)
        }
        _ => return Err(unknown(at, w)),
    })
}

/// ```abnf
/// env-from        = "(" 1*address ")" / nil
/// address         = "(" addr-name SP addr-adl SP addr-mailbox SP
///                   addr-host ")"
/// addr-name       = nstring
/// addr-adl        = nstring
/// addr-mailbox    = nstring
/// addr-host       = nstring
/// ```
fn parse_addresses<'a>(c: &mut Cur<'a>) -> Result<Vec<Address<'a>>, ParseError> {
    if c.nil() {
        return Ok(Vec::new());
    }
    c.expect(b'(', "address list")?;
    c.enter()?;
    let mut v = Vec::new();
    while c.eat(b'(') {
        let name = c.nstring()?;
        c.sp()?;
        let adl = c.nstring()?;
        c.sp()?;
        let mailbox = c.nstring()?;
        c.sp()?;
        let host = c.nstring()?;
        c.expect(b')', "closing parenthesis of address")?;
        v.push(Address {
            name,
            adl,
            mailbox,
            host,
        });
        // Some servers put spaces between addresses.
        c.eat(b' ');
    }
    c.expect(b')', "closing parenthesis of address list")?;
    c.leave();
    if v.is_empty() {
        return Err(c.expected("address"));
    }
    Ok(v)
}

/// ```abnf
/// envelope        = "(" env-date SP env-subject SP env-from SP
///                   env-sender SP env-reply-to SP env-to SP env-cc SP
///                   env-bcc SP env-in-reply-to SP env-message-id ")"
/// env-date        = nstring
/// env-subject     = nstring
/// env-in-reply-to = nstring
/// env-message-id  = nstring
/// ```
fn parse_envelope<'a>(c: &mut Cur<'a>) -> Result<Envelope<'a>, ParseError> {
    c.expect(b'(', "envelope")?;
    c.enter()?;
    let date = c.nstring()?;
    c.sp()?;
    let subject = c.nstring()?;
    let mut lists: [Vec<Address<'a>>; 6] = Default::default();
    for l in &mut lists {
        c.sp()?;
        *l = parse_addresses(c)?;
    }
    c.sp()?;
    let in_reply_to = c.nstring()?;
    c.sp()?;
    let message_id = c.nstring()?;
    c.expect(b')', "closing parenthesis of envelope")?;
    c.leave();
    let [from, sender, reply_to, to, cc, bcc] = lists;
    Ok(Envelope {
        date,
        subject,
        from,
        sender,
        reply_to,
        to,
        cc,
        bcc,
        in_reply_to,
        message_id,
    })
}

/// ```abnf
/// body-fld-param  = "(" string SP string *(SP string SP string) ")" / nil
/// ```
fn parse_params<'a>(c: &mut Cur<'a>) -> Result<Vec<Param<'a>>, ParseError> {
    if c.nil() {
        return Ok(Vec::new());
    }
    c.list(false, |c| {
        let k = c.string()?;
        c.sp()?;
        Ok((k, c.string()?))
    })
}

/// Skips one extension (nested lists bounded by the depth limit).
///
/// ```abnf
/// body-extension  = nstring / number64 /
///                   "(" body-extension *(SP body-extension) ")"
/// ```
fn skip_body_extension(c: &mut Cur<'_>) -> Result<(), ParseError> {
    match c.peek() {
        Some(b'(') => c.list(false, skip_body_extension).map(|_| ()),
        Some(b'0'..=b'9') => c.number64().map(|_| ()),
        _ => c.nstring().map(|_| ()),
    }
}

/// ```abnf
/// body            = "(" (body-type-1part / body-type-mpart) ")"
/// body-type-1part = (body-type-basic / body-type-msg / body-type-text)
///                   [SP body-ext-1part]
/// body-type-basic = media-basic SP body-fields
/// body-type-msg   = media-message SP body-fields SP envelope
///                   SP body SP body-fld-lines
/// body-type-text  = media-text SP body-fields SP body-fld-lines
/// body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
/// body-fields     = body-fld-param SP body-fld-id SP body-fld-desc SP
///                   body-fld-enc SP body-fld-octets
/// body-ext-1part  = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang
///                   [SP body-fld-loc *(SP body-extension)]]]
/// body-ext-mpart  = body-fld-param [SP body-fld-dsp [SP body-fld-lang
///                   [SP body-fld-loc *(SP body-extension)]]]
/// body-fld-dsp    = "(" string SP body-fld-param ")" / nil
/// body-fld-lang   = nstring / "(" string *(SP string) ")"
/// body-fld-loc    = nstring
/// ```
fn parse_body<'a>(c: &mut Cur<'a>) -> Result<BodyStructure<'a>, ParseError> {
    c.expect(b'(', "body structure")?;
    c.enter()?;
    let multi = c.peek() == Some(b'(');
    let kind = if multi {
        let mut parts = Vec::new();
        while c.peek() == Some(b'(') {
            parts.push(parse_body(c)?);
        }
        c.sp()?;
        BodyKind::Multi {
            parts,
            subtype: c.string()?,
        }
    } else {
        let media_type = c.string()?;
        c.sp()?;
        let subtype = c.string()?;
        c.sp()?;
        let params = parse_params(c)?;
        c.sp()?;
        let id = c.nstring()?;
        c.sp()?;
        let description = c.nstring()?;
        c.sp()?;
        let encoding = c.string()?;
        c.sp()?;
        let size = c.number64()?;
        let fields = BodyFields {
            params,
            id,
            description,
            encoding,
            size,
        };
        let extra = if media_type.eq_ignore_ascii_case(b"MESSAGE")
            && (subtype.eq_ignore_ascii_case(b"RFC822") || subtype.eq_ignore_ascii_case(b"GLOBAL"))
            && c.rest().starts_with(b" (")
        {
            c.sp()?;
            let envelope = Box::new(parse_envelope(c)?);
            c.sp()?;
            let body = Box::new(parse_body(c)?);
            c.sp()?;
            SingleExtra::Message {
                envelope,
                body,
                lines: c.number64()?,
            }
        } else if media_type.eq_ignore_ascii_case(b"TEXT") {
            c.sp()?;
            SingleExtra::Text {
                lines: c.number64()?,
            }
        } else {
            SingleExtra::Basic
        };
        BodyKind::Single {
            media_type,
            subtype,
            fields,
            extra,
        }
    };
    let mut ext = None;
    if c.eat(b' ') {
        let mut x = BodyExt::default();
        if multi {
            x.params = parse_params(c)?;
        } else {
            x.md5 = c.nstring()?;
        }
        if c.eat(b' ') {
            if !c.nil() {
                c.expect(b'(', "disposition")?;
                let kind = c.string()?;
                c.sp()?;
                let params = parse_params(c)?;
                c.expect(b')', "closing parenthesis of disposition")?;
                x.disposition = Some((kind, params));
            }
            if c.eat(b' ') {
                x.language = if c.peek() == Some(b'(') {
                    c.list(false, |c| c.string())?
                } else {
                    c.nstring()?.into_iter().collect()
                };
                if c.eat(b' ') {
                    x.location = c.nstring()?;
                    while c.eat(b' ') {
                        skip_body_extension(c)?;
                    }
                }
            }
        }
        ext = Some(x);
    }
    c.expect(b')', "closing parenthesis of body")?;
    c.leave();
    Ok(BodyStructure { kind, ext })
}
