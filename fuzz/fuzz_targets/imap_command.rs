//! IMAP server side: bytes cut into pieces go through the framer and
//! session (half the runs with UTF-8 mailbox names enabled); every
//! command that parses must re-encode, in each literal mode, to bytes
//! that parse to the same command, with one wait per continuation the
//! framer asks for. Memory stays within the framer's limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_imap_proto::command::{EncodeOptions, parse_command_with};
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::session::{Input, Server};
use rampart_imap_proto::{LiteralMode, ParseOptions};

const CFG: FramerConfig = FramerConfig {
    max_literal: 4096,
    max_nonsync_literal: 1024,
    max_line: 4096,
    max_message: 8192,
    server: true,
};

/// Frames `bytes` as one message, counting continuation requests.
fn frame(bytes: &[u8]) -> (Option<Vec<u8>>, usize) {
    let mut f = Framer::new(FramerConfig {
        max_literal: u64::MAX,
        max_nonsync_literal: u64::MAX,
        max_line: usize::MAX,
        max_message: usize::MAX,
        server: true,
    });
    f.feed(bytes);
    let (mut msg, mut conts) = (None, 0);
    while let Some(ev) = f.poll() {
        match ev {
            Event::Message(m) => msg = Some(m.to_vec()),
            Event::Continue { .. } => conts += 1,
            Event::Rejected { .. } => return (None, conts),
        }
    }
    (msg, conts)
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, data)) = data.split_first() else {
        return;
    };
    let piece = usize::from(split % 16) + 1;
    let mut srv = Server::with_config(CFG);
    if split & 0x80 != 0 {
        srv.session_mut().complete("LOGIN", true);
        srv.session_mut().complete("SELECT", true);
    }
    if split & 0x40 != 0 {
        srv.session_mut().enabled("UTF8=ACCEPT");
        srv.session_mut().enabled("QRESYNC");
    }
    let utf8 = srv.session().utf8();
    for chunk in data.chunks(piece) {
        srv.feed(chunk);
        while let Some(input) = srv.poll() {
            let (name, ok) = match input {
                Input::Command(cmd) => {
                    for literal in [LiteralMode::Sync, LiteralMode::NonSync, LiteralMode::Minus] {
                        let enc = cmd.encode(EncodeOptions { literal, utf8 });
                        let back = parse_command_with(&enc.bytes, ParseOptions { utf8 })
                            .expect("re-encoded command parses");
                        assert_eq!(back, cmd);
                        let (framed, conts) = frame(&enc.bytes);
                        assert_eq!(framed.as_deref(), Some(&enc.bytes[..]));
                        assert_eq!(conts, enc.waits.len());
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
