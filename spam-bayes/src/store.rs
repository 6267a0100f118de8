//! Token stores: the [`TokenStore`] trait, the in-memory
//! [`MemoryStore`] and its compact, versioned byte format.
//!
//! # File format, version 2
//!
//! All integers little-endian:
//!
//! ```text
//! file     = magic version flags nspam nham ntokens ndigests
//!            *token *digest checksum
//! magic    = "RMPBAYES"                 ; 8 bytes
//! version  = u16                        ; 2
//! flags    = u16                        ; 0, reserved
//! nspam    = u32 / nham = u32           ; messages learned
//! ntokens  = u64 / ndigests = u64
//! token    = hash:u64 spam:u32 ham:u32 day:u32   ; sorted by hash
//! digest   = 16 bytes, class:u8 (1 spam, 0 ham)  ; sorted
//! checksum = u64                        ; FNV-1a 64 of all bytes before
//! ```
//!
//! `hash` is [`crate::token_hash`] of the token text. Version 1 used
//! another hash (and tokenizer); its files are refused with
//! [`FormatError::OldVersion`]: the messages have to be learned again.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::{self, Read};

use crate::Class;
use crate::table::Table;

/// Message totals of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    /// Spam messages learned.
    pub spam: u32,
    /// Ham messages learned.
    pub ham: u32,
}

/// Counts of one token: in how many learned spam and ham messages it
/// appeared, and the day (days since the Unix epoch) it was last learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenCounts {
    /// Spam messages containing the token.
    pub spam: u32,
    /// Ham messages containing the token.
    pub ham: u32,
    /// Day of the last learning that touched the token.
    pub day: u32,
}

/// Whether a change adds or removes a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Learn: increment the counts.
    Add,
    /// Unlearn: decrement the counts (never below zero).
    Remove,
}

/// One message added to or removed from a store, applied atomically.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    /// Sorted distinct token hashes of the message.
    pub tokens: &'a [u64],
    /// Class the message is counted in.
    pub class: Class,
    /// Add or remove.
    pub direction: Direction,
    /// Message digest; added to or removed from the learned set.
    pub digest: [u8; 16],
    /// Current day (days since the Unix epoch), stamped on added tokens.
    pub day: u32,
}

/// Where token counts live. The classifier only talks to a store
/// through this trait, in batches, so that a networked store (Redis,
/// as SpamAssassin and rspamd use) can be one round trip per message.
pub trait TokenStore {
    /// Error of the backing storage; [`Infallible`] in memory.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Messages learned so far.
    ///
    /// # Errors
    ///
    /// When the backing storage fails.
    fn totals(&self) -> Result<Totals, Self::Error>;

    /// Replaces `out` with the counts of each token of `tokens`, in
    /// order; unknown tokens get zero counts.
    ///
    /// # Errors
    ///
    /// When the backing storage fails.
    fn lookup(&self, tokens: &[u64], out: &mut Vec<TokenCounts>) -> Result<(), Self::Error>;

    /// As [`TokenStore::lookup`], except that the `day` of the results
    /// may be left at 0: what classifying needs. A store that keeps the
    /// days apart from the counts can skip reading them; the default
    /// calls `lookup`.
    ///
    /// # Errors
    ///
    /// When the backing storage fails.
    fn lookup_counts(&self, tokens: &[u64], out: &mut Vec<TokenCounts>) -> Result<(), Self::Error> {
        self.lookup(tokens, out)
    }

    /// The class a message with this digest was learned as, if any.
    ///
    /// # Errors
    ///
    /// When the backing storage fails.
    fn learned(&self, digest: &[u8; 16]) -> Result<Option<Class>, Self::Error>;

    /// Applies one learn or unlearn.
    ///
    /// # Errors
    ///
    /// When the backing storage fails.
    fn apply(&mut self, change: &Change<'_>) -> Result<(), Self::Error>;
}

/// Token counts in a hash table (open addressing, 16 bytes a token),
/// with a compact serialized form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStore {
    totals: Totals,
    tokens: Table,
    digests: HashMap<[u8; 16], Class>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of distinct tokens.
    pub fn token_count(&self) -> usize {
        self.tokens.len()
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
        self.tokens.get(token)
    }

