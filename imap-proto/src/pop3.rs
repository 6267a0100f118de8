//! POP3 (RFC 1939) with CAPA (RFC 2449), STLS (RFC 2595), SASL
//! (RFC 5034), UIDL, TOP and PIPELINING: command parser and encoder,
//! reply parser and encoder, multi-line bodies, line splitting and the
//! AUTHORIZATION / TRANSACTION / UPDATE states.
//!
//! ```
//! use rampart_imap_proto::pop3::{Command, Pop3Session, Pop3State, Reply, parse_command};
//!
//! let mut s = Pop3Session::new();
//! let cmd = parse_command(b"USER alice\r\n").unwrap();
//! assert_eq!(cmd, Command::User("alice"));
//! s.check(&cmd).unwrap();
//! s.complete(&cmd, true);
//! s.check(&parse_command(b"PASS secret\r\n").unwrap()).unwrap();
//! s.complete(&Command::Pass("secret"), true);
//! assert_eq!(s.state(), Pop3State::Transaction);
//! assert_eq!(Reply::ok("2 320").encode(), b"+OK 2 320\r\n");
//! ```

use std::borrow::Cow;

use memchr::memchr;
use thiserror::Error;

/// Longest command line, CRLF included (RFC 2449 section 4).
pub const MAX_COMMAND_LINE: usize = 255;

/// Why a POP3 line was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Pop3Error {
    /// The line does not end with CRLF, or holds a CR, LF or NUL
    /// before it.
    #[error("line does not end with a single CRLF")]
    NoCrlf,
    /// The line is longer than allowed.
    #[error("line longer than {0} bytes")]
    TooLong(usize),
    /// Not UTF-8.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// Unknown command keyword.
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// Wrong arguments for the command.
    #[error("bad arguments for {0}")]
    BadArguments(&'static str),
    /// A reply that is neither `+OK`, `-ERR` nor `+ `.
    #[error("malformed reply")]
    BadReply,
    /// A line of a scan listing (LIST, STAT) or unique-id listing
    /// (UIDL) that is not `msg SP value`.
    #[error("malformed listing line")]
    BadListing,
}

impl Pop3Error {
    /// The `-ERR` reply a server sends for this error; the session goes
    /// on in the same state.
    pub fn reply(&self) -> Reply<'static> {
        Reply::err(self.to_string())
    }
}

/// A POP3 command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command<'a> {
    /// `USER name`
    User(&'a str),
    /// `PASS password` (may contain spaces)
    Pass(&'a str),
    /// `APOP name digest`
    Apop {
        /// Mailbox name.
        name: &'a str,
        /// MD5 digest, hex.
        digest: &'a str,
    },
    /// `STAT`
    Stat,
    /// `LIST [msg]`
    List(Option<u32>),
    /// `RETR msg`
    Retr(u32),
    /// `DELE msg`
    Dele(u32),
    /// `NOOP`
    Noop,
    /// `RSET`
    Rset,
    /// `QUIT`
    Quit,
    /// `TOP msg n`
    Top {
        /// Message number.
        msg: u32,
        /// Body lines to send after the header.
        lines: u32,
    },
    /// `UIDL [msg]`
    Uidl(Option<u32>),
    /// `CAPA`
    Capa,
    /// `STLS`
    Stls,
    /// `AUTH [mechanism [initial-response]]` (no mechanism: list them)
    Auth {
        /// SASL mechanism.
        mechanism: Option<&'a str>,
        /// Base64 initial response, `=` for empty.
        initial: Option<&'a str>,
    },
}

/// The line without its CRLF; a CR, LF or NUL inside is refused.
fn strip_crlf(line: &[u8]) -> Result<&[u8], Pop3Error> {
    let l = line.strip_suffix(b"\r\n").ok_or(Pop3Error::NoCrlf)?;
    if l.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Pop3Error::NoCrlf);
    }
    Ok(l)
}

