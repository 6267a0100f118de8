//! Comparators (RFC 4790, RFC 5051) and match types (RFC 5228 2.7,
//! RFC 5231 relational, draft-ietf-sieve-regex).

use std::cmp::Ordering;

use crate::ir::{Comparator, Rel};

/// Equality under a comparator.
pub(crate) fn equals(cmp: Comparator, a: &str, b: &str) -> bool {
    match cmp {
        Comparator::Octet => a == b,
        Comparator::AsciiCasemap => a.eq_ignore_ascii_case(b),
        Comparator::UnicodeCasemap => fold(a) == fold(b),
        Comparator::AsciiNumeric => numeric_cmp(a, b) == Ordering::Equal,
    }
}

/// Ordering under a comparator, for `:value`.
pub(crate) fn order(cmp: Comparator, a: &str, b: &str) -> Ordering {
    match cmp {
        Comparator::Octet => a.as_bytes().cmp(b.as_bytes()),
        Comparator::AsciiCasemap => {
            let x = a.bytes().map(|c| c.to_ascii_lowercase());
            x.cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
        }
        Comparator::UnicodeCasemap => fold(a).cmp(&fold(b)),
        Comparator::AsciiNumeric => numeric_cmp(a, b),
    }
}

/// RFC 5051 is titlecase plus normalization; lowercasing the full
/// Unicode mapping is the close, dependency-free approximation.
fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// i;ascii-numeric: the leading digits as a number; a string without
/// leading digit is positive infinity.
fn numeric_cmp(a: &str, b: &str) -> Ordering {
    fn lead(s: &str) -> Option<&str> {
        let end = s
            .bytes()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(s.len());
        if end == 0 {
            return None;
        }
        let d = s[..end].trim_start_matches('0');
        Some(d)
    }
    match (lead(a), lead(b)) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
    }
}

pub(crate) fn rel_holds(rel: Rel, o: Ordering) -> bool {
    match rel {
        Rel::Gt => o == Ordering::Greater,
        Rel::Ge => o != Ordering::Less,
        Rel::Lt => o == Ordering::Less,
        Rel::Le => o != Ordering::Greater,
        Rel::Eq => o == Ordering::Equal,
        Rel::Ne => o != Ordering::Equal,
    }
}

/// Substring search under a comparator.
pub(crate) fn contains(cmp: Comparator, hay: &str, needle: &str) -> bool {
    match cmp {
        Comparator::Octet => hay.contains(needle),
        // Lowercased copies and the standard (two-way, linear) search:
        // a long needle in a long value costs no more than their sizes.
        Comparator::AsciiCasemap => {
            let (h, n) = (hay.as_bytes(), needle.as_bytes());
            if n.is_empty() {
                return true;
            }
            if n.len() > h.len() {
                return false;
            }
            // Short inputs: compare in place; long ones lowercased and
            // searched in linear time.
            if h.len().saturating_mul(n.len()) <= 1 << 16 {
                h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
            } else {
                hay.to_ascii_lowercase()
                    .contains(&needle.to_ascii_lowercase())
            }
        }
        Comparator::UnicodeCasemap => fold(hay).contains(&fold(needle)),
        Comparator::AsciiNumeric => false,
    }
}

#[inline]
fn char_eq(cmp: Comparator, a: char, b: char) -> bool {
    match cmp {
        Comparator::Octet | Comparator::AsciiNumeric => a == b,
        Comparator::AsciiCasemap => a.eq_ignore_ascii_case(&b),
        Comparator::UnicodeCasemap => a == b || a.to_lowercase().eq(b.to_lowercase()),
    }
}

#[derive(Clone, Copy)]
enum Pat<T> {
    Lit(T),
    One,
    Any,
}

/// A wildcard pattern, short ones on the stack.
struct Pattern<T> {
    small: [Pat<T>; 32],
    big: Vec<Pat<T>>,
    n: usize,
}

