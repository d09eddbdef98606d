//! No personal data in logs (security issue item 10): the server binary is run as deployed (CSV import, `user
//! add`, `serve` with `RUST_LOG=debug`), a phone's session is played against it — failed and right sign-ins, a
//! password change, the bundle, household corrections carrying a new phone number (one valid, one malformed),
//! a report naming an ID number, pulls and a photo — and every byte the server and the commands wrote to
//! stdout and stderr is searched for the residents' ID numbers and phone numbers of the fixture.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use linkage_protocol::hlc::Hlc;
use linkage_protocol::model::{IssueCategory, Role, Urgency};
use linkage_protocol::sync::{paths, BlobsMissingRequest, ChangePasswordRequest, PullResponse, PushRequest, PushResponse, SignInRequest, SignInResponse};
use linkage_protocol::wire::{HouseholdEdit, HouseholdField, IssueAction, IssueEvent, IssueReport, OpBody, Operation};

const BIN: &str = env!("CARGO_BIN_EXE_linkage-server");

const NODES: &str = "id,parent_id,level,name,code,boundary
hl,,县,黄龙县,610631000000,
sb,hl,乡镇,石堡镇,610631101000,35.5 109.8;35.6 109.8;35.6 109.9
sbc,sb,村,石堡村,610631101201,
g1,sbc,组,一组,61063110120101,
";

/// The fixture's personal data: ID numbers and phone numbers of residents, and the new phone a correction sets.
const ID_NUMBERS: [&str; 2] = ["610631195001011234", "610631196802152345"];
const PHONES: [&str; 3] = ["13812345678", "13998765432", "15011112222"];

fn households() -> String {
    format!(
        "id,group_id,head_name,members,phone,id_number,address,lat,lon,tags,risk_level,county_contact
h1,g1,张建国,4,{},{},石堡村一组1号,35.55,109.85,低保、独居老人,高,是
h2,g1,李秀英,2,{},{},石堡村一组2号,35.551,109.851,,低,0
",
        PHONES[0], ID_NUMBERS[0], PHONES[1], ID_NUMBERS[1]
    )
}

fn run(data: &Path, args: &[&str], log: &mut String) -> bool {
    let out = Command::new(BIN).args(args).arg("--data-dir").arg(data).env("RUST_LOG", "debug").output().unwrap();
    log.push_str(&String::from_utf8_lossy(&out.stdout));
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    out.status.success()
}

