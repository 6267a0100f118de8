//! Known-answer tests: the examples of RFC 3501 (as traces in
//! `tests/data`) and of RFC 9051 and its extensions (inline below) must
//! parse, and encoding what was parsed must give the same value back.
//! Where our encoder writes the very same bytes as the RFC, that is
//! checked too.

use rampart_imap_proto::command::{CommandBody, EncodeOptions, parse_command};
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::response::{
    BodyKind, Code, Data, FetchValue, Response, ResponseOptions, StatusKind, parse_response,
};

fn crlf(line: &str) -> Vec<u8> {
    let mut v = line.as_bytes().to_vec();
    v.extend_from_slice(b"\r\n");
    v
}

/// Parses a client message, re-encodes it, parses again; returns
/// whether the encoding was byte-identical.
fn command_round_trip(wire: &[u8]) -> bool {
    let cmd =
        parse_command(wire).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(wire)));
    for opts in [
        EncodeOptions::default(),
        EncodeOptions {
            literal: rampart_imap_proto::LiteralMode::NonSync,
            utf8: false,
        },
    ] {
        let enc = cmd.encode(opts);
        let again = parse_command(&enc.bytes)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&enc.bytes)));
        assert_eq!(again, cmd, "{}", String::from_utf8_lossy(wire));
    }
    cmd.encode(EncodeOptions::default()).bytes == wire
}

fn response_round_trip(wire: &[u8]) -> bool {
    let r =
        parse_response(wire).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(wire)));
    let enc = r.encode(ResponseOptions::default());
    let again =
        parse_response(&enc).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&enc)));
    assert_eq!(again, r, "{}", String::from_utf8_lossy(wire));
    enc == wire
}

#[test]
fn rfc3501_traces() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/rfc3501-traces");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "trace"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 18);
    let (mut lines, mut exact) = (0, 0);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let same = if let Some(c) = line.strip_prefix("C: ") {
                command_round_trip(&crlf(c))
            } else if let Some(s) = line.strip_prefix("S: ") {
                response_round_trip(&crlf(s))
            } else {
                assert!(line.starts_with("//") || line.is_empty(), "{line}");
                continue;
            };
            lines += 1;
            exact += usize::from(same);
        }
    }
    eprintln!("RFC 3501 traces: {lines} lines parsed and round-tripped, {exact} byte-identical");
    assert_eq!(lines, 130);
    // The rest differ only in quoting ("Smith" goes out as an atom, "" as
    // a quoted empty string is kept).
    assert!(exact >= 127, "{exact} of {lines} byte-identical");
}

