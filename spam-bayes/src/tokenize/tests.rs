//! Tokenizer tests: expected tokens, hashing, limits and bad input.
use super::*;

fn toks(raw: &str) -> Vec<String> {
    Tokenizer::default().token_strings(raw.as_bytes())
}

fn has(tokens: &[String], t: &str) -> bool {
    tokens.iter().any(|x| x == t)
}

const PLAIN: &str = "From spammer@x  Thu Aug 22 16:37:34 2002\r\n\
Received: from mail.evil.example.net (mail.evil.example.net [192.0.2.7]) by mx.example.org\r\n\
From: \"Cheap Pills\" <sales@pills.example.com>\r\n\
To: bob@example.org\r\n\
Subject: FREE MONEY FOR YOU now\r\n\
Message-ID: <abc@host.pills.example.com>\r\n\
X-Mailer: SuperMailer 3.1\r\n\
\r\n\
Visit http://www.pills.example.com/buy/now?id=1 for $1,000 in 30 days!!!\r\n\
Write to info@pills.example.com. A supercalifragilisticexpialidociousword.\r\n";

#[test]
fn table_of_expected_tokens() {
    let t = toks(PLAIN);
    let expected = [
        "hdr:from",
        "hdr:received",
        "subject:free",
        "subject:money",
        "subject:you",
        "subject:shouting",
        "from:dom:pills.example.com",
        "from:dom:example.com",
        "from:addr:sales@pills.example.com",
        "from:name:cheap",
        "from:name:pills",
        "to:dom:example.org",
        "msgid:host.pills.example.com",
        "msgid:example.com",
        "mailer:supermailer",
        "rcvd:ip:192.0.2",
        "rcvd:ip:192.0.2.7",
        "rcvd:from:mail.evil.example.net",
        "rcvd:from:example.net",
        "url:www.pills.example.com",
        "url:example.com",
        "url:path:buy",
        "url:scheme:http",
        "money:3",
        "num:2",
        "bang:many",
        "email:pills.example.com",
        "visit",
        "days",
        "skip:s:30",
        "date:missing-or-bad",
        "meta:body:text",
    ];
    for e in expected {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
    // Short words and the mbox line are dropped.
    assert!(!has(&t, "in"));
    assert!(!t.iter().any(|x| x.contains("spammer")));
}

#[test]
fn html_links_images_and_entities() {
    let raw = "From: a@b.example\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><body><p>Caf&eacute; &amp; Br&#101;akfast</p><!-- hidden -->\
<a HREF=\"http://click.example.biz/track\">click here</a>\
<img src='http://img.example.biz/x.gif'><script>var nope = 1;</script>\
<font color=red>SALE</font></body></html>";
    let t = toks(raw);
    for e in [
        "url:click.example.biz",
        "url:example.biz",
        "img:img.example.biz",
        "html:comment",
        "html:tag:font",
        "html:tag:script",
        "html:images:1",
        "html:links:1",
        "breakfast",
        "click",
        "here",
        "sale",
        "meta:body:html-only",
        "charset:utf-8",
        "ct:text/html",
    ] {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
    assert!(!has(&t, "nope"), "script text leaked: {t:?}");
}

#[test]
fn base64_and_charset_are_decoded() {
    // "Grüße aus München" in ISO-8859-1, base64 encoded.
    let body = "R3L832UgYXVzIE38bmNoZW4=";
    let raw = format!(
        "From: a@b.example\r\nSubject: =?iso-8859-1?q?Gr=FC=DFe?=\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
    );
    let t = toks(&raw);
    assert!(has(&t, "grüße"), "{t:?}");
    assert!(has(&t, "münchen"), "{t:?}");
    assert!(has(&t, "subject:grüße"), "{t:?}");
    assert!(has(&t, "cte:base64"), "{t:?}");
}

#[test]
fn attachments_give_type_and_extension() {
    let raw = "From: a@b.example\r\nSubject: doc\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n\
--XX\r\nContent-Type: application/octet-stream; name=\"invoice.pdf.exe\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n--XX--\r\n";
    let t = toks(raw);
    for e in [
        "att:ext:exe",
        "att:name:invoice.pdf.exe",
        "ct:application/octet-stream",
        "ct:multipart/mixed",
        "attached",
    ] {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
}

#[test]
fn body_bigrams_opening_and_optional() {
    let raw = b"Subject: x\r\n\r\nclaim your prize today\r\n";
    // The opening words of the body are paired by default...
    let opening = Tokenizer::default().token_strings(raw);
    assert!(opening.iter().any(|t| t == "bi:claim your"), "{opening:?}");
    assert!(opening.iter().any(|t| t == "bi:prize today"), "{opening:?}");
    // ... only the first `opening_bigrams` of them...
    let two = Tokenizer::new(TokenizerConfig {
        opening_bigrams: 2,
        ..Default::default()
    })
    .token_strings(raw);
    assert!(two.iter().any(|t| t == "bi:claim your"), "{two:?}");
    assert!(!two.iter().any(|t| t == "bi:your prize"), "{two:?}");
    // ... none with 0, all with `bigrams`.
    let none = Tokenizer::new(TokenizerConfig {
        opening_bigrams: 0,
        ..Default::default()
    })
    .token_strings(raw);
    assert!(!none.iter().any(|t| t.starts_with("bi:")), "{none:?}");
    let all = Tokenizer::new(TokenizerConfig {
        opening_bigrams: 0,
        bigrams: true,
        ..Default::default()
    })
    .token_strings(raw);
    assert!(all.iter().any(|t| t == "bi:prize today"), "{all:?}");
}

#[test]
fn header_bigrams_keep_their_prefix() {
    let raw = b"Subject: Claim YOUR prize\r\nX-Mailer: Super Mailer 3\r\n\r\nhello there\r\n";
    let t = toks(std::str::from_utf8(raw).unwrap());
    for e in [
        "subject:bi:claim your",
        "subject:bi:your prize",
        "mailer:bi:super mailer",
        "bi:hello there",
    ] {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
    // Pairs never cross from one header (or the body) to the next.
    assert!(
        !t.iter()
            .any(|x| x.contains("prize super") || x.contains("mailer hello"))
    );
    let off = Tokenizer::new(TokenizerConfig {
        header_bigrams: false,
        opening_bigrams: 0,
        ..Default::default()
    })
    .token_strings(raw);
    assert!(!off.iter().any(|x| x.contains("bi:")), "{off:?}");
}

#[test]
fn deterministic_and_capped() {
    let tk = Tokenizer::new(TokenizerConfig {
        max_tokens: 10,
        ..Default::default()
    });
    let a = tk.tokenize(PLAIN.as_bytes());
    let b = tk.tokenize(PLAIN.as_bytes());
    assert_eq!(a, b);
    assert!(a.len() <= 10);
    let big = Tokenizer::new(TokenizerConfig {
        max_message_bytes: 100,
        ..Default::default()
    });
    assert!(
        big.token_strings(PLAIN.as_bytes())
            .iter()
            .any(|t| t == "meta:truncated")
    );
}

#[test]
fn garbage_does_not_panic() {
    let tk = Tokenizer::default();
    for raw in [
        &b""[..],
        b"\xff\xfe\x00\x01<<<>>>&&&;;",
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
        b"Subject: =?bogus?Q?=ZZ?=\r\n\r\n<a href=\"http://[::1:80/\">&#99999999;",
        b"\r\n\r\n<img src=http://\xc3\x28.example/>",
        "Subject: x\r\n\r\nww\u{20ac}\u{20ac} \u{20ac}\u{20ac}www".as_bytes(),
        "Content-Type: text/html\r\n\r\n<a href=\"ma\u{20ac}\u{20ac}\">&\u{20ac}\u{20ac}\u{20ac};"
            .as_bytes(),
    ] {
        let _ = tk.tokenize(raw);
    }
}

#[test]
fn verdict_headers_are_not_learned() {
    let plain = toks("Subject: hello\r\n\r\nbody text here\r\n");
    let marked = toks(
        "X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=9.0\r\nX-Bogosity: Spam\r\n\
         Subject: hello\r\n\r\nbody text here\r\n",
    );
    let extra: Vec<&String> = marked.iter().filter(|t| !plain.contains(t)).collect();
    assert!(
        extra.iter().all(|t| t.starts_with("meta:size:")),
        "{extra:?}"
    );
}

#[test]
fn ignored_and_generic_headers() {
    let t = toks(
        "Delivered-To: bob@example.org\r\nX-Keywords: NonJunk\r\nStatus: RO\r\n\
         List-Id: <users.lists.example.org>\r\nX-Tracking-Code: Zx81 camp42\r\n\
         DKIM-Signature: v=1; b=abcdef\r\nSubject: hi\r\n\r\nbody\r\n",
    );
    for gone in [
        "delivered",
        "keywords",
        "nonjunk",
        "status",
        "list-id",
        "users",
    ] {
        assert!(!t.iter().any(|x| x.contains(gone)), "{gone} in {t:?}");
    }
    for e in [
        "hdr:x-tracking-code",
        "h:x-tracking-code:zx81",
        "h:x-tracking-code:camp42",
        "hdr:dkim-signature",
    ] {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
    // A signature's value is unique per message: only its presence counts.
    assert!(
        !t.iter().any(|x| x.starts_with("h:dkim-signature:")),
        "{t:?}"
    );
}

#[test]
fn known_headers_agree_with_the_names() {
    use HeaderName as H;
    for h in [
        H::Subject,
        H::From,
        H::To,
        H::Cc,
        H::ReplyTo,
        H::MessageId,
        H::Received,
        H::ContentType,
        H::ContentTransferEncoding,
        H::ContentDisposition,
        H::MimeVersion,
        H::Date,
        H::Sender,
        H::ResentTo,
        H::ResentFrom,
        H::ResentDate,
        H::ListArchive,
        H::ListHelp,
        H::ListId,
        H::ListOwner,
        H::ListPost,
        H::ListSubscribe,
        H::ListUnsubscribe,
        H::DkimSignature,
        H::ArcMessageSignature,
        H::ArcSeal,
        H::ArcAuthenticationResults,
        H::Bcc,
    ] {
        assert_eq!(
            known_header_use(&h),
            Some(header_use(h.as_str())),
            "{}",
            h.as_str()
        );
    }
    assert_eq!(known_header_use(&H::Keywords), None);
}

#[test]
fn received_hops() {
    let t = toks(
        "Received: from mx.example.org (mx.example.org [198.51.100.2])\r\n\
         \tby mail.example.net (Postfix) with ESMTP id 4F2A1\r\n\
         \tfor <bob@example.net>; Thu, 22 Aug 2002 16:37:34 +0100\r\n\
         Received: from unknown (HELO relay.bad.example) ([203.0.113.9])\r\n\
         \tby mx.example.org with SMTP; 22 Aug 2002 15:37:30 -0000\r\n\
         Subject: x\r\n\r\nbody\r\n",
    );
    for e in [
        "rcvd:from:mx.example.org",
        "rcvd:from:example.org",
        "rcvd:host:mx.example.org",
        "rcvd:ip:198.51.100",
        "rcvd:ip:198.51.100.2",
        "rcvd:by:mail.example.net",
        "rcvd:w:postfix",
        "rcvd:with:esmtp",
        "rcvd:with:smtp",
        "rcvd:from:unknown",
        "rcvd:helo:relay.bad.example",
        "rcvd:helo:bad.example",
        "rcvd:ip:203.0.113.9",
        "rcvd:by:mx.example.org",
    ] {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
    // Queue ids, recipients and dates are left out.
    for gone in ["4f2a1", "bob", "aug", "2002", "thu"] {
        assert!(!t.iter().any(|x| x.contains(gone)), "{gone} in {t:?}");
    }
}

#[test]
fn hashes_are_the_hashes_of_the_strings() {
    let tk = Tokenizer::new(TokenizerConfig {
        bigrams: true,
        ..Default::default()
    });
    for raw in [
        PLAIN.as_bytes(),
        "Subject: Grüße ÄRGER\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         İstanbul ŞEHİR straße\u{a0}MÜNCHEN\u{2003}Ωmega FREE!!! $1,000\r\n"
            .as_bytes(),
        b"\xff\xfe garbage \x00\x01 WORDS",
    ] {
        let strings = tk.token_strings(raw);
        let from_strings = TokenSet::from_tokens([0; 16], strings.iter().map(String::as_str));
        let set = tk.tokenize(raw);
        assert_eq!(set.hashes(), from_strings.hashes());
        assert_eq!(tk.token_hashes(raw), set.hashes());
    }
}

/// The same over the shipped corpus, with the default configuration
/// (header pairs and the opening body pairs hashed as they are made).
#[test]
fn corpus_hashes_are_the_hashes_of_the_strings() {
    let tk = Tokenizer::default();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut seen = 0;
    for class in ["spam", "ham"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(class))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for path in files {
            let raw = std::fs::read(&path).unwrap();
            let strings = tk.token_strings(&raw);
            let from_strings = TokenSet::from_tokens([0; 16], strings.iter().map(String::as_str));
            assert_eq!(tk.token_hashes(&raw), from_strings.hashes(), "{path:?}");
            seen += 1;
        }
    }
    assert!(seen >= 100, "only {seen} corpus messages");
}

#[test]
fn unicode_white_space_splits_words() {
    let t = toks(
        "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
                  alpha\u{a0}beta\u{2003}gamma\u{3000}delta\r\n",
    );
    for e in ["alpha", "beta", "gamma", "delta"] {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
}

/// `token_hash("a")` and `token_hash("subject:free money")`, worked out
/// independently of this code (a few lines of Python).
const PINNED_A: u64 = 0x612c_fc5d_43bb_c54e;
const PINNED_LONG: u64 = 0xd9df_16c2_ceaf_2580;

#[test]
fn hash_is_stable() {
    // Part of the file format: must never change.
    assert_eq!(token_hash(""), token_hash(""));
    assert_ne!(token_hash("a"), token_hash("b"));
    let h = token_hash("subject:free");
    assert_eq!(h, token_hash("subject:free"));
    // Pinned values: changing them orphans every stored token.
    assert_eq!(token_hash(""), fold_mul(HASH_SEED, HASH_K2));
    assert_eq!(token_hash("a"), PINNED_A);
    assert_eq!(token_hash("subject:free money"), PINNED_LONG);
    // Fed in pieces, the same bytes give the same hash.
    let mut h = TokenHasher::new();
    h.bytes(b"subj", false);
    h.bytes(b"ect:FREE", true);
    h.bytes(b" money", false);
    assert_eq!(h.finish(), PINNED_LONG);
    // Any three-way split of the bytes gives the same hash.
    for whole in [
        "",
        "a",
        "abcdefg",
        "abcdefgh",
        "abcdefghi",
        "h:x-originating-ip:num:12345678",
    ] {
        let b = whole.as_bytes();
        for i in 0..=b.len() {
            for j in i..=b.len() {
                let mut h = TokenHasher::new();
                h.bytes(&b[..i], false);
                h.bytes(&b[i..j], false);
                h.bytes(&b[j..], false);
                assert_eq!(h.finish(), token_hash(whole), "{whole:?} at {i} {j}");
            }
        }
    }
    // The eight-at-a-time lowercasing agrees with the bytewise one.
    let mixed = *b"AZaz@[`{";
    let want = mixed.map(|c| c.to_ascii_lowercase());
    assert_eq!(lower8(u64::from_le_bytes(mixed)), u64::from_le_bytes(want));
    let high = [0xc3, 0x84, b'Q', 0x7f, 0x80, 0xff, b'M', b'0'];
    let want = high.map(|c| c.to_ascii_lowercase());
    assert_eq!(lower8(u64::from_le_bytes(high)), u64::from_le_bytes(want));
}

#[test]
fn short_words_hash_as_streamed() {
    // Every length the fast path takes, after prefixes that leave no
    // partial word, with junk above the word and mixed case in it.
    let text = b"MiXeD-case WORDS, 0123456789 and junk above them";
    for prefix in ["", "subject:", "h:x-some-header:"] {
        for start in 0..text.len() - 16 {
            let raw = u128::from_le_bytes(text[start..start + 16].try_into().unwrap());
            for len in 1..=16 {
                let word = &text[start..start + len];
                let mut streamed = TokenHasher::new();
                streamed.bytes(prefix.as_bytes(), false);
                let mut short = streamed;
                streamed.bytes(word, true);
                short.bytes(b"", false);
                assert_eq!(
                    short.finish_short(raw, len),
                    streamed.finish(),
                    "{prefix:?} {:?}",
                    String::from_utf8_lossy(word)
                );
            }
        }
    }
}

#[test]
fn bytes_in_agrees_with_the_table() {
    // All 256 byte values, sixteen at a time, in each position.
    let ranges = [
        (b'A', b'Z', UPPER),
        (b'a', b'z', LOWER),
        (b'0', b'9', DIGIT),
    ];
    for first in (0..=255u8).step_by(16) {
        let block: [u8; 16] = std::array::from_fn(|k| first.wrapping_add(k as u8));
        let x = u128::from_le_bytes(block);
        for (lo, hi, class) in ranges {
            let got = bytes_in(x, lo, hi);
            for (k, &c) in block.iter().enumerate() {
                let want = CLASS[c as usize] & class != 0;
                assert_eq!(got >> (8 * k + 7) & 1 == 1, want, "byte {c:#x}");
            }
            assert_eq!(got & !BYTE_TOPS, 0);
        }
    }
}

#[test]
fn leading_word_takes_only_plain_words() {
    // Sixteen bytes, and the word's length and the bytes taken (None:
    // not for the fast path).
    type Case = (&'static [u8; 16], Option<(usize, usize)>);
    let cases: [Case; 14] = [
        (b"hello world xxxx", Some((5, 6))),
        (b"Hello, world xxx", Some((5, 7))),
        (b"done. next xxxxx", Some((4, 6))),
        (b"why?\tnext xxxxxx", Some((3, 5))),
        (b"12345\r\nxxxxxxxxx", Some((5, 6))),
        (b"abcdefghijklmno ", Some((15, 16))),
        (b"abcdefghijklmnop", None),
        (b"abcdefghijklmn, ", Some((14, 16))),
        (b"abcdefghijklmno,", None),
        (b"don't xxxxxxxxxx", None),
        (b"e-mail xxxxxxxxx", None),
        (b"hi!! xxxxxxxxxxx", None),
        (b"caf\xc3\xa9 xxxxxxxxxx", None),
        (b"nbsp\xc2\xa0xxxxxxxxxx", None),
    ];
    for (block, want) in cases {
        let got = leading_word(block).map(|w| (w.len, w.taken));
        assert_eq!(got, want, "{:?}", String::from_utf8_lossy(block));
    }
    let w = leading_word(b"MiXed 7 xxxxxxxx").unwrap();
    assert_eq!(w.cases, UPPER | LOWER);
    assert_eq!(leading_word(b"lower xxxxxxxxxx").unwrap().cases, LOWER);
    assert_eq!(leading_word(b"2024 xxxxxxxxxxx").unwrap().cases, 0);
    // Only the word counts: the capital after it does not.
    assert_eq!(leading_word(b"ab Cd xxxxxxxxxx").unwrap().cases, LOWER);
}

#[test]
fn header_order_and_shapes() {
    let raw = "Received: from a.example.net by b.example.org\r\n\
Return-Path: <x@example.net>\r\n\
From: x@example.net\r\n\
Delivered-To: bob@example.org\r\n\
To: bob@example.org\r\n\
Date: Mon, 2 Sep 2002 13:22:30 +0100\r\n\
Subject: hello\r\n\
Message-ID: <20020902.AB12cd@mail.example.net>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/alternative; boundary=\"----=_NextPart_000_0012_01C25\"\r\n\
\r\n\
------=_NextPart_000_0012_01C25\r\n\
Content-Type: text/plain\r\n\
\r\n\
hello there\r\n\
------=_NextPart_000_0012_01C25--\r\n";
    let t = toks(raw);
    // Received, Return-Path and the ignored Delivered-To and Date are
    // left out of the order; the pairs are case-folded.
    for e in [
        "hdr:pair:from>to",
        "hdr:pair:to>subject",
        "hdr:pair:subject>message-id",
        "hdr:pair:message-id>mime-version",
        "hdr:pair:mime-version>content-type",
        "date:shape:Aa, 9 Aa 9 9:9:9 +9",
        "msgid:shape:9.A9a",
        "boundary:shape:----=_AaAa_9_9_9A9",
    ] {
        assert!(has(&t, e), "missing {e:?} in {t:?}");
    }
    assert!(
        !t.iter()
            .any(|x| x.contains("received>") || x.contains("delivered-to"))
    );
    let mut sh = String::new();
    shape("ÄBc-12x", &mut sh, 10);
    assert_eq!(sh, "Aa-9a");
    shape("aaaaaaaaaa-bbbbbbbb-cccc", &mut sh, 3);
    assert_eq!(sh, "a-a");
}

#[test]
fn mbox_split() {
    let table: [(&[u8], usize); 5] = [
        (b"From a\nSubject: x\n\nbody\n", 1),
        (
            b"From a\nSubject: x\n\nbody\n\nFrom b\nSubject: y\n\nz\n",
            2,
        ),
        (b"From a\n\nFrom b\n\nFrom c\n\n", 3),
        (
            b"From a\nSubject: x\n\nline\n>From quoted\nFrom not-after-blank\n",
            1,
        ),
        (b"From a\n\n\n\nFrom b\n\n\nFrom c\nFrom d\n", 3),
    ];
    for (input, n) in table {
        let parts = split_mbox(input);
        assert_eq!(parts.len(), n, "{:?}", String::from_utf8_lossy(input));
        assert_eq!(parts.concat(), input);
        assert!(parts.iter().all(|p| p.starts_with(b"From ")));
    }
}

#[test]
fn sort_dedup_is_sort_then_dedup() {
    let mut x = 7u64;
    let mut next = || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x
    };
    let mut scratch = Vec::new();
    for n in [0, 1, 2, 63, 64, 65, 300, 1000, 5000, 70_000] {
        // Spread hashes with repeats; hashes sharing their top bits (the
        // quadratic case the move budget cuts short); descending ones.
        let spread: Vec<u64> = (0..n)
            .map(|i| if i % 5 == 0 { 42 } else { next() })
            .collect();
        let clustered: Vec<u64> = (0..n).map(|_| next() >> 20).collect();
        let descending: Vec<u64> = (0..n as u64).rev().map(|i| i << 40).collect();
        for input in [spread, clustered, descending] {
            let mut expected = input.clone();
            expected.sort_unstable();
            expected.dedup();
            let mut got = input;
            sort_dedup(&mut got, &mut scratch);
            assert_eq!(got, expected, "n={n}");
        }
    }
}
