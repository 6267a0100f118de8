//! Mailboxes, reverse-paths and forward-paths (RFC 5321 4.1.2).

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::chars::{self, ATEXT, DCONTENT, LETDIG, QTEXT};
use crate::error::{CommandError, clip};

/// Longest local part (RFC 5321 4.5.3.1.1).
pub const MAX_LOCAL_PART: usize = 64;
/// Longest domain (RFC 5321 4.5.3.1.2).
pub const MAX_DOMAIN: usize = 255;
/// Longest path, angle brackets included (RFC 5321 4.5.3.1.3).
pub const MAX_PATH: usize = 256;

/// An address `local-part@domain`, kept as written.
///
/// The text borrows from the command line when parsed; use
/// [`Mailbox::into_owned`] to keep it longer.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a> {
    raw: Cow<'a, str>,
    at: usize,
}

impl<'a> Mailbox<'a> {
    /// Parses a bare mailbox (no angle brackets).
    ///
    /// ```text
    /// Mailbox    = Local-part "@" ( Domain / address-literal )
    /// Local-part = Dot-string / Quoted-string
    /// ```
    ///
    /// # Errors
    ///
    /// [`CommandError::Address`] or [`CommandError::TooLong`] when `s`
    /// is not exactly one mailbox.
    pub fn parse(s: &'a str) -> Result<Self, CommandError> {
        let at = scan_mailbox(s.as_bytes(), 0).map_err(|r| addr_err(s, r))?;
        let (at, end) = at;
        if end != s.len() {
            return Err(addr_err(s, "trailing characters after the domain"));
        }
        check_lengths(&s[..at], &s[at + 1..])?;
        Ok(Self {
            raw: Cow::Borrowed(s),
            at,
        })
    }

    /// The local part as written (quotes and backslashes kept).
    pub fn local_part(&self) -> &str {
        &self.raw[..self.at]
    }

    /// The local part with quoting undone.
    pub fn local_part_unquoted(&self) -> Cow<'_, str> {
        let lp = self.local_part();
        if !lp.starts_with('"') {
            return Cow::Borrowed(lp);
        }
        let inner = &lp[1..lp.len() - 1];
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        let mut out = String::with_capacity(inner.len());
        let mut esc = false;
        for c in inner.chars() {
            if esc || c != '\\' {
                out.push(c);
                esc = false;
            } else {
                esc = true;
            }
        }
        Cow::Owned(out)
    }

    /// The domain as written (an address literal keeps its brackets).
    pub fn domain(&self) -> &str {
        &self.raw[self.at + 1..]
    }

    /// The domain, decoded.
    pub fn host(&self) -> Host<'_> {
        Host::classify(self.domain())
    }

    /// The whole address as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// True when the address is pure ASCII (no SMTPUTF8 needed).
    pub fn is_ascii(&self) -> bool {
        self.raw.is_ascii()
    }

    /// Detaches the mailbox from the input it borrows.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            raw: Cow::Owned(self.raw.into_owned()),
            at: self.at,
        }
    }
}

impl fmt::Debug for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mailbox({:?})", &*self.raw)
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// The domain of a mailbox or EHLO argument, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host<'a> {
    /// A domain name (may hold U-labels under SMTPUTF8).
    Domain(&'a str),
    /// `[192.0.2.1]`
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`
    Ipv6(Ipv6Addr),
    /// `[tag:content]`, a General-address-literal.
    General {
        /// Standardized-tag.
        tag: &'a str,
        /// The content after the colon.
        content: &'a str,
    },
}

impl<'a> Host<'a> {
    fn classify(d: &'a str) -> Self {
        let Some(inner) = d.strip_prefix('[').and_then(|x| x.strip_suffix(']')) else {
            return Host::Domain(d);
        };
        if let Ok(ip) = inner.parse::<Ipv4Addr>() {
            return Host::Ipv4(ip);
        }
        let (tag, content) = inner.split_once(':').unwrap_or(("", inner));
        if tag.eq_ignore_ascii_case("IPv6")
            && let Ok(ip) = content.parse::<Ipv6Addr>()
        {
            return Host::Ipv6(ip);
        }
        Host::General { tag, content }
    }

    /// Parses a domain or an address literal, as EHLO takes it.
    ///
    /// ```text
    /// Domain          = sub-domain *("." sub-domain)
    /// sub-domain      = Let-dig [Ldh-str]
    /// address-literal = "[" ( IPv4-address-literal /
    ///                   IPv6-address-literal /
    ///                   General-address-literal ) "]"
    /// ```
    ///
    /// # Errors
    ///
    /// [`CommandError::Address`] when `s` is neither.
    pub fn parse(s: &'a str) -> Result<Self, CommandError> {
        let end = scan_domain(s.as_bytes(), 0).map_err(|r| addr_err(s, r))?;
        if end != s.len() {
            return Err(addr_err(s, "trailing characters after the domain"));
        }
        if s.len() > MAX_DOMAIN {
            return Err(CommandError::TooLong {
                what: "domain",
                len: s.len(),
                max: MAX_DOMAIN,
            });
        }
        Ok(Self::classify(s))
    }
}

