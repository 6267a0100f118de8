//! The server side of an SMTP or LMTP connection, as a sans-I/O
//! state machine.
//!
//! [`Server`] never reads a socket or a clock. The caller:
//!
//! 1. sends [`Server::take_output`] (the greeting first);
//! 2. passes received bytes to [`Server::feed`] with the current time;
//! 3. drains [`Server::poll_event`]; events that ask for a decision
//!    ([`Event::Mail`], [`Event::Rcpt`], [`Event::Auth`],
//!    [`Event::Message`]) are answered with [`Server::accept`] (the
//!    default 2xx), [`Server::accept_with`] (the caller's own 2xx),
//!    [`Server::reject`] (the caller's own 4xx or 5xx) or, for LMTP
//!    messages, [`Server::decide_each`] (one reply per recipient);
//!    nothing more is read until then;
//! 4. sends [`Server::take_output`] again, and closes the connection
//!    once [`Server::is_closed`] says so.
//!
//! This is the whole policy interface: the session enforces the
//! protocol (command order, limits, syntax, SMTPUTF8, SIZE) and
//! answers protocol errors itself, always through
//! [`CommandError::reply`] and [`SessionError::reply`]; whether a
//! sender, a recipient, a login or a message is welcome is the
//! caller's to say, with its own code and text.
//!
//! Timeouts are raised by the caller: [`Server::poll_timeout`] says
//! when the next one falls due and [`Server::handle_timeout`] acts on
//! it (RFC 5321 4.5.3.2).
//!
//! ```
//! use std::time::Instant;
//! use rampart_smtp_proto::server::{Event, Server, ServerConfig};
//!
//! let now = Instant::now();
//! let mut srv = Server::new(ServerConfig::new("mx.example"), now);
//! assert!(srv.take_output().starts_with(b"220 "));
//! srv.feed(now, b"EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n");
//! assert!(matches!(srv.poll_event(), Some(Event::Hello { .. })));
//! let Some(Event::Mail { from, .. }) = srv.poll_event() else { panic!() };
//! assert_eq!(from.to_string(), "<a@example.org>");
//! srv.accept().unwrap();
//! let out = String::from_utf8(srv.take_output()).unwrap();
//! assert!(out.ends_with("250 2.1.0 sender ok\r\n"));
//! ```

use std::collections::VecDeque;
use std::mem;
use std::time::{Duration, Instant};

use crate::command::{Command, DEFAULT_MAX_LINE, parse_command};
use crate::data::{BareLineEnding, ChunkReceiver, DataError, DataReceiver};
use crate::error::{CommandError, SessionError};
use crate::params::{Body, MailParams, RcptParams};
use crate::path::{ForwardPath, ReversePath};
use crate::reply::{Capabilities, Capability, EnhancedCode, Reply};
use crate::sasl::{self, Credentials, SaslError, Secret};

/// What a server offers and enforces. Build with
/// [`ServerConfig::new`] and change the public fields.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Our host name, in the greeting and the EHLO reply.
    pub hostname: String,
    /// Speak LMTP (RFC 2033): LHLO instead of HELO/EHLO, and one reply
    /// per recipient after the message.
    pub lmtp: bool,
    /// Longest command line, CRLF included. Longer lines are read to
    /// their end, dropped and answered with 500.
    pub max_line: usize,
    /// Most recipients per transaction; more get 452.
    pub max_recipients: usize,
    /// Bad commands tolerated before the session ends with 421.
    pub max_errors: usize,
    /// Largest message in octets, advertised with SIZE.
    pub max_message_size: u64,
    /// What to do with bare CR or LF in DATA.
    pub bare_line_ending: BareLineEnding,
    /// Advertise PIPELINING (commands are always read in order).
    pub pipelining: bool,
    /// Offer BDAT (CHUNKING) and BINARYMIME.
    pub chunking: bool,
    /// Offer 8BITMIME.
    pub eight_bit_mime: bool,
    /// Offer SMTPUTF8.
    pub smtputf8: bool,
    /// Offer DSN parameters.
    pub dsn: bool,
    /// Offer STARTTLS (the caller must be able to run a handshake).
    pub starttls: bool,
    /// SASL mechanisms offered: any of `PLAIN` and `LOGIN`. Empty
    /// means no AUTH.
    pub auth_mechanisms: Vec<&'static str>,
    /// Offer AUTH only once TLS is on (recommended).
    pub auth_requires_tls: bool,
    /// Time allowed between commands (RFC 5321 4.5.3.2.7: 5 minutes).
    pub command_timeout: Duration,
    /// Time allowed between data bytes of a DATA or BDAT message.
    pub data_timeout: Duration,
}

