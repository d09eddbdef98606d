//! The household ledger (民生台账) and place reports through the exported object: the household page's paged
//! visits and issues (the whole history, page by page, not the newest few), the list's filter choices (tags
//! in scope with counts, risk levels with labels), "the house is here" (房屋位置就在这里) from a fresh GPS fix,
//! and "is it one of these?" (重复诉求提示 → 不重复上报): leaving a report draft for an existing issue.
//! Records here, rules in `store::households`, `store::issues` and `linkage_protocol::rules`.

use linkage_protocol::labels::Label;
use linkage_protocol::model::RiskLevel;

use crate::api::{self, GpsFix, HouseholdSummary, IssueDetail, IssuePage, VisitSummary};
use crate::error::ApiError;
use crate::facade::FieldApp;

/// One page of a household's visits, newest first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitPage {
    pub items: Vec<VisitSummary>,
    pub total: u64,
    /// Offset of the next page, or `None` on the last page.
    pub next_offset: Option<u32>,
}

/// A tag chip of the household list: the tag and how many households in scope carry it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct TagChoice {
    pub tag: String,
    pub households: u64,
}

/// A risk chip of the household list, with its label in the display language.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct RiskChoice {
    pub level: RiskLevel,
    pub label: String,
}

/// The household list's filter choices: the tags on households in the user's scope (most common first) and
/// the risk levels (high first).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct HouseholdFilterChoices {
    pub tags: Vec<TagChoice>,
    pub risks: Vec<RiskChoice>,
}

#[uniffi::export]
impl FieldApp {
    /// A page of a household's visits (in the user's scope), newest first, with the total and the next
    /// offset: the household page pages through the whole history. Out of scope is `NotFound`.
    /// I/O: DB read (indexed); not the UI thread.
    pub fn household_visit_page(&self, household_id: String, offset: u32, limit: u32) -> Result<VisitPage, ApiError> {
        self.with(|s, l| {
            let (rows, total) = s.household_visit_page(&household_id, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(VisitPage { items: rows.into_iter().map(|v| api::visit(v, l)).collect(), total, next_offset })
        })
    }

    /// A page of the issues about a household (every state, newest report first), with the total and the
    /// next offset. Out of scope is `NotFound`. I/O: DB read (indexed); not the UI thread.
    pub fn household_issues(&self, household_id: String, offset: u32, limit: u32) -> Result<IssuePage, ApiError> {
        self.with(|s, l| {
            let (rows, total) = s.household_issues(&household_id, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(IssuePage { items: rows.into_iter().map(|r| api::issue(r, l)).collect(), total, next_offset })
        })
    }

    /// The household list's filter chips: tags in the user's scope with counts, risk levels with labels.
    /// I/O: one grouped DB read over the scope's tags; not the UI thread.
    pub fn household_filter_choices(&self) -> Result<HouseholdFilterChoices, ApiError> {
        self.with(|s, l| {
            let tags = s.household_tags_in_scope()?.into_iter().map(|(tag, households)| TagChoice { tag, households }).collect();
            let risks = [RiskLevel::High, RiskLevel::Medium, RiskLevel::Low]
                .into_iter()
                .map(|level| RiskChoice { level, label: level.label(l).into() })
                .collect();
            Ok(HouseholdFilterChoices { tags, risks })
        })
    }

    /// 房屋位置就在这里: sets the household's point from `fix`, taken standing at the house. The fix must be real
    /// (not mocked), at most the county's accuracy limit (default 50 m) and fresh (default ≤ 120 s old):
    /// otherwise `InvalidInput` (field `location`, `accuracy_m` or `fix_time_ms`) and nothing changes. A
    /// correction like the others (field-wise merge, queued for sync in the same transaction).
    /// I/O: one DB write; not the UI thread.
    pub fn mark_household_here(&self, household_id: String, fix: GpsFix) -> Result<HouseholdSummary, ApiError> {
        self.with(|s, l| Ok(api::household(s.mark_household_here(&household_id, &fix)?, l)))
    }

    /// "是这件事吗？" → 是这件，不重复上报: the reporter picked an existing issue among the duplicate suggestions
    /// instead of filing a second one. The issue must be one the user sees and still open (else `NotFound` /
    /// `InvalidInput` on `issue_id`, and the draft stays). The draft's title, description and photos are added
    /// to that issue as a 补充反映 (shown in its timeline, the photos with its report's), queued for sync in
    /// the same transaction that removes the draft; the existing issue's page is returned to show.
    /// I/O: DB write.
    pub fn join_existing_issue(&self, draft_id: String, issue_id: String) -> Result<IssueDetail, ApiError> {
        let row = self.with(|s, _| s.join_issue_from_draft(&draft_id, &issue_id))?;
        self.issue(row.projection.id)
    }
}
