//! Single-core speed of the phases: tokenizing (with and without the
//! digest), learning, looking up and classifying (looking up in a
//! [`MemoryStore`] and in a [`FrozenStore`]), over the messages of the
//! directories given (the first half of them learned, all classified).
//! Reports messages per second of CPU time (from
//! /proc/thread-self/schedstat, so that a loaded machine does not skew
//! it) and of wall time.
//!
//! Usage: speed [REPEAT] DIR...

use std::time::Instant;

use rampart_spam_bayes::{
    Bayes, BayesConfig, Class, FrozenStore, MemoryStore, TokenStore, Tokenizer,
};

fn cpu_ns() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(f64::NAN)
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let repeat = args
        .first()
        .and_then(|a| a.parse::<usize>().ok())
        .inspect(|_| {
            args.remove(0);
        })
        .unwrap_or(3);
    let mut msgs = Vec::new();
    for d in &args {
        let mut paths: Vec<_> = std::fs::read_dir(d)
            .expect("directory")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        msgs.extend(paths.iter().map(|p| std::fs::read(p).expect("read")));
    }
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::new(BayesConfig {
        min_spam: 0,
        min_ham: 0,
        ..Default::default()
    });
    let only = std::env::var("SPEED_ONLY").ok();
    let phase = |name: &str, f: &mut dyn FnMut() -> usize| {
        if only.as_deref().is_some_and(|o| o != name) {
            return;
        }
        let (c0, t0) = (cpu_ns(), Instant::now());
        let mut n = 0;
        let mut check = 0;
        for _ in 0..repeat {
            check += f();
            n += msgs.len();
        }
        let (cpu, wall) = ((cpu_ns() - c0) / 1e9, t0.elapsed().as_secs_f64());
        println!(
            "{name:<10} {:>8.0} msgs/s CPU ({:.1} us/msg) {:>8.0} msgs/s wall  [{check}]",
            n as f64 / cpu,
            1e6 * cpu / n as f64,
            n as f64 / wall
        );
    };
    phase("tokenize", &mut || {
        msgs.iter().map(|m| tokenizer.tokenize(m).len()).sum()
    });
    // Without the SHA-256 digest, into reused buffers: what the CLI's
    // classify does.
    let (mut hashes, mut scratch) = (Vec::new(), Vec::new());
    phase("hashes", &mut || {
        msgs.iter()
            .map(|m| {
                tokenizer.token_hashes_into(m, &mut hashes, &mut scratch);
                hashes.len()
            })
            .sum()
    });
    let mut store = MemoryStore::new();
    phase("learn", &mut || {
        store = MemoryStore::new();
        for (i, m) in msgs.iter().enumerate() {
            let class = if i % 2 == 0 { Class::Spam } else { Class::Ham };
            bayes
                .learn(&mut store, &tokenizer.tokenize(m), class, 1)
                .expect("learn");
        }
        store.token_count()
    });
    if store.token_count() == 0 {
        // The learn phase was skipped (SPEED_ONLY): learn once, untimed.
        for (i, m) in msgs.iter().enumerate() {
            let class = if i % 2 == 0 { Class::Spam } else { Class::Ham };
            bayes
                .learn(&mut store, &tokenizer.tokenize(m), class, 1)
                .expect("learn");
        }
    }
    // Classifying alone, from hashes computed beforehand.
    let hashed: Vec<Vec<u64>> = msgs.iter().map(|m| tokenizer.token_hashes(m)).collect();
    // In the store learned into, and in the read-only copy the CLI
    // classifies with; then only the lookups in each.
    let frozen = FrozenStore::from(&store);
    phase("lookup", &mut || spam_count(&bayes, &store, &hashed));
    phase("frozen", &mut || spam_count(&bayes, &frozen, &hashed));
    phase("lc-mem", &mut || lookups(&store, &hashed));
    phase("lc-frozen", &mut || lookups(&frozen, &hashed));
    phase("classify", &mut || {
        msgs.iter()
            .filter(|m| {
                bayes
                    .classify_hashes(&store, &tokenizer.token_hashes(m))
                    .expect("classify")
                    .probability
                    > 0.5
            })
            .count()
    });
}

/// How many of the messages whose hashes are given are spam.
fn spam_count<S: TokenStore>(bayes: &Bayes, store: &S, hashed: &[Vec<u64>]) -> usize
where
    S::Error: std::fmt::Debug,
{
    hashed
        .iter()
        .filter(|h| {
            bayes
                .classify_hashes(store, h)
                .expect("classify")
                .probability
                > 0.5
        })
        .count()
}

/// Looks up every message's tokens; the number of counts returned.
fn lookups<S: TokenStore>(store: &S, hashed: &[Vec<u64>]) -> usize
where
    S::Error: std::fmt::Debug,
{
    let mut out = Vec::new();
    hashed
        .iter()
        .map(|h| {
            store.lookup_counts(h, &mut out).expect("lookup");
            out.len()
        })
        .sum()
}
