//! FETCH data computed from a message parsed with `mail-parser`:
//! ENVELOPE, BODYSTRUCTURE and `BODY[section]<partial>` contents.
//!
//! Everything borrows from the parsed message; sizes and line counts are
//! taken from the raw bytes, as IMAP requires.
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

/// The raw value of a header field, unfolded and trimmed.
fn raw_value<'m>(
    raw: &'m [u8],
    part: &MessagePart<'_>,
    name: HeaderName<'_>,
) -> Option<Cow<'m, [u8]>> {
    let h = part.headers.iter().find(|h| h.name == name)?;
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
            name: addr.name.as_deref().map(|n| Cow::Borrowed(n.as_bytes())),
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
                            mailbox: Some(Cow::Borrowed(name.as_bytes())),
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
    let ct = part.headers.iter().find_map(|h| match (&h.name, &h.value) {
        (HeaderName::ContentType, HeaderValue::ContentType(ct)) => Some(ct),
        _ => None,
    });
    let params: Vec<Param<'m>> = ct
        .and_then(|ct| ct.attributes.as_ref())
        .map(|a| {
            a.iter()
                .map(|a| (str_bytes(&a.name), str_bytes(&a.value)))
                .collect()
        })
        .unwrap_or_default();
    let disposition = part.headers.iter().find_map(|h| match (&h.name, &h.value) {
        (HeaderName::ContentDisposition, HeaderValue::ContentType(d)) => Some(d),
        _ => None,
    });
    let language: Vec<Cow<'m, [u8]>> = match part
        .headers
        .iter()
        .find(|h| h.name == HeaderName::ContentLanguage)
        .map(|h| &h.value)
    {
        Some(HeaderValue::Text(t)) => vec![str_bytes(t)],
        Some(HeaderValue::TextList(l)) => l.iter().map(|t| str_bytes(t)).collect(),
        _ => Vec::new(),
    };
    let mut ext = BodyExt {
        md5: raw_value(raw, part, HeaderName::Other("Content-MD5".into())),
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
        location: raw_value(raw, part, HeaderName::ContentLocation),
    };
    if let PartType::Multipart(children) = &part.body {
        ext.md5 = None;
        ext.params = params;
        let subtype = ct.and_then(|ct| ct.c_subtype.as_deref()).unwrap_or("mixed");
        let parts = children
            .iter()
            .map(|&c| structure_of(msg, c as usize, depth + 1))
            .collect();
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
        id: raw_value(raw, part, HeaderName::ContentId),
        description: raw_value(raw, part, HeaderName::ContentDescription),
        encoding: raw_value(raw, part, HeaderName::ContentTransferEncoding)
            .unwrap_or(Cow::Borrowed(b"7BIT")),
        size: body.len() as u64,
    };
    let extra = match &part.body {
        PartType::Message(inner) if media_type.eq_ignore_ascii_case(b"message") => {
            SingleExtra::Message {
                envelope: Box::new(envelope(inner)),
                body: Box::new(structure_of(inner, 0, depth + 1)),
                lines,
            }
        }
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
        assert_eq!(partial(b"abcdef", 2, 3), b"cde");
        assert_eq!(partial(b"abcdef", 10, 3), b"");
        assert_eq!(partial(b"abcdef", 4, u64::MAX), b"ef");
    }
}
