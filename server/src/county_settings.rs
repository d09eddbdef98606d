//! The county's settings other than its holiday calendars (县级配置), as the operator sets them from the
//! command line (`linkage-server county show|set <key> <value>`): the on-site radius, GPS accuracy and age,
//! the visit cadence (走访周期) per level, duplicate suggestions, directive acknowledgement windows, where a
//! liaison head's report lands first (首接: township or village branch, ADR 0008) and the time-limit overrides
//! (办理时限). Each is named by a dotted key, parsed as the type it has, checked by the
//! shared `CountyConfig::validate` (the rule the bundle and feed are checked with), and refused in zh-CN and
//! English naming the setting, with nothing changed. Storing goes through `Storage::set_county_config`, which
//! puts one `county_config_set` change in every phone's feed. Calendars have `calendar import`.

use linkage_protocol::rules::intake::IntakeLevel;
use linkage_protocol::rules::sla::SlaOverrides;
use linkage_protocol::wire::CountyConfig;
use serde_json::Value;

/// What a setting's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A positive number (metres).
    Number,
    /// A whole number.
    Whole,
    /// A whole number of days, or `none` (不要求) for a level without a cadence.
    OptionalWhole,
    /// A JSON file of time-limit overrides (the format of `SlaOverrides`).
    SlaFile,
    /// 乡镇 `township` or 村 `branch` (`IntakeLevel`).
    Level,
}

/// One setting the CLI knows: its dotted key, its words in Chinese and English, and its kind.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    kind: Kind,
}

const SETTINGS: &[Setting] = &[
    Setting { key: "on_site.radius_m", zh: "在现场判定半径（米）", en: "on-site radius (metres)", kind: Kind::Number },
    Setting { key: "on_site.max_accuracy_m", zh: "定位精度要求（米）", en: "worst GPS accuracy accepted (metres)", kind: Kind::Number },
    Setting { key: "on_site.max_fix_age_s", zh: "定位有效时间（秒）", en: "oldest GPS fix accepted (seconds)", kind: Kind::Whole },
    Setting { key: "cadence.county_days", zh: "县级联系户走访周期（天）", en: "county contact visit interval (days)", kind: Kind::OptionalWhole },
    Setting { key: "cadence.township_days", zh: "乡镇干部走访周期（天）", en: "township visit interval (days)", kind: Kind::OptionalWhole },
    Setting { key: "cadence.branch_days", zh: "网格员走访周期（天）", en: "grid worker visit interval (days)", kind: Kind::OptionalWhole },
    Setting { key: "cadence.group_days", zh: "联户长走访周期（天）", en: "liaison head visit interval (days)", kind: Kind::OptionalWhole },
    Setting { key: "duplicates.radius_m", zh: "重复诉求提示范围（米）", en: "duplicate suggestion radius (metres)", kind: Kind::Number },
    Setting { key: "duplicates.window_days", zh: "重复诉求提示时间（天）", en: "duplicate suggestion window (days)", kind: Kind::Whole },
    Setting { key: "ack_windows.alert_hours", zh: "预警签收时限（小时）", en: "alert acknowledgement window (hours)", kind: Kind::Whole },
    Setting { key: "ack_windows.notice_hours", zh: "通知签收时限（小时）", en: "notice acknowledgement window (hours)", kind: Kind::Whole },
    Setting { key: "intake.liaison_reports", zh: "联户长上报首先送达（township 乡镇 / branch 村支部）", en: "where a liaison head's report lands first (township / branch)", kind: Kind::Level },
    Setting { key: "sla", zh: "办理时限调整（JSON 文件）", en: "time-limit overrides (a JSON file)", kind: Kind::SlaFile },
];

/// Why a setting was refused; the message is zh-CN first, then English, and names what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SettingError {
    #[error("没有“{key}”这项设置，可设置的有：{known}。 / No setting `{key}`; the settings are: {known}.")]
    UnknownKey { key: String, known: String },
    #[error("“{zh}”的值“{value}”不对：{zh_problem}。未作任何修改。 / `{key}` = `{value}`: {en_problem}. Nothing was changed.")]
    BadValue { key: String, zh: String, value: String, zh_problem: String, en_problem: String },
}

fn setting(key: &str) -> Result<&'static Setting, SettingError> {
    SETTINGS.iter().find(|s| s.key == key).ok_or_else(|| SettingError::UnknownKey {
        key: key.to_string(),
        known: SETTINGS.iter().map(|s| s.key).collect::<Vec<_>>().join(", "),
    })
}

