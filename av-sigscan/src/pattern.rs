//! The body-signature language of `.ndb` and `.ldb` sub-signatures, and
//! a verifier that matches a parsed pattern around a fixed anchor.
//!
//! Matching works on sets of positions held as sorted, merged intervals:
//! every element maps the set of positions where it may start to the set
//! where it may end. A `*` or a wide gap turns a point into an interval,
//! and a literal run after it is found with `memmem` inside that
//! interval, so the cost stays linear in the haystack per candidate and
//! never explodes with the number of gaps.

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

    fn test(self, b: u8, nocase: bool) -> bool {
        let b = if nocase { b.to_ascii_lowercase() } else { b };
        b & self.mask == self.value
    }
}

/// The character classes `(B)`, `(L)` and `(W)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Word boundary: a non-alphanumeric byte, or a file edge.
    Boundary,
    /// Line boundary: CR, LF or CRLF, or a file edge.
    Line,
    /// One non-alphanumeric byte.
    NonWord,
}

/// One element of a body signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Elem {
    /// A run of static bytes.
    Lit(Vec<u8>),
    /// A single byte with a nibble mask (`a?`, `?a`).
    Byte(ByteTest),
    /// Any `min..=max` bytes; `max == None` is unbounded (`*`, `{n-}`).
    Gap { min: u32, max: Option<u32> },
    /// `(aa|bb|..)`; alternatives may differ in length.
    Alt(Vec<Vec<ByteTest>>),
    /// `!(aa|bb)`: same-length alternatives, none of which may match.
    NegAlt(Vec<Vec<ByteTest>>),
    /// `(B)`, `(L)`, `(W)`.
    Class(Class),
}

/// A parsed body signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    pub elems: Vec<Elem>,
    /// ASCII case-insensitive (`::i`); literal bytes are stored lowercase.
    pub nocase: bool,
}

/// Largest gap bound accepted in `{n-m}` and `[n-m]`.
const MAX_GAP: u32 = 1 << 24;

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
        (b'?', b'?') => Some(ByteTest { value: 0, mask: 0 }),
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

fn parse_num(s: &str, sig: &str) -> Result<u32, SigError> {
    let n: u32 = s
        .parse()
        .map_err(|_| SigError::new(format!("bad number {s:?} in signature {sig:?}")))?;
    if n > MAX_GAP {
        return Err(SigError::new(format!(
            "gap {n} exceeds the maximum of {MAX_GAP} in signature {sig:?}"
        )));
    }
    Ok(n)
}

/// Parses the inside of `{...}` or `[...]`.
fn parse_gap(inner: &str, sig: &str) -> Result<Elem, SigError> {
    let (min, max) = match inner.split_once('-') {
        None => {
            let n = parse_num(inner, sig)?;
            (n, Some(n))
        }
        Some(("", m)) => (0, Some(parse_num(m, sig)?)),
        Some((n, "")) => (parse_num(n, sig)?, None),
        Some((n, m)) => (parse_num(n, sig)?, Some(parse_num(m, sig)?)),
    };
    if let Some(m) = max
        && m < min
    {
        return Err(SigError::new(format!(
            "gap {{{inner}}} has its maximum below its minimum in signature {sig:?}"
        )));
    }
    Ok(Elem::Gap { min, max })
}

/// Parses the alternatives of `(aa|bb)` (already without parentheses).
fn parse_alts(inner: &str, sig: &str) -> Result<Vec<Vec<ByteTest>>, SigError> {
    let mut alts = Vec::new();
    for alt in inner.split('|') {
        let b = alt.as_bytes();
        if b.is_empty() || !b.len().is_multiple_of(2) {
            return Err(SigError::new(format!(
                "bad alternative {alt:?} in signature {sig:?}"
            )));
        }
        let mut tests = Vec::with_capacity(b.len() / 2);
        for i in (0..b.len()).step_by(2) {
            tests.push(parse_bytetest(b, i).ok_or_else(|| {
                SigError::new(format!("bad alternative {alt:?} in signature {sig:?}"))
            })?);
        }
        alts.push(tests);
    }
    Ok(alts)
}

