//! Questionnaires and checklists (访谈问卷, 排查表, DESIGN §13): the county authors a form as an XLSForm
//! spreadsheet; the server turns it into a [`FormDef`] (the wire type below, versioned by form id + version)
//! and sends it to the phones it targets; a phone fills it offline and sends the answers as one
//! `form_response_submitted` operation; the server judges the answers with the very same
//! [`validate_response`] the phone used. Pure, no I/O.
//!
//! - [`expr`]: the expression language (an XLSForm/XPath subset) — parsed once, evaluated in Rust with a
//!   defined result for every bad case (divide by zero → empty, type mismatch → a typed [`expr::EvalError`]).
//! - [`compile`]: checks a definition (names, kinds, choice lists, expressions, scopes, calculation cycles)
//!   and precompiles it into a [`CompiledForm`] with each question's dependants, so that one answer's change
//!   re-evaluates only what depends on it.
//! - [`eval`]: [`FormSession`] (answers + the live evaluation, updated incrementally), [`evaluate_form`] and
//!   [`validate_response`] with typed errors in plain Chinese.
//!
//! Scope of the subset: questions may sit in groups (分组) and in one level of repeat (重复组, e.g. a household
//! roster); a repeat inside a repeat is refused at definition time.

pub mod compile;
pub mod eval;
pub mod expr;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::Role;

pub use compile::{CompiledForm, DefError};
pub use eval::{evaluate_form, validate_response, Evaluation, FormClock, FormSession, ItemEval, Problem, ResponseError};

/// A text shown to people: Chinese always, English optionally (the fallback language of the app).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LocalText {
    pub zh: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl LocalText {
    /// Chinese only.
    pub fn zh(text: impl Into<String>) -> LocalText {
        LocalText { zh: text.into(), en: None }
    }

    /// The text in `lang` (`en…` gives English when there is one), else Chinese.
    pub fn get(&self, lang: &str) -> &str {
        match &self.en {
            Some(en) if lang.starts_with("en") && !en.is_empty() => en,
            _ => &self.zh,
        }
    }
}

/// What a question asks for (XLSForm `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    /// 文本
    Text,
    /// 整数
    Integer,
    /// 小数
    Decimal,
    /// 单选 (`select_one list`)
    SelectOne,
    /// 多选 (`select_multiple list`)
    SelectMultiple,
    /// 日期 (YYYY-MM-DD)
    Date,
    /// 位置 (WGS-84 point with accuracy)
    Geopoint,
    /// 照片 (an evidence photo by SHA-256, through the photo pipeline)
    Image,
    /// 说明 (text shown, nothing asked)
    Note,
    /// 计算 (a value computed from other answers)
    Calculate,
    /// 分组 (`begin_group` … `end_group`)
    Group,
    /// 重复组 (`begin_repeat` … `end_repeat`)
    Repeat,
}

impl QuestionKind {
    /// Every kind, for table tests.
    pub const ALL: [QuestionKind; 12] = [
        QuestionKind::Text,
        QuestionKind::Integer,
        QuestionKind::Decimal,
        QuestionKind::SelectOne,
        QuestionKind::SelectMultiple,
        QuestionKind::Date,
        QuestionKind::Geopoint,
        QuestionKind::Image,
        QuestionKind::Note,
        QuestionKind::Calculate,
        QuestionKind::Group,
        QuestionKind::Repeat,
    ];

    /// Whether a person answers it (a note, a calculation, a group or a repeat takes no answer).
    pub fn is_answerable(self) -> bool {
        !matches!(self, QuestionKind::Note | QuestionKind::Calculate | QuestionKind::Group | QuestionKind::Repeat)
    }

    /// Whether it takes a choice list.
    pub fn has_choices(self) -> bool {
        matches!(self, QuestionKind::SelectOne | QuestionKind::SelectMultiple)
    }

    /// Whether it holds other questions.
    pub fn is_container(self) -> bool {
        matches!(self, QuestionKind::Group | QuestionKind::Repeat)
    }

    /// The Chinese name of the kind, for messages (e.g. 整数).
    pub fn label_zh(self) -> &'static str {
        match self {
            QuestionKind::Text => "文本",
            QuestionKind::Integer => "整数",
            QuestionKind::Decimal => "数字",
            QuestionKind::SelectOne => "单选",
            QuestionKind::SelectMultiple => "多选",
            QuestionKind::Date => "日期",
            QuestionKind::Geopoint => "位置",
            QuestionKind::Image => "照片",
            QuestionKind::Note => "说明",
            QuestionKind::Calculate => "计算",
            QuestionKind::Group => "分组",
            QuestionKind::Repeat => "重复组",
        }
    }
}

/// One option of a choice list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Choice {
    /// The value stored in answers and compared in expressions (XLSForm `name`), e.g. `1` or `yes`.
    pub name: String,
    pub label: LocalText,
}

