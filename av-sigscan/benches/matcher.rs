//! Matcher throughput in MB/s beside `memchr` on the same buffer.
//!
//! `cargo bench -p rampart-av-sigscan --bench matcher`
//!
//! Two groups, on one 8 MiB buffer of mixed content (random bytes, word
//! soup, UTF-16 text, sparse binary) with signatures made the way
//! `../shared/tools/gen-sigs.py` makes them (random bytes, or words with
//! a random nonce):
//!
//! - `matcher_N`: the whole scan of the buffer with N body signatures.
//! - `anchors_N`: only the search for the fixed anchors of those
//!   signatures, every occurrence of each: the crate's q-gram index
//!   against the aho-corasick crate over the very same anchors, as a
//!   DFA and as a contiguous NFA (standard semantics, overlapping
//!   search, prefilter on). This is the measurement behind the engine not using
//!   the aho-corasick crate; the test `tests/anchor_search.rs` checks
//!   that both report the same occurrences.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use rampart_av_sigscan::anchor_search::AnchorSearch;
use rampart_av_sigscan::{Database, LoadOptions, Loader};

/// xorshift64: deterministic data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 24) as u8).collect()
    }

    fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len())]
    }
}

const WORDS: [&str; 32] = [
    "invoice",
    "payment",
    "urgent",
    "account",
    "verify",
    "password",
    "login",
    "update",
    "click",
    "here",
    "document",
    "attached",
    "download",
    "macro",
    "enable",
    "content",
    "bitcoin",
    "wallet",
    "shell",
    "exec",
    "eval",
    "powershell",
    "script",
    "http",
    "base64",
    "decode",
    "kernel32",
    "loadlibrary",
    "virtualalloc",
    "wscript",
    "adodb",
    "stream",
];

/// `n` static bytes of a signature: random bytes, or words with a
/// 4-character nonce stamped in (as gen-sigs.py does, so that word
/// signatures do not collide).
fn part(r: &mut Rng, n: usize) -> Vec<u8> {
    if r.below(10) < 6 {
        return r.bytes(n);
    }
    let mut s = Vec::new();
    while s.len() < n {
        s.extend_from_slice(r.word().as_bytes());
        s.push(b" ./=("[r.below(5)]);
    }
    s.truncate(n);
    let alnum = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let at = r.below(n - 3);
    for b in &mut s[at..at + 4] {
        *b = alnum[r.below(alnum.len())];
    }
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` body signatures of 8 to 40 bytes; one in four has a bounded
/// gap, one in eight a `*`.
fn sigs(n: usize) -> String {
    let mut r = Rng(7);
    let mut out = String::new();
    for i in 0..n {
        let len = 8 + r.below(33);
        let body = match i % 8 {
            0 | 4 => format!(
                "{}{{0-8}}{}",
                hex(&part(&mut r, 6)),
                hex(&part(&mut r, len))
            ),
            2 => format!("{}*{}", hex(&part(&mut r, 6)), hex(&part(&mut r, len))),
            _ => hex(&part(&mut r, len)),
        };
        out.push_str(&format!("Bench.Sig.{i}:0:*:{body}\n"));
    }
    out
}

/// 8 MiB cycling through 4 KiB segments of random bytes, word soup,
/// UTF-16LE words and sparse binary (mostly zeros). An ELF magic at the
/// start keeps it from passing ClamAV's text test, so only the raw
/// matcher runs (a text file is also scanned as normalized text).
fn haystack() -> Vec<u8> {
    let mut r = Rng(99);
    let mut hay = Vec::with_capacity(8 << 20);
    let mut k = 0;
    while hay.len() < 8 << 20 {
        let mut seg = Vec::with_capacity(4096);
        while seg.len() < 4096 {
            match k % 4 {
                0 => seg.extend(r.bytes(64)),
                1 => {
                    seg.extend_from_slice(r.word().as_bytes());
                    seg.push(b" .\n,"[r.below(4)]);
                }
                2 => {
                    for c in r.word().bytes().chain(*b" ") {
                        seg.extend_from_slice(&[c, 0]);
                    }
                }
                _ => {
                    seg.extend_from_slice(&[0; 15]);
                    seg.push(r.next() as u8);
                }
            }
        }
        seg.truncate(4096);
        hay.extend(seg);
        k += 1;
    }
    hay[..4].copy_from_slice(b"\x7fELF");
    hay
}

fn compile(n: usize) -> Database {
    let mut l = Loader::new(LoadOptions::default());
    l.add("bench.ndb", sigs(n).as_bytes())
        .expect("valid signatures");
    l.compile().expect("compiles")
}

/// The memchr ceiling: every NUL byte of the buffer.
fn memchr_ceiling(g: &mut BenchmarkGroup<'_, WallTime>, hay: &[u8]) {
    g.bench_function("memchr_ceiling", |b| {
        b.iter(|| memchr::memchr_iter(0x00, hay).count())
    });
}

fn matcher(c: &mut Criterion) {
    let hay = haystack();
    for n in [1_000usize, 10_000, 100_000] {
        let db = compile(n);
        let mut g = c.benchmark_group(format!("matcher_{n}"));
        g.throughput(Throughput::Bytes(hay.len() as u64));
        g.sample_size(10);
        memchr_ceiling(&mut g, &hay);
        g.bench_function("sigscan", |b| b.iter(|| db.scan_bytes(&hay, true).len()));
        g.finish();
    }
}

fn anchors(c: &mut Criterion) {
    let mut hay = haystack();
    for n in [10_000usize, 100_000] {
        let db = compile(n);
        let search = AnchorSearch::new(&db);
        let anchors: Vec<&[u8]> = search.anchors().iter().map(|a| a.0).collect();
        // Plant one anchor every 64 KiB, so both searches find some.
        for (i, a) in anchors.iter().step_by(97).take(128).enumerate() {
            let at = (i << 16) + 1000;
            hay[at..at + a.len()].copy_from_slice(a);
        }
        let found = search.count(&hay);

        let mut g = c.benchmark_group(format!("anchors_{n}"));
        g.throughput(Throughput::Bytes(hay.len() as u64));
        g.sample_size(10);
        memchr_ceiling(&mut g, &hay);
        g.bench_function("qgram_index", |b| b.iter(|| search.count(&hay)));
        // The two fastest configurations found (slower or no faster: a
        // noncontiguous NFA at 10k and 100k; dense depths 0 to 6, byte
        // classes on and off, prefilter off at 10k): a DFA without byte
        // classes (one table lookup per byte, no class lookup), and the
        // contiguous NFA the builder picks by itself for these sets.
        let configs = [
            ("aho_corasick_dfa", Some(AhoCorasickKind::DFA), false),
            (
                "aho_corasick_contiguous_nfa",
                Some(AhoCorasickKind::ContiguousNFA),
                true,
            ),
        ];
        for (name, kind, byte_classes) in configs {
            let ac = AhoCorasick::builder()
                .kind(kind)
                .match_kind(MatchKind::Standard)
                .prefilter(true)
                .byte_classes(byte_classes)
                .build(&anchors)
                .expect("automaton builds");
            // The same work: every occurrence of every anchor.
            assert_eq!(ac.find_overlapping_iter(&hay).count(), found, "{name}");
            g.bench_function(name, |b| b.iter(|| ac.find_overlapping_iter(&hay).count()));
        }
        g.finish();
    }
}

criterion_group!(benches, anchors, matcher);
criterion_main!(benches);
