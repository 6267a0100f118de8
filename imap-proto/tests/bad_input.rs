//! Hostile input: a 4 GB literal announced, 10 MB lines, deep nesting,
//! invalid UTF-8 and modified UTF-7. Each gets a clear BAD or NO with
//! the right code, memory stays bounded, nothing panics.

use rampart_imap_proto::command::parse_command;
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::response::parse_response;
use rampart_imap_proto::session::{Input, Server};
use rampart_imap_proto::{FrameError, ParseErrorKind};
use rampart_imap_proto::{managesieve, pop3};

fn replies(srv: &mut Server) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(i) = srv.poll() {
        out.push(match i {
            Input::Reply(r) => String::from_utf8_lossy(&r).trim_end().to_string(),
            Input::Command(c) => format!("command {}", c.body.name()),
            other => format!("{other:?}"),
        });
    }
    out
}

fn logged_in() -> Server {
    let mut srv = Server::new();
    srv.session_mut().complete("LOGIN", true);
    srv
}

#[test]
fn four_gigabyte_literal_refused_before_it_is_sent() {
    let mut srv = logged_in();
    srv.feed(b"A1 APPEND INBOX {4294967296}\r\n");
    let r = replies(&mut srv);
    assert_eq!(r.len(), 1);
    assert!(r[0].starts_with("A1 NO [TOOBIG]"), "{r:?}");
    // The connection goes on.
    srv.feed(b"A2 NOOP\r\n");
    assert_eq!(replies(&mut srv), ["command NOOP"]);
}

#[test]
fn four_gigabyte_nonsync_literal_discarded_in_bounded_memory() {
    let mut srv = logged_in();
    srv.feed(b"A1 APPEND INBOX {4294967296+}\r\n");
    let r = replies(&mut srv);
    assert!(r[0].starts_with("A1 BAD [TOOBIG]"), "{r:?}");
    // Stream 64 MiB of it: nothing is kept.
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..64 {
        srv.feed(&chunk);
        assert!(replies(&mut srv).is_empty());
        assert!(srv.framer_mut().buffered() <= 1 << 20);
    }
}

#[test]
fn ten_megabyte_line() {
    let mut srv = logged_in();
    srv.feed(b"A1 SELECT ");
    let chunk = vec![b'a'; 64 * 1024];
    let mut r = Vec::new();
    for _ in 0..160 {
        srv.feed(&chunk);
        r.extend(replies(&mut srv));
        assert!(srv.framer_mut().buffered() <= 2 * 64 * 1024 + 16);
    }
    srv.feed(b"\r\nA2 NOOP\r\n");
    r.extend(replies(&mut srv));
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r[0].starts_with("A1 BAD [TOOBIG] line exceeds"), "{r:?}");
    assert_eq!(r[1], "command NOOP");

    // POP3 lines are bounded too.
    let mut lb = pop3::LineBuffer::new(pop3::MAX_COMMAND_LINE);
    let mut too_long = 0;
    for _ in 0..160 {
        lb.feed(&chunk);
        while let Some(l) = lb.poll() {
            assert_eq!(l, pop3::Line::TooLong);
            too_long += 1;
        }
        assert!(lb.buffered() <= chunk.len());
    }
    assert_eq!(too_long, 1);
}

