//! The directive cascade (指令下达, DESIGN §6): a county or township issues a notice, alert or task to a
//! subtree; every node in it acknowledges receipt (签收) for itself and relays (转发) to the level below;
//! liaison heads record each household's acknowledgement. These rules say who may take each step.

use super::{Denial, RuleError};
use crate::model::{Actor, DirectiveKind, Role};

/// May `actor` issue a directive of `kind` to the subtree at `target_path`? County and township staff issue
/// to their subtree, and a village branch (its grid worker / 支部干部) to its groups.
/// Tasks need a due time; a due time must lie in the future.
pub fn authorize_issue(
    actor: &Actor,
    target_path: &str,
    kind: DirectiveKind,
    due_at_ms: Option<i64>,
    now_ms: i64,
) -> Result<(), DirectiveInputError> {
    if !matches!(actor.role, Role::CountyStaff | Role::TownshipStaff | Role::GridWorker | Role::BranchSecretary) {
        return Err(DirectiveInputError::Rule(RuleError::NotPermitted(Denial::NotDirectiveIssuer)));
    }
    if !actor.sees(target_path) {
        return Err(DirectiveInputError::Rule(RuleError::OutOfScope));
    }
    match (kind, due_at_ms) {
        (DirectiveKind::Task, None) => Err(DirectiveInputError::DueTimeRequired),
        (_, Some(due)) if due <= now_ms => Err(DirectiveInputError::DueTimeInPast),
        _ => Ok(()),
    }
}

/// Why a directive could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveInputError {
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error("a task needs a due time")]
    DueTimeRequired,
    #[error("the due time must be in the future")]
    DueTimeInPast,
}

/// Where a directive went and who issued it: what the cascade rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectiveFacts<'a> {
    /// Materialized path of the target node (the subtree the directive reaches).
    pub target_path: &'a str,
    /// The node that issued it: it does not sign for (签收), relay or report on its own directive (ADR 0002).
    pub issuer_node_id: &'a str,
}

/// May `actor` acknowledge (签收) for their own node the directive? Every node of the target subtree
/// acknowledges, the target node included — except the issuing node, which never signs for its own directive
/// (it is neither counted in coverage nor silent, ADR 0002).
pub fn authorize_acknowledge(actor: &Actor, d: DirectiveFacts<'_>) -> Result<(), RuleError> {
    if !crate::rules::scope::within(d.target_path, &actor.node_path) {
        return Err(RuleError::OutOfScope);
    }
    if actor.node_id == d.issuer_node_id {
        return Err(RuleError::NotPermitted(Denial::OwnDirective));
    }
    Ok(())
}

/// May `actor` relay the directive to the level below? Only after their node has acknowledged it.
pub fn authorize_relay(actor: &Actor, d: DirectiveFacts<'_>, own_node_acknowledged: bool) -> Result<(), RuleError> {
    authorize_acknowledge(actor, d)?;
    if !own_node_acknowledged {
        return Err(RuleError::DirectiveStep("acknowledge (签收) before relaying"));
    }
    Ok(())
}

/// May `actor` record that the household at `household_path` acknowledged the directive? The liaison head of
/// the household's group (or a grid worker of its branch) may, once their own node has acknowledged.
pub fn authorize_household_ack(
    actor: &Actor,
    target_path: &str,
    household_path: &str,
    own_node_acknowledged: bool,
) -> Result<(), RuleError> {
    if !matches!(actor.role, Role::LiaisonHead | Role::GridWorker) {
        return Err(RuleError::NotPermitted(Denial::NotHouseholdLiaison));
    }
    if !actor.sees(household_path) || !crate::rules::scope::within(target_path, household_path) {
        return Err(RuleError::OutOfScope);
    }
    if !own_node_acknowledged {
        return Err(RuleError::DirectiveStep("acknowledge (签收) before recording households"));
    }
    Ok(())
}

