//! ESMTP parameters of MAIL and RCPT.

use std::borrow::Cow;
use std::fmt;

use crate::chars::{self, KEYWORD, XCHAR};
use crate::command::Command;
use crate::error::{CommandError, clip};
use crate::path::{ForwardPath, ReversePath};

/// BODY= (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// `BODY=7BIT`
    SevenBit,
    /// `BODY=8BITMIME`
    EightBitMime,
    /// `BODY=BINARYMIME`
    BinaryMime,
}

/// RET= of DSN (RFC 3461).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `RET=FULL`
    Full,
    /// `RET=HDRS`
    Headers,
}

/// NOTIFY= of DSN (RFC 3461): `NEVER` or a set of conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Notify {
    /// SUCCESS
    pub success: bool,
    /// FAILURE
    pub failure: bool,
    /// DELAY
    pub delay: bool,
}

impl Notify {
    /// True for `NOTIFY=NEVER`.
    pub fn is_never(&self) -> bool {
        !(self.success || self.failure || self.delay)
    }
}

/// ORCPT= of DSN: `addr-type ";" xtext` (RFC 3461 4.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt<'a> {
    /// Address type, usually `rfc822` or `utf-8`.
    pub addr_type: Cow<'a, str>,
    /// The original recipient, still xtext-encoded.
    pub addr: Cow<'a, str>,
}

/// Parameters of `MAIL FROM`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct MailParams<'a> {
    /// SIZE= (RFC 1870).
    pub size: Option<u64>,
    /// BODY=.
    pub body: Option<Body>,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// RET= (RFC 3461).
    pub ret: Option<Ret>,
    /// ENVID= (RFC 3461), xtext as sent.
    pub envid: Option<Cow<'a, str>>,
    /// AUTH= (RFC 4954), xtext as sent (`<>` for unknown).
    pub auth: Option<Cow<'a, str>>,
    /// REQUIRETLS (RFC 8689).
    pub requiretls: bool,
}

/// Parameters of `RCPT TO`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RcptParams<'a> {
    /// NOTIFY= (RFC 3461).
    pub notify: Option<Notify>,
    /// ORCPT= (RFC 3461).
    pub orcpt: Option<Orcpt<'a>>,
}

fn own(c: Option<Cow<'_, str>>) -> Option<Cow<'static, str>> {
    c.map(|c| Cow::Owned(c.into_owned()))
}

impl MailParams<'_> {
    /// Detaches the parameters from the input they borrow.
    pub fn into_owned(self) -> MailParams<'static> {
        MailParams {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: own(self.envid),
            auth: own(self.auth),
            requiretls: self.requiretls,
        }
    }
}

impl RcptParams<'_> {
    /// Detaches the parameters from the input they borrow.
    pub fn into_owned(self) -> RcptParams<'static> {
        RcptParams {
            notify: self.notify,
            orcpt: self.orcpt.map(|o| Orcpt {
                addr_type: Cow::Owned(o.addr_type.into_owned()),
                addr: Cow::Owned(o.addr.into_owned()),
            }),
        }
    }
}

/// Splits `esmtp-param *(SP esmtp-param)` into keyword and value.
///
/// ```text
/// esmtp-param   = esmtp-keyword ["=" esmtp-value]
/// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
/// esmtp-value   = 1*(%d33-60 / %d62-126)
/// ```
///
/// Runs of spaces are tolerated between parameters. The value is
/// handed over unchecked: each known keyword checks its own value
/// against a stricter rule than esmtp-value (UTF-8 is accepted only
/// where that rule allows it), and an unknown keyword is refused.
struct Params<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Iterator for Params<'a> {
    type Item = Result<(&'a str, Option<&'a str>), CommandError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let (s, b) = (self.s, self.s.as_bytes());
        let mut i = self.i;
        while i < b.len() && b[i] == b' ' {
            i += 1;
        }
        if i == b.len() {
            return None;
        }
        let ks = i;
        while i < b.len() && chars::is(b[i], KEYWORD) {
            i += 1;
        }
        if i == ks || b[ks] == b'-' {
            return Some(Err(syntax("bad parameter keyword")));
        }
        // Keyword bytes are ASCII, so `i` is a character boundary.
        let k = &s[ks..i];
        let v = match b.get(i) {
            None | Some(b' ') => None,
            Some(b'=') => {
                i += 1;
                let vs = i;
                i = find_space(b, i);
                if i == vs {
                    return Some(Err(syntax("bad parameter value")));
                }
                Some(&s[vs..i])
            }
            Some(_) => return Some(Err(syntax("bad parameter keyword"))),
        };
        self.i = i;
        Some(Ok((k, v)))
    }
}

