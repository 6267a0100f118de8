//! proptest round trips: encode then parse gives back the same
//! command, reply, path or capability list.

use proptest::prelude::*;
use rampart_smtp_proto::data::{BareLineEnding, DataReceiver, crlf_lines, dot_stuff};
use rampart_smtp_proto::{
    Capabilities, Capability, Command, EnhancedCode, Mailbox, Reply, parse_command,
};

fn atom() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}"
}

fn local_part() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(atom(), 1..4).prop_map(|v| v.join(".")),
        // Quoted-string with an escaped quote or backslash inside.
        "[ a-zA-Z0-9.@]{0,10}".prop_map(|s| format!("\"{s}\\\"x\"")),
    ]
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec("[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", 1..4).prop_map(|v| v.join(".")),
        any::<[u8; 4]>().prop_map(|b| format!("[{}.{}.{}.{}]", b[0], b[1], b[2], b[3])),
        any::<[u16; 8]>().prop_map(|w| format!("[IPv6:{}]", std::net::Ipv6Addr::from(w))),
        "[a-z][a-z0-9-]{0,6}[a-z0-9]:[!-Z^-~]{1,10}".prop_map(|g| format!("[{g}]")),
    ]
}

fn mailbox() -> impl Strategy<Value = String> {
    (local_part(), domain()).prop_map(|(l, d)| format!("{l}@{d}"))
}

fn xtext() -> impl Strategy<Value = String> {
    "([!-*,-<>-~]|\\+[0-9A-F]{2}){1,12}"
}

fn mail_params() -> impl Strategy<Value = String> {
    (
        prop::option::of(0u64..1 << 40),
        prop::option::of(prop::sample::select(vec!["7BIT", "8BITMIME", "BINARYMIME"])),
        any::<bool>(),
        prop::option::of(prop::sample::select(vec!["FULL", "HDRS"])),
        prop::option::of(xtext()),
        any::<bool>(),
    )
        .prop_map(|(size, body, utf8, ret, envid, rtls)| {
            let mut s = String::new();
            if let Some(n) = size {
                s += &format!(" SIZE={n}");
            }
            if let Some(b) = body {
                s += &format!(" BODY={b}");
            }
            if utf8 {
                s += " SMTPUTF8";
            }
            if let Some(r) = ret {
                s += &format!(" RET={r}");
            }
            if let Some(e) = envid {
                s += &format!(" ENVID={e}");
            }
            if rtls {
                s += " REQUIRETLS";
            }
            s
        })
}

fn rcpt_params() -> impl Strategy<Value = String> {
    (
        prop::option::of(prop::sample::select(vec![
            "NEVER",
            "SUCCESS",
            "FAILURE",
            "DELAY",
            "SUCCESS,FAILURE",
            "SUCCESS,FAILURE,DELAY",
        ])),
        prop::option::of(xtext()),
    )
        .prop_map(|(n, o)| {
            let mut s = String::new();
            if let Some(n) = n {
                s += &format!(" NOTIFY={n}");
            }
            if let Some(o) = o {
                s += &format!(" ORCPT=rfc822;{o}");
            }
            s
        })
}

