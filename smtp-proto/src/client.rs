//! The client side of an SMTP or LMTP connection, as a sans-I/O
//! state machine, for relaying mail to a next hop.
//!
//! [`Client`] greets (EHLO, falling back to HELO, or LHLO), starts TLS
//! and authenticates when asked, then runs the queued transactions
//! with MAIL, RCPT and DATA (dot-stuffed) or BDAT (in chunks of
//! [`ClientConfig::bdat_chunk_size`]), pipelining them when the server
//! offers PIPELINING. Before MAIL it fits each envelope to the
//! server's extensions (see [`DeliveryError`] for what refuses a
//! message locally). Each transaction ends in an [`Outcome`] with one
//! final reply per recipient: the server's, or a local one from
//! [`DeliveryError::reply`].
//!
//! The caller's loop mirrors the server's: send
//! [`Client::take_output`], pass received bytes to [`Client::feed`],
//! drain [`Client::poll_event`], and raise timeouts with
//! [`Client::handle_timeout`].
//!
//! ```
//! use std::time::Instant;
//! use rampart_smtp_proto::client::{Client, ClientConfig, ClientEvent, Envelope};
//!
//! let now = Instant::now();
//! let mut c = Client::new(ClientConfig::new("relay.example"), now);
//! c.send(Envelope::new("<a@example.org>", &["<b@example.net>"], b"Subject: x\r\n\r\nhi\r\n").unwrap());
//! c.feed(now, b"220 mx ESMTP\r\n");
//! assert_eq!(c.take_output(), b"EHLO relay.example\r\n");
//! c.feed(now, b"250-mx\r\n250 PIPELINING\r\n");
//! assert!(matches!(c.poll_event(), Some(ClientEvent::Ready(_))));
//! // Pipelined: MAIL, RCPT and DATA in one go.
//! assert_eq!(c.take_output(), b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n");
//! c.feed(now, b"250 ok\r\n250 ok\r\n354 go\r\n");
//! assert!(c.take_output().ends_with(b"hi\r\n.\r\n"));
//! c.feed(now, b"250 queued\r\n");
//! let Some(ClientEvent::Outcome(o)) = c.poll_event() else { panic!() };
//! assert!(o.all_delivered());
//! ```

use std::collections::VecDeque;
use std::mem;
use std::time::{Duration, Instant};

use crate::command::{Command, parse_command};
use crate::data::{crlf_lines, dot_stuff};
use crate::error::{CommandError, DeliveryError, ReplyError};
use crate::params::{Body, MailParams, RcptParams};
use crate::path::{ForwardPath, ReversePath};
use crate::reply::{Capabilities, Capability, Reply};
use crate::sasl::{self, Secret};

/// When to use STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TlsPolicy {
    /// Never start TLS.
    Never,
    /// Start TLS when the server offers it (the default).
    #[default]
    Opportunistic,
    /// Refuse to send mail unless TLS starts.
    Required,
}

/// How the client behaves. Build with [`ClientConfig::new`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Our name in EHLO/HELO/LHLO.
    pub helo_name: String,
    /// Speak LMTP (LHLO, one final reply per recipient).
    pub lmtp: bool,
    /// STARTTLS policy.
    pub tls: TlsPolicy,
    /// User name and password for AUTH (PLAIN preferred, then LOGIN).
    pub auth: Option<(String, Secret)>,
    /// Pipeline commands when the server offers PIPELINING.
    pub pipelining: bool,
    /// Send messages with BDAT when the server offers CHUNKING.
    pub chunking: bool,
    /// Largest BDAT chunk; a longer message goes in several chunks
    /// (pipelined when the server offers PIPELINING, else one at a
    /// time). 0 means one chunk whatever the size.
    pub bdat_chunk_size: usize,
    /// Time to wait for the greeting and for the replies to EHLO,
    /// MAIL, RCPT and the rest (RFC 5321 4.5.3.2.1-3: 5 minutes).
    pub reply_timeout: Duration,
    /// Time to wait for the 354 after DATA (4.5.3.2.4: 2 minutes).
    pub data_init_timeout: Duration,
    /// Time to wait for the reply after the message or a BDAT chunk
    /// (4.5.3.2.6: 10 minutes).
    pub data_end_timeout: Duration,
}

