//! Turning a raw message into the set of tokens the classifier counts.
//!
//! The tokenizer parses the message with `mail-parser` (which decodes
//! transfer encodings and converts charsets to UTF-8) and emits tokens
//! such as `subject:viagra`, `from:dom:example.com`, `url:example.com`,
//! `rcvd:ip:192.0.2` or `num:4`. Header tokens carry the header as a
//! prefix so that a word in the subject and the same word in the body
//! count separately.
//!
//! What is looked at:
//!
//! - every header's name (`hdr:x-mailer`), except the ones that record
//!   where the message was stored rather than what it is: mailbox and
//!   list annotations, delivery stamps, dates and other filters' verdicts
//!   (SpamAssassin's Bayes ignores the same list, `IGNORED_HDRS`);
//! - Subject words; From, Reply-To, To and Cc domains (with their parent
//!   domains), the From address and display names; the Message-ID
//!   domain; the mailer; every Received hop (up to 20): host names, IP
//!   addresses with their /24, HELO names and the software words;
//! - the values of the other headers as words with the header as prefix
//!   (`h:x-originating-ip:...`), which catches ratware's tracking headers;
//! - the decoded text parts and HTML rendered to text, with link and
//!   image hosts, tag and image counts kept; URLs (host, parent domains,
//!   path words), e-mail domains, numbers and money by their number of
//!   digits, runs of `!`, words longer than 20 characters as a summary;
//! - the MIME structure: content types, charsets, transfer encodings,
//!   attachment names (their words and extension) and sizes.
//!
//! Tokens are hashed as they are produced ([`token_hash`] of the token
//! text, computed without building the text), so tokenizing allocates
//! little beyond what `mail-parser` needs. Every step is capped (message
//! bytes, text bytes per part, tokens per message, headers, MIME
//! nesting), so a hostile message costs bounded time and memory. Output
//! is deterministic: the same bytes always give the same tokens.

use std::fmt::Write as _;
use std::net::IpAddr;

use mail_parser::{Address, HeaderName, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest as _, Sha256};

/// Limits and options of a [`Tokenizer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerConfig {
    /// Emit pairs of adjacent body words (`bi:free money`) as well. Off by
    /// default: on the SpamAssassin corpus they did not help in
    /// cross-validation and they double the store.
    pub bigrams: bool,
    /// Emit pairs of adjacent words of header text (Subject, display
    /// names, mailer, attachment names and the other headers' words)
    /// with the words' prefix: `subject:bi:free money`. On by default:
    /// in cross-validation on the training half of the SpamAssassin
    /// corpus they raised the ROC AUC (0.999366 to 0.999442) and the
    /// spam caught at 0.1% false positives (84.8% to 88.5%), for a few
    /// more tokens per message.
    pub header_bigrams: bool,
    /// Emit pairs of adjacent words among the first this many words of
    /// the body (`bi:dear friend`), even with [`TokenizerConfig::bigrams`]
    /// off. 50 by default: in cross-validation on the training half of
    /// the SpamAssassin corpus (10 fold assignments pooled) they raised
    /// the ROC AUC (0.999248 to 0.999290) and the spam caught at 0.1%
    /// false positives (87.2% to 92.7%) and at 0.2% (93.2% to 93.7%);
    /// pairs over the whole body did worse, 100 and 200 words no better.
    pub opening_bigrams: usize,
    /// Only this many leading bytes of a message are parsed; the rest is
    /// ignored and a `meta:truncated` token is emitted.
    pub max_message_bytes: usize,
    /// Only this many bytes of each decoded text part are tokenized.
    pub max_text_bytes: usize,
    /// At most this many tokens are emitted per message (before
    /// duplicates are removed).
    pub max_tokens: usize,
    /// Words shorter than this (in characters) are dropped.
    pub min_word_chars: usize,
    /// Words longer than this are replaced by a summary token giving
    /// their first character and rough length.
    pub max_word_chars: usize,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            bigrams: false,
            header_bigrams: true,
            opening_bigrams: 50,
            max_message_bytes: 4 << 20,
            max_text_bytes: 256 << 10,
            max_tokens: 50_000,
            min_word_chars: 3,
            max_word_chars: 20,
        }
    }
}

/// Deepest `message/rfc822` nesting that is looked into.
const MAX_NESTING: usize = 3;
/// Received headers looked at.
const MAX_RECEIVED: usize = 20;
/// Top-level headers looked at.
const MAX_HEADERS: usize = 200;
/// Adjacent header pairs emitted (header order).
const MAX_HEADER_PAIRS: usize = 12;
/// Bytes of a header value tokenized as words.
const MAX_HEADER_VALUE: usize = 300;
/// Bytes of a Received value looked at.
const MAX_RECEIVED_VALUE: usize = 1000;

/// The tokens of one message: 64-bit token hashes, sorted and without
/// duplicates, plus a digest of the whole message.
///
/// Each distinct token counts once per message, as in SpamBayes and
/// bogofilter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenSet {
    digest: [u8; 16],
    hashes: Vec<u64>,
}

impl TokenSet {
    /// Builds a set from token strings and a digest; mostly for tests.
    pub fn from_tokens<'a>(digest: [u8; 16], tokens: impl IntoIterator<Item = &'a str>) -> Self {
        let mut hashes: Vec<u64> = tokens.into_iter().map(token_hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        TokenSet { digest, hashes }
    }

    /// The first 16 bytes of the SHA-256 of the raw message: the
    /// identity used to learn a message only once.
    pub fn digest(&self) -> [u8; 16] {
        self.digest
    }

    /// The sorted, distinct token hashes.
    pub fn hashes(&self) -> &[u64] {
        &self.hashes
    }

    /// Number of distinct tokens.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the message gave no token at all.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// Sorts `v` and removes duplicates, as `sort_unstable` and `dedup` do.
///
/// Token hashes are spread evenly, so a counting pass on their top bits
/// (one to two buckets per hash) leaves them nearly in order, and an
/// insertion sort finishes the job with few moves. Hashes
/// chosen to share their top bits would make that quadratic: past a
/// budget of moves the general sort takes over.
fn sort_dedup(v: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    let n = v.len();
    if n < 64 {
        v.sort_unstable();
        v.dedup();
        return;
    }
    // 2^bits buckets, between n and 2n (at most 2^15): most hold one
    // hash or none, so few hashes move in the insertion sort.
    let bits = (usize::BITS - n.leading_zeros()).min(15);
    let shift = 64 - bits;
    // The scratch holds the bucket counts, then the hashes in bucket
    // order.
    scratch.clear();
    scratch.resize(n + (1 << bits) + 1, 0);
    let (sorted, counts) = scratch.split_at_mut(n);
    for &h in v.iter() {
        counts[(h >> shift) as usize + 1] += 1;
    }
    for i in 1..counts.len() {
        counts[i] += counts[i - 1];
    }
    for &h in v.iter() {
        let b = (h >> shift) as usize;
        sorted[counts[b] as usize] = h;
        counts[b] += 1;
    }
    let mut moves = 0;
    for i in 1..n {
        let x = sorted[i];
        let mut j = i;
        while j > 0 && sorted[j - 1] > x {
            sorted[j] = sorted[j - 1];
            j -= 1;
        }
        sorted[j] = x;
        moves += i - j;
        if moves > 4 * n {
            sorted.sort_unstable();
            break;
        }
    }
    // Back into `v` without the repeats: each hash is written, and the
    // end moves on past it unless it repeats the one before, which the
    // processor cannot predict.
    let mut end = 0;
    let mut prev = !sorted[0];
    for &x in sorted.iter() {
        v[end] = x;
        end += usize::from(x != prev);
        prev = x;
    }
    v.truncate(end);
}

/// Streaming state of [`token_hash`]: the bytes are taken eight at a
/// time (little-endian), each word mixed in with a folded 64x64->128
/// multiply; a partial word is carried across the pieces a token is
/// fed in (prefix, then word), so the result depends only on the
/// concatenated bytes.
#[derive(Clone, Copy)]
struct TokenHasher {
    h: u64,
    buf: u64,
    /// Bytes in `buf`, 0 to 7.
    n: u32,
    len: u64,
}

const HASH_SEED: u64 = 0x243f_6a88_85a3_08d3;
const HASH_K: u64 = 0x9e37_79b9_7f4a_7c15;
const HASH_K2: u64 = 0xd6e8_feb8_6659_fd93;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = u128::from(a) * u128::from(b);
    (m as u64) ^ ((m >> 64) as u64)
}

/// ASCII lowercase of eight bytes at once (bytes from 0x80 unchanged).
#[inline]
fn lower8(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let heptets = x & (0x7f * ONES);
    let ge_a = heptets.wrapping_add((0x80 - u64::from(b'A')) * ONES);
    let gt_z = heptets.wrapping_add((0x7f - u64::from(b'Z')) * ONES);
    let upper = !x & (ge_a ^ gt_z) & (0x80 * ONES);
    x | (upper >> 2)
}

