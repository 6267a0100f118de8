//! ManageSieve (RFC 5804): command parser and encoder, response line
//! parser and encoder. Strings share IMAP's grammar: quoted strings and
//! literals, `{N+}` from the client and `{N}` from the server. Feed the
//! byte stream through a [`crate::frame::Framer`] with
//! [`crate::frame::FramerConfig::CLIENT`] limits on both sides (the
//! protocol has no continuation requests).
//!
//! ```
//! use rampart_imap_proto::managesieve::{Command, parse_command};
//! let wire = b"PUTSCRIPT \"vacation\" {12+}\r\nkeep;\r\nstop;\r\n";
//! let c = parse_command(wire).unwrap();
//! let script = b"keep;\r\nstop;"[..].into();
//! assert_eq!(c, Command::PutScript { name: "vacation".into(), script });
//! assert_eq!(c.encode(), wire);
//! ```

use std::borrow::Cow;

use crate::error::{FrameError, ParseError, ParseErrorKind};
use crate::lex::{Cur, Enc, LiteralMode, utf8};

/// A ManageSieve command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command<'a> {
    /// `AUTHENTICATE mechanism [initial]`
    Authenticate {
        /// SASL mechanism.
        mechanism: Cow<'a, str>,
        /// Base64 initial response.
        initial: Option<Cow<'a, str>>,
    },
    /// `STARTTLS`
    StartTls,
    /// `LOGOUT`
    Logout,
    /// `CAPABILITY`
    Capability,
    /// `HAVESPACE name size`
    HaveSpace {
        /// Script name.
        name: Cow<'a, str>,
        /// Size in octets.
        size: u64,
    },
    /// `PUTSCRIPT name script`
    PutScript {
        /// Script name.
        name: Cow<'a, str>,
        /// Script content.
        script: Cow<'a, [u8]>,
    },
    /// `LISTSCRIPTS`
    ListScripts,
    /// `SETACTIVE name` (empty name: deactivate)
    SetActive(Cow<'a, str>),
    /// `GETSCRIPT name`
    GetScript(Cow<'a, str>),
    /// `DELETESCRIPT name`
    DeleteScript(Cow<'a, str>),
    /// `RENAMESCRIPT old new`
    RenameScript(Cow<'a, str>, Cow<'a, str>),
    /// `CHECKSCRIPT script`
    CheckScript(Cow<'a, [u8]>),
    /// `NOOP [tag]`
    Noop(Option<Cow<'a, str>>),
    /// `UNAUTHENTICATE`
    Unauthenticate,
}

/// A client string; a synchronizing `{N}` is refused since the server
/// never sends continuations.
///
/// ```abnf
/// string          = quoted / literal-c2s / literal-s2c
/// literal-c2s     = "{" number "+}" CRLF *OCTET
/// quoted          = <"> *1024QUOTED-CHAR <">
/// ```
fn c2s_string<'a>(c: &mut Cur<'a>) -> Result<Cow<'a, [u8]>, ParseError> {
    if c.peek() == Some(b'{') {
        let close = c.rest().iter().position(|&b| b == b'}');
        if close.is_none_or(|i| i == 0 || c.rest()[i - 1] != b'+') {
            return Err(c.expected("non-synchronizing literal {N+}"));
        }
        return Ok(Cow::Borrowed(c.literal()?.0));
    }
    if c.peek() == Some(b'"') {
        return c.quoted();
    }
    Err(c.expected("string"))
}

fn text<'a>(c: &mut Cur<'a>) -> Result<Cow<'a, str>, ParseError> {
    let at = c.p;
    utf8(c2s_string(c)?, at)
}

fn sp_text<'a>(c: &mut Cur<'a>) -> Result<Cow<'a, str>, ParseError> {
    c.sp()?;
    text(c)
}