impl ClientConfig {
    /// SMTP, opportunistic TLS, no AUTH, pipelining and chunking when
    /// offered (1 MiB chunks), RFC 5321 timeouts.
    pub fn new(helo_name: impl Into<String>) -> Self {
        Self {
            helo_name: helo_name.into(),
            lmtp: false,
            tls: TlsPolicy::Opportunistic,
            auth: None,
            pipelining: true,
            chunking: true,
            bdat_chunk_size: 1 << 20,
            reply_timeout: Duration::from_secs(300),
            data_init_timeout: Duration::from_secs(120),
            data_end_timeout: Duration::from_secs(600),
        }
    }
}

/// One message to send, with its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The reverse-path.
    pub from: ReversePath<'static>,
    /// MAIL parameters.
    pub mail_params: MailParams<'static>,
    /// Recipients with their parameters.
    pub recipients: Vec<(ForwardPath<'static>, RcptParams<'static>)>,
    /// The message, with any line endings: it arrives with CRLF ones
    /// and a final CRLF, sent dot-stuffed with DATA or in BDAT chunks;
    /// only a `BODY=BINARYMIME` message goes exactly as it is (BDAT).
    pub message: Vec<u8>,
}

impl Envelope {
    /// An envelope from path text such as `<a@b>` (or `<>`), without
    /// parameters but SMTPUTF8 when an address needs it.
    ///
    /// # Errors
    ///
    /// The [`CommandError`] for the first path that does not parse.
    pub fn new(from: &str, to: &[&str], message: &[u8]) -> Result<Self, CommandError> {
        let utf8 = !from.is_ascii() || to.iter().any(|t| !t.is_ascii());
        let line = format!("MAIL FROM:{from}{}", if utf8 { " SMTPUTF8" } else { "" });
        let Command::Mail { from, .. } = parse_command(line.as_bytes())? else {
            unreachable!("a MAIL line parses as MAIL");
        };
        let from = from.into_owned();
        let mut recipients = Vec::with_capacity(to.len());
        for t in to {
            let line = format!("RCPT TO:{t}");
            let Command::Rcpt { to, .. } = parse_command(line.as_bytes())? else {
                unreachable!("a RCPT line parses as RCPT");
            };
            recipients.push((to.into_owned(), RcptParams::default()));
        }
        Ok(Self {
            from,
            mail_params: MailParams {
                smtputf8: utf8,
                ..MailParams::default()
            },
            recipients,
            message: message.to_vec(),
        })
    }
}

/// The result of one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The sequence number [`Client::send`] returned.
    pub id: u64,
    /// The reply to MAIL (or a local reply when never sent).
    pub mail: Reply,
    /// Each recipient with its final reply: the RCPT refusal, or the
    /// reply after the message (its own one in LMTP).
    pub recipients: Vec<(ForwardPath<'static>, Reply)>,
}

impl Outcome {
    /// True when every recipient got a 2xx.
    pub fn all_delivered(&self) -> bool {
        self.recipients.iter().all(|(_, r)| r.is_positive())
    }
}

/// Why the session failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's greeting was not 220.
    #[error("server refused the connection: {0}")]
    Greeting(Reply),
    /// EHLO/HELO/LHLO was refused.
    #[error("server refused our greeting: {0}")]
    Hello(Reply),
    /// TLS was required but not offered, or STARTTLS was refused.
    #[error("tls required but not available")]
    TlsUnavailable,
    /// AUTH was configured but no mechanism we know is offered.
    #[error("no usable authentication mechanism offered")]
    AuthUnavailable,
    /// The server refused the credentials.
    #[error("authentication failed: {0}")]
    Auth(Reply),
    /// The server sent something that is not a reply.
    #[error("bad reply from server: {0}")]
    Protocol(ReplyError),
    /// A reply arrived when none was expected.
    #[error("unexpected reply: {0}")]
    Unexpected(Reply),
    /// The caller raised a timeout.
    #[error("timed out waiting for the server")]
    Timeout,
}

