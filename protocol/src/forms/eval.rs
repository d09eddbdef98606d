//! Evaluating a form over answers: which questions are visible (skip logic), required, what each calculation
//! gives, which answers break a constraint — per question and per repeat instance. [`FormSession`] keeps the
//! answers and the evaluation together and, when one answer changes, re-evaluates only the questions that
//! read it (and those that read them, in the compiled order), so a long form or a roster of 100 members costs
//! a handful of expression evaluations per answer. [`evaluate_form`] and [`validate_response`] build a session
//! from scratch: the phone validates before it queues a response, and the server judges the received
//! response with the same function.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::NaiveDate;

use super::compile::CompiledForm;
use super::expr::{self, Env, EvalError, RefMode, Value};
use super::{AnswerValue, Answers, QuestionKind, RepeatInstance};

/// Longest text answer, in characters.
pub const MAX_TEXT_ANSWER: usize = 2_000;

/// The caller's clock, for `today()`: the date it is where the form is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormClock {
    pub today: NaiveDate,
}

impl FormClock {
    /// The date in China Standard Time (UTC+8) at unix ms `at_ms` (the server judges a response by the day it
    /// was submitted, as the phone did).
    pub fn china_at_ms(at_ms: i64) -> FormClock {
        let shifted = at_ms.saturating_add(8 * 3_600_000);
        let today = chrono::DateTime::from_timestamp_millis(shifted).map_or(NaiveDate::MIN, |t| t.date_naive());
        FormClock { today }
    }
}

/// What is wrong with one answer (or a missing one). `code()` is stable; `Display` is plain Chinese.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Problem {
    /// 必填
    #[error("此题必须回答")]
    Required,
    /// The constraint does not hold; the form's message.
    #[error("{message}")]
    Constraint { message: String },
    #[error("答案类型不对：此题要的是{}", expected.label_zh())]
    WrongType { expected: QuestionKind },
    #[error("「{value}」不是此题的选项")]
    InvalidChoice { value: String },
    #[error("{reason}")]
    InvalidValue { reason: String },
    #[error("{0}")]
    Evaluation(EvalError),
    #[error("表单里没有这道题")]
    UnknownQuestion,
    #[error("此题不需要填写答案")]
    NotAnswerable,
    #[error("此题在当前情况下不显示，不应有答案")]
    NotRelevant,
    #[error("答案放错了位置（重复组里的题目须按条填写）")]
    Misplaced,
    #[error("没有这一条")]
    NoSuchInstance,
    #[error("最多只能填 {max} 条")]
    TooManyInstances { max: u32 },
}

impl Problem {
    /// A stable code for the shells and logs.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::Constraint { .. } => "constraint",
            Problem::WrongType { .. } => "wrong_type",
            Problem::InvalidChoice { .. } => "invalid_choice",
            Problem::InvalidValue { .. } => "invalid_value",
            Problem::Evaluation(_) => "evaluation",
            Problem::UnknownQuestion => "unknown_question",
            Problem::NotAnswerable => "not_answerable",
            Problem::NotRelevant => "not_relevant",
            Problem::Misplaced => "misplaced",
            Problem::NoSuchInstance => "no_such_instance",
            Problem::TooManyInstances { .. } => "too_many_instances",
        }
    }

    /// The English fallback message.
    pub fn message_en(&self) -> String {
        match self {
            Problem::Required => "This question must be answered".into(),
            Problem::Constraint { .. } => "The answer does not meet the form's rule".into(),
            Problem::WrongType { expected } => format!("Wrong answer type: expected {expected:?}"),
            Problem::InvalidChoice { value } => format!("'{value}' is not one of the choices"),
            Problem::InvalidValue { .. } => "The answer is not valid".into(),
            Problem::Evaluation(_) => "The form's expression could not be evaluated".into(),
            Problem::UnknownQuestion => "The form has no such question".into(),
            Problem::NotAnswerable => "This question takes no answer".into(),
            Problem::NotRelevant => "This question is hidden and must not be answered".into(),
            Problem::Misplaced => "The answer is in the wrong place (repeat questions are answered per entry)".into(),
            Problem::NoSuchInstance => "There is no such entry".into(),
            Problem::TooManyInstances { max } => format!("At most {max} entries"),
        }
    }
}

