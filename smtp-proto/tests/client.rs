//! The client session against scripted server replies: what it sends
//! line by line, BDAT chunking and chunk failures, the envelope fitted
//! to the server's extensions, local refusals, timeouts and 421.

use std::time::{Duration, Instant};

use rampart_smtp_proto::client::{Client, ClientConfig, ClientEvent, Envelope, Outcome};
use rampart_smtp_proto::{Body, Notify, RcptParams};

struct Script {
    cli: Client,
    now: Instant,
    outcomes: Vec<Outcome>,
    errors: usize,
    closed: bool,
}

impl Script {
    fn new(cfg: ClientConfig) -> Self {
        Self {
            cli: Client::new(cfg, Instant::now()),
            now: Instant::now(),
            outcomes: Vec::new(),
            errors: 0,
            closed: false,
        }
    }

    /// Feeds the server's bytes; returns what the client sends back.
    fn say(&mut self, server: &str) -> String {
        self.cli.feed(self.now, server.as_bytes());
        self.drain()
    }

    fn drain(&mut self) -> String {
        while let Some(ev) = self.cli.poll_event() {
            match ev {
                ClientEvent::Outcome(o) => self.outcomes.push(o),
                ClientEvent::Error(_) => self.errors += 1,
                ClientEvent::Closed => self.closed = true,
                _ => {}
            }
        }
        String::from_utf8(self.cli.take_output()).unwrap()
    }

    /// Greeting and EHLO with the given capability lines.
    fn ready(&mut self, caps: &[&str]) -> String {
        assert_eq!(self.say("220 mx ESMTP\r\n"), "EHLO c.example\r\n");
        let mut r = String::from("250-mx\r\n");
        for (i, c) in caps.iter().enumerate() {
            let sep = if i + 1 == caps.len() { ' ' } else { '-' };
            r += &format!("250{sep}{c}\r\n");
        }
        if caps.is_empty() {
            r = "250 mx\r\n".into();
        }
        self.say(&r)
    }
}

fn env(msg: &str) -> Envelope {
    Envelope::new("<a@example.org>", &["<b@example.net>"], msg.as_bytes()).unwrap()
}

fn codes(o: &Outcome) -> Vec<u16> {
    o.recipients.iter().map(|(_, r)| r.code()).collect()
}

fn cfg() -> ClientConfig {
    let mut c = ClientConfig::new("c.example");
    c.bdat_chunk_size = 4;
    c
}

#[test]
fn bdat_chunks_one_at_a_time_without_pipelining() {
    let mut s = Script::new(cfg());
    s.cli.send(env("abcdefghij"));
    assert_eq!(s.ready(&["CHUNKING"]), "MAIL FROM:<a@example.org>\r\n");
    assert_eq!(s.say("250 ok\r\n"), "RCPT TO:<b@example.net>\r\n");
    // The message is sent with CRLF line ends: "abcdefghij\r\n".
    assert_eq!(s.say("250 ok\r\n"), "BDAT 4\r\nabcd");
    assert_eq!(s.say("250 4 octets\r\n"), "BDAT 4\r\nefgh");
    assert_eq!(s.say("250 8 octets\r\n"), "BDAT 4 LAST\r\nij\r\n");
    assert_eq!(s.say("250 queued\r\n"), "");
    assert_eq!(s.outcomes.len(), 1);
    assert_eq!(codes(&s.outcomes[0]), [250]);
}

#[test]
fn refused_chunk_ends_the_transaction() {
    // Lockstep: no further chunk, RSET, then the next message.
    let mut s = Script::new(cfg());
    s.cli.send(env("abcdefghij"));
    s.cli.send(env("x"));
    s.ready(&["CHUNKING"]);
    s.say("250 ok\r\n");
    assert_eq!(s.say("250 ok\r\n"), "BDAT 4\r\nabcd");
    assert_eq!(s.say("552 5.3.4 too big\r\n"), "RSET\r\n");
    assert_eq!(codes(&s.outcomes[0]), [552]);
    assert_eq!(s.say("250 reset\r\n"), "MAIL FROM:<a@example.org>\r\n");

    // Pipelined: every chunk is out already; the first refusal wins
    // and the replies to the rest are read and dropped.
    let mut s = Script::new(cfg());
    s.cli.send(env("abcdefghij"));
    let out = s.ready(&["CHUNKING", "PIPELINING"]);
    assert_eq!(
        out,
        "MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n\
         BDAT 4\r\nabcdBDAT 4\r\nefghBDAT 4 LAST\r\nij\r\n"
    );
    let out =
        s.say("250 ok\r\n250 ok\r\n250 ok\r\n452 4.3.1 out of space\r\n503 5.5.1 bad sequence\r\n");
    assert_eq!(out, "RSET\r\n");
    assert_eq!(s.outcomes.len(), 1);
    assert_eq!(codes(&s.outcomes[0]), [452]);
    s.say("250 ok\r\n");
    assert_eq!(s.errors, 0);
}

