//! Client commands (RFC 5321 4.1.1, RFC 2033, and extensions).

use std::fmt;

use crate::chars::{self, MECH};
use crate::error::{CommandError, clip};
use crate::params::{MailParams, RcptParams, digits, mail_command, rcpt_command};
use crate::path::{ForwardPath, ReversePath, check_host, parse_forward_path, parse_reverse_path};

/// One client command, borrowing its text from the input line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// `HELO domain`
    Helo {
        /// Client's name (Domain or address literal).
        domain: &'a str,
    },
    /// `EHLO domain`
    Ehlo {
        /// Client's name (Domain or address literal).
        domain: &'a str,
    },
    /// `LHLO domain` (LMTP, RFC 2033).
    Lhlo {
        /// Client's name.
        domain: &'a str,
    },
    /// `MAIL FROM:<path> params`
    Mail {
        /// Sender.
        from: ReversePath<'a>,
        /// ESMTP parameters.
        params: MailParams<'a>,
    },
    /// `RCPT TO:<path> params`
    Rcpt {
        /// Recipient.
        to: ForwardPath<'a>,
        /// ESMTP parameters.
        params: RcptParams<'a>,
    },
    /// `DATA`
    Data,
    /// `BDAT size [LAST]` (RFC 3030).
    Bdat {
        /// Octets in the chunk that follows.
        size: u64,
        /// True when this is the last chunk.
        last: bool,
    },
    /// `RSET`
    Rset,
    /// `VRFY string`
    Vrfy {
        /// What to verify.
        arg: &'a str,
    },
    /// `EXPN string`
    Expn {
        /// List to expand.
        arg: &'a str,
    },
    /// `HELP [string]`
    Help {
        /// Topic.
        topic: Option<&'a str>,
    },
    /// `NOOP [string]`
    Noop {
        /// Ignored argument.
        arg: Option<&'a str>,
    },
    /// `QUIT`
    Quit,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth {
        /// SASL mechanism, as sent.
        mechanism: &'a str,
        /// Base64 initial response; `=` stands for an empty one.
        initial: Option<&'a str>,
    },
}

impl Command<'_> {
    /// The command verb, upper case.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Helo { .. } => "HELO",
            Self::Ehlo { .. } => "EHLO",
            Self::Lhlo { .. } => "LHLO",
            Self::Mail { .. } => "MAIL",
            Self::Rcpt { .. } => "RCPT",
            Self::Data => "DATA",
            Self::Bdat { .. } => "BDAT",
            Self::Rset => "RSET",
            Self::Vrfy { .. } => "VRFY",
            Self::Expn { .. } => "EXPN",
            Self::Help { .. } => "HELP",
            Self::Noop { .. } => "NOOP",
            Self::Quit => "QUIT",
            Self::StartTls => "STARTTLS",
            Self::Auth { .. } => "AUTH",
        }
    }

    /// Appends the wire form (with CRLF) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        // Writing to a Vec cannot fail.
        let _ = write!(out, "{self}\r\n");
    }
}

impl fmt::Display for Command<'_> {
    /// The command line without CRLF.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.verb();
        match self {
            Self::Helo { domain } | Self::Ehlo { domain } | Self::Lhlo { domain } => {
                write!(f, "{v} {domain}")
            }
            Self::Mail { from, params } => write!(f, "MAIL FROM:{from}{params}"),
            Self::Rcpt { to, params } => write!(f, "RCPT TO:{to}{params}"),
            Self::Bdat { size, last: true } => write!(f, "BDAT {size} LAST"),
            Self::Bdat { size, last: false } => write!(f, "BDAT {size}"),
            Self::Vrfy { arg } | Self::Expn { arg } => write!(f, "{v} {arg}"),
            Self::Help { topic: Some(a) } | Self::Noop { arg: Some(a) } => write!(f, "{v} {a}"),
            Self::Auth {
                mechanism,
                initial: Some(i),
            } => write!(f, "AUTH {mechanism} {i}"),
            Self::Auth { mechanism, .. } => write!(f, "AUTH {mechanism}"),
            _ => f.write_str(v),
        }
    }
}

