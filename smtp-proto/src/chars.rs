//! Byte classes from RFC 5321, RFC 5322, RFC 3461 and RFC 4954, as
//! one table.

pub(crate) const ATEXT: u16 = 1;
pub(crate) const LETDIG: u16 = 2;
pub(crate) const QTEXT: u16 = 4;
pub(crate) const DCONTENT: u16 = 8;
pub(crate) const XCHAR: u16 = 32;
pub(crate) const BASE64: u16 = 64;
/// `Let-dig / "-"`, the characters of a domain label (with U-labels).
pub(crate) const LDH: u16 = 128;
/// `ALPHA / DIGIT / "-"`, an esmtp-keyword or ehlo-keyword character.
pub(crate) const KEYWORD: u16 = 256;
/// `UPPER-ALPHA / DIGIT / "-" / "_"` in any case: a SASL mechanism.
pub(crate) const MECH: u16 = 512;

const fn build() -> [u16; 256] {
    let mut t = [0u16; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let mut v = 0u16;
        let alpha = c.is_ascii_alphabetic();
        let digit = c.is_ascii_digit();
        if alpha || digit {
            v |= LETDIG | ATEXT | BASE64 | LDH | KEYWORD | MECH;
        }
        if c == b'-' {
            v |= LDH | KEYWORD | MECH;
        }
        if c == b'_' {
            v |= MECH;
        }
        if matches!(
            c,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
        ) {
            v |= ATEXT;
        }
        // qtextSMTP = %d32-33 / %d35-91 / %d93-126
        if (c >= 32 && c <= 126) && c != b'"' && c != b'\\' {
            v |= QTEXT;
        }
        // dcontent = %d33-90 / %d94-126
        if (c >= 33 && c <= 90) || (c >= 94 && c <= 126) {
            v |= DCONTENT;
        }
        // xchar = %d33-42 / %d44-60 / %d62-126
        if c >= 33 && c <= 126 && c != b'+' && c != b'=' {
            v |= XCHAR;
        }
        if c == b'+' || c == b'/' || c == b'=' {
            v |= BASE64;
        }
        // UTF8-non-ascii is allowed (RFC 6531) where text is; the
        // caller decides whether SMTPUTF8 permits it.
        if c >= 0x80 {
            v |= ATEXT | QTEXT | LETDIG | LDH;
        }
        t[b] = v;
        b += 1;
    }
    t
}

pub(crate) const TABLE: [u16; 256] = build();

#[inline(always)]
pub(crate) fn is(b: u8, class: u16) -> bool {
    TABLE[b as usize] & class != 0
}
