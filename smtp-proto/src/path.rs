//! Mailboxes, reverse-paths and forward-paths (RFC 5321 4.1.2).

use std::borrow::Cow;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::chars::{self, ATEXT, DCONTENT, LDH, LETDIG, QTEXT};
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
        check_lengths(at, s.len() - at - 1)?;
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
    #[inline]
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
        if let Some(ip) = parse_ipv4(inner.as_bytes()) {
            return Host::Ipv4(ip);
        }
        let (tag, content) = inner.split_once(':').unwrap_or(("", inner));
        if tag.eq_ignore_ascii_case("IPv6")
            && let Some(ip) = parse_ipv6(content.as_bytes())
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
        check_host(s)?;
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
    #[inline]
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
    #[inline]
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

#[cold]
fn addr_err(s: &str, reason: &'static str) -> CommandError {
    CommandError::Address {
        address: clip(s, 300),
        reason,
    }
}

#[cold]
fn too_long(what: &'static str, len: usize, max: usize) -> CommandError {
    CommandError::TooLong { what, len, max }
}

fn check_lengths(local: usize, domain: usize) -> Result<(), CommandError> {
    if local > MAX_LOCAL_PART {
        return Err(too_long("local part", local, MAX_LOCAL_PART));
    }
    if domain > MAX_DOMAIN {
        return Err(too_long("domain", domain, MAX_DOMAIN));
    }
    Ok(())
}

