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

use std::fmt;

use crate::command::{
    CommandBody, FetchItems, SelectParam, is_idle_done, parse_auth_line, parse_command_with, tag_of,
};
use crate::frame::{Event, Framer, FramerConfig};
use crate::lex::ParseOptions;
use crate::response::{
    Code, Response, ResponseOptions, Status, StatusKind, frame_error_response, parse_error_response,
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

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::NotAuthenticated => "not authenticated",
            State::Authenticated => "authenticated",
            State::Selected { .. } => "selected",
            State::Logout => "logout",
        })
    }
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

/// Why a well-formed command is refused in the current state: the
/// status to send in the tagged reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `BAD` when the command is not valid now, `NO` when it is valid
    /// but cannot be carried out (a write in a read-only mailbox).
    pub kind: StatusKind,
    /// A response code, when one fits.
    pub code: Option<Code<'static>>,
    /// The text of the reply.
    pub text: String,
}

impl Refusal {
    fn bad(text: String) -> Self {
        Refusal {
            kind: StatusKind::Bad,
            code: None,
            text,
        }
    }

    /// The tagged reply for the command tagged `tag`.
    pub fn response<'a>(&self, tag: Tag<'a>) -> Response<'a> {
        Response::Tagged {
            tag,
            status: Status {
                kind: self.kind,
                code: self.code.clone(),
                text: self.text.clone().into(),
            },
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for Refusal {}

/// The state of one IMAP connection, server side.
#[derive(Debug, Clone)]
pub struct Session {
    state: State,
    mode: Mode,
    utf8: bool,
    rev2: bool,
    condstore: bool,
    qresync: bool,
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
            rev2: false,
            condstore: false,
            qresync: false,
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

    /// Whether the client enabled UTF8=ACCEPT or IMAP4rev2: mailbox
    /// names and quoted strings are UTF-8 both ways.
    pub fn utf8(&self) -> bool {
        self.utf8
    }

    /// Whether the client enabled IMAP4rev2 (no `RECENT`, ESEARCH
    /// replies, and so on: the server's choice of responses).
    pub fn imap4rev2(&self) -> bool {
        self.rev2
    }

    /// Whether CONDSTORE is on: enabled, implied by QRESYNC, or turned
    /// on by a CONDSTORE-enabling command (RFC 7162 section 3.1). The
    /// server then sends MODSEQ with every FETCH of flags.
    pub fn condstore(&self) -> bool {
        self.condstore
    }

    /// Whether the client enabled QRESYNC.
    pub fn qresync(&self) -> bool {
        self.qresync
    }

    /// Whether STARTTLS completed.
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// Encoder options matching what the client enabled.
    pub fn response_options(&self) -> ResponseOptions {
        ResponseOptions { utf8: self.utf8 }
    }

    /// Parser options matching what the client enabled.
    pub fn parse_options(&self) -> ParseOptions {
        ParseOptions { utf8: self.utf8 }
    }

    /// Whether `cmd` may be issued now, by the state rules of RFC 9051
    /// and of the extensions:
    ///
    /// - each command only in its states; ENABLE only in the
    ///   authenticated state (RFC 5161); nothing after LOGOUT;
    /// - STORE, EXPUNGE, UID EXPUNGE and MOVE in a read-only mailbox:
    ///   `NO`;
    /// - SELECT/EXAMINE with QRESYNC before ENABLE QRESYNC, and FETCH
    ///   with VANISHED other than in UID FETCH with CHANGEDSINCE after
    ///   ENABLE QRESYNC: `BAD` (RFC 7162 sections 3.2.5 and 3.2.6);
    /// - after ENABLE UTF8=ACCEPT, SEARCH with CHARSET and SORT/THREAD
    ///   with a charset other than UTF-8: `BAD` (RFC 6855 section 3 and
    ///   its erratum 4029).
    ///
    /// # Errors
    ///
    /// The reply to send instead of carrying the command out.
    pub fn check(&self, cmd: &CommandBody<'_>) -> Result<(), Refusal> {
        use CommandBody as C;
        if self.state == State::Logout {
            return Err(Refusal::bad(format!(
                "{} not allowed: the connection is closing",
                cmd.name()
            )));
        }
        let auth = matches!(self.state, State::Authenticated | State::Selected { .. });
        let ok = match cmd {
            C::Capability | C::Noop | C::Logout | C::Id(_) | C::X { .. } => true,
            C::StartTls => self.state == State::NotAuthenticated && !self.tls,
            C::Authenticate { .. } | C::Login { .. } => self.state == State::NotAuthenticated,
            C::Enable(_) => self.state == State::Authenticated,
            C::Select(..)
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
            | C::SetQuota(..) => auth,
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
        if !ok {
            let why = if matches!(cmd, C::StartTls) && self.tls {
                "TLS is already active".to_string()
            } else {
                format!("state {}", self.state)
            };
            return Err(Refusal::bad(format!("{} not allowed in {why}", cmd.name())));
        }
        // Writes in a read-only mailbox are valid commands that fail.
        let writes = matches!(cmd, C::Expunge(_) | C::Store { .. } | C::Move { .. });
        if writes && self.state == (State::Selected { read_only: true }) {
            return Err(Refusal {
                kind: StatusKind::No,
                code: None,
                text: format!("{} not allowed: mailbox is read-only", cmd.name()),
            });
        }
        self.check_extensions(cmd)
    }

    fn check_extensions(&self, cmd: &CommandBody<'_>) -> Result<(), Refusal> {
        use CommandBody as C;
        match cmd {
            C::Select(_, params) | C::Examine(_, params)
                if !self.qresync
                    && params
                        .iter()
                        .any(|p| matches!(p, SelectParam::QResync { .. })) =>
            {
                Err(Refusal::bad(
                    "QRESYNC parameter before ENABLE QRESYNC".into(),
                ))
            }
            C::Fetch { uid, modifiers, .. } if modifiers.vanished => {
                if !self.qresync {
                    Err(Refusal::bad("VANISHED before ENABLE QRESYNC".into()))
                } else if !*uid || modifiers.changed_since.is_none() {
                    Err(Refusal::bad(
                        "VANISHED needs UID FETCH with CHANGEDSINCE".into(),
                    ))
                } else {
                    Ok(())
                }
            }
            C::Search { search, .. } if self.utf8 && search.charset.is_some() => Err(Refusal::bad(
                "SEARCH CHARSET not allowed after ENABLE UTF8=ACCEPT".into(),
            )),
            C::Sort { search, .. } | C::Thread { search, .. }
                if self.utf8
                    && !search
                        .charset
                        .as_deref()
                        .is_some_and(|c| c.eq_ignore_ascii_case(b"UTF-8")) =>
            {
                Err(Refusal::bad(format!(
                    "{} charset must be UTF-8 after ENABLE UTF8=ACCEPT",
                    cmd.name()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Records that the server accepted `cmd` (it passed
    /// [`Session::check`]): enters the IDLE or AUTHENTICATE input mode
    /// and turns CONDSTORE on for a CONDSTORE-enabling command
    /// (`SELECT (CONDSTORE)`, FETCH of MODSEQ or with CHANGEDSINCE,
    /// STORE with UNCHANGEDSINCE, SEARCH MODSEQ). [`Server`] calls it.
    pub fn started(&mut self, cmd: &CommandBody<'_>) {
        use CommandBody as C;
        match cmd {
            C::Idle => self.mode = Mode::Idle,
            C::Authenticate { .. } => self.mode = Mode::Auth,
            _ => {}
        }
        let condstore = match cmd {
            C::Select(_, p) | C::Examine(_, p) => {
                p.iter().any(|p| matches!(p, SelectParam::CondStore))
            }
            C::Fetch {
                items, modifiers, ..
            } => {
                modifiers.changed_since.is_some()
                    || matches!(items, FetchItems::Attrs { attrs, .. }
                        if attrs.contains(&crate::command::FetchAttr::ModSeq))
            }
            C::Store {
                unchanged_since, ..
            } => unchanged_since.is_some(),
            C::Search { search, .. } => search.keys.iter().any(has_modseq),
            C::Sort { search, .. } | C::Thread { search, .. } => search.keys.iter().any(has_modseq),
            _ => false,
        };
        self.condstore |= condstore;
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

    /// Records that the server's ENABLE reply listed `capability` in
    /// `* ENABLED` (RFC 5161). UTF8=ACCEPT and IMAP4rev2 switch mailbox
    /// names and quoted strings to UTF-8; QRESYNC implies CONDSTORE.
    /// Capabilities this crate has no rules for are ignored.
    pub fn enabled(&mut self, capability: &str) {
        let is = |c: &str| capability.eq_ignore_ascii_case(c);
        if is("UTF8=ACCEPT") {
            self.utf8 = true;
        } else if is("IMAP4rev2") {
            self.rev2 = true;
            self.utf8 = true;
        } else if is("CONDSTORE") {
            self.condstore = true;
        } else if is("QRESYNC") {
            self.qresync = true;
            self.condstore = true;
        }
    }

    /// The server ends the connection (BYE, timeout).
    pub fn close(&mut self) {
        self.state = State::Logout;
    }
}

fn has_modseq(k: &crate::command::SearchKey<'_>) -> bool {
    use crate::command::SearchKey as K;
    match k {
        K::ModSeq(..) => true,
        K::Not(k) => has_modseq(k),
        K::Or(a, b) => has_modseq(a) || has_modseq(b),
        K::And(v) => v.iter().any(has_modseq),
        _ => false,
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
    /// A server connection with default limits (LITERAL-: see
    /// [`FramerConfig::SERVER`]).
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

    /// The framer.
    pub fn framer_mut(&mut self) -> &mut Framer {
        &mut self.framer
    }

    /// Shorthand for [`Session::complete`]. After a successful
    /// STARTTLS it also throws away whatever the client sent after the
    /// command and before the TLS handshake: those plaintext bytes must
    /// not be read as commands of the protected session (the STARTTLS
    /// command injection attack).
    pub fn complete(&mut self, name: &str, ok: bool) {
        self.session.complete(name, ok);
        if name == "STARTTLS" && ok {
            drop(self.framer.take_buffered());
        }
    }

    /// The next input, or `None` when more bytes are needed.
    pub fn poll(&mut self) -> Option<Input<'_>> {
        let opts = self.session.response_options();
        let popts = self.session.parse_options();
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
            Mode::Commands => match parse_command_with(bytes, popts) {
                Err(e) => Some(Input::Reply(
                    parse_error_response(tag_of(bytes), &e).encode(opts),
                )),
                Ok(cmd) => {
                    if let Err(r) = session.check(&cmd.body) {
                        return Some(Input::Reply(r.response(cmd.tag).encode(opts)));
                    }
                    session.started(&cmd.body);
                    Some(Input::Command(cmd))
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::parse_command;

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

    fn body(wire: &str) -> CommandBody<'static> {
        let wire: &'static [u8] = Box::leak(format!("a {wire}\r\n").into_bytes().into());
        parse_command(wire).unwrap().body
    }

    #[test]
    fn state_rules() {
        let mut s = Session::new();
        let fetch = body("FETCH 1 FLAGS");
        let select = body("SELECT INBOX");
        let store = body("STORE 1 +FLAGS \\Seen");
        let enable = body("ENABLE CONDSTORE");
        assert!(s.check(&select).is_err());
        assert!(s.check(&enable).is_err());
        assert!(s.check(&body("STARTTLS")).is_ok());
        s.complete("LOGIN", true);
        assert!(s.check(&body("STARTTLS")).is_err());
        assert!(s.check(&body("LOGIN a b")).is_err());
        assert!(s.check(&select).is_ok());
        assert!(s.check(&enable).is_ok());
        assert!(s.check(&fetch).is_err());
        s.complete("EXAMINE", true);
        assert_eq!(s.state(), State::Selected { read_only: true });
        assert!(s.check(&fetch).is_ok());
        // ENABLE only before a mailbox is selected (RFC 5161).
        assert_eq!(s.check(&enable).unwrap_err().kind, StatusKind::Bad);
        for write in [
            "STORE 1 +FLAGS \\Seen",
            "EXPUNGE",
            "UID EXPUNGE 1",
            "MOVE 1 x",
        ] {
            let r = s.check(&body(write)).unwrap_err();
            assert!(r.text.contains("read-only"), "{write}");
            assert_eq!(r.kind, StatusKind::No, "{write}");
        }
        assert!(s.check(&body("COPY 1 x")).is_ok());
        s.complete("SELECT", false);
        assert_eq!(s.state(), State::Authenticated);
        s.complete("SELECT", true);
        assert!(s.check(&store).is_ok());
        s.complete("CLOSE", true);
        assert_eq!(s.state(), State::Authenticated);
        s.complete("LOGOUT", true);
        assert_eq!(s.state(), State::Logout);
        // Nothing after LOGOUT.
        assert!(s.check(&body("NOOP")).is_err());
        assert!(s.check(&body("CAPABILITY")).is_err());
    }

    #[test]
    fn extension_rules() {
        let mut s = Session::new();
        s.complete("LOGIN", true);
        let qresync = body("SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211))");
        assert!(
            s.check(&qresync)
                .unwrap_err()
                .text
                .contains("ENABLE QRESYNC")
        );
        s.enabled("QRESYNC");
        assert!(s.qresync() && s.condstore());
        assert!(s.check(&qresync).is_ok());
        s.complete("SELECT", true);
        let ok = body("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
        assert!(s.check(&ok).is_ok());
        for bad in [
            "FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
            "UID FETCH 1:* (FLAGS) (VANISHED)",
        ] {
            assert_eq!(
                s.check(&body(bad)).unwrap_err().kind,
                StatusKind::Bad,
                "{bad}"
            );
        }

        let mut s = Session::new();
        s.complete("LOGIN", true);
        s.complete("SELECT", true);
        let search = body("SEARCH CHARSET UTF-8 TEXT x");
        let sort = body("SORT (DATE) US-ASCII ALL");
        assert!(s.check(&search).is_ok() && s.check(&sort).is_ok());
        s.enabled("utf8=accept");
        assert!(s.utf8() && !s.imap4rev2());
        assert!(s.check(&search).unwrap_err().text.contains("CHARSET"));
        assert!(s.check(&sort).unwrap_err().text.contains("UTF-8"));
        assert!(s.check(&body("SORT (DATE) UTF-8 ALL")).is_ok());
        assert!(s.check(&body("SEARCH TEXT x")).is_ok());

        // CONDSTORE-enabling commands turn CONDSTORE on.
        let mut s = Session::new();
        s.complete("LOGIN", true);
        assert!(!s.condstore());
        s.started(&body("SELECT INBOX"));
        assert!(!s.condstore());
        for enabling in [
            "SELECT INBOX (CONDSTORE)",
            "FETCH 1 (FLAGS MODSEQ)",
            "FETCH 1 FLAGS (CHANGEDSINCE 1)",
            "STORE 1 (UNCHANGEDSINCE 5) +FLAGS \\Seen",
            "SEARCH NOT MODSEQ 5",
        ] {
            let mut s = s.clone();
            s.started(&body(enabling));
            assert!(s.condstore(), "{enabling}");
        }
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
        // A cancelled exchange.
        let mut srv = Server::new();
        srv.feed(b"a1 AUTHENTICATE PLAIN\r\n*\r\n");
        assert_eq!(drain(&mut srv), ["cmd a1 AUTHENTICATE", "auth None"]);
    }

    #[test]
    fn starttls_drops_early_plaintext() {
        let mut srv = Server::new();
        srv.feed(b"a1 STARTTLS\r\na2 LOGIN injected secret\r\n");
        let Some(Input::Command(cmd)) = srv.poll() else {
            panic!()
        };
        assert_eq!(cmd.body, CommandBody::StartTls);
        srv.complete("STARTTLS", true);
        assert!(srv.session().tls());
        assert!(srv.poll().is_none());
        srv.feed(b"a3 CAPABILITY\r\n");
        assert_eq!(drain(&mut srv), ["cmd a3 CAPABILITY"]);
    }

    #[test]
    fn utf8_names_after_enable() {
        let mut srv = Server::new();
        srv.session_mut().complete("LOGIN", true);
        srv.feed(b"a1 CREATE \"R&D\"\r\n");
        let r = drain(&mut srv);
        assert!(r[0].starts_with("reply a1 NO [CANNOT]"), "{r:?}");
        srv.session_mut().enabled("IMAP4rev2");
        srv.feed(b"a2 CREATE \"R&D\"\r\n");
        let Some(Input::Command(cmd)) = srv.poll() else {
            panic!()
        };
        let CommandBody::Create(m, _) = cmd.body else {
            panic!()
        };
        assert_eq!(m.as_str(), "R&D");
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
