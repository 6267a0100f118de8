//! IMAP4rev2/rev1, POP3 and ManageSieve protocol parsing, encoding and
//! session rules, without I/O.
//!
//! The crate never touches a socket. A server feeds received bytes to a
//! [`frame::Framer`], which cuts them into complete messages (a line and
//! the literals it announces), tells when to send a continuation request
//! and refuses oversized literals before the client sends them. Each
//! message then goes to [`command::parse_command`], which borrows from
//! the framer's buffer instead of copying.
//!
//! ```
//! use rampart_imap_proto::command::{CommandBody, parse_command};
//! use rampart_imap_proto::frame::{Event, Framer, FramerConfig};
//!
//! let mut framer = Framer::new(FramerConfig::SERVER);
//! framer.feed(b"a1 SELECT INBOX\r\na2 FETCH 1:* (FLAGS)\r\n");
//! let mut names = Vec::new();
//! while let Some(event) = framer.poll() {
//!     let Event::Message(bytes) = event else { unreachable!() };
//!     let cmd = parse_command(bytes).unwrap();
//!     names.push((cmd.tag.as_str().to_string(), cmd.body.name()));
//! }
//! assert_eq!(names, [("a1".to_string(), "SELECT"), ("a2".to_string(), "FETCH")]);
//! ```
//!
//! Commands encode back to the wire with [`command::Command::encode`],
//! which also reports where a client must wait for a continuation
//! request before sending a synchronizing literal (never with LITERAL+,
//! only above 4096 bytes with LITERAL-). Once a client has enabled
//! UTF8=ACCEPT or IMAP4rev2, parse with [`ParseOptions`] `{ utf8: true }`
//! ([`command::parse_command_with`], [`response::parse_response_with`])
//! so that mailbox names are read as UTF-8 rather than modified UTF-7;
//! [`session::Server`] does this by itself.
//!
//! The server side in one piece is [`session::Server`]: framing, the
//! state rules of RFC 9051 and the extensions, IDLE and AUTHENTICATE.
//! [`fetch`] computes ENVELOPE, BODYSTRUCTURE, sections and BINARY
//! contents from a `mail-parser` message. [`pop3`] and [`managesieve`]
//! cover the other two protocols in the same style.

pub mod command;
pub mod error;
pub mod fetch;
pub mod frame;
mod lex;
pub mod managesieve;
pub mod pop3;
pub mod response;
pub mod session;
pub mod types;
pub mod utf7;

pub use error::{FrameError, ParseError, ParseErrorKind};
pub use lex::{LITERAL_MINUS_MAX, LiteralMode, MAX_DEPTH, ParseOptions};
