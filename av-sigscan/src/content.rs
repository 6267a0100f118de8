//! Scanning a file with its content: mail parts and archive members
//! are decoded and scanned as files of their own, within limits.

use std::io::Read;

use crate::engine::{Database, Kind};

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
    /// Decode mail and scan its parts.
    pub mail: bool,
    /// Extract archives (zip, gzip, tar) and scan their members.
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
enum Limit {
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

struct Walk<'db, 'o> {
    db: &'db Database,
    opts: &'o ScanOptions,
    report: ScanReport<'db>,
    done: bool,
}

impl Database {
    /// Scans one file's bytes: hash, body and logical signatures on the
    /// bytes themselves, then (as ClamAV does) on every decoded mail
    /// part and every archive member.
    ///
    /// Memory use is bounded by the file itself plus
    /// [`Limits::max_file_size`] per nesting level.
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

/// Mail detection: the file starts like a message header.
fn looks_like_mail(data: &[u8]) -> bool {
    const HEADERS: &[&[u8]] = &[
        b"from:",
        b"received:",
        b"return-path:",
        b"delivered-to:",
        b"message-id:",
        b"mime-version:",
        b"subject:",
        b"to:",
        b"date:",
        b"x-",
        b"reply-to:",
        b"content-type:",
    ];
    if data.starts_with(b"From ") {
        return true;
    }
    let head = &data[..data.len().min(64)];
    let lower: Vec<u8> = head.to_ascii_lowercase();
    HEADERS.iter().any(|h| lower.starts_with(h))
        && data
            .windows(2)
            .take(4096)
            .any(|w| w == b"\n\n" || w == b"\r\n")
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

    /// Scans one object; `mail_part` means it came out of a mail.
    fn object(&mut self, data: &[u8], depth: u32, nested_mail: bool) {
        if self.done {
            return;
        }
        if self.db.allowed(data) {
            return;
        }
        self.report.scanned_bytes += data.len() as u64;
        let is_mail = self.opts.mail && (nested_mail || looks_like_mail(data));
        let kind = if is_mail { Kind::Mail } else { Kind::Plain };
        let hits = self.db.scan_buffer(data, kind, self.opts.all_matches);
        for n in hits.names {
            let (name, official) = self.db.name(n);
            self.hit(name, official, false);
        }
        if self.done {
            return;
        }
        if is_mail {
            self.mail(data, depth);
        } else if self.opts.archives {
            if data.starts_with(b"PK\x03\x04") {
                self.zip(data, depth);
            } else if data.starts_with(&[0x1f, 0x8b]) {
                self.gzip(data, depth);
            } else if data.len() >= 512 && crate::tar::is_header(&data[..512]) {
                self.tar(data, depth);
            }
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

    fn child(&mut self, data: &[u8], depth: u32, mail: bool) {
        if self.admit(data.len() as u64, depth) {
            self.object(data, depth + 1, mail);
        }
    }

    /// Inflates at most the file-size limit; `None` (after reporting)
    /// when a limit is hit.
    fn inflate(&mut self, r: impl Read, packed: u64) -> Option<Vec<u8>> {
        let cap = self.opts.limits.max_file_size;
        let mut out = Vec::new();
        if r.take(cap + 1).read_to_end(&mut out).is_err() && out.is_empty() {
            return None;
        }
        if out.len() as u64 > cap {
            self.limit(Limit::FileSize);
            return None;
        }
        let n = out.len() as u64;
        if n > 1 << 20 && n / packed.max(1) > self.opts.limits.max_ratio {
            self.limit(Limit::Ratio);
            return None;
        }
        Some(out)
    }

    fn mail(&mut self, data: &[u8], depth: u32) {
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
        }
    }

    fn zip(&mut self, data: &[u8], depth: u32) {
        for m in crate::zip::members(data) {
            if self.done {
                return;
            }
            if m.encrypted || m.size > self.opts.limits.max_file_size {
                if m.size > self.opts.limits.max_file_size {
                    self.limit(Limit::FileSize);
                }
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
