//! Core IMAP values shared by commands and responses.

use std::borrow::Cow;
use std::fmt;

use crate::error::{ParseError, ParseErrorKind};
use crate::lex::{Cur, Enc, ascii, is_atom_char, is_list_char, is_tag_char, utf8};
use crate::utf7;

/// A command tag: `tag = 1*<any ASTRING-CHAR except "+">`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tag<'a>(&'a str);

impl<'a> Tag<'a> {
    /// Validates a tag.
    ///
    /// # Errors
    ///
    /// Returns the offending text when it is empty or holds a character
    /// outside the tag grammar.
    pub fn new(s: &'a str) -> Result<Self, String> {
        if !s.is_empty() && s.bytes().all(is_tag_char) {
            Ok(Tag(s))
        } else {
            Err(s.to_string())
        }
    }

    /// The tag text.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// ```abnf
    /// tag             = 1*<any ASTRING-CHAR except "+">
    /// ```
    pub(crate) fn parse(c: &mut Cur<'a>) -> Result<Self, ParseError> {
        let s = c.take_while(is_tag_char);
        if s.is_empty() {
            return Err(c.expected("tag"));
        }
        Ok(Tag(ascii(s)))
    }
}

impl fmt::Display for Tag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A message flag.
///
/// ```abnf
/// flag            = "\Answered" / "\Flagged" / "\Deleted" /
///                   "\Seen" / "\Draft" / flag-keyword / flag-extension
/// flag-extension  = "\" atom
/// flag-keyword    = "$MDNSent" / "$Forwarded" / "$Junk" /
///                   "$NotJunk" / "$Phishing" / atom
/// flag-perm       = flag / "\*"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Flag<'a> {
    /// `\Answered`
    Answered,
    /// `\Flagged`
    Flagged,
    /// `\Deleted`
    Deleted,
    /// `\Seen`
    Seen,
    /// `\Draft`
    Draft,
    /// `\Recent` (IMAP4rev1 only)
    Recent,
    /// `\*` in PERMANENTFLAGS: new keywords may be created.
    Wildcard,
    /// Another system flag, without its backslash.
    Extension(&'a str),
    /// A keyword such as `$Forwarded`.
    Keyword(&'a str),
}

impl<'a> Flag<'a> {
    /// ```abnf
    /// flag            = "\Answered" / "\Flagged" / "\Deleted" /
    ///                   "\Seen" / "\Draft" / flag-keyword / flag-extension
    /// flag-extension  = "\" atom
    /// flag-keyword    = "$MDNSent" / "$Forwarded" / "$Junk" /
    ///                   "$NotJunk" / "$Phishing" / atom
    /// flag-perm       = flag / "\*"
    /// ```
    pub(crate) fn parse(c: &mut Cur<'a>) -> Result<Self, ParseError> {
        if c.eat(b'\\') {
            if c.eat(b'*') {
                return Ok(Flag::Wildcard);
            }
            let a = c.atom()?;
            const SYSTEM: [&[u8]; 6] = [
                b"Seen",
                b"Answered",
                b"Flagged",
                b"Deleted",
                b"Draft",
                b"Recent",
            ];
            Ok(match match_kw(a.as_bytes(), &SYSTEM) {
                Some(0) => Flag::Seen,
                Some(1) => Flag::Answered,
                Some(2) => Flag::Flagged,
                Some(3) => Flag::Deleted,
                Some(4) => Flag::Draft,
                Some(5) => Flag::Recent,
                _ => Flag::Extension(a),
            })
        } else {
            Ok(Flag::Keyword(c.atom()?))
        }
    }

    pub(crate) fn encode(&self, e: &mut Enc) {
        let s = match self {
            Flag::Answered => "\\Answered",
            Flag::Flagged => "\\Flagged",
            Flag::Deleted => "\\Deleted",
            Flag::Seen => "\\Seen",
            Flag::Draft => "\\Draft",
            Flag::Recent => "\\Recent",
            Flag::Wildcard => "\\*",
            Flag::Extension(a) => {
                e.byte(b'\\');
                a
            }
            Flag::Keyword(a) => a,
        };
        e.raw(s.as_bytes());
    }
}

/// ```abnf
/// flag-list       = "(" [flag *(SP flag)] ")"
/// ```
pub(crate) fn parse_flag_list<'a>(c: &mut Cur<'a>) -> Result<Vec<Flag<'a>>, ParseError> {
    c.list(true, Flag::parse)
}

