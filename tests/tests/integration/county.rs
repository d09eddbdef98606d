//! County settings reach everyone (县级配置): the server's settings and yearly calendars travel in the bundle
//! and the change feed; a phone applies them to its own rules (the live on-site verdict here) and the staff
//! home's banner names a year without a calendar until the county imports it.

use linkage_core::api::*;
use linkage_protocol::rules::county::missing_calendar_years;
use linkage_protocol::rules::geo::OnSitePolicy;
use linkage_protocol::rules::calendar::WorkCalendar;
use linkage_protocol::wire::CountyConfig;

use crate::server::*;

fn year_file(year: i32) -> String {
    format!(r#"{{"year":{year},"holidays":[{{"name":"元旦","from":"{year}-01-01"}}],"workdays":[]}}"#)
}

#[test]
fn settings_and_calendars_reach_phones_through_bundle_and_feed() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        // Settings made before a phone enrols come with its bundle.
        let generous = CountyConfig {
            on_site: OnSitePolicy { radius_m: 5_000.0, ..OnSitePolicy::default() },
            ..CountyConfig::default()
        };
        server.storage().set_county_config(&generous, now_ms()).unwrap();
        let gw = connected_phone(&url, "gw").await;
        let ts = connected_phone(&url, "ts").await;
        // The visit form's start as the shells pass it: the draft's, on the core's server-corrected clock.
        let started = gw.app.start_visit_draft("h1".into(), VisitKind::Routine, None, Some(now_ms())).unwrap().started_at_ms;
        // ~2.2 km from h1 (35.58, 109.26): on site for this county.
        let fix = || GpsFix { lat: 35.60, lon: 109.26, accuracy_m: 8.0, fix_time_ms: now_ms(), mocked: false };
        assert_eq!(gw.app.preview_verdict("h1".into(), Some(fix()), started).unwrap().verdict, OnSiteVerdict::OnSite);

        // Changed settings arrive with the next sync.
        server.storage().set_county_config(&CountyConfig::default(), now_ms()).unwrap();
        gw.app.sync(None).await.unwrap();
        assert_eq!(gw.app.preview_verdict("h1".into(), Some(fix()), started).unwrap().verdict, OnSiteVerdict::TooFar);

        // The staff banner names the years missing now (the same rule the server logs), the grid worker's none.
        let expected = missing_calendar_years(&WorkCalendar::china_default(), now_ms());
        assert_eq!(ts.app.calendar_warning().map(|w| w.years).unwrap_or_default(), expected);
        assert_eq!(gw.app.calendar_warning(), None);
        if let Some(w) = ts.app.calendar_warning() {
            assert!(w.message.contains("节假日"), "{}", w.message);
        }
        // The county imports a file for each missing year (and next year's anyway): the banner goes.
        let next = chrono::Utc::now().format("%Y").to_string().parse::<i32>().unwrap() + 1;
        for year in expected.iter().copied().chain([next]) {
            server.storage().import_calendar(&year_file(year), now_ms()).unwrap();
        }
        ts.app.sync(None).await.unwrap();
        assert_eq!(ts.app.calendar_warning(), None);
        // A phone enrolling now gets the calendars in its bundle.
        let ts_new = connected_phone(&url, "ts").await;
        assert_eq!(ts_new.app.calendar_warning(), None);
    });
}
