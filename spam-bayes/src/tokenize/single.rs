//! A shortcut for the commonest messages: a single part of a text type,
//! or a multipart whose parts are all single parts.
//!
//! `mail-parser` reads a message a byte at a time through an iterator.
//! Each header is scanned byte by byte, even one whose value is thrown
//! away; each name is looked up in a SipHash map to find how to parse
//! its value; and a body with no boundary to look for is still scanned
//! for one before it is decoded. On the SpamAssassin corpus that is
//! about a fifth of the instructions spent on a message.
//!
//! Here the headers are found directly (one search for each line end)
//! and the values the tokenizer reads go to `mail-parser`'s own field
//! parsers, at the same offsets. A body goes through `mail-parser`'s own
//! transfer decoders and charset tables, and is lent as it is when
//! decoding would copy it unchanged. In a multipart, the steps from part
//! to part are `mail-parser`'s, and a part with no transfer encoding is
//! cut at its boundary by one substring search. The result is the
//! message that the whole parse gives, with the header values and parts
//! the tokenizer reads. Anything unusual (a header name with white space
//! or odd bytes in it, a line with no colon, a part that holds parts or
//! a message, a digest, a body the decoder finds broken, a missing
//! boundary) takes the whole parse; a test and the fuzz target check
//! that both give the same tokens.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::parsers::MessageStream;
use mail_parser::{
    Encoding, GetHeader, Header, HeaderName, HeaderValue, Message, MessageParser, MessagePart,
    PartType,
};

/// How the value of a header is parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Field {
    Date,
    Text,
    Address,
    Id,
    ContentType,
}

