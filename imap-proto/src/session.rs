//! IMAP server session rules, sans-I/O: which commands are valid in
//! which state, how the state moves when commands complete, and the
//! input modes of IDLE and AUTHENTICATE.
//!
//! [`Server`] joins a [`Framer`] and a [`Session`]: feed it bytes, poll
//! it for [`Input`]s, and tell it how each command ended with
//! [`Server::complete`]. It sends no bytes itself; replies it has
//! already decided (continuation requests, BAD for malformed input) come
//! out as [`Input::Reply`].
//!
//! ```
//! use rampart_imap_proto::session::{Input, Server, State};
//!
//! let mut srv = Server::new();
//! srv.feed(b"a1 SELECT INBOX\r\n");
//! let Some(Input::Reply(bad)) = srv.poll() else { panic!() };
//! assert!(bad.starts_with(b"a1 BAD"));
//! srv.feed(b"a2 LOGIN alice secret\r\n");
//! let Some(Input::Command(cmd)) = srv.poll() else { panic!() };
//! let name = cmd.body.name();
//! srv.complete(name, true);
//! assert_eq!(srv.session().state(), State::Authenticated);
//! ```

use crate::command::{CommandBody, is_idle_done, parse_auth_line, parse_command, tag_of};
use crate::frame::{Event, Framer, FramerConfig};
use crate::response::{
    Response, ResponseOptions, Status, StatusKind, frame_error_response, parse_error_response,
};
use crate::types::Tag;

/// The connection states of RFC 9051 section 3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Before LOGIN or AUTHENTICATE.
    NotAuthenticated,
    /// Logged in, no mailbox selected.
    Authenticated,
    /// A mailbox is selected.
    Selected {
        /// Opened with EXAMINE (or the mailbox is read-only).
        read_only: bool,
    },
    /// LOGOUT was accepted; close the connection after the reply.
    Logout,
}

/// What the server reads next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Commands,
    /// After IDLE: only `DONE`.
    Idle,
    /// During AUTHENTICATE: base64 lines or `*`.
    Auth,
}

/// The state of one IMAP connection, server side.
#[derive(Debug, Clone)]
pub struct Session {
    state: State,
    mode: Mode,
    utf8: bool,
    tls: bool,
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

impl Session {
    /// A new connection, not authenticated.
    pub fn new() -> Self {
        Session {
            state: State::NotAuthenticated,
            mode: Mode::Commands,
            utf8: false,
            tls: false,
        }
    }

    /// A connection greeted with `PREAUTH`.
    pub fn preauthenticated() -> Self {
        Session {
            state: State::Authenticated,
            ..Self::new()
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the client enabled UTF8=ACCEPT.
    pub fn utf8(&self) -> bool {
        self.utf8
    }

    /// Encoder options matching what the client enabled.
    pub fn response_options(&self) -> ResponseOptions {
        ResponseOptions { utf8: self.utf8 }
    }

    /// Whether `cmd` may be issued in the current state. `Err` holds the
    /// text of the BAD reply.
    ///
    /// # Errors
    ///
    /// Names the command and state when the command is not allowed.
    pub fn check(&self, cmd: &CommandBody<'_>) -> Result<(), String> {
        use CommandBody as C;
        let ok = match cmd {
            C::Capability | C::Noop | C::Logout | C::Id(_) => true,
            C::StartTls => self.state == State::NotAuthenticated && !self.tls,
            C::Authenticate { .. } | C::Login { .. } => self.state == State::NotAuthenticated,
            C::Enable(_)
            | C::Select(..)
            | C::Examine(..)
            | C::Create(..)
            | C::Delete(_)
            | C::Rename(..)
            | C::Subscribe(_)
            | C::Unsubscribe(_)
            | C::List { .. }
            | C::Lsub(..)
            | C::Namespace
            | C::Status(..)
            | C::Append(..)
            | C::Idle
            | C::GetQuota(_)
            | C::GetQuotaRoot(_)
            | C::SetQuota(..) => {
                matches!(self.state, State::Authenticated | State::Selected { .. })
            }
            C::Check
            | C::Close
            | C::Unselect
            | C::Expunge(_)
            | C::Search { .. }
            | C::Fetch { .. }
            | C::Store { .. }
            | C::Copy { .. }
            | C::Move { .. }
            | C::Sort { .. }
            | C::Thread { .. } => matches!(self.state, State::Selected { .. }),
        };
        // Writes in a read-only mailbox are refused up front.
        let writes = matches!(cmd, C::Expunge(_) | C::Store { .. } | C::Move { .. });
        if ok && writes && self.state == (State::Selected { read_only: true }) {
            return Err(format!("{} not allowed: mailbox is read-only", cmd.name()));
        }
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{} not allowed in state {:?}",
                cmd.name(),
                self.state
            ))
        }
    }

