//! Crash test: a child process (this test binary, re-executed in
//! "writer" mode) delivers messages from several threads and prints an
//! `ACK` line after each delivery returned success; the parent kills it
//! with SIGKILL at a random moment, reopens the store and checks that
//! every acknowledged message is there under the UID it was given, that
//! no UID was handed out twice, and that counts agree. The writer also
//! flags and expunges, and acknowledged expunges must stay expunged.
//!
//! The writer checkpoints its index every 128 KiB of journal, so kills
//! also hit checkpoints being written, and reopening starts from one.
//!
//! SIGKILL leaves the page cache intact, so this exercises the torn
//! tail and the recovery logic, not the fsync order against power loss;
//! the unit test `torn_tail_at_every_offset` cuts the journal at every
//! byte for that.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rampart_mailstore::{Flag, FlagOp, Flags, MailboxName, Store, StoreOptions, UidSet};

const ENV_DIR: &str = "MAILSTORE_CRASH_DIR";
const ENV_ROUND: &str = "MAILSTORE_CRASH_ROUND";
const WRITERS: usize = 4;

/// A small deterministic generator (xorshift), seeded per run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn inbox() -> MailboxName {
    MailboxName::new("INBOX").unwrap()
}

fn message(id: &str, pad: usize) -> Vec<u8> {
    let mut m =
        format!("From: crash@example.org\r\nMessage-ID: <{id}@crash>\r\nSubject: {id}\r\n\r\n")
            .into_bytes();
    m.extend(std::iter::repeat_n(b'x', pad));
    m.extend_from_slice(b"\r\n");
    m
}

/// Writer mode: only active when the parent set the environment.
#[test]
fn crash_writer_child() {
    let Ok(dir) = std::env::var(ENV_DIR) else {
        return;
    };
    let round: u64 = std::env::var(ENV_ROUND).unwrap().parse().unwrap();
    // Frequent checkpoints, so that kills also land while one is
    // written and reopening starts from one.
    let opts = StoreOptions {
        checkpoint_bytes: 128 << 10,
        ..StoreOptions::default()
    };
    let store = Store::open(Path::new(&dir), opts).unwrap();
    if !store.accounts().contains(&"u".to_owned()) {
        store.create_account("u").unwrap();
    }
    let out = std::sync::Mutex::new(std::io::stdout());
    std::thread::scope(|s| {
        for t in 0..WRITERS {
            let store = store.clone();
            let out = &out;
            s.spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (round << 8 | t as u64) | 1);
                for i in 0.. {
                    let id = format!("r{round}-t{t}-{i}");
                    let pad = if rng.below(8) == 0 {
                        20_000
                    } else {
                        rng.below(2000) as usize
                    };
                    let au = store.deliver_to("u", &inbox(), &message(&id, pad)).unwrap();
                    writeln!(out.lock().unwrap(), "ACK {} {id}", au.uid).unwrap();
                    // Now and then delete one of our own messages.
                    if rng.below(10) == 0 {
                        writeln!(out.lock().unwrap(), "DEL {}", au.uid).unwrap();
                        let set = UidSet::from_uids([au.uid]);
                        let mut del = Flags::new();
                        del.insert(Flag::Deleted);
                        store
                            .store_flags("u", &inbox(), &set, FlagOp::Add, &del, None)
                            .unwrap();
                        let gone = store.expunge("u", &inbox(), Some(&set)).unwrap();
                        assert_eq!(gone, [au.uid]);
                        writeln!(out.lock().unwrap(), "EXP {}", au.uid).unwrap();
                    }
                }
            });
        }
    });
}

#[test]
fn kill_during_deliveries_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(u64::from(std::process::id()) << 20 | 0x5eed);
    // uid -> message id for every acknowledged delivery, across rounds.
    let mut acked: BTreeMap<u32, String> = BTreeMap::new();
    let mut expunged: BTreeSet<u32> = BTreeSet::new();
    // Expunges that started but were not acknowledged: either outcome.
    let mut maybe_expunged: BTreeSet<u32> = BTreeSet::new();
    let rounds = 8;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "crash_writer_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(ENV_DIR, dir.path())
            .env(ENV_ROUND, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            // Only complete lines count: the kill may cut the last one.
            let mut r = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line.ends_with('\n') => {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                    Ok(_) => break,
                }
            }
        });
        // Wait for the writer's first acknowledgement (replaying a
        // growing journal takes a moment), then kill -9 it at a random
        // moment while it delivers.
        let mut lines = Vec::new();
        loop {
            let line = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("the writer acknowledged nothing within a minute");
            let ack = line.starts_with("ACK ");
            lines.push(line);
            if ack {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(rng.below(400)));
        if let Some(status) = child.try_wait().unwrap() {
            panic!("writer exited by itself: {status}");
        }
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        lines.extend(rx.try_iter());
        let mut acks_this_round = 0;
        for line in lines {
            let mut parts = line.split_whitespace();
            match parts.next() {
                Some("ACK") => {
                    let uid: u32 = parts.next().unwrap().parse().unwrap();
                    let id = parts.next().unwrap().to_owned();
                    if let Some(prev) = acked.insert(uid, id.clone()) {
                        panic!("uid {uid} acknowledged twice: {prev} and {id}");
                    }
                    acks_this_round += 1;
                }
                Some("DEL") => {
                    maybe_expunged.insert(parts.next().unwrap().parse().unwrap());
                }
                Some("EXP") => {
                    expunged.insert(parts.next().unwrap().parse().unwrap());
                }
                _ => {}
            }
        }

        let store = Store::open(dir.path(), StoreOptions::default()).unwrap();
        let rec = store.recovery().clone();
        let msgs = store.messages("u", &inbox(), &UidSet::all()).unwrap();
        let by_uid: BTreeMap<u32, _> = msgs.iter().map(|m| (m.uid(), m)).collect();
        assert_eq!(by_uid.len(), msgs.len(), "duplicate uid in mailbox");
        for (uid, id) in &acked {
            if expunged.contains(uid) {
                assert!(!by_uid.contains_key(uid), "expunged uid {uid} came back");
                continue;
            }
            if maybe_expunged.contains(uid) && !by_uid.contains_key(uid) {
                // The expunge was written but the kill came before EXP.
                expunged.insert(*uid);
                continue;
            }
            let m = by_uid
                .get(uid)
                .unwrap_or_else(|| panic!("acknowledged uid {uid} ({id}) lost; {rec:?}"));
            let body = store.read(m).unwrap();
            let want = format!("Message-ID: <{id}@crash>");
            assert!(
                body.windows(want.len()).any(|w| w == want.as_bytes()),
                "uid {uid} holds another message than {id}"
            );
        }
        let status = store.status("u", &inbox()).unwrap();
        assert_eq!(status.messages as usize, msgs.len());
        let quota = store.quota("u").unwrap();
        assert_eq!(quota.messages as usize, msgs.len());
        assert_eq!(quota.bytes, msgs.iter().map(|m| m.size()).sum::<u64>());
        let max_acked = acked.keys().last().copied().unwrap_or(0);
        assert!(status.uidnext > max_acked, "uidnext would reuse a uid");
        // A new delivery after recovery gets a fresh UID.
        let au = store
            .deliver_to("u", &inbox(), &message(&format!("probe{round}"), 10))
            .unwrap();
        assert!(au.uid > max_acked && !acked.contains_key(&au.uid));
        acked.insert(au.uid, format!("probe{round}"));
        let report = store.verify().unwrap();
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        eprintln!(
            "round {round}: {acks_this_round} acked, {} in mailbox, recovery {rec:?}",
            msgs.len() + 1
        );
    }
}
