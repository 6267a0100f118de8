//! Header fields cached at append time, so that FETCH ENVELOPE, SEARCH
//! and SORT on common headers never reparse the message.

use crate::codec::{Dec, DecodeError, Enc};
use crate::structure::MimePart;

/// The header fields kept in the cache, in ENVELOPE order (RFC 3501
/// section 7.4.2) plus `Bcc` which SEARCH needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CachedField {
    /// `Date`.
    Date,
    /// `Subject`, raw (RFC 2047 words not decoded).
    Subject,
    /// `From`.
    From,
    /// `Sender`.
    Sender,
    /// `Reply-To`.
    ReplyTo,
    /// `To`.
    To,
    /// `Cc`.
    Cc,
    /// `Bcc`.
    Bcc,
    /// `In-Reply-To`.
    InReplyTo,
    /// `Message-ID`.
    MessageId,
}

const NAMES: [&str; 10] = [
    "date",
    "subject",
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "in-reply-to",
    "message-id",
];

/// The header name of a cached field, lower case.
pub(crate) fn field_name(f: CachedField) -> &'static str {
    NAMES[f as usize]
}

impl CachedField {
    /// The field for a header name, if it is cached.
    pub fn from_name(name: &str) -> Option<Self> {
        const ALL: [CachedField; 10] = [
            CachedField::Date,
            CachedField::Subject,
            CachedField::From,
            CachedField::Sender,
            CachedField::ReplyTo,
            CachedField::To,
            CachedField::Cc,
            CachedField::Bcc,
            CachedField::InReplyTo,
            CachedField::MessageId,
        ];
        NAMES
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .map(|i| ALL[i])
    }
}

/// Cached facts about one message, shared by all its copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderCache {
    header_len: u32,
    sent_date: Option<i64>,
    subject: String,
    fields: [String; 10],
    structure: MimePart,
}

impl HeaderCache {
    /// Builds the cache from a raw message.
    pub fn compute(raw: &[u8]) -> Self {
        let header_len = header_len(raw);
        let mut cache = HeaderCache {
            header_len: header_len as u32,
            structure: MimePart::parse(raw),
            ..Default::default()
        };
        let mut seen = [false; 10];
        for (name, value) in HeaderLines::new(&raw[..header_len]) {
            let Some(idx) = NAMES
                .iter()
                .position(|n| n.as_bytes().eq_ignore_ascii_case(name))
            else {
                continue;
            };
            if std::mem::replace(&mut seen[idx], true) {
                continue;
            }
            cache.fields[idx] = unfold(value);
        }
        let date = &cache.fields[CachedField::Date as usize];
        cache.sent_date = mail_parser::DateTime::parse_rfc822(date)
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp());
        let raw_subject = &cache.fields[CachedField::Subject as usize];
        cache.subject = if raw_subject.contains("=?") {
            decode_subject(raw_subject).unwrap_or_else(|| raw_subject.clone())
        } else {
            raw_subject.clone()
        };
        cache
    }

    /// Length of the header section including the blank line.
    pub fn header_len(&self) -> u32 {
        self.header_len
    }

    /// The `Date` header as a Unix timestamp, when it parses.
    pub fn sent_date(&self) -> Option<i64> {
        self.sent_date
    }

    /// The subject with RFC 2047 encoded words decoded.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// A cached field as unfolded raw text; empty when absent.
    pub fn field(&self, f: CachedField) -> &str {
        &self.fields[f as usize]
    }

    /// The MIME structure (BODYSTRUCTURE, section offsets).
    pub fn structure(&self) -> &MimePart {
        &self.structure
    }

    pub(crate) fn encode(&self, e: &mut Enc<'_>) {
        e.u32(self.header_len);
        match self.sent_date {
            Some(d) => {
                e.u8(1);
                e.i64(d);
            }
            None => e.u8(0),
        }
        e.str(&self.subject);
        for f in &self.fields {
            e.str(f);
        }
        self.structure.encode(e);
    }

    pub(crate) fn decode(d: &mut Dec<'_>) -> Result<Self, DecodeError> {
        let header_len = d.u32()?;
        let sent_date = match d.u8()? {
            0 => None,
            _ => Some(d.i64()?),
        };
        let subject = d.str()?;
        let mut fields: [String; 10] = Default::default();
        for f in &mut fields {
            *f = d.str()?;
        }
        let structure = MimePart::decode(d, 0)?;
        Ok(HeaderCache {
            header_len,
            sent_date,
            subject,
            fields,
            structure,
        })
    }
}

