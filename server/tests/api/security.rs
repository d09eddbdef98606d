//! Accounts and operations under attack (security issue items 2, 3, 6, 9): brute force slowed then locked (and
//! unlocked), one answer for unknown and known accounts, device takeover refused, the revoked-device answer only
//! after a right password, a lost refresh answer that does not lock the phone out, password change and `user
//! disable` ending tokens, the per-device work cap, and the audit trail catching edited and deleted rows.

use std::time::Duration;

use linkage_protocol::sync::{paths, ChangePasswordRequest, ErrorBody, OpOutcome, SignInRequest, SignInResponse};
use linkage_server::api::Config;
use linkage_server::guard::Limits;
use linkage_server::storage::Storage;

use crate::common::*;

fn fast_limits() -> Limits {
    Limits {
        free_account_failures: 3,
        free_address_failures: 1_000,
        base_delay_ms: 100,
        max_delay_ms: 200,
        lock_after: 6,
        ..Limits::default()
    }
}

async fn sign_in(s: &TestServer, user: &str, password: &str, device: &str, secret: &str) -> (u16, Option<ErrorBody>, Option<SignInResponse>) {
    let req = SignInRequest { user_id: user.into(), password: password.into(), device_id: device.into(), device_name: "测试机".into(), device_secret: secret.into() };
    let resp = s.http.post(s.url(paths::SIGN_IN)).json(&req).send().await.unwrap();
    let status = resp.status().as_u16();
    if status == 200 {
        (status, None, Some(resp.json().await.unwrap()))
    } else {
        (status, Some(resp.json().await.unwrap()), None)
    }
}

/// The codes of a run of wrong passwords for `user`, waiting out each delay the server asks for (Retry-After is
/// whole seconds; these limits are 100–200 ms, so the test waits 250 ms).
async fn failures(s: &TestServer, user: &str) -> Vec<String> {
    let mut codes = Vec::new();
    for _ in 0..6 {
        let (_, body, _) = sign_in(s, user, "wrong-password-1", "dev-x", "").await;
        let code = body.unwrap().code;
        if code == "rate_limited" {
            codes.push(code);
            tokio::time::sleep(Duration::from_millis(250)).await;
            let (_, body, _) = sign_in(s, user, "wrong-password-1", "dev-x", "").await;
            codes.push(body.unwrap().code);
        } else {
            codes.push(code);
        }
    }
    codes
}

#[tokio::test]
async fn brute_force_is_slowed_then_locked_and_unknown_ids_answer_alike() {
    let s = start_with_config(Config { limits: fast_limits(), ..Config::default() }).await;
    let known = failures(&s, "ts1").await;
    assert_eq!(
        known,
        ["unauthorized", "unauthorized", "unauthorized", "rate_limited", "unauthorized", "rate_limited", "unauthorized", "rate_limited", "account_locked"],
        "three free tries, then a delay before each, locked at the sixth"
    );
    // Right after the lock-out the account is still in its delay: 429 says how long to wait.
    let resp = s.http.post(s.url(paths::SIGN_IN)).json(&SignInRequest {
        user_id: "ts1".into(), password: PASSWORD.into(), device_id: "dev-ts1".into(), device_name: String::new(), device_secret: String::new(),
    }).send().await.unwrap();
    assert_eq!(resp.status(), 429);
    assert!(resp.headers().get("retry-after").is_some(), "429 says how long to wait");
    // An unknown id goes through the very same answers (its attempts cost the same argon2 run).
    assert_eq!(failures(&s, "nobody").await, known);
    tokio::time::sleep(Duration::from_millis(250)).await;
    // Locked: even the right password is refused, until an administrator unlocks the account.
    let (status, body, _) = sign_in(&s, "ts1", PASSWORD, "dev-ts1", "").await;
    assert_eq!((status, body.unwrap().code.as_str()), (403, "account_locked"));
    assert!(s.storage.account("ts1").unwrap().unwrap().locked);
    assert!(s.storage.unlock_user("ts1").unwrap());
    tokio::time::sleep(Duration::from_millis(250)).await;
    let (status, _, signed) = sign_in(&s, "ts1", PASSWORD, "dev-ts1", "").await;
    assert_eq!(status, 200);
    assert_eq!(signed.unwrap().user_id, "ts1");
    assert_eq!(s.storage.account("ts1").unwrap().unwrap().failed_sign_ins, 0);
    // Other accounts were never slowed by ts1's failures.
    assert_eq!(sign_in(&s, "gw1", PASSWORD, "dev-gw1", "").await.0, 200);

    // The audit trail has every failure, the lock-out and the sign-ins.
    let rows = s.storage.audit_rows(0, i64::MAX).unwrap();
    let count = |action: &str, subject: &str| rows.iter().filter(|r| r.action == action && r.subject == subject).count();
    assert_eq!(count("sign_in_failed", "ts1"), 7, "six wrong passwords and the right one while locked");
    assert_eq!(count("account_locked", "ts1"), 1);
    assert_eq!(count("sign_in_throttled", "ts1"), 4);
    assert_eq!(rows.iter().filter(|r| r.action == "sign_in" && r.actor == "ts1").count(), 1);
    assert!(rows.iter().all(|r| !r.detail.contains("wrong-password") && !r.detail.contains(PASSWORD)), "no password is recorded");
    assert_eq!(s.storage.audit_verify().unwrap().problem, None);
}

