//! Mailbox names: validation and the modified UTF-7 wire form.

use std::fmt;

use crate::error::NameError;

/// The hierarchy delimiter of the store.
pub const DELIMITER: char = '/';

/// Longest accepted name, in UTF-8 bytes.
pub const MAX_NAME_LEN: usize = 512;

/// A validated mailbox name, in UTF-8, with `INBOX` normalised to upper
/// case.
///
/// Levels are separated by `/`. A name is refused when it is empty, too
/// long, has an empty, `.` or `..` level, a control character or a LIST
/// wildcard (`*`, `%`).
///
/// ```
/// use rampart_mailstore::MailboxName;
/// let n = MailboxName::new("inbox/Receipts").unwrap();
/// assert_eq!(n.as_str(), "INBOX/Receipts");
/// assert!(MailboxName::new("a/../b").is_err());
/// let wire = MailboxName::from_utf7("Entw&APw-rfe").unwrap();
/// assert_eq!(wire.as_str(), "Entwürfe");
/// assert_eq!(wire.to_utf7(), "Entw&APw-rfe");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MailboxName(String);

impl MailboxName {
    /// Validates a UTF-8 name.
    ///
    /// # Errors
    ///
    /// A [`NameError`] saying which rule the name breaks.
    pub fn new(name: &str) -> Result<Self, NameError> {
        validate(name)?;
        Ok(MailboxName(normalise_inbox(name)))
    }

    /// Decodes a name in modified UTF-7 (the IMAP wire form) and
    /// validates it.
    ///
    /// # Errors
    ///
    /// [`NameError::BadUtf7`] when the encoding is malformed, or the
    /// error of [`MailboxName::new`].
    pub fn from_utf7(wire: &str) -> Result<Self, NameError> {
        let utf8 = decode_utf7(wire)?;
        Self::new(&utf8)
    }

    /// The name as UTF-8.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in modified UTF-7, for IMAP clients without UTF8=ACCEPT.
    pub fn to_utf7(&self) -> String {
        encode_utf7(&self.0)
    }

    /// Whether this is INBOX itself.
    pub fn is_inbox(&self) -> bool {
        self.0 == "INBOX"
    }

    /// Whether `self` lies strictly below `parent` in the hierarchy.
    pub fn is_below(&self, parent: &MailboxName) -> bool {
        self.0.len() > parent.0.len()
            && self.0.starts_with(&parent.0)
            && self.0[parent.0.len()..].starts_with(DELIMITER)
    }
}

impl fmt::Display for MailboxName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MailboxName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// INBOX is case-insensitive (RFC 3501 section 5.1), also as the first
/// level of a longer name.
fn normalise_inbox(name: &str) -> String {
    let first = name.split(DELIMITER).next().unwrap_or("");
    if first.eq_ignore_ascii_case("INBOX") {
        format!("INBOX{}", &name[first.len()..])
    } else {
        name.to_owned()
    }
}

fn validate(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong {
            name: name.chars().take(40).collect(),
            len: name.len(),
            max: MAX_NAME_LEN,
        });
    }
    if let Some(ch) = name.chars().find(|c| c.is_control()) {
        return Err(NameError::ControlChar {
            name: name.to_owned(),
            ch,
        });
    }
    if let Some(ch) = name.chars().find(|c| matches!(c, '*' | '%')) {
        return Err(NameError::Wildcard {
            name: name.to_owned(),
            ch,
        });
    }
    for level in name.split(DELIMITER) {
        if level.is_empty() {
            return Err(NameError::EmptyLevel {
                name: name.to_owned(),
            });
        }
        if level == "." || level == ".." {
            return Err(NameError::DotLevel {
                name: name.to_owned(),
                level: level.to_owned(),
            });
        }
    }
    Ok(())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn b64_value(b: u8) -> Option<u32> {
    B64.iter().position(|&c| c == b).map(|p| p as u32)
}

/// Decodes modified UTF-7.
///
/// ```text
/// mbox-utf7 = *(printable-except-& / "&-" / "&" modified-base64 "-")
/// ```
///
/// (RFC 3501 section 5.1.3.) Strict: printable ASCII must not be
/// encoded, encoded runs must not be adjacent, padding bits must be zero
/// and UTF-16 surrogates must pair up.
fn decode_utf7(wire: &str) -> Result<String, NameError> {
    let bad = |reason| NameError::BadUtf7 {
        name: wire.to_owned(),
        reason,
    };
    let bytes = wire.as_bytes();
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    let mut last_was_encoded = false;
    while i < bytes.len() {
        let b = bytes[i];
        if !(0x20..=0x7e).contains(&b) {
            return Err(bad("only printable US-ASCII may appear"));
        }
        if b != b'&' {
            out.push(b as char);
            i += 1;
            last_was_encoded = false;
            continue;
        }
        let start = i + 1;
        let end = bytes[start..]
            .iter()
            .position(|&c| c == b'-')
            .map(|p| start + p)
            .ok_or_else(|| bad("unterminated '&' run"))?;
        if end == start {
            out.push('&');
            i = end + 1;
            last_was_encoded = false;
            continue;
        }
        if last_was_encoded {
            return Err(bad("adjacent encoded runs must be merged"));
        }
        decode_run(&bytes[start..end], &mut out).map_err(bad)?;
        last_was_encoded = true;
        i = end + 1;
    }
    Ok(out)
}

