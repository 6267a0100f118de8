//! The body-signature language of `.ndb` and `.ldb` sub-signatures, and
//! the verifier that matches a parsed pattern around a fixed anchor.
//!
//! Matching works on sets of positions held as sorted, merged intervals:
//! every element maps the set of positions where it may start to the set
//! where it may end. A wide gap turns a point into an interval, and a
//! literal run after it is found with `memmem` inside that interval, so
//! the cost stays linear in the span of the pattern per candidate. The
//! engine splits patterns at unbounded gaps (`*`, `{n-}`) before they get
//! here, so a walk never runs further than one part of a pattern reaches.

use crate::error::SigError;

/// One byte test: `data & mask == value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteTest {
    pub value: u8,
    pub mask: u8,
}

impl ByteTest {
    fn exact(b: u8) -> Self {
        ByteTest {
            value: b,
            mask: 0xff,
        }
    }

    const ANY: ByteTest = ByteTest { value: 0, mask: 0 };

    fn test(self, b: u8, nocase: bool) -> bool {
        let b = if nocase { b.to_ascii_lowercase() } else { b };
        b & self.mask == self.value
    }
}

/// The character classes `(B)`, `(L)` and `(W)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Word boundary: one of ClamAV's boundary characters.
    Boundary,
    /// Line boundary: LF (and, at the right edge, CRLF).
    Line,
    /// One non-alphanumeric byte.
    NonWord,
}

/// Which side of a match a look-around checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// The byte before the match (or the start of the file).
    Left,
    /// The byte after the match (or the end of the file).
    Right,
}

/// One element of a body signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Elem {
    /// A run of static bytes.
    Lit(Vec<u8>),
    /// A single byte with a nibble mask (`a?`, `?a`, `??`).
    Byte(ByteTest),
    /// Any `min..=max` bytes; `max == None` is unbounded (`*`, `{n-}`).
    Gap { min: u32, max: Option<u32> },
    /// `(aa|bb|..)`; alternatives may differ in length.
    Alt(Vec<Vec<ByteTest>>),
    /// `!(aa|bb)`: same-length plain alternatives, none of which may
    /// match.
    NegAlt(Vec<Vec<u8>>),
    /// A class inside a pattern: consumes one byte.
    Class { class: Class, neg: bool },
    /// A class at the edge of a pattern part, or the `::f` word
    /// markers: a zero-width test of the neighbouring byte.
    Look {
        class: Class,
        neg: bool,
        side: Side,
        /// For `::w` patterns: the neighbour is a UTF-16LE character.
        wide: bool,
    },
}

/// A parsed body signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    /// Elements as written: `??` stays a one-byte test so that `::w`
    /// can widen it; [`Pattern::merged`] folds it into gaps.
    pub elems: Vec<Elem>,
    /// ASCII case-insensitive (`::i`); literal bytes are stored lowercase.
    pub nocase: bool,
}

/// Largest gap bound accepted in `{n-m}`.
const MAX_GAP: u32 = 1 << 24;
/// Largest bound of a `[x-y]` range (ClamAV's limit).
const MAX_RANGE: u32 = 32;

