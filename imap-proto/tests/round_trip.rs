//! proptest round trips: encode a generated value, frame the bytes, parse
//! them, and get the same value back. IMAP commands and responses, POP3
//! commands and replies, ManageSieve commands and responses.

use std::borrow::Cow;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use rampart_imap_proto::command::{
    AppendMessage, Command, CommandBody, EncodeOptions, FetchAttr, FetchItems, FetchModifiers,
    ListReturn, ListSelect, Search, SearchKey, SearchReturn, SelectParam, SortCriterion, SortKey,
    StatusItem, StoreMode, parse_command_with,
};
use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
use rampart_imap_proto::response::{
    Address, BodyExt, BodyFields, BodyKind, BodyStructure, Code, Data, ESearch, Envelope,
    FetchValue, ListItem, Response, ResponseOptions, SingleExtra, Status, StatusKind, StatusValue,
    Thread, parse_response_with,
};
use rampart_imap_proto::types::{
    Date, DateTime, Flag, Mailbox, Section, SectionText, SeqItem, SeqNo, SequenceSet, Tag,
};
use rampart_imap_proto::{LiteralMode, ParseOptions};
use rampart_imap_proto::{managesieve, pop3};

/// Test values borrow `&'static str`; leaking a few short strings per
/// case keeps the generators simple.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn atom() -> impl Strategy<Value = &'static str> {
    "[A-Za-z][A-Za-z0-9$_.-]{0,8}".prop_map(leak)
}

fn bytes() -> impl Strategy<Value = Cow<'static, [u8]>> {
    prop_oneof![
        "[a-zA-Z0-9 ]{0,12}".prop_map(|s| Cow::Owned(s.into_bytes())),
        vec(1u8..=255, 0..40).prop_map(Cow::Owned),
        Just(Cow::Borrowed(&b"a\"b\\c"[..])),
        Just(Cow::Borrowed(&b"line\r\nbreak"[..])),
    ]
}

/// Response text. A text ending in `{N}` would announce a literal to the
/// framer, which is why servers never send one; the generator leaves `}`
/// out.
fn text() -> impl Strategy<Value = String> {
    "[^\r\n\0}]{0,30}"
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    prop_oneof![
        Just(Mailbox::new("INBOX")),
        "[a-zA-Z0-9/._ &-]{1,16}".prop_map(Mailbox::new),
        "\\PC{1,8}".prop_map(Mailbox::new),
    ]
}

fn nz() -> impl Strategy<Value = u32> {
    1u32..=u32::MAX
}

fn seq_set() -> impl Strategy<Value = SequenceSet> {
    let no = prop_oneof![nz().prop_map(SeqNo::Value), Just(SeqNo::Largest)];
    let item = prop_oneof![
        no.clone().prop_map(SeqItem::Single),
        (no.clone(), no).prop_map(|(a, b)| SeqItem::Range(a, b)),
    ];
    prop_oneof![
        vec(item, 1..5).prop_map(SequenceSet::Items),
        Just(SequenceSet::Saved)
    ]
}

fn uid_set() -> impl Strategy<Value = SequenceSet> {
    vec((nz(), option::of(nz())), 1..4).prop_map(|v| {
        SequenceSet::Items(
            v.into_iter()
                .map(|(a, b)| match b {
                    Some(b) => SeqItem::Range(SeqNo::Value(a), SeqNo::Value(b)),
                    None => SeqItem::Single(SeqNo::Value(a)),
                })
                .collect(),
        )
    })
}

fn flag() -> impl Strategy<Value = Flag<'static>> {
    prop_oneof![
        Just(Flag::Seen),
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        "X[A-Za-z0-9]{0,6}".prop_map(|s| Flag::Extension(leak(s))),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (1000u16..=9999, 1u8..=12, 1u8..=31).prop_map(|(year, month, day)| Date { year, month, day })
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (date(), 0u8..24, 0u8..60, 0u8..=60, -720i16..=840).prop_map(
        |(date, hour, minute, second, zone)| DateTime {
            date,
            hour,
            minute,
            second,
            zone,
        },
    )
}

fn search_key() -> impl Strategy<Value = SearchKey<'static>> {
    let leaf = prop_oneof![
        Just(SearchKey::All),
        Just(SearchKey::Seen),
        Just(SearchKey::Unanswered),
        bytes().prop_map(SearchKey::From),
        bytes().prop_map(SearchKey::Subject),
        (bytes(), bytes()).prop_map(|(a, b)| SearchKey::Header(a, b)),
        date().prop_map(SearchKey::Since),
        date().prop_map(SearchKey::SentBefore),
        any::<u64>().prop_map(|n| SearchKey::Larger(n >> 1)),
        atom().prop_map(SearchKey::Keyword),
        uid_set().prop_map(SearchKey::Uid),
        uid_set().prop_map(SearchKey::SequenceSet),
        nz().prop_map(SearchKey::Younger),
        (0u64..1 << 62).prop_map(|n| SearchKey::ModSeq(None, n)),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| SearchKey::Not(Box::new(k))),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| SearchKey::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..3).prop_map(SearchKey::And),
        ]
    })
}

