//! ManageSieve: framed commands, responses and SASL lines that parse
//! must re-encode to bytes that parse to the same value; the session
//! rules and error replies never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::managesieve::{
    SieveSession, encode_auth_response, frame_error_response, parse_auth_response, parse_command,
    parse_error_response, parse_response,
};

fuzz_target!(|data: &[u8]| {
    let cfg = FramerConfig {
        max_literal: 4096,
        max_line: 4096,
        max_message: 8192,
        ..FramerConfig::CLIENT
    };
    let mut f = Framer::new(cfg);
    let mut session = SieveSession::new();
    f.feed(data);
    while let Some(ev) = f.poll() {
        let m = match ev {
            Event::Message(m) => m,
            Event::Rejected { error, .. } => {
                let _ = frame_error_response(&error).encode();
                continue;
            }
            Event::Continue { .. } => continue,
        };
        match parse_command(m) {
            Ok(c) => {
                let ok = session.check(&c).is_ok();
                session.complete(&c, ok);
                assert_eq!(
                    parse_command(&c.encode()).expect("re-encoded command parses"),
                    c
                );
            }
            Err(e) => {
                let no = parse_error_response(&e).encode();
                assert!(parse_response(&no).is_ok());
            }
        }
        if let Ok(r) = parse_response(m) {
            assert_eq!(
                parse_response(&r.encode()).expect("re-encoded response parses"),
                r
            );
        }
        if let Ok(a) = parse_auth_response(m) {
            let wire = encode_auth_response(a.as_deref());
            assert_eq!(parse_auth_response(&wire).unwrap(), a);
        }
    }
});
