//! What a recorded visit (入户走访) must hold: checked by the phone before it stores one and by the server
//! before it accepts one, with this same code.

use crate::model::GpsFix;
use crate::rules::geo::{self, CoordinateError};
use crate::validate::{self, limits, FieldError};

/// Why a visit's content is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VisitError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error(transparent)]
    Fix(#[from] CoordinateError),
}

/// Checks a visit's times (a start before its end, an end not after `now_ms` beyond the clock skew allowed),
/// its GPS fix (a real position, a fix time not after the visit's end), notes and evidence references. Returns the notes trimmed.
pub fn check_content(
    started_at_ms: i64,
    ended_at_ms: i64,
    fix: Option<&GpsFix>,
    notes: &str,
    evidence: &[String],
    now_ms: i64,
) -> Result<String, VisitError> {
    if started_at_ms <= 0 || started_at_ms > ended_at_ms {
        return Err(FieldError::new("started_at_ms", "must be a time before the end of the visit").into());
    }
    if ended_at_ms > now_ms + limits::FUTURE_SKEW_MS {
        return Err(FieldError::new("ended_at_ms", "lies in the future").into());
    }
    if let Some(fix) = fix {
        geo::validate_fix(fix)?;
        geo::check_fix_time(fix, ended_at_ms)?;
    }
    let notes = validate::text("notes", notes, 0, limits::NOTE)?;
    validate::evidence("evidence", evidence)?;
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    fn check(started: i64, ended: i64, fix: Option<&GpsFix>, notes: &str) -> Result<String, VisitError> {
        check_content(started, ended, fix, notes, &[], NOW)
    }

    #[test]
    fn times_fix_and_notes_are_checked_in_order() {
        assert_eq!(check(NOW - 60_000, NOW, None, "  家中安好 ").unwrap(), "家中安好");
        let field = |r: Result<String, VisitError>| match r {
            Err(VisitError::Field(f)) => f.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(check(0, NOW, None, "")), "started_at_ms");
        assert_eq!(field(check(NOW, NOW - 1, None, "")), "started_at_ms");
        assert_eq!(field(check(NOW, NOW + limits::FUTURE_SKEW_MS + 1, None, "")), "ended_at_ms");
        assert!(check(NOW, NOW + limits::FUTURE_SKEW_MS, None, "").is_ok(), "a phone a little fast is fine");
        assert_eq!(field(check(NOW - 1, NOW, None, &"记".repeat(limits::NOTE + 1))), "notes");
        let bad = GpsFix { lat: f64::NAN, lon: 109.0, accuracy_m: 5.0, fix_time_ms: NOW, mocked: false };
        assert_eq!(check(NOW - 1, NOW, Some(&bad), ""), Err(VisitError::Fix(CoordinateError::Latitude)));
        let future = GpsFix { lat: 35.0, fix_time_ms: NOW + limits::FUTURE_SKEW_MS + 1, ..bad };
        assert_eq!(check(NOW - 1, NOW, Some(&future), ""), Err(VisitError::Fix(CoordinateError::FixTime)));
        let fine = GpsFix { fix_time_ms: NOW - 1, ..future };
        assert!(check(NOW - 1, NOW, Some(&fine), "").is_ok());
        assert!(matches!(check_content(NOW - 1, NOW, None, "", &["zz".into()], NOW), Err(VisitError::Field(f)) if f.field == "evidence"));
    }
}
