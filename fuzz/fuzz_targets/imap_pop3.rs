//! POP3: lines from the bounded splitter through the command, reply,
//! SASL and listing parsers; what parses must round-trip, the session
//! rules must hold, every error has a -ERR reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::pop3::{
    Line, LineBuffer, Pop3Session, encode_auth_response, encode_listing, parse_auth_response,
    parse_command, parse_reply, parse_scan_listing, parse_uid_listing, unstuff_line,
};

fuzz_target!(|data: &[u8]| {
    let mut lb = LineBuffer::new(512);
    let mut session = Pop3Session::new();
    lb.feed(data);
    while let Some(line) = lb.poll() {
        let Line::Line(l) = line else { continue };
        let _ = unstuff_line(l);
        match parse_command(l) {
            Ok(cmd) => {
                assert_eq!(
                    parse_command(&cmd.encode()).expect("re-encoded command parses"),
                    cmd
                );
                let ok = session.check(&cmd).is_ok();
                session.complete(&cmd, ok && l.len() % 2 == 0);
            }
            Err(e) => assert!(e.reply().encode().starts_with(b"-ERR ")),
        }
        if let Ok(r) = parse_reply(l) {
            let wire = r.encode();
            assert_eq!(parse_reply(&wire).expect("re-encoded reply parses"), r);
        }
        if let Ok(a) = parse_auth_response(l) {
            assert_eq!(parse_auth_response(&encode_auth_response(a)).unwrap(), a);
        }
        if let Ok((n, size)) = parse_scan_listing(l) {
            let mut out = Vec::new();
            encode_listing(&mut out, n, &size.to_string());
            assert_eq!(parse_scan_listing(&out).unwrap(), (n, size));
        }
        if let Ok((n, uid)) = parse_uid_listing(l) {
            let mut out = Vec::new();
            encode_listing(&mut out, n, uid);
            assert_eq!(parse_uid_listing(&out).unwrap(), (n, uid));
        }
    }
    assert!(lb.buffered() <= 512 + data.len());
});