/// Command lines in the canonical form `Command`'s `Display` writes.
fn command_line() -> impl Strategy<Value = String> {
    prop_oneof![
        domain().prop_map(|d| format!("EHLO {d}")),
        domain().prop_map(|d| format!("LHLO {d}")),
        (mailbox(), mail_params()).prop_map(|(m, p)| format!("MAIL FROM:<{m}>{p}")),
        mail_params().prop_map(|p| format!("MAIL FROM:<>{p}")),
        (mailbox(), rcpt_params()).prop_map(|(m, p)| format!("RCPT TO:<{m}>{p}")),
        (mailbox(), xtext()).prop_map(|(m, a)| format!("MAIL FROM:<{m}> AUTH={a}")),
        Just("RCPT TO:<Postmaster>".to_string()),
        (any::<u64>(), any::<bool>()).prop_map(|(n, l)| if l {
            format!("BDAT {n} LAST")
        } else {
            format!("BDAT {n}")
        }),
        prop::sample::select(vec!["DATA", "RSET", "QUIT", "STARTTLS", "NOOP", "HELP"])
            .prop_map(str::to_string),
        "[a-zA-Z0-9]{1,20}".prop_map(|s| format!("VRFY {s}")),
        (
            "[A-Z0-9_-]{1,20}",
            prop::option::of("([A-Za-z0-9+/]{4}){1,10}")
        )
            .prop_map(|(m, i)| match i {
                Some(i) => format!("AUTH {m} {i}"),
                None => format!("AUTH {m}"),
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any line at all: it parses, and then encodes to a line that
    /// parses the same, or it gets one of the RFC's error replies.
    #[test]
    fn any_line_parses_or_gets_a_reply(line in prop::collection::vec(any::<u8>(), 0..120)) {
        match parse_command(&line) {
            Ok(cmd) => {
                let mut wire = Vec::new();
                cmd.encode(&mut wire);
                prop_assert_eq!(parse_command(&wire), Ok(cmd));
            }
            Err(e) => {
                let code = e.reply().code();
                prop_assert!([500, 501, 502, 553, 555].contains(&code), "{}: {}", code, e);
            }
        }
    }

    /// Command-shaped lines with random bytes spliced in.
    #[test]
    fn spliced_lines_parse_or_get_a_reply(
        line in command_line(),
        at in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 1..4),
    ) {
        let mut b = line.into_bytes();
        let i = at.index(b.len() + 1);
        b.splice(i..i, junk);
        if let Ok(cmd) = parse_command(&b) {
            let mut wire = Vec::new();
            cmd.encode(&mut wire);
            prop_assert_eq!(parse_command(&wire), Ok(cmd));
        }
    }

    /// Dot-stuffing then receiving gives the message back with CRLF
    /// line ends, the same bytes a BDAT chunk carries.
    #[test]
    fn data_round_trip(msg in prop::collection::vec(prop::sample::select(b"ab.\r\n\0".to_vec()), 0..200)) {
        let mut wire = Vec::new();
        dot_stuff(&msg, &mut wire);
        let mut rx = DataReceiver::new(1 << 20, BareLineEnding::Reject);
        prop_assert_eq!(rx.feed(&wire), wire.len());
        prop_assert!(rx.is_done());
        prop_assert_eq!(rx.finish().unwrap(), crlf_lines(msg));
    }

    #[test]
    fn command_round_trip(line in command_line()) {
        let cmd = parse_command(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{line:?}: {e}")))?;
        prop_assert_eq!(cmd.to_string(), line.clone());
        let mut wire = Vec::new();
        cmd.encode(&mut wire);
        prop_assert_eq!(parse_command(&wire), Ok(cmd));
    }

    #[test]
    fn path_round_trip(m in mailbox()) {
        let mb = Mailbox::parse(&m).map_err(|e| TestCaseError::fail(format!("{m:?}: {e}")))?;
        prop_assert_eq!(mb.to_string(), m.clone());
        let line = format!("RCPT TO:<{m}>");
        let Command::Rcpt { to, .. } = parse_command(line.as_bytes()).unwrap() else {
            return Err(TestCaseError::fail("not RCPT"));
        };
        prop_assert_eq!(to.to_string(), format!("<{m}>"));
        prop_assert_eq!(mb.local_part().len() + 1 + mb.domain().len(), m.len());
    }

    #[test]
    fn reply_round_trip(
        a in 2u16..=5, b in 0u16..=5, c in 0u16..=9,
        enhanced in prop::option::of((0u16..1000, 0u16..1000)),
        lines in prop::collection::vec("[a-zA-Z][a-zA-Z ,.!-]{0,40}", 1..6),
    ) {
        let code = a * 100 + b * 10 + c;
        // Enhanced codes exist for classes 2, 4 and 5 only.
        let e = enhanced
            .filter(|_| a != 3)
            .map(|(s, d)| EnhancedCode::new(a as u8, s, d));
        let r = Reply::with_lines(code, e, lines);
        let wire = r.to_bytes();
        let (back, n) = Reply::parse(&wire).unwrap();
        prop_assert_eq!(n, wire.len());
        prop_assert_eq!(back, r);
    }

    #[test]
    fn capabilities_round_trip(
        size in prop::option::of(any::<u64>()),
        flags in prop::collection::vec(any::<bool>(), 10),
        mechs in prop::collection::vec("[A-Z][A-Z0-9-]{0,10}", 0..4),
        others in prop::collection::vec(("X[A-Z0-9-]{0,10}", prop::collection::vec("[!-~]{1,8}", 0..3)), 0..3),
    ) {
        let mut list = vec![Capability::Size(size)];
        let simple = [
            Capability::Pipelining, Capability::EightBitMime, Capability::SmtpUtf8,
            Capability::Chunking, Capability::BinaryMime, Capability::StartTls,
            Capability::Dsn, Capability::EnhancedStatusCodes, Capability::RequireTls,
        ];
        list.extend(simple.into_iter().zip(&flags).filter(|(_, on)| **on).map(|(c, _)| c));
        if flags[9] {
            list.push(Capability::Auth(mechs));
        }
        for (keyword, params) in others {
            list.push(Capability::Other { keyword, params });
        }
        let caps = Capabilities { greeting: "mx.example greets you".into(), list };
        let wire = caps.to_reply().to_bytes();
        let (reply, _) = Reply::parse(&wire).unwrap();
        prop_assert_eq!(Capabilities::from_reply(&reply), Some(caps));
    }
}
