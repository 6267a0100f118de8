//! Offline compaction: rewrite the journal as the shortest record
//! sequence that rebuilds the current state, dropping expunged bodies,
//! deleted mailboxes, superseded flag changes and expired Sieve marks.
//!
//! The new journal is written beside the old one (`journal.compact`),
//! synced, replayed and compared with the live state; only then is it
//! renamed over `journal` and the directory synced. A crash at any
//! point leaves either the old or the new journal, both complete.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use crate::checkpoint;
use crate::error::{Result, StoreError};
use crate::journal::{self, Device, FileDevice, MAGIC};
use crate::model::{Message, State};
use crate::record::{Record, Target};
use crate::store::{Store, StoreOptions};
use crate::uidset::UidSet;

/// What [`Store::compact`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Journal bytes before.
    pub before: u64,
    /// Journal bytes after.
    pub after: u64,
    /// Records in the new journal.
    pub records: u64,
    /// Message bodies written (a body shared by several copies is
    /// written once when the copies can be replayed together).
    pub bodies: u64,
}

struct Out {
    w: BufWriter<File>,
    buf: Vec<u8>,
    len: u64,
    records: u64,
}

impl Out {
    fn put(&mut self, rec: &Record, body: Option<&[u8]>) -> std::io::Result<()> {
        self.buf.clear();
        self.buf.extend_from_slice(&[0; 8]);
        rec.encode(&mut self.buf, body);
        journal::frame(&mut self.buf, 0);
        self.w.write_all(&self.buf)?;
        self.len += self.buf.len() as u64;
        self.records += 1;
        Ok(())
    }
}

