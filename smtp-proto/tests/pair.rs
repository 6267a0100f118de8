//! Client and server sessions talking to each other in memory: many
//! transactions, pipelined or not, DATA and BDAT, LMTP, AUTH and the
//! STARTTLS reset. No sockets, no sleeps.

use std::time::Instant;

use rampart_smtp_proto::client::{Client, ClientConfig, ClientEvent, Envelope, Outcome};
use rampart_smtp_proto::sasl::Secret;
use rampart_smtp_proto::server::{Event, Server, ServerConfig, Transaction};
use rampart_smtp_proto::{EnhancedCode, ForwardPath, Reply};

/// What the fake MTA behind the server saw.
#[derive(Default)]
struct Seen {
    messages: Vec<Transaction>,
    outcomes: Vec<Outcome>,
    auths: Vec<String>,
    tls_resets: usize,
    ready: usize,
}

fn refuse(code: u16, text: &str) -> Reply {
    let class = (code / 100) as u8;
    Reply::new(code, Some(EnhancedCode::new(class, 1, 1)), text)
}

/// Server policy: recipients whose local part starts with "nobody"
/// are refused; LMTP recipients starting with "full" fail at delivery;
/// only the password "secret" is accepted.
fn decide(srv: &mut Server, ev: Event, seen: &mut Seen) {
    match ev {
        Event::Rcpt {
            to: ForwardPath::Mailbox(m),
            ..
        } if m.local_part().starts_with("nobody") => {
            srv.reject(refuse(550, "no such user")).unwrap();
        }
        Event::Mail { .. } | Event::Rcpt { .. } => srv.accept().unwrap(),
        Event::Auth(c) => {
            if c.password.expose() == "secret" {
                seen.auths.push(c.authcid.clone());
                srv.accept().unwrap();
            } else {
                srv.reject(refuse(535, "bad credentials")).unwrap();
            }
        }
        Event::Message(t) => {
            if srv.config().lmtp {
                let replies: Vec<Reply> = t
                    .recipients
                    .iter()
                    .map(|r| match &r.path {
                        ForwardPath::Mailbox(m) if m.local_part().starts_with("full") => {
                            refuse(452, "mailbox full")
                        }
                        _ => Reply::new(250, None, "delivered"),
                    })
                    .collect();
                srv.decide_each(&replies).unwrap();
            } else {
                srv.accept().unwrap();
            }
            seen.messages.push(t);
        }
        Event::StartTls => {
            // The handshake would run here.
            seen.tls_resets += 1;
            srv.tls_established();
        }
        Event::Hello { .. } => {}
        other => panic!("unexpected event {other:?}"),
    }
}

/// Moves bytes both ways until neither side has anything to say.
fn pump(srv: &mut Server, cli: &mut Client, seen: &mut Seen) {
    let now = Instant::now();
    for _ in 0..100_000 {
        let mut progress = false;
        let out = cli.take_output();
        if !out.is_empty() {
            progress = true;
            srv.feed(now, &out);
        }
        while let Some(ev) = srv.poll_event() {
            progress = true;
            decide(srv, ev, seen);
        }
        let out = srv.take_output();
        if !out.is_empty() {
            progress = true;
            cli.feed(now, &out);
        }
        while let Some(ev) = cli.poll_event() {
            progress = true;
            match ev {
                ClientEvent::Outcome(o) => seen.outcomes.push(o),
                ClientEvent::StartTls => cli.tls_established(),
                ClientEvent::Ready(_) => seen.ready += 1,
                ClientEvent::Closed => {}
                ClientEvent::Error(e) => panic!("client error: {e}"),
                other => panic!("unexpected client event {other:?}"),
            }
        }
        if !progress {
            return;
        }
    }
    panic!("sessions did not settle");
}

fn message(i: usize) -> Vec<u8> {
    format!(
        "From: a@example.org\r\nSubject: test {i}\r\n\r\n.leading dot\r\n..two dots\r\nbody line {i}\r\n.\r\nlast"
    )
    .into_bytes()
}

/// What the server should store for `message(i)`: CRLF ends added.
fn stored(i: usize) -> Vec<u8> {
    let mut m = message(i);
    m.extend_from_slice(b"\r\n");
    m
}

