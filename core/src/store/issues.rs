//! Issues (诉求) on the phone: an append-only event log per issue plus its projection (the fold) in the
//! `issues` table for indexed queues. Every action is authorized by the shared lifecycle rules, then the
//! event, the projection and the outbox operation are written in one transaction. Out-of-scope issues look
//! exactly like missing ones.

use linkage_protocol::labels::{Label, Locale};
use linkage_protocol::model::{GpsFix, IssueActionKind, IssueCategory, IssueState, Satisfaction, SupervisionLevel, Urgency};
use linkage_protocol::rules::lifecycle::{self, IssueProjection};
use linkage_protocol::rules::sla::{Light, SlaRules};
use linkage_protocol::rules::{geo, intake, report_place, scope, RuleError};
use linkage_protocol::validate::{self, limits};
use linkage_protocol::wire::{IssueAction, IssueEvent, IssueReport, OpBody, Operation};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};

use super::{enum_str, new_id, page_limit, parse_enum, Store, Tx};
use crate::error::{Error, Result};

/// What the report form hands in.
#[derive(Debug, Clone)]
pub struct IssueInput {
    pub category: IssueCategory,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    /// The household concerned, if any; otherwise `node_id` says where.
    pub household_id: Option<String>,
    pub node_id: Option<String>,
    pub location: Option<GpsFix>,
    pub evidence: Vec<String>,
    /// A UUID the form made when it opened: submitting the same form twice is refused as a duplicate.
    pub client_op_id: Option<String>,
}

/// An action on an existing issue, as the issue page hands it in.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueCommand {
    Accept,
    Reject { reason: String },
    Merge { into_issue_id: String },
    Assign { assignee_id: String },
    Start,
    Resolve { note: String, evidence: Vec<String> },
    Escalate { reason: String },
    Verify { satisfaction: Satisfaction, note: String },
    /// 挂起: stop the clock, with the reason.
    Suspend { reason: String },
    /// 恢复: run the clock again.
    Resume,
    /// 延期申请 to the level above.
    RequestExtension { working_days: u32, reason: String },
    /// 延期审批 by the level above.
    DecideExtension { approved: bool, note: String },
    /// 督办 by the level above.
    Supervise { level: SupervisionLevel, note: String },
}

/// The parts of a projection beyond the lifecycle columns, stored as JSON in `issues.flow`.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Flow {
    #[serde(default)]
    suspensions: Vec<linkage_protocol::rules::sla::Suspension>,
    #[serde(default)]
    extensions_days: Vec<u32>,
    #[serde(default)]
    pending_extension_days: Option<u32>,
    #[serde(default)]
    overdue_step: Option<linkage_protocol::rules::sla::SlaStep>,
    #[serde(default)]
    resolved_on_spot: bool,
}

fn flow_json(p: &IssueProjection) -> Result<String> {
    Ok(serde_json::to_string(&Flow {
        suspensions: p.suspensions.clone(),
        extensions_days: p.extensions_days.clone(),
        pending_extension_days: p.pending_extension_days,
        overdue_step: p.overdue_step,
        resolved_on_spot: p.resolved_on_spot,
    })?)
}

/// Fills the flow fields of a projection read from a row (`flow` JSON and the supervision column).
pub(crate) fn read_flow(p: &mut IssueProjection, flow: &str, supervision: Option<&str>) -> Result<()> {
    let f: Flow = serde_json::from_str(flow)?;
    p.suspensions = f.suspensions;
    p.extensions_days = f.extensions_days;
    p.pending_extension_days = f.pending_extension_days;
    p.overdue_step = f.overdue_step;
    p.resolved_on_spot = f.resolved_on_spot;
    p.supervision = supervision.map(parse_enum).transpose()?;
    Ok(())
}

/// Which issues a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueListScope {
    /// Owned by the user's node (the triage queue), deadline first.
    Owned,
    /// Assigned to the user, deadline first.
    AssignedToMe,
    /// Reported by the user, newest first (a liaison head follows what they submitted).
    ReportedByMe,
    /// Everything in the user's area, newest first.
    InArea,
}

/// An issue as lists and pages show it.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRow {
    pub projection: IssueProjection,
    pub step_started_ms: Option<i64>,
    pub due_at_ms: Option<i64>,
    pub light: Light,
}

/// One entry of an issue's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineRow {
    pub event_id: String,
    pub action: IssueActionKind,
    pub actor_id: String,
    /// Who took the step, as the screen names it: this phone's record of the person, else the name the event
    /// carries, else the role (`labels::actor_label`) — never the id.
    pub actor_name: String,
    pub at_ms: i64,
    /// Reason, note, assignee or satisfaction, ready to display.
    pub detail: String,
    /// The photos this event brought (report, resolution, 补充反映).
    pub evidence: Vec<String>,
    /// Still waiting in the outbox.
    pub pending_sync: bool,
}

/// Deadline order, issues without a running clock last; matches the queue indexes exactly so SQLite walks
/// the index instead of sorting.
pub(super) const DEADLINE_ORDER: &str = "coalesce(due_at_ms, 9223372036854775807), id";

pub(crate) const COLUMNS: &str = "id, state, category, urgency, title, description, node_id, path, household_id, owner_node_id,
    reporter_id, assignee_id, rework_count, escalation_count, merged_into, satisfaction, lat, lon, reported_at_ms,
    accepted_at_ms, assigned_at_ms, resolved_at_ms, closed_at_ms, last_hlc, step_started_ms, due_at_ms, flow, supervision";

pub(crate) type RawIssue = (IssueProjection, [String; 3], Option<String>, Option<i64>, Option<i64>, (String, Option<String>));

