//! Directive silence (逾期未签收, DESIGN §6): every node a directive reaches must acknowledge (签收) within a
//! window; a node still silent after it is flagged to its parent, which chases it. The window depends on the
//! directive's kind and due time. Pure, so the phone's flags and the server's reports agree.
//!
//! The acknowledgement deadline of a directive is the *earlier* of
//! * its due time, when it has one (a task always has one), and
//! * its issue time plus the kind's default window: 预警 alert 2 h, 通知 notice 24 h; a 任务 task has no
//!   default window (its due time is the deadline).
//!
//! So a fire alert (护林防火 预警) due in 24 hours must still be signed for within 2 hours, and a notice due in
//! an hour must be signed for within the hour. The window runs from the issue time for every level of the
//! cascade (the directive reaches the whole subtree at once; relaying is a separate duty).

use serde::{Deserialize, Serialize};

use crate::model::DirectiveKind;

const HOUR_MS: i64 = 3_600_000;

/// Default acknowledgement windows per kind, in hours; county-configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct AckWindowPolicy {
    /// 预警: default 2 h.
    pub alert_hours: u32,
    /// 通知: default 24 h.
    pub notice_hours: u32,
}

impl Default for AckWindowPolicy {
    fn default() -> Self {
        AckWindowPolicy { alert_hours: 2, notice_hours: 24 }
    }
}

impl AckWindowPolicy {
    /// The kind's default window in ms; `None` for tasks (the due time is the window).
    pub fn default_window_ms(&self, kind: DirectiveKind) -> Option<i64> {
        match kind {
            DirectiveKind::Alert => Some(i64::from(self.alert_hours) * HOUR_MS),
            DirectiveKind::Notice => Some(i64::from(self.notice_hours) * HOUR_MS),
            DirectiveKind::Task => None,
        }
    }
}

/// The instant by which every reached node must have acknowledged (see the module docs). `None` only for a
/// task without a due time, which the issuing rules refuse.
pub fn ack_deadline_ms(kind: DirectiveKind, issued_at_ms: i64, due_at_ms: Option<i64>, policy: &AckWindowPolicy) -> Option<i64> {
    let by_kind = policy.default_window_ms(kind).map(|w| issued_at_ms.saturating_add(w));
    match (due_at_ms, by_kind) {
        (Some(due), Some(window)) => Some(due.min(window)),
        (due, window) => due.or(window),
    }
}

/// How long a node has been silent past its deadline at `now_ms`: `Some(ms > 0)` when it has not acknowledged
/// and the deadline has passed; `None` when it acknowledged (even late: it is no longer silent) or while the
/// window is still open (exactly at the deadline it is not yet silent).
pub fn silent_for_ms(deadline_ms: Option<i64>, acknowledged_at_ms: Option<i64>, now_ms: i64) -> Option<i64> {
    let deadline = deadline_ms?;
    (acknowledged_at_ms.is_none() && now_ms > deadline).then(|| now_ms - deadline)
}

/// Whether an acknowledgement at `acknowledged_at_ms` met the deadline (inclusive).
pub fn acknowledged_in_time(deadline_ms: Option<i64>, acknowledged_at_ms: i64) -> bool {
    deadline_ms.is_none_or(|d| acknowledged_at_ms <= d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DirectiveKind::*;

    const T: i64 = 1_780_000_000_000;
    const H: i64 = 3_600_000;

    #[test]
    fn deadline_is_the_earlier_of_due_time_and_kind_window() {
        let p = AckWindowPolicy::default();
        // 护林防火 预警 due in 24 h: sign for within 2 h.
        assert_eq!(ack_deadline_ms(Alert, T, Some(T + 24 * H), &p), Some(T + 2 * H));
        assert_eq!(ack_deadline_ms(Alert, T, None, &p), Some(T + 2 * H));
        assert_eq!(ack_deadline_ms(Alert, T, Some(T + H), &p), Some(T + H), "an earlier due time wins");
        assert_eq!(ack_deadline_ms(Notice, T, None, &p), Some(T + 24 * H));
        assert_eq!(ack_deadline_ms(Notice, T, Some(T + 72 * H), &p), Some(T + 24 * H));
        assert_eq!(ack_deadline_ms(Task, T, Some(T + 72 * H), &p), Some(T + 72 * H), "a task: its due time");
        assert_eq!(ack_deadline_ms(Task, T, None, &p), None);
        let custom = AckWindowPolicy { alert_hours: 1, notice_hours: 48 };
        assert_eq!(ack_deadline_ms(Alert, T, None, &custom), Some(T + H));
        assert_eq!(ack_deadline_ms(Notice, T, None, &custom), Some(T + 48 * H));
    }

    #[test]
    fn silence_edges() {
        let d = Some(T + 2 * H);
        assert_eq!(silent_for_ms(d, None, T + 2 * H), None, "exactly at the deadline: not yet silent");
        assert_eq!(silent_for_ms(d, None, T + 2 * H + 1), Some(1));
        assert_eq!(silent_for_ms(d, None, T + 5 * H), Some(3 * H));
        assert_eq!(silent_for_ms(d, Some(T + 4 * H), T + 5 * H), None, "acknowledged late: no longer silent");
        assert_eq!(silent_for_ms(None, None, T + 500 * H), None);
        assert!(acknowledged_in_time(d, T + 2 * H));
        assert!(!acknowledged_in_time(d, T + 2 * H + 1));
    }
}
