//! The directive cascade (指令下达, DESIGN §6): a county or township issues a notice, alert or task to a
//! subtree; every node in it acknowledges receipt (签收) for itself and relays (转发) to the level below;
//! liaison heads record each household's acknowledgement. These rules say who may take each step.

use super::{Denial, RuleError};
use crate::model::{Actor, DirectiveKind, Role};

/// May `actor` issue a directive of `kind` to the subtree at `target_path`?
/// Tasks need a due time; a due time must lie in the future.
pub fn authorize_issue(
    actor: &Actor,
    target_path: &str,
    kind: DirectiveKind,
    due_at_ms: Option<i64>,
    now_ms: i64,
) -> Result<(), DirectiveInputError> {
    if !matches!(actor.role, Role::CountyStaff | Role::TownshipStaff) {
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
        assert_eq!(authorize_issue(&county, "/c/", DirectiveKind::Alert, None, 0), Ok(()));
        assert_eq!(authorize_issue(&town, "/c/t1/b1/", DirectiveKind::Notice, None, 0), Ok(()));
        assert_eq!(authorize_issue(&town, "/c/", DirectiveKind::Notice, None, 0), Err(RuleError::OutOfScope.into()));
        assert_eq!(
            authorize_issue(&gw, "/c/t1/b1/", DirectiveKind::Notice, None, 0),
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
}
