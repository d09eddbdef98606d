//! The household ledger (民生台账) on the phone: paged, indexed search within the user's scope, and the
//! overdue list (households whose last on-site visit at the user's level is older than the cadence), nearest
//! first. Lists never load the whole scope into display records; personal data leaves here masked.

use linkage_protocol::model::{OrgLevel, RiskLevel};
use linkage_protocol::rules::{cadence, geo, household_edit, scope, Denial, RuleError};
use linkage_protocol::wire::{HouseholdEdit, HouseholdField, OpBody, Operation};
use linkage_protocol::validate::{self, limits, mask_id_number, mask_phone};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, OptionalExtension, Row};

use super::{enum_str, new_id, page_limit, parse_enum, Store};
use crate::error::{Error, Result};

/// Filters for the household list.
#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    /// Prefix of the head's name (indexed).
    pub text: Option<String>,
    /// Part of the address (scans the scope: slower on a county-wide list).
    pub address: Option<String>,
    pub tag: Option<String>,
    pub risk: Option<RiskLevel>,
    pub offset: u32,
    pub limit: u32,
}

/// One household as lists and pages show it (phone and ID number masked).
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdRow {
    pub id: String,
    pub group_id: String,
    pub group_name: String,
    pub head_name: String,
    pub members: u32,
    pub phone_masked: Option<String>,
    pub id_number_masked: Option<String>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub tags: Vec<String>,
    pub risk_level: RiskLevel,
    pub county_contact: bool,
    /// Last on-site visit at the signed-in user's level.
    pub last_onsite_ms: Option<i64>,
}

/// A household due for a visit, with how overdue and how far it is.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueRow {
    pub household: HouseholdRow,
    /// `None` when never visited at this level.
    pub days_overdue: Option<i64>,
    pub distance_m: Option<f64>,
}

const COLUMNS: &str = "h.id, h.group_id, g.name, h.head_name, h.members, h.phone, h.id_number, h.address, h.lat, h.lon,
    (SELECT group_concat(tag, '|') FROM household_tags t WHERE t.household_id = h.id), h.risk_level, h.county_contact,
    (SELECT lv.last_onsite_ms FROM household_last_visit lv WHERE lv.household_id = h.id AND lv.level = ?1)";

fn map_row(r: &Row<'_>) -> rusqlite::Result<(HouseholdRow, String)> {
    let tags: Option<String> = r.get(10)?;
    let mut tags: Vec<String> = tags.map(|t| t.split('|').map(str::to_string).collect()).unwrap_or_default();
    tags.sort();
    Ok((
        HouseholdRow {
            id: r.get(0)?,
            group_id: r.get(1)?,
            group_name: r.get(2)?,
            head_name: r.get(3)?,
            members: r.get(4)?,
            phone_masked: r.get::<_, Option<String>>(5)?.map(|p| mask_phone(&p)),
            id_number_masked: r.get::<_, Option<String>>(6)?.map(|p| mask_id_number(&p)),
            address: r.get(7)?,
            lat: r.get(8)?,
            lon: r.get(9)?,
            tags,
            risk_level: RiskLevel::Low,
            county_contact: r.get(12)?,
            last_onsite_ms: r.get(13)?,
        },
        r.get(11)?,
    ))
}

fn finish(row: (HouseholdRow, String)) -> Result<HouseholdRow> {
    let (mut h, risk) = row;
    h.risk_level = parse_enum(&risk)?;
    Ok(h)
}

impl Store {
    /// Corrects fields of a household's ledger entry in scope (the change and its outbox operation in one
    /// transaction). Stamped with a new HLC, so it wins over every edit this phone has seen; offline edits on
    /// other devices merge field by field when they meet. Bad input changes nothing.
    pub fn edit_household(&mut self, id: &str, fields: &[HouseholdField]) -> Result<HouseholdRow> {
        let (_, path) = self.household_with_path(id)?;
        let actor = self.actor()?.clone();
        household_edit::authorize(&actor, &path)?;
        let fields = household_edit::validate(fields)?;
        if !fields.iter().all(|f| self.policies.privacy.may_edit(actor.role, f)) {
            return Err(RuleError::NotPermitted(Denial::TagsNotAllVisible).into());
        }
        self.write(|w| {
            let hlc = w.next_hlc();
            let edit = HouseholdEdit {
                household_id: id.to_string(),
                editor_id: actor.user_id.clone(),
                editor_role: actor.role,
                hlc: hlc.clone(),
                at_ms: w.now_ms,
                fields,
            };
            apply_household_edit(&w.tx, &edit)?;
            w.enqueue_op(&Operation { op_id: new_id(), hlc, body: OpBody::HouseholdEdited(edit) })
        })?;
        self.household(id)
    }