#[tokio::test]
async fn failures_from_one_address_slow_every_account_from_it() {
    let limits = Limits { free_account_failures: 100, free_address_failures: 4, base_delay_ms: 60_000, ..fast_limits() };
    let s = start_with_config(Config { limits, ..Config::default() }).await;
    for user in ["ts1", "ts2", "gw1", "nobody"] {
        assert_eq!(sign_in(&s, user, "wrong-password-1", "dev-x", "").await.0, 401);
    }
    let (status, body, _) = sign_in(&s, "lh1", PASSWORD, "dev-lh1", "").await;
    assert_eq!((status, body.unwrap().code.as_str()), (429, "rate_limited"), "the address is throttled, whichever account");
}

#[tokio::test]
async fn a_device_cannot_be_taken_over_and_a_revoked_one_is_told_only_after_a_right_password() {
    let s = start().await;
    let (status, _, owner) = sign_in(&s, "cs", PASSWORD, "phone-cs", "secret-of-cs-phone").await;
    assert_eq!(status, 200);
    let owner = owner.unwrap().token;
    // A liaison head who learned the id: a wrong password tells nothing; a right one is refused the device.
    let (status, body, _) = sign_in(&s, "lh1", "wrong-password-1", "phone-cs", "").await;
    assert_eq!((status, body.unwrap().code.as_str()), (401, "unauthorized"));
    for secret in ["", "guessed-secret"] {
        let (status, body, _) = sign_in(&s, "lh1", PASSWORD, "phone-cs", secret).await;
        assert_eq!((status, body.unwrap().code.as_str()), (409, "device_taken"));
    }
    // The owner's session goes on; the device is still the owner's.
    assert_eq!(s.pull(&owner, 0, 10).await.changes.len(), 0);
    let devices = s.storage.devices(Some("cs")).unwrap();
    assert_eq!((devices.len(), devices[0].bound), (1, true));
    assert!(s.storage.devices(Some("lh1")).unwrap().is_empty());
    // The same installation (its secret) may enrol another user (a phone handed over).
    assert_eq!(sign_in(&s, "ts1", PASSWORD, "phone-cs", "secret-of-cs-phone").await.0, 200);
    let rows = s.storage.audit_rows(0, i64::MAX).unwrap();
    assert_eq!(rows.iter().filter(|r| r.action == "device_takeover_refused" && r.actor == "lh1").count(), 2);

    // Revoked: a wrong password is just wrong; the wipe order comes only with the right one.
    assert!(s.storage.revoke_device("phone-cs").unwrap());
    let (status, body, _) = sign_in(&s, "ts1", "wrong-password-1", "phone-cs", "secret-of-cs-phone").await;
    let body = body.unwrap();
    assert_eq!((status, body.code.as_str(), body.wipe), (401, "unauthorized", false));
    let (status, body, _) = sign_in(&s, "ts1", PASSWORD, "phone-cs", "secret-of-cs-phone").await;
    let body = body.unwrap();
    assert_eq!((status, body.code.as_str(), body.wipe), (401, "device_revoked", true));
    // Someone else naming the revoked id gets no wipe order either: it is not their device.
    let (status, body, _) = sign_in(&s, "lh1", PASSWORD, "phone-cs", "").await;
    assert_eq!((status, body.unwrap().wipe), (409, false));
}

#[tokio::test]
async fn a_lost_refresh_answer_does_not_lock_the_phone_out() {
    let s = start().await;
    let old = s.token("gw1").await;
    let refresh = |token: String| {
        let (http, url) = (s.http.clone(), s.url(paths::REFRESH));
        async move { http.post(url).bearer_auth(token).send().await.unwrap() }
    };
    // The server commits a new token but the answer never reaches the phone.
    let lost = refresh(old.clone()).await;
    assert_eq!(lost.status(), 200);
    let lost: SignInResponse = lost.json().await.unwrap();
    drop(lost);
    // The phone still holds the old token: it works, and refreshing again gives another new token.
    assert_eq!(s.pull(&old, 0, 10).await.changes.len(), 0);
    let again = refresh(old.clone()).await;
    assert_eq!(again.status(), 200);
    let fresh: SignInResponse = again.json().await.unwrap();
    // The first use of the new token ends the old one (and the unused one from the lost answer).
    assert_eq!(s.pull(&fresh.token, 0, 10).await.changes.len(), 0);
    let resp = s.http.get(s.url(paths::PULL)).bearer_auth(&old).send().await.unwrap();
    assert_eq!(resp.status(), 401);
    let resp = refresh(old).await;
    assert_eq!(resp.status(), 401);
    let rows = s.storage.audit_rows(0, i64::MAX).unwrap();
    assert_eq!(rows.iter().filter(|r| r.action == "token_refreshed" && r.actor == "gw1").count(), 2);
}

