//! The token table of [`crate::MemoryStore`]: open addressing with
//! linear probing. A slot holds the token hash and its two counts (16
//! bytes, four to a cache line), so that classifying, which only needs
//! the counts, costs about one memory access per token; the days of
//! last use, needed only to learn and expire, live in a parallel array.
//! Token hashes are mixed with a random key before indexing, so that
//! whoever chooses the tokens cannot choose their slots.

use std::fmt;
use std::hash::{BuildHasher, Hasher, RandomState};

use crate::store::TokenCounts;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Slot {
    /// Token hash; 0 marks an empty slot (the token whose hash is 0
    /// lives in `Table::zero`).
    key: u64,
    spam: u32,
    ham: u32,
}

#[derive(Clone)]
pub(crate) struct Table {
    slots: Vec<Slot>,
    days: Vec<u32>,
    mask: usize,
    len: usize,
    zero: Option<TokenCounts>,
    k0: u64,
    k1: u64,
}

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// Slots for this many entries at a load factor of at most 3/4.
fn slots_for(entries: usize) -> usize {
    (entries.saturating_mul(4) / 3 + 1)
        .next_power_of_two()
        .max(16)
}

impl Default for Table {
    fn default() -> Self {
        Table::with_capacity(0)
    }
}

impl Table {
    pub fn with_capacity(entries: usize) -> Table {
        let rs = RandomState::new();
        let mut a = rs.build_hasher();
        a.write_u64(0x243f_6a88_85a3_08d3);
        let mut b = rs.build_hasher();
        b.write_u64(0x1319_8a2e_0370_7344);
        Table::empty(slots_for(entries), a.finish(), b.finish() | 1)
    }

    fn empty(n: usize, k0: u64, k1: u64) -> Table {
        Table {
            slots: vec![Slot::default(); n],
            days: vec![0; n],
            mask: n - 1,
            len: 0,
            zero: None,
            k0,
            k1,
        }
    }

    pub fn len(&self) -> usize {
        self.len + usize::from(self.zero.is_some())
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (fold_mul(key ^ self.k0, self.k1) as usize) & self.mask
    }

