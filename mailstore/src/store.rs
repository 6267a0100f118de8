//! The store: validation, group commit and the public operations.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use crate::cache::HeaderCache;
use crate::checkpoint::{self, Cover};
use crate::error::{Result, StoreError};
use crate::flags::{Flag, Flags};
use crate::journal::{self, Device, FileDevice, MemDevice, ScanEnd};
use crate::model::{
    Account, Change, Mailbox, MailboxStatus, Message, Quota, QuotaUsage, SpecialUse, State,
};
use crate::name::MailboxName;
use crate::record::{Record, Target};
use crate::search::{self, Ctx, Part, SearchKey, SortKey};
use crate::session::{Session, SessionView};
use crate::uidset::UidSet;

/// Hard ceiling on one message; the journal's record limit is above it.
const MAX_MESSAGE_CEILING: u64 = 512 << 20;

/// How a store behaves.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// fsync before acknowledging (default true). Turning it off keeps
    /// crash consistency but may lose the last acknowledged changes on
    /// power loss; meant for tests and bulk imports.
    pub sync: bool,
    /// Largest message accepted, in bytes (default 64 MiB, at most
    /// 512 MiB).
    pub max_message_size: u64,
    /// The clock, in Unix seconds, for SAVEDATE, default INTERNALDATE
    /// and UIDVALIDITY.
    pub clock: fn() -> i64,
    /// Most `fdatasync` calls on the journal in flight at once (default
    /// 4, at least 1). Each covers every record written before it
    /// started, and a writer waits for a running one that started after
    /// its write instead of starting its own, so concurrent writers
    /// share syncs (group commit) while disks that complete concurrent
    /// flushes faster than serial ones are kept busy. 1 is the classic
    /// single-leader group commit.
    pub sync_concurrency: usize,
    /// Journal bytes written between automatic checkpoints of the index
    /// (default 64 MiB; 0 turns them off). A checkpoint is also written
    /// when the store is closed. Opening replays only the journal after
    /// the last checkpoint; the interval grows with the checkpoint's own
    /// size, so that writing checkpoints costs at most a quarter of the
    /// journal traffic.
    pub checkpoint_bytes: u64,
}

fn system_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            sync: true,
            max_message_size: 64 << 20,
            clock: system_clock,
            sync_concurrency: 4,
            checkpoint_bytes: 64 << 20,
        }
    }
}

/// What recovery found when the store was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Records replayed.
    pub records: u64,
    /// Bytes of torn or corrupt tail that were cut off.
    pub discarded_bytes: u64,
    /// Why the tail was cut, when it was.
    pub reason: Option<&'static str>,
    /// Journal bytes covered by the checkpoint that was loaded (their
    /// records were not replayed), when one was usable.
    pub checkpoint: Option<u64>,
    /// Complete records found in the cut tail after the damaged one
    /// (media damage in the middle of the journal, or writes that
    /// reached the disk out of order before a power cut): kept aside,
    /// not replayed, but no UID they used will be used again.
    pub records_set_aside: u64,
}

/// The UID a message got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendUid {
    /// UIDVALIDITY of the mailbox.
    pub uidvalidity: u32,
    /// The new UID.
    pub uid: u32,
}

/// A message to append in a batch.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The raw message.
    pub raw: &'a [u8],
    /// Its initial flags.
    pub flags: Flags,
    /// INTERNALDATE; `None` means now.
    pub internal_date: Option<i64>,
}

/// One recipient of a delivery.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// The account.
    pub account: &'a str,
    /// The mailbox.
    pub mailbox: &'a MailboxName,
    /// Initial flags.
    pub flags: Flags,
}

/// How STORE changes flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// `+FLAGS`.
    Add,
    /// `-FLAGS`.
    Remove,
    /// `FLAGS`.
    Replace,
}

/// The result of a STORE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreOutcome {
    /// Messages whose flags changed: UID, new modseq and flags.
    pub changed: Vec<(u32, u64, Flags)>,
    /// UIDs that failed the UNCHANGEDSINCE test (RFC 7162 MODIFIED).
    pub modified: Vec<u32>,
}

/// The result of COPY or MOVE (RFC 4315 COPYUID).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyUid {
    /// UIDVALIDITY of the target.
    pub uidvalidity: u32,
    /// Source UID and new UID, ascending by source.
    pub pairs: Vec<(u32, u32)>,
}

/// Kinds of Sieve state kept per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// A vacation reply was sent (key: script handle and sender).
    Vacation,
    /// A message ID was seen by the `duplicate` test (RFC 7352).
    Duplicate,
}

impl MarkKind {
    fn code(self) -> u8 {
        match self {
            MarkKind::Vacation => 1,
            MarkKind::Duplicate => 2,
        }
    }
}

/// What [`Store::verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Accounts checked.
    pub accounts: u64,
    /// Mailboxes checked.
    pub mailboxes: u64,
    /// Messages whose body was read back.
    pub messages: u64,
    /// Problems found, one line each.
    pub problems: Vec<String>,
}

/// Counters of journal activity since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Journal writes (one per committed operation or batch).
    pub commits: u64,
    /// `fdatasync` calls that completed; with group commit this is
    /// lower than `commits` when writers are concurrent.
    pub syncs: u64,
}

struct Inner {
    state: State,
    len: u64,
    written: u64,
    syncs: u64,
    durable: u64,
    /// Syncs running now.
    syncing: usize,
    /// Highest target of any sync started (it covers every record
    /// written up to it; once it completes `durable` reaches it).
    sync_started: u64,
    poisoned: Option<String>,
    /// Subscribers of each mailbox, and whether each claims `\Recent`
    /// (a read-write session).
    feeds: HashMap<(String, String), Vec<Subscriber>>,
    /// Records in the journal, and where the last one's frame starts
    /// with its checksum (what a checkpoint records to be recognised).
    cover: Cover,
    /// Journal length covered by the last checkpoint, and its size.
    checkpoint_len: u64,
    checkpoint_size: u64,
    /// A checkpoint is being written, or the store was retired by
    /// compaction (its state must not be checkpointed any more).
    checkpointing: bool,
    retired: bool,
    /// Sessions claimed `\Recent` messages since the last checkpoint.
    recent_dirty: bool,
}

/// A session's change feed, and whether it claims `\Recent` messages.
type Subscriber = (Sender<Change>, bool);

struct Shared {
    dev: Box<dyn Device>,
    inner: Mutex<Inner>,
    synced: Condvar,
    opts: StoreOptions,
    recovery: Recovery,
    dir: Option<PathBuf>,
    _lock: Option<File>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Writes a checkpoint when enough journal has been written since
    /// the last one. Errors only cost open time later, so they are
    /// dropped (a failed sync poisons the store as usual).
    fn maybe_checkpoint(&self) {
        let due = {
            let g = self.lock();
            let every = self.opts.checkpoint_bytes;
            every > 0
                && !g.checkpointing
                && g.len - g.checkpoint_len.min(g.len) >= every.max(g.checkpoint_size * 4)
        };
        if due {
            let _ = self.checkpoint();
        }
    }

    /// Writes a checkpoint of the current state (when anything changed
    /// since the last one): serialise under the lock, then sync the
    /// journal (which makes every covered record durable), then write
    /// the checkpoint file.
    fn checkpoint(&self) -> Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let bytes = {
            let mut g = self.lock();
            if let Some(p) = &g.poisoned {
                return Err(StoreError::Poisoned(p.clone()));
            }
            if g.checkpointing || g.retired || (g.checkpoint_len == g.len && !g.recent_dirty) {
                return Ok(());
            }
            g.checkpointing = true;
            g.recent_dirty = false;
            // A copy (bodies and caches are shared, not copied) costs the
            // writers a few milliseconds per 100,000 messages; encoding
            // it happens outside the lock.
            (g.state.clone(), g.cover)
        };
        let bytes = checkpoint::encode(&bytes.0, &bytes.1);
        let covered = u64::from_le_bytes(bytes[20..28].try_into().expect("8 bytes"));
        let r = self.dev.sync().map_err(|e| {
            self.lock().poisoned = Some(e.to_string());
            StoreError::io("syncing the journal for a checkpoint", e)
        });
        let r = r.and_then(|()| {
            checkpoint::write(dir, &bytes).map_err(|e| StoreError::io("writing a checkpoint", e))
        });
        let mut g = self.lock();
        g.checkpointing = false;
        if r.is_ok() {
            g.checkpoint_len = g.checkpoint_len.max(covered);
            g.checkpoint_size = bytes.len() as u64;
        }
        r
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        // A clean close leaves a checkpoint, so the next open is fast.
        let _ = self.checkpoint();
    }
}

/// A mail store. Cheap to clone; all clones share one store, and every
/// method may be called from many threads.
#[derive(Clone)]
pub struct Store {
    sh: Arc<Shared>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("dir", &self.sh.dir).finish()
    }
}

fn valid_account(name: &str) -> Result<()> {
    let ok =
        !name.is_empty() && name.len() <= 255 && !name.chars().any(|c| c.is_control() || c == '/');
    if ok {
        Ok(())
    } else {
        Err(StoreError::BadAccount(name.to_owned()))
    }
}