pub(crate) fn map_issue(r: &Row<'_>) -> rusqlite::Result<RawIssue> {
    let location = match (r.get::<_, Option<f64>>(16)?, r.get::<_, Option<f64>>(17)?) {
        (Some(lat), Some(lon)) => Some(GpsFix { lat, lon, accuracy_m: 0.0, fix_time_ms: 0, mocked: false }),
        _ => None,
    };
    Ok((
        IssueProjection {
            id: r.get(0)?,
            state: IssueState::Reported,
            category: IssueCategory::Other,
            urgency: Urgency::Normal,
            title: r.get(4)?,
            description: r.get(5)?,
            node_id: r.get(6)?,
            path: r.get(7)?,
            household_id: r.get(8)?,
            owner_node_id: r.get(9)?,
            reporter_id: r.get(10)?,
            assignee_id: r.get(11)?,
            rework_count: r.get(12)?,
            escalation_count: r.get(13)?,
            merged_into: r.get(14)?,
            satisfaction: None,
            location,
            reported_at_ms: r.get(18)?,
            accepted_at_ms: r.get(19)?,
            assigned_at_ms: r.get(20)?,
            resolved_at_ms: r.get(21)?,
            closed_at_ms: r.get(22)?,
            last_hlc: r.get(23)?,
            suspensions: Vec::new(),
            extensions_days: Vec::new(),
            pending_extension_days: None,
            supervision: None,
            overdue_step: None,
            resolved_on_spot: false,
        },
        [r.get(1)?, r.get(2)?, r.get(3)?],
        r.get(15)?,
        r.get(24)?,
        r.get(25)?,
        (r.get(26)?, r.get(27)?),
    ))
}

/// The projection of a row read with [`COLUMNS`] and [`map_issue`], its enums and flow decoded.
pub(crate) fn read_projection(raw: RawIssue) -> Result<(IssueProjection, Option<i64>, Option<i64>)> {
    let (mut p, [state, category, urgency], satisfaction, step_started_ms, due_at_ms, (flow, supervision)) = raw;
    read_flow(&mut p, &flow, supervision.as_deref())?;
    p.state = parse_enum(&state)?;
    p.category = parse_enum(&category)?;
    p.urgency = parse_enum(&urgency)?;
    p.satisfaction = satisfaction.map(|s| parse_enum(&s)).transpose()?;
    Ok((p, step_started_ms, due_at_ms))
}

pub(super) fn finish(raw: RawIssue, sla: &SlaRules, now_ms: i64) -> Result<IssueRow> {
    let (p, step_started_ms, due_at_ms) = read_projection(raw)?;
    let light = step_clock(sla, &p).map_or(Light::None, |clock| clock.light(now_ms));
    Ok(IssueRow { projection: p, step_started_ms, due_at_ms, light })
}

fn parse_client_op_id(id: Option<&str>) -> Result<Option<String>> {
    id.map(|s| {
        uuid::Uuid::parse_str(s)
            .map(|u| u.hyphenated().to_string())
            .map_err(|_| Error::invalid("client_op_id", "must be a UUID"))
    })
    .transpose()
}

impl Store {
    /// Reports a new issue (上报) about a household or node in scope. Returns the new issue.
    pub fn report_issue(&mut self, input: IssueInput) -> Result<IssueRow> {
        let (actor, report, op_id) = self.prepare_report(input)?;
        let issue_id = new_id();
        let id = issue_id.clone();
        let sla = self.policies.sla.clone();
        self.write(move |w| {
            let event = new_event(w, op_id, &actor, &issue_id, IssueAction::Report(report.clone()))?;
            let projection = IssueProjection::from_report(&event, &report);
            append_event(w, &event, &projection, &sla)
        })?;
        self.issue_row(&id)
    }

    /// 就地解决: a grid worker reports an issue they have already resolved on the spot, in one step, with the
    /// report's photos as evidence (at least one). Two events in one transaction (report, on-the-spot
    /// resolution); the issue then waits for verification like any resolved one.
    pub fn report_resolved_on_spot(&mut self, input: IssueInput, note: &str) -> Result<IssueRow> {
        let (actor, report, op_id) = self.prepare_report(input)?;
        let resolution = lifecycle::normalize_payload(IssueAction::ResolveOnSpot { note: note.to_string(), evidence: report.evidence.clone() })?;
        let issue_id = new_id();
        let id = issue_id.clone();
        let sla = self.policies.sla.clone();
        self.write(move |w| {
            let event = new_event(w, op_id, &actor, &issue_id, IssueAction::Report(report.clone()))?;
            let mut projection = IssueProjection::from_report(&event, &report);
            append_event(w, &event, &projection, &sla)?;
            // Authorized against the fresh report: only a grid worker who reported it may do this.
            lifecycle::authorize(&actor, &projection.facts(true), IssueActionKind::ResolveOnSpot)?;
            let resolved = new_event(w, None, &actor, &issue_id, resolution)?;
            projection.apply(&resolved)?;
            append_event(w, &resolved, &projection, &sla)
        })?;
        self.issue_row(&id)
    }

    fn prepare_report(&self, input: IssueInput) -> Result<(linkage_protocol::model::Actor, IssueReport, Option<String>)> {
        let actor = self.actor()?.clone();
        let (node_id, path, household_id) = match (&input.household_id, &input.node_id) {
            (Some(hid), _) => {
                let (h, path) = self.household_with_path(hid)?;
                (h.group_id, path, Some(h.id))
            }
            (None, Some(nid)) => {
                validate::id("node_id", nid)?;
                let node = self.node(nid).map_err(|_| Error::not_found("node", nid))?;
                if !actor.sees(&node.path) {
                    return Err(Error::not_found("node", nid));
                }
                (node.id, node.path, None)
            }
            (None, None) => return Err(Error::invalid("household_id", "name the household or the place the issue is about")),
        };
        lifecycle::authorize_report(&actor, &path)?;
        let title = validate::text("title", &input.title, 1, limits::TITLE)?;
        let description = validate::text("description", &input.description, 0, limits::DESCRIPTION)?;
        if let Some(fix) = &input.location {
            geo::validate_fix(fix)?;
        }
        report_place::check(household_id.as_deref(), input.location.as_ref(), &description)?;
        validate::evidence("evidence", &input.evidence)?;
        let op_id = parse_client_op_id(input.client_op_id.as_deref())?;
        // The township, or the village branch for a liaison head's report when the county says so (ADR 0008).
        let owner = intake::first_owner(&path, actor.role, &self.policies.intake)
            .ok_or_else(|| Error::Corrupt("issue path without a county".into()))?;
        let report = IssueReport {
            category: input.category,
            urgency: input.urgency,
            title,
            description,
            node_id,
            path: path.clone(),
            household_id,
            owner_node_id: owner.to_string(),
            location: input.location,
            evidence: input.evidence,
        };
        Ok((actor, report, op_id))
    }

