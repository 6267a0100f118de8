//! `rampart sieve check|run|test-suite` end to end, on files written to
//! a temporary directory.

use std::path::Path;
use std::process::Command;

fn rampart(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .output()
        .expect("rampart runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("temp file");
    p.to_string_lossy().into_owned()
}

#[test]
fn check_reports_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.sieve",
        "require \"fileinto\";\nfileinto \"A\";\n",
    );
    let bad = write(dir.path(), "bad.sieve", "keep;\nfrobnicate \"x\";\n");
    let (code, out) = rampart(&["sieve", "check", &good]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = rampart(&["sieve", "check", &good, &bad]);
    assert_eq!(code, 1);
    assert!(
        out.contains("bad.sieve:2:1: error: unknown command"),
        "{out}"
    );
}

#[test]
fn run_prints_oracle_lines_and_explanations() {
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "s.sieve",
        "require [\"fileinto\", \"spamtest\", \"relational\", \"comparator-i;ascii-numeric\"];\n\
         if spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"5\" { fileinto \"Junk\"; }\n",
    );
    let msg = write(
        dir.path(),
        "m.eml",
        "From: a@example.org\r\nTo: b@example.net\r\nX-Spam-Score: 6.0\r\nSubject: x\r\n\r\nhi\r\n",
    );
    // Without spamtest settings the message is untested: kept.
    let (code, out) = rampart(&["sieve", "run", &script, &msg]);
    assert_eq!((code, out.as_str()), (0, "keep\n"));
    let set = [
        "--set",
        "sieve_spamtest_status_header=X-Spam-Score",
        "--set",
        "sieve_spamtest_score_max_value=10",
    ];
    let mut args = vec!["sieve", "run"];
    args.extend(set);
    args.extend([script.as_str(), msg.as_str()]);
    let (_, out) = rampart(&args);
    assert_eq!(out, "fileinto Junk\n");
    args.insert(2, "--explain");
    let (_, out) = rampart(&args);
    assert!(out.contains("why: line 2: spamtest matched"), "{out}");
    assert!(
        out.contains("keep: implicit keep cancelled by fileinto at line 2"),
        "{out}"
    );
}

#[test]
fn test_suite_counts_passes_and_failures() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "t.svtest",
        "require \"vnd.dovecot.testsuite\";\nrequire \"fileinto\";\n\
         test_mailbox_create \"Box\";\n\
         test_set \"message\" text:\nFrom: a@example.org\nSubject: Hello\n\nbody\n.\n;\n\
         test \"subject\" { if not header :is \"subject\" \"Hello\" { test_fail \"no\"; } }\n\
         test \"stored\" {\n fileinto \"Box\";\n if not test_result_execute { test_fail \"exec\"; }\n\
          test_message :folder \"Box\" 0;\n if not header :is \"subject\" \"Hello\" { test_fail \"not stored\"; }\n}\n\
         test \"fails\" { test_fail \"on purpose\"; }\n",
    );
    let (code, out) = rampart(&["sieve", "test-suite", &file]);
    assert_eq!(code, 1);
    assert!(
        out.contains("PASS subject") && out.contains("PASS stored"),
        "{out}"
    );
    assert!(out.contains("FAIL fails: on purpose"), "{out}");
    assert!(out.trim_end().ends_with("2 passed, 1 failed"), "{out}");
}