fn section() -> impl Strategy<Value = Section<'static>> {
    let text = prop_oneof![
        Just(None),
        Just(Some(SectionText::Header)),
        Just(Some(SectionText::Text)),
        vec(atom().prop_map(|a| Cow::Borrowed(a.as_bytes())), 1..3)
            .prop_map(|v| Some(SectionText::HeaderFields(v))),
        vec(atom().prop_map(|a| Cow::Borrowed(a.as_bytes())), 1..3)
            .prop_map(|v| Some(SectionText::HeaderFieldsNot(v))),
    ];
    (vec(nz(), 0..3), text, any::<bool>()).prop_map(|(part, text, mime)| {
        let text = if mime && !part.is_empty() {
            Some(SectionText::Mime)
        } else {
            text
        };
        Section { part, text }
    })
}

fn fetch_attr() -> impl Strategy<Value = FetchAttr<'static>> {
    let partial = option::of((0u64..1 << 40, 1u64..1 << 40));
    prop_oneof![
        Just(FetchAttr::Envelope),
        Just(FetchAttr::Flags),
        Just(FetchAttr::Uid),
        Just(FetchAttr::BodyStructure),
        Just(FetchAttr::Body),
        Just(FetchAttr::Rfc822Size),
        Just(FetchAttr::ModSeq),
        any::<bool>().prop_map(|lazy| FetchAttr::Preview { lazy }),
        (section(), partial.clone(), any::<bool>()).prop_map(|(section, partial, peek)| {
            FetchAttr::BodySection {
                section,
                partial,
                peek,
            }
        }),
        (vec(nz(), 0..3), partial, any::<bool>()).prop_map(|(part, partial, peek)| {
            FetchAttr::Binary {
                part,
                partial,
                peek,
            }
        }),
        vec(nz(), 0..3).prop_map(FetchAttr::BinarySize),
    ]
}

fn search() -> impl Strategy<Value = Search<'static>> {
    let ret = option::of(vec(
        prop_oneof![
            Just(SearchReturn::Min),
            Just(SearchReturn::Max),
            Just(SearchReturn::All),
            Just(SearchReturn::Count),
            Just(SearchReturn::Save),
        ],
        0..3,
    ));
    let charset = option::of(atom().prop_map(|a| Cow::Borrowed(a.as_bytes())));
    (ret, charset, vec(search_key(), 1..4)).prop_map(|(ret, charset, keys)| Search {
        ret,
        charset,
        keys,
    })
}

fn sort_search() -> impl Strategy<Value = Search<'static>> {
    // SORT and THREAD always carry a charset, without RETURN.
    (atom(), vec(search_key(), 1..3)).prop_map(|(cs, keys)| Search {
        ret: None,
        charset: Some(Cow::Borrowed(cs.as_bytes())),
        keys,
    })
}

fn status_item() -> impl Strategy<Value = StatusItem> {
    prop_oneof![
        Just(StatusItem::Messages),
        Just(StatusItem::UidNext),
        Just(StatusItem::UidValidity),
        Just(StatusItem::Unseen),
        Just(StatusItem::Deleted),
        Just(StatusItem::Size),
        Just(StatusItem::Recent),
        Just(StatusItem::HighestModSeq),
        Just(StatusItem::AppendLimit),
        Just(StatusItem::MailboxId),
        Just(StatusItem::DeletedStorage),
    ]
}

fn sort_key() -> impl Strategy<Value = SortKey> {
    prop_oneof![
        Just(SortKey::Arrival),
        Just(SortKey::Cc),
        Just(SortKey::Date),
        Just(SortKey::From),
        Just(SortKey::Size),
        Just(SortKey::Subject),
        Just(SortKey::To),
        Just(SortKey::DisplayFrom),
        Just(SortKey::DisplayTo),
    ]
}

