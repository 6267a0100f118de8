//! The MIME structure of a message as the body, mime, foreverypart and
//! extracttext extensions see it (RFC 5173, RFC 5703): every part in
//! depth-first order, the top-level message first, with nested
//! `message/rfc822` messages descended into.

use mail_parser::{Message, MimeHeaders, PartType};

/// What a part holds.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// A multipart: its children are the sub-parts; the prologue and
    /// epilogue text around them (RFC 5173 5.2).
    Multipart { prologue: String, epilogue: String },
    /// A `message/rfc822` part: its one child is the top part of the
    /// nested message; `header` is the nested header block.
    Message { header: String },
    /// Any other part, decoded; `None` when it cannot be decoded (an
    /// unknown content-transfer-encoding).
    Leaf(Option<Content>),
}

/// The decoded content of a leaf part.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// Text (charset already converted).
    Text(String),
    /// Bytes of a non-text part.
    Binary(Vec<u8>),
}

/// One MIME part.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// The header fields as (name, raw value without the final CRLF).
    pub headers: Vec<(String, String)>,
    /// Lowercased media type and subtype; `text`/`plain` by default.
    pub ctype: String,
    pub subtype: String,
    /// The Content-Type header is syntactically valid (or absent).
    pub valid_type: bool,
    pub kind: Kind,
    pub children: Vec<usize>,
}

impl Part {
    /// `text/html` or `application/xhtml+xml`: markup to read as text.
    pub fn is_html(&self) -> bool {
        (self.ctype == "text" && self.subtype == "html")
            || (self.ctype == "application" && self.subtype == "xhtml+xml")
    }

    /// The text of a leaf part, markup removed for HTML.
    pub fn plain_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Leaf(Some(Content::Text(t))) if self.is_html() => {
                Some(crate::strings::html_to_text(t))
            }
            Kind::Leaf(Some(Content::Text(t))) => Some(t.clone()),
            Kind::Leaf(Some(Content::Binary(b))) if self.is_html() => {
                Some(crate::strings::html_to_text(&String::from_utf8_lossy(b)))
            }
            _ => None,
        }
    }
}

/// All parts of a message, depth first; index 0 is the message itself.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    pub parts: Vec<Part>,
}

/// Most parts a tree holds; a message with more is cut there.
const MAX_PARTS: usize = 10_000;

impl Tree {
    pub fn build(msg: &Message<'_>) -> Tree {
        let mut t = Tree { parts: Vec::new() };
        if !msg.parts.is_empty() {
            t.add(msg, 0, false, 0);
        }
        t
    }

    /// The parts below `root`, depth first, `root` excluded.
    pub fn descendants(&self, root: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut stack: Vec<usize> = self
            .parts
            .get(root)
            .map(|p| p.children.iter().rev().copied().collect())
            .unwrap_or_default();
        while let Some(p) = stack.pop() {
            out.push(p);
            if let Some(part) = self.parts.get(p) {
                stack.extend(part.children.iter().rev().copied());
            }
        }
        out
    }

    fn add(&mut self, msg: &Message<'_>, id: usize, digest_child: bool, depth: usize) -> usize {
        let me = self.parts.len();
        let Some(p) = msg.parts.get(id) else {
            return me;
        };
        let raw = |a: u32, b: u32| -> String {
            String::from_utf8_lossy(
                msg.raw_message
                    .get(a as usize..b as usize)
                    .unwrap_or_default(),
            )
            .into_owned()
        };
        let headers: Vec<(String, String)> = p
            .headers
            .iter()
            .map(|h| {
                let v = raw(h.offset_start, h.offset_end);
                (
                    h.name.as_str().to_string(),
                    v.trim_end_matches(['\r', '\n']).to_string(),
                )
            })
            .collect();
        let ct_raw = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.clone());
        let (ctype, subtype, valid_type) = match &ct_raw {
            Some(v) => match parse_type(v) {
                Some((t, s)) => (t, s, true),
                None => ("application".into(), "octet-stream".into(), false),
            },
            None if digest_child => ("message".into(), "rfc822".into(), true),
            None => ("text".into(), "plain".into(), true),
        };
        let cte_ok = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-transfer-encoding"))
            .is_none_or(|(_, v)| {
                let v = v.trim().to_ascii_lowercase();
                let v = v.split(['(', ' ', '\t']).next().unwrap_or("");
                matches!(
                    v,
                    "7bit" | "8bit" | "binary" | "quoted-printable" | "base64"
                )
            });
        self.parts.push(Part {
            headers,
            ctype: ctype.clone(),
            subtype: subtype.clone(),
            valid_type,
            kind: Kind::Leaf(None),
            children: Vec::new(),
        });
        let kind = match &p.body {
            PartType::Multipart(ids) => {
                let body = raw(p.offset_body, p.offset_end);
                let boundary = p
                    .content_type()
                    .and_then(|c| c.attribute("boundary"))
                    .unwrap_or("");
                let (prologue, epilogue) = split_multipart(&body, boundary);
                let digest = ctype == "multipart" && subtype == "digest";
                let mut kids = Vec::new();
                for &c in ids {
                    let c = c as usize;
                    // mail-parser numbers children after their parent;
                    // this also rules out cycles.
                    if c > id && self.parts.len() < MAX_PARTS && depth < 64 {
                        kids.push(self.add(msg, c, digest, depth + 1));
                    }
                }
                self.parts[me].children = kids;
                Kind::Multipart { prologue, epilogue }
            }
            PartType::Message(nested) => {
                let header = nested
                    .parts
                    .first()
                    .map(|np| {
                        let h = String::from_utf8_lossy(
                            nested
                                .raw_message
                                .get(np.offset_header as usize..np.offset_body as usize)
                                .unwrap_or_default(),
                        )
                        .into_owned();
                        strip_blank_line(h)
                    })
                    .unwrap_or_default();
                if self.parts.len() < MAX_PARTS && depth < 64 && !nested.parts.is_empty() {
                    let c = self.add(nested, 0, false, depth + 1);
                    self.parts[me].children = vec![c];
                }
                Kind::Message { header }
            }
            _ if !cte_ok => Kind::Leaf(None),
            PartType::Text(t) | PartType::Html(t) => Kind::Leaf(Some(Content::Text(t.to_string()))),
            PartType::Binary(b) | PartType::InlineBinary(b) if ctype == "text" => {
                Kind::Leaf(Some(Content::Text(String::from_utf8_lossy(b).into_owned())))
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                Kind::Leaf(Some(Content::Binary(b.to_vec())))
            }
        };
        self.parts[me].kind = kind;
        me
    }
}