fn msg_no(s: &str, cmd: &'static str) -> Result<u32, Pop3Error> {
    // Message numbers are positive decimal numbers without sign.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Pop3Error::BadArguments(cmd));
    }
    match s.parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(Pop3Error::BadArguments(cmd)),
    }
}

/// Parses one command line (CRLF included).
///
/// ```abnf
/// command      = keyword *(SP param) CRLF    ; RFC 2449 section 3
/// keyword      = 3*4VCHAR
/// param        = 1*VCHAR
/// ; USER name / PASS string / APOP name digest / STAT / LIST [msg] /
/// ; RETR msg / DELE msg / NOOP / RSET / QUIT / TOP msg n /
/// ; UIDL [msg] (RFC 1939), CAPA (RFC 2449), STLS (RFC 2595),
/// ; AUTH [mechanism [initial-response]] (RFC 5034)
/// ```
///
/// # Errors
///
/// Reply `-ERR` with the error text; the session goes on.
pub fn parse_command(line: &[u8]) -> Result<Command<'_>, Pop3Error> {
    if line.len() > MAX_COMMAND_LINE {
        return Err(Pop3Error::TooLong(MAX_COMMAND_LINE));
    }
    let l = strip_crlf(line)?;
    let l = std::str::from_utf8(l).map_err(|_| Pop3Error::InvalidUtf8)?;
    let (kw, rest) = match l.split_once(' ') {
        Some((k, r)) => (k, Some(r)),
        None => (l, None),
    };
    let args: Vec<&str> = rest.map(|r| r.split(' ').collect()).unwrap_or_default();
    let up = kw.to_ascii_uppercase();
    let n_args = |n: usize, name: &'static str| {
        if args.len() == n && args.iter().all(|a| !a.is_empty()) {
            Ok(())
        } else {
            Err(Pop3Error::BadArguments(name))
        }
    };
    let opt_msg = |name: &'static str| -> Result<Option<u32>, Pop3Error> {
        match args.as_slice() {
            [] => Ok(None),
            [a] => msg_no(a, name).map(Some),
            _ => Err(Pop3Error::BadArguments(name)),
        }
    };
    Ok(match up.as_str() {
        "USER" => {
            n_args(1, "USER")?;
            Command::User(args[0])
        }
        "PASS" => match rest {
            Some(p) if !p.is_empty() => Command::Pass(p),
            _ => return Err(Pop3Error::BadArguments("PASS")),
        },
        "APOP" => {
            n_args(2, "APOP")?;
            Command::Apop {
                name: args[0],
                digest: args[1],
            }
        }
        "STAT" | "NOOP" | "RSET" | "QUIT" | "CAPA" | "STLS" => {
            if !args.is_empty() {
                return Err(Pop3Error::BadArguments(match up.as_str() {
                    "STAT" => "STAT",
                    "NOOP" => "NOOP",
                    "RSET" => "RSET",
                    "QUIT" => "QUIT",
                    "CAPA" => "CAPA",
                    _ => "STLS",
                }));
            }
            match up.as_str() {
                "STAT" => Command::Stat,
                "NOOP" => Command::Noop,
                "RSET" => Command::Rset,
                "QUIT" => Command::Quit,
                "CAPA" => Command::Capa,
                _ => Command::Stls,
            }
        }
        "LIST" => Command::List(opt_msg("LIST")?),
        "UIDL" => Command::Uidl(opt_msg("UIDL")?),
        "RETR" => {
            n_args(1, "RETR")?;
            Command::Retr(msg_no(args[0], "RETR")?)
        }
        "DELE" => {
            n_args(1, "DELE")?;
            Command::Dele(msg_no(args[0], "DELE")?)
        }
        "TOP" => {
            n_args(2, "TOP")?;
            let lines = args[1]
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| args[1].parse::<u32>().ok())
                .flatten()
                .ok_or(Pop3Error::BadArguments("TOP"))?;
            Command::Top {
                msg: msg_no(args[0], "TOP")?,
                lines,
            }
        }
        "AUTH" => match args.as_slice() {
            [] => Command::Auth {
                mechanism: None,
                initial: None,
            },
            [m] if !m.is_empty() => Command::Auth {
                mechanism: Some(m),
                initial: None,
            },
            [m, i] if !m.is_empty() && !i.is_empty() => Command::Auth {
                mechanism: Some(m),
                initial: Some(i),
            },
            _ => return Err(Pop3Error::BadArguments("AUTH")),
        },
        _ => return Err(Pop3Error::UnknownCommand(kw.chars().take(40).collect())),
    })
}

