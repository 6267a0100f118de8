//! File typing, as far as scanning decisions need it, and the text
//! normalizer of target type 7.
//!
//! The rules follow ClamAV's built-in file type table (used when no
//! `daily.ftm` is loaded, as with `clamscan -d own.ndb`): fixed magic
//! bytes first, then a text test of the first 1024 bytes in the manner
//! of `file(1)`, then HTML and mail markers inside text.

/// What a scanned object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Type {
    /// A mail message (its parts are decoded and scanned).
    Mail,
    Zip,
    Gzip,
    Tar,
    Cpio,
    /// Outlook's TNEF (`winmail.dat`): its attachments are scanned with
    /// the mail.
    Tnef,
    /// HTML (ClamAV normalizes it with its HTML parser, which this
    /// engine does not have).
    Html,
    /// Text (ASCII, UTF-8 or UTF-16, as ClamAV's text test says): also
    /// scanned as normalized text.
    Text,
    /// Anything else.
    Binary,
}

/// Mail magic at offset 0.
const MAIL: &[&[u8]] = &[
    b">From ",
    b"Date: ",
    b"Delivered-To: ",
    b"Delivery-date: ",
    b"Envelope-to: ",
    b"For: ",
    b"From ",
    b"From: ",
    b"Hi. This is the qmail-send",
    b"Message-ID: ",
    b"Message-Id: ",
    b"Received: ",
    b"Received-SPF: ",
    b"Return-Path: ",
    b"Return-path: ",
    b"Subject: ",
    b"To: ",
    b"X-Apparently-To: ",
    b"X-EVS",
    b"X-Envelope-From: ",
    b"X-Original-To: ",
    b"X-Real-To: ",
    b"X-Sieve: ",
    b"X-Symantec-",
    b"X-UIDL: ",
    b"v:\nReceived: ",
    b"v:\r\nReceived: ",
];

/// Other magic at offset 0 that makes a file not text.
const BINARY: &[&[u8]] = &[
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",
    b"\x00\x00\x01\xb3",
    b"\x00\x00\x01\xba",
    b"#@~^",
    b"%!PS-Adobe-",
    b"(This file must be converted with BinHex 4.0)",
    b".RMF",
    b"BM",
    b"BZh",
    b"GIF",
    b"ID3",
    b"ITSF",
    b"MZ",
    b"OggS",
    b"RIFF",
    b"RIFX",
    b"Rar!",
    b"SZDD",
    b"\x60\xea",
    b"begin ",
    b"\x78\x9f\x3e\x22",
    b"\x7fELF",
    b"\x89PNG",
    b"\xb6\xb9\xac\xae\xfe\xff\xff\xff",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    b"\xff\xd8\xff",
    b"\xff\xfb\x90",
    b"{\\rt",
    b"[aliases]",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xca\xfe\xba\xbe",
    b"7z\xbc\xaf\x27\x1c",
    b"070701",
    b"070702",
    b"070707",
    b"\x71\xc7",
    b"\xc7\x71",
    b"%PDF-",
    b"SYMC\x01\x00",
    b"SQLite format 3\x00",
    b"ZWS",
    b"CWS",
    b"FWS",
    b"MSCF\x00\x00\x00\x00",
    b"xar!",
    b"\xfd7zXZ\x00",
    b"II*\x00",
    b"MM",
    b"EGGA",
];

/// HTML markers; the `<a ... href` forms are checked separately.
const HTML: &[&[u8]] = &[
    b"<HEAD>", b"<HTML>", b"<Head>", b"<Html>", b"<IFRAME", b"<IMG", b"<Img", b"<OBJECT",
    b"<Object", b"<SCRIPT", b"<Script", b"<TABLE", b"<head>", b"<html>", b"<iframe", b"<img",
    b"<object", b"<script", b"<table",
];

/// How many bytes the text test looks at.
const TEXT_TEST: usize = 1024;

/// Classifies an object.
pub(crate) fn classify(data: &[u8]) -> Type {
    if MAIL.iter().any(|m| data.starts_with(m)) {
        return Type::Mail;
    }
    if data.starts_with(b"PK\x03\x04")
        || crate::zip::SPAN_MARKERS
            .iter()
            .any(|m| data.starts_with(*m))
    {
        return Type::Zip;
    }
    if data.starts_with(&[0x1f, 0x8b]) {
        return Type::Gzip;
    }
    if data.starts_with(crate::tnef::MAGIC) {
        return Type::Tnef;
    }
    if data.get(257..262) == Some(b"ustar") || crate::tar::is_header(data) {
        return Type::Tar;
    }
    if crate::cpio::is_cpio(data) {
        return Type::Cpio;
    }
    if BINARY.iter().any(|m| data.starts_with(m)) {
        return Type::Binary;
    }
    if !is_text(&data[..data.len().min(TEXT_TEST)]) {
        return Type::Binary;
    }
    if mail_markers(&data[..data.len().min(3 * TEXT_TEST)]) {
        return Type::Mail;
    }
    if html_markers(data) {
        return Type::Html;
    }
    Type::Text
}

/// `file(1)`'s character classes: F never in text, T plain ASCII text,
/// and anything from 0x80 up (ISO-8859 or extended ASCII).
fn text_class(b: u8) -> u8 {
    const F: u8 = 0;
    const T: u8 = 1;
    match b {
        7..=10 | 12 | 13 | 27 | 0x20..=0x7e | 0x85 => T,
        0x80..=0xff => 2,
        _ => F,
    }
}

