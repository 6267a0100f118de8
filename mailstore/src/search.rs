//! SEARCH keys (RFC 3501, 7162, 8514, 5032) and SORT keys (RFC 5256),
//! evaluated over message metadata, the header cache and, for text
//! keys, the raw message.

use std::cmp::Ordering;

use crate::cache::{CachedField, HeaderLines};
use crate::flags::Flag;
use crate::model::Message;
use crate::uidset::UidSet;

/// A calendar date (UTC), as SEARCH compares dates without time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    days: i64,
}

impl Date {
    /// A date from year, month (1-12) and day (1-31).
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
            return None;
        }
        Some(Date {
            days: days_from_civil(i64::from(y), m, d),
        })
    }

    /// The UTC date of a Unix timestamp.
    pub fn of_timestamp(secs: i64) -> Date {
        Date {
            days: secs.div_euclid(86_400),
        }
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
pub(crate) fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// One SEARCH key. Text keys match case-insensitively as substrings of
/// the raw text, and also of the decoded text: header fields with
/// RFC 2047 encoded words are decoded, and `Body` and `Text` look into
/// base64 and quoted-printable parts and other charsets, decoded to
/// UTF-8 (the cached MIME structure says when a message needs it, so
/// plain messages are never parsed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchKey {
    /// Every message.
    All,
    /// `\Answered` set.
    Answered,
    /// `\Deleted` set.
    Deleted,
    /// `\Draft` set.
    Draft,
    /// `\Flagged` set.
    Flagged,
    /// `\Seen` set.
    Seen,
    /// `\Answered` not set.
    Unanswered,
    /// `\Deleted` not set.
    Undeleted,
    /// `\Draft` not set.
    Undraft,
    /// `\Flagged` not set.
    Unflagged,
    /// `\Seen` not set.
    Unseen,
    /// `\Recent` in the session (needs a session view).
    Recent,
    /// `\Recent` and not `\Seen`.
    New,
    /// Not `\Recent`.
    Old,
    /// Keyword set.
    Keyword(String),
    /// Keyword not set.
    Unkeyword(String),
    /// `Bcc` contains the text.
    Bcc(String),
    /// `Cc` contains the text.
    Cc(String),
    /// `From` contains the text.
    From(String),
    /// `To` contains the text.
    To(String),
    /// `Subject` contains the text.
    Subject(String),
    /// A header field contains the text; empty text matches presence.
    Header(String, String),
    /// The body contains the text.
    Body(String),
    /// Header or body contains the text.
    Text(String),
    /// INTERNALDATE before the date.
    Before(Date),
    /// INTERNALDATE on the date.
    On(Date),
    /// INTERNALDATE on or after the date.
    Since(Date),
    /// `Date` header before the date.
    SentBefore(Date),
    /// `Date` header on the date.
    SentOn(Date),
    /// `Date` header on or after the date.
    SentSince(Date),
    /// SAVEDATE before the date (RFC 8514).
    SaveDateBefore(Date),
    /// SAVEDATE on the date.
    SaveDateOn(Date),
    /// SAVEDATE on or after the date.
    SaveDateSince(Date),
    /// SAVEDATESUPPORTED (RFC 8514): every message, as every mailbox
    /// keeps SAVEDATE.
    SaveDateSupported,
    /// INTERNALDATE at least this many seconds ago (RFC 5032).
    Older(u64),
    /// INTERNALDATE at most this many seconds ago (RFC 5032).
    Younger(u64),
    /// Larger than this many bytes.
    Larger(u64),
    /// Smaller than this many bytes.
    Smaller(u64),
    /// UID in the set.
    Uid(UidSet),
    /// Sequence number in the set (needs a session view).
    Seq(UidSet),
    /// MODSEQ at least this (RFC 7162).
    ModSeq(u64),
    /// Negation.
    Not(Box<SearchKey>),
    /// Either key.
    Or(Box<SearchKey>, Box<SearchKey>),
    /// Every key.
    And(Vec<SearchKey>),
}

/// Which part of a message a text key needs read from disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Header,
    Body,
    Whole,
}