impl Store {
    /// Opens (or creates) the store in `dir`, replaying its journal.
    ///
    /// A torn tail left by a crash is cut off (and saved beside the
    /// journal as `journal.torn-<offset>`); see [`Store::recovery`].
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`] when another process has it open,
    /// [`StoreError::Corrupt`] when a complete, checksummed record
    /// cannot be applied, and I/O errors.
    pub fn open(dir: &Path, opts: StoreOptions) -> Result<Store> {
        Self::open_dir(dir, opts, false)
    }

    /// Opens the store as [`Store::open`] does, and also when a
    /// complete, checksummed record cannot be applied (a journal
    /// written by a bug, or by a newer version): that record ends the
    /// journal like a torn tail, and it and everything after it are
    /// kept in `journal.torn-<offset>`. Used by `rampart store repair`.
    ///
    /// # Errors
    ///
    /// [`StoreError::Locked`], I/O errors.
    pub fn open_repairing(dir: &Path, opts: StoreOptions) -> Result<Store> {
        Self::open_dir(dir, opts, true)
    }

    fn open_dir(dir: &Path, opts: StoreOptions, salvage: bool) -> Result<Store> {
        let io = |c| move |e| StoreError::io(c, e);
        std::fs::create_dir_all(dir).map_err(io("creating the store directory"))?;
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("lock"))
            .map_err(io("opening the lock file"))?;
        lock.try_lock()
            .map_err(|_| StoreError::Locked(dir.display().to_string()))?;
        let path = dir.join("journal");
        let dev = FileDevice::open(&path).map_err(io("opening the journal"))?;
        Self::start(
            Box::new(dev),
            opts,
            Some(dir.to_owned()),
            Some(lock),
            salvage,
        )
    }

    /// A store kept in memory, for tests and examples. Nothing survives
    /// the process.
    pub fn in_memory(opts: StoreOptions) -> Store {
        Self::start(Box::new(MemDevice::new()), opts, None, None, false)
            .expect("an empty memory journal always opens")
    }

    #[cfg(test)]
    pub(crate) fn with_device(dev: Box<dyn Device>, opts: StoreOptions) -> Result<Store> {
        Self::start(dev, opts, None, None, false)
    }

    /// Runs `f` on the state and the journal device, with the store
    /// locked (compaction reads everything this way).
    pub(crate) fn with_state<T>(&self, f: impl FnOnce(&State, &dyn Device) -> T) -> T {
        let g = self.lock();
        f(&g.state, &*self.sh.dev)
    }

    /// Opens a store on a given journal device without a lock file.
    pub(crate) fn open_device(dev: Box<dyn Device>, opts: StoreOptions) -> Result<Store> {
        Self::start(dev, opts, None, None, false)
    }

    fn start(
        dev: Box<dyn Device>,
        mut opts: StoreOptions,
        dir: Option<PathBuf>,
        lock: Option<File>,
        salvage: bool,
    ) -> Result<Store> {
        opts.max_message_size = opts.max_message_size.min(MAX_MESSAGE_CEILING);
        let mut recovery = Recovery::default();
        let load = || match dir.as_deref().and_then(|d| checkpoint::load(d, &*dev)) {
            Some((state, cover)) => (Some(cover.len), state, cover),
            None => (
                None,
                State::default(),
                Cover {
                    len: journal::MAGIC.len() as u64,
                    ..Cover::default()
                },
            ),
        };
        let (loaded, mut state, mut cover) = load();
        recovery.checkpoint = loaded;
        let checkpoint_len = loaded.unwrap_or(0);
        let mut replayed = 0;
        let mut end = replay(&*dev, &mut state, &mut cover, &mut replayed, None)?;
        if let Replay::Unappliable { at, reason } = end {
            if !salvage {
                return Err(StoreError::Corrupt {
                    offset: at + 8,
                    reason: format!(
                        "{reason}; `rampart store repair` cuts the journal there, \
                         keeping the rest aside"
                    ),
                });
            }
            // apply() may have changed part of the state before it
            // failed: replay again, up to the bad record.
            (_, state, cover) = load();
            replayed = 0;
            replay(&*dev, &mut state, &mut cover, &mut replayed, Some(at))?;
            end = Replay::Torn {
                at,
                reason: "a complete record cannot be applied",
            };
        }
        recovery.records = replayed;
        if loaded.is_none() {
            // Which messages sessions have seen is kept only in
            // checkpoints: without one, none counts as recent.
            for a in state.accounts.values_mut() {
                for mb in a.mailboxes.values_mut() {
                    mb.recent_from = mb.uidnext;
                }
            }
        }
        let io = |c| move |e| StoreError::io(c, e);
        let mut len = dev.len().map_err(io("reading the journal length"))?;
        let mut floors = Vec::new();
        if let Replay::Torn { at, reason } = end {
            // Complete records after the damage are not replayed, but no
            // UID they hold may be handed out again.
            let (n, f) = uid_floors(&*dev, at, len);
            recovery.records_set_aside = n;
            floors = f;
            recovery.discarded_bytes = len - at;
            recovery.reason = Some(reason);
            if let Some(dir) = &dir {
                save_tail(&*dev, at, len, &dir.join(format!("journal.torn-{at}")))
                    .map_err(io("saving the torn journal tail"))?;
            }
            dev.truncate(at)
                .map_err(io("truncating the torn journal tail"))?;
            len = at;
        }
        debug_assert_eq!(len, cover.len);
        let inner = Inner {
            state,
            len,
            written: 0,
            syncs: 0,
            durable: 0,
            syncing: 0,
            sync_started: 0,
            poisoned: None,
            feeds: HashMap::new(),
            cover,
            checkpoint_len,
            checkpoint_size: 0,
            checkpointing: false,
            retired: false,
            recent_dirty: false,
        };
        let store = Store {
            sh: Arc::new(Shared {
                dev,
                inner: Mutex::new(inner),
                synced: Condvar::new(),
                opts,
                recovery,
                dir,
                _lock: lock,
            }),
        };
        store.raise_uid_floors(floors)?;
        Ok(store)
    }

    /// Moves UIDNEXT (and HIGHESTMODSEQ) of mailboxes above what records
    /// set aside by recovery used.
    fn raise_uid_floors(&self, floors: Vec<Floor>) -> Result<()> {
        for (account, mailbox, uid, modseq) in floors {
            let g = self.lock();
            let Some(mb) = g
                .state
                .accounts
                .get(&account)
                .and_then(|a| a.mailboxes.get(&mailbox))
            else {
                continue;
            };
            if mb.uidnext > uid && mb.highest_modseq >= modseq {
                continue;
            }
            let rec = Record::SetMailboxState {
                account,
                mailbox,
                uidnext: mb.uidnext.max(uid.saturating_add(1)),
                highest_modseq: mb.highest_modseq.max(modseq),
                vanished: mb.vanished.clone(),
                last_uidvalidity: g.state.last_uidvalidity,
            };
            self.commit(g, &[(rec, None)])?;
        }
        Ok(())
    }

    /// Writes a checkpoint of the index now (it is also written
    /// automatically, see [`StoreOptions::checkpoint_bytes`], and when
    /// the store is closed), so that the next open replays only what is
    /// written after it. Does nothing for a store in memory.
    ///
    /// # Errors
    ///
    /// I/O errors; [`StoreError::Poisoned`].
    pub fn checkpoint(&self) -> Result<()> {
        self.sh.checkpoint()
    }

    /// Stops checkpoints of this store's state: compaction is about to
    /// replace the journal under it.
    pub(crate) fn retire(&self) {
        loop {
            let mut g = self.lock();
            if !g.checkpointing {
                g.retired = true;
                return;
            }
            drop(g);
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Takes over which messages are `\Recent` from another store of
    /// the same content (compaction).
    pub(crate) fn take_recent_from(&self, other: &Store) {
        let from: Vec<(String, String, u32)> = other.with_state(|st, _| {
            st.accounts
                .iter()
                .flat_map(|(a, acc)| {
                    acc.mailboxes
                        .iter()
                        .map(move |(m, mb)| (a.clone(), m.clone(), mb.recent_from))
                })
                .collect()
        });
        let mut g = self.lock();
        for (a, m, r) in from {
            if let Some(mb) = g
                .state
                .accounts
                .get_mut(&a)
                .and_then(|x| x.mailboxes.get_mut(&m))
            {
                mb.recent_from = r;
            }
        }
    }

    /// The journal's cover, for a checkpoint written by compaction.
    pub(crate) fn checkpoint_bytes(&self) -> Vec<u8> {
        let g = self.lock();
        checkpoint::encode(&g.state, &g.cover)
    }

    /// What recovery did when the store was opened.
    pub fn recovery(&self) -> &Recovery {
        &self.sh.recovery
    }

    /// Journal writes and syncs since the store was opened.
    pub fn stats(&self) -> StoreStats {
        let g = self.lock();
        StoreStats {
            commits: g.written,
            syncs: g.syncs,
        }
    }

    /// The largest message accepted, in bytes.
    pub fn max_message_size(&self) -> u64 {
        self.sh.opts.max_message_size
    }

    /// Bytes in the journal.
    pub fn journal_len(&self) -> u64 {
        self.lock().len
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves state consistent with
        // what was written: records are applied only after the write.
        self.sh.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> i64 {
        (self.sh.opts.clock)()
    }

    /// Writes records, applies them, feeds subscribers, and waits until
    /// they are durable. Called with the lock held; validation is done.
    fn commit<'a>(
        &'a self,
        mut g: MutexGuard<'a, Inner>,
        recs: &[(Record, Option<&[u8]>)],
    ) -> Result<()> {
        if let Some(p) = &g.poisoned {
            return Err(StoreError::Poisoned(p.clone()));
        }
        let mut buf = Vec::new();
        let mut spans = Vec::with_capacity(recs.len());
        for (rec, body) in recs {
            let start = buf.len();
            buf.extend_from_slice(&[0; 8]);
            rec.encode(&mut buf, *body);
            journal::frame(&mut buf, start);
            spans.push((start as u64 + 8, (buf.len() - start - 8) as u64));
        }
        let at = g.len;
        if let Err(e) = self.sh.dev.write_at(&buf, at) {
            // Take back a partial write so the journal ends cleanly; if
            // even that fails, recovery will cut the torn record.
            if let Err(e2) = self.sh.dev.truncate(at) {
                g.poisoned = Some(format!("cannot truncate after failed write: {e2}"));
            }
            return Err(StoreError::io("writing the journal", e));
        }
        g.len += buf.len() as u64;
        for &(off, len) in &spans {
            let frame = (off - 8) as usize;
            let crc = u32::from_le_bytes(buf[frame + 4..frame + 8].try_into().expect("4 bytes"));
            g.cover = Cover {
                len: at + off + len,
                last_frame: at + off - 8,
                last_crc: crc,
                records: g.cover.records + 1,
            };
        }
        for ((rec, _), (off, len)) in recs.iter().zip(spans) {
            match g.state.apply(rec, at + off, len) {
                Ok(events) => notify(&mut g, events),
                Err(r) => {
                    g.poisoned = Some(format!("internal inconsistency: {r}"));
                    return Err(StoreError::Corrupt {
                        offset: at + off,
                        reason: r.to_owned(),
                    });
                }
            }
        }
        g.written += 1;
        let seq = g.written;
        self.wait_durable(g, seq)?;
        self.sh.maybe_checkpoint();
        Ok(())
    }

    /// Group commit: a writer whose record is not yet covered by a
    /// running sync starts one (up to `sync_concurrency` at a time) for
    /// every record written so far; the others wait for it.
    fn wait_durable<'a>(&'a self, mut g: MutexGuard<'a, Inner>, seq: u64) -> Result<()> {
        if !self.sh.opts.sync {
            g.durable = g.durable.max(seq);
            return Ok(());
        }
        let limit = self.sh.opts.sync_concurrency.max(1);
        loop {
            if let Some(p) = &g.poisoned {
                return Err(StoreError::Poisoned(p.clone()));
            }
            if g.durable >= seq {
                return Ok(());
            }
            // A sync that started after our write is running: wait for it.
            // Or every sync slot is taken: wait for one to finish.
            if g.sync_started >= seq || g.syncing >= limit {
                g = self.sh.synced.wait(g).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            g.syncing += 1;
            let target = g.written;
            g.sync_started = g.sync_started.max(target);
            drop(g);
            let r = self.sh.dev.sync();
            g = self.lock();
            g.syncing -= 1;
            match r {
                Ok(()) => {
                    // Every record up to `target` was written before the
                    // sync began, so all of them are durable now.
                    g.durable = g.durable.max(target);
                    g.syncs += 1;
                }
                // After a failed fsync the kernel may have dropped the
                // dirty pages: what is on disk is unknown.
                Err(e) => g.poisoned = Some(e.to_string()),
            }
            self.sh.synced.notify_all();
        }
    }

    // ---- accounts ----

    /// Creates an account with its INBOX.
    ///
    /// # Errors
    ///
    /// [`StoreError::BadAccount`], [`StoreError::AccountExists`], I/O.
    pub fn create_account(&self, account: &str) -> Result<()> {
        valid_account(account)?;
        let g = self.lock();
        if g.state.accounts.contains_key(account) {
            return Err(StoreError::AccountExists(account.to_owned()));
        }
        let v = self.next_uidvalidity(&g);
        let rec = Record::CreateAccount {
            account: account.to_owned(),
            inbox_uidvalidity: v,
        };
        self.commit(g, &[(rec, None)])
    }

    /// Deletes an account and everything in it.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`], I/O.
    pub fn delete_account(&self, account: &str) -> Result<()> {
        let g = self.lock();
        acc(&g, account)?;
        let rec = Record::DeleteAccount {
            account: account.to_owned(),
        };
        self.commit(g, &[(rec, None)])
    }

    /// Names of all accounts, sorted.
    pub fn accounts(&self) -> Vec<String> {
        self.lock().state.accounts.keys().cloned().collect()
    }

    /// Sets an account's quota.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`], I/O.
    pub fn set_quota(&self, account: &str, quota: Quota) -> Result<()> {
        let g = self.lock();
        acc(&g, account)?;
        let rec = Record::SetQuota {
            account: account.to_owned(),
            quota,
        };
        self.commit(g, &[(rec, None)])
    }

    /// An account's quota and use.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`].
    pub fn quota(&self, account: &str) -> Result<QuotaUsage> {
        Ok(acc(&self.lock(), account)?.usage())
    }

    fn next_uidvalidity(&self, g: &Inner) -> u32 {
        let now = u32::try_from(self.now().max(1)).unwrap_or(u32::MAX);
        now.max(g.state.last_uidvalidity.saturating_add(1))
    }

    // ---- mailboxes ----

    /// Creates a mailbox, and any missing parents.
    ///
    /// # Errors
    ///
    /// [`StoreError::MailboxExists`], [`StoreError::NoAccount`], I/O.
    pub fn create_mailbox(
        &self,
        account: &str,
        name: &MailboxName,
        special_use: SpecialUse,
    ) -> Result<()> {
        let g = self.lock();
        let a = acc(&g, account)?;
        if a.mailboxes.contains_key(name.as_str()) {
            return Err(StoreError::MailboxExists(name.to_string()));
        }
        let mut v = self.next_uidvalidity(&g);
        let mut recs = parents(a, account, name, &mut v);
        recs.push((
            Record::CreateMailbox {
                account: account.to_owned(),
                name: name.to_string(),
                uidvalidity: v,
                special_use: special_use.bits(),
            },
            None,
        ));
        self.commit(g, &recs)
    }

    /// Deletes a mailbox and its messages. Children stay (RFC 3501
    /// allows a server to keep inferiors); INBOX cannot be deleted.
    ///
    /// # Errors
    ///
    /// [`StoreError::Inbox`], [`StoreError::NoMailbox`], I/O.
    pub fn delete_mailbox(&self, account: &str, name: &MailboxName) -> Result<()> {
        if name.is_inbox() {
            return Err(StoreError::Inbox("deleted"));
        }
        let g = self.lock();
        mbox(acc(&g, account)?, name)?;
        let rec = Record::DeleteMailbox {
            account: account.to_owned(),
            name: name.to_string(),
        };
        self.commit(g, &[(rec, None)])
    }

    /// Renames a mailbox with its children; they keep UIDVALIDITY and
    /// messages, and missing parents of the new name are created.
    /// Renaming INBOX moves its messages into a new mailbox and leaves
    /// INBOX empty, its children staying where they are (RFC 3501
    /// section 6.3.5); nothing can be renamed to INBOX.
    ///
    /// # Errors
    ///
    /// [`StoreError::Inbox`], [`StoreError::NoMailbox`],
    /// [`StoreError::MailboxExists`], I/O.
    pub fn rename_mailbox(
        &self,
        account: &str,
        from: &MailboxName,
        to: &MailboxName,
    ) -> Result<()> {
        if to.is_inbox() {
            return Err(StoreError::Inbox("the target of a rename"));
        }
        let now = self.now();
        let g = self.lock();
        let a = acc(&g, account)?;
        let src = mbox(a, from)?;
        let mut v = self.next_uidvalidity(&g);
        if from.is_inbox() {
            if a.mailboxes.contains_key(to.as_str()) {
                return Err(StoreError::MailboxExists(to.to_string()));
            }
            let mut recs = parents(a, account, to, &mut v);
            recs.push((
                Record::CreateMailbox {
                    account: account.to_owned(),
                    name: to.to_string(),
                    uidvalidity: v,
                    special_use: 0,
                },
                None,
            ));
            if !src.messages.is_empty() {
                recs.push((
                    Record::Copy {
                        account: account.to_owned(),
                        from: from.to_string(),
                        to: to.to_string(),
                        save_date: now,
                        // The new mailbox starts at HIGHESTMODSEQ 1.
                        modseq: 2,
                        pairs: src
                            .messages
                            .iter()
                            .enumerate()
                            .map(|(i, m)| (m.uid, i as u32 + 1))
                            .collect(),
                        expunge_modseq: Some(src.highest_modseq + 1),
                    },
                    None,
                ));
            }
            return self.commit(g, &recs);
        }
        if to.is_below(from) {
            return Err(StoreError::MailboxExists(to.to_string()));
        }
        let prefix = format!("{from}/");
        for k in a.mailboxes.keys() {
            if k == from.as_str() || k.starts_with(&prefix) {
                let new = format!("{to}{}", &k[from.as_str().len()..]);
                if a.mailboxes.contains_key(&new) {
                    return Err(StoreError::MailboxExists(new));
                }
            }
        }
        // Parents of the new name, unless the rename itself brings them.
        let mut recs: Vec<(Record, Option<&[u8]>)> = parents(a, account, to, &mut v)
            .into_iter()
            .filter(|(r, _)| {
                !matches!(r, Record::CreateMailbox { name, .. }
                    if MailboxName::new(name).is_ok_and(|n| n == *from || n.is_below(from)))
            })
            .collect();
        recs.push((
            Record::RenameMailbox {
                account: account.to_owned(),
                from: from.to_string(),
                to: to.to_string(),
            },
            None,
        ));
        self.commit(g, &recs)
    }

    /// Sets subscription and special-use attributes of a mailbox.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`], I/O.
    pub fn set_mailbox_attrs(
        &self,
        account: &str,
        name: &MailboxName,
        subscribed: bool,
        special_use: SpecialUse,
    ) -> Result<()> {
        let g = self.lock();
        mbox(acc(&g, account)?, name)?;
        let rec = Record::SetMailboxAttrs {
            account: account.to_owned(),
            name: name.to_string(),
            subscribed,
            special_use: special_use.bits(),
        };
        self.commit(g, &[(rec, None)])
    }

    /// Every mailbox of an account with its status, sorted by name.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`].
    pub fn mailboxes(&self, account: &str) -> Result<Vec<MailboxStatus>> {
        let g = self.lock();
        let a = acc(&g, account)?;
        Ok(a.mailboxes.iter().map(|(n, m)| m.status(n)).collect())
    }

    /// Status of one mailbox.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`], [`StoreError::NoMailbox`].
    pub fn status(&self, account: &str, name: &MailboxName) -> Result<MailboxStatus> {
        let g = self.lock();
        Ok(mbox(acc(&g, account)?, name)?.status(name.as_str()))
    }

    // ---- messages ----

    /// Appends one message.
    ///
    /// # Errors
    ///
    /// [`StoreError::TooLarge`], [`StoreError::OverQuota`],
    /// [`StoreError::NoMailbox`], [`StoreError::DiskFull`], I/O.
    pub fn append(
        &self,
        account: &str,
        mailbox: &MailboxName,
        raw: &[u8],
        flags: &Flags,
        internal_date: Option<i64>,
    ) -> Result<AppendUid> {
        let msg = NewMessage {
            raw,
            flags: flags.clone(),
            internal_date,
        };
        let uids = self.append_batch(account, mailbox, &[msg])?;
        Ok(uids[0])
    }

    /// Delivers one message into `mailbox` of `account`, creating the
    /// mailbox (and its parents) first when it does not exist. The
    /// simple entry point for a delivery pipeline.
    ///
    /// # Errors
    ///
    /// As [`Store::append`]; [`StoreError::NoAccount`] when the account
    /// does not exist.
    pub fn deliver_to(
        &self,
        account: &str,
        mailbox: &MailboxName,
        raw: &[u8],
    ) -> Result<AppendUid> {
        match self.append(account, mailbox, raw, &Flags::new(), None) {
            Err(StoreError::NoMailbox(_)) => {
                match self.create_mailbox(account, mailbox, SpecialUse::NONE) {
                    // Another thread created it meanwhile: fine.
                    Ok(()) | Err(StoreError::MailboxExists(_)) => {}
                    Err(e) => return Err(e),
                }
                self.append(account, mailbox, raw, &Flags::new(), None)
            }
            other => other,
        }
    }

    /// Appends several messages to one mailbox, all or none, with one
    /// sync.
    ///
    /// # Errors
    ///
    /// As [`Store::append`]; on error nothing was appended.
    pub fn append_batch(
        &self,
        account: &str,
        mailbox: &MailboxName,
        msgs: &[NewMessage<'_>],
    ) -> Result<Vec<AppendUid>> {
        for m in msgs {
            self.check_size(m.raw.len())?;
        }
        let caches: Vec<HeaderCache> = msgs.iter().map(|m| HeaderCache::compute(m.raw)).collect();
        let now = self.now();
        let g = self.lock();
        let a = acc(&g, account)?;
        let mb = mbox(a, mailbox)?;
        let total: u64 = msgs.iter().map(|m| m.raw.len() as u64).sum();
        check_quota(account, a, total, msgs.len() as u64)?;
        let mut out = Vec::with_capacity(msgs.len());
        let mut recs = Vec::with_capacity(msgs.len());
        for (i, (m, cache)) in msgs.iter().zip(caches).enumerate() {
            let uid = u32::try_from(i)
                .ok()
                .and_then(|i| mb.uidnext.checked_add(i))
                .filter(|&u| u < u32::MAX)
                .ok_or_else(|| StoreError::UidsExhausted(mailbox.to_string()))?;
            out.push(AppendUid {
                uidvalidity: mb.uidvalidity,
                uid,
            });
            recs.push((
                Record::Append {
                    internal_date: m.internal_date.unwrap_or(now),
                    save_date: now,
                    cache,
                    targets: vec![Target {
                        account: account.to_owned(),
                        mailbox: mailbox.to_string(),
                        uid,
                        modseq: mb.highest_modseq + 1 + i as u64,
                        flags: m.flags.clone(),
                    }],
                    body_len: m.raw.len() as u64,
                },
                Some(m.raw),
            ));
        }
        self.commit(g, &recs)?;
        Ok(out)
    }

    /// Delivers one message to several mailboxes (of one or more
    /// accounts), storing the body once. Each recipient succeeds or
    /// fails on its own (unknown mailbox, quota); the successful ones
    /// are written as one record.
    ///
    /// # Errors
    ///
    /// The outer error is for the whole delivery (size, I/O); the inner
    /// ones are per recipient.
    pub fn deliver(
        &self,
        raw: &[u8],
        recipients: &[Delivery<'_>],
        internal_date: Option<i64>,
    ) -> Result<Vec<Result<AppendUid>>> {
        self.check_size(raw.len())?;
        let cache = HeaderCache::compute(raw);
        let now = self.now();
        let g = self.lock();
        let mut results = Vec::with_capacity(recipients.len());
        let mut targets: Vec<Target> = Vec::new();
        for r in recipients {
            let res = (|| {
                let a = acc(&g, r.account)?;
                let mb = mbox(a, r.mailbox)?;
                let already = targets.iter().filter(|t| t.account == r.account).count() as u64;
                check_quota(r.account, a, raw.len() as u64 * (already + 1), already + 1)?;
                let same = targets
                    .iter()
                    .filter(|t| t.account == r.account && t.mailbox == r.mailbox.as_str())
                    .count() as u32;
                let uid = mb
                    .uidnext
                    .checked_add(same)
                    .filter(|&u| u < u32::MAX)
                    .ok_or_else(|| StoreError::UidsExhausted(r.mailbox.to_string()))?;
                Ok(AppendUid {
                    uidvalidity: mb.uidvalidity,
                    uid,
                })
                .inspect(|au: &AppendUid| {
                    targets.push(Target {
                        account: r.account.to_owned(),
                        mailbox: r.mailbox.to_string(),
                        uid: au.uid,
                        modseq: mb.highest_modseq + 1 + u64::from(same),
                        flags: r.flags.clone(),
                    })
                })
            })();
            results.push(res);
        }
        if targets.is_empty() {
            return Ok(results);
        }
        // Several copies into one mailbox must be applied in UID order,
        // which they are: same-mailbox targets were pushed in order.
        let rec = Record::Append {
            internal_date: internal_date.unwrap_or(now),
            save_date: now,
            cache,
            targets,
            body_len: raw.len() as u64,
        };
        self.commit(g, &[(rec, Some(raw))])?;
        Ok(results)
    }

    fn check_size(&self, len: usize) -> Result<()> {
        let limit = self.sh.opts.max_message_size;
        if len as u64 > limit {
            return Err(StoreError::TooLarge {
                size: len as u64,
                limit,
            });
        }
        Ok(())
    }

    /// Copies messages; the copies share the body.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`], [`StoreError::OverQuota`], I/O.
    pub fn copy(
        &self,
        account: &str,
        from: &MailboxName,
        uids: &UidSet,
        to: &MailboxName,
    ) -> Result<CopyUid> {
        self.copy_or_move(account, from, uids, to, false)
    }

    /// Moves messages (RFC 6851): copy and expunge in one record, so a
    /// crash leaves either both or neither.
    ///
    /// # Errors
    ///
    /// As [`Store::copy`].
    pub fn move_messages(
        &self,
        account: &str,
        from: &MailboxName,
        uids: &UidSet,
        to: &MailboxName,
    ) -> Result<CopyUid> {
        self.copy_or_move(account, from, uids, to, true)
    }

    fn copy_or_move(
        &self,
        account: &str,
        from: &MailboxName,
        uids: &UidSet,
        to: &MailboxName,
        is_move: bool,
    ) -> Result<CopyUid> {
        let now = self.now();
        let g = self.lock();
        let a = acc(&g, account)?;
        let src = mbox(a, from)?;
        let dst = mbox(a, to)?;
        let picked = select(src, uids);
        if from == to && is_move {
            return Ok(CopyUid {
                uidvalidity: dst.uidvalidity,
                pairs: Vec::new(),
            });
        }
        if !is_move {
            let bytes = picked.iter().map(|m| m.blob.len).sum();
            check_quota(account, a, bytes, picked.len() as u64)?;
        }
        if picked.is_empty() {
            return Ok(CopyUid {
                uidvalidity: dst.uidvalidity,
                pairs: Vec::new(),
            });
        }
        let last = u32::try_from(picked.len() - 1)
            .ok()
            .and_then(|n| dst.uidnext.checked_add(n))
            .filter(|&u| u < u32::MAX);
        if last.is_none() {
            return Err(StoreError::UidsExhausted(to.to_string()));
        }
        let pairs: Vec<(u32, u32)> = picked
            .iter()
            .enumerate()
            .map(|(i, m)| (m.uid, dst.uidnext + i as u32))
            .collect();
        let rec = Record::Copy {
            account: account.to_owned(),
            from: from.to_string(),
            to: to.to_string(),
            save_date: now,
            modseq: dst.highest_modseq + 1,
            pairs: pairs.clone(),
            expunge_modseq: is_move.then_some(src.highest_modseq + 1),
        };
        let uidvalidity = dst.uidvalidity;
        self.commit(g, &[(rec, None)])?;
        Ok(CopyUid { uidvalidity, pairs })
    }

    /// Changes flags of the messages in `uids`. With `unchanged_since`
    /// (CONDSTORE), messages with a higher modseq are left alone and
    /// reported in [`StoreOutcome::modified`].
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`], I/O.
    #[allow(clippy::too_many_arguments)]
    pub fn store_flags(
        &self,
        account: &str,
        mailbox: &MailboxName,
        uids: &UidSet,
        op: FlagOp,
        flags: &Flags,
        unchanged_since: Option<u64>,
    ) -> Result<StoreOutcome> {
        let g = self.lock();
        let mb = mbox(acc(&g, account)?, mailbox)?;
        let modseq = mb.highest_modseq + 1;
        let mut out = StoreOutcome::default();
        let mut changes = Vec::new();
        for m in select(mb, uids) {
            if unchanged_since.is_some_and(|u| m.modseq > u) {
                out.modified.push(m.uid);
                continue;
            }
            let mut new = m.flags.clone();
            match op {
                FlagOp::Add => new.union(flags),
                FlagOp::Remove => new.subtract(flags),
                FlagOp::Replace => new = flags.clone(),
            }
            if new != m.flags {
                out.changed.push((m.uid, modseq, new.clone()));
                changes.push((m.uid, new));
            }
        }
        if changes.is_empty() {
            return Ok(out);
        }
        let rec = Record::SetFlags {
            account: account.to_owned(),
            mailbox: mailbox.to_string(),
            modseq,
            changes,
        };
        self.commit(g, &[(rec, None)])?;
        Ok(out)
    }

    /// Expunges messages flagged `\Deleted`, limited to `uids` when
    /// given (UID EXPUNGE). Returns the expunged UIDs.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`], I/O.
    pub fn expunge(
        &self,
        account: &str,
        mailbox: &MailboxName,
        uids: Option<&UidSet>,
    ) -> Result<Vec<u32>> {
        let g = self.lock();
        let mb = mbox(acc(&g, account)?, mailbox)?;
        let all = UidSet::all();
        let gone: Vec<u32> = select(mb, uids.unwrap_or(&all))
            .into_iter()
            .filter(|m| m.flags.contains(Flag::Deleted))
            .map(|m| m.uid)
            .collect();
        if gone.is_empty() {
            return Ok(gone);
        }
        let rec = Record::Expunge {
            account: account.to_owned(),
            mailbox: mailbox.to_string(),
            modseq: mb.highest_modseq + 1,
            uids: gone.clone(),
        };
        self.commit(g, &[(rec, None)])?;
        Ok(gone)
    }

    /// Metadata of the messages in `uids` (FETCH without reparsing).
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`].
    pub fn messages(
        &self,
        account: &str,
        mailbox: &MailboxName,
        uids: &UidSet,
    ) -> Result<Vec<Message>> {
        let g = self.lock();
        let mb = mbox(acc(&g, account)?, mailbox)?;
        Ok(select(mb, uids).into_iter().cloned().collect())
    }

    /// UIDs expunged after `modseq` (QRESYNC VANISHED).
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`].
    pub fn vanished_since(
        &self,
        account: &str,
        mailbox: &MailboxName,
        modseq: u64,
    ) -> Result<Vec<u32>> {
        let g = self.lock();
        let mb = mbox(acc(&g, account)?, mailbox)?;
        let mut v: Vec<u32> = mb
            .vanished
            .iter()
            .filter(|(_, m)| *m > modseq)
            .map(|(u, _)| *u)
            .collect();
        v.sort_unstable();
        Ok(v)
    }

    /// The raw message.
    ///
    /// # Errors
    ///
    /// I/O.
    pub fn read(&self, msg: &Message) -> Result<Vec<u8>> {
        self.read_part(msg, Part::Whole)
    }

    /// The header section of a message, blank line included.
    ///
    /// # Errors
    ///
    /// I/O.
    pub fn read_header(&self, msg: &Message) -> Result<Vec<u8>> {
        self.read_part(msg, Part::Header)
    }

    /// The body of the MIME part at an IMAP section path (`BODY[1.2]`),
    /// read straight from its cached offsets; `None` when the message
    /// has no such part. An empty path is the whole message.
    ///
    /// # Errors
    ///
    /// I/O.
    pub fn read_section(&self, msg: &Message, path: &[u32]) -> Result<Option<Vec<u8>>> {
        if path.is_empty() {
            return self.read(msg).map(Some);
        }
        match msg.cache().structure().part(path) {
            Some(p) => self.read_range(msg, p.body_start, p.end).map(Some),
            None => Ok(None),
        }
    }

    /// The header of the MIME part at a section path (`BODY[1.2.MIME]`).
    ///
    /// # Errors
    ///
    /// I/O.
    pub fn read_section_mime(&self, msg: &Message, path: &[u32]) -> Result<Option<Vec<u8>>> {
        match msg.cache().structure().part(path) {
            Some(p) => self.read_range(msg, p.header_start, p.body_start).map(Some),
            None => Ok(None),
        }
    }

    fn read_range(&self, msg: &Message, start: u32, end: u32) -> Result<Vec<u8>> {
        let b = &msg.blob;
        let (start, end) = (u64::from(start).min(b.len), u64::from(end).min(b.len));
        let mut buf = vec![0; end.saturating_sub(start) as usize];
        self.sh
            .dev
            .read_at(&mut buf, b.offset + start)
            .map_err(|e| StoreError::io("reading a message", e))?;
        Ok(buf)
    }

    fn read_part(&self, msg: &Message, part: Part) -> Result<Vec<u8>> {
        let b = &msg.blob;
        let head = u64::from(b.cache.header_len()).min(b.len);
        let (off, len) = match part {
            Part::Whole => (b.offset, b.len),
            Part::Header => (b.offset, head),
            Part::Body => (b.offset + head, b.len - head),
        };
        let mut buf = vec![0; len as usize];
        self.sh
            .dev
            .read_at(&mut buf, off)
            .map_err(|e| StoreError::io("reading a message", e))?;
        Ok(buf)
    }

    /// UIDs of the messages matching `key`, ascending. `view` resolves
    /// sequence numbers (and `*`); without it they match nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`], I/O while reading bodies.
    pub fn search(
        &self,
        account: &str,
        mailbox: &MailboxName,
        key: &SearchKey,
        view: Option<&SessionView>,
    ) -> Result<Vec<u32>> {
        Ok(self
            .matching(account, mailbox, key, view)?
            .into_iter()
            .map(|m| m.uid)
            .collect())
    }

    /// UIDs of the messages matching `key`, in the order of `keys`
    /// (RFC 5256 SORT).
    ///
    /// # Errors
    ///
    /// As [`Store::search`].
    pub fn sort(
        &self,
        account: &str,
        mailbox: &MailboxName,
        keys: &[SortKey],
        key: &SearchKey,
        view: Option<&SessionView>,
    ) -> Result<Vec<u32>> {
        let hits = self.matching(account, mailbox, key, view)?;
        // Each message's sort values once, not once per comparison.
        let mut keyed: Vec<_> = hits
            .into_iter()
            .map(|m| (search::sort_values(keys, &m), m))
            .collect();
        keyed.sort_by(|a, b| search::compare_values(keys, a, b));
        Ok(keyed.into_iter().map(|(_, m)| m.uid).collect())
    }

    fn matching(
        &self,
        account: &str,
        mailbox: &MailboxName,
        key: &SearchKey,
        view: Option<&SessionView>,
    ) -> Result<Vec<Message>> {
        // Copy the metadata out so that slow body reads hold no lock.
        let msgs = self.messages(account, mailbox, &UidSet::all())?;
        let failed = std::cell::RefCell::new(None);
        let read = |m: &Message, p: Part| {
            self.read_part(m, p).unwrap_or_else(|e| {
                failed.borrow_mut().get_or_insert(e);
                Vec::new()
            })
        };
        let seq_of = |uid: u32| view.and_then(|v| v.seq_of(uid));
        let is_recent = |uid: u32| view.is_some_and(|v| v.is_recent(uid));
        let cx = Ctx {
            max_uid: msgs.last().map_or(0, |m| m.uid),
            max_seq: view.map_or(0, SessionView::len),
            seq_of: &seq_of,
            is_recent: &is_recent,
            now: self.now(),
            read: &read,
        };
        let hits: Vec<Message> = msgs.into_iter().filter(|m| key.matches(m, &cx)).collect();
        match failed.into_inner() {
            Some(e) => Err(e),
            None => Ok(hits),
        }
    }

    /// Opens a mailbox for a session: a view of its current UIDs and a
    /// change feed that starts exactly after them.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`].
    pub fn open_session(&self, account: &str, mailbox: &MailboxName) -> Result<Session> {
        self.session(account, mailbox, true)
    }

    /// Opens a mailbox read-only (EXAMINE): as [`Store::open_session`],
    /// but the session claims no `\Recent` messages, so they stay
    /// recent for the next read-write session.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoMailbox`].
    pub fn open_session_read_only(&self, account: &str, mailbox: &MailboxName) -> Result<Session> {
        self.session(account, mailbox, false)
    }

    fn session(&self, account: &str, mailbox: &MailboxName, claims: bool) -> Result<Session> {
        let mut g = self.lock();
        let mb = mbox(acc(&g, account)?, mailbox)?;
        let uids: Vec<u32> = mb.messages.iter().map(|m| m.uid).collect();
        let recent = if claims {
            let from = uids.partition_point(|&u| u < mb.recent_from);
            uids[from..].to_vec()
        } else {
            Vec::new()
        };
        let view = SessionView::with_recent(uids, recent);
        let uidvalidity = mb.uidvalidity;
        if claims {
            let next = mb.uidnext;
            let mb = g
                .state
                .accounts
                .get_mut(account)
                .and_then(|a| a.mailboxes.get_mut(mailbox.as_str()))
                .expect("looked up above");
            mb.recent_from = next;
            g.recent_dirty = true;
        }
        let (tx, rx) = channel();
        g.feeds
            .entry((account.to_owned(), mailbox.to_string()))
            .or_default()
            .push((tx, claims));
        Ok(Session {
            view,
            changes: rx,
            uidvalidity,
        })
    }

    // ---- sieve ----

    /// Stores (or replaces) a Sieve script.
    ///
    /// # Errors
    ///
    /// [`StoreError::BadScriptName`], [`StoreError::NoAccount`],
    /// [`StoreError::TooLarge`], I/O.
    pub fn put_script(&self, account: &str, name: &str, script: &[u8]) -> Result<()> {
        valid_script_name(name)?;
        self.check_size(script.len())?;
        let g = self.lock();
        acc(&g, account)?;
        let rec = Record::PutScript {
            account: account.to_owned(),
            name: name.to_owned(),
            script: script.to_vec(),
        };
        self.commit(g, &[(rec, None)])
    }

    /// Deletes a Sieve script. The active script cannot be deleted
    /// (RFC 5804); deactivate it first.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoScript`], [`StoreError::ScriptActive`], I/O.
    pub fn delete_script(&self, account: &str, name: &str) -> Result<()> {
        let g = self.lock();
        let a = acc(&g, account)?;
        if !a.scripts.contains_key(name) {
            return Err(StoreError::NoScript(name.to_owned()));
        }
        if a.active_script.as_deref() == Some(name) {
            return Err(StoreError::ScriptActive(name.to_owned()));
        }
        let rec = Record::DeleteScript {
            account: account.to_owned(),
            name: name.to_owned(),
        };
        self.commit(g, &[(rec, None)])
    }

    /// Renames a Sieve script (RFC 5804 RENAMESCRIPT); an active script
    /// stays active under its new name, at every moment of a crash.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoScript`], [`StoreError::ScriptExists`],
    /// [`StoreError::BadScriptName`], I/O.
    pub fn rename_script(&self, account: &str, from: &str, to: &str) -> Result<()> {
        valid_script_name(to)?;
        let g = self.lock();
        let a = acc(&g, account)?;
        let script = a
            .scripts
            .get(from)
            .ok_or_else(|| StoreError::NoScript(from.to_owned()))?;
        if a.scripts.contains_key(to) {
            return Err(StoreError::ScriptExists(to.to_owned()));
        }
        let active = a.active_script.as_deref() == Some(from);
        // New copy, then (if active) the switch, then the old one goes:
        // a torn tail leaves at worst both, the right one active.
        let mut recs = vec![(
            Record::PutScript {
                account: account.to_owned(),
                name: to.to_owned(),
                script: script.clone(),
            },
            None,
        )];
        if active {
            recs.push((
                Record::ActivateScript {
                    account: account.to_owned(),
                    name: Some(to.to_owned()),
                },
                None,
            ));
        }
        recs.push((
            Record::DeleteScript {
                account: account.to_owned(),
                name: from.to_owned(),
            },
            None,
        ));
        self.commit(g, &recs)
    }

    /// Makes a script the active one, or deactivates all with `None`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoScript`], I/O.
    pub fn activate_script(&self, account: &str, name: Option<&str>) -> Result<()> {
        let g = self.lock();
        let a = acc(&g, account)?;
        if let Some(n) = name
            && !a.scripts.contains_key(n)
        {
            return Err(StoreError::NoScript(n.to_owned()));
        }
        let rec = Record::ActivateScript {
            account: account.to_owned(),
            name: name.map(str::to_owned),
        };
        self.commit(g, &[(rec, None)])
    }

    /// Script names with whether each is active.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`].
    pub fn scripts(&self, account: &str) -> Result<Vec<(String, bool)>> {
        let g = self.lock();
        let a = acc(&g, account)?;
        Ok(a.scripts
            .keys()
            .map(|k| (k.clone(), a.active_script.as_deref() == Some(k)))
            .collect())
    }

    /// One script's source.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoScript`].
    pub fn script(&self, account: &str, name: &str) -> Result<Vec<u8>> {
        let g = self.lock();
        acc(&g, account)?
            .scripts
            .get(name)
            .cloned()
            .ok_or_else(|| StoreError::NoScript(name.to_owned()))
    }

    /// The active script's name and source.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`].
    pub fn active_script(&self, account: &str) -> Result<Option<(String, Vec<u8>)>> {
        let g = self.lock();
        let a = acc(&g, account)?;
        Ok(a.active_script
            .as_ref()
            .and_then(|n| a.scripts.get(n).map(|s| (n.clone(), s.clone()))))
    }

    /// Records Sieve state (a vacation reply sent, a duplicate seen)
    /// that lasts until `expires` (Unix seconds). Keys are at most 4096
    /// bytes.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`], [`StoreError::TooLarge`], I/O.
    pub fn set_mark(&self, account: &str, kind: MarkKind, key: &str, expires: i64) -> Result<()> {
        check_mark_key(key)?;
        let g = self.lock();
        acc(&g, account)?;
        let rec = Record::Mark {
            account: account.to_owned(),
            kind: kind.code(),
            key: key.to_owned(),
            expires,
        };
        self.commit(g, &[(rec, None)])
    }

    /// The `duplicate` test of RFC 7352 in one step: whether the mark
    /// exists and has not expired at `now`; when it does not, it is
    /// recorded until `expires`. Concurrent deliveries of one message
    /// see exactly one `false`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`], [`StoreError::TooLarge`], I/O.
    pub fn test_and_set_mark(
        &self,
        account: &str,
        kind: MarkKind,
        key: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool> {
        check_mark_key(key)?;
        let g = self.lock();
        let a = acc(&g, account)?;
        if a.marks
            .get(&(kind.code(), key.to_owned()))
            .is_some_and(|&exp| exp > now)
        {
            return Ok(true);
        }
        let rec = Record::Mark {
            account: account.to_owned(),
            kind: kind.code(),
            key: key.to_owned(),
            expires,
        };
        self.commit(g, &[(rec, None)])?;
        Ok(false)
    }

    /// Whether a mark exists and has not expired at `now`.
    ///
    /// # Errors
    ///
    /// [`StoreError::NoAccount`].
    pub fn has_mark(&self, account: &str, kind: MarkKind, key: &str, now: i64) -> Result<bool> {
        let g = self.lock();
        let a = acc(&g, account)?;
        Ok(a.marks
            .get(&(kind.code(), key.to_owned()))
            .is_some_and(|&exp| exp > now))
    }

    // ---- maintenance ----

    /// Checks every invariant and reads back every message body.
    ///
    /// # Errors
    ///
    /// Only if the store is poisoned; problems found are in the report.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        let mut all = Vec::new();
        let (len, records) = {
            let g = self.lock();
            (g.len, g.cover.records)
        };
        // Every record's checksum, also those a checkpoint let the open
        // skip; records never change once written, so no lock is held.
        let mut seen = 0u64;
        let mut last_end = journal::MAGIC.len() as u64;
        match journal::scan_range(&*self.sh.dev, 0, Some(len), |at, p, _| {
            seen += 1;
            last_end = at + p.len() as u64;
            Ok(())
        }) {
            Ok(ScanEnd::Clean) if seen == records && last_end == len => {}
            Ok(ScanEnd::Clean) => report.problems.push(format!(
                "journal holds {seen} records up to byte {last_end}, the index {records} up to {len}"
            )),
            Ok(ScanEnd::Torn { at, reason }) => report
                .problems
                .push(format!("journal record at byte {at}: {reason}")),
            Err(e) => report.problems.push(format!("reading the journal: {e}")),
        }
        {
            let g = self.lock();
            if let Some(p) = &g.poisoned {
                return Err(StoreError::Poisoned(p.clone()));
            }
            for (an, a) in &g.state.accounts {
                report.accounts += 1;
                let (mut n, mut bytes) = (0, 0);
                for (mn, mb) in &a.mailboxes {
                    report.mailboxes += 1;
                    if MailboxName::new(mn).is_err() {
                        report
                            .problems
                            .push(format!("{an}: invalid mailbox name {mn:?}"));
                    }
                    let mut last = 0;
                    for m in &mb.messages {
                        if m.uid <= last || m.uid >= mb.uidnext {
                            report.problems.push(format!(
                                "{an}/{mn}: uid {} out of order or >= uidnext",
                                m.uid
                            ));
                        }
                        if m.modseq > mb.highest_modseq {
                            report
                                .problems
                                .push(format!("{an}/{mn}: uid {} modseq above highest", m.uid));
                        }
                        if m.blob.offset + m.blob.len > g.len {
                            report
                                .problems
                                .push(format!("{an}/{mn}: uid {} body beyond journal end", m.uid));
                        }
                        last = m.uid;
                        n += 1;
                        bytes += m.blob.len;
                        all.push((format!("{an}/{mn}"), m.clone()));
                    }
                }
                if n != a.messages || bytes != a.bytes {
                    report.problems.push(format!(
                        "{an}: usage counters {}/{} differ from contents {n}/{bytes}",
                        a.messages, a.bytes
                    ));
                }
            }
        }
        for (where_, m) in all {
            match self.read(&m) {
                Ok(raw) => {
                    report.messages += 1;
                    if HeaderCache::compute(&raw) != *m.cache() {
                        report.problems.push(format!(
                            "{where_}: uid {} header cache differs from body",
                            m.uid
                        ));
                    }
                }
                Err(e) => report
                    .problems
                    .push(format!("{where_}: uid {}: {e}", m.uid)),
            }
        }
        Ok(report)
    }
}