    /// Takes one lifecycle action on an issue in scope, as the signed-in user.
    pub fn perform_issue_action(&mut self, issue_id: &str, command: IssueCommand) -> Result<IssueRow> {
        let actor = self.actor()?.clone();
        let mut projection = self.issue_row(issue_id)?.projection;
        let owner_node = self.node(&projection.owner_node_id)?;
        let facts = projection.facts(owner_node.parent_id.is_some());
        let kind = command_kind(&command);
        lifecycle::authorize(&actor, &facts, kind)?;
        let action = match command {
            IssueCommand::Accept => IssueAction::Accept,
            IssueCommand::Start => IssueAction::Start,
            IssueCommand::Reject { reason } => IssueAction::Reject { reason },
            IssueCommand::Merge { into_issue_id } => {
                validate::id("into_issue_id", &into_issue_id)?;
                if into_issue_id == projection.id {
                    return Err(Error::invalid("into_issue_id", "an issue cannot be merged into itself"));
                }
                let target = self.issue_row(&into_issue_id)?.projection;
                if target.state.is_terminal() {
                    return Err(Error::invalid("into_issue_id", "the surviving issue must still be open"));
                }
                IssueAction::Merge { into_issue_id }
            }
            IssueCommand::Assign { assignee_id } => {
                validate::id("assignee_id", &assignee_id)?;
                let (role, path, _) = self.user_role_path(&assignee_id)?;
                lifecycle::check_assignee(&owner_node.path, &projection.path, role, &path)?;
                IssueAction::Assign { assignee_id }
            }
            IssueCommand::Resolve { note, evidence } => IssueAction::Resolve { note, evidence },
            IssueCommand::Escalate { reason } => {
                IssueAction::Escalate { reason, to_node_id: owner_node.parent_id.clone().ok_or(RuleError::NoHigherLevel)? }
            }
            IssueCommand::Verify { satisfaction, note } => IssueAction::Verify { satisfaction, note },
            IssueCommand::Suspend { reason } => IssueAction::Suspend { reason },
            IssueCommand::Resume => IssueAction::Resume,
            IssueCommand::RequestExtension { working_days, reason } => IssueAction::RequestExtension { working_days, reason },
            IssueCommand::DecideExtension { approved, note } => IssueAction::DecideExtension { approved, note },
            IssueCommand::Supervise { level, note } => IssueAction::Supervise { level, note },
        };
        // Texts trimmed and limited, photo lists checked: the same code the server judges them with.
        let action = lifecycle::normalize_payload(action)?;
        let sla = self.policies.sla.clone();
        self.write(|w| {
            let event = new_event(w, None, &actor, issue_id, action)?;
            projection.apply(&event)?;
            append_event(w, &event, &projection, &sla)
        })?;
        self.issue_row(issue_id)
    }

    /// 是这件，不重复上报: the report draft joins the open issue `issue_id` instead of filing a second one — the
    /// draft's title and description become the 补充反映's note and its photos join the issue's report photos;
    /// the event, its outbox operation and the draft's deletion commit in ONE transaction. Judged by the shared
    /// lifecycle rules (anyone in scope, an open issue); a refusal leaves the draft as it was.
    pub fn join_issue_from_draft(&mut self, draft_id: &str, issue_id: &str) -> Result<IssueRow> {
        let d = self.draft(draft_id)?;
        if d.kind != super::DraftKind::IssueReport {
            return Err(Error::invalid("draft_id", "only a report draft can join an existing issue"));
        }
        let actor = self.actor()?.clone();
        let mut projection = self.issue_row(issue_id)?.projection;
        if projection.state.is_terminal() {
            return Err(Error::invalid("issue_id", "the issue is already closed: report a new one"));
        }
        let owner = self.node(&projection.owner_node_id)?;
        lifecycle::authorize(&actor, &projection.facts(owner.parent_id.is_some()), IssueActionKind::Join)?;
        let note = join_note(&d.fields.title, &d.fields.notes);
        let evidence = d.photos.iter().map(|p| p.hash.clone()).collect();
        let action = lifecycle::normalize_payload(IssueAction::Join { note, evidence })?;
        let sla = self.policies.sla.clone();
        self.write(|w| {
            let event = new_event(w, None, &actor, issue_id, action)?;
            projection.apply(&event)?;
            append_event(w, &event, &projection, &sla)?;
            super::drafts::delete_draft_rows(&w.tx, draft_id)?;
            w.topics.add(crate::observe::Topics::of(&[crate::observe::ChangeTopic::Drafts]));
            Ok(())
        })?;
        self.issue_row(issue_id)
    }

    /// The actions the signed-in user may take on the issue now (the issue page's buttons).
    pub fn allowed_issue_actions(&self, issue_id: &str) -> Result<Vec<IssueActionKind>> {
        let actor = self.actor()?;
        let row = self.issue_row(issue_id)?;
        let owner = self.node(&row.projection.owner_node_id)?;
        Ok(lifecycle::allowed_actions(actor, &row.projection.facts(owner.parent_id.is_some())))
    }

    /// One issue in scope.
    pub fn issue_row(&self, id: &str) -> Result<IssueRow> {
        let actor = self.actor()?;
        validate::id("issue_id", id)?;
        let raw = self
            .conn()
            .query_row(&format!("SELECT {COLUMNS} FROM issues WHERE id = ?1"), [id], map_issue)
            .optional()?;
        match raw {
            Some(raw) if actor.sees(&raw.0.path) => finish(raw, &self.policies.sla, self.now_ms()),
            _ => Err(Error::not_found("issue", id)),
        }
    }

    /// A page of issues for the signed-in user, with the total count.
    /// `states` empty means every state.
    pub fn list_issues(
        &self,
        list: IssueListScope,
        states: &[IssueState],
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<IssueRow>, u64)> {
        self.list_issues_due(list, states, None, offset, limit)
    }

