//! FETCH data computed from a message parsed with `mail-parser`:
//! ENVELOPE, BODYSTRUCTURE, `BODY[section]<partial>` contents and the
//! decoded `BINARY[part]` contents and sizes (RFC 3516).
//!
//! Everything borrows from the parsed message where it can; sizes and
//! line counts are taken from the raw bytes, as IMAP requires. Display
//! names, which `mail-parser` hands out decoded, go back on the wire as
//! RFC 2047 encoded words when they are not ASCII, so that clients see
//! what the header said whichever UTF-8 mode they are in.
//!
//! ```
//! use mail_parser::MessageParser;
//! use rampart_imap_proto::fetch;
//! use rampart_imap_proto::response::{BodyKind, SingleExtra};
//!
//! let raw = b"From: Ann <ann@example.org>\r\nSubject: hi\r\n\r\nline 1\r\nline 2\r\n";
//! let msg = MessageParser::default().parse(raw).unwrap();
//! let env = fetch::envelope(&msg);
//! assert_eq!(env.subject.as_deref(), Some(&b"hi"[..]));
//! assert_eq!(env.from[0].host.as_deref(), Some(&b"example.org"[..]));
//! let body = fetch::body_structure(&msg);
//! let BodyKind::Single { fields, extra, .. } = &body.kind else { panic!() };
//! assert_eq!(fields.size, 16);
//! assert_eq!(*extra, SingleExtra::Text { lines: 2 });
//! ```

use std::borrow::Cow;

use mail_parser::{Address as MpAddress, HeaderName, HeaderValue, Message, MessagePart, PartType};

use crate::response::{
    Address, BodyExt, BodyFields, BodyKind, BodyStructure, Envelope, Param, SingleExtra,
};
use crate::types::{Section, SectionText};

/// The deepest MIME nesting walked; deeper parts are reported as
/// opaque `APPLICATION/OCTET-STREAM`.
const MAX_NESTING: usize = 32;

fn raw_of(raw: &[u8], from: u32, to: u32) -> &[u8] {
    let (a, b) = (from as usize, to as usize);
    raw.get(a.min(b)..b.min(raw.len())).unwrap_or_default()
}

/// The raw value of the first such header field (as envelopes take
/// it), unfolded and trimmed.
fn raw_value<'m>(
    raw: &'m [u8],
    part: &MessagePart<'_>,
    name: HeaderName<'_>,
) -> Option<Cow<'m, [u8]>> {
    let h = part.headers.iter().find(|h| h.name == name)?;
    unfold(raw, h)
}

/// The raw value of the last such header field: for the MIME fields,
/// the one mail-parser goes by when it splits the message into parts.
fn mime_value<'m>(
    raw: &'m [u8],
    part: &MessagePart<'_>,
    name: HeaderName<'_>,
) -> Option<Cow<'m, [u8]>> {
    let h = part.headers.iter().rev().find(|h| h.name == name)?;
    unfold(raw, h)
}

/// The last header field called `name`, with its parsed value.
fn mime_header<'p, 'x>(
    part: &'p MessagePart<'x>,
    name: &HeaderName<'_>,
) -> Option<&'p HeaderValue<'x>> {
    part.headers
        .iter()
        .rev()
        .find(|h| &h.name == name)
        .map(|h| &h.value)
}

fn unfold<'m>(raw: &'m [u8], h: &mail_parser::Header<'_>) -> Option<Cow<'m, [u8]>> {
    let v = raw_of(raw, h.offset_start, h.offset_end).trim_ascii();
    if v.is_empty() {
        return None;
    }
    if v.contains(&b'\n') {
        let mut out = Vec::with_capacity(v.len());
        for &b in v {
            if b != b'\r' && b != b'\n' {
                out.push(b);
            }
        }
        Some(Cow::Owned(out))
    } else {
        Some(Cow::Borrowed(v))
    }
}

