//! Plugging a different token store under the classifier: the shape a
//! shared, networked store (Redis, as SpamAssassin and rspamd use) would
//! take. Here the "server" is an in-process map behind a mutex that can
//! be switched off, to show how its failures reach the caller; a
//! classification costs two round trips: the totals and one batched
//! lookup of all the message's tokens.
//!
//! ```sh
//! cargo run -p rampart-examples --example bayes_custom_store
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rampart_spam_bayes::{
    Bayes, BayesConfig, BayesError, Change, Class, Direction, TokenCounts, TokenStore, Tokenizer,
    Totals,
};

/// What a remote store can fail with.
#[derive(Debug)]
struct Unavailable;

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("token server unavailable")
    }
}

impl std::error::Error for Unavailable {}

#[derive(Default)]
struct Shared {
    tokens: HashMap<u64, TokenCounts>,
    learned: HashMap<[u8; 16], Class>,
    totals: Totals,
}

/// A store reached through "round trips".
#[derive(Default)]
struct RemoteStore {
    server: Mutex<Shared>,
    up: AtomicBool,
    round_trips: AtomicUsize,
}

impl RemoteStore {
    fn call<T>(&self, f: impl FnOnce(&mut Shared) -> T) -> Result<T, Unavailable> {
        if !self.up.load(Ordering::Relaxed) {
            return Err(Unavailable);
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let mut guard = self.server.lock().map_err(|_| Unavailable)?;
        Ok(f(&mut guard))
    }
}

impl TokenStore for RemoteStore {
    type Error = Unavailable;

    fn totals(&self) -> Result<Totals, Unavailable> {
        self.call(|s| s.totals)
    }

    fn lookup(&self, tokens: &[u64], out: &mut Vec<TokenCounts>) -> Result<(), Unavailable> {
        self.call(|s| {
            out.clear();
            out.extend(
                tokens
                    .iter()
                    .map(|t| s.tokens.get(t).copied().unwrap_or_default()),
            );
        })
    }

    fn learned(&self, digest: &[u8; 16]) -> Result<Option<Class>, Unavailable> {
        self.call(|s| s.learned.get(digest).copied())
    }

    fn apply(&mut self, c: &Change<'_>) -> Result<(), Unavailable> {
        self.call(|s| {
            let add = c.direction == Direction::Add;
            for t in c.tokens {
                let e = s.tokens.entry(*t).or_default();
                let n = if c.class == Class::Spam {
                    &mut e.spam
                } else {
                    &mut e.ham
                };
                *n = if add {
                    n.saturating_add(1)
                } else {
                    n.saturating_sub(1)
                };
                if add {
                    e.day = c.day;
                }
                if e.spam == 0 && e.ham == 0 {
                    s.tokens.remove(t);
                }
            }
            let total = if c.class == Class::Spam {
                &mut s.totals.spam
            } else {
                &mut s.totals.ham
            };
            if add {
                *total += 1;
                s.learned.insert(c.digest, c.class);
            } else {
                *total = total.saturating_sub(1);
                s.learned.remove(&c.digest);
            }
        })
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::new(BayesConfig {
        min_spam: 2,
        min_ham: 2,
        ..Default::default()
    });
    let mut store = RemoteStore::default();
    store.up.store(true, Ordering::Relaxed);
    let train: [(&str, Class); 4] = [
        (
            "Subject: cheap pills\r\n\r\nBuy cheap pills online now\r\n",
            Class::Spam,
        ),
        (
            "Subject: casino bonus\r\n\r\nFree casino bonus, play now\r\n",
            Class::Spam,
        ),
        (
            "Subject: standup\r\n\r\nStandup moved to ten tomorrow\r\n",
            Class::Ham,
        ),
        (
            "Subject: patch review\r\n\r\nI reviewed the parser patch\r\n",
            Class::Ham,
        ),
    ];
    for (msg, class) in train {
        bayes.learn(
            &mut store,
            &tokenizer.tokenize(msg.as_bytes()),
            class,
            20_000,
        )?;
    }
    let before = store.round_trips.load(Ordering::Relaxed);
    let probe = tokenizer.tokenize(b"Subject: pills\r\n\r\ncheap pills and a casino bonus\r\n");
    let score = bayes.classify(&store, &probe)?;
    println!(
        "spam probability {:.3} ({}), {} tokens used, {} round trips",
        score.probability,
        score.verdict.as_str(),
        score.tokens_used,
        store.round_trips.load(Ordering::Relaxed) - before
    );

    // The server goes away: the caller gets a typed error, and decides
    // (here: score without Bayes).
    store.up.store(false, Ordering::Relaxed);
    match bayes.classify(&store, &probe) {
        Err(BayesError::Store(e)) => println!("classify failed: {e}; scoring without Bayes"),
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
