//! Checking a form definition and precompiling it: every question gets an index, its expressions are parsed
//! once with references resolved, and the dependency graph is built — who must be re-evaluated when a
//! question's value or visibility changes, and one topological order for values (`relevant`, `calculation`,
//! and a group's visibility passing to its children). A cycle among those is refused here, so evaluation
//! never loops. Constraints read other answers too but feed nothing, so they are re-checked, not ordered.

use std::collections::{BTreeSet, HashMap};

use super::expr::{self, Expr, ParseError, RefMode};
use super::{FormDef, Question, QuestionKind};

/// Most instances any repeat may have.
pub const MAX_INSTANCES: u32 = 500;
/// Most questions (of every kind, groups included) in one form.
pub const MAX_QUESTIONS: usize = 2_000;
/// Most choices in one list.
pub const MAX_CHOICES: usize = 500;
/// Longest label or message, in characters.
pub const MAX_LABEL: usize = 500;

/// Why a definition is refused: the question (by name; empty for the form itself), the column, the reason
/// in Chinese. The XLSForm importer turns the question into its sheet row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{reason}", if question.is_empty() { String::new() } else { format!("题目「{question}」") }, if field.is_empty() { String::new() } else { format!("的 {field} ") })]
pub struct DefError {
    pub question: String,
    /// `relevant`, `constraint`, `calculation`, `choices`, `name`, `type`, … (empty: the question as a whole).
    pub field: &'static str,
    pub reason: String,
}

impl DefError {
    fn new(question: &str, field: &'static str, reason: impl Into<String>) -> DefError {
        DefError { question: question.to_string(), field, reason: reason.into() }
    }
}

/// One question (or group, repeat) of a compiled form.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub kind: QuestionKind,
    pub label: super::LocalText,
    pub hint: Option<super::LocalText>,
    pub constraint_message: Option<super::LocalText>,
    /// The enclosing group or repeat.
    pub parent: Option<usize>,
    /// The repeat whose instances hold this question (`None`: top level; a repeat itself is top level).
    pub repeat: Option<usize>,
    pub required: bool,
    pub relevant: Option<Expr>,
    pub constraint: Option<Expr>,
    pub calculation: Option<Expr>,
    /// The allowed choice names of a select question.
    pub choices: Vec<String>,
    pub max_instances: u32,
    /// Questions whose visibility or value reads this one's value or visibility (with how).
    pub value_dependants: Vec<(usize, RefMode)>,
    /// Questions whose constraint reads this one (re-checked, nothing flows on).
    pub check_dependants: Vec<(usize, RefMode)>,
    /// Position in the evaluation order.
    pub order: usize,
}

/// A checked, precompiled form: the definition, its questions in document order (depth first), and the
/// evaluation order. Build once per form version and share it (it is immutable).
#[derive(Debug, Clone)]
pub struct CompiledForm {
    pub def: FormDef,
    pub nodes: Vec<Node>,
    /// Question indices in evaluation order (every question after what its value or visibility reads).
    pub topo: Vec<usize>,
    by_name: HashMap<String, usize>,
}

fn valid_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 64
}

fn check_text(q: &str, field: &'static str, text: &str, required: bool, errors: &mut Vec<DefError>) {
    if required && text.trim().is_empty() {
        errors.push(DefError::new(q, field, "不能为空"));
    } else if text.chars().count() > MAX_LABEL {
        errors.push(DefError::new(q, field, format!("太长（最多 {MAX_LABEL} 个字）")));
    } else if text.chars().any(|c| c.is_control() && c != '\n') {
        errors.push(DefError::new(q, field, "含有控制字符"));
    }
}