fn addresses<'m>(part: &'m MessagePart<'_>, name: HeaderName<'_>) -> Vec<Address<'m>> {
    let Some(HeaderValue::Address(a)) = part
        .headers
        .iter()
        .find(|h| h.name == name)
        .map(|h| &h.value)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let one = |out: &mut Vec<Address<'m>>, addr: &'m mail_parser::Addr<'_>| {
        let (mailbox, host) = match addr.address.as_deref() {
            Some(a) => match a.rsplit_once('@') {
                Some((l, d)) => (Some(l), Some(d)),
                None => (Some(a), None),
            },
            None => (None, None),
        };
        // An address without a domain is reported with an empty host,
        // a missing host marking group syntax.
        out.push(Address {
            name: addr.name.as_deref().map(phrase),
            adl: None,
            mailbox: mailbox.map(|m| Cow::Borrowed(m.as_bytes())),
            host: Some(Cow::Borrowed(host.unwrap_or("").as_bytes())),
        });
    };
    match a {
        MpAddress::List(list) => list.iter().for_each(|addr| one(&mut out, addr)),
        MpAddress::Group(groups) => {
            for g in groups {
                match &g.name {
                    Some(name) => {
                        out.push(Address {
                            mailbox: Some(phrase(name)),
                            ..Address::default()
                        });
                        g.addresses.iter().for_each(|addr| one(&mut out, addr));
                        out.push(Address::default());
                    }
                    None => g.addresses.iter().for_each(|addr| one(&mut out, addr)),
                }
            }
        }
    }
    out
}

/// A display name as it goes into an envelope: as it is when ASCII,
/// otherwise as RFC 2047 `B` encoded words of at most 75 characters.
fn phrase(name: &str) -> Cow<'_, [u8]> {
    if name.is_ascii() {
        return Cow::Borrowed(name.as_bytes());
    }
    let mut out = Vec::with_capacity(name.len() * 2);
    let mut rest = name;
    while !rest.is_empty() {
        // 45 bytes of UTF-8 make 60 base64 characters, 72 with the
        // "=?utf-8?b?" and "?=" around them.
        let mut cut = rest.len().min(45);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(b"=?utf-8?b?");
        base64_encode(&rest.as_bytes()[..cut], &mut out);
        out.extend_from_slice(b"?=");
        rest = &rest[cut..];
    }
    Cow::Owned(out)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(data: &[u8], out: &mut Vec<u8>) {
    for chunk in data.chunks(3) {
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((v >> (18 - 6 * i)) & 63) as usize]);
            } else {
                out.push(b'=');
            }
        }
    }
}

/// Decodes base64 as found in message bodies: line breaks and other
/// characters outside the alphabet are skipped, decoding stops at `=`.
fn base64_decode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let (mut bits, mut n) = (0u32, 0u32);
    for &c in data {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => continue,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

/// Decodes quoted-printable (RFC 2045 section 6.7): `=XX`, soft line
/// breaks, and trailing blanks (transport padding) removed from lines.
fn qp_decode(data: &[u8]) -> Vec<u8> {
    fn hex(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let mut out = Vec::with_capacity(data.len());
    for line in data.split_inclusive(|&b| b == b'\n') {
        let (body, eol): (&[u8], &[u8]) = match line.strip_suffix(b"\r\n") {
            Some(b) => (b, b"\r\n"),
            None => match line.strip_suffix(b"\n") {
                Some(b) => (b, b"\n"),
                None => (line, b""),
            },
        };
        let body = match body.iter().rposition(|&b| b != b' ' && b != b'\t') {
            Some(i) => &body[..=i],
            None => &[],
        };
        let mut i = 0;
        let mut soft = false;
        while i < body.len() {
            if body[i] != b'=' {
                out.push(body[i]);
                i += 1;
            } else if i + 1 == body.len() {
                soft = true;
                i += 1;
            } else if let (Some(h), Some(l)) =
                (hex(body[i + 1]), body.get(i + 2).and_then(|&c| hex(c)))
            {
                out.push(h << 4 | l);
                i += 3;
            } else {
                // A stray "=": kept as it is (RFC 2045 robustness).
                out.push(b'=');
                i += 1;
            }
        }
        if !soft {
            out.extend_from_slice(eol);
        }
    }
    out
}

fn envelope_of<'m>(raw: &'m [u8], part: &'m MessagePart<'_>) -> Envelope<'m> {
    let from = addresses(part, HeaderName::From);
    let sender = addresses(part, HeaderName::Sender);
    let reply_to = addresses(part, HeaderName::ReplyTo);
    Envelope {
        date: raw_value(raw, part, HeaderName::Date),
        subject: raw_value(raw, part, HeaderName::Subject),
        sender: if sender.is_empty() {
            from.clone()
        } else {
            sender
        },
        reply_to: if reply_to.is_empty() {
            from.clone()
        } else {
            reply_to
        },
        from,
        to: addresses(part, HeaderName::To),
        cc: addresses(part, HeaderName::Cc),
        bcc: addresses(part, HeaderName::Bcc),
        in_reply_to: raw_value(raw, part, HeaderName::InReplyTo),
        message_id: raw_value(raw, part, HeaderName::MessageId),
    }
}

