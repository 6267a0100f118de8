//! Many writers and readers on one mailbox, from many threads, with
//! fsync on: every append gets a distinct UID, readers always see a
//! consistent mailbox, and sessions following the change feed end with
//! exactly the store's view.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rampart_mailstore::{
    Flag, FlagOp, Flags, MailboxName, SearchKey, Store, StoreOptions, UidSet, ViewUpdate,
};

const WRITERS: usize = 8;
const PER_WRITER: usize = 40;

fn message(w: usize, i: usize) -> Vec<u8> {
    format!("From: w{w}@example.org\r\nSubject: w{w} n{i}\r\n\r\nwriter {w} number {i}\r\n")
        .into_bytes()
}

#[test]
fn many_writers_and_readers_on_one_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    store.create_account("c").unwrap();
    let inbox = MailboxName::new("INBOX").unwrap();
    let mut sessions: Vec<_> = (0..3)
        .map(|_| store.open_session("c", &inbox).unwrap())
        .collect();
    let done = AtomicBool::new(false);

    let uids: Vec<Vec<u32>> = std::thread::scope(|s| {
        // Readers: the mailbox they see is always internally consistent.
        for r in 0..4 {
            let (store, inbox, done) = (&store, &inbox, &done);
            s.spawn(move || {
                let mut rounds = 0;
                while !done.load(Ordering::Relaxed) || rounds == 0 {
                    rounds += 1;
                    let msgs = store.messages("c", inbox, &UidSet::all()).unwrap();
                    assert!(msgs.windows(2).all(|w| w[0].uid() < w[1].uid()));
                    if let Some(m) = msgs.get(r * 3 % msgs.len().max(1)) {
                        let raw = store.read(m).unwrap();
                        assert_eq!(raw.len() as u64, m.size());
                        assert!(raw.starts_with(b"From: w"));
                    }
                    let hits = store
                        .search("c", inbox, &SearchKey::From("w1@".into()), None)
                        .unwrap();
                    assert!(hits.len() <= PER_WRITER);
                    let st = store.status("c", inbox).unwrap();
                    assert!(st.uidnext as usize > st.messages as usize);
                }
            });
        }
        // A flagger marks what it sees as seen.
        {
            let (store, inbox, done) = (&store, &inbox, &done);
            s.spawn(move || {
                let mut seen = Flags::new();
                seen.insert(Flag::Seen);
                while !done.load(Ordering::Relaxed) {
                    store
                        .store_flags("c", inbox, &UidSet::range(1, 20), FlagOp::Add, &seen, None)
                        .unwrap();
                    std::thread::sleep(Duration::from_millis(2));
                }
            });
        }
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (store, inbox) = (&store, &inbox);
                s.spawn(move || {
                    (0..PER_WRITER)
                        .map(|i| store.deliver_to("c", inbox, &message(w, i)).unwrap().uid)
                        .collect::<Vec<u32>>()
                })
            })
            .collect();
        let uids = writers.into_iter().map(|h| h.join().unwrap()).collect();
        done.store(true, Ordering::Relaxed);
        uids
    });

    let total = WRITERS * PER_WRITER;
    let all: BTreeSet<u32> = uids.iter().flatten().copied().collect();
    assert_eq!(all.len(), total, "a uid was handed out twice");
    assert_eq!(all, (1..=total as u32).collect());
    for per in &uids {
        assert!(per.windows(2).all(|w| w[0] < w[1]));
    }
    let msgs = store.messages("c", &inbox, &UidSet::all()).unwrap();
    assert_eq!(msgs.len(), total);
    for m in &msgs {
        let raw = store.read(m).unwrap();
        let (w, i) = uids
            .iter()
            .enumerate()
            .find_map(|(w, v)| v.iter().position(|&u| u == m.uid()).map(|i| (w, i)))
            .unwrap();
        assert_eq!(raw, message(w, i), "uid {} holds the wrong body", m.uid());
    }

    // Every session learned of every message through its feed.
    for s in &mut sessions {
        let updates = s.poll();
        let exists = updates
            .iter()
            .filter(|u| matches!(u, ViewUpdate::Exists(_)))
            .count();
        assert_eq!(exists, total);
        assert!(
            updates
                .iter()
                .any(|u| matches!(u, ViewUpdate::Fetch { .. }))
        );
        assert_eq!(s.view().uids(), all.iter().copied().collect::<Vec<_>>());
    }

    // The same answers after reopening.
    drop(store);
    let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
    assert_eq!(store.status("c", &inbox).unwrap().messages as usize, total);
}

#[test]
fn feed_reports_flags_and_expunges_in_order() {
    let store = Store::in_memory(StoreOptions::default());
    store.create_account("f").unwrap();
    let inbox = MailboxName::new("INBOX").unwrap();
    for i in 0..3 {
        store.deliver_to("f", &inbox, &message(0, i)).unwrap();
    }
    let mut idle = store.open_session("f", &inbox).unwrap();
    assert_eq!(idle.view().uids(), [1, 2, 3]);
    let waiter = std::thread::spawn(move || {
        let mut got = Vec::new();
        while got.len() < 4 {
            let batch = idle.wait(Duration::from_secs(10));
            assert!(!batch.is_empty(), "no change within 10 s");
            got.extend(batch);
        }
        (idle, got)
    });
    let mut del = Flags::new();
    del.insert(Flag::Deleted);
    store
        .store_flags(
            "f",
            &inbox,
            &UidSet::from_uids([2]),
            FlagOp::Add,
            &del,
            None,
        )
        .unwrap();
    assert_eq!(store.expunge("f", &inbox, None).unwrap(), [2]);
    store.deliver_to("f", &inbox, &message(0, 9)).unwrap();
    store.deliver_to("f", &inbox, &message(0, 10)).unwrap();
    let (idle, got) = waiter.join().unwrap();
    assert!(matches!(got[0], ViewUpdate::Fetch { seq: 2, uid: 2, .. }));
    assert_eq!(got[1], ViewUpdate::Expunge(2));
    assert_eq!(got[2], ViewUpdate::Exists(3));
    assert_eq!(got[3], ViewUpdate::Exists(4));
    assert_eq!(idle.view().uids(), [1, 3, 4, 5]);
}
