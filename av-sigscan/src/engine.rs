//! The compiled database and the matcher.
//!
//! # How a body signature is found
//!
//! A pattern is cut at its unbounded gaps (`*`, `{n-}`) into *stages*;
//! each stage is bounded and has a fixed *anchor*, a run of static
//! bytes inside it, which [`crate::index`] finds. Candidates are
//! processed in the order of their position, and each one is verified
//! around its anchor (see [`crate::pattern`]). A stage after the first
//! only has to start after the earliest end of the stage before it, so
//! a chain of stages needs one number of state per stage, and no
//! verification ever walks further than one stage reaches. That is what
//! keeps scanning linear in the input and lets the streaming scanner
//! work through a bounded window.

use std::collections::HashMap;

use md5::Digest;

use crate::db::{HashKind, HashScope, HashSig, Info, Loader, Target};
use crate::error::LoadError;
use crate::index::{self, Cand, GRAM, Index, IndexBuilder, MAX_SHORT};
use crate::ldb::{Expr, PcreSub, SubSig, Tdb};
use crate::offset::Offset;
use crate::pattern::{
    Dir, Elem, Hay, Pattern, first_in, fixed_width, lit_match, match_fixed, reach, walk,
};
use crate::pe::PeInfo;

/// Bytes processed per round of candidate collection.
pub(crate) const BLOCK: usize = 1 << 16;
/// PE headers are read from the first bytes of a file only (the
/// streaming scanner holds these back until it knows the file type).
pub(crate) const HEAD: usize = 1 << 16;

/// Who a body pattern belongs to.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Body(u32),
    Sub { lsig: u32, sub: u32 },
}

/// One pattern: a chain of stages.
#[derive(Debug)]
struct Chain {
    owner: Owner,
    target: Target,
    offset: Offset,
    /// Key of the first stage in [`Hits::best`]; stage `i` uses
    /// `slot + i`.
    slot: u32,
    stages: u16,
    /// The offset counts from the end of the file.
    eof: bool,
}

/// One stage of a chain, split around its anchor.
#[derive(Debug)]
struct Entry {
    chain: u32,
    stage: u16,
    /// Fewest bytes between the end of the previous stage and the start
    /// of this one.
    gap: u32,
    // Boxed slices and 32-bit widths: there is one entry per stage, a
    // million or more of them in a large database.
    prefix: Box<[Elem]>,
    suffix: Box<[Elem]>,
    /// The anchor bytes (lowercase when `nocase`).
    anchor: Box<[u8]>,
    nocase: bool,
    /// The widths of prefix and suffix when they are fixed (and fit).
    prefix_width: Option<u32>,
    suffix_width: Option<u32>,
}

type Key = (HashKind, [u8; 32]);

fn key(kind: HashKind, d: &[u8]) -> Key {
    let mut k = [0u8; 32];
    k[..d.len()].copy_from_slice(d);
    (kind, k)
}

fn kind_ix(k: HashKind) -> usize {
    match k {
        HashKind::Md5 => 0,
        HashKind::Sha1 => 1,
        HashKind::Sha256 => 2,
    }
}

/// The digests of one object, each computed only if some signature
/// needs it.
#[derive(Debug, Default, Clone)]
pub(crate) struct Digests {
    d: [Option<Vec<u8>>; 3],
}

impl Digests {
    pub(crate) fn of(data: &[u8], need: [bool; 3]) -> Digests {
        Digests {
            d: [
                need[0].then(|| md5::Md5::digest(data).to_vec()),
                need[1].then(|| sha1::Sha1::digest(data).to_vec()),
                need[2].then(|| sha2::Sha256::digest(data).to_vec()),
            ],
        }
    }
}

/// Running digests for the streaming scanner.
#[derive(Debug, Default, Clone)]
pub(crate) struct Hashers {
    md5: Option<md5::Md5>,
    sha1: Option<sha1::Sha1>,
    sha256: Option<sha2::Sha256>,
}

impl Hashers {
    pub(crate) fn new(need: [bool; 3]) -> Hashers {
        Hashers {
            md5: need[0].then(md5::Md5::new),
            sha1: need[1].then(sha1::Sha1::new),
            sha256: need[2].then(sha2::Sha256::new),
        }
    }