impl<T: Copy + PartialEq> Pattern<T> {
    /// `*` and `?` are wildcards, a backslash quotes the next unit.
    fn new(mut it: impl Iterator<Item = T>, [star, one, quote]: [T; 3]) -> Self {
        let mut p = Pattern {
            small: [Pat::Any; 32],
            big: Vec::new(),
            n: 0,
        };
        while let Some(c) = it.next() {
            let x = if c == star {
                Pat::Any
            } else if c == one {
                Pat::One
            } else if c == quote {
                Pat::Lit(it.next().unwrap_or(quote))
            } else {
                Pat::Lit(c)
            };
            if p.n < p.small.len() {
                p.small[p.n] = x;
            } else {
                if p.big.is_empty() {
                    p.big.extend_from_slice(&p.small);
                }
                p.big.push(x);
            }
            p.n += 1;
        }
        p
    }

    fn units(&self) -> &[Pat<T>] {
        if self.big.is_empty() {
            &self.small[..self.n]
        } else {
            &self.big
        }
    }
}

/// `:matches` with `*` and `?` (a backslash quotes the next character).
/// Each wildcard takes as little as possible, left to right, so the
/// captures follow RFC 5229; the two-pointer walk keeps it O(n*m).
/// On success `caps` holds one string per wildcard.
pub(crate) fn wildcard(
    cmp: Comparator,
    text: &str,
    pattern: &str,
    caps: Option<&mut Vec<String>>,
) -> bool {
    // ASCII on both sides (the usual case) is matched byte by byte; for
    // ASCII the Unicode casemap is the ASCII one.
    if text.is_ascii() && pattern.is_ascii() {
        let pat = Pattern::new(pattern.bytes(), [b'*', b'?', b'\\']);
        let fold = !matches!(cmp, Comparator::Octet | Comparator::AsciiNumeric);
        let t = text.as_bytes();
        return if fold {
            walk(
                pat.units(),
                t,
                |a, b| a.eq_ignore_ascii_case(&b),
                caps,
                |s, e| text[s..e].to_string(),
                text,
            )
        } else {
            walk(
                pat.units(),
                t,
                |a, b| a == b,
                caps,
                |s, e| text[s..e].to_string(),
                text,
            )
        };
    }
    let pat = Pattern::new(pattern.chars(), ['*', '?', '\\']);
    let t: Vec<char> = text.chars().collect();
    walk(
        pat.units(),
        &t,
        |a, b| char_eq(cmp, a, b),
        caps,
        |s, e| t[s..e].iter().collect(),
        text,
    )
}

