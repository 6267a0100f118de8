//! The journal: an append-only file of checksummed records, and the
//! small device trait the store writes it through.
//!
//! ```text
//! journal = magic *record
//! magic   = "RMPSTOR1"
//! record  = length:u32le crc32:u32le payload   ; length of payload, > 0
//! ```

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::Mutex;

/// First bytes of every journal.
pub(crate) const MAGIC: &[u8; 8] = b"RMPSTOR1";

/// Largest record accepted when reading: a bigger length is corruption.
pub(crate) const MAX_RECORD: u32 = 1 << 30;

/// Where the journal lives. The store only needs positioned writes and
/// reads, a durable sync and truncation; the file implementation is
/// the default, the memory one serves fault-injection tests.
pub(crate) trait Device: Send + Sync {
    /// Current length in bytes.
    fn len(&self) -> io::Result<u64>;
    /// Writes all of `buf` at `offset`.
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()>;
    /// Reads exactly `buf.len()` bytes at `offset`.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()>;
    /// Makes every completed write durable.
    fn sync(&self) -> io::Result<()>;
    /// Cuts the journal to `len` bytes.
    fn truncate(&self, len: u64) -> io::Result<()>;
}

impl<T: Device> Device for std::sync::Arc<T> {
    fn len(&self) -> io::Result<u64> {
        (**self).len()
    }
    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        (**self).write_at(buf, offset)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        (**self).read_at(buf, offset)
    }
    fn sync(&self) -> io::Result<()> {
        (**self).sync()
    }
    fn truncate(&self, len: u64) -> io::Result<()> {
        (**self).truncate(len)
    }
}

/// The journal as a file on local disk.
pub(crate) struct FileDevice {
    file: File,
}

impl FileDevice {
    /// Opens or creates the journal; a new file (or one holding only a
    /// torn magic) gets its magic and is made durable together with its
    /// directory entry.
    pub(crate) fn open(path: &Path) -> io::Result<Self> {
        let existed = path.exists();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let dev = FileDevice { file };
        let len = dev.len()?;
        // A crash while the magic was first written leaves a prefix of
        // it (or nothing): the journal never held a record, start anew.
        let torn_magic = len < MAGIC.len() as u64 && {
            let mut head = vec![0; len as usize];
            dev.read_at(&mut head, 0)?;
            MAGIC.starts_with(&head)
        };
        if !existed || torn_magic {
            dev.write_at(MAGIC, 0)?;
            dev.file.sync_all()?;
            if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
        }
        Ok(dev)
    }
}

/// Makes a directory's entries durable (new or renamed files).
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Device for FileDevice {
    fn len(&self) -> io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, buf, offset)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    fn sync(&self) -> io::Result<()> {
        // fdatasync: the length change is data for this purpose.
        self.file.sync_data()
    }

    fn truncate(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_all()
    }
}

/// A journal in memory with an optional size limit, to simulate a full
/// disk (a write past the limit stores a prefix and fails, as a real
/// disk may) and failing syncs.
#[derive(Default)]
pub(crate) struct MemDevice {
    pub(crate) data: Mutex<Vec<u8>>,
    pub(crate) limit: Mutex<Option<u64>>,
    pub(crate) fail_sync: std::sync::atomic::AtomicBool,
}

impl MemDevice {
    pub(crate) fn new() -> Self {
        let dev = MemDevice::default();
        dev.data.lock().unwrap().extend_from_slice(MAGIC);
        dev
    }
}

