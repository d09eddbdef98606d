//! Time limits (限时办结) per handling step and the traffic light of open issues.
//!
//! Why this exists: every issue a resident reports must be accepted, signed for
//! (签收) by the assignee, resolved and verified by a return visit (回访) within
//! limits that depend on its category and urgency, following the practice of the
//! 12345 citizen hotlines (特急/紧急/一般). Township staff and the county both need
//! the same answer to "when is this due, and is it green, yellow or red?" on the
//! phone (offline) and on the server, so this module is pure and deterministic:
//! the policy is data (built-in defaults plus county JSON overrides), and "now" is
//! always a parameter.
//!
//! # Clock model
//! A [`SlaClock`] measures time in the *measure* of its limit's unit:
//! * [`LimitUnit::CalendarHours`] → wall-clock milliseconds;
//! * [`LimitUnit::WorkingHours`] and [`LimitUnit::WorkingDays`] → working
//!   milliseconds of the [`WorkCalendar`] (nights, lunch, weekends and holidays
//!   do not count; make-up days 调休 do).
//!
//! The *budget* is the measure between the start and the nominal deadline, where
//! the nominal deadline applies the limit and then each approved extension (延期)
//! in turn from the previous deadline, each in its own unit. For one unit this is
//! simply "amount + extensions". For working days the nominal deadline follows
//! [`WorkCalendar::add_working_days`] (the start day never counts; end of the
//! window of the n-th working day after it), so the budget of a step started at
//! 10:00 includes what is left of that day.
//!
//! Suspensions (挂起) pause the clock: *used* time is the measure from start to
//! now minus the measure of suspended spans, and the deadline is the first
//! instant at which used time reaches the budget. A suspension therefore moves
//! the deadline later by exactly the suspended measure that falls before it
//! (e.g. a suspension over a weekend moves a working-hours deadline by nothing),
//! and a suspension that begins after the deadline does not move it.
//! While a suspension is open (`to_ms == None`) used time does not grow, so the
//! light stays frozen at its value when the suspension began, `paused` is
//! reported, and [`SlaClock::deadline_ms`] projects the deadline as if the
//! suspension ended at `now` (the earliest the deadline can be).
//!
//! # Lights
//! Green below 80 % of the budget used, Yellow from 80 % to 100 % inclusive, Red
//! above 100 % — compared exactly on integer milliseconds. Because working time
//! does not flow at night, "exactly 100 %" can last from 17:30 to 08:30; the step
//! is Red as soon as the deadline instant has passed (see [`SlaClock::light`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::calendar::WorkCalendar;
use crate::model::{IssueCategory, Urgency};

const MS_PER_HOUR: i64 = 3_600_000;

/// Errors from policy overrides and clock construction.
#[derive(Debug, thiserror::Error)]
pub enum SlaError {
    #[error("SLA override file is not valid JSON or has unexpected fields: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{context}: amount must be between 1 and {max}, got {amount}", max = Limit::MAX_AMOUNT)]
    InvalidAmount { context: String, amount: u32 },
    #[error("{0} is listed twice in the same override file")]
    DuplicateRule(String),
    #[error(
        "overrides for category {category:?} (any urgency) and urgency {urgency:?} (any category) \
         both match step {step:?}; add a rule with both category and urgency to decide"
    )]
    AmbiguousRules {
        category: IssueCategory,
        urgency: Urgency,
        step: SlaStep,
    },
    #[error("suspension ends ({to_ms}) before it starts ({from_ms})")]
    InvertedSuspension { from_ms: i64, to_ms: i64 },
}

/// Unit of a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    /// 自然小时 — wall-clock hours, nights and holidays included (特急 cases).
    CalendarHours,
    /// 工作小时 — hours inside the working window of working days.
    WorkingHours,
    /// 工作日 — working days; see [`WorkCalendar::add_working_days`] for the counting rule.
    WorkingDays,
}

/// A time limit such as "3 working days".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub amount: u32,
    pub unit: LimitUnit,
}

impl Limit {
    /// Largest accepted amount (guards against typos such as 30000 days).
    pub const MAX_AMOUNT: u32 = 10_000;

    pub const fn calendar_hours(amount: u32) -> Self {
        Limit {
            amount,
            unit: LimitUnit::CalendarHours,
        }
    }
    pub const fn working_hours(amount: u32) -> Self {
        Limit {
            amount,
            unit: LimitUnit::WorkingHours,
        }
    }
    pub const fn working_days(amount: u32) -> Self {
        Limit {
            amount,
            unit: LimitUnit::WorkingDays,
        }
    }

    /// `Ok` when `1 <= amount <= MAX_AMOUNT`; `context` names the limit in the error.
    ///
    /// # Errors
    /// [`SlaError::InvalidAmount`] otherwise.
    pub fn validate(&self, context: &str) -> Result<(), SlaError> {
        if self.amount == 0 || self.amount > Self::MAX_AMOUNT {
            return Err(SlaError::InvalidAmount {
                context: context.to_string(),
                amount: self.amount,
            });
        }
        Ok(())
    }

    /// Applies this limit from `from_ms` (used for nominal deadlines and chaining).
    fn apply(&self, calendar: &WorkCalendar, from_ms: i64) -> i64 {
        match self.unit {
            LimitUnit::CalendarHours => {
                from_ms.saturating_add(i64::from(self.amount) * MS_PER_HOUR)
            }
            LimitUnit::WorkingHours => calendar.add_working_hours(from_ms, self.amount),
            LimitUnit::WorkingDays => calendar.add_working_days(from_ms, self.amount),
        }
    }
}

/// A handling step that has its own time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum SlaStep {
    /// 受理: the report is accepted (or rejected with reasons).
    Accept,
    /// 签收: the assignee signs for an assignment.
    SignFor,
    /// 办结: the issue is resolved.
    Resolve,
    /// 回访: the reporter is called back to verify.
    Verify,
}

impl SlaStep {
    pub const ALL: [SlaStep; 4] = [
        SlaStep::Accept,
        SlaStep::SignFor,
        SlaStep::Resolve,
        SlaStep::Verify,
    ];
}

/// Traffic light of an open step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// Less than 80 % of the budget used.
    Green,
    /// From 80 % to 100 % inclusive.
    Yellow,
    /// More than 100 % used: overdue (超期).
    Red,
    /// No clock runs: the issue is closed, rejected or merged. Never returned by [`SlaClock::light`].
    None,
}

/// One county override. Omitted `category` / `urgency` mean "any".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct OverrideRule {
    #[serde(default)]
    pub category: Option<IssueCategory>,
    #[serde(default)]
    pub urgency: Option<Urgency>,
    pub step: SlaStep,
    pub limit: Limit,
}

type RuleKey = (Option<IssueCategory>, Option<Urgency>, SlaStep);

impl OverrideRule {
    fn key(&self) -> RuleKey {
        (self.category, self.urgency, self.step)
    }

    fn describe(&self) -> String {
        fn or_any<T: std::fmt::Debug>(v: Option<&T>) -> String {
            v.map_or_else(|| "any".to_string(), |x| format!("{x:?}"))
        }
        format!(
            "override rule (category {}, urgency {}, step {:?})",
            or_any(self.category.as_ref()),
            or_any(self.urgency.as_ref()),
            self.step
        )
    }

