//! The message receivers: never panic; feeding in pieces gives the
//! same result as feeding at once (DATA and BDAT); dot-stuffing then
//! receiving gives back the message with CRLF line ends, which is
//! exactly what `crlf_lines` (the BDAT payload) makes of it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_smtp_proto::data::{
    BareLineEnding, ChunkReceiver, DataError, DataReceiver, crlf_lines, dot_stuff,
};

fuzz_target!(|data: &[u8]| {
    let Some((&knob, rest)) = data.split_first() else {
        return;
    };
    let policy = if knob & 1 == 0 {
        BareLineEnding::Reject
    } else {
        BareLineEnding::Allow
    };
    let piece = usize::from(knob >> 1) + 1;
    let mut whole = DataReceiver::new(4096, policy);
    let used = whole.feed(rest);
    let mut split = DataReceiver::new(4096, policy);
    let mut used2 = 0;
    for c in rest.chunks(piece) {
        used2 += split.feed(c);
    }
    assert_eq!(used, used2);
    assert_eq!(whole.is_done(), split.is_done());
    assert!(whole.size() <= rest.len() as u64);
    let (a, b) = (whole.finish(), split.finish());
    assert_eq!(a, b);
    if let Ok(m) = &a {
        assert!(m.len() <= 4096);
    }

    // Round trip: stuffing normalises line endings to CRLF, so
    // receiving gives back the CRLF form.
    let mut wire = Vec::new();
    dot_stuff(rest, &mut wire);
    let mut rx = DataReceiver::new(u64::MAX, BareLineEnding::Reject);
    assert_eq!(rx.feed(&wire), wire.len());
    assert!(rx.is_done());
    let got = rx.finish().expect("stuffed data has only CRLF");
    let norm = crlf_lines(rest.to_vec());
    assert_eq!(got, norm);
    assert_eq!(crlf_lines(norm.clone()), norm);

    // BDAT: chunks of `piece` octets, fed in odd pieces, with a limit
    // that some inputs pass: stored as sent, or refused when too big.
    let max = u64::from(knob) * 4;
    let mut rx = ChunkReceiver::new(max);
    let mut off = 0;
    for chunk in rest.chunks(piece) {
        rx.start_chunk(chunk.len() as u64);
        let mut c = chunk;
        while !c.is_empty() {
            let n = rx.feed(&c[..c.len().min(3)]);
            assert!(n > 0);
            c = &c[n..];
        }
        assert_eq!(rx.remaining(), 0);
        off += chunk.len();
    }
    assert_eq!(rx.size(), off as u64);
    match rx.finish() {
        Ok(m) => assert_eq!(m, rest),
        Err(DataError::TooLarge { size, max: m }) => {
            assert_eq!(size, rest.len() as u64);
            assert!(size > m);
        }
        Err(e) => panic!("unexpected {e}"),
    }
});