fn decode_run(run: &[u8], out: &mut String) -> Result<(), &'static str> {
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    for &c in run {
        let v = b64_value(c).ok_or("bad character in base64 run")?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 16 {
            bits -= 16;
            units.push((acc >> bits) as u16);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 || acc != 0 {
        return Err("base64 run has non-zero or excess padding bits");
    }
    for ch in char::decode_utf16(units.iter().copied()) {
        let ch = ch.map_err(|_| "unpaired UTF-16 surrogate")?;
        if (' '..='~').contains(&ch) {
            return Err("printable US-ASCII must not be base64-encoded");
        }
        out.push(ch);
    }
    Ok(())
}

fn encode_utf7(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        out.push('&');
        let mut acc: u32 = 0;
        let mut bits = 0;
        for &u in pending.iter() {
            acc = (acc << 16) | u32::from(u);
            bits += 16;
            while bits >= 6 {
                bits -= 6;
                out.push(B64[((acc >> bits) & 63) as usize] as char);
            }
            acc &= (1 << bits) - 1;
        }
        if bits > 0 {
            out.push(B64[((acc << (6 - bits)) & 63) as usize] as char);
        }
        out.push('-');
        pending.clear();
    };
    for ch in s.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut pending, &mut out);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        let table = [
            ("INBOX", "INBOX"),
            ("inbox", "INBOX"),
            ("Inbox/Sub", "INBOX/Sub"),
            ("InboxX", "InboxX"),
            ("Archive/2024", "Archive/2024"),
            ("Entwürfe", "Entwürfe"),
            ("a.b", "a.b"),
            ("...", "..."),
        ];
        for (input, want) in table {
            assert_eq!(MailboxName::new(input).unwrap().as_str(), want, "{input}");
        }
    }

    /// A check on the error a bad name produced.
    type Expect = fn(&NameError) -> bool;

    #[test]
    fn invalid_names() {
        let table: &[(&str, Expect)] = &[
            ("", |e| matches!(e, NameError::Empty)),
            ("/abs", |e| matches!(e, NameError::EmptyLevel { .. })),
            ("a/", |e| matches!(e, NameError::EmptyLevel { .. })),
            ("a//b", |e| matches!(e, NameError::EmptyLevel { .. })),
            ("..", |e| matches!(e, NameError::DotLevel { .. })),
            ("a/../b", |e| matches!(e, NameError::DotLevel { .. })),
            ("a/.", |e| matches!(e, NameError::DotLevel { .. })),
            ("a\nb", |e| matches!(e, NameError::ControlChar { .. })),
            ("a\u{7f}", |e| matches!(e, NameError::ControlChar { .. })),
            ("a*", |e| matches!(e, NameError::Wildcard { .. })),
            ("50%", |e| matches!(e, NameError::Wildcard { .. })),
        ];
        for (input, check) in table {
            let err = MailboxName::new(input).unwrap_err();
            assert!(check(&err), "{input:?} gave {err:?}");
        }
        let long = "x".repeat(MAX_NAME_LEN + 1);
        assert!(matches!(
            MailboxName::new(&long),
            Err(NameError::TooLong { .. })
        ));
    }

    #[test]
    fn utf7_known_answers() {
        let table = [
            ("Entw&APw-rfe", "Entwürfe"),
            ("&-", "&"),
            ("A&-B", "A&B"),
            ("&ZeVnLIqe-", "日本語"),
            ("~peter/mail/&U,BTFw-/&ZeVnLIqe-", "~peter/mail/台北/日本語"),
            ("&2D3eAA-", "😀"),
        ];
        for (wire, utf8) in table {
            assert_eq!(decode_utf7(wire).unwrap(), utf8, "{wire}");
            assert_eq!(encode_utf7(utf8), wire, "{utf8}");
        }
    }

    #[test]
    fn utf7_errors() {
        for wire in [
            "&",
            "&AGE",
            "&AGE-&AGI-",
            "&AEE-",
            "&Jjo!-",
            "&2D0-",
            "caf\u{e9}",
            "&AP-",
            "&APwA-",
        ] {
            assert!(
                matches!(decode_utf7(wire), Err(NameError::BadUtf7 { .. })),
                "{wire:?} accepted"
            );
        }
    }

    #[test]
    fn below() {
        let a = MailboxName::new("a").unwrap();
        assert!(MailboxName::new("a/b").unwrap().is_below(&a));
        assert!(!MailboxName::new("ab").unwrap().is_below(&a));
        assert!(!a.is_below(&a));
    }
}
