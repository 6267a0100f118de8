//! The anchor index on its own, for measurement: not part of the
//! stable API.
//!
//! The engine finds the fixed anchor of every signature stage with its
//! own q-gram index (the private `index` module) rather than an
//! Aho-Corasick automaton. This module exposes just that step, over a
//! compiled [`Database`], so that `benches/matcher.rs` can time it
//! beside the aho-corasick crate searching the very same anchors, and
//! a test can check that both report the same occurrences.

use crate::engine::{BLOCK, Database};
use crate::index::Cand;
use crate::pattern::lit_match;

/// Every occurrence of the raw-byte anchors of a [`Database`].
#[derive(Debug)]
pub struct AnchorSearch<'db> {
    db: &'db Database,
    /// From stage id to its place in [`AnchorSearch::anchors`].
    order: Vec<usize>,
}

impl<'db> AnchorSearch<'db> {
    /// The anchor search of `db`'s signatures on raw bytes.
    pub fn new(db: &'db Database) -> AnchorSearch<'db> {
        let mut order = Vec::new();
        for (i, id) in db.raw_stages().enumerate() {
            let id = id as usize;
            if order.len() <= id {
                order.resize(id + 1, usize::MAX);
            }
            order[id] = i;
        }
        AnchorSearch { db, order }
    }

    /// The anchors, one per stage of each signature, in stage order
    /// (several stages can share an anchor). The flag marks a
    /// case-insensitive anchor, given in lowercase.
    pub fn anchors(&self) -> Vec<(&'db [u8], bool)> {
        let db = self.db;
        db.raw_stages().map(|id| db.anchor_of(id)).collect()
    }

    /// Calls `f(stage, start)` for every place in `hay` where the
    /// anchor of a stage occurs, in order of the probe that found it;
    /// `stage` indexes [`AnchorSearch::anchors`]. The work is what the
    /// scanner does before it verifies the rest of a pattern: collect
    /// candidates block by block, test the extra byte, compare the
    /// anchor.
    pub fn for_each(&self, hay: &[u8], mut f: impl FnMut(usize, usize)) {
        let idx = self.db.raw_index();
        let mut cands: Vec<Cand> = Vec::new();
        let mut from = 0;
        while from < hay.len() {
            let to = (from + BLOCK).min(hay.len());
            idx.candidates(hay, 0, from, to, true, &mut cands);
            for &(probe, list) in &cands {
                for item in idx.items(list) {
                    if !item.plausible(hay, probe) {
                        continue;
                    }
                    let Some(start) = probe.checked_add_signed(-isize::from(item.off)) else {
                        continue;
                    };
                    let (anchor, nocase) = self.db.anchor_of(item.entry);
                    if lit_match(hay, start, anchor, nocase) {
                        f(self.order[item.entry as usize], start);
                    }
                }
            }
            from = to;
        }
    }

    /// Number of anchor occurrences in `hay`.
    pub fn count(&self, hay: &[u8]) -> usize {
        let mut n = 0;
        self.for_each(hay, |_, _| n += 1);
        n
    }
}
