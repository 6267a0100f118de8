//! Errors of the store, one variant per cause.

use std::io;

/// Why a mailbox name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("mailbox name is empty")]
    Empty,
    /// The name is longer than the store accepts.
    #[error("mailbox name {name:?} is {len} bytes long, more than the limit of {max}")]
    TooLong {
        /// The offending name.
        name: String,
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The name holds a control character.
    #[error("mailbox name {name:?} contains the control character {ch:?}")]
    ControlChar {
        /// The offending name.
        name: String,
        /// The character.
        ch: char,
    },
    /// The name holds a LIST wildcard.
    #[error("mailbox name {name:?} contains the wildcard {ch:?}")]
    Wildcard {
        /// The offending name.
        name: String,
        /// `*` or `%`.
        ch: char,
    },
    /// A hierarchy level is empty (leading, trailing or doubled `/`).
    #[error(
        "mailbox name {name:?} has an empty hierarchy level (leading, trailing or doubled '/')"
    )]
    EmptyLevel {
        /// The offending name.
        name: String,
    },
    /// A hierarchy level is `.` or `..`.
    #[error("mailbox name {name:?} has a {level:?} hierarchy level")]
    DotLevel {
        /// The offending name.
        name: String,
        /// `.` or `..`.
        level: String,
    },
    /// The modified UTF-7 form (RFC 3501 section 5.1.3) is malformed.
    #[error("mailbox name {name:?} is not valid modified UTF-7: {reason}")]
    BadUtf7 {
        /// The offending name, as received.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// Everything a store operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An operating-system error on the store's files.
    #[error("store i/o error while {context}: {source}")]
    Io {
        /// What the store was doing.
        context: &'static str,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The disk is full; nothing was written and the store is intact.
    #[error("disk full while {context}: the operation was not stored")]
    DiskFull {
        /// What the store was doing.
        context: &'static str,
    },
    /// An earlier fsync failed, so what is on disk is unknown; the
    /// store refuses further work until it is reopened.
    #[error("store is unusable after a failed sync ({0}); reopen it to recover")]
    Poisoned(String),
    /// Another process holds the store's lock.
    #[error("store at {0} is locked by another process")]
    Locked(String),
    /// The journal holds data this version cannot read.
    #[error("store journal is corrupt at byte {offset}: {reason}")]
    Corrupt {
        /// Byte offset in the journal.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A mailbox name was refused.
    #[error(transparent)]
    BadName(#[from] NameError),
    /// An account name was refused.
    #[error(
        "account name {0:?} is invalid: it must be 1 to 255 bytes without control characters or '/'"
    )]
    BadAccount(String),
    /// A flag or keyword is malformed.
    #[error("flag {0:?} is invalid")]
    BadFlag(String),
    /// The account does not exist.
    #[error("account {0:?} does not exist")]
    NoAccount(String),
    /// The account exists already.
    #[error("account {0:?} already exists")]
    AccountExists(String),
    /// The mailbox does not exist.
    #[error("mailbox {0:?} does not exist")]
    NoMailbox(String),
    /// The mailbox exists already.
    #[error("mailbox {0:?} already exists")]
    MailboxExists(String),
    /// The operation is not allowed on INBOX.
    #[error("mailbox INBOX cannot be {0}")]
    Inbox(&'static str),
    /// A message is larger than the configured limit.
    #[error("message of {size} bytes exceeds the size limit of {limit} bytes")]
    TooLarge {
        /// Size of the message.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The account's quota would be exceeded.
    #[error("quota of account {account:?} exceeded: {what}")]
    OverQuota {
        /// The account.
        account: String,
        /// Which limit, with figures.
        what: String,
    },
    /// The Sieve script does not exist.
    #[error("sieve script {0:?} does not exist")]
    NoScript(String),
    /// The Sieve script is the active one (RFC 5804 DELETESCRIPT: it
    /// must be deactivated first).
    #[error("sieve script {0:?} is active; deactivate it before deleting it")]
    ScriptActive(String),
    /// The Sieve script exists already.
    #[error("sieve script {0:?} already exists")]
    ScriptExists(String),
    /// The Sieve script name is invalid.
    #[error(
        "sieve script name {0:?} is invalid: it must be 1 to 255 bytes without control characters"
    )]
    BadScriptName(String),
    /// An mbox file or Maildir folder could not be read for import.
    #[error("import failed: {0}")]
    Import(String),
    /// The mailbox has handed out UID 4294967295: no new message fits
    /// until it is recreated under a new UIDVALIDITY.
    #[error("mailbox {0:?} has used up its UIDs; move its messages to a new mailbox")]
    UidsExhausted(String),
    /// A message UID was not found in the mailbox.
    #[error("message uid {0} does not exist")]
    NoMessage(u32),
}

impl StoreError {
    /// Wraps an I/O error, telling a full disk apart.
    pub(crate) fn io(context: &'static str, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
                StoreError::DiskFull { context }
            }
            _ => StoreError::Io { context, source },
        }
    }
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
