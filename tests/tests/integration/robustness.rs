//! Bad input of every kind returns its typed error and leaves the database file byte-for-byte unchanged
//! in content; nothing is lost across reopening.

use linkage_core::api::*;
use linkage_core::ApiError;

use crate::common::*;

fn draft() -> IssueDraft {
    IssueDraft {
        category: IssueCategory::SafetyHazard,
        urgency: Urgency::Urgent,
        title: "危房".into(),
        description: String::new(),
        household_id: Some("h1".into()),
        node_id: None,
        location: None,
        evidence: vec![],
        client_op_id: None,
    }
}

#[test]
fn bad_input_is_typed_and_changes_nothing() {
    let p = phone();
    let app = &p.app;
    app.sign_in("gw".into()).unwrap();
    let id = app.report_issue(draft()).unwrap().id;
    let op = "0190f5c2-7a1b-7c3d-8e4f-000000000001".to_string();
    app.report_issue(IssueDraft { client_op_id: Some(op.clone()), ..draft() }).unwrap();
    let before = db_rows(&p);

    let field = |r: Result<IssueSummary, ApiError>| match r {
        Err(ApiError::InvalidInput { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(app.report_issue(IssueDraft { title: String::new(), ..draft() })), "title");
    assert_eq!(field(app.report_issue(IssueDraft { title: "长".repeat(500), ..draft() })), "title");
    assert_eq!(field(app.report_issue(IssueDraft { description: "长".repeat(5_000), ..draft() })), "description");
    let nan = GpsFix { lat: f64::NAN, lon: 109.0, accuracy_m: 5.0, fix_time_ms: NOW, mocked: false };
    assert_eq!(field(app.report_issue(IssueDraft { location: Some(nan), ..draft() })), "lat");
    let out_of_range = GpsFix { lat: 35.0, lon: 181.0, accuracy_m: 5.0, fix_time_ms: NOW, mocked: false };
    assert_eq!(field(app.report_issue(IssueDraft { location: Some(out_of_range), ..draft() })), "lon");
    assert!(matches!(
        app.report_issue(IssueDraft { household_id: Some("ghost".into()), ..draft() }),
        Err(ApiError::NotFound { .. })
    ));
    assert!(matches!(
        app.report_issue(IssueDraft { client_op_id: Some(op), ..draft() }),
        Err(ApiError::Conflict { .. })
    ));
    assert!(matches!(app.perform_issue_action(id.clone(), IssueCommand::Start), Err(ApiError::IllegalTransition { .. })));
    assert!(matches!(app.perform_issue_action("ghost".into(), IssueCommand::Accept), Err(ApiError::NotFound { .. })));
    assert!(matches!(app.perform_issue_action("../etc".into(), IssueCommand::Accept), Err(ApiError::InvalidInput { .. })));
    assert!(matches!(app.sign_in("ghost".into()), Err(ApiError::NotFound { .. })));
    assert!(matches!(app.load_bundle("/nonexistent/bundle.json".into()), Err(ApiError::InvalidInput { .. })));
    assert!(matches!(
        app.record_visit(VisitDraft {
            household_id: "h1".into(),
            kind: VisitKind::Routine,
            started_at_ms: NOW,
            ended_at_ms: NOW,
            fix: Some(GpsFix { lat: 35.58, lon: 109.26, accuracy_m: -3.0, fix_time_ms: NOW, mocked: false }),
            notes: String::new(),
            evidence: vec![],
            issue_id: None,
        }),
        Err(ApiError::InvalidInput { .. })
    ));
    assert!(matches!(
        linkage_core::wgs84_to_gcj02(MapPoint { lat: 91.0, lon: 0.0 }),
        Err(ApiError::InvalidInput { .. })
    ));
    assert_eq!(db_rows(&p), before);
}

#[test]
fn personal_data_never_appears_in_error_messages() {
    let p = phone();
    p.app.sign_in("ts".into()).unwrap();
    let err = p.app.household("h4".into()).unwrap_err().to_string();
    assert!(!err.contains("1381234") && !err.contains("610631196501011234"), "{err}");
    let page = p.app.list_households(HouseholdQuery { text: None, address: None, tag: None, risk: None, offset: 0, limit: 10 }).unwrap();
    let debug = format!("{:?}", page);
    assert!(!debug.contains("13812345678") && !debug.contains("610631196501011234"));
}

#[test]
fn everything_survives_reopening() {
    let p = phone();
    p.app.sign_in("lh".into()).unwrap();
    let id = p.app.report_issue(draft()).unwrap().id;
    drop(p.app.clone());
    let again = linkage_core::FieldApp::open_with_clock(&p.db, p.clock.clone()).unwrap();
    assert_eq!(again.session().unwrap().user_id, "lh");
    assert_eq!(again.issue(id).unwrap().summary.state, IssueState::Reported);
    assert_eq!(again.outbox_status().unwrap().pending, 1);
}

/// Runs a call that must be refused: asserts the precise `ApiError` (pattern and guard) and that every row of
/// every table of the database file (outbox included) is exactly `$before`.
macro_rules! refused {
    ($p:expr, $before:expr, $call:expr, $pat:pat $(if $guard:expr)?) => {{
        let r = $call;
        assert!(matches!(&r, Err($pat) $(if $guard)?), "{}: got {r:?}", stringify!($call));
        assert_eq!(db_rows($p), *$before, "{} changed the database", stringify!($call));
    }};
}

fn visit(household: &str) -> VisitDraft {
    VisitDraft {
        household_id: household.into(),
        kind: VisitKind::Routine,
        started_at_ms: NOW - 600_000,
        ended_at_ms: NOW - 60_000,
        fix: Some(GpsFix { lat: 35.58, lon: 109.26, accuracy_m: 5.0, fix_time_ms: NOW - 90_000, mocked: false }),
        notes: "家中安好".into(),
        evidence: vec![],
        issue_id: None,
    }
}

fn alert() -> DirectiveDraft {
    DirectiveDraft {
        target_node_id: "t1".into(),
        kind: DirectiveKind::Alert,
        title: "森林火险预警".into(),
        body: "严禁野外用火".into(),
        due_at_ms: Some(NOW + 3_600_000),
        evidence: vec![],
    }
}

fn query(text: Option<&str>, address: Option<&str>) -> HouseholdQuery {
    HouseholdQuery { text: text.map(Into::into), address: address.map(Into::into), tag: None, risk: None, offset: 0, limit: 10 }
}

/// A phone with an accepted issue (by `lh`, owned by `t1`), a visit by `gw` and a county alert to `t1`
/// that `ts` has acknowledged and relayed and `gw` has acknowledged. Returns (issue id, visit id, directive id).
fn seeded(p: &Phone) -> (String, String, String) {
    let app = &p.app;
    app.sign_in("lh".into()).unwrap();
    let issue = app.report_issue(draft()).unwrap().id;
    app.sign_in("ts".into()).unwrap();
    app.perform_issue_action(issue.clone(), IssueCommand::Accept).unwrap();
    app.sign_in("gw".into()).unwrap();
    let visit = app.record_visit(visit("h1")).unwrap().id;
    app.sign_in("cs".into()).unwrap();
    let directive = app.issue_directive(alert()).unwrap().id;
    app.sign_in("ts".into()).unwrap();
    app.acknowledge_directive(directive.clone()).unwrap();
    app.relay_directive(directive.clone()).unwrap();
    app.sign_in("gw".into()).unwrap();
    app.acknowledge_directive(directive.clone()).unwrap();
    (issue, visit, directive)
}

#[test]
fn unknown_ids_are_not_found_and_change_nothing() {
    let p = phone();
    let app = &p.app;
    let (issue, visit_id, directive) = seeded(&p);
    let nf = |entity: &str, id: &str, e: &ApiError| matches!(e, ApiError::NotFound { entity: en, id: i } if en == entity && i == id);
    let bad_id = |field: &str, e: &ApiError| matches!(e, ApiError::InvalidInput { field: f, .. } if f == field);

    app.sign_in("ts".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.issue("ghost".into()), e if nf("issue", "ghost", e));
    refused!(&p, &before, app.issue_timeline("ghost".into()), e if nf("issue", "ghost", e));
    refused!(&p, &before, app.perform_issue_action("ghost".into(), IssueCommand::Accept), e if nf("issue", "ghost", e));
    refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Assign { assignee_id: "nobody".into() }), e if nf("user", "nobody", e));
    refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Merge { into_issue_id: "ghost".into() }), e if nf("issue", "ghost", e));
    refused!(&p, &before, app.perform_issue_action("../etc".into(), IssueCommand::Accept), e if bad_id("issue_id", e));
    refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Assign { assignee_id: "a/b".into() }), e if bad_id("assignee_id", e));
    refused!(&p, &before, app.household("ghost".into()), e if nf("household", "ghost", e));
    refused!(&p, &before, app.household("x".repeat(65)), e if bad_id("household_id", e));
    refused!(&p, &before, app.acknowledge_directive("ghost".into()), e if nf("directive", "ghost", e));
    refused!(&p, &before, app.relay_directive("ghost".into()), e if nf("directive", "ghost", e));
    refused!(&p, &before, app.directive_coverage("ghost".into()), e if nf("directive", "ghost", e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { target_node_id: "ghost".into(), ..alert() }), e if nf("node", "ghost", e));
    refused!(&p, &before, app.report_issue(IssueDraft { household_id: None, node_id: Some("ghost".into()), ..draft() }), e if nf("node", "ghost", e));

    app.sign_in("gw".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.report_issue(IssueDraft { household_id: Some("ghost".into()), ..draft() }), e if nf("household", "ghost", e));
    refused!(&p, &before, app.record_visit(visit("ghost")), e if nf("household", "ghost", e));
    refused!(&p, &before, app.record_visit(VisitDraft { issue_id: Some("ghost".into()), ..visit("h1") }), e if nf("issue", "ghost", e));
    refused!(&p, &before, app.amend_visit("ghost".into(), "更正".into(), vec![]), e if nf("visit", "ghost", e));
    refused!(&p, &before, app.household_visits("ghost".into(), 5), e if nf("household", "ghost", e));

    app.sign_in("lh".into()).unwrap();
    app.acknowledge_directive(directive.clone()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.record_household_ack("ghost".into(), "h1".into(), AckMeans::Visit), e if nf("directive", "ghost", e));
    refused!(&p, &before, app.record_household_ack(directive.clone(), "ghost".into(), AckMeans::Visit), e if nf("household", "ghost", e));
    refused!(&p, &before, app.sign_in("ghost".into()), e if nf("user", "ghost", e));
    assert_eq!(app.session().unwrap().user_id, "lh", "a failed sign-in keeps the session");
    let _ = visit_id;
}

