//! IMAP client side: framed responses that parse (with and without
//! UTF-8 mailbox names) must re-encode to bytes that parse to the same
//! response. The same bytes, read as a mail message, give an ENVELOPE
//! and BODYSTRUCTURE (and BINARY parts) that encode to a FETCH response
//! the parser reads back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::ParseOptions;
use rampart_imap_proto::fetch;
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::response::{
    Data, FetchValue, Response, ResponseOptions, parse_response_with,
};

fn round_trip(r: &Response<'_>, utf8: bool) {
    let enc = r.encode(ResponseOptions { utf8 });
    let back =
        parse_response_with(&enc, ParseOptions { utf8 }).expect("re-encoded response parses");
    assert_eq!(&back, r);
}

fuzz_target!(|data: &[u8]| {
    let cfg = FramerConfig {
        max_literal: 4096,
        max_line: 4096,
        max_message: 8192,
        ..FramerConfig::CLIENT
    };
    let mut f = Framer::new(cfg);
    f.feed(data);
    while let Some(ev) = f.poll() {
        let Event::Message(m) = ev else { continue };
        for utf8 in [false, true] {
            if let Ok(r) = parse_response_with(m, ParseOptions { utf8 }) {
                round_trip(&r, utf8);
            }
        }
    }

    let Some(msg) = mail_parser::MessageParser::default().parse(data) else {
        return;
    };
    let mut items = vec![
        FetchValue::Envelope(Box::new(fetch::envelope(&msg))),
        FetchValue::BodyStructure(Box::new(fetch::body_structure(&msg))),
    ];
    for part in [&[][..], &[1], &[1, 1], &[2]] {
        if let Ok(b) = fetch::binary(&msg, part) {
            items.push(FetchValue::Binary {
                part: part.to_vec(),
                origin: None,
                data: Some(b),
            });
        }
    }
    let r = Response::Data(Data::Fetch { seq: 1, items });
    for utf8 in [false, true] {
        round_trip(&r, utf8);
    }
});