/// The ENVELOPE of a message.
pub fn envelope<'m>(msg: &'m Message<'_>) -> Envelope<'m> {
    match msg.parts.first() {
        Some(root) => envelope_of(&msg.raw_message, root),
        None => Envelope::default(),
    }
}

/// The BODYSTRUCTURE of a message (with extension data; encode it as
/// `BODY` to leave the extensions out).
pub fn body_structure<'m>(msg: &'m Message<'_>) -> BodyStructure<'m> {
    structure_of(msg, 0, 0)
}

fn str_bytes<'m>(s: &'m str) -> Cow<'m, [u8]> {
    Cow::Borrowed(s.as_bytes())
}

fn structure_of<'m>(msg: &'m Message<'_>, id: usize, depth: usize) -> BodyStructure<'m> {
    let raw: &[u8] = &msg.raw_message;
    let Some(part) = msg.parts.get(id) else {
        return opaque(0);
    };
    if depth > MAX_NESTING {
        return opaque(u64::from(part.offset_end.saturating_sub(part.offset_body)));
    }
    let ct = match mime_header(part, &HeaderName::ContentType) {
        Some(HeaderValue::ContentType(ct)) => Some(ct),
        _ => None,
    };
    let params: Vec<Param<'m>> = ct
        .and_then(|ct| ct.attributes.as_ref())
        .map(|a| {
            a.iter()
                .map(|a| (str_bytes(&a.name), str_bytes(&a.value)))
                .collect()
        })
        .unwrap_or_default();
    let disposition = match mime_header(part, &HeaderName::ContentDisposition) {
        Some(HeaderValue::ContentType(d)) => Some(d),
        _ => None,
    };
    let language: Vec<Cow<'m, [u8]>> = match mime_header(part, &HeaderName::ContentLanguage) {
        Some(HeaderValue::Text(t)) => vec![str_bytes(t)],
        Some(HeaderValue::TextList(l)) => l.iter().map(|t| str_bytes(t)).collect(),
        _ => Vec::new(),
    };
    let mut ext = BodyExt {
        md5: mime_value(raw, part, HeaderName::Other("Content-MD5".into())),
        params: Vec::new(),
        disposition: disposition.map(|d| {
            let p = d
                .attributes
                .as_ref()
                .map(|a| {
                    a.iter()
                        .map(|a| (str_bytes(&a.name), str_bytes(&a.value)))
                        .collect()
                })
                .unwrap_or_default();
            (str_bytes(&d.c_type), p)
        }),
        language,
        location: mime_value(raw, part, HeaderName::ContentLocation),
    };
    if let PartType::Multipart(children) = &part.body {
        ext.md5 = None;
        ext.params = params;
        let subtype = ct.and_then(|ct| ct.c_subtype.as_deref()).unwrap_or("mixed");
        let mut parts: Vec<_> = children
            .iter()
            .map(|&c| structure_of(msg, c as usize, depth + 1))
            .collect();
        // The grammar wants at least one part (`1*body`); a multipart
        // without any gets an empty text part, as other servers do.
        if parts.is_empty() {
            parts.push(empty_text());
        }
        return BodyStructure {
            kind: BodyKind::Multi {
                parts,
                subtype: str_bytes(subtype),
            },
            ext: Some(ext),
        };
    }
    let body = raw_of(raw, part.offset_body, part.offset_end);
    // Lines as a reader counts them: a last line without LF counts too.
    let lines = memchr::memchr_iter(b'\n', body).count() as u64
        + u64::from(!body.is_empty() && !body.ends_with(b"\n"));
    let (media_type, subtype, params) = match ct {
        Some(ct) => (
            str_bytes(&ct.c_type),
            str_bytes(
                ct.c_subtype
                    .as_deref()
                    .unwrap_or(default_subtype(&ct.c_type)),
            ),
            params,
        ),
        None if matches!(part.body, PartType::Message(_)) => {
            (str_bytes("message"), str_bytes("rfc822"), params)
        }
        None => (
            str_bytes("text"),
            str_bytes("plain"),
            vec![(str_bytes("charset"), str_bytes("us-ascii"))],
        ),
    };
    let fields = BodyFields {
        params,
        id: mime_value(raw, part, HeaderName::ContentId),
        description: mime_value(raw, part, HeaderName::ContentDescription),
        encoding: mime_value(raw, part, HeaderName::ContentTransferEncoding)
            .unwrap_or(Cow::Borrowed(b"7BIT")),
        size: body.len() as u64,
    };
    let is_message = media_type.eq_ignore_ascii_case(b"message")
        && (subtype.eq_ignore_ascii_case(b"rfc822") || subtype.eq_ignore_ascii_case(b"global"));
    let extra = match &part.body {
        // Only MESSAGE/RFC822 and MESSAGE/GLOBAL carry the enclosed
        // message in the grammar; other message types are basic parts
        // whatever mail-parser made of their content.
        PartType::Message(inner) if is_message => SingleExtra::Message {
            envelope: Box::new(envelope(inner)),
            body: Box::new(structure_of(inner, 0, depth + 1)),
            lines,
        },
        // The grammar wants an envelope and a structure after every
        // MESSAGE/RFC822 part; when mail-parser could not read the
        // enclosed message, an empty one stands in.
        _ if is_message => SingleExtra::Message {
            envelope: Box::default(),
            body: Box::new(empty_text()),
            lines,
        },
        _ if media_type.eq_ignore_ascii_case(b"text") => SingleExtra::Text { lines },
        _ => SingleExtra::Basic,
    };
    BodyStructure {
        kind: BodyKind::Single {
            media_type,
            subtype,
            fields,
            extra,
        },
        ext: Some(ext),
    }
}