    /// Removes tokens last learned before `today - max_age_days`.
    /// Returns how many were removed.
    pub fn expire(&mut self, today: u32, max_age_days: u32) -> usize {
        let before = self.tokens.len();
        let oldest = today.saturating_sub(max_age_days);
        self.tokens.retain(|c| c.day >= oldest);
        before - self.tokens.len()
    }

    /// Removes tokens seen in exactly one message and not learned since
    /// `today - min_age_days` (hapaxes that never came back). Returns
    /// how many were removed.
    pub fn prune_singletons(&mut self, today: u32, min_age_days: u32) -> usize {
        let before = self.tokens.len();
        let newest = today.saturating_sub(min_age_days);
        self.tokens
            .retain(|c| u64::from(c.spam) + u64::from(c.ham) > 1 || c.day > newest);
        before - self.tokens.len()
    }

    /// Serialized size in bytes of [`MemoryStore::to_bytes`].
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + self.tokens.len() * TOKEN_LEN + self.digests.len() * DIGEST_LEN + 8
    }

    /// Serializes the store (format version 2, see the module docs).
    /// The output is deterministic: entries are sorted.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.totals.spam.to_le_bytes());
        out.extend_from_slice(&self.totals.ham.to_le_bytes());
        out.extend_from_slice(&(self.tokens.len() as u64).to_le_bytes());
        out.extend_from_slice(&(self.digests.len() as u64).to_le_bytes());
        let mut tokens: Vec<(u64, TokenCounts)> = self.tokens.iter().collect();
        tokens.sort_unstable_by_key(|(h, _)| *h);
        for (h, c) in tokens {
            out.extend_from_slice(&h.to_le_bytes());
            out.extend_from_slice(&c.spam.to_le_bytes());
            out.extend_from_slice(&c.ham.to_le_bytes());
            out.extend_from_slice(&c.day.to_le_bytes());
        }
        let mut digests: Vec<(&[u8; 16], &Class)> = self.digests.iter().collect();
        digests.sort_unstable();
        for (d, class) in digests {
            out.extend_from_slice(d);
            out.push(u8::from(*class == Class::Spam));
        }
        let sum = fnv64(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Parses the serialized form. Sizes are checked against the input
    /// length before anything is allocated, so a corrupt file cannot
    /// make this allocate more than the file's own size.
    ///
    /// # Errors
    ///
    /// [`FormatError`] when the bytes are not a valid version 2 store.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        decode::<MemoryBuilder>(bytes)
    }

    /// The tokens and their counts, in no particular order.
    pub(crate) fn tokens(&self) -> impl Iterator<Item = (u64, TokenCounts)> + '_ {
        self.tokens.iter()
    }

    /// The learned digests, in no particular order.
    pub(crate) fn digests(&self) -> impl Iterator<Item = ([u8; 16], Class)> + '_ {
        self.digests.iter().map(|(d, c)| (*d, *c))
    }
}

/// What a store is built from while its file is read: blocks of token
/// records in file order, then the digests. [`decode`] and [`read`]
/// check everything else (magic, version, lengths, checksum), so the
/// stores built from a file differ only in their layout.
pub(crate) trait Builder: Sized {
    type Store;

    /// Room for this many tokens and digests (the caller has checked
    /// them against the file's length).
    fn with_capacity(ntokens: usize, ndigests: usize) -> Self;

    /// Whole token records (see [`token_record`]); false when a token
    /// was already there.
    fn tokens(&mut self, records: &[u8]) -> bool;

    fn digest(&mut self, digest: [u8; 16], class: Class);

    /// The store, or [`FormatError::Duplicate`] when a token or digest
    /// came twice.
    fn finish(self, totals: Totals) -> Result<Self::Store, FormatError>;
}

pub(crate) struct MemoryBuilder {
    tokens: Table,
    digests: HashMap<[u8; 16], Class>,
    ntokens: usize,
    ndigests: usize,
}

impl Builder for MemoryBuilder {
    type Store = MemoryStore;

    fn with_capacity(ntokens: usize, ndigests: usize) -> Self {
        MemoryBuilder {
            tokens: Table::with_capacity(ntokens),
            digests: HashMap::with_capacity(ndigests),
            ntokens,
            ndigests,
        }
    }