pub(crate) fn encode_flag_list(e: &mut Enc, flags: &[Flag<'_>]) {
    e.list(flags, |e, f| f.encode(e));
}

/// One end of a sequence range: a number or `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNo {
    /// A message sequence number or UID.
    Value(u32),
    /// `*`: the largest number in use.
    Largest,
}

/// One element of a sequence set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqItem {
    /// `seq-number`
    Single(SeqNo),
    /// `seq-range = seq-number ":" seq-number`
    Range(SeqNo, SeqNo),
}

/// A sequence set, or `$` (the saved search result, RFC 5182).
///
/// ```abnf
/// sequence-set    = (seq-number / seq-range) ["," sequence-set]
///                   / seq-last-command
/// seq-number      = nz-number / "*"
/// seq-last-command = "$"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SequenceSet {
    /// An explicit, non-empty set.
    Items(Vec<SeqItem>),
    /// `$`
    Saved,
}

impl SequenceSet {
    /// Whether `n` is in the set, given the largest number in use
    /// (`*`). `$` contains nothing here: the caller resolves it.
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        let v = |s: SeqNo| match s {
            SeqNo::Value(v) => v,
            SeqNo::Largest => largest,
        };
        match self {
            SequenceSet::Saved => false,
            SequenceSet::Items(items) => items.iter().any(|it| match *it {
                SeqItem::Single(a) => v(a) == n,
                SeqItem::Range(a, b) => {
                    let (lo, hi) = (v(a).min(v(b)), v(a).max(v(b)));
                    (lo..=hi).contains(&n)
                }
            }),
        }
    }

    /// ```abnf
    /// sequence-set    = (seq-number / seq-range) ["," sequence-set]
    ///                   / seq-last-command
    /// seq-range       = seq-number ":" seq-number
    /// seq-number      = nz-number / "*"
    /// seq-last-command = "$"
    /// ```
    pub(crate) fn parse(c: &mut Cur<'_>) -> Result<Self, ParseError> {
        if c.eat(b'$') {
            return Ok(SequenceSet::Saved);
        }
        let mut items = Vec::new();
        loop {
            let a = parse_seq_no(c)?;
            if c.eat(b':') {
                items.push(SeqItem::Range(a, parse_seq_no(c)?));
            } else {
                items.push(SeqItem::Single(a));
            }
            if !c.eat(b',') {
                return Ok(SequenceSet::Items(items));
            }
        }
    }

    pub(crate) fn encode(&self, e: &mut Enc) {
        let items = match self {
            SequenceSet::Saved => return e.byte(b'$'),
            SequenceSet::Items(items) => items,
        };
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                e.byte(b',');
            }
            match *it {
                SeqItem::Single(a) => encode_seq_no(e, a),
                SeqItem::Range(a, b) => {
                    encode_seq_no(e, a);
                    e.byte(b':');
                    encode_seq_no(e, b);
                }
            }
        }
    }
}

fn parse_seq_no(c: &mut Cur<'_>) -> Result<SeqNo, ParseError> {
    if c.eat(b'*') {
        Ok(SeqNo::Largest)
    } else {
        c.nz_number().map(SeqNo::Value)
    }
}

fn encode_seq_no(e: &mut Enc, n: SeqNo) {
    match n {
        SeqNo::Value(v) => e.num(u64::from(v)),
        SeqNo::Largest => e.byte(b'*'),
    }
}

const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// A calendar date, as in SEARCH `SINCE 1-Feb-1994`.
///
/// ```abnf
/// date            = date-text / DQUOTE date-text DQUOTE
/// date-text       = date-day "-" date-month "-" date-year
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    /// Year, four digits.
    pub year: u16,
    /// Month, 1 to 12.
    pub month: u8,
    /// Day of month, 1 to 31.
    pub day: u8,
}