impl Pattern {
    /// Parses a hex body signature.
    ///
    /// ```text
    /// sig      = 1*elem
    /// elem     = hexbyte / nibble / "??" / gap / range / alt / negalt / class
    /// hexbyte  = 2HEXDIG
    /// nibble   = HEXDIG "?" / "?" HEXDIG
    /// gap      = "*" / "{" n "}" / "{-" n "}" / "{" n "-}" / "{" n "-" n "}"
    /// range    = "[" n "-" n "]"
    /// alt      = "(" item *("|" item) ")"
    /// negalt   = "!(" item *("|" item) ")"      ; all items the same length
    /// class    = "(B)" / "(L)" / "(W)"
    /// ```
    ///
    /// Checks ClamAV's load rules as well: a plain signature needs at
    /// least 3 bytes; a signature with wildcards needs a run of 2 static
    /// bytes, and so does every part between `*` gaps.
    pub(crate) fn parse(sig: &str) -> Result<Pattern, SigError> {
        Self::parse_min(sig, 3)
    }

    /// Like [`Pattern::parse`] with another minimum length for plain
    /// signatures (logical sub-signatures may have 2 bytes).
    pub(crate) fn parse_min(sig: &str, min_plain: usize) -> Result<Pattern, SigError> {
        let s = sig.as_bytes();
        let mut elems: Vec<Elem> = Vec::new();
        let mut i = 0;
        let err = |what: &str, at: usize| {
            SigError::new(format!("{what} at position {at} in signature {sig:?}"))
        };
        while i < s.len() {
            match s[i] {
                b'*' => {
                    elems.push(Elem::Gap { min: 0, max: None });
                    i += 1;
                }
                b'{' | b'[' => {
                    let close = if s[i] == b'{' { b'}' } else { b']' };
                    let end = s[i..]
                        .iter()
                        .position(|&c| c == close)
                        .ok_or_else(|| err("unclosed gap", i))?;
                    elems.push(parse_gap(&sig[i + 1..i + end], sig)?);
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
                    i = open + end + 1;
                    let class = match inner {
                        "B" => Some(Class::Boundary),
                        "L" => Some(Class::Line),
                        "W" => Some(Class::NonWord),
                        _ => None,
                    };
                    if let Some(c) = class {
                        if neg {
                            return Err(err("negated character class", open));
                        }
                        elems.push(Elem::Class(c));
                        continue;
                    }
                    let alts = parse_alts(inner, sig)?;
                    if neg {
                        let l = alts[0].len();
                        if alts.iter().any(|a| a.len() != l) {
                            return Err(err("negated alternatives of different lengths", i));
                        }
                        elems.push(Elem::NegAlt(alts));
                    } else {
                        elems.push(Elem::Alt(alts));
                    }
                }
                _ => {
                    let t = parse_bytetest(s, i).ok_or_else(|| err("bad hex", i))?;
                    i += 2;
                    match (t.mask, elems.last_mut()) {
                        (0, Some(Elem::Gap { min, max })) => {
                            *min += 1;
                            *max = max.map(|m| m + 1);
                        }
                        (0, _) => elems.push(Elem::Gap {
                            min: 1,
                            max: Some(1),
                        }),
                        (0xff, Some(Elem::Lit(v))) => v.push(t.value),
                        (0xff, _) => elems.push(Elem::Lit(vec![t.value])),
                        _ => elems.push(Elem::Byte(t)),
                    }
                }
            }
        }
        let p = Pattern {
            elems,
            nocase: false,
        };
        p.check_rules(sig, min_plain)?;
        Ok(p)
    }