/// Records creating the missing parents of `name`, with UIDVALIDITY
/// values from `v` on.
fn parents(
    a: &Account,
    account: &str,
    name: &MailboxName,
    v: &mut u32,
) -> Vec<(Record, Option<&'static [u8]>)> {
    let mut recs = Vec::new();
    for (end, _) in name.as_str().match_indices('/') {
        let parent = &name.as_str()[..end];
        if !a.mailboxes.contains_key(parent) {
            recs.push((
                Record::CreateMailbox {
                    account: account.to_owned(),
                    name: parent.to_owned(),
                    uidvalidity: *v,
                    special_use: 0,
                },
                None,
            ));
            *v += 1;
        }
    }
    recs
}

fn check_mark_key(key: &str) -> Result<()> {
    if key.len() > 4096 {
        return Err(StoreError::TooLarge {
            size: key.len() as u64,
            limit: 4096,
        });
    }
    Ok(())
}

fn valid_script_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(StoreError::BadScriptName(name.to_owned()));
    }
    Ok(())
}

fn acc<'a>(g: &'a Inner, account: &str) -> Result<&'a Account> {
    g.state
        .accounts
        .get(account)
        .ok_or_else(|| StoreError::NoAccount(account.to_owned()))
}

fn mbox<'a>(a: &'a Account, name: &MailboxName) -> Result<&'a Mailbox> {
    a.mailboxes
        .get(name.as_str())
        .ok_or_else(|| StoreError::NoMailbox(name.to_string()))
}