    /// 房屋位置就在这里: sets the household's point from a GPS fix taken at the house, through the same field-wise
    /// edit as any correction (queued in one transaction). Only a real, fresh and precise fix is taken
    /// ([`household_edit::point_from_fix`]); anything else is refused and nothing changes. The server records
    /// the move, so the mover's own visits in the next 30 days are still graded against the old point.
    pub fn mark_household_here(&mut self, id: &str, fix: &linkage_protocol::model::GpsFix) -> Result<HouseholdRow> {
        let point = household_edit::point_from_fix(fix, self.now_ms(), &self.policies.on_site)?;
        self.edit_household(id, &[HouseholdField::Location(Some(point))])
    }

    /// The tags (重点人群标签) on households in the signed-in user's scope with how many carry each, most
    /// common first: the household list's tag chips. Only tags the user may see are stored on the phone.
    pub fn household_tags_in_scope(&self) -> Result<Vec<(String, u64)>> {
        let path = self.session()?.actor.node_path.clone();
        let mut stmt = self.conn().prepare_cached(
            "SELECT t.tag, count(*) FROM household_tags t JOIN households h ON h.id = t.household_id
             WHERE h.path >= ?1 AND h.path < ?2 GROUP BY t.tag ORDER BY count(*) DESC, t.tag",
        )?;
        let rows = stmt.query_map(rusqlite::params![path, scope::upper_bound(&path)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Households in the signed-in user's scope matching `filter`, ordered by name; with the total count.
    pub fn list_households(&self, filter: &HouseholdFilter) -> Result<(Vec<HouseholdRow>, u64)> {
        let session = self.session()?;
        let level = enum_str(&session.node_level);
        let scope_path = session.actor.node_path.clone();
        let mut args: Vec<Value> = vec![level.into(), scope_path.clone().into(), scope::upper_bound(&scope_path).into()];
        let mut clauses = vec!["h.path >= ?2 AND h.path < ?3".to_string()];
        if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
            let text = validate::text("text", text, 1, limits::SEARCH)?;
            let n = args.len();
            clauses.push(format!("h.head_name >= ?{} AND h.head_name < ?{}", n + 1, n + 2));
            args.push(text.clone().into());
            args.push(format!("{text}\u{10FFFF}").into());
        }
        if let Some(address) = filter.address.as_deref().filter(|t| !t.trim().is_empty()) {
            args.push(validate::text("address", address, 1, limits::SEARCH)?.into());
            clauses.push(format!("instr(h.address, ?{}) > 0", args.len()));
        }
        if let Some(tag) = filter.tag.as_deref().filter(|t| !t.trim().is_empty()) {
            args.push(tag.trim().to_string().into());
            clauses.push(format!(
                "EXISTS (SELECT 1 FROM household_tags t WHERE t.household_id = h.id AND t.tag = ?{})",
                args.len()
            ));
        }
        if let Some(risk) = filter.risk {
            args.push(enum_str(&risk).into());
            clauses.push(format!("h.risk_level = ?{}", args.len()));
        }
        let where_sql = clauses.join(" AND ");
        let total: i64 = self.conn().query_row(
            // `?1 IS NOT NULL` only binds the level parameter the count does not otherwise need.
            &format!("SELECT count(*) FROM households h WHERE {where_sql} AND ?1 IS NOT NULL"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        args.push(i64::from(page_limit(filter.limit)).into());
        args.push(i64::from(filter.offset).into());
        let sql = format!(
            "SELECT {COLUMNS} FROM households h JOIN org_nodes g ON g.id = h.group_id WHERE {where_sql}
             ORDER BY h.head_name, h.id LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), map_row)?;
        let items = rows.map(|r| finish(r?)).collect::<Result<Vec<_>>>()?;
        Ok((items, total as u64))
    }

    /// One household in scope, with its path.
    pub fn household(&self, id: &str) -> Result<HouseholdRow> {
        Ok(self.household_with_path(id)?.0)
    }

    pub(crate) fn household_with_path(&self, id: &str) -> Result<(HouseholdRow, String)> {
        let session = self.session()?;
        validate::id("household_id", id)?;
        let level = enum_str(&session.node_level);
        // Cached: every visit save and household page starts here.
        let row = self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS}, h.path FROM households h JOIN org_nodes g ON g.id = h.group_id WHERE h.id = ?2"))?
            .query_row(rusqlite::params![level, id], |r| Ok((map_row(r)?, r.get::<_, String>(14)?)))
            .optional()?;
        match row {
            Some((row, path)) if session.actor.sees(&path) => Ok((finish(row)?, path)),
            // Out of scope looks exactly like missing: no hint that the household exists.
            _ => Err(Error::not_found("household", id)),
        }
    }

    /// Households overdue for a visit at the signed-in user's level, nearest first from `from` (lat, lon),
    /// then most overdue first. Households without a point, or all when `from` is `None`, sort by how overdue.
    pub fn overdue_households(&self, from: Option<(f64, f64)>, offset: u32, limit: u32) -> Result<(Vec<OverdueRow>, u64)> {
        let path = self.session()?.actor.node_path.clone();
        self.overdue_households_in(&path, from, offset, limit)
    }

    /// [`Store::overdue_households`] under one node of the user's area at `scope_path` (the dashboard's 未走访户
    /// of a child node); still the user's own level's cadence.
    pub(crate) fn overdue_households_in(&self, scope_path: &str, from: Option<(f64, f64)>, offset: u32, limit: u32) -> Result<(Vec<OverdueRow>, u64)> {
        let session = self.session()?;
        if let Some((lat, lon)) = from {
            geo::validate_point(lat, lon)?;
        }
        let level = session.node_level;
        let Some(interval) = self.policies.cadence.interval_days(level) else { return Ok((vec![], 0)) };
        let now = self.now_ms();
        let county_only = if level == OrgLevel::County { "AND h.county_contact = 1" } else { "" };
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT h.id, h.lat, h.lon, lv.last_onsite_ms FROM households h
             LEFT JOIN household_last_visit lv ON lv.household_id = h.id AND lv.level = ?1
             WHERE h.path >= ?2 AND h.path < ?3 {county_only}
               AND (lv.last_onsite_ms IS NULL OR lv.last_onsite_ms < ?4)"
        ))?;
        let mut candidates = stmt
            .query_map(
                rusqlite::params![
                    enum_str(&level),
                    scope_path,
                    scope::upper_bound(scope_path),
                    cadence::overdue_threshold_ms(now, interval)
                ],
                |r| {
                    let lat: Option<f64> = r.get(1)?;
                    let lon: Option<f64> = r.get(2)?;
                    Ok((r.get::<_, String>(0)?, lat.zip(lon), r.get::<_, Option<i64>>(3)?))
                },
            )?
            .map(|r| {
                let (id, point, last) = r?;
                let distance = from.zip(point).map(|(a, b)| geo::distance_m(a, b));
                Ok((id, distance, last))
            })
            .collect::<Result<Vec<_>>>()?;
        // Nearest first; unknown distance last; then never-visited, then oldest visit first.
        candidates.sort_by(|a, b| {
            let da = a.1.unwrap_or(f64::INFINITY);
            let db = b.1.unwrap_or(f64::INFINITY);
            da.total_cmp(&db).then(a.2.unwrap_or(i64::MIN).cmp(&b.2.unwrap_or(i64::MIN))).then(a.0.cmp(&b.0))
        });
        let total = candidates.len() as u64;
        let page = candidates.into_iter().skip(offset as usize).take(page_limit(limit) as usize);
        let items = page
            .map(|(id, distance_m, last)| {
                Ok(OverdueRow {
                    household: self.household(&id)?,
                    days_overdue: cadence::days_overdue(last, interval, now),
                    distance_m,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((items, total))
    }
}

/// Merges an edit into a stored household field by field: a field is written only when the edit's HLC is
/// newer than the last write it took. A household this phone does not hold is ignored. True if any field
/// changed.
pub(crate) fn apply_household_edit(tx: &rusqlite::Connection, edit: &HouseholdEdit) -> Result<bool> {
    let held: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM households WHERE id = ?1)", [&edit.household_id], |r| r.get(0))?;
    if !held {
        return Ok(false);
    }
    let mut changed = false;
    for field in &edit.fields {
        let stored: Option<String> = tx
            .prepare_cached("SELECT hlc FROM household_field_clocks WHERE household_id = ?1 AND field = ?2")?
            .query_row([edit.household_id.as_str(), field.name()], |r| r.get(0))
            .optional()?;
        if !household_edit::takes(stored.as_deref(), &edit.hlc) {
            continue;
        }
        let id = edit.household_id.as_str();
        match field {
            HouseholdField::HeadName(v) => tx.execute("UPDATE households SET head_name = ?2 WHERE id = ?1", rusqlite::params![id, v])?,
            HouseholdField::Members(v) => tx.execute("UPDATE households SET members = ?2 WHERE id = ?1", rusqlite::params![id, v])?,
            HouseholdField::Phone(v) => tx.execute("UPDATE households SET phone = ?2 WHERE id = ?1", rusqlite::params![id, v])?,
            HouseholdField::Address(v) => tx.execute("UPDATE households SET address = ?2 WHERE id = ?1", rusqlite::params![id, v])?,
            HouseholdField::Location(v) => tx.execute(
                "UPDATE households SET lat = ?2, lon = ?3 WHERE id = ?1",
                rusqlite::params![id, v.map(|p| p.0), v.map(|p| p.1)],
            )?,
            HouseholdField::RiskLevel(v) => {
                tx.execute("UPDATE households SET risk_level = ?2 WHERE id = ?1", rusqlite::params![id, enum_str(v)])?
            }
            HouseholdField::Tags(tags) => {
                tx.execute("DELETE FROM household_tags WHERE household_id = ?1", [id])?;
                let mut insert = tx.prepare_cached("INSERT OR IGNORE INTO household_tags (household_id, tag) VALUES (?1, ?2)")?;
                for t in tags {
                    insert.execute([id, t.as_str()])?;
                }
                tags.len()
            }
        };
        tx.prepare_cached(
            "INSERT INTO household_field_clocks (household_id, field, hlc) VALUES (?1, ?2, ?3)
             ON CONFLICT(household_id, field) DO UPDATE SET hlc = excluded.hlc",
        )?
        .execute([id, field.name(), edit.hlc.as_str()])?;
        tx.execute("UPDATE households SET updated_hlc = max(updated_hlc, ?2) WHERE id = ?1", [id, edit.hlc.as_str()])?;
        changed = true;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn filter() -> HouseholdFilter {
        HouseholdFilter { limit: 50, ..Default::default() }
    }

    #[test]
    fn scope_limits_the_list() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let (items, total) = s.list_households(&filter()).unwrap();
        assert_eq!(total, 2);
        assert_eq!(items.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["h1", "h2"]);
        s.sign_in("ts").unwrap();
        assert_eq!(s.list_households(&filter()).unwrap().1, 4);
        s.sign_in("cs").unwrap();
        assert_eq!(s.list_households(&filter()).unwrap().1, 5);
        s.sign_in("gw2").unwrap();
        assert_eq!(s.list_households(&filter()).unwrap().1, 1);
        assert!(matches!(s.household("h1"), Err(Error::NotFound { .. })));
    }

    #[test]
    fn search_filters_and_pages() {
        let (mut s, _) = store();
        s.sign_in("ts").unwrap();
        let by_name = |t: &str| {
            s.list_households(&HouseholdFilter { text: Some(t.into()), ..filter() }).unwrap().0.into_iter().map(|h| h.id).collect::<Vec<_>>()
        };
        assert_eq!(by_name("张"), ["h1", "h2"]);
        assert_eq!(by_name("张秀"), ["h2"]);
        assert!(by_name("二组").is_empty(), "text matches names, not addresses");
        let by_address = s.list_households(&HouseholdFilter { address: Some("二组".into()), ..filter() }).unwrap();
        assert_eq!(by_address.0.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), ["h3", "h5"]);
        assert!(by_name("王").is_empty(), "h4 is in another township");
        let tagged = s.list_households(&HouseholdFilter { tag: Some("低保".into()), ..filter() }).unwrap();
        assert_eq!(tagged.0.len(), 1);
        let high = s.list_households(&HouseholdFilter { risk: Some(RiskLevel::High), ..filter() }).unwrap();
        assert_eq!(high.0[0].id, "h1");
        let page2 = s.list_households(&HouseholdFilter { offset: 2, limit: 2, ..Default::default() }).unwrap();
        assert_eq!((page2.0.len(), page2.1), (2, 4));
        assert!(matches!(
            s.list_households(&HouseholdFilter { text: Some("长".repeat(51)), ..filter() }),
            Err(Error::Field(_))
        ));
    }

    #[test]
    fn personal_data_is_masked() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let h = s.household("h1").unwrap();
        assert_eq!(h.phone_masked.as_deref(), Some("138****5678"));
        assert_eq!(h.id_number_masked.as_deref(), Some("610***********1234"));
        assert_eq!(h.tags, ["独居老人"]);
        assert_eq!(h.group_name, "一组");
    }

    /// What the server masks or withholds for a liaison head cannot come back over the real value: a masked
    /// phone is not a phone number, and the tag set (some of it never sent) may not be replaced. Nothing is
    /// stored or queued; other fields still correct as before.
    #[test]
    fn masked_values_are_never_written_back() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let masked = s.household("h1").unwrap().phone_masked.unwrap();
        assert!(matches!(
            s.edit_household("h1", &[HouseholdField::Phone(Some(masked))]),
            Err(Error::Field(f)) if f.field == "phone"
        ));
        assert!(matches!(
            s.edit_household("h1", &[HouseholdField::HeadName("张建民".into()), HouseholdField::Tags(vec![])]),
            Err(Error::Rule(RuleError::NotPermitted(Denial::TagsNotAllVisible)))
        ));
        let outbox: i64 = s.conn().query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).unwrap();
        assert_eq!(outbox, 0);
        assert_eq!(s.household("h1").unwrap().head_name, "张建国");
        s.edit_household("h1", &[HouseholdField::HeadName("张建民".into())]).unwrap();
        let phone: String = s.conn().query_row("SELECT phone FROM households WHERE id = 'h1'", [], |r| r.get(0)).unwrap();
        assert_eq!(phone, "13812345678", "a correction of another field leaves the phone alone");
        s.sign_in("gw").unwrap();
        s.edit_household("h1", &[HouseholdField::Tags(vec!["低保".into()])]).unwrap();
    }

    #[test]
    fn overdue_nearest_first() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let (items, total) = s.overdue_households(Some((35.5901, 109.2701)), 0, 10).unwrap();
        assert_eq!(total, 4, "all of b1, never visited");
        let ids: Vec<_> = items.iter().map(|o| o.household.id.as_str()).collect();
        assert_eq!(ids, ["h3", "h2", "h1", "h5"], "h5 has no point: last");
        assert!(items[0].distance_m.unwrap() < 20.0);
        assert_eq!(items[0].days_overdue, None);
        assert!(matches!(s.overdue_households(Some((f64::NAN, 1.0)), 0, 10), Err(Error::Field(_))));
        // County level counts only its contact households.
        s.sign_in("cs").unwrap();
        let (items, _) = s.overdue_households(None, 0, 10).unwrap();
        assert_eq!(items.iter().map(|o| o.household.id.as_str()).collect::<Vec<_>>(), ["h3"]);
        // A liaison head's level has no cadence by default.
        s.sign_in("lh").unwrap();
        assert_eq!(s.overdue_households(None, 0, 10).unwrap().1, 0);
    }

    #[test]
    fn the_house_is_here_moves_the_point_through_the_merge() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let now = NOW;
        let fix = linkage_protocol::model::GpsFix { lat: 35.5811, lon: 109.2611, accuracy_m: 9.0, fix_time_ms: now - 2_000, mocked: false };
        let h = s.mark_household_here("h1", &fix).unwrap();
        assert_eq!((h.lat, h.lon), (Some(35.5811), Some(109.2611)));
        let clocks: i64 = s
            .conn()
            .query_row("SELECT count(*) FROM household_field_clocks WHERE household_id = 'h1' AND field = 'location'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(clocks, 1, "a field-wise edit, merged like any correction");
        let queued: i64 = s.conn().query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).unwrap();
        assert_eq!(queued, 1);
        let coarse = linkage_protocol::model::GpsFix { accuracy_m: 300.0, lat: 1.0, lon: 1.0, ..fix };
        assert!(matches!(s.mark_household_here("h1", &coarse), Err(Error::Field(f)) if f.field == "accuracy_m"));
        let mocked = linkage_protocol::model::GpsFix { mocked: true, ..fix };
        assert!(matches!(s.mark_household_here("h1", &mocked), Err(Error::Field(f)) if f.field == "location"));
        assert_eq!(s.household("h1").unwrap().lat, Some(35.5811), "a refused fix changes nothing");
        assert!(matches!(s.mark_household_here("h4", &fix), Err(Error::NotFound { .. })));
    }

    #[test]
    fn tags_in_scope_count_the_users_households() {
        let (mut s, _) = store();
        s.sign_in("ts").unwrap();
        let tags = s.household_tags_in_scope().unwrap();
        assert!(tags.iter().any(|(t, n)| t == "低保" && *n == 1), "{tags:?}");
        let total: u64 = tags.iter().map(|(_, n)| n).sum();
        let listed: usize = s.list_households(&filter()).unwrap().0.iter().map(|h| h.tags.len()).sum();
        assert_eq!(total as usize, listed, "every tag of every household in scope, once");
    }
}
