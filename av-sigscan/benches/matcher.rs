//! Raw matcher throughput in MB/s beside `memchr` on the same buffer.
//!
//! `cargo bench -p rampart-av-sigscan --bench matcher`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rampart_av_sigscan::{LoadOptions, Loader};

/// A deterministic xorshift byte stream.
fn bytes(n: usize, mut s: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

/// `n` random hex signatures of 8..24 bytes, some with a wildcard gap.
fn sigs(n: usize) -> String {
    let mut out = String::new();
    let pool = bytes(n * 32, 7);
    for i in 0..n {
        let len = 8 + (pool[i * 32] as usize % 16);
        let hex: String = pool[i * 32 + 1..i * 32 + 1 + len]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let body = if i % 4 == 0 {
            format!("{}{{0-8}}{}", &hex[..8], &hex[8..])
        } else {
            hex
        };
        out.push_str(&format!("Bench.Sig.{i}:0:*:{body}\n"));
    }
    out
}

fn bench(c: &mut Criterion) {
    let hay = bytes(8 << 20, 99);
    let mut g = c.benchmark_group("matcher");
    g.throughput(Throughput::Bytes(hay.len() as u64));
    g.sample_size(10);
    g.bench_function("memchr_ceiling", |b| {
        b.iter(|| memchr::memchr_iter(0x00, &hay).count())
    });
    for n in [1_000usize, 10_000, 100_000] {
        let mut l = Loader::new(LoadOptions::default());
        l.add("bench.ndb", sigs(n).as_bytes())
            .expect("valid signatures");
        let db = l.compile().expect("compiles");
        g.bench_function(format!("sigscan_{n}_sigs"), |b| {
            b.iter(|| db.scan_bytes(&hay, true).len())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
