//! The county's settings (县级配置) turned into the rules they set — on-site radius and fix age, visit cadence,
//! time limits on the county's working-day calendar, duplicate and acknowledgement windows — built the same
//! way on the phone (from its bundle and the change feed) and on the server (from its database), and the
//! loud warning for a year that starts within 30 days without a loaded holiday calendar (节假日安排).

use chrono::{Datelike, FixedOffset, NaiveDate, TimeZone};

use crate::labels::Locale;
use crate::rules::ack_window::AckWindowPolicy;
use crate::rules::cadence::CadencePolicy;
use crate::rules::calendar::{CalendarError, WorkCalendar};
use crate::rules::duplicates::DuplicatePolicy;
use crate::rules::geo::OnSitePolicy;
use crate::rules::sla::SlaRules;
use crate::wire::CountyConfig;

/// Days before a year starts from which a missing calendar for it is reported.
pub const CALENDAR_WARNING_DAYS: i64 = 30;

/// Every rule a county's settings set.
#[derive(Debug, Clone)]
pub struct CountyRules {
    pub on_site: OnSitePolicy,
    pub cadence: CadencePolicy,
    /// Time limits on the county's calendar (its yearly files plus the shipped years it did not replace).
    pub sla: SlaRules,
    pub duplicates: DuplicatePolicy,
    pub ack_windows: AckWindowPolicy,
    /// What of personal data each role receives (`rules::privacy`).
    pub privacy: crate::rules::privacy::PrivacyPolicy,
    /// Where a liaison head's report lands first (`rules::intake`).
    pub intake: crate::rules::intake::IntakePolicy,
}

impl Default for CountyRules {
    fn default() -> Self {
        CountyRules::from_config(&CountyConfig::default())
    }
}

impl CountyRules {
    /// The rules of a (validated) configuration; a part that does not validate keeps its default.
    pub fn from_config(config: &CountyConfig) -> CountyRules {
        let mut sla = SlaRules::china_default();
        let mut policy = sla.policy.clone();
        if policy.merge(config.sla.clone()).is_ok() {
            sla.policy = policy;
        }
        if let Ok(calendar) = config.work_calendar() {
            sla.calendar = calendar;
        }
        CountyRules {
            on_site: config.on_site,
            cadence: config.cadence,
            sla,
            duplicates: config.duplicates.unwrap_or_default(),
            ack_windows: config.ack_windows.unwrap_or_default(),
            privacy: config.privacy.clone().filter(|p| p.validate().is_ok()).unwrap_or_default(),
            intake: config.intake.unwrap_or_default(),
        }
    }
}

/// Why a yearly calendar file cannot be loaded into a county's settings; nothing is changed.
#[derive(Debug, thiserror::Error)]
pub enum CalendarImportError {
    #[error("the calendar file is not valid: {0}")]
    Invalid(#[from] CalendarError),
    #[error("the settings with this calendar are not valid: {0}")]
    Settings(crate::validate::FieldError),
}

/// The county's settings with `year_file` (the format of `protocol/calendars/2026.json`) as its calendar for
/// that year, replacing an earlier file of the same year. Returns the new settings and the year.
///
/// # Errors
/// A malformed file (bad JSON, unknown fields, bad or out-of-year dates, a day listed twice, a holiday that
/// is also a make-up working day) names the problem; the settings are not changed.
pub fn with_calendar_year(config: &CountyConfig, year_file: &str) -> Result<(CountyConfig, i32), CalendarImportError> {
    let mut probe = WorkCalendar::default();
    probe.load_year_json(year_file)?;
    let year = probe.loaded_years()[0];
    let value: serde_json::Value = serde_json::from_str(year_file).map_err(CalendarError::from)?;
    let mut next = config.clone();
    next.calendars.retain(|c| c.get("year").and_then(serde_json::Value::as_i64) != Some(i64::from(year)));
    next.calendars.push(value);
    next.calendars.sort_by_key(|c| c.get("year").and_then(serde_json::Value::as_i64));
    next.validate().map_err(CalendarImportError::Settings)?;
    Ok((next, year))
}

fn china_date(ms: i64) -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    cst.timestamp_millis_opt(ms).single().map_or(NaiveDate::MIN, |t| t.date_naive())
}

