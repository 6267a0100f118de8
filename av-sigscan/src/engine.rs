//! The compiled database and the matcher for one buffer.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use md5::Digest;

use crate::db::{HashKind, HashScope, HashSig, Info, Loader, Target};
use crate::error::LoadError;
use crate::ldb::{Expr, SubSig, Tdb};
use crate::offset::Offset;
use crate::pattern::{Dir, Elem, Pattern, PosSet, first_in, walk};
use crate::pe::PeInfo;

/// Longest anchor given to the automaton; the rest is verified.
const MAX_ANCHOR: usize = 12;

/// Who a body pattern belongs to.
#[derive(Debug, Clone, Copy)]
enum Owner {
    Body(u32),
    Sub { lsig: u32, sub: u32 },
}

/// A body pattern split around its anchor.
#[derive(Debug)]
struct Entry {
    prefix: Vec<Elem>,
    suffix: Vec<Elem>,
    anchor_len: usize,
    nocase: bool,
    fullword: bool,
    offset: Offset,
    target: Target,
    owner: Owner,
}

type Key = (HashKind, [u8; 32]);

fn key(kind: HashKind, d: &[u8]) -> Key {
    let mut k = [0u8; 32];
    k[..d.len()].copy_from_slice(d);
    (kind, k)
}

/// Hash signatures keyed by size, plus the size-less (`*`) ones.
#[derive(Debug, Default)]
struct HashIndex {
    sized: HashMap<u64, HashMap<Key, Vec<u32>>>,
    any: HashMap<Key, Vec<u32>>,
    any_kinds: [bool; 3],
}

fn kind_ix(k: HashKind) -> usize {
    match k {
        HashKind::Md5 => 0,
        HashKind::Sha1 => 1,
        HashKind::Sha256 => 2,
    }
}

