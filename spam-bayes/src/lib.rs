//! Mail tokenizer, naive-Bayes spam classifier and token store.
//!
//! - [`Tokenizer`] turns a raw message into a [`TokenSet`]: hashed
//!   tokens from the headers (with the header as a prefix; delivery and
//!   filing stamps left out, as SpamAssassin does), every Received hop,
//!   decoded bodies, HTML with link hosts kept, URLs, numbers by shape
//!   and attachments. Capped and deterministic; tokens are hashed as
//!   they are produced.
//! - [`Bayes`] holds the arithmetic: Robinson's per-token probability
//!   and Fisher's inverse chi-square combining, as in SpamBayes,
//!   SpamAssassin and bogofilter, with an unsure band and a minimum
//!   amount of training. The default constants were chosen by
//!   cross-validation on the training half of the SpamAssassin corpus
//!   (see [`BayesConfig::default`]).
//! - [`TokenStore`] is where counts live; [`MemoryStore`] keeps them in
//!   memory (open addressing, one memory access per token looked up)
//!   and serializes to a compact versioned format, and [`mod@file`]
//!   saves that crash-safely.
//! - [`Scorer`] scores a message SpamAssassin-style: header, body,
//!   raw-body, URI and meta rules with overridable weights, the Bayes
//!   probability as banded rules and caller-supplied facts (DNSBL, SPF,
//!   virus), giving a [`Report`] with the `X-Spam-*` headers.
//!
//! The core does no I/O and reads no clock: the current day is an
//! argument. Only [`mod@file`] touches the file system.
//!
//! ```
//! use rampart_spam_bayes::{Bayes, BayesConfig, Class, MemoryStore, Tokenizer, Verdict};
//!
//! let tokenizer = Tokenizer::default();
//! let bayes = Bayes::new(BayesConfig { min_spam: 1, min_ham: 1, ..Default::default() });
//! let mut store = MemoryStore::new();
//! let today = 20_000; // days since 1970-01-01, from the caller's clock
//!
//! let spam = b"Subject: cheap pills\r\n\r\nBuy cheap pills now, best price online!\r\n";
//! let ham = b"Subject: meeting notes\r\n\r\nNotes from the design meeting are attached.\r\n";
//! bayes.learn(&mut store, &tokenizer.tokenize(spam), Class::Spam, today)?;
//! bayes.learn(&mut store, &tokenizer.tokenize(ham), Class::Ham, today)?;
//!
//! let new = b"Subject: pills\r\n\r\nCheap pills, best price!\r\n";
//! let score = bayes.classify(&store, &tokenizer.tokenize(new))?;
//! assert_eq!(score.verdict, Verdict::Spam);
//! assert!(score.probability > 0.9);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod classify;
mod eval;
pub mod file;
mod frozen;
mod score;
mod store;
mod table;
mod tokenize;

pub use classify::{
    Bayes, BayesConfig, BayesError, Class, LearnOutcome, Score, Verdict, chi2_upper, combine,
    fisher, robinson,
};
pub use eval::roc_auc;
pub use frozen::{FrozenStore, ReadOnly};
pub use score::{
    ConfigError, ConfigWarning, DEFAULT_RULES, Facts, Hit, Report, ScanLimits, Scorer,
    ScorerBuilder,
};
pub use store::{Change, Direction, FormatError, MemoryStore, TokenCounts, TokenStore, Totals};
pub use tokenize::{TokenSet, Tokenizer, TokenizerConfig, split_mbox, token_hash};
