//! The field workflows across devices through the real server: a forest-fire alert (护林防火预警) cascading to
//! the last household with silent nodes flagged to their parents, and an overdue issue flagged by the server's
//! sweep with no phone online, supervised by the county (红牌), extended, suspended, escalated to the county and
//! closed; an on-the-spot resolution (就地解决) still verified; deadlines right on a phone whose clock is wrong.

use linkage_core::api::*;
use linkage_core::ApiError;
use linkage_protocol::rules::sla::SlaRules;

use crate::server::*;
use crate::sync_story::{heating_issue, photo};

const HOUR: i64 = 3_600_000;



fn level(c: &DirectiveCoverage, l: OrgLevel) -> (u32, u32) {
    c.levels.iter().find(|x| x.level == l).map(|x| (x.acknowledged, x.total)).unwrap_or((0, 0))
}

#[test]
fn fire_alert_cascades_to_every_household_and_silent_nodes_are_flagged() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let cs = connected_phone_at(&url, "cs", now_ms()).await;
        let ts = connected_phone(&url, "ts").await;
        let gw = connected_phone_at(&url, "gw", now_ms()).await;
        let lh = connected_phone(&url, "lh").await;
        let _silent = [connected_phone(&url, "ts2").await, connected_phone(&url, "lh2").await];

        let alert = cs
            .phone
            .app
            .issue_directive(DirectiveDraft {
                target_node_id: "c".into(),
                kind: DirectiveKind::Alert,
                title: "森林火险橙色预警".into(),
                body: "严禁野外用火，联户长逐户告知".into(),
                due_at_ms: None,
                evidence: vec![],
            })
            .unwrap();
        cs.phone.app.sync(None).await.unwrap();

        // Down the chain: township, branch, group each sign for it and relay; the liaison head tells households.
        for p in [&ts, &gw.phone, &lh] {
            p.app.sync(None).await.unwrap();
            let inbox = p.app.directive_inbox(0, 10).unwrap();
            assert_eq!(inbox.items.iter().map(|d| d.id.clone()).collect::<Vec<_>>(), vec![alert.id.clone()]);
            assert_eq!(inbox.items[0].kind_label, "预警");
            p.app.acknowledge_directive(alert.id.clone()).unwrap();
            p.app.relay_directive(alert.id.clone()).unwrap();
        }
        lh.app.record_household_ack(alert.id.clone(), "h1".into(), AckMeans::Visit).unwrap();
        let mine = lh.app.record_household_ack(alert.id.clone(), "h2".into(), AckMeans::Phone).unwrap();
        assert_eq!((mine.households_acknowledged, mine.households_total), (2, 2), "every household of 一组");
        for p in [&ts, &gw.phone, &lh] {
            p.app.sync(None).await.unwrap();
        }

        // The issuer sees coverage per level and the silent nodes.
        cs.phone.app.sync(None).await.unwrap();
        gw.phone.app.sync(None).await.unwrap(); // the branch learns of 一组's acknowledgement
        let c = cs.phone.app.directive_coverage(alert.id.clone()).unwrap();
        assert_eq!(level(&c, OrgLevel::Township), (1, 2));
        assert_eq!(level(&c, OrgLevel::Branch), (1, 2));
        assert_eq!(level(&c, OrgLevel::Group), (1, 3));
        assert_eq!(level(&c, OrgLevel::Household), (2, 5));
        assert_eq!(c.silent_total, 4);
        let page = cs.phone.app.directive_silent_nodes(alert.id.clone(), 0, 10).unwrap();
        let mut silent: Vec<String> = page.items.iter().map(|n| n.node_id.clone()).collect();
        silent.sort();
        assert_eq!(silent, ["b2", "g2", "g3", "t2"]);

        // Within the 2-hour window nobody is flagged yet; past it, each parent sees its silent children.
        assert_eq!(cs.phone.app.silent_nodes_for_me(0, 10).unwrap().total, 0);
        cs.clock.advance_ms(2 * HOUR + 60_000);
        gw.clock.advance_ms(2 * HOUR + 60_000);
        let flagged: Vec<String> = cs.phone.app.silent_nodes_for_me(0, 10).unwrap().items.into_iter().map(|s| s.node_id).collect();
        assert_eq!(flagged, ["t2"], "the county sees its silent township");
        let flagged = gw.phone.app.silent_nodes_for_me(0, 10).unwrap().items;
        assert_eq!(flagged.iter().map(|s| s.node_id.as_str()).collect::<Vec<_>>(), ["g2"], "the branch sees its silent group");
        assert!(flagged[0].overdue_ms >= 60_000);
    });
}

