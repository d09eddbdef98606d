//! Input limits shared by phone and server: text lengths (in characters, Chinese counts one per character),
//! id and hash shapes. Bad input is refused with the field it concerns before anything is stored.

/// Limits on free text, in characters.
pub mod limits {
    pub const TITLE: usize = 60;
    pub const DESCRIPTION: usize = 2_000;
    pub const NOTE: usize = 2_000;
    /// How far ahead of the judge's clock a recorded time may lie (phone clocks drift) before it is refused.
    pub const FUTURE_SKEW_MS: i64 = 10 * 60 * 1000;
    pub const REASON: usize = 500;
    pub const NAME: usize = 64;
    pub const ADDRESS: usize = 200;
    pub const SEARCH: usize = 50;
    pub const ID: usize = 64;
    pub const EVIDENCE_PER_RECORD: usize = 20;
    pub const PAGE_SIZE_MAX: u32 = 200;
}

/// What is wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct FieldError {
    pub field: &'static str,
    pub problem: String,
}

impl FieldError {
    pub fn new(field: &'static str, problem: impl Into<String>) -> FieldError {
        FieldError { field, problem: problem.into() }
    }
}

/// Trims `value` and checks it holds between `min` and `max` characters (control characters other than
/// newlines and tabs are refused). Returns the trimmed text.
pub fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let trimmed = value.trim();
    let n = trimmed.chars().count();
    if n < min {
        return Err(FieldError::new(field, if min == 1 { "must not be empty".to_string() } else { format!("needs at least {min} characters") }));
    }
    if n > max {
        return Err(FieldError::new(field, format!("is {n} characters; at most {max} allowed")));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(trimmed.to_string())
}

/// Checks an entity id: 1–64 of `[A-Za-z0-9_-]` (ids are path segments, so no `/`).
pub fn id(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.is_empty() || value.len() > limits::ID {
        return Err(FieldError::new(field, "must be 1 to 64 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(FieldError::new(field, "may contain only letters, digits, '-' and '_'"));
    }
    Ok(())
}

/// Checks a device name as sent (not trimmed, so the limit is the declared one): at most
/// `limits::NAME` characters, no control characters.
pub fn device_name(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.chars().count() > limits::NAME {
        return Err(FieldError::new(field, format!("at most {} characters allowed", limits::NAME)));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(())
}

/// Checks evidence references: lowercase hex SHA-256, at most `limits::EVIDENCE_PER_RECORD`, no repeats.
pub fn evidence(field: &'static str, hashes: &[String]) -> Result<(), FieldError> {
    if hashes.len() > limits::EVIDENCE_PER_RECORD {
        return Err(FieldError::new(field, format!("at most {} photos per record", limits::EVIDENCE_PER_RECORD)));
    }
    for (i, h) in hashes.iter().enumerate() {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(FieldError::new(field, "each must be a lowercase hex SHA-256"));
        }
        if hashes[..i].contains(h) {
            return Err(FieldError::new(field, "the same photo is listed twice"));
        }
    }
    Ok(())
}

/// Checks an administrative code for a node of `level`: the 12-digit statistical division code for county,
/// township and village branch; extended to 13–20 digits for villager groups and households.
pub fn division_code(level: crate::model::OrgLevel, code: &str) -> Result<(), FieldError> {
    use crate::model::OrgLevel;
    let digits = !code.is_empty() && code.bytes().all(|b| b.is_ascii_digit());
    let ok = match level {
        OrgLevel::County | OrgLevel::Township | OrgLevel::Branch => digits && code.len() == 12,
        OrgLevel::Group | OrgLevel::Household => digits && (13..=20).contains(&code.len()),
    };
    if ok {
        Ok(())
    } else {
        Err(FieldError::new("code", "must be the 12-digit division code (groups: extended to 13–20 digits)"))
    }
}

/// Masks a phone number for display and logs: `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    mask(phone, 3, 4)
}

/// Masks an ID number for display and logs: `110***********1234`.
pub fn mask_id_number(id_number: &str) -> String {
    mask(id_number, 3, 4)
}

fn mask(value: &str, keep_head: usize, keep_tail: usize) -> String {
    let chars: Vec<char> = value.trim().chars().collect();
    if chars.len() <= keep_head + keep_tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..keep_head].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - keep_head - keep_tail));
    out.extend(&chars[chars.len() - keep_tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits_count_characters_not_bytes() {
        assert_eq!(text("title", "  路灯坏了 ", 1, 4).unwrap(), "路灯坏了");
        assert_eq!(text("title", "路灯坏了吗", 1, 4).unwrap_err().field, "title");
        assert!(text("title", "   ", 1, 4).unwrap_err().problem.contains("empty"));
        assert!(text("note", "a\u{0}b", 0, 10).is_err());
        assert_eq!(text("note", "", 0, 10).unwrap(), "");
    }

    #[test]
    fn ids_and_hashes() {
        assert!(id("id", "h-001_x").is_ok());
        assert!(id("id", "a/b").is_err());
        assert!(id("id", "").is_err());
        assert!(id("id", &"x".repeat(65)).is_err());
        let good = "a".repeat(64);
        assert!(evidence("evidence", std::slice::from_ref(&good)).is_ok());
        assert!(evidence("evidence", &[good.clone(), good.clone()]).is_err());
        assert!(evidence("evidence", &["A".repeat(64)]).is_err());
        assert!(evidence("evidence", &["ab".into()]).is_err());
        assert!(device_name("device_name", &"机".repeat(64)).is_ok());
        assert!(device_name("device_name", &format!("{} ", "机".repeat(64))).is_err());
        assert!(device_name("device_name", "a\u{85}b").is_err());
        assert!(device_name("device_name", "").is_ok());
    }

    #[test]
    fn division_codes() {
        use crate::model::OrgLevel;
        assert!(division_code(OrgLevel::County, "610631000000").is_ok());
        assert!(division_code(OrgLevel::Branch, "61063110120").is_err());
        assert!(division_code(OrgLevel::Group, "61063110120101").is_ok());
        assert!(division_code(OrgLevel::Group, "610631101201").is_err());
        assert!(division_code(OrgLevel::Township, "61063110100a").is_err());
    }

    #[test]
    fn masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_id_number("110101199003071234"), "110***********1234");
        assert_eq!(mask_phone("123"), "***");
    }
}
