//! Wire types: what a phone's outbox holds and what crosses the network to the server. Every record the core
//! writes locally is also serialized as one of these operations in the same transaction (DESIGN §8); the
//! server validates them with the same rules. Field names are part of the contract: snapshot-tested below.

use serde::{Deserialize, Serialize};

use crate::model::{
    AckMeans, DirectiveKind, GpsFix, IssueActionKind, IssueCategory, OnSiteVerdict, OrgLevel, RiskLevel, Role,
    Satisfaction, SupervisionLevel, Urgency, VisitKind,
};

/// Integers as JSON Schema (2020-12, the OpenAPI document's dialect) counts them: `2.0` is the integer 2, as
/// a client whose language has one number type may write it. The integer fields of the operations a server
/// decodes take either spelling; a fraction, or a value out of the field's range, is still refused.
pub mod whole {
    use serde::de::{self, Deserialize, Deserializer, Visitor};

    struct WholeNumber;

    impl Visitor<'_> for WholeNumber {
        type Value = i128;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i128, E> {
            Ok(v.into())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i128, E> {
            Ok(v.into())
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i128, E> {
            // 2^64 bounds every integer field; larger whole floats are out of range anyway.
            if v.is_finite() && v.fract() == 0.0 && v.abs() <= 18_446_744_073_709_551_616.0 {
                Ok(v as i128) // whole and within ±2^64: exact
            } else {
                Err(E::invalid_type(de::Unexpected::Float(v), &self))
            }
        }
    }

    /// An integer of type `T`, written `2` or `2.0`.
    pub fn deserialize<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<T, D::Error> {
        let v = d.deserialize_any(WholeNumber)?;
        T::try_from(v).map_err(|_| de::Error::invalid_value(de::Unexpected::Other("an integer out of range"), &"an integer in range"))
    }

    struct Whole<T>(T);

    impl<'de, T: TryFrom<i128>> Deserialize<'de> for Whole<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            deserialize(d).map(Whole)
        }
    }

    /// An optional integer (`null` or absent: none).
    pub fn option<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<Option<T>, D::Error> {
        Ok(Option::<Whole<T>>::deserialize(d)?.map(|w| w.0))
    }
}

/// One operation in the outbox: a device-made UUIDv7 id (the idempotency key), the HLC time, and the body.
/// On the wire `{"op_id", "hlc", "kind", "body"}` (see the snapshots); decoded by kind without buffering
/// (a server judges ~100k of these a minute). Only the shape is checked when a push is read (a malformed op
/// fails the whole request with 400); content rules — text lengths, times, photo lists, scope, lifecycle,
/// actor — are judged per op, and an op breaking one is answered `rejected` with a `RejectCode`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Operation {
    pub op_id: String,
    pub hlc: String,
    #[serde(flatten)]
    pub body: OpBody,
}

impl<'de> Deserialize<'de> for Operation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum Kind {
            IssueEvent,
            VisitRecorded,
            DirectiveIssued,
            NodeAcknowledged,
            DirectiveRelayed,
            HouseholdAcknowledged,
            HouseholdEdited,
            TaskReported,
            CountyConfigSet,
            DirectiveReminded,
            TaskReportReviewed,
            FormPublished,
            FormRetired,
            FormResponseSubmitted,
        }
        #[derive(Deserialize)]
        struct Wire {
            op_id: String,
            hlc: String,
            kind: Kind,
            body: Box<serde_json::value::RawValue>,
        }
        let w = Wire::deserialize(d)?;
        fn parse<T: serde::de::DeserializeOwned, E: Error>(raw: &serde_json::value::RawValue) -> Result<T, E> {
            serde_json::from_str(raw.get()).map_err(E::custom)
        }
        let body = match w.kind {
            Kind::IssueEvent => OpBody::IssueEvent(parse(&w.body)?),
            Kind::VisitRecorded => OpBody::VisitRecorded(parse(&w.body)?),
            Kind::DirectiveIssued => OpBody::DirectiveIssued(parse(&w.body)?),
            Kind::NodeAcknowledged => OpBody::NodeAcknowledged(parse(&w.body)?),
            Kind::DirectiveRelayed => OpBody::DirectiveRelayed(parse(&w.body)?),
            Kind::HouseholdAcknowledged => OpBody::HouseholdAcknowledged(parse(&w.body)?),
            Kind::HouseholdEdited => OpBody::HouseholdEdited(parse(&w.body)?),
            Kind::TaskReported => OpBody::TaskReported(parse(&w.body)?),
            Kind::CountyConfigSet => OpBody::CountyConfigSet(parse(&w.body)?),
            Kind::DirectiveReminded => OpBody::DirectiveReminded(parse(&w.body)?),
            Kind::TaskReportReviewed => OpBody::TaskReportReviewed(parse(&w.body)?),
            Kind::FormPublished => OpBody::FormPublished(parse(&w.body)?),
            Kind::FormRetired => OpBody::FormRetired(parse(&w.body)?),
            Kind::FormResponseSubmitted => OpBody::FormResponseSubmitted(parse(&w.body)?),
        };
        Ok(Operation { op_id: w.op_id, hlc: w.hlc, body })
    }
}

