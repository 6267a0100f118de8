//! `rampart bayes learn|classify|stats` and `rampart spam check` end to
//! end, on the SpamAssassin sample shipped in spam-bayes/tests/corpus.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn corpus(class: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spam-bayes/tests/corpus")
        .join(class)
}

fn rampart(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("run rampart")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Copies every other message of a class into `dir` (training half).
fn half(class: &str, dir: &Path, train: bool) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(corpus(class))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .into_iter()
        .enumerate()
        .filter(|(i, _)| (i % 2 == 0) == train)
        .map(|(_, p)| {
            let to = dir.join(p.file_name().unwrap());
            std::fs::copy(&p, &to).unwrap();
            to
        })
        .collect()
}

#[test]
fn learn_classify_stats_and_check() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (ts, th) = (tmp.path().join("ts"), tmp.path().join("th"));
    half("spam", &ts, true);
    half("ham", &th, true);
    let test_spam = half("spam", &tmp.path().join("es"), false);
    let test_ham = half("ham", &tmp.path().join("eh"), false);

    let o = rampart(
        &data,
        &[
            "bayes",
            "learn",
            "-q",
            "--spam",
            ts.to_str().unwrap(),
            "--ham",
            th.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        stdout(&o).contains("learned 200 messages"),
        "{}",
        stdout(&o)
    );
    // Learning again counts nothing twice.
    let o = rampart(
        &data,
        &["bayes", "learn", "-q", "--spam", ts.to_str().unwrap()],
    );
    assert!(stdout(&o).contains("learned 0 messages (100 already known)"));

    let o = rampart(&data, &["bayes", "stats"]);
    let s = stdout(&o);
    assert!(
        s.contains("spam messages\t100") && s.contains("ham messages\t100"),
        "{s}"
    );

    let o = rampart(
        &data,
        &[
            "bayes",
            "classify",
            tmp.path().join("es").to_str().unwrap(),
            tmp.path().join("eh").to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    let lines: Vec<String> = stdout(&o).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), test_spam.len() + test_ham.len());
    let mut right = 0;
    for line in &lines {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 3, "{line}");
        let p: f64 = f[1].parse().unwrap();
        assert!((0.0..=1.0).contains(&p));
        assert!(["spam", "ham", "unsure"].contains(&f[2]));
        let truth = if f[0].contains("/es/") { "spam" } else { "ham" };
        right += usize::from(f[2] == truth);
    }
    // Conservative: 100 training messages per class only.
    assert!(right >= lines.len() * 3 / 4, "{right} of {}", lines.len());

    // A file that cannot be read (reading /proc/self/mem at offset 0
    // fails) ends the run with a clear error, after the lines of the
    // files before it.
    let (one, two) = (
        test_spam[0].to_str().unwrap(),
        test_ham[0].to_str().unwrap(),
    );
    let bad = "/proc/self/mem";
    let o = rampart(
        &data,
        &[
            "bayes",
            "classify",
            one,
            two,
            bad,
            test_ham[1].to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let out = stdout(&o);
    let names: Vec<&str> = out.lines().filter_map(|l| l.split('\t').next()).collect();
    assert_eq!(names, [one, two]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("read /proc/self/mem"), "{err}");

    // Expiry with today's date keeps everything just learned.
    let o = rampart(&data, &["bayes", "expire"]);
    assert!(
        stdout(&o).starts_with("removed 0 old and 0 single-use tokens"),
        "{}",
        stdout(&o)
    );

    let o = rampart(
        &data,
        &[
            "spam",
            "check",
            test_spam[0].to_str().unwrap(),
            "--fact",
            "RCVD_IN_XBL,VIRUS_FOUND",
        ],
    );
    let s = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{s}");
    assert!(s.contains("Content analysis details:"), "{s}");
    assert!(
        s.contains("VIRUS_FOUND") && s.contains("X-Spam-Flag: YES"),
        "{s}"
    );
    assert!(s.contains("X-Spam-Status: Yes, score="), "{s}");
}

#[test]
fn mbox_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mbox = tmp.path().join("box");
    std::fs::write(
        &mbox,
        "From a@x Thu Jan  1 00:00:00 2026\nSubject: one\n\ncheap pills\n\n\
         From b@x Thu Jan  1 00:00:00 2026\nSubject: two\n\nmore pills\n",
    )
    .unwrap();
    let o = rampart(
        &data,
        &["bayes", "learn", "-q", "--spam", mbox.to_str().unwrap()],
    );
    assert!(stdout(&o).contains("learned 2 messages"), "{}", stdout(&o));
    // Not enough training: a clear error, not a panic.
    let o = rampart(&data, &["bayes", "classify", mbox.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not enough training"));
    let o = rampart(&data, &["bayes", "classify", "/nonexistent/path"]);
    assert_eq!(o.status.code(), Some(2));
    // A store written by the first format version asks for relearning.
    let old = tmp.path().join("old.db");
    let mut bytes = b"RMPBAYES\x01\x00".to_vec();
    bytes.resize(44, 0);
    std::fs::write(&old, &bytes).unwrap();
    let o = rampart(&data, &["bayes", "stats", "--db", old.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("learn the messages again"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // spam check works without Bayes and with a bad config names the line.
    let cf = tmp.path().join("local.cf");
    std::fs::write(&cf, "score MISSING_DATE 9\n").unwrap();
    let o = rampart(
        &data,
        &[
            "spam",
            "check",
            "--config",
            cf.to_str().unwrap(),
            mbox.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("MISSING_DATE"));
    std::fs::write(&cf, "body X /(/\n").unwrap();
    let o = rampart(
        &data,
        &[
            "spam",
            "check",
            "--config",
            cf.to_str().unwrap(),
            mbox.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 1"));
}