impl ServerConfig {
    /// Defaults: SMTP, 2048-octet lines, 100 recipients, 20 errors,
    /// 25 MiB messages, bare line endings rejected, PIPELINING,
    /// CHUNKING, 8BITMIME, SMTPUTF8 and DSN on, no STARTTLS, no AUTH,
    /// 5-minute command and 10-minute data timeouts.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            lmtp: false,
            max_line: DEFAULT_MAX_LINE,
            max_recipients: 100,
            max_errors: 20,
            max_message_size: 25 << 20,
            bare_line_ending: BareLineEnding::Reject,
            pipelining: true,
            chunking: true,
            eight_bit_mime: true,
            smtputf8: true,
            dsn: true,
            starttls: false,
            auth_mechanisms: Vec::new(),
            auth_requires_tls: true,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(600),
        }
    }
}

/// One accepted recipient of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The forward-path.
    pub path: ForwardPath<'static>,
    /// Its parameters.
    pub params: RcptParams<'static>,
}

/// A received message with its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The HELO/EHLO/LHLO argument.
    pub helo: String,
    /// The reverse-path.
    pub from: ReversePath<'static>,
    /// MAIL parameters.
    pub mail_params: MailParams<'static>,
    /// Accepted recipients, in order.
    pub recipients: Vec<Recipient>,
    /// The message, dot-unstuffed (DATA) or joined (BDAT).
    pub message: Vec<u8>,
    /// True when the message came over TLS.
    pub tls: bool,
    /// The authenticated identity, if any.
    pub authenticated: Option<String>,
}

/// Which greeting command the client used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelloKind {
    /// HELO (plain SMTP).
    Helo,
    /// EHLO (ESMTP).
    Ehlo,
    /// LHLO (LMTP).
    Lhlo,
}

/// Something the caller must know about or decide.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The client greeted; no decision needed.
    Hello {
        /// Its claimed name.
        domain: String,
        /// HELO, EHLO or LHLO.
        kind: HelloKind,
    },
    /// MAIL FROM: decide with [`Server::accept`] (250 2.1.0) or
    /// [`Server::reject`].
    Mail {
        /// The sender.
        from: ReversePath<'static>,
        /// Its parameters (SIZE is already checked against the limit).
        params: MailParams<'static>,
    },
    /// RCPT TO: decide with [`Server::accept`] (250 2.1.5) or
    /// [`Server::reject`].
    Rcpt {
        /// The recipient.
        to: ForwardPath<'static>,
        /// Its parameters.
        params: RcptParams<'static>,
    },
    /// AUTH finished its exchange: check the credentials, then
    /// [`Server::accept`] (235 2.7.0) or [`Server::reject`].
    Auth(Credentials),
    /// A whole message arrived: take it, then [`Server::accept`]
    /// (250 2.0.0, one per recipient in LMTP), [`Server::reject`] or,
    /// in LMTP, [`Server::decide_each`].
    Message(Transaction),
    /// STARTTLS was accepted: send the output (the 220 reply), run
    /// the TLS handshake, then call [`Server::tls_established`].
    /// Input received before the handshake has been thrown away
    /// (RFC 3207 section 6, the command injection attack).
    StartTls,
}

/// A decision method called while no decision was pending, or with a
/// reply of the wrong kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// No event is waiting for a decision.
    #[error("no decision is pending")]
    NothingPending,
    /// [`Server::reject`] needs a 4xx or 5xx reply.
    #[error("a rejection needs a 4xx or 5xx reply, not {0}")]
    NotARejection(u16),
    /// [`Server::accept_with`] needs a 2xx reply.
    #[error("an acceptance needs a 2xx reply, not {0}")]
    NotAnAcceptance(u16),
    /// [`Server::decide_each`] used outside an LMTP message, or with
    /// the wrong number of replies.
    #[error("expected {expected} per-recipient replies, got {got}")]
    WrongReplyCount {
        /// Replies needed (0 when not an LMTP message decision).
        expected: usize,
        /// Replies given.
        got: usize,
    },
}

#[derive(Debug)]
enum Pending {
    Mail(ReversePath<'static>, MailParams<'static>),
    Rcpt(Recipient),
    Auth(String),
    Message(usize),
}

#[derive(Debug)]
enum Mode {
    Command,
    /// Dropping the rest of an overlong line.
    SkipLine,
    Data(Box<DataReceiver>),
    Bdat {
        rx: Box<ChunkReceiver>,
        last: bool,
        /// Why the chunk is read only to be thrown away.
        refused: Option<Reply>,
    },
    AuthPlain,
    AuthLoginUser,
    AuthLoginPassword(String),
    /// Waiting for [`Server::tls_established`].
    TlsHandshake,
    Closed,
}

