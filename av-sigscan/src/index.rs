//! The anchor index: where the anchors of signature stages may occur.
//!
//! Every stage of a signature has a fixed *anchor*, a run of static
//! bytes. Anchors of at least `GRAM + stride - 1` bytes are found with a
//! q-gram filter probed at every `stride`-th position of the file: each
//! such anchor is indexed under each of its first `stride` grams, so
//! one of the probes lands on it whatever its alignment. A probe hashes
//! the four bytes into a bitmap (two bits in one word, so one memory
//! access), and only on a hit looks the gram up in an exact table. The
//! probes do not depend on each other, so the processor overlaps their
//! cache misses; this is why the filter keeps its speed at a million
//! signatures, where an Aho-Corasick automaton walks its states one
//! dependent step per byte through tables far larger than the caches.
//!
//! An anchor of 3 bytes, or of 4 with a stride of 2, is indexed under
//! every gram a probe overlapping it can see (it and any byte before or
//! after it: 256 or 512 grams). Anchors of 2 bytes are found by their
//! two bytes, probed at every position in a 64 Ki-bit bitmap. The
//! stride is chosen so that few anchors need either. A case-insensitive anchor is indexed under each
//! case variant of its probed bytes, so probes never fold case.

/// Length of a q-gram.
pub(crate) const GRAM: usize = 4;
/// Longest anchor found through the pair index.
pub(crate) const MAX_SHORT: usize = 12;
/// Most 4-byte anchors (257 grams each at a stride of 2) before the
/// stride is lowered to 1. Measured: 1,500 of them among 100k anchors
/// still scan faster at a stride of 2, with the bitmap in the L3 cache,
/// than all anchors at a stride of 1.
const SHORT_LIMIT: usize = 4096;

/// The key an anchor is found under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    /// Four bytes of a gram anchor.
    Gram(u32),
    /// The first two bytes of a short anchor.
    Pair(u16),
}

/// One candidate: the position of the probe and the list of items
/// found there.
pub(crate) type Cand = (usize, u32);

/// One entry behind a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Item {
    pub entry: u32,
    /// The anchor starts `off` bytes before the probe (`-1`: one byte
    /// after it).
    pub off: i8,
    /// A byte of the anchor outside the probed bytes, at `at` from the
    /// probe, tested before the entry is looked at (many entries can
    /// share a key at a million signatures); `at == NO_CHECK` for none.
    at: i8,
    byte: u8,
    nocase: bool,
}

const NO_CHECK: i8 = i8::MIN;

impl Item {
    /// The quick test of the extra byte.
    #[inline]
    pub(crate) fn plausible(&self, data: &[u8], probe: usize) -> bool {
        if self.at == NO_CHECK {
            return true;
        }
        let Some(&b) = probe
            .checked_add_signed(isize::from(self.at))
            .and_then(|p| data.get(p))
        else {
            return false;
        };
        if self.nocase {
            b.to_ascii_lowercase() == self.byte
        } else {
            b == self.byte
        }
    }
}

fn log2_ceil(n: usize) -> u32 {
    n.max(1).next_power_of_two().trailing_zeros()
}

/// The bitmap probe of a gram: (word index, two-bit mask). Two bits in
/// one word cut false positives about tenfold against one bit, for the
/// same single memory access.
fn probe(x: u32, shift: u32) -> (usize, u64) {
    let h = u64::from(x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mask = (1u64 << ((h >> 20) & 63)) | (1u64 << ((h >> 26) & 63));
    ((h >> shift) as usize, mask)
}

fn table_hash(x: u32) -> u32 {
    (x ^ (x >> 16)).wrapping_mul(0x85EB_CA6B)
}

/// Open addressing from gram to list.
#[derive(Debug, Default)]
struct GramTable {
    /// (gram, list + 1); 0 marks an empty slot.
    slots: Vec<(u32, u32)>,
    shift: u32,
}

impl GramTable {
    fn build(grams: &[(u32, u32)]) -> GramTable {
        if grams.is_empty() {
            return GramTable::default();
        }
        let tb = log2_ceil(grams.len() * 2).max(4);
        let mut slots = vec![(0u32, 0u32); 1 << tb];
        let mask = slots.len() - 1;
        for &(g, list) in grams {
            let mut i = (table_hash(g) >> (32 - tb)) as usize;
            while slots[i].1 != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (g, list + 1);
        }
        GramTable {
            slots,
            shift: 32 - tb,
        }
    }

    #[inline]
    fn find(&self, g: u32) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = (table_hash(g) >> self.shift) as usize;
        loop {
            let (k, l) = self.slots[i];
            if l == 0 {
                return None;
            }
            if k == g {
                return Some(l - 1);
            }
            i = (i + 1) & mask;
        }
    }
}

