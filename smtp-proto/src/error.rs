//! Errors, and the one place where each error becomes an SMTP reply.

use crate::reply::{EnhancedCode, Reply};

/// Why a command line could not be accepted.
///
/// Every variant maps to exactly one reply through
/// [`CommandError::reply`]; the server session uses nothing else to
/// answer a bad command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// The line is longer than the configured limit.
    #[error("command line of {len} octets exceeds the limit of {max}")]
    LineTooLong {
        /// Length seen (at least).
        len: usize,
        /// Configured limit.
        max: usize,
    },
    /// The line holds bytes that are not valid UTF-8.
    #[error("command line is not valid utf-8 at offset {offset}")]
    InvalidUtf8 {
        /// Offset of the first bad byte.
        offset: usize,
    },
    /// The line holds a control character (NUL, bare CR, ...).
    #[error("command line holds control character {byte:#04x}")]
    ControlCharacter {
        /// The offending byte.
        byte: u8,
    },
    /// The verb is not an SMTP command at all.
    #[error("unrecognized command {verb:?}")]
    UnknownCommand {
        /// The verb, cut to 16 characters.
        verb: String,
    },
    /// A command some RFC defines that this crate does not implement
    /// (RFC 5321 4.2.4: 502).
    #[error("command {verb} not implemented")]
    NotImplemented {
        /// The verb, upper case.
        verb: &'static str,
    },
    /// A known command with a malformed argument.
    #[error("syntax error in {command} arguments: {reason}")]
    Syntax {
        /// Command name.
        command: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A reverse-path or forward-path that does not follow RFC 5321.
    #[error("bad address syntax in {address:?}: {reason}")]
    Address {
        /// The offending path, cut to 300 characters.
        address: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A path, local part or domain longer than RFC 5321 4.5.3.1 allows.
    #[error("{what} of {len} octets exceeds the limit of {max}")]
    TooLong {
        /// Which part ("local part", "domain", "path").
        what: &'static str,
        /// Length seen.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Non-ASCII address without SMTPUTF8.
    #[error("non-ascii address {address:?} needs smtputf8")]
    Utf8NeedsSmtputf8 {
        /// The offending address.
        address: String,
    },
    /// An ESMTP parameter we do not know.
    #[error("unknown parameter {keyword:?}")]
    UnknownParameter {
        /// The keyword as sent.
        keyword: String,
    },
    /// A known parameter with a bad value, or given twice.
    #[error("bad value for parameter {keyword}: {reason}")]
    BadParameter {
        /// Parameter keyword.
        keyword: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

impl CommandError {
    /// The reply a server sends for this error.
    ///
    /// This is the single mapping from parse errors to the wire
    /// (RFC 5321 4.2.3, RFC 3463 for the enhanced codes).
    pub fn reply(&self) -> Reply {
        let (code, class, subject, detail) = match self {
            Self::LineTooLong { .. } => (500, 5, 5, 2),
            Self::InvalidUtf8 { .. } | Self::ControlCharacter { .. } => (500, 5, 5, 2),
            Self::UnknownCommand { .. } => (500, 5, 5, 1),
            Self::NotImplemented { .. } => (502, 5, 5, 1),
            Self::Syntax { .. } => (501, 5, 5, 4),
            Self::Address { .. } => (501, 5, 1, 3),
            Self::TooLong { .. } => (501, 5, 1, 3),
            Self::Utf8NeedsSmtputf8 { .. } => (553, 5, 6, 7),
            Self::UnknownParameter { .. } => (555, 5, 5, 4),
            Self::BadParameter { .. } => (501, 5, 5, 4),
        };
        let text = match self {
            // Do not echo unknown bytes back; the code says enough.
            Self::LineTooLong { .. } => "line too long".to_string(),
            other => other.to_string(),
        };
        Reply::new(code, Some(EnhancedCode::new(class, subject, detail)), text)
    }
}

/// A reply that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The line does not start with three digits 2-5, 0-5, 0-9.
    #[error("bad reply code in line {line:?}")]
    BadCode {
        /// The line, cut to 64 characters.
        line: String,
    },
    /// A line of a multi-line reply carries a different code.
    #[error("reply code {found} in a continuation of reply {expected}")]
    CodeMismatch {
        /// First line's code.
        expected: u16,
        /// This line's code.
        found: u16,
    },
    /// The separator after the code is neither space nor hyphen.
    #[error("bad separator {byte:#04x} after reply code")]
    BadSeparator {
        /// The byte found.
        byte: u8,
    },
    /// The reply text is not valid UTF-8.
    #[error("reply text is not valid utf-8")]
    InvalidUtf8,
    /// A reply line or a whole reply exceeds the limit.
    #[error("reply longer than the limit of {max} octets")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// The input ended in the middle of a reply.
    #[error("reply is incomplete")]
    Incomplete,
}

pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// A refusal by the server session, for reasons other than syntax.
///
/// Like [`CommandError`], each variant has one reply, given by
/// [`SessionError::reply`]; the server session builds its error
/// replies from nothing else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// A command out of order (MAIL before HELO, RCPT before MAIL...).
    #[error("bad sequence of commands: {0}")]
    BadSequence(&'static str),
    /// A command this server does not offer (RFC 5321 502).
    #[error("command not implemented: {0}")]
    NotImplemented(&'static str),
    /// A parameter whose extension was not advertised.
    #[error("parameter {0} is not supported here")]
    NotAdvertised(&'static str),
    /// DATA or BDAT with no accepted recipient.
    #[error("no valid recipients")]
    NoValidRecipients,
    /// More recipients than the configured limit.
    #[error("too many recipients")]
    TooManyRecipients,
    /// SIZE= above the limit, or a message that grew beyond it.
    #[error("message size exceeds the limit of {max} octets")]
    MessageTooLarge {
        /// The limit.
        max: u64,
    },
    /// Message data holding a bare CR or LF (SMTP smuggling guard).
    #[error("message holds a bare cr or lf line ending")]
    BareLineEnding,
    /// A recipient address needing SMTPUTF8 that MAIL did not ask for.
    #[error("non-ascii recipient needs smtputf8 on mail from")]
    Utf8Recipient,
    /// AUTH asked for on a connection that must first start TLS.
    #[error("must issue a starttls command first")]
    EncryptionRequired,
    /// AUTH with a mechanism not offered.
    #[error("unsupported authentication mechanism")]
    UnknownMechanism,
    /// The AUTH exchange was malformed or cancelled.
    #[error("authentication exchange failed: {0}")]
    AuthExchange(&'static str),
    /// The caller rejected the credentials without its own reply.
    #[error("authentication credentials invalid")]
    AuthFailed,
    /// Too many bad commands; the session ends.
    #[error("too many errors, closing connection")]
    TooManyErrors,
    /// The caller raised a timeout; the session ends.
    #[error("timeout exceeded, closing connection")]
    Timeout,
    /// The caller shuts the session down (the text is the caller's).
    #[error("{0}")]
    ShuttingDown(String),
}

impl From<crate::data::DataError> for SessionError {
    /// A refused message: too large, or holding bare line endings.
    fn from(e: crate::data::DataError) -> Self {
        match e {
            crate::data::DataError::TooLarge { max, .. } => Self::MessageTooLarge { max },
            crate::data::DataError::BareLineEnding { .. } => Self::BareLineEnding,
        }
    }
}

impl SessionError {
    /// The reply a server sends for this refusal.
    pub fn reply(&self) -> Reply {
        let (code, class, subject, detail) = match self {
            Self::BadSequence(_) => (503, 5, 5, 1),
            Self::NotImplemented(_) => (502, 5, 5, 1),
            Self::NotAdvertised(_) => (555, 5, 5, 4),
            Self::NoValidRecipients => (554, 5, 5, 1),
            Self::TooManyRecipients => (452, 4, 5, 3),
            Self::MessageTooLarge { .. } => (552, 5, 3, 4),
            Self::BareLineEnding => (550, 5, 6, 0),
            Self::Utf8Recipient => (553, 5, 6, 7),
            Self::EncryptionRequired => (530, 5, 7, 0),
            Self::UnknownMechanism => (504, 5, 5, 4),
            Self::AuthExchange(_) => (501, 5, 5, 2),
            Self::AuthFailed => (535, 5, 7, 8),
            Self::TooManyErrors => (421, 4, 7, 0),
            Self::Timeout => (421, 4, 4, 2),
            Self::ShuttingDown(_) => (421, 4, 3, 2),
        };
        Reply::new(
            code,
            Some(EnhancedCode::new(class, subject, detail)),
            self.to_string(),
        )
    }
}

/// Why the client gives a recipient a reply of its own instead of the
/// server's: the message could not be sent as asked, or the session
/// ended first. Like the other errors, each has one reply, given by
/// [`DeliveryError::reply`]; [`crate::client`] builds its local
/// replies from nothing else.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// The session failed (error, timeout, 421) before this message
    /// was delivered; try again later.
    #[error("session failed before delivery")]
    SessionFailed,
    /// The server gave no reply where one was due.
    #[error("no reply from the server")]
    NoReply,
    /// BODY=8BITMIME, but the server does not offer 8BITMIME
    /// (RFC 6152: the client must not send it there).
    #[error("8bit message but the server does not offer 8BITMIME")]
    EightBitMime,
    /// BODY=BINARYMIME, but the server does not offer both BINARYMIME
    /// and CHUNKING (RFC 3030), or chunking is turned off here.
    #[error("binary message but the server does not offer BINARYMIME with CHUNKING")]
    BinaryMime,
    /// An address or SMTPUTF8 needs a server that offers SMTPUTF8
    /// (RFC 6531 3.2).
    #[error("non-ascii address but the server does not offer SMTPUTF8")]
    SmtpUtf8,
    /// REQUIRETLS, but the server does not offer it over TLS
    /// (RFC 8689 4.2).
    #[error("REQUIRETLS not supported by the next hop")]
    RequireTls,
    /// The message is larger than the SIZE the server announced.
    #[error("message exceeds the server's size limit of {max} octets")]
    TooLarge {
        /// The server's limit.
        max: u64,
    },
}

impl DeliveryError {
    /// The reply recorded for each recipient this error stops.
    pub fn reply(&self) -> Reply {
        let (code, class, subject, detail) = match self {
            Self::SessionFailed => (451, 4, 4, 0),
            Self::NoReply => (451, 4, 4, 0),
            Self::EightBitMime | Self::BinaryMime => (554, 5, 6, 3),
            Self::SmtpUtf8 => (553, 5, 6, 7),
            Self::RequireTls => (550, 5, 7, 30),
            Self::TooLarge { .. } => (552, 5, 3, 4),
        };
        Reply::new(
            code,
            Some(EnhancedCode::new(class, subject, detail)),
            self.to_string(),
        )
    }
}
