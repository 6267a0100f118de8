#!/usr/bin/env bash
# bench-vs-sieve-rs.sh [MESSAGES_DIR]
#
# Side-by-side speed of rampart-sieve-engine and Stalwart's sieve-rs
# (crates.io, pinned below) on the same machine, in one process, on the
# same scripts and the same messages:
#
#   compile   the 50-rule user script and the wizard's example script
#             (the two scripts of benches/sieve.rs)
#   run       the 50-rule script over messages parsed beforehand
#   parse+run the same, parsing each message from its bytes first
#
# sieve-rs is AGPL-3.0: it never becomes a dependency of this workspace.
# The script writes a throwaway cargo project (its own Cargo.lock, seeded
# from the workspace's so our side builds with the versions we ship)
# that depends on this crate by path and on sieve-rs, and builds it in
# release mode. The project lives under $CARGO_TARGET_DIR when that is
# set (kept, so a second run does not rebuild sieve-rs), otherwise in a
# temporary directory removed at exit.
#
# MESSAGES_DIR: more messages (every regular file in it, read as one
# raw message each) for the run rows, on top of the 20 built-in ones.
#
# Fairness: both engines get the same parsed message (sieve-rs takes it by
# value, so it gets a clone made outside the timed region), the same
# envelope, and their results are dropped outside the timed region. The
# host answers are the same on both sides: our NoHost (only INBOX exists,
# nothing is a duplicate, no include) and, in sieve-rs's event loop, the
# same answers, every action acknowledged. Before timing, the actions of
# both are compared message by message. Timing: batches of about 10 ms,
# the engines alternate batch by batch (order flipped every round), the
# figure is the median over ROUNDS rounds (default 41), in thread CPU
# time (steadier on a loaded machine) and in wall-clock time; the whole
# is run in RUNS processes (default 5: the heap layout of a process moves
# the figures more than the noise within one) and the table gives the
# median of their medians. ONLY=TEXT keeps the benchmarks whose name
# contains TEXT; RUNS=1 measures in one process (for profiling).
set -euo pipefail
MSGDIR=${1:-}
if [ -n "$MSGDIR" ]; then MSGDIR=$(cd "$MSGDIR" && pwd); fi
CRATE=$(cd "$(dirname "$0")/.." && pwd)
WORKSPACE=$(cd "$CRATE/.." && pwd)
SIEVE_RS_VERSION=0.7.3

if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  PROJ=$CARGO_TARGET_DIR/bench-vs-sieve-rs
  mkdir -p "$PROJ"
else
  PROJ=$(mktemp -d)
  trap 'rm -rf "$PROJ"' EXIT
fi
mkdir -p "$PROJ/src"
# The project must not join our workspace: it is nowhere under it, and
# its own empty [workspace] table says so.
cat >"$PROJ/Cargo.toml" <<EOF
[package]
name = "bench-vs-sieve-rs"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
rampart-sieve-engine = { path = "$CRATE" }
sieve-rs = "=$SIEVE_RS_VERSION"
mail-parser = "0.11"

[profile.release]
debug = "line-tables-only"
EOF
[ -f "$PROJ/Cargo.lock" ] || cp "$WORKSPACE/Cargo.lock" "$PROJ/Cargo.lock"
cp "$CRATE/benches/common/workload.rs" "$PROJ/src/workload.rs"

cat >"$PROJ/src/main.rs" <<'EOF'
use std::hint::black_box;
use std::time::Instant;

use mail_parser::{Message, MessageParser};
use rampart_sieve_engine as ours;

const ENV_FROM: &str = "s@example.org";
const ENV_TO: &str = "me+tag3@example.net";

// The script and messages of benches/sieve.rs (copied beside this file).
mod workload;
use workload::{messages, user_script};

fn parse(raw: &[u8]) -> Message<'_> {
    MessageParser::default().parse(raw).expect("message parses")
}

// ---- our side ----

fn ours_run<'m>(
    script: &ours::Script,
    msg: &Message<'m>,
    limits: &ours::Limits,
) -> ours::Outcome {
    let env = ours::Envelope { from: ENV_FROM, to: ENV_TO, auth: None };
    let opts = ours::RunOptions { now: ours::DateTime::utc(1_700_000_000), limits };
    ours::run(script, msg, env, &mut ours::NoHost, opts)
}

