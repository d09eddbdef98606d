//! Household lists, visits and the overdue list through the public API.

use linkage_core::api::*;

use crate::common::*;

const DAY: i64 = 86_400_000;

#[test]
fn visit_cadence_moves_households_off_and_back_onto_the_overdue_list() {
    let p = phone();
    let app = &p.app;
    app.sign_in("gw".into()).unwrap();
    let here = MapPoint { lat: 35.5801, lon: 109.2601 };
    let before = app.overdue_households(Some(here), 0, 10).unwrap();
    assert_eq!(before.items[0].household.id, "h1", "nearest first");
    assert_eq!(before.total, 4);

    let v = app
        .record_visit(VisitDraft {
            household_id: "h1".into(),
            kind: VisitKind::Routine,
            started_at_ms: NOW - 900_000,
            ended_at_ms: NOW - 300_000,
            fix: Some(GpsFix { lat: 35.5801, lon: 109.2601, accuracy_m: 6.0, fix_time_ms: NOW - 360_000, mocked: false }),
            notes: "家中安好".into(),
            evidence: vec![],
            issue_id: None,
        })
        .unwrap();
    assert_eq!(v.verdict, OnSiteVerdict::OnSite);
    let after = app.overdue_households(Some(here), 0, 10).unwrap();
    assert_eq!(after.total, 3);
    assert!(after.items.iter().all(|o| o.household.id != "h1"));

    p.clock.advance_ms(61 * DAY);
    let later = app.overdue_households(Some(here), 0, 10).unwrap();
    let h1 = later.items.iter().find(|o| o.household.id == "h1").expect("overdue again after 60 days");
    assert_eq!(h1.days_overdue, Some(1));

    // The township level keeps its own, longer clock: a branch visit does not count for it.
    app.sign_in("ts".into()).unwrap();
    assert_eq!(app.overdue_households(None, 0, 10).unwrap().total, 4);
}

#[test]
fn mocked_location_is_recorded_not_counted() {
    let p = phone();
    let app = &p.app;
    app.sign_in("gw".into()).unwrap();
    let v = app
        .record_visit(VisitDraft {
            household_id: "h2".into(),
            kind: VisitKind::Routine,
            started_at_ms: NOW - 1_000,
            ended_at_ms: NOW,
            fix: Some(GpsFix { lat: 35.581, lon: 109.262, accuracy_m: 3.0, fix_time_ms: NOW, mocked: true }),
            notes: String::new(),
            evidence: vec![],
            issue_id: None,
        })
        .unwrap();
    assert_eq!((v.verdict, v.verdict_label.as_str()), (OnSiteVerdict::Mocked, "疑似虚拟定位"));
    assert!(app.overdue_households(None, 0, 10).unwrap().items.iter().any(|o| o.household.id == "h2"));
    app.set_locale("en".into());
    assert_eq!(app.household_visits("h2".into(), 5).unwrap()[0].verdict_label, "Mock location");
}

#[test]
fn search_by_name_tag_and_risk_in_scope() {
    let p = phone();
    let app = &p.app;
    app.sign_in("ts".into()).unwrap();
    let q = |text: Option<&str>, tag: Option<&str>, risk: Option<RiskLevel>| {
        app.list_households(HouseholdQuery { text: text.map(Into::into), address: None, tag: tag.map(Into::into), risk, offset: 0, limit: 20 })
            .unwrap()
            .items
            .into_iter()
            .map(|h| h.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(q(Some("张"), None, None), ["h1", "h2"]);
    assert_eq!(q(None, Some("独居老人"), None), ["h1"]);
    assert_eq!(q(None, None, Some(RiskLevel::Medium)), ["h2"]);
    assert_eq!(q(Some("王"), None, None), Vec::<String>::new());
}
