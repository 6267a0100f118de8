//! The data model: accounts, mailboxes, messages, and how journal
//! records change them.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::cache::HeaderCache;
use crate::flags::Flags;
use crate::name::MailboxName;
use crate::record::Record;

/// Special-use attributes of a mailbox (RFC 6154), as a small set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SpecialUse(u8);

const SPECIAL: [(&str, u8); 7] = [
    ("\\All", 1),
    ("\\Archive", 2),
    ("\\Drafts", 4),
    ("\\Flagged", 8),
    ("\\Junk", 16),
    ("\\Sent", 32),
    ("\\Trash", 64),
];

impl SpecialUse {
    /// No attribute.
    pub const NONE: SpecialUse = SpecialUse(0);

    /// Parses attributes such as `\Sent`, case-insensitively.
    ///
    /// # Errors
    ///
    /// The first unknown attribute, as given.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, String> {
        let mut bits = 0;
        for item in items {
            let item = item.as_ref();
            let bit = SPECIAL
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(item))
                .map(|&(_, b)| b)
                .ok_or_else(|| item.to_owned())?;
            bits |= bit;
        }
        Ok(SpecialUse(bits))
    }

    /// The attributes as text.
    pub fn iter(self) -> impl Iterator<Item = &'static str> {
        SPECIAL
            .iter()
            .filter(move |(_, b)| self.0 & b != 0)
            .map(|(n, _)| *n)
    }

    /// Whether no attribute is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn bits(self) -> u8 {
        self.0
    }

    pub(crate) fn from_bits(b: u8) -> Self {
        SpecialUse(b & 127)
    }
}

/// Per-account limits; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    /// Most bytes of messages, counting each copy.
    pub max_bytes: Option<u64>,
    /// Most messages.
    pub max_messages: Option<u64>,
}

/// Limits and current use of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaUsage {
    /// The limits.
    pub quota: Quota,
    /// Bytes in use.
    pub bytes: u64,
    /// Messages stored.
    pub messages: u64,
}

/// Where a message body lives in the journal, with its cached headers.
/// Copies of a message (and deliveries to several accounts) share one.
#[derive(Debug)]
pub(crate) struct Blob {
    pub(crate) offset: u64,
    pub(crate) len: u64,
    pub(crate) cache: HeaderCache,
}

/// One message in a mailbox: metadata only, the body is read on demand
/// with [`Store::read`](crate::Store::read).
#[derive(Debug, Clone)]
pub struct Message {
    pub(crate) uid: u32,
    pub(crate) modseq: u64,
    pub(crate) flags: Flags,
    pub(crate) internal_date: i64,
    pub(crate) save_date: i64,
    pub(crate) blob: Arc<Blob>,
}

impl Message {
    /// The UID.
    pub fn uid(&self) -> u32 {
        self.uid
    }
    /// The mod-sequence of the last change (RFC 7162).
    pub fn modseq(&self) -> u64 {
        self.modseq
    }
    /// The flags.
    pub fn flags(&self) -> &Flags {
        &self.flags
    }
    /// INTERNALDATE, Unix seconds.
    pub fn internal_date(&self) -> i64 {
        self.internal_date
    }
    /// SAVEDATE (RFC 8514), Unix seconds.
    pub fn save_date(&self) -> i64 {
        self.save_date
    }
    /// RFC822.SIZE in bytes.
    pub fn size(&self) -> u64 {
        self.blob.len
    }
    /// Cached header fields.
    pub fn cache(&self) -> &HeaderCache {
        &self.blob.cache
    }
}

/// STATUS-style facts about a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxStatus {
    /// The name.
    pub name: MailboxName,
    /// Number of messages.
    pub messages: u32,
    /// Messages without `\Seen`.
    pub unseen: u32,
    /// Messages with `\Deleted`.
    pub deleted: u32,
    /// Messages no session has seen yet (`\Recent`, STATUS RECENT).
    pub recent: u32,
    /// Total size in bytes.
    pub size: u64,
    /// UIDVALIDITY.
    pub uidvalidity: u32,
    /// UIDNEXT.
    pub uidnext: u32,
    /// HIGHESTMODSEQ.
    pub highest_modseq: u64,
    /// Special-use attributes.
    pub special_use: SpecialUse,
    /// Whether the mailbox is subscribed.
    pub subscribed: bool,
}

