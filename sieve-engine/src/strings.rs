//! Small string helpers: encoded-character, variable names, addresses,
//! header names and time zones.

/// Date parts of RFC 5260 section 4.
pub(crate) const DATE_PARTS: &[&str] = &[
    "year", "month", "day", "date", "julian", "hour", "minute", "second", "time", "iso8601",
    "std11", "zone", "weekday",
];

/// Replaces `${hex:..}` and `${unicode:..}` (RFC 5228 section 2.4.2.4).
/// Malformed sequences stay as written, as the RFC asks.
///
/// ```text
/// encoded-arb-octets   = "${hex:" hex-pair-seq "}"
/// encoded-unicode-char = "${unicode:" unicode-hex-seq "}"
/// ```
pub(crate) fn decode_encoded_characters(s: &str) -> Result<String, String> {
    if !s.contains("${") {
        return Ok(s.to_string());
    }
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            let rest = &s[i + 2..];
            let lower: String = rest
                .chars()
                .take(8)
                .collect::<String>()
                .to_ascii_lowercase();
            let kind = if lower.starts_with("hex:") {
                Some((4, true))
            } else if lower.starts_with("unicode:") {
                Some((8, false))
            } else {
                None
            };
            if let Some((skip, hex)) = kind
                && let Some(end) = rest.find('}')
            {
                let body = &rest[skip..end];
                if let Some(bytes) = decode_hex_body(body, hex)? {
                    out.extend_from_slice(&bytes);
                    i += 2 + end + 1;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    // Octets that are no UTF-8 become U+FFFD; a mailbox name or other
    // value that must be UTF-8 is then refused where it is used.
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn decode_hex_body(body: &str, hex: bool) -> Result<Option<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut any = false;
    for word in body
        .split([' ', '\t', '\r', '\n'])
        .filter(|w| !w.is_empty())
    {
        if !word.bytes().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        any = true;
        if hex {
            if word.len() % 2 != 0 {
                return Ok(None);
            }
            for k in (0..word.len()).step_by(2) {
                out.push(u8::from_str_radix(&word[k..k + 2], 16).map_err(|e| e.to_string())?);
            }
        } else {
            let digits = word.trim_start_matches('0');
            let cp = if digits.is_empty() {
                Some(0)
            } else {
                u32::from_str_radix(digits, 16).ok()
            };
            match cp.and_then(char::from_u32) {
                Some(c) => {
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                None => {
                    return Err(format!(
                        "invalid unicode character {word:?} in encoded-character"
                    ));
                }
            }
        }
    }
    // RFC 5228 2.4.2.4: at least one hex pair or code point.
    Ok(if any { Some(out) } else { None })
}

/// `identifier *("." identifier)` (RFC 5229 variable-name).
pub(crate) fn valid_variable_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_identifier)
}

/// `identifier = (ALPHA / "_") *(ALPHA / DIGIT / "_")`.
pub(crate) fn is_identifier(p: &str) -> bool {
    let mut c = p.bytes();
    matches!(c.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && c.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Longest variable name (Pigeonhole's limit).
pub(crate) const MAX_VARIABLE_NAME: usize = 64;
/// Highest match variable index (`${32}`).
pub(crate) const MAX_MATCH_INDEX: usize = 32;

/// What a variable name refers to (RFC 5229 3, RFC 6609 3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum VarRef {
    /// A variable of the current script (lowercased name).
    Local(String),
    /// `global.NAME`: the global namespace of include (lowercased NAME).
    Global(String),
    /// `${N}`: a match variable.
    Match(usize),
}

/// Classifies a variable name; `global` tells whether the `global`
/// namespace exists (include is required). The error says what is wrong.
pub(crate) fn var_ref(name: &str, global: bool) -> Result<VarRef, String> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
        let n: usize = name.trim_start_matches('0').parse().unwrap_or(usize::MAX);
        let n = if name.bytes().all(|b| b == b'0') {
            0
        } else {
            n
        };
        if n > MAX_MATCH_INDEX {
            return Err(format!(
                "match value index {name} exceeds the maximum of {MAX_MATCH_INDEX}"
            ));
        }
        return Ok(VarRef::Match(n));
    }
    if !name.split('.').all(is_identifier) {
        return Err(format!("invalid variable name {name:?}"));
    }
    let mut parts = name.split('.');
    let first = parts.next().unwrap_or_default();
    let Some(second) = parts.next() else {
        if name.len() > MAX_VARIABLE_NAME {
            return Err(format!(
                "variable name {name:?} is longer than {MAX_VARIABLE_NAME} characters"
            ));
        }
        return Ok(VarRef::Local(name.to_ascii_lowercase()));
    };
    if global && first.eq_ignore_ascii_case("global") {
        if parts.next().is_none() && second.len() <= MAX_VARIABLE_NAME {
            return Ok(VarRef::Global(second.to_ascii_lowercase()));
        }
        return Err(format!(
            "invalid variable name {name:?} in the global namespace"
        ));
    }
    Err(format!("unknown variable namespace {first:?} in {name:?}"))
}

/// The names inside `${...}` in a string that have the form of a
/// variable reference (RFC 5229 3): identifiers with dots, or digits.
pub(crate) fn var_refs(s: &str) -> impl Iterator<Item = &str> {
    let mut rest = s;
    std::iter::from_fn(move || {
        while let Some(i) = rest.find("${") {
            let after = &rest[i + 2..];
            let e = after.find('}')?;
            let n = &after[..e];
            let shaped =
                (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) || valid_variable_name(n);
            if shaped {
                rest = &after[e + 1..];
                return Some(n);
            }
            rest = after;
        }
        None
    })
}

/// A special-use flag (RFC 6154 2): a backslash and an atom.
pub(crate) fn valid_special_use(s: &str) -> bool {
    s.strip_prefix('\\').is_some_and(|a| {
        !a.is_empty()
            && a.bytes()
                .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b))
    })
}

