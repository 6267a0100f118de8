//! ManageSieve: framed commands and responses that parse must re-encode
//! to bytes that parse to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::managesieve::{SieveState, check, parse_command, parse_response};

fuzz_target!(|data: &[u8]| {
    let cfg = FramerConfig {
        max_literal: 4096,
        max_line: 4096,
        max_message: 8192,
        server: false,
    };
    let mut f = Framer::new(cfg);
    f.feed(data);
    while let Some(ev) = f.poll() {
        let Event::Message(m) = ev else { continue };
        if let Ok(c) = parse_command(m) {
            let _ = check(SieveState::Authenticated, &c);
            assert_eq!(
                parse_command(&c.encode()).expect("re-encoded command parses"),
                c
            );
        }
        if let Ok(r) = parse_response(m) {
            assert_eq!(
                parse_response(&r.encode()).expect("re-encoded response parses"),
                r
            );
        }
    }
});
