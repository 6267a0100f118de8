//! ClamAV-format signature loading and fast multi-pattern scanning.
//!
//! The crate reads ClamAV's database formats (`.hdb`, `.hsb`, `.mdb`,
//! `.msb`, `.ndb`, `.ldb`, `.fp`, `.sfp`, `.ign2`, legacy `.db`, and
//! `.cvd`/`.cld`/`.cud` containers), compiles them into an immutable
//! [`Database`] and scans buffers with it: whole-file and PE-section
//! hashes, body signatures (a q-gram filter over one fixed anchor per
//! signature part, then verification of wildcards, gaps, classes and
//! offsets), and logical signatures on top. As ClamAV does, text files
//! are also scanned as normalized text, mail is decoded (every MIME
//! part, nested messages, uuencoded blocks, TNEF attachments, `data:`
//! URIs in HTML) and archives (zip, gzip, tar, cpio) are unpacked,
//! within [`Limits`] that report as `Heuristics.Limits.Exceeded.*` when
//! hit.
//!
//! The crate does no I/O: the caller hands over file names and bytes,
//! whole ([`Database::scan`]) or in chunks ([`Database::stream`]), and
//! shares the `Send + Sync` database between its own threads.
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
//! A malformed line fails the load with its file, line and reason, as
//! clamscan does; [`LoadOptions::lenient`] skips such lines and counts
//! them instead.
//!
//! Not supported, with an explicit error at load time: target types
//! other than 0 (any), 1 (PE), 4 (mail) and 7 (normalized text); the
//! `VI` offset; the `Container`, `Intermediates`, `IconGroup` and
//! `HandlerType` keys; byte-compare and macro sub-signatures; PCRE
//! patterns that need backtracking (look-around, back-references).
//! Database types this engine does not implement (`.pdb`, `.wdb`,
//! `.yar`, `.cbc`, `.idb`, ...) are skipped and listed in [`Info`].
//! HTML is not normalized (ClamAV also scans normalized HTML with
//! target-0 signatures), and only zip (stored, deflate), gzip, tar and
//! cpio archives are unpacked.

#[doc(hidden)]
pub mod anchor_search;
mod content;
mod cpio;
mod db;
mod engine;
mod error;
mod filetype;
mod html;
mod index;
mod ldb;
mod mime;
mod offset;
mod pattern;
mod pe;
mod stream;
mod tar;
mod tnef;
mod uu;
mod zip;

pub use content::{Detection, Limits, ScanOptions, ScanReport};
pub use db::{FLEVEL, Info, LoadOptions, Loader, is_database_name};
pub use engine::Database;
pub use error::{LoadError, SigError};
pub use pe::{PeInfo, Section};
pub use stream::Stream;

#[cfg(test)]
mod tests;