/// A change to a mailbox, as sent to its subscribers (IDLE, untagged
/// responses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A message arrived.
    Appended {
        /// Its UID.
        uid: u32,
        /// Its mod-sequence.
        modseq: u64,
        /// Whether it is `\Recent` in the session that gets this change
        /// (the first read-write session of the mailbox to hear of it).
        recent: bool,
    },
    /// Flags of a message changed.
    Flags {
        /// The UID.
        uid: u32,
        /// The new mod-sequence.
        modseq: u64,
        /// The new flags.
        flags: Flags,
    },
    /// Messages were expunged.
    Expunged {
        /// Their UIDs, ascending.
        uids: Vec<u32>,
        /// The mod-sequence of the expunge.
        modseq: u64,
    },
    /// The mailbox was deleted or renamed away; the session should end.
    Gone,
}

#[derive(Debug, Clone)]
pub(crate) struct Mailbox {
    pub(crate) uidvalidity: u32,
    pub(crate) uidnext: u32,
    pub(crate) highest_modseq: u64,
    pub(crate) special_use: SpecialUse,
    pub(crate) subscribed: bool,
    /// Sorted by UID.
    pub(crate) messages: Vec<Message>,
    /// Expunged UIDs with the modseq of their expunge (for QRESYNC).
    pub(crate) vanished: Vec<(u32, u64)>,
    /// UIDs from here on are `\Recent`: no session has claimed them
    /// yet. Kept in memory and in checkpoints, not in the journal.
    pub(crate) recent_from: u32,
}

impl Mailbox {
    fn new(uidvalidity: u32, special_use: u8) -> Self {
        Mailbox {
            uidvalidity,
            uidnext: 1,
            highest_modseq: 1,
            special_use: SpecialUse::from_bits(special_use),
            subscribed: false,
            messages: Vec::new(),
            vanished: Vec::new(),
            recent_from: 1,
        }
    }

    pub(crate) fn get(&self, uid: u32) -> Option<&Message> {
        self.messages
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .map(|i| &self.messages[i])
    }

    fn insert(&mut self, m: Message) -> Result<(), &'static str> {
        if m.uid < self.uidnext {
            return Err("uid not above uidnext");
        }
        self.uidnext = m
            .uid
            .checked_add(1)
            .ok_or("uid space of the mailbox exhausted")?;
        self.highest_modseq = self.highest_modseq.max(m.modseq);
        self.messages.push(m);
        Ok(())
    }

    pub(crate) fn status(&self, name: &str) -> MailboxStatus {
        let mut s = MailboxStatus {
            name: MailboxName::new(name).expect("stored names are valid"),
            messages: self.messages.len() as u32,
            unseen: 0,
            deleted: 0,
            recent: 0,
            size: 0,
            uidvalidity: self.uidvalidity,
            uidnext: self.uidnext,
            highest_modseq: self.highest_modseq,
            special_use: self.special_use,
            subscribed: self.subscribed,
        };
        for m in &self.messages {
            s.size += m.blob.len;
            if !m.flags.contains(crate::Flag::Seen) {
                s.unseen += 1;
            }
            if m.flags.contains(crate::Flag::Deleted) {
                s.deleted += 1;
            }
            if m.uid >= self.recent_from {
                s.recent += 1;
            }
        }
        s
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Account {
    pub(crate) mailboxes: BTreeMap<String, Mailbox>,
    pub(crate) quota: Quota,
    pub(crate) bytes: u64,
    pub(crate) messages: u64,
    pub(crate) scripts: BTreeMap<String, Vec<u8>>,
    pub(crate) active_script: Option<String>,
    pub(crate) marks: BTreeMap<(u8, String), i64>,
}

impl Account {
    pub(crate) fn usage(&self) -> QuotaUsage {
        QuotaUsage {
            quota: self.quota,
            bytes: self.bytes,
            messages: self.messages,
        }
    }
}

/// Changes produced by applying a record, for the change feeds.
pub(crate) type Events = Vec<(String, String, Change)>;

/// The whole store in memory: the fold of all journal records.
#[derive(Debug, Default, Clone)]
pub(crate) struct State {
    pub(crate) accounts: BTreeMap<String, Account>,
    pub(crate) last_uidvalidity: u32,
}

fn account<'a>(s: &'a mut State, a: &str) -> Result<&'a mut Account, &'static str> {
    s.accounts.get_mut(a).ok_or("unknown account")
}

fn mailbox<'a>(acc: &'a mut Account, name: &str) -> Result<&'a mut Mailbox, &'static str> {
    acc.mailboxes.get_mut(name).ok_or("unknown mailbox")
}