/// Longest response line in an AUTH exchange (RFC 4954 4).
pub const MAX_AUTH_LINE: usize = 12288;

/// Compact the input buffer once this much has been consumed.
const COMPACT_AT: usize = 16 * 1024;

/// The server state machine; see the [module docs](self).
#[derive(Debug)]
pub struct Server {
    cfg: ServerConfig,
    mode: Mode,
    input: Vec<u8>,
    pos: usize,
    output: Vec<u8>,
    events: VecDeque<Event>,
    pending: Option<Pending>,
    helo: Option<String>,
    extended: bool,
    tls: bool,
    authenticated: Option<String>,
    mail: Option<(ReversePath<'static>, MailParams<'static>)>,
    rcpts: Vec<Recipient>,
    /// A RCPT came in this transaction, accepted or not.
    rcpt_seen: bool,
    /// BDAT chunks of the current transaction, kept across commands.
    bdat: Option<Box<ChunkReceiver>>,
    errors: usize,
    last_activity: Instant,
}

impl Server {
    /// A new session; the 220 greeting is queued as output.
    pub fn new(cfg: ServerConfig, now: Instant) -> Self {
        let proto = if cfg.lmtp { "LMTP" } else { "ESMTP" };
        let greeting = Reply::new(220, None, format!("{} {proto} ready", cfg.hostname));
        let mut s = Self {
            cfg,
            mode: Mode::Command,
            input: Vec::new(),
            pos: 0,
            output: Vec::new(),
            events: VecDeque::new(),
            pending: None,
            helo: None,
            extended: false,
            tls: false,
            authenticated: None,
            mail: None,
            rcpts: Vec::new(),
            rcpt_seen: false,
            bdat: None,
            errors: 0,
            last_activity: now,
        };
        s.send(&greeting);
        s
    }

    /// The configuration in use.
    pub fn config(&self) -> &ServerConfig {
        &self.cfg
    }

    /// True once the session has ended (QUIT, too many errors, a
    /// timeout): send the remaining output, then close.
    pub fn is_closed(&self) -> bool {
        matches!(self.mode, Mode::Closed)
    }

    /// True when TLS has been established with
    /// [`Server::tls_established`].
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The identity accepted by AUTH, if any.
    pub fn authenticated(&self) -> Option<&str> {
        self.authenticated.as_deref()
    }

    /// True when feeding more input is useful: not closed, not in a
    /// TLS handshake and not waiting for a decision. Input fed while
    /// this is false is buffered (and counts against memory).
    pub fn wants_read(&self) -> bool {
        self.pending.is_none()
            && self.events.is_empty()
            && !matches!(self.mode, Mode::Closed | Mode::TlsHandshake)
    }

    /// Takes the bytes to send to the client.
    pub fn take_output(&mut self) -> Vec<u8> {
        mem::take(&mut self.output)
    }

