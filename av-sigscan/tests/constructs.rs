//! Every construct of the signature language, the offsets, targets,
//! logical-signature modifiers, target description keys and PCRE
//! flags, the hash formats (whole-file and PE-section), allow-lists and
//! the ignore list, checked against clamscan on files made to hit their
//! edges (skipped when clamscan is not installed). The cases come from
//! probing clamscan 1.4; where ClamAV behaves surprisingly (a bare CR
//! is no line boundary, `(B)` at the start of a pattern does not accept
//! LF, a PCRE counts once without `g`, normalized text is scanned with
//! target-0 signatures too), the test pins it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod common;

use rampart_av_sigscan::{LoadOptions, Loader, ScanOptions};

const NDB: &str = "\
C.B.Mid:0:*:6162(B)6364
C.L.Mid:0:*:6162(L)6364
C.W.Mid:0:*:6162(W)6364
C.B.Edges:0:*:(B)776f7264(B)
C.L.Edges:0:*:(L)6c696e65(L)
C.W.Edges:0:*:(W)777777(W)
C.NegB.Left:0:*:!(B)78797a31
C.NegB.Mid:0:*:7071!(B)7273
C.Range.Right:0:*:a1a2a3[1-3]a4
C.Range.Left:0:*:b1[2-4]b2b3b4
C.Range.Both:0:*:c1[0-2]c2c3c4[1-2]c5
C.NibbleAlt:0:*:d1d2(e?|f?)d3d4
C.NegAlt:0:*:e1e2!(e3e4|e5e6)e7e8
C.VarAlt:0:*:f1f2(aa|bbcc|dd)f3f4
C.Gaps:0:*:1a1b{2}1c1d{-3}1e1f{2-}2a2b{1-4}2c2d*2e2f
C.Abs:0:12:3a3b3c3d
C.Float:0:10,6:4a4b4c4d
C.Eof:0:EOF-9:5a5b5c5d
C.EofFloat:0:EOF-12,4:6a6b6c6d
C.Text:7:*:68656c6c6f20776f726c64
C.AnyInText:0:*:6e6f726d616c697a6564207465787420
C.Mail:4:*:6d61696c206f6e6c79
C.Pe.Ep:1:EP+0:e9aabbccdd
C.Pe.EpMinus:1:EP-4:50455045e9
C.Pe.Section:1:S1+8:7e7e7e7e
C.Pe.SectionAll:1:SE0:5d5d5d5d
C.Pe.Last:1:SL+2:6c6c6c6c
C.Ignored:0:*:69676e6f726564206e616d65
C.Uu:0:0:7575656e636f646564207061796c6f61642c207363616e6e6564
C.Tnef:0:0:746e656620617474616368656420706179
C.Cpio:0:0:6370696f206d656d626572207061796c6f6164
C.DataUri:0:0:736d7567676c656420696e2068746d6c2c206465636f6465
";

