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