/// The headers whose values the tokenizer reads (the MIME ones to find
/// the parts and decode them), and how each is parsed. Every other
/// header is only located: its raw bytes are all the tokenizer needs.
const PARSED: [(HeaderName<'static>, Field); 10] = [
    (HeaderName::Date, Field::Date),
    (HeaderName::Subject, Field::Text),
    (HeaderName::From, Field::Address),
    (HeaderName::ReplyTo, Field::Address),
    (HeaderName::To, Field::Address),
    (HeaderName::Cc, Field::Address),
    (HeaderName::MessageId, Field::Id),
    (HeaderName::ContentType, Field::ContentType),
    (HeaderName::ContentDisposition, Field::ContentType),
    (HeaderName::ContentTransferEncoding, Field::Text),
];

/// Headers the tokenizer tells apart by their `HeaderName`, besides
/// those of [`PARSED`]. Any other name is kept as written
/// (`HeaderName::Other`), which gives the same tokens: the tokenizer
/// reads such names as lowercase strings.
const MATCHED: [HeaderName<'static>; 19] = [
    HeaderName::Received,
    HeaderName::ReturnPath,
    HeaderName::MimeVersion,
    HeaderName::Sender,
    HeaderName::ResentTo,
    HeaderName::ResentFrom,
    HeaderName::ResentDate,
    HeaderName::ListArchive,
    HeaderName::ListHelp,
    HeaderName::ListId,
    HeaderName::ListOwner,
    HeaderName::ListPost,
    HeaderName::ListSubscribe,
    HeaderName::ListUnsubscribe,
    HeaderName::DkimSignature,
    HeaderName::ArcMessageSignature,
    HeaderName::ArcSeal,
    HeaderName::ArcAuthenticationResults,
    HeaderName::Bcc,
];

/// The `mail-parser` configuration of the tokenizer: the headers of
/// [`PARSED`] parsed, every other one skipped.
pub(super) fn parser() -> MessageParser {
    PARSED.into_iter().fold(
        MessageParser::new().default_header_ignore(),
        |parser, (name, field)| match field {
            Field::Date => parser.header_date(name),
            Field::Text => parser.header_text(name),
            Field::Address => parser.header_address(name),
            Field::Id => parser.header_id(name),
            Field::ContentType => parser.header_content_type(name),
        },
    )
}

/// The shortcut, with its table of header names built once.
#[derive(Debug, Clone)]
pub(super) struct Shortcut {
    /// The names of [`PARSED`] and [`MATCHED`] as `mail-parser` writes
    /// them, each with how its value is parsed (`None`: not parsed),
    /// by length.
    names: Vec<Vec<(&'static str, HeaderName<'static>, Option<Field>)>>,
}

impl Shortcut {
    pub(super) fn new() -> Shortcut {
        let parsed = PARSED.into_iter().map(|(n, f)| (n, Some(f)));
        let matched = MATCHED.into_iter().map(|n| (n, None));
        let mut names = Vec::new();
        for (name, field) in parsed.chain(matched) {
            let s = name.as_static_str();
            if names.len() <= s.len() {
                names.resize(s.len() + 1, Vec::new());
            }
            names[s.len()].push((s, name, field));
        }
        Shortcut { names }
    }

    /// The message `mail-parser` makes of `raw` (its headers and parts;
    /// the lists of text, HTML and attachment parts are left empty) when
    /// it is a single part of a text type, or a multipart whose parts are
    /// all single parts, and this module reads its headers the same way;
    /// `None` otherwise.
    pub(super) fn parse<'x>(&self, raw: &'x [u8]) -> Option<Message<'x>> {
        // Offsets are kept as u32.
        u32::try_from(raw.len()).ok()?;
        let (headers, body_start) = self.headers(raw, 0)?;
        let content_type = headers
            .header_value(&HeaderName::ContentType)
            .and_then(|v| v.as_content_type());
        // `mail-parser` compares the type as it was parsed (lowercase
        // when well formed).
        if content_type.is_some_and(|ct| ct.ctype() == "multipart") {
            return self.multipart(raw, headers, body_start);
        }
        // Other types than text make a binary part: rare at the top.
        let html = match content_type {
            None => false,
            Some(ct) if ct.ctype() == "text" => ct.subtype() == Some("html"),
            Some(_) => return None,
        };
        let mut stream = MessageStream::new(raw);
        stream.skip_bytes(body_start);
        let (encoding, (end, bytes)) =
            match headers.header_value(&HeaderName::ContentTransferEncoding) {
                Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("base64") => {
                    (Encoding::Base64, stream.decode_base64_mime(b""))
                }
                Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("quoted-printable") => {
                    let decoded = quoted_printable(&raw[body_start..])?;
                    (Encoding::QuotedPrintable, (raw.len(), Cow::Owned(decoded)))
                }
                // What `mail-parser` finds with no boundary to look for: the
                // rest of the message.
                _ => (
                    Encoding::None,
                    (raw.len(), Cow::Borrowed(&raw[body_start..])),
                ),
            };
        // A broken encoding is recovered from in the whole parse.
        if end != raw.len() {
            return None;
        }
        let charset = content_type.and_then(|ct| ct.attribute("charset"));
        let text = decode(bytes, charset);
        let body = if html {
            PartType::Html(text)
        } else {
            PartType::Text(text)
        };
        Some(Message {
            parts: vec![MessagePart {
                headers,
                is_encoding_problem: false,
                body,
                encoding,
                offset_header: 0,
                offset_body: body_start as u32,
                offset_end: raw.len() as u32,
            }],
            raw_message: Cow::Borrowed(raw),
            ..Message::default()
        })
    }

    /// A top-level multipart whose headers are `headers`, read as
    /// `mail-parser` reads it when none of its parts is a multipart or a
    /// message: the container, then each part in order. The steps from
    /// part to part are `mail-parser`'s own; only the headers of the
    /// parts are found here, and a part with no transfer encoding is
    /// cut out with one search for its boundary instead of a scan a
    /// byte at a time. `None` for anything else (a digest, a missing
    /// boundary, a nested multipart or message, a broken encoding, no
    /// closing boundary).
    fn multipart<'x>(
        &self,
        raw: &'x [u8],
        headers: Vec<Header<'x>>,
        body_start: usize,
    ) -> Option<Message<'x>> {
        let content_type = headers
            .header_value(&HeaderName::ContentType)?
            .as_content_type()?;
        // A digest's parts are messages unless they say otherwise.
        if content_type.subtype() == Some("digest") {
            return None;
        }
        // Owned: the headers move into the container part.
        let boundary = content_type.attribute("boundary")?.as_bytes().to_vec();
        let delimiter = memchr::memmem::Finder::new(&[b"--", &boundary[..]].concat()).into_owned();
        let mut stream = MessageStream::new(raw);
        stream.skip_bytes(body_start);
        // No first boundary: `mail-parser` takes the body as text.
        if !stream.seek_next_part(&boundary) {
            return None;
        }
        stream.skip_crlf();
        let mut parts = vec![MessagePart {
            headers,
            is_encoding_problem: false,
            body: PartType::default(),
            encoding: Encoding::None,
            offset_header: 0,
            offset_body: body_start as u32,
            offset_end: raw.len() as u32,
        }];
        let mut ids = Vec::new();
        loop {
            let offset_header = stream.offset();
            let (headers, offset_body) = self.headers(raw, offset_header)?;
            stream.skip_bytes(offset_body - offset_header);
            let content_type = headers
                .header_value(&HeaderName::ContentType)
                .and_then(|v| v.as_content_type());
            // (text, HTML), as `mail-parser` types a part whose parent
            // is no digest; no type is text.
            let (text, html) = match content_type {
                None => (true, false),
                Some(ct) => match ct.ctype() {
                    "multipart" | "message" => return None,
                    "text" => (true, ct.subtype() == Some("html")),
                    _ => (false, false),
                },
            };
            let (encoding, (end, bytes)) =
                match headers.header_value(&HeaderName::ContentTransferEncoding) {
                    Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("base64") => {
                        (Encoding::Base64, stream.decode_base64_mime(&boundary))
                    }
                    Some(HeaderValue::Text(e)) if e.eq_ignore_ascii_case("quoted-printable") => (
                        Encoding::QuotedPrintable,
                        stream.decode_quoted_printable_mime(&boundary),
                    ),
                    _ => {
                        let (end, next) = part_end(raw, offset_body, &delimiter)?;
                        stream = MessageStream::new(raw);
                        stream.skip_bytes(next);
                        (Encoding::None, (end, Cow::Borrowed(&raw[offset_body..end])))
                    }
                };
            // No boundary after the part, or a broken encoding: the
            // whole parse recovers what it can.
            if end == usize::MAX {
                return None;
            }
            let body = if text {
                let charset = content_type.and_then(|ct| ct.attribute("charset"));
                let text = decode(bytes, charset);
                if html {
                    PartType::Html(text)
                } else {
                    PartType::Text(text)
                }
            } else {
                PartType::Binary(bytes)
            };
            ids.push(u32::try_from(parts.len()).ok()?);
            parts.push(MessagePart {
                headers,
                is_encoding_problem: false,
                body,
                encoding,
                offset_header: offset_header as u32,
                offset_body: offset_body as u32,
                offset_end: end as u32,
            });
            if stream.is_multipart_end() {
                break;
            }
        }
        parts[0].body = PartType::Multipart(ids);
        Some(Message {
            parts,
            raw_message: Cow::Borrowed(raw),
            ..Message::default()
        })
    }

    /// The headers that start at `start` and where the body after them
    /// starts, found as `mail-parser` finds them, or `None` for a header
    /// block it might read otherwise or one with no end.
    fn headers<'x>(&self, raw: &'x [u8], start: usize) -> Option<(Vec<Header<'x>>, usize)> {
        // A part often has no headers at all: no allocation then.
        let mut headers = if start == 0 {
            Vec::with_capacity(32)
        } else {
            Vec::new()
        };
        let mut at = start;
        loop {
            // An empty line ends the block. A line that starts with other
            // white space, or a name with white space or control bytes in
            // it, `mail-parser` reads in ways not followed here.
            match raw.get(at..)? {
                [b'\n', ..] => return Some((headers, at + 1)),
                [b'\r', b'\n', ..] => return Some((headers, at + 2)),
                _ => {}
            }
            let len = raw[at..]
                .iter()
                .position(|&c| c == b':' || !c.is_ascii_graphic())?;
            if len == 0 || raw[at + len] != b':' {
                return None;
            }
            // ASCII, checked just above.
            let name = std::str::from_utf8(&raw[at..at + len]).ok()?;
            let start = at + len + 1;
            let end = header_end(raw, start)?;
            let (name, field) = self.name(name);
            let value = match field {
                None => HeaderValue::Empty,
                Some(field) => {
                    let mut stream = MessageStream::new(raw);
                    stream.skip_bytes(start);
                    let value = match field {
                        Field::Date => stream.parse_date(),
                        Field::Text => stream.parse_unstructured(),
                        Field::Address => stream.parse_address(),
                        Field::Id => stream.parse_id(),
                        Field::ContentType => stream.parse_content_type(),
                    };
                    // The field parser must stop where the header ends,
                    // or `mail-parser` would go on from elsewhere.
                    if stream.offset() != end {
                        return None;
                    }
                    value
                }
            };
            headers.push(Header {
                name,
                value,
                offset_field: at as u32,
                offset_start: start as u32,
                offset_end: end as u32,
            });
            at = end;
        }
    }

    /// The `HeaderName` of a name as written, and how its value is parsed.
    fn name<'x>(&self, name: &'x str) -> (HeaderName<'x>, Option<Field>) {
        self.names
            .get(name.len())
            .and_then(|names| {
                names
                    .iter()
                    .find(|(known, ..)| known.eq_ignore_ascii_case(name))
            })
            .map_or(
                (HeaderName::Other(Cow::Borrowed(name)), None),
                |(_, n, f)| (n.clone(), *f),
            )
    }
}

