//! The console's ledger and administration endpoints (#14 point 7): household search in scope with masked
//! phones, CSV (UTF-8 / GBK) and XLSX import with the row-level report and nothing stored on a bad row, the
//! oversized upload, users and devices for county administrators only, the measures XLSX export.

use linkage_server::console::ledger::{HouseholdDetail, HouseholdPage};
use linkage_server::console::people::{AdminAnswer, DeviceInfo, ImportAnswer, NewUserRequest, PasswordRequest, UserRow};

use crate::common::{start, TestServer, PASSWORD};

async fn get<T: serde::de::DeserializeOwned>(s: &TestServer, token: &str, path: &str) -> (u16, Option<T>) {
    let resp = s.http.get(s.url(path)).bearer_auth(token).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, if status == 200 { Some(resp.json().await.unwrap()) } else { None })
}

async fn upload(s: &TestServer, token: &str, kind: &str, bytes: Vec<u8>) -> (u16, String) {
    let resp = s.http.post(s.url(&format!("/v1/console/import?kind={kind}"))).bearer_auth(token).header("content-type", "text/csv").body(bytes).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

const HEADER: &str = "id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact\n";

#[tokio::test]
async fn gbk_csv_imports_and_a_bad_row_stores_nothing_with_its_line_reported() {
    let s = start().await;
    let cs = s.token("cs").await;
    let before = s.storage.counts().unwrap().households;
    // A bad row (unknown group, bad risk) among good ones: the report names the lines, nothing is stored.
    let bad = format!("{HEADER}h3,g1,李四,2,,,一组3号,35.5,109.8,低保,中,否\nh4,g9,赵五,1,,,一组4号,,,,高,否\nh5,g1,钱六,1,,,一组5号,,,,很高,否\n");
    let (status, body) = upload(&s, &cs, "households", bad.into_bytes()).await;
    assert_eq!(status, 200, "{body}");
    let answer: ImportAnswer = serde_json::from_str(&body).unwrap();
    assert!(!answer.stored);
    assert!(answer.message.starts_with("导入未完成：发现 2 处问题"), "{}", answer.message);
    assert!(answer.problems.iter().any(|p| p.contains("line 3")) && answer.problems.iter().any(|p| p.contains("line 4")), "{:?}", answer.problems);
    assert_eq!(s.storage.counts().unwrap().households, before, "nothing stored half-way");

    // The same good rows saved by Excel on Chinese Windows (GBK) import.
    let good = format!("{HEADER}h3,g1,李四,2,,,一组3号,35.5,109.8,低保;独居老人,中,否\nh4,g2,赵五,1,,,二组4号,,,,高,是\n");
    let (gbk, _, _) = encoding_rs::GBK.encode(&good);
    let (status, body) = upload(&s, &cs, "households", gbk.into_owned()).await;
    let answer: ImportAnswer = serde_json::from_str(&body).unwrap();
    assert_eq!((status, answer.stored, answer.households, answer.encoding.as_str()), (200, true, 2, "gbk"), "{body}");
    assert_eq!(s.storage.counts().unwrap().households, before + 2);
    let page = get::<HouseholdPage>(&s, &cs, "/v1/console/households?q=李四").await.1.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].tags, vec!["低保", "独居老人"]);

    // Bytes in no known encoding: refused with how to save as UTF-8.
    let (status, body) = upload(&s, &cs, "households", vec![0x81, 0x20, 0xFF, 0xFE, 0x00, b'\n']).await;
    assert_eq!(status, 400);
    assert!(body.contains("CSV UTF-8"), "{body}");
    // An oversized upload is refused before it is read.
    let (status, body) = upload(&s, &cs, "nodes", vec![b'a'; 9 * 1024 * 1024]).await;
    assert_eq!(status, 413);
    assert!(body.contains("文件过大"), "{body}");
    // A township cannot import.
    let ts1 = s.token("ts1").await;
    assert_eq!(upload(&s, &ts1, "households", good.into_bytes()).await.0, 403);
}