/// What an operation does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum OpBody {
    IssueEvent(IssueEvent),
    VisitRecorded(Visit),
    DirectiveIssued(Directive),
    NodeAcknowledged(NodeAck),
    DirectiveRelayed(NodeRelay),
    HouseholdAcknowledged(HouseholdAck),
    HouseholdEdited(HouseholdEdit),
    TaskReported(TaskReport),
    /// The county's settings changed (made by the server, never by a phone): every phone of the county
    /// replaces its settings with these.
    CountyConfigSet(CountyConfigSet),
    /// 催办: a node up the chain reminds a silent node of a directive it has not signed for.
    DirectiveReminded(DirectiveReminder),
    /// The issuer accepts a task's completion report (通过) or sends it back (退回) with a reason.
    TaskReportReviewed(TaskReview),
    /// A form version published to the phones it targets (made by the server's `form import`, never by a
    /// phone).
    FormPublished(FormPublication),
    /// A form version no longer takes responses (made by the server, never by a phone).
    FormRetired(FormRetirement),
    /// A filled form (问卷/排查表) submitted from a phone: judged by the server with the same
    /// `forms::validate_response` the phone used.
    FormResponseSubmitted(FormResponse),
}

impl OpBody {
    /// The stable name of this operation kind (the serde tag).
    pub fn kind(&self) -> &'static str {
        match self {
            OpBody::IssueEvent(_) => "issue_event",
            OpBody::VisitRecorded(_) => "visit_recorded",
            OpBody::DirectiveIssued(_) => "directive_issued",
            OpBody::NodeAcknowledged(_) => "node_acknowledged",
            OpBody::DirectiveRelayed(_) => "directive_relayed",
            OpBody::HouseholdAcknowledged(_) => "household_acknowledged",
            OpBody::HouseholdEdited(_) => "household_edited",
            OpBody::TaskReported(_) => "task_reported",
            OpBody::CountyConfigSet(_) => "county_config_set",
            OpBody::DirectiveReminded(_) => "directive_reminded",
            OpBody::TaskReportReviewed(_) => "task_report_reviewed",
            OpBody::FormPublished(_) => "form_published",
            OpBody::FormRetired(_) => "form_retired",
            OpBody::FormResponseSubmitted(_) => "form_response_submitted",
        }
    }
}

/// An edit of a household's ledger entry (民生台账): only the fields that changed, each stamped with the
/// edit's hybrid-logical-clock time. Phones and server merge edits field by field: a field takes the value of
/// the edit with the greatest HLC that set it, whatever order the edits arrive in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HouseholdEdit {
    pub household_id: String,
    pub editor_id: String,
    pub editor_role: Role,
    /// Hybrid-logical-clock time (encoded, sortable; ties broken by the device part).
    pub hlc: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
    pub fields: Vec<HouseholdField>,
}

/// One field of a household and its new value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum HouseholdField {
    HeadName(String),
    #[serde(deserialize_with = "whole::deserialize")]
    Members(u32),
    /// Personal data: stored, masked when shown, never logged.
    Phone(Option<String>),
    Address(String),
    /// WGS-84 (lat, lon) of the house, or none.
    Location(Option<(f64, f64)>),
    Tags(Vec<String>),
    RiskLevel(RiskLevel),
}

impl HouseholdField {
    /// The stable name of the field (the serde tag), the key of its merge clock.
    pub fn name(&self) -> &'static str {
        match self {
            HouseholdField::HeadName(_) => "head_name",
            HouseholdField::Members(_) => "members",
            HouseholdField::Phone(_) => "phone",
            HouseholdField::Address(_) => "address",
            HouseholdField::Location(_) => "location",
            HouseholdField::Tags(_) => "tags",
            HouseholdField::RiskLevel(_) => "risk_level",
        }
    }
}

/// One event in an issue's append-only log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IssueEvent {
    pub event_id: String,
    pub issue_id: String,
    pub actor_id: String,
    pub actor_role: Role,
    pub actor_node_id: String,
    /// The actor's display name (`张三`), so every phone that receives the event can name who took the step,
    /// also phones outside the actor's area that hold no record of that person (a township's phone showing a
    /// county decision). The phone sends its user's name; the server keeps the name of its own user record
    /// (a differing name is replaced). Absent in events from older apps: phones then show the actor's role
    /// (`labels::actor_label`), never the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor_name: Option<String>,
    /// Hybrid-logical-clock time (encoded, sortable).
    pub hlc: String,
    /// Wall time the device believed it was, unix ms (server-offset corrected when known).
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
    pub action: IssueAction,
}