/// May `actor` report their node's completion of the directive (任务完成情况)? Only tasks take a report, only
/// for the actor's own node inside the target subtree, and only after the node acknowledged it.
pub fn authorize_task_report(
    actor: &Actor,
    d: DirectiveFacts<'_>,
    kind: DirectiveKind,
    own_node_acknowledged: bool,
) -> Result<(), RuleError> {
    authorize_acknowledge(actor, d)?;
    if kind != DirectiveKind::Task {
        return Err(RuleError::DirectiveStep("only a task takes a completion report"));
    }
    if !own_node_acknowledged {
        return Err(RuleError::DirectiveStep("acknowledge (签收) before reporting completion"));
    }
    Ok(())
}

/// Checks a completion report's text and photos.
pub fn validate_task_report(note: &str, evidence: &[String]) -> Result<String, crate::validate::FieldError> {
    let note = crate::validate::text("note", note, 1, crate::validate::limits::NOTE)?;
    crate::validate::evidence("evidence", evidence)?;
    Ok(note)
}

/// May `actor` remind (催办) the node at `node_path` of a directive it has not signed for? Any node above it
/// in the directive's area may (the issuer, or a township / branch chasing its own children); the node must be
/// reached by the directive, must owe an acknowledgement (not the issuer) and must not have acknowledged yet.
pub fn authorize_remind(
    actor: &Actor,
    d: DirectiveFacts<'_>,
    node_id: &str,
    node_path: &str,
    node_acknowledged: bool,
) -> Result<(), RuleError> {
    if node_id == actor.node_id || !actor.sees(node_path) {
        return Err(RuleError::OutOfScope);
    }
    if !crate::rules::scope::within(d.target_path, node_path) || node_id == d.issuer_node_id {
        return Err(RuleError::DirectiveStep("the node owes no acknowledgement of this directive"));
    }
    if node_acknowledged {
        return Err(RuleError::DirectiveStep("the node has already acknowledged (签收)"));
    }
    Ok(())
}

/// Where a node's task completion report stands with the issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskReportStatus {
    /// Reported, waiting for the issuer (待审核).
    Pending,
    /// Accepted by the issuer (已通过).
    Accepted,
    /// Sent back by the issuer (已退回): the node reports again.
    Returned,
}

/// Whether a node's new completion report takes the place of what it has: the first report stands, unless
/// the issuer sent it back.
pub fn report_replaces(previous: Option<TaskReportStatus>) -> bool {
    matches!(previous, None | Some(TaskReportStatus::Returned))
}

/// May `actor` accept or send back (退回) a node's completion report? Only the issuing node's staff, only a
/// report still waiting (`Pending`); sending back needs a reason (checked by [`validate_review_reason`]).
pub fn authorize_task_review(actor: &Actor, d: DirectiveFacts<'_>, report: Option<TaskReportStatus>) -> Result<(), RuleError> {
    if actor.node_id != d.issuer_node_id {
        return Err(RuleError::NotPermitted(Denial::NotTaskIssuer));
    }
    match report {
        Some(TaskReportStatus::Pending) => Ok(()),
        None => Err(RuleError::DirectiveStep("no completion report to review")),
        Some(_) => Err(RuleError::DirectiveStep("the report was already reviewed")),
    }
}

