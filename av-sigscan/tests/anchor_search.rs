//! The anchor index finds exactly the anchor occurrences that an
//! Aho-Corasick automaton over the same anchors finds (overlapping
//! search: every occurrence of every anchor), on inputs dense with
//! them, across block boundaries, for both probe strides.

use aho_corasick::{AhoCorasick, MatchKind};
use rampart_av_sigscan::anchor_search::AnchorSearch;
use rampart_av_sigscan::{Database, LoadOptions, Loader};

/// xorshift64: deterministic test data.
struct Rng(u64, usize);

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

    /// A byte of a small alphabet (its size is the second field), now
    /// and then any byte, so that anchors occur often.
    fn byte(&mut self) -> u8 {
        if self.below(50) == 0 {
            self.next() as u8
        } else {
            b'a' + self.below(self.1) as u8
        }
    }
}

/// `n` signatures of one to three parts joined by `*`, each part 2 to 9
/// bytes (3 at least in all), so anchors of every length are chosen;
/// with `four`, every part has 4 bytes.
fn signatures(rng: &mut Rng, n: usize, four: bool) -> String {
    let mut out = String::new();
    for i in 0..n {
        let parts = 1 + rng.below(3);
        let mut body = Vec::new();
        for p in 0..parts {
            let min = if parts == 1 { 3 } else { 2 };
            let len = if four { 4 } else { min + rng.below(10 - min) };
            let hex: String = (0..len).map(|_| format!("{:02x}", rng.byte())).collect();
            if p > 0 {
                body.push("*".to_string());
            }
            body.push(hex);
        }
        out.push_str(&format!("T.{i}:0:*:{}\n", body.concat()));
    }
    out
}

fn compile(sigs: &str) -> Database {
    let mut l = Loader::new(LoadOptions::default());
    l.add("t.ndb", sigs.as_bytes()).expect("valid signatures");
    l.compile().expect("compiles")
}

/// Sorted (anchor, start) pairs.
type Found = Vec<(usize, usize)>;

/// Both searches over `hay`: (ours, aho-corasick's).
fn both(db: &Database, hay: &[u8]) -> (Found, Found) {
    let search = AnchorSearch::new(db);
    let anchors = search.anchors();
    assert!(anchors.iter().all(|a| !a.1), "no case-insensitive anchors");
    let mut ours = Vec::new();
    search.for_each(hay, |a, start| ours.push((a, start)));
    ours.sort_unstable();

    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(anchors.iter().map(|a| a.0))
        .expect("automaton builds");
    let mut theirs: Found = ac
        .find_overlapping_iter(hay)
        .map(|m| (m.pattern().as_usize(), m.start()))
        .collect();
    theirs.sort_unstable();
    (ours, theirs)
}

#[test]
fn same_occurrences_as_aho_corasick() {
    // The first sets keep a stride of 2; the last has more 4-byte runs
    // than the index allows at that stride, so it probes every byte. The
    // alphabets keep the occurrences many but the test quick. 70,000
    // bytes cross a block boundary of the scan.
    let cases = [
        (1u64, 300, false, 5),
        (2, 1000, false, 8),
        (3, 5000, true, 16),
    ];
    for (seed, n, four, letters) in cases {
        let mut rng = Rng(seed, letters);
        let db = compile(&signatures(&mut rng, n, four));
        let hay: Vec<u8> = (0..70_000).map(|_| rng.byte()).collect();
        let (ours, theirs) = both(&db, &hay);
        assert!(theirs.len() > 5_000, "seed {seed}: {} found", theirs.len());
        assert_eq!(ours.len(), theirs.len(), "seed {seed}");
        assert!(ours == theirs, "seed {seed}: the occurrences differ");
    }
}

#[test]
fn occurrences_at_both_ends() {
    // Anchors of 2, 3, 4 and 5 bytes at the very start and end.
    let db = compile("A:0:*:6162*7879\nB:0:*:6b6c6d\nC:0:*:70717273\nD:0:*:3132333435\n");
    for hay in [
        &b"abklmpqrs12345xy"[..],
        b"xy12345pqrsklmab",
        b"12345",
        b"ab",
    ] {
        let (ours, theirs) = both(&db, hay);
        assert_eq!(ours, theirs, "{}", String::from_utf8_lossy(hay));
    }
}
