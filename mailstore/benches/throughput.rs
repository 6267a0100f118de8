//! Store benchmarks, measured against the disk's raw fsync rate in the
//! same run.
//!
//! ```text
//! cargo bench -p rampart-mailstore --bench throughput -- [DIR] [SECONDS] [MESSAGES]
//! ```
//!
//! `MAILSTORE_SYNC_CONCURRENCY=K` sets the syncs in flight (default:
//! the store's default). `DIR` must be on the disk to measure (default: a temporary directory
//! under the system temp dir; a tmpfs makes fsync free and the figures
//! meaningless). `SECONDS` per delivery run (default 3), `MESSAGES` in
//! the SEARCH/FETCH mailbox (default 100000).
//!
//! 1. Raw fsync rate: append a message-sized block to a file and
//!    `fdatasync`, in a loop: one thread (the limit for one writer),
//!    16 threads appending to one shared file (what the disk allows 16
//!    concurrent writers of one journal) and 16 threads on 16 files.
//! 2. Deliveries per second with fsync on, 1 KiB and 100 KiB messages,
//!    1 and 16 writer threads, with the number of syncs actually run;
//!    16 writers also with one sync at a time (classic group commit).
//! 3. FETCH items over a mailbox of MESSAGES 1 KiB messages: metadata
//!    (flags, size, dates, cached envelope fields), BODYSTRUCTURE from
//!    the cached structure, and random BODY[HEADER], BODY[1], BODY[].
//! 4. SEARCH and SORT over that mailbox.
//! 5. Open: with the checkpoint a clean close leaves, replaying the whole
//!    journal (checkpoint removed), and recovering a torn tail.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rampart_mailstore::{
    Flag, FlagOp, Flags, MailboxName, NewMessage, SearchKey, SortBy, SortKey, Store, StoreOptions,
    UidSet,
};

fn message(i: u64, size: usize) -> Vec<u8> {
    let mut m = format!(
        "From: sender{}@example.org\r\nTo: rcpt@example.net\r\nSubject: bench message {i}\r\n\
         Message-ID: <{i}@bench>\r\nDate: Thu, 03 Dec 2026 21:00:00 +0000\r\n\r\n",
        i % 97
    )
    .into_bytes();
    let line = b"lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod\r\n";
    while m.len() + line.len() < size {
        m.extend_from_slice(line);
    }
    if i % 1000 == 7 {
        m.extend_from_slice(b"needle-in-haystack\r\n");
    }
    m.resize(size.max(m.len()), b'.');
    m
}

