//! The MIME structure of a message, computed once at append time and
//! kept in the journal, so that FETCH BODYSTRUCTURE and FETCH
//! BODY[section] never reparse the message.
//!
//! Parsing is bounded: at most [`MAX_DEPTH`] levels of nesting and
//! [`MAX_PARTS`] parts; what lies beyond is treated as opaque content of
//! the last part reached.

use crate::cache::{HeaderLines, header_len, unfold};
use crate::codec::{Dec, DecodeError, Enc};

/// Deepest nesting of multiparts and attached messages that is parsed.
pub const MAX_DEPTH: usize = 16;
/// Most parts parsed in one message.
pub const MAX_PARTS: usize = 1000;

/// One MIME part (RFC 2045/2046) with where it lies in the raw message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MimePart {
    /// Media type, lower case (`text`; `text` when absent).
    pub media_type: String,
    /// Subtype, lower case (`plain`).
    pub subtype: String,
    /// Content-Type parameters, names lower case, values unquoted.
    pub params: Vec<(String, String)>,
    /// `Content-ID`, raw.
    pub id: String,
    /// `Content-Description`, raw.
    pub description: String,
    /// `Content-Transfer-Encoding`, lower case (`7bit` when absent).
    pub encoding: String,
    /// `Content-Disposition` value and parameters, when present.
    pub disposition: Option<(String, Vec<(String, String)>)>,
    /// Offset of the part's header in the raw message.
    pub header_start: u32,
    /// Offset of the part's body (just after the blank line).
    pub body_start: u32,
    /// Offset just after the part's body.
    pub end: u32,
    /// Lines in the body.
    pub lines: u32,
    /// Sub-parts of a multipart, or the one attached message of a
    /// `message/rfc822` part.
    pub children: Vec<MimePart>,
}

impl MimePart {
    /// Size of the body in octets.
    pub fn body_size(&self) -> u32 {
        self.end - self.body_start
    }

    /// Whether this is a `multipart/*` part.
    pub fn is_multipart(&self) -> bool {
        self.media_type == "multipart"
    }

    /// A parameter of the content type, by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The part at an IMAP section path such as `[1, 2]` (RFC 3501
    /// section 6.4.5): numbers index the children of a multipart; in a
    /// `message/rfc822` part they index the attached message's parts;
    /// a non-multipart message has part 1 = itself.
    pub fn part(&self, path: &[u32]) -> Option<&MimePart> {
        let Some((&first, rest)) = path.split_first() else {
            return Some(self);
        };
        let i = (first as usize).checked_sub(1)?;
        let container = if self.media_type == "message" && self.subtype == "rfc822" {
            self.children.first()?
        } else {
            self
        };
        let next = if container.is_multipart() {
            container.children.get(i)?
        } else if i == 0 {
            container
        } else {
            return None;
        };
        next.part(rest)
    }

    /// Parses a raw message.
    pub fn parse(raw: &[u8]) -> MimePart {
        let mut budget = MAX_PARTS;
        parse_entity(raw, 0, raw.len(), 0, &mut budget, false)
    }

    pub(crate) fn encode(&self, e: &mut Enc<'_>) {
        e.str(&self.media_type);
        e.str(&self.subtype);
        enc_params(e, &self.params);
        e.str(&self.id);
        e.str(&self.description);
        e.str(&self.encoding);
        match &self.disposition {
            Some((d, p)) => {
                e.u8(1);
                e.str(d);
                enc_params(e, p);
            }
            None => e.u8(0),
        }
        for v in [
            self.header_start,
            self.body_start,
            self.end,
            self.lines,
            self.children.len() as u32,
        ] {
            e.u32(v);
        }
        for c in &self.children {
            c.encode(e);
        }
    }

    pub(crate) fn decode(d: &mut Dec<'_>, depth: usize) -> Result<MimePart, DecodeError> {
        if depth > MAX_DEPTH + 2 {
            return Err(DecodeError("mime structure nested too deep"));
        }
        let mut p = MimePart {
            media_type: d.str()?,
            subtype: d.str()?,
            params: dec_params(d)?,
            id: d.str()?,
            description: d.str()?,
            encoding: d.str()?,
            ..MimePart::default()
        };
        p.disposition = match d.u8()? {
            0 => None,
            _ => Some((d.str()?, dec_params(d)?)),
        };
        p.header_start = d.u32()?;
        p.body_start = d.u32()?;
        p.end = d.u32()?;
        p.lines = d.u32()?;
        let n = d.count()?;
        for _ in 0..n {
            p.children.push(MimePart::decode(d, depth + 1)?);
        }
        Ok(p)
    }
}

fn enc_params(e: &mut Enc<'_>, p: &[(String, String)]) {
    e.u32(p.len() as u32);
    for (n, v) in p {
        e.str(n);
        e.str(v);
    }
}

