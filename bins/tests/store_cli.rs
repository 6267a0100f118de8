//! `rampart store ...` end to end: accounts, mailboxes, quotas, mbox
//! and Maildir import and export, verify, and clear errors.

use std::path::Path;
use std::process::{Command, Output};

fn rampart(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("--data")
        .arg(data)
        .arg("store")
        .args(args)
        .output()
        .expect("run rampart")
}

fn ok(data: &Path, args: &[&str]) -> String {
    let out = rampart(data, args);
    assert!(
        out.status.success(),
        "rampart store {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sample_mbox(n: usize) -> Vec<u8> {
    let mut f = Vec::new();
    for i in 0..n {
        f.extend_from_slice(
            format!(
                "From sender{i}@example.org Mon Jan  2 03:04:{:02} 2006\n\
                 From: sender{i}@example.org\nSubject: message {i}\n{}\n\
                 body {i}\n>From quoted\nFrom inside is impossible here\n\n",
                i % 60,
                if i % 2 == 0 { "Status: RO\n" } else { "" }
            )
            .replace("\nFrom inside", "\n>From inside")
            .as_bytes(),
        );
    }
    f
}

#[test]
fn accounts_mailboxes_import_export_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    ok(data, &["account", "create", "ann"]);
    assert!(ok(data, &["account", "list"]).starts_with("ann\t0 messages"));
    ok(
        data,
        &[
            "mailbox",
            "create",
            "--user",
            "ann",
            "Sent",
            "--special-use",
            "\\Sent",
        ],
    );

    let mbox = data.join("old.mbox");
    std::fs::write(&mbox, sample_mbox(50)).unwrap();
    let out = ok(
        data,
        &[
            "import",
            "--user",
            "ann",
            "--mbox",
            mbox.to_str().unwrap(),
            "--mailbox",
            "Old/2006",
        ],
    );
    assert!(out.starts_with("imported 50 messages"), "{out}");

    let list = ok(data, &["mailbox", "list", "--user", "ann"]);
    let line = list.lines().find(|l| l.starts_with("Old/2006\t")).unwrap();
    let cols: Vec<&str> = line.split('\t').collect();
    assert_eq!(cols[1], "50", "{line}");
    assert_eq!(cols[2], "25", "unseen: {line}");
    assert!(list.contains("\\Sent"), "{list}");

    // mboxrd export of an mboxrd import gives back the same file.
    let back = data.join("back.mbox");
    ok(
        data,
        &[
            "export",
            "--user",
            "ann",
            "--mailbox",
            "Old/2006",
            "--mbox",
            back.to_str().unwrap(),
        ],
    );
    let exported = std::fs::read(&back).unwrap();
    let text = String::from_utf8(exported).unwrap();
    assert_eq!(text.matches("\nFrom sender").count() + 1, 50);
    assert!(text.contains("\n>From quoted\n"));

    // Maildir out and back in.
    let md = data.join("maildir");
    ok(
        data,
        &[
            "export",
            "--user",
            "ann",
            "--mailbox",
            "Old/2006",
            "--maildir",
            md.to_str().unwrap(),
        ],
    );
    let out = ok(
        data,
        &[
            "import",
            "--user",
            "ann",
            "--maildir",
            md.to_str().unwrap(),
            "--mailbox",
            "Again",
        ],
    );
    assert!(out.starts_with("imported 50 messages"), "{out}");

    ok(data, &["quota", "--user", "ann", "--set-messages", "1000"]);
    let q = ok(data, &["quota", "--user", "ann"]);
    assert!(q.contains("messages\t100\t1000"), "{q}");

    let v = ok(data, &["verify"]);
    assert!(
        v.contains("100 messages") && v.trim_end().ends_with("ok"),
        "{v}"
    );

    // Deleting a mailbox and compacting gives its space back.
    ok(data, &["mailbox", "delete", "--user", "ann", "Again"]);
    let c = ok(data, &["compact"]);
    assert!(c.starts_with("compacted\t"), "{c}");
    let r = ok(data, &["repair"]);
    assert!(
        r.starts_with("rewrote\t") && r.trim_end().ends_with("ok"),
        "{r}"
    );
    let v = ok(data, &["verify"]);
    assert!(
        v.contains("50 messages") && v.trim_end().ends_with("ok"),
        "{v}"
    );
}

