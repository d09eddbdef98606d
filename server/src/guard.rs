//! Abuse limits of the API, kept in memory by the serving process: growing delays after failed sign-ins per
//! account and per client address (the persisted lock-out lives in `users.locked`, see `api::sign_in`), a bound on
//! concurrent password checks (each is an argon2 run: CPU and 19 MiB of memory), the dummy hash that makes an
//! unknown account cost the same as a known one, and the per-device work cap (operations and requests per
//! minute). Counters are lost on restart; the lock-out is not.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};

/// The limits, configurable per county (`serve --…`).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Failed sign-ins of one account before delays start.
    pub free_account_failures: u32,
    /// Failed sign-ins from one address before delays start (a village office shares one address).
    pub free_address_failures: u32,
    /// The first delay; each further failure doubles it.
    pub base_delay_ms: u64,
    /// The longest delay.
    pub max_delay_ms: u64,
    /// Consecutive failed sign-ins that lock an account until an administrator unlocks it.
    pub lock_after: u32,
    /// A counter forgets failures older than this.
    pub failure_memory_ms: u64,
    /// Password checks running at once; more wait for a slot.
    pub concurrent_password_checks: usize,
    /// Longest wait for a password-check slot before answering `busy`.
    pub password_check_wait_ms: u64,
    /// Operations one device may push per minute.
    pub ops_per_minute: u32,
    /// Requests one device may make per minute (any route).
    pub requests_per_minute: u32,
    /// Unfinished (partial) blob uploads one device may hold at once.
    pub partial_uploads_per_device: u32,
    /// Bytes of unfinished blob uploads one device may hold at once.
    pub partial_upload_bytes_per_device: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            free_account_failures: 3,
            free_address_failures: 20,
            base_delay_ms: 1_000,
            max_delay_ms: 5 * 60_000,
            lock_after: 10,
            failure_memory_ms: 30 * 60_000,
            concurrent_password_checks: std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8),
            password_check_wait_ms: 10_000,
            // A phone back from weeks offline pushes a few thousand ops in 200-op batches.
            ops_per_minute: 10_000,
            requests_per_minute: 600,
            // A phone uploads its photos one after another; a cut link leaves one unfinished, resumed next sync.
            partial_uploads_per_device: 8,
            partial_upload_bytes_per_device: 24 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Failures {
    count: u32,
    last_ms: i64,
}

/// Most counters kept; past it the oldest are dropped (a flood of made-up ids cannot exhaust memory).
const MAX_COUNTERS: usize = 100_000;

/// Sign-in failure counters by account id and by address.
#[derive(Debug, Default)]
pub struct Throttle {
    accounts: Mutex<HashMap<String, Failures>>,
    addresses: Mutex<HashMap<IpAddr, Failures>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The delay due after `count` failures with `free` allowed.
fn delay_after(limits: &Limits, count: u32, free: u32) -> u64 {
    if count < free {
        return 0;
    }
    let doublings = (count - free).min(30);
    limits.base_delay_ms.saturating_mul(1u64 << doublings).min(limits.max_delay_ms)
}

fn remaining(limits: &Limits, f: Option<&Failures>, free: u32, now_ms: i64) -> u64 {
    let Some(f) = f else { return 0 };
    if now_ms - f.last_ms > limits.failure_memory_ms as i64 {
        return 0;
    }
    let until = f.last_ms + delay_after(limits, f.count, free) as i64;
    (until - now_ms).max(0) as u64
}

fn bump<K: std::hash::Hash + Eq + Clone>(map: &mut HashMap<K, Failures>, key: &K, limits: &Limits, now_ms: i64) -> u32 {
    if map.len() >= MAX_COUNTERS && !map.contains_key(key) {
        let oldest = map.iter().min_by_key(|(_, f)| f.last_ms).map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            map.remove(&k);
        }
    }
    let f = map.entry(key.clone()).or_default();
    if now_ms - f.last_ms > limits.failure_memory_ms as i64 {
        f.count = 0;
    }
    f.count += 1;
    f.last_ms = now_ms;
    f.count
}

impl Throttle {
    /// How long (ms) a sign-in for `account` from `address` must still wait; 0: it may try now.
    pub fn wait_ms(&self, limits: &Limits, account: &str, address: Option<IpAddr>, now_ms: i64) -> u64 {
        let a = remaining(limits, lock(&self.accounts).get(account), limits.free_account_failures, now_ms);
        let b = address.map_or(0, |ip| remaining(limits, lock(&self.addresses).get(&ip), limits.free_address_failures, now_ms));
        a.max(b)
    }

    /// Counts a failure; returns the account's failures in memory.
    pub fn failed(&self, limits: &Limits, account: &str, address: Option<IpAddr>, now_ms: i64) -> u32 {
        if let Some(ip) = address {
            bump(&mut lock(&self.addresses), &ip, limits, now_ms);
        }
        bump(&mut lock(&self.accounts), &account.to_string(), limits, now_ms)
    }

    /// The account's failures in memory (forgotten after `failure_memory_ms`).
    pub fn account_failures(&self, limits: &Limits, account: &str, now_ms: i64) -> u32 {
        lock(&self.accounts).get(account).filter(|f| now_ms - f.last_ms <= limits.failure_memory_ms as i64).map_or(0, |f| f.count)
    }

    /// A success clears the account's counter (not the address's).
    pub fn succeeded(&self, account: &str) {
        lock(&self.accounts).remove(account);
    }