/// Messages whose UID is in the set; `*` means the highest UID.
fn select<'a>(mb: &'a Mailbox, set: &UidSet) -> Vec<&'a Message> {
    let max = mb.messages.last().map_or(0, |m| m.uid);
    let mut out: Vec<&Message> = Vec::new();
    for &(lo, hi) in set.ranges() {
        let fix = |x: u32| if x == u32::MAX { max } else { x };
        let (a, b) = (fix(lo), fix(hi));
        let (a, b) = (a.min(b), a.max(b));
        let start = mb.messages.partition_point(|m| m.uid < a);
        out.extend(mb.messages[start..].iter().take_while(|m| m.uid <= b));
    }
    if set.ranges().len() > 1 {
        out.sort_by_key(|m| m.uid);
        out.dedup_by_key(|m| m.uid);
    }
    out
}

fn check_quota(account: &str, a: &Account, bytes: u64, count: u64) -> Result<()> {
    if let Some(max) = a.quota.max_bytes
        && a.bytes + bytes > max
    {
        return Err(StoreError::OverQuota {
            account: account.to_owned(),
            what: format!("{} + {bytes} bytes exceeds the limit of {max}", a.bytes),
        });
    }
    if let Some(max) = a.quota.max_messages
        && a.messages + count > max
    {
        return Err(StoreError::OverQuota {
            account: account.to_owned(),
            what: format!(
                "{} + {count} messages exceeds the limit of {max}",
                a.messages
            ),
        });
    }
    Ok(())
}

