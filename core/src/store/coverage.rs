//! Visit coverage (走访覆盖率, DESIGN §4 and §5 measures): for the signed-in user's area, how many households each
//! node below it (township, branch, group) has, and how many of them were visited on site within the cadence
//! interval of the USER's level — the figure a township or county checks against "every household every
//! 60 days". Plus the households never visited on site at that level, counted and paged. Computed by one
//! grouped query over `household_last_visit`, never by walking households in Rust.

use linkage_protocol::model::OrgLevel;
use linkage_protocol::rules::{cadence, scope};
use rusqlite::params;

use super::{enum_str, page_limit, parse_enum, HouseholdRow, Store};
use crate::error::Result;

/// Households and visited households under one org node.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageRow {
    pub node_id: String,
    pub name: String,
    pub level: OrgLevel,
    /// Households under the node (county level: the county's contact households only, as for its cadence).
    pub households: u32,
    /// Of those, visited on site at the user's level within the interval (at or after `now − interval`).
    pub visited: u32,
}

/// The coverage screen: the user's own node as the total, every node below it down to groups, and the
/// households never visited on site at the user's level.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitCoverageReport {
    /// The level whose visits count (the user's level) and its cadence interval; `None` when the level has no
    /// cadence, in which case "visited" means visited on site at that level at any time.
    pub level: OrgLevel,
    pub interval_days: Option<u32>,
    pub total: CoverageRow,
    /// Nodes below the user's node (townships, branches, groups), in tree order.
    pub rows: Vec<CoverageRow>,
    pub never_visited: u32,
}

impl Store {
    /// Visit coverage for the signed-in user's area (see [`VisitCoverageReport`]).
    pub fn visit_coverage(&self) -> Result<VisitCoverageReport> {
        let session = self.session()?;
        let level = session.node_level;
        let interval_days = self.policies.cadence.interval_days(level);
        let threshold = interval_days.map_or(i64::MIN, |d| cadence::overdue_threshold_ms(self.now_ms(), d));
        let scope_path = &session.actor.node_path;
        let county_only = county_filter(level);
        // One grouped query: each node's households by path range (indexed), joined to the last on-site
        // visit at the user's level when it is recent enough.
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT n.id, n.name, n.level, count(h.id), count(lv.household_id)
             FROM org_nodes n
             LEFT JOIN households h ON h.path >= n.path AND h.path < substr(n.path, 1, length(n.path) - 1) || '0' {county_only}
             LEFT JOIN household_last_visit lv ON lv.household_id = h.id AND lv.level = ?1 AND lv.last_onsite_ms >= ?4
             WHERE n.path >= ?2 AND n.path < ?3 AND n.level IN ('township', 'branch', 'group')
             GROUP BY n.id ORDER BY n.path"
        ))?;
        let mut rows = stmt
            .query_map(params![enum_str(&level), scope_path, scope::upper_bound(scope_path), threshold], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
            })?
            .map(|r| {
                let (node_id, name, level, households, visited) = r?;
                Ok(CoverageRow { node_id, name, level: parse_enum(&level)?, households, visited })
            })
            .collect::<Result<Vec<_>>>()?;
        let total = match rows.iter().position(|r| r.node_id == session.actor.node_id) {
            Some(i) => rows.remove(i),
            // The county is not in the level filter above: total it over the whole area.
            None => {
                let (households, visited) = self.conn().query_row(
                    &format!(
                        "SELECT count(h.id), count(lv.household_id) FROM households h
                         LEFT JOIN household_last_visit lv ON lv.household_id = h.id AND lv.level = ?1 AND lv.last_onsite_ms >= ?4
                         WHERE h.path >= ?2 AND h.path < ?3 {county_only}"
                    ),
                    params![enum_str(&level), scope_path, scope::upper_bound(scope_path), threshold],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                CoverageRow { node_id: session.actor.node_id.clone(), name: session.node_name.clone(), level, households, visited }
            }
        };
        let never_visited = self.never_visited_count()?;
        Ok(VisitCoverageReport { level, interval_days, total, rows, never_visited })
    }

    fn never_visited_count(&self) -> Result<u32> {
        let session = self.session()?;
        let level = session.node_level;
        let scope_path = &session.actor.node_path;
        Ok(self.conn().query_row(
            &format!(
                "SELECT count(*) FROM households h WHERE h.path >= ?2 AND h.path < ?3 {}
                 AND NOT EXISTS (SELECT 1 FROM household_last_visit lv WHERE lv.household_id = h.id AND lv.level = ?1)",
                county_filter(level)
            ),
            params![enum_str(&level), scope_path, scope::upper_bound(scope_path)],
            |r| r.get(0),
        )?)
    }

    /// Households in the user's area never visited on site at the user's level, by path (group by group), paged;
    /// with the total.
    pub fn never_visited_households(&self, offset: u32, limit: u32) -> Result<(Vec<HouseholdRow>, u64)> {
        let session = self.session()?;
        let level = session.node_level;
        let scope_path = session.actor.node_path.clone();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT h.id FROM households h WHERE h.path >= ?2 AND h.path < ?3 {}
             AND NOT EXISTS (SELECT 1 FROM household_last_visit lv WHERE lv.household_id = h.id AND lv.level = ?1)
             ORDER BY h.path LIMIT ?4 OFFSET ?5",
            county_filter(level)
        ))?;
        let ids = stmt
            .query_map(
                params![enum_str(&level), scope_path, scope::upper_bound(&scope_path), page_limit(limit), offset],
                |r| r.get::<_, String>(0),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let items = ids.iter().map(|id| self.household(id)).collect::<Result<Vec<_>>>()?;
        Ok((items, u64::from(self.never_visited_count()?)))
    }
}