/// Where a part with no transfer encoding that starts at `start` ends,
/// and where the stream goes on after its closing boundary, as
/// `mail-parser` finds them a byte at a time: at the first
/// `--boundary` (`delimiter`), anywhere; the line end before it is left
/// out when the boundary starts a line. `None` when there is none.
fn part_end(
    raw: &[u8],
    start: usize,
    delimiter: &memchr::memmem::Finder<'_>,
) -> Option<(usize, usize)> {
    let at = start + delimiter.find(&raw[start..])?;
    // The byte before `i`, taking the part to follow a line end.
    let before = |i: usize| if i > start { raw[i - 1] } else { b'\n' };
    let end = if at > start && before(at) == b'\n' {
        let lf = at - 1;
        if before(lf) == b'\r' { lf - 1 } else { lf }
    } else if at == start {
        start
    } else {
        at
    };
    Some((end, at + delimiter.needle().len()))
}

/// Where the header whose value starts at `start` ends: after the first
/// line end not followed by a space or a tab. `None` if the message
/// ends first.
fn header_end(raw: &[u8], start: usize) -> Option<usize> {
    let mut at = start;
    loop {
        at += memchr::memchr(b'\n', &raw[at..])? + 1;
        if !matches!(raw.get(at), Some(b' ' | b'\t')) {
            return Some(at);
        }
    }
}

