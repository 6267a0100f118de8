//! A minimal PE header reader: entry point and section table, enough
//! for the `EP`, `Sx`, `SEx` and `SL` offsets, `.mdb` section hashes and
//! the `EntryPoint`/`NumberOfSections` keys of logical signatures.

/// One section of a PE file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Section {
    /// Relative virtual address.
    pub rva: u32,
    /// Virtual size.
    pub vsize: u32,
    /// File offset of the raw data.
    pub raw_offset: u32,
    /// Size of the raw data.
    pub raw_size: u32,
}

/// What the scanner needs from a PE header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeInfo {
    /// File offset of the entry point, if it falls inside a section or
    /// the headers.
    pub ep_offset: Option<u64>,
    /// The section table, in file order.
    pub sections: Vec<Section>,
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(at..at + 4)?.try_into().ok()?))
}

/// Most sections ClamAV accepts in a PE file.
const MAX_SECTIONS: u16 = 96;

/// Rounds down to a multiple of `a`, when `a` is not 0 (ClamAV's
/// `PEALIGN`).
fn align_down(v: u32, a: u32) -> u32 {
    v.checked_div(a).map_or(v, |q| q * a)
}

/// Rounds up to a multiple of `a`, when `a` is not 0 (ClamAV's
/// `PESALIGN`).
fn align_up(v: u32, a: u32) -> u32 {
    v.checked_div(a).map_or(v, |q| {
        q.saturating_add(u32::from(!v.is_multiple_of(a)))
            .saturating_mul(a)
    })
}

impl PeInfo {
    /// Reads the PE header of `data`; `None` when it is not a PE file.
    ///
    /// Layout: `"MZ"` ... `e_lfanew` at 0x3c points to `"PE\0\0"`, a
    /// 20-byte COFF header (section count at +2, optional header size at
    /// +16), the optional header (entry point RVA at +16, section and
    /// file alignment at +32 and +36, header size at +60), then 40-byte
    /// section headers. As ClamAV does, section addresses and sizes are
    /// aligned to the file and section alignment, and the entry point
    /// is mapped through the last section that holds it.
    pub fn parse(data: &[u8]) -> Option<PeInfo> {
        if !data.starts_with(b"MZ") {
            return None;
        }
        let pe = u32_at(data, 0x3c)? as usize;
        if data.get(pe..pe.checked_add(4)?)? != b"PE\0\0" {
            return None;
        }
        let coff = pe + 4;
        let nsec = u16_at(data, coff + 2)?;
        if nsec == 0 || nsec > MAX_SECTIONS {
            return None;
        }
        let opt_size = u16_at(data, coff + 16)? as usize;
        let opt = coff + 20;
        let ep_rva = u32_at(data, opt + 16)?;
        let pow2 = |a: u32| if a.is_power_of_two() { a } else { 0 };
        let valign = pow2(u32_at(data, opt + 32).unwrap_or(0));
        let falign = pow2(u32_at(data, opt + 36).unwrap_or(0));
        let hdr_size = align_up(u32_at(data, opt + 60).unwrap_or(0), valign);
        let table = opt + opt_size;
        let fsize = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let mut sections = Vec::with_capacity(nsec as usize);
        for i in 0..nsec as usize {
            let h = table + i * 40;
            let raw_offset = align_down(u32_at(data, h + 20)?, falign);
            let mut raw_size = align_up(u32_at(data, h + 16)?, falign);
            if raw_size > 0 && fsize > raw_offset && raw_size > fsize - raw_offset {
                raw_size = fsize - raw_offset;
            }
            sections.push(Section {
                vsize: align_up(u32_at(data, h + 8)?, valign),
                rva: align_down(u32_at(data, h + 12)?, valign),
                raw_size,
                raw_offset,
            });
        }
        let ep_offset = if ep_rva < hdr_size {
            (u64::from(ep_rva) < data.len() as u64).then_some(u64::from(ep_rva))
        } else {
            sections
                .iter()
                .rev()
                .find(|s| s.raw_size > 0 && s.rva <= ep_rva && s.raw_size > ep_rva - s.rva)
                .map(|s| u64::from(s.raw_offset) + u64::from(ep_rva - s.rva))
        };
        Some(PeInfo {
            ep_offset,
            sections,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tiny synthetic PE: 2 sections, entry point in the second.
    pub(crate) fn tiny_pe() -> Vec<u8> {
        let mut d = vec![0u8; 0x400];
        d[0..2].copy_from_slice(b"MZ");
        d[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
        d[0x80..0x84].copy_from_slice(b"PE\0\0");
        d[0x86..0x88].copy_from_slice(&2u16.to_le_bytes());
        d[0x94..0x96].copy_from_slice(&0xe0u16.to_le_bytes());
        let opt = 0x98;
        d[opt + 16..opt + 20].copy_from_slice(&0x2010u32.to_le_bytes());
        let table = opt + 0xe0;
        for (i, (rva, off)) in [(0x1000u32, 0x200u32), (0x2000, 0x300)].iter().enumerate() {
            let h = table + i * 40;
            d[h..h + 5].copy_from_slice(b".sect");
            d[h + 8..h + 12].copy_from_slice(&0x100u32.to_le_bytes());
            d[h + 12..h + 16].copy_from_slice(&rva.to_le_bytes());
            d[h + 16..h + 20].copy_from_slice(&0x100u32.to_le_bytes());
            d[h + 20..h + 24].copy_from_slice(&off.to_le_bytes());
        }
        d
    }

    #[test]
    fn reads_tiny_pe() {
        let pe = PeInfo::parse(&tiny_pe()).unwrap();
        assert_eq!(pe.sections.len(), 2);
        assert_eq!(pe.ep_offset, Some(0x310));
        assert!(PeInfo::parse(b"MZ").is_none());
        assert!(PeInfo::parse(b"not a pe").is_none());
    }
}
