//! Rule configuration, in SpamAssassin syntax and in the TOML form:
//! arbitrary text gives a scorer or an error, never a panic, and a
//! scorer built from it scores a message.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rampart_spam_bayes::{Facts, ScorerBuilder};

const MESSAGE: &[u8] = b"From: a@example.com\r\nTo: b@example.net\r\nSubject: Hello there\r\n\
Content-Type: text/html\r\n\r\n<a href=\"http://192.0.2.1/\">www.bank.example</a> free money\r\n";

/// The default rules, compiled once; cloning shares the compiled regexes.
static DEFAULTS: OnceLock<ScorerBuilder> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for built in [
        ScorerBuilder::empty().cf(text).and_then(|b| b.build()),
        DEFAULTS
            .get_or_init(ScorerBuilder::new)
            .clone()
            .toml(text)
            .and_then(|b| b.build()),
    ] {
        if let Ok(scorer) = built {
            let r = scorer.score(MESSAGE, Some(0.9), &Facts::new().with("RCVD_IN_XBL"));
            assert!(!r.score.is_nan());
        }
    }
});
