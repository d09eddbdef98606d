//! Pure rules: who may do what, which transitions are legal, where a GPS fix puts a visitor, when a household
//! is due for a visit, how directives cascade. No I/O: inputs in, verdicts out, so phone and server agree.

pub mod ack_window;
pub mod app_lock;
pub mod cadence;
pub mod county;
pub mod calendar;
pub mod directive;
pub mod duplicates;
pub mod geo;
pub mod household_edit;
pub mod intake;
pub mod lifecycle;
pub mod password;
pub mod measures;
pub mod point_moves;
pub mod privacy;
pub mod report_place;
pub mod scope;
pub mod sla;
pub mod targets;
pub mod times;
pub mod visit;

use crate::model::{IssueActionKind, IssueState};

#[cfg(test)]
mod denial_tests {
    use super::Denial;

    #[test]
    fn every_denial_has_a_distinct_code_that_round_trips() {
        // Exhaustive: a new denial fails to compile here until it is listed in ALL.
        fn listed(d: Denial) -> bool {
            match d {
                Denial::NotOwnerStaff
                | Denial::NotAssignee
                | Denial::InvalidAssignee
                | Denial::NotDirectiveIssuer
                | Denial::NotHouseholdLiaison
                | Denial::NotOwnNode
                | Denial::OwnDirective
                | Denial::AssigneeOutsideArea
                | Denial::NotAboveOwner
                | Denial::NotOnSpotReporter
                | Denial::SystemOnly
                | Denial::TagsNotAllVisible
                | Denial::NotTaskIssuer => Denial::ALL.contains(&d),
            }
        }
        let mut codes = std::collections::HashSet::new();
        for d in Denial::ALL {
            assert!(listed(d));
            assert!(codes.insert(d.code()));
            assert_eq!(Denial::from_code(d.code()), Some(d));
        }
    }
}

/// Why a rule refused an action. Each variant is precise enough for a test to assert and for the UI to explain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The entity lies outside the actor's node: treated as invisible.
    #[error("outside the user's scope")]
    OutOfScope,
    /// The action is not legal from the issue's current state, whoever tries it.
    #[error("cannot {action:?} an issue that is {from:?}")]
    IllegalTransition { from: IssueState, action: IssueActionKind },
    /// The action is legal now, but not for this actor.
    #[error("not permitted: {0}")]
    NotPermitted(Denial),
    /// Escalation from the top of the chain.
    #[error("the county is the top level; there is no level to escalate to")]
    NoHigherLevel,
    /// The directive step is not legal in its current state (e.g. relay before acknowledging).
    #[error("directive step not allowed: {0}")]
    DirectiveStep(&'static str),
}

/// Which permission an actor lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    #[error("only staff of the level that owns the issue may do this")]
    NotOwnerStaff,
    #[error("only the assigned handler (or the owning staff) may do this")]
    NotAssignee,
    #[error("the assignee must be a grid worker or staff within the owning level")]
    InvalidAssignee,
    #[error("only county or township staff, or a village branch, may issue directives")]
    NotDirectiveIssuer,
    #[error("only a liaison head or grid worker of the household may record its acknowledgement")]
    NotHouseholdLiaison,
    #[error("a user may only acknowledge or relay for their own node")]
    NotOwnNode,
    #[error("the issuing node does not sign for (签收), relay or report on its own directive")]
    OwnDirective,
    #[error("the assignee must work where the issue is: at its node or a level above it, within the owning level")]
    AssigneeOutsideArea,
    #[error("only staff of the level above the owning level may do this")]
    NotAboveOwner,
    #[error("only the grid worker who reported the issue may resolve it on the spot")]
    NotOnSpotReporter,
    #[error("only the server's overdue sweep marks an issue overdue")]
    SystemOnly,
    #[error("a role that does not receive every tag may not correct the tag set")]
    TagsNotAllVisible,
    #[error("only the node that issued a task reviews its completion reports")]
    NotTaskIssuer,
}

impl Denial {
    /// Every denial, for table tests of their messages.
    pub const ALL: [Denial; 13] = [
        Denial::NotOwnerStaff,
        Denial::NotAssignee,
        Denial::InvalidAssignee,
        Denial::NotDirectiveIssuer,
        Denial::NotHouseholdLiaison,
        Denial::NotOwnNode,
        Denial::OwnDirective,
        Denial::AssigneeOutsideArea,
        Denial::NotAboveOwner,
        Denial::NotOnSpotReporter,
        Denial::SystemOnly,
        Denial::TagsNotAllVisible,
        Denial::NotTaskIssuer,
    ];

    /// The stable name of the rule (what the phone's public error carries as `rule`).
    pub fn code(self) -> &'static str {
        match self {
            Denial::NotOwnerStaff => "not_owner_staff",
            Denial::NotAssignee => "not_assignee",
            Denial::InvalidAssignee => "invalid_assignee",
            Denial::NotDirectiveIssuer => "not_directive_issuer",
            Denial::NotHouseholdLiaison => "not_household_liaison",
            Denial::NotOwnNode => "not_own_node",
            Denial::OwnDirective => "own_directive",
            Denial::AssigneeOutsideArea => "assignee_outside_area",
            Denial::NotAboveOwner => "not_above_owner",
            Denial::NotOnSpotReporter => "not_on_spot_reporter",
            Denial::SystemOnly => "system_only",
            Denial::NotTaskIssuer => "not_task_issuer",
            Denial::TagsNotAllVisible => "tags_not_all_visible",
        }
    }

    /// The denial with that stable name.
    pub fn from_code(code: &str) -> Option<Denial> {
        Denial::ALL.into_iter().find(|d| d.code() == code)
    }
}