    pub(crate) fn update(&mut self, b: &[u8]) {
        if let Some(h) = &mut self.md5 {
            h.update(b);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(b);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(b);
        }
    }

    pub(crate) fn finish(self) -> Digests {
        Digests {
            d: [
                self.md5.map(|h| h.finalize().to_vec()),
                self.sha1.map(|h| h.finalize().to_vec()),
                self.sha256.map(|h| h.finalize().to_vec()),
            ],
        }
    }
}

/// Hash signatures keyed by size, plus the size-less (`*`) ones.
#[derive(Debug, Default)]
pub(crate) struct HashIndex {
    sized: HashMap<u64, HashMap<Key, Vec<u32>>>,
    any: HashMap<Key, Vec<u32>>,
    any_kinds: [bool; 3],
    kinds: [bool; 3],
}

impl HashIndex {
    fn insert(&mut self, h: &HashSig) {
        let k = key(h.kind, &h.digest);
        self.kinds[kind_ix(h.kind)] = true;
        match h.size {
            Some(s) => self.sized.entry(s).or_default().entry(k).or_default(),
            None => {
                self.any_kinds[kind_ix(h.kind)] = true;
                self.any.entry(k).or_default()
            }
        }
        .push(h.name);
    }

    fn is_empty(&self) -> bool {
        self.sized.is_empty() && self.any.is_empty()
    }

    /// The digests a file of `len` bytes needs; with `None`, every kind
    /// that any signature uses.
    pub(crate) fn needs(&self, len: Option<u64>) -> [bool; 3] {
        let Some(len) = len else {
            return self.kinds;
        };
        let mut need = self.any_kinds;
        if let Some(m) = self.sized.get(&len) {
            for (k, _) in m.keys() {
                need[kind_ix(*k)] = true;
            }
        }
        need
    }

    /// Names whose digest and size match.
    fn lookup(&self, len: u64, d: &Digests, out: &mut Vec<u32>) {
        let sized = self.sized.get(&len);
        for (kind, d) in [HashKind::Md5, HashKind::Sha1, HashKind::Sha256]
            .into_iter()
            .zip(&d.d)
        {
            let Some(d) = d else { continue };
            let k = key(kind, d);
            if let Some(v) = sized.and_then(|m| m.get(&k)) {
                out.extend(v);
            }
            if let Some(v) = self.any.get(&k) {
                out.extend(v);
            }
        }
    }
}

/// A compiled logical signature.
#[derive(Debug)]
struct Logical {
    name: u32,
    target: Target,
    tdb: Tdb,
    expr: Expr,
    nsubs: usize,
    pcres: Vec<(usize, PcreSub)>,
}

/// A compiled, immutable signature database; share it between threads
/// with `&` or `Arc`.
#[derive(Debug)]
pub struct Database {
    names: Vec<(String, bool)>,
    chains: Vec<Chain>,
    entries: Vec<Entry>,
    /// Anchors of signatures on the raw bytes.
    raw: Index,
    /// Anchors of signatures that can match normalized text (target 7,
    /// and target 0 when every byte they need survives normalization).
    norm: Option<Index>,
    file_hashes: HashIndex,
    section_hashes: HashIndex,
    allow: HashIndex,
    logicals: Vec<Logical>,
    needs_pe: bool,
    has_pcre: bool,
    /// Most bytes a stage reads before its anchor.
    max_back: usize,
    /// Most bytes a stage reads after its anchor starts.
    max_fwd: usize,
    /// Most bytes before the end of the file an `EOF-n` offset reaches.
    max_eof: u64,
    info: Info,
}

/// How common a byte is in files, roughly; anchors avoid common bytes.
fn commonness(b: u8) -> u32 {
    match b {
        0 => 100,
        b' ' => 90,
        b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' => 70,
        0xff | b'\r' | b'\n' => 60,
        b'a'..=b'z' => 50,
        b'0'..=b'9' => 35,
        0x21..=0x7e => 30,
        _ => 10,
    }
}

/// The longest static run of a stage.
fn longest_run(elems: &[Elem]) -> usize {
    elems
        .iter()
        .map(|e| match e {
            Elem::Lit(v) => v.len(),
            _ => 0,
        })
        .max()
        .unwrap_or(0)
}