/// Parses one framed command (CRLF included, literals inline).
///
/// ```abnf
/// command         = (command-any / command-auth / command-nonauth) CRLF
/// command-any     = command-capability / command-logout / command-noop
/// command-auth    = command-getscript / command-setactive /
///                   command-listscripts / command-deletescript /
///                   command-putscript / command-checkscript /
///                   command-havespace / command-renamescript /
///                   command-unauthenticate
/// command-nonauth = command-authenticate / command-starttls
/// command-authenticate = "AUTHENTICATE" SP auth-type [SP string]
///                   *(CRLF string)
/// command-capability = "CAPABILITY"
/// command-havespace = "HAVESPACE" SP sieve-name SP number
/// command-putscript = "PUTSCRIPT" SP sieve-name SP sieve-script
/// command-checkscript = "CHECKSCRIPT" SP sieve-script
/// command-listscripts = "LISTSCRIPTS"
/// command-setactive = "SETACTIVE" SP active-sieve-name
/// command-getscript = "GETSCRIPT" SP sieve-name
/// command-deletescript = "DELETESCRIPT" SP sieve-name
/// command-renamescript = "RENAMESCRIPT" SP old-sieve-name SP
///                   new-sieve-name
/// command-noop    = "NOOP" [SP string]
/// command-unauthenticate = "UNAUTHENTICATE"
/// command-logout  = "LOGOUT"
/// command-starttls = "STARTTLS"
/// auth-type       = DQUOTE auth-type-name DQUOTE
/// sieve-name      = string
/// sieve-script    = string
/// ```
///
/// # Errors
///
/// Reply `NO` with the error text (see [`parse_error_response`]).
pub fn parse_command(input: &[u8]) -> Result<Command<'_>, ParseError> {
    let mut c = Cur::new(input);
    let at = c.p;
    let w = c.word();
    let up = w.to_ascii_uppercase();
    let cmd = match up.as_slice() {
        b"AUTHENTICATE" => {
            let mechanism = sp_text(&mut c)?;
            let initial = if c.eat(b' ') {
                Some(text(&mut c)?)
            } else {
                None
            };
            Command::Authenticate { mechanism, initial }
        }
        b"STARTTLS" => Command::StartTls,
        b"LOGOUT" => Command::Logout,
        b"CAPABILITY" => Command::Capability,
        b"HAVESPACE" => {
            let name = sp_text(&mut c)?;
            c.sp()?;
            Command::HaveSpace {
                name,
                size: c.number64()?,
            }
        }
        b"PUTSCRIPT" => {
            let name = sp_text(&mut c)?;
            c.sp()?;
            Command::PutScript {
                name,
                script: c2s_string(&mut c)?,
            }
        }
        b"LISTSCRIPTS" => Command::ListScripts,
        b"SETACTIVE" => Command::SetActive(sp_text(&mut c)?),
        b"GETSCRIPT" => Command::GetScript(sp_text(&mut c)?),
        b"DELETESCRIPT" => Command::DeleteScript(sp_text(&mut c)?),
        b"RENAMESCRIPT" => {
            let a = sp_text(&mut c)?;
            Command::RenameScript(a, sp_text(&mut c)?)
        }
        b"CHECKSCRIPT" => {
            c.sp()?;
            Command::CheckScript(c2s_string(&mut c)?)
        }
        b"NOOP" => Command::Noop(if c.eat(b' ') {
            Some(text(&mut c)?)
        } else {
            None
        }),
        b"UNAUTHENTICATE" => Command::Unauthenticate,
        _ => {
            return Err(ParseError {
                offset: at,
                kind: ParseErrorKind::UnknownCommand(String::from_utf8_lossy(w).into_owned()),
            });
        }
    };
    c.crlf()?;
    c.end()?;
    Ok(cmd)
}

impl Command<'_> {
    /// The command keyword.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Authenticate { .. } => "AUTHENTICATE",
            Command::StartTls => "STARTTLS",
            Command::Logout => "LOGOUT",
            Command::Capability => "CAPABILITY",
            Command::HaveSpace { .. } => "HAVESPACE",
            Command::PutScript { .. } => "PUTSCRIPT",
            Command::ListScripts => "LISTSCRIPTS",
            Command::SetActive(_) => "SETACTIVE",
            Command::GetScript(_) => "GETSCRIPT",
            Command::DeleteScript(_) => "DELETESCRIPT",
            Command::RenameScript(..) => "RENAMESCRIPT",
            Command::CheckScript(_) => "CHECKSCRIPT",
            Command::Noop(_) => "NOOP",
            Command::Unauthenticate => "UNAUTHENTICATE",
        }
    }

    /// Encodes the command as a client sends it (literals as `{N+}`).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc {
            utf8: true,
            lit: LiteralMode::NonSync,
            client: true,
            ..Enc::default()
        };
        e.raw(self.name().as_bytes());
        let s = |e: &mut Enc, v: &[u8]| {
            e.sp();
            e.string(v);
        };
        match self {
            Command::Authenticate { mechanism, initial } => {
                s(&mut e, mechanism.as_bytes());
                if let Some(i) = initial {
                    s(&mut e, i.as_bytes());
                }
            }
            Command::HaveSpace { name, size } => {
                s(&mut e, name.as_bytes());
                e.sp();
                e.num(*size);
            }
            Command::PutScript { name, script } => {
                s(&mut e, name.as_bytes());
                e.sp();
                e.literal(script, false);
            }
            Command::SetActive(n) | Command::GetScript(n) | Command::DeleteScript(n) => {
                s(&mut e, n.as_bytes())
            }
            Command::RenameScript(a, b) => {
                s(&mut e, a.as_bytes());
                s(&mut e, b.as_bytes());
            }
            Command::CheckScript(script) => {
                e.sp();
                e.literal(script, false);
            }
            Command::Noop(Some(t)) => s(&mut e, t.as_bytes()),
            _ => {}
        }
        e.raw(b"\r\n");
        e.out
    }
}