/// One row of the form: a question, a note, a calculation, or a group/repeat holding `children`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Question {
    /// Unique in the form: `[A-Za-z_][A-Za-z0-9_]*`, at most 64; referenced as `${name}` in expressions.
    pub name: String,
    pub kind: QuestionKind,
    pub label: LocalText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<LocalText>,
    /// Must be answered when visible.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Must hold for an answer (`.` is the answer), e.g. `. >= 0 and . <= 200`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<String>,
    /// Shown when the constraint fails (default: 答案不符合要求).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint_message: Option<LocalText>,
    /// Skip logic: the question (group, repeat) is shown only when this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<String>,
    /// A `calculate` question's expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<String>,
    /// The choice list of a select question (a key of [`FormDef::choice_lists`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choices: Option<String>,
    /// Most instances a repeat may have (default and ceiling [`compile::MAX_INSTANCES`]).
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "crate::wire::whole::option")]
    pub max_instances: Option<u32>,
    /// The questions inside a group or repeat.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Question>,
}

impl Question {
    /// A question of `kind` with a Chinese label and nothing else set.
    pub fn new(name: &str, kind: QuestionKind, label: &str) -> Question {
        Question {
            name: name.into(),
            kind,
            label: LocalText::zh(label),
            hint: None,
            required: false,
            constraint: None,
            constraint_message: None,
            relevant: None,
            calculation: None,
            choices: None,
            max_instances: None,
            children: Vec::new(),
        }
    }
}

/// Who receives the form: the users of `roles` (empty: every field role) at or under `node_id` (none: the
/// whole county); `household_tags` (empty: any household) restricts which households it is filled for,
/// e.g. 低保 for a 防返贫 check.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FormTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub household_tags: Vec<String>,
}

impl FormTarget {
    /// Whether a user of `role` may fill the form (the subtree is checked by the caller with paths).
    pub fn admits_role(&self, role: Role) -> bool {
        self.roles.is_empty() || self.roles.contains(&role)
    }

    /// Whether the form may be filled for a household with these tags.
    pub fn admits_household(&self, tags: &[String]) -> bool {
        self.household_tags.is_empty() || self.household_tags.iter().any(|t| tags.contains(t))
    }
}

/// A form definition (表单), as the server stores it and phones receive it. `form_id` + `version` identify
/// it; a new version is a new definition, and answers are always judged by the version they were given to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FormDef {
    /// 1–64 of `[A-Za-z0-9_-]`.
    pub form_id: String,
    /// Increasing per form, from 1.
    #[serde(deserialize_with = "crate::wire::whole::deserialize")]
    pub version: u32,
    pub title: LocalText,
    /// The questions in order (groups and repeats hold theirs in `children`).
    pub questions: Vec<Question>,
    /// Choice lists by name, shared by the select questions naming them.
    #[serde(default)]
    pub choice_lists: BTreeMap<String, Vec<Choice>>,
    #[serde(default)]
    pub target: FormTarget,
}

/// A point answer (WGS-84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GeoAnswer {
    pub lat: f64,
    pub lon: f64,
    /// Accuracy radius in metres.
    pub accuracy_m: f64,
}

/// One answer, tagged with its type so that a wrong type is reported, never guessed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum AnswerValue {
    Text(String),
    Integer(#[serde(deserialize_with = "crate::wire::whole::deserialize")] i64),
    Decimal(f64),
    /// A choice's name (select_one).
    Choice(String),
    /// Choice names (select_multiple), in the order picked, no repeats.
    Choices(Vec<String>),
    /// `YYYY-MM-DD`.
    Date(String),
    Geopoint(GeoAnswer),
    /// An evidence photo's SHA-256 (lowercase hex), uploaded through the blob pipeline.
    Image(String),
}

/// The answers of a response or a draft: top-level questions' values by name, and each repeat's instances
/// (each holding the values of the repeat's questions). Unanswered questions are absent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Answers {
    #[serde(default)]
    pub values: BTreeMap<String, AnswerValue>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub repeats: BTreeMap<String, Vec<RepeatInstance>>,
}

/// One instance of a repeat (e.g. one member of a household roster).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RepeatInstance {
    #[serde(default)]
    pub values: BTreeMap<String, AnswerValue>,
}

impl Answers {
    /// The photo hashes the answers cite (every image answer), sorted, without repeats: what the response
    /// lists as its evidence.
    pub fn image_hashes(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |values: &BTreeMap<String, AnswerValue>| {
            for v in values.values() {
                if let AnswerValue::Image(h) = v {
                    out.push(h.clone());
                }
            }
        };
        add(&self.values);
        for instances in self.repeats.values() {
            for i in instances {
                add(&i.values);
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests;