fn envelope(i: usize, to: &[&str]) -> Envelope {
    Envelope::new("<sender@example.org>", to, &message(i)).unwrap()
}

fn run(scfg: ServerConfig, ccfg: ClientConfig, n: usize, to: &[&str]) -> Seen {
    let now = Instant::now();
    let mut srv = Server::new(scfg, now);
    let mut cli = Client::new(ccfg, now);
    for i in 0..n {
        cli.send(envelope(i, to));
    }
    cli.quit();
    let mut seen = Seen::default();
    pump(&mut srv, &mut cli, &mut seen);
    assert!(srv.is_closed(), "server still open");
    assert!(cli.is_closed(), "client still open");
    seen
}

/// DATA and BDAT deliver the same bytes: CRLF line ends throughout.
fn check_smtp(seen: &Seen, n: usize, to: &[&str]) {
    assert_eq!(seen.messages.len(), n);
    assert_eq!(seen.outcomes.len(), n);
    for (i, (t, o)) in seen.messages.iter().zip(&seen.outcomes).enumerate() {
        assert_eq!(t.message, stored(i), "message {i}");
        assert_eq!(o.id, i as u64);
        for ((path, reply), addr) in o.recipients.iter().zip(to) {
            assert_eq!(&path.to_string(), addr);
            let refused = addr.starts_with("<nobody");
            assert_eq!(reply.code(), if refused { 550 } else { 250 }, "{addr}");
        }
        let kept = to.iter().filter(|a| !a.starts_with("<nobody")).count();
        assert_eq!(t.recipients.len(), kept);
    }
}

const TO: &[&str] = &[
    "<a@example.net>",
    "<nobody@example.net>",
    "<\"b c\"@example.net>",
];

#[test]
fn pipelined_data_many_transactions() {
    let mut s = ServerConfig::new("mx.example");
    s.chunking = false;
    let seen = run(s, ClientConfig::new("client.example"), 60, TO);
    check_smtp(&seen, 60, TO);
}

#[test]
fn lockstep_data_without_pipelining() {
    let mut s = ServerConfig::new("mx.example");
    s.pipelining = false;
    s.chunking = false;
    let seen = run(s, ClientConfig::new("client.example"), 20, TO);
    check_smtp(&seen, 20, TO);
}

#[test]
fn bdat_pipelined_and_lockstep() {
    let seen = run(
        ServerConfig::new("mx.example"),
        ClientConfig::new("c"),
        30,
        TO,
    );
    check_smtp(&seen, 30, TO);
    let mut c = ClientConfig::new("c");
    c.pipelining = false;
    let seen = run(ServerConfig::new("mx.example"), c, 10, TO);
    check_smtp(&seen, 10, TO);
}

#[test]
fn bdat_in_small_chunks() {
    // Messages of about 100 octets in chunks of 7, 16 and 1: many
    // BDAT commands per message, pipelined and lockstep, SMTP and LMTP.
    for chunk in [7, 16, 1] {
        for pipelining in [true, false] {
            let mut c = ClientConfig::new("c");
            c.bdat_chunk_size = chunk;
            c.pipelining = pipelining;
            let seen = run(ServerConfig::new("mx.example"), c, 4, TO);
            check_smtp(&seen, 4, TO);

            let mut s = ServerConfig::new("lmtp.example");
            s.lmtp = true;
            let mut c = ClientConfig::new("c");
            c.lmtp = true;
            c.bdat_chunk_size = chunk;
            c.pipelining = pipelining;
            let seen = run(s, c, 3, TO);
            check_smtp(&seen, 3, TO);
        }
    }
}

#[test]
fn binarymime_goes_as_it_is() {
    let now = Instant::now();
    let mut srv = Server::new(ServerConfig::new("mx.example"), now);
    let mut c = ClientConfig::new("c");
    c.bdat_chunk_size = 5;
    let mut cli = Client::new(c, now);
    let raw = b"\0\x01bare\nlf\r\x7f".to_vec();
    let mut env = Envelope::new("<a@example.org>", &["<b@example.net>"], &raw).unwrap();
    env.mail_params.body = Some(rampart_smtp_proto::Body::BinaryMime);
    cli.send(env);
    cli.quit();
    let mut seen = Seen::default();
    pump(&mut srv, &mut cli, &mut seen);
    assert_eq!(seen.messages.len(), 1);
    assert_eq!(seen.messages[0].message, raw);
    assert!(seen.outcomes[0].all_delivered());
}

