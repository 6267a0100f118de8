//! Journal records: every change to the store is one of these, and the
//! state is the result of applying them in order.

use crate::cache::HeaderCache;
use crate::codec::{Dec, DecodeError, Enc};
use crate::flags::Flags;
use crate::model::Quota;

/// Where one delivered copy goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) account: String,
    pub(crate) mailbox: String,
    pub(crate) uid: u32,
    pub(crate) modseq: u64,
    pub(crate) flags: Flags,
}

/// One change. The body of an `Append` is not held here: it is the
/// last `body_len` bytes of the payload, so replay never copies it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::large_enum_variant)] // One record at a time; boxing buys nothing.
pub(crate) enum Record {
    CreateAccount {
        account: String,
        inbox_uidvalidity: u32,
    },
    DeleteAccount {
        account: String,
    },
    SetQuota {
        account: String,
        quota: Quota,
    },
    CreateMailbox {
        account: String,
        name: String,
        uidvalidity: u32,
        special_use: u8,
    },
    DeleteMailbox {
        account: String,
        name: String,
    },
    RenameMailbox {
        account: String,
        from: String,
        to: String,
    },
    SetMailboxAttrs {
        account: String,
        name: String,
        subscribed: bool,
        special_use: u8,
    },
    Append {
        internal_date: i64,
        save_date: i64,
        cache: HeaderCache,
        targets: Vec<Target>,
        body_len: u64,
    },
    Copy {
        account: String,
        from: String,
        to: String,
        save_date: i64,
        modseq: u64,
        pairs: Vec<(u32, u32)>,
        /// For MOVE: the modseq of the expunge in the source.
        expunge_modseq: Option<u64>,
    },
    SetFlags {
        account: String,
        mailbox: String,
        modseq: u64,
        changes: Vec<(u32, Flags)>,
    },
    Expunge {
        account: String,
        mailbox: String,
        modseq: u64,
        uids: Vec<u32>,
    },
    PutScript {
        account: String,
        name: String,
        script: Vec<u8>,
    },
    DeleteScript {
        account: String,
        name: String,
    },
    ActivateScript {
        account: String,
        name: Option<String>,
    },
    Mark {
        account: String,
        kind: u8,
        key: String,
        expires: i64,
    },
    /// Written by compaction after a mailbox's messages: the counters
    /// that expunged messages leave behind.
    SetMailboxState {
        account: String,
        mailbox: String,
        uidnext: u32,
        highest_modseq: u64,
        vanished: Vec<(u32, u64)>,
        last_uidvalidity: u32,
    },
}

pub(crate) fn enc_flags(e: &mut Enc<'_>, f: &Flags) {
    e.u8(f.bits());
    e.u32(f.keywords().len() as u32);
    for k in f.keywords() {
        e.str(k);
    }
}

pub(crate) fn dec_flags(d: &mut Dec<'_>) -> Result<Flags, DecodeError> {
    let bits = d.u8()?;
    let n = d.count()?;
    let mut kw = Vec::with_capacity(n);
    for _ in 0..n {
        kw.push(d.str()?);
    }
    Ok(Flags::from_parts(bits, kw))
}