impl CompiledForm {
    /// Checks `def` and compiles it, or lists every problem found (not only the first).
    pub fn compile(def: FormDef) -> Result<CompiledForm, Vec<DefError>> {
        let mut errors = Vec::new();
        if crate::validate::id("form_id", &def.form_id).is_err() {
            errors.push(DefError::new("", "form_id", "表单编号须为 1–64 个字母、数字、- 或 _"));
        }
        if def.version == 0 {
            errors.push(DefError::new("", "version", "版本号须从 1 开始"));
        }
        check_text("", "title", &def.title.zh, true, &mut errors);
        for (list, choices) in &def.choice_lists {
            if choices.is_empty() {
                errors.push(DefError::new("", "choices", format!("选项列表「{list}」没有选项")));
            }
            if choices.len() > MAX_CHOICES {
                errors.push(DefError::new("", "choices", format!("选项列表「{list}」选项太多（最多 {MAX_CHOICES} 个）")));
            }
            let mut seen = BTreeSet::new();
            for c in choices {
                if c.name.trim().is_empty() || c.name.chars().any(char::is_whitespace) || c.name.chars().count() > 64 {
                    errors.push(DefError::new("", "choices", format!("选项列表「{list}」的选项值「{}」无效（须非空、不含空格、最多 64 字）", c.name)));
                }
                if !seen.insert(c.name.as_str()) {
                    errors.push(DefError::new("", "choices", format!("选项列表「{list}」的选项值「{}」重复", c.name)));
                }
                check_text("", "choices", &c.label.zh, true, &mut errors);
            }
        }

        // Flatten: index every question depth first.
        let mut nodes: Vec<Node> = Vec::new();
        let mut sources: Vec<&Question> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        fn walk<'d>(
            qs: &'d [Question],
            parent: Option<usize>,
            repeat: Option<usize>,
            def: &'d FormDef,
            nodes: &mut Vec<Node>,
            sources: &mut Vec<&'d Question>,
            by_name: &mut HashMap<String, usize>,
            errors: &mut Vec<DefError>,
        ) {
            for q in qs {
                let i = nodes.len();
                if !valid_name(&q.name) {
                    errors.push(DefError::new(&q.name, "name", "名称须以字母或下划线开头，只含字母、数字、下划线，最多 64 个"));
                } else if by_name.insert(q.name.clone(), i).is_some() {
                    errors.push(DefError::new(&q.name, "name", "名称重复"));
                }
                if q.kind != QuestionKind::Calculate {
                    check_text(&q.name, "label", &q.label.zh, q.kind != QuestionKind::Group, errors);
                }
                let mut choices = Vec::new();
                match (&q.choices, q.kind.has_choices()) {
                    (Some(list), true) => match def.choice_lists.get(list) {
                        Some(cs) => choices = cs.iter().map(|c| c.name.clone()).collect(),
                        None => errors.push(DefError::new(&q.name, "choices", format!("找不到选项列表「{list}」"))),
                    },
                    (None, true) => errors.push(DefError::new(&q.name, "choices", "单选/多选题须指定选项列表")),
                    (Some(_), false) => errors.push(DefError::new(&q.name, "choices", "只有单选/多选题才有选项列表")),
                    (None, false) => {}
                }
                if q.kind == QuestionKind::Calculate && q.calculation.is_none() {
                    errors.push(DefError::new(&q.name, "calculation", "计算题须有计算式"));
                }
                if q.kind != QuestionKind::Calculate && q.calculation.is_some() {
                    errors.push(DefError::new(&q.name, "calculation", "只有计算题才有计算式"));
                }
                if q.required && !q.kind.is_answerable() {
                    errors.push(DefError::new(&q.name, "required", format!("{}不能设为必填", q.kind.label_zh())));
                }
                if q.constraint.is_some() && !q.kind.is_answerable() {
                    errors.push(DefError::new(&q.name, "constraint", format!("{}不能有约束", q.kind.label_zh())));
                }
                if !q.kind.is_container() && !q.children.is_empty() {
                    errors.push(DefError::new(&q.name, "type", "只有分组和重复组能包含题目"));
                }
                if q.kind.is_container() && q.children.is_empty() {
                    errors.push(DefError::new(&q.name, "type", format!("{}里没有题目", q.kind.label_zh())));
                }
                if q.kind == QuestionKind::Repeat && repeat.is_some() {
                    errors.push(DefError::new(&q.name, "type", "不支持重复组里再套重复组"));
                }
                if q.max_instances.is_some() && q.kind != QuestionKind::Repeat {
                    errors.push(DefError::new(&q.name, "repeat_count", "只有重复组能限定条数"));
                }
                let max_instances = q.max_instances.unwrap_or(MAX_INSTANCES);
                if max_instances == 0 || max_instances > MAX_INSTANCES {
                    errors.push(DefError::new(&q.name, "repeat_count", format!("重复组条数上限须为 1–{MAX_INSTANCES}")));
                }
                nodes.push(Node {
                    name: q.name.clone(),
                    kind: q.kind,
                    label: q.label.clone(),
                    hint: q.hint.clone(),
                    constraint_message: q.constraint_message.clone(),
                    parent,
                    repeat,
                    required: q.required,
                    relevant: None,
                    constraint: None,
                    calculation: None,
                    choices,
                    max_instances: max_instances.clamp(1, MAX_INSTANCES),
                    value_dependants: Vec::new(),
                    check_dependants: Vec::new(),
                    order: 0,
                });
                sources.push(q);
                if nodes.len() > MAX_QUESTIONS {
                    return;
                }
                let inner_repeat = if q.kind == QuestionKind::Repeat { Some(i) } else { repeat };
                walk(&q.children, Some(i), inner_repeat, def, nodes, sources, by_name, errors);
            }
        }
        walk(&def.questions, None, None, &def, &mut nodes, &mut sources, &mut by_name, &mut errors);
        if def.questions.is_empty() {
            errors.push(DefError::new("", "survey", "表单没有题目"));
        }
        if nodes.len() > MAX_QUESTIONS {
            errors.push(DefError::new("", "survey", format!("题目太多（最多 {MAX_QUESTIONS} 个）")));
            return Err(errors);
        }

