//! Sets of UIDs or sequence numbers, as IMAP writes them.

use std::fmt;

/// A set of numbers as inclusive ranges, as in `1:4,7,10:*`.
///
/// `*` is stored as `u32::MAX` and therefore covers every number at or
/// above the range start.
///
/// ```
/// use rampart_mailstore::UidSet;
/// let s = UidSet::parse("2:4,9:*").unwrap();
/// assert!(s.contains(3) && s.contains(1_000) && !s.contains(5));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UidSet {
    ranges: Vec<(u32, u32)>,
}

/// A malformed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid uid or sequence set {0:?}")]
pub struct SetError(pub String);

impl UidSet {
    /// Every number.
    pub fn all() -> Self {
        UidSet {
            ranges: vec![(1, u32::MAX)],
        }
    }

    /// A set of the given numbers.
    pub fn from_uids(uids: impl IntoIterator<Item = u32>) -> Self {
        let mut s = UidSet::default();
        for u in uids {
            s.ranges.push((u, u));
        }
        s
    }

    /// A range, both ends included.
    pub fn range(lo: u32, hi: u32) -> Self {
        UidSet {
            ranges: vec![(lo.min(hi), lo.max(hi))],
        }
    }

    /// Parses the IMAP `sequence-set` syntax.
    ///
    /// ```text
    /// sequence-set = (seq-number / seq-range) ["," sequence-set]
    /// seq-range    = seq-number ":" seq-number
    /// seq-number   = nz-number / "*"
    /// ```
    ///
    /// # Errors
    ///
    /// [`SetError`] with the input when it does not match the grammar.
    pub fn parse(text: &str) -> Result<Self, SetError> {
        let err = || SetError(text.to_owned());
        let num = |s: &str| -> Result<u32, SetError> {
            if s == "*" {
                return Ok(u32::MAX);
            }
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
                return Err(err());
            }
            s.parse().map_err(|_| err())
        };
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let (a, b) = match part.split_once(':') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => {
                    let n = num(part)?;
                    (n, n)
                }
            };
            ranges.push((a.min(b), a.max(b)));
        }
        Ok(UidSet { ranges })
    }

    /// Whether `n` is in the set.
    pub fn contains(&self, n: u32) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= n && n <= hi)
    }

    /// The ranges, as given.
    pub fn ranges(&self) -> &[(u32, u32)] {
        &self.ranges
    }

    /// Whether the set has no range.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

impl fmt::Display for UidSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, &(lo, hi)) in self.ranges.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let show = |n: u32| {
                if n == u32::MAX {
                    "*".to_owned()
                } else {
                    n.to_string()
                }
            };
            if lo == hi {
                write!(f, "{}", show(lo))?;
            } else {
                write!(f, "{}:{}", show(lo), show(hi))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_table() {
        let ok = [
            ("1", vec![(1, 1)]),
            ("1:3,5", vec![(1, 3), (5, 5)]),
            ("4:2", vec![(2, 4)]),
            ("*", vec![(u32::MAX, u32::MAX)]),
            ("7:*", vec![(7, u32::MAX)]),
        ];
        for (text, want) in ok {
            let s = UidSet::parse(text).unwrap();
            assert_eq!(s.ranges(), want.as_slice(), "{text}");
        }
        for bad in ["", "0", "1,", ":", "a", "1:2:3", "01", "99999999999"] {
            assert!(UidSet::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(UidSet::parse("4:2,9:*").unwrap().to_string(), "2:4,9:*");
    }
}
