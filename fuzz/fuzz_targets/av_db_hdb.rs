//! Hash databases (`.hdb .hsb .mdb .msb .fp .sfp .ign .ign2`) and
//! containers (`.cvd .cld .cud`): the first byte picks the type, the
//! rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_av_sigscan::{LoadOptions, Loader};

const TYPES: [&str; 11] = [
    "f.hdb", "f.hsb", "f.mdb", "f.msb", "f.fp", "f.sfp", "f.ign", "f.ign2", "f.cvd", "f.cld",
    "f.cud",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let name = TYPES[usize::from(sel) % TYPES.len()];
    let mut l = Loader::new(LoadOptions::default());
    if l.add(name, rest).is_err() {
        return;
    }
    if let Ok(db) = l.compile() {
        let _ = db.scan_bytes(rest, true);
    }
});
