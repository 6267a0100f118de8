//! The command-line parser: never panics, and whatever parses encodes
//! to a line that parses to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_smtp_proto::parse_command;

fuzz_target!(|data: &[u8]| {
    let Ok(cmd) = parse_command(data) else {
        // Every error has a reply.
        if let Err(e) = parse_command(data) {
            let _ = e.reply();
        }
        return;
    };
    let mut line = Vec::new();
    cmd.encode(&mut line);
    let again = parse_command(&line).expect("encoded command parses");
    assert_eq!(again, cmd);
});