/// The commands without a mailbox selected, and a few of any state.
fn command_body_misc() -> impl Strategy<Value = CommandBody<'static>> {
    use CommandBody as C;
    prop_oneof![
        Just(C::Logout),
        Just(C::StartTls),
        Just(C::Check),
        Just(C::Close),
        Just(C::Unselect),
        Just(C::Expunge(None)),
        option::of(vec((bytes(), option::of(bytes())), 0..3)).prop_map(C::Id),
        ("X[A-Z0-9-]{1,8}", "[a-z0-9 ()\"*]{0,20}").prop_map(|(n, a)| C::X {
            name: leak(n),
            args: leak(a).as_bytes(),
        }),
        (mailbox(), vec("[A-Z][a-z]{1,8}".prop_map(leak), 0..3))
            .prop_map(|(m, uses)| C::Create(m, uses)),
        mailbox().prop_map(C::Subscribe),
        mailbox().prop_map(C::Unsubscribe),
        mailbox().prop_map(C::GetQuotaRoot),
        (mailbox(), "[a-zA-Z0-9%*/.]{1,6}".prop_map(Cow::Owned)).prop_map(|(m, p)| C::Lsub(m, p)),
        bytes().prop_map(C::GetQuota),
        (bytes(), vec((atom(), 0u64..1 << 62), 0..3)).prop_map(|(r, l)| C::SetQuota(r, l)),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Copy {
            uid,
            set,
            mailbox
        }),
        (
            any::<bool>(),
            vec((any::<bool>(), sort_key()), 1..3),
            sort_search()
        )
            .prop_map(|(uid, c, search)| C::Sort {
                uid,
                criteria: c
                    .into_iter()
                    .map(|(reverse, key)| SortCriterion { reverse, key })
                    .collect(),
                search,
            }),
        (any::<bool>(), atom(), sort_search()).prop_map(|(uid, algorithm, search)| C::Thread {
            uid,
            algorithm,
            search
        }),
        (
            mailbox(),
            nz(),
            0u64..1 << 62,
            option::of(uid_set()),
            option::of((uid_set(), uid_set()))
        )
            .prop_map(|(m, v, ms, k, sm)| C::Select(
                m,
                vec![
                    SelectParam::CondStore,
                    SelectParam::QResync {
                        uid_validity: v,
                        mod_seq: ms,
                        known_uids: k,
                        seq_match: sm,
                    }
                ]
            )),
        (
            any::<bool>(),
            seq_set(),
            prop_oneof![
                Just(FetchItems::All),
                Just(FetchItems::Fast),
                Just(FetchItems::Full),
                fetch_attr().prop_map(|a| FetchItems::Attrs {
                    attrs: vec![a],
                    parens: false
                }),
            ],
            option::of(0u64..1 << 62),
            any::<bool>()
        )
            .prop_map(|(uid, set, items, changed_since, vanished)| C::Fetch {
                uid,
                set,
                items,
                modifiers: FetchModifiers {
                    changed_since,
                    vanished
                },
            }),
        (
            any::<bool>(),
            seq_set(),
            option::of(0u64..1 << 62),
            vec(flag(), 1..3),
            any::<bool>(),
        )
            .prop_map(|(uid, set, unchanged_since, flags, parens)| C::Store {
                uid,
                set,
                unchanged_since,
                mode: StoreMode::Add,
                silent: false,
                flags,
                parens,
            }),
        (
            mailbox(),
            vec(
                (any::<bool>(), any::<bool>(), vec(any::<u8>(), 0..40)),
                1..3
            )
        )
            .prop_map(|(m, msgs)| C::Append(
                m,
                msgs.into_iter()
                    .map(|(binary, utf8, mut data)| {
                        let binary = binary || utf8;
                        // NUL only travels in literal8.
                        if !binary {
                            data.retain(|&b| b != 0);
                        }
                        AppendMessage {
                            flags: None,
                            date: None,
                            data: Box::leak(data.into_boxed_slice()),
                            binary,
                            utf8,
                        }
                    })
                    .collect()
            )),
    ]
}

fn command_body() -> impl Strategy<Value = CommandBody<'static>> {
    prop_oneof![command_body_main(), command_body_misc()]
}