fn default_subtype(t: &str) -> &'static str {
    if t.eq_ignore_ascii_case("text") {
        "plain"
    } else {
        "octet-stream"
    }
}

fn empty_text() -> BodyStructure<'static> {
    BodyStructure {
        kind: BodyKind::Single {
            media_type: Cow::Borrowed(b"text"),
            subtype: Cow::Borrowed(b"plain"),
            fields: BodyFields {
                encoding: Cow::Borrowed(b"7BIT"),
                ..BodyFields::default()
            },
            extra: SingleExtra::Text { lines: 0 },
        },
        ext: None,
    }
}

fn opaque(size: u64) -> BodyStructure<'static> {
    BodyStructure {
        kind: BodyKind::Single {
            media_type: Cow::Borrowed(b"application"),
            subtype: Cow::Borrowed(b"octet-stream"),
            fields: BodyFields {
                encoding: Cow::Borrowed(b"7BIT"),
                size,
                ..BodyFields::default()
            },
            extra: SingleExtra::Basic,
        },
        ext: None,
    }
}

/// Finds the part named by `path` (`[]` is the whole message): returns
/// the message holding it and the part index in that message.
fn locate<'m, 'x>(mut msg: &'m Message<'x>, path: &[u32]) -> Option<(&'m Message<'x>, usize)> {
    let mut id = 0usize;
    for (i, &n) in path.iter().enumerate() {
        if i > 0 {
            // Descending below an encapsulated message: its root.
            if let PartType::Message(inner) = &msg.parts.get(id)?.body {
                msg = inner;
                id = 0;
            }
        }
        match &msg.parts.get(id)?.body {
            PartType::Multipart(children) => id = *children.get(n as usize - 1)? as usize,
            _ if n == 1 => {}
            _ => return None,
        }
    }
    Some((msg, id))
}