/// Something the caller must know or act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// Greeting, TLS and AUTH are done; transactions start now.
    Ready(Capabilities),
    /// The server accepted STARTTLS: send the output, run the TLS
    /// handshake, then call [`Client::tls_established`].
    StartTls,
    /// A transaction finished.
    Outcome(Outcome),
    /// The session failed; it is closing (queued mail gets an
    /// [`Outcome`] with a local 4xx for each recipient).
    Error(ClientError),
    /// The session is over: close the connection.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Greeting,
    Ehlo,
    Helo,
    StartTls,
    AuthLoginUser,
    AuthLoginPassword,
    AuthFinal,
    Mail,
    Rcpt(usize),
    Data,
    DataEnd,
    /// The reply to a BDAT chunk that is not the last.
    BdatChunk,
    /// The reply (or, in LMTP, the replies) to BDAT ... LAST.
    Bdat,
    Rset,
    Quit,
}

#[derive(Debug)]
struct Current {
    id: u64,
    env: Envelope,
    mail: Option<Reply>,
    rcpts: Vec<Option<Reply>>,
    finals: Vec<Reply>,
    /// Final replies still awaited after the message.
    awaiting: usize,
    /// The BDAT payload, and how much of it has gone out.
    body: Vec<u8>,
    sent: usize,
    /// The first refused BDAT chunk: the transaction has failed, and
    /// the replies to chunks already sent are read and dropped.
    chunk_failed: Option<Reply>,
}

impl Current {
    fn accepted(&self) -> usize {
        self.rcpts
            .iter()
            .filter(|r| r.as_ref().is_some_and(Reply::is_positive))
            .count()
    }
}

/// The client state machine; see the [module docs](self).
#[derive(Debug)]
pub struct Client {
    cfg: ClientConfig,
    input: Vec<u8>,
    output: Vec<u8>,
    events: VecDeque<ClientEvent>,
    expect: VecDeque<Expect>,
    caps: Option<Capabilities>,
    tls: bool,
    in_handshake: bool,
    authenticated: bool,
    ready: bool,
    closed: bool,
    quit_requested: bool,
    queue: VecDeque<(u64, Envelope)>,
    current: Option<Current>,
    next_id: u64,
    last_activity: Instant,
}

impl Client {
    /// A new session, waiting for the server's greeting.
    pub fn new(cfg: ClientConfig, now: Instant) -> Self {
        Self {
            cfg,
            input: Vec::new(),
            output: Vec::new(),
            events: VecDeque::new(),
            expect: VecDeque::from([Expect::Greeting]),
            caps: None,
            tls: false,
            in_handshake: false,
            authenticated: false,
            ready: false,
            closed: false,
            quit_requested: false,
            queue: VecDeque::new(),
            current: None,
            next_id: 0,
            last_activity: now,
        }
    }