impl Command<'_> {
    /// The command keyword.
    pub fn name(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Apop { .. } => "APOP",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Retr(_) => "RETR",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Top { .. } => "TOP",
            Command::Uidl(_) => "UIDL",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::Auth { .. } => "AUTH",
        }
    }

    /// Whether the server answers with a multi-line body on success.
    pub fn multi_line(&self) -> bool {
        matches!(
            self,
            Command::List(None)
                | Command::Uidl(None)
                | Command::Retr(_)
                | Command::Top { .. }
                | Command::Capa
                | Command::Auth {
                    mechanism: None,
                    ..
                }
        )
    }

    /// Encodes the command as a client sends it.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = String::from(self.name());
        let mut arg = |a: &str| {
            s.push(' ');
            s.push_str(a);
        };
        match self {
            Command::User(a) | Command::Pass(a) => arg(a),
            Command::Apop { name, digest } => {
                arg(name);
                arg(digest);
            }
            Command::List(Some(n))
            | Command::Uidl(Some(n))
            | Command::Retr(n)
            | Command::Dele(n) => arg(&n.to_string()),
            Command::Top { msg, lines } => {
                arg(&msg.to_string());
                arg(&lines.to_string());
            }
            Command::Auth { mechanism, initial } => {
                if let Some(m) = mechanism {
                    arg(m);
                }
                if let Some(i) = initial {
                    arg(i);
                }
            }
            _ => {}
        }
        s.push_str("\r\n");
        s.into_bytes()
    }
}

/// A status line from the server.
///
/// ```abnf
/// single-line  = status [SP text] CRLF
/// status       = "+OK" / "-ERR"
/// resp-code    = "[" resp-level *("/" resp-level) "]"   ; RFC 2449
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `+OK [code] text`
    Ok {
        /// Extended response code (RFC 2449), without brackets.
        code: Option<Cow<'a, str>>,
        /// Text.
        text: Cow<'a, str>,
    },
    /// `-ERR [code] text`
    Err {
        /// Extended response code such as `IN-USE`, `AUTH`, `SYS/TEMP`.
        code: Option<Cow<'a, str>>,
        /// Text.
        text: Cow<'a, str>,
    },
    /// `+ base64` SASL challenge (RFC 5034).
    Challenge(Cow<'a, str>),
}

impl<'a> Reply<'a> {
    /// `+OK text`
    pub fn ok(text: impl Into<Cow<'a, str>>) -> Self {
        Reply::Ok {
            code: None,
            text: text.into(),
        }
    }

    /// `-ERR text`
    pub fn err(text: impl Into<Cow<'a, str>>) -> Self {
        Reply::Err {
            code: None,
            text: text.into(),
        }
    }

    /// `-ERR [code] text`
    pub fn err_code(code: &'a str, text: impl Into<Cow<'a, str>>) -> Self {
        Reply::Err {
            code: Some(Cow::Borrowed(code)),
            text: text.into(),
        }
    }

