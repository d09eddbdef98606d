//! Household visits (入户走访): recorded once, never overwritten. The GPS fix is graded by the shared rules
//! into an on-site verdict (recorded, not a block); an on-site visit moves the household's cadence clock for
//! the visitor's level. A correction is an amendment: a new visit that points at the one it corrects.

use linkage_protocol::model::{GpsFix, OnSiteVerdict, VisitKind};
use linkage_protocol::rules::geo;
use linkage_protocol::rules::visit as visit_rules;
use linkage_protocol::validate::{self, limits};
use linkage_protocol::wire::{OpBody, Visit};
use rusqlite::{params, OptionalExtension, Row};

use super::{enum_str, new_id, parse_enum, Store, Tx};
use crate::error::{Error, Result};

/// What the visit form hands in.
#[derive(Debug, Clone)]
pub struct VisitInput {
    pub household_id: String,
    pub kind: VisitKind,
    pub started_at_ms: i64,
    pub ended_at_ms: i64,
    pub fix: Option<GpsFix>,
    pub notes: String,
    pub evidence: Vec<String>,
    pub issue_id: Option<String>,
}

/// A stored visit.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    pub id: String,
    pub household_id: String,
    pub visitor_id: String,
    pub visitor_name: Option<String>,
    pub kind: VisitKind,
    pub started_at_ms: i64,
    pub ended_at_ms: i64,
    pub verdict: OnSiteVerdict,
    pub distance_m: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub notes: String,
    pub evidence: Vec<String>,
    pub issue_id: Option<String>,
    pub amends_visit_id: Option<String>,
}

impl Store {
    /// Records a visit to a household in scope, grading its GPS fix. Writes the visit, its evidence
    /// references, the cadence clock (if on site) and the outbox operation in one transaction.
    pub fn record_visit(&mut self, input: VisitInput) -> Result<VisitRow> {
        let visit = self.build_visit(input)?;
        self.write(|w| insert_visit(w, &visit))?;
        // The row as stored, from what was just written (no read back in the save's path).
        let user_name = self.session()?.user_name.clone();
        Ok(stored_row(visit, user_name))
    }

    /// The visit `input` describes, checked and graded, not yet written (a 回访 writes it with its
    /// verification in one transaction).
    pub(crate) fn build_visit(&self, input: VisitInput) -> Result<Visit> {
        let actor = self.actor()?.clone();
        let level = self.session()?.node_level;
        let (household, _) = self.household_with_path(&input.household_id)?;
        let now = self.now_ms();
        let notes =
            visit_rules::check_content(input.started_at_ms, input.ended_at_ms, input.fix.as_ref(), &input.notes, &input.evidence, now)?;
        if let Some(issue_id) = &input.issue_id {
            self.issue_row(issue_id)?;
        }
        let window = geo::FixWindow { started_at_ms: input.started_at_ms, at_ms: input.ended_at_ms };
        let assessment = geo::assess(input.fix.as_ref(), household.lat.zip(household.lon), &self.policies.on_site, window);
        let visit = Visit {
            id: new_id(),
            household_id: household.id,
            visitor_id: actor.user_id,
            visitor_level: level,
            kind: input.kind,
            started_at_ms: input.started_at_ms,
            ended_at_ms: input.ended_at_ms,
            fix: input.fix,
            distance_m: assessment.distance_m,
            verdict: assessment.verdict,
            notes,
            evidence: input.evidence,
            issue_id: input.issue_id,
            amends_visit_id: None,
        };
        Ok(visit)
    }

    /// The row of a visit just written by the signed-in user.
    pub(crate) fn own_visit_row(&self, visit: Visit) -> Result<VisitRow> {
        let user_name = self.session()?.user_name.clone();
        Ok(stored_row(visit, user_name))
    }

    /// The verdict a visit to the household would get now with `fix` (the visit form's live preview): the
    /// same grading `record_visit` applies, judged at the store's clock for a visit started at
    /// `started_at_ms`. A fix that is not a real position or time is refused like on save. Nothing is written.
    pub fn preview_verdict(&self, household_id: &str, fix: Option<&GpsFix>, started_at_ms: i64) -> Result<geo::Assessment> {
        let (household, _) = self.household_with_path(household_id)?;
        let now = self.now_ms();
        if let Some(fix) = fix {
            geo::validate_fix(fix)?;
            geo::check_fix_time(fix, now)?;
        }
        let window = geo::FixWindow { started_at_ms, at_ms: now };
        Ok(geo::assess(fix, household.lat.zip(household.lon), &self.policies.on_site, window))
    }

