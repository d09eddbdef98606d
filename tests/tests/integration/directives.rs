//! The fire-prevention alert cascade (护林防火) through the public API.

use linkage_core::api::*;
use linkage_core::ApiError;

use crate::common::*;

#[test]
fn county_alert_reaches_households_and_coverage_shows_the_silent() {
    let p = phone();
    let app = &p.app;
    app.sign_in("cs".into()).unwrap();
    let d = app
        .issue_directive(DirectiveDraft {
            target_node_id: "c".into(),
            kind: DirectiveKind::Alert,
            title: "森林火险红色预警".into(),
            body: "即日起全县禁止一切野外用火".into(),
            due_at_ms: Some(NOW + 6 * 3_600_000),
            evidence: vec![],
        })
        .unwrap();
    // The issuing county is not asked to sign for its own alert, though its node is the target.
    assert!(!d.can_acknowledge);
    let to_sign = app.directives_to_acknowledge(0, 10).unwrap();
    assert_eq!((to_sign.items.len(), to_sign.total, to_sign.next_offset), (0, 0, None));
    assert!(matches!(app.acknowledge_directive(d.id.clone()), Err(ApiError::NotPermitted { .. })));
    for (user, relay) in [("ts", true), ("gw", true), ("lh", false)] {
        app.sign_in(user.into()).unwrap();
        let to_sign = app.directives_to_acknowledge(0, 10).unwrap();
        assert_eq!((to_sign.total, to_sign.items[0].can_acknowledge), (1, true), "{user} is asked to sign");
        let inbox = app.directive_inbox(0, 10).unwrap();
        assert_eq!((inbox.items[0].id.as_str(), inbox.total), (d.id.as_str(), 1), "{user} sees the alert");
        app.acknowledge_directive(d.id.clone()).unwrap();
        if relay {
            assert!(app.relay_directive(d.id.clone()).unwrap().relayed_at_ms.is_some());
        }
    }
    app.record_household_ack(d.id.clone(), "h1".into(), AckMeans::Visit).unwrap();
    let row = app.record_household_ack(d.id.clone(), "h2".into(), AckMeans::Phone).unwrap();
    assert_eq!((row.households_acknowledged, row.households_total), (2, 2));

    app.sign_in("cs".into()).unwrap();
    let cov = app.directive_coverage(d.id.clone()).unwrap();
    let levels: Vec<_> = cov.levels.iter().map(|l| (l.level, l.acknowledged, l.total)).collect();
    assert_eq!(
        levels,
        [
            // The issuing county node does not sign for its own directive: not counted.
            (OrgLevel::Township, 1, 2),
            (OrgLevel::Branch, 1, 2),
            (OrgLevel::Group, 1, 3),
            (OrgLevel::Household, 2, 5)
        ]
    );
    // The percent is the core's, shown as is by both shells.
    let shown: Vec<_> = cov.levels.iter().map(|l| (l.percent.map(|p| p.round() as u32), l.percent_text.as_str())).collect();
    assert_eq!(shown, [(Some(50), "50%"), (Some(50), "50%"), (Some(33), "33.3%"), (Some(40), "40%")]);
    assert_eq!(cov.silent_total, 4);
    let page = app.directive_silent_nodes(d.id.clone(), 0, 3).unwrap();
    let silent: Vec<_> = page.items.iter().map(|n| n.node_id.as_str()).collect();
    assert_eq!((silent, page.total, page.next_offset), (vec!["t2", "b2", "g2"], 4, Some(3)));
    assert_eq!(page.items[0].level_label, "乡镇");
    let rest = app.directive_silent_nodes(d.id.clone(), 3, 3).unwrap();
    assert_eq!((rest.items[0].node_id.as_str(), rest.next_offset), ("g3", None));
    // Every household of the county with its acknowledgement: the untold first.
    let households = app.directive_households(d.id.clone(), 0, 10).unwrap();
    assert_eq!((households.total, households.acknowledged, households.next_offset), (5, 2, None));
    assert!(households.items[..3].iter().all(|h| h.acknowledgement.is_none()));
    let told = households.items[3].acknowledgement.as_ref().unwrap();
    assert_eq!((told.means_label.as_str(), told.recorded_by_name.as_str()), ("入户", "联户长"));

    // Past the window, an unacknowledged node sees the alert as overdue.
    p.clock.advance_ms(7 * 3_600_000);
    app.sign_in("lh2".into()).unwrap();
    assert!(app.directive_inbox(0, 10).unwrap().items[0].overdue);
}

