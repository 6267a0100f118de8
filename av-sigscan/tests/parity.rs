//! Detection parity: a generated signature set with planted instances
//! and near-miss decoys, checked against the known truth and, when
//! `clamscan` is installed, against clamscan on the very same files.
//!
//! The generator is deterministic (fixed seeds): every body signature
//! kind the matcher supports (plain, `??`, nibbles, `*`, bounded gaps,
//! alternatives and negated alternatives), the offset forms `*`, `n`,
//! `n,m` and `EOF-n`, `.hdb`/`.hsb` hashes and `.ldb` logical
//! signatures, in plain files, base64 mail attachments and stored zip
//! members.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

mod common;

use rampart_av_sigscan::{Database, LoadOptions, Loader, ScanOptions};

/// xorshift64*: small, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn bytes_between(&mut self, lo: usize, hi: usize) -> Vec<u8> {
        let n = self.range(lo, hi);
        self.bytes(n)
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Where a body instance must go.
#[derive(Clone, Copy, Debug)]
enum Place {
    Any,
    /// Starts exactly at this offset.
    Abs(usize),
    /// Starts in `[n, n + m]`.
    Float(usize, usize),
    /// Starts exactly `n` bytes before the end.
    Eof(usize),
}

/// One generated signature with a matching instance and a near miss.
struct Gen {
    name: String,
    instance: Vec<u8>,
    decoy: Vec<u8>,
    place: Place,
    /// For a decoy that is the right bytes at a wrong place.
    decoy_place: Place,
}

/// Generates one `.ndb` line and its instance/decoy pair.
fn body_sig(rng: &mut Rng, i: usize) -> (String, Gen) {
    let name = format!("Parity.Body.{i}");
    let a = rng.bytes_between(4, 12);
    let b = rng.bytes_between(4, 12);
    let (sig, instance, decoy) = match i % 7 {
        0 => {
            let mut d = a.clone();
            *d.last_mut().unwrap() ^= 0x5a;
            (hex(&a), a.clone(), d)
        }
        1 => {
            // a ?? b
            let x = rng.next() as u8;
            let inst = [&a[..], &[x], &b[..]].concat();
            let mut d = inst.clone();
            d[a.len() + 1] ^= 0x01;
            (format!("{}??{}", hex(&a), hex(&b)), inst, d)
        }
        2 => {
            // a c? b: high nibble fixed
            let hi = rng.next() as u8 & 0xf0;
            let lo = rng.next() as u8 & 0x0f;
            let inst = [&a[..], &[hi | lo], &b[..]].concat();
            let mut d = inst.clone();
            d[a.len()] ^= 0x80;
            (format!("{}{:x}?{}", hex(&a), hi >> 4, hex(&b)), inst, d)
        }
        3 => {
            // a * b; the decoy has b before a.
            let gap = rng.bytes_between(0, 40);
            let inst = [&a[..], &gap[..], &b[..]].concat();
            let d = [&b[..], &gap[..], &a[..]].concat();
            (format!("{}*{}", hex(&a), hex(&b)), inst, d)
        }
        4 => {
            // a {n-m} b; the decoy's gap is one too long.
            let n = rng.range(0, 6);
            let m = n + rng.range(0, 6);
            let g = rng.range(n, m);
            let gap = rng.bytes(g);
            let inst = [&a[..], &gap[..], &b[..]].concat();
            let long = rng.bytes(m + 1);
            let d = [&a[..], &long[..], &b[..]].concat();
            (format!("{}{{{n}-{m}}}{}", hex(&a), hex(&b)), inst, d)
        }
        5 => {
            // a (x|y|z) b; the decoy uses a byte outside the set.
            let alts = [0x11u8, 0x22, 0x33];
            let pick = alts[rng.below(3)];
            let inst = [&a[..], &[pick], &b[..]].concat();
            let d = [&a[..], &[0x44], &b[..]].concat();
            (format!("{}(11|22|33){}", hex(&a), hex(&b)), inst, d)
        }
        _ => {
            // a !(x|y) b; the decoy uses an excluded byte.
            let inst = [&a[..], &[0x77], &b[..]].concat();
            let d = [&a[..], &[0x55], &b[..]].concat();
            (format!("{}!(55|66){}", hex(&a), hex(&b)), inst, d)
        }
    };
    // Offsets: mostly '*', some absolute, floating and EOF-relative.
    let (offset, place, decoy_place, decoy) = match rng.below(8) {
        0 => {
            let n = rng.range(0, 200);
            (
                n.to_string(),
                Place::Abs(n),
                Place::Abs(n + 1),
                instance.clone(),
            )
        }
        1 => {
            let (n, m) = (rng.range(0, 100), rng.range(1, 50));
            (
                format!("{n},{m}"),
                Place::Float(n, m),
                Place::Abs(n + m + 1),
                instance.clone(),
            )
        }
        2 => {
            let n = instance.len() + rng.range(0, 100);
            (
                format!("EOF-{n}"),
                Place::Eof(n),
                Place::Eof(n + 1),
                instance.clone(),
            )
        }
        _ => ("*".to_string(), Place::Any, Place::Any, decoy),
    };
    let line = format!("{name}:0:{offset}:{sig}");
    (
        line,
        Gen {
            name,
            instance,
            decoy,
            place,
            decoy_place,
        },
    )
}