#[test]
fn a_task_takes_a_completion_report_with_photos() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let ts = connected_phone(&url, "ts").await;
        let gw = connected_phone(&url, "gw").await;
        let task = ts
            .app
            .issue_directive(DirectiveDraft {
                target_node_id: "b1".into(),
                kind: DirectiveKind::Task,
                title: "清理林区可燃物".into(),
                body: "本周内清理村后林区可燃物并拍照上报".into(),
                due_at_ms: Some(now_ms() + 72 * HOUR),
                evidence: vec![],
            })
            .unwrap();
        ts.app.sync(None).await.unwrap();
        gw.app.sync(None).await.unwrap();
        let shot = gw.app.add_evidence(photo(gw.dir.path(), "cleared.png"), None, None).unwrap();
        assert!(matches!(
            gw.app.report_task_completion(task.id.clone(), "已清理".into(), vec![shot.hash.clone()]),
            Err(ApiError::OutOfOrder { .. })
        ), "sign for it first");
        // The home list of things to sign for, and the directive read on its own, as the shells show them.
        let pending: Vec<_> = gw.app.directives_to_acknowledge(0, 10).unwrap().items.into_iter().map(|d| d.id).collect();
        assert_eq!(pending, vec![task.id.clone()]);
        let read = gw.app.directive(task.id.clone()).unwrap();
        assert!(read.can_acknowledge && !read.can_report_completion);
        let acked = gw.app.acknowledge_directive(task.id.clone()).unwrap();
        assert!(acked.can_report_completion && !acked.can_acknowledge);
        assert!(gw.app.directives_to_acknowledge(0, 10).unwrap().items.is_empty());
        let done = gw.app.report_task_completion(task.id.clone(), "已清理可燃物3处".into(), vec![shot.hash.clone()]).unwrap();
        assert!(done.completed_at_ms.is_some() && !done.can_report_completion);
        assert_eq!(gw.app.sync(None).await.unwrap().uploaded, 1);
        ts.app.sync(None).await.unwrap();
        assert_eq!(ts.app.directive_coverage(task.id.clone()).unwrap().tasks_completed, 1);
    });
}

