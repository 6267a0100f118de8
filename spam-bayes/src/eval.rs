//! Evaluation helpers for classifier scores.

/// ROC AUC of spam scores against ham scores: the chance that a random
/// spam scores above a random ham, ties counting one half (the
/// Mann-Whitney statistic), in `O(n log n)`. Returns `NaN` when either
/// side is empty.
///
/// ```
/// let auc = rampart_spam_bayes::roc_auc(&[0.9, 0.8, 0.4], &[0.1, 0.4]);
/// assert!((auc - 5.5 / 6.0).abs() < 1e-12);
/// ```
pub fn roc_auc(spam: &[f64], ham: &[f64]) -> f64 {
    let mut all: Vec<(f64, bool)> = spam
        .iter()
        .map(|&s| (s, true))
        .chain(ham.iter().map(|&h| (h, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Sum of the spam scores' ranks, a run of equal scores sharing the
    // mean of its ranks.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let j = i + all[i..].iter().take_while(|x| x.0 == all[i].0).count();
        let mean_rank = (i + j + 1) as f64 / 2.0;
        rank_sum += mean_rank * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let (n1, n0) = (spam.len() as f64, ham.len() as f64);
    (rank_sum - n1 * (n1 + 1.0) / 2.0) / (n1 * n0)
}

#[cfg(test)]
mod tests {
    use super::roc_auc;
    use proptest::prelude::*;

    /// Every pair compared: the definition, quadratic.
    fn pairwise(spam: &[f64], ham: &[f64]) -> f64 {
        let mut wins = 0.0;
        for s in spam {
            for h in ham {
                wins += if s > h {
                    1.0
                } else if s == h {
                    0.5
                } else {
                    0.0
                };
            }
        }
        wins / (spam.len() * ham.len()) as f64
    }

    #[test]
    fn hand_computed() {
        assert_eq!(roc_auc(&[0.9, 0.8], &[0.1, 0.2]), 1.0);
        assert_eq!(roc_auc(&[0.1], &[0.9]), 0.0);
        assert_eq!(roc_auc(&[0.5, 0.5], &[0.5]), 0.5);
        assert!(roc_auc(&[], &[0.5]).is_nan());
    }

    proptest! {
        #[test]
        fn matches_pairwise(
            spam in prop::collection::vec(0u8..20, 1..40),
            ham in prop::collection::vec(0u8..20, 1..40),
        ) {
            let spam: Vec<f64> = spam.iter().map(|&v| f64::from(v) / 19.0).collect();
            let ham: Vec<f64> = ham.iter().map(|&v| f64::from(v) / 19.0).collect();
            prop_assert!((roc_auc(&spam, &ham) - pairwise(&spam, &ham)).abs() < 1e-9);
        }
    }
}