/// The match of [`wildcard`] over units of text (bytes or characters);
/// `span` gives the text of units `s..e` for a capture.
fn walk<T: Copy>(
    pat: &[Pat<T>],
    t: &[T],
    eq: impl Fn(T, T) -> bool,
    caps: Option<&mut Vec<String>>,
    span: impl Fn(usize, usize) -> String,
    text: &str,
) -> bool {
    // No wildcard: plain equality.
    if caps.is_none() && pat.iter().all(|p| matches!(p, Pat::Lit(_))) {
        return pat.len() == t.len()
            && pat.iter().zip(t).all(|(p, x)| match p {
                Pat::Lit(c) => eq(*c, *x),
                _ => false,
            });
    }
    // For each wildcard, the text span it took.
    let mut small_spans = [(0usize, 0usize); 32];
    let mut big_spans = Vec::new();
    let spans: &mut [(usize, usize)] = if pat.len() <= small_spans.len() {
        &mut small_spans[..pat.len()]
    } else {
        big_spans.resize(pat.len(), (0, 0));
        &mut big_spans
    };
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None; // (star pattern index, text index)
    while ti < t.len() {
        match pat.get(pi) {
            Some(Pat::Any) => {
                spans[pi] = (ti, ti);
                back = Some((pi, ti));
                pi += 1;
            }
            Some(Pat::One) => {
                spans[pi] = (ti, ti + 1);
                pi += 1;
                ti += 1;
            }
            Some(Pat::Lit(c)) if eq(*c, t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match back {
                Some((sp, st)) => {
                    back = Some((sp, st + 1));
                    spans[sp] = (spans[sp].0, st + 1);
                    pi = sp + 1;
                    ti = st + 1;
                }
                None => return false,
            },
        }
    }
    while let Some(Pat::Any) = pat.get(pi) {
        spans[pi] = (ti, ti);
        pi += 1;
    }
    if pi != pat.len() {
        return false;
    }
    if let Some(caps) = caps {
        caps.clear();
        caps.push(text.to_string());
        for (p, (s, e)) in pat.iter().zip(spans.iter()) {
            if !matches!(p, Pat::Lit(_)) {
                caps.push(span(*s, *e));
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn wildcard_table() {
        let c = Comparator::AsciiCasemap;
        let cases: &[(&str, &str, bool, &[&str])] = &[
            (
                "frop.......frop.........frop....",
                "?*frop*",
                true,
                &["f", "rop.......", ".........frop...."],
            ),
            ("frop:frup:frop", "*:*:*", true, &["frop", "frup", "frop"]),
            ("abc", "a?c", true, &["b"]),
            ("abc", "a*d", false, &[]),
            ("ABC", "abc", true, &[]),
            ("a*c", "a\\*c", true, &[]),
            ("axc", "a\\*c", false, &[]),
            ("", "*", true, &[""]),
            ("x", "", false, &[]),
        ];
        for (t, p, ok, want) in cases {
            let mut caps = Vec::new();
            assert_eq!(wildcard(c, t, p, Some(&mut caps)), *ok, "{t} {p}");
            if *ok {
                assert_eq!(&caps[1..], *want, "{t} {p}");
            }
        }
    }

    #[test]
    fn numeric() {
        assert_eq!(numeric_cmp("007", "7"), Ordering::Equal);
        assert_eq!(numeric_cmp("10", "9"), Ordering::Greater);
        assert_eq!(numeric_cmp("x", "9"), Ordering::Greater);
        assert_eq!(numeric_cmp("x", "y"), Ordering::Equal);
    }

    /// A naive exponential matcher as the oracle.
    fn naive(t: &[char], p: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|k| naive(&t[k..], &p[1..])),
            Some('?') => !t.is_empty() && naive(&t[1..], &p[1..]),
            Some(c) => t.first() == Some(c) && naive(&t[1..], &p[1..]),
        }
    }

    proptest! {
        #[test]
        fn wildcard_agrees_with_naive(t in "[ab]{0,8}", p in "[ab*?]{0,6}") {
            let tc: Vec<char> = t.chars().collect();
            let pc: Vec<char> = p.chars().collect();
            prop_assert_eq!(wildcard(Comparator::Octet, &t, &p, None), naive(&tc, &pc));
        }

        #[test]
        fn wildcard_agrees_with_naive_on_characters(t in "[aé]{0,8}", p in "[aé*?]{0,6}") {
            let tc: Vec<char> = t.chars().collect();
            let pc: Vec<char> = p.chars().collect();
            prop_assert_eq!(wildcard(Comparator::Octet, &t, &p, None), naive(&tc, &pc));
        }

        /// The byte walk and the character walk capture the same spans.
        #[test]
        fn byte_and_character_walks_agree(t in "[aB.]{0,8}", p in "[Ab.*?]{0,6}") {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            let cmp = Comparator::AsciiCasemap;
            let ok = wildcard(cmp, &t, &p, Some(&mut a));
            // A non-ASCII character on both sides takes the character walk.
            let (t2, p2) = (format!("{t}é"), format!("{p}é"));
            prop_assert_eq!(ok, wildcard(cmp, &t2, &p2, Some(&mut b)));
            if ok {
                prop_assert_eq!(&a[1..], &b[1..]);
            }
        }
    }
}
