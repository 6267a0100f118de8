//! Scanning archives (zip, gzip, tar, nested) within tight limits: no
//! panic, memory bounded by the limits however the input inflates, and
//! the streaming scanner agrees with the whole-buffer scan.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rampart_av_sigscan::{Database, Limits, LoadOptions, Loader, ScanOptions};

fn db() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| {
        let mut l = Loader::new(LoadOptions::default());
        l.add(
            "f.ndb",
            b"Fuzz.Any:0:*:6576696c{0-8}636f6465\nFuzz.Abs:0:0:4d5a9000\n\
              Fuzz.Star:0:*:504b0304*504b0506\n",
        )
        .expect("valid ndb");
        l.compile().expect("compiles")
    })
}

fuzz_target!(|data: &[u8]| {
    let opts = ScanOptions {
        all_matches: true,
        mail: true,
        archives: true,
        limits: Limits {
            max_depth: 6,
            max_files: 64,
            max_scan_size: 4 << 20,
            max_file_size: 1 << 20,
            max_ratio: 1_000,
        },
    };
    let r = db().scan(data, &opts);
    assert!(r.extracted_files <= 64);
    assert!(r.scanned_bytes <= (4 << 20) + data.len() as u64);
    if data.len() as u64 <= opts.limits.max_file_size {
        let mut s = db().stream(&opts);
        for c in data.chunks(4096) {
            s.write(c);
        }
        let mut a: Vec<&str> = s.finish().detections.iter().map(|d| d.name).collect();
        let mut b: Vec<&str> = r.detections.iter().map(|d| d.name).collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
    }
});