#[test]
fn out_of_scope_access_is_refused_and_changes_nothing() {
    let p = phone();
    let app = &p.app;
    let (issue, visit_id, directive) = seeded(&p);
    let nf = |entity: &str, id: &str, e: &ApiError| matches!(e, ApiError::NotFound { entity: en, id: i } if en == entity && i == id);
    let np = |e: &ApiError| matches!(e, ApiError::NotPermitted { .. });

    // Another township's staff: the issue, its household and the directive to t1 do not exist for them.
    app.sign_in("ts2".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.issue(issue.clone()), e if nf("issue", &issue, e));
    refused!(&p, &before, app.issue_timeline(issue.clone()), e if nf("issue", &issue, e));
    for command in [
        IssueCommand::Accept,
        IssueCommand::Assign { assignee_id: "gw2".into() },
        IssueCommand::Resolve { note: "已处理".into(), evidence: vec![] },
        IssueCommand::Escalate { reason: "上报".into() },
    ] {
        refused!(&p, &before, app.perform_issue_action(issue.clone(), command.clone()), e if nf("issue", &issue, e));
    }
    refused!(&p, &before, app.household("h1".into()), e if nf("household", "h1", e));
    refused!(&p, &before, app.record_visit(visit("h1")), e if nf("household", "h1", e));
    refused!(&p, &before, app.report_issue(draft()), e if nf("household", "h1", e));
    refused!(&p, &before, app.acknowledge_directive(directive.clone()), e if nf("directive", &directive, e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { target_node_id: "t1".into(), ..alert() }), e if np(e));
    assert_eq!(app.list_issues(IssueListKind::InArea, vec![], 0, 50).unwrap().total, 0);
    assert!(app.list_households(query(Some("张"), None)).unwrap().items.is_empty());

    // The owning township may not assign outside its area, nor direct another township.
    app.sign_in("ts".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Assign { assignee_id: "gw2".into() }), e if np(e));
    refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Assign { assignee_id: "lh".into() }), e if np(e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { target_node_id: "t2".into(), ..alert() }), e if np(e));
    refused!(&p, &before, app.household("h4".into()), e if nf("household", "h4", e));

    // A grid worker: not the other branch's households or places, may direct only its own branch's groups (not the
    // township above it), and may not triage.
    app.sign_in("gw".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.record_visit(visit("h4")), e if nf("household", "h4", e));
    refused!(&p, &before, app.report_issue(IssueDraft { household_id: Some("h4".into()), ..draft() }), e if nf("household", "h4", e));
    refused!(&p, &before, app.report_issue(IssueDraft { household_id: None, node_id: Some("b2".into()), ..draft() }), e if nf("node", "b2", e));
    refused!(&p, &before, app.household_visits("h4".into(), 5), e if nf("household", "h4", e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { target_node_id: "t1".into(), ..alert() }), e if np(e));
    refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Assign { assignee_id: "gw".into() }), e if np(e));

    // A liaison head: only the group's households; only the original visitor amends a visit.
    app.sign_in("lh".into()).unwrap();
    app.acknowledge_directive(directive.clone()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.record_household_ack(directive.clone(), "h3".into(), AckMeans::Phone), e if nf("household", "h3", e));
    refused!(&p, &before, app.record_visit(visit("h3")), e if nf("household", "h3", e));
    refused!(&p, &before, app.amend_visit(visit_id.clone(), "改写别人的记录".into(), vec![]), e if np(e));
    refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Resolve { note: "已处理".into(), evidence: vec![] }), e if np(e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { target_node_id: "g1".into(), ..alert() }), e if np(e));
    refused!(&p, &before, app.remind_node(directive.clone(), "g2".into()), e if np(e));
}

