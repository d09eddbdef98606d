//! Duplicate suggestions (重复诉求提示, DESIGN §5): before a report is saved, the phone offers the open issues of
//! the same category reported nearby and recently, so the reporter (or the township at triage) can see that
//! the problem is already known instead of filing it twice. Pure: the phone filters its local issues with it,
//! the server can run the same rule over the whole county.

use serde::{Deserialize, Serialize};

use super::geo;
use crate::model::{GpsFix, IssueCategory, IssueState};

const DAY_MS: i64 = 86_400_000;

/// Distances are compared with this tolerance (1 mm), so a candidate placed at exactly the radius is not
/// lost to floating-point rounding in the haversine formula.
pub const DISTANCE_TOLERANCE_M: f64 = 0.001;

/// How near and how recent an open issue must be to be offered as a possible duplicate; county-configurable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct DuplicatePolicy {
    /// Great-circle distance between the draft and the candidate, inclusive. Default 200 m.
    pub radius_m: f64,
    /// Time between the candidate's report and the draft, either way, inclusive. Default 14 days.
    pub window_days: u32,
}

impl Default for DuplicatePolicy {
    fn default() -> Self {
        DuplicatePolicy { radius_m: 200.0, window_days: 14 }
    }
}

/// The report being drafted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuplicateDraft {
    pub category: IssueCategory,
    /// WGS-84 (lat, lon): see [`draft_point`].
    pub point: (f64, f64),
    /// When the draft is made (unix ms).
    pub at_ms: i64,
}

/// An existing issue that might be the same problem.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateCandidate {
    pub issue_id: String,
    pub category: IssueCategory,
    /// The issue's reported location, else its household's point; `None` when neither is known.
    pub point: Option<(f64, f64)>,
    pub reported_at_ms: i64,
    pub state: IssueState,
}

/// A candidate the rule kept, with its distance from the draft.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateMatch {
    pub issue_id: String,
    pub distance_m: f64,
    pub reported_at_ms: i64,
}

/// Where a draft is: its own GPS fix when it has one, else the household's point. `None`: nothing to compare.
pub fn draft_point(fix: Option<&GpsFix>, household_point: Option<(f64, f64)>) -> Option<(f64, f64)> {
    fix.map(|f| (f.lat, f.lon)).or(household_point)
}

