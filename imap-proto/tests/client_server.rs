//! An IMAP client and server talking through memory: the client encodes
//! commands and waits for continuation requests before synchronizing
//! literals, the server frames and parses, keeps session state and
//! answers from a small in-memory mailbox with ENVELOPE, BODYSTRUCTURE
//! and sections computed by the `fetch` module. Bytes cross in 3-byte
//! pieces to exercise framing at every boundary.

use std::borrow::Cow;
use std::collections::VecDeque;

use mail_parser::MessageParser;
use rampart_imap_proto::command::{
    Command, CommandBody, EncodeOptions, FetchAttr, FetchItems, StatusItem, parse_command,
};
use rampart_imap_proto::fetch;
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::response::{
    Code, Data, FetchValue, ListItem, Response, ResponseOptions, Status, StatusKind, StatusValue,
    parse_response, parse_response_with,
};
use rampart_imap_proto::session::{Input, Server, State};
use rampart_imap_proto::types::{Flag, Mailbox as MailboxName, SeqItem, SeqNo, SequenceSet, Tag};
use rampart_imap_proto::{LiteralMode, ParseOptions};

struct Stored {
    uid: u32,
    flags: Vec<Flag<'static>>,
    raw: Vec<u8>,
}

#[derive(Default)]
struct Mailbox {
    messages: Vec<Stored>,
    next_uid: u32,
}