/// Default command-line limit, CRLF included. RFC 5321 4.5.3.1.4
/// sets 512 and lets each extension add to it; 2048 leaves room for
/// every parameter we know plus a long AUTH initial response.
pub const DEFAULT_MAX_LINE: usize = 2048;

#[cold]
fn syntax(command: &'static str, reason: &'static str) -> CommandError {
    CommandError::Syntax { command, reason }
}

/// Parses one command line. `line` may end in CRLF or LF, which is
/// removed, as are trailing spaces (a common client slip). Nothing is
/// allocated unless the line is bad: the command borrows from `line`.
///
/// ```text
/// ehlo     = "EHLO" SP ( Domain / address-literal ) CRLF
/// helo     = "HELO" SP Domain CRLF
/// lhlo     = "LHLO" SP Domain CRLF                       ; RFC 2033
/// mail     = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
/// rcpt     = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" /
///            Forward-path ) [SP Rcpt-parameters] CRLF
/// data     = "DATA" CRLF
/// bdat     = "BDAT" SP chunk-size [ SP end-marker ] CRLF   ; RFC 3030
/// rset     = "RSET" CRLF
/// vrfy     = "VRFY" SP String CRLF
/// expn     = "EXPN" SP String CRLF
/// help     = "HELP" [ SP String ] CRLF
/// noop     = "NOOP" [ SP String ] CRLF
/// quit     = "QUIT" CRLF
/// starttls = "STARTTLS" CRLF                              ; RFC 3207
/// auth     = "AUTH" SP sasl-mech [SP initial-response] CRLF ; RFC 4954
/// ```
///
/// Tolerated deviations: verbs in any case, an address literal after
/// HELO, spaces between `FROM:` and the path, several spaces between
/// parameters. UTF-8 is accepted here; whether SMTPUTF8 allows it is
/// checked for MAIL (the `SMTPUTF8` parameter) here and for RCPT by
/// the session.
///
/// Commands that RFC 5321 or another RFC defines but this crate does
/// not implement (`TURN`, `SEND`, `SOML`, `SAML`, `ETRN`, `ATRN`,
/// `BURL`) give [`CommandError::NotImplemented`] (502); any other verb
/// gives [`CommandError::UnknownCommand`] (500).
///
/// # Errors
///
/// A [`CommandError`]; [`CommandError::reply`] gives the reply.
pub fn parse_command(line: &[u8]) -> Result<Command<'_>, CommandError> {
    const DATA: u32 = key4(*b"data");
    const RSET: u32 = key4(*b"rset");
    const QUIT: u32 = key4(*b"quit");
    const NOOP: u32 = key4(*b"noop");
    const HELP: u32 = key4(*b"help");
    let line = trim_line(line);
    // The commands without an argument, before the full parser and
    // its larger stack frame.
    if let &[a, b, c, d] = line {
        match key4([a, b, c, d]) {
            DATA => return Ok(Command::Data),
            RSET => return Ok(Command::Rset),
            QUIT => return Ok(Command::Quit),
            NOOP => return Ok(Command::Noop { arg: None }),
            HELP => return Ok(Command::Help { topic: None }),
            _ => {}
        }
    }
    parse_full(line)
}

#[inline(never)]
fn parse_full(line: &[u8]) -> Result<Command<'_>, CommandError> {
    // The parsers below build the command in place and hand it back
    // untouched: re-wrapping it (`Ok(x?)`) would copy it through the
    // stack, which costs more than parsing a short line.
    let r = parse_line(line);
    if r.is_err()
        && let Some(byte) = control_byte(line)
    {
        return Err(CommandError::ControlCharacter { byte });
    }
    r
}