fn notify(g: &mut Inner, events: crate::model::Events) {
    for (account, mailbox, change) in events {
        let key = (account, mailbox);
        let gone = change == Change::Gone;
        let Some(subs) = g.feeds.get_mut(&key) else {
            continue;
        };
        // A new message is `\Recent` in the first read-write session
        // that hears of it, and in no other.
        let mut claimed = false;
        subs.retain(|(tx, claims)| {
            let mut c = change.clone();
            if let Change::Appended { recent, .. } = &mut c
                && *claims
                && !claimed
            {
                *recent = true;
            }
            let ok = tx.send(c).is_ok();
            claimed |= ok && *claims;
            ok
        });
        if subs.is_empty() || gone {
            g.feeds.remove(&key);
        }
        if let Change::Appended { uid, .. } = change
            && claimed
            && let Some(mb) = g
                .state
                .accounts
                .get_mut(&key.0)
                .and_then(|a| a.mailboxes.get_mut(&key.1))
        {
            mb.recent_from = mb.recent_from.max(uid + 1);
            g.recent_dirty = true;
        }
    }
}

/// How a replay of the journal ended.
enum Replay {
    Clean,
    /// A torn or corrupt record starts at `at`.
    Torn {
        at: u64,
        reason: &'static str,
    },
    /// The complete record at `at` cannot be applied.
    Unappliable {
        at: u64,
        reason: &'static str,
    },
}

/// Applies the records from `cover.len` on (up to `end`) to `state`.
fn replay(
    dev: &dyn Device,
    state: &mut State,
    cover: &mut Cover,
    replayed: &mut u64,
    end: Option<u64>,
) -> Result<Replay> {
    let mut bad = None;
    let scanned = journal::scan_range(dev, cover.len, end, |at, payload, crc| {
        let applied = Record::decode(payload)
            .map_err(|e| e.0)
            .and_then(|rec| state.apply(&rec, at, payload.len() as u64));
        if let Err(reason) = applied {
            bad = Some((at - 8, reason));
            return Err(StoreError::Corrupt {
                offset: at,
                reason: reason.to_owned(),
            });
        }
        *replayed += 1;
        *cover = Cover {
            len: at + payload.len() as u64,
            last_frame: at - 8,
            last_crc: crc,
            records: cover.records + 1,
        };
        Ok(())
    });
    match (scanned, bad) {
        (Err(_), Some((at, reason))) => Ok(Replay::Unappliable { at, reason }),
        (Err(e), None) => Err(e),
        (Ok(ScanEnd::Clean), _) => Ok(Replay::Clean),
        (Ok(ScanEnd::Torn { at, reason }), _) => Ok(Replay::Torn { at, reason }),
    }
}

/// A mailbox and the highest UID and modseq that records set aside used.
type Floor = (String, String, u32, u64);