#[test]
fn deep_nesting() {
    let mut srv = logged_in();
    srv.session_mut().complete("SELECT", true);
    let mut cmd = b"A1 SEARCH ".to_vec();
    cmd.extend(std::iter::repeat_n(b'(', 50_000));
    cmd.extend_from_slice(b"ALL");
    cmd.extend(std::iter::repeat_n(b')', 50_000));
    cmd.extend_from_slice(b"\r\n");
    let cfg = FramerConfig {
        max_line: 1 << 20,
        ..FramerConfig::SERVER
    };
    let mut big = Server::with_config(cfg);
    big.session_mut().complete("LOGIN", true);
    big.session_mut().complete("SELECT", true);
    big.feed(&cmd);
    let r = replies(&mut big);
    assert!(
        r[0].starts_with("A1 BAD [LIMIT] lists nested deeper than 64"),
        "{r:?}"
    );

    // NOT NOT NOT ... recursion is bounded as well.
    let mut not = b"A2 SEARCH ".to_vec();
    for _ in 0..20_000 {
        not.extend_from_slice(b"NOT ");
    }
    not.extend_from_slice(b"ALL\r\n");
    big.feed(&not);
    let r = replies(&mut big);
    assert!(r[0].starts_with("A2 BAD [LIMIT]"), "{r:?}");

    // Deep body structures and threads on the client side.
    let mut resp = b"* 1 FETCH (BODYSTRUCTURE ".to_vec();
    resp.extend(std::iter::repeat_n(b'(', 10_000));
    resp.extend_from_slice(b"\r\n");
    assert!(parse_response(&resp).is_err());
    let mut thread = b"* THREAD ".to_vec();
    thread.extend(std::iter::repeat_n(b'(', 10_000));
    thread.extend_from_slice(b"1\r\n");
    assert!(parse_response(&thread).is_err());
    drop(srv);
}

#[test]
fn invalid_utf8_and_utf7() {
    let mut srv = logged_in();
    // A literal is any bytes: the command is well-formed, but no mailbox
    // has that name (NO [CANNOT], RFC 5530).
    srv.feed(b"A1 SELECT {4}\r\n\xff\xfe\xfd\xfc\r\n");
    let r = replies(&mut srv);
    assert_eq!(r[0], "+ Ready for literal");
    assert!(
        r[1].starts_with("A1 NO [CANNOT] mailbox name is not UTF-8"),
        "{r:?}"
    );
    // A quoted string must be UTF-8: a syntax error (BAD [CLIENTBUG]).
    srv.feed(b"A0 SELECT \"caf\xe9\"\r\n");
    let r = replies(&mut srv);
    assert!(
        r[0].starts_with("A0 BAD [CLIENTBUG] invalid UTF-8"),
        "{r:?}"
    );
    srv.feed(b"A2 CREATE &Jjo!\r\nA3 RENAME a &AGE\r\nA4 SELECT \"&2D0-\"\r\n");
    let r = replies(&mut srv);
    assert_eq!(r.len(), 3);
    for (i, l) in r.iter().enumerate() {
        assert!(
            l.starts_with(&format!("A{} NO [CANNOT] invalid modified UTF-7", i + 2)),
            "{l}"
        );
    }
    // Nothing of it changed the state, and the connection goes on.
    srv.feed(b"A5 NOOP\r\n");
    assert_eq!(replies(&mut srv), ["command NOOP"]);

    let e = managesieve::parse_command(b"GETSCRIPT \"\xff\"\r\n").unwrap_err();
    let no = managesieve::parse_error_response(&e).encode();
    assert!(
        no.starts_with(b"NO \"invalid UTF-8"),
        "{}",
        String::from_utf8_lossy(&no)
    );
    let e = managesieve::parse_command(b"GETSCRIPT {1+}\r\n\xff\r\n").unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::InvalidUtf8);
    let e = pop3::parse_command(b"USER \xff\r\n").unwrap_err();
    assert_eq!(e, pop3::Pop3Error::InvalidUtf8);
    assert_eq!(e.reply().encode(), b"-ERR invalid UTF-8\r\n");
}

#[test]
fn oversized_nonsync_literal_under_literal_minus() {
    // RFC 7888 section 5: a {N+} above 4096 bytes is refused with
    // BAD [TOOBIG] and its bytes are skipped; the client did not wait.
    let mut srv = logged_in();
    let mut input = b"A1 APPEND INBOX {5000+}\r\n".to_vec();
    input.extend(vec![b'x'; 5000]);
    input.extend_from_slice(b"\r\nA2 NOOP\r\n");
    for piece in input.chunks(700) {
        srv.feed(piece);
    }
    let r = replies(&mut srv);
    assert_eq!(
        r,
        [
            "A1 BAD [TOOBIG] literal of 5000 bytes exceeds the limit of 4096 bytes",
            "command NOOP"
        ]
    );
}

