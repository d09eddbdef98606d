//! The offline sync engine (DESIGN §8): push the outbox in batches, upload the evidence blobs the server lacks,
//! pull the scoped change feed page by page — each page applied in one transaction with its cursor — and
//! estimate the server clock's offset at every exchange. A rejected operation is quarantined with its reason
//! and the rest go on; a revoked device wipes itself. Progress is reported per phase for the sync bar.

pub mod backoff;
pub mod http;
pub mod pinning;
pub mod schedule;

use std::sync::{Mutex, MutexGuard};

use linkage_protocol::wire::Operation;
use linkage_protocol::sync::{
    paths, BlobsMissingRequest, BlobsMissingResponse, ChangePasswordRequest, OpOutcome, PullResponse, PushRequest, PushResponse,
    SignInRequest, SignInResponse,
};

use crate::error::{Error, Result};
use crate::store::{PhotoSize, Session, Store};
pub use backoff::RetryPolicy;
pub use http::ServerClient;

/// Which part of a sync is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncPhase {
    /// Sending queued operations.
    Push,
    /// Uploading evidence photos.
    Upload,
    /// Receiving changes.
    Pull,
    /// Enrolment: storing the scope's households (`done` of `total` stored).
    Households,
}

/// Receives progress while a sync runs (the shell's sync bar). Called from a background thread.
///
/// A callback that throws cannot hurt the sync: the exception reaches the core as a [`CallbackError`] (never a
/// panic across the FFI), is logged, the observer is not called again during that sync, and the sync finishes.
#[uniffi::export(with_foreign)]
pub trait SyncObserver: Send + Sync {
    /// `done` of `total` items of `phase` are finished (`total` may grow while pulling).
    fn on_progress(&self, phase: SyncPhase, done: u64, total: u64) -> Result<(), CallbackError>;
}

/// A shell callback failed (a Kotlin or Swift exception thrown inside an observer). The core logs it and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum CallbackError {
    /// The callback threw; `reason` is the exception's text.
    #[error("the callback failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for CallbackError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CallbackError::Failed { reason: e.reason }
    }
}

/// Calls a shell observer safely: after its first failure (logged once) it is not called again, and the
/// failure never reaches the operation that reports through it.
pub(crate) struct GuardedObserver<'a> {
    observer: Option<&'a dyn SyncObserver>,
    failed: std::sync::atomic::AtomicBool,
}

impl<'a> GuardedObserver<'a> {
    pub(crate) fn new(observer: Option<&'a dyn SyncObserver>) -> Self {
        GuardedObserver { observer, failed: std::sync::atomic::AtomicBool::new(false) }
    }

    pub(crate) fn progress(&self, phase: SyncPhase, done: u64, total: u64) {
        use std::sync::atomic::Ordering;
        let Some(o) = self.observer else { return };
        if self.failed.load(Ordering::Relaxed) {
            return;
        }
        if let Err(e) = o.on_progress(phase, done, total) {
            self.failed.store(true, Ordering::Relaxed);
            // Logged without personal data (the first line of the shell's exception); the sync goes on.
            let first_line = e.to_string().lines().next().unwrap_or_default().to_string();
            eprintln!("linkage-core: the sync observer failed and is ignored for the rest of this sync: {first_line}");
        }
    }

