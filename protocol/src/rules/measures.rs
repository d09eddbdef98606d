//! Measures (考核指标, DESIGN §5): the county's quarterly picture of how issues, directives and visits are
//! handled — 按期受理率, 按期办结率, 返工率, 满意率, median handling times, escalation rate, acknowledgement
//! coverage and latency, visit coverage. Pure arithmetic over issue projections (and the events where the
//! projection forgets history), so the phone's township screen and the server's export give the same numbers.
//!
//! # Conventions
//! * A period is half-open: `[from_ms, to_ms)`.
//! * Every rate is reported as numerator and denominator plus a percentage (0–100); a zero denominator gives
//!   `None`, never NaN.
//! * Medians of an even count are the mean of the two middle values, rounded down to the millisecond.
//! * Deadlines come from the SLA rules in force when the measure is computed ([`SlaRules::clock`]): the accept
//!   deadline runs from the report, the resolve deadline from the (first) acceptance; escalation does not
//!   restart it (ADR 0001).
//! * Issue definitions (each names its cohort — the denominator — exactly):
//!   - **count by state**: issues *reported* in the period, by their current state.
//!   - **支部办结** settled at the village branch (ADR 0008): of the issues reported in the period, those now
//!     closed (结案) while a village branch owns them — settled in the village, never escalated past it.
//!   - **按期受理率** on-time acceptance: cohort = issues *accepted* in the period (`accepted_at ∈ period`);
//!     on time when `accepted_at <= accept deadline` (inclusive, as the traffic light).
//!   - **按期办结率** on-time resolution: cohort = issues *due for resolution* in the period: accepted, not
//!     merged away, with the resolve deadline in `[from, min(to, now))` (an issue not yet due is not counted);
//!     on time when the issue's current resolution (办结 not overturned by a dissatisfied return visit) is at
//!     or before the deadline. A later failed verification therefore takes the issue out of the numerator.
//!   - **返工率** rework rate: cohort = return-visit verifications (回访核实 events) made in the period;
//!     numerator = those with 不满意 (each sends the issue back for rework).
//!   - **满意率** satisfaction rate: same cohort; numerator = 满意 + 基本满意. (With every 不满意 reopening the
//!     issue, 返工率 + 满意率 = 100 % whenever there are verifications.)
//!   - **median time to accept**: over the accepted cohort, `accepted_at − reported_at`.
//!   - **median time to resolve**: over issues whose current resolution falls in the period,
//!     `resolved_at − accepted_at` (the resolve step, 处置时长).
//!   - **escalation rate** (上报上级率): cohort = the accepted cohort; numerator = those escalated at least once
//!     before the end of the period.
//! * Directive acknowledgement, per level: cohort = node (or household) × directive pairs reached by the
//!   directives issued in the period; coverage = acknowledged pairs ÷ reached pairs; latency =
//!   `acknowledged_at − issued_at`; in time = within the acknowledgement window of [`super::ack_window`].
//! * Visit coverage: households visited on site within the cadence interval ÷ households (see the store).

use serde::{Deserialize, Serialize};

use super::sla::SlaRules;
use crate::model::{IssueState, OrgLevel, Satisfaction};
use crate::rules::lifecycle::IssueProjection;
use crate::wire::{IssueAction, IssueEvent};

/// A half-open measuring period `[from_ms, to_ms)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Period {
    /// `from_ms <= t < to_ms`.
    pub fn contains(&self, t: i64) -> bool {
        self.from_ms <= t && t < self.to_ms
    }
}

/// A count out of a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rate {
    pub numerator: u32,
    pub denominator: u32,
}

impl Rate {
    /// `100 × numerator ÷ denominator`; `None` for an empty cohort.
    pub fn percent(&self) -> Option<f64> {
        percent(self.numerator, self.denominator)
    }
}

/// `100 × part ÷ whole`; `None` when `whole` is 0.
pub fn percent(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) * 100.0 / f64::from(whole))
}

/// The median (even count: mean of the two middle values, rounded down); `None` when empty. Sorts `values`.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 {
        Some(values[n / 2])
    } else {
        let (a, b) = (values[n / 2 - 1], values[n / 2]);
        Some(a + (b - a).div_euclid(2))
    }
}