fn command_body_main() -> impl Strategy<Value = CommandBody<'static>> {
    use CommandBody as C;
    prop_oneof![
        Just(C::Capability),
        Just(C::Noop),
        Just(C::Idle),
        Just(C::Namespace),
        (bytes(), bytes()).prop_map(|(user, password)| C::Login { user, password }),
        (
            atom(),
            option::of(prop_oneof![
                Just(""),
                "[A-Za-z0-9+/]{1,20}={0,2}".prop_map(leak)
            ])
        )
            .prop_map(|(mechanism, initial)| C::Authenticate { mechanism, initial }),
        vec(atom(), 1..4).prop_map(C::Enable),
        (mailbox(), any::<bool>()).prop_map(|(m, cs)| C::Select(
            m,
            if cs {
                vec![SelectParam::CondStore]
            } else {
                vec![]
            }
        )),
        (mailbox(), nz(), 0u64..1 << 62, option::of(uid_set())).prop_map(|(m, v, ms, k)| {
            C::Examine(
                m,
                vec![SelectParam::QResync {
                    uid_validity: v,
                    mod_seq: ms,
                    known_uids: k,
                    seq_match: None,
                }],
            )
        }),
        mailbox().prop_map(C::Delete),
        (mailbox(), mailbox()).prop_map(|(a, b)| C::Rename(a, b)),
        (mailbox(), vec(status_item(), 1..4)).prop_map(|(m, items)| C::Status(m, items)),
        (
            any::<bool>(),
            mailbox(),
            vec("[a-zA-Z0-9%*/]{1,6}".prop_map(Cow::Owned), 1..3),
            any::<bool>()
        )
            .prop_map(|(sel, reference, patterns, ret)| {
                let multiple = patterns.len() > 1;
                C::List {
                    select: if sel {
                        vec![ListSelect::Subscribed, ListSelect::SpecialUse]
                    } else {
                        vec![]
                    },
                    reference,
                    patterns,
                    multiple,
                    ret: if ret {
                        vec![
                            ListReturn::Children,
                            ListReturn::Subscribed,
                            ListReturn::SpecialUse,
                            ListReturn::Status(vec![StatusItem::Unseen]),
                        ]
                    } else {
                        vec![]
                    },
                }
            }),
        (
            mailbox(),
            vec(
                (
                    option::of(vec(flag(), 0..3)),
                    option::of(date_time()),
                    vec(1u8..=255, 0..50)
                ),
                1..3
            )
        )
            .prop_map(|(m, msgs)| {
                let msgs = msgs
                    .into_iter()
                    .map(|(flags, date, data)| AppendMessage {
                        flags,
                        date,
                        data: Box::leak(data.into_boxed_slice()),
                        binary: false,
                        utf8: false,
                    })
                    .collect();
                C::Append(m, msgs)
            }),
        (
            any::<bool>(),
            seq_set(),
            vec(fetch_attr(), 1..4),
            option::of(0u64..1 << 62)
        )
            .prop_map(|(uid, set, attrs, cs)| C::Fetch {
                uid,
                set,
                items: FetchItems::Attrs {
                    attrs,
                    parens: true
                },
                modifiers: FetchModifiers {
                    changed_since: cs,
                    vanished: false
                },
            }),
        (
            any::<bool>(),
            seq_set(),
            vec(flag(), 1..3),
            any::<bool>(),
            0u8..3
        )
            .prop_map(|(uid, set, flags, silent, mode)| C::Store {
                uid,
                set,
                unchanged_since: None,
                mode: [StoreMode::Replace, StoreMode::Add, StoreMode::Remove][mode as usize],
                silent,
                flags,
                parens: true,
            }),
        (any::<bool>(), search()).prop_map(|(uid, search)| C::Search { uid, search }),
        (any::<bool>(), seq_set(), mailbox()).prop_map(|(uid, set, mailbox)| C::Move {
            uid,
            set,
            mailbox
        }),
        uid_set().prop_map(|s| C::Expunge(Some(s))),
    ]
}

fn frame_one(bytes: &[u8], cfg: FramerConfig) -> Vec<u8> {
    frame_counting(bytes, cfg).0
}

/// Frames one message, counting the continuation requests asked for.
fn frame_counting(bytes: &[u8], cfg: FramerConfig) -> (Vec<u8>, usize) {
    let mut f = Framer::new(cfg);
    let mut out = None;
    let mut continues = 0;
    for chunk in bytes.chunks(5) {
        f.feed(chunk);
        while let Some(ev) = f.poll() {
            match ev {
                Event::Message(m) => {
                    assert!(out.is_none(), "two messages");
                    out = Some(m.to_vec());
                }
                Event::Continue { .. } => continues += 1,
                Event::Rejected { error, .. } => panic!("rejected: {error}"),
            }
        }
    }
    (out.expect("no message framed"), continues)
}

fn address() -> impl Strategy<Value = Address<'static>> {
    (
        option::of(bytes()),
        option::of(bytes()),
        option::of(bytes()),
    )
        .prop_map(|(name, mailbox, host)| Address {
            name,
            adl: None,
            mailbox,
            host,
        })
}

fn envelope() -> impl Strategy<Value = Envelope<'static>> {
    (
        option::of(bytes()),
        option::of(bytes()),
        vec(address(), 0..3),
        vec(address(), 0..2),
        option::of(bytes()),
    )
        .prop_map(|(date, subject, from, to, message_id)| Envelope {
            date,
            subject,
            sender: from.clone(),
            reply_to: from.clone(),
            from,
            to,
            message_id,
            ..Envelope::default()
        })
}