#[tokio::test]
async fn a_password_change_ends_every_token_and_disable_wipes_the_devices() {
    let s = start().await;
    let (_, _, a) = sign_in(&s, "gw1", PASSWORD, "phone-a", "secret-a").await;
    let (_, _, b) = sign_in(&s, "gw1", PASSWORD, "phone-b", "secret-b").await;
    let (a, b) = (a.unwrap().token, b.unwrap().token);
    let change = ChangePasswordRequest {
        user_id: "gw1".into(),
        password: PASSWORD.into(),
        new_password: "gw1".to_string() + "-and-more-9",
        device_id: "phone-a".into(),
        device_name: String::new(),
        device_secret: "secret-a".into(),
    };
    let resp = s.http.post(s.url(paths::CHANGE_PASSWORD)).json(&change).send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.json::<ErrorBody>().await.unwrap().code, "weak_password");
    let change = ChangePasswordRequest { new_password: "新密码-Strong-2026".into(), ..change };
    let resp = s.http.post(s.url(paths::CHANGE_PASSWORD)).json(&change).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let fresh: SignInResponse = resp.json().await.unwrap();
    for old in [&a, &b] {
        let resp = s.http.get(s.url(paths::PULL)).bearer_auth(old).send().await.unwrap();
        let body: ErrorBody = resp.json().await.unwrap();
        assert_eq!((body.code.as_str(), body.wipe), ("unauthorized", false), "signed out, not wiped");
    }
    assert_eq!(s.pull(&fresh.token, 0, 10).await.changes.len(), 0);
    assert_eq!(sign_in(&s, "gw1", PASSWORD, "phone-b", "secret-b").await.0, 401, "the old password is gone");
    let devices = s.storage.devices(Some("gw1")).unwrap();
    assert_eq!(devices.iter().map(|d| d.signed_out).collect::<Vec<_>>(), [false, true], "phone-a signed in anew, phone-b out");

    // Disabled: every device is told to wipe; the account cannot sign in (told only after the right password).
    assert_eq!(s.storage.disable_user("gw1").unwrap(), Some(2));
    let resp = s.http.get(s.url(paths::PULL)).bearer_auth(&fresh.token).send().await.unwrap();
    assert!(resp.json::<ErrorBody>().await.unwrap().wipe);
    let (status, body, _) = sign_in(&s, "gw1", "新密码-Strong-2026", "phone-c", "secret-c").await;
    assert_eq!((status, body.unwrap().code.as_str()), (403, "account_locked"));
    assert_eq!(sign_in(&s, "gw1", "wrong-password-1", "phone-c", "secret-c").await.0, 401);
}

#[tokio::test]
async fn an_initial_password_must_be_changed_first() {
    let s = start().await;
    let hash = linkage_server::auth::hash_password("initial-Pass-1").unwrap();
    assert_eq!(s.storage.set_password("lh1", &hash, true, now_ms()).unwrap(), 0);
    let (status, body, _) = sign_in(&s, "lh1", "initial-Pass-1", "phone-l", "s").await;
    assert_eq!((status, body.unwrap().code.as_str()), (403, "password_change_required"));
    // A wrong password is only that, initial or not.
    assert_eq!(sign_in(&s, "lh1", "initial-Pass-2", "phone-l", "s").await.0, 401);
    let change = ChangePasswordRequest {
        user_id: "lh1".into(),
        password: "initial-Pass-1".into(),
        new_password: "我家在一组-2026号".into(),
        device_id: "phone-l".into(),
        device_name: String::new(),
        device_secret: "s".into(),
    };
    let resp = s.http.post(s.url(paths::CHANGE_PASSWORD)).json(&change).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(sign_in(&s, "lh1", "我家在一组-2026号", "phone-l", "s").await.0, 200);
}

