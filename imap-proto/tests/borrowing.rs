//! Parsing borrows from the framed input instead of copying: strings,
//! literals and message data come back as views into the buffer.

use std::borrow::Cow;

use rampart_imap_proto::command::{CommandBody, SearchKey, parse_command};
use rampart_imap_proto::managesieve;
use rampart_imap_proto::response::{Data, FetchValue, Response, parse_response};

/// Whether `part` lies inside `whole`.
fn inside(whole: &[u8], part: &[u8]) -> bool {
    let w = whole.as_ptr_range();
    let p = part.as_ptr_range();
    w.start <= p.start && p.end <= w.end
}

// The point is to look at the Cow itself.
#[allow(clippy::ptr_arg)]
fn borrowed(whole: &[u8], c: &Cow<'_, [u8]>) -> bool {
    matches!(c, Cow::Borrowed(b) if inside(whole, b))
}

#[test]
fn commands_borrow() {
    let wire = b"a1 LOGIN \"alice\" {6+}\r\nsecret\r\n";
    let c = parse_command(wire).unwrap();
    let CommandBody::Login { user, password } = &c.body else {
        panic!()
    };
    assert!(borrowed(wire, user) && borrowed(wire, password));
    assert!(inside(wire, c.tag.as_str().as_bytes()));

    let mut wire = b"a2 APPEND INBOX (\\Seen) {2048+}\r\n".to_vec();
    wire.extend(vec![b'm'; 2048]);
    wire.extend_from_slice(b"\r\n");
    let c = parse_command(&wire).unwrap();
    let CommandBody::Append(m, msgs) = &c.body else {
        panic!()
    };
    assert!(matches!(m.0, Cow::Borrowed(_)));
    assert!(inside(&wire, msgs[0].data));

    let wire = b"a3 UID SEARCH FROM \"Smith\" SUBJECT report TEXT {3}\r\nabc\r\n";
    let c = parse_command(wire).unwrap();
    let CommandBody::Search { search, .. } = &c.body else {
        panic!()
    };
    for k in &search.keys {
        let (SearchKey::From(s) | SearchKey::Subject(s) | SearchKey::Text(s)) = k else {
            panic!()
        };
        assert!(borrowed(wire, s), "{k:?}");
    }
}

#[test]
fn responses_borrow() {
    let mut wire = b"* 7 FETCH (UID 9 ENVELOPE (\"Wed, 17 Jul 1996\" \"hi\" ((\"Terry\" NIL \"gray\" \"example.org\")) NIL NIL NIL NIL NIL NIL \"<m@x>\") BODY[] {1024}\r\n".to_vec();
    wire.extend(vec![b'y'; 1024]);
    wire.extend_from_slice(b")\r\n");
    let r = parse_response(&wire).unwrap();
    let Response::Data(Data::Fetch { items, .. }) = &r else {
        panic!()
    };
    let FetchValue::Envelope(env) = &items[1] else {
        panic!()
    };
    assert!(borrowed(&wire, env.subject.as_ref().unwrap()));
    assert!(borrowed(&wire, env.from[0].host.as_ref().unwrap()));
    let FetchValue::BodySection { data: Some(d), .. } = &items[2] else {
        panic!()
    };
    assert!(borrowed(&wire, d));

    let wire = b"a1 OK [CAPABILITY IMAP4rev2 IDLE] done\r\n";
    let Response::Tagged { status, .. } = parse_response(wire).unwrap() else {
        panic!()
    };
    assert!(matches!(status.text, Cow::Borrowed(t) if inside(wire, t.as_bytes())));
}

#[test]
fn managesieve_borrows() {
    let wire = b"PUTSCRIPT \"vacation\" {12+}\r\nkeep;\r\nstop;\r\n";
    let managesieve::Command::PutScript { name, script } =
        managesieve::parse_command(wire).unwrap()
    else {
        panic!()
    };
    assert!(matches!(name, Cow::Borrowed(n) if inside(wire, n.as_bytes())));
    assert!(borrowed(wire, &script));
}
