//! Model test: random sequences of operations applied both to the store
//! (on disk, reopened and compacted at random points) and to a plain in-memory model
//! must give the same answers: UIDs, flags, bodies, counts and search
//! results.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use rampart_mailstore::{FlagOp, Flags, MailboxName, SearchKey, Store, StoreOptions, UidSet};

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
    },
    Expunge {
        mb: usize,
        range: Option<(u32, u32)>,
    },
    Reopen,
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
        2 => (mb.clone(), uid.clone(), uid.clone(), 0u8..3, 0u8..8)
            .prop_map(|(mb, lo, hi, op, flags)| Op::Flags { mb, lo, hi, op, flags }),
        1 => (mb, proptest::option::of((uid.clone(), uid)))
            .prop_map(|(mb, range)| Op::Expunge { mb, range }),
        1 => Just(Op::Reopen),
        1 => Just(Op::Compact),
    ]
}

/// A model message: which body it holds and its flags.
type ModelMsg = (u8, BTreeSet<&'static str>);

#[derive(Debug, Default, Clone)]
struct ModelBox {
    uidnext: u32,
    msgs: BTreeMap<u32, ModelMsg>,
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
            let (b, f) = &mb.msgs[&m.uid()];
            let flags: BTreeSet<String> = m.flags().iter().map(str::to_owned).collect();
            let want: BTreeSet<String> = f.iter().map(|s| s.to_string()).collect();
            prop_assert_eq!(flags, want, "flags of uid {}", m.uid());
            prop_assert_eq!(store.read(m).unwrap(), body(*b));
        }
        let st = store.status("m", &n).unwrap();
        prop_assert_eq!(st.messages as usize, mb.msgs.len());
        prop_assert_eq!(st.uidnext, mb.uidnext);
        let unseen = mb
            .msgs
            .values()
            .filter(|(_, f)| !f.contains("\\Seen"))
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
        let dir = tempfile::tempdir().unwrap();
        let opts = StoreOptions { sync: false, ..StoreOptions::default() };
        let mut store = Store::open(dir.path(), opts).unwrap();
        store.create_account("m").unwrap();
        for i in 1..MAILBOXES.len() {
            store.create_mailbox("m", &name(i), Default::default()).unwrap();
        }
        let mut model = vec![ModelBox { uidnext: 1, ..ModelBox::default() }; MAILBOXES.len()];
        for op in ops {
            match op {
                Op::Append { mb, body: b, flags } => {
                    let f = flag_set(flags);
                    let au = store.append("m", &name(mb), &body(b), &flags_of(&f), None).unwrap();
                    let m = &mut model[mb];
                    prop_assert_eq!(au.uid, m.uidnext);
                    m.msgs.insert(m.uidnext, (b, f));
                    m.uidnext += 1;
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
                    let picked: Vec<(u32, (u8, BTreeSet<&str>))> = model[from]
                        .msgs
                        .iter()
                        .filter(|(u, _)| in_range(**u, lo, hi))
                        .map(|(u, v)| (*u, v.clone()))
                        .collect();
                    let mut want = Vec::new();
                    for (old, v) in picked {
                        let dst = &mut model[to];
                        want.push((old, dst.uidnext));
                        dst.msgs.insert(dst.uidnext, v);
                        dst.uidnext += 1;
                        if is_move {
                            model[from].msgs.remove(&old);
                        }
                    }
                    prop_assert_eq!(res.pairs, want);
                }
                Op::Flags { mb, lo, hi, op, flags } => {
                    let f = flag_set(flags);
                    let fop = [FlagOp::Add, FlagOp::Remove, FlagOp::Replace][op as usize];
                    let out = store
                        .store_flags("m", &name(mb), &UidSet::range(lo, hi), fop, &flags_of(&f), None)
                        .unwrap();
                    let mut changed = Vec::new();
                    for (uid, (_, cur)) in model[mb].msgs.iter_mut() {
                        if !in_range(*uid, lo, hi) {
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
                        }
                    }
                    let got: Vec<u32> = out.changed.iter().map(|c| c.0).collect();
                    prop_assert_eq!(got, changed);
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
                    for u in &want {
                        model[mb].msgs.remove(u);
                    }
                    prop_assert_eq!(gone, want);
                }
                Op::Reopen => {
                    drop(store);
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
