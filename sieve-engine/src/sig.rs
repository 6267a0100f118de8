//! The shape of every command and test: which tags it takes (and what
//! follows each), its positional arguments, its tests and its block.
//! The compiler checks a node against its signature before it reads the
//! arguments, so structural mistakes get one clear message each, worded
//! like Pigeonhole's (whose test suite counts them).

use crate::parser::{Arg, Node, RawArg};

/// What an argument is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Str,
    List,
    Num,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::List => "a string list",
            Ty::Num => "a number",
        }
    }

    fn accepts(self, a: &RawArg) -> bool {
        matches!(
            (self, a),
            (Ty::Str, RawArg::Str(_))
                | (Ty::List, RawArg::Str(_) | RawArg::List(_))
                | (Ty::Num, RawArg::Num(_))
        )
    }
}

pub(crate) fn found(a: &RawArg) -> &'static str {
    match a {
        RawArg::Str(_) => "a string",
        RawArg::List(_) => "a string list",
        RawArg::Num(_) => "a number",
        RawArg::Tag(_) => "a tag",
    }
}

/// How many tests a command or test takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sub {
    None,
    One,
    List,
}

/// A command's or test's signature.
pub(crate) struct Sig {
    pub test: bool,
    /// Tags, each with the type of the value that follows it, if any.
    pub tags: &'static [(&'static str, Option<Ty>)],
    /// Positional arguments: (type, description); the first `min` are
    /// required.
    pub pos: &'static [(Ty, &'static str)],
    pub min: usize,
    pub sub: Sub,
    /// Block: (allowed, required).
    pub block: (bool, bool),
}

const CMP: (&str, Option<Ty>) = ("comparator", Some(Ty::Str));
const IS: (&str, Option<Ty>) = ("is", None);
const CONTAINS: (&str, Option<Ty>) = ("contains", None);
const MATCHES: (&str, Option<Ty>) = ("matches", None);
const REGEX: (&str, Option<Ty>) = ("regex", None);
const VALUE: (&str, Option<Ty>) = ("value", Some(Ty::Str));
const COUNT: (&str, Option<Ty>) = ("count", Some(Ty::Str));
const INDEX: (&str, Option<Ty>) = ("index", Some(Ty::Num));
const LAST: (&str, Option<Ty>) = ("last", None);
const MIME: (&str, Option<Ty>) = ("mime", None);
const ANYCHILD: (&str, Option<Ty>) = ("anychild", None);

macro_rules! tags {
    ($($t:expr),* $(,)?) => { &[$($t),*] };
}

const MATCH_TAGS: &[(&str, Option<Ty>)] = tags![CMP, IS, CONTAINS, MATCHES, REGEX, VALUE, COUNT];
const ADDR_PARTS: &[(&str, Option<Ty>)] = tags![
    ("all", None),
    ("localpart", None),
    ("domain", None),
    ("user", None),
    ("detail", None),
];
const SET_MODS: &[(&str, Option<Ty>)] = tags![
    ("lower", None),
    ("upper", None),
    ("lowerfirst", None),
    ("upperfirst", None),
    ("quotewildcard", None),
    ("quoteregex", None),
    ("encodeurl", None),
    ("length", None),
];

const fn cmd(
    tags: &'static [(&'static str, Option<Ty>)],
    pos: &'static [(Ty, &'static str)],
) -> Sig {
    Sig {
        test: false,
        tags,
        pos,
        min: pos.len(),
        sub: Sub::None,
        block: (false, false),
    }
}

const fn test(
    tags: &'static [(&'static str, Option<Ty>)],
    pos: &'static [(Ty, &'static str)],
) -> Sig {
    Sig {
        test: true,
        tags,
        pos,
        min: pos.len(),
        sub: Sub::None,
        block: (false, false),
    }
}

const fn opt(mut s: Sig, min: usize) -> Sig {
    s.min = min;
    s
}

/// Tags that stand for the match, comparator and address-part groups.
fn in_group(tag: &str, groups: &[&[(&str, Option<Ty>)]]) -> Option<Option<Ty>> {
    groups
        .iter()
        .flat_map(|g| g.iter())
        .find(|(t, _)| *t == tag)
        .map(|(_, ty)| *ty)
}