/// Drops the line ending (CRLF or LF) and trailing spaces.
#[inline(always)]
fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    if end > 0 && line[end - 1] == b'\n' {
        end -= 1;
        if end > 0 && line[end - 1] == b'\r' {
            end -= 1;
        }
    }
    while end > 0 && line[end - 1] == b' ' {
        end -= 1;
    }
    &line[..end]
}

/// A bad line holding a control character is answered as such,
/// whatever else is wrong with it. The grammar of every command
/// refuses control characters (free text is checked by
/// [`text_arg`]), so a good line never needs this scan.
#[cold]
fn control_byte(line: &[u8]) -> Option<u8> {
    line.iter().copied().find(|&b| b < 0x20 || b == 0x7f)
}

#[cold]
fn unknown_verb(line: &[u8]) -> CommandError {
    let end = memchr::memchr(b' ', line).unwrap_or(line.len());
    CommandError::UnknownCommand {
        verb: clip(&String::from_utf8_lossy(&line[..end]), 16),
    }
}

/// The argument as text; its offset in the line is 5.
#[inline(always)]
fn utf8(arg: Option<&[u8]>) -> Result<Option<&str>, CommandError> {
    match arg {
        None => Ok(None),
        Some(a) => match std::str::from_utf8(a) {
            Ok(s) => Ok(Some(s)),
            Err(e) => Err(bad_utf8(5 + e.valid_up_to())),
        },
    }
}

#[cold]
fn bad_utf8(offset: usize) -> CommandError {
    CommandError::InvalidUtf8 { offset }
}

/// Four ASCII letters as one number, lower-cased: `"mail"` and
/// `"MAIL"` give the same key. A byte that is not a letter never maps
/// onto a letter, so a key equal to a verb's means the same letters.
#[inline(always)]
const fn key4(b: [u8; 4]) -> u32 {
    u32::from_le_bytes(b) | 0x2020_2020
}