#[tokio::test]
async fn an_xlsx_node_file_imports() {
    let s = start().await;
    let cs = s.token("cs").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["id", "parent_id", "level", "name", "code", "boundary"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["b3", "t1", "村", "新村", "610631101203", ""].iter().enumerate() {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let resp = s
        .http
        .post(s.url("/v1/console/import?kind=nodes"))
        .bearer_auth(&cs)
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let answer: ImportAnswer = resp.json().await.unwrap();
    assert!(answer.stored && answer.nodes == 1 && answer.encoding == "xlsx", "{answer:?}");
    assert_eq!(s.storage.node("b3").unwrap().unwrap().path, "/c/t1/b3/");
}

#[tokio::test]
async fn households_are_searched_in_scope_with_masked_phones() {
    let s = start().await;
    let ts1 = s.token("ts1").await;
    let page = get::<HouseholdPage>(&s, &ts1, "/v1/console/households").await.1.unwrap();
    assert_eq!(page.items.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec!["h1"]);
    assert_eq!(page.items[0].phone_masked.as_deref(), Some("138****5678"));
    assert_eq!(get::<HouseholdDetail>(&s, &ts1, "/v1/console/households/h2").await.0, 404);
    let h1 = get::<HouseholdDetail>(&s, &ts1, "/v1/console/households/h1").await.1.unwrap();
    assert_eq!(h1.household.head_name, "王秀英");
    assert_eq!(get::<HouseholdPage>(&s, &ts1, "/v1/console/households?node=t2").await.0, 404);
    let gw1 = s.token("gw1").await;
    assert_eq!(get::<HouseholdPage>(&s, &gw1, "/v1/console/households").await.0, 403);
    // The measures of the area as XLSX; another township's node is refused.
    let resp = s.http.get(s.url("/v1/console/measures/export?from=2026-10-01&to=2026-12-31")).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let other = s.http.get(s.url("/v1/console/measures/export?node=t2&from=2026-10-01&to=2026-12-31")).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(other.status(), 404);
    let bad = s.http.get(s.url("/v1/console/measures/export?from=2026-12-31&to=2026-10-01")).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn only_county_administrators_manage_users_and_devices() {
    let s = start().await;
    let (cs, ts1) = (s.token("cs").await, s.token("ts1").await);
    let new = NewUserRequest { id: "gw9".into(), name: "新网格员".into(), role: linkage_protocol::model::Role::GridWorker, node_id: "b1".into(), password: "Qingshan-2026-chun".into() };
    let resp = s.http.post(s.url("/v1/console/users")).bearer_auth(&ts1).json(&new).send().await.unwrap();
    assert_eq!(resp.status(), 403, "a township may not add users");
    assert!(s.storage.account("gw9").unwrap().is_none());
    assert_eq!(get::<Vec<UserRow>>(&s, &ts1, "/v1/console/users").await.0, 403);
    // Wrong level, weak password: refused in Chinese, nothing stored.
    let wrong = NewUserRequest { node_id: "t1".into(), ..new.clone() };
    let resp = s.http.post(s.url("/v1/console/users")).bearer_auth(&cs).json(&wrong).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(resp.text().await.unwrap().contains("须绑定到"));
    let weak = NewUserRequest { password: "123".into(), ..new.clone() };
    let resp = s.http.post(s.url("/v1/console/users")).bearer_auth(&cs).json(&weak).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert!(s.storage.account("gw9").unwrap().is_none());
    let resp = s.http.post(s.url("/v1/console/users")).bearer_auth(&cs).json(&new).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.json::<AdminAnswer>().await.unwrap().message.contains("首次登录须修改密码"));
    let account = s.storage.account("gw9").unwrap().unwrap();
    assert!(account.must_change_password);
    let users = get::<Vec<UserRow>>(&s, &cs, "/v1/console/users").await.1.unwrap();
    assert!(users.iter().any(|u| u.id == "gw9" && u.must_change_password && u.role_label == "网格员"));

    // gw1's phone is enrolled; a password reset signs it out, a revoke tells it to wipe.
    let gw1 = s.token("gw1").await;
    let devices = get::<Vec<DeviceInfo>>(&s, &cs, "/v1/console/devices").await.1.unwrap();
    assert!(devices.iter().any(|d| d.device_id == "dev-gw1" && d.state_label == "使用中"));
    let resp = s.http.post(s.url("/v1/console/users/gw1/password")).bearer_auth(&cs).json(&PasswordRequest { password: "Qingshan-2026-chun".into() }).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(s.http.get(s.url("/v1/bundle")).bearer_auth(&gw1).send().await.unwrap().status(), 401);
    let resp = s.http.post(s.url("/v1/console/devices/dev-gw1/revoke")).bearer_auth(&ts1).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    let resp = s.http.post(s.url("/v1/console/devices/dev-gw1/revoke")).bearer_auth(&cs).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(s.storage.device_revoked("dev-gw1").unwrap(), Some(true));
    // Disable: not oneself; another account cannot sign in afterwards.
    assert_eq!(s.http.post(s.url("/v1/console/users/cs/disable")).bearer_auth(&cs).send().await.unwrap().status(), 409);
    assert_eq!(s.http.post(s.url("/v1/console/devices/dev-cs/revoke")).bearer_auth(&cs).send().await.unwrap().status(), 409);
    assert_eq!(s.http.post(s.url("/v1/console/users/lh1/disable")).bearer_auth(&cs).send().await.unwrap().status(), 200);
    assert_eq!(s.sign_in_raw("lh1", PASSWORD, "dev-lh1").await.status(), 403);
    // Every step is in the audit trail under the acting user.
    let rows = s.storage.audit_rows(0, i64::MAX).unwrap();
    for action in ["user_saved", "device_revoked", "user_disabled"] {
        assert!(rows.iter().any(|r| r.actor == "cs" && r.action == action), "{action} audited");
    }
}
