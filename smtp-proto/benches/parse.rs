//! Command-line parsing speed: this crate against the published
//! `smtp-proto` 0.2 (Stalwart), on the same realistic command mix.
//!
//! `cargo bench -p rampart-smtp-proto --bench parse` first checks that
//! both parsers accept every line of the mix, then prints:
//!
//! - an interleaved comparison: both parsers run the mix in
//!   alternating short batches and the fastest batch of each counts
//!   (so a busy machine slows both alike), and it prints the
//!   throughput ratio ours / theirs (with `RAMPART_BENCH_LINES=1`, one
//!   per line too);
//! - criterion's throughput figures for each parser.

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Instant;

/// A mix shaped like a busy inbound server: one greeting, sender and
/// several recipients per transaction, with the usual parameters.
/// Every line is one both parsers accept (smtp-proto 0.2 refuses
/// address literals such as `<u@[192.0.2.1]>`, so there are none).
const MIX: &[&str] = &[
    "EHLO mail-ed1-f41.google.com\r\n",
    "MAIL FROM:<bounces+123456-abcd-user=example.org@em1234.sendgrid.net> SIZE=48213 BODY=8BITMIME\r\n",
    "RCPT TO:<alice@example.org>\r\n",
    "RCPT TO:<bob.smith@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob.smith@example.org\r\n",
    "RCPT TO:<\"carol jones\"@example.org>\r\n",
    "DATA\r\n",
    "RSET\r\n",
    "MAIL FROM:<> SIZE=1024\r\n",
    "RCPT TO:<postmaster@example.net>\r\n",
    "BDAT 65536 LAST\r\n",
    "NOOP\r\n",
    "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
    "HELO relay.example.net\r\n",
    "MAIL FROM:<user@sub.example.com> SMTPUTF8 ENVID=QQ314159 RET=HDRS\r\n",
    "RCPT TO:<dave+lists@mail.example.co.uk>\r\n",
    "QUIT\r\n",
];

fn ours(lines: &[&str]) {
    for line in lines {
        let r = rampart_smtp_proto::parse_command(black_box(line.as_bytes()));
        black_box(r.is_ok());
    }
}

fn theirs(lines: &[&str]) {
    for line in lines {
        let r = stalwart_smtp_proto::Request::parse(&mut black_box(line.as_bytes()).iter());
        black_box(r.is_ok());
    }
}

/// Both parsers must accept the whole mix, or the race is unfair.
fn check_mix() {
    for line in MIX {
        if let Err(e) = rampart_smtp_proto::parse_command(line.as_bytes()) {
            panic!("rampart refuses {line:?}: {e}");
        }
        if let Err(e) = stalwart_smtp_proto::Request::parse(&mut line.as_bytes().iter()) {
            panic!("smtp-proto 0.2 refuses {line:?}: {e:?}");
        }
    }
}

/// Time per call of `f` and of `g`, run in alternating short batches
/// of `batch` calls for `rounds` rounds; the fastest batch of each
/// counts. On a shared machine a batch is slowed when another process
/// takes the CPU or its sibling hyperthread; the fastest batches are
/// the ones that ran undisturbed, alike for both parsers.
fn race(f: impl Fn(), g: impl Fn(), rounds: usize, batch: usize) -> (f64, f64) {
    let (mut a, mut b) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        a = a.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for _ in 0..batch {
            g();
        }
        b = b.min(t.elapsed().as_secs_f64());
    }
    let n = batch as f64 / 1e9;
    (a / n, b / n)
}

/// How many calls of `f` take about 50 microseconds: short enough
/// for many batches to run without being interrupted.
fn batch_for(f: impl Fn()) -> usize {
    let t = Instant::now();
    for _ in 0..1000 {
        f();
    }
    let per = t.elapsed().as_secs_f64() / 1000.0;
    ((50e-6 / per) as usize).max(10)
}

fn interleaved() {
    let batch = batch_for(|| ours(MIX));
    let (a, b) = race(|| ours(MIX), || theirs(MIX), 5000, batch);
    println!(
        "interleaved command mix, fastest of 5000 batches: rampart {a:.0} ns, \
         smtp-proto 0.2 {b:.0} ns per mix; rampart throughput is {:.2}x smtp-proto 0.2",
        b / a
    );
    if std::env::var_os("RAMPART_BENCH_LINES").is_some() {
        for line in MIX {
            let one = [*line];
            let batch = batch_for(|| ours(&one));
            let (a, b) = race(|| ours(&one), || theirs(&one), 2000, batch);
            println!(
                "  {:5.2}x  {a:6.1} ns {b:6.1} ns  {:?}",
                b / a,
                line.trim_end()
            );
        }
    }
}

fn bench(c: &mut Criterion) {
    check_mix();
    interleaved();
    let bytes: usize = MIX.iter().map(|l| l.len()).sum();
    let mut g = c.benchmark_group("command_mix");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("rampart", |b| b.iter(|| ours(MIX)));
    g.bench_function("stalwart_0_2", |b| b.iter(|| theirs(MIX)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
