//! Scanning a file with its content: mail parts and archive members
//! are decoded and scanned as files of their own, within limits.

use std::io::Read;

use crate::engine::{Database, HEAD};
use crate::filetype::{self, Type};

/// Limits on unpacking. A limit that is hit is reported as a detection
/// named `Heuristics.Limits.Exceeded.<Limit>`, never as clean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of containers (ClamAV's `--max-recursion`).
    pub max_depth: u32,
    /// Most files extracted from one scanned file (`--max-files`).
    pub max_files: u32,
    /// Most bytes extracted from one scanned file (`--max-scansize`).
    pub max_scan_size: u64,
    /// Largest single extracted file (`--max-filesize`).
    pub max_file_size: u64,
    /// Largest compression ratio of an extracted member that is over
    /// 1 MiB.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 17,
            max_files: 10_000,
            max_scan_size: 400 << 20,
            max_file_size: 100 << 20,
            max_ratio: 1_000,
        }
    }
}

/// How to scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Report every matching signature, not only the first.
    pub all_matches: bool,
    /// Decode mail and scan its parts; also the attachments of TNEF
    /// (`winmail.dat`) and the `data:` URIs of HTML, the other ways
    /// files travel inside mail.
    pub mail: bool,
    /// Extract archives (zip, gzip, tar, cpio) and scan their members.
    pub archives: bool,
    /// Unpacking limits.
    pub limits: Limits,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            all_matches: false,
            mail: true,
            archives: true,
            limits: Limits::default(),
        }
    }
}

/// One detection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection<'db> {
    /// The signature name.
    pub name: &'db str,
    /// `false` for names from plain database files (ClamAV appends
    /// `.UNOFFICIAL` to those) and for heuristic results.
    pub official: bool,
    /// `true` for `Heuristics.*` results of this engine.
    pub heuristic: bool,
}

impl Detection<'_> {
    /// The name as clamscan prints it: `.UNOFFICIAL` is appended to
    /// names from unsigned databases.
    pub fn display_name(&self) -> String {
        if self.official || self.heuristic {
            self.name.to_string()
        } else {
            format!("{}.UNOFFICIAL", self.name)
        }
    }
}

/// The result of scanning one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport<'db> {
    /// Detections, without duplicate names, in the order found.
    pub detections: Vec<Detection<'db>>,
    /// Bytes scanned, the file itself and everything extracted.
    pub scanned_bytes: u64,
    /// Files extracted from containers.
    pub extracted_files: u32,
}

impl ScanReport<'_> {
    /// Whether nothing was found.
    pub fn is_clean(&self) -> bool {
        self.detections.is_empty()
    }
}

/// Which limit was hit.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Limit {
    Recursion,
    Files,
    ScanSize,
    FileSize,
    Ratio,
}

impl Limit {
    fn name(self) -> &'static str {
        match self {
            Limit::Recursion => "Heuristics.Limits.Exceeded.MaxRecursion",
            Limit::Files => "Heuristics.Limits.Exceeded.MaxFiles",
            Limit::ScanSize => "Heuristics.Limits.Exceeded.MaxScanSize",
            Limit::FileSize => "Heuristics.Limits.Exceeded.MaxFileSize",
            Limit::Ratio => "Heuristics.Limits.Exceeded.MaxRatio",
        }
    }
}

/// ClamAV skips objects of this many bytes or fewer.
pub(crate) const MIN_SCAN: usize = 5;

pub(crate) struct Walk<'db, 'o> {
    pub db: &'db Database,
    pub opts: &'o ScanOptions,
    pub report: ScanReport<'db>,
    pub done: bool,
}

impl Database {
    /// Scans one file's bytes: hash, body and logical signatures on the
    /// bytes themselves, on the normalized text of a text file, then
    /// (as ClamAV does) on every decoded mail part and every archive
    /// member.
    ///
    /// # Memory usage
    ///
    /// Bounded by the file itself plus what is extracted from it, which
    /// [`Limits::max_scan_size`] caps (one extracted file is at most
    /// [`Limits::max_file_size`]).
    pub fn scan<'db>(&'db self, data: &[u8], opts: &ScanOptions) -> ScanReport<'db> {
        let mut w = Walk {
            db: self,
            opts,
            report: ScanReport::default(),
            done: false,
        };
        w.object(data, 0, false);
        w.report
    }

    /// Scans a buffer as-is: no decoding of mail or archives.
    pub fn scan_bytes<'db>(&'db self, data: &[u8], all_matches: bool) -> Vec<Detection<'db>> {
        let opts = ScanOptions {
            all_matches,
            mail: false,
            archives: false,
            limits: Limits::default(),
        };
        self.scan(data, &opts).detections
    }
}