/// An action on an issue with its payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IssueAction {
    Report(IssueReport),
    Accept,
    Reject { reason: String },
    Merge { into_issue_id: String },
    Assign { assignee_id: String },
    Start,
    Resolve { note: String, evidence: Vec<String> },
    Escalate { reason: String, to_node_id: String },
    Verify { satisfaction: Satisfaction, note: String },
    Suspend { reason: String },
    Resume,
    RequestExtension {
        #[serde(deserialize_with = "whole::deserialize")]
        working_days: u32,
        reason: String,
    },
    DecideExtension { approved: bool, note: String },
    Supervise { level: SupervisionLevel, note: String },
    ResolveOnSpot { note: String, evidence: Vec<String> },
    /// Made by the server's sweep (actor `system`), never by a phone.
    MarkOverdue {
        step: crate::rules::sla::SlaStep,
        #[serde(deserialize_with = "whole::deserialize")]
        due_at_ms: i64,
    },
    /// 补充反映: the same matter reported again by someone in scope — their note and photos join the open
    /// issue (是这件，不重复上报) instead of a second issue. Changes no state.
    Join { note: String, evidence: Vec<String> },
}

impl IssueAction {
    /// The payload-free kind of this action.
    pub fn kind(&self) -> IssueActionKind {
        match self {
            IssueAction::Report(_) => IssueActionKind::Report,
            IssueAction::Accept => IssueActionKind::Accept,
            IssueAction::Reject { .. } => IssueActionKind::Reject,
            IssueAction::Merge { .. } => IssueActionKind::Merge,
            IssueAction::Assign { .. } => IssueActionKind::Assign,
            IssueAction::Start => IssueActionKind::Start,
            IssueAction::Resolve { .. } => IssueActionKind::Resolve,
            IssueAction::Escalate { .. } => IssueActionKind::Escalate,
            IssueAction::Verify { .. } => IssueActionKind::Verify,
            IssueAction::Suspend { .. } => IssueActionKind::Suspend,
            IssueAction::Resume => IssueActionKind::Resume,
            IssueAction::RequestExtension { .. } => IssueActionKind::RequestExtension,
            IssueAction::DecideExtension { .. } => IssueActionKind::DecideExtension,
            IssueAction::Supervise { .. } => IssueActionKind::Supervise,
            IssueAction::ResolveOnSpot { .. } => IssueActionKind::ResolveOnSpot,
            IssueAction::MarkOverdue { .. } => IssueActionKind::MarkOverdue,
            IssueAction::Join { .. } => IssueActionKind::Join,
        }
    }
}

/// The first event of every issue: what was reported, where, and which level owns it first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IssueReport {
    pub category: IssueCategory,
    pub urgency: Urgency,
    pub title: String,
    pub description: String,
    /// The org node the issue is about (a group, branch, ...).
    pub node_id: String,
    /// Materialized path of the issue: the household's path when there is one, else the node's.
    pub path: String,
    pub household_id: Option<String>,
    /// The level that owns the issue first: the township above the node (or the county for county nodes).
    pub owner_node_id: String,
    pub location: Option<GpsFix>,
    pub evidence: Vec<String>,
}

/// A household visit (入户走访). Immutable; a correction is a new visit with `amends_visit_id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Visit {
    pub id: String,
    pub household_id: String,
    pub visitor_id: String,
    /// The level the visit counts for (the visitor's level), for cadence.
    pub visitor_level: OrgLevel,
    pub kind: VisitKind,
    #[serde(deserialize_with = "whole::deserialize")]
    pub started_at_ms: i64,
    #[serde(deserialize_with = "whole::deserialize")]
    pub ended_at_ms: i64,
    pub fix: Option<GpsFix>,
    pub distance_m: Option<f64>,
    pub verdict: OnSiteVerdict,
    /// 民情日记
    pub notes: String,
    pub evidence: Vec<String>,
    pub issue_id: Option<String>,
    pub amends_visit_id: Option<String>,
}

/// A directive issued to a subtree (指令下达).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Directive {
    pub id: String,
    pub issuer_id: String,
    pub issuer_node_id: String,
    pub target_node_id: String,
    pub kind: DirectiveKind,
    pub title: String,
    pub body: String,
    #[serde(default, deserialize_with = "whole::option")]
    pub due_at_ms: Option<i64>,
    #[serde(deserialize_with = "whole::deserialize")]
    pub issued_at_ms: i64,
    /// Photos attached by the issuer (SHA-256 of evidence), e.g. a map of the fire-risk area.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
}

/// A reminder (催办) to a node that has not acknowledged a directive, sent by a node above it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DirectiveReminder {
    pub directive_id: String,
    /// The silent node reminded.
    pub node_id: String,
    pub user_id: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
}

/// The issuer's decision on a node's task completion report: accepted (通过), or sent back (退回) with a
/// reason, after which the node reports again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TaskReview {
    pub directive_id: String,
    /// The node whose report is reviewed.
    pub node_id: String,
    pub accepted: bool,
    /// Why it was sent back (empty when accepted).
    #[serde(default)]
    pub reason: String,
    pub user_id: String,
    /// When the report being reviewed was made (so a review never applies to a later report).
    #[serde(deserialize_with = "whole::deserialize")]
    pub report_at_ms: i64,
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
}