    /// Encodes the line, CRLF included; CR, LF and NUL in the text become
    /// spaces.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let (head, code, text) = match self {
            Reply::Ok { code, text } => ("+OK", code.as_deref(), text.as_ref()),
            Reply::Err { code, text } => ("-ERR", code.as_deref(), text.as_ref()),
            Reply::Challenge(c) => ("+", None, c.as_ref()),
        };
        out.extend_from_slice(head.as_bytes());
        if let Some(c) = code {
            out.extend_from_slice(b" [");
            out.extend(c.bytes().map(|b| {
                if b == b']' || !b.is_ascii_graphic() {
                    b'-'
                } else {
                    b
                }
            }));
            out.push(b']');
        }
        if !text.is_empty() || matches!(self, Reply::Challenge(_)) {
            out.push(b' ');
            let start = out.len();
            out.extend_from_slice(text.as_bytes());
            for b in &mut out[start..] {
                if *b == b'\r' || *b == b'\n' || *b == 0 {
                    *b = b' ';
                }
            }
            // A text that starts with "[" would read as a code; the
            // parser drops one leading space.
            if code.is_none()
                && (text.starts_with('[') || text.starts_with(' '))
                && !matches!(self, Reply::Challenge(_))
            {
                out.insert(start, b' ');
            }
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

type CodeText<'a> = (Option<Cow<'a, str>>, Cow<'a, str>);

fn split_code(rest: &str) -> CodeText<'_> {
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    // A code is printable ASCII without spaces (resp-level atoms).
    if let Some(r) = rest.strip_prefix('[')
        && let Some((code, text)) = r.split_once(']')
        && code.bytes().all(|b| b.is_ascii_graphic())
    {
        return (
            Some(Cow::Borrowed(code)),
            Cow::Borrowed(text.strip_prefix(' ').unwrap_or(text)),
        );
    }
    (None, Cow::Borrowed(rest.strip_prefix(' ').unwrap_or(rest)))
}

/// Parses a status line (CRLF included).
///
/// ```abnf
/// single-line  = status [SP text] CRLF
/// status       = "+OK" / "-ERR"
/// resp-code    = "[" resp-level *("/" resp-level) "]"   ; RFC 2449
/// continue-req = "+" SP [base64] CRLF                   ; RFC 5034
/// ```
///
/// # Errors
///
/// Fails on a line that is not `+OK`, `-ERR` or `+ `.
pub fn parse_reply(line: &[u8]) -> Result<Reply<'_>, Pop3Error> {
    let l = strip_crlf(line)?;
    let l = std::str::from_utf8(l).map_err(|_| Pop3Error::InvalidUtf8)?;
    if let Some(r) = l.strip_prefix("+OK") {
        if !(r.is_empty() || r.starts_with(' ')) {
            return Err(Pop3Error::BadReply);
        }
        let (code, text) = split_code(r);
        Ok(Reply::Ok { code, text })
    } else if let Some(r) = l.strip_prefix("-ERR") {
        if !(r.is_empty() || r.starts_with(' ')) {
            return Err(Pop3Error::BadReply);
        }
        let (code, text) = split_code(r);
        Ok(Reply::Err { code, text })
    } else if let Some(r) = l.strip_prefix("+ ") {
        Ok(Reply::Challenge(Cow::Borrowed(r)))
    } else if l == "+" {
        Ok(Reply::Challenge(Cow::Borrowed("")))
    } else {
        Err(Pop3Error::BadReply)
    }
}

/// Parses the client's answer to a SASL challenge during AUTH: a base64
/// line, or `*` (for `None`) to cancel (RFC 5034 section 4). These
/// lines are not held to the 255-byte command limit.
///
/// ```abnf
/// client-response = *base64 CRLF / "*" CRLF
/// ```
///
/// # Errors
///
/// Fails on anything but base64 characters and CRLF.
pub fn parse_auth_response(line: &[u8]) -> Result<Option<&str>, Pop3Error> {
    let l = strip_crlf(line)?;
    if l == b"*" {
        return Ok(None);
    }
    if !l
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    {
        return Err(Pop3Error::BadArguments("AUTH"));
    }
    Ok(Some(crate::lex::ascii(l)))
}

/// The inverse of [`parse_auth_response`].
pub fn encode_auth_response(response: Option<&str>) -> Vec<u8> {
    let mut out = response.unwrap_or("*").as_bytes().to_vec();
    out.extend_from_slice(b"\r\n");
    out
}