/// Reads the records that follow a damaged one (when its length field
/// still leads to a valid record) and collects the UIDs and modseqs they
/// used, per mailbox.
fn uid_floors(dev: &dyn Device, at: u64, len: u64) -> (u64, Vec<Floor>) {
    let mut head = [0u8; 8];
    if len - at < 8 || dev.read_at(&mut head, at).is_err() {
        return (0, Vec::new());
    }
    let n = u64::from(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
    let next = at + 8 + n;
    if n == 0 || next > len {
        return (0, Vec::new());
    }
    let mut max: HashMap<(String, String), (u32, u64)> = HashMap::new();
    let mut count = 0;
    let mut note = |a: &str, m: &str, uid: u32, modseq: u64| {
        let e = max.entry((a.to_owned(), m.to_owned())).or_default();
        *e = (e.0.max(uid), e.1.max(modseq));
    };
    let _ = journal::scan_range(dev, next, Some(len), |_, payload, _| {
        count += 1;
        match Record::decode(payload) {
            Ok(Record::Append { targets, .. }) => {
                for t in &targets {
                    note(&t.account, &t.mailbox, t.uid, t.modseq);
                }
            }
            Ok(Record::Copy {
                account,
                to,
                pairs,
                modseq,
                ..
            }) => {
                if let Some(&(_, uid)) = pairs.last() {
                    note(&account, &to, uid, modseq);
                }
            }
            _ => {}
        }
        Ok(())
    });
    let mut floors: Vec<Floor> = max
        .into_iter()
        .map(|((a, m), (u, s))| (a, m, u, s))
        .collect();
    floors.sort();
    (count, floors)
}

/// Copies the journal from `at` to its end into `path`, all of it (the
/// tail may hold acknowledged records after a damaged one), and makes
/// the copy durable before the caller cuts the journal.
fn save_tail(dev: &dyn Device, at: u64, len: u64, path: &Path) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = File::create(path)?;
    let mut buf = vec![0; (len - at).min(1 << 20) as usize];
    let mut pos = at;
    while pos < len {
        let n = (len - pos).min(buf.len() as u64) as usize;
        dev.read_at(&mut buf[..n], pos)?;
        f.write_all(&buf[..n])?;
        pos += n as u64;
    }
    f.sync_all()?;
    drop(f);
    match path.parent() {
        Some(dir) => journal::sync_dir(dir),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Date;
    use std::sync::atomic::Ordering;

    fn opts() -> StoreOptions {
        StoreOptions {
            clock: || 1_700_000_000,
            ..StoreOptions::default()
        }
    }

    fn name(s: &str) -> MailboxName {
        MailboxName::new(s).unwrap()
    }

    fn msg(i: u32) -> Vec<u8> {
        format!(
            "From: user{i}@example.org\r\nTo: ann@example.org\r\nSubject: note {i}\r\n\
             Date: Mon, 6 Nov 2023 10:00:00 +0000\r\nX-Tag: t{}\r\n\r\nbody number {i}\r\n",
            i % 3
        )
        .into_bytes()
    }

    fn mem_store() -> (Arc<MemDevice>, Store) {
        let dev = Arc::new(MemDevice::new());
        let s = Store::with_device(Box::new(dev.clone()), opts()).unwrap();
        s.create_account("ann").unwrap();
        (dev, s)
    }

    fn reopen(dev: &MemDevice) -> Store {
        let copy = MemDevice::new();
        *copy.data.lock().unwrap() = dev.data.lock().unwrap().clone();
        Store::with_device(Box::new(copy), opts()).unwrap()
    }

    #[test]
    fn append_copy_move_expunge() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        let arch = name("Archive/2023");
        s.create_mailbox("ann", &arch, SpecialUse::parse(&["\\Archive"]).unwrap())
            .unwrap();
        // The parent was created implicitly.
        assert!(s.status("ann", &name("Archive")).is_ok());
        for i in 1..=5 {
            let u = s
                .append("ann", &inbox, &msg(i), &Flags::new(), None)
                .unwrap();
            assert_eq!(u.uid, i);
        }
        let c = s
            .copy("ann", &inbox, &UidSet::parse("2:3").unwrap(), &arch)
            .unwrap();
        assert_eq!(c.pairs, vec![(2, 1), (3, 2)]);
        let m = s
            .move_messages("ann", &inbox, &UidSet::parse("4,*").unwrap(), &arch)
            .unwrap();
        assert_eq!(m.pairs, vec![(4, 3), (5, 4)]);
        assert_eq!(s.status("ann", &inbox).unwrap().messages, 3);
        assert_eq!(s.vanished_since("ann", &inbox, 0).unwrap(), vec![4, 5]);
        let deleted = Flags::parse(&["\\Deleted"]).unwrap();
        s.store_flags("ann", &inbox, &UidSet::all(), FlagOp::Add, &deleted, None)
            .unwrap();
        let gone = s
            .expunge("ann", &inbox, Some(&UidSet::range(1, 2)))
            .unwrap();
        assert_eq!(gone, vec![1, 2]);
        let st = s.status("ann", &inbox).unwrap();
        assert_eq!((st.messages, st.uidnext, st.deleted), (1, 6, 1));
        let q = s.quota("ann").unwrap();
        assert_eq!(q.messages, 5);
        // Copies share bodies and read back intact.
        let copied = s.messages("ann", &arch, &UidSet::all()).unwrap();
        assert_eq!(s.read(&copied[0]).unwrap(), msg(2));
        assert_eq!(copied[3].cache().subject(), "note 5");
        // Replay reproduces everything.
        let r = reopen(&dev);
        for mb in [&inbox, &arch] {
            // Without a checkpoint nothing is \Recent after a reopen.
            let mut want = s.status("ann", mb).unwrap();
            want.recent = 0;
            assert_eq!(r.status("ann", mb).unwrap(), want);
        }
        assert_eq!(r.quota("ann").unwrap(), q);
        assert!(r.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn flags_and_unchanged_since() {
        let (_, s) = mem_store();
        let inbox = name("INBOX");
        for i in 1..=3 {
            s.append("ann", &inbox, &msg(i), &Flags::new(), None)
                .unwrap();
        }
        let seen = Flags::parse(&["\\Seen"]).unwrap();
        let out = s
            .store_flags(
                "ann",
                &inbox,
                &UidSet::from_uids([1]),
                FlagOp::Add,
                &seen,
                None,
            )
            .unwrap();
        let ms = out.changed[0].1;
        assert_eq!(s.status("ann", &inbox).unwrap().highest_modseq, ms);
        let out = s
            .store_flags(
                "ann",
                &inbox,
                &UidSet::all(),
                FlagOp::Replace,
                &seen,
                Some(ms - 1),
            )
            .unwrap();
        assert_eq!(out.modified, vec![1]);
        assert_eq!(
            out.changed.iter().map(|c| c.0).collect::<Vec<_>>(),
            vec![2, 3]
        );
        // Storing what is already there changes nothing.
        let out = s
            .store_flags("ann", &inbox, &UidSet::all(), FlagOp::Add, &seen, None)
            .unwrap();
        assert!(out.changed.is_empty());
    }

    #[test]
    fn search_keys() {
        let (_, s) = mem_store();
        let inbox = name("INBOX");
        for i in 1..=6 {
            let f = if i % 2 == 0 {
                Flags::parse(&["\\Seen", "$Work"]).unwrap()
            } else {
                Flags::new()
            };
            s.append("ann", &inbox, &msg(i), &f, Some(86_400 * i64::from(i)))
                .unwrap();
        }
        let view = s.open_session("ann", &inbox).unwrap().view().clone();
        let k = |t: &str| t.to_owned();
        let d = |day: i64| Date::of_timestamp(86_400 * day);
        let table: Vec<(SearchKey, Vec<u32>)> = vec![
            (SearchKey::All, vec![1, 2, 3, 4, 5, 6]),
            (SearchKey::Seen, vec![2, 4, 6]),
            (SearchKey::Unseen, vec![1, 3, 5]),
            (SearchKey::Keyword(k("$work")), vec![2, 4, 6]),
            (SearchKey::From(k("USER3@")), vec![3]),
            (SearchKey::Subject(k("note 5")), vec![5]),
            (SearchKey::Header(k("x-tag"), k("t1")), vec![1, 4]),
            (SearchKey::Header(k("x-missing"), k("")), vec![]),
            (SearchKey::Header(k("x-tag"), k("")), vec![1, 2, 3, 4, 5, 6]),
            (SearchKey::Body(k("NUMBER 2")), vec![2]),
            (SearchKey::Text(k("ann@example")), vec![1, 2, 3, 4, 5, 6]),
            (SearchKey::Before(d(3)), vec![1, 2]),
            (SearchKey::On(d(3)), vec![3]),
            (SearchKey::Since(d(5)), vec![5, 6]),
            (
                SearchKey::SentOn(Date::from_ymd(2023, 11, 6).unwrap()),
                vec![1, 2, 3, 4, 5, 6],
            ),
            (
                SearchKey::SentBefore(Date::from_ymd(2023, 11, 6).unwrap()),
                vec![],
            ),
            (
                SearchKey::SaveDateSince(Date::from_ymd(2023, 11, 14).unwrap()),
                vec![1, 2, 3, 4, 5, 6],
            ),
            (SearchKey::SaveDateSupported, vec![1, 2, 3, 4, 5, 6]),
            (SearchKey::Larger(10_000), vec![]),
            (
                SearchKey::Uid(UidSet::parse("2,5:*").unwrap()),
                vec![2, 5, 6],
            ),
            (SearchKey::Seq(UidSet::parse("*").unwrap()), vec![6]),
            (SearchKey::ModSeq(6), vec![5, 6]),
            (SearchKey::Not(Box::new(SearchKey::Seen)), vec![1, 3, 5]),
            (
                SearchKey::Or(
                    Box::new(SearchKey::Uid(UidSet::from_uids([1]))),
                    Box::new(SearchKey::On(d(6))),
                ),
                vec![1, 6],
            ),
            (
                SearchKey::And(vec![SearchKey::Seen, SearchKey::Since(d(4))]),
                vec![4, 6],
            ),
        ];
        for (key, want) in table {
            assert_eq!(
                s.search("ann", &inbox, &key, Some(&view)).unwrap(),
                want,
                "{key:?}"
            );
        }
        let sorted = s
            .sort(
                "ann",
                &inbox,
                &[SortKey::desc(SortBy::Arrival)],
                &SearchKey::Seen,
                None,
            )
            .unwrap();
        assert_eq!(sorted, vec![6, 4, 2]);
        let sorted = s
            .sort(
                "ann",
                &inbox,
                &[SortKey::asc(SortBy::From)],
                &SearchKey::All,
                None,
            )
            .unwrap();
        assert_eq!(sorted, vec![1, 2, 3, 4, 5, 6]);
    }

    use crate::search::{SortBy, SortKey};
    #[test]
    fn sort_keys_and_ties() {
        let (_, s) = mem_store();
        let inbox = name("INBOX");
        let msgs: [&[u8]; 4] = [
            b"From: =?utf-8?q?=C3=84rger?= <z@x>\r\nSubject: Re: beta\r\n\r\n1\r\n",
            b"From: \"Bob\" <a@x>\r\nSubject: alpha\r\nDate: Mon, 6 Nov 2023 10:00:00 +0000\r\n\r\n22\r\n",
            b"From: carl@x\r\nSubject: [list] Fwd: beta\r\n\r\n333\r\n",
            b"From: \"Bob\" <b@x>\r\nSubject: gamma\r\n\r\n4444\r\n",
        ];
        for (i, m) in msgs.iter().enumerate() {
            s.append(
                "ann",
                &inbox,
                m,
                &Flags::new(),
                Some(1_700_000_000 - i as i64),
            )
            .unwrap();
        }
        let sort = |keys: &[SortKey]| s.sort("ann", &inbox, keys, &SearchKey::All, None).unwrap();
        // Equal base subjects keep UID order.
        assert_eq!(sort(&[SortKey::asc(SortBy::Subject)]), vec![2, 1, 3, 4]);
        let mut by_size: Vec<(usize, u32)> = msgs
            .iter()
            .enumerate()
            .map(|(i, m)| (m.len(), i as u32 + 1))
            .collect();
        by_size.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let want: Vec<u32> = by_size.iter().map(|x| x.1).collect();
        assert_eq!(sort(&[SortKey::desc(SortBy::Size)]), want);
        assert_eq!(sort(&[SortKey::asc(SortBy::Arrival)]), vec![4, 3, 2, 1]);
        // DATE falls back to INTERNALDATE; message 2's Date is oldest.
        assert_eq!(sort(&[SortKey::asc(SortBy::Date)]), vec![2, 4, 3, 1]);
        // DISPLAYFROM decodes the name: "bob", "bob", "carl", "ärger".
        assert_eq!(sort(&[SortKey::asc(SortBy::DisplayFrom)]), vec![2, 4, 3, 1]);
        assert_eq!(
            sort(&[
                SortKey::asc(SortBy::DisplayFrom),
                SortKey::asc(SortBy::Arrival)
            ]),
            vec![4, 2, 3, 1]
        );
    }

    #[test]
    fn search_sees_decoded_text() {
        let (_, s) = mem_store();
        let inbox = name("INBOX");
        let msgs: [&[u8]; 4] = [
            // base64 body
            b"Subject: a\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gV29ybGQsIGNhZsOpIQ==\r\n",
            // quoted-printable with a soft line break and Latin-1
            b"Subject: b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\
              Content-Transfer-Encoding: quoted-printable\r\n\r\nStra=DFe und Wegwei=\r\nser\r\n",
            // encoded words in From and another header, multipart with base64
            b"From: =?utf-8?q?J=C3=BCrgen?= <j@x.org>\r\nX-Note: =?utf-8?b?R3LDvMOfZQ==?=\r\n\
              Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
              --b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n\
              YXR0YWNoZWQgbm90ZQ==\r\n--b--\r\n",
            // plain: the raw text is enough
            b"Subject: d\r\n\r\nplain words\r\n",
        ];
        for m in msgs {
            s.append("ann", &inbox, m, &Flags::new(), None).unwrap();
        }
        let k = |x: &str| x.to_owned();
        for (key, want) in [
            (SearchKey::Body(k("hello world")), vec![1]),
            (SearchKey::Body(k("CAFÉ")), vec![1]),
            (SearchKey::Body(k("straße")), vec![2]),
            (SearchKey::Body(k("wegweiser")), vec![2]),
            (SearchKey::Body(k("attached note")), vec![3]),
            (SearchKey::Body(k("plain words")), vec![4]),
            (SearchKey::From(k("jürgen")), vec![3]),
            (SearchKey::From(k("j@x.org")), vec![3]),
            (SearchKey::Header(k("X-Note"), k("grüße")), vec![3]),
            (SearchKey::Text(k("GRÜSSE")), vec![]),
            (SearchKey::Text(k("grüße")), vec![3]),
            (SearchKey::Text(k("attached")), vec![3]),
            (SearchKey::Subject(k("grüße")), vec![3]),
        ] {
            assert_eq!(
                s.search("ann", &inbox, &key, None).unwrap(),
                want,
                "{key:?}"
            );
        }
    }

    #[test]
    fn sessions_follow_changes() {
        let (_, s) = mem_store();
        let inbox = name("INBOX");
        s.append("ann", &inbox, &msg(1), &Flags::new(), None)
            .unwrap();
        let mut sess = s.open_session("ann", &inbox).unwrap();
        assert_eq!(sess.view().len(), 1);
        s.append("ann", &inbox, &msg(2), &Flags::new(), None)
            .unwrap();
        let del = Flags::parse(&["\\Deleted"]).unwrap();
        s.store_flags(
            "ann",
            &inbox,
            &UidSet::from_uids([1]),
            FlagOp::Add,
            &del,
            None,
        )
        .unwrap();
        s.expunge("ann", &inbox, None).unwrap();
        let ups = sess.poll();
        assert_eq!(ups.len(), 3, "{ups:?}");
        assert_eq!(ups[0], crate::ViewUpdate::Exists(2));
        assert_eq!(ups[2], crate::ViewUpdate::Expunge(1));
        assert_eq!(sess.view().uids(), &[2]);
    }

    #[test]
    fn deliver_stores_body_once() {
        let (dev, s) = mem_store();
        s.create_account("bob").unwrap();
        s.set_quota(
            "bob",
            Quota {
                max_bytes: None,
                max_messages: Some(0),
            },
        )
        .unwrap();
        let inbox = name("INBOX");
        let before = s.journal_len();
        let raw = vec![b'x'; 10_000];
        let rcpts = [
            Delivery {
                account: "ann",
                mailbox: &inbox,
                flags: Flags::new(),
            },
            Delivery {
                account: "bob",
                mailbox: &inbox,
                flags: Flags::new(),
            },
            Delivery {
                account: "nobody",
                mailbox: &inbox,
                flags: Flags::new(),
            },
            Delivery {
                account: "ann",
                mailbox: &inbox,
                flags: Flags::new(),
            },
        ];
        let res = s.deliver(&raw, &rcpts, None).unwrap();
        assert_eq!(res[0].as_ref().unwrap().uid, 1);
        assert!(matches!(res[1], Err(StoreError::OverQuota { .. })));
        assert!(matches!(res[2], Err(StoreError::NoAccount(_))));
        assert_eq!(res[3].as_ref().unwrap().uid, 2);
        assert!(s.journal_len() - before < 11_000);
        let r = reopen(&dev);
        assert_eq!(r.status("ann", &inbox).unwrap().messages, 2);
    }

    #[test]
    fn bad_input_is_refused_cleanly() {
        let (_, s) = mem_store();
        let inbox = name("INBOX");
        let small = Store::with_device(
            Box::new(MemDevice::new()),
            StoreOptions {
                max_message_size: 10,
                ..opts()
            },
        )
        .unwrap();
        small.create_account("a").unwrap();
        assert!(matches!(
            small.append("a", &inbox, &[b'x'; 11], &Flags::new(), None),
            Err(StoreError::TooLarge {
                size: 11,
                limit: 10
            })
        ));
        assert!(matches!(
            s.create_account("a/b"),
            Err(StoreError::BadAccount(_))
        ));
        assert!(matches!(
            s.create_account("ann"),
            Err(StoreError::AccountExists(_))
        ));
        assert!(matches!(
            s.delete_mailbox("ann", &inbox),
            Err(StoreError::Inbox(_))
        ));
        assert!(matches!(
            s.append("ann", &name("Nope"), b"x", &Flags::new(), None),
            Err(StoreError::NoMailbox(_))
        ));
        s.create_mailbox("ann", &name("A"), SpecialUse::NONE)
            .unwrap();
        assert!(matches!(
            s.rename_mailbox("ann", &name("A"), &name("A/B")),
            Err(StoreError::MailboxExists(_))
        ));
        assert!(matches!(
            s.activate_script("ann", Some("x")),
            Err(StoreError::NoScript(_))
        ));
    }

    #[test]
    fn full_disk_loses_nothing() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        s.append("ann", &inbox, &msg(1), &Flags::new(), None)
            .unwrap();
        let len = s.journal_len();
        *dev.limit.lock().unwrap() = Some(len + 50);
        let err = s
            .append("ann", &inbox, &msg(2), &Flags::new(), None)
            .unwrap_err();
        assert!(matches!(err, StoreError::DiskFull { .. }), "{err}");
        // The partial write was taken back; state and journal agree.
        assert_eq!(s.journal_len(), len);
        assert_eq!(dev.len().unwrap(), len);
        assert_eq!(s.status("ann", &inbox).unwrap().messages, 1);
        *dev.limit.lock().unwrap() = None;
        let u = s
            .append("ann", &inbox, &msg(2), &Flags::new(), None)
            .unwrap();
        assert_eq!(u.uid, 2);
        assert_eq!(reopen(&dev).status("ann", &inbox).unwrap().messages, 2);
    }

    #[test]
    fn failed_sync_poisons() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        dev.fail_sync.store(true, Ordering::SeqCst);
        assert!(
            s.append("ann", &inbox, &msg(1), &Flags::new(), None)
                .is_err()
        );
        dev.fail_sync.store(false, Ordering::SeqCst);
        assert!(matches!(
            s.append("ann", &inbox, &msg(2), &Flags::new(), None),
            Err(StoreError::Poisoned(_))
        ));
    }

    #[test]
    fn torn_tail_at_every_offset() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        s.append("ann", &inbox, &msg(1), &Flags::new(), None)
            .unwrap();
        let good = s.journal_len();
        s.append("ann", &inbox, &msg(2), &Flags::new(), None)
            .unwrap();
        let full = dev.data.lock().unwrap().clone();
        for cut in good..full.len() as u64 {
            let d = MemDevice::new();
            *d.data.lock().unwrap() = full[..cut as usize].to_vec();
            let r = Store::with_device(Box::new(d), opts()).unwrap();
            assert_eq!(r.status("ann", &inbox).unwrap().messages, 1);
            assert_eq!(r.recovery().discarded_bytes, cut - good);
            // The next UID is still 2 (the lost one was never acknowledged).
            let u = r
                .append("ann", &inbox, &msg(3), &Flags::new(), None)
                .unwrap();
            assert_eq!(u.uid, 2);
        }
        // A flipped byte inside the last record is caught by the checksum.
        let mut bad = full.clone();
        let n = bad.len();
        bad[n - 3] ^= 1;
        let d = MemDevice::new();
        *d.data.lock().unwrap() = bad;
        let r = Store::with_device(Box::new(d), opts()).unwrap();
        assert_eq!(r.recovery().reason, Some("record checksum mismatch"));
    }

    #[test]
    fn uid_space_runs_out_cleanly() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        let other = name("Other");
        s.create_mailbox("ann", &other, SpecialUse::NONE).unwrap();
        s.append("ann", &other, &msg(1), &Flags::new(), None)
            .unwrap();
        for mb in [&inbox, &other] {
            let g = s.lock();
            let rec = Record::SetMailboxState {
                account: "ann".into(),
                mailbox: mb.to_string(),
                uidnext: u32::MAX - 2,
                highest_modseq: 100,
                vanished: Vec::new(),
                last_uidvalidity: 0,
            };
            s.commit(g, &[(rec, None)]).unwrap();
        }
        let au = s
            .append("ann", &inbox, &msg(1), &Flags::new(), None)
            .unwrap();
        assert_eq!(au.uid, u32::MAX - 2);
        let two = [
            NewMessage {
                raw: &msg(2),
                flags: Flags::new(),
                internal_date: None,
            },
            NewMessage {
                raw: &msg(3),
                flags: Flags::new(),
                internal_date: None,
            },
        ];
        assert!(matches!(
            s.append_batch("ann", &inbox, &two),
            Err(StoreError::UidsExhausted(_))
        ));
        let d = Delivery {
            account: "ann",
            mailbox: &inbox,
            flags: Flags::new(),
        };
        let res = s.deliver(&msg(4), &[d.clone(), d], None).unwrap();
        assert_eq!(res[0].as_ref().unwrap().uid, u32::MAX - 1);
        assert!(matches!(res[1], Err(StoreError::UidsExhausted(_))));
        assert!(matches!(
            s.copy("ann", &other, &UidSet::all(), &inbox),
            Err(StoreError::UidsExhausted(_))
        ));
        assert!(matches!(
            s.append("ann", &inbox, &msg(5), &Flags::new(), None),
            Err(StoreError::UidsExhausted(_))
        ));
        let r = reopen(&dev);
        assert_eq!(r.status("ann", &inbox).unwrap().uidnext, u32::MAX);
        assert!(r.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn torn_magic_starts_a_new_journal() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("journal"), &journal::MAGIC[..3]).unwrap();
        let s = Store::open(dir.path(), opts()).unwrap();
        s.create_account("x").unwrap();
        drop(s);
        assert_eq!(Store::open(dir.path(), opts()).unwrap().accounts(), ["x"]);
        std::fs::write(dir.path().join("journal"), b"garbage!").unwrap();
        std::fs::remove_file(dir.path().join("index")).unwrap();
        assert!(matches!(
            Store::open(dir.path(), opts()),
            Err(StoreError::Corrupt { .. })
        ));
    }

    fn framed(rec: &Record, body: Option<&[u8]>) -> Vec<u8> {
        let mut buf = vec![0; 8];
        rec.encode(&mut buf, body);
        journal::frame(&mut buf, 0);
        buf
    }

    fn append_rec(uid: u32) -> (Record, Vec<u8>) {
        let raw = msg(uid);
        let rec = Record::Append {
            internal_date: 1,
            save_date: 1,
            cache: HeaderCache::compute(&raw),
            targets: vec![Target {
                account: "ann".into(),
                mailbox: "INBOX".into(),
                uid,
                modseq: 50,
                flags: Flags::new(),
            }],
            body_len: raw.len() as u64,
        };
        (rec, raw)
    }

    #[test]
    fn damage_in_the_middle_never_reuses_uids() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        for i in 1..=3 {
            s.append("ann", &inbox, &msg(i), &Flags::new(), None)
                .unwrap();
        }
        let mut bytes = dev.data.lock().unwrap().clone();
        // A record whose payload took a bit flip, then two intact ones.
        let (r4, b4) = append_rec(4);
        let mut hurt = framed(&r4, Some(&b4));
        let n = hurt.len();
        hurt[n - 5] ^= 0x10;
        bytes.extend_from_slice(&hurt);
        for uid in [9, 12] {
            let (r, b) = append_rec(uid);
            bytes.extend_from_slice(&framed(&r, Some(&b)));
        }
        let d = MemDevice::new();
        *d.data.lock().unwrap() = bytes;
        let r = Store::with_device(Box::new(d), opts()).unwrap();
        let rec = r.recovery();
        assert_eq!(rec.reason, Some("record checksum mismatch"));
        assert_eq!(rec.records_set_aside, 2);
        let st = r.status("ann", &inbox).unwrap();
        assert_eq!(st.messages, 3);
        assert_eq!(st.uidnext, 13, "UIDs of set-aside records stay used");
        assert!(st.highest_modseq >= 50);
        let au = r
            .append("ann", &inbox, &msg(5), &Flags::new(), None)
            .unwrap();
        assert_eq!(au.uid, 13);
        assert!(r.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn a_long_torn_tail_is_saved_whole() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = name("INBOX");
        {
            let s = Store::open(dir.path(), opts()).unwrap();
            s.create_account("ann").unwrap();
            s.append("ann", &inbox, &msg(1), &Flags::new(), None)
                .unwrap();
        }
        let path = dir.path().join("journal");
        let good = std::fs::metadata(&path).unwrap().len();
        // A damaged record followed by 3 MiB of whatever came after it.
        let mut tail = vec![0xee; 3 << 20];
        tail[..4].copy_from_slice(&100u32.to_le_bytes());
        let f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, &tail, good).unwrap();
        let s = Store::open(dir.path(), opts()).unwrap();
        assert_eq!(s.recovery().discarded_bytes, tail.len() as u64);
        let saved = std::fs::read(dir.path().join(format!("journal.torn-{good}"))).unwrap();
        assert_eq!(saved, tail);
        assert_eq!(s.status("ann", &inbox).unwrap().messages, 1);
    }

    #[test]
    fn repair_cuts_a_record_that_cannot_be_applied() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        s.append("ann", &inbox, &msg(1), &Flags::new(), None)
            .unwrap();
        let mut bytes = dev.data.lock().unwrap().clone();
        // A checksummed record that does not fit the state (expunge of a
        // UID that does not exist), then a valid delivery.
        let bad = Record::Expunge {
            account: "ann".into(),
            mailbox: "INBOX".into(),
            modseq: 9,
            uids: vec![77],
        };
        let bad_at = bytes.len() as u64;
        bytes.extend_from_slice(&framed(&bad, None));
        let (r7, b7) = append_rec(7);
        bytes.extend_from_slice(&framed(&r7, Some(&b7)));
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("journal"), &bytes).unwrap();
        let err = Store::open(dir.path(), opts()).unwrap_err();
        assert!(err.to_string().contains("rampart store repair"), "{err}");
        let r = Store::open_repairing(dir.path(), opts()).unwrap();
        assert_eq!(
            r.recovery().reason,
            Some("a complete record cannot be applied")
        );
        assert_eq!(r.recovery().records_set_aside, 1);
        assert!(dir.path().join(format!("journal.torn-{bad_at}")).exists());
        let st = r.status("ann", &inbox).unwrap();
        assert_eq!((st.messages, st.uidnext), (1, 8));
        assert!(r.verify().unwrap().problems.is_empty());
        drop(r);
        // Now it opens normally.
        assert_eq!(
            Store::open(dir.path(), opts())
                .unwrap()
                .status("ann", &inbox)
                .unwrap(),
            st
        );
    }

    #[test]
    fn recent_belongs_to_one_session() {
        let (_, s) = mem_store();
        let inbox = name("INBOX");
        for i in 1..=2 {
            s.append("ann", &inbox, &msg(i), &Flags::new(), None)
                .unwrap();
        }
        assert_eq!(s.status("ann", &inbox).unwrap().recent, 2);
        // EXAMINE claims nothing.
        let mut ro = s.open_session_read_only("ann", &inbox).unwrap();
        assert_eq!(ro.view().recent_count(), 0);
        let mut a = s.open_session("ann", &inbox).unwrap();
        assert_eq!(a.view().recent_count(), 2);
        assert_eq!(s.status("ann", &inbox).unwrap().recent, 0);
        let mut b = s.open_session("ann", &inbox).unwrap();
        assert_eq!(b.view().recent_count(), 0);
        let seen = Flags::parse(&["\\Seen"]).unwrap();
        s.append("ann", &inbox, &msg(3), &seen, None).unwrap();
        s.append("ann", &inbox, &msg(4), &Flags::new(), None)
            .unwrap();
        for sess in [&mut a, &mut b, &mut ro] {
            sess.poll();
        }
        // The first read-write session heard of them first.
        assert_eq!((a.view().recent_count(), b.view().recent_count()), (4, 0));
        assert!(!ro.view().is_recent(3));
        let search = |k: SearchKey, v: &SessionView| s.search("ann", &inbox, &k, Some(v)).unwrap();
        assert_eq!(search(SearchKey::Recent, a.view()), vec![1, 2, 3, 4]);
        assert_eq!(search(SearchKey::New, a.view()), vec![1, 2, 4]);
        assert!(search(SearchKey::Recent, b.view()).is_empty());
        assert_eq!(search(SearchKey::Old, b.view()), vec![1, 2, 3, 4]);
        // Expunged messages leave the recent set.
        let del = Flags::parse(&["\\Deleted"]).unwrap();
        s.store_flags(
            "ann",
            &inbox,
            &UidSet::from_uids([2]),
            FlagOp::Add,
            &del,
            None,
        )
        .unwrap();
        s.expunge("ann", &inbox, None).unwrap();
        a.poll();
        assert_eq!(a.view().recent_count(), 3);
        // Nobody has seen a message delivered while no session listens
        // read-write: it is recent for the next one.
        drop((a, b));
        s.append("ann", &inbox, &msg(5), &Flags::new(), None)
            .unwrap();
        ro.poll();
        assert_eq!(s.status("ann", &inbox).unwrap().recent, 1);
        assert_eq!(
            s.open_session("ann", &inbox).unwrap().view().recent_count(),
            1
        );
    }

    #[test]
    fn recent_survives_a_clean_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let inbox = name("INBOX");
        {
            let s = Store::open(dir.path(), opts()).unwrap();
            s.create_account("ann").unwrap();
            s.append("ann", &inbox, &msg(1), &Flags::new(), None)
                .unwrap();
            drop(s.open_session("ann", &inbox).unwrap());
            s.append("ann", &inbox, &msg(2), &Flags::new(), None)
                .unwrap();
        }
        let s = Store::open(dir.path(), opts()).unwrap();
        assert_eq!(s.status("ann", &inbox).unwrap().recent, 1);
        let v = s.open_session("ann", &inbox).unwrap();
        assert!(v.view().is_recent(2) && !v.view().is_recent(1));
        drop(v);
        drop(s);
        Store::compact(dir.path(), opts()).unwrap();
        let s = Store::open(dir.path(), opts()).unwrap();
        assert_eq!(s.status("ann", &inbox).unwrap().recent, 0);
    }

    #[test]
    fn rename_inbox_moves_its_messages() {
        let (dev, s) = mem_store();
        let inbox = name("INBOX");
        s.create_mailbox("ann", &name("INBOX/Child"), SpecialUse::NONE)
            .unwrap();
        for i in 1..=3 {
            s.append("ann", &inbox, &msg(i), &Flags::new(), None)
                .unwrap();
        }
        let before = s.status("ann", &inbox).unwrap();
        let old = name("Old/2023");
        s.rename_mailbox("ann", &inbox, &old).unwrap();
        let st = s.status("ann", &inbox).unwrap();
        assert_eq!(
            (st.messages, st.uidvalidity, st.uidnext),
            (0, before.uidvalidity, 4)
        );
        assert_eq!(s.vanished_since("ann", &inbox, 0).unwrap(), vec![1, 2, 3]);
        let moved = s.messages("ann", &old, &UidSet::all()).unwrap();
        assert_eq!(
            moved.iter().map(|m| m.uid()).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(s.read(&moved[2]).unwrap(), msg(3));
        assert!(s.status("ann", &name("Old")).is_ok(), "parent created");
        assert!(
            s.status("ann", &name("INBOX/Child")).is_ok(),
            "children stay"
        );
        assert!(matches!(
            s.rename_mailbox("ann", &name("Old"), &inbox),
            Err(StoreError::Inbox(_))
        ));
        // An empty INBOX renames to an empty mailbox.
        s.rename_mailbox("ann", &inbox, &name("Empty")).unwrap();
        assert_eq!(s.status("ann", &name("Empty")).unwrap().messages, 0);
        // Renaming elsewhere creates the new parents too.
        s.rename_mailbox("ann", &name("Empty"), &name("A/B/Empty"))
            .unwrap();
        assert!(s.status("ann", &name("A/B")).is_ok());
        assert_eq!(s.quota("ann").unwrap().messages, 3);
        let r = reopen(&dev);
        assert_eq!(r.status("ann", &old).unwrap().messages, 3);
        assert!(r.verify().unwrap().problems.is_empty());
    }

    #[test]
    fn sieve_scripts_and_marks() {
        let (dev, s) = mem_store();
        s.put_script("ann", "main", b"keep;").unwrap();
        s.put_script("ann", "spare", b"discard;").unwrap();
        s.activate_script("ann", Some("main")).unwrap();
        assert_eq!(s.active_script("ann").unwrap().unwrap().1, b"keep;");
        s.set_mark("ann", MarkKind::Vacation, "bob@x", 100).unwrap();
        assert!(s.has_mark("ann", MarkKind::Vacation, "bob@x", 99).unwrap());
        assert!(!s.has_mark("ann", MarkKind::Vacation, "bob@x", 100).unwrap());
        assert!(!s.has_mark("ann", MarkKind::Duplicate, "bob@x", 0).unwrap());
        assert!(
            !s.test_and_set_mark("ann", MarkKind::Duplicate, "<id@x>", 10, 20)
                .unwrap()
        );
        assert!(
            s.test_and_set_mark("ann", MarkKind::Duplicate, "<id@x>", 19, 30)
                .unwrap()
        );
        // Expired: recorded afresh.
        assert!(
            !s.test_and_set_mark("ann", MarkKind::Duplicate, "<id@x>", 20, 40)
                .unwrap()
        );
        assert!(matches!(
            s.set_mark("ann", MarkKind::Duplicate, &"k".repeat(5000), 1),
            Err(StoreError::TooLarge { .. })
        ));
        // The active script cannot be deleted (RFC 5804); renaming keeps
        // it active.
        assert!(matches!(
            s.delete_script("ann", "main"),
            Err(StoreError::ScriptActive(_))
        ));
        s.rename_script("ann", "main", "primary").unwrap();
        assert_eq!(s.active_script("ann").unwrap().unwrap().0, "primary");
        assert!(matches!(
            s.rename_script("ann", "primary", "spare"),
            Err(StoreError::ScriptExists(_))
        ));
        s.rename_script("ann", "primary", "main").unwrap();
        s.activate_script("ann", None).unwrap();
        s.delete_script("ann", "main").unwrap();
        let r = reopen(&dev);
        assert_eq!(r.scripts("ann").unwrap(), vec![("spare".to_owned(), false)]);
        assert!(r.active_script("ann").unwrap().is_none());
        assert!(r.has_mark("ann", MarkKind::Vacation, "bob@x", 0).unwrap());
    }

    #[test]
    fn rename_carries_children_and_feeds_end() {
        let (dev, s) = mem_store();
        s.create_mailbox("ann", &name("A/B"), SpecialUse::NONE)
            .unwrap();
        s.append("ann", &name("A/B"), &msg(1), &Flags::new(), None)
            .unwrap();
        let mut sess = s.open_session("ann", &name("A/B")).unwrap();
        s.rename_mailbox("ann", &name("A"), &name("Z")).unwrap();
        assert_eq!(sess.poll(), vec![crate::ViewUpdate::Gone]);
        let names: Vec<String> = reopen(&dev)
            .mailboxes("ann")
            .unwrap()
            .into_iter()
            .map(|m| m.name.to_string())
            .collect();
        assert_eq!(names, vec!["INBOX", "Z", "Z/B"]);
        assert_eq!(s.status("ann", &name("Z/B")).unwrap().messages, 1);
    }
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;
    use crate::compact::first_difference;

    fn name(s: &str) -> MailboxName {
        MailboxName::new(s).unwrap()
    }

    fn opts() -> StoreOptions {
        StoreOptions {
            sync: false,
            ..StoreOptions::default()
        }
    }

    /// Every kind of record, so that a checkpoint has all to carry.
    fn fill(s: &Store, round: u32) {
        let inbox = name("INBOX");
        let arch = name("Archive");
        if round == 0 {
            s.create_account("a").unwrap();
            s.create_account("b").unwrap();
            s.create_mailbox("a", &arch, SpecialUse::parse(&["\\Archive"]).unwrap())
                .unwrap();
            s.set_quota(
                "a",
                Quota {
                    max_bytes: Some(1 << 30),
                    max_messages: None,
                },
            )
            .unwrap();
            s.put_script("a", "main", b"keep;").unwrap();
            s.activate_script("a", Some("main")).unwrap();
            s.set_mark("a", MarkKind::Vacation, "x@y", i64::MAX)
                .unwrap();
        }
        for i in 0..20 {
            let raw = format!("Subject: r{round} m{i}\r\n\r\nbody {i}\r\n");
            let f = Flags::parse(&["$K"]).unwrap();
            s.append("a", &inbox, raw.as_bytes(), &f, Some(i)).unwrap();
        }
        let d = |account| Delivery {
            account,
            mailbox: &inbox,
            flags: Flags::new(),
        };
        s.deliver(b"Subject: both\r\n\r\nhi\r\n", &[d("a"), d("b")], None)
            .unwrap();
        s.copy("a", &inbox, &UidSet::parse("1:5").unwrap(), &arch)
            .unwrap();
        s.move_messages("a", &inbox, &UidSet::parse("6:8").unwrap(), &arch)
            .unwrap();
        let del = Flags::parse(&["\\Deleted"]).unwrap();
        s.store_flags(
            "a",
            &inbox,
            &UidSet::parse("9:12").unwrap(),
            FlagOp::Add,
            &del,
            None,
        )
        .unwrap();
        s.expunge("a", &inbox, None).unwrap();
        let sub = name(&format!("Tmp{round}/Sub"));
        s.create_mailbox("a", &sub, SpecialUse::NONE).unwrap();
        s.rename_mailbox(
            "a",
            &name(&format!("Tmp{round}")),
            &name(&format!("Old{round}")),
        )
        .unwrap();
        s.delete_mailbox("a", &name(&format!("Old{round}/Sub")))
            .unwrap();
    }

    /// What a full replay of the journal in `dir` gives.
    fn full_replay(dir: &Path) -> (tempfile::TempDir, Store) {
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(dir.join("journal"), copy.path().join("journal")).unwrap();
        let s = Store::open(copy.path(), opts()).unwrap();
        assert_eq!(s.recovery().checkpoint, None);
        (copy, s)
    }

    #[test]
    fn checkpoint_then_tail_replays_to_the_same_state() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path(), opts()).unwrap();
            fill(&s, 0);
        } // closing writes a checkpoint
        let s = Store::open(dir.path(), opts()).unwrap();
        let cp = s.recovery().checkpoint.expect("checkpoint used");
        assert_eq!(cp, s.journal_len());
        assert_eq!(s.recovery().records, 0);
        assert!(
            first_difference(&s, &full_replay(dir.path()).1, 0)
                .unwrap()
                .is_none()
        );
        assert!(s.verify().unwrap().problems.is_empty());

        // More work after the checkpoint, then a "crash": copy the files
        // of the open store and open the copy.
        fill(&s, 1);
        let crashed = tempfile::tempdir().unwrap();
        for f in ["journal", "index"] {
            std::fs::copy(dir.path().join(f), crashed.path().join(f)).unwrap();
        }
        let c = Store::open(crashed.path(), opts()).unwrap();
        assert_eq!(c.recovery().checkpoint, Some(cp));
        assert!(c.recovery().records > 0);
        assert!(first_difference(&s, &c, 0).unwrap().is_none());
        assert!(
            first_difference(&c, &full_replay(crashed.path()).1, 0)
                .unwrap()
                .is_none()
        );
        // New UIDs continue after the checkpointed ones.
        let au = c
            .append("a", &name("INBOX"), b"S: x\r\n\r\n", &Flags::new(), None)
            .unwrap();
        assert_eq!(au.uid, s.status("a", &name("INBOX")).unwrap().uidnext);
    }

    #[test]
    fn stale_or_damaged_checkpoints_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = Store::open(dir.path(), opts()).unwrap();
            fill(&s, 0);
        }
        let index = std::fs::read(dir.path().join("index")).unwrap();
        // A damaged checkpoint: full replay, same state.
        let mut bad = index.clone();
        let n = bad.len();
        bad[n / 2] ^= 0x40;
        std::fs::write(dir.path().join("index"), &bad).unwrap();
        let s = Store::open(dir.path(), opts()).unwrap();
        assert_eq!(s.recovery().checkpoint, None);
        drop(s);
        // Compaction replaces the journal and writes its own checkpoint;
        // the old one no longer matches the new journal.
        Store::compact(dir.path(), opts()).unwrap();
        let s = Store::open(dir.path(), opts()).unwrap();
        assert!(s.recovery().checkpoint.is_some());
        assert!(
            first_difference(&s, &full_replay(dir.path()).1, 0)
                .unwrap()
                .is_none()
        );
        drop(s);
        std::fs::write(dir.path().join("index"), &index).unwrap();
        let s = Store::open(dir.path(), opts()).unwrap();
        assert_eq!(s.recovery().checkpoint, None);
        assert!(
            first_difference(&s, &full_replay(dir.path()).1, 0)
                .unwrap()
                .is_none()
        );
        // A journal cut below the checkpoint (lost media): full replay.
        drop(s);
        let len = std::fs::metadata(dir.path().join("journal")).unwrap().len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("journal"))
            .unwrap();
        f.set_len(len - 10).unwrap();
        let s = Store::open(dir.path(), opts()).unwrap();
        assert_eq!(s.recovery().checkpoint, None);
        assert!(s.recovery().discarded_bytes > 0);
    }

    #[test]
    fn automatic_checkpoints_follow_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(
            dir.path(),
            StoreOptions {
                checkpoint_bytes: 4096,
                ..opts()
            },
        )
        .unwrap();
        fill(&s, 0);
        fill(&s, 1);
        assert!(dir.path().join("index").exists());
        let (_, cover) =
            checkpoint::decode(&std::fs::read(dir.path().join("index")).unwrap()).unwrap();
        assert!(cover.len > 4096 && cover.len <= s.journal_len());
        assert!(s.verify().unwrap().problems.is_empty());
    }
}