fn is_ascii_text(b: &[u8]) -> bool {
    b.iter().all(|&c| text_class(c) != 0)
}

fn is_utf8_text(b: &[u8]) -> bool {
    let mut i = 0;
    let mut got = false;
    while i < b.len() {
        let c = b[i];
        if c & 0x80 == 0 {
            if text_class(c) != 1 {
                return false;
            }
            i += 1;
            continue;
        }
        let follow = match c {
            _ if c & 0x40 == 0 => return false,
            _ if c & 0x20 == 0 => 1,
            _ if c & 0x10 == 0 => 2,
            _ if c & 0x08 == 0 => 3,
            _ if c & 0x04 == 0 => 4,
            _ if c & 0x02 == 0 => 5,
            _ => return false,
        };
        for _ in 0..follow {
            i += 1;
            if i >= b.len() {
                return got;
            }
            if b[i] & 0xc0 != 0x80 {
                return false;
            }
        }
        got = true;
        i += 1;
    }
    got
}

fn is_utf16_text(b: &[u8]) -> bool {
    if b.len() < 2 {
        return false;
    }
    let (be, bom) = match (b[0], b[1]) {
        (0xff, 0xfe) => (false, true),
        (0xfe, 0xff) => (true, true),
        _ => (true, false),
    };
    let mut bad = 0;
    let mut i = 2;
    while i + 1 < b.len() {
        let c = if be {
            u16::from(b[i + 1]) | u16::from(b[i]) << 8
        } else {
            u16::from(b[i]) | u16::from(b[i + 1]) << 8
        };
        if c == 0xfffe {
            return false;
        }
        if c < 128 && text_class(c as u8) != 1 {
            if !bom {
                return false;
            }
            bad += 1;
        }
        i += 2;
    }
    !bom || bad < b.len() / 2
}

/// ClamAV's text test (ASCII, UTF-8, then UTF-16 with or without a byte
/// order mark; random bytes often pass the last one, as in ClamAV).
fn is_text(b: &[u8]) -> bool {
    is_ascii_text(b) || is_utf8_text(b) || is_utf16_text(b)
}

/// Header lines that mark a text file as mail: a `From:`,
/// `MIME-Version:`, `Message-Id:` or `Received:` line followed by a
/// `MIME-Version:` or `Content-Type:` line.
fn mail_markers(head: &[u8]) -> bool {
    let lower = head.to_ascii_lowercase();
    let find = |from: usize, pat: &[u8]| {
        lower
            .get(from..)
            .and_then(|h| memchr::memmem::find(h, pat))
            .map(|i| from + i)
    };
    let Some(first) = [
        &b"\nfrom: "[..],
        b"\nmime-version: ",
        b"\nmessage-id: ",
        b"\nreceived: ",
    ]
    .iter()
    .filter_map(|p| find(0, p).filter(|&i| i <= TEXT_TEST))
    .min() else {
        return false;
    };
    find(first + 1, b"\nmime-version: ").is_some() || find(first + 1, b"\ncontent-type: ").is_some()
}

fn html_markers(data: &[u8]) -> bool {
    if HTML.iter().any(|m| memchr::memmem::find(data, m).is_some()) {
        return true;
    }
    // "<a " ... "href" in any case.
    for start in
        memchr::memmem::find_iter(data, b"<a ").chain(memchr::memmem::find_iter(data, b"<A "))
    {
        let rest = &data[start + 3..];
        if rest.windows(4).any(|w| w.eq_ignore_ascii_case(b"href")) {
            return true;
        }
    }
    false
}

/// What the normalizer does with a byte: 0 drops it, 1 is white
/// space, anything else is the byte to write.
const fn norm_table() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => 1,
            0x21..=0x7f => b.to_ascii_lowercase(),
            _ => 0,
        };
        c += 1;
    }
    t
}

static NORM: [u8; 256] = norm_table();

/// ClamAV's text normalizer: ASCII letters to lowercase, every run of
/// white space to one space, control bytes and bytes from 0x80 up
/// dropped (a dropped byte does not end a run of white space).
pub(crate) fn normalize(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; data.len()];
    let (mut j, mut space) = (0usize, false);
    // Branch-free: random input would defeat the branch predictor.
    for &c in data {
        let t = NORM[c as usize];
        let is_space = t == 1;
        out[j] = if is_space { b' ' } else { t };
        let keep = (t > 1) | (is_space & !space);
        j += usize::from(keep);
        space = if t == 0 { space } else { is_space };
    }
    out.truncate(j);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        assert_eq!(classify(b"From: a@b\nSubject: x\n\nbody"), Type::Mail);
        assert_eq!(classify(b"MZ\x90\x00rest"), Type::Binary);
        assert_eq!(classify(b"plain words\nand lines\n"), Type::Text);
        assert_eq!(classify(b"caf\xc3\xa9 text"), Type::Text);
        assert_eq!(classify(b"<p>x</p><script>y</script>"), Type::Html);
        assert_eq!(classify(b"\0\0\0\0\0\0\0\0 HELLO"), Type::Binary);
        assert_eq!(
            classify(b"x\nFrom: a@b\nMIME-Version: 1.0\nContent-Type: text/plain\n\nhi"),
            Type::Mail
        );
    }

    #[test]
    fn normalizer() {
        assert_eq!(
            normalize(b"Say HELLO  \r\n World\x01\xe9!"),
            b"say hello world!"
        );
        assert_eq!(normalize(b"a \x00 b"), b"a b");
    }
}
