//! The DATA receiver: never panics, feeding in pieces gives the same
//! result as feeding at once, and dot-stuffing a stored message then
//! receiving it gives it back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_smtp_proto::data::{BareLineEnding, DataReceiver, dot_stuff};

fuzz_target!(|data: &[u8]| {
    let Some((&knob, rest)) = data.split_first() else {
        return;
    };
    let policy = if knob & 1 == 0 {
        BareLineEnding::Reject
    } else {
        BareLineEnding::Allow
    };
    let mut whole = DataReceiver::new(4096, policy);
    let used = whole.feed(rest);
    let mut split = DataReceiver::new(4096, policy);
    let mut used2 = 0;
    for c in rest.chunks(usize::from(knob >> 1) + 1) {
        used2 += split.feed(c);
    }
    assert_eq!(used, used2);
    assert_eq!(whole.is_done(), split.is_done());
    let (a, b) = (whole.finish(), split.finish());
    assert_eq!(a, b);

    // Round trip: stuffing normalises line endings to CRLF, so
    // receiving gives back the CRLF form.
    let mut wire = Vec::new();
    dot_stuff(rest, &mut wire);
    let mut rx = DataReceiver::new(u64::MAX, BareLineEnding::Reject);
    assert_eq!(rx.feed(&wire), wire.len());
    assert!(rx.is_done());
    let got = rx.finish().expect("stuffed data has only CRLF");
    let mut norm = Vec::new();
    dot_stuff(&got, &mut norm);
    assert_eq!(norm, wire);
});