/// Splits `esmtp-param *(SP esmtp-param)` into keyword and value.
///
/// ```text
/// esmtp-param   = esmtp-keyword ["=" esmtp-value]
/// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
/// esmtp-value   = 1*(%d33-60 / %d62-126)
/// ```
///
/// Runs of spaces are tolerated between parameters. The value is
/// handed over unchecked: each known keyword checks its own value
/// against a stricter rule than esmtp-value (UTF-8 is accepted only
/// where that rule allows it), and an unknown keyword is refused.
#[inline(always)]
fn params(s: &str) -> Params<'_> {
    Params { s, i: 0 }
}

/// The offset of the first space in `b` from `i`, or `b.len()`;
/// eight bytes at a time.
#[inline(always)]
fn find_space(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(w) = b.get(i..i + 8) {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])
            ^ (ONES * u64::from(b' '));
        // The lowest set high bit marks the first zero byte of `x`.
        let zero = x.wrapping_sub(ONES) & !x & HIGH;
        if zero != 0 {
            return i + (zero.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] != b' ' {
        i += 1;
    }
    i
}

#[cold]
fn syntax(reason: &'static str) -> CommandError {
    CommandError::Syntax {
        command: "parameter",
        reason,
    }
}

/// `1*20DIGIT` as a number (RFC 1870 size-value, RFC 3030
/// chunk-size); `None` when not digits or too big for `u64`.
#[inline]
pub(crate) fn digits(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in v {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

#[cold]
fn bad(keyword: &'static str, reason: &'static str) -> CommandError {
    CommandError::BadParameter { keyword, reason }
}

#[cold]
fn unknown(k: &str) -> CommandError {
    CommandError::UnknownParameter {
        keyword: clip(k, 32),
    }
}

#[inline(always)]
fn set<T>(slot: &mut Option<T>, v: T, kw: &'static str) -> Result<(), CommandError> {
    if slot.is_some() {
        return Err(bad(kw, "given twice"));
    }
    *slot = Some(v);
    Ok(())
}

#[inline(always)]
fn flag(slot: &mut bool, v: Option<&str>, kw: &'static str) -> Result<(), CommandError> {
    if v.is_some() {
        return Err(bad(kw, "takes no value"));
    }
    if *slot {
        return Err(bad(kw, "given twice"));
    }
    *slot = true;
    Ok(())
}

fn need<'a>(v: Option<&'a str>, kw: &'static str) -> Result<&'a str, CommandError> {
    v.ok_or_else(|| bad(kw, "needs a value"))
}

/// ```text
/// xtext    = *( xchar / hexchar )
/// xchar    = any ASCII CHAR between "!" (33) and "~" (126) inclusive,
///            except for "+" and "="
/// hexchar  = ASCII "+" immediately followed by two upper case
///            hexadecimal digits
/// ```
#[inline]
fn check_xtext(v: &str, kw: &'static str) -> Result<(), CommandError> {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if chars::is(b[i], XCHAR) {
            i += 1;
        } else if b[i] == b'+'
            && i + 2 < b.len()
            && is_upper_hex(b[i + 1])
            && is_upper_hex(b[i + 2])
        {
            i += 3;
        } else {
            return Err(bad(kw, "bad xtext"));
        }
    }
    Ok(())
}

fn is_upper_hex(c: u8) -> bool {
    c.is_ascii_digit() || (b'A'..=b'F').contains(&c)
}

