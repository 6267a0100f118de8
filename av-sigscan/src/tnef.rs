//! TNEF (`winmail.dat`, `application/ms-tnef`), Outlook's wrapper of
//! a message and its attachments: the attachments' data is scanned, as
//! ClamAV does.
//!
//! ```text
//! tnef      = signature legacy-key *attribute     ; MS-OXTNEF 2.1.3
//! signature = %x78.9F.3E.22                      ; 0x223E9F78 LE
//! attribute = level id length data checksum
//! level     = %x01 / %x02                        ; message / attachment
//! id        = 4 OCTET   ; LE; the low 16 bits name it, the high the type
//! length    = 4 OCTET   ; LE, of data
//! checksum  = 2 OCTET
//! ```

/// The TNEF signature as it appears in a file.
pub(crate) const MAGIC: &[u8; 4] = b"\x78\x9f\x3e\x22";

/// `attAttachData`: an attachment's bytes.
const ATTACH_DATA: u16 = 0x800f;
/// The attachment level.
const LEVEL_ATTACHMENT: u8 = 2;

/// The data of every attachment, in order, at most `max`. A damaged
/// stream ends the list where the damage starts.
pub(crate) fn attachments(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    if !data.starts_with(MAGIC) {
        return out;
    }
    // The signature and the two-byte legacy key.
    let mut at = 6;
    while out.len() < max {
        let Some(head) = data.get(at..at + 9) else {
            break;
        };
        let level = head[0];
        let id = u16::from_le_bytes([head[1], head[2]]);
        let len = u32::from_le_bytes([head[5], head[6], head[7], head[8]]) as usize;
        let start = at + 9;
        let Some(body) = start.checked_add(len).and_then(|end| data.get(start..end)) else {
            break;
        };
        if level == LEVEL_ATTACHMENT && id == ATTACH_DATA {
            out.push(body);
        }
        at = start + len + 2;
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A TNEF stream with a message attribute and the attachments.
    pub(crate) fn tnef(files: &[&[u8]]) -> Vec<u8> {
        let attr = |out: &mut Vec<u8>, level: u8, id: u32, data: &[u8]| {
            out.push(level);
            out.extend_from_slice(&id.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(data);
            let sum = data.iter().fold(0u16, |s, &b| s.wrapping_add(u16::from(b)));
            out.extend_from_slice(&sum.to_le_bytes());
        };
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        attr(&mut out, 1, 0x0001_8008, b"IPM.Microsoft Mail.Note\0");
        for f in files {
            attr(&mut out, 2, 0x0001_8010, b"a.bin\0");
            attr(&mut out, 2, 0x0006_800f, f);
        }
        out
    }

    #[test]
    fn reads_attachments() {
        let t = tnef(&[b"first", b"second one"]);
        assert_eq!(attachments(&t, 8), [&b"first"[..], b"second one"]);
        assert_eq!(attachments(&t, 1), [&b"first"[..]]);
        // Cut inside the second attachment: only the first is read.
        assert_eq!(attachments(&t[..t.len() - 6], 8), [&b"first"[..]]);
        assert!(attachments(b"not tnef", 8).is_empty());
        let mut huge = tnef(&[]);
        huge.extend_from_slice(&[2, 0x0f, 0x80, 6, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(attachments(&huge, 8).is_empty());
    }
}