fn body_structure() -> impl Strategy<Value = BodyStructure<'static>> {
    let ext = option::of((option::of(bytes()), vec(bytes(), 0..3), option::of(bytes())));
    let leaf = (
        bytes(),
        vec((bytes(), bytes()), 0..2),
        0u64..1 << 40,
        any::<bool>(),
        ext,
    )
        .prop_map(|(sub, params, size, text, ext)| BodyStructure {
            kind: BodyKind::Single {
                media_type: Cow::Borrowed(if text { b"TEXT" } else { b"IMAGE" }),
                subtype: sub,
                fields: BodyFields {
                    params,
                    id: None,
                    description: None,
                    encoding: Cow::Borrowed(b"BASE64"),
                    size,
                },
                extra: if text {
                    SingleExtra::Text { lines: size / 7 }
                } else {
                    SingleExtra::Basic
                },
            },
            ext: ext.map(|(md5, language, location)| BodyExt {
                md5,
                language,
                location,
                ..BodyExt::default()
            }),
        });
    leaf.prop_recursive(3, 8, 3, |inner| {
        (
            vec(inner, 1..3),
            bytes(),
            vec((bytes(), bytes()), 0..2),
            any::<bool>(),
        )
            .prop_map(|(parts, subtype, params, ext)| {
                // The extension data of a multipart comes with its parts'.
                let ext = ext && parts.iter().all(|p| p.ext.is_some());
                let parts = if ext {
                    parts
                } else {
                    parts.into_iter().map(strip_ext).collect()
                };
                BodyStructure {
                    kind: BodyKind::Multi { parts, subtype },
                    ext: ext.then(|| BodyExt {
                        params,
                        disposition: Some((Cow::Borrowed(b"inline"), vec![])),
                        ..BodyExt::default()
                    }),
                }
            })
    })
}

fn strip_ext(mut b: BodyStructure<'static>) -> BodyStructure<'static> {
    b.ext = None;
    if let BodyKind::Multi { parts, .. } = &mut b.kind {
        *parts = std::mem::take(parts).into_iter().map(strip_ext).collect();
    }
    b
}

fn thread() -> impl Strategy<Value = Thread> {
    let leaf = vec(nz(), 1..3).prop_map(|chain| Thread {
        chain,
        branches: vec![],
    });
    leaf.prop_recursive(3, 12, 3, |inner| {
        (vec(nz(), 0..3), vec(inner, 2..4)).prop_map(|(chain, branches)| Thread { chain, branches })
    })
}

fn fetch_value() -> impl Strategy<Value = FetchValue<'static>> {
    prop_oneof![
        vec(flag(), 0..3).prop_map(FetchValue::Flags),
        nz().prop_map(FetchValue::Uid),
        date_time().prop_map(FetchValue::InternalDate),
        any::<u32>().prop_map(|n| FetchValue::Rfc822Size(u64::from(n))),
        envelope().prop_map(|e| FetchValue::Envelope(Box::new(e))),
        body_structure().prop_map(|b| FetchValue::BodyStructure(Box::new(b))),
        body_structure().prop_map(|b| FetchValue::Body(Box::new(strip_ext(b)))),
        (
            section(),
            option::of(0u64..1 << 40),
            option::of(vec(1u8..=255, 0..100))
        )
            .prop_map(|(section, origin, data)| FetchValue::BodySection {
                section,
                origin,
                data: data.map(Cow::Owned),
            }),
        (vec(nz(), 0..3), option::of(vec(any::<u8>(), 0..40))).prop_map(|(part, data)| {
            FetchValue::Binary {
                part,
                origin: None,
                data: data.map(Cow::Owned),
            }
        }),
        (0u64..1 << 62).prop_map(FetchValue::ModSeq),
        atom().prop_map(FetchValue::EmailId),
        option::of(atom()).prop_map(FetchValue::ThreadId),
        option::of(bytes()).prop_map(FetchValue::Preview),
    ]
}

fn code() -> impl Strategy<Value = Code<'static>> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::ReadWrite),
        Just(Code::TooBig),
        Just(Code::Limit),
        vec(atom(), 0..4).prop_map(Code::Capability),
        vec(flag(), 0..3).prop_map(Code::PermanentFlags),
        nz().prop_map(Code::UidNext),
        (nz(), uid_set()).prop_map(|(validity, uids)| Code::AppendUid { validity, uids }),
        (nz(), uid_set(), uid_set()).prop_map(|(validity, source, dest)| Code::CopyUid {
            validity,
            source,
            dest
        }),
        (0u64..1 << 62).prop_map(Code::HighestModSeq),
        ("X[A-Z]{1,6}", option::of("[a-z0-9 ]{0,10}")).prop_map(|(n, t)| Code::Other {
            name: leak(n),
            text: t.map(leak)
        }),
        Just(Code::UseAttr),
        Just(Code::NoModSeq),
        Just(Code::Closed),
        Just(Code::NotSaved),
        Just(Code::UnknownCte),
        nz().prop_map(Code::Unseen),
        nz().prop_map(Code::UidValidity),
        uid_set().prop_map(Code::Modified),
        atom().prop_map(Code::MailboxId),
        vec(bytes(), 0..3).prop_map(Code::BadCharset),
    ]
}