/// RFC 9051 and extension examples, client side.
const COMMANDS: &[&str] = &[
    "a002 NOOP",
    "A023 LOGOUT",
    "a001 STARTTLS",
    "A001 AUTHENTICATE GSSAPI",
    "a001 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=",
    "a002 AUTHENTICATE EXTERNAL =",
    "a001 LOGIN SMITH SESAME",
    "A142 SELECT INBOX",
    "A932 EXAMINE blurdybloop",
    "A003 CREATE owatagusiam/",
    "t1 CREATE MySpecialArchive (USE (\\Archive))",
    "A683 RENAME blurdybloop sarasoop",
    "A002 SUBSCRIBE #news.comp.mail.mime",
    "A002 UNSUBSCRIBE #news.comp.mail.mime",
    "A101 LIST \"\" \"\"",
    "A202 LIST ~/Mail/ %",
    "A01 LIST (SUBSCRIBED) \"\" * RETURN (CHILDREN)",
    "A02 LIST (SUBSCRIBED REMOTE RECURSIVEMATCH) \"\" (INBOX foo/%)",
    "A03 LIST \"\" % RETURN (SPECIAL-USE)",
    "A04 LIST (SPECIAL-USE) \"\" *",
    "A05 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))",
    "A042 STATUS blurdybloop (UIDNEXT MESSAGES)",
    "A043 STATUS INBOX (MESSAGES SIZE DELETED HIGHESTMODSEQ APPENDLIMIT MAILBOXID)",
    "A001 NAMESPACE",
    "A341 CLOSE",
    "a1 UNSELECT",
    "A202 EXPUNGE",
    "A003 UID EXPUNGE 3000:3002",
    "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith",
    "A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM Smith",
    "A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM Smith",
    "A284 SEARCH RETURN (ALL) CHARSET UTF-8 OR (FROM Smith SMALLER 1000) UID 1:5 $",
    "A285 UID SEARCH RETURN (MIN MAX) 1:5000",
    "A286 SEARCH RETURN (SAVE) FLAGGED",
    "A287 SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338",
    "A288 SEARCH EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9",
    "A289 SEARCH YOUNGER 3600 OLDER 60 HEADER Message-ID <x@y>",
    "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
    "A655 FETCH 1 (BODY.PEEK[1.2.MIME] BODY[3]<0.2048> BODYSTRUCTURE ENVELOPE)",
    "A656 FETCH 1:* ALL",
    "A657 FETCH 1 (BINARY.PEEK[1]<0.100> BINARY.SIZE[2] PREVIEW (LAZY) EMAILID THREADID SAVEDATE)",
    "A658 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
    "A003 STORE 2:4 +FLAGS (\\Deleted)",
    "A004 STORE 2:4 -FLAGS.SILENT \\Seen $Forwarded",
    "a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)",
    "A003 COPY 2:4 MEETING",
    "a UID MOVE 42:69 foo",
    "A999 UID FETCH 4827313:4828442 FLAGS",
    "A001 ENABLE UTF8=ACCEPT CONDSTORE",
    "A002 IDLE",
    "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"os\" NIL)",
    "a024 ID NIL",
    "A142 SELECT INBOX (CONDSTORE)",
    "A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
    "B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))",
    "A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994",
    "A283 UID SORT (REVERSE DATE DISPLAYFROM) US-ASCII ALL",
    "A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000",
    "A284 UID THREAD REFERENCES US-ASCII ALL",
    "G GETQUOTAROOT INBOX",
    "G GETQUOTA \"\"",
    "S SETQUOTA \"\" (STORAGE 512 MESSAGE 1000)",
    "A042 STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)",
    "A442 XPIG-LATIN",
    "A443 XAPPLEPUSHSERVICE aps-version 2 aps-account-id 0715A26B",
    "a002 ENABLE IMAP4rev2",
    "A005 CREATE Junk (USE ())",
    "A006 LIST \"\" \"*\" RETURN (STATUS (MESSAGES APPENDLIMIT))",
    "a1 FETCH 1 BINARY[1]",
    "a2 FETCH 1 (BINARY.SIZE[1] BINARY.PEEK[2.1]<0.1024>)",
];

/// Messages with literals (client side).
const COMMANDS_WITH_LITERALS: &[&[u8]] = &[
    b"A003 APPEND saved-messages (\\Seen) {21}\r\nSubject: hi\r\n\r\nbody\r\n\r\n",
    b"A004 APPEND saved-messages (\\Seen) \" 7-Feb-1994 21:52:25 -0800\" {5+}\r\nhello\r\n",
    b"A005 APPEND INBOX {3+}\r\nabc (\\Flagged) {3+}\r\ndef ~{4+}\r\ng\0hi\r\n",
    b"A006 APPEND INBOX UTF8 (~{5+}\r\nhello)\r\n",
    b"A007 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n",
    b"A008 SEARCH CHARSET UTF-8 TEXT {6}\r\nXXXXXX\r\n",
    // RFC 7888 section 3.
    b"A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n",
    b"A009 XFOO {3}\r\na b\r\n",
];

/// Examples our encoder writes differently, with the same meaning.
const SAME_MEANING: &[&str] = &[
    // Month names come out as "Mar".
    "A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000",
    // An empty USE list is no USE list.
    "A005 CREATE Junk (USE ())",
    // "*" needs no quotes as a list-mailbox.
    "A006 LIST \"\" \"*\" RETURN (STATUS (MESSAGES APPENDLIMIT))",
];

#[test]
fn rfc9051_commands() {
    let mut exact = 0;
    for c in COMMANDS {
        let same = command_round_trip(&crlf(c));
        assert!(
            same || SAME_MEANING.contains(c),
            "re-encoded differently: {c}"
        );
        exact += usize::from(same);
    }
    for c in COMMANDS_WITH_LITERALS {
        command_round_trip(c);
    }
    eprintln!(
        "RFC 9051 commands: {} parsed, {exact} byte-identical",
        COMMANDS.len()
    );
}

