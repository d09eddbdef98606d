//! A real sync server for phone ↔ server tests: `linkage-server`'s router on a loopback port, loaded with the same
//! fixture county the phones' unit tests use, over the storage the suite runs on: the embedded SQLite in a
//! temporary data directory, or — when `LINKAGE_TEST_DATABASE` names a PostgreSQL cluster (scripts/test.sh's
//! second run) — a database of its own on that cluster (blobs still in the data directory), so every phone ↔
//! server rule is proven on both backends. The server runs on a runtime of its own so a test can kill it (every
//! task and connection dropped mid-flight, as a crash would) and start it again on the same port and storage.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use linkage_core::clock::SystemClock;
use linkage_core::sync::{RetryPolicy, SyncLimits};
use linkage_core::FieldApp;
use linkage_protocol::wire::Bundle;
use linkage_server::import;
use linkage_server::storage::Storage;

use crate::common::fixture_path;

/// Every fixture user's password on the test server.
pub const PASSWORD: &str = "测试口令-2026";

/// A running (or killed) server.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The data directory (SQLite's database file; the blob folder on both backends, shared by [`Self::another`]).
    pub dir: Arc<tempfile::TempDir>,
    /// The server's PostgreSQL database (`LINKAGE_TEST_DATABASE` set), else `None` (SQLite in `dir`).
    pub database: Option<String>,
    runtime: Option<tokio::runtime::Runtime>,
    storage: Option<Arc<dyn Storage>>,
}

