//! Sync that runs by itself (DESIGN §11): the core owns the sync state (idle, syncing with progress, offline
//! since, needs sign-in, wiped, blocked with a reason) behind an observer, and decides when to sync with the
//! pure [`Scheduler`] — after local writes (debounced), when the app comes to the foreground, when the network
//! returns, periodically in the foreground, with backoff after failures. The shells only report lifecycle
//! and network facts (`app_foregrounded`, `app_backgrounded`, `network_changed`) and let the OS schedulers
//! (WorkManager, BGAppRefreshTask) call `run_scheduled_sync`. While the app is in the foreground one
//! background task per app (on a small runtime shared by all apps, one worker thread) runs the schedule
//! against the real clock; it holds no strong reference while it waits, so dropping the app ends it.
//! This module also delivers change notifications (`observe`) with the store lock released.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use linkage_protocol::labels::Locale;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::error::{ApiError, Error};
use crate::facade::FieldApp;
use crate::observe::{ChangeHub, ChangeObserver, Topics};
use crate::store::Store;
use crate::sync::backoff::random_u64;
use crate::sync::schedule::{SchedulePolicy, Scheduler, SyncEnd, SyncState};
use crate::sync::{self, CallbackError, SyncObserver, SyncOutcome, SyncPhase};

/// What the sync bar on every screen shows, display-ready (zh-CN, or English by locale).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SyncStatus {
    pub state: SyncState,
    /// One line: "已全部同步", "待同步 3 条", "正在同步：上传更改 3/10", "离线：更改已保存在本机", ...
    pub headline: String,
    /// Whether to show the offline chip.
    pub offline: bool,
    /// The chip's text ("离线") when offline.
    pub offline_chip: Option<String>,
    pub last_synced_at_ms: Option<i64>,
    /// "上次同步：5 分钟前" or "尚未同步" (as of when this status was made; re-query each minute).
    pub last_synced_text: String,
    /// Operations waiting to be pushed and operations the server refused.
    pub pending: u64,
    pub quarantined: u64,
    /// 0..1 while a phase with a known size runs.
    pub progress: Option<f32>,
    /// When the core will sync on its own next (device clock), if it will.
    pub next_sync_at_ms: Option<i64>,
}

/// Told about every change of the sync status. Called from the thread that changed it (a core call, the
/// sync's background thread), never while the core holds a lock. Throwing is reported as `CallbackError`.
#[uniffi::export(with_foreign)]
pub trait SyncStateObserver: Send + Sync {
    fn on_sync_state(&self, status: SyncStatus) -> Result<(), CallbackError>;
}

/// How a sync the OS scheduler started went, so it knows whether to try again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ScheduledSyncResult {
    /// Everything exchanged.
    Synced,
    /// Offline or the server failed: let the OS retry with its backoff.
    RetryLater,
    /// Nothing to do until the user signs in (never connected, sign-in required, or wiped).
    NotConnected,
}

/// The per-app automatic sync state.
pub struct AutoSync {
    pub(crate) hub: ChangeHub,
    scheduler: Mutex<Scheduler>,
    state_observer: Mutex<Option<Arc<dyn SyncStateObserver>>>,
    state_failures: AtomicU64,
    wake: Arc<Notify>,
    driver_running: AtomicBool,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AutoSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoSync").field("hub", &self.hub).field("scheduler", &self.scheduler).finish_non_exhaustive()
    }
}

impl Drop for AutoSync {
    fn drop(&mut self) {
        // Wakes the foreground task so it sees the app is gone.
        self.wake.notify_one();
    }
}

fn is_connected(store: &Store) -> bool {
    store.session().is_ok() && store.sync_meta().is_ok_and(|m| m.server_url.is_some() && m.token.is_some())
}

/// The shared runtime the foreground sync tasks run on: one worker thread for every app in the process.
fn runtime() -> Option<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Option<tokio::runtime::Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("linkage-autosync")
                .enable_all()
                .build()
                .ok()
        })
        .as_ref()
}

impl AutoSync {
    pub(crate) fn new(store: &Store, clock: Arc<dyn Clock>, policy: SchedulePolicy) -> Result<AutoSync, Error> {
        let last = store.sync_meta()?.last_sync_at_ms;
        Ok(AutoSync {
            hub: ChangeHub::default(),
            scheduler: Mutex::new(Scheduler::new(policy, is_connected(store), last)),
            state_observer: Mutex::new(None),
            state_failures: AtomicU64::new(0),
            wake: Arc::new(Notify::new()),
            driver_running: AtomicBool::new(false),
            clock,
        })
    }

