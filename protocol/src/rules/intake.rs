//! Where a new report lands first (首接层级): the township on the issue's path by default (DESIGN §5), or —
//! when the county sets `intake.liaison_reports = branch` — the village branch (村党支部) for reports made by a
//! liaison head (联户长), so the branch secretary (支部书记) can settle what the village can settle and escalate
//! the rest to the township (支部组织, ADR 0008). The phone writes the owner this rule gives under the settings
//! it holds; the server accepts any owner the rule can give for that reporter (a phone whose settings are a
//! step behind must not lose a villager's report to quarantine).

use serde::{Deserialize, Serialize};

use crate::model::Role;
use crate::rules::scope;

/// The level a report lands at first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum IntakeLevel {
    /// 乡镇: the township's triage queue (today's behaviour).
    #[default]
    Township,
    /// 村党支部: the village branch's queue, handled by its branch secretary.
    Branch,
}

impl IntakeLevel {
    /// The setting's value as the CLI writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            IntakeLevel::Township => "township",
            IntakeLevel::Branch => "branch",
        }
    }

    /// Parses the CLI's words (`township`/`乡镇`, `branch`/`村`/`支部`).
    pub fn parse(text: &str) -> Option<IntakeLevel> {
        match text.trim() {
            "township" | "乡镇" => Some(IntakeLevel::Township),
            "branch" | "村" | "支部" | "村党支部" => Some(IntakeLevel::Branch),
            _ => None,
        }
    }
}

/// The county's intake setting (县级配置 `intake`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct IntakePolicy {
    /// Where a liaison head's report lands first (default: the township).
    #[serde(default)]
    pub liaison_reports: IntakeLevel,
}

/// The branch segment of a path (`/c/t/b/...` → `b`), when the path reaches a branch.
fn branch_of(path: &str) -> Option<&str> {
    path.split('/').filter(|s| !s.is_empty()).nth(2)
}

/// The node that first owns a report about `path` made by a user with `reporter` role under `policy`: the
/// branch on the path for a liaison head's report when the county says so, else the township
/// ([`scope::first_owner`]).
pub fn first_owner<'p>(path: &'p str, reporter: Role, policy: &IntakePolicy) -> Option<&'p str> {
    if reporter == Role::LiaisonHead && policy.liaison_reports == IntakeLevel::Branch {
        if let Some(branch) = branch_of(path) {
            return Some(branch);
        }
    }
    scope::first_owner(path)
}

/// Whether `owner` is a first owner the rule can give for a report about `path` by `reporter` under some
/// setting: the township always, the branch for a liaison head's report (the server's check; see the module
/// docs for why it does not insist on its own current setting).
pub fn is_first_owner(path: &str, reporter: Role, owner: &str) -> bool {
    [IntakeLevel::Township, IntakeLevel::Branch]
        .into_iter()
        .any(|level| first_owner(path, reporter, &IntakePolicy { liaison_reports: level }) == Some(owner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liaison_reports_land_at_the_branch_only_when_the_county_says_so() {
        let township = IntakePolicy::default();
        let branch = IntakePolicy { liaison_reports: IntakeLevel::Branch };
        let h = "/c/t1/b1/g1/h1/";
        for role in Role::ALL {
            assert_eq!(first_owner(h, role, &township), Some("t1"), "{role:?}: default unchanged");
            let want = if role == Role::LiaisonHead { "b1" } else { "t1" };
            assert_eq!(first_owner(h, role, &branch), Some(want), "{role:?}");
        }
        assert_eq!(first_owner("/c/t1/b1/g1/", Role::LiaisonHead, &branch), Some("b1"), "a place in the group");
        assert_eq!(first_owner("/c/t1/", Role::LiaisonHead, &branch), Some("t1"), "no branch on the path");
        assert!(is_first_owner(h, Role::LiaisonHead, "b1") && is_first_owner(h, Role::LiaisonHead, "t1"));
        assert!(!is_first_owner(h, Role::GridWorker, "b1"), "a grid worker's report goes to the township");
        assert!(!is_first_owner(h, Role::LiaisonHead, "g1") && !is_first_owner(h, Role::LiaisonHead, "b2"));
        assert!(!is_first_owner(h, Role::LiaisonHead, "c"));
    }

    #[test]
    fn the_setting_reads_and_defaults() {
        let p: IntakePolicy = serde_json::from_str(r#"{"liaison_reports":"branch"}"#).unwrap();
        assert_eq!(p.liaison_reports, IntakeLevel::Branch);
        assert_eq!(serde_json::from_str::<IntakePolicy>("{}").unwrap(), IntakePolicy::default());
        assert!(serde_json::from_str::<IntakePolicy>(r#"{"liaison_reports":"group"}"#).is_err());
        assert_eq!(IntakeLevel::parse(" 村 "), Some(IntakeLevel::Branch));
        assert_eq!(IntakeLevel::parse("township"), Some(IntakeLevel::Township));
        assert_eq!(IntakeLevel::parse("county"), None);
    }
}
