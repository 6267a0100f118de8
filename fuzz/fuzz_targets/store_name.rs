//! Mailbox names from IMAP clients (modified UTF-7): what is accepted
//! has no `..`, empty levels or control characters, and survives the
//! trip to UTF-7 and back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rampart_mailstore::MailboxName;

fuzz_target!(|data: &[u8]| {
    let Ok(wire) = std::str::from_utf8(data) else {
        return;
    };
    for parsed in [MailboxName::from_utf7(wire), MailboxName::new(wire)] {
        let Ok(name) = parsed else { continue };
        let s = name.as_str();
        assert!(!s.is_empty() && !s.chars().any(char::is_control));
        assert!(s.split('/').all(|l| !l.is_empty() && l != "." && l != ".."));
        let back = MailboxName::from_utf7(&name.to_utf7()).expect("own UTF-7 parses");
        assert_eq!(back, name);
    }
});
