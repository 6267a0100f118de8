//! IMAP4rev2/rev1, POP3 and ManageSieve protocol parsing, encoding and session rules.