impl Date {
    /// ```abnf
    /// date            = date-text / DQUOTE date-text DQUOTE
    /// date-text       = date-day "-" date-month "-" date-year
    /// date-day        = 1*2DIGIT
    /// date-month      = "Jan" / "Feb" / "Mar" / "Apr" / "May" / "Jun" /
    ///                   "Jul" / "Aug" / "Sep" / "Oct" / "Nov" / "Dec"
    /// date-year       = 4DIGIT
    /// ```
    pub(crate) fn parse(c: &mut Cur<'_>) -> Result<Self, ParseError> {
        let q = c.eat(b'"');
        let d = Self::parse_text(c, false)?;
        if q {
            c.expect(b'"', "closing quote of date")?;
        }
        Ok(d)
    }

    fn parse_text(c: &mut Cur<'_>, fixed: bool) -> Result<Self, ParseError> {
        let start = c.p;
        let bad = |c: &Cur<'_>| {
            let s = String::from_utf8_lossy(&c.b[start..c.p.min(c.b.len())]).into_owned();
            c.err(ParseErrorKind::InvalidDate(s))
        };
        if fixed && c.eat(b' ') {
            // date-day-fixed = (SP DIGIT) / 2DIGIT
        }
        let ds = c.p;
        let day = c.number().map_err(|_| bad(c))?;
        if c.p - ds > 2 {
            return Err(bad(c));
        }
        c.expect(b'-', "date separator")?;
        let r = c.rest();
        let month = MONTHS
            .iter()
            .position(|m| r.len() >= 3 && r[..3].eq_ignore_ascii_case(*m));
        let month = match month {
            Some(m) => m as u8 + 1,
            None => return Err(bad(c)),
        };
        c.p += 3;
        c.expect(b'-', "date separator")?;
        let ys = c.p;
        let year = c.number().map_err(|_| bad(c))?;
        if c.p - ys != 4 || !(1..=31).contains(&day) {
            return Err(bad(c));
        }
        Ok(Date {
            year: year as u16,
            month,
            day: day as u8,
        })
    }

    pub(crate) fn encode(&self, e: &mut Enc) {
        e.num(u64::from(self.day));
        e.byte(b'-');
        e.raw(MONTHS[usize::from(self.month.clamp(1, 12) - 1)]);
        e.byte(b'-');
        // date-year = 4DIGIT, zero-padded.
        let y = self.year % 10000;
        for d in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
            e.byte(b'0' + d as u8);
        }
    }
}

/// A date and time with zone, as in INTERNALDATE.
///
/// ```abnf
/// date-time       = DQUOTE date-day-fixed "-" date-month "-" date-year
///                   SP time SP zone DQUOTE
/// time            = 2DIGIT ":" 2DIGIT ":" 2DIGIT
/// zone            = ("+" / "-") 4DIGIT
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    /// The date.
    pub date: Date,
    /// Hour, 0 to 23.
    pub hour: u8,
    /// Minute, 0 to 59.
    pub minute: u8,
    /// Second, 0 to 60.
    pub second: u8,
    /// Offset from UTC in minutes.
    pub zone: i16,
}

