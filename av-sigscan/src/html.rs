//! `data:` URIs in HTML (RFC 2397), which ClamAV's HTML normalizer
//! decodes and scans as files of their own: the way a file is smuggled
//! through a mail inside an HTML part.
//!
//! ```text
//! dataurl   = "data:" [ mediatype ] [ ";base64" ] "," data
//! mediatype = [ type "/" subtype ] *( ";" parameter )
//! ```
//!
//! Only attribute values inside a tag are looked at (`name=data:...`,
//! quoted or not). The value ends at its closing quote, or unquoted at
//! white space or `>`; `%XX` escapes are decoded, then base64 when the
//! header says so.

/// Longest media type and parameters looked at before the comma.
const MAX_HEADER: usize = 256;
/// How far back the start of the tag is looked for (ClamAV's HTML
/// parser also caps a tag's contents); keeps the search linear.
const MAX_TAG: usize = 1024;

/// The decoded contents of the `data:` URIs in `html`, at most `max`.
pub(crate) fn data_uris(html: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut from = 0;
    while out.len() < max {
        let Some(colon) = memchr::memchr(b':', &html[from..]).map(|i| from + i) else {
            break;
        };
        from = colon + 1;
        if let Some((data, end)) = uri_at(html, colon) {
            out.extend(data);
            // Past the value, decoded or not, so that no byte is looked
            // at twice.
            from = end;
        }
    }
    out
}

/// The URI whose colon is at `colon`: its decoded data (`None` when
/// its base64 is broken) and where it ends.
fn uri_at(html: &[u8], colon: usize) -> Option<(Option<Vec<u8>>, usize)> {
    let start = colon.checked_sub(4)?;
    if !html[start..colon].eq_ignore_ascii_case(b"data") {
        return None;
    }
    let before = &html[start.saturating_sub(MAX_TAG)..start];
    let (quote, before) = match before.split_last() {
        Some((&q @ (b'"' | b'\''), rest)) => (Some(q), rest),
        _ => (None, before),
    };
    // `name=` before the value, inside a tag.
    if before.trim_ascii_end().last() != Some(&b'=')
        || before.iter().rev().find(|&&c| c == b'<' || c == b'>') != Some(&b'<')
    {
        return None;
    }
    let rest = &html[colon + 1..];
    let comma = rest.iter().take(MAX_HEADER).position(|&c| c == b',')?;
    let header = &rest[..comma];
    if header
        .iter()
        .any(|&c| matches!(c, b'"' | b'\'' | b'>' | b'<'))
    {
        return None;
    }
    let body = &rest[comma + 1..];
    let len = body
        .iter()
        .position(|&c| match quote {
            Some(q) => c == q,
            None => c.is_ascii_whitespace() || c == b'>',
        })
        .unwrap_or(body.len());
    let data = percent_decode(&body[..len]);
    let base64 = header
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b";base64"));
    let data = if base64 {
        let clean: Vec<u8> = data
            .into_iter()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        mail_parser::decoders::base64::base64_decode(&clean)
    } else {
        Some(data)
    };
    Some((data, colon + 1 + comma + 1 + len))
}

fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_in_attributes() {
        let html = b"<a href=\"data:application/octet-stream;base64,aGVs\nbG8=\">x</a>\
            <img src='data:,plain%20text'> <a href=data:;BASE64,d29ybGQ=>";
        assert_eq!(
            data_uris(html, 8),
            [b"hello".to_vec(), b"plain text".to_vec(), b"world".to_vec()]
        );
        assert_eq!(data_uris(html, 1).len(), 1);
    }

    #[test]
    fn not_uris() {
        // In text, without a comma, or a header that leaves the value.
        for html in [
            &b"<a href=metadata:,x>"[..],
            b"<p>the text data:;base64,aGVs here</p>",
            b"<p>x=\"data:,y\"</p>",
            b"<p>data: none here</p>",
            b"<a href=\"data:text/html\">",
            b"<a href=\"data:a\" b=\",c\">",
            b"data:",
            b"\"data:;base64,@@@@\"",
        ] {
            assert!(
                data_uris(html, 8).is_empty(),
                "{}",
                String::from_utf8_lossy(html)
            );
        }
        // The value runs to the end of a truncated file.
        assert_eq!(data_uris(b"<a href=\"data:,abc", 8), [b"abc".to_vec()]);
        assert_eq!(data_uris(b"<a href = 'data:,a b'>", 8), [b"a b".to_vec()]);
        // Linear on hostile input (this would take hours if every colon
        // scanned back to the tag or on to the quote).
        let many = format!("<a x=\"{}", "=data:;base64,@".repeat(100_000));
        assert!(data_uris(many.as_bytes(), 8).is_empty());
        let many = format!("<html>{}", "x=data:,".repeat(100_000));
        assert!(data_uris(many.as_bytes(), 8).is_empty());
    }
}
