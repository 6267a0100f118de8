//! A small reader for ustar and old-style tar archives.

/// One regular file of a tar archive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub name: &'a [u8],
    pub data: &'a [u8],
}

fn octal(field: &[u8]) -> Option<u64> {
    let s = field.iter().position(|&c| c != b' ' && c != 0)?;
    let mut v: u64 = 0;
    for &c in &field[s..] {
        match c {
            b'0'..=b'7' => v = v.checked_mul(8)?.checked_add(u64::from(c - b'0'))?,
            b' ' | 0 => break,
            _ => return None,
        }
    }
    Some(v)
}

/// Whether a 512-byte block is a tar header with a valid checksum.
pub(crate) fn is_header(h: &[u8]) -> bool {
    if h.len() < 512 || h[..512].iter().all(|&b| b == 0) {
        return false;
    }
    let Some(want) = octal(&h[148..156]) else {
        return false;
    };
    let sum: u64 = h[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    sum == want
}

/// Iterates over the regular files of a tar archive. Stops at the end
/// marker or at the first damaged header; `Err` carries a reason.
pub(crate) fn entries(data: &[u8]) -> Result<Vec<Entry<'_>>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 512 <= data.len() {
        let h = &data[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            break;
        }
        if !is_header(h) {
            return Err(format!("bad tar header at offset {at}"));
        }
        let size = octal(&h[124..136]).ok_or_else(|| format!("bad tar size at offset {at}"))?;
        let size = usize::try_from(size).map_err(|_| format!("tar size {size} too large"))?;
        let start = at + 512;
        let end = start
            .checked_add(size)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| format!("tar member at offset {at} runs past the end"))?;
        let name_end = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
        if matches!(h[156], b'0' | 0 | b'7') {
            out.push(Entry {
                name: &h[..name_end],
                data: &data[start..end],
            });
        }
        at = start + size.div_ceil(512) * 512;
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    /// Builds a one-file ustar archive (used by other tests too).
    pub(crate) fn one_file(name: &str, data: &[u8]) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        let size = format!("{:011o}\0", data.len());
        h[124..136].copy_from_slice(size.as_bytes());
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h.extend_from_slice(data);
        h.resize(512 + data.len().div_ceil(512) * 512 + 1024, 0);
        h
    }

    #[test]
    fn reads_back() {
        let t = one_file("a.ndb", b"hello");
        let e = super::entries(&t).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].name, b"a.ndb");
        assert_eq!(e[0].data, b"hello");
        let mut bad = t.clone();
        bad[0] ^= 1;
        assert!(super::entries(&bad).is_err());
    }
}
