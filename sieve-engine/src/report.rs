//! A run's outcome as text: one normalized line per action, the same
//! lines `sieve-oracle.sh` prints for Pigeonhole's `sieve-test`, so the
//! two can be compared line by line.

use crate::runtime::{Action, Outcome, Performed};

/// Longest reject reason Pigeonhole prints; longer ones end in `...`.
const REJECT_MAX: usize = 128;

/// The outcome as normalized lines: `keep`, `fileinto BOX`, `redirect
/// ADDR`, `reject REASON`, `discard`, `vacation ...`, `notify ...`, with
/// `[copy]` and `[flags: ...]` modifiers, or `error runtime` when the run
/// failed (the fallback implicit keep is then not printed).
pub fn oracle_lines(outcome: &Outcome) -> Vec<String> {
    if outcome.error.is_some() {
        return vec!["error runtime".into()];
    }
    outcome.actions.iter().map(oracle_line).collect()
}

/// One action as a normalized line (see [`oracle_lines`]).
pub fn oracle_line(p: &Performed) -> String {
    let mods = |mut s: String, flags: &[String]| {
        if p.copy {
            s.push_str(" [copy]");
        }
        if !flags.is_empty() {
            s.push_str(&format!(" [flags: {}]", flags.join(" ")));
        }
        s
    };
    match &p.action {
        Action::Keep { flags } => mods("keep".into(), flags),
        Action::FileInto { mailbox, flags, .. } => mods(format!("fileinto {mailbox}"), flags),
        Action::Redirect { address } => mods(format!("redirect {address}"), &[]),
        Action::Reject { reason, .. } => format!("reject {}", sanitize_reason(reason)),
        Action::Discard => "discard".into(),
        Action::Vacation(v) => {
            let mut s = format!("vacation seconds={}", v.period_seconds);
            if let Some(subject) = &v.subject {
                s.push_str(&format!(" subject={subject}"));
            }
            if let Some(from) = &v.from {
                s.push_str(&format!(" from={from}"));
            }
            // Pigeonhole prints the reply text with bare line feeds.
            let body = v
                .reason
                .replace("\r\n", "\n")
                .replace('\\', "\\\\")
                .replace('\n', "\\n");
            s.push_str(&format!(" body={body}"));
            s
        }
        Action::Notify(n) => {
            let uri = Mailto::parse(&n.method);
            let scheme = n.method.split(':').next().unwrap_or_default();
            let mut s = format!("notify method={scheme}: importance={}", n.importance);
            if let Some(subject) = n.message.as_ref().or(uri.subject.as_ref()) {
                s.push_str(&format!(" subject={subject}"));
            }
            if let Some(from) = &n.from {
                s.push_str(&format!(" from={from}"));
            }
            if !uri.to.is_empty() {
                s.push_str(&format!(" to={}", uri.to.join(",")));
            }
            if !uri.cc.is_empty() {
                s.push_str(&format!(" cc={}", uri.cc.join(",")));
            }
            s
        }
    }
}

/// Pigeonhole's reject reason as printed: control characters become
/// `?`, and a reason over 128 characters is cut to 125 plus `...`.
fn sanitize_reason(reason: &str) -> String {
    let clean: String = reason
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if clean.chars().count() <= REJECT_MAX {
        return clean;
    }
    let mut cut: String = clean.chars().take(REJECT_MAX - 3).collect();
    cut.push_str("...");
    cut
}

/// The parts of a `mailto:` URI (RFC 6068) a notification needs.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Mailto {
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: Option<String>,
}

impl Mailto {
    pub(crate) fn parse(uri: &str) -> Mailto {
        let mut m = Mailto::default();
        let Some(rest) = uri
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("mailto:"))
            .map(|_| &uri[7..])
        else {
            return m;
        };
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        // An encoded comma (%2C) separates addresses too.
        m.to.extend(
            percent_decode(path)
                .split(',')
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty()),
        );
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v);
            match k.to_ascii_lowercase().as_str() {
                "to" => m.to.extend(v.split(',').map(|s| s.trim().to_string())),
                "cc" => m.cc.extend(v.split(',').map(|s| s.trim().to_string())),
                "subject" => m.subject = Some(v),
                _ => {}
            }
        }
        m
    }
}

/// Checks a notification method URI: `mailto:` (RFC 6068) is the only
/// method; its recipients must be addresses and its header names valid.
/// The error says what is wrong.
pub(crate) fn check_notify_uri(uri: &str) -> Result<(), String> {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return Err(format!("invalid notify method URI {uri:?}"));
    };
    if !scheme.eq_ignore_ascii_case("mailto") {
        return Err(format!("unsupported notify method {scheme:?}"));
    }
    let bad = |what: &str| Err(format!("invalid mailto URI {uri:?}: {what}"));
    // RFC 6068 2: unreserved / pct-encoded / some-delims, less the ones
    // that separate the parts.
    let qchar = |c: char, extra: &str| {
        c.is_ascii_alphanumeric() || "-._~%!$'()*+,:@".contains(c) || extra.contains(c)
    };
    let (to, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !to.chars().all(|c| qchar(c, "")) || !valid_pct(to) {
        return bad("invalid character in the recipient part");
    }
    let recipients = |list: &str| -> bool {
        percent_decode(list)
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .all(|a| crate::strings::parse_mailbox(a).is_some())
    };
    if !recipients(to) {
        return bad("invalid recipient");
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if !k.chars().all(|c| qchar(c, "")) || !v.chars().all(|c| qchar(c, "=/?")) {
            return bad("invalid character in a header field");
        }
        if !valid_pct(k) || !valid_pct(v) {
            return bad("invalid percent encoding");
        }
        let name = percent_decode(k);
        if !crate::strings::valid_header_name(&name) {
            return bad("invalid header field name");
        }
        if matches!(name.to_ascii_lowercase().as_str(), "to" | "cc" | "bcc") && !recipients(v) {
            return bad("invalid recipient in a header field");
        }
    }
    Ok(())
}

fn valid_pct(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            if !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    true
}

/// A notify `:options` item: `name=value` (RFC 5435 3.7).
pub(crate) fn check_notify_option(o: &str) -> Result<(), String> {
    let Some((name, value)) = o.split_once('=') else {
        return Err(format!("invalid notify option {o:?}: no '='"));
    };
    let mut c = name.chars();
    let ok_name = c.next().is_some_and(|c| c.is_ascii_alphabetic())
        && c.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !ok_name {
        return Err(format!("invalid notify option name {name:?}"));
    }
    if value.contains(['\r', '\n']) {
        return Err(format!("invalid value for notify option {name:?}"));
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_sanitized_like_pigeonhole() {
        assert_eq!(sanitize_reason("a\r\nb"), "a??b");
        let long = "x".repeat(200);
        let s = sanitize_reason(&long);
        assert_eq!(s.len(), 128);
        assert!(s.ends_with("..."));
    }

    #[test]
    fn mailto_parts() {
        let m = Mailto::parse("mailto:a@example.com?subject=Hi%20there&cc=b@example.com");
        assert_eq!(m.to, ["a@example.com"]);
        assert_eq!(m.cc, ["b@example.com"]);
        assert_eq!(m.subject.as_deref(), Some("Hi there"));
        assert_eq!(Mailto::parse("xmpp:a@b"), Mailto::default());
    }
}