fn op(body: OpBody) -> Operation {
    Operation { op_id: uuid::Uuid::now_v7().to_string(), hlc: Hlc { wall_ms: now_ms() - 60_000, counter: 0 }.encode("phone1"), body }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn edit(phone: &str) -> Operation {
    let mut o = op(OpBody::HouseholdEdited(HouseholdEdit {
        household_id: "h1".into(),
        editor_id: "gw".into(),
        editor_role: Role::GridWorker,
        hlc: String::new(),
        at_ms: now_ms() - 60_000,
        fields: vec![HouseholdField::Phone(Some(phone.into()))],
    }));
    if let OpBody::HouseholdEdited(e) = &mut o.body {
        e.hlc = o.hlc.clone();
    }
    o
}

#[test]
fn server_and_commands_log_no_id_or_phone_number() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), NODES).unwrap();
    std::fs::write(dir.path().join("households.csv"), households()).unwrap();
    // A file with a phone field far too long (three numbers run together) next to a real ID number: refused,
    // and the report names no value.
    let bad = format!("{}h3,g1,王五,1,{},{},石堡村一组3号,,,,低,0\n", households(), PHONES[0].repeat(3), ID_NUMBERS[0]);
    std::fs::write(dir.path().join("bad.csv"), bad).unwrap();
    let mut log = String::new();
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    assert!(!run(&data, &["import", "--nodes", &path("nodes.csv"), "--households", &path("bad.csv")], &mut log));
    assert!(run(&data, &["import", "--nodes", &path("nodes.csv"), "--households", &path("households.csv")], &mut log));
    assert!(run(&data, &["user", "add", "--id", "gw", "--name", "王网格", "--role", "grid_worker", "--node", "sbc", "--password", "password-9"], &mut log));

    let server_log = dir.path().join("server.log");
    let mut server = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .stdout(std::fs::File::create(&server_log).unwrap())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    log.push_str(&line);
    let base = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");
    let rest = std::thread::spawn(move || {
        let mut s = String::new();
        for l in stderr.lines() {
            s.push_str(&l.unwrap_or_default());
            s.push('\n');
        }
        s
    });

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let outcome = rt.block_on(async {
        let http = reqwest::Client::new();
        let url = |p: &str| format!("{base}{p}");
        let mut sign_in = SignInRequest {
            user_id: "gw".into(),
            password: PHONES[0].into(), // a wrong password that is a phone number
            device_id: "phone-1".into(),
            device_name: "红米".into(),
            device_secret: "secret-of-phone-1".into(),
        };
        assert_eq!(http.post(url(paths::SIGN_IN)).json(&sign_in).send().await?.status(), 401);
        let change = ChangePasswordRequest {
            user_id: "gw".into(),
            password: "password-9".into(),
            new_password: "石堡-网格-2026".into(),
            device_id: "phone-1".into(),
            device_name: "红米".into(),
            device_secret: "secret-of-phone-1".into(),
        };
        assert_eq!(http.post(url(paths::CHANGE_PASSWORD)).json(&change).send().await?.status(), 200);
        sign_in.password = "石堡-网格-2026".into();
        let token = http.post(url(paths::SIGN_IN)).json(&sign_in).send().await?.json::<SignInResponse>().await?.token;
        let bundle = http.get(url(paths::BUNDLE)).bearer_auth(&token).send().await?;
        assert_eq!(bundle.status(), 200);
        let _ = bundle.bytes().await?;

        // A valid correction to a new phone, a malformed one, and a report whose text names an ID number.
        let report = op(OpBody::IssueEvent(IssueEvent {
            event_id: uuid::Uuid::now_v7().to_string(),
            issue_id: uuid::Uuid::now_v7().to_string(),
            actor_id: "gw".into(),
            actor_role: Role::GridWorker,
            actor_node_id: "sbc".into(),
            actor_name: None,
            hlc: String::new(),
            at_ms: now_ms() - 60_000,
            action: IssueAction::Report(IssueReport {
                category: IssueCategory::LivelihoodAid,
                urgency: Urgency::Urgent,
                title: "冬季取暖困难".into(),
                description: format!("户主身份证 {}，电话 {}", ID_NUMBERS[1], PHONES[1]),
                node_id: "g1".into(),
                path: String::new(),
                household_id: Some("h1".into()),
                owner_node_id: "sb".into(),
                location: None,
                evidence: vec![],
            }),
        }));
        let ops = vec![edit(PHONES[2]), edit(&PHONES[2].repeat(3)), report];
        let pushed: PushResponse = http.post(url(paths::PUSH)).bearer_auth(&token).json(&PushRequest { ops }).send().await?.json().await?;
        assert_eq!(pushed.results.len(), 3);
        let pulled: PullResponse = http.get(url(&format!("{}?after=0", paths::PULL))).bearer_auth(&token).send().await?.json().await?;
        assert!(!pulled.changes.is_empty());
        let missing = http
            .post(url(paths::BLOBS_MISSING))
            .bearer_auth(&token)
            .json(&BlobsMissingRequest { hashes: vec!["ab".repeat(32)] })
            .send()
            .await?;
        assert_eq!(missing.status(), 200);
        Ok::<_, reqwest::Error>(())
    });
    server.kill().unwrap();
    server.wait().unwrap();
    outcome.unwrap();
    log.push_str(&rest.join().unwrap());
    log.push_str(&std::fs::read_to_string(&server_log).unwrap());
    assert!(run(&data, &["audit", "verify"], &mut log));
    assert!(run(&data, &["device", "list"], &mut log));

    // The logs are not empty (the search can fail): they hold the listening line and the commands' reports.
    assert!(log.contains("listening") && log.contains("imported"), "{log}");
    for secret in ID_NUMBERS.iter().chain(PHONES.iter()) {
        assert!(!log.contains(secret), "personal data {secret} in the logs:\n{log}");
    }
}