/// One issue as the measures see it: its projection and (at least) its verify and escalate events.
#[derive(Debug, Clone, Copy)]
pub struct IssueHistory<'a> {
    pub projection: &'a IssueProjection,
    pub events: &'a [IssueEvent],
}

/// The issue measures of one period (definitions in the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueMeasures {
    /// Issues reported in the period.
    pub reported: u32,
    /// Of those, how many are in each state now; every state, in [`IssueState::ALL`] order.
    pub by_state: Vec<(IssueState, u32)>,
    /// Of those, closed while a village branch owns them (支部办结, ADR 0008).
    #[serde(default)]
    pub settled_at_branch: u32,
    /// 按期受理率.
    pub accepted_on_time: Rate,
    /// 按期办结率.
    pub resolved_on_time: Rate,
    /// 返工率.
    pub rework: Rate,
    /// 满意率.
    pub satisfied: Rate,
    /// Escalation rate.
    pub escalated: Rate,
    pub median_accept_ms: Option<i64>,
    pub median_resolve_ms: Option<i64>,
}

/// The accept deadline of an issue: its report time plus the accept limit for its category and urgency
/// (pushed back by 挂起 pauses).
pub fn accept_deadline_ms(rules: &SlaRules, p: &IssueProjection) -> Option<i64> {
    rules.step_clock(p, super::sla::SlaStep::Accept, p.reported_at_ms).map(|c| c.deadline_ms(p.accepted_at_ms.unwrap_or(p.reported_at_ms)))
}

/// The resolve deadline of an accepted issue: its acceptance plus the resolve limit, plus approved 延期, pushed
/// back by 挂起 pauses.
pub fn resolve_deadline_ms(rules: &SlaRules, p: &IssueProjection) -> Option<i64> {
    let accepted = p.accepted_at_ms?;
    rules.step_clock(p, super::sla::SlaStep::Resolve, accepted).map(|c| c.deadline_ms(p.resolved_at_ms.unwrap_or(accepted)))
}

/// What the measures read of one issue, worked out once from its projection and its verify and escalate
/// events under the time-limit rules: the deadlines (the costly part: working-day arithmetic, pauses,
/// extensions) and the few times the cohorts look at. Phones keep one per issue, written in the same
/// transaction as the issue's events, so a dashboard reads a narrow row per issue instead of folding or
/// decoding anything; [`issue_measures_of_facts_by_area`] over facts equals [`issue_measures_by_area`] over the
/// histories they came from, by construction (both go through the same per-issue contribution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueFacts {
    /// The issue's materialized path (its area).
    pub path: String,
    pub state: IssueState,
    pub reported_at_ms: i64,
    pub accepted_at_ms: Option<i64>,
    pub resolved_at_ms: Option<i64>,
    /// [`accept_deadline_ms`].
    pub accept_deadline_ms: Option<i64>,
    /// [`resolve_deadline_ms`].
    pub resolve_deadline_ms: Option<i64>,
    /// The earliest escalation (上报上级) event's time.
    pub escalated_at_ms: Option<i64>,
    /// Every return visit (回访核实): its time and satisfaction, in the order of the events.
    pub verifications: Vec<(i64, Satisfaction)>,
    /// Closed (结案) while a village branch owns it (支部办结).
    #[serde(default)]
    pub settled_at_branch: bool,
}

impl IssueFacts {
    /// The facts of one issue under `rules`.
    pub fn of(h: &IssueHistory<'_>, rules: &SlaRules) -> IssueFacts {
        let IssueHistory { projection: p, events } = *h;
        let mine = || events.iter().filter(|e| e.issue_id == p.id);
        IssueFacts {
            path: p.path.clone(),
            state: p.state,
            reported_at_ms: p.reported_at_ms,
            accepted_at_ms: p.accepted_at_ms,
            resolved_at_ms: p.resolved_at_ms,
            accept_deadline_ms: accept_deadline_ms(rules, p),
            resolve_deadline_ms: resolve_deadline_ms(rules, p),
            escalated_at_ms: mine().filter(|e| matches!(e.action, IssueAction::Escalate { .. })).map(|e| e.at_ms).min(),
            verifications: mine()
                .filter_map(|e| match &e.action {
                    IssueAction::Verify { satisfaction, .. } => Some((e.at_ms, *satisfaction)),
                    _ => None,
                })
                .collect(),
            settled_at_branch: settled_at_branch(p),
        }
    }
}