/// Header fields that hold addresses, for the address test (RFC 5228
/// 5.1 requires the first seven; the others are in common use).
pub(crate) fn is_address_header(name: &str) -> bool {
    const ALLOWED: &[&str] = &[
        "from",
        "to",
        "cc",
        "bcc",
        "sender",
        "resent-from",
        "resent-to",
        "reply-to",
        "resent-reply-to",
        "resent-sender",
        "resent-cc",
        "resent-bcc",
        "for-approval",
        "for-handling",
        "for-comment",
        "apparently-to",
        "errors-to",
        "delivered-to",
        "return-receipt-to",
        "x-admin",
        "read-receipt-to",
        "x-confirm-reading-to",
        "return-receipt-requested",
        "registered-mail-reply-requested-by",
        "mail-followup-to",
        "mail-reply-to",
        "abuse-reports-to",
        "x-complaints-to",
        "x-report-abuse-to",
        "x-beenthere",
        "original-from",
        "original-sender",
        "original-recipient",
        "original-to",
        "disposition-notification-to",
        "x-original-to",
        "envelope-to",
        "return-path",
    ];
    ALLOWED.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// RFC 5322 field-name: printable ASCII except colon.
pub(crate) fn valid_header_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 997 && s.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// Why addheader may not add this value (RFC 5293 4): a NUL or another
/// control character (tab and line breaks aside: those fold), or a
/// field over `max` bytes.
pub(crate) fn header_value_problem(name: &str, value: &str, max: usize) -> Option<String> {
    if value.contains('\0') {
        return Some(format!(
            "specified value {value:?} for field {name:?} is invalid"
        ));
    }
    // RFC 5322 unstructured text: no control characters besides tab and
    // the line breaks that become folding (as Pigeonhole checks).
    if value
        .chars()
        .any(|c| c < ' ' && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Some(format!(
            "specified value {value:?} for field {name:?} is invalid (control character)"
        ));
    }
    if name.len() + 2 + value.len() > max {
        return Some(format!(
            "specified header field {name:?} is too large (more than {max} bytes)"
        ));
    }
    None
}

/// A value as a header field body: line breaks become folding.
pub(crate) fn fold_header_value(value: &str) -> String {
    if !value.contains(['\r', '\n']) {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 8);
    for (i, line) in value.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if i > 0 {
            out.push_str("\r\n");
            if !line.starts_with([' ', '\t']) {
                out.push(' ');
            }
        }
        out.push_str(line);
    }
    out
}

/// A loose check of an RFC 5321 mailbox for redirect: `local@domain`
/// with no white space or angle brackets.
pub(crate) fn valid_address(s: &str) -> bool {
    parse_mailbox(s).is_some()
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|a| !a.is_empty() && a.chars().all(is_atext))
}