impl TokenHasher {
    #[inline]
    fn new() -> TokenHasher {
        TokenHasher {
            h: HASH_SEED,
            buf: 0,
            n: 0,
            len: 0,
        }
    }

    #[inline(always)]
    fn word(&mut self, x: u64) {
        self.h = fold_mul(self.h ^ x, HASH_K);
    }

    /// Eight more bytes of the stream.
    #[inline(always)]
    fn push8(&mut self, x: u64) {
        if self.n == 0 {
            self.word(x);
        } else {
            let shift = 8 * self.n;
            let full = self.buf | (x << shift);
            self.word(full);
            self.buf = x >> (64 - shift);
        }
    }

    /// Feeds bytes; with `lower`, ASCII letters are lowercased first.
    #[inline(always)]
    fn bytes(&mut self, b: &[u8], lower: bool) {
        let len = b.len();
        if len == 0 {
            return;
        }
        self.len += len as u64;
        let conv = |x: u64| if lower { lower8(x) } else { x };
        let mut chunks = b.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.push8(conv(u64::from_le_bytes(w)));
        }
        let r = chunks.remainder().len();
        if r == 0 {
            return;
        }
        // The last r bytes as the low bytes of a word, zero above.
        let x = if len >= 8 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[len - 8..]);
            u64::from_le_bytes(w) >> (8 * (8 - r))
        } else {
            load_small(b)
        };
        let x = conv(x);
        let n = self.n as usize;
        self.buf |= x << (8 * n);
        if n + r >= 8 {
            let full = self.buf;
            self.word(full);
            // n > 0 here, since r < 8.
            self.buf = x >> (64 - 8 * n);
            self.n = (n + r - 8) as u32;
        } else {
            self.n = (n + r) as u32;
        }
    }

    #[inline(always)]
    fn finish(mut self) -> u64 {
        if self.n > 0 {
            let rest = self.buf;
            self.word(rest);
        }
        fold_mul(self.h ^ self.len, HASH_K2)
    }

    /// What `bytes(word, true)` and then `finish()` give, for a word of
    /// `len` bytes (1 to 16) that are the low bytes of `raw`, fed when
    /// no partial word is pending (`n == 0`). Both words are mixed in
    /// and the right one chosen, so that the length of the word, which
    /// the processor cannot predict, decides no branch.
    #[inline(always)]
    fn finish_short(self, raw: u128, len: usize) -> u64 {
        debug_assert!(self.n == 0 && (1..=16).contains(&len));
        let x = raw & (u128::MAX >> (128 - 8 * len));
        let one = fold_mul(self.h ^ lower8(x as u64), HASH_K);
        let two = fold_mul(one ^ lower8((x >> 64) as u64), HASH_K);
        let h = std::hint::select_unpredictable(len > 8, two, one);
        fold_mul(h ^ (self.len + len as u64), HASH_K2)
    }
}

/// Up to 7 bytes as the low bytes of a little-endian word.
#[inline(always)]
fn load_small(b: &[u8]) -> u64 {
    let len = b.len();
    if len >= 4 {
        // Two overlapping 4-byte reads; the overlap holds the same bytes.
        let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let hi = u32::from_le_bytes([b[len - 4], b[len - 3], b[len - 2], b[len - 1]]);
        u64::from(lo) | (u64::from(hi) << (8 * (len - 4)))
    } else {
        // 1 to 3 bytes: first, middle and last cover them all.
        u64::from(b[0])
            | (u64::from(b[len / 2]) << (8 * (len / 2)))
            | (u64::from(b[len - 1]) << (8 * (len - 1)))
    }
}

/// The 64-bit hash under which a token is stored, computed over the
/// token's UTF-8 bytes (see the store's file format, version 2).
///
/// Stable across platforms and versions of this format: stored counts
/// are found again by it.
pub fn token_hash(token: &str) -> u64 {
    let mut h = TokenHasher::new();
    h.bytes(token.as_bytes(), false);
    h.finish()
}

/// Splits messages into tokens. Build once, use from many threads.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    config: TokenizerConfig,
    parser: MessageParser,
    single: single::Shortcut,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer::new(TokenizerConfig::default())
    }
}

impl Tokenizer {
    /// A tokenizer with the given limits.
    pub fn new(config: TokenizerConfig) -> Self {
        Tokenizer {
            config,
            parser: single::parser(),
            single: single::Shortcut::new(),
        }
    }

    /// The limits in use.
    pub fn config(&self) -> &TokenizerConfig {
        &self.config
    }

    /// Tokenizes a raw RFC 5322 message (a leading mbox `From ` line is
    /// skipped) into hashed tokens.
    pub fn tokenize(&self, raw: &[u8]) -> TokenSet {
        let mut hashes = Vec::with_capacity(512);
        self.token_hashes_into(raw, &mut hashes, &mut Vec::new());
        let full = Sha256::digest(raw);
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full[..16]);
        TokenSet { digest, hashes }
    }

    /// The sorted, distinct token hashes of a message without its
    /// digest: what [`crate::Bayes::classify_hashes`] needs, a little
    /// cheaper than [`Tokenizer::tokenize`] (no SHA-256 of the message).
    pub fn token_hashes(&self, raw: &[u8]) -> Vec<u64> {
        let mut hashes = Vec::with_capacity(512);
        self.token_hashes_into(raw, &mut hashes, &mut Vec::new());
        hashes
    }

    /// [`Tokenizer::token_hashes`] into `out` (cleared first), with
    /// `scratch` as working space (its content is overwritten): a thread
    /// that tokenizes message after message and keeps both vectors
    /// allocates nothing once they have grown to the size of the largest
    /// message.
    pub fn token_hashes_into(&self, raw: &[u8], out: &mut Vec<u64>, scratch: &mut Vec<u64>) {
        self.hashes_into(raw, out, scratch, false);
    }

    /// [`Tokenizer::token_hashes`] with every message parsed whole by
    /// `mail-parser`, without the shortcut for simple messages (see
    /// `tokenize/single.rs`): for checking that the shortcut changes
    /// nothing.
    #[doc(hidden)]
    pub fn token_hashes_full_parse(&self, raw: &[u8]) -> Vec<u64> {
        let mut out = Vec::with_capacity(512);
        self.hashes_into(raw, &mut out, &mut Vec::new(), true);
        out
    }

    /// The sorted, distinct hashes into `out`; `full_parse` as [`run`]
    /// takes it.
    ///
    /// [`run`]: Tokenizer::run
    fn hashes_into(
        &self,
        raw: &[u8],
        out: &mut Vec<u64>,
        scratch: &mut Vec<u64>,
        full_parse: bool,
    ) {
        out.clear();
        self.run(raw, HashSink::new(out), full_parse);
        sort_dedup(out, scratch);
    }

    /// The distinct token strings of a message, sorted; for inspection
    /// and tests.
    pub fn token_strings(&self, raw: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_token(raw, &mut |t| out.push(t.to_owned()));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Calls `sink` with every token of the message, in a deterministic
    /// order, duplicates included. [`token_hash`] of these strings are
    /// the hashes [`Tokenizer::tokenize`] gives.
    pub fn for_each_token(&self, raw: &[u8], sink: &mut dyn FnMut(&str)) {
        self.run(
            raw,
            StrSink {
                buf: String::with_capacity(64),
                sink,
            },
            false,
        );
    }

    /// Tokenizes into `sink`; `full_parse` turns the shortcut of
    /// [`single`] off.
    fn run<S: Sink>(&self, raw: &[u8], sink: S, full_parse: bool) {
        let mut em = Emitter::new(&self.config, sink);
        let mut raw = skip_mbox_line(raw);
        if raw.len() > self.config.max_message_bytes {
            raw = &raw[..self.config.max_message_bytes];
            em.emit("meta:", "truncated");
        }
        em.emit_bucket("meta:size:", raw.len() as u64);
        let parsed = if full_parse {
            self.parser.parse(raw)
        } else {
            self.single.parse(raw).or_else(|| self.parser.parse(raw))
        };
        match parsed {
            Some(msg) => {
                headers(&mut em, &msg);
                body(&mut em, &msg, 0);
            }
            None => {
                em.emit("meta:", "unparsed");
                let text = lossy(raw);
                em.text("", cap_str(&text, self.config.max_text_bytes));
            }
        }
        em.finish();
    }
}

/// Splits an mbox file into its messages: a new message starts at each
/// `From ` line that follows an empty line (the first starts at 0).
/// Each message keeps its `From ` line, which [`Tokenizer`] skips. A
/// file that is a single message comes back whole.
pub fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    let mut starts = vec![0];
    starts.extend(memchr::memmem::find_iter(bytes, b"\n\nFrom ").map(|i| i + 2));
    starts
        .iter()
        .enumerate()
        .map(|(k, &s)| &bytes[s..*starts.get(k + 1).unwrap_or(&bytes.len())])
        .collect()
}