/// The condition of a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `OK`
    Ok,
    /// `NO`
    No,
    /// `BYE`
    Bye,
}

/// A response code: `(NAME [SP string])`, for example `QUOTA/MAXSIZE`,
/// `NONEXISTENT`, `SASL "..."`, `TAG "..."`, `WARNINGS`, `ACTIVE`.
///
/// ```abnf
/// resp-code       = "AUTH-TOO-WEAK" / "ENCRYPT-NEEDED" / "QUOTA"
///                   ["/" ("MAXSCRIPTS" / "MAXSIZE")] / resp-code-sasl /
///                   resp-code-referral / "TRANSITION-NEEDED" /
///                   "TRYLATER" / "ACTIVE" / "NONEXISTENT" /
///                   "ALREADYEXISTS" / "TAG" SP string / "WARNINGS" /
///                   resp-code-ext
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code<'a> {
    /// Name, as sent (compare without case).
    pub name: Cow<'a, str>,
    /// Argument string (SASL, TAG, REFERRAL, extensions).
    pub arg: Option<Cow<'a, [u8]>>,
}

/// One response line.
///
/// ```abnf
/// response-oknobye = ("OK" / "NO" / "BYE") [SP "(" resp-code ")"]
///                    [SP string] CRLF
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response<'a> {
    /// A completion.
    Status {
        /// OK, NO or BYE.
        condition: Condition,
        /// Response code.
        code: Option<Code<'a>>,
        /// Human-readable text.
        text: Option<Cow<'a, str>>,
    },
    /// A data line: strings (and atoms such as `ACTIVE`), for capability
    /// lines (`"SIEVE" "fileinto"`), LISTSCRIPTS (`"s" ACTIVE`),
    /// GETSCRIPT content and SASL challenges.
    Line(Vec<Word<'a>>),
}

/// One item of a data line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word<'a> {
    /// A quoted string or literal.
    String(Cow<'a, [u8]>),
    /// A bare atom (`ACTIVE`).
    Atom(&'a str),
}

impl<'a> Response<'a> {
    /// `OK text`
    pub fn ok(text: impl Into<Cow<'a, str>>) -> Self {
        Response::Status {
            condition: Condition::Ok,
            code: None,
            text: Some(text.into()),
        }
    }

    /// `NO (code) text`
    pub fn no(code: Option<&'a str>, text: impl Into<Cow<'a, str>>) -> Self {
        Response::Status {
            condition: Condition::No,
            code: code.map(|n| Code {
                name: n.into(),
                arg: None,
            }),
            text: Some(text.into()),
        }
    }

    /// Encodes the line as a server sends it (literals as `{N}`).
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Enc {
            utf8: true,
            ..Enc::default()
        };
        match self {
            Response::Status {
                condition,
                code,
                text,
            } => {
                e.raw(match condition {
                    Condition::Ok => b"OK",
                    Condition::No => b"NO",
                    Condition::Bye => b"BYE",
                });
                if let Some(code) = code {
                    e.raw(b" (");
                    e.raw(code.name.as_bytes());
                    if let Some(a) = &code.arg {
                        e.sp();
                        e.string(a);
                    }
                    e.byte(b')');
                }
                if let Some(t) = text {
                    e.sp();
                    e.string(t.as_bytes());
                }
            }
            Response::Line(words) => {
                for (i, w) in words.iter().enumerate() {
                    if i > 0 {
                        e.sp();
                    }
                    match w {
                        Word::String(s) => e.string(s),
                        Word::Atom(a) => e.raw(a.as_bytes()),
                    }
                }
            }
        }
        e.raw(b"\r\n");
        e.out
    }
}

