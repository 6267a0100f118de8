//! Replies (RFC 5321 4.2) with enhanced status codes (RFC 2034,
//! RFC 3463), and the EHLO capability list.

use std::fmt;

use crate::error::{ReplyError, clip};

/// Longest reply line the parser accepts, CRLF included.
pub const MAX_REPLY_LINE: usize = 4096;
/// Longest whole reply the parser accepts.
pub const MAX_REPLY: usize = 64 * 1024;
/// Most lines in one reply.
pub const MAX_REPLY_LINES: usize = 256;

/// An enhanced status code `class.subject.detail` (RFC 3463).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// Subject, 0 to 999.
    pub subject: u16,
    /// Detail, 0 to 999.
    pub detail: u16,
}

impl EnhancedCode {
    /// Builds a code; no range checks (use [`EnhancedCode::parse`]
    /// for untrusted text).
    pub const fn new(class: u8, subject: u16, detail: u16) -> Self {
        Self {
            class,
            subject,
            detail,
        }
    }

    /// Parses `class "." subject "." detail`.
    ///
    /// ```text
    /// status-code = class "." subject "." detail
    /// class       = "2" / "4" / "5"
    /// subject     = 1*3digit
    /// detail      = 1*3digit
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split('.');
        let class = it.next()?;
        let subject = it.next()?;
        let detail = it.next()?;
        if it.next().is_some() || !matches!(class, "2" | "4" | "5") {
            return None;
        }
        let num = |x: &str| {
            (!x.is_empty() && x.len() <= 3 && x.bytes().all(|b| b.is_ascii_digit()))
                .then(|| x.parse::<u16>().ok())
                .flatten()
        };
        Some(Self::new(
            class.as_bytes()[0] - b'0',
            num(subject)?,
            num(detail)?,
        ))
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One SMTP reply, possibly spanning several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    code: u16,
    enhanced: Option<EnhancedCode>,
    lines: Vec<String>,
}

impl Reply {
    /// Builds a reply; `text` is split into lines at `\n` (a `\r`
    /// before it is dropped).
    ///
    /// # Panics
    ///
    /// When `code` is outside 200..=599; codes come from program
    /// text, not from the peer (use [`Reply::parse`] for those).
    pub fn new(code: u16, enhanced: Option<EnhancedCode>, text: impl Into<String>) -> Self {
        assert!(
            (200..=599).contains(&code),
            "reply code {code} out of range"
        );
        let text = text.into();
        let lines = if text.contains('\n') {
            text.split('\n')
                .map(|l| l.trim_end_matches('\r').to_string())
                .collect()
        } else {
            vec![text]
        };
        Self {
            code,
            enhanced,
            lines,
        }
    }

    /// Builds a reply from lines of text.
    ///
    /// # Panics
    ///
    /// Like [`Reply::new`], and when `lines` is empty.
    pub fn with_lines(code: u16, enhanced: Option<EnhancedCode>, lines: Vec<String>) -> Self {
        assert!(
            (200..=599).contains(&code),
            "reply code {code} out of range"
        );
        assert!(!lines.is_empty(), "a reply needs at least one line");
        Self {
            code,
            enhanced,
            lines,
        }
    }

    /// The three-digit code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The enhanced status code, if any.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// Text lines, without code and enhanced code.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The text lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// 2xx.
    pub fn is_positive(&self) -> bool {
        self.code < 300
    }