#[test]
fn all_recipients_refused_sends_nothing() {
    for chunking in [false, true] {
        for pipelining in [false, true] {
            let mut s = ServerConfig::new("mx.example");
            s.chunking = chunking;
            let mut c = ClientConfig::new("c");
            c.pipelining = pipelining;
            let to = &["<nobody1@x.example>", "<nobody2@x.example>"];
            let seen = run(s, c, 3, to);
            assert!(seen.messages.is_empty());
            assert_eq!(seen.outcomes.len(), 3);
            for o in &seen.outcomes {
                assert!(o.recipients.iter().all(|(_, r)| r.code() == 550), "{o:?}");
            }
        }
    }
}

#[test]
fn lmtp_one_reply_per_recipient() {
    let to = &[
        "<a@example.net>",
        "<full@example.net>",
        "<nobody@example.net>",
        "<b@example.net>",
    ];
    for chunking in [false, true] {
        let mut s = ServerConfig::new("lmtp.example");
        s.lmtp = true;
        s.chunking = chunking;
        let mut c = ClientConfig::new("c");
        c.lmtp = true;
        let seen = run(s, c, 25, to);
        assert_eq!(seen.messages.len(), 25);
        for o in &seen.outcomes {
            let codes: Vec<u16> = o.recipients.iter().map(|(_, r)| r.code()).collect();
            assert_eq!(codes, [250, 452, 550, 250], "chunking {chunking}");
        }
    }
}

#[test]
fn starttls_resets_then_auth() {
    let mut s = ServerConfig::new("mx.example");
    s.starttls = true;
    s.auth_mechanisms = vec!["PLAIN", "LOGIN"];
    let mut c = ClientConfig::new("c");
    c.auth = Some(("tim".into(), Secret::new("secret")));
    let seen = run(s, c, 5, TO);
    check_smtp(&seen, 5, TO);
    assert_eq!(seen.tls_resets, 1);
    assert_eq!(seen.auths, ["tim"]);
    assert_eq!(seen.ready, 1);
    for t in &seen.messages {
        assert!(t.tls);
        assert_eq!(t.authenticated.as_deref(), Some("tim"));
    }
}

#[test]
fn auth_login_without_tls() {
    let mut s = ServerConfig::new("mx.example");
    s.auth_mechanisms = vec!["LOGIN"];
    s.auth_requires_tls = false;
    let mut c = ClientConfig::new("c");
    c.auth = Some(("ann".into(), Secret::new("secret")));
    let seen = run(s, c, 2, TO);
    assert_eq!(seen.auths, ["ann"]);
    check_smtp(&seen, 2, TO);
}

#[test]
fn auth_failure_fails_queued_mail() {
    let now = Instant::now();
    let mut s = ServerConfig::new("mx.example");
    s.auth_mechanisms = vec!["PLAIN"];
    s.auth_requires_tls = false;
    let mut c = ClientConfig::new("c");
    c.auth = Some(("tim".into(), Secret::new("wrong")));
    let mut srv = Server::new(s, now);
    let mut cli = Client::new(c, now);
    cli.send(envelope(0, TO));
    let mut seen = Seen::default();
    let mut errors = 0;
    for _ in 0..20 {
        srv.feed(now, &cli.take_output());
        while let Some(ev) = srv.poll_event() {
            decide(&mut srv, ev, &mut seen);
        }
        cli.feed(now, &srv.take_output());
        while let Some(ev) = cli.poll_event() {
            match ev {
                ClientEvent::Error(_) => errors += 1,
                ClientEvent::Outcome(o) => seen.outcomes.push(o),
                _ => {}
            }
        }
    }
    assert_eq!(errors, 1);
    assert_eq!(seen.outcomes.len(), 1);
    assert!(!seen.outcomes[0].all_delivered());
    assert!(cli.is_closed() && srv.is_closed());
}