/// Checks that `s` is exactly a `Domain / address-literal` of at most
/// 255 octets (the EHLO argument), without decoding it.
pub(crate) fn check_host(s: &str) -> Result<(), CommandError> {
    let end = scan_domain(s.as_bytes(), 0, true).map_err(|r| addr_err(s, r))?;
    if end != s.len() {
        return Err(addr_err(s, "trailing characters after the domain"));
    }
    if s.len() > MAX_DOMAIN {
        return Err(too_long("domain", s.len(), MAX_DOMAIN));
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
#[inline]
pub(crate) fn parse_reverse_path(s: &str) -> Result<(ReversePath<'_>, usize), CommandError> {
    let b = s.as_bytes();
    if b.len() >= 2 && b[0] == b'<' && b[1] == b'>' {
        return Ok((ReversePath::Null, 2));
    }
    let (m, end) = parse_path(s)?;
    Ok((ReversePath::Mailbox(m), end))
}

/// Parses the RCPT TO argument; see [`ForwardPath`].
///
/// ```text
/// rcpt-arg     = "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path
/// Forward-path = Path
/// ```
#[inline]
pub(crate) fn parse_forward_path(s: &str) -> Result<(ForwardPath<'_>, usize), CommandError> {
    let b = s.as_bytes();
    if b.len() >= 12 && b[11] == b'>' && b[..11].eq_ignore_ascii_case(b"<postmaster") {
        return Ok((ForwardPath::Postmaster, 12));
    }
    let (m, end) = parse_path(s)?;
    Ok((ForwardPath::Mailbox(m), end))
}

/// The path text for an error message: up to the first `>`.
#[cold]
fn path_err(s: &str, reason: &'static str) -> CommandError {
    let end = memchr::memchr(b'>', s.as_bytes()).map_or(s.len(), |i| i + 1);
    // '>' is ASCII, so `end` is a character boundary.
    addr_err(s.get(..end).unwrap_or(s), reason)
}

/// ```text
/// Path = "<" [ A-d-l ":" ] Mailbox ">"   ; at most 256 octets
/// ```
#[inline]
fn parse_path(s: &str) -> Result<(Mailbox<'_>, usize), CommandError> {
    let b = s.as_bytes();
    if b.first() != Some(&b'<') {
        return Err(path_err(s, "path must start with '<'"));
    }
    let mut i = 1;
    // Source route: "@a,@b:" is checked and ignored. At-domain takes
    // a Domain only, no address literal.
    if b.get(1) == Some(&b'@') {
        loop {
            i = scan_domain(b, i + 1, false).map_err(|r| path_err(s, r))?;
            match b.get(i) {
                Some(b',') if b.get(i + 1) == Some(&b'@') => i += 1,
                Some(b':') => {
                    i += 1;
                    break;
                }
                _ => return Err(path_err(s, "bad source route")),
            }
        }
    }
    let start = i;
    let (at, end) = scan_mailbox(b, start).map_err(|r| path_err(s, r))?;
    if b.get(end) != Some(&b'>') {
        return Err(path_err(s, "path must end with '>'"));
    }
    if end + 1 > MAX_PATH {
        return Err(too_long("path", end + 1, MAX_PATH));
    }
    check_lengths(at - start, end - at - 1)?;
    let m = Mailbox {
        raw: Cow::Borrowed(&s[start..end]),
        at: at - start,
    };
    Ok((m, end + 1))
}

/// Scans `Local-part "@" (Domain / address-literal)` from `i`;
/// returns the offset of `@` and the end.
///
/// ```text
/// Local-part    = Dot-string / Quoted-string
/// Dot-string    = Atom *("."  Atom)
/// Atom          = 1*atext
/// Quoted-string = DQUOTE *QcontentSMTP DQUOTE
/// QcontentSMTP  = qtextSMTP / quoted-pairSMTP
/// quoted-pairSMTP = %d92 %d32-126
/// ```
#[inline]
fn scan_mailbox(b: &[u8], mut i: usize) -> Result<(usize, usize), &'static str> {
    if b.get(i) == Some(&b'"') {
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
        loop {
            let s = i;
            while i < b.len() && chars::is(b[i], ATEXT) {
                i += 1;
            }
            if i == s {
                return Err("bad local part");
            }
            if i < b.len() && b[i] == b'.' {
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
    let end = scan_domain(b, i + 1, true)?;
    Ok((at, end))
}

/// Scans `Domain` (or, with `literal`, `Domain / address-literal`)
/// from `i`; returns the end.
///
/// ```text
/// Domain     = sub-domain *("." sub-domain)
/// sub-domain = Let-dig [Ldh-str]        ; or a U-label (RFC 6531)
/// Let-dig    = ALPHA / DIGIT
/// Ldh-str    = *( ALPHA / DIGIT / "-" ) Let-dig
/// ```
#[inline]
fn scan_domain(b: &[u8], mut i: usize, literal: bool) -> Result<usize, &'static str> {
    if b.get(i) == Some(&b'[') {
        if !literal {
            return Err("address literal in a source route");
        }
        let s = i + 1;
        i = s;
        while i < b.len() && chars::is(b[i], DCONTENT) {
            i += 1;
        }
        if b.get(i) != Some(&b']') || i == s {
            return Err("bad address literal");
        }
        check_literal(&b[s..i])?;
        return Ok(i + 1);
    }
    loop {
        let s = i;
        while i < b.len() && chars::is(b[i], LDH) {
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
        if i + 1 < b.len() && b[i] == b'.' && chars::is(b[i + 1], LETDIG) {
            i += 1;
        } else {
            return Ok(i);
        }
    }
}

/// ```text
/// IPv4-address-literal    = Snum 3("."  Snum)
/// Snum                    = 1*3DIGIT ; representing a decimal 0-255
/// IPv6-address-literal    = "IPv6:" IPv6-addr
/// General-address-literal = Standardized-tag ":" 1*dcontent
/// Standardized-tag        = Ldh-str
/// ```
fn check_literal(inner: &[u8]) -> Result<(), &'static str> {
    if inner[0].is_ascii_digit() {
        return parse_ipv4(inner)
            .map(|_| ())
            .ok_or("bad ipv4 address literal");
    }
    let Some(colon) = inner.iter().position(|&c| c == b':') else {
        return Err("address literal without a tag");
    };
    let (tag, content) = (&inner[..colon], &inner[colon + 1..]);
    if tag.eq_ignore_ascii_case(b"IPv6") {
        return parse_ipv6(content)
            .map(|_| ())
            .ok_or("bad ipv6 address literal");
    }
    let ldh = !tag.is_empty()
        && tag.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-')
        && tag[tag.len() - 1] != b'-';
    if !ldh || content.is_empty() {
        return Err("bad general address literal");
    }
    Ok(())
}

/// ```text
/// IPv4-address-literal = Snum 3("."  Snum)
/// Snum                 = 1*3DIGIT ; representing a decimal 0-255
/// ```
///
/// Leading zeros are allowed, as the grammar says.
fn parse_ipv4(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split(|&c| c == b'.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 3 || !p.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n = p.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
        *o = u8::try_from(n).ok()?;
    }
    parts.next().is_none().then_some(Ipv4Addr::from(octets))
}

/// `IPv6-addr` exactly as RFC 5321 4.1.3 writes it.
///
/// ```text
/// IPv6-addr   = IPv6-full / IPv6-comp / IPv6v4-full / IPv6v4-comp
/// IPv6-hex    = 1*4HEXDIG
/// IPv6-full   = IPv6-hex 7(":" IPv6-hex)
/// IPv6-comp   = [IPv6-hex *5(":" IPv6-hex)] "::"
///               [IPv6-hex *5(":" IPv6-hex)]
///               ; no more than 6 groups in addition to the "::"
/// IPv6v4-full = IPv6-hex 5(":" IPv6-hex) ":" IPv4-address-literal
/// IPv6v4-comp = [IPv6-hex *3(":" IPv6-hex)] "::"
///               [IPv6-hex *3(":" IPv6-hex) ":"]
///               IPv4-address-literal
///               ; no more than 4 groups in addition to the "::"
///               ; and IPv4-address-literal
/// ```
fn parse_ipv6(s: &[u8]) -> Option<Ipv6Addr> {
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut nh, mut nt) = (0usize, 0usize);
    let mut compressed = false;
    let mut v4 = None;
    let mut i = 0;
    if s.starts_with(b"::") {
        compressed = true;
        i = 2;
    }
    while i < s.len() {
        let start = i;
        while i < s.len() && i - start < 5 && s[i].is_ascii_hexdigit() {
            i += 1;
        }
        if i < s.len() && s[i] == b'.' {
            // The IPv4 part ends the address.
            v4 = Some(parse_ipv4(&s[start..])?);
            break;
        }
        if i == start || i - start > 4 || nh + nt == 8 {
            return None;
        }
        let g = s[start..i]
            .iter()
            .fold(0u16, |g, &c| (g << 4) | u16::from(hex_value(c)));
        if compressed {
            tail[nt] = g;
            nt += 1;
        } else {
            head[nh] = g;
            nh += 1;
        }
        if i == s.len() {
            break;
        }
        if s[i] != b':' {
            return None;
        }
        i += 1;
        if s.get(i) == Some(&b':') {
            if compressed {
                return None;
            }
            compressed = true;
            i += 1;
        } else if i == s.len() {
            return None;
        }
    }
    let explicit = nh + nt;
    let ok = match (compressed, v4.is_some()) {
        (false, false) => explicit == 8,
        (false, true) => explicit == 6,
        (true, false) => explicit <= 6,
        (true, true) => explicit <= 4,
    };
    if !ok {
        return None;
    }
    let mut g = [0u16; 8];
    g[..nh].copy_from_slice(&head[..nh]);
    let tail_end = if v4.is_some() { 6 } else { 8 };
    g[tail_end - nt..tail_end].copy_from_slice(&tail[..nt]);
    if let Some(a) = v4 {
        let o: Ipv4Addr = a;
        let o = o.octets();
        g[6] = u16::from_be_bytes([o[0], o[1]]);
        g[7] = u16::from_be_bytes([o[2], o[3]]);
    }
    Some(Ipv6Addr::from(g))
}

fn hex_value(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => c - b'A' + 10,
    }
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
    fn address_literals() {
        // (literal, ok): RFC 5321 4.1.3 exactly.
        let table: &[(&str, bool)] = &[
            ("[192.0.2.1]", true),
            ("[001.002.003.004]", true),
            ("[255.255.255.255]", true),
            ("[256.1.1.1]", false),
            ("[1.2.3]", false),
            ("[1.2.3.4.5]", false),
            ("[1.2.3.4444]", false),
            ("[IPv6:2001:db8:0:0:0:0:0:1]", true),
            ("[IPv6:2001:db8::1]", true),
            ("[ipv6:::1]", true),
            ("[IPv6::]", false),
            ("[IPv6:::]", true),
            ("[IPv6:1:2:3:4:5:6:7]", false),
            ("[IPv6:1:2:3:4:5:6:7:8:9]", false),
            ("[IPv6:1:2:3:4:5:6::]", true),
            // "::" stands for at least two groups here.
            ("[IPv6:1:2:3:4:5:6:7::]", false),
            ("[IPv6:1::2::3]", false),
            ("[IPv6:12345::1]", false),
            ("[IPv6:1:2:3:4:5:6:192.0.2.1]", true),
            ("[IPv6:::ffff:192.0.2.1]", true),
            ("[IPv6:1:2:3:4::192.0.2.1]", true),
            ("[IPv6:1:2:3:4:5::192.0.2.1]", false),
            ("[IPv6:1:2:3:4:5:192.0.2.1]", false),
            ("[IPv6:::1:]", false),
            ("[IPv6:g::1]", false),
            ("[x-tag:stuff]", true),
            // Ldh-str may start with "-"; it must end in Let-dig.
            ("[-tag:stuff]", true),
            ("[tag-:stuff]", false),
            ("[tag:]", false),
            ("[notag]", false),
        ];
        for &(lit, ok) in table {
            let got = Host::parse(lit);
            assert_eq!(got.is_ok(), ok, "{lit}: {got:?}");
        }
        assert_eq!(
            Host::parse("[IPv6:1:2:3:4::192.0.2.1]").unwrap(),
            Host::Ipv6("1:2:3:4::c000:201".parse().unwrap())
        );
        assert_eq!(
            Host::parse("[IPv6:1::]").unwrap(),
            Host::Ipv6("1::".parse().unwrap())
        );
        assert_eq!(
            Host::parse("[010.0.0.1]").unwrap(),
            Host::Ipv4(Ipv4Addr::new(10, 0, 0, 1))
        );
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
            // At-domain takes a Domain, not an address literal.
            ("<@[192.0.2.1]:a@b>", None),
            ("<@r1,r2:a@b>", None),
            ("<@r1:a@b", None),
            ("<a@b>x", Some(("<a@b>", 5))),
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
