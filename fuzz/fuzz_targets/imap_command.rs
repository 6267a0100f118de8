//! IMAP server side: bytes cut into pieces go through the framer and
//! session; every command that parses must re-encode to bytes that parse
//! to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::LiteralMode;
use rampart_imap_proto::command::{EncodeOptions, parse_command};
use rampart_imap_proto::frame::FramerConfig;
use rampart_imap_proto::session::{Input, Server};

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let piece = usize::from(split % 16) + 1;
    let cfg = FramerConfig {
        max_literal: 4096,
        max_line: 4096,
        max_message: 8192,
        server: true,
    };
    let mut srv = Server::with_config(cfg);
    if split & 0x80 != 0 {
        srv.session_mut().complete("LOGIN", true);
        srv.session_mut().complete("SELECT", true);
    }
    for chunk in data.chunks(piece) {
        srv.feed(chunk);
        while let Some(input) = srv.poll() {
            let (name, ok) = match input {
                Input::Command(cmd) => {
                    for (literal, utf8) in
                        [(LiteralMode::Sync, false), (LiteralMode::NonSync, true)]
                    {
                        let enc = cmd.encode(EncodeOptions { literal, utf8 });
                        let back = parse_command(&enc.bytes).expect("re-encoded command parses");
                        assert_eq!(back, cmd);
                    }
                    (cmd.body.name(), split & 1 == 0)
                }
                Input::AuthResponse(_) => ("AUTHENTICATE", split & 2 == 0),
                Input::IdleDone => ("IDLE", true),
                Input::Reply(r) => {
                    assert!(r.ends_with(b"\r\n"));
                    continue;
                }
            };
            srv.complete(name, ok);
        }
        assert!(srv.framer_mut().buffered() <= 8192 + 4096 + 16);
    }
});