/// RFC 9051 and extension examples, server side.
const RESPONSES: &[&str] = &[
    "* OK IMAP4rev2 server ready",
    "* OK [ALERT] System shutdown in 10 minutes",
    "* PREAUTH IMAP4rev2 server logged in as Smith",
    "* BYE Autologout; idle for too long",
    "* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED",
    "* OK [CAPABILITY IMAP4rev2 IDLE LITERAL+ AUTH=PLAIN] ready",
    "a001 OK LOGIN completed",
    "A1 NO [AUTHENTICATIONFAILED] Authentication failed",
    "* 172 EXISTS",
    "* OK [UIDVALIDITY 3857529045] UIDs valid",
    "* OK [UIDNEXT 4392] Predicted next UID",
    "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
    "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited",
    "* LIST () \"/\" INBOX",
    "A142 OK [READ-WRITE] SELECT completed",
    "A932 OK [READ-ONLY] EXAMINE completed",
    "* LIST (\\Noselect) \"/\" \"\"",
    "* LIST (\\Marked \\NoInferiors) NIL inbox",
    "* LIST () \"/\" Fruit (\"CHILDINFO\" (\"SUBSCRIBED\"))",
    "* LIST (\\Subscribed \\NonExistent) \"/\" Bar (\"OLDNAME\" (Foo))",
    "* LIST (\\Sent \\HasNoChildren) \"/\" \"Sent Mail\"",
    "* LIST () \".\" Entw&APw-rfe",
    "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)",
    "* STATUS INBOX (MESSAGES 17 SIZE 16234 MAILBOXID (F2212ea87-6097-4256-9d51-71338625))",
    "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3",
    "* ESEARCH (TAG \"A285\") UID MIN 7 MAX 3800",
    "* ESEARCH (TAG \"A284\") ALL 2,10:11",
    "* ESEARCH (TAG \"a\") UID ALL 1:3 MODSEQ 917162500",
    "* SEARCH 2 84 882",
    "* SEARCH",
    "* SEARCH 2 5 6 7 11 12 18 19 20 23 (MODSEQ 917162500)",
    "* SORT 2 84 882",
    "* THREAD (166)(167)(168)(169)(172)(170)(179)(171)(173)(174)(175)(176)(178)(181)(180)",
    "* THREAD (2)(3 6 (4 23)(44 7 96))",
    "* THREAD ((3)(5))",
    "* 22 EXPUNGE",
    "* 5 RECENT",
    "* VANISHED (EARLIER) 41,43:116,118,120:211,214:540",
    "* VANISHED 405,407,410,425",
    "* ENABLED UTF8=ACCEPT",
    "+ idling",
    "+ Ready for additional command text",
    "+ YGgGCSqGSIb3EgECAgIAb1kwV6ADAgEFoQMCAQ+iSzBJoAMCAQGiQgRAtHTEuOP2BXb9sBYFR4SJlDZxmg39IxmRBOhXRKdDA0uHTCOT9Bq3OsUTXUlk0CsFLoa8j+gvGDlgHuqzWHPSQg==",
    "A003 OK [APPENDUID 38505 3955] APPEND completed",
    "a1 OK [COPYUID 38505 304,319:320 3956:3958] Done",
    "* OK [HIGHESTMODSEQ 715194045007] Highest",
    "* OK [NOMODSEQ] Sorry, this mailbox format doesn't support modsequences",
    "d105 OK [MODIFIED 7,9] Conditional STORE failed",
    "* OK [CLOSED] Previous mailbox closed",
    "a2 NO [TRYCREATE] Mailbox doesn't exist",
    "a3 NO [OVERQUOTA] Sorry",
    "a4 BAD [TOOBIG] literal too large",
    "* NO [BADCHARSET (UTF-8 US-ASCII)] unknown charset",
    "* OK [MAILBOXID (F2212ea87-6097-4256-9d51-71338625)] Ok",
    "* OK [XFOO some text here] extension code",
    "* 1 FETCH (UID 4 MODSEQ (65402) FLAGS (\\Seen))",
    "* 23 FETCH (FLAGS (\\Seen) UID 4827313)",
    "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev2 WG mtg summary and minutes\" ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\") BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))",
    "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1152 23)(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\" \"NAME\" \"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" \"BASE64\" 4554 73) \"MIXED\"))",
    "* 2 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"QUOTED-PRINTABLE\" 120 4 NIL (\"INLINE\" NIL) (\"en\" \"fr\") NIL))",
    "* 3 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL)(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 40 (NIL \"inner\" NIL NIL NIL NIL NIL NIL NIL NIL) (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"MIXED\" (\"BOUNDARY\" \"b1\") (\"ATTACHMENT\" (\"FILENAME\" \"a.txt\")) NIL NIL))",
    "* 4 FETCH (BINARY.SIZE[1] 2048 EMAILID (M6d99ac3275bb4e) THREADID NIL SAVEDATE NIL PREVIEW \"Hello there\")",
    "* NAMESPACE ((\"\" \"/\")) NIL NIL",
    "* NAMESPACE ((\"\" \"/\")) ((\"~\" \"/\")) ((\"#shared/\" \"/\")(\"#public/\" \"/\"))",
    "* QUOTAROOT INBOX \"\"",
    "* QUOTA \"\" (STORAGE 10 512)",
    "* ID (\"name\" \"Cyrus\" \"version\" \"1.5\" \"os\" \"sunos\")",
    "* ID NIL",
    "* XPIG-LATIN ow-nay eaking-spay ig-pay atin-lay",
    "A442 OK XPIG-LATIN ompleted-cay",
    "* ENABLED IMAP4rev2",
    "* STATUS INBOX (MESSAGES 12 DELETED 4 DELETED-STORAGE 8)",
    "* STATUS INBOX (APPENDLIMIT 257890)",
    "* STATUS Sent (APPENDLIMIT NIL)",
    "* LIST (\\HasNoChildren) \".\" INBOX (\"X-EXT\" (1 (\"a\" b)) \"X-NUM\" 4:7)",
    "t1 NO [USEATTR] MySpecialArchive not created: \\Archive is not supported",
    "a NO [UNKNOWN-CTE] Can't decode message part",
    "* NO [UIDNOTSTICKY] Non-persistent UIDs",
    "* OK [UNSEEN 12] Message 12 is first unseen",
    "* 7 FETCH (MODSEQ (12121231000))",
    "* 14 FETCH (FLAGS (\\Seen \\Deleted))",
    "* OK [COPYUID 432432 42:69 1202:1229] Moved",
    "* METADATA \"\" (/shared/comment \"Shared comment\")",
];