/// Parses one framed response line (CRLF included, literals inline).
///
/// ```abnf
/// response-oknobye = ("OK" / "NO" / "BYE") [SP "(" resp-code ")"]
///                    [SP string] CRLF
/// response-getscript = [sieve-script CRLF] response-oknobye
/// response-listscripts = *(sieve-name [SP "ACTIVE"] CRLF)
///                    response-oknobye
/// response-capability = *(single-capability) response-oknobye
/// single-capability = capability-name [SP string] CRLF
/// literal-s2c     = "{" number "}" CRLF *OCTET
/// ```
///
/// # Errors
///
/// Fails when the line follows neither the status nor the data grammar.
pub fn parse_response(input: &[u8]) -> Result<Response<'_>, ParseError> {
    let mut c = Cur::new(input);
    let save = c.p;
    let w = c.word();
    let condition = match w.to_ascii_uppercase().as_slice() {
        b"OK" => Some(Condition::Ok),
        b"NO" => Some(Condition::No),
        b"BYE" => Some(Condition::Bye),
        _ => None,
    };
    let r = if let Some(condition) = condition.filter(|_| matches!(c.peek(), Some(b' ' | b'\r'))) {
        let mut code = None;
        let mut text = None;
        if c.eat_kw(b" (") {
            let name = c.take_while(|b| b.is_ascii_alphanumeric() || b"-/_.".contains(&b));
            if name.is_empty() {
                return Err(c.expected("response code"));
            }
            let name = Cow::Borrowed(crate::lex::ascii(name));
            let arg = if c.eat(b' ') {
                Some(s2c_string(&mut c)?)
            } else {
                None
            };
            c.expect(b')', "closing parenthesis of response code")?;
            code = Some(Code { name, arg });
        }
        if c.eat(b' ') {
            let at = c.p;
            text = Some(utf8(s2c_string(&mut c)?, at)?);
        }
        Response::Status {
            condition,
            code,
            text,
        }
    } else {
        c.p = save;
        let mut words = Vec::new();
        loop {
            match c.peek() {
                Some(b'"' | b'{') => words.push(Word::String(s2c_string(&mut c)?)),
                _ => words.push(Word::Atom(c.atom()?)),
            }
            if !c.eat(b' ') {
                break;
            }
        }
        Response::Line(words)
    };
    c.crlf()?;
    c.end()?;
    Ok(r)
}

/// ```abnf
/// string          = quoted / literal-c2s / literal-s2c
/// ```
fn s2c_string<'a>(c: &mut Cur<'a>) -> Result<Cow<'a, [u8]>, ParseError> {
    match c.peek() {
        Some(b'"') => c.quoted(),
        Some(b'{') => Ok(Cow::Borrowed(c.literal()?.0)),
        _ => Err(c.expected("string")),
    }
}

/// States of a ManageSieve connection (RFC 5804 section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SieveState {
    /// Before AUTHENTICATE.
    NotAuthenticated,
    /// Logged in.
    Authenticated,
    /// After LOGOUT or BYE.
    Logout,
}

/// Which commands are valid in which state (TLS not considered: see
/// [`SieveSession`]).
///
/// # Errors
///
/// The `NO` text when `cmd` is not allowed in `state`.
pub fn check(state: SieveState, cmd: &Command<'_>) -> Result<(), String> {
    use Command as C;
    let ok = match cmd {
        C::Logout | C::Capability | C::Noop(_) => state != SieveState::Logout,
        C::Authenticate { .. } | C::StartTls => state == SieveState::NotAuthenticated,
        _ => state == SieveState::Authenticated,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("{} not allowed in state {:?}", cmd.name(), state))
    }
}

/// The rules of one ManageSieve connection, server side (RFC 5804
/// sections 1.6 and 2): the states, STARTTLS at most once and only
/// before AUTHENTICATE, UNAUTHENTICATE back to the start.
#[derive(Debug, Clone)]
pub struct SieveSession {
    state: SieveState,
    tls: bool,
}

impl Default for SieveSession {
    fn default() -> Self {
        Self::new()
    }
}

impl SieveSession {
    /// A new connection, not authenticated.
    pub fn new() -> Self {
        SieveSession {
            state: SieveState::NotAuthenticated,
            tls: false,
        }
    }

