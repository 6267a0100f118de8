//! Server session rules, table-driven: command order, limits, bad
//! input, DATA end detection, timeouts and the STARTTLS reset.

use std::time::{Duration, Instant};

use rampart_smtp_proto::data::BareLineEnding;
use rampart_smtp_proto::server::{DecisionError, Event, Server, ServerConfig};
use rampart_smtp_proto::{EnhancedCode, Reply};

/// Feeds `input` in one piece, accepts every decision, and returns
/// the reply codes sent after the greeting, and the messages.
fn talk(cfg: ServerConfig, input: &[u8]) -> (Vec<u16>, Vec<Vec<u8>>) {
    talk_split(cfg, input, input.len().max(1))
}

fn talk_split(cfg: ServerConfig, input: &[u8], piece: usize) -> (Vec<u16>, Vec<Vec<u8>>) {
    let now = Instant::now();
    let mut srv = Server::new(cfg, now);
    let mut out = srv.take_output();
    let mut messages = Vec::new();
    for chunk in input.chunks(piece) {
        srv.feed(now, chunk);
        while let Some(ev) = srv.poll_event() {
            match ev {
                Event::Message(t) => {
                    messages.push(t.message);
                    srv.accept().unwrap();
                }
                Event::Mail { .. } | Event::Rcpt { .. } | Event::Auth(_) => srv.accept().unwrap(),
                Event::StartTls => srv.tls_established(),
                _ => {}
            }
        }
        out.extend(srv.take_output());
    }
    (codes(&out)[1..].to_vec(), messages)
}

fn codes(mut out: &[u8]) -> Vec<u16> {
    let mut v = Vec::new();
    while !out.is_empty() {
        let (r, n) = Reply::parse(out).expect("server sent a bad reply");
        v.push(r.code());
        out = &out[n..];
    }
    v
}

fn cfg() -> ServerConfig {
    ServerConfig::new("mx.example")
}

#[test]
fn command_order_and_replies() {
    // (input, expected codes)
    let table: &[(&str, &[u16])] = &[
        ("MAIL FROM:<a@b>\r\n", &[503]),
        ("EHLO c\r\nRCPT TO:<a@b>\r\n", &[250, 503]),
        ("EHLO c\r\nDATA\r\n", &[250, 503]),
        // No RCPT at all: 503; every RCPT refused: 554 (below).
        ("EHLO c\r\nMAIL FROM:<a@b>\r\nDATA\r\n", &[250, 250, 503]),
        (
            "EHLO c\r\nMAIL FROM:<a@b>\r\nBDAT 1 LAST\r\nx",
            &[250, 250, 503],
        ),
        // Commands some RFC defines that we do not implement: 502.
        (
            "TURN\r\nETRN example.org\r\nSEND FROM:<a@b>\r\nSOML\r\nSAML\r\nATRN\r\nBURL x LAST\r\n",
            &[502, 502, 502, 502, 502, 502, 502],
        ),
        ("XFOO\r\nMAILFROM:<a@b>\r\nSTARTTLSX\r\n", &[500, 500, 500]),
        // AUTH exists only after EHLO.
        ("AUTH PLAIN AHRpbQBzZWNyZXQ=\r\n", &[502]),
        (
            "EHLO c\r\nMAIL FROM:<a@b>\r\nMAIL FROM:<a@b>\r\n",
            &[250, 250, 503],
        ),
        ("HELO c\r\nMAIL FROM:<a@b> SIZE=10\r\n", &[250, 555]),
        (
            "EHLO c\r\nMAIL FROM:<a@b> SIZE=999999999999\r\n",
            &[250, 552],
        ),
        ("EHLO c\r\nMAIL FROM:<a@b> X=1\r\n", &[250, 555]),
        ("EHLO c\r\nMAIL FROM:<a@b> REQUIRETLS\r\n", &[250, 555]),
        (
            "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<jö@b>\r\n",
            &[250, 250, 553],
        ),
        (
            "EHLO c\r\nMAIL FROM:<a@b> SMTPUTF8\r\nRCPT TO:<jö@b>\r\n",
            &[250, 250, 250],
        ),
        ("LHLO c\r\n", &[502]),
        (
            "FOO\r\nNOOP\r\nRSET\r\nVRFY x\r\nEXPN x\r\nHELP\r\n",
            &[500, 250, 250, 252, 502, 214],
        ),
        ("STARTTLS\r\nAUTH PLAIN\r\n", &[502, 502]),
        (
            "EHLO c\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<c@d>\r\nDATA\r\n",
            &[250, 250, 250, 503],
        ),
        ("QUIT\r\nNOOP\r\n", &[221]),
        // BDAT without a transaction: the 5 octets are read, not run.
        (
            "EHLO c\r\nBDAT 6 LAST\r\nQUIT\r\nNOOP\r\n",
            &[250, 503, 250],
        ),
        (
            "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 3\r\nabcBDAT 0 LAST\r\n",
            &[250, 250, 250, 250, 250],
        ),
        (
            "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 3\r\nabcDATA\r\n",
            &[250, 250, 250, 250, 503],
        ),
    ];
    for (input, want) in table {
        let (got, _) = talk(cfg(), input.as_bytes());
        assert_eq!(&got, want, "{input:?}");
    }
}

