//! Parser and compiler on arbitrary text: errors, never a panic, a
//! stack overflow (deep nesting) or unbounded time.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sieve_engine::{Limits, check_syntax, compile_with};

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    let _ = check_syntax(&src);
    let limits = Limits {
        max_script_size: 64 * 1024,
        ..Limits::default()
    };
    if let Err(e) = compile_with(&src, &limits) {
        assert!(
            !e.errors.is_empty(),
            "a compile error names at least one problem"
        );
    }
});
