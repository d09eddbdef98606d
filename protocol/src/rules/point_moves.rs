//! 住户坐标变更 A household point cannot be moved and then used as the on-site reference by the same person: a
//! visit by the user who moved the point within [`MOVE_GRACE_DAYS`] before the visit's end is graded against
//! the point as it was before that user's move(s). A move by someone else (township staff confirming or
//! correcting the point) makes the new point the reference for everyone. Pure; the server keeps the moves
//! (with its own receipt time, so a backdated correction cannot slip out of the window) and re-grades every
//! pushed visit with this rule.

/// Days after moving a household point during which the mover's own visits are graded against the old one.
pub const MOVE_GRACE_DAYS: i64 = 30;

const DAY_MS: i64 = 86_400_000;

/// One applied change of a household's point.
#[derive(Debug, Clone, PartialEq)]
pub struct PointMove {
    /// Who moved it.
    pub mover_id: String,
    /// The point before the move (none: there was none).
    pub previous: Option<(f64, f64)>,
    /// When the server applied the move.
    pub moved_at_ms: i64,
}

/// The point a visit by `visitor_id` ending at `at_ms` is graded against. `current` is the household's point
/// now; `moves` its applied moves in the order applied (oldest first).
pub fn reference_point(current: Option<(f64, f64)>, moves: &[PointMove], visitor_id: &str, at_ms: i64) -> Option<(f64, f64)> {
    // The moves up to the visit; the point in effect then is the one the first later move replaced.
    let upto = moves.iter().take_while(|m| m.moved_at_ms <= at_ms).count();
    let mut reference = moves.get(upto).map_or(current, |later| later.previous);
    // Undo the visitor's own recent moves, latest first, until someone else's move (or an older one).
    for m in moves[..upto].iter().rev() {
        if m.mover_id != visitor_id || at_ms - m.moved_at_ms > MOVE_GRACE_DAYS * DAY_MS {
            break;
        }
        reference = m.previous;
    }
    reference
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_780_000_000_000;
    const OLD: Option<(f64, f64)> = Some((35.58, 109.26));
    const NEW: Option<(f64, f64)> = Some((35.70, 109.40));

    fn mv(who: &str, previous: Option<(f64, f64)>, at: i64) -> PointMove {
        PointMove { mover_id: who.into(), previous, moved_at_ms: at }
    }

    #[test]
    fn the_mover_is_graded_against_the_old_point_for_n_days() {
        let moves = [mv("gw", OLD, T)];
        assert_eq!(reference_point(NEW, &moves, "gw", T + DAY_MS), OLD, "the mover: old point");
        assert_eq!(reference_point(NEW, &moves, "lh", T + DAY_MS), NEW, "anyone else: the new point");
        assert_eq!(reference_point(NEW, &moves, "gw", T + (MOVE_GRACE_DAYS + 1) * DAY_MS), NEW, "after the grace period");
        assert_eq!(reference_point(NEW, &moves, "gw", T - 1), OLD, "a visit before the move");
        // Two moves in a row by the mover: back to the point before the first.
        let twice = [mv("gw", OLD, T), mv("gw", Some((1.0, 1.0)), T + 10)];
        assert_eq!(reference_point(NEW, &twice, "gw", T + DAY_MS), OLD);
        // Staff confirmed (moved it again) after the grid worker: the staff's point counts for everyone.
        let confirmed = [mv("gw", OLD, T), mv("ts", NEW, T + 10)];
        assert_eq!(reference_point(NEW, &confirmed, "gw", T + DAY_MS), NEW);
        // No point before: nothing to grade against (NoReference).
        assert_eq!(reference_point(NEW, &[mv("gw", None, T)], "gw", T + 5), None);
        assert_eq!(reference_point(NEW, &[], "gw", T), NEW);
    }
}