/// An RFC 5322 mailbox (`local@domain`, optionally `Name <local@domain>`,
/// with folding white space around the parts) as `local@domain`. A
/// quoted local part that needs no quotes loses them. `None` when the
/// text is not a single valid address.
pub(crate) fn parse_mailbox(s: &str) -> Option<String> {
    let s = s.trim();
    let spec = match s.rfind('<') {
        Some(i) => {
            let rest = s[i + 1..].trim_end();
            let inner = rest.strip_suffix('>')?;
            let phrase = &s[..i];
            if phrase.contains(['<', '>', '@', ',', ';']) && !phrase.trim_start().starts_with('"') {
                return None;
            }
            inner
        }
        None if s.contains('>') => return None,
        None => s,
    };
    // Split at the last @ outside a quoted string.
    let mut in_q = false;
    let mut esc = false;
    let mut at = None;
    for (i, c) in spec.char_indices() {
        if esc {
            esc = false;
            continue;
        }
        match c {
            '\\' if in_q => esc = true,
            '"' => in_q = !in_q,
            '@' if !in_q => at = Some(i),
            _ => {}
        }
    }
    if in_q {
        return None;
    }
    let at = at?;
    let local = spec[..at].trim();
    let domain = spec[at + 1..].trim();
    let local = if let Some(q) = local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        let mut unq = String::new();
        let mut esc = false;
        for c in q.chars() {
            if esc {
                unq.push(c);
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' || c == '\r' || c == '\n' {
                return None;
            } else {
                unq.push(c);
            }
        }
        if is_dot_atom(&unq) {
            unq
        } else {
            format!("\"{q}\"")
        }
    } else if !local.is_empty()
        && local
            .chars()
            .all(|c| c == '.' || (c.is_ascii() && is_atext(c)))
    {
        // Dots anywhere, as the local parts some Japanese providers
        // hand out; no UTF-8 (a plain SMTP server cannot take it). SMTP
        // needs such a local part quoted.
        if is_dot_atom(local) {
            local.to_string()
        } else {
            format!("\"{local}\"")
        }
    } else {
        return None;
    };
    let domain_ok = is_dot_atom(domain)
        || (domain.starts_with('[')
            && domain.ends_with(']')
            && !domain[1..domain.len() - 1].contains(['[', ']', '\\']));
    if !domain_ok {
        return None;
    }
    Some(format!("{local}@{domain}"))
}

/// An SMTP path (RFC 5321 4.1.2) as given in MAIL FROM / RCPT TO, with
/// or without angle brackets and with an optional source route, as the
/// bare address (`""` for the null path `<>`). A local part alone is
/// accepted (`MAILER-DAEMON`). `None` when the path is malformed.
pub(crate) fn parse_path(s: &str) -> Option<String> {
    let s = s.trim();
    let inner = match s.strip_prefix('<') {
        Some(rest) => rest.strip_suffix('>')?,
        None => s,
    };
    if inner.contains(['<', '>']) || inner.chars().any(char::is_whitespace) {
        return None;
    }
    let valid_domain = |d: &str| {
        (d.starts_with('[') && d.ends_with(']') && d.len() > 2)
            || (!d.is_empty()
                && d.split('.').all(|l| {
                    !l.is_empty()
                        && l.chars()
                            .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
                }))
    };
    // Leading, trailing and repeated dots are tolerated, as Pigeonhole
    // does for the local parts some Japanese providers hand out.
    let valid_local = |l: &str| {
        (!l.is_empty() && l.chars().all(|c| c == '.' || is_atext(c)))
            || (l.len() >= 2 && l.starts_with('"') && l.ends_with('"'))
    };
    let mailbox = if inner.starts_with('@') {
        let (route, mailbox) = inner.split_once(':')?;
        for hop in route.split(',') {
            if !valid_domain(hop.strip_prefix('@')?) {
                return None;
            }
        }
        mailbox
    } else {
        inner
    };
    if mailbox.is_empty() {
        return (inner.is_empty()).then(String::new);
    }
    match mailbox.rsplit_once('@') {
        None => valid_local(mailbox).then(|| mailbox.to_string()),
        Some((local, domain)) => {
            (valid_local(local) && valid_domain(domain)).then(|| mailbox.to_string())
        }
    }
}

/// The text of an HTML document: tags and comments dropped, the common
/// entities decoded, runs of white space collapsed (for extracttext).
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        let after = &rest[i..];
        let end = if after.starts_with("<!--") {
            after.find("-->").map(|e| e + 3)
        } else {
            after.find('>').map(|e| e + 1)
        };
        rest = match end {
            Some(e) => &after[e..],
            None => "",
        };
    }
    out.push_str(rest);
    let out = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `zone = ("+" / "-") 4DIGIT`, into minutes east of UTC.
pub(crate) fn parse_zone(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 5 || !b[1..].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let h: i32 = s[1..3].parse().ok()?;
    let m: i32 = s[3..5].parse().ok()?;
    if m > 59 {
        return None;
    }
    match b[0] {
        b'+' => Some(h * 60 + m),
        b'-' => Some(-(h * 60 + m)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_character_table() {
        let cases = [
            ("${hex:41 42}", "AB"),
            ("x${HEX: 24 }y", "x$y"),
            ("${unicode:48 65 006c}", "Hel"),
            ("${hex:4}", "${hex:4}"),
            ("${hex:zz}", "${hex:zz}"),
            ("$${hex:40}", "$@"),
            ("${other:41}", "${other:41}"),
        ];
        for (i, o) in cases {
            assert_eq!(decode_encoded_characters(i).unwrap(), o, "{i}");
        }
        assert!(decode_encoded_characters("${unicode:D800}").is_err());
    }

    #[test]
    fn helpers() {
        assert!(valid_variable_name("a.b_1"));
        assert!(!valid_variable_name("1a"));
        assert!(valid_address("a@b.c"));
        assert!(!valid_address("a b@c"));
        assert_eq!(parse_zone("-0130"), Some(-90));
        assert_eq!(parse_zone("0100"), None);
    }
}
