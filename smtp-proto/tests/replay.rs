//! Replays recorded SMTP client streams (Zeek's test traces, see
//! `tests/data/zeek/README.md`) through the server session: no panics,
//! well-formed output, and reply classes that match the recorded
//! server wherever the behaviour is defined.
//!
//! `RAMPART_SMTP_TRACES=DIR` adds every `*.client.txt` in DIR.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rampart_smtp_proto::Reply;
use rampart_smtp_proto::server::{Event, Server, ServerConfig};

/// Reply codes after the greeting in a server byte stream; stops at
/// the first thing that is not a reply (TLS bytes after STARTTLS).
fn reply_codes(mut out: &[u8]) -> Vec<u16> {
    let mut v = Vec::new();
    while let Ok((r, n)) = Reply::parse(out) {
        v.push(r.code());
        out = &out[n..];
    }
    v.into_iter().skip(1).collect()
}

/// Runs a client stream through a permissive server fed in `piece`
/// sized reads; returns our reply codes after the greeting.
fn replay(client: &[u8], piece: usize) -> Vec<u16> {
    let mut cfg = ServerConfig::new("replay.example");
    cfg.starttls = true;
    cfg.auth_mechanisms = vec!["PLAIN", "LOGIN"];
    cfg.auth_requires_tls = false;
    let now = Instant::now();
    let mut srv = Server::new(cfg, now);
    let mut out = srv.take_output();
    'feed: for chunk in client.chunks(piece) {
        srv.feed(now, chunk);
        while let Some(ev) = srv.poll_event() {
            match ev {
                // What follows is TLS; the recording cannot go on.
                Event::StartTls => {
                    out.extend(srv.take_output());
                    break 'feed;
                }
                Event::Hello { .. } => {}
                _ => srv.accept().expect("a decision is pending"),
            }
        }
        out.extend(srv.take_output());
    }
    let mut rest = &out[..];
    while !rest.is_empty() {
        let (_, n) = Reply::parse(rest).expect("our output is well-formed replies");
        rest = &rest[n..];
    }
    reply_codes(&out)
}

fn traces() -> Vec<PathBuf> {
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/zeek")];
    if let Some(d) = std::env::var_os("RAMPART_SMTP_TRACES") {
        dirs.push(d.into());
    }
    let mut v = Vec::new();
    for d in dirs {
        for e in std::fs::read_dir(&d).expect("trace folder") {
            let p = e.expect("dir entry").path();
            if p.to_string_lossy().ends_with(".client.txt") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

/// Traces where every reply's class (2xx/3xx/4xx/5xx) must match the
/// recording: the recorded server's policy is no stricter than ours.
/// Left out, among others: `rfc3030-bdat-nonascii` (its client sends
/// `MAIL FROM:sender@localhost` without angle brackets, which Postfix
/// tolerates and RFC 5321 4.1.2 does not allow; we answer 501).
const MUST_MATCH: &[&str] = &[
    "rfc3030-bdat-0-last.conn0",
    "rfc3030-bdat-example1.conn0",
    "rfc3030-bdat-multipart-chunked.conn0",
    "rfc3030-bdat-multipart.conn0",
    "smtp-bdat-cmd-invalid.conn0",
    "smtp-bdat-cmd-invalid.conn1",
    "smtp-bdat-cmd-invalid.conn2",
    "smtp-bdat-cmd-negative-chunk-size.conn0",
    "smtp-bdat-pipeline-8bitmime.conn0",
    "smtp-mail-transactions-invalid.conn0",
    "smtp-multi-addr.conn0",
    "smtp.conn0",
];

/// Traces where every reply code must be the recorded one.
const MUST_MATCH_EXACTLY: &[&str] = &[
    "rfc3030-bdat-0-last.conn0",
    "rfc3030-bdat-example1.conn0",
    "rfc3030-bdat-multipart-chunked.conn0",
    "rfc3030-bdat-multipart.conn0",
    "smtp-bdat-pipeline-8bitmime.conn0",
    "smtp-mail-transactions-invalid.conn0",
    "smtp-starttls.conn0",
    "smtp.conn0",
    "smtp.conn2",
];

#[test]
fn replay_recorded_streams() {
    let (mut compared, mut class_ok, mut exact) = (0, 0, 0);
    for client_path in traces() {
        let name = client_path.file_name().unwrap().to_string_lossy();
        let stem = name.trim_end_matches(".client.txt").to_string();
        let client = std::fs::read(&client_path).unwrap();
        let ours = replay(&client, client.len().max(1));
        // Socket-sized reads must not change a thing.
        assert_eq!(replay(&client, 7), ours, "{stem}: piecewise differs");
        let server_path = client_path.with_file_name(format!("{stem}.server.txt"));
        let Ok(server) = std::fs::read(&server_path) else {
            continue;
        };
        let theirs = reply_codes(&server);
        let n = ours.len().min(theirs.len());
        let same_class = (0..n).filter(|&i| ours[i] / 100 == theirs[i] / 100).count();
        compared += n;
        class_ok += same_class;
        exact += (0..n).filter(|&i| ours[i] == theirs[i]).count();
        println!("{stem}: ours {ours:?}\n{stem}: theirs {theirs:?}");
        if MUST_MATCH.contains(&stem.as_str()) {
            assert_eq!(same_class, n, "{stem}: ours {ours:?} theirs {theirs:?}");
        }
        if MUST_MATCH_EXACTLY.contains(&stem.as_str()) {
            assert_eq!(ours[..n], theirs[..n], "{stem}");
        }
    }
    println!("replay: {compared} replies compared, {class_ok} same class, {exact} same code");
    assert!(compared > 100);
}