/// A problem located in a response: the question's name and label and, inside a repeat, the instance
/// (counted from 0; shown from 1).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("「{label}」{}：{problem}", instance.map(|i| format!("（第 {} 条）", i + 1)).unwrap_or_default())]
pub struct ResponseError {
    pub question: String,
    pub label: String,
    pub instance: Option<u32>,
    pub problem: Problem,
}

/// One question (or group, repeat) as evaluated, for one instance of its repeat.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemEval {
    /// Index of the question in the compiled form.
    pub index: usize,
    pub name: String,
    pub kind: QuestionKind,
    pub instance: Option<u32>,
    pub visible: bool,
    pub required: bool,
    /// The answer given (kept while hidden, but ignored).
    pub answer: Option<AnswerValue>,
    /// What expressions read: the answer, or a calculation's result; empty when hidden.
    pub value: Value,
    pub problem: Option<Problem>,
}

/// The whole form evaluated: every item in document order, each repeat followed by its instances' items.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub items: Vec<ItemEval>,
}

impl Evaluation {
    /// The item of `name` (in `instance` for a repeat's question).
    pub fn item(&self, name: &str, instance: Option<u32>) -> Option<&ItemEval> {
        self.items.iter().find(|i| i.name == name && i.instance == instance)
    }

    /// The visible items with a problem.
    pub fn problems(&self) -> impl Iterator<Item = &ItemEval> {
        self.items.iter().filter(|i| i.visible && i.problem.is_some())
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
struct Slot {
    answer: Option<AnswerValue>,
    relevant: bool,
    value: Value,
    problem: Option<Problem>,
}

impl Default for Value {
    fn default() -> Value {
        Value::Empty
    }
}

/// A question's place: its index and, inside a repeat, the instance.
pub type ItemRef = (usize, Option<u32>);

/// Answers with their live evaluation. Cheap to update one answer at a time (see the module docs).
#[derive(Debug, Clone)]
pub struct FormSession {
    form: Arc<CompiledForm>,
    today: String,
    top: Vec<Slot>,
    /// Per question index: for a repeat, its instances, each a slot per question inside the repeat
    /// (the questions inside a repeat follow it contiguously in document order).
    instances: Vec<Vec<Vec<Slot>>>,
}

/// The value expressions read for an answer.
pub fn answer_value(a: &AnswerValue) -> Value {
    match a {
        AnswerValue::Text(s) | AnswerValue::Choice(s) | AnswerValue::Date(s) | AnswerValue::Image(s) => Value::Str(s.clone()),
        AnswerValue::Integer(n) => Value::Num(*n as f64),
        AnswerValue::Decimal(n) => Value::Num(*n),
        AnswerValue::Choices(cs) => Value::Str(cs.join(" ")),
        AnswerValue::Geopoint(g) => Value::Str(format!("{} {} 0 {}", g.lat, g.lon, g.accuracy_m)),
    }
}

/// Checks an answer's type and content against its question (not the constraint: that needs the others).
pub fn check_answer(form: &CompiledForm, index: usize, a: &AnswerValue) -> Result<(), Problem> {
    let node = &form.nodes[index];
    if !node.kind.is_answerable() {
        return Err(Problem::NotAnswerable);
    }
    let wrong = || Err(Problem::WrongType { expected: node.kind });
    let invalid = |reason: &str| Err(Problem::InvalidValue { reason: reason.to_string() });
    match (node.kind, a) {
        (QuestionKind::Text, AnswerValue::Text(s)) => {
            if s.chars().count() > MAX_TEXT_ANSWER {
                return invalid(&format!("文字太长（最多 {MAX_TEXT_ANSWER} 个字）"));
            }
            if s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')) {
                return invalid("文字里有控制字符");
            }
            Ok(())
        }
        (QuestionKind::Integer, AnswerValue::Integer(_)) => Ok(()),
        (QuestionKind::Decimal, AnswerValue::Integer(_)) => Ok(()),
        (QuestionKind::Decimal, AnswerValue::Decimal(n)) => {
            if n.is_finite() {
                Ok(())
            } else {
                invalid("不是有效的数字")
            }
        }
        (QuestionKind::SelectOne, AnswerValue::Choice(c)) => {
            if node.choices.contains(c) {
                Ok(())
            } else {
                Err(Problem::InvalidChoice { value: c.clone() })
            }
        }
        (QuestionKind::SelectMultiple, AnswerValue::Choices(cs)) => {
            if cs.is_empty() {
                return invalid("至少选一项（不选请清空答案）");
            }
            let mut seen = BTreeSet::new();
            for c in cs {
                if !node.choices.contains(c) {
                    return Err(Problem::InvalidChoice { value: c.clone() });
                }
                if !seen.insert(c) {
                    return invalid(&format!("选项「{c}」选了两次"));
                }
            }
            Ok(())
        }
        (QuestionKind::Date, AnswerValue::Date(d)) => {
            if d.len() == 10 && NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok() {
                Ok(())
            } else {
                invalid("日期须为 年-月-日（如 2026-12-02）")
            }
        }
        (QuestionKind::Geopoint, AnswerValue::Geopoint(g)) => {
            let ok = g.lat.is_finite()
                && g.lon.is_finite()
                && (-90.0..=90.0).contains(&g.lat)
                && (-180.0..=180.0).contains(&g.lon)
                && g.accuracy_m.is_finite()
                && g.accuracy_m >= 0.0;
            if ok {
                Ok(())
            } else {
                invalid("位置坐标无效")
            }
        }
        (QuestionKind::Image, AnswerValue::Image(h)) => {
            if h.len() == 64 && h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                Ok(())
            } else {
                invalid("照片引用无效")
            }
        }
        _ => wrong(),
    }
}