fn ours_actions(out: &ours::Outcome) -> Vec<String> {
    let mut v: Vec<String> = out
        .actions
        .iter()
        .map(|p| match &p.action {
            ours::Action::Keep { flags } => format!("keep {}", flags_key(flags)),
            ours::Action::FileInto { mailbox, flags, .. } => {
                format!("fileinto {mailbox} {}", flags_key(flags))
            }
            ours::Action::Discard => "discard".into(),
            other => format!("{other:?}"),
        })
        .collect();
    v.sort();
    v
}

// ---- sieve-rs side ----

/// Runs sieve-rs's event loop, answering as our NoHost does; returns the
/// context (dropped by the caller, outside the timed region) and the
/// action events.
fn theirs_run<'x>(
    runtime: &'x sieve::Runtime,
    script: &std::sync::Arc<sieve::Sieve>,
    msg: Message<'x>,
) -> (sieve::Context<'x>, Vec<sieve::Event>) {
    let ctx = runtime
        .filter_parsed(msg)
        .with_envelope(sieve::Envelope::From, ENV_FROM)
        .with_envelope(sieve::Envelope::To, ENV_TO);
    theirs_loop(ctx, script)
}

fn theirs_loop<'x>(
    mut ctx: sieve::Context<'x>,
    script: &std::sync::Arc<sieve::Sieve>,
) -> (sieve::Context<'x>, Vec<sieve::Event>) {
    use sieve::{Event, Input};
    let mut actions = Vec::new();
    let mut input = Input::script("user", script.clone());
    while let Some(r) = ctx.run(input) {
        input = match r {
            Ok(Event::MailboxExists { mailboxes, .. }) => mailboxes
                .iter()
                .all(|m| match m {
                    sieve::Mailbox::Name(n) => n.eq_ignore_ascii_case("INBOX"),
                    _ => false,
                })
                .into(),
            Ok(Event::DuplicateId { .. }) | Ok(Event::ListContains { .. }) => false.into(),
            Ok(Event::IncludeScript { .. }) => Input::False,
            Ok(Event::Function { .. }) => Input::result("".into()),
            Ok(ev) => {
                actions.push(ev);
                true.into()
            }
            Err(_) => true.into(),
        };
    }
    (ctx, actions)
}

fn theirs_actions(evs: &[sieve::Event]) -> Vec<String> {
    use sieve::Event;
    let mut v: Vec<String> = evs
        .iter()
        .filter_map(|e| match e {
            Event::Keep { flags, .. } => Some(format!("keep {}", flags_key(flags))),
            Event::FileInto { folder, flags, .. } => {
                Some(format!("fileinto {folder} {}", flags_key(flags)))
            }
            Event::Discard => Some("discard".into()),
            Event::CreatedMessage { .. } => None,
            other => Some(format!("{other:?}")),
        })
        .collect();
    v.sort();
    v
}

fn flags_key(flags: &[String]) -> String {
    let mut f: Vec<String> = flags.iter().map(|s| s.to_ascii_lowercase()).collect();
    f.sort();
    f.join(",")
}

