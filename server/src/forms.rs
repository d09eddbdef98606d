//! Forms on the server (问卷, 排查表; DESIGN §13): the XLSForm import (`linkage-server form import`) with
//! row-level errors in Chinese, and tabulation and XLSX export of the responses (`form report`,
//! `form export`). Definitions are checked with `linkage_protocol::forms` — the same compiler and evaluator
//! the phones run — and responses were judged by it when pushed (`apply::form_response_submitted`).
//!
//! The XLSForm subset read: sheet `survey` (columns `type`, `name`, `label` — or `label::中文`/`label::zh` and
//! `label::English (en)` —, `hint`, `required`, `constraint`, `constraint_message`, `relevant`,
//! `calculation`, `repeat_count`), sheet `choices` (`list_name`, `name`, `label`), sheet `settings`
//! (`form_id`, `version`, `form_title`, and `household_tags` to restrict which households it is for).
//! Types: text, integer, decimal, select_one LIST, select_multiple LIST, date, geopoint, image, note,
//! calculate, begin_group/end_group, begin_repeat/end_repeat; ODK's metadata types (start, end, today,
//! deviceid, …) are ignored. Blank rows are skipped.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use calamine::{Data, Reader};
use linkage_protocol::forms::{
    AnswerValue, Answers, Choice, CompiledForm, FormClock, FormDef, FormSession, FormTarget, LocalText, Question, QuestionKind,
};
use linkage_protocol::model::Role;

use crate::error::{Error, Result};
use crate::readtx::{self, params, ReadTx};
use crate::storage::Storage;

/// One problem of a spreadsheet, where it is: `survey 表第 5 行：未知题型「texte」`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub sheet: &'static str,
    /// The Excel row number (1 = the header); 0: the sheet as a whole.
    pub row: usize,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row == 0 {
            write!(f, "{} 表：{}", self.sheet, self.reason)
        } else {
            write!(f, "{} 表第 {} 行：{}", self.sheet, self.row, self.reason)
        }
    }
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// A sheet as header-keyed rows: (Excel row number, column → text).
struct Sheet {
    rows: Vec<(usize, HashMap<String, String>)>,
}

impl Sheet {
    fn read(range: &calamine::Range<Data>) -> Sheet {
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        let mut iter = range.rows();
        let header: Vec<String> = iter.next().map(|h| h.iter().map(|c| cell_text(c).to_lowercase()).collect()).unwrap_or_default();
        let mut rows = Vec::new();
        for (i, row) in iter.enumerate() {
            let mut map = HashMap::new();
            for (col, cell) in row.iter().enumerate() {
                let text = cell_text(cell);
                if let Some(h) = header.get(col).filter(|h| !h.is_empty()) {
                    if !text.is_empty() {
                        map.insert(h.clone(), text);
                    }
                }
            }
            if !map.is_empty() {
                rows.push((first_row + i + 2, map));
            }
        }
        Sheet { rows }
    }
}

/// The value of `column` in a row, or of a language variant (`label::中文`, `label::Chinese (zh)`).
fn column(row: &HashMap<String, String>, column: &str, english: bool) -> Option<String> {
    if !english {
        if let Some(v) = row.get(column) {
            return Some(v.clone());
        }
    }
    let prefix = format!("{column}::");
    row.iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .find(|(k, _)| {
            let lang = &k[prefix.len()..];
            let is_en = lang.contains("english") || lang == "en" || lang.contains("(en)");
            is_en == english
        })
        .map(|(_, v)| v.clone())
}

fn text_of(row: &HashMap<String, String>, name: &str) -> Option<LocalText> {
    let zh = column(row, name, false);
    let en = column(row, name, true);
    match (zh, en) {
        (Some(zh), en) => Some(LocalText { zh, en }),
        (None, Some(en)) => Some(LocalText { zh: en.clone(), en: Some(en) }),
        (None, None) => None,
    }
}

fn yes_no(v: &str) -> Option<bool> {
    match v.trim().to_lowercase().as_str() {
        "" | "no" | "false" | "false()" | "0" | "否" => Some(false),
        "yes" | "true" | "true()" | "1" | "是" => Some(true),
        _ => None,
    }
}

const IGNORED_TYPES: [&str; 11] =
    ["start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username", "email", "audit", "start-geopoint"];