/// The anchor of one stage: (element index, start in the run, length).
/// A gram anchor (`GRAM + stride - 1` bytes) where a run allows it, the
/// window of least common bytes; else all of the longest run.
fn choose_anchor(elems: &[Elem], stride: usize) -> Option<(usize, usize, usize)> {
    let runs: Vec<(usize, &Vec<u8>)> = elems
        .iter()
        .enumerate()
        .filter_map(|(i, e)| match e {
            Elem::Lit(v) if v.len() >= 2 => Some((i, v)),
            _ => None,
        })
        .collect();
    // The window of `len` bytes with the least common bytes: a sliding
    // sum, with a penalty for repeated bytes checked only for windows
    // that could win.
    let best = |len: usize| {
        let mut best: Option<(u32, usize, usize)> = None;
        for &(i, v) in &runs {
            if v.len() < len {
                continue;
            }
            let mut sum: u32 = v[..len].iter().map(|&b| commonness(b)).sum();
            for s in 0..=v.len() - len {
                if s > 0 {
                    sum = sum + commonness(v[s + len - 1]) - commonness(v[s - 1]);
                }
                if best.is_some_and(|(b, _, _)| sum >= b) {
                    continue;
                }
                let w = &v[s..s + len];
                let repeats = (1..len).filter(|&k| w[..k].contains(&w[k])).count() as u32;
                let sc = sum + 50 * repeats;
                if best.is_none_or(|(b, _, _)| sc < b) {
                    best = Some((sc, i, s));
                }
            }
        }
        best.map(|(_, i, s)| (i, s))
    };
    let a = GRAM + stride - 1;
    if let Some((i, s)) = best(a) {
        return Some((i, s, a));
    }
    // A short anchor: all of the longest run (shorter than a gram
    // window here), so that as many bytes as possible are probed.
    let len = runs.iter().map(|(_, v)| v.len()).max()?.min(MAX_SHORT);
    let (i, s) = best(len)?;
    Some((i, s, len))
}

fn split_at_anchor(
    mut prefix: Vec<Elem>,
    (idx, start, len): (usize, usize, usize),
) -> (Vec<Elem>, Vec<u8>, Vec<Elem>) {
    let rest = prefix.split_off(idx + 1);
    let Some(Elem::Lit(mut run)) = prefix.pop() else {
        unreachable!("anchors are literal runs")
    };
    let mut suffix = Vec::with_capacity(rest.len() + 1);
    if start + len < run.len() {
        suffix.push(Elem::Lit(run.split_off(start + len)));
    }
    suffix.extend(rest);
    let anchor = run.split_off(start);
    if !run.is_empty() {
        // The run keeps its whole allocation otherwise; at a million
        // signatures the slack adds up.
        run.shrink_to_fit();
        prefix.push(Elem::Lit(run));
    }
    (prefix, anchor, suffix)
}

/// Cuts a pattern at its unbounded gaps: the stages, and the fewest
/// bytes each gap skips.
fn stages_of(elems: Vec<Elem>) -> (Vec<Vec<Elem>>, Vec<u32>) {
    let mut stages = vec![Vec::new()];
    let mut gaps = Vec::new();
    for e in elems {
        match e {
            Elem::Gap { min, max: None } => {
                gaps.push(min);
                stages.push(Vec::new());
            }
            e => stages.last_mut().expect("one stage at least").push(e),
        }
    }
    (stages, gaps)
}

/// Whether a byte survives text normalization (lowercase ASCII, digits,
/// punctuation and single spaces).
fn normal_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x40 | 0x5b..=0x7f)
}

/// Whether a pattern can match normalized text at all; a target-0
/// signature that cannot is left out of the normalized view.
fn can_match_normalized(elems: &[Elem]) -> bool {
    let test_ok =
        |t: &crate::pattern::ByteTest| (0u8..=255).any(|b| b & t.mask == t.value && normal_byte(b));
    elems.iter().all(|e| match e {
        Elem::Lit(v) => v.iter().all(|&b| normal_byte(b)),
        Elem::Byte(t) => test_ok(t),
        Elem::Alt(a) => a.iter().any(|alt| alt.iter().all(test_ok)),
        _ => true,
    })
}