/// `type "/" subtype` of a Content-Type value, lowercased; `None` when
/// it is malformed (no slash, more than one, an empty side).
fn parse_type(v: &str) -> Option<(String, String)> {
    let main = v.split(';').next().unwrap_or("");
    let main = strip_comments(main);
    let main = main.trim();
    let (t, s) = main.split_once('/')?;
    let (t, s) = (t.trim(), s.trim());
    let token = |x: &str| {
        !x.is_empty()
            && x.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
    };
    if !token(t) || !token(s) {
        return None;
    }
    Some((t.to_ascii_lowercase(), s.to_ascii_lowercase()))
}

fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The header block without the empty line that ends it.
fn strip_blank_line(mut h: String) -> String {
    for end in ["\r\n\r\n", "\n\n"] {
        if h.ends_with(end) {
            h.truncate(h.len() - end.len() / 2);
            return h;
        }
    }
    h
}

/// The prologue (before the first boundary) and the epilogue (after the
/// closing boundary) of a multipart body.
fn split_multipart(body: &str, boundary: &str) -> (String, String) {
    if boundary.is_empty() {
        return (String::new(), String::new());
    }
    let delim = format!("--{boundary}");
    let mut prologue_end = None;
    let mut epilogue_start = None;
    let mut pos = 0;
    for line in body.split_inclusive('\n') {
        let start = pos;
        pos += line.len();
        let l = line.trim_end_matches(['\r', '\n']);
        if let Some(rest) = l.strip_prefix(&delim) {
            if prologue_end.is_none() {
                prologue_end = Some(start);
            }
            if rest.starts_with("--") {
                epilogue_start = Some(pos);
                break;
            }
        }
    }
    let prologue = match prologue_end {
        Some(e) => {
            let p = &body[..e];
            // The line break before a delimiter belongs to it.
            let p = p.strip_suffix('\n').unwrap_or(p);
            p.strip_suffix('\r').unwrap_or(p).to_string()
        }
        None => body.to_string(),
    };
    let epilogue = epilogue_start.map_or(String::new(), |s| body[s..].to_string());
    (prologue, epilogue)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(raw: &str) -> Tree {
        let msg = mail_parser::MessageParser::default()
            .parse(raw.as_bytes())
            .unwrap();
        Tree::build(&msg)
    }

    #[test]
    fn depth_first_with_nested_message() {
        let t = tree(
            "Content-Type: multipart/mixed; boundary=A\r\n\r\npre\r\n--A\r\n\
             Content-Type: text/plain\r\n\r\none\r\n--A\r\nContent-Type: message/rfc822\r\n\r\n\
             From: x@example.org\r\nSubject: in\r\n\r\ninner body\r\n--A--\r\npost\r\n",
        );
        let kinds: Vec<String> = t
            .parts
            .iter()
            .map(|p| format!("{}/{}", p.ctype, p.subtype))
            .collect();
        assert_eq!(
            kinds,
            [
                "multipart/mixed",
                "text/plain",
                "message/rfc822",
                "text/plain"
            ]
        );
        assert_eq!(t.descendants(0), vec![1, 2, 3]);
        assert_eq!(t.descendants(2), vec![3]);
        match &t.parts[0].kind {
            Kind::Multipart { prologue, epilogue } => {
                assert_eq!(prologue, "pre");
                assert_eq!(epilogue, "post\r\n");
            }
            k => panic!("{k:?}"),
        }
        match &t.parts[2].kind {
            Kind::Message { header } => {
                assert_eq!(header, "From: x@example.org\r\nSubject: in\r\n")
            }
            k => panic!("{k:?}"),
        }
        assert_eq!(t.parts[3].plain_text().unwrap().trim(), "inner body");
    }

    #[test]
    fn bad_types_and_encodings() {
        assert_eq!(
            parse_type("text/plain; charset=x"),
            Some(("text".into(), "plain".into()))
        );
        assert_eq!(parse_type("text/plain/stupid"), None);
        assert_eq!(parse_type("/plain"), None);
        let t = tree(
            "Content-Type: text/html\r\nContent-Transfer-Encoding: multipart/related\r\n\r\n<b>x</b>\r\n",
        );
        assert!(t.parts[0].plain_text().is_none());
    }
}