// ---- The fire-alert day (护林防火), phones through a real server on loopback -------------------------------

const HOUR: i64 = 3_600_000;

fn level(c: &DirectiveCoverage, l: OrgLevel) -> (u32, u32) {
    c.levels.iter().find(|x| x.level == l).map(|x| (x.acknowledged, x.total)).unwrap_or((0, 0))
}

/// The county issues a 护林防火 预警 to 石堡镇 with a photo; the township signs for it and relays it; the branch and
/// both groups follow; the liaison heads (and the grid worker) record every household; the county sees every level
/// at 100 % and no silent node. A second alert the same afternoon comes from the county office through
/// `linkage-server directive issue` (no phone): group 二组 stays silent, is flagged to its branch after the 2-hour
/// window (the phones' clocks are moved, no sleeping), the branch sends a reminder (催办) that reaches 二组's phone
/// with its next sync, and once 二组 signs it is no longer flagged. A task the township sets is reported done with a
/// photo, sent back (退回) with a reason, reported again and accepted.
#[test]
fn fire_alert_day() {
    use crate::server::*;
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let start = now_ms();
        let cs = connected_phone_at(&url, "cs", start).await;
        let ts = connected_phone_at(&url, "ts", start).await;
        let gw = connected_phone_at(&url, "gw", start).await;
        let lh = connected_phone_at(&url, "lh", start).await;
        let lh2 = connected_phone_at(&url, "lh2", start).await;
        let everyone = [&cs, &ts, &gw, &lh, &lh2];
        let sync_all = || async {
            for p in everyone {
                p.phone.app.sync(None).await.unwrap();
            }
        };

        // 08:00 The county issues the alert with a photo of the fire-risk map.
        let map = crate::sync_story::photo(cs.phone.dir.path(), "fire-risk-map.png");
        let shot = cs.phone.app.add_evidence(map, None, None).unwrap();
        let alert = cs
            .phone
            .app
            .issue_directive(DirectiveDraft {
                target_node_id: "t1".into(),
                kind: DirectiveKind::Alert,
                title: "森林火险橙色预警".into(),
                body: "未来三天森林火险等级高，严禁一切野外用火；联户长逐户告知，网格员巡查坟地林边。".into(),
                due_at_ms: Some(start + 24 * HOUR),
                evidence: vec![shot.hash.clone()],
            })
            .unwrap();
        assert_eq!(cs.phone.app.sync(None).await.unwrap().uploaded, 1, "the photo goes up with the directive");

        // The township signs for it and relays it; the branch and both groups follow.
        for p in [&ts, &gw, &lh, &lh2] {
            p.phone.app.sync(None).await.unwrap();
            let to_sign = p.phone.app.directives_to_acknowledge(0, 10).unwrap();
            assert_eq!(to_sign.items.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), [alert.id.as_str()]);
            let d = &to_sign.items[0];
            assert_eq!((d.kind_label.as_str(), d.evidence.as_slice()), ("预警", std::slice::from_ref(&shot.hash)));
            assert!(d.body.contains("逐户告知"), "the full text reaches every phone");
            p.phone.app.acknowledge_directive(alert.id.clone()).unwrap();
            if p.phone.app.directive(alert.id.clone()).unwrap().can_relay {
                p.phone.app.relay_directive(alert.id.clone()).unwrap();
            }
            p.phone.app.sync(None).await.unwrap();
        }
        // The liaison heads see who is still untold, and record every household; the photo opens on their phones.
        assert!(std::path::Path::new(&lh.phone.app.evidence_thumbnail(shot.hash.clone()).await.unwrap()).exists());
        let elsewhere = connected_phone(&url, "ts2").await;
        assert!(elsewhere.app.evidence_thumbnail(shot.hash.clone()).await.is_err(), "not outside the target");
        for (p, means) in [(&lh, AckMeans::Visit), (&lh2, AckMeans::Phone)] {
            let untold = p.phone.app.directive_households(alert.id.clone(), 0, 10).unwrap();
            assert_eq!(untold.acknowledged, 0);
            for h in untold.items {
                p.phone.app.record_household_ack(alert.id.clone(), h.household.id, means).unwrap();
            }
            let after = p.phone.app.directive_households(alert.id.clone(), 0, 10).unwrap();
            assert_eq!(after.acknowledged, after.total, "nobody untold in the group");
            p.phone.app.sync(None).await.unwrap();
        }
        cs.phone.app.sync(None).await.unwrap();
        let c = cs.phone.app.directive_coverage(alert.id.clone()).unwrap();
        for l in [OrgLevel::Township, OrgLevel::Branch, OrgLevel::Group, OrgLevel::Household] {
            let (a, t) = level(&c, l);
            assert!(t > 0 && a == t, "{l:?}: {a}/{t} — every level at 100 %");
        }
        assert_eq!(level(&c, OrgLevel::Household), (4, 4));
        assert_eq!(c.silent_total, 0, "no silent node");
        assert_eq!(cs.phone.app.directive_silent_nodes(alert.id.clone(), 0, 10).unwrap().total, 0);
        assert_eq!(cs.phone.app.remind_silent_nodes(alert.id.clone()).unwrap(), 0, "nobody to remind");

        // 14:00 A second alert from the county office, issued on the server (no phone).
        let req = linkage_server::directive_cli::IssueRequest {
            as_user: "cs".into(),
            target: "t1".into(),
            kind: "预警".into(),
            title: "大风天气防火提醒".into(),
            body: "今晚起大风，严禁焚烧秸秆".into(),
            due: None,
        };
        let second = linkage_server::directive_cli::issue(server.storage(), &req, now_ms()).unwrap().id;
        sync_all().await;
        for p in [&ts, &gw, &lh] {
            let d = p.phone.app.directive(second.clone()).unwrap();
            assert_eq!((d.issuer_node_id.as_str(), d.kind_label.as_str(), d.can_acknowledge), ("c", "预警", true), "like a phone-issued one");
            p.phone.app.acknowledge_directive(second.clone()).unwrap();
            if p.phone.app.directive(second.clone()).unwrap().can_relay {
                p.phone.app.relay_directive(second.clone()).unwrap();
            }
            p.phone.app.sync(None).await.unwrap();
        }
        // 二组 (lh2) stays silent. Within the window nobody is flagged; 2 hours on, its branch sees it.
        sync_all().await;
        assert_eq!(gw.phone.app.silent_nodes_for_me(0, 10).unwrap().total, 0);
        for p in everyone {
            p.clock.advance_ms(2 * HOUR + 60_000);
        }
        let flagged = gw.phone.app.silent_nodes_for_me(0, 10).unwrap().items;
        assert_eq!(flagged.iter().map(|s| (s.node_id.as_str(), s.directive_id.as_str())).collect::<Vec<_>>(), [("g2", second.as_str())]);
        assert!(ts.phone.app.silent_nodes_for_me(0, 10).unwrap().items.is_empty(), "the township's child (the branch) signed");
        let cov = cs.phone.app.directive_coverage(second.clone()).unwrap();
        assert_eq!((cov.silent_total, level(&cov, OrgLevel::Group)), (1, (1, 2)));
        // The phones sync (their clocks are re-based on the server's, which did not move), then the branch
        // reminds 二组; the reminder reaches 二组's phone with its next sync.
        for p in [&cs, &ts, &gw, &lh] {
            p.phone.app.sync(None).await.unwrap();
        }
        gw.phone.app.remind_node(second.clone(), "g2".into()).unwrap();
        assert!(gw.phone.app.remind_node(second.clone(), "t1".into()).is_err(), "not the level above");
        gw.phone.app.sync(None).await.unwrap();
        assert_eq!(lh2.phone.app.directive(second.clone()).unwrap().reminded_at_ms, None, "not before its sync");
        lh2.phone.app.sync(None).await.unwrap();
        let reminded = lh2.phone.app.directive(second.clone()).unwrap();
        assert!(reminded.reminded_at_ms.is_some() && reminded.can_acknowledge);
        cs.phone.app.sync(None).await.unwrap();
        let silent = cs.phone.app.directive_silent_nodes(second.clone(), 0, 10).unwrap();
        assert_eq!((silent.items[0].node_id.as_str(), silent.items[0].reminded_at_ms.is_some()), ("g2", true), "the county sees it was chased");
        lh2.phone.app.acknowledge_directive(second.clone()).unwrap();
        lh2.phone.app.sync(None).await.unwrap();
        gw.phone.app.sync(None).await.unwrap();
        assert_eq!(gw.phone.app.silent_nodes_for_me(0, 10).unwrap().total, 0, "signed late: no longer flagged");

        // A task from the township: the branch reports it with a photo, is sent back, reports again, accepted.
        let task = ts
            .phone
            .app
            .issue_directive(DirectiveDraft {
                target_node_id: "b1".into(),
                kind: DirectiveKind::Task,
                title: "清理林区可燃物".into(),
                body: "三日内清理村后林区可燃物，拍照上报".into(),
                due_at_ms: Some(now_ms() + 72 * HOUR),
                evidence: vec![],
            })
            .unwrap();
        ts.phone.app.sync(None).await.unwrap();
        gw.phone.app.sync(None).await.unwrap();
        gw.phone.app.acknowledge_directive(task.id.clone()).unwrap();
        let before = crate::sync_story::photo(gw.phone.dir.path(), "before.png");
        let proof = gw.phone.app.add_evidence(before, None, None).unwrap();
        gw.phone.app.report_task_completion(task.id.clone(), "已清理一处".into(), vec![proof.hash.clone()]).unwrap();
        gw.phone.app.sync(None).await.unwrap();
        ts.phone.app.sync(None).await.unwrap();
        let reports = ts.phone.app.directive_task_reports(task.id.clone(), 0, 10).unwrap();
        assert_eq!((reports.total, reports.items[0].status_label.as_str(), reports.items[0].can_review), (1, "待审核", true));
        assert_eq!(reports.items[0].evidence, vec![proof.hash.clone()]);
        assert_eq!(ts.phone.app.directive(task.id.clone()).unwrap().reports_waiting, 1);
        ts.clock.advance_ms(60_000);
        assert!(matches!(
            ts.phone.app.review_task_report(task.id.clone(), "b1".into(), false, " ".into()),
            Err(ApiError::InvalidInput { .. })
        ));
        ts.phone.app.review_task_report(task.id.clone(), "b1".into(), false, "只清理了一处，请全部清理后再报".into()).unwrap();
        ts.phone.app.sync(None).await.unwrap();
        gw.phone.app.sync(None).await.unwrap();
        let back = gw.phone.app.directive(task.id.clone()).unwrap();
        assert_eq!(back.report_return_reason.as_deref(), Some("只清理了一处，请全部清理后再报"));
        assert!(back.can_report_completion, "report again");
        gw.clock.advance_ms(120_000);
        gw.phone.app.report_task_completion(task.id.clone(), "三处全部清理完毕".into(), vec![proof.hash.clone()]).unwrap();
        gw.phone.app.sync(None).await.unwrap();
        ts.phone.app.sync(None).await.unwrap();
        let again = ts.phone.app.directive_task_reports(task.id.clone(), 0, 10).unwrap();
        assert_eq!((again.items[0].note.as_str(), again.items[0].can_review), ("三处全部清理完毕", true));
        ts.clock.advance_ms(120_000);
        let ok = ts.phone.app.review_task_report(task.id.clone(), "b1".into(), true, String::new()).unwrap();
        assert_eq!(ok.status_label, "已通过");
        ts.phone.app.sync(None).await.unwrap();
        gw.phone.app.sync(None).await.unwrap();
        assert_eq!(gw.phone.app.directive(task.id.clone()).unwrap().report_status_label.as_deref(), Some("已通过"));
        // Nothing quarantined anywhere: the server accepted every step as the phones made it.
        for p in everyone {
            assert_eq!(p.phone.app.outbox_status().unwrap().quarantined, 0);
        }
    });
}