    /// Whether this rule applies to the cell (ignoring more specific rules).
    pub fn applies_to(&self, category: IssueCategory, urgency: Urgency, step: SlaStep) -> bool {
        self.step == step
            && self.category.is_none_or(|c| c == category)
            && self.urgency.is_none_or(|u| u == urgency)
    }
}

/// County-editable override file:
/// ```json
/// { "rules": [
///   { "category": "petition", "urgency": "normal", "step": "resolve",
///     "limit": { "amount": 60, "unit": "working_days" } },
///   { "urgency": "urgent", "step": "accept",
///     "limit": { "amount": 2, "unit": "working_hours" } } ] }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SlaOverrides {
    #[serde(default)]
    pub rules: Vec<OverrideRule>,
}

impl SlaOverrides {
    /// Parses an override file (no validation beyond its shape; see [`SlaPolicy::merge`]).
    ///
    /// # Errors
    /// [`SlaError::Json`].
    pub fn from_json(json: &str) -> Result<Self, SlaError> {
        Ok(serde_json::from_str(json)?)
    }
}

/// Time limits per (category, urgency, step): built-in defaults with overrides.
///
/// Lookup picks the most specific matching override — category and urgency
/// both given, else one of them, else step only — and falls back to
/// [`SlaPolicy::default_limit`]. A category-only and an urgency-only rule that
/// would both apply to the same cell without an exact rule for it are rejected
/// as ambiguous when the overrides are merged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaPolicy {
    rules: BTreeMap<RuleKey, Limit>,
}

impl SlaPolicy {
    /// Policy with the built-in defaults only.
    pub fn chinese_default() -> Self {
        SlaPolicy::default()
    }

    /// Defaults merged with one override file.
    ///
    /// # Errors
    /// [`SlaError::Json`] for malformed JSON, unknown names or fields, and the
    /// validation errors of [`SlaPolicy::merge`].
    pub fn from_overrides_json(json: &str) -> Result<Self, SlaError> {
        let mut p = SlaPolicy::default();
        p.merge(SlaOverrides::from_json(json)?)?;
        Ok(p)
    }

    /// Merges a file over the current policy (e.g. province file, then county
    /// file). A rule replaces an earlier rule with the same (category, urgency,
    /// step) key; the same key twice in one file is an error. All amounts must be
    /// in `1..=Limit::MAX_AMOUNT`. On error the policy is left unchanged.
    ///
    /// # Errors
    /// [`SlaError::InvalidAmount`], [`SlaError::DuplicateRule`],
    /// [`SlaError::AmbiguousRules`].
    pub fn merge(&mut self, overrides: SlaOverrides) -> Result<(), SlaError> {
        let mut seen: BTreeSet<RuleKey> = BTreeSet::new();
        let mut next = self.rules.clone();
        for rule in &overrides.rules {
            rule.limit.validate(&rule.describe())?;
            if !seen.insert(rule.key()) {
                return Err(SlaError::DuplicateRule(rule.describe()));
            }
            next.insert(rule.key(), rule.limit);
        }
        check_ambiguity(&next)?;
        self.rules = next;
        Ok(())
    }

    /// The override rules in force (not including defaults).
    pub fn overrides(&self) -> SlaOverrides {
        SlaOverrides {
            rules: self
                .rules
                .iter()
                .map(|(&(category, urgency, step), &limit)| OverrideRule {
                    category,
                    urgency,
                    step,
                    limit,
                })
                .collect(),
        }
    }

    /// The limit in force for a cell.
    pub fn limit(&self, category: IssueCategory, urgency: Urgency, step: SlaStep) -> Limit {
        let candidates = [
            (Some(category), Some(urgency), step),
            (Some(category), None, step),
            (None, Some(urgency), step),
            (None, None, step),
        ];
        candidates
            .iter()
            .find_map(|k| self.rules.get(k).copied())
            .unwrap_or_else(|| Self::default_limit(category, urgency, step))
    }

    /// Built-in defaults (12345 hotline practice):
    ///
    /// | urgency      | accept 受理 | sign for 签收 | resolve 办结 | verify 回访 |
    /// |--------------|-------------|---------------|--------------|-------------|
    /// | 特急 Critical | 2 calendar h | 1 calendar h | 24 calendar h | 1 working day |
    /// | 紧急 Urgent   | 4 working h | 1 working day | 3 working days | 1 working day |
    /// | 一般 Normal   | 1 working day | 1 working day | 7 working days (Petition 信访 and Dispute: 15) | 1 working day |
    pub fn default_limit(category: IssueCategory, urgency: Urgency, step: SlaStep) -> Limit {
        match (urgency, step) {
            (_, SlaStep::Verify) => Limit::working_days(1),
            (Urgency::Critical, SlaStep::Accept) => Limit::calendar_hours(2),
            (Urgency::Critical, SlaStep::SignFor) => Limit::calendar_hours(1),
            (Urgency::Critical, SlaStep::Resolve) => Limit::calendar_hours(24),
            (Urgency::Urgent, SlaStep::Accept) => Limit::working_hours(4),
            (Urgency::Urgent, SlaStep::SignFor) => Limit::working_days(1),
            (Urgency::Urgent, SlaStep::Resolve) => Limit::working_days(3),
            (Urgency::Normal, SlaStep::Accept) => Limit::working_days(1),
            (Urgency::Normal, SlaStep::SignFor) => Limit::working_days(1),
            (Urgency::Normal, SlaStep::Resolve) => match category {
                IssueCategory::Petition | IssueCategory::Dispute => Limit::working_days(15),
                _ => Limit::working_days(7),
            },
        }
    }
}

fn check_ambiguity(rules: &BTreeMap<RuleKey, Limit>) -> Result<(), SlaError> {
    for &(cat, urg, step) in rules.keys() {
        let (Some(category), None) = (cat, urg) else {
            continue;
        };
        for &(cat2, urg2, step2) in rules.keys() {
            let (None, Some(urgency)) = (cat2, urg2) else {
                continue;
            };
            if step2 == step && !rules.contains_key(&(Some(category), Some(urgency), step)) {
                return Err(SlaError::AmbiguousRules {
                    category,
                    urgency,
                    step,
                });
            }
        }
    }
    Ok(())
}

/// A suspension (挂起) interval `[from_ms, to_ms)`; `to_ms == None` while still suspended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub from_ms: i64,
    pub to_ms: Option<i64>,
}

/// Everything the UI needs about one open step at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaStatus {
    pub light: Light,
    /// Currently suspended: the light is frozen.
    pub paused: bool,
    /// Used time, in the measure of the limit's unit (wall or working ms).
    pub used_ms: i64,
    /// Total budget including extensions, same measure.
    pub budget_ms: i64,
    /// `budget_ms - used_ms`; negative when overdue.
    pub remaining_ms: i64,
    /// Deadline (projected while paused, see [`SlaClock::deadline_ms`]).
    pub deadline_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Wall,
    Working,
}

/// The running clock of one step. See the module docs for the model.
#[derive(Debug, Clone)]
pub struct SlaClock<'c> {
    calendar: &'c WorkCalendar,
    start_ms: i64,
    limit: Limit,
    extensions: Vec<Limit>,
    measure: Measure,
    /// Sorted, merged, clipped to `>= start_ms`, non-empty; only the last may be open.
    suspensions: Vec<(i64, Option<i64>)>,
    budget_ms: i64,
}