/// A payload in three regions, so that instances never overlap: a
/// head for absolute and floating offsets (all below 400), a middle
/// for `*` instances, and a tail for `EOF-n` ones (all n below 200).
struct Payload {
    head: Vec<u8>,
    /// Random chunks; `*` instances go between them, never inside
    /// another instance.
    middle: Vec<Vec<u8>>,
    tail: Vec<u8>,
}

impl Payload {
    fn new(rng: &mut Rng) -> Payload {
        let n = rng.range(0, 3000);
        Payload {
            head: rng.bytes(400),
            middle: rng.bytes(n).chunks(n / 4 + 1).map(<[u8]>::to_vec).collect(),
            tail: rng.bytes(200),
        }
    }

    /// Puts `what` where `place` requires.
    fn plant(&mut self, rng: &mut Rng, what: &[u8], place: Place) {
        match place {
            Place::Any => {
                let at = rng.range(0, self.middle.len());
                self.middle.insert(at, what.to_vec());
            }
            Place::Abs(n) => self.head[n..n + what.len()].copy_from_slice(what),
            Place::Float(n, m) => {
                let at = n + rng.range(0, m);
                self.head[at..at + what.len()].copy_from_slice(what);
            }
            Place::Eof(n) => {
                let at = self.tail.len() - n;
                self.tail[at..at + what.len()].copy_from_slice(what);
            }
        }
    }

