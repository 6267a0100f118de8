//! Message data: the DATA receiver (dot-unstuffing, RFC 5321 4.5.2),
//! the BDAT chunk receiver (RFC 3030), and dot-stuffing for senders.

/// What to do with a CR or LF that is not part of a CRLF pair inside
/// message data.
///
/// Whatever the choice, the data ends only at `CRLF.CRLF`: a bare LF
/// never starts a line, so `<LF>.<LF>` or `<LF>.<CRLF>` cannot end the
/// message early. That closes the "SMTP smuggling" family of bugs,
/// where two servers disagree about where a message ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BareLineEnding {
    /// Read to the end, then reject the message (the default).
    #[default]
    Reject,
    /// Keep the bare CR or LF in the message as it is.
    Allow,
}

/// Why received message data is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The message is bigger than the limit; it was read to its end.
    #[error("message of {size} octets exceeds the limit of {max}")]
    TooLarge {
        /// Octets received (after unstuffing).
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A CR or LF outside a CRLF pair, with [`BareLineEnding::Reject`].
    #[error("message holds a bare cr or lf at offset {offset}")]
    BareLineEnding {
        /// Offset of the first one, in the unstuffed message.
        offset: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum St {
    /// Just after CRLF (or at the very start).
    LineStart,
    /// Inside a line.
    Mid,
    /// Inside a line, just after CR.
    Cr,
    /// A '.' at the start of a line.
    Dot,
    /// ".CR" at the start of a line.
    DotCr,
    /// Saw CRLF.CRLF.
    Done,
}

/// Receives the data of a DATA command, undoing dot-stuffing.
///
/// RFC 5321 4.1.1.4 and 4.5.2, as rules:
///
/// ```text
/// data-content = *( line CRLF ) "." CRLF   ; the end: CRLF "." CRLF
/// line         = [ "." ] text  ; a leading "." is removed (4.5.2)
/// ```
///
/// A line ends only at CRLF; a bare CR or LF is line content (and
/// refused or kept by [`BareLineEnding`]), never a line end.
///
/// Feed it the bytes that follow the 354 reply; it stops right after
/// the terminating `CRLF.CRLF` and says how many bytes it used, so
/// pipelined commands after the data are left for the caller.
///
/// ```
/// use rampart_smtp_proto::data::{DataReceiver, BareLineEnding};
///
/// let mut rx = DataReceiver::new(1 << 20, BareLineEnding::Reject);
/// let input = b"Subject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n";
/// let used = rx.feed(input);
/// assert!(rx.is_done());
/// assert_eq!(&input[used..], b"QUIT\r\n");
/// assert_eq!(rx.finish().unwrap(), b"Subject: hi\r\n\r\n.dot\r\n");
/// ```
///
/// # Memory usage
///
/// At most `max_size` bytes are stored; the rest is counted and
/// dropped, and [`DataReceiver::finish`] reports
/// [`DataError::TooLarge`].
#[derive(Debug, Clone)]
pub struct DataReceiver {
    st: St,
    body: Vec<u8>,
    size: u64,
    max: u64,
    policy: BareLineEnding,
    bare_at: Option<u64>,
}

impl DataReceiver {
    /// A receiver storing at most `max_size` octets.
    pub fn new(max_size: u64, policy: BareLineEnding) -> Self {
        Self {
            st: St::LineStart,
            body: Vec::new(),
            size: 0,
            max: max_size,
            policy,
            bare_at: None,
        }
    }

    /// True once the terminating `CRLF.CRLF` has been seen.
    pub fn is_done(&self) -> bool {
        self.st == St::Done
    }

    /// Octets of message received so far (after unstuffing).
    pub fn size(&self) -> u64 {
        self.size
    }

    fn push(&mut self, bytes: &[u8]) {
        let room = self.max.saturating_sub(self.size);
        let take = bytes.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        self.body.extend_from_slice(&bytes[..take]);
        self.size += bytes.len() as u64;
    }

    fn bare(&mut self) {
        if self.bare_at.is_none() {
            self.bare_at = Some(self.size);
        }
    }

    /// Consumes bytes up to and including the terminator; returns how
    /// many bytes of `input` were used. After the end it uses nothing.
    pub fn feed(&mut self, input: &[u8]) -> usize {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            match self.st {
                St::Done => return i,
                St::LineStart if b == b'.' => {
                    self.st = St::Dot;
                    i += 1;
                }
                St::LineStart | St::Mid => {
                    // Copy the run up to the next CR or LF at once.
                    let rest = &input[i..];
                    let n = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
                    self.push(&rest[..n]);
                    i += n;
                    if n < rest.len() {
                        self.line_end(rest[n]);
                        i += 1;
                    } else {
                        self.st = St::Mid;
                    }
                }
                St::Cr => {
                    if b == b'\n' {
                        self.push(b"\r\n");
                        self.st = St::LineStart;
                        i += 1;
                    } else {
                        // A CR not followed by LF; the byte after it
                        // is handled as ordinary line content.
                        self.bare();
                        self.push(b"\r");
                        self.st = St::Mid;
                    }
                }
                St::Dot => {
                    if b == b'\r' {
                        self.st = St::DotCr;
                        i += 1;
                    } else {
                        // Leading dot removed; the rest is content.
                        self.st = St::Mid;
                    }
                }
                St::DotCr => {
                    if b == b'\n' {
                        self.st = St::Done;
                        return i + 1;
                    }
                    self.st = St::Cr;
                }
            }
        }
        i
    }

    fn line_end(&mut self, b: u8) {
        if b == b'\r' {
            self.st = St::Cr;
        } else {
            self.bare();
            self.push(b"\n");
            self.st = St::Mid;
        }
    }

    /// The message, once [`DataReceiver::is_done`].
    ///
    /// # Errors
    ///
    /// [`DataError::TooLarge`] or [`DataError::BareLineEnding`].
    pub fn finish(self) -> Result<Vec<u8>, DataError> {
        if self.size > self.max {
            return Err(DataError::TooLarge {
                size: self.size,
                max: self.max,
            });
        }
        if let (Some(offset), BareLineEnding::Reject) = (self.bare_at, self.policy) {
            return Err(DataError::BareLineEnding { offset });
        }
        Ok(self.body)
    }
}

/// Collects the chunks of a BDAT transaction (RFC 3030).
///
/// ```text
/// bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CRLF
///            ; followed by exactly chunk-size octets, taken as they are
/// ```
///
/// # Memory usage
///
/// Like [`DataReceiver`]: at most `max_size` octets are kept.
#[derive(Debug, Clone)]
pub struct ChunkReceiver {
    remaining: u64,
    body: Vec<u8>,
    size: u64,
    max: u64,
}

impl ChunkReceiver {
    /// A receiver storing at most `max_size` octets.
    pub fn new(max_size: u64) -> Self {
        Self {
            remaining: 0,
            body: Vec::new(),
            size: 0,
            max: max_size,
        }
    }

    /// Starts a chunk of `len` octets (the BDAT argument).
    pub fn start_chunk(&mut self, len: u64) {
        self.remaining = len;
    }

    /// Octets still expected in the current chunk.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Octets received in all chunks.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Takes up to the rest of the current chunk from `input`; returns
    /// the number of bytes used.
    pub fn feed(&mut self, input: &[u8]) -> usize {
        let n = input
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let room = usize::try_from(self.max.saturating_sub(self.size)).unwrap_or(usize::MAX);
        self.body.extend_from_slice(&input[..n.min(room)]);
        self.size += n as u64;
        self.remaining -= n as u64;
        n
    }

    /// The message after the last chunk.
    ///
    /// # Errors
    ///
    /// [`DataError::TooLarge`].
    pub fn finish(self) -> Result<Vec<u8>, DataError> {
        if self.size > self.max {
            return Err(DataError::TooLarge {
                size: self.size,
                max: self.max,
            });
        }
        Ok(self.body)
    }
}

/// `message` with every line ending made CRLF (a bare CR or LF becomes
/// CRLF) and a final CRLF added if missing, as [`dot_stuff`] sends it
/// but without the stuffing: what a BDAT chunk of a text (not
/// BINARYMIME) message carries. Returns `message` itself when it
/// already is so; an empty message stays empty.
///
/// ```
/// let m = rampart_smtp_proto::data::crlf_lines(b"a\nb\r\nc".to_vec());
/// assert_eq!(m, b"a\r\nb\r\nc\r\n");
/// ```
pub fn crlf_lines(message: Vec<u8>) -> Vec<u8> {
    let ends_ok = message.is_empty() || message.ends_with(b"\r\n");
    let mut i = 0;
    let mut clean = ends_ok;
    while clean {
        match memchr::memchr2(b'\r', b'\n', &message[i..]) {
            None => break,
            Some(n) => {
                let at = i + n;
                clean = message[at] == b'\r' && message.get(at + 1) == Some(&b'\n');
                i = at + 2;
            }
        }
    }
    if clean {
        return message;
    }
    let mut out = Vec::with_capacity(message.len() + message.len() / 32 + 2);
    let mut i = 0;
    while i < message.len() {
        let rest = &message[i..];
        let n = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..n]);
        i += n;
        if i < message.len() {
            let crlf = message[i] == b'\r' && message.get(i + 1) == Some(&b'\n');
            i += if crlf { 2 } else { 1 };
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Appends `message` to `out` as DATA content: dot-stuffed, with every
/// line ending made CRLF (bare CR or LF become CRLF) and a final CRLF
/// added if missing, then the `.CRLF` terminator.
///
/// ```
/// let mut out = Vec::new();
/// rampart_smtp_proto::data::dot_stuff(b".hidden\nline", &mut out);
/// assert_eq!(out, b"..hidden\r\nline\r\n.\r\n");
/// ```
pub fn dot_stuff(message: &[u8], out: &mut Vec<u8>) {
    out.reserve(message.len() + message.len() / 64 + 5);
    let mut line_start = true;
    let mut i = 0;
    while i < message.len() {
        if line_start && message[i] == b'.' {
            out.push(b'.');
        }
        let rest = &message[i..];
        let n = memchr::memchr2(b'\r', b'\n', rest).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..n]);
        i += n;
        if i < message.len() {
            // CRLF, bare CR and bare LF all become one CRLF.
            let crlf = message[i] == b'\r' && message.get(i + 1) == Some(&b'\n');
            i += if crlf { 2 } else { 1 };
            out.extend_from_slice(b"\r\n");
            line_start = true;
        } else {
            line_start = false;
        }
    }
    if !line_start {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], policy: BareLineEnding) -> (Result<Vec<u8>, DataError>, usize, bool) {
        let mut rx = DataReceiver::new(1000, policy);
        let used = rx.feed(input);
        let done = rx.is_done();
        (rx.finish(), used, done)
    }

    #[test]
    fn data_table() {
        use BareLineEnding::*;
        // (input, policy, done, used, result)
        type Row = (
            &'static [u8],
            BareLineEnding,
            bool,
            usize,
            Result<&'static [u8], DataError>,
        );
        let table: &[Row] = &[
            (b".\r\n", Reject, true, 3, Ok(b"")),
            (b"a\r\n.\r\n", Reject, true, 6, Ok(b"a\r\n")),
            (b"a\r\n.\r\nMAIL", Reject, true, 6, Ok(b"a\r\n")),
            (b"..a\r\n.\r\n", Reject, true, 8, Ok(b".a\r\n")),
            (b"a\r\n..\r\n.\r\n", Reject, true, 10, Ok(b"a\r\n.\r\n")),
            // Smuggling attempts: none of these ends the data.
            (
                b"a\n.\n",
                Reject,
                false,
                4,
                Err(DataError::BareLineEnding { offset: 1 }),
            ),
            (
                b"a\n.\r\n",
                Reject,
                false,
                5,
                Err(DataError::BareLineEnding { offset: 1 }),
            ),
            (
                b"a\r\n.\n",
                Reject,
                false,
                5,
                Err(DataError::BareLineEnding { offset: 3 }),
            ),
            (
                b"a\r.\r\n",
                Reject,
                false,
                5,
                Err(DataError::BareLineEnding { offset: 1 }),
            ),
            (
                b"a\n.\r\n.\r\n",
                Reject,
                true,
                8,
                Err(DataError::BareLineEnding { offset: 1 }),
            ),
            (b"a\n.\r\n.\r\n", Allow, true, 8, Ok(b"a\n.\r\n")),
            (b"x\rz\r\n.\r\n", Allow, true, 8, Ok(b"x\rz\r\n")),
            (b".\rx\r\n.\r\n", Allow, true, 8, Ok(b"\rx\r\n")),
        ];
        for (input, policy, done, used, want) in table {
            let (got, n, d) = run(input, *policy);
            let ctx = String::from_utf8_lossy(input);
            assert_eq!(d, *done, "{ctx:?}");
            assert_eq!(n, *used, "{ctx:?}");
            if *done {
                assert_eq!(
                    got.as_deref().map_err(Clone::clone),
                    want.clone(),
                    "{ctx:?}"
                );
            }
        }
    }

    #[test]
    fn byte_by_byte_matches_whole() {
        let input = b"a\r\n..b\r\n.c\rd\ne\r\n.\r\ntail";
        for policy in [BareLineEnding::Reject, BareLineEnding::Allow] {
            let mut whole = DataReceiver::new(100, policy);
            let used = whole.feed(input);
            let mut split = DataReceiver::new(100, policy);
            let mut n = 0;
            for b in input.chunks(1) {
                n += split.feed(b);
            }
            assert_eq!(used, n);
            assert_eq!(whole.finish(), split.finish());
        }
    }

    #[test]
    fn too_large_reads_to_end() {
        let mut rx = DataReceiver::new(4, BareLineEnding::Reject);
        let used = rx.feed(b"0123456789\r\n.\r\nQUIT");
        assert!(rx.is_done());
        assert_eq!(used, 15);
        assert_eq!(rx.finish(), Err(DataError::TooLarge { size: 12, max: 4 }));
    }

    #[test]
    fn chunks() {
        let mut rx = ChunkReceiver::new(5);
        rx.start_chunk(3);
        assert_eq!(rx.feed(b"abcdef"), 3);
        assert_eq!(rx.remaining(), 0);
        rx.start_chunk(2);
        assert_eq!(rx.feed(b"de"), 2);
        assert_eq!(rx.finish().unwrap(), b"abcde");
        let mut rx = ChunkReceiver::new(2);
        rx.start_chunk(3);
        rx.feed(b"abc");
        assert_eq!(rx.finish(), Err(DataError::TooLarge { size: 3, max: 2 }));
    }

    #[test]
    fn crlf_normalising() {
        let table: &[(&[u8], &[u8])] = &[
            (b"", b""),
            (b"a", b"a\r\n"),
            (b"a\r\n", b"a\r\n"),
            (b"a\r\nb\r\n", b"a\r\nb\r\n"),
            (b"a\nb", b"a\r\nb\r\n"),
            (b"a\rb\r\n", b"a\r\nb\r\n"),
            (b"\r\r\n\n", b"\r\n\r\n\r\n"),
            (b".x\n", b".x\r\n"),
        ];
        for (msg, want) in table {
            assert_eq!(
                &crlf_lines(msg.to_vec()),
                want,
                "{:?}",
                String::from_utf8_lossy(msg)
            );
            // The same as what DATA carries, less the stuffing.
            let mut stuffed = Vec::new();
            dot_stuff(msg, &mut stuffed);
            let mut rx = DataReceiver::new(100, BareLineEnding::Reject);
            rx.feed(&stuffed);
            assert_eq!(&rx.finish().unwrap(), want);
        }
    }

    #[test]
    fn stuffing() {
        let table: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a", b"a\r\n.\r\n"),
            (b"a\r\n", b"a\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b"x\n.y\rz", b"x\r\n..y\r\nz\r\n.\r\n"),
        ];
        for (msg, want) in table {
            let mut out = Vec::new();
            dot_stuff(msg, &mut out);
            assert_eq!(&out, want, "{:?}", String::from_utf8_lossy(msg));
        }
    }
}