/// The signature of a command or test, by name; `None` when unknown.
/// The groups of tags a command or test accepts: each is a list of tag
/// names, with the type of the value a tag takes, if any.
pub(crate) type TagGroups = &'static [&'static [(&'static str, Option<Ty>)]];

pub(crate) fn lookup(name: &str) -> Option<(Sig, TagGroups)> {
    const NONE: &[&[(&str, Option<Ty>)]] = &[];
    const M: &[&[(&str, Option<Ty>)]] = &[MATCH_TAGS];
    const MA: &[&[(&str, Option<Ty>)]] = &[MATCH_TAGS, ADDR_PARTS];
    const MOD: &[&[(&str, Option<Ty>)]] = &[SET_MODS];
    use Ty::*;
    Some(match name {
        "require" => (cmd(&[], &[(List, "capabilities")]), NONE),
        "if" | "elsif" => (
            Sig {
                sub: Sub::One,
                block: (true, true),
                ..cmd(&[], &[])
            },
            NONE,
        ),
        "else" => (
            Sig {
                block: (true, true),
                ..cmd(&[], &[])
            },
            NONE,
        ),
        "stop" | "discard" | "return" => (cmd(&[], &[]), NONE),
        "keep" => (cmd(tags![("flags", Some(List))], &[]), NONE),
        "fileinto" => (
            cmd(
                tags![
                    ("copy", None),
                    ("flags", Some(List)),
                    ("create", None),
                    ("specialuse", Some(Str)),
                ],
                &[(Str, "folder")],
            ),
            NONE,
        ),
        "redirect" => (cmd(tags![("copy", None)], &[(Str, "address")]), NONE),
        "reject" | "ereject" => (cmd(&[], &[(Str, "reason")]), NONE),
        "vacation" => (
            cmd(
                tags![
                    ("days", Some(Num)),
                    ("seconds", Some(Num)),
                    ("subject", Some(Str)),
                    ("from", Some(Str)),
                    ("addresses", Some(List)),
                    ("mime", None),
                    ("handle", Some(Str)),
                ],
                &[(Str, "reason")],
            ),
            NONE,
        ),
        "notify" => (
            cmd(
                tags![
                    ("from", Some(Str)),
                    ("importance", Some(Str)),
                    ("options", Some(List)),
                    ("message", Some(Str)),
                ],
                &[(Str, "method")],
            ),
            NONE,
        ),
        "set" => (cmd(&[], &[(Str, "name"), (Str, "value")]), MOD),
        "setflag" | "addflag" | "removeflag" => (
            opt(
                cmd(&[], &[(List, "variable name"), (List, "list of flags")]),
                1,
            ),
            NONE,
        ),
        "addheader" => (
            cmd(tags![LAST], &[(Str, "field name"), (Str, "value")]),
            NONE,
        ),
        "deleteheader" => (
            opt(
                cmd(
                    tags![INDEX, LAST],
                    &[(Str, "field name"), (List, "value patterns")],
                ),
                1,
            ),
            M,
        ),
        "error" => (cmd(&[], &[(Str, "message")]), NONE),
        "include" => (
            cmd(
                tags![
                    ("personal", None),
                    ("global", None),
                    ("once", None),
                    ("optional", None),
                ],
                &[(Str, "script name")],
            ),
            NONE,
        ),
        "global" => (cmd(&[], &[(List, "variable names")]), NONE),
        "foreverypart" => (
            Sig {
                block: (true, true),
                ..cmd(tags![("name", Some(Str))], &[])
            },
            NONE,
        ),
        "break" => (cmd(tags![("name", Some(Str))], &[]), NONE),
        "extracttext" => (cmd(tags![("first", Some(Num))], &[(Str, "varname")]), MOD),
        // Tests.
        "true" | "false" => (test(&[], &[]), NONE),
        "not" => (
            Sig {
                sub: Sub::One,
                ..test(&[], &[])
            },
            NONE,
        ),
        "allof" | "anyof" => (
            Sig {
                sub: Sub::List,
                ..test(&[], &[])
            },
            NONE,
        ),
        "exists" => (test(tags![MIME, ANYCHILD], &[(List, "header names")]), NONE),
        "size" => (
            test(tags![("over", None), ("under", None)], &[(Num, "limit")]),
            NONE,
        ),
        "header" => (
            test(
                tags![
                    INDEX,
                    LAST,
                    MIME,
                    ANYCHILD,
                    ("type", None),
                    ("subtype", None),
                    ("contenttype", None),
                    ("param", Some(List)),
                ],
                &[(List, "header names"), (List, "key list")],
            ),
            M,
        ),
        "address" => (
            test(
                tags![INDEX, LAST, MIME, ANYCHILD],
                &[(List, "header list"), (List, "key list")],
            ),
            MA,
        ),
        "envelope" => (
            test(&[], &[(List, "envelope part"), (List, "key list")]),
            MA,
        ),
        "body" => (
            test(
                tags![("raw", None), ("text", None), ("content", Some(List))],
                &[(List, "key list")],
            ),
            M,
        ),
        "string" => (test(&[], &[(List, "source"), (List, "key list")]), M),
        "hasflag" => (
            opt(
                test(&[], &[(List, "variable list"), (List, "list of flags")]),
                1,
            ),
            M,
        ),
        "date" => (
            test(
                tags![INDEX, LAST, ("zone", Some(Str)), ("originalzone", None)],
                &[(Str, "header name"), (Str, "date part"), (List, "key list")],
            ),
            M,
        ),
        "currentdate" => (
            test(
                tags![("zone", Some(Str))],
                &[(Str, "date part"), (List, "key list")],
            ),
            M,
        ),
        "mailboxexists" => (test(&[], &[(List, "mailbox names")]), NONE),
        "specialuse_exists" => (
            opt(
                test(&[], &[(Str, "mailbox"), (List, "special-use flags")]),
                1,
            ),
            NONE,
        ),
        "environment" => (test(&[], &[(Str, "name"), (List, "key list")]), M),
        "spamtest" => (test(tags![("percent", None)], &[(Str, "value")]), M),
        "virustest" => (test(&[], &[(Str, "value")]), M),
        "duplicate" => (
            test(
                tags![
                    ("handle", Some(Str)),
                    ("header", Some(Str)),
                    ("uniqueid", Some(Str)),
                    ("seconds", Some(Num)),
                    LAST,
                ],
                &[],
            ),
            NONE,
        ),
        "ihave" => (test(&[], &[(List, "capabilities")]), NONE),
        "valid_notify_method" => (test(&[], &[(List, "notification-uris")]), NONE),
        "notify_method_capability" => (
            test(
                &[],
                &[
                    (Str, "notification-uri"),
                    (Str, "notification-capability"),
                    (List, "key-list"),
                ],
            ),
            M,
        ),
        _ => return None,
    })
}

fn kind(test: bool) -> &'static str {
    if test { "test" } else { "command" }
}

/// Whether `tag` is a tag of this command or test.
pub(crate) fn has_tag(name: &str, tag: &str) -> bool {
    lookup(name).is_some_and(|(s, groups)| {
        s.tags.iter().any(|(t, _)| *t == tag) || in_group(tag, groups).is_some()
    })
}

/// The structural problem of a node used as a command (`as_test` false)
/// or a test, in Pigeonhole's words; also a second problem with its
/// tests, which Pigeonhole reports too after an argument error (a
/// missing ';' often turns the next command into a test).
pub(crate) fn check(
    n: &Node,
    args: &[Arg],
    nodes: &[Node],
    sig: &Sig,
    groups: TagGroups,
    as_test: bool,
    unknown_tags: &mut Vec<(String, String)>,
) -> Vec<String> {
    let k = kind(as_test);
    if sig.test != as_test {
        return vec![format!(
            "attempted to use {} '{}' as {k}",
            kind(sig.test),
            n.name
        )];
    }
    let mut out = Vec::new();
    let args_err = check_args(n, args, sig, groups, k, unknown_tags);
    let sub_err = check_subtests(n, nodes, sig, k);
    if let Some(e) = args_err {
        out.push(e);
        if let Some(e) = sub_err {
            out.push(e);
        }
        return out;
    }
    if let Some(e) = sub_err {
        return vec![e];
    }
    if !as_test {
        let (allowed, required) = sig.block;
        if required && n.block(nodes).is_none() {
            return vec![format!(
                "the {} command requires a command block, but it is missing",
                n.name
            )];
        }
        if !allowed && n.block(nodes).is_some() {
            return vec![format!(
                "the {} command does not accept a command block, but one is specified anyway",
                n.name
            )];
        }
    }
    out
}

fn check_args(
    n: &Node,
    args: &[Arg],
    sig: &Sig,
    groups: &[&[(&str, Option<Ty>)]],
    k: &str,
    unknown_tags: &mut Vec<(String, String)>,
) -> Option<String> {
    let tag_ty = |t: &str| -> Option<Option<Ty>> {
        sig.tags
            .iter()
            .find(|(x, _)| *x == t)
            .map(|(_, ty)| *ty)
            .or_else(|| in_group(t, groups))
    };
    // Every tag must be known; the value type of each, by argument
    // (the parser allows at most 32 arguments).
    let mut tys: [Option<Ty>; 32] = [None; 32];
    for (a, slot) in args.iter().zip(tys.iter_mut()) {
        if let RawArg::Tag(t) = &a.arg {
            let Some(ty) = tag_ty(t) else {
                // Reported once per command and tag; later ones fail quietly.
                let key = (n.name.to_string(), t.to_string());
                if unknown_tags.contains(&key) {
                    return Some(String::new());
                }
                unknown_tags.push(key);
                return Some(format!(
                    "unknown tagged argument ':{t}' for the {} {k} (reported only once at first occurrence)",
                    n.name
                ));
            };
            *slot = ty;
        }
    }
    // Tags first, each with its value.
    let mut i = 0;
    while let Some(a) = args.get(i) {
        let RawArg::Tag(t) = &a.arg else { break };
        // Seen before among the tags read so far (at most 32 arguments).
        let seen = args[..i]
            .iter()
            .any(|b| matches!(&b.arg, RawArg::Tag(x) if x == t));
        if seen {
            return Some(format!(
                "encountered duplicate :{t} argument for the {} {k}",
                n.name
            ));
        }
        let ty = tys.get(i).copied().flatten();
        i += 1;
        if let Some(ty) = ty {
            match args.get(i) {
                None
                | Some(Arg {
                    arg: RawArg::Tag(_),
                    ..
                }) => {
                    return Some(format!(
                        "the :{t} tag for the {} {k} requires {} as parameter, but no parameters were found",
                        n.name,
                        ty.name()
                    ));
                }
                Some(p) if !ty.accepts(&p.arg) => {
                    return Some(format!(
                        "the :{t} tag for the {} {k} requires {} as parameter, but {} was found",
                        n.name,
                        ty.name(),
                        found(&p.arg)
                    ));
                }
                Some(_) => i += 1,
            }
        }
    }
    // Then the positional arguments.
    let rest = &args[i..];
    if let Some(a) = rest.iter().find(|a| matches!(a.arg, RawArg::Tag(_))) {
        let RawArg::Tag(t) = &a.arg else {
            unreachable!()
        };
        return Some(format!(
            "encountered an unexpected tagged argument ':{t}' while validating positional arguments for the {} {k}",
            n.name
        ));
    }
    if rest.len() < sig.min || rest.len() > sig.pos.len() {
        let want = if rest.len() < sig.min {
            sig.min
        } else {
            sig.pos.len()
        };
        return Some(format!(
            "the {} {k} requires {want} positional argument(s), but {} is/are specified",
            n.name,
            rest.len()
        ));
    }
    // Where an argument may be left out, it is the first one for the
    // flag commands and specialuse_exists, the last one elsewhere.
    let leading_optional = matches!(
        &*n.name,
        "setflag" | "addflag" | "removeflag" | "hasflag" | "specialuse_exists"
    );
    let skip = if leading_optional {
        sig.pos.len() - rest.len()
    } else {
        0
    };
    for (j, a) in rest.iter().enumerate() {
        let (ty, what) = sig.pos[j + skip];
        if !ty.accepts(&a.arg) {
            return Some(format!(
                "the {} {k} expects {} as argument {} ({what}), but {} was found",
                n.name,
                ty.name(),
                j + 1,
                found(&a.arg)
            ));
        }
    }
    None
}

fn check_subtests(n: &Node, nodes: &[Node], sig: &Sig, k: &str) -> Option<String> {
    match sig.sub {
        Sub::None if !n.tests(nodes).is_empty() => {
            let t = &n.tests(nodes)[0];
            match lookup(&t.name) {
                Some((ts, _)) if ts.test => Some(format!(
                    "the {} {k} accepts no sub-tests, but tests are specified",
                    n.name
                )),
                None if has_tag(&n.name, &t.name) => Some(format!(
                    "missing colon ':' before ':{}' tag in {} {k}",
                    t.name, n.name
                )),
                _ => Some(format!("missing semicolon ';' after {} {k}", n.name)),
            }
        }
        Sub::One if n.tests(nodes).is_empty() => Some(format!(
            "the {} {k} requires one sub-test, but none is specified",
            n.name
        )),
        Sub::One if n.tests(nodes).len() > 1 || n.test_list => Some(format!(
            "the {} {k} requires one sub-test, but a list of tests is specified",
            n.name
        )),
        Sub::List if n.tests(nodes).is_empty() => Some(format!(
            "the {} {k} requires a list of sub-tests, but none is specified",
            n.name
        )),
        Sub::List if !n.test_list => Some(format!(
            "the {} {k} requires a list of sub-tests, but a single test is specified",
            n.name
        )),
        _ => None,
    }
}
