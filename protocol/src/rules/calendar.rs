//! Chinese working-day calendar for 限时办结 (time-limited handling) deadlines.
//!
//! Why this exists: grassroots issue deadlines are counted in *working* days and
//! hours, and in China those do not follow a plain Monday–Friday week. Every year
//! the State Council publishes a schedule (国务院办公厅关于部分节假日安排的通知)
//! that turns some weekdays into holidays and some weekends into make-up working
//! days (调休上班). A county must be able to ship and edit that schedule as a small
//! JSON file, and both the phone core and the server must compute identical
//! deadlines offline. This module is therefore pure: it parses calendar text given
//! as `&str`, and every function takes instants as parameters (no clock, no I/O).
//!
//! # Time model
//! * Instants are `i64` unix milliseconds. They are interpreted in China Standard
//!   Time, a fixed UTC+08:00 (`chrono::FixedOffset`, no DST).
//! * A [`WorkingWindow`] lists the working segments of a working day, by default
//!   08:30–12:00 and 14:00–17:30 (7 working hours). Segments are half-open
//!   `[start, end)` for "is this instant working time", but an amount of working
//!   time that is used up exactly at a segment end yields that end instant
//!   (08:30 + 3.5 h = 12:00, not 14:00).
//! * A date is a working day when: it is listed as a make-up working day (调休) →
//!   working; else it is listed as a holiday → not working; else Monday–Friday
//!   are working and Saturday/Sunday are not.
//! * **Dates in a year for which no calendar file is loaded fall back to plain
//!   Monday–Friday rules** (no holidays, no make-up days). Load next year's file
//!   as soon as the State Council publishes it (usually in November).
//! * Instants are clamped to the years 0001..=9999 so that no input can panic.
//!
//! # Calendar file format (one file per year)
//! ```json
//! {
//!   "year": 2026,
//!   "source": "国务院办公厅关于2026年部分节假日安排的通知",
//!   "holidays": [ { "name": "春节", "from": "2026-02-15", "to": "2026-02-23" },
//!                 { "name": "某单日", "from": "2026-03-01" } ],
//!   "workdays": [ { "name": "春节调休上班", "date": "2026-02-14" } ]
//! }
//! ```
//! `source` is optional; `to` is optional (single-day holiday) and inclusive.
//! Unknown fields are rejected so that typos (`"form"`) do not silently drop a
//! holiday. Every date must be `YYYY-MM-DD` and inside the declared year; a day
//! may not be both a holiday and a make-up working day, nor be listed twice.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};
use serde::Deserialize;

/// The 2026 calendar shipped with the app (county-editable source file).
pub const CHINA_2026_JSON: &str = include_str!("../../calendars/2026.json");

const MS_PER_SECOND: i64 = 1_000;
const MS_PER_MINUTE: i64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
/// China Standard Time offset, seconds east of UTC.
const CST_OFFSET_SECS: i32 = 8 * 3600;

/// Errors raised while building a [`WorkCalendar`] or a [`WorkingWindow`].
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("calendar file is not valid JSON or has unexpected fields: {0}")]
    Json(#[from] serde_json::Error),
    #[error("calendar year {0} is out of the supported range 1900..=9999")]
    YearOutOfRange(i32),
    #[error("bad date {value:?} in {entry:?}: expected YYYY-MM-DD (e.g. 2026-02-15)")]
    BadDate { entry: String, value: String },
    #[error("date {date} in {entry:?} is outside the declared calendar year {year}")]
    DateOutsideYear {
        entry: String,
        date: NaiveDate,
        year: i32,
    },
    #[error("holiday {entry:?} ends ({to}) before it starts ({from})")]
    InvertedRange {
        entry: String,
        from: NaiveDate,
        to: NaiveDate,
    },
    #[error("{date} is listed both as holiday {holiday:?} and as make-up working day {workday:?}")]
    HolidayWorkdayConflict {
        date: NaiveDate,
        holiday: String,
        workday: String,
    },
    #[error("{date} is listed twice: in {first:?} and in {second:?}")]
    DuplicateDay {
        date: NaiveDate,
        first: String,
        second: String,
    },
    #[error("a calendar for year {0} is already loaded")]
    DuplicateYear(i32),
    #[error("invalid working window: {0}")]
    InvalidWindow(String),
}

/// One working segment of a working day, CST wall-clock times, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkSegment {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

/// The working segments of every working day (same for all working days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingWindow {
    /// Sorted, non-overlapping `[start_ms_of_day, end_ms_of_day)` pairs.
    segments: Vec<(i64, i64)>,
}

impl Default for WorkingWindow {
    /// 08:30–12:00 and 14:00–17:30 CST (7 working hours).
    fn default() -> Self {
        WorkingWindow {
            segments: vec![
                (8 * MS_PER_HOUR + 30 * MS_PER_MINUTE, 12 * MS_PER_HOUR),
                (14 * MS_PER_HOUR, 17 * MS_PER_HOUR + 30 * MS_PER_MINUTE),
            ],
        }
    }
}

impl WorkingWindow {
    /// Builds a window from segments given in chronological order. Each segment
    /// must be non-empty, segments must not overlap (touching is allowed), and
    /// there must be at least one.
    ///
    /// # Errors
    /// [`CalendarError::InvalidWindow`] naming the offending segment.
    pub fn new(segments: &[WorkSegment]) -> Result<Self, CalendarError> {
        if segments.is_empty() {
            return Err(CalendarError::InvalidWindow(
                "at least one segment is required".into(),
            ));
        }
        let mut out: Vec<(i64, i64)> = Vec::with_capacity(segments.len());
        for seg in segments {
            if seg.start >= seg.end {
                return Err(CalendarError::InvalidWindow(format!(
                    "segment {}–{} does not end after it starts",
                    seg.start, seg.end
                )));
            }
            let s = time_ms(seg.start);
            let e = time_ms(seg.end);
            if let Some(&(_, prev_end)) = out.last() {
                if s < prev_end {
                    return Err(CalendarError::InvalidWindow(format!(
                        "segment {}–{} overlaps or precedes the previous one",
                        seg.start, seg.end
                    )));
                }
            }
            out.push((s, e));
        }
        Ok(WorkingWindow { segments: out })
    }

    /// Working milliseconds in one full working day (7 h = 25 200 000 by default).
    pub fn daily_working_millis(&self) -> i64 {
        self.segments.iter().map(|(s, e)| e - s).sum()
    }

    /// The segments as CST wall-clock times.
    pub fn segments(&self) -> Vec<WorkSegment> {
        self.segments
            .iter()
            .map(|&(s, e)| WorkSegment {
                start: ms_time(s),
                end: ms_time(e),
            })
            .collect()
    }

    fn end_of_day_ms(&self) -> i64 {
        self.segments.last().map(|&(_, e)| e).unwrap_or(0)
    }
}

fn time_ms(t: NaiveTime) -> i64 {
    let since_midnight = t.signed_duration_since(NaiveTime::MIN);
    since_midnight.num_milliseconds()
}

fn ms_time(ms: i64) -> NaiveTime {
    NaiveTime::MIN + Duration::milliseconds(ms)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
    #[serde(default)]
    holidays: Vec<HolidayEntry>,
    #[serde(default)]
    workdays: Vec<WorkdayEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayEntry {
    name: String,
    from: String,
    #[serde(default)]
    to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkdayEntry {
    name: String,
    date: String,
}

/// Holidays and make-up working days of one loaded year.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct YearDays {
    holidays: BTreeMap<NaiveDate, String>,
    workdays: BTreeMap<NaiveDate, String>,
}

/// A working-day calendar: loaded yearly schedules plus a working window.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkCalendar {
    years: BTreeMap<i32, YearDays>,
    window: WorkingWindow,
    /// The working days of a span of years, counted once (lazily) from `years`: the deadline arithmetic jumps
    /// over whole working days instead of testing one date at a time.
    days: DayTable,
}