impl Device for MemDevice {
    fn len(&self) -> io::Result<u64> {
        Ok(self.data.lock().unwrap().len() as u64)
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> io::Result<()> {
        let mut data = self.data.lock().unwrap();
        let limit = self.limit.lock().unwrap().unwrap_or(u64::MAX);
        let end = offset + buf.len() as u64;
        let fits = end.min(limit).saturating_sub(offset) as usize;
        let offset = offset as usize;
        if data.len() < offset + fits {
            data.resize(offset + fits, 0);
        }
        data[offset..offset + fits].copy_from_slice(&buf[..fits]);
        if fits < buf.len() {
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        Ok(())
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        let data = self.data.lock().unwrap();
        let src = data
            .get(offset as usize..offset as usize + buf.len())
            .ok_or_else(|| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn sync(&self) -> io::Result<()> {
        if self.fail_sync.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(io::Error::other("injected sync failure"));
        }
        Ok(())
    }

    fn truncate(&self, len: u64) -> io::Result<()> {
        self.data.lock().unwrap().truncate(len as usize);
        Ok(())
    }
}

/// Frames one payload: length, checksum, payload.
pub(crate) fn frame(out: &mut [u8], payload_start: usize) {
    let len = (out.len() - payload_start - 8) as u32;
    let crc = crc32fast::hash(&out[payload_start + 8..]);
    out[payload_start..payload_start + 4].copy_from_slice(&len.to_le_bytes());
    out[payload_start + 4..payload_start + 8].copy_from_slice(&crc.to_le_bytes());
}

/// How a scan of the journal ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScanEnd {
    /// Every byte belongs to a valid record.
    Clean,
    /// Bytes from this offset on are a torn or corrupt tail.
    Torn {
        /// Where the valid records end.
        at: u64,
        /// Why the tail was refused.
        reason: &'static str,
    },
}

/// Reads records in order from the one that starts at `from` up to
/// `end` (default: the journal's length), handing each payload's
/// offset, the payload and its checksum to `f`, and stops at the first
/// incomplete or corrupt record.
pub(crate) fn scan_range(
    dev: &dyn Device,
    from: u64,
    end: Option<u64>,
    mut f: impl FnMut(u64, &[u8], u32) -> Result<(), crate::StoreError>,
) -> Result<ScanEnd, crate::StoreError> {
    let io = |e| crate::StoreError::io("reading the journal", e);
    let file_len = dev.len().map_err(io)?;
    let len = end.unwrap_or(file_len).min(file_len);
    let mut magic = [0u8; 8];
    if len < 8 {
        return Err(crate::StoreError::Corrupt {
            offset: 0,
            reason: "journal is shorter than its header".into(),
        });
    }
    dev.read_at(&mut magic, 0).map_err(io)?;
    if &magic != MAGIC {
        return Err(crate::StoreError::Corrupt {
            offset: 0,
            reason: "not a rampart store journal (bad magic)".into(),
        });
    }
    let from = from.clamp(MAGIC.len() as u64, len);
    let mut reader = ChunkReader::new(dev, from, len);
    let mut pos = from;
    let mut payload = Vec::new();
    while pos < len {
        let torn = |reason| Ok(ScanEnd::Torn { at: pos, reason });
        if len - pos < 8 {
            return torn("incomplete record header");
        }
        let mut head = [0u8; 8];
        reader.read(&mut head).map_err(io)?;
        let n = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if n == 0 || n > MAX_RECORD {
            return torn("impossible record length");
        }
        if u64::from(n) > len - pos - 8 {
            return torn("incomplete record");
        }
        payload.resize(n as usize, 0);
        reader.read(&mut payload).map_err(io)?;
        if crc32fast::hash(&payload) != crc {
            return torn("record checksum mismatch");
        }
        f(pos + 8, &payload, crc)?;
        pos += 8 + u64::from(n);
    }
    Ok(ScanEnd::Clean)
}

/// Sequential reads through positioned reads, a megabyte at a time.
struct ChunkReader<'a> {
    dev: &'a dyn Device,
    buf: Vec<u8>,
    at: usize,
    next: u64,
    end: u64,
}

impl<'a> ChunkReader<'a> {
    fn new(dev: &'a dyn Device, start: u64, end: u64) -> Self {
        ChunkReader {
            dev,
            buf: Vec::new(),
            at: 0,
            next: start,
            end,
        }
    }

    fn read(&mut self, out: &mut [u8]) -> io::Result<()> {
        let mut filled = 0;
        while filled < out.len() {
            if self.at == self.buf.len() {
                let want = (self.end - self.next).min(1 << 20) as usize;
                if want == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
                // Large payloads are read straight into the output.
                let rest = out.len() - filled;
                if rest >= want {
                    self.dev.read_at(&mut out[filled..], self.next)?;
                    self.next += rest as u64;
                    return Ok(());
                }
                self.buf.resize(want, 0);
                self.dev.read_at(&mut self.buf, self.next)?;
                self.next += want as u64;
                self.at = 0;
            }
            let n = (self.buf.len() - self.at).min(out.len() - filled);
            out[filled..filled + n].copy_from_slice(&self.buf[self.at..self.at + n]);
            self.at += n;
            filled += n;
        }
        Ok(())
    }
}
