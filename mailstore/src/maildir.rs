//! Reading and writing Maildir folders, for migrations.
//!
//! A Maildir folder holds `tmp/`, `new/` and `cur/`; each message is one
//! file. Files in `cur/` carry flags after `:2,` in their name: `D`
//! draft, `F` flagged, `R` replied (`\Answered`), `S` seen, `T` trashed
//! (`\Deleted`), `P` passed (kept as the `$Forwarded` keyword). Lower
//! case letters are Dovecot keywords, numbered by the folder's
//! `dovecot-keywords` file (`0 $Label1`). Files in `new/` have no flags.
//! INTERNALDATE is the file's modification time. Maildir++ subfolders
//! (`.Sent`, `.Work.Later`) are found by [`subfolders`].
//!
//! ```
//! use rampart_mailstore::{Flag, maildir};
//!
//! let dir = tempfile_dir();
//! let mut w = maildir::MaildirWriter::create(&dir).unwrap();
//! let mut flags = rampart_mailstore::Flags::new();
//! flags.insert(Flag::Seen);
//! w.write_message(b"Subject: hi\r\n\r\nbody\r\n", &flags, 1_700_000_000).unwrap();
//! w.finish().unwrap();
//!
//! let msgs: Vec<_> = maildir::read_folder(&dir).unwrap();
//! assert_eq!(msgs.len(), 1);
//! assert!(msgs[0].flags.contains(Flag::Seen));
//! assert_eq!(std::fs::read(&msgs[0].path).unwrap(), b"Subject: hi\r\n\r\nbody\r\n");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # fn tempfile_dir() -> std::path::PathBuf {
//! #     let d = std::env::temp_dir().join(format!("maildir-doc-{}", std::process::id()));
//! #     let _ = std::fs::remove_dir_all(&d);
//! #     d
//! # }
//! ```

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::flags::{Flag, Flags};

/// One message file of a Maildir folder (the body is read by the
/// caller, so that a large folder is not held in memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaildirEntry {
    /// Path of the message file.
    pub path: PathBuf,
    /// Flags from the file name.
    pub flags: Flags,
    /// Modification time, Unix seconds.
    pub internal_date: i64,
    /// File size in bytes.
    pub size: u64,
}

/// Whether `dir` looks like a Maildir folder (has `cur/` and `new/`).
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

/// Lists the messages of one folder, oldest first (by modification
/// time, then name).
///
/// # Errors
///
/// [`io::ErrorKind::InvalidInput`] when `dir` is not a Maildir folder;
/// errors reading the directories.
pub fn read_folder(dir: &Path) -> io::Result<Vec<MaildirEntry>> {
    if !is_maildir(dir) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} is not a Maildir folder (no cur/ and new/)",
                dir.display()
            ),
        ));
    }
    let keywords = read_keywords(dir);
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        for entry in fs::read_dir(dir.join(sub))? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            if name.starts_with('.') {
                continue;
            }
            let meta = entry.metadata()?;
            if !meta.is_file() {
                continue;
            }
            let flags = if sub == "cur" {
                name_flags(name, &keywords)
            } else {
                Flags::new()
            };
            let internal_date = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs() as i64);
            out.push(MaildirEntry {
                path: entry.path(),
                flags,
                internal_date,
                size: meta.len(),
            });
        }
    }
    out.sort_by(|a, b| (a.internal_date, &a.path).cmp(&(b.internal_date, &b.path)));
    Ok(out)
}

/// Maildir++ subfolders below a Maildir root, as mailbox names with
/// `/` as the hierarchy delimiter (`.Work.Later` becomes `Work/Later`),
/// sorted, with their paths. The root itself (INBOX) is not listed.
///
/// # Errors
///
/// Errors reading the root directory.
pub fn subfolders(root: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix('.') else {
            continue;
        };
        if rest.is_empty() || rest == "." || !is_maildir(&entry.path()) {
            continue;
        }
        out.push((rest.replace('.', "/"), entry.path()));
    }
    out.sort();
    Ok(out)
}

fn read_keywords(dir: &Path) -> Vec<(u8, String)> {
    let Ok(text) = fs::read_to_string(dir.join("dovecot-keywords")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let (n, kw) = l.split_once(' ')?;
            let n: u8 = n.parse().ok().filter(|&n| n < 26)?;
            Some((b'a' + n, kw.trim().to_owned()))
        })
        .collect()
}

fn name_flags(name: &str, keywords: &[(u8, String)]) -> Flags {
    let mut flags = Flags::new();
    let Some((_, info)) = name.rsplit_once(":2,") else {
        return flags;
    };
    for c in info.bytes() {
        match c {
            b'D' => flags.insert(Flag::Draft),
            b'F' => flags.insert(Flag::Flagged),
            b'R' => flags.insert(Flag::Answered),
            b'S' => flags.insert(Flag::Seen),
            b'T' => flags.insert(Flag::Deleted),
            b'P' => flags.insert(Flag::Keyword("$Forwarded")),
            b'a'..=b'z' => {
                if let Some((_, kw)) = keywords.iter().find(|(l, _)| *l == c) {
                    // A keyword the store refuses is dropped, not fatal.
                    let _ = flags.insert_str(kw);
                }
            }
            _ => {}
        }
    }
    flags
}