#[test]
fn hostile_input_on_the_other_sides() {
    // The client side: a 10 MB response line and a 4 GB literal from a
    // server are refused in bounded memory.
    let cfg = FramerConfig::CLIENT;
    let mut f = Framer::new(cfg);
    f.feed(b"* 1 FETCH (BODY[] {4294967296}\r\n");
    assert!(matches!(
        f.poll(),
        Some(Event::Rejected {
            error: FrameError::LiteralTooLarge { .. },
            ..
        })
    ));
    let chunk = vec![b'y'; 1 << 20];
    for _ in 0..10 {
        f.feed(&chunk);
        while f.poll().is_some() {}
        assert!(f.buffered() <= 1 << 20);
    }
    let mut f = Framer::new(cfg);
    f.feed(b"* OK ");
    let mut rejected = 0;
    for _ in 0..10 {
        f.feed(&chunk);
        while let Some(ev) = f.poll() {
            assert!(matches!(
                ev,
                Event::Rejected {
                    error: FrameError::LineTooLong { .. },
                    ..
                }
            ));
            rejected += 1;
        }
        assert!(f.buffered() <= 2 << 20);
    }
    assert_eq!(rejected, 1);

    // ManageSieve: a script over the limit gets NO (QUOTA/MAXSIZE).
    let cfg = FramerConfig {
        max_literal: 1 << 20,
        ..FramerConfig::CLIENT
    };
    let mut f = Framer::new(cfg);
    f.feed(b"PUTSCRIPT \"big\" {4294967296+}\r\n");
    let Some(Event::Rejected { error, .. }) = f.poll() else {
        panic!()
    };
    let no = managesieve::frame_error_response(&error).encode();
    assert!(
        no.starts_with(b"NO (QUOTA/MAXSIZE) \"literal of 4294967296 bytes"),
        "{}",
        String::from_utf8_lossy(&no)
    );
    // Deep lists in a ManageSieve line are not lists at all: refused.
    let mut deep = b"PUTSCRIPT ".to_vec();
    deep.extend(std::iter::repeat_n(b'(', 100_000));
    deep.extend_from_slice(b"\r\n");
    assert!(managesieve::parse_command(&deep).is_err());
}

#[test]
fn garbage_never_panics() {
    // A cheap deterministic generator: every parser sees thousands of
    // byte strings made of protocol-looking pieces.
    let pieces: &[&[u8]] = &[
        b"a1 ",
        b"* ",
        b"+ ",
        b"(",
        b")",
        b"{",
        b"}",
        b"{5}\r\n",
        b"~{2}\r\n",
        b"\"",
        b"\\",
        b"[",
        b"]",
        b"<",
        b">",
        b"NIL",
        b"FETCH",
        b"BODY[",
        b"1:*",
        b"$",
        b" ",
        b"\r\n",
        b"\xff",
        b"\0",
        b"UID",
        b"SEARCH",
        b"OR",
        b"NOT",
        b"APPEND",
        b"INBOX",
        b"&",
        b"-",
        b"OK",
        b"BODYSTRUCTURE",
        b"ENVELOPE",
        b"ESEARCH",
        b"LIST",
        b"STATUS",
        b"THREAD",
        b"NAMESPACE",
        b"9999999999999999999999",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let mut input = Vec::new();
        for _ in 0..(next() % 24) {
            input.extend_from_slice(pieces[(next() % pieces.len() as u64) as usize]);
        }
        input.extend_from_slice(b"\r\n");
        let _ = parse_command(&input);
        let _ = parse_response(&input);
        let _ = managesieve::parse_command(&input);
        let _ = managesieve::parse_response(&input);
        let _ = pop3::parse_command(&input);
        let _ = pop3::parse_reply(&input);
        let mut srv = Server::new();
        srv.feed(&input);
        let _ = replies(&mut srv);
    }
}