/// Removes a comment between a MIME header's name and its colon
/// (`Content-Type(x): multipart/mixed`), which mail readers and ClamAV
/// accept but mail-parser takes for another header: a known trick to
/// hide attachments from filters. Lines of other text are left alone.
fn strip_header_comments(data: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    // Some((end of the name, start of the colon)) for a commented name.
    let commented = |line: &[u8]| -> Option<(usize, usize)> {
        let open = line.iter().position(|&c| c == b'(')?;
        let name = line[..open].trim_ascii_end();
        let mime = name.len() > 8 && name[..8].eq_ignore_ascii_case(b"content-")
            || name.eq_ignore_ascii_case(b"mime-version");
        if !mime || !name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'-') {
            return None;
        }
        let close = open + line[open..].iter().position(|&c| c == b')')?;
        let rest = &line[close + 1..];
        let colon = rest.iter().position(|&c| c != b' ' && c != b'\t')?;
        (rest[colon] == b':').then_some((name.len(), close + 1 + colon))
    };
    if memchr::memmem::find(data, b"(").is_none() {
        return std::borrow::Cow::Borrowed(data);
    }
    let mut out: Option<Vec<u8>> = None;
    let mut at = 0;
    for line in data.split_inclusive(|&c| c == b'\n') {
        if let Some((cut, resume)) = commented(line) {
            let o = out.get_or_insert_with(|| data[..at].to_vec());
            o.extend_from_slice(&line[..cut]);
            o.extend_from_slice(&line[resume..]);
        } else if let Some(o) = &mut out {
            o.extend_from_slice(line);
        }
        at += line.len();
    }
    match out {
        Some(o) => std::borrow::Cow::Owned(o),
        None => std::borrow::Cow::Borrowed(data),
    }
}