/// What a chain is added with.
struct ChainSpec {
    owner: Owner,
    target: Target,
    offset: Offset,
}

/// A chain waiting for the stride to be known.
struct Pending {
    spec: ChainSpec,
    elems: Vec<Elem>,
    nocase: bool,
}

struct Builder {
    db: Database,
    pending: Vec<Pending>,
}

impl Builder {
    fn add(&mut self, p: Pattern, spec: ChainSpec) {
        let nocase = p.nocase;
        self.pending.push(Pending {
            spec,
            elems: p.into_merged(),
            nocase,
        });
    }

    /// Cuts every chain into stages around their anchors and indexes
    /// them.
    fn finish(&mut self) -> (Index, Index) {
        let split = |e: &Elem| matches!(e, Elem::Gap { max: None, .. });
        let runs: Vec<usize> = self
            .pending
            .iter()
            .flat_map(|p| p.elems.split(split).map(longest_run))
            .collect();
        let stride = index::choose_stride(&runs);
        let (mut raw, mut norm) = (IndexBuilder::default(), IndexBuilder::default());
        let mut slots = 0u32;
        let db = &mut self.db;
        // One entry per stage, one chain per pattern: sized exactly.
        db.entries.reserve_exact(runs.len());
        db.chains.reserve_exact(self.pending.len());
        for p in std::mem::take(&mut self.pending) {
            let in_norm = match p.spec.target {
                Target::Text => true,
                Target::Any => can_match_normalized(&p.elems),
                _ => false,
            };
            let (stages, gaps) = stages_of(p.elems);
            // The parser guarantees an anchor in every stage.
            let Some(anchors) = stages
                .iter()
                .map(|s| choose_anchor(s, stride))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let spec = p.spec;
            let chain = db.chains.len() as u32;
            if let Some(n) = spec.offset.eof_reach() {
                db.max_eof = db.max_eof.max(n);
            }
            db.needs_pe |= spec.target == Target::Pe || spec.offset.needs_pe();
            let in_raw = spec.target != Target::Text;
            db.chains.push(Chain {
                owner: spec.owner,
                target: spec.target,
                offset: spec.offset,
                slot: slots,
                stages: stages.len() as u16,
                eof: spec.offset.counts_from_end(),
            });
            slots += stages.len() as u32;
            for (i, (stage, anchor)) in stages.into_iter().zip(anchors).enumerate() {
                let (prefix, a, suffix) = split_at_anchor(stage, anchor);
                // What a window must hold around a probe: the prefix and
                // look-behind, the anchor, suffix and look-ahead, and
                // the slack of a strided probe.
                db.max_back = db.max_back.max(reach(&prefix).unwrap_or(0) + 1 + stride);
                db.max_fwd = db
                    .max_fwd
                    .max(a.len() + reach(&suffix).unwrap_or(0) + 2 + stride);
                let id = db.entries.len() as u32;
                if in_raw {
                    raw.add(&a, p.nocase, stride, id);
                }
                if in_norm {
                    norm.add(&a, p.nocase, stride, id);
                }
                db.entries.push(Entry {
                    chain,
                    stage: i as u16,
                    gap: if i == 0 { 0 } else { gaps[i - 1] },
                    anchor: a.into_boxed_slice(),
                    nocase: p.nocase,
                    prefix_width: fixed_width(&prefix).and_then(|w| u32::try_from(w).ok()),
                    suffix_width: fixed_width(&suffix).and_then(|w| u32::try_from(w).ok()),
                    prefix: prefix.into_boxed_slice(),
                    suffix: suffix.into_boxed_slice(),
                });
            }
        }
        (raw.build(stride), norm.build(stride))
    }
}