/// The bytes of `BODY[section]` (before any partial range), or `None`
/// when the section does not exist (send NIL or an empty string).
pub fn section<'m>(msg: &'m Message<'_>, section: &Section<'_>) -> Option<Cow<'m, [u8]>> {
    let (m, id) = locate(msg, &section.part)?;
    let part = m.parts.get(id)?;
    let raw: &[u8] = &m.raw_message;
    // HEADER and TEXT of a numbered part apply to the message it encloses.
    let enclosed = |t: &SectionText<'_>| -> Option<(&'m Message<'_>, &'m MessagePart<'_>)> {
        if section.part.is_empty() || matches!(t, SectionText::Mime) {
            return Some((m, part));
        }
        match &part.body {
            PartType::Message(inner) => Some((inner, inner.parts.first()?)),
            _ => None,
        }
    };
    let Some(text) = &section.text else {
        if section.part.is_empty() {
            return Some(Cow::Borrowed(m.raw_message()));
        }
        return Some(Cow::Borrowed(raw_of(
            raw,
            part.offset_body,
            part.offset_end,
        )));
    };
    let (m, p) = enclosed(text)?;
    let raw: &[u8] = &m.raw_message;
    Some(match text {
        SectionText::Header | SectionText::Mime => {
            Cow::Borrowed(raw_of(raw, p.offset_header, p.offset_body))
        }
        SectionText::Text => Cow::Borrowed(raw_of(raw, p.offset_body, p.offset_end)),
        SectionText::HeaderFields(names) | SectionText::HeaderFieldsNot(names) => {
            let not = matches!(text, SectionText::HeaderFieldsNot(_));
            let mut out = Vec::new();
            for h in &p.headers {
                let listed = names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(h.name.as_str().as_bytes()));
                if listed != not {
                    let line = raw_of(raw, h.offset_field, h.offset_end);
                    out.extend_from_slice(line);
                    if !line.ends_with(b"\n") {
                        out.extend_from_slice(b"\r\n");
                    }
                }
            }
            out.extend_from_slice(b"\r\n");
            Cow::Owned(out)
        }
    })
}

/// Why `BINARY[part]` cannot be served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BinaryError {
    /// The part does not exist (reply `NO`).
    #[error("no such body part")]
    NoSuchPart,
    /// The part's Content-Transfer-Encoding is not one this crate
    /// decodes (reply `NO [UNKNOWN-CTE]`, RFC 3516).
    #[error("unknown content transfer encoding {0:?}")]
    UnknownCte(String),
}