/// What evaluation needs besides the message.
pub(crate) struct Ctx<'a> {
    pub(crate) max_uid: u32,
    pub(crate) max_seq: u32,
    pub(crate) seq_of: &'a dyn Fn(u32) -> Option<u32>,
    pub(crate) is_recent: &'a dyn Fn(u32) -> bool,
    pub(crate) now: i64,
    pub(crate) read: &'a dyn Fn(&Message, Part) -> Vec<u8>,
}

fn in_set(set: &UidSet, n: u32, max: u32) -> bool {
    set.ranges().iter().any(|&(lo, hi)| {
        let fix = |x: u32| if x == u32::MAX { max } else { x };
        let (a, b) = (fix(lo), fix(hi));
        a.min(b) <= n && n <= a.max(b)
    })
}

pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.is_ascii() && hay.is_ascii() {
        let n = needle.to_ascii_lowercase();
        let h = hay.to_ascii_lowercase();
        return memchr::memmem::find(h.as_bytes(), n.as_bytes()).is_some();
    }
    hay.to_lowercase().contains(&needle.to_lowercase())
}

fn bytes_contain_ci(hay: &[u8], needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.is_ascii() {
        let n = needle.to_ascii_lowercase();
        let h = hay.to_ascii_lowercase();
        return memchr::memmem::find(&h, n.as_bytes()).is_some();
    }
    contains_ci(&String::from_utf8_lossy(hay), needle)
}

impl SearchKey {
    pub(crate) fn matches(&self, m: &Message, cx: &Ctx<'_>) -> bool {
        let f = m.flags();
        let cache = m.cache();
        let field = |c: CachedField, s: &str| {
            let raw = cache.field(c);
            contains_ci(raw, s) || (raw.contains("=?") && contains_ci(&decode_field(c, raw), s))
        };
        let day = Date::of_timestamp;
        let sent = || cache.sent_date().map(day);
        match self {
            SearchKey::All => true,
            SearchKey::Answered => f.contains(Flag::Answered),
            SearchKey::Deleted => f.contains(Flag::Deleted),
            SearchKey::Draft => f.contains(Flag::Draft),
            SearchKey::Flagged => f.contains(Flag::Flagged),
            SearchKey::Seen => f.contains(Flag::Seen),
            SearchKey::Unanswered => !f.contains(Flag::Answered),
            SearchKey::Undeleted => !f.contains(Flag::Deleted),
            SearchKey::Undraft => !f.contains(Flag::Draft),
            SearchKey::Unflagged => !f.contains(Flag::Flagged),
            SearchKey::Unseen => !f.contains(Flag::Seen),
            SearchKey::Recent => (cx.is_recent)(m.uid()),
            SearchKey::New => (cx.is_recent)(m.uid()) && !f.contains(Flag::Seen),
            SearchKey::Old => !(cx.is_recent)(m.uid()),
            SearchKey::Keyword(k) => f.contains(Flag::Keyword(k)),
            SearchKey::Unkeyword(k) => !f.contains(Flag::Keyword(k)),
            SearchKey::Bcc(s) => field(CachedField::Bcc, s),
            SearchKey::Cc(s) => field(CachedField::Cc, s),
            SearchKey::From(s) => field(CachedField::From, s),
            SearchKey::To(s) => field(CachedField::To, s),
            SearchKey::Subject(s) => {
                contains_ci(cache.subject(), s) || field(CachedField::Subject, s)
            }
            SearchKey::Header(name, s) => match CachedField::from_name(name) {
                Some(c) if s.is_empty() => {
                    // Presence test: the cache keeps absent as empty.
                    !cache.field(c).is_empty() || header_present(cx, m, name)
                }
                Some(c) => field(c, s),
                None => {
                    let head = (cx.read)(m, Part::Header);
                    HeaderLines::new(&head).any(|(n, v)| {
                        let v = crate::cache::unfold(v);
                        n.eq_ignore_ascii_case(name.as_bytes())
                            && (bytes_contain_ci(v.as_bytes(), s)
                                || (v.contains("=?") && contains_ci(&decode_text(name, &v), s)))
                    })
                }
            },
            SearchKey::Body(s) => {
                if !needs_decoding(cache.structure()) {
                    return bytes_contain_ci(&(cx.read)(m, Part::Body), s);
                }
                let raw = (cx.read)(m, Part::Whole);
                let body = raw.get(cache.header_len() as usize..).unwrap_or_default();
                bytes_contain_ci(body, s) || decoded_contains(&raw, s, true)
            }
            SearchKey::Text(s) => {
                let raw = (cx.read)(m, Part::Whole);
                let head = &raw[..(cache.header_len() as usize).min(raw.len())];
                bytes_contain_ci(&raw, s)
                    || ((needs_decoding(cache.structure())
                        || memchr::memmem::find(head, b"=?").is_some())
                        && decoded_contains(&raw, s, false))
            }
            SearchKey::Before(d) => day(m.internal_date()) < *d,
            SearchKey::On(d) => day(m.internal_date()) == *d,
            SearchKey::Since(d) => day(m.internal_date()) >= *d,
            SearchKey::SentBefore(d) => sent().is_some_and(|s| s < *d),
            SearchKey::SentOn(d) => sent() == Some(*d),
            SearchKey::SentSince(d) => sent().is_some_and(|s| s >= *d),
            SearchKey::SaveDateBefore(d) => day(m.save_date()) < *d,
            SearchKey::SaveDateOn(d) => day(m.save_date()) == *d,
            SearchKey::SaveDateSince(d) => day(m.save_date()) >= *d,
            SearchKey::SaveDateSupported => true,
            SearchKey::Older(s) => cx.now.saturating_sub(m.internal_date()) >= *s as i64,
            SearchKey::Younger(s) => cx.now.saturating_sub(m.internal_date()) <= *s as i64,
            SearchKey::Larger(n) => m.size() > *n,
            SearchKey::Smaller(n) => m.size() < *n,
            SearchKey::Uid(set) => in_set(set, m.uid(), cx.max_uid),
            SearchKey::Seq(set) => {
                (cx.seq_of)(m.uid()).is_some_and(|seq| in_set(set, seq, cx.max_seq))
            }
            SearchKey::ModSeq(n) => m.modseq() >= *n,
            SearchKey::Not(k) => !k.matches(m, cx),
            SearchKey::Or(a, b) => a.matches(m, cx) || b.matches(m, cx),
            SearchKey::And(ks) => ks.iter().all(|k| k.matches(m, cx)),
        }
    }
}

