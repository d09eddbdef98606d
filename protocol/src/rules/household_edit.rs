//! Household edits (民生台账 corrections), shared by phone and server: which fields an edit may carry and their
//! limits, who may edit, and the field-wise last-writer-wins merge by hybrid logical clock. Two phones editing
//! one household offline keep both changes when they touch different fields; on the same field the later HLC
//! wins on every device, whatever order the edits arrive in.

use crate::model::{Actor, GpsFix};
use crate::rules::geo::{self, OnSitePolicy};
use crate::rules::RuleError;
use crate::validate::{self, limits, FieldError};
use crate::wire::{HouseholdEdit, HouseholdField};

/// Most tags on one household.
pub const MAX_TAGS: usize = 12;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 16;
/// Most members of one household.
pub const MAX_MEMBERS: u32 = 99;

/// Checks every field of an edit and returns it normalized (text trimmed, tags deduplicated in order).
pub fn validate(fields: &[HouseholdField]) -> Result<Vec<HouseholdField>, FieldError> {
    if fields.is_empty() {
        return Err(FieldError::new("fields", "an edit must change at least one field"));
    }
    let mut out: Vec<HouseholdField> = Vec::with_capacity(fields.len());
    for f in fields {
        if out.iter().any(|o| o.name() == f.name()) {
            return Err(FieldError::new("fields", format!("{} is given twice", f.name())));
        }
        out.push(match f {
            HouseholdField::HeadName(n) => HouseholdField::HeadName(validate::text("head_name", n, 1, limits::NAME)?),
            HouseholdField::Members(m) if *m > MAX_MEMBERS => {
                return Err(FieldError::new("members", format!("at most {MAX_MEMBERS}")));
            }
            HouseholdField::Members(m) => HouseholdField::Members(*m),
            HouseholdField::Phone(None) => HouseholdField::Phone(None),
            HouseholdField::Phone(Some(p)) => {
                let p = p.trim();
                let digits = p.bytes().filter(u8::is_ascii_digit).count();
                if !(5..=15).contains(&digits) || !p.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+' || b == b' ') {
                    // The number itself is personal data: never echoed in the message.
                    return Err(FieldError::new("phone", "must be 5 to 15 digits (may contain '+', '-', spaces)"));
                }
                HouseholdField::Phone(Some(p.to_string()))
            }
            HouseholdField::Address(a) => HouseholdField::Address(validate::text("address", a, 1, limits::ADDRESS)?),
            HouseholdField::Location(None) => HouseholdField::Location(None),
            HouseholdField::Location(Some((lat, lon))) => {
                if !(lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon)) {
                    return Err(FieldError::new("location", "latitude must be within ±90 and longitude within ±180"));
                }
                HouseholdField::Location(Some((*lat, *lon)))
            }
            HouseholdField::Tags(tags) => {
                let mut clean: Vec<String> = Vec::new();
                for t in tags {
                    let t = validate::text("tags", t, 1, MAX_TAG_CHARS)?;
                    if !clean.contains(&t) {
                        clean.push(t);
                    }
                }
                if clean.len() > MAX_TAGS {
                    return Err(FieldError::new("tags", format!("at most {MAX_TAGS} tags")));
                }
                HouseholdField::Tags(clean)
            }
            HouseholdField::RiskLevel(r) => HouseholdField::RiskLevel(*r),
        });
    }
    Ok(out)
}

/// "The house is here" (房屋位置就在这里): the point a fix may set as the household's location. The fix must be
/// a real position, not simulated (`mocked`), no vaguer than the on-site policy's `max_accuracy_m`, and fresh
/// (at most `max_fix_age_s` old at `now_ms`, not from the future): a stale or coarse fix would move the house to
/// where the phone happened to be earlier, and every later on-site verdict is measured from this point.
pub fn point_from_fix(fix: &GpsFix, now_ms: i64, policy: &OnSitePolicy) -> Result<(f64, f64), FieldError> {
    geo::validate_fix(fix).map_err(|e| FieldError::new("location", e.to_string()))?;
    geo::check_fix_time(fix, now_ms).map_err(|e| FieldError::new("fix_time_ms", e.to_string()))?;
    if fix.mocked {
        return Err(FieldError::new("location", "a simulated (mock) location cannot mark the house"));
    }
    if fix.accuracy_m > policy.max_accuracy_m {
        return Err(FieldError::new("accuracy_m", format!("the fix is too coarse: at most {:.0} m", policy.max_accuracy_m)));
    }
    if now_ms.saturating_sub(fix.fix_time_ms) > i64::from(policy.max_fix_age_s) * 1000 {
        return Err(FieldError::new("fix_time_ms", "the fix is too old: locate again at the house"));
    }
    Ok((fix.lat, fix.lon))
}

/// Any signed-in role may correct a household it can see (its path lies under the actor's node).
pub fn authorize(actor: &Actor, household_path: &str) -> Result<(), RuleError> {
    if actor.sees(household_path) {
        Ok(())
    } else {
        Err(RuleError::OutOfScope)
    }
}

/// Whether a field last written at `stored` (none: only the bundle wrote it) takes a write at `incoming`.
/// Encoded HLCs sort by time, then counter, then device, so the order is total and the same everywhere.
pub fn takes(stored: Option<&str>, incoming: &str) -> bool {
    stored.is_none_or(|s| incoming > s)
}

