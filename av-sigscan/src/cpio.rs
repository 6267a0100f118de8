//! cpio archives in their three formats (as ClamAV reads them): the
//! data of each regular file.
//!
//! ```text
//! newc = "070701" / "070702", then 13 fields of 8 hex digits (file
//!        size 7th, name size 12th); header and name, and the data,
//!        each padded to 4 bytes
//! odc  = "070707", then 6-digit octal fields (mode 3rd), an 11-digit
//!        mtime, the 6-digit name size and 11-digit file size
//! bin  = 13 16-bit words in either byte order, magic 0o070707 first;
//!        the name and the data each padded to 2 bytes
//! ```
//!
//! An entry named `TRAILER!!!` ends the archive.

/// Whether `data` starts like a cpio archive.
pub(crate) fn is_cpio(data: &[u8]) -> bool {
    data.starts_with(b"070701")
        || data.starts_with(b"070702")
        || data.starts_with(b"070707")
        || data.starts_with(&[0xc7, 0x71])
        || data.starts_with(&[0x71, 0xc7])
}

/// One parsed header: (mode, name, header + name length with padding,
/// data length, data padding unit).
struct Header<'a> {
    mode: u32,
    name: &'a [u8],
    data_at: usize,
    size: usize,
    align: usize,
}

fn number(field: &[u8], radix: u32) -> Option<usize> {
    let s = std::str::from_utf8(field).ok()?;
    usize::from_str_radix(s, radix).ok()
}

fn pad(n: usize, to: usize) -> Option<usize> {
    n.checked_next_multiple_of(to)
}

/// The header at the start of `d`.
fn header(d: &[u8]) -> Option<Header<'_>> {
    if d.starts_with(b"070701") || d.starts_with(b"070702") {
        let f = |i: usize| number(d.get(6 + 8 * i..14 + 8 * i)?, 16);
        let namesize = f(11)?;
        let name_end = 110usize.checked_add(namesize)?;
        return Some(Header {
            mode: u32::try_from(f(1)?).ok()?,
            name: d.get(110..name_end)?,
            data_at: pad(name_end, 4)?,
            size: f(6)?,
            align: 4,
        });
    }
    if d.starts_with(b"070707") {
        let mode = number(d.get(18..24)?, 8)?;
        let namesize = number(d.get(59..65)?, 8)?;
        let name_end = 76usize.checked_add(namesize)?;
        return Some(Header {
            mode: u32::try_from(mode).ok()?,
            name: d.get(76..name_end)?,
            data_at: name_end,
            size: number(d.get(65..76)?, 8)?,
            align: 1,
        });
    }
    let le = d.starts_with(&[0xc7, 0x71]);
    if !le && !d.starts_with(&[0x71, 0xc7]) {
        return None;
    }
    let w = |i: usize| -> Option<usize> {
        let b = [*d.get(2 * i)?, *d.get(2 * i + 1)?];
        Some(usize::from(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        }))
    };
    let namesize = w(10)?;
    let name_end = 26usize.checked_add(namesize)?;
    Some(Header {
        mode: u32::try_from(w(3)?).ok()?,
        name: d.get(26..name_end)?,
        data_at: pad(name_end, 2)?,
        size: (w(11)? << 16) | w(12)?,
        align: 2,
    })
}

/// The data of every regular file, in order, at most `max`. A damaged
/// archive ends the list where the damage starts.
pub(crate) fn members(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while out.len() < max {
        let Some(h) = data.get(at..).and_then(header) else {
            break;
        };
        if h.name.strip_suffix(b"\0").unwrap_or(h.name) == b"TRAILER!!!" {
            break;
        }
        let start = at + h.data_at;
        let Some(end) = start.checked_add(h.size) else {
            break;
        };
        let Some(body) = data.get(start..end) else {
            break;
        };
        // Regular files only (S_IFREG), as the mode's type bits say.
        if h.mode & 0o170000 == 0o100000 {
            out.push(body);
        }
        match pad(end, h.align) {
            Some(next) if next > at => at = next,
            _ => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn newc(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let trailer = [("TRAILER!!!", &b""[..])];
        for (name, data) in files.iter().chain(&trailer) {
            let mode = if data.is_empty() { 0 } else { 0o100644 };
            let fields = [
                1,
                mode,
                0,
                0,
                1,
                0,
                data.len(),
                0,
                0,
                0,
                0,
                name.len() + 1,
                0,
            ];
            out.extend_from_slice(b"070701");
            for v in fields {
                out.extend_from_slice(format!("{v:08X}").as_bytes());
            }
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            out.resize(out.len().next_multiple_of(4), 0);
            out.extend_from_slice(data);
            out.resize(out.len().next_multiple_of(4), 0);
        }
        out
    }

    fn odc(name: &str, data: &[u8]) -> Vec<u8> {
        let mut out = format!(
            "070707{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:011o}{:06o}{:011o}",
            0,
            1,
            0o100644,
            0,
            0,
            1,
            0,
            0,
            name.len() + 1,
            data.len()
        )
        .into_bytes();
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(data);
        out
    }

    fn bin(le: bool, name: &str, data: &[u8]) -> Vec<u8> {
        let n = data.len();
        let words = [
            0o070707,
            0,
            1,
            0o100644,
            0,
            0,
            1,
            0,
            0,
            0,
            name.len() as u16 + 1,
            (n >> 16) as u16,
            n as u16,
        ];
        let mut out = Vec::new();
        for w in words {
            out.extend_from_slice(&if le { w.to_le_bytes() } else { w.to_be_bytes() });
        }
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.resize(out.len().next_multiple_of(2), 0);
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn all_formats() {
        let a = newc(&[("a", b"first"), ("dir", b""), ("bb", b"second!")]);
        assert!(is_cpio(&a));
        assert_eq!(members(&a, 8), [&b"first"[..], b"second!"]);
        assert_eq!(members(&a, 1), [&b"first"[..]]);
        assert_eq!(members(&odc("x.exe", b"odc data"), 8), [&b"odc data"[..]]);
        for le in [true, false] {
            let b = bin(le, "clam.exe", b"bin data");
            assert!(is_cpio(&b));
            assert_eq!(members(&b, 8), [&b"bin data"[..]]);
        }
    }

    #[test]
    fn damaged() {
        let a = newc(&[("a", b"first"), ("bb", b"second!")]);
        // Cut inside the second file: the first is still read.
        assert_eq!(members(&a[..130], 8), [&b"first"[..]]);
        let mut huge = odc("x", b"");
        huge[65..76].copy_from_slice(b"77777777777");
        assert!(members(&huge, 8).is_empty());
        assert!(members(b"070701zzzz", 8).is_empty());
        assert!(members(b"", 8).is_empty());
    }
}