    /// Wakes the foreground loop (dropping a long poll it holds).
    pub(crate) fn wake_loop(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn sched(&self) -> MutexGuard<'_, Scheduler> {
        self.scheduler.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn pick(l: Locale, zh: String, en: String) -> String {
    match l {
        Locale::ZhCn => zh,
        Locale::En => en,
    }
}

fn phase_text(phase: SyncPhase) -> (&'static str, &'static str) {
    match phase {
        SyncPhase::Push => ("上传更改", "Sending changes"),
        SyncPhase::Upload => ("上传照片", "Uploading photos"),
        SyncPhase::Pull => ("下载更新", "Receiving updates"),
        SyncPhase::Households => ("保存户数据", "Storing households"),
    }
}

/// "刚刚", "5 分钟前", "3 小时前", "2 天前".
pub(crate) fn ago(at_ms: i64, now_ms: i64, l: Locale) -> String {
    let minutes = (now_ms - at_ms).max(0) / 60_000;
    match minutes {
        0 => pick(l, "刚刚".into(), "just now".into()),
        m if m < 60 => pick(l, format!("{m} 分钟前"), format!("{m} min ago")),
        m if m < 24 * 60 => pick(l, format!("{} 小时前", m / 60), format!("{} h ago", m / 60)),
        m => pick(l, format!("{} 天前", m / (24 * 60)), format!("{} days ago", m / (24 * 60))),
    }
}

/// The sync bar's texts for a state, the outbox counts and the time.
pub(crate) fn sync_status(
    state: SyncState,
    last_synced_at_ms: Option<i64>,
    next_sync_at_ms: Option<i64>,
    pending: u64,
    quarantined: u64,
    now_ms: i64,
    l: Locale,
) -> SyncStatus {
    let mut progress = None;
    let headline = match &state {
        SyncState::Idle if pending == 0 => pick(l, "已全部同步".into(), "All changes synced".into()),
        SyncState::Idle => pick(l, format!("待同步 {pending} 条"), format!("{pending} changes waiting")),
        SyncState::Syncing { phase: None, .. } => pick(l, "正在同步…".into(), "Syncing…".into()),
        SyncState::Syncing { phase: Some(phase), done, total } => {
            let (zh, en) = phase_text(*phase);
            if *total > 0 {
                progress = Some((*done as f32 / *total as f32).clamp(0.0, 1.0));
                pick(l, format!("正在同步：{zh} {done}/{total}"), format!("Syncing: {en} {done}/{total}"))
            } else {
                pick(l, format!("正在同步：{zh}"), format!("Syncing: {en}"))
            }
        }
        SyncState::Offline { since_ms } => pick(
            l,
            format!("离线（{}起）：更改已保存在本机，联网后自动同步", ago(*since_ms, now_ms, l)),
            format!("Offline since {}: changes are kept on this phone and sync when online", ago(*since_ms, now_ms, l)),
        ),
        SyncState::NeedsSignIn { .. } => pick(l, "请重新登录以继续同步".into(), "Sign in again to keep syncing".into()),
        SyncState::Wiped => pick(l, "本机已停用，本地数据已清除".into(), "This phone was revoked; its data was deleted".into()),
        SyncState::Blocked { reason } => pick(l, format!("同步暂停：{reason}"), format!("Sync paused: {reason}")),
    };
    let offline = matches!(state, SyncState::Offline { .. });
    SyncStatus {
        headline,
        offline,
        offline_chip: offline.then(|| pick(l, "离线".into(), "Offline".into())),
        last_synced_at_ms,
        last_synced_text: match last_synced_at_ms {
            Some(at) => pick(l, format!("上次同步：{}", ago(at, now_ms, l)), format!("Last synced {}", ago(at, now_ms, l))),
            None => pick(l, "尚未同步".into(), "Never synced".into()),
        },
        pending,
        quarantined,
        progress,
        next_sync_at_ms,
        state,
    }
}

/// Forwards sync progress to the shell's observer and keeps the sync state and open screens up to date:
/// each progress report comes after a batch was settled or a page applied, with the store lock released.
pub(crate) struct Tracker<'a> {
    pub(crate) app: &'a FieldApp,
    pub(crate) inner: Option<&'a dyn SyncObserver>,
}

impl SyncObserver for Tracker<'_> {
    fn on_progress(&self, phase: SyncPhase, done: u64, total: u64) -> Result<(), CallbackError> {
        let forwarded = match self.inner {
            Some(o) => o.on_progress(phase, done, total),
            None => Ok(()),
        };
        self.app.auto.sched().progress(phase, done, total);
        let changes = self.app.store().take_changes();
        self.app.changed(changes);
        self.app.publish_state();
        forwarded
    }
}