#[test]
fn envelope_is_fitted_to_the_extensions() {
    // SIZE is added; DSN parameters and AUTH= go only where offered.
    let mut e = env("hello");
    e.mail_params.envid = Some("x1".into());
    e.mail_params.auth = Some("<>".into());
    e.recipients[0].1 = RcptParams {
        notify: Some(Notify {
            failure: true,
            ..Notify::default()
        }),
        orcpt: None,
    };
    let mut s = Script::new(cfg());
    s.cli.send(e.clone());
    assert_eq!(
        s.ready(&["SIZE 1000"]),
        "MAIL FROM:<a@example.org> SIZE=5\r\n"
    );
    assert_eq!(s.say("250 ok\r\n"), "RCPT TO:<b@example.net>\r\n");

    let mut s = Script::new(cfg());
    s.cli.send(e);
    assert_eq!(
        s.ready(&["DSN", "AUTH PLAIN"]),
        "MAIL FROM:<a@example.org> ENVID=x1 AUTH=<>\r\n"
    );
    assert_eq!(
        s.say("250 ok\r\n"),
        "RCPT TO:<b@example.net> NOTIFY=FAILURE\r\n"
    );
}

#[test]
fn messages_the_server_cannot_take_are_refused_here() {
    // (capabilities, how the envelope is changed, local reply code)
    type Change = fn(&mut Envelope);
    let table: &[(&[&str], Change, u16)] = &[
        (&[], |e| e.mail_params.body = Some(Body::EightBitMime), 554),
        (
            &["8BITMIME"],
            |e| e.mail_params.body = Some(Body::BinaryMime),
            554,
        ),
        (
            &["BINARYMIME"],
            |e| e.mail_params.body = Some(Body::BinaryMime),
            554,
        ),
        (&[], |e| e.mail_params.smtputf8 = true, 553),
        (
            &["8BITMIME"],
            |e| *e = Envelope::new("<jö@example.org>", &["<b@x.example>"], b"x").unwrap(),
            553,
        ),
        (&["REQUIRETLS"], |e| e.mail_params.requiretls = true, 550),
        (&["SIZE 10"], |e| e.message = vec![b'x'; 11], 552),
        (&["SIZE 100"], |e| e.mail_params.size = Some(101), 552),
    ];
    for (caps, change, code) in table {
        let mut s = Script::new(cfg());
        let mut e = env("x");
        change(&mut e);
        s.cli.send(e);
        s.cli.send(env("next"));
        let out = s.ready(caps);
        // Nothing is sent for the refused message; the next one goes.
        assert!(
            out.starts_with("MAIL FROM:<a@example.org>"),
            "{caps:?}: {out:?}"
        );
        assert_eq!(s.outcomes.len(), 1, "{caps:?}");
        let o = &s.outcomes[0];
        assert_eq!(o.id, 0);
        assert_eq!(o.mail.code(), *code, "{caps:?}: {}", o.mail);
        assert_eq!(codes(o), [*code]);
    }
    // With the extension there, the same envelopes go out.
    let mut s = Script::new(cfg());
    let e = Envelope::new("<jö@example.org>", &["<b@x.example>"], b"x").unwrap();
    s.cli.send(e);
    assert_eq!(
        s.ready(&["SMTPUTF8"]),
        "MAIL FROM:<jö@example.org> SMTPUTF8\r\n"
    );
}

#[test]
fn helo_fallback_sends_no_parameters() {
    let mut s = Script::new(cfg());
    let mut e = env("x");
    e.mail_params.envid = Some("id".into());
    e.mail_params.size = Some(1);
    s.cli.send(e);
    s.say("220 old smtp\r\n");
    assert_eq!(s.say("502 what?\r\n"), "HELO c.example\r\n");
    assert_eq!(s.say("250 old\r\n"), "MAIL FROM:<a@example.org>\r\n");
    assert_eq!(s.say("250 ok\r\n"), "RCPT TO:<b@example.net>\r\n");
    assert_eq!(s.say("250 ok\r\n"), "DATA\r\n");
    assert_eq!(s.say("354 go\r\n"), "x\r\n.\r\n");
}

#[test]
fn timeouts_follow_rfc_5321() {
    let t0 = Instant::now();
    let mut cli = Client::new(ClientConfig::new("c"), t0);
    // Greeting: 5 minutes.
    assert_eq!(cli.poll_timeout(), Some(t0 + Duration::from_secs(300)));
    cli.send(env("x"));
    cli.feed(t0, b"220 mx\r\n");
    cli.feed(t0, b"250 mx\r\n");
    cli.feed(t0, b"250 ok\r\n");
    cli.feed(t0, b"250 ok\r\n");
    cli.take_output();
    // DATA initiation: 2 minutes.
    assert_eq!(cli.poll_timeout(), Some(t0 + Duration::from_secs(120)));
    cli.feed(t0, b"354 go\r\n");
    // DATA termination: 10 minutes.
    assert_eq!(cli.poll_timeout(), Some(t0 + Duration::from_secs(600)));
    cli.handle_timeout(t0 + Duration::from_secs(599));
    assert!(!cli.is_closed());
    cli.handle_timeout(t0 + Duration::from_secs(600));
    assert!(cli.is_closed());
    let mut outcome = None;
    while let Some(ev) = cli.poll_event() {
        if let ClientEvent::Outcome(o) = ev {
            outcome = Some(o);
        }
    }
    // The message was not delivered: a local 451 to try again.
    assert_eq!(codes(&outcome.unwrap()), [451]);
}

#[test]
fn a_421_ends_everything() {
    let mut s = Script::new(cfg());
    s.cli.send(env("x"));
    s.cli.send(env("y"));
    s.ready(&["PIPELINING"]);
    s.say("421 4.3.2 shutting down\r\n");
    assert!(s.closed);
    assert_eq!(s.outcomes.len(), 2);
    for o in &s.outcomes {
        assert_eq!(codes(o), [421]);
    }
}
