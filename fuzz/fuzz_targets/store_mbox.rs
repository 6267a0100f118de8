//! mbox reader and writer: any input is read in bounded memory without
//! panicking, and once read, writing and reading again is stable (same
//! number of messages, same bytes, same flags and dates), and flags
//! written as Status/X-Status/X-Keywords read back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_mailstore::mbox::{MboxFormat, MboxMessage, MboxReader, MboxWriter};

fn read(data: &[u8], format: MboxFormat) -> Vec<MboxMessage> {
    MboxReader::new(data, format, 4096)
        .filter_map(Result::ok)
        .collect()
}

fn write(msgs: &[MboxMessage], format: MboxFormat) -> Vec<u8> {
    let mut w = MboxWriter::new(Vec::new(), format);
    for m in msgs {
        w.write_message_with_flags(&m.sender, m.internal_date.unwrap_or(0), &m.raw, &m.flags)
            .expect("writing to memory");
    }
    w.finish().expect("writing to memory")
}

fuzz_target!(|data: &[u8]| {
    for format in [MboxFormat::Mboxrd, MboxFormat::Mboxo] {
        let first = read(data, format);
        for m in &first {
            assert!(m.raw.len() <= 4096);
        }
        let second = read(&write(&first, format), format);
        assert_eq!(second.len(), first.len());
        for (a, b) in first.iter().zip(&second) {
            assert_eq!(a.flags, b.flags, "flags survive export and import");
        }
        let third = read(&write(&second, format), format);
        assert_eq!(third, second);
    }
});