    /// Corrects a visit's notes and photos: a new amendment record; the original stays as it was.
    /// Only the original visitor may amend. The amendment keeps the original's household, times and fix.
    pub fn amend_visit(&mut self, visit_id: &str, notes: &str, evidence: Vec<String>) -> Result<VisitRow> {
        let actor = self.actor()?.clone();
        let original = self.visit(visit_id)?;
        if original.visitor_id != actor.user_id {
            return Err(Error::Rule(linkage_protocol::rules::RuleError::NotPermitted(
                linkage_protocol::rules::Denial::NotAssignee,
            )));
        }
        let notes = validate::text("notes", notes, 1, limits::NOTE)?;
        validate::evidence("evidence", &evidence)?;
        let (fix, level): (Option<GpsFix>, String) = self.conn().query_row(
            "SELECT lat, lon, accuracy_m, fix_time_ms, mocked, visitor_level FROM visits WHERE id = ?1",
            [visit_id],
            |r| {
                let fix = match (r.get::<_, Option<f64>>(0)?, r.get::<_, Option<f64>>(1)?) {
                    (Some(lat), Some(lon)) => Some(GpsFix {
                        lat,
                        lon,
                        accuracy_m: r.get(2)?,
                        fix_time_ms: r.get(3)?,
                        mocked: r.get(4)?,
                    }),
                    _ => None,
                };
                Ok((fix, r.get(5)?))
            },
        )?;
        let visit = Visit {
            id: new_id(),
            household_id: original.household_id,
            visitor_id: actor.user_id,
            visitor_level: parse_enum(&level)?,
            kind: original.kind,
            started_at_ms: original.started_at_ms,
            ended_at_ms: original.ended_at_ms,
            fix,
            distance_m: original.distance_m,
            verdict: original.verdict,
            notes,
            evidence,
            issue_id: original.issue_id,
            amends_visit_id: Some(original.id),
        };
        self.write(|w| insert_visit(w, &visit))?;
        self.visit(&visit.id)
    }

    /// One visit in scope.
    pub fn visit(&self, id: &str) -> Result<VisitRow> {
        let actor = self.actor()?;
        let row = self
            .conn()
            .query_row(&format!("{SELECT_VISIT} WHERE v.id = ?1"), [id], |r| Ok((map_visit(r)?, r.get::<_, String>(15)?)))
            .optional()?;
        match row {
            Some((v, path)) if actor.sees(&path) => finish(self, v),
            _ => Err(Error::not_found("visit", id)),
        }
    }

    /// The latest visits to a household in scope, newest first.
    pub fn household_visits(&self, household_id: &str, limit: u32) -> Result<Vec<VisitRow>> {
        Ok(self.household_visit_page(household_id, 0, limit)?.0)
    }

