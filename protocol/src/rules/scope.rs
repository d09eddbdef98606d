//! Scope by materialized path: a user sees an entity when the entity's path lies under the user's node path.
//! Paths are `/id/id/.../` with a trailing slash, so a prefix test never confuses `/t1/` with `/t10/`.

/// True when `path` is at or under `scope` (both materialized paths ending in `/`).
pub fn within(scope: &str, path: &str) -> bool {
    path.starts_with(scope)
}

/// The exclusive upper bound for a range scan of every path under `scope`:
/// `path >= scope AND path < upper_bound(scope)`. Works because ids never contain `/` and `'0'` follows `'/'`.
pub fn upper_bound(scope: &str) -> String {
    let mut s = scope.trim_end_matches('/').to_string();
    s.push('0');
    s
}

/// The path of a child node.
pub fn child_path(parent_path: &str, id: &str) -> String {
    format!("{parent_path}{id}/")
}

/// The strict ancestors' paths of a materialized path: `/c/t/b/` → `["/c/", "/c/t/"]`.
pub fn ancestor_paths(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    (1..segments.len()).map(|i| format!("/{}/", segments[..i].join("/"))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_of_a_path() {
        assert_eq!(ancestor_paths("/c/t/b/"), vec!["/c/".to_string(), "/c/t/".to_string()]);
        assert!(ancestor_paths("/c/").is_empty());
    }

    #[test]
    fn prefix_respects_segment_boundaries() {
        assert!(within("/c/t1/", "/c/t1/b1/"));
        assert!(within("/c/t1/", "/c/t1/"));
        assert!(!within("/c/t1/", "/c/t10/b1/"));
        assert!(!within("/c/t1/b1/", "/c/t1/"));
    }

    #[test]
    fn upper_bound_orders_after_every_descendant() {
        let ub = upper_bound("/c/t1/");
        assert_eq!(ub, "/c/t10");
        for p in ["/c/t1/", "/c/t1/b1/", "/c/t1/zzzz/ZZ/", "/c/t1/~/"] {
            assert!(p >= "/c/t1/" && p < ub.as_str(), "{p}");
        }
        assert!("/c/t10/" >= ub.as_str());
        assert!("/c/t2/" >= ub.as_str());
    }
}

/// The node that first owns an issue at `path`: the township on the path (segment 2), or the county when the
/// issue sits at county level. Paths always start at the county (the bundle loader enforces it).
pub fn first_owner(path: &str) -> Option<&str> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let county = segments.next()?;
    Some(segments.next().unwrap_or(county))
}

#[cfg(test)]
mod owner_tests {
    #[test]
    fn first_owner_is_the_township() {
        assert_eq!(super::first_owner("/c/t1/b1/g1/h1/"), Some("t1"));
        assert_eq!(super::first_owner("/c/t1/"), Some("t1"));
        assert_eq!(super::first_owner("/c/"), Some("c"));
        assert_eq!(super::first_owner("/"), None);
    }
}

use crate::model::Role;

/// The first screen a role lands on (DESIGN §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HomeScreen {
    /// 网格员: today's visits, assigned issues, directives to sign.
    Today,
    /// 联户长: my group's households, directives to relay, my reports.
    Liaison,
    /// 乡镇/县级干部: the triage queue.
    Triage,
    /// 支部书记: the branch's queue (issues landing at the village), then directives to sign and relay.
    Branch,
}

/// What a role may do at all, so the shells show only the screens and buttons that can work (each action is
/// still checked by its own rule when taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub home: HomeScreen,
    /// 就地解决 on the report form: only the reporting grid worker may (`Denial::NotOnSpotReporter`).
    pub resolve_on_spot: bool,
    /// The directive inbox: every role (the county's own directives with their coverage; others sign and relay).
    pub directive_inbox: bool,
    /// Record households' acknowledgements (`directive::authorize_household_ack`).
    pub record_household_acks: bool,
    /// Issue directives and watch their coverage (`directive::authorize_issue`).
    pub issue_directives: bool,
    /// Triage issues owned by the node (accept, assign, ...).
    pub triage: bool,
}

/// What `role` may do (see [`Capabilities`]).
pub fn capabilities(role: Role) -> Capabilities {
    let staff = matches!(role, Role::CountyStaff | Role::TownshipStaff);
    Capabilities {
        home: match role {
            Role::GridWorker => HomeScreen::Today,
            Role::LiaisonHead => HomeScreen::Liaison,
            Role::TownshipStaff | Role::CountyStaff => HomeScreen::Triage,
            Role::BranchSecretary => HomeScreen::Branch,
        },
        resolve_on_spot: role == Role::GridWorker,
        directive_inbox: true,
        record_household_acks: matches!(role, Role::LiaisonHead | Role::GridWorker),
        issue_directives: staff || matches!(role, Role::GridWorker | Role::BranchSecretary),
        triage: role.handles_issues(),
    }
}

#[cfg(test)]
mod capability_tests {
    use super::*;
    use crate::model::Actor;
    use crate::rules::{directive, Denial, RuleError};

    /// The capabilities agree with the rules that decide each step.
    #[test]
    fn capabilities_follow_the_rules() {
        for role in Role::ALL {
            let c = capabilities(role);
            let actor = Actor { user_id: "u".into(), role, node_id: "n".into(), node_path: "/c/".into() };
            let issues = directive::authorize_issue(&actor, "/c/t/", crate::model::DirectiveKind::Notice, None, 0).is_ok();
            assert_eq!(c.issue_directives, issues, "{role:?}");
            let acks = !matches!(
                directive::authorize_household_ack(&actor, "/c/", "/c/h/", true),
                Err(RuleError::NotPermitted(Denial::NotHouseholdLiaison))
            );
            assert_eq!(c.record_household_acks, acks, "{role:?}");
            assert_eq!(c.triage, matches!(c.home, HomeScreen::Triage | HomeScreen::Branch));
            assert_eq!(c.triage, role.handles_issues(), "{role:?}");
        }
    }
}