/// Whether the raw bytes of some part may hide text: it is base64 or
/// quoted-printable, or in a charset other than US-ASCII and UTF-8.
fn needs_decoding(p: &crate::structure::MimePart) -> bool {
    matches!(p.encoding.as_str(), "base64" | "quoted-printable")
        || p.param("charset").is_some_and(|c| {
            !c.eq_ignore_ascii_case("us-ascii") && !c.eq_ignore_ascii_case("utf-8")
        })
        || p.children.iter().any(needs_decoding)
}

/// A parser that decodes encoded words in every header field (the
/// default one leaves fields it does not know raw).
fn text_parser() -> mail_parser::MessageParser {
    mail_parser::MessageParser::new()
        .with_minimal_headers()
        .with_address_headers()
        .default_header_text()
}

/// A header field's text with encoded words decoded: display names and
/// addresses of address fields, the text of others.
fn decode_text(name: &str, raw: &str) -> String {
    let msg = format!("{name}: {raw}\r\n\r\n");
    let Some(parsed) = text_parser().parse_headers(msg.as_bytes()) else {
        return String::new();
    };
    let mut out = String::new();
    for h in parsed.headers() {
        header_text(h.value(), &mut out);
    }
    out
}

fn decode_field(c: CachedField, raw: &str) -> String {
    decode_text(crate::cache::field_name(c), raw)
}

