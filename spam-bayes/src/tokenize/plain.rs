//! A shortcut for the commonest message: one text part with no transfer
//! encoding, whose body `mail-parser` would hand back unchanged.
//!
//! For such a message `mail-parser` scans the body a byte at a time for
//! a boundary it has none of, then copies it into a new string a
//! character at a time through the table of its charset (or checks it
//! as UTF-8): on the SpamAssassin corpus that is about a fifth of the
//! instructions spent on a message, to make a copy equal to the input.
//! Here only the header block is parsed, and the body is lent as it is
//! when the copy would equal it. Everything else, and anything unusual,
//! takes the whole parse; a test and the fuzz target check that both
//! give the same tokens.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{Encoding, Message, MessageParser, MimeHeaders, PartType};
use memchr::memmem::Finder;

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

/// The shortcut, with its searches compiled once.
#[derive(Debug, Clone)]
pub(super) struct Shortcut {
    lf_lf: Finder<'static>,
    lf_crlf: Finder<'static>,
    /// Words of a header block (lowercased) that make a message not
    /// plain: multipart and message types, decoding transfer encodings.
    not_plain: [Finder<'static>; 4],
}

impl Shortcut {
    pub(super) fn new() -> Shortcut {
        Shortcut {
            lf_lf: Finder::new(b"\n\n"),
            lf_crlf: Finder::new(b"\n\r\n"),
            not_plain: [
                b"multipart".as_slice(),
                b"message/",
                b"quoted-printable",
                b"base64",
            ]
            .map(Finder::new),
        }
    }

