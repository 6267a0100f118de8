//! A zip reader over the central directory, falling back to local
//! headers when the directory is missing or damaged.

/// One member of a zip archive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member<'a> {
    /// Compression method: 0 stored, 8 deflate.
    pub method: u16,
    pub encrypted: bool,
    /// Uncompressed size as recorded.
    pub size: u64,
    pub packed: &'a [u8],
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// Most members read from one archive directory.
const MAX_MEMBERS: usize = 1 << 16;

/// The member whose local header is at `at`, with `packed` bytes.
fn local(data: &[u8], at: usize, packed_len: Option<usize>) -> Option<Member<'_>> {
    if data.get(at..at + 4)? != b"PK\x03\x04" {
        return None;
    }
    let flags = u16_at(data, at + 6)?;
    let method = u16_at(data, at + 8)?;
    let csize = u32_at(data, at + 18)? as usize;
    let size = u64::from(u32_at(data, at + 22)?);
    let start = at + 30 + u16_at(data, at + 26)? as usize + u16_at(data, at + 28)? as usize;
    let len = packed_len.unwrap_or(csize);
    let end = start.checked_add(len)?.min(data.len());
    Some(Member {
        method,
        encrypted: flags & 1 != 0,
        size,
        packed: data.get(start..end)?,
    })
}

/// The markers a split or spanned archive may start with (`PK00` from
/// old tools, `PK\x07\x08` in APPNOTE), each followed by a local header.
pub(crate) const SPAN_MARKERS: [&[u8; 8]; 2] = [b"PK00PK\x03\x04", b"PK\x07\x08PK\x03\x04"];

/// The members of a zip archive, in directory order.
pub(crate) fn members(data: &[u8]) -> Vec<Member<'_>> {
    central(data).unwrap_or_else(|| {
        let first = if SPAN_MARKERS.iter().any(|m| data.starts_with(*m)) {
            4
        } else {
            0
        };
        scan_local(data, first)
    })
}

fn central(data: &[u8]) -> Option<Vec<Member<'_>>> {
    // The end record is in the last 64 KiB + 22 bytes.
    let from = data.len().saturating_sub(65_557);
    let eocd = from + memchr::memmem::rfind(&data[from..], b"PK\x05\x06")?;
    let count = u16_at(data, eocd + 10)? as usize;
    let mut at = u32_at(data, eocd + 16)? as usize;
    let mut out = Vec::new();
    for _ in 0..count.min(MAX_MEMBERS) {
        if data.get(at..at + 4)? != b"PK\x01\x02" {
            return None;
        }
        let csize = u32_at(data, at + 20)? as usize;
        let local_at = u32_at(data, at + 42)? as usize;
        if let Some(m) = local(data, local_at, Some(csize)) {
            out.push(m);
        }
        at += 46
            + u16_at(data, at + 28)? as usize
            + u16_at(data, at + 30)? as usize
            + u16_at(data, at + 32)? as usize;
    }
    Some(out)
}

fn scan_local(data: &[u8], first: usize) -> Vec<Member<'_>> {
    let mut out = Vec::new();
    let mut at = first;
    while let Some(m) = local(data, at, None) {
        let next = m.packed.as_ptr() as usize - data.as_ptr() as usize + m.packed.len();
        out.push(m);
        if out.len() >= MAX_MEMBERS || next <= at {
            break;
        }
        at = next;
    }
    out
}
