//! Time limits (限时办结): the deadline to accept and to resolve an issue, by category and urgency. This first
//! version counts calendar hours; the working-day calendar with Chinese holidays and 调休 replaces it
//! (issue "Field workflows in depth").

use serde::{Deserialize, Serialize};

use crate::model::{IssueCategory, IssueState, Urgency};

const HOUR_MS: i64 = 3_600_000;

/// The traffic light of an open issue against its current step's deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// Below 80% of the limit used.
    Green,
    /// 80–100% used.
    Yellow,
    /// Past the deadline.
    Red,
    /// No running clock (closed, rejected, merged, or waiting for verification).
    None,
}

/// Hours allowed to accept and to resolve.
pub fn limits_hours(category: IssueCategory, urgency: Urgency) -> (i64, i64) {
    match (urgency, category) {
        (Urgency::Critical, _) => (2, 24),
        (Urgency::Urgent, _) => (4, 72),
        (Urgency::Normal, IssueCategory::Petition | IssueCategory::Dispute) => (24, 15 * 24),
        (Urgency::Normal, _) => (24, 7 * 24),
    }
}

/// The deadline of the step the issue is in now, and when that step's clock started.
pub fn current_step(
    state: IssueState,
    category: IssueCategory,
    urgency: Urgency,
    reported_at_ms: i64,
    accepted_at_ms: Option<i64>,
) -> Option<(i64, i64)> {
    let (accept_h, resolve_h) = limits_hours(category, urgency);
    match state {
        IssueState::Reported => Some((reported_at_ms, reported_at_ms + accept_h * HOUR_MS)),
        IssueState::Accepted | IssueState::Assigned | IssueState::InProgress => {
            let start = accepted_at_ms.unwrap_or(reported_at_ms);
            Some((start, start + resolve_h * HOUR_MS))
        }
        _ => None,
    }
}

/// The light for a step that started at `start_ms` with deadline `due_ms`, seen at `now_ms`.
/// Integer arithmetic so the 80% and 100% edges are exact.
pub fn light(start_ms: i64, due_ms: i64, now_ms: i64) -> Light {
    let limit = (due_ms - start_ms).max(1) as i128;
    let used = (now_ms - start_ms).max(0) as i128;
    if used * 100 < limit * 80 {
        Light::Green
    } else if used <= limit {
        Light::Yellow
    } else {
        Light::Red
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lights_at_the_edges() {
        assert_eq!(light(0, 100, 79), Light::Green);
        assert_eq!(light(0, 100, 80), Light::Yellow);
        assert_eq!(light(0, 100, 100), Light::Yellow);
        assert_eq!(light(0, 100, 101), Light::Red);
    }

    #[test]
    fn steps() {
        let r = current_step(IssueState::Reported, IssueCategory::Other, Urgency::Critical, 0, None);
        assert_eq!(r, Some((0, 2 * HOUR_MS)));
        let a = current_step(IssueState::Assigned, IssueCategory::Petition, Urgency::Normal, 0, Some(HOUR_MS));
        assert_eq!(a, Some((HOUR_MS, HOUR_MS + 360 * HOUR_MS)));
        assert_eq!(current_step(IssueState::Closed, IssueCategory::Other, Urgency::Normal, 0, None), None);
    }
}
