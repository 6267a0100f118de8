//! `.ndb` body signature lines (and legacy `.db`): loading must give a
//! database or a clear error, and a compiled database must scan its own
//! input without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_av_sigscan::{LoadOptions, Loader};

fuzz_target!(|data: &[u8]| {
    for name in ["f.ndb", "f.db"] {
        for lenient in [false, true] {
            let mut l = Loader::new(LoadOptions { lenient });
            if l.add(name, data).is_err() {
                continue;
            }
            if let Ok(db) = l.compile() {
                let _ = db.scan_bytes(data, true);
            }
        }
    }
});