/// A form version in the change feed (表单发布): the whole definition, for the phones it targets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FormPublication {
    pub form: crate::forms::FormDef,
    #[serde(deserialize_with = "whole::deserialize")]
    pub published_at_ms: i64,
}

/// A form version retired (停用): responses to it are refused from now on; drafts of it cannot be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FormRetirement {
    pub form_id: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub version: u32,
    #[serde(deserialize_with = "whole::deserialize")]
    pub retired_at_ms: i64,
}

/// A submitted form response (问卷答卷): who filled which form version about what (a household, or a node
/// such as a village for a village questionnaire), optionally as part of a visit, with the answers and the
/// photos they cite (every image answer's hash, uploaded through the evidence pipeline). Immutable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FormResponse {
    /// Made on the phone (UUIDv7 or another id of 1–64 `[A-Za-z0-9_-]`).
    pub response_id: String,
    pub form_id: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub form_version: u32,
    /// The user who filled it (the signed-in user).
    pub respondent_id: String,
    /// The node the response is about: the household's group, or the node surveyed (e.g. a village).
    pub node_id: String,
    #[serde(default)]
    pub household_id: Option<String>,
    /// The visit it was filled in, if any (its GPS verdict is the response's).
    #[serde(default)]
    pub visit_id: Option<String>,
    #[serde(deserialize_with = "whole::deserialize")]
    pub started_at_ms: i64,
    #[serde(deserialize_with = "whole::deserialize")]
    pub submitted_at_ms: i64,
    pub answers: crate::forms::Answers,
    /// Exactly the photo hashes the image answers cite (sorted, no repeats: `Answers::image_hashes`).
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// A node acknowledges receipt of a directive (签收).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeAck {
    pub directive_id: String,
    pub node_id: String,
    pub user_id: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
}

/// A node relays a directive to the level below (转发).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeRelay {
    pub directive_id: String,
    pub node_id: String,
    pub user_id: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
}

/// A liaison head records that a household got the directive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HouseholdAck {
    pub directive_id: String,
    pub household_id: String,
    pub means: AckMeans,
    pub user_id: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
}

/// A node's completion report for a task directive (任务完成情况), with what was done and photos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TaskReport {
    pub directive_id: String,
    pub node_id: String,
    pub user_id: String,
    #[serde(deserialize_with = "whole::deserialize")]
    pub at_ms: i64,
    pub note: String,
    pub evidence: Vec<String>,
}

/// New county settings in the change feed (县级配置更新): the whole configuration, as the bundle carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CountyConfigSet {
    /// Read like every other pushed body: an integer may be written `2` or `2.0` (the document's `integer`).
    #[serde(deserialize_with = "whole_numbers_config")]
    pub config: CountyConfig,
    /// When the server stored them.
    #[serde(deserialize_with = "whole::deserialize")]
    pub set_at_ms: i64,
}

/// Turns whole floats (`30.0`) into integers throughout a JSON value, so integer fields nested anywhere in
/// the settings read `2.0` as `2`, as the wire's top-level integer fields do (`whole`).
fn whole_numbers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.is_finite() && f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
                    *v = serde_json::Value::from(f as i64); // exact: within ±2^53
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

fn whole_numbers_config<'de, D: serde::Deserializer<'de>>(d: D) -> Result<CountyConfig, D::Error> {
    let mut v = serde_json::Value::deserialize(d)?;
    whole_numbers(&mut v);
    CountyConfig::deserialize(v).map_err(serde::de::Error::custom)
}

/// The bundle a server sends a phone for its scope (and tests load directly): org tree, households, users,
/// and the county's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Bundle {
    pub nodes: Vec<BundleNode>,
    #[serde(default)]
    pub households: Vec<BundleHousehold>,
    #[serde(default)]
    pub users: Vec<BundleUser>,
    /// County-set thresholds; absent means the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<CountyConfig>,
}

/// What a county configures for its phones and server (DESIGN §2: county staff set categories, SLA, cadence).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CountyConfig {
    /// On-site radius and maximum GPS accuracy for the visit verdict.
    #[serde(default)]
    pub on_site: crate::rules::geo::OnSitePolicy,
    /// Visit intervals per level.
    #[serde(default)]
    pub cadence: crate::rules::cadence::CadencePolicy,
    /// Time-limit overrides merged over the defaults.
    #[serde(default)]
    pub sla: crate::rules::sla::SlaOverrides,
    /// Working-day calendars (one file per year, the format of `protocol/calendars/2026.json`): a county's
    /// file for a year replaces the shipped one (local holidays, a corrected 调休); other years stay shipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calendars: Vec<serde_json::Value>,
    /// Radius and window of duplicate suggestions (default 200 m, 14 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<crate::rules::duplicates::DuplicatePolicy>,
    /// Directive acknowledgement windows (default alert 2 h, notice 24 h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_windows: Option<crate::rules::ack_window::AckWindowPolicy>,
    /// Which tags are sensitive and which roles receive them (最小必要; default: staff and grid workers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<crate::rules::privacy::PrivacyPolicy>,
    /// Where a liaison head's report lands first: the township (default) or the village branch (ADR 0008).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intake: Option<crate::rules::intake::IntakePolicy>,
}

