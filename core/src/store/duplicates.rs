//! Duplicate suggestions on the report form (重复诉求提示, DESIGN §5): before a report is saved, the open issues
//! of the same category near the draft's place and reported recently are offered, nearest first, so the
//! reporter can follow the existing issue instead of filing a second one (staff merge what slips through).
//! Only issues the signed-in user can see are offered; nothing is written.

use linkage_protocol::model::IssueState;
use linkage_protocol::rules::duplicates::{self, DuplicateCandidate, DuplicateDraft};
use linkage_protocol::rules::{geo, scope};
use linkage_protocol::validate;
use rusqlite::params;

use super::{enum_str, parse_enum, IssueInput, IssueRow, Store};
use crate::error::{Error, Result};

/// At most this many suggestions are returned.
pub const MAX_SUGGESTIONS: usize = 20;

/// An open issue that may be the same problem as the draft.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateRow {
    pub issue: IssueRow,
    /// Metres from the draft's place (its fix, else its household's point) to the issue's.
    pub distance_m: f64,
}

impl Store {
    /// Possible duplicates of a report being drafted: open issues in the user's scope of the same category
    /// within the county's radius and window (default 200 m, 14 days), nearest first. The draft's place is its
    /// GPS fix, else its household's point; a draft with neither has no suggestions. Title and description are
    /// not checked (the form may still be half filled); the household, node and fix are, as for a report.
    pub fn suggest_duplicates(&self, input: &IssueInput) -> Result<Vec<DuplicateRow>> {
        let actor = self.actor()?.clone();
        if let Some(fix) = &input.location {
            geo::validate_fix(fix)?;
        }
        let household_point = match (&input.household_id, &input.node_id) {
            (Some(hid), _) => {
                let (h, _) = self.household_with_path(hid)?;
                h.lat.zip(h.lon)
            }
            (None, Some(nid)) => {
                validate::id("node_id", nid)?;
                let node = self.node(nid).map_err(|_| Error::not_found("node", nid))?;
                if !actor.sees(&node.path) {
                    return Err(Error::not_found("node", nid));
                }
                None
            }
            (None, None) => None,
        };
        let Some(point) = duplicates::draft_point(input.location.as_ref(), household_point) else { return Ok(vec![]) };
        let draft = DuplicateDraft { category: input.category, point, at_ms: self.now_ms() };
        self.duplicates_near(&draft)
    }

