//! Turning a raw message into the set of tokens the classifier counts.
//!
//! The tokenizer parses the message with `mail-parser` (which decodes
//! transfer encodings and converts charsets to UTF-8) and emits strings
//! such as `subject:viagra`, `from:dom:example.com`, `url:example.com`
//! or `num:4`. Header tokens carry the header as a prefix so that a word
//! in the subject and the same word in the body count separately.
//!
//! Every step is capped (message bytes, text bytes per part, tokens per
//! message, MIME nesting), so a hostile message costs bounded time and
//! memory. Output is deterministic: the same bytes always give the same
//! tokens in the same order.

use std::net::IpAddr;

use mail_parser::{Address, Host, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest as _, Sha256};

/// Limits and options of a [`Tokenizer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerConfig {
    /// Emit pairs of adjacent body words (`bi:free money`) as well.
    pub bigrams: bool,
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
/// Received headers looked at (the newest ones come first).
const MAX_RECEIVED: usize = 6;

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

/// The 64-bit FNV-1a hash under which a token is stored.
///
/// Stable across versions and platforms: it is part of the file format.
pub fn token_hash(token: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in token.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // A final avalanche so that similar tokens spread over the table.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Splits messages into tokens. Build once, use from many threads.
#[derive(Debug, Clone, Default)]
pub struct Tokenizer {
    config: TokenizerConfig,
}

impl Tokenizer {
    /// A tokenizer with the given limits.
    pub fn new(config: TokenizerConfig) -> Self {
        Tokenizer { config }
    }

    /// The limits in use.
    pub fn config(&self) -> &TokenizerConfig {
        &self.config
    }

    /// Tokenizes a raw RFC 5322 message (a leading mbox `From ` line is
    /// skipped) into hashed tokens.
    pub fn tokenize(&self, raw: &[u8]) -> TokenSet {
        let mut hashes = Vec::with_capacity(512);
        self.for_each_token(raw, &mut |t| hashes.push(token_hash(t)));
        hashes.sort_unstable();
        hashes.dedup();
        let full = Sha256::digest(raw);
        let mut digest = [0u8; 16];
        digest.copy_from_slice(&full[..16]);
        TokenSet { digest, hashes }
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
    /// order, duplicates included.
    pub fn for_each_token(&self, raw: &[u8], sink: &mut dyn FnMut(&str)) {
        let mut em = Emitter::new(&self.config, sink);
        let mut raw = skip_mbox_line(raw);
        if raw.len() > self.config.max_message_bytes {
            raw = &raw[..self.config.max_message_bytes];
            em.emit("meta:", "truncated");
        }
        em.emit_bucket("meta:size:", raw.len() as u64);
        match MessageParser::default().parse(raw) {
            Some(msg) => {
                headers(&mut em, &msg);
                body(&mut em, &msg, 0);
            }
            None => {
                em.emit("meta:", "unparsed");
                let text = String::from_utf8_lossy(raw);
                em.text("", cap_str(&text, self.config.max_text_bytes));
            }
        }
        em.finish();
    }
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

/// Emits tokens to the sink through one reused buffer.
struct Emitter<'c, 's> {
    config: &'c TokenizerConfig,
    sink: &'s mut dyn FnMut(&str),
    buf: String,
    emitted: usize,
    prev_word: String,
    upper_words: u64,
    words: u64,
}

impl<'c, 's> Emitter<'c, 's> {
    fn new(config: &'c TokenizerConfig, sink: &'s mut dyn FnMut(&str)) -> Self {
        Emitter {
            config,
            sink,
            buf: String::with_capacity(64),
            emitted: 0,
            prev_word: String::new(),
            upper_words: 0,
            words: 0,
        }
    }

    fn full(&self) -> bool {
        self.emitted >= self.config.max_tokens
    }

    fn emit(&mut self, prefix: &str, word: &str) {
        if self.full() {
            return;
        }
        self.emitted += 1;
        self.buf.clear();
        self.buf.push_str(prefix);
        self.buf.push_str(word);
        (self.sink)(&self.buf);
    }

    /// Emits `prefix` followed by a lowercased word.
    fn emit_lower(&mut self, prefix: &str, word: &str) {
        if self.full() {
            return;
        }
        self.emitted += 1;
        self.buf.clear();
        self.buf.push_str(prefix);
        push_lower(&mut self.buf, word);
        (self.sink)(&self.buf);
    }

    /// Emits `prefix` and a rough logarithmic bucket of `n`.
    fn emit_bucket(&mut self, prefix: &str, n: u64) {
        let bucket = 64 - n.leading_zeros();
        self.emit(prefix, &itoa(u64::from(bucket)));
    }

    /// A domain name and its parents down to two labels:
    /// `a.b.example.com`, `b.example.com`, `example.com`.
    fn domain(&mut self, prefix: &str, host: &str) {
        let host = host.trim_matches(|c: char| c == '.' || c == '[' || c == ']');
        if host.is_empty() || host.len() > 253 {
            return;
        }
        if host.parse::<IpAddr>().is_ok() {
            self.emit(prefix, "ip");
            return;
        }
        let mut rest = host;
        for _ in 0..4 {
            self.emit_lower(prefix, rest);
            match rest.find('.') {
                Some(i) if rest[i + 1..].contains('.') => rest = &rest[i + 1..],
                _ => break,
            }
        }
    }

    /// An IP address in full and as its /24 (IPv4) or /48 (IPv6) network.
    fn ip(&mut self, prefix: &str, ip: IpAddr) {
        let mut s = String::with_capacity(40);
        match ip {
            IpAddr::V4(v4) => {
                let o = v4.octets();
                s.push_str(&format!("{}.{}.{}", o[0], o[1], o[2]));
                self.emit(prefix, &s);
                s.push_str(&format!(".{}", o[3]));
                self.emit(prefix, &s);
            }
            IpAddr::V6(v6) => {
                let seg = v6.segments();
                s.push_str(&format!("{:x}:{:x}:{:x}", seg[0], seg[1], seg[2]));
                self.emit(prefix, &s);
                self.emit(prefix, &v6.to_string());
            }
        }
    }

    /// A URL: its host and parent domains, and the words of its path.
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
        self.prev_word.clear();
        for chunk in text.split(|c: char| c.is_whitespace()) {
            if self.full() {
                return;
            }
            if chunk.is_empty() {
                continue;
            }
            self.chunk(prefix, chunk);
        }
        self.prev_word.clear();
    }

    fn chunk(&mut self, prefix: &str, chunk: &str) {
        let trimmed = chunk.trim_matches(|c: char| {
            matches!(
                c,
                '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}' | '"' | '\'' | '`' | ',' | ';' | ':'
            )
        });
        if trimmed.contains("://") {
            self.url("url:", trimmed);
            return;
        }
        if trimmed.len() > 4 && trimmed.as_bytes()[..4].eq_ignore_ascii_case(b"www.") {
            self.url("url:", trimmed);
            return;
        }
        if let Some(at) = trimmed.find('@') {
            let domain = trimmed[at + 1..].trim_end_matches(|c: char| !c.is_alphanumeric());
            if domain.contains('.') && at > 0 {
                self.domain("email:", domain);
                return;
            }
        }
        let numeric = trimmed.trim_end_matches(['.', '!', '?']);
        if numeric.bytes().any(|b| b.is_ascii_digit())
            && numeric
                .bytes()
                .all(|b| b.is_ascii_digit() || b"$%.,".contains(&b))
        {
            self.word(prefix, numeric);
            return;
        }
        // Words inside the chunk: split on punctuation that does not
        // belong to words, keeping `$`, `-`, `'`, `.` and `!` inside.
        for word in trimmed.split(|c: char| {
            !(c.is_alphanumeric() || matches!(c, '$' | '-' | '\'' | '.' | '!' | '_' | '%'))
        }) {
            let word = word.trim_matches(|c: char| matches!(c, '.' | '-' | '\'' | '_'));
            if !word.is_empty() {
                self.word(prefix, word);
            }
        }
    }

    fn word(&mut self, prefix: &str, word: &str) {
        // Numbers, money and percentages become their shape.
        let core = word.trim_matches(|c: char| c == '$' || c == '%' || c == '!');
        if !core.is_empty()
            && core
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
        {
            let digits = core.bytes().filter(u8::is_ascii_digit).count() as u64;
            if word.starts_with('$') {
                self.emit_bucket(&format!("{prefix}money:"), digits);
            } else if word.ends_with('%') {
                self.emit(prefix, "percent");
            } else {
                self.emit_bucket(&format!("{prefix}num:"), digits);
            }
            return;
        }
        let bangs = word.bytes().rev().take_while(|&b| b == b'!').count();
        if bangs > 0 {
            self.emit(prefix, if bangs > 1 { "bang:many" } else { "bang:one" });
        }
        let word = word.trim_end_matches('!');
        let ascii = word.is_ascii();
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
            let mut s = String::with_capacity(24);
            s.push_str("skip:");
            s.push(kind);
            s.push(':');
            s.push_str(&itoa((chars / 10 * 10) as u64));
            self.emit(prefix, &s);
            return;
        }
        self.words += 1;
        let (has_lower, has_upper) = if ascii {
            (
                word.bytes().any(|b| b.is_ascii_lowercase()),
                word.bytes().any(|b| b.is_ascii_uppercase()),
            )
        } else {
            (
                word.chars().any(char::is_lowercase),
                word.chars().any(char::is_uppercase),
            )
        };
        if !has_lower && chars >= 4 && has_upper {
            self.upper_words += 1;
        }
        self.emit_lower(prefix, word);
        if self.config.bigrams && prefix.is_empty() {
            if !self.prev_word.is_empty() {
                let mut pair = String::with_capacity(self.prev_word.len() + word.len() + 1);
                pair.push_str(&self.prev_word);
                pair.push(' ');
                push_lower(&mut pair, word);
                self.emit("bi:", &pair);
            }
            self.prev_word.clear();
            push_lower(&mut self.prev_word, word);
        }
    }

    /// Emits the per-message summaries collected along the way.
    fn finish(&mut self) {
        if let Some(ratio) = (self.upper_words * 10).checked_div(self.words) {
            self.emit_bucket("meta:upper-tenths:", ratio);
        }
    }
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

fn itoa(n: u64) -> String {
    n.to_string()
}

/// Tokens from the top-level headers.
fn headers(em: &mut Emitter<'_, '_>, msg: &Message<'_>) {
    for h in msg.headers() {
        let name = h.name();
        // Verdict headers added by filters (ours included) are left out:
        // learning from them would teach the classifier the earlier
        // verdict instead of the message.
        if name.len() <= 40 && !is_verdict_header(name) {
            em.emit_lower("hdr:", name);
        }
    }
    match msg.subject() {
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
    if msg.date().is_none() {
        em.emit("date:", "missing-or-bad");
    }
    address(em, "from:", msg.from(), true);
    address(em, "reply-to:", msg.reply_to(), false);
    address(em, "to:", msg.to(), false);
    address(em, "cc:", msg.cc(), false);
    let recipients =
        msg.to().map_or(0, |a| a.iter().count()) + msg.cc().map_or(0, |a| a.iter().count());
    em.emit_bucket("rcpt:count:", recipients as u64);

    match msg.message_id() {
        Some(id) => match id.rfind('@') {
            Some(at) => em.domain("msgid:", &id[at + 1..]),
            None => em.emit("msgid:", "no-domain"),
        },
        None => em.emit("msgid:", "missing"),
    }
    for name in ["X-Mailer", "User-Agent"] {
        if let Some(v) = msg.header_raw(name) {
            em.text("mailer:", cap_str(v, 200));
        }
    }
    for (i, r) in msg.received_all().enumerate() {
        if i >= MAX_RECEIVED {
            break;
        }
        if let Some(h) = &r.from {
            host(em, "rcvd:from:", h);
        }
        if let Some(ip) = r.from_ip {
            em.ip("rcvd:ip:", ip);
        }
        if let Some(h) = &r.helo {
            host(em, "rcvd:helo:", h);
        }
        if let Some(h) = &r.by {
            host(em, "rcvd:by:", h);
        }
    }
    for name in ["List-Id", "Precedence", "Importance", "X-Priority"] {
        if let Some(v) = msg.header_raw(name) {
            em.text("hdrval:", cap_str(v, 200));
        }
    }
}

/// `X-Spam-*`, `X-Bogosity` and similar headers that carry another
/// filter's opinion.
fn is_verdict_header(name: &str) -> bool {
    let b = name.as_bytes();
    let starts = |p: &str| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    starts("x-spam-") || starts("x-bogosity") || starts("x-virus-") || starts("x-dspam-")
}

fn host(em: &mut Emitter<'_, '_>, prefix: &str, h: &Host<'_>) {
    match h {
        Host::Name(n) => em.domain(prefix, n),
        Host::IpAddr(ip) => em.ip(prefix, *ip),
    }
}

fn address(em: &mut Emitter<'_, '_>, prefix: &str, addr: Option<&Address<'_>>, full: bool) {
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
                        em.emit_lower(&format!("{prefix}addr:"), email);
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
fn body(em: &mut Emitter<'_, '_>, msg: &Message<'_>, depth: usize) {
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
fn html(em: &mut Emitter<'_, '_>, html: &str) {
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
        let lname = name.to_ascii_lowercase();
        text.push(' ');
        match lname.as_str() {
            "a" | "area" => {
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
            "img" => {
                images += 1;
                if let Some(src) = attr(tag, "src") {
                    if src.contains("://") {
                        em.url("img:", cap_str(src, 2000));
                    } else if src.starts_with("cid:") {
                        em.emit("img:", "cid");
                    }
                }
            }
            "script" | "style" => {
                em.emit("html:tag:", &lname);
                let close = if lname == "script" {
                    "</script"
                } else {
                    "</style"
                };
                i = match find_ascii_ci(&html[i..], close) {
                    Some(e) => i + e,
                    None => bytes.len(),
                };
            }
            "font" | "table" | "form" | "input" | "iframe" | "object" | "embed" | "center"
            | "map" | "base" | "meta" => em.emit("html:tag:", &lname),
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
    while let Some(amp) = rest.find('&') {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(raw: &str) -> Vec<String> {
        Tokenizer::default().token_strings(raw.as_bytes())
    }

    fn has(tokens: &[String], t: &str) -> bool {
        tokens.iter().any(|x| x == t)
    }

    const PLAIN: &str = "From spammer@x  Thu Aug 22 16:37:34 2002\r\n\
Received: from mail.evil.example.net (mail.evil.example.net [192.0.2.7]) by mx.example.org\r\n\
From: \"Cheap Pills\" <sales@pills.example.com>\r\n\
To: bob@example.org\r\n\
Subject: FREE MONEY FOR YOU now\r\n\
Message-ID: <abc@host.pills.example.com>\r\n\
X-Mailer: SuperMailer 3.1\r\n\
\r\n\
Visit http://www.pills.example.com/buy/now?id=1 for $1,000 in 30 days!!!\r\n\
Write to info@pills.example.com. A supercalifragilisticexpialidociousword.\r\n";

    #[test]
    fn table_of_expected_tokens() {
        let t = toks(PLAIN);
        let expected = [
            "hdr:from",
            "hdr:received",
            "subject:free",
            "subject:money",
            "subject:you",
            "subject:shouting",
            "from:dom:pills.example.com",
            "from:dom:example.com",
            "from:addr:sales@pills.example.com",
            "from:name:cheap",
            "from:name:pills",
            "to:dom:example.org",
            "msgid:host.pills.example.com",
            "msgid:example.com",
            "mailer:supermailer",
            "rcvd:ip:192.0.2",
            "rcvd:ip:192.0.2.7",
            "rcvd:from:mail.evil.example.net",
            "rcvd:from:example.net",
            "url:www.pills.example.com",
            "url:example.com",
            "url:path:buy",
            "url:scheme:http",
            "money:3",
            "num:2",
            "bang:many",
            "email:pills.example.com",
            "visit",
            "days",
            "skip:s:30",
            "date:missing-or-bad",
            "meta:body:text",
        ];
        for e in expected {
            assert!(has(&t, e), "missing {e:?} in {t:?}");
        }
        // Short words and the mbox line are dropped.
        assert!(!has(&t, "in"));
        assert!(!t.iter().any(|x| x.contains("spammer")));
    }

    #[test]
    fn html_links_images_and_entities() {
        let raw = "From: a@b.example\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><body><p>Caf&eacute; &amp; Br&#101;akfast</p><!-- hidden -->\
<a HREF=\"http://click.example.biz/track\">click here</a>\
<img src='http://img.example.biz/x.gif'><script>var nope = 1;</script>\
<font color=red>SALE</font></body></html>";
        let t = toks(raw);
        for e in [
            "url:click.example.biz",
            "url:example.biz",
            "img:img.example.biz",
            "html:comment",
            "html:tag:font",
            "html:tag:script",
            "html:images:1",
            "html:links:1",
            "breakfast",
            "click",
            "here",
            "sale",
            "meta:body:html-only",
            "charset:utf-8",
            "ct:text/html",
        ] {
            assert!(has(&t, e), "missing {e:?} in {t:?}");
        }
        assert!(!has(&t, "nope"), "script text leaked: {t:?}");
    }

    #[test]
    fn base64_and_charset_are_decoded() {
        // "Grüße aus München" in ISO-8859-1, base64 encoded.
        let body = "R3L832UgYXVzIE38bmNoZW4=";
        let raw = format!(
            "From: a@b.example\r\nSubject: =?iso-8859-1?q?Gr=FC=DFe?=\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
        );
        let t = toks(&raw);
        assert!(has(&t, "grüße"), "{t:?}");
        assert!(has(&t, "münchen"), "{t:?}");
        assert!(has(&t, "subject:grüße"), "{t:?}");
        assert!(has(&t, "cte:base64"), "{t:?}");
    }

    #[test]
    fn attachments_give_type_and_extension() {
        let raw = "From: a@b.example\r\nSubject: doc\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
--XX\r\nContent-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--XX--\r\n";
        let t = toks(raw);
        for e in [
            "att:ext:exe",
            "ct:application/octet-stream",
            "ct:multipart/mixed",
            "attached",
        ] {
            assert!(has(&t, e), "missing {e:?} in {t:?}");
        }
    }

    #[test]
    fn bigrams_are_optional() {
        let raw = b"Subject: x\r\n\r\nclaim your prize today\r\n";
        let plain = Tokenizer::default().token_strings(raw);
        assert!(!plain.iter().any(|t| t.starts_with("bi:")));
        let cfg = TokenizerConfig {
            bigrams: true,
            ..Default::default()
        };
        let bi = Tokenizer::new(cfg).token_strings(raw);
        assert!(bi.iter().any(|t| t == "bi:claim your"), "{bi:?}");
        assert!(bi.iter().any(|t| t == "bi:prize today"), "{bi:?}");
    }

    #[test]
    fn deterministic_and_capped() {
        let tk = Tokenizer::new(TokenizerConfig {
            max_tokens: 10,
            ..Default::default()
        });
        let a = tk.tokenize(PLAIN.as_bytes());
        let b = tk.tokenize(PLAIN.as_bytes());
        assert_eq!(a, b);
        assert!(a.len() <= 10);
        let big = Tokenizer::new(TokenizerConfig {
            max_message_bytes: 100,
            ..Default::default()
        });
        assert!(
            big.token_strings(PLAIN.as_bytes())
                .iter()
                .any(|t| t == "meta:truncated")
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        let tk = Tokenizer::default();
        for raw in [
            &b""[..],
            b"\xff\xfe\x00\x01<<<>>>&&&;;",
            b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
            b"Subject: =?bogus?Q?=ZZ?=\r\n\r\n<a href=\"http://[::1:80/\">&#99999999;",
            b"\r\n\r\n<img src=http://\xc3\x28.example/>",
            "Subject: x\r\n\r\nww\u{20ac}\u{20ac} \u{20ac}\u{20ac}www".as_bytes(),
            "Content-Type: text/html\r\n\r\n<a href=\"ma\u{20ac}\u{20ac}\">&\u{20ac}\u{20ac}\u{20ac};".as_bytes(),
        ] {
            let _ = tk.tokenize(raw);
        }
    }

    #[test]
    fn verdict_headers_are_not_learned() {
        let plain = toks("Subject: hello\r\n\r\nbody text here\r\n");
        let marked = toks(
            "X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=9.0\r\nX-Bogosity: Spam\r\n\
             Subject: hello\r\n\r\nbody text here\r\n",
        );
        let extra: Vec<&String> = marked.iter().filter(|t| !plain.contains(t)).collect();
        assert!(
            extra.iter().all(|t| t.starts_with("meta:size:")),
            "{extra:?}"
        );
    }

    #[test]
    fn hash_is_stable() {
        // Part of the file format: must never change.
        assert_eq!(token_hash(""), token_hash(""));
        assert_ne!(token_hash("a"), token_hash("b"));
        let h = token_hash("subject:free");
        assert_eq!(h, token_hash("subject:free"));
    }
}
