//! Hostile and oversized input: 50 MB messages, broken charsets, binary
//! garbage and deep MIME nesting are classified and scored without a
//! panic, in bounded time.

use std::time::{Duration, Instant};

use rampart_spam_bayes::{Bayes, BayesConfig, Class, Facts, MemoryStore, Scorer, Tokenizer};

fn check(raw: &[u8]) -> Duration {
    let t = Instant::now();
    let tokenizer = Tokenizer::default();
    let set = tokenizer.tokenize(raw);
    assert!(set.len() <= tokenizer.config().max_tokens);
    let bayes = Bayes::new(BayesConfig {
        min_spam: 1,
        min_ham: 1,
        ..Default::default()
    });
    let mut store = MemoryStore::new();
    bayes.learn(&mut store, &set, Class::Spam, 1).unwrap();
    bayes
        .learn(
            &mut store,
            &tokenizer.tokenize(b"Subject: hi\r\n\r\nhello\r\n"),
            Class::Ham,
            1,
        )
        .unwrap();
    let p = bayes.classify(&store, &set).unwrap().probability;
    assert!((0.0..=1.0).contains(&p));
    let r = Scorer::default().score(raw, Some(p), &Facts::new());
    assert!(r.score.is_finite());
    t.elapsed()
}

#[test]
fn fifty_megabyte_messages() {
    let mut text = b"Subject: big\r\nContent-Type: text/plain\r\n\r\n".to_vec();
    text.extend(b"word another 12345 http://x.example/a ".repeat(50 << 20 >> 5));
    let mut html = b"Subject: big\r\nContent-Type: text/html\r\n\r\n".to_vec();
    html.extend(
        b"<a href=\"http://a.example/\">www.b.example</a><img src=x>".repeat(50 << 20 >> 6),
    );
    let garbage: Vec<u8> = (0..50u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let one_line = vec![b'a'; 50 << 20];
    for raw in [&text, &html, &garbage, &one_line] {
        let took = check(raw);
        // Generous for debug builds on a loaded CI machine; the point is
        // that the work is capped, not proportional to 50 MB.
        assert!(took < Duration::from_secs(60), "{took:?}");
    }
}

#[test]
fn broken_mime_and_charsets() {
    let cases: [&[u8]; 6] = [
        b"Subject: =?x-no-such-charset?Q?=FF=FE?=\r\nContent-Type: text/plain; charset=x-broken\r\n\r\n\xff\xfe\xfd\r\n",
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",
        b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n",
        b"Content-Type: text/html; charset=shift_jis\r\n\r\n<a href=\"\x82\xa0\">\x82\xa0</a><<<<>>>&#xFFFFFFFF;&#0;",
        b"\r\n\r\n\r\n",
        b"From \r\n",
    ];
    for raw in cases {
        check(raw);
    }
    // Deep message/rfc822 nesting.
    let mut nested = b"Subject: leaf\r\n\r\nbody\r\n".to_vec();
    for _ in 0..200 {
        let mut outer = b"Content-Type: message/rfc822\r\n\r\n".to_vec();
        outer.extend(&nested);
        nested = outer;
    }
    check(&nested);
}

#[test]
fn multipart_of_many_tiny_parts() {
    // 50 MB of parts a few bytes long: the tokenizer reads the first
    // 4 MB, half a million parts, and the shortcut that walks them must
    // give what the whole parse gives, in bounded time.
    let bare = b"--b\n\nx\n".repeat(50 << 20 >> 3);
    let qp = b"--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nx=\n"
        .repeat(50 << 20 >> 6);
    for parts in [bare, qp] {
        let mut raw = b"Subject: parts\nContent-Type: multipart/mixed; boundary=b\n\n".to_vec();
        raw.extend(parts);
        raw.extend(b"--b--\n");
        let took = check(&raw);
        assert!(took < Duration::from_secs(60), "{took:?}");
        let tokenizer = Tokenizer::default();
        assert_eq!(
            tokenizer.token_hashes(&raw),
            tokenizer.token_hashes_full_parse(&raw)
        );
    }
}