    /// The open issues in the user's scope the duplicate rule pairs with `draft`, nearest first (at most
    /// [`MAX_SUGGESTIONS`]): the report form's suggestions and the 合并 picker's.
    pub(crate) fn duplicates_near(&self, draft: &DuplicateDraft) -> Result<Vec<DuplicateRow>> {
        let actor = self.actor()?.clone();
        let policy = self.policies.duplicates;
        let terminal: Vec<&str> = IssueState::ALL.iter().filter(|s| s.is_terminal()).map(|s| s.as_str()).collect();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT i.id, i.category, i.state, CASE WHEN i.lat IS NULL THEN h.lat ELSE i.lat END,
                    CASE WHEN i.lat IS NULL THEN h.lon ELSE i.lon END, i.reported_at_ms
             FROM issues i LEFT JOIN households h ON h.id = i.household_id
             WHERE i.path >= ?1 AND i.path < ?2 AND i.category = ?3 AND i.reported_at_ms BETWEEN ?4 AND ?5
               AND i.state NOT IN ('{}')",
            terminal.join("', '")
        ))?;
        let candidates = stmt
            .query_map(
                params![
                    actor.node_path,
                    scope::upper_bound(&actor.node_path),
                    enum_str(&draft.category),
                    duplicates::window_start_ms(draft.at_ms, &policy),
                    duplicates::window_end_ms(draft.at_ms, &policy)
                ],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<f64>>(3)?.zip(r.get::<_, Option<f64>>(4)?),
                        r.get::<_, i64>(5)?,
                    ))
                },
            )?
            .map(|r| {
                let (issue_id, category, state, point, reported_at_ms) = r?;
                Ok(DuplicateCandidate {
                    issue_id,
                    category: parse_enum(&category)?,
                    point,
                    reported_at_ms,
                    state: parse_enum(&state)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        duplicates::suggest(draft, &candidates, &policy)
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|m| Ok(DuplicateRow { issue: self.issue_row(&m.issue_id)?, distance_m: m.distance_m }))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::issues::tests_support::draft;
    use super::super::testing::*;
    use super::super::IssueCommand;
    use super::*;
    use linkage_protocol::model::{GpsFix, IssueCategory};

    fn fix(lat: f64, lon: f64) -> GpsFix {
        GpsFix { lat, lon, accuracy_m: 5.0, fix_time_ms: NOW, mocked: false }
    }

    #[test]
    fn open_same_category_nearby_issues_nearest_first() {
        let (mut s, clock) = store();
        s.sign_in("gw").unwrap();
        // h1 (35.58, 109.26) and h2 (35.581, 109.262) are ~210 m apart; h3 is ~1.4 km away.
        let at_h1 = s.report_issue(draft()).unwrap().projection.id;
        let at_h2 = s.report_issue(IssueInput { household_id: Some("h2".into()), ..draft() }).unwrap().projection.id;
        let _far = s.report_issue(IssueInput { household_id: Some("h3".into()), ..draft() }).unwrap().projection.id;
        let _other_category =
            s.report_issue(IssueInput { category: IssueCategory::Infrastructure, ..draft() }).unwrap().projection.id;
        // A report made at h2's door (by fix) about a group: located by its fix, not a household.
        let by_fix = s
            .report_issue(IssueInput {
                household_id: None,
                node_id: Some("g1".into()),
                location: Some(fix(35.5801, 109.2601)),
                ..draft()
            })
            .unwrap()
            .projection
            .id;
        clock.advance_ms(86_400_000);

        // A new draft for h1 (no fix): the household's point is used.
        let got = s.suggest_duplicates(&draft()).unwrap();
        let ids: Vec<_> = got.iter().map(|d| d.issue.projection.id.clone()).collect();
        assert_eq!(ids, [at_h1.clone(), by_fix.clone()], "h2's issue is ~210 m away: outside 200 m");
        assert_eq!(got[0].distance_m, 0.0);
        assert!(got[1].distance_m > 10.0 && got[1].distance_m < 20.0, "{}", got[1].distance_m);

        // A draft with a fix at h2 finds h2's issue first.
        let near_h2 = IssueInput { location: Some(fix(35.581, 109.262)), ..draft() };
        let ids: Vec<_> =
            s.suggest_duplicates(&near_h2).unwrap().into_iter().map(|d| d.issue.projection.id).collect();
        assert_eq!(ids[0], at_h2);

        // Closed / merged issues are no longer offered; nothing was written by asking.
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&by_fix, IssueCommand::Merge { into_issue_id: at_h1.clone() }).unwrap();
        s.sign_in("gw").unwrap();
        let before = snapshot(&s);
        let ids: Vec<_> = s.suggest_duplicates(&draft()).unwrap().into_iter().map(|d| d.issue.projection.id).collect();
        assert_eq!(ids, [at_h1]);
        assert_eq!(snapshot(&s), before);

        // Past the 14-day window nothing is offered.
        clock.advance_ms(14 * 86_400_000);
        assert!(s.suggest_duplicates(&draft()).unwrap().is_empty());
    }

    #[test]
    fn only_issues_the_user_can_see_and_bad_input_is_typed() {
        let (mut s, _) = store();
        s.sign_in("lh2").unwrap(); // group g2
        let in_g2 = s.report_issue(IssueInput { household_id: Some("h3".into()), ..draft() }).unwrap().projection.id;
        s.sign_in("lh").unwrap(); // group g1: cannot see g2's issue even standing right next to it
        let at_h3 = IssueInput { location: Some(fix(35.59, 109.27)), ..draft() };
        assert!(s.suggest_duplicates(&at_h3).unwrap().is_empty());
        s.sign_in("gw").unwrap(); // branch b1 sees both groups
        let ids: Vec<_> = s.suggest_duplicates(&at_h3).unwrap().into_iter().map(|d| d.issue.projection.id).collect();
        assert_eq!(ids, [in_g2]);
        // h5 has no point and the draft no fix: nothing to compare.
        assert!(s.suggest_duplicates(&IssueInput { household_id: Some("h5".into()), ..draft() }).unwrap().is_empty());
        assert!(matches!(
            s.suggest_duplicates(&IssueInput { household_id: Some("h4".into()), ..draft() }),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            s.suggest_duplicates(&IssueInput { location: Some(fix(91.0, 0.0)), ..draft() }),
            Err(Error::Field(_))
        ));
    }

    /// The end-to-end merge flow: a second report of the same problem is suggested, staff merge it, and
    /// its reporter sees the surviving issue through `merged_into`.
    #[test]
    fn after_a_merge_the_reporter_follows_the_surviving_issue() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let first = s.report_issue(draft()).unwrap().projection.id;
        s.sign_in("lh").unwrap();
        let suggested = s.suggest_duplicates(&draft()).unwrap();
        assert_eq!(suggested[0].issue.projection.id, first, "the liaison head is shown the existing issue");
        let second = s.report_issue(draft()).unwrap().projection.id; // filed anyway
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&first, IssueCommand::Accept).unwrap();
        s.perform_issue_action(&second, IssueCommand::Merge { into_issue_id: first.clone() }).unwrap();
        s.sign_in("lh").unwrap();
        let (mine, _) = s.list_issues(super::super::IssueListScope::ReportedByMe, &[], 0, 10).unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].projection.id, second);
        assert_eq!(mine[0].projection.state, IssueState::Merged);
        assert_eq!(mine[0].projection.merged_into.as_deref(), Some(first.as_str()));
        let surviving = s.issue_row(&first).unwrap();
        assert_eq!(surviving.projection.state, IssueState::Accepted, "the reporter can open the surviving issue");
        // The summary the shell gets carries the link too.
        let summary = crate::api::issue(mine[0].clone(), s.locale);
        assert_eq!(summary.merged_into.as_deref(), Some(first.as_str()));
        assert_eq!(summary.state_label, "已合并");
    }
}