/// The reason of a review: required (1..NOTE characters) to send a report back, empty to accept it.
pub fn validate_review_reason(accepted: bool, reason: &str) -> Result<String, crate::validate::FieldError> {
    if accepted {
        return Ok(String::new());
    }
    crate::validate::text("reason", reason, 1, crate::validate::limits::NOTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, node: &str, path: &str) -> Actor {
        Actor { user_id: "u".into(), role, node_id: node.into(), node_path: path.into() }
    }

    /// A directive to `target_path` issued by the county node `c`.
    fn to(target_path: &str) -> DirectiveFacts<'_> {
        DirectiveFacts { target_path, issuer_node_id: "c" }
    }

    #[test]
    fn only_staff_issue_within_their_subtree() {
        let county = actor(Role::CountyStaff, "c", "/c/");
        let town = actor(Role::TownshipStaff, "t1", "/c/t1/");
        let gw = actor(Role::GridWorker, "b1", "/c/t1/b1/");
        let lh = actor(Role::LiaisonHead, "g1", "/c/t1/b1/g1/");
        assert_eq!(authorize_issue(&county, "/c/", DirectiveKind::Alert, None, 0), Ok(()));
        assert_eq!(authorize_issue(&town, "/c/t1/b1/", DirectiveKind::Notice, None, 0), Ok(()));
        assert_eq!(authorize_issue(&town, "/c/", DirectiveKind::Notice, None, 0), Err(RuleError::OutOfScope.into()));
        // A branch issues to its own groups, not above or beside itself.
        assert_eq!(authorize_issue(&gw, "/c/t1/b1/", DirectiveKind::Notice, None, 0), Ok(()));
        assert_eq!(authorize_issue(&gw, "/c/t1/b1/g1/", DirectiveKind::Notice, None, 0), Ok(()));
        assert_eq!(authorize_issue(&gw, "/c/t1/", DirectiveKind::Notice, None, 0), Err(RuleError::OutOfScope.into()));
        assert_eq!(
            authorize_issue(&lh, "/c/t1/b1/g1/", DirectiveKind::Notice, None, 0),
            Err(RuleError::NotPermitted(Denial::NotDirectiveIssuer).into())
        );
        assert_eq!(authorize_issue(&county, "/c/", DirectiveKind::Task, None, 0), Err(DirectiveInputError::DueTimeRequired));
        assert_eq!(authorize_issue(&county, "/c/", DirectiveKind::Task, Some(10), 10), Err(DirectiveInputError::DueTimeInPast));
        assert_eq!(authorize_issue(&county, "/c/", DirectiveKind::Task, Some(11), 10), Ok(()));
    }

    #[test]
    fn only_acknowledged_tasks_take_a_completion_report() {
        let gw = actor(Role::GridWorker, "b1", "/c/t1/b1/");
        assert_eq!(authorize_task_report(&gw, to("/c/t1/"), DirectiveKind::Task, true), Ok(()));
        assert!(matches!(authorize_task_report(&gw, to("/c/t1/"), DirectiveKind::Task, false), Err(RuleError::DirectiveStep(_))));
        assert!(matches!(authorize_task_report(&gw, to("/c/t1/"), DirectiveKind::Alert, true), Err(RuleError::DirectiveStep(_))));
        assert_eq!(authorize_task_report(&gw, to("/c/t2/"), DirectiveKind::Task, true), Err(RuleError::OutOfScope));
        assert_eq!(validate_task_report(" 已清理隐患 ", &[]).unwrap(), "已清理隐患");
        assert_eq!(validate_task_report(" ", &[]).unwrap_err().field, "note");
        assert_eq!(validate_task_report("ok", &["x".into()]).unwrap_err().field, "evidence");
    }

    #[test]
    fn the_issuing_node_never_signs_for_its_own_directive() {
        // The county alerts the whole county (its own node is the target): it does not sign, relay or report;
        // a township below does. The same for a township issuing to its own township.
        let county = actor(Role::CountyStaff, "c", "/c/");
        let town = actor(Role::TownshipStaff, "t1", "/c/t1/");
        let own = RuleError::NotPermitted(Denial::OwnDirective);
        assert_eq!(authorize_acknowledge(&county, to("/c/")), Err(own.clone()));
        assert_eq!(authorize_relay(&county, to("/c/"), true), Err(own.clone()));
        assert_eq!(authorize_task_report(&county, to("/c/"), DirectiveKind::Task, true), Err(own.clone()));
        assert_eq!(authorize_acknowledge(&town, to("/c/")), Ok(()));
        let from_town = DirectiveFacts { target_path: "/c/t1/", issuer_node_id: "t1" };
        assert_eq!(authorize_acknowledge(&town, from_town), Err(own));
        let gw = actor(Role::GridWorker, "b1", "/c/t1/b1/");
        assert_eq!(authorize_acknowledge(&gw, from_town), Ok(()));
    }

    #[test]
    fn acknowledge_relay_and_households() {
        let lh = actor(Role::LiaisonHead, "g1", "/c/t1/b1/g1/");
        let other = actor(Role::LiaisonHead, "g9", "/c/t2/b9/g9/");
        assert_eq!(authorize_acknowledge(&lh, to("/c/t1/")), Ok(()));
        assert_eq!(authorize_acknowledge(&other, to("/c/t1/")), Err(RuleError::OutOfScope));
        assert!(matches!(authorize_relay(&lh, to("/c/t1/"), false), Err(RuleError::DirectiveStep(_))));
        assert_eq!(authorize_relay(&lh, to("/c/t1/"), true), Ok(()));
        assert_eq!(authorize_household_ack(&lh, "/c/t1/", "/c/t1/b1/g1/h1/", true), Ok(()));
        assert!(matches!(authorize_household_ack(&lh, "/c/t1/", "/c/t1/b1/g1/h1/", false), Err(RuleError::DirectiveStep(_))));
        assert_eq!(authorize_household_ack(&lh, "/c/t1/", "/c/t1/b1/g2/h7/", true), Err(RuleError::OutOfScope));
        let town = actor(Role::TownshipStaff, "t1", "/c/t1/");
        assert_eq!(
            authorize_household_ack(&town, "/c/t1/", "/c/t1/b1/g1/h1/", true),
            Err(RuleError::NotPermitted(Denial::NotHouseholdLiaison))
        );
    }

    #[test]
    fn reminders_go_down_to_silent_nodes_in_the_area() {
        let county = actor(Role::CountyStaff, "c", "/c/");
        let gw = actor(Role::GridWorker, "b1", "/c/t1/b1/");
        let alert = to("/c/t1/");
        assert_eq!(authorize_remind(&county, alert, "g1", "/c/t1/b1/g1/", false), Ok(()));
        assert_eq!(authorize_remind(&gw, alert, "g1", "/c/t1/b1/g1/", false), Ok(()), "a branch chases its group");
        assert!(matches!(authorize_remind(&county, alert, "g1", "/c/t1/b1/g1/", true), Err(RuleError::DirectiveStep(_))));
        assert!(matches!(authorize_remind(&county, alert, "t2", "/c/t2/", false), Err(RuleError::DirectiveStep(_))), "not reached");
        assert!(matches!(authorize_remind(&county, alert, "c", "/c/", false), Err(RuleError::OutOfScope)), "not itself");
        assert_eq!(authorize_remind(&gw, alert, "t1", "/c/t1/", false), Err(RuleError::OutOfScope), "not upwards");
        assert_eq!(authorize_remind(&gw, alert, "g9", "/c/t1/b2/g9/", false), Err(RuleError::OutOfScope), "not beside");
    }

    #[test]
    fn only_the_issuer_reviews_a_waiting_report_and_a_returned_one_is_reported_again() {
        use TaskReportStatus::*;
        let town = actor(Role::TownshipStaff, "t1", "/c/t1/");
        let county = actor(Role::CountyStaff, "c", "/c/");
        let task = DirectiveFacts { target_path: "/c/t1/", issuer_node_id: "t1" };
        assert_eq!(authorize_task_review(&town, task, Some(Pending)), Ok(()));
        assert_eq!(authorize_task_review(&county, task, Some(Pending)), Err(RuleError::NotPermitted(Denial::NotTaskIssuer)));
        for done in [None, Some(Accepted), Some(Returned)] {
            assert!(matches!(authorize_task_review(&town, task, done), Err(RuleError::DirectiveStep(_))));
        }
        assert_eq!(validate_review_reason(true, "  ").unwrap(), "");
        assert_eq!(validate_review_reason(false, " ").unwrap_err().field, "reason");
        assert_eq!(validate_review_reason(false, " 照片看不清 ").unwrap(), "照片看不清");
        assert!(report_replaces(None) && report_replaces(Some(Returned)));
        assert!(!report_replaces(Some(Pending)) && !report_replaces(Some(Accepted)));
    }
}
