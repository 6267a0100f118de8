//! Property tests: learning then unlearning gives back the store,
//! probabilities stay in [0, 1], and nothing panics on arbitrary input.

use proptest::prelude::*;
use rampart_spam_bayes::{
    Bayes, BayesConfig, Class, Facts, LearnOutcome, MemoryStore, Scorer, ScorerBuilder, TokenSet,
    Tokenizer, fisher,
};

fn message() -> impl Strategy<Value = Vec<u8>> {
    let words = prop::collection::vec(
        prop::sample::select(vec![
            "cheap",
            "pills",
            "meeting",
            "agenda",
            "free",
            "money",
            "http://a.example/x",
            "www.b.example",
            "<b>",
            "<a href=\"http://c.example\">",
            "</a>",
            "$100",
            "50%",
            "Ünïcödé",
            "\r\n",
            "=?utf-8?B?w6k=?=",
            "!!!",
        ]),
        0..40,
    );
    (any::<bool>(), words).prop_map(|(html, w)| {
        let ct = if html { "text/html" } else { "text/plain" };
        format!(
            "Subject: {}\r\nFrom: x@y.example\r\nContent-Type: {ct}\r\n\r\n{}\r\n",
            w.first().copied().unwrap_or(""),
            w.join(" ")
        )
        .into_bytes()
    })
}

fn bayes() -> Bayes {
    Bayes::new(BayesConfig {
        min_spam: 1,
        min_ham: 1,
        ..Default::default()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn learn_then_unlearn_restores_the_store(
        base in prop::collection::vec((message(), any::<bool>()), 0..8),
        extra in message(),
        spam in any::<bool>(),
    ) {
        let t = Tokenizer::default();
        let b = bayes();
        let mut store = MemoryStore::new();
        for (m, s) in &base {
            let class = if *s { Class::Spam } else { Class::Ham };
            b.learn(&mut store, &t.tokenize(m), class, 7).unwrap();
        }
        let before = store.clone();
        let set = t.tokenize(&extra);
        let class = if spam { Class::Spam } else { Class::Ham };
        let outcome = b.learn(&mut store, &set, class, 7).unwrap();
        match outcome {
            LearnOutcome::Learned => {
                prop_assert_eq!(b.unlearn(&mut store, &set).unwrap(), Some(class));
                prop_assert_eq!(&store, &before);
            }
            // The same message was already in `base` with this class.
            LearnOutcome::AlreadyLearned => prop_assert_eq!(&store, &before),
            // It was in `base` with the other class: moved, not added.
            LearnOutcome::Relearned => {
                let (t0, t1) = (before.message_totals(), store.message_totals());
                prop_assert_eq!(t0.spam + t0.ham, t1.spam + t1.ham);
            }
        }
        // The file format round-trips whatever the contents.
        prop_assert_eq!(MemoryStore::from_bytes(&store.to_bytes()).unwrap(), store);
    }

    #[test]
    fn probabilities_stay_in_range(
        train in prop::collection::vec((message(), any::<bool>()), 2..10),
        probe in message(),
    ) {
        let t = Tokenizer::default();
        let b = bayes();
        let mut store = MemoryStore::new();
        b.learn(&mut store, &TokenSet::from_tokens([1; 16], ["s"]), Class::Spam, 1).unwrap();
        b.learn(&mut store, &TokenSet::from_tokens([2; 16], ["h"]), Class::Ham, 1).unwrap();
        for (m, s) in &train {
            let class = if *s { Class::Spam } else { Class::Ham };
            b.learn(&mut store, &t.tokenize(m), class, 1).unwrap();
        }
        let score = b.classify(&store, &t.tokenize(&probe)).unwrap();
        prop_assert!((0.0..=1.0).contains(&score.probability));
    }

    #[test]
    fn fisher_in_range(ps in prop::collection::vec(0.0f64..=1.0, 0..300)) {
        let p = fisher(&ps);
        prop_assert!((0.0..=1.0).contains(&p), "{}", p);
    }

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..2000)) {
        let t = Tokenizer::default();
        let a = t.tokenize(&raw);
        prop_assert_eq!(a, t.tokenize(&raw));
        let r = Scorer::default().score(&raw, Some(0.5), &Facts::new());
        prop_assert!(r.score.is_finite());
    }

    #[test]
    fn arbitrary_config_never_panics(text in "[ -~\n]{0,300}") {
        let _ = ScorerBuilder::empty().cf(&text).and_then(|b| b.build());
        let _ = ScorerBuilder::empty().toml(&text).and_then(|b| b.build());
    }
}
