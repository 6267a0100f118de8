//! A crash-safe embedded mail store: mailboxes, UIDs, flags and Sieve scripts.
