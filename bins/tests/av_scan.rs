//! `rampart scan`: clamscan-style output lines, summary, exit codes,
//! `--info`, the default database under the data directory, and (when
//! clamscan is installed) identical results on the same inputs.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

fn rampart(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("rampart runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A database folder and a folder of files: one clean, one EICAR (by
/// MD5), one body-signature hit, one empty file and one nested folder.
fn setup(root: &Path) {
    let db = root.join("db");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(
        db.join("t.hdb"),
        "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n",
    )
    .unwrap();
    std::fs::write(
        db.join("t.ndb"),
        "Test.Body:0:*:6576696c{-4}636f6465\nTest.Body2:0:*:636f6465\n",
    )
    .unwrap();
    let files = root.join("files");
    std::fs::create_dir_all(files.join("sub")).unwrap();
    std::fs::write(files.join("clean.txt"), "nothing to see here\n").unwrap();
    std::fs::write(files.join("eicar.com"), EICAR).unwrap();
    std::fs::write(files.join("sub/body.bin"), "xx evil->code xx").unwrap();
    std::fs::write(files.join("empty"), "").unwrap();
    // A mail whose base64 attachment holds the body signature, and a
    // text file in which it only appears once normalized (clamscan
    // reports neither the raw mail nor the raw text).
    std::fs::write(
        files.join("sub/mail.eml"),
        "From: a@example.com\nTo: b@example.com\nSubject: x\nMIME-Version: 1.0\n\
         Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\n\
         hello\n--b\nContent-Type: application/octet-stream\n\
         Content-Transfer-Encoding: base64\n\neHggZXZpbC0+Y29kZSB4eA==\n--b--\n",
    )
    .unwrap();
    std::fs::write(files.join("sub/shouting.txt"), "SOME EVIL->CODE HERE\n").unwrap();
}

#[test]
fn output_lines_summary_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    setup(root);
    let db = root.join("db");
    let files = root.join("files");
    let f = |n: &str| files.join(n).display().to_string();

    // Not recursive: the sub folder is skipped; first match only.
    let o = rampart(root, &["scan", "-d", db.to_str().unwrap(), f("").as_str()]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let out = stdout(&o);
    assert!(out.contains(&format!("{}: OK\n", f("clean.txt"))), "{out}");
    assert!(
        out.contains(&format!("{}: Empty file\n", f("empty"))),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{}: Eicar-Test-Signature.UNOFFICIAL FOUND\n",
            f("eicar.com")
        )),
        "{out}"
    );
    assert!(!out.contains("body.bin"), "{out}");
    assert!(
        out.contains("----------- SCAN SUMMARY -----------"),
        "{out}"
    );
    assert!(out.contains("Known viruses: 3\n"), "{out}");
    assert!(out.contains("Infected files: 1\n"), "{out}");
    assert!(out.contains("Data read: "), "{out}");

    // Recursive, all matches, no summary.
    let o = rampart(
        root,
        &[
            "scan",
            "-r",
            "--allmatch",
            "--no-summary",
            "-d",
            db.to_str().unwrap(),
            f("").as_str(),
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let body: BTreeSet<&str> = out.lines().filter(|l| l.contains("body.bin")).collect();
    assert_eq!(
        body,
        BTreeSet::from([
            format!("{}: Test.Body.UNOFFICIAL FOUND", f("sub/body.bin")).as_str(),
            format!("{}: Test.Body2.UNOFFICIAL FOUND", f("sub/body.bin")).as_str(),
        ])
    );
    for name in ["sub/mail.eml", "sub/shouting.txt"] {
        assert!(
            out.contains(&format!("{}: Test.Body.UNOFFICIAL FOUND", f(name))),
            "{name}: {out}"
        );
    }
    assert!(!out.contains("SCAN SUMMARY"));

    // Clean file: 0; missing file: 2.
    let o = rampart(root, &["scan", "-d", db.to_str().unwrap(), &f("clean.txt")]);
    assert_eq!(o.status.code(), Some(0));
    let o = rampart(root, &["scan", "-d", db.to_str().unwrap(), &f("nope")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("No such file or directory"));
}

#[test]
fn bad_database_is_an_error_and_info_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    setup(root);
    let bad = root.join("bad.ndb");
    std::fs::write(&bad, "Ok:0:*:616263\nBroken:0:*:6g\n").unwrap();
    let o = rampart(
        root,
        &["scan", "-d", bad.to_str().unwrap(), root.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.ndb:2"), "{err}");
    assert!(
        stdout(&o).is_empty(),
        "nothing is scanned with a bad database"
    );

    // Lenient: the bad line is skipped and counted.
    let o = rampart(
        root,
        &["scan", "--lenient", "--info", bad.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("bad lines skipped (lenient): 1"),
        "{}",
        stdout(&o)
    );

    let db = root.join("db");
    let o = rampart(root, &["scan", "--info", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("file hash signatures (.hdb/.hsb): 1"), "{out}");
    assert!(out.contains("body signatures (.ndb/.db): 2"), "{out}");
}

#[test]
fn default_database_lives_in_the_data_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    setup(root);
    let eicar = root.join("files/eicar.com");
    // No database yet: a clear error.
    let o = rampart(root, &["scan", eicar.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::create_dir_all(root.join("signatures")).unwrap();
    std::fs::copy(root.join("db/t.hdb"), root.join("signatures/main.hdb")).unwrap();
    let o = rampart(root, &["scan", "--no-summary", eicar.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("Eicar-Test-Signature.UNOFFICIAL FOUND"));
}

#[test]
fn same_as_clamscan() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    setup(root);
    let args = ["--no-summary", "--allmatch", "-r", "-d"];
    let db = root.join("db");
    let files = root.join("files");
    let Ok(theirs) = Command::new("clamscan")
        .args(args)
        .arg(&db)
        .arg(&files)
        .output()
    else {
        assert!(
            std::env::var_os("RAMPART_REQUIRE_PEERS").is_none(),
            "clamscan is not installed, and RAMPART_REQUIRE_PEERS asks for it"
        );
        println!("skipped: clamscan not installed");
        return;
    };
    let ours = rampart(
        root,
        &[
            "scan",
            "--no-summary",
            "--allmatch",
            "-r",
            "-d",
            db.to_str().unwrap(),
            files.to_str().unwrap(),
        ],
    );
    // clamscan prints --allmatch duplicates and uses directory order.
    let lines = |o: &Output| -> BTreeSet<String> { stdout(o).lines().map(String::from).collect() };
    assert_eq!(lines(&theirs), lines(&ours));
    assert_eq!(theirs.status.code(), ours.status.code());
}