/// Whether the issue is closed (结案) while a village branch owns it: its owner's segment is the third of its
/// path (county / township / branch).
pub fn settled_at_branch(p: &IssueProjection) -> bool {
    p.state == IssueState::Closed && p.facts(true).owner_path().is_some_and(|owner| owner.matches('/').count() == 4)
}

/// Computes the issue measures of `period` at `now_ms` (see the module docs for every definition).
pub fn issue_measures(issues: &[IssueHistory<'_>], period: Period, now_ms: i64, rules: &SlaRules) -> IssueMeasures {
    let mut tally = Tally::default();
    for h in issues {
        tally.add(&Contribution::of(&IssueFacts::of(h, rules), period, now_ms));
    }
    tally.finish()
}

/// The issue measures of the whole set and of each area in `areas` (disjoint subtrees, e.g. a node's children,
/// by materialized path), in one pass: each issue's deadlines are worked out once and its contribution added to
/// the total and to the area it lies in. Equal to [`issue_measures`] over the whole set and over each area's
/// issues (a property test checks it); this is what a dashboard with a row per child calls.
pub fn issue_measures_by_area(
    issues: &[IssueHistory<'_>],
    areas: &[&str],
    period: Period,
    now_ms: i64,
    rules: &SlaRules,
) -> (IssueMeasures, Vec<IssueMeasures>) {
    let facts: Vec<IssueFacts> = issues.iter().map(|h| IssueFacts::of(h, rules)).collect();
    issue_measures_of_facts_by_area(&facts, areas, period, now_ms)
}

/// [`issue_measures_by_area`] from each issue's [`IssueFacts`] (kept with the issue by the store).
pub fn issue_measures_of_facts_by_area(
    issues: &[IssueFacts],
    areas: &[&str],
    period: Period,
    now_ms: i64,
) -> (IssueMeasures, Vec<IssueMeasures>) {
    let mut total = Tally::default();
    let mut by_area: Vec<Tally> = areas.iter().map(|_| Tally::default()).collect();
    for f in issues {
        let c = Contribution::of(f, period, now_ms);
        total.add(&c);
        if let Some(i) = areas.iter().position(|a| crate::rules::scope::within(a, &f.path)) {
            by_area[i].add(&c);
        }
    }
    (total.finish(), by_area.into_iter().map(Tally::finish).collect())
}

/// What one issue adds to the measures of a period (every definition of the module docs, for one issue).
#[derive(Debug, Clone, Copy, Default)]
struct Contribution {
    /// Reported in the period: its current state's index in [`IssueState::ALL`], and settled at the branch.
    reported_state: Option<usize>,
    reported_settled_at_branch: bool,
    /// Accepted in the period: (on time, accept time, escalated before the period's end).
    accepted: Option<(bool, i64, bool)>,
    /// Due for resolution in the period: resolved on time.
    due_resolved_on_time: Option<bool>,
    /// Current resolution in the period: its resolve time.
    resolve_time: Option<i64>,
    /// Verifications in the period: (count, 不满意, 满意 or 基本满意).
    verifications: (u32, u32, u32),
}

impl Contribution {
    fn of(f: &IssueFacts, period: Period, now_ms: i64) -> Contribution {
        let mut c = Contribution::default();
        if period.contains(f.reported_at_ms) {
            c.reported_state = Some(IssueState::ALL.iter().position(|s| *s == f.state).unwrap_or(0));
            c.reported_settled_at_branch = f.settled_at_branch;
        }
        if let Some(accepted) = f.accepted_at_ms.filter(|a| period.contains(*a)) {
            let on_time = f.accept_deadline_ms.is_some_and(|d| accepted <= d);
            let escalated = f.escalated_at_ms.is_some_and(|at| at < period.to_ms);
            c.accepted = Some((on_time, accepted - f.reported_at_ms, escalated));
        }
        let due_window = Period { from_ms: period.from_ms, to_ms: period.to_ms.min(now_ms) };
        if f.state != IssueState::Merged {
            if let Some(deadline) = f.resolve_deadline_ms.filter(|d| due_window.contains(*d)) {
                c.due_resolved_on_time = Some(f.resolved_at_ms.is_some_and(|r| r <= deadline));
            }
        }
        if let (Some(resolved), Some(accepted)) = (f.resolved_at_ms, f.accepted_at_ms) {
            if period.contains(resolved) {
                c.resolve_time = Some(resolved - accepted);
            }
        }
        for (_, satisfaction) in f.verifications.iter().filter(|(at, _)| period.contains(*at)) {
            c.verifications.0 += 1;
            match satisfaction {
                Satisfaction::Dissatisfied => c.verifications.1 += 1,
                Satisfaction::Satisfied | Satisfaction::BasicallySatisfied => c.verifications.2 += 1,
            }
        }
        c
    }
}

/// Issue measures being summed over an area.
#[derive(Debug, Clone, Default)]
struct Tally {
    by_state: [u32; IssueState::ALL.len()],
    reported: u32,
    settled_at_branch: u32,
    accepted_on_time: Rate,
    resolved_on_time: Rate,
    rework: Rate,
    satisfied: Rate,
    escalated: Rate,
    accept_times: Vec<i64>,
    resolve_times: Vec<i64>,
}

impl Tally {
    fn add(&mut self, c: &Contribution) {
        if let Some(i) = c.reported_state {
            self.reported += 1;
            self.by_state[i] += 1;
            self.settled_at_branch += u32::from(c.reported_settled_at_branch);
        }
        if let Some((on_time, accept_time, escalated)) = c.accepted {
            self.accepted_on_time.denominator += 1;
            self.accepted_on_time.numerator += u32::from(on_time);
            self.accept_times.push(accept_time);
            self.escalated.denominator += 1;
            self.escalated.numerator += u32::from(escalated);
        }
        if let Some(on_time) = c.due_resolved_on_time {
            self.resolved_on_time.denominator += 1;
            self.resolved_on_time.numerator += u32::from(on_time);
        }
        if let Some(t) = c.resolve_time {
            self.resolve_times.push(t);
        }
        let (verified, dissatisfied, satisfied) = c.verifications;
        self.rework.denominator += verified;
        self.satisfied.denominator += verified;
        self.rework.numerator += dissatisfied;
        self.satisfied.numerator += satisfied;
    }

    fn finish(mut self) -> IssueMeasures {
        IssueMeasures {
            reported: self.reported,
            by_state: IssueState::ALL.iter().copied().zip(self.by_state).collect(),
            settled_at_branch: self.settled_at_branch,
            accepted_on_time: self.accepted_on_time,
            resolved_on_time: self.resolved_on_time,
            rework: self.rework,
            satisfied: self.satisfied,
            escalated: self.escalated,
            median_accept_ms: median(&mut self.accept_times),
            median_resolve_ms: median(&mut self.resolve_times),
        }
    }
}

/// The acknowledgements of one directive at one level: how many nodes (or households) of that level it
/// reached, the latency of each acknowledgement among them, and its acknowledgement window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckSample {
    pub level: OrgLevel,
    pub reached: u32,
    /// `acknowledged_at − issued_at` of each reached node that acknowledged.
    pub latencies_ms: Vec<i64>,
    /// `deadline − issued_at` ([`super::ack_window::ack_deadline_ms`]); `None`: no deadline.
    pub window_ms: Option<i64>,
}

/// Acknowledgement coverage and latency at one level, pooled over directives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LevelAckMeasure {
    pub level: OrgLevel,
    /// Acknowledged pairs ÷ reached (node × directive) pairs.
    pub coverage: Rate,
    /// Acknowledged within the window ÷ reached pairs.
    pub in_time: Rate,
    pub median_latency_ms: Option<i64>,
}