fn hexval(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses one byte position: two hex digits, `??`, `a?` or `?a`.
fn parse_bytetest(s: &[u8], i: usize) -> Option<ByteTest> {
    let (a, b) = (*s.get(i)?, *s.get(i + 1)?);
    match (a, b) {
        (b'?', b'?') => Some(ByteTest::ANY),
        (b'?', _) => Some(ByteTest {
            value: hexval(b)?,
            mask: 0x0f,
        }),
        (_, b'?') => Some(ByteTest {
            value: hexval(a)? << 4,
            mask: 0xf0,
        }),
        _ => Some(ByteTest::exact((hexval(a)? << 4) | hexval(b)?)),
    }
}

fn parse_num(s: &str, sig: &str, max: u32) -> Result<u32, SigError> {
    let n: u32 = s
        .parse()
        .map_err(|_| SigError::new(format!("bad number {s:?} in signature {sig:?}")))?;
    if n > max {
        return Err(SigError::new(format!(
            "gap {n} exceeds the maximum of {max} in signature {sig:?}"
        )));
    }
    Ok(n)
}

/// Parses the inside of `{...}` or `[...]`: (min, max, has a dash).
fn parse_gap(inner: &str, sig: &str, max: u32) -> Result<(u32, Option<u32>, bool), SigError> {
    let (lo, hi, dash) = match inner.split_once('-') {
        None => {
            let n = parse_num(inner, sig, max)?;
            (n, Some(n), false)
        }
        Some(("", m)) => (0, Some(parse_num(m, sig, max)?), true),
        Some((n, "")) => (parse_num(n, sig, max)?, None, true),
        Some((n, m)) => (parse_num(n, sig, max)?, Some(parse_num(m, sig, max)?), true),
    };
    if let Some(m) = hi
        && m < lo
    {
        return Err(SigError::new(format!(
            "gap {inner:?} has its maximum below its minimum in signature {sig:?}"
        )));
    }
    Ok((lo, hi, dash))
}

/// Parses the alternatives of `(aa|bb)` (already without parentheses).
fn parse_alts(inner: &str, sig: &str) -> Result<Vec<Vec<ByteTest>>, SigError> {
    let mut alts = Vec::new();
    for alt in inner.split('|') {
        let b = alt.as_bytes();
        let bad = || SigError::new(format!("bad alternative {alt:?} in signature {sig:?}"));
        if b.is_empty() || !b.len().is_multiple_of(2) {
            return Err(bad());
        }
        let tests = (0..b.len())
            .step_by(2)
            .map(|i| parse_bytetest(b, i).ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()?;
        alts.push(tests);
    }
    Ok(alts)
}

/// A token of a signature as written, before ClamAV's load rules are
/// checked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A run of static bytes.
    Lit(Vec<u8>),
    /// One byte with a mask (`??`, nibbles).
    Byte(ByteTest),
    /// `*`, `{n}`, `{-n}`, `{n-}`, `{n-m}`; `split` for the forms that
    /// ClamAV matches as separate parts (all but `*`-less `{n}`).
    Gap {
        min: u32,
        max: Option<u32>,
        split: bool,
    },
    /// `[x-y]`, only next to a single byte at either end.
    Range {
        min: u32,
        max: u32,
    },
    Alt(Vec<Vec<ByteTest>>),
    NegAlt(Vec<Vec<u8>>),
    Class {
        class: Class,
        neg: bool,
    },
}

impl Tok {
    /// Fewest bytes the token consumes (classes count one).
    fn min_width(&self) -> usize {
        match self {
            Tok::Lit(v) => v.len(),
            Tok::Byte(_) | Tok::Class { .. } => 1,
            Tok::Gap { min, .. } | Tok::Range { min, .. } => *min as usize,
            Tok::Alt(a) => a.iter().map(Vec::len).min().unwrap_or(0),
            Tok::NegAlt(a) => a[0].len(),
        }
    }

    /// One byte: the single byte `[x-y]` may join.
    fn is_single_byte(&self) -> bool {
        matches!(self, Tok::Byte(_)) || matches!(self, Tok::Lit(v) if v.len() == 1)
    }
}

fn tokenize(sig: &str) -> Result<Vec<Tok>, SigError> {
    let s = sig.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    let err = |what: &str, at: usize| {
        SigError::new(format!("{what} at position {at} in signature {sig:?}"))
    };
    while i < s.len() {
        match s[i] {
            b'*' => {
                toks.push(Tok::Gap {
                    min: 0,
                    max: None,
                    split: true,
                });
                i += 1;
            }
            c @ (b'{' | b'[') => {
                let close = if c == b'{' { b'}' } else { b']' };
                let end = s[i..]
                    .iter()
                    .position(|&x| x == close)
                    .ok_or_else(|| err("unclosed gap", i))?;
                let inner = &sig[i + 1..i + end];
                if c == b'{' {
                    let (min, max, split) = parse_gap(inner, sig, MAX_GAP)?;
                    toks.push(Tok::Gap { min, max, split });
                } else {
                    match parse_gap(inner, sig, MAX_RANGE)? {
                        (min, Some(max), _) => toks.push(Tok::Range { min, max }),
                        _ => return Err(err("open range", i)),
                    }
                }
                i += end + 1;
            }
            b'!' | b'(' => {
                let neg = s[i] == b'!';
                let open = if neg { i + 1 } else { i };
                if s.get(open) != Some(&b'(') {
                    return Err(err("expected '(' after '!'", i));
                }
                let end = s[open..]
                    .iter()
                    .position(|&c| c == b')')
                    .ok_or_else(|| err("unclosed alternative", i))?;
                let inner = &sig[open + 1..open + end];
                let at = i;
                i = open + end + 1;
                let class = match inner {
                    "B" => Some(Class::Boundary),
                    "L" => Some(Class::Line),
                    "W" => Some(Class::NonWord),
                    _ => None,
                };
                if let Some(class) = class {
                    toks.push(Tok::Class { class, neg });
                    continue;
                }
                let alts = parse_alts(inner, sig)?;
                if !neg {
                    toks.push(Tok::Alt(alts));
                    continue;
                }
                // ClamAV negates only plain strings of one length.
                let l = alts[0].len();
                if alts.iter().any(|a| a.len() != l) {
                    return Err(err("negated alternatives of different lengths", at));
                }
                if alts.iter().flatten().any(|t| t.mask != 0xff) {
                    return Err(err("wildcard in negated alternatives", at));
                }
                let plain = alts
                    .iter()
                    .map(|a| a.iter().map(|t| t.value).collect())
                    .collect();
                toks.push(Tok::NegAlt(plain));
            }
            _ => {
                let t = parse_bytetest(s, i).ok_or_else(|| err("bad hex", i))?;
                match (t.mask, toks.last_mut()) {
                    (0xff, Some(Tok::Lit(v))) => v.push(t.value),
                    (0xff, _) => toks.push(Tok::Lit(vec![t.value])),
                    _ => toks.push(Tok::Byte(t)),
                }
                i += 2;
            }
        }
    }
    Ok(toks)
}

/// Checks ClamAV's rules for `[x-y]`: it may only join a single byte at
/// either end to the rest. Returns the range of the main signature.
fn check_ranges(toks: &[Tok], sig: &str) -> Result<std::ops::Range<usize>, SigError> {
    let bad = || {
        SigError::new(format!(
            "[x-y] must join a single byte at either end of signature {sig:?}"
        ))
    };
    let n = toks.len();
    let (mut lo, mut hi) = (0, n);
    for (i, t) in toks.iter().enumerate() {
        if !matches!(t, Tok::Range { .. }) {
            continue;
        }
        if i == 1 && lo == 0 && toks[0].is_single_byte() {
            lo = 2;
        } else if i + 2 == n && hi == n && toks[n - 1].is_single_byte() {
            hi = n - 2;
        } else {
            return Err(bad());
        }
    }
    if lo >= hi {
        return Err(bad());
    }
    Ok(lo..hi)
}

/// Checks that every part ClamAV matches separately is at least two
/// bytes long and holds a static run of two bytes.
fn check_parts(main: &[Tok], sig: &str) -> Result<(), SigError> {
    for part in main.split(|t| matches!(t, Tok::Gap { split: true, .. })) {
        let width: usize = part.iter().map(Tok::min_width).sum();
        if width < 2 {
            return Err(SigError::new(format!(
                "signature {sig:?} has a part shorter than 2 bytes"
            )));
        }
        let run = part
            .iter()
            .any(|t| matches!(t, Tok::Lit(v) if v.len() >= 2));
        if !run {
            return Err(SigError::new(format!(
                "signature {sig:?} has a part without 2 consecutive static bytes"
            )));
        }
    }
    Ok(())
}

impl Pattern {
    /// Parses a hex body signature.
    ///
    /// ```text
    /// sig      = [byte range] main [range byte]
    /// main     = 1*elem
    /// elem     = hexbyte / nibble / "??" / gap / alt / negalt / class
    /// hexbyte  = 2HEXDIG
    /// nibble   = HEXDIG "?" / "?" HEXDIG
    /// gap      = "*" / "{" n "}" / "{-" n "}" / "{" n "-}" / "{" n "-" n "}"
    /// range    = "[" n ["-" n] "]"                 ; n <= 32
    /// alt      = "(" item *("|" item) ")"
    /// negalt   = "!(" item *("|" item) ")"      ; plain, one length
    /// class    = ["!"] ("(B)" / "(L)" / "(W)")
    /// ```
    ///
    /// Checks ClamAV's load rules as well: a plain signature needs at
    /// least `min_plain` bytes; every part between `*` and `{..-..}` gaps
    /// needs two bytes and a run of 2 static bytes. A class at the edge
    /// of a part tests the neighbouring byte without consuming it, as in
    /// ClamAV; inside a part it consumes one byte.
    pub(crate) fn parse_min(sig: &str, min_plain: usize) -> Result<Pattern, SigError> {
        let toks = tokenize(sig)?;
        if toks.is_empty() {
            return Err(SigError::new("empty signature".to_string()));
        }
        let main = check_ranges(&toks, sig)?;
        if let [Tok::Lit(v)] = toks.as_slice() {
            if v.len() < min_plain {
                return Err(SigError::new(format!(
                    "signature {sig:?} is shorter than {min_plain} bytes"
                )));
            }
        } else {
            check_parts(&toks[main.clone()], sig)?;
        }
        // Classes at the edges of the parts of the main signature.
        let mut edge = vec![None; toks.len()];
        let m = &toks[main.clone()];
        let mut start = 0;
        for (k, part) in m
            .split(|t| matches!(t, Tok::Gap { split: true, .. }))
            .enumerate()
        {
            if k > 0 {
                start += 1;
            }
            if let Some(Tok::Class { .. }) = part.first() {
                edge[main.start + start] = Some(Side::Left);
            }
            if part.len() > 1
                && let Some(Tok::Class { .. }) = part.last()
            {
                edge[main.start + start + part.len() - 1] = Some(Side::Right);
            }
            start += part.len();
        }
        let mut elems: Vec<Elem> = Vec::new();
        for (t, side) in toks.into_iter().zip(edge) {
            let e = match (t, side) {
                (Tok::Class { class, neg }, Some(side)) => Elem::Look {
                    class,
                    neg,
                    side,
                    wide: false,
                },
                (Tok::Class { class, neg }, None) => Elem::Class { class, neg },
                (Tok::Lit(v), _) => Elem::Lit(v),
                (Tok::Byte(t), _) => Elem::Byte(t),
                (Tok::Gap { min, max, .. }, _) => Elem::Gap { min, max },
                (Tok::Range { min, max }, _) => Elem::Gap {
                    min,
                    max: Some(max),
                },
                (Tok::Alt(a), _) => Elem::Alt(a),
                (Tok::NegAlt(a), _) => Elem::NegAlt(a),
            };
            elems.push(e);
        }
        Ok(Pattern {
            elems,
            nocase: false,
        })
    }

    /// Applies `::i`: literal bytes become lowercase, compared folded.
    pub(crate) fn make_nocase(&mut self) {
        self.nocase = true;
        let lower = |t: &mut ByteTest| {
            if t.mask == 0xff {
                t.value = t.value.to_ascii_lowercase();
            }
        };
        for e in &mut self.elems {
            match e {
                Elem::Lit(v) => v.make_ascii_lowercase(),
                Elem::Byte(t) => lower(t),
                Elem::Alt(a) => a.iter_mut().flatten().for_each(lower),
                Elem::NegAlt(a) => a.iter_mut().for_each(|v| v.make_ascii_lowercase()),
                _ => {}
            }
        }
    }

    /// Applies `::w`: every byte is followed by a zero byte (UTF-16LE).
    /// As in ClamAV, `??` widens to a byte and a zero, while gaps keep
    /// their length.
    pub(crate) fn widened(&self) -> Pattern {
        let zero = ByteTest::exact(0);
        let wide = |a: &Vec<ByteTest>| a.iter().flat_map(|t| [*t, zero]).collect::<Vec<_>>();
        let elems = self
            .elems
            .iter()
            .map(|e| match e {
                Elem::Lit(v) => Elem::Lit(v.iter().flat_map(|&b| [b, 0]).collect()),
                Elem::Byte(t) => Elem::Alt(vec![vec![*t, zero]]),
                Elem::Gap { .. } => e.clone(),
                Elem::Alt(a) => Elem::Alt(a.iter().map(wide).collect()),
                Elem::NegAlt(a) => Elem::NegAlt(
                    a.iter()
                        .map(|v| v.iter().flat_map(|&b| [b, 0]).collect())
                        .collect(),
                ),
                Elem::Class { .. } => e.clone(),
                Elem::Look {
                    class, neg, side, ..
                } => Elem::Look {
                    class: *class,
                    neg: *neg,
                    side: *side,
                    wide: *class == Class::NonWord,
                },
            })
            .collect();
        Pattern {
            elems,
            nocase: self.nocase,
        }
    }

    /// Applies `::f`: the match must be delimited by non-alphanumeric
    /// bytes or the file edges (ClamAV's word markers).
    pub(crate) fn fullword(&mut self, wide: bool) {
        let look = |side| Elem::Look {
            class: Class::NonWord,
            neg: false,
            side,
            wide,
        };
        self.elems.insert(0, look(Side::Left));
        self.elems.push(look(Side::Right));
    }

    /// The elements with `??` runs folded into gaps and adjacent gaps
    /// merged, ready for matching.
    pub(crate) fn into_merged(self) -> Vec<Elem> {
        let mut out: Vec<Elem> = Vec::with_capacity(self.elems.len());
        for e in self.elems {
            let e = match e {
                Elem::Byte(t) if t.mask == 0 => Elem::Gap {
                    min: 1,
                    max: Some(1),
                },
                other => other,
            };
            if let (
                Elem::Gap { min, max },
                Some(Elem::Gap {
                    min: pmin,
                    max: pmax,
                }),
            ) = (&e, out.last_mut())
            {
                *pmin += min;
                *pmax = match (*pmax, max) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
                continue;
            }
            out.push(e);
        }
        out
    }
}

/// The width range of one element: (fewest, most) bytes it consumes;
/// `None` for an unbounded gap.
pub(crate) fn width(e: &Elem) -> (usize, Option<usize>) {
    match e {
        Elem::Lit(v) => (v.len(), Some(v.len())),
        Elem::Byte(_) | Elem::Class { .. } => (1, Some(1)),
        Elem::Gap { min, max } => (*min as usize, max.map(|m| m as usize)),
        Elem::Alt(a) => (
            a.iter().map(Vec::len).min().unwrap_or(0),
            a.iter().map(Vec::len).max(),
        ),
        Elem::NegAlt(a) => (a[0].len(), Some(a[0].len())),
        Elem::Look { .. } => (0, Some(0)),
    }
}

/// How far a run of elements can reach, counting the neighbour bytes a
/// look-around reads; `None` when unbounded.
pub(crate) fn reach(elems: &[Elem]) -> Option<usize> {
    elems.iter().try_fold(0usize, |acc, e| {
        let extra = match e {
            Elem::Look { .. } => 2,
            _ => 0,
        };
        Some(acc + width(e).1? + extra)
    })
}

/// The width of a run of elements when every element has one width.
pub(crate) fn fixed_width(elems: &[Elem]) -> Option<usize> {
    elems.iter().try_fold(0usize, |acc, e| match width(e) {
        (lo, Some(hi)) if lo == hi => Some(acc + lo),
        _ => None,
    })
}

/// Whether fixed-width `elems` match `hay` starting at `at` (see
/// [`fixed_width`]); the fast path of verification, without position
/// sets.
pub(crate) fn match_fixed(hay: Hay<'_>, mut at: usize, elems: &[Elem], nocase: bool) -> bool {
    let d = hay.data;
    for e in elems {
        let ok = match e {
            Elem::Lit(v) => lit_match(d, at, v, nocase),
            Elem::Byte(t) => d.get(at).is_some_and(|&b| t.test(b, nocase)),
            Elem::Gap { min, .. } => at + *min as usize <= d.len(),
            Elem::Alt(alts) => alts.iter().any(|a| tests_match(d, at, a, nocase)),
            Elem::NegAlt(alts) => {
                at + alts[0].len() <= d.len() && !alts.iter().any(|a| lit_match(d, at, a, nocase))
            }
            Elem::Class { class, neg } => d.get(at).is_some_and(|&b| class_byte(*class, b) != *neg),
            Elem::Look {
                class,
                neg,
                side,
                wide,
            } => look_ok(hay, at, *class, *side, *wide) != *neg,
        };
        if !ok {
            return false;
        }
        at += width(e).0;
    }
    true
}

/// A sorted list of disjoint inclusive position intervals.
pub(crate) type PosSet = Vec<(usize, usize)>;

/// A haystack: bytes of a file seen through a window. `at_start` says
/// that `data[0]` is the first byte of the file, `at_end` that the file
/// ends with `data`; the look-arounds need both.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hay<'a> {
    pub data: &'a [u8],
    pub at_start: bool,
    pub at_end: bool,
}