    /// The current state.
    pub fn state(&self) -> SieveState {
        self.state
    }

    /// Whether STARTTLS completed.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// Whether `cmd` is valid now.
    ///
    /// # Errors
    ///
    /// The `NO` text when it is not.
    pub fn check(&self, cmd: &Command<'_>) -> Result<(), String> {
        if matches!(cmd, Command::StartTls) && self.tls {
            return Err("STARTTLS not allowed: TLS is already active".into());
        }
        check(self.state, cmd)
    }

    /// Records how `cmd` ended. After a successful STARTTLS the server
    /// sends its capabilities again (RFC 5804 section 2.2); after
    /// UNAUTHENTICATE the connection is as new (TLS stays).
    pub fn complete(&mut self, cmd: &Command<'_>, ok: bool) {
        self.state = match (cmd, ok, self.state) {
            (Command::Logout, _, _) => SieveState::Logout,
            (Command::StartTls, true, s) => {
                self.tls = true;
                s
            }
            (Command::Authenticate { .. }, true, SieveState::NotAuthenticated) => {
                SieveState::Authenticated
            }
            (Command::Unauthenticate, true, SieveState::Authenticated) => {
                SieveState::NotAuthenticated
            }
            (_, _, s) => s,
        };
    }

    /// The server ends the connection (BYE).
    pub fn close(&mut self) {
        self.state = SieveState::Logout;
    }
}

/// Parses the client's answer to a SASL challenge: a string line, or
/// `"*"` (for `None`) to cancel (RFC 5804 section 2.1).
///
/// ```abnf
/// command-authenticate = "AUTHENTICATE" SP auth-type [SP string]
///                        *(CRLF string)
/// ```
///
/// # Errors
///
/// Fails when the line is not one string and CRLF.
pub fn parse_auth_response(input: &[u8]) -> Result<Option<Cow<'_, str>>, ParseError> {
    let mut c = Cur::new(input);
    let r = text(&mut c)?;
    c.crlf()?;
    c.end()?;
    Ok(if r == "*" { None } else { Some(r) })
}

/// The inverse of [`parse_auth_response`].
pub fn encode_auth_response(response: Option<&str>) -> Vec<u8> {
    let mut e = Enc {
        utf8: true,
        lit: LiteralMode::NonSync,
        client: true,
        ..Enc::default()
    };
    e.string(response.unwrap_or("*").as_bytes());
    e.raw(b"\r\n");
    e.out
}

/// The reply to a command that failed to parse: `NO` with the error
/// text (ManageSieve has no `BAD`).
pub fn parse_error_response(err: &ParseError) -> Response<'static> {
    Response::Status {
        condition: Condition::No,
        code: None,
        text: Some(err.to_string().into()),
    }
}

