//! Engine behaviour beyond the differential cases: MIME structure,
//! editheader snapshots, include's global variables, script sequences,
//! run-time warnings, compile errors reported together.

use std::collections::HashMap;

use rampart_sieve_engine::{
    Action, DateTime, Envelope, Host, Limits, NoHost, Outcome, RunOptions, RuntimeError, compile,
    compile_with, oracle_lines, run, run_sequence,
};

const NESTED: &str = "From: c@example.com\r\nTo: me@example.net\r\nSubject: report\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n\
prologue text\r\n--o\r\nContent-Type: text/plain\r\n\r\nplain part\r\n\
--o\r\nContent-Type: message/rfc822\r\n\r\nFrom: d@example.org\r\nSubject: inner\r\n\r\n\
inner body\r\n--o--\r\nepilogue text\r\n";

const PLAIN: &str = "From: a@example.org\r\nTo: me@example.net\r\nSubject: hello\r\n\r\nbody\r\n";

fn env() -> Envelope<'static> {
    Envelope {
        from: "a@example.org",
        to: "me@example.net",
        auth: None,
    }
}

fn go(src: &str, raw: &str, host: &mut dyn Host) -> Outcome {
    let script = compile(src).unwrap_or_else(|e| panic!("{src}: {e:?}"));
    let msg = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let limits = Limits::default();
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits: &limits,
    };
    run(&script, &msg, env(), host, opts)
}

fn lines(src: &str, raw: &str) -> Vec<String> {
    oracle_lines(&go(src, raw, &mut NoHost))
}

#[test]
fn body_content_sees_prologue_and_nested_header_not_boundaries() {
    let src = r#"require ["body", "fileinto"];
        if body :content "multipart" :contains "prologue" { fileinto "P"; }
        if body :content "multipart" :contains "--o" { fileinto "Boundary"; }
        if body :content "multipart" :contains "epilogue" { fileinto "E"; }
        if body :content "message/rfc822" :contains "Subject: inner" { fileinto "H"; }
        if body :content "message/rfc822" :contains "inner body" { fileinto "Wrong"; }
        if body :text :contains "inner body" { fileinto "T"; }"#;
    assert_eq!(
        lines(src, NESTED),
        ["fileinto P", "fileinto E", "fileinto H", "fileinto T"]
    );
}

#[test]
fn foreverypart_visits_the_message_first_then_every_part_depth_first() {
    let src = r#"require ["foreverypart", "mime", "variables", "fileinto"];
        set "seen" "";
        foreverypart {
            if header :mime :matches :contenttype "content-type" "*" {
                set "seen" "${seen}/${1}";
            } else {
                set "seen" "${seen}/none";
            }
        }
        fileinto "${seen}";"#;
    assert_eq!(
        lines(src, NESTED),
        ["fileinto /multipart/mixed/text/plain/message/rfc822/none"]
    );
}

#[test]
fn body_test_leaves_match_variables_alone() {
    let src = r#"require ["body", "variables", "fileinto"];
        if header :matches "subject" "hel*" { }
        if body :raw :matches "b*y*" { fileinto "${1}"; }"#;
    assert_eq!(lines(src, PLAIN), ["fileinto lo"]);
}

#[test]
fn each_action_sees_the_header_as_edited_at_that_moment() {
    let src = r#"require ["editheader", "fileinto"];
        addheader "X-A" "1";
        redirect "r@example.org";
        deleteheader "X-A";
        fileinto "F";"#;
    let out = go(src, PLAIN, &mut NoHost);
    let edited = |i: usize| {
        String::from_utf8(
            out.actions[i]
                .edited
                .as_deref()
                .cloned()
                .unwrap_or_default(),
        )
        .unwrap()
    };
    assert!(matches!(out.actions[0].action, Action::Redirect { .. }));
    assert!(edited(0).starts_with("X-A: 1\r\n"), "{}", edited(0));
    assert!(!edited(1).contains("X-A"), "{}", edited(1));
    assert!(edited(1).contains("Subject: hello"));
}

struct Scripts(HashMap<&'static str, &'static str>);

impl Host for Scripts {
    fn include(&mut self, name: &str, _global: bool) -> Option<String> {
        self.0.get(name).map(|s| s.to_string())
    }
}

#[test]
fn include_shares_only_the_global_namespace() {
    let mut host = Scripts(HashMap::from([(
        "sub",
        r#"require ["include", "variables"];
           global "shared";
           set "shared" "${shared}+sub";
           set "local" "sub-local";
           set "global.other" "o";"#,
    )]));
    let src = r#"require ["include", "variables", "fileinto"];
        global "shared";
        set "shared" "main";
        set "local" "main-local";
        include "sub";
        fileinto "${shared}/${local}/${global.other}";"#;
    assert_eq!(
        oracle_lines(&go(src, PLAIN, &mut host)),
        ["fileinto main+sub/main-local/o"]
    );
}

