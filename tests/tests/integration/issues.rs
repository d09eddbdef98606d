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
    assert_eq!(county_queue.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), vec![id.clone()]);
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

/// Exhaustive through the public API, on a real database file: every state (plus "accepted after escalation
/// to the county", where there is no higher level) × every action on an existing issue × every user of the
/// fixture county → allowed, or the precise `ApiError`, with the database unchanged on every refusal. The
/// table is written by hand from DESIGN §5. The issue is about household h1 (group g1, branch b1, township
/// t1); where it has an assignee, that is `gw`. `ts2`, `gw2` and `lh2` work elsewhere: for them it does not
/// exist (`NotFound`), whatever the state and action.
#[test]
fn every_state_action_and_user_through_the_api() {
    use linkage_protocol::rules::{Denial, RuleError};
    use IssueActionKind as A;

    const STATES: [&str; 9] = ["reported", "accepted", "assigned", "in_progress", "resolved", "closed", "rejected", "merged", "escalated"];
    // ok = allowed, IT = IllegalTransition{from, action}, OW = NotPermitted(not the owning staff),
    // AS = NotPermitted(not the assignee), NH = NotPermitted(no higher level), AB = NotPermitted(not the level
    // above the owner: 督办 and 延期审批). No 挂起 runs and no 延期 request is pending, so Resume and
    // DecideExtension are illegal everywhere here (their flags are covered by the protocol's rule tests and the
    // workflow tests). 就地解决 and the sweep's overdue mark are not commands on an existing issue: see
    // sync_workflows and the protocol table.
    // Columns: reported accepted assigned in_progress resolved closed rejected merged escalated
    #[rustfmt::skip]
    let table: &[(&str, A, [&str; 9])] = &[
        ("cs", A::Accept,   ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("cs", A::Reject,   ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("cs", A::Merge,    ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT", "ok"]),
        ("cs", A::Assign,   ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT", "ok"]),
        ("cs", A::Start,    ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("cs", A::Resolve,  ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT", "ok"]),
        ("cs", A::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT", "NH"]),
        ("cs", A::Verify,   ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT", "IT"]),
        ("cs", A::Suspend,  ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT", "ok"]),
        ("cs", A::Resume,   ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("cs", A::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT", "ok"]),
        ("cs", A::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("cs", A::Supervise, ["ok", "ok", "ok", "ok", "ok", "IT", "IT", "IT", "AB"]),
        ("ts", A::Accept,   ["ok", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("ts", A::Reject,   ["ok", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("ts", A::Merge,    ["ok", "ok", "IT", "IT", "IT", "IT", "IT", "IT", "OW"]),
        ("ts", A::Assign,   ["IT", "ok", "ok", "IT", "IT", "IT", "IT", "IT", "OW"]),
        ("ts", A::Start,    ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("ts", A::Resolve,  ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT", "AS"]),
        ("ts", A::Escalate, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT", "OW"]),
        ("ts", A::Verify,   ["IT", "IT", "IT", "IT", "ok", "IT", "IT", "IT", "IT"]),
        ("ts", A::Suspend,  ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT", "OW"]),
        ("ts", A::Resume,   ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("ts", A::RequestExtension, ["IT", "ok", "ok", "ok", "IT", "IT", "IT", "IT", "AS"]),
        ("ts", A::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("ts", A::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT", "AB"]),
        ("gw", A::Accept,   ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("gw", A::Reject,   ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("gw", A::Merge,    ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT", "OW"]),
        ("gw", A::Assign,   ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT", "OW"]),
        ("gw", A::Start,    ["IT", "IT", "ok", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("gw", A::Resolve,  ["IT", "AS", "ok", "ok", "IT", "IT", "IT", "IT", "AS"]),
        ("gw", A::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT", "OW"]),
        ("gw", A::Verify,   ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT", "IT"]),
        ("gw", A::Suspend,  ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT", "OW"]),
        ("gw", A::Resume,   ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("gw", A::RequestExtension, ["IT", "AS", "ok", "ok", "IT", "IT", "IT", "IT", "AS"]),
        ("gw", A::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("gw", A::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT", "AB"]),
        ("lh", A::Accept,   ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("lh", A::Reject,   ["OW", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("lh", A::Merge,    ["OW", "OW", "IT", "IT", "IT", "IT", "IT", "IT", "OW"]),
        ("lh", A::Assign,   ["IT", "OW", "OW", "IT", "IT", "IT", "IT", "IT", "OW"]),
        ("lh", A::Start,    ["IT", "IT", "AS", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("lh", A::Resolve,  ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT", "AS"]),
        ("lh", A::Escalate, ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT", "OW"]),
        ("lh", A::Verify,   ["IT", "IT", "IT", "IT", "OW", "IT", "IT", "IT", "IT"]),
        ("lh", A::Suspend,  ["IT", "OW", "OW", "OW", "IT", "IT", "IT", "IT", "OW"]),
        ("lh", A::Resume,   ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("lh", A::RequestExtension, ["IT", "AS", "AS", "AS", "IT", "IT", "IT", "IT", "AS"]),
        ("lh", A::DecideExtension, ["IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT", "IT"]),
        ("lh", A::Supervise, ["AB", "AB", "AB", "AB", "AB", "IT", "IT", "IT", "AB"]),
    ];
    let outsiders = ["ts2", "gw2", "lh2"];
    let command = |a: A, target: &str| match a {
        A::Accept => IssueCommand::Accept,
        A::Reject => IssueCommand::Reject { reason: "不属于受理范围".into() },
        A::Merge => IssueCommand::Merge { into_issue_id: target.into() },
        A::Assign => IssueCommand::Assign { assignee_id: "gw".into() },
        A::Start => IssueCommand::Start,
        A::Resolve => IssueCommand::Resolve { note: "已处理".into(), evidence: vec![] },
        A::Escalate => IssueCommand::Escalate { reason: "需上级协调".into() },
        A::Verify => IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() },
        A::Suspend => IssueCommand::Suspend { reason: "等待县里勘测".into() },
        A::Resume => IssueCommand::Resume,
        A::RequestExtension => IssueCommand::RequestExtension { working_days: 3, reason: "材料未到".into() },
        A::DecideExtension => IssueCommand::DecideExtension { approved: true, note: String::new() },
        A::Supervise => IssueCommand::Supervise { level: SupervisionLevel::Yellow, note: String::new() },
        other => panic!("no command for {other:?}: add its row to the table"),
    };
    use IssueState as S;
    const COLUMN_STATES: [IssueState; 9] =
        [S::Reported, S::Accepted, S::Assigned, S::InProgress, S::Resolved, S::Closed, S::Rejected, S::Merged, S::Accepted];
    let state_of = |column: usize| COLUMN_STATES[column];
    // The table must stay exhaustive when states or actions are added.
    for state in IssueState::ALL {
        assert!(COLUMN_STATES.contains(&state), "the table has no column for {state:?}: extend it");
    }
    // 就地解决 and 补充反映 are made from the report form (their own tests), 超期预警 by the server's sweep.
    let commands: Vec<A> = A::ON_EXISTING.into_iter().filter(|a| !matches!(a, A::ResolveOnSpot | A::MarkOverdue | A::Join)).collect();
    for action in commands.iter().copied() {
        for user in ["cs", "ts", "gw", "lh"] {
            assert!(table.iter().any(|(w, a, _)| *w == user && *a == action), "the table has no row for {user} {action:?}: extend it");
        }
    }

    let p = phone();
    let app = &p.app;
    // An open issue to merge into, visible to every in-scope user.
    app.sign_in("lh".into()).unwrap();
    let target = app.report_issue(draft("合并目标")).unwrap().id;
    let build = |column: usize| -> String {
        let step = |user: &str, id: &str, c: IssueCommand| {
            app.sign_in(user.into()).unwrap();
            app.perform_issue_action(id.into(), c).unwrap();
        };
        app.sign_in("lh".into()).unwrap();
        let id = app.report_issue(IssueDraft { household_id: Some("h1".into()), ..draft(STATES[column]) }).unwrap().id;
        let path: &[(&str, A)] = match STATES[column] {
            "reported" => &[],
            "accepted" => &[("ts", A::Accept)],
            "assigned" => &[("ts", A::Accept), ("ts", A::Assign)],
            "in_progress" => &[("ts", A::Accept), ("ts", A::Assign), ("gw", A::Start)],
            "resolved" => &[("ts", A::Accept), ("ts", A::Assign), ("gw", A::Start), ("gw", A::Resolve)],
            "closed" => &[("ts", A::Accept), ("ts", A::Assign), ("gw", A::Start), ("gw", A::Resolve), ("ts", A::Verify)],
            "rejected" => &[("ts", A::Reject)],
            "merged" => &[("ts", A::Merge)],
            "escalated" => &[("ts", A::Accept), ("ts", A::Escalate)],
            _ => unreachable!(),
        };
        for (user, a) in path {
            step(user, &id, command(*a, &target));
        }
        let summary = app.issue(id.clone()).unwrap().summary;
        assert_eq!(summary.state, state_of(column), "built {}", STATES[column]);
        assert_eq!(summary.assignee_id.is_some(), (2..=5).contains(&column), "assignee in {}", STATES[column]);
        id
    };

    let mut checked = 0;
    for column in 0..STATES.len() {
        let id = build(column);
        let state = state_of(column);
        for user in ["cs", "ts", "gw", "lh"] {
            app.sign_in(user.into()).unwrap();
            let before = db_rows(&p);
            let mut expected_allowed = Vec::new();
            for (who, action, row) in table.iter().filter(|(who, _, _)| *who == user) {
                let expected = row[column];
                let cell = format!("{who} {action:?} on {}", STATES[column]);
                if expected == "ok" {
                    expected_allowed.push(*action);
                    continue;
                }
                let got = app.perform_issue_action(id.clone(), command(*action, &target));
                let ok = match (&got, expected) {
                    (Err(ApiError::IllegalTransition { from, action: a }), "IT") => *from == state && a == action,
                    (Err(ApiError::NotPermitted { reason: r, .. }), "OW") => *r == Denial::NotOwnerStaff.to_string(),
                    (Err(ApiError::NotPermitted { reason: r, .. }), "AS") => *r == Denial::NotAssignee.to_string(),
                    (Err(ApiError::NotPermitted { reason: r, .. }), "NH") => *r == RuleError::NoHigherLevel.to_string(),
                    (Err(ApiError::NotPermitted { reason: r, .. }), "AB") => *r == Denial::NotAboveOwner.to_string(),
                    _ => false,
                };
                assert!(ok, "{cell}: expected {expected}, got {got:?}");
                assert_eq!(db_rows(&p), before, "{cell} changed the database");
                checked += 1;
            }
            assert_eq!(app.issue(id.clone()).unwrap().allowed_actions, expected_allowed, "{user}'s buttons on {}", STATES[column]);
        }
        for user in outsiders {
            app.sign_in(user.into()).unwrap();
            let before = db_rows(&p);
            for action in commands.iter().copied() {
                let got = app.perform_issue_action(id.clone(), command(action, &target));
                assert!(
                    matches!(&got, Err(ApiError::NotFound { entity, id: i }) if entity == "issue" && *i == id),
                    "{user} {action:?} on {}: {got:?}",
                    STATES[column]
                );
                checked += 1;
            }
            assert!(matches!(app.issue(id.clone()), Err(ApiError::NotFound { .. })));
            assert_eq!(db_rows(&p), before, "{user} changed the database");
        }
    }

    // Every allowed cell, each on a fresh issue in that state: it succeeds and lands in the right state.
    for (who, action, row) in table {
        for column in (0..STATES.len()).filter(|c| row[*c] == "ok") {
            let id = build(column);
            app.sign_in((*who).into()).unwrap();
            let after = app
                .perform_issue_action(id.clone(), command(*action, &target))
                .unwrap_or_else(|e| panic!("{who} {action:?} on {}: {e:?}", STATES[column]));
            let to = match action {
                A::Accept => IssueState::Accepted,
                A::Reject => IssueState::Rejected,
                A::Merge => IssueState::Merged,
                A::Assign => IssueState::Assigned,
                A::Start => IssueState::InProgress,
                A::Resolve => IssueState::Resolved,
                A::Escalate => IssueState::Accepted,
                A::Verify => IssueState::Closed,
                // The clock, extension and supervision actions leave the state as it is.
                A::Suspend | A::RequestExtension | A::Supervise => state_of(column),
                other => panic!("no target state for {other:?}"),
            };
            assert_eq!(after.state, to, "{who} {action:?} on {}", STATES[column]);
            checked += 1;
        }
    }
    assert_eq!(table.len(), 4 * commands.len());
    assert_eq!(checked, STATES.len() * commands.len() * 7);
}