/// The four-letter verbs, for [`VERBS`].
#[derive(Clone, Copy)]
enum Verb {
    None,
    Mail,
    Rcpt,
    Ehlo,
    Helo,
    Lhlo,
    Data,
    Bdat,
    Rset,
    Vrfy,
    Expn,
    Help,
    Noop,
    Quit,
    Auth,
    /// Defined by some RFC, not implemented here: 502.
    Unimplemented(&'static str),
}

/// `(key4(verb) * HASH) >> 27` gives each verb its own slot of 32.
const HASH: u32 = 0x8c98_c3a3;

const fn slot(key: u32) -> usize {
    (key.wrapping_mul(HASH) >> 27) as usize
}

/// The verbs by hash slot: one multiplication and one comparison find
/// the verb, whatever the mix of commands.
const VERBS: [(u32, Verb); 32] = {
    let list: [(&[u8; 4], Verb); 21] = [
        (b"mail", Verb::Mail),
        (b"rcpt", Verb::Rcpt),
        (b"ehlo", Verb::Ehlo),
        (b"helo", Verb::Helo),
        (b"lhlo", Verb::Lhlo),
        (b"data", Verb::Data),
        (b"bdat", Verb::Bdat),
        (b"rset", Verb::Rset),
        (b"vrfy", Verb::Vrfy),
        (b"expn", Verb::Expn),
        (b"help", Verb::Help),
        (b"noop", Verb::Noop),
        (b"quit", Verb::Quit),
        (b"auth", Verb::Auth),
        (b"turn", Verb::Unimplemented("TURN")),
        (b"send", Verb::Unimplemented("SEND")),
        (b"soml", Verb::Unimplemented("SOML")),
        (b"saml", Verb::Unimplemented("SAML")),
        (b"etrn", Verb::Unimplemented("ETRN")),
        (b"atrn", Verb::Unimplemented("ATRN")),
        (b"burl", Verb::Unimplemented("BURL")),
    ];
    let mut t = [(0u32, Verb::None); 32];
    let mut i = 0;
    while i < list.len() {
        let k = key4(*list[i].0);
        let s = slot(k);
        assert!(t[s].0 == 0, "two verbs share a hash slot");
        t[s] = (k, list[i].1);
        i += 1;
    }
    t
};

/// Dispatches on the verb; only an argument that is kept is checked
/// for UTF-8.
#[inline(always)]
fn parse_line(b: &[u8]) -> Result<Command<'_>, CommandError> {
    if b.len() < 4 {
        return Err(unknown_verb(b));
    }
    let arg = match b.get(4) {
        None => None,
        Some(b' ') => Some(&b[5..]),
        Some(_) => return parse_long_verb(b),
    };
    let k = key4([b[0], b[1], b[2], b[3]]);
    let (key, verb) = VERBS[slot(k)];
    if key != k {
        return Err(unknown_verb(b));
    }
    match verb {
        Verb::Mail => parse_mail(utf8(arg)?),
        Verb::Rcpt => parse_rcpt(utf8(arg)?),
        Verb::Ehlo => hello_arg("EHLO", utf8(arg)?).map(|domain| Command::Ehlo { domain }),
        Verb::Helo => hello_arg("HELO", utf8(arg)?).map(|domain| Command::Helo { domain }),
        Verb::Lhlo => hello_arg("LHLO", utf8(arg)?).map(|domain| Command::Lhlo { domain }),
        Verb::Data => none("DATA", arg, Command::Data),
        Verb::Rset => none("RSET", arg, Command::Rset),
        Verb::Quit => none("QUIT", arg, Command::Quit),
        Verb::Bdat => parse_bdat(arg),
        Verb::Vrfy => string_arg("VRFY", utf8(arg)?).map(|arg| Command::Vrfy { arg }),
        Verb::Expn => string_arg("EXPN", utf8(arg)?).map(|arg| Command::Expn { arg }),
        Verb::Help => text_arg(utf8(arg)?).map(|topic| Command::Help { topic }),
        Verb::Noop => text_arg(utf8(arg)?).map(|arg| Command::Noop { arg }),
        Verb::Auth => parse_auth(utf8(arg)?),
        Verb::Unimplemented(v) => Err(not_implemented(v)),
        Verb::None => Err(unknown_verb(b)),
    }
}

#[cold]
fn not_implemented(verb: &'static str) -> CommandError {
    CommandError::NotImplemented { verb }
}

/// The one verb longer than four letters: STARTTLS.
fn parse_long_verb(b: &[u8]) -> Result<Command<'_>, CommandError> {
    if b.len() >= 8 && b[..8].eq_ignore_ascii_case(b"STARTTLS") {
        match b.get(8) {
            None => return Ok(Command::StartTls),
            Some(b' ') => return Err(syntax("STARTTLS", "takes no argument")),
            Some(_) => {}
        }
    }
    Err(unknown_verb(b))
}

#[inline(always)]
fn none<'a>(
    command: &'static str,
    arg: Option<&[u8]>,
    cmd: Command<'a>,
) -> Result<Command<'a>, CommandError> {
    match arg {
        None => Ok(cmd),
        Some(_) => Err(syntax(command, "takes no argument")),
    }
}

fn hello_arg<'a>(command: &'static str, arg: Option<&'a str>) -> Result<&'a str, CommandError> {
    let a = arg.ok_or_else(|| syntax(command, "needs a domain"))?;
    check_host(a)?;
    Ok(a)
}

/// `String` of VRFY and EXPN: any text without control characters.
fn string_arg<'a>(command: &'static str, arg: Option<&'a str>) -> Result<&'a str, CommandError> {
    match text_arg(arg)? {
        Some(a) if !a.is_empty() => Ok(a),
        _ => Err(syntax(command, "needs an argument")),
    }
}

/// Free text (HELP, NOOP, VRFY, EXPN): no control characters.
fn text_arg(arg: Option<&str>) -> Result<Option<&str>, CommandError> {
    if let Some(a) = arg
        && let Some(&byte) = a.as_bytes().iter().find(|&&b| b < 0x20 || b == 0x7f)
    {
        return Err(CommandError::ControlCharacter { byte });
    }
    Ok(arg)
}