impl CountyConfig {
    /// Checks every threshold is usable (positive, finite, sane); the message names the field.
    pub fn validate(&self) -> Result<(), crate::validate::FieldError> {
        use crate::validate::FieldError;
        let p = &self.on_site;
        if !(p.radius_m.is_finite() && p.radius_m > 0.0 && p.radius_m <= 10_000.0) {
            return Err(FieldError::new("config.on_site.radius_m", "must be between 0 and 10,000 metres"));
        }
        if !(p.max_accuracy_m.is_finite() && p.max_accuracy_m > 0.0 && p.max_accuracy_m <= 10_000.0) {
            return Err(FieldError::new("config.on_site.max_accuracy_m", "must be between 0 and 10,000 metres"));
        }
        if !(1..=3_600).contains(&p.max_fix_age_s) {
            return Err(FieldError::new("config.on_site.max_fix_age_s", "must be 1 to 3,600 seconds"));
        }
        let c = &self.cadence;
        for (field, days) in [
            ("config.cadence.county_days", c.county_days),
            ("config.cadence.township_days", c.township_days),
            ("config.cadence.branch_days", c.branch_days),
            ("config.cadence.group_days", c.group_days),
        ] {
            if matches!(days, Some(d) if d == 0 || d > 3_650) {
                return Err(FieldError::new(field, "must be 1 to 3,650 days"));
            }
        }
        if let Some(d) = &self.duplicates {
            if !(d.radius_m.is_finite() && d.radius_m > 0.0 && d.radius_m <= 10_000.0) {
                return Err(FieldError::new("config.duplicates.radius_m", "must be between 0 and 10,000 metres"));
            }
            if d.window_days == 0 || d.window_days > 365 {
                return Err(FieldError::new("config.duplicates.window_days", "must be 1 to 365 days"));
            }
        }
        if let Some(a) = &self.ack_windows {
            if !(1..=720).contains(&a.alert_hours) || !(1..=720).contains(&a.notice_hours) {
                return Err(FieldError::new("config.ack_windows", "hours must be 1 to 720"));
            }
        }
        if let Some(p) = &self.privacy {
            p.validate()?;
        }
        self.work_calendar().map_err(|e| FieldError::new("config.calendars", e.to_string()))?;
        let mut policy = crate::rules::sla::SlaPolicy::chinese_default();
        policy.merge(self.sla.clone()).map_err(|e| FieldError::new("config.sla", e.to_string()))
    }

    /// The working-day calendar this county runs on: its own yearly files, plus the shipped years it did not
    /// replace.
    pub fn work_calendar(&self) -> Result<crate::rules::calendar::WorkCalendar, crate::rules::calendar::CalendarError> {
        let files: Vec<String> = self.calendars.iter().map(|v| v.to_string()).collect();
        crate::rules::calendar::WorkCalendar::with_county_years(&files)
    }
}

/// One org node of a bundle. Parents must come before children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BundleNode {
    pub id: String,
    pub parent_id: Option<String>,
    pub level: OrgLevel,
    pub name: String,
    /// Administrative code: 12-digit statistical division code, extended for groups.
    pub code: String,
    /// Optional boundary ring of (lat, lon) WGS-84 points.
    #[serde(default)]
    pub boundary: Vec<(f64, f64)>,
}

/// One household of a bundle (民生台账 entry).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BundleHousehold {
    pub id: String,
    /// The villager group the household belongs to.
    pub group_id: String,
    pub head_name: String,
    #[serde(default)]
    pub members: u32,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_number: Option<String>,
    pub address: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub risk_level: RiskLevel,
    /// The county counts this household among its contact households (县级联系户).
    #[serde(default)]
    pub county_contact: bool,
}

/// One user of a bundle, bound to one node with one role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BundleUser {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub node_id: String,
}

/// The serde (snake_case) name of a unit enum value, as stored in SQL columns on the phone and the server.
pub fn unit_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("not a unit enum: {other:?}"),
    }
}

