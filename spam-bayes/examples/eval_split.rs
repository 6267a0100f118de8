//! Trains on two directories and scores two others; prints AUC, errors
//! at the default cutoffs and speed. Used by `scripts/eval.sh` for quick
//! in-process figures; the CLI path is measured by the script itself.
//!
//! Usage: eval_split TRAIN_SPAM TRAIN_HAM TEST_SPAM TEST_HAM [scores.tsv]

use std::time::Instant;

use rampart_spam_bayes::{Bayes, Class, MemoryStore, Tokenizer, Verdict, roc_auc};

fn files(dir: &str) -> Vec<Vec<u8>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_default())
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: eval_split TRAIN_SPAM TRAIN_HAM TEST_SPAM TEST_HAM");
        std::process::exit(2);
    }
    let (trs, trh, tes, teh) = (
        files(&args[0]),
        files(&args[1]),
        files(&args[2]),
        files(&args[3]),
    );
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    let mut tc = rampart_spam_bayes::TokenizerConfig::default();
    if let Some(b) = env("EVAL_BIGRAMS") {
        tc.bigrams = b != 0.0;
    }
    if let Some(b) = env("EVAL_HEADER_BIGRAMS") {
        tc.header_bigrams = b != 0.0;
    }
    tc.opening_bigrams = env("EVAL_OPENING_BIGRAMS").map_or(tc.opening_bigrams, |v| v as usize);
    tc.max_word_chars = env("EVAL_MAX_WORD").map_or(tc.max_word_chars, |v| v as usize);
    tc.min_word_chars = env("EVAL_MIN_WORD").map_or(tc.min_word_chars, |v| v as usize);
    let mut bc = rampart_spam_bayes::BayesConfig::default();
    bc.strength = env("EVAL_STRENGTH").unwrap_or(bc.strength);
    bc.assumed = env("EVAL_ASSUMED").unwrap_or(bc.assumed);
    bc.min_deviation = env("EVAL_MIN_DEV").unwrap_or(bc.min_deviation);
    bc.max_tokens = env("EVAL_MAX_TOKENS").map_or(bc.max_tokens, |v| v as usize);
    bc.spam_cutoff = env("EVAL_SPAM_CUTOFF").unwrap_or(bc.spam_cutoff);
    let tokenizer = Tokenizer::new(tc);
    let bayes = Bayes::new(bc);
    let mut store = MemoryStore::new();
    let t0 = Instant::now();
    for (set, class) in [(&trs, Class::Spam), (&trh, Class::Ham)] {
        for raw in set.iter() {
            bayes
                .learn(&mut store, &tokenizer.tokenize(raw), class, 20_000)
                .expect("learn");
        }
    }
    let train = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let score = |set: &Vec<Vec<u8>>| -> Vec<(f64, Verdict)> {
        set.iter()
            .map(|raw| {
                let s = bayes
                    .classify_hashes(&store, &tokenizer.token_hashes(raw))
                    .expect("classify");
                (s.probability, s.verdict)
            })
            .collect()
    };
    let (sp, hm) = (score(&tes), score(&teh));
    let classify = t1.elapsed().as_secs_f64();
    let fp = hm.iter().filter(|s| s.1 == Verdict::Spam).count();
    let fn_ = sp.iter().filter(|s| s.1 != Verdict::Spam).count();
    let unsure_s = sp.iter().filter(|s| s.1 == Verdict::Unsure).count();
    let unsure_h = hm.iter().filter(|s| s.1 == Verdict::Unsure).count();
    let a = roc_auc(
        &sp.iter().map(|s| s.0).collect::<Vec<_>>(),
        &hm.iter().map(|s| s.0).collect::<Vec<_>>(),
    );
    // The whole scorer: default rules plus the Bayes bands, at its
    // required score.
    let scorer = rampart_spam_bayes::Scorer::default();
    let t2 = Instant::now();
    let total = |set: &Vec<Vec<u8>>, probs: &[(f64, Verdict)]| -> Vec<f64> {
        set.iter()
            .zip(probs)
            .map(|(raw, (p, _))| {
                scorer
                    .score(raw, Some(*p), &rampart_spam_bayes::Facts::new())
                    .score
            })
            .collect()
    };
    let (ts, th) = (total(&tes, &sp), total(&teh, &hm));
    let rules_time = t2.elapsed().as_secs_f64();
    let req = scorer.required();
    let rfp = th.iter().filter(|&&x| x >= req).count();
    let rfn = ts.iter().filter(|&&x| x < req).count();
    println!(
        "rampart scorer (rules + Bayes bands, required {req}): FP={rfp} ({:.2}%) FN={rfn} (caught {:.2}%) | AUC={:.6} | {:.0} msgs/s",
        100.0 * rfp as f64 / th.len() as f64,
        100.0 * (ts.len() - rfn) as f64 / ts.len() as f64,
        roc_auc(&ts, &th),
        (ts.len() + th.len()) as f64 / rules_time
    );
    if let Some(path) = args.get(4) {
        let mut out = String::new();
        for (class, set) in [("spam", &sp), ("ham", &hm)] {
            for (p, v) in set.iter() {
                out.push_str(&format!("{class}\t{p}\t{}\n", v.as_str()));
            }
        }
        std::fs::write(path, out).expect("write scores");
    }
    let ntest = sp.len() + hm.len();
    let ntrain = trs.len() + trh.len();
    println!(
        "rampart test spam={} ham={} | default: FP={fp} ({:.2}%) FN={fn_} (caught {:.2}%) unsure spam={unsure_s} ham={unsure_h} | AUC={a:.6} | train {ntrain} in {train:.2}s ({:.0}/s) | classify {ntest} in {classify:.2}s ({:.0}/s) | tokens={}",
        sp.len(),
        hm.len(),
        100.0 * fp as f64 / hm.len() as f64,
        100.0 * (sp.len() - fn_) as f64 / sp.len() as f64,
        ntrain as f64 / train,
        ntest as f64 / classify,
        store.token_count()
    );
}