impl Loader {
    /// Compiles everything loaded into an immutable [`Database`].
    ///
    /// # Errors
    ///
    /// [`LoadError::Empty`] when nothing was loaded.
    pub fn compile(self) -> Result<Database, LoadError> {
        let Loader {
            names,
            hashes,
            bodies,
            logicals,
            ignore,
            info,
            ..
        } = self;
        if names.is_empty() {
            return Err(LoadError::Empty("the given databases".into()));
        }
        let ignored = |n: u32| ignore.contains(&names[n as usize].0);
        let mut b = Builder {
            db: Database {
                names: Vec::new(),
                chains: Vec::new(),
                entries: Vec::new(),
                raw: Index::default(),
                norm: None,
                file_hashes: HashIndex::default(),
                section_hashes: HashIndex::default(),
                allow: HashIndex::default(),
                logicals: Vec::new(),
                needs_pe: false,
                has_pcre: false,
                max_back: 1,
                max_fwd: MAX_SHORT + 2,
                max_eof: 0,
                info,
            },
            pending: Vec::new(),
        };
        for h in hashes.iter().filter(|h| !ignored(h.name)) {
            let db = &mut b.db;
            match h.scope {
                HashScope::File => db.file_hashes.insert(h),
                HashScope::Section => {
                    db.needs_pe = true;
                    db.section_hashes.insert(h)
                }
                HashScope::Allow => db.allow.insert(h),
            }
        }
        for s in bodies.into_iter().filter(|s| !ignored(s.name)) {
            let spec = ChainSpec {
                owner: Owner::Body(s.name),
                target: s.target,
                offset: s.offset,
            };
            b.add(s.pattern, spec);
        }
        for l in logicals.into_iter().filter(|l| !ignored(l.name)) {
            let lsig = b.db.logicals.len() as u32;
            b.db.needs_pe |=
                l.target == Target::Pe || l.tdb.entry_point.is_some() || l.tdb.sections.is_some();
            let mut pcres = Vec::new();
            let nsubs = l.subs.len();
            for (i, s) in l.subs.into_iter().enumerate() {
                let owner = Owner::Sub {
                    lsig,
                    sub: i as u32,
                };
                match s {
                    SubSig::Body {
                        offset,
                        pattern,
                        ascii,
                        wide,
                        fullword,
                    } => {
                        let spec = || ChainSpec {
                            owner,
                            target: l.target,
                            offset,
                        };
                        if wide {
                            let mut p = pattern.widened();
                            if fullword {
                                p.fullword(true);
                            }
                            b.add(p, spec());
                        }
                        if ascii {
                            let mut p = pattern;
                            if fullword {
                                p.fullword(false);
                            }
                            b.add(p, spec());
                        }
                    }
                    SubSig::Pcre(p) => pcres.push((i, *p)),
                }
            }
            b.db.has_pcre |= !pcres.is_empty();
            b.db.logicals.push(Logical {
                name: l.name,
                target: l.target,
                tdb: l.tdb,
                expr: l.expr,
                nsubs,
                pcres,
            });
        }
        let (raw, norm) = b.finish();
        let mut db = b.db;
        db.raw = raw;
        db.norm = (norm.keys() > 0 || db.logicals.iter().any(|l| l.target == Target::Text))
            .then_some(norm);
        db.names = names;
        db.names.shrink_to_fit();
        db.logicals.shrink_to_fit();
        Ok(db)
    }
}

/// Which data a scan looks at, for target types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum View {
    /// The bytes of a file; `mail` when the file is a mail message.
    Raw { mail: bool },
    /// The normalized text of a text file.
    Norm,
}

/// Which chains a pass handles, by their offset's origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EofMode {
    /// Every chain (the file's length is known).
    All,
    /// Chains whose offset counts from the start (streaming).
    Skip,
    /// Only `EOF-n` chains (the tail pass of the streaming scanner).
    Only,
}

/// What a pass knows about the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'p> {
    pub len: Option<u64>,
    pub pe: Option<&'p PeInfo>,
    pub view: View,
    pub eof: EofMode,
    pub all: bool,
}

impl Ctx<'_> {
    fn admits(&self, t: Target) -> bool {
        match (self.view, t) {
            (View::Raw { .. }, Target::Any) => true,
            (View::Raw { .. }, Target::Pe) => self.pe.is_some(),
            (View::Raw { mail }, Target::Mail) => mail,
            (View::Raw { .. }, Target::Text) => false,
            (View::Norm, t) => matches!(t, Target::Any | Target::Text),
        }
    }
}

