//! Client commands (RFC 5321 4.1.1, RFC 2033, and extensions).

use std::fmt;

use crate::error::{CommandError, clip};
use crate::params::{MailParams, RcptParams, parse_mail_params, parse_rcpt_params};
use crate::path::{ForwardPath, Host, ReversePath, parse_forward_path, parse_reverse_path};

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

fn syntax(command: &'static str, reason: &'static str) -> CommandError {
    CommandError::Syntax { command, reason }
}

/// Parses one command line. `line` may end in CRLF or LF, which is
/// removed, as are trailing spaces (a common client slip). Nothing is
/// allocated unless the line is bad.
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
/// Tolerated deviations: verbs in any case, spaces between `FROM:`
/// and the path, several spaces between parameters. UTF-8 is accepted
/// here; whether SMTPUTF8 allows it is checked for MAIL (the
/// `SMTPUTF8` parameter) here and for RCPT by the session.
///
/// # Errors
///
/// A [`CommandError`]; [`CommandError::reply`] gives the reply.
pub fn parse_command(line: &[u8]) -> Result<Command<'_>, CommandError> {
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
    let line = &line[..end];
    if let Some(&byte) = line.iter().find(|&&b| b < 0x20 || b == 0x7f) {
        return Err(CommandError::ControlCharacter { byte });
    }
    let line = if line.is_ascii() {
        // ASCII is UTF-8; this check cannot fail.
        std::str::from_utf8(line).map_err(|_| CommandError::InvalidUtf8 { offset: 0 })?
    } else {
        std::str::from_utf8(line).map_err(|e| CommandError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?
    };
    let (verb, arg) = match line.find(' ') {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    let vb = verb.as_bytes();
    if vb.len() == 4 && vb.iter().all(u8::is_ascii_alphabetic) {
        let key = u32::from_be_bytes([vb[0], vb[1], vb[2], vb[3]]) | 0x2020_2020;
        return parse_verb4(key, verb, arg);
    }
    if verb.eq_ignore_ascii_case("STARTTLS") {
        return none("STARTTLS", arg).map(|()| Command::StartTls);
    }
    Err(unknown_verb(verb))
}

fn unknown_verb(verb: &str) -> CommandError {
    CommandError::UnknownCommand {
        verb: clip(verb, 16),
    }
}

const fn key(s: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*s)
}

fn none(command: &'static str, arg: Option<&str>) -> Result<(), CommandError> {
    match arg {
        None => Ok(()),
        Some(_) => Err(syntax(command, "takes no argument")),
    }
}

fn parse_verb4<'a>(k: u32, verb: &str, arg: Option<&'a str>) -> Result<Command<'a>, CommandError> {
    const MAIL: u32 = key(b"mail");
    const RCPT: u32 = key(b"rcpt");
    const EHLO: u32 = key(b"ehlo");
    const HELO: u32 = key(b"helo");
    const LHLO: u32 = key(b"lhlo");
    const DATA: u32 = key(b"data");
    const BDAT: u32 = key(b"bdat");
    const RSET: u32 = key(b"rset");
    const VRFY: u32 = key(b"vrfy");
    const EXPN: u32 = key(b"expn");
    const HELP: u32 = key(b"help");
    const NOOP: u32 = key(b"noop");
    const QUIT: u32 = key(b"quit");
    const AUTH: u32 = key(b"auth");
    Ok(match k {
        MAIL => parse_mail(arg.unwrap_or(""))?,
        RCPT => parse_rcpt(arg.unwrap_or(""))?,
        EHLO => Command::Ehlo {
            domain: hello_arg("EHLO", arg)?,
        },
        HELO => Command::Helo {
            domain: hello_arg("HELO", arg)?,
        },
        LHLO => Command::Lhlo {
            domain: hello_arg("LHLO", arg)?,
        },
        DATA => none("DATA", arg).map(|()| Command::Data)?,
        RSET => none("RSET", arg).map(|()| Command::Rset)?,
        QUIT => none("QUIT", arg).map(|()| Command::Quit)?,
        BDAT => parse_bdat(arg)?,
        VRFY => Command::Vrfy {
            arg: string_arg("VRFY", arg)?,
        },
        EXPN => Command::Expn {
            arg: string_arg("EXPN", arg)?,
        },
        HELP => Command::Help { topic: arg },
        NOOP => Command::Noop { arg },
        AUTH => parse_auth(arg)?,
        _ => return Err(unknown_verb(verb)),
    })
}

