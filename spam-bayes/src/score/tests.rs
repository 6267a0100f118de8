use super::*;

const HAM: &[u8] = b"From: Alice <alice@example.org>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: Minutes of Tuesday's meeting\r\n\
Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n\
Message-Id: <1234@example.org>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
\r\n\
Hi Bob,\r\n\r\nthe minutes are on the wiki at https://wiki.example.org/minutes.\r\n";

const SPAM: &[u8] = b"From: 123456789@\r\n\
Subject: MAKE MONEY FAST!!! $5000 A WEEK\r\n\
Content-Type: text/html\r\n\
\r\n\
<html><font size=+6>Work from home</font> and earn 1,000,000 dollars.\
 100% guaranteed! This is not spam. <a href=\"http://192.0.2.1/x\">www.mybank.example</a>\
 <img src=\"http://img.example/a.gif\"></html>\r\n";

fn rules(cf: &str) -> Scorer {
    ScorerBuilder::empty().cf(cf).unwrap().build().unwrap()
}

#[test]
fn default_rules_build_without_warnings() {
    let s = Scorer::default();
    assert!(s.warnings().is_empty(), "{:?}", s.warnings());
    assert_eq!(s.required(), 5.0);
    assert!(s.rules().count() > 60);
    // Every reported rule is described.
    for (name, _, describe) in s.rules() {
        assert!(name.starts_with("__") || !describe.is_empty(), "{name}");
    }
}

#[test]
fn ham_scores_low_spam_scores_high() {
    let s = Scorer::default();
    let now = 1_796_126_400; // 2026-12-01 12:00 UTC
    let ham = s.score(HAM, Some(0.001), &Facts::new().now(now));
    assert!(!ham.is_spam, "{ham}");
    assert_eq!(
        ham.hits.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        ["BAYES_00"]
    );
    assert_eq!(ham.score, -1.9);

    let spam = s.score(SPAM, Some(0.9995), &Facts::new().with("RCVD_IN_XBL"));
    for rule in [
        "BAYES_99",
        "BAYES_999",
        "RCVD_IN_XBL",
        "MISSING_DATE",
        "MISSING_MID",
        "MISSING_DATE_MID",
        "MISSING_HEADERS",
        "FROM_NO_DOMAIN",
        "FROM_LOCAL_DIGITS",
        "SUBJ_ALL_CAPS",
        "SUBJ_MONEY",
        "SUBJ_EXCLAIM",
        "MIME_HTML_ONLY",
        "HTML_MESSAGE",
        "HTML_LINK_MISMATCH",
        "HTML_IMAGE_ONLY",
        "HTML_FONT_HUGE",
        "WORK_FROM_HOME",
        "LOTS_OF_MONEY",
        "GUARANTEED_100",
        "NOT_SPAM_CLAIM",
        "NUMERIC_HTTP_ADDR",
        "MIME_NO_VERSION",
    ] {
        assert!(spam.hit(rule), "{rule} missing in\n{spam}");
    }
    assert!(spam.is_spam);
    let sum: f64 = spam.hits.iter().map(|h| h.score).sum();
    assert!((spam.score - sum).abs() < 1e-9);
}

#[test]
fn bayes_bands_are_exclusive() {
    let s = Scorer::default();
    let band = |p: f64| {
        let r = s.score(HAM, Some(p), &Facts::new());
        r.hits
            .into_iter()
            .map(|h| h.name)
            .filter(|n| n.starts_with("BAYES_"))
            .collect::<Vec<_>>()
    };
    assert_eq!(band(0.0), ["BAYES_00"]);
    assert_eq!(band(0.01), ["BAYES_05"]);
    assert_eq!(band(0.5), ["BAYES_50"]);
    assert_eq!(band(0.995), ["BAYES_99"]);
    assert_eq!(band(1.0), ["BAYES_99", "BAYES_999"]);
    assert!(band(f64::NAN).is_empty());
    assert!(s.score(HAM, None, &Facts::new()).hits.is_empty());
}

#[test]
fn cf_overrides_and_new_rules() {
    let s = ScorerBuilder::new()
        .cf("score BAYES_00 -3   # stronger\nrequired_hits 4\n\
             body LOCAL_WIKI /wiki\\.example\\.org/i\nscore LOCAL_WIKI 0.25\n\
             describe LOCAL_WIKI Mentions our wiki\n\
             score NOT_A_RULE 2\nreport_safe 0\n")
        .unwrap()
        .build()
        .unwrap();
    assert_eq!(s.required(), 4.0);
    let r = s.score(HAM, Some(0.0), &Facts::new());
    assert_eq!(r.score, -2.75);
    assert_eq!(
        r.hits.iter().find(|h| h.name == "LOCAL_WIKI").unwrap(),
        &Hit {
            name: "LOCAL_WIKI".into(),
            score: 0.25,
            description: "Mentions our wiki".into()
        }
    );
    let w: Vec<String> = s.warnings().iter().map(|w| w.to_string()).collect();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w.iter().any(|w| w.contains("report_safe")));
    assert!(w.iter().any(|w| w.contains("NOT_A_RULE")));
}