impl<'a> Hay<'a> {
    /// A whole file.
    pub(crate) fn whole(data: &'a [u8]) -> Hay<'a> {
        Hay {
            data,
            at_start: true,
            at_end: true,
        }
    }
}

fn push_merge(out: &mut PosSet, lo: usize, hi: usize) {
    if let Some(last) = out.last_mut()
        && lo <= last.1.saturating_add(1)
    {
        last.1 = last.1.max(hi);
        last.0 = last.0.min(lo);
        return;
    }
    out.push((lo, hi));
}

fn normalize(mut v: PosSet) -> PosSet {
    v.sort_unstable();
    let mut out = PosSet::with_capacity(v.len());
    for (lo, hi) in v {
        push_merge(&mut out, lo, hi);
    }
    out
}

fn tests_match(data: &[u8], at: usize, tests: &[ByteTest], nocase: bool) -> bool {
    data.get(at..at + tests.len())
        .is_some_and(|w| w.iter().zip(tests).all(|(&b, t)| t.test(b, nocase)))
}

pub(crate) fn lit_match(data: &[u8], at: usize, lit: &[u8], nocase: bool) -> bool {
    data.get(at..at + lit.len()).is_some_and(|w| {
        if nocase {
            w.iter().zip(lit).all(|(a, b)| a.to_ascii_lowercase() == *b)
        } else {
            w == lit
        }
    })
}

/// ClamAV's boundary table: 1 = may precede a word, 2 = may follow it,
/// 3 = both. A `(B)` inside a pattern accepts any of them.
fn boundary(b: u8) -> u8 {
    match b {
        b'\n' | b'\r' | b'"' | b'\'' | b'=' | b'>' => 2,
        b' ' | b'-' | b'/' | b'_' => 3,
        b'.' | b'<' | b'@' => 1,
        _ => 0,
    }
}

fn class_byte(class: Class, b: u8) -> bool {
    match class {
        Class::Boundary => boundary(b) != 0,
        Class::Line => b == b'\n',
        Class::NonWord => !b.is_ascii_alphanumeric(),
    }
}

/// The zero-width test of a look-around at position `p`.
fn look_ok(hay: Hay<'_>, p: usize, class: Class, side: Side, wide: bool) -> bool {
    let d = hay.data;
    match side {
        Side::Left => {
            if p == 0 {
                return hay.at_start;
            }
            let prev = d[p - 1];
            match class {
                Class::Boundary => matches!(boundary(prev), 1 | 3),
                Class::Line => prev == b'\n',
                Class::NonWord if wide => p < 2 || !(d[p - 2].is_ascii_alphanumeric() && prev == 0),
                Class::NonWord => !prev.is_ascii_alphanumeric(),
            }
        }
        Side::Right => {
            let Some(&next) = d.get(p) else {
                return hay.at_end;
            };
            match class {
                Class::Boundary => boundary(next) >= 2,
                Class::Line => next == b'\n' || (next == b'\r' && d.get(p + 1) == Some(&b'\n')),
                Class::NonWord if wide && p + 1 < d.len() => {
                    !(next.is_ascii_alphanumeric() && d[p + 1] == 0)
                }
                Class::NonWord => !next.is_ascii_alphanumeric(),
            }
        }
    }
}

/// Direction of a walk: forward maps start positions to end positions,
/// backward maps end positions to start positions.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Fwd,
    Back,
}