impl TestServer {
    /// A fresh server with the fixture county (nodes, households) and its users, passwords [`PASSWORD`].
    pub fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let (storage, database) = linkage_server::storage::open_for_test(dir.path());
        let bundle: Bundle = serde_json::from_str(&std::fs::read_to_string(fixture_path()).unwrap()).unwrap();
        import::import_bundle(storage.as_ref(), bundle, &linkage_server::auth::hash_password(PASSWORD).unwrap()).unwrap();
        drop(storage);
        let mut server = TestServer { addr: "127.0.0.1:0".parse().unwrap(), dir: Arc::new(dir), database, runtime: None, storage: None };
        server.run();
        server
    }

    /// A second server on its own port over the same PostgreSQL database and the same data directory (the
    /// blob folder every server of a deployment shares): its own connection pool, feed head and listener, as
    /// another `linkage-server serve` process would have. `None` on SQLite (one server per database file).
    pub fn another(&self) -> Option<TestServer> {
        let database = self.database.clone()?;
        let mut server = TestServer { addr: "127.0.0.1:0".parse().unwrap(), dir: self.dir.clone(), database: Some(database), runtime: None, storage: None };
        server.run();
        Some(server)
    }

    fn run(&mut self) {
        let storage = linkage_server::storage::open(self.database.as_deref(), self.dir.path()).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        // The port of a killed server may linger briefly: retry the bind. (Plain std calls: this may run
        // inside a test's async block, where blocking on another runtime is not allowed.)
        let mut bound = None;
        for _ in 0..100 {
            match std::net::TcpListener::bind(self.addr) {
                Ok(l) => {
                    bound = Some(l);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let std_listener = bound.unwrap_or_else(|| panic!("cannot bind {}", self.addr));
        std_listener.set_nonblocking(true).unwrap();
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(std_listener).unwrap()
        };
        self.addr = listener.local_addr().unwrap();
        let router = linkage_server::api::router(storage.clone());
        runtime.spawn(async move { axum::serve(listener, router).await });
        self.runtime = Some(runtime);
        self.storage = Some(storage);
    }

    /// The base URL phones connect to.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's storage (for assertions straight on the server's records).
    pub fn storage(&self) -> &dyn Storage {
        self.storage.as_deref().expect("server is running")
    }

    /// Kills the server: every task and open connection is dropped at once, as in a crash.
    pub fn kill(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
        self.storage = None;
    }

    /// Starts the server again on the same port and data directory.
    pub fn restart(&mut self) {
        assert!(self.runtime.is_none(), "kill it first");
        self.run();
    }

    /// One number from the server's database (row counts of ops, changes, ...): SQL both backends read alike.
    pub fn count(&self, sql: &str) -> i64 {
        match &self.database {
            Some(url) => linkage_server::postgres::query_i64(url, sql).unwrap_or_else(|e| panic!("{sql}: {e}")),
            None => {
                let conn = rusqlite::Connection::open(self.dir.path().join("linkage.db")).unwrap();
                conn.query_row(sql, [], |r| r.get(0)).unwrap()
            }
        }
    }

    /// The rows of `sql` from the server's database, every column text (`CAST(x AS TEXT)` for others; NULL
    /// reads as `None`): SQL both backends read alike.
    pub fn texts(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        match &self.database {
            // The synchronous client refuses to run inside a runtime (tests call this from async blocks).
            Some(url) => std::thread::scope(|s| {
                s.spawn(|| {
                    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                    let rows = client.query(sql, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
                    rows.iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect()).collect()
                })
                .join()
                .unwrap()
            }),
            None => {
                let conn = rusqlite::Connection::open(self.dir.path().join("linkage.db")).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let n = stmt.column_count();
                stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Option<String>>(i)).collect::<Result<Vec<_>, _>>())
                    .unwrap()
                    .map(Result::unwrap)
                    .collect()
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A runtime for one phone ↔ server test (the server runs on its own).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Real wall time, unix ms (the server and phones run on the system clock).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

/// A phone: its own database file and evidence directory, the system clock, fast retries.
pub struct SyncPhone {
    pub app: Arc<FieldApp>,
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
}

/// Sync limits for tests: small batches and pages (so paging is exercised), quick retries.
pub fn test_limits() -> SyncLimits {
    SyncLimits { push_batch: 3, pull_page: 4, retry: RetryPolicy { attempts: 4, base: Duration::from_millis(20), max: Duration::from_millis(200) } }
}

/// A new phone, not yet connected.
pub fn new_phone() -> SyncPhone {
    new_phone_with(test_limits())
}

pub fn new_phone_with(limits: SyncLimits) -> SyncPhone {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("linkage.db");
    let app = FieldApp::open_with(&db, Arc::new(SystemClock), limits).unwrap();
    SyncPhone { app, db, dir }
}

/// A phone whose clock the test sets (a wrong phone clock, or time passing after the last sync).
pub struct ClockedPhone {
    pub phone: SyncPhone,
    pub clock: Arc<linkage_core::clock::ManualClock>,
}

/// A phone on a manual clock starting at `device_now_ms`, connected to `url` as `user`.
pub async fn connected_phone_at(url: &str, user: &str, device_now_ms: i64) -> ClockedPhone {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("linkage.db");
    let clock = Arc::new(linkage_core::clock::ManualClock::new(device_now_ms));
    let app = FieldApp::open_with(&db, clock.clone(), test_limits()).unwrap();
    app.connect(url.into(), user.into(), PASSWORD.into()).await.unwrap();
    ClockedPhone { phone: SyncPhone { app, db, dir }, clock }
}

/// A phone connected to `url` as `user` (bundle downloaded, signed in).
pub async fn connected_phone(url: &str, user: &str) -> SyncPhone {
    let p = new_phone();
    p.app.connect(url.into(), user.into(), PASSWORD.into()).await.unwrap();
    p
}

/// Signs in over plain HTTP and returns the device token.
pub async fn raw_token(url: &str, user: &str, device: &str) -> String {
    use linkage_protocol::sync::{paths, SignInRequest, SignInResponse};
    let req = SignInRequest { user_id: user.into(), password: PASSWORD.into(), device_id: device.into(), device_name: String::new(), device_secret: String::new() };
    let resp = reqwest::Client::new().post(format!("{url}{}", paths::SIGN_IN)).json(&req).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.json::<SignInResponse>().await.unwrap().token
}