/// Reads an XLSForm workbook file into a checked form definition (version and target left to the caller when
/// the settings sheet has none), or every problem found with its sheet and row.
pub fn parse_xlsform(path: &Path) -> std::result::Result<FormDef, Vec<RowError>> {
    let bytes = std::fs::read(path).map_err(|_| vec![RowError { sheet: "文件", row: 0, reason: "无法读取 XLSX 文件：文件不存在或没有读取权限".into() }])?;
    parse_xlsform_bytes(&bytes).map(|p| p.def)
}

/// A checked XLSForm and what its settings sheet said about the version.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedForm {
    pub def: FormDef,
    /// The settings sheet names the version (else the importer numbers it: the next one).
    pub explicit_version: bool,
    /// The settings sheet's data row (0 when there is none), for problems about the version.
    pub settings_row: usize,
}

/// [`parse_xlsform`] over the bytes of an uploaded workbook (the console's import).
pub fn parse_xlsform_bytes(bytes: &[u8]) -> std::result::Result<ParsedForm, Vec<RowError>> {
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|_| {
        vec![RowError { sheet: "文件", row: 0, reason: "无法读取 XLSX 文件：请确认是 Excel 的 .xlsx 格式（不是旧版 .xls，也不是改了扩展名的其他文件）".into() }]
    })?;
    let names = book.sheet_names().to_vec();
    let mut sheet = |want: &str| -> Option<Sheet> {
        let name = names.iter().find(|n| n.trim().eq_ignore_ascii_case(want))?;
        book.worksheet_range(name).ok().map(|r| Sheet::read(&r))
    };
    let survey = sheet("survey");
    let choices = sheet("choices");
    let settings = sheet("settings");
    let mut errors = Vec::new();
    let Some(survey) = survey else {
        return Err(vec![RowError { sheet: "survey", row: 0, reason: "缺少 survey 表".into() }]);
    };

    // Choice lists.
    let mut lists: BTreeMap<String, Vec<Choice>> = BTreeMap::new();
    let mut list_rows: HashMap<String, usize> = HashMap::new();
    for (row, cells) in choices.as_ref().map_or(&[][..], |s| &s.rows[..]) {
        let list = cells.get("list_name").or_else(|| cells.get("list name")).cloned().unwrap_or_default();
        let name = cells.get("name").cloned().unwrap_or_default();
        let label = text_of(cells, "label");
        if list.is_empty() || name.is_empty() {
            errors.push(RowError { sheet: "choices", row: *row, reason: "list_name 和 name 都须填写".into() });
            continue;
        }
        if name.chars().any(char::is_whitespace) {
            errors.push(RowError { sheet: "choices", row: *row, reason: format!("选项值「{name}」不能含空格") });
            continue;
        }
        let Some(label) = label else {
            errors.push(RowError { sheet: "choices", row: *row, reason: format!("选项「{name}」缺少 label") });
            continue;
        };
        let entry = lists.entry(list.clone()).or_default();
        if entry.iter().any(|c| c.name == name) {
            errors.push(RowError { sheet: "choices", row: *row, reason: format!("选项列表「{list}」里选项值「{name}」重复") });
            continue;
        }
        list_rows.entry(list).or_insert(*row);
        entry.push(Choice { name, label });
    }

    // Settings.
    let settings_row = settings.as_ref().and_then(|s| s.rows.first().cloned());
    let setting = |key: &str| settings_row.as_ref().and_then(|(_, r)| r.get(key).cloned());
    let form_id = setting("form_id").unwrap_or_default();
    if form_id.is_empty() {
        errors.push(RowError { sheet: "settings", row: settings_row.as_ref().map_or(0, |r| r.0), reason: "缺少 form_id（问卷编号）".into() });
    }
    let version = match setting("version") {
        None => 0,
        Some(v) => v.parse::<u32>().unwrap_or_else(|_| {
            errors.push(RowError { sheet: "settings", row: settings_row.as_ref().map_or(0, |r| r.0), reason: format!("version「{v}」须为正整数") });
            0
        }),
    };
    let title = settings_row
        .as_ref()
        .and_then(|(_, r)| text_of(r, "form_title").or_else(|| text_of(r, "title")))
        .unwrap_or_else(|| LocalText::zh(form_id.clone()));
    let household_tags: Vec<String> = setting("household_tags")
        .map(|t| t.split([' ', ';', '；', '、', ',', '，']).filter(|s| !s.is_empty()).map(str::to_string).collect())
        .unwrap_or_default();

    // Survey rows into a tree.
    let mut stack: Vec<(Question, usize)> = Vec::new(); // open groups/repeats with their row
    let mut top: Vec<Question> = Vec::new();
    let mut rows_by_name: HashMap<String, usize> = HashMap::new();
    let push = |q: Question, stack: &mut Vec<(Question, usize)>, top: &mut Vec<Question>| match stack.last_mut() {
        Some((parent, _)) => parent.children.push(q),
        None => top.push(q),
    };
    for (row, cells) in &survey.rows {
        let row = *row;
        let raw_type = cells.get("type").cloned().unwrap_or_default();
        let mut words = raw_type.split_whitespace();
        let kind_word = words.next().unwrap_or("").to_lowercase().replace(' ', "_");
        let arg = words.next().map(str::to_string);
        let err = |reason: String| RowError { sheet: "survey", row, reason };
        if kind_word.is_empty() {
            errors.push(err("缺少 type（题型）".into()));
            continue;
        }
        let kind_word = match kind_word.as_str() {
            "begin" | "end" => format!("{}_{}", kind_word, arg.clone().unwrap_or_default().to_lowercase()),
            _ => kind_word,
        };
        if IGNORED_TYPES.contains(&kind_word.as_str()) {
            continue;
        }
        if kind_word == "end_group" || kind_word == "end_repeat" {
            let want = if kind_word == "end_group" { QuestionKind::Group } else { QuestionKind::Repeat };
            match stack.pop() {
                Some((q, _)) if q.kind == want => push(q, &mut stack, &mut top),
                Some((q, open_row)) => {
                    errors.push(err(format!("{kind_word} 与第 {open_row} 行的 begin_{} 不配对", if q.kind == QuestionKind::Group { "group" } else { "repeat" })));
                    push(q, &mut stack, &mut top);
                }
                None => errors.push(err(format!("{kind_word} 前面没有对应的 begin"))),
            }
            continue;
        }
        let kind = match kind_word.as_str() {
            "text" => QuestionKind::Text,
            "integer" | "int" => QuestionKind::Integer,
            "decimal" => QuestionKind::Decimal,
            "select_one" => QuestionKind::SelectOne,
            "select_multiple" => QuestionKind::SelectMultiple,
            "date" => QuestionKind::Date,
            "geopoint" => QuestionKind::Geopoint,
            "image" | "photo" => QuestionKind::Image,
            "note" => QuestionKind::Note,
            "calculate" => QuestionKind::Calculate,
            "begin_group" => QuestionKind::Group,
            "begin_repeat" => QuestionKind::Repeat,
            _ => {
                errors.push(err(format!("未知题型「{raw_type}」")));
                continue;
            }
        };
        let name = cells.get("name").cloned().unwrap_or_default();
        if name.is_empty() {
            errors.push(err("缺少 name（题目名称）".into()));
            continue;
        }
        if let Some(first) = rows_by_name.get(&name) {
            errors.push(err(format!("题目名称「{name}」与第 {first} 行重复")));
            continue;
        }
        rows_by_name.insert(name.clone(), row);
        let mut q = Question::new(&name, kind, "");
        q.label = text_of(cells, "label").unwrap_or_default();
        if q.label.zh.is_empty() && !matches!(kind, QuestionKind::Calculate | QuestionKind::Group) {
            errors.push(err(format!("题目「{name}」缺少 label（题目文字）")));
        }
        q.hint = text_of(cells, "hint");
        if kind.has_choices() {
            match &arg {
                None => errors.push(err(format!("{raw_type} 须写明选项列表，如 select_one yes_no"))),
                Some(list) if !lists.contains_key(list) => errors.push(err(format!("choices 表里没有选项列表「{list}」"))),
                Some(list) => q.choices = Some(list.clone()),
            }
        }
        if let Some(r) = cells.get("required") {
            match yes_no(r) {
                Some(b) => q.required = b,
                None => errors.push(err(format!("required「{r}」须为 yes 或 no"))),
            }
        }
        q.constraint = cells.get("constraint").cloned();
        q.constraint_message = text_of(cells, "constraint_message");
        q.relevant = cells.get("relevant").cloned();
        q.calculation = cells.get("calculation").cloned();
        if let Some(n) = cells.get("repeat_count") {
            match n.parse::<u32>() {
                Ok(n) => q.max_instances = Some(n),
                Err(_) => errors.push(err(format!("repeat_count「{n}」须为整数（本系统作为条数上限）"))),
            }
        }
        if kind.is_container() {
            stack.push((q, row));
        } else {
            push(q, &mut stack, &mut top);
        }
    }
    while let Some((q, open_row)) = stack.pop() {
        errors.push(RowError { sheet: "survey", row: open_row, reason: format!("「{}」的 begin 没有对应的 end", q.name) });
        push(q, &mut stack, &mut top);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let def = FormDef {
        form_id,
        version: version.max(1),
        title,
        questions: top,
        choice_lists: lists,
        target: FormTarget { node_id: None, roles: Vec::new(), household_tags },
    };
    // The shared compiler's checks (expressions, references, cycles, …), each on its row.
    if let Err(def_errors) = CompiledForm::compile(def.clone()) {
        return Err(def_errors
            .into_iter()
            .map(|e| match rows_by_name.get(&e.question) {
                Some(&row) => RowError { sheet: "survey", row, reason: e.to_string() },
                None if e.field == "choices" => RowError { sheet: "choices", row: 0, reason: e.to_string() },
                None => RowError { sheet: "settings", row: 0, reason: e.to_string() },
            })
            .collect());
    }
    let explicit_version = setting("version").is_some();
    Ok(ParsedForm { def, explicit_version, settings_row: settings_row.as_ref().map_or(0, |r| r.0) })
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub def: FormDef,
    pub target_path: String,
    pub questions: usize,
}