impl DateTime {
    /// ```abnf
    /// date-time       = DQUOTE date-day-fixed "-" date-month "-" date-year
    ///                   SP time SP zone DQUOTE
    /// date-day-fixed  = (SP DIGIT) / 2DIGIT
    /// time            = 2DIGIT ":" 2DIGIT ":" 2DIGIT
    /// zone            = ("+" / "-") 4DIGIT
    /// ```
    pub(crate) fn parse(c: &mut Cur<'_>) -> Result<Self, ParseError> {
        c.expect(b'"', "date-time")?;
        let date = Date::parse_text(c, true)?;
        c.sp()?;
        let start = c.p;
        let two = |c: &mut Cur<'_>, max: u8| -> Result<u8, ParseError> {
            let r = c.rest();
            if r.len() >= 2 && r[0].is_ascii_digit() && r[1].is_ascii_digit() {
                let v = (r[0] - b'0') * 10 + (r[1] - b'0');
                c.p += 2;
                if v <= max {
                    return Ok(v);
                }
            }
            let s = String::from_utf8_lossy(&c.b[start..c.p.min(c.b.len())]).into_owned();
            Err(c.err(ParseErrorKind::InvalidDate(s)))
        };
        let hour = two(c, 23)?;
        c.expect(b':', "colon")?;
        let minute = two(c, 59)?;
        c.expect(b':', "colon")?;
        let second = two(c, 60)?;
        c.sp()?;
        let neg = match c.peek() {
            Some(b'+') => false,
            Some(b'-') => true,
            _ => return Err(c.expected("time zone")),
        };
        c.p += 1;
        let zh = two(c, 99)?;
        let zm = two(c, 59)?;
        c.expect(b'"', "closing quote of date-time")?;
        let z = i16::from(zh) * 60 + i16::from(zm);
        Ok(DateTime {
            date,
            hour,
            minute,
            second,
            zone: if neg { -z } else { z },
        })
    }

    pub(crate) fn encode(&self, e: &mut Enc) {
        e.byte(b'"');
        if self.date.day < 10 {
            e.byte(b' ');
        }
        self.date.encode(e);
        let two = |e: &mut Enc, v: u8| {
            e.byte(b'0' + v / 10 % 10);
            e.byte(b'0' + v % 10);
        };
        e.sp();
        two(e, self.hour);
        e.byte(b':');
        two(e, self.minute);
        e.byte(b':');
        two(e, self.second);
        e.sp();
        e.byte(if self.zone < 0 { b'-' } else { b'+' });
        let z = self.zone.unsigned_abs();
        two(e, (z / 60) as u8);
        two(e, (z % 60) as u8);
        e.byte(b'"');
    }
}

/// A mailbox name, decoded to UTF-8 (from modified UTF-7 or from UTF-8
/// when UTF8=ACCEPT is on). `INBOX` in any case comes out as `INBOX`.
///
/// ```abnf
/// mailbox         = "INBOX" / astring
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a>(pub Cow<'a, str>);

impl<'a> Mailbox<'a> {
    /// A mailbox named `name` (plain UTF-8).
    pub fn new(name: impl Into<Cow<'a, str>>) -> Self {
        let name = name.into();
        if name.eq_ignore_ascii_case("INBOX") {
            Mailbox(Cow::Borrowed("INBOX"))
        } else {
            Mailbox(name)
        }
    }

    /// The decoded name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the INBOX.
    pub fn is_inbox(&self) -> bool {
        self.0 == "INBOX"
    }

    /// ```abnf
    /// mailbox         = "INBOX" / astring
    ///                   ; INBOX is case-insensitive. All case variants
    ///                   ; of INBOX (e.g., "iNbOx") MUST be interpreted
    ///                   ; as INBOX not as an astring.
    /// ```
    pub(crate) fn parse(c: &mut Cur<'a>) -> Result<Self, ParseError> {
        let at = c.p;
        let raw = mailbox_utf8(c.astring()?, at)?;
        Self::from_wire(raw, at, c.utf8)
    }

    /// Decodes a name as sent: modified UTF-7 unless `utf8`, when it is
    /// taken as it is. A non-ASCII name is always taken as UTF-8
    /// (RFC 6855 clients may send one before enabling anything).
    pub(crate) fn from_wire(raw: Cow<'a, str>, at: usize, utf8: bool) -> Result<Self, ParseError> {
        if utf8 || !raw.is_ascii() {
            return Ok(Mailbox::new(raw));
        }
        let dec = match raw {
            Cow::Borrowed(s) => utf7::decode(s),
            Cow::Owned(s) => utf7::decode(&s).map(|d| Cow::Owned(d.into_owned())),
        };
        let dec = dec.map_err(|s| ParseError {
            offset: at,
            kind: ParseErrorKind::InvalidUtf7(s),
        })?;
        Ok(Mailbox::new(dec))
    }

    /// Writes the name: as it is once UTF-8 is enabled, in modified
    /// UTF-7 otherwise.
    pub(crate) fn encode(&self, e: &mut Enc) {
        if e.utf8 {
            e.astring(self.0.as_bytes());
        } else {
            e.astring(utf7::encode(&self.0).as_bytes());
        }
    }
}

/// A mailbox name as UTF-8; a literal that is not UTF-8 names no
/// possible mailbox (a quoted string with invalid UTF-8 was already
/// refused by the lexer as a syntax error).
fn mailbox_utf8(s: Cow<'_, [u8]>, at: usize) -> Result<Cow<'_, str>, ParseError> {
    utf8(s, at).map_err(|e| ParseError {
        kind: ParseErrorKind::MailboxNotUtf8,
        ..e
    })
}

/// A LIST pattern, decoded like a mailbox name.
///
/// ```abnf
/// list-mailbox    = 1*list-char / string
/// list-char       = ATOM-CHAR / list-wildcards / resp-specials
/// list-wildcards  = "%" / "*"
/// ```
pub(crate) fn parse_list_mailbox<'a>(c: &mut Cur<'a>) -> Result<Cow<'a, str>, ParseError> {
    let at = c.p;
    let raw = match c.peek() {
        Some(b'"' | b'{') => mailbox_utf8(c.string()?, at)?,
        Some(b'~') if c.at_literal8() => mailbox_utf8(c.string()?, at)?,
        _ => {
            let s = c.take_while(is_list_char);
            if s.is_empty() {
                return Err(c.expected("list mailbox"));
            }
            Cow::Borrowed(ascii(s))
        }
    };
    Ok(Mailbox::from_wire(raw, at, c.utf8)?.0)
}

