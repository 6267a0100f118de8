//! Embedding the spam scorer: train a Bayes store, save and reload it
//! crash-safely, then score incoming mail SpamAssassin-style with the
//! site's weight overrides, DNSBL results from the caller, and print the
//! report and the `X-Spam-*` headers a frontend would add.
//!
//! ```sh
//! cargo run -p rampart-examples --example bayes_pipeline
//! ```

use rampart_spam_bayes::{
    Bayes, BayesConfig, Class, Facts, MemoryStore, ScorerBuilder, Tokenizer, file,
};

const SPAM: [&str; 3] = [
    "Subject: Cheap meds online\r\n\r\nBuy cheap viagra now! Best prices, 100% guaranteed.\r\n",
    "Subject: You have WON\r\n\r\nClaim your prize money now, act now, limited time offer!\r\n",
    "Subject: Work from home\r\n\r\nEarn money from home, no experience, cheap start kit.\r\n",
];
const HAM: [&str; 3] = [
    "Subject: Design review\r\n\r\nThe design review moved to Thursday; agenda attached.\r\n",
    "Subject: Re: build failure\r\n\r\nThe nightly build failed on the parser tests again.\r\n",
    "Subject: Lunch\r\n\r\nShall we try the new place near the office on Friday?\r\n",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Training. A real site needs hundreds of each; three are enough
    //    to show the calls once the minimum is lowered.
    let tokenizer = Tokenizer::default();
    let bayes = Bayes::new(BayesConfig {
        min_spam: 3,
        min_ham: 3,
        ..Default::default()
    });
    let mut store = MemoryStore::new();
    let today = 20_000; // days since 1970-01-01, from the caller's clock
    for (set, class) in [(SPAM, Class::Spam), (HAM, Class::Ham)] {
        for msg in set {
            bayes.learn(
                &mut store,
                &tokenizer.tokenize(msg.as_bytes()),
                class,
                today,
            )?;
        }
    }

    // 2. Persistence: temporary file, fsync, rename.
    let dir = std::env::temp_dir().join(format!("rampart-bayes-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("tokens.db");
    file::save(&db, &store)?;
    let store = file::load(&db)?;
    println!(
        "store: {} spam, {} ham, {} tokens, {} bytes on disk\n",
        store.message_totals().spam,
        store.message_totals().ham,
        store.token_count(),
        std::fs::metadata(&db)?.len()
    );
    std::fs::remove_dir_all(&dir)?;

    // 3. The scorer: default rules plus the site's local.cf lines.
    let scorer = ScorerBuilder::new()
        .cf(
            "score BAYES_99 4.0\nbody LOCAL_PRIZE /\\bprize\\b/i\nscore LOCAL_PRIZE 0.8\n\
             describe LOCAL_PRIZE Mentions a prize\n",
        )?
        .build()?;

    let incoming = "From: Winner Desk <desk@prizes.example>\r\nSubject: CLAIM YOUR PRIZE NOW\r\n\r\n\
                    Act now: cheap prize money, 100% guaranteed!\r\n";
    let bayes_p = bayes
        .classify(&store, &tokenizer.tokenize(incoming.as_bytes()))
        .ok()
        .map(|s| s.probability);
    // What the caller learned elsewhere: a DNSBL listing of the relay.
    let facts = Facts::new().with("RCVD_IN_XBL");
    let report = scorer.score(incoming.as_bytes(), bayes_p, &facts);
    println!("Bayes probability: {bayes_p:?}");
    println!("{report}");
    print!("{}", report.header_block());
    Ok(())
}