    /// Forgets an account's counter (an administrator unlocked it).
    pub fn forget(&self, account: &str) {
        lock(&self.accounts).remove(account);
    }
}

/// A hash of a random password with the server's argon2 parameters: checking a password against it costs what
/// checking a real account costs, so an unknown user id answers in the same time as a known one.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let secret = crate::auth::new_token().unwrap_or_else(|_| "dummy-password-never-used".into());
        crate::auth::hash_password(&secret).unwrap_or_default()
    })
}

/// Per-device token buckets for ops and requests.
#[derive(Debug, Default)]
pub struct WorkCap {
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    ops: f64,
    requests: f64,
    at_ms: i64,
}

impl WorkCap {
    /// Takes `requests` requests and `ops` operations from the device's buckets (each refills to its per-minute
    /// limit over a minute). `Err(ms)`: the cap is used up; retry after `ms`.
    pub fn take(&self, limits: &Limits, device: &str, requests: u32, ops: u32, now_ms: i64) -> Result<(), u64> {
        let mut map = lock(&self.buckets);
        if map.len() >= MAX_COUNTERS && !map.contains_key(device) {
            map.retain(|_, b| now_ms - b.at_ms < 60_000);
        }
        let (op_cap, req_cap) = (f64::from(limits.ops_per_minute), f64::from(limits.requests_per_minute));
        let b = map.entry(device.to_string()).or_insert(Bucket { ops: op_cap, requests: req_cap, at_ms: now_ms });
        let elapsed = (now_ms - b.at_ms).max(0) as f64 / 60_000.0;
        b.ops = (b.ops + elapsed * op_cap).min(op_cap);
        b.requests = (b.requests + elapsed * req_cap).min(req_cap);
        b.at_ms = now_ms;
        let (ops, requests) = (f64::from(ops), f64::from(requests));
        // A single push larger than a minute's cap can never pass: it needs a full bucket instead.
        let needed = ops.min(op_cap);
        if b.ops < needed || b.requests < requests {
            return Err(wait_for(needed - b.ops, op_cap).max(wait_for(requests - b.requests, req_cap)));
        }
        b.ops = (b.ops - ops).max(0.0);
        b.requests -= requests;
        Ok(())
    }
}

/// Milliseconds until `missing` units refill at `per_minute`.
fn wait_for(missing: f64, per_minute: f64) -> u64 {
    if missing <= 0.0 || per_minute <= 0.0 {
        return 0;
    }
    (missing / per_minute * 60_000.0).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { base_delay_ms: 1_000, max_delay_ms: 8_000, free_account_failures: 3, free_address_failures: 5, ..Limits::default() }
    }

    #[test]
    fn delays_grow_per_account_and_per_address_and_are_forgotten() {
        let (l, t) = (limits(), Throttle::default());
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        for i in 0..3 {
            assert_eq!(t.wait_ms(&l, "ts1", Some(ip), 0), 0, "attempt {i} is free");
            t.failed(&l, "ts1", Some(ip), 0);
        }
        assert_eq!(t.wait_ms(&l, "ts1", Some(ip), 0), 1_000);
        t.failed(&l, "ts1", Some(ip), 1_000);
        assert_eq!(t.wait_ms(&l, "ts1", None, 1_000), 2_000);
        t.failed(&l, "ts1", None, 3_000);
        t.failed(&l, "ts1", None, 7_000);
        t.failed(&l, "ts1", None, 15_000);
        assert_eq!(t.wait_ms(&l, "ts1", None, 15_000), 8_000, "capped");
        // Another account from the same address: the address has 4 failures, under its 5 free.
        assert_eq!(t.wait_ms(&l, "gw1", Some(ip), 15_000), 0);
        t.failed(&l, "gw1", Some(ip), 15_000);
        assert_eq!(t.wait_ms(&l, "nobody", Some(ip), 15_000), 1_000, "the address is throttled for every account");
        // Forgotten after the memory period; a success clears the account.
        assert_eq!(t.wait_ms(&l, "ts1", None, 15_000 + l.failure_memory_ms as i64 + 1), 0);
        t.succeeded("ts1");
        assert_eq!(t.account_failures(&l, "ts1", 15_000), 0);
    }

    #[test]
    fn work_cap_refills_over_a_minute() {
        let l = Limits { ops_per_minute: 600, requests_per_minute: 3, ..Limits::default() };
        let w = WorkCap::default();
        assert_eq!(w.take(&l, "d1", 1, 500, 0), Ok(()));
        assert_eq!(w.take(&l, "d1", 1, 200, 0), Err(10_000), "100 ops missing refill in 10 s");
        assert_eq!(w.take(&l, "d1", 1, 100, 0), Ok(()));
        assert_eq!(w.take(&l, "d1", 1, 0, 0), Ok(()));
        assert!(w.take(&l, "d1", 1, 0, 0).is_err(), "3 requests per minute used up");
        assert_eq!(w.take(&l, "d2", 1, 0, 0), Ok(()), "per device");
        assert_eq!(w.take(&l, "d1", 1, 50, 20_000), Ok(()));
        // A push larger than a minute's cap passes only on a full bucket.
        assert!(w.take(&l, "d3", 0, 700, 0).is_ok());
        assert!(w.take(&l, "d3", 0, 700, 1_000).is_err());
    }
}