#[cfg(test)]
mod power_loss_tests {
    use super::*;
    use std::io;

    /// A disk with a write cache. Every write is logged; a sync makes
    /// the writes durable that were logged when it *started* (writes
    /// made while it runs may or may not be covered, and here they are
    /// not). A power cut keeps the durable writes plus any subset of the
    /// later ones, each possibly torn.
    #[derive(Default)]
    struct CachedDisk {
        inner: Mutex<Disk>,
    }

    #[derive(Default)]
    struct Disk {
        cache: Vec<u8>,
        log: Vec<(u64, Vec<u8>)>,
        durable: usize,
    }

    impl CachedDisk {
        fn new() -> Self {
            let d = CachedDisk::default();
            d.write_at(journal::MAGIC, 0).unwrap();
            d.inner.lock().unwrap().durable = 1;
            d
        }

        fn power_cut(&self, rng: &mut u64) -> Vec<u8> {
            let g = self.inner.lock().unwrap();
            let mut img = Vec::new();
            for (off, buf) in &g.log[..g.durable] {
                put(&mut img, *off, buf);
            }
            for (off, buf) in &g.log[g.durable..] {
                *rng ^= *rng << 13;
                *rng ^= *rng >> 7;
                *rng ^= *rng << 17;
                match *rng % 3 {
                    0 => continue, // never reached the disk
                    1 => {
                        // torn: a prefix of it did
                        let keep = (*rng >> 8) as usize % (buf.len() + 1);
                        put(&mut img, *off, &buf[..keep]);
                    }
                    _ => put(&mut img, *off, buf),
                }
            }
            img
        }
    }

