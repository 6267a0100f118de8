//! The reply parser: never panics, consumes what it claims, and a
//! parsed reply encodes to bytes that parse to the same reply.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_smtp_proto::{Capabilities, Reply};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Ok((reply, n)) = Reply::parse(rest) {
        assert!(n > 0 && n <= rest.len());
        rest = &rest[n..];
        let bytes = reply.to_bytes();
        let (again, m) = Reply::parse(&bytes).expect("encoded reply parses");
        assert_eq!(m, bytes.len());
        assert_eq!(again.code(), reply.code());
        let _ = Capabilities::from_reply(&reply).map(|c| c.to_reply());
    }
});
