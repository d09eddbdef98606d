//! Where a GPS fix puts the visitor: distance to the household's point (haversine, via `geo`), the graded
//! on-site verdict that is recorded rather than used as a hard block (field workers accept 3 km fixes in
//! comparable apps; hard 20 m limits block work), the freshness of the fix (a last-known position from before
//! the visit, or one older than the county's maximum age, is graded stale and never on site), point-in-boundary, and WGS-84 ↔ GCJ-02 conversion for the
//! Chinese map SDKs (AMap, Tencent), which draw in GCJ-02.

use geo::{Contains, Coord, Distance, Haversine, LineString, Point, Polygon};
use serde::{Deserialize, Serialize};

use crate::model::{GpsFix, OnSiteVerdict};

/// Thresholds for the on-site verdict; county-configurable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct OnSitePolicy {
    /// A good fix within this distance of the household's point is on site. Default 100 m.
    pub radius_m: f64,
    /// A fix with a worse accuracy radius is a poor fix. Default 50 m.
    pub max_accuracy_m: f64,
    /// A fix older than this many seconds when the visit is saved (or previewed) is stale. Default 120 s.
    pub max_fix_age_s: u32,
}

impl Default for OnSitePolicy {
    fn default() -> Self {
        OnSitePolicy { radius_m: 100.0, max_accuracy_m: 50.0, max_fix_age_s: 120 }
    }
}

/// The moments a fix is judged against: when the visit started (the form opened) and when it is graded (the
/// visit's end when saved, the phone's clock in a live preview). Both phone and server grade a saved visit
/// with its own recorded times, so they agree whenever the op arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixWindow {
    pub started_at_ms: i64,
    pub at_ms: i64,
}

/// What is wrong with a coordinate or fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CoordinateError {
    #[error("latitude must be a number between -90 and 90")]
    Latitude,
    #[error("longitude must be a number between -180 and 180")]
    Longitude,
    #[error("accuracy must be a non-negative number of metres")]
    Accuracy,
    /// The fix time is not a real time, or lies after the moment it is judged at (beyond the clock skew).
    #[error("the fix time must be a real time, not after the visit")]
    FixTime,
}

/// Checks the fix's time against the moment it is judged at: a positive time, not later than `at_ms` plus
/// the allowed clock skew (a fix "from the future" is a broken clock or a forged fix, refused, never graded).
pub fn check_fix_time(fix: &GpsFix, at_ms: i64) -> Result<(), CoordinateError> {
    if fix.fix_time_ms <= 0 || fix.fix_time_ms > at_ms.saturating_add(crate::validate::limits::FUTURE_SKEW_MS) {
        return Err(CoordinateError::FixTime);
    }
    Ok(())
}

/// Whether the fix is stale for the window: taken before the visit started, or older than the policy's
/// maximum age at the moment it is judged.
pub fn is_stale(fix: &GpsFix, window: FixWindow, policy: &OnSitePolicy) -> bool {
    fix.fix_time_ms < window.started_at_ms
        || window.at_ms.saturating_sub(fix.fix_time_ms) > i64::from(policy.max_fix_age_s) * 1000
}

/// Checks a WGS-84 point (rejects NaN, infinities and out-of-range values).
pub fn validate_point(lat: f64, lon: f64) -> Result<(), CoordinateError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(CoordinateError::Latitude);
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(CoordinateError::Longitude);
    }
    Ok(())
}

/// Checks a fix as received from the phone's location provider.
pub fn validate_fix(fix: &GpsFix) -> Result<(), CoordinateError> {
    validate_point(fix.lat, fix.lon)?;
    if !fix.accuracy_m.is_finite() || fix.accuracy_m < 0.0 {
        return Err(CoordinateError::Accuracy);
    }
    Ok(())
}

/// Great-circle distance in metres between two WGS-84 points given as (lat, lon).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    Haversine.distance(Point::new(a.1, a.0), Point::new(b.1, b.0))
}

/// The verdict and, when both points exist, the distance from the fix to the household.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Assessment {
    pub verdict: OnSiteVerdict,
    pub distance_m: Option<f64>,
}

/// Grades a visit's fix against the household's point. Order: no fix, mocked, stale (before the visit or
/// older than the maximum age), poor accuracy, no reference point, too far, on site. The fix must already be
/// validated (`validate_fix`, `check_fix_time`).
pub fn assess(fix: Option<&GpsFix>, household: Option<(f64, f64)>, policy: &OnSitePolicy, window: FixWindow) -> Assessment {
    let Some(fix) = fix else { return Assessment { verdict: OnSiteVerdict::NoFix, distance_m: None } };
    let distance = household.map(|h| distance_m((fix.lat, fix.lon), h));
    let verdict = if fix.mocked {
        OnSiteVerdict::Mocked
    } else if is_stale(fix, window, policy) {
        OnSiteVerdict::StaleFix
    } else if fix.accuracy_m > policy.max_accuracy_m {
        OnSiteVerdict::PoorFix
    } else {
        match distance {
            None => OnSiteVerdict::NoReference,
            Some(d) if d > policy.radius_m => OnSiteVerdict::TooFar,
            Some(_) => OnSiteVerdict::OnSite,
        }
    };
    Assessment { verdict, distance_m: distance }
}