/// A quoted-printable body decoded exactly as `mail-parser` decodes a
/// part with no boundary to look for (quirks included: see the steps
/// below), or `None` where it finds the encoding broken (an `=` right
/// after `=` or `=X`). It goes a byte at a time; this copies the runs
/// between `=` and line ends whole, which is most of a body.
fn quoted_printable(b: &[u8]) -> Option<Vec<u8>> {
    /// White space that a line end strips when it ends a line of text.
    fn blank(c: u8) -> bool {
        matches!(c, b' ' | b'\t' | b'\x0c')
    }
    let mut out = Vec::with_capacity(b.len());
    // Line ends are written as `\n` until a `\r` has been seen anywhere,
    // `\r\n` after; `\r` itself is dropped.
    let mut crlf = false;
    // Blank bytes at the end of `out` that a line end would strip.
    let mut trailing = 0;
    let line_end = |out: &mut Vec<u8>, trailing: &mut usize, crlf: bool| {
        out.truncate(out.len() - *trailing);
        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
        *trailing = 0;
    };
    let mut i = 0;
    while i < b.len() {
        let run = memchr::memchr3(b'=', b'\n', b'\r', &b[i..]).unwrap_or(b.len() - i);
        if run > 0 {
            let text = &b[i..i + run];
            out.extend_from_slice(text);
            let blanks = text.iter().rev().take_while(|&&c| blank(c)).count();
            trailing = if blanks == run {
                trailing + run
            } else {
                blanks
            };
            i += run;
            continue;
        }
        let c = b[i];
        i += 1;
        match c {
            b'\r' => crlf = true,
            b'\n' => line_end(&mut out, &mut trailing, crlf),
            _ => {
                // After `=`: blanks and `\r` are skipped; a line end is a
                // soft break; a hex digit starts an escape; anything
                // else is kept with the `=`.
                let (hi, mut last) = loop {
                    let Some(&c) = b.get(i) else {
                        return Some(out);
                    };
                    i += 1;
                    match c {
                        b'=' => return None,
                        b'\n' => {
                            trailing = 0;
                            break (None, c);
                        }
                        b'\r' => crlf = true,
                        _ => match hex(c) {
                            Some(h) => break (Some(h), c),
                            None if blank(c) => {}
                            None => {
                                out.extend_from_slice(&[b'=', c]);
                                trailing = 0;
                                break (None, c);
                            }
                        },
                    }
                };
                let Some(hi) = hi else { continue };
                // After `=X`: `\r` is dropped and a line end is written
                // (still waiting for the second digit); the next other
                // byte ends the escape, kept as it was written when it
                // is no hex digit (with the byte before it, whatever
                // that was).
                loop {
                    let Some(&c) = b.get(i) else {
                        return Some(out);
                    };
                    i += 1;
                    match c {
                        b'=' => return None,
                        b'\r' => crlf = true,
                        b'\n' => line_end(&mut out, &mut trailing, crlf),
                        _ => {
                            match hex(c) {
                                Some(lo) => out.push(hi << 4 | lo),
                                None => out.extend_from_slice(&[b'=', last, c]),
                            }
                            trailing = 0;
                            break;
                        }
                    }
                    last = c;
                }
            }
        }
    }
    Some(out)
}