impl<'c> SlaClock<'c> {
    /// Builds a clock. The limit and each extension must have an amount in
    /// `1..=Limit::MAX_AMOUNT`; extensions may use any unit and are applied in
    /// order after the limit. Suspensions may come in any order; overlapping
    /// ones are merged, parts before `start_ms` are ignored, and a suspension
    /// with `to_ms < from_ms` is rejected.
    ///
    /// # Errors
    /// [`SlaError::InvalidAmount`] for the limit or an extension,
    /// [`SlaError::InvertedSuspension`].
    pub fn new(
        calendar: &'c WorkCalendar,
        start_ms: i64,
        limit: Limit,
        suspensions: &[Suspension],
        extensions: &[Limit],
    ) -> Result<Self, SlaError> {
        limit.validate("time limit")?;
        for (i, e) in extensions.iter().enumerate() {
            e.validate(&format!("extension #{}", i + 1))?;
        }
        let measure = match limit.unit {
            LimitUnit::CalendarHours => Measure::Wall,
            LimitUnit::WorkingHours | LimitUnit::WorkingDays => Measure::Working,
        };
        let mut raw: Vec<(i64, Option<i64>)> = Vec::with_capacity(suspensions.len());
        for s in suspensions {
            if let Some(to) = s.to_ms {
                if to < s.from_ms {
                    return Err(SlaError::InvertedSuspension {
                        from_ms: s.from_ms,
                        to_ms: to,
                    });
                }
                if to <= start_ms || to == s.from_ms {
                    continue;
                }
            }
            raw.push((s.from_ms.max(start_ms), s.to_ms));
        }
        raw.sort_by_key(|&(f, _)| f);
        let mut merged: Vec<(i64, Option<i64>)> = Vec::with_capacity(raw.len());
        for (f, t) in raw {
            if let Some(last) = merged.last_mut() {
                match last.1 {
                    None => continue, // an open suspension absorbs everything after it
                    Some(prev_to) if f <= prev_to => {
                        last.1 = t.map(|t| t.max(prev_to));
                        continue;
                    }
                    Some(_) => {}
                }
            }
            merged.push((f, t));
        }
        let mut nominal = start_ms;
        for l in std::iter::once(&limit).chain(extensions) {
            nominal = l.apply(calendar, nominal);
        }
        let mut clock = SlaClock {
            calendar,
            start_ms,
            limit,
            extensions: extensions.to_vec(),
            measure,
            suspensions: merged,
            budget_ms: 0,
        };
        clock.budget_ms = clock.measure_between(start_ms, nominal).max(1);
        Ok(clock)
    }

    pub fn start_ms(&self) -> i64 {
        self.start_ms
    }

    pub fn limit(&self) -> Limit {
        self.limit
    }

    pub fn extensions(&self) -> &[Limit] {
        &self.extensions
    }

    /// Total budget (limit + extensions) in the limit's measure: wall ms for
    /// calendar hours, working ms otherwise.
    pub fn budget_ms(&self) -> i64 {
        self.budget_ms
    }

    fn measure_between(&self, a: i64, b: i64) -> i64 {
        match self.measure {
            Measure::Wall => b.saturating_sub(a).max(0),
            Measure::Working => self.calendar.working_millis_between(a, b),
        }
    }

    fn advance(&self, from: i64, amount: i64) -> i64 {
        match self.measure {
            Measure::Wall => from.saturating_add(amount),
            Measure::Working => self.calendar.add_working_millis(from, amount),
        }
    }

    /// The instant at which used time reaches the budget. Closed suspensions
    /// before that instant push it later by their measure; an open suspension is
    /// treated as ending at `max(now_ms, its start)`, so while paused the value
    /// grows with `now_ms` (earliest possible deadline). Without suspensions and
    /// extensions this equals the nominal deadline of the limit, e.g. the end of
    /// the working window of the n-th working day for working days.
    pub fn deadline_ms(&self, now_ms: i64) -> i64 {
        let mut cursor = self.start_ms;
        let mut remaining = self.budget_ms;
        for &(from, to) in &self.suspensions {
            let available = self.measure_between(cursor, from);
            if available >= remaining {
                return self.advance(cursor, remaining);
            }
            remaining -= available;
            cursor = match to {
                Some(to) => to,
                None => now_ms.max(from),
            };
        }
        self.advance(cursor, remaining)
    }

    /// Used time at `now_ms` in the limit's measure, excluding suspended spans
    /// (0 before the start).
    pub fn used_ms(&self, now_ms: i64) -> i64 {
        if now_ms <= self.start_ms {
            return 0;
        }
        let mut used = self.measure_between(self.start_ms, now_ms);
        for &(from, to) in &self.suspensions {
            if from >= now_ms {
                break;
            }
            let end = to.map_or(now_ms, |t| t.min(now_ms));
            used -= self.measure_between(from, end);
        }
        used
    }

    /// `used_ms / budget_ms` (1.0 = deadline reached). For display only; the
    /// light uses exact integer arithmetic.
    pub fn used_fraction(&self, now_ms: i64) -> f64 {
        self.used_ms(now_ms) as f64 / self.budget_ms as f64
    }

    /// Start of the suspension covering `now_ms`, if any.
    pub fn current_suspension_start(&self, now_ms: i64) -> Option<i64> {
        self.suspensions
            .iter()
            .find(|&&(from, to)| now_ms >= from && to.is_none_or(|t| now_ms < t))
            .map(|&(from, _)| from)
    }

    /// Whether `now_ms` falls inside a suspension.
    pub fn is_paused(&self, now_ms: i64) -> bool {
        self.current_suspension_start(now_ms).is_some()
    }

    /// Traffic light at `now_ms`:
    /// * Green when `used * 100 < budget * 80` (below 80 %);
    /// * Yellow when `budget * 80 <= used * 100` and `used <= budget`
    ///   (80 % to 100 % inclusive; exactly at the deadline instant it is Yellow);
    /// * Red when `used > budget`, **or** when `used == budget` and the deadline
    ///   instant has passed. The second case only arises outside working time: a
    ///   working-hours step due at 17:30 has used exactly 100 % all night, and it
    ///   is overdue (Red) from 17:30 + 1 ms rather than from 08:30 next morning.
    ///
    /// While suspended the light is evaluated at the instant the suspension began
    /// (frozen). Integer arithmetic in `i128`: no float edge errors.
    pub fn light(&self, now_ms: i64) -> Light {
        let t = self.current_suspension_start(now_ms).unwrap_or(now_ms);
        let used = self.used_ms(t);
        match light_for(used, self.budget_ms) {
            Light::Yellow if used == self.budget_ms && t > self.deadline_ms(t) => Light::Red,
            other => other,
        }
    }

    /// Light, pause flag, used/remaining time and deadline at `now_ms`.
    pub fn status(&self, now_ms: i64) -> SlaStatus {
        let used_ms = self.used_ms(now_ms);
        SlaStatus {
            light: self.light(now_ms),
            paused: self.is_paused(now_ms),
            used_ms,
            budget_ms: self.budget_ms,
            remaining_ms: self.budget_ms - used_ms,
            deadline_ms: self.deadline_ms(now_ms),
        }
    }
}