/// One line of a scan listing (`LIST`, and the `STAT` reply text):
/// message number and size in octets.
///
/// ```abnf
/// scan-listing = msg SP size           ; RFC 1939 sections 5 and 7
/// ```
///
/// # Errors
///
/// [`Pop3Error::BadListing`] when the line is not two decimal numbers.
pub fn parse_scan_listing(line: &[u8]) -> Result<(u32, u64), Pop3Error> {
    let (a, b) = listing(line)?;
    let msg = a.parse().map_err(|_| Pop3Error::BadListing)?;
    if !b.bytes().all(|c| c.is_ascii_digit()) {
        return Err(Pop3Error::BadListing);
    }
    Ok((msg, b.parse().map_err(|_| Pop3Error::BadListing)?))
}

/// One line of a unique-id listing (`UIDL`): message number and its
/// unique id (1 to 70 characters from 0x21 to 0x7e).
///
/// ```abnf
/// unique-id-listing = msg SP unique-id  ; RFC 1939 section 7
/// unique-id         = 1*70(%x21-7E)
/// ```
///
/// # Errors
///
/// [`Pop3Error::BadListing`] when the line does not follow the rule.
pub fn parse_uid_listing(line: &[u8]) -> Result<(u32, &str), Pop3Error> {
    let (a, b) = listing(line)?;
    let msg = a.parse().map_err(|_| Pop3Error::BadListing)?;
    if b.len() > 70 || !b.bytes().all(|c| c.is_ascii_graphic()) {
        return Err(Pop3Error::BadListing);
    }
    Ok((msg, b))
}

/// Splits `msg SP value` (CRLF optional: the line may come from a
/// single-line reply's text).
fn listing(line: &[u8]) -> Result<(&str, &str), Pop3Error> {
    let l = line.strip_suffix(b"\r\n").unwrap_or(line);
    let l = std::str::from_utf8(l).map_err(|_| Pop3Error::BadListing)?;
    let (a, b) = l.split_once(' ').ok_or(Pop3Error::BadListing)?;
    if a.is_empty() || b.is_empty() || !a.bytes().all(|c| c.is_ascii_digit()) || a.starts_with('0')
    {
        return Err(Pop3Error::BadListing);
    }
    Ok((a, b))
}

/// Writes one listing line, `msg SP value CRLF`, for [`parse_scan_listing`]
/// and [`parse_uid_listing`] (pass the size or the unique id).
pub fn encode_listing(out: &mut Vec<u8>, msg: u32, value: &str) {
    out.extend_from_slice(msg.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// Appends a multi-line body: each line dot-stuffed, a final CRLF added
/// when missing, then the `.` terminator.
pub fn encode_multi_line(out: &mut Vec<u8>, body: &[u8]) {
    let mut rest = body;
    while !rest.is_empty() {
        let end = memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let line = &rest[..end];
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        rest = &rest[end..];
    }
    if !body.is_empty() && !body.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

/// Undoes dot-stuffing of one received body line. Returns `None` for the
/// terminating `.` line.
pub fn unstuff_line(line: &[u8]) -> Option<&[u8]> {
    if line == b".\r\n" || line == b".\n" {
        return None;
    }
    Some(line.strip_prefix(b".").unwrap_or(line))
}

/// Splits a byte stream into lines in bounded memory (POP3 has no
/// literals). Over-long lines are reported and skipped.
#[derive(Debug, Clone)]
pub struct LineBuffer {
    buf: Vec<u8>,
    consumed: usize,
    max: usize,
    skipping: bool,
}

/// What [`LineBuffer::poll`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'b> {
    /// A complete line, CRLF included.
    Line(&'b [u8]),
    /// A line longer than the limit was dropped.
    TooLong,
}

impl LineBuffer {
    /// A splitter accepting lines of up to `max` bytes.
    pub fn new(max: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            consumed: 0,
            max,
            skipping: false,
        }
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes held and not handed out yet.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.consumed
    }

    /// Takes the bytes held, leaving the buffer empty: after STLS the
    /// server drops them (plaintext sent before the TLS handshake must
    /// not be read as commands).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        self.skipping = false;
        std::mem::take(&mut self.buf)
    }

    /// The next line, or `None` when more bytes are needed.
    pub fn poll(&mut self) -> Option<Line<'_>> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        loop {
            match memchr(b'\n', &self.buf) {
                Some(i) if self.skipping => {
                    self.buf.drain(..=i);
                    self.skipping = false;
                }
                Some(i) if i < self.max => {
                    self.consumed = i + 1;
                    return Some(Line::Line(&self.buf[..=i]));
                }
                Some(i) => {
                    self.buf.drain(..=i);
                    return Some(Line::TooLong);
                }
                None if self.buf.len() > self.max => {
                    self.buf.clear();
                    let first = !self.skipping;
                    self.skipping = true;
                    return first.then_some(Line::TooLong);
                }
                None => return None,
            }
        }
    }
}