/// The unit enum value with that serde name (`None`: not one of its names).
pub fn from_unit_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wire format is a contract with deployed phones: these snapshots change only on purpose.
    #[test]
    fn operation_snapshot_issue_event() {
        let op = Operation {
            op_id: "0190f5c2-0000-7000-8000-000000000001".into(),
            hlc: "000001700000000-000000-dev1".into(),
            body: OpBody::IssueEvent(IssueEvent {
                event_id: "e1".into(),
                issue_id: "i1".into(),
                actor_id: "u1".into(),
                actor_role: Role::TownshipStaff,
                actor_node_id: "t1".into(),
                actor_name: None,
                hlc: "000001700000000-000000-dev1".into(),
                at_ms: 1_700_000_000_000,
                action: IssueAction::Verify { satisfaction: Satisfaction::BasicallySatisfied, note: "回访满意".into() },
            }),
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(
            json,
            r#"{"op_id":"0190f5c2-0000-7000-8000-000000000001","hlc":"000001700000000-000000-dev1","kind":"issue_event","body":{"event_id":"e1","issue_id":"i1","actor_id":"u1","actor_role":"township_staff","actor_node_id":"t1","hlc":"000001700000000-000000-dev1","at_ms":1700000000000,"action":{"type":"verify","satisfaction":"basically_satisfied","note":"回访满意"}}}"#
        );
        let back: Operation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, op);
    }

    /// 补充反映 (是这件，不重复上报): the reporter's note and photos joined to an existing issue.
    #[test]
    fn operation_snapshot_issue_joined() {
        let op = Operation {
            op_id: "0190f5c2-0000-7000-8000-000000000002".into(),
            hlc: "000001700000000-000001-dev2".into(),
            body: OpBody::IssueEvent(IssueEvent {
                event_id: "e2".into(),
                issue_id: "i1".into(),
                actor_id: "lh1".into(),
                actor_role: Role::LiaisonHead,
                actor_node_id: "g1".into(),
                actor_name: None,
                hlc: "000001700000000-000001-dev2".into(),
                at_ms: 1_700_000_000_500,
                action: IssueAction::Join { note: "桥边护栏也断了".into(), evidence: vec!["ab".repeat(32)] },
            }),
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"op_id":"0190f5c2-0000-7000-8000-000000000002","hlc":"000001700000000-000001-dev2","kind":"issue_event","body":{{"event_id":"e2","issue_id":"i1","actor_id":"lh1","actor_role":"liaison_head","actor_node_id":"g1","hlc":"000001700000000-000001-dev2","at_ms":1700000000500,"action":{{"type":"join","note":"桥边护栏也断了","evidence":["{}"]}}}}}}"#,
                "ab".repeat(32)
            )
        );
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), op);
    }

    #[test]
    fn county_config_checks_calendars_and_windows_and_keeps_its_wire_shape() {
        let empty = CountyConfig::default();
        assert_eq!(serde_json::to_string(&empty).unwrap(), r#"{"on_site":{"radius_m":100.0,"max_accuracy_m":50.0,"max_fix_age_s":120},"cadence":{"county_days":90,"township_days":180,"branch_days":60,"group_days":null},"sla":{"rules":[]}}"#.replace(' ', ""));
        assert!(empty.validate().is_ok());
        // A configuration written before the fix-age limit existed still reads, with the default 120 s.
        let old: CountyConfig = serde_json::from_str(r#"{"on_site":{"radius_m":80.0,"max_accuracy_m":40.0}}"#).unwrap();
        assert_eq!((old.on_site.radius_m, old.on_site.max_fix_age_s), (80.0, 120));
        let bad_age = CountyConfig {
            on_site: crate::rules::geo::OnSitePolicy { max_fix_age_s: 0, ..Default::default() },
            ..CountyConfig::default()
        };
        assert_eq!(bad_age.validate().unwrap_err().field, "config.on_site.max_fix_age_s");
        let bad_calendar = CountyConfig { calendars: vec![serde_json::json!({ "year": 2026, "holidays": "nope" })], ..CountyConfig::default() };
        assert_eq!(bad_calendar.validate().unwrap_err().field, "config.calendars");
        let bad_window = CountyConfig {
            ack_windows: Some(crate::rules::ack_window::AckWindowPolicy { alert_hours: 0, notice_hours: 24 }),
            ..CountyConfig::default()
        };
        assert_eq!(bad_window.validate().unwrap_err().field, "config.ack_windows");
        let bad_radius = CountyConfig {
            duplicates: Some(crate::rules::duplicates::DuplicatePolicy { radius_m: f64::NAN, window_days: 14 }),
            ..CountyConfig::default()
        };
        assert_eq!(bad_radius.validate().unwrap_err().field, "config.duplicates.radius_m");
    }

    #[test]
    fn operation_snapshot_county_config_set() {
        let op = Operation {
            op_id: "cfg-1".into(),
            hlc: "000001700000000-000000-server".into(),
            body: OpBody::CountyConfigSet(CountyConfigSet { config: CountyConfig::default(), set_at_ms: 5 }),
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(
            json,
            r#"{"op_id":"cfg-1","hlc":"000001700000000-000000-server","kind":"county_config_set","body":{"config":{"on_site":{"radius_m":100.0,"max_accuracy_m":50.0,"max_fix_age_s":120},"cadence":{"county_days":90,"township_days":180,"branch_days":60,"group_days":null},"sla":{"rules":[]}},"set_at_ms":5}}"#
        );
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), op);
        assert_eq!(op.body.kind(), "county_config_set");
        // Integers nested in the settings may be written as whole floats, like the wire's other integers.
        let floats = json.replace(r#""county_days":90"#, r#""county_days":90.0"#).replace(r#""max_fix_age_s":120"#, r#""max_fix_age_s":120.0"#);
        assert_eq!(serde_json::from_str::<Operation>(&floats).unwrap(), op);
        assert!(serde_json::from_str::<Operation>(&json.replace(r#""county_days":90"#, r#""county_days":90.5"#)).is_err());
    }

    #[test]
    fn operation_snapshot_household_edit() {
        let op = Operation {
            op_id: "op-7".into(),
            hlc: "000001700000000-000002-dev2".into(),
            body: OpBody::HouseholdEdited(HouseholdEdit {
                household_id: "h1".into(),
                editor_id: "lh".into(),
                editor_role: Role::LiaisonHead,
                hlc: "000001700000000-000002-dev2".into(),
                at_ms: 1_700_000_000_000,
                fields: vec![
                    HouseholdField::Members(4),
                    HouseholdField::Phone(None),
                    HouseholdField::Location(Some((35.5, 109.25))),
                    HouseholdField::Tags(vec!["低保".into()]),
                    HouseholdField::RiskLevel(RiskLevel::High),
                ],
            }),
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(
            json,
            r#"{"op_id":"op-7","hlc":"000001700000000-000002-dev2","kind":"household_edited","body":{"household_id":"h1","editor_id":"lh","editor_role":"liaison_head","hlc":"000001700000000-000002-dev2","at_ms":1700000000000,"fields":[{"field":"members","value":4},{"field":"phone","value":null},{"field":"location","value":[35.5,109.25]},{"field":"tags","value":["低保"]},{"field":"risk_level","value":"high"}]}}"#
        );
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), op);
    }

    #[test]
    fn operation_snapshot_visit_and_ack() {
        let visit = OpBody::VisitRecorded(Visit {
            id: "v1".into(),
            household_id: "h1".into(),
            visitor_id: "g1".into(),
            visitor_level: OrgLevel::Branch,
            kind: VisitKind::Routine,
            started_at_ms: 1,
            ended_at_ms: 2,
            fix: Some(GpsFix { lat: 35.5, lon: 109.25, accuracy_m: 8.0, fix_time_ms: 1, mocked: false }),
            distance_m: Some(12.5),
            verdict: OnSiteVerdict::OnSite,
            notes: "家中安好".into(),
            evidence: vec!["ab".repeat(32)],
            issue_id: None,
            amends_visit_id: None,
        });
        let json = serde_json::to_value(&visit).unwrap();
        assert_eq!(json["kind"], "visit_recorded");
        assert_eq!(json["body"]["verdict"], "on_site");
        // The verdict added for stale fixes has its own stable name; older verdicts keep theirs.
        assert_eq!(serde_json::to_value(OnSiteVerdict::StaleFix).unwrap(), "stale_fix");
        assert_eq!(serde_json::from_value::<OnSiteVerdict>("no_reference".into()).unwrap(), OnSiteVerdict::NoReference);
        assert_eq!(json["body"]["fix"]["accuracy_m"], 8.0);
        assert_eq!(visit.kind(), "visit_recorded");

        let ack = OpBody::HouseholdAcknowledged(HouseholdAck {
            directive_id: "d1".into(),
            household_id: "h1".into(),
            means: AckMeans::InPerson,
            user_id: "l1".into(),
            at_ms: 5,
        });
        assert_eq!(
            serde_json::to_string(&ack).unwrap(),
            r#"{"kind":"household_acknowledged","body":{"directive_id":"d1","household_id":"h1","means":"in_person","user_id":"l1","at_ms":5}}"#
        );
    }

    #[test]
    fn integers_may_be_spelled_as_whole_floats() {
        let ack = |at: &str| format!(r#"{{"op_id":"o","hlc":"h","kind":"node_acknowledged","body":{{"directive_id":"d","node_id":"n","user_id":"u","at_ms":{at}}}}}"#);
        let op: Operation = serde_json::from_str(&ack("5.0")).unwrap();
        assert!(matches!(op.body, OpBody::NodeAcknowledged(NodeAck { at_ms: 5, .. })));
        assert!(serde_json::from_str::<Operation>(&ack("5.5")).is_err());
        assert!(serde_json::from_str::<Operation>(&ack("1e300")).is_err());
        assert!(serde_json::from_str::<Operation>(&ack("\"5\"")).is_err());
        assert!(serde_json::from_str::<Operation>(&ack("9223372036854775808")).is_err(), "out of i64 range");
        let members: HouseholdField = serde_json::from_str(r#"{"field":"members","value":4.0}"#).unwrap();
        assert_eq!(members, HouseholdField::Members(4));
        assert!(serde_json::from_str::<HouseholdField>(r#"{"field":"members","value":-1}"#).is_err());
        let d: Directive = serde_json::from_str(
            r#"{"id":"d","issuer_id":"i","issuer_node_id":"n","target_node_id":"t","kind":"notice","title":"x","body":"","issued_at_ms":1.0}"#,
        )
        .unwrap();
        assert_eq!((d.due_at_ms, d.issued_at_ms), (None, 1));
    }

    #[test]
    fn operation_snapshot_form_response_and_publication() {
        use crate::forms::{AnswerValue, Answers, FormDef, FormTarget, LocalText, Question, QuestionKind, RepeatInstance};
        let mut answers = Answers::default();
        answers.values.insert("households".into(), AnswerValue::Integer(120));
        answers.values.insert("has_road".into(), AnswerValue::Choice("yes".into()));
        answers.values.insert("needs".into(), AnswerValue::Choices(vec!["water".into(), "road".into()]));
        answers.values.insert("photo".into(), AnswerValue::Image("ab".repeat(32)));
        answers.repeats.insert(
            "members".into(),
            vec![RepeatInstance { values: [("age".to_string(), AnswerValue::Decimal(61.5))].into_iter().collect() }],
        );
        let op = Operation {
            op_id: "op-f".into(),
            hlc: "000001700000000-000003-dev3".into(),
            body: OpBody::FormResponseSubmitted(FormResponse {
                response_id: "r1".into(),
                form_id: "village".into(),
                form_version: 2,
                respondent_id: "g1".into(),
                node_id: "b1".into(),
                household_id: None,
                visit_id: Some("v1".into()),
                started_at_ms: 1,
                submitted_at_ms: 2,
                evidence: answers.image_hashes(),
                answers,
            }),
        };
        let json = serde_json::to_string(&op).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"op_id":"op-f","hlc":"000001700000000-000003-dev3","kind":"form_response_submitted","body":{{"response_id":"r1","form_id":"village","form_version":2,"respondent_id":"g1","node_id":"b1","household_id":null,"visit_id":"v1","started_at_ms":1,"submitted_at_ms":2,"answers":{{"values":{{"has_road":{{"type":"choice","value":"yes"}},"households":{{"type":"integer","value":120}},"needs":{{"type":"choices","value":["water","road"]}},"photo":{{"type":"image","value":"{h}"}}}},"repeats":{{"members":[{{"values":{{"age":{{"type":"decimal","value":61.5}}}}}}]}}}},"evidence":["{h}"]}}}}"#,
                h = "ab".repeat(32)
            )
        );
        assert_eq!(serde_json::from_str::<Operation>(&json).unwrap(), op);
        assert_eq!(op.body.kind(), "form_response_submitted");

        let mut q = Question::new("age", QuestionKind::Integer, "年龄");
        q.required = true;
        q.constraint = Some(". >= 0".into());
        let publication = OpBody::FormPublished(FormPublication {
            form: FormDef {
                form_id: "f".into(),
                version: 1,
                title: LocalText { zh: "问卷".into(), en: Some("Survey".into()) },
                questions: vec![q],
                choice_lists: Default::default(),
                target: FormTarget { node_id: Some("t1".into()), roles: vec![Role::GridWorker], household_tags: vec!["低保".into()] },
            },
            published_at_ms: 9,
        });
        assert_eq!(
            serde_json::to_string(&publication).unwrap(),
            r#"{"kind":"form_published","body":{"form":{"form_id":"f","version":1,"title":{"zh":"问卷","en":"Survey"},"questions":[{"name":"age","kind":"integer","label":{"zh":"年龄"},"required":true,"constraint":". >= 0"}],"choice_lists":{},"target":{"node_id":"t1","roles":["grid_worker"],"household_tags":["低保"]}},"published_at_ms":9}}"#
        );
        let retired = OpBody::FormRetired(FormRetirement { form_id: "f".into(), version: 1, retired_at_ms: 10 });
        assert_eq!(
            serde_json::to_string(&retired).unwrap(),
            r#"{"kind":"form_retired","body":{"form_id":"f","version":1,"retired_at_ms":10}}"#
        );
        // Integers may be whole floats here too.
        let floats = json.replace(r#""form_version":2"#, r#""form_version":2.0"#);
        assert_eq!(serde_json::from_str::<Operation>(&floats).unwrap(), op);
    }

    #[test]
    fn report_action_snapshot() {
        let a = IssueAction::Report(IssueReport {
            category: IssueCategory::ForestFire,
            urgency: Urgency::Critical,
            title: "山林冒烟".into(),
            description: String::new(),
            node_id: "g1".into(),
            path: "/c/t/b/g1/".into(),
            household_id: None,
            owner_node_id: "t".into(),
            location: None,
            evidence: vec![],
        });
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"type":"report","category":"forest_fire","urgency":"critical","title":"山林冒烟","description":"","node_id":"g1","path":"/c/t/b/g1/","household_id":null,"owner_node_id":"t","location":null,"evidence":[]}"#
        );
    }
}
