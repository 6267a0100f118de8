//! Reading and writing mbox files, for migrations from procmail-era
//! systems.
//!
//! An mbox is a sequence of messages, each introduced by a `From ` line
//! (`From sender Thu Dec  3 21:34:57 2026`). A body line that itself
//! starts with `From ` must be quoted so that it is not taken for a
//! separator. Two quoting conventions matter:
//!
//! - **mboxo**: the writer turns `From ` into `>From `, and nothing
//!   else. The quoting cannot be undone reliably, because a body line
//!   that really began with `>From ` looks the same; the reader leaves
//!   `>From ` lines alone.
//! - **mboxrd**: the writer adds one `>` to every line matching
//!   `^>*From `, and the reader removes one from every such line, so
//!   the round trip is exact.
//!
//! Lines are read with LF or CRLF endings; imported messages are
//! stored with CRLF, as IMAP requires, and exports are written with LF.
//! The `Status:`, `X-Status:` and `X-Keywords:` fields that mutt, Pine,
//! UW imapd and Dovecot keep in mbox files become flags and are removed
//! from the stored message, with the other mbox-only fields (`X-UID:`,
//! `X-IMAP:`, `X-IMAPbase:`, `Content-Length:`);
//! [`MboxWriter::write_message_with_flags`] writes them back from the
//! flags.
//!
//! ```
//! use rampart_mailstore::mbox::{MboxFormat, MboxReader};
//!
//! let file = b"From ann@example.org Thu Dec  3 21:34:57 2026\n\
//!     Subject: hi\nStatus: RO\n\n>From the start\nbye\n\n";
//! let mut rd = MboxReader::new(&file[..], MboxFormat::Mboxrd, 1 << 20);
//! let msg = rd.next().unwrap().unwrap();
//! assert!(msg.raw.ends_with(b"\r\nFrom the start\r\nbye\r\n"));
//! assert!(msg.flags.contains(rampart_mailstore::Flag::Seen));
//! assert_eq!(msg.internal_date, Some(1_796_333_697));
//! assert!(rd.next().is_none());
//! ```

use std::io::{self, BufRead, Write};

use crate::flags::{Flag, Flags};
use crate::search::days_from_civil;

/// Which quoting convention an mbox uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MboxFormat {
    /// `From ` quoted as `>From `; not unquoted when reading.
    Mboxo,
    /// `^>*From ` quoted with one more `>`, unquoted when reading.
    Mboxrd,
}

