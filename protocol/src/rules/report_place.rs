//! 无户诉求的地点 (where a report about no household is): smoke on a hillside, a broken bridge, a blocked
//! ditch are reported about a place, not a household. Such a report names the org node it lies in (the group
//! or branch whose area it is, for scope and ownership) and must also say where it is on the ground: a GPS
//! point taken there, or a description of the place ("后山松树林，距三组约一公里"). Without either the
//! township cannot send anyone. Phone and server judge a report with this one function; a report about a
//! household is located by the household.

use crate::model::GpsFix;
use crate::validate::FieldError;

/// Fewest characters of a place description that can stand in for a GPS point.
pub const MIN_PLACE_CHARS: usize = 4;

/// Checks that a report is located: about a household, or with a GPS point, or with a description of at least
/// [`MIN_PLACE_CHARS`] characters. The fix itself is checked by `geo::validate_fix`.
pub fn check(household_id: Option<&str>, location: Option<&GpsFix>, description: &str) -> Result<(), FieldError> {
    if household_id.is_some() || location.is_some() || description.trim().chars().count() >= MIN_PLACE_CHARS {
        return Ok(());
    }
    Err(FieldError::new(
        "location",
        format!("a report about no household needs a GPS point or a description of the place (at least {MIN_PLACE_CHARS} characters)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_report_needs_a_point_or_a_description() {
        let fix = GpsFix { lat: 35.6, lon: 109.3, accuracy_m: 10.0, fix_time_ms: 1, mocked: false };
        assert!(check(Some("h1"), None, "").is_ok(), "a household locates the report");
        assert!(check(None, Some(&fix), "").is_ok(), "a point taken there");
        assert!(check(None, None, "后山松树林冒烟").is_ok(), "a description of the place");
        assert_eq!(check(None, None, "").unwrap_err().field, "location");
        assert_eq!(check(None, None, "  山上  ").unwrap_err().field, "location", "two characters say nothing");
    }
}
