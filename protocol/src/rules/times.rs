//! 时间合理性 Times within bounds, shared by phone and server: every time a phone claims for what a user did
//! (an issue's report and each later action, a directive's 签收, 转发 and 完成上报, a household's 告知, a visit,
//! a household correction and its hybrid-logical-clock time) must lie between the time of what it follows (its
//! predecessor) and the server's receipt time, each widened by the allowed clock skew between phones
//! (`limits::FUTURE_SKEW_MS`, 10 minutes). Outside, the server refuses the operation with
//! `RejectCode::ImpossibleTime`, so measures (签收率, 按期受理率, sign-for and accept times) are computed from
//! times that cannot lie before their cause or in the future.

use crate::validate::limits::FUTURE_SKEW_MS;

/// Why a claimed time is impossible. Field names only, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// Earlier than what it follows (an accept before its report, a 签收 before its directive).
    #[error("{field}: lies before the {predecessor} it follows")]
    BeforePredecessor { field: &'static str, predecessor: &'static str },
    /// Later than the server received it (plus the allowed skew).
    #[error("{field}: lies in the future")]
    InFuture { field: &'static str },
}

/// What a claimed time follows: its name (for the message) and time.
#[derive(Debug, Clone, Copy)]
pub struct Predecessor {
    pub what: &'static str,
    pub at_ms: i64,
}

/// Checks that `claimed_ms` (the field `field`) lies within `[predecessor − skew, received_at_ms + skew]`.
pub fn check(field: &'static str, claimed_ms: i64, predecessor: Option<Predecessor>, received_at_ms: i64) -> Result<(), TimeError> {
    if claimed_ms > received_at_ms.saturating_add(FUTURE_SKEW_MS) {
        return Err(TimeError::InFuture { field });
    }
    if let Some(p) = predecessor {
        if claimed_ms < p.at_ms.saturating_sub(FUTURE_SKEW_MS) {
            return Err(TimeError::BeforePredecessor { field, predecessor: p.what });
        }
    }
    Ok(())
}

/// A time as a measure counts it: never later than the server received it (a phone's clock may run up to
/// the skew ahead). Measures show the receipt time beside the claimed one where the two differ.
pub fn bounded(claimed_ms: i64, received_at_ms: i64) -> i64 {
    claimed_ms.min(received_at_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;
    const DAY: i64 = 86_400_000;

    #[test]
    fn within_bounds_or_refused_with_the_reason() {
        let report = Some(Predecessor { what: "report", at_ms: NOW - DAY });
        assert_eq!(check("at_ms", NOW - 1000, report, NOW), Ok(()));
        assert_eq!(check("at_ms", NOW + FUTURE_SKEW_MS, report, NOW), Ok(()), "a phone clock a little ahead");
        assert_eq!(check("at_ms", NOW - DAY - FUTURE_SKEW_MS, report, NOW), Ok(()), "a phone clock a little behind");
        assert_eq!(check("at_ms", NOW + FUTURE_SKEW_MS + 1, report, NOW), Err(TimeError::InFuture { field: "at_ms" }));
        assert_eq!(check("at_ms", NOW + 3650 * DAY, None, NOW), Err(TimeError::InFuture { field: "at_ms" }));
        assert_eq!(
            check("at_ms", NOW - 31 * DAY, report, NOW),
            Err(TimeError::BeforePredecessor { field: "at_ms", predecessor: "report" })
        );
        assert!(!check("at_ms", NOW - 31 * DAY, report, NOW).unwrap_err().to_string().contains(&NOW.to_string()));
        assert_eq!(bounded(NOW + 5, NOW), NOW);
        assert_eq!(bounded(NOW - 5, NOW), NOW - 5);
    }
}