fn owned_flag(f: &Flag<'_>) -> Flag<'static> {
    match f {
        Flag::Keyword(k) => Flag::Keyword(Box::leak(k.to_string().into_boxed_str())),
        Flag::Extension(k) => Flag::Extension(Box::leak(k.to_string().into_boxed_str())),
        Flag::Answered => Flag::Answered,
        Flag::Flagged => Flag::Flagged,
        Flag::Deleted => Flag::Deleted,
        Flag::Seen => Flag::Seen,
        Flag::Draft => Flag::Draft,
        Flag::Recent => Flag::Recent,
        Flag::Wildcard => Flag::Wildcard,
    }
}

/// The server side: drains the server's inputs and writes replies.
fn serve(srv: &mut Server, mbox: &mut Mailbox, out: &mut Vec<u8>, idle_event: &mut bool) {
    loop {
        let opts = srv.session().response_options();
        let mut done: Option<(&'static str, bool)> = None;
        let mut enabled: Vec<String> = Vec::new();
        let Some(input) = srv.poll() else { break };
        let tagged = |tag: Tag<'_>, kind, code: Option<Code<'_>>, text: &str| {
            let mut status = Status::new(kind, text.to_string());
            status.code = code;
            Response::Tagged { tag, status }.encode(opts)
        };
        match input {
            Input::Reply(bytes) => out.extend_from_slice(&bytes),
            Input::AuthResponse(Some(b64)) => {
                // "\0alice\0secret" in base64.
                let ok = b64 == "AGFsaWNlAHNlY3JldA==";
                let kind = if ok { StatusKind::Ok } else { StatusKind::No };
                out.extend(tagged(
                    Tag::new("a1").unwrap(),
                    kind,
                    None,
                    "AUTHENTICATE done",
                ));
                done = Some(("AUTHENTICATE", ok));
            }
            Input::AuthResponse(None) => {
                out.extend(tagged(
                    Tag::new("a1").unwrap(),
                    StatusKind::Bad,
                    None,
                    "cancelled",
                ));
                done = Some(("AUTHENTICATE", false));
            }
            Input::IdleDone => {
                out.extend(tagged(
                    Tag::new("a4").unwrap(),
                    StatusKind::Ok,
                    None,
                    "IDLE terminated",
                ));
                done = Some(("IDLE", true));
            }
            Input::Command(cmd) => {
                let tag = cmd.tag;
                let name = cmd.body.name();
                match &cmd.body {
                    CommandBody::Authenticate { initial: None, .. } => {
                        let r = Response::Continue {
                            code: None,
                            text: "".into(),
                        };
                        out.extend(r.encode(opts));
                    }
                    // SASL-IR: the exchange ends at once.
                    CommandBody::Authenticate {
                        initial: Some(ir), ..
                    } => {
                        let ok = *ir == "AGFsaWNlAHNlY3JldA==";
                        let kind = if ok { StatusKind::Ok } else { StatusKind::No };
                        out.extend(tagged(tag, kind, None, "AUTHENTICATE done"));
                        done = Some((name, ok));
                    }
                    CommandBody::Enable(caps) => {
                        let on: Vec<&str> = caps
                            .iter()
                            .copied()
                            .filter(|c| c.eq_ignore_ascii_case("UTF8=ACCEPT"))
                            .collect();
                        out.extend(Response::Data(Data::Enabled(on.clone())).encode(opts));
                        enabled.extend(on.iter().map(|c| c.to_string()));
                        out.extend(tagged(tag, StatusKind::Ok, None, "ENABLE done"));
                        done = Some((name, true));
                    }
                    CommandBody::List { .. } => {
                        for m in ["INBOX", "Entwürfe", "R&D"] {
                            let item = ListItem {
                                attributes: vec!["HasNoChildren"],
                                delimiter: Some('/'),
                                mailbox: MailboxName::new(m),
                                child_info: vec![],
                                old_name: None,
                                extensions: vec![],
                            };
                            out.extend(Response::Data(Data::List(item)).encode(opts));
                        }
                        out.extend(tagged(tag, StatusKind::Ok, None, "LIST done"));
                        done = Some((name, true));
                    }
                    CommandBody::Status(m, _) => {
                        let items = vec![
                            StatusValue::Number(StatusItem::Messages, mbox.messages.len() as u64),
                            StatusValue::Number(StatusItem::UidNext, u64::from(mbox.next_uid)),
                            StatusValue::NoAppendLimit,
                        ];
                        let d = Data::Status {
                            mailbox: m.clone(),
                            items,
                        };
                        out.extend(Response::Data(d).encode(opts));
                        out.extend(tagged(tag, StatusKind::Ok, None, "STATUS done"));
                        done = Some((name, true));
                    }
                    CommandBody::Select(m, _) => {
                        assert!(m.is_inbox());
                        let exists = Response::Data(Data::Exists(mbox.messages.len() as u32));
                        out.extend(exists.encode(opts));
                        let code = Some(Code::UidValidity(7));
                        out.extend(
                            Response::Untagged(Status {
                                kind: StatusKind::Ok,
                                code,
                                text: "UIDs valid".into(),
                            })
                            .encode(opts),
                        );
                        out.extend(tagged(
                            tag,
                            StatusKind::Ok,
                            Some(Code::ReadWrite),
                            "SELECT completed",
                        ));
                        done = Some((name, true));
                    }
                    CommandBody::Append(_, msgs) => {
                        let first = mbox.next_uid;
                        for m in msgs {
                            mbox.messages.push(Stored {
                                uid: mbox.next_uid,
                                flags: m.flags.iter().flatten().map(owned_flag).collect(),
                                raw: m.data.to_vec(),
                            });
                            mbox.next_uid += 1;
                        }
                        let uids = SequenceSet::Items(vec![SeqItem::Range(
                            SeqNo::Value(first),
                            SeqNo::Value(mbox.next_uid - 1),
                        )]);
                        out.extend(
                            Response::Data(Data::Exists(mbox.messages.len() as u32)).encode(opts),
                        );
                        let code = Some(Code::AppendUid { validity: 7, uids });
                        out.extend(tagged(tag, StatusKind::Ok, code, "APPEND completed"));
                        done = Some((name, true));
                    }
                    CommandBody::Idle => {
                        let r = Response::Continue {
                            code: None,
                            text: "idling".into(),
                        };
                        out.extend(r.encode(opts));
                        *idle_event = true;
                    }
                    CommandBody::Fetch {
                        set,
                        items: FetchItems::Attrs { attrs, .. },
                        ..
                    } => {
                        let n = mbox.messages.len() as u32;
                        for (i, m) in mbox.messages.iter().enumerate() {
                            let seq = i as u32 + 1;
                            if !set.contains(seq, n) {
                                continue;
                            }
                            let parsed = MessageParser::default().parse(&m.raw).unwrap();
                            let mut items = Vec::new();
                            for a in attrs {
                                items.push(match a {
                                    FetchAttr::Uid => FetchValue::Uid(m.uid),
                                    FetchAttr::Flags => FetchValue::Flags(m.flags.clone()),
                                    FetchAttr::Envelope => {
                                        FetchValue::Envelope(Box::new(fetch::envelope(&parsed)))
                                    }
                                    FetchAttr::BodyStructure => FetchValue::BodyStructure(
                                        Box::new(fetch::body_structure(&parsed)),
                                    ),
                                    FetchAttr::BodySection {
                                        section, partial, ..
                                    } => {
                                        let data = fetch::section(&parsed, section);
                                        let (origin, data) = match (partial, data) {
                                            (Some((o, l)), Some(d)) => (
                                                Some(*o),
                                                Some(Cow::Owned(
                                                    fetch::partial(&d, *o, *l).to_vec(),
                                                )),
                                            ),
                                            (_, d) => (None, d),
                                        };
                                        FetchValue::BodySection {
                                            section: section.clone(),
                                            origin,
                                            data,
                                        }
                                    }
                                    FetchAttr::Binary { part, .. } => FetchValue::Binary {
                                        part: part.clone(),
                                        origin: None,
                                        data: Some(fetch::binary(&parsed, part).unwrap()),
                                    },
                                    FetchAttr::BinarySize(part) => FetchValue::BinarySize {
                                        part: part.clone(),
                                        size: fetch::binary_size(&parsed, part).unwrap(),
                                    },
                                    other => panic!("not served here: {other:?}"),
                                });
                            }
                            out.extend(Response::Data(Data::Fetch { seq, items }).encode(opts));
                        }
                        out.extend(tagged(tag, StatusKind::Ok, None, "FETCH completed"));
                        done = Some((name, true));
                    }
                    CommandBody::Logout => {
                        out.extend(
                            Response::Untagged(Status::new(StatusKind::Bye, "bye")).encode(opts),
                        );
                        out.extend(tagged(tag, StatusKind::Ok, None, "LOGOUT completed"));
                        done = Some((name, true));
                    }
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        if let Some((name, ok)) = done {
            srv.complete(name, ok);
        }
        for cap in enabled {
            srv.session_mut().enabled(&cap);
        }
    }
}

/// The client side: sends commands piece by piece, collecting the
/// server's responses as owned bytes.
struct Client {
    framer: Framer,
    pending: VecDeque<Vec<u8>>,
    responses: Vec<Vec<u8>>,
    opts: EncodeOptions,
}

impl Client {
    fn new(opts: EncodeOptions) -> Self {
        Client {
            framer: Framer::new(FramerConfig::CLIENT),
            pending: VecDeque::new(),
            responses: vec![],
            opts,
        }
    }

    fn send(&mut self, wire: &mut Vec<u8>, cmd: &Command<'_>) {
        let enc = cmd.encode(self.opts);
        let mut chunks = enc.chunks().into_iter().map(<[u8]>::to_vec);
        wire.extend(chunks.next().unwrap());
        self.pending.extend(chunks);
    }

    fn receive(&mut self, data: &[u8], wire: &mut Vec<u8>) {
        self.framer.feed(data);
        let popts = ParseOptions {
            utf8: self.opts.utf8,
        };
        while let Some(Event::Message(m)) = self.framer.poll() {
            let r = parse_response_with(m, popts)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(m)));
            if matches!(r, Response::Continue { .. })
                && let Some(next) = self.pending.pop_front()
            {
                wire.extend(next);
            }
            self.responses.push(m.to_vec());
        }
    }
}

/// Moves bytes both ways in 3-byte pieces until nothing moves.
fn pump(
    client: &mut Client,
    c2s: &mut Vec<u8>,
    srv: &mut Server,
    mbox: &mut Mailbox,
    idle: &mut bool,
) {
    let mut s2c = Vec::new();
    loop {
        if c2s.is_empty() && s2c.is_empty() {
            break;
        }
        for piece in std::mem::take(c2s).chunks(3) {
            srv.feed(piece);
            serve(srv, mbox, &mut s2c, idle);
        }
        for piece in std::mem::take(&mut s2c).chunks(3) {
            client.receive(piece, c2s);
        }
    }
}

const MSG1: &[u8] = b"From: Ann <ann@example.org>\r\nTo: bob@example.net\r\nSubject: lunch\r\nMessage-ID: <m1@example.org>\r\n\r\nNoon?\r\n";
const MSG2: &[u8] = b"From: carl@example.com\r\nSubject: report\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--x\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--x--\r\n";

#[test]
fn login_append_idle_fetch_logout() {
    let mut srv = Server::new();
    let mut mbox = Mailbox {
        next_uid: 1,
        ..Mailbox::default()
    };
    let mut client = Client::new(EncodeOptions::default());
    let mut idle = false;
    let mut wire = Vec::new();
    let cmd = |s: &'static [u8]| parse_command(s).unwrap();

    client.send(&mut wire, &cmd(b"a1 AUTHENTICATE PLAIN\r\n"));
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    // The client answers the empty challenge.
    wire.extend_from_slice(b"AGFsaWNlAHNlY3JldA==\r\n");
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert_eq!(srv.session().state(), State::Authenticated);

    client.send(&mut wire, &cmd(b"a2 SELECT inbox\r\n"));
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert_eq!(srv.session().state(), State::Selected { read_only: false });

    // MULTIAPPEND with two synchronizing literals: the client must wait
    // for a continuation request before each.
    let mut append = b"a3 APPEND INBOX (\\Seen) {".to_vec();
    append.extend(format!("{}}}\r\n", MSG1.len()).bytes());
    append.extend_from_slice(MSG1);
    append.extend(format!(" {{{}}}\r\n", MSG2.len()).bytes());
    append.extend_from_slice(MSG2);
    append.extend_from_slice(b"\r\n");
    let append_cmd = parse_command(&append).unwrap();
    assert_eq!(
        append_cmd.encode(EncodeOptions::default()).chunks().len(),
        3
    );
    client.send(&mut wire, &append_cmd);
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert_eq!(mbox.messages.len(), 2);
    assert_eq!(mbox.messages[1].raw, MSG2);

    client.send(&mut wire, &cmd(b"a4 IDLE\r\n"));
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert!(idle);
    // New mail while idling is pushed, then the client ends IDLE.
    let mut s2c = Response::Data(Data::Exists(3)).encode(ResponseOptions::default());
    client.receive(&std::mem::take(&mut s2c), &mut wire);
    wire.extend_from_slice(b"DONE\r\n");
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);

    client.send(
        &mut wire,
        &cmd(b"a5 FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[1]<0.8>)\r\n"),
    );
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    client.send(&mut wire, &cmd(b"a6 LOGOUT\r\n"));
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert_eq!(srv.session().state(), State::Logout);

    let rs: Vec<Response<'_>> = client
        .responses
        .iter()
        .map(|r| parse_response(r).unwrap())
        .collect();
    let tagged: Vec<(&str, StatusKind)> = rs
        .iter()
        .filter_map(|r| match r {
            Response::Tagged { tag, status } => Some((tag.as_str(), status.kind)),
            _ => None,
        })
        .collect();
    let ok = StatusKind::Ok;
    assert_eq!(
        tagged,
        [
            ("a1", ok),
            ("a2", ok),
            ("a3", ok),
            ("a4", ok),
            ("a5", ok),
            ("a6", ok)
        ]
    );
    // Two continuation requests for the literals, one for AUTHENTICATE,
    // one for IDLE.
    assert_eq!(
        rs.iter()
            .filter(|r| matches!(r, Response::Continue { .. }))
            .count(),
        4
    );
    assert!(rs.iter().any(|r| matches!(
        r,
        Response::Tagged {
            status: Status {
                code: Some(Code::AppendUid { validity: 7, .. }),
                ..
            },
            ..
        }
    )));

    let fetches: Vec<&Vec<FetchValue<'_>>> = rs
        .iter()
        .filter_map(|r| match r {
            Response::Data(Data::Fetch { items, .. }) => Some(items),
            _ => None,
        })
        .collect();
    assert_eq!(fetches.len(), 2);
    let FetchValue::Envelope(env) = &fetches[0][2] else {
        panic!()
    };
    assert_eq!(env.subject.as_deref(), Some(&b"lunch"[..]));
    assert_eq!(env.to[0].mailbox.as_deref(), Some(&b"bob"[..]));
    assert_eq!(fetches[0][1], FetchValue::Flags(vec![Flag::Seen]));
    let FetchValue::BodySection { data: Some(h), .. } = &fetches[1][4] else {
        panic!()
    };
    assert_eq!(&h[..], b"Subject: report\r\n\r\n");
    let FetchValue::BodySection {
        data: Some(p),
        origin: Some(0),
        ..
    } = &fetches[1][5]
    else {
        panic!()
    };
    assert_eq!(&p[..], b"see atta");
    let FetchValue::BodyStructure(bs) = &fetches[1][3] else {
        panic!()
    };
    let text = String::from_utf8(
        Response::Data(Data::Fetch {
            seq: 2,
            items: vec![FetchValue::BodyStructure(bs.clone())],
        })
        .encode(ResponseOptions::default()),
    )
    .unwrap();
    assert!(
        text.contains("\"application\" \"pdf\" NIL NIL NIL \"base64\" 8"),
        "{text}"
    );
}

/// SASL-IR, ENABLE UTF8=ACCEPT, a LITERAL+ APPEND larger than the
/// LITERAL- limit, LIST and STATUS with UTF-8 names, BINARY.
#[test]
fn sasl_ir_literal_plus_utf8_binary() {
    let mut srv = Server::with_config(FramerConfig::SERVER.literal_plus());
    let mut mbox = Mailbox {
        next_uid: 1,
        ..Mailbox::default()
    };
    let mut client = Client::new(EncodeOptions {
        literal: LiteralMode::NonSync,
        utf8: false,
    });
    let mut idle = false;
    let mut wire = Vec::new();
    let cmd = |s: &'static [u8]| parse_command(s).unwrap();

    client.send(
        &mut wire,
        &cmd(b"a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n"),
    );
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert_eq!(srv.session().state(), State::Authenticated);

    client.send(&mut wire, &cmd(b"a2 ENABLE UTF8=ACCEPT\r\n"));
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert!(srv.session().utf8());
    client.opts.utf8 = true;

    // A message over 4096 bytes, sent without waiting (LITERAL+).
    let mut big = MSG2.to_vec();
    let pad = "X-Pad: ".to_string() + &"p".repeat(70) + "\r\n";
    while big.len() <= 5000 {
        big.splice(0..0, pad.bytes());
    }
    let append = Command {
        tag: Tag::new("a3").unwrap(),
        body: CommandBody::Append(
            MailboxName::new("INBOX"),
            vec![rampart_imap_proto::command::AppendMessage {
                flags: None,
                date: None,
                data: &big,
                binary: false,
                utf8: false,
            }],
        ),
    };
    assert_eq!(append.encode(client.opts).chunks().len(), 1);
    client.send(&mut wire, &append);
    pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    assert_eq!(mbox.messages.len(), 1);
    assert_eq!(mbox.messages[0].raw, big);

    for c in [
        &b"a4 SELECT INBOX\r\n"[..],
        b"a5 LIST \"\" *\r\n",
        b"a6 STATUS INBOX (MESSAGES UIDNEXT APPENDLIMIT)\r\n",
        b"a7 FETCH 1 (BINARY[2] BINARY.SIZE[2])\r\n",
        b"a8 LOGOUT\r\n",
    ] {
        client.send(&mut wire, &cmd(c));
        pump(&mut client, &mut wire, &mut srv, &mut mbox, &mut idle);
    }
    assert_eq!(srv.session().state(), State::Logout);

    let utf8 = ParseOptions { utf8: true };
    let rs: Vec<Response<'_>> = client
        .responses
        .iter()
        .map(|r| parse_response_with(r, utf8).unwrap())
        .collect();
    // No continuation request at all: SASL-IR and LITERAL+.
    assert!(!rs.iter().any(|r| matches!(r, Response::Continue { .. })));
    let tagged: Vec<(&str, StatusKind)> = rs
        .iter()
        .filter_map(|r| match r {
            Response::Tagged { tag, status } => Some((tag.as_str(), status.kind)),
            _ => None,
        })
        .collect();
    let tags: Vec<&str> = tagged.iter().map(|t| t.0).collect();
    assert_eq!(tags, ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"]);
    assert!(tagged.iter().all(|t| t.1 == StatusKind::Ok));

    // UTF-8 names on the wire, "&" plain.
    let names: Vec<&str> = rs
        .iter()
        .filter_map(|r| match r {
            Response::Data(Data::List(l)) => Some(l.mailbox.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["INBOX", "Entwürfe", "R&D"]);
    let raw_list = client
        .responses
        .iter()
        .find(|r| r.windows(4).any(|w| w == b"R&D\r"))
        .unwrap();
    assert_eq!(raw_list, b"* LIST (\\HasNoChildren) \"/\" R&D\r\n");
    assert!(rs.iter().any(|r| matches!(
        r,
        Response::Data(Data::Status { items, .. }) if items.contains(&StatusValue::NoAppendLimit)
    )));

    // BINARY[2] is the decoded PDF stub.
    let fetch = rs
        .iter()
        .find_map(|r| match r {
            Response::Data(Data::Fetch { items, .. }) => Some(items),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        fetch[0],
        FetchValue::Binary {
            part: vec![2],
            origin: None,
            data: Some(Cow::Borrowed(b"%PDF-"))
        }
    );
    assert_eq!(
        fetch[1],
        FetchValue::BinarySize {
            part: vec![2],
            size: 5
        }
    );
}