/// Imports an XLSForm: parses and checks it, targets it at `node` (default: the county) and `roles`
/// (default: every role), numbers it (the settings' version, or the next one), stores it and puts it into
/// the change feed. Nothing is stored when anything is wrong; the error lists every bad row.
pub fn import_xlsform(storage: &dyn Storage, path: &Path, node: Option<&str>, roles: &[Role], now_ms: i64) -> Result<Imported> {
    let parsed = std::fs::read(path)
        .map_err(|_| vec![RowError { sheet: "文件", row: 0, reason: "无法读取 XLSX 文件：文件不存在或没有读取权限".into() }])
        .and_then(|bytes| parse_xlsform_bytes(&bytes))
        .map_err(|errors| {
            Error::Invalid(format!(
                "{} 有 {} 处错误，未导入：\n{}",
                path.display(),
                errors.len(),
                errors.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n")
            ))
        })?;
    publish_parsed(storage, parsed, node, roles, now_ms)
}

/// The version an import of `parsed` gets: the settings' one, or the one after the newest stored (1 for a new
/// form), with the stored versions of the form. Publishing refuses a version not above the newest.
pub fn next_version(storage: &dyn Storage, parsed: &ParsedForm) -> Result<(u32, Vec<u32>)> {
    let existing: Vec<u32> = storage.forms()?.into_iter().filter(|f| f.form_id == parsed.def.form_id).map(|f| f.version).collect();
    let version = if parsed.explicit_version { parsed.def.version } else { existing.iter().max().map_or(1, |v| v + 1) };
    Ok((version, existing))
}

