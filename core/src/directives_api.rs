//! Following a directive up through the exported object: reminders (催办) to the nodes that have not signed
//! for it, and the review of a task's completion reports (通过 / 退回). Records in `api`, rules in
//! `store::directive_followup` and `linkage_protocol::rules::directive`.

use crate::api::{self, TaskReportPage, TaskReportSummary};
use crate::error::ApiError;
use crate::facade::FieldApp;

type ApiResult<T> = Result<T, ApiError>;

#[uniffi::export]
impl FieldApp {
    /// Reminds (催办) every node of the directive's area below me that has not signed for it; their phones
    /// show the reminder after their next sync. Returns how many nodes were reminded (0: none silent).
    /// I/O: DB write (one operation per node, one transaction); call off the UI thread.
    pub fn remind_silent_nodes(&self, directive_id: String) -> ApiResult<u32> {
        self.with(|s, _| s.remind_silent_nodes(&directive_id))
    }

    /// Reminds (催办) one node below me that has not signed for the directive. I/O: DB write.
    pub fn remind_node(&self, directive_id: String, node_id: String) -> ApiResult<()> {
        self.with(|s, _| s.remind_node(&directive_id, &node_id))
    }

    /// A task's completion reports (任务完成情况) in my view, the waiting ones (待审核) first, paged with the
    /// total; each says whether I may review it now. I/O: DB read.
    pub fn directive_task_reports(&self, directive_id: String, offset: u32, limit: u32) -> ApiResult<TaskReportPage> {
        self.with(|s, l| {
            let (rows, total) = s.directive_task_reports(&directive_id, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(TaskReportPage { items: rows.into_iter().map(|r| api::task_report(r, l)).collect(), total, next_offset })
        })
    }

    /// The completion reports waiting for my review across every task I issued (待我审批, beside the issues
    /// of `issue_overview(WaitingForMe)`), oldest first, paged; each opens its directive's page
    /// (`directive_id`), where 通过 / 退回 are. I/O: DB reads; not the UI thread.
    pub fn waiting_task_reports(&self, offset: u32, limit: u32) -> ApiResult<TaskReportPage> {
        self.with(|s, l| {
            let (rows, total) = s.task_reports_waiting_for_me(offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(TaskReportPage { items: rows.into_iter().map(|r| api::task_report(r, l)).collect(), total, next_offset })
        })
    }

    /// Accepts (通过, `accept = true`) a node's waiting completion report, or sends it back (退回) with a
    /// `reason` (required then); the node sees the reason and reports again. Only the issuing node reviews.
    /// I/O: DB write.
    pub fn review_task_report(&self, directive_id: String, node_id: String, accept: bool, reason: String) -> ApiResult<TaskReportSummary> {
        self.with(|s, l| Ok(api::task_report(s.review_task_report(&directive_id, &node_id, accept, &reason)?, l)))
    }
}
