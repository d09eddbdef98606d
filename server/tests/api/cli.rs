//! The `linkage-server` binary itself: CSV import all or nothing with a per-row report, `user add`, `serve`,
//! and `county set` while the server serves (the phones' feed carries the new settings), and `device revoke`
//! against a running server (the revoked phone is told to wipe).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use linkage_protocol::sync::{paths, ChangePasswordRequest, ErrorBody, SignInRequest, SignInResponse};
use linkage_protocol::wire::Bundle;

const BIN: &str = env!("CARGO_BIN_EXE_linkage-server");

fn cli(data_dir: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--data-dir").arg(data_dir);
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

const NODES: &str = "id,parent_id,level,name,code,boundary
hl,,县,黄龙县,610631000000,
sb,hl,乡镇,石堡镇,610631101000,35.5 109.8;35.6 109.8;35.6 109.9
sbc,sb,村,石堡村,610631101201,
g1,sbc,组,一组,61063110120101,
";

const HOUSEHOLDS_GOOD: &str = "id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact
h1,g1,张建国,4,13812345678,610631195001011234,石堡村一组1号,35.55,109.85,低保、独居老人,高,是
h2,g1,李秀英,2,,,石堡村一组2号,35.551,109.851,,低,0
";

#[test]
fn import_is_all_or_nothing_with_a_report_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), NODES).unwrap();
    // Line 3: members not a number; line 4: an unknown group; line 5: an ID number far too long.
    let bad = format!(
        "{HOUSEHOLDS_GOOD}h3,g1,王,x,,,石堡村一组3号,,,,低,0\nh4,g9,赵,1,,,石堡村九组1号,,,,低,0\nh5,g1,钱,1,,{},石堡村一组5号,,,,低,0\n",
        "6".repeat(40)
    );
    std::fs::write(dir.path().join("bad.csv"), bad).unwrap();
    let nodes = dir.path().join("nodes.csv");
    let out = cli(&data, &["import", "--nodes", nodes.to_str().unwrap(), "--households", dir.path().join("bad.csv").to_str().unwrap()]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("bad.csv line 4: members"), "{err}");
    for expected in ["group 'g9' is unknown", "id_number"] {
        assert!(err.contains(expected), "{expected}: {err}");
    }
    assert!(!err.contains(&"6".repeat(40)), "personal data must not be echoed: {err}");
    // Nothing of either file went in: the next import starts from an empty county.
    std::fs::write(dir.path().join("good.csv"), HOUSEHOLDS_GOOD).unwrap();
    let good = dir.path().join("good.csv");
    let out = cli(&data, &["import", "--households", good.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("group 'g1' is unknown"), "{}", text(&out.stderr));

    let out = cli(&data, &["import", "--nodes", nodes.to_str().unwrap(), "--households", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "imported 4 nodes and 2 households");
    // Importing the same files again updates in place (no duplicates, no error).
    let out = cli(&data, &["import", "--nodes", nodes.to_str().unwrap(), "--households", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(&data, &["import"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--nodes and/or --households"));
}

#[test]
fn users_sign_in_on_the_served_data_and_a_revoked_device_is_told_to_wipe() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), NODES).unwrap();
    std::fs::write(dir.path().join("households.csv"), HOUSEHOLDS_GOOD).unwrap();
    let (nodes, households) = (dir.path().join("nodes.csv"), dir.path().join("households.csv"));
    assert!(cli(&data, &["import", "--nodes", nodes.to_str().unwrap(), "--households", households.to_str().unwrap()]).status.success());

    // Bad input to `user add` is refused with a reason; a good one is saved.
    let add = |args: &[&str]| cli(&data, &[&["user", "add"], args].concat());
    let out = add(&["--id", "gw", "--name", "王网格", "--role", "grid_worker", "--node", "sbc", "--password", "short"]);
    assert!(text(&out.stderr).contains("at least 10 characters"), "{}", text(&out.stderr));
    let out = add(&["--id", "gw", "--name", "王网格", "--role", "grid_worker", "--node", "sbc", "--password", "abcdefghijkl"]);
    assert!(text(&out.stderr).contains("two of letters, digits and symbols"), "{}", text(&out.stderr));
    let out = add(&["--id", "gw", "--name", "王网格", "--role", "township_staff", "--node", "sbc", "--password", "password-9"]);
    assert!(!out.status.success() && text(&out.stderr).contains("must be bound to a"), "{}", text(&out.stderr));
    let out = add(&["--id", "gw", "--name", "王网格", "--role", "grid_worker", "--node", "sbc", "--password", "password-9"]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Serve on a free port; the address is printed once listening.
    let mut server = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let outcome = rt.block_on(async {
        let http = reqwest::Client::new();
        let mut sign_in = SignInRequest {
            user_id: "gw".into(),
            password: "password-9".into(),
            device_id: "phone-1".into(),
            device_name: "红米".into(),
            device_secret: "secret-of-phone-1".into(),
        };
        // The password `user add` set is initial: right, but it must be changed before a token is issued.
        let resp = http.post(format!("{base}{}", paths::SIGN_IN)).json(&sign_in).send().await?;
        assert_eq!(resp.status(), reqwest::StatusCode::FORBIDDEN);
        assert_eq!(resp.json::<ErrorBody>().await?.code, "password_change_required");
        let change = ChangePasswordRequest {
            user_id: "gw".into(),
            password: "password-9".into(),
            new_password: "password-9".into(),
            device_id: "phone-1".into(),
            device_name: "红米".into(),
            device_secret: "secret-of-phone-1".into(),
        };
        let resp = http.post(format!("{base}{}", paths::CHANGE_PASSWORD)).json(&change).send().await?;
        assert_eq!(resp.status(), reqwest::StatusCode::BAD_REQUEST);
        let body: ErrorBody = resp.json().await?;
        assert_eq!(body.code, "weak_password");
        assert!(body.message.contains("新密码不能与原密码相同"), "{body:?}");
        let change = ChangePasswordRequest { new_password: "石堡-网格-2026".into(), ..change };
        let resp = http.post(format!("{base}{}", paths::CHANGE_PASSWORD)).json(&change).send().await?;
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        sign_in.password = "石堡-网格-2026".into();
        let signed: SignInResponse = http.post(format!("{base}{}", paths::SIGN_IN)).json(&sign_in).send().await?.json().await?;
        let bundle: Bundle = http.get(format!("{base}{}", paths::BUNDLE)).bearer_auth(&signed.token).send().await?.json().await?;
        assert_eq!(bundle.households.len(), 2);
        assert_eq!(bundle.households[0].head_name, "张建国");

        // Revoked from the command line while the server runs: the next request gets the wipe order.
        let out = cli(&data, &["device", "revoke", "--device", "phone-1"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let resp = http.get(format!("{base}{}", paths::BUNDLE)).bearer_auth(&signed.token).send().await?;
        assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
        let body: ErrorBody = resp.json().await?;
        assert!(body.wipe, "{body:?}");
        // Signing in again from the revoked device is refused too.
        let resp = http.post(format!("{base}{}", paths::SIGN_IN)).json(&sign_in).send().await?;
        assert_eq!(resp.status(), reqwest::StatusCode::UNAUTHORIZED);
        Ok::<_, reqwest::Error>(())
    });
    server.kill().unwrap();
    server.wait().unwrap();
    outcome.unwrap();
    let out = cli(&data, &["device", "revoke", "--device", "no-such-phone"]);
    assert!(!out.status.success() && text(&out.stderr).contains("no-such-phone"), "{}", text(&out.stderr));
}

#[test]
fn calendar_import_and_status_report_missing_years_loudly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), NODES).unwrap();
    let nodes = dir.path().join("nodes.csv");
    assert!(cli(&data, &["import", "--nodes", nodes.to_str().unwrap()]).status.success());
    // A bad file: refused, named, nothing loaded.
    let bad = dir.path().join("2027-bad.json");
    std::fs::write(&bad, r#"{"year":2027,"holidays":[{"name":"春节","from":"2027-02-06","to":"2027-02-01"}]}"#).unwrap();
    let out = cli(&data, &["calendar", "import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("春节"), "{}", text(&out.stderr));
    let status = cli(&data, &["calendar", "status"]);
    assert!(status.status.success());
    assert!(text(&status.stdout).contains("imported by the county: none"), "{}", text(&status.stdout));
    // The year after the current one, and the one after that, are not shipped: import the next year.
    let next = chrono::Utc::now().format("%Y").to_string().parse::<i32>().unwrap() + 1;
    let good = dir.path().join("next.json");
    std::fs::write(&good, format!(r#"{{"year":{next},"holidays":[{{"name":"元旦","from":"{next}-01-01"}}],"workdays":[]}}"#)).unwrap();
    let out = cli(&data, &["calendar", "import", good.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed = text(&out.stdout);
    assert!(printed.contains(&format!("calendar {next} loaded")), "{printed}");
    assert!(printed.contains(&format!("imported by the county: {next}")), "{printed}");
    assert!(!text(&out.stderr).contains(&format!("{next} 年")), "no warning for the year just loaded: {}", text(&out.stderr));
}

#[test]
fn accounts_devices_and_the_audit_trail_from_the_command_line() {
    use linkage_server::storage::Storage;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), NODES).unwrap();
    let nodes = dir.path().join("nodes.csv");
    assert!(cli(&data, &["import", "--nodes", nodes.to_str().unwrap()]).status.success());
    // The initial password from standard input (not argv).
    let mut add = Command::new(BIN)
        .args(["user", "add", "--id", "gw", "--name", "王网格", "--role", "grid_worker", "--node", "sbc", "--password-stdin", "--data-dir"])
        .arg(&data)
        .stdin(Stdio::piped())
        .output_with_stdin(b"initial-Pass-7\n");
    assert!(add.status.success(), "{}", text(&add.stderr));
    add.stdout.clear();
    {
        let storage = linkage_server::sqlite::SqliteStorage::open(&data).unwrap();
        let account = storage.account("gw").unwrap().unwrap();
        assert!(account.must_change_password);
        assert!(linkage_server::auth::verify_password("initial-Pass-7", &account.password_hash));
        let enrolment = linkage_server::storage::NewEnrolment {
            device_id: "phone-9".into(),
            device_name: "红米".into(),
            secret_hash: Some("ab".repeat(32)),
            user_id: "gw".into(),
            token_hash: "cd".repeat(32),
            expires_at_ms: i64::MAX,
            now_ms: 0,
        };
        storage.enroll_device(&enrolment).unwrap();
        for _ in 0..10 {
            storage.sign_in_failed("gw", 10).unwrap();
        }
        assert!(storage.account("gw").unwrap().unwrap().locked);
    }
    let list = cli(&data, &["device", "list", "--user", "gw"]);
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listed = text(&list.stdout);
    assert!(listed.contains("phone-9") && listed.contains("正常 active") && listed.contains("1 device(s)"), "{listed}");
    let out = cli(&data, &["user", "unlock", "--id", "gw"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(&data, &["user", "disable", "--id", "gw"]);
    assert!(out.status.success() && text(&out.stdout).contains("1 device(s)"), "{}", text(&out.stdout));
    let listed = text(&cli(&data, &["device", "list"]).stdout);
    assert!(listed.contains("已停用 revoked"), "{listed}");
    assert!(!cli(&data, &["user", "unlock", "--id", "nobody"]).status.success());

    // Every administrative step is in the trail, and the chain is intact.
    let out = cli(&data, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("audit chain intact"), "{}", text(&out.stdout));
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m-%d").to_string();
    let csv_path = dir.path().join("audit.csv");
    let out = cli(&data, &["audit", "export", "--from", &today, "--to", &today, "--out", csv_path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    for action in [",import,", ",user_saved,", ",account_unlocked,", ",user_disabled,"] {
        assert!(csv.contains(action), "{action}: {csv}");
    }
    assert!(!csv.contains("initial-Pass-7"), "no password in the trail");
    // Tampering is found by the command, which then fails naming the row.
    let db = rusqlite::Connection::open(data.join("linkage.db")).unwrap();
    db.execute("UPDATE audit_log SET subject = 'someone-else' WHERE action = 'user_disabled'", []).unwrap();
    let out = cli(&data, &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("was altered"), "{}", text(&out.stderr));
}

#[test]
fn a_demo_seeding_killed_midway_is_done_again() {
    use linkage_server::storage::Storage;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    {
        // What a seeding killed after its first rows leaves: the start mark and part of a county.
        let storage = linkage_server::sqlite::SqliteStorage::open(&data).unwrap();
        storage.set_server_meta(linkage_server::demo::DEMO_SEED_KEY, "started").unwrap();
        let nodes = vec![crate::common::node("hl", None, linkage_protocol::model::OrgLevel::County, "610631000000")];
        linkage_server::import::import_rows(&storage, nodes, vec![]).unwrap();
        assert_eq!(storage.counts().unwrap().users, 0);
    }
    let out = cli(&data, &["demo", "--seed-only", "--households", "200"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("did not finish"), "{}", text(&out.stderr));
    let storage = linkage_server::sqlite::SqliteStorage::open(&data).unwrap();
    assert!(storage.counts().unwrap().users > 400, "the county was seeded again in full");
    assert_eq!(storage.server_meta(linkage_server::demo::DEMO_SEED_KEY).unwrap().as_deref(), Some("complete"));
    drop(storage);
    // A finished one is reused as it is.
    let out = cli(&data, &["demo", "--seed-only"]);
    assert!(out.status.success() && !text(&out.stderr).contains("did not finish"), "{}", text(&out.stderr));
}

trait OutputWithStdin {
    fn output_with_stdin(&mut self, input: &[u8]) -> Output;
}

impl OutputWithStdin for Command {
    fn output_with_stdin(&mut self, input: &[u8]) -> Output {
        use std::io::Write;
        let mut child = self.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }
}

/// `county set` while the server serves: the new value is in the next pull of a phone (a `county_config_set`
/// change), `county show` prints it, and a bad key or value is refused in Chinese and English with nothing
/// changed.
#[test]
fn county_settings_set_from_the_cli_reach_phones_through_the_feed() {
    use linkage_protocol::sync::PullResponse;
    use linkage_protocol::wire::OpBody;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), NODES).unwrap();
    let nodes = dir.path().join("nodes.csv");
    assert!(cli(&data, &["import", "--nodes", nodes.to_str().unwrap()]).status.success());
    let out = cli(&data, &["user", "add", "--id", "gw", "--name", "王网格", "--role", "grid_worker", "--node", "sbc", "--password", "password-9"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let show = cli(&data, &["county", "show"]);
    assert!(show.status.success());
    assert!(text(&show.stdout).lines().any(|l| l.starts_with("on_site.max_fix_age_s") && l.contains(" 120 ") && l.contains("定位有效时间")), "{}", text(&show.stdout));

    let mut server = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stderr.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().rsplit(' ').next().unwrap().to_string();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let outcome = rt.block_on(async {
        let http = reqwest::Client::new();
        // `user add` made an initial password: changed first, then signed in (as a phone does).
        let change = ChangePasswordRequest {
            user_id: "gw".into(),
            password: "password-9".into(),
            new_password: "石堡-网格-2026".into(),
            device_id: "phone-1".into(),
            device_name: "红米".into(),
            device_secret: "secret-of-phone-1".into(),
        };
        let resp = http.post(format!("{base}{}", paths::CHANGE_PASSWORD)).json(&change).send().await?;
        assert_eq!(resp.status(), reqwest::StatusCode::OK);
        let sign_in = SignInRequest {
            user_id: "gw".into(),
            password: "石堡-网格-2026".into(),
            device_id: "phone-1".into(),
            device_name: "红米".into(),
            device_secret: "secret-of-phone-1".into(),
        };
        let signed: SignInResponse = http.post(format!("{base}{}", paths::SIGN_IN)).json(&sign_in).send().await?.json().await?;
        let pull = |after: i64| {
            let (http, base, token) = (http.clone(), base.clone(), signed.token.clone());
            async move {
                http.get(format!("{base}{}?after={after}&limit=1000", paths::PULL)).bearer_auth(token).send().await?.json::<PullResponse>().await
            }
        };
        let cursor = pull(0).await?.next_cursor;

        // Refused: an unknown key, a value out of range; nothing reaches the feed.
        let out = cli(&data, &["county", "set", "on_site.radius", "80"]);
        assert!(!out.status.success() && text(&out.stderr).contains("没有“on_site.radius”这项设置"), "{}", text(&out.stderr));
        let out = cli(&data, &["county", "set", "on_site.max_fix_age_s", "0"]);
        let err = text(&out.stderr);
        assert!(!out.status.success() && err.contains("定位有效时间") && err.contains("Nothing was changed"), "{err}");
        assert!(pull(cursor).await?.changes.is_empty());

        let out = cli(&data, &["county", "set", "on_site.max_fix_age_s", "90"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let changes = pull(cursor).await?.changes;
        let configs: Vec<_> = changes
            .iter()
            .filter_map(|c| match &c.op.body {
                OpBody::CountyConfigSet(set) => Some(set.config.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(configs.len(), 1, "{changes:?}");
        assert_eq!(configs[0].on_site.max_fix_age_s, 90);
        // The same value again changes nothing and sends nothing.
        let again = cli(&data, &["county", "set", "on_site.max_fix_age_s", "90"]);
        assert!(again.status.success() && text(&again.stdout).contains("unchanged"));
        assert_eq!(pull(cursor).await?.changes.len(), changes.len());
        Ok::<_, reqwest::Error>(())
    });
    server.kill().unwrap();
    server.wait().unwrap();
    outcome.unwrap();
    assert!(text(&cli(&data, &["county", "show"]).stdout).lines().any(|l| l.starts_with("on_site.max_fix_age_s") && l.contains(" 90 ")));
    // The change is in the audit trail, with the chain intact.
    let out = cli(&data, &["audit", "verify"]);
    assert!(out.status.success() && text(&out.stdout).contains("audit chain intact"), "{}", text(&out.stdout));
}
