//! SMTP and LMTP parsing, replies and sans-I/O session state machines.