/// The content of `BINARY[part]`: the part's body with its
/// Content-Transfer-Encoding (base64, quoted-printable, or an identity
/// encoding) removed. `[]` is the whole message, which has no encoding
/// of its own. Borrows unless decoding was needed.
///
/// # Errors
///
/// [`BinaryError::NoSuchPart`] for a part that is not there,
/// [`BinaryError::UnknownCte`] for an encoding other than 7bit, 8bit,
/// binary, base64 and quoted-printable.
///
/// ```
/// use mail_parser::MessageParser;
/// use rampart_imap_proto::fetch;
/// let raw = b"Content-Transfer-Encoding: base64\r\n\r\naGk=\r\n";
/// let msg = MessageParser::default().parse(raw).unwrap();
/// assert_eq!(fetch::binary(&msg, &[1]).unwrap().as_ref(), b"hi");
/// assert_eq!(fetch::binary_size(&msg, &[1]).unwrap(), 2);
/// ```
pub fn binary<'m>(msg: &'m Message<'_>, part: &[u32]) -> Result<Cow<'m, [u8]>, BinaryError> {
    if part.is_empty() {
        return Ok(Cow::Borrowed(msg.raw_message()));
    }
    let (m, id) = locate(msg, part).ok_or(BinaryError::NoSuchPart)?;
    let p = m.parts.get(id).ok_or(BinaryError::NoSuchPart)?;
    let raw: &[u8] = &m.raw_message;
    let body = raw_of(raw, p.offset_body, p.offset_end);
    let cte = mime_value(raw, p, HeaderName::ContentTransferEncoding);
    let cte = cte.as_deref().unwrap_or(b"7bit");
    if [&b"7bit"[..], b"8bit", b"binary"]
        .iter()
        .any(|e| cte.eq_ignore_ascii_case(e))
    {
        Ok(Cow::Borrowed(body))
    } else if cte.eq_ignore_ascii_case(b"base64") {
        Ok(Cow::Owned(base64_decode(body)))
    } else if cte.eq_ignore_ascii_case(b"quoted-printable") {
        Ok(Cow::Owned(qp_decode(body)))
    } else {
        Err(BinaryError::UnknownCte(
            String::from_utf8_lossy(cte).into_owned(),
        ))
    }
}

/// The size of `BINARY[part]` once decoded (`BINARY.SIZE[part]`).
///
/// # Errors
///
/// As [`binary`].
pub fn binary_size(msg: &Message<'_>, part: &[u32]) -> Result<u64, BinaryError> {
    binary(msg, part).map(|b| b.len() as u64)
}