/// Strips `prefix` (ASCII letters then one more byte, in any case)
/// and then any spaces.
#[inline(always)]
fn after_prefix(s: &str, letters: [u8; 4], n: usize, last: u8) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() <= n || b[n] != last {
        return None;
    }
    let k = if n == 4 {
        key4([b[0], b[1], b[2], b[3]])
    } else {
        // "TO:": two letters, padded with the two-letter key.
        key4([b[0], b[1], b' ', b' '])
    };
    if k != key4(letters) {
        return None;
    }
    let mut i = n + 1;
    while i < b.len() && b[i] == b' ' {
        i += 1;
    }
    // Everything skipped is ASCII.
    Some(&s[i..])
}

/// Splits what follows a path: nothing, or SP and parameters.
#[inline(always)]
fn params_after<'a>(rest: &'a str, command: &'static str) -> Result<&'a str, CommandError> {
    match rest.as_bytes().first() {
        None => Ok(""),
        Some(b' ') => Ok(&rest[1..]),
        Some(_) => Err(syntax(command, "garbage after the closing '>'")),
    }
}

/// ```text
/// mail            = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
/// Mail-parameters = esmtp-param *(SP esmtp-param)
/// ```
#[inline]
fn parse_mail(arg: Option<&str>) -> Result<Command<'_>, CommandError> {
    let p = after_prefix(arg.unwrap_or(""), *b"from", 4, b':')
        .ok_or_else(|| syntax("MAIL", "expected FROM:<path>"))?;
    let (from, used) = parse_reverse_path(p)?;
    mail_command(params_after(&p[used..], "MAIL")?, from)
}

/// ```text
/// rcpt            = "RCPT TO:" ( "<Postmaster@" Domain ">" /
///                   "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] CRLF
/// Rcpt-parameters = esmtp-param *(SP esmtp-param)
/// ```
#[inline]
fn parse_rcpt(arg: Option<&str>) -> Result<Command<'_>, CommandError> {
    let p = after_prefix(arg.unwrap_or(""), *b"to  ", 2, b':')
        .ok_or_else(|| syntax("RCPT", "expected TO:<path>"))?;
    let (to, used) = parse_forward_path(p)?;
    rcpt_command(params_after(&p[used..], "RCPT")?, to)
}

/// ```text
/// bdat-cmd   = "BDAT" SP chunk-size [ SP end-marker ] CRLF
/// chunk-size = 1*DIGIT
/// end-marker = "LAST"
/// ```
fn parse_bdat(arg: Option<&[u8]>) -> Result<Command<'_>, CommandError> {
    let a = arg.ok_or_else(|| syntax("BDAT", "needs a chunk size"))?;
    let (n, last) = match a.iter().position(|&c| c == b' ') {
        Some(i) if a[i + 1..].eq_ignore_ascii_case(b"LAST") => (&a[..i], true),
        Some(_) => return Err(syntax("BDAT", "expected LAST after the chunk size")),
        None => (a, false),
    };
    let size = digits(n).ok_or_else(|| syntax("BDAT", "chunk size is not a number"))?;
    Ok(Command::Bdat { size, last })
}