/// The matching state of one object.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    /// Names found, in order, without duplicates.
    pub names: Vec<u32>,
    /// In first-match mode: something was found, stop.
    pub done: bool,
    lsig_counts: HashMap<u32, Vec<u64>>,
    last_sub: HashMap<(u32, u32), u64>,
    /// Earliest end of each chain stage matched so far.
    best: HashMap<u32, u64>,
}

impl Hits {
    fn add_name(&mut self, n: u32, all: bool) {
        if !self.names.contains(&n) {
            self.names.push(n);
        }
        if !all {
            self.done = true;
        }
    }
}

/// Scratch space of one pass.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    cands: Vec<Cand>,
}

impl Database {
    /// The name of signature `id` and whether it is official (from a
    /// signed container).
    pub(crate) fn name(&self, id: u32) -> (&str, bool) {
        let (n, o) = &self.names[id as usize];
        (n, *o)
    }

    /// What was loaded, per type.
    pub fn info(&self) -> &Info {
        &self.info
    }

    /// Number of keys in the anchor index of the raw bytes (4-byte grams,
    /// case variants included, and byte pairs).
    pub fn anchor_count(&self) -> usize {
        self.raw.keys()
    }

    /// The index of the raw bytes.
    pub(crate) fn raw_index(&self) -> &Index {
        &self.raw
    }

    /// The anchor of stage `id` (lowercase when case-insensitive) and
    /// whether it is case-insensitive.
    pub(crate) fn anchor_of(&self, id: u32) -> (&[u8], bool) {
        let e = &self.entries[id as usize];
        (&e.anchor, e.nocase)
    }