/// `Reverse-path = Path / "<>"`, the MAIL FROM argument.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath<'a> {
    /// `<>`: bounces and other notifications.
    Null,
    /// A sender mailbox.
    Mailbox(Mailbox<'a>),
}

impl ReversePath<'_> {
    /// Detaches the path from the input it borrows.
    pub fn into_owned(self) -> ReversePath<'static> {
        match self {
            Self::Null => ReversePath::Null,
            Self::Mailbox(m) => ReversePath::Mailbox(m.into_owned()),
        }
    }

    /// True when the path is pure ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            Self::Null => true,
            Self::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl fmt::Display for ReversePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("<>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// The RCPT TO argument.
///
/// ```text
/// "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path
/// ```
///
/// `<Postmaster@domain>` parses as an ordinary mailbox; only the bare
/// `<Postmaster>` gets its own variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath<'a> {
    /// `<Postmaster>` without a domain (any case).
    Postmaster,
    /// A recipient mailbox.
    Mailbox(Mailbox<'a>),
}

impl ForwardPath<'_> {
    /// Detaches the path from the input it borrows.
    pub fn into_owned(self) -> ForwardPath<'static> {
        match self {
            Self::Postmaster => ForwardPath::Postmaster,
            Self::Mailbox(m) => ForwardPath::Mailbox(m.into_owned()),
        }
    }

    /// True when the path is pure ASCII.
    pub fn is_ascii(&self) -> bool {
        match self {
            Self::Postmaster => true,
            Self::Mailbox(m) => m.is_ascii(),
        }
    }
}

