//! K-fold cross-validation on a training set only, to choose tokenizer
//! and classifier parameters without looking at the test half.
//!
//! Usage: cv TRAIN_SPAM TRAIN_HAM
//!
//! Messages are sorted by name within each class and message `i` goes
//! to fold `i % FOLDS` (default 5). Each fold is classified by a store
//! trained on the other folds; the scores of all folds are pooled.
//!
//! Environment (comma-separated lists make a grid):
//! - tokenizer: `EVAL_BIGRAMS`, `EVAL_HEADER_BIGRAMS` (0/1),
//!   `EVAL_OPENING_BIGRAMS`, `EVAL_MAX_WORD`, `EVAL_MIN_WORD`;
//! - classifier: `CV_STRENGTH`, `CV_ASSUMED`, `CV_MIN_DEV`,
//!   `CV_MAX_TOKENS`, `CV_TIE_BAND` (one value);
//! - `CV_CUTOFFS`: spam cutoffs to report (default 0.5,...,0.99);
//! - `CV_STAT`: combining statistics to compare at fixed false positive
//!   rates (see `statistic`).
//!
//! Prints one line per parameter combination: pooled AUC, false
//! positives and spam caught at each cutoff, and the lowest cutoff
//! keeping false positives at or below 0.1%, 0.2% and 0.5% of ham.

use std::time::Instant;

use rampart_spam_bayes::{
    Bayes, BayesConfig, Class, MemoryStore, TokenCounts, TokenSet, TokenStore, Tokenizer,
    TokenizerConfig, roc_auc,
};

fn files(dir: &str) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {dir}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(p).unwrap_or_default())
        })
        .collect()
}