fn header_text(v: &mail_parser::HeaderValue<'_>, out: &mut String) {
    use mail_parser::{Address, HeaderValue};
    let addr = |a: &mail_parser::Addr<'_>, out: &mut String| {
        if let Some(n) = &a.name {
            out.push_str(n);
            out.push(' ');
        }
        if let Some(e) = &a.address {
            out.push_str(e);
            out.push(' ');
        }
    };
    match v {
        HeaderValue::Text(t) => out.push_str(t),
        HeaderValue::TextList(l) => {
            for t in l {
                out.push_str(t);
                out.push(' ');
            }
        }
        HeaderValue::Address(Address::List(l)) => l.iter().for_each(|a| addr(a, out)),
        HeaderValue::Address(Address::Group(g)) => {
            for grp in g {
                if let Some(n) = &grp.name {
                    out.push_str(n);
                    out.push(' ');
                }
                grp.addresses.iter().for_each(|a| addr(a, out));
            }
        }
        _ => {}
    }
}

/// Whether the decoded text of a message contains `needle`: its text
/// parts (and attached messages, header and body) decoded to UTF-8, and
/// unless `body_only` its header fields with encoded words decoded.
fn decoded_contains(raw: &[u8], needle: &str, body_only: bool) -> bool {
    let Some(msg) = text_parser().parse(raw) else {
        return false;
    };
    message_contains(&msg, needle, body_only)
}

fn message_contains(msg: &mail_parser::Message<'_>, needle: &str, body_only: bool) -> bool {
    use mail_parser::PartType;
    if !body_only {
        let mut text = String::new();
        for h in msg.headers() {
            header_text(h.value(), &mut text);
            text.push('\n');
        }
        if contains_ci(&text, needle) {
            return true;
        }
    }
    msg.parts.iter().any(|p| match &p.body {
        PartType::Text(t) | PartType::Html(t) => contains_ci(t, needle),
        PartType::Message(inner) => message_contains(inner, needle, false),
        _ => false,
    })
}

fn header_present(cx: &Ctx<'_>, m: &Message, name: &str) -> bool {
    let head = (cx.read)(m, Part::Header);
    HeaderLines::new(&head).any(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
}

/// What to sort by (RFC 5256, plus DISPLAYFROM/DISPLAYTO of RFC 5957).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// INTERNALDATE.
    Arrival,
    /// First `Cc` mailbox.
    Cc,
    /// `Date` header, falling back to INTERNALDATE.
    Date,
    /// First `From` mailbox.
    From,
    /// Size.
    Size,
    /// Base subject.
    Subject,
    /// First `To` mailbox.
    To,
    /// `From` display name, else its address.
    DisplayFrom,
    /// `To` display name, else its address.
    DisplayTo,
}

/// One sort criterion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The criterion.
    pub by: SortBy,
    /// Descending instead of ascending.
    pub reverse: bool,
}

impl SortKey {
    /// Ascending by `by`.
    pub fn asc(by: SortBy) -> Self {
        SortKey { by, reverse: false }
    }
    /// Descending by `by`.
    pub fn desc(by: SortBy) -> Self {
        SortKey { by, reverse: true }
    }
}

/// The addr-mailbox (local part) of the first address, lower case.
fn first_mailbox(field: &str) -> String {
    let first = field.split(',').next().unwrap_or("");
    let addr = match (first.find('<'), first.find('>')) {
        (Some(a), Some(b)) if a < b => &first[a + 1..b],
        _ => first.trim(),
    };
    addr.split('@').next().unwrap_or("").trim().to_lowercase()
}

fn display_name(field: &str) -> String {
    let first = field.split(',').next().unwrap_or("");
    match first.find('<') {
        Some(a) if !first[..a].trim().is_empty() => {
            first[..a].trim().trim_matches('"').trim().to_lowercase()
        }
        _ => first_mailbox(field),
    }
}

/// The base subject of RFC 5256 section 2.1, simplified: leading
/// `re:`, `fw:`, `fwd:` and `[tag]` and trailing `(fwd)` are removed
/// repeatedly, white space is collapsed, case folded.
pub fn base_subject(subject: &str) -> String {
    let mut s: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    s = s.to_lowercase();
    loop {
        let before = s.len();
        while let Some(rest) = s.strip_suffix("(fwd)") {
            s = rest.trim_end().to_owned();
        }
        for p in ["re:", "fwd:", "fw:"] {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest.trim_start().to_owned();
            }
        }
        if s.starts_with('[')
            && let Some(end) = s.find(']')
            && end + 1 < s.len()
        {
            s = s[end + 1..].trim_start().to_owned();
        }
        if s.len() == before {
            return s;
        }
    }
}