/// Stores a parsed XLSForm targeted at `node` (default: the county) and `roles` (default: every role),
/// numbered by [`next_version`], and puts it into the change feed (`form import` and the console's import).
pub fn publish_parsed(storage: &dyn Storage, parsed: ParsedForm, node: Option<&str>, roles: &[Role], now_ms: i64) -> Result<Imported> {
    let (version, _) = next_version(storage, &parsed)?;
    let mut def = parsed.def;
    def.version = version;
    def.target.node_id = node.map(str::to_string);
    def.target.roles = roles.to_vec();
    let questions = CompiledForm::compile(def.clone()).map_err(|e| Error::Invalid(format!("{e:?}")))?.nodes.len();
    let target_path = storage.publish_form(&def, now_ms)?;
    Ok(Imported { def, target_path, questions })
}

/// One stored response with what the export shows beside its answers.
#[derive(Debug, Clone)]
pub struct ResponseRow {
    pub response_id: String,
    pub form_version: u32,
    pub node_id: String,
    pub node_name: String,
    pub household_id: Option<String>,
    pub household_head: Option<String>,
    pub respondent_id: String,
    pub submitted_at_ms: i64,
    pub visit_started_at_ms: Option<i64>,
    pub verdict: Option<String>,
    pub answers: Answers,
}

