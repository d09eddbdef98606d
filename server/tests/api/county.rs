//! County settings (县级配置) on the server: a yearly calendar imported whole or not at all, the settings in
//! the bundle and the change feed (for every phone of the county), the visit grading, sweep and measures
//! using them, and no phone able to push them.

use linkage_protocol::model::{GpsFix, OnSiteVerdict, OrgLevel, VisitKind};
use linkage_protocol::rules::geo::OnSitePolicy;
use linkage_protocol::sync::OpOutcome;
use linkage_protocol::wire::{CountyConfig, CountyConfigSet, OpBody, Operation, Visit};


use crate::common::*;

const Y2027: &str = r#"{"year":2027,"source":"测试","holidays":[{"name":"元旦","from":"2027-01-01"}],"workdays":[]}"#;

fn config_changes(changes: &[linkage_protocol::sync::Change]) -> Vec<CountyConfig> {
    changes
        .iter()
        .filter_map(|c| match &c.op.body {
            OpBody::CountyConfigSet(s) => Some(s.config.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_calendar_is_imported_whole_and_reaches_every_phone() {
    let s = start().await;
    let before = s.storage.counts().unwrap();
    // A bad file names the problem and loads nothing.
    for bad in [r#"{"year":2027,"holidays":[{"name":"元旦","from":"2027-13-01"}]}"#, "not json", r#"{"year":2027,"extra":1}"#] {
        let e = s.storage.import_calendar(bad, now_ms()).unwrap_err();
        assert!(matches!(e, linkage_server::error::Error::Invalid(_)), "{e}");
    }
    assert_eq!(s.storage.counts().unwrap(), before, "nothing stored");
    assert!(s.storage.county_config().unwrap().calendars.is_empty());

    assert_eq!(s.storage.import_calendar(Y2027, now_ms()).unwrap(), 2027);
    let config = s.storage.county_config().unwrap();
    assert_eq!(config.calendars.len(), 1);
    // Replacing the year keeps one file.
    s.storage.import_calendar(&Y2027.replace("元旦", "新年"), now_ms()).unwrap();
    assert_eq!(s.storage.county_config().unwrap().calendars[0]["holidays"][0]["name"], "新年");

    // In the feed of a grid worker and a township (broadcast from the county), and in the bundle.
    for user in ["gw2", "ts1", "lh1"] {
        let token = s.token(user).await;
        let feed = s.pull(&token, 0, 100).await.changes;
        let sets = config_changes(&feed);
        assert_eq!(sets.len(), 2, "{user}");
        assert_eq!(sets[1].calendars[0]["year"], 2027);
    }
    let bundle = s.storage.bundle("/c/t1/b1/").unwrap();
    assert_eq!(bundle.config.unwrap().calendars[0]["holidays"][0]["name"], "新年");

    // The sweep's rules use the county's calendar; the warning for 2027 is gone.
    let (rules, warning) = linkage_server::api::county_sla(s.storage.as_ref(), now_ms()).unwrap();
    assert!(rules.calendar.loaded_years().contains(&2027));
    assert_eq!(warning, None);
}

#[tokio::test]
async fn the_county_on_site_policy_grades_pushed_visits_and_phones_cannot_set_settings() {
    let s = start().await;
    let gw1 = s.token("gw1").await;
    let now = now_ms();
    // A generous county: 5 km on site, fixes up to 20 minutes old.
    let config = CountyConfig {
        on_site: OnSitePolicy { radius_m: 5_000.0, max_fix_age_s: 1_200, ..OnSitePolicy::default() },
        ..CountyConfig::default()
    };
    s.storage.set_county_config(&config, now).unwrap();
    let bad = CountyConfig { on_site: OnSitePolicy { radius_m: -1.0, ..OnSitePolicy::default() }, ..CountyConfig::default() };
    assert!(s.storage.set_county_config(&bad, now).is_err());
    assert_eq!(s.storage.county_config().unwrap().on_site.radius_m, 5_000.0, "unchanged by the bad settings");

    let visit = Visit {
        id: "v-county".into(),
        household_id: "h1".into(),
        visitor_id: "gw1".into(),
        visitor_level: OrgLevel::Branch,
        kind: VisitKind::Routine,
        started_at_ms: now - 1_000_000,
        ended_at_ms: now - 60_000,
        // 2.2 km away, 10 minutes old at the end: too far and stale by default, on site for this county.
        fix: Some(GpsFix { lat: 35.52, lon: 109.8, accuracy_m: 8.0, fix_time_ms: now - 660_000, mocked: false }),
        distance_m: None,
        verdict: OnSiteVerdict::NoFix,
        notes: String::new(),
        evidence: vec![],
        issue_id: None,
        amends_visit_id: None,
    };
    let op = Operation { op_id: uuid(), hlc: "000000000000001-000000-t".into(), body: OpBody::VisitRecorded(visit) };
    assert_eq!(s.push(&gw1, vec![op]).await.results[0].outcome, OpOutcome::Applied);
    let feed = s.pull(&gw1, 0, 100).await.changes;
    let verdicts: Vec<_> = feed
        .iter()
        .filter_map(|c| match &c.op.body {
            OpBody::VisitRecorded(v) => Some(v.verdict),
            _ => None,
        })
        .collect();
    assert_eq!(verdicts, [OnSiteVerdict::OnSite]);

    // A phone pushing settings is refused.
    let forged = Operation {
        op_id: uuid(),
        hlc: "000000000000002-000000-t".into(),
        body: OpBody::CountyConfigSet(CountyConfigSet { config: CountyConfig::default(), set_at_ms: now }),
    };
    let r = s.push(&gw1, vec![forged]).await;
    assert!(matches!(r.results[0].outcome, OpOutcome::Rejected { code: linkage_protocol::sync::RejectCode::NotPermitted, .. }));
    assert_eq!(s.storage.county_config().unwrap().on_site.radius_m, 5_000.0);
}