fn status_value() -> impl Strategy<Value = StatusValue<'static>> {
    prop_oneof![
        (
            status_item().prop_filter("MAILBOXID has no number", |i| *i != StatusItem::MailboxId),
            0u64..1 << 62
        )
            .prop_map(|(i, n)| StatusValue::Number(i, n)),
        Just(StatusValue::NoAppendLimit),
        atom().prop_map(StatusValue::MailboxId),
    ]
}

fn delimiter() -> impl Strategy<Value = Option<char>> {
    prop_oneof![
        Just(None),
        Just(Some('/')),
        Just(Some('.')),
        Just(Some('"')),
        Just(Some('\\')),
    ]
}

fn list_item() -> impl Strategy<Value = ListItem<'static>> {
    let ext_value = prop_oneof![
        Just(&b"1:5,7"[..]),
        Just(&b"42"[..]),
        Just(&b"(\"a\" b (c NIL))"[..]),
        Just(&b"()"[..]),
        Just(&b"({3}\r\nx y)"[..]),
    ];
    (
        vec(atom(), 0..3),
        delimiter(),
        mailbox(),
        vec(bytes(), 0..2),
        option::of(mailbox()),
        vec(("X-[A-Z]{1,8}", ext_value), 0..2),
    )
        .prop_map(
            |(attributes, delimiter, mailbox, child_info, old_name, ext)| ListItem {
                attributes,
                delimiter,
                mailbox,
                child_info,
                old_name,
                extensions: ext
                    .into_iter()
                    .map(|(t, v)| (Cow::Owned(t.into_bytes()), v))
                    .collect(),
            },
        )
}

fn more_data() -> impl Strategy<Value = Data<'static>> {
    prop_oneof![
        vec(atom(), 0..4).prop_map(Data::Enabled),
        list_item().prop_map(Data::List),
        list_item().prop_map(Data::Lsub),
        nz().prop_map(Data::Recent),
        (vec(nz(), 0..5), option::of(0u64..1 << 62)).prop_map(|(v, m)| Data::Sort(v, m)),
        [
            option::of(vec((bytes(), delimiter()), 1..3)),
            option::of(vec((bytes(), delimiter()), 1..3)),
            option::of(vec((bytes(), delimiter()), 1..3)),
        ]
        .prop_map(Data::Namespace),
        (mailbox(), vec(bytes(), 0..3))
            .prop_map(|(mailbox, roots)| Data::QuotaRoot { mailbox, roots }),
        option::of(vec((bytes(), option::of(bytes())), 0..3)).prop_map(Data::Id),
        ("X[A-Z]{1,8}", "[a-z0-9 ()\"*]{0,20}").prop_map(|(n, r)| Data::Other {
            name: leak(n),
            rest: leak(r).as_bytes(),
        }),
        (
            nz(),
            vec(
                prop_oneof![
                    option::of(bytes()).prop_map(FetchValue::Rfc822),
                    option::of(bytes()).prop_map(FetchValue::Rfc822Header),
                    option::of(bytes()).prop_map(FetchValue::Rfc822Text),
                    (vec(nz(), 0..3), 0u64..1 << 62)
                        .prop_map(|(part, size)| FetchValue::BinarySize { part, size }),
                    option::of(date_time()).prop_map(FetchValue::SaveDate),
                    (
                        vec(nz(), 1..3),
                        option::of(0u64..1 << 40),
                        option::of(vec(any::<u8>(), 0..40))
                    )
                        .prop_map(|(part, origin, data)| FetchValue::Binary {
                            part,
                            origin,
                            data: data.map(Cow::Owned),
                        }),
                ],
                1..4
            )
        )
            .prop_map(|(seq, items)| Data::Fetch { seq, items }),
    ]
}

fn status() -> impl Strategy<Value = Status<'static>> {
    (0u8..5, option::of(code()), text()).prop_map(|(k, code, text)| Status {
        kind: [
            StatusKind::Ok,
            StatusKind::No,
            StatusKind::Bad,
            StatusKind::PreAuth,
            StatusKind::Bye,
        ][k as usize],
        code,
        text: Cow::Owned(text),
    })
}