fn light_for(used_ms: i64, budget_ms: i64) -> Light {
    let used = i128::from(used_ms);
    let budget = i128::from(budget_ms);
    if used * 100 < budget * 80 {
        Light::Green
    } else if used <= budget {
        Light::Yellow
    } else {
        Light::Red
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{FixedOffset, TimeZone};

    const H: i64 = 3_600_000;
    const MIN: i64 = 60_000;

    /// Unix ms of a CST wall-clock instant.
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap()
            .timestamp_millis()
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::china_default()
    }

    const CATEGORIES: [IssueCategory; 9] = [
        IssueCategory::Infrastructure,
        IssueCategory::Dispute,
        IssueCategory::LivelihoodAid,
        IssueCategory::SafetyHazard,
        IssueCategory::Sanitation,
        IssueCategory::ForestFire,
        IssueCategory::Petition,
        IssueCategory::PolicyConsultation,
        IssueCategory::Other,
    ];
    const URGENCIES: [Urgency; 3] = [Urgency::Normal, Urgency::Urgent, Urgency::Critical];

    fn clock<'c>(c: &'c WorkCalendar, start: i64, limit: Limit) -> SlaClock<'c> {
        SlaClock::new(c, start, limit, &[], &[]).unwrap()
    }

    fn susp(from: i64, to: i64) -> Suspension {
        Suspension {
            from_ms: from,
            to_ms: Some(to),
        }
    }

    // ---------- policy defaults ----------

    #[test]
    fn defaults_full_table() {
        let p = SlaPolicy::chinese_default();
        for cat in CATEGORIES {
            for urg in URGENCIES {
                let slow = matches!(cat, IssueCategory::Petition | IssueCategory::Dispute);
                let expected = match urg {
                    Urgency::Critical => [
                        Limit::calendar_hours(2),
                        Limit::calendar_hours(1),
                        Limit::calendar_hours(24),
                        Limit::working_days(1),
                    ],
                    Urgency::Urgent => [
                        Limit::working_hours(4),
                        Limit::working_days(1),
                        Limit::working_days(3),
                        Limit::working_days(1),
                    ],
                    Urgency::Normal => [
                        Limit::working_days(1),
                        Limit::working_days(1),
                        Limit::working_days(if slow { 15 } else { 7 }),
                        Limit::working_days(1),
                    ],
                };
                for (step, want) in SlaStep::ALL.iter().zip(expected) {
                    assert_eq!(p.limit(cat, urg, *step), want, "{cat:?} {urg:?} {step:?}");
                }
            }
        }
    }

    #[test]
    fn defaults_spot_checks() {
        let p = SlaPolicy::chinese_default();
        assert_eq!(
            p.limit(IssueCategory::Petition, Urgency::Normal, SlaStep::Resolve),
            Limit::working_days(15)
        );
        assert_eq!(
            p.limit(IssueCategory::Petition, Urgency::Urgent, SlaStep::Resolve),
            Limit::working_days(3)
        );
        assert_eq!(
            p.limit(
                IssueCategory::ForestFire,
                Urgency::Critical,
                SlaStep::Accept
            ),
            Limit::calendar_hours(2)
        );
        assert_eq!(
            p.limit(IssueCategory::Sanitation, Urgency::Normal, SlaStep::Resolve),
            Limit::working_days(7)
        );
        assert!(p.overrides().rules.is_empty());
    }

    // ---------- overrides ----------

    const COUNTY: &str = r#"{ "rules": [
        { "category": "petition", "urgency": "normal", "step": "resolve",
          "limit": { "amount": 60, "unit": "working_days" } },
        { "urgency": "urgent", "step": "accept",
          "limit": { "amount": 2, "unit": "working_hours" } },
        { "category": "forest_fire", "step": "sign_for",
          "limit": { "amount": 30, "unit": "calendar_hours" } },
        { "step": "verify", "limit": { "amount": 2, "unit": "working_days" } }
    ] }"#;

    #[test]
    fn override_merge_over_defaults() {
        let p = SlaPolicy::from_overrides_json(COUNTY).unwrap();
        // Exact rule.
        assert_eq!(
            p.limit(IssueCategory::Petition, Urgency::Normal, SlaStep::Resolve),
            Limit::working_days(60)
        );
        // Untouched neighbours keep their defaults.
        assert_eq!(
            p.limit(IssueCategory::Dispute, Urgency::Normal, SlaStep::Resolve),
            Limit::working_days(15)
        );
        assert_eq!(
            p.limit(IssueCategory::Petition, Urgency::Critical, SlaStep::Resolve),
            Limit::calendar_hours(24)
        );
        // Urgency-wide rule.
        for cat in CATEGORIES {
            assert_eq!(
                p.limit(cat, Urgency::Urgent, SlaStep::Accept),
                Limit::working_hours(2)
            );
            assert_eq!(
                p.limit(cat, Urgency::Normal, SlaStep::Accept),
                Limit::working_days(1)
            );
        }
        // Category-wide rule.
        for urg in URGENCIES {
            assert_eq!(
                p.limit(IssueCategory::ForestFire, urg, SlaStep::SignFor),
                Limit::calendar_hours(30)
            );
        }
        assert_eq!(
            p.limit(IssueCategory::Other, Urgency::Critical, SlaStep::SignFor),
            Limit::calendar_hours(1)
        );
        // Step-wide rule.
        for cat in CATEGORIES {
            for urg in URGENCIES {
                assert_eq!(p.limit(cat, urg, SlaStep::Verify), Limit::working_days(2));
            }
        }
        // Round trip of the rules in force.
        let back = serde_json::to_string(&p.overrides()).unwrap();
        assert_eq!(SlaPolicy::from_overrides_json(&back).unwrap(), p);
    }

    #[test]
    fn override_specificity_and_second_file() {
        let mut p = SlaPolicy::from_overrides_json(
            r#"{"rules":[
              {"step":"resolve","limit":{"amount":10,"unit":"working_days"}},
              {"urgency":"normal","step":"resolve","limit":{"amount":20,"unit":"working_days"}},
              {"category":"other","urgency":"normal","step":"resolve","limit":{"amount":30,"unit":"working_days"}}
            ]}"#,
        )
        .unwrap();
        let r = |p: &SlaPolicy, c, u| p.limit(c, u, SlaStep::Resolve).amount;
        assert_eq!(r(&p, IssueCategory::Other, Urgency::Normal), 30);
        assert_eq!(r(&p, IssueCategory::Petition, Urgency::Normal), 20);
        assert_eq!(r(&p, IssueCategory::Petition, Urgency::Critical), 10);
        // A second file replaces the same key and keeps the rest.
        p.merge(
            SlaOverrides::from_json(
                r#"{"rules":[{"step":"resolve","limit":{"amount":12,"unit":"working_days"}}]}"#,
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(r(&p, IssueCategory::Petition, Urgency::Critical), 12);
        assert_eq!(r(&p, IssueCategory::Other, Urgency::Normal), 30);
        // Empty file is fine.
        assert_eq!(
            SlaPolicy::from_overrides_json("{}").unwrap(),
            SlaPolicy::default()
        );
    }

    #[test]
    fn override_rejects_invalid_amounts() {
        let zero = r#"{"rules":[{"category":"petition","step":"resolve","limit":{"amount":0,"unit":"working_days"}}]}"#;
        let err = SlaPolicy::from_overrides_json(zero).unwrap_err();
        assert!(
            matches!(err, SlaError::InvalidAmount { amount: 0, .. }),
            "{err}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("Petition") && msg.contains("Resolve") && msg.contains("got 0"),
            "{msg}"
        );
        let huge =
            r#"{"rules":[{"step":"resolve","limit":{"amount":10001,"unit":"working_days"}}]}"#;
        assert!(matches!(
            SlaPolicy::from_overrides_json(huge),
            Err(SlaError::InvalidAmount { amount: 10001, .. })
        ));
        let max =
            r#"{"rules":[{"step":"resolve","limit":{"amount":10000,"unit":"working_days"}}]}"#;
        assert!(SlaPolicy::from_overrides_json(max).is_ok());
        let negative =
            r#"{"rules":[{"step":"resolve","limit":{"amount":-1,"unit":"working_days"}}]}"#;
        assert!(matches!(
            SlaPolicy::from_overrides_json(negative),
            Err(SlaError::Json(_))
        ));
    }

    #[test]
    fn override_rejects_bad_shapes() {
        for bad in [
            r#"{"rules":[{"category":"weather","step":"resolve","limit":{"amount":1,"unit":"working_days"}}]}"#,
            r#"{"rules":[{"step":"close","limit":{"amount":1,"unit":"working_days"}}]}"#,
            r#"{"rules":[{"step":"resolve","limit":{"amount":1,"unit":"days"}}]}"#,
            r#"{"rules":[{"step":"resolve","limt":{"amount":1,"unit":"working_days"}}]}"#,
            r#"{"rules":[{"step":"resolve"}]}"#,
            r#"{"rule":[]}"#,
            "not json",
        ] {
            assert!(
                matches!(SlaPolicy::from_overrides_json(bad), Err(SlaError::Json(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn override_rejects_duplicates_and_ambiguity() {
        let dup = r#"{"rules":[
            {"urgency":"urgent","step":"accept","limit":{"amount":2,"unit":"working_hours"}},
            {"urgency":"urgent","step":"accept","limit":{"amount":3,"unit":"working_hours"}}]}"#;
        assert!(matches!(
            SlaPolicy::from_overrides_json(dup),
            Err(SlaError::DuplicateRule(_))
        ));
        let ambiguous = r#"{"rules":[
            {"category":"forest_fire","step":"accept","limit":{"amount":1,"unit":"calendar_hours"}},
            {"urgency":"urgent","step":"accept","limit":{"amount":2,"unit":"working_hours"}}]}"#;
        let err = SlaPolicy::from_overrides_json(ambiguous).unwrap_err();
        assert!(
            matches!(
                err,
                SlaError::AmbiguousRules {
                    category: IssueCategory::ForestFire,
                    urgency: Urgency::Urgent,
                    step: SlaStep::Accept
                }
            ),
            "{err}"
        );
        // An exact rule for the intersection resolves it.
        let resolved = r#"{"rules":[
            {"category":"forest_fire","step":"accept","limit":{"amount":1,"unit":"calendar_hours"}},
            {"urgency":"urgent","step":"accept","limit":{"amount":2,"unit":"working_hours"}},
            {"category":"forest_fire","urgency":"urgent","step":"accept","limit":{"amount":1,"unit":"calendar_hours"}}]}"#;
        let p = SlaPolicy::from_overrides_json(resolved).unwrap();
        assert_eq!(
            p.limit(IssueCategory::ForestFire, Urgency::Urgent, SlaStep::Accept),
            Limit::calendar_hours(1)
        );
        assert_eq!(
            p.limit(IssueCategory::Other, Urgency::Urgent, SlaStep::Accept),
            Limit::working_hours(2)
        );
        // Different steps never conflict.
        let other_steps = r#"{"rules":[
            {"category":"forest_fire","step":"accept","limit":{"amount":1,"unit":"calendar_hours"}},
            {"urgency":"urgent","step":"resolve","limit":{"amount":2,"unit":"working_days"}}]}"#;
        assert!(SlaPolicy::from_overrides_json(other_steps).is_ok());
    }

    #[test]
    fn failed_merge_leaves_policy_unchanged() {
        let mut p = SlaPolicy::from_overrides_json(COUNTY).unwrap();
        let before = p.clone();
        let bad = SlaOverrides::from_json(
            r#"{"rules":[{"step":"accept","limit":{"amount":3,"unit":"working_hours"}},
                         {"step":"resolve","limit":{"amount":0,"unit":"working_days"}}]}"#,
        )
        .unwrap();
        assert!(p.merge(bad).is_err());
        assert_eq!(p, before);
        // Ambiguity created across files is caught too.
        let cross = SlaOverrides::from_json(
            r#"{"rules":[{"category":"sanitation","step":"accept","limit":{"amount":3,"unit":"working_hours"}}]}"#,
        )
        .unwrap();
        assert!(matches!(
            p.merge(cross),
            Err(SlaError::AmbiguousRules { .. })
        ));
        assert_eq!(p, before);
    }

    #[test]
    fn rule_applies_to() {
        let r = OverrideRule {
            category: None,
            urgency: Some(Urgency::Urgent),
            step: SlaStep::Accept,
            limit: Limit::working_hours(1),
        };
        assert!(r.applies_to(IssueCategory::Other, Urgency::Urgent, SlaStep::Accept));
        assert!(!r.applies_to(IssueCategory::Other, Urgency::Normal, SlaStep::Accept));
        assert!(!r.applies_to(IssueCategory::Other, Urgency::Urgent, SlaStep::Resolve));
    }

    // ---------- clock: nominal deadlines ----------

    #[test]
    fn nominal_deadlines_per_unit() {
        let c = cal();
        // 特急 resolve 24 calendar hours from Fri 20:00 → Sat 20:00.
        let k = clock(&c, at(2026, 3, 13, 20, 0), Limit::calendar_hours(24));
        assert_eq!(k.deadline_ms(0), at(2026, 3, 14, 20, 0));
        assert_eq!(k.budget_ms(), 24 * H);
        // 紧急 accept 4 working hours from Fri 16:00 → Mon 11:00.
        let k = clock(&c, at(2026, 3, 13, 16, 0), Limit::working_hours(4));
        assert_eq!(k.deadline_ms(0), at(2026, 3, 16, 11, 0));
        assert_eq!(k.budget_ms(), 4 * H);
        // 一般 resolve 7 working days reported on Sep 30 → Oct 8,9,10,12,13,14,15.
        let k = clock(&c, at(2026, 9, 30, 10, 0), Limit::working_days(7));
        assert_eq!(k.deadline_ms(0), at(2026, 10, 15, 17, 30));
        // Budget includes the rest of Sep 30 (2 h + 3.5 h) plus 7 full days.
        assert_eq!(k.budget_ms(), 5 * H + 30 * MIN + 7 * 7 * H);
        // Reported on a holiday: exactly n full days.
        let k = clock(&c, at(2026, 2, 17, 10, 0), Limit::working_days(3));
        assert_eq!(k.deadline_ms(0), at(2026, 2, 26, 17, 30));
        assert_eq!(k.budget_ms(), 3 * 7 * H);
    }

    #[test]
    fn invalid_clock_inputs() {
        let c = cal();
        let s = at(2026, 3, 10, 9, 0);
        assert!(matches!(
            SlaClock::new(&c, s, Limit::working_days(0), &[], &[]),
            Err(SlaError::InvalidAmount { amount: 0, .. })
        ));
        assert!(matches!(
            SlaClock::new(
                &c,
                s,
                Limit::working_days(1),
                &[],
                &[Limit::working_days(0)]
            ),
            Err(SlaError::InvalidAmount { amount: 0, .. })
        ));
        assert!(matches!(
            SlaClock::new(
                &c,
                s,
                Limit::working_days(1),
                &[susp(s + 2 * H, s + H)],
                &[]
            ),
            Err(SlaError::InvertedSuspension { .. })
        ));
    }

    // ---------- lights ----------

    /// Working-hours budget of 10 h from Mon 2026-03-09 08:30: deadline Tue 11:30.
    fn ten_hours(c: &WorkCalendar) -> SlaClock<'_> {
        clock(c, at(2026, 3, 9, 8, 30), Limit::working_hours(10))
    }

    #[test]
    fn light_thresholds_exact_working_hours() {
        let c = cal();
        let k = ten_hours(&c);
        let start = k.start_ms();
        let budget = k.budget_ms();
        assert_eq!(budget, 10 * H);
        let pct = |p: i64| c.add_working_millis(start, budget * p / 100);
        // 79 % = 7.9 h → Tue 09:24.
        assert_eq!(pct(79), at(2026, 3, 10, 9, 24));
        assert_eq!(k.used_ms(pct(79)), 79 * budget / 100);
        assert_eq!(k.light(pct(79)), Light::Green);
        // 80 % = 8 h → Tue 09:30; one ms earlier is still green.
        assert_eq!(pct(80), at(2026, 3, 10, 9, 30));
        assert_eq!(k.light(pct(80) - 1), Light::Green);
        assert_eq!(k.light(pct(80)), Light::Yellow);
        // 100 % = deadline Tue 11:30: Yellow, inclusive.
        assert_eq!(pct(100), at(2026, 3, 10, 11, 30));
        assert_eq!(k.deadline_ms(pct(100)), pct(100));
        assert_eq!(k.light(pct(100)), Light::Yellow);
        assert_eq!(k.used_fraction(pct(100)), 1.0);
        // 100 % + 1 ms and 101 % → Red.
        assert_eq!(k.light(pct(100) + 1), Light::Red);
        assert_eq!(pct(101), at(2026, 3, 10, 11, 36));
        assert_eq!(k.light(pct(101)), Light::Red);
        assert!((k.used_fraction(pct(101)) - 1.01).abs() < 1e-12);
        assert!((k.used_fraction(pct(79)) - 0.79).abs() < 1e-12);
        // Before the start.
        assert_eq!(k.used_ms(start - H), 0);
        assert_eq!(k.light(start - H), Light::Green);
    }

    #[test]
    fn light_thresholds_exact_calendar_hours() {
        let c = cal();
        let s = at(2026, 2, 16, 22, 0); // a holiday night: wall time still counts
        let k = clock(&c, s, Limit::calendar_hours(24));
        let b = 24 * H;
        assert_eq!(k.light(s + b * 79 / 100), Light::Green);
        assert_eq!(k.light(s + b * 80 / 100 - 1), Light::Green);
        assert_eq!(k.light(s + b * 80 / 100), Light::Yellow);
        assert_eq!(k.light(s + b), Light::Yellow);
        assert_eq!(k.light(s + b + 1), Light::Red);
        assert_eq!(k.light(s + b * 101 / 100), Light::Red);
    }

    #[test]
    fn light_thresholds_exact_working_days() {
        let c = cal();
        // Tue 10:00 + 1 working day → Wed 17:30; budget 5.5 h + 7 h = 12.5 h.
        let k = clock(&c, at(2026, 3, 10, 10, 0), Limit::working_days(1));
        assert_eq!(k.budget_ms(), 12 * H + 30 * MIN);
        // 80 % = 10 h: Tue 5.5 h, Wed 08:30 + 3.5 h = 12:00, + 1 h → 15:00.
        assert_eq!(k.light(at(2026, 3, 11, 15, 0) - 1), Light::Green);
        assert_eq!(k.light(at(2026, 3, 11, 15, 0)), Light::Yellow);
        assert_eq!(k.light(at(2026, 3, 11, 17, 30)), Light::Yellow);
        // Past the 17:30 deadline: still exactly 100 % of working time, but overdue.
        assert_eq!(k.used_fraction(at(2026, 3, 11, 20, 0)), 1.0);
        assert_eq!(k.light(at(2026, 3, 11, 17, 30) + 1), Light::Red);
        assert_eq!(k.light(at(2026, 3, 11, 20, 0)), Light::Red);
        assert_eq!(k.light(at(2026, 3, 12, 9, 0)), Light::Red);
    }

    #[test]
    fn light_integer_arithmetic_edges() {
        assert_eq!(light_for(79, 100), Light::Green);
        assert_eq!(light_for(80, 100), Light::Yellow);
        assert_eq!(light_for(100, 100), Light::Yellow);
        assert_eq!(light_for(101, 100), Light::Red);
        // 12/15 = 80 % exactly, 11/15 ≈ 73 %, 4/5 = 80 %.
        assert_eq!(light_for(12, 15), Light::Yellow);
        assert_eq!(light_for(11, 15), Light::Green);
        assert_eq!(light_for(4, 5), Light::Yellow);
        // Budget 7 ms: 80 % = 5.6 → 5 green, 6 yellow.
        assert_eq!(light_for(5, 7), Light::Green);
        assert_eq!(light_for(6, 7), Light::Yellow);
        // No overflow on huge values.
        assert_eq!(light_for(i64::MAX, i64::MAX), Light::Yellow);
        assert_eq!(
            light_for(i64::MAX / 10 * 8, i64::MAX / 10 * 10),
            Light::Yellow
        );
    }

    // ---------- suspensions ----------

    #[test]
    fn suspension_moves_deadline_by_suspended_working_time() {
        let c = cal();
        let s = at(2026, 3, 10, 8, 30);
        let nominal = clock(&c, s, Limit::working_hours(4));
        assert_eq!(nominal.deadline_ms(0), at(2026, 3, 10, 14, 30));
        // 1 h suspended in the morning → deadline 1 h later.
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_hours(4),
            &[susp(at(2026, 3, 10, 9, 0), at(2026, 3, 10, 10, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 15, 30));
        assert_eq!(k.used_ms(at(2026, 3, 10, 10, 0)), 30 * MIN);
        // A suspension over lunch moves nothing (no working time suspended).
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_hours(4),
            &[susp(at(2026, 3, 10, 12, 0), at(2026, 3, 10, 14, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 14, 30));
        // Suspended 11:00–15:00 (1 h + 1 h working) → 14:30 + 2 h = 16:30.
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_hours(4),
            &[susp(at(2026, 3, 10, 11, 0), at(2026, 3, 10, 15, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 16, 30));
        // A suspension starting after the deadline does not move it.
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_hours(4),
            &[susp(at(2026, 3, 10, 16, 0), at(2026, 3, 11, 16, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 14, 30));
        // Starting exactly at the deadline: no move either.
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_hours(4),
            &[susp(at(2026, 3, 10, 14, 30), at(2026, 3, 11, 16, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 14, 30));
    }

    #[test]
    fn suspension_working_days_across_night_and_holiday() {
        let c = cal();
        // Tue 10:00 + 1 WD → Wed 17:30. Suspended Tue 14:00 → Wed 10:00: 3.5 h + 1.5 h = 5 h.
        let s = at(2026, 3, 10, 10, 0);
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_days(1),
            &[susp(at(2026, 3, 10, 14, 0), at(2026, 3, 11, 10, 0))],
            &[],
        )
        .unwrap();
        // Wed 17:30 + 5 working h → Thu 08:30 + 3.5 h = 12:00, + 1.5 h → 15:30.
        assert_eq!(k.deadline_ms(0), at(2026, 3, 12, 15, 30));
        assert_eq!(k.used_ms(at(2026, 3, 11, 10, 0)), 2 * H);
        assert_eq!(k.used_ms(at(2026, 3, 12, 15, 30)), k.budget_ms());
        // 春节: 7 WD from Thu Feb 12 → Feb 28; suspended Fri Feb 13 whole day → Mon Mar 2 17:30.
        let s = at(2026, 2, 12, 17, 45);
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_days(7),
            &[susp(at(2026, 2, 13, 0, 0), at(2026, 2, 14, 0, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.budget_ms(), 7 * 7 * H);
        assert_eq!(k.deadline_ms(0), at(2026, 3, 2, 17, 30));
        // Suspended over the holiday itself: no working time, no move.
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_days(7),
            &[susp(at(2026, 2, 15, 0, 0), at(2026, 2, 24, 0, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 2, 28, 17, 30));
    }

    #[test]
    fn suspension_calendar_hours_moves_by_wall_time() {
        let c = cal();
        let s = at(2026, 2, 16, 10, 0);
        let k = SlaClock::new(
            &c,
            s,
            Limit::calendar_hours(24),
            &[susp(s + H, s + 4 * H)],
            &[],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), s + 27 * H);
        assert_eq!(k.used_ms(s + 4 * H), H);
    }

    #[test]
    fn suspensions_merged_clipped_and_unordered() {
        let c = cal();
        let s = at(2026, 3, 10, 8, 30);
        // Overlapping 9:00–10:00 and 9:30–10:30, plus one before the start (ignored
        // before start, its tail 8:30–9:00 counts), given out of order.
        let list = [
            susp(at(2026, 3, 10, 9, 30), at(2026, 3, 10, 10, 30)),
            susp(at(2026, 3, 10, 9, 0), at(2026, 3, 10, 10, 0)),
            susp(at(2026, 3, 9, 16, 0), at(2026, 3, 10, 9, 0)),
            susp(at(2026, 3, 8, 9, 0), at(2026, 3, 8, 10, 0)),
        ];
        let k = SlaClock::new(&c, s, Limit::working_hours(4), &list, &[]).unwrap();
        // Suspended 08:30–10:30 = 2 h → deadline 14:30 + 2 h = 16:30.
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 16, 30));
        assert_eq!(k.used_ms(at(2026, 3, 10, 10, 30)), 0);
        assert!(k.is_paused(at(2026, 3, 10, 10, 0)));
        assert!(
            !k.is_paused(at(2026, 3, 10, 10, 30)),
            "[from, to) is half-open"
        );
        // Zero-length suspension is ignored.
        let k = SlaClock::new(&c, s, Limit::working_hours(4), &[susp(s + H, s + H)], &[]).unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 14, 30));
        assert!(!k.is_paused(s + H));
    }

    #[test]
    fn open_suspension_freezes_light_and_pauses() {
        let c = cal();
        let start = at(2026, 3, 9, 8, 30);
        let budget = 10 * H;
        for (pct, expected) in [
            (79, Light::Green),
            (80, Light::Yellow),
            (100, Light::Yellow),
            (101, Light::Red),
        ] {
            let from = c.add_working_millis(start, budget * pct / 100);
            let open = [Suspension {
                from_ms: from,
                to_ms: None,
            }];
            let k = SlaClock::new(&c, start, Limit::working_hours(10), &open, &[]).unwrap();
            for later in [from, from + H, from + 3 * 24 * H, from + 365 * 24 * H] {
                let st = k.status(later);
                assert!(st.paused, "{pct}%");
                assert_eq!(st.light, expected, "{pct}% at +{}", later - from);
                assert_eq!(st.used_ms, budget * pct / 100);
                assert_eq!(st.remaining_ms, budget - budget * pct / 100);
            }
            assert!(!k.is_paused(from - 1));
            // Projected deadline: as if resumed now.
            if pct < 100 {
                let now = from + 3 * 24 * H; // Thu 09:24 / 09:30 ...
                assert_eq!(
                    k.deadline_ms(now),
                    c.add_working_millis(now, budget - budget * pct / 100)
                );
                assert!(
                    k.deadline_ms(now + H) > k.deadline_ms(now),
                    "deadline keeps moving while paused"
                );
            }
        }
    }

    #[test]
    fn open_suspension_after_deadline_outside_hours() {
        let c = cal();
        // Due Wed 17:30; suspended at Wed 19:00 (already overdue) → frozen Red.
        let s = at(2026, 3, 10, 10, 0);
        let open = [Suspension {
            from_ms: at(2026, 3, 11, 19, 0),
            to_ms: None,
        }];
        let k = SlaClock::new(&c, s, Limit::working_days(1), &open, &[]).unwrap();
        assert_eq!(k.light(at(2026, 3, 13, 10, 0)), Light::Red);
        assert_eq!(
            k.deadline_ms(at(2026, 3, 13, 10, 0)),
            at(2026, 3, 11, 17, 30)
        );
        // Suspended exactly at the 17:30 deadline → frozen at Yellow (100 %, not passed).
        let open = [Suspension {
            from_ms: at(2026, 3, 11, 17, 30),
            to_ms: None,
        }];
        let k = SlaClock::new(&c, s, Limit::working_days(1), &open, &[]).unwrap();
        let st = k.status(at(2026, 3, 20, 10, 0));
        assert!(st.paused);
        assert_eq!(st.light, Light::Yellow);
        assert_eq!(st.remaining_ms, 0);
    }

    #[test]
    fn resumed_suspension_counts_again() {
        let c = cal();
        let start = at(2026, 3, 9, 8, 30);
        // Paused Mon 10:00 → Tue 10:00 (7 h working suspended).
        let k = SlaClock::new(
            &c,
            start,
            Limit::working_hours(10),
            &[susp(at(2026, 3, 9, 10, 0), at(2026, 3, 10, 10, 0))],
            &[],
        )
        .unwrap();
        assert_eq!(k.used_ms(at(2026, 3, 10, 10, 0)), 90 * MIN);
        assert_eq!(k.used_ms(at(2026, 3, 10, 11, 0)), 150 * MIN);
        assert!(!k.status(at(2026, 3, 10, 11, 0)).paused);
        // Deadline = 11:30 Tue + 7 h = Wed 11:30.
        assert_eq!(k.deadline_ms(0), at(2026, 3, 11, 11, 30));
        assert_eq!(k.light(at(2026, 3, 11, 11, 30)), Light::Yellow);
        assert_eq!(k.light(at(2026, 3, 11, 11, 30) + 1), Light::Red);
    }

    // ---------- extensions ----------

    #[test]
    fn extensions_add_to_the_limit() {
        let c = cal();
        // 3 WD + 2 WD from Mon Sep 28 → 29, 30, Oct 8, 9, 10 (Sat 调休).
        let s = at(2026, 9, 28, 9, 0);
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_days(3),
            &[],
            &[Limit::working_days(2)],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), c.add_working_days(s, 5));
        assert_eq!(k.deadline_ms(0), at(2026, 10, 10, 17, 30));
        // Light uses the extended budget: at the old deadline (Oct 8 17:30) it is not red.
        let old = at(2026, 10, 8, 17, 30);
        let frac = k.used_fraction(old);
        assert!(frac < 1.0 && frac > 0.6, "{frac}");
        assert_ne!(k.light(old), Light::Red);
        // Two working-hours extensions.
        let s = at(2026, 3, 10, 8, 30);
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_hours(4),
            &[],
            &[Limit::working_hours(2), Limit::working_hours(1)],
        )
        .unwrap();
        assert_eq!(k.budget_ms(), 7 * H);
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 17, 30));
        assert_eq!(k.light(at(2026, 3, 10, 14, 30)), Light::Green); // 4/7 ≈ 57 %
                                                                    // Mixed unit: 24 calendar hours + 1 working day from Fri 20:00 → Sat 20:00 → Mon 17:30.
        let s = at(2026, 3, 13, 20, 0);
        let k = SlaClock::new(
            &c,
            s,
            Limit::calendar_hours(24),
            &[],
            &[Limit::working_days(1)],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 16, 17, 30));
        assert_eq!(k.budget_ms(), at(2026, 3, 16, 17, 30) - s);
        assert_eq!(k.extensions(), &[Limit::working_days(1)]);
    }

    #[test]
    fn extension_and_suspension_together() {
        let c = cal();
        let s = at(2026, 3, 10, 8, 30);
        // 4 h + 2 h extension, 1 h suspended → 08:30 + 7 h working = 17:30.
        let k = SlaClock::new(
            &c,
            s,
            Limit::working_hours(4),
            &[susp(at(2026, 3, 10, 9, 0), at(2026, 3, 10, 10, 0))],
            &[Limit::working_hours(2)],
        )
        .unwrap();
        assert_eq!(k.deadline_ms(0), at(2026, 3, 10, 17, 30));
        let st = k.status(at(2026, 3, 10, 17, 30));
        assert_eq!(st.used_ms, 6 * H);
        assert_eq!(st.light, Light::Yellow);
        assert_eq!(k.light(at(2026, 3, 10, 17, 30) + 1), Light::Red);
    }

    #[test]
    fn serde_names_are_snake_case() {
        assert_eq!(
            serde_json::to_string(&SlaStep::SignFor).unwrap(),
            "\"sign_for\""
        );
        assert_eq!(serde_json::to_string(&Light::Yellow).unwrap(), "\"yellow\"");
        assert_eq!(
            serde_json::to_string(&Limit::working_days(3)).unwrap(),
            r#"{"amount":3,"unit":"working_days"}"#
        );
        let s: Suspension = serde_json::from_str(r#"{"from_ms":1,"to_ms":null}"#).unwrap();
        assert_eq!(s.to_ms, None);
    }
}

