//! Shared lexical layer: a byte cursor for parsing and a writer for
//! encoding the string, literal, atom and number grammar that IMAP and
//! ManageSieve share.

use std::borrow::Cow;

use crate::error::{ParseError, ParseErrorKind};

/// Deepest nesting of parenthesized lists (search keys, body
/// structures, threads) the parsers accept before refusing the input.
pub const MAX_DEPTH: u16 = 64;

const ATOM: u8 = 1;
const ASTRING: u8 = 2;
const TAG: u8 = 4;
const LIST: u8 = 8;
const QUOTED: u8 = 16;

/// Character classes of RFC 9051, one bit per class, for bytes
/// `0x00..=0x7f`; bytes `0x80..` belong to no class.
static CLASS: [u8; 256] = build_classes();

const fn build_classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 1usize;
    while c < 0x80 {
        let b = c as u8;
        let ctl = b < 0x20 || b == 0x7f;
        let atom_special = matches!(
            b,
            b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\' | b']'
        ) || ctl;
        let mut bits = 0;
        if !atom_special {
            bits |= ATOM | ASTRING | LIST;
            if b != b'+' {
                bits |= TAG;
            }
        }
        if b == b']' {
            bits |= ASTRING | LIST | TAG;
        }
        if b == b'%' || b == b'*' {
            bits |= LIST;
        }
        if b != b'\r' && b != b'\n' && b != b'"' && b != b'\\' {
            bits |= QUOTED;
        }
        t[c] = bits;
        c += 1;
    }
    t
}

/// `ATOM-CHAR = <any CHAR except atom-specials>`
#[inline]
pub(crate) fn is_atom_char(b: u8) -> bool {
    CLASS[b as usize] & ATOM != 0
}

/// `ASTRING-CHAR = ATOM-CHAR / resp-specials`
#[inline]
pub(crate) fn is_astring_char(b: u8) -> bool {
    CLASS[b as usize] & ASTRING != 0
}

/// `tag = 1*<any ASTRING-CHAR except "+">`
#[inline]
pub(crate) fn is_tag_char(b: u8) -> bool {
    CLASS[b as usize] & TAG != 0
}

/// `list-char = ATOM-CHAR / list-wildcards / resp-specials`
#[inline]
pub(crate) fn is_list_char(b: u8) -> bool {
    CLASS[b as usize] & LIST != 0
}

/// A quoted character that needs no escape (7-bit only).
#[inline]
fn is_plain_quoted(b: u8) -> bool {
    CLASS[b as usize] & QUOTED != 0
}

/// A cursor over one complete, framed message (line plus inline
/// literals). Every parser borrows from the underlying buffer.
#[derive(Debug, Clone)]
pub(crate) struct Cur<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) p: usize,
    pub(crate) depth: u16,
    /// Mailbox names are plain UTF-8 (UTF8=ACCEPT or IMAP4rev2
    /// enabled), not modified UTF-7.
    pub(crate) utf8: bool,
}

impl<'a> Cur<'a> {
    pub(crate) fn new(b: &'a [u8]) -> Self {
        Cur {
            b,
            p: 0,
            depth: 0,
            utf8: false,
        }
    }

    pub(crate) fn with_options(b: &'a [u8], opts: ParseOptions) -> Self {
        Cur {
            utf8: opts.utf8,
            ..Cur::new(b)
        }
    }

