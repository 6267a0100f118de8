//! SMTP and LMTP parsing, replies and sans-I/O session state machines.
//!
//! This crate understands everything said on an SMTP (RFC 5321) or
//! LMTP (RFC 2033) connection, with the ESMTP extensions met in
//! practice, but never touches a socket or a clock: callers feed it
//! bytes and get back bytes to send.
//!
//! - [`parse_command`] turns one command line into a [`Command`]
//!   that borrows from the line; [`Reply`] parses and encodes
//!   replies, [`Capabilities`] the EHLO list.
//! - [`data`] undoes and applies dot-stuffing and collects BDAT
//!   chunks, with size limits that read a message to its end.
//!
//! # Example
//!
//! ```
//! use rampart_smtp_proto::{Command, ReversePath, parse_command};
//!
//! let cmd = parse_command(b"MAIL FROM:<alice@example.org> SIZE=1000\r\n").unwrap();
//! let Command::Mail { from, params } = cmd else { unreachable!() };
//! assert_eq!(from.to_string(), "<alice@example.org>");
//! assert_eq!(params.size, Some(1000));
//! assert!(matches!(from, ReversePath::Mailbox(_)));
//!
//! // Every parse error maps to the reply a server should send.
//! let err = parse_command(b"MAIL FROM:<a@b> X-UNKNOWN=1\r\n").unwrap_err();
//! assert_eq!(err.reply().code(), 555);
//! ```

mod chars;
pub mod client;
pub mod command;
pub mod data;
pub mod error;
pub mod params;
pub mod path;
pub mod reply;
pub mod sasl;
pub mod server;

pub use command::{Command, parse_command};
pub use error::{CommandError, DeliveryError, ReplyError, SessionError};
pub use params::{Body, MailParams, Notify, Orcpt, RcptParams, Ret};
pub use path::{ForwardPath, Host, Mailbox, ReversePath};
pub use reply::{Capabilities, Capability, EnhancedCode, Reply};
