//! Byte classes from RFC 5321, RFC 5322 and RFC 3461, as one table.

pub(crate) const ATEXT: u8 = 1;
pub(crate) const LETDIG: u8 = 2;
pub(crate) const QTEXT: u8 = 4;
pub(crate) const DCONTENT: u8 = 8;
pub(crate) const ESMTP_VALUE: u8 = 16;
pub(crate) const XCHAR: u8 = 32;
pub(crate) const BASE64: u8 = 64;

const fn build() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let mut v = 0u8;
        let alpha = c.is_ascii_alphabetic();
        let digit = c.is_ascii_digit();
        if alpha || digit {
            v |= LETDIG | ATEXT | BASE64;
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
        // esmtp-value = 1*(%d33-60 / %d62-126)
        if c >= 33 && c <= 126 && c != b'=' {
            v |= ESMTP_VALUE;
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
            v |= ATEXT | QTEXT | LETDIG | ESMTP_VALUE;
        }
        t[b] = v;
        b += 1;
    }
    t
}

pub(crate) static TABLE: [u8; 256] = build();

#[inline]
pub(crate) fn is(b: u8, class: u8) -> bool {
    TABLE[b as usize] & class != 0
}