fn data() -> impl Strategy<Value = Data<'static>> {
    prop_oneof![
        vec(atom(), 0..5).prop_map(Data::Capability),
        nz().prop_map(Data::Exists),
        nz().prop_map(Data::Expunge),
        vec(flag(), 0..4).prop_map(Data::Flags),
        (vec(nz(), 0..5), option::of(0u64..1 << 62)).prop_map(|(v, m)| Data::Search(v, m)),
        (any::<bool>(), uid_set()).prop_map(|(earlier, uids)| Data::Vanished { earlier, uids }),
        vec(thread(), 0..3).prop_map(Data::Thread),
        (
            option::of(bytes()),
            any::<bool>(),
            option::of(nz()),
            option::of(uid_set()),
            option::of(any::<u32>())
        )
            .prop_map(|(tag, uid, min, all, count)| Data::ESearch(ESearch {
                tag,
                uid,
                min,
                max: min,
                all,
                count,
                mod_seq: None,
            })),
        (
            vec(atom(), 0..3),
            prop_oneof![
                Just(None),
                Just(Some('/')),
                Just(Some('.')),
                Just(Some('"'))
            ],
            mailbox(),
            vec(bytes(), 0..2)
        )
            .prop_map(|(attributes, delimiter, mailbox, child_info)| Data::List(
                ListItem {
                    attributes,
                    delimiter,
                    mailbox,
                    child_info,
                    old_name: None,
                    extensions: vec![],
                }
            )),
        (mailbox(), vec(status_value(), 0..4))
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        (nz(), vec(fetch_value(), 1..4)).prop_map(|(seq, items)| Data::Fetch { seq, items }),
        (bytes(), vec((atom(), any::<u32>(), any::<u32>()), 0..3)).prop_map(|(root, r)| {
            Data::Quota {
                root,
                resources: r
                    .into_iter()
                    .map(|(n, a, b)| (n, u64::from(a), u64::from(b)))
                    .collect(),
            }
        }),
    ]
}

fn response() -> impl Strategy<Value = Response<'static>> {
    prop_oneof![
        (atom(), status()).prop_map(|(t, mut status)| {
            if matches!(status.kind, StatusKind::PreAuth | StatusKind::Bye) {
                status.kind = StatusKind::Ok;
            }
            Response::Tagged {
                tag: Tag::new(t).unwrap(),
                status,
            }
        }),
        status().prop_map(Response::Untagged),
        data().prop_map(Response::Data),
        more_data().prop_map(Response::Data),
        (option::of(code()), text()).prop_map(|(code, t)| Response::Continue {
            code,
            text: Cow::Owned(t),
        }),
    ]
}