struct Ctx<'a> {
    s: &'a FormSession,
    instance: Option<usize>,
    current: Value,
}

impl Env for Ctx<'_> {
    fn value(&self, q: usize) -> Value {
        match self.s.form.nodes[q].repeat {
            None => self.s.top[q].value.clone(),
            Some(r) => match self.instance {
                Some(k) => self.s.instances[r][k][q - r - 1].value.clone(),
                None => Value::Empty,
            },
        }
    }

    fn each(&self, q: usize, f: &mut dyn FnMut(&Value)) {
        if let Some(r) = self.s.form.nodes[q].repeat {
            for inst in &self.s.instances[r] {
                f(&inst[q - r - 1].value);
            }
        }
    }

    fn instances(&self, q: usize) -> usize {
        let r = if self.s.form.nodes[q].kind == QuestionKind::Repeat { Some(q) } else { self.s.form.nodes[q].repeat };
        r.map_or(0, |r| self.s.instances[r].len())
    }

    fn current(&self) -> Value {
        self.current.clone()
    }

    fn today(&self) -> &str {
        &self.s.today
    }
}

impl FormSession {
    /// A session over `answers`, fully evaluated. Answers that do not fit the form (unknown questions, wrong
    /// types, too many instances) are left out here; [`validate_response`] reports them.
    pub fn new(form: Arc<CompiledForm>, answers: &Answers, clock: FormClock) -> FormSession {
        let n = form.nodes.len();
        let mut instances: Vec<Vec<Vec<Slot>>> = vec![Vec::new(); n];
        let mut top = vec![Slot::default(); n];
        for (name, a) in &answers.values {
            if let Some(i) = form.index(name) {
                if form.nodes[i].repeat.is_none() && check_answer(&form, i, a).is_ok() {
                    top[i].answer = Some(a.clone());
                }
            }
        }
        for (name, list) in &answers.repeats {
            let Some(r) = form.index(name) else { continue };
            if form.nodes[r].kind != QuestionKind::Repeat {
                continue;
            }
            let width = repeat_width(&form, r);
            for inst in list.iter().take(form.nodes[r].max_instances as usize) {
                let mut slots = vec![Slot::default(); width];
                for (qname, a) in &inst.values {
                    if let Some(q) = form.index(qname) {
                        if form.nodes[q].repeat == Some(r) && check_answer(&form, q, a).is_ok() {
                            slots[q - r - 1].answer = Some(a.clone());
                        }
                    }
                }
                instances[r].push(slots);
            }
        }
        let mut s = FormSession { form, today: clock.today.format("%Y-%m-%d").to_string(), top, instances };
        let order = s.form.topo.clone();
        for i in order {
            match s.form.nodes[i].repeat {
                None => {
                    s.recompute(i, None);
                }
                Some(r) => {
                    for k in 0..s.instances[r].len() {
                        s.recompute(i, Some(k));
                    }
                }
            }
        }
        s
    }

