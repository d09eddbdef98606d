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
    assert_eq!((told.means_label.as_str(), told.recorded_by_name.as_deref()), ("入户", Some("联户长")));

    // Past the window, an unacknowledged node sees the alert as overdue.
    p.clock.advance_ms(7 * 3_600_000);
    app.sign_in("lh2".into()).unwrap();
    assert!(app.directive_inbox(0, 10).unwrap().items[0].overdue);
}