    /// [`Store::list_issues`], keeping only issues whose current deadline lies before `due_before` when given
    /// (the 超期 filter).
    pub fn list_issues_due(
        &self,
        list: IssueListScope,
        states: &[IssueState],
        due_before: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> Result<(Vec<IssueRow>, u64)> {
        let actor = self.actor()?;
        let mut args: Vec<Value> = Vec::new();
        let (mut where_sql, order) = match list {
            IssueListScope::Owned => {
                args.push(actor.node_id.clone().into());
                ("owner_node_id = ?1".to_string(), DEADLINE_ORDER)
            }
            IssueListScope::AssignedToMe => {
                args.push(actor.user_id.clone().into());
                ("assignee_id = ?1".to_string(), DEADLINE_ORDER)
            }
            IssueListScope::ReportedByMe => {
                args.push(actor.user_id.clone().into());
                ("reporter_id = ?1".to_string(), "reported_at_ms DESC, id DESC")
            }
            IssueListScope::InArea => {
                args.push(actor.node_path.clone().into());
                args.push(scope::upper_bound(&actor.node_path).into());
                ("path >= ?1 AND path < ?2".to_string(), "reported_at_ms DESC, id DESC")
            }
        };
        if !states.is_empty() {
            let marks: Vec<String> = states
                .iter()
                .map(|s| {
                    args.push(s.as_str().to_string().into());
                    format!("?{}", args.len())
                })
                .collect();
            where_sql.push_str(&format!(" AND state IN ({})", marks.join(", ")));
        }
        if let Some(due) = due_before {
            args.push(due.into());
            where_sql.push_str(&format!(" AND due_at_ms < ?{}", args.len()));
        }
        let total: i64 = self.conn().query_row(
            &format!("SELECT count(*) FROM issues WHERE {where_sql}"),
            params_from_iter(args.iter()),
            |r| r.get(0),
        )?;
        args.push(i64::from(page_limit(limit)).into());
        args.push(i64::from(offset).into());
        let sql = format!(
            "SELECT {COLUMNS} FROM issues WHERE {where_sql} ORDER BY {order} LIMIT ?{} OFFSET ?{}",
            args.len() - 1,
            args.len()
        );
        let now = self.now_ms();
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), map_issue)?;
        // Scope is implied for Owned/Assigned/Reported (the user's own node or id); filter anyway so a
        // re-bound user never sees issues outside their current node.
        let items = rows
            .map(|r| finish(r?, &self.policies.sla, now))
            .filter(|r| r.as_ref().map_or(true, |row| actor.sees(&row.projection.path)))
            .collect::<Result<Vec<_>>>()?;
        Ok((items, total as u64))
    }

    /// A page of the issues about one household in scope (every state), newest report first, with the total:
    /// the household page's 诉求 list (indexed by household).
    pub fn household_issues(&self, household_id: &str, offset: u32, limit: u32) -> Result<(Vec<IssueRow>, u64)> {
        let (_, path) = self.household_with_path(household_id)?;
        let actor = self.actor()?;
        // The household is in scope, so its issues are (an issue's path is its household's path).
        debug_assert!(actor.sees(&path));
        let total: i64 =
            self.conn().query_row("SELECT count(*) FROM issues WHERE household_id = ?1", [household_id], |r| r.get(0))?;
        let now = self.now_ms();
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM issues WHERE household_id = ?1 ORDER BY reported_at_ms DESC, id DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt.query_map(params![household_id, page_limit(limit), offset], map_issue)?;
        let items = rows.map(|r| finish(r?, &self.policies.sla, now)).collect::<Result<Vec<_>>>()?;
        Ok((items, total as u64))
    }

    /// The issue's events, oldest first, ready to display.
    pub fn issue_timeline(&self, issue_id: &str) -> Result<Vec<TimelineRow>> {
        self.issue_row(issue_id)?;
        let locale = self.locale;
        let mut stmt = self.conn().prepare_cached(
            "SELECT e.event_id, e.body, u.name, EXISTS (SELECT 1 FROM outbox o WHERE o.op_id = e.event_id)
             FROM issue_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.issue_id = ?1 ORDER BY e.hlc, e.event_id",
        )?;
        let rows = stmt.query_map([issue_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, bool>(3)?))
        })?;
        rows.map(|r| {
            let (event_id, body, known_name, pending_sync) = r?;
            let event: IssueEvent = serde_json::from_str(&body)?;
            let name = known_name.as_deref().or(event.actor_name.as_deref());
            let actor_name = linkage_protocol::labels::actor_label(&event.actor_id, name, Some(event.actor_role), locale);
            Ok(TimelineRow {
                event_id,
                action: event.action.kind(),
                detail: self.describe(&event.action, locale)?,
                evidence: event_evidence(&event.action).to_vec(),
                actor_id: event.actor_id,
                actor_name,
                at_ms: event.at_ms,
                pending_sync,
            })
        })
        .collect()
    }

    fn describe(&self, action: &IssueAction, locale: Locale) -> Result<String> {
        Ok(match action {
            IssueAction::Report(r) => format!("{} · {}", r.category.label(locale), r.title),
            IssueAction::Accept | IssueAction::Start => String::new(),
            IssueAction::Reject { reason } | IssueAction::Escalate { reason, .. } => reason.clone(),
            IssueAction::Merge { into_issue_id } => into_issue_id.clone(),
            IssueAction::Assign { assignee_id } => self.user_name(assignee_id)?.unwrap_or_else(|| assignee_id.clone()),
            IssueAction::Resolve { note, .. } => note.clone(),
            IssueAction::Verify { satisfaction, note } if note.is_empty() => satisfaction.label(locale).to_string(),
            IssueAction::Verify { satisfaction, note } => format!("{} · {note}", satisfaction.label(locale)),
            IssueAction::Suspend { reason } => reason.clone(),
            IssueAction::Resume => String::new(),
            IssueAction::RequestExtension { working_days, reason } => match locale {
                Locale::ZhCn => format!("{working_days} 个工作日 · {reason}"),
                Locale::En => format!("{working_days} working days · {reason}"),
            },
            IssueAction::DecideExtension { approved, note } => {
                let verdict = match (locale, approved) {
                    (Locale::ZhCn, true) => "同意",
                    (Locale::ZhCn, false) => "不同意",
                    (Locale::En, true) => "approved",
                    (Locale::En, false) => "denied",
                };
                if note.is_empty() { verdict.to_string() } else { format!("{verdict} · {note}") }
            }
            IssueAction::Supervise { level, note } if note.is_empty() => level.label(locale).to_string(),
            IssueAction::Supervise { level, note } => format!("{} · {note}", level.label(locale)),
            IssueAction::ResolveOnSpot { note, .. } => note.clone(),
            IssueAction::MarkOverdue { .. } => match locale {
                Locale::ZhCn => "超期未办，建议上报上级".to_string(),
                Locale::En => "Overdue: proposed for escalation".to_string(),
            },
            IssueAction::Join { note, evidence } if note.is_empty() => match locale {
                Locale::ZhCn => format!("同一件事再次反映 · {} 张照片", evidence.len()),
                Locale::En => format!("The same matter reported again · {} photo(s)", evidence.len()),
            },
            IssueAction::Join { note, .. } => note.clone(),
        })
    }
}