/// Years the [`WorkingDays`] table always covers (besides every loaded year); dates outside it are walked
/// one day at a time, with the same result.
const TABLE_YEARS: std::ops::RangeInclusive<i32> = 2020..=2035;

/// The lazily counted working days of a calendar (empty until first used, reset when a year is loaded).
/// Derived from the calendar's years, so it takes no part in equality and prints as nothing.
#[derive(Clone, Default)]
struct DayTable(std::sync::OnceLock<std::sync::Arc<WorkingDays>>);

impl PartialEq for DayTable {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for DayTable {}
impl std::fmt::Debug for DayTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DayTable")
    }
}

/// The working days of the dates `first ..= first + before.len() - 2` (day numbers from the common era).
#[derive(Debug)]
struct WorkingDays {
    /// Day number of the table's first date.
    first: i32,
    /// `before[i]`: how many of the table's first `i` dates are working days (`before.len()` = dates + 1).
    before: Vec<u32>,
    /// The day numbers of the table's working days, ascending.
    working: Vec<i32>,
}

impl WorkingDays {
    /// Counts the working days of `years` (inclusive) exactly as [`WorkCalendar::is_working_day`] decides them:
    /// Monday–Friday, then each loaded year's holidays off and make-up days on (a date is never both).
    fn of(loaded: &BTreeMap<i32, YearDays>, years: std::ops::RangeInclusive<i32>) -> WorkingDays {
        let day = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).map_or(0, |d| d.num_days_from_ce());
        let first = day(*years.start(), 1, 1);
        let end = day(*years.end(), 12, 31) + 1;
        // num_days_from_ce 1 = 0001-01-01, a Monday: day n is a weekend day when (n - 1) mod 7 is 5 or 6.
        let mut working: Vec<bool> = (first..end).map(|n| (n - 1).rem_euclid(7) < 5).collect();
        for days in loaded.range(years).map(|(_, days)| days) {
            for (date, off) in days.holidays.keys().map(|d| (d, false)).chain(days.workdays.keys().map(|d| (d, true))) {
                if let Some(w) = usize::try_from(date.num_days_from_ce() - first).ok().and_then(|i| working.get_mut(i)) {
                    *w = off;
                }
            }
        }
        let mut before = Vec::with_capacity(working.len() + 1);
        let mut count = 0u32;
        let mut days = Vec::new();
        before.push(0);
        for (i, w) in working.iter().enumerate() {
            if *w {
                count += 1;
                days.push(first + i as i32);
            }
            before.push(count);
        }
        WorkingDays { first, before, working: days }
    }

    /// The date's index in the table, if it lies in it.
    fn index(&self, date: NaiveDate) -> Option<usize> {
        usize::try_from(date.num_days_from_ce() - self.first).ok().filter(|i| i + 1 < self.before.len())
    }

    /// The `n`-th working day strictly after `date` (`n >= 1`), if both lie in the table.
    fn nth_after(&self, date: NaiveDate, n: u32) -> Option<NaiveDate> {
        let k = (self.before[self.index(date)? + 1] as usize).checked_add(n as usize)?.checked_sub(1)?;
        NaiveDate::from_num_days_from_ce_opt(*self.working.get(k)?)
    }

    /// How many of the dates strictly between `a` and `b` are working days, if both lie in the table.
    fn between(&self, a: NaiveDate, b: NaiveDate) -> Option<u32> {
        let (i, j) = (self.index(a)?, self.index(b)?);
        Some(if j > i { self.before[j] - self.before[i + 1] } else { 0 })
    }
}

/// The yearly files shipped with the build (add next year's here when the State Council publishes it).
const SHIPPED_YEARS: &[&str] = &[CHINA_2026_JSON];

impl WorkCalendar {
    /// A calendar with no year loaded: plain Monday–Friday everywhere, default window.
    pub fn plain_weekdays() -> Self {
        WorkCalendar::default()
    }

    /// The shipped national calendar (currently 2026) with the default window.
    ///
    /// # Panics
    /// Never in practice: the embedded file is validated by the unit tests.
    pub fn china_default() -> Self {
        Self::from_json_years(&[CHINA_2026_JSON])
            .expect("embedded calendars/2026.json must be valid (covered by tests)")
    }

    /// The county's yearly files, each replacing the shipped file of its year, plus the shipped years the
    /// county did not replace (default window). With no county files this is [`WorkCalendar::china_default`].
    ///
    /// # Errors
    /// Any error of [`WorkCalendar::load_year_json`] in a county file (two files for one year included).
    pub fn with_county_years(county_files: &[String]) -> Result<Self, CalendarError> {
        let mut cal = WorkCalendar::default();
        for f in county_files {
            cal.load_year_json(f)?;
        }
        for shipped in SHIPPED_YEARS {
            let year = serde_json::from_str::<serde_json::Value>(shipped)
                .ok()
                .and_then(|v| v.get("year").and_then(serde_json::Value::as_i64))
                .unwrap_or_default() as i32;
            if !cal.years.contains_key(&year) {
                cal.load_year_json(shipped)?;
            }
        }
        Ok(cal)
    }

    /// Builds a calendar from one or more yearly files (default window).
    ///
    /// # Errors
    /// Any [`CalendarError`] raised by [`WorkCalendar::load_year_json`].
    pub fn from_json_years(files: &[&str]) -> Result<Self, CalendarError> {
        let mut cal = WorkCalendar::default();
        for f in files {
            cal.load_year_json(f)?;
        }
        Ok(cal)
    }

