//! 应用锁 App lock: when the phone must ask for the device credential or biometrics again before showing
//! residents' data. A cold start is locked; a return to the foreground is locked once the app spent
//! [`LOCK_AFTER_MS`] or more in the background, or when the clock went backwards meanwhile (a clock set back
//! must not shorten the time away). The shells only show the system prompt (Android `KeyguardManager` /
//! `BiometricPrompt`, iOS `LocalAuthentication`) and report its success; this rule decides when.

/// Time in the background after which the app locks (5 minutes: a field worker switching to the camera or a
/// call and back is not asked again).
pub const LOCK_AFTER_MS: i64 = 5 * 60_000;

/// The lock's state on one phone, kept in memory by the core (a new process starts locked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppLock {
    /// The credential must be asked before anything is shown.
    pub locked: bool,
    /// When the app last went to the background (`None`: it is in the foreground).
    pub backgrounded_at_ms: Option<i64>,
}

impl Default for AppLock {
    fn default() -> AppLock {
        AppLock { locked: true, backgrounded_at_ms: None }
    }
}

impl AppLock {
    /// The app left the foreground at `now_ms` (a second call keeps the first time).
    pub fn backgrounded(&mut self, now_ms: i64) {
        self.backgrounded_at_ms.get_or_insert(now_ms);
    }

    /// The app came back at `now_ms`: locks when it was away [`LOCK_AFTER_MS`] or more (or the clock went
    /// back). Returns whether it is locked.
    pub fn foregrounded(&mut self, now_ms: i64) -> bool {
        if let Some(at) = self.backgrounded_at_ms.take() {
            if now_ms < at || now_ms - at >= LOCK_AFTER_MS {
                self.locked = true;
            }
        }
        self.locked
    }

    /// The user passed the system prompt.
    pub fn unlocked(&mut self) {
        self.locked = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_780_000_000_000;

    #[test]
    fn locked_at_start_and_after_time_away() {
        let mut l = AppLock::default();
        assert!(l.foregrounded(T), "a cold start asks first");
        l.unlocked();
        l.backgrounded(T);
        assert!(!l.foregrounded(T + LOCK_AFTER_MS - 1), "a short switch to the camera is not asked again");
        l.backgrounded(T + LOCK_AFTER_MS);
        l.backgrounded(T + 2 * LOCK_AFTER_MS - 1); // repeated: the first time counts
        assert!(l.foregrounded(T + 2 * LOCK_AFTER_MS), "five minutes away locks");
        assert!(l.foregrounded(T + 2 * LOCK_AFTER_MS + 1), "stays locked until the prompt is passed");
        l.unlocked();
        assert!(!l.foregrounded(T + 3 * LOCK_AFTER_MS), "no time away counted without going to the background");
    }

    #[test]
    fn a_clock_set_back_locks() {
        let mut l = AppLock { locked: false, backgrounded_at_ms: None };
        l.backgrounded(T);
        assert!(l.foregrounded(T - 1));
    }
}