pub(crate) fn skip_mbox_line(raw: &[u8]) -> &[u8] {
    if raw.starts_with(b"From ") {
        match memchr::memchr(b'\n', raw) {
            Some(i) => &raw[i + 1..],
            None => &[],
        }
    } else {
        raw
    }
}

/// `String::from_utf8_lossy`, with the common case (valid UTF-8) checked
/// by `str::from_utf8`, which goes through ASCII a word at a time.
fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(b),
    }
}

/// The longest prefix of `s` of at most `max` bytes ending on a char
/// boundary.
pub(crate) fn cap_str(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// How the last piece of a token is cased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// As it is.
    Keep,
    /// Lowercased as [`push_lower`] does.
    Lower,
    /// Lowercased, and known to be ASCII: the same as [`Case::Lower`],
    /// without looking for other characters first. Lowercasing changes
    /// nothing in a word without capitals, so it can be asked for
    /// whether or not the word has any.
    Ascii,
}

impl Case {
    fn lower(lower: bool) -> Case {
        if lower { Case::Lower } else { Case::Keep }
    }
}

/// Where tokens go: hashed on the fly, or as strings.
trait Sink {
    /// One token: `p1`, `p2`, then `word`, cased as `case` says.
    fn token(&mut self, p1: &str, p2: &str, word: &str, case: Case);

    /// One word pair: `p1`, `p2`, `first` cased as `first_case` says, a
    /// space, then `second` cased as `case` says.
    fn pair(&mut self, p1: &str, p2: &str, first: (&str, Case), second: &str, case: Case);

    /// `token(p1, "", word, Case::Ascii)` for an ASCII word of 1 to 16
    /// bytes that are also the low bytes of `raw` (the bytes above them
    /// may be anything).
    #[inline(always)]
    fn short_word(&mut self, p1: &str, word: &str, raw: u128) {
        let _ = raw;
        self.token(p1, "", word, Case::Ascii);
    }
}

/// Collects hashes, dropping most repeats on the way through a small
/// direct-mapped table (the rest go at the final sort and dedup): a
/// message repeats its common words many times.
struct HashSink<'a> {
    out: &'a mut Vec<u64>,
    recent: [u64; 512],
}

impl<'a> HashSink<'a> {
    fn new(out: &'a mut Vec<u64>) -> Self {
        HashSink {
            out,
            recent: [0; 512],
        }
    }
}

impl HashSink<'_> {
    /// Feeds `word` to `h`, cased as `case` says.
    #[inline(always)]
    fn word(h: &mut TokenHasher, word: &str, case: Case) {
        if case == Case::Lower && !word.is_ascii() {
            let mut utf8 = [0u8; 4];
            for c in word.chars() {
                for l in c.to_lowercase() {
                    h.bytes(l.encode_utf8(&mut utf8).as_bytes(), false);
                }
            }
        } else {
            h.bytes(word.as_bytes(), case != Case::Keep);
        }
    }

    #[inline(always)]
    fn push(&mut self, h: u64) {
        let slot = &mut self.recent[(h >> 55) as usize];
        // 0 marks an empty slot, so a hash of 0 is always kept. Whether
        // the hash was just seen is not predictable, so the hash is
        // pushed either way and taken back off when it was.
        let repeat = *slot == h && h != 0;
        *slot = h;
        self.out.push(h);
        let len = self.out.len() - usize::from(repeat);
        self.out.truncate(len);
    }
}

impl Sink for HashSink<'_> {
    #[inline(always)]
    fn token(&mut self, p1: &str, p2: &str, word: &str, case: Case) {
        let mut h = TokenHasher::new();
        h.bytes(p1.as_bytes(), false);
        h.bytes(p2.as_bytes(), false);
        HashSink::word(&mut h, word, case);
        self.push(h.finish());
    }

    #[inline(always)]
    fn pair(&mut self, p1: &str, p2: &str, first: (&str, Case), second: &str, case: Case) {
        // The hash is streamed, so this is the hash of the pair's text
        // without the text being built.
        let mut h = TokenHasher::new();
        h.bytes(p1.as_bytes(), false);
        h.bytes(p2.as_bytes(), false);
        HashSink::word(&mut h, first.0, first.1);
        h.bytes(b" ", false);
        HashSink::word(&mut h, second, case);
        self.push(h.finish());
    }

    #[inline(always)]
    fn short_word(&mut self, p1: &str, word: &str, raw: u128) {
        let mut h = TokenHasher::new();
        h.bytes(p1.as_bytes(), false);
        // Whether the prefix leaves a partial word is the same for every
        // word of a text, so this branch is predicted.
        let hash = if h.n == 0 {
            h.finish_short(raw, word.len())
        } else {
            h.bytes(word.as_bytes(), true);
            h.finish()
        };
        self.push(hash);
    }
}

struct StrSink<'a> {
    buf: String,
    sink: &'a mut dyn FnMut(&str),
}

impl Sink for StrSink<'_> {
    fn token(&mut self, p1: &str, p2: &str, word: &str, case: Case) {
        self.buf.clear();
        self.buf.push_str(p1);
        self.buf.push_str(p2);
        if case != Case::Keep {
            push_lower(&mut self.buf, word);
        } else {
            self.buf.push_str(word);
        }
        (self.sink)(&self.buf);
    }

    fn pair(&mut self, p1: &str, p2: &str, first: (&str, Case), second: &str, case: Case) {
        self.buf.clear();
        self.buf.push_str(p1);
        self.buf.push_str(p2);
        if first.1 != Case::Keep {
            push_lower(&mut self.buf, first.0);
        } else {
            self.buf.push_str(first.0);
        }
        self.buf.push(' ');
        if case != Case::Keep {
            push_lower(&mut self.buf, second);
        } else {
            self.buf.push_str(second);
        }
        (self.sink)(&self.buf);
    }
}

/// `"0"` to `"64"`, for the bucket tokens.
const SMALL: [&str; 65] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    "17", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
    "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46", "47", "48",
    "49", "50", "51", "52", "53", "54", "55", "56", "57", "58", "59", "60", "61", "62", "63", "64",
];

/// Byte classes for the word splitter.
const WS: u16 = 1; // ASCII white space
const TRIM: u16 = 2; // trimmed from both ends of a chunk
const WORD: u16 = 4; // kept inside a word: alphanumeric and $-'.!_%
const NUMERIC: u16 = 8; // digits and $%.,
const COLON: u16 = 16;
const AT: u16 = 32;
const DIGIT: u16 = 64;
const UPPER: u16 = 128;
const LOWER: u16 = 256;
const NUMBER: u16 = 512; // digits and .,
const HIGH: u16 = 1024; // not ASCII
const RCVD_SEP: u16 = 2048; // separates the words of a Received header
const STOP: u16 = 4096; // may end a chunk: ASCII white space, or the lead byte of Unicode white space
const ALNUM: u16 = 8192; // ASCII letters and digits

const fn classes() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            c |= WS;
        }
        if matches!(
            b,
            b'<' | b'>'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'"'
                | b'\''
                | b'`'
                | b','
                | b';'
                | b':'
        ) {
            c |= TRIM;
        }
        if b.is_ascii_alphanumeric() || matches!(b, b'$' | b'-' | b'\'' | b'.' | b'!' | b'_' | b'%')
        {
            c |= WORD;
        }
        if b.is_ascii_digit() || matches!(b, b'$' | b'%' | b'.' | b',') {
            c |= NUMERIC;
        }
        if b.is_ascii_digit() || matches!(b, b'.' | b',') {
            c |= NUMBER;
        }
        if b == b':' {
            c |= COLON;
        }
        if b == b'@' {
            c |= AT;
        }
        if b.is_ascii_digit() {
            c |= DIGIT;
        }
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        if b.is_ascii_lowercase() {
            c |= LOWER;
        }
        if b >= 0x80 {
            c |= HIGH;
        }
        if b.is_ascii_whitespace()
            || matches!(
                b,
                b'(' | b')' | b'[' | b']' | b'<' | b'>' | b',' | b'=' | b';'
            )
        {
            c |= RCVD_SEP;
        }
        if b.is_ascii_alphanumeric() {
            c |= ALNUM;
        }
        if c & WS != 0 || matches!(b, 0xc2 | 0xe1 | 0xe2 | 0xe3) {
            c |= STOP;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CLASS: [u16; 256] = classes();

/// Length of the Unicode white space character (`char::is_whitespace`)
/// starting at `b[i]`, which is not ASCII; 0 when it is something else.
#[inline]
fn unicode_space_len(b: &[u8], i: usize) -> usize {
    let at = |k: usize| b.get(i + k).copied().unwrap_or(0);
    match b[i] {
        0xc2 if matches!(at(1), 0x85 | 0xa0) => 2,
        0xe1 if at(1) == 0x9a && at(2) == 0x80 => 3,
        0xe2 if at(1) == 0x80 && matches!(at(2), 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf) => 3,
        0xe2 if at(1) == 0x81 && at(2) == 0x9f => 3,
        0xe3 if at(1) == 0x80 && at(2) == 0x80 => 3,
        _ => 0,
    }
}

/// The word before the current one in a text (with how it is to be
/// lowercased), for word pairs.
type Prev<'t> = Option<(&'t str, Case)>;