    /// Hands received bytes to the session and processes them as far
    /// as possible (up to the next decision).
    ///
    /// # Memory usage
    ///
    /// A command line is never held beyond `max_line` octets and a
    /// message beyond `max_message_size`; input is otherwise buffered
    /// only while a decision is pending.
    pub fn feed(&mut self, now: Instant, input: &[u8]) {
        if matches!(self.mode, Mode::Closed | Mode::TlsHandshake) {
            return;
        }
        self.last_activity = now;
        self.input.extend_from_slice(input);
        self.process();
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When the caller should call [`Server::handle_timeout`], if the
    /// session is still open.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let wait = match self.mode {
            Mode::Closed => return None,
            Mode::Data(_) | Mode::Bdat { .. } => self.cfg.data_timeout,
            _ => self.cfg.command_timeout,
        };
        Some(self.last_activity + wait)
    }

    /// Ends the session with 421 if the timeout from
    /// [`Server::poll_timeout`] has passed at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.send(&SessionError::Timeout.reply());
            self.close();
        }
    }

    /// Ends the session from the caller's side (shutdown): sends 421
    /// with `text` and closes.
    pub fn shutdown(&mut self, text: &str) {
        if !self.is_closed() {
            self.send(&SessionError::ShuttingDown(text.to_string()).reply());
            self.close();
        }
    }

    /// Call after the TLS handshake that followed [`Event::StartTls`]:
    /// the session starts over, as RFC 3207 requires (the client must
    /// greet again; HELO, AUTH and any transaction are forgotten).
    pub fn tls_established(&mut self) {
        if matches!(self.mode, Mode::TlsHandshake) {
            self.tls = true;
            self.helo = None;
            self.extended = false;
            self.authenticated = None;
            self.reset_transaction();
            self.mode = Mode::Command;
            self.input.clear();
            self.pos = 0;
        }
    }

    /// Accepts the pending MAIL, RCPT, AUTH or message.
    ///
    /// # Errors
    ///
    /// [`DecisionError::NothingPending`] when there is no decision to
    /// make.
    pub fn accept(&mut self) -> Result<(), DecisionError> {
        let p = self.pending.take().ok_or(DecisionError::NothingPending)?;
        match p {
            Pending::Mail(from, params) => {
                self.mail = Some((from, params));
                self.send(&ok(250, (2, 1, 0), "sender ok"));
            }
            Pending::Rcpt(r) => {
                self.rcpts.push(r);
                self.send(&ok(250, (2, 1, 5), "recipient ok"));
            }
            Pending::Auth(id) => {
                self.authenticated = Some(id);
                self.send(&ok(235, (2, 7, 0), "authentication successful"));
            }
            Pending::Message(n) => {
                let r = ok(250, (2, 0, 0), "message accepted");
                self.send_n(&r, n);
            }
        }
        self.process();
        Ok(())
    }

    /// Accepts the pending MAIL, RCPT, AUTH or message with the
    /// caller's own 2xx reply instead of the default one: a 251 for a
    /// forwarded recipient, a queue id after a message. For an LMTP
    /// message every recipient gets it (see [`Server::decide_each`]).
    ///
    /// # Errors
    ///
    /// [`DecisionError::NotAnAcceptance`] when `reply` is not 2xx
    /// (nothing changes), [`DecisionError::NothingPending`].
    pub fn accept_with(&mut self, reply: Reply) -> Result<(), DecisionError> {
        if !reply.is_positive() {
            return Err(DecisionError::NotAnAcceptance(reply.code()));
        }
        let p = self.pending.take().ok_or(DecisionError::NothingPending)?;
        let n = match p {
            Pending::Mail(from, params) => {
                self.mail = Some((from, params));
                1
            }
            Pending::Rcpt(r) => {
                self.rcpts.push(r);
                1
            }
            Pending::Auth(id) => {
                self.authenticated = Some(id);
                1
            }
            Pending::Message(n) => n,
        };
        self.send_n(&reply, n);
        self.process();
        Ok(())
    }

    /// Rejects the pending MAIL, RCPT, AUTH or message with `reply`
    /// (for an LMTP message, every recipient gets it).
    ///
    /// # Errors
    ///
    /// [`DecisionError::NotARejection`] when `reply` is 2xx or 3xx
    /// (nothing changes), [`DecisionError::NothingPending`].
    pub fn reject(&mut self, reply: Reply) -> Result<(), DecisionError> {
        if reply.code() < 400 {
            return Err(DecisionError::NotARejection(reply.code()));
        }
        let p = self.pending.take().ok_or(DecisionError::NothingPending)?;
        let n = match p {
            Pending::Message(n) => n,
            _ => 1,
        };
        // Policy refusals do not count toward max_errors: that limit
        // is for protocol errors.
        self.send_n(&reply, n);
        self.process();
        Ok(())
    }

    /// Answers an LMTP message with one reply per accepted recipient,
    /// in RCPT order (RFC 2033 4.2).
    ///
    /// # Errors
    ///
    /// [`DecisionError::WrongReplyCount`] unless an LMTP message is
    /// pending and `replies` has one reply per recipient.
    pub fn decide_each(&mut self, replies: &[Reply]) -> Result<(), DecisionError> {
        match self.pending {
            Some(Pending::Message(n)) if self.cfg.lmtp && n == replies.len() => {}
            Some(Pending::Message(n)) if self.cfg.lmtp => {
                return Err(DecisionError::WrongReplyCount {
                    expected: n,
                    got: replies.len(),
                });
            }
            Some(_) => {
                return Err(DecisionError::WrongReplyCount {
                    expected: 0,
                    got: replies.len(),
                });
            }
            None => return Err(DecisionError::NothingPending),
        }
        self.pending = None;
        for r in replies {
            self.send(r);
        }
        self.process();
        Ok(())
    }

    /// The EHLO reply for the current state (STARTTLS and AUTH depend
    /// on whether TLS is on).
    pub fn capabilities(&self) -> Capabilities {
        let c = &self.cfg;
        let mut list = vec![Capability::Size(Some(c.max_message_size))];
        if c.pipelining {
            list.push(Capability::Pipelining);
        }
        if c.eight_bit_mime {
            list.push(Capability::EightBitMime);
        }
        if c.chunking {
            list.push(Capability::Chunking);
            list.push(Capability::BinaryMime);
        }
        if c.smtputf8 {
            list.push(Capability::SmtpUtf8);
        }
        if c.dsn {
            list.push(Capability::Dsn);
        }
        list.push(Capability::EnhancedStatusCodes);
        if c.starttls && !self.tls {
            list.push(Capability::StartTls);
        }
        if self.tls {
            list.push(Capability::RequireTls);
        }
        if self.auth_offered() {
            let m = c.auth_mechanisms.iter().map(|m| m.to_string()).collect();
            list.push(Capability::Auth(m));
        }
        Capabilities {
            greeting: format!("{} greets you", c.hostname),
            list,
        }
    }

    fn auth_offered(&self) -> bool {
        !self.cfg.auth_mechanisms.is_empty() && (self.tls || !self.cfg.auth_requires_tls)
    }

    fn send(&mut self, r: &Reply) {
        r.encode(&mut self.output);
    }

    fn send_n(&mut self, r: &Reply, n: usize) {
        for _ in 0..n.max(1) {
            self.send(r);
        }
    }

    fn close(&mut self) {
        self.mode = Mode::Closed;
        self.input = Vec::new();
        self.pos = 0;
        self.pending = None;
    }

    fn reset_transaction(&mut self) {
        self.mail = None;
        self.rcpts.clear();
        self.rcpt_seen = false;
        self.bdat = None;
    }

    /// Counts a 5xx toward the error limit; ends the session past it.
    fn count_error(&mut self, r: &Reply) {
        if r.code() >= 500 {
            self.errors += 1;
            if self.errors > self.cfg.max_errors && !self.is_closed() {
                self.send(&SessionError::TooManyErrors.reply());
                self.close();
            }
        }
    }

    fn refuse(&mut self, e: SessionError) {
        let r = e.reply();
        self.send(&r);
        self.count_error(&r);
    }

    fn bad_command(&mut self, e: &CommandError) {
        let r = e.reply();
        self.send(&r);
        self.count_error(&r);
    }

    fn block(&mut self, p: Pending, ev: Event) {
        self.pending = Some(p);
        self.events.push_back(ev);
    }

    /// Runs the input through the current mode until it is used up or
    /// a decision is needed.
    fn process(&mut self) {
        while self.pending.is_none() && self.pos < self.input.len() {
            let before = self.pos;
            match &mut self.mode {
                Mode::Closed | Mode::TlsHandshake => break,
                Mode::Data(rx) => {
                    self.pos += rx.feed(&self.input[self.pos..]);
                    if rx.is_done() {
                        self.end_data();
                    }
                }
                Mode::Bdat { rx, .. } => {
                    self.pos += rx.feed(&self.input[self.pos..]);
                    if rx.remaining() == 0 {
                        self.end_chunk();
                    }
                }
                Mode::SkipLine => {
                    match memchr::memchr(b'\n', &self.input[self.pos..]) {
                        Some(i) => {
                            self.pos += i + 1;
                            self.mode = Mode::Command;
                            let e = CommandError::LineTooLong {
                                len: self.cfg.max_line + 1,
                                max: self.cfg.max_line,
                            };
                            self.bad_command(&e);
                        }
                        None => self.pos = self.input.len(),
                    };
                }
                _ => self.next_line(),
            }
            if self.pos == before && !matches!(self.mode, Mode::Data(_) | Mode::Bdat { .. }) {
                break;
            }
        }
        self.compact();
    }

    fn compact(&mut self) {
        if self.pos == self.input.len() {
            self.input.clear();
            self.pos = 0;
        } else if self.pos >= COMPACT_AT {
            self.input.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Takes one line (if complete) in command or AUTH mode.
    fn next_line(&mut self) {
        let rest = &self.input[self.pos..];
        let max = match self.mode {
            // RFC 4954 4: a response in an AUTH exchange may be 12288
            // octets, whatever the command line limit.
            Mode::AuthPlain | Mode::AuthLoginUser | Mode::AuthLoginPassword(_) => {
                self.cfg.max_line.max(MAX_AUTH_LINE)
            }
            _ => self.cfg.max_line,
        };
        let Some(nl) = memchr::memchr(b'\n', &rest[..rest.len().min(max)]) else {
            if rest.len() >= max {
                // Overlong: drop what we have and skip to the LF. An
                // AUTH exchange in progress is abandoned.
                self.pos += max;
                self.mode = Mode::SkipLine;
            }
            return;
        };
        let start = self.pos;
        self.pos += nl + 1;
        // The line borrows the buffer while the session changes.
        let input = mem::take(&mut self.input);
        self.line(&input[start..start + nl + 1]);
        self.input = input;
        // Whatever followed STARTTLS or QUIT is thrown away.
        if matches!(self.mode, Mode::TlsHandshake | Mode::Closed) {
            self.input.clear();
            self.pos = 0;
        }
    }

    fn line(&mut self, line: &[u8]) {
        match mem::replace(&mut self.mode, Mode::Command) {
            Mode::AuthPlain => self.auth_plain_response(line),
            Mode::AuthLoginUser => self.auth_login_user(line),
            Mode::AuthLoginPassword(user) => self.auth_login_password(line, user),
            _ => match parse_command(line) {
                Ok(cmd) => self.command(cmd),
                Err(e) => self.bad_command(&e),
            },
        }
    }

    fn command(&mut self, cmd: Command<'_>) {
        match cmd {
            Command::Helo { domain } => self.hello(domain, HelloKind::Helo),
            Command::Ehlo { domain } => self.hello(domain, HelloKind::Ehlo),
            Command::Lhlo { domain } => self.hello(domain, HelloKind::Lhlo),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to, params } => self.rcpt(to, params),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.reset_transaction();
                self.send(&ok(250, (2, 0, 0), "reset"));
            }
            Command::Noop { .. } => self.send(&ok(250, (2, 0, 0), "ok")),
            Command::Vrfy { .. } => self.send(&ok(
                252,
                (2, 5, 0),
                "cannot verify, but will accept and attempt delivery",
            )),
            Command::Expn { .. } => self.refuse(SessionError::NotImplemented("EXPN")),
            Command::Help { .. } => self.send(&ok(
                214,
                (2, 0, 0),
                "see https://www.rfc-editor.org/rfc/rfc5321",
            )),
            Command::Quit => {
                self.send(&ok(221, (2, 0, 0), "bye"));
                self.close();
            }
            Command::StartTls => self.starttls(),
            Command::Auth { mechanism, initial } => self.auth(mechanism, initial),
        }
    }

    fn hello(&mut self, domain: &str, kind: HelloKind) {
        let lhlo = kind == HelloKind::Lhlo;
        if lhlo != self.cfg.lmtp {
            let why = if lhlo { "LHLO" } else { "HELO/EHLO in LMTP" };
            self.refuse(SessionError::NotImplemented(why));
            return;
        }
        // A new greeting also resets any transaction (RFC 5321 4.1.4).
        self.reset_transaction();
        self.helo = Some(domain.to_string());
        self.extended = kind != HelloKind::Helo;
        let reply = if self.extended {
            self.capabilities().to_reply()
        } else {
            Reply::new(250, None, self.cfg.hostname.clone())
        };
        self.send(&reply);
        self.events.push_back(Event::Hello {
            domain: domain.to_string(),
            kind,
        });
    }

    fn mail(&mut self, from: ReversePath<'_>, params: MailParams<'_>) {
        if self.helo.is_none() {
            return self.refuse(SessionError::BadSequence("send HELO/EHLO first"));
        }
        if self.mail.is_some() {
            return self.refuse(SessionError::BadSequence("nested MAIL command"));
        }
        if let Some(e) = self.unoffered_mail_param(&params) {
            return self.refuse(e);
        }
        if params.size.is_some_and(|s| s > self.cfg.max_message_size) {
            let max = self.cfg.max_message_size;
            return self.refuse(SessionError::MessageTooLarge { max });
        }
        let (from, params) = (from.into_owned(), params.into_owned());
        let ev = Event::Mail {
            from: from.clone(),
            params: params.clone(),
        };
        self.block(Pending::Mail(from, params), ev);
    }

    /// The first parameter whose extension we did not advertise.
    fn unoffered_mail_param(&self, p: &MailParams<'_>) -> Option<SessionError> {
        let c = &self.cfg;
        let na = SessionError::NotAdvertised;
        if !self.extended && *p != MailParams::default() {
            return Some(na("ESMTP parameters after HELO"));
        }
        match p.body {
            Some(Body::EightBitMime) if !c.eight_bit_mime => return Some(na("BODY=8BITMIME")),
            Some(Body::BinaryMime) if !c.chunking => return Some(na("BODY=BINARYMIME")),
            _ => {}
        }
        if p.smtputf8 && !c.smtputf8 {
            return Some(na("SMTPUTF8"));
        }
        if (p.ret.is_some() || p.envid.is_some()) && !c.dsn {
            return Some(na("RET/ENVID"));
        }
        if p.auth.is_some() && !self.auth_offered() {
            return Some(na("AUTH"));
        }
        if p.requiretls && !self.tls {
            return Some(na("REQUIRETLS"));
        }
        None
    }

    fn rcpt(&mut self, to: ForwardPath<'_>, params: RcptParams<'_>) {
        let Some((_, mp)) = &self.mail else {
            return self.refuse(SessionError::BadSequence("send MAIL first"));
        };
        self.rcpt_seen = true;
        if !to.is_ascii() && !mp.smtputf8 {
            return self.refuse(SessionError::Utf8Recipient);
        }
        if (params.notify.is_some() || params.orcpt.is_some()) && !self.cfg.dsn {
            return self.refuse(SessionError::NotAdvertised("NOTIFY/ORCPT"));
        }
        if self.rcpts.len() >= self.cfg.max_recipients {
            return self.refuse(SessionError::TooManyRecipients);
        }
        let r = Recipient {
            path: to.into_owned(),
            params: params.into_owned(),
        };
        let ev = Event::Rcpt {
            to: r.path.clone(),
            params: r.params.clone(),
        };
        self.block(Pending::Rcpt(r), ev);
    }

    /// Why a DATA or BDAT may not start, if it may not: 503 without
    /// MAIL or without any RCPT, 554 when every RCPT was refused (RFC
    /// 5321 3.3 allows either; this is what Postfix answers).
    fn transfer_refusal(&self) -> Option<SessionError> {
        if self.mail.is_none() {
            return Some(SessionError::BadSequence("send MAIL first"));
        }
        if !self.rcpt_seen {
            return Some(SessionError::BadSequence("send RCPT first"));
        }
        if self.rcpts.is_empty() {
            return Some(SessionError::NoValidRecipients);
        }
        None
    }

    fn data(&mut self) {
        if self.bdat.is_some() {
            return self.refuse(SessionError::BadSequence("DATA after BDAT"));
        }
        if let Some(e) = self.transfer_refusal() {
            return self.refuse(e);
        }
        if self.mail.as_ref().and_then(|m| m.1.body) == Some(Body::BinaryMime) {
            return self.refuse(SessionError::BadSequence("BINARYMIME needs BDAT"));
        }
        self.send(&Reply::new(354, None, "end data with <CR><LF>.<CR><LF>"));
        let rx = DataReceiver::new(self.cfg.max_message_size, self.cfg.bare_line_ending);
        self.mode = Mode::Data(Box::new(rx));
    }

    fn bdat(&mut self, size: u64, last: bool) {
        // The chunk is read whatever happens: its bytes must never be
        // taken for commands.
        let refused = if !self.cfg.chunking {
            Some(SessionError::NotImplemented("BDAT").reply())
        } else {
            self.transfer_refusal().map(|e| e.reply())
        };
        let rx = match (&refused, self.bdat.take()) {
            (None, Some(rx)) => rx,
            (None, None) => Box::new(ChunkReceiver::new(self.cfg.max_message_size)),
            // Keep the transaction's chunks; read this one into a
            // receiver that stores nothing.
            (Some(_), prev) => {
                self.bdat = prev;
                Box::new(ChunkReceiver::new(0))
            }
        };
        let mut rx = rx;
        rx.start_chunk(size);
        self.mode = Mode::Bdat { rx, last, refused };
        if size == 0 {
            self.end_chunk();
        }
    }

    fn end_chunk(&mut self) {
        let Mode::Bdat { rx, last, refused } = mem::replace(&mut self.mode, Mode::Command) else {
            return;
        };
        if let Some(r) = refused {
            self.send(&r);
            self.count_error(&r);
            return;
        }
        if !last {
            let text = format!("{} octets received", rx.size());
            self.send(&ok(250, (2, 0, 0), &text));
            self.bdat = Some(rx);
            return;
        }
        let result = rx.finish();
        self.end_message(result);
    }

    fn end_data(&mut self) {
        let Mode::Data(rx) = mem::replace(&mut self.mode, Mode::Command) else {
            return;
        };
        self.end_message(rx.finish());
    }

    /// A message is complete: hand it over, or refuse it.
    fn end_message(&mut self, result: Result<Vec<u8>, DataError>) {
        let n = if self.cfg.lmtp { self.rcpts.len() } else { 1 };
        let message = match result {
            Ok(m) => m,
            Err(e) => {
                self.send_n(&SessionError::from(e).reply(), n);
                self.reset_transaction();
                return;
            }
        };
        let Some((from, mail_params)) = self.mail.take() else {
            return;
        };
        let t = Transaction {
            helo: self.helo.clone().unwrap_or_default(),
            from,
            mail_params,
            recipients: mem::take(&mut self.rcpts),
            message,
            tls: self.tls,
            authenticated: self.authenticated.clone(),
        };
        self.reset_transaction();
        self.block(Pending::Message(n), Event::Message(t));
    }

    fn starttls(&mut self) {
        if !self.cfg.starttls {
            return self.refuse(SessionError::NotImplemented("STARTTLS"));
        }
        if self.tls {
            return self.refuse(SessionError::BadSequence("TLS already active"));
        }
        self.send(&Reply::new(
            220,
            Some(EnhancedCode::new(2, 0, 0)),
            "ready to start TLS",
        ));
        self.mode = Mode::TlsHandshake;
        self.events.push_back(Event::StartTls);
    }

    fn auth(&mut self, mechanism: &str, initial: Option<&str>) {
        if self.cfg.auth_mechanisms.is_empty() {
            return self.refuse(SessionError::NotImplemented("AUTH"));
        }
        if !self.extended {
            // AUTH is an ESMTP extension: it exists only after EHLO.
            return self.refuse(SessionError::BadSequence("send EHLO first"));
        }
        if !self.auth_offered() {
            return self.refuse(SessionError::EncryptionRequired);
        }
        if self.authenticated.is_some() {
            return self.refuse(SessionError::BadSequence("already authenticated"));
        }
        if self.mail.is_some() {
            return self.refuse(SessionError::BadSequence("AUTH inside a transaction"));
        }
        let Some(&mech) = self
            .cfg
            .auth_mechanisms
            .iter()
            .find(|m| m.eq_ignore_ascii_case(mechanism))
        else {
            return self.refuse(SessionError::UnknownMechanism);
        };
        match (mech, initial) {
            ("PLAIN", Some(i)) => self.auth_plain_response(i.as_bytes()),
            ("PLAIN", None) => {
                self.send(&Reply::new(334, None, ""));
                self.mode = Mode::AuthPlain;
            }
            ("LOGIN", Some(i)) => self.auth_login_user(i.as_bytes()),
            ("LOGIN", None) => {
                // "Username:"
                self.send(&Reply::new(334, None, "VXNlcm5hbWU6"));
                self.mode = Mode::AuthLoginUser;
            }
            _ => self.refuse(SessionError::UnknownMechanism),
        }
    }

    fn sasl_line(&mut self, line: &[u8]) -> Option<Vec<u8>> {
        let text = std::str::from_utf8(line).unwrap_or("\u{1}");
        let text = text.trim_end_matches(['\r', '\n']).trim_end_matches(' ');
        match sasl::decode_response(text) {
            Ok(b) => Some(b),
            Err(SaslError::Cancelled) => {
                self.refuse(SessionError::AuthExchange("cancelled"));
                None
            }
            Err(_) => {
                self.refuse(SessionError::AuthExchange("bad base64"));
                None
            }
        }
    }

    fn auth_plain_response(&mut self, line: &[u8]) {
        let Some(msg) = self.sasl_line(line) else {
            return;
        };
        match sasl::parse_plain(&msg) {
            Ok(c) => self.auth_done(c),
            Err(_) => self.refuse(SessionError::AuthExchange("malformed PLAIN response")),
        }
    }

    fn auth_login_user(&mut self, line: &[u8]) {
        let Some(user) = self.sasl_line(line) else {
            return;
        };
        let Ok(user) = String::from_utf8(user) else {
            return self.refuse(SessionError::AuthExchange("user name is not utf-8"));
        };
        // "Password:"
        self.send(&Reply::new(334, None, "UGFzc3dvcmQ6"));
        self.mode = Mode::AuthLoginPassword(user);
    }

    fn auth_login_password(&mut self, line: &[u8], user: String) {
        let Some(pw) = self.sasl_line(line) else {
            return;
        };
        let Ok(pw) = String::from_utf8(pw) else {
            return self.refuse(SessionError::AuthExchange("password is not utf-8"));
        };
        self.auth_done(Credentials {
            mechanism: "LOGIN",
            authzid: String::new(),
            authcid: user,
            password: Secret::new(pw),
        });
    }

    fn auth_done(&mut self, c: Credentials) {
        let id = if c.authzid.is_empty() {
            c.authcid.clone()
        } else {
            c.authzid.clone()
        };
        self.block(Pending::Auth(id), Event::Auth(c));
    }
}

fn ok(code: u16, e: (u8, u16, u16), text: &str) -> Reply {
    Reply::new(code, Some(EnhancedCode::new(e.0, e.1, e.2)), text)
}