    /// 3xx (send more).
    pub fn is_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    /// 4xx.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx.
    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// Appends the wire form to `out`.
    ///
    /// ```text
    /// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
    ///              Reply-code [ SP textstring ] CRLF
    /// ```
    ///
    /// A control character in the text (a CR or LF that slipped into
    /// a line, a NUL from a peer's reply) is sent as a space: a reply
    /// line can never be split or end early.
    pub fn encode(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i + 1 == n { ' ' } else { '-' };
            // Writing to a Vec cannot fail.
            let _ = match self.enhanced {
                Some(e) => write!(out, "{}{sep}{e} ", self.code),
                None => write!(out, "{}{sep}", self.code),
            };
            let start = out.len();
            out.extend_from_slice(line.as_bytes());
            for b in &mut out[start..] {
                if (*b < 0x20 && *b != b'\t') || *b == 0x7f {
                    *b = b' ';
                }
            }
            out.extend_from_slice(b"\r\n");
        }
    }

    /// The wire form as a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }

    /// Parses one complete reply at the start of `input`; returns it
    /// and the number of bytes used. Lines end in CRLF (a bare LF is
    /// tolerated). An enhanced code is recognised when every line
    /// starts with the same one and its class matches the code.
    ///
    /// ```text
    /// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
    ///              Reply-code [ SP textstring ] CRLF
    /// Reply-code = %x32-35 %x30-35 %x30-39
    /// textstring = 1*(%d09 / %d32-126)
    /// ```
    ///
    /// # Errors
    ///
    /// [`ReplyError::Incomplete`] when more bytes are needed; the
    /// other variants when the input is not a reply.
    pub fn parse(input: &[u8]) -> Result<(Reply, usize), ReplyError> {
        let mut pos = 0;
        let mut code = 0u16;
        let mut raw: Vec<&str> = Vec::new();
        loop {
            let rest = &input[pos..];
            let Some(nl) = memchr::memchr(b'\n', &rest[..rest.len().min(MAX_REPLY_LINE)]) else {
                if rest.len() >= MAX_REPLY_LINE {
                    return Err(ReplyError::TooLong {
                        max: MAX_REPLY_LINE,
                    });
                }
                return Err(ReplyError::Incomplete);
            };
            let mut line = &rest[..nl];
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            let c = line_code(line)?;
            if raw.is_empty() {
                code = c;
            } else if c != code {
                return Err(ReplyError::CodeMismatch {
                    expected: code,
                    found: c,
                });
            }
            let text = match line.get(3) {
                None => "",
                Some(b' ' | b'-') => {
                    std::str::from_utf8(&line[4..]).map_err(|_| ReplyError::InvalidUtf8)?
                }
                Some(&byte) => return Err(ReplyError::BadSeparator { byte }),
            };
            raw.push(text);
            pos += nl + 1;
            if pos > MAX_REPLY || raw.len() > MAX_REPLY_LINES {
                return Err(ReplyError::TooLong { max: MAX_REPLY });
            }
            if line.get(3) != Some(&b'-') {
                break;
            }
        }
        Ok((Self::from_parts(code, &raw), pos))
    }

    fn from_parts(code: u16, raw: &[&str]) -> Reply {
        let class = (code / 100) as u8;
        fn split(t: &str, class: u8) -> Option<(EnhancedCode, &str)> {
            let (head, tail) = t.split_once(' ').unwrap_or((t, ""));
            EnhancedCode::parse(head)
                .filter(|e| e.class == class)
                .map(|e| (e, tail))
        }
        let enhanced = split(raw[0], class).map(|(e, _)| e);
        let all_same =
            enhanced.is_some() && raw.iter().all(|t| split(t, class).map(|x| x.0) == enhanced);
        let lines = raw
            .iter()
            .map(|t| match all_same {
                true => split(t, class).map_or("", |x| x.1).to_string(),
                false => t.to_string(),
            })
            .collect();
        Reply {
            code,
            enhanced: enhanced.filter(|_| all_same),
            lines,
        }
    }
}