/// fdatasyncs per second when appending `size` bytes before each.
fn raw_fsync_rate(dir: &Path, size: usize, secs: f64) -> f64 {
    let path = dir.join("fsync-probe");
    let f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let buf = vec![b'x'; size];
    let start = Instant::now();
    let (mut n, mut off) = (0u64, 0u64);
    while start.elapsed().as_secs_f64() < secs {
        f.write_all_at(&buf, off).unwrap();
        f.sync_data().unwrap();
        off += size as u64;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    drop(f);
    std::fs::remove_file(&path).unwrap();
    rate
}

/// fdatasyncs per second summed over `threads` threads, each appending
/// `size` bytes to its own file and syncing: what the disk allows
/// concurrent writers that do not share syncs.
fn raw_fsync_rate_threads(dir: &Path, size: usize, threads: usize, secs: f64) -> f64 {
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let path = dir.join(format!("fsync-probe-{t}"));
                    let f = OpenOptions::new()
                        .create(true)
                        .truncate(true)
                        .write(true)
                        .open(&path)
                        .unwrap();
                    let buf = vec![b'x'; size];
                    let (mut n, mut off) = (0u64, 0u64);
                    while start.elapsed().as_secs_f64() < secs {
                        f.write_all_at(&buf, off).unwrap();
                        f.sync_data().unwrap();
                        off += size as u64;
                        n += 1;
                    }
                    drop(f);
                    std::fs::remove_file(&path).unwrap();
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// fdatasyncs per second of `threads` threads appending `size` bytes
/// each to one shared file (offsets handed out under a lock, as the
/// journal does) and syncing it.
fn raw_fsync_rate_shared(dir: &Path, size: usize, threads: usize, secs: f64) -> f64 {
    let path = dir.join("fsync-probe-shared");
    let f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(&path)
        .unwrap();
    let end = std::sync::Mutex::new(0u64);
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                let (f, end) = (&f, &end);
                s.spawn(move || {
                    let buf = vec![b'x'; size];
                    let mut n = 0u64;
                    while start.elapsed().as_secs_f64() < secs {
                        let off = {
                            let mut e = end.lock().unwrap();
                            let off = *e;
                            *e += size as u64;
                            off
                        };
                        f.write_all_at(&buf, off).unwrap();
                        f.sync_data().unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let rate = total as f64 / start.elapsed().as_secs_f64();
    drop(f);
    std::fs::remove_file(&path).unwrap();
    rate
}

fn deliveries(
    dir: &Path,
    size: usize,
    writers: usize,
    secs: f64,
    sync_concurrency: usize,
) -> (f64, f64) {
    let sdir = dir.join(format!("deliver-{size}-{writers}"));
    let _ = std::fs::remove_dir_all(&sdir);
    let opts = StoreOptions {
        sync_concurrency,
        ..StoreOptions::default()
    };
    let store = Store::open(&sdir, opts).unwrap();
    store.create_account("b").unwrap();
    let inbox = MailboxName::new("INBOX").unwrap();
    let msg = message(1, size);
    let before = store.stats();
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let hs: Vec<_> = (0..writers)
            .map(|_| {
                let (store, inbox, msg) = (&store, &inbox, &msg);
                s.spawn(move || {
                    let mut n = 0u64;
                    while start.elapsed().as_secs_f64() < secs {
                        store.deliver_to("b", inbox, msg).unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let el = start.elapsed().as_secs_f64();
    let after = store.stats();
    drop(store);
    std::fs::remove_dir_all(&sdir).unwrap();
    (total as f64 / el, (after.syncs - before.syncs) as f64 / el)
}

fn big_mailbox(dir: &Path, n: u64) -> (Store, PathBuf) {
    let sdir = dir.join("search");
    let _ = std::fs::remove_dir_all(&sdir);
    let store = Store::open(
        &sdir,
        StoreOptions {
            sync: false,
            ..StoreOptions::default()
        },
    )
    .unwrap();
    store.create_account("s").unwrap();
    let inbox = MailboxName::new("INBOX").unwrap();
    let mut i = 0;
    while i < n {
        let raws: Vec<Vec<u8>> = (i..(i + 1000).min(n)).map(|j| message(j, 1024)).collect();
        let batch: Vec<NewMessage<'_>> = raws
            .iter()
            .map(|r| NewMessage {
                raw: r,
                flags: Flags::new(),
                internal_date: Some(1_796_000_000),
            })
            .collect();
        store.append_batch("s", &inbox, &batch).unwrap();
        i += raws.len() as u64;
    }
    let mut seen = Flags::new();
    seen.insert(Flag::Seen);
    store
        .store_flags(
            "s",
            &inbox,
            &UidSet::range(1, (n / 2) as u32),
            FlagOp::Add,
            &seen,
            None,
        )
        .unwrap();
    (store, sdir)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let r = f();
    (r, t.elapsed())
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let tmp;
    let dir = match args.first() {
        Some(d) => PathBuf::from(d),
        None => {
            tmp = tempfile::tempdir().unwrap();
            tmp.path().to_owned()
        }
    };
    std::fs::create_dir_all(&dir).unwrap();
    let secs: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let n: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    // MAILSTORE_SYNC_CONCURRENCY overrides how many syncs may be in
    // flight, to compare settings on a given disk.
    let k = std::env::var("MAILSTORE_SYNC_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(StoreOptions::default().sync_concurrency);
    println!(
        "mailstore benchmark in {} ({secs} s per run, {k} syncs in flight at most)",
        dir.display()
    );

    let probe = secs.min(2.0);
    for size in [1024, 100 * 1024] {
        let kib = size / 1024;
        let raw_a = raw_fsync_rate(&dir, size, probe);
        let shared_a = raw_fsync_rate_shared(&dir, size, 16, probe);
        let mut runs = Vec::new();
        for (writers, conc) in [(1, k), (16, k), (16, 1)] {
            runs.push((writers, conc, deliveries(&dir, size, writers, secs, conc)));
        }
        // Measured again after the runs: a disk's fsync rate drifts.
        let raw_b = raw_fsync_rate(&dir, size, probe);
        let shared_b = raw_fsync_rate_shared(&dir, size, 16, probe);
        let files16 = raw_fsync_rate_threads(&dir, size, 16, probe);
        let raw = raw_a.max(raw_b);
        let shared = shared_a.max(shared_b);
        println!(
            "raw fsync, {kib} KiB appends: 1 thread {raw_a:.0}/s and {raw_b:.0}/s (using {raw:.0}); \
             16 threads on one file {shared_a:.0}/s and {shared_b:.0}/s (using {shared:.0}); \
             16 threads on 16 files {files16:.0}/s"
        );
        for (writers, conc, (rate, syncs)) in runs {
            let vs_shared = if writers == 16 {
                format!(
                    ", {:.0}% of the 16-thread one-file rate",
                    100.0 * rate / shared
                )
            } else {
                String::new()
            };
            println!(
                "deliver {kib:3} KiB, {writers:2} writers, {conc} sync(s) in flight: {rate:7.0} msg/s, \
                 {syncs:6.0} fsync/s, {:5.2} msg per fsync; {:5.2}x the 1-thread fsync rate{vs_shared}",
                rate / syncs.max(1.0),
                rate / raw,
            );
        }
    }

    let ((store, sdir), t) = timed(|| big_mailbox(&dir, n));
    println!("filled {n} x 1 KiB messages (sync off) in {t:.2?}");
    let inbox = MailboxName::new("INBOX").unwrap();
    let (msgs, t) = timed(|| store.messages("s", &inbox, &UidSet::all()).unwrap());
    let per = |t: Duration, k: usize| k as f64 / t.as_secs_f64();
    println!(
        "FETCH UID FLAGS RFC822.SIZE INTERNALDATE MODSEQ (metadata) of {}: {t:.2?} ({:.0} msg/s)",
        msgs.len(),
        per(t, msgs.len())
    );
    let (chars, t) = timed(|| {
        msgs.iter()
            .map(|m| {
                use rampart_mailstore::CachedField as F;
                let c = m.cache();
                [
                    F::Date,
                    F::Subject,
                    F::From,
                    F::Sender,
                    F::ReplyTo,
                    F::To,
                    F::Cc,
                    F::Bcc,
                    F::InReplyTo,
                    F::MessageId,
                ]
                .iter()
                .map(|f| c.field(*f).len())
                .sum::<usize>()
            })
            .sum::<usize>()
    });
    println!(
        "FETCH ENVELOPE (cached fields) of {}: {t:.2?} ({:.0} msg/s, {chars} chars)",
        msgs.len(),
        per(t, msgs.len())
    );
    let (parts, t) = timed(|| {
        fn count(p: &rampart_mailstore::MimePart) -> usize {
            1 + p.children.iter().map(count).sum::<usize>()
        }
        msgs.iter()
            .map(|m| count(m.cache().structure()))
            .sum::<usize>()
    });
    println!(
        "FETCH BODYSTRUCTURE (cached structure) of {}: {t:.2?} ({:.0} msg/s, {parts} parts)",
        msgs.len(),
        per(t, msgs.len())
    );
    let reads = 20_000.min(msgs.len());
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut pick = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % msgs.len() as u64) as usize
    };
    let msgs2 = store.messages("s", &inbox, &UidSet::all()).unwrap();
    for (label, what) in [("BODY[HEADER]", 0), ("BODY[1]", 1), ("BODY[]", 2)] {
        let (bytes, t) = timed(|| {
            let mut bytes = 0;
            for _ in 0..reads {
                let m = &msgs2[pick()];
                bytes += match what {
                    0 => store.read_header(m).unwrap().len(),
                    1 => store.read_section(m, &[1]).unwrap().unwrap().len(),
                    _ => store.read(m).unwrap().len(),
                };
            }
            bytes
        });
        println!(
            "FETCH {label} of {reads} random messages: {t:.2?} ({:.0} msg/s, {:.0} MB/s)",
            per(t, reads),
            bytes as f64 / t.as_secs_f64() / 1e6
        );
    }
    let view = store.open_session("s", &inbox).unwrap().view().clone();
    for (label, key) in [
        ("SEARCH UNSEEN", SearchKey::Unseen),
        (
            "SEARCH UID 1000:2000,5000:*",
            SearchKey::Uid(UidSet::parse("1000:2000,5000:*").unwrap()),
        ),
        (
            "SEARCH 1:500 (sequence set)",
            SearchKey::Seq(UidSet::parse("1:500").unwrap()),
        ),
        (
            "SEARCH SUBJECT (cached)",
            SearchKey::Subject("message 4242".into()),
        ),
        ("SEARCH FROM (cached)", SearchKey::From("sender13@".into())),
        (
            "SEARCH OR FROM x NOT SEEN (cached, flags)",
            SearchKey::Or(
                Box::new(SearchKey::From("sender7@".into())),
                Box::new(SearchKey::Not(Box::new(SearchKey::Seen))),
            ),
        ),
        (
            "SEARCH LARGER 1000 SINCE ...",
            SearchKey::And(vec![
                SearchKey::Larger(1000),
                SearchKey::Since(rampart_mailstore::Date::from_ymd(2026, 1, 1).unwrap()),
            ]),
        ),
        (
            "SEARCH HEADER Message-ID (cached)",
            SearchKey::Header("Message-ID".into(), "<777@".into()),
        ),
        (
            "SEARCH HEADER X-Missing (reads headers)",
            SearchKey::Header("X-Missing".into(), "x".into()),
        ),
        (
            "SEARCH BODY (reads all bodies)",
            SearchKey::Body("needle-in-haystack".into()),
        ),
        (
            "SEARCH TEXT (reads all messages)",
            SearchKey::Text("needle-in-haystack".into()),
        ),
    ] {
        let (hits, t) = timed(|| store.search("s", &inbox, &key, Some(&view)).unwrap());
        println!("{label} over {n}: {} hits in {t:.2?}", hits.len());
    }
    for (label, keys) in [
        ("SORT (DATE)", vec![SortKey::asc(SortBy::Date)]),
        (
            "SORT (REVERSE ARRIVAL)",
            vec![SortKey::desc(SortBy::Arrival)],
        ),
        ("SORT (SUBJECT)", vec![SortKey::asc(SortBy::Subject)]),
        ("SORT (FROM)", vec![SortKey::asc(SortBy::From)]),
    ] {
        let (hits, t) = timed(|| {
            store
                .sort("s", &inbox, &keys, &SearchKey::All, None)
                .unwrap()
        });
        println!("{label} ALL over {n}: {} sorted in {t:.2?}", hits.len());
    }
    let (_, t) = timed(|| store.checkpoint().unwrap());
    println!("checkpoint of the index ({n} messages): {t:.2?}");
    // How long a checkpoint holds up others: the slowest STATUS (which
    // takes the store lock) while one is written.
    let mut seen = Flags::new();
    seen.insert(Flag::Seen);
    store
        .store_flags(
            "s",
            &inbox,
            &UidSet::range(1, 1),
            FlagOp::Remove,
            &seen,
            None,
        )
        .unwrap();
    let (worst, t) = timed(|| {
        std::thread::scope(|s| {
            let h = s.spawn(|| store.checkpoint().unwrap());
            let mut worst = Duration::ZERO;
            while !h.is_finished() {
                let t = Instant::now();
                store.status("s", &inbox).unwrap();
                worst = worst.max(t.elapsed());
            }
            h.join().unwrap();
            worst
        })
    });
    println!("checkpoint again, with STATUS calls meanwhile: {t:.2?}, slowest STATUS {worst:.2?}");
    drop(store);
    let (store, t) = timed(|| Store::open(&sdir, StoreOptions::default()).unwrap());
    let index = std::fs::metadata(sdir.join("index")).map_or(0, |m| m.len());
    println!(
        "open after a clean close (checkpoint of {:.1} MB, {} records replayed, {:.0} MB journal): {t:.2?}",
        index as f64 / 1e6,
        store.recovery().records,
        store.journal_len() as f64 / 1e6
    );
    drop(store);
    std::fs::remove_file(sdir.join("index")).unwrap();
    let (store, t) = timed(|| Store::open(&sdir, StoreOptions::default()).unwrap());
    println!(
        "open replaying the whole journal (no checkpoint, {} records): {t:.2?}",
        store.recovery().records
    );
    let len = store.journal_len();
    drop(store);
    // A crash in the middle of a write: half a record at the end.
    {
        let f = OpenOptions::new()
            .write(true)
            .open(sdir.join("journal"))
            .unwrap();
        f.write_all_at(&[0x10, 0, 0, 0, 1, 2, 3, 4, 5, 6], len)
            .unwrap();
    }
    let (store, t) = timed(|| Store::open(&sdir, StoreOptions::default()).unwrap());
    println!(
        "open recovering a torn tail after a crash ({} bytes cut, {} records replayed after the checkpoint): {t:.2?}",
        store.recovery().discarded_bytes,
        store.recovery().records
    );
    drop(store);
    std::fs::remove_dir_all(&sdir).unwrap();

    // Open time where bodies dominate the journal: 100 KiB messages.
    let bdir = dir.join("open-big");
    let _ = std::fs::remove_dir_all(&bdir);
    let big = (n / 20).max(1);
    {
        let store = Store::open(
            &bdir,
            StoreOptions {
                sync: false,
                ..StoreOptions::default()
            },
        )
        .unwrap();
        store.create_account("s").unwrap();
        let raw = message(1, 100 * 1024);
        for _ in 0..big / 50 {
            let batch: Vec<NewMessage<'_>> = (0..50)
                .map(|_| NewMessage {
                    raw: &raw,
                    flags: Flags::new(),
                    internal_date: None,
                })
                .collect();
            store.append_batch("s", &inbox, &batch).unwrap();
        }
    }
    let (store, t) = timed(|| Store::open(&bdir, StoreOptions::default()).unwrap());
    println!(
        "open, {} x 100 KiB messages ({:.0} MB journal), after a clean close: {t:.2?}",
        store.status("s", &inbox).unwrap().messages,
        store.journal_len() as f64 / 1e6
    );
    drop(store);
    std::fs::remove_file(bdir.join("index")).unwrap();
    let (store, t) = timed(|| Store::open(&bdir, StoreOptions::default()).unwrap());
    println!("open, same store, replaying the whole journal (page cache warm): {t:.2?}");
    drop(store);
    std::fs::remove_dir_all(&bdir).unwrap();
}
