//! `linkage-server directive issue`: an office without phones issues a directive from the server. Bad input is
//! refused in Chinese (and English) with nothing stored; a good one is stored, lands in the change feed as a
//! `directive_issued` change exactly like a phone's push, and is written to the audit trail.

use std::path::Path;
use std::process::{Command, Output};

use rusqlite::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_linkage-server");

fn cli(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).arg("--data-dir").arg(data_dir).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

const NODES: &str = "id,parent_id,level,name,code,boundary
hl,,县,黄龙县,610631000000,
sb,hl,乡镇,石堡镇,610631101000,
bm,hl,乡镇,白马滩镇,610631102000,
sbc,sb,村,石堡村,610631101201,
g1,sbc,组,一组,61063110120101,
";

fn count(data: &Path, sql: &str) -> i64 {
    let conn = Connection::open(data.join("linkage.db")).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn directive_issue_from_the_server_lands_in_the_feed_and_bad_input_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(dir.path().join("nodes.csv"), NODES).unwrap();
    let nodes = dir.path().join("nodes.csv");
    assert!(cli(&data, &["import", "--nodes", nodes.to_str().unwrap()]).status.success());
    for (id, role, node) in [("cs1", "county_staff", "hl"), ("ts1", "township_staff", "sb"), ("lh1", "liaison_head", "g1")] {
        let out = cli(&data, &["user", "add", "--id", id, "--name", "干部", "--role", role, "--node", node, "--password", "password-9"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let db = data.clone();
    let feed = || count(&db, "SELECT count(*) FROM changes");
    let stored = || count(&db, "SELECT count(*) FROM directives");
    let before = feed();

    let issue = |extra: &[&str]| {
        let mut args = vec!["directive", "issue"];
        args.extend_from_slice(extra);
        cli(&data, &args)
    };
    let base = ["--as", "ts1", "--target", "sb", "--title", "森林火险橙色预警", "--body", "严禁野外用火，联户长逐户告知"];
    // Each bad input: refused with a Chinese message, nothing stored, nothing in the feed.
    for (extra, expected) in [
        (vec!["--kind", "命令"], "指令类型"),
        (vec!["--kind", "任务"], "任务须填写办结时限"),
        (vec!["--kind", "任务", "--due", "明天"], "办结时限格式有误"),
        (vec!["--kind", "任务", "--due", "2020-01-01 08:00"], "办结时限必须晚于现在"),
    ] {
        let mut args = base.to_vec();
        args.extend(extra.iter().copied());
        let out = issue(&args);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(expected), "{expected}: {}", text(&out.stderr));
    }
    let out = issue(&["--as", "ts1", "--target", "bm", "--kind", "预警", "--title", "t", "--body", "b"]);
    assert!(text(&out.stderr).contains("不在该账号的辖区内"), "{}", text(&out.stderr));
    let out = issue(&["--as", "lh1", "--target", "g1", "--kind", "通知", "--title", "t", "--body", "b"]);
    assert!(text(&out.stderr).contains("只有县、乡镇干部或村支部可以下达指令"), "{}", text(&out.stderr));
    let out = issue(&["--as", "nobody", "--target", "sb", "--kind", "通知", "--title", "t", "--body", "b"]);
    assert!(text(&out.stderr).contains("找不到账号"), "{}", text(&out.stderr));
    let out = issue(&["--as", "ts1", "--target", "zz", "--kind", "通知", "--title", "t", "--body", "b"]);
    assert!(text(&out.stderr).contains("找不到目标节点"), "{}", text(&out.stderr));
    let out = issue(&["--as", "ts1", "--target", "sb", "--kind", "通知", "--title", " ", "--body", "b"]);
    assert!(text(&out.stderr).contains("标题不能为空"), "{}", text(&out.stderr));
    assert_eq!((stored(), feed()), (0, before), "nothing stored after refusals");

    // A good one: stored, one directive_issued change in the feed, audited with the operator.
    let mut args = base.to_vec();
    args.extend(["--kind", "预警", "--due", "2099-12-03 18:00"]);
    let out = issue(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("指令已下达"), "{}", text(&out.stdout));
    assert_eq!(stored(), 1);
    assert_eq!(feed(), before + 1);
    assert_eq!(count(&data, "SELECT count(*) FROM changes WHERE json_extract(op_json, '$.kind') = 'directive_issued'"), 1);
    assert_eq!(count(&data, "SELECT count(*) FROM audit_log WHERE action = 'directive_issued'"), 1);
}
