//! Modified UTF-7 for mailbox names (RFC 3501 section 5.1.3).

use std::borrow::Cow;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn b64_value(c: u8) -> Option<u32> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b',' => 63,
        _ => return None,
    } as u32)
}

/// Encodes a mailbox name to modified UTF-7, borrowing when the name is
/// printable ASCII without `&`.
///
/// ```
/// use rampart_imap_proto::utf7;
/// assert_eq!(utf7::encode("Entwürfe"), "Entw&APw-rfe");
/// assert_eq!(utf7::encode("A&B"), "A&-B");
/// assert_eq!(utf7::encode("INBOX"), "INBOX");
/// ```
pub fn encode(name: &str) -> Cow<'_, str> {
    if name.bytes().all(|c| (0x20..0x7f).contains(&c) && c != b'&') {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    let mut units: Vec<u16> = Vec::new();
    for ch in name.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut out, &mut units);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut units);
    Cow::Owned(out)
}

fn flush(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    for chunk in bytes.chunks(3) {
        let n = chunk.len();
        let v = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..=n {
            out.push(B64[((v >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out.push('-');
    units.clear();
}

/// Decodes a modified UTF-7 mailbox name, borrowing when it has no `&`.
///
/// # Errors
///
/// Returns the offending name when it holds a byte outside printable
/// ASCII, an unterminated or malformed shift sequence, a shifted
/// printable ASCII character, or an unpaired surrogate.
///
/// ```
/// use rampart_imap_proto::utf7;
/// assert_eq!(utf7::decode("Entw&APw-rfe").unwrap(), "Entwürfe");
/// assert!(utf7::decode("&Jjo!").is_err());
/// ```
pub fn decode(name: &str) -> Result<Cow<'_, str>, String> {
    let bad = || name.to_string();
    if !name.bytes().all(|c| (0x20..0x7f).contains(&c)) {
        return Err(bad());
    }
    if !name.contains('&') {
        return Ok(Cow::Borrowed(name));
    }
    let b = name.as_bytes();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'&' {
            out.push(b[i] as char);
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < b.len() && b[i] != b'-' {
            i += 1;
        }
        if i == b.len() {
            return Err(bad());
        }
        if i == start {
            out.push('&');
        } else {
            decode_run(&b[start..i], &mut out).ok_or_else(bad)?;
        }
        i += 1;
    }
    Ok(Cow::Owned(out))
}

fn decode_run(run: &[u8], out: &mut String) -> Option<()> {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut units = Vec::with_capacity(run.len() * 6 / 16);
    for &c in run {
        bits = (bits << 6) | b64_value(c)?;
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            units.push((bits >> nbits) as u16);
            bits &= (1 << nbits) - 1;
        }
    }
    // Leftover bits must be zero padding shorter than one sextet plus.
    if nbits >= 6 || bits != 0 || units.is_empty() {
        return None;
    }
    for ch in char::decode_utf16(units) {
        let ch = ch.ok()?;
        if (' '..='~').contains(&ch) {
            return None;
        }
        out.push(ch);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_answers() {
        let cases = [
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("&", "&-"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("😀", "&2D3eAA-"),
            ("", ""),
        ];
        for (plain, wire) in cases {
            assert_eq!(encode(plain), wire);
            assert_eq!(decode(wire).unwrap(), plain);
        }
    }

    #[test]
    fn rejects() {
        for bad in ["&", "&AGE", "&A-", "&AEE-", "é", "&2D0-", "&AP!-", "a\tb"] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn round_trip(s in "\\PC*") {
            let e = encode(&s);
            prop_assert!(e.is_ascii());
            let d = decode(&e).unwrap();
            prop_assert_eq!(d.as_ref(), s.as_str());
        }
    }
}
