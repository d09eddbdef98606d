//! People and the org tree (人员与组织树) as the pickers need them: the users of the signed-in user's area by
//! role and node, the nodes under a root down to a depth (directive targets, dashboards), and the people an
//! issue may be assigned to (交办对象) — judged by the same shared rule the server applies, so a picker never
//! offers someone the assignment would refuse. All from the bundle the server sent (name, role, node only).

use linkage_protocol::model::{OrgLevel, Role};
use linkage_protocol::rules::{lifecycle, scope};
use linkage_protocol::validate;
use rusqlite::params;

use super::{enum_str, page_limit, parse_enum, Store};
use crate::error::{Error, Result};

/// A user of the area with where they work.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRow {
    pub user_id: String,
    pub name: String,
    pub role: Role,
    pub node_id: String,
    pub node_name: String,
    pub node_level: OrgLevel,
}

/// One node of the org tree below a root.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgNodeRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub level: OrgLevel,
    /// Levels below the root (its children: 1).
    pub depth: u32,
    /// Direct child nodes, and households under the node (whole subtree).
    pub children: u32,
    pub households: u32,
}

const PERSON: &str = "SELECT u.id, u.name, u.role, n.id, n.name, n.level FROM users u JOIN org_nodes n ON n.id = u.node_id";