/// The reply to a message the framer refused: `NO (QUOTA/MAXSIZE)` for
/// a literal over the limit (a script too large, RFC 5804 section
/// 2.6), `NO` for an over-long line.
pub fn frame_error_response(err: &FrameError) -> Response<'static> {
    let code = matches!(
        err,
        FrameError::LiteralTooLarge { .. } | FrameError::MessageTooLarge { .. }
    )
    .then(|| Code {
        name: "QUOTA/MAXSIZE".into(),
        arg: None,
    });
    Response::Status {
        condition: Condition::No,
        code,
        text: Some(err.to_string().into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5804_examples() {
        let cmds: &[&[u8]] = &[
            b"AUTHENTICATE \"PLAIN\" \"QJIrweAPyo6Q1T9xu\"\r\n",
            b"Authenticate \"DIGEST-MD5\"\r\n",
            b"HAVESPACE \"myscript\" 999999\r\n",
            b"PUTSCRIPT \"foo\" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n",
            b"LISTSCRIPTS\r\n",
            b"SETACTIVE \"\"\r\n",
            b"GETSCRIPT \"myscript\"\r\n",
            b"DELETESCRIPT \"foo\"\r\n",
            b"RENAMESCRIPT \"foo\" \"bar\"\r\n",
            b"CHECKSCRIPT {11+}\r\nkeep;\r\nx;\r\n\r\n",
            b"NOOP \"STARTTLS-SYNC-42\"\r\n",
            b"UNAUTHENTICATE\r\n",
            b"STARTTLS\r\n",
            b"CAPABILITY\r\n",
            b"LOGOUT\r\n",
        ];
        for c in cmds {
            let cmd = parse_command(c).unwrap_or_else(|e| panic!("{e} {c:?}"));
            assert_eq!(parse_command(&cmd.encode()).unwrap(), cmd);
        }
        assert!(parse_command(b"PUTSCRIPT \"foo\" {5}\r\nkeep;\r\n").is_err());
        assert!(parse_command(b"FROB\r\n").is_err());

        let resps: &[&[u8]] = &[
            b"\"IMPLEMENTATION\" \"Example1 ManageSieved v001\"\r\n",
            b"\"SIEVE\" \"fileinto vacation\"\r\n",
            b"\"summer_script\"\r\n",
            b"\"main_script\" ACTIVE\r\n",
            b"OK\r\n",
            b"NO (QUOTA/MAXSIZE) \"Quota exceeded\"\r\n",
            b"OK (TAG \"STARTTLS-SYNC-42\") \"Done\"\r\n",
            b"NO {33}\r\nline 2: Syntax error, unknown \"x\"\r\n",
            b"{54}\r\n#this is my wonderful script\r\nreject \"I reject all\";\r\n\r\n",
            b"BYE (REFERRAL \"sieve://sieve.example.com\") \"Try Remote.\"\r\n",
            b"OK (SASL \"cnNwYXV0aD1lYTQwZjYwMzM1YzQyN2I1NTI3Yjg0ZGJhYmNkZmZmZA==\")\r\n",
        ];
        for r in resps {
            let resp = parse_response(r).unwrap_or_else(|e| panic!("{e} {r:?}"));
            assert_eq!(parse_response(&resp.encode()).unwrap(), resp, "{r:?}");
        }
        let r = parse_response(b"NO (QUOTA/MAXSIZE) \"Quota exceeded\"\r\n").unwrap();
        let Response::Status {
            condition: Condition::No,
            code: Some(code),
            ..
        } = r
        else {
            panic!()
        };
        assert_eq!(code.name, "QUOTA/MAXSIZE");
    }

    #[test]
    fn session_and_sasl() {
        let mut s = SieveSession::new();
        let auth = parse_command(b"AUTHENTICATE \"PLAIN\"\r\n").unwrap();
        assert!(s.check(&Command::StartTls).is_ok());
        s.complete(&Command::StartTls, true);
        assert!(s.tls());
        assert!(s.check(&Command::StartTls).is_err());
        assert!(s.check(&Command::ListScripts).is_err());
        s.complete(&auth, true);
        assert_eq!(s.state(), SieveState::Authenticated);
        assert!(s.check(&Command::ListScripts).is_ok());
        assert!(s.check(&auth).is_err());
        s.complete(&Command::Unauthenticate, true);
        assert_eq!(s.state(), SieveState::NotAuthenticated);
        assert!(s.check(&Command::StartTls).is_err());
        s.complete(&Command::Logout, true);
        assert!(s.check(&Command::Capability).is_err());

        // RFC 5804 section 2.1: challenges and answers are strings.
        let ch =
            parse_response(b"\"cmVhbG09ImVsd29vZC5pbm5vc29mdC5jb20iLG5vbmNlPSJPQTZNRzl0\"\r\n")
                .unwrap();
        assert!(matches!(ch, Response::Line(ref w) if w.len() == 1));
        assert_eq!(
            parse_auth_response(b"{8+}\r\ndGVzdA==\r\n")
                .unwrap()
                .as_deref(),
            Some("dGVzdA==")
        );
        assert_eq!(parse_auth_response(b"\"*\"\r\n").unwrap(), None);
        assert_eq!(encode_auth_response(Some("")), b"\"\"\r\n");
        assert_eq!(
            parse_auth_response(&encode_auth_response(None)).unwrap(),
            None
        );
        assert!(parse_auth_response(b"dGVzdA==\r\n").is_err());

        let e = parse_command(b"FROB\r\n").unwrap_err();
        assert_eq!(
            parse_error_response(&e).encode(),
            b"NO \"unknown command \\\"FROB\\\" at offset 0\"\r\n"
        );
    }

    #[test]
    fn states() {
        let put = Command::PutScript {
            name: "a".into(),
            script: b"keep;"[..].into(),
        };
        assert!(check(SieveState::NotAuthenticated, &put).is_err());
        assert!(check(SieveState::Authenticated, &put).is_ok());
        assert!(check(SieveState::Authenticated, &Command::StartTls).is_err());
        assert!(check(SieveState::Logout, &Command::Noop(None)).is_err());
    }
}
