//! POP3: lines from the bounded splitter through the command and reply
//! parsers; what parses must round-trip, the session rules must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::pop3::{
    Line, LineBuffer, Pop3Session, parse_command, parse_reply, unstuff_line,
};

fuzz_target!(|data: &[u8]| {
    let mut lb = LineBuffer::new(512);
    let mut session = Pop3Session::new();
    lb.feed(data);
    while let Some(line) = lb.poll() {
        let Line::Line(l) = line else { continue };
        let _ = unstuff_line(l);
        if let Ok(cmd) = parse_command(l) {
            assert_eq!(
                parse_command(&cmd.encode()).expect("re-encoded command parses"),
                cmd
            );
            let ok = session.check(&cmd).is_ok();
            session.complete(&cmd, ok && l.len() % 2 == 0);
        }
        if let Ok(r) = parse_reply(l) {
            let wire = r.encode();
            assert_eq!(parse_reply(&wire).expect("re-encoded reply parses"), r);
        }
    }
    assert!(lb.buffered() <= 512 + data.len());
});
