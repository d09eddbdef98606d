//! Household edits made offline on two phones merge field by field through the server: different fields both
//! survive; on the same field the later hybrid-logical-clock time wins on every device and on the server,
//! whatever order the phones sync in. Bad edits are refused with the field and change nothing.

use linkage_core::api::*;
use linkage_core::ApiError;

use crate::common::db_rows_of;
use crate::server::*;


fn view(h: &HouseholdSummary) -> (String, u32, String, Option<String>, Vec<String>, RiskLevel) {
    (h.head_name.clone(), h.members, h.address.clone(), h.phone_masked.clone(), h.tags.clone(), h.risk_level)
}

#[test]
fn two_phones_edit_one_household_offline_and_merge_field_by_field() {
    let rt = runtime();
    let server = TestServer::start();
    let url = server.url();
    rt.block_on(async {
        let lh = connected_phone(&url, "lh").await;
        let gw = connected_phone(&url, "gw").await;

        // Offline, in this real-time order (150 ms apart: well beyond the phones' clock-offset error on
        // loopback): the grid worker fixes members, tags and the address; the liaison head then fixes the
        // phone and, later still, the address too; the grid worker last corrects members again.
        gw.app
            .edit_household(
                "h1".into(),
                vec![
                    HouseholdChange::Members { count: 5 },
                    HouseholdChange::Tags { tags: vec!["低保".into(), "独居老人".into()] },
                    HouseholdChange::Address { address: "一组12号".into() },
                ],
            )
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150));
        lh.app.edit_household("h1".into(), vec![HouseholdChange::Phone { phone: Some("13987654321".into()) }]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150));
        lh.app.edit_household("h1".into(), vec![HouseholdChange::Address { address: "一组15号".into() }]).unwrap();
        // The liaison head does not receive the sensitive tags (最小必要), so it may not replace the set: the
        // whole set would overwrite the tags it cannot see. Refused on the phone by the shared rule.
        match lh.app.edit_household("h1".into(), vec![HouseholdChange::Tags { tags: vec![] }]) {
            Err(ApiError::NotPermitted { rule, .. }) => assert_eq!(rule, "tags_not_all_visible"),
            other => panic!("{other:?}"),
        }
        std::thread::sleep(std::time::Duration::from_millis(150));
        let gw_local = gw.app.edit_household("h1".into(), vec![HouseholdChange::Members { count: 4 }]).unwrap();
        assert_eq!(gw_local.members, 4, "the phone shows its own edit at once");

        // The liaison head syncs last on purpose: its address edit is newer than the grid worker's and must win.
        gw.app.sync(None).await.unwrap();
        lh.app.sync(None).await.unwrap();
        gw.app.sync(None).await.unwrap();

        let expected = (
            "张建国".to_string(),
            4,
            "一组15号".to_string(),
            Some("139****4321".to_string()),
            vec!["独居老人".to_string(), "低保".to_string()],
            gw_local.risk_level,
        );
        let mut expected_sorted = expected.clone();
        expected_sorted.4.sort();
        let mut got = view(&gw.app.household("h1".into()).unwrap());
        got.4.sort();
        assert_eq!(got, expected_sorted);
        // The liaison head's phone holds the same, less the sensitive tags (never sent to it).
        let lh_view = view(&lh.app.household("h1".into()).unwrap());
        assert_eq!(lh_view, (expected.0.clone(), 4, expected.2.clone(), expected.3.clone(), vec![], expected.5));

        // A phone enrolled afterwards (bundle + full feed) arrives at the same values, as does the server.
        let ts = connected_phone(&url, "ts").await;
        ts.app.sync(None).await.unwrap();
        let mut got = view(&ts.app.household("h1".into()).unwrap());
        got.4.sort();
        assert_eq!(got, expected_sorted);
        let row = server.texts("SELECT CAST(members AS TEXT), address, phone, CAST(tags AS TEXT) FROM households WHERE id = 'h1'").remove(0);
        let [members, address, phone, tags] = <[Option<String>; 4]>::try_from(row).unwrap().map(Option::unwrap);
        assert_eq!((members.as_str(), address.as_str(), phone.as_str()), ("4", "一组15号", "13987654321"));
        let mut tags: Vec<String> = serde_json::from_str(&tags).unwrap();
        tags.sort();
        assert_eq!(tags, expected_sorted.4);

        // Bad edits: typed error naming the field, nothing stored, nothing queued.
        let before = db_rows_of(&gw.db);
        for (changes, field) in [
            (vec![HouseholdChange::HeadName { name: " ".into() }], "head_name"),
            (vec![HouseholdChange::Members { count: 1000 }], "members"),
            (vec![HouseholdChange::Phone { phone: Some("电话".into()) }], "phone"),
            (vec![HouseholdChange::Location { point: Some(MapPoint { lat: f64::NAN, lon: 109.0 }) }], "location"),
            (vec![], "fields"),
        ] {
            match gw.app.edit_household("h1".into(), changes) {
                Err(ApiError::InvalidInput { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert!(matches!(gw.app.edit_household("h4".into(), vec![HouseholdChange::Members { count: 2 }]), Err(ApiError::NotFound { .. })));
        assert_eq!(db_rows_of(&gw.db), before, "refused edits leave the database untouched");
    });
}