impl HashIndex {
    fn insert(&mut self, h: &HashSig) {
        let k = key(h.kind, &h.digest);
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

    /// Names whose hash and size match `data`.
    fn lookup(&self, data: &[u8], out: &mut Vec<u32>) {
        let sized = self.sized.get(&(data.len() as u64));
        let mut need = self.any_kinds;
        if let Some(m) = sized {
            for (k, _) in m.keys() {
                need[kind_ix(*k)] = true;
            }
        }
        let digests = [
            (
                HashKind::Md5,
                need[0].then(|| md5::Md5::digest(data).to_vec()),
            ),
            (
                HashKind::Sha1,
                need[1].then(|| sha1::Sha1::digest(data).to_vec()),
            ),
            (
                HashKind::Sha256,
                need[2].then(|| sha2::Sha256::digest(data).to_vec()),
            ),
        ];
        for (kind, d) in digests {
            let Some(d) = d else { continue };
            let k = key(kind, &d);
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
    pcres: Vec<(usize, crate::ldb::PcreSub)>,
}

/// A compiled, immutable signature database; share it between threads
/// with `&` or `Arc`.
#[derive(Debug)]
pub struct Database {
    names: Vec<(String, bool)>,
    ac: Option<AhoCorasick>,
    ac_map: Vec<Vec<u32>>,
    ac_nocase: Option<AhoCorasick>,
    acn_map: Vec<Vec<u32>>,
    entries: Vec<Entry>,
    file_hashes: HashIndex,
    section_hashes: HashIndex,
    allow: HashIndex,
    logicals: Vec<Logical>,
    needs_pe: bool,
    info: Info,
}

/// What the scanned buffer is, for target types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Plain,
    Mail,
}

fn split_at_anchor(
    p: &Pattern,
    (idx, start, len): (usize, usize, usize),
) -> (Vec<Elem>, Vec<u8>, Vec<Elem>) {
    let Elem::Lit(run) = &p.elems[idx] else {
        unreachable!("anchors are literal runs")
    };
    let mut prefix = p.elems[..idx].to_vec();
    if start > 0 {
        prefix.push(Elem::Lit(run[..start].to_vec()));
    }
    let mut suffix = Vec::new();
    if start + len < run.len() {
        suffix.push(Elem::Lit(run[start + len..].to_vec()));
    }
    suffix.extend_from_slice(&p.elems[idx + 1..]);
    (prefix, run[start..start + len].to_vec(), suffix)
}

#[derive(Default)]
struct AcBuild {
    ids: HashMap<Vec<u8>, u32>,
    pats: Vec<Vec<u8>>,
    map: Vec<Vec<u32>>,
}

impl AcBuild {
    fn add(&mut self, anchor: Vec<u8>, entry: u32) {
        let id = *self.ids.entry(anchor.clone()).or_insert_with(|| {
            self.pats.push(anchor);
            self.map.push(Vec::new());
            (self.pats.len() - 1) as u32
        });
        self.map[id as usize].push(entry);
    }

    fn build(self, nocase: bool) -> Result<(Option<AhoCorasick>, Vec<Vec<u32>>), LoadError> {
        if self.pats.is_empty() {
            return Ok((None, Vec::new()));
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .ascii_case_insensitive(nocase)
            .prefilter(false)
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&self.pats)
            .map_err(|e| LoadError::Build(e.to_string()))?;
        Ok((Some(ac), self.map))
    }
}

impl Loader {
    /// Compiles everything loaded into an immutable [`Database`].
    ///
    /// # Errors
    ///
    /// [`LoadError::Empty`] when nothing was loaded, and
    /// [`LoadError::Build`] when the automaton cannot be built.
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
        let mut db = Database {
            names: Vec::new(),
            ac: None,
            ac_map: Vec::new(),
            ac_nocase: None,
            acn_map: Vec::new(),
            entries: Vec::new(),
            file_hashes: HashIndex::default(),
            section_hashes: HashIndex::default(),
            allow: HashIndex::default(),
            logicals: Vec::new(),
            needs_pe: false,
            info,
        };
        for h in hashes.iter().filter(|h| !ignored(h.name)) {
            match h.scope {
                HashScope::File => db.file_hashes.insert(h),
                HashScope::Section => {
                    db.needs_pe = true;
                    db.section_hashes.insert(h)
                }
                HashScope::Allow => db.allow.insert(h),
            }
        }
        let (mut exact, mut folded) = (AcBuild::default(), AcBuild::default());
        let mut add = |db: &mut Database, p: &Pattern, offset, target, owner, fullword| {
            let Some(anchor) = p.anchor(MAX_ANCHOR) else {
                return;
            };
            let (prefix, a, suffix) = split_at_anchor(p, anchor);
            db.needs_pe |= target == Target::Pe || offset_needs_pe(&offset);
            let id = db.entries.len() as u32;
            db.entries.push(Entry {
                prefix,
                suffix,
                anchor_len: a.len(),
                nocase: p.nocase,
                fullword,
                offset,
                target,
                owner,
            });
            if p.nocase {
                folded.add(a, id);
            } else {
                exact.add(a, id);
            }
        };
        for b in bodies.iter().filter(|b| !ignored(b.name)) {
            add(
                &mut db,
                &b.pattern,
                b.offset,
                b.target,
                Owner::Body(b.name),
                false,
            );
        }
        for l in logicals.into_iter().filter(|l| !ignored(l.name)) {
            let lsig = db.logicals.len() as u32;
            db.needs_pe |=
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
                        if ascii {
                            add(&mut db, &pattern, offset, l.target, owner, fullword);
                        }
                        if wide {
                            let w = pattern.widened();
                            add(&mut db, &w, offset, l.target, owner, fullword);
                        }
                    }
                    SubSig::Pcre(p) => pcres.push((i, *p)),
                }
            }
            db.logicals.push(Logical {
                name: l.name,
                target: l.target,
                tdb: l.tdb,
                expr: l.expr,
                nsubs,
                pcres,
            });
        }
        (db.ac, db.ac_map) = exact.build(false)?;
        (db.ac_nocase, db.acn_map) = folded.build(true)?;
        db.names = names;
        Ok(db)
    }
}

