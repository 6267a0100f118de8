//! Crate-level tests: loading, scanning and the naive-oracle property
//! test of the matcher.

use proptest::prelude::*;

use crate::pattern::{ByteTest, Elem, Pattern};
use crate::{LoadOptions, Loader, ScanOptions};

fn db(files: &[(&str, &str)]) -> crate::Database {
    let mut l = Loader::new(LoadOptions::default());
    for (name, text) in files {
        l.add(name, text.as_bytes()).unwrap();
    }
    l.compile().unwrap()
}

fn names(db: &crate::Database, data: &[u8]) -> Vec<String> {
    let opts = ScanOptions {
        all_matches: true,
        ..ScanOptions::default()
    };
    let mut v: Vec<String> = db
        .scan(data, &opts)
        .detections
        .iter()
        .map(|d| d.name.to_string())
        .collect();
    v.sort();
    v
}

/// Scans `data` through the streaming scanner, cut at `cuts`.
fn stream_names(db: &crate::Database, data: &[u8], cuts: &[usize]) -> Vec<String> {
    let opts = ScanOptions {
        all_matches: true,
        ..ScanOptions::default()
    };
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(data.len())).collect();
    cuts.sort_unstable();
    let mut s = db.stream(&opts);
    let mut at = 0;
    for c in cuts.into_iter().chain([data.len()]) {
        s.write(&data[at..c]);
        at = c;
    }
    let mut v: Vec<String> = s
        .finish()
        .detections
        .iter()
        .map(|d| d.name.to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn body_offsets_table() {
    let d = db(&[(
        "t.ndb",
        "Any:0:*:6162636465\nAbs:0:2:6162636465\nFloat:0:0,3:6162636465\n\
         Eof:0:EOF-7:6162636465\nFar:0:100:6162636465\n",
    )]);
    assert_eq!(names(&d, b"..abcde.."), ["Abs", "Any", "Eof", "Float"]);
    assert_eq!(names(&d, b"....abcde"), ["Any"]);
}

#[test]
fn hashes_and_allow_list() {
    let eicar: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    let md5 = "44d88612fea8a8f36de82e1278abb02f";
    let sha256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
    let d = db(&[
        ("a.hdb", &format!("{md5}:68:Eicar.Md5\n")),
        ("a.hsb", &format!("{sha256}:*:Eicar.Sha:73\n")),
    ]);
    assert_eq!(names(&d, eicar), ["Eicar.Md5", "Eicar.Sha"]);
    let d = db(&[
        ("a.hdb", &format!("{md5}:68:Eicar.Md5\n")),
        ("a.fp", &format!("{md5}:68:Ok\n")),
    ]);
    assert!(names(&d, eicar).is_empty());
}

#[test]
fn ignore_list() {
    let d = db(&[
        ("a.ndb", "Keep:0:*:6162636465\nDrop:0:*:6263646566\n"),
        ("a.ign2", "Drop\n"),
    ]);
    assert_eq!(names(&d, b"abcdef"), ["Keep"]);
}

#[test]
fn logical_signatures() {
    let d = db(&[(
        "a.ldb",
        "L.And;Engine:51-255,Target:0;0&1;616263;78797a::i\n\
         L.Twice;Engine:51-255,Target:0;0>1;717171\n\
         L.Wide;Engine:51-255,Target:0;0;77696465::w\n\
         L.Pcre;Engine:81-255,Target:0;0&1;6b6b6b;0/x[0-9]+y/\n",
    )]);
    assert_eq!(names(&d, b"abc XYZ"), ["L.And"]);
    assert!(names(&d, b"abc").is_empty());
    assert_eq!(names(&d, b"qqq qqq"), ["L.Twice"]);
    assert!(names(&d, b"qqq").is_empty());
    assert_eq!(names(&d, b"w\0i\0d\0e\0"), ["L.Wide"]);
    assert!(names(&d, b"wide").is_empty());
    assert_eq!(names(&d, b"kkk x123y"), ["L.Pcre"]);
    assert!(names(&d, b"kkk xy").is_empty());
}

#[test]
fn targets_pe_and_mail() {
    let d = db(&[(
        "a.ndb",
        "Pe.Ep:1:EP+0:e8000000\nMail.Only:4:*:6576696c20737472696e67\n",
    )]);
    let mut pe = crate::pe::tests::tiny_pe();
    pe[0x310..0x314].copy_from_slice(&[0xe8, 0, 0, 0]);
    assert_eq!(names(&d, &pe), ["Pe.Ep"]);
    let mut not_pe = pe.clone();
    not_pe[0] = b'X';
    assert!(names(&d, &not_pe).is_empty());
    let mail = b"From: a@example.com\nSubject: hi\n\nan evil string\n";
    assert_eq!(names(&d, mail), ["Mail.Only"]);
    assert!(names(&d, b"plain text with an evil string").is_empty());
}

#[test]
fn mail_parts_are_decoded() {
    let d = db(&[(
        "a.ndb",
        "Payload:0:0:7061796c6f6164\nMail.Raw:4:*:7061796c6f6164\n",
    )]);
    // "payload" at offset 0 of a base64 attachment.
    let mail = "From: a@example.com\nTo: b@example.com\nSubject: x\nMIME-Version: 1.0\n\
        Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n\
        hello\n--b\nContent-Type: application/octet-stream\n\
        Content-Transfer-Encoding: base64\n\ncGF5bG9hZCBkYXRh\n--b--\n";
    assert_eq!(names(&d, mail.as_bytes()), ["Payload"]);
    let opts = ScanOptions {
        mail: false,
        ..ScanOptions::default()
    };
    assert!(d.scan(mail.as_bytes(), &opts).is_clean());
}

fn zip_stored(name: &str, data: &[u8]) -> Vec<u8> {
    // A one-member stored zip without a central directory: the reader
    // falls back to local headers. The CRC is not checked.
    let mut z = b"PK\x03\x04".to_vec();
    z.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&(data.len() as u32).to_le_bytes());
    z.extend_from_slice(&(name.len() as u16).to_le_bytes());
    z.extend_from_slice(&[0, 0]);
    z.extend_from_slice(name.as_bytes());
    z.extend_from_slice(data);
    z
}

