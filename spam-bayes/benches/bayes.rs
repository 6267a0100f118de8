//! Throughput of tokenizing, learning and classifying the shipped
//! SpamAssassin corpus sample. The side-by-side comparison with
//! bogofilter and SpamAssassin is `scripts/eval.sh`.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rampart_spam_bayes::{Bayes, Class, MemoryStore, Tokenizer};

fn corpus() -> Vec<(Class, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    for (dir, class) in [("spam", Class::Spam), ("ham", Class::Ham)] {
        let mut paths: Vec<_> = std::fs::read_dir(root.join(dir))
            .expect("corpus")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        out.extend(
            paths
                .iter()
                .map(|p| (class, std::fs::read(p).expect("message"))),
        );
    }
    out
}

fn bench(c: &mut Criterion) {
    let msgs = corpus();
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::default();
    let mut store = MemoryStore::new();
    for (class, raw) in &msgs {
        bayes
            .learn(&mut store, &tokenizer.tokenize(raw), *class, 1)
            .expect("learn");
    }
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            msgs.iter()
                .map(|(_, raw)| tokenizer.tokenize(raw).len())
                .sum::<usize>()
        })
    });
    g.bench_function("learn", |b| {
        b.iter(|| {
            let mut s = MemoryStore::new();
            for (class, raw) in &msgs {
                bayes
                    .learn(&mut s, &tokenizer.tokenize(raw), *class, 1)
                    .expect("learn");
            }
            s.token_count()
        })
    });
    g.bench_function("classify", |b| {
        b.iter(|| {
            msgs.iter()
                .map(|(_, raw)| {
                    bayes
                        .classify_hashes(&store, &tokenizer.token_hashes(raw))
                        .expect("classify")
                })
                .filter(|s| s.probability > 0.5)
                .count()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = bench
}

criterion_main!(benches);
