//! Framing: splits a byte stream into complete messages (a line plus
//! any literals it announces) before parsing, in bounded memory.
//!
//! The [`Framer`] owns its buffer. Feed it received bytes with
//! [`Framer::feed`], then call [`Framer::poll`] until it returns `None`.
//! On the server side it asks for a continuation request when a client
//! announces a synchronizing literal, and refuses a literal over the
//! limit before the client sends it. Bytes of refused messages are
//! thrown away as they arrive, so framing never gets lost.

use memchr::memchr;

use crate::error::FrameError;
use crate::lex::{LITERAL_MINUS_MAX, is_tag_char};

/// Limits and side of a [`Framer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerConfig {
    /// Largest literal accepted, in bytes.
    pub max_literal: u64,
    /// Largest non-synchronizing literal (`{N+}`) a client may send
    /// (server side only). 4096 under LITERAL- and IMAP4rev2 (RFC 7888
    /// section 5, RFC 9051 section 4.3); a server announcing LITERAL+
    /// sets it to `max_literal`. A larger one is refused with
    /// [`FrameError::LiteralTooLarge`] and its bytes discarded.
    pub max_nonsync_literal: u64,
    /// Longest line (between literals) accepted, in bytes, CRLF included.
    pub max_line: usize,
    /// Largest whole message accepted (lines plus literals), in bytes.
    pub max_message: usize,
    /// `true` on the server side (reports [`Event::Continue`] for
    /// synchronizing literals), `false` on the client side.
    pub server: bool,
}

impl FramerConfig {
    /// Server defaults: 64 KiB lines, 64 MiB literals and messages,
    /// non-synchronizing literals up to 4096 bytes (LITERAL-).
    pub const SERVER: FramerConfig = FramerConfig {
        max_literal: 64 << 20,
        max_nonsync_literal: LITERAL_MINUS_MAX,
        max_line: 64 << 10,
        max_message: 64 << 20,
        server: true,
    };

    /// Client defaults: as [`FramerConfig::SERVER`] but for responses.
    pub const CLIENT: FramerConfig = FramerConfig {
        server: false,
        ..Self::SERVER
    };
}

impl FramerConfig {
    /// The same limits with LITERAL+ announced: non-synchronizing
    /// literals as large as synchronizing ones.
    pub const fn literal_plus(self) -> FramerConfig {
        FramerConfig {
            max_nonsync_literal: self.max_literal,
            ..self
        }
    }
}

impl Default for FramerConfig {
    fn default() -> Self {
        Self::SERVER
    }
}

/// What [`Framer::poll`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Event<'b> {
    /// A complete message, CRLF included, literals inline. Valid until
    /// the next call to `poll`.
    Message(&'b [u8]),
    /// The client announced a synchronizing literal of this many bytes
    /// and waits: send a continuation request (`+ Ready`).
    Continue {
        /// The announced literal size.
        length: u64,
    },
    /// A message was refused; reply with [`Event`]-specific status
    /// (see [`FrameError`]) to `tag` when known. The framer skips the
    /// rest of the message by itself.
    Rejected {
        /// The tag at the start of the refused message, when valid.
        tag: Option<String>,
        /// Why.
        error: FrameError,
    },
}

/// Outcome of scanning one line, without borrows.
enum Step {
    Again,
    NeedMore,
    Message(usize),
    Continue(u64),
    Rejected(Option<String>, FrameError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for the CRLF ending the line that starts at `scanned`.
    Line,
    /// Waiting for `buf.len() >= end`.
    Literal { end: usize },
    /// Dropping a refused non-synchronizing literal.
    Discard { remaining: u64 },
    /// Dropping the rest of a refused message up to its CRLF.
    SkipLine,
}

/// Splits a byte stream into IMAP (or ManageSieve) messages.
///
/// ```
/// use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
///
/// let mut f = Framer::new(FramerConfig::SERVER);
/// f.feed(b"a1 LOGIN {5}\r\n");
/// assert_eq!(f.poll(), Some(Event::Continue { length: 5 }));
/// assert_eq!(f.poll(), None);
/// f.feed(b"alice secret\r\n");
/// assert_eq!(f.poll(), Some(Event::Message(b"a1 LOGIN {5}\r\nalice secret\r\n")));
/// assert_eq!(f.poll(), None);
/// ```
#[derive(Debug, Clone)]
pub struct Framer {
    cfg: FramerConfig,
    buf: Vec<u8>,
    /// Start of the line being scanned.
    line_start: usize,
    /// Bytes from `line_start` already searched for LF.
    searched: usize,
    state: State,
    /// Length of the message handed out by the last `poll`.
    consumed: usize,
}

impl Framer {
    /// A framer with the given limits.
    pub fn new(cfg: FramerConfig) -> Self {
        Framer {
            cfg,
            buf: Vec::new(),
            line_start: 0,
            searched: 0,
            state: State::Line,
            consumed: 0,
        }
    }