/// A stored form version and its responses under a node.
#[derive(Debug, Clone)]
pub struct FormData {
    pub form: Arc<CompiledForm>,
    pub scope_node: String,
    pub responses: Vec<ResponseRow>,
}

/// Loads a form version (default: the newest) and its responses within `node`'s subtree (default: all).
pub fn load<R: readtx::Reader + ?Sized>(conn: &R, form_id: &str, version: Option<u32>, node: Option<&str>) -> Result<FormData> {
    conn.snapshot(|tx| load_in(tx, form_id, version, node))
}

fn load_in(conn: &ReadTx<'_>, form_id: &str, version: Option<u32>, node: Option<&str>) -> Result<FormData> {
    let of = |r: &crate::readtx::Row<'_>| Ok((r.get::<u32>(0)?, r.get::<String>(1)?));
    let row = match version {
        Some(v) => conn.query_opt("SELECT version, def_json FROM forms WHERE form_id = ?1 AND version = ?2", params![form_id, v], of)?,
        None => conn.query_opt("SELECT version, def_json FROM forms WHERE form_id = ?1 ORDER BY version DESC LIMIT 1", params![form_id], of)?,
    };
    let Some((version, def_json)) = row else {
        return Err(Error::Invalid(format!("没有问卷「{form_id}」{}", version.map(|v| format!("第 {v} 版")).unwrap_or_default())));
    };
    let def: FormDef = serde_json::from_str(&def_json)?;
    let form = Arc::new(CompiledForm::compile(def).map_err(|e| Error::Corrupt(format!("stored form does not compile: {e:?}")))?);
    let scope = match node {
        Some(id) => conn
            .query_opt("SELECT path FROM org_nodes WHERE id = ?1", params![id], |r| r.get::<String>(0))?
            .ok_or_else(|| Error::Invalid(format!("组织节点「{id}」不存在")))?,
        None => "/".to_string(),
    };
    let upper = linkage_protocol::rules::scope::upper_bound(&scope);
    let responses = conn.query_map(
        "SELECT r.response_id, r.form_version, r.node_id, COALESCE(n.name, r.node_id), r.household_id, h.head_name, r.respondent_id,
                r.submitted_at_ms, v.started_at_ms, v.verdict, r.answers_json
         FROM form_responses r
         LEFT JOIN org_nodes n ON n.id = r.node_id
         LEFT JOIN households h ON h.id = r.household_id
         LEFT JOIN visits v ON v.id = r.visit_id
         WHERE r.form_id = ?1 AND r.form_version = ?2 AND r.path >= ?3 AND r.path < ?4
         ORDER BY r.submitted_at_ms, r.response_id",
        params![form_id, version, scope, upper],
        |r| {
            Ok(ResponseRow {
                response_id: r.get(0)?,
                form_version: r.get(1)?,
                node_id: r.get(2)?,
                node_name: r.get(3)?,
                household_id: r.get(4)?,
                household_head: r.get(5)?,
                respondent_id: r.get(6)?,
                submitted_at_ms: r.get(7)?,
                visit_started_at_ms: r.get(8)?,
                verdict: r.get(9)?,
                answers: serde_json::from_str(&r.get::<String>(10)?)?,
            })
        },
    )?;
    Ok(FormData { form, scope_node: node.unwrap_or("").to_string(), responses })
}

/// Per-question figures over the responses (repeat questions over every instance).
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionFigures {
    pub name: String,
    pub label: String,
    pub kind: QuestionKind,
    /// Answers (or computed values) present, visible.
    pub answered: u32,
    /// For select questions: each choice's label and count, in the list's order.
    pub frequencies: Vec<(String, String, u32)>,
    /// For numbers (integer, decimal, numeric calculations): the mean and the total.
    pub mean: Option<f64>,
    pub sum: Option<f64>,
}