#[test]
fn archives_and_limits() {
    use std::io::Write;
    let d = db(&[("a.ndb", "Inner:0:0:7061796c6f6164\n")]);
    let payload = b"payload at the start";
    let zip = zip_stored("a.bin", payload);
    assert_eq!(names(&d, &zip), ["Inner"]);
    // A split or spanned archive's marker before the first local header
    // (ClamAV's `clam.split.oneseg.zip`).
    for marker in [b"PK\x07\x08", b"PK00"] {
        let spanned = [&marker[..], &zip].concat();
        assert_eq!(names(&d, &spanned), ["Inner"]);
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&crate::tar::tests::one_file("x", payload))
        .unwrap();
    let tgz = gz.finish().unwrap();
    assert_eq!(names(&d, &tgz), ["Inner"]);
    // Depth limit: zip in zip in zip with max_depth 2.
    let nested = zip_stored("b.zip", &zip_stored("c.zip", &zip));
    let mut opts = ScanOptions {
        all_matches: true,
        ..ScanOptions::default()
    };
    opts.limits.max_depth = 2;
    let r = d.scan(&nested, &opts);
    assert_eq!(
        r.detections[0].name,
        "Heuristics.Limits.Exceeded.MaxRecursion"
    );
    // A gzip bomb stops at the file-size limit, with bounded memory.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    let bomb = gz.finish().unwrap();
    let mut opts = ScanOptions::default();
    opts.limits.max_file_size = 8 << 20;
    let r = d.scan(&bomb, &opts);
    assert_eq!(
        r.detections[0].name,
        "Heuristics.Limits.Exceeded.MaxFileSize"
    );
}

// ---- naive oracle -------------------------------------------------------

/// Backtracking reference matcher: does `elems` match at `pos`?
fn naive(elems: &[Elem], data: &[u8], pos: usize, nocase: bool) -> bool {
    let Some((e, rest)) = elems.split_first() else {
        return true;
    };
    let fold = |b: u8| if nocase { b.to_ascii_lowercase() } else { b };
    let test_seq = |at: usize, seq: &[ByteTest]| {
        at + seq.len() <= data.len()
            && seq
                .iter()
                .enumerate()
                .all(|(i, t)| fold(data[at + i]) & t.mask == t.value)
    };
    match e {
        Elem::Lit(v) => {
            pos + v.len() <= data.len()
                && v.iter().enumerate().all(|(i, &b)| fold(data[pos + i]) == b)
                && naive(rest, data, pos + v.len(), nocase)
        }
        Elem::Byte(t) => test_seq(pos, &[*t]) && naive(rest, data, pos + 1, nocase),
        Elem::Gap { min, max } => {
            let hi = max.map_or(data.len(), |m| pos + m as usize);
            (pos + *min as usize..=hi.min(data.len())).any(|p| naive(rest, data, p, nocase))
        }
        Elem::Alt(alts) => alts
            .iter()
            .any(|a| test_seq(pos, a) && naive(rest, data, pos + a.len(), nocase)),
        Elem::NegAlt(alts) => {
            let l = alts[0].len();
            pos + l <= data.len()
                && !alts
                    .iter()
                    .any(|a| a.iter().enumerate().all(|(i, &b)| fold(data[pos + i]) == b))
                && naive(rest, data, pos + l, nocase)
        }
        Elem::Class { .. } | Elem::Look { .. } => unreachable!("not generated"),
    }
}