fn decode_subject(raw: &str) -> Option<String> {
    let msg = format!("Subject: {raw}\r\n\r\n");
    let parsed = mail_parser::MessageParser::new().parse_headers(msg.as_bytes())?;
    parsed.subject().map(str::to_owned)
}

/// Length of the header section, blank line included; the whole
/// message when there is no body.
pub(crate) fn header_len(raw: &[u8]) -> usize {
    if raw.starts_with(b"\r\n") {
        return 2;
    }
    if raw.starts_with(b"\n") {
        return 1;
    }
    let mut pos = 0;
    while let Some(nl) = memchr::memchr(b'\n', &raw[pos..]) {
        let next = pos + nl + 1;
        match raw.get(next..) {
            Some([b'\r', b'\n', ..]) => return next + 2,
            Some([b'\n', ..]) => return next + 1,
            _ => pos = next,
        }
    }
    raw.len()
}

/// Iterates `(name, raw value)` over a header section, with folded
/// continuation lines kept in the value.
pub(crate) struct HeaderLines<'a> {
    rest: &'a [u8],
}

impl<'a> HeaderLines<'a> {
    pub(crate) fn new(header: &'a [u8]) -> Self {
        HeaderLines { rest: header }
    }
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() || self.rest[0] == b'\n' || self.rest.starts_with(b"\r\n") {
                return None;
            }
            // The field runs until a newline not followed by WSP.
            let mut end = 0;
            loop {
                match memchr::memchr(b'\n', &self.rest[end..]) {
                    Some(nl) => {
                        end += nl + 1;
                        if !matches!(self.rest.get(end), Some(b' ' | b'\t')) {
                            break;
                        }
                    }
                    None => {
                        end = self.rest.len();
                        break;
                    }
                }
            }
            let field = &self.rest[..end];
            self.rest = &self.rest[end..];
            if let Some(colon) = memchr::memchr(b':', field) {
                let name = trim(&field[..colon]);
                return Some((name, &field[colon + 1..]));
            }
            // A line without a colon is not a field; skip it.
        }
    }
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// Removes line breaks of folding and surrounding white space.
pub(crate) fn unfold(value: &[u8]) -> String {
    let mut out = Vec::with_capacity(value.len());
    for &b in trim(value) {
        if b != b'\r' && b != b'\n' {
            out.push(b);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_dates_and_folding() {
        let raw = b"From: Ann <ann@example.org>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n \
                    time\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\nTo: b@example.org\r\n\
                    X-Other: 1\r\nFrom: second@example.org\r\n\r\nbody\r\n";
        let c = HeaderCache::compute(raw);
        assert_eq!(c.field(CachedField::From), "Ann <ann@example.org>");
        assert_eq!(c.field(CachedField::To), "b@example.org");
        assert_eq!(c.subject(), "café time");
        assert_eq!(c.sent_date(), Some(1_057_049_557));
        assert_eq!(c.header_len() as usize, raw.len() - 6);
    }

    #[test]
    fn header_len_edge_cases() {
        assert_eq!(header_len(b""), 0);
        assert_eq!(header_len(b"\r\nbody"), 2);
        assert_eq!(header_len(b"A: b\n\nc"), 6);
        assert_eq!(header_len(b"A: b\r\n"), 6);
        assert_eq!(header_len(b"A: b"), 4);
    }

    #[test]
    fn codec_round_trip() {
        let c = HeaderCache::compute(b"Subject: x\r\nDate: nonsense\r\n\r\n");
        assert_eq!(c.sent_date(), None);
        let mut buf = Vec::new();
        c.encode(&mut Enc(&mut buf));
        assert_eq!(HeaderCache::decode(&mut Dec::new(&buf)).unwrap(), c);
    }
}