/// The settings as JSON, with the sections a county never set filled with their defaults (so every key has
/// a value to show and to replace) and without the calendars.
fn as_value(config: &CountyConfig) -> Value {
    let filled = CountyConfig {
        calendars: Vec::new(),
        duplicates: Some(config.duplicates.unwrap_or_default()),
        ack_windows: Some(config.ack_windows.unwrap_or_default()),
        intake: Some(config.intake.unwrap_or_default()),
        ..config.clone()
    };
    serde_json::to_value(filled).expect("settings serialize")
}

fn at<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(v, |v, part| v.get(part))
}

/// Every setting with its current value as text (`none` for a level without a cadence), in the CLI's order.
pub fn show(config: &CountyConfig) -> Vec<(Setting, String)> {
    let v = as_value(config);
    SETTINGS
        .iter()
        .map(|s| {
            let text = match (s.kind, at(&v, s.key)) {
                (Kind::SlaFile, _) => {
                    let n = config.sla.rules.len();
                    if n == 0 { "默认 / defaults".to_string() } else { format!("{n} 条调整 / {n} override rule(s)") }
                }
                (_, Some(Value::Null) | None) => "none".to_string(),
                (_, Some(Value::String(text))) => text.clone(),
                (_, Some(value)) => value.to_string(),
            };
            (*s, text)
        })
        .collect()
}

/// The settings with `key` set to `value` (for `sla`, `value` is the path of an overrides file), checked by
/// the shared rule. The calendars are kept as they are. A bad key or value is a [`SettingError`].
pub fn set(config: &CountyConfig, key: &str, value: &str) -> Result<CountyConfig, SettingError> {
    let s = setting(key)?;
    let bad = |zh_problem: &str, en_problem: String| SettingError::BadValue {
        key: s.key.to_string(),
        zh: s.zh.to_string(),
        value: value.to_string(),
        zh_problem: zh_problem.to_string(),
        en_problem,
    };
    let trimmed = value.trim();
    let mut next = match s.kind {
        Kind::SlaFile => {
            let text = std::fs::read_to_string(trimmed).map_err(|e| bad("读不到这个文件", format!("cannot read the file: {e}")))?;
            let sla = SlaOverrides::from_json(&text).map_err(|e| bad("文件格式不对", format!("not an overrides file: {e}")))?;
            CountyConfig { sla, ..config.clone() }
        }
        kind => {
            let new_value = match kind {
                Kind::OptionalWhole if matches!(trimmed, "none" | "不要求" | "无") => Value::Null,
                Kind::Level => Value::from(
                    IntakeLevel::parse(trimmed)
                        .ok_or_else(|| bad("要填 township（乡镇）或 branch（村支部）", "must be township or branch".into()))?
                        .as_str(),
                ),
                Kind::Whole | Kind::OptionalWhole => {
                    Value::from(trimmed.parse::<u32>().map_err(|_| bad("要填一个不小于 0 的整数", "must be a whole number".into()))?)
                }
                _ => {
                    let n = trimmed.parse::<f64>().ok().filter(|n| n.is_finite()).ok_or_else(|| bad("要填一个数字", "must be a number".into()))?;
                    Value::from(n)
                }
            };
            let mut v = as_value(config);
            let (section, field) = s.key.split_once('.').expect("dotted key");
            v[section][field] = new_value;
            let mut parsed: CountyConfig =
                serde_json::from_value(v).map_err(|e| bad("取值不对", format!("not a valid value: {e}")))?;
            // Sections the county never set stay unset while they hold the defaults.
            if config.duplicates.is_none() && parsed.duplicates == Some(Default::default()) {
                parsed.duplicates = None;
            }
            if config.ack_windows.is_none() && parsed.ack_windows == Some(Default::default()) {
                parsed.ack_windows = None;
            }
            if config.intake.is_none() && parsed.intake == Some(Default::default()) {
                parsed.intake = None;
            }
            parsed
        }
    };
    next.calendars = config.calendars.clone();
    next.validate().map_err(|e| bad("超出允许的范围", e.to_string()))?;
    Ok(next)
}