#[test]
fn bad_input_gives_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    ok(data, &["account", "create", "bob"]);
    for bad in ["a/../b", "../etc", "x\u{7}y", "a//b", "/abs", "50%"] {
        let out = rampart(data, &["mailbox", "create", "--user", "bob", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad:?} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("bad mailbox name"), "{bad:?}: {err}");
    }
    let notmbox = data.join("notmbox");
    std::fs::write(&notmbox, "Subject: hi\n\nnot an mbox\n").unwrap();
    let out = rampart(
        data,
        &[
            "import",
            "--user",
            "bob",
            "--mbox",
            notmbox.to_str().unwrap(),
            "--mailbox",
            "X",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an mbox"));
    let out = rampart(
        data,
        &[
            "import",
            "--user",
            "nobody",
            "--mbox",
            notmbox.to_str().unwrap(),
            "--mailbox",
            "X",
        ],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
}

/// CRC-32 (IEEE), as the journal frames records.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn repair_cuts_what_cannot_be_applied_and_verify_finds_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    ok(data, &["account", "create", "ann"]);
    let mbox = data.join("three.mbox");
    std::fs::write(&mbox, sample_mbox(3)).unwrap();
    ok(
        data,
        &[
            "import",
            "--user",
            "ann",
            "--mbox",
            mbox.to_str().unwrap(),
            "--mailbox",
            "INBOX",
        ],
    );
    // A checksummed record that does not fit the store (an expunge of
    // UID 77 in INBOX, which does not exist), as a bug could write it.
    let journal = data.join("store/journal");
    let mut payload = vec![11u8];
    for s in ["ann", "INBOX"] {
        payload.extend_from_slice(&(s.len() as u32).to_le_bytes());
        payload.extend_from_slice(s.as_bytes());
    }
    payload.extend_from_slice(&9u64.to_le_bytes());
    payload.extend_from_slice(&1u32.to_le_bytes());
    payload.extend_from_slice(&77u32.to_le_bytes());
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&crc32(&payload).to_le_bytes());
    bytes.extend_from_slice(&payload);
    std::fs::write(&journal, &bytes).unwrap();

    let out = rampart(data, &["verify"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rampart store repair"), "{err}");

    let out = rampart(data, &["repair"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("rewrote\t") && text.trim_end().ends_with("ok"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be applied"));
    let v = ok(data, &["verify"]);
    assert!(
        v.contains("3 messages") && v.trim_end().ends_with("ok"),
        "{v}"
    );

    // A flipped byte in a record that a checkpoint let the open skip:
    // verify reads every record and reports it.
    let mut bytes = std::fs::read(&journal).unwrap();
    let at = bytes.len() - 20;
    bytes[at] ^= 0x20;
    std::fs::write(&journal, &bytes).unwrap();
    let out = rampart(data, &["verify"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("problem\t"), "{text}");
}

#[test]
fn maildir_with_subfolders_imports_each_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    ok(data, &["account", "create", "cy"]);
    let root = data.join("Maildir");
    for (folder, files) in [
        ("", 2),
        (".Sent", 1),
        (".Entw&APw-rfe", 1),
        (".Work.Later", 3),
    ] {
        let d = root.join(folder);
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        for i in 0..files {
            std::fs::write(
                d.join(format!("cur/{i}.host:2,S")),
                format!("Subject: {folder} {i}\n\nbody\n"),
            )
            .unwrap();
        }
    }
    let out = ok(
        data,
        &[
            "import",
            "--user",
            "cy",
            "--maildir",
            root.to_str().unwrap(),
            "--subfolders",
            "--mailbox",
            "INBOX",
        ],
    );
    assert!(
        out.trim_end().ends_with("imported 7 messages in all"),
        "{out}"
    );
    let list = ok(data, &["mailbox", "list", "--user", "cy"]);
    for (name, n) in [
        ("INBOX", "2"),
        ("Sent", "1"),
        ("Entwürfe", "1"),
        ("Work/Later", "3"),
    ] {
        let line = list
            .lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("{name} missing: {list}"));
        assert_eq!(line.split('\t').nth(1), Some(n), "{line}");
        // Seen from the file names; LF line ends became CRLF.
        assert_eq!(line.split('\t').nth(2), Some("0"), "{line}");
    }
}