impl Record {
    /// Appends the payload; for `Append`, `body` must be given and is
    /// written last.
    pub(crate) fn encode(&self, out: &mut Vec<u8>, body: Option<&[u8]>) {
        let mut e = Enc(out);
        match self {
            Record::CreateAccount {
                account,
                inbox_uidvalidity,
            } => {
                e.u8(1);
                e.str(account);
                e.u32(*inbox_uidvalidity);
            }
            Record::DeleteAccount { account } => {
                e.u8(2);
                e.str(account);
            }
            Record::SetQuota { account, quota } => {
                e.u8(3);
                e.str(account);
                e.opt_u64(quota.max_bytes);
                e.opt_u64(quota.max_messages);
            }
            Record::CreateMailbox {
                account,
                name,
                uidvalidity,
                special_use,
            } => {
                e.u8(4);
                e.str(account);
                e.str(name);
                e.u32(*uidvalidity);
                e.u8(*special_use);
            }
            Record::DeleteMailbox { account, name } => {
                e.u8(5);
                e.str(account);
                e.str(name);
            }
            Record::RenameMailbox { account, from, to } => {
                e.u8(6);
                e.str(account);
                e.str(from);
                e.str(to);
            }
            Record::SetMailboxAttrs {
                account,
                name,
                subscribed,
                special_use,
            } => {
                e.u8(7);
                e.str(account);
                e.str(name);
                e.u8(u8::from(*subscribed));
                e.u8(*special_use);
            }
            Record::Append {
                internal_date,
                save_date,
                cache,
                targets,
                body_len,
            } => {
                e.u8(8);
                e.i64(*internal_date);
                e.i64(*save_date);
                cache.encode(&mut e);
                e.u32(targets.len() as u32);
                for t in targets {
                    e.str(&t.account);
                    e.str(&t.mailbox);
                    e.u32(t.uid);
                    e.u64(t.modseq);
                    enc_flags(&mut e, &t.flags);
                }
                e.u64(*body_len);
                let body = body.unwrap_or_default();
                debug_assert_eq!(body.len() as u64, *body_len);
                e.0.extend_from_slice(body);
            }
            Record::Copy {
                account,
                from,
                to,
                save_date,
                modseq,
                pairs,
                expunge_modseq,
            } => {
                e.u8(9);
                e.str(account);
                e.str(from);
                e.str(to);
                e.i64(*save_date);
                e.u64(*modseq);
                e.u32(pairs.len() as u32);
                for &(a, b) in pairs {
                    e.u32(a);
                    e.u32(b);
                }
                e.opt_u64(*expunge_modseq);
            }
            Record::SetFlags {
                account,
                mailbox,
                modseq,
                changes,
            } => {
                e.u8(10);
                e.str(account);
                e.str(mailbox);
                e.u64(*modseq);
                e.u32(changes.len() as u32);
                for (uid, f) in changes {
                    e.u32(*uid);
                    enc_flags(&mut e, f);
                }
            }
            Record::Expunge {
                account,
                mailbox,
                modseq,
                uids,
            } => {
                e.u8(11);
                e.str(account);
                e.str(mailbox);
                e.u64(*modseq);
                e.u32(uids.len() as u32);
                for &u in uids {
                    e.u32(u);
                }
            }
            Record::PutScript {
                account,
                name,
                script,
            } => {
                e.u8(12);
                e.str(account);
                e.str(name);
                e.bytes(script);
            }
            Record::DeleteScript { account, name } => {
                e.u8(13);
                e.str(account);
                e.str(name);
            }
            Record::ActivateScript { account, name } => {
                e.u8(14);
                e.str(account);
                match name {
                    Some(n) => {
                        e.u8(1);
                        e.str(n);
                    }
                    None => e.u8(0),
                }
            }
            Record::Mark {
                account,
                kind,
                key,
                expires,
            } => {
                e.u8(15);
                e.str(account);
                e.u8(*kind);
                e.str(key);
                e.i64(*expires);
            }
            Record::SetMailboxState {
                account,
                mailbox,
                uidnext,
                highest_modseq,
                vanished,
                last_uidvalidity,
            } => {
                e.u8(16);
                e.str(account);
                e.str(mailbox);
                e.u32(*uidnext);
                e.u64(*highest_modseq);
                e.u32(vanished.len() as u32);
                for (uid, modseq) in vanished {
                    e.u32(*uid);
                    e.u64(*modseq);
                }
                e.u32(*last_uidvalidity);
            }
        }
    }

