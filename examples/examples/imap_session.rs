//! Embedding rampart-imap-proto: a sans-I/O IMAP server answering a
//! scripted client, with the transcript printed. A real server would
//! read bytes from a socket into `Server::feed` and write the replies
//! back; nothing else changes.
//!
//! Run with `cargo run -p rampart-examples --example imap_session`.

use mail_parser::MessageParser;
use rampart_imap_proto::command::{CommandBody, FetchAttr, FetchItems};
use rampart_imap_proto::fetch;
use rampart_imap_proto::frame::FramerConfig;
use rampart_imap_proto::response::{
    Code, Data, FetchValue, Response, ResponseOptions, Status, StatusKind,
};
use rampart_imap_proto::session::{Input, Server};
use rampart_imap_proto::types::Flag;
use rampart_imap_proto::{managesieve, pop3};

const MESSAGE: &[u8] = b"From: Ann <ann@example.org>\r\nTo: bob@example.net\r\n\
Subject: lunch\r\n\r\nNoon at the usual place?\r\n";

fn show(dir: &str, bytes: &[u8]) {
    for line in String::from_utf8_lossy(bytes).split_inclusive("\r\n") {
        print!("{dir} {}", line.replace("\r\n", "\n"));
    }
}

fn main() {
    // The greeting announces LITERAL+, so the framer must accept
    // non-synchronizing literals of any size (the default is LITERAL-:
    // up to 4096 bytes).
    let mut server = Server::with_config(FramerConfig::SERVER.literal_plus());
    let mut out = Vec::new();
    Response::Untagged(
        Status::new(StatusKind::Ok, "ready").with_code(Code::Capability(vec![
            "IMAP4rev2",
            "LITERAL+",
            "IDLE",
        ])),
    )
    .encode_into(&mut out, ResponseOptions::default());
    show("S:", &std::mem::take(&mut out));

    let client: &[&[u8]] = &[
        b"a1 LOGIN alice {6}\r\n",
        b"secret\r\n",
        b"a2 SELECT INBOX\r\n",
        b"a3 FETCH 1 (FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[TEXT]<0.4>)\r\n",
        b"a4 STORE 1 +FLAGS (\\Deleted)\r\n",
        b"a5 LOGOUT\r\n",
    ];
    let parsed = MessageParser::default()
        .parse(MESSAGE)
        .expect("message parses");
    for bytes in client {
        show("C:", bytes);
        server.feed(bytes);
        loop {
            let opts = server.session().response_options();
            let Some(input) = server.poll() else { break };
            let mut completed = None;
            match input {
                Input::Reply(r) => out.extend(r),
                Input::Command(cmd) => {
                    let name = cmd.body.name();
                    let mut text = format!("{name} completed");
                    let mut code = None;
                    match &cmd.body {
                        CommandBody::Login { user, .. } => {
                            text = format!("{} logged in", String::from_utf8_lossy(user));
                        }
                        CommandBody::Select(..) => {
                            Response::Data(Data::Exists(1)).encode_into(&mut out, opts);
                            code = Some(Code::ReadWrite);
                        }
                        CommandBody::Fetch {
                            items: FetchItems::Attrs { attrs, .. },
                            ..
                        } => {
                            let items = attrs
                                .iter()
                                .filter_map(|a| match a {
                                    FetchAttr::Flags => Some(FetchValue::Flags(vec![Flag::Seen])),
                                    FetchAttr::Envelope => Some(FetchValue::Envelope(Box::new(
                                        fetch::envelope(&parsed),
                                    ))),
                                    FetchAttr::BodyStructure => Some(FetchValue::BodyStructure(
                                        Box::new(fetch::body_structure(&parsed)),
                                    )),
                                    FetchAttr::BodySection {
                                        section, partial, ..
                                    } => {
                                        let data = fetch::section(&parsed, section)?;
                                        let (o, l) = partial.unwrap_or((0, u64::MAX));
                                        Some(FetchValue::BodySection {
                                            section: section.clone(),
                                            origin: partial.map(|p| p.0),
                                            data: Some(fetch::partial(&data, o, l).to_vec().into()),
                                        })
                                    }
                                    _ => None,
                                })
                                .collect();
                            Response::Data(Data::Fetch { seq: 1, items })
                                .encode_into(&mut out, opts);
                        }
                        CommandBody::Store { .. } => {
                            let flags = vec![Flag::Seen, Flag::Deleted];
                            let items = vec![FetchValue::Flags(flags)];
                            Response::Data(Data::Fetch { seq: 1, items })
                                .encode_into(&mut out, opts);
                        }
                        CommandBody::Logout => {
                            Response::Untagged(Status::new(StatusKind::Bye, "see you"))
                                .encode_into(&mut out, opts);
                        }
                        _ => {}
                    }
                    let mut status = Status::new(StatusKind::Ok, text);
                    status.code = code;
                    Response::Tagged {
                        tag: cmd.tag,
                        status,
                    }
                    .encode_into(&mut out, opts);
                    completed = Some(name);
                }
                Input::AuthResponse(_) | Input::IdleDone => {}
            }
            if let Some(name) = completed {
                server.complete(name, true);
            }
        }
        show("S:", &std::mem::take(&mut out));
    }
    println!("final IMAP state: {:?}", server.session().state());

    // POP3 and ManageSieve use the same style.
    let cmd = pop3::parse_command(b"TOP 1 0\r\n").expect("valid POP3");
    let mut reply = pop3::Reply::ok("top of message follows").encode();
    pop3::encode_multi_line(&mut reply, b"Subject: lunch\r\n\r\n");
    println!("POP3 {} -> {} bytes of reply", cmd.name(), reply.len());
    let put = managesieve::Command::PutScript {
        name: "vacation".into(),
        script: b"require \"vacation\";\r\nvacation \"away\";\r\n"[..].into(),
    };
    show("ManageSieve C:", &put.encode());
    show(
        "ManageSieve S:",
        &managesieve::Response::ok("stored").encode(),
    );
}