/// One message read from an mbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MboxMessage {
    /// The message with CRLF line endings, without the `From ` line.
    pub raw: Vec<u8>,
    /// The envelope sender from the `From ` line (`MAILER-DAEMON` when
    /// it is missing).
    pub sender: String,
    /// The delivery time from the `From ` line, as Unix seconds (taken
    /// as UTC), when it parses.
    pub internal_date: Option<i64>,
    /// Flags from `Status:` and `X-Status:`.
    pub flags: Flags,
}

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MboxError {
    /// Reading the file failed.
    #[error("reading the mbox failed: {0}")]
    Io(#[from] io::Error),
    /// The file does not start with a `From ` line.
    #[error("not an mbox file: the first line does not start with \"From \"")]
    NotMbox,
    /// A message is larger than the limit; it was skipped and reading
    /// can go on with the next message.
    #[error("message {index} (line {line}) is larger than the limit of {limit} bytes; skipped")]
    TooLarge {
        /// Index of the message, from 0.
        index: u64,
        /// Line number of its `From ` line.
        line: u64,
        /// The limit.
        limit: u64,
    },
}

/// Reads the messages of an mbox one at a time, in bounded memory.
#[derive(Debug)]
pub struct MboxReader<R> {
    input: R,
    format: MboxFormat,
    max_size: u64,
    /// The `From ` line of the next message, when already read.
    pending: Option<Vec<u8>>,
    line_no: u64,
    index: u64,
    started: bool,
    bytes_read: u64,
}

impl<R: BufRead> MboxReader<R> {
    /// A reader of `input`; messages above `max_size` bytes are
    /// reported as [`MboxError::TooLarge`] and skipped.
    pub fn new(input: R, format: MboxFormat, max_size: u64) -> Self {
        MboxReader {
            input,
            format,
            max_size,
            pending: None,
            line_no: 0,
            index: 0,
            started: false,
            bytes_read: 0,
        }
    }

    /// Bytes consumed from the input so far (for progress bars).
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    fn read_line(&mut self, buf: &mut Vec<u8>) -> io::Result<bool> {
        buf.clear();
        // A line is bounded by the message limit plus a little: a file
        // without newlines must not exhaust memory.
        let cap = self.max_size.saturating_add(2);
        let n = io::Read::take(&mut self.input, cap).read_until(b'\n', buf)?;
        self.bytes_read += n as u64;
        if n > 0 {
            self.line_no += 1;
        }
        Ok(n > 0)
    }
}

fn is_separator(line: &[u8]) -> bool {
    line.starts_with(b"From ")
}

/// A line without its end: LF, CRLF, and any further CRs before them
/// (a bare CR at the end of a line cannot survive a CRLF store anyway,
/// and stripping them all keeps import and export stable).
fn trim_eol(line: &[u8]) -> &[u8] {
    let mut l = line.strip_suffix(b"\n").unwrap_or(line);
    while let Some(rest) = l.strip_suffix(b"\r") {
        l = rest;
    }
    l
}

impl<R: BufRead> Iterator for MboxReader<R> {
    type Item = Result<MboxMessage, MboxError>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut line = Vec::new();
        let from_line = match self.pending.take() {
            Some(l) => l,
            None => {
                match self.read_line(&mut line) {
                    Err(e) => return Some(Err(e.into())),
                    Ok(false) => return None,
                    Ok(true) => {}
                }
                if !self.started && !is_separator(&line) {
                    self.started = true;
                    // Drain so that iteration ends after this error.
                    while let Ok(true) = self.read_line(&mut line) {}
                    return Some(Err(MboxError::NotMbox));
                }
                std::mem::take(&mut line)
            }
        };
        self.started = true;
        let start_line = self.line_no;
        let index = self.index;
        self.index += 1;
        let (sender, internal_date) = parse_from_line(trim_eol(&from_line));
        let mut raw = Vec::new();
        let mut too_large = false;
        loop {
            match self.read_line(&mut line) {
                Err(e) => return Some(Err(e.into())),
                Ok(false) => break,
                Ok(true) => {}
            }
            if is_separator(&line) {
                self.pending = Some(std::mem::take(&mut line));
                break;
            }
            if too_large {
                continue;
            }
            let mut content = trim_eol(&line);
            let quoted = content.starts_with(b">")
                && content
                    .iter()
                    .position(|&b| b != b'>')
                    .map(|i| &content[i..])
                    .is_some_and(|rest| rest.starts_with(b"From "));
            if quoted && (self.format == MboxFormat::Mboxrd) {
                content = &content[1..];
            }
            raw.extend_from_slice(content);
            raw.extend_from_slice(b"\r\n");
            if raw.len() as u64 > self.max_size.saturating_add(2) {
                too_large = true;
                raw = Vec::new();
            }
        }
        if too_large {
            return Some(Err(MboxError::TooLarge {
                index,
                line: start_line,
                limit: self.max_size,
            }));
        }
        // The blank line before the next `From ` (or at the end of the
        // file) belongs to the format, not to the message.
        if raw.ends_with(b"\r\n\r\n") {
            raw.truncate(raw.len() - 2);
        }
        if raw.len() as u64 > self.max_size {
            return Some(Err(MboxError::TooLarge {
                index,
                line: start_line,
                limit: self.max_size,
            }));
        }
        let flags = status_flags(&raw);
        let raw = strip_mbox_headers(raw);
        Some(Ok(MboxMessage {
            raw,
            sender,
            internal_date,
            flags,
        }))
    }
}