/// The time-limit rules a deployment runs with: the county's policy over its working-day calendar.
#[derive(Debug, Clone)]
pub struct SlaRules {
    pub policy: SlaPolicy,
    pub calendar: WorkCalendar,
}

impl SlaRules {
    /// The default policy over the shipped Chinese calendar.
    pub fn china_default() -> Self {
        SlaRules { policy: SlaPolicy::chinese_default(), calendar: WorkCalendar::china_default() }
    }

    /// The step an issue in `state` is in and when its clock started: Reported → accept (from the report),
    /// Accepted/Assigned/InProgress → resolve (from acceptance), Resolved → verify by return visit (from the
    /// resolution). Terminal states have no running clock.
    pub fn current_step(
        state: crate::model::IssueState,
        reported_at_ms: i64,
        accepted_at_ms: Option<i64>,
        resolved_at_ms: Option<i64>,
    ) -> Option<(SlaStep, i64)> {
        use crate::model::IssueState::*;
        match state {
            Reported => Some((SlaStep::Accept, reported_at_ms)),
            Accepted | Assigned | InProgress => Some((SlaStep::Resolve, accepted_at_ms.unwrap_or(reported_at_ms))),
            Resolved => Some((SlaStep::Verify, resolved_at_ms.unwrap_or(reported_at_ms))),
            Closed | Rejected | Merged => None,
        }
    }