fn dec_params(d: &mut Dec<'_>) -> Result<Vec<(String, String)>, DecodeError> {
    let n = d.count()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push((d.str()?, d.str()?));
    }
    Ok(out)
}

/// Parses the entity in `raw[start..end]`. `digest` makes the default
/// type `message/rfc822` (inside multipart/digest).
fn parse_entity(
    raw: &[u8],
    start: usize,
    end: usize,
    depth: usize,
    budget: &mut usize,
    digest: bool,
) -> MimePart {
    *budget = budget.saturating_sub(1);
    let slice = &raw[start..end];
    let hlen = header_len(slice);
    let mut part = MimePart {
        media_type: if digest { "message" } else { "text" }.into(),
        subtype: if digest { "rfc822" } else { "plain" }.into(),
        encoding: "7bit".into(),
        header_start: start as u32,
        body_start: (start + hlen) as u32,
        end: end as u32,
        ..MimePart::default()
    };
    let mut saw_type = false;
    for (name, value) in HeaderLines::new(&slice[..hlen]) {
        let value = unfold(value);
        if name.eq_ignore_ascii_case(b"content-type") && !saw_type {
            saw_type = true;
            let (v, params) = split_params(&value);
            if let Some((t, s)) = v.split_once('/') {
                let (t, s) = (t.trim().to_ascii_lowercase(), s.trim().to_ascii_lowercase());
                if !t.is_empty() && !s.is_empty() {
                    part.media_type = t;
                    part.subtype = s;
                }
            }
            part.params = params;
        } else if name.eq_ignore_ascii_case(b"content-transfer-encoding") {
            part.encoding = value.trim().to_ascii_lowercase();
        } else if name.eq_ignore_ascii_case(b"content-id") {
            part.id = value;
        } else if name.eq_ignore_ascii_case(b"content-description") {
            part.description = value;
        } else if name.eq_ignore_ascii_case(b"content-disposition") {
            let (v, params) = split_params(&value);
            part.disposition = Some((v.trim().to_ascii_lowercase(), params));
        }
    }
    let body = &raw[part.body_start as usize..end];
    part.lines = memchr::memchr_iter(b'\n', body).count() as u32
        + u32::from(!body.is_empty() && !body.ends_with(b"\n"));
    if depth >= MAX_DEPTH || *budget == 0 {
        return part;
    }
    if part.is_multipart() {
        if let Some(boundary) = part.param("boundary").filter(|b| !b.is_empty()) {
            let inner_digest = part.subtype == "digest";
            for (s, e) in split_multipart(raw, part.body_start as usize, end, boundary.as_bytes()) {
                if *budget == 0 {
                    break;
                }
                let child = parse_entity(raw, s, e, depth + 1, budget, inner_digest);
                part.children.push(child);
            }
        }
    } else if part.media_type == "message" && part.subtype == "rfc822" && *budget > 0 {
        let child = parse_entity(raw, part.body_start as usize, end, depth + 1, budget, false);
        part.children.push(child);
    }
    part
}

/// Byte ranges of the body parts of a multipart in `raw[start..end]`.
/// A part ends before the CRLF that precedes its delimiter line.
fn split_multipart(raw: &[u8], start: usize, end: usize, boundary: &[u8]) -> Vec<(usize, usize)> {
    let mut delim = b"--".to_vec();
    delim.extend_from_slice(boundary);
    let mut parts = Vec::new();
    let mut current: Option<usize> = None;
    let mut pos = start;
    let finder = memchr::memmem::Finder::new(&delim);
    while pos < end {
        let Some(i) = finder.find(&raw[pos..end]) else {
            break;
        };
        let at = pos + i;
        let line_start = at == start || raw[at - 1] == b'\n';
        let line_end = memchr::memchr(b'\n', &raw[at..end]).map_or(end, |n| at + n + 1);
        if !line_start {
            pos = at + delim.len();
            continue;
        }
        let closing = raw[at + delim.len()..].starts_with(b"--");
        if let Some(s) = current.take() {
            // Strip the line break that belongs to the delimiter.
            let mut e = at;
            if e > s && raw[e - 1] == b'\n' {
                e -= 1;
                if e > s && raw[e - 1] == b'\r' {
                    e -= 1;
                }
            }
            parts.push((s, e.max(s)));
        }
        if closing {
            return parts;
        }
        current = Some(line_end);
        pos = line_end;
    }
    // No closing delimiter: the last part runs to the end.
    if let Some(s) = current {
        parts.push((s, end));
    }
    parts
}