/// A 补充反映's note from a report draft: its title and description (the description alone when both would
/// not fit one note).
fn join_note(title: &str, description: &str) -> String {
    let (title, description) = (title.trim(), description.trim());
    match (title.is_empty(), description.is_empty()) {
        (_, true) => title.to_string(),
        (true, false) => description.to_string(),
        (false, false) => {
            let both = format!("{title}：{description}");
            if both.chars().count() <= limits::NOTE { both } else { description.to_string() }
        }
    }
}

fn command_kind(c: &IssueCommand) -> IssueActionKind {
    match c {
        IssueCommand::Accept => IssueActionKind::Accept,
        IssueCommand::Reject { .. } => IssueActionKind::Reject,
        IssueCommand::Merge { .. } => IssueActionKind::Merge,
        IssueCommand::Assign { .. } => IssueActionKind::Assign,
        IssueCommand::Start => IssueActionKind::Start,
        IssueCommand::Resolve { .. } => IssueActionKind::Resolve,
        IssueCommand::Escalate { .. } => IssueActionKind::Escalate,
        IssueCommand::Verify { .. } => IssueActionKind::Verify,
        IssueCommand::Suspend { .. } => IssueActionKind::Suspend,
        IssueCommand::Resume => IssueActionKind::Resume,
        IssueCommand::RequestExtension { .. } => IssueActionKind::RequestExtension,
        IssueCommand::DecideExtension { .. } => IssueActionKind::DecideExtension,
        IssueCommand::Supervise { .. } => IssueActionKind::Supervise,
    }
}

pub(super) fn new_event(
    w: &mut Tx<'_>,
    event_id: Option<String>,
    actor: &linkage_protocol::model::Actor,
    issue_id: &str,
    action: IssueAction,
) -> Result<IssueEvent> {
    // The signed-in user's name travels with the step: phones outside the user's area hold no record of them.
    let actor_name: Option<String> = w
        .tx
        .query_row("SELECT name FROM users WHERE id = ?1", [&actor.user_id], |r| r.get(0))
        .optional()?;
    Ok(IssueEvent {
        event_id: event_id.unwrap_or_else(new_id),
        issue_id: issue_id.to_string(),
        actor_id: actor.user_id.clone(),
        actor_role: actor.role,
        actor_node_id: actor.node_id.clone(),
        actor_name,
        hlc: w.next_hlc(),
        at_ms: w.now_ms,
        action,
    })
}

/// Writes an event, the issue's new projection, its evidence references and the outbox operation (whose op
/// id is the event id). A reused event id aborts everything with `DuplicateOperation`, whether its operation
/// is still in the outbox or was pushed already (then only the event log still holds it).
pub(crate) fn append_event(w: &mut Tx<'_>, event: &IssueEvent, projection: &IssueProjection, sla: &SlaRules) -> Result<()> {
    let op = Operation { op_id: event.event_id.clone(), hlc: event.hlc.clone(), body: OpBody::IssueEvent(event.clone()) };
    w.enqueue_op(&op)?;
    if !persist_event(&w.tx, event)? {
        return Err(Error::DuplicateOperation { op_id: event.event_id.clone() });
    }
    save_projection(&w.tx, w.now_ms, projection, sla)?;
    super::measures::save_facts_after_append(&w.tx, projection, event, sla)
}

/// The log half of applying a pulled event: stores it with the server's sequence (the device's own event
/// coming back only gains its sequence). `None` if it was already held with its sequence; else whether it was
/// new to this phone, and its issue must be refolded ([`refold_pulled`]) before the transaction commits. A
/// page refolds each issue it touched once, after its last event: the projection and facts depend only on
/// the log, so they end as if refolded after every event.
pub(crate) fn record_remote_event(tx: &rusqlite::Connection, event: &IssueEvent, server_seq: i64) -> Result<Option<bool>> {
    let inserted = persist_event(tx, event)?;
    let sequenced = tx.prepare_cached(
        "UPDATE issue_events SET server_seq = ?2, refused = 0 WHERE event_id = ?1 AND server_seq IS NULL")?
    .execute(params![event.event_id, server_seq])?;
    if !inserted && sequenced == 0 {
        return Ok(None);
    }
    Ok(Some(inserted))
}

/// Refolds an issue whose log gained pulled events ([`record_remote_event`]): in the server's order, then this
/// phone's unsent events.
pub(crate) fn refold_pulled(tx: &rusqlite::Connection, now_ms: i64, issue_id: &str, sla: &SlaRules) -> Result<()> {
    refold(tx, now_ms, issue_id, sla)?;
    Ok(())
}

/// Marks this device's event as refused by the server (its op is quarantined) and refolds the issue without it.
pub(crate) fn refuse_local_event(tx: &rusqlite::Connection, now_ms: i64, event_id: &str, sla: &SlaRules) -> Result<()> {
    let issue_id: Option<String> = tx
        .query_row("SELECT issue_id FROM issue_events WHERE event_id = ?1 AND server_seq IS NULL", [event_id], |r| r.get(0))
        .optional()?;
    if let Some(issue_id) = issue_id {
        tx.execute("UPDATE issue_events SET refused = 1 WHERE event_id = ?1", [event_id])?;
        if !refold(tx, now_ms, &issue_id, sla)? {
            // The refused event was the report itself: the issue does not exist anywhere but in the outbox.
            super::measures::delete_facts(tx, &issue_id)?;
            tx.execute("DELETE FROM issues WHERE id = ?1", [&issue_id])?;
        }
    }
    Ok(())
}