/// Lists of the pair index, by the two bytes.
#[derive(Debug, Default)]
struct PairTable {
    bits: Vec<u64>,
    lists: Vec<u32>,
}

impl PairTable {
    fn build(pairs: &[(u16, u32)]) -> PairTable {
        if pairs.is_empty() {
            return PairTable::default();
        }
        let mut t = PairTable {
            bits: vec![0; 1 << 10],
            lists: vec![0; 1 << 16],
        };
        for &(p, l) in pairs {
            t.bits[usize::from(p >> 6)] |= 1 << (p & 63);
            t.lists[usize::from(p)] = l + 1;
        }
        t
    }

    #[inline]
    fn find(&self, p: u16) -> Option<u32> {
        if self.bits[usize::from(p >> 6)] & (1 << (p & 63)) == 0 {
            return None;
        }
        self.lists[usize::from(p)].checked_sub(1)
    }
}

/// The anchors of one view of the data and the entries behind them.
#[derive(Debug, Default)]
pub(crate) struct Index {
    stride: usize,
    bits: Vec<u64>,
    shift: u32,
    grams: GramTable,
    pairs: PairTable,
    /// Entry lists: (start, len) into `items`.
    lists: Vec<(u32, u32)>,
    /// (entry, offset of the probed bytes inside the anchor).
    items: Vec<Item>,
}

impl Index {
    /// The items of a list.
    pub(crate) fn items(&self, l: u32) -> &[Item] {
        let (s, n) = self.lists[l as usize];
        &self.items[s as usize..(s + n) as usize]
    }

    /// Number of distinct keys.
    pub(crate) fn keys(&self) -> usize {
        self.lists.len()
    }

    /// Pushes the candidates of every probe position in `[from, to)` of
    /// `data`, whose first byte is at file offset `base`, sorted by
    /// position. `at_end`: the file ends with `data`, so the last
    /// positions are probed too, padded (short anchors there are
    /// indexed with every following byte).
    pub(crate) fn candidates(
        &self,
        data: &[u8],
        base: u64,
        from: usize,
        to: usize,
        at_end: bool,
        out: &mut Vec<Cand>,
    ) {
        out.clear();
        let pairs = !self.pairs.bits.is_empty();
        // Pairs are probed at every position below `pend`, grams at the
        // multiples of the stride (in file offsets, so that every
        // chunking of a file probes the same ones) below `gend`.
        let pend = to.min(data.len().saturating_sub(1));
        let gend = to.min(data.len().saturating_sub(GRAM - 1));
        let s = self.stride;
        let mut p = from;
        let mut g = from + (s - (base as usize + from) % s) % s;
        if self.bits.is_empty() {
            g = gend;
        }
        if pairs && s <= 2 {
            while p < g.min(pend) {
                self.pairs_at(data, p, out);
                p += 1;
            }
            if p == g {
                // One load serves the gram probe and the pairs under it.
                let end = gend.min(pend.saturating_sub(s - 1));
                g = self.grams::<true>(data, g, end, out);
                p = g;
            }
        }
        if g < gend {
            g = self.grams::<false>(data, g, gend, out);
        }
        if at_end && to >= data.len() && !self.bits.is_empty() {
            while g < data.len() {
                let mut w = [0u8; GRAM];
                w[..data.len() - g].copy_from_slice(&data[g..]);
                self.probe_gram(u32::from_le_bytes(w), g, out);
                g += s;
            }
        }
        if pairs {
            while p < pend {
                self.pairs_at(data, p, out);
                p += 1;
            }
            // Stable, and cheap on the sorted runs it gets.
            out.sort_by_key(|c| c.0);
        }
    }

    #[inline(always)]
    fn pairs_at(&self, data: &[u8], p: usize, out: &mut Vec<Cand>) {
        self.pair(u16::from_le_bytes([data[p], data[p + 1]]), p, out);
    }