    fn check_rules(&self, sig: &str, min_plain: usize) -> Result<(), SigError> {
        if self.elems.is_empty() {
            return Err(SigError::new("empty signature".to_string()));
        }
        if let [Elem::Lit(v)] = self.elems.as_slice() {
            if v.len() < min_plain {
                return Err(SigError::new(format!(
                    "signature {sig:?} is shorter than {min_plain} bytes"
                )));
            }
            return Ok(());
        }
        // Every part between '*' gaps needs a static run of 2 bytes.
        for part in self
            .elems
            .split(|e| matches!(e, Elem::Gap { max: None, .. }))
        {
            let ok = part
                .iter()
                .any(|e| matches!(e, Elem::Lit(v) if v.len() >= 2));
            if !ok {
                return Err(SigError::new(format!(
                    "signature {sig:?} has a part without 2 consecutive static bytes"
                )));
            }
        }
        Ok(())
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
                Elem::Alt(a) | Elem::NegAlt(a) => a.iter_mut().flatten().for_each(lower),
                _ => {}
            }
        }
    }

    /// Applies `::w`: every byte is followed by a zero byte (UTF-16LE).
    pub(crate) fn widened(&self) -> Pattern {
        let zero = ByteTest::exact(0);
        let wide = |a: &Vec<ByteTest>| a.iter().flat_map(|t| [*t, zero]).collect::<Vec<_>>();
        let elems = self
            .elems
            .iter()
            .map(|e| match e {
                Elem::Lit(v) => Elem::Lit(v.iter().flat_map(|&b| [b, 0]).collect()),
                Elem::Byte(t) => Elem::Alt(vec![vec![*t, zero]]),
                Elem::Gap { min, max } => Elem::Gap {
                    min: min * 2,
                    max: max.map(|m| m * 2),
                },
                Elem::Alt(a) => Elem::Alt(a.iter().map(wide).collect()),
                Elem::NegAlt(a) => Elem::NegAlt(a.iter().map(wide).collect()),
                Elem::Class(c) => Elem::Class(*c),
            })
            .collect();
        Pattern {
            elems,
            nocase: self.nocase,
        }
    }

    /// The best anchor: the longest static run, cut to `max_len` bytes.
    /// Returns (element index, start inside the run, length).
    pub(crate) fn anchor(&self, max_len: usize) -> Option<(usize, usize, usize)> {
        let (idx, len) = self
            .elems
            .iter()
            .enumerate()
            .filter_map(|(i, e)| match e {
                Elem::Lit(v) if v.len() >= 2 => Some((i, v.len())),
                _ => None,
            })
            .max_by_key(|&(i, l)| (l.min(max_len), std::cmp::Reverse(i)))?;
        // Inside a long run, take the window with the most distinct bytes.
        let Elem::Lit(v) = &self.elems[idx] else {
            return None;
        };
        let w = len.min(max_len);
        let best = (0..=len - w)
            .max_by_key(|&s| {
                let mut seen = [false; 256];
                v[s..s + w]
                    .iter()
                    .filter(|&&b| !std::mem::replace(&mut seen[b as usize], true))
                    .count()
            })
            .unwrap_or(0);
        Some((idx, best, w))
    }
}

/// A sorted list of disjoint inclusive position intervals.
pub(crate) type PosSet = Vec<(usize, usize)>;

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

