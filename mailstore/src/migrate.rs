//! Import from and export to mbox files and Maildir folders, in
//! batches, with progress reporting.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::error::{Result, StoreError};
use crate::flags::Flags;
use crate::maildir::{self, MaildirWriter};
use crate::mbox::{MboxError, MboxFormat, MboxReader, MboxWriter};
use crate::model::SpecialUse;
use crate::name::MailboxName;
use crate::store::{NewMessage, Store};
use crate::uidset::UidSet;

/// Messages per batch: one journal write and one fsync each.
const BATCH_MESSAGES: usize = 256;
/// Bytes per batch, so that a batch of large messages stays bounded.
const BATCH_BYTES: usize = 16 << 20;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Messages stored.
    pub imported: u64,
    /// Bytes stored.
    pub bytes: u64,
    /// Messages skipped, one line each saying which and why.
    pub skipped: Vec<String>,
}

struct Batcher<'s> {
    store: &'s Store,
    account: &'s str,
    mailbox: &'s MailboxName,
    pending: Vec<(Vec<u8>, Flags, Option<i64>)>,
    bytes: usize,
    report: ImportReport,
}

impl Batcher<'_> {
    fn push(&mut self, raw: Vec<u8>, flags: Flags, date: Option<i64>) -> Result<()> {
        self.bytes += raw.len();
        self.pending.push((raw, flags, date));
        if self.pending.len() >= BATCH_MESSAGES || self.bytes >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let msgs: Vec<NewMessage<'_>> = self
            .pending
            .iter()
            .map(|(raw, flags, date)| NewMessage {
                raw,
                flags: flags.clone(),
                internal_date: *date,
            })
            .collect();
        self.store.append_batch(self.account, self.mailbox, &msgs)?;
        self.report.imported += msgs.len() as u64;
        self.report.bytes += self.bytes as u64;
        self.pending.clear();
        self.bytes = 0;
        Ok(())
    }
}

fn ensure_mailbox(store: &Store, account: &str, mailbox: &MailboxName) -> Result<()> {
    match store.create_mailbox(account, mailbox, SpecialUse::NONE) {
        Ok(()) | Err(StoreError::MailboxExists(_)) => Ok(()),
        Err(e) => Err(e),
    }
}

impl Store {
    /// Imports an mbox into `mailbox` (created if missing), in batches
    /// of up to 256 messages that are each stored all or none with one
    /// fsync. `progress` is called after each message with the bytes of
    /// input consumed so far. A message above the size limit is skipped
    /// and listed in the report; any other error stops the import, and
    /// the messages of earlier batches stay imported.
    ///
    /// # Errors
    ///
    /// Store errors ([`StoreError::OverQuota`], [`StoreError::DiskFull`],
    /// ...) and [`StoreError::Import`] when the file cannot be read or is
    /// not an mbox.
    pub fn import_mbox<R: BufRead>(
        &self,
        account: &str,
        mailbox: &MailboxName,
        input: R,
        format: MboxFormat,
        progress: &mut dyn FnMut(u64),
    ) -> Result<ImportReport> {
        ensure_mailbox(self, account, mailbox)?;
        let limit = self.max_message_size();
        let mut reader = MboxReader::new(input, format, limit);
        let mut b = Batcher {
            store: self,
            account,
            mailbox,
            pending: Vec::new(),
            bytes: 0,
            report: ImportReport::default(),
        };
        while let Some(item) = reader.next() {
            match item {
                Ok(m) => b.push(m.raw, m.flags, m.internal_date)?,
                Err(e @ MboxError::TooLarge { .. }) => b.report.skipped.push(e.to_string()),
                Err(e) => {
                    b.flush()?;
                    return Err(StoreError::Import(e.to_string()));
                }
            }
            progress(reader.bytes_read());
        }
        b.flush()?;
        Ok(b.report)
    }

