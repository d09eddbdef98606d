//! The org tree, users and the household ledger as the server sends them: a JSON bundle loaded in one
//! transaction after every node, household and user is checked (levels nest, parents exist, codes and
//! coordinates are valid). A bad bundle changes nothing and says which item is wrong, by id.

use std::collections::HashMap;

use linkage_protocol::model::{OrgLevel, Role};
use linkage_protocol::rules::{geo, scope};
use linkage_protocol::validate::{self, limits};
use linkage_protocol::wire::{Bundle, BundleHousehold, BundleNode, BundleUser};
use rusqlite::{params, OptionalExtension};

use super::{enum_str, parse_enum, Store};
use crate::error::{Error, Result};

/// Counts of what a bundle load stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleCounts {
    pub nodes: u32,
    pub households: u32,
    pub users: u32,
}

/// One org node as stored.
#[derive(Debug, Clone)]
pub struct NodeRow {
    pub id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub name: String,
    pub path: String,
}

fn bad(what: &str, id: &str, problem: impl std::fmt::Display) -> Error {
    Error::Bundle(format!("{what} '{id}': {problem}"))
}

fn check_code(node: &BundleNode) -> Result<()> {
    let digits = node.code.bytes().all(|b| b.is_ascii_digit());
    let ok = match node.level {
        OrgLevel::County | OrgLevel::Township | OrgLevel::Branch => digits && node.code.len() == 12,
        OrgLevel::Group | OrgLevel::Household => digits && (13..=20).contains(&node.code.len()),
    };
    if ok {
        Ok(())
    } else {
        Err(bad("node", &node.id, "code must be the 12-digit division code (groups: extended to 13–20 digits)"))
    }
}

/// Households between two progress reports while a bundle is stored.
pub const PROGRESS_EVERY: usize = 1000;

/// A bundle of at least this many households loaded into an empty household table is a bulk load
/// ([`SetAside`]); smaller ones (tests, a branch's phone) take the row-by-row path.
pub const BULK_LOAD_MIN: usize = 500;

/// The households' secondary indexes and coverage-count triggers, dropped for a bulk load into empty tables
/// and created again afterwards from their own stored SQL (the schema ends exactly as it was): one sort per
/// index instead of a B-tree insert per row and index, and the per-group counts from one `GROUP BY` instead of
/// two statements per household. All inside the load's transaction: a failed load rolls the drops back too.
struct SetAside {
    /// (kind, name, sql) as in `sqlite_master`.
    objects: Vec<(String, String, String)>,
}

impl SetAside {
    /// What is set aside; the restore below knows what each trigger adds. Another index or trigger on these
    /// tables (a later schema) makes the load take the row-by-row path until it is listed here.
    const NAMES: [&'static str; 6] = [
        "households_path",
        "households_name",
        "household_tags_tag",
        "households_count_insert",
        "households_count_delete",
        "households_count_move",
    ];

    /// Drops the indexes and triggers; `None` (nothing dropped) if the tables carry one not known here.
    fn begin(tx: &rusqlite::Connection) -> Result<Option<SetAside>> {
        let objects: Vec<(String, String, String)> = tx
            .prepare(
                "SELECT type, name, sql FROM sqlite_master
                 WHERE tbl_name IN ('households', 'household_tags') AND type IN ('index', 'trigger') AND sql IS NOT NULL
                 ORDER BY type, name",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        if objects.iter().any(|(_, name, _)| !Self::NAMES.contains(&name.as_str())) {
            return Ok(None);
        }
        for (kind, name, _) in &objects {
            let kind = if kind == "index" { "INDEX" } else { "TRIGGER" };
            tx.execute_batch(&format!("DROP {kind} \"{}\"", name.replace('"', "\"\"")))?;
        }
        Ok(Some(SetAside { objects }))
    }

