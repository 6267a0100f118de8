//! uuencoded blocks inside mail text, which ClamAV decodes and scans
//! as attachments (`Content-Transfer-Encoding: x-uuencode`, or a block
//! pasted into a plain-text body).
//!
//! ```text
//! block = "begin " mode " " name EOL *line [empty-line] "end" EOL
//! mode  = 3*4 octal-digit
//! line  = length-char *(4 encoded-char) EOL
//! ```
//!
//! Each character stands for six bits, `(c - 0x20) & 0x3f` (so both
//! space and backquote are zero); the length character gives the number
//! of bytes the line decodes to.

/// The decoded contents of every uuencoded block in `text`, at most
/// `max` blocks.
pub(crate) fn blocks(text: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut lines = text
        .split(|&c| c == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    while out.len() < max {
        if !lines.by_ref().any(is_begin) {
            break;
        }
        let mut data = Vec::new();
        for line in lines.by_ref() {
            if line == b"end" || !decode_line(line, &mut data) {
                break;
            }
        }
        out.push(data);
    }
    out
}

/// `begin 644 name`: the mode is 3 or 4 octal digits.
fn is_begin(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"begin ") else {
        return false;
    };
    let digits = rest
        .iter()
        .take_while(|c| (b'0'..=b'7').contains(c))
        .count();
    (3..=4).contains(&digits) && rest.get(digits) == Some(&b' ') && rest.len() > digits + 1
}

fn sextet(c: u8) -> u8 {
    c.wrapping_sub(0x20) & 0x3f
}

/// Appends what `line` decodes to; false at the closing empty line or a
/// line that is not uuencoded.
fn decode_line(line: &[u8], out: &mut Vec<u8>) -> bool {
    let Some((&len, body)) = line.split_first() else {
        return false;
    };
    if !(0x20..=0x60).contains(&len) {
        return false;
    }
    let n = usize::from(sextet(len));
    // Some encoders drop trailing spaces, so a short line is padded.
    if n == 0 || body.len() < n.div_ceil(3) * 4 - 3 {
        return false;
    }
    let mut got = 0;
    for group in body.chunks(4) {
        let s: Vec<u8> = (0..4)
            .map(|i| sextet(group.get(i).copied().unwrap_or(b' ')))
            .collect();
        let bytes = [
            (s[0] << 2) | (s[1] >> 4),
            (s[1] << 4) | (s[2] >> 2),
            (s[2] << 6) | s[3],
        ];
        let take = (n - got).min(3);
        out.extend_from_slice(&bytes[..take]);
        got += take;
        if got == n {
            break;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes as `uuencode` does, with backquotes for zero.
    fn encode(data: &[u8]) -> String {
        let ch = |v: u8| if v == 0 { '`' } else { char::from(v + 0x20) };
        let mut s = String::from("begin 644 x.bin\n");
        for line in data.chunks(45) {
            s.push(ch(line.len() as u8));
            for g in line.chunks(3) {
                let b = [g[0], *g.get(1).unwrap_or(&0), *g.get(2).unwrap_or(&0)];
                for v in [
                    b[0] >> 2,
                    (b[0] << 4 | b[1] >> 4) & 63,
                    (b[1] << 2 | b[2] >> 6) & 63,
                    b[2] & 63,
                ] {
                    s.push(ch(v));
                }
            }
            s.push('\n');
        }
        s.push_str("`\nend\n");
        s
    }

    #[test]
    fn round_trips() {
        let data: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        for n in [1, 2, 3, 44, 45, 46, 1000] {
            let text = format!("hello\n{}bye\n", encode(&data[..n]));
            assert_eq!(blocks(text.as_bytes(), 8), [data[..n].to_vec()], "{n}");
            let crlf = text.replace('\n', "\r\n");
            assert_eq!(blocks(crlf.as_bytes(), 8), [data[..n].to_vec()], "{n}");
        }
    }

    #[test]
    fn begin_lines_and_bad_input() {
        assert!(is_begin(b"begin 644 clam.exe"));
        assert!(is_begin(b"begin 0755 a"));
        assert!(!is_begin(b"begin 64 a"));
        assert!(!is_begin(b"begin 644"));
        assert!(!is_begin(b"beginning 644 a"));
        assert!(blocks(b"no blocks here\nbegin to end\n", 8).is_empty());
        // A block cut short decodes what it has; garbage ends it.
        assert_eq!(blocks(b"begin 644 a\n#86)C\n", 8), [b"abc".to_vec()]);
        assert_eq!(
            blocks(b"begin 644 a\n#86)C\n\x01\x02\n", 8),
            [b"abc".to_vec()]
        );
        assert_eq!(blocks(b"begin 644 a\nM\n", 8), [Vec::<u8>::new()]);
        let two = format!("{}{}", encode(b"one"), encode(b"two"));
        assert_eq!(blocks(two.as_bytes(), 1), [b"one".to_vec()]);
    }
}
