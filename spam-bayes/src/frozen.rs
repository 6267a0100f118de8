//! [`FrozenStore`]: a read-only token store laid out for classifying.
//!
//! The tokens sit in one array of slots in the order of their hashes,
//! which is the order of the file format's records, so loading is one
//! pass that only writes forward. Each token has a home slot,
//! `hash * homes / 2^64` with two home slots per token, and sits in the
//! first free slot from its home on: as the homes only grow with the
//! hash, tokens laid out in hash order each go to the later of their
//! home and the slot after the previous token (ordered linear probing).
//! A token is found by scanning from its home past smaller hashes, to
//! the token, a greater hash or an empty slot; mostly within the home
//! slot's cache line, the first steps without a branch.
//!
//! A slot holds the hash inverted (`!hash`), so that the all-zero slot
//! is an empty one: a new table is a zeroed allocation, which the
//! system hands over without it being written, and an empty slot ends
//! every search (inverted, the hashes fall along the array, and a search
//! moves on while they are greater than the one it looks for). The
//! days of last use, which only [`TokenStore::lookup`] returns, live in
//! a separate array in token order that classifying never touches.

use std::fmt;

use crate::Class;
use crate::store::{
    Change, FormatError, MemoryStore, TOKEN_LEN, TokenCounts, TokenStore, Totals, token_record,
};

/// A read-only snapshot of a token store, for classifying: faster to
/// load and to look tokens up in than [`MemoryStore`], but it cannot
/// learn ([`TokenStore::apply`] returns [`ReadOnly`]).
///
/// Load one from a store file with [`crate::file::load_frozen`], from
/// the serialized bytes with [`FrozenStore::from_bytes`], or freeze a
/// [`MemoryStore`] with [`FrozenStore::from`].
///
/// # Memory usage
///
/// About 37 bytes per token (two 16-byte slots, the day and an index)
/// and 17 per learned message.
///
/// ```
/// use rampart_spam_bayes::{Bayes, BayesConfig, Class, FrozenStore, MemoryStore, Tokenizer};
///
/// let tokenizer = Tokenizer::default();
/// let bayes = Bayes::new(BayesConfig { min_spam: 1, min_ham: 1, ..Default::default() });
/// let mut store = MemoryStore::new();
/// let spam = b"Subject: cheap pills\r\n\r\nBuy cheap pills now!\r\n";
/// let ham = b"Subject: notes\r\n\r\nNotes from the design meeting.\r\n";
/// bayes.learn(&mut store, &tokenizer.tokenize(spam), Class::Spam, 20_000)?;
/// bayes.learn(&mut store, &tokenizer.tokenize(ham), Class::Ham, 20_000)?;
///
/// let frozen = FrozenStore::from_bytes(&store.to_bytes())?;
/// let new = tokenizer.token_hashes(b"Subject: pills\r\n\r\nCheap pills!\r\n");
/// assert_eq!(
///     bayes.classify_hashes(&frozen, &new)?,
///     bayes.classify_hashes(&store, &new)?,
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct FrozenStore {
    totals: Totals,
    /// The slots (see the module docs): `[!hash, spam | ham << 32]`, or
    /// zero when empty. Every home slot is there and an empty slot after
    /// the last token, so every search ends inside the array.
    slots: Vec<[u64; 2]>,
    /// Bit `i % 64` of word `i / 64` is set when `slots[i]` holds a
    /// token (an empty slot looks like a token `u64::MAX` with no
    /// counts, which a file may hold too).
    occupied: Vec<u64>,
    /// `before[w]`: tokens in the slots of the words of `occupied`
    /// before `w`, so that a slot's token is found in `days`.
    before: Vec<u32>,
    /// The days of the tokens, in hash order.
    days: Vec<u32>,
    /// Home slots, at least 1.
    homes: u64,
    /// Sorted by digest, no digest twice.
    digests: Vec<([u8; 16], Class)>,
}

/// The error of [`TokenStore::apply`] on a [`FrozenStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a frozen token store is read-only; learn into a MemoryStore")]
pub struct ReadOnly;

/// The counts a slot packs as `spam | ham << 32`, with day 0.
#[inline(always)]
fn unpack(counts: u64) -> TokenCounts {
    TokenCounts {
        spam: counts as u32,
        ham: (counts >> 32) as u32,
        day: 0,
    }
}

/// The home slot of `key` among `homes`: grows with the key.
#[inline(always)]
fn home(key: u64, homes: u64) -> usize {
    ((u128::from(key) * u128::from(homes)) >> 64) as usize
}