/// Pools samples per level; one row per level that occurs, top-down (county … household).
pub fn ack_measures(samples: &[AckSample]) -> Vec<LevelAckMeasure> {
    OrgLevel::ALL
        .iter()
        .filter(|level| samples.iter().any(|s| s.level == **level))
        .map(|&level| {
            let mut coverage = Rate::default();
            let mut in_time = Rate::default();
            let mut latencies = Vec::new();
            for s in samples.iter().filter(|s| s.level == level) {
                coverage.denominator += s.reached;
                in_time.denominator += s.reached;
                coverage.numerator += s.latencies_ms.len() as u32;
                in_time.numerator += s.latencies_ms.iter().filter(|l| s.window_ms.is_none_or(|w| **l <= w)).count() as u32;
                latencies.extend_from_slice(&s.latencies_ms);
            }
            LevelAckMeasure { level, coverage, in_time, median_latency_ms: median(&mut latencies) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IssueCategory, Role, Urgency};
    use crate::rules::lifecycle::fold;
    use crate::wire::IssueReport;

    const H: i64 = 3_600_000;
    const D: i64 = 24 * H;
    /// Start of the period; every fixture issue is 特急 (accept 2 calendar hours, resolve 24 calendar hours),
    /// so every deadline below is simple arithmetic.
    const P: i64 = 1_780_000_000_000;

    fn story(id: &str, steps: &[(i64, IssueAction)]) -> (IssueProjection, Vec<IssueEvent>) {
        let events: Vec<IssueEvent> = steps
            .iter()
            .enumerate()
            .map(|(n, (at, action))| IssueEvent {
                event_id: format!("{id}-{n}"),
                issue_id: id.into(),
                actor_id: "ts".into(),
                actor_role: Role::TownshipStaff,
                actor_node_id: "t1".into(),
                actor_name: None,
                hlc: format!("{:015}-{:06}-d", at, n),
                at_ms: *at,
                action: action.clone(),
            })
            .collect();
        let (p, skipped) = fold(&events).unwrap();
        assert!(skipped.is_empty(), "{id}: illegal fixture");
        (p, events)
    }

    fn report() -> IssueAction {
        IssueAction::Report(IssueReport {
            category: IssueCategory::SafetyHazard,
            urgency: Urgency::Critical,
            title: "桥梁护栏断裂".into(),
            description: String::new(),
            node_id: "g1".into(),
            path: "/c/t1/b1/g1/".into(),
            household_id: None,
            owner_node_id: "t1".into(),
            location: None,
            evidence: vec![],
        })
    }

    fn accept() -> IssueAction {
        IssueAction::Accept
    }
    fn resolve() -> IssueAction {
        IssueAction::Resolve { note: "已处置".into(), evidence: vec![] }
    }
    fn verify(s: Satisfaction) -> IssueAction {
        IssueAction::Verify { satisfaction: s, note: String::new() }
    }
    fn escalate() -> IssueAction {
        IssueAction::Escalate { reason: "需县里协调".into(), to_node_id: "c".into() }
    }

    /// Eleven issues around the period [P, P + 10 d). Each line notes what it contributes.
    fn fixture() -> Vec<(IssueProjection, Vec<IssueEvent>)> {
        use Satisfaction::*;
        vec![
            // i1: accepted after 1 h (on time), resolved 8 h after acceptance (deadline P+26h: on time), 满意.
            story("i1", &[(P + H, report()), (P + 2 * H, accept()), (P + 10 * H, resolve()), (P + 12 * H, verify(Satisfied))]),
            // i2: accepted after 3 h (late), resolved at P+30h (deadline P+27h: late), 基本满意.
            story("i2", &[(P, report()), (P + 3 * H, accept()), (P + 30 * H, resolve()), (P + 31 * H, verify(BasicallySatisfied))]),
            // i3: accepted exactly at the 2 h deadline (on time); resolved, 不满意 → rework; escalated; open.
            // Resolve deadline P+1d+2h+24h = P+2d+2h: due in the period, no valid resolution → late.
            story(
                "i3",
                &[
                    (P + D, report()),
                    (P + D + 2 * H, accept()),
                    (P + D + 5 * H, resolve()),
                    (P + D + 6 * H, verify(Dissatisfied)),
                    (P + D + 7 * H, escalate()),
                ],
            ),
            // i4: reported, never accepted.
            story("i4", &[(P + 2 * D, report())]),
            // i5: reported and accepted before the period; resolve deadline P-9h+24h = P+15h falls inside it;
            // resolved at P+5h (on time, 14 h after acceptance).
            story("i5", &[(P - 10 * H, report()), (P - 9 * H, accept()), (P + 5 * H, resolve())]),
            // i6: accepted after 1 h (on time); resolve deadline P+10d+1h lies after the period: not due.
            story("i6", &[(P + 9 * D, report()), (P + 9 * D + H, accept())]),
            // i7: rejected.
            story("i7", &[(P + 3 * D, report()), (P + 3 * D + H, IssueAction::Reject { reason: "不属实".into() })]),
            // i8: accepted after 30 min (on time), then merged: not due for resolution.
            story(
                "i8",
                &[
                    (P + 4 * D, report()),
                    (P + 4 * D + H / 2, accept()),
                    (P + 4 * D + H, IssueAction::Merge { into_issue_id: "i1".into() }),
                ],
            ),
            // i9: accepted after 1 h (on time), escalated, resolved exactly at its deadline P+6d+1h (on time).
            story(
                "i9",
                &[(P + 5 * D, report()), (P + 5 * D + H, accept()), (P + 5 * D + 2 * H, escalate()), (P + 6 * D + H, resolve())],
            ),
            // i10 (absent on purpose: ids are labels only).
            // i11: everything before the period: counts nowhere.
            story(
                "i11",
                &[(P - 5 * D, report()), (P - 5 * D + H, accept()), (P - 5 * D + 2 * H, resolve()), (P - 5 * D + 3 * H, verify(Satisfied))],
            ),
        ]
    }

    fn compute(data: &[(IssueProjection, Vec<IssueEvent>)], period: Period, now: i64) -> IssueMeasures {
        let histories: Vec<IssueHistory<'_>> = data.iter().map(|(p, e)| IssueHistory { projection: p, events: e }).collect();
        issue_measures(&histories, period, now, &SlaRules::china_default())
    }

    /// 支部办结: a liaison head's report owned by branch b1 and closed there counts; the same closed at the
    /// township does not, nor one the branch escalated before it closed.
    #[test]
    fn settled_at_the_branch_counts_only_closures_owned_by_a_branch() {
        let at_branch = |id: &str, steps: &[(i64, IssueAction)]| {
            let mut r = report();
            if let IssueAction::Report(rep) = &mut r {
                rep.owner_node_id = "b1".into();
            }
            let mut all = vec![(P, r)];
            all.extend_from_slice(steps);
            story(id, &all)
        };
        let data = vec![
            at_branch("b-settled", &[(P + H, accept()), (P + 2 * H, resolve()), (P + 3 * H, verify(Satisfaction::Satisfied))]),
            at_branch("b-open", &[(P + H, accept()), (P + 2 * H, resolve())]),
            at_branch(
                "b-up",
                &[
                    (P + H, accept()),
                    (P + 2 * H, IssueAction::Escalate { reason: "调解不成".into(), to_node_id: "t1".into() }),
                    (P + 3 * H, resolve()),
                    (P + 4 * H, verify(Satisfaction::Satisfied)),
                ],
            ),
            story("t-settled", &[(P, report()), (P + H, accept()), (P + 2 * H, resolve()), (P + 3 * H, verify(Satisfaction::Satisfied))]),
        ];
        assert!(settled_at_branch(&data[0].0) && !settled_at_branch(&data[1].0) && !settled_at_branch(&data[2].0));
        let m = compute(&data, Period { from_ms: P, to_ms: P + D }, P + D);
        assert_eq!((m.reported, m.settled_at_branch), (4, 1));
        let closed = m.by_state.iter().find(|(s, _)| *s == IssueState::Closed).unwrap().1;
        assert_eq!(closed, 3);
    }

    #[test]
    fn hand_computed_quarter() {
        let data = fixture();
        let m = compute(&data, Period { from_ms: P, to_ms: P + 10 * D }, P + 20 * D);
        // Reported in the period: i1 i2 i3 i4 i6 i7 i8 i9 = 8 (i5, i11 before it).
        assert_eq!(m.reported, 8);
        // Now: i4 Reported; i3 (escalated after rework) and i6 Accepted; i9 Resolved; i1 i2 Closed; i7 Rejected;
        // i8 Merged.
        let by_state: Vec<u32> = m.by_state.iter().map(|(_, n)| *n).collect();
        assert_eq!(by_state, [1, 2, 0, 0, 1, 2, 1, 1]);
        // Accepted in the period: i1 i2 i3 i6 i8 i9 = 6; on time all but i2 (3 h > 2 h) = 5.
        assert_eq!(m.accepted_on_time, Rate { numerator: 5, denominator: 6 });
        assert!((m.accepted_on_time.percent().unwrap() - 500.0 / 6.0).abs() < 1e-9);
        // Accept times 1h 3h 2h 1h 0.5h 1h → 0.5 1 1 1 2 3 → median (1h + 1h) / 2 = 1 h.
        assert_eq!(m.median_accept_ms, Some(H));
        // Escalated among the 6: i3, i9 = 2.
        assert_eq!(m.escalated, Rate { numerator: 2, denominator: 6 });
        // Due for resolution in the period: i1 (P+26h), i2 (P+27h), i3 (P+2d+2h), i5 (P+15h), i9 (P+6d+1h) = 5;
        // i6 due after the period, i8 merged, i11 due before. On time: i1, i5, i9 (exactly at it) = 3 → 60 %.
        assert_eq!(m.resolved_on_time, Rate { numerator: 3, denominator: 5 });
        assert_eq!(m.resolved_on_time.percent(), Some(60.0));
        // Current resolutions in the period: i1 8h, i2 27h, i5 14h, i9 24h → 8 14 24 27 → (14h + 24h) / 2 = 19 h.
        assert_eq!(m.median_resolve_ms, Some(19 * H));
        // Verifications in the period: i1 满意, i2 基本满意, i3 不满意 = 3 (i11's is before it).
        assert_eq!(m.rework, Rate { numerator: 1, denominator: 3 });
        assert_eq!(m.satisfied, Rate { numerator: 2, denominator: 3 });
    }

    #[test]
    fn not_yet_due_is_not_counted_and_empty_cohorts_are_none() {
        let data = fixture();
        let only = |ids: &[&str]| data.iter().filter(|(p, _)| ids.contains(&p.id.as_str())).cloned().collect::<Vec<_>>();
        // Looking at the period on day 1 (now = P+1d): i5 is due at P+15h (counted, on time); i1 is due at
        // P+26h, after now: not counted yet.
        let m = compute(&only(&["i1", "i5"]), Period { from_ms: P, to_ms: P + 10 * D }, P + D);
        assert_eq!(m.resolved_on_time, Rate { numerator: 1, denominator: 1 });
        // An empty period: every rate and median is None, not NaN.
        let m = compute(&data, Period { from_ms: P + 100 * D, to_ms: P + 101 * D }, P + 200 * D);
        assert_eq!(m.reported, 0);
        for r in [m.accepted_on_time, m.resolved_on_time, m.rework, m.satisfied, m.escalated] {
            assert_eq!(r.percent(), None);
        }
        assert_eq!((m.median_accept_ms, m.median_resolve_ms), (None, None));
    }

    /// Property: over random histories (random actions folded by the lifecycle rules, random periods and
    /// "now"s, areas of one county), the one-pass per-area measures equal the from-scratch measures of each
    /// area's issues and of the whole set.
    #[test]
    fn by_area_equals_from_scratch_over_random_histories() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let paths = ["/c/t1/b1/g1/", "/c/t1/b2/g1/", "/c/t2/b3/g1/", "/c/t2/", "/c/"];
        let areas = ["/c/t1/", "/c/t2/"];
        let rules = SlaRules::china_default();
        for case in 0..60 {
            let mut data = Vec::new();
            for i in 0..(5 + next(40)) {
                let id = format!("c{case}i{i}");
                let mut at = P - 30 * D + next(60 * D as u64) as i64;
                let mut steps = vec![(at, IssueAction::Report(IssueReport { path: paths[next(5) as usize].into(), ..match report() {
                    IssueAction::Report(r) => r,
                    _ => unreachable!(),
                } }))];
                for _ in 0..next(9) {
                    at += next(3 * D as u64) as i64;
                    let action = match next(9) {
                        0 | 1 => accept(),
                        2 => IssueAction::Assign { assignee_id: "gw".into() },
                        3 => IssueAction::Start,
                        4 | 5 => resolve(),
                        6 => verify([Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied][next(3) as usize]),
                        7 => escalate(),
                        _ => IssueAction::Reject { reason: "不属实".into() },
                    };
                    steps.push((at, action));
                }
                let events: Vec<IssueEvent> = steps
                    .iter()
                    .enumerate()
                    .map(|(n, (at, action))| IssueEvent {
                        event_id: format!("{id}-{n}"),
                        issue_id: id.clone(),
                        actor_id: "ts".into(),
                        actor_role: Role::TownshipStaff,
                        actor_node_id: "t1".into(),
                        actor_name: None,
                        hlc: format!("{:015}-{:06}-d", at, n),
                        at_ms: *at,
                        action: action.clone(),
                    })
                    .collect();
                let (p, _) = fold(&events).unwrap();
                data.push((p, events));
            }
            let from = P - 10 * D + next(20 * D as u64) as i64;
            let period = Period { from_ms: from, to_ms: from + (1 + next(40) as i64) * D };
            let now = from + next(60 * D as u64) as i64;
            let histories: Vec<IssueHistory<'_>> = data.iter().map(|(p, e)| IssueHistory { projection: p, events: e }).collect();
            let (total, by_area) = issue_measures_by_area(&histories, &areas, period, now, &rules);
            assert_eq!(total, issue_measures(&histories, period, now, &rules), "case {case}: total");
            for (area, got) in areas.iter().zip(&by_area) {
                let mine: Vec<IssueHistory<'_>> =
                    histories.iter().copied().filter(|h| crate::rules::scope::within(area, &h.projection.path)).collect();
                assert_eq!(*got, issue_measures(&mine, period, now, &rules), "case {case}: area {area}");
            }
        }
    }

    #[test]
    fn medians_and_percentages() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5));
        assert_eq!(median(&mut [9, 1, 4]), Some(4));
        assert_eq!(median(&mut [4, 1, 2, 9]), Some(3), "(2 + 4) / 2");
        assert_eq!(median(&mut [1, 2]), Some(1), "1.5 rounds down");
        assert_eq!(percent(1, 4), Some(25.0));
        assert_eq!(percent(0, 0), None);
    }

    #[test]
    fn acknowledgement_pooled_per_level() {
        let samples = [
            // Directive 1 (alert, 2 h window): 2 townships reached, acknowledged after 1 h and 3 h.
            AckSample { level: OrgLevel::Township, reached: 2, latencies_ms: vec![H, 3 * H], window_ms: Some(2 * H) },
            // Directive 2 (notice, 24 h window): 2 townships reached, one acknowledged after 30 min.
            AckSample { level: OrgLevel::Township, reached: 2, latencies_ms: vec![H / 2], window_ms: Some(24 * H) },
            // Households: 4 reached, none acknowledged.
            AckSample { level: OrgLevel::Household, reached: 4, latencies_ms: vec![], window_ms: Some(2 * H) },
        ];
        let m = ack_measures(&samples);
        assert_eq!(m.len(), 2);
        // Township: 3 of 4 acknowledged (75 %); in time 1h ≤ 2h, 30min ≤ 24h → 2 of 4; median of 0.5h 1h 3h = 1h.
        assert_eq!(m[0].level, OrgLevel::Township);
        assert_eq!(m[0].coverage, Rate { numerator: 3, denominator: 4 });
        assert_eq!(m[0].coverage.percent(), Some(75.0));
        assert_eq!(m[0].in_time, Rate { numerator: 2, denominator: 4 });
        assert_eq!(m[0].median_latency_ms, Some(H));
        assert_eq!(m[1].level, OrgLevel::Household);
        assert_eq!(m[1].coverage, Rate { numerator: 0, denominator: 4 });
        assert_eq!(m[1].median_latency_ms, None);
    }
}
