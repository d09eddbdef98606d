//! Hybrid logical clock (HLC): wall-clock milliseconds plus a counter, so events made on phones with drifting
//! clocks still order causally and sort as plain strings. Field-wise household merge and event order use it.

use std::fmt;

/// A hybrid logical clock reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u32,
}

impl Hlc {
    /// The next reading for a local event at physical time `now_ms`.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.wall_ms {
            Hlc { wall_ms: now_ms, counter: 0 }
        } else {
            Hlc { wall_ms: self.wall_ms, counter: self.counter + 1 }
        }
    }

    /// The next reading after receiving `remote` at physical time `now_ms`.
    pub fn observe(self, remote: Hlc, now_ms: i64) -> Hlc {
        let wall = self.wall_ms.max(remote.wall_ms).max(now_ms);
        let counter = if wall == self.wall_ms && wall == remote.wall_ms {
            self.counter.max(remote.counter) + 1
        } else if wall == self.wall_ms {
            self.counter + 1
        } else if wall == remote.wall_ms {
            remote.counter + 1
        } else {
            0
        };
        Hlc { wall_ms: wall, counter }
    }

    /// Encodes as a fixed-width string that sorts like the clock: `WWWWWWWWWWWWWWW-CCCCCC-device`.
    pub fn encode(&self, device: &str) -> String {
        format!("{:015}-{:06}-{}", self.wall_ms.max(0), self.counter, device)
    }

    /// Parses the clock part of an encoded reading (the device suffix is ignored).
    pub fn parse(s: &str) -> Option<Hlc> {
        let mut parts = s.splitn(3, '-');
        let wall_ms = parts.next()?.parse().ok()?;
        let counter = parts.next()?.parse().ok()?;
        Some(Hlc { wall_ms, counter })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.wall_ms, self.counter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_is_monotonic_when_the_clock_goes_back() {
        let a = Hlc::default().tick(1_000);
        let b = a.tick(900);
        let c = b.tick(900);
        assert!(a < b && b < c);
        assert_eq!(b, Hlc { wall_ms: 1_000, counter: 1 });
    }

    #[test]
    fn observe_moves_past_the_remote() {
        let local = Hlc { wall_ms: 1_000, counter: 3 };
        let remote = Hlc { wall_ms: 5_000, counter: 7 };
        let next = local.observe(remote, 2_000);
        assert_eq!(next, Hlc { wall_ms: 5_000, counter: 8 });
        assert_eq!(local.observe(Hlc { wall_ms: 1_000, counter: 9 }, 10), Hlc { wall_ms: 1_000, counter: 10 });
        assert_eq!(local.observe(remote, 9_000), Hlc { wall_ms: 9_000, counter: 0 });
    }

    #[test]
    fn encoding_sorts_like_the_clock_and_round_trips() {
        let a = Hlc { wall_ms: 9_999, counter: 12 };
        let b = Hlc { wall_ms: 10_000, counter: 0 };
        assert!(a.encode("dev") < b.encode("aaa"));
        assert_eq!(Hlc::parse(&a.encode("dev-1")), Some(a));
        assert_eq!(Hlc::parse("garbage"), None);
    }
}