    fn tokens(&mut self, records: &[u8]) -> bool {
        // In the order that suits the table (see `Table::insert_new_all`).
        let n = records.len() / TOKEN_LEN;
        self.tokens.insert_new_all(n, |i| token_record(records, i))
    }

    fn digest(&mut self, digest: [u8; 16], class: Class) {
        self.digests.insert(digest, class);
    }

    fn finish(self, totals: Totals) -> Result<MemoryStore, FormatError> {
        if self.tokens.len() != self.ntokens || self.digests.len() != self.ndigests {
            return Err(FormatError::Duplicate);
        }
        Ok(MemoryStore {
            totals,
            tokens: self.tokens,
            digests: self.digests,
        })
    }
}

/// The header fields after magic, version and flags: totals, token
/// count, digest count.
fn header_fields(header: &[u8]) -> (Totals, u64, u64) {
    let mut r = Reader {
        bytes: header,
        pos: 12,
    };
    let (spam, ham, ntokens, ndigests) = (r.u32(), r.u32(), r.u64(), r.u64());
    (Totals { spam, ham }, ntokens, ndigests)
}

/// The length of a file holding this many tokens and digests, checksum
/// included.
fn file_len(ntokens: u64, ndigests: u64) -> u128 {
    (HEADER_LEN as u128)
        + u128::from(ntokens) * TOKEN_LEN as u128
        + u128::from(ndigests) * DIGEST_LEN as u128
        + 8
}

fn digest_record(rec: &[u8]) -> ([u8; 16], Class) {
    let mut d = [0u8; 16];
    d.copy_from_slice(&rec[..16]);
    let class = if rec[16] == 1 {
        Class::Spam
    } else {
        Class::Ham
    };
    (d, class)
}

/// Parses a whole serialized store (see [`MemoryStore::from_bytes`]).
pub(crate) fn decode<B: Builder>(bytes: &[u8]) -> Result<B::Store, FormatError> {
    if bytes.len() < HEADER_LEN + 8 {
        return Err(FormatError::Truncated { len: bytes.len() });
    }
    if &bytes[..8] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version == 1 {
        return Err(FormatError::OldVersion(version));
    }
    if version != VERSION {
        return Err(FormatError::UnsupportedVersion(version));
    }
    let (body, sum) = bytes.split_at(bytes.len() - 8);
    let sum = u64::from_le_bytes(sum.try_into().unwrap_or_default());
    if fnv64(body) != sum {
        return Err(FormatError::Checksum);
    }
    let (totals, ntokens, ndigests) = header_fields(body);
    if file_len(ntokens, ndigests) != bytes.len() as u128 {
        return Err(FormatError::LengthMismatch {
            ntokens,
            ndigests,
            len: bytes.len(),
        });
    }
    let (records, digests) = body[HEADER_LEN..].split_at(ntokens as usize * TOKEN_LEN);
    let mut b = B::with_capacity(ntokens as usize, ndigests as usize);
    if !b.tokens(records) {
        return Err(FormatError::Duplicate);
    }
    for rec in digests.chunks_exact(DIGEST_LEN) {
        let (d, class) = digest_record(rec);
        b.digest(d, class);
    }
    b.finish(totals)
}