#[test]
fn four_scores_take_the_last() {
    let s = rules("body A /Bob/\nscore A 1 2 3 4.5\n");
    assert_eq!(s.score(HAM, None, &Facts::new()).score, 4.5);
}

#[test]
fn toml_form() {
    let s = ScorerBuilder::new()
        .toml(
            "required_score = 3\nrules = \"\"\"\nbody LOCAL_MINUTES /minutes/\n\"\"\"\n\
             [scores]\nLOCAL_MINUTES = 3\nBAYES_00 = 0\n[describe]\nLOCAL_MINUTES = \"minutes\"\n",
        )
        .unwrap()
        .build()
        .unwrap();
    let r = s.score(HAM, Some(0.0), &Facts::new());
    assert!(r.is_spam && r.score == 3.0, "{r}");
    assert!(!r.hit("BAYES_00"), "score 0 disables a rule");
    for bad in [
        "required_score = \"x\"",
        "[scores]\nA = true",
        "not toml",
        "rules = \"body X /(/\"",
    ] {
        assert!(ScorerBuilder::new().toml(bad).is_err(), "{bad}");
    }
}

#[test]
fn header_rule_forms() {
    let s = rules(
        "header A Subject =~ /^minutes/i\n\
         header B From:addr =~ /^alice@example\\.org$/\n\
         header C From:name =~ /^Alice$/\n\
         header D From:raw =~ /<alice@/\n\
         header E X-Missing !~ /./\n\
         header F X-Missing =~ /set/ [if-unset: unset]\n\
         header G exists:Message-Id\n\
         header H ALL =~ /^MIME-Version: 1\\.0$/m\n\
         header I ToCc =~ m{bob\\@example\\.net}\n\
         header J MESSAGEID =~ /1234@/\n\
         header K Subject !~ /Tuesday/\n\
         header L exists:X-Missing\n",
    );
    let r = s.score(HAM, None, &Facts::new());
    let names: Vec<&str> = r.hits.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"]);
}

#[test]
fn body_rawbody_uri_full() {
    let s = rules(
        "body A /minutes are on the wiki/\nbody B /Minutes of Tuesday/\n\
         rawbody C /<font/i\nbody D /<font/i\n\
         uri E /^https:\\/\\/wiki\\.example\\.org\\//\n\
         full F /^Content-Type: text\\/plain/m\n",
    );
    let r = s.score(HAM, None, &Facts::new());
    assert_eq!(
        r.hits.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        ["A", "B", "E", "F"]
    );
    let r = s.score(SPAM, None, &Facts::new());
    assert!(r.hit("C") && !r.hit("D"), "{r}");
}

#[test]
fn meta_rules_chain_and_subrules_are_hidden() {
    let s = rules(
        "body __A /Bob/\nbody __B /wiki/\nbody __C /nothing-here/\n\
         meta M1 __A && __B\nmeta M2 M1 && !__C\nmeta M3 (__A + __B + __C) >= 3\n\
         score M2 2\n",
    );
    let r = s.score(HAM, None, &Facts::new());
    assert_eq!(
        r.hits.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
        ["M1", "M2"]
    );
    assert_eq!(r.score, 3.0);
    let cyc = ScorerBuilder::empty()
        .cf("meta A B\nmeta B C\nmeta C A\n")
        .unwrap()
        .build();
    assert!(cyc.unwrap_err().message.contains("depend on each other"));
    let unknown = rules("meta A NOPE || 1\n");
    assert!(unknown.warnings()[0].message.contains("NOPE"));
    assert!(unknown.score(HAM, None, &Facts::new()).hit("A"));
}

#[test]
fn date_checks_use_the_callers_clock() {
    let s = Scorer::default();
    let date = 1_796_119_200; // the Date of HAM
    let hit = |now: i64, rule: &str| s.score(HAM, None, &Facts::new().now(now)).hit(rule);
    assert!(hit(date - 13 * 3600, "DATE_IN_FUTURE_12_96"));
    assert!(hit(date - 100 * 3600, "DATE_IN_FUTURE_96_XX"));
    assert!(hit(date + 100 * 3600, "DATE_IN_PAST_96_XX"));
    assert!(!hit(date, "DATE_IN_PAST_96_XX") && !hit(date, "DATE_IN_FUTURE_12_96"));
    // The newest Received header's date wins over the caller's clock, so
    // archived mail is judged against when it arrived.
    let mut received =
        b"Received: from a.example by b.example; Tue, 01 Dec 2026 11:00:00 +0000\r\n".to_vec();
    received.extend_from_slice(HAM);
    let r = s.score(&received, None, &Facts::new().now(date + 1000 * 3600));
    assert!(!r.hit("DATE_IN_PAST_96_XX"), "{r}");
    let bad = b"Date: yesterday-ish\r\nSubject: x\r\n\r\nbody\r\n";
    assert!(s.score(bad, None, &Facts::new()).hit("INVALID_DATE"));
}