#[test]
fn lmtp_refuses_helo() {
    let mut c = cfg();
    c.lmtp = true;
    let (got, _) = talk(c, b"HELO a\r\nEHLO a\r\nLHLO a\r\n");
    assert_eq!(got, [502, 502, 250]);
}

#[test]
fn ten_megabyte_line_is_cut_off() {
    let mut input = b"EHLO c\r\nNOOP ".to_vec();
    input.resize(input.len() + (10 << 20), b'x');
    input.extend_from_slice(b"\r\nNOOP\r\n");
    // Whole, and in 64 KiB pieces as a socket would deliver it.
    for piece in [input.len(), 65536] {
        let (got, _) = talk_split(cfg(), &input, piece);
        assert_eq!(got, [250, 500, 250], "piece {piece}");
    }
}

#[test]
fn data_ends_only_on_crlf_dot_crlf() {
    let head = "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";
    // (data, policy, codes after DATA's 354, stored message)
    let table: &[(&str, BareLineEnding, &[u16], Option<&str>)] = &[
        (
            "a\r\n..b\r\n.\r\n",
            BareLineEnding::Reject,
            &[250],
            Some("a\r\n.b\r\n"),
        ),
        ("a\n.\nNOOP\r\n.\r\n", BareLineEnding::Reject, &[550], None),
        (
            "a\n.\nNOOP\r\n.\r\n",
            BareLineEnding::Allow,
            &[250],
            Some("a\n.\nNOOP\r\n"),
        ),
        (
            "a\r\n.\rNOOP\r\n.\r\n",
            BareLineEnding::Reject,
            &[550],
            None,
        ),
        (
            "a\r\n.\r\nNOOP\r\n",
            BareLineEnding::Reject,
            &[250, 250],
            Some("a\r\n"),
        ),
    ];
    for (data, policy, want, msg) in table {
        let mut c = cfg();
        c.bare_line_ending = *policy;
        let input = format!("{head}{data}");
        for piece in [1, 3, input.len()] {
            let (got, msgs) = talk_split(c.clone(), input.as_bytes(), piece);
            assert_eq!(&got[..3], [250, 250, 250]);
            assert_eq!(got[3], 354);
            assert_eq!(&got[4..], *want, "{data:?} piece {piece}");
            let stored: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
            let want_msgs: Vec<&[u8]> = msg.iter().map(|m| m.as_bytes()).collect();
            assert_eq!(stored, want_msgs, "{data:?}");
        }
    }
}

#[test]
fn oversized_message_is_read_to_end_then_refused() {
    let mut c = cfg();
    c.max_message_size = 100;
    let big = "x".repeat(500);
    let input = format!(
        "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n{big}\r\n.\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 500 LAST\r\n{big}NOOP\r\n"
    );
    let (got, msgs) = talk(c, input.as_bytes());
    assert_eq!(got, [250, 250, 250, 354, 552, 250, 250, 552, 250]);
    assert!(msgs.is_empty());
}

#[test]
fn recipient_and_error_limits() {
    let mut c = cfg();
    c.max_recipients = 2;
    let input = "EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@d>\r\nRCPT TO:<2@d>\r\nRCPT TO:<3@d>\r\n";
    let (got, _) = talk(c, input.as_bytes());
    assert_eq!(got, [250, 250, 250, 250, 452]);

    let mut c = cfg();
    c.max_errors = 3;
    let (got, _) = talk(c, b"A\r\nB\r\nC\r\nD\r\nE\r\nF\r\n");
    assert_eq!(got, [500, 500, 500, 500, 421]);
}

