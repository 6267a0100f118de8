//! MIME structure parsing on any bytes: bounded, offsets nested inside
//! their parents and the message, and the journal encoding round-trips
//! through the store.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_mailstore::{Flags, MailboxName, MimePart, Store, StoreOptions, UidSet};

fn check(p: &MimePart, lo: u32, hi: u32, depth: usize, count: &mut usize) {
    *count += 1;
    assert!(depth <= 18);
    assert!(lo <= p.header_start && p.header_start <= p.body_start);
    assert!(p.body_start <= p.end && p.end <= hi);
    for c in &p.children {
        check(c, p.body_start, p.end, depth + 1, count);
    }
}

fuzz_target!(|data: &[u8]| {
    let p = MimePart::parse(data);
    let mut count = 0;
    check(&p, 0, data.len() as u32, 0, &mut count);
    assert!(count <= 1000);
    let store = Store::in_memory(StoreOptions::default());
    store.create_account("f").unwrap();
    let inbox = MailboxName::new("INBOX").unwrap();
    if store.append("f", &inbox, data, &Flags::new(), None).is_ok() {
        let m = &store.messages("f", &inbox, &UidSet::all()).unwrap()[0];
        assert_eq!(m.cache().structure(), &p);
        assert_eq!(store.read(m).unwrap(), data);
    }
});
