//! `FieldApp`, the one object the Kotlin and Swift shells hold. Each method is one screen's call (DESIGN §10):
//! it takes the store lock, delegates to the store, and converts rows into display-ready records and internal
//! errors into `ApiError`. Every method does blocking disk I/O: call it from a background thread or dispatcher
//! (Kotlin `Dispatchers.IO`, a Swift `Task.detached`), never the UI thread. The object is thread-safe.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use linkage_protocol::labels::Locale;
use linkage_protocol::rules::geo;

use crate::api::{self, *};
use crate::clock::{Clock, SystemClock};
use crate::error::{ApiError, Error};
use crate::store::{self, Store};
use crate::sync::schedule::SchedulePolicy;
use crate::sync::{self, SyncLimits, SyncObserver};

/// The Linkage core for one device: the offline store, the signed-in session and the rules.
#[derive(Debug, uniffi::Object)]
pub struct FieldApp {
    pub(crate) store: Mutex<Store>,
    /// Serialises syncs (a second `sync` waits for the running one).
    pub(crate) sync_lock: tokio::sync::Mutex<()>,
    pub(crate) limits: SyncLimits,
    /// Change observer, sync state and the automatic sync scheduler (`autosync`).
    pub(crate) auto: crate::autosync::AutoSync,
    /// 应用锁: when the shell must ask for the device credential again (`rules::app_lock`); in memory, so a new
    /// process starts locked.
    pub(crate) app_lock: Mutex<linkage_protocol::rules::app_lock::AppLock>,
}

type ApiResult<T> = Result<T, ApiError>;

impl FieldApp {
    /// Opens with an explicit clock (tests and benchmarks in Rust).
    pub fn open_with_clock(db_path: &std::path::Path, clock: Arc<dyn Clock>) -> ApiResult<Arc<FieldApp>> {
        FieldApp::open_with(db_path, clock, SyncLimits::default())
    }

    /// Opens with an explicit clock and sync limits (tests with fast retries, benchmarks with big batches).
    pub fn open_with(db_path: &std::path::Path, clock: Arc<dyn Clock>, limits: SyncLimits) -> ApiResult<Arc<FieldApp>> {
        FieldApp::open_with_schedule(db_path, clock, limits, SchedulePolicy::default())
    }

    /// Long-polling pull for the sync scheduler while the app is in the foreground: pulls the scope's changes,
    /// and when there are none lets the server hold the request up to `wait_secs` (at most 30) until one
    /// arrives ([`sync::pull_wait`]). Pushes nothing. Takes the one-sync-at-a-time lock: drop (cancel) the
    /// future before running [`FieldApp::sync`]. Async; never blocks the calling thread.
    pub async fn pull_wait(&self, wait_secs: u32, observer: Option<Arc<dyn SyncObserver>>) -> ApiResult<SyncReport> {
        let _one_at_a_time = self.sync_lock.lock().await;
        let tracker = crate::autosync::Tracker { app: self, inner: observer.as_deref() };
        let o = sync::pull_wait(&self.store, Some(&tracker), self.limits, wait_secs).await;
        let changes = self.store().take_changes();
        self.changed(changes);
        let o = o?;
        Ok(SyncReport {
            pushed: 0,
            duplicates: 0,
            rejected: 0,
            uploaded: 0,
            pulled: o.pulled,
            clock_offset_ms: o.clock_offset_ms,
            observer_failed: o.observer_failed,
        })
    }

    /// Opens with an explicit clock, sync limits and automatic-sync timing (tests with short debounces).
    pub fn open_with_schedule(
        db_path: &std::path::Path,
        clock: Arc<dyn Clock>,
        limits: SyncLimits,
        schedule: SchedulePolicy,
    ) -> ApiResult<Arc<FieldApp>> {
        FieldApp::open_keyed(db_path, None, clock, limits, schedule)
    }

    /// Opens the store at `db_path`, encrypted with `key` when given (plain SQLite without: Rust tests only).
    pub fn open_keyed(
        db_path: &std::path::Path,
        key: Option<&store::cipher::StoreKey>,
        clock: Arc<dyn Clock>,
        limits: SyncLimits,
        schedule: SchedulePolicy,
    ) -> ApiResult<Arc<FieldApp>> {
        let store = match key {
            Some(key) => Store::open_encrypted(db_path, key, clock.clone())?,
            None => Store::open(db_path, clock.clone())?,
        };
        let auto = crate::autosync::AutoSync::new(&store, clock, schedule)?;
        Ok(Arc::new(FieldApp {
            store: Mutex::new(store),
            sync_lock: tokio::sync::Mutex::new(()),
            limits,
            auto,
            app_lock: Mutex::new(Default::default()),
        }))
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave a half-written transaction (SQLite rolls it back), so
        // the store is still consistent: recover it instead of poisoning the app forever.
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one call against the store, then (with the lock released) tells the change observer what the
    /// call changed and the scheduler whether it queued an operation.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Store, Locale) -> Result<T, Error>) -> ApiResult<T> {
        let mut store = self.store();
        let locale = store.locale;
        let result = f(&mut store, locale);
        let changes = store.take_changes();
        drop(store);
        self.changed(changes);
        Ok(result?)
    }

    fn directive_page(&self, to_acknowledge: bool, offset: u32, limit: u32) -> ApiResult<DirectivePage> {
        self.with(|s, l| {
            let (rows, total) = s.directive_inbox(to_acknowledge, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(DirectivePage { items: rows.into_iter().map(|d| api::directive(d, l)).collect(), total, next_offset })
        })
    }
}

#[uniffi::export]
impl FieldApp {
    /// Opens the encrypted (SQLCipher) database file at `db_path` with `key`, creating it or migrating it to
    /// the current schema. `key` is the store's 256-bit key (exactly 32 bytes), generated by the shell on
    /// first run and kept wrapped by the Android Keystore / iOS Keychain. A plain (unencrypted) store found at
    /// `db_path` is encrypted in place with `key`; a store under another key fails with `WrongKey` and is left
    /// untouched. I/O: creates directories and the file. Any thread; do not call on the UI thread.
    #[uniffi::constructor]
    pub fn open(db_path: String, key: Vec<u8>) -> ApiResult<Arc<FieldApp>> {
        if db_path.trim().is_empty() {
            return Err(ApiError::InvalidInput { field: "db_path".into(), reason: "must not be empty".into() });
        }
        let key = store::cipher::StoreKey::from_bytes(&key)?;
        FieldApp::open_keyed(
            &PathBuf::from(db_path),
            Some(&key),
            Arc::new(SystemClock),
            SyncLimits::default(),
            SchedulePolicy::default(),
        )
    }