    /// The limits in force.
    pub fn config(&self) -> FramerConfig {
        self.cfg
    }

    /// Changes the limits for the messages to come, for example to the
    /// user's APPENDLIMIT once logged in (RFC 7889: a literal over it is
    /// refused with `NO [TOOBIG]` before it is sent).
    pub fn set_config(&mut self, cfg: FramerConfig) {
        self.cfg = cfg;
    }

    /// Appends received bytes. Bytes of a refused literal are dropped
    /// here without being stored.
    pub fn feed(&mut self, mut data: &[u8]) {
        if let State::Discard { remaining } = &mut self.state
            && self.buf.len() == self.consumed
        {
            let n = (*remaining).min(data.len() as u64) as usize;
            *remaining -= n as u64;
            data = &data[n..];
            if *remaining == 0 {
                self.state = State::SkipLine;
            }
        }
        self.buf.extend_from_slice(data);
    }

    /// Bytes held and not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.consumed
    }

    /// Takes the bytes held (for example after STARTTLS, which must not
    /// see plaintext that arrived early), resetting the framer.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        self.buf.drain(..self.consumed);
        self.consumed = 0;
        self.line_start = 0;
        self.searched = 0;
        self.state = State::Line;
        std::mem::take(&mut self.buf)
    }

    /// The next framing event, or `None` when more bytes are needed.
    pub fn poll(&mut self) -> Option<Event<'_>> {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.consumed = 0;
        }
        loop {
            match self.state {
                State::Discard { remaining } => {
                    let n = remaining.min(self.buf.len() as u64);
                    self.buf.drain(..n as usize);
                    if remaining > n {
                        self.state = State::Discard {
                            remaining: remaining - n,
                        };
                        return None;
                    }
                    self.state = State::SkipLine;
                }
                State::SkipLine => {
                    let Some(i) = memchr(b'\n', &self.buf) else {
                        // Keep a short tail to spot a literal header.
                        let keep = self.buf.len().min(32);
                        self.buf.drain(..self.buf.len() - keep);
                        return None;
                    };
                    let header = literal_header(&self.buf[..i + 1]);
                    self.buf.drain(..=i);
                    self.state = match header {
                        Some((n, false)) => State::Discard { remaining: n },
                        _ => State::Line,
                    };
                    self.line_start = 0;
                    self.searched = 0;
                }
                State::Literal { end } => {
                    if self.buf.len() < end {
                        return None;
                    }
                    self.line_start = end;
                    self.searched = 0;
                    self.state = State::Line;
                }
                State::Line => match self.scan_line() {
                    Step::Again => {}
                    Step::NeedMore => return None,
                    Step::Message(len) => {
                        self.consumed = len;
                        return Some(Event::Message(&self.buf[..len]));
                    }
                    Step::Continue(length) => return Some(Event::Continue { length }),
                    Step::Rejected(tag, error) => return Some(Event::Rejected { tag, error }),
                },
            }
        }
    }

    fn scan_line(&mut self) -> Step {
        let from = self.line_start + self.searched;
        let Some(i) = memchr(b'\n', &self.buf[from..]).map(|i| from + i) else {
            self.searched = self.buf.len() - self.line_start;
            if self.searched > self.cfg.max_line {
                let error = FrameError::LineTooLong {
                    limit: self.cfg.max_line,
                };
                return self.reject(error, State::SkipLine, self.buf.len());
            }
            return Step::NeedMore;
        };
        let line_end = i + 1;
        if line_end - self.line_start > self.cfg.max_line {
            let error = FrameError::LineTooLong {
                limit: self.cfg.max_line,
            };
            // A non-synchronizing literal announced at its end is on
            // its way: skip it too, or its bytes would read as commands.
            let next = match literal_header(&self.buf[self.line_start..line_end]) {
                Some((n, false)) => State::Discard { remaining: n },
                _ => State::Line,
            };
            return self.reject(error, next, line_end);
        }
        let Some((n, sync)) = literal_header(&self.buf[self.line_start..line_end]) else {
            self.line_start = 0;
            self.searched = 0;
            return Step::Message(line_end);
        };
        let total = (line_end as u64).saturating_add(n);
        let limit = if sync || !self.cfg.server {
            self.cfg.max_literal
        } else {
            self.cfg.max_nonsync_literal.min(self.cfg.max_literal)
        };
        if n > limit || total > self.cfg.max_message as u64 {
            let error = if n > limit {
                FrameError::LiteralTooLarge {
                    announced: n,
                    limit,
                    synchronizing: sync,
                }
            } else {
                FrameError::MessageTooLarge {
                    limit: self.cfg.max_message,
                }
            };
            // A waiting client sends nothing more for this command;
            // otherwise drop the literal as it comes.
            let next = if sync && self.cfg.server {
                State::Line
            } else {
                State::Discard { remaining: n }
            };
            return self.reject(error, next, line_end);
        }
        self.state = State::Literal {
            end: total as usize,
        };
        self.searched = 0;
        if sync && self.cfg.server {
            Step::Continue(n)
        } else {
            Step::Again
        }
    }

    fn reject(&mut self, error: FrameError, next: State, drop: usize) -> Step {
        let tag_len = self
            .buf
            .iter()
            .take(64)
            .take_while(|&&c| is_tag_char(c))
            .count();
        let tag = (tag_len > 0 && self.buf.get(tag_len) == Some(&b' '))
            .then(|| String::from_utf8_lossy(&self.buf[..tag_len]).into_owned());
        self.buf.drain(..drop);
        self.line_start = 0;
        self.searched = 0;
        self.state = next;
        Step::Rejected(tag, error)
    }
}