#[test]
fn timeouts_are_raised_by_the_caller() {
    let t0 = Instant::now();
    let mut srv = Server::new(cfg(), t0);
    srv.take_output();
    let due = srv.poll_timeout().unwrap();
    assert_eq!(due, t0 + Duration::from_secs(300));
    srv.handle_timeout(t0 + Duration::from_secs(10));
    assert!(!srv.is_closed());
    srv.feed(t0 + Duration::from_secs(200), b"NOOP\r\n");
    srv.handle_timeout(t0 + Duration::from_secs(301));
    assert!(!srv.is_closed(), "activity moves the deadline");
    srv.handle_timeout(t0 + Duration::from_secs(501));
    assert!(srv.is_closed());
    assert_eq!(codes(&srv.take_output()), [250, 421]);
    assert_eq!(srv.poll_timeout(), None);
}

#[test]
fn starttls_discards_injected_commands_and_resets() {
    let now = Instant::now();
    let mut c = cfg();
    c.starttls = true;
    c.auth_mechanisms = vec!["PLAIN"];
    let mut srv = Server::new(c, now);
    srv.take_output();
    srv.feed(now, b"EHLO c\r\n");
    let ehlo = String::from_utf8(srv.take_output()).unwrap();
    assert!(ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"));
    // The injected MAIL rides in the same packet as STARTTLS.
    srv.feed(now, b"STARTTLS\r\nMAIL FROM:<evil@x>\r\n");
    assert_eq!(
        srv.poll_event(),
        Some(Event::Hello {
            domain: "c".into(),
            kind: rampart_smtp_proto::server::HelloKind::Ehlo
        })
    );
    assert_eq!(srv.poll_event(), Some(Event::StartTls));
    assert!(!srv.wants_read());
    srv.tls_established();
    assert!(srv.is_tls());
    assert_eq!(codes(&srv.take_output()), [220]);
    assert_eq!(srv.poll_event(), None, "injected MAIL was dropped");
    // State was reset: MAIL needs a new EHLO.
    srv.feed(now, b"MAIL FROM:<a@b>\r\nEHLO c\r\n");
    assert_eq!(codes(&srv.take_output()), [503, 250]);
    let caps = srv.capabilities();
    assert!(caps.auth_mechanisms().contains(&"PLAIN".to_string()));
}

#[test]
fn auth_exchanges() {
    let mut c = cfg();
    c.auth_mechanisms = vec!["PLAIN", "LOGIN"];
    c.auth_requires_tls = false;
    let table: &[(&str, &[u16])] = &[
        ("EHLO c\r\nAUTH PLAIN AHRpbQBzZWNyZXQ=\r\n", &[250, 235]),
        (
            "EHLO c\r\nAUTH PLAIN\r\nAHRpbQBzZWNyZXQ=\r\n",
            &[250, 334, 235],
        ),
        (
            "EHLO c\r\nAUTH LOGIN\r\ndGlt\r\nc2VjcmV0\r\n",
            &[250, 334, 334, 235],
        ),
        (
            "EHLO c\r\nAUTH LOGIN dGlt\r\nc2VjcmV0\r\n",
            &[250, 334, 235],
        ),
        ("EHLO c\r\nAUTH LOGIN\r\n*\r\n", &[250, 334, 501]),
        ("EHLO c\r\nAUTH PLAIN !!!!\r\n", &[250, 501]),
        ("EHLO c\r\nAUTH PLAIN dGlt\r\n", &[250, 501]),
        ("EHLO c\r\nAUTH CRAM-MD5\r\n", &[250, 504]),
        (
            "EHLO c\r\nAUTH PLAIN AHRpbQBzZWNyZXQ=\r\nAUTH PLAIN AHRpbQBzZWNyZXQ=\r\n",
            &[250, 235, 503],
        ),
    ];
    for (input, want) in table {
        let (got, _) = talk(c.clone(), input.as_bytes());
        assert_eq!(&got, want, "{input:?}");
    }
    let mut c = cfg();
    c.auth_mechanisms = vec!["PLAIN"];
    let (got, _) = talk(c, b"EHLO c\r\nAUTH PLAIN AHRpbQBzZWNyZXQ=\r\n");
    assert_eq!(got, [250, 530], "AUTH before TLS");
}

#[test]
fn decisions_are_checked() {
    let now = Instant::now();
    let mut srv = Server::new(cfg(), now);
    assert_eq!(srv.accept(), Err(DecisionError::NothingPending));
    srv.feed(now, b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n");
    srv.poll_event();
    assert!(matches!(srv.poll_event(), Some(Event::Mail { .. })));
    // RCPT is not looked at until MAIL is decided.
    assert_eq!(srv.poll_event(), None);
    assert_eq!(
        srv.reject(Reply::new(250, None, "ok")),
        Err(DecisionError::NotARejection(250))
    );
    assert!(matches!(
        srv.decide_each(&[]),
        Err(DecisionError::WrongReplyCount { .. })
    ));
    srv.reject(Reply::new(550, None, "go away")).unwrap();
    // MAIL refused, so the RCPT gets 503 without an event.
    assert_eq!(srv.poll_event(), None);
    assert_eq!(codes(&srv.take_output()), [220, 250, 550, 503]);
}

fn auth_cfg() -> ServerConfig {
    let mut c = cfg();
    c.auth_mechanisms = vec!["PLAIN", "LOGIN"];
    c.auth_requires_tls = false;
    c
}

#[test]
fn auth_needs_ehlo_and_no_transaction() {
    let table: &[(&str, &[u16])] = &[
        ("AUTH PLAIN AHRpbQBzZWNyZXQ=\r\n", &[503]),
        ("HELO c\r\nAUTH PLAIN AHRpbQBzZWNyZXQ=\r\n", &[250, 503]),
        (
            "EHLO c\r\nMAIL FROM:<a@b>\r\nAUTH PLAIN AHRpbQBzZWNyZXQ=\r\n",
            &[250, 250, 503],
        ),
        ("EHLO c\r\nAUTH LOGIN\r\n", &[250, 334]),
    ];
    for (input, want) in table {
        let (got, _) = talk(auth_cfg(), input.as_bytes());
        assert_eq!(&got, want, "{input:?}");
    }
    // RFC 4954: a 12288-octet response is read, a longer one is not.
    for (len, want) in [(12284, [250, 334, 501]), (12290, [250, 334, 500])] {
        let mut input = b"EHLO c\r\nAUTH PLAIN\r\n".to_vec();
        input.resize(input.len() + len, b'A');
        input.extend_from_slice(b"\r\n");
        let (got, _) = talk(auth_cfg(), &input);
        assert_eq!(got, want, "{len}");
    }
    // A 10 MB line in the middle of an exchange ends it with 500.
    let mut input = b"EHLO c\r\nAUTH LOGIN\r\n".to_vec();
    input.resize(input.len() + (10 << 20), b'A');
    input.extend_from_slice(b"\r\nNOOP\r\n");
    let (got, _) = talk_split(auth_cfg(), &input, 65536);
    assert_eq!(got, [250, 334, 500, 250]);
}

/// A session whose policy is given per event by `decide`.
fn with_policy(
    cfg: ServerConfig,
    input: &[u8],
    mut decide: impl FnMut(&mut Server, Event),
) -> Vec<Reply> {
    let now = Instant::now();
    let mut srv = Server::new(cfg, now);
    srv.feed(now, input);
    while let Some(ev) = srv.poll_event() {
        decide(&mut srv, ev);
    }
    let out = srv.take_output();
    let mut rest = &out[..];
    let mut v = Vec::new();
    while !rest.is_empty() {
        let (r, n) = Reply::parse(rest).unwrap();
        v.push(r);
        rest = &rest[n..];
    }
    v.remove(0);
    v
}

#[test]
fn policy_api_chooses_codes_and_text() {
    let input = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@d>\r\nRCPT TO:<fwd@d>\r\nRCPT TO:<y@d>\r\nDATA\r\nhi\r\n.\r\n";
    let replies = with_policy(cfg(), input, |srv, ev| match ev {
        Event::Rcpt { to, .. } if to.to_string() == "<x@d>" => srv
            .reject(Reply::new(
                550,
                Some(EnhancedCode::new(5, 1, 1)),
                "no such user",
            ))
            .unwrap(),
        Event::Rcpt { to, .. } if to.to_string() == "<fwd@d>" => {
            assert_eq!(
                srv.accept_with(Reply::new(450, None, "no")),
                Err(DecisionError::NotAnAcceptance(450))
            );
            srv.accept_with(Reply::new(251, None, "will forward to <z@e>"))
                .unwrap()
        }
        Event::Message(t) => {
            assert_eq!(t.recipients.len(), 2);
            srv.accept_with(Reply::new(
                250,
                Some(EnhancedCode::new(2, 0, 0)),
                "queued as 4711",
            ))
            .unwrap()
        }
        Event::Hello { .. } => {}
        _ => srv.accept().unwrap(),
    });
    let lines: Vec<String> = replies.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        lines,
        [
            "250-mx.example greets you\r\n250-SIZE 26214400\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-SMTPUTF8\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n",
            "250 2.1.0 sender ok\r\n",
            "550 5.1.1 no such user\r\n",
            "251 will forward to <z@e>\r\n",
            "250 2.1.5 recipient ok\r\n",
            "354 end data with <CR><LF>.<CR><LF>\r\n",
            "250 2.0.0 queued as 4711\r\n",
        ]
    );

    // Every RCPT refused: DATA gets 554, not 503.
    let input = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<x@d>\r\nDATA\r\n";
    let replies = with_policy(cfg(), input, |srv, ev| match ev {
        Event::Rcpt { .. } => srv.reject(Reply::new(550, None, "no")).unwrap(),
        Event::Hello { .. } => {}
        _ => srv.accept().unwrap(),
    });
    let codes: Vec<u16> = replies.iter().map(Reply::code).collect();
    assert_eq!(codes, [250, 250, 550, 554]);
}

#[test]
fn lmtp_replies_once_per_recipient() {
    let mut c = cfg();
    c.lmtp = true;
    let input = b"LHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@d>\r\nRCPT TO:<2@d>\r\nRCPT TO:<3@d>\r\nDATA\r\nhi\r\n.\r\n\
                  MAIL FROM:<a@b>\r\nRCPT TO:<1@d>\r\nRCPT TO:<2@d>\r\nBDAT 2 LAST\r\nhi\
                  MAIL FROM:<a@b>\r\nRCPT TO:<1@d>\r\nRCPT TO:<2@d>\r\nDATA\r\nbare\nlf\r\n.\r\n";
    let mut messages = 0;
    let replies = with_policy(c, input, |srv, ev| match ev {
        Event::Message(t) => {
            messages += 1;
            if messages == 1 {
                assert_eq!(t.recipients.len(), 3);
                // One acceptance, sent once per recipient.
                srv.accept_with(Reply::new(250, None, "delivered")).unwrap();
                return;
            }
            assert_eq!(t.recipients.len(), 2);
            assert_eq!(
                srv.decide_each(&[Reply::new(250, None, "ok")]),
                Err(DecisionError::WrongReplyCount {
                    expected: 2,
                    got: 1
                })
            );
            srv.decide_each(&[
                Reply::new(452, Some(EnhancedCode::new(4, 2, 2)), "mailbox full"),
                Reply::new(250, None, "delivered"),
            ])
            .unwrap()
        }
        Event::Hello { .. } => {}
        _ => srv.accept().unwrap(),
    });
    let codes: Vec<u16> = replies.iter().map(Reply::code).collect();
    assert_eq!(
        codes,
        [
            250, 250, 250, 250, 250, 354, 250, 250, 250, // DATA: 3 recipients
            250, 250, 250, 452, 250, // BDAT: 2 recipients, one each
            250, 250, 250, 354, 550, 550, // bare LF: refused for each
        ]
    );
    assert_eq!(messages, 2);
}

#[test]
fn shutdown_and_starttls_twice() {
    let now = Instant::now();
    let mut srv = Server::new(cfg(), now);
    srv.take_output();
    srv.shutdown("going down for maintenance");
    assert!(srv.is_closed());
    assert_eq!(
        srv.take_output(),
        b"421 4.3.2 going down for maintenance\r\n"
    );

    let mut c = cfg();
    c.starttls = true;
    let mut srv = Server::new(c, now);
    srv.take_output();
    srv.feed(now, b"EHLO c\r\nSTARTTLS\r\n");
    while srv.poll_event().is_some() {}
    srv.tls_established();
    assert_eq!(codes(&srv.take_output()), [250, 220]);
    srv.feed(now, b"EHLO c\r\nSTARTTLS\r\n");
    let out = String::from_utf8(srv.take_output()).unwrap();
    assert!(!out.contains("STARTTLS\r\n"), "not offered twice: {out}");
    assert!(out.contains("REQUIRETLS"));
    assert_eq!(codes(out.as_bytes()), [250, 503]);
}