pub(crate) fn encode_list_mailbox(e: &mut Enc, s: &str) {
    let w = if e.utf8 {
        Cow::Borrowed(s)
    } else {
        utf7::encode(s)
    };
    if !w.is_empty() && w.bytes().all(is_list_char) {
        e.raw(w.as_bytes());
    } else {
        e.string(w.as_bytes());
    }
}

/// The text part of a body section.
///
/// ```abnf
/// section-msgtext = "HEADER" /
///                   "HEADER.FIELDS" [".NOT"] SP header-list /
///                   "TEXT"
/// section-text    = section-msgtext / "MIME"
/// header-list     = "(" header-fld-name *(SP header-fld-name) ")"
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SectionText<'a> {
    /// `HEADER`
    Header,
    /// `HEADER.FIELDS (...)`
    HeaderFields(Vec<Cow<'a, [u8]>>),
    /// `HEADER.FIELDS.NOT (...)`
    HeaderFieldsNot(Vec<Cow<'a, [u8]>>),
    /// `TEXT`
    Text,
    /// `MIME` (only after a part number)
    Mime,
}

/// A body section: `BODY[1.2.HEADER]` has part `[1, 2]` and text
/// `Header`; `BODY[]` has neither.
///
/// ```abnf
/// section         = "[" [section-spec] "]"
/// section-spec    = section-msgtext / (section-part ["." section-text])
/// section-part    = nz-number *("." nz-number)
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Section<'a> {
    /// Part numbers, outermost first.
    pub part: Vec<u32>,
    /// What of that part.
    pub text: Option<SectionText<'a>>,
}