    /// Index of `key`'s slot, or of the empty slot where it would go
    /// (`key` is not 0).
    #[inline]
    fn find(&self, key: u64) -> usize {
        let mut i = self.home(key);
        loop {
            let k = self.slots[i].key;
            if k == key || k == 0 {
                return i;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The counts of a token, day included.
    pub fn get(&self, key: u64) -> Option<TokenCounts> {
        if key == 0 {
            return self.zero;
        }
        let i = self.find(key);
        let s = self.slots[i];
        (s.key == key).then_some(TokenCounts {
            spam: s.spam,
            ham: s.ham,
            day: self.days[i],
        })
    }

    /// The spam and ham counts of a token (zero when unknown), without
    /// touching the days.
    #[cfg(test)]
    pub fn counts(&self, key: u64) -> (u32, u32) {
        if key == 0 {
            return self.zero.map_or((0, 0), |c| (c.spam, c.ham));
        }
        let s = self.slots[self.find(key)];
        if s.key == key {
            (s.spam, s.ham)
        } else {
            (0, 0)
        }
    }

    /// [`Table::counts`] of many tokens, appended to `out`. The home
    /// slots are read in a first pass whose loads do not depend on each
    /// other, so that their cache misses overlap; the probing pass then
    /// finds the lines in cache.
    pub fn counts_many(&self, keys: &[u64], out: &mut Vec<TokenCounts>) {
        out.reserve(keys.len());
        for chunk in keys.chunks(64) {
            let mut homes = [0usize; 64];
            let mut touched = 0u64;
            for (h, &k) in homes.iter_mut().zip(chunk) {
                *h = self.home(k);
                touched = touched.wrapping_add(self.slots[*h].key);
            }
            // Keep the first pass from being optimized away.
            std::hint::black_box(touched);
            for (&h, &key) in homes.iter().zip(chunk) {
                // The probe stops at the key or at an empty slot; whether
                // the token was found is then a select, not a branch.
                let mut i = h;
                let mut s = self.slots[i];
                while s.key != key && s.key != 0 {
                    i = (i + 1) & self.mask;
                    s = self.slots[i];
                }
                let (spam, ham) = if key == 0 {
                    self.zero.map_or((0, 0), |c| (c.spam, c.ham))
                } else if s.key == key {
                    (s.spam, s.ham)
                } else {
                    (0, 0)
                };
                out.push(TokenCounts { spam, ham, day: 0 });
            }
        }
    }

    /// Inserts a token that must not be present; false when it was.
    pub fn insert_new(&mut self, key: u64, c: TokenCounts) -> bool {
        if key == 0 {
            if self.zero.is_some() {
                return false;
            }
            self.zero = Some(c);
            return true;
        }
        self.reserve_one();
        let i = self.find(key);
        if self.slots[i].key == key {
            return false;
        }
        self.slots[i] = Slot {
            key,
            spam: c.spam,
            ham: c.ham,
        };
        self.days[i] = c.day;
        self.len += 1;
        true
    }

    /// Inserts `n` tokens that must all be new, as [`Table::insert_new`]
    /// does one by one (false at the first one already present);
    /// `entry(i)` gives the `i`-th. The table grows once, up front, and
    /// the home slots of each batch of 64 entries are read before any of
    /// them is inserted, so that their cache misses overlap (as in
    /// [`Table::counts_many`]): loading a large store no longer waits
    /// for one miss per token.
    pub fn insert_new_all(
        &mut self,
        n: usize,
        entry: impl Fn(usize) -> (u64, TokenCounts),
    ) -> bool {
        while (self.len + n) * 4 > self.slots.len() * 3 {
            let grown: Vec<(u64, TokenCounts)> = self.iter().collect();
            let mut t = Table::empty(self.slots.len() * 2, self.k0, self.k1);
            for (k, c) in grown {
                t.insert_new(k, c);
            }
            *self = t;
        }
        const BATCH: usize = 64;
        let mut batch = [(0u64, TokenCounts::default(), 0usize); BATCH];
        let mut start = 0;
        while start < n {
            let len = BATCH.min(n - start);
            let mut touched = 0u64;
            for (j, e) in batch[..len].iter_mut().enumerate() {
                let (k, c) = entry(start + j);
                let home = self.home(k);
                *e = (k, c, home);
                touched = touched.wrapping_add(self.slots[home].key);
                touched = touched.wrapping_add(u64::from(self.days[home]));
            }
            // Keep the first pass from being optimized away.
            std::hint::black_box(touched);
            for &(k, c, home) in &batch[..len] {
                if k == 0 {
                    if !self.insert_new(k, c) {
                        return false;
                    }
                    continue;
                }
                // `insert_new` without its growth check (the room was made
                // above) and with the home slot already known.
                let mut i = home;
                loop {
                    let key = self.slots[i].key;
                    if key == k {
                        return false;
                    }
                    if key == 0 {
                        break;
                    }
                    i = (i + 1) & self.mask;
                }
                self.slots[i] = Slot {
                    key: k,
                    spam: c.spam,
                    ham: c.ham,
                };
                self.days[i] = c.day;
                self.len += 1;
            }
            start += len;
        }
        true
    }

    /// Counts one more message containing the token (saturating), and
    /// moves its day forward to `day`.
    pub fn add(&mut self, key: u64, spam: bool, day: u32) {
        let bump = |s: &mut u32, h: &mut u32| {
            let n = if spam { s } else { h };
            *n = n.saturating_add(1);
        };
        if key == 0 {
            let c = self.zero.get_or_insert_with(TokenCounts::default);
            bump(&mut c.spam, &mut c.ham);
            c.day = c.day.max(day);
            return;
        }
        self.reserve_one();
        let i = self.find(key);
        let s = &mut self.slots[i];
        if s.key == 0 {
            s.key = key;
            self.days[i] = 0;
            self.len += 1;
        }
        bump(&mut s.spam, &mut s.ham);
        self.days[i] = self.days[i].max(day);
    }

    /// Counts one message less (never below zero); a token left with no
    /// count is removed. Unknown tokens are ignored.
    pub fn sub(&mut self, key: u64, spam: bool) {
        let drop = |s: &mut u32, h: &mut u32| {
            let n = if spam { s } else { h };
            *n = n.saturating_sub(1);
        };
        if key == 0 {
            if let Some(c) = &mut self.zero {
                drop(&mut c.spam, &mut c.ham);
                if c.spam == 0 && c.ham == 0 {
                    self.zero = None;
                }
            }
            return;
        }
        let i = self.find(key);
        let s = &mut self.slots[i];
        if s.key != key {
            return;
        }
        drop(&mut s.spam, &mut s.ham);
        if s.spam == 0 && s.ham == 0 {
            self.remove_at(i);
        }
    }

    fn reserve_one(&mut self) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            let entries: Vec<(u64, TokenCounts)> = self.iter().collect();
            let mut t = Table::empty(self.slots.len() * 2, self.k0, self.k1);
            for (k, c) in entries {
                t.insert_new(k, c);
            }
            *self = t;
        }
    }

    /// Empties slot `hole` and shifts the rest of its run back so that
    /// every entry stays reachable from its home slot.
    fn remove_at(&mut self, mut hole: usize) {
        self.slots[hole] = Slot::default();
        self.days[hole] = 0;
        self.len -= 1;
        let mut j = hole;
        loop {
            j = (j + 1) & self.mask;
            let k = self.slots[j].key;
            if k == 0 {
                return;
            }
            let home = self.home(k);
            // The entry at j stays when its home lies cyclically in
            // (hole, j]; otherwise it moves into the hole.
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.slots[hole] = self.slots[j];
                self.days[hole] = self.days[j];
                self.slots[j] = Slot::default();
                self.days[j] = 0;
                hole = j;
            }
        }
    }