/// The tabulation of a form version within a node's area.
#[derive(Debug, Clone, PartialEq)]
pub struct Tabulation {
    pub form_id: String,
    pub version: u32,
    pub title: String,
    pub responses: u32,
    /// Responses per node they are about: (node id, name, count), by name.
    pub per_node: Vec<(String, String, u32)>,
    pub questions: Vec<QuestionFigures>,
}

fn clock_of(r: &ResponseRow) -> FormClock {
    FormClock::china_at_ms(r.submitted_at_ms)
}

/// Counts responses per node and, per question, answers, choice frequencies, means and totals.
pub fn tabulate(data: &FormData) -> Tabulation {
    let form = &data.form;
    let mut per_node: BTreeMap<(String, String), u32> = BTreeMap::new();
    let mut figures: Vec<QuestionFigures> = form
        .nodes
        .iter()
        .map(|n| QuestionFigures {
            name: n.name.clone(),
            label: n.label.zh.clone(),
            kind: n.kind,
            answered: 0,
            frequencies: n
                .choices
                .iter()
                .map(|c| (c.clone(), choice_label(form, &n.name, c).unwrap_or_else(|| c.clone()), 0))
                .collect(),
            mean: None,
            sum: None,
        })
        .collect();
    let mut sums: Vec<(f64, u32)> = vec![(0.0, 0); form.nodes.len()];
    for r in &data.responses {
        *per_node.entry((r.node_name.clone(), r.node_id.clone())).or_default() += 1;
        let session = FormSession::new(Arc::clone(form), &r.answers, clock_of(r));
        for item in session.evaluation().items {
            let i = item.index;
            let node = &form.nodes[i];
            if !item.visible || matches!(node.kind, QuestionKind::Note | QuestionKind::Group | QuestionKind::Repeat) || item.value.is_empty() {
                continue;
            }
            figures[i].answered += 1;
            match &item.answer {
                Some(AnswerValue::Choice(c)) => bump(&mut figures[i], c),
                Some(AnswerValue::Choices(cs)) => cs.iter().for_each(|c| bump(&mut figures[i], c)),
                _ => {}
            }
            let numeric = matches!(node.kind, QuestionKind::Integer | QuestionKind::Decimal | QuestionKind::Calculate);
            if let (true, linkage_protocol::forms::expr::Value::Num(n)) = (numeric, &item.value) {
                sums[i].0 += n;
                sums[i].1 += 1;
            }
        }
    }
    for (f, (total, n)) in figures.iter_mut().zip(sums) {
        if n > 0 {
            f.sum = Some(total);
            f.mean = Some(total / f64::from(n));
        }
    }
    figures.retain(|f| !matches!(f.kind, QuestionKind::Note | QuestionKind::Group | QuestionKind::Repeat));
    Tabulation {
        form_id: form.def.form_id.clone(),
        version: form.def.version,
        title: form.def.title.zh.clone(),
        responses: data.responses.len() as u32,
        per_node: per_node.into_iter().map(|((name, id), n)| (id, name, n)).collect(),
        questions: figures,
    }
}

fn bump(f: &mut QuestionFigures, choice: &str) {
    if let Some(entry) = f.frequencies.iter_mut().find(|(c, _, _)| c == choice) {
        entry.2 += 1;
    }
}

fn choice_label(form: &CompiledForm, question: &str, choice: &str) -> Option<String> {
    let list = find_question(&form.def.questions, question)?.choices.as_ref()?;
    form.def.choice_lists.get(list)?.iter().find(|c| c.name == choice).map(|c| c.label.zh.clone())
}

fn find_question<'a>(qs: &'a [Question], name: &str) -> Option<&'a Question> {
    for q in qs {
        if q.name == name {
            return Some(q);
        }
        if let Some(found) = find_question(&q.children, name) {
            return Some(found);
        }
    }
    None
}

fn number(n: f64) -> String {
    linkage_protocol::forms::expr::format_number((n * 100.0).round() / 100.0)
}