    /// Decodes one payload; for `Append` the body is the rest of it.
    pub(crate) fn decode(payload: &[u8]) -> Result<Record, DecodeError> {
        let mut d = Dec::new(payload);
        let rec = match d.u8()? {
            1 => Record::CreateAccount {
                account: d.str()?,
                inbox_uidvalidity: d.u32()?,
            },
            2 => Record::DeleteAccount { account: d.str()? },
            3 => Record::SetQuota {
                account: d.str()?,
                quota: Quota {
                    max_bytes: d.opt_u64()?,
                    max_messages: d.opt_u64()?,
                },
            },
            4 => Record::CreateMailbox {
                account: d.str()?,
                name: d.str()?,
                uidvalidity: d.u32()?,
                special_use: d.u8()?,
            },
            5 => Record::DeleteMailbox {
                account: d.str()?,
                name: d.str()?,
            },
            6 => Record::RenameMailbox {
                account: d.str()?,
                from: d.str()?,
                to: d.str()?,
            },
            7 => Record::SetMailboxAttrs {
                account: d.str()?,
                name: d.str()?,
                subscribed: d.u8()? != 0,
                special_use: d.u8()?,
            },
            8 => {
                let internal_date = d.i64()?;
                let save_date = d.i64()?;
                let cache = HeaderCache::decode(&mut d)?;
                let n = d.count()?;
                let mut targets = Vec::with_capacity(n);
                for _ in 0..n {
                    targets.push(Target {
                        account: d.str()?,
                        mailbox: d.str()?,
                        uid: d.u32()?,
                        modseq: d.u64()?,
                        flags: dec_flags(&mut d)?,
                    });
                }
                let body_len = d.u64()?;
                if body_len != (payload.len() - d.pos()) as u64 {
                    return Err(DecodeError("append body length mismatch"));
                }
                return Ok(Record::Append {
                    internal_date,
                    save_date,
                    cache,
                    targets,
                    body_len,
                });
            }
            9 => {
                let account = d.str()?;
                let from = d.str()?;
                let to = d.str()?;
                let save_date = d.i64()?;
                let modseq = d.u64()?;
                let n = d.count()?;
                let mut pairs = Vec::with_capacity(n);
                for _ in 0..n {
                    pairs.push((d.u32()?, d.u32()?));
                }
                Record::Copy {
                    account,
                    from,
                    to,
                    save_date,
                    modseq,
                    pairs,
                    expunge_modseq: d.opt_u64()?,
                }
            }
            10 => {
                let account = d.str()?;
                let mailbox = d.str()?;
                let modseq = d.u64()?;
                let n = d.count()?;
                let mut changes = Vec::with_capacity(n);
                for _ in 0..n {
                    changes.push((d.u32()?, dec_flags(&mut d)?));
                }
                Record::SetFlags {
                    account,
                    mailbox,
                    modseq,
                    changes,
                }
            }
            11 => {
                let account = d.str()?;
                let mailbox = d.str()?;
                let modseq = d.u64()?;
                let n = d.count()?;
                let mut uids = Vec::with_capacity(n);
                for _ in 0..n {
                    uids.push(d.u32()?);
                }
                Record::Expunge {
                    account,
                    mailbox,
                    modseq,
                    uids,
                }
            }
            12 => Record::PutScript {
                account: d.str()?,
                name: d.str()?,
                script: d.bytes()?.to_vec(),
            },
            13 => Record::DeleteScript {
                account: d.str()?,
                name: d.str()?,
            },
            14 => {
                let account = d.str()?;
                let name = match d.u8()? {
                    0 => None,
                    _ => Some(d.str()?),
                };
                Record::ActivateScript { account, name }
            }
            15 => Record::Mark {
                account: d.str()?,
                kind: d.u8()?,
                key: d.str()?,
                expires: d.i64()?,
            },
            16 => {
                let account = d.str()?;
                let mailbox = d.str()?;
                let uidnext = d.u32()?;
                let highest_modseq = d.u64()?;
                let n = d.count()?;
                let mut vanished = Vec::with_capacity(n);
                for _ in 0..n {
                    vanished.push((d.u32()?, d.u64()?));
                }
                Record::SetMailboxState {
                    account,
                    mailbox,
                    uidnext,
                    highest_modseq,
                    vanished,
                    last_uidvalidity: d.u32()?,
                }
            }
            _ => return Err(DecodeError("unknown record type")),
        };
        if !d.is_empty() {
            return Err(DecodeError("trailing bytes after record"));
        }
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_round_trips() {
        let flags = Flags::parse(&["\\Seen", "k"]).unwrap();
        let s = |x: &str| x.to_owned();
        let table = vec![
            Record::CreateAccount {
                account: s("a"),
                inbox_uidvalidity: 9,
            },
            Record::DeleteAccount { account: s("a") },
            Record::SetQuota {
                account: s("a"),
                quota: Quota {
                    max_bytes: Some(5),
                    max_messages: None,
                },
            },
            Record::CreateMailbox {
                account: s("a"),
                name: s("b"),
                uidvalidity: 3,
                special_use: 4,
            },
            Record::DeleteMailbox {
                account: s("a"),
                name: s("b"),
            },
            Record::RenameMailbox {
                account: s("a"),
                from: s("b"),
                to: s("c"),
            },
            Record::SetMailboxAttrs {
                account: s("a"),
                name: s("b"),
                subscribed: true,
                special_use: 2,
            },
            Record::Copy {
                account: s("a"),
                from: s("b"),
                to: s("c"),
                save_date: 7,
                modseq: 8,
                pairs: vec![(1, 2), (3, 4)],
                expunge_modseq: Some(9),
            },
            Record::SetFlags {
                account: s("a"),
                mailbox: s("b"),
                modseq: 2,
                changes: vec![(1, flags.clone())],
            },
            Record::Expunge {
                account: s("a"),
                mailbox: s("b"),
                modseq: 2,
                uids: vec![1, 5],
            },
            Record::PutScript {
                account: s("a"),
                name: s("n"),
                script: b"keep;".to_vec(),
            },
            Record::DeleteScript {
                account: s("a"),
                name: s("n"),
            },
            Record::ActivateScript {
                account: s("a"),
                name: Some(s("n")),
            },
            Record::ActivateScript {
                account: s("a"),
                name: None,
            },
            Record::Mark {
                account: s("a"),
                kind: 1,
                key: s("k"),
                expires: -1,
            },
            Record::SetMailboxState {
                account: s("a"),
                mailbox: s("b"),
                uidnext: 12,
                highest_modseq: 40,
                vanished: vec![(3, 7), (11, 39)],
                last_uidvalidity: 99,
            },
        ];
        for rec in table {
            let mut buf = Vec::new();
            rec.encode(&mut buf, None);
            assert_eq!(Record::decode(&buf).unwrap(), rec);
            // Every strict prefix must fail cleanly, never panic.
            for cut in 0..buf.len() {
                assert!(Record::decode(&buf[..cut]).is_err());
            }
        }
        let body = b"Subject: x\r\n\r\nhi";
        let rec = Record::Append {
            internal_date: 1,
            save_date: 2,
            cache: HeaderCache::compute(body),
            targets: vec![Target {
                account: s("a"),
                mailbox: s("INBOX"),
                uid: 1,
                modseq: 1,
                flags,
            }],
            body_len: body.len() as u64,
        };
        let mut buf = Vec::new();
        rec.encode(&mut buf, Some(body));
        assert_eq!(Record::decode(&buf).unwrap(), rec);
        assert!(buf.ends_with(body));
    }
}