    /// Parses one yearly file and adds it. A year may be loaded only once.
    /// On error the calendar is left unchanged.
    ///
    /// # Errors
    /// [`CalendarError::Json`] (malformed JSON, unknown or missing fields),
    /// [`CalendarError::YearOutOfRange`], [`CalendarError::BadDate`],
    /// [`CalendarError::DateOutsideYear`], [`CalendarError::InvertedRange`],
    /// [`CalendarError::DuplicateDay`], [`CalendarError::HolidayWorkdayConflict`],
    /// [`CalendarError::DuplicateYear`].
    pub fn load_year_json(&mut self, json: &str) -> Result<(), CalendarError> {
        let file: YearFile = serde_json::from_str(json)?;
        let year = file.year;
        if !(1900..=9999).contains(&year) {
            return Err(CalendarError::YearOutOfRange(year));
        }
        if self.years.contains_key(&year) {
            return Err(CalendarError::DuplicateYear(year));
        }
        let mut days = YearDays::default();
        for h in &file.holidays {
            let from = parse_date(&h.name, &h.from, year)?;
            let to = match &h.to {
                Some(t) => parse_date(&h.name, t, year)?,
                None => from,
            };
            if to < from {
                return Err(CalendarError::InvertedRange {
                    entry: h.name.clone(),
                    from,
                    to,
                });
            }
            let mut d = from;
            while d <= to {
                if let Some(first) = days.holidays.get(&d) {
                    return Err(CalendarError::DuplicateDay {
                        date: d,
                        first: first.clone(),
                        second: h.name.clone(),
                    });
                }
                days.holidays.insert(d, h.name.clone());
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
        for w in &file.workdays {
            let d = parse_date(&w.name, &w.date, year)?;
            if let Some(holiday) = days.holidays.get(&d) {
                return Err(CalendarError::HolidayWorkdayConflict {
                    date: d,
                    holiday: holiday.clone(),
                    workday: w.name.clone(),
                });
            }
            if let Some(first) = days.workdays.get(&d) {
                return Err(CalendarError::DuplicateDay {
                    date: d,
                    first: first.clone(),
                    second: w.name.clone(),
                });
            }
            days.workdays.insert(d, w.name.clone());
        }
        self.years.insert(year, days);
        self.days = DayTable::default();
        Ok(())
    }

    /// Replaces the working window (builder style).
    pub fn with_window(mut self, window: WorkingWindow) -> Self {
        self.window = window;
        self
    }

    pub fn window(&self) -> &WorkingWindow {
        &self.window
    }

    /// Years for which a schedule is loaded, ascending.
    pub fn loaded_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Whether `date` is a working day (see the module docs for the rules and
    /// the Monday–Friday fallback outside loaded years).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        // One lookup, not two: a day is never both a holiday and a make-up working day (refused on load), so a
        // weekend day works only if listed as a make-up day and a weekday only if not listed as a holiday.
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        match self.years.get(&date.year()) {
            Some(y) if weekend => y.workdays.contains_key(&date),
            Some(y) => !y.holidays.contains_key(&date),
            None => !weekend,
        }
    }

    /// Name of the holiday covering `date`, if a loaded file lists one.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<&str> {
        self.years
            .get(&date.year())?
            .holidays
            .get(&date)
            .map(String::as_str)
    }

    /// Name of the make-up working day (调休) on `date`, if listed.
    pub fn makeup_workday_name(&self, date: NaiveDate) -> Option<&str> {
        self.years
            .get(&date.year())?
            .workdays
            .get(&date)
            .map(String::as_str)
    }

    /// The working-day table (counted on first use).
    fn table(&self) -> &WorkingDays {
        self.days.0.get_or_init(|| {
            let first = self.years.keys().next().map_or(*TABLE_YEARS.start(), |y| (*y).min(*TABLE_YEARS.start()));
            let last = self.years.keys().next_back().map_or(*TABLE_YEARS.end(), |y| (*y).max(*TABLE_YEARS.end()));
            std::sync::Arc::new(WorkingDays::of(&self.years, first..=last))
        })
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        self.table().nth_after(date, 1).unwrap_or_else(|| self.next_working_day_by_day(date))
    }

    /// [`Self::next_working_day`] one date at a time (outside the table, and the tests' reference).
    fn next_working_day_by_day(&self, date: NaiveDate) -> NaiveDate {
        let mut d = date;
        loop {
            match d.succ_opt() {
                Some(n) if n <= max_date() => d = n,
                _ => return max_date(),
            }
            if self.is_working_day(d) {
                return d;
            }
        }
    }

    /// End of the working window (17:30 CST by default) of `date`, as unix ms.
    pub fn window_end_ms(&self, date: NaiveDate) -> i64 {
        day_start_ms(date) + self.window.end_of_day_ms()
    }

    /// Deadline of a limit of `n` working days started at `start_ms`.
    ///
    /// Rule (民法典 第二百零一条 "开始的当日不计入", the hotline "次日起算"):
    /// the day on which the step starts is never counted, whatever the hour;
    /// counting starts on the next calendar day, and the deadline is the end of
    /// the working window of the `n`-th working day strictly after the start's
    /// CST date. Hence:
    /// * start on a working day, before, during or after hours → same result:
    ///   Tuesday 07:00, 10:00 or 20:00 with n = 1 all give Wednesday 17:30;
    /// * start on a weekend/holiday → the first working day after it is day 1
    ///   (reported on 春节 2026-02-16, n = 1 → 2026-02-24 17:30).
    ///
    /// The deadline thus depends only on the start's date. `n = 0` means "by the
    /// end of the current working window": the window end of the start date if
    /// that is a working day and the start is not after it, else the window end
    /// of the next working day.
    pub fn add_working_days(&self, start_ms: i64, n: u32) -> i64 {
        let start_ms = clamp_ms(start_ms);
        let start_date = cst_date(start_ms);
        if n == 0 {
            if self.is_working_day(start_date) && start_ms <= self.window_end_ms(start_date) {
                return self.window_end_ms(start_date);
            }
            return self.window_end_ms(self.next_working_day(start_date));
        }
        if let Some(d) = self.table().nth_after(start_date, n) {
            return self.window_end_ms(d);
        }
        let mut d = start_date;
        for _ in 0..n {
            let next = self.next_working_day_by_day(d);
            if next == d {
                break; // saturated at the end of the supported range
            }
            d = next;
        }
        self.window_end_ms(d)
    }

    /// `start_ms` plus `hours` of working time. See [`Self::add_working_millis`].
    pub fn add_working_hours(&self, start_ms: i64, hours: u32) -> i64 {
        self.add_working_millis(start_ms, i64::from(hours) * MS_PER_HOUR)
    }

    /// `start_ms` plus `minutes` of working time. See [`Self::add_working_millis`].
    pub fn add_working_minutes(&self, start_ms: i64, minutes: u32) -> i64 {
        self.add_working_millis(start_ms, i64::from(minutes) * MS_PER_MINUTE)
    }

    /// `start_ms` plus `amount_ms` of working time: the clock only runs inside
    /// the working window of working days, so nights, lunch, weekends and
    /// holidays are skipped and make-up days (调休) count. A start outside working
    /// time begins at the next working instant. If the amount runs out exactly at
    /// a segment end, that end is returned (08:30 + 3.5 h = 12:00). An amount
    /// `<= 0` returns the (clamped) start unchanged.
    pub fn add_working_millis(&self, start_ms: i64, amount_ms: i64) -> i64 {
        self.add_working_millis_in(start_ms, amount_ms, true)
    }

    /// [`Self::add_working_millis`]; with `jump`, the whole working days after the start's date are skipped in
    /// one step through the working-day table (where it covers them), else walked one date at a time.
    fn add_working_millis_in(&self, start_ms: i64, amount_ms: i64, jump: bool) -> i64 {
        let mut t = clamp_ms(start_ms);
        let mut remaining = amount_ms;
        if remaining <= 0 {
            return t;
        }
        let daily = self.window.daily_working_millis();
        let mut jumped = !jump || daily <= 0;
        let mut date = cst_date(t);
        loop {
            if self.is_working_day(date) {
                let base = day_start_ms(date);
                for &(s, e) in &self.window.segments {
                    let seg_start = base + s;
                    let seg_end = base + e;
                    if t >= seg_end {
                        continue;
                    }
                    let from = t.max(seg_start);
                    let avail = seg_end - from;
                    if remaining <= avail {
                        return from + remaining;
                    }
                    remaining -= avail;
                    t = seg_end;
                }
            }
            if !jumped {
                // Past the start's date every working day offers `daily`: the amount runs out on the (k + 1)-th
                // working day after it, k = ⌈remaining / daily⌉ − 1 full days skipped.
                jumped = true;
                let skip = (remaining - 1) / daily;
                if let Some(target) = u32::try_from(skip + 1).ok().and_then(|n| self.table().nth_after(date, n)) {
                    remaining -= skip * daily;
                    date = target;
                    t = day_start_ms(target);
                    continue;
                }
            }
            match date.succ_opt() {
                Some(n) if n <= max_date() => {
                    date = n;
                    t = t.max(day_start_ms(n));
                }
                _ => return MAX_MS,
            }
        }
    }

    /// Working milliseconds elapsed in `[a_ms, b_ms)`; 0 when `b_ms <= a_ms`.
    pub fn working_millis_between(&self, a_ms: i64, b_ms: i64) -> i64 {
        self.working_millis_between_in(a_ms, b_ms, true)
    }

    /// [`Self::working_millis_between`]; with `jump`, the dates strictly between the two ends' dates are counted
    /// through the working-day table (where it covers them), else walked one date at a time.
    fn working_millis_between_in(&self, a_ms: i64, b_ms: i64, jump: bool) -> i64 {
        let a = clamp_ms(a_ms);
        let b = clamp_ms(b_ms);
        if b <= a {
            return 0;
        }
        // The working time of `[a, b)` on one date.
        let on = |date: NaiveDate| {
            if !self.is_working_day(date) {
                return 0;
            }
            let base = day_start_ms(date);
            self.window.segments.iter().map(|&(s, e)| (b.min(base + e) - a.max(base + s)).max(0)).sum::<i64>()
        };
        let mut date = cst_date(a);
        let last = cst_date(b);
        if jump && last > date {
            if let Some(days) = self.table().between(date, last) {
                return on(date) + i64::from(days) * self.window.daily_working_millis() + on(last);
            }
        }
        let mut total = 0;
        while date <= last {
            total += on(date);
            match date.succ_opt() {
                Some(n) => date = n,
                None => break,
            }
        }
        total
    }

    /// Whether the instant lies inside a working segment of a working day.
    pub fn is_working_instant(&self, ms: i64) -> bool {
        let ms = clamp_ms(ms);
        let date = cst_date(ms);
        if !self.is_working_day(date) {
            return false;
        }
        let off = ms - day_start_ms(date);
        self.window
            .segments
            .iter()
            .any(|&(s, e)| off >= s && off < e)
    }
}

fn parse_date(entry: &str, value: &str, year: i32) -> Result<NaiveDate, CalendarError> {
    let bad = || CalendarError::BadDate {
        entry: entry.to_string(),
        value: value.to_string(),
    };
    // Strict shape check first: chrono alone would accept "2026-2-5".
    let b = value.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(bad());
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| bad())?;
    if date.year() != year {
        return Err(CalendarError::DateOutsideYear {
            entry: entry.to_string(),
            date,
            year,
        });
    }
    Ok(date)
}