    /// The ids of the stages in the index of the raw bytes.
    pub(crate) fn raw_stages(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.entries.len() as u32).filter(|&id| {
            let chain = self.entries[id as usize].chain;
            self.chains[chain as usize].target != Target::Text
        })
    }

    pub(crate) fn has_norm(&self) -> bool {
        self.norm.is_some()
    }

    pub(crate) fn has_pcre(&self) -> bool {
        self.has_pcre
    }

    pub(crate) fn has_section_hashes(&self) -> bool {
        !self.section_hashes.is_empty()
    }

    pub(crate) fn max_back(&self) -> usize {
        self.max_back
    }

    pub(crate) fn max_fwd(&self) -> usize {
        self.max_fwd
    }

    pub(crate) fn max_eof(&self) -> u64 {
        self.max_eof
    }

    pub(crate) fn file_hashes(&self) -> &HashIndex {
        &self.file_hashes
    }

    pub(crate) fn allow_list(&self) -> &HashIndex {
        &self.allow
    }

    /// The PE header of a file, when a signature needs one.
    pub(crate) fn pe_of(&self, data: &[u8]) -> Option<PeInfo> {
        if !self.needs_pe {
            return None;
        }
        PeInfo::parse(&data[..data.len().min(HEAD)])
    }

    /// Whether `data` is on the allow-list (`.fp`/`.sfp`).
    pub(crate) fn allowed(&self, data: &[u8]) -> bool {
        if self.allow.is_empty() {
            return false;
        }
        let len = data.len() as u64;
        let d = Digests::of(data, self.allow.needs(Some(len)));
        self.allowed_digests(len, &d)
    }

    pub(crate) fn allowed_digests(&self, len: u64, d: &Digests) -> bool {
        let mut v = Vec::new();
        self.allow.lookup(len, d, &mut v);
        !v.is_empty()
    }

    /// Whole-file and PE-section hashes.
    pub(crate) fn hash_hits(
        &self,
        len: u64,
        d: &Digests,
        data: Option<&[u8]>,
        pe: Option<&PeInfo>,
        hits: &mut Hits,
    ) {
        let mut v = Vec::new();
        self.file_hashes.lookup(len, d, &mut v);
        if let (Some(pe), Some(data)) = (pe, data)
            && !self.section_hashes.is_empty()
        {
            for s in &pe.sections {
                let (o, n) = (s.raw_offset as usize, s.raw_size as usize);
                if let Some(sect) = data.get(o..o.saturating_add(n)) {
                    let sl = sect.len() as u64;
                    let sd = Digests::of(sect, self.section_hashes.needs(Some(sl)));
                    self.section_hashes.lookup(sl, &sd, &mut v);
                }
            }
        }
        for n in v {
            hits.add_name(n, true);
        }
    }

    /// Scans one buffer's raw bytes (hashes, body and logical
    /// signatures); `mail` when it is a mail message.
    pub(crate) fn scan_raw(&self, data: &[u8], mail: bool, all: bool) -> Hits {
        let mut hits = Hits::default();
        let len = data.len() as u64;
        let pe = self.pe_of(data);
        let d = Digests::of(data, self.file_hashes.needs(Some(len)));
        self.hash_hits(len, &d, Some(data), pe.as_ref(), &mut hits);
        if !all && !hits.names.is_empty() {
            hits.names.truncate(1);
            return hits;
        }
        let ctx = Ctx {
            len: Some(len),
            pe: pe.as_ref(),
            view: View::Raw { mail },
            eof: EofMode::All,
            all,
        };
        self.scan_whole(&mut hits, &ctx, data);
        hits
    }

    /// Scans normalized text with the signatures that apply to it.
    pub(crate) fn scan_normalized(&self, text: &[u8], all: bool) -> Hits {
        let mut hits = Hits::default();
        if self.norm.is_none() {
            return hits;
        }
        let ctx = Ctx {
            len: Some(text.len() as u64),
            pe: None,
            view: View::Norm,
            eof: EofMode::All,
            all,
        };
        self.scan_whole(&mut hits, &ctx, text);
        hits
    }

    /// Body and logical signatures over all of `data`, held whole.
    fn scan_whole(&self, hits: &mut Hits, ctx: &Ctx<'_>, data: &[u8]) {
        let mut scratch = Scratch::default();
        self.scan_range(hits, ctx, Hay::whole(data), 0, 0, data.len(), &mut scratch);
        self.eval_logicals(hits, ctx, Some(data));
    }

    /// Processes every anchor that starts in `[from, to)` of `hay`,
    /// whose first byte is at file offset `base`. `hay` must hold
    /// [`Database::max_back`] bytes before `from` (or the file start)
    /// and [`Database::max_fwd`] bytes after `to` (or the file end).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn scan_range(
        &self,
        hits: &mut Hits,
        ctx: &Ctx<'_>,
        hay: Hay<'_>,
        base: u64,
        from: usize,
        to: usize,
        scratch: &mut Scratch,
    ) {
        let idx = match ctx.view {
            View::Raw { .. } => &self.raw,
            View::Norm => match &self.norm {
                Some(n) => n,
                None => return,
            },
        };
        let mut at = from;
        while at < to && !hits.done {
            let end = (at + BLOCK).min(to);
            self.block(idx, hits, ctx, hay, base, at, end, &mut scratch.cands);
            at = end;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn block(
        &self,
        idx: &Index,
        hits: &mut Hits,
        ctx: &Ctx<'_>,
        hay: Hay<'_>,
        base: u64,
        from: usize,
        to: usize,
        cands: &mut Vec<Cand>,
    ) {
        idx.candidates(hay.data, base, from, to, hay.at_end, cands);
        for &(probe, list) in cands.iter() {
            for item in idx.items(list) {
                if !item.plausible(hay.data, probe) {
                    continue;
                }
                let Some(start) = probe.checked_add_signed(-isize::from(item.off)) else {
                    continue;
                };
                self.try_entry(hits, ctx, hay, base, item.entry, start);
                if hits.done {
                    return;
                }
            }
        }
    }

    /// Verifies one stage around its anchor at `pos`.
    fn try_entry(
        &self,
        hits: &mut Hits,
        ctx: &Ctx<'_>,
        hay: Hay<'_>,
        base: u64,
        id: u32,
        pos: usize,
    ) {
        let e = &self.entries[id as usize];
        if !lit_match(hay.data, pos, &e.anchor, e.nocase) {
            return;
        }
        let c = &self.chains[e.chain as usize];
        if !ctx.admits(c.target) {
            return;
        }
        match ctx.eof {
            EofMode::Skip if c.eof => return,
            EofMode::Only if !c.eof => return,
            _ => {}
        }
        if let Owner::Body(n) = c.owner
            && hits.names.contains(&n)
        {
            return;
        }
        let abs = base + pos as u64;
        // Where this stage may start, in file offsets.
        let (lo, hi) = if e.stage == 0 {
            match c.offset.range(ctx.len, ctx.pe) {
                Some(r) => r,
                None => return,
            }
        } else {
            match hits.best.get(&(c.slot + u32::from(e.stage) - 1)) {
                Some(&prev) => (prev + u64::from(e.gap), u64::MAX),
                None => return,
            }
        };
        if e.prefix.is_empty() && (abs < lo || abs > hi) {
            return;
        }
        if hi < base {
            return;
        }
        let rlo = usize::try_from(lo.saturating_sub(base)).unwrap_or(usize::MAX);
        let rhi = usize::try_from(hi - base).unwrap_or(usize::MAX);
        if let Some(w) = e.prefix_width {
            let Some(s) = pos.checked_sub(w as usize) else {
                return;
            };
            if s < rlo || s > rhi || !match_fixed(hay, s, &e.prefix, e.nocase) {
                return;
            }
        } else {
            let starts = walk(hay, vec![(pos, pos)], &e.prefix, e.nocase, Dir::Back);
            if first_in(&starts, rlo, rhi).is_none() {
                return;
            }
        }
        let end = pos + e.anchor.len();
        let first_end = match e.suffix_width {
            Some(w) => {
                if !match_fixed(hay, end, &e.suffix, e.nocase) {
                    return;
                }
                end + w as usize
            }
            None => match walk(hay, vec![(end, end)], &e.suffix, e.nocase, Dir::Fwd).first() {
                Some(&(first, _)) => first,
                None => return,
            },
        };
        if usize::from(e.stage) + 1 < usize::from(c.stages) {
            let v = base + first_end as u64;
            let b = hits.best.entry(c.slot + u32::from(e.stage)).or_insert(v);
            *b = (*b).min(v);
            return;
        }
        match c.owner {
            Owner::Body(n) => hits.add_name(n, ctx.all),
            Owner::Sub { lsig, sub } => {
                // As ClamAV, a sub-signature counts once per offset.
                let last = hits.last_sub.entry((lsig, sub)).or_insert(u64::MAX);
                if *last != u64::MAX && abs <= *last {
                    return;
                }
                *last = abs;
                let n = self.logicals[lsig as usize].nsubs;
                hits.lsig_counts.entry(lsig).or_insert_with(|| vec![0; n])[sub as usize] += 1;
            }
        }
    }

    /// Evaluates the logical signatures whose sub-signatures matched;
    /// `data` is the whole object when available (PCRE needs it).
    pub(crate) fn eval_logicals(&self, hits: &mut Hits, ctx: &Ctx<'_>, data: Option<&[u8]>) {
        if hits.done {
            return;
        }
        let mut lsigs: Vec<u32> = hits.lsig_counts.keys().copied().collect();
        lsigs.sort_unstable();
        let len = ctx.len.unwrap_or(0);
        for lsig in lsigs {
            let l = &self.logicals[lsig as usize];
            if !ctx.admits(l.target) || !tdb_ok(&l.tdb, len, ctx.pe) {
                continue;
            }
            let mut counts = hits.lsig_counts[&lsig].clone();
            for (i, p) in &l.pcres {
                if let Some(data) = data
                    && p.trigger.eval(&counts).truth
                {
                    counts[*i] = p.count(data, ctx.pe);
                }
            }
            if l.expr.eval(&counts).truth {
                hits.add_name(l.name, ctx.all);
                if hits.done {
                    return;
                }
            }
        }
    }
}

fn in_range(v: Option<u64>, r: Option<(u64, u64)>) -> bool {
    match r {
        None => true,
        Some((lo, hi)) => v.is_some_and(|v| lo <= v && v <= hi),
    }
}

fn tdb_ok(t: &Tdb, len: u64, pe: Option<&PeInfo>) -> bool {
    in_range(Some(len), t.file_size)
        && in_range(pe.and_then(|p| p.ep_offset), t.entry_point)
        && in_range(pe.map(|p| p.sections.len() as u64), t.sections)
}
