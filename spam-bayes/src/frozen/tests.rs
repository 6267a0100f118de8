use proptest::prelude::*;

use super::*;
use crate::store::{Direction, MemoryStore};

fn learn(store: &mut MemoryStore, tokens: &[u64], spam: bool, digest: u8, day: u32) {
    let mut tokens = tokens.to_vec();
    tokens.sort_unstable();
    tokens.dedup();
    let class = if spam { Class::Spam } else { Class::Ham };
    store
        .apply(&Change {
            tokens: &tokens,
            class,
            direction: Direction::Add,
            digest: [digest; 16],
            day,
        })
        .unwrap();
}

/// Every way of reading a frozen store gives what the memory store it
/// came from gives.
fn assert_same(store: &MemoryStore, frozen: &FrozenStore, probes: &[u64]) {
    assert_eq!(frozen.message_totals(), store.message_totals());
    assert_eq!(frozen.token_count(), store.token_count());
    assert_eq!(frozen.digest_count(), store.digest_count());
    for &k in probes {
        assert_eq!(frozen.get(k), store.get(k), "token {k:#x}");
    }
    let (mut a, mut b) = (Vec::new(), Vec::new());
    frozen.lookup(probes, &mut a).unwrap();
    store.lookup(probes, &mut b).unwrap();
    assert_eq!(a, b);
    frozen.lookup_counts(probes, &mut a).unwrap();
    store.lookup_counts(probes, &mut b).unwrap();
    assert_eq!(a, b);
    for d in 0..=255u8 {
        assert_eq!(
            frozen.learned(&[d; 16]),
            Ok(store.learned(&[d; 16]).unwrap())
        );
    }
}

#[test]
fn empty_store() {
    let frozen = FrozenStore::default();
    assert_eq!(frozen, FrozenStore::from(&MemoryStore::new()));
    assert_eq!(
        FrozenStore::from_bytes(&MemoryStore::new().to_bytes()),
        Ok(FrozenStore::default())
    );
    assert_same(&MemoryStore::new(), &frozen, &[0, 1, u64::MAX]);
}

#[test]
fn extreme_and_clustered_keys() {
    // 0 and u64::MAX, and a thousand keys with the same top 40 bits: one
    // long run, searched by bisection.
    let mut store = MemoryStore::new();
    let mut keys = vec![0, 1, u64::MAX, u64::MAX - 1, 1 << 63];
    keys.extend((0..1000u64).map(|i| (0x00de_adbe_ef00 << 24) | (i * 3)));
    learn(&mut store, &keys, true, 1, 5);
    learn(&mut store, &keys[..500], false, 2, 6);
    let frozen = FrozenStore::from_bytes(&store.to_bytes()).unwrap();
    assert_eq!(frozen, FrozenStore::from(&store));
    let mut probes = keys.clone();
    probes.extend(keys.iter().map(|k| k.wrapping_add(1)));
    probes.extend(keys.iter().map(|k| k.wrapping_sub(1)));
    assert_same(&store, &frozen, &probes);
}

#[test]
fn learning_is_refused() {
    let mut frozen = FrozenStore::default();
    let change = Change {
        tokens: &[1, 2],
        class: Class::Spam,
        direction: Direction::Add,
        digest: [0; 16],
        day: 1,
    };
    assert_eq!(frozen.apply(&change), Err(ReadOnly));
    assert_eq!(frozen, FrozenStore::default());
}

/// A file whose records are not in hash order (no writer of ours makes
/// one) still loads, and a duplicate in it is still found.
#[test]
fn unsorted_records() {
    let mut store = MemoryStore::new();
    learn(&mut store, &[10, 20, 30, 40], true, 1, 3);
    learn(&mut store, &[20, 50], false, 2, 4);
    learn(&mut store, &[60], false, 3, 4);
    let sorted = store.to_bytes();
    let header = crate::store::HEADER_LEN;
    let reorder = |order: &[usize]| {
        let mut b = sorted.clone();
        for (to, &from) in order.iter().enumerate() {
            let (f, t) = (header + from * TOKEN_LEN, header + to * TOKEN_LEN);
            b[t..t + TOKEN_LEN].copy_from_slice(&sorted[f..f + TOKEN_LEN]);
        }
        // Digests reversed too.
        let d = header + 6 * TOKEN_LEN;
        for k in 0..3 {
            let (f, t) = (d + (2 - k) * 17, d + k * 17);
            b[t..t + 17].copy_from_slice(&sorted[f..f + 17]);
        }
        let n = b.len() - 8;
        let sum = crate::store::tests_fnv64(&b[..n]);
        b[n..].copy_from_slice(&sum.to_le_bytes());
        b
    };
    let shuffled = reorder(&[3, 0, 5, 1, 4, 2]);
    assert_eq!(MemoryStore::from_bytes(&shuffled).unwrap(), store);
    let frozen = FrozenStore::from_bytes(&shuffled).unwrap();
    assert_eq!(frozen, FrozenStore::from(&store));
    assert_same(&store, &frozen, &[0, 10, 15, 20, 30, 40, 50, 60, 70]);
    let duplicated = reorder(&[3, 0, 5, 3, 4, 2]);
    assert_eq!(
        MemoryStore::from_bytes(&duplicated),
        Err(FormatError::Duplicate)
    );
    assert_eq!(
        FrozenStore::from_bytes(&duplicated),
        Err(FormatError::Duplicate)
    );
}

/// A token `u64::MAX` with no counts, which a file may hold, looks like
/// an empty slot: it is still found, with its day, and the tokens
/// around it too.
#[test]
fn token_like_an_empty_slot() {
    let mut store = MemoryStore::new();
    learn(&mut store, &[5, u64::MAX - 1, u64::MAX], true, 1, 9);
    let mut bytes = store.to_bytes();
    // The last record is u64::MAX's: zero its counts.
    let header = crate::store::HEADER_LEN;
    let at = header + 2 * TOKEN_LEN;
    assert_eq!(bytes[at..at + 8], u64::MAX.to_le_bytes());
    bytes[at + 8..at + 16].fill(0);
    let n = bytes.len() - 8;
    let sum = crate::store::tests_fnv64(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
    let memory = MemoryStore::from_bytes(&bytes).unwrap();
    let frozen = FrozenStore::from_bytes(&bytes).unwrap();
    assert_eq!(
        frozen.get(u64::MAX),
        Some(TokenCounts {
            spam: 0,
            ham: 0,
            day: 9
        })
    );
    assert_same(
        &memory,
        &frozen,
        &[0, 5, u64::MAX - 2, u64::MAX - 1, u64::MAX],
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever was learned, the frozen store (frozen directly or from
    /// the bytes) answers every lookup as the memory store does.
    #[test]
    fn agrees_with_the_memory_store(
        messages in prop::collection::vec(
            (prop::collection::vec(any::<u64>(), 0..300), any::<bool>(), 0u32..1000),
            0..12,
        ),
        extra in prop::collection::vec(any::<u64>(), 0..50),
    ) {
        let mut store = MemoryStore::new();
        for (i, (tokens, spam, day)) in messages.iter().enumerate() {
            learn(&mut store, tokens, *spam, i as u8, *day);
        }
        let frozen = FrozenStore::from_bytes(&store.to_bytes()).unwrap();
        prop_assert_eq!(&frozen, &FrozenStore::from(&store));
        let mut probes: Vec<u64> = messages.iter().flat_map(|m| m.0.iter().copied()).collect();
        probes.extend(&extra);
        assert_same(&store, &frozen, &probes);
    }
}