    /// Queues a message; returns its id, found again in its
    /// [`Outcome`].
    pub fn send(&mut self, env: Envelope) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.queue.push_back((id, env));
        self.maybe_start();
        id
    }

    /// Sends QUIT once the queued transactions are done.
    pub fn quit(&mut self) {
        self.quit_requested = true;
        self.maybe_start();
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// The server's capabilities, once known.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// True when nothing is queued or in flight.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty() && self.current.is_none()
    }

    /// Takes the bytes to send to the server.
    pub fn take_output(&mut self) -> Vec<u8> {
        mem::take(&mut self.output)
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// When the caller should call [`Client::handle_timeout`].
    pub fn poll_timeout(&self) -> Option<Instant> {
        let first = *self.expect.front()?;
        if self.closed || self.in_handshake {
            return None;
        }
        let wait = match first {
            Expect::Data => self.cfg.data_init_timeout,
            Expect::DataEnd | Expect::Bdat | Expect::BdatChunk => self.cfg.data_end_timeout,
            _ => self.cfg.reply_timeout,
        };
        Some(self.last_activity + wait)
    }

    /// Fails the session if a reply is overdue at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.poll_timeout().is_some_and(|t| now >= t) {
            self.fail(ClientError::Timeout);
        }
    }

    /// Call after the TLS handshake that followed
    /// [`ClientEvent::StartTls`]; the client greets again.
    pub fn tls_established(&mut self) {
        if self.in_handshake {
            self.in_handshake = false;
            self.tls = true;
            self.caps = None;
            self.input.clear();
            self.hello();
        }
    }

    /// Hands received bytes to the session.
    pub fn feed(&mut self, now: Instant, input: &[u8]) {
        if self.closed || self.in_handshake {
            return;
        }
        self.last_activity = now;
        self.input.extend_from_slice(input);
        let mut pos = 0;
        while !self.closed && !self.in_handshake {
            match Reply::parse(&self.input[pos..]) {
                Ok((reply, n)) => {
                    pos += n;
                    self.on_reply(reply);
                }
                Err(ReplyError::Incomplete) => break,
                Err(e) => {
                    self.fail(ClientError::Protocol(e));
                    break;
                }
            }
        }
        if self.closed || self.in_handshake {
            self.input.clear();
        } else {
            self.input.drain(..pos);
        }
    }

    fn cmd(&mut self, line: &str, expect: Expect) {
        self.output.extend_from_slice(line.as_bytes());
        self.output.extend_from_slice(b"\r\n");
        self.expect.push_back(expect);
    }

    fn hello(&mut self) {
        let verb = if self.cfg.lmtp { "LHLO" } else { "EHLO" };
        let line = format!("{verb} {}", self.cfg.helo_name);
        self.cmd(&line, Expect::Ehlo);
    }

    fn has(&self, cap: &Capability) -> bool {
        self.caps.as_ref().is_some_and(|c| c.has(cap))
    }

    fn pipelining(&self) -> bool {
        self.cfg.pipelining && self.has(&Capability::Pipelining)
    }

    fn chunking(&self) -> bool {
        self.cfg.chunking && self.has(&Capability::Chunking)
    }

    /// Ends the session: error event, local failures for queued mail,
    /// QUIT if the connection is still usable.
    fn fail(&mut self, e: ClientError) {
        let usable = !matches!(e, ClientError::Protocol(_) | ClientError::Timeout);
        self.events.push_back(ClientEvent::Error(e));
        self.fail_all(&DeliveryError::SessionFailed.reply());
        self.expect.clear();
        if usable {
            self.cmd("QUIT", Expect::Quit);
        } else {
            self.close();
        }
    }

    fn fail_all(&mut self, r: &Reply) {
        if let Some(cur) = self.current.take() {
            self.finish_with(cur, Some(r));
        }
        while let Some((id, env)) = self.queue.pop_front() {
            let recipients = env
                .recipients
                .into_iter()
                .map(|(p, _)| (p, r.clone()))
                .collect();
            self.events.push_back(ClientEvent::Outcome(Outcome {
                id,
                mail: r.clone(),
                recipients,
            }));
        }
    }

    fn close(&mut self) {
        if !self.closed {
            self.closed = true;
            self.expect.clear();
            self.events.push_back(ClientEvent::Closed);
        }
    }

    fn on_reply(&mut self, r: Reply) {
        let Some(exp) = self.expect.pop_front() else {
            if r.code() == 421 {
                let r2 = r.clone();
                self.fail_all(&r2);
                self.close();
            } else {
                self.fail(ClientError::Unexpected(r));
            }
            return;
        };
        if r.code() == 421 && exp != Expect::Quit {
            // The server is closing the channel (RFC 5321 3.8).
            self.fail_all(&r);
            self.close();
            return;
        }
        match exp {
            Expect::Greeting if r.code() == 220 => self.hello(),
            Expect::Greeting => self.fail(ClientError::Greeting(r)),
            Expect::Ehlo if r.code() == 250 => {
                self.caps = Capabilities::from_reply(&r);
                self.after_hello();
            }
            Expect::Ehlo if !self.cfg.lmtp && r.code() >= 500 => {
                let line = format!("HELO {}", self.cfg.helo_name);
                self.cmd(&line, Expect::Helo);
            }
            Expect::Helo if r.code() == 250 => {
                self.caps = Some(Capabilities {
                    greeting: r.lines()[0].clone(),
                    list: Vec::new(),
                });
                self.after_hello();
            }
            Expect::Ehlo | Expect::Helo => self.fail(ClientError::Hello(r)),
            Expect::StartTls if r.code() == 220 => {
                self.in_handshake = true;
                self.events.push_back(ClientEvent::StartTls);
            }
            Expect::StartTls if self.cfg.tls == TlsPolicy::Required => {
                self.fail(ClientError::TlsUnavailable)
            }
            Expect::StartTls => self.authenticate(),
            Expect::AuthLoginUser | Expect::AuthLoginPassword if r.code() == 334 => {
                let Some((user, pw)) = self.cfg.auth.clone() else {
                    return;
                };
                let (text, next) = if exp == Expect::AuthLoginUser {
                    (user, Expect::AuthLoginPassword)
                } else {
                    (pw.expose().to_string(), Expect::AuthFinal)
                };
                self.cmd(&sasl::encode_base64(text.as_bytes()), next);
            }
            Expect::AuthFinal if r.code() == 235 => {
                self.authenticated = true;
                self.become_ready();
            }
            Expect::AuthLoginUser | Expect::AuthLoginPassword | Expect::AuthFinal => {
                if r.code() == 334 {
                    // A challenge we cannot answer: cancel.
                    self.cmd("*", Expect::AuthFinal);
                } else {
                    self.fail(ClientError::Auth(r));
                }
            }
            Expect::Mail => self.on_mail(r),
            Expect::Rcpt(i) => self.on_rcpt(i, r),
            Expect::Data => self.on_data(r),
            Expect::BdatChunk => self.on_chunk(r),
            Expect::DataEnd | Expect::Bdat => self.on_final(r),
            Expect::Rset => self.maybe_start(),
            Expect::Quit => self.close(),
        }
    }

    fn after_hello(&mut self) {
        if !self.tls && self.cfg.tls != TlsPolicy::Never && self.has(&Capability::StartTls) {
            self.cmd("STARTTLS", Expect::StartTls);
        } else if !self.tls && self.cfg.tls == TlsPolicy::Required {
            self.fail(ClientError::TlsUnavailable);
        } else {
            self.authenticate();
        }
    }

    fn authenticate(&mut self) {
        let Some((user, pw)) = self.cfg.auth.clone() else {
            return self.become_ready();
        };
        if self.authenticated {
            return self.become_ready();
        }
        let mechs = self
            .caps
            .as_ref()
            .map(|c| c.auth_mechanisms().to_vec())
            .unwrap_or_default();
        if mechs.iter().any(|m| m == "PLAIN") {
            let resp = sasl::plain_response("", &user, pw.expose());
            self.cmd(&format!("AUTH PLAIN {resp}"), Expect::AuthFinal);
        } else if mechs.iter().any(|m| m == "LOGIN") {
            self.cmd("AUTH LOGIN", Expect::AuthLoginUser);
        } else {
            self.fail(ClientError::AuthUnavailable);
        }
    }

    fn become_ready(&mut self) {
        self.ready = true;
        let caps = self.caps.clone().unwrap_or(Capabilities {
            greeting: String::new(),
            list: Vec::new(),
        });
        self.events.push_back(ClientEvent::Ready(caps));
        self.maybe_start();
    }

    /// Starts the next transaction (or QUIT) when the line is idle.
    fn maybe_start(&mut self) {
        if !self.ready || self.closed || self.current.is_some() || !self.expect.is_empty() {
            return;
        }
        let (id, env) = loop {
            let Some((id, mut env)) = self.queue.pop_front() else {
                if self.quit_requested {
                    self.cmd("QUIT", Expect::Quit);
                }
                return;
            };
            match self.prepare(&mut env) {
                Ok(()) => break (id, env),
                // Refused here: nothing is sent for this message.
                Err(e) => self.refuse_locally(id, env, &e.reply()),
            }
        };
        let n = env.recipients.len();
        let mail = format!("MAIL FROM:{}{}", env.from, env.mail_params);
        self.current = Some(Current {
            id,
            env,
            mail: None,
            rcpts: vec![None; n],
            finals: Vec::new(),
            awaiting: 0,
            body: Vec::new(),
            sent: 0,
            chunk_failed: None,
        });
        self.cmd(&mail, Expect::Mail);
        if self.pipelining() {
            for i in 0..n {
                self.send_rcpt(i);
            }
            self.send_transfer();
        }
    }

    /// Fits the envelope to what the server offers: parameters of an
    /// extension it lacks are dropped where that is allowed (DSN's,
    /// AUTH=, SIZE=) and refuse the message where it is not (8BITMIME,
    /// BINARYMIME, SMTPUTF8, REQUIRETLS); SIZE= is added when the
    /// server offers SIZE, and checked against its limit.
    fn prepare(&self, env: &mut Envelope) -> Result<(), DeliveryError> {
        let p = &mut env.mail_params;
        match p.body {
            Some(Body::EightBitMime) if !self.has(&Capability::EightBitMime) => {
                return Err(DeliveryError::EightBitMime);
            }
            Some(Body::BinaryMime) if !(self.has(&Capability::BinaryMime) && self.chunking()) => {
                return Err(DeliveryError::BinaryMime);
            }
            _ => {}
        }
        let utf8 = !env.from.is_ascii() || env.recipients.iter().any(|(t, _)| !t.is_ascii());
        if utf8 {
            p.smtputf8 = true;
        }
        if p.smtputf8 && !self.has(&Capability::SmtpUtf8) {
            return Err(DeliveryError::SmtpUtf8);
        }
        if p.requiretls && !(self.tls && self.has(&Capability::RequireTls)) {
            return Err(DeliveryError::RequireTls);
        }
        if !self.has(&Capability::Dsn) {
            // RFC 3461 4: a server without DSN gets no DSN parameters.
            p.ret = None;
            p.envid = None;
            for (_, rp) in &mut env.recipients {
                rp.notify = None;
                rp.orcpt = None;
            }
        }
        if !self.has(&Capability::Auth(Vec::new())) {
            // RFC 4954 5: no AUTH= to a server without AUTH.
            p.auth = None;
        }
        let limit = self.caps.as_ref().and_then(|c| {
            c.list.iter().find_map(|c| match c {
                Capability::Size(n) => Some(n.unwrap_or(0)),
                _ => None,
            })
        });
        match limit {
            None => p.size = None,
            Some(max) => {
                let size = *p.size.get_or_insert(env.message.len() as u64);
                if max > 0 && size > max {
                    return Err(DeliveryError::TooLarge { max });
                }
            }
        }
        Ok(())
    }

    /// An outcome for a message never sent: `r` for every recipient.
    fn refuse_locally(&mut self, id: u64, env: Envelope, r: &Reply) {
        let recipients = env
            .recipients
            .into_iter()
            .map(|(p, _)| (p, r.clone()))
            .collect();
        self.events.push_back(ClientEvent::Outcome(Outcome {
            id,
            mail: r.clone(),
            recipients,
        }));
    }

    fn send_rcpt(&mut self, i: usize) {
        let Some(cur) = &self.current else { return };
        let (to, p) = &cur.env.recipients[i];
        let line = format!("RCPT TO:{to}{p}");
        self.cmd(&line, Expect::Rcpt(i));
    }

    /// DATA, or the message in BDAT chunks: all of them at once when
    /// pipelining (RFC 3030 allows it), else the first one.
    fn send_transfer(&mut self) {
        if !self.chunking() {
            return self.cmd("DATA", Expect::Data);
        }
        let pipelining = self.pipelining();
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        let msg = mem::take(&mut cur.env.message);
        cur.body = if cur.env.mail_params.body == Some(Body::BinaryMime) {
            msg
        } else {
            crlf_lines(msg)
        };
        cur.sent = 0;
        while !self.send_chunk() && pipelining {}
    }

    /// Sends the next BDAT chunk; true when it was the last.
    fn send_chunk(&mut self) -> bool {
        let max = match self.cfg.bdat_chunk_size {
            0 => usize::MAX,
            n => n,
        };
        let Some(cur) = self.current.as_mut() else {
            return true;
        };
        let rest = cur.body.len() - cur.sent;
        let n = rest.min(max);
        let last = n == rest;
        let line = if last {
            format!("BDAT {n} LAST\r\n")
        } else {
            format!("BDAT {n}\r\n")
        };
        self.output.extend_from_slice(line.as_bytes());
        self.output
            .extend_from_slice(&cur.body[cur.sent..cur.sent + n]);
        cur.sent += n;
        if last {
            cur.body = Vec::new();
        }
        self.expect.push_back(if last {
            Expect::Bdat
        } else {
            Expect::BdatChunk
        });
        last
    }

    /// The reply to a BDAT chunk that is not the last.
    fn on_chunk(&mut self, r: Reply) {
        let pipelining = self.pipelining();
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        if cur.chunk_failed.is_some() {
            return;
        }
        match (r.is_positive(), pipelining) {
            (true, true) => {}
            (true, false) => {
                self.send_chunk();
            }
            // The rest is in flight: note the failure, read on.
            (false, true) => cur.chunk_failed = Some(r),
            // Nothing else was sent (RFC 3030 2: no more chunks).
            (false, false) => self.refused_transfer(r),
        }
    }

    fn on_mail(&mut self, r: Reply) {
        let pipelining = self.pipelining();
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        let ok = r.is_positive();
        cur.mail = Some(r.clone());
        if pipelining {
            return;
        }
        if ok && !cur.rcpts.is_empty() {
            self.send_rcpt(0);
        } else {
            let cur = self.current.take().expect("checked above");
            self.finish_with(cur, Some(&r));
            if ok {
                self.cmd("RSET", Expect::Rset);
            } else {
                self.maybe_start();
            }
        }
    }

    fn on_rcpt(&mut self, i: usize, r: Reply) {
        let pipelining = self.pipelining();
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        cur.rcpts[i] = Some(r);
        if pipelining {
            return;
        }
        let n = cur.rcpts.len();
        if i + 1 < n {
            return self.send_rcpt(i + 1);
        }
        if cur.accepted() > 0 {
            self.send_transfer();
        } else {
            let cur = self.current.take().expect("checked above");
            self.finish_with(cur, None);
            self.cmd("RSET", Expect::Rset);
        }
    }

    fn on_data(&mut self, r: Reply) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        if r.code() == 354 {
            if cur.accepted() == 0 {
                // Pipelined DATA accepted with no recipient: end it
                // empty, so nothing is delivered.
                self.output.extend_from_slice(b".\r\n");
                cur.awaiting = 1;
            } else {
                dot_stuff(&cur.env.message, &mut self.output);
                cur.awaiting = if self.cfg.lmtp { cur.accepted() } else { 1 };
            }
            // One expectation per final reply.
            for _ in 0..cur.awaiting {
                self.expect.push_back(Expect::DataEnd);
            }
            return;
        }
        self.refused_transfer(r);
    }

    /// DATA or BDAT refused outright: the transaction ends.
    fn refused_transfer(&mut self, r: Reply) {
        let Some(cur) = self.current.take() else {
            return;
        };
        let mail_ok = cur.mail.as_ref().is_some_and(Reply::is_positive);
        self.finish_with(cur, Some(&r));
        if mail_ok {
            self.cmd("RSET", Expect::Rset);
        } else {
            self.maybe_start();
        }
    }

    fn on_final(&mut self, r: Reply) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        if cur.awaiting == 0
            && let Some(f) = cur.chunk_failed.take()
        {
            // An earlier chunk failed: this is the LAST chunk's one
            // reply, and the transaction ends with the first failure.
            return self.refused_transfer(f);
        }
        if cur.awaiting == 0 {
            // First reply to BDAT: now we know how many follow.
            let accepted = cur.accepted();
            // SMTP answers once; LMTP refuses a chunk with one reply
            // but answers an accepted message once per recipient.
            if accepted == 0 || (!r.is_positive() && !self.cfg.lmtp) {
                return self.refused_transfer(r);
            }
            cur.awaiting = if self.cfg.lmtp { accepted } else { 1 };
            for _ in 1..cur.awaiting {
                self.expect.push_front(Expect::Bdat);
            }
        }
        cur.finals.push(r);
        if cur.finals.len() < cur.awaiting {
            return;
        }
        let cur = self.current.take().expect("checked above");
        self.finish_with(cur, None);
        self.maybe_start();
    }

    /// Emits the outcome; `all` overrides every recipient's result
    /// that is not already a RCPT refusal.
    fn finish_with(&mut self, cur: Current, all: Option<&Reply>) {
        let mail = cur.mail.clone().unwrap_or_else(|| {
            all.cloned()
                .unwrap_or_else(|| DeliveryError::NoReply.reply())
        });
        let mail_ok = mail.is_positive();
        let mut k = 0;
        let mut recipients = Vec::with_capacity(cur.rcpts.len());
        for ((path, _), rr) in cur.env.recipients.into_iter().zip(cur.rcpts) {
            let result = match rr {
                _ if !mail_ok => mail.clone(),
                Some(r) if !r.is_positive() => r,
                Some(_) if all.is_none() => {
                    let f = cur.finals.get(k).or(cur.finals.last()).cloned();
                    k += 1;
                    f.unwrap_or_else(|| DeliveryError::NoReply.reply())
                }
                _ => all
                    .cloned()
                    .unwrap_or_else(|| DeliveryError::NoReply.reply()),
            };
            recipients.push((path, result));
        }
        self.events.push_back(ClientEvent::Outcome(Outcome {
            id: cur.id,
            mail,
            recipients,
        }));
    }
}