impl<'a> Section<'a> {
    /// Parses a section; `binary` restricts it to `section-binary`.
    ///
    /// ```abnf
    /// section         = "[" [section-spec] "]"
    /// section-spec    = section-msgtext / (section-part ["." section-text])
    /// section-msgtext = "HEADER" /
    ///                   "HEADER.FIELDS" [".NOT"] SP header-list /
    ///                   "TEXT"
    /// section-part    = nz-number *("." nz-number)
    /// section-text    = section-msgtext / "MIME"
    /// header-list     = "(" header-fld-name *(SP header-fld-name) ")"
    /// header-fld-name = astring
    /// section-binary  = "[" [section-part] "]"
    /// ```
    pub(crate) fn parse(c: &mut Cur<'a>, binary: bool) -> Result<Self, ParseError> {
        c.expect(b'[', "opening bracket of section")?;
        let mut s = Section::default();
        if c.eat(b']') {
            return Ok(s);
        }
        while c.peek().is_some_and(|b| b.is_ascii_digit()) {
            s.part.push(c.nz_number()?);
            if !c.eat(b'.') {
                break;
            }
        }
        if !binary && c.peek() != Some(b']') {
            let w = c.word();
            let fields = |c: &mut Cur<'a>| -> Result<Vec<Cow<'a, [u8]>>, ParseError> {
                c.sp()?;
                c.list(false, |c| c.astring())
            };
            let text = match_kw(
                w,
                &[b"HEADER", b"HEADER.FIELDS", b"HEADER.FIELDS.NOT", b"TEXT"],
            );
            s.text = Some(match text {
                Some(0) => SectionText::Header,
                Some(1) => SectionText::HeaderFields(fields(c)?),
                Some(2) => SectionText::HeaderFieldsNot(fields(c)?),
                Some(3) => SectionText::Text,
                _ if !s.part.is_empty() && w.eq_ignore_ascii_case(b"MIME") => SectionText::Mime,
                _ => return Err(c.expected("section text")),
            });
        }
        c.expect(b']', "closing bracket of section")?;
        Ok(s)
    }

    pub(crate) fn encode(&self, e: &mut Enc) {
        e.byte(b'[');
        for (i, p) in self.part.iter().enumerate() {
            if i > 0 {
                e.byte(b'.');
            }
            e.num(u64::from(*p));
        }
        if let Some(t) = &self.text {
            if !self.part.is_empty() {
                e.byte(b'.');
            }
            let fields = |e: &mut Enc, f: &[Cow<'_, [u8]>]| {
                e.sp();
                e.list(f, |e, h| e.astring(h));
            };
            match t {
                SectionText::Header => e.raw(b"HEADER"),
                SectionText::HeaderFields(f) => {
                    e.raw(b"HEADER.FIELDS");
                    fields(e, f);
                }
                SectionText::HeaderFieldsNot(f) => {
                    e.raw(b"HEADER.FIELDS.NOT");
                    fields(e, f);
                }
                SectionText::Text => e.raw(b"TEXT"),
                SectionText::Mime => e.raw(b"MIME"),
            }
        }
        e.byte(b']');
    }
}

/// Index of the keyword in `kws` equal to `w` without case.
pub(crate) fn match_kw(w: &[u8], kws: &[&[u8]]) -> Option<usize> {
    kws.iter().position(|k| k.eq_ignore_ascii_case(w))
}

