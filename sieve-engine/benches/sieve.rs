//! Compile time of realistic scripts and run time per message.
//!
//! `SIEVE_BENCH_DIR=/path/to/pigeonhole/tests` adds the largest
//! Pigeonhole test scripts to the compile benchmark.

// criterion_group! generates undocumented items.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rampart_sieve_engine::{DateTime, Envelope, Limits, NoHost, RunOptions, compile, run};

#[path = "common/workload.rs"]
mod workload;
use workload::{messages, user_script};

fn bench(c: &mut Criterion) {
    let user = user_script();
    let wizard = rampart_sieve_engine::wizard::Preferences::example().to_script();
    c.bench_function("compile/user-50-rules", |b| {
        b.iter(|| compile(black_box(&user)).unwrap())
    });
    c.bench_function("compile/wizard", |b| {
        b.iter(|| compile(black_box(&wizard)).unwrap())
    });
    if let Ok(dir) = std::env::var("SIEVE_BENCH_DIR") {
        let mut files: Vec<(u64, std::path::PathBuf)> = walk(std::path::Path::new(&dir));
        files.sort();
        // The largest test files parse (they need the testsuite
        // extension to compile); the largest plain scripts compile.
        let tests = files
            .iter()
            .rev()
            .filter(|(_, p)| p.extension().is_some_and(|x| x == "svtest"));
        let scripts = files.iter().rev().filter(|(_, p)| {
            p.extension().is_some_and(|x| x == "sieve")
                && std::fs::read_to_string(p).is_ok_and(|t| compile(&t).is_ok())
        });
        for (kind, (_, p)) in tests
            .take(3)
            .map(|f| ("parse", f))
            .chain(scripts.take(3).map(|f| ("compile", f)))
        {
            let text = std::fs::read_to_string(p).unwrap_or_default();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            c.bench_function(&format!("{kind}/pigeonhole/{name}"), |b| {
                b.iter(|| {
                    if kind == "parse" {
                        black_box(rampart_sieve_engine::check_syntax(black_box(&text)).is_ok());
                    } else {
                        black_box(compile(black_box(&text)).is_ok());
                    }
                })
            });
        }
    }
    let script = compile(&user).unwrap();
    let raws = messages();
    let msgs: Vec<_> = raws
        .iter()
        .map(|r| {
            mail_parser::MessageParser::default()
                .parse(r.as_slice())
                .unwrap()
        })
        .collect();
    let limits = Limits::default();
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits: &limits,
    };
    c.bench_function("run/user-50-rules/per-message", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % msgs.len();
            let env = Envelope {
                from: "s@example.org",
                to: "me+tag3@example.net",
                auth: None,
            };
            black_box(run(&script, &msgs[i], env, &mut NoHost, opts))
        })
    });
}

/// Parse plus run, as a delivery agent does for each message.
fn bench_parse_and_run(c: &mut Criterion) {
    let script = compile(&user_script()).unwrap();
    let raws = messages();
    let limits = Limits::default();
    let opts = RunOptions {
        now: DateTime::utc(1_700_000_000),
        limits: &limits,
    };
    c.bench_function("parse+run/user-50-rules/per-message", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % raws.len();
            let msg = mail_parser::MessageParser::default()
                .parse(raws[i].as_slice())
                .unwrap();
            let env = Envelope {
                from: "s@example.org",
                to: "me+tag3@example.net",
                auth: None,
            };
            black_box(run(&script, &msg, env, &mut NoHost, opts).actions.len())
        })
    });
}

fn walk(dir: &std::path::Path) -> Vec<(u64, std::path::PathBuf)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else if p.extension().is_some_and(|x| x == "svtest" || x == "sieve") {
                out.push((e.metadata().map(|m| m.len()).unwrap_or(0), p));
            }
        }
    }
    out
}

criterion_group!(benches, bench, bench_parse_and_run);
criterion_main!(benches);