#[test]
fn illegal_transitions_and_out_of_order_steps_are_typed_and_change_nothing() {
    let p = phone();
    let app = &p.app;
    let (accepted, _, directive) = seeded(&p);
    let it = |from: IssueState, action: IssueActionKind, e: &ApiError| {
        matches!(e, ApiError::IllegalTransition { from: f, action: a } if *f == from && *a == action)
    };
    app.sign_in("lh".into()).unwrap();
    let rejected = app.report_issue(draft()).unwrap().id;
    app.sign_in("ts".into()).unwrap();
    app.perform_issue_action(rejected.clone(), IssueCommand::Reject { reason: "不属于受理范围".into() }).unwrap();
    let before = db_rows(&p);
    let verify = IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() };
    refused!(&p, &before, app.perform_issue_action(accepted.clone(), IssueCommand::Accept), e if it(IssueState::Accepted, IssueActionKind::Accept, e));
    refused!(&p, &before, app.perform_issue_action(accepted.clone(), IssueCommand::Reject { reason: "晚了".into() }), e if it(IssueState::Accepted, IssueActionKind::Reject, e));
    refused!(&p, &before, app.perform_issue_action(accepted.clone(), verify.clone()), e if it(IssueState::Accepted, IssueActionKind::Verify, e));
    refused!(&p, &before, app.perform_issue_action(rejected.clone(), IssueCommand::Accept), e if it(IssueState::Rejected, IssueActionKind::Accept, e));
    refused!(&p, &before, app.perform_issue_action(rejected.clone(), IssueCommand::Escalate { reason: "上报".into() }), e if it(IssueState::Rejected, IssueActionKind::Escalate, e));
    refused!(&p, &before, app.perform_issue_action(rejected.clone(), IssueCommand::Merge { into_issue_id: accepted.clone() }), e if it(IssueState::Rejected, IssueActionKind::Merge, e));
    // The state is checked before the arguments: an illegal action with bad arguments is still IllegalTransition.
    refused!(&p, &before, app.perform_issue_action(rejected.clone(), IssueCommand::Reject { reason: String::new() }), e if it(IssueState::Rejected, IssueActionKind::Reject, e));
    // Merging into a closed issue is refused with the field; into itself too.
    app.sign_in("lh".into()).unwrap();
    let open = app.report_issue(draft()).unwrap().id;
    app.sign_in("ts".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.perform_issue_action(open.clone(), IssueCommand::Merge { into_issue_id: rejected.clone() }), ApiError::InvalidInput { field, .. } if field == "into_issue_id");
    refused!(&p, &before, app.perform_issue_action(open.clone(), IssueCommand::Merge { into_issue_id: open.clone() }), ApiError::InvalidInput { field, .. } if field == "into_issue_id");

    // Directive cascade steps out of order.
    app.sign_in("lh".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.relay_directive(directive.clone()), ApiError::OutOfOrder { .. });
    refused!(&p, &before, app.record_household_ack(directive.clone(), "h1".into(), AckMeans::InPerson), ApiError::OutOfOrder { .. });
    // Without a session nothing at all is possible.
    app.sign_out().unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.perform_issue_action(open.clone(), IssueCommand::Accept), ApiError::NotSignedIn);
    refused!(&p, &before, app.record_visit(visit("h1")), ApiError::NotSignedIn);
    refused!(&p, &before, app.acknowledge_directive(directive.clone()), ApiError::NotSignedIn);
}