/// Random signatures over a 3-letter alphabet, so that matches happen.
fn sig_strategy() -> impl Strategy<Value = String> {
    let byte = prop::sample::select(vec!["61", "62", "63"]);
    // Runs of 2 to 9 bytes: short anchors and q-gram anchors of every
    // stride.
    let lit = prop::collection::vec(byte.clone(), 2..10).prop_map(|v| v.concat());
    let special = prop_oneof![
        Just("??".to_string()),
        Just("6?".to_string()),
        Just("*".to_string()),
        (0u32..3, 0u32..4).prop_map(|(n, k)| format!("{{{n}-{}}}", n + k)),
        (1u32..4).prop_map(|n| format!("{{{n}}}")),
        (1u32..4).prop_map(|n| format!("{{-{n}}}")),
        (0u32..3).prop_map(|n| format!("{{{n}-}}")),
        Just("(61|6262)".to_string()),
        Just("(63|??62)".to_string()),
        Just("!(61|62)".to_string()),
    ];
    (lit.clone(), prop::collection::vec((special, lit), 0..3)).prop_map(|(first, rest)| {
        let mut s = first;
        for (sp, l) in rest {
            s.push_str(&sp);
            s.push_str(&l);
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// The anchored, compiled scanner agrees with the naive matcher on
    /// whether a signature matches anywhere, and at a given offset.
    #[test]
    fn scanner_agrees_with_naive(
        sig in sig_strategy(),
        data in prop::collection::vec(prop::sample::select(b"abcd".to_vec()), 6..48),
        at in 0usize..8,
        back in 3usize..20,
        nocase in any::<bool>(),
        cuts in prop::collection::vec(0usize..48, 0..4),
    ) {
        let Ok(mut p) = Pattern::parse_min(&sig, 3) else { return Ok(()) };
        let data: Vec<u8> = if nocase {
            data.iter().enumerate().map(|(i, &b)| if i % 2 == 0 { b.to_ascii_uppercase() } else { b }).collect()
        } else { data };
        if nocase { p.make_nocase(); }
        let anywhere = (0..=data.len()).any(|s| naive(&p.elems, &data, s, nocase));
        let exact = naive(&p.elems, &data, at, nocase);
        let eof = back <= data.len() && naive(&p.elems, &data, data.len() - back, nocase);
        let m = if nocase { "::i" } else { "" };
        let text = format!(
            "Any;Engine:51-255,Target:0;0;{sig}{m}\n\
             At;Engine:51-255,Target:0;0;{at}:{sig}{m}\n\
             Eof;Engine:51-255,Target:0;0;EOF-{back}:{sig}{m}\n"
        );
        let mut l = Loader::new(LoadOptions::default());
        l.add("p.ldb", text.as_bytes()).unwrap();
        let d = l.compile().unwrap();
        let got = names(&d, &data);
        let shown = String::from_utf8_lossy(&data);
        prop_assert_eq!(got.contains(&"Any".to_string()), anywhere, "sig {} data {:?}", sig, shown);
        prop_assert_eq!(got.contains(&"At".to_string()), exact, "sig {} at {} data {:?}", sig, at, shown);
        prop_assert_eq!(got.contains(&"Eof".to_string()), eof, "sig {} EOF-{} data {:?}", sig, back, shown);
        // The streaming scanner, fed in pieces, finds the same.
        prop_assert_eq!(stream_names(&d, &data, &cuts), got, "sig {} cuts {:?}", sig, cuts);
    }
}

#[test]
fn classes() {
    let d = db(&[("a.ndb", "W:0:*:(B)776f7264(B)\n")]);
    assert_eq!(names(&d, b"a word here"), ["W"]);
    assert_eq!(names(&d, b"word\n.."), ["W"]);
    // As clamscan, files of 5 bytes or fewer are not scanned.
    assert!(names(&d, b"word").is_empty());
    assert!(names(&d, b"swordfish").is_empty());
}

#[test]
fn database_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<crate::Database>();
}

/// Large files through the streaming scanner: matches across chunk
/// boundaries, far-apart stages of a `*` signature, `EOF-n` and absolute
/// offsets past the first window, with every chunk size.
#[test]
fn stream_windows_agree_with_whole_scans() {
    let d = db(&[
        (
            "s.ndb",
            "Plain:0:*:0102030405060708090a\n\
             Gap:0:*:aabbccdd{10-300}eeff0011\n\
             Star:0:*:deadbeef01*cafebabe02*f00dfeed03\n\
             Eof:0:EOF-5000:5a5a5b5b5c5c\n\
             Abs:0:200000:1122334455\n\
             Float:0:150000,5000:6677889900\n\
             Short:0:*:a1a2(b1|b2)??c1\n\
             Three:0:*:d1d2d3(e1|e2)\n\
             Four:0:*:(e1|e2)f1f2f3f4\n\
             Tail:0:*:(e3|e4)c7c8c9\n\
             Look:0:*:(W)7a7a7a7a7a(W)\n",
        ),
        (
            "s.ldb",
            "Lsig;Engine:51-255,Target:0;0&1;4142434445::i;0a0b0c0d0e0f\n",
        ),
    ]);
    let mut data = vec![0x90u8; 300_000];
    data[..4].copy_from_slice(b"\x7fELF");
    let mut plant = |at: usize, b: &[u8]| data[at..at + b.len()].copy_from_slice(b);
    plant(65_530, b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a");
    plant(100_000, b"\xaa\xbb\xcc\xdd");
    plant(100_250, b"\xee\xff\x00\x11");
    plant(10_000, b"\xde\xad\xbe\xef\x01");
    plant(120_000, b"\xca\xfe\xba\xbe\x02");
    plant(260_000, b"\xf0\x0d\xfe\xed\x03");
    plant(295_000, b"\x5a\x5a\x5b\x5b\x5c\x5c");
    plant(200_000, b"\x11\x22\x33\x44\x55");
    plant(154_000, b"\x66\x77\x88\x99\x00");
    plant(131_071, b"\xa1\xa2\xb2\x00\xc1");
    plant(77_777, b" zzzzz ");
    plant(40_000, b"aBcDe");
    plant(250_000, b"\x0a\x0b\x0c\x0d\x0e\x0f");
    let whole = names(&d, &data);
    assert_eq!(
        whole,
        [
            "Abs", "Eof", "Float", "Gap", "Look", "Lsig", "Plain", "Short", "Star"
        ]
    );
    for size in [1, 7, 4096, 65_535, 65_536, 100_000, 300_000] {
        let cuts: Vec<usize> = (size..data.len()).step_by(size).collect();
        assert_eq!(stream_names(&d, &data, &cuts), whole, "chunks of {size}");
    }
    // A near miss: the last stage of Star before the second one.
    let mut miss = data.clone();
    miss[260_000..260_005].fill(0x90);
    miss[60_000..60_005].copy_from_slice(b"\xf0\x0d\xfe\xed\x03");
    assert!(!names(&d, &miss).contains(&"Star".to_string()));
    assert!(!stream_names(&d, &miss, &[70_000]).contains(&"Star".to_string()));
}

/// A plain file streams through a bounded window; a mail is kept whole
/// (its parts are decoded at the end).
#[test]
fn stream_memory_is_bounded() {
    let d = db(&[("s.ndb", "A:0:*:0102030405060708\nE:0:EOF-100:0a0b0c0d\n")]);
    let opts = ScanOptions::default();
    let mut chunk = vec![0x90u8; 1 << 16];
    chunk[..4].copy_from_slice(b"\x7fELF");
    let mut s = d.stream(&opts);
    let mut most = 0;
    for _ in 0..64 {
        s.write(&chunk);
        most = most.max(s.held());
        chunk[..4].fill(0x90);
    }
    assert!(most < 3 << 16, "held {most} bytes");
    assert!(s.finish().is_clean());
    let mut s = d.stream(&opts);
    s.write(b"From: a@example.com\nSubject: x\n\n");
    s.write(&vec![b'a'; 1 << 17]);
    assert!(s.held() > 1 << 17);
}

/// A comment in a MIME header name (`Content-Type(x):`) does not hide
/// the attachments, at the top or in a nested part (ClamAV's test files
/// `clam.mail-*comment-header-name.eml`).
#[test]
fn header_name_comments_do_not_hide_parts() {
    let d = db(&[("a.ndb", "Payload:0:0:7061796c6f6164\n")]);
    let part = "--Y\nContent-Type: application/octet-stream\n\
        Content-Transfer-Encoding: base64\n\ncGF5bG9hZCBkYXRh\n--Y--\n";
    let top = format!(
        "From: a@example.com\nMIME-Version: 1.0\n\
         Content-Type(meow): multipart/mixed; boundary=\"Y\"\n\n{part}"
    );
    assert_eq!(names(&d, top.as_bytes()), ["Payload"]);
    let nested = format!(
        "From: a@example.com\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"OUT\"\n\n--OUT\n\
         Content-Type (meow) : multipart/mixed; boundary=\"Y\"\n\n{part}--OUT--\n"
    );
    assert_eq!(names(&d, nested.as_bytes()), ["Payload"]);
}

/// A part delimited by the second of two boundaries of one header is
/// scanned (ClamAV's test file `clam.mail-multiple-boundaries.eml`,
/// which its unit tests expect found; clamscan 1.4.6 misses it), also
/// in a nested part and through the streaming scanner.
#[test]
fn every_boundary_of_a_header_is_used() {
    let d = db(&[("a.ndb", "Payload:0:0:7061796c6f6164\n")]);
    let hidden = "--Y\nContent-Type: application/octet-stream\n\
        Content-Transfer-Encoding: base64\n\ncGF5bG9hZCBkYXRh\n--Y--\n";
    let top = format!(
        "From: a@example.com\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=X; boundary=Y\n\n\
         --X\nContent-Type: text/plain\n\nhello\n--X--\n{hidden}"
    );
    assert_eq!(names(&d, top.as_bytes()), ["Payload"]);
    assert_eq!(stream_names(&d, top.as_bytes(), &[40, 100]), ["Payload"]);
    let nested = format!(
        "From: a@example.com\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=OUT\n\n--OUT\n\
         Content-Type: multipart/mixed;\n boundary=\"X\";\n boundary=\"Y\"\n\n\
         --X\nContent-Type: text/plain\n\nhello\n--X--\n{hidden}--OUT--\n"
    );
    assert_eq!(names(&d, nested.as_bytes()), ["Payload"]);
    // One boundary: nothing changes.
    let plain = top.replace("; boundary=Y", "");
    assert!(names(&d, plain.as_bytes()).is_empty());
}

/// A deflated zip member that lies about its size, and one that
/// inflates a thousandfold, stop at the limits and say so; memory stays
/// at the limit, not at what the member would inflate to.
#[test]
fn zip_bombs_hit_named_limits() {
    use std::io::Write;
    let d = db(&[("a.ndb", "Inner:0:0:7061796c6f6164\n")]);
    let deflated = |n: usize| {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b'A'; n]).unwrap();
        e.finish().unwrap()
    };
    let zip_deflated = |packed: &[u8], claimed: u32| {
        let mut z = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
        z.extend_from_slice(&[0; 8]);
        z.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        z.extend_from_slice(&claimed.to_le_bytes());
        z.extend_from_slice(&5u16.to_le_bytes());
        z.extend_from_slice(&[0, 0]);
        z.extend_from_slice(b"a.bin");
        z.extend_from_slice(packed);
        z
    };
    let mut opts = ScanOptions::default();
    opts.limits.max_file_size = 4 << 20;
    // Claims 100 bytes, inflates to 64 MiB.
    let r = d.scan(&zip_deflated(&deflated(64 << 20), 100), &opts);
    assert_eq!(
        r.detections[0].name,
        "Heuristics.Limits.Exceeded.MaxFileSize"
    );
    assert!(r.scanned_bytes < 1 << 20);
    // Within the size limit but over the ratio limit.
    opts.limits.max_file_size = 100 << 20;
    let r = d.scan(&zip_deflated(&deflated(8 << 20), 8 << 20), &opts);
    assert_eq!(r.detections[0].name, "Heuristics.Limits.Exceeded.MaxRatio");
    // The total budget: many members, each fine alone.
    let mut opts = ScanOptions::default();
    opts.limits.max_scan_size = 1 << 20;
    let member = crate::tar::tests::one_file("m", &vec![b'B'; 300 << 10]);
    let tar: Vec<u8> = (0..8)
        .flat_map(|_| member[..member.len() - 1024].to_vec())
        .collect();
    let r = d.scan(&tar, &opts);
    assert_eq!(
        r.detections[0].name,
        "Heuristics.Limits.Exceeded.MaxScanSize"
    );
}