#[test]
fn overdue_issue_is_swept_supervised_extended_and_escalated_to_the_county() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let lh = connected_phone(&url, "lh").await;
        let ts = connected_phone(&url, "ts").await;
        // The county cadre's phone clock is 5 hours slow: after syncing, its deadlines are still right.
        let cs = connected_phone_at(&url, "cs", now_ms() - 5 * HOUR).await;

        let hazard = IssueDraft {
            category: IssueCategory::SafetyHazard,
            urgency: Urgency::Critical,
            title: "山林边堆放秸秆".into(),
            description: "紧邻林区，火险隐患".into(),
            ..heating_issue()
        };
        let id = lh.app.report_issue(hazard).unwrap().id;
        lh.app.sync(None).await.unwrap();

        // No phone online: three hours later the server's sweep finds the 2-hour accept limit blown.
        let rules = SlaRules::china_default();
        assert_eq!(server.storage().sweep_overdue(now_ms(), &rules).unwrap(), 0, "not overdue yet");
        assert_eq!(server.storage().sweep_overdue(now_ms() + 3 * HOUR, &rules).unwrap(), 1);
        assert_eq!(server.storage().sweep_overdue(now_ms() + 4 * HOUR, &rules).unwrap(), 0, "marked once per step");

        ts.app.sync(None).await.unwrap();
        cs.phone.app.sync(None).await.unwrap();
        for app in [&ts.app, &cs.phone.app] {
            let i = app.issue(id.clone()).unwrap();
            assert!(i.summary.overdue, "flagged at its level and above");
            let last = app.issue_timeline(id.clone()).unwrap().pop().unwrap();
            assert_eq!((last.action, last.action_label.as_str()), (IssueActionKind::MarkOverdue, "超期预警"));
        }
        // The deadline agrees on the phone with the wrong clock.
        assert_eq!(cs.phone.app.issue(id.clone()).unwrap().summary.due_at_ms, ts.app.issue(id.clone()).unwrap().summary.due_at_ms);

        // The county supervises it with a red card; the township sees it.
        cs.phone.app.perform_issue_action(id.clone(), IssueCommand::Supervise { level: SupervisionLevel::Red, note: "限今日受理".into() }).unwrap();
        assert!(matches!(
            ts.app.perform_issue_action(id.clone(), IssueCommand::Supervise { level: SupervisionLevel::Normal, note: String::new() }),
            Err(ApiError::NotPermitted { .. })
        ), "only the level above supervises");
        cs.phone.app.sync(None).await.unwrap();
        ts.app.sync(None).await.unwrap();
        let seen = ts.app.issue(id.clone()).unwrap().summary;
        assert_eq!((seen.supervision, seen.supervision_label.as_str()), (Some(SupervisionLevel::Red), "红牌督办"));

        // The township accepts (clearing the accept-step mark), asks for 3 more working days; the county approves.
        ts.app.perform_issue_action(id.clone(), IssueCommand::Accept).unwrap();
        let before = ts.app.issue(id.clone()).unwrap().summary;
        assert!(!before.overdue);
        ts.app
            .perform_issue_action(id.clone(), IssueCommand::RequestExtension { working_days: 3, reason: "需协调林业站".into() })
            .unwrap();
        ts.app.sync(None).await.unwrap();
        cs.phone.app.sync(None).await.unwrap();
        assert_eq!(cs.phone.app.issue(id.clone()).unwrap().summary.pending_extension_days, Some(3));
        assert!(cs.phone.app.issue(id.clone()).unwrap().allowed_actions.contains(&IssueActionKind::DecideExtension));
        cs.phone.app.perform_issue_action(id.clone(), IssueCommand::DecideExtension { approved: true, note: "同意".into() }).unwrap();
        cs.phone.app.sync(None).await.unwrap();
        ts.app.sync(None).await.unwrap();
        let extended = ts.app.issue(id.clone()).unwrap().summary;
        assert_eq!(extended.pending_extension_days, None);
        assert!(extended.due_at_ms.unwrap() >= before.due_at_ms.unwrap() + 3 * 24 * HOUR - 24 * HOUR, "moved by 3 working days");

        // Suspended while waiting on the forestry station: the clock stops; then resumed.
        let paused = ts.app.perform_issue_action(id.clone(), IssueCommand::Suspend { reason: "等待林业站现场勘察".into() }).unwrap();
        assert!(paused.suspended);
        assert!(matches!(
            ts.app.perform_issue_action(id.clone(), IssueCommand::Suspend { reason: "again".into() }),
            Err(ApiError::IllegalTransition { .. })
        ));
        assert!(!ts.app.perform_issue_action(id.clone(), IssueCommand::Resume).unwrap().suspended);

        // Beyond the township's means: escalated to the county, which owns it, resolves and verifies it.
        ts.app.perform_issue_action(id.clone(), IssueCommand::Escalate { reason: "需县林业局统一清运".into() }).unwrap();
        ts.app.sync(None).await.unwrap();
        cs.phone.app.sync(None).await.unwrap();
        let county_queue = cs.phone.app.triage_queue(vec![IssueState::Accepted], 0, 10).unwrap();
        assert_eq!(county_queue.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(), vec![id.clone()]);
        cs.phone.app.perform_issue_action(id.clone(), IssueCommand::Resolve { note: "县林业局已清运".into(), evidence: vec![] }).unwrap();
        cs.phone.app
            .perform_issue_action(id.clone(), IssueCommand::Verify { satisfaction: Satisfaction::Satisfied, note: String::new() })
            .unwrap();
        cs.phone.app.sync(None).await.unwrap();
        assert_eq!(cs.phone.app.outbox_status().unwrap().quarantined, 0, "the server accepted every step");
        lh.app.sync(None).await.unwrap();
        let closed = lh.app.list_issues(IssueListKind::ReportedByMe, vec![], 0, 5).unwrap().items.remove(0);
        assert_eq!((closed.state, closed.escalation_count, closed.supervision), (IssueState::Closed, 1, Some(SupervisionLevel::Red)));
    });
}

#[test]
fn on_the_spot_resolution_still_goes_to_verification() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let gw = connected_phone(&url, "gw").await;
        let ts = connected_phone(&url, "ts").await;
        let draft = IssueDraft {
            category: IssueCategory::Sanitation,
            urgency: Urgency::Normal,
            title: "村道垃圾堆积".into(),
            description: "已当场组织清理".into(),
            ..heating_issue()
        };
        assert!(matches!(
            gw.app.report_resolved_on_spot(draft.clone(), "当场清理".into()),
            Err(ApiError::InvalidInput { field, .. }) if field == "evidence"
        ), "a photo is required");
        let shot = gw.app.add_evidence(photo(gw.dir.path(), "clean.png"), None, None).unwrap();
        let issue = gw.app.report_resolved_on_spot(IssueDraft { evidence: vec![shot.hash], ..draft }, "当场清理".into()).unwrap();
        assert_eq!((issue.state, issue.resolved_on_spot), (IssueState::Resolved, true));
        let r = gw.app.sync(None).await.unwrap();
        assert_eq!((r.pushed, r.rejected), (2, 0));
        ts.app.sync(None).await.unwrap();
        let detail = ts.app.issue(issue.id.clone()).unwrap();
        assert_eq!(detail.summary.state, IssueState::Resolved);
        assert_eq!(detail.allowed_actions, vec![IssueActionKind::Verify], "the township verifies by return visit");
        let closed = ts
            .app
            .perform_issue_action(issue.id, IssueCommand::Verify { satisfaction: Satisfaction::BasicallySatisfied, note: "回访".into() })
            .unwrap();
        assert_eq!(closed.state, IssueState::Closed);
    });
}