    /// The clock of the step an issue is in now, if one runs.
    pub fn clock(
        &self,
        state: crate::model::IssueState,
        category: IssueCategory,
        urgency: Urgency,
        reported_at_ms: i64,
        accepted_at_ms: Option<i64>,
        resolved_at_ms: Option<i64>,
    ) -> Option<SlaClock<'_>> {
        let (step, start) = Self::current_step(state, reported_at_ms, accepted_at_ms, resolved_at_ms)?;
        SlaClock::new(&self.calendar, start, self.policy.limit(category, urgency, step), &[], &[]).ok()
    }
}

impl SlaRules {
    /// The step an open issue is in and when its clock started, with 签收: Reported → accept (from the report),
    /// Assigned → sign for the assignment (from the assignment), Accepted/InProgress → resolve (from the
    /// acceptance), Resolved → verify (from the resolution).
    pub fn issue_step(p: &crate::rules::lifecycle::IssueProjection) -> Option<(SlaStep, i64)> {
        use crate::model::IssueState::*;
        match p.state {
            Assigned => Some((SlaStep::SignFor, p.assigned_at_ms.unwrap_or(p.reported_at_ms))),
            _ => Self::current_step(p.state, p.reported_at_ms, p.accepted_at_ms, p.resolved_at_ms),
        }
    }