/// The value of a hexadecimal digit, either case.
fn hex(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).map(|d| d as u8)
}

/// A body's text as `mail-parser` decodes it: through the table of its
/// charset when it knows one, else as UTF-8 with bad bytes replaced. An
/// ASCII body in a charset that maps ASCII to itself is lent as it is.
fn decode<'x>(bytes: Cow<'x, [u8]>, charset: Option<&str>) -> Cow<'x, str> {
    let decoder = charset.and_then(|c| charset_decoder(c.as_bytes()));
    match (bytes, decoder) {
        (bytes, Some(_)) if bytes.is_ascii() && charset.is_some_and(ascii_safe) => match bytes {
            // ASCII is UTF-8: neither fails.
            Cow::Borrowed(b) => std::str::from_utf8(b).map_or(Cow::Borrowed(""), Cow::Borrowed),
            Cow::Owned(v) => String::from_utf8(v).map_or(Cow::Borrowed(""), Cow::Owned),
        },
        (bytes, Some(decoder)) => Cow::Owned(decoder(&bytes)),
        (Cow::Owned(v), None) => Cow::Owned(
            String::from_utf8(v)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        ),
        (Cow::Borrowed(b), None) => String::from_utf8_lossy(b),
    }
}

/// Charsets, spelled as `mail-parser` looks them up (lowercase, `_` for
/// `-`), that it decodes one byte at a time through a table mapping
/// every ASCII byte to itself: an ASCII body decodes to itself. Stateful
/// and multi-byte charsets (ISO-2022-JP, UTF-7, UTF-16, Shift_JIS) are
/// left out on purpose.
const ASCII_SAFE: [&[u8]; 13] = [
    b"us_ascii",
    b"ascii",
    b"ansi_x3.4_1968",
    b"iso_8859_1",
    b"iso8859_1",
    b"latin1",
    b"l1",
    b"windows_1252",
    b"cp1252",
    b"iso_8859_15",
    b"iso8859_15",
    b"iso_8859_2",
    b"windows_1250",
];