#[test]
fn empty_and_oversized_text_are_refused_with_the_field_and_change_nothing() {
    use linkage_protocol::validate::limits;
    let p = phone();
    let app = &p.app;
    let (issue, visit_id, _) = seeded(&p);
    let field = |name: &str, e: &ApiError| matches!(e, ApiError::InvalidInput { field, .. } if field == name);
    let long = |n: usize| "长".repeat(n + 1);

    app.sign_in("gw".into()).unwrap();
    let before = db_rows(&p);
    for title in [String::new(), " \n\t ".into(), long(limits::TITLE), "a\u{7}b".into()] {
        refused!(&p, &before, app.report_issue(IssueDraft { title: title.clone(), ..draft() }), e if field("title", e));
    }
    refused!(&p, &before, app.report_issue(IssueDraft { description: long(limits::DESCRIPTION), ..draft() }), e if field("description", e));
    refused!(&p, &before, app.report_issue(IssueDraft { evidence: vec!["x".repeat(64)], ..draft() }), e if field("evidence", e));
    refused!(&p, &before, app.record_visit(VisitDraft { notes: long(limits::NOTE), ..visit("h1") }), e if field("notes", e));
    refused!(&p, &before, app.amend_visit(visit_id.clone(), String::new(), vec![]), e if field("notes", e));
    refused!(&p, &before, app.amend_visit(visit_id.clone(), long(limits::NOTE), vec![]), e if field("notes", e));
    refused!(&p, &before, app.list_households(query(Some(&long(limits::SEARCH)), None)), e if field("text", e));
    refused!(&p, &before, app.list_households(query(None, Some(&long(limits::SEARCH)))), e if field("address", e));

    app.sign_in("ts".into()).unwrap();
    let before = db_rows(&p);
    for reason in [String::new(), long(limits::REASON)] {
        refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Escalate { reason: reason.clone() }), e if field("reason", e));
    }
    for note in [String::new(), long(limits::NOTE)] {
        refused!(&p, &before, app.perform_issue_action(issue.clone(), IssueCommand::Resolve { note: note.clone(), evidence: vec![] }), e if field("note", e));
    }
    app.sign_in("cs".into()).unwrap();
    let before = db_rows(&p);
    refused!(&p, &before, app.issue_directive(DirectiveDraft { title: String::new(), ..alert() }), e if field("title", e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { title: long(limits::TITLE), ..alert() }), e if field("title", e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { body: String::new(), ..alert() }), e if field("body", e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { body: long(limits::DESCRIPTION), ..alert() }), e if field("body", e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { kind: DirectiveKind::Task, due_at_ms: None, ..alert() }), e if field("due_at_ms", e));
    refused!(&p, &before, app.issue_directive(DirectiveDraft { kind: DirectiveKind::Task, due_at_ms: Some(NOW - 1), ..alert() }), e if field("due_at_ms", e));

    // Exactly at the limits is accepted (counted in characters, not bytes).
    app.sign_in("gw".into()).unwrap();
    let ok = app
        .report_issue(IssueDraft { title: "长".repeat(limits::TITLE), description: "长".repeat(limits::DESCRIPTION), ..draft() })
        .unwrap();
    assert_eq!(ok.title.chars().count(), limits::TITLE);
    app.record_visit(VisitDraft { notes: "长".repeat(limits::NOTE), ..visit("h1") }).unwrap();
}