// ---- timing ----

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// CPU time of this thread, ns (Linux CLOCK_THREAD_CPUTIME_ID): on a
/// loaded machine it leaves out the time other processes had the core.
fn thread_cpu_ns() -> f64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { clock_gettime(3, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.sec as f64 * 1e9 + ts.nsec as f64
}

/// (CPU, wall) nanoseconds per call of one batch of `n` calls; `prep`
/// (untimed) builds the inputs, `f` (timed) consumes them, results are
/// dropped after the clocks stop.
fn batch<I, O>(
    n: usize,
    prep: &mut dyn FnMut(usize) -> I,
    f: &mut dyn FnMut(I) -> O,
) -> (f64, f64) {
    let inputs: Vec<I> = (0..n).map(&mut *prep).collect();
    let mut outs = Vec::with_capacity(n);
    let (c, t) = (thread_cpu_ns(), Instant::now());
    for i in inputs {
        outs.push(f(i));
    }
    let wall = t.elapsed().as_nanos() as f64 / n as f64;
    let cpu = (thread_cpu_ns() - c) / n as f64;
    drop(black_box(outs));
    (cpu, wall)
}

struct Case<'a> {
    name: String,
    ours: Box<dyn FnMut(usize) -> (f64, f64) + 'a>,
    theirs: Box<dyn FnMut(usize) -> (f64, f64) + 'a>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Per-call medians (CPU ours, CPU theirs, wall ours, wall theirs) of
/// each benchmark over `rounds` interleaved rounds, in this process.
fn measure(cases: &mut [Case<'_>], rounds: usize) -> Vec<(String, [f64; 4])> {
    let only = std::env::var("ONLY").unwrap_or_default();
    let mut out = Vec::new();
    for c in cases.iter_mut().filter(|c| c.name.contains(&only)) {
        // Calibrate: a batch of about 10 ms, and warm both.
        let probe = (c.ours)(16).0.max((c.theirs)(16).0);
        let n = ((10e6 / probe) as usize).clamp(16, 200_000);
        (c.ours)(n);
        (c.theirs)(n);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in 0..rounds {
            if r % 2 == 0 {
                a.push((c.ours)(n));
                b.push((c.theirs)(n));
            } else {
                b.push((c.theirs)(n));
                a.push((c.ours)(n));
            }
        }
        let col = |v: &[(f64, f64)], wall: bool| {
            let mut x: Vec<f64> = v.iter().map(|p| if wall { p.1 } else { p.0 }).collect();
            median(&mut x)
        };
        out.push((
            c.name.clone(),
            [col(&a, false), col(&b, false), col(&a, true), col(&b, true)],
        ));
    }
    out
}

fn print_table(rows: &[(String, [f64; 4])], note: &str) {
    println!(
        "{:<34} {:>11} {:>11} {:>9}   {:>11} {:>11} {:>9}",
        "median per call", "rampart", "sieve-rs", "ratio", "rampart", "sieve-rs", "ratio"
    );
    println!("{:<34} {:>33}   {:>33}", "", "(thread CPU time)", "(wall clock)");
    for (name, [ca, cb, wa, wb]) in rows {
        println!(
            "{:<34} {:>11} {:>11} {:>8.2}x   {:>11} {:>11} {:>8.2}x",
            name,
            fmt_ns(*ca),
            fmt_ns(*cb),
            cb / ca,
            fmt_ns(*wa),
            fmt_ns(*wb),
            wb / wa
        );
    }
    println!("ratio = sieve-rs / rampart: above 1 means rampart is faster; {note}");
}

/// Runs this program `runs` times as child processes (a process's heap
/// layout moves the figures by more than the noise within it) and
/// prints the median of their medians.
fn parent(runs: usize) {
    let exe = std::env::current_exe().expect("own path");
    let mut all: Vec<(String, Vec<[f64; 4]>)> = Vec::new();
    for r in 0..runs {
        let out = std::process::Command::new(&exe)
            .args(std::env::args().skip(1))
            .env("BENCH_CHILD", "1")
            .output()
            .expect("child run");
        assert!(out.status.success(), "child run failed");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(raw) = line.strip_prefix("RAW\t") {
                let f: Vec<&str> = raw.split('\t').collect();
                let v: Vec<f64> = f[1..].iter().map(|x| x.parse().unwrap_or(f64::NAN)).collect();
                let row = [v[0], v[1], v[2], v[3]];
                match all.iter_mut().find(|(n, _)| n == f[0]) {
                    Some((_, rows)) => rows.push(row),
                    None => all.push((f[0].to_string(), vec![row])),
                }
            } else if r == 0 {
                println!("{line}");
            }
        }
    }
    println!();
    println!(
        "{:<34} {:>25} {:>25}",
        "CPU time, lowest-highest process", "rampart", "sieve-rs"
    );
    for (name, rows) in &all {
        let range = |k: usize| {
            let lo = rows.iter().map(|r| r[k]).fold(f64::INFINITY, f64::min);
            let hi = rows.iter().map(|r| r[k]).fold(0.0, f64::max);
            format!("{} - {}", fmt_ns(lo), fmt_ns(hi))
        };
        println!("{:<34} {:>25} {:>25}", name, range(0), range(1));
    }
    let rows: Vec<(String, [f64; 4])> = all
        .into_iter()
        .map(|(name, rows)| {
            let mut m = [0.0; 4];
            for (k, slot) in m.iter_mut().enumerate() {
                let mut x: Vec<f64> = rows.iter().map(|r| r[k]).collect();
                *slot = median(&mut x);
            }
            (name, m)
        })
        .collect();
    println!();
    print_table(&rows, &format!("median of {runs} processes"));
}

fn main() {
    let runs: usize = std::env::var("RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let child = std::env::var_os("BENCH_CHILD").is_some();
    if !child && runs > 1 {
        return parent(runs);
    }
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(41);
    let user = user_script();
    let wizard = ours::wizard::Preferences::example().to_script();

    let mut raws = messages();
    let builtin = raws.len();
    if let Some(dir) = std::env::args().nth(1) {
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("messages directory")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for p in files {
            let raw = std::fs::read(&p).expect("message file");
            if MessageParser::default().parse(&raw).is_some() {
                raws.push(raw);
            }
        }
    }
    let msgs: Vec<Message<'_>> = raws.iter().map(|r| parse(r)).collect();

    let limits = ours::Limits::default();
    let compiler = sieve::Compiler::new();
    let runtime = sieve::Runtime::new();
    let our_user = ours::compile(&user).expect("our compile of the user script");
    ours::compile(&wizard).expect("our compile of the wizard script");
    let their_user = std::sync::Arc::new(
        compiler.compile(user.as_bytes()).expect("sieve-rs compile of the user script"),
    );
    compiler.compile(wizard.as_bytes()).expect("sieve-rs compile of the wizard script");

    // Same work: the same actions for every message.
    let mut differ = 0;
    for (i, m) in msgs.iter().enumerate() {
        let a = ours_actions(&ours_run(&our_user, m, &limits));
        let b = theirs_actions(&theirs_run(&runtime, &their_user, m.clone()).1);
        if a != b {
            differ += 1;
            if differ <= 3 {
                eprintln!("message {i}: actions differ\n  rampart:  {a:?}\n  sieve-rs: {b:?}");
            }
        }
    }
    println!(
        "{} messages ({} built in, {} from the directory), {} with different actions; {} rounds, medians",
        msgs.len(),
        builtin,
        msgs.len() - builtin,
        differ,
        rounds
    );

    let nm = msgs.len();
    let mut cases = vec![
        Case {
            name: "compile/user-50-rules".into(),
            ours: Box::new(|n| batch(n, &mut |_| (), &mut |()| ours::compile(black_box(&user)))),
            theirs: Box::new(|n| {
                batch(n, &mut |_| (), &mut |()| compiler.compile(black_box(user.as_bytes())))
            }),
        },
        Case {
            name: "compile/wizard".into(),
            ours: Box::new(|n| batch(n, &mut |_| (), &mut |()| ours::compile(black_box(&wizard)))),
            theirs: Box::new(|n| {
                batch(n, &mut |_| (), &mut |()| compiler.compile(black_box(wizard.as_bytes())))
            }),
        },
        Case {
            name: "run/user-50-rules/per-message".into(),
            ours: Box::new(|n| {
                batch(n, &mut |i| &msgs[i % nm], &mut |m| ours_run(&our_user, black_box(m), &limits))
            }),
            theirs: Box::new(|n| {
                batch(n, &mut |i| msgs[i % nm].clone(), &mut |m| {
                    theirs_run(&runtime, &their_user, black_box(m))
                })
            }),
        },
        Case {
            name: "parse+run/user-50-rules/per-msg".into(),
            ours: Box::new(|n| {
                batch(n, &mut |i| &raws[i % nm], &mut |r| {
                    let m = parse(black_box(r));
                    ours_run(&our_user, &m, &limits).actions.len()
                })
            }),
            theirs: Box::new(|n| {
                batch(n, &mut |i| &raws[i % nm], &mut |r| {
                    let ctx = runtime
                        .filter(black_box(r))
                        .with_envelope(sieve::Envelope::From, ENV_FROM)
                        .with_envelope(sieve::Envelope::To, ENV_TO);
                    theirs_loop(ctx, &their_user).1.len()
                })
            }),
        },
    ];
    let rows = measure(&mut cases, rounds);
    if child {
        for (name, v) in &rows {
            println!("RAW\t{name}\t{}\t{}\t{}\t{}", v[0], v[1], v[2], v[3]);
        }
    } else {
        println!();
        print_table(&rows, "one process");
    }
}
EOF

cd "$PROJ"
echo "building $PROJ (release)..." >&2
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-$PROJ/target}/release/bench-vs-sieve-rs
echo "sieve-rs $(grep -A1 'name = "sieve-rs"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p'), mail-parser $(grep -A1 'name = "mail-parser"' Cargo.lock | sed -n 's/version = "\(.*\)"/\1/p'), $(rustc --version)"
if [ -n "$MSGDIR" ]; then "$BIN" "$MSGDIR"; else "$BIN"; fi
