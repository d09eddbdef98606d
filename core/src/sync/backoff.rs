//! Retry timing for sync over weak rural links: exponential backoff with "equal jitter" (half fixed, half
//! random), capped, so a township's phones coming back online do not all retry in the same instant.

use std::time::Duration;

/// How often and how patiently to retry a failed exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 6, base: Duration::from_millis(500), max: Duration::from_secs(30) }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0 = after the first failure), given a random `u64`.
    pub fn delay(&self, retry: u32, random: u64) -> Duration {
        let exp = self.base.saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX)).min(self.max);
        let half = exp / 2;
        let jitter_ms = if half.as_millis() == 0 { 0 } else { random % (half.as_millis() as u64 + 1) };
        half + Duration::from_millis(jitter_ms)
    }
}

/// A random `u64` from the OS (via UUIDv4), for jitter.
pub fn random_u64() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_with_bounded_jitter_and_a_cap() {
        let p = RetryPolicy { attempts: 5, base: Duration::from_millis(1000), max: Duration::from_secs(8) };
        for (retry, full) in [(0, 1000), (1, 2000), (2, 4000), (3, 8000), (4, 8000), (40, 8000)] {
            let low = p.delay(retry, 0);
            let high = p.delay(retry, u64::MAX - 1);
            assert_eq!(low, Duration::from_millis(full / 2), "retry {retry}");
            assert!(high >= low && high <= Duration::from_millis(full), "retry {retry}: {high:?}");
        }
        assert_ne!(random_u64(), random_u64());
    }
}