impl State {
    /// Applies one record whose payload starts at `payload_at` in the
    /// journal. The store validates before writing, so an error here
    /// means the journal and the code disagree.
    pub(crate) fn apply(
        &mut self,
        rec: &Record,
        payload_at: u64,
        payload_len: u64,
    ) -> Result<Events, &'static str> {
        let mut events = Events::new();
        match rec {
            Record::CreateAccount {
                account,
                inbox_uidvalidity,
            } => {
                if self.accounts.contains_key(account) {
                    return Err("account exists");
                }
                let mut acc = Account::default();
                acc.mailboxes
                    .insert("INBOX".into(), Mailbox::new(*inbox_uidvalidity, 0));
                acc.mailboxes.get_mut("INBOX").unwrap().subscribed = true;
                self.accounts.insert(account.clone(), acc);
                self.bump_uidvalidity(*inbox_uidvalidity);
            }
            Record::DeleteAccount { account } => {
                let acc = self.accounts.remove(account).ok_or("unknown account")?;
                for name in acc.mailboxes.keys() {
                    events.push((account.clone(), name.clone(), Change::Gone));
                }
            }
            Record::SetQuota { account: a, quota } => {
                account(self, a)?.quota = *quota;
            }
            Record::CreateMailbox {
                account: a,
                name,
                uidvalidity,
                special_use,
            } => {
                let acc = account(self, a)?;
                if acc.mailboxes.contains_key(name) {
                    return Err("mailbox exists");
                }
                acc.mailboxes
                    .insert(name.clone(), Mailbox::new(*uidvalidity, *special_use));
                self.bump_uidvalidity(*uidvalidity);
            }
            Record::DeleteMailbox { account: a, name } => {
                let acc = account(self, a)?;
                let mb = acc.mailboxes.remove(name).ok_or("unknown mailbox")?;
                acc.messages -= mb.messages.len() as u64;
                acc.bytes -= mb.messages.iter().map(|m| m.blob.len).sum::<u64>();
                events.push((a.clone(), name.clone(), Change::Gone));
            }
            Record::RenameMailbox {
                account: a,
                from,
                to,
            } => {
                let acc = account(self, a)?;
                let prefix = format!("{from}/");
                let moving: Vec<String> = acc
                    .mailboxes
                    .keys()
                    .filter(|k| *k == from || k.starts_with(&prefix))
                    .cloned()
                    .collect();
                if moving.is_empty() {
                    return Err("unknown mailbox");
                }
                let mut taken = Vec::new();
                for old in moving {
                    let mb = acc.mailboxes.remove(&old).expect("listed above");
                    let new = format!("{to}{}", &old[from.len()..]);
                    events.push((a.clone(), old, Change::Gone));
                    taken.push((new, mb));
                }
                for (new, mb) in taken {
                    if acc.mailboxes.insert(new, mb).is_some() {
                        return Err("rename target exists");
                    }
                }
            }
            Record::SetMailboxAttrs {
                account: a,
                name,
                subscribed,
                special_use,
            } => {
                let mb = mailbox(account(self, a)?, name)?;
                mb.subscribed = *subscribed;
                mb.special_use = SpecialUse::from_bits(*special_use);
            }
            Record::Append {
                internal_date,
                save_date,
                cache,
                targets,
                body_len,
            } => {
                let blob = Arc::new(Blob {
                    offset: payload_at + payload_len - body_len,
                    len: *body_len,
                    cache: cache.clone(),
                });
                for t in targets {
                    let acc = account(self, &t.account)?;
                    let mb = mailbox(acc, &t.mailbox)?;
                    mb.insert(Message {
                        uid: t.uid,
                        modseq: t.modseq,
                        flags: t.flags.clone(),
                        internal_date: *internal_date,
                        save_date: *save_date,
                        blob: blob.clone(),
                    })?;
                    acc.messages += 1;
                    acc.bytes += body_len;
                    events.push((
                        t.account.clone(),
                        t.mailbox.clone(),
                        Change::Appended {
                            uid: t.uid,
                            modseq: t.modseq,
                            recent: false,
                        },
                    ));
                }
            }
            Record::Copy {
                account: a,
                from,
                to,
                save_date,
                modseq,
                pairs,
                expunge_modseq,
            } => {
                let acc = account(self, a)?;
                let src = mailbox(acc, from)?;
                let mut copies = Vec::with_capacity(pairs.len());
                for &(old, new) in pairs {
                    let m = src.get(old).ok_or("copy of unknown uid")?;
                    copies.push(Message {
                        uid: new,
                        modseq: *modseq,
                        flags: m.flags.clone(),
                        internal_date: m.internal_date,
                        save_date: *save_date,
                        blob: m.blob.clone(),
                    });
                }
                let added: u64 = copies.iter().map(|m| m.blob.len).sum();
                acc.messages += copies.len() as u64;
                acc.bytes += added;
                let dst = mailbox(acc, to)?;
                for m in copies {
                    events.push((
                        a.clone(),
                        to.clone(),
                        Change::Appended {
                            uid: m.uid,
                            modseq: m.modseq,
                            recent: false,
                        },
                    ));
                    dst.insert(m)?;
                }
                if let Some(xm) = expunge_modseq {
                    let uids: Vec<u32> = pairs.iter().map(|p| p.0).collect();
                    events.extend(expunge(acc, a, from, *xm, &uids)?);
                }
            }
            Record::SetFlags {
                account: a,
                mailbox: name,
                modseq,
                changes,
            } => {
                let mb = mailbox(account(self, a)?, name)?;
                for (uid, flags) in changes {
                    let i = mb
                        .messages
                        .binary_search_by_key(uid, |m| m.uid)
                        .map_err(|_| "flags for unknown uid")?;
                    let m = &mut mb.messages[i];
                    m.flags = flags.clone();
                    m.modseq = *modseq;
                    events.push((
                        a.clone(),
                        name.clone(),
                        Change::Flags {
                            uid: *uid,
                            modseq: *modseq,
                            flags: flags.clone(),
                        },
                    ));
                }
                mb.highest_modseq = mb.highest_modseq.max(*modseq);
            }
            Record::Expunge {
                account: a,
                mailbox: name,
                modseq,
                uids,
            } => {
                let acc = account(self, a)?;
                events.extend(expunge(acc, a, name, *modseq, uids)?);
            }
            Record::PutScript {
                account: a,
                name,
                script,
            } => {
                account(self, a)?
                    .scripts
                    .insert(name.clone(), script.clone());
            }
            Record::DeleteScript { account: a, name } => {
                let acc = account(self, a)?;
                acc.scripts.remove(name).ok_or("unknown script")?;
                if acc.active_script.as_deref() == Some(name) {
                    acc.active_script = None;
                }
            }
            Record::ActivateScript { account: a, name } => {
                account(self, a)?.active_script = name.clone();
            }
            Record::Mark {
                account: a,
                kind,
                key,
                expires,
            } => {
                account(self, a)?
                    .marks
                    .insert((*kind, key.clone()), *expires);
            }
            Record::SetMailboxState {
                account: a,
                mailbox: name,
                uidnext,
                highest_modseq,
                vanished,
                last_uidvalidity,
            } => {
                let mb = mailbox(account(self, a)?, name)?;
                if mb.messages.last().is_some_and(|m| m.uid >= *uidnext)
                    || *uidnext < mb.uidnext
                    || *highest_modseq < mb.highest_modseq
                {
                    return Err("mailbox state below its messages");
                }
                mb.uidnext = *uidnext;
                mb.highest_modseq = *highest_modseq;
                mb.vanished = vanished.clone();
                self.bump_uidvalidity(*last_uidvalidity);
            }
        }
        Ok(events)
    }

    fn bump_uidvalidity(&mut self, v: u32) {
        self.last_uidvalidity = self.last_uidvalidity.max(v);
    }
}

fn expunge(
    acc: &mut Account,
    a: &str,
    name: &str,
    modseq: u64,
    uids: &[u32],
) -> Result<Events, &'static str> {
    let mb = mailbox(acc, name)?;
    let mut gone = Vec::with_capacity(uids.len());
    let mut bytes = 0;
    mb.messages.retain(|m| {
        let hit = uids.binary_search(&m.uid).is_ok();
        if hit {
            gone.push(m.uid);
            bytes += m.blob.len;
        }
        !hit
    });
    if gone.len() != uids.len() {
        return Err("expunge of unknown uid");
    }
    mb.highest_modseq = mb.highest_modseq.max(modseq);
    mb.vanished.extend(gone.iter().map(|&u| (u, modseq)));
    acc.messages -= gone.len() as u64;
    acc.bytes -= bytes;
    if gone.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![(
        a.to_owned(),
        name.to_owned(),
        Change::Expunged { uids: gone, modseq },
    )])
}