fn lit_match(data: &[u8], at: usize, lit: &[u8], nocase: bool) -> bool {
    data.get(at..at + lit.len()).is_some_and(|w| {
        if nocase {
            w.iter().zip(lit).all(|(a, b)| a.to_ascii_lowercase() == *b)
        } else {
            w == lit
        }
    })
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
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

/// Every start `s` in `[lo, hi]` where a fixed-width element of width
/// `w` matches, found with memmem for literals.
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
pub(crate) fn step(data: &[u8], set: &PosSet, e: &Elem, nocase: bool, dir: Dir) -> PosSet {
    let n = data.len();
    let mut out: PosSet = Vec::new();
    if let Elem::Gap { min, max } = e {
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
            Box::new(move |s| !alts.iter().any(|a| tests_match(data, s, a, nocase))),
            None,
        )),
        Elem::Class(c) => {
            let c = *c;
            items.push(item(
                1,
                Box::new(move |s| match c {
                    Class::Boundary | Class::NonWord => !is_word(data[s]),
                    Class::Line => data[s] == b'\n' || data[s] == b'\r',
                }),
                None,
            ));
            if c == Class::Line {
                items.push(item(
                    2,
                    Box::new(move |s| data[s..].starts_with(b"\r\n")),
                    None,
                ));
            }
            if c != Class::NonWord {
                // Zero width at the file edges.
                for &(lo, hi) in set {
                    if lo == 0 {
                        out.push((0, 0));
                    }
                    if hi >= n && lo <= n {
                        out.push((n, n));
                    }
                }
            }
        }
        Elem::Gap { .. } => unreachable!("handled above"),
    }
    let mut starts = Vec::new();
    for item in &items {
        let w = &item.width;
        for &(lo, hi) in set {
            starts.clear();
            match dir {
                Dir::Fwd => {
                    starts_in(data, lo, hi, item, nocase, &mut starts);
                    out.extend(starts.iter().map(|&s| (s + w, s + w)));
                }
                Dir::Back => {
                    if hi < *w {
                        continue;
                    }
                    starts_in(
                        data,
                        lo.saturating_sub(*w),
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
pub(crate) fn walk(data: &[u8], mut set: PosSet, elems: &[Elem], nocase: bool, dir: Dir) -> PosSet {
    let mut apply = |e: &Elem| {
        if !set.is_empty() {
            set = step(data, &set, e, nocase, dir);
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

    /// Naive matcher: does `p` match `data` starting at `s`?
    pub(crate) fn naive_at(p: &Pattern, data: &[u8], s: usize) -> bool {
        !walk(data, vec![(s, s)], &p.elems, p.nocase, Dir::Fwd).is_empty()
    }

    #[test]
    fn parse_table() {
        let ok = [
            "aabbcc",
            "aabb??cc",
            "aabbc?dd",
            "aabb?cdd",
            "aabb*ccdd",
            "aabb{4}ccdd",
            "aabb{-4}ccdd",
            "aabb{4-}ccdd",
            "aabb{4-8}ccdd",
            "aabb[1-3]ccdd",
            "aabb(cc|dd)eeff",
            "aabb(cc|ddee)eeff",
            "aabb!(cc|dd)eeff",
            "aabb(B)ccdd",
            "(L)aabbcc",
        ];
        for s in ok {
            Pattern::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        }
        let bad = [
            "aabb",             // plain but short: 2 bytes
            "aa??bb",           // no 2 static bytes
            "aabb*cc",          // '*' part without 2 static bytes
            "aabbc",            // odd hex
            "aabb{4-2}cc",      // reversed range
            "aabb(cc|dd",       // unclosed
            "aabb!(cc|ddee)ff", // negated, different lengths
            "aabbzz",
            "",
        ];
        for s in bad {
            assert!(Pattern::parse(s).is_err(), "{s} should fail");
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
            ("6162(78|7979)6364", b"abyycd", true),
            ("6162(78|7979)6364", b"abycd", false),
            ("6162!(78|79)6364", b"abzcd", true),
            ("6162!(78|79)6364", b"abxcd", false),
            ("6162(B)6364", b"ab cd", true),
            ("6162(B)6364", b"abxcd", false),
            ("6162(L)6364", b"ab\r\ncd", true),
        ];
        for (sig, data, want) in cases {
            let p = Pattern::parse(sig).unwrap();
            let got = (0..=data.len()).any(|s| naive_at(&p, data, s));
            assert_eq!(got, *want, "{sig} on {:?}", String::from_utf8_lossy(data));
        }
    }
}
