//! The Bayes tokenizer and the rule scorer over arbitrary messages:
//! never a panic, deterministic output, bounded token counts, finite
//! scores.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rampart_spam_bayes::{Facts, Scorer, Tokenizer};

static SCORER: OnceLock<Scorer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let t = Tokenizer::default();
    let set = t.tokenize(data);
    assert!(set.len() <= t.config().max_tokens);
    assert_eq!(set, t.tokenize(data));
    let report = SCORER.get_or_init(Scorer::default).score(
        data,
        Some(0.7),
        &Facts::new().now(1_800_000_000),
    );
    assert!(report.score.is_finite());
    assert_eq!(report.is_spam, report.score >= report.required);
});
