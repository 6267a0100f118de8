//! Checkpoints of the in-memory index, so that opening a store replays
//! only the journal written since the last checkpoint instead of
//! reading every message body again.
//!
//! ```text
//! index   = "RMPINDX1" length:u64le crc32:u32le payload
//! payload = cover state
//! cover   = journal-len:u64 last-frame:u64 last-crc:u32 records:u64
//! ```
//!
//! A checkpoint describes the state after the first `journal-len` bytes
//! of the journal. It is written only after an `fdatasync` of the
//! journal that began after those bytes were written, to `index.tmp`,
//! which is synced and renamed over `index`, and the directory synced.
//! At open it is used only when its own checksum holds and the journal
//! still has, at `last-frame`, a record header with the recorded length
//! and checksum that ends exactly at `journal-len`; otherwise (a
//! journal rewritten by compaction, or cut shorter) the whole journal
//! is replayed as before. Compaction removes the checkpoint before it
//! replaces the journal and writes a new one afterwards.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use crate::cache::HeaderCache;
use crate::codec::{Dec, DecodeError, Enc};
use crate::journal::{Device, sync_dir};
use crate::model::{Account, Blob, Mailbox, Message, Quota, SpecialUse, State};
use crate::record::{dec_flags, enc_flags};

const MAGIC: &[u8; 8] = b"RMPINDX1";

/// The file name of the checkpoint in the store directory.
pub(crate) const FILE: &str = "index";

/// Which prefix of the journal a checkpoint covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Cover {
    /// Journal bytes covered (the end of the last covered record).
    pub(crate) len: u64,
    /// Offset of the last covered record's frame (its length field);
    /// 0 when no record is covered.
    pub(crate) last_frame: u64,
    /// That record's checksum.
    pub(crate) last_crc: u32,
    /// Records covered.
    pub(crate) records: u64,
}

/// Serialises the state with the cover it belongs to.
pub(crate) fn encode(state: &State, cover: &Cover) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[0; 12]);
    let mut e = Enc(&mut out);
    e.u64(cover.len);
    e.u64(cover.last_frame);
    e.u32(cover.last_crc);
    e.u64(cover.records);
    e.u32(state.last_uidvalidity);
    e.u32(state.accounts.len() as u32);
    // Blobs shared by copies are written once, where first met.
    let mut blobs: HashMap<*const Blob, u32> = HashMap::new();
    for (name, a) in &state.accounts {
        e.str(name);
        e.opt_u64(a.quota.max_bytes);
        e.opt_u64(a.quota.max_messages);
        e.u64(a.bytes);
        e.u64(a.messages);
        e.u32(a.scripts.len() as u32);
        for (n, s) in &a.scripts {
            e.str(n);
            e.bytes(s);
        }
        match &a.active_script {
            Some(n) => {
                e.u8(1);
                e.str(n);
            }
            None => e.u8(0),
        }
        e.u32(a.marks.len() as u32);
        for ((kind, key), exp) in &a.marks {
            e.u8(*kind);
            e.str(key);
            e.i64(*exp);
        }
        e.u32(a.mailboxes.len() as u32);
        for (mn, mb) in &a.mailboxes {
            e.str(mn);
            e.u32(mb.uidvalidity);
            e.u32(mb.uidnext);
            e.u64(mb.highest_modseq);
            e.u8(mb.special_use.bits());
            e.u8(u8::from(mb.subscribed));
            e.u32(mb.recent_from);
            e.u32(mb.vanished.len() as u32);
            for (u, m) in &mb.vanished {
                e.u32(*u);
                e.u64(*m);
            }
            e.u32(mb.messages.len() as u32);
            for m in &mb.messages {
                e.u32(m.uid);
                e.u64(m.modseq);
                enc_flags(&mut e, &m.flags);
                e.i64(m.internal_date);
                e.i64(m.save_date);
                let next = blobs.len() as u32;
                let idx = *blobs.entry(Arc::as_ptr(&m.blob)).or_insert(next);
                e.u32(idx);
                if idx == next {
                    e.u64(m.blob.offset);
                    e.u64(m.blob.len);
                    m.blob.cache.encode(&mut e);
                }
            }
        }
    }
    let len = (out.len() - 20) as u64;
    let crc = crc32fast::hash(&out[20..]);
    out[8..16].copy_from_slice(&len.to_le_bytes());
    out[16..20].copy_from_slice(&crc.to_le_bytes());
    out
}

