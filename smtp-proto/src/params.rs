//! ESMTP parameters of MAIL and RCPT.

use std::borrow::Cow;
use std::fmt;

use crate::chars::{self, ESMTP_VALUE, XCHAR};
use crate::error::{CommandError, clip};

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
/// UTF-8 is accepted in values (RFC 6531); runs of spaces are
/// tolerated between parameters.
fn each_param<'a>(
    s: &'a str,
    mut f: impl FnMut(&'a str, Option<&'a str>) -> Result<(), CommandError>,
) -> Result<(), CommandError> {
    for p in s.split(' ').filter(|p| !p.is_empty()) {
        let (k, v) = match p.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (p, None),
        };
        let kb = k.as_bytes();
        let kw_ok = !kb.is_empty()
            && kb[0].is_ascii_alphanumeric()
            && kb.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-');
        if !kw_ok {
            return Err(CommandError::Syntax {
                command: "parameter",
                reason: "bad parameter keyword",
            });
        }
        if let Some(v) = v
            && (v.is_empty() || !v.bytes().all(|b| chars::is(b, ESMTP_VALUE)))
        {
            return Err(CommandError::Syntax {
                command: "parameter",
                reason: "bad parameter value",
            });
        }
        f(k, v)?;
    }
    Ok(())
}

fn bad(keyword: &'static str, reason: &'static str) -> CommandError {
    CommandError::BadParameter { keyword, reason }
}

fn unknown(k: &str) -> CommandError {
    CommandError::UnknownParameter {
        keyword: clip(k, 32),
    }
}

fn set<T>(slot: &mut Option<T>, v: T, kw: &'static str) -> Result<(), CommandError> {
    if slot.is_some() {
        return Err(bad(kw, "given twice"));
    }
    *slot = Some(v);
    Ok(())
}

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

fn check_xtext(v: &str, kw: &'static str) -> Result<(), CommandError> {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'+' {
            let hex = |c: u8| c.is_ascii_digit() || (b'A'..=b'F').contains(&c);
            if !(b.get(i + 1).is_some_and(|&c| hex(c)) && b.get(i + 2).is_some_and(|&c| hex(c))) {
                return Err(bad(kw, "bad xtext"));
            }
            i += 3;
        } else if chars::is(b[i], XCHAR) {
            i += 1;
        } else {
            return Err(bad(kw, "bad xtext"));
        }
    }
    Ok(())
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

/// Parses MAIL parameters (RFC 5321 `Mail-parameters`) with the
/// extensions listed on [`MailParams`]; anything else is
/// [`CommandError::UnknownParameter`] (reply 555).
pub(crate) fn parse_mail_params(s: &str) -> Result<MailParams<'_>, CommandError> {
    let mut p = MailParams::default();
    each_param(s, |k, v| {
        if k.eq_ignore_ascii_case("SIZE") {
            let v = need(v, "SIZE")?;
            let n = v
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| v.parse::<u64>().ok())
                .flatten()
                .ok_or_else(|| bad("SIZE", "not a number"))?;
            set(&mut p.size, n, "SIZE")
        } else if k.eq_ignore_ascii_case("BODY") {
            let v = need(v, "BODY")?;
            let b = if v.eq_ignore_ascii_case("7BIT") {
                Body::SevenBit
            } else if v.eq_ignore_ascii_case("8BITMIME") {
                Body::EightBitMime
            } else if v.eq_ignore_ascii_case("BINARYMIME") {
                Body::BinaryMime
            } else {
                return Err(bad("BODY", "not 7BIT, 8BITMIME or BINARYMIME"));
            };
            set(&mut p.body, b, "BODY")
        } else if k.eq_ignore_ascii_case("SMTPUTF8") {
            flag(&mut p.smtputf8, v, "SMTPUTF8")
        } else if k.eq_ignore_ascii_case("REQUIRETLS") {
            flag(&mut p.requiretls, v, "REQUIRETLS")
        } else if k.eq_ignore_ascii_case("RET") {
            let v = need(v, "RET")?;
            let r = if v.eq_ignore_ascii_case("FULL") {
                Ret::Full
            } else if v.eq_ignore_ascii_case("HDRS") {
                Ret::Headers
            } else {
                return Err(bad("RET", "not FULL or HDRS"));
            };
            set(&mut p.ret, r, "RET")
        } else if k.eq_ignore_ascii_case("ENVID") {
            let v = need(v, "ENVID")?;
            check_xtext(v, "ENVID")?;
            if v.len() > 100 {
                return Err(bad("ENVID", "longer than 100 characters"));
            }
            set(&mut p.envid, Cow::Borrowed(v), "ENVID")
        } else if k.eq_ignore_ascii_case("AUTH") {
            let v = need(v, "AUTH")?;
            if v != "<>" {
                check_xtext(v, "AUTH")?;
            }
            set(&mut p.auth, Cow::Borrowed(v), "AUTH")
        } else {
            Err(unknown(k))
        }
    })?;
    Ok(p)
}

/// Parses RCPT parameters: NOTIFY and ORCPT (RFC 3461).
pub(crate) fn parse_rcpt_params(s: &str) -> Result<RcptParams<'_>, CommandError> {
    let mut p = RcptParams::default();
    each_param(s, |k, v| {
        if k.eq_ignore_ascii_case("NOTIFY") {
            let v = need(v, "NOTIFY")?;
            let mut n = Notify::default();
            if !v.eq_ignore_ascii_case("NEVER") {
                for w in v.split(',') {
                    let slot = if w.eq_ignore_ascii_case("SUCCESS") {
                        &mut n.success
                    } else if w.eq_ignore_ascii_case("FAILURE") {
                        &mut n.failure
                    } else if w.eq_ignore_ascii_case("DELAY") {
                        &mut n.delay
                    } else {
                        return Err(bad("NOTIFY", "not NEVER or SUCCESS, FAILURE, DELAY"));
                    };
                    *slot = true;
                }
            }
            set(&mut p.notify, n, "NOTIFY")
        } else if k.eq_ignore_ascii_case("ORCPT") {
            let v = need(v, "ORCPT")?;
            let (t, a) = v
                .split_once(';')
                .ok_or_else(|| bad("ORCPT", "missing ';' after the address type"))?;
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                return Err(bad("ORCPT", "bad address type"));
            }
            check_xtext(a, "ORCPT")?;
            let o = Orcpt {
                addr_type: Cow::Borrowed(t),
                addr: Cow::Borrowed(a),
            };
            set(&mut p.orcpt, o, "ORCPT")
        } else {
            Err(unknown(k))
        }
    })?;
    Ok(p)
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
    fn xtext() {
        assert_eq!(xtext_decode("a+2Bb").unwrap(), "a+b");
        assert_eq!(xtext_decode("plain").unwrap(), "plain");
        assert!(xtext_decode("a+2").is_none());
        assert_eq!(xtext_encode("a+b=c d"), "a+2Bb+3Dc+20d");
        assert_eq!(xtext_decode(&xtext_encode("é+=")).unwrap(), "é+=");
    }
}