    /// The running clock of an issue's current step, with its 挂起 pauses and, for the resolve step, its
    /// approved 延期 (working days each). `None` for closed, rejected and merged issues.
    pub fn issue_clock(&self, p: &crate::rules::lifecycle::IssueProjection) -> Option<SlaClock<'_>> {
        let (step, start) = Self::issue_step(p)?;
        self.step_clock(p, step, start)
    }

    /// The clock of a given step of an issue started at `start_ms` (pauses and, for resolve, extensions).
    pub fn step_clock(&self, p: &crate::rules::lifecycle::IssueProjection, step: SlaStep, start_ms: i64) -> Option<SlaClock<'_>> {
        let extensions: Vec<Limit> = if step == SlaStep::Resolve {
            p.extensions_days
                .iter()
                .map(|d| Limit { amount: (*d).clamp(1, Limit::MAX_AMOUNT), unit: LimitUnit::WorkingDays })
                .collect()
        } else {
            Vec::new()
        };
        SlaClock::new(&self.calendar, start_ms, self.policy.limit(p.category, p.urgency, step), &p.suspensions, &extensions).ok()
    }
}

#[cfg(test)]
mod rules_tests {
    use super::*;
    use crate::model::IssueState;

    #[test]
    fn steps_follow_the_state() {
        assert_eq!(SlaRules::current_step(IssueState::Reported, 5, None, None), Some((SlaStep::Accept, 5)));
        assert_eq!(SlaRules::current_step(IssueState::InProgress, 5, Some(7), None), Some((SlaStep::Resolve, 7)));
        assert_eq!(SlaRules::current_step(IssueState::Resolved, 5, Some(7), Some(9)), Some((SlaStep::Verify, 9)));
        assert_eq!(SlaRules::current_step(IssueState::Closed, 5, Some(7), Some(9)), None);
    }

    #[test]
    fn critical_issue_accept_clock_is_two_calendar_hours() {
        let rules = SlaRules::china_default();
        let start = 1_780_000_000_000;
        let clock = rules
            .clock(IssueState::Reported, IssueCategory::SafetyHazard, Urgency::Critical, start, None, None)
            .unwrap();
        assert_eq!(clock.deadline_ms(start), start + 2 * 3_600_000);
        assert_eq!(clock.light(start + 95 * 60_000), Light::Green);
        assert_eq!(clock.light(start + 96 * 60_000), Light::Yellow);
    }
}
