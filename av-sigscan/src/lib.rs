//! ClamAV-format signature loading and fast multi-pattern scanning.