    fn put(img: &mut Vec<u8>, off: u64, buf: &[u8]) {
        let end = off as usize + buf.len();
        if img.len() < end {
            img.resize(end, 0);
        }
        img[off as usize..end].copy_from_slice(buf);
    }

    impl Device for CachedDisk {
        fn len(&self) -> io::Result<u64> {
            Ok(self.inner.lock().unwrap().cache.len() as u64)
        }
        fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
            let mut g = self.inner.lock().unwrap();
            put(&mut g.cache, offset, buf);
            g.log.push((offset, buf.to_vec()));
            Ok(())
        }
        fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
            let g = self.inner.lock().unwrap();
            let src = g
                .cache
                .get(offset as usize..offset as usize + buf.len())
                .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
            buf.copy_from_slice(src);
            Ok(())
        }
        fn sync(&self) -> io::Result<()> {
            let upto = self.inner.lock().unwrap().log.len();
            // The disk is busy; other writers run meanwhile.
            std::thread::sleep(std::time::Duration::from_micros(300));
            let mut g = self.inner.lock().unwrap();
            g.durable = g.durable.max(upto);
            Ok(())
        }
        fn truncate(&self, _len: u64) -> io::Result<()> {
            unreachable!("no write fails in this test")
        }
    }

    /// Concurrent writers with group commit and several syncs in flight;
    /// power is cut at random moments. Every delivery acknowledged
    /// before the cut is on the "disk" under its UID, nothing else is
    /// half there, and the next UID is above every acknowledged one.
    #[test]
    fn acknowledged_deliveries_survive_power_cuts() {
        let disk = Arc::new(CachedDisk::new());
        let store = Store::with_device(Box::new(disk.clone()), StoreOptions::default()).unwrap();
        store.create_account("p").unwrap();
        let inbox = MailboxName::new("INBOX").unwrap();
        let acks: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());
        let stop = std::sync::atomic::AtomicBool::new(false);
        let mut rng = 0x1234_5678_9abc_def1u64;
        std::thread::scope(|s| {
            for t in 0..8 {
                let (store, inbox, acks, stop) = (&store, &inbox, &acks, &stop);
                s.spawn(move || {
                    let mut i = 0;
                    while i < 150 && !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let id = format!("t{t}-{i}");
                        let raw =
                            format!("Message-ID: <{id}>\r\n\r\n{}\r\n", "y".repeat(i * 37 % 900));
                        let au = store
                            .append("p", inbox, raw.as_bytes(), &Flags::new(), None)
                            .unwrap();
                        acks.lock().unwrap().push((au.uid, id));
                        i += 1;
                    }
                });
            }
            for _ in 0..12 {
                std::thread::sleep(std::time::Duration::from_millis(3));
                // Acknowledged before the cut, so they must be on disk.
                let acked = acks.lock().unwrap().clone();
                let img = disk.power_cut(&mut rng);
                let dev = MemDevice::new();
                *dev.data.lock().unwrap() = img;
                let r = Store::with_device(Box::new(dev), StoreOptions::default()).unwrap();
                let msgs = r.messages("p", &inbox, &UidSet::all()).unwrap();
                let by_uid: HashMap<u32, &Message> = msgs.iter().map(|m| (m.uid(), m)).collect();
                for (uid, id) in &acked {
                    let m = by_uid
                        .get(uid)
                        .unwrap_or_else(|| panic!("uid {uid} ({id}) lost"));
                    let body = r.read(m).unwrap();
                    assert!(body.starts_with(format!("Message-ID: <{id}>").as_bytes()));
                }
                let max = acked.iter().map(|a| a.0).max().unwrap_or(0);
                assert!(r.status("p", &inbox).unwrap().uidnext > max);
                assert!(r.verify().unwrap().problems.is_empty());
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        assert!(store.stats().syncs > 0);
    }
}