/// Finds a literal header at the end of `line` (which ends with LF):
/// `"{" number ["+"] "}" CRLF` or `"~{" number "}" CRLF`. Returns the
/// size and whether it is synchronizing.
pub(crate) fn literal_header(line: &[u8]) -> Option<(u64, bool)> {
    let l = line.strip_suffix(b"\n")?;
    let l = l.strip_suffix(b"\r")?;
    let l = l.strip_suffix(b"}")?;
    let (l, sync) = match l.strip_suffix(b"+") {
        Some(l) => (l, false),
        None => (l, true),
    };
    let digits = l.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let (l, num) = l.split_at(l.len() - digits);
    l.strip_suffix(b"{")?;
    let mut v: u64 = 0;
    for &c in num {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some((v, sync))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(f: &mut Framer) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(ev) = f.poll() {
            out.push(match ev {
                Event::Message(m) => format!("msg {}", String::from_utf8_lossy(m)),
                Event::Continue { length } => format!("cont {length}"),
                Event::Rejected { tag, error } => format!("rej {tag:?} {error}"),
            });
        }
        out
    }

    #[test]
    fn headers() {
        type Case<'a> = (&'a [u8], Option<(u64, bool)>);
        let cases: &[Case<'_>] = &[
            (b"a {5}\r\n", Some((5, true))),
            (b"a {5+}\r\n", Some((5, false))),
            (b"a ~{0}\r\n", Some((0, true))),
            (b"a {}\r\n", None),
            (b"a 5}\r\n", None),
            (b"a {5}\n", None),
            (b"a {99999999999999999999}\r\n", None),
        ];
        for (l, want) in cases {
            assert_eq!(literal_header(l), *want, "{l:?}");
        }
    }

    #[test]
    fn byte_at_a_time() {
        let input = b"a1 NOOP\r\na2 LOGIN {3}\r\nbob {4+}\r\npass\r\na3 LOGOUT\r\n";
        let mut f = Framer::new(FramerConfig::SERVER);
        let mut got = Vec::new();
        for &b in input {
            f.feed(&[b]);
            got.extend(collect(&mut f));
        }
        assert_eq!(
            got,
            [
                "msg a1 NOOP\r\n",
                "cont 3",
                "msg a2 LOGIN {3}\r\nbob {4+}\r\npass\r\n",
                "msg a3 LOGOUT\r\n"
            ]
        );
        assert_eq!(f.buffered(), 0);
    }

    #[test]
    fn huge_sync_literal_refused_before_sent() {
        let mut f = Framer::new(FramerConfig::SERVER);
        f.feed(b"A1 APPEND INBOX {4294967296}\r\nA2 NOOP\r\n");
        assert_eq!(
            collect(&mut f),
            [
                "rej Some(\"A1\") literal of 4294967296 bytes exceeds the limit of 67108864 bytes",
                "msg A2 NOOP\r\n"
            ]
        );
    }

    #[test]
    fn huge_nonsync_literal_discarded_in_bounded_memory() {
        let cfg = FramerConfig {
            max_literal: 10,
            ..FramerConfig::SERVER
        };
        let mut f = Framer::new(cfg);
        f.feed(b"A1 APPEND INBOX {100000+}\r\n");
        assert_eq!(collect(&mut f).len(), 1);
        let chunk = vec![b'x'; 1000];
        for _ in 0..100 {
            f.feed(&chunk);
            assert!(collect(&mut f).is_empty());
            assert!(f.buffered() <= 1000);
        }
        f.feed(b" {3+}\r\nabc\r\nA2 NOOP\r\n");
        assert_eq!(collect(&mut f), ["msg A2 NOOP\r\n"]);
    }

    #[test]
    fn long_line_refused() {
        let cfg = FramerConfig {
            max_line: 100,
            ..FramerConfig::SERVER
        };
        let mut f = Framer::new(cfg);
        f.feed(b"t1 NOOP ");
        let chunk = vec![b'x'; 4096];
        let mut events = Vec::new();
        for _ in 0..2560 {
            f.feed(&chunk);
            events.extend(collect(&mut f));
            assert!(f.buffered() <= 4096 + 100);
        }
        f.feed(b"\r\nt2 NOOP\r\n");
        events.extend(collect(&mut f));
        assert_eq!(
            events,
            [
                "rej Some(\"t1\") line exceeds the limit of 100 bytes",
                "msg t2 NOOP\r\n"
            ]
        );
    }

    #[test]
    fn long_line_with_nonsync_literal_skips_the_literal() {
        let cfg = FramerConfig {
            max_line: 20,
            ..FramerConfig::SERVER
        };
        let mut f = Framer::new(cfg);
        f.feed(b"t1 APPEND INBOX-with-a-long-name {14+}\r\nt9 DELETE INBOX\r\nt2 NOOP\r\n");
        assert_eq!(
            collect(&mut f),
            [
                "rej Some(\"t1\") line exceeds the limit of 20 bytes",
                "msg t2 NOOP\r\n"
            ]
        );
    }

    #[test]
    fn literal_minus_limit() {
        let mut f = Framer::new(FramerConfig::SERVER);
        let mut input = b"A1 APPEND INBOX {4096+}\r\n".to_vec();
        input.extend(vec![b'x'; 4096]);
        input.extend_from_slice(b"\r\nA2 APPEND INBOX {4097+}\r\n");
        input.extend(vec![b'y'; 4097]);
        input.extend_from_slice(b"\r\nA3 NOOP\r\n");
        f.feed(&input);
        let got = collect(&mut f);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("msg A1 APPEND"));
        assert_eq!(
            got[1],
            "rej Some(\"A2\") literal of 4097 bytes exceeds the limit of 4096 bytes"
        );
        assert_eq!(got[2], "msg A3 NOOP\r\n");
        // With LITERAL+ the same literal is accepted.
        let plus = FramerConfig::SERVER.literal_plus();
        let mut f = Framer::new(plus);
        f.feed(&input);
        let got = collect(&mut f);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[1].starts_with("msg A2 APPEND"));
    }

    #[test]
    fn limits_change_between_messages() {
        let mut f = Framer::new(FramerConfig::SERVER);
        f.feed(b"a1 APPEND INBOX {2000}\r\n");
        assert_eq!(collect(&mut f), ["cont 2000"]);
        f.feed(&[b'x'; 2000]);
        f.feed(b"\r\n");
        assert_eq!(collect(&mut f).len(), 1);
        f.set_config(FramerConfig {
            max_literal: 1000,
            ..f.config()
        });
        f.feed(b"a2 APPEND INBOX {2000}\r\n");
        assert_eq!(
            collect(&mut f),
            ["rej Some(\"a2\") literal of 2000 bytes exceeds the limit of 1000 bytes"]
        );
    }

    #[test]
    fn client_side_has_no_continuations() {
        let mut f = Framer::new(FramerConfig::CLIENT);
        f.feed(b"* 1 FETCH (BODY[] {2}\r\nhi)\r\n");
        assert_eq!(collect(&mut f), ["msg * 1 FETCH (BODY[] {2}\r\nhi)\r\n"]);
    }
}