    /// The compiled form.
    pub fn form(&self) -> &Arc<CompiledForm> {
        &self.form
    }

    /// Number of instances of the repeat `name` (0 for anything else).
    pub fn instance_count(&self, repeat: &str) -> usize {
        self.form.index(repeat).map_or(0, |r| self.instances[r].len())
    }

    fn slot(&self, i: usize, instance: Option<usize>) -> Option<&Slot> {
        match (self.form.nodes[i].repeat, instance) {
            (None, _) => self.top.get(i),
            (Some(r), Some(k)) => self.instances[r].get(k).map(|inst| &inst[i - r - 1]),
            (Some(_), None) => None,
        }
    }

    fn slot_mut(&mut self, i: usize, instance: Option<usize>) -> Option<&mut Slot> {
        match (self.form.nodes[i].repeat, instance) {
            (None, _) => self.top.get_mut(i),
            (Some(r), Some(k)) => self.instances[r].get_mut(k).map(|inst| &mut inst[i - r - 1]),
            (Some(_), None) => None,
        }
    }

    /// Re-evaluates one item; returns (visibility or value changed, problem changed).
    fn recompute(&mut self, i: usize, instance: Option<usize>) -> (bool, bool) {
        let form = Arc::clone(&self.form);
        let node = &form.nodes[i];
        let Some(old) = self.slot(i, instance) else { return (false, false) };
        let parent_visible = match node.parent {
            None => true,
            Some(p) => {
                let pk = if form.nodes[p].repeat.is_some() { instance } else { None };
                self.slot(p, pk).is_some_and(|s| s.relevant)
            }
        };
        let answer = old.answer.clone();
        let mut ctx = Ctx { s: self, instance, current: Value::Empty };
        let mut problem = None;
        let relevant = parent_visible
            && match &node.relevant {
                None => true,
                Some(e) => match expr::eval(e, &ctx) {
                    Ok(v) => v.truthy(),
                    Err(err) => {
                        problem = Some(Problem::Evaluation(err));
                        true
                    }
                },
            };
        let value = if !relevant || node.kind == QuestionKind::Repeat {
            Value::Empty
        } else if let Some(c) = &node.calculation {
            match expr::eval(c, &ctx) {
                Ok(v) => v,
                Err(err) => {
                    problem = problem.or(Some(Problem::Evaluation(err)));
                    Value::Empty
                }
            }
        } else {
            answer.as_ref().map_or(Value::Empty, answer_value)
        };
        if relevant && problem.is_none() && node.kind.is_answerable() {
            if value.is_empty() {
                if node.required {
                    problem = Some(Problem::Required);
                }
            } else if let Some(c) = &node.constraint {
                ctx.current = value.clone();
                match expr::eval(c, &ctx) {
                    Ok(v) if v.truthy() => {}
                    Ok(_) => {
                        let message = node.constraint_message.as_ref().map_or_else(|| "答案不符合要求".to_string(), |m| m.zh.clone());
                        problem = Some(Problem::Constraint { message });
                    }
                    Err(err) => problem = Some(Problem::Evaluation(err)),
                }
            }
        }
        let slot = self.slot_mut(i, instance).expect("slot checked above");
        let changed = slot.relevant != relevant || slot.value != value;
        let problem_changed = slot.problem != problem;
        slot.relevant = relevant;
        slot.value = value;
        slot.problem = problem;
        (changed, problem_changed)
    }