    /// Adds what the count triggers (schema 4) would have added for the households now stored — the table was
    /// empty before, so the final rows are what was inserted — and creates the indexes and triggers again.
    fn restore(self, tx: &rusqlite::Connection) -> Result<()> {
        tx.execute_batch(
            "INSERT INTO group_household_counts (group_id, households, county_contacts)
                 SELECT group_id, count(*), sum(county_contact != 0) FROM households GROUP BY group_id
                 ON CONFLICT(group_id) DO UPDATE SET households = households + excluded.households,
                     county_contacts = county_contacts + excluded.county_contacts;
             INSERT INTO group_visit_days (group_id, level, day, households, county_contacts)
                 SELECT h.group_id, lv.level, lv.last_onsite_ms / 86400000, count(*), sum(h.county_contact != 0)
                 FROM household_last_visit lv JOIN households h ON h.id = lv.household_id
                 GROUP BY h.group_id, lv.level, lv.last_onsite_ms / 86400000
                 ON CONFLICT(group_id, level, day) DO UPDATE SET households = households + excluded.households,
                     county_contacts = county_contacts + excluded.county_contacts;",
        )?;
        for (_, _, sql) in &self.objects {
            tx.execute_batch(sql)?;
        }
        Ok(())
    }
}

/// The page cache and temp storage a bulk load runs with, and the settings they replace (set back after).
struct LoadCache {
    cache_size: i64,
    temp_store: i64,
}

impl LoadCache {
    /// Page cache during a bulk load: up to 64 MiB (a negative `cache_size` is KiB; allocated only as used).
    const CACHE_KIB: i64 = 64 * 1024;

    fn widen(conn: &rusqlite::Connection) -> Result<LoadCache> {
        let cache_size: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        let temp_store: i64 = conn.query_row("PRAGMA temp_store", [], |r| r.get(0))?;
        conn.execute_batch(&format!("PRAGMA cache_size = -{}; PRAGMA temp_store = MEMORY;", Self::CACHE_KIB))?;
        Ok(LoadCache { cache_size, temp_store })
    }

    fn restore(self, conn: &rusqlite::Connection) -> Result<()> {
        conn.execute_batch(&format!("PRAGMA cache_size = {}; PRAGMA temp_store = {};", self.cache_size, self.temp_store))?;
        Ok(())
    }
}

impl Store {
    /// Loads (inserting or updating) an org tree, households and users from a bundle's JSON text.
    pub fn load_bundle(&mut self, json: &str) -> Result<BundleCounts> {
        self.load_bundle_with_progress(json, &mut |_, _| {})
    }