impl FieldApp {
    /// After a core call: tell the change observer what changed; a queued operation arms the debounce.
    pub(crate) fn changed(&self, (topics, queued_op): (Topics, bool)) {
        if queued_op {
            self.auto.sched().local_write(self.auto.clock.now_ms());
            self.auto.wake.notify_one();
            self.publish_state();
        }
        // A failing observer is counted by the hub; the change is committed either way.
        let _ = self.auto.hub.notify(topics);
    }

    /// Re-reads whether the device is connected and signed in (after connect, sign-in, sign-out).
    pub(crate) fn refresh_connection(&self) {
        let connected = is_connected(&self.store());
        let now = self.auto.clock.now_ms();
        let changed = {
            let mut s = self.auto.sched();
            let changed = s.is_connected() != connected;
            if changed {
                s.set_connected(connected, now);
            }
            changed
        };
        if changed {
            self.auto.wake.notify_one();
            self.publish_state();
        }
    }

    fn status(&self) -> Result<SyncStatus, Error> {
        let (state, last, next) = {
            let s = self.auto.sched();
            (s.state().clone(), s.last_synced_at_ms(), s.next_sync_at())
        };
        let (counts, locale) = {
            let s = self.store();
            (s.outbox_counts()?, s.locale)
        };
        Ok(sync_status(state, last, next, counts.pending, counts.quarantined, self.auto.clock.now_ms(), locale))
    }