#[test]
fn config_errors_name_the_line() {
    let cases = [
        ("body A /(unclosed/", 1),
        ("\nbody A /x/q", 2),
        ("body A (?<=look)behind", 1),
        ("body A /(?<=a)b/", 1),
        ("header A Subject ~~ /x/", 1),
        ("header A Subject =~ /x/ trailing", 1),
        ("meta A (B", 1),
        ("score A x", 1),
        ("score A 1 2", 1),
        ("body 9A /x/", 1),
        ("body A eval:check_bayes(0.5)", 1),
        ("body A", 1),
        ("\n\nheader A Subject:bogus =~ /x/", 3),
    ];
    for (cf, line) in cases {
        let e = ScorerBuilder::empty().cf(cf).unwrap_err();
        assert_eq!(e.line, line, "{cf}: {e}");
    }
    // Unknown plugin checks load (with a warning) and never hit.
    let s = rules("header X eval:check_rbl('zen', 'zen.example.')\n");
    assert_eq!(s.warnings().len(), 1);
    assert!(s.score(SPAM, Some(1.0), &Facts::new()).hits.is_empty());
}

#[test]
fn comments_and_escapes() {
    let s = rules("# a comment\nbody A /a\\#b/ # trailing\nbody B /x#y/\n");
    assert!(
        s.score(b"Subject: a#b x#y\r\n\r\n.\r\n", None, &Facts::new())
            .hit("A")
    );
    assert!(
        s.score(b"Subject: x#y\r\n\r\n.\r\n", None, &Facts::new())
            .hit("B")
    );
}

#[test]
fn headers_in_spamassassin_format() {
    let r = Report {
        score: 7.345,
        required: 5.0,
        is_spam: true,
        hits: ["BAYES_99", "HTML_MESSAGE", "MISSING_DATE"]
            .iter()
            .map(|n| Hit {
                name: (*n).into(),
                score: 1.0,
                description: String::new(),
            })
            .collect(),
        bayes: Some(0.995),
    };
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(
        r.headers(),
        [
            ("X-Spam-Flag", "YES".to_owned()),
            ("X-Spam-Score", "7.3".to_owned()),
            ("X-Spam-Level", "*******".to_owned()),
            (
                "X-Spam-Status",
                format!(
                    "Yes, score=7.3 required=5.0 tests=BAYES_99,HTML_MESSAGE,MISSING_DATE autolearn=disabled version=rampart-{v}"
                )
            ),
        ]
    );
    let block = r.header_block();
    assert!(block.starts_with("X-Spam-Flag: YES\r\nX-Spam-Score: 7.3\r\n"));
    assert!(block.ends_with("\r\n"));
    for line in block.split("\r\n") {
        assert!(line.len() <= 78, "{line:?}");
    }
    assert!(block.contains("\r\n\t"), "long status is folded: {block}");
    // Unfolding gives the value back (white space aside).
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let folded = block.split("X-Spam-Status: ").nth(1).unwrap();
    assert_eq!(squeeze(folded), squeeze(&r.status_header()));

    let ham = Report {
        score: -0.04,
        required: 5.0,
        is_spam: false,
        hits: Vec::new(),
        bayes: None,
    };
    assert_eq!(
        ham.headers()[0..2],
        [
            ("X-Spam-Score", "0.0".to_owned()),
            ("X-Spam-Level", String::new())
        ]
    );
    assert!(
        ham.status_header()
            .starts_with("No, score=0.0 required=5.0 tests=none ")
    );
}

#[test]
fn garbage_and_huge_input_are_bounded() {
    let s = Scorer::default();
    for raw in [
        &b""[..],
        b"\0\0\xff\xfe",
        b"Subject: =?x-unknown?B?////?=\r\n\r\n\xff",
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
    ] {
        let r = s.score(raw, Some(0.5), &Facts::new());
        assert!(r.score.is_finite());
    }
    let mut big = b"Subject: big\r\nContent-Type: text/html\r\n\r\n".to_vec();
    big.extend(b"<a href=http://a.example/>www.b.example</a> x ".repeat(200_000));
    let t = std::time::Instant::now();
    let r = s.score(&big, None, &Facts::new());
    assert!(r.hit("HTML_LINK_MISMATCH"));
    assert!(
        t.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        t.elapsed()
    );
}