impl Tabulation {
    /// The tabulation as plain text (Chinese).
    pub fn text(&self) -> String {
        let mut out = format!("问卷「{}」（{} 第 {} 版）：共 {} 份答卷\n", self.title, self.form_id, self.version, self.responses);
        out.push_str("按组织节点：\n");
        for (id, name, n) in &self.per_node {
            out.push_str(&format!("  {name}（{id}）\t{n} 份\n"));
        }
        out.push_str("按题目：\n");
        for q in &self.questions {
            out.push_str(&format!("  {}「{}」（{}）已答 {}", q.name, q.label, q.kind.label_zh(), q.answered));
            if let (Some(mean), Some(sum)) = (q.mean, q.sum) {
                out.push_str(&format!("，平均 {}，合计 {}", number(mean), number(sum)));
            }
            for (_, label, n) in &q.frequencies {
                let pct = if q.answered > 0 && q.kind == QuestionKind::SelectOne { format!(" ({}%)", number(f64::from(*n) * 100.0 / f64::from(q.answered))) } else { String::new() };
                out.push_str(&format!("；{label} {n}{pct}"));
            }
            out.push('\n');
        }
        out
    }
}

fn verdict_zh(v: &str) -> &'static str {
    match v {
        "on_site" => "在场",
        "too_far" => "距离过远",
        "poor_fix" => "定位精度差",
        "no_fix" => "无定位",
        "mocked" => "模拟定位",
        "no_reference" => "无参照点",
        "stale_fix" => "定位过时",
        _ => "—",
    }
}

fn china_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000).map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M").to_string())
}

fn answer_text(form: &CompiledForm, name: &str, a: &AnswerValue) -> String {
    match a {
        AnswerValue::Text(s) | AnswerValue::Date(s) | AnswerValue::Image(s) => s.clone(),
        AnswerValue::Integer(n) => n.to_string(),
        AnswerValue::Decimal(n) => linkage_protocol::forms::expr::format_number(*n),
        AnswerValue::Choice(c) => choice_label(form, name, c).unwrap_or_else(|| c.clone()),
        AnswerValue::Choices(cs) => cs.iter().map(|c| choice_label(form, name, c).unwrap_or_else(|| c.clone())).collect::<Vec<_>>().join("、"),
        AnswerValue::Geopoint(g) => format!("{:.6}, {:.6} (±{} m)", g.lat, g.lon, g.accuracy_m.round()),
    }
}

/// The value shown in an export cell: a number when it is one.
enum CellValue {
    Text(String),
    Number(f64),
}

fn item_cell(form: &CompiledForm, item: &linkage_protocol::forms::ItemEval) -> Option<CellValue> {
    if !item.visible {
        return None;
    }
    match (&item.answer, &item.value) {
        (Some(AnswerValue::Integer(n)), _) => Some(CellValue::Number(*n as f64)),
        (Some(AnswerValue::Decimal(n)), _) => Some(CellValue::Number(*n)),
        (Some(a), _) => Some(CellValue::Text(answer_text(form, &item.name, a))),
        (None, linkage_protocol::forms::expr::Value::Num(n)) => Some(CellValue::Number(*n)),
        (None, v) if !v.is_empty() => Some(CellValue::Text(v.as_text())),
        _ => None,
    }
}

