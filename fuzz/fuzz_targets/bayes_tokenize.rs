//! The Bayes tokenizer and the rule scorer over arbitrary messages:
//! never a panic, deterministic output, bounded token counts, hashes
//! equal to the hashes of the token strings and to those of the whole
//! parse, finite scores.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rampart_spam_bayes::{Facts, Scorer, TokenSet, Tokenizer};

static SCORER: OnceLock<Scorer> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let t = Tokenizer::default();
    let set = t.tokenize(data);
    assert!(set.len() <= t.config().max_tokens);
    assert_eq!(set, t.tokenize(data));
    // Hashing on the fly gives the hashes of the token strings.
    assert_eq!(t.token_hashes(data), set.hashes());
    // The shortcut for simple messages changes nothing.
    assert_eq!(t.token_hashes_full_parse(data), set.hashes());
    let strings = t.token_strings(data);
    let from_strings = TokenSet::from_tokens(set.digest(), strings.iter().map(String::as_str));
    assert_eq!(from_strings, set);
    let report = SCORER.get_or_init(Scorer::default).score(
        data,
        Some(0.7),
        &Facts::new().now(1_800_000_000),
    );
    assert!(report.score.is_finite());
    assert_eq!(report.is_spam, report.score >= report.required);
});