/// ```text
/// auth-command     = "AUTH" SP sasl-mech [SP initial-response]
/// sasl-mech        = 1*20mech-char
/// mech-char        = UPPER-ALPHA / DIGIT / "-" / "_"
/// initial-response = base64 / "="
/// ```
///
/// The mechanism is accepted in any case.
fn parse_auth(arg: Option<&str>) -> Result<Command<'_>, CommandError> {
    let a = arg.ok_or_else(|| syntax("AUTH", "needs a mechanism"))?;
    let (mech, initial) = match a.bytes().position(|c| c == b' ') {
        // A space is ASCII: both sides are whole characters.
        Some(i) => (&a[..i], Some(&a[i + 1..])),
        None => (a, None),
    };
    let mb = mech.as_bytes();
    if mb.is_empty() || mb.len() > 20 || !mb.iter().all(|&b| chars::is(b, MECH)) {
        return Err(syntax("AUTH", "bad mechanism name"));
    }
    if let Some(i) = initial
        && (i.is_empty() || !crate::sasl::is_base64_or_eq(i))
    {
        return Err(syntax("AUTH", "initial response is not base64"));
    }
    Ok(Command::Auth {
        mechanism: mech,
        initial,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Body;
    use crate::path::Mailbox;

    fn mb(s: &str) -> Mailbox<'_> {
        Mailbox::parse(s).unwrap()
    }

    #[test]
    fn good_commands() {
        let table: Vec<(&str, Command<'_>)> = vec![
            (
                "EHLO mx.example\r\n",
                Command::Ehlo {
                    domain: "mx.example",
                },
            ),
            (
                "ehlo [192.0.2.1]\r\n",
                Command::Ehlo {
                    domain: "[192.0.2.1]",
                },
            ),
            ("HELO a\n", Command::Helo { domain: "a" }),
            ("LHLO b.c", Command::Lhlo { domain: "b.c" }),
            (
                "MAIL FROM:<a@b>",
                Command::Mail {
                    from: ReversePath::Mailbox(mb("a@b")),
                    params: Default::default(),
                },
            ),
            (
                "MAIL FROM: <a@b> BODY=8BITMIME",
                Command::Mail {
                    from: ReversePath::Mailbox(mb("a@b")),
                    params: MailParams {
                        body: Some(Body::EightBitMime),
                        ..Default::default()
                    },
                },
            ),
            (
                "mail from:<>",
                Command::Mail {
                    from: ReversePath::Null,
                    params: Default::default(),
                },
            ),
            (
                "MAIL FROM:<jö@bü.example> SMTPUTF8",
                Command::Mail {
                    from: ReversePath::Mailbox(mb("jö@bü.example")),
                    params: MailParams {
                        smtputf8: true,
                        ..Default::default()
                    },
                },
            ),
            (
                "RCPT TO:<Postmaster>",
                Command::Rcpt {
                    to: ForwardPath::Postmaster,
                    params: Default::default(),
                },
            ),
            (
                "RCPT TO:<@relay.example:u@d.example>",
                Command::Rcpt {
                    to: ForwardPath::Mailbox(mb("u@d.example")),
                    params: Default::default(),
                },
            ),
            ("DATA\r\n", Command::Data),
            ("data  \r\n", Command::Data),
            (
                "BDAT 100 LAST",
                Command::Bdat {
                    size: 100,
                    last: true,
                },
            ),
            (
                "BDAT 0",
                Command::Bdat {
                    size: 0,
                    last: false,
                },
            ),
            ("RSET", Command::Rset),
            ("VRFY joe", Command::Vrfy { arg: "joe" }),
            ("EXPN list", Command::Expn { arg: "list" }),
            ("HELP", Command::Help { topic: None }),
            (
                "HELP mail",
                Command::Help {
                    topic: Some("mail"),
                },
            ),
            ("NOOP", Command::Noop { arg: None }),
            ("QUIT\r\n", Command::Quit),
            ("StartTLS\r\n", Command::StartTls),
            (
                "AUTH PLAIN AGEAYg==",
                Command::Auth {
                    mechanism: "PLAIN",
                    initial: Some("AGEAYg=="),
                },
            ),
            (
                "AUTH LOGIN",
                Command::Auth {
                    mechanism: "LOGIN",
                    initial: None,
                },
            ),
            (
                "AUTH PLAIN =",
                Command::Auth {
                    mechanism: "PLAIN",
                    initial: Some("="),
                },
            ),
        ];
        for (line, want) in table {
            assert_eq!(parse_command(line.as_bytes()), Ok(want), "{line:?}");
        }
    }

    #[test]
    fn bad_commands() {
        // (line, expected reply code)
        let table: &[(&[u8], u16)] = &[
            (b"FOO\r\n", 500),
            (b"\r\n", 500),
            (b"MAILX FROM:<a@b>", 500),
            (b"EHLO", 501),
            (b"EHLO bad_name", 501),
            (b"MAIL TO:<a@b>", 501),
            (b"MAIL FROM:a@b", 501),
            (b"MAIL FROM:<a@b>x", 501),
            (b"MAIL FROM:<a@b> FOO=1", 555),
            (b"MAIL FROM:<a@b>SIZE=1", 501),
            (b"MAIL FROM:<j\xc3\xb6@b>", 553),
            (b"MAIL FROM:<a@b\xff>", 500),
            (b"RCPT TO:<a@b> SIZE=1", 555),
            (b"RCPT TO:<>", 501),
            (b"RCPT TO:<a@b", 501),
            (b"DATA x", 501),
            (b"QUIT now", 501),
            (b"BDAT", 501),
            (b"BDAT -1", 501),
            (b"BDAT 99999999999999999999", 501),
            (b"BDAT 10 FIRST", 501),
            (b"VRFY", 501),
            (b"AUTH", 501),
            (b"AUTH PLAIN not*base64", 501),
            (b"AUTH THIS-NAME-IS-FAR-TOO-LONG", 501),
            (b"NOOP \x00", 500),
            (b"STARTTLS x", 501),
            (b"TURN", 502),
            (b"etrn example.org", 502),
            (b"BURL imap://x LAST", 502),
            (b"STARTTLSX", 500),
            (b"MAI", 500),
            (b"M\xc3\xa4IL FROM:<a@b>", 500),
            (b"MAIL\xff", 500),
            (b"VRFY a\x01b", 500),
            (b"HELP \x7f", 500),
            // A control character is reported as such even where the
            // grammar would refuse the line anyway.
            (b"MAIL FROM:<a\x00@b>", 500),
            (b"RCPT TO:<a@b> NOTIFY=\x01", 500),
            (b"RCPT TO:<a@[IPv6:1::2::3]>", 501),
            (b"RCPT TO:<@[1.2.3.4]:a@b>", 501),
            (b"MAIL FROM:<a@b> SIZE=1 size=2", 501),
            (b"MAIL FROM:<a@b> ENVID=+zz", 501),
            (b"MAIL FROM:<a@b> BODY=8bitmime=x", 501),
            (b"MAIL FROM:<a@b> =1", 501),
            (b"RCPT TO:<a@b> ORCPT=rfc822;a\xc3\xa4", 501),
            (b"AUTH PLAIN abc", 501),
        ];
        for (line, code) in table {
            let e = parse_command(line).unwrap_err();
            assert_eq!(
                e.reply().code(),
                *code,
                "{:?}: {e}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn errors_keep_what_they_can() {
        assert_eq!(
            parse_command(b"XYZZY plugh\r\n"),
            Err(CommandError::UnknownCommand {
                verb: "XYZZY".into()
            })
        );
        assert_eq!(
            parse_command(b"MAIL FROM:<a@\xff>"),
            Err(CommandError::InvalidUtf8 { offset: 13 })
        );
        assert_eq!(
            parse_command(b"soml FROM:<a@b>"),
            Err(CommandError::NotImplemented { verb: "SOML" })
        );
    }

    #[test]
    fn display_round_trip() {
        for line in [
            "MAIL FROM:<a@b> SIZE=10 BODY=BINARYMIME SMTPUTF8 RET=FULL ENVID=x+2B AUTH=<> REQUIRETLS",
            "RCPT TO:<\"q x\"@[IPv6:::1]> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b",
            "BDAT 7 LAST",
            "AUTH LOGIN dXNlcg==",
        ] {
            let c = parse_command(line.as_bytes()).unwrap();
            assert_eq!(c.to_string(), line);
        }
    }
}