/// The POP3 session states (RFC 1939 section 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pop3State {
    /// Before the client identified itself.
    Authorization,
    /// Logged in: the maildrop is locked.
    Transaction,
    /// QUIT in TRANSACTION: delete messages marked, then close.
    Update,
    /// QUIT in AUTHORIZATION, or the server closed.
    Closed,
}

/// The rules of one POP3 connection, server side.
#[derive(Debug, Clone)]
pub struct Pop3Session {
    state: Pop3State,
    user_given: bool,
    tls: bool,
}

impl Default for Pop3Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Pop3Session {
    /// A new connection in AUTHORIZATION.
    pub fn new() -> Self {
        Pop3Session {
            state: Pop3State::Authorization,
            user_given: false,
            tls: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> Pop3State {
        self.state
    }

    /// Whether `cmd` is valid now.
    ///
    /// # Errors
    ///
    /// The `-ERR` reply text naming the command and state.
    pub fn check(&self, cmd: &Command<'_>) -> Result<(), String> {
        use Command as C;
        let ok = match (self.state, cmd) {
            (_, C::Capa) => matches!(
                self.state,
                Pop3State::Authorization | Pop3State::Transaction
            ),
            (Pop3State::Authorization, C::User(_) | C::Apop { .. } | C::Auth { .. } | C::Quit) => {
                true
            }
            (Pop3State::Authorization, C::Pass(_)) => self.user_given,
            (Pop3State::Authorization, C::Stls) => !self.tls,
            (
                Pop3State::Transaction,
                C::Stat
                | C::List(_)
                | C::Retr(_)
                | C::Dele(_)
                | C::Noop
                | C::Rset
                | C::Quit
                | C::Top { .. }
                | C::Uidl(_),
            ) => true,
            _ => false,
        };
        if ok {
            Ok(())
        } else if matches!(cmd, C::Pass(_)) && self.state == Pop3State::Authorization {
            Err("PASS must follow USER".into())
        } else {
            Err(format!(
                "{} not allowed in {:?} state",
                cmd.name(),
                self.state
            ))
        }
    }

    /// Records how `cmd` ended.
    pub fn complete(&mut self, cmd: &Command<'_>, ok: bool) {
        use Command as C;
        match (self.state, cmd) {
            (Pop3State::Authorization, C::User(_)) => self.user_given = ok,
            (
                Pop3State::Authorization,
                C::Pass(_)
                | C::Apop { .. }
                | C::Auth {
                    mechanism: Some(_), ..
                },
            ) => {
                self.user_given = false;
                if ok {
                    self.state = Pop3State::Transaction;
                }
            }
            (Pop3State::Authorization, C::Stls) if ok => self.tls = true,
            (Pop3State::Authorization, C::Quit) => self.state = Pop3State::Closed,
            (Pop3State::Transaction, C::Quit) => self.state = Pop3State::Update,
            _ => {}
        }
    }

    /// The UPDATE work is done (or failed); the connection closes.
    pub fn close(&mut self) {
        self.state = Pop3State::Closed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1939_commands() {
        let cases: &[(&[u8], Command<'_>)] = &[
            (b"USER mrose\r\n", Command::User("mrose")),
            (b"PASS secret pass\r\n", Command::Pass("secret pass")),
            (
                b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
                Command::Apop {
                    name: "mrose",
                    digest: "c4c9334bac560ecc979e58001b3e22fb",
                },
            ),
            (b"STAT\r\n", Command::Stat),
            (b"list\r\n", Command::List(None)),
            (b"LIST 2\r\n", Command::List(Some(2))),
            (b"RETR 1\r\n", Command::Retr(1)),
            (b"DELE 1\r\n", Command::Dele(1)),
            (b"TOP 1 10\r\n", Command::Top { msg: 1, lines: 10 }),
            (b"UIDL\r\n", Command::Uidl(None)),
            (
                b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
                Command::Auth {
                    mechanism: Some("PLAIN"),
                    initial: Some("dGVzdAB0ZXN0AHRlc3Q="),
                },
            ),
            (b"QUIT\r\n", Command::Quit),
        ];
        for (line, want) in cases {
            assert_eq!(parse_command(line).unwrap(), *want, "{line:?}");
            assert_eq!(parse_command(&want.encode()).unwrap(), *want);
        }
        for bad in [
            &b"RETR 0\r\n"[..],
            b"RETR\r\n",
            b"RETR -1\r\n",
            b"TOP 1\r\n",
            b"XYZZY\r\n",
            b"STAT",
        ] {
            assert!(parse_command(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse_command(&[b'A'; 300]), Err(Pop3Error::TooLong(255)));
    }

    #[test]
    fn replies_and_bodies() {
        let r = parse_reply(b"-ERR [IN-USE] Do you have another POP session running?\r\n").unwrap();
        assert_eq!(
            r,
            Reply::err_code("IN-USE", "Do you have another POP session running?")
        );
        assert_eq!(parse_reply(&r.encode()).unwrap(), r);
        assert_eq!(parse_reply(b"+OK\r\n").unwrap(), Reply::ok(""));
        assert!(parse_reply(b"+OKAY\r\n").is_err());
        let mut out = Vec::new();
        encode_multi_line(&mut out, b"Subject: x\r\n\r\n.hidden\r\nlast");
        assert_eq!(out, b"Subject: x\r\n\r\n..hidden\r\nlast\r\n.\r\n");
        let mut lb = LineBuffer::new(100);
        lb.feed(&out);
        let mut body = Vec::new();
        while let Some(Line::Line(l)) = lb.poll() {
            match unstuff_line(l) {
                Some(l) => body.extend_from_slice(l),
                None => break,
            }
        }
        assert_eq!(body, b"Subject: x\r\n\r\n.hidden\r\nlast\r\n");
    }

    #[test]
    fn long_lines_bounded() {
        let mut lb = LineBuffer::new(255);
        let chunk = vec![b'x'; 4096];
        let mut events = 0;
        for _ in 0..2560 {
            lb.feed(&chunk);
            while let Some(l) = lb.poll() {
                assert_eq!(l, Line::TooLong);
                events += 1;
            }
            assert!(lb.buffered() <= 4096);
        }
        lb.feed(b"\r\nNOOP\r\n");
        assert_eq!(lb.poll(), Some(Line::Line(b"NOOP\r\n")));
        assert_eq!(events, 1);
    }

    #[test]
    fn sasl_and_listings() {
        // RFC 5034 section 6.
        assert_eq!(
            parse_command(b"AUTH PLAIN\r\n").unwrap(),
            Command::Auth {
                mechanism: Some("PLAIN"),
                initial: None
            }
        );
        assert_eq!(parse_reply(b"+ \r\n").unwrap(), Reply::Challenge("".into()));
        assert_eq!(
            parse_auth_response(b"dGVzdAB0ZXN0AHRlc3Q=\r\n").unwrap(),
            Some("dGVzdAB0ZXN0AHRlc3Q=")
        );
        assert_eq!(parse_auth_response(b"*\r\n").unwrap(), None);
        assert_eq!(parse_auth_response(b"\r\n").unwrap(), Some(""));
        assert!(parse_auth_response(b"not base64!\r\n").is_err());
        assert_eq!(encode_auth_response(None), b"*\r\n");
        // RFC 1939 section 7 (LIST, STAT, UIDL).
        assert_eq!(parse_scan_listing(b"2 200\r\n").unwrap(), (2, 200));
        assert_eq!(parse_scan_listing(b"2 320").unwrap(), (2, 320));
        assert_eq!(
            parse_uid_listing(b"1 whqtswO00WBw418f9t5JxYwZ\r\n").unwrap(),
            (1, "whqtswO00WBw418f9t5JxYwZ")
        );
        for bad in [
            &b"0 200\r\n"[..],
            b"2\r\n",
            b"2 x\r\n",
            b" 2 3\r\n",
            b"a 1\r\n",
        ] {
            assert!(parse_scan_listing(bad).is_err(), "{bad:?}");
        }
        let long = format!("1 {}\r\n", "u".repeat(71));
        assert!(parse_uid_listing(long.as_bytes()).is_err());
        assert!(parse_uid_listing(b"1 a b\r\n").is_err());
        let mut out = Vec::new();
        encode_listing(&mut out, 3, "QhdPYR:00WBw1Ph7x7");
        assert_eq!(out, b"3 QhdPYR:00WBw1Ph7x7\r\n");
        // Errors have replies.
        let e = parse_command(b"XYZZY\r\n").unwrap_err();
        assert_eq!(e.reply().encode(), b"-ERR unknown command \"XYZZY\"\r\n");
    }

    #[test]
    fn stls_and_capa() {
        let mut s = Pop3Session::new();
        assert!(s.check(&Command::Capa).is_ok());
        assert!(s.check(&Command::Stls).is_ok());
        s.complete(&Command::Stls, true);
        assert!(s.check(&Command::Stls).is_err());
        // Plaintext that came with STLS is dropped before the handshake.
        let mut lb = LineBuffer::new(255);
        lb.feed(b"STLS\r\nUSER injected\r\n");
        assert_eq!(lb.poll(), Some(Line::Line(b"STLS\r\n")));
        assert_eq!(lb.take_buffered(), b"USER injected\r\n");
        assert_eq!(lb.poll(), None);
        s.complete(&Command::User("a"), true);
        s.complete(&Command::Pass("b"), true);
        assert_eq!(s.state(), Pop3State::Transaction);
        assert!(s.check(&Command::Capa).is_ok());
        assert!(s.check(&Command::Stls).is_err());
        assert!(
            s.check(&Command::Auth {
                mechanism: None,
                initial: None
            })
            .is_err()
        );
        s.complete(&Command::Quit, true);
        assert!(s.check(&Command::Capa).is_err());
        s.close();
        assert_eq!(s.state(), Pop3State::Closed);
    }

    #[test]
    fn states() {
        let mut s = Pop3Session::new();
        assert!(s.check(&Command::Stat).is_err());
        assert!(s.check(&Command::Pass("x")).is_err());
        s.complete(&Command::User("a"), true);
        s.complete(&Command::Pass("x"), false);
        assert!(s.check(&Command::Pass("x")).is_err());
        s.complete(
            &Command::Apop {
                name: "a",
                digest: "d",
            },
            true,
        );
        assert_eq!(s.state(), Pop3State::Transaction);
        assert!(s.check(&Command::User("a")).is_err());
        assert!(s.check(&Command::Stls).is_err());
        s.complete(&Command::Quit, true);
        assert_eq!(s.state(), Pop3State::Update);
    }
}
