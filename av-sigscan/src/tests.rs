//! Crate-level tests: loading, scanning and the naive-oracle property
//! test of the matcher.

use proptest::prelude::*;

use crate::pattern::{ByteTest, Class, Elem, Pattern};
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
                && !alts.iter().any(|a| test_seq(pos, a))
                && naive(rest, data, pos + l, nocase)
        }
        Elem::Class(_) => unreachable!("not generated"),
    }
}

/// Random signatures over a 3-letter alphabet, so that matches happen.
fn sig_strategy() -> impl Strategy<Value = String> {
    let byte = prop::sample::select(vec!["61", "62", "63"]);
    let lit = prop::collection::vec(byte.clone(), 2..5).prop_map(|v| v.concat());
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
        data in prop::collection::vec(prop::sample::select(b"abcd".to_vec()), 0..40),
        at in 0usize..8,
        nocase in any::<bool>(),
    ) {
        let Ok(mut p) = Pattern::parse(&sig) else { return Ok(()) };
        let data: Vec<u8> = if nocase {
            data.iter().enumerate().map(|(i, &b)| if i % 2 == 0 { b.to_ascii_uppercase() } else { b }).collect()
        } else { data };
        if nocase { p.make_nocase(); }
        let anywhere = (0..=data.len()).any(|s| naive(&p.elems, &data, s, nocase));
        let exact = naive(&p.elems, &data, at, nocase);
        let text = if nocase {
            format!("Any;Engine:51-255,Target:0;0;{sig}::i\nAt;Engine:51-255,Target:0;0;{at}:{sig}::i\n")
        } else {
            format!("Any;Engine:51-255,Target:0;0;{sig}\nAt;Engine:51-255,Target:0;0;{at}:{sig}\n")
        };
        let mut l = Loader::new(LoadOptions::default());
        l.add("p.ldb", text.as_bytes()).unwrap();
        let d = l.compile().unwrap();
        let got = names(&d, &data);
        prop_assert_eq!(got.contains(&"Any".to_string()), anywhere, "sig {} data {:?}", sig, String::from_utf8_lossy(&data));
        prop_assert_eq!(got.contains(&"At".to_string()), exact, "sig {} at {} data {:?}", sig, at, String::from_utf8_lossy(&data));
    }
}

#[test]
fn classes() {
    let _ = Class::Line;
    let d = db(&[("a.ndb", "W:0:*:(B)776f7264(B)\n")]);
    assert_eq!(names(&d, b"a word here"), ["W"]);
    assert_eq!(names(&d, b"word"), ["W"]);
    assert!(names(&d, b"swordfish").is_empty());
}

#[test]
fn database_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<crate::Database>();
}
