//! Parses the same command mix and the same response mix with this
//! crate and with the published imap-codec 2.0 alpha, in one run.
//!
//! `cargo bench -p rampart-imap-proto --bench codec`; the ratio is
//! imap-codec's time divided by ours for each group. Besides criterion's
//! figures it prints the ratio measured in alternating rounds, which
//! holds up on a loaded machine where the two groups, timed one after
//! the other, may see different load.

// criterion_group! defines an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use imap_codec_peer::decode::Decoder;
use imap_codec_peer::{CommandCodec, ResponseCodec};
use rampart_imap_proto::command::parse_command;
use rampart_imap_proto::response::parse_response;

/// A session's worth of client messages, each complete (literals inline).
fn commands() -> Vec<Vec<u8>> {
    let mut append =
        b"a9 APPEND INBOX (\\Seen $Forwarded) \"17-Jul-1996 02:44:25 -0700\" {1024+}\r\n".to_vec();
    append.extend(std::iter::repeat_n(b'x', 1024));
    append.extend_from_slice(b"\r\n");
    let lines: &[&[u8]] = &[
        b"a1 CAPABILITY\r\n",
        b"a2 LOGIN alice \"correct horse battery staple\"\r\n",
        b"a3 LIST \"\" \"*\"\r\n",
        b"a4 STATUS Archive (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)\r\n",
        b"a5 SELECT INBOX\r\n",
        b"a6 UID FETCH 1:* (FLAGS UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])\r\n",
        b"a7 UID SEARCH UNSEEN SINCE 1-Feb-1994 OR FROM \"Smith\" SUBJECT \"report\"\r\n",
        b"a8 UID STORE 4827313:4828442 +FLAGS.SILENT (\\Seen \\Answered)\r\n",
        b"a10 UID COPY 1,3,5:9 \"Saved Messages\"\r\n",
        b"a11 FETCH 12 (ENVELOPE BODYSTRUCTURE BODY[1.2]<0.2048>)\r\n",
        b"a12 NOOP\r\n",
        b"a13 LOGOUT\r\n",
    ];
    let mut v: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
    v.push(append);
    v
}

/// A session's worth of server messages.
fn responses() -> Vec<Vec<u8>> {
    let mut body = b"* 7 FETCH (UID 4827320 BODY[] {2048}\r\n".to_vec();
    body.extend(std::iter::repeat_n(b'y', 2048));
    body.extend_from_slice(b")\r\n");
    let lines: &[&[u8]] = &[
        b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS MOVE] ready\r\n",
        b"* 172 EXISTS\r\n",
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
        b"a5 OK [READ-WRITE] SELECT completed\r\n",
        b"* LIST (\\HasNoChildren) \"/\" \"Saved Messages\"\r\n",
        b"* STATUS Archive (MESSAGES 231 UIDNEXT 44292 UIDVALIDITY 1 UNSEEN 3)\r\n",
        b"* SEARCH 2 84 882 1002 1003 1004\r\n",
        b"* 3 FETCH (FLAGS (\\Seen) UID 4827313 RFC822.SIZE 4286 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n",
        b"* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n",
        b"* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) \"MIXED\"))\r\n",
        b"* 22 EXPUNGE\r\n",
        b"a7 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
        b"a8 NO [TRYCREATE] Mailbox doesn't exist\r\n",
        b"* BYE logging out\r\n",
    ];
    let mut v: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
    v.push(body);
    v
}

/// imap-codec's time over ours, measured in alternating rounds so that
/// load on the machine hits both alike: the median of 101 rounds.
fn interleaved_ratio(ours: impl Fn(), theirs: impl Fn()) -> f64 {
    let time = |f: &dyn Fn()| {
        let t = Instant::now();
        for _ in 0..50 {
            f();
        }
        t.elapsed().as_secs_f64()
    };
    // Warm up both.
    time(&ours);
    time(&theirs);
    let mut ratios: Vec<f64> = (0..101).map(|_| time(&theirs) / time(&ours)).collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

fn bench(c: &mut Criterion) {
    let cmds = commands();
    let resps = responses();
    // Both sides must accept every message before timing means anything.
    for m in &cmds {
        parse_command(m).unwrap_or_else(|e| panic!("ours: {e} {}", String::from_utf8_lossy(m)));
        let (rest, _) = CommandCodec::default()
            .decode(m)
            .unwrap_or_else(|e| panic!("imap-codec: {e:?} {}", String::from_utf8_lossy(m)));
        assert!(rest.is_empty());
    }
    for m in &resps {
        parse_response(m).unwrap_or_else(|e| panic!("ours: {e} {}", String::from_utf8_lossy(m)));
        let (rest, _) = ResponseCodec::default()
            .decode(m)
            .unwrap_or_else(|e| panic!("imap-codec: {e:?} {}", String::from_utf8_lossy(m)));
        assert!(rest.is_empty());
    }

    let cmd_codec = CommandCodec::default();
    let resp_codec = ResponseCodec::default();
    let r_cmd = interleaved_ratio(
        || {
            for m in &cmds {
                black_box(parse_command(black_box(m)).is_ok());
            }
        },
        || {
            for m in &cmds {
                black_box(cmd_codec.decode(black_box(m)).is_ok());
            }
        },
    );
    let r_resp = interleaved_ratio(
        || {
            for m in &resps {
                black_box(parse_response(black_box(m)).is_ok());
            }
        },
        || {
            for m in &resps {
                black_box(resp_codec.decode(black_box(m)).is_ok());
            }
        },
    );
    println!(
        "throughput ratio (imap-codec time / ours, interleaved median): \
         commands {r_cmd:.2}x, responses {r_resp:.2}x"
    );

    let mut g = c.benchmark_group("commands");
    g.throughput(Throughput::Bytes(cmds.iter().map(|m| m.len() as u64).sum()));
    g.bench_function("rampart", |b| {
        b.iter(|| {
            for m in &cmds {
                black_box(parse_command(black_box(m)).is_ok());
            }
        })
    });
    g.bench_function("imap-codec", |b| {
        let codec = CommandCodec::default();
        b.iter(|| {
            for m in &cmds {
                black_box(codec.decode(black_box(m)).is_ok());
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("responses");
    g.throughput(Throughput::Bytes(
        resps.iter().map(|m| m.len() as u64).sum(),
    ));
    g.bench_function("rampart", |b| {
        b.iter(|| {
            for m in &resps {
                black_box(parse_response(black_box(m)).is_ok());
            }
        })
    });
    g.bench_function("imap-codec", |b| {
        let codec = ResponseCodec::default();
        b.iter(|| {
            for m in &resps {
                black_box(codec.decode(black_box(m)).is_ok());
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