#[test]
fn rfc9051_responses() {
    let mut exact = 0;
    for r in RESPONSES {
        let same = response_round_trip(&crlf(r));
        if !same {
            eprintln!("re-encoded differently: {r}");
        }
        exact += usize::from(same);
    }
    eprintln!(
        "RFC 9051 responses: {} parsed, {exact} byte-identical",
        RESPONSES.len()
    );
    assert!(
        exact >= RESPONSES.len() - 1,
        "{exact} of {} byte-identical",
        RESPONSES.len()
    );
}

#[test]
fn response_meanings() {
    let r =
        parse_response(b"* 12 FETCH (BODY[HEADER] {19}\r\nSubject: hi\r\n\r\nabcd)\r\n").unwrap();
    let Response::Data(Data::Fetch { seq: 12, items }) = r else {
        panic!()
    };
    let FetchValue::BodySection {
        data: Some(d),
        origin: None,
        ..
    } = &items[0]
    else {
        panic!()
    };
    assert_eq!(&d[..], b"Subject: hi\r\n\r\nabcd");

    let r = parse_response(b"* 1 FETCH (BINARY[1]<4> ~{3}\r\na\0b)\r\n").unwrap();
    assert!(response_round_trip(&r.encode(ResponseOptions::default())));

    let r = parse_response(b"a1 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n").unwrap();
    let Response::Tagged { status, .. } = r else {
        panic!()
    };
    assert_eq!(status.kind, StatusKind::Ok);
    assert!(matches!(
        status.code,
        Some(Code::CopyUid {
            validity: 38505,
            ..
        })
    ));

    let bs = RESPONSES
        .iter()
        .find(|r| r.starts_with("* 1 FETCH (BODYSTRUCTURE"))
        .unwrap();
    let wire = crlf(bs);
    let Response::Data(Data::Fetch { items, .. }) = parse_response(&wire).unwrap() else {
        panic!()
    };
    let FetchValue::BodyStructure(b) = &items[0] else {
        panic!()
    };
    let BodyKind::Multi { parts, subtype } = &b.kind else {
        panic!()
    };
    assert_eq!(parts.len(), 2);
    assert_eq!(&subtype[..], b"MIXED");
}