    /// Sends the current status to the sync-state observer, if any.
    pub(crate) fn publish_state(&self) {
        let observer = self.auto.state_observer.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(observer) = observer else { return };
        let Ok(status) = self.status() else { return };
        if observer.on_sync_state(status).is_err() {
            self.auto.state_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One sync with the state kept: syncing → idle / offline / needs sign-in / wiped / blocked. The caller
    /// holds `sync_lock`.
    pub(crate) async fn run_tracked_sync(&self, observer: Option<&dyn SyncObserver>) -> Result<SyncOutcome, Error> {
        self.auto.sched().sync_started(self.auto.clock.now_ms());
        self.publish_state();
        let tracker = Tracker { app: self, inner: observer };
        let result = sync::run(&self.store, Some(&tracker), self.limits).await;
        let end = match &result {
            Ok(_) => SyncEnd::Done,
            Err(e) => self.sync_end(e),
        };
        self.auto.sched().sync_finished(end, self.auto.clock.now_ms(), random_u64());
        let changes = self.store().take_changes();
        self.changed(changes);
        self.publish_state();
        result
    }

    fn ensure_driver(self: &Arc<Self>) {
        if self.auto.driver_running.swap(true, Ordering::SeqCst) {
            self.auto.wake.notify_one();
            return;
        }
        let Some(rt) = runtime() else {
            self.auto.driver_running.store(false, Ordering::SeqCst);
            return;
        };
        rt.spawn(drive(Arc::downgrade(self), self.auto.wake.clone()));
    }
}

/// What the foreground loop does next.
enum Next {
    Sleep(Duration),
    /// Hold a long poll open (the app kept alive meanwhile), at most until the next sync is due.
    LongPoll(Arc<FieldApp>, Duration),
}

/// The foreground loop: sync when the schedule says so; otherwise hold a long poll open (when the last sync
/// went through) so a change in scope — a fire alert — arrives within seconds, or sleep until the next sync;
/// a write, a lifecycle or network fact or a manual sync wakes it (and drops a running poll). Ends when the
/// app goes to the background or is dropped.
async fn drive(app: Weak<FieldApp>, wake: Arc<Notify>) {
    loop {
        let next = {
            let Some(app) = app.upgrade() else { return };
            let (foreground, next, long_poll) = {
                let s = app.auto.sched();
                (s.is_foreground(), s.next_sync_at(), s.long_poll_allowed())
            };
            if !foreground {
                app.auto.driver_running.store(false, Ordering::SeqCst);
                // Back in the foreground meanwhile, and nobody started another loop: keep this one.
                if app.auto.sched().is_foreground() && !app.auto.driver_running.swap(true, Ordering::SeqCst) {
                    continue;
                }
                return;
            }
            let now = app.auto.clock.now_ms();
            let wait = match next {
                Some(at) if at <= now => {
                    let _one_at_a_time = app.sync_lock.lock().await;
                    // A sync the user started may have just run: decide again.
                    if app.auto.sched().due(app.auto.clock.now_ms()) {
                        let _ = app.run_tracked_sync(None).await;
                    }
                    continue;
                }
                Some(at) => Duration::from_millis(u64::try_from(at - now).unwrap_or(0)),
                None => Duration::from_secs(3600),
            };
            if long_poll {
                Next::LongPoll(app, wait)
            } else {
                Next::Sleep(wait)
            }
        };
        match next {
            Next::Sleep(wait) => {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            Next::LongPoll(app, wait) => {
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                    _ = app.long_poll() => {}
                }
            }
        }
    }
}

impl FieldApp {
    /// One long poll of the change feed (pages applied and announced as they come); a failure ends it like a
    /// failed sync (offline, needs sign-in, wiped, blocked), so the schedule backs off.
    async fn long_poll(&self) {
        let _one_at_a_time = self.sync_lock.lock().await;
        let wait_secs = self.auto.sched().policy().long_poll_wait_secs;
        let tracker = Tracker { app: self, inner: None };
        let result = sync::pull_wait(&self.store, Some(&tracker), self.limits, wait_secs).await;
        let changes = self.store().take_changes();
        self.changed(changes);
        if let Err(e) = result {
            let end = self.sync_end(&e);
            self.auto.sched().sync_finished(end, self.auto.clock.now_ms(), random_u64());
            self.publish_state();
        }
    }

    fn sync_end(&self, e: &Error) -> SyncEnd {
        match e {
            Error::Network(_) => SyncEnd::Offline,
            Error::AuthRequired(reason) => SyncEnd::NeedsSignIn(reason.clone()),
            Error::DeviceRevoked => SyncEnd::Wiped,
            Error::Server { message, .. } => SyncEnd::Blocked(message.clone()),
            Error::Sqlite(_) | Error::Io(_) | Error::Corrupt(_) | Error::SchemaTooNew { .. } => {
                let locale = self.store().locale;
                SyncEnd::Blocked(pick(locale, "本机存储出错，请重启应用".into(), "local storage failed; restart the app".into()))
            }
            e => SyncEnd::Blocked(e.to_string()),
        }
    }
}

#[uniffi::export]
impl FieldApp {
    /// Registers the observer told which data changed (topics) after every local write and every pulled page,
    /// coalesced per call or page; `None` removes it. Called with no core lock held, from the thread that made
    /// the change. No I/O.
    pub fn observe_changes(&self, observer: Option<Arc<dyn ChangeObserver>>) {
        self.auto.hub.set(observer);
    }

    /// How many change notifications the observer failed (threw). No I/O.
    pub fn change_observer_failures(&self) -> u64 {
        self.auto.hub.failures()
    }

    /// Registers the sync-state observer (`None` removes it) and sends it the current status at once, on the
    /// calling thread. I/O: one DB read.
    pub fn observe_sync_state(&self, observer: Option<Arc<dyn SyncStateObserver>>) {
        *self.auto.state_observer.lock().unwrap_or_else(|e| e.into_inner()) = observer;
        self.publish_state();
    }

    /// How many sync-state notifications the observer failed (threw). No I/O.
    pub fn sync_state_observer_failures(&self) -> u64 {
        self.auto.state_failures.load(Ordering::Relaxed)
    }

    /// The sync bar's status now. I/O: one DB read.
    pub fn sync_status(&self) -> Result<SyncStatus, ApiError> {
        Ok(self.status()?)
    }

    /// The app came to the foreground: the core syncs at once, then after writes and periodically, and keeps
    /// doing so on its own background thread until `app_backgrounded`. Returns at once; any thread.
    pub fn app_foregrounded(self: Arc<Self>) {
        self.auto.sched().foregrounded(self.auto.clock.now_ms());
        self.publish_state();
        self.ensure_driver();
    }

    /// The app went to the background: the foreground loop stops. Returns whether unsynced changes remain,
    /// so the shell should ask the OS for a background sync soon (WorkManager expedited work, a
    /// BGAppRefreshTask) that calls `run_scheduled_sync`. No I/O.
    pub fn app_backgrounded(&self) -> bool {
        self.app_lock.lock().unwrap_or_else(|e| e.into_inner()).backgrounded(self.auto.clock.now_ms());
        let unsynced = self.auto.sched().backgrounded();
        self.auto.wake.notify_one();
        unsynced
    }

    /// 应用锁: whether the shell must ask for the device credential or biometrics (Android `KeyguardManager` /
    /// `BiometricPrompt`, iOS `LocalAuthentication`) before showing anything, asked each time the app comes to
    /// the foreground (after `app_foregrounded`). True at a cold start and after 5 minutes or more in the
    /// background (or a clock set back meanwhile); stays true until `app_unlocked`. A device without a screen
    /// lock cannot prompt: the shell then calls `app_unlocked` at once. No I/O; any thread.
    pub fn app_lock_required(&self) -> bool {
        self.app_lock.lock().unwrap_or_else(|e| e.into_inner()).foregrounded(self.auto.clock.now_ms())
    }

    /// The user passed the system's credential prompt. No I/O; any thread.
    pub fn app_unlocked(&self) {
        self.app_lock.lock().unwrap_or_else(|e| e.into_inner()).unlocked();
    }

    /// The network came (`true`) or went. Its return cancels the backoff and syncs at once (in the
    /// foreground). Returns at once; any thread.
    pub fn network_changed(self: Arc<Self>, available: bool) {
        self.auto.sched().network_changed(available, self.auto.clock.now_ms());
        self.publish_state();
        self.auto.wake.notify_one();
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl FieldApp {
    /// The entry point of the OS schedulers (Android WorkManager worker, iOS BGAppRefreshTask): one full sync
    /// now, with the sync state kept, whatever the debounce says. Tells the scheduler whether to retry.
    /// Async network I/O; waits for a running sync first.
    pub async fn run_scheduled_sync(&self) -> ScheduledSyncResult {
        if !self.auto.sched().is_connected() {
            return ScheduledSyncResult::NotConnected;
        }
        self.auto.wake_loop();
        let _one_at_a_time = self.sync_lock.lock().await;
        match self.run_tracked_sync(None).await {
            Ok(_) => ScheduledSyncResult::Synced,
            Err(Error::AuthRequired(_) | Error::DeviceRevoked) => ScheduledSyncResult::NotConnected,
            Err(_) => ScheduledSyncResult::RetryLater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_locks_at_start_and_after_five_minutes_away() {
        use crate::clock::ManualClock;
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_780_000_000_000));
        let app = FieldApp::open_with_clock(&dir.path().join("linkage.db"), clock.clone()).unwrap();
        assert!(app.app_lock_required(), "a cold start asks for the credential");
        app.app_unlocked();
        assert!(!app.app_lock_required());
        app.app_backgrounded();
        clock.advance_ms(4 * 60_000);
        assert!(!app.app_lock_required(), "four minutes at the camera: not asked again");
        app.app_backgrounded();
        clock.advance_ms(5 * 60_000);
        assert!(app.app_lock_required(), "five minutes away: locked");
        assert!(app.app_lock_required(), "until the prompt is passed");
        app.app_unlocked();
        app.app_backgrounded();
        clock.set(1_780_000_000_000);
        assert!(app.app_lock_required(), "a clock set back while away locks");
    }

    #[test]
    fn the_sync_bar_speaks_chinese_first() {
        let now = 1_780_000_000_000;
        let idle = sync_status(SyncState::Idle, Some(now - 5 * 60_000), None, 0, 0, now, Locale::ZhCn);
        assert_eq!((idle.headline.as_str(), idle.last_synced_text.as_str(), idle.offline_chip), ("已全部同步", "上次同步：5 分钟前", None));
        let waiting = sync_status(SyncState::Idle, None, Some(now), 3, 1, now, Locale::ZhCn);
        assert_eq!((waiting.headline.as_str(), waiting.last_synced_text.as_str()), ("待同步 3 条", "尚未同步"));
        let syncing = SyncState::Syncing { phase: Some(SyncPhase::Push), done: 3, total: 10 };
        let s = sync_status(syncing, None, None, 7, 0, now, Locale::ZhCn);
        assert_eq!((s.headline.as_str(), s.progress), ("正在同步：上传更改 3/10", Some(0.3)));
        let off = sync_status(SyncState::Offline { since_ms: now - 2 * 3_600_000 }, Some(now - 3 * 86_400_000), None, 2, 0, now, Locale::ZhCn);
        assert!(off.offline && off.offline_chip.as_deref() == Some("离线"));
        assert_eq!(off.headline, "离线（2 小时前起）：更改已保存在本机，联网后自动同步");
        assert_eq!(off.last_synced_text, "上次同步：3 天前");
        let en = sync_status(SyncState::NeedsSignIn { reason: "x".into() }, None, None, 0, 0, now, Locale::En);
        assert_eq!((en.headline.as_str(), en.last_synced_text.as_str()), ("Sign in again to keep syncing", "Never synced"));
    }
}