/// Emits tokens to the sink, counting them against the cap.
struct Emitter<'c, S> {
    config: &'c TokenizerConfig,
    sink: S,
    emitted: usize,
    /// Words of the body so far (for [`TokenizerConfig::opening_bigrams`]).
    body_words: u64,
    upper_words: u64,
    words: u64,
}

impl<'c, S: Sink> Emitter<'c, S> {
    fn new(config: &'c TokenizerConfig, sink: S) -> Self {
        Emitter {
            config,
            sink,
            emitted: 0,
            body_words: 0,
            upper_words: 0,
            words: 0,
        }
    }

    #[inline]
    fn full(&self) -> bool {
        self.emitted >= self.config.max_tokens
    }

    #[inline]
    fn token(&mut self, p1: &str, p2: &str, word: &str, lower: bool) {
        self.token_cased(p1, p2, word, Case::lower(lower));
    }

    #[inline]
    fn token_cased(&mut self, p1: &str, p2: &str, word: &str, case: Case) {
        if self.full() {
            return;
        }
        self.emitted += 1;
        self.sink.token(p1, p2, word, case);
    }

    fn emit(&mut self, prefix: &str, word: &str) {
        self.token(prefix, "", word, false);
    }

    /// Emits `prefix` followed by a lowercased word.
    fn emit_lower(&mut self, prefix: &str, word: &str) {
        self.token(prefix, "", word, true);
    }

    /// Emits `prefix` and a rough logarithmic bucket of `n`.
    fn emit_bucket(&mut self, prefix: &str, n: u64) {
        self.emit_bucket2(prefix, "", n);
    }

    fn emit_bucket2(&mut self, p1: &str, p2: &str, n: u64) {
        let bucket = (64 - n.leading_zeros()) as usize;
        self.token(p1, p2, SMALL[bucket], false);
    }

    /// A domain name and its parents down to two labels:
    /// `a.b.example.com`, `b.example.com`, `example.com`. An IP literal
    /// gives `PREFIX ip`.
    fn domain(&mut self, prefix: &str, host: &str) {
        // The trimmed characters are ASCII, so the ends stay on character
        // boundaries.
        let (s, e) = trim_ends(host.as_bytes(), |c| matches!(c, b'.' | b'[' | b']'));
        let host = &host[s..e];
        if host.is_empty() || host.len() > 253 {
            return;
        }
        if looks_numeric(host) && host.parse::<IpAddr>().is_ok() {
            self.emit(prefix, "ip");
            return;
        }
        // The host, then the part after each of its first three dots
        // while another dot follows, all found in one pass.
        let mut dots = [0usize; 4];
        let mut n = 0;
        let mut ascii = true;
        for (i, &c) in host.as_bytes().iter().enumerate() {
            if c == b'.' && n < dots.len() {
                dots[n] = i;
                n += 1;
            }
            ascii &= c.is_ascii();
        }
        let case = if ascii { Case::Ascii } else { Case::Lower };
        self.token_cased(prefix, "", host, case);
        for &dot in &dots[..n.saturating_sub(1).min(3)] {
            self.token_cased(prefix, "", &host[dot + 1..], case);
        }
    }