    /// [`Store::load_bundle`], telling `progress` (households stored, households in the bundle) every
    /// [`PROGRESS_EVERY`] households and at the end — the enrolment screen's count. Called inside the
    /// transaction, on the calling thread.
    pub fn load_bundle_with_progress(&mut self, json: &str, progress: &mut dyn FnMut(u64, u64)) -> Result<BundleCounts> {
        let bundle: Bundle = serde_json::from_str(json).map_err(|e| Error::Bundle(format!("not a valid bundle: {e}")))?;
        let policies = match &bundle.config {
            Some(config) => {
                config.validate()?;
                Some(super::Policies::from_config(config))
            }
            None => None,
        };
        // A large bundle's rows, pages and index sorts stay in memory until the commit: with the default 2 MB
        // page cache a county's 20,000 households spill pages to the WAL mid-transaction (each encrypted, then
        // read back and decrypted for the index builds) and the sorts go to (encrypted) temp files.
        let roomy = if bundle.households.len() >= BULK_LOAD_MIN { Some(LoadCache::widen(self.conn())?) } else { None };
        let counts = self.write(|w| {
            w.topics = crate::observe::Topics::all();
            if let Some(config) = &bundle.config {
                super::meta_set(&w.tx, "county_config", &serde_json::to_string(config)?)?;
            }
            if let Some(p) = &policies {
                // The issues' deadlines under the county's time limits, in the transaction that sets them.
                super::measures::refresh_measure_facts_if_stale(&w.tx, &p.sla)?;
            }
            let tx = &w.tx;
            // id -> (level, path) for nodes of this bundle and, on demand, of the database.
            let mut known: HashMap<String, (OrgLevel, String)> = HashMap::new();
            let lookup = |known: &HashMap<String, (OrgLevel, String)>, id: &str| -> Result<Option<(OrgLevel, String)>> {
                if let Some(v) = known.get(id) {
                    return Ok(Some(v.clone()));
                }
                let row: Option<(String, String)> = tx
                    .query_row("SELECT level, path FROM org_nodes WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()?;
                row.map(|(l, p)| Ok((parse_enum(&l)?, p))).transpose()
            };
            for node in &bundle.nodes {
                validate_node(node)?;
                let path = match &node.parent_id {
                    None if node.level == OrgLevel::County => format!("/{}/", node.id),
                    None => return Err(bad("node", &node.id, "only the county may have no parent")),
                    Some(pid) => {
                        let (plevel, ppath) = lookup(&known, pid)?
                            .ok_or_else(|| bad("node", &node.id, format!("parent '{pid}' is unknown (parents must come first)")))?;
                        if plevel.child() != Some(node.level) {
                            return Err(bad("node", &node.id, format!("a {:?} cannot sit under a {:?}", node.level, plevel)));
                        }
                        scope::child_path(&ppath, &node.id)
                    }
                };
                if let Some((_, old_path)) = lookup(&known, &node.id)? {
                    if old_path != path {
                        return Err(bad("node", &node.id, "moving a node to another parent is not supported"));
                    }
                }
                let boundary = if node.boundary.is_empty() { None } else { Some(serde_json::to_string(&node.boundary)?) };
                tx.execute(
                    "INSERT INTO org_nodes (id, parent_id, level, name, code, path, boundary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT(id) DO UPDATE SET name = excluded.name, code = excluded.code, boundary = excluded.boundary",
                    params![node.id, node.parent_id, enum_str(&node.level), node.name.trim(), node.code, path, boundary],
                )?;
                known.insert(node.id.clone(), (node.level, path));
            }
            // A first enrolment fills empty tables with the whole scope (a county: 20,000 households): the
            // households' secondary indexes and coverage triggers are set aside and rebuilt once after the rows.
            let bulk = if bundle.households.len() >= BULK_LOAD_MIN {
                let empty: bool = tx.query_row("SELECT NOT EXISTS (SELECT 1 FROM households)", [], |r| r.get(0))?;
                if empty { SetAside::begin(tx)? } else { None }
            } else {
                None
            };
            let mut insert_hh = tx.prepare_cached(
                "INSERT INTO households (id, group_id, path, head_name, members, phone, id_number, address, lat, lon, risk_level, county_contact)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT(id) DO UPDATE SET group_id = excluded.group_id, path = excluded.path, head_name = excluded.head_name,
                   members = excluded.members, phone = excluded.phone, id_number = excluded.id_number, address = excluded.address,
                   lat = excluded.lat, lon = excluded.lon, risk_level = excluded.risk_level, county_contact = excluded.county_contact",
            )?;
            let mut clear_tags = tx.prepare_cached("DELETE FROM household_tags WHERE household_id = ?1")?;
            let mut insert_tag = tx.prepare_cached("INSERT OR IGNORE INTO household_tags (household_id, tag) VALUES (?1, ?2)")?;
            let total = bundle.households.len() as u64;
            progress(0, total);
            for (done, hh) in bundle.households.iter().enumerate() {
                if done > 0 && done % PROGRESS_EVERY == 0 {
                    progress(done as u64, total);
                }
                validate_household(hh)?;
                let (level, gpath) = lookup(&known, &hh.group_id)?
                    .ok_or_else(|| bad("household", &hh.id, format!("group '{}' is unknown", hh.group_id)))?;
                if level != OrgLevel::Group {
                    return Err(bad("household", &hh.id, "households belong to a villager group"));
                }
                let path = scope::child_path(&gpath, &hh.id);
                insert_hh.execute(params![
                    hh.id,
                    hh.group_id,
                    path,
                    hh.head_name.trim(),
                    hh.members,
                    hh.phone,
                    hh.id_number,
                    hh.address.trim(),
                    hh.lat,
                    hh.lon,
                    enum_str(&hh.risk_level),
                    hh.county_contact
                ])?;
                if bulk.is_none() {
                    // Nothing to clear in a bulk load: the tables were empty.
                    clear_tags.execute([&hh.id])?;
                }
                for tag in &hh.tags {
                    insert_tag.execute(params![hh.id, tag.trim()])?;
                }
            }
            drop((insert_hh, clear_tags, insert_tag));
            if let Some(set_aside) = bulk {
                set_aside.restore(tx)?;
            }
            progress(total, total);
            for user in &bundle.users {
                validate_user(user)?;
                let (level, _) = lookup(&known, &user.node_id)?
                    .ok_or_else(|| bad("user", &user.id, format!("node '{}' is unknown", user.node_id)))?;
                if level != user.role.level() {
                    return Err(bad("user", &user.id, format!("a {:?} must be bound to a {:?} node", user.role, user.role.level())));
                }
                tx.execute(
                    "INSERT INTO users (id, name, role, node_id) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role, node_id = excluded.node_id",
                    params![user.id, user.name.trim(), enum_str(&user.role), user.node_id],
                )?;
            }
            Ok(BundleCounts {
                nodes: bundle.nodes.len() as u32,
                households: bundle.households.len() as u32,
                users: bundle.users.len() as u32,
            })
        });
        let restored = roomy.map_or(Ok(()), |r| r.restore(self.conn()));
        let counts = counts?;
        restored?;
        if let Some(policies) = policies {
            self.policies = policies;
        }
        Ok(counts)
    }

    /// One org node by id.
    pub fn node(&self, id: &str) -> Result<NodeRow> {
        self.conn()
            .query_row("SELECT id, parent_id, level, name, path FROM org_nodes WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?
            .map(|(id, parent_id, level, name, path)| {
                Ok(NodeRow { id, parent_id, level: parse_enum(&level)?, name, path })
            })
            .unwrap_or_else(|| Err(Error::not_found("node", id)))
    }

    /// A user's role and node path (for assignment checks).
    pub(crate) fn user_role_path(&self, user_id: &str) -> Result<(Role, String, String)> {
        self.conn()
            .query_row(
                "SELECT u.role, n.path, u.name FROM users u JOIN org_nodes n ON n.id = u.node_id WHERE u.id = ?1",
                [user_id],
                |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .map(|(role, path, name)| Ok((parse_enum(&role)?, path, name)))
            .unwrap_or_else(|| Err(Error::not_found("user", user_id)))
    }

    /// Display name of a user, if known.
    pub(crate) fn user_name(&self, user_id: &str) -> Result<Option<String>> {
        Ok(self.conn().query_row("SELECT name FROM users WHERE id = ?1", [user_id], |r| r.get(0)).optional()?)
    }
}

fn validate_node(node: &BundleNode) -> Result<()> {
    validate::id("node.id", &node.id).map_err(|e| bad("node", "?", e))?;
    validate::text("node.name", &node.name, 1, limits::NAME).map_err(|e| bad("node", &node.id, e))?;
    if node.level == OrgLevel::Household {
        return Err(bad("node", &node.id, "households go in the households list, not the org tree"));
    }
    check_code(node)?;
    for &(lat, lon) in &node.boundary {
        geo::validate_point(lat, lon).map_err(|e| bad("node", &node.id, e))?;
    }
    Ok(())
}

fn validate_household(hh: &BundleHousehold) -> Result<()> {
    validate::id("household.id", &hh.id).map_err(|e| bad("household", "?", e))?;
    validate::text("head_name", &hh.head_name, 1, limits::NAME).map_err(|e| bad("household", &hh.id, e))?;
    validate::text("address", &hh.address, 1, limits::ADDRESS).map_err(|e| bad("household", &hh.id, e))?;
    match (hh.lat, hh.lon) {
        (Some(lat), Some(lon)) => geo::validate_point(lat, lon).map_err(|e| bad("household", &hh.id, e))?,
        (None, None) => {}
        _ => return Err(bad("household", &hh.id, "lat and lon come together")),
    }
    for tag in &hh.tags {
        validate::text("tag", tag, 1, 20).map_err(|e| bad("household", &hh.id, e))?;
    }
    Ok(())
}

fn validate_user(user: &BundleUser) -> Result<()> {
    validate::id("user.id", &user.id).map_err(|e| bad("user", "?", e))?;
    validate::text("user.name", &user.name, 1, limits::NAME).map_err(|e| bad("user", &user.id, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn bundle_builds_paths() {
        let (s, _) = store();
        assert_eq!(s.node("g3").unwrap().path, "/c/t2/b2/g3/");
        let p: String = s.conn().query_row("SELECT path FROM households WHERE id='h1'", [], |r| r.get(0)).unwrap();
        assert_eq!(p, "/c/t1/b1/g1/h1/");
        assert!(matches!(s.node("zz"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn reloading_is_an_upsert() {
        let (mut s, _) = store();
        let counts = s.load_bundle(&bundle_json()).unwrap();
        assert_eq!(counts, BundleCounts { nodes: 8, households: 5, users: 7 });
        let n: i64 = s.conn().query_row("SELECT count(*) FROM households", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 5);
    }

    #[test]
    fn county_config_applies_and_persists() {
        let dir = tempfile::tempdir().unwrap();
        let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
        let path = dir.path().join("db");
        {
            let mut s = Store::open(&path, clock.clone()).unwrap();
            s.load_bundle(&bundle_json()).unwrap();
            s.load_bundle(r#"{"nodes":[],"config":{"on_site":{"radius_m":250},"cadence":{"branch_days":30}}}"#).unwrap();
            assert_eq!(s.policies.on_site.radius_m, 250.0);
            assert_eq!(s.policies.on_site.max_accuracy_m, 50.0, "unset fields keep their defaults");
        }
        let s = Store::open(&path, clock).unwrap();
        assert_eq!(s.policies.cadence.branch_days, Some(30));
        assert_eq!(s.policies.cadence.township_days, Some(180));
    }

    #[test]
    fn bad_config_changes_nothing() {
        let (mut s, _) = store();
        let before = snapshot(&s);
        for json in [
            r#"{"nodes":[],"config":{"on_site":{"radius_m":-5}}}"#,
            r#"{"nodes":[],"config":{"cadence":{"branch_days":0}}}"#,
            r#"{"nodes":[],"config":{"sla":{"rules":[{"step":"accept","limit":{"amount":0,"unit":"working_days"}}]}}}"#,
            r#"{"nodes":[],"config":{"colour":"red"}}"#,
        ] {
            assert!(s.load_bundle(json).is_err(), "{json}");
            assert_eq!(snapshot(&s), before, "{json}");
        }
        assert_eq!(s.policies.on_site.radius_m, 100.0);
    }

    /// The bundle fixture's tree with `n` households spread over its three groups (a third with tags, a fifth
    /// county contacts).
    fn big_bundle(n: usize) -> String {
        let mut bundle: Bundle = serde_json::from_str(&bundle_json()).unwrap();
        let template = bundle.households[0].clone();
        bundle.households = (0..n)
            .map(|i| BundleHousehold {
                id: format!("bulk{i}"),
                group_id: ["g1", "g2", "g3"][i % 3].into(),
                head_name: format!("户主{}", (i * 7919) % n),
                tags: if i % 3 == 0 { vec!["低保".into(), "独居老人".into()] } else { vec![] },
                county_contact: i % 5 == 0,
                ..template.clone()
            })
            .collect();
        serde_json::to_string(&bundle).unwrap()
    }

    fn counts(s: &Store) -> (Vec<(String, i64, i64)>, Vec<(String, String, i64, i64, i64)>, i64) {
        let conn = s.conn();
        let groups = conn
            .prepare("SELECT group_id, households, county_contacts FROM group_household_counts WHERE households != 0 ORDER BY 1")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let days = conn
            .prepare("SELECT group_id, level, day, households, county_contacts FROM group_visit_days WHERE households != 0 ORDER BY 1, 2, 3")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let tags: i64 = conn.query_row("SELECT count(*) FROM household_tags", [], |r| r.get(0)).unwrap();
        (groups, days, tags)
    }

    #[test]
    fn a_bulk_first_load_ends_as_a_row_by_row_one() {
        let n = BULK_LOAD_MIN + 100;
        let json = big_bundle(n);
        let clock = std::sync::Arc::new(crate::clock::ManualClock::new(NOW));
        // Row by row: the households table already holds one household, so the load is not a bulk one.
        let mut rows = Store::open_in_memory(clock.clone()).unwrap();
        rows.load_bundle(&bundle_json()).unwrap();
        rows.conn().execute("DELETE FROM household_tags", []).unwrap();
        rows.conn().execute("DELETE FROM households WHERE id != 'h1'", []).unwrap();
        rows.load_bundle(&json).unwrap();
        rows.conn().execute("DELETE FROM households WHERE id = 'h1'", []).unwrap();
        // Bulk: an empty store, with last visits already held for some households (pulled before the bundle).
        let mut bulk = Store::open_in_memory(clock).unwrap();
        let schema = super::super::schema::schema_dump(bulk.conn());
        for id in ["bulk0", "bulk1", "bulk5"] {
            bulk.conn()
                .execute("INSERT INTO household_last_visit (household_id, level, last_onsite_ms) VALUES (?1, 'branch', ?2)", params![id, NOW])
                .unwrap();
        }
        let mut progress = Vec::new();
        bulk.load_bundle_with_progress(&json, &mut |done, total| progress.push((done, total))).unwrap();
        assert_eq!(progress.first(), Some(&(0, n as u64)));
        assert_eq!(progress.last(), Some(&(n as u64, n as u64)), "the count of households stored is still reported");
        assert_eq!(super::super::schema::schema_dump(bulk.conn()), schema, "indexes and triggers are back");
        let (groups, days, tags) = counts(&bulk);
        let (row_groups, _, row_tags) = counts(&rows);
        assert_eq!(groups, row_groups);
        assert_eq!(tags, row_tags);
        assert_eq!(tags, (n as i64 + 2) / 3 * 2);
        let visited: i64 = days.iter().map(|d| d.3).sum();
        assert_eq!(visited, 3, "the last visits held before the load count for their households' groups");
        // From then on the triggers keep the counts: a reload (an upsert) and a move leave them exact.
        bulk.load_bundle(&json).unwrap();
        assert_eq!(counts(&bulk).0, row_groups);
        bulk.conn().execute("UPDATE households SET group_id = 'g3' WHERE id = 'bulk0'", []).unwrap();
        let g3: i64 = bulk.conn().query_row("SELECT households FROM group_household_counts WHERE group_id = 'g3'", [], |r| r.get(0)).unwrap();
        assert_eq!(g3, row_groups.iter().find(|g| g.0 == "g3").unwrap().1 + 1);
        // A name search uses the rebuilt index.
        let plan: String = bulk
            .conn()
            .query_row("EXPLAIN QUERY PLAN SELECT id FROM households WHERE head_name >= '户主1' AND head_name < '户主2'", [], |r| r.get(3))
            .unwrap();
        assert!(plan.contains("households_name"), "{plan}");
    }

    /// A bulk load runs with a wide page cache and in-memory sorts, and leaves the connection's settings as they
    /// were, whether it succeeds or fails.
    #[test]
    fn a_bulk_load_sets_the_page_cache_back() {
        let mut s = Store::open_in_memory(std::sync::Arc::new(crate::clock::ManualClock::new(NOW))).unwrap();
        let settings = |s: &Store| -> (i64, i64) {
            let c = s.conn();
            (c.query_row("PRAGMA cache_size", [], |r| r.get(0)).unwrap(), c.query_row("PRAGMA temp_store", [], |r| r.get(0)).unwrap())
        };
        let before = settings(&s);
        assert_ne!(before.0, -LoadCache::CACHE_KIB);
        // While widened: 64 MiB of page cache, sorts in memory.
        let widened = LoadCache::widen(s.conn()).unwrap();
        assert_eq!(settings(&s), (-LoadCache::CACHE_KIB, 2));
        widened.restore(s.conn()).unwrap();
        assert_eq!(settings(&s), before);
        s.load_bundle(&big_bundle(BULK_LOAD_MIN + 10)).unwrap();
        assert_eq!(settings(&s), before, "after a bulk load");
        let mut bad: Bundle = serde_json::from_str(&big_bundle(BULK_LOAD_MIN + 10)).unwrap();
        bad.households.last_mut().unwrap().group_id = "nowhere".into();
        let mut fresh = Store::open_in_memory(std::sync::Arc::new(crate::clock::ManualClock::new(NOW))).unwrap();
        assert!(fresh.load_bundle(&serde_json::to_string(&bad).unwrap()).is_err());
        assert_eq!(settings(&fresh), before, "after a failed one");
    }

    #[test]
    fn a_failed_bulk_load_keeps_the_indexes_and_triggers() {
        let mut bundle: Bundle = serde_json::from_str(&big_bundle(BULK_LOAD_MIN + 10)).unwrap();
        bundle.households.last_mut().unwrap().group_id = "nowhere".into();
        let mut s = Store::open_in_memory(std::sync::Arc::new(crate::clock::ManualClock::new(NOW))).unwrap();
        let before = super::super::schema::schema_dump(s.conn());
        assert!(matches!(s.load_bundle(&serde_json::to_string(&bundle).unwrap()), Err(Error::Bundle(_))));
        assert_eq!(super::super::schema::schema_dump(s.conn()), before);
        let n: i64 = s.conn().query_row("SELECT count(*) FROM households", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn bad_bundles_change_nothing() {
        let (mut s, _) = store();
        let before = snapshot(&s);
        let cases = [
            ("not json", "not a valid bundle"),
            (r#"{"nodes":[{"id":"t9","parent_id":"nope","level":"township","name":"x","code":"610631100000"}]}"#, "unknown"),
            (r#"{"nodes":[{"id":"b9","parent_id":"c","level":"branch","name":"x","code":"610631100000"}]}"#, "cannot sit under"),
            (r#"{"nodes":[{"id":"t9","parent_id":"c","level":"township","name":"x","code":"12"}]}"#, "code"),
            (r#"{"nodes":[{"id":"t9","parent_id":"c","level":"township","name":"","code":"610631100000"}]}"#, "empty"),
            (r#"{"nodes":[],"households":[{"id":"h9","group_id":"g1","head_name":"甲","address":"x","lat":95.0,"lon":100.0,"risk_level":"low"}]}"#, "latitude"),
            (r#"{"nodes":[],"households":[{"id":"h9","group_id":"b1","head_name":"甲","address":"x","risk_level":"low"}]}"#, "villager group"),
            (r#"{"nodes":[],"users":[{"id":"u9","name":"甲","role":"grid_worker","node_id":"g1"}]}"#, "must be bound"),
            (r#"{"nodes":[{"id":"t1","parent_id":"c","level":"township","name":"ok","code":"610631100000"}],"users":[{"id":"u9","name":"甲","role":"grid_worker","node_id":"nowhere"}]}"#, "unknown"),
        ];
        for (json, expect) in cases {
            match s.load_bundle(json) {
                Err(Error::Bundle(msg)) => assert!(msg.contains(expect), "{json}: {msg}"),
                other => panic!("{json}: {other:?}"),
            }
            assert_eq!(snapshot(&s), before, "{json}");
        }
    }
}
