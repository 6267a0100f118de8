//! IMAP client side: framed responses that parse must re-encode to bytes
//! that parse to the same response.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::response::{ResponseOptions, parse_response};

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
        if let Ok(r) = parse_response(m) {
            for utf8 in [false, true] {
                let enc = r.encode(ResponseOptions { utf8 });
                let back = parse_response(&enc).expect("re-encoded response parses");
                assert_eq!(back, r);
            }
        }
    }
});