    /// `mail-parser`'s parse of `raw` when the message is one text or
    /// HTML part with no transfer encoding and a body that decoding
    /// would leave as it is: valid UTF-8 when `mail-parser` knows no
    /// decoder for its charset (or none is named), ASCII in one of
    /// [`ASCII_SAFE`]. `None` otherwise.
    pub(super) fn parse<'x>(&self, parser: &MessageParser, raw: &'x [u8]) -> Option<Message<'x>> {
        let body_start = self.blank_line_end(raw)?;
        if !self.worth_trying(&raw[..body_start]) {
            return None;
        }
        let mut msg = parser.parse(&raw[..body_start])?;
        let [part] = msg.parts.as_mut_slice() else {
            return None;
        };
        // The header block must end where it was cut: `mail-parser` saw
        // the same headers as it would in the whole message.
        if part.offset_body as usize != body_start
            || part.encoding != Encoding::None
            || part.is_encoding_problem
        {
            return None;
        }
        // A multipart type whose boundary is not in the header block
        // makes `mail-parser` take the part as text: only text is taken
        // here.
        let content_type = part.content_type();
        if content_type.is_some_and(|ct| !ct.ctype().eq_ignore_ascii_case("text")) {
            return None;
        }
        let body = &raw[body_start..];
        let text = match content_type.and_then(|ct| ct.attribute("charset")) {
            Some(charset) if charset_decoder(charset.as_bytes()).is_some() => {
                if !(body.is_ascii() && ascii_safe(charset)) {
                    return None;
                }
                // ASCII is UTF-8.
                std::str::from_utf8(body).ok()?
            }
            // `mail-parser` checks the body as UTF-8.
            _ => std::str::from_utf8(body).ok()?,
        };
        match &mut part.body {
            PartType::Text(t) | PartType::Html(t) if t.is_empty() => *t = Cow::Borrowed(text),
            _ => return None,
        }
        part.offset_end = u32::try_from(raw.len()).ok()?;
        msg.raw_message = Cow::Borrowed(raw);
        Some(msg)
    }

    /// Where the first empty line (`\n\n` or `\n\r\n`) ends.
    fn blank_line_end(&self, raw: &[u8]) -> Option<usize> {
        let lf = self.lf_lf.find(raw).map(|i| i + 2);
        let crlf = self
            .lf_crlf
            .find(&raw[..lf.unwrap_or(raw.len())])
            .map(|i| i + 3);
        crlf.or(lf)
    }

    /// Whether a header block may be one of a plain message: it names no
    /// multipart or message type and no transfer encoding that decodes.
    /// Only a guess, to spare parsing the headers twice (once here, once
    /// whole) for the messages the shortcut would turn down anyway: what
    /// `mail-parser` makes of the headers decides.
    fn worth_trying(&self, headers: &[u8]) -> bool {
        let mut lower = [0u8; 4096];
        let Some(lower) = lower.get_mut(..headers.len()) else {
            return false;
        };
        lower.copy_from_slice(headers);
        lower.make_ascii_lowercase();
        !self.not_plain.iter().any(|f| f.find(lower).is_some())
    }
}

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
        tk.plain.parse(&tk.parser, raw).is_some()
    }

    #[test]
    fn taken_only_when_the_body_needs_no_decoding() {
        let taken: &[&str] = &[
            "Subject: hi\n\nplain body\n",
            "Subject: hi\r\nFrom: a@b.example\r\n\r\nCRLF body\r\n",
            "Content-Type: text/plain; charset=us-ascii\n\nascii\n",
            "Content-Type: TEXT/PLAIN; CHARSET=\"ISO-8859-1\"\n\nascii\n",
            "Content-Type: text/html; charset=windows-1252\n\n<p>hi</p>\n",
            "Content-Type: text/plain; charset=utf-8\n\nna\u{ef}ve caf\u{e9}\n",
            "Content-Type: text/plain; charset=x-unknown\n\nna\u{ef}ve\n",
            "Content-Transfer-Encoding: 8bit\n\nbody\n",
            "Content-Transfer-Encoding: x-uuencode\n\nbody\n",
            "Content-Type: text/plain;\n charset=us-ascii\n\nfolded\n",
            "Subject: no body\n\n",
            // A line that is no header is skipped, in both parses.
            "Subject: x\nnot a header line\nFrom: a@b\n\nbody\n",
        ];
        for raw in taken {
            assert!(shortcut(raw.as_bytes()), "{raw:?}");
        }
        let whole: &[&[u8]] = &[
            // Decoding would change the body.
            b"Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n",
            b"Content-Type: text/plain; charset=utf-7\n\nHi +AGEA-\n",
            b"Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B$3\x1b(B\n",
            b"Subject: x\n\nnot utf-8 \xff\xfe\n",
            b"Content-Transfer-Encoding: quoted-printable\n\ncaf=E9\n",
            b"Content-Transfer-Encoding: BASE64\n\nY2Fm\n",
            // The type depends on what follows the header block.
            b"Content-Type: multipart/signed; boundary=\"b\"\n\n--b\nContent-Type: \
              text/plain\n\nsigned\n--b--\n",
            b"Content-Type: Multipart/Mixed; boundary=b\n\n--b\n\nx\n--b--\n",
            b"Content-Type: message/rfc822\n\nSubject: inner\n\nbody\n",
            b"Content-Type: application/octet-stream\n\nbinary\n",
            // No header block end, or one `mail-parser` ends elsewhere.
            b"Subject: only headers\n",
            b"\n\nbody without headers\n",
        ];
        for raw in whole {
            assert!(!shortcut(raw), "{:?}", String::from_utf8_lossy(raw));
        }
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
        assert!(taken * 2 > seen, "{taken} of {seen} took the shortcut");
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

    #[test]
    fn blank_line() {
        assert_eq!(Shortcut::new().blank_line_end(b"A: b\n\nbody"), Some(6));
        assert_eq!(Shortcut::new().blank_line_end(b"A: b\r\n\r\nbody"), Some(8));
        assert_eq!(
            Shortcut::new().blank_line_end(b"A: b\n \nC: d\n\n"),
            Some(13)
        );
        assert_eq!(Shortcut::new().blank_line_end(b"A: b\nC: d\n"), None);
    }
}
