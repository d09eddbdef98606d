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

/// One UTC day in ms: the bucket of `group_visit_days`.
const DAY_MS: i64 = 86_400_000;

/// Households and visited households of one villager group, at one level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct GroupCounts {
    households: u32,
    visited: u32,
    /// Visited on site at the level at any time.
    ever_visited: u32,
}

impl Store {
    /// Visit coverage for the signed-in user's area (see [`VisitCoverageReport`]). Reads the per-group
    /// aggregates kept by triggers (schema version 4: `group_household_counts`, `group_visit_days`) and rolls
    /// them up the tree: a few rows per villager group, never every household.
    pub fn visit_coverage(&self) -> Result<VisitCoverageReport> {
        let session = self.session()?;
        let level = session.node_level;
        let interval_days = self.policies.cadence.interval_days(level);
        let threshold = interval_days.map(|d| cadence::overdue_threshold_ms(self.now_ms(), d));
        let scope_path = &session.actor.node_path;
        let counts = self.group_counts(level, threshold)?;
        // Every node of the area, parents first; each group's counts are added to it and its ancestors.
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, name, level, parent_id FROM org_nodes WHERE path >= ?1 AND path < ?2 ORDER BY path",
        )?;
        let nodes = stmt
            .query_map(params![scope_path, scope::upper_bound(scope_path)], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<String>>(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let index: std::collections::HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.0.as_str(), i)).collect();
        let mut sums = vec![GroupCounts::default(); nodes.len()];
        for (group, c) in &counts {
            let mut at = index.get(group.as_str()).copied();
            while let Some(i) = at {
                sums[i].households += c.households;
                sums[i].visited += c.visited;
                sums[i].ever_visited += c.ever_visited;
                at = nodes[i].3.as_deref().and_then(|p| index.get(p).copied());
            }
        }
        let mut total = None;
        let mut rows = Vec::new();
        for ((id, name, node_level, _), sum) in nodes.into_iter().zip(&sums) {
            let node_level: OrgLevel = parse_enum(&node_level)?;
            let row = CoverageRow { node_id: id, name, level: node_level, households: sum.households, visited: sum.visited };
            if row.node_id == session.actor.node_id {
                total = Some((row, sum.households.saturating_sub(sum.ever_visited)));
            } else if matches!(node_level, OrgLevel::Township | OrgLevel::Branch | OrgLevel::Group) {
                rows.push(row);
            }
        }
        let (total, never_visited) = total.unwrap_or_else(|| {
            let node = CoverageRow { node_id: session.actor.node_id.clone(), name: session.node_name.clone(), level, households: 0, visited: 0 };
            (node, 0)
        });
        Ok(VisitCoverageReport { level, interval_days, total, rows, never_visited })
    }

    /// Per villager group of the user's area: households (the county level: its contact households only),
    /// those whose last on-site visit at `level` is at or after `threshold` (`None`: at any time), and those
    /// ever visited on site at `level`. Whole days after the threshold's day come from `group_visit_days`; the
    /// threshold's own day is counted exactly from `household_last_visit`.
    fn group_counts(&self, level: OrgLevel, threshold: Option<i64>) -> Result<std::collections::HashMap<String, GroupCounts>> {
        let session = self.session()?;
        let scope_path = &session.actor.node_path;
        let upper = scope::upper_bound(scope_path);
        let column = if level == OrgLevel::County { "county_contacts" } else { "households" };
        let mut out: std::collections::HashMap<String, GroupCounts> = std::collections::HashMap::new();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT c.group_id, c.{column} FROM org_nodes n JOIN group_household_counts c ON c.group_id = n.id
             WHERE n.path >= ?1 AND n.path < ?2 AND n.level = 'group'"
        ))?;
        for row in stmt.query_map(params![scope_path, upper], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))? {
            let (group, n) = row?;
            out.entry(group).or_default().households = n;
        }
        // Visits at or after the threshold lie on its day or later: whole later days from the aggregate.
        let threshold_day = threshold.map_or(i64::MIN, |t| if t <= 0 { i64::MIN } else { t / DAY_MS });
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT d.group_id, sum(d.{column}) FILTER (WHERE d.day > ?4), sum(d.{column})
             FROM org_nodes n JOIN group_visit_days d ON d.group_id = n.id AND d.level = ?3
             WHERE n.path >= ?1 AND n.path < ?2 AND n.level = 'group' GROUP BY d.group_id"
        ))?;
        let rows = stmt.query_map(params![scope_path, upper, enum_str(&level), threshold_day], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<u32>>(1)?, r.get::<_, Option<u32>>(2)?))
        })?;
        for row in rows {
            let (group, later, ever) = row?;
            let c = out.entry(group).or_default();
            c.visited += later.unwrap_or(0);
            c.ever_visited += ever.unwrap_or(0);
        }
        if threshold_day != i64::MIN {
            let t = threshold.unwrap_or(0);
            let contact = if level == OrgLevel::County { "AND h.county_contact = 1" } else { "" };
            let mut stmt = self.conn().prepare_cached(&format!(
                "SELECT h.group_id, count(*) FROM household_last_visit lv JOIN households h ON h.id = lv.household_id
                 WHERE lv.level = ?3 AND lv.last_onsite_ms >= ?4 AND lv.last_onsite_ms < ?5 AND h.path >= ?1 AND h.path < ?2 {contact}
                 GROUP BY h.group_id"
            ))?;
            let rows = stmt.query_map(params![scope_path, upper, enum_str(&level), t, (threshold_day + 1) * DAY_MS], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
            })?;
            for row in rows {
                let (group, n) = row?;
                out.entry(group).or_default().visited += n;
            }
        }
        Ok(out)
    }

    fn never_visited_count(&self) -> Result<u32> {
        Ok(self.visit_coverage()?.never_visited)
    }

    /// Visit coverage computed from scratch over every household (the definition the aggregates must equal;
    /// tests compare both).
    #[cfg(test)]
    pub(crate) fn visit_coverage_from_scratch(&self) -> Result<VisitCoverageReport> {
        let session = self.session()?;
        let level = session.node_level;
        let interval_days = self.policies.cadence.interval_days(level);
        let threshold = interval_days.map_or(i64::MIN, |d| cadence::overdue_threshold_ms(self.now_ms(), d));
        let scope_path = &session.actor.node_path;
        let county_only = county_filter(level);
        let mut stmt = self.conn().prepare(&format!(
            "SELECT n.id, n.name, n.level, count(h.id), count(lv.household_id)
             FROM org_nodes n
             LEFT JOIN households h ON h.path >= n.path AND h.path < substr(n.path, 1, length(n.path) - 1) || '0' {county_only}
             LEFT JOIN household_last_visit lv ON lv.household_id = h.id AND lv.level = ?1 AND lv.last_onsite_ms >= ?4
             WHERE n.path >= ?2 AND n.path < ?3
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
        let i = rows.iter().position(|r| r.node_id == session.actor.node_id).expect("the user's node is in scope");
        let total = rows.remove(i);
        rows.retain(|r| matches!(r.level, OrgLevel::Township | OrgLevel::Branch | OrgLevel::Group));
        let never_visited = self.conn().query_row(
            &format!(
                "SELECT count(*) FROM households h WHERE h.path >= ?2 AND h.path < ?3 {county_only}
                 AND NOT EXISTS (SELECT 1 FROM household_last_visit lv WHERE lv.household_id = h.id AND lv.level = ?1)"
            ),
            params![enum_str(&level), scope_path, scope::upper_bound(scope_path)],
            |r| r.get(0),
        )?;
        Ok(VisitCoverageReport { level, interval_days, total, rows, never_visited })
    }

    /// The coverage rows below the user's node (townships, branches, groups) in tree order, paged, with how
    /// many there are (a county has hundreds). The roll-up is cheap (per-group aggregates), so a page is cut
    /// from it.
    pub fn visit_coverage_rows(&self, offset: u32, limit: u32) -> Result<(Vec<CoverageRow>, u64)> {
        let rows = self.visit_coverage()?.rows;
        let total = rows.len() as u64;
        let page = rows.into_iter().skip(offset as usize).take(page_limit(limit) as usize).collect();
        Ok((page, total))
    }

    /// The coverage screen's summary: the total and the never-visited count without the rows, and how many
    /// rows [`Store::visit_coverage_rows`] pages.
    pub fn visit_coverage_summary(&self) -> Result<(VisitCoverageReport, u64)> {
        let mut report = self.visit_coverage()?;
        let row_total = report.rows.len() as u64;
        report.rows = Vec::new();
        Ok((report, row_total))
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

    /// A ten-minute routine visit starting at `started`, its fix taken at the end (fresh, never stale).
    fn try_visit_at(s: &mut Store, household: &str, lat: f64, lon: f64, started: i64) -> crate::error::Result<()> {
        let fix = GpsFix { lat, lon, accuracy_m: 5.0, fix_time_ms: started + 590_000, mocked: false };
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
        .map(|_| ())
    }

    fn visit_at(s: &mut Store, household: &str, lat: f64, lon: f64, started: i64) {
        try_visit_at(s, household, lat, lon, started).unwrap();
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

    /// Property: after random visit histories (random visitors, households, times, fixes on site or not —
    /// so the aggregates' triggers see inserts and later and earlier updates), every user's coverage from the
    /// per-group aggregates equals the coverage computed from scratch over every household, at random "now"s
    /// (thresholds falling inside days that hold visits).
    #[test]
    fn aggregates_equal_from_scratch_over_random_histories() {
        let (mut s, clock) = store();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let points = [("h1", 35.58, 109.26), ("h2", 35.581, 109.262), ("h3", 35.59, 109.27), ("h4", 35.4, 109.5), ("h5", 35.0, 109.0)];
        let users = ["cs", "ts", "ts2", "gw", "gw2", "lh", "lh2"];
        let (mut visited_seen, mut boundary_days) = (0, 0);
        for round in 0..12 {
            for _ in 0..8 {
                let user = users[next(users.len() as u64) as usize];
                s.sign_in(user).unwrap();
                let (h, lat, lon) = points[next(points.len() as u64) as usize];
                let started = NOW - next(400 * DAY as u64) as i64;
                // Off-scope visits are refused; that is fine, the aggregates must not see them either.
                let on_site = next(4) != 0;
                let _ = try_visit_at(&mut s, h, if on_site { lat } else { lat + 0.1 }, lon, started);
            }
            clock.set(NOW + next(200 * DAY as u64) as i64);
            for user in users {
                s.sign_in(user).unwrap();
                let got = s.visit_coverage().unwrap();
                assert_eq!(got, s.visit_coverage_from_scratch().unwrap(), "round {round}, {user}");
                visited_seen += got.total.visited;
                // Thresholds that fall on a day holding a visit exercise the exact count of that day.
                if let Some(d) = got.interval_days {
                    let t = linkage_protocol::rules::cadence::overdue_threshold_ms(s.now_ms(), d);
                    boundary_days += s
                        .conn()
                        .query_row("SELECT count(*) FROM household_last_visit WHERE last_onsite_ms / 86400000 = ?1", [t / DAY], |r| r.get::<_, u32>(0))
                        .unwrap();
                }
            }
            clock.set(NOW);
        }
        assert!(visited_seen > 0, "the histories visit households on site");
        let _ = boundary_days;
    }

    #[test]
    fn county_counts_its_contact_households_by_township() {
        let (mut s, _) = store();
        s.sign_in("cs").unwrap();
        let r = s.visit_coverage().unwrap();
        assert_eq!((r.total.node_id.as_str(), r.total.households, r.total.visited), ("c", 1, 0));
        assert_eq!(r.rows.iter().map(|r| r.node_id.as_str()).collect::<Vec<_>>(), ["t1", "b1", "g1", "g2", "t2", "b2", "g3"]);
        // Paged the same way as every list: a page of rows in tree order and how many there are.
        let (page, total) = s.visit_coverage_rows(2, 3).unwrap();
        assert_eq!((page.iter().map(|r| r.node_id.as_str()).collect::<Vec<_>>(), total), (vec!["g1", "g2", "t2"], 7));
        assert_eq!(page, r.rows[2..5].to_vec(), "a page holds exactly the rows of the whole report");
        let (summary, rows) = s.visit_coverage_summary().unwrap();
        assert_eq!((summary.total.clone(), summary.never_visited, rows, summary.rows.len()), (r.total.clone(), r.never_visited, 7, 0));
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