/// The known keys with their words, for `--help`.
pub fn help() -> String {
    SETTINGS.iter().map(|s| format!("  {:<26} {} / {}", s.key, s.zh, s.en)).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_shows_and_sets_through_the_shared_rule() {
        let base = CountyConfig::default();
        let shown = show(&base);
        assert_eq!(shown.len(), SETTINGS.len());
        let value = |shown: &[(Setting, String)], key: &str| shown.iter().find(|(s, _)| s.key == key).unwrap().1.clone();
        assert_eq!(value(&shown, "on_site.max_fix_age_s"), "120");
        assert_eq!(value(&shown, "cadence.group_days"), "none");
        assert_eq!(value(&shown, "duplicates.window_days"), "14");
        assert_eq!(value(&shown, "intake.liaison_reports"), "township");

        let c = set(&base, "on_site.max_fix_age_s", "90").unwrap();
        assert_eq!(c.on_site.max_fix_age_s, 90);
        assert_eq!(CountyConfig { on_site: base.on_site, ..c.clone() }, base, "nothing else changed");
        let c = set(&c, "cadence.group_days", " 30 ").unwrap();
        assert_eq!(c.cadence.group_days, Some(30));
        let c = set(&c, "cadence.county_days", "不要求").unwrap();
        assert_eq!(c.cadence.county_days, None);
        let c = set(&c, "on_site.radius_m", "150.5").unwrap();
        assert_eq!(c.on_site.radius_m, 150.5);
        let c = set(&c, "ack_windows.alert_hours", "3").unwrap();
        assert_eq!(c.ack_windows.map(|a| (a.alert_hours, a.notice_hours)), Some((3, 24)));
        let c = set(&c, "intake.liaison_reports", "branch").unwrap();
        assert_eq!(c.intake.map(|i| i.liaison_reports), Some(IntakeLevel::Branch));
        assert_eq!(set(&c, "intake.liaison_reports", "乡镇").unwrap().intake.map(|i| i.liaison_reports), Some(IntakeLevel::Township));
        assert_eq!(set(&base, "intake.liaison_reports", "township").unwrap().intake, None, "the default stays unset");
        // A section left at its defaults stays unset (the bundle stays as it was).
        assert_eq!(set(&base, "duplicates.window_days", "14").unwrap().duplicates, None);
        assert_eq!(set(&base, "duplicates.window_days", "7").unwrap().duplicates.map(|d| d.window_days), Some(7));
        // Calendars are kept as they were.
        let with_calendar = CountyConfig { calendars: vec![serde_json::json!({"year": 2027, "holidays": [], "workdays": []})], ..base.clone() };
        assert_eq!(set(&with_calendar, "on_site.radius_m", "80").unwrap().calendars, with_calendar.calendars);
    }

    #[test]
    fn bad_keys_and_values_are_refused_in_chinese_and_english() {
        let base = CountyConfig::default();
        let e = set(&base, "on_site.radius", "100").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("没有“on_site.radius”这项设置") && text.contains("on_site.radius_m"), "{text}");
        for (key, value, zh) in [
            ("on_site.max_fix_age_s", "abc", "要填一个不小于 0 的整数"),
            ("on_site.max_fix_age_s", "-5", "要填一个不小于 0 的整数"),
            ("on_site.max_fix_age_s", "0", "超出允许的范围"),
            ("on_site.max_fix_age_s", "99999", "超出允许的范围"),
            ("on_site.radius_m", "NaN", "要填一个数字"),
            ("on_site.radius_m", "-1", "超出允许的范围"),
            ("cadence.branch_days", "0", "超出允许的范围"),
            ("duplicates.window_days", "400", "超出允许的范围"),
            ("ack_windows.notice_hours", "721", "超出允许的范围"),
            ("on_site.max_fix_age_s", "none", "要填一个不小于 0 的整数"),
            ("sla", "/no/such/file.json", "读不到这个文件"),
            ("intake.liaison_reports", "county", "要填 township（乡镇）或 branch（村支部）"),
        ] {
            let e = set(&base, key, value).unwrap_err();
            let text = e.to_string();
            let SettingError::BadValue { zh: words, .. } = &e else { panic!("{text}") };
            assert!(text.contains(zh) && text.contains(words.as_str()) && text.contains("Nothing was changed"), "{key}={value}: {text}");
        }
    }

    #[test]
    fn time_limit_overrides_come_from_a_checked_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"rules": [{"step": "nonsense"}]}"#).unwrap();
        assert!(set(&CountyConfig::default(), "sla", bad.to_str().unwrap()).unwrap_err().to_string().contains("文件格式不对"));
        let none = dir.path().join("none.json");
        std::fs::write(&none, r#"{"rules": []}"#).unwrap();
        assert_eq!(set(&CountyConfig::default(), "sla", none.to_str().unwrap()).unwrap(), CountyConfig::default());
    }
}
