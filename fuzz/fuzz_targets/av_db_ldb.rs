//! `.ldb` logical signature lines: expressions, sub-signature modifiers,
//! target descriptions and PCRE parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_av_sigscan::{LoadOptions, Loader};

fuzz_target!(|data: &[u8]| {
    let mut l = Loader::new(LoadOptions { lenient: true });
    if l.add("f.ldb", data).is_err() {
        return;
    }
    if let Ok(db) = l.compile() {
        let _ = db.scan_bytes(data, true);
    }
});