/// Decodes xtext (`"+" HEXDIG HEXDIG` escapes, RFC 3461 4); returns
/// `None` for malformed input.
pub fn xtext_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('+') {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Encodes text as xtext: `+`, `=`, controls, space and non-ASCII
/// bytes become `+XX`.
pub fn xtext_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if chars::is(b, XCHAR) && b < 0x80 {
            out.push(b as char);
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// Four keyword characters as one number, lower-cased (keyword
/// characters other than letters already have the 0x20 bit).
#[inline(always)]
fn key4(k: &[u8]) -> u32 {
    u32::from_le_bytes([k[0], k[1], k[2], k[3]]) | 0x2020_2020
}

const fn lit4(k: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*k) | 0x2020_2020
}

/// Parses MAIL parameters (RFC 5321 `Mail-parameters`) with the
/// extensions listed on [`MailParams`]; anything else is
/// [`CommandError::UnknownParameter`] (reply 555).
///
/// ```text
/// size-param       = "SIZE=" 1*20DIGIT                     ; RFC 1870
/// body-param       = "BODY=" ( "7BIT" / "8BITMIME" / "BINARYMIME" )
///                                                 ; RFC 6152, RFC 3030
/// smtputf8-param   = "SMTPUTF8"                            ; RFC 6531
/// ret-param        = "RET=" ( "FULL" / "HDRS" )            ; RFC 3461
/// envid-param      = "ENVID=" xtext    ; at most 100 chars, RFC 3461
/// auth-param       = "AUTH=" ( xtext / "<>" )              ; RFC 4954
/// requiretls-param = "REQUIRETLS"                          ; RFC 8689
/// ```
#[cfg(test)]
pub(crate) fn parse_mail_params(s: &str) -> Result<MailParams<'_>, CommandError> {
    match mail_command(s, ReversePath::Null)? {
        Command::Mail { params, .. } => Ok(params),
        _ => unreachable!(),
    }
}

/// The MAIL command with `from` and the parameters in `s` (see
/// `parse_mail_params`); refuses a non-ASCII `from` without SMTPUTF8.
///
/// It builds the command itself, in one expression at the end: had
/// it returned the parameters for the caller to wrap, the compiler
/// would copy them through the stack, which stalls on the byte-sized
/// fields just written.
#[inline]
pub(crate) fn mail_command<'a>(
    s: &'a str,
    from: ReversePath<'a>,
) -> Result<Command<'a>, CommandError> {
    const SIZE: u32 = lit4(b"size");
    const BODY: u32 = lit4(b"body");
    const AUTH: u32 = lit4(b"auth");
    const SMTP: u32 = lit4(b"smtp");
    const ENVI: u32 = lit4(b"envi");
    const REQU: u32 = lit4(b"requ");
    // Fields live in locals until the end: the struct is written once.
    let (mut size, mut body, mut ret) = (None, None, None);
    let (mut envid, mut auth) = (None, None);
    let (mut smtputf8, mut requiretls) = (false, false);
    for kv in params(s) {
        let (k, v) = kv?;
        let kb = k.as_bytes();
        match (kb.len(), if kb.len() >= 4 { key4(kb) } else { 0 }) {
            (4, SIZE) => {
                let v = need(v, "SIZE")?;
                let n = digits(v.as_bytes()).ok_or_else(|| bad("SIZE", "not a number"))?;
                set(&mut size, n, "SIZE")?;
            }
            (4, BODY) => {
                let v = need(v, "BODY")?;
                let b = if v.eq_ignore_ascii_case("8BITMIME") {
                    Body::EightBitMime
                } else if v.eq_ignore_ascii_case("7BIT") {
                    Body::SevenBit
                } else if v.eq_ignore_ascii_case("BINARYMIME") {
                    Body::BinaryMime
                } else {
                    return Err(bad("BODY", "not 7BIT, 8BITMIME or BINARYMIME"));
                };
                set(&mut body, b, "BODY")?;
            }
            (4, AUTH) => {
                let v = need(v, "AUTH")?;
                if v != "<>" {
                    check_xtext(v, "AUTH")?;
                }
                set(&mut auth, Cow::Borrowed(v), "AUTH")?;
            }
            (8, SMTP) if kb[4..].eq_ignore_ascii_case(b"UTF8") => {
                flag(&mut smtputf8, v, "SMTPUTF8")?;
            }
            (5, ENVI) if kb[4] | 0x20 == b'd' => {
                let v = need(v, "ENVID")?;
                check_xtext(v, "ENVID")?;
                if v.len() > 100 {
                    return Err(bad("ENVID", "longer than 100 characters"));
                }
                set(&mut envid, Cow::Borrowed(v), "ENVID")?;
            }
            (10, REQU) if kb[4..].eq_ignore_ascii_case(b"IRETLS") => {
                flag(&mut requiretls, v, "REQUIRETLS")?;
            }
            (3, _) if kb.eq_ignore_ascii_case(b"RET") => {
                let v = need(v, "RET")?;
                let r = if v.eq_ignore_ascii_case("FULL") {
                    Ret::Full
                } else if v.eq_ignore_ascii_case("HDRS") {
                    Ret::Headers
                } else {
                    return Err(bad("RET", "not FULL or HDRS"));
                };
                set(&mut ret, r, "RET")?;
            }
            _ => return Err(unknown(k)),
        }
    }
    if !smtputf8 && !from.is_ascii() {
        return Err(utf8_needs_smtputf8(&from));
    }
    Ok(Command::Mail {
        from,
        params: MailParams {
            size,
            body,
            smtputf8,
            ret,
            envid,
            auth,
            requiretls,
        },
    })
}