fn line_code(line: &[u8]) -> Result<u16, ReplyError> {
    match line {
        [a @ b'2'..=b'5', b @ b'0'..=b'5', c @ b'0'..=b'9', ..] => {
            Ok(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => Err(ReplyError::BadCode {
            line: clip(&String::from_utf8_lossy(line), 64),
        }),
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// One EHLO keyword with its parameters (RFC 5321 4.1.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Capability {
    /// SIZE, with the limit if one is given (RFC 1870).
    Size(Option<u64>),
    /// PIPELINING (RFC 2920).
    Pipelining,
    /// 8BITMIME (RFC 6152).
    EightBitMime,
    /// SMTPUTF8 (RFC 6531).
    SmtpUtf8,
    /// CHUNKING, the BDAT command (RFC 3030).
    Chunking,
    /// BINARYMIME (RFC 3030).
    BinaryMime,
    /// STARTTLS (RFC 3207).
    StartTls,
    /// AUTH with its SASL mechanisms (RFC 4954).
    Auth(Vec<String>),
    /// DSN (RFC 3461).
    Dsn,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    EnhancedStatusCodes,
    /// REQUIRETLS (RFC 8689).
    RequireTls,
    /// Anything else, kept as sent.
    Other {
        /// ehlo-keyword, upper-cased.
        keyword: String,
        /// ehlo-params.
        params: Vec<String>,
    },
}

impl Capability {
    /// Parses one `ehlo-line`.
    ///
    /// ```text
    /// ehlo-line    = ehlo-keyword *( SP ehlo-param )
    /// ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
    /// ehlo-param   = 1*(%d33-126)
    /// ```
    ///
    /// Returns `None` for a line with a malformed keyword.
    pub fn parse(line: &str) -> Option<Self> {
        let mut words = line.split(' ').filter(|w| !w.is_empty());
        let kw = words.next()?;
        let kb = kw.as_bytes();
        if !kb[0].is_ascii_alphanumeric()
            || !kb.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        {
            return None;
        }
        let params: Vec<&str> = words.collect();
        if params
            .iter()
            .any(|p| !p.bytes().all(|b| (33..=126).contains(&b)))
        {
            return None;
        }
        let up = kw.to_ascii_uppercase();
        Some(match (up.as_str(), params.as_slice()) {
            ("SIZE", []) => Self::Size(None),
            ("SIZE", [n]) if n.parse::<u64>().is_ok() => Self::Size(n.parse().ok()),
            ("PIPELINING", []) => Self::Pipelining,
            ("8BITMIME", []) => Self::EightBitMime,
            ("SMTPUTF8", []) => Self::SmtpUtf8,
            ("CHUNKING", []) => Self::Chunking,
            ("BINARYMIME", []) => Self::BinaryMime,
            ("STARTTLS", []) => Self::StartTls,
            ("DSN", []) => Self::Dsn,
            ("ENHANCEDSTATUSCODES", []) => Self::EnhancedStatusCodes,
            ("REQUIRETLS", []) => Self::RequireTls,
            ("AUTH", p) => Self::Auth(p.iter().map(|m| m.to_ascii_uppercase()).collect()),
            _ => Self::Other {
                keyword: up,
                params: params.iter().map(|p| p.to_string()).collect(),
            },
        })
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Size(None) => f.write_str("SIZE"),
            Self::Size(Some(n)) => write!(f, "SIZE {n}"),
            Self::Pipelining => f.write_str("PIPELINING"),
            Self::EightBitMime => f.write_str("8BITMIME"),
            Self::SmtpUtf8 => f.write_str("SMTPUTF8"),
            Self::Chunking => f.write_str("CHUNKING"),
            Self::BinaryMime => f.write_str("BINARYMIME"),
            Self::StartTls => f.write_str("STARTTLS"),
            Self::Dsn => f.write_str("DSN"),
            Self::EnhancedStatusCodes => f.write_str("ENHANCEDSTATUSCODES"),
            Self::RequireTls => f.write_str("REQUIRETLS"),
            Self::Auth(m) => {
                f.write_str("AUTH")?;
                m.iter().try_for_each(|m| write!(f, " {m}"))
            }
            Self::Other { keyword, params } => {
                f.write_str(keyword)?;
                params.iter().try_for_each(|p| write!(f, " {p}"))
            }
        }
    }
}

/// The EHLO reply: the server's name and greeting, then capabilities.
///
/// ```text
/// ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
///             / ( "250-" Domain [ SP ehlo-greet ] CRLF
///                 *( "250-" ehlo-line CRLF )
///                 "250" SP ehlo-line CRLF )
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// First line: the server's domain and optional greeting.
    pub greeting: String,
    /// Advertised extensions, in order.
    pub list: Vec<Capability>,
}

impl Capabilities {
    /// Builds the 250 reply announcing these capabilities.
    pub fn to_reply(&self) -> Reply {
        let mut lines = Vec::with_capacity(self.list.len() + 1);
        lines.push(self.greeting.clone());
        lines.extend(self.list.iter().map(|c| c.to_string()));
        Reply::with_lines(250, None, lines)
    }

    /// Reads the capabilities out of an EHLO or LHLO reply; lines
    /// with a malformed keyword are skipped. Returns `None` unless the
    /// reply is a 250.
    pub fn from_reply(reply: &Reply) -> Option<Self> {
        if reply.code() != 250 {
            return None;
        }
        // An enhanced code is not expected here; if the parser took
        // one off, the greeting line would be wrong, so rebuild text.
        let lines = reply.lines();
        Some(Self {
            greeting: lines[0].clone(),
            list: lines[1..]
                .iter()
                .filter_map(|l| Capability::parse(l))
                .collect(),
        })
    }

    /// True when `cap` (compared by kind) is offered.
    pub fn has(&self, cap: &Capability) -> bool {
        self.list
            .iter()
            .any(|c| std::mem::discriminant(c) == std::mem::discriminant(cap))
    }

    /// The SASL mechanisms offered with AUTH.
    pub fn auth_mechanisms(&self) -> &[String] {
        self.list
            .iter()
            .find_map(|c| match c {
                Capability::Auth(m) => Some(m.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        type Want = Result<(u16, Option<&'static str>, &'static [&'static str], usize), ReplyError>;
        let table: &[(&[u8], Want)] = &[
            (b"250 OK\r\n", Ok((250, None, &["OK"], 8))),
            (b"250\r\n", Ok((250, None, &[""], 5))),
            (
                b"250 2.1.0 Sender ok\r\n",
                Ok((250, Some("2.1.0"), &["Sender ok"], 21)),
            ),
            (
                b"250-a\r\n250-b\r\n250 c\r\nrest",
                Ok((250, None, &["a", "b", "c"], 21)),
            ),
            (
                b"550-5.1.1 no\r\n550 5.1.1 such user\r\n",
                Ok((550, Some("5.1.1"), &["no", "such user"], 35)),
            ),
            // A class that disagrees with the code is plain text.
            (b"250 5.1.1 x\r\n", Ok((250, None, &["5.1.1 x"], 13))),
            (b"220 hi\n", Ok((220, None, &["hi"], 7))),
            (b"250-a\r\n", Err(ReplyError::Incomplete)),
            (b"250 OK", Err(ReplyError::Incomplete)),
            (
                b"250-a\r\n251 b\r\n",
                Err(ReplyError::CodeMismatch {
                    expected: 250,
                    found: 251,
                }),
            ),
            (b"250xOK\r\n", Err(ReplyError::BadSeparator { byte: b'x' })),
            (
                b"199 x\r\n",
                Err(ReplyError::BadCode {
                    line: "199 x".into(),
                }),
            ),
            (b"2\r\n", Err(ReplyError::BadCode { line: "2".into() })),
        ];
        for (input, want) in table {
            let got = Reply::parse(input);
            match (got, want) {
                (Ok((r, n)), Ok((code, enh, lines, used))) => {
                    assert_eq!(r.code(), *code);
                    assert_eq!(r.enhanced().map(|e| e.to_string()).as_deref(), *enh);
                    assert_eq!(r.lines(), *lines);
                    assert_eq!(n, *used);
                }
                (Err(e), Err(w)) => assert_eq!(&e, w),
                (g, w) => panic!(
                    "{:?}: got {g:?}, want {w:?}",
                    String::from_utf8_lossy(input)
                ),
            }
        }
    }

    #[test]
    fn encode_multiline() {
        let r = Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "a\nb");
        assert_eq!(r.to_bytes(), b"250-2.0.0 a\r\n250 2.0.0 b\r\n");
        let r = Reply::new(250, None, "a\r\nb");
        assert_eq!(r.to_bytes(), b"250-a\r\n250 b\r\n");
    }

    #[test]
    fn control_characters_never_split_a_line() {
        // A caller's text with a stray CR, and a peer's reply with a
        // NUL: each stays one line on the wire.
        let r = Reply::with_lines(
            550,
            None,
            vec!["no\rMAIL FROM:<x>".into(), "a\0b\tc".into()],
        );
        assert_eq!(r.to_bytes(), b"550-no MAIL FROM:<x>\r\n550 a b\tc\r\n");
        let (p, _) = Reply::parse(b"250 a\x01b\r\n").unwrap();
        assert_eq!(p.to_bytes(), b"250 a b\r\n");
    }

    #[test]
    fn capabilities() {
        let raw = b"250-mx.example Hello\r\n250-SIZE 52428800\r\n250-PIPELINING\r\n250-AUTH PLAIN login\r\n250-X-FOO bar\r\n250 STARTTLS\r\n";
        let (r, _) = Reply::parse(raw).unwrap();
        let c = Capabilities::from_reply(&r).unwrap();
        assert_eq!(c.greeting, "mx.example Hello");
        assert_eq!(
            c.list,
            vec![
                Capability::Size(Some(52428800)),
                Capability::Pipelining,
                Capability::Auth(vec!["PLAIN".into(), "LOGIN".into()]),
                Capability::Other {
                    keyword: "X-FOO".into(),
                    params: vec!["bar".into()]
                },
                Capability::StartTls,
            ]
        );
        assert!(c.has(&Capability::Pipelining));
        assert!(!c.has(&Capability::Chunking));
        assert_eq!(c.auth_mechanisms(), ["PLAIN", "LOGIN"]);
    }
}