    pub(crate) fn err(&self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            offset: self.p,
            kind,
        }
    }

    pub(crate) fn expected(&self, what: &'static str) -> ParseError {
        self.err(ParseErrorKind::Expected(what))
    }

    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.b.get(self.p).copied()
    }

    #[inline]
    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.b[self.p..]
    }

    /// Consumes `c` if it is next.
    #[inline]
    pub(crate) fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.p += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn expect(&mut self, c: u8, what: &'static str) -> Result<(), ParseError> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.expected(what))
        }
    }

    pub(crate) fn sp(&mut self) -> Result<(), ParseError> {
        self.expect(b' ', "space")
    }

    pub(crate) fn crlf(&mut self) -> Result<(), ParseError> {
        if self.rest().starts_with(b"\r\n") {
            self.p += 2;
            Ok(())
        } else {
            Err(self.expected("CRLF"))
        }
    }

    /// Consumes `kw` (ASCII, compared without case) when it is next.
    pub(crate) fn eat_kw(&mut self, kw: &[u8]) -> bool {
        let r = self.rest();
        if r.len() >= kw.len() && r[..kw.len()].eq_ignore_ascii_case(kw) {
            self.p += kw.len();
            true
        } else {
            false
        }
    }

    /// Enters one level of nesting, refusing input nested too deep.
    pub(crate) fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(ParseErrorKind::TooDeep(MAX_DEPTH)));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Takes the longest run of bytes satisfying `f`.
    #[inline]
    pub(crate) fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.p;
        let b = self.b;
        let mut p = start;
        while p < b.len() && f(b[p]) {
            p += 1;
        }
        self.p = p;
        &b[start..p]
    }

    /// `atom = 1*ATOM-CHAR`
    pub(crate) fn atom(&mut self) -> Result<&'a str, ParseError> {
        let s = self.take_while(is_atom_char);
        if s.is_empty() {
            return Err(self.expected("atom"));
        }
        // ATOM-CHARs are 7-bit, hence valid UTF-8.
        Ok(ascii(s))
    }

    /// A keyword token: `1*(ALPHA / DIGIT / "." / "-" / "=" / "_")`,
    /// used to dispatch on command and item names.
    pub(crate) fn word(&mut self) -> &'a [u8] {
        self.take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'=' | b'_'))
    }

    /// `number = 1*DIGIT` (unsigned 32-bit)
    pub(crate) fn number(&mut self) -> Result<u32, ParseError> {
        let v = self.number64()?;
        u32::try_from(v).map_err(|_| self.err(ParseErrorKind::NumberTooLarge(v)))
    }

    /// `nz-number = digit-nz *DIGIT`
    pub(crate) fn nz_number(&mut self) -> Result<u32, ParseError> {
        let start = self.p;
        let v = self.number()?;
        if v == 0 {
            self.p = start;
            return Err(self.expected("non-zero number"));
        }
        Ok(v)
    }

    /// `number64 = 1*DIGIT` (unsigned 63-bit)
    pub(crate) fn number64(&mut self) -> Result<u64, ParseError> {
        let d = self.take_while(|c| c.is_ascii_digit());
        if d.is_empty() {
            return Err(self.expected("number"));
        }
        let mut v: u64 = 0;
        for &c in d {
            v = match v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
            {
                Some(v) if v <= i64::MAX as u64 => v,
                _ => return Err(self.err(ParseErrorKind::NumberTooLarge(u64::MAX))),
            };
        }
        Ok(v)
    }

    /// ```abnf
    /// quoted          = DQUOTE *QUOTED-CHAR DQUOTE
    /// QUOTED-CHAR     = <any TEXT-CHAR except quoted-specials> /
    ///                   "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4
    /// ```
    /// Bytes above 0x7f must form valid UTF-8 (RFC 9051, RFC 6855,
    /// RFC 5804); anything else is a syntax error.
    pub(crate) fn quoted(&mut self) -> Result<Cow<'a, [u8]>, ParseError> {
        self.expect(b'"', "quoted string")?;
        let start = self.p;
        let b = self.b;
        let mut p = start;
        let mut high = 0u8;
        // Fast path: no escapes, borrow directly.
        while p < b.len() && b[p] != b'"' && b[p] != b'\\' {
            if b[p] == b'\r' || b[p] == b'\n' || b[p] == 0 {
                self.p = p;
                return Err(self.expected("quoted character"));
            }
            high |= b[p];
            p += 1;
        }
        if p < b.len() && b[p] == b'"' {
            self.check_utf8(start, p, high)?;
            self.p = p + 1;
            return Ok(Cow::Borrowed(&b[start..p]));
        }
        let mut out = b[start..p].to_vec();
        while p < b.len() {
            match b[p] {
                b'"' => {
                    self.check_utf8(start, p, high)?;
                    self.p = p + 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => match b.get(p + 1) {
                    Some(&c @ (b'"' | b'\\')) => {
                        out.push(c);
                        p += 2;
                    }
                    _ => {
                        self.p = p;
                        return Err(self.expected("escaped quote or backslash"));
                    }
                },
                b'\r' | b'\n' | 0 => {
                    self.p = p;
                    return Err(self.expected("quoted character"));
                }
                c => {
                    high |= c;
                    out.push(c);
                    p += 1;
                }
            }
        }
        self.p = p;
        Err(self.expected("closing quote"))
    }

    /// Checks that the quoted bytes `start..end` are UTF-8 when any of
    /// them (or-ed into `high`) has the top bit set.
    fn check_utf8(&mut self, start: usize, end: usize, high: u8) -> Result<(), ParseError> {
        if high & 0x80 != 0 && std::str::from_utf8(&self.b[start..end]).is_err() {
            self.p = start;
            return Err(self.err(ParseErrorKind::InvalidUtf8));
        }
        Ok(())
    }

    /// ```abnf
    /// literal         = "{" number64 ["+"] "}" CRLF *CHAR8
    /// literal8        = "~{" number64 "}" CRLF *OCTET
    /// ```
    /// Returns the content and whether it was a `literal8`.
    pub(crate) fn literal(&mut self) -> Result<(&'a [u8], bool), ParseError> {
        let binary = self.eat(b'~');
        self.expect(b'{', "literal")?;
        let n = self.number64()?;
        // LITERAL+ / LITERAL- non-synchronizing marker.
        let _ = self.eat(b'+');
        self.expect(b'}', "closing brace of literal")?;
        self.crlf()?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if self.b.len() - self.p < n {
            return Err(self.err(ParseErrorKind::TruncatedLiteral(n as u64)));
        }
        let data = &self.b[self.p..self.p + n];
        if !binary && data.contains(&0) {
            return Err(self.err(ParseErrorKind::NulInLiteral));
        }
        self.p += n;
        Ok((data, binary))
    }

    /// `string = quoted / literal`
    pub(crate) fn string(&mut self) -> Result<Cow<'a, [u8]>, ParseError> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(Cow::Borrowed(self.literal()?.0)),
            Some(b'~') if self.at_literal8() => Ok(Cow::Borrowed(self.literal()?.0)),
            _ => Err(self.expected("string")),
        }
    }

    /// Whether `~{` (a `literal8`) comes next.
    pub(crate) fn at_literal8(&self) -> bool {
        self.rest().starts_with(b"~{")
    }

    /// `astring = 1*ASTRING-CHAR / string`
    pub(crate) fn astring(&mut self) -> Result<Cow<'a, [u8]>, ParseError> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            Some(b'~') if self.at_literal8() => self.string(),
            _ => {
                let s = self.take_while(is_astring_char);
                if s.is_empty() {
                    return Err(self.expected("astring"));
                }
                Ok(Cow::Borrowed(s))
            }
        }
    }

    /// `nstring = string / nil`
    pub(crate) fn nstring(&mut self) -> Result<Option<Cow<'a, [u8]>>, ParseError> {
        if self.nil() {
            Ok(None)
        } else {
            self.string().map(Some)
        }
    }

    /// `nil = "NIL"` (not followed by another atom character)
    pub(crate) fn nil(&mut self) -> bool {
        let r = self.rest();
        if r.len() >= 3
            && r[..3].eq_ignore_ascii_case(b"NIL")
            && !r.get(3).is_some_and(|&c| is_atom_char(c))
        {
            self.p += 3;
            true
        } else {
            false
        }
    }

    /// Parses `"(" item *(SP item) ")"` (or `"()"` when `allow_empty`).
    pub(crate) fn list<T>(
        &mut self,
        allow_empty: bool,
        mut item: impl FnMut(&mut Self) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        self.expect(b'(', "opening parenthesis")?;
        self.enter()?;
        let mut v = Vec::new();
        if self.eat(b')') {
            self.leave();
            if !allow_empty {
                return Err(self.expected("list item"));
            }
            return Ok(v);
        }
        loop {
            v.push(item(self)?);
            if self.eat(b')') {
                break;
            }
            self.sp()?;
        }
        self.leave();
        Ok(v)
    }

    /// Fails unless the whole input has been consumed.
    pub(crate) fn end(&self) -> Result<(), ParseError> {
        if self.p == self.b.len() {
            Ok(())
        } else {
            Err(self.expected("end of line"))
        }
    }
}