    /// An IP address in full and as its /24 (IPv4) or /48 (IPv6) network.
    fn ip(&mut self, prefix: &str, ip: IpAddr) {
        let mut s = String::with_capacity(40);
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                for (k, &octet) in o.iter().enumerate() {
                    if k > 0 {
                        s.push('.');
                    }
                    push_decimal(&mut s, octet);
                    if k == 2 {
                        self.emit(prefix, &s);
                    }
                }
                self.emit(prefix, &s);
            }
            IpAddr::V6(v6) => {
                let seg = v6.segments();
                let _ = write!(s, "{:x}:{:x}:{:x}", seg[0], seg[1], seg[2]);
                self.emit(prefix, &s);
                s.clear();
                let _ = write!(s, "{v6}");
                self.emit(prefix, &s);
            }
        }
    }

    /// A URL: its scheme, host and parent domains, and the words of its
    /// path.
    fn url(&mut self, prefix: &str, url: &str) {
        let rest = match url.find("://") {
            Some(i) => {
                let scheme = &url[..i];
                if scheme.len() <= 10 && scheme.bytes().all(|b| b.is_ascii_alphabetic()) {
                    self.emit_lower("url:scheme:", scheme);
                }
                &url[i + 3..]
            }
            None => url,
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let mut authority = &rest[..end];
        if let Some(at) = authority.rfind('@') {
            self.emit(prefix, "userinfo");
            authority = &authority[at + 1..];
        }
        let host = match authority.rfind(':') {
            Some(i) if !authority.starts_with('[') || authority[..i].ends_with(']') => {
                self.emit(prefix, "port");
                &authority[..i]
            }
            _ => authority,
        };
        if host.contains('%') {
            self.emit(prefix, "escaped-host");
        }
        self.domain(prefix, host);
        let path = &rest[end..];
        let mut pieces = 0;
        for piece in path.split(|c: char| !c.is_alphanumeric()) {
            if piece.len() < 3 || piece.len() > 20 {
                continue;
            }
            pieces += 1;
            if pieces > 8 {
                break;
            }
            self.emit_lower("url:path:", piece);
        }
    }

    /// Splits free text into words and emits them with `prefix`.
    fn text(&mut self, prefix: &str, text: &str) {
        // The word before, for word pairs.
        let mut prev: Prev<'_> = None;
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if self.full() {
                break;
            }
            // Skip white space.
            let c = b[i];
            if c < 0x80 {
                if CLASS[c as usize] & WS != 0 {
                    i += 1;
                    continue;
                }
            } else {
                let n = unicode_space_len(b, i);
                if n > 0 {
                    i += n;
                    continue;
                }
            }
            // The commonest chunk, a short ASCII word, found sixteen
            // bytes at a time.
            if let Some(w) = b.get(i..i + 16).and_then(leading_word) {
                let word = &text[i..i + w.len];
                i += w.taken;
                if w.cases == 0 {
                    self.emit_bucket2(prefix, "num:", w.len as u64);
                } else {
                    self.plain_word(prefix, word, true, Some(w.cases), Some(w.raw), &mut prev);
                }
                continue;
            }
            // A chunk runs to the next white space; note what it is made
            // of on the way.
            let start = i;
            // `all` without the last byte too.
            let (mut any, mut all, mut all_but_last) = (0u16, u16::MAX, u16::MAX);
            while i < b.len() {
                let class = CLASS[b[i] as usize];
                // One test per byte in the common case; the lead bytes of
                // Unicode white space are looked at more closely.
                if class & STOP != 0 && (class & WS != 0 || unicode_space_len(b, i) > 0) {
                    break;
                }
                any |= class;
                all_but_last = all;
                all &= class;
                i += 1;
            }
            let chunk = &text[start..i];
            // The common cases: letters and digits only, or followed by
            // one character that `chunk` would trim (`,` `)` `"` and the
            // like), or `.` or `?`, which `chunk`, `word_piece` and
            // `word` set aside in the end: nothing to split, no URL
            // (no `://`, and `www.` needs more than one dot), address or
            // money; what those steps would do comes down to this.
            let core = if all & ALNUM != 0 {
                Some(chunk)
            } else if chunk.len() > 1
                && all_but_last & ALNUM != 0
                && (CLASS[b[i - 1] as usize] & TRIM != 0 || matches!(b[i - 1], b'.' | b'?'))
            {
                Some(&chunk[..chunk.len() - 1])
            } else {
                None
            };
            if let Some(core) = core {
                // The classes of the last byte add no letter or case.
                if any & (UPPER | LOWER) == 0 {
                    self.emit_bucket2(prefix, "num:", core.len() as u64);
                } else {
                    self.plain_word(prefix, core, true, Some(any), None, &mut prev);
                }
                continue;
            }
            self.chunk(prefix, chunk, any, all, &mut prev);
        }
    }

    /// One white-space separated chunk; `any` and `all` are the union
    /// and intersection of its byte classes.
    fn chunk<'t>(
        &mut self,
        prefix: &str,
        chunk: &'t str,
        mut any: u16,
        mut all: u16,
        prev: &mut Prev<'t>,
    ) {
        let cb = chunk.as_bytes();
        let (mut s, mut e) = (0, cb.len());
        while s < e && CLASS[cb[s] as usize] & TRIM != 0 {
            s += 1;
        }
        while e > s && CLASS[cb[e - 1] as usize] & TRIM != 0 {
            e -= 1;
        }
        // Both ends are ASCII (or the whole range), so on char boundaries.
        let trimmed = &chunk[s..e];
        let tb = trimmed.as_bytes();
        if tb.is_empty() {
            return;
        }
        if tb.len() != cb.len() {
            (any, all) = (0, u16::MAX);
            for &b in tb {
                let c = CLASS[b as usize];
                any |= c;
                all &= c;
            }
        }
        if any & COLON != 0 && memchr::memmem::find(tb, b"://").is_some() {
            self.url("url:", trimmed);
            return;
        }
        if tb.len() > 4 && tb[..4].eq_ignore_ascii_case(b"www.") {
            self.url("url:", trimmed);
            return;
        }
        if any & AT != 0
            && let Some(at) = memchr::memchr(b'@', tb)
        {
            let domain = trimmed[at + 1..].trim_end_matches(|c: char| !c.is_alphanumeric());
            if at > 0 && domain.contains('.') {
                self.domain("email:", domain);
                return;
            }
        }
        if any & DIGIT != 0 {
            let mut ne = tb.len();
            while ne > 0 && matches!(tb[ne - 1], b'.' | b'!' | b'?') {
                ne -= 1;
            }
            let numeric = &tb[..ne];
            if numeric.iter().any(u8::is_ascii_digit)
                && numeric.iter().all(|&b| CLASS[b as usize] & NUMERIC != 0)
            {
                self.word(prefix, &trimmed[..ne], true, None, prev);
                return;
            }
        }
        // Words inside the chunk: split on punctuation that does not
        // belong to words, keeping `$`, `-`, `'`, `.`, `!`, `_` and `%`.
        if all & WORD != 0 {
            // The common case: one plain ASCII word.
            self.word_piece(prefix, trimmed, true, Some(any), prev);
        } else if any & HIGH == 0 {
            let mut i = 0;
            while i < tb.len() {
                while i < tb.len() && CLASS[tb[i] as usize] & WORD == 0 {
                    i += 1;
                }
                let start = i;
                while i < tb.len() && CLASS[tb[i] as usize] & WORD != 0 {
                    i += 1;
                }
                if i > start {
                    self.word_piece(prefix, &trimmed[start..i], true, None, prev);
                }
            }
        } else {
            for piece in trimmed.split(|c: char| {
                !(c.is_alphanumeric() || matches!(c, '$' | '-' | '\'' | '.' | '!' | '_' | '%'))
            }) {
                if !piece.is_empty() {
                    self.word_piece(prefix, piece, piece.is_ascii(), None, prev);
                }
            }
        }
    }

    fn word_piece<'t>(
        &mut self,
        prefix: &str,
        piece: &'t str,
        ascii: bool,
        classes: Option<u16>,
        prev: &mut Prev<'t>,
    ) {
        let b = piece.as_bytes();
        let (mut s, mut e) = (0, b.len());
        while s < e && matches!(b[s], b'.' | b'-' | b'\'' | b'_') {
            s += 1;
        }
        while e > s && matches!(b[e - 1], b'.' | b'-' | b'\'' | b'_') {
            e -= 1;
        }
        if e > s {
            self.word(prefix, &piece[s..e], ascii, classes, prev);
        }
    }

    /// One word; `ascii` when it is known to be ASCII, `classes` the
    /// union of its byte classes when known.
    fn word<'t>(
        &mut self,
        prefix: &str,
        word: &'t str,
        ascii: bool,
        classes: Option<u16>,
        prev: &mut Prev<'t>,
    ) {
        let b = word.as_bytes();
        // Numbers, money and percentages become their shape.
        let (s, e) = trim_ends(b, |c| matches!(c, b'$' | b'%' | b'!'));
        let core = &b[s..e];
        if !core.is_empty() && core.iter().all(|&c| CLASS[c as usize] & NUMBER != 0) {
            let digits = core.iter().filter(|c| c.is_ascii_digit()).count() as u64;
            if b[0] == b'$' {
                self.emit_bucket2(prefix, "money:", digits);
            } else if b[b.len() - 1] == b'%' {
                self.emit(prefix, "percent");
            } else {
                self.emit_bucket2(prefix, "num:", digits);
            }
            return;
        }
        let bangs = b.iter().rev().take_while(|&&c| c == b'!').count();
        if bangs > 0 {
            self.emit(prefix, if bangs > 1 { "bang:many" } else { "bang:one" });
        }
        let word = &word[..word.len() - bangs];
        self.plain_word(prefix, word, ascii, classes, None, prev);
    }

    /// What [`Emitter::word`] does with a word that is not a number, its
    /// trailing `!` removed. `raw`, when given, holds the word's bytes
    /// as its low bytes (see [`leading_word`]).
    #[inline]
    fn plain_word<'t>(
        &mut self,
        prefix: &str,
        word: &'t str,
        ascii: bool,
        classes: Option<u16>,
        raw: Option<u128>,
        prev: &mut Prev<'t>,
    ) {
        let chars = if ascii {
            word.len()
        } else {
            word.chars().count()
        };
        if chars < self.config.min_word_chars {
            return;
        }
        if chars > self.config.max_word_chars {
            // Long words are mostly encoded junk; keep only their shape.
            let first = word.chars().next().unwrap_or('?');
            let kind = if first.is_ascii_alphanumeric() {
                first.to_ascii_lowercase()
            } else {
                '~'
            };
            let mut s = String::with_capacity(12);
            let _ = write!(s, "skip:{kind}:{}", chars / 10 * 10);
            self.emit(prefix, &s);
            return;
        }
        self.words += 1;
        if prefix.is_empty() {
            self.body_words += 1;
        }
        let (has_lower, has_upper) = if ascii {
            let any = classes
                .unwrap_or_else(|| word.bytes().fold(0u16, |acc, c| acc | CLASS[c as usize]));
            (any & LOWER != 0, any & UPPER != 0)
        } else {
            (
                word.chars().any(char::is_lowercase),
                word.chars().any(char::is_uppercase),
            )
        };
        if !has_lower && chars >= 4 && has_upper {
            self.upper_words += 1;
        }
        let case = if ascii { Case::Ascii } else { Case::Lower };
        match raw {
            Some(raw) if !self.full() => {
                self.emitted += 1;
                self.sink.short_word(prefix, word, raw);
            }
            Some(_) => {}
            None => self.token_cased(prefix, "", word, case),
        }
        let pairs = if prefix.is_empty() {
            self.config.bigrams || self.body_words <= self.config.opening_bigrams as u64
        } else {
            self.config.header_bigrams
        };
        if pairs {
            if let Some(first) = *prev
                && !first.0.is_empty()
            {
                // Body pairs are `bi:first second`, header pairs keep
                // their prefix: `subject:bi:first second`; both words
                // lowercased.
                if !self.full() {
                    self.emitted += 1;
                    self.sink.pair(prefix, "bi:", first, word, case);
                }
            }
            *prev = Some((word, case));
        }
    }

    /// Emits the per-message summaries collected along the way.
    fn finish(&mut self) {
        if let Some(ratio) = (self.upper_words * 10).checked_div(self.words) {
            self.emit_bucket("meta:upper-tenths:", ratio);
        }
    }
}

/// The ASCII word of letters and digits that starts a chunk, as
/// [`leading_word`] finds it.
struct LeadingWord {
    /// Bytes in the word, 1 to 15.
    len: usize,
    /// Bytes the word and what ends it take: the white space after it,
    /// or the one character that `chunk` would trim (or `.` or `?`) and
    /// the white space after that.
    taken: usize,
    /// `UPPER` and `LOWER` as the word has them (0: digits only).
    cases: u16,
    /// The sixteen bytes, the word's first.
    raw: u128,
}

/// `0x0101…01`: one in every byte of a `u128`.
const BYTE_ONES: u128 = u128::MAX / 0xff;
const BYTE_TOPS: u128 = BYTE_ONES * 0x80;

/// The top bit of every byte of `x` that lies in `lo..=hi` (both
/// ASCII), all sixteen bytes at once: the low seven bits of each byte
/// are offset so that the sum reaches its top bit exactly when the byte
/// is at least `lo` (or greater than `hi`); no sum carries into the next
/// byte, and bytes from 0x80 are left out.
#[inline(always)]
fn bytes_in(x: u128, lo: u8, hi: u8) -> u128 {
    let low7 = x & (BYTE_ONES * 0x7f);
    let at_least_lo = low7 + BYTE_ONES * u128::from(0x80 - lo);
    let above_hi = low7 + BYTE_ONES * u128::from(0x7f - hi);
    at_least_lo & !above_hi & !x & BYTE_TOPS
}