    #[inline(always)]
    fn pair(&self, x: u16, p: usize, out: &mut Vec<Cand>) {
        if let Some(l) = self.pairs.find(x) {
            out.push((p, l));
        }
    }

    /// The probe loop; with `PAIRS`, the pair index is probed at every
    /// position on the way, from the same loads. Returns the first
    /// position whose pair was not probed.
    fn grams<const PAIRS: bool>(
        &self,
        data: &[u8],
        first: usize,
        last: usize,
        out: &mut Vec<Cand>,
    ) -> usize {
        let bits = &self.bits[..];
        let mut p = first;
        while p < last {
            let w: [u8; GRAM] = data[p..p + GRAM].try_into().expect("4 bytes");
            let g = u32::from_le_bytes(w);
            if PAIRS {
                // Only with a stride of 1 or 2: the pairs fit the gram.
                for k in 0..self.stride {
                    self.pair((g >> (8 * k)) as u16, p + k, out);
                }
            }
            let (w, m) = probe(g, self.shift);
            if bits[w] & m == m
                && let Some(l) = self.grams.find(g)
            {
                out.push((p, l));
            }
            p += self.stride;
        }
        p
    }

    fn probe_gram(&self, g: u32, p: usize, out: &mut Vec<Cand>) {
        let (w, m) = probe(g, self.shift);
        if self.bits[w] & m == m
            && let Some(l) = self.grams.find(g)
        {
            out.push((p, l));
        }
    }
}

/// The case variants of `w` (only `w` itself unless `nocase`).
fn variants(w: &[u8], nocase: bool) -> Vec<Vec<u8>> {
    let mut out = vec![Vec::with_capacity(w.len())];
    for &b in w {
        let alts: &[u8] = if nocase && b.is_ascii_alphabetic() {
            &[b.to_ascii_lowercase(), b.to_ascii_uppercase()]
        } else {
            std::slice::from_ref(&b)
        };
        out = out
            .into_iter()
            .flat_map(|v| {
                alts.iter().map(move |&a| {
                    let mut v = v.clone();
                    v.push(a);
                    v
                })
            })
            .collect();
    }
    out
}

/// Collects anchors, then builds an [`Index`].
#[derive(Debug, Default)]
pub(crate) struct IndexBuilder {
    /// (key, (entry, offset)), grouped by key when built.
    items: Vec<(Key, Item)>,
}

impl IndexBuilder {
    /// Adds an anchor of `entry`: a gram anchor when it has
    /// `GRAM + stride - 1` bytes, else a short one. Case-insensitive
    /// anchors are given lowercase.
    pub(crate) fn add(&mut self, anchor: &[u8], nocase: bool, stride: usize, entry: u32) {
        // A case-insensitive anchor is indexed under every case variant
        // of its probed bytes (at most 16 per gram), so the probe loop
        // never folds.
        let item = |off: i8, check: Option<(i8, u8)>| Item {
            entry,
            off,
            at: check.map_or(NO_CHECK, |c| c.0),
            byte: check.map_or(0, |c| c.1),
            nocase,
        };
        let mut gram = |bytes: &[u8], it: Item| {
            for v in variants(bytes, nocase) {
                let g = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
                self.items.push((Key::Gram(g), it));
            }
        };
        let n = anchor.len();
        if n >= GRAM + stride - 1 {
            for j in 0..stride {
                // The extra byte: the one before the gram, else after.
                let check = if j > 0 {
                    Some((-(j as i8), anchor[0]))
                } else {
                    anchor.get(GRAM).map(|&b| (GRAM as i8, b))
                };
                gram(&anchor[j..j + GRAM], item(j as i8, check));
            }
            return;
        }
        // Too short for the stride: the probes that overlap the anchor
        // see it next to any byte, so it is indexed with each.
        let with = |pre: Option<u8>, post: Option<u8>| {
            let mut w = Vec::with_capacity(GRAM);
            w.extend(pre);
            w.extend_from_slice(anchor);
            w.extend(post);
            w
        };
        match (n, stride) {
            (4, 2) => {
                gram(anchor, item(0, None));
                for x in 0..=255 {
                    gram(&with(None, Some(x))[1..], item(1, Some((-1, anchor[0]))));
                }
            }
            (3, 1 | 2) => {
                for x in 0..=255 {
                    gram(&with(None, Some(x)), item(0, None));
                    if stride == 2 {
                        gram(&with(Some(x), None), item(-1, None));
                    }
                }
            }
            _ => {
                for v in variants(&anchor[..2], nocase) {
                    let p = u16::from_le_bytes([v[0], v[1]]);
                    self.items.push((Key::Pair(p), item(0, None)));
                }
            }
        }
    }