fn min_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1, 1, 1).expect("valid date")
}

fn max_date() -> NaiveDate {
    MAX_DATE
}

/// 9999-12-31, the last supported date (a constant: the day-by-day walks compare against it each step).
const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => panic!("9999-12-31 is a date"),
};

/// 0001-01-01T00:00 CST.
const MIN_MS: i64 = -62_135_596_800_000 - 8 * MS_PER_HOUR;
/// 9999-12-31T23:59:59.999 CST.
const MAX_MS: i64 = 253_402_300_800_000 - 8 * MS_PER_HOUR - 1;

fn clamp_ms(ms: i64) -> i64 {
    ms.clamp(MIN_MS, MAX_MS)
}

/// Milliseconds in a calendar day (CST has no daylight saving: every day is this long).
const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;
/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// CST calendar date of an instant (clamped to the supported range). Plain arithmetic on a fixed offset: the
/// deadline loops call it per day, for every issue of a county's measures.
pub(crate) fn cst_date(ms: i64) -> NaiveDate {
    let days = (clamp_ms(ms) + i64::from(CST_OFFSET_SECS) * MS_PER_SECOND).div_euclid(MS_PER_DAY);
    i32::try_from(days + UNIX_EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or_else(|| if ms < 0 { min_date() } else { max_date() })
}

/// Unix ms of 00:00 CST on `date` (arithmetic, as [`cst_date`]).
pub(crate) fn day_start_ms(date: NaiveDate) -> i64 {
    (i64::from(date.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE) * MS_PER_DAY
        - i64::from(CST_OFFSET_SECS) * MS_PER_SECOND
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_county_replaces_a_shipped_year_and_adds_others() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        // The county's own 2026 file: the national days plus a local day off (县庆) on Wed 2026-06-10.
        let mut county_2026: serde_json::Value = serde_json::from_str(CHINA_2026_JSON).unwrap();
        county_2026["holidays"].as_array_mut().unwrap().push(serde_json::json!({ "name": "县庆", "from": "2026-06-10", "to": "2026-06-10" }));
        let cal = WorkCalendar::with_county_years(&[county_2026.to_string()]).unwrap();
        assert!(!cal.is_working_day(d(2026, 6, 10)));
        assert_eq!(cal.holiday_name(d(2026, 6, 10)), Some("县庆"));
        assert_eq!(cal.holiday_name(d(2026, 10, 1)), Some("国庆节"), "the county file keeps the national days it lists");
        assert_eq!(cal.loaded_years(), vec![2026]);
        // A 2027 file is added next to the shipped 2026.
        let y2027 = r#"{"year":2027,"holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"}],"workdays":[]}"#;
        let cal = WorkCalendar::with_county_years(&[y2027.to_string()]).unwrap();
        assert_eq!(cal.loaded_years(), vec![2026, 2027]);
        assert!(cal.is_working_day(d(2026, 6, 10)), "shipped 2026 unchanged");
        assert!(!cal.is_working_day(d(2027, 1, 1)));
        // Two files for one year, or a broken one, are refused.
        assert!(matches!(WorkCalendar::with_county_years(&[y2027.into(), y2027.into()]), Err(CalendarError::DuplicateYear(2027))));
        assert!(WorkCalendar::with_county_years(&["{\"year\":2027,\"holidays\":[{\"name\":\"x\",\"from\":\"2027-13-01\",\"to\":\"2027-13-02\"}]}".into()]).is_err());
        assert_eq!(WorkCalendar::with_county_years(&[]).unwrap(), WorkCalendar::china_default());
    }

    use super::*;
    use chrono::{DateTime, FixedOffset, TimeZone};

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(CST_OFFSET_SECS).expect("UTC+8 is a valid offset")
    }

    /// The arithmetic date conversions equal chrono's time-zone conversions, at day boundaries and across the
    /// clamped range.
    #[test]
    fn date_arithmetic_equals_chrono() {
        let chrono_date = |ms: i64| DateTime::from_timestamp_millis(clamp_ms(ms)).unwrap().with_timezone(&cst()).date_naive();
        let chrono_start = |date: NaiveDate| cst().from_local_datetime(&date.and_time(NaiveTime::MIN)).single().unwrap().timestamp_millis();
        let mut instants = vec![MIN_MS, MIN_MS + 1, MAX_MS, MAX_MS - 1, 0, -1, 1, i64::MIN, i64::MAX];
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ms = (x % 4_000_000_000_000) as i64 - 500_000_000_000;
            instants.extend([ms, ms - ms.rem_euclid(MS_PER_DAY) - 8 * MS_PER_HOUR, ms - ms.rem_euclid(MS_PER_DAY) + 16 * MS_PER_HOUR - 1]);
        }
        for ms in instants {
            let date = cst_date(ms);
            assert_eq!(date, chrono_date(ms), "{ms}");
            assert_eq!(day_start_ms(date), chrono_start(date), "{date}");
        }
        assert_eq!(cst_date(i64::MIN), min_date());
        assert_eq!(cst_date(i64::MAX), max_date());
    }

    /// The working-day table's jumps give exactly what the day-by-day walks give: every date of the table
    /// classified as `is_working_day` does, and the deadline arithmetic over random starts (inside the table,
    /// across its ends and outside it), amounts and calendars (shipped, county years with holidays and make-up
    /// days, no year at all; default, one-segment and three-segment windows).
    #[test]
    fn table_jumps_equal_day_by_day_walks() {
        let y2027 = r#"{"year":2027,"holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"},{"name":"春节","from":"2027-02-05","to":"2027-02-13"}],
            "workdays":[{"name":"春节调休","date":"2027-02-14"},{"name":"补班","date":"2027-01-09"}]}"#;
        let y2036 = r#"{"year":2036,"holidays":[{"name":"假","from":"2036-01-01","to":"2036-01-05"}],"workdays":[{"name":"补","date":"2036-01-06"}]}"#;
        let seg = |a: (u32, u32), b: (u32, u32)| WorkSegment {
            start: NaiveTime::from_hms_opt(a.0, a.1, 0).unwrap(),
            end: NaiveTime::from_hms_opt(b.0, b.1, 0).unwrap(),
        };
        let windows = [
            WorkingWindow::default(),
            WorkingWindow::new(&[seg((9, 0), (17, 0))]).unwrap(),
            WorkingWindow::new(&[seg((0, 0), (6, 0)), seg((8, 0), (12, 0)), seg((13, 0), (23, 59))]).unwrap(),
        ];
        let calendars: Vec<WorkCalendar> = windows
            .iter()
            .flat_map(|w| {
                [
                    WorkCalendar::china_default(),
                    WorkCalendar::from_json_years(&[CHINA_2026_JSON, y2027, y2036]).unwrap(),
                    WorkCalendar::plain_weekdays(),
                ]
                .map(|c| c.with_window(w.clone()))
            })
            .collect();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for cal in &calendars {
            let table = cal.table();
            for (i, n) in (table.first..table.first + table.before.len() as i32 - 1).enumerate() {
                let date = NaiveDate::from_num_days_from_ce_opt(n).unwrap();
                assert_eq!(table.before[i + 1] - table.before[i] == 1, cal.is_working_day(date), "{date}");
            }
            // 2018-01-01 .. 2038-01-01 CST: across both ends of the table (2020..=2035, 2036 when loaded).
            let (lo, hi) = (at(2018, 1, 1, 0, 0), at(2038, 1, 1, 0, 0));
            for _ in 0..4_000 {
                let start = lo + (next() % (hi - lo) as u64) as i64;
                // Exact day and segment boundaries too.
                let start = match next() % 4 {
                    0 => start - start.rem_euclid(MS_PER_DAY) - 8 * H + [0, 8 * H + 30 * MIN, 12 * H, 17 * H + 30 * MIN][(next() % 4) as usize],
                    _ => start,
                };
                let amount = match next() % 3 {
                    0 => (next() % (10 * H as u64)) as i64,
                    1 => (next() % 60 + 1) as i64 * cal.window().daily_working_millis() - (next() % 2) as i64,
                    _ => (next() % (400 * 24 * H as u64)) as i64,
                };
                assert_eq!(cal.add_working_millis(start, amount), cal.add_working_millis_in(start, amount, false), "{start} + {amount}");
                let end = start + (next() % (500 * 24 * H as u64)) as i64;
                assert_eq!(cal.working_millis_between(start, end), cal.working_millis_between_in(start, end, false), "{start}..{end}");
                let date = cst_date(start);
                assert_eq!(cal.next_working_day(date), cal.next_working_day_by_day(date), "{date}");
                let n = (next() % 300) as u32;
                let mut walked = date;
                for _ in 0..n {
                    walked = cal.next_working_day_by_day(walked);
                }
                let expected = if n == 0 { cal.add_working_days(start, 0) } else { cal.window_end_ms(walked) };
                assert_eq!(cal.add_working_days(start, n), expected, "{date} + {n} working days");
            }
        }
        // Far outside the table: the walks alone, as before.
        let cal = WorkCalendar::china_default();
        assert_eq!(cal.next_working_day(max_date()), max_date());
        assert_eq!(cal.add_working_millis(MAX_MS - H, 100 * H), MAX_MS);
        assert_eq!(cal.next_working_day(d(1999, 12, 31)), d(2000, 1, 3));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// Unix ms of a CST wall-clock instant.
    fn at(y: i32, m: u32, day: u32, h: u32, min: u32) -> i64 {
        cst()
            .with_ymd_and_hms(y, m, day, h, min, 0)
            .single()
            .unwrap()
            .timestamp_millis()
    }

    const H: i64 = MS_PER_HOUR;
    const MIN: i64 = MS_PER_MINUTE;

    fn cal() -> WorkCalendar {
        WorkCalendar::china_default()
    }

    fn year_json(holidays: &str, workdays: &str) -> String {
        format!(r#"{{"year":2026,"holidays":[{holidays}],"workdays":[{workdays}]}}"#)
    }

    // ---------- embedded file & day classification ----------

    #[test]
    fn embedded_2026_loads() {
        let c = cal();
        assert_eq!(c.loaded_years(), vec![2026]);
        assert_eq!(c.window().daily_working_millis(), 7 * H);
    }

    #[test]
    fn weekdays_of_official_2026_dates_are_as_announced() {
        // Guards the file against typos: the notice names the weekday of each date.
        assert_eq!(d(2026, 1, 1).weekday(), Weekday::Thu);
        assert_eq!(d(2026, 1, 4).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 2, 14).weekday(), Weekday::Sat);
        assert_eq!(d(2026, 2, 15).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 2, 23).weekday(), Weekday::Mon);
        assert_eq!(d(2026, 2, 28).weekday(), Weekday::Sat);
        assert_eq!(d(2026, 4, 4).weekday(), Weekday::Sat);
        assert_eq!(d(2026, 5, 1).weekday(), Weekday::Fri);
        assert_eq!(d(2026, 5, 5).weekday(), Weekday::Tue);
        assert_eq!(d(2026, 5, 9).weekday(), Weekday::Sat);
        assert_eq!(d(2026, 6, 19).weekday(), Weekday::Fri);
        assert_eq!(d(2026, 9, 20).weekday(), Weekday::Sun);
        assert_eq!(d(2026, 9, 25).weekday(), Weekday::Fri);
        assert_eq!(d(2026, 10, 1).weekday(), Weekday::Thu);
        assert_eq!(d(2026, 10, 7).weekday(), Weekday::Wed);
        assert_eq!(d(2026, 10, 10).weekday(), Weekday::Sat);
    }

    #[test]
    fn yuandan_2026() {
        let c = cal();
        assert!(c.is_working_day(d(2025, 12, 31)));
        for day in 1..=3 {
            assert!(!c.is_working_day(d(2026, 1, day)), "Jan {day}");
            assert_eq!(c.holiday_name(d(2026, 1, day)), Some("元旦"));
        }
        assert!(c.is_working_day(d(2026, 1, 4)), "Jan 4 Sunday is 调休上班");
        assert_eq!(c.makeup_workday_name(d(2026, 1, 4)), Some("元旦调休上班"));
        assert!(c.is_working_day(d(2026, 1, 5)));
        assert!(!c.is_working_day(d(2026, 1, 10)), "ordinary Saturday");
        assert!(!c.is_working_day(d(2026, 1, 11)), "ordinary Sunday");
    }

    #[test]
    fn chunjie_2026() {
        let c = cal();
        assert!(c.is_working_day(d(2026, 2, 13)), "Fri Feb 13");
        assert!(c.is_working_day(d(2026, 2, 14)), "Sat Feb 14 调休");
        for day in 15..=23 {
            assert!(!c.is_working_day(d(2026, 2, day)), "Feb {day} off");
            assert_eq!(c.holiday_name(d(2026, 2, day)), Some("春节"));
        }
        assert!(c.is_working_day(d(2026, 2, 24)), "Tue Feb 24 back to work");
        assert!(c.is_working_day(d(2026, 2, 27)));
        assert!(c.is_working_day(d(2026, 2, 28)), "Sat Feb 28 调休");
        assert!(
            !c.is_working_day(d(2026, 3, 1)),
            "Sun Mar 1 ordinary weekend"
        );
        assert!(!c.is_working_day(d(2026, 2, 21)), "Sat inside the holiday");
    }

    #[test]
    fn guoqing_2026() {
        let c = cal();
        assert!(
            !c.is_working_day(d(2026, 9, 19)),
            "Sat Sep 19 ordinary weekend"
        );
        assert!(c.is_working_day(d(2026, 9, 20)), "Sun Sep 20 调休");
        for day in 25..=27 {
            assert!(!c.is_working_day(d(2026, 9, day)), "中秋 Sep {day}");
        }
        assert!(c.is_working_day(d(2026, 9, 28)));
        assert!(c.is_working_day(d(2026, 9, 30)));
        for day in 1..=7 {
            assert!(!c.is_working_day(d(2026, 10, day)), "Oct {day}");
            assert_eq!(c.holiday_name(d(2026, 10, day)), Some("国庆节"));
        }
        assert!(c.is_working_day(d(2026, 10, 8)));
        assert!(c.is_working_day(d(2026, 10, 9)));
        assert!(c.is_working_day(d(2026, 10, 10)), "Sat Oct 10 调休");
        assert!(!c.is_working_day(d(2026, 10, 11)));
    }

    #[test]
    fn other_2026_holidays() {
        let c = cal();
        for day in 4..=6 {
            assert!(!c.is_working_day(d(2026, 4, day)), "清明 Apr {day}");
        }
        for day in 1..=5 {
            assert!(!c.is_working_day(d(2026, 5, day)), "劳动节 May {day}");
        }
        assert!(c.is_working_day(d(2026, 5, 9)), "May 9 Sat 调休");
        for day in 19..=21 {
            assert!(!c.is_working_day(d(2026, 6, day)), "端午 Jun {day}");
        }
    }

    #[test]
    fn working_day_count_2026() {
        // 365 days - 104 weekend days - 19 holiday weekdays + 6 make-up days = 248.
        let c = cal();
        let mut n = 0;
        let mut day = d(2026, 1, 1);
        while day.year() == 2026 {
            if c.is_working_day(day) {
                n += 1;
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(n, 248);
    }

    #[test]
    fn unloaded_years_fall_back_to_monday_friday() {
        let c = cal();
        // 2027-01-01 is a Friday: a holiday in reality, but no 2027 file is loaded.
        assert!(c.is_working_day(d(2027, 1, 1)));
        assert!(!c.is_working_day(d(2027, 1, 2)));
        // 2025-10-01 (Wednesday) likewise.
        assert!(c.is_working_day(d(2025, 10, 1)));
        let plain = WorkCalendar::plain_weekdays();
        assert!(
            plain.is_working_day(d(2026, 2, 16)),
            "no file → Monday works"
        );
        assert!(
            !plain.is_working_day(d(2026, 2, 14)),
            "no file → Saturday off"
        );
    }

    #[test]
    fn multiple_years_and_duplicate_year() {
        let y2027 =
            r#"{"year":2027,"holidays":[{"name":"元旦","from":"2027-01-01"}],"workdays":[]}"#;
        let c = WorkCalendar::from_json_years(&[CHINA_2026_JSON, y2027]).unwrap();
        assert_eq!(c.loaded_years(), vec![2026, 2027]);
        assert!(!c.is_working_day(d(2027, 1, 1)));
        let err = WorkCalendar::from_json_years(&[CHINA_2026_JSON, CHINA_2026_JSON]).unwrap_err();
        assert!(matches!(err, CalendarError::DuplicateYear(2026)), "{err}");
    }

    // ---------- add_working_days ----------

    #[test]
    fn add_days_ordinary_week() {
        let c = cal();
        // Tue 2026-03-10 10:00 + 1 → Wed 17:30; + 3 → Fri 17:30; + 4 → Mon 17:30.
        let s = at(2026, 3, 10, 10, 0);
        assert_eq!(c.add_working_days(s, 1), at(2026, 3, 11, 17, 30));
        assert_eq!(c.add_working_days(s, 3), at(2026, 3, 13, 17, 30));
        assert_eq!(c.add_working_days(s, 4), at(2026, 3, 16, 17, 30));
    }

    #[test]
    fn add_days_start_hour_does_not_matter() {
        let c = cal();
        let expected = at(2026, 3, 11, 17, 30);
        for (h, m) in [
            (0, 0),
            (7, 0),
            (8, 30),
            (12, 30),
            (17, 29),
            (17, 30),
            (20, 0),
            (23, 59),
        ] {
            assert_eq!(
                c.add_working_days(at(2026, 3, 10, h, m), 1),
                expected,
                "{h}:{m}"
            );
        }
    }

    #[test]
    fn add_days_start_after_hours_friday() {
        let c = cal();
        // Fri 2026-03-13 19:00 + 1 → Mon 03-16 17:30.
        assert_eq!(
            c.add_working_days(at(2026, 3, 13, 19, 0), 1),
            at(2026, 3, 16, 17, 30)
        );
    }

    #[test]
    fn add_days_across_chunjie() {
        let c = cal();
        // Fri Feb 13 + 1 → Sat Feb 14 (调休) 17:30.
        assert_eq!(
            c.add_working_days(at(2026, 2, 13, 9, 0), 1),
            at(2026, 2, 14, 17, 30)
        );
        // Fri Feb 13 + 2 → Tue Feb 24 (Feb 15–23 off).
        assert_eq!(
            c.add_working_days(at(2026, 2, 13, 9, 0), 2),
            at(2026, 2, 24, 17, 30)
        );
        // Thu Feb 12 + 7: 13,14,24,25,26,27,28 → Sat Feb 28 (调休).
        assert_eq!(
            c.add_working_days(at(2026, 2, 12, 9, 0), 7),
            at(2026, 2, 28, 17, 30)
        );
        // ... + 8 → Mon Mar 2 (Mar 1 Sunday off).
        assert_eq!(
            c.add_working_days(at(2026, 2, 12, 9, 0), 8),
            at(2026, 3, 2, 17, 30)
        );
    }

    #[test]
    fn add_days_start_on_holiday() {
        let c = cal();
        // Reported on 除夕 Mon Feb 16 → day 1 is Tue Feb 24.
        assert_eq!(
            c.add_working_days(at(2026, 2, 16, 10, 0), 1),
            at(2026, 2, 24, 17, 30)
        );
        assert_eq!(
            c.add_working_days(at(2026, 2, 16, 10, 0), 3),
            at(2026, 2, 26, 17, 30)
        );
        // Reported on the last holiday day Feb 23 late at night → same.
        assert_eq!(
            c.add_working_days(at(2026, 2, 23, 23, 0), 1),
            at(2026, 2, 24, 17, 30)
        );
        // Reported on Sat Feb 14 (a make-up working day) → it is a working day, not counted.
        assert_eq!(
            c.add_working_days(at(2026, 2, 14, 10, 0), 1),
            at(2026, 2, 24, 17, 30)
        );
    }

    #[test]
    fn add_days_across_guoqing() {
        let c = cal();
        // Sat Sep 19 (off) + 1 → Sun Sep 20 (调休).
        assert_eq!(
            c.add_working_days(at(2026, 9, 19, 10, 0), 1),
            at(2026, 9, 20, 17, 30)
        );
        // Thu Sep 24 + 1 → Mon Sep 28 (中秋 Sep 25–27).
        assert_eq!(
            c.add_working_days(at(2026, 9, 24, 10, 0), 1),
            at(2026, 9, 28, 17, 30)
        );
        // Wed Sep 30 + 1 → Thu Oct 8; + 2 → Fri Oct 9; + 3 → Sat Oct 10 (调休); + 4 → Mon Oct 12.
        let s = at(2026, 9, 30, 16, 0);
        assert_eq!(c.add_working_days(s, 1), at(2026, 10, 8, 17, 30));
        assert_eq!(c.add_working_days(s, 2), at(2026, 10, 9, 17, 30));
        assert_eq!(c.add_working_days(s, 3), at(2026, 10, 10, 17, 30));
        assert_eq!(c.add_working_days(s, 4), at(2026, 10, 12, 17, 30));
        // Reported during 国庆 Oct 3 + 7 → Oct 8,9,10,12,13,14,15 → Thu Oct 15.
        assert_eq!(
            c.add_working_days(at(2026, 10, 3, 10, 0), 7),
            at(2026, 10, 15, 17, 30)
        );
    }

    #[test]
    fn add_days_yuandan_makeup_sunday() {
        let c = cal();
        // Wed Dec 31 2025 (no 2025 file: plain weekday) + 1 → Sun Jan 4 2026 (调休).
        assert_eq!(
            c.add_working_days(at(2025, 12, 31, 10, 0), 1),
            at(2026, 1, 4, 17, 30)
        );
        assert_eq!(
            c.add_working_days(at(2025, 12, 31, 10, 0), 2),
            at(2026, 1, 5, 17, 30)
        );
    }

    #[test]
    fn add_days_zero() {
        let c = cal();
        assert_eq!(
            c.add_working_days(at(2026, 3, 10, 10, 0), 0),
            at(2026, 3, 10, 17, 30)
        );
        assert_eq!(
            c.add_working_days(at(2026, 3, 10, 17, 30), 0),
            at(2026, 3, 10, 17, 30)
        );
        assert_eq!(
            c.add_working_days(at(2026, 3, 10, 17, 31), 0),
            at(2026, 3, 11, 17, 30)
        );
        assert_eq!(
            c.add_working_days(at(2026, 2, 16, 10, 0), 0),
            at(2026, 2, 24, 17, 30)
        );
    }

    // ---------- add_working_hours ----------

    #[test]
    fn add_hours_within_morning_and_exact_segment_end() {
        let c = cal();
        let s = at(2026, 3, 10, 8, 30);
        assert_eq!(c.add_working_hours(s, 1), at(2026, 3, 10, 9, 30));
        assert_eq!(
            c.add_working_minutes(s, 210),
            at(2026, 3, 10, 12, 0),
            "ends at 12:00, not 14:00"
        );
        assert_eq!(c.add_working_minutes(s, 211), at(2026, 3, 10, 14, 1));
        assert_eq!(
            c.add_working_hours(s, 7),
            at(2026, 3, 10, 17, 30),
            "full day ends at 17:30"
        );
    }

    #[test]
    fn add_hours_crossing_lunch() {
        let c = cal();
        // 11:00 + 2 h → 1 h before lunch, 1 h after → 15:00.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 10, 11, 0), 2),
            at(2026, 3, 10, 15, 0)
        );
        // Start during lunch: clock starts at 14:00.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 10, 12, 30), 1),
            at(2026, 3, 10, 15, 0)
        );
    }

    #[test]
    fn add_hours_crossing_night() {
        let c = cal();
        // Tue 16:30 + 4 h → 1 h Tue, then Wed 08:30 + 3 h → 11:30.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 10, 16, 30), 4),
            at(2026, 3, 11, 11, 30)
        );
        // Start before hours: Tue 06:00 + 1 h → 09:30.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 10, 6, 0), 1),
            at(2026, 3, 10, 9, 30)
        );
    }

    #[test]
    fn add_hours_start_after_hours() {
        let c = cal();
        // Tue 20:00 + 4 h → Wed 08:30 + 3.5 h = 12:00, + 0.5 h after lunch → 14:30.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 10, 20, 0), 4),
            at(2026, 3, 11, 14, 30)
        );
        // Exactly 17:30 counts as after hours.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 10, 17, 30), 1),
            at(2026, 3, 11, 9, 30)
        );
    }

    #[test]
    fn add_hours_crossing_weekend() {
        let c = cal();
        // Fri 2026-03-13 16:00 + 4 h → 1.5 h Fri, Mon 08:30 + 2.5 h = 11:00.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 13, 16, 0), 4),
            at(2026, 3, 16, 11, 0)
        );
        // Started on Saturday.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 14, 10, 0), 4),
            at(2026, 3, 16, 14, 30)
        );
    }

    #[test]
    fn add_hours_crossing_holiday_and_makeup_days() {
        let c = cal();
        // Fri Feb 13 17:00 + 4 h → 0.5 h Fri, Sat Feb 14 (调休) 08:30 + 3.5 h = 12:00.
        assert_eq!(
            c.add_working_hours(at(2026, 2, 13, 17, 0), 4),
            at(2026, 2, 14, 12, 0)
        );
        // Sat Feb 14 16:00 + 4 h → 1.5 h Sat, then holiday Feb 15–23, Tue Feb 24 11:00.
        assert_eq!(
            c.add_working_hours(at(2026, 2, 14, 16, 0), 4),
            at(2026, 2, 24, 11, 0)
        );
        // Started on a holiday (Feb 18): clock starts Feb 24 08:30.
        assert_eq!(
            c.add_working_hours(at(2026, 2, 18, 10, 0), 4),
            at(2026, 2, 24, 14, 30)
        );
        // 国庆: Wed Sep 30 17:00 + 1 h → Thu Oct 8 09:00.
        assert_eq!(
            c.add_working_hours(at(2026, 9, 30, 17, 0), 1),
            at(2026, 10, 8, 9, 0)
        );
        // Fri Sep 18 17:00 + 1 h → Sun Sep 20 (调休) 09:00.
        assert_eq!(
            c.add_working_hours(at(2026, 9, 18, 17, 0), 1),
            at(2026, 9, 20, 9, 0)
        );
    }

    #[test]
    fn add_working_millis_edges() {
        let c = cal();
        let s = at(2026, 3, 10, 20, 0);
        assert_eq!(c.add_working_millis(s, 0), s);
        assert_eq!(c.add_working_millis(s, -5), s);
        assert_eq!(c.add_working_millis(s, 1), at(2026, 3, 11, 8, 30) + 1);
        // Extreme inputs do not panic and saturate.
        assert_eq!(c.add_working_millis(i64::MAX, 1), MAX_MS);
        assert!(c.add_working_days(i64::MIN, 1) > MIN_MS);
        assert_eq!(c.working_millis_between(i64::MAX, i64::MIN), 0);
    }

    // ---------- working_millis_between ----------

    #[test]
    fn between_basic_and_inverse_of_add() {
        let c = cal();
        assert_eq!(
            c.working_millis_between(at(2026, 3, 10, 8, 30), at(2026, 3, 10, 17, 30)),
            7 * H
        );
        assert_eq!(
            c.working_millis_between(at(2026, 3, 10, 0, 0), at(2026, 3, 11, 0, 0)),
            7 * H
        );
        assert_eq!(
            c.working_millis_between(at(2026, 3, 10, 11, 0), at(2026, 3, 10, 15, 0)),
            2 * H
        );
        assert_eq!(
            c.working_millis_between(at(2026, 3, 10, 12, 10), at(2026, 3, 10, 13, 50)),
            0
        );
        assert_eq!(
            c.working_millis_between(at(2026, 3, 10, 15, 0), at(2026, 3, 10, 11, 0)),
            0
        );
        // Whole 春节 week: Feb 13 (7h) + Feb 14 (7h) + nothing until Feb 24.
        assert_eq!(
            c.working_millis_between(at(2026, 2, 13, 0, 0), at(2026, 2, 24, 0, 0)),
            14 * H
        );
        // Round trip over many starts and amounts.
        for start in [
            at(2026, 2, 13, 11, 7),
            at(2026, 9, 30, 16, 59),
            at(2026, 10, 9, 20, 0),
        ] {
            for mins in [1u32, 59, 210, 211, 420, 421, 3000] {
                let end = c.add_working_minutes(start, mins);
                assert_eq!(c.working_millis_between(start, end), i64::from(mins) * MIN);
            }
        }
    }

    #[test]
    fn is_working_instant_edges() {
        let c = cal();
        assert!(!c.is_working_instant(at(2026, 3, 10, 8, 30) - 1));
        assert!(c.is_working_instant(at(2026, 3, 10, 8, 30)));
        assert!(!c.is_working_instant(at(2026, 3, 10, 12, 0)));
        assert!(c.is_working_instant(at(2026, 3, 10, 17, 30) - 1));
        assert!(!c.is_working_instant(at(2026, 3, 10, 17, 30)));
        assert!(!c.is_working_instant(at(2026, 2, 16, 10, 0)));
        assert!(c.is_working_instant(at(2026, 2, 14, 10, 0)));
    }

    #[test]
    fn cst_conversion_is_utc_plus_8() {
        // 2026-02-14T16:30Z is 2026-02-15 00:30 CST (a holiday).
        let ms = 1_771_086_600_000;
        assert_eq!(cst_date(ms), d(2026, 2, 15));
        assert_eq!(at(2026, 2, 15, 0, 30), ms);
    }

    // ---------- custom window ----------

    #[test]
    fn custom_window() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let w = WorkingWindow::new(&[WorkSegment {
            start: t(9, 0),
            end: t(17, 0),
        }])
        .unwrap();
        let c = WorkCalendar::china_default().with_window(w);
        assert_eq!(c.window().daily_working_millis(), 8 * H);
        assert_eq!(
            c.add_working_hours(at(2026, 3, 10, 16, 0), 2),
            at(2026, 3, 11, 10, 0)
        );
        assert_eq!(
            c.add_working_days(at(2026, 3, 10, 16, 0), 1),
            at(2026, 3, 11, 17, 0)
        );
        assert_eq!(WorkingWindow::default().segments().len(), 2);
    }

    #[test]
    fn invalid_windows() {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
        assert!(matches!(
            WorkingWindow::new(&[]),
            Err(CalendarError::InvalidWindow(_))
        ));
        let inverted = [WorkSegment {
            start: t(12, 0),
            end: t(8, 0),
        }];
        assert!(matches!(
            WorkingWindow::new(&inverted),
            Err(CalendarError::InvalidWindow(_))
        ));
        let overlap = [
            WorkSegment {
                start: t(8, 0),
                end: t(12, 0),
            },
            WorkSegment {
                start: t(11, 0),
                end: t(17, 0),
            },
        ];
        assert!(matches!(
            WorkingWindow::new(&overlap),
            Err(CalendarError::InvalidWindow(_))
        ));
        let touching = [
            WorkSegment {
                start: t(8, 0),
                end: t(12, 0),
            },
            WorkSegment {
                start: t(12, 0),
                end: t(17, 0),
            },
        ];
        assert!(WorkingWindow::new(&touching).is_ok());
    }

    // ---------- parse errors ----------

    #[test]
    fn parse_error_bad_json_and_unknown_field() {
        let err = WorkCalendar::from_json_years(&["{ not json"]).unwrap_err();
        assert!(matches!(err, CalendarError::Json(_)), "{err}");
        let typo = r#"{"year":2026,"holidays":[{"name":"春节","form":"2026-02-15"}]}"#;
        let err = WorkCalendar::from_json_years(&[typo]).unwrap_err();
        assert!(matches!(err, CalendarError::Json(_)), "{err}");
        assert!(err.to_string().contains("form"), "{err}");
        let missing_year = r#"{"holidays":[]}"#;
        assert!(matches!(
            WorkCalendar::from_json_years(&[missing_year]),
            Err(CalendarError::Json(_))
        ));
    }

    #[test]
    fn parse_error_bad_date() {
        for bad in [
            "2026-02-30",
            "2026-2-15",
            "2026/02/15",
            "15-02-2026",
            "",
            "2026-13-01",
        ] {
            let json = year_json(&format!(r#"{{"name":"春节","from":"{bad}"}}"#), "");
            let err = WorkCalendar::from_json_years(&[&json]).unwrap_err();
            match &err {
                CalendarError::BadDate { entry, value } => {
                    assert_eq!(entry, "春节");
                    assert_eq!(value, bad);
                }
                other => panic!("{bad}: unexpected {other}"),
            }
            assert!(err.to_string().contains("YYYY-MM-DD"));
        }
        let json = year_json("", r#"{"name":"调休","date":"2026-02-29"}"#);
        assert!(matches!(
            WorkCalendar::from_json_years(&[&json]),
            Err(CalendarError::BadDate { .. })
        ));
    }

    #[test]
    fn parse_error_date_outside_year() {
        let json = year_json(
            r#"{"name":"元旦","from":"2025-12-31","to":"2026-01-01"}"#,
            "",
        );
        let err = WorkCalendar::from_json_years(&[&json]).unwrap_err();
        assert!(
            matches!(err, CalendarError::DateOutsideYear { year: 2026, date, .. } if date == d(2025, 12, 31)),
            "{err}"
        );
        let json = year_json("", r#"{"name":"调休","date":"2027-01-02"}"#);
        assert!(matches!(
            WorkCalendar::from_json_years(&[&json]),
            Err(CalendarError::DateOutsideYear { .. })
        ));
    }

    #[test]
    fn parse_error_holiday_and_workday_same_day() {
        let json = year_json(
            r#"{"name":"春节","from":"2026-02-15","to":"2026-02-23"}"#,
            r#"{"name":"春节调休上班","date":"2026-02-20"}"#,
        );
        let err = WorkCalendar::from_json_years(&[&json]).unwrap_err();
        assert!(
            matches!(&err, CalendarError::HolidayWorkdayConflict { date, .. } if *date == d(2026, 2, 20)),
            "{err}"
        );
        assert!(err.to_string().contains("2026-02-20"));
    }

    #[test]
    fn parse_error_inverted_and_duplicate() {
        let json = year_json(
            r#"{"name":"国庆节","from":"2026-10-07","to":"2026-10-01"}"#,
            "",
        );
        assert!(matches!(
            WorkCalendar::from_json_years(&[&json]),
            Err(CalendarError::InvertedRange { .. })
        ));
        let json = year_json(
            r#"{"name":"中秋节","from":"2026-09-25","to":"2026-10-01"},{"name":"国庆节","from":"2026-10-01","to":"2026-10-07"}"#,
            "",
        );
        assert!(matches!(
            WorkCalendar::from_json_years(&[&json]),
            Err(CalendarError::DuplicateDay { .. })
        ));
        let json = year_json(
            "",
            r#"{"name":"a","date":"2026-02-14"},{"name":"b","date":"2026-02-14"}"#,
        );
        assert!(matches!(
            WorkCalendar::from_json_years(&[&json]),
            Err(CalendarError::DuplicateDay { .. })
        ));
        let json = r#"{"year":10000,"holidays":[]}"#;
        assert!(matches!(
            WorkCalendar::from_json_years(&[json]),
            Err(CalendarError::YearOutOfRange(10000))
        ));
    }

    #[test]
    fn single_day_holiday_without_to() {
        let json = year_json(r#"{"name":"县庆","from":"2026-03-10"}"#, "");
        let c = WorkCalendar::from_json_years(&[&json]).unwrap();
        assert!(!c.is_working_day(d(2026, 3, 10)));
        assert!(c.is_working_day(d(2026, 3, 11)));
    }
}