/// A stack buffer for an uppercased keyword.
pub(crate) type KwBuf = [u8; 24];

/// Uppercases a keyword into `buf` for matching, without allocating;
/// returns its length, or 0 when it is longer than any keyword (so that
/// it matches none).
#[inline]
pub(crate) fn upper(w: &[u8], buf: &mut KwBuf) -> usize {
    if w.len() > buf.len() {
        return 0;
    }
    for (d, s) in buf.iter_mut().zip(w) {
        *d = s.to_ascii_uppercase();
    }
    w.len()
}

/// Views 7-bit bytes as `str`.
pub(crate) fn ascii(s: &[u8]) -> &str {
    // Callers only pass bytes of 7-bit character classes.
    std::str::from_utf8(s).unwrap_or_default()
}

/// Converts bytes to `str`, reporting invalid UTF-8 at `offset`.
pub(crate) fn utf8(s: Cow<'_, [u8]>, offset: usize) -> Result<Cow<'_, str>, ParseError> {
    let bad = || ParseError {
        offset,
        kind: ParseErrorKind::InvalidUtf8,
    };
    Ok(match s {
        Cow::Borrowed(b) => Cow::Borrowed(std::str::from_utf8(b).map_err(|_| bad())?),
        Cow::Owned(v) => Cow::Owned(String::from_utf8(v).map_err(|_| bad())?),
    })
}

/// Options of the parsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// The client enabled UTF8=ACCEPT or IMAP4rev2: mailbox names are
    /// plain UTF-8 and `&` is an ordinary character, not the start of
    /// a modified UTF-7 shift.
    pub utf8: bool,
}

