//! Errors of the parsers and the framing layer.

use thiserror::Error;

/// Why a framed message could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} at offset {offset}")]
pub struct ParseError {
    /// Byte offset in the message where parsing stopped.
    pub offset: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

/// The kinds of [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A grammar element was expected but something else was found.
    #[error("expected {0}")]
    Expected(&'static str),
    /// The command or response name is not one this crate knows.
    #[error("unknown command {0:?}")]
    UnknownCommand(String),
    /// An item or keyword is not known in this position.
    #[error("unknown keyword {0:?}")]
    UnknownKeyword(String),
    /// A number does not fit its type.
    #[error("number {0} is too large")]
    NumberTooLarge(u64),
    /// Parenthesized lists are nested deeper than the limit.
    #[error("lists nested deeper than {0} levels")]
    TooDeep(u16),
    /// A literal announces more bytes than the message holds.
    #[error("literal of {0} bytes is truncated")]
    TruncatedLiteral(u64),
    /// A literal (not `literal8`) contains a NUL byte.
    #[error("NUL byte in literal")]
    NulInLiteral,
    /// Text that the grammar requires to be UTF-8 (a quoted string,
    /// response text) is not: a syntax error, answered with `BAD`.
    #[error("invalid UTF-8")]
    InvalidUtf8,
    /// A mailbox name is not valid modified UTF-7. The command is
    /// well-formed but names no possible mailbox: answered with `NO`.
    #[error("invalid modified UTF-7 mailbox name {0:?}")]
    InvalidUtf7(String),
    /// A mailbox name sent as a literal is not UTF-8 (answered with
    /// `NO`, like [`ParseErrorKind::InvalidUtf7`]).
    #[error("mailbox name is not UTF-8")]
    MailboxNotUtf8,
    /// A date or time is out of range.
    #[error("invalid date {0:?}")]
    InvalidDate(String),
}

/// Why the framing layer refused a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A literal announced more bytes than the configured limit (for a
    /// non-synchronizing literal, the LITERAL- limit of 4096 bytes unless
    /// LITERAL+ is on). For a synchronizing literal nothing was sent
    /// yet; for a non-synchronizing one the framer discards the bytes as
    /// they come.
    #[error("literal of {announced} bytes exceeds the limit of {limit} bytes")]
    LiteralTooLarge {
        /// The announced size.
        announced: u64,
        /// The configured maximum.
        limit: u64,
        /// Whether the client waits for a continuation (`{N}`).
        synchronizing: bool,
    },
    /// A line grew longer than the configured limit without a CRLF.
    #[error("line exceeds the limit of {limit} bytes")]
    LineTooLong {
        /// The configured maximum.
        limit: usize,
    },
    /// The whole message (line plus literals) exceeds the limit.
    #[error("message exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The configured maximum.
        limit: usize,
    },
}
