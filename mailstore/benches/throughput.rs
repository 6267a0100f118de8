//! Store benchmarks, measured against the disk's raw fsync rate in the
//! same run.
//!
//! ```text
//! cargo bench -p rampart-mailstore --bench throughput -- [DIR] [SECONDS] [MESSAGES]
//! ```
//!
//! `DIR` must be on the disk to measure (default: a temporary directory
//! under the system temp dir; a tmpfs makes fsync free and the figures
//! meaningless). `SECONDS` per delivery run (default 3), `MESSAGES` in
//! the SEARCH/FETCH mailbox (default 100000).
//!
//! 1. Raw fsync rate: append a message-sized block to a file and
//!    `fdatasync`, in a loop, one thread: the physical limit on
//!    acknowledged deliveries per second without group commit.
//! 2. Deliveries per second with fsync on, 1 KiB and 100 KiB messages,
//!    1 and 16 writer threads, with the number of syncs actually run.
//! 3. FETCH: metadata of every message, and random full-body reads.
//! 4. SEARCH over the big mailbox: a flag key, a cached header key, a
//!    body substring key.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rampart_mailstore::{
    Flag, FlagOp, Flags, MailboxName, NewMessage, SearchKey, Store, StoreOptions, UidSet,
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

fn deliveries(dir: &Path, size: usize, writers: usize, secs: f64) -> (f64, f64) {
    let sdir = dir.join(format!("deliver-{size}-{writers}"));
    let _ = std::fs::remove_dir_all(&sdir);
    let mut opts = StoreOptions::default();
    if let Some(k) = std::env::var("MAILSTORE_SYNC_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        opts.sync_concurrency = k;
    }
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
    println!(
        "mailstore benchmark in {} ({secs} s per run)",
        dir.display()
    );

    for size in [1024, 100 * 1024] {
        let raw = raw_fsync_rate(&dir, size, secs.min(2.0));
        println!("raw fsync rate, {} KiB appends: {raw:.0}/s", size / 1024);
        let mut runs = Vec::new();
        for writers in [1, 16] {
            runs.push((writers, deliveries(&dir, size, writers, secs)));
        }
        // Measured again after the runs: a disk's fsync rate drifts.
        let raw2 = raw_fsync_rate(&dir, size, secs.min(2.0));
        let raw = raw.max(raw2);
        let raw16 = raw_fsync_rate_threads(&dir, size, 16, secs.min(2.0));
        println!(
            "raw fsync rate, {} KiB appends, again: {raw2:.0}/s; using {raw:.0}/s; \
             16 threads on 16 files: {raw16:.0}/s in total",
            size / 1024
        );
        for (writers, (rate, syncs)) in runs {
            println!(
                "deliver {} KiB, {writers:2} writers: {rate:8.0} msg/s, {syncs:6.0} fsync/s, \
                 {:.2} msg per fsync, {:.0}% of raw fsync rate",
                size / 1024,
                rate / syncs.max(1.0),
                100.0 * rate / raw
            );
            if writers == 16 {
                println!(
                    "    16 writers vs 16 threads of raw fsyncs: {:.0}%",
                    100.0 * rate / raw16
                );
            }
        }
    }

    let ((store, sdir), t) = timed(|| big_mailbox(&dir, n));
    println!("filled {n} x 1 KiB messages (sync off) in {t:.2?}");
    let inbox = MailboxName::new("INBOX").unwrap();
    let (msgs, t) = timed(|| store.messages("s", &inbox, &UidSet::all()).unwrap());
    println!(
        "FETCH metadata (uid, flags, size, dates, cached envelope) of {}: {t:.2?} ({:.0} msg/s)",
        msgs.len(),
        msgs.len() as f64 / t.as_secs_f64()
    );
    let reads = 20_000.min(msgs.len());
    let (bytes, t) = timed(|| {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut bytes = 0;
        for _ in 0..reads {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            bytes += store
                .read(&msgs[(x % msgs.len() as u64) as usize])
                .unwrap()
                .len();
        }
        bytes
    });
    println!(
        "FETCH BODY[] of {reads} random messages: {t:.2?} ({:.0} msg/s, {:.0} MB/s)",
        reads as f64 / t.as_secs_f64(),
        bytes as f64 / t.as_secs_f64() / 1e6
    );
    for (label, key) in [
        ("SEARCH UNSEEN", SearchKey::Unseen),
        (
            "SEARCH SUBJECT (cached)",
            SearchKey::Subject("message 4242".into()),
        ),
        ("SEARCH FROM (cached)", SearchKey::From("sender13@".into())),
        (
            "SEARCH BODY (reads all)",
            SearchKey::Body("needle-in-haystack".into()),
        ),
    ] {
        let (hits, t) = timed(|| store.search("s", &inbox, &key, None).unwrap());
        println!("{label} over {n}: {} hits in {t:.2?}", hits.len());
    }
    drop(store);
    let (store, t) = timed(|| Store::open(&sdir, StoreOptions::default()).unwrap());
    println!(
        "reopen (replay {} records, {} MB journal): {t:.2?}",
        store.recovery().records,
        store.journal_len() / 1_000_000
    );
    drop(store);
    std::fs::remove_dir_all(&sdir).unwrap();
}