#[cold]
fn utf8_needs_smtputf8(from: &ReversePath<'_>) -> CommandError {
    CommandError::Utf8NeedsSmtputf8 {
        address: clip(&from.to_string(), 300),
    }
}

/// Parses RCPT parameters: NOTIFY and ORCPT (RFC 3461).
///
/// ```text
/// notify-param = "NOTIFY=" ( "NEVER" / notify-list )
/// notify-list  = notify-item *( "," notify-item )
/// notify-item  = "SUCCESS" / "FAILURE" / "DELAY"
/// orcpt-param  = "ORCPT=" addr-type ";" xtext
/// addr-type    = atom
/// ```
#[cfg(test)]
pub(crate) fn parse_rcpt_params(s: &str) -> Result<RcptParams<'_>, CommandError> {
    match rcpt_command(s, ForwardPath::Postmaster)? {
        Command::Rcpt { params, .. } => Ok(params),
        _ => unreachable!(),
    }
}

/// The RCPT command with `to` and the parameters in `s` (see
/// `parse_rcpt_params`), built in place like [`mail_command`].
#[inline]
pub(crate) fn rcpt_command<'a>(
    s: &'a str,
    to: ForwardPath<'a>,
) -> Result<Command<'a>, CommandError> {
    let (mut notify, mut orcpt) = (None, None);
    for kv in params(s) {
        let (k, v) = kv?;
        if k.eq_ignore_ascii_case("NOTIFY") {
            let v = need(v, "NOTIFY")?;
            set(&mut notify, parse_notify(v.as_bytes())?, "NOTIFY")?;
        } else if k.eq_ignore_ascii_case("ORCPT") {
            let v = need(v, "ORCPT")?;
            let semi = v
                .bytes()
                .position(|c| c == b';')
                .ok_or_else(|| bad("ORCPT", "missing ';' after the address type"))?;
            // ';' is ASCII: both sides are whole characters.
            let (t, a) = (&v[..semi], &v[semi + 1..]);
            if t.is_empty() || !t.bytes().all(|b| chars::is(b, KEYWORD)) {
                return Err(bad("ORCPT", "bad address type"));
            }
            check_xtext(a, "ORCPT")?;
            let o = Orcpt {
                addr_type: Cow::Borrowed(t),
                addr: Cow::Borrowed(a),
            };
            set(&mut orcpt, o, "ORCPT")?;
        } else {
            return Err(unknown(k));
        }
    }
    Ok(Command::Rcpt {
        to,
        params: RcptParams { notify, orcpt },
    })
}

#[inline]
fn parse_notify(v: &[u8]) -> Result<Notify, CommandError> {
    let mut n = Notify::default();
    if v.eq_ignore_ascii_case(b"NEVER") {
        return Ok(n);
    }
    for w in v.split(|&c| c == b',') {
        let slot = match w.len() {
            7 if w.eq_ignore_ascii_case(b"SUCCESS") => &mut n.success,
            7 if w.eq_ignore_ascii_case(b"FAILURE") => &mut n.failure,
            5 if w.eq_ignore_ascii_case(b"DELAY") => &mut n.delay,
            _ => return Err(bad("NOTIFY", "not NEVER or SUCCESS, FAILURE, DELAY")),
        };
        *slot = true;
    }
    Ok(n)
}

impl fmt::Display for MailParams<'_> {
    /// Writes ` KEY=value` for each parameter set (leading space).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.size {
            write!(f, " SIZE={n}")?;
        }
        if let Some(b) = self.body {
            let s = match b {
                Body::SevenBit => "7BIT",
                Body::EightBitMime => "8BITMIME",
                Body::BinaryMime => "BINARYMIME",
            };
            write!(f, " BODY={s}")?;
        }
        if self.smtputf8 {
            f.write_str(" SMTPUTF8")?;
        }
        if let Some(r) = self.ret {
            let s = match r {
                Ret::Full => "FULL",
                Ret::Headers => "HDRS",
            };
            write!(f, " RET={s}")?;
        }
        if let Some(e) = &self.envid {
            write!(f, " ENVID={e}")?;
        }
        if let Some(a) = &self.auth {
            write!(f, " AUTH={a}")?;
        }
        if self.requiretls {
            f.write_str(" REQUIRETLS")?;
        }
        Ok(())
    }
}

