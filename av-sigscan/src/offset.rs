//! Signature offsets: where a body signature's match must start.

use crate::error::SigError;
use crate::pe::PeInfo;

/// Anchor of an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base {
    /// From the start of the file.
    Start,
    /// Backwards from the end of the file (`EOF-n`).
    Eof,
    /// From the PE entry point (`EP+n`, `EP-n`).
    Ep,
    /// From the start of section `x` (`Sx+n`).
    Section(u16),
    /// The whole of section `x` (`SEx`).
    SectionEntire(u16),
    /// From the start of the last section (`SL+n`).
    LastSection,
}

/// A parsed offset: `*`, or a base, a signed shift and a span (the
/// match may start anywhere in `[base + shift, base + shift + span]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Offset {
    Any,
    At { base: Base, shift: i64, span: u64 },
}

fn num(s: &str, all: &str) -> Result<u64, SigError> {
    s.parse()
        .map_err(|_| SigError::new(format!("bad number {s:?} in offset {all:?}")))
}

impl Offset {
    /// Parses an offset.
    ///
    /// ```text
    /// offset = "*" / place ["," span]
    /// place  = n / "EOF-" n / "EP+" n / "EP-" n / "S" x "+" n
    ///        / "SE" x / "SL+" n
    /// ```
    pub(crate) fn parse(s: &str) -> Result<Offset, SigError> {
        if s == "*" {
            return Ok(Offset::Any);
        }
        let (place, span) = match s.split_once(',') {
            Some((p, m)) => (p, num(m, s)?),
            None => (s, 0),
        };
        let signed = |rest: &str| -> Result<i64, SigError> {
            let (neg, digits) = match rest.as_bytes().first() {
                Some(b'+') => (false, &rest[1..]),
                Some(b'-') => (true, &rest[1..]),
                _ => return Err(SigError::new(format!("bad offset {s:?}"))),
            };
            let v = i64::try_from(num(digits, s)?)
                .map_err(|_| SigError::new(format!("offset {s:?} is too large")))?;
            Ok(if neg { -v } else { v })
        };
        if place.starts_with("VI") || place.starts_with("$") {
            return Err(SigError::unsupported(format!(
                "offset {s:?} (PE version information and macro offsets)"
            )));
        }
        let (base, shift) = if let Some(rest) = place.strip_prefix("EOF-") {
            (Base::Eof, -i64::try_from(num(rest, s)?).unwrap_or(i64::MAX))
        } else if let Some(rest) = place.strip_prefix("EP") {
            (Base::Ep, signed(rest)?)
        } else if let Some(rest) = place.strip_prefix("SL") {
            (Base::LastSection, signed(rest)?)
        } else if let Some(rest) = place.strip_prefix("SE") {
            let x = rest
                .parse()
                .map_err(|_| SigError::new(format!("bad section in offset {s:?}")))?;
            (Base::SectionEntire(x), 0)
        } else if let Some(rest) = place.strip_prefix('S') {
            let cut = rest
                .find(['+', '-'])
                .ok_or_else(|| SigError::new(format!("bad offset {s:?}")))?;
            let x = rest[..cut]
                .parse()
                .map_err(|_| SigError::new(format!("bad section in offset {s:?}")))?;
            (Base::Section(x), signed(&rest[cut..])?)
        } else {
            let v = i64::try_from(num(place, s)?)
                .map_err(|_| SigError::new(format!("offset {s:?} is too large")))?;
            (Base::Start, v)
        };
        Ok(Offset::At { base, shift, span })
    }

    /// Whether the offset needs a PE header.
    pub(crate) fn needs_pe(&self) -> bool {
        matches!(self, Offset::At { base, .. } if !matches!(base, Base::Start | Base::Eof))
    }

    /// Whether the offset counts from the end of the file.
    pub(crate) fn counts_from_end(&self) -> bool {
        matches!(
            self,
            Offset::At {
                base: Base::Eof,
                ..
            }
        )
    }

    /// For `EOF-n`: how many bytes before the end of the file the match
    /// may start at most.
    pub(crate) fn eof_reach(&self) -> Option<u64> {
        match *self {
            Offset::At {
                base: Base::Eof,
                shift,
                ..
            } => Some(shift.unsigned_abs()),
            _ => None,
        }
    }

    /// The inclusive range of allowed start positions in a file of `len`
    /// bytes (`None` while the length is unknown, which only `EOF-n`
    /// needs), or `None` when the offset cannot apply to this file.
    pub(crate) fn range(&self, len: Option<u64>, pe: Option<&PeInfo>) -> Option<(u64, u64)> {
        let Offset::At { base, shift, span } = *self else {
            return Some((0, len.unwrap_or(u64::MAX)));
        };
        let section = |x: u16| pe?.sections.get(usize::from(x)).copied();
        let (origin, mut span) = match base {
            Base::Start => (0i128, span),
            Base::Eof => (i128::from(len?), span),
            Base::Ep => (i128::from(pe?.ep_offset?), span),
            Base::Section(x) => (i128::from(section(x)?.raw_offset), span),
            Base::SectionEntire(x) => {
                let s = section(x)?;
                (i128::from(s.raw_offset), u64::from(s.raw_size))
            }
            Base::LastSection => (i128::from(pe?.sections.last()?.raw_offset), span),
        };
        let lo = origin + i128::from(shift);
        let lo = if lo < 0 {
            // A negative start can still reach into the file with a span.
            span = span.checked_sub(u64::try_from(-lo).ok()?)?;
            0
        } else {
            u64::try_from(lo).ok()?
        };
        if len.is_some_and(|l| lo > l) {
            return None;
        }
        let hi = lo.saturating_add(span);
        Some((lo, len.map_or(hi, |l| hi.min(l))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_resolve() {
        type Case = (&'static str, u64, Option<(u64, u64)>);
        let cases: &[Case] = &[
            ("*", 100, Some((0, 100))),
            ("10", 100, Some((10, 10))),
            ("10,5", 100, Some((10, 15))),
            ("EOF-20", 100, Some((80, 80))),
            ("EOF-200", 100, None),
            ("200", 100, None),
        ];
        for (s, len, want) in cases {
            let o = Offset::parse(s).unwrap();
            assert_eq!(o.range(Some(*len), None), *want, "{s}");
        }
        for bad in ["x", "EOF+3", "EP3", "S+1", "10,x", ""] {
            assert!(Offset::parse(bad).is_err(), "{bad}");
        }
        let pe = PeInfo::parse(&crate::pe::tests::tiny_pe()).unwrap();
        let o = Offset::parse("EP+0").unwrap();
        assert_eq!(o.range(Some(0x400), Some(&pe)), Some((0x310, 0x310)));
        assert_eq!(o.range(Some(0x400), None), None);
        let o = Offset::parse("SE1").unwrap();
        assert_eq!(o.range(Some(0x400), Some(&pe)), Some((0x300, 0x400)));
        let o = Offset::parse("SL+4").unwrap();
        assert_eq!(o.range(Some(0x400), Some(&pe)), Some((0x304, 0x304)));
    }
}
