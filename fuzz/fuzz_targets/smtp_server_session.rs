//! The server session fed arbitrary bytes in arbitrary pieces, with
//! every decision made by the first input byte: never panics, never
//! sends a malformed reply, and never holds more input than a line
//! and a pending decision need.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rampart_smtp_proto::Reply;
use rampart_smtp_proto::server::{Event, Server, ServerConfig};

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, rest)) = data.split_first() else {
        return;
    };
    let mut cfg = ServerConfig::new("fuzz.example");
    cfg.lmtp = knobs & 1 != 0;
    cfg.starttls = knobs & 2 != 0;
    cfg.auth_mechanisms = vec!["PLAIN", "LOGIN"];
    cfg.auth_requires_tls = knobs & 4 != 0;
    cfg.bare_line_ending = if knobs & 8 != 0 {
        rampart_smtp_proto::data::BareLineEnding::Allow
    } else {
        rampart_smtp_proto::data::BareLineEnding::Reject
    };
    cfg.max_line = 64 + usize::from(knobs >> 4) * 16;
    cfg.max_message_size = 256;
    cfg.max_recipients = 3;
    let piece = usize::from(knobs % 7) + 1;
    let mut now = Instant::now();
    let mut srv = Server::new(cfg, now);
    let mut out = srv.take_output();
    let mut decision = 0u32;
    for chunk in rest.chunks(piece) {
        now += Duration::from_secs(1);
        srv.feed(now, chunk);
        while let Some(ev) = srv.poll_event() {
            decision += 1;
            let no = Reply::new(550, None, "no");
            let _ = match ev {
                Event::StartTls => {
                    srv.tls_established();
                    Ok(())
                }
                Event::Message(t) if decision % 3 == 0 => {
                    let replies = vec![Reply::new(250, None, "ok"); t.recipients.len()];
                    srv.decide_each(&replies).or_else(|_| srv.accept())
                }
                Event::Hello { .. } => Ok(()),
                _ if decision % 5 == 0 => srv.accept_with(Reply::new(251, None, "fine")),
                _ if decision % 2 == 0 => srv.reject(no),
                _ => srv.accept(),
            };
        }
        out.extend(srv.take_output());
        if srv.is_closed() {
            break;
        }
    }
    srv.handle_timeout(now + Duration::from_secs(3600));
    assert!(srv.is_closed());
    out.extend(srv.take_output());
    let mut o = &out[..];
    while !o.is_empty() {
        let (_, n) = Reply::parse(o).expect("server output is well-formed replies");
        o = &o[n..];
    }
});
