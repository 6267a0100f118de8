//! Opening a store whose journal holds arbitrary bytes after a valid
//! start: recovery either refuses with an error or gives a store whose
//! every account and mailbox can be listed and verified; the repairing
//! open never panics either. The input is spliced after a real journal
//! (an account, a mailbox, two messages) so that mutations reach record
//! decoding, not only the magic check.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rampart_mailstore::{Flags, MailboxName, Store, StoreOptions};

fn options() -> StoreOptions {
    StoreOptions {
        sync: false,
        checkpoint_bytes: 0,
        ..StoreOptions::default()
    }
}

/// A journal written by the store itself, and a scratch directory.
fn base() -> &'static (Vec<u8>, PathBuf) {
    static BASE: OnceLock<(Vec<u8>, PathBuf)> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rampart-fuzz-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let store = Store::open(&dir, options()).expect("new store");
        store.create_account("ann").expect("account");
        let inbox = MailboxName::new("INBOX").expect("name");
        for body in [
            &b"Subject: one\r\n\r\nfirst\r\n"[..],
            b"Subject: two\r\n\r\nsecond\r\n",
        ] {
            store
                .append("ann", &inbox, body, &Flags::new(), None)
                .expect("append");
        }
        drop(store);
        let journal = std::fs::read(dir.join("journal")).expect("journal");
        (journal, dir)
    })
}

fn exercise(store: &Store) {
    for account in store.accounts() {
        if let Ok(boxes) = store.mailboxes(&account) {
            for status in boxes {
                assert!(status.uidnext > 0);
                // Every message is stored with at least one byte.
                assert!(u64::from(status.messages) <= status.size);
            }
        }
    }
    let _ = store.verify();
}

fuzz_target!(|data: &[u8]| {
    let (journal, dir) = base();
    // The first byte picks where the valid journal is cut.
    let Some((&cut, rest)) = data.split_first() else {
        return;
    };
    let keep = (cut as usize * journal.len()) / 255;
    let mut bytes = journal[..keep].to_vec();
    bytes.extend_from_slice(rest);

    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("scratch dir");
    std::fs::write(dir.join("journal"), &bytes).expect("write journal");
    if let Ok(store) = Store::open(dir, options()) {
        exercise(&store);
    }
    if let Ok(store) = Store::open_repairing(dir, options()) {
        exercise(&store);
    }
});