const LDB: &str = "\
L.Nocase;Engine:51-255,Target:0;0;4d6978656443617365::i
L.Wide;Engine:51-255,Target:0;0;776964652d6f6e6c79::w
L.WideAscii;Engine:51-255,Target:0;0;626f74682d666f726d73::wa
L.Full;Engine:51-255,Target:0;0;66756c6c776f7264::f
L.WideFull;Engine:51-255,Target:0;0;77667764::wf
L.Twice;Engine:51-255,Target:0;0>1;74776963652d6d65
L.Exactly2;Engine:51-255,Target:0;0=2;6578616374
L.Distinct;Engine:51-255,Target:0;(0|1|2)>1,2;6f6e652d;74776f2d;74687265652d
L.SubOffset;Engine:51-255,Target:0;0&1;9:61626364;efefefef
L.FileSize;Engine:51-255,Target:0,FileSize:20-40;0;73697a6564
L.Pcre.Once;Engine:81-255,Target:0;0&1>1;7063726531;0/x[0-9]y/
L.Pcre.Global;Engine:81-255,Target:0;0&1>1;7063726532;0/x[0-9]y/g
L.Pcre.Rolling;Engine:81-255,Target:0;0&1;7063726533;30:0/x[0-9]y/r
L.Pcre.Encompass;Engine:81-255,Target:0;0&1;7063726534;20,6:0/x[0-9]y/e
L.Pcre.Dollar;Engine:81-255,Target:0;0&1;7063726535;0/zz$/
L.Pcre.DollarEnd;Engine:81-255,Target:0;0&1;7063726536;0/qq$/E
L.Pcre.Anchored;Engine:81-255,Target:0;0&1;7063726537;0/abc/A
L.Pcre.Nocase;Engine:81-255,Target:0;0&1;7063726538;0/CASE[0-9]/i
L.Pe.Tdb;Engine:51-255,Target:1,NumberOfSections:2-2;0;7e7e7e7e
L.Pe.EntryPoint;Engine:51-255,Target:1,EntryPoint:1040-1040;0;7e7e7e7e
L.Pe.EntryPointMiss;Engine:51-255,Target:1,EntryPoint:1-1039;0;7e7e7e7e
";

/// Eight NUL bytes make a file binary to ClamAV's text test.
fn bin(body: &[u8]) -> Vec<u8> {
    [&[0u8; 8][..], body].concat()
}

