//! Model test: random sequences of operations applied both to the store
//! (on disk, reopened, "crashed" and compacted at random points) and to a
//! plain in-memory model must give the same answers: UIDs, flags, bodies,
//! mod-sequences, UNCHANGEDSINCE outcomes, VANISHED lists, counts and
//! search results.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rampart_mailstore::{
    Delivery, FlagOp, Flags, MailboxName, SearchKey, SpecialUse, Store, StoreOptions, UidSet,
};

const MAILBOXES: [&str; 3] = ["INBOX", "Archive", "Work/Later"];
const FLAG_NAMES: [&str; 3] = ["\\Seen", "\\Deleted", "$Todo"];

#[derive(Debug, Clone)]
enum Op {
    Append {
        mb: usize,
        body: u8,
        flags: u8,
    },
    Copy {
        from: usize,
        to: usize,
        lo: u32,
        hi: u32,
    },
    Move {
        from: usize,
        to: usize,
        lo: u32,
        hi: u32,
    },
    Flags {
        mb: usize,
        lo: u32,
        hi: u32,
        op: u8,
        flags: u8,
        /// UNCHANGEDSINCE: this many below the mailbox's HIGHESTMODSEQ.
        unchanged_since: Option<u8>,
    },
    /// One delivery to several mailboxes (the body stored once).
    Deliver {
        mbs: Vec<usize>,
        body: u8,
    },
    /// Delete a mailbox (not INBOX) and create it again.
    Recreate {
        mb: usize,
    },
    Expunge {
        mb: usize,
        range: Option<(u32, u32)>,
    },
    Reopen,
    /// The files of the open store copied and opened elsewhere, as after
    /// a kill: the copy starts from the last checkpoint plus the journal.
    Crash,
    Compact,
}

fn op() -> impl Strategy<Value = Op> {
    let mb = 0..MAILBOXES.len();
    let uid = 1u32..12;
    prop_oneof![
        4 => (mb.clone(), 0u8..6, 0u8..8).prop_map(|(mb, body, flags)| Op::Append { mb, body, flags }),
        1 => (mb.clone(), mb.clone(), uid.clone(), uid.clone())
            .prop_map(|(from, to, lo, hi)| Op::Copy { from, to, lo, hi }),
        1 => (mb.clone(), mb.clone(), uid.clone(), uid.clone())
            .prop_map(|(from, to, lo, hi)| Op::Move { from, to, lo, hi }),
        2 => (mb.clone(), uid.clone(), uid.clone(), 0u8..3, 0u8..8, proptest::option::of(0u8..6))
            .prop_map(|(mb, lo, hi, op, flags, unchanged_since)| Op::Flags { mb, lo, hi, op, flags, unchanged_since }),
        1 => (proptest::collection::vec(mb.clone(), 1..4), 0u8..6)
            .prop_map(|(mbs, body)| Op::Deliver { mbs, body }),
        1 => (1..MAILBOXES.len()).prop_map(|mb| Op::Recreate { mb }),
        1 => (mb, proptest::option::of((uid.clone(), uid)))
            .prop_map(|(mb, range)| Op::Expunge { mb, range }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
        1 => Just(Op::Compact),
    ]
}

/// A model message: which body it holds, its flags and its modseq.
type ModelMsg = (u8, BTreeSet<&'static str>, u64);

#[derive(Debug, Clone)]
struct ModelBox {
    uidnext: u32,
    highest_modseq: u64,
    uidvalidity: u32,
    msgs: BTreeMap<u32, ModelMsg>,
    /// Expunged UIDs (QRESYNC VANISHED since 0).
    vanished: BTreeSet<u32>,
}

impl ModelBox {
    fn new(uidvalidity: u32) -> Self {
        ModelBox {
            uidnext: 1,
            highest_modseq: 1,
            uidvalidity,
            msgs: BTreeMap::new(),
            vanished: BTreeSet::new(),
        }
    }

    /// A new message: the next UID and the next modseq.
    fn add(&mut self, body: u8, flags: BTreeSet<&'static str>) -> u32 {
        self.highest_modseq += 1;
        let uid = self.uidnext;
        self.msgs.insert(uid, (body, flags, self.highest_modseq));
        self.uidnext += 1;
        uid
    }
}

fn flag_set(bits: u8) -> BTreeSet<&'static str> {
    FLAG_NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| *n)
        .collect()
}

fn flags_of(set: &BTreeSet<&'static str>) -> Flags {
    Flags::parse(&set.iter().copied().collect::<Vec<_>>()).unwrap()
}

fn body(b: u8) -> Vec<u8> {
    format!(
        "From: model@example.org\r\nSubject: note {b}\r\n\r\nbody token zq{b}x and some text\r\n"
    )
    .into_bytes()
}

fn name(i: usize) -> MailboxName {
    MailboxName::new(MAILBOXES[i]).unwrap()
}

fn in_range(uid: u32, lo: u32, hi: u32) -> bool {
    lo.min(hi) <= uid && uid <= lo.max(hi)
}