    /// Re-encrypts the store with `new_key` (32 bytes). When this returns the old key no longer opens it: the
    /// shell stores the new wrapped key only after success (and keeps the old one until then). A plain store
    /// (opened without a key, Rust tests) is refused. I/O: rewrites every page of the file. Not on the UI thread.
    pub fn rekey(&self, new_key: Vec<u8>) -> ApiResult<()> {
        let key = store::cipher::StoreKey::from_bytes(&new_key)?;
        self.with(|s, _| s.rekey(&key))
    }

    /// Sets the display language for labels: `zh-CN` (default) or anything else for English. No I/O.
    pub fn set_locale(&self, language_tag: String) {
        self.store().locale = Locale::from_tag(&language_tag);
    }

    /// Loads the org tree, households and users from a bundle JSON file (as the server sends it).
    /// All or nothing: a bad bundle changes nothing and names the bad item. I/O: reads the file, writes the DB.
    pub fn load_bundle(&self, path: String) -> ApiResult<BundleSummary> {
        let json = std::fs::read_to_string(&path).map_err(|e| ApiError::InvalidInput {
            field: "path".into(),
            reason: format!("cannot read the bundle file: {}", e.kind()),
        })?;
        self.with(|s, _| {
            let c = s.load_bundle(&json)?;
            Ok(BundleSummary { nodes: c.nodes, households: c.households, users: c.users })
        })
    }

    /// Signs a user in on this device; the session persists across restarts. I/O: DB write.
    pub fn sign_in(&self, user_id: String) -> ApiResult<Session> {
        let session = self.with(|s, l| Ok(api::session(&s.sign_in(&user_id)?, l)))?;
        self.refresh_connection();
        Ok(session)
    }

    /// The signed-in session, if any. I/O: none (cached).
    pub fn session(&self) -> Option<Session> {
        let s = self.store();
        s.session().ok().map(|x| api::session(x, s.locale))
    }

    /// Signs out; local data and the outbox stay. I/O: DB write.
    pub fn sign_out(&self) -> ApiResult<()> {
        self.with(|s, _| s.sign_out())?;
        self.refresh_connection();
        Ok(())
    }

    /// Households in the user's scope matching the query, by name, paged. I/O: DB read.
    pub fn list_households(&self, query: HouseholdQuery) -> ApiResult<HouseholdPage> {
        self.with(|s, l| {
            let filter = store::HouseholdFilter {
                text: query.text,
                address: query.address,
                tag: query.tag,
                risk: query.risk,
                offset: query.offset,
                limit: query.limit,
            };
            let (rows, total) = s.list_households(&filter)?;
            let next_offset = api::next_offset(query.offset, rows.len(), total);
            Ok(HouseholdPage { items: rows.into_iter().map(|h| api::household(h, l)).collect(), total, next_offset })
        })
    }

    /// One household in scope. I/O: DB read.
    pub fn household(&self, household_id: String) -> ApiResult<HouseholdSummary> {
        self.with(|s, l| Ok(api::household(s.household(&household_id)?, l)))
    }

    /// Corrects a household's ledger entry in scope: only the given fields change. Queued for sync in the
    /// same transaction; edits made offline on other devices merge field by field (on the same field the later
    /// hybrid-logical-clock time wins everywhere). Bad input (`InvalidInput` with the field) changes nothing.
    /// I/O: one DB write. Any thread but the UI thread.
    pub fn edit_household(&self, household_id: String, changes: Vec<HouseholdChange>) -> ApiResult<HouseholdSummary> {
        let fields: Vec<_> = changes.into_iter().map(Into::into).collect();
        self.with(|s, l| Ok(api::household(s.edit_household(&household_id, &fields)?, l)))
    }

