//! The `rampart` command's own behaviour: help, version, the data
//! directory and how errors reach the user.

use std::process::{Command, Output};

fn rampart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_remove("RAMPART_DATA")
        .output()
        .expect("run rampart")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_lists_subcommands_and_global_options() {
    let out = rampart(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for sub in ["paths", "demo", "sieve", "store", "scan", "bayes", "spam"] {
        assert!(text.contains(sub), "{sub} missing from\n{text}");
    }
    assert!(text.contains("--data <DIR>"), "{text}");
    assert!(text.contains("--verbose"), "{text}");
}

#[test]
fn version_names_the_package_version() {
    let out = rampart(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        stdout(&out).trim(),
        format!("rampart {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn data_flag_sets_the_data_directory() {
    let out = rampart(&["--data", "/srv/rampart-test", "paths"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.starts_with("data\t/srv/rampart-test\n"), "{text}");
    assert!(text.contains("store\t/srv/rampart-test/store\n"), "{text}");
}

#[test]
fn environment_sets_the_data_directory_and_the_flag_wins() {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("paths")
        .env("RAMPART_DATA", "/from/env")
        .output()
        .unwrap();
    assert!(stdout(&out).starts_with("data\t/from/env\n"));

    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["--data", "/from/flag", "paths"])
        .env("RAMPART_DATA", "/from/env")
        .output()
        .unwrap();
    assert!(stdout(&out).starts_with("data\t/from/flag\n"));
}

#[test]
fn unknown_subcommand_is_a_usage_error_not_a_panic() {
    let out = rampart(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unrecognized subcommand"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn demo_runs_the_whole_pipeline_and_can_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    for _ in 0..2 {
        let out = rampart(&["--data", data, "demo"]);
        assert!(out.status.success(), "{out:?}");
        let text = stdout(&out);
        // The EICAR sample is refused at the frontend, the lottery scam
        // is tagged and filed into Junk by the wizard's script, the list
        // mail goes to Lists and the rest to INBOX.
        assert!(
            text.contains("554 5.7.1 Message refused: virus Eicar-Test-Signature"),
            "{text}"
        );
        assert!(text.contains("tagged as spam"), "{text}");
        assert!(text.contains("sieve: Junk (uid 1)"), "{text}");
        assert!(text.contains("sieve: Lists (uid 1)"), "{text}");
        assert!(text.contains("INBOX    2 messages"), "{text}");
        assert!(text.contains("Junk     1 message\n"), "{text}");
        assert!(
            text.contains("4 deliveries, 1 message refused at the frontend"),
            "{text}"
        );
    }
}