#[test]
fn a_sequence_carries_edits_and_flags_and_stops_without_keep() {
    let scripts = [
        compile("require [\"editheader\", \"imap4flags\"]; addheader \"X-Before\" \"1\"; addflag \"\\\\Seen\";")
            .unwrap(),
        compile("require \"fileinto\"; if exists \"x-before\" { fileinto \"Seen-it\"; }").unwrap(),
        compile("require \"fileinto\"; fileinto \"Never\";").unwrap(),
    ];
    let refs: Vec<_> = scripts.iter().collect();
    let msg = mail_parser::MessageParser::default()
        .parse(PLAIN.as_bytes())
        .unwrap();
    let limits = Limits::default();
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits: &limits,
    };
    let out = run_sequence(&refs, &msg, env(), &mut NoHost, opts);
    // The second script files the message and cancels the keep, so the
    // third one never runs; the flag of the first one travels along.
    assert_eq!(oracle_lines(&out), ["fileinto Seen-it [flags: \\seen]"]);
    let raw = out.actions[0]
        .edited
        .as_deref()
        .cloned()
        .unwrap_or_default();
    assert!(
        String::from_utf8(raw)
            .unwrap()
            .starts_with("X-Before: 1\r\n")
    );
}

#[test]
fn a_bad_pattern_at_run_time_warns_and_matches_nothing() {
    let src = r#"require ["regex", "variables", "fileinto"];
        set "re" "(";
        if header :regex "subject" "${re}" { fileinto "Matched"; }
        fileinto "After";"#;
    let out = go(src, PLAIN, &mut NoHost);
    assert_eq!(oracle_lines(&out), ["fileinto After"]);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
}

#[test]
fn expensive_matches_count_against_the_cpu_limit() {
    // 400 wildcard matches over a 60 KiB value: cheap in steps, dear in
    // work. The limit sees the work and the mail is kept.
    let src = "require [\"variables\", \"fileinto\"];\n\
        set \"v\" \"${0}\";\n"
        .to_string()
        + &"if string :matches \"${big}\" \"*a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*q*\" { }\n"
            .repeat(400)
        + "fileinto \"Never\";";
    let src = src.replace(
        "set \"v\" \"${0}\";",
        &format!("set \"big\" \"{}\";", "x".repeat(60_000)),
    );
    let limits = Limits {
        max_variable_size: 64 * 1024,
        ..Limits::default()
    };
    let script = compile_with(&src, &limits).unwrap();
    let msg = mail_parser::MessageParser::default()
        .parse(PLAIN.as_bytes())
        .unwrap();
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits: &limits,
    };
    let out = run(&script, &msg, env(), &mut NoHost, opts);
    assert!(
        matches!(out.error, Some(RuntimeError::CpuLimit(_))),
        "{:?}",
        out.error
    );
    assert_eq!(oracle_lines(&out), ["error runtime"]);
}

#[test]
fn notify_limits() {
    let src =
        "require \"enotify\";\n".to_string() + &"notify \"mailto:x@example.org\";\n".repeat(11);
    let out = go(&src, PLAIN, &mut NoHost);
    assert!(out.error.is_some(), "the eleventh notify is over the limit");
    let none = Limits {
        max_notifications: 0,
        ..Limits::default()
    };
    let e = compile_with(
        "require \"enotify\"; notify \"mailto:x@example.org\";",
        &none,
    )
    .unwrap_err();
    assert!(e.errors[0].message.contains("prohibits"), "{e:?}");
}

#[test]
fn compile_reports_errors_inside_broken_commands_and_unknown_names_once() {
    let src = "if \"spurious\" true {\n  frop;\n}\nfrop;\nkeep :copyy;\nif header :is \"a\" {}\n";
    let e = compile(src).unwrap_err();
    let got: Vec<(u32, &str)> = e
        .errors
        .iter()
        .map(|d| (d.line, d.message.as_str()))
        .collect();
    assert_eq!(got.len(), 4, "{got:#?}");
    assert!(
        got[0]
            .1
            .contains("requires 0 positional argument(s), but 1")
    );
    assert_eq!(
        got[1],
        (
            2,
            "unknown command 'frop' (only reported once at first occurrence)"
        )
    );
    assert!(got[2].1.contains("unknown tagged argument ':copyy'"));
    assert!(
        got[3]
            .1
            .contains("requires 2 positional argument(s), but 1")
    );
}

#[test]
fn lexer_errors_are_collected_with_positions() {
    let e =
        compile("if size :over 99999999999999999999999 { stop; }\nkeep @@;\nstop;").unwrap_err();
    let pos: Vec<(u32, u32)> = e.errors.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(pos[0], (1, 15), "{e:?}");
    assert!(pos.contains(&(2, 6)), "{e:?}");
}

#[test]
fn huge_nesting_limits_cannot_overflow_the_stack() {
    let limits = Limits {
        max_nesting: usize::MAX,
        ..Limits::default()
    };
    let deep = "if true {".repeat(100_000) + &"}".repeat(100_000);
    assert!(compile_with(&deep, &limits).is_err());
    let tests = "if ".to_string() + &"not ".repeat(100_000) + "true {}";
    assert!(compile_with(&tests, &limits).is_err());
}