/// The fields of `edit` that win against the stored clocks, given a lookup of each field's clock.
pub fn winning_fields(edit: &HouseholdEdit, mut clock_of: impl FnMut(&str) -> Option<String>) -> Vec<&HouseholdField> {
    edit.fields.iter().filter(|f| takes(clock_of(f.name()).as_deref(), &edit.hlc)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{RiskLevel, Role};

    fn edit(hlc: &str, fields: Vec<HouseholdField>) -> HouseholdEdit {
        HouseholdEdit { household_id: "h1".into(), editor_id: "gw".into(), editor_role: Role::GridWorker, hlc: hlc.into(), at_ms: 0, fields }
    }

    #[test]
    fn later_hlc_wins_per_field_in_any_arrival_order() {
        let a = edit("000000000001000-000000-a", vec![HouseholdField::Members(4), HouseholdField::Address("一组3号".into())]);
        let b = edit("000000000002000-000000-b", vec![HouseholdField::Members(5)]);
        for order in [[&a, &b], [&b, &a]] {
            let mut clocks: std::collections::HashMap<String, String> = Default::default();
            let mut members = 0;
            let mut address = String::new();
            for e in order {
                for f in winning_fields(e, |name| clocks.get(name).cloned()) {
                    clocks.insert(f.name().into(), e.hlc.clone());
                    match f {
                        HouseholdField::Members(m) => members = *m,
                        HouseholdField::Address(s) => address = s.clone(),
                        _ => {}
                    }
                }
            }
            assert_eq!((members, address.as_str()), (5, "一组3号"), "the same result whatever the order");
        }
        assert!(takes(None, "x"));
        assert!(!takes(Some("000000000002000-000000-b"), "000000000002000-000000-a"), "ties broken by device");
        assert!(!takes(Some("000000000002000-000000-b"), "000000000002000-000000-b"), "the same write twice is a no-op");
    }

    #[test]
    fn validation_refuses_bad_fields_without_echoing_personal_data() {
        assert!(validate(&[]).is_err());
        assert_eq!(validate(&[HouseholdField::HeadName("  ".into())]).unwrap_err().field, "head_name");
        assert_eq!(validate(&[HouseholdField::Members(100)]).unwrap_err().field, "members");
        let e = validate(&[HouseholdField::Phone(Some("138abc5678".into()))]).unwrap_err();
        assert!(e.field == "phone" && !e.to_string().contains("138"));
        assert_eq!(validate(&[HouseholdField::Location(Some((f64::NAN, 1.0)))]).unwrap_err().field, "location");
        assert_eq!(validate(&[HouseholdField::Location(Some((91.0, 1.0)))]).unwrap_err().field, "location");
        assert_eq!(validate(&[HouseholdField::Members(1), HouseholdField::Members(2)]).unwrap_err().field, "fields");
        let too_many: Vec<String> = (0..13).map(|i| format!("标签{i}")).collect();
        assert_eq!(validate(&[HouseholdField::Tags(too_many)]).unwrap_err().field, "tags");
        let ok = validate(&[
            HouseholdField::Tags(vec!["低保".into(), " 独居老人 ".into(), "低保".into()]),
            HouseholdField::RiskLevel(RiskLevel::High),
            HouseholdField::Phone(Some(" 13812345678 ".into())),
        ])
        .unwrap();
        assert_eq!(ok[0], HouseholdField::Tags(vec!["低保".into(), "独居老人".into()]));
        assert_eq!(ok[2], HouseholdField::Phone(Some("13812345678".into())));
    }

    #[test]
    fn only_within_scope() {
        let actor = Actor { user_id: "lh".into(), role: Role::LiaisonHead, node_id: "g1".into(), node_path: "/c/t1/b1/g1/".into() };
        assert!(authorize(&actor, "/c/t1/b1/g1/h1/").is_ok());
        assert_eq!(authorize(&actor, "/c/t1/b1/g2/h3/"), Err(RuleError::OutOfScope));
    }

    #[test]
    fn the_house_is_here_takes_only_a_fresh_precise_real_fix() {
        let policy = OnSitePolicy::default();
        let now = 1_800_000_000_000;
        let fix = GpsFix { lat: 35.58, lon: 109.26, accuracy_m: 12.0, fix_time_ms: now - 5_000, mocked: false };
        assert_eq!(point_from_fix(&fix, now, &policy), Ok((35.58, 109.26)));
        assert_eq!(point_from_fix(&GpsFix { mocked: true, ..fix }, now, &policy).unwrap_err().field, "location");
        assert_eq!(point_from_fix(&GpsFix { accuracy_m: 80.0, ..fix }, now, &policy).unwrap_err().field, "accuracy_m");
        assert_eq!(point_from_fix(&GpsFix { fix_time_ms: now - 121_000, ..fix }, now, &policy).unwrap_err().field, "fix_time_ms");
        assert_eq!(point_from_fix(&GpsFix { fix_time_ms: now + 3_600_000, ..fix }, now, &policy).unwrap_err().field, "fix_time_ms");
        assert_eq!(point_from_fix(&GpsFix { lat: f64::NAN, ..fix }, now, &policy).unwrap_err().field, "location");
    }
}