fn check(store: &Store, model: &[ModelBox]) -> Result<(), TestCaseError> {
    for (i, mb) in model.iter().enumerate() {
        let n = name(i);
        let msgs = store.messages("m", &n, &UidSet::all()).unwrap();
        let got: Vec<u32> = msgs.iter().map(|m| m.uid()).collect();
        let want: Vec<u32> = mb.msgs.keys().copied().collect();
        prop_assert_eq!(&got, &want, "uids of {}", MAILBOXES[i]);
        for m in &msgs {
            let (b, f, modseq) = &mb.msgs[&m.uid()];
            let flags: BTreeSet<String> = m.flags().iter().map(str::to_owned).collect();
            let want: BTreeSet<String> = f.iter().map(|s| s.to_string()).collect();
            prop_assert_eq!(flags, want, "flags of uid {}", m.uid());
            prop_assert_eq!(m.modseq(), *modseq, "modseq of uid {}", m.uid());
            prop_assert_eq!(store.read(m).unwrap(), body(*b));
        }
        let st = store.status("m", &n).unwrap();
        prop_assert_eq!(st.messages as usize, mb.msgs.len());
        prop_assert_eq!(st.uidnext, mb.uidnext);
        prop_assert_eq!(st.highest_modseq, mb.highest_modseq);
        prop_assert_eq!(st.uidvalidity, mb.uidvalidity);
        let vanished: Vec<u32> = mb.vanished.iter().copied().collect();
        prop_assert_eq!(store.vanished_since("m", &n, 0).unwrap(), vanished);
        let unseen = mb
            .msgs
            .values()
            .filter(|(_, f, _)| !f.contains("\\Seen"))
            .count();
        prop_assert_eq!(st.unseen as usize, unseen);
        // Searches against the model.
        let search = |k: SearchKey| store.search("m", &n, &k, None).unwrap();
        let filter = |p: &dyn Fn(&ModelMsg) -> bool| -> Vec<u32> {
            mb.msgs
                .iter()
                .filter(|(_, v)| p(v))
                .map(|(u, _)| *u)
                .collect()
        };
        prop_assert_eq!(search(SearchKey::Seen), filter(&|v| v.1.contains("\\Seen")));
        prop_assert_eq!(
            search(SearchKey::Undeleted),
            filter(&|v| !v.1.contains("\\Deleted"))
        );
        prop_assert_eq!(
            search(SearchKey::Keyword("$todo".into())),
            filter(&|v| v.1.contains("$Todo"))
        );
        prop_assert_eq!(
            search(SearchKey::Body("ZQ3X".into())),
            filter(&|v| v.0 == 3)
        );
        let since = mb.highest_modseq.saturating_sub(2);
        prop_assert_eq!(search(SearchKey::ModSeq(since)), filter(&|v| v.2 >= since));
        prop_assert_eq!(
            search(SearchKey::Or(
                Box::new(SearchKey::Subject("note 1".into())),
                Box::new(SearchKey::Not(Box::new(SearchKey::Unseen)))
            )),
            filter(&|v| v.0 == 1 || v.1.contains("\\Seen"))
        );
    }
    let q = store.quota("m").unwrap();
    let count: usize = model.iter().map(|m| m.msgs.len()).sum();
    prop_assert_eq!(q.messages as usize, count);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn store_matches_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut dir = tempfile::tempdir().unwrap();
        let opts = StoreOptions { sync: false, ..StoreOptions::default() };
        let mut store = Store::open(dir.path(), opts).unwrap();
        store.create_account("m").unwrap();
        for i in 1..MAILBOXES.len() {
            store.create_mailbox("m", &name(i), Default::default()).unwrap();
        }
        let mut model: Vec<ModelBox> = (0..MAILBOXES.len())
            .map(|i| ModelBox::new(store.status("m", &name(i)).unwrap().uidvalidity))
            .collect();
        for op in ops {
            match op {
                Op::Append { mb, body: b, flags } => {
                    let f = flag_set(flags);
                    let au = store.append("m", &name(mb), &body(b), &flags_of(&f), None).unwrap();
                    prop_assert_eq!(au.uid, model[mb].add(b, f));
                }
                Op::Deliver { mbs, body: b } => {
                    let names: Vec<MailboxName> = mbs.iter().map(|&i| name(i)).collect();
                    let rcpts: Vec<Delivery<'_>> = names
                        .iter()
                        .map(|n| Delivery { account: "m", mailbox: n, flags: Flags::new() })
                        .collect();
                    let res = store.deliver(&body(b), &rcpts, None).unwrap();
                    for (r, &i) in res.iter().zip(&mbs) {
                        prop_assert_eq!(r.as_ref().unwrap().uid, model[i].add(b, BTreeSet::new()));
                    }
                }
                Op::Copy { from, to, lo, hi } | Op::Move { from, to, lo, hi } => {
                    let is_move = matches!(op, Op::Move { .. });
                    let set = UidSet::range(lo, hi);
                    let res = if is_move {
                        store.move_messages("m", &name(from), &set, &name(to)).unwrap()
                    } else {
                        store.copy("m", &name(from), &set, &name(to)).unwrap()
                    };
                    if is_move && from == to {
                        prop_assert!(res.pairs.is_empty());
                        continue;
                    }
                    let picked: Vec<(u32, ModelMsg)> = model[from]
                        .msgs
                        .iter()
                        .filter(|(u, _)| in_range(**u, lo, hi))
                        .map(|(u, v)| (*u, v.clone()))
                        .collect();
                    let mut want = Vec::new();
                    if !picked.is_empty() {
                        // One modseq for all copies, one for the expunge.
                        model[to].highest_modseq += 1;
                        if is_move {
                            model[from].highest_modseq += 1;
                        }
                    }
                    for (old, (b, f, _)) in picked {
                        let dst = &mut model[to];
                        want.push((old, dst.uidnext));
                        dst.msgs.insert(dst.uidnext, (b, f, dst.highest_modseq));
                        dst.uidnext += 1;
                        if is_move {
                            model[from].msgs.remove(&old);
                            model[from].vanished.insert(old);
                        }
                    }
                    prop_assert_eq!(res.pairs, want);
                }
                Op::Flags { mb, lo, hi, op, flags, unchanged_since } => {
                    let f = flag_set(flags);
                    let fop = [FlagOp::Add, FlagOp::Remove, FlagOp::Replace][op as usize];
                    let since = unchanged_since
                        .map(|d| model[mb].highest_modseq.saturating_sub(u64::from(d)));
                    let out = store
                        .store_flags("m", &name(mb), &UidSet::range(lo, hi), fop, &flags_of(&f), since)
                        .unwrap();
                    let next = model[mb].highest_modseq + 1;
                    let (mut changed, mut modified) = (Vec::new(), Vec::new());
                    for (uid, (_, cur, modseq)) in model[mb].msgs.iter_mut() {
                        if !in_range(*uid, lo, hi) {
                            continue;
                        }
                        if since.is_some_and(|s| *modseq > s) {
                            modified.push(*uid);
                            continue;
                        }
                        let new: BTreeSet<&str> = match fop {
                            FlagOp::Add => cur.union(&f).copied().collect(),
                            FlagOp::Remove => cur.difference(&f).copied().collect(),
                            FlagOp::Replace => f.clone(),
                        };
                        if new != *cur {
                            changed.push(*uid);
                            *cur = new;
                            *modseq = next;
                        }
                    }
                    if !changed.is_empty() {
                        model[mb].highest_modseq = next;
                    }
                    let got: Vec<u32> = out.changed.iter().map(|c| c.0).collect();
                    prop_assert_eq!(got, changed);
                    prop_assert_eq!(out.modified, modified);
                    prop_assert!(out.changed.iter().all(|c| c.1 == next));
                }
                Op::Expunge { mb, range } => {
                    let set = range.map(|(lo, hi)| UidSet::range(lo, hi));
                    let gone = store.expunge("m", &name(mb), set.as_ref()).unwrap();
                    let want: Vec<u32> = model[mb]
                        .msgs
                        .iter()
                        .filter(|(u, v)| {
                            v.1.contains("\\Deleted")
                                && range.is_none_or(|(lo, hi)| in_range(**u, lo, hi))
                        })
                        .map(|(u, _)| *u)
                        .collect();
                    if !want.is_empty() {
                        model[mb].highest_modseq += 1;
                    }
                    for u in &want {
                        model[mb].msgs.remove(u);
                        model[mb].vanished.insert(*u);
                    }
                    prop_assert_eq!(gone, want);
                }
                Op::Recreate { mb } => {
                    let old = model[mb].uidvalidity;
                    store.delete_mailbox("m", &name(mb)).unwrap();
                    store.create_mailbox("m", &name(mb), SpecialUse::NONE).unwrap();
                    let v = store.status("m", &name(mb)).unwrap().uidvalidity;
                    // UIDs start again at 1, under a new UIDVALIDITY.
                    prop_assert!(v > old, "uidvalidity {} not above {}", v, old);
                    model[mb] = ModelBox::new(v);
                }
                Op::Reopen => {
                    drop(store);
                    store = Store::open(dir.path(), opts).unwrap();
                }
                Op::Crash => {
                    let copy = tempfile::tempdir().unwrap();
                    for f in ["journal", "index"] {
                        let from = dir.path().join(f);
                        if from.exists() {
                            std::fs::copy(from, copy.path().join(f)).unwrap();
                        }
                    }
                    drop(store);
                    dir = copy;
                    store = Store::open(dir.path(), opts).unwrap();
                }
                Op::Compact => {
                    drop(store);
                    Store::compact(dir.path(), opts).unwrap();
                    store = Store::open(dir.path(), opts).unwrap();
                }
            }
            check(&store, &model)?;
        }
        // A final reopen must reproduce the same state.
        drop(store);
        let store = Store::open(dir.path(), opts).unwrap();
        check(&store, &model)?;
    }
}
