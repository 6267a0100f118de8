//! Command-line parsing speed: this crate against the published
//! `smtp-proto` 0.2 (Stalwart), on the same realistic command mix.
//!
//! `cargo bench -p rampart-smtp-proto --bench parse` prints one
//! throughput figure per parser; the ratio is ours / theirs.

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// A mix shaped like a busy inbound server: one greeting, sender and
/// several recipients per transaction, with the usual parameters.
const MIX: &[&str] = &[
    "EHLO mail-ed1-f41.google.com\r\n",
    "MAIL FROM:<bounces+123456-abcd-user=example.org@em1234.sendgrid.net> SIZE=48213 BODY=8BITMIME\r\n",
    "RCPT TO:<alice@example.org>\r\n",
    "RCPT TO:<bob.smith@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob.smith@example.org\r\n",
    "RCPT TO:<\"carol jones\"@example.org>\r\n",
    "DATA\r\n",
    "RSET\r\n",
    "MAIL FROM:<> SIZE=1024\r\n",
    "RCPT TO:<postmaster@[192.0.2.25]>\r\n",
    "BDAT 65536 LAST\r\n",
    "NOOP\r\n",
    "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
    "HELO relay.example.net\r\n",
    "MAIL FROM:<user@sub.example.com> SMTPUTF8 ENVID=QQ314159 RET=HDRS\r\n",
    "RCPT TO:<dave@[IPv6:2001:db8::25]>\r\n",
    "QUIT\r\n",
];

fn bench(c: &mut Criterion) {
    let bytes: usize = MIX.iter().map(|l| l.len()).sum();
    let mut g = c.benchmark_group("command_mix");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("rampart", |b| {
        b.iter(|| {
            for line in MIX {
                let r = rampart_smtp_proto::parse_command(black_box(line.as_bytes()));
                black_box(r.is_ok());
            }
        })
    });
    g.bench_function("stalwart_0_2", |b| {
        b.iter(|| {
            for line in MIX {
                let r = stalwart_smtp_proto::Request::parse(&mut black_box(line.as_bytes()).iter());
                black_box(r.is_ok());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
