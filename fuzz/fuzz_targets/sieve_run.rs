//! Arbitrary scripts on arbitrary messages: the input is a script, a NUL
//! byte, then a message. Every run ends (step limit) with an outcome
//! that keeps the mail when the script fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_sieve_engine::{
    DateTime, Envelope, Limits, NoHost, RunOptions, compile_with, oracle_lines, run,
};

const FALLBACK: &[u8] = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: s\r\n\r\nbody\r\n";

fuzz_target!(|data: &[u8]| {
    let (script, message) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, FALLBACK),
    };
    let limits = Limits {
        max_script_size: 16 * 1024,
        max_steps: 5_000,
        ..Limits::default()
    };
    let Ok(script) = compile_with(&String::from_utf8_lossy(script), &limits) else {
        return;
    };
    let parser = mail_parser::MessageParser::default();
    let msg = match parser.parse(message) {
        Some(m) => m,
        None => parser.parse(FALLBACK).expect("fallback message parses"),
    };
    let env = Envelope {
        from: "sender@example.org",
        to: "rcpt+tag@example.net",
        auth: None,
    };
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits: &limits,
    };
    let out = run(&script, &msg, env, &mut NoHost, opts);
    let lines = oracle_lines(&out);
    assert!(!lines.is_empty(), "every outcome has at least one line");
    if out.error.is_some() {
        assert!(
            out.actions.iter().any(|a| a.implicit),
            "a failed run keeps the mail"
        );
    }
});