/// One message's value for one sort criterion, computed once per SORT.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SortVal {
    Int(i64),
    Text(String),
}

/// The sort values of a message for `keys`.
pub(crate) fn sort_values(keys: &[SortKey], m: &Message) -> Vec<SortVal> {
    let c = m.cache();
    keys.iter()
        .map(|k| match k.by {
            SortBy::Arrival => SortVal::Int(m.internal_date()),
            SortBy::Size => SortVal::Int(m.size() as i64),
            SortBy::Date => SortVal::Int(c.sent_date().unwrap_or(m.internal_date())),
            SortBy::Subject => SortVal::Text(base_subject(c.subject())),
            SortBy::From => SortVal::Text(first_mailbox(c.field(CachedField::From))),
            SortBy::To => SortVal::Text(first_mailbox(c.field(CachedField::To))),
            SortBy::Cc => SortVal::Text(first_mailbox(c.field(CachedField::Cc))),
            SortBy::DisplayFrom => SortVal::Text(display(CachedField::From, c)),
            SortBy::DisplayTo => SortVal::Text(display(CachedField::To, c)),
        })
        .collect()
}

/// The display name of the first address (RFC 5957), with encoded
/// words decoded, else its address.
fn display(f: CachedField, c: &crate::cache::HeaderCache) -> String {
    let raw = c.field(f);
    if raw.contains("=?") {
        let msg = format!("{}: {raw}\r\n\r\n", crate::cache::field_name(f));
        if let Some(parsed) = text_parser().parse_headers(msg.as_bytes()) {
            let first = match f {
                CachedField::To => parsed.to(),
                _ => parsed.from(),
            }
            .and_then(|a| a.first());
            if let Some(a) = first {
                let name = a.name().or(a.address()).unwrap_or("");
                return name.trim().to_lowercase();
            }
        }
    }
    display_name(raw)
}

/// Compares two messages' sort values; ties keep mailbox (UID) order,
/// as RFC 5256 asks.
pub(crate) fn compare_values(
    keys: &[SortKey],
    a: &(Vec<SortVal>, Message),
    b: &(Vec<SortVal>, Message),
) -> Ordering {
    for (k, (x, y)) in keys.iter().zip(a.0.iter().zip(&b.0)) {
        let o = x.cmp(y);
        let o = if k.reverse { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.1.uid().cmp(&b.1.uid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        for (y, m, d, days) in [
            (1970, 1, 1, 0),
            (2000, 3, 1, 11_017),
            (1969, 12, 31, -1),
            (2024, 2, 29, 19_782),
        ] {
            assert_eq!(Date::from_ymd(y, m, d).unwrap().days, days);
            assert_eq!(civil_from_days(days), (y, m, d));
        }
        assert!(Date::from_ymd(2023, 2, 29).is_none());
        assert!(Date::from_ymd(2023, 13, 1).is_none());
        assert_eq!(Date::of_timestamp(-1).ymd(), (1969, 12, 31));
    }

    #[test]
    fn base_subjects() {
        for (raw, want) in [
            ("Re: Fwd: hello", "hello"),
            ("[list] Re:  the   thing (fwd)", "the thing"),
            ("RE: [x]", "[x]"),
            ("plain", "plain"),
        ] {
            assert_eq!(base_subject(raw), want, "{raw}");
        }
    }

    #[test]
    fn addresses() {
        assert_eq!(first_mailbox("Ann <Ann@x.org>, b@y"), "ann");
        assert_eq!(first_mailbox("bob@x.org"), "bob");
        assert_eq!(display_name("\"Zed Z\" <a@x>"), "zed z");
        assert_eq!(display_name("<a@x>"), "a");
    }

    #[test]
    fn case_insensitive_contains() {
        assert!(contains_ci("Hello World", "o w"));
        assert!(contains_ci("Grüße", "GRÜ"));
        assert!(!contains_ci("abc", "abd"));
        assert!(bytes_contain_ci(b"XyZ\xff", "yz"));
    }
}
