//! Scanning a file that arrives in pieces.

use crate::content::{MIN_SCAN, ScanOptions, ScanReport, Walk};
use crate::engine::{Ctx, Database, EofMode, HEAD, Hashers, Hits, Scratch, View};
use crate::filetype::{self, Type};
use crate::pattern::Hay;
use crate::pe::PeInfo;

/// What the first bytes said about the file.
#[derive(Debug)]
struct Head {
    ty: Type,
    pe: Option<PeInfo>,
}

/// A scan of one file fed in chunks: [`Stream::write`] each piece as it
/// arrives, then [`Stream::finish`]. Matches that cross chunk
/// boundaries are found, and the report is the one
/// [`Database::scan`] gives for the whole file.
///
/// ```
/// use rampart_av_sigscan::{Loader, LoadOptions, ScanOptions};
///
/// let mut loader = Loader::new(LoadOptions::default());
/// loader.add("local.ndb", b"Test.Split:0:*:6576696c{-8}636f6465\n")?;
/// let db = loader.compile()?;
/// let mut s = db.stream(&ScanOptions::default());
/// s.write(b"some ev");
/// s.write(b"il-->co");
/// s.write(b"de here");
/// assert_eq!(s.finish().detections[0].name, "Test.Split");
/// # Ok::<(), rampart_av_sigscan::LoadError>(())
/// ```
///
/// # Memory usage
///
/// A plain file is matched through a window: the first 64 KiB (held
/// until the file type is known), then as many bytes as the longest
/// bounded part of any signature reaches, plus the tail that `EOF-n`
/// offsets need. The whole file is kept (up to
/// [`Limits::max_file_size`](crate::Limits::max_file_size)) only when
/// it must be unpacked or normalized at the end: a mail, an archive, a
/// text file when some signature applies to normalized text, a PE file
/// when the database has section hashes, and any file when it has PCRE
/// sub-signatures. A container over that size is reported as
/// `Heuristics.Limits.Exceeded.MaxFileSize`.
#[derive(Debug)]
pub struct Stream<'db> {
    db: &'db Database,
    opts: ScanOptions,
    total: u64,
    /// Bytes `[base, base + window.len())` of the file.
    window: Vec<u8>,
    base: u64,
    /// Anchors that start before this offset are done.
    done_to: u64,
    head: Option<Head>,
    hits: Hits,
    scratch: Scratch,
    hashers: Hashers,
    /// The whole file, when it is needed at the end.
    kept: Option<Vec<u8>>,
    /// The file was needed whole but grew over the limit.
    overflow: bool,
}

impl Database {
    /// Starts a streaming scan of one file.
    pub fn stream<'db>(&'db self, opts: &ScanOptions) -> Stream<'db> {
        self.stream_sized(opts, None)
    }

    /// Starts a streaming scan of a file whose length is known, which
    /// spares the digests no hash signature of that size needs.
    pub fn stream_sized<'db>(&'db self, opts: &ScanOptions, len: Option<u64>) -> Stream<'db> {
        let mut need = self.file_hashes().needs(len);
        for (n, a) in need.iter_mut().zip(self.allow_list().needs(len)) {
            *n |= a;
        }
        Stream {
            db: self,
            opts: *opts,
            total: 0,
            window: Vec::new(),
            base: 0,
            done_to: 0,
            head: None,
            hits: Hits::default(),
            scratch: Scratch::default(),
            hashers: Hashers::new(need),
            kept: None,
            overflow: false,
        }
    }
}

impl<'db> Stream<'db> {
    /// Feeds the next piece of the file.
    pub fn write(&mut self, chunk: &[u8]) {
        if chunk.is_empty() {
            return;
        }
        self.hashers.update(chunk);
        self.total += chunk.len() as u64;
        if let Some(k) = &mut self.kept {
            if (k.len() + chunk.len()) as u64 > self.opts.limits.max_file_size {
                self.kept = None;
                self.overflow = true;
            } else {
                k.extend_from_slice(chunk);
            }
        }
        self.window.extend_from_slice(chunk);
        if self.head.is_none() {
            if self.window.len() < HEAD {
                return;
            }
            self.decide();
        }
        self.advance(false);
    }

