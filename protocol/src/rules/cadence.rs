//! Visit cadence (走访频次): each level must visit each of its households within an interval (DESIGN §4:
//! branch every 60 days, township every 180, county every 90 for its contact households). A household is
//! overdue at a level when its last on-site visit at that level is older than the interval, or never happened.

use serde::{Deserialize, Serialize};

use crate::model::OrgLevel;

const DAY_MS: i64 = 86_400_000;

/// Due intervals per level, in days; `None` means the level has no cadence. County-configurable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct CadencePolicy {
    pub county_days: Option<u32>,
    pub township_days: Option<u32>,
    pub branch_days: Option<u32>,
    pub group_days: Option<u32>,
}

impl Default for CadencePolicy {
    fn default() -> Self {
        CadencePolicy { county_days: Some(90), township_days: Some(180), branch_days: Some(60), group_days: None }
    }
}

impl CadencePolicy {
    /// The due interval for visits by `level`, if that level has one.
    pub fn interval_days(&self, level: OrgLevel) -> Option<u32> {
        match level {
            OrgLevel::County => self.county_days,
            OrgLevel::Township => self.township_days,
            OrgLevel::Branch => self.branch_days,
            OrgLevel::Group => self.group_days,
            OrgLevel::Household => None,
        }
    }
}

/// When the next visit is due: `None` when the household was never visited (due at once).
pub fn due_at_ms(last_onsite_ms: Option<i64>, interval_days: u32) -> Option<i64> {
    last_onsite_ms.map(|last| last + i64::from(interval_days) * DAY_MS)
}

/// The last on-site visit before which a household counts as overdue at `now_ms`: overdue iff
/// `last_onsite < threshold` or never visited.
pub fn overdue_threshold_ms(now_ms: i64, interval_days: u32) -> i64 {
    now_ms - i64::from(interval_days) * DAY_MS
}

/// Whole days a household is overdue (0 when due today or not yet due; `None` if never visited).
pub fn days_overdue(last_onsite_ms: Option<i64>, interval_days: u32, now_ms: i64) -> Option<i64> {
    due_at_ms(last_onsite_ms, interval_days).map(|due| ((now_ms - due) / DAY_MS).max(0))
}

/// Is a household overdue at `now_ms`?
pub fn is_overdue(last_onsite_ms: Option<i64>, interval_days: u32, now_ms: i64) -> bool {
    match last_onsite_ms {
        None => true,
        Some(last) => last < overdue_threshold_ms(now_ms, interval_days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_design() {
        let p = CadencePolicy::default();
        assert_eq!(p.interval_days(OrgLevel::Branch), Some(60));
        assert_eq!(p.interval_days(OrgLevel::Township), Some(180));
        assert_eq!(p.interval_days(OrgLevel::County), Some(90));
        assert_eq!(p.interval_days(OrgLevel::Group), None);
    }

    #[test]
    fn overdue_edges() {
        let now = 1_000 * DAY_MS;
        assert!(is_overdue(None, 60, now));
        assert!(!is_overdue(Some(now - 60 * DAY_MS), 60, now), "exactly 60 days ago is still in time");
        assert!(is_overdue(Some(now - 60 * DAY_MS - 1), 60, now));
        assert_eq!(days_overdue(Some(now - 75 * DAY_MS), 60, now), Some(15));
        assert_eq!(days_overdue(Some(now - 10 * DAY_MS), 60, now), Some(0));
        assert_eq!(days_overdue(None, 60, now), None);
    }
}
