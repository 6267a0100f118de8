//! Message flags: the IMAP system flags and keywords.

use std::fmt;

use crate::error::StoreError;

/// The system flags the store knows, as bits.
const SYSTEM: [(&str, u8); 5] = [
    ("\\Seen", 1),
    ("\\Answered", 2),
    ("\\Flagged", 4),
    ("\\Deleted", 8),
    ("\\Draft", 16),
];

/// Longest accepted keyword.
const MAX_KEYWORD: usize = 128;

/// One flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag<'a> {
    /// `\Seen`.
    Seen,
    /// `\Answered`.
    Answered,
    /// `\Flagged`.
    Flagged,
    /// `\Deleted`.
    Deleted,
    /// `\Draft`.
    Draft,
    /// A keyword such as `$Forwarded` or `NonJunk`.
    Keyword(&'a str),
}

impl Flag<'_> {
    fn bit(self) -> Option<u8> {
        Some(match self {
            Flag::Seen => 1,
            Flag::Answered => 2,
            Flag::Flagged => 4,
            Flag::Deleted => 8,
            Flag::Draft => 16,
            Flag::Keyword(_) => return None,
        })
    }
}

/// The flags of one message: system flags as bits plus a sorted list of
/// keywords.
///
/// ```
/// use rampart_mailstore::{Flag, Flags};
/// let f = Flags::parse(&["\\Seen", "$Forwarded"]).unwrap();
/// assert!(f.contains(Flag::Seen));
/// assert!(f.contains(Flag::Keyword("$forwarded")));
/// assert_eq!(f.to_string(), "\\Seen $Forwarded");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    bits: u8,
    keywords: Vec<String>,
}

impl Flags {
    /// No flags.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses flags as IMAP writes them (`\Seen`, `$Label1`).
    ///
    /// # Errors
    ///
    /// [`StoreError::BadFlag`] for an unknown system flag (`\Recent` is
    /// refused too: it is no stored flag but session state, see
    /// [`SessionView::is_recent`](crate::SessionView::is_recent)) or a
    /// malformed keyword.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, StoreError> {
        let mut flags = Flags::new();
        for item in items {
            flags.insert_str(item.as_ref())?;
        }
        Ok(flags)
    }

    /// Adds one flag given as text.
    ///
    /// # Errors
    ///
    /// As [`Flags::parse`].
    pub fn insert_str(&mut self, item: &str) -> Result<(), StoreError> {
        if let Some(rest) = item.strip_prefix('\\') {
            let bit = SYSTEM
                .iter()
                .find(|(name, _)| name[1..].eq_ignore_ascii_case(rest))
                .map(|&(_, bit)| bit)
                .ok_or_else(|| StoreError::BadFlag(item.to_owned()))?;
            self.bits |= bit;
            return Ok(());
        }
        let ok = !item.is_empty()
            && item.len() <= MAX_KEYWORD
            && item
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b));
        if !ok {
            return Err(StoreError::BadFlag(item.to_owned()));
        }
        self.insert(Flag::Keyword(item));
        Ok(())
    }

    /// Adds a flag.
    pub fn insert(&mut self, flag: Flag<'_>) {
        match (flag.bit(), flag) {
            (Some(bit), _) => self.bits |= bit,
            (None, Flag::Keyword(k)) => {
                if let Err(at) = self.find(k) {
                    self.keywords.insert(at, k.to_owned());
                }
            }
            (None, _) => {}
        }
    }

    /// Removes a flag.
    pub fn remove(&mut self, flag: Flag<'_>) {
        match (flag.bit(), flag) {
            (Some(bit), _) => self.bits &= !bit,
            (None, Flag::Keyword(k)) => {
                if let Ok(at) = self.find(k) {
                    self.keywords.remove(at);
                }
            }
            (None, _) => {}
        }
    }

    /// Whether a flag is set; keywords compare case-insensitively.
    pub fn contains(&self, flag: Flag<'_>) -> bool {
        match (flag.bit(), flag) {
            (Some(bit), _) => self.bits & bit != 0,
            (None, Flag::Keyword(k)) => self.find(k).is_ok(),
            (None, _) => false,
        }
    }

    /// Adds every flag of `other`.
    pub fn union(&mut self, other: &Flags) {
        self.bits |= other.bits;
        for k in &other.keywords {
            self.insert(Flag::Keyword(k));
        }
    }

    /// Removes every flag of `other`.
    pub fn subtract(&mut self, other: &Flags) {
        self.bits &= !other.bits;
        for k in &other.keywords {
            self.remove(Flag::Keyword(k));
        }
    }

    /// Whether no flag is set.
    pub fn is_empty(&self) -> bool {
        self.bits == 0 && self.keywords.is_empty()
    }

    /// The flags as text, system flags first.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        SYSTEM
            .iter()
            .filter(|(_, bit)| self.bits & bit != 0)
            .map(|(name, _)| *name)
            .chain(self.keywords.iter().map(String::as_str))
    }

    /// The keywords alone.
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }

    pub(crate) fn bits(&self) -> u8 {
        self.bits
    }

    pub(crate) fn from_parts(bits: u8, keywords: Vec<String>) -> Self {
        let mut f = Flags {
            bits: bits & 31,
            keywords: Vec::with_capacity(keywords.len()),
        };
        for k in &keywords {
            f.insert(Flag::Keyword(k));
        }
        f
    }

    fn find(&self, k: &str) -> Result<usize, usize> {
        self.keywords.binary_search_by(|have| cmp_ci(have, k))
    }
}

fn cmp_ci(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, flag) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(flag)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let f = Flags::parse(&["\\draft", "\\SEEN", "b", "A", "a"]).unwrap();
        assert_eq!(f.to_string(), "\\Seen \\Draft A b");
        for bad in ["\\Recent", "\\Foo", "", "a b", "x(", "\\"] {
            assert!(Flags::parse(&[bad]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn set_algebra() {
        let mut f = Flags::parse(&["\\Seen", "k1"]).unwrap();
        f.union(&Flags::parse(&["\\Flagged", "K2"]).unwrap());
        f.subtract(&Flags::parse(&["\\Seen", "K1"]).unwrap());
        assert_eq!(f.to_string(), "\\Flagged K2");
        assert!(f.contains(Flag::Keyword("k2")));
        assert!(!f.contains(Flag::Seen));
    }
}