proptest! {
    // 256 cases by default; PROPTEST_CASES=N runs more.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn imap_command_round_trip(tag in atom(), body in command_body(), mode in 0u8..3, utf8 in any::<bool>()) {
        let cmd = Command { tag: Tag::new(tag).unwrap(), body };
        let literal = [LiteralMode::Sync, LiteralMode::NonSync, LiteralMode::Minus][usize::from(mode)];
        let enc = cmd.encode(EncodeOptions { literal, utf8 });
        let cfg = FramerConfig::SERVER.literal_plus();
        let (framed, continues) = frame_counting(&enc.bytes, cfg);
        prop_assert_eq!(&framed, &enc.bytes);
        // The client waits exactly where the server asks to go on.
        prop_assert_eq!(continues, enc.waits.len());
        let back = parse_command_with(&framed, ParseOptions { utf8 }).map_err(|e| {
            TestCaseError::fail(format!("{e}: {:?}", String::from_utf8_lossy(&framed)))
        })?;
        prop_assert_eq!(back, cmd);
    }

    #[test]
    fn imap_response_round_trip(r in response(), utf8 in any::<bool>()) {
        let enc = r.encode(ResponseOptions { utf8 });
        let framed = frame_one(&enc, FramerConfig::CLIENT);
        let back = parse_response_with(&framed, ParseOptions { utf8 }).map_err(|e| {
            TestCaseError::fail(format!("{e}: {:?}", String::from_utf8_lossy(&framed)))
        })?;
        prop_assert_eq!(back, r);
    }

    #[test]
    fn pop3_command_round_trip(
        which in 0u8..8,
        word in "[!-~]{1,40}",
        pass in "[ -~]{1,60}",
        n in nz(),
        m in any::<u32>(),
    ) {
        let w = leak(word);
        let p = leak(pass);
        let cmd = match which {
            0 => pop3::Command::User(w),
            1 => pop3::Command::Pass(p),
            2 => pop3::Command::Apop { name: w, digest: w },
            3 => pop3::Command::Top { msg: n, lines: m },
            4 => pop3::Command::Uidl(Some(n)),
            5 => pop3::Command::List(None),
            6 => pop3::Command::Auth { mechanism: Some(w), initial: Some(w) },
            _ => pop3::Command::Retr(n),
        };
        let enc = cmd.encode();
        prop_assert_eq!(pop3::parse_command(&enc).unwrap(), cmd);
    }

    #[test]
    fn pop3_reply_round_trip(ok in any::<bool>(), code in option::of("[A-Z/-]{0,12}"), t in "[^\r\n\0]{0,60}") {
        let code = code.map(Cow::Owned);
        let text = Cow::Owned(t);
        let r = if ok { pop3::Reply::Ok { code, text } } else { pop3::Reply::Err { code, text } };
        let wire = r.encode();
        prop_assert_eq!(pop3::parse_reply(&wire).unwrap(), r);
    }

    #[test]
    fn pop3_sasl_and_listing_round_trip(
        b64 in option::of("[A-Za-z0-9+/]{0,60}={0,2}"),
        n in nz(),
        size in any::<u64>(),
        uid in "[!-~]{1,70}",
    ) {
        let a = b64.as_deref();
        let wire = pop3::encode_auth_response(a);
        prop_assert_eq!(pop3::parse_auth_response(&wire).unwrap(), a);
        let mut out = Vec::new();
        pop3::encode_listing(&mut out, n, &size.to_string());
        prop_assert_eq!(pop3::parse_scan_listing(&out).unwrap(), (n, size));
        let mut out = Vec::new();
        pop3::encode_listing(&mut out, n, &uid);
        prop_assert_eq!(pop3::parse_uid_listing(&out).unwrap(), (n, uid.as_str()));
    }

    #[test]
    fn managesieve_sasl_round_trip(r in option::of("[^\0]{0,80}")) {
        // "*" cancels, so it cannot be a response of its own.
        prop_assume!(r.as_deref() != Some("*"));
        let wire = managesieve::encode_auth_response(r.as_deref());
        let framed = frame_one(&wire, FramerConfig::CLIENT);
        let back = managesieve::parse_auth_response(&framed).unwrap();
        prop_assert_eq!(back.as_deref(), r.as_deref());
    }

    #[test]
    fn pop3_multi_line_round_trip(lines in vec("[^\r\n]{0,20}", 0..10)) {
        let mut body = Vec::new();
        for l in &lines {
            body.extend_from_slice(l.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        let mut wire = Vec::new();
        pop3::encode_multi_line(&mut wire, &body);
        let mut lb = pop3::LineBuffer::new(1000);
        lb.feed(&wire);
        let mut back = Vec::new();
        let mut ended = false;
        while let Some(pop3::Line::Line(l)) = lb.poll() {
            match pop3::unstuff_line(l) {
                Some(l) => back.extend_from_slice(l),
                None => { ended = true; break; }
            }
        }
        prop_assert!(ended);
        prop_assert_eq!(back, body);
    }

    #[test]
    fn managesieve_command_round_trip(
        which in 0u8..7,
        name in "[^\0]{0,20}",
        other in "[^\0]{0,20}",
        script in vec(1u8..=255, 0..200),
        size in any::<u64>(),
    ) {
        use managesieve::Command as M;
        let name = Cow::Owned(name);
        let script = Cow::Owned(script);
        let cmd = match which {
            0 => M::PutScript { name, script },
            1 => M::HaveSpace { name, size: size >> 1 },
            2 => M::RenameScript(name, Cow::Owned(other)),
            3 => M::CheckScript(script),
            4 => M::Authenticate { mechanism: name, initial: Some(Cow::Owned(other)) },
            5 => M::Noop(Some(name)),
            _ => M::GetScript(name),
        };
        let enc = cmd.encode();
        let framed = frame_one(&enc, FramerConfig::CLIENT);
        prop_assert_eq!(managesieve::parse_command(&framed).unwrap(), cmd);
    }

    #[test]
    fn managesieve_response_round_trip(
        cond in 0u8..3,
        code in option::of((prop_oneof![Just("QUOTA/MAXSIZE"), Just("NONEXISTENT"), Just("TAG"), Just("SASL")], option::of(vec(1u8..=255, 0..30)))),
        text in option::of("[^\0]{0,40}"),
        words in vec(prop_oneof![vec(1u8..=255, 0..30).prop_map(|v| managesieve::Word::String(Cow::Owned(v))), Just(managesieve::Word::Atom("ACTIVE"))], 1..4),
        line in any::<bool>(),
    ) {
        let r = if line {
            let mut words = words;
            words[0] = managesieve::Word::String(Cow::Borrowed(b"name"));
            managesieve::Response::Line(words)
        } else {
            managesieve::Response::Status {
                condition: [managesieve::Condition::Ok, managesieve::Condition::No, managesieve::Condition::Bye][cond as usize],
                code: code.map(|(n, a)| managesieve::Code { name: n.into(), arg: a.map(Cow::Owned) }),
                text: text.map(Cow::Owned),
            }
        };
        let enc = r.encode();
        let framed = frame_one(&enc, FramerConfig::CLIENT);
        prop_assert_eq!(managesieve::parse_response(&framed).unwrap(), r);
    }
}