fn hello_arg<'a>(command: &'static str, arg: Option<&'a str>) -> Result<&'a str, CommandError> {
    let a = arg.ok_or_else(|| syntax(command, "needs a domain"))?;
    Host::parse(a)?;
    Ok(a)
}

fn string_arg<'a>(command: &'static str, arg: Option<&'a str>) -> Result<&'a str, CommandError> {
    match arg {
        Some(a) if !a.is_empty() => Ok(a),
        _ => Err(syntax(command, "needs an argument")),
    }
}

/// Strips `prefix` (ASCII, any case) and then any spaces.
fn after_prefix<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let n = prefix.len();
    if s.len() >= n && s.as_bytes()[..n].eq_ignore_ascii_case(prefix.as_bytes()) {
        Some(s[n..].trim_start_matches(' '))
    } else {
        None
    }
}

/// Splits what follows a path: nothing, or SP and parameters.
fn params_after<'a>(rest: &'a str, command: &'static str) -> Result<&'a str, CommandError> {
    match rest.as_bytes().first() {
        None => Ok(""),
        Some(b' ') => Ok(&rest[1..]),
        Some(_) => Err(syntax(command, "garbage after the closing '>'")),
    }
}

fn parse_mail(arg: &str) -> Result<Command<'_>, CommandError> {
    let p = after_prefix(arg, "FROM:").ok_or_else(|| syntax("MAIL", "expected FROM:<path>"))?;
    let (from, used) = parse_reverse_path(p)?;
    let params = parse_mail_params(params_after(&p[used..], "MAIL")?)?;
    if !params.smtputf8 && !from.is_ascii() {
        return Err(CommandError::Utf8NeedsSmtputf8 {
            address: clip(&from.to_string(), 300),
        });
    }
    Ok(Command::Mail { from, params })
}

fn parse_rcpt(arg: &str) -> Result<Command<'_>, CommandError> {
    let p = after_prefix(arg, "TO:").ok_or_else(|| syntax("RCPT", "expected TO:<path>"))?;
    let (to, used) = parse_forward_path(p)?;
    let params = parse_rcpt_params(params_after(&p[used..], "RCPT")?)?;
    Ok(Command::Rcpt { to, params })
}

/// ```text
/// bdat-cmd   = "BDAT" SP chunk-size [ SP end-marker ] CRLF
/// chunk-size = 1*DIGIT
/// end-marker = "LAST"
/// ```
fn parse_bdat(arg: Option<&str>) -> Result<Command<'_>, CommandError> {
    let a = arg.ok_or_else(|| syntax("BDAT", "needs a chunk size"))?;
    let (n, last) = match a.split_once(' ') {
        Some((n, l)) if l.eq_ignore_ascii_case("LAST") => (n, true),
        Some(_) => return Err(syntax("BDAT", "expected LAST after the chunk size")),
        None => (a, false),
    };
    if n.is_empty() || n.len() > 20 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax("BDAT", "chunk size is not a number"));
    }
    let size = n
        .parse()
        .map_err(|_| syntax("BDAT", "chunk size is not a number"))?;
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
    let (mech, initial) = match a.split_once(' ') {
        Some((m, i)) => (m, Some(i)),
        None => (a, None),
    };
    let mb = mech.as_bytes();
    if mb.is_empty()
        || mb.len() > 20
        || !mb
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
    {
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
