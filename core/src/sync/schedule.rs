//! When to sync, decided by the core (DESIGN §11), and the sync state the shells show. The shells only report
//! facts — a local write (the core sees those itself), the app coming to the foreground or going to the
//! background, the network coming and going — and the OS schedulers call in when they run. This module is the
//! pure decision: a state machine over those events with times passed in, so every rule is tested with a
//! hand-moved clock. `autosync` runs it against the real clock and the network.
//!
//! Rules: after a local write, sync once the user pauses (debounce), but never later than a bound after the
//! first unsynced write; at once when the app comes to the foreground or the network returns; periodically
//! while in the foreground; after a failure, back off exponentially with jitter (`backoff.rs`); never while
//! the network is known to be gone, the user must sign in again, or the device was wiped.

use std::time::Duration;

use super::backoff::RetryPolicy;
use super::SyncPhase;

/// The timing rules of automatic sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulePolicy {
    /// Quiet time after the last local write before syncing it.
    pub debounce_ms: i64,
    /// The longest a write waits for the user to pause typing.
    pub max_write_delay_ms: i64,
    /// How often to sync while the app is in the foreground and nothing else asks.
    pub foreground_interval_ms: i64,
    /// Waits between failed automatic syncs (exponential with jitter; `attempts` is not used).
    pub retry: RetryPolicy,
    /// How long one long-poll request may wait for a change (seconds, at most 30).
    pub long_poll_wait_secs: u32,
}

impl Default for SchedulePolicy {
    fn default() -> Self {
        SchedulePolicy {
            debounce_ms: 3_000,
            max_write_delay_ms: 30_000,
            foreground_interval_ms: 5 * 60_000,
            retry: RetryPolicy { attempts: u32::MAX, base: Duration::from_secs(5), max: Duration::from_secs(10 * 60) },
            long_poll_wait_secs: 30,
        }
    }
}

/// Where sync stands, for the sync bar on every screen.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Nothing running; everything that could be exchanged was (see `last_synced_at_ms` of the status).
    Idle,
    /// A sync is running: `done` of `total` items of `phase` (no phase yet at the very start).
    Syncing { phase: Option<SyncPhase>, done: u64, total: u64 },
    /// The server cannot be reached since `since_ms` (no network, or it kept failing); changes stay queued.
    Offline { since_ms: i64 },
    /// The user must sign in (connect) again: never connected, password changed, token expired.
    NeedsSignIn { reason: String },
    /// The device was revoked and its local data deleted.
    Wiped,
    /// The server refuses to sync for another reason (`reason`); retried with long waits.
    Blocked { reason: String },
}

/// How a sync ended, as the scheduler needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncEnd {
    Done,
    Offline,
    NeedsSignIn(String),
    Wiped,
    Blocked(String),
}

/// The scheduling state machine. Times are the device's clock in ms.
#[derive(Debug, Clone)]
pub struct Scheduler {
    policy: SchedulePolicy,
    connected: bool,
    foreground: bool,
    network: bool,
    state: SyncState,
    last_synced_at_ms: Option<i64>,
    last_attempt_at_ms: Option<i64>,
    first_unsynced_write_ms: Option<i64>,
    last_write_ms: Option<i64>,
    /// A sync asked for "now" (foreground, network back, explicit), since this time.
    asap_since_ms: Option<i64>,
    failures: u32,
    retry_at_ms: Option<i64>,
    /// Since when the server has been out of reach (kept across the attempts that fail).
    offline_since_ms: Option<i64>,
}

impl Scheduler {
    /// A scheduler for a device that is (or is not) connected to a server, last synced at `last_synced_at_ms`.
    pub fn new(policy: SchedulePolicy, connected: bool, last_synced_at_ms: Option<i64>) -> Scheduler {
        Scheduler {
            policy,
            connected,
            foreground: false,
            network: true,
            state: if connected { SyncState::Idle } else { not_connected() },
            last_synced_at_ms,
            last_attempt_at_ms: last_synced_at_ms,
            first_unsynced_write_ms: None,
            last_write_ms: None,
            asap_since_ms: None,
            failures: 0,
            retry_at_ms: None,
            offline_since_ms: None,
        }
    }