    pub(crate) fn build(self, stride: usize) -> Index {
        let mut idx = Index {
            stride,
            ..Index::default()
        };
        let mut all = self.items;
        // Stable: within a key, entries keep the order they were added.
        all.sort_by_key(|i| i.0);
        let (mut grams, mut pairs) = (Vec::new(), Vec::new());
        for group in all.chunk_by(|a, b| a.0 == b.0) {
            let l = idx.lists.len() as u32;
            idx.lists.push((idx.items.len() as u32, group.len() as u32));
            idx.items.extend(group.iter().map(|i| i.1));
            match group[0].0 {
                Key::Gram(g) => grams.push((g, l)),
                Key::Pair(p) => pairs.push((p, l)),
            }
        }
        if !grams.is_empty() {
            // About 32 bits per gram keeps false positives under 1%;
            // the bitmap stays in the L2 cache up to ~100k grams.
            let b = log2_ceil(grams.len() * 32).clamp(12, 27);
            idx.shift = 64 - (b - 6);
            idx.bits = vec![0u64; 1 << (b - 6)];
            for &(g, _) in &grams {
                let (w, m) = probe(g, idx.shift);
                idx.bits[w] |= m;
            }
        }
        idx.grams = GramTable::build(&grams);
        idx.pairs = PairTable::build(&pairs);
        idx
    }
}

/// The stride for a set of stages, given the longest static run of each:
/// 2 unless that leaves more than [`SHORT_LIMIT`] anchors too short for
/// it. (A stride of 4 measured slower: four grams per anchor make the
/// bitmap outgrow the L2 cache.)
pub(crate) fn choose_stride(runs: &[usize]) -> usize {
    let short = runs.iter().filter(|&&r| r == GRAM).count();
    if short <= SHORT_LIMIT { 2 } else { 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_variants() {
        assert_eq!(variants(b"a1", true), [b"a1".to_vec(), b"A1".to_vec()]);
        assert_eq!(variants(b"ab", false), [b"ab".to_vec()]);
        assert_eq!(variants(b"abcd", true).len(), 16);
    }

    /// Every occurrence is found whatever its alignment to the stride.
    #[test]
    fn strided_probes_find_every_alignment() {
        for stride in [1, 2, 4] {
            let mut b = IndexBuilder::default();
            b.add(b"abcdefgh", false, stride, 0);
            b.add(b"xy", false, stride, 1);
            b.add(b"klm", false, stride, 2);
            b.add(b"pqrs", false, stride, 3);
            let idx = b.build(stride);
            for base in 0..5u64 {
                for at in 0..9 {
                    let mut data = vec![b'.'; 40];
                    data[at..at + 8].copy_from_slice(b"abcdefgh");
                    data[20..22].copy_from_slice(b"xy");
                    data[24 + at % 2..27 + at % 2].copy_from_slice(b"klm");
                    data[30 + at % 2..34 + at % 2].copy_from_slice(b"pqrs");
                    let mut out = Vec::new();
                    idx.candidates(&data, base, 0, data.len(), true, &mut out);
                    let data = &data;
                    let starts: Vec<(usize, u32)> = out
                        .iter()
                        .flat_map(|&(p, l)| {
                            idx.items(l)
                                .iter()
                                .filter(move |i| i.plausible(data, p))
                                .map(move |i| ((p as isize - isize::from(i.off)) as usize, i.entry))
                        })
                        .collect();
                    assert!(starts.contains(&(at, 0)), "{stride} {base} {at}");
                    assert!(starts.contains(&(20, 1)), "{stride} {base} {at}");
                    assert!(starts.contains(&(24 + at % 2, 2)), "{stride} {base} {at}");
                    assert!(starts.contains(&(30 + at % 2, 3)), "{stride} {base} {at}");
                }
            }
        }
    }
}