fn offset_needs_pe(o: &Offset) -> bool {
    o.needs_pe()
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// Matches found in one buffer.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    pub names: Vec<u32>,
    lsig_counts: HashMap<u32, Vec<u64>>,
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

    /// Number of patterns in the multi-pattern automata.
    pub fn anchor_count(&self) -> usize {
        self.ac_map.len() + self.acn_map.len()
    }

    /// Whether `data` is on the allow-list (`.fp`/`.sfp`).
    pub(crate) fn allowed(&self, data: &[u8]) -> bool {
        if self.allow.is_empty() {
            return false;
        }
        let mut v = Vec::new();
        self.allow.lookup(data, &mut v);
        !v.is_empty()
    }

    /// Scans one buffer (hashes, body and logical signatures).
    pub(crate) fn scan_buffer(&self, data: &[u8], kind: Kind, all: bool) -> Hits {
        let mut hits = Hits::default();
        self.file_hashes.lookup(data, &mut hits.names);
        let pe = if self.needs_pe {
            PeInfo::parse(data)
        } else {
            None
        };
        if let Some(pe) = &pe
            && !self.section_hashes.is_empty()
        {
            for s in &pe.sections {
                let (o, n) = (s.raw_offset as usize, s.raw_size as usize);
                if let Some(sect) = data.get(o..o.saturating_add(n)) {
                    self.section_hashes.lookup(sect, &mut hits.names);
                }
            }
        }
        if !all && !hits.names.is_empty() {
            hits.names.truncate(1);
            return hits;
        }
        let mut seen: HashSet<(u32, usize)> = HashSet::new();
        for (ac, map) in [(&self.ac, &self.ac_map), (&self.ac_nocase, &self.acn_map)] {
            let Some(ac) = ac else { continue };
            for m in ac.find_overlapping_iter(data) {
                for &id in &map[m.pattern().as_usize()] {
                    let e = &self.entries[id as usize];
                    if !target_ok(e.target, kind, pe.as_ref()) {
                        continue;
                    }
                    if let Owner::Body(n) = e.owner
                        && hits.names.contains(&n)
                    {
                        continue;
                    }
                    if !verify(e, data, m.start(), pe.as_ref()) {
                        continue;
                    }
                    match e.owner {
                        Owner::Body(n) => {
                            hits.names.push(n);
                            if !all {
                                return hits;
                            }
                        }
                        Owner::Sub { lsig, sub } => {
                            if seen.insert((id, m.start())) {
                                let l = &self.logicals[lsig as usize];
                                hits.lsig_counts
                                    .entry(lsig)
                                    .or_insert_with(|| vec![0; l.nsubs])
                                    [sub as usize] += 1;
                            }
                        }
                    }
                }
            }
        }
        self.eval_logicals(data, kind, pe.as_ref(), &mut hits);
        hits
    }

    fn eval_logicals(&self, data: &[u8], kind: Kind, pe: Option<&PeInfo>, hits: &mut Hits) {
        let mut lsigs: Vec<u32> = hits.lsig_counts.keys().copied().collect();
        lsigs.sort_unstable();
        for lsig in lsigs {
            let l = &self.logicals[lsig as usize];
            if !target_ok(l.target, kind, pe) || !tdb_ok(&l.tdb, data.len(), pe) {
                continue;
            }
            let mut counts = hits.lsig_counts[&lsig].clone();
            for (i, p) in &l.pcres {
                if p.trigger.eval(&counts).truth {
                    counts[*i] = pcre_count(p, data, pe);
                }
            }
            if l.expr.eval(&counts).truth && !hits.names.contains(&l.name) {
                hits.names.push(l.name);
            }
        }
    }
}

fn pcre_count(p: &crate::ldb::PcreSub, data: &[u8], pe: Option<&PeInfo>) -> u64 {
    let Some((lo, hi)) = p.offset.range(data.len(), pe) else {
        return 0;
    };
    let any = matches!(p.offset, Offset::Any);
    let hay = if p.encompass {
        &data[..hi.min(data.len())]
    } else {
        data
    };
    let input = regex_automata::Input::new(hay).span(lo..hay.len());
    p.regex
        .find_iter(input)
        .filter(|m| any || p.rolling || p.encompass || m.start() <= hi)
        .count() as u64
}

fn target_ok(t: Target, kind: Kind, pe: Option<&PeInfo>) -> bool {
    match t {
        Target::Any => true,
        Target::Pe => pe.is_some(),
        Target::Mail => kind == Kind::Mail,
    }
}

fn in_range(v: Option<u64>, r: Option<(u64, u64)>) -> bool {
    match r {
        None => true,
        Some((lo, hi)) => v.is_some_and(|v| lo <= v && v <= hi),
    }
}

fn tdb_ok(t: &Tdb, len: usize, pe: Option<&PeInfo>) -> bool {
    in_range(Some(len as u64), t.file_size)
        && in_range(pe.and_then(|p| p.ep_offset), t.entry_point)
        && in_range(pe.map(|p| p.sections.len() as u64), t.sections)
}

fn fullword_ok(data: &[u8], starts: &PosSet, ends: &PosSet, lo: usize, hi: usize) -> bool {
    let start_ok = |s: usize| s == 0 || !is_word(data[s - 1]);
    let end_ok = |e: usize| e >= data.len() || !is_word(data[e]);
    let any = |set: &PosSet, lo: usize, hi: usize, f: &dyn Fn(usize) -> bool| {
        set.iter().any(|&(a, b)| (a.max(lo)..=b.min(hi)).any(f))
    };
    any(starts, lo, hi, &start_ok) && any(ends, 0, data.len(), &end_ok)
}

/// Checks a full pattern around an anchor found at `at`.
fn verify(e: &Entry, data: &[u8], at: usize, pe: Option<&PeInfo>) -> bool {
    let Some((lo, hi)) = e.offset.range(data.len(), pe) else {
        return false;
    };
    if e.prefix.is_empty() && (at < lo || at > hi) {
        return false;
    }
    let starts = walk(data, vec![(at, at)], &e.prefix, e.nocase, Dir::Back);
    if first_in(&starts, lo, hi).is_none() {
        return false;
    }
    let end = at + e.anchor_len;
    let ends = walk(data, vec![(end, end)], &e.suffix, e.nocase, Dir::Fwd);
    if ends.is_empty() {
        return false;
    }
    !e.fullword || fullword_ok(data, &starts, &ends, lo, hi)
}