    fn enqueue_dependants(
        &self,
        i: usize,
        instance: Option<usize>,
        deps: &[(usize, RefMode)],
        queue: &mut BTreeSet<(usize, usize, Option<usize>)>,
    ) {
        let nodes = &self.form.nodes;
        for &(d, mode) in deps {
            let order = nodes[d].order;
            match (nodes[d].repeat, mode) {
                (None, _) => {
                    queue.insert((order, d, None));
                }
                (Some(r), RefMode::Scalar) if nodes[i].repeat == Some(r) && instance.is_some() => {
                    queue.insert((order, d, instance));
                }
                (Some(r), _) => {
                    for k in 0..self.instances[r].len() {
                        queue.insert((order, d, Some(k)));
                    }
                }
            }
        }
    }

    /// Re-evaluates what `queue` holds, and what reads whatever changed, in the compiled order. Returns the
    /// items whose visibility, value or problem changed.
    fn propagate(&mut self, mut queue: BTreeSet<(usize, usize, Option<usize>)>, mut changed: Vec<ItemRef>) -> Vec<ItemRef> {
        let form = Arc::clone(&self.form);
        while let Some((_, i, k)) = queue.pop_first() {
            let (value_changed, problem_changed) = self.recompute(i, k);
            if value_changed {
                self.enqueue_dependants(i, k, &form.nodes[i].value_dependants, &mut queue);
                self.enqueue_dependants(i, k, &form.nodes[i].check_dependants, &mut queue);
            }
            if value_changed || problem_changed {
                let item = (i, k.map(|k| k as u32));
                if !changed.contains(&item) {
                    changed.push(item);
                }
            }
        }
        changed
    }

    fn locate(&self, name: &str, instance: Option<u32>) -> Result<(usize, Option<usize>), Problem> {
        let i = self.form.index(name).ok_or(Problem::UnknownQuestion)?;
        match (self.form.nodes[i].repeat, instance) {
            (None, None) => Ok((i, None)),
            (Some(r), Some(k)) if (k as usize) < self.instances[r].len() => Ok((i, Some(k as usize))),
            (Some(_), Some(_)) => Err(Problem::NoSuchInstance),
            _ => Err(Problem::Misplaced),
        }
    }

    /// Sets (or with `None` clears) one answer and re-evaluates what depends on it. A wrong type or an
    /// impossible value is refused and nothing changes; a constraint break is kept and shown as the item's
    /// problem. Returns the items whose visibility, value or problem changed (the answered one first).
    pub fn set_answer(&mut self, name: &str, instance: Option<u32>, answer: Option<AnswerValue>) -> Result<Vec<ItemRef>, Problem> {
        let (i, k) = self.locate(name, instance)?;
        if !self.form.nodes[i].kind.is_answerable() {
            return Err(Problem::NotAnswerable);
        }
        if let Some(a) = &answer {
            check_answer(&self.form, i, a)?;
        }
        let slot = self.slot_mut(i, k).ok_or(Problem::NoSuchInstance)?;
        slot.answer = answer;
        let order = self.form.nodes[i].order;
        let item = (i, k.map(|k| k as u32));
        Ok(self.propagate(BTreeSet::from([(order, i, k)]), vec![item]))
    }