fn map_person(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, String, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn person(raw: (String, String, String, String, String, String)) -> Result<PersonRow> {
    let (user_id, name, role, node_id, node_name, level) = raw;
    Ok(PersonRow { user_id, name, role: parse_enum(&role)?, node_id, node_name, node_level: parse_enum(&level)? })
}

/// Path depth (number of segments) in SQL.
const DEPTH: &str = "(length(n.path) - length(replace(n.path, '/', '')))";

impl Store {
    /// The path of `node_id` when it lies in the user's area (else `NotFound`, as for anything out of scope);
    /// `None` means the user's own node.
    fn node_in_scope(&self, node_id: Option<&str>) -> Result<String> {
        let actor = self.actor()?;
        let Some(id) = node_id else { return Ok(actor.node_path.clone()) };
        validate::id("node_id", id)?;
        let node = self.node(id)?;
        if !actor.sees(&node.path) {
            return Err(Error::not_found("node", id));
        }
        Ok(node.path)
    }

    /// Users working at `node_id` or below it (default: the user's node), optionally of one role, by level
    /// from the top and then by name; paged, with the total.
    pub fn people_in_scope(&self, role: Option<Role>, node_id: Option<&str>, offset: u32, limit: u32) -> Result<(Vec<PersonRow>, u64)> {
        let root = self.node_in_scope(node_id)?;
        let role = role.map(|r| enum_str(&r));
        let filter = "n.path >= ?1 AND n.path < ?2 AND (?3 IS NULL OR u.role = ?3)";
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("{PERSON} WHERE {filter} ORDER BY {DEPTH}, n.path, u.name, u.id LIMIT ?4 OFFSET ?5"))?;
        let items = stmt
            .query_map(params![root, scope::upper_bound(&root), role, page_limit(limit), offset], map_person)?
            .map(|r| person(r?))
            .collect::<Result<Vec<_>>>()?;
        let total: u64 = self.conn().query_row(
            &format!("SELECT count(*) FROM users u JOIN org_nodes n ON n.id = u.node_id WHERE {filter}"),
            params![root, scope::upper_bound(&root), role],
            |r| r.get(0),
        )?;
        Ok((items, total))
    }

    /// The people the issue may be assigned to now (交办对象): users at the issue's node or the levels above it,
    /// inside the owning level, who are staff or grid workers — exactly those `check_assignee` accepts — the
    /// nearest to the issue first. The issue must be in scope.
    pub fn assignee_candidates(&self, issue_id: &str) -> Result<Vec<PersonRow>> {
        let issue = self.issue_row(issue_id)?.projection;
        let owner = self.node(&issue.owner_node_id)?;
        // The issue's node and its ancestors: the only places an assignee may work.
        let mut stmt = self.conn().prepare_cached(&format!(
            "{PERSON} WHERE substr(?1, 1, length(n.path)) = n.path AND n.path >= ?2 ORDER BY {DEPTH} DESC, u.name, u.id"
        ))?;
        let rows = stmt.query_map(params![issue.path, owner.path], |r| {
            let raw = map_person(r)?;
            Ok(raw)
        })?;
        let mut out = Vec::new();
        for raw in rows {
            let p = person(raw?)?;
            let (_, path, _) = self.user_role_path(&p.user_id)?;
            if lifecycle::check_assignee(&owner.path, &issue.path, p.role, &path).is_ok() {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// The org tree under `root` (default: the user's node; it must lie in the user's area) down to `depth`
    /// levels (1: the children), in tree order (each node before its children), with each node's child and
    /// household counts; paged, with the total.
    pub fn org_tree(&self, root: Option<&str>, depth: u32, offset: u32, limit: u32) -> Result<(Vec<OrgNodeRow>, u64)> {
        if depth == 0 || depth > 4 {
            return Err(Error::invalid("depth", "must be 1 to 4 levels"));
        }
        let root = self.node_in_scope(root)?;
        let root_depth = root.matches('/').count() as u32;
        let filter = format!("n.path > ?1 AND n.path < ?2 AND {DEPTH} <= ?3");
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT n.id, n.parent_id, n.name, n.level, {DEPTH} - ?4,
                    (SELECT count(*) FROM org_nodes c WHERE c.parent_id = n.id),
                    (SELECT count(*) FROM households h WHERE h.path >= n.path AND h.path < substr(n.path, 1, length(n.path) - 1) || '0')
             FROM org_nodes n WHERE {filter} ORDER BY n.path LIMIT ?5 OFFSET ?6"
        ))?;
        let upper = scope::upper_bound(&root);
        let max_depth = root_depth + depth;
        let items = stmt
            .query_map(params![root, upper, max_depth, root_depth, page_limit(limit), offset], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, u32>(5)?,
                    r.get::<_, u32>(6)?,
                ))
            })?
            .map(|r| {
                let (id, parent_id, name, level, depth, children, households) = r?;
                Ok(OrgNodeRow { id, parent_id, name, level: parse_enum(&level)?, depth, children, households })
            })
            .collect::<Result<Vec<_>>>()?;
        let total: u64 = self.conn().query_row(
            &format!("SELECT count(*) FROM org_nodes n WHERE {filter}"),
            params![root, upper, max_depth],
            |r| r.get(0),
        )?;
        Ok((items, total))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::IssueCommand;

    #[test]
    fn people_by_role_and_node_within_scope() {
        let (mut s, _) = store();
        s.sign_in("ts").unwrap();
        let (all, total) = s.people_in_scope(None, None, 0, 50).unwrap();
        assert_eq!(total, 4);
        assert_eq!(all.iter().map(|p| p.user_id.as_str()).collect::<Vec<_>>(), ["ts", "gw", "lh", "lh2"], "top-down, by path");
        assert_eq!((all[1].name.as_str(), all[1].node_name.as_str(), all[1].node_level), ("网格员", "石堡村党支部", OrgLevel::Branch));
        let (gws, total) = s.people_in_scope(Some(Role::GridWorker), None, 0, 50).unwrap();
        assert_eq!((gws.len(), total, gws[0].user_id.as_str()), (1, 1, "gw"));
        let (page, total) = s.people_in_scope(Some(Role::LiaisonHead), Some("b1"), 1, 1).unwrap();
        assert_eq!((page[0].user_id.as_str(), total), ("lh2", 2));
        // Another township's node is out of scope, like an unknown one.
        assert!(matches!(s.people_in_scope(None, Some("t2"), 0, 10), Err(Error::NotFound { .. })));
        assert!(matches!(s.people_in_scope(None, Some("zz"), 0, 10), Err(Error::NotFound { .. })));
        assert!(matches!(s.people_in_scope(None, Some("a/b"), 0, 10), Err(Error::Field(_))));
        s.sign_in("cs").unwrap();
        assert_eq!(s.people_in_scope(Some(Role::GridWorker), None, 0, 10).unwrap().1, 2);
    }

    #[test]
    fn org_tree_to_a_depth_in_tree_order() {
        let (mut s, _) = store();
        s.sign_in("cs").unwrap();
        let (children, total) = s.org_tree(None, 1, 0, 50).unwrap();
        assert_eq!((children.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), total), (vec!["t1", "t2"], 2));
        assert_eq!((children[0].name.as_str(), children[0].depth, children[0].children, children[0].households), ("石堡镇", 1, 1, 4));
        let (tree, total) = s.org_tree(None, 4, 0, 50).unwrap();
        assert_eq!(tree.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(), ["t1", "b1", "g1", "g2", "t2", "b2", "g3"]);
        assert_eq!((total, tree[2].depth, tree[2].parent_id.as_deref()), (7, 3, Some("b1")));
        let (page, total) = s.org_tree(Some("t1"), 2, 1, 1).unwrap();
        assert_eq!((page[0].id.as_str(), total), ("g1", 3));
        assert!(matches!(s.org_tree(None, 0, 0, 10), Err(Error::Field(_))));
        s.sign_in("lh").unwrap();
        assert!(s.org_tree(None, 1, 0, 10).unwrap().0.is_empty(), "a group has no child nodes");
        assert!(matches!(s.org_tree(Some("b1"), 1, 0, 10), Err(Error::NotFound { .. })), "above the user's node");
    }

    #[test]
    fn assignment_stays_in_the_issues_own_area() {
        let (mut s, _) = store();
        // A second branch of the same township, with its grid worker.
        s.load_bundle(
            r#"{"nodes":[{"id":"b3","parent_id":"t1","level":"branch","name":"石堡二村党支部","code":"610631100003"}],
                "users":[{"id":"gw3","name":"二村网格员","role":"grid_worker","node_id":"b3"}]}"#,
        )
        .unwrap();
        s.sign_in("lh").unwrap();
        let id = s.report_issue(crate::store::issues::tests_support::draft()).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        let candidates = s.assignee_candidates(&id).unwrap();
        assert_eq!(candidates.iter().map(|p| p.user_id.as_str()).collect::<Vec<_>>(), ["gw", "ts"], "nearest first");
        assert!(s.people_in_scope(Some(Role::GridWorker), None, 0, 10).unwrap().0.iter().any(|p| p.user_id == "gw3"));
        let before = snapshot(&s);
        let wrong_branch = s.perform_issue_action(&id, IssueCommand::Assign { assignee_id: "gw3".into() });
        assert!(
            matches!(wrong_branch, Err(Error::Rule(linkage_protocol::rules::RuleError::NotPermitted(linkage_protocol::rules::Denial::AssigneeOutsideArea)))),
            "{wrong_branch:?}"
        );
        assert_eq!(snapshot(&s), before, "the refusal wrote nothing");
        s.perform_issue_action(&id, IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();
    }
}