/// [`decode`] of the `len` bytes `r` gives, read a block at a time
/// instead of all at once: the records are checked, built in and summed
/// while the block is in cache, and no buffer of the file's size is
/// allocated (on a large store, its page faults cost more than the
/// reading). `Ok(None)` when the header does not describe a valid file
/// of `len` bytes, or `r` does not give exactly `len` bytes: the caller
/// then reads the bytes whole and `decode` says what is wrong.
/// Otherwise the result and the error are those of `decode`.
pub(crate) fn read<B: Builder>(
    r: &mut impl Read,
    len: u64,
) -> io::Result<Option<Result<B::Store, FormatError>>> {
    if len < (HEADER_LEN + 8) as u64 {
        return Ok(None);
    }
    let mut header = [0u8; HEADER_LEN];
    if read_exact_or_eof(r, &mut header)?.is_none() {
        return Ok(None);
    }
    if &header[..8] != MAGIC || u16::from_le_bytes([header[8], header[9]]) != VERSION {
        return Ok(None);
    }
    let (totals, ntokens, ndigests) = header_fields(&header);
    if file_len(ntokens, ndigests) != u128::from(len) {
        return Ok(None);
    }
    let mut sum = FnvStream::new(len - 8);
    sum.update(&header);
    // Whole records per block, about 64 KiB.
    const BLOCK: usize = 3276;
    let mut buf = vec![0u8; BLOCK * TOKEN_LEN];
    let mut b = B::with_capacity(ntokens as usize, ndigests as usize);
    let mut duplicate = false;
    let mut left = ntokens as usize;
    while left > 0 {
        let n = left.min(BLOCK);
        let block = &mut buf[..n * TOKEN_LEN];
        if read_exact_or_eof(r, block)?.is_none() {
            return Ok(None);
        }
        sum.update(block);
        // After a duplicate the rest is only summed: a bad checksum is
        // reported first, as `decode` does.
        if !duplicate && !b.tokens(block) {
            duplicate = true;
        }
        left -= n;
    }
    let per_block = buf.len() / DIGEST_LEN;
    let mut left = ndigests as usize;
    while left > 0 {
        let n = left.min(per_block);
        let block = &mut buf[..n * DIGEST_LEN];
        if read_exact_or_eof(r, block)?.is_none() {
            return Ok(None);
        }
        sum.update(block);
        for rec in block.chunks_exact(DIGEST_LEN) {
            let (d, class) = digest_record(rec);
            b.digest(d, class);
        }
        left -= n;
    }
    let mut stored = [0u8; 8];
    if read_exact_or_eof(r, &mut stored)?.is_none() || r.read(&mut [0u8; 1])? != 0 {
        return Ok(None);
    }
    if sum.finish() != u64::from_le_bytes(stored) {
        return Ok(Some(Err(FormatError::Checksum)));
    }
    if duplicate {
        return Ok(Some(Err(FormatError::Duplicate)));
    }
    Ok(Some(b.finish(totals)))
}

/// Fills `buf` from `r`; `None` when `r` ends first.
fn read_exact_or_eof(r: &mut impl Read, buf: &mut [u8]) -> io::Result<Option<()>> {
    match r.read_exact(buf) {
        Ok(()) => Ok(Some(())),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

impl TokenStore for MemoryStore {
    type Error = Infallible;

    fn totals(&self) -> Result<Totals, Infallible> {
        Ok(self.totals)
    }

    fn lookup(&self, tokens: &[u64], out: &mut Vec<TokenCounts>) -> Result<(), Infallible> {
        out.clear();
        out.extend(
            tokens
                .iter()
                .map(|&t| self.tokens.get(t).unwrap_or_default()),
        );
        Ok(())
    }

    fn learned(&self, digest: &[u8; 16]) -> Result<Option<Class>, Infallible> {
        Ok(self.digests.get(digest).copied())
    }

    fn apply(&mut self, change: &Change<'_>) -> Result<(), Infallible> {
        let spam = change.class == Class::Spam;
        match change.direction {
            Direction::Add => {
                bump(&mut self.totals, spam, true);
                self.digests.insert(change.digest, change.class);
                for &t in change.tokens {
                    self.tokens.add(t, spam, change.day);
                }
            }
            Direction::Remove => {
                bump(&mut self.totals, spam, false);
                self.digests.remove(&change.digest);
                for &t in change.tokens {
                    self.tokens.sub(t, spam);
                }
            }
        }
        Ok(())
    }

    fn lookup_counts(&self, tokens: &[u64], out: &mut Vec<TokenCounts>) -> Result<(), Infallible> {
        out.clear();
        self.tokens.counts_many(tokens, out);
        Ok(())
    }
}

fn bump(t: &mut Totals, spam: bool, up: bool) {
    let n = if spam { &mut t.spam } else { &mut t.ham };
    *n = if up {
        n.saturating_add(1)
    } else {
        n.saturating_sub(1)
    };
}

/// Why bytes are not a valid serialized store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// Shorter than the fixed header.
    #[error("token store truncated: {len} bytes is shorter than the header")]
    Truncated {
        /// Length of the input.
        len: usize,
    },
    /// Does not start with `RMPBAYES`.
    #[error("not a rampart token store (bad magic)")]
    BadMagic,
    /// A version this code does not read.
    #[error("unsupported token store version {0}")]
    UnsupportedVersion(u16),
    /// An older version whose token hashes this code no longer computes.
    #[error(
        "token store version {0} was written with an older tokenizer; learn the messages again (or remove the file)"
    )]
    OldVersion(u16),
    /// The trailing checksum does not match.
    #[error("token store checksum mismatch (file corrupt)")]
    Checksum,
    /// The counts in the header do not match the length.
    #[error("token store length {len} does not match {ntokens} tokens and {ndigests} digests")]
    LengthMismatch {
        /// Tokens announced in the header.
        ntokens: u64,
        /// Digests announced in the header.
        ndigests: u64,
        /// Length of the input.
        len: usize,
    },
    /// The same token or digest appears twice.
    #[error("token store holds a duplicate entry")]
    Duplicate,
    /// More tokens than a [`crate::FrozenStore`] indexes (2^32).
    #[error("token store holds too many tokens to freeze")]
    TooLarge,
}

