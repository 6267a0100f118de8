//! A crash-safe embedded mail store: accounts, mailboxes, messages with
//! UIDs, flags and mod-sequences, quotas, Sieve scripts and Sieve state.
//!
//! Every change is one checksummed record appended to a journal file;
//! message bodies live inside their record, so one `fdatasync` makes a
//! delivery durable, and concurrent writers share it (group commit).
//! Opening the store loads the last checkpoint of the index, replays the
//! journal written after it and cuts off a torn tail left by a crash.
//! The crate README explains the choice of this engine and the fsync
//! order that makes an acknowledged delivery survive a crash.
//!
//! ```
//! use rampart_mailstore::{Flags, MailboxName, SearchKey, Store, StoreOptions};
//!
//! let dir = std::env::temp_dir().join(format!("mailstore-doc-{}", std::process::id()));
//! # let _ = std::fs::remove_dir_all(&dir);
//! let store = Store::open(&dir, StoreOptions::default())?;
//! store.create_account("ann")?;
//! let inbox = MailboxName::new("INBOX")?;
//! let raw = b"From: bob@example.org\r\nSubject: lunch?\r\n\r\nat noon\r\n";
//! let uid = store.append("ann", &inbox, raw, &Flags::new(), None)?;
//! assert_eq!(uid.uid, 1);
//!
//! let hits = store.search("ann", &inbox, &SearchKey::Subject("LUNCH".into()), None)?;
//! assert_eq!(hits, [1]);
//! drop(store);
//!
//! // Reopening replays the journal: the message is still there.
//! let store = Store::open(&dir, StoreOptions::default())?;
//! assert_eq!(store.status("ann", &inbox)?.messages, 1);
//! # drop(store);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crate also reads and writes mbox files and Maildir folders
//! ([`mbox`], [`maildir`], [`Store::import_mbox`],
//! [`Store::export_maildir`]) for migrations.

mod cache;
mod checkpoint;
mod codec;
mod compact;
mod error;
mod flags;
mod journal;
pub mod maildir;
pub mod mbox;
mod migrate;
mod model;
mod name;
mod record;
mod search;
mod session;
mod store;
mod structure;
mod uidset;

pub use cache::{CachedField, HeaderCache};
pub use compact::CompactReport;
pub use error::{NameError, Result, StoreError};
pub use flags::{Flag, Flags};
pub use migrate::ImportReport;
pub use model::{Change, MailboxStatus, Message, Quota, QuotaUsage, SpecialUse};
pub use name::{DELIMITER, MailboxName};
pub use search::{Date, SearchKey, SortBy, SortKey, base_subject};
pub use session::{Session, SessionView, ViewUpdate};
pub use store::{
    AppendUid, CopyUid, Delivery, FlagOp, MarkKind, NewMessage, Recovery, Store, StoreOptions,
    StoreOutcome, StoreStats, VerifyReport,
};
pub use structure::MimePart;
pub use uidset::{SetError, UidSet};