/// Writes messages into a Maildir folder (created if missing), each
/// through `tmp/` and a rename into `cur/`, with fsyncs so that an
/// interrupted export leaves only whole messages.
#[derive(Debug)]
pub struct MaildirWriter {
    dir: PathBuf,
    keywords: Vec<String>,
    count: u64,
    host: String,
}

impl MaildirWriter {
    /// Creates `dir` with `tmp/`, `new/` and `cur/` when missing.
    ///
    /// # Errors
    ///
    /// Errors creating the directories.
    pub fn create(dir: &Path) -> io::Result<Self> {
        for sub in ["tmp", "new", "cur"] {
            fs::create_dir_all(dir.join(sub))?;
        }
        let host = fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().replace(['/', ':'], "_"))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        // Files already there name keywords by this file's letters.
        let mut keywords: Vec<String> = Vec::new();
        for (letter, kw) in read_keywords(dir) {
            let i = usize::from(letter - b'a');
            if keywords.len() <= i {
                keywords.resize(i + 1, String::new());
            }
            keywords[i] = kw;
        }
        Ok(MaildirWriter {
            dir: dir.to_owned(),
            keywords,
            count: 0,
            host,
        })
    }

    /// Writes one message with its flags; `internal_date` becomes the
    /// file's modification time. Returns the file's path.
    ///
    /// # Errors
    ///
    /// Write, sync and rename errors.
    pub fn write_message(
        &mut self,
        raw: &[u8],
        flags: &Flags,
        internal_date: i64,
    ) -> io::Result<PathBuf> {
        self.count += 1;
        let micros = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_micros());
        let unique = format!(
            "{internal_date}.M{micros}P{}Q{}.{}",
            std::process::id(),
            self.count,
            self.host
        );
        let mut info = String::new();
        for (c, f) in [
            ('D', Flag::Draft),
            ('F', Flag::Flagged),
            ('P', Flag::Keyword("$Forwarded")),
            ('R', Flag::Answered),
            ('S', Flag::Seen),
            ('T', Flag::Deleted),
        ] {
            if flags.contains(f) {
                info.push(c);
            }
        }
        let mut letters = Vec::new();
        for kw in flags.keywords() {
            if kw.eq_ignore_ascii_case("$Forwarded") {
                continue;
            }
            let i = match self
                .keywords
                .iter()
                .position(|k| !k.is_empty() && k.eq_ignore_ascii_case(kw))
            {
                Some(i) => i,
                None if self.keywords.len() < 26 => {
                    self.keywords.push(kw.clone());
                    self.keywords.len() - 1
                }
                None => continue, // Maildir names have room for 26.
            };
            letters.push((b'a' + i as u8) as char);
        }
        letters.sort_unstable();
        info.extend(letters);
        let tmp = self.dir.join("tmp").join(&unique);
        let mut f = File::create_new(&tmp)?;
        f.write_all(raw)?;
        if let Ok(t) = u64::try_from(internal_date) {
            let when = UNIX_EPOCH + std::time::Duration::from_secs(t);
            let _ = f.set_modified(when);
        }
        f.sync_all()?;
        drop(f);
        let dest = self.dir.join("cur").join(format!("{unique}:2,{info}"));
        fs::rename(&tmp, &dest)?;
        Ok(dest)
    }

    /// Writes `dovecot-keywords` and makes the directory entries
    /// durable.
    ///
    /// # Errors
    ///
    /// Write and sync errors.
    pub fn finish(self) -> io::Result<()> {
        if !self.keywords.is_empty() {
            let mut text = String::new();
            for (i, k) in self.keywords.iter().enumerate() {
                if !k.is_empty() {
                    text.push_str(&format!("{i} {k}\n"));
                }
            }
            fs::write(self.dir.join("dovecot-keywords"), text)?;
        }
        File::open(self.dir.join("cur"))?.sync_all()?;
        File::open(&self.dir)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_through_names() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = MaildirWriter::create(dir.path()).unwrap();
        let flags =
            Flags::parse(&["\\Answered", "\\Deleted", "$Forwarded", "$Label1", "Work"]).unwrap();
        w.write_message(b"A: 1\r\n\r\n", &flags, 1_600_000_000)
            .unwrap();
        w.write_message(b"A: 2\r\n\r\n", &Flags::new(), 1_600_000_100)
            .unwrap();
        w.finish().unwrap();
        // A new/ message without flags, and junk that is not a message.
        fs::write(dir.path().join("new/1700000000.x.host"), b"A: 3\r\n\r\n").unwrap();
        fs::write(dir.path().join("cur/.hidden"), b"x").unwrap();
        let got = read_folder(dir.path()).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].flags, flags);
        assert_eq!(got[0].internal_date, 1_600_000_000);
        assert!(got[1].flags.is_empty());
        assert_eq!(fs::read(&got[2].path).unwrap(), b"A: 3\r\n\r\n");
    }

    #[test]
    fn subfolders_and_bad_dirs() {
        let dir = tempfile::tempdir().unwrap();
        MaildirWriter::create(&dir.path().join(".Work.Later")).unwrap();
        MaildirWriter::create(&dir.path().join(".Sent")).unwrap();
        fs::create_dir(dir.path().join(".notmaildir")).unwrap();
        let names: Vec<String> = subfolders(dir.path())
            .unwrap()
            .into_iter()
            .map(|s| s.0)
            .collect();
        assert_eq!(names, ["Sent", "Work/Later"]);
        let err = read_folder(&dir.path().join(".notmaildir")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
