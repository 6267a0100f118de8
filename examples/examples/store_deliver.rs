//! Embedding the mail store: open a store in a directory, create an
//! account, deliver messages (one to several recipients with the body
//! stored once), follow a mailbox's change feed like an IMAP IDLE
//! session, flag and expunge, search and sort, keep Sieve scripts, and
//! reopen to show that everything acknowledged survived.
//!
//! ```text
//! cargo run -p rampart-examples --example store_deliver [DIR]
//! ```
//!
//! Without `DIR` a temporary directory is used and removed at the end.

use std::time::Duration;

use rampart_mailstore::{
    Delivery, Flag, FlagOp, Flags, MailboxName, MarkKind, SearchKey, SortBy, SortKey, Store,
    StoreOptions, UidSet, ViewUpdate,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let explicit = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    let dir = explicit.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("rampart-store-example-{}", std::process::id()))
    });
    let store = Store::open(&dir, StoreOptions::default())?;
    println!(
        "store at {} (recovery: {:?})",
        dir.display(),
        store.recovery()
    );
    for user in ["ann", "bob"] {
        if !store.accounts().iter().any(|a| a == user) {
            store.create_account(user)?;
        }
    }
    let inbox = MailboxName::new("INBOX")?;
    let lists = MailboxName::new("Lists/rust")?;

    // An IMAP session on ann's INBOX, opened before the mail arrives.
    let mut idle = store.open_session("ann", &inbox)?;

    // The simple pipeline call: deliver into a mailbox, creating it.
    let au = store.deliver_to(
        "ann",
        &lists,
        b"From: list@example.org\r\nSubject: [rust] release\r\n\r\nnew version out\r\n",
    )?;
    println!(
        "delivered to ann/{lists}: uid {} (uidvalidity {})",
        au.uid, au.uidvalidity
    );

    // One message to two accounts: the body is written once.
    let raw = b"From: carol@example.org\r\nTo: ann@example.org, bob@example.org\r\n\
        Subject: Lunch on Friday?\r\nDate: Thu, 03 Dec 2026 12:00:00 +0000\r\n\r\nSushi at noon.\r\n";
    let results = store.deliver(
        raw,
        &[
            Delivery {
                account: "ann",
                mailbox: &inbox,
                flags: Flags::new(),
            },
            Delivery {
                account: "bob",
                mailbox: &inbox,
                flags: Flags::new(),
            },
        ],
        None,
    )?;
    for r in &results {
        println!("multi-recipient delivery: {r:?}");
    }

    // The session hears about it without polling the store.
    for update in idle.wait(Duration::from_secs(1)) {
        println!("ann's session: {update:?}");
    }

    // Mark it seen and answered; the feed reports the FETCH.
    let uid = results[0].as_ref().map_err(|e| e.to_string())?.uid;
    let flags = Flags::parse(&["\\Seen", "\\Answered"])?;
    let out = store.store_flags(
        "ann",
        &inbox,
        &UidSet::from_uids([uid]),
        FlagOp::Add,
        &flags,
        None,
    )?;
    println!("flags changed: {:?}", out.changed);
    for update in idle.poll() {
        if let ViewUpdate::Fetch {
            seq, flags, modseq, ..
        } = update
        {
            println!("* {seq} FETCH (FLAGS ({flags}) MODSEQ ({modseq}))");
        }
    }

    // Search and sort.
    let hits = store.search("ann", &inbox, &SearchKey::Subject("lunch".into()), None)?;
    println!("SEARCH SUBJECT lunch: {hits:?}");
    let sorted = store.sort(
        "ann",
        &inbox,
        &[SortKey::desc(SortBy::Arrival)],
        &SearchKey::All,
        None,
    )?;
    println!("SORT (REVERSE ARRIVAL) ALL: {sorted:?}");
    let msg = &store.messages("ann", &inbox, &UidSet::from_uids([uid]))?[0];
    println!(
        "FETCH {uid}: size {}, seen {}, subject {:?}",
        msg.size(),
        msg.flags().contains(Flag::Seen),
        msg.cache().subject()
    );

    // Sieve scripts (many stored, one active) and vacation state.
    store.put_script("ann", "main", b"require \"fileinto\";\nkeep;\n")?;
    store.activate_script("ann", Some("main"))?;
    let now = 1_796_000_000;
    store.set_mark(
        "ann",
        MarkKind::Vacation,
        "main:carol@example.org",
        now + 7 * 86_400,
    )?;
    println!(
        "scripts {:?}; vacation already sent to carol: {}",
        store.scripts("ann")?,
        store.has_mark("ann", MarkKind::Vacation, "main:carol@example.org", now)?
    );

    // Everything above was fsynced before each call returned. Closing
    // writes a checkpoint of the index, so the reopen replays nothing.
    drop(idle);
    drop(store);
    let store = Store::open(&dir, StoreOptions::default())?;
    let rec = store.recovery();
    println!(
        "reopened from a checkpoint of {} journal bytes, {} records replayed",
        rec.checkpoint.unwrap_or(0),
        rec.records
    );
    for status in store.mailboxes("ann")? {
        println!(
            "after reopen: ann/{} {} messages, uidnext {}, highestmodseq {}",
            status.name, status.messages, status.uidnext, status.highest_modseq
        );
    }
    drop(store);
    if explicit.is_none() {
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