/// Parses `From sender Www Mmm dd hh:mm:ss yyyy` (ctime format; an
/// optional time zone after the time or the year is tolerated).
fn parse_from_line(line: &[u8]) -> (String, Option<i64>) {
    let text = String::from_utf8_lossy(line.strip_prefix(b"From ").unwrap_or(line));
    let words: Vec<&str> = text.split_whitespace().collect();
    let sender = words
        .first()
        .map_or_else(|| "MAILER-DAEMON".to_owned(), |s| (*s).to_owned());
    (sender, parse_ctime(words.get(1..).unwrap_or(&[])))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn parse_ctime(words: &[&str]) -> Option<i64> {
    // Find the month name, then day, time and a four-digit year.
    let mi = words
        .iter()
        .position(|w| MONTHS.iter().any(|m| m.eq_ignore_ascii_case(w)))?;
    let month = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(words[mi]))? as u32
        + 1;
    let day: u32 = words.get(mi + 1)?.parse().ok()?;
    let mut hms = words.get(mi + 2)?.split(':');
    let h: i64 = hms.next()?.parse().ok()?;
    let m: i64 = hms.next()?.parse().ok()?;
    let s: i64 = hms.next().map_or(Some(0), |s| s.parse().ok())?;
    let year: i64 = words[mi + 3..]
        .iter()
        .find(|w| w.len() == 4 && w.bytes().all(|b| b.is_ascii_digit()))?
        .parse()
        .ok()?;
    // ctime writes four-digit years; anything else is not a date.
    if !(1000..=9999).contains(&year) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Header fields that belong to the mbox format, not to the message:
/// its flags, and the UIDs and lengths that mbox-based servers kept
/// (Dovecot, UW imapd, mboxcl). They are dropped on import (a stored
/// `Status:` would go stale as flags change; a `Content-Length:` is
/// wrong once line ends become CRLF) and written afresh on export.
const MBOX_FIELDS: [&[u8]; 7] = [
    b"status",
    b"x-status",
    b"x-keywords",
    b"x-uid",
    b"x-imap",
    b"x-imapbase",
    b"content-length",
];

/// The message without its [`MBOX_FIELDS`] (with their continuation
/// lines); the body is untouched.
fn strip_mbox_headers(raw: Vec<u8>) -> Vec<u8> {
    let head = crate::cache::header_len(&raw);
    let mut out = Vec::with_capacity(raw.len());
    let mut skipping = false;
    let mut changed = false;
    let mut pos = 0;
    while pos < head {
        let end = memchr::memchr(b'\n', &raw[pos..head]).map_or(head, |i| pos + i + 1);
        let line = &raw[pos..end];
        let continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !continuation {
            skipping = line.iter().position(|&b| b == b':').is_some_and(|c| {
                let name = line[..c].trim_ascii();
                MBOX_FIELDS.iter().any(|f| name.eq_ignore_ascii_case(f))
            });
        }
        if skipping {
            changed = true;
        } else {
            out.extend_from_slice(line);
        }
        pos = end;
    }
    if !changed {
        return raw;
    }
    out.extend_from_slice(&raw[head..]);
    out
}

/// Flags from the `Status:` (R = seen), `X-Status:` (A answered,
/// F flagged, D deleted, T draft) and `X-Keywords:` header fields.
fn status_flags(raw: &[u8]) -> Flags {
    let mut flags = Flags::new();
    for line in raw.split(|&b| b == b'\n') {
        let line = trim_eol(line);
        if line.is_empty() {
            break; // end of the header
        }
        let value = |name: &[u8]| {
            (line.len() > name.len() && line[..name.len()].eq_ignore_ascii_case(name))
                .then(|| &line[name.len()..])
        };
        if let Some(v) = value(b"Status:") {
            if v.contains(&b'R') {
                flags.insert(Flag::Seen);
            }
        } else if let Some(v) = value(b"X-Keywords:") {
            let text = String::from_utf8_lossy(v);
            for kw in text.split(|c: char| c.is_whitespace() || c == ',') {
                if !kw.is_empty() {
                    // A keyword the store refuses is dropped, not fatal.
                    let _ = flags.insert_str(kw);
                }
            }
        } else if let Some(v) = value(b"X-Status:") {
            for &c in v {
                match c {
                    b'A' => flags.insert(Flag::Answered),
                    b'F' => flags.insert(Flag::Flagged),
                    b'D' => flags.insert(Flag::Deleted),
                    b'T' => flags.insert(Flag::Draft),
                    _ => {}
                }
            }
        }
    }
    flags
}

/// Writes messages as an mbox.
#[derive(Debug)]
pub struct MboxWriter<W> {
    out: W,
    format: MboxFormat,
}

impl<W: Write> MboxWriter<W> {
    /// A writer onto `out`.
    pub fn new(out: W, format: MboxFormat) -> Self {
        MboxWriter { out, format }
    }

    /// Writes one message: a `From ` line with `sender` and the date
    /// `internal_date` (Unix seconds, written as UTC), then the message
    /// with LF line endings and quoted `From ` lines, then a blank line.
    ///
    /// # Errors
    ///
    /// Write errors of the output.
    pub fn write_message(
        &mut self,
        sender: &str,
        internal_date: i64,
        raw: &[u8],
    ) -> io::Result<()> {
        let sender = if sender.is_empty() || sender.contains(char::is_whitespace) {
            "MAILER-DAEMON"
        } else {
            sender
        };
        writeln!(self.out, "From {sender} {}", ctime(internal_date))?;
        let mut lines = raw.split(|&b| b == b'\n').peekable();
        while let Some(line) = lines.next() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() && lines.peek().is_none() {
                break; // the final newline was the end of the last line
            }
            let stripped = line
                .iter()
                .position(|&b| b != b'>')
                .map_or(&[][..], |i| &line[i..]);
            let quote = match self.format {
                MboxFormat::Mboxrd => stripped.starts_with(b"From "),
                MboxFormat::Mboxo => line.starts_with(b"From "),
            };
            if quote {
                self.out.write_all(b">")?;
            }
            self.out.write_all(line)?;
            self.out.write_all(b"\n")?;
        }
        self.out.write_all(b"\n")
    }

    /// Writes one message as [`MboxWriter::write_message`] does, with
    /// its flags as `Status:`, `X-Status:` and `X-Keywords:` fields at
    /// the end of the header (replacing any such fields, and the other
    /// mbox-only fields, that the message holds), as mutt, Pine and
    /// Dovecot read them.
    ///
    /// # Errors
    ///
    /// Write errors of the output.
    pub fn write_message_with_flags(
        &mut self,
        sender: &str,
        internal_date: i64,
        raw: &[u8],
        flags: &Flags,
    ) -> io::Result<()> {
        let raw = strip_mbox_headers(raw.to_vec());
        let head = crate::cache::header_len(&raw);
        // The header without its blank line, then the new fields.
        let mut body_at = head;
        let mut msg = raw[..head].to_vec();
        if msg.ends_with(b"\r\n\r\n") || msg == b"\r\n" {
            msg.truncate(msg.len() - 2);
        } else if msg.ends_with(b"\n\n") || msg == b"\n" {
            msg.truncate(msg.len() - 1);
        } else if !msg.is_empty() && !msg.ends_with(b"\n") {
            // A header without any body or final newline.
            msg.extend_from_slice(b"\r\n");
            body_at = raw.len();
        }
        let mut status = String::from("Status: ");
        if flags.contains(Flag::Seen) {
            status.push('R');
        }
        status.push('O');
        msg.extend_from_slice(status.as_bytes());
        msg.extend_from_slice(b"\r\n");
        let mut x = String::new();
        for (c, f) in [
            ('A', Flag::Answered),
            ('F', Flag::Flagged),
            ('T', Flag::Draft),
            ('D', Flag::Deleted),
        ] {
            if flags.contains(f) {
                x.push(c);
            }
        }
        if !x.is_empty() {
            msg.extend_from_slice(format!("X-Status: {x}\r\n").as_bytes());
        }
        let kws: Vec<&str> = flags
            .keywords()
            .iter()
            .map(String::as_str)
            .filter(|k| !k.contains(','))
            .collect();
        if !kws.is_empty() {
            msg.extend_from_slice(format!("X-Keywords: {}\r\n", kws.join(" ")).as_bytes());
        }
        msg.extend_from_slice(b"\r\n");
        msg.extend_from_slice(&raw[body_at..]);
        self.write_message(sender, internal_date, &msg)
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    ///
    /// Write errors of the output.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// A ctime-style date (`Thu Dec  3 21:34:57 2026`) in UTC.
fn ctime(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::search::civil_from_days(days);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {y}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], format: MboxFormat) -> Vec<MboxMessage> {
        MboxReader::new(data, format, 1 << 20)
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn mboxrd_round_trip_is_exact() {
        let bodies: [&[u8]; 3] = [
            b"Subject: a\r\n\r\nFrom here\r\n>From there\r\n>>From x\r\n",
            b"Subject: b\r\n\r\n\r\nblank lines\r\n\r\n",
            b"Subject: c\r\n\r\nno final newline",
        ];
        let mut w = MboxWriter::new(Vec::new(), MboxFormat::Mboxrd);
        for b in bodies {
            w.write_message("a@b", 1_700_000_000, b).unwrap();
        }
        let file = w.finish().unwrap();
        let got = read_all(&file, MboxFormat::Mboxrd);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].raw, bodies[0]);
        assert_eq!(got[1].raw, bodies[1]);
        // The missing final newline is added.
        assert_eq!(got[2].raw, b"Subject: c\r\n\r\nno final newline\r\n");
        assert_eq!(got[0].internal_date, Some(1_700_000_000));
        assert_eq!(got[0].sender, "a@b");
    }

    #[test]
    fn mboxo_quotes_only_from() {
        let mut w = MboxWriter::new(Vec::new(), MboxFormat::Mboxo);
        w.write_message("", 0, b"S: x\r\n\r\nFrom a\r\n>From b\r\n")
            .unwrap();
        let file = w.finish().unwrap();
        assert_eq!(
            file,
            b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nS: x\n\n>From a\n>From b\n\n"
        );
        let got = read_all(&file, MboxFormat::Mboxo);
        assert_eq!(got[0].raw, b"S: x\r\n\r\n>From a\r\n>From b\r\n");
    }

    #[test]
    fn flags_and_dates_from_the_file() {
        let file = b"From x Mon Jan  2 03:04:05 2006\nStatus: O\nX-Status: AF\n\nhi\n\n\
            From y  Tue Feb 29 23:59:59 +0100 2000\nStatus: RO\n\nho\n";
        let got = read_all(file, MboxFormat::Mboxrd);
        assert_eq!(got.len(), 2);
        assert!(!got[0].flags.contains(Flag::Seen));
        assert!(got[0].flags.contains(Flag::Answered) && got[0].flags.contains(Flag::Flagged));
        assert_eq!(got[0].internal_date, Some(1_136_171_045));
        assert!(got[1].flags.contains(Flag::Seen));
        assert_eq!(got[1].internal_date, Some(951_868_799));
    }

    #[test]
    fn bad_input_is_reported() {
        let mut rd = MboxReader::new(&b"Subject: not mbox\n\nx\n"[..], MboxFormat::Mboxo, 100);
        assert!(matches!(rd.next(), Some(Err(MboxError::NotMbox))));
        assert!(rd.next().is_none());

        let mut file = b"From a Thu Jan  1 00:00:00 1970\n".to_vec();
        file.extend(std::iter::repeat_n(b'x', 5000));
        file.extend_from_slice(b"\n\nFrom b Thu Jan  1 00:00:00 1970\nS: ok\n\nfine\n");
        let mut rd = MboxReader::new(&file[..], MboxFormat::Mboxrd, 1000);
        assert!(matches!(
            rd.next(),
            Some(Err(MboxError::TooLarge {
                index: 0,
                line: 1,
                ..
            }))
        ));
        let ok = rd.next().unwrap().unwrap();
        assert_eq!(ok.raw, b"S: ok\r\n\r\nfine\r\n");
        assert!(rd.next().is_none());
        assert!(
            MboxReader::new(&b""[..], MboxFormat::Mboxo, 10)
                .next()
                .is_none()
        );
    }

    #[test]
    fn ctime_matches_parse() {
        for t in [0, 951_868_799, 1_796_333_697, 4_102_444_800] {
            let words: Vec<String> = ctime(t).split_whitespace().map(str::to_owned).collect();
            let w: Vec<&str> = words.iter().map(String::as_str).collect();
            assert_eq!(parse_ctime(&w), Some(t), "{}", ctime(t));
        }
    }
}
