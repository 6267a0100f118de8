//! ClamAV-format signature loading and fast multi-pattern scanning.
//!
//! The crate reads ClamAV's database formats (`.hdb`, `.hsb`, `.mdb`,
//! `.msb`, `.ndb`, `.ldb`, `.fp`, `.sfp`, `.ign2`, and `.cvd`/`.cld`/
//! `.cud` containers), compiles them into an immutable [`Database`]
//! and scans buffers with it: whole-file and PE-section hashes, body
//! signatures through an Aho-Corasick automaton over one fixed anchor per
//! pattern followed by verification of wildcards, gaps and offsets, and
//! logical signatures on top. Mail is decoded (every MIME part, nested
//! messages) and archives (zip, gzip, tar) are unpacked, within
//! [`Limits`] that report as `Heuristics.Limits.Exceeded.*` when hit.
//!
//! The crate does no I/O: the caller hands over file names and bytes,
//! and shares the `Send + Sync` database between its own threads.
//!
//! ```
//! use rampart_av_sigscan::{Loader, LoadOptions, ScanOptions};
//!
//! let mut loader = Loader::new(LoadOptions::default());
//! // Name:Target:Offset:HexSignature -- "evil" then any 2 bytes, "code".
//! loader.add("local.ndb", b"Test.Evil:0:*:6576696c{2}636f6465\n")?;
//! // md5:size:name
//! loader.add("local.hdb", b"44d88612fea8a8f36de82e1278abb02f:68:Eicar\n")?;
//! let db = loader.compile()?;
//!
//! let report = db.scan(b"some evil->code here", &ScanOptions::default());
//! assert_eq!(report.detections[0].name, "Test.Evil");
//! assert_eq!(report.detections[0].display_name(), "Test.Evil.UNOFFICIAL");
//! assert!(db.scan(b"evil code", &ScanOptions::default()).is_clean());
//! # Ok::<(), rampart_av_sigscan::LoadError>(())
//! ```
//!
//! Not supported, with an explicit error at load time: target types
//! other than 0 (any), 1 (PE) and 4 (mail); the `Container`,
//! `Intermediates`, `IconGroup` and `HandlerType` keys; byte-compare and
//! macro sub-signatures; PCRE patterns that need backtracking.

mod content;
mod db;
mod engine;
mod error;
mod ldb;
mod offset;
mod pattern;
mod pe;
mod tar;
mod zip;

pub use content::{Detection, Limits, ScanOptions, ScanReport};
pub use db::{FLEVEL, Info, LoadOptions, Loader, is_database_name};
pub use engine::Database;
pub use error::{LoadError, SigError};
pub use pe::{PeInfo, Section};

#[cfg(test)]
mod tests;