    pub fn policy(&self) -> &SchedulePolicy {
        &self.policy
    }

    pub fn state(&self) -> &SyncState {
        &self.state
    }

    pub fn last_synced_at_ms(&self) -> Option<i64> {
        self.last_synced_at_ms
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    pub fn is_foreground(&self) -> bool {
        self.foreground
    }

    /// The device connected to a server (signed in) or lost its connection (signed out).
    pub fn set_connected(&mut self, connected: bool, now_ms: i64) {
        self.connected = connected;
        if connected {
            self.failures = 0;
            self.retry_at_ms = None;
            self.state = SyncState::Idle;
            self.asap_since_ms.get_or_insert(now_ms);
        } else if !matches!(self.state, SyncState::Wiped) {
            self.state = not_connected();
        }
    }

    /// A local write queued an operation.
    pub fn local_write(&mut self, now_ms: i64) {
        self.first_unsynced_write_ms.get_or_insert(now_ms);
        self.last_write_ms = Some(now_ms);
    }

    /// The app came to the foreground: sync now (the user is looking).
    pub fn foregrounded(&mut self, now_ms: i64) {
        self.foreground = true;
        self.asap_since_ms.get_or_insert(now_ms);
    }

    /// The app went to the background. Returns whether a background sync should be scheduled soon (by the
    /// OS scheduler) because writes are still unsynced.
    pub fn backgrounded(&mut self) -> bool {
        self.foreground = false;
        self.connected && self.first_unsynced_write_ms.is_some()
    }

    /// The network came or went. Its return cancels the backoff and syncs at once.
    pub fn network_changed(&mut self, available: bool, now_ms: i64) {
        let was = self.network;
        self.network = available;
        if available && !was {
            self.failures = 0;
            self.retry_at_ms = None;
            self.asap_since_ms.get_or_insert(now_ms);
        }
        if !available && self.connected && !matches!(self.state, SyncState::Offline { .. } | SyncState::Syncing { .. }) {
            let since_ms = *self.offline_since_ms.get_or_insert(now_ms);
            self.state = SyncState::Offline { since_ms };
        }
    }

    /// Someone asked for a sync now (the user's pull to refresh, a long poll that saw changes).
    pub fn request_now(&mut self, now_ms: i64) {
        self.asap_since_ms.get_or_insert(now_ms);
    }

    /// A sync starts: what was written so far goes with it.
    pub fn sync_started(&mut self, now_ms: i64) {
        self.state = SyncState::Syncing { phase: None, done: 0, total: 0 };
        self.asap_since_ms = None;
        self.first_unsynced_write_ms = None;
        self.last_write_ms = None;
        self.last_attempt_at_ms = Some(now_ms);
    }

    /// Progress of the running sync.
    pub fn progress(&mut self, phase: SyncPhase, done: u64, total: u64) {
        if matches!(self.state, SyncState::Syncing { .. }) {
            self.state = SyncState::Syncing { phase: Some(phase), done, total };
        }
    }

    /// A sync ended. `random` feeds the backoff jitter.
    pub fn sync_finished(&mut self, end: SyncEnd, now_ms: i64, random: u64) {
        self.last_attempt_at_ms = Some(now_ms);
        match end {
            SyncEnd::Done => {
                self.state = SyncState::Idle;
                self.last_synced_at_ms = Some(now_ms);
                self.offline_since_ms = None;
                self.failures = 0;
                self.retry_at_ms = None;
            }
            SyncEnd::Offline | SyncEnd::Blocked(_) => {
                let delay = self.policy.retry.delay(self.failures, random);
                self.failures = self.failures.saturating_add(1);
                self.retry_at_ms = Some(now_ms + i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2));
                self.state = match end {
                    SyncEnd::Blocked(reason) => {
                        self.offline_since_ms = None; // the server answered
                        SyncState::Blocked { reason }
                    }
                    _ => SyncState::Offline { since_ms: *self.offline_since_ms.get_or_insert(now_ms) },
                };
            }
            SyncEnd::NeedsSignIn(reason) => self.state = SyncState::NeedsSignIn { reason },
            SyncEnd::Wiped => {
                self.connected = false;
                self.state = SyncState::Wiped;
            }
        }
    }

