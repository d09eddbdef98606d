//! The change observer (数据变更通知): after every local write and every pulled page the core tells the shell
//! which kinds of data changed, so the screens that are open re-query what they show (as Element X observes
//! matrix-rust-sdk). Changes are coalesced — one call per core call or per pulled page, with the set of topics —
//! and delivered after the store lock is released, so an observer may call back into the core at once.
//! A foreign observer that throws is turned into a [`CallbackError`] (never a panic); the write it was told
//! about is already committed and stays.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use linkage_protocol::wire::OpBody;

pub use crate::sync::CallbackError;

/// A kind of data the screens show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, uniffi::Enum)]
pub enum ChangeTopic {
    /// Issues (诉求) and their timelines.
    Issues,
    /// Households (户) and the org tree.
    Households,
    /// Directives (指令) and their acknowledgements.
    Directives,
    /// Visits (走访).
    Visits,
    /// Drafts (草稿) of forms and their photos.
    Drafts,
    /// The outbox: pending and quarantined operations.
    Outbox,
    /// The session: signed in, signed out, wiped.
    Session,
}

impl ChangeTopic {
    const ALL: [ChangeTopic; 7] = [
        ChangeTopic::Issues,
        ChangeTopic::Households,
        ChangeTopic::Directives,
        ChangeTopic::Visits,
        ChangeTopic::Drafts,
        ChangeTopic::Outbox,
        ChangeTopic::Session,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of topics (a bit set; cheap to merge inside a transaction).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Topics(u16);

impl Topics {
    pub const NONE: Topics = Topics(0);

    /// Every topic (after a wipe or a new bundle).
    pub fn all() -> Topics {
        Topics(ChangeTopic::ALL.iter().fold(0, |acc, t| acc | t.bit()))
    }

    pub fn of(topics: &[ChangeTopic]) -> Topics {
        Topics(topics.iter().fold(0, |acc, t| acc | t.bit()))
    }

    pub fn add(&mut self, other: Topics) {
        self.0 |= other.0;
    }

    pub fn with(mut self, topic: ChangeTopic) -> Topics {
        self.0 |= topic.bit();
        self
    }

    pub fn contains(self, topic: ChangeTopic) -> bool {
        self.0 & topic.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The topics in a stable order.
    pub fn to_vec(self) -> Vec<ChangeTopic> {
        ChangeTopic::ALL.into_iter().filter(|t| self.contains(*t)).collect()
    }

    /// What an operation (made here or pulled) changes.
    pub fn of_op(body: &OpBody) -> Topics {
        Topics::of(match body {
            OpBody::IssueEvent(_) => &[ChangeTopic::Issues],
            // A visit moves the household's cadence clock (overdue lists).
            OpBody::VisitRecorded(_) => &[ChangeTopic::Visits, ChangeTopic::Households],
            OpBody::DirectiveIssued(_)
            | OpBody::NodeAcknowledged(_)
            | OpBody::DirectiveRelayed(_)
            | OpBody::HouseholdAcknowledged(_)
            | OpBody::TaskReported(_)
            | OpBody::DirectiveReminded(_)
            | OpBody::TaskReportReviewed(_) => &[ChangeTopic::Directives],
            OpBody::HouseholdEdited(_) => &[ChangeTopic::Households],
            // Forms (问卷): the form lists and "继续填写" show them with the drafts.
            OpBody::FormPublished(_) | OpBody::FormRetired(_) | OpBody::FormResponseSubmitted(_) => &[ChangeTopic::Drafts],
            // New county settings change deadlines, lights and verdicts everywhere.
            OpBody::CountyConfigSet(_) => return Topics::all(),
        })
    }
}

/// Told which data changed, so open screens re-query. Called from the thread that made the change (a core call
/// on the shell's I/O dispatcher, or the sync's background thread), never while the core holds its store
/// lock: the observer may call the core directly. Keep it short (post to the UI, launch a reload).
#[uniffi::export(with_foreign)]
pub trait ChangeObserver: Send + Sync {
    /// `topics` changed (never empty). Throwing is reported as `CallbackError` and does not undo the change.
    fn on_changed(&self, topics: Vec<ChangeTopic>) -> Result<(), CallbackError>;
}

/// The registered observer and a count of its failures (for tests and diagnostics).
#[derive(Default)]
pub struct ChangeHub {
    observer: Mutex<Option<Arc<dyn ChangeObserver>>>,
    failures: AtomicU64,
}

impl std::fmt::Debug for ChangeHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeHub").field("failures", &self.failures.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl ChangeHub {
    pub fn set(&self, observer: Option<Arc<dyn ChangeObserver>>) {
        *self.observer.lock().unwrap_or_else(|e| e.into_inner()) = observer;
    }

    /// Tells the observer, if any, that `topics` changed. A failing observer is counted and kept.
    pub fn notify(&self, topics: Topics) -> Result<(), CallbackError> {
        if topics.is_empty() {
            return Ok(());
        }
        let observer = self.observer.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(observer) = observer else { return Ok(()) };
        let result = observer.on_changed(topics.to_vec());
        if result.is_err() {
            self.failures.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// How many notifications the observer failed.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Vec<ChangeTopic>>>, bool);

    impl ChangeObserver for Recorder {
        fn on_changed(&self, topics: Vec<ChangeTopic>) -> Result<(), CallbackError> {
            self.0.lock().unwrap().push(topics);
            if self.1 {
                Err(CallbackError::Failed { reason: "boom".into() })
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn topics_coalesce_and_failures_are_counted_not_fatal() {
        let mut t = Topics::NONE;
        t.add(Topics::of(&[ChangeTopic::Issues]));
        t.add(Topics::of(&[ChangeTopic::Outbox, ChangeTopic::Issues]));
        assert_eq!(t.to_vec(), [ChangeTopic::Issues, ChangeTopic::Outbox]);
        assert_eq!(Topics::all().to_vec().len(), 7);

        let hub = ChangeHub::default();
        assert!(hub.notify(t).is_ok()); // nobody listening
        let ok = Arc::new(Recorder::default());
        hub.set(Some(ok.clone()));
        hub.notify(Topics::NONE).unwrap();
        hub.notify(t).unwrap();
        assert_eq!(ok.0.lock().unwrap().len(), 1, "empty sets are not delivered");

        let failing = Arc::new(Recorder(Mutex::new(vec![]), true));
        hub.set(Some(failing.clone()));
        assert!(matches!(hub.notify(t), Err(CallbackError::Failed { .. })));
        assert!(matches!(hub.notify(t), Err(CallbackError::Failed { .. })));
        assert_eq!((hub.failures(), failing.0.lock().unwrap().len()), (2, 2), "kept and still called");
    }
}