impl fmt::Display for RcptParams<'_> {
    /// Writes ` KEY=value` for each parameter set (leading space).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.notify {
            if n.is_never() {
                f.write_str(" NOTIFY=NEVER")?;
            } else {
                let mut sep = " NOTIFY=";
                for (on, name) in [
                    (n.success, "SUCCESS"),
                    (n.failure, "FAILURE"),
                    (n.delay, "DELAY"),
                ] {
                    if on {
                        write!(f, "{sep}{name}")?;
                        sep = ",";
                    }
                }
            }
        }
        if let Some(o) = &self.orcpt {
            write!(f, " ORCPT={};{}", o.addr_type, o.addr)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_params_table() {
        let ok: &[(&str, MailParams<'_>)] = &[
            ("", MailParams::default()),
            (
                "SIZE=1000 BODY=8BITMIME",
                MailParams {
                    size: Some(1000),
                    body: Some(Body::EightBitMime),
                    ..Default::default()
                },
            ),
            (
                "smtputf8 requiretls ret=hdrs envid=QQ+2B1",
                MailParams {
                    smtputf8: true,
                    requiretls: true,
                    ret: Some(Ret::Headers),
                    envid: Some("QQ+2B1".into()),
                    ..Default::default()
                },
            ),
            (
                "AUTH=<>",
                MailParams {
                    auth: Some("<>".into()),
                    ..Default::default()
                },
            ),
        ];
        for (s, want) in ok {
            assert_eq!(&parse_mail_params(s).unwrap(), want, "{s}");
        }
        let bad: &[(&str, u16)] = &[
            ("SIZE=x", 501),
            ("SIZE=1 SIZE=2", 501),
            ("SIZE", 501),
            ("BODY=9BIT", 501),
            ("SMTPUTF8=yes", 501),
            ("FOO=bar", 555),
            ("X-UNKNOWN", 555),
            ("ENVID=a+zz", 501),
            ("-bad=1", 501),
            ("SIZE=", 501),
            ("SIZE=99999999999999999999999", 501),
        ];
        for (s, code) in bad {
            let e = parse_mail_params(s).unwrap_err();
            assert_eq!(e.reply().code(), *code, "{s}: {e}");
        }
    }

    #[test]
    fn rcpt_params_table() {
        let p = parse_rcpt_params("NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+2Bb@x").unwrap();
        assert_eq!(
            p.notify,
            Some(Notify {
                success: true,
                failure: false,
                delay: true
            })
        );
        assert_eq!(p.orcpt.as_ref().unwrap().addr, "a+2Bb@x");
        assert!(
            parse_rcpt_params("NOTIFY=NEVER")
                .unwrap()
                .notify
                .unwrap()
                .is_never()
        );
        for (s, code) in [("NOTIFY=SOMETIMES", 501), ("ORCPT=x", 501), ("SIZE=1", 555)] {
            assert_eq!(
                parse_rcpt_params(s).unwrap_err().reply().code(),
                code,
                "{s}"
            );
        }
    }

    #[test]
    fn space_search() {
        for s in [
            "",
            " ",
            "a",
            "abcdefgh",
            "abcdefgh ",
            "abcdefghijklmnop q",
            "ab cd",
            "\u{e9}\u{e9}\u{e9}\u{e9} x",
        ] {
            let b = s.as_bytes();
            for i in 0..=b.len() {
                let want = b[i..]
                    .iter()
                    .position(|&c| c == b' ')
                    .map_or(b.len(), |p| i + p);
                assert_eq!(find_space(b, i), want, "{s:?} from {i}");
            }
        }
    }

    #[test]
    fn xtext() {
        assert_eq!(xtext_decode("a+2Bb").unwrap(), "a+b");
        assert_eq!(xtext_decode("plain").unwrap(), "plain");
        assert!(xtext_decode("a+2").is_none());
        assert_eq!(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
        assert_eq!(xtext_decode(&xtext_encode("é+=")).unwrap(), "é+=");
    }
}