impl FrozenStore {
    /// Parses the serialized form ([`MemoryStore::to_bytes`]), with the
    /// same checks and errors as [`MemoryStore::from_bytes`].
    ///
    /// # Errors
    ///
    /// [`FormatError`] when the bytes are not a valid store.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        crate::store::decode::<Builder>(bytes)
    }

    /// Number of distinct tokens.
    pub fn token_count(&self) -> usize {
        self.days.len()
    }

    /// Number of learned message digests.
    pub fn digest_count(&self) -> usize {
        self.digests.len()
    }

    /// Messages learned.
    pub fn message_totals(&self) -> Totals {
        self.totals
    }

    /// Counts of a single token.
    pub fn get(&self, token: u64) -> Option<TokenCounts> {
        let i = self.find(token);
        let (word, bit) = (self.occupied[i / 64], i % 64);
        if word >> bit & 1 == 0 || self.slots[i][0] != !token {
            return None;
        }
        let rank = self.before[i / 64] as usize + (word & ((1 << bit) - 1)).count_ones() as usize;
        Some(TokenCounts {
            day: self.days[rank],
            ..unpack(self.slots[i][1])
        })
    }

    /// The slot where a search for `key` ends: the token's if it is
    /// there, otherwise the first slot from its home with a greater
    /// hash or none.
    #[inline(always)]
    fn find(&self, key: u64) -> usize {
        let (slots, inverted) = (&self.slots, !key);
        let mut i = home(key, self.homes);
        // Most tokens lie within three slots of their home: those steps
        // are taken without a branch (none is taken past the last slot,
        // which is empty).
        for _ in 0..3 {
            i += usize::from(slots[i][0] > inverted);
        }
        while slots[i][0] > inverted {
            i += 1;
        }
        i
    }
}

impl Default for FrozenStore {
    /// An empty store.
    fn default() -> Self {
        Layout::new(0).finish(Totals::default(), Vec::new())
    }
}

impl From<&MemoryStore> for FrozenStore {
    fn from(store: &MemoryStore) -> Self {
        let mut tokens: Vec<(u64, TokenCounts)> = store.tokens().collect();
        tokens.sort_unstable_by_key(|&(k, _)| k);
        let mut layout = Layout::new(tokens.len());
        for (key, c) in tokens {
            layout.push(key, c);
        }
        let mut digests: Vec<([u8; 16], Class)> = store.digests().collect();
        digests.sort_unstable_by_key(|&(d, _)| d);
        layout.finish(store.message_totals(), digests)
    }
}

impl fmt::Debug for FrozenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrozenStore")
            .field("totals", &self.totals)
            .field("tokens", &self.days.len())
            .field("slots", &self.slots.len())
            .field("digests", &self.digests.len())
            .finish()
    }
}

impl TokenStore for FrozenStore {
    type Error = ReadOnly;

    fn totals(&self) -> Result<Totals, ReadOnly> {
        Ok(self.totals)
    }

    fn lookup(&self, tokens: &[u64], out: &mut Vec<TokenCounts>) -> Result<(), ReadOnly> {
        out.clear();
        out.extend(tokens.iter().map(|&t| self.get(t).unwrap_or_default()));
        Ok(())
    }

    fn lookup_counts(&self, tokens: &[u64], out: &mut Vec<TokenCounts>) -> Result<(), ReadOnly> {
        out.clear();
        out.reserve(tokens.len());
        for chunk in tokens.chunks(64) {
            // First a load of each home slot that the next does not wait
            // for, so that the cache misses of the whole chunk overlap;
            // then the searches find their slots in cache. An empty slot
            // has no counts, so where a search ends needs no other check
            // than the hash.
            let touched = chunk.iter().fold(0u64, |acc, &k| {
                acc.wrapping_add(self.slots[home(k, self.homes)][0])
            });
            std::hint::black_box(touched);
            for &key in chunk {
                let [inverted, counts] = self.slots[self.find(key)];
                out.push(unpack(if inverted == !key { counts } else { 0 }));
            }
        }
        Ok(())
    }

    fn learned(&self, digest: &[u8; 16]) -> Result<Option<Class>, ReadOnly> {
        Ok(self
            .digests
            .binary_search_by(|(d, _)| d.cmp(digest))
            .ok()
            .map(|i| self.digests[i].1))
    }

    fn apply(&mut self, _change: &Change<'_>) -> Result<(), ReadOnly> {
        Err(ReadOnly)
    }
}

/// Lays tokens out in slots, given in increasing hash order.
struct Layout {
    slots: Vec<[u64; 2]>,
    occupied: Vec<u64>,
    days: Vec<u32>,
    homes: u64,
    /// The first slot after the last token.
    next: usize,
}