    /// Bytes fed so far.
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Bytes held in memory (the window and a kept copy).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.window.len() + self.kept.as_ref().map_or(0, Vec::len)
    }

    /// Whether nothing has been fed yet.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Looks at the first bytes: file type, PE header, and whether the
    /// whole file must be kept.
    fn decide(&mut self) {
        let head = &self.window[..self.window.len().min(HEAD)];
        let ty = filetype::classify(head);
        let pe = self.db.pe_of(head);
        let unpack = match ty {
            Type::Mail | Type::Tnef | Type::Html => self.opts.mail,
            Type::Zip | Type::Gzip | Type::Tar | Type::Cpio => self.opts.archives,
            Type::Text => self.db.has_norm(),
            Type::Binary => false,
        };
        let keep = unpack || self.db.has_pcre() || (pe.is_some() && self.db.has_section_hashes());
        if keep {
            // Nothing has left the window before the head was read.
            if self.window.len() as u64 > self.opts.limits.max_file_size {
                self.overflow = true;
            } else {
                self.kept = Some(self.window.clone());
            }
        }
        self.head = Some(Head { ty, pe });
    }

    fn ctx(&self, eof: bool, mode: EofMode) -> Ctx<'_> {
        let head = self.head.as_ref().expect("decided before matching");
        Ctx {
            len: eof.then_some(self.total),
            pe: head.pe.as_ref(),
            view: View::Raw {
                mail: head.ty == Type::Mail,
            },
            eof: mode,
            all: self.opts.all_matches,
        }
    }

    /// Processes every anchor whose forward reach is in the window, then
    /// drops what no later anchor can need.
    fn advance(&mut self, eof: bool) {
        let db = self.db;
        let avail = self.base + self.window.len() as u64;
        let to = if eof {
            avail
        } else {
            avail.saturating_sub(db.max_fwd() as u64)
        };
        if to > self.done_to && !self.hits.done {
            let mut hits = std::mem::take(&mut self.hits);
            let mut scratch = std::mem::take(&mut self.scratch);
            let ctx = self.ctx(eof, EofMode::Skip);
            let hay = Hay {
                data: &self.window,
                at_start: self.base == 0,
                at_end: eof,
            };
            let (from, end) = (
                (self.done_to - self.base) as usize,
                (to - self.base) as usize,
            );
            db.scan_range(&mut hits, &ctx, hay, self.base, from, end, &mut scratch);
            self.hits = hits;
            self.scratch = scratch;
            self.done_to = to;
        }
        if eof {
            return;
        }
        // Keep the look-back of the next anchors and the tail for
        // `EOF-n` offsets.
        let keep = self
            .done_to
            .saturating_sub(db.max_back() as u64)
            .min(avail.saturating_sub(db.max_eof() + 1));
        if keep > self.base {
            self.window.drain(..(keep - self.base) as usize);
            self.base = keep;
        }
    }

    /// Ends the file and returns the report.
    pub fn finish(mut self) -> ScanReport<'db> {
        let db = self.db;
        let opts = self.opts;
        let mut w = Walk {
            db,
            opts: &opts,
            report: ScanReport::default(),
            done: false,
        };
        if self.total <= MIN_SCAN as u64 {
            return w.report;
        }
        if self.head.is_none() {
            self.decide();
        }
        self.advance(true);
        // `EOF-n` chains, on the tail.
        if db.max_eof() > 0 && !self.hits.done {
            let mut hits = std::mem::take(&mut self.hits);
            let mut scratch = std::mem::take(&mut self.scratch);
            let ctx = self.ctx(true, EofMode::Only);
            let hay = Hay {
                data: &self.window,
                at_start: self.base == 0,
                at_end: true,
            };
            let n = self.window.len();
            db.scan_range(&mut hits, &ctx, hay, self.base, 0, n, &mut scratch);
            self.hits = hits;
        }
        let digests = std::mem::take(&mut self.hashers).finish();
        if db.allowed_digests(self.total, &digests) {
            return w.report;
        }
        w.report.scanned_bytes = self.total;
        let head = self.head.take().expect("decided above");
        let mut hashed = Hits::default();
        db.hash_hits(
            self.total,
            &digests,
            self.kept.as_deref(),
            head.pe.as_ref(),
            &mut hashed,
        );
        // As the whole-buffer scan: in first-match mode a hash match
        // comes first.
        let mut hits = if !self.opts.all_matches && !hashed.names.is_empty() {
            hashed.names.truncate(1);
            hashed
        } else {
            let mut h = std::mem::take(&mut self.hits);
            let mut names = hashed.names;
            for n in h.names.drain(..) {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            h.names = names;
            if !self.opts.all_matches && !h.names.is_empty() {
                h.done = true;
            }
            let ctx = Ctx {
                len: Some(self.total),
                pe: head.pe.as_ref(),
                view: View::Raw {
                    mail: head.ty == Type::Mail,
                },
                eof: EofMode::All,
                all: self.opts.all_matches,
            };
            db.eval_logicals(&mut h, &ctx, self.kept.as_deref());
            h
        };
        hits.names.dedup();
        w.record(&hits);
        match &self.kept {
            Some(data) => w.rest(data, head.ty, 0),
            None if self.overflow => w.too_large(head.ty),
            None => {}
        }
        w.report
    }
}