/// The county's cadence covers its contact households only (DESIGN §4).
fn county_filter(level: OrgLevel) -> &'static str {
    if level == OrgLevel::County {
        "AND h.county_contact = 1"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::VisitInput;
    use super::*;
    use linkage_protocol::model::{GpsFix, VisitKind};

    const DAY: i64 = 86_400_000;

    fn visit_at(s: &mut Store, household: &str, lat: f64, lon: f64, started: i64) {
        let fix = GpsFix { lat, lon, accuracy_m: 5.0, fix_time_ms: started, mocked: false };
        s.record_visit(VisitInput {
            household_id: household.into(),
            kind: VisitKind::Routine,
            started_at_ms: started,
            ended_at_ms: started + 600_000,
            fix: Some(fix),
            notes: String::new(),
            evidence: vec![],
            issue_id: None,
        })
        .unwrap();
    }

    fn row<'a>(r: &'a VisitCoverageReport, id: &str) -> &'a CoverageRow {
        r.rows.iter().find(|r| r.node_id == id).unwrap()
    }

    #[test]
    fn branch_coverage_by_group_within_the_interval() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap(); // branch b1: cadence 60 days
        visit_at(&mut s, "h1", 35.58, 109.26, NOW - 10 * DAY); // on site, recent
        visit_at(&mut s, "h2", 35.581, 109.262, NOW - 60 * DAY); // on site, exactly 60 days ago: still counts
        visit_at(&mut s, "h3", 35.59, 109.27, NOW - 61 * DAY); // on site, too old
        visit_at(&mut s, "h5", 35.0, 109.0, NOW - DAY); // h5 has no point: NoReference, not on site
        let r = s.visit_coverage().unwrap();
        assert_eq!((r.level, r.interval_days), (OrgLevel::Branch, Some(60)));
        assert_eq!((r.total.node_id.as_str(), r.total.households, r.total.visited), ("b1", 4, 2));
        assert_eq!(r.rows.iter().map(|r| r.node_id.as_str()).collect::<Vec<_>>(), ["g1", "g2"]);
        assert_eq!((row(&r, "g1").households, row(&r, "g1").visited), (2, 2));
        assert_eq!((row(&r, "g2").households, row(&r, "g2").visited), (2, 0));
        assert_eq!(r.never_visited, 1, "h5: h3 was visited on site once, long ago");
        let (never, total) = s.never_visited_households(0, 10).unwrap();
        assert_eq!((never.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), total), (vec!["h5"], 1));

        // The township's view counts the township's own visits (none yet), by branch and group.
        s.sign_in("ts").unwrap();
        let r = s.visit_coverage().unwrap();
        assert_eq!((r.level, r.interval_days), (OrgLevel::Township, Some(180)));
        assert_eq!((r.total.households, r.total.visited), (4, 0));
        assert_eq!(r.rows.iter().map(|r| r.node_id.as_str()).collect::<Vec<_>>(), ["b1", "g1", "g2"]);
        assert_eq!(r.never_visited, 4);
        let (page, total) = s.never_visited_households(1, 2).unwrap();
        assert_eq!((page.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), total), (vec!["h2", "h3"], 4));
    }

    #[test]
    fn county_counts_its_contact_households_by_township() {
        let (mut s, _) = store();
        s.sign_in("cs").unwrap();
        let r = s.visit_coverage().unwrap();
        assert_eq!((r.total.node_id.as_str(), r.total.households, r.total.visited), ("c", 1, 0));
        assert_eq!(r.rows.iter().map(|r| r.node_id.as_str()).collect::<Vec<_>>(), ["t1", "b1", "g1", "g2", "t2", "b2", "g3"]);
        assert_eq!(row(&r, "g2").households, 1, "h3 is the county's contact household");
        assert_eq!(row(&r, "t2").households, 0);
        visit_at(&mut s, "h3", 35.59, 109.27, NOW - DAY);
        let r = s.visit_coverage().unwrap();
        assert_eq!((r.total.visited, row(&r, "t1").visited, r.never_visited), (1, 1, 0));
        // A liaison head's level has no cadence: any on-site visit at the group level counts; no rows below.
        s.sign_in("lh").unwrap();
        let r = s.visit_coverage().unwrap();
        assert_eq!((r.interval_days, r.total.households, r.total.visited, r.rows.len()), (None, 2, 0, 0));
        visit_at(&mut s, "h1", 35.58, 109.26, NOW - 400 * DAY);
        assert_eq!(s.visit_coverage().unwrap().total.visited, 1);
    }
}