/// Splits `value; a=b; c="d e"` into the value and its parameters.
fn split_params(value: &str) -> (String, Vec<(String, String)>) {
    let mut items = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => items.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    items.push(cur);
    let mut it = items.into_iter();
    let head = it.next().unwrap_or_default().trim().to_owned();
    let params = it
        .filter_map(|p| {
            let (n, v) = p.split_once('=')?;
            let n = n.trim().to_ascii_lowercase();
            (!n.is_empty()).then(|| (n, v.trim().to_owned()))
        })
        .take(64)
        .collect();
    (head, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[u8] = b"From: a@b\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\nworld\r\n\
--b1\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n\
--b2\r\n\r\nplain\r\n--b2\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: Base64\r\n\r\nPGI+\r\n--b2--\r\n\
\r\n--b1\r\nContent-Type: application/pdf; name=\"a b.pdf\"\r\nContent-Disposition: attachment; filename=\"a b.pdf\"\r\n\r\nJVBE\r\n--b1--\r\nepilogue\r\n";

    fn body<'a>(raw: &'a [u8], p: &MimePart) -> &'a [u8] {
        &raw[p.body_start as usize..p.end as usize]
    }

    #[test]
    fn nested_structure_and_sections() {
        let p = MimePart::parse(MIXED);
        assert_eq!(
            (p.media_type.as_str(), p.subtype.as_str()),
            ("multipart", "mixed")
        );
        assert_eq!(p.children.len(), 3);
        let text = p.part(&[1]).unwrap();
        assert_eq!(text.param("CHARSET"), Some("utf-8"));
        assert_eq!(body(MIXED, text), b"hello\r\nworld");
        assert_eq!(text.lines, 2);
        let html = p.part(&[2, 2]).unwrap();
        assert_eq!(html.subtype, "html");
        assert_eq!(html.encoding, "base64");
        assert_eq!(body(MIXED, html), b"PGI+");
        assert_eq!(body(MIXED, p.part(&[2, 1]).unwrap()), b"plain");
        let pdf = p.part(&[3]).unwrap();
        assert_eq!(pdf.param("name"), Some("a b.pdf"));
        let (disp, params) = pdf.disposition.as_ref().unwrap();
        assert_eq!(
            (disp.as_str(), params[0].1.as_str()),
            ("attachment", "a b.pdf")
        );
        assert!(p.part(&[4]).is_none() && p.part(&[1, 2]).is_none());
        // A single-part message: part 1 is its body.
        let single = MimePart::parse(b"Subject: x\r\n\r\nbody\r\n");
        assert_eq!(single.part(&[1]), Some(&single));
        assert_eq!(single.lines, 1);
    }

    #[test]
    fn store_serves_sections_from_the_cache() {
        use crate::{Flags, MailboxName, Store, StoreOptions, UidSet};
        let store = Store::in_memory(StoreOptions::default());
        store.create_account("a").unwrap();
        let inbox = MailboxName::new("INBOX").unwrap();
        store
            .append("a", &inbox, MIXED, &Flags::new(), None)
            .unwrap();
        let m = &store.messages("a", &inbox, &UidSet::all()).unwrap()[0];
        assert_eq!(m.cache().structure().children.len(), 3);
        assert_eq!(store.read_section(m, &[2, 2]).unwrap().unwrap(), b"PGI+");
        assert_eq!(
            store.read_section_mime(m, &[1]).unwrap().unwrap(),
            b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        );
        assert_eq!(store.read_section(m, &[]).unwrap().unwrap(), MIXED);
        assert_eq!(store.read_section(m, &[9]).unwrap(), None);
    }

    #[test]
    fn codec_round_trip() {
        let p = MimePart::parse(MIXED);
        let mut buf = Vec::new();
        p.encode(&mut Enc(&mut buf));
        let mut d = Dec::new(&buf);
        assert_eq!(MimePart::decode(&mut d, 0).unwrap(), p);
        assert!(d.is_empty());
    }

    #[test]
    fn hostile_input_is_bounded() {
        // Deep nesting: each level opens another multipart.
        let mut raw = Vec::new();
        for i in 0..200 {
            raw.extend_from_slice(
                format!("Content-Type: multipart/mixed; boundary=\"x{i}\"\r\n\r\n--x{i}\r\n")
                    .as_bytes(),
            );
        }
        let p = MimePart::parse(&raw);
        let mut depth = 0;
        let mut cur = &p;
        while let Some(c) = cur.children.first() {
            cur = c;
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH);
        // Very many parts.
        let mut raw = b"Content-Type: multipart/mixed; boundary=z\r\n\r\n".to_vec();
        for _ in 0..5000 {
            raw.extend_from_slice(b"--z\r\n\r\nx\r\n");
        }
        assert!(MimePart::parse(&raw).children.len() < MAX_PARTS);
        // Missing boundary, unterminated quotes, empty input.
        for raw in [
            &b"Content-Type: multipart/mixed\r\n\r\n--a\r\n"[..],
            b"Content-Type: text/plain; name=\"unterminated\r\n\r\nx",
            b"",
            b"\r\n",
        ] {
            let p = MimePart::parse(raw);
            assert!(p.end as usize == raw.len() && p.children.is_empty());
        }
    }
}
