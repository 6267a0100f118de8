//! A session's view of a mailbox: sequence numbers mapped to UIDs, kept
//! current from the mailbox's change feed.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use crate::flags::Flags;
use crate::model::Change;

/// The sequence-number view one IMAP session has of a mailbox.
///
/// Sequence number `n` is the `n`-th UID of the view. The view changes
/// only when [`SessionView::apply`] is called, so a server decides when
/// its client learns of expunges, as IMAP requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionView {
    uids: Vec<u32>,
    /// The UIDs that are `\Recent` in this session, ascending.
    recent: Vec<u32>,
}

/// What a session should tell its client after applying a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewUpdate {
    /// `* n EXISTS`.
    Exists(u32),
    /// `* n EXPUNGE`, in the order to send them.
    Expunge(u32),
    /// `* n FETCH (UID u FLAGS (...) MODSEQ (m))`.
    Fetch {
        /// Sequence number.
        seq: u32,
        /// UID.
        uid: u32,
        /// New flags.
        flags: Flags,
        /// New mod-sequence.
        modseq: u64,
    },
    /// The mailbox is gone; the session must leave it.
    Gone,
}

impl SessionView {
    /// A view of these UIDs (ascending), none of them `\Recent`.
    pub fn new(uids: Vec<u32>) -> Self {
        SessionView {
            uids,
            recent: Vec::new(),
        }
    }

    /// A view of `uids` (ascending) of which `recent` (ascending) are
    /// `\Recent` in this session.
    pub fn with_recent(uids: Vec<u32>, recent: Vec<u32>) -> Self {
        SessionView { uids, recent }
    }

    /// Whether a message is `\Recent` in this session (RFC 3501: this
    /// is the first session told of it).
    pub fn is_recent(&self, uid: u32) -> bool {
        self.recent.binary_search(&uid).is_ok()
    }

    /// How many messages are `\Recent` (the `* n RECENT` response).
    pub fn recent_count(&self) -> u32 {
        self.recent.len() as u32
    }

    /// Number of messages (`EXISTS`).
    pub fn len(&self) -> u32 {
        self.uids.len() as u32
    }

    /// Whether the view is empty.
    pub fn is_empty(&self) -> bool {
        self.uids.is_empty()
    }

    /// The UIDs in sequence order.
    pub fn uids(&self) -> &[u32] {
        &self.uids
    }

    /// Sequence number of a UID.
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.uids.binary_search(&uid).ok().map(|i| i as u32 + 1)
    }

    /// UID of a sequence number.
    pub fn uid_of(&self, seq: u32) -> Option<u32> {
        self.uids.get((seq as usize).checked_sub(1)?).copied()
    }

    /// Folds one change into the view and says what to report.
    pub fn apply(&mut self, change: &Change) -> Vec<ViewUpdate> {
        match change {
            Change::Appended { uid, recent, .. } => {
                if self.uids.last().is_some_and(|&l| l >= *uid) {
                    // Already in the view (it was opened after the change).
                    return Vec::new();
                }
                self.uids.push(*uid);
                if *recent {
                    self.recent.push(*uid);
                }
                vec![ViewUpdate::Exists(self.len())]
            }
            Change::Flags { uid, modseq, flags } => match self.seq_of(*uid) {
                Some(seq) => vec![ViewUpdate::Fetch {
                    seq,
                    uid: *uid,
                    flags: flags.clone(),
                    modseq: *modseq,
                }],
                None => Vec::new(),
            },
            Change::Expunged { uids, .. } => {
                // Highest first, so that each number is valid when sent.
                let mut out = Vec::new();
                for uid in uids.iter().rev() {
                    if let Ok(i) = self.uids.binary_search(uid) {
                        self.uids.remove(i);
                        if let Ok(r) = self.recent.binary_search(uid) {
                            self.recent.remove(r);
                        }
                        out.push(ViewUpdate::Expunge(i as u32 + 1));
                    }
                }
                out
            }
            Change::Gone => vec![ViewUpdate::Gone],
        }
    }
}

/// An open mailbox: the view plus the change feed that keeps it current.
#[derive(Debug)]
pub struct Session {
    pub(crate) view: SessionView,
    pub(crate) changes: Receiver<Change>,
    pub(crate) uidvalidity: u32,
}

impl Session {
    /// The current view.
    pub fn view(&self) -> &SessionView {
        &self.view
    }

    /// UIDVALIDITY of the mailbox.
    pub fn uidvalidity(&self) -> u32 {
        self.uidvalidity
    }

    /// Applies every change that has arrived, without waiting.
    pub fn poll(&mut self) -> Vec<ViewUpdate> {
        let mut out = Vec::new();
        while let Ok(c) = self.changes.try_recv() {
            out.extend(self.view.apply(&c));
        }
        out
    }

    /// Waits up to `timeout` for a change (IDLE), then applies all that
    /// have arrived.
    pub fn wait(&mut self, timeout: Duration) -> Vec<ViewUpdate> {
        match self.changes.recv_timeout(timeout) {
            Ok(c) => {
                let mut out = self.view.apply(&c);
                out.extend(self.poll());
                out
            }
            Err(RecvTimeoutError::Timeout) => Vec::new(),
            Err(RecvTimeoutError::Disconnected) => vec![ViewUpdate::Gone],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expunges_are_numbered_as_sent() {
        let mut v = SessionView::new(vec![3, 5, 8, 9]);
        let out = v.apply(&Change::Expunged {
            uids: vec![5, 9],
            modseq: 4,
        });
        assert_eq!(out, vec![ViewUpdate::Expunge(4), ViewUpdate::Expunge(2)]);
        assert_eq!(v.uids(), &[3, 8]);
        assert_eq!(v.seq_of(8), Some(2));
        assert_eq!(v.uid_of(0), None);
        let out = v.apply(&Change::Appended {
            uid: 10,
            modseq: 5,
            recent: false,
        });
        assert_eq!(out, vec![ViewUpdate::Exists(3)]);
        assert!(
            v.apply(&Change::Appended {
                uid: 10,
                modseq: 5,
                recent: false,
            })
            .is_empty()
        );
    }
}