/// One fixed-width way an element can match.
struct Item<'a> {
    width: usize,
    check: Box<dyn Fn(usize) -> bool + 'a>,
    lit: Option<&'a [u8]>,
}

fn item<'a>(
    width: usize,
    check: Box<dyn Fn(usize) -> bool + 'a>,
    lit: Option<&'a [u8]>,
) -> Item<'a> {
    Item { width, check, lit }
}

/// Every start `s` in `[lo, hi]` where a fixed-width element matches,
/// found with memmem for literals.
fn starts_in(
    data: &[u8],
    lo: usize,
    hi: usize,
    item: &Item<'_>,
    nocase: bool,
    out: &mut Vec<usize>,
) {
    let (w, check, lit) = (item.width, &item.check, item.lit);
    if hi < lo || lo + w > data.len() {
        return;
    }
    let hi = hi.min(data.len() - w);
    if let (Some(lit), false, true) = (lit, nocase, hi - lo > 16) {
        let hay = &data[lo..hi + w];
        for s in memchr::memmem::find_iter(hay, lit) {
            out.push(lo + s);
        }
        return;
    }
    for s in lo..=hi {
        if check(s) {
            out.push(s);
        }
    }
}

/// Maps a position set through one element.
pub(crate) fn step(hay: Hay<'_>, set: &PosSet, e: &Elem, nocase: bool, dir: Dir) -> PosSet {
    let data = hay.data;
    let n = data.len();
    let mut out: PosSet = Vec::new();
    match e {
        Elem::Gap { min, max } => {
            let (min, max) = (*min as usize, max.map(|m| m as usize));
            for &(lo, hi) in set {
                match dir {
                    Dir::Fwd => {
                        let a = lo + min;
                        let b = max.map_or(n, |m| (hi + m).min(n));
                        if a <= n && a <= b {
                            push_merge(&mut out, a, b);
                        }
                    }
                    Dir::Back => {
                        if hi < min {
                            continue;
                        }
                        let b = hi - min;
                        let a = max.map_or(0, |m| lo.saturating_sub(m));
                        push_merge(&mut out, a, b);
                    }
                }
            }
            return out;
        }
        Elem::Look {
            class,
            neg,
            side,
            wide,
        } => {
            // Zero width: keep the positions where the test holds.
            for &(lo, hi) in set {
                for p in lo..=hi.min(n) {
                    if look_ok(hay, p, *class, *side, *wide) != *neg {
                        push_merge(&mut out, p, p);
                    }
                }
            }
            return out;
        }
        _ => {}
    }
    // Fixed-width items of the element: (width, checker, literal).
    let mut items: Vec<Item<'_>> = Vec::new();
    match e {
        Elem::Lit(v) => items.push(item(
            v.len(),
            Box::new(move |s| lit_match(data, s, v, nocase)),
            Some(v.as_slice()),
        )),
        Elem::Byte(t) => items.push(item(1, Box::new(move |s| t.test(data[s], nocase)), None)),
        Elem::Alt(alts) => {
            for a in alts {
                items.push(item(
                    a.len(),
                    Box::new(move |s| tests_match(data, s, a, nocase)),
                    None,
                ));
            }
        }
        Elem::NegAlt(alts) => items.push(item(
            alts[0].len(),
            Box::new(move |s| !alts.iter().any(|a| lit_match(data, s, a, nocase))),
            None,
        )),
        Elem::Class { class, neg } => {
            let (class, neg) = (*class, *neg);
            items.push(item(
                1,
                Box::new(move |s| class_byte(class, data[s]) != neg),
                None,
            ));
        }
        Elem::Gap { .. } | Elem::Look { .. } => unreachable!("handled above"),
    }
    let mut starts = Vec::new();
    for item in &items {
        let w = item.width;
        for &(lo, hi) in set {
            starts.clear();
            match dir {
                Dir::Fwd => {
                    starts_in(data, lo, hi, item, nocase, &mut starts);
                    out.extend(starts.iter().map(|&s| (s + w, s + w)));
                }
                Dir::Back => {
                    if hi < w {
                        continue;
                    }
                    starts_in(
                        data,
                        lo.saturating_sub(w),
                        hi - w,
                        item,
                        nocase,
                        &mut starts,
                    );
                    out.extend(starts.iter().map(|&s| (s, s)));
                }
            }
        }
    }
    normalize(out)
}