/// Slots past the home slots that a new table has (more are added when
/// the last tokens go further).
const SPARE: usize = 64;

impl Layout {
    /// Room for `tokens` tokens, two home slots each.
    fn new(tokens: usize) -> Layout {
        let homes = (tokens as u64).saturating_mul(2).max(1);
        let len = usize::try_from(homes).map_or(usize::MAX, |h| h.saturating_add(SPARE));
        Layout {
            // Zeroed: empty slots, not written until a token goes there.
            slots: vec![[0; 2]; len],
            occupied: vec![0; len.div_ceil(64)],
            days: Vec::with_capacity(tokens),
            homes,
            next: 0,
        }
    }

    /// Places a token whose hash is greater than all placed so far.
    #[inline]
    fn push(&mut self, key: u64, c: TokenCounts) {
        let i = home(key, self.homes).max(self.next);
        if i + 1 >= self.slots.len() {
            // Keep an empty slot after the last token.
            self.slots.resize(i + SPARE, [0; 2]);
            self.occupied.resize((i + SPARE).div_ceil(64), 0);
        }
        // Packed as `unpack` takes them.
        self.slots[i] = [!key, u64::from(c.spam) | u64::from(c.ham) << 32];
        self.occupied[i / 64] |= 1 << (i % 64);
        self.days.push(c.day);
        self.next = i + 1;
    }

    /// The tokens laid out so far, in hash order.
    fn tokens(&self) -> impl Iterator<Item = (u64, TokenCounts)> + '_ {
        let held = (0..self.next).filter(|&i| self.occupied[i / 64] >> (i % 64) & 1 == 1);
        held.zip(&self.days).map(|(i, &day)| {
            let [inverted, counts] = self.slots[i];
            (
                !inverted,
                TokenCounts {
                    day,
                    ..unpack(counts)
                },
            )
        })
    }

    fn finish(self, totals: Totals, digests: Vec<([u8; 16], Class)>) -> FrozenStore {
        let mut before = Vec::with_capacity(self.occupied.len());
        let mut count = 0u32;
        for word in &self.occupied {
            before.push(count);
            count += word.count_ones();
        }
        FrozenStore {
            totals,
            slots: self.slots,
            occupied: self.occupied,
            before,
            days: self.days,
            homes: self.homes,
            digests,
        }
    }
}

/// Lays a store file's records out for [`FrozenStore`] as they come,
/// which is in hash order unless another writer made the file: then
/// they are gathered, sorted and laid out at the end.
pub(crate) struct Builder {
    layout: Layout,
    /// The last hash laid out.
    last: Option<u64>,
    /// Every record, once one came out of order.
    unsorted: Vec<(u64, TokenCounts)>,
    digests: Vec<([u8; 16], Class)>,
}

impl crate::store::Builder for Builder {
    type Store = FrozenStore;

    fn with_capacity(ntokens: usize, ndigests: usize) -> Self {
        Builder {
            layout: Layout::new(ntokens),
            last: None,
            unsorted: Vec::new(),
            digests: Vec::with_capacity(ndigests),
        }
    }

    fn tokens(&mut self, records: &[u8]) -> bool {
        for i in 0..records.len() / TOKEN_LEN {
            let (key, c) = token_record(records, i);
            if !self.unsorted.is_empty() {
                self.unsorted.push((key, c));
                continue;
            }
            match self.last {
                // The same hash twice in a row is a duplicate; a smaller
                // one means the file is out of order, and duplicates are
                // looked for after sorting.
                Some(last) if key == last => return false,
                Some(last) if key < last => {
                    self.unsorted.extend(self.layout.tokens());
                    self.unsorted.push((key, c));
                    continue;
                }
                _ => {}
            }
            self.layout.push(key, c);
            self.last = Some(key);
        }
        true
    }

    fn digest(&mut self, digest: [u8; 16], class: Class) {
        self.digests.push((digest, class));
    }

    fn finish(mut self, totals: Totals) -> Result<FrozenStore, FormatError> {
        if !self.unsorted.is_empty() {
            let mut all = std::mem::take(&mut self.unsorted);
            all.sort_unstable_by_key(|&(k, _)| k);
            if all.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(FormatError::Duplicate);
            }
            self.layout = Layout::new(all.len());
            for (key, c) in all {
                self.layout.push(key, c);
            }
        }
        if !self.digests.is_sorted_by(|a, b| a.0 < b.0) {
            self.digests.sort_unstable_by_key(|&(d, _)| d);
            if self.digests.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(FormatError::Duplicate);
            }
        }
        Ok(self.layout.finish(totals, self.digests))
    }
}

#[cfg(test)]
mod tests;