    fn bytes(self) -> Vec<u8> {
        [self.head, self.middle.concat(), self.tail].concat()
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, c) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn mail_with(attachment: &[u8]) -> Vec<u8> {
    format!(
        "From: a@example.org\r\nTo: b@example.org\r\nSubject: parity\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n\
         --b1\r\nContent-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"x.bin\"\r\n\r\n{}\r\n--b1--\r\n",
        base64(attachment)
    )
    .into_bytes()
}

fn zip_stored(name: &str, data: &[u8]) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let crc = crc.sum();
    let n = name.len() as u16;
    let size = data.len() as u32;
    let mut z = Vec::new();
    z.extend_from_slice(b"PK\x03\x04\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&n.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(data);
    let cd = z.len() as u32;
    z.extend_from_slice(b"PK\x01\x02\x14\x00\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    z.extend_from_slice(&crc.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&size.to_le_bytes());
    z.extend_from_slice(&n.to_le_bytes());
    z.extend_from_slice(&[0; 12]);
    z.extend_from_slice(&0u32.to_le_bytes());
    z.extend_from_slice(name.as_bytes());
    let cd_len = z.len() as u32 - cd;
    z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    z.extend_from_slice(&cd_len.to_le_bytes());
    z.extend_from_slice(&cd.to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

/// The generated world: database files, scanned files, and truth.
struct Corpus {
    dbs: Vec<(String, String)>,
    files: Vec<(String, Vec<u8>)>,
    /// File name -> names that must be found.
    expected: BTreeMap<String, BTreeSet<String>>,
    /// File name -> names that must not be found.
    decoys: BTreeMap<String, BTreeSet<String>>,
}

fn generate(seed: u64, nsigs: usize, nfiles: usize) -> Corpus {
    let mut rng = Rng(seed | 1);
    let mut ndb = String::new();
    let mut gens = Vec::new();
    for i in 0..nsigs {
        let (line, g) = body_sig(&mut rng, i);
        writeln!(ndb, "{line}").unwrap();
        gens.push(g);
    }
    // Logical signatures: two parts in either order, or a count.
    let mut ldb = String::new();
    let mut lgens = Vec::new();
    for i in 0..nsigs / 20 {
        let (a, b) = (rng.bytes(6), rng.bytes(6));
        let name = format!("Parity.Logical.{i}");
        writeln!(
            ldb,
            "{name};Engine:51-255,Target:0;0&1;{};{}",
            hex(&a),
            hex(&b)
        )
        .unwrap();
        lgens.push((name, a, b));
    }
    // Hash signatures over whole blobs.
    let (mut hdb, mut hsb, mut blobs) = (String::new(), String::new(), Vec::new());
    for i in 0..nsigs / 10 {
        use md5::Digest;
        let blob = rng.bytes_between(10, 3000);
        let name = format!("Parity.Hash.{i}");
        if i % 2 == 0 {
            writeln!(
                hdb,
                "{}:{}:{name}",
                hex(&md5::Md5::digest(&blob)),
                blob.len()
            )
            .unwrap();
        } else {
            writeln!(
                hsb,
                "{}:{}:{name}",
                hex(&sha2::Sha256::digest(&blob)),
                blob.len()
            )
            .unwrap();
        }
        blobs.push((name, blob));
    }

    let mut c = Corpus {
        dbs: vec![
            ("parity.ndb".into(), ndb),
            ("parity.ldb".into(), ldb),
            ("parity.hdb".into(), hdb),
            ("parity.hsb".into(), hsb),
        ],
        files: Vec::new(),
        expected: BTreeMap::new(),
        decoys: BTreeMap::new(),
    };
    for f in 0..nfiles {
        let mut p = Payload::new(&mut rng);
        let (mut want, mut not) = (BTreeSet::new(), BTreeSet::new());
        let mut blob = None;
        match rng.below(10) {
            0 => {
                // A hash blob, sometimes with one byte changed.
                let (name, b) = &blobs[rng.below(blobs.len())];
                let mut b = b.clone();
                if rng.below(2) == 0 {
                    b[0] ^= 1;
                    not.insert(name.clone());
                } else {
                    want.insert(name.clone());
                }
                blob = Some(b);
            }
            1 => {
                let (name, a, b) = &lgens[rng.below(lgens.len())];
                p.plant(&mut rng, b, Place::Any);
                if rng.below(3) == 0 {
                    not.insert(name.clone());
                } else {
                    p.plant(&mut rng, a, Place::Any);
                    want.insert(name.clone());
                }
            }
            2 | 3 => {
                // A near miss only.
                let g = &gens[rng.below(gens.len())];
                p.plant(&mut rng, &g.decoy, g.decoy_place);
                not.insert(g.name.clone());
            }
            4 => {}
            _ => {
                // At most one positional instance, and one to three
                // floating ones.
                let mut positional = false;
                for _ in 0..rng.range(1, 3) {
                    let g = &gens[rng.below(gens.len())];
                    let pos = !matches!(g.place, Place::Any);
                    if (pos && positional) || want.contains(&g.name) {
                        continue;
                    }
                    positional |= pos;
                    p.plant(&mut rng, &g.instance, g.place);
                    want.insert(g.name.clone());
                }
            }
        }
        let payload = blob.unwrap_or_else(|| p.bytes());
        let (name, bytes) = match rng.below(6) {
            0 => (format!("mail-{f:04}.eml"), mail_with(&payload)),
            1 => (format!("zip-{f:04}.zip"), zip_stored("m.bin", &payload)),
            _ => (format!("file-{f:04}.bin"), payload),
        };
        c.expected.insert(name.clone(), want);
        c.decoys.insert(name.clone(), not);
        c.files.push((name, bytes));
    }
    c
}

fn load(c: &Corpus) -> Database {
    let mut l = Loader::new(LoadOptions::default());
    for (name, text) in &c.dbs {
        l.add(name, text.as_bytes()).expect("generated line loads");
    }
    l.compile().expect("compiles")
}

fn ours(db: &Database, c: &Corpus) -> BTreeMap<String, BTreeSet<String>> {
    let opts = ScanOptions {
        all_matches: true,
        ..ScanOptions::default()
    };
    c.files
        .iter()
        .map(|(name, bytes)| {
            let found = db
                .scan(bytes, &opts)
                .detections
                .iter()
                .map(|d| d.name.to_string())
                .collect();
            (name.clone(), found)
        })
        .collect()
}

#[test]
fn generated_set_matches_truth() {
    for seed in [1u64, 2, 3] {
        let c = generate(seed, 600, 300);
        let db = load(&c);
        let got = ours(&db, &c);
        let mut planted = 0;
        for (file, found) in &got {
            let want = &c.expected[file];
            planted += want.len();
            for w in want {
                assert!(
                    found.contains(w),
                    "seed {seed}: {file}: {w} planted but not found ({found:?})"
                );
            }
            for n in &c.decoys[file] {
                assert!(
                    !found.contains(n),
                    "seed {seed}: {file}: decoy of {n} matched"
                );
            }
        }
        assert!(planted > 100, "seed {seed}: only {planted} planted");
    }
}

#[test]
fn generated_set_matches_clamscan() {
    let c = generate(42, 800, 400);
    let db = load(&c);
    let got = ours(&db, &c);
    let dir = std::env::temp_dir().join(format!("av-parity-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("db")).unwrap();
    std::fs::create_dir_all(dir.join("files")).unwrap();
    for (name, text) in &c.dbs {
        std::fs::write(dir.join("db").join(name), text).unwrap();
    }
    for (name, bytes) in &c.files {
        std::fs::write(dir.join("files").join(name), bytes).unwrap();
    }
    let theirs = common::clamscan(&dir);
    std::fs::remove_dir_all(&dir).ok();
    let Some(theirs) = theirs else {
        common::skipped_without_clamscan();
        return;
    };
    let mut diffs = Vec::new();
    for (file, found) in &got {
        let t = theirs.get(file).cloned().unwrap_or_default();
        if &t != found {
            diffs.push(format!("{file}: clamscan {t:?}, rampart {found:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} mismatches:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    let detections: usize = got.values().map(BTreeSet::len).sum();
    println!(
        "{} files, {detections} detections, identical to clamscan",
        got.len()
    );
}