const MAGIC: &[u8; 8] = b"RMPBAYES";
const VERSION: u16 = 2;
pub(crate) const HEADER_LEN: usize = 8 + 2 + 2 + 4 + 4 + 8 + 8;
pub(crate) const TOKEN_LEN: usize = 8 + 4 + 4 + 4;
const DIGEST_LEN: usize = 17;

/// The `i`-th token record of `records` (little-endian hash, spam,
/// ham, day); `records` holds at least `i + 1` of them.
pub(crate) fn token_record(records: &[u8], i: usize) -> (u64, TokenCounts) {
    let at = i * TOKEN_LEN;
    let word =
        |k: usize| u32::from_le_bytes(records[at + k..at + k + 4].try_into().unwrap_or_default());
    let h = u64::from(word(0)) | u64::from(word(4)) << 32;
    let c = TokenCounts {
        spam: word(8),
        ham: word(12),
        day: word(16),
    };
    (h, c)
}

fn fnv64(bytes: &[u8]) -> u64 {
    // Eight interleaved lanes keep this fast on large stores.
    let mut lanes = [0xcbf2_9ce4_8422_2325u64; 8];
    let chunks = bytes.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &b) in lanes.iter_mut().zip(chunk) {
            *lane = (*lane ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for v in lanes
        .iter()
        .flat_map(|l| l.to_le_bytes())
        .chain(tail.iter().copied())
    {
        h = (h ^ u64::from(v)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ bytes.len() as u64
}

/// [`fnv64`] of `len` bytes given in pieces of any size.
struct FnvStream {
    lanes: [u64; 8],
    /// Bytes taken so far.
    at: u64,
    /// Where the lanes stop: the last `len % 8` bytes are the tail.
    lanes_end: u64,
    len: u64,
    tail: [u8; 8],
}

impl FnvStream {
    fn new(len: u64) -> FnvStream {
        FnvStream {
            lanes: [FNV_OFFSET; 8],
            at: 0,
            lanes_end: len - len % 8,
            len,
            tail: [0; 8],
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        // Single bytes up to a lane boundary, whole groups of eight, then
        // single bytes again (and the tail).
        while !data.is_empty() && (!self.at.is_multiple_of(8) || self.at + 8 > self.lanes_end) {
            self.byte(data[0]);
            data = &data[1..];
        }
        let room = ((self.lanes_end - self.at) as usize).min(data.len()) / 8 * 8;
        let (bulk, rest) = data.split_at(room);
        for chunk in bulk.chunks_exact(8) {
            for (lane, &b) in self.lanes.iter_mut().zip(chunk) {
                *lane = (*lane ^ u64::from(b)).wrapping_mul(FNV_PRIME);
            }
        }
        self.at += room as u64;
        for &b in rest {
            self.byte(b);
        }
    }

    fn byte(&mut self, b: u8) {
        if self.at < self.lanes_end {
            let lane = &mut self.lanes[(self.at % 8) as usize];
            *lane = (*lane ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        } else if self.at < self.len {
            self.tail[(self.at - self.lanes_end) as usize] = b;
        }
        self.at += 1;
    }

    fn finish(&self) -> u64 {
        let tail = &self.tail[..(self.len - self.lanes_end) as usize];
        let mut h = FNV_OFFSET;
        for v in self
            .lanes
            .iter()
            .flat_map(|l| l.to_le_bytes())
            .chain(tail.iter().copied())
        {
            h = (h ^ u64::from(v)).wrapping_mul(FNV_PRIME);
        }
        h ^ self.len
    }
}

/// [`fnv64`], for the file module's tests.
#[cfg(test)]
pub(crate) fn tests_fnv64(bytes: &[u8]) -> u64 {
    fnv64(bytes)
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Reads fixed-size fields; lengths were validated beforehand.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        s
    }
    fn u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        b.copy_from_slice(self.take(4));
        u32::from_le_bytes(b)
    }
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(self.take(8));
        u64::from_le_bytes(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(tokens: &[u64], class: Class, direction: Direction, d: u8, day: u32) -> Change<'_> {
        Change {
            tokens,
            class,
            direction,
            digest: [d; 16],
            day,
        }
    }

    #[test]
    fn add_remove_and_roundtrip() {
        let mut s = MemoryStore::new();
        s.apply(&change(&[1, 2, 3], Class::Spam, Direction::Add, 1, 10))
            .unwrap();
        s.apply(&change(&[2, 4], Class::Ham, Direction::Add, 2, 12))
            .unwrap();
        assert_eq!(s.message_totals(), Totals { spam: 1, ham: 1 });
        assert_eq!(
            s.get(2),
            Some(TokenCounts {
                spam: 1,
                ham: 1,
                day: 12
            })
        );
        let bytes = s.to_bytes();
        assert_eq!(bytes.len(), s.encoded_len());
        assert_eq!(MemoryStore::from_bytes(&bytes).unwrap(), s);
        s.apply(&change(&[2, 4], Class::Ham, Direction::Remove, 2, 13))
            .unwrap();
        assert_eq!(s.get(4), None);
        assert_eq!(
            s.get(2),
            Some(TokenCounts {
                spam: 1,
                ham: 0,
                day: 12
            })
        );
        assert_eq!(s.learned(&[2; 16]).unwrap(), None);
        assert_eq!(s.learned(&[1; 16]).unwrap(), Some(Class::Spam));
    }

    #[test]
    fn expire_and_prune() {
        let mut s = MemoryStore::new();
        s.apply(&change(&[1, 2], Class::Spam, Direction::Add, 1, 100))
            .unwrap();
        s.apply(&change(&[2], Class::Ham, Direction::Add, 2, 100))
            .unwrap();
        s.apply(&change(&[3], Class::Ham, Direction::Add, 3, 200))
            .unwrap();
        // Token 1 is a singleton from day 100; token 3 a recent one.
        assert_eq!(s.prune_singletons(200, 30), 1);
        assert_eq!(s.get(1), None);
        assert!(s.get(3).is_some());
        assert_eq!(s.expire(200, 50), 1);
        assert_eq!(s.get(2), None);
        assert!(s.get(3).is_some());
    }

    #[test]
    fn corrupt_bytes_are_rejected() {
        let mut s = MemoryStore::new();
        s.apply(&change(&[7, 8], Class::Spam, Direction::Add, 1, 1))
            .unwrap();
        let good = s.to_bytes();
        let cases: Vec<(Vec<u8>, FormatError)> = vec![
            (good[..10].to_vec(), FormatError::Truncated { len: 10 }),
            ([b"XXXXXXXX", &good[8..]].concat(), FormatError::BadMagic),
            (
                {
                    let mut b = good.clone();
                    b[8] = 9;
                    b
                },
                FormatError::UnsupportedVersion(9),
            ),
            (
                {
                    let mut b = good.clone();
                    b[8] = 1;
                    b
                },
                FormatError::OldVersion(1),
            ),
            (
                {
                    let mut b = good.clone();
                    b[HEADER_LEN] ^= 1;
                    b
                },
                FormatError::Checksum,
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(MemoryStore::from_bytes(&bytes), Err(want));
        }
    }

    #[test]
    fn huge_announced_counts_do_not_allocate() {
        let mut b = MemoryStore::new().to_bytes();
        b.truncate(b.len() - 8);
        b[20..28].copy_from_slice(&u64::MAX.to_le_bytes());
        let sum = fnv64(&b);
        b.extend_from_slice(&sum.to_le_bytes());
        assert!(matches!(
            MemoryStore::from_bytes(&b),
            Err(FormatError::LengthMismatch { .. })
        ));
    }
}