    /// A page of a household's visits (in scope), newest first, with the total: the household page pages
    /// through its whole history (indexed by household and start time).
    pub fn household_visit_page(&self, household_id: &str, offset: u32, limit: u32) -> Result<(Vec<VisitRow>, u64)> {
        self.household_with_path(household_id)?;
        let total: i64 =
            self.conn().query_row("SELECT count(*) FROM visits WHERE household_id = ?1", [household_id], |r| r.get(0))?;
        let mut stmt = self.conn().prepare_cached(&format!(
            "{SELECT_VISIT} WHERE v.household_id = ?1 ORDER BY v.started_at_ms DESC, v.id DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(params![household_id, super::page_limit(limit), offset], map_visit)?;
        let items = rows.map(|r| finish(self, r?)).collect::<Result<Vec<_>>>()?;
        Ok((items, total as u64))
    }
}

const SELECT_VISIT: &str = "SELECT v.id, v.household_id, v.visitor_id, v.kind, v.started_at_ms, v.ended_at_ms, v.verdict,
    v.distance_m, v.accuracy_m, v.notes, v.issue_id, v.amends_visit_id, u.name,
    (SELECT group_concat(hash, '|') FROM evidence_refs e WHERE e.entity_kind = 'visit' AND e.entity_id = v.id),
    v.visitor_level, h.path
    FROM visits v JOIN households h ON h.id = v.household_id LEFT JOIN users u ON u.id = v.visitor_id";

/// Raw row with enum columns still as text.
type RawVisit = (VisitRow, String, String);

fn map_visit(r: &Row<'_>) -> rusqlite::Result<RawVisit> {
    let evidence: Option<String> = r.get(13)?;
    Ok((
        VisitRow {
            id: r.get(0)?,
            household_id: r.get(1)?,
            visitor_id: r.get(2)?,
            visitor_name: r.get(12)?,
            kind: VisitKind::Routine,
            started_at_ms: r.get(4)?,
            ended_at_ms: r.get(5)?,
            verdict: OnSiteVerdict::NoFix,
            distance_m: r.get(7)?,
            accuracy_m: r.get(8)?,
            notes: r.get(9)?,
            evidence: evidence.map(|e| e.split('|').map(str::to_string).collect()).unwrap_or_default(),
            issue_id: r.get(10)?,
            amends_visit_id: r.get(11)?,
        },
        r.get(3)?,
        r.get(6)?,
    ))
}

fn finish(_store: &Store, raw: RawVisit) -> Result<VisitRow> {
    let (mut v, kind, verdict) = raw;
    v.kind = parse_enum(&kind)?;
    v.verdict = parse_enum(&verdict)?;
    Ok(v)
}

/// The row [`Store::visit`] reads back for a visit just stored by the signed-in visitor (`visitor_name`).
fn stored_row(visit: Visit, visitor_name: String) -> VisitRow {
    let mut evidence: Vec<String> = Vec::with_capacity(visit.evidence.len());
    for hash in visit.evidence {
        if !evidence.contains(&hash) {
            evidence.push(hash);
        }
    }
    VisitRow {
        accuracy_m: visit.fix.as_ref().map(|f| f.accuracy_m),
        id: visit.id,
        household_id: visit.household_id,
        visitor_id: visit.visitor_id,
        visitor_name: Some(visitor_name),
        kind: visit.kind,
        started_at_ms: visit.started_at_ms,
        ended_at_ms: visit.ended_at_ms,
        verdict: visit.verdict,
        distance_m: visit.distance_m,
        notes: visit.notes,
        evidence,
        issue_id: visit.issue_id,
        amends_visit_id: visit.amends_visit_id,
    }
}

/// Records a local visit: the visit and its outbox operation.
pub(crate) fn insert_visit(w: &mut Tx<'_>, visit: &Visit) -> Result<()> {
    let op = w.new_op(OpBody::VisitRecorded(visit.clone()));
    persist_visit(&w.tx, visit, &op.hlc)?;
    w.enqueue_op(&op)
}

/// Stores a visit (local, or pulled from the server) with its evidence references and cadence clock.
/// A visit already stored is left as it is (visits are immutable).
pub(crate) fn persist_visit(tx: &rusqlite::Connection, visit: &Visit, hlc: &str) -> Result<()> {
    let fix = visit.fix.as_ref();
    let inserted = tx.prepare_cached(
        "INSERT INTO visits (id, household_id, visitor_id, visitor_level, kind, started_at_ms, ended_at_ms, lat, lon,
           accuracy_m, fix_time_ms, mocked, distance_m, verdict, notes, issue_id, amends_visit_id, hlc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT(id) DO NOTHING")?
    .execute(params![
            visit.id,
            visit.household_id,
            visit.visitor_id,
            enum_str(&visit.visitor_level),
            enum_str(&visit.kind),
            visit.started_at_ms,
            visit.ended_at_ms,
            fix.map(|f| f.lat),
            fix.map(|f| f.lon),
            fix.map(|f| f.accuracy_m),
            fix.map(|f| f.fix_time_ms),
            fix.map(|f| f.mocked),
            visit.distance_m,
            enum_str(&visit.verdict),
            visit.notes,
            visit.issue_id,
            visit.amends_visit_id,
            hlc,
        ])?;
    if inserted == 0 {
        return Ok(());
    }
    for hash in &visit.evidence {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO evidence_refs (entity_kind, entity_id, hash) VALUES ('visit', ?1, ?2)")?
        .execute(params![visit.id, hash])?;
    }
    if visit.verdict == OnSiteVerdict::OnSite && visit.amends_visit_id.is_none() {
        tx.prepare_cached(
            "INSERT INTO household_last_visit (household_id, level, last_onsite_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(household_id, level) DO UPDATE SET last_onsite_ms = max(last_onsite_ms, excluded.last_onsite_ms)")?
        .execute(params![visit.household_id, enum_str(&visit.visitor_level), visit.started_at_ms])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::store::HouseholdFilter;

    fn input(fix: Option<GpsFix>) -> VisitInput {
        VisitInput {
            household_id: "h1".into(),
            kind: VisitKind::Routine,
            started_at_ms: NOW - 600_000,
            ended_at_ms: NOW - 60_000,
            fix,
            notes: "老人身体尚可，需要冬季取暖补贴".into(),
            evidence: vec!["ab".repeat(32)],
            issue_id: None,
        }
    }

    fn fix_at(lat: f64, lon: f64) -> Option<GpsFix> {
        Some(GpsFix { lat, lon, accuracy_m: 8.0, fix_time_ms: NOW - 90_000, mocked: false })
    }

    #[test]
    fn on_site_visit_resets_the_cadence_and_queues_one_op() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let v = s.record_visit(input(fix_at(35.5801, 109.2601))).unwrap();
        assert_eq!(v, s.visit(&v.id).unwrap(), "the row returned is the row stored");
        assert_eq!(v.verdict, OnSiteVerdict::OnSite);
        assert!(v.distance_m.unwrap() < 20.0);
        assert_eq!(v.evidence.len(), 1);
        assert_eq!(v.visitor_name.as_deref(), Some("网格员"));
        let (overdue, _) = s.overdue_households(None, 0, 10).unwrap();
        assert!(!overdue.iter().any(|o| o.household.id == "h1"));
        let h = s.list_households(&HouseholdFilter { text: Some("张建国".into()), limit: 5, ..Default::default() }).unwrap();
        assert_eq!(h.0[0].last_onsite_ms, Some(NOW - 600_000));
        assert_eq!(s.outbox_counts().unwrap().pending, 1);
    }

    #[test]
    fn far_or_poor_fixes_are_recorded_but_do_not_count() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        assert_eq!(s.record_visit(input(fix_at(35.60, 109.26))).unwrap().verdict, OnSiteVerdict::TooFar);
        assert_eq!(s.record_visit(input(None)).unwrap().verdict, OnSiteVerdict::NoFix);
        let (overdue, _) = s.overdue_households(None, 0, 10).unwrap();
        assert!(overdue.iter().any(|o| o.household.id == "h1"));
        assert_eq!(s.household_visits("h1", 10).unwrap().len(), 2);
    }

    #[test]
    fn amendment_is_a_new_record() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let v = s.record_visit(input(fix_at(35.58, 109.26))).unwrap();
        let a = s.amend_visit(&v.id, "更正：需要取暖补贴和助餐", vec![]).unwrap();
        assert_eq!(a.amends_visit_id.as_deref(), Some(v.id.as_str()));
        assert_eq!(s.visit(&v.id).unwrap().notes, v.notes, "original untouched");
        assert_eq!(s.household_visits("h1", 10).unwrap().len(), 2);
        s.sign_in("ts").unwrap();
        assert!(matches!(s.amend_visit(&v.id, "x", vec![]), Err(Error::Rule(_))));
    }

    #[test]
    fn bad_visits_change_nothing() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let before = snapshot(&s);
        let cases: Vec<(VisitInput, &str)> = vec![
            (input(fix_at(f64::NAN, 109.0)), "lat"),
            (input(fix_at(35.0, 200.0)), "lon"),
            (VisitInput { notes: "记".repeat(2001), ..input(None) }, "notes"),
            (VisitInput { evidence: vec!["zz".into()], ..input(None) }, "evidence"),
            (VisitInput { started_at_ms: NOW, ended_at_ms: NOW - 1, ..input(None) }, "started_at_ms"),
            (VisitInput { ended_at_ms: NOW + 3_600_000, ..input(None) }, "ended_at_ms"),
        ];
        for (case, field) in cases {
            match s.record_visit(case) {
                Err(Error::Field(f)) => assert_eq!(f.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert!(matches!(s.record_visit(VisitInput { household_id: "h4".into(), ..input(None) }), Err(Error::NotFound { .. })));
        assert!(matches!(
            s.record_visit(VisitInput { issue_id: Some("nope".into()), ..input(None) }),
            Err(Error::NotFound { .. })
        ));
        assert_eq!(snapshot(&s), before);
    }
}
