//! The fire-prevention alert cascade (护林防火) through the public API.

use linkage_core::api::*;

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
        })
        .unwrap();
    for (user, relay) in [("ts", true), ("gw", true), ("lh", false)] {
        app.sign_in(user.into()).unwrap();
        let inbox = app.directive_inbox(0, 10).unwrap();
        assert_eq!(inbox[0].id, d.id, "{user} sees the alert");
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
    let silent: Vec<_> = cov.silent_nodes.iter().map(|n| n.node_id.as_str()).collect();
    assert_eq!(silent, ["t2", "b2", "g2", "g3"]);

    // Past the window, an unacknowledged node sees the alert as overdue.
    p.clock.advance_ms(7 * 3_600_000);
    app.sign_in("lh2".into()).unwrap();
    assert!(app.directive_inbox(0, 10).unwrap()[0].overdue);
}