impl fmt::Display for ForwardPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postmaster => f.write_str("<Postmaster>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

fn addr_err(s: &str, reason: &'static str) -> CommandError {
    CommandError::Address {
        address: clip(s, 300),
        reason,
    }
}

fn check_lengths(local: &str, domain: &str) -> Result<(), CommandError> {
    if local.len() > MAX_LOCAL_PART {
        return Err(CommandError::TooLong {
            what: "local part",
            len: local.len(),
            max: MAX_LOCAL_PART,
        });
    }
    if domain.len() > MAX_DOMAIN {
        return Err(CommandError::TooLong {
            what: "domain",
            len: domain.len(),
            max: MAX_DOMAIN,
        });
    }
    Ok(())
}

/// Parses `Path` or `"<>"` at the start of `s`; returns the path and
/// the offset just past `>`.
///
/// ```text
/// Reverse-path = Path / "<>"
/// Path         = "<" [ A-d-l ":" ] Mailbox ">"
/// A-d-l        = At-domain *( "," At-domain )
/// At-domain    = "@" Domain
/// ```
///
/// A source route (A-d-l) is checked and dropped, as RFC 5321 C says.
pub(crate) fn parse_reverse_path(s: &str) -> Result<(ReversePath<'_>, usize), CommandError> {
    if s.starts_with("<>") {
        return Ok((ReversePath::Null, 2));
    }
    let (m, end) = parse_path(s)?;
    Ok((ReversePath::Mailbox(m), end))
}

/// Parses the RCPT TO argument; see [`ForwardPath`].
pub(crate) fn parse_forward_path(s: &str) -> Result<(ForwardPath<'_>, usize), CommandError> {
    let b = s.as_bytes();
    if b.len() >= 12 && b[11] == b'>' && b[..11].eq_ignore_ascii_case(b"<postmaster") {
        return Ok((ForwardPath::Postmaster, 12));
    }
    let (m, end) = parse_path(s)?;
    Ok((ForwardPath::Mailbox(m), end))
}

fn parse_path(s: &str) -> Result<(Mailbox<'_>, usize), CommandError> {
    let b = s.as_bytes();
    let whole = || {
        let end = memchr::memchr(b'>', b).map_or(b.len(), |i| i + 1);
        &s[..end]
    };
    if b.first() != Some(&b'<') {
        return Err(addr_err(whole(), "path must start with '<'"));
    }
    let mut i = 1;
    // Source route: "@a,@b:" is accepted and ignored.
    if b.get(1) == Some(&b'@') {
        loop {
            i += 1;
            i = scan_domain(b, i).map_err(|r| addr_err(whole(), r))?;
            match b.get(i) {
                Some(b',') if b.get(i + 1) == Some(&b'@') => i += 1,
                Some(b':') => {
                    i += 1;
                    break;
                }
                _ => return Err(addr_err(whole(), "bad source route")),
            }
        }
    }
    let start = i;
    let (at, end) = scan_mailbox(b, start).map_err(|r| addr_err(whole(), r))?;
    if b.get(end) != Some(&b'>') {
        return Err(addr_err(whole(), "path must end with '>'"));
    }
    if end + 1 > MAX_PATH {
        return Err(CommandError::TooLong {
            what: "path",
            len: end + 1,
            max: MAX_PATH,
        });
    }
    check_lengths(&s[start..at], &s[at + 1..end])?;
    let m = Mailbox {
        raw: Cow::Borrowed(&s[start..end]),
        at: at - start,
    };
    Ok((m, end + 1))
}

/// Scans `Local-part "@" (Domain / address-literal)` from `i`;
/// returns the offset of `@` and the end.
fn scan_mailbox(b: &[u8], mut i: usize) -> Result<(usize, usize), &'static str> {
    if b.get(i) == Some(&b'"') {
        // Quoted-string = DQUOTE *QcontentSMTP DQUOTE
        i += 1;
        loop {
            match b.get(i) {
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(b'\\') => match b.get(i + 1) {
                    Some(&c) if (32..=126).contains(&c) => i += 2,
                    _ => return Err("bad quoted pair in local part"),
                },
                Some(&c) if chars::is(c, QTEXT) => i += 1,
                Some(_) => return Err("bad character in quoted local part"),
                None => return Err("unterminated quoted local part"),
            }
        }
    } else {
        // Dot-string = Atom *("." Atom)
        loop {
            let s = i;
            while i < b.len() && chars::is(b[i], ATEXT) {
                i += 1;
            }
            if i == s {
                return Err("bad local part");
            }
            if b.get(i) == Some(&b'.') {
                i += 1;
            } else {
                break;
            }
        }
    }
    if b.get(i) != Some(&b'@') {
        return Err("missing '@' after the local part");
    }
    let at = i;
    let end = scan_domain(b, i + 1)?;
    Ok((at, end))
}

/// Scans `Domain / address-literal` from `i`; returns the end.
fn scan_domain(b: &[u8], mut i: usize) -> Result<usize, &'static str> {
    if b.get(i) == Some(&b'[') {
        let s = i + 1;
        i = s;
        while i < b.len() && chars::is(b[i], DCONTENT) {
            i += 1;
        }
        if b.get(i) != Some(&b']') || i == s {
            return Err("bad address literal");
        }
        let inner = std::str::from_utf8(&b[s..i]).map_err(|_| "bad address literal")?;
        check_literal(inner)?;
        return Ok(i + 1);
    }
    loop {
        // sub-domain = Let-dig [Ldh-str]
        let s = i;
        while i < b.len() && (chars::is(b[i], LETDIG) || b[i] == b'-') {
            i += 1;
        }
        if i == s {
            return Err("bad domain");
        }
        if b[s] == b'-' || b[i - 1] == b'-' {
            return Err("domain label starts or ends with '-'");
        }
        if i - s > 63 {
            return Err("domain label longer than 63 octets");
        }
        if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(|&c| chars::is(c, LETDIG)) {
            i += 1;
        } else {
            return Ok(i);
        }
    }
}