        // Parse expressions with scope-aware resolution.
        for i in 0..nodes.len() {
            let q = sources[i];
            // The scope an expression of this question runs in: its repeat's instance (a repeat's own
            // `relevant` runs at the top level).
            let scope = nodes[i].repeat;
            let parse = |field: &'static str, src: &Option<String>, errors: &mut Vec<DefError>| -> Option<Expr> {
                let src = src.as_deref()?;
                let nodes_ro = &nodes;
                let mut resolver = |name: &str, aggregate: bool| -> Result<(usize, RefMode), String> {
                    let Some(&j) = by_name.get(name) else { return Err(format!("引用了不存在的题目 ${{{name}}}")) };
                    let target = &nodes_ro[j];
                    if target.kind == QuestionKind::Group {
                        return Err(format!("不能引用分组 ${{{name}}}"));
                    }
                    if target.kind == QuestionKind::Repeat {
                        return if aggregate {
                            Ok((j, RefMode::All))
                        } else {
                            Err(format!("重复组 ${{{name}}} 只能用在 count() 中"))
                        };
                    }
                    if aggregate {
                        return if target.repeat.is_some() {
                            Ok((j, RefMode::All))
                        } else {
                            Err(format!("sum()/count() 只能用于重复组中的题目，${{{name}}} 不在重复组里"))
                        };
                    }
                    match target.repeat {
                        None => Ok((j, RefMode::Scalar)),
                        Some(r) if Some(r) == scope => Ok((j, RefMode::Scalar)),
                        Some(r) => Err(format!(
                            "${{{name}}} 在重复组「{}」里，这里只能用 sum() 或 count() 引用",
                            nodes_ro[r].name
                        )),
                    }
                };
                match expr::parse(src, &mut resolver) {
                    Ok(e) => {
                        if field != "constraint" && e.uses_current() {
                            errors.push(DefError::new(&q.name, field, "「.」只能用在约束（constraint）里"));
                            return None;
                        }
                        Some(e)
                    }
                    Err(e) => {
                        errors.push(DefError::new(&q.name, field, parse_reason(&e)));
                        None
                    }
                }
            };
            let relevant = parse("relevant", &q.relevant, &mut errors);
            let constraint = parse("constraint", &q.constraint, &mut errors);
            let calculation = parse("calculation", &q.calculation, &mut errors);
            nodes[i].relevant = relevant;
            nodes[i].constraint = constraint;
            nodes[i].calculation = calculation;
            if let Some(m) = &q.constraint_message {
                check_text(&q.name, "constraint_message", &m.zh, false, &mut errors);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }

        // Dependency graph.
        let n = nodes.len();
        let mut value_deps: Vec<Vec<usize>> = vec![Vec::new(); n];
        for i in 0..n {
            let mut refs = Vec::new();
            if let Some(e) = &nodes[i].relevant {
                e.refs(&mut refs);
            }
            if let Some(e) = &nodes[i].calculation {
                e.refs(&mut refs);
            }
            if let Some(p) = nodes[i].parent {
                refs.push((p, RefMode::Scalar));
            }
            with_repeats(&nodes, &mut refs);
            refs.sort_by_key(|r| (r.0, r.1 == RefMode::All));
            refs.dedup();
            for (j, mode) in refs {
                nodes[j].value_dependants.push((i, mode));
                value_deps[i].push(j);
            }
            let mut checks = Vec::new();
            if let Some(e) = &nodes[i].constraint {
                e.refs(&mut checks);
            }
            with_repeats(&nodes, &mut checks);
            checks.sort_by_key(|r| (r.0, r.1 == RefMode::All));
            checks.dedup();
            for (j, mode) in checks {
                if j != i {
                    nodes[j].check_dependants.push((i, mode));
                }
            }
        }
        // Kahn's algorithm, taking the smallest ready index first (document order where free).
        let mut indegree: Vec<usize> = value_deps.iter().map(Vec::len).collect();
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut topo = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            topo.push(i);
            for &(d, _) in &nodes[i].value_dependants {
                indegree[d] -= 1;
                if indegree[d] == 0 {
                    ready.insert(d);
                }
            }
        }
        if topo.len() < n {
            let stuck: Vec<String> = (0..n).filter(|&i| indegree[i] > 0).map(|i| nodes[i].name.clone()).collect();
            return Err(vec![DefError::new(
                &stuck[0],
                "",
                format!("计算或显示条件互相引用，形成循环：{}", stuck.join("、")),
            )]);
        }
        for (pos, &i) in topo.iter().enumerate() {
            nodes[i].order = pos;
        }
        Ok(CompiledForm { def, nodes, topo, by_name })
    }

    /// A question's index by name.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// The repeats, in document order.
    pub fn repeats(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().enumerate().filter(|(_, n)| n.kind == QuestionKind::Repeat).map(|(i, _)| i)
    }
}

/// A read of every instance of a repeat's question also depends on the repeat itself: adding or removing an
/// instance changes `count()` and `sum()` even when no value changes.
fn with_repeats(nodes: &[Node], refs: &mut Vec<(usize, RefMode)>) {
    let extra: Vec<(usize, RefMode)> =
        refs.iter().filter(|r| r.1 == RefMode::All).filter_map(|r| nodes[r.0].repeat).map(|r| (r, RefMode::All)).collect();
    refs.extend(extra);
}

fn parse_reason(e: &ParseError) -> String {
    format!("表达式有误：{e}")
}