#[test]
fn invalid_coordinates_and_times_are_refused_and_change_nothing() {
    let p = phone();
    let app = &p.app;
    seeded(&p);
    let field = |name: &str, e: &ApiError| matches!(e, ApiError::InvalidInput { field, .. } if field == name);
    let fix = |lat: f64, lon: f64, accuracy_m: f64| GpsFix { lat, lon, accuracy_m, fix_time_ms: NOW, mocked: false };
    let bad: &[(GpsFix, &str)] = &[
        (fix(f64::NAN, 109.0, 5.0), "lat"),
        (fix(f64::INFINITY, 109.0, 5.0), "lat"),
        (fix(90.000_001, 109.0, 5.0), "lat"),
        (fix(-91.0, 109.0, 5.0), "lat"),
        (fix(35.0, f64::NAN, 5.0), "lon"),
        (fix(35.0, f64::NEG_INFINITY, 5.0), "lon"),
        (fix(35.0, 180.5, 5.0), "lon"),
        (fix(35.0, -181.0, 5.0), "lon"),
        (fix(35.0, 109.0, -1.0), "accuracy_m"),
        (fix(35.0, 109.0, f64::NAN), "accuracy_m"),
        (fix(35.0, 109.0, f64::INFINITY), "accuracy_m"),
    ];
    app.sign_in("gw".into()).unwrap();
    let before = db_rows(&p);
    for (f, name) in bad {
        refused!(&p, &before, app.report_issue(IssueDraft { location: Some(*f), ..draft() }), e if field(name, e));
        refused!(&p, &before, app.record_visit(VisitDraft { fix: Some(*f), ..visit("h1") }), e if field(name, e));
        refused!(&p, &before, app.suggest_duplicates(IssueDraft { location: Some(*f), ..draft() }), e if field(name, e));
        if *name != "accuracy_m" {
            let point = MapPoint { lat: f.lat, lon: f.lon };
            refused!(&p, &before, app.overdue_households(Some(point), 0, 10), e if field(name, e));
            assert!(matches!(linkage_core::wgs84_to_gcj02(point), Err(ApiError::InvalidInput { field, .. }) if field == *name));
            assert!(matches!(linkage_core::gcj02_to_wgs84(point), Err(ApiError::InvalidInput { field, .. }) if field == *name));
        }
    }
    // Visit times: reversed, zero, or in the future beyond clock skew.
    refused!(&p, &before, app.record_visit(VisitDraft { started_at_ms: NOW, ended_at_ms: NOW - 1, ..visit("h1") }), e if field("started_at_ms", e));
    refused!(&p, &before, app.record_visit(VisitDraft { started_at_ms: 0, ..visit("h1") }), e if field("started_at_ms", e));
    refused!(&p, &before, app.record_visit(VisitDraft { started_at_ms: NOW, ended_at_ms: NOW + 3_600_000, ..visit("h1") }), e if field("ended_at_ms", e));
    // The edges of the valid range are accepted.
    app.report_issue(IssueDraft { location: Some(fix(90.0, -180.0, 0.0)), ..draft() }).unwrap();
    assert!(linkage_core::wgs84_to_gcj02(MapPoint { lat: -90.0, lon: 180.0 }).is_ok());
}

