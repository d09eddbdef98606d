//! The issue lifecycle through the public API.

use linkage_core::api::*;
use linkage_core::ApiError;

use crate::common::*;

fn draft(title: &str) -> IssueDraft {
    IssueDraft {
        category: IssueCategory::Infrastructure,
        urgency: Urgency::Normal,
        title: title.into(),
        description: "村口路灯不亮".into(),
        household_id: Some("h2".into()),
        node_id: None,
        location: None,
        evidence: vec![],
        client_op_id: None,
    }
}

#[test]
fn story_with_rework_escalation_and_the_reporter_following_it() {
    let p = phone();
    let app = &p.app;
    app.sign_in("lh".into()).unwrap();
    let id = app.report_issue(draft("路灯坏了")).unwrap().id;

    app.sign_in("ts".into()).unwrap();
    app.perform_issue_action(id.clone(), IssueCommand::Accept).unwrap();
    app.perform_issue_action(id.clone(), IssueCommand::Assign { assignee_id: "gw".into() }).unwrap();
    app.sign_in("gw".into()).unwrap();
    app.perform_issue_action(id.clone(), IssueCommand::Start).unwrap();
    app.perform_issue_action(id.clone(), IssueCommand::Resolve { note: "更换灯泡".into(), evidence: vec![] }).unwrap();
    app.sign_in("ts".into()).unwrap();
    let reopened = app
        .perform_issue_action(id.clone(), IssueCommand::Verify { satisfaction: Satisfaction::Dissatisfied, note: "还是不亮".into() })
        .unwrap();
    assert_eq!((reopened.state, reopened.rework_count), (IssueState::Assigned, 1));
    assert_eq!(reopened.assignee_id.as_deref(), Some("gw"), "返工 goes back to the same handler");
    let up = app.perform_issue_action(id.clone(), IssueCommand::Escalate { reason: "线路老化需县供电公司".into() }).unwrap();
    assert_eq!((up.state, up.owner_node_id.as_str()), (IssueState::Accepted, "c"));
    assert_eq!(app.issue(id.clone()).unwrap().allowed_actions, Vec::<IssueActionKind>::new(), "township no longer owns it");

    app.sign_in("cs".into()).unwrap();
    let county_queue = app.triage_queue(vec![IssueState::Accepted], 0, 20).unwrap();
    assert_eq!(county_queue.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), [id.clone()]);
    app.perform_issue_action(id.clone(), IssueCommand::Resolve { note: "县供电公司更换线路".into(), evidence: vec![] }).unwrap();
    let closed = app
        .perform_issue_action(id.clone(), IssueCommand::Verify { satisfaction: Satisfaction::BasicallySatisfied, note: String::new() })
        .unwrap();
    assert_eq!(closed.state, IssueState::Closed);

    app.sign_in("lh".into()).unwrap();
    let mine = app.list_issues(IssueListKind::ReportedByMe, vec![], 0, 10).unwrap();
    assert_eq!(mine.items[0].state_label, "结案");
    let timeline = app.issue_timeline(id).unwrap();
    assert_eq!(timeline.len(), 9);
    assert_eq!(timeline[6].action_label, "上报上级");
}

#[test]
fn triage_queue_pages_by_deadline() {
    let p = phone();
    let app = &p.app;
    app.sign_in("gw".into()).unwrap();
    for (i, urgency) in [Urgency::Normal, Urgency::Critical, Urgency::Urgent].into_iter().enumerate() {
        app.report_issue(IssueDraft { urgency, ..draft(&format!("问题{i}")) }).unwrap();
        p.clock.advance_ms(1_000);
    }
    app.sign_in("ts".into()).unwrap();
    let first = app.triage_queue(vec![IssueState::Reported], 0, 2).unwrap();
    assert_eq!(first.total, 3);
    assert_eq!(first.next_offset, Some(2));
    assert_eq!(first.items.iter().map(|i| i.urgency).collect::<Vec<_>>(), [Urgency::Critical, Urgency::Urgent]);
    let rest = app.triage_queue(vec![IssueState::Reported], 2, 2).unwrap();
    assert_eq!((rest.items.len(), rest.next_offset), (1, None));
    assert!(first.items[0].due_at_ms.unwrap() < rest.items[0].due_at_ms.unwrap());
}

#[test]
fn typed_errors_through_the_facade() {
    let p = phone();
    let app = &p.app;
    assert!(matches!(app.report_issue(draft("x")), Err(ApiError::NotSignedIn)));
    app.sign_in("lh".into()).unwrap();
    let id = app.report_issue(draft("x")).unwrap().id;
    assert!(matches!(app.perform_issue_action(id.clone(), IssueCommand::Accept), Err(ApiError::NotPermitted { .. })));
    app.sign_in("ts".into()).unwrap();
    match app.perform_issue_action(id.clone(), IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() }) {
        Err(ApiError::IllegalTransition { from, action }) => {
            assert_eq!((from, action), (IssueState::Reported, IssueActionKind::Verify))
        }
        other => panic!("{other:?}"),
    }
    app.sign_in("ts2".into()).unwrap();
    assert!(matches!(app.issue(id), Err(ApiError::NotFound { .. })), "another township cannot see it");
}