    /// Imports one Maildir folder into `mailbox` (created if missing),
    /// oldest message first, with flags from the file names and bare LF
    /// line ends made CRLF. `progress`
    /// gets the number of files done and the total.
    ///
    /// # Errors
    ///
    /// As [`Store::import_mbox`].
    pub fn import_maildir(
        &self,
        account: &str,
        mailbox: &MailboxName,
        dir: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<ImportReport> {
        let entries = maildir::read_folder(dir).map_err(|e| StoreError::Import(e.to_string()))?;
        ensure_mailbox(self, account, mailbox)?;
        let limit = self.max_message_size();
        let mut b = Batcher {
            store: self,
            account,
            mailbox,
            pending: Vec::new(),
            bytes: 0,
            report: ImportReport::default(),
        };
        let total = entries.len() as u64;
        for (i, e) in entries.into_iter().enumerate() {
            if e.size > limit {
                b.report.skipped.push(format!(
                    "{}: {} bytes, more than the limit of {limit}",
                    e.path.display(),
                    e.size
                ));
            } else {
                match std::fs::read(&e.path).map(to_crlf) {
                    Ok(raw) if raw.len() as u64 > limit => b.report.skipped.push(format!(
                        "{}: {} bytes with CRLF line ends, more than the limit of {limit}",
                        e.path.display(),
                        raw.len()
                    )),
                    Ok(raw) => b.push(raw, e.flags, Some(e.internal_date))?,
                    // Another program may have moved the file meanwhile.
                    Err(err) => b
                        .report
                        .skipped
                        .push(format!("{}: {err}", e.path.display())),
                }
            }
            progress(i as u64 + 1, total);
        }
        b.flush()?;
        Ok(b.report)
    }

    /// Writes every message of a mailbox to `out` as an mbox, in UID
    /// order, with its flags in `Status:`, `X-Status:` and `X-Keywords:`
    /// fields, and returns how many were written.
    ///
    /// # Errors
    ///
    /// Store errors, and [`StoreError::Io`] when writing fails.
    pub fn export_mbox<W: Write>(
        &self,
        account: &str,
        mailbox: &MailboxName,
        out: W,
        format: MboxFormat,
    ) -> Result<u64> {
        let msgs = self.messages(account, mailbox, &UidSet::all())?;
        let mut w = MboxWriter::new(out, format);
        let io = |e| StoreError::io("writing the mbox", e);
        for m in &msgs {
            let raw = self.read(m)?;
            let sender = envelope_sender(m.cache().field(crate::CachedField::From));
            w.write_message_with_flags(&sender, m.internal_date(), &raw, m.flags())
                .map_err(io)?;
        }
        w.finish().map_err(io)?;
        Ok(msgs.len() as u64)
    }

    /// Writes every message of a mailbox into the Maildir folder `dir`
    /// (created if missing), with flags in the file names.
    ///
    /// # Errors
    ///
    /// Store errors, and [`StoreError::Io`] when writing fails.
    pub fn export_maildir(&self, account: &str, mailbox: &MailboxName, dir: &Path) -> Result<u64> {
        let msgs = self.messages(account, mailbox, &UidSet::all())?;
        let io = |e| StoreError::io("writing the Maildir", e);
        let mut w = MaildirWriter::create(dir).map_err(io)?;
        for m in &msgs {
            let raw = self.read(m)?;
            w.write_message(&raw, m.flags(), m.internal_date())
                .map_err(io)?;
        }
        w.finish().map_err(io)?;
        Ok(msgs.len() as u64)
    }
}

/// The message with every bare LF made CRLF, as IMAP serves messages
/// (Maildir files written by procmail and most MDAs use LF).
fn to_crlf(raw: Vec<u8>) -> Vec<u8> {
    let bare = memchr::memchr_iter(b'\n', &raw)
        .filter(|&i| i == 0 || raw[i - 1] != b'\r')
        .count();
    if bare == 0 {
        return raw;
    }
    let mut out = Vec::with_capacity(raw.len() + bare);
    for (i, &c) in raw.iter().enumerate() {
        if c == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

/// The bare address of a `From` field (`Ann <ann@x>` gives `ann@x`),
/// for the mbox `From ` line.
fn envelope_sender(from: &str) -> String {
    let addr = match (from.find('<'), from.rfind('>')) {
        (Some(a), Some(b)) if a < b => &from[a + 1..b],
        _ => from.trim(),
    };
    if addr.is_empty() || addr.contains(char::is_whitespace) {
        "MAILER-DAEMON".to_owned()
    } else {
        addr.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Flag, StoreOptions};

    #[test]
    fn mbox_import_export_round_trip() {
        let store = Store::in_memory(StoreOptions::default());
        store.create_account("u").unwrap();
        let mb = MailboxName::new("Old/Mail").unwrap();
        let file = b"From a@x Mon Jan  2 03:04:05 2006\nFrom: A <a@x>\nStatus: RO\n\
            X-Keywords: $Label1 work\nContent-Length: 99\n\n\
            >From the past\nline\n\nFrom b@y Mon Jan  2 03:04:06 2006\nFrom: b@y\n\nsecond\n";
        let mut seen = Vec::new();
        let rep = store
            .import_mbox("u", &mb, &file[..], MboxFormat::Mboxrd, &mut |n| {
                seen.push(n)
            })
            .unwrap();
        assert_eq!(rep.imported, 2);
        assert!(rep.skipped.is_empty());
        assert_eq!(seen.last(), Some(&(file.len() as u64)));
        let msgs = store.messages("u", &mb, &UidSet::all()).unwrap();
        assert!(msgs[0].flags().contains(Flag::Seen));
        assert!(msgs[0].flags().contains(Flag::Keyword("work")));
        assert_eq!(msgs[1].internal_date(), 1_136_171_046);
        // The mbox-only fields became flags and are not stored.
        assert_eq!(
            store.read(&msgs[0]).unwrap(),
            b"From: A <a@x>\r\n\r\nFrom the past\r\nline\r\n"
        );
        // Flags changed in the store are what the export writes.
        let mut f = Flags::new();
        f.insert(Flag::Flagged);
        store
            .store_flags("u", &mb, &UidSet::range(2, 2), crate::FlagOp::Add, &f, None)
            .unwrap();
        let mut out = Vec::new();
        assert_eq!(
            store
                .export_mbox("u", &mb, &mut out, MboxFormat::Mboxrd)
                .unwrap(),
            2
        );
        let want: &[u8] = b"From a@x Mon Jan  2 03:04:05 2006\nFrom: A <a@x>\nStatus: RO\n\
            X-Keywords: $Label1 work\n\n>From the past\nline\n\n\
            From b@y Mon Jan  2 03:04:06 2006\nFrom: b@y\nStatus: O\nX-Status: F\n\nsecond\n\n";
        assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(want));
        // And reading the export back gives the same messages and flags.
        let again = MailboxName::new("Again").unwrap();
        store
            .import_mbox("u", &again, &out[..], MboxFormat::Mboxrd, &mut |_| {})
            .unwrap();
        let back = store.messages("u", &again, &UidSet::all()).unwrap();
        for (x, y) in msgs.iter().zip(&back) {
            let x = &store
                .messages("u", &mb, &UidSet::range(x.uid(), x.uid()))
                .unwrap()[0];
            assert_eq!(x.flags(), y.flags());
            assert_eq!(store.read(x).unwrap(), store.read(y).unwrap());
        }
    }

    #[test]
    fn maildir_round_trip_and_oversized() {
        let store = Store::in_memory(StoreOptions {
            max_message_size: 100,
            ..StoreOptions::default()
        });
        store.create_account("u").unwrap();
        let inbox = MailboxName::new("INBOX").unwrap();
        let mut f = Flags::new();
        f.insert(Flag::Flagged);
        store
            .append("u", &inbox, b"S: 1\r\n\r\nx\r\n", &f, Some(1_500_000_000))
            .unwrap();
        store
            .append(
                "u",
                &inbox,
                b"S: 2\r\n\r\ny\r\n",
                &Flags::new(),
                Some(1_500_000_001),
            )
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(store.export_maildir("u", &inbox, dir.path()).unwrap(), 2);
        std::fs::write(dir.path().join("new/big"), vec![b'x'; 500]).unwrap();
        // Fits with LF line ends, not once they are CRLF.
        std::fs::write(dir.path().join("new/lf"), b"S: 3\n\n".repeat(15)).unwrap();
        assert_eq!(to_crlf(b"a\nb\r\nc\n".to_vec()), b"a\r\nb\r\nc\r\n");
        let back = MailboxName::new("Back").unwrap();
        let rep = store
            .import_maildir("u", &back, dir.path(), &mut |_, _| {})
            .unwrap();
        assert_eq!(rep.imported, 2);
        assert_eq!(rep.skipped.len(), 2, "{:?}", rep.skipped);
        let a = store.messages("u", &inbox, &UidSet::all()).unwrap();
        let b = store.messages("u", &back, &UidSet::all()).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.flags(), y.flags());
            assert_eq!(x.internal_date(), y.internal_date());
            assert_eq!(store.read(x).unwrap(), store.read(y).unwrap());
        }
        // Not a Maildir: a clear error, nothing created.
        let err = store
            .import_maildir(
                "u",
                &MailboxName::new("X").unwrap(),
                Path::new("/nonexistent"),
                &mut |_, _| {},
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Import(_)));
        assert!(store.status("u", &MailboxName::new("X").unwrap()).is_err());
    }
}