/// The XLSX export: sheet 答卷 with one row per response (household, node, visit time, GPS verdict, then
/// every question outside repeats; calculations computed), a sheet per repeat with one row per instance,
/// and a sheet 统计 with the tabulation.
pub fn export_xlsx(data: &FormData) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    fn x(e: rust_xlsxwriter::XlsxError) -> Error {
        Error::Invalid(format!("xlsx: {e}"))
    }
    let form = &data.form;
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let fixed = ["答卷编号", "组织节点", "住户", "户主", "走访时间", "定位结论", "填写人", "提交时间"];
    let top: Vec<usize> = (0..form.nodes.len())
        .filter(|&i| form.nodes[i].repeat.is_none() && !matches!(form.nodes[i].kind, QuestionKind::Note | QuestionKind::Group | QuestionKind::Repeat))
        .collect();
    let sessions: Vec<FormSession> =
        data.responses.iter().map(|r| FormSession::new(Arc::clone(form), &r.answers, clock_of(r))).collect();
    {
        let sheet = book.add_worksheet().set_name("答卷").map_err(x)?;
        for (c, h) in fixed.iter().enumerate() {
            sheet.write_with_format(0, c as u16, *h, &bold).map_err(x)?;
        }
        for (c, &i) in top.iter().enumerate() {
            sheet.write_with_format(0, (fixed.len() + c) as u16, format!("{}（{}）", form.nodes[i].label.zh, form.nodes[i].name), &bold).map_err(x)?;
        }
        for (r, (row, session)) in data.responses.iter().zip(&sessions).enumerate() {
            let rr = (r + 1) as u32;
            let cells = [
                row.response_id.clone(),
                row.node_name.clone(),
                row.household_id.clone().unwrap_or_default(),
                row.household_head.clone().unwrap_or_default(),
                row.visit_started_at_ms.map(china_time).unwrap_or_default(),
                row.verdict.as_deref().map_or("—", verdict_zh).to_string(),
                row.respondent_id.clone(),
                china_time(row.submitted_at_ms),
            ];
            for (c, v) in cells.iter().enumerate() {
                sheet.write(rr, c as u16, v.as_str()).map_err(x)?;
            }
            for (c, &i) in top.iter().enumerate() {
                let col = (fixed.len() + c) as u16;
                match session.item_at(i, None).as_ref().and_then(|it| item_cell(form, it)) {
                    Some(CellValue::Number(n)) => {
                        sheet.write(rr, col, n).map_err(x)?;
                    }
                    Some(CellValue::Text(t)) => {
                        sheet.write(rr, col, t.as_str()).map_err(x)?;
                    }
                    None => {}
                }
            }
        }
    }
    for r in form.repeats().collect::<Vec<_>>() {
        let members: Vec<usize> =
            (r + 1..form.nodes.len()).take_while(|&q| form.nodes[q].repeat == Some(r)).filter(|&q| !matches!(form.nodes[q].kind, QuestionKind::Note | QuestionKind::Group)).collect();
        let name: String = form.nodes[r].label.zh.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(28).collect();
        let sheet = book.add_worksheet().set_name(if name.is_empty() { form.nodes[r].name.clone() } else { name }).map_err(x)?;
        sheet.write_with_format(0, 0, "答卷编号", &bold).map_err(x)?;
        sheet.write_with_format(0, 1, "第几条", &bold).map_err(x)?;
        for (c, &q) in members.iter().enumerate() {
            sheet.write_with_format(0, (c + 2) as u16, format!("{}（{}）", form.nodes[q].label.zh, form.nodes[q].name), &bold).map_err(x)?;
        }
        let mut rr = 1u32;
        for (row, session) in data.responses.iter().zip(&sessions) {
            for k in 0..session.instance_count(&form.nodes[r].name) {
                sheet.write(rr, 0, row.response_id.as_str()).map_err(x)?;
                sheet.write(rr, 1, (k + 1) as f64).map_err(x)?;
                for (c, &q) in members.iter().enumerate() {
                    let col = (c + 2) as u16;
                    match session.item_at(q, Some(k)).as_ref().and_then(|it| item_cell(form, it)) {
                        Some(CellValue::Number(n)) => {
                            sheet.write(rr, col, n).map_err(x)?;
                        }
                        Some(CellValue::Text(t)) => {
                            sheet.write(rr, col, t.as_str()).map_err(x)?;
                        }
                        None => {}
                    }
                }
                rr += 1;
            }
        }
    }
    {
        let t = tabulate(data);
        let sheet = book.add_worksheet().set_name("统计").map_err(x)?;
        let mut rr = 0u32;
        for (c, h) in ["题目", "名称", "题型", "已答", "选项", "次数", "平均", "合计"].iter().enumerate() {
            sheet.write_with_format(rr, c as u16, *h, &bold).map_err(x)?;
        }
        for q in &t.questions {
            rr += 1;
            sheet.write(rr, 0, q.label.as_str()).map_err(x)?;
            sheet.write(rr, 1, q.name.as_str()).map_err(x)?;
            sheet.write(rr, 2, q.kind.label_zh()).map_err(x)?;
            sheet.write(rr, 3, f64::from(q.answered)).map_err(x)?;
            if let (Some(m), Some(s)) = (q.mean, q.sum) {
                sheet.write(rr, 6, m).map_err(x)?;
                sheet.write(rr, 7, s).map_err(x)?;
            }
            for (_, label, n) in &q.frequencies {
                rr += 1;
                sheet.write(rr, 4, label.as_str()).map_err(x)?;
                sheet.write(rr, 5, f64::from(*n)).map_err(x)?;
            }
        }
    }
    book.save_to_buffer().map_err(x)
}
