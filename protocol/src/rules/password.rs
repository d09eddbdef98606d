//! The password policy (口令复杂度, 等保 2.0 身份鉴别): one rule for the server (which enforces it on every new
//! password) and the phone (which can tell the user before sending). Pure: a password in, the first broken
//! requirement out, with its zh-CN and English words.

use crate::labels::Locale;

/// Fewest characters of a password.
pub const MIN_CHARS: usize = 10;
/// Most characters of a password (argon2 work stays bounded; the server also caps the bytes).
pub const MAX_CHARS: usize = 128;

/// Passwords everyone tries first (lowercased): refused whatever their length.
const WELL_KNOWN: &[&str] = &[
    "1234567890", "12345678910", "0123456789", "1qaz2wsx3edc", "qwertyuiop", "password123", "password1234",
    "passw0rd123", "admin12345", "administrator", "iloveyou123", "abc1234567", "a123456789", "qwe123456789",
    "woaini1314", "woaini123456", "linkage123", "linkage2025", "1q2w3e4r5t",
];

/// Which requirement a password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_CHARS`] characters.
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    TooLong,
    /// Only one kind of character (letters, digits or symbols).
    OneKind,
    /// It contains the user id.
    ContainsUserId,
    /// A well-known password.
    WellKnown,
    /// The same as the current password.
    Unchanged,
}

impl PasswordProblem {
    /// Stable code, e.g. `too_short`.
    pub fn code(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => "too_short",
            PasswordProblem::TooLong => "too_long",
            PasswordProblem::OneKind => "one_kind",
            PasswordProblem::ContainsUserId => "contains_user_id",
            PasswordProblem::WellKnown => "well_known",
            PasswordProblem::Unchanged => "unchanged",
        }
    }

    /// What is wrong, for the person choosing the password.
    pub fn words(self, locale: Locale) -> String {
        match (self, locale) {
            (PasswordProblem::TooShort, Locale::ZhCn) => format!("密码至少需要 {MIN_CHARS} 个字符"),
            (PasswordProblem::TooShort, _) => format!("the password needs at least {MIN_CHARS} characters"),
            (PasswordProblem::TooLong, Locale::ZhCn) => format!("密码最多 {MAX_CHARS} 个字符"),
            (PasswordProblem::TooLong, _) => format!("the password may have at most {MAX_CHARS} characters"),
            (PasswordProblem::OneKind, Locale::ZhCn) => "密码需同时包含字母、数字、符号中的至少两种".into(),
            (PasswordProblem::OneKind, _) => "the password needs at least two of letters, digits and symbols".into(),
            (PasswordProblem::ContainsUserId, Locale::ZhCn) => "密码不能包含账号".into(),
            (PasswordProblem::ContainsUserId, _) => "the password must not contain the user id".into(),
            (PasswordProblem::WellKnown, Locale::ZhCn) => "这个密码太常见，容易被猜到".into(),
            (PasswordProblem::WellKnown, _) => "this password is too common and easy to guess".into(),
            (PasswordProblem::Unchanged, Locale::ZhCn) => "新密码不能与原密码相同".into(),
            (PasswordProblem::Unchanged, _) => "the new password must differ from the old one".into(),
        }
    }
}

/// Checks a new password of `user_id` (and, when known, that it differs from `old`). The first problem found.
pub fn check(user_id: &str, password: &str, old: Option<&str>) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let letters = password.chars().any(char::is_alphabetic);
    let digits = password.chars().any(|c| c.is_ascii_digit());
    let symbols = password.chars().any(|c| !c.is_alphanumeric());
    if [letters, digits, symbols].into_iter().filter(|k| *k).count() < 2 {
        return Err(PasswordProblem::OneKind);
    }
    let lower = password.to_lowercase();
    if !user_id.is_empty() && lower.contains(&user_id.to_lowercase()) {
        return Err(PasswordProblem::ContainsUserId);
    }
    if WELL_KNOWN.contains(&lower.as_str()) {
        return Err(PasswordProblem::WellKnown);
    }
    if old == Some(password) {
        return Err(PasswordProblem::Unchanged);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_first_problem() {
        assert_eq!(check("gw1-1", "abc12", None), Err(PasswordProblem::TooShort));
        assert_eq!(check("gw1-1", &"a1".repeat(65), None), Err(PasswordProblem::TooLong));
        assert_eq!(check("gw1-1", "abcdefghijk", None), Err(PasswordProblem::OneKind));
        assert_eq!(check("gw1-1", "12345678901", None), Err(PasswordProblem::OneKind));
        assert_eq!(check("gw1-1", "GW1-1-secret9", None), Err(PasswordProblem::ContainsUserId));
        assert_eq!(check("ts1", "Password123", None), Err(PasswordProblem::WellKnown));
        assert_eq!(check("ts1", "青山绿水-2026年春", Some("青山绿水-2026年春")), Err(PasswordProblem::Unchanged));
        assert_eq!(check("ts1", "青山绿水-2026年春", Some("linkage2026")), Ok(()));
        // The demo's shared password passes (the demo's accounts are exempt from the forced change only).
        assert_eq!(check("gw1-1", "linkage2026", None), Ok(()));
        for p in [PasswordProblem::TooShort, PasswordProblem::OneKind, PasswordProblem::Unchanged] {
            assert!(!p.words(Locale::ZhCn).is_empty() && !p.words(Locale::En).is_empty());
            assert_ne!(p.words(Locale::ZhCn), p.words(Locale::En));
        }
    }
}