/// Years whose holiday calendar is not loaded although they have started or start within
/// [`CALENDAR_WARNING_DAYS`] of `now_ms` (China time): this year, and next year from early December.
pub fn missing_calendar_years(calendar: &WorkCalendar, now_ms: i64) -> Vec<i32> {
    let today = china_date(now_ms);
    let loaded = calendar.loaded_years();
    let mut missing = Vec::new();
    for year in [today.year(), today.year() + 1] {
        let Some(start) = NaiveDate::from_ymd_opt(year, 1, 1) else { continue };
        if (start - today).num_days() <= CALENDAR_WARNING_DAYS && !loaded.contains(&year) {
            missing.push(year);
        }
    }
    missing
}

/// The warning for missing calendar years, for staff (phone banner, server log, CLI); `None` when none is
/// missing.
pub fn calendar_warning(missing: &[i32], locale: Locale) -> Option<String> {
    if missing.is_empty() {
        return None;
    }
    let years = missing.iter().map(i32::to_string).collect::<Vec<_>>().join("、");
    Some(match locale {
        Locale::ZhCn => format!(
            "尚未导入 {years} 年的节假日安排：办理时限暂按周一至周五计算，节假日和调休不计入。请县里的系统管理员导入（linkage-server calendar import）"
        ),
        Locale::En => format!(
            "No holiday calendar loaded for {years}: time limits count Monday to Friday only, without holidays or make-up days. The county administrator must import it (linkage-server calendar import)"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(y: i32, m: u32, d: u32) -> i64 {
        let cst = FixedOffset::east_opt(8 * 3600).unwrap();
        cst.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap().timestamp_millis()
    }

    const FILE_2027: &str = r#"{"year":2027,"holidays":[{"name":"元旦","from":"2027-01-01"}],"workdays":[]}"#;

    #[test]
    fn a_year_without_calendar_is_reported_from_30_days_before_it_starts() {
        let shipped = WorkCalendar::china_default(); // 2026 only
        assert_eq!(missing_calendar_years(&shipped, ms(2026, 6, 1)), Vec::<i32>::new());
        assert_eq!(missing_calendar_years(&shipped, ms(2026, 12, 1)), Vec::<i32>::new(), "31 days before");
        assert_eq!(missing_calendar_years(&shipped, ms(2026, 12, 2)), [2027], "30 days before");
        assert_eq!(missing_calendar_years(&shipped, ms(2027, 3, 1)), [2027], "and all through the year");
        let county = CountyConfig { calendars: vec![serde_json::from_str(FILE_2027).unwrap()], ..CountyConfig::default() };
        let rules = CountyRules::from_config(&county);
        assert_eq!(rules.sla.calendar.loaded_years(), [2026, 2027]);
        assert_eq!(missing_calendar_years(&rules.sla.calendar, ms(2026, 12, 20)), Vec::<i32>::new());
        let w = calendar_warning(&[2027], Locale::ZhCn).unwrap();
        assert!(w.contains("2027") && w.contains("节假日"), "{w}");
        assert_eq!(calendar_warning(&[], Locale::ZhCn), None);
    }

    #[test]
    fn importing_a_year_replaces_that_year_and_refuses_bad_files_whole() {
        let (config, year) = with_calendar_year(&CountyConfig::default(), FILE_2027).unwrap();
        assert_eq!((year, config.calendars.len()), (2027, 1));
        let again = FILE_2027.replace("元旦", "新年");
        let (config, _) = with_calendar_year(&config, &again).unwrap();
        assert_eq!(config.calendars.len(), 1, "replaced, not added");
        assert_eq!(config.calendars[0]["holidays"][0]["name"], "新年");
        for (bad, what) in [
            ("{", "not JSON"),
            (r#"{"year":2027,"holidays":[{"name":"x","from":"2027-02-30"}]}"#, "bad date"),
            (r#"{"year":2027,"holidays":[{"name":"x","from":"2028-01-01"}]}"#, "outside the year"),
            (r#"{"year":2027,"holidays":[{"name":"x","from":"2027-01-01"}],"workdays":[{"name":"y","date":"2027-01-01"}]}"#, "conflict"),
            (r#"{"year":2027,"colour":"red"}"#, "unknown field"),
        ] {
            assert!(matches!(with_calendar_year(&config, bad), Err(CalendarImportError::Invalid(_))), "{what}");
        }
    }

    #[test]
    fn rules_follow_the_settings() {
        let config = CountyConfig {
            on_site: OnSitePolicy { radius_m: 250.0, max_fix_age_s: 300, ..OnSitePolicy::default() },
            ..CountyConfig::default()
        };
        let rules = CountyRules::from_config(&config);
        assert_eq!((rules.on_site.radius_m, rules.on_site.max_fix_age_s), (250.0, 300));
        assert_eq!(CountyRules::default().on_site, OnSitePolicy::default());
    }
}