/// A small PE: file alignment 0x200, two sections at 0x200 and 0x400
/// (or, `unaligned`, at 0x200 and 0x300, which ClamAV aligns down), the
/// entry point at RVA 0x2010 in the second.
fn pe_with(unaligned: bool, patch: &[(usize, &[u8])]) -> Vec<u8> {
    let second = if unaligned { 0x300u32 } else { 0x400 };
    let mut d = vec![0u8; 0x600];
    d[0..2].copy_from_slice(b"MZ");
    d[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    d[0x80..0x84].copy_from_slice(b"PE\0\0");
    d[0x84..0x86].copy_from_slice(&0x14cu16.to_le_bytes());
    d[0x86..0x88].copy_from_slice(&2u16.to_le_bytes());
    d[0x94..0x96].copy_from_slice(&0xe0u16.to_le_bytes());
    d[0x96..0x98].copy_from_slice(&0x0102u16.to_le_bytes());
    let opt = 0x98;
    d[opt..opt + 2].copy_from_slice(&0x10bu16.to_le_bytes());
    d[opt + 16..opt + 20].copy_from_slice(&0x2010u32.to_le_bytes());
    d[opt + 32..opt + 36].copy_from_slice(&0x1000u32.to_le_bytes());
    d[opt + 36..opt + 40].copy_from_slice(&0x200u32.to_le_bytes());
    d[opt + 56..opt + 60].copy_from_slice(&0x3000u32.to_le_bytes());
    d[opt + 60..opt + 64].copy_from_slice(&0x200u32.to_le_bytes());
    d[opt + 68..opt + 70].copy_from_slice(&2u16.to_le_bytes());
    d[opt + 92..opt + 96].copy_from_slice(&16u32.to_le_bytes());
    let table = opt + 0xe0;
    for (i, (rva, off)) in [(0x1000u32, 0x200u32), (0x2000, second)].iter().enumerate() {
        let h = table + i * 40;
        d[h..h + 5].copy_from_slice(b".sect");
        d[h + 8..h + 12].copy_from_slice(&0x200u32.to_le_bytes());
        d[h + 12..h + 16].copy_from_slice(&rva.to_le_bytes());
        d[h + 16..h + 20].copy_from_slice(&0x200u32.to_le_bytes());
        d[h + 20..h + 24].copy_from_slice(&off.to_le_bytes());
        d[h + 36..h + 40].copy_from_slice(&0x6000_0020u32.to_le_bytes());
    }
    for (at, b) in patch {
        d[*at..*at + b.len()].copy_from_slice(b);
    }
    d
}

fn pe(patch: &[(usize, &[u8])]) -> Vec<u8> {
    pe_with(false, patch)
}

fn files() -> Vec<(String, Vec<u8>)> {
    let mut f: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, data: Vec<u8>| f.push((name.to_string(), data));
    // Classes inside a pattern.
    for (i, mid) in [
        &b" "[..],
        b"\n",
        b"\r",
        b"\r\n",
        b".",
        b",",
        b"_",
        b"\"",
        b"@",
        b"x",
    ]
    .iter()
    .enumerate()
    {
        add(&format!("mid-{i}"), bin(&[b"QQab", *mid, b"cdQQ"].concat()));
    }
    // Classes at the edges.
    for (i, (l, r)) in [
        (" ", " "),
        ("\n", "\n"),
        ("_", "_"),
        ("-", "-"),
        (".", "."),
        ("@", "\""),
        ("<", ">"),
        ("'", "'"),
        (",", ","),
        ("\r", "\r"),
    ]
    .iter()
    .enumerate()
    {
        let body = format!("QQQ{l}word{r}QQ {l}www{r} x{l}line{r}y");
        add(&format!("edge-{i}"), bin(body.as_bytes()));
    }
    add("edge-crlf", bin(b"x\r\nline\r\nz"));
    add("edge-start", b"word here, and more".to_vec());
    add("neg-b", bin(b"Axyz1 pq rs pqArs"));
    add("neg-b-miss", bin(b" xyz1 pq rs"));
    // [x-y] ranges.
    add("range-right", bin(b"\xa1\xa2\xa3..\xa4"));
    add("range-right-miss", bin(b"\xa1\xa2\xa3....\xa4"));
    add("range-left", bin(b"\xb1...\xb2\xb3\xb4"));
    add("range-left-miss", bin(b"\xb1.\xb2\xb3\xb4"));
    add("range-both", bin(b"\xc1\xc2\xc3\xc4.\xc5"));
    // Alternatives.
    add("nibble-alt", bin(b"\xd1\xd2\xe7\xd3\xd4"));
    add("nibble-alt-miss", bin(b"\xd1\xd2\x17\xd3\xd4"));
    add("neg-alt", bin(b"\xe1\xe2\xe3\xe5\xe7\xe8"));
    add("neg-alt-miss", bin(b"\xe1\xe2\xe5\xe6\xe7\xe8"));
    add(
        "var-alt",
        bin(b"\xf1\xf2\xbb\xcc\xf3\xf4 \xf1\xf2\xbb\xf3\xf4"),
    );
    // Gaps.
    add(
        "gaps",
        bin(b"\x1a\x1b..\x1c\x1d.\x1e\x1f.....\x2a\x2b...\x2c\x2d~~~~~~~~\x2e\x2f"),
    );
    add(
        "gaps-miss",
        bin(b"\x1a\x1b..\x1c\x1d.....\x1e\x1f.....\x2a\x2b...\x2c\x2d\x2e\x2f"),
    );
    // Offsets: 8 NULs, then the body.
    add("abs", bin(b"....:;<=......"));
    add("abs-miss", bin(b".....:;<=....."));
    add("float", bin(b"......JKLM......"));
    add("float-miss", bin(b".........JKLM...."));
    add("eof", bin(b"..........Z[\\]....."));
    add("eof-miss", bin(b"..........Z[\\]......"));
    add("eof-float", bin(b"..........jklm......"));
    // Text and its normalization.
    add("text-upper.txt", b"Say HELLO    World now\n".to_vec());
    add("text-lower.txt", b"say hello world now\n".to_vec());
    add(
        "text-norm.txt",
        b"Only NORMALIZED\r\n\tTEXT here\n".to_vec(),
    );
    add("text-in-binary", bin(b"HELLO  World NORMALIZED  TEXT "));
    add(
        "text-html.txt",
        b"<html><body>HELLO   World</body></html>\n".to_vec(),
    );
    // Mail: raw mail only for target 4.
    add(
        "mail.eml",
        b"From: a@example.com\nSubject: t\n\nthis is mail only text\n".to_vec(),
    );
    add("not-mail.txt", b"here is mail only text too\n".to_vec());
    add(
        "mail-b64.eml",
        b"From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b\"\n\n\
          --b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n\
          AAAAAAAAAABtYWlsIG9ubHkgaW4gYXR0YWNobWVudCBIRUxMTyBXT1JMRA==\n--b--\n"
            .to_vec(),
    );
    // uuencoded attachments: a part so encoded, and a block pasted
    // into a plain-text body.
    let uu = "begin 644 payload.txt\n\
              K=75E;F-O9&5D('!A>6QO860L('-C86YN960@87,@86X@871T86-H;65N=```\n\
              `\nend\n";
    add(
        "mail-uu.eml",
        format!(
            "From: a@example.com\nMIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
             Content-Type: text/plain\n\nsee attached\n--b\n\
             Content-Type: application/octet-stream; name=\"payload.txt\"\n\
             Content-Transfer-Encoding: x-uuencode\n\n{uu}--b--\n"
        )
        .into_bytes(),
    );
    add(
        "mail-uu-text.eml",
        format!("From: a@example.com\nSubject: t\n\nhere it is:\n\n{uu}\nbye\n").into_bytes(),
    );
    // A data: URI in HTML, alone and in a mail's HTML part; and one
    // that is not in an attribute.
    let smuggled = "<html><body><a href=\"data:application/octet-stream;base64,c211Z2dsZWQgaW4gaHRtbCwgZGVjb2RlZCBhbmQgc2Nhbm5lZA==\" \
                    download>x</a></body></html>\n";
    add("smuggle.html", smuggled.as_bytes().to_vec());
    add(
        "mail-html.eml",
        format!(
            "From: a@example.com\nMIME-Version: 1.0\n\
             Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n\
             Content-Type: text/plain\n\nhi\n--b\n\
             Content-Type: text/html\n\n{smuggled}--b--\n"
        )
        .into_bytes(),
    );
    add(
        "html-text.html",
        b"<html><body>the text data:;base64,c211Z2dsZWQgaW4gaHRtbCwgZGVjb2RlZCBhbmQgc2Nhbm5lZA== here</body></html>\n".to_vec(),
    );
    // cpio: newc, odc and the old binary format (little-endian).
    let payload: &[u8] = b"cpio member payload";
    let mut newc = b"070701".to_vec();
    for v in [1, 0o100644, 0, 0, 1, 0, payload.len(), 0, 0, 0, 0, 6, 0] {
        newc.extend_from_slice(format!("{v:08X}").as_bytes());
    }
    newc.extend_from_slice(b"m.bin\0");
    newc.resize(newc.len().next_multiple_of(4), 0);
    newc.extend_from_slice(payload);
    newc.resize(newc.len().next_multiple_of(4), 0);
    newc.extend_from_slice(b"07070100000000000000000000000000000000000000010000000000000000");
    newc.extend_from_slice(b"000000000000000000000000000000000000000B00000000TRAILER!!!\0\0\0\0");
    add("newc.cpio", newc);
    let mut odc = format!(
        "070707000000000001100644000000000000000001000000{:011o}000006{:011o}m.bin\0",
        0,
        payload.len()
    )
    .into_bytes();
    odc.extend_from_slice(payload);
    add("odc.cpio", odc);
    let mut old = Vec::new();
    let n = payload.len() as u16;
    for w in [0o070707u16, 0, 1, 0o100644, 0, 0, 1, 0, 0, 0, 6, 0, n] {
        old.extend_from_slice(&w.to_le_bytes());
    }
    old.extend_from_slice(b"m.bin\0");
    old.extend_from_slice(payload);
    add("old.cpio", old);
    // TNEF (winmail.dat), alone and as a mail attachment.
    let winmail = tnef(&[b"tnef attached payload"]);
    add("winmail.dat", winmail.clone());
    add(
        "mail-tnef.eml",
        format!(
            "From: a@example.com\nMIME-Version: 1.0\n\
             Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\
             Content-Type: text/plain\n\nsee attached\n--b\n\
             Content-Type: application/ms-tnef; name=\"winmail.dat\"\n\
             Content-Transfer-Encoding: base64\n\n{}\n--b--\n",
            base64(&winmail)
        )
        .into_bytes(),
    );
    // PE offsets and section hashes.
    add(
        "pe",
        pe(&[
            (0x410, b"\xe9\xaa\xbb\xcc\xdd"),
            (0x40c, b"PEPE"),
            (0x408, b"~~~~"),
            (0x204, b"]]]]"),
            (0x402, b"llll"),
        ]),
    );
    add(
        "pe-miss",
        pe(&[(0x411, b"\xe9\xaa\xbb\xcc\xdd"), (0x409, b"~~~~")]),
    );
    let unaligned: &[(usize, &[u8])] = &[
        (0x310, b"\xe9\xaa\xbb\xcc\xdd"),
        (0x210, b"\xe9\xaa\xbb\xcc\xdd"),
        (0x308, b"~~~~"),
        (0x302, b"llll"),
    ];
    add("pe-unaligned", pe_with(true, unaligned));
    let mut not_pe = pe(&[(0x410, b"\xe9\xaa\xbb\xcc\xdd")]);
    not_pe[0x80] = b'X';
    add("not-pe", not_pe);
    // Logical signatures.
    add("ldb-nocase", bin(b"..mIxEdCaSe.."));
    add("ldb-wide", bin(b"w\0i\0d\0e\0-\0o\0n\0l\0y\0 wide-only"));
    add("ldb-wide-only", bin(b"..wide-only.."));
    add("ldb-both", bin(b"b\0o\0t\0h\0-\0f\0o\0r\0m\0s\0"));
    add("ldb-both-ascii", bin(b"..both-forms.."));
    add("ldb-full", bin(b"..fullword.. a fullwordy"));
    add("ldb-full-miss", bin(b"..afullword.."));
    add("ldb-wide-full", bin(b"-\0w\0f\0w\0d\0 \0"));
    add("ldb-wide-full-miss", bin(b"a\0w\0f\0w\0d\0 \0"));
    add("ldb-twice", bin(b"twice-me twice-me"));
    add("ldb-once", bin(b"twice-me"));
    add("ldb-exact2", bin(b"exact exact"));
    add("ldb-exact3", bin(b"exact exact exact"));
    add("ldb-distinct", bin(b"one- two- one-"));
    add("ldb-distinct-miss", bin(b"one- one- one-"));
    add("ldb-suboffset", bin(b".abcd\xef\xef\xef\xef"));
    add("ldb-suboffset-miss", bin(b"..abcd\xef\xef\xef\xef"));
    add("ldb-size", bin(b"sized and small"));
    add(
        "ldb-size-miss",
        bin(b"sized and more than forty bytes long, quite"),
    );
    add("ldb-tdb", pe(&[(0x208, b"~~~~")]));
    // PCRE.
    add("pcre-once", bin(b"pcre1 x1y x2y"));
    add("pcre-global", bin(b"pcre2 x1y x2y"));
    add("pcre-global-miss", bin(b"pcre2 x1y"));
    add("pcre-rolling", bin(b"pcre3 ................x1y"));
    add("pcre-encompass", bin(b"pcre4 ......x1y"));
    add("pcre-encompass-miss", bin(b"pcre4 ..........x1y"));
    add("pcre-dollar", bin(b"pcre5 zz\n"));
    add("pcre-dollar-end", bin(b"pcre6 qq\n"));
    add("pcre-dollar-end-hit", bin(b"pcre6 qq"));
    add("pcre-anchored", bin(b"pcre7 abc"));
    add("pcre-nocase", bin(b"pcre8 case7"));
    // Hashes, allow-lists and the ignore list (see `hash_dbs`).
    add("hash-md5", bin(b"whole file md5"));
    add("hash-sha1", bin(b"whole file sha1"));
    add("hash-sha256-star", bin(b"whole file sha256, any size"));
    add("allowed-fp", bin(b"\xa1\xa2\xa3..\xa4 fp"));
    add("allowed-sfp", bin(b"\xa1\xa2\xa3..\xa4 sfp"));
    add("ignored", bin(b"an ignored name"));
    // Small files are not scanned.
    add("tiny", b"abcd".to_vec());
    f
}

/// A TNEF stream: a message class, then each file as an attachment
/// (title and data attributes).
fn tnef(files: &[&[u8]]) -> Vec<u8> {
    let attr = |out: &mut Vec<u8>, level: u8, id: u32, data: &[u8]| {
        out.push(level);
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
        let sum = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
        out.extend_from_slice(&sum.to_le_bytes());
    };
    let mut out = b"\x78\x9f\x3e\x22\x01\x00".to_vec();
    attr(&mut out, 1, 0x0001_9006, &[0xe4, 0x04]);
    attr(&mut out, 1, 0x0007_8008, b"IPM.Microsoft Mail.Note\0");
    for f in files {
        attr(&mut out, 2, 0x0002_9002, &[1, 0, 0, 0]);
        attr(&mut out, 2, 0x0001_8010, b"payload.bin\0");
        attr(&mut out, 2, 0x0006_800f, f);
    }
    out
}

/// Base64 in lines of 76.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for (i, g) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            s.push('\n');
        }
        let b = [g[0], *g.get(1).unwrap_or(&0), *g.get(2).unwrap_or(&0)];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= g.len() {
                s.push(char::from(A[(n >> (18 - 6 * k)) as usize & 63]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash databases for some of `files`: PE section hashes of `pe`
/// (`.mdb` MD5, `.msb` SHA1 and SHA256, a fixed size and `*`), whole
/// file hashes (`.hdb`, `.hsb` SHA1 and SHA256 with `*`), an allow-list
/// entry in each of `.fp` (MD5) and `.sfp` (SHA256), and an ignore
/// list (`.ign2`).
fn hash_dbs(files: &[(String, Vec<u8>)]) -> Vec<(&'static str, String)> {
    use md5::Digest;
    let get = |n: &str| &files.iter().find(|f| f.0 == n).expect(n).1;
    let md5 = |d: &[u8]| hex(md5::Md5::digest(d));
    let sha1 = |d: &[u8]| hex(sha1::Sha1::digest(d));
    let sha256 = |d: &[u8]| hex(sha2::Sha256::digest(d));
    let pe = get("pe");
    let (s1, s2) = (&pe[0x200..0x400], &pe[0x400..0x600]);
    let file = |n: &str, h: &dyn Fn(&[u8]) -> String, name: &str| {
        let d = get(n);
        format!("{}:{}:{name}\n", h(d), d.len())
    };
    vec![
        (
            "c.mdb",
            format!("512:{}:H.Mdb.S1\n*:{}:H.Mdb.Star:73\n", md5(s1), md5(s2)),
        ),
        (
            "c.msb",
            format!(
                "512:{}:H.Msb.Sha1\n512:{}:H.Msb.Sha256\n",
                sha1(s2),
                sha256(s1)
            ),
        ),
        ("c.hdb", file("hash-md5", &md5, "H.Hdb")),
        (
            "c.hsb",
            file("hash-sha1", &sha1, "H.Hsb.Sha1")
                + &format!("{}:*:H.Hsb.Star:73\n", sha256(get("hash-sha256-star"))),
        ),
        ("c.fp", file("allowed-fp", &md5, "Allow.Fp")),
        ("c.sfp", file("allowed-sfp", &sha256, "Allow.Sfp")),
        ("c.ign2", "C.Ignored\n".to_string()),
    ]
}

/// Our scan of every file with every database in `dir/db`.
fn ours(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut l = Loader::new(LoadOptions::default());
    let mut dbs: Vec<_> = std::fs::read_dir(dir.join("db"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dbs.sort();
    for p in dbs {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        l.add(&name, &std::fs::read(&p).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let db = l.compile().expect("compiles");
    let opts = ScanOptions {
        all_matches: true,
        ..ScanOptions::default()
    };
    files()
        .into_iter()
        .map(|(name, data)| {
            let r = db.scan(&data, &opts);
            let set = r.detections.iter().map(|d| d.name.to_string()).collect();
            (name, set)
        })
        .collect()
}

#[test]
fn constructs_match_clamscan() {
    let dir = std::env::temp_dir().join(format!("av-constructs-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("db")).unwrap();
    std::fs::create_dir_all(dir.join("files")).unwrap();
    std::fs::write(dir.join("db/c.ndb"), NDB).unwrap();
    std::fs::write(dir.join("db/c.ldb"), LDB).unwrap();
    for (name, text) in hash_dbs(&files()) {
        std::fs::write(dir.join("db").join(name), text).unwrap();
    }
    for (name, data) in files() {
        std::fs::write(dir.join("files").join(name), data).unwrap();
    }
    let got = ours(&dir);
    let theirs = common::clamscan(&dir);
    std::fs::remove_dir_all(&dir).ok();
    let found: usize = got.values().map(BTreeSet::len).sum();
    assert!(found > 40, "only {found} detections: {got:?}");
    // A few that must be there, clamscan or not.
    for (file, name) in [
        ("pe", "C.Pe.Ep"),
        ("pe", "C.Pe.EpMinus"),
        ("pe", "C.Pe.Section"),
        ("pe", "C.Pe.SectionAll"),
        ("pe", "C.Pe.Last"),
        ("ldb-tdb", "L.Pe.Tdb"),
        ("pe", "L.Pe.EntryPoint"),
        ("text-upper.txt", "C.Text"),
        ("text-norm.txt", "C.AnyInText"),
        ("mail.eml", "C.Mail"),
        ("pcre-global", "L.Pcre.Global"),
        ("ldb-wide-full", "L.WideFull"),
        ("range-both", "C.Range.Both"),
        ("range-right", "C.Range.Right"),
        ("pe", "H.Mdb.S1"),
        ("pe", "H.Mdb.Star"),
        ("pe", "H.Msb.Sha1"),
        ("pe", "H.Msb.Sha256"),
        ("hash-md5", "H.Hdb"),
        ("hash-sha1", "H.Hsb.Sha1"),
        ("hash-sha256-star", "H.Hsb.Star"),
        ("mail-uu.eml", "C.Uu"),
        ("mail-uu-text.eml", "C.Uu"),
        ("winmail.dat", "C.Tnef"),
        ("mail-tnef.eml", "C.Tnef"),
        ("smuggle.html", "C.DataUri"),
        ("newc.cpio", "C.Cpio"),
        ("odc.cpio", "C.Cpio"),
        ("old.cpio", "C.Cpio"),
        ("mail-html.eml", "C.DataUri"),
    ] {
        assert!(
            got[file].contains(name),
            "{file}: {name} missing from {:?}",
            got[file]
        );
    }
    assert!(!got["pe"].contains("L.Pe.EntryPointMiss"));
    // Allow-listed and ignored: nothing, though a signature matches.
    for file in ["allowed-fp", "allowed-sfp", "ignored"] {
        assert!(got[file].is_empty(), "{file}: {:?}", got[file]);
    }
    let Some(theirs) = theirs else {
        common::skipped_without_clamscan();
        return;
    };
    let mut diffs = Vec::new();
    for (file, mine) in &got {
        let t = theirs.get(file).cloned().unwrap_or_default();
        if &t != mine {
            diffs.push(format!("{file}: clamscan {t:?}, rampart {mine:?}"));
        }
    }
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}