    /// Households overdue for a visit at the user's level, nearest first from (`lat`, `lon`) when given.
    /// I/O: DB read.
    pub fn overdue_households(&self, from: Option<MapPoint>, offset: u32, limit: u32) -> ApiResult<OverduePage> {
        self.with(|s, l| {
            let (rows, total) = s.overdue_households(from.map(|p| (p.lat, p.lon)), offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            let items = rows
                .into_iter()
                .map(|o| OverdueHousehold {
                    household: api::household(o.household, l),
                    days_overdue: o.days_overdue,
                    distance_m: o.distance_m,
                })
                .collect();
            Ok(OverduePage { items, total, next_offset })
        })
    }

    /// Records a visit; its GPS fix is graded into an on-site verdict. The draft's start and end and its fix's
    /// time are read from the device's clock (as the platform stamps fixes); the core records all three on its
    /// server-corrected clock, so the phone and the server grade the fix alike however wrong the device clock.
    /// I/O: DB write (visit + outbox, FULL).
    pub fn record_visit(&self, draft: VisitDraft) -> ApiResult<VisitSummary> {
        self.with(|s, l| {
            // The shell's times and its fix's are the device's clock: graded on the record clock.
            let input = store::VisitInput {
                household_id: draft.household_id,
                kind: draft.kind,
                started_at_ms: s.on_record_clock(draft.started_at_ms),
                ended_at_ms: s.on_record_clock(draft.ended_at_ms),
                fix: draft.fix.map(|x| s.fix_on_record_clock(x)),
                notes: draft.notes,
                evidence: draft.evidence,
                issue_id: draft.issue_id,
            };
            Ok(api::visit(s.record_visit(input)?, l))
        })
    }

    /// The verdict the visit form shows live before saving: `fix` (the freshest fix the shell has, or none)
    /// graded for the household as `record_visit` would grade it now, for a visit whose draft started at
    /// `started_at_ms` (`Draft.started_at_ms`; the fix's time is the device's clock, as the platform gave
    /// it) — a fix from before that moment, or older than the county's maximum age (default
    /// 120 s), is `StaleFix`. A NaN position or a fix time in the future is `InvalidInput` (field `lat`, `lon`,
    /// `accuracy_m` or `fix_time_ms`). Nothing is written. I/O: one DB read; call it off the UI thread, on
    /// each new fix and every few seconds (a fix ages).
    pub fn preview_verdict(&self, household_id: String, fix: Option<GpsFix>, started_at_ms: i64) -> ApiResult<VerdictPreview> {
        self.with(|s, l| {
            let fix = fix.map(|x| s.fix_on_record_clock(x));
            let a = s.preview_verdict(&household_id, fix.as_ref(), started_at_ms)?;
            let now = s.now_ms();
            Ok(VerdictPreview {
                verdict: a.verdict,
                verdict_label: linkage_protocol::labels::Label::label(&a.verdict, l).into(),
                advice: linkage_protocol::labels::verdict_advice(a.verdict, l).into(),
                on_site: a.verdict == OnSiteVerdict::OnSite,
                distance_m: a.distance_m,
                fix_age_s: fix.map(|f| (now - f.fix_time_ms).max(0) / 1000),
            })
        })
    }

    /// Corrects a visit's notes and photos with an amendment record. I/O: DB write.
    pub fn amend_visit(&self, visit_id: String, notes: String, evidence: Vec<String>) -> ApiResult<VisitSummary> {
        self.with(|s, l| Ok(api::visit(s.amend_visit(&visit_id, &notes, evidence)?, l)))
    }

    /// The latest visits to a household, newest first. I/O: DB read.
    pub fn household_visits(&self, household_id: String, limit: u32) -> ApiResult<Vec<VisitSummary>> {
        self.with(|s, l| Ok(s.household_visits(&household_id, limit)?.into_iter().map(|v| api::visit(v, l)).collect()))
    }

    /// Reports an issue (上报). I/O: DB write (event + projection + outbox).
    pub fn report_issue(&self, draft: IssueDraft) -> ApiResult<IssueSummary> {
        self.with(|s, l| Ok(api::issue(s.report_issue(api::issue_input(draft))?, l)))
    }

    /// 就地解决: a grid worker reports an issue already resolved on the spot, with the photos of the draft as
    /// evidence (at least one) and what was done. It still goes to verification (回访核实) by the township.
    /// I/O: one DB write (both events and their outbox operations in one transaction). Not the UI thread.
    pub fn report_resolved_on_spot(&self, draft: IssueDraft, note: String) -> ApiResult<IssueSummary> {
        self.with(|s, l| Ok(api::issue(s.report_resolved_on_spot(api::issue_input(draft), &note)?, l)))
    }

    /// Takes a lifecycle action on an issue; refused with `IllegalTransition` or `NotPermitted` by the
    /// shared rules. I/O: DB write.
    pub fn perform_issue_action(&self, issue_id: String, command: IssueCommand) -> ApiResult<IssueSummary> {
        self.with(|s, l| Ok(api::issue(s.perform_issue_action(&issue_id, command.into())?, l)))
    }

    /// Takes the action of one of the issue page's buttons (`IssueDetail.actions`) with what its dialog
    /// collected; the core builds the command. A missing pick (satisfaction, level, decision, person, issue,
    /// days) is `InvalidInput` naming it; the rules refuse the rest as `perform_issue_action` does; nothing is
    /// stored on a refusal. I/O: DB write. Not the UI thread.
    pub fn perform_action(&self, issue_id: String, kind: IssueActionKind, form: crate::actions::ActionForm) -> ApiResult<IssueSummary> {
        self.with(|s, l| {
            let command = crate::actions::command(kind, form)?;
            Ok(api::issue(s.perform_issue_action(&issue_id, command.into())?, l))
        })
    }

    /// The triage queue's filter chips (未结案, 待受理, 待回访, 超期, 全部) in the display language. No I/O.
    pub fn issue_filters(&self) -> Vec<crate::actions::IssueFilterSpec> {
        crate::actions::filters(self.store().locale)
    }

    /// A page of the triage queue (issues owned by the user's node, deadline first) under one filter chip.
    /// I/O: DB read.
    pub fn issue_queue(&self, filter: crate::actions::IssueFilter, offset: u32, limit: u32) -> ApiResult<IssuePage> {
        self.with(|s, l| {
            let due_before = filter.overdue_only().then(|| s.now_ms());
            let (rows, total) = s.list_issues_due(store::IssueListScope::Owned, &filter.states(), due_before, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(IssuePage { items: rows.into_iter().map(|r| api::issue(r, l)).collect(), total, next_offset })
        })
    }

    /// The staff home's banner (县/乡镇干部): the years that have started, or start within 30 days, without a
    /// holiday calendar in the county's settings (the phone then counts time limits Monday to Friday only).
    /// `None` for other roles, when signed out, or when every such year is loaded. The settings arrive with
    /// the bundle and the change feed. No I/O (settings in memory).
    pub fn calendar_warning(&self) -> Option<CalendarWarning> {
        let s = self.store();
        let role = s.session().ok()?.actor.role;
        if !crate::actions::capabilities(role).triage {
            return None;
        }
        let years = linkage_protocol::rules::county::missing_calendar_years(&s.policies.sla.calendar, s.now_ms());
        let message = linkage_protocol::rules::county::calendar_warning(&years, s.locale)?;
        Some(CalendarWarning { years, message })
    }

    /// The issue page: summary, description and the actions this user may take now. I/O: DB read.
    pub fn issue(&self, issue_id: String) -> ApiResult<IssueDetail> {
        self.with(|s, l| {
            let row = s.issue_row(&issue_id)?;
            let allowed_actions = s.allowed_issue_actions(&issue_id)?;
            Ok(IssueDetail {
                actions: crate::actions::button_specs(&allowed_actions, l),
                description: row.projection.description.clone(),
                node_id: row.projection.node_id.clone(),
                location: row.projection.location,
                allowed_actions,
                summary: api::issue(row, l),
            })
        })
    }

    /// A page of issues: the triage queue (`Owned`, deadline first) and the other lists. `states` empty
    /// means all states. I/O: DB read.
    pub fn list_issues(&self, kind: IssueListKind, states: Vec<IssueState>, offset: u32, limit: u32) -> ApiResult<IssuePage> {
        self.with(|s, l| {
            let (rows, total) = s.list_issues(kind.into(), &states, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(IssuePage { items: rows.into_iter().map(|r| api::issue(r, l)).collect(), total, next_offset })
        })
    }

    /// The grid worker's "交办给我" list: issues assigned to me that still need my work (交办, 办理中), deadline
    /// first — which states count is decided here, not by the shells. I/O: DB read.
    pub fn assigned_to_me(&self, offset: u32, limit: u32) -> ApiResult<IssuePage> {
        self.list_issues(IssueListKind::AssignedToMe, vec![IssueState::Assigned, IssueState::InProgress], offset, limit)
    }

    /// The township's triage queue: issues owned by the user's node in `states`, deadline first.
    /// I/O: DB read.
    pub fn triage_queue(&self, states: Vec<IssueState>, offset: u32, limit: u32) -> ApiResult<IssuePage> {
        self.list_issues(IssueListKind::Owned, states, offset, limit)
    }

    /// An issue's timeline, oldest first. I/O: DB read.
    pub fn issue_timeline(&self, issue_id: String) -> ApiResult<Vec<TimelineEntry>> {
        self.with(|s, l| Ok(s.issue_timeline(&issue_id)?.into_iter().map(|t| api::timeline(t, l)).collect()))
    }

    /// Issues a directive (通知 / 预警 / 任务, with photos) to a subtree: county and township staff, or a branch
    /// to its groups. I/O: DB write.
    pub fn issue_directive(&self, draft: DirectiveDraft) -> ApiResult<DirectiveSummary> {
        self.with(|s, l| {
            let input = store::DirectiveInput {
                target_node_id: draft.target_node_id,
                kind: draft.kind,
                title: draft.title,
                body: draft.body,
                due_at_ms: draft.due_at_ms,
                evidence: draft.evidence,
            };
            Ok(api::directive(s.issue_directive(input)?, l))
        })
    }

    /// Directives reaching the user's node, newest first, paged with the total (the user's own directives
    /// included, without 签收). I/O: DB read.
    pub fn directive_inbox(&self, offset: u32, limit: u32) -> ApiResult<DirectivePage> {
        self.directive_page(false, offset, limit)
    }

    /// Directives the user's node still has to acknowledge (签收), newest first, paged with the total (the home
    /// screens' "to sign for" list). A directive the user's own node issued is never in it. I/O: DB read.
    pub fn directives_to_acknowledge(&self, offset: u32, limit: u32) -> ApiResult<DirectivePage> {
        self.directive_page(true, offset, limit)
    }

    /// One directive reaching the user's node (or one they can see the target of). I/O: DB read.
    pub fn directive(&self, directive_id: String) -> ApiResult<DirectiveSummary> {
        self.with(|s, l| Ok(api::directive(s.directive(&directive_id)?, l)))
    }

    /// Acknowledges (签收) a directive for the user's node; repeating it is harmless. I/O: DB write.
    pub fn acknowledge_directive(&self, directive_id: String) -> ApiResult<DirectiveSummary> {
        self.with(|s, l| Ok(api::directive(s.acknowledge_directive(&directive_id)?, l)))
    }

    /// Relays (转发) a directive to the level below, after acknowledging. I/O: DB write.
    pub fn relay_directive(&self, directive_id: String) -> ApiResult<DirectiveSummary> {
        self.with(|s, l| Ok(api::directive(s.relay_directive(&directive_id)?, l)))
    }

    /// Records that a household got a directive and how (liaison head). I/O: DB write.
    pub fn record_household_ack(&self, directive_id: String, household_id: String, means: AckMeans) -> ApiResult<DirectiveSummary> {
        self.with(|s, l| Ok(api::directive(s.record_household_ack(&directive_id, &household_id, means)?, l)))
    }

    /// Reports my node's completion of a task directive (任务完成情况) with a note and photos (evidence
    /// hashes from `add_evidence`), after acknowledging it; a repeated report changes nothing. I/O: DB write.
    pub fn report_task_completion(&self, directive_id: String, note: String, evidence: Vec<String>) -> ApiResult<DirectiveSummary> {
        self.with(|s, l| Ok(api::directive(s.report_task_completion(&directive_id, &note, &evidence)?, l)))
    }

    /// Acknowledgement coverage per level and how many nodes are silent (the issuing node never counts).
    /// I/O: DB read.
    pub fn directive_coverage(&self, directive_id: String) -> ApiResult<DirectiveCoverage> {
        self.with(|s, l| Ok(api::coverage(&directive_id, s.directive_coverage(&directive_id)?, l)))
    }

    /// The nodes of the directive's area (as far as the user sees it) that have not acknowledged it, top-down,
    /// paged with the total. I/O: DB read.
    pub fn directive_silent_nodes(&self, directive_id: String, offset: u32, limit: u32) -> ApiResult<SilentNodePage> {
        self.with(|s, l| {
            let (rows, total) = s.directive_silent_nodes(&directive_id, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(SilentNodePage { items: rows.into_iter().map(|n| api::silent_node(n, l)).collect(), total, next_offset })
        })
    }

    /// Every household of the directive's area in the user's scope with its acknowledgement (when, how, by
    /// whom) or `None` — the untold first — paged with the total and the number told: the liaison head's
    /// 户户告知 list when reopening a directive. Phone and ID numbers masked. I/O: DB read.
    pub fn directive_households(&self, directive_id: String, offset: u32, limit: u32) -> ApiResult<HouseholdAckPage> {
        self.with(|s, l| {
            let (rows, total, acknowledged) = s.directive_households(&directive_id, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            let items = rows.into_iter().map(|r| api::household_ack(r, l)).collect();
            Ok(HouseholdAckPage { items, total, acknowledged, next_offset })
        })
    }

    /// Possible duplicates of a report being drafted (重复诉求提示), shown before it is saved: open issues the
    /// user can see, of the same category, within 200 m and 14 days (county-configurable), nearest first. The
    /// draft's place is its GPS fix, else its household's point; title and description may still be empty.
    /// Nothing is written. I/O: DB read; do not call on the UI thread.
    pub fn suggest_duplicates(&self, draft: IssueDraft) -> ApiResult<Vec<DuplicateSuggestion>> {
        self.with(|s, l| {
            Ok(s.suggest_duplicates(&api::issue_input(draft))?
                .into_iter()
                .map(|d| DuplicateSuggestion { issue: api::issue(d.issue, l), distance_m: d.distance_m })
                .collect())
        })
    }

    /// Visit coverage (走访覆盖率) of the user's area: its households and those visited on site within the
    /// user's level's cadence interval, the count never visited, and how many rows `visit_coverage_rows` pages.
    /// I/O: DB reads; do not call on the UI thread.
    pub fn visit_coverage(&self) -> ApiResult<VisitCoverage> {
        self.with(|s, l| {
            let (report, row_total) = s.visit_coverage_summary()?;
            Ok(api::visit_coverage(report, row_total, l))
        })
    }

    /// Visit coverage per township, branch and group below the user's node, in tree order, paged with the
    /// total (a county has hundreds). I/O: DB read (one grouped query); do not call on the UI thread.
    pub fn visit_coverage_rows(&self, offset: u32, limit: u32) -> ApiResult<CoverageNodePage> {
        self.with(|s, l| {
            let (rows, total) = s.visit_coverage_rows(offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(CoverageNodePage { items: rows.into_iter().map(|c| api::coverage_node(c, l)).collect(), total, next_offset })
        })
    }

    /// Households in the user's area never visited on site at the user's level, group by group, paged.
    /// I/O: DB read; do not call on the UI thread.
    pub fn never_visited_households(&self, offset: u32, limit: u32) -> ApiResult<HouseholdPage> {
        self.with(|s, l| {
            let (rows, total) = s.never_visited_households(offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(HouseholdPage { items: rows.into_iter().map(|h| api::household(h, l)).collect(), total, next_offset })
        })
    }

    /// Direct child nodes of the user's node silent past their acknowledgement window (逾期未签收) on
    /// directives that reach them (alert 2 h, notice 24 h, or the due time if earlier; task: its due time),
    /// most overdue first, paged. I/O: DB read; do not call on the UI thread.
    pub fn silent_nodes_for_me(&self, offset: u32, limit: u32) -> ApiResult<SilentChildPage> {
        self.with(|s, l| {
            let (rows, total) = s.silent_nodes_for_me(offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(SilentChildPage { items: rows.into_iter().map(|r| api::silent_child(r, l)).collect(), total, next_offset })
        })
    }

    /// Measures (考核指标) of the user's area for `[from_ms, to_ms)`: issues by state, 按期受理率, 按期办结率,
    /// 返工率, 满意率, median times, escalation rate (also per child node), directive acknowledgement per level
    /// and visit coverage. `to_ms <= from_ms` is `InvalidInput`. I/O: DB reads over the period's issues and
    /// directives (tens of ms for a county quarter); never call on the UI thread.
    pub fn measures(&self, from_ms: i64, to_ms: i64) -> ApiResult<Measures> {
        self.with(|s, l| Ok(api::measures(s.measures(from_ms, to_ms)?, l)))
    }

    /// Turns a camera or gallery file into evidence: decoded at reduced scale, oriented, resized to at most
    /// 1600 px, watermarked (time, coordinates, accuracy, record code), stripped of metadata, stored under its
    /// SHA-256 with a 320 px thumbnail. Pass the path the camera wrote (iOS: convert HEIC to JPEG first).
    /// Returns the hash to list in the visit or issue record. I/O: reads the file, writes two files and the
    /// DB; ~0.1–0.2 s for a 12 MP photo. Never call on the UI thread.
    pub fn add_evidence(&self, path: String, fix: Option<GpsFix>, attach_to: Option<EvidenceTarget>) -> ApiResult<EvidenceSummary> {
        self.with(|s, _| Ok(api::evidence(s.add_evidence(std::path::Path::new(&path), fix, attach_to.map(Into::into))?)))
    }

    /// The photos of a record. I/O: DB read.
    pub fn list_evidence(&self, target: EvidenceTarget) -> ApiResult<Vec<EvidenceSummary>> {
        self.with(|s, _| Ok(s.list_evidence(&target.into())?.into_iter().map(api::evidence).collect()))
    }

    /// The photos of a record in scope — a visit, an issue's report or resolution, a task report — whoever took
    /// them, with the files already on this phone (`None` paths: fetch with `evidence_thumbnail` or
    /// `open_evidence`). I/O: DB read and file checks; not the UI thread.
    pub fn record_photos(&self, target: EvidenceTarget) -> ApiResult<Vec<RecordPhoto>> {
        self.with(|s, _| Ok(s.record_photos(&target.into())?.into_iter().map(api::record_photo).collect()))
    }

    /// How full the cache of downloaded photos is. I/O: DB read.
    pub fn photo_cache_status(&self) -> ApiResult<PhotoCacheStatus> {
        self.with(|s, _| Ok(api::cache_status(s.photo_cache_usage()?)))
    }

    /// Sets the size cap of the downloaded-photo cache (default 200 MB) and trims it now, least recently used
    /// first (full-size files before thumbnails). The phone's own photos are not part of it. `0` is
    /// `InvalidInput`. I/O: DB write, file deletions.
    pub fn set_photo_cache_limit(&self, limit_bytes: u64) -> ApiResult<PhotoCacheStatus> {
        self.with(|s, _| Ok(api::cache_status(s.set_photo_cache_limit(limit_bytes)?)))
    }

    /// Recomputes a stored photo's SHA-256; `false` means the file was altered or is missing.
    /// I/O: reads the file.
    pub fn verify_evidence(&self, hash: String) -> ApiResult<bool> {
        self.with(|s, _| s.verify_evidence(&hash))
    }

    /// Deletes a photo that no record uses (a discarded shot); attached photos are refused with `Conflict`.
    /// I/O: DB write, file deletion.
    pub fn delete_evidence(&self, hash: String) -> ApiResult<()> {
        self.with(|s, _| s.delete_evidence(&hash))
    }

    /// People of the user's area (人员): users working at `node_id` or below it (default: the user's node),
    /// optionally only one `role`, top-down and by name, paged with the total. Names, roles and nodes only.
    /// A node outside the user's area is `NotFound`. I/O: DB read.
    pub fn people_in_scope(&self, role: Option<Role>, node_id: Option<String>, offset: u32, limit: u32) -> ApiResult<PersonPage> {
        self.with(|s, l| {
            let (rows, total) = s.people_in_scope(role, node_id.as_deref(), offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(PersonPage { items: rows.into_iter().map(|p| api::person(p, l)).collect(), total, next_offset })
        })
    }

    /// The 交办 picker: the people the issue may be assigned to now — staff or grid workers at the issue's own
    /// node or a level above it, inside the owning level — nearest to the issue first. Exactly those the
    /// assignment accepts (one shared rule on phone and server). I/O: DB read.
    pub fn assignee_candidates(&self, issue_id: String) -> ApiResult<Vec<Person>> {
        self.with(|s, l| Ok(s.assignee_candidates(&issue_id)?.into_iter().map(|p| api::person(p, l)).collect()))
    }

    /// The org tree (组织树) under `root_node_id` (default: the user's node; it must lie in the user's area)
    /// down to `depth` levels (1 = the children; 1 to 4), in tree order with names, levels, child and household
    /// counts, paged with the total: the directive target and dashboard pickers. I/O: DB read.
    pub fn org_tree(&self, root_node_id: Option<String>, depth: u32, offset: u32, limit: u32) -> ApiResult<OrgNodePage> {
        self.with(|s, l| {
            let (rows, total) = s.org_tree(root_node_id.as_deref(), depth, offset, limit)?;
            let next_offset = api::next_offset(offset, rows.len(), total);
            Ok(OrgNodePage { items: rows.into_iter().map(|n| api::org_node(n, l)).collect(), total, next_offset })
        })
    }

    /// What the sync bar shows: pending and quarantined operations, the oldest pending age, the last sync
    /// and its error. I/O: DB read.
    pub fn outbox_status(&self) -> ApiResult<OutboxStatus> {
        self.with(|s, l| {
            let c = s.outbox_counts()?;
            let m = s.sync_meta()?;
            let last_error_message = m
                .last_error
                .as_deref()
                .map(|detail| crate::messages::sync_failure(m.last_error_code.as_deref().unwrap_or("network"), detail, l));
            Ok(OutboxStatus {
                pending: c.pending,
                quarantined: c.quarantined,
                oldest_pending_age_ms: c.oldest_pending_age_ms,
                server_url: m.server_url,
                last_sync_at_ms: m.last_sync_at_ms,
                last_error: m.last_error,
                last_error_message,
                clock_offset_ms: m.clock_offset_ms,
            })
        })
    }

    /// Operations the server refused, with its reasons, oldest first. I/O: DB read.
    pub fn quarantined_operations(&self) -> ApiResult<Vec<QuarantinedOperation>> {
        self.with(|s, l| {
            Ok(s.quarantined_ops()?
                .into_iter()
                .map(|q| QuarantinedOperation {
                    kind_label: linkage_protocol::labels::op_kind_label(&q.kind, l).into(),
                    reason_label: crate::messages::reject_reason(&q.reason_code, l).0.into(),
                    next_step: crate::messages::reject_reason(&q.reason_code, l).1.into(),
                    op_id: q.op_id,
                    kind: q.kind,
                    reason_code: q.reason_code,
                    message: q.message,
                    created_at_ms: q.created_at_ms,
                })
                .collect())
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldApp {
    /// Enrols this device: signs the user in on the server, stores the device token, downloads the user's
    /// scope (org tree, households, users, county config) and signs the user in locally.
    /// Async network I/O on the core's own runtime: safe to call from the UI (a Kotlin `suspend` function).
    pub async fn connect(&self, server_url: String, user_id: String, password: String) -> ApiResult<Session> {
        self.connect_with_progress(server_url, user_id, password, None).await
    }

    /// [`FieldApp::connect`], telling `observer` how many households are stored while the scope is saved
    /// (`SyncPhase::Households`, done of total) — the enrolment screen of a county or township phone, whose
    /// scope holds thousands of households. Then call `sync` for the issue and visit history (its progress
    /// is `SyncPhase::Pull`). Async; the observer is called from a background thread.
    pub async fn connect_with_progress(
        &self,
        server_url: String,
        user_id: String,
        password: String,
        observer: Option<Arc<dyn SyncObserver>>,
    ) -> ApiResult<Session> {
        self.connect_inner(server_url, user_id, password, None, observer).await
    }

    /// [`FieldApp::connect`] for an account whose password is initial (the server answered
    /// `PasswordChangeRequired`): changes it to `new_password` on the server — which ends the user's tokens on
    /// every other device — and enrols this device. A `new_password` that breaks the password policy (at least
    /// 10 characters, two of letters/digits/symbols, not the user id, not a common one, not the old one) is
    /// `InvalidInput` on field `new_password` before anything is sent. Async network I/O.
    pub async fn connect_with_new_password(
        &self,
        server_url: String,
        user_id: String,
        password: String,
        new_password: String,
    ) -> ApiResult<Session> {
        self.connect_inner(server_url, user_id, password, Some(new_password), None).await
    }
}

impl FieldApp {
    async fn connect_inner(
        &self,
        server_url: String,
        user_id: String,
        password: String,
        new_password: Option<String>,
        observer: Option<Arc<dyn SyncObserver>>,
    ) -> ApiResult<Session> {
        let session = sync::connect(
            &self.store,
            &server_url,
            &user_id,
            &password,
            new_password.as_deref(),
            self.limits.retry,
            observer.as_deref(),
        )
        .await;
        let changes = self.store().take_changes();
        self.changed(changes);
        let session = session?;
        self.refresh_connection();
        let locale = self.store().locale;
        Ok(api::session(&session, locale))
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldApp {
    /// Syncs now: pushes the outbox, uploads missing photos, pulls the scope's changes. Retries transient
    /// failures with backoff; everything stays queued if the network is gone (`Network`). A revoked device
    /// is wiped (`DeviceWiped`). Progress goes to `observer` from a background thread. One sync at a time:
    /// a second call waits for the first. Async; never blocks the calling thread.
    pub async fn sync(&self, observer: Option<Arc<dyn SyncObserver>>) -> ApiResult<SyncReport> {
        // A long poll holds the sync lock: wake the foreground loop so it drops the poll for this sync.
        self.auto.wake_loop();
        let _one_at_a_time = self.sync_lock.lock().await;
        let o = self.run_tracked_sync(observer.as_deref()).await?;
        Ok(SyncReport {
            pushed: o.pushed,
            duplicates: o.duplicates,
            rejected: o.rejected,
            uploaded: o.uploaded,
            pulled: o.pulled,
            clock_offset_ms: o.clock_offset_ms,
            observer_failed: o.observer_failed,
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldApp {
    /// The thumbnail file (320 px) of a photo that a record in the user's scope refers to: at once when it is
    /// on the phone (own photo or cached; works offline), else fetched from the server (scope-checked there
    /// too), checked against its SHA-256 (a mismatch is `BadPhoto`/`Corrupt` and nothing is kept), thumbnailed
    /// on the phone and cached. Not uploaded yet: `NotFound`; offline: `Network`. Async network and file I/O.
    pub async fn evidence_thumbnail(&self, hash: String) -> ApiResult<String> {
        self.photo(hash, store::PhotoSize::Thumbnail).await
    }

    /// The full-size file of such a photo, for when the user opens it: the same as `evidence_thumbnail`, at
    /// full size (≤ 1600 px). Async network and file I/O.
    pub async fn open_evidence(&self, hash: String) -> ApiResult<String> {
        self.photo(hash, store::PhotoSize::Full).await
    }
}

impl FieldApp {
    async fn photo(&self, hash: String, size: store::PhotoSize) -> ApiResult<String> {
        let path = sync::fetch_photo(&self.store, hash.trim(), size, self.limits.retry).await?;
        Ok(path.to_string_lossy().into_owned())
    }
}

/// Converts a WGS-84 GPS point to GCJ-02 for drawing on AMap/Tencent maps. Pure; any thread.
#[uniffi::export]
pub fn wgs84_to_gcj02(point: MapPoint) -> ApiResult<MapPoint> {
    geo::validate_point(point.lat, point.lon).map_err(Error::from)?;
    let (lat, lon) = geo::wgs84_to_gcj02(point.lat, point.lon);
    Ok(MapPoint { lat, lon })
}

/// Converts a GCJ-02 map point (e.g. a tap on an AMap map) back to WGS-84. Pure; any thread.
#[uniffi::export]
pub fn gcj02_to_wgs84(point: MapPoint) -> ApiResult<MapPoint> {
    geo::validate_point(point.lat, point.lon).map_err(Error::from)?;
    let (lat, lon) = geo::gcj02_to_wgs84(point.lat, point.lon);
    Ok(MapPoint { lat, lon })
}

#[cfg(test)]
mod field_workflow_tests {
    //! The field-workflow calls through the exported object: records, labels and error conversion.
    use super::*;
    use crate::store::testing::{app, NOW};

    fn draft() -> IssueDraft {
        IssueDraft {
            category: IssueCategory::SafetyHazard,
            urgency: Urgency::Urgent,
            title: "桥梁护栏断裂".into(),
            description: String::new(),
            household_id: Some("h1".into()),
            node_id: None,
            location: None,
            evidence: vec![],
            client_op_id: None,
        }
    }

    #[test]
    fn exported_field_workflows() {
        let (app, _dir) = app();
        app.sign_in("gw".into()).unwrap();
        let first = app.report_issue(draft()).unwrap();
        let suggestions = app.suggest_duplicates(IssueDraft { title: String::new(), ..draft() }).unwrap();
        assert_eq!(suggestions.len(), 1);
        assert_eq!((suggestions[0].issue.id.as_str(), suggestions[0].distance_m), (first.id.as_str(), 0.0));
        assert_eq!(suggestions[0].issue.category_label, "安全隐患");

        let coverage = app.visit_coverage().unwrap();
        assert_eq!((coverage.level_label.as_str(), coverage.total.households, coverage.total.percent), ("村党支部", 4, Some(0.0)));
        assert_eq!(coverage.row_total, 2);
        let rows = app.visit_coverage_rows(0, 1).unwrap();
        assert_eq!((rows.items[0].level_label.as_str(), rows.total, rows.next_offset), ("村民小组", 2, Some(1)));
        let never = app.never_visited_households(0, 3).unwrap();
        assert_eq!((never.items.len(), never.total, never.next_offset), (3, 4, Some(3)));

        assert_eq!(app.silent_nodes_for_me(0, 10).unwrap().total, 0);
        let m = app.measures(NOW - 1, NOW + 1).unwrap();
        assert_eq!(m.issues.reported, 1);
        assert_eq!(m.issues.by_state[0].state_label, "上报");
        assert_eq!(m.issues.accepted_on_time, MeasureRate { numerator: 0, denominator: 0, percent: None });
        assert!(matches!(app.measures(NOW, NOW - 1), Err(ApiError::InvalidInput { .. })));
    }

    /// The visit form's live verdict: a fresh fix near the household is on site; the phone's last known fix
    /// from before the form opened, or one older than 120 s, is stale; a NaN or future fix is refused.
    #[test]
    fn verdict_preview_grades_fresh_fixes_only() {
        let (app, _dir) = app();
        app.sign_in("gw".into()).unwrap();
        let started = NOW - 30_000;
        let fix = |t: i64| GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 8.0, fix_time_ms: t, mocked: false };
        let fresh = app.preview_verdict("h1".into(), Some(fix(NOW - 10_000)), started).unwrap();
        assert_eq!((fresh.verdict, fresh.on_site, fresh.verdict_label.as_str(), fresh.fix_age_s), (OnSiteVerdict::OnSite, true, "在现场", Some(10)));
        let last_known = app.preview_verdict("h1".into(), Some(fix(started - 1)), started).unwrap();
        assert_eq!((last_known.verdict, last_known.on_site), (OnSiteVerdict::StaleFix, false));
        assert!(last_known.advice.contains("重新定位"), "{}", last_known.advice);
        let old = app.preview_verdict("h1".into(), Some(fix(NOW - 121_000)), NOW - 600_000).unwrap();
        assert_eq!(old.verdict, OnSiteVerdict::StaleFix);
        assert_eq!(app.preview_verdict("h1".into(), None, started).unwrap().verdict, OnSiteVerdict::NoFix);
        let nan = GpsFix { lat: f64::NAN, ..fix(NOW) };
        assert!(matches!(app.preview_verdict("h1".into(), Some(nan), started), Err(ApiError::InvalidInput { field, .. }) if field == "lat"));
        let future = fix(NOW + 3_600_000);
        let e = app.preview_verdict("h1".into(), Some(future), started).unwrap_err();
        assert!(matches!(&e, ApiError::InvalidInput { field, .. } if field == "fix_time_ms"));
        assert_eq!(e.describe("zh-CN".into()).message, "「定位时间」填写有误");
        // Saving grades the same way, with the visit's own times; a future fix stores nothing.
        let draft = |f: GpsFix| VisitDraft {
            household_id: "h1".into(),
            kind: VisitKind::Routine,
            started_at_ms: started,
            ended_at_ms: NOW,
            fix: Some(f),
            notes: String::new(),
            evidence: vec![],
            issue_id: None,
        };
        let before = app.household_visits("h1".into(), 10).unwrap().len();
        assert!(matches!(app.record_visit(draft(future)), Err(ApiError::InvalidInput { .. })));
        assert_eq!(app.household_visits("h1".into(), 10).unwrap().len(), before, "nothing stored half-way");
        let saved = app.record_visit(draft(fix(started - 1))).unwrap();
        assert_eq!((saved.verdict, saved.verdict_label.as_str()), (OnSiteVerdict::StaleFix, "定位已过期"));
    }

    /// The issue page's buttons come with what they need; the shell fills the form and the core builds the
    /// command; the queue's filters come from the core.
    #[test]
    fn action_specs_drive_the_issue_page() {
        let (app, _dir) = app();
        app.sign_in("gw".into()).unwrap();
        let issue = app.report_issue(draft()).unwrap();
        assert!(app.session().unwrap().capabilities.resolve_on_spot);
        app.sign_in("ts".into()).unwrap();
        let caps = app.session().unwrap().capabilities;
        assert!(caps.triage && caps.issue_directives && !caps.resolve_on_spot && caps.home == crate::actions::Home::Triage);
        let detail = app.issue(issue.id.clone()).unwrap();
        let kinds: Vec<_> = detail.actions.iter().map(|a| a.kind).collect();
        assert_eq!(kinds, [IssueActionKind::Accept, IssueActionKind::Reject, IssueActionKind::Merge]);
        assert_eq!(detail.actions[1].text_label, "原因");
        let form = crate::actions::ActionForm::default;
        let refused = app.perform_action(issue.id.clone(), IssueActionKind::Reject, form()).unwrap_err();
        assert_eq!(refused.describe("zh-CN".into()).message, "「原因」填写有误");
        app.perform_action(issue.id.clone(), IssueActionKind::Accept, form()).unwrap();
        let assign = app.issue(issue.id.clone()).unwrap().actions.into_iter().find(|a| a.kind == IssueActionKind::Assign).unwrap();
        assert!(assign.needs_person);
        let no_person = app.perform_action(issue.id.clone(), IssueActionKind::Assign, form()).unwrap_err();
        assert!(matches!(no_person, ApiError::InvalidInput { ref field, .. } if field == "assignee_id"));
        let assigned = app
            .perform_action(issue.id.clone(), IssueActionKind::Assign, crate::actions::ActionForm { person_id: Some("gw".into()), ..form() })
            .unwrap();
        assert_eq!(assigned.assignee_id.as_deref(), Some("gw"));

        let labels: Vec<_> = app.issue_filters().into_iter().map(|f| f.label).collect();
        assert_eq!(labels, ["未结案", "待受理", "待回访", "超期", "全部"]);
        use crate::actions::IssueFilter;
        assert_eq!(app.issue_queue(IssueFilter::Open, 0, 10).unwrap().total, 1);
        assert_eq!(app.issue_queue(IssueFilter::New, 0, 10).unwrap().total, 0);
        assert_eq!(app.issue_queue(IssueFilter::Overdue, 0, 10).unwrap().total, 0, "not yet past its deadline");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exported constructor: a key of the wrong size is invalid input; a store under another key is the
    /// typed `WrongKey` error, read in plain Chinese.
    #[test]
    fn open_needs_the_stores_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("linkage.db").to_str().unwrap().to_string();
        let short = FieldApp::open(path.clone(), vec![1; 31]).unwrap_err();
        assert!(matches!(&short, ApiError::InvalidInput { field, .. } if field == "key"), "{short:?}");
        let app = FieldApp::open(path.clone(), vec![1; 32]).unwrap();
        app.rekey(vec![2; 32]).unwrap();
        drop(app);
        let wrong = FieldApp::open(path.clone(), vec![1; 32]).unwrap_err();
        assert!(matches!(wrong, ApiError::WrongKey), "{wrong:?}");
        let m = wrong.describe("zh-CN".into());
        assert_eq!((m.code.as_str(), m.message.as_str()), ("wrong_key", "本机数据无法解密，暂时打不开"));
        FieldApp::open(path, vec![2; 32]).unwrap();
    }
}
