//! A MIME header that names more than one boundary
//! (`Content-Type: multipart/mixed; boundary=X; boundary=Y`): mail-parser
//! splits the body at the first, and a part delimited by another stays
//! hidden, a known trick to get attachments past filters (ClamAV's test
//! file `clam.mail-multiple-boundaries.eml`). Each further boundary
//! gets a variant of the message in which it is the only one, so that
//! its parts are scanned too.

/// Most variants made of one message.
const MAX_VARIANTS: usize = 8;

/// Where the names of the `boundary` parameters of one header (with
/// its folded lines) start.
fn boundary_params(header: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = find_nocase(&header[i..], b"boundary") {
        let start = i + at;
        let end = start + b"boundary".len();
        let before = header[..start].trim_ascii_end().last();
        let after = header[end..].trim_ascii_start().first();
        // A parameter name: after `;` and before `=`.
        if before == Some(&b';') && after == Some(&b'=') {
            out.push(start);
        }
        i = end;
    }
    out
}

fn find_nocase(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// The variants of `mail` for each `Content-Type` header line with
/// more than one boundary, as the positions of the bytes to change (see
/// [`variant`]): in each, all but one of that header's boundary
/// parameters are renamed, so the parser splits at the remaining one.
/// Empty when no header names two boundaries.
pub(crate) fn boundary_variants(mail: &[u8]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    let mut lines = mail.split_inclusive(|&c| c == b'\n').peekable();
    while let Some(line) = lines.next() {
        let start = at;
        at += line.len();
        if line.len() < 13 || !line[..13].eq_ignore_ascii_case(b"content-type:") {
            continue;
        }
        // The header with its folded lines.
        while let Some(next) =
            lines.next_if(|l| l.first().is_some_and(|&c| c == b' ' || c == b'\t'))
        {
            at += next.len();
        }
        let params = boundary_params(&mail[start..at]);
        // mail-parser already splits at the first.
        for keep in 1..params.len() {
            if out.len() == MAX_VARIANTS {
                return out;
            }
            let flips = params
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != keep)
                .map(|(_, &s)| start + s)
                .collect();
            out.push(flips);
        }
    }
    out
}

/// A copy of `mail` with the boundary parameters at `flips` renamed
/// (to `xoundary`).
pub(crate) fn variant(mail: &[u8], flips: &[usize]) -> Vec<u8> {
    let mut v = mail.to_vec();
    for &at in flips {
        v[at] = b'x';
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_variant_per_further_boundary() {
        let m = b"From: a\nContent-Type: multipart/mixed; boundary=X;\n boundary=\"Y\"; BOUNDARY=Z\n\n--Y\n";
        let v: Vec<Vec<u8>> = boundary_variants(m).iter().map(|f| variant(m, f)).collect();
        assert_eq!(v.len(), 2);
        let s = String::from_utf8_lossy(&v[0]);
        assert!(
            s.contains("xoundary=X;\n boundary=\"Y\"; xOUNDARY=Z"),
            "{s}"
        );
        let s = String::from_utf8_lossy(&v[1]);
        assert!(
            s.contains("xoundary=X;\n xoundary=\"Y\"; BOUNDARY=Z"),
            "{s}"
        );
    }

    #[test]
    fn nothing_to_do() {
        for m in [
            &b"Content-Type: multipart/mixed; boundary=X\n\n--X\n"[..],
            b"Subject: boundary=a; boundary=b\n\n",
            b"Content-Type: text/plain; name=\"boundary=a\"; x=boundary\n",
            b"",
        ] {
            assert!(
                boundary_variants(m).is_empty(),
                "{}",
                String::from_utf8_lossy(m)
            );
        }
        let many =
            "Content-Type: multipart/mixed; boundary=a".to_string() + &"; boundary=b".repeat(20);
        assert_eq!(boundary_variants(many.as_bytes()).len(), MAX_VARIANTS);
    }
}