/// Longest non-synchronizing literal under LITERAL- (RFC 7888) and
/// IMAP4rev2 (RFC 9051 section 4.3).
pub const LITERAL_MINUS_MAX: u64 = 4096;

/// How the encoder writes literals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LiteralMode {
    /// `{N}`: the client waits for a continuation request (client
    /// commands) or nothing special (server responses).
    #[default]
    Sync,
    /// `{N+}` for every literal: the server announced LITERAL+.
    NonSync,
    /// `{N+}` up to 4096 bytes, `{N}` (and a wait) above: the server
    /// announced LITERAL- or speaks IMAP4rev2.
    Minus,
}

/// Output buffer with the shared string encoding rules.
#[derive(Debug, Default)]
pub(crate) struct Enc {
    pub(crate) out: Vec<u8>,
    /// Quoted strings may carry UTF-8 (UTF8=ACCEPT enabled, or
    /// ManageSieve).
    pub(crate) utf8: bool,
    pub(crate) lit: LiteralMode,
    /// Offsets just after each synchronizing literal header, where a
    /// client must wait for a continuation request.
    pub(crate) waits: Vec<usize>,
    /// Whether `{N}` literal headers are written for a client (which
    /// must wait) rather than a server.
    pub(crate) client: bool,
}

impl Enc {
    pub(crate) fn raw(&mut self, b: &[u8]) {
        self.out.extend_from_slice(b);
    }

    pub(crate) fn byte(&mut self, b: u8) {
        self.out.push(b);
    }

    pub(crate) fn sp(&mut self) {
        self.out.push(b' ');
    }