    /// Adds an instance at the end of the repeat `name`; returns its number (from 0) and the changed items.
    pub fn add_instance(&mut self, name: &str) -> Result<(u32, Vec<ItemRef>), Problem> {
        let r = self.form.index(name).ok_or(Problem::UnknownQuestion)?;
        let node = &self.form.nodes[r];
        if node.kind != QuestionKind::Repeat {
            return Err(Problem::Misplaced);
        }
        if self.instances[r].len() >= node.max_instances as usize {
            return Err(Problem::TooManyInstances { max: node.max_instances });
        }
        let width = repeat_width(&self.form, r);
        self.instances[r].push(vec![Slot::default(); width]);
        let k = self.instances[r].len() - 1;
        let mut queue = BTreeSet::new();
        for q in r + 1..=r + width {
            queue.insert((self.form.nodes[q].order, q, Some(k)));
        }
        self.enqueue_all_readers(r, &mut queue);
        Ok((k as u32, self.propagate(queue, Vec::new())))
    }

    /// Removes instance `instance` of the repeat `name` (later ones move up by one); returns the changed
    /// items (numbered after the removal).
    pub fn remove_instance(&mut self, name: &str, instance: u32) -> Result<Vec<ItemRef>, Problem> {
        let r = self.form.index(name).ok_or(Problem::UnknownQuestion)?;
        if self.form.nodes[r].kind != QuestionKind::Repeat {
            return Err(Problem::Misplaced);
        }
        if instance as usize >= self.instances[r].len() {
            return Err(Problem::NoSuchInstance);
        }
        self.instances[r].remove(instance as usize);
        let mut queue = BTreeSet::new();
        self.enqueue_all_readers(r, &mut queue);
        Ok(self.propagate(queue, Vec::new()))
    }

    /// Queues what reads every instance of the repeat `r` (sums, counts; compiled as dependants of `r`).
    fn enqueue_all_readers(&self, r: usize, queue: &mut BTreeSet<(usize, usize, Option<usize>)>) {
        let node = &self.form.nodes[r];
        let all: Vec<(usize, RefMode)> =
            node.value_dependants.iter().chain(&node.check_dependants).filter(|d| d.1 == RefMode::All).copied().collect();
        self.enqueue_dependants(r, None, &all, queue);
    }

    /// One item as evaluated (`None`: no such question or instance).
    pub fn item(&self, name: &str, instance: Option<u32>) -> Option<ItemEval> {
        let (i, k) = self.locate(name, instance).ok()?;
        self.item_at(i, k)
    }

    /// One item by index (as returned in the changed lists).
    pub fn item_at(&self, i: usize, instance: Option<usize>) -> Option<ItemEval> {
        let node = self.form.nodes.get(i)?;
        let slot = self.slot(i, instance)?;
        Some(ItemEval {
            index: i,
            name: node.name.clone(),
            kind: node.kind,
            instance: instance.map(|k| k as u32),
            visible: slot.relevant,
            required: node.required,
            answer: slot.answer.clone(),
            value: slot.value.clone(),
            problem: slot.problem.clone(),
        })
    }

    /// The whole form evaluated, in document order (each repeat followed by its instances' items).
    pub fn evaluation(&self) -> Evaluation {
        let mut items = Vec::with_capacity(self.form.nodes.len());
        let mut i = 0;
        while i < self.form.nodes.len() {
            let node = &self.form.nodes[i];
            items.extend(self.item_at(i, None));
            if node.kind == QuestionKind::Repeat {
                let width = repeat_width(&self.form, i);
                for k in 0..self.instances[i].len() {
                    for q in i + 1..=i + width {
                        items.extend(self.item_at(q, Some(k)));
                    }
                }
                i += width;
            }
            i += 1;
        }
        Evaluation { items }
    }

    /// The answers as given (hidden ones included): what a draft saves.
    pub fn answers(&self) -> Answers {
        self.collect(false)
    }

    /// The answers of visible questions only: what a submitted response carries.
    pub fn visible_answers(&self) -> Answers {
        self.collect(true)
    }