#[test]
fn extension_meanings() {
    use rampart_imap_proto::ParseOptions;
    use rampart_imap_proto::command::parse_command_with;
    use rampart_imap_proto::response::{StatusValue, parse_response_with};

    // RFC 7889: APPENDLIMIT NIL means no limit for that mailbox.
    let r = parse_response(b"* STATUS Sent (APPENDLIMIT NIL)\r\n").unwrap();
    let Response::Data(Data::Status { items, .. }) = r else {
        panic!()
    };
    assert_eq!(items, [StatusValue::NoAppendLimit]);

    // An X command keeps its arguments as sent.
    let c = parse_command(b"A9 XFOO {3}\r\na b\r\n").unwrap();
    assert_eq!(
        c.body,
        CommandBody::X {
            name: "XFOO",
            args: b"{3}\r\na b"
        }
    );

    // "=" is the empty SASL-IR initial response.
    let c = parse_command(b"a002 AUTHENTICATE EXTERNAL =\r\n").unwrap();
    assert_eq!(
        c.body,
        CommandBody::Authenticate {
            mechanism: "EXTERNAL",
            initial: Some("")
        }
    );

    // After ENABLE UTF8=ACCEPT, names are UTF-8 and "&" is plain.
    let utf8 = ParseOptions { utf8: true };
    let r = parse_response_with(b"* LIST () \"/\" \"R&D/Entw\xc3\xbcrfe\"\r\n", utf8).unwrap();
    let Response::Data(Data::List(l)) = &r else {
        panic!()
    };
    assert_eq!(l.mailbox.as_str(), "R&D/Entwürfe");
    assert_eq!(
        r.encode(ResponseOptions { utf8: true }),
        "* LIST () \"/\" \"R&D/Entwürfe\"\r\n".as_bytes()
    );
    assert_eq!(
        r.encode(ResponseOptions::default()),
        b"* LIST () \"/\" R&-D/Entw&APw-rfe\r\n"
    );
    let c = parse_command_with(b"a SELECT \"R&D\"\r\n", utf8).unwrap();
    assert_eq!(
        c.encode(EncodeOptions {
            utf8: true,
            ..Default::default()
        })
        .bytes,
        b"a SELECT R&D\r\n"
    );

    // LITERAL-: small literals go without waiting, large ones wait.
    let mut wire = b"a APPEND INBOX {3}\r\nabc ".to_vec();
    wire.extend_from_slice(b"{5000}\r\n");
    wire.extend(vec![b'x'; 5000]);
    wire.extend_from_slice(b"\r\n");
    let c = parse_command(&wire).unwrap();
    let e = c.encode(EncodeOptions {
        literal: rampart_imap_proto::LiteralMode::Minus,
        utf8: false,
    });
    assert!(
        e.bytes
            .starts_with(b"a APPEND INBOX {3+}\r\nabc {5000}\r\n")
    );
    assert_eq!(e.chunks().len(), 2);
}

#[test]
fn framed_trace_through_the_framer() {
    // The whole client side of several examples as one stream, split at
    // odd places, framed, then parsed.
    let mut stream = Vec::new();
    for c in COMMANDS.iter().take(20) {
        stream.extend(crlf(c));
    }
    for c in COMMANDS_WITH_LITERALS {
        stream.extend_from_slice(c);
    }
    let mut f = Framer::new(FramerConfig::SERVER);
    let mut n = 0;
    let mut conts = 0;
    for chunk in stream.chunks(7) {
        f.feed(chunk);
        while let Some(ev) = f.poll() {
            match ev {
                Event::Message(m) => {
                    let c = parse_command(m).unwrap();
                    assert!(!matches!(c.body, CommandBody::Capability));
                    n += 1;
                }
                Event::Continue { .. } => conts += 1,
                Event::Rejected { .. } => panic!("rejected"),
            }
        }
    }
    assert_eq!(n, 20 + COMMANDS_WITH_LITERALS.len());
    assert_eq!(conts, 5);
}
