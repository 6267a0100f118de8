//! Limits (issue item 4) and explanations (item 5): exceeding a limit is
//! an error that falls back to the implicit keep, never a panic, a hang
//! or lost mail; every action says why it happened.

use rampart_sieve_engine::{
    Action, CompileError, DateTime, Envelope, Host, Limits, NoHost, Outcome, RunOptions,
    RuntimeError, compile, compile_with, run,
};

const MSG: &[u8] =
    b"From: a@example.org\r\nTo: me@example.net\r\nSubject: hello world\r\n\r\nbody\r\n";

fn run_with(src: &str, limits: &Limits, host: &mut dyn Host) -> Outcome {
    let script = compile_with(src, limits).expect("script compiles");
    let msg = mail_parser::MessageParser::default().parse(MSG).unwrap();
    let env = Envelope {
        from: "a@example.org",
        to: "me@example.net",
        auth: None,
    };
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits,
    };
    run(&script, &msg, env, host, opts)
}

/// The outcome of a failed run: exactly the implicit keep.
fn assert_fell_back_to_keep(out: &Outcome) {
    assert_eq!(out.actions.len(), 1);
    assert!(out.actions[0].implicit);
    assert!(matches!(out.actions[0].action, Action::Keep { .. }));
    assert!(out.keep_note.contains("failed"), "{}", out.keep_note);
}

#[test]
fn cpu_limit_falls_back_to_keep() {
    let src = "require \"fileinto\";\n".to_string()
        + &"if header :contains \"subject\" \"hello\" { }\n".repeat(50)
        + "fileinto \"Never\";";
    let limits = Limits {
        max_steps: 20,
        ..Limits::default()
    };
    let out = run_with(&src, &limits, &mut NoHost);
    assert_eq!(out.error, Some(RuntimeError::CpuLimit(20)));
    assert_fell_back_to_keep(&out);
    // The same script runs to the end with the default limits.
    let out = run_with(&src, &Limits::default(), &mut NoHost);
    assert!(out.error.is_none());
    assert!(
        matches!(&out.actions[0].action, Action::FileInto { mailbox, .. } if mailbox == "Never")
    );
}

/// A regex built from variables is charged on its expanded size: a long
/// pattern over a long value (the PikeVM carries its capture slots
/// through every byte) stops at the CPU limit instead of running for
/// minutes (Pigeonhole's execute/errors-cpu-limit).
#[test]
fn expanded_regex_work_counts_against_the_cpu_limit() {
    let groups: String = (0..300).map(|i| format!("(a{i})?")).collect();
    let src = format!(
        "require [\"variables\", \"regex\"];\n\
         set \"p\" \"^({groups})+$\";\n\
         set \"v\" \"{}\";\n\
         if string :regex \"${{v}}\" \"${{p}}\" {{ discard; }}\n",
        "a1".repeat(30_000)
    );
    let limits = Limits {
        max_variable_size: 1 << 20,
        max_string_size: 1 << 20,
        ..Limits::default()
    };
    let out = run_with(&src, &limits, &mut NoHost);
    assert_eq!(out.error, Some(RuntimeError::CpuLimit(limits.max_steps)));
    assert_fell_back_to_keep(&out);
}

#[test]
fn action_and_redirect_limits() {
    let limits = Limits {
        max_actions: 2,
        max_redirects: 1,
        ..Limits::default()
    };
    let out = run_with(
        "require \"fileinto\"; fileinto \"a\"; fileinto \"b\"; fileinto \"c\";",
        &limits,
        &mut NoHost,
    );
    assert_eq!(out.error, Some(RuntimeError::TooManyActions(2)));
    assert_fell_back_to_keep(&out);
    let out = run_with(
        "redirect \"x@example.com\"; redirect \"y@example.com\";",
        &limits,
        &mut NoHost,
    );
    assert_eq!(out.error, Some(RuntimeError::TooManyRedirects(1)));
    assert_fell_back_to_keep(&out);
}

#[test]
fn nesting_and_size_limits_are_compile_errors() {
    let limits = Limits {
        max_nesting: 8,
        ..Limits::default()
    };
    let deep = "if true { ".repeat(9) + &"}".repeat(9);
    let err: CompileError = compile_with(&deep, &limits).unwrap_err();
    assert!(err.errors[0].line >= 1);
    assert!(compile_with(&("if true { ".repeat(7) + &"}".repeat(7)), &limits).is_ok());
    // Far deeper than any stack: an error, not a stack overflow.
    for s in [
        "if true { ".repeat(200_000),
        "if ".to_string() + &"not ".repeat(200_000) + "true {}",
        "if anyof(".repeat(100_000),
        "keep :flags ".to_string() + &"[".repeat(100_000),
    ] {
        assert!(compile(&s).is_err());
    }
    let small = Limits {
        max_script_size: 10,
        ..Limits::default()
    };
    let err = compile_with("keep; keep; keep;", &small).unwrap_err();
    assert!(err.errors[0].message.contains("exceeds the limit"));
}

#[test]
fn variable_values_are_capped() {
    let limits = Limits {
        max_variable_size: 16,
        ..Limits::default()
    };
    let src = "require [\"variables\", \"fileinto\"];\n\
               set \"a\" \"0123456789\";\n\
               set \"b\" \"${a}${a}${a}${a}\";\n\
               fileinto \"${b}\";";
    let out = run_with(src, &limits, &mut NoHost);
    assert!(
        matches!(&out.actions[0].action, Action::FileInto { mailbox, .. } if mailbox.len() == 16),
        "{:?}",
        out.actions
    );
}

/// A host whose script includes itself forever.
struct SelfInclude;

impl Host for SelfInclude {
    fn include(&mut self, _name: &str, _global: bool) -> Option<String> {
        Some("require \"include\"; include \"again\";".into())
    }
}

#[test]
fn include_recursion_is_bounded() {
    let out = run_with(
        "require \"include\"; include \"again\";",
        &Limits::default(),
        &mut SelfInclude,
    );
    assert!(
        matches!(out.error, Some(RuntimeError::Include { .. })),
        "{:?}",
        out.error
    );
    assert_fell_back_to_keep(&out);
}

#[test]
fn explanations_name_the_test_and_line() {
    let src = "require \"fileinto\";\n\
               if header :contains \"subject\" \"nothing\" { discard; }\n\
               elsif header :contains \"subject\" \"world\" {\n\
                   fileinto \"Worlds\";\n\
               }\n";
    let out = run_with(src, &Limits::default(), &mut NoHost);
    assert_eq!(out.actions.len(), 1);
    let p = &out.actions[0];
    assert_eq!(p.line, 4);
    assert!(
        p.why.contains("line 3") && p.why.contains("header"),
        "{}",
        p.why
    );
    assert!(
        out.keep_note.contains("cancelled by fileinto at line 4"),
        "{}",
        out.keep_note
    );
    assert!(
        out.trace
            .iter()
            .any(|t| t.line == 2 && !t.result && t.to_string().starts_with("line 2"))
    );
    let out = run_with("if false { discard; }", &Limits::default(), &mut NoHost);
    assert!(out.actions[0].implicit);
    assert!(
        out.keep_note.contains("no action cancelled it"),
        "{}",
        out.keep_note
    );
}