/// The chunk at the start of `block` (sixteen bytes of text, the first
/// not white space) when it is what [`Emitter::text`] handles as a
/// plain word: ASCII letters and digits, fewer than sixteen, then white
/// space, or then one character that `chunk` would trim (or `.` or `?`)
/// and white space. What comes after the word is looked at in the
/// table; the word itself without a branch per byte.
#[inline(always)]
fn leading_word(block: &[u8]) -> Option<LeadingWord> {
    let raw = u128::from_le_bytes(block.try_into().ok()?);
    let upper = bytes_in(raw, b'A', b'Z');
    let lower = bytes_in(raw, b'a', b'z');
    let alnum = upper | lower | bytes_in(raw, b'0', b'9');
    let len = ((!alnum & BYTE_TOPS).trailing_zeros() / 8) as usize;
    if len == 0 || len == 16 {
        return None;
    }
    let ends = |c: u8| CLASS[c as usize] & WS != 0;
    let next = block[len];
    let taken = if ends(next) {
        len + 1
    } else if (CLASS[next as usize] & TRIM != 0 || matches!(next, b'.' | b'?'))
        && block.get(len + 1).is_some_and(|&c| ends(c))
    {
        len + 2
    } else {
        return None;
    };
    let in_word = u128::MAX >> (128 - 8 * len);
    let cases =
        if upper & in_word != 0 { UPPER } else { 0 } | if lower & in_word != 0 { LOWER } else { 0 };
    Some(LeadingWord {
        len,
        taken,
        cases,
        raw,
    })
}

/// The bounds of `b` without the bytes at either end for which `trim`
/// holds.
fn trim_ends(b: &[u8], trim: impl Fn(u8) -> bool) -> (usize, usize) {
    let (mut s, mut e) = (0, b.len());
    while s < e && trim(b[s]) {
        s += 1;
    }
    while e > s && trim(b[e - 1]) {
        e -= 1;
    }
    (s, e)
}

/// Appends `n` in decimal.
fn push_decimal(s: &mut String, n: u8) {
    if n >= 100 {
        s.push(char::from(b'0' + n / 100));
    }
    if n >= 10 {
        s.push(char::from(b'0' + n / 10 % 10));
    }
    s.push(char::from(b'0' + n % 10));
}

/// Whether `s` could be an IP address literal (so that parsing it is
/// worth trying).
fn looks_numeric(s: &str) -> bool {
    s.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || *b == b':')
        || s.contains(':')
}

fn push_lower(buf: &mut String, word: &str) {
    if word.is_ascii() {
        let start = buf.len();
        buf.push_str(word);
        // ASCII stays ASCII, so the buffer remains valid UTF-8.
        buf[start..].make_ascii_lowercase();
    } else {
        for c in word.chars() {
            buf.extend(c.to_lowercase());
        }
    }
}

/// A header name lowercased into a small buffer (names over 40 bytes
/// are not looked at).
struct LowerName {
    buf: [u8; 40],
    len: usize,
}