fn list(key: &str, default: &str) -> Vec<f64> {
    std::env::var(key)
        .unwrap_or_else(|_| default.to_owned())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// One held-out message: its class and the counts of its tokens in the
/// store trained without its fold.
struct Held {
    name: String,
    spam: bool,
    counts: Vec<TokenCounts>,
    totals: rampart_spam_bayes::Totals,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: cv TRAIN_SPAM TRAIN_HAM");
        std::process::exit(2);
    }
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
    let folds = env("FOLDS").map_or(5, |v| v as usize).max(2);
    let mut tc = TokenizerConfig::default();
    if let Some(b) = env("EVAL_BIGRAMS") {
        tc.bigrams = b != 0.0;
    }
    if let Some(b) = env("EVAL_HEADER_BIGRAMS") {
        tc.header_bigrams = b != 0.0;
    }
    tc.opening_bigrams = env("EVAL_OPENING_BIGRAMS").map_or(tc.opening_bigrams, |v| v as usize);
    tc.max_word_chars = env("EVAL_MAX_WORD").map_or(tc.max_word_chars, |v| v as usize);
    tc.min_word_chars = env("EVAL_MIN_WORD").map_or(tc.min_word_chars, |v| v as usize);
    let tokenizer = Tokenizer::new(tc);

    let t0 = Instant::now();
    let reps = env("CV_REPS").map_or(1, |v| v as usize).max(1);
    let fold_of = |i: usize, r: usize| -> usize {
        if r == 0 {
            i % folds
        } else {
            let mut h = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (r as u64) << 32;
            h ^= h >> 29;
            h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h ^= h >> 32;
            (h % folds as u64) as usize
        }
    };
    let mut msgs: Vec<(Class, usize, TokenSet)> = Vec::new();
    let mut names = Vec::new();
    for (dir, class) in [(&args[0], Class::Spam), (&args[1], Class::Ham)] {
        for (i, (name, raw)) in files(dir).iter().enumerate() {
            msgs.push((class, i, tokenizer.tokenize(raw)));
            names.push(name.clone());
        }
    }
    let tok_secs = t0.elapsed().as_secs_f64();
    let ntok: usize = msgs.iter().map(|m| m.2.len()).sum();
    eprintln!(
        "{} messages tokenized in {tok_secs:.2}s, {:.0} distinct tokens per message",
        msgs.len(),
        ntok as f64 / msgs.len() as f64
    );

    let learner = Bayes::default();
    let mut held = Vec::with_capacity(msgs.len());
    for (r, f) in (0..reps).flat_map(|r| (0..folds).map(move |f| (r, f))) {
        let mut store = MemoryStore::new();
        for (class, i, set) in &msgs {
            if fold_of(*i, r) != f {
                learner.learn(&mut store, set, *class, 1).expect("learn");
            }
        }
        let totals = store.totals().expect("totals");
        if let (Ok(which), 0) = (std::env::var("CV_EXPLAIN"), r) {
            explain(&which, f, &args, folds, &tokenizer, &learner, &store);
        }
        for ((class, i, set), name) in msgs.iter().zip(&names) {
            if fold_of(*i, r) == f {
                let mut counts = Vec::new();
                store.lookup(set.hashes(), &mut counts).expect("lookup");
                held.push(Held {
                    name: name.clone(),
                    spam: *class == Class::Spam,
                    counts,
                    totals,
                });
            }
        }
    }

    if let Some(min) = env("CV_MIN_COUNT") {
        for h in &mut held {
            for c in &mut h.counts {
                if f64::from(c.spam + c.ham) < min {
                    *c = TokenCounts::default();
                }
            }
        }
    }
    let d = BayesConfig::default();
    let cutoffs = list("CV_CUTOFFS", "0.5,0.7,0.8,0.9,0.95,0.99");
    let nham = held.iter().filter(|h| !h.spam).count();
    let nspam = held.len() - nham;
    println!("folds={folds} spam={nspam} ham={nham}");
    for &strength in &list("CV_STRENGTH", &d.strength.to_string()) {
        for &assumed in &list("CV_ASSUMED", &d.assumed.to_string()) {
            for &min_dev in &list("CV_MIN_DEV", &d.min_deviation.to_string()) {
                for &max_tokens in &list("CV_MAX_TOKENS", &d.max_tokens.to_string()) {
                    let bayes = Bayes::new(BayesConfig {
                        strength,
                        assumed,
                        min_deviation: min_dev,
                        max_tokens: max_tokens as usize,
                        tie_band: env("CV_TIE_BAND").unwrap_or(d.tie_band),
                        ..BayesConfig::default()
                    });
                    let (mut sp, mut hm) = (Vec::new(), Vec::new());
                    for h in &held {
                        let p = bayes.classify_counts(&h.counts, h.totals).probability;
                        if h.spam { sp.push(p) } else { hm.push(p) }
                    }
                    let mut line = format!(
                        "s={strength} x={assumed} dev={min_dev} max={max_tokens} | AUC={:.6}",
                        roc_auc(&sp, &hm)
                    );
                    for &c in &cutoffs {
                        let fp = hm.iter().filter(|&&p| p >= c).count();
                        let caught = sp.iter().filter(|&&p| p >= c).count();
                        line.push_str(&format!(
                            " | >={c}: FP={fp} caught={:.2}%",
                            100.0 * caught as f64 / nspam as f64
                        ));
                    }
                    // Lowest cutoffs with FP <= 0.1% and 0.5% of ham.
                    let mut sorted = hm.clone();
                    sorted.sort_by(|a, b| b.total_cmp(a));
                    for permille in [1, 2, 5] {
                        let allowed = nham * permille / 1000;
                        let cut = sorted.get(allowed).map_or(0.0, |&p| p + 1e-12);
                        let caught = sp.iter().filter(|&&p| p >= cut).count();
                        line.push_str(&format!(
                            " | FP<={allowed}: cutoff>{:.4} caught={:.2}%",
                            cut - 1e-12,
                            100.0 * caught as f64 / nspam as f64
                        ));
                    }
                    println!("{line}");
                    if let Ok(stats) = std::env::var("CV_STAT") {
                        for stat in stats.split(',') {
                            let (mut sp, mut hm) = (Vec::new(), Vec::new());
                            for h in &held {
                                let f = bayes.strongest(&h.counts, h.totals);
                                let v = statistic(stat, &f);
                                if h.spam { sp.push(v) } else { hm.push(v) }
                            }
                            let mut sorted = hm.clone();
                            sorted.sort_by(|a, b| b.total_cmp(a));
                            let mut line = format!("  stat={stat} AUC={:.6}", roc_auc(&sp, &hm));
                            for permille in [0usize, 1, 2, 5] {
                                let allowed = nham * permille / 1000;
                                let cut = sorted[allowed];
                                let caught = sp.iter().filter(|&&p| p > cut).count();
                                line.push_str(&format!(
                                    " | FP<={allowed}: caught={:.2}%",
                                    100.0 * caught as f64 / nspam as f64
                                ));
                            }
                            println!("{line}");
                        }
                    }
                    if std::env::var_os("CV_HIST").is_some() {
                        let edges = [
                            0.0, 0.01, 0.1, 0.2, 0.3, 0.4, 0.45, 0.4999, 0.5001, 0.51, 0.55, 0.6,
                            0.7, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0001,
                        ];
                        for w in edges.windows(2) {
                            let ns = sp.iter().filter(|&&p| p >= w[0] && p < w[1]).count();
                            let nh = hm.iter().filter(|&&p| p >= w[0] && p < w[1]).count();
                            println!("  [{:.4}, {:.4}) spam={ns:<5} ham={nh}", w[0], w[1]);
                        }
                    }
                    if std::env::var_os("CV_ERRORS").is_some() {
                        for h in &held {
                            let p = bayes.classify_counts(&h.counts, h.totals).probability;
                            if (h.spam && p < 0.9) || (!h.spam && p >= 0.5) {
                                println!(
                                    "  {} {} {p:.6}",
                                    if h.spam { "spam" } else { "ham" },
                                    h.name
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Prints the strongest tokens of the training message named `which`
/// (when it is in fold `f`) against the store trained without that fold.
fn explain(
    which: &str,
    f: usize,
    args: &[String],
    folds: usize,
    tokenizer: &Tokenizer,
    bayes: &Bayes,
    store: &MemoryStore,
) {
    for dir in &args[..2] {
        for (i, (name, raw)) in files(dir).iter().enumerate() {
            if i % folds != f || !name.contains(which) {
                continue;
            }
            let totals = store.totals().expect("totals");
            let mut rows: Vec<(f64, String, TokenCounts)> = tokenizer
                .token_strings(raw)
                .into_iter()
                .map(|t| {
                    let c = store
                        .get(rampart_spam_bayes::token_hash(&t))
                        .unwrap_or_default();
                    (bayes.token_probability(&c, totals.spam, totals.ham), t, c)
                })
                .collect();
            rows.sort_by(|a, b| (b.0 - 0.5).abs().total_cmp(&(a.0 - 0.5).abs()));
            let score = bayes
                .classify(store, &tokenizer.tokenize(raw))
                .expect("classify");
            println!(
                "== {name}: {:.6} ({} tokens)",
                score.probability,
                rows.len()
            );
            for (p, t, c) in rows.iter().take(60) {
                println!("  {p:.4} s={:<4} h={:<4} {t:?}", c.spam, c.ham);
            }
        }
    }
}

/// ln Q(chi2 | dof) for even dof, in logarithms throughout.
fn ln_chi2_upper(chi2: f64, dof: usize) -> f64 {
    let m = chi2 / 2.0;
    if m <= 0.0 {
        return 0.0;
    }
    let ln_m = m.ln();
    let mut terms = Vec::with_capacity(dof / 2);
    let mut t = 0.0f64;
    terms.push(t);
    for i in 1..dof / 2 {
        t += ln_m - (i as f64).ln();
        terms.push(t);
    }
    let max = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms.iter().map(|t| (t - max).exp()).sum();
    (-m + max + sum.ln()).min(0.0)
}

/// A combining statistic over the kept f(w) values, for comparing
/// combining methods at the same operating points; larger is spammier.
/// `fisher`, `robinson`, `lnratio` (the log of Fisher's two tails'
/// ratio, which does not saturate), `nb` (the sum of log odds), `rbW`
/// (Fisher with Robinson inside a band of half-width W, as
/// [`rampart_spam_bayes::combine`]) and `avgW` (W Robinson plus 1 - W
/// Fisher).
fn statistic(name: &str, f: &[f64]) -> f64 {
    use rampart_spam_bayes::{combine, fisher, robinson};
    let clamp = |v: f64| v.clamp(1e-9, 1.0 - 1e-9);
    if f.is_empty() {
        return 0.5;
    }
    let ln_p: f64 = f.iter().map(|&v| clamp(v).ln()).sum();
    let ln_q: f64 = f.iter().map(|&v| (1.0 - clamp(v)).ln()).sum();
    let weight = |prefix: &str| -> f64 {
        name[prefix.len()..]
            .parse()
            .unwrap_or_else(|_| panic!("bad statistic {name}"))
    };
    match name {
        "fisher" => fisher(f),
        "robinson" => robinson(f),
        "lnratio" => {
            ln_chi2_upper(-2.0 * ln_p, 2 * f.len()) - ln_chi2_upper(-2.0 * ln_q, 2 * f.len())
        }
        "nb" => ln_p - ln_q,
        _ if name.starts_with("rb") => combine(f, weight("rb")),
        _ if name.starts_with("avg") => {
            let w = weight("avg");
            w * robinson(f) + (1.0 - w) * fisher(f)
        }
        _ => panic!("unknown statistic {name}"),
    }
}