#[tokio::test]
async fn each_device_has_a_work_cap() {
    let limits = Limits { ops_per_minute: 3, requests_per_minute: 1_000, ..Limits::default() };
    let s = start_with_config(Config { limits, ..Config::default() }).await;
    let lh1 = s.token("lh1").await;
    let ops: Vec<_> = (0..3).map(|i| report("lh1", &format!("cap-{i}"), "h1")).collect();
    assert!(s.push(&lh1, ops).await.results.iter().all(|r| r.outcome == OpOutcome::Applied));
    let resp = s
        .http
        .post(s.url(paths::PUSH))
        .bearer_auth(&lh1)
        .json(&linkage_protocol::sync::PushRequest { ops: vec![report("lh1", "cap-3", "h1")] })
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    let secs: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    assert_eq!(resp.json::<ErrorBody>().await.unwrap().code, "rate_limited");
    // Another device is not affected.
    let ts1 = s.token("ts1").await;
    assert_eq!(s.push(&ts1, vec![]).await.results.len(), 0);
}

#[tokio::test]
async fn the_audit_trail_finds_edited_and_deleted_rows() {
    let s = start().await;
    let cs = s.token("cs").await;
    let resp = s.http.get(s.url(&format!("{}?node=t1", paths::BUNDLE))).bearer_auth(&cs).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let _ = s.token("ts1").await;
    let _ = sign_in(&s, "ts1", "wrong-password-1", "dev-x", "").await;
    let rows = s.storage.audit_rows(0, i64::MAX).unwrap();
    let bundle = rows.iter().find(|r| r.action == "bundle_download").unwrap();
    assert_eq!((bundle.actor.as_str(), bundle.subject.as_str(), bundle.address.as_str()), ("cs", "t1", "127.0.0.1"));
    assert!(bundle.detail.contains("\"households\":1"), "{}", bundle.detail);
    let v = s.storage.audit_verify().unwrap();
    assert_eq!((v.rows, v.problem), (rows.len() as u64, None));

    if crate::common::sqlite_only("the rest edits the SQLite file") {
        return;
    }
    let db = rusqlite::Connection::open(s.dir.path().join("linkage.db")).unwrap();
    // Edited: someone hides who downloaded the bundle.
    db.execute("UPDATE audit_log SET actor = 'ts2' WHERE action = 'bundle_download'", []).unwrap();
    let problem = s.storage.audit_verify().unwrap().problem;
    assert_eq!(problem, Some(linkage_server::audit::Problem::Altered { seq: bundle.seq }));
    db.execute("UPDATE audit_log SET actor = 'cs' WHERE action = 'bundle_download'", []).unwrap();
    assert_eq!(s.storage.audit_verify().unwrap().problem, None, "restored");
    // Deleted: the failed sign-in disappears.
    let failed = rows.iter().find(|r| r.action == "sign_in_failed").unwrap().seq;
    db.execute("DELETE FROM audit_log WHERE seq = ?1", [failed]).unwrap();
    let v = s.storage.audit_verify().unwrap();
    if failed == rows.last().unwrap().seq {
        // The newest row: the shorter chain is valid; its head differs from the one logged before.
        assert_eq!(v.head.unwrap().0, failed - 1);
    } else {
        assert_eq!(v.problem, Some(linkage_server::audit::Problem::Missing { from: failed, to: failed }));
    }
    // Deleting a row in the middle and re-linking the next one is caught too (its hash covers the link).
    db.execute("DELETE FROM audit_log WHERE seq = 1", []).unwrap();
    db.execute("UPDATE audit_log SET prev_hash = ?1 WHERE seq = 2", [linkage_server::audit::GENESIS]).unwrap();
    db.execute("UPDATE audit_log SET seq = 1 WHERE seq = 2", []).unwrap();
    assert_eq!(s.storage.audit_verify().unwrap().problem, Some(linkage_server::audit::Problem::Altered { seq: 1 }));
}

#[test]
fn audit_prune_keeps_the_chain_verifiable() {
    let dir = tempfile::tempdir().unwrap();
    let storage = linkage_server::sqlite::SqliteStorage::open(dir.path()).unwrap();
    let day = 24 * 3600 * 1000_i64;
    for i in 0..5 {
        let e = linkage_server::audit::Event::new("cli:op", linkage_server::audit::Action::Import, format!("file-{i}"), "");
        storage.audit(&e, i * 100 * day).unwrap();
    }
    // Rows of days 0, 100 and 200 are older than 180 days at day 400 - 180 = 220.
    assert_eq!(storage.audit_prune(220 * day, 400 * day).unwrap(), 3);
    let v = storage.audit_verify().unwrap();
    assert_eq!((v.rows, v.problem), (3, None), "two kept rows and the prune's own record");
    let rows = storage.audit_rows(0, i64::MAX).unwrap();
    assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [4, 5, 6]);
    assert_eq!(rows[2].action, "audit_pruned");
    // Deleting the oldest kept row is not mistaken for a prune.
    let db = rusqlite::Connection::open(dir.path().join("linkage.db")).unwrap();
    db.execute("DELETE FROM audit_log WHERE seq = 4", []).unwrap();
    assert_eq!(storage.audit_verify().unwrap().problem, Some(linkage_server::audit::Problem::Missing { from: 4, to: 4 }));
}
