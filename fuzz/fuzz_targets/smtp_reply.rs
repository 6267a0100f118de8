//! The reply parser: never panics, consumes what it claims, and a
//! parsed reply encodes to bytes that parse to the same reply. Then
//! the client session is fed the same bytes as the server's side of a
//! connection: it never panics, never sends a malformed command, and
//! accounts for every message it was given.
#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use rampart_smtp_proto::client::{Client, ClientConfig, ClientEvent, Envelope};
use rampart_smtp_proto::{Capabilities, Reply, parse_command};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok((reply, n)) = Reply::parse(rest) {
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
        let bytes = reply.to_bytes();
        let (again, m) = Reply::parse(&bytes).expect("encoded reply parses");
        assert_eq!(m, bytes.len());
        assert_eq!(again.code(), reply.code());
        let _ = Capabilities::from_reply(&reply).map(|c| c.to_reply());
    }

    let Some((&knobs, server)) = data.split_first() else {
        return;
    };
    let mut cfg = ClientConfig::new("fuzz.example");
    cfg.lmtp = knobs & 1 != 0;
    cfg.pipelining = knobs & 2 != 0;
    cfg.bdat_chunk_size = usize::from(knobs >> 4);
    let now = Instant::now();
    let mut cli = Client::new(cfg, now);
    let to = ["<a@x.example>", "<b@x.example>"];
    for i in 0..3 {
        let msg = format!("Subject: {i}\r\n\r\n.dot\nbare lf\r\n");
        cli.send(Envelope::new("<s@x.example>", &to, msg.as_bytes()).unwrap());
    }
    cli.quit();
    let mut outcomes = 0;
    let mut out = Vec::new();
    for chunk in server.chunks(usize::from(knobs % 5) + 1) {
        cli.feed(now, chunk);
        while let Some(ev) = cli.poll_event() {
            if let ClientEvent::Outcome(o) = ev {
                assert_eq!(o.recipients.len(), 2);
                outcomes += 1;
            } else if let ClientEvent::StartTls = ev {
                cli.tls_established();
            }
        }
        out.extend(cli.take_output());
    }
    assert!(outcomes <= 3);
    if cli.is_closed() {
        // A closed session has settled every message.
        assert_eq!(outcomes, 3);
    }
    // Command lines the client wrote parse (message bytes are skipped
    // where a line is not a command).
    for line in out.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"MAIL ") || line.starts_with(b"RCPT ") {
            parse_command(line).expect("the client's MAIL and RCPT lines parse");
        }
    }
});
