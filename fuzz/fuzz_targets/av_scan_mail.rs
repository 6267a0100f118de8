//! Scanning mail: MIME parsing, base64/QP decoding and nested messages,
//! with a small database that has body, hash and logical signatures.
//! The streaming scanner, fed the same bytes in pieces, must agree.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rampart_av_sigscan::{Database, LoadOptions, Loader, ScanOptions};

fn db() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| {
        let mut l = Loader::new(LoadOptions::default());
        l.add(
            "f.ndb",
            b"Fuzz.Any:0:*:4d5a{-64}5045\nFuzz.Mail:4:*:6576696c*636f6465\n\
              Fuzz.Eof:0:EOF-4:(61|62)626364\nFuzz.Text:7:*:68656c6c6f20776f726c64\n\
              Fuzz.Edge:0:*:(B)6a756e6b(B)\n",
        )
        .expect("valid ndb");
        l.add(
            "f.ldb",
            b"Fuzz.L;Engine:51-255,Target:0;0&1;78797a::i;0/q[0-9]+/\n",
        )
        .expect("valid ldb");
        l.add("f.hdb", b"44d88612fea8a8f36de82e1278abb02f:68:Fuzz.Hash\n")
            .expect("valid hdb");
        l.compile().expect("compiles")
    })
}

fn names(r: &rampart_av_sigscan::ScanReport<'_>) -> Vec<String> {
    let mut v: Vec<String> = r.detections.iter().map(|d| d.name.to_string()).collect();
    v.sort();
    v
}

fuzz_target!(|data: &[u8]| {
    let opts = ScanOptions {
        all_matches: true,
        archives: false,
        ..ScanOptions::default()
    };
    let all = db().scan(data, &opts);
    // Nothing is allow-listed, so the file itself is scanned (unless it
    // is too small for ClamAV to look at).
    assert!(data.len() <= 5 || all.scanned_bytes >= data.len() as u64);
    // The first match is one of all matches.
    let first = db().scan(
        data,
        &ScanOptions {
            all_matches: false,
            ..opts
        },
    );
    assert!(first.detections.len() <= 1);
    for d in &first.detections {
        assert!(
            all.detections.iter().any(|a| a.name == d.name),
            "{}",
            d.name
        );
    }
    // In pieces of a size the input picks, the same detections.
    let piece = 1 + usize::from(data.first().copied().unwrap_or(0));
    let mut s = db().stream(&opts);
    for c in data.chunks(piece) {
        s.write(c);
    }
    assert_eq!(names(&s.finish()), names(&all));
});