/// ```text
/// IPv4-address-literal    = Snum 3("."  Snum)
/// IPv6-address-literal    = "IPv6:" IPv6-addr
/// General-address-literal = Standardized-tag ":" 1*dcontent
/// ```
fn check_literal(inner: &str) -> Result<(), &'static str> {
    if inner.as_bytes()[0].is_ascii_digit() {
        return inner
            .parse::<Ipv4Addr>()
            .map(|_| ())
            .map_err(|_| "bad ipv4 address literal");
    }
    let Some((tag, content)) = inner.split_once(':') else {
        return Err("address literal without a tag");
    };
    if tag.eq_ignore_ascii_case("IPv6") {
        return content
            .parse::<Ipv6Addr>()
            .map(|_| ())
            .map_err(|_| "bad ipv6 address literal");
    }
    let tb = tag.as_bytes();
    let ldh = !tb.is_empty()
        && tb.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        && tb[tb.len() - 1] != b'-';
    if !ldh || content.is_empty() {
        return Err("bad general address literal");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailbox_table() {
        // (input, ok, local part, domain)
        let table: &[(&str, bool, &str, &str)] = &[
            ("a@b", true, "a", "b"),
            ("first.last@example.com", true, "first.last", "example.com"),
            ("\"a b\"@example.com", true, "\"a b\"", "example.com"),
            ("\"a\\\"b\"@x", true, "\"a\\\"b\"", "x"),
            ("u@[192.0.2.1]", true, "u", "[192.0.2.1]"),
            ("u@[IPv6:2001:db8::1]", true, "u", "[IPv6:2001:db8::1]"),
            ("u@[x-tag:stuff]", true, "u", "[x-tag:stuff]"),
            (
                "!#$%&'*+-/=?^_`{|}~@x.y",
                true,
                "!#$%&'*+-/=?^_`{|}~",
                "x.y",
            ),
            ("a..b@x", false, "", ""),
            (".a@x", false, "", ""),
            ("a.@x", false, "", ""),
            ("a@", false, "", ""),
            ("@x", false, "", ""),
            ("a@-x", false, "", ""),
            ("a@x-", false, "", ""),
            ("a@x..y", false, "", ""),
            ("a@[300.1.1.1]", false, "", ""),
            ("a@[IPv6:zz]", false, "", ""),
            ("a@[]", false, "", ""),
            ("a b@x", false, "", ""),
            ("\"a@x", false, "", ""),
            ("a@x y", false, "", ""),
        ];
        for &(input, ok, lp, dom) in table {
            let r = Mailbox::parse(input);
            assert_eq!(r.is_ok(), ok, "{input}: {r:?}");
            if let Ok(m) = r {
                assert_eq!(m.local_part(), lp, "{input}");
                assert_eq!(m.domain(), dom, "{input}");
            }
        }
    }

    #[test]
    fn hosts() {
        assert_eq!(
            Host::parse("[192.0.2.1]").unwrap(),
            Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1))
        );
        assert!(matches!(Host::parse("[IPv6:::1]").unwrap(), Host::Ipv6(_)));
        assert_eq!(
            Host::parse("mx.example").unwrap(),
            Host::Domain("mx.example")
        );
        assert!(Host::parse("bad_host").is_err());
    }

    #[test]
    fn unquote() {
        let m = Mailbox::parse("\"a\\\"b c\"@x").unwrap();
        assert_eq!(m.local_part_unquoted(), "a\"b c");
    }

    #[test]
    fn paths() {
        let table: &[(&str, Option<(&str, usize)>)] = &[
            ("<>", Some(("<>", 2))),
            ("<a@b>", Some(("<a@b>", 5))),
            ("<@r1,@r2:a@b>", Some(("<a@b>", 13))),
            ("<@r1:a@b> SIZE=1", Some(("<a@b>", 9))),
            ("<a@b", None),
            ("a@b", None),
            ("<@r1a@b>", None),
        ];
        for &(input, want) in table {
            let got = parse_reverse_path(input)
                .ok()
                .map(|(p, n)| (p.to_string(), n));
            assert_eq!(got.as_ref().map(|(s, n)| (s.as_str(), *n)), want, "{input}");
        }
        assert_eq!(
            parse_forward_path("<postMaster>").unwrap(),
            (ForwardPath::Postmaster, 12)
        );
    }

    #[test]
    fn length_limits() {
        let long_local = format!("<{}@x>", "a".repeat(65));
        assert!(matches!(
            parse_reverse_path(&long_local),
            Err(CommandError::TooLong {
                what: "local part",
                ..
            })
        ));
        let ok_local = format!("<{}@x>", "a".repeat(64));
        assert!(parse_reverse_path(&ok_local).is_ok());
        let labels = vec!["a".repeat(60); 5].join(".");
        let long_path = format!("<a@{labels}>");
        assert!(parse_reverse_path(&long_path).is_err());
    }
}