    /// When the next automatic sync is due (device ms), or `None` if nothing should run on its own.
    pub fn next_sync_at(&self) -> Option<i64> {
        if !self.connected || !self.network {
            return None;
        }
        if matches!(self.state, SyncState::Syncing { .. } | SyncState::NeedsSignIn { .. } | SyncState::Wiped) {
            return None;
        }
        if let Some(asap) = self.asap_since_ms {
            return Some(asap);
        }
        let write = self
            .last_write_ms
            .zip(self.first_unsynced_write_ms)
            .map(|(last, first)| (last + self.policy.debounce_ms).min(first + self.policy.max_write_delay_ms));
        let periodic = self
            .foreground
            .then(|| self.last_attempt_at_ms.map_or(i64::MIN, |t| t + self.policy.foreground_interval_ms));
        let next = [write, periodic].into_iter().flatten().min()?;
        Some(self.retry_at_ms.map_or(next, |retry| next.max(retry)))
    }

    /// Whether a sync should start now.
    pub fn due(&self, now_ms: i64) -> bool {
        self.next_sync_at().is_some_and(|t| t <= now_ms)
    }

    /// Whether to hold a long poll open now: in the foreground, online, and the last sync went through.
    pub fn long_poll_allowed(&self) -> bool {
        self.connected && self.network && self.foreground && matches!(self.state, SyncState::Idle)
    }
}