/// Applies a `<origin.length>` partial range: the bytes from `origin`,
/// at most `length` of them (empty when `origin` is past the end).
pub fn partial(data: &[u8], origin: u64, length: u64) -> &[u8] {
    let start = usize::try_from(origin)
        .unwrap_or(usize::MAX)
        .min(data.len());
    let len = usize::try_from(length).unwrap_or(usize::MAX);
    &data[start..start.saturating_add(len).min(data.len())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::{FetchValue, ResponseOptions};
    use mail_parser::MessageParser;

    pub(super) const MIXED: &[u8] = b"From: \"Ann Example\" <ann@example.org>\r\n\
To: bob@example.net, Team: carl@example.com;\r\n\
Subject: =?utf-8?q?caf=C3=A9?=\r\n\x20 folded\r\n\
Message-ID: <1@example.org>\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
preamble\r\n\
--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
hello\r\n\
world\r\n\
--b1\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
Subject: inner\r\n\
\r\n\
inner body\r\n\
--b1--\r\n";

    #[test]
    fn envelope_of_mixed() {
        let msg = MessageParser::default().parse(MIXED).unwrap();
        let env = envelope(&msg);
        assert_eq!(
            env.subject.as_deref(),
            Some(&b"=?utf-8?q?caf=C3=A9?=  folded"[..])
        );
        assert_eq!(env.from.len(), 1);
        assert_eq!(env.from[0].name.as_deref(), Some(&b"Ann Example"[..]));
        assert_eq!(env.sender, env.from);
        // bob, group start, carl, group end
        assert_eq!(env.to.len(), 4, "{:?}", env.to);
        assert_eq!(env.to[1].mailbox.as_deref(), Some(&b"Team"[..]));
        assert_eq!(env.to[1].host, None);
        assert_eq!(env.to[3], Address::default());
        assert_eq!(env.message_id.as_deref(), Some(&b"<1@example.org>"[..]));
    }

    #[test]
    fn binary_decoding() {
        const RAW: &[u8] = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\n\
Content-Transfer-Encoding: base64\r\n\r\n\
AAEC/w==\r\n\
--b\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: Quoted-Printable\r\n\r\n\
caf=C3=A9 =\r\nau lait  \r\nx=3Dy\r\n\
--b\r\n\
Content-Transfer-Encoding: x-uuencode\r\n\r\n\
begin\r\n\
--b--\r\n";
        let msg = MessageParser::default().parse(RAW).unwrap();
        assert_eq!(binary(&msg, &[1]).unwrap().as_ref(), b"\0\x01\x02\xff");
        assert_eq!(
            binary(&msg, &[2]).unwrap().as_ref(),
            "café au lait\r\nx=y".as_bytes()
        );
        assert_eq!(binary_size(&msg, &[2]).unwrap(), 18);
        assert_eq!(
            binary(&msg, &[3]),
            Err(BinaryError::UnknownCte("x-uuencode".into()))
        );
        assert_eq!(binary(&msg, &[]).unwrap().as_ref(), RAW);
        assert_eq!(base64_decode(b"aGVs\r\nbG8="), b"hello");
        let mut enc = Vec::new();
        base64_encode(b"hello", &mut enc);
        assert_eq!(enc, b"aGVsbG8=");
    }

    #[test]
    fn display_names_stay_ascii() {
        let raw = "From: =?utf-8?q?Ren=C3=A9e?= <renee@example.org>\r\n\
To: \"Plain Name\" <p@example.org>\r\n\r\nhi\r\n";
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let env = envelope(&msg);
        assert_eq!(
            env.from[0].name.as_deref(),
            Some(&b"=?utf-8?b?UmVuw6ll?="[..])
        );
        assert_eq!(env.to[0].name.as_deref(), Some(&b"Plain Name"[..]));
        // Long names are split into words of at most 75 characters.
        let long = "é".repeat(60);
        let p = phrase(&long);
        let words: Vec<&[u8]> = p.split(|&b| b == b' ').collect();
        assert!(words.len() > 1);
        assert!(
            words
                .iter()
                .all(|w| w.len() <= 75 && w.starts_with(b"=?utf-8?b?"))
        );
    }

    #[test]
    fn odd_message_subtype_is_a_basic_part() {
        // Found by the imap_response fuzz target: two Content-Type
        // fields, the last one (which mail-parser follows) message/rfc822.
        let raw = b"Content-Type: message/x-odd\r\nContent-Type: message/rfc822\r\n\r\n\
Subject: inner\r\n\r\nbody\r\n";
        let msg = MessageParser::default().parse(&raw[..]).unwrap();
        let BodyKind::Single { subtype, extra, .. } = body_structure(&msg).kind else {
            panic!()
        };
        assert_eq!(&subtype[..], b"rfc822");
        assert!(matches!(extra, SingleExtra::Message { .. }));
        // A message type other than RFC822 and GLOBAL is a basic part.
        let raw = b"Content-Type: message/x-odd\r\n\r\nSubject: inner\r\n\r\nbody\r\n";
        let msg = MessageParser::default().parse(&raw[..]).unwrap();
        let b = body_structure(&msg);
        let BodyKind::Single { extra, .. } = &b.kind else {
            panic!()
        };
        assert_eq!(*extra, SingleExtra::Basic);
        let r = crate::response::Response::Data(crate::response::Data::Fetch {
            seq: 1,
            items: vec![FetchValue::BodyStructure(Box::new(b))],
        });
        let wire = r.encode(ResponseOptions::default());
        assert_eq!(crate::response::parse_response(&wire).unwrap(), r);
    }

    #[test]
    fn empty_multipart_keeps_the_grammar() {
        // Found by the imap_response fuzz target: no part at all.
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\nx\r\n--b\r\nContent-Tr";
        let msg = MessageParser::default().parse(&raw[..]).unwrap();
        assert!(matches!(&msg.parts[0].body, PartType::Multipart(c) if c.is_empty()));
        let b = body_structure(&msg);
        let BodyKind::Multi { parts, .. } = &b.kind else {
            panic!()
        };
        assert_eq!(parts, &[empty_text()]);
        let r = crate::response::Response::Data(crate::response::Data::Fetch {
            seq: 1,
            items: vec![FetchValue::BodyStructure(Box::new(b))],
        });
        let wire = r.encode(ResponseOptions::default());
        assert_eq!(crate::response::parse_response(&wire).unwrap(), r);
    }

    #[test]
    fn unparsed_enclosed_message_keeps_the_grammar() {
        // message/rfc822 with nothing mail-parser can read inside.
        let raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\n\r\n--b--\r\n";
        let msg = MessageParser::default().parse(&raw[..]).unwrap();
        let b = body_structure(&msg);
        let r = crate::response::Response::Data(crate::response::Data::Fetch {
            seq: 1,
            items: vec![FetchValue::BodyStructure(Box::new(b))],
        });
        let wire = r.encode(ResponseOptions::default());
        let back = crate::response::parse_response(&wire).unwrap();
        assert_eq!(back, r, "{}", String::from_utf8_lossy(&wire));
        let BodyKind::Multi { parts, .. } = &match back {
            crate::response::Response::Data(crate::response::Data::Fetch { mut items, .. }) => {
                match items.remove(0) {
                    FetchValue::BodyStructure(b) => *b,
                    _ => panic!(),
                }
            }
            _ => panic!(),
        }
        .kind
        else {
            panic!()
        };
        let BodyKind::Single { extra, .. } = &parts[0].kind else {
            panic!()
        };
        assert!(matches!(extra, SingleExtra::Message { .. }), "{extra:?}");
    }

    #[test]
    fn structure_and_sections() {
        let msg = MessageParser::default().parse(MIXED).unwrap();
        let b = body_structure(&msg);
        let v = FetchValue::BodyStructure(Box::new(b));
        let r = crate::response::Response::Data(crate::response::Data::Fetch {
            seq: 1,
            items: vec![v],
        });
        let wire = r.encode(ResponseOptions::default());
        let s = String::from_utf8(wire.clone()).unwrap();
        assert!(s.starts_with("* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 12 2"), "{s}");
        assert!(s.contains("\"message\" \"rfc822\""), "{s}");
        assert!(s.contains("\"mixed\" (\"boundary\" \"b1\")"), "{s}");
        assert_eq!(crate::response::parse_response(&wire).unwrap(), r);

        let sec = |p: Vec<u32>, t: Option<SectionText<'static>>| {
            section(&msg, &Section { part: p, text: t }).map(|c| c.into_owned())
        };
        assert_eq!(sec(vec![1], None).unwrap(), b"hello\r\nworld");
        assert_eq!(sec(vec![2, 1], None).unwrap(), b"inner body");
        assert_eq!(
            sec(vec![2], Some(SectionText::Header)).unwrap(),
            b"Subject: inner\r\n\r\n"
        );
        assert_eq!(
            sec(vec![2], Some(SectionText::Text)).unwrap(),
            b"inner body"
        );
        assert_eq!(
            sec(vec![1], Some(SectionText::Mime)).unwrap(),
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        );
        assert_eq!(
            sec(
                vec![],
                Some(SectionText::HeaderFields(vec![Cow::Borrowed(
                    b"message-id"
                )]))
            )
            .unwrap(),
            b"Message-ID: <1@example.org>\r\n\r\n"
        );
        assert!(sec(vec![3], None).is_none());
        assert!(sec(vec![1], Some(SectionText::Text)).is_none());
        assert_eq!(binary(&msg, &[1]).unwrap().as_ref(), b"hello\r\nworld");
        assert_eq!(binary(&msg, &[3]), Err(BinaryError::NoSuchPart));
        assert_eq!(partial(b"abcdef", 2, 3), b"cde");
        assert_eq!(partial(b"abcdef", 10, 3), b"");
        assert_eq!(partial(b"abcdef", 4, u64::MAX), b"ef");
    }
}