/// Whether a (lat, lon) point lies inside a boundary ring of (lat, lon) points.
pub fn in_boundary(ring: &[(f64, f64)], point: (f64, f64)) -> bool {
    if ring.len() < 3 {
        return false;
    }
    let exterior: LineString<f64> = ring.iter().map(|&(lat, lon)| Coord { x: lon, y: lat }).collect();
    Polygon::new(exterior, vec![]).contains(&Point::new(point.1, point.0))
}

const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;

/// GCJ-02 is only applied inside China's rough bounding box; outside, both systems coincide.
pub fn outside_china(lat: f64, lon: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

fn gcj_offset(lat: f64, lon: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    let x = lon - 105.0;
    let y = lat - 35.0;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad_lat = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    let dlat = (dlat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = (dlon * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * PI);
    (dlat, dlon)
}

/// WGS-84 (GPS) → GCJ-02 (Chinese map SDKs). Returns (lat, lon).
pub fn wgs84_to_gcj02(lat: f64, lon: f64) -> (f64, f64) {
    if outside_china(lat, lon) {
        return (lat, lon);
    }
    let (dlat, dlon) = gcj_offset(lat, lon);
    (lat + dlat, lon + dlon)
}

/// GCJ-02 → WGS-84 by fixed-point iteration (converges to < 1e-9° in a few steps). Returns (lat, lon).
pub fn gcj02_to_wgs84(lat: f64, lon: f64) -> (f64, f64) {
    if outside_china(lat, lon) {
        return (lat, lon);
    }
    let (mut wlat, mut wlon) = (lat, lon);
    for _ in 0..30 {
        let (glat, glon) = wgs84_to_gcj02(wlat, wlon);
        let (elat, elon) = (glat - lat, glon - lon);
        wlat -= elat;
        wlon -= elon;
        if elat.abs() < 1e-10 && elon.abs() < 1e-10 {
            break;
        }
    }
    (wlat, wlon)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_780_000_000_000;
    /// A visit that started at T0 and is judged 60 s later.
    const W: FixWindow = FixWindow { started_at_ms: T0, at_ms: T0 + 60_000 };

    fn fix(lat: f64, lon: f64, accuracy_m: f64, mocked: bool) -> GpsFix {
        GpsFix { lat, lon, accuracy_m, fix_time_ms: T0 + 30_000, mocked }
    }

    fn assess(fix: Option<&GpsFix>, household: Option<(f64, f64)>, policy: &OnSitePolicy) -> Assessment {
        super::assess(fix, household, policy, W)
    }

    #[test]
    fn a_fix_from_before_the_visit_or_too_old_is_stale_never_on_site() {
        let policy = OnSitePolicy::default();
        let home = (35.0, 109.0);
        let at = |t: i64| GpsFix { fix_time_ms: t, ..fix(35.0, 109.0, 5.0, false) };
        assert_eq!(assess(Some(&at(T0)), Some(home), &policy).verdict, OnSiteVerdict::OnSite, "taken as the visit starts");
        assert_eq!(assess(Some(&at(T0 - 1)), Some(home), &policy).verdict, OnSiteVerdict::StaleFix, "last known, before the visit");
        let late = FixWindow { started_at_ms: T0, at_ms: T0 + 120_000 };
        assert_eq!(super::assess(Some(&at(T0)), Some(home), &policy, late).verdict, OnSiteVerdict::OnSite, "exactly 120 s old");
        let later = FixWindow { started_at_ms: T0, at_ms: T0 + 120_001 };
        let stale = super::assess(Some(&at(T0)), Some(home), &policy, later);
        assert_eq!(stale.verdict, OnSiteVerdict::StaleFix);
        assert_eq!(stale.distance_m, Some(0.0), "the distance is still shown");
        let lenient = OnSitePolicy { max_fix_age_s: 600, ..policy };
        assert_eq!(super::assess(Some(&at(T0)), Some(home), &lenient, later).verdict, OnSiteVerdict::OnSite, "configurable");
        // Mocked outranks stale: the stronger warning is shown.
        assert_eq!(assess(Some(&GpsFix { mocked: true, ..at(T0 - 1) }), Some(home), &policy).verdict, OnSiteVerdict::Mocked);
    }

    #[test]
    fn fix_times_that_are_not_real_or_in_the_future_are_refused() {
        let f = |t: i64| GpsFix { fix_time_ms: t, ..fix(35.0, 109.0, 5.0, false) };
        assert_eq!(check_fix_time(&f(T0), T0), Ok(()));
        assert_eq!(check_fix_time(&f(0), T0), Err(CoordinateError::FixTime));
        assert_eq!(check_fix_time(&f(-5), T0), Err(CoordinateError::FixTime));
        let skew = crate::validate::limits::FUTURE_SKEW_MS;
        assert_eq!(check_fix_time(&f(T0 + skew), T0), Ok(()));
        assert_eq!(check_fix_time(&f(T0 + skew + 1), T0), Err(CoordinateError::FixTime));
        assert_eq!(check_fix_time(&f(i64::MAX), i64::MAX), Ok(()), "no overflow");
    }

    #[test]
    fn verdicts_are_graded_in_order() {
        let policy = OnSitePolicy::default();
        let home = (35.0, 109.0);
        // ~0.0009° of latitude ≈ 100 m.
        let near = fix(35.0005, 109.0, 10.0, false);
        let far = fix(35.002, 109.0, 10.0, false);
        assert_eq!(assess(None, Some(home), &policy).verdict, OnSiteVerdict::NoFix);
        assert_eq!(assess(Some(&fix(35.0, 109.0, 5.0, true)), Some(home), &policy).verdict, OnSiteVerdict::Mocked);
        assert_eq!(assess(Some(&fix(35.0, 109.0, 50.1, false)), Some(home), &policy).verdict, OnSiteVerdict::PoorFix);
        assert_eq!(assess(Some(&fix(35.0, 109.0, 50.0, false)), Some(home), &policy).verdict, OnSiteVerdict::OnSite);
        assert_eq!(assess(Some(&near), None, &policy).verdict, OnSiteVerdict::NoReference);
        let a = assess(Some(&near), Some(home), &policy);
        assert_eq!(a.verdict, OnSiteVerdict::OnSite);
        assert!((a.distance_m.unwrap() - 55.6).abs() < 1.0, "{:?}", a.distance_m);
        let b = assess(Some(&far), Some(home), &policy);
        assert_eq!(b.verdict, OnSiteVerdict::TooFar);
        assert!((b.distance_m.unwrap() - 222.4).abs() < 1.0);
    }

    #[test]
    fn radius_edge_is_inclusive_and_configurable() {
        let home = (35.0, 109.0);
        let f = fix(35.0005, 109.0, 10.0, false);
        let d = distance_m((f.lat, f.lon), home);
        let exact = OnSitePolicy { radius_m: d, ..OnSitePolicy::default() };
        assert_eq!(assess(Some(&f), Some(home), &exact).verdict, OnSiteVerdict::OnSite);
        let tighter = OnSitePolicy { radius_m: d - 0.01, ..OnSitePolicy::default() };
        assert_eq!(assess(Some(&f), Some(home), &tighter).verdict, OnSiteVerdict::TooFar);
    }

    #[test]
    fn invalid_coordinates_are_rejected() {
        assert_eq!(validate_point(f64::NAN, 100.0), Err(CoordinateError::Latitude));
        assert_eq!(validate_point(91.0, 100.0), Err(CoordinateError::Latitude));
        assert_eq!(validate_point(30.0, -180.5), Err(CoordinateError::Longitude));
        assert_eq!(validate_point(30.0, f64::INFINITY), Err(CoordinateError::Longitude));
        assert_eq!(validate_fix(&fix(30.0, 100.0, -1.0, false)), Err(CoordinateError::Accuracy));
        assert_eq!(validate_fix(&fix(30.0, 100.0, f64::NAN, false)), Err(CoordinateError::Accuracy));
        assert_eq!(validate_fix(&fix(-90.0, 180.0, 0.0, false)), Ok(()));
    }

    #[test]
    fn gcj02_matches_the_reference_vector_and_round_trips() {
        // Reference vector used by the widely deployed coordtransform / eviltransform libraries (Tiananmen).
        let (lat, lon) = wgs84_to_gcj02(39.915, 116.404);
        assert!((lat - 39.916_404_281_501_64).abs() < 1e-9, "{lat}");
        assert!((lon - 116.410_244_499_169_38).abs() < 1e-9, "{lon}");
        for &(la, lo) in &[(39.915, 116.404), (35.58, 109.26), (23.1, 113.3), (45.75, 126.63)] {
            let (g_lat, g_lon) = wgs84_to_gcj02(la, lo);
            let offset = distance_m((la, lo), (g_lat, g_lon));
            assert!((50.0..1000.0).contains(&offset), "offset {offset}");
            let (w_lat, w_lon) = gcj02_to_wgs84(g_lat, g_lon);
            assert!((w_lat - la).abs() < 1e-8 && (w_lon - lo).abs() < 1e-8);
        }
        assert_eq!(wgs84_to_gcj02(48.85, 2.35), (48.85, 2.35));
    }

    #[test]
    fn boundary_contains() {
        let ring = [(35.0, 109.0), (35.0, 109.1), (35.1, 109.1), (35.1, 109.0)];
        assert!(in_boundary(&ring, (35.05, 109.05)));
        assert!(!in_boundary(&ring, (35.2, 109.05)));
        assert!(!in_boundary(&ring[..2], (35.05, 109.05)));
    }
}