fn not_connected() -> SyncState {
    SyncState::NeedsSignIn { reason: "not connected to a server yet".into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_780_000_000_000;

    fn policy() -> SchedulePolicy {
        SchedulePolicy {
            debounce_ms: 3_000,
            max_write_delay_ms: 30_000,
            foreground_interval_ms: 300_000,
            retry: RetryPolicy { attempts: u32::MAX, base: Duration::from_secs(5), max: Duration::from_secs(600) },
            long_poll_wait_secs: 30,
        }
    }

    fn synced(s: &mut Scheduler, now: i64) {
        assert!(s.due(now), "due at {now}: next {:?}", s.next_sync_at());
        s.sync_started(now);
        assert!(!s.due(now), "never twice at once");
        s.sync_finished(SyncEnd::Done, now + 100, 0);
    }

    #[test]
    fn writes_are_debounced_but_never_held_back_past_the_bound() {
        let mut s = Scheduler::new(policy(), true, Some(T0));
        assert_eq!(s.next_sync_at(), None, "background, nothing written: the OS scheduler's turn");
        s.local_write(T0);
        assert_eq!(s.next_sync_at(), Some(T0 + 3_000));
        // The user keeps typing every 2 s: each write pushes the sync back, up to 30 s after the first.
        for i in 1..20 {
            s.local_write(T0 + i * 2_000);
        }
        assert_eq!(s.next_sync_at(), Some(T0 + 30_000));
        assert!(!s.due(T0 + 29_999) && s.due(T0 + 30_000));
        synced(&mut s, T0 + 30_000);
        assert_eq!((s.state(), s.last_synced_at_ms()), (&SyncState::Idle, Some(T0 + 30_100)));
        assert_eq!(s.next_sync_at(), None);
        // A write made while the sync ran is not lost.
        s.sync_started(T0 + 40_000);
        s.local_write(T0 + 40_500);
        s.sync_finished(SyncEnd::Done, T0 + 41_000, 0);
        assert_eq!(s.next_sync_at(), Some(T0 + 43_500));
    }

    #[test]
    fn foreground_network_return_and_the_periodic_sync() {
        let mut s = Scheduler::new(policy(), true, Some(T0 - 10_000));
        s.foregrounded(T0);
        assert_eq!(s.next_sync_at(), Some(T0), "coming to the foreground syncs at once");
        synced(&mut s, T0);
        assert_eq!(s.next_sync_at(), Some(T0 + 300_100), "then every 5 minutes in the foreground");
        assert!(s.long_poll_allowed());
        assert!(!s.backgrounded(), "nothing unsynced: no background sync needed");
        assert_eq!(s.next_sync_at(), None);
        s.local_write(T0 + 1_000);
        assert!(s.backgrounded(), "unsynced writes when leaving: ask the OS for a background sync");

        s.foregrounded(T0 + 2_000);
        s.network_changed(false, T0 + 2_000);
        assert_eq!(s.state(), &SyncState::Offline { since_ms: T0 + 2_000 });
        assert_eq!(s.next_sync_at(), None, "no network: nothing is tried");
        assert!(!s.long_poll_allowed());
        s.network_changed(true, T0 + 9_000);
        assert_eq!(s.next_sync_at(), Some(T0 + 2_000), "the network is back: sync at once");
        synced(&mut s, T0 + 9_000);
        assert_eq!(s.state(), &SyncState::Idle);
    }

    #[test]
    fn failures_back_off_and_terminal_states_stop_sync() {
        let mut s = Scheduler::new(policy(), true, None);
        s.foregrounded(T0);
        s.sync_started(T0);
        s.progress(SyncPhase::Push, 3, 10);
        assert_eq!(s.state(), &SyncState::Syncing { phase: Some(SyncPhase::Push), done: 3, total: 10 });
        s.sync_finished(SyncEnd::Offline, T0 + 1_000, 0);
        assert_eq!(s.state(), &SyncState::Offline { since_ms: T0 + 1_000 });
        assert_eq!(s.next_sync_at(), Some(T0 + 301_000), "the periodic sync is later than the first retry");
        s.local_write(T0 + 1_000);
        assert_eq!(s.next_sync_at(), Some(T0 + 4_000), "the debounce (3 s) is later than the retry (2.5 s)");
        s.sync_started(T0 + 4_000);
        s.sync_finished(SyncEnd::Offline, T0 + 5_000, 0);
        s.local_write(T0 + 5_000);
        assert_eq!(s.next_sync_at(), Some(T0 + 10_000), "second retry waits half of 10 s");
        assert_eq!(s.state(), &SyncState::Offline { since_ms: T0 + 1_000 }, "offline since the first failure");
        for i in 0..20 {
            s.sync_started(T0 + 100_000 * i);
            s.sync_finished(SyncEnd::Blocked("服务器维护".into()), T0 + 100_000 * i, u64::MAX - 1);
        }
        let capped = s.next_sync_at().unwrap() - (T0 + 1_900_000);
        assert!((300_000..=600_000).contains(&capped), "capped at 10 minutes: {capped}");
        assert_eq!(s.state(), &SyncState::Blocked { reason: "服务器维护".into() });

        s.sync_finished(SyncEnd::NeedsSignIn("token expired".into()), T0 + 2_000_000, 0);
        s.request_now(T0 + 2_000_000);
        assert_eq!(s.next_sync_at(), None, "needs sign-in: nothing runs until the user connects");
        s.set_connected(true, T0 + 2_100_000);
        assert_eq!((s.state(), s.next_sync_at()), (&SyncState::Idle, Some(T0 + 2_000_000)));
        s.sync_started(T0 + 2_100_000);
        s.sync_finished(SyncEnd::Wiped, T0 + 2_100_000, 0);
        s.foregrounded(T0 + 2_200_000);
        assert_eq!((s.state(), s.next_sync_at()), (&SyncState::Wiped, None));
        assert!(!Scheduler::new(policy(), false, None).due(i64::MAX), "never connected: never due");
    }
}