/// The candidates that may duplicate the draft: same category, still open (not closed, rejected or merged),
/// with a known point within `radius_m` (inclusive) and reported within `window_days` of the draft either way
/// (inclusive). Nearest first; equal distances newest first, then by id, so the order is stable.
pub fn suggest(draft: &DuplicateDraft, candidates: &[DuplicateCandidate], policy: &DuplicatePolicy) -> Vec<DuplicateMatch> {
    let window_ms = i64::from(policy.window_days) * DAY_MS;
    let mut out: Vec<DuplicateMatch> = candidates
        .iter()
        .filter(|c| c.category == draft.category && !c.state.is_terminal())
        .filter(|c| (draft.at_ms - c.reported_at_ms).abs() <= window_ms)
        .filter_map(|c| {
            let distance_m = geo::distance_m(draft.point, c.point?);
            (distance_m <= policy.radius_m + DISTANCE_TOLERANCE_M).then(|| DuplicateMatch {
                issue_id: c.issue_id.clone(),
                distance_m,
                reported_at_ms: c.reported_at_ms,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(b.reported_at_ms.cmp(&a.reported_at_ms))
            .then_with(|| a.issue_id.cmp(&b.issue_id))
    });
    out
}

/// The earliest report time a candidate may have for `draft_at_ms` (for a range pre-filter in SQL).
pub fn window_start_ms(draft_at_ms: i64, policy: &DuplicatePolicy) -> i64 {
    draft_at_ms - i64::from(policy.window_days) * DAY_MS
}

/// The latest report time a candidate may have for `draft_at_ms` (for a range pre-filter in SQL).
pub fn window_end_ms(draft_at_ms: i64, policy: &DuplicatePolicy) -> i64 {
    draft_at_ms + i64::from(policy.window_days) * DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mean earth radius used by `geo`'s haversine (IUGG R1), metres.
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    const HOME: (f64, f64) = (35.58, 109.26);
    const AT: i64 = 1_780_000_000_000;

    /// A point `metres` due north of HOME (along a meridian the haversine distance is R·Δφ).
    fn north(metres: f64) -> (f64, f64) {
        (HOME.0 + (metres / EARTH_RADIUS_M).to_degrees(), HOME.1)
    }

    fn cand(id: &str, point: Option<(f64, f64)>, reported_at_ms: i64) -> DuplicateCandidate {
        DuplicateCandidate {
            issue_id: id.into(),
            category: IssueCategory::SafetyHazard,
            point,
            reported_at_ms,
            state: IssueState::Reported,
        }
    }

    fn draft() -> DuplicateDraft {
        DuplicateDraft { category: IssueCategory::SafetyHazard, point: HOME, at_ms: AT }
    }

    fn ids(m: &[DuplicateMatch]) -> Vec<&str> {
        m.iter().map(|m| m.issue_id.as_str()).collect()
    }

    #[test]
    fn radius_edge_is_inclusive() {
        let p = DuplicatePolicy::default();
        let exactly = cand("at200", Some(north(200.0)), AT);
        let over = cand("at201", Some(north(201.0)), AT);
        let just_over = cand("at200.01", Some(north(200.01)), AT);
        let got = suggest(&draft(), &[over, just_over, exactly], &p);
        assert_eq!(ids(&got), ["at200"]);
        assert!((got[0].distance_m - 200.0).abs() < 1e-6, "{}", got[0].distance_m);
    }

    #[test]
    fn window_edge_is_inclusive_both_ways() {
        let p = DuplicatePolicy::default();
        let day = 86_400_000;
        let cs = [
            cand("14d", Some(HOME), AT - 14 * day),
            cand("14d+1ms", Some(HOME), AT - 14 * day - 1),
            cand("future14d", Some(HOME), AT + 14 * day),
            cand("future14d+1ms", Some(HOME), AT + 14 * day + 1),
        ];
        let mut got = ids(&suggest(&draft(), &cs, &p)).into_iter().map(str::to_string).collect::<Vec<_>>();
        got.sort();
        assert_eq!(got, ["14d", "future14d"]);
        assert_eq!(window_start_ms(AT, &p), AT - 14 * day);
        assert_eq!(window_end_ms(AT, &p), AT + 14 * day);
    }

    #[test]
    fn only_open_issues_of_the_same_category_nearest_first() {
        let p = DuplicatePolicy::default();
        let mut closed = cand("closed", Some(north(10.0)), AT);
        closed.state = IssueState::Closed;
        let mut merged = cand("merged", Some(north(10.0)), AT);
        merged.state = IssueState::Merged;
        let mut rejected = cand("rejected", Some(north(10.0)), AT);
        rejected.state = IssueState::Rejected;
        let mut resolved = cand("resolved", Some(north(150.0)), AT);
        resolved.state = IssueState::Resolved; // open: waiting for the return visit
        let mut other_cat = cand("fire", Some(north(5.0)), AT);
        other_cat.category = IssueCategory::ForestFire;
        let cs = [
            closed,
            merged,
            rejected,
            resolved,
            other_cat,
            cand("far", Some(north(100.0)), AT - 1000),
            cand("near", Some(north(50.0)), AT - 5000),
            cand("nowhere", None, AT),
        ];
        let got = suggest(&draft(), &cs, &p);
        assert_eq!(ids(&got), ["near", "far", "resolved"]);
        // Configurable: a tighter radius and window.
        let tight = DuplicatePolicy { radius_m: 75.0, window_days: 0 };
        assert!(ids(&suggest(&draft(), &cs, &tight)).is_empty(), "near is 5 s older than the 0-day window");
        let tight = DuplicatePolicy { radius_m: 75.0, window_days: 1 };
        assert_eq!(ids(&suggest(&draft(), &cs, &tight)), ["near"]);
    }

    #[test]
    fn equal_distance_newest_first() {
        let cs = [cand("old", Some(HOME), AT - 10), cand("new", Some(HOME), AT - 5)];
        assert_eq!(ids(&suggest(&draft(), &cs, &DuplicatePolicy::default())), ["new", "old"]);
    }

    #[test]
    fn the_fix_wins_over_the_household_point() {
        let fix = GpsFix { lat: 1.0, lon: 2.0, accuracy_m: 5.0, fix_time_ms: 0, mocked: false };
        assert_eq!(draft_point(Some(&fix), Some(HOME)), Some((1.0, 2.0)));
        assert_eq!(draft_point(None, Some(HOME)), Some(HOME));
        assert_eq!(draft_point(None, None), None);
    }
}
