//! Lights on the measures (考核指标红黄绿灯) for the staff dashboards: whether a rate is on target (绿),
//! close to it (黄) or off it (红), so a township or county leader sees at a glance which figure, and which
//! child node, needs attention. One definition for the phone and the server's export. An empty cohort has no
//! light (`Light::None`): nothing to judge.
//!
//! Targets (percent, inclusive), as the county's assessment sheets commonly set them:
//! - 按期受理率, 按期办结率, 满意率: green from 90, yellow from 80, red below;
//! - 走访覆盖率: green from 90, yellow from 70, red below;
//! - 返工率 (lower is better): green up to 5, yellow up to 10, red above.

use super::measures::Rate;
use super::sla::Light;

/// The measures a dashboard lights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureKind {
    AcceptedOnTime,
    ResolvedOnTime,
    Satisfied,
    Rework,
    VisitCoverage,
}

/// `(green_from, yellow_from)` in percent; for lower-is-better measures `(green_up_to, yellow_up_to)`.
fn target(kind: MeasureKind) -> (u64, u64, bool) {
    match kind {
        MeasureKind::AcceptedOnTime | MeasureKind::ResolvedOnTime | MeasureKind::Satisfied => (90, 80, true),
        MeasureKind::VisitCoverage => (90, 70, true),
        MeasureKind::Rework => (5, 10, false),
    }
}

/// The light of `rate` for `kind`, in integer arithmetic (no rounding at the thresholds).
pub fn light(kind: MeasureKind, rate: Rate) -> Light {
    if rate.denominator == 0 {
        return Light::None;
    }
    let (a, b, higher_is_better) = target(kind);
    let pct100 = u64::from(rate.numerator) * 100;
    let whole = u64::from(rate.denominator);
    if higher_is_better {
        if pct100 >= a * whole {
            Light::Green
        } else if pct100 >= b * whole {
            Light::Yellow
        } else {
            Light::Red
        }
    } else if pct100 <= a * whole {
        Light::Green
    } else if pct100 <= b * whole {
        Light::Yellow
    } else {
        Light::Red
    }
}

/// The light of a count that should be zero (超期诉求, 逾期未签收, 未走访户): green at 0, red above.
pub fn zero_target(count: u64) -> Light {
    if count == 0 {
        Light::Green
    } else {
        Light::Red
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: u32, d: u32) -> Rate {
        Rate { numerator: n, denominator: d }
    }

    #[test]
    fn thresholds_are_inclusive_and_exact() {
        use MeasureKind::*;
        assert_eq!(light(ResolvedOnTime, r(0, 0)), Light::None);
        assert_eq!(light(ResolvedOnTime, r(9, 10)), Light::Green);
        assert_eq!(light(ResolvedOnTime, r(89, 100)), Light::Yellow);
        assert_eq!(light(ResolvedOnTime, r(8, 10)), Light::Yellow);
        assert_eq!(light(ResolvedOnTime, r(79, 100)), Light::Red);
        // 2 of 3 = 66.7 %: red; 269 of 300 = 89.67 %: yellow (no rounding up to 90).
        assert_eq!(light(AcceptedOnTime, r(2, 3)), Light::Red);
        assert_eq!(light(Satisfied, r(269, 300)), Light::Yellow);
        assert_eq!(light(VisitCoverage, r(7, 10)), Light::Yellow);
        assert_eq!(light(VisitCoverage, r(69, 100)), Light::Red);
        assert_eq!(light(Rework, r(0, 4)), Light::Green);
        assert_eq!(light(Rework, r(1, 20)), Light::Green);
        assert_eq!(light(Rework, r(1, 10)), Light::Yellow);
        assert_eq!(light(Rework, r(11, 100)), Light::Red);
        assert_eq!(light(Rework, r(u32::MAX, u32::MAX)), Light::Red);
        assert_eq!((zero_target(0), zero_target(3)), (Light::Green, Light::Red));
    }
}