impl LowerName {
    fn new(name: &str) -> Option<LowerName> {
        if name.len() > 40 || !name.is_ascii() {
            return None;
        }
        let mut buf = [0u8; 40];
        for (d, s) in buf.iter_mut().zip(name.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        Some(LowerName {
            buf,
            len: name.len(),
        })
    }

    fn as_str(&self) -> &str {
        // Lowercased ASCII is ASCII.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// How a top-level header is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeaderUse {
    /// Not looked at at all.
    Ignored,
    /// Its name only.
    Presence,
    /// Its name, and its value by rules of its own.
    Special,
    /// Its name, and its value as words.
    Words,
}

/// Which headers are looked at, and how.
///
/// Ignored, as in SpamAssassin's Bayes (`IGNORED_HDRS`): headers that
/// record how a message was delivered, filed or filtered rather than
/// what it is (`Delivered-To`, `Status`, `X-Keywords`, `Lines`, list
/// bookkeeping, other filters' and virus scanners' verdicts, the Date).
/// Learning them teaches the classifier where each kind of message was
/// collected. Presence only: values unique to each message (signatures,
/// `X-Face`).
fn header_use(name: &str) -> HeaderUse {
    let Some(lower) = LowerName::new(name) else {
        return HeaderUse::Ignored;
    };
    let l = lower.as_str();
    let bare = l.strip_prefix("x-").unwrap_or(l);
    let ignored = matches!(
        bare,
        "sender"
            | "envelope-to"
            | "mailing-list"
            | "status"
            | "resent-from"
            | "resent-to"
            | "resent-date"
            | "original-from"
            | "original-to"
            | "original-date"
            | "spam-apparently-to"
    ) || matches!(
        l,
        "delivered-to"
            | "delivery-date"
            | "x-mime-autoconverted"
            | "x-converted-to-plain-text"
            | "date"
            | "x-list"
            | "x-unsub"
            | "x-unsubscribe"
            | "x-mailman-version"
            | "x-beenthere"
            | "x-loop"
            | "mail-followup-to"
            | "x-egroups-return"
            | "x-egroups-from"
            | "x-mdmailing-list"
            | "x-xemacs-list"
            | "x-sympa-to"
            | "x-mailscanner"
            | "x-mailscanner-spamcheck"
            | "x-antispam"
            | "x-rbl-warning"
            | "x-mdaemon-deliver-to"
            | "x-mass-check-id"
            | "x-pyzor"
            | "x-filtered-by"
            | "x-scanned-by"
            | "x-scanner"
            | "x-smtpd"
            | "spam"
            | "x-perlmx-spam"
            | "content-class"
            | "thread-index"
            | "thread-topic"
            | "x-originalarrivaltime"
            | "x-flags"
            | "x-keywords"
            | "replied"
            | "forwarded"
            | "lines"
            | "content-length"
            | "x-uid"
            | "x-uidl"
            | "x-imapbase"
            | "x-gnus-mail-source"
            | "xref"
    ) || l.starts_with("list-")
        || l.starts_with("x-list-")
        || l == "x-spam"
        || l.starts_with("x-spam-")
        || l.starts_with("x-bogosity")
        || l.starts_with("x-virus-")
        || l.starts_with("x-dspam-")
        || l.starts_with("x-bugzilla-")
        || l.starts_with("x-vm-")
        || l.starts_with("x-spamcop-")
        || l.starts_with("x-ap-spam-")
        || l.starts_with("x-ripe-spam-")
        || (l.starts_with("x-dcc-") && l.ends_with("-metrics"));
    if ignored {
        return HeaderUse::Ignored;
    }
    match l {
        "subject"
        | "from"
        | "to"
        | "cc"
        | "reply-to"
        | "message-id"
        | "x-mailer"
        | "user-agent"
        | "received"
        | "precedence"
        | "importance"
        | "x-priority"
        | "content-type"
        | "content-transfer-encoding"
        | "content-disposition"
        | "mime-version" => HeaderUse::Special,
        "x-face"
        | "dkim-signature"
        | "domainkey-signature"
        | "x-google-dkim-signature"
        | "arc-message-signature"
        | "arc-seal"
        | "arc-authentication-results"
        | "autocrypt"
        | "x-pgp-fingerprint"
        | "x-gpg-fingerprint"
        | "x-gnupg-fingerprint"
        | "x-pgp-key-fingerprint"
        | "x-gpg-key-fingerprint"
        | "bcc" => HeaderUse::Presence,
        _ => HeaderUse::Words,
    }
}

/// [`header_use`] of the common headers `mail-parser` names, without
/// comparing strings.
fn known_header_use(name: &HeaderName<'_>) -> Option<HeaderUse> {
    use HeaderName as H;
    Some(match name {
        H::Subject
        | H::From
        | H::To
        | H::Cc
        | H::ReplyTo
        | H::MessageId
        | H::Received
        | H::ContentType
        | H::ContentTransferEncoding
        | H::ContentDisposition
        | H::MimeVersion => HeaderUse::Special,
        H::Date
        | H::Sender
        | H::ResentTo
        | H::ResentFrom
        | H::ResentDate
        | H::ListArchive
        | H::ListHelp
        | H::ListId
        | H::ListOwner
        | H::ListPost
        | H::ListSubscribe
        | H::ListUnsubscribe => HeaderUse::Ignored,
        H::DkimSignature
        | H::ArcMessageSignature
        | H::ArcSeal
        | H::ArcAuthenticationResults
        | H::Bcc => HeaderUse::Presence,
        _ => return None,
    })
}

/// Headers whose raw value (the first 200 bytes, lossily decoded) is
/// tokenized as words, the first of each name: the mailer ones with
/// prefix `mailer:`, the others with `hdrval:`.
const NAMED: [&str; 5] = [
    "X-Mailer",
    "User-Agent",
    "Precedence",
    "Importance",
    "X-Priority",
];

/// Tokens from the top-level headers.
fn headers<S: Sink>(em: &mut Emitter<'_, S>, msg: &Message<'_>) {
    let raw = msg.raw_message();
    let mut prefix = String::with_capacity(48);
    let mut received = 0;
    // Header order: each pair of adjacent headers (the delivery stamps
    // Received and Return-Path, and the ignored headers, left out), for
    // the first `MAX_HEADER_PAIRS` pairs. Mail programs, and bulk
    // mailers above all, write their headers in a fixed order.
    let (mut prev, mut pair) = (String::with_capacity(32), String::with_capacity(64));
    let mut pairs = 0;
    let mut date = None;
    // The first X-Mailer, User-Agent, Precedence, Importance and
    // X-Priority among the headers looked at, in that order.
    let mut named: [Option<std::borrow::Cow<'_, str>>; 5] = Default::default();
    for h in msg.headers().iter().take(MAX_HEADERS) {
        let name = h.name();
        // The raw value, cut to `max` bytes before it is checked as UTF-8
        // (a character cut in two becomes U+FFFD).
        let value = |max: usize| {
            let v = raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            lossy(&v[..v.len().min(max)])
        };
        if h.name == HeaderName::Date && date.is_none() {
            date = Some(value(100));
        }
        if matches!(name.len(), 8 | 10)
            && let Some(k) = NAMED.iter().position(|n| n.eq_ignore_ascii_case(name))
            && named[k].is_none()
        {
            named[k] = Some(value(200));
        }
        let usage = known_header_use(&h.name).unwrap_or_else(|| header_use(name));
        if usage == HeaderUse::Ignored {
            continue;
        }
        em.emit_lower("hdr:", name);
        if pairs < MAX_HEADER_PAIRS
            && !matches!(h.name, HeaderName::Received | HeaderName::ReturnPath)
        {
            pair.clear();
            pair.push_str(&prev);
            pair.push('>');
            let mark = pair.len();
            push_lower(&mut pair, cap_str(name, 40));
            if !prev.is_empty() {
                em.emit("hdr:pair:", &pair);
                pairs += 1;
            }
            prev.clear();
            prev.push_str(&pair[mark..]);
        }
        match (usage, &h.name) {
            (HeaderUse::Special, HeaderName::Received) => {
                received += 1;
                if received <= MAX_RECEIVED {
                    received_hop(em, &value(MAX_RECEIVED_VALUE));
                }
            }
            (HeaderUse::Words, _) => {
                prefix.clear();
                prefix.push_str("h:");
                push_lower(&mut prefix, name);
                prefix.push(':');
                em.text(&prefix, &value(MAX_HEADER_VALUE));
            }
            _ => {}
        }
    }
    // What `Message::subject` and the other accessors give (the last
    // header of each name, its parsed value), found in one pass instead
    // of a search from the end for each.
    let all = msg.headers();
    let mut last = [None::<usize>; 8];
    for (i, h) in all.iter().enumerate() {
        let k = match h.name {
            HeaderName::Subject => 0,
            HeaderName::Date => 1,
            HeaderName::ContentType => 2,
            HeaderName::From => 3,
            HeaderName::ReplyTo => 4,
            HeaderName::To => 5,
            HeaderName::Cc => 6,
            HeaderName::MessageId => 7,
            _ => continue,
        };
        last[k] = Some(i);
    }
    let value = |k: usize| last[k].map(|i| &all[i].value);
    let subject = value(0).and_then(|v| v.as_text());
    let msg_date = value(1).and_then(|v| v.as_datetime());
    let content_type = value(2).and_then(|v| v.as_content_type());
    let (from, reply_to) = (
        value(3).and_then(|v| v.as_address()),
        value(4).and_then(|v| v.as_address()),
    );
    let (to, cc) = (
        value(5).and_then(|v| v.as_address()),
        value(6).and_then(|v| v.as_address()),
    );
    let message_id = value(7).and_then(|v| v.as_text());
    match subject {
        Some(s) => {
            let s = cap_str(s, 1000);
            em.text("subject:", s);
            let letters = s.chars().filter(|c| c.is_alphabetic()).count();
            let upper = s.chars().filter(|c| c.is_uppercase()).count();
            if letters >= 8 && upper * 10 >= letters * 7 {
                em.emit("subject:", "shouting");
            }
        }
        None => em.emit("subject:", "missing"),
    }
    if msg_date.is_none() {
        em.emit("date:", "missing-or-bad");
    }
    // Shapes (letters, digits and punctuation as written) of values
    // that mail programs format each in their own way.
    let mut shaped = String::with_capacity(40);
    if let Some(d) = date {
        shape(d.trim(), &mut shaped, 32);
        em.emit("date:shape:", &shaped);
    }
    if let Some(b) = content_type.and_then(|ct| ct.attribute("boundary")) {
        shape(b, &mut shaped, 32);
        em.emit("boundary:shape:", &shaped);
    }
    address(em, "from:", from, true);
    address(em, "reply-to:", reply_to, false);
    address(em, "to:", to, false);
    address(em, "cc:", cc, false);
    let recipients = to.map_or(0, |a| a.iter().count()) + cc.map_or(0, |a| a.iter().count());
    em.emit_bucket("rcpt:count:", recipients as u64);

    if let Some(id) = message_id {
        let local = id.rsplit_once('@').map_or(id, |(l, _)| l);
        shape(local, &mut shaped, 24);
        em.emit("msgid:shape:", &shaped);
    }
    match message_id {
        Some(id) => match id.rfind('@') {
            Some(at) => em.domain("msgid:", &id[at + 1..]),
            None => em.emit("msgid:", "no-domain"),
        },
        None => em.emit("msgid:", "missing"),
    }
    let [mailer, agent, precedence, importance, priority] = named;
    for v in [mailer, agent].into_iter().flatten() {
        em.text("mailer:", &v);
    }
    for v in [precedence, importance, priority].into_iter().flatten() {
        em.text("hdrval:", &v);
    }
}

/// The shape of `s` into `out`: lowercase (and uncased) letters become
/// `a`, uppercase `A`, digits `9`, a run of one of these becomes one
/// character, anything else is kept; at most `max` characters. So
/// `Mon, 2 Sep 2002 13:22:30 +0100` is `Aa, 9 Aa 9 9:9:9 +9`.
fn shape(s: &str, out: &mut String, max: usize) {
    out.clear();
    let mut last = '\0';
    let mut n = 0;
    for c in s.chars() {
        let k = if c.is_ascii_digit() {
            '9'
        } else if c.is_lowercase() {
            'a'
        } else if c.is_uppercase() {
            'A'
        } else if c.is_alphanumeric() {
            'a'
        } else {
            c
        };
        if k == last && matches!(k, '9' | 'a' | 'A') {
            continue;
        }
        last = k;
        out.push(k);
        n += 1;
        if n >= max {
            break;
        }
    }
}

/// One Received header: the host names after `from` and `by` (and in
/// the parenthesized comment of the `from` part: reverse DNS, HELO),
/// IP addresses with their networks, the protocol after `with`, and the
/// other words of the `from` and `by` parts (relay software, `unknown`,
/// `HELO`). Queue ids, recipients and the date are left out: they are
/// unique per message.
fn received_hop<S: Sink>(em: &mut Emitter<'_, S>, value: &str) {
    let value = match value.rfind(';') {
        Some(i) => &value[..i],
        None => value,
    };
    #[derive(Clone, Copy, PartialEq)]
    enum Next {
        Any,
        From,
        By,
        Helo,
        With,
        Skip,
    }
    let mut next = Next::Any;
    let mut words = 0;
    // The separators are all ASCII, so the pieces between them are on
    // character boundaries.
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && CLASS[b[i] as usize] & RCVD_SEP != 0 {
            i += 1;
        }
        let start = i;
        while i < b.len() && CLASS[b[i] as usize] & RCVD_SEP == 0 {
            i += 1;
        }
        if i == start {
            continue;
        }
        let w = &value[start..i];
        let expected = std::mem::replace(&mut next, Next::Any);
        let lw = w.as_bytes();
        let kw = |k: &str| lw.eq_ignore_ascii_case(k.as_bytes());
        if expected == Next::Any {
            if kw("from") {
                next = Next::From;
                continue;
            }
            if kw("by") {
                next = Next::By;
                continue;
            }
            if kw("helo") || kw("ehlo") {
                next = Next::Helo;
                continue;
            }
            if kw("with") {
                next = Next::With;
                continue;
            }
            if kw("id") || kw("for") || kw("envelope-from") || kw("via") {
                next = Next::Skip;
                continue;
            }
        }
        if expected == Next::Skip {
            continue;
        }
        let w = w.strip_prefix("IPv6:").unwrap_or(w);
        let w = w.trim_matches(|c: char| c == '.' || c == '"' || c == '\'');
        if w.is_empty() {
            continue;
        }
        if looks_numeric(w)
            && let Ok(ip) = w.parse::<IpAddr>()
        {
            em.ip("rcvd:ip:", ip);
            continue;
        }
        match expected {
            Next::From => em.domain("rcvd:from:", w),
            Next::By => em.domain("rcvd:by:", w),
            Next::Helo => em.domain("rcvd:helo:", w),
            Next::With => em.emit_lower("rcvd:with:", cap_str(w, 20)),
            _ => {
                if w.contains('.') && w.bytes().any(|b| b.is_ascii_alphabetic()) {
                    if w.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                    {
                        em.domain("rcvd:host:", w);
                    }
                } else if (3..=20).contains(&w.len())
                    && w.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
                {
                    words += 1;
                    if words <= 12 {
                        em.emit_lower("rcvd:w:", w);
                    }
                }
            }
        }
    }
}

fn address<S: Sink>(em: &mut Emitter<'_, S>, prefix: &str, addr: Option<&Address<'_>>, full: bool) {
    let Some(addr) = addr else {
        em.emit(prefix, "missing");
        return;
    };
    let mut dom_prefix = String::with_capacity(prefix.len() + 4);
    dom_prefix.push_str(prefix);
    dom_prefix.push_str("dom:");
    let mut name_prefix = String::with_capacity(prefix.len() + 5);
    name_prefix.push_str(prefix);
    name_prefix.push_str("name:");
    for a in addr.iter().take(20) {
        if let Some(email) = a.address() {
            let email = cap_str(email, 256);
            match email.rfind('@') {
                Some(at) => {
                    em.domain(&dom_prefix, &email[at + 1..]);
                    if full {
                        em.token(prefix, "addr:", email, true);
                    }
                }
                None => em.emit(prefix, "no-domain"),
            }
        }
        match a.name() {
            Some(n) => em.text(&name_prefix, cap_str(n, 200)),
            None if full => em.emit(prefix, "no-name"),
            None => {}
        }
    }
}

/// Tokens from the MIME structure and decoded bodies.
fn body<S: Sink>(em: &mut Emitter<'_, S>, msg: &Message<'_>, depth: usize) {
    let max_text = em.config.max_text_bytes;
    let mut html_parts = 0u64;
    let mut text_parts = 0u64;
    for part in &msg.parts {
        if em.full() {
            return;
        }
        if let Some(ct) = part.content_type() {
            let mut s = String::with_capacity(32);
            push_lower(&mut s, cap_str(ct.ctype(), 40));
            if let Some(sub) = ct.subtype() {
                s.push('/');
                push_lower(&mut s, cap_str(sub, 40));
            }
            em.emit("ct:", &s);
            if let Some(cs) = ct.attribute("charset") {
                em.emit_lower("charset:", cap_str(cs, 40));
            }
        }
        if let Some(cte) = part.content_transfer_encoding() {
            em.emit_lower("cte:", cap_str(cte, 40));
        }
        if part.is_encoding_problem {
            em.emit("meta:", "encoding-problem");
        }
        match &part.body {
            PartType::Text(t) => {
                text_parts += 1;
                em.text("", cap_str(t, max_text));
            }
            PartType::Html(t) => {
                html_parts += 1;
                html(em, cap_str(t, max_text));
            }
            PartType::Binary(b) | PartType::InlineBinary(b) => {
                em.emit_bucket("att:size:", b.len() as u64);
                if let Some(name) = part.attachment_name() {
                    let name = cap_str(name, 200);
                    match name.rfind('.') {
                        Some(i) => em.emit_lower("att:ext:", cap_str(&name[i + 1..], 10)),
                        None => em.emit("att:ext:", "none"),
                    }
                    em.text("att:name:", name);
                }
            }
            PartType::Message(inner) => {
                em.emit("meta:", "attached-message");
                if depth < MAX_NESTING {
                    body(em, inner, depth + 1);
                }
            }
            PartType::Multipart(_) => {}
        }
    }
    if depth == 0 {
        let kind = match (text_parts > 0, html_parts > 0) {
            (true, true) => "text+html",
            (true, false) => "text",
            (false, true) => "html-only",
            (false, false) => "no-text",
        };
        em.emit("meta:body:", kind);
    }
}

/// HTML: the visible text as words, link and image hosts as URL tokens,
/// and a few structure tokens (tags used, images, comments).
fn html<S: Sink>(em: &mut Emitter<'_, S>, html: &str) {
    let bytes = html.as_bytes();
    let mut text = String::with_capacity(html.len().min(1 << 16));
    let mut images = 0u64;
    let mut links = 0u64;
    let mut i = 0;
    while i < bytes.len() {
        let Some(lt) = memchr::memchr(b'<', &bytes[i..]) else {
            push_entities(&mut text, &html[i..]);
            break;
        };
        push_entities(&mut text, &html[i..i + lt]);
        i += lt;
        if html[i..].starts_with("<!--") {
            em.emit("html:", "comment");
            i = match memchr::memmem::find(&bytes[i..], b"-->") {
                Some(e) => i + e + 3,
                None => bytes.len(),
            };
            continue;
        }
        let end = match memchr::memchr(b'>', &bytes[i..]) {
            Some(e) => i + e,
            None => bytes.len(),
        };
        let tag = &html[i + 1..end];
        i = (end + 1).min(bytes.len());
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '/' && !tag.starts_with('/'))
            .unwrap_or(tag.len());
        let name = &tag[..name_end];
        if name.is_empty() || name.len() > 12 {
            continue;
        }
        let mut lname_buf = [0u8; 12];
        for (d, s) in lname_buf.iter_mut().zip(name.bytes()) {
            *d = s.to_ascii_lowercase();
        }
        let lname = &lname_buf[..name.len()];
        text.push(' ');
        match lname {
            b"a" | b"area" => {
                if let Some(href) = attr(tag, "href") {
                    links += 1;
                    if href.len() >= 7 && href.as_bytes()[..7].eq_ignore_ascii_case(b"mailto:") {
                        if let Some(at) = href.find('@') {
                            em.domain("email:", href[at + 1..].split('?').next().unwrap_or(""));
                        }
                    } else if href.contains("://") || href.starts_with("www.") {
                        em.url("url:", cap_str(href, 2000));
                    }
                }
            }
            b"img" => {
                images += 1;
                if let Some(src) = attr(tag, "src") {
                    if src.contains("://") {
                        em.url("img:", cap_str(src, 2000));
                    } else if src.starts_with("cid:") {
                        em.emit("img:", "cid");
                    }
                }
            }
            b"script" | b"style" => {
                let script = lname == b"script";
                em.emit("html:tag:", if script { "script" } else { "style" });
                let close = if script { "</script" } else { "</style" };
                i = match find_ascii_ci(&html[i..], close) {
                    Some(e) => i + e,
                    None => bytes.len(),
                };
            }
            b"font" | b"table" | b"form" | b"input" | b"iframe" | b"object" | b"embed"
            | b"center" | b"map" | b"base" | b"meta" => {
                // The tag names in this arm are ASCII.
                em.emit("html:tag:", std::str::from_utf8(lname).unwrap_or(""));
            }
            _ => {}
        }
    }
    em.emit_bucket("html:images:", images);
    em.emit_bucket("html:links:", links);
    em.text("", &text);
}

/// The value of attribute `name` in the inside of a tag, unquoted.
pub(crate) fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(pos) = find_ascii_ci(&tag[from..], name) {
        let start = from + pos;
        from = start + name.len();
        let before_ok = start == 0 || tag.as_bytes()[start - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        return Some(value.trim());
    }
    None
}

/// Byte position of `needle` (ASCII) in `hay`, ignoring ASCII case.
pub(crate) fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    let first_lo = n[0].to_ascii_lowercase();
    let first_up = n[0].to_ascii_uppercase();
    let mut i = 0;
    while let Some(p) = memchr::memchr2(first_lo, first_up, &h[i..]) {
        let s = i + p;
        if s + n.len() > h.len() {
            return None;
        }
        if h[s..s + n.len()].eq_ignore_ascii_case(n) {
            return Some(s);
        }
        i = s + 1;
    }
    None
}

/// Appends HTML text, decoding the common character entities.
pub(crate) fn push_entities(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(amp) = memchr::memchr(b'&', rest.as_bytes()) {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = memchr::memchr(b';', &rest.as_bytes()[..rest.len().min(10)]);
        let decoded = semi.and_then(|e| entity(&rest[1..e]).map(|c| (c, e)));
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(n);
    }
    Some(match name {
        "nbsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "copy" => '©',
        "reg" => '®',
        _ => return None,
    })
}

mod single;

#[cfg(test)]
mod tests;