/// Reads a serialised checkpoint back.
pub(crate) fn decode(bytes: &[u8]) -> Result<(State, Cover), DecodeError> {
    if bytes.len() < 20 || &bytes[..8] != MAGIC {
        return Err(DecodeError("not a checkpoint"));
    }
    let len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(bytes[16..20].try_into().expect("4 bytes"));
    let payload = &bytes[20..];
    if payload.len() as u64 != len || crc32fast::hash(payload) != crc {
        return Err(DecodeError("checkpoint length or checksum mismatch"));
    }
    let mut d = Dec::new(payload);
    let cover = Cover {
        len: d.u64()?,
        last_frame: d.u64()?,
        last_crc: d.u32()?,
        records: d.u64()?,
    };
    let mut state = State {
        last_uidvalidity: d.u32()?,
        ..State::default()
    };
    let mut blobs: Vec<Arc<Blob>> = Vec::new();
    for _ in 0..d.count()? {
        let name = d.str()?;
        let mut a = Account {
            quota: Quota {
                max_bytes: d.opt_u64()?,
                max_messages: d.opt_u64()?,
            },
            bytes: d.u64()?,
            messages: d.u64()?,
            ..Account::default()
        };
        for _ in 0..d.count()? {
            let n = d.str()?;
            a.scripts.insert(n, d.bytes()?.to_vec());
        }
        a.active_script = match d.u8()? {
            0 => None,
            _ => Some(d.str()?),
        };
        for _ in 0..d.count()? {
            let kind = d.u8()?;
            let key = d.str()?;
            a.marks.insert((kind, key), d.i64()?);
        }
        for _ in 0..d.count()? {
            let mn = d.str()?;
            let mut mb = Mailbox {
                uidvalidity: d.u32()?,
                uidnext: d.u32()?,
                highest_modseq: d.u64()?,
                special_use: SpecialUse::from_bits(d.u8()?),
                subscribed: d.u8()? != 0,
                recent_from: d.u32()?,
                messages: Vec::new(),
                vanished: Vec::new(),
            };
            for _ in 0..d.count()? {
                mb.vanished.push((d.u32()?, d.u64()?));
            }
            let n = d.count()?;
            mb.messages.reserve(n);
            for _ in 0..n {
                let uid = d.u32()?;
                let modseq = d.u64()?;
                let flags = dec_flags(&mut d)?;
                let internal_date = d.i64()?;
                let save_date = d.i64()?;
                let idx = d.u32()? as usize;
                if idx == blobs.len() {
                    let offset = d.u64()?;
                    let len = d.u64()?;
                    let cache = HeaderCache::decode(&mut d)?;
                    blobs.push(Arc::new(Blob { offset, len, cache }));
                }
                let blob = blobs
                    .get(idx)
                    .ok_or(DecodeError("checkpoint blob index out of range"))?
                    .clone();
                if blob.offset.saturating_add(blob.len) > cover.len
                    || mb.messages.last().is_some_and(|m: &Message| m.uid >= uid)
                    || uid >= mb.uidnext
                {
                    return Err(DecodeError("checkpoint message out of place"));
                }
                mb.messages.push(Message {
                    uid,
                    modseq,
                    flags,
                    internal_date,
                    save_date,
                    blob,
                });
            }
            a.mailboxes.insert(mn, mb);
        }
        state.accounts.insert(name, a);
    }
    if !d.is_empty() {
        return Err(DecodeError("trailing bytes after checkpoint"));
    }
    Ok((state, cover))
}

/// Writes a checkpoint durably: a temporary file, synced, renamed over
/// the old one, and the directory synced.
pub(crate) fn write(dir: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join("index.tmp");
    let r = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    })();
    if let Err(e) = r {
        // A full disk must not keep a half checkpoint taking space.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, dir.join(FILE))?;
    sync_dir(dir)
}

/// Removes the checkpoint (durably) before the journal is replaced.
pub(crate) fn remove(dir: &Path) -> io::Result<()> {
    match std::fs::remove_file(dir.join(FILE)) {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Loads the checkpoint in `dir` when it is intact and belongs to the
/// journal on `dev`; `None` means: replay the whole journal.
pub(crate) fn load(dir: &Path, dev: &dyn Device) -> Option<(State, Cover)> {
    let bytes = std::fs::read(dir.join(FILE)).ok()?;
    let (state, cover) = decode(&bytes).ok()?;
    matches_journal(&cover, dev).then_some((state, cover))
}

fn matches_journal(cover: &Cover, dev: &dyn Device) -> bool {
    let Ok(len) = dev.len() else { return false };
    if cover.len > len || cover.len < 8 {
        return false;
    }
    if cover.records == 0 {
        return cover.len == 8 && cover.last_frame == 0;
    }
    let mut head = [0u8; 8];
    if cover.last_frame < 8 || dev.read_at(&mut head, cover.last_frame).is_err() {
        return false;
    }
    let n = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
    let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    crc == cover.last_crc && cover.last_frame + 8 + u64::from(n) == cover.len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_checkpoints_are_refused() {
        let state = State::default();
        let cover = Cover {
            len: 8,
            ..Cover::default()
        };
        let bytes = encode(&state, &cover);
        let (_, c) = decode(&bytes).unwrap();
        assert_eq!(c, cover);
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err());
        }
        let mut bad = bytes.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(decode(&bad).is_err());
    }
}