impl<'db> Walk<'db, '_> {
    fn hit(&mut self, name: &'db str, official: bool, heuristic: bool) {
        if !self.report.detections.iter().any(|d| d.name == name) {
            self.report.detections.push(Detection {
                name,
                official,
                heuristic,
            });
        }
        if !self.opts.all_matches {
            self.done = true;
        }
    }

    fn limit(&mut self, l: Limit) {
        self.hit(l.name(), false, true);
    }

    pub(crate) fn record(&mut self, hits: &crate::engine::Hits) {
        for &n in &hits.names {
            let (name, official) = self.db.name(n);
            self.hit(name, official, false);
        }
    }

    /// Scans one object; `nested_mail` for a `message/rfc822` part.
    fn object(&mut self, data: &[u8], depth: u32, nested_mail: bool) {
        if self.done || data.len() <= MIN_SCAN || self.db.allowed(data) {
            return;
        }
        self.report.scanned_bytes += data.len() as u64;
        let ty = if nested_mail {
            Type::Mail
        } else {
            filetype::classify(&data[..data.len().min(HEAD)])
        };
        let hits = self
            .db
            .scan_raw(data, ty == Type::Mail, self.opts.all_matches);
        self.record(&hits);
        self.rest(data, ty, depth);
    }

    /// What follows the raw scan of an object: its normalized text, its
    /// parts and members.
    pub(crate) fn rest(&mut self, data: &[u8], ty: Type, depth: u32) {
        if self.done {
            return;
        }
        if ty == Type::Text && self.db.has_norm() {
            let text = filetype::normalize(data);
            let hits = self.db.scan_normalized(&text, self.opts.all_matches);
            self.record(&hits);
        }
        match ty {
            Type::Mail if self.opts.mail => self.mail(data, depth),
            Type::Tnef if self.opts.mail => self.tnef(data, depth),
            Type::Html if self.opts.mail => self.data_uris(data, depth),
            Type::Zip if self.opts.archives => self.zip(data, depth),
            Type::Gzip if self.opts.archives => self.gzip(data, depth),
            Type::Tar if self.opts.archives => self.tar(data, depth),
            Type::Cpio if self.opts.archives => self.cpio(data, depth),
            _ => {}
        }
    }

    /// Reports a container that was too large to unpack.
    pub(crate) fn too_large(&mut self, ty: Type) {
        let unpacks = match ty {
            Type::Mail | Type::Tnef | Type::Html => self.opts.mail,
            Type::Zip | Type::Gzip | Type::Tar | Type::Cpio => self.opts.archives,
            _ => false,
        };
        if unpacks {
            self.limit(Limit::FileSize);
        }
    }

    /// Counts an extracted file against the limits; `false` to stop.
    fn admit(&mut self, size: u64, depth: u32) -> bool {
        let l = &self.opts.limits;
        if depth >= l.max_depth {
            self.limit(Limit::Recursion);
            return false;
        }
        if self.report.extracted_files >= l.max_files {
            self.limit(Limit::Files);
            return false;
        }
        if self.report.scanned_bytes.saturating_add(size) > l.max_scan_size {
            self.limit(Limit::ScanSize);
            return false;
        }
        self.report.extracted_files += 1;
        true
    }

    /// How many parts an extractor should give at most: one more than
    /// the file limit, so that going over it is noticed.
    fn files_wanted(&self) -> usize {
        usize::try_from(self.opts.limits.max_files)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
    }

    /// Scans each of `parts` as a file of its own, until the scan is done.
    fn children<P: AsRef<[u8]>>(&mut self, parts: impl IntoIterator<Item = P>, depth: u32) {
        for part in parts {
            if self.done {
                return;
            }
            self.child(part.as_ref(), depth, false);
        }
    }

    fn child(&mut self, data: &[u8], depth: u32, mail: bool) {
        if self.admit(data.len() as u64, depth) {
            self.object(data, depth + 1, mail);
        }
    }

    /// Inflates at most what the limits leave room for; `None` (after
    /// reporting) when a limit is hit.
    fn inflate(&mut self, r: impl Read, packed: u64) -> Option<Vec<u8>> {
        let l = self.opts.limits;
        let budget = l.max_scan_size.saturating_sub(self.report.scanned_bytes);
        let cap = l.max_file_size.min(budget);
        let mut out = Vec::new();
        if r.take(cap.saturating_add(1)).read_to_end(&mut out).is_err() && out.is_empty() {
            return None;
        }
        let n = out.len() as u64;
        if n > cap {
            self.limit(if cap == l.max_file_size {
                Limit::FileSize
            } else {
                Limit::ScanSize
            });
            return None;
        }
        if n > 1 << 20 && n / packed.max(1) > l.max_ratio {
            self.limit(Limit::Ratio);
            return None;
        }
        Some(out)
    }

    fn mail(&mut self, data: &[u8], depth: u32) {
        let data = strip_header_comments(data);
        self.mail_parts(&data, depth);
        // A header with several boundaries: the parts at each of them.
        for flips in crate::mime::boundary_variants(&data) {
            if self.done {
                return;
            }
            self.mail_parts(&crate::mime::variant(&data, &flips), depth);
        }
    }

    /// Scans the parts of a mail, as mail-parser splits it.
    fn mail_parts(&mut self, data: &[u8], depth: u32) {
        let Some(msg) = mail_parser::MessageParser::default().parse(data) else {
            return;
        };
        let raw = msg.raw_message();
        for part in msg.parts.iter() {
            if self.done {
                return;
            }
            if matches!(part.body, mail_parser::PartType::Multipart(_)) {
                continue;
            }
            // Attachments come decoded from the parser; text parts are
            // decoded again from the raw bytes, since the parser converts
            // their charset and ClamAV scans the bytes as sent.
            if let mail_parser::PartType::Binary(b) | mail_parser::PartType::InlineBinary(b) =
                &part.body
            {
                self.child(b, depth, false);
                // An `x-uuencode` attachment comes as it was sent.
                if part.encoding == mail_parser::Encoding::None {
                    self.uuencoded(b, depth);
                }
                continue;
            }
            let (b, e) = (part.offset_body as usize, part.offset_end as usize);
            let Some(body) = raw.get(b..e.max(b)) else {
                continue;
            };
            let decoded = match part.encoding {
                mail_parser::Encoding::Base64 => mail_parser::decoders::base64::base64_decode(body),
                mail_parser::Encoding::QuotedPrintable => {
                    mail_parser::decoders::quoted_printable::quoted_printable_decode(body)
                }
                mail_parser::Encoding::None => Some(body.to_vec()),
            };
            let Some(decoded) = decoded else { continue };
            let nested = matches!(part.body, mail_parser::PartType::Message(_));
            self.child(&decoded, depth, nested);
            if !nested {
                self.uuencoded(&decoded, depth);
            }
        }
    }

    /// Scans the uuencoded blocks of a text part as attachments, as
    /// ClamAV does (mail-parser leaves `x-uuencode` parts encoded).
    fn uuencoded(&mut self, text: &[u8], depth: u32) {
        if memchr::memmem::find(text, b"begin ").is_none() {
            return;
        }
        let parts = crate::uu::blocks(text, self.files_wanted());
        self.children(parts, depth);
    }

    /// The `data:` URIs of HTML, each scanned as a file.
    fn data_uris(&mut self, data: &[u8], depth: u32) {
        let parts = crate::html::data_uris(data, self.files_wanted());
        self.children(parts, depth);
    }

    fn tnef(&mut self, data: &[u8], depth: u32) {
        let parts = crate::tnef::attachments(data, self.files_wanted());
        self.children(parts, depth);
    }

    fn zip(&mut self, data: &[u8], depth: u32) {
        for m in crate::zip::members(data) {
            if self.done {
                return;
            }
            if m.encrypted {
                continue;
            }
            if m.size > self.opts.limits.max_file_size {
                self.limit(Limit::FileSize);
                continue;
            }
            let content = match m.method {
                0 => Some(m.packed.to_vec()),
                8 => self.inflate(
                    flate2::read::DeflateDecoder::new(m.packed),
                    m.packed.len() as u64,
                ),
                _ => None,
            };
            if let Some(c) = content {
                self.child(&c, depth, false);
            }
        }
    }

    fn gzip(&mut self, data: &[u8], depth: u32) {
        if let Some(c) = self.inflate(flate2::read::MultiGzDecoder::new(data), data.len() as u64) {
            self.child(&c, depth, false);
        }
    }

    fn cpio(&mut self, data: &[u8], depth: u32) {
        let parts = crate::cpio::members(data, self.files_wanted());
        self.children(parts, depth);
    }

    fn tar(&mut self, data: &[u8], depth: u32) {
        let Ok(entries) = crate::tar::entries(data) else {
            return;
        };
        for e in entries {
            if self.done {
                return;
            }
            self.child(e.data, depth, false);
        }
    }
}