/// Recomputes an issue's projection from its log: server-accepted events in server order, then unsent ones by
/// HLC; refused events and events not legal at their point are skipped (kept in the log). False if the log
/// has no report to fold from (not pulled yet, or refused).
fn refold(tx: &rusqlite::Connection, now_ms: i64, issue_id: &str, sla: &SlaRules) -> Result<bool> {
    let mut stmt = tx.prepare_cached(
        "SELECT body FROM issue_events WHERE issue_id = ?1 AND refused = 0
         ORDER BY server_seq IS NULL, server_seq, hlc, event_id",
    )?;
    let events = stmt
        .query_map([issue_id], |r| r.get::<_, String>(0))?
        .map(|b| Ok(serde_json::from_str::<IssueEvent>(&b?)?))
        .collect::<Result<Vec<_>>>()?;
    let ordered: Vec<&IssueEvent> = events.iter().collect();
    match lifecycle::fold_ordered(&ordered) {
        Some((projection, skipped)) => {
            save_projection(tx, now_ms, &projection, sla)?;
            super::measures::save_facts_of_fold(tx, &projection, &ordered, &skipped, sla)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The photos an event brings: a report's, a resolution's, a 补充反映's.
fn event_evidence(action: &IssueAction) -> &[String] {
    match action {
        IssueAction::Report(r) => &r.evidence,
        IssueAction::Resolve { evidence, .. } | IssueAction::ResolveOnSpot { evidence, .. } | IssueAction::Join { evidence, .. } => evidence,
        _ => &[],
    }
}

/// Inserts an event into the log and links its photos; false if the event id is already there.
fn persist_event(tx: &rusqlite::Connection, event: &IssueEvent) -> Result<bool> {
    let inserted = tx.prepare_cached(
        "INSERT INTO issue_events (event_id, issue_id, hlc, at_ms, actor_id, action, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(event_id) DO NOTHING")?
    .execute(params![
            event.event_id,
            event.issue_id,
            event.hlc,
            event.at_ms,
            event.actor_id,
            enum_str(&event.action.kind()),
            serde_json::to_string(event)?
        ])?;
    let evidence = event_evidence(&event.action);
    // A 补充反映's photos are the report's: the same matter, seen by one more reporter.
    let entity_kind = if matches!(event.action, IssueAction::Report(_) | IssueAction::Join { .. }) { "issue_report" } else { "issue_resolution" };
    for hash in evidence {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO evidence_refs (entity_kind, entity_id, hash) VALUES (?1, ?2, ?3)")?
        .execute(params![entity_kind, event.issue_id, hash])?;
    }
    Ok(inserted > 0)
}

/// The clock of the step the issue is in now (accept, sign for, resolve, verify), with its pauses and
/// extensions, if one runs.
fn step_clock<'a>(sla: &'a SlaRules, p: &IssueProjection) -> Option<linkage_protocol::rules::sla::SlaClock<'a>> {
    sla.issue_clock(p)
}

fn save_projection(tx: &rusqlite::Connection, now_ms: i64, p: &IssueProjection, sla: &SlaRules) -> Result<()> {
    // The deadline is stored for deadline-ordered queues; the light is computed when read.
    let step = step_clock(sla, p).map(|clock| (clock.start_ms(), clock.deadline_ms(now_ms)));
    tx.prepare_cached(
        &format!(
            "INSERT INTO issues ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
               ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)
             ON CONFLICT(id) DO UPDATE SET state = excluded.state, owner_node_id = excluded.owner_node_id,
               assignee_id = excluded.assignee_id, rework_count = excluded.rework_count,
               escalation_count = excluded.escalation_count, merged_into = excluded.merged_into,
               satisfaction = excluded.satisfaction, accepted_at_ms = excluded.accepted_at_ms,
               assigned_at_ms = excluded.assigned_at_ms, resolved_at_ms = excluded.resolved_at_ms,
               closed_at_ms = excluded.closed_at_ms, last_hlc = excluded.last_hlc,
               step_started_ms = excluded.step_started_ms, due_at_ms = excluded.due_at_ms, flow = excluded.flow,
               supervision = excluded.supervision"
        ))?
    .execute(params![
            p.id,
            p.state.as_str(),
            enum_str(&p.category),
            enum_str(&p.urgency),
            p.title,
            p.description,
            p.node_id,
            p.path,
            p.household_id,
            p.owner_node_id,
            p.reporter_id,
            p.assignee_id,
            p.rework_count,
            p.escalation_count,
            p.merged_into,
            p.satisfaction.map(|s| enum_str(&s)),
            p.location.map(|l| l.lat),
            p.location.map(|l| l.lon),
            p.reported_at_ms,
            p.accepted_at_ms,
            p.assigned_at_ms,
            p.resolved_at_ms,
            p.closed_at_ms,
            p.last_hlc,
            step.map(|s| s.0),
            step.map(|s| s.1),
            flow_json(p)?,
            p.supervision.map(|l| enum_str(&l)),
        ])?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;

    pub(crate) fn draft() -> IssueInput {
        IssueInput {
            category: IssueCategory::LivelihoodAid,
            urgency: Urgency::Normal,
            title: "冬季取暖困难".into(),
            description: "独居老人家中缺煤，需要救助".into(),
            household_id: Some("h1".into()),
            node_id: None,
            location: None,
            evidence: vec![],
            client_op_id: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::tests_support::draft;
    use super::*;
    use linkage_protocol::rules::Denial;

    #[test]
    fn suspension_freezes_the_light_and_extension_moves_the_deadline() {
        let (mut s, clock) = store();
        s.sign_in("lh").unwrap();
        let id = s.report_issue(draft()).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        let accepted = s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        let due = accepted.due_at_ms.unwrap();

        let paused = s.perform_issue_action(&id, IssueCommand::Suspend { reason: "等待民政局审批".into() }).unwrap();
        assert!(paused.projection.suspended());
        clock.advance_ms(60 * 86_400_000);
        assert_eq!(s.issue_row(&id).unwrap().light, Light::Green, "a suspended clock does not run out");
        let resumed = s.perform_issue_action(&id, IssueCommand::Resume).unwrap();
        assert!(resumed.due_at_ms.unwrap() > due + 30 * 86_400_000, "the pause moved the deadline");

        // The township may only ask; the county decides.
        let before = snapshot(&s);
        assert!(matches!(
            s.perform_issue_action(&id, IssueCommand::RequestExtension { working_days: 31, reason: "x".into() }),
            Err(Error::Field(f)) if f.field == "working_days"
        ));
        assert!(matches!(
            s.perform_issue_action(&id, IssueCommand::Suspend { reason: "  ".into() }),
            Err(Error::Field(f)) if f.field == "reason"
        ));
        assert_eq!(snapshot(&s), before, "refused input changes nothing");
        s.perform_issue_action(&id, IssueCommand::RequestExtension { working_days: 5, reason: "材料未到".into() }).unwrap();
        assert!(matches!(
            s.perform_issue_action(&id, IssueCommand::DecideExtension { approved: true, note: String::new() }),
            Err(Error::Rule(RuleError::NotPermitted(Denial::NotAboveOwner)))
        ));
        let pending_due = s.issue_row(&id).unwrap().due_at_ms.unwrap();
        s.sign_in("cs").unwrap();
        let decided = s.perform_issue_action(&id, IssueCommand::DecideExtension { approved: true, note: "同意".into() }).unwrap();
        assert_eq!(decided.projection.extensions_days, vec![5]);
        assert!(decided.due_at_ms.unwrap() >= pending_due + 5 * 86_400_000, "five working days later at least");
        let supervised = s.perform_issue_action(&id, IssueCommand::Supervise { level: SupervisionLevel::Yellow, note: String::new() }).unwrap();
        assert_eq!(supervised.projection.supervision, Some(SupervisionLevel::Yellow));
        // Read back from the row: the flow state survives the store.
        let again = s.issue_row(&id).unwrap().projection;
        assert_eq!((again.extensions_days.clone(), again.supervision, again.suspensions.len()), (vec![5], Some(SupervisionLevel::Yellow), 1));
        let timeline: Vec<IssueActionKind> = s.issue_timeline(&id).unwrap().into_iter().map(|t| t.action).collect();
        assert_eq!(timeline.len(), 7, "report, accept, suspend, resume, request, decide, supervise");
        assert_eq!(s.pending_operations(100).unwrap().len(), 7, "every action queued for sync");
    }

    #[test]
    fn on_the_spot_needs_a_grid_worker_and_a_photo() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let photo = vec!["ab".repeat(32)];
        let before = snapshot(&s);
        assert!(matches!(
            s.report_resolved_on_spot(IssueInput { evidence: photo.clone(), ..draft() }, "当场解决"),
            Err(Error::Rule(RuleError::NotPermitted(Denial::NotOnSpotReporter)))
        ));
        assert_eq!(snapshot(&s), before, "a liaison head's attempt leaves nothing behind");
        s.sign_in("gw").unwrap();
        let before = snapshot(&s);
        assert!(matches!(s.report_resolved_on_spot(draft(), "当场解决"), Err(Error::Field(f)) if f.field == "evidence"));
        assert!(matches!(
            s.report_resolved_on_spot(IssueInput { evidence: photo.clone(), ..draft() }, " "),
            Err(Error::Field(f)) if f.field == "note"
        ));
        assert_eq!(snapshot(&s), before, "nothing half-written");
        let row = s.report_resolved_on_spot(IssueInput { evidence: photo, ..draft() }, "当场疏通").unwrap();
        assert_eq!((row.projection.state, row.projection.resolved_on_spot), (IssueState::Resolved, true));
        assert_eq!(s.pending_operations(10).unwrap().len(), 2);
        s.sign_in("ts").unwrap();
        assert_eq!(s.allowed_issue_actions(&row.projection.id).unwrap(), [IssueActionKind::Verify]);
    }

    #[test]
    fn full_story_report_to_close() {
        let (mut s, clock) = store();
        s.sign_in("lh").unwrap();
        let issue = s.report_issue(draft()).unwrap();
        let id = issue.projection.id.clone();
        assert_eq!(issue.projection.state, IssueState::Reported);
        assert_eq!(issue.projection.owner_node_id, "t1");
        assert_eq!(issue.light, Light::Green);

        s.sign_in("ts").unwrap();
        let (queue, total) = s.list_issues(IssueListScope::Owned, &[IssueState::Reported], 0, 50).unwrap();
        assert_eq!((queue.len(), total), (1, 1));
        assert_eq!(s.allowed_issue_actions(&id).unwrap(), [IssueActionKind::Accept, IssueActionKind::Reject, IssueActionKind::Merge]);
        s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        s.perform_issue_action(&id, IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();

        s.sign_in("gw").unwrap();
        assert_eq!(s.list_issues(IssueListScope::AssignedToMe, &[], 0, 50).unwrap().1, 1);
        s.perform_issue_action(&id, IssueCommand::Start).unwrap();
        clock.advance_ms(3_600_000);
        s.perform_issue_action(&id, IssueCommand::Resolve { note: "已送煤500斤".into(), evidence: vec!["cd".repeat(32)] }).unwrap();

        s.sign_in("ts").unwrap();
        let closed = s
            .perform_issue_action(&id, IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: "回访满意".into() })
            .unwrap();
        assert_eq!(closed.projection.state, IssueState::Closed);
        assert_eq!(closed.light, Light::None);
        let timeline = s.issue_timeline(&id).unwrap();
        let kinds: Vec<_> = timeline.iter().map(|t| t.action).collect();
        assert_eq!(
            kinds,
            [
                IssueActionKind::Report,
                IssueActionKind::Accept,
                IssueActionKind::Assign,
                IssueActionKind::Start,
                IssueActionKind::Resolve,
                IssueActionKind::Verify
            ]
        );
        assert_eq!(timeline[2].detail, "网格员");
        assert_eq!(timeline[5].detail, "满意 · 回访满意");
        assert!(timeline.iter().all(|t| t.pending_sync));
        assert_eq!(s.outbox_counts().unwrap().pending, 6);

        s.sign_in("lh").unwrap();
        let (mine, _) = s.list_issues(IssueListScope::ReportedByMe, &[], 0, 10).unwrap();
        assert_eq!(mine[0].projection.state, IssueState::Closed, "status flows back to the reporter");
    }

    #[test]
    fn rework_and_escalation_to_the_county() {
        let (mut s, _) = store();
        s.sign_in("gw").unwrap();
        let id = s.report_issue(draft()).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        s.perform_issue_action(&id, IssueCommand::Resolve { note: "镇里已协调".into(), evidence: vec![] }).unwrap();
        let back = s
            .perform_issue_action(&id, IssueCommand::Verify { satisfaction: Satisfaction::Dissatisfied, note: "没解决".into() })
            .unwrap();
        assert_eq!((back.projection.state, back.projection.rework_count), (IssueState::Assigned, 1));
        let up = s.perform_issue_action(&id, IssueCommand::Escalate { reason: "需县民政局协调".into() }).unwrap();
        assert_eq!((up.projection.state, up.projection.owner_node_id.as_str()), (IssueState::Accepted, "c"));
        assert!(matches!(
            s.perform_issue_action(&id, IssueCommand::Accept),
            Err(Error::Rule(RuleError::IllegalTransition { .. }))
        ));
        assert!(matches!(
            s.perform_issue_action(&id, IssueCommand::Assign { assignee_id: "gw".into() }),
            Err(Error::Rule(RuleError::NotPermitted(Denial::NotOwnerStaff)))
        ));
        s.sign_in("cs").unwrap();
        assert_eq!(s.list_issues(IssueListScope::Owned, &[], 0, 10).unwrap().1, 1);
        assert!(matches!(
            s.perform_issue_action(&id, IssueCommand::Escalate { reason: "再上报".into() }),
            Err(Error::Rule(RuleError::NoHigherLevel))
        ));
        s.perform_issue_action(&id, IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();
    }

    #[test]
    fn merge_and_scope() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let a = s.report_issue(draft()).unwrap().projection.id;
        let b = s.report_issue(draft()).unwrap().projection.id;
        s.sign_in("ts2").unwrap();
        assert!(matches!(s.issue_row(&a), Err(Error::NotFound { .. })), "other township cannot see it");
        s.sign_in("ts").unwrap();
        assert!(matches!(
            s.perform_issue_action(&b, IssueCommand::Merge { into_issue_id: b.clone() }),
            Err(Error::Field(_))
        ));
        let merged = s.perform_issue_action(&b, IssueCommand::Merge { into_issue_id: a.clone() }).unwrap();
        assert_eq!(merged.projection.merged_into.as_deref(), Some(a.as_str()));
        let (open, _) = s.list_issues(IssueListScope::Owned, &[IssueState::Reported], 0, 10).unwrap();
        assert_eq!(open.len(), 1);
    }

    #[test]
    fn bad_input_changes_nothing() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let id = s.report_issue(draft()).unwrap().projection.id;
        let before = snapshot(&s);
        let bad_reports = [
            (IssueInput { title: " ".into(), ..draft() }, "title"),
            (IssueInput { title: "长".repeat(61), ..draft() }, "title"),
            (IssueInput { description: "长".repeat(2001), ..draft() }, "description"),
            (IssueInput { household_id: None, ..draft() }, "household_id"),
            (IssueInput { evidence: vec!["x".into()], ..draft() }, "evidence"),
            (IssueInput { client_op_id: Some("not-a-uuid".into()), ..draft() }, "client_op_id"),
            (
                IssueInput {
                    location: Some(GpsFix { lat: 10.0, lon: f64::NAN, accuracy_m: 1.0, fix_time_ms: 0, mocked: false }),
                    ..draft()
                },
                "lon",
            ),
        ];
        for (input, field) in bad_reports {
            match s.report_issue(input) {
                Err(Error::Field(f)) => assert_eq!(f.field, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert!(matches!(s.report_issue(IssueInput { household_id: Some("h4".into()), ..draft() }), Err(Error::NotFound { .. })));
        assert!(matches!(s.perform_issue_action("nope", IssueCommand::Accept), Err(Error::NotFound { .. })));
        assert!(matches!(s.perform_issue_action(&id, IssueCommand::Accept), Err(Error::Rule(RuleError::NotPermitted(_)))));
        s.sign_in("ts").unwrap();
        assert!(matches!(s.perform_issue_action(&id, IssueCommand::Start), Err(Error::Rule(RuleError::IllegalTransition { .. }))));
        assert!(matches!(s.perform_issue_action(&id, IssueCommand::Reject { reason: "".into() }), Err(Error::Field(_))));
        s.sign_in("lh").unwrap();
        assert_eq!(snapshot(&s), before);
    }

    #[test]
    fn duplicate_client_op_id_is_a_conflict_and_changes_nothing() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let op = uuid::Uuid::now_v7().to_string();
        s.report_issue(IssueInput { client_op_id: Some(op.clone()), ..draft() }).unwrap();
        let before = snapshot(&s);
        match s.report_issue(IssueInput { client_op_id: Some(op.clone()), ..draft() }) {
            Err(Error::DuplicateOperation { op_id }) => assert_eq!(op_id, op),
            other => panic!("{other:?}"),
        }
        assert_eq!(snapshot(&s), before);
    }

    #[test]
    fn client_op_id_reused_after_its_op_was_pushed_is_still_a_conflict() {
        // Once pushed, the op leaves the outbox but its event stays in the log: a double submit that arrives
        // after a sync must still be refused, not stored as a second issue without a report event.
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let op = uuid::Uuid::now_v7().to_string();
        s.report_issue(IssueInput { client_op_id: Some(op.clone()), ..draft() }).unwrap();
        s.mark_pushed(std::slice::from_ref(&op)).unwrap();
        let before = snapshot(&s);
        for again in [op.clone(), op.to_uppercase(), op.replace('-', "")] {
            match s.report_issue(IssueInput { client_op_id: Some(again.clone()), ..draft() }) {
                Err(Error::DuplicateOperation { op_id }) => assert_eq!(op_id, op, "{again}"),
                other => panic!("{again}: {other:?}"),
            }
            assert_eq!(snapshot(&s), before, "{again}");
        }
    }

    #[test]
    fn client_op_id_equal_to_another_events_op_id_is_a_conflict() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let id = s.report_issue(draft()).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        let accept_op = s.pending_operations(10).unwrap().pop().unwrap().op_id;
        s.sign_in("lh").unwrap();
        let before = snapshot(&s);
        assert!(matches!(
            s.report_issue(IssueInput { client_op_id: Some(accept_op.clone()), ..draft() }),
            Err(Error::DuplicateOperation { op_id }) if op_id == accept_op
        ));
        assert_eq!(snapshot(&s), before);
    }

    #[test]
    fn assignee_rules() {
        let (mut s, _) = store();
        s.sign_in("lh").unwrap();
        let id = s.report_issue(draft()).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        s.perform_issue_action(&id, IssueCommand::Accept).unwrap();
        for (who, ok) in [("lh", false), ("gw2", false), ("nobody", false), ("gw", true)] {
            let r = s.perform_issue_action(&id, IssueCommand::Assign { assignee_id: who.into() });
            assert_eq!(r.is_ok(), ok, "{who}: {r:?}");
        }
    }

    #[test]
    fn triage_orders_by_deadline_and_lights_turn() {
        let (mut s, clock) = store();
        s.sign_in("gw").unwrap();
        let normal = s.report_issue(draft()).unwrap().projection.id;
        let critical = s.report_issue(IssueInput { urgency: Urgency::Critical, ..draft() }).unwrap().projection.id;
        s.sign_in("ts").unwrap();
        let (q, _) = s.list_issues(IssueListScope::Owned, &[], 0, 10).unwrap();
        assert_eq!(q.iter().map(|r| r.projection.id.clone()).collect::<Vec<_>>(), [critical.clone(), normal]);
        clock.advance_ms(100 * 60_000); // 100 of 120 minutes: 83%
        assert_eq!(s.issue_row(&critical).unwrap().light, Light::Yellow);
        clock.advance_ms(21 * 60_000);
        assert_eq!(s.issue_row(&critical).unwrap().light, Light::Red);
    }
}