    fn collect(&self, visible_only: bool) -> Answers {
        let mut out = Answers::default();
        for (i, node) in self.form.nodes.iter().enumerate() {
            if node.repeat.is_some() {
                continue;
            }
            let slot = &self.top[i];
            if let Some(a) = &slot.answer {
                if slot.relevant || !visible_only {
                    out.values.insert(node.name.clone(), a.clone());
                }
            }
            if node.kind == QuestionKind::Repeat && !self.instances[i].is_empty() && (slot.relevant || !visible_only) {
                let list = self.instances[i]
                    .iter()
                    .map(|inst| RepeatInstance {
                        values: inst
                            .iter()
                            .enumerate()
                            .filter(|(_, s)| s.answer.is_some() && (s.relevant || !visible_only))
                            .map(|(j, s)| (self.form.nodes[i + 1 + j].name.clone(), s.answer.clone().expect("filtered")))
                            .collect(),
                    })
                    .collect();
                out.repeats.insert(node.name.clone(), list);
            }
        }
        out
    }
}

/// How many questions a repeat holds (they follow it in document order).
fn repeat_width(form: &CompiledForm, r: usize) -> usize {
    form.nodes[r + 1..].iter().take_while(|n| n.repeat == Some(r)).count()
}

/// The form evaluated over `answers` by `clock`'s date: per question and per repeat instance, visible,
/// required, value and problem.
pub fn evaluate_form(form: &Arc<CompiledForm>, answers: &Answers, clock: FormClock) -> Evaluation {
    FormSession::new(Arc::clone(form), answers, clock).evaluation()
}

/// Judges a response's answers (phone before queuing it, server on receipt — the same code): answers to
/// unknown or hidden questions, wrong types, choices not in the list, too many instances, missing required
/// answers, broken constraints and expressions that cannot be evaluated are each a [`ResponseError`].
pub fn validate_response(form: &Arc<CompiledForm>, answers: &Answers, clock: FormClock) -> Result<(), Vec<ResponseError>> {
    let mut errors = Vec::new();
    let err = |name: &str, instance: Option<u32>, problem: Problem| {
        let label = form.index(name).map_or_else(|| name.to_string(), |i| form.nodes[i].label.zh.clone());
        ResponseError { question: name.to_string(), label, instance, problem }
    };
    for (name, a) in &answers.values {
        let Some(i) = form.index(name) else {
            errors.push(err(name, None, Problem::UnknownQuestion));
            continue;
        };
        if form.nodes[i].repeat.is_some() {
            errors.push(err(name, None, Problem::Misplaced));
        } else if let Err(p) = check_answer(form, i, a) {
            errors.push(err(name, None, p));
        }
    }
    for (name, list) in &answers.repeats {
        let Some(r) = form.index(name).filter(|&r| form.nodes[r].kind == QuestionKind::Repeat) else {
            errors.push(err(name, None, Problem::UnknownQuestion));
            continue;
        };
        let max = form.nodes[r].max_instances;
        if list.len() > max as usize {
            errors.push(err(name, None, Problem::TooManyInstances { max }));
            continue;
        }
        for (k, inst) in list.iter().enumerate() {
            for (qname, a) in &inst.values {
                let Some(q) = form.index(qname) else {
                    errors.push(err(qname, Some(k as u32), Problem::UnknownQuestion));
                    continue;
                };
                if form.nodes[q].repeat != Some(r) {
                    errors.push(err(qname, Some(k as u32), Problem::Misplaced));
                } else if let Err(p) = check_answer(form, q, a) {
                    errors.push(err(qname, Some(k as u32), p));
                }
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let session = FormSession::new(Arc::clone(form), answers, clock);
    for item in session.evaluation().items {
        let problem = if item.answer.is_some() && !item.visible {
            Some(Problem::NotRelevant)
        } else if item.visible {
            item.problem
        } else {
            None
        };
        if let Some(p) = problem {
            errors.push(err(&item.name, item.instance, p));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}
