//! [`FrozenStore`]: a read-only token store laid out for classifying.
//!
//! The token counts sit in one array sorted by token hash, which is the
//! order of the file format's records, so loading is a sequential pass
//! with no hashing and no random writes. A token is found through a
//! small index of hash prefixes: the index (a few hundred KiB for a
//! store of a few hundred thousand tokens, so it stays in cache) gives
//! the run of entries that share the token's top bits, about three of
//! them, which sit in one or two cache lines. The days of last use,
//! which only [`TokenStore::lookup`] returns, live in a parallel array
//! that classifying never touches.

use std::fmt;

use crate::Class;
use crate::store::{
    Change, FormatError, MemoryStore, TOKEN_LEN, TokenCounts, TokenStore, Totals, token_record,
};

/// A read-only snapshot of a token store, for classifying: smaller and
/// faster to load and to look tokens up in than [`MemoryStore`], but it
/// cannot learn ([`TokenStore::apply`] returns [`ReadOnly`]).
///
/// Load one from a store file with [`crate::file::load_frozen`], from
/// the serialized bytes with [`FrozenStore::from_bytes`], or freeze a
/// [`MemoryStore`] with [`FrozenStore::from`].
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
    /// Sorted by key, no key twice.
    entries: Vec<Entry>,
    /// `days[i]` belongs to `entries[i]`.
    days: Vec<u32>,
    /// The entries whose key has `b` as its top bits are
    /// `entries[index[b]..index[b + 1]]`.
    index: Vec<u32>,
    /// 64 minus the number of top bits the index looks at.
    shift: u32,
    /// Sorted by digest, no digest twice.
    digests: Vec<([u8; 16], Class)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    key: u64,
    spam: u32,
    ham: u32,
}

/// The error of [`TokenStore::apply`] on a [`FrozenStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a frozen token store is read-only; learn into a MemoryStore")]
pub struct ReadOnly;

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
        self.entries.len()
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
        let (lo, hi) = self.run(token);
        let run = &self.entries[lo..hi];
        let i = lo + run.partition_point(|e| e.key < token);
        let e = self.entries.get(i).filter(|e| e.key == token)?;
        Some(TokenCounts {
            spam: e.spam,
            ham: e.ham,
            day: self.days[i],
        })
    }

    /// The bounds of the run of entries that share `key`'s top bits.
    #[inline]
    fn run(&self, key: u64) -> (usize, usize) {
        let b = (key >> self.shift) as usize;
        (self.index[b] as usize, self.index[b + 1] as usize)
    }

    /// Builds the snapshot from entries sorted by key without
    /// duplicates, and their days.
    fn new(
        totals: Totals,
        entries: Vec<Entry>,
        days: Vec<u32>,
        digests: Vec<([u8; 16], Class)>,
    ) -> Self {
        // About two to four entries per run; at least one bit, so that
        // the shift stays below 64.
        let bits = (usize::BITS - entries.len().leading_zeros())
            .saturating_sub(2)
            .clamp(1, 30);
        let shift = 64 - bits;
        let mut index = vec![0u32; (1usize << bits) + 1];
        for e in &entries {
            index[(e.key >> shift) as usize + 1] += 1;
        }
        for b in 1..index.len() {
            index[b] += index[b - 1];
        }
        FrozenStore {
            totals,
            entries,
            days,
            index,
            shift,
            digests,
        }
    }
}

impl Default for FrozenStore {
    /// An empty store.
    fn default() -> Self {
        FrozenStore::new(Totals::default(), Vec::new(), Vec::new(), Vec::new())
    }
}

impl From<&MemoryStore> for FrozenStore {
    fn from(store: &MemoryStore) -> Self {
        let mut tokens: Vec<(u64, TokenCounts)> = store.tokens().collect();
        tokens.sort_unstable_by_key(|&(k, _)| k);
        let entries = tokens
            .iter()
            .map(|&(key, c)| Entry {
                key,
                spam: c.spam,
                ham: c.ham,
            })
            .collect();
        let days = tokens.iter().map(|(_, c)| c.day).collect();
        let mut digests: Vec<([u8; 16], Class)> = store.digests().collect();
        digests.sort_unstable_by_key(|&(d, _)| d);
        FrozenStore::new(store.message_totals(), entries, days, digests)
    }
}

impl fmt::Debug for FrozenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrozenStore")
            .field("totals", &self.totals)
            .field("tokens", &self.entries.len())
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
            // First the runs, and a load of each run's first entry that
            // the next does not wait for, so that the cache misses of the
            // whole chunk overlap; then the searches find them in cache.
            let mut runs = [(0usize, 0usize); 64];
            let mut touched = 0u64;
            for (r, &k) in runs.iter_mut().zip(chunk) {
                *r = self.run(k);
                touched = touched.wrapping_add(self.entries.get(r.0).map_or(0, |e| e.key));
            }
            std::hint::black_box(touched);
            for (&(lo, hi), &key) in runs.iter().zip(chunk) {
                let run = &self.entries[lo..hi];
                let i = run.partition_point(|e| e.key < key);
                let (spam, ham) = match run.get(i) {
                    Some(e) if e.key == key => (e.spam, e.ham),
                    _ => (0, 0),
                };
                out.push(TokenCounts { spam, ham, day: 0 });
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

/// Collects a store file's records for [`FrozenStore`]: in the file's
/// order, which is sorted unless another writer made the file (then
/// they are sorted at the end).
pub(crate) struct Builder {
    entries: Vec<Entry>,
    days: Vec<u32>,
    digests: Vec<([u8; 16], Class)>,
    sorted: bool,
}

impl crate::store::Builder for Builder {
    type Store = FrozenStore;

    fn with_capacity(ntokens: usize, ndigests: usize) -> Self {
        Builder {
            entries: Vec::with_capacity(ntokens),
            days: Vec::with_capacity(ntokens),
            digests: Vec::with_capacity(ndigests),
            sorted: true,
        }
    }

    fn tokens(&mut self, records: &[u8]) -> bool {
        for i in 0..records.len() / TOKEN_LEN {
            let (key, c) = token_record(records, i);
            if let Some(last) = self.entries.last() {
                // A key equal to the last is a duplicate; a smaller one
                // means the file is not in order, and duplicates are
                // looked for after sorting.
                if key == last.key {
                    return false;
                }
                self.sorted &= key > last.key;
            }
            self.entries.push(Entry {
                key,
                spam: c.spam,
                ham: c.ham,
            });
            self.days.push(c.day);
        }
        true
    }

    fn digest(&mut self, digest: [u8; 16], class: Class) {
        self.digests.push((digest, class));
    }

    fn finish(mut self, totals: Totals) -> Result<FrozenStore, FormatError> {
        if u32::try_from(self.entries.len()).is_err() {
            return Err(FormatError::TooLarge);
        }
        if !self.sorted {
            let mut both: Vec<(Entry, u32)> = self.entries.into_iter().zip(self.days).collect();
            both.sort_unstable_by_key(|(e, _)| e.key);
            if both.windows(2).any(|w| w[0].0.key == w[1].0.key) {
                return Err(FormatError::Duplicate);
            }
            (self.entries, self.days) = both.into_iter().unzip();
        }
        if !self.digests.is_sorted_by(|a, b| a.0 < b.0) {
            self.digests.sort_unstable_by_key(|&(d, _)| d);
            if self.digests.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(FormatError::Duplicate);
            }
        }
        Ok(FrozenStore::new(
            totals,
            self.entries,
            self.days,
            self.digests,
        ))
    }
}

#[cfg(test)]
mod tests;