    /// Whether the observer failed during this operation.
    pub(crate) fn failed(&self) -> bool {
        self.failed.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// A token with less than this left (server time) is refreshed at the start of a sync: 10 days.
pub const TOKEN_REFRESH_WINDOW_MS: i64 = 10 * 24 * 3600 * 1000;

/// Sizes of one sync's exchanges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncLimits {
    pub push_batch: u32,
    pub pull_page: u32,
    pub retry: RetryPolicy,
}

impl Default for SyncLimits {
    fn default() -> Self {
        SyncLimits { push_batch: 200, pull_page: 500, retry: RetryPolicy::default() }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncOutcome {
    pub pushed: u32,
    pub duplicates: u32,
    pub rejected: u32,
    pub uploaded: u32,
    pub pulled: u32,
    pub clock_offset_ms: i64,
    /// Request body bytes sent (compressed), for the wire-size benchmark.
    pub bytes_sent: u64,
    /// The shell's progress observer threw during the sync (logged; the sync went on without it).
    pub observer_failed: bool,
}

fn lock(store: &Mutex<Store>) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// Signs the user in on the server for this device, stores the token, loads the scope's bundle and signs the
/// user in locally. The households stored so far go to `observer` ([`SyncPhase::Households`]). With
/// `new_password`, the password is changed on the way (required when the server answers
/// `PasswordChangeRequired` for an initial password); it must meet the shared password policy.
/// The two steps, [`sign_in_device`] then [`download_scope`].
pub async fn connect(
    store: &Mutex<Store>,
    server_url: &str,
    user_id: &str,
    password: &str,
    new_password: Option<&str>,
    retry: RetryPolicy,
    observer: Option<&dyn SyncObserver>,
) -> Result<Session> {
    let signed = sign_in_device(store, server_url, user_id, password, new_password, retry).await?;
    download_scope(store, signed, observer).await
}

/// A device signed in on the server, its scope not downloaded yet: the first half of [`connect`].
pub struct SignedIn {
    client: ServerClient,
    answer: SignInResponse,
    server_url: String,
    user_id: String,
}

/// The first half of [`connect`]: the password checked by the server (a password hash there, the slow part of
/// a sign-in on purpose) and a device token issued. Stores nothing on the phone yet.
pub async fn sign_in_device(
    store: &Mutex<Store>,
    server_url: &str,
    user_id: &str,
    password: &str,
    new_password: Option<&str>,
    retry: RetryPolicy,
) -> Result<SignedIn> {
    if let Some(new) = new_password {
        linkage_protocol::rules::password::check(user_id, new, Some(password))
            .map_err(|p| Error::invalid("new_password", p.words(linkage_protocol::labels::Locale::ZhCn)))?;
    }
    let client = ServerClient::new(server_url, None, retry)?;
    let (device_id, device_secret) = lock(store).enrolment_identity()?;
    let mut request = SignInRequest {
        user_id: user_id.to_string(),
        password: password.to_string(),
        device_id,
        device_name: String::new(),
        device_secret,
    };
    let send = |request: &SignInRequest| {
        let client = &client;
        let change = new_password.map(|new| ChangePasswordRequest {
            user_id: request.user_id.clone(),
            password: request.password.clone(),
            new_password: new.to_string(),
            device_id: request.device_id.clone(),
            device_name: request.device_name.clone(),
            device_secret: request.device_secret.clone(),
        });
        let request = request.clone();
        async move {
            match change {
                Some(change) => client.post::<_, SignInResponse>(paths::CHANGE_PASSWORD, &change).await,
                None => client.post::<_, SignInResponse>(paths::SIGN_IN, &request).await,
            }
        }
    };
    let answer: SignInResponse = match send(&request).await {
        Ok(answer) => answer.body,
        // The enrolment id belongs to another installation (e.g. copied with a store): take a fresh identity once.
        Err(Error::Server { status: 409, .. }) => {
            (request.device_id, request.device_secret) = lock(store).new_enrolment_identity()?;
            send(&request).await?.body
        }
        Err(e) => return Err(e),
    };
    let client = client.with_token(answer.token.clone());
    Ok(SignedIn { client, answer, server_url: server_url.trim().trim_end_matches('/').to_string(), user_id: user_id.to_string() })
}

/// The second half of [`connect`]: downloads the scope's bundle and stores it (households stored so far go to
/// `observer`), then keeps the server, the token and the clock offset and signs the user in locally.
///
/// A phone that has pulled nothing yet (cursor 0: a first enrolment) also asks for the first page of the
/// scope's change feed while the bundle downloads, and applies it (one transaction with its cursor, as the
/// first sync would) once the bundle is stored: the first sync goes on from there, one round trip and the
/// server's work on that page saved. That page is a head start only: if it fails to arrive or to apply,
/// nothing of it is kept and the first sync pulls it as usual.
pub async fn download_scope(store: &Mutex<Store>, signed: SignedIn, observer: Option<&dyn SyncObserver>) -> Result<Session> {
    let SignedIn { client, answer, server_url, user_id } = signed;
    let fresh = lock(store).sync_meta()?.cursor == 0;
    // The bundle is kept as the JSON text it arrived as (parsed once, by the store).
    let (bundle, first_page) = tokio::join!(client.get::<Box<serde_json::value::RawValue>>(paths::BUNDLE), async {
        if fresh { Some(client.pull(0, SyncLimits::default().pull_page, 0).await) } else { None }
    });
    let bundle = bundle?.body;
    let guarded = GuardedObserver::new(observer);
    let mut s = lock(store);
    s.load_bundle_with_progress(bundle.get(), &mut |done, total| guarded.progress(SyncPhase::Households, done, total))?;
    drop(bundle);
    s.set_server(&server_url, &answer.token, answer.expires_at_ms)?;
    let offset = answer.server_time_ms - s.device_now_ms();
    s.set_clock_offset(offset)?;
    if let Some(Ok(page)) = first_page {
        let page = page.body;
        // Only if nothing was pulled meanwhile (the cursor is still where the page starts).
        if s.sync_meta()?.cursor == 0 {
            if let Err(e) = s.apply_changes(&page.changes, page.next_cursor) {
                eprintln!("linkage-core: the feed's first page did not apply during enrolment; the first sync pulls it: {}", e.code().as_str());
            }
        }
    }
    s.sign_in(&user_id)
}

/// The photo of a record in scope at `size`: from this phone if it is here (own evidence or the cache — works
/// offline), else fetched from the server's scope-checked blob store, checked against its hash, given a
/// thumbnail locally (the server keeps only the full photo) and cached. A photo the server does not have yet
/// (its record arrived first) is `NotFound`; a revoked device is wiped.
pub async fn fetch_photo(store: &Mutex<Store>, hash: &str, size: PhotoSize, retry: RetryPolicy) -> Result<std::path::PathBuf> {
    let fetch = match lock(store).local_photo(hash, size)? {
        Ok(path) => return Ok(path),
        Err(fetch) => fetch,
    };
    let client = ServerClient::new(&fetch.server_url, Some(fetch.token), retry)?;
    let max = crate::photo::PhotoConfig::default().max_input_bytes;
    let bytes = match client.get_bytes(&paths::BLOB.replace("{hash}", hash), max).await {
        Ok(bytes) => bytes,
        Err(Error::DeviceRevoked) => {
            lock(store).wipe()?;
            return Err(Error::DeviceRevoked);
        }
        Err(Error::Server { status: 404, .. }) => return Err(Error::not_found("evidence", hash)),
        Err(e) => return Err(e),
    };
    lock(store).store_fetched_photo(hash, &bytes, size)
}

/// Runs one sync: push, upload, pull. Records the outcome (or the error) for the sync bar.
pub async fn run(store: &Mutex<Store>, observer: Option<&dyn SyncObserver>, limits: SyncLimits) -> Result<SyncOutcome> {
    let result = run_inner(store, observer, limits).await;
    let mut s = lock(store);
    match &result {
        Ok(_) => s.record_sync_result(None)?,
        Err(Error::DeviceRevoked) => {}
        Err(e) => s.record_sync_result(Some((e.code().as_str(), &e.to_string())))?,
    }
    result
}

async fn run_inner(store: &Mutex<Store>, observer: Option<&dyn SyncObserver>, limits: SyncLimits) -> Result<SyncOutcome> {
    let meta = lock(store).sync_meta()?;
    let (Some(url), Some(token)) = (meta.server_url, meta.token) else {
        return Err(Error::AuthRequired("this device is not connected to a server yet".into()));
    };
    let mut client = ServerClient::new(&url, Some(token), limits.retry)?;
    // Refresh the device token well before it expires (a phone may stay offline for weeks).
    let server_now = lock(store).now_ms();
    if meta.token_expires_at_ms.is_some_and(|exp| exp - server_now < TOKEN_REFRESH_WINDOW_MS) {
        match client.post::<_, SignInResponse>(paths::REFRESH, &()).await {
            Ok(fresh) => {
                lock(store).set_token(&fresh.body.token, fresh.body.expires_at_ms)?;
                client = client.with_token(fresh.body.token);
            }
            Err(Error::DeviceRevoked) => {
                lock(store).wipe()?;
                return Err(Error::DeviceRevoked);
            }
            Err(e @ (Error::AuthRequired(_) | Error::AccountLocked(_))) => return Err(e),
            // The answer was lost (or the server failed): the token this phone holds stays valid until a new one
            // is used, so the sync goes on with it and the next sync refreshes again.
            Err(e) => eprintln!("linkage-core: token refresh failed, continuing with the current token: {}", e.code().as_str()),
        }
    }
    let guarded = GuardedObserver::new(observer);
    let progress = |phase, done, total| guarded.progress(phase, done, total);
    let outcome = exchange(store, &client, &progress, limits).await;
    let outcome = outcome.map(|o| SyncOutcome { observer_failed: guarded.failed(), ..o });
    if matches!(outcome, Err(Error::DeviceRevoked)) {
        lock(store).wipe()?;
    }
    outcome
}

/// Pushes batches in outbox order with one request in flight at a time — the server folds a device's ops in
/// the order it receives them, so batches never overtake each other — while the next batch is read and
/// encoded during the current one's round trip. `next_batch` yields the following batch (empty: done);
/// `settle` gets each batch back with the server's answer and the device time it was sent at; an error from
/// either, or a failed request (after its retries), stops the push with everything unsettled still queued.
/// Async; the encoding runs on the calling task between polls of the request.
pub async fn push_batches(
    client: &ServerClient,
    device_now_ms: impl Fn() -> i64,
    mut next_batch: impl FnMut() -> Result<Vec<Operation>>,
    mut settle: impl FnMut(Vec<Operation>, http::Exchange<PushResponse>, i64) -> Result<()>,
) -> Result<()> {
    fn encode(ops: Vec<Operation>) -> Result<(Vec<Operation>, http::EncodedJson)> {
        let request = PushRequest { ops };
        let body = http::encode_json(&request)?;
        Ok((request.ops, body))
    }
    let (mut ops, mut body) = encode(next_batch()?)?;
    while !ops.is_empty() {
        let sent_at = device_now_ms();
        // `biased`: the request is handed to its connection first, then the next batch is encoded.
        let (answer, following) = tokio::join!(
            biased;
            client.post_encoded::<PushResponse>(paths::PUSH, body),
            async { encode(next_batch()?) },
        );
        settle(ops, answer?, sent_at)?;
        (ops, body) = following?;
    }
    Ok(())
}

async fn exchange(
    store: &Mutex<Store>,
    client: &ServerClient,
    progress: &(dyn Fn(SyncPhase, u64, u64) + Sync),
    limits: SyncLimits,
) -> Result<SyncOutcome> {
    let mut out = SyncOutcome::default();

    // Push the outbox, oldest first, in batches; the next batch is read and encoded during the round trip.
    let total = lock(store).outbox_counts()?.pending;
    let mut done = 0u64;
    progress(SyncPhase::Push, 0, total);
    let mut after_seq = 0i64;
    let next_batch = || -> Result<Vec<Operation>> {
        let batch = lock(store).pending_operations_after(after_seq, limits.push_batch)?;
        if let Some((seq, _)) = batch.last() {
            after_seq = *seq;
        }
        Ok(batch.into_iter().map(|(_, op)| op).collect())
    };
    let settle = |ops: Vec<Operation>, answer: http::Exchange<PushResponse>, sent_at: i64| -> Result<()> {
        out.bytes_sent += answer.request_bytes as u64;
        let mut s = lock(store);
        let received_at = s.device_now_ms();
        out.clock_offset_ms = answer.body.server_time_ms - (sent_at + received_at) / 2;
        s.set_clock_offset(out.clock_offset_ms)?;
        let mut stored = Vec::new();
        let mut handled = 0usize;
        let sent: std::collections::HashSet<&str> = ops.iter().map(|op| op.op_id.as_str()).collect();
        for result in answer.body.results {
            // Only answers about ops of this batch count (a confused server cannot settle others).
            if !sent.contains(result.op_id.as_str()) {
                continue;
            }
            handled += 1;
            match result.outcome {
                OpOutcome::Applied => {
                    out.pushed += 1;
                    stored.push(result.op_id);
                }
                OpOutcome::Duplicate => {
                    out.duplicates += 1;
                    stored.push(result.op_id);
                }
                OpOutcome::Rejected { code, message } => {
                    out.rejected += 1;
                    s.quarantine(&result.op_id, code, &message)?;
                }
            }
        }
        s.mark_pushed(&stored)?;
        drop(s);
        // An answer that settles none of the batch is a server fault (its ops stay queued for the next sync).
        if handled == 0 {
            return Err(Error::Network("the server answered without settling the batch".into()));
        }
        done += handled as u64;
        progress(SyncPhase::Push, done, total.max(done));
        Ok(())
    };
    push_batches(client, || lock(store).device_now_ms(), next_batch, settle).await?;

    // Upload the photos the server lacks (records may arrive before their photos; both end up there).
    let blobs = lock(store).pending_blobs(u32::MAX)?;
    progress(SyncPhase::Upload, 0, blobs.len() as u64);
    if !blobs.is_empty() {
        let request = BlobsMissingRequest { hashes: blobs.iter().map(|b| b.hash.clone()).collect() };
        let missing: BlobsMissingResponse = client.post(paths::BLOBS_MISSING, &request).await?.body;
        for (i, blob) in blobs.iter().enumerate() {
            // No applied record of this user cites it (its record is quarantined, or not pushed): the server
            // refuses the upload. Keep it pending; it goes once its record is applied.
            if missing.refused.contains(&blob.hash) {
                progress(SyncPhase::Upload, i as u64 + 1, blobs.len() as u64);
                continue;
            }
            if let Some(m) = missing.missing.iter().find(|m| m.hash == blob.hash) {
                let bytes = std::fs::read(&blob.path)?;
                let from = usize::try_from(m.received_bytes).unwrap_or(0).min(bytes.len());
                let path = format!("{}?offset={from}", paths::BLOB.replace("{hash}", &blob.hash));
                out.bytes_sent += (bytes.len() - from) as u64;
                client.put_bytes(&path, bytes[from..].to_vec()).await?;
                out.uploaded += 1;
            }
            lock(store).mark_uploaded(&blob.hash)?;
            progress(SyncPhase::Upload, i as u64 + 1, blobs.len() as u64);
        }
    }

    pull_pages(store, client, progress, limits, &mut out, 0).await?;
    Ok(out)
}

/// Pulls the scope's changes after the cursor, one transaction per page, estimating the clock offset at each
/// request answered at once (the first request long-polls for `wait_secs` (0: answer at once) when nothing is
/// waiting). While a page is applied the next one is already asked for, so the server's part of it overlaps
/// the store's; that request's round trip includes the apply, so it does not move the clock offset.
async fn pull_pages(
    store: &Mutex<Store>,
    client: &ServerClient,
    progress: &(dyn Fn(SyncPhase, u64, u64) + Sync),
    limits: SyncLimits,
    out: &mut SyncOutcome,
    wait_secs: u32,
) -> Result<()> {
    let mut cursor = lock(store).sync_meta()?.cursor;
    let mut pulled = 0u64;
    progress(SyncPhase::Pull, 0, 0);
    let sent_at = lock(store).device_now_ms();
    let mut page: PullResponse = client.pull(cursor, limits.pull_page, wait_secs).await?.body;
    let mut timed = Some(sent_at);
    loop {
        let more = page.has_more && page.next_cursor > cursor;
        let mut apply = || -> Result<()> {
            let mut s = lock(store);
            let received_at = s.device_now_ms();
            // A held request says nothing about the round trip: keep the offset of quick answers only.
            if let Some(sent_at) = timed.filter(|&sent_at| wait_secs == 0 || received_at - sent_at < 2_000) {
                out.clock_offset_ms = page.server_time_ms - (sent_at + received_at) / 2;
                s.set_clock_offset(out.clock_offset_ms)?;
            }
            out.pulled += s.apply_changes(&page.changes, page.next_cursor)?;
            Ok(())
        };
        let following = if more {
            // `biased`: the request is handed to its connection first, then this page is applied.
            let (following, applied) = tokio::join!(
                biased;
                client.pull(page.next_cursor, limits.pull_page, 0),
                async { apply() },
            );
            applied?;
            Some(following?.body)
        } else {
            apply()?;
            None
        };
        pulled += page.changes.len() as u64;
        progress(SyncPhase::Pull, pulled, pulled + if more { u64::from(limits.pull_page) } else { 0 });
        let Some(next) = following else { break };
        cursor = page.next_cursor;
        page = next;
        timed = None;
    }
    Ok(())
}

/// A long-polling pull for a phone in the foreground (DESIGN §11): asks the server for the scope's changes
/// after the cursor and, when there are none, lets it hold the request up to `wait_secs` (at most 30) until
/// one arrives; then pulls any further pages at once and applies each page in one transaction. Pushes
/// nothing (the sync scheduler runs [`run`] after local writes). Returns what was pulled; a revoked device
/// is wiped. Async; holds no lock while waiting.
pub async fn pull_wait(store: &Mutex<Store>, observer: Option<&dyn SyncObserver>, limits: SyncLimits, wait_secs: u32) -> Result<SyncOutcome> {
    let meta = lock(store).sync_meta()?;
    let (Some(url), Some(token)) = (meta.server_url, meta.token) else {
        return Err(Error::AuthRequired("this device is not connected to a server yet".into()));
    };
    let client = ServerClient::new(&url, Some(token), limits.retry)?;
    let guarded = GuardedObserver::new(observer);
    let progress = |phase, done, total| guarded.progress(phase, done, total);
    let mut out = SyncOutcome::default();
    match pull_pages(store, &client, &progress, limits, &mut out, wait_secs.min(http::MAX_PULL_WAIT_SECS)).await {
        Err(Error::DeviceRevoked) => {
            lock(store).wipe()?;
            Err(Error::DeviceRevoked)
        }
        other => other.map(|()| SyncOutcome { observer_failed: guarded.failed(), ..out }),
    }
}