/// Walks `elems` in direction `dir` from `set`, stopping early when the
/// set runs empty.
pub(crate) fn walk(
    hay: Hay<'_>,
    mut set: PosSet,
    elems: &[Elem],
    nocase: bool,
    dir: Dir,
) -> PosSet {
    let mut apply = |e: &Elem| {
        if !set.is_empty() {
            set = step(hay, &set, e, nocase, dir);
        }
    };
    match dir {
        Dir::Fwd => elems.iter().for_each(&mut apply),
        Dir::Back => elems.iter().rev().for_each(&mut apply),
    }
    set
}

/// Intersects a position set with `[lo, hi]` and returns the lowest
/// position inside.
pub(crate) fn first_in(set: &PosSet, lo: usize, hi: usize) -> Option<usize> {
    set.iter()
        .find(|&&(a, b)| b >= lo && a <= hi)
        .map(|&(a, _)| a.max(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Does `p` match `data` starting at `s`?
    fn matches_at(p: &Pattern, data: &[u8], s: usize) -> bool {
        let elems = p.clone().into_merged();
        !walk(Hay::whole(data), vec![(s, s)], &elems, p.nocase, Dir::Fwd).is_empty()
    }

    fn parse(s: &str) -> Result<Pattern, SigError> {
        Pattern::parse_min(s, 3)
    }

    #[test]
    fn parse_table() {
        // Each accepted and rejected form was checked with clamscan 1.4.
        let ok = [
            "aabbcc",
            "aabb??cc",
            "aabbc?dd",
            "aabb?cdd",
            "aabb*ccdd",
            "aabb{4}ccdd",
            "aa{2}bbccdd",
            "aabb{-4}ccdd",
            "aabb{4-}ccdd",
            "aabb{4-8}ccdd",
            "aabbcc[1-3]dd",
            "aa[1-2]bbccdd",
            "aa[1-2]bbccdd[1-2]ee",
            "aabbcc[2-32]dd",
            "aabbcc[2]dd",
            "aabb(cc|dd)eeff",
            "aabb(cc|ddee)eeff",
            "aabb!(cc|dd)eeff",
            "6162!(aabb|ccdd)6364",
            "6162(a?|b?)6364",
            "aabb(B)ccdd",
            "(L)aabbcc",
            "!(B)616263",
            "616263!(B)",
            "6162!(B)6364",
            "(B)(B)616263",
            "6162??",
            "??616263",
            "6162{2}",
            "aabb*ccdd*eeff",
            "aabb{2-}??ccdd",
        ];
        for s in ok {
            parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        let bad = [
            "aabb",             // plain but short: 2 bytes
            "aa??bb",           // no 2 static bytes
            "aabb*cc",          // '*' part shorter than 2 bytes
            "aabbcc{-2}dd",     // '{-n}' splits too
            "aabbcc{0-1}dd",    // so does '{n-m}'
            "aa{1}bb",          // no run of 2 static bytes
            "*616263",          // empty part
            "616263*",          // empty part
            "aabb[2-4]ccdd",    // [x-y] between two runs
            "aabbcc[2-40]dd",   // [x-y] bound over 32
            "aabbcc[3-2]dd",    // reversed range
            "aa[1-2]bb",        // the rest is 1 byte
            "aabbc",            // odd hex
            "aabb{4-2}cc",      // reversed gap
            "aabb(cc|dd",       // unclosed
            "aabb!(cc|ddee)ff", // negated, different lengths
            "6162!(a?|bb)6364", // negated with a nibble
            "aabb*(cc|dd)ee",   // part without a static run
            "aabbzz",
            "",
        ];
        for s in bad {
            assert!(parse(s).is_err(), "{s} should fail");
        }
    }

    #[test]
    fn match_table() {
        let cases: &[(&str, &[u8], bool)] = &[
            ("616263", b"xxabcxx", true),
            ("6162??64", b"abzd", true),
            ("6162??64", b"abd", false),
            ("61626?64", b"abcd", true),
            ("61626?64", b"ab\x73d", false),
            ("6162*6364", b"ab..........cd", true),
            ("6162{2}6364", b"ab..cd", true),
            ("6162{2}6364", b"ab...cd", false),
            ("6162{-2}6364", b"abcd", true),
            ("6162{-2}6364", b"ab...cd", false),
            ("6162{2-}6364", b"ab.......cd", true),
            ("6162{2-}6364", b"ab.cd", false),
            ("6162{1-3}6364", b"ab...cd", true),
            ("616263[1-3]64", b"abc..d", true),
            ("616263[1-3]64", b"abcd", false),
            ("6162(78|7979)6364", b"abyycd", true),
            ("6162(78|7979)6364", b"abycd", false),
            ("6162!(78|79)6364", b"abzcd", true),
            ("6162!(78|79)6364", b"abxcd", false),
        ];
        for (sig, data, want) in cases {
            let p = parse(sig).unwrap();
            let got = (0..=data.len()).any(|s| matches_at(&p, data, s));
            assert_eq!(got, *want, "{sig} on {:?}", String::from_utf8_lossy(data));
        }
    }

    /// Classes inside a pattern consume a byte from ClamAV's sets; at
    /// the edges they look at the neighbour (outcomes from clamscan).
    #[test]
    fn classes_as_clamav() {
        let find = |sig: &str, data: &[u8]| {
            let p = parse(sig).unwrap();
            (0..=data.len()).any(|s| matches_at(&p, data, s))
        };
        let mid: &[(&[u8], bool, bool, bool)] = &[
            // data, (B), (L), (W)
            (b"QQab cdQQ", true, false, true),
            (b"QQab\ncdQQ", true, true, true),
            (b"QQab\rcdQQ", true, false, true),
            (b"QQab\r\ncdQQ", false, false, false),
            (b"QQab.cdQQ", true, false, true),
            (b"QQab,cdQQ", false, false, true),
            (b"QQab_cdQQ", true, false, true),
            (b"QQabxcdQQ", false, false, false),
        ];
        for (d, b, l, w) in mid {
            assert_eq!(find("6162(B)6364", d), *b, "(B) {d:?}");
            assert_eq!(find("6162(L)6364", d), *l, "(L) {d:?}");
            assert_eq!(find("6162(W)6364", d), *w, "(W) {d:?}");
        }
        let edges: &[(&[u8], bool)] = &[
            (b"QQ word QQ", true),
            (b"QQ\nword\nQQ", false),
            (b"QQ_word_QQ", true),
            (b"QQ-word-QQ", true),
            (b"QQ.word.QQ", false),
            (b"QQ@word\"QQ", true),
            (b"QQ<word>QQ", true),
            (b"QQ'word'QQ", false),
            (b"QQ,word,QQ", false),
            (b"word", true),
            (b"swordfish", false),
        ];
        for (d, want) in edges {
            assert_eq!(find("(B)776f7264(B)", d), *want, "{d:?}");
        }
        assert!(find("(L)6c696e65(L)", b"x\r\nline\r\nz"));
        assert!(!find("(L)6c696e65(L)", b"x\rline\ry"));
        assert!(find("!(B)616263", b"Aabc"));
        assert!(!find("!(B)616263", b" abc"));
        assert!(find("6162!(B)6364", b"abAcd"));
        assert!(!find("6162!(B)6364", b"ab cd"));
    }

    #[test]
    fn wide_forms() {
        let find = |sig: &str, data: &[u8]| {
            let p = parse(sig).unwrap().widened();
            (0..=data.len()).any(|s| matches_at(&p, data, s))
        };
        assert!(find("776f72??73", b"w\0o\0r\0x\0s\0"));
        assert!(!find("776f72??73", b"w\0o\0r\0xxs\0"));
        assert!(find("776f72{2}73", b"w\0o\0r\0xxs\0"));
        assert!(!find("776f72{2}73", b"w\0o\0r\0xxxxs\0"));
        assert!(find("776f72(61|62)73", b"w\0o\0r\0a\0s\0"));
    }
}