/// An atom, validated: `atom = 1*ATOM-CHAR`.
pub(crate) fn encode_atom(e: &mut Enc, a: &str) {
    if !a.is_empty() && a.bytes().all(is_atom_char) {
        e.raw(a.as_bytes());
    } else {
        e.string(a.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Enc)) -> Vec<u8> {
        let mut e = Enc::default();
        f(&mut e);
        e.out
    }

    #[test]
    fn sequence_sets() {
        let cases = ["1", "1:*", "2,4:7,9,12:*", "*:4", "$"];
        for s in cases {
            let set = SequenceSet::parse(&mut Cur::new(s.as_bytes())).unwrap();
            assert_eq!(enc(|e| set.encode(e)), s.as_bytes());
        }
        let set = SequenceSet::parse(&mut Cur::new(b"2,4:7,12:*")).unwrap();
        let got: Vec<u32> = (1..=14).filter(|&n| set.contains(n, 14)).collect();
        assert_eq!(got, [2, 4, 5, 6, 7, 12, 13, 14]);
        assert!(SequenceSet::parse(&mut Cur::new(b"0")).is_err());
    }

    #[test]
    fn dates() {
        let d = Date::parse(&mut Cur::new(b"1-Feb-1994")).unwrap();
        assert_eq!(
            d,
            Date {
                year: 1994,
                month: 2,
                day: 1
            }
        );
        assert_eq!(Date::parse(&mut Cur::new(b"\"01-feb-1994\"")).unwrap(), d);
        for bad in [
            &b"1-Foo-1994"[..],
            b"32-Jan-2000",
            b"1-Jan-94",
            b"001-Jan-1994",
        ] {
            assert!(Date::parse(&mut Cur::new(bad)).is_err(), "{bad:?}");
        }
        let t = b"\"17-Jul-1996 02:44:25 -0700\"";
        let dt = DateTime::parse(&mut Cur::new(t)).unwrap();
        assert_eq!(dt.zone, -420);
        assert_eq!(enc(|e| dt.encode(e)), t);
        let t = b"\" 7-Jul-1996 02:44:25 +0130\"";
        let dt = DateTime::parse(&mut Cur::new(t)).unwrap();
        assert_eq!(enc(|e| dt.encode(e)), t);
        assert!(DateTime::parse(&mut Cur::new(b"\"17-Jul-1996 25:44:25 -0700\"")).is_err());
    }

    #[test]
    fn sections() {
        let cases: &[&[u8]] = &[
            b"[]",
            b"[HEADER]",
            b"[1.2.3]",
            b"[1.MIME]",
            b"[2.HEADER.FIELDS (DATE FROM)]",
            b"[HEADER.FIELDS.NOT (X-A)]",
            b"[3.TEXT]",
        ];
        for s in cases {
            let sec = Section::parse(&mut Cur::new(s), false).unwrap();
            assert_eq!(enc(|e| sec.encode(e)), *s);
        }
        assert!(Section::parse(&mut Cur::new(b"[MIME]"), false).is_err());
        assert!(Section::parse(&mut Cur::new(b"[1.TEXT]"), true).is_err());
    }

    #[test]
    fn mailboxes() {
        let m = Mailbox::parse(&mut Cur::new(b"inbox")).unwrap();
        assert!(m.is_inbox());
        let m = Mailbox::parse(&mut Cur::new(b"\"Entw&APw-rfe\"")).unwrap();
        assert_eq!(m.as_str(), "Entwürfe");
        assert_eq!(enc(|e| m.encode(e)), b"Entw&APw-rfe");
        let m = Mailbox::parse(&mut Cur::new("\"Entwürfe\"".as_bytes())).unwrap();
        assert_eq!(m.as_str(), "Entwürfe");
        let e = Mailbox::parse(&mut Cur::new(b"&Jjo!")).unwrap_err();
        assert!(matches!(e.kind, ParseErrorKind::InvalidUtf7(_)));
        let e = Mailbox::parse(&mut Cur::new(b"{2}\r\n\xff\xfe")).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::MailboxNotUtf8);
        let e = Mailbox::parse(&mut Cur::new(b"\"\xff\xfe\"")).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::InvalidUtf8);

        // With UTF-8 enabled, "&" is an ordinary character both ways.
        let utf8 = crate::lex::ParseOptions { utf8: true };
        let m = Mailbox::parse(&mut Cur::with_options(b"R&D", utf8)).unwrap();
        assert_eq!(m.as_str(), "R&D");
        let mut e = Enc {
            utf8: true,
            ..Enc::default()
        };
        m.encode(&mut e);
        assert_eq!(e.out, b"R&D");
        let m = Mailbox::new("Entwürfe");
        let mut e = Enc {
            utf8: true,
            ..Enc::default()
        };
        m.encode(&mut e);
        assert_eq!(e.out, "\"Entwürfe\"".as_bytes());
        assert!(Mailbox::parse(&mut Cur::new(b"R&D")).is_err());
    }

    #[test]
    fn flags() {
        let f = parse_flag_list(&mut Cur::new(b"(\\Seen \\seen $Junk \\X \\*)")).unwrap();
        assert_eq!(
            f,
            [
                Flag::Seen,
                Flag::Seen,
                Flag::Keyword("$Junk"),
                Flag::Extension("X"),
                Flag::Wildcard
            ]
        );
        assert_eq!(
            enc(|e| encode_flag_list(e, &f)),
            b"(\\Seen \\Seen $Junk \\X \\*)"
        );
    }
}