    /// Records how the command called `name` (as
    /// [`CommandBody::name`]) ended, moving the state.
    pub fn complete(&mut self, name: &str, ok: bool) {
        self.mode = Mode::Commands;
        self.state = match (name, ok, self.state) {
            ("LOGIN" | "AUTHENTICATE", true, State::NotAuthenticated) => State::Authenticated,
            ("SELECT", true, _) => State::Selected { read_only: false },
            ("EXAMINE", true, _) => State::Selected { read_only: true },
            // A failed SELECT leaves no mailbox selected.
            ("SELECT" | "EXAMINE", false, State::Selected { .. }) => State::Authenticated,
            ("CLOSE" | "UNSELECT", true, State::Selected { .. }) => State::Authenticated,
            ("LOGOUT", _, _) => State::Logout,
            ("STARTTLS", true, s) => {
                self.tls = true;
                s
            }
            (_, _, s) => s,
        };
    }

    /// Records that ENABLE turned on UTF8=ACCEPT (or IMAP4rev2).
    pub fn enable_utf8(&mut self) {
        self.utf8 = true;
    }

    /// The server ends the connection (BYE, timeout).
    pub fn close(&mut self) {
        self.state = State::Logout;
    }
}

/// What the server has to act on.
#[derive(Debug)]
pub enum Input<'b> {
    /// A command allowed in the current state. Handle it, reply, then
    /// call [`Server::complete`] (for IDLE and AUTHENTICATE, once the
    /// exchange is over).
    Command(crate::command::Command<'b>),
    /// A client line during AUTHENTICATE: base64 text, or `None` when
    /// the client cancelled with `*` (reply `BAD`).
    AuthResponse(Option<&'b str>),
    /// `DONE` ended IDLE: send the tagged OK for the IDLE command.
    IdleDone,
    /// Bytes to send as they are: a continuation request for a literal,
    /// or a BAD/NO for input that was refused. Nothing else to do.
    Reply(Vec<u8>),
}

/// A framer and a session: the server side of one IMAP connection.
#[derive(Debug, Clone)]
pub struct Server {
    framer: Framer,
    session: Session,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

impl Server {
    /// A server connection with default limits.
    pub fn new() -> Self {
        Self::with_config(FramerConfig::SERVER)
    }

    /// A server connection with the given framing limits.
    pub fn with_config(cfg: FramerConfig) -> Self {
        Server {
            framer: Framer::new(FramerConfig {
                server: true,
                ..cfg
            }),
            session: Session::new(),
        }
    }

    /// The session state.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session state, to change it.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// Appends received bytes.
    pub fn feed(&mut self, data: &[u8]) {
        self.framer.feed(data);
    }

    /// The framer, for example to take buffered bytes at STARTTLS.
    pub fn framer_mut(&mut self) -> &mut Framer {
        &mut self.framer
    }

    /// Shorthand for [`Session::complete`].
    pub fn complete(&mut self, name: &str, ok: bool) {
        self.session.complete(name, ok);
    }

    /// The next input, or `None` when more bytes are needed.
    pub fn poll(&mut self) -> Option<Input<'_>> {
        let opts = self.session.response_options();
        let session = &mut self.session;
        let ev = self.framer.poll()?;
        let bytes = match ev {
            Event::Continue { .. } => {
                let r = Response::Continue {
                    code: None,
                    text: "Ready for literal".into(),
                };
                return Some(Input::Reply(r.encode(opts)));
            }
            Event::Rejected { tag, error } => {
                let tag = tag.as_deref().and_then(|t| Tag::new(t).ok());
                return Some(Input::Reply(frame_error_response(tag, &error).encode(opts)));
            }
            Event::Message(m) => m,
        };
        match session.mode {
            Mode::Idle => {
                if is_idle_done(bytes) {
                    session.mode = Mode::Commands;
                    Some(Input::IdleDone)
                } else {
                    let st = Status::new(StatusKind::Bad, "expected DONE to end IDLE");
                    Some(Input::Reply(Response::Untagged(st).encode(opts)))
                }
            }
            Mode::Auth => match parse_auth_line(bytes) {
                Ok(r) => Some(Input::AuthResponse(r)),
                Err(e) => {
                    session.mode = Mode::Commands;
                    Some(Input::Reply(parse_error_response(None, &e).encode(opts)))
                }
            },
            Mode::Commands => match parse_command(bytes) {
                Err(e) => Some(Input::Reply(
                    parse_error_response(tag_of(bytes), &e).encode(opts),
                )),
                Ok(cmd) => {
                    if let Err(text) = session.check(&cmd.body) {
                        let status = Status::new(StatusKind::Bad, text);
                        let r = Response::Tagged {
                            tag: cmd.tag,
                            status,
                        };
                        return Some(Input::Reply(r.encode(opts)));
                    }
                    match cmd.body {
                        CommandBody::Idle => session.mode = Mode::Idle,
                        CommandBody::Authenticate { .. } => session.mode = Mode::Auth,
                        _ => {}
                    }
                    Some(Input::Command(cmd))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(srv: &mut Server) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(i) = srv.poll() {
            out.push(match i {
                Input::Command(c) => format!("cmd {} {}", c.tag, c.body.name()),
                Input::AuthResponse(r) => format!("auth {r:?}"),
                Input::IdleDone => "done".into(),
                Input::Reply(r) => format!("reply {}", String::from_utf8_lossy(&r).trim_end()),
            });
        }
        out
    }

    #[test]
    fn state_rules() {
        let mut s = Session::new();
        let fetch = parse_command(b"a FETCH 1 FLAGS\r\n").unwrap().body;
        let select = parse_command(b"a SELECT INBOX\r\n").unwrap().body;
        let store = parse_command(b"a STORE 1 +FLAGS \\Seen\r\n").unwrap().body;
        assert!(s.check(&select).is_err());
        s.complete("LOGIN", true);
        assert!(s.check(&select).is_ok());
        assert!(s.check(&fetch).is_err());
        s.complete("EXAMINE", true);
        assert_eq!(s.state(), State::Selected { read_only: true });
        assert!(s.check(&fetch).is_ok());
        assert!(s.check(&store).unwrap_err().contains("read-only"));
        s.complete("SELECT", false);
        assert_eq!(s.state(), State::Authenticated);
        s.complete("SELECT", true);
        s.complete("CLOSE", true);
        assert_eq!(s.state(), State::Authenticated);
        s.complete("LOGOUT", true);
        assert_eq!(s.state(), State::Logout);
    }

    #[test]
    fn idle_and_authenticate_modes() {
        let mut srv = Server::new();
        srv.feed(b"a1 AUTHENTICATE PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\n");
        assert_eq!(
            drain(&mut srv),
            ["cmd a1 AUTHENTICATE", "auth Some(\"AGFsaWNlAHNlY3JldA==\")"]
        );
        srv.complete("AUTHENTICATE", true);
        srv.feed(b"a2 IDLE\r\nNOOP\r\nDONE\r\na3 NOOP\r\n");
        assert_eq!(
            drain(&mut srv),
            [
                "cmd a2 IDLE",
                "reply * BAD expected DONE to end IDLE",
                "done",
                "cmd a3 NOOP"
            ]
        );
    }

    #[test]
    fn refusals() {
        let mut srv = Server::new();
        srv.feed(b"a1 LOGIN {3}\r\n");
        assert_eq!(drain(&mut srv), ["reply + Ready for literal"]);
        srv.feed(b"bob pw\r\nb1 APPEND INBOX {5000000000}\r\nc1 FOO\r\n((\r\n");
        assert_eq!(
            drain(&mut srv),
            [
                "cmd a1 LOGIN",
                "reply b1 NO [TOOBIG] literal of 5000000000 bytes exceeds the limit of 67108864 bytes",
                "reply c1 BAD [CLIENTBUG] unknown command \"FOO\" at offset 3",
                "reply * BAD [CLIENTBUG] expected tag at offset 0"
            ]
        );
    }
}