    /// Keeps the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&TokenCounts) -> bool) {
        let entries: Vec<(u64, TokenCounts)> = self.iter().filter(|(_, c)| keep(c)).collect();
        let mut t = Table::empty(slots_for(entries.len()), self.k0, self.k1);
        for (k, c) in entries {
            t.insert_new(k, c);
        }
        *self = t;
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, TokenCounts)> + '_ {
        self.zero.iter().map(|c| (0, *c)).chain(
            self.slots
                .iter()
                .zip(&self.days)
                .filter(|(s, _)| s.key != 0)
                .map(|(s, &day)| {
                    (
                        s.key,
                        TokenCounts {
                            spam: s.spam,
                            ham: s.ham,
                            day,
                        },
                    )
                }),
        )
    }
}

impl PartialEq for Table {
    fn eq(&self, other: &Table) -> bool {
        self.len() == other.len() && self.iter().all(|(k, c)| other.get(k) == Some(c))
    }
}

impl Eq for Table {}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut entries: Vec<(u64, TokenCounts)> = self.iter().collect();
        entries.sort_unstable_by_key(|e| e.0);
        f.debug_map().entries(entries).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn behaves_like_a_map() {
        let mut t = Table::default();
        let mut m: HashMap<u64, (u32, u32)> = HashMap::new();
        // A deterministic mix of learns and unlearns over clustered keys,
        // the zero key included.
        let mut x = 12345u64;
        for step in 0..40_000u32 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let key = if step % 7 == 0 { 0 } else { x >> 52 };
            let spam = x & 8 == 0;
            if x & 3 == 0 {
                t.sub(key, spam);
                if let Some(c) = m.get_mut(&key) {
                    let n = if spam { &mut c.0 } else { &mut c.1 };
                    *n = n.saturating_sub(1);
                    if *c == (0, 0) {
                        m.remove(&key);
                    }
                }
            } else {
                t.add(key, spam, step);
                let c = m.entry(key).or_default();
                if spam {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                }
            }
            if step % 1000 == 0 {
                assert_eq!(t.len(), m.len());
            }
        }
        assert_eq!(t.len(), m.len());
        for (k, v) in &m {
            assert_eq!(t.counts(*k), *v, "key {k}");
            let c = t.get(*k).expect("present");
            assert_eq!((c.spam, c.ham), *v);
        }
        let keys: Vec<u64> = m.keys().copied().chain([u64::MAX, 1 << 40]).collect();
        let mut many = Vec::new();
        t.counts_many(&keys, &mut many);
        for (k, c) in keys.iter().zip(&many) {
            assert_eq!((c.spam, c.ham), t.counts(*k));
        }
        assert_eq!(t.counts(u64::MAX), (0, 0));
        assert_eq!(t.iter().count(), m.len());
        let before = t.clone();
        t.retain(|c| c.spam % 2 == 0);
        m.retain(|_, v| v.0 % 2 == 0);
        assert_eq!(t.len(), m.len());
        for (k, v) in &m {
            assert_eq!(t.counts(*k), *v);
        }
        assert_ne!(t, before);
        assert_eq!(before, before.clone());
        let mut fresh = Table::default();
        for (k, c) in before.iter() {
            assert!(fresh.insert_new(k, c));
            assert!(!fresh.insert_new(k, c));
        }
        assert_eq!(fresh, before);
    }

    #[test]
    fn insert_new_all_is_insert_new_one_by_one() {
        let mut x = 99u64;
        let entries: Vec<(u64, TokenCounts)> = (0..5000u32)
            .map(|i| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let key = if i == 17 { 0 } else { x };
                let c = TokenCounts {
                    spam: i,
                    ham: i / 3,
                    day: i / 7,
                };
                (key, c)
            })
            .collect();
        // From empty (growing several times), and into a table that
        // already holds entries.
        for (cap, preload) in [(0, 0), (5000, 0), (10, 1000)] {
            let mut one = Table::with_capacity(cap);
            let mut all = Table::with_capacity(cap);
            for &(k, c) in &entries[..preload] {
                assert!(one.insert_new(k, c));
                assert!(all.insert_new(k, c));
            }
            for &(k, c) in &entries[preload..] {
                assert!(one.insert_new(k, c));
            }
            let rest = &entries[preload..];
            assert!(all.insert_new_all(rest.len(), |i| rest[i]));
            assert_eq!(all, one);
            assert_eq!(all.len(), entries.len());
            for &(k, c) in &entries {
                assert_eq!(all.get(k), Some(c));
            }
        }
        let mut dup = Table::default();
        let twice = [entries[3], entries[4], entries[3]];
        assert!(!dup.insert_new_all(twice.len(), |i| twice[i]));
    }
}