impl Store {
    /// Compacts the store in `dir`, which must not be open elsewhere
    /// (the store's lock is taken). Expunged messages and deleted
    /// mailboxes stop taking space; UIDs, UIDVALIDITY, UIDNEXT, modseqs,
    /// HIGHESTMODSEQ, VANISHED data, flags, dates, quotas, scripts and
    /// unexpired Sieve marks are kept exactly.
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`], I/O errors (the old journal is then left
    /// untouched), and [`StoreError::Corrupt`] if the rewritten journal
    /// does not replay to the same state (also left untouched).
    pub fn compact(dir: &Path, opts: StoreOptions) -> Result<CompactReport> {
        let store = Store::open(dir, opts)?;
        let now = (opts.clock)();
        let tmp = dir.join("journal.compact");
        let io = |c| move |e| StoreError::io(c, e);
        let (fresh, report) = match write_compacted(&store, &tmp, opts, now) {
            Ok(x) => x,
            Err(e) => {
                // A full disk must not keep half a journal taking space.
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        // The old checkpoint describes the old journal: it goes first,
        // and the live store may write no new one.
        store.retire();
        checkpoint::remove(dir).map_err(io("removing the old checkpoint"))?;
        std::fs::rename(&tmp, dir.join("journal")).map_err(io("replacing the journal"))?;
        journal::sync_dir(dir).map_err(io("syncing the store directory"))?;
        // The new journal is synced: a checkpoint of it saves the next
        // open a replay (without one, that open replays it all).
        let _ = checkpoint::write(dir, &fresh.checkpoint_bytes());
        drop(fresh);
        drop(store);
        Ok(report)
    }
}

/// Writes the compacted journal to `tmp`, syncs it, replays it and
/// compares it with the live store.
fn write_compacted(
    store: &Store,
    tmp: &Path,
    opts: StoreOptions,
    now: i64,
) -> Result<(Store, CompactReport)> {
    let io = |c| move |e| StoreError::io(c, e);
    let file = File::create(tmp).map_err(io("creating the compacted journal"))?;
    let mut out = Out {
        w: BufWriter::with_capacity(1 << 20, file),
        buf: Vec::new(),
        len: MAGIC.len() as u64,
        records: 0,
    };
    out.w
        .write_all(MAGIC)
        .map_err(io("writing the compacted journal"))?;
    let before = store.journal_len();
    let bodies = store
        .with_state(|state, dev| write_state(state, dev, now, &mut out))
        .map_err(io("writing the compacted journal"))?;
    let file = out
        .w
        .into_inner()
        .map_err(|e| StoreError::io("writing the compacted journal", e.into_error()))?;
    file.sync_all()
        .map_err(io("syncing the compacted journal"))?;
    drop(file);

    // Replay the new journal and compare before switching.
    let dev = FileDevice::open(tmp).map_err(io("reopening the compacted journal"))?;
    let fresh = Store::open_device(Box::new(dev), opts)?;
    fresh.take_recent_from(store);
    if let Some(diff) = first_difference(store, &fresh, now)? {
        return Err(StoreError::Corrupt {
            offset: 0,
            reason: format!("compacted journal differs from the store ({diff}); kept the old one"),
        });
    }
    let report = CompactReport {
        before,
        after: out.len,
        records: out.records,
        bodies,
    };
    Ok((fresh, report))
}

fn write_state(state: &State, dev: &dyn Device, now: i64, out: &mut Out) -> std::io::Result<u64> {
    // Accounts, mailboxes, attributes, quotas, scripts, marks.
    for (an, a) in &state.accounts {
        let inbox_v = a.mailboxes.get("INBOX").map_or(1, |m| m.uidvalidity);
        out.put(
            &Record::CreateAccount {
                account: an.clone(),
                inbox_uidvalidity: inbox_v,
            },
            None,
        )?;
        out.put(
            &Record::SetQuota {
                account: an.clone(),
                quota: a.quota,
            },
            None,
        )?;
        for (mn, mb) in &a.mailboxes {
            if mn != "INBOX" {
                out.put(
                    &Record::CreateMailbox {
                        account: an.clone(),
                        name: mn.clone(),
                        uidvalidity: mb.uidvalidity,
                        special_use: mb.special_use.bits(),
                    },
                    None,
                )?;
            }
            out.put(
                &Record::SetMailboxAttrs {
                    account: an.clone(),
                    name: mn.clone(),
                    subscribed: mb.subscribed,
                    special_use: mb.special_use.bits(),
                },
                None,
            )?;
        }
        for (name, script) in &a.scripts {
            out.put(
                &Record::PutScript {
                    account: an.clone(),
                    name: name.clone(),
                    script: script.clone(),
                },
                None,
            )?;
        }
        if a.active_script.is_some() {
            out.put(
                &Record::ActivateScript {
                    account: an.clone(),
                    name: a.active_script.clone(),
                },
                None,
            )?;
        }
        for ((kind, key), &expires) in &a.marks {
            if expires > now {
                out.put(
                    &Record::Mark {
                        account: an.clone(),
                        kind: *kind,
                        key: key.clone(),
                        expires,
                    },
                    None,
                )?;
            }
        }
    }

    // Messages: every mailbox must be replayed in UID order; copies of
    // one body that are at the head of their mailboxes at the same time
    // share one record. Heads are taken in order of their original
    // journal position, which keeps a multi-recipient delivery together.
    let mut queues: Vec<(&str, &str, &[Message])> = Vec::new();
    for (an, a) in &state.accounts {
        for (mn, mb) in &a.mailboxes {
            if !mb.messages.is_empty() {
                queues.push((an, mn, &mb.messages));
            }
        }
    }
    let mut heads = vec![0usize; queues.len()];
    let mut heap: BinaryHeap<Reverse<(u64, usize)>> = queues
        .iter()
        .enumerate()
        .map(|(q, (_, _, msgs))| Reverse((msgs[0].blob.offset, q)))
        .collect();
    let mut body = Vec::new();
    let mut bodies = 0;
    while let Some(Reverse((offset, q))) = heap.pop() {
        let first = &queues[q].2[heads[q]];
        let mut group = vec![q];
        let mut later = Vec::new();
        while let Some(&Reverse((o, q2))) = heap.peek() {
            if o != offset {
                break;
            }
            heap.pop();
            let m = &queues[q2].2[heads[q2]];
            if Arc::ptr_eq(&m.blob, &first.blob)
                && m.internal_date == first.internal_date
                && m.save_date == first.save_date
            {
                group.push(q2);
            } else {
                later.push(q2);
            }
        }
        for q2 in later {
            heap.push(Reverse((offset, q2)));
        }
        let targets: Vec<Target> = group
            .iter()
            .map(|&g| {
                let m = &queues[g].2[heads[g]];
                Target {
                    account: queues[g].0.to_owned(),
                    mailbox: queues[g].1.to_owned(),
                    uid: m.uid,
                    modseq: m.modseq,
                    flags: m.flags.clone(),
                }
            })
            .collect();
        body.resize(first.blob.len as usize, 0);
        dev.read_at(&mut body, first.blob.offset)?;
        out.put(
            &Record::Append {
                internal_date: first.internal_date,
                save_date: first.save_date,
                cache: first.blob.cache.clone(),
                targets,
                body_len: first.blob.len,
            },
            Some(&body),
        )?;
        bodies += 1;
        for g in group {
            heads[g] += 1;
            if let Some(m) = queues[g].2.get(heads[g]) {
                heap.push(Reverse((m.blob.offset, g)));
            }
        }
    }

    // What expunges left behind: UIDNEXT, HIGHESTMODSEQ, VANISHED.
    for (an, a) in &state.accounts {
        for (mn, mb) in &a.mailboxes {
            out.put(
                &Record::SetMailboxState {
                    account: an.clone(),
                    mailbox: mn.clone(),
                    uidnext: mb.uidnext,
                    highest_modseq: mb.highest_modseq,
                    vanished: mb.vanished.clone(),
                    last_uidvalidity: state.last_uidvalidity,
                },
                None,
            )?;
        }
    }
    Ok(bodies)
}

/// Compares everything a client can observe; `None` when equal.
pub(crate) fn first_difference(a: &Store, b: &Store, now: i64) -> Result<Option<String>> {
    if a.accounts() != b.accounts() {
        return Ok(Some("accounts".into()));
    }
    for acc in a.accounts() {
        if a.quota(&acc)? != b.quota(&acc)? {
            return Ok(Some(format!("{acc}: quota")));
        }
        if a.scripts(&acc)? != b.scripts(&acc)? {
            return Ok(Some(format!("{acc}: scripts")));
        }
        let marks = |s: &Store| {
            s.with_state(|st, _| {
                st.accounts[&acc]
                    .marks
                    .iter()
                    .filter(|(_, e)| **e > now)
                    .map(|(k, e)| (k.clone(), *e))
                    .collect::<Vec<_>>()
            })
        };
        if marks(a) != marks(b) {
            return Ok(Some(format!("{acc}: sieve marks")));
        }
        // `\Recent` is session state, kept in checkpoints only.
        let statuses = |s: &Store| -> Result<Vec<_>> {
            let mut v = s.mailboxes(&acc)?;
            for st in &mut v {
                st.recent = 0;
            }
            Ok(v)
        };
        let (ma, mb) = (statuses(a)?, statuses(b)?);
        if ma != mb {
            return Ok(Some(format!("{acc}: mailbox list or status")));
        }
        for st in ma {
            let (xa, xb) = (
                a.messages(&acc, &st.name, &UidSet::all())?,
                b.messages(&acc, &st.name, &UidSet::all())?,
            );
            let key = |m: &Message| {
                (
                    m.uid(),
                    m.modseq(),
                    m.flags().clone(),
                    m.internal_date(),
                    m.save_date(),
                    m.size(),
                    m.cache().clone(),
                )
            };
            if xa.len() != xb.len() || xa.iter().zip(&xb).any(|(x, y)| key(x) != key(y)) {
                return Ok(Some(format!("{acc}/{}: messages", st.name)));
            }
            if a.vanished_since(&acc, &st.name, 0)? != b.vanished_since(&acc, &st.name, 0)? {
                return Ok(Some(format!("{acc}/{}: vanished", st.name)));
            }
            for (x, y) in xa.iter().zip(&xb) {
                if a.read(x)? != b.read(y)? {
                    return Ok(Some(format!("{acc}/{}: body of uid {}", st.name, x.uid())));
                }
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Flag, FlagOp, Flags, MailboxName, MarkKind, SpecialUse};

    #[test]
    fn compaction_keeps_state_and_drops_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let opts = StoreOptions {
            sync: false,
            ..StoreOptions::default()
        };
        let inbox = MailboxName::new("INBOX").unwrap();
        let arch = MailboxName::new("Archive").unwrap();
        let big = vec![b'x'; 50_000];
        {
            let s = Store::open(dir.path(), opts).unwrap();
            for u in ["a", "b", "gone"] {
                s.create_account(u).unwrap();
            }
            s.create_mailbox("a", &arch, SpecialUse::parse(&["\\Archive"]).unwrap())
                .unwrap();
            let mut raw = b"Subject: big\r\n\r\n".to_vec();
            raw.extend_from_slice(&big);
            for i in 0..10 {
                s.append("a", &inbox, &raw, &Flags::new(), Some(i)).unwrap();
            }
            // A multi-recipient delivery and a copy share bodies.
            let d = |acc| crate::Delivery {
                account: acc,
                mailbox: &inbox,
                flags: Flags::new(),
            };
            s.deliver(b"Subject: shared\r\n\r\nhello\r\n", &[d("a"), d("b")], None)
                .unwrap();
            s.copy("a", &inbox, &UidSet::range(11, 11), &arch).unwrap();
            // Copy an old message after the new one: out of blob order.
            s.copy("a", &inbox, &UidSet::range(2, 2), &arch).unwrap();
            let mut del = Flags::new();
            del.insert(Flag::Deleted);
            s.store_flags("a", &inbox, &UidSet::range(1, 10), FlagOp::Add, &del, None)
                .unwrap();
            s.expunge("a", &inbox, None).unwrap();
            s.delete_account("gone").unwrap();
            s.put_script("a", "x", b"keep;").unwrap();
            s.activate_script("a", Some("x")).unwrap();
            s.set_mark("a", MarkKind::Vacation, "old", 5).unwrap();
            s.set_mark("a", MarkKind::Duplicate, "new", i64::MAX)
                .unwrap();
        }
        let rep = Store::compact(dir.path(), opts).unwrap();
        // Nine of ten 50 kB bodies are gone.
        assert!(rep.after * 8 < rep.before, "{rep:?}");
        // One body for a+b INBOX and the Archive copy (2 when the copy
        // fell into another second: different SAVEDATE), plus the old
        // message copied into Archive.
        assert!((2..=3).contains(&rep.bodies), "{rep:?}");
        let s = Store::open(dir.path(), opts).unwrap();
        let st = s.status("a", &inbox).unwrap();
        assert_eq!((st.messages, st.uidnext), (1, 12));
        assert_eq!(
            s.vanished_since("a", &inbox, 0).unwrap(),
            (1..=10).collect::<Vec<_>>()
        );
        assert_eq!(s.status("a", &arch).unwrap().messages, 2);
        assert!(s.has_mark("a", MarkKind::Duplicate, "new", 10).unwrap());
        assert!(!s.has_mark("a", MarkKind::Vacation, "old", 0).unwrap());
        assert_eq!(s.active_script("a").unwrap().unwrap().0, "x");
        assert!(s.verify().unwrap().problems.is_empty());
        // New work continues with fresh UIDs and modseqs.
        let hm = st.highest_modseq;
        let au = s
            .append("a", &inbox, b"S: n\r\n\r\n", &Flags::new(), None)
            .unwrap();
        assert_eq!(au.uid, 12);
        assert!(s.status("a", &inbox).unwrap().highest_modseq > hm);
        s.create_account("gone").unwrap();
        assert!(s.status("gone", &inbox).unwrap().uidvalidity > st.uidvalidity);
    }
}