/// Whether `charset` is one of [`ASCII_SAFE`], spelled as `mail-parser`
/// looks it up.
fn ascii_safe(charset: &str) -> bool {
    let spelled = |c: u8| match c {
        b'-' => b'_',
        c => c.to_ascii_lowercase(),
    };
    ASCII_SAFE.iter().any(|name| {
        name.len() == charset.len()
            && name
                .iter()
                .zip(charset.bytes())
                .all(|(&n, c)| n == spelled(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Tokenizer;

    /// Whether the shortcut takes the message, and if so, that it gives
    /// the tokens of the whole parse.
    fn shortcut(raw: &[u8]) -> bool {
        let tk = Tokenizer::default();
        assert_eq!(
            tk.token_hashes(raw),
            tk.token_hashes_full_parse(raw),
            "{}",
            String::from_utf8_lossy(raw)
        );
        tk.single.parse(super::super::skip_mbox_line(raw)).is_some()
    }

    #[test]
    fn taken_for_single_text_parts() {
        let taken: &[&[u8]] = &[
            b"Subject: hi\n\nplain body\n",
            b"Subject: hi\r\nFrom: a@b.example\r\n\r\nCRLF body\r\n",
            b"Content-Type: text/plain; charset=us-ascii\n\nascii\n",
            b"Content-Type: TEXT/PLAIN; CHARSET=\"ISO-8859-1\"\n\nascii\n",
            b"Content-Type: text/html; charset=windows-1252\n\n<p>hi</p>\n",
            b"Content-Type: text/enriched\n\n<bold>hi</bold>\n",
            b"Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n",
            b"Content-Type: text/plain; charset=utf-7\n\nHi +AGEA-\n",
            b"Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B$3\x1b(B\n",
            b"Content-Type: text/plain; charset=utf-8\n\nna\xc3\xafve caf\xc3\xa9\n",
            b"Content-Type: text/plain; charset=x-unknown\n\nna\xc3\xafve\n",
            b"Subject: x\n\nnot utf-8 \xff\xfe\n",
            b"Content-Transfer-Encoding: quoted-printable\n\ncaf=E9 =\nsoft  \nx=3D=\r\n",
            b"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: \
              Quoted-Printable\n\ncaf=E9 =ZZ =\t\n=4\nend\n",
            b"Content-Transfer-Encoding: BASE64\n\nY2Fm\n",
            b"Content-Transfer-Encoding: base64\nContent-Type: text/html\n\nPGI+aGk8L2I+\n",
            b"Content-Transfer-Encoding: 8bit\n\nbody\n",
            b"Content-Transfer-Encoding: x-uuencode\n\nbody\n",
            b"Content-Type: text/plain;\n charset=us-ascii\n\nfolded\n",
            b"Subject: no body\n\n",
            b"Subject: =?iso-8859-1?q?caf=E9?=\nFrom: \"A B\" <a@b.example>, c@d\n\
              To: undisclosed-recipients:;\nDate: Mon, 2 Sep 2002 13:22:30 +0100\n\
              Message-ID: <x@y>\nReceived: from a (b [1.2.3.4])\n\tby c; Mon, 2 Sep 2002\n\n\
              body\n",
            // Names `mail-parser` knows, in any case; names it does not.
            b"SUBJECT: a\nreply-TO: b@c\nX-Mailer: m 1.0\nList-Id: <l.example>\n\
              Content-Transfer-Encoding: 7bit\n\nbody\n",
            b"\n\nbody without headers\n",
            // Multiparts of single parts.
            b"Content-Type: multipart/signed; boundary=\"b\"\n\n--b\nContent-Type: \
              text/plain\n\nsigned\n--b--\n",
            b"Content-Type: Multipart/Mixed; boundary=b\n\n--b\n\nx\n--b--\n",
            b"Content-Type: multipart/alternative; boundary=\"=_b\"\r\n\r\npreamble\r\n\
              --=_b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
              Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 =\r\nx\r\n\
              --=_b\r\nContent-Type: text/html\r\n\r\n<p>caf&eacute;</p>\r\n\
              --=_b--\r\nepilogue\r\n",
            b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\ntext--b\n\
              Content-Type: image/gif; name=\"a.gif\"\nContent-Transfer-Encoding: base64\n\n\
              R0lGODlh\n--b\nContent-Type: application/pdf\n\
              Content-Disposition: attachment; filename=\"r.pdf\"\n\n%PDF\n--b--",
            b"Content-Type: multipart/related; boundary=b\n\n--b  \n\nspaces after\n--b \n\
              \nx\n---b\n\ny\n\n--b--\n",
        ];
        for raw in taken {
            assert!(shortcut(raw), "{:?}", String::from_utf8_lossy(raw));
        }
        let whole: &[&[u8]] = &[
            // Parts that hold parts, or no boundary where one is needed.
            b"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/\
              alternative; boundary=b\n\n--b\n\nx\n--b--\n--a--\n",
            b"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: message/rfc822\
              \n\nSubject: inner\n\nbody\n--a--\n",
            b"Content-Type: multipart/digest; boundary=a\n\n--a\n\nSubject: x\n\ny\n--a--\n",
            b"Content-Type: multipart/mixed\n\n--a\n\nx\n--a--\n",
            b"Content-Type: multipart/mixed; boundary=a\n\nno boundary here\n",
            b"Content-Type: multipart/mixed; boundary=a\n\n--a\n\nnever closed\n",
            b"Content-Type: multipart/mixed; boundary=a\n\n--a\n\
              Content-Transfer-Encoding: quoted-printable\n\na==b\n--a--\n",
            b"Content-Type: message/rfc822\n\nSubject: inner\n\nbody\n",
            b"Content-Type: application/octet-stream\n\nbinary\n",
            // Broken encodings, recovered from in the whole parse.
            b"Content-Transfer-Encoding: quoted-printable\n\na==b\n",
            b"Content-Transfer-Encoding: base64\n\nY2F*\n",
            // No end to the header block.
            b"Subject: only headers\n",
            // Lines `mail-parser` reads its own way.
            b"Subject: x\nnot a header line\nFrom: a@b\n\nbody\n",
            b"Sub ject: x\n\nbody\n",
            b"Subject : x\n\nbody\n",
            b" Subject: x\n\nbody\n",
            b"\r Subject: x\n\nbody\n",
            b"Subj\xc3\xa9ct: x\n\nbody\n",
            b": x\n\nbody\n",
        ];
        for raw in whole {
            assert!(!shortcut(raw), "{:?}", String::from_utf8_lossy(raw));
        }
    }

    /// Header blocks and bodies put together every way: the shortcut,
    /// where it is taken, gives the tokens of the whole parse.
    #[test]
    fn combinations_give_the_tokens_of_the_whole_parse() {
        let headers: &[&[u8]] = &[
            b"",
            b"Subject: Re: [list] hello\r\n",
            b"From: Someone <some@one.example>\n",
            b"Content-Type: text/plain; charset=\"windows-1252\"\n",
            b"Content-Type: text/html\n",
            b"Content-Type: text/plain\nContent-Type: image/gif\n",
            b"Content-Type: image/gif\nContent-Type: text/plain\n",
            b"Content-Transfer-Encoding: quoted-printable\n",
            b"Content-Transfer-Encoding: base64\n",
            b"Content-Transfer-Encoding:\n",
            b"Content-Type: text/plain; charset=utf-8\n\tformat=flowed\n",
            b"Date: not a date\n",
            b"Message-ID: <a@b\n",
            b"To: a@b, \n c@d\n",
            b"X-Folded: a\n \n b\n",
            b"Received: from x\n",
            b"Subject:\n",
        ];
        let bodies: &[&[u8]] = &[
            b"",
            b"\n",
            b"plain text\n",
            b"caf=E9 =\r\nsoft=20\r\n",
            b"Y2FmZQ==\n",
            b"\xe9t\xe9\n",
            b"=\n",
            b"--b\n",
        ];
        let multipart: &[&[u8]] = &[
            b"Content-Type: multipart/alternative; boundary=b\n\n--b\n",
            b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\npre\r\n--b\r\n",
        ];
        let mut taken = 0;
        for top in multipart {
            for a in headers {
                for body in bodies {
                    for end in [&b"\n--b--\n"[..], b"--b\n\nnext\n--b--", b"\r\n--b"] {
                        let raw = [*top, *a, b"\n", *body, end].concat();
                        taken += usize::from(shortcut(&raw));
                    }
                }
            }
        }
        for a in headers {
            for b in headers {
                for body in bodies {
                    for blank in [&b"\n"[..], b"\r\n"] {
                        let raw = [*a, *b, blank, *body].concat();
                        taken += usize::from(shortcut(&raw));
                    }
                }
            }
        }
        assert!(taken > 1500, "{taken}");
    }

    /// Every message of the shipped corpus gives the same tokens either
    /// way, and most take the shortcut.
    #[test]
    fn corpus_tokens_are_those_of_the_whole_parse() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let (mut seen, mut taken) = (0, 0);
        for class in ["spam", "ham"] {
            for entry in std::fs::read_dir(root.join(class)).unwrap() {
                let raw = std::fs::read(entry.unwrap().path()).unwrap();
                taken += usize::from(shortcut(&raw));
                seen += 1;
            }
        }
        assert!(seen >= 100, "only {seen} corpus messages");
        assert!(taken * 3 > seen * 2, "{taken} of {seen} took the shortcut");
    }

    #[test]
    fn ascii_safe_charsets_decode_ascii_to_itself() {
        let ascii: Vec<u8> = (0..0x80).collect();
        for name in ASCII_SAFE {
            let name = std::str::from_utf8(name).unwrap();
            let decoder = charset_decoder(name.as_bytes()).expect(name);
            assert_eq!(decoder(&ascii).as_bytes(), ascii, "{name}");
            assert!(ascii_safe(name));
        }
        assert!(ascii_safe("ISO-8859-1") && ascii_safe("US-ASCII"));
        assert!(!ascii_safe("utf-7") && !ascii_safe("iso-2022-jp") && !ascii_safe("latin"));
    }

    /// The decoder gives what `mail-parser`'s does, on the inputs the
    /// two decode most differently: `=`, hex digits, white space and
    /// line ends in every order.
    #[test]
    fn quoted_printable_is_mail_parsers() {
        use proptest::prelude::*;
        let alphabet = prop::sample::select(b"=\r\n \t\x0caF9g-x\xe9".to_vec());
        proptest!(ProptestConfig::with_cases(20_000), |(body in prop::collection::vec(alphabet, 0..24))| {
            let (end, theirs) = MessageStream::new(&body).decode_quoted_printable_mime(b"");
            let theirs = (end != usize::MAX).then(|| theirs.into_owned());
            prop_assert_eq!(quoted_printable(&body), theirs, "{:?}", String::from_utf8_lossy(&body));
        });
        assert_eq!(
            quoted_printable(b"caf=E9 =\r\nsoft  \r\n=3d").as_deref(),
            Some(&b"caf\xe9 soft\r\n="[..])
        );
        assert_eq!(quoted_printable(b"a==b"), None);
    }

    #[test]
    fn header_ends() {
        assert_eq!(header_end(b"A: b\nC: d\n", 2), Some(5));
        assert_eq!(header_end(b"A: b\n c\n\tx\nD: e", 2), Some(11));
        assert_eq!(header_end(b"A: b\r\n\r\n", 2), Some(6));
        assert_eq!(header_end(b"A: b", 2), None);
        assert_eq!(header_end(b"A: b\n c", 2), None);
    }
}