#[test]
fn duplicate_op_ids_are_conflicts_and_repeats_are_no_ops() {
    let p = phone();
    let app = &p.app;
    let (_, _, directive) = seeded(&p);
    app.sign_in("gw".into()).unwrap();
    let op = "0190f5c2-7a1b-7c3d-8e4f-00000000abcd".to_string();
    let first = app.report_issue(IssueDraft { client_op_id: Some(op.clone()), ..draft() }).unwrap();
    let pending = app.outbox_status().unwrap().pending;
    let before = db_rows(&p);
    let conflict = |e: &ApiError| matches!(e, ApiError::Conflict { reason } if reason.contains(&op));
    // The same op id, however it is spelled (UUIDs are normalised), and with a different body.
    for again in [op.clone(), op.to_uppercase(), op.replace('-', ""), format!("{{{op}}}")] {
        refused!(&p, &before, app.report_issue(IssueDraft { client_op_id: Some(again), title: "另一件事".into(), ..draft() }), e if conflict(e));
    }
    refused!(&p, &before, app.report_issue(IssueDraft { client_op_id: Some("not-a-uuid".into()), ..draft() }), ApiError::InvalidInput { field, .. } if field == "client_op_id");
    // The op id of an operation already in the outbox (a directive acknowledgement made by this device).
    let other_op: String = rusqlite::Connection::open(&p.db)
        .unwrap()
        .query_row("SELECT op_id FROM outbox WHERE kind = 'node_acknowledged' ORDER BY seq LIMIT 1", [], |r| r.get(0))
        .unwrap();
    let r = app.report_issue(IssueDraft { client_op_id: Some(other_op.clone()), ..draft() });
    assert!(matches!(&r, Err(ApiError::Conflict { reason }) if reason.contains(&other_op)), "{r:?}");
    assert_eq!(db_rows(&p), before);
    assert_eq!(app.outbox_status().unwrap().pending, pending);
    assert_eq!(app.list_issues(IssueListKind::ReportedByMe, vec![], 0, 10).unwrap().items, vec![first]);

    // Repeating an idempotent step is a no-op: same answer, no new row, no new operation.
    let acked = app.acknowledge_directive(directive.clone()).unwrap();
    assert_eq!(db_rows(&p), before, "a repeated acknowledgement stores nothing");
    assert_eq!(acked.acknowledged_at_ms, Some(NOW));
    app.sign_in("ts".into()).unwrap();
    let before = db_rows(&p);
    app.relay_directive(directive.clone()).unwrap();
    assert_eq!(db_rows(&p), before, "a repeated relay stores nothing");
    app.sign_in("lh".into()).unwrap();
    app.acknowledge_directive(directive.clone()).unwrap();
    app.record_household_ack(directive.clone(), "h1".into(), AckMeans::Visit).unwrap();
    let before = db_rows(&p);
    app.record_household_ack(directive.clone(), "h1".into(), AckMeans::Phone).unwrap();
    assert_eq!(db_rows(&p), before, "the first household acknowledgement stands");
}
