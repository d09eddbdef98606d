//! A phone meeting the server's account protections: an initial password changed on first sign-in, the
//! password policy checked before anything is sent, a locked account and a throttled sign-in told in plain
//! zh-CN, and a refused clear-text server address.

use linkage_core::error::ErrorCode;
use linkage_core::ApiError;

use crate::server::*;

#[test]
fn an_initial_password_is_changed_at_the_first_sign_in() {
    let rt = runtime();
    let server = TestServer::start();
    let hash = linkage_server::auth::hash_password("initial-Pass-1").unwrap();
    server.storage().set_password("lh", &hash, true, now_ms()).unwrap();
    rt.block_on(async {
        let phone = new_phone();
        let err = phone.app.connect(server.url(), "lh".into(), "initial-Pass-1".into()).await.unwrap_err();
        assert!(matches!(err, ApiError::PasswordChangeRequired), "{err:?}");
        let words = err.describe("zh-CN".into());
        assert_eq!(words.message, "首次登录需要修改初始密码");
        // A weak new password is refused on the phone, in the user's words; nothing reaches the server.
        let weak = phone.app.connect_with_new_password(server.url(), "lh".into(), "initial-Pass-1".into(), "12345".into()).await.unwrap_err();
        assert!(matches!(&weak, ApiError::InvalidInput { field, .. } if field == "new_password"), "{weak:?}");
        assert_eq!(weak.describe("zh-CN".into()).message, "「新密码」填写有误");
        let session = phone
            .app
            .connect_with_new_password(server.url(), "lh".into(), "initial-Pass-1".into(), "一组联户长-2026年".into())
            .await
            .unwrap();
        assert_eq!(session.user_id, "lh");
        phone.app.sync(None).await.unwrap();
        assert!(!server.storage().account("lh").unwrap().unwrap().must_change_password);
        // The phone enrolled under its own enrolment id, bound to its secret — not the id in its HLCs.
        let devices = server.storage().devices(Some("lh")).unwrap();
        assert_eq!(devices.len(), 1);
        assert!(devices[0].bound);
        let hlc_node: String = rusqlite::Connection::open(&phone.db)
            .unwrap()
            .query_row("SELECT value FROM meta WHERE key = 'device_id'", [], |r| r.get(0))
            .unwrap();
        assert_ne!(devices[0].device_id, hlc_node);
    });
}

#[test]
fn a_locked_account_and_a_clear_text_address_are_explained() {
    let rt = runtime();
    let server = TestServer::start();
    for _ in 0..10 {
        server.storage().sign_in_failed("gw", 10).unwrap();
    }
    rt.block_on(async {
        let phone = new_phone();
        let err = phone.app.connect(server.url(), "gw".into(), PASSWORD.into()).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::AccountLocked, "{err:?}");
        assert_eq!(err.describe("zh-CN".into()).message, "账号已被锁定或停用");
        let err = phone.app.connect("http://192.168.1.20:8080".into(), "gw".into(), PASSWORD.into()).await.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InsecureConnection, "{err:?}");
        assert_eq!(err.describe("zh-CN".into()).next_step, "请使用以 https:// 开头的服务器地址");
    });
}