    pub(crate) fn num(&mut self, n: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut n = n;
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&buf[i..]);
    }

    fn quotable(&self, s: &[u8]) -> bool {
        s.len() <= 1024
            && s.iter()
                .all(|&c| c != 0 && c != b'\r' && c != b'\n' && (c < 0x80 || self.utf8))
            && (!self.utf8 || s.is_ascii() || std::str::from_utf8(s).is_ok())
    }

    pub(crate) fn quoted(&mut self, s: &[u8]) {
        self.out.push(b'"');
        for &c in s {
            if !is_plain_quoted(c) && c < 0x80 {
                self.out.push(b'\\');
            }
            self.out.push(c);
        }
        self.out.push(b'"');
    }

    pub(crate) fn literal(&mut self, s: &[u8], binary: bool) {
        if binary {
            self.out.push(b'~');
        }
        self.out.push(b'{');
        self.num(s.len() as u64);
        let nonsync = match self.lit {
            LiteralMode::Sync => false,
            LiteralMode::NonSync => true,
            LiteralMode::Minus => s.len() as u64 <= LITERAL_MINUS_MAX,
        };
        if nonsync && self.client {
            self.out.push(b'+');
        }
        self.out.extend_from_slice(b"}\r\n");
        if self.client && !nonsync {
            self.waits.push(self.out.len());
        }
        self.out.extend_from_slice(s);
    }

    /// `string`: quoted when possible, literal otherwise.
    pub(crate) fn string(&mut self, s: &[u8]) {
        if self.quotable(s) {
            self.quoted(s);
        } else {
            self.literal(s, s.contains(&0));
        }
    }

    /// `astring`: atom when possible.
    pub(crate) fn astring(&mut self, s: &[u8]) {
        if !s.is_empty() && s.iter().all(|&c| is_astring_char(c)) {
            self.raw(s);
        } else {
            self.string(s);
        }
    }

    pub(crate) fn nstring(&mut self, s: Option<&[u8]>) {
        match s {
            Some(s) => self.string(s),
            None => self.raw(b"NIL"),
        }
    }

    /// Writes `items` separated by spaces inside parentheses.
    pub(crate) fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.out.push(b'(');
        for (i, it) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(b' ');
            }
            f(self, it);
        }
        self.out.push(b')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let cases: &[(u8, bool, bool, bool, bool)] = &[
            // byte, atom, astring, tag, list
            (b'a', true, true, true, true),
            (b'+', true, true, false, true),
            (b']', false, true, true, true),
            (b'%', false, false, false, true),
            (b'*', false, false, false, true),
            (b'(', false, false, false, false),
            (b'{', false, false, false, false),
            (b'"', false, false, false, false),
            (b' ', false, false, false, false),
            (0x7f, false, false, false, false),
            (0xc3, false, false, false, false),
        ];
        for &(b, a, s, t, l) in cases {
            assert_eq!(is_atom_char(b), a, "atom {b:#x}");
            assert_eq!(is_astring_char(b), s, "astring {b:#x}");
            assert_eq!(is_tag_char(b), t, "tag {b:#x}");
            assert_eq!(is_list_char(b), l, "list {b:#x}");
        }
    }

    #[test]
    fn strings() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"\"abc\"", b"abc"),
            (b"\"a\\\"b\\\\\"", b"a\"b\\"),
            (b"{3}\r\nx y", b"x y"),
            (b"{3+}\r\nx\"y", b"x\"y"),
            (b"~{2}\r\n\0a", b"\0a"),
            (b"atom]x", b"atom]x"),
        ];
        for (inp, want) in cases {
            let mut c = Cur::new(inp);
            assert_eq!(c.astring().unwrap().as_ref(), *want, "{inp:?}");
            c.end().unwrap();
        }
        for bad in [
            &b"\"abc"[..],
            b"{5}\r\nab",
            b"\"a\rb\"",
            b"{2}\r\na\0",
            b"(",
            b"\"\\a\"",
        ] {
            assert!(Cur::new(bad).astring().is_err(), "{bad:?}");
        }
        // Quoted strings carry UTF-8, and nothing else above 0x7f.
        let ok = "\"caf\u{e9} \\\"x\\\"\"".as_bytes();
        assert_eq!(
            Cur::new(ok).quoted().unwrap().as_ref(),
            "caf\u{e9} \"x\"".as_bytes()
        );
        for bad in [&b"\"caf\xe9\""[..], b"\"\xc3\"", b"\"a\\\"\xff\""] {
            let e = Cur::new(bad).quoted().unwrap_err();
            assert_eq!(e.kind, ParseErrorKind::InvalidUtf8, "{bad:?}");
        }
    }

    #[test]
    fn literal_modes() {
        let big = vec![b'x'; 4097];
        for (mode, data, want_plus, want_wait) in [
            (LiteralMode::Sync, &b"ab"[..], false, true),
            (LiteralMode::NonSync, &big[..], true, false),
            (LiteralMode::Minus, &big[..4096], true, false),
            (LiteralMode::Minus, &big[..], false, true),
        ] {
            let mut e = Enc {
                lit: mode,
                client: true,
                ..Enc::default()
            };
            e.literal(data, false);
            let head = format!("{{{}{}}}\r\n", data.len(), if want_plus { "+" } else { "" });
            assert!(e.out.starts_with(head.as_bytes()), "{mode:?}");
            assert_eq!(e.waits == [head.len()], want_wait, "{mode:?}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(Cur::new(b"4294967295").number().unwrap(), u32::MAX);
        assert!(Cur::new(b"4294967296").number().is_err());
        assert!(Cur::new(b"99999999999999999999999").number64().is_err());
        assert!(Cur::new(b"0").nz_number().is_err());
    }

    #[test]
    fn encode_strings() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"abc", b"abc"),
            (b"", b"\"\""),
            (b"a b", b"\"a b\""),
            (b"a\"b", b"\"a\\\"b\""),
            (b"a\r\nb", b"{4}\r\na\r\nb"),
            (b"caf\xc3\xa9", b"{5}\r\ncaf\xc3\xa9"),
        ];
        for (inp, want) in cases {
            let mut e = Enc::default();
            e.astring(inp);
            assert_eq!(e.out, *want);
            let mut c = Cur::new(&e.out);
            assert_eq!(c.astring().unwrap().as_ref(), *inp);
        }
    }

    #[test]
    fn depth_is_bounded() {
        let mut deep = vec![b'('; 10_000];
        deep.extend(vec![b')'; 10_000]);
        fn nested(c: &mut Cur<'_>) -> Result<(), ParseError> {
            c.list(true, nested).map(|_| ())
        }
        let e = nested(&mut Cur::new(&deep)).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::TooDeep(MAX_DEPTH));
    }
}
