//! The evaluator's rules, exhaustively: the expression language's defined results, definition checks, skip
//! logic (chains, groups, repeats), constraints and required answers, response validation, and incremental
//! re-evaluation agreeing with evaluation from scratch after every step of long random edit sequences.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::expr::{self, Env, EvalError, ParseError, RefMode, Value};
use super::*;

fn clock() -> FormClock {
    FormClock { today: chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap() }
}

struct NoRefs;

impl Env for NoRefs {
    fn value(&self, _: usize) -> Value {
        Value::Empty
    }
    fn each(&self, _: usize, _: &mut dyn FnMut(&Value)) {}
    fn instances(&self, _: usize) -> usize {
        0
    }
    fn current(&self) -> Value {
        Value::Num(7.0)
    }
    fn today(&self) -> &str {
        "2026-12-02"
    }
}

fn no_refs(name: &str, _: bool) -> Result<(usize, RefMode), String> {
    Err(format!("no {name}"))
}

fn run(src: &str) -> Result<Value, EvalError> {
    let e = expr::parse(src, &mut no_refs).unwrap_or_else(|e| panic!("{src}: {e}"));
    expr::eval(&e, &NoRefs)
}

fn num(n: f64) -> Result<Value, EvalError> {
    Ok(Value::Num(n))
}

fn yes(b: bool) -> Result<Value, EvalError> {
    Ok(Value::Bool(b))
}

#[test]
fn expressions_have_defined_results() {
    let cases: Vec<(&str, Result<Value, EvalError>)> = vec![
        ("1 + 2 * 3", num(7.0)),
        ("(1 + 2) * 3", num(9.0)),
        ("10 div 4", num(2.5)),
        ("10 mod 4", num(2.0)),
        ("-3 + 1", num(-2.0)),
        ("--3", num(3.0)),
        ("1 div 0", Ok(Value::Empty)),
        ("1 mod 0", Ok(Value::Empty)),
        ("0 div 0", Ok(Value::Empty)),
        ("'' + 1", Ok(Value::Empty)),
        ("'2' + 1", num(3.0)),
        (" ' 2.5 ' * 2", num(5.0)),
        ("1 = 1", yes(true)),
        ("1 = '1'", yes(true)),
        ("1 = 'a'", yes(false)),
        ("1 != 'a'", yes(true)),
        ("'a' = 'a'", yes(true)),
        ("'' = ''", yes(true)),
        ("true() = 'x'", yes(true)),
        ("false() = ''", yes(true)),
        ("2 < 10", yes(true)),
        ("'2' < '10'", yes(true)),
        ("'2026-01-05' < '2026-12-02'", yes(true)),
        ("'b' > 'a'", yes(true)),
        ("'' < 3", yes(false)),
        ("'' >= 3", yes(false)),
        ("3 <= 3 and 3 >= 3", yes(true)),
        ("1 = 2 or 2 = 2", yes(true)),
        ("1 = 2 and 1 div 0", yes(false)),
        ("not(1 = 2)", yes(true)),
        ("not('')", yes(true)),
        ("selected('a b c', 'b')", yes(true)),
        ("selected('a b c', 'd')", yes(false)),
        ("selected('', 'a')", yes(false)),
        ("count-selected('a b c')", num(3.0)),
        ("count-selected('')", num(0.0)),
        ("if(1 < 2, 'yes', 'no')", Ok(Value::Str("yes".into()))),
        ("if('', 1, 2)", num(2.0)),
        ("string-length('五级联动')", num(4.0)),
        ("string-length('')", num(0.0)),
        ("concat('第', 3, '组')", Ok(Value::Str("第3组".into()))),
        ("concat(1.5, '')", Ok(Value::Str("1.5".into()))),
        ("int(3.7)", num(3.0)),
        ("int(-3.7)", num(-3.0)),
        ("int('')", Ok(Value::Empty)),
        ("number('12')", num(12.0)),
        ("today()", Ok(Value::Str("2026-12-02".into()))),
        ("today() > '2026-01-01'", yes(true)),
        (". > 5", yes(true)),
        ("true() and not(false())", yes(true)),
    ];
    for (src, want) in cases {
        assert_eq!(run(src), want, "{src}");
    }
    // Type mismatches are typed errors, never a crash or a silent NaN.
    for src in ["'abc' + 1", "true() + 1", "number('abc')", "int('x')", "'abc' < 3", "3 > 'abc'", "true() < 1", "-'x'"] {
        assert!(matches!(run(src), Err(EvalError::TypeMismatch { .. })), "{src}");
    }
    assert!(run("'abc' + 1").unwrap_err().to_string().contains("需要数字"));
}

#[test]
fn bad_expressions_are_refused_when_parsed() {
    let bad = |src: &str| expr::parse(src, &mut no_refs).unwrap_err();
    assert_eq!(bad(""), ParseError::Empty);
    assert_eq!(bad("   "), ParseError::Empty);
    assert_eq!(bad("'abc"), ParseError::UnterminatedString);
    assert_eq!(bad("${a"), ParseError::BadReference);
    assert_eq!(bad("${1a}"), ParseError::BadReference);
    assert_eq!(bad("$a"), ParseError::BadReference);
    assert!(matches!(bad("1 # 2"), ParseError::BadChar { .. }));
    assert!(matches!(bad("1.2.3"), ParseError::BadChar { .. }));
    assert!(matches!(bad("1 2"), ParseError::Unexpected { .. }));
    assert!(matches!(bad("(1 + 2"), ParseError::Unexpected { .. }));
    assert!(matches!(bad("1 +"), ParseError::Unexpected { .. }));
    assert!(matches!(bad("foo"), ParseError::Unexpected { .. }));
    assert_eq!(bad("foo(1)"), ParseError::UnknownFunction("foo".into()));
    assert!(matches!(bad("if(1, 2)"), ParseError::Arity { name: "if", given: 2, .. }));
    assert!(matches!(bad("today(1)"), ParseError::Arity { name: "today", .. }));
    assert!(matches!(bad("sum(3)"), ParseError::Reference(_)));
    assert!(matches!(bad("${x} = 1"), ParseError::Reference(m) if m == "no x"));
    assert_eq!(bad(&"(".repeat(200)), ParseError::TooDeep);
    assert_eq!(bad(&format!("{}1", "-".repeat(100))), ParseError::TooDeep);
    // Long flat chains are not deep.
    let chain = format!("1{}", " + 1".repeat(300));
    assert_eq!(expr::eval(&expr::parse(&chain, &mut no_refs).unwrap(), &NoRefs), num(301.0));
    assert_eq!(bad(&"1".repeat(expr::MAX_SOURCE + 1)), ParseError::TooLong);
    // Messages are Chinese.
    assert!(bad("foo(1)").to_string().contains("未知函数"));
}

// ---- forms used below ----

fn choices(names: &[(&str, &str)]) -> Vec<Choice> {
    names.iter().map(|(n, l)| Choice { name: n.to_string(), label: LocalText::zh(*l) }).collect()
}

fn q(name: &str, kind: QuestionKind) -> Question {
    Question::new(name, kind, &format!("题目{name}"))
}

fn with(mut question: Question, f: impl FnOnce(&mut Question)) -> Question {
    f(&mut question);
    question
}

fn form(questions: Vec<Question>) -> FormDef {
    let mut lists = BTreeMap::new();
    lists.insert("yn".to_string(), choices(&[("yes", "是"), ("no", "否")]));
    lists.insert("needs".to_string(), choices(&[("water", "饮水"), ("road", "道路"), ("school", "上学")]));
    FormDef { form_id: "t".into(), version: 1, title: LocalText::zh("测试"), questions, choice_lists: lists, target: FormTarget::default() }
}

fn compile(def: FormDef) -> Arc<CompiledForm> {
    Arc::new(CompiledForm::compile(def).unwrap_or_else(|e| panic!("{e:?}")))
}

fn compile_err(def: FormDef) -> Vec<DefError> {
    CompiledForm::compile(def).expect_err("must be refused")
}

fn sel(c: &str) -> Option<AnswerValue> {
    Some(AnswerValue::Choice(c.into()))
}

fn int(n: i64) -> Option<AnswerValue> {
    Some(AnswerValue::Integer(n))
}

#[test]
fn definitions_with_mistakes_are_refused_naming_the_question_and_reason() {
    let one = |questions: Vec<Question>| {
        let errs = compile_err(form(questions));
        (errs[0].question.clone(), errs[0].field, errs[0].reason.clone(), errs[0].to_string())
    };
    let (qn, field, reason, shown) = one(vec![q("a", QuestionKind::Integer), q("a", QuestionKind::Text)]);
    assert_eq!((qn.as_str(), field, reason.as_str()), ("a", "name", "名称重复"));
    assert_eq!(shown, "题目「a」的 name 名称重复");
    assert_eq!(one(vec![q("1a", QuestionKind::Text)]).1, "name");
    assert_eq!(one(vec![q("s", QuestionKind::SelectOne)]).2, "单选/多选题须指定选项列表");
    assert_eq!(one(vec![with(q("s", QuestionKind::SelectOne), |x| x.choices = Some("nope".into()))]).2, "找不到选项列表「nope」");
    assert_eq!(one(vec![with(q("t", QuestionKind::Text), |x| x.choices = Some("yn".into()))]).1, "choices");
    let (_, field, reason, _) = one(vec![with(q("a", QuestionKind::Text), |x| x.relevant = Some("${zz} = 1".into()))]);
    assert_eq!(field, "relevant");
    assert!(reason.contains("不存在的题目 ${zz}"), "{reason}");
    let (_, field, reason, _) = one(vec![with(q("a", QuestionKind::Integer), |x| x.constraint = Some(". > ".into()))]);
    assert_eq!(field, "constraint");
    assert!(reason.starts_with("表达式有误"), "{reason}");
    assert!(one(vec![with(q("a", QuestionKind::Integer), |x| x.relevant = Some(". > 1".into()))]).2.contains("只能用在约束"));
    assert_eq!(one(vec![q("c", QuestionKind::Calculate)]).1, "calculation");
    assert_eq!(one(vec![with(q("n", QuestionKind::Note), |x| x.required = true)]).1, "required");
    assert_eq!(one(vec![with(q("n", QuestionKind::Note), |x| x.constraint = Some("1".into()))]).1, "constraint");
    assert_eq!(one(vec![q("g", QuestionKind::Group)]).1, "type");
    assert_eq!(one(vec![with(q("i", QuestionKind::Integer), |x| x.children = vec![q_text("x")])]).1, "type");
    assert_eq!(one(vec![with(q("i", QuestionKind::Integer), |x| x.calculation = Some("1".into()))]).1, "calculation");
    assert_eq!(one(vec![with(q("r", QuestionKind::Repeat), |x| x.children = vec![with(q_text("rr"), |x| { x.kind = QuestionKind::Repeat; x.children = vec![q_text("x")] })])]).2, "不支持重复组里再套重复组");
    assert_eq!(one(vec![with(q("r", QuestionKind::Repeat), |x| { x.children = vec![q_text("x")]; x.max_instances = Some(0) })]).1, "repeat_count");
    assert_eq!(one(vec![]).1, "survey");
    let (_, _, reason, _) = one(vec![
        with(q("r", QuestionKind::Repeat), |x| x.children = vec![q("age", QuestionKind::Integer)]),
        with(q("x", QuestionKind::Integer), |x| x.relevant = Some("${age} > 1".into())),
    ]);
    assert!(reason.contains("sum() 或 count()"), "{reason}");
    let (_, _, reason, _) = one(vec![
        q("top", QuestionKind::Integer),
        with(q("c", QuestionKind::Calculate), |x| x.calculation = Some("sum(${top})".into())),
    ]);
    assert!(reason.contains("不在重复组里"), "{reason}");
    let (_, _, reason, _) = one(vec![
        with(q("g", QuestionKind::Group), |x| x.children = vec![q_text("x")]),
        with(q("y", QuestionKind::Text), |x| x.relevant = Some("${g} = 1".into())),
    ]);
    assert!(reason.contains("不能引用分组"), "{reason}");
    let (_, _, reason, _) = one(vec![
        with(q("r", QuestionKind::Repeat), |x| x.children = vec![q_text("x")]),
        with(q("y", QuestionKind::Text), |x| x.relevant = Some("${r} = 1".into())),
    ]);
    assert!(reason.contains("只能用在 count()"), "{reason}");
    // Bad form-level fields and choice lists.
    let mut def = form(vec![q_text("x")]);
    def.form_id = "a b".into();
    def.version = 0;
    def.choice_lists.insert("empty".into(), vec![]);
    def.choice_lists.insert("dup".into(), choices(&[("a", "甲"), ("a", "乙"), ("b c", "丙")]));
    let fields: Vec<&str> = compile_err(def).iter().map(|e| e.field).collect();
    assert_eq!(fields, vec!["form_id", "version", "choices", "choices", "choices"]);
}

fn q_text(name: &str) -> Question {
    q(name, QuestionKind::Text)
}

#[test]
fn calculation_and_skip_cycles_are_refused_when_compiled() {
    let calc = |name: &str, src: &str| with(q(name, QuestionKind::Calculate), |x| x.calculation = Some(src.into()));
    let errs = compile_err(form(vec![calc("a", "${b} + 1"), calc("b", "${a} + 1")]));
    assert_eq!(errs.len(), 1);
    assert!(errs[0].reason.contains("循环") && errs[0].reason.contains('a') && errs[0].reason.contains('b'), "{}", errs[0]);
    let errs = compile_err(form(vec![calc("a", "${a} + 1")]));
    assert!(errs[0].reason.contains("循环"));
    // Through visibility: x shown when y says so, y computed from x.
    let errs = compile_err(form(vec![with(q("x", QuestionKind::Integer), |x| x.relevant = Some("${y} > 1".into())), calc("y", "${x} * 2")]));
    assert!(errs[0].reason.contains("循环"));
    // Through a group: a question inside the group decides the group's visibility.
    let errs = compile_err(form(vec![with(q("g", QuestionKind::Group), |x| {
        x.relevant = Some("${inner} = 1".into());
        x.children = vec![q("inner", QuestionKind::Integer)];
    })]));
    assert!(errs[0].reason.contains("循环"));
    // Constraints may read each other: they feed nothing, so no cycle.
    compile(form(vec![
        with(q("lo", QuestionKind::Integer), |x| x.constraint = Some(". <= ${hi}".into())),
        with(q("hi", QuestionKind::Integer), |x| x.constraint = Some(". >= ${lo}".into())),
    ]));
}

/// a (yes/no) → b shown when a = yes → c shown when b > 5; d in a group shown when a = yes; e required.
fn chain_form() -> Arc<CompiledForm> {
    compile(form(vec![
        with(q("a", QuestionKind::SelectOne), |x| x.choices = Some("yn".into())),
        with(q("b", QuestionKind::Integer), |x| {
            x.relevant = Some("${a} = 'yes'".into());
            x.required = true;
            x.constraint = Some(". >= 0 and . <= 120".into());
            x.constraint_message = Some(LocalText::zh("须在 0 到 120 之间"));
        }),
        with(q("c", QuestionKind::Text), |x| {
            x.relevant = Some("${b} > 5".into());
            x.required = true;
        }),
        with(q("g", QuestionKind::Group), |x| {
            x.relevant = Some("selected(${a}, 'yes')".into());
            x.children = vec![
                with(q("d", QuestionKind::Integer), |x| x.required = true),
                with(q("g2", QuestionKind::Group), |x| x.children = vec![q_text("deep")]),
            ];
        }),
        with(q("e", QuestionKind::Date), |x| {
            x.required = true;
            x.constraint = Some(". <= today()".into());
            x.constraint_message = Some(LocalText::zh("不能晚于今天"));
        }),
        with(q("twice", QuestionKind::Calculate), |x| x.calculation = Some("${b} * 2".into())),
        with(q("note", QuestionKind::Note), |x| x.relevant = Some("${twice} > 100".into())),
    ]))
}

fn visible(s: &FormSession, name: &str) -> bool {
    s.item(name, None).unwrap().visible
}

fn problem(s: &FormSession, name: &str, instance: Option<u32>) -> Option<&'static str> {
    s.item(name, instance).unwrap().problem.as_ref().map(Problem::code)
}

#[test]
fn skip_logic_chains_through_questions_and_groups() {
    let f = chain_form();
    let mut s = FormSession::new(Arc::clone(&f), &Answers::default(), clock());
    // Nothing answered: only a, e (and the calculation's item) show; hidden required questions are not missing.
    let shown: Vec<&str> = ["a", "b", "c", "g", "d", "g2", "deep", "e", "twice", "note"].into_iter().filter(|n| visible(&s, n)).collect();
    assert_eq!(shown, vec!["a", "e", "twice"]);
    assert_eq!(problem(&s, "b", None), None);
    assert_eq!(problem(&s, "e", None), Some("required"));
    // a = yes: b, the group and everything inside it show.
    s.set_answer("a", None, sel("yes")).unwrap();
    for n in ["b", "g", "d", "g2", "deep"] {
        assert!(visible(&s, n), "{n}");
    }
    assert!(!visible(&s, "c"));
    assert_eq!(problem(&s, "b", None), Some("required"));
    assert_eq!(problem(&s, "d", None), Some("required"));
    // b = 10 shows c, computes twice = 20; b = 60 shows the note.
    s.set_answer("b", None, int(10)).unwrap();
    assert!(visible(&s, "c"));
    assert_eq!(s.item("twice", None).unwrap().value, Value::Num(20.0));
    assert!(!visible(&s, "note"));
    let changed = s.set_answer("b", None, int(60)).unwrap();
    assert_eq!(changed[0], (f.index("b").unwrap(), None));
    assert!(changed.contains(&(f.index("note").unwrap(), None)) && changed.contains(&(f.index("twice").unwrap(), None)));
    assert!(visible(&s, "note"));
    // b = 3: c hides again (its answer is kept but ignored).
    s.set_answer("c", None, Some(AnswerValue::Text("说明".into()))).unwrap();
    s.set_answer("b", None, int(3)).unwrap();
    assert!(!visible(&s, "c"));
    assert_eq!(s.item("c", None).unwrap().value, Value::Empty);
    assert_eq!(s.item("c", None).unwrap().answer, Some(AnswerValue::Text("说明".into())));
    // a = no hides b, and so c, the group and the note (their values empty for whoever reads them).
    s.set_answer("b", None, int(100)).unwrap();
    assert!(visible(&s, "c") && visible(&s, "note"));
    s.set_answer("a", None, sel("no")).unwrap();
    for n in ["b", "c", "g", "d", "g2", "deep", "note"] {
        assert!(!visible(&s, n), "{n}");
    }
    assert_eq!(s.item("twice", None).unwrap().value, Value::Empty);
    // Clearing a brings nothing back.
    s.set_answer("a", None, None).unwrap();
    assert!(!visible(&s, "b"));
    // What is submitted leaves hidden answers out; the draft keeps them.
    assert!(s.answers().values.contains_key("c"));
    assert!(!s.visible_answers().values.contains_key("c") && !s.visible_answers().values.contains_key("b"));
}

#[test]
fn constraints_and_required_answers() {
    let f = chain_form();
    let mut s = FormSession::new(Arc::clone(&f), &Answers::default(), clock());
    s.set_answer("a", None, sel("yes")).unwrap();
    for (value, want) in [(-1, Some("constraint")), (0, None), (120, None), (121, Some("constraint")), (50, None)] {
        s.set_answer("b", None, int(value)).unwrap();
        assert_eq!(problem(&s, "b", None), want, "b = {value}");
    }
    s.set_answer("b", None, int(500)).unwrap();
    let item = s.item("b", None).unwrap();
    assert_eq!(item.problem, Some(Problem::Constraint { message: "须在 0 到 120 之间".into() }));
    // Dates against today(), from the caller's clock.
    for (date, want) in [("2026-12-02", None), ("2026-12-03", Some("constraint")), ("2025-01-01", None)] {
        s.set_answer("e", None, Some(AnswerValue::Date(date.into()))).unwrap();
        assert_eq!(problem(&s, "e", None), want, "{date}");
    }
    let later = FormSession::new(Arc::clone(&f), &s.answers(), FormClock { today: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).unwrap() });
    assert_eq!(later.item("e", None).unwrap().problem, None);
    // Wrong types and impossible values are refused and change nothing.
    let before = s.evaluation();
    assert_eq!(s.set_answer("b", None, Some(AnswerValue::Text("5".into()))), Err(Problem::WrongType { expected: QuestionKind::Integer }));
    assert_eq!(s.set_answer("a", None, sel("maybe")), Err(Problem::InvalidChoice { value: "maybe".into() }));
    assert!(matches!(s.set_answer("e", None, Some(AnswerValue::Date("2026-13-01".into()))), Err(Problem::InvalidValue { .. })));
    assert!(matches!(s.set_answer("e", None, Some(AnswerValue::Date("2026-1-01".into()))), Err(Problem::InvalidValue { .. })));
    assert_eq!(s.set_answer("twice", None, int(1)), Err(Problem::NotAnswerable));
    assert_eq!(s.set_answer("note", None, None), Err(Problem::NotAnswerable));
    assert_eq!(s.set_answer("zz", None, None), Err(Problem::UnknownQuestion));
    assert_eq!(s.set_answer("b", Some(0), int(1)), Err(Problem::Misplaced));
    assert_eq!(s.evaluation(), before);
    // A constraint reading another answer is re-checked when that answer changes.
    let f = compile(form(vec![
        q("total", QuestionKind::Integer),
        with(q("part", QuestionKind::Integer), |x| {
            x.constraint = Some(". <= ${total}".into());
            x.constraint_message = Some(LocalText::zh("不能超过总数"));
        }),
    ]));
    let mut s = FormSession::new(f, &Answers::default(), clock());
    s.set_answer("total", None, int(10)).unwrap();
    s.set_answer("part", None, int(8)).unwrap();
    assert_eq!(problem(&s, "part", None), None);
    let changed = s.set_answer("total", None, int(5)).unwrap();
    assert_eq!(problem(&s, "part", None), Some("constraint"));
    assert_eq!(changed.len(), 2);
    s.set_answer("total", None, None).unwrap();
    assert_eq!(problem(&s, "part", None), Some("constraint"), "a comparison with an empty answer is false (as in XPath), not an error");
    s.set_answer("part", None, None).unwrap();
    assert_eq!(problem(&s, "part", None), None, "an unanswered question's constraint is not checked");
}

#[test]
fn each_answer_type_is_checked() {
    let f = compile(form(vec![
        q_text("t"),
        q("i", QuestionKind::Integer),
        q("dec", QuestionKind::Decimal),
        with(q("one", QuestionKind::SelectOne), |x| x.choices = Some("yn".into())),
        with(q("many", QuestionKind::SelectMultiple), |x| x.choices = Some("needs".into())),
        q("d", QuestionKind::Date),
        q("p", QuestionKind::Geopoint),
        q("img", QuestionKind::Image),
    ]));
    let mut s = FormSession::new(f, &Answers::default(), clock());
    let geo = |lat: f64, lon: f64, acc: f64| Some(AnswerValue::Geopoint(GeoAnswer { lat, lon, accuracy_m: acc }));
    let ok: Vec<(&str, Option<AnswerValue>)> = vec![
        ("t", Some(AnswerValue::Text("多行\n文字".into()))),
        ("i", int(-3)),
        ("dec", Some(AnswerValue::Decimal(2.5))),
        ("dec", int(2)),
        ("one", sel("no")),
        ("many", Some(AnswerValue::Choices(vec!["road".into(), "water".into()]))),
        ("d", Some(AnswerValue::Date("2024-02-29".into()))),
        ("p", geo(28.16, 104.51, 12.0)),
        ("img", Some(AnswerValue::Image("0f".repeat(32)))),
    ];
    for (name, a) in ok {
        assert!(s.set_answer(name, None, a.clone()).is_ok(), "{name} {a:?}");
    }
    assert_eq!(s.item("many", None).unwrap().value, Value::Str("road water".into()));
    let bad: Vec<(&str, AnswerValue, &str)> = vec![
        ("t", AnswerValue::Text("x".repeat(2001)), "invalid_value"),
        ("t", AnswerValue::Text("a\u{0}b".into()), "invalid_value"),
        ("t", AnswerValue::Integer(1), "wrong_type"),
        ("i", AnswerValue::Decimal(1.5), "wrong_type"),
        ("dec", AnswerValue::Decimal(f64::NAN), "invalid_value"),
        ("one", AnswerValue::Choices(vec!["yes".into()]), "wrong_type"),
        ("many", AnswerValue::Choices(vec![]), "invalid_value"),
        ("many", AnswerValue::Choices(vec!["road".into(), "road".into()]), "invalid_value"),
        ("many", AnswerValue::Choices(vec!["fly".into()]), "invalid_choice"),
        ("d", AnswerValue::Date("2025-02-29".into()), "invalid_value"),
        ("d", AnswerValue::Text("2025-02-01".into()), "wrong_type"),
        ("p", AnswerValue::Geopoint(GeoAnswer { lat: 91.0, lon: 0.0, accuracy_m: 1.0 }), "invalid_value"),
        ("p", AnswerValue::Geopoint(GeoAnswer { lat: 1.0, lon: 0.0, accuracy_m: -1.0 }), "invalid_value"),
        ("img", AnswerValue::Image("AB".repeat(32)), "invalid_value"),
        ("img", AnswerValue::Image("ab".into()), "invalid_value"),
    ];
    for (name, a, code) in bad {
        assert_eq!(s.set_answer(name, None, Some(a.clone())).unwrap_err().code(), code, "{name} {a:?}");
    }
}

/// A household roster: members (name, age, is_student shown for ages 6–18, school required when shown),
/// totals outside (count, sum of ages, adults), and a question shown only when someone is over 80.
fn roster_form() -> Arc<CompiledForm> {
    compile(form(vec![
        with(q("members", QuestionKind::Repeat), |x| {
            x.relevant = Some("${has_members} = 'yes'".into());
            x.max_instances = Some(150);
            x.children = vec![
                with(q_text("name"), |x| x.required = true),
                with(q("age", QuestionKind::Integer), |x| {
                    x.constraint = Some(". >= 0 and . <= 130".into());
                }),
                with(q("student", QuestionKind::SelectOne), |x| {
                    x.choices = Some("yn".into());
                    x.relevant = Some("${age} >= 6 and ${age} <= 18".into());
                }),
                with(q_text("school"), |x| {
                    x.relevant = Some("${student} = 'yes' and ${has_members} = 'yes'".into());
                    x.required = true;
                }),
                with(q("adult", QuestionKind::Calculate), |x| x.calculation = Some("if(${age} >= 18, 1, 0)".into())),
            ];
        }),
        with(q("has_members", QuestionKind::SelectOne), |x| x.choices = Some("yn".into())),
        with(q("n", QuestionKind::Calculate), |x| x.calculation = Some("count(${members})".into())),
        with(q("total_age", QuestionKind::Calculate), |x| x.calculation = Some("sum(${age})".into())),
        with(q("adults", QuestionKind::Calculate), |x| x.calculation = Some("sum(${adult})".into())),
        with(q("elderly_care", QuestionKind::Text), |x| x.relevant = Some("sum(${age}) > 0 and count(${name}) > 0 and ${total_age} div ${n} > 80".into())),
        with(q("declared", QuestionKind::Integer), |x| {
            x.constraint = Some(". = count(${members})".into());
            x.constraint_message = Some(LocalText::zh("人数与名单不符"));
        }),
    ]))
}

#[test]
fn repeats_evaluate_per_instance_and_aggregate_outside() {
    let f = roster_form();
    let mut s = FormSession::new(Arc::clone(&f), &Answers::default(), clock());
    assert_eq!(s.item("n", None).unwrap().value, Value::Num(0.0));
    s.set_answer("has_members", None, sel("yes")).unwrap();
    for (k, (name, age)) in [("张大", 45), ("张小", 12), ("张老", 86)].into_iter().enumerate() {
        let (i, _) = s.add_instance("members").unwrap();
        assert_eq!(i as usize, k);
        s.set_answer("name", Some(i), Some(AnswerValue::Text(name.into()))).unwrap();
        s.set_answer("age", Some(i), int(age)).unwrap();
    }
    assert_eq!(s.item("n", None).unwrap().value, Value::Num(3.0));
    assert_eq!(s.item("total_age", None).unwrap().value, Value::Num(143.0));
    assert_eq!(s.item("adults", None).unwrap().value, Value::Num(2.0));
    // Per instance: only the 12-year-old is asked about school.
    assert_eq!([0, 1, 2].map(|k| s.item("student", Some(k)).unwrap().visible), [false, true, false]);
    s.set_answer("student", Some(1), sel("yes")).unwrap();
    assert_eq!(problem(&s, "school", Some(1)), Some("required"));
    assert_eq!(problem(&s, "school", Some(0)), None);
    // A constraint counting the roster.
    s.set_answer("declared", None, int(3)).unwrap();
    assert_eq!(problem(&s, "declared", None), None);
    // Removing the 45-year-old: counts, sums and the average-age question follow; the student moves up.
    let changed = s.remove_instance("members", 0).unwrap();
    assert!(changed.contains(&(f.index("n").unwrap(), None)));
    assert_eq!(s.item("n", None).unwrap().value, Value::Num(2.0));
    assert_eq!(s.item("total_age", None).unwrap().value, Value::Num(98.0));
    assert_eq!(problem(&s, "declared", None), Some("constraint"));
    assert!(!visible(&s, "elderly_care"));
    s.set_answer("age", Some(0), int(80)).unwrap();
    assert!(visible(&s, "elderly_care"), "average (80 + 86) / 2 = 83");
    assert_eq!(problem(&s, "school", Some(0)), None, "no longer 6–18: hidden");
    // Hiding the whole roster hides every instance's questions; their values leave the sums.
    s.set_answer("has_members", None, sel("no")).unwrap();
    assert!(!s.item("name", Some(0)).unwrap().visible);
    assert_eq!(s.item("total_age", None).unwrap().value, Value::Num(0.0));
    assert_eq!(s.item("n", None).unwrap().value, Value::Num(2.0), "count() counts entries, shown or not");
    // Instances beyond the repeat's limit, and missing instances.
    assert_eq!(s.set_answer("age", Some(9), int(1)), Err(Problem::NoSuchInstance));
    assert_eq!(s.set_answer("age", None, int(1)), Err(Problem::Misplaced));
    assert_eq!(s.remove_instance("members", 5), Err(Problem::NoSuchInstance));
    assert_eq!(s.add_instance("n"), Err(Problem::Misplaced));
    for _ in 2..150 {
        s.add_instance("members").unwrap();
    }
    assert_eq!(s.add_instance("members"), Err(Problem::TooManyInstances { max: 150 }));
}

#[test]
fn an_expression_that_cannot_be_evaluated_is_a_problem_not_a_crash() {
    let f = compile(form(vec![
        q_text("t"),
        with(q("calc", QuestionKind::Calculate), |x| x.calculation = Some("${t} + 1".into())),
        with(q("shown", QuestionKind::Integer), |x| x.relevant = Some("${t} > 3".into())),
        with(q("ratio", QuestionKind::Calculate), |x| x.calculation = Some("10 div ${z}".into())),
        q("z", QuestionKind::Integer),
    ]));
    let mut s = FormSession::new(Arc::clone(&f), &Answers::default(), clock());
    s.set_answer("t", None, Some(AnswerValue::Text("五".into()))).unwrap();
    assert_eq!(problem(&s, "calc", None), Some("evaluation"));
    assert_eq!(s.item("calc", None).unwrap().value, Value::Empty);
    let shown = s.item("shown", None).unwrap();
    assert!(shown.visible && shown.problem.as_ref().is_some_and(|p| p.code() == "evaluation"), "shown when its condition fails");
    s.set_answer("t", None, Some(AnswerValue::Text("5".into()))).unwrap();
    assert_eq!(s.item("calc", None).unwrap().value, Value::Num(6.0));
    assert_eq!(problem(&s, "calc", None), None);
    s.set_answer("z", None, int(0)).unwrap();
    assert_eq!((s.item("ratio", None).unwrap().value, problem(&s, "ratio", None)), (Value::Empty, None), "divide by zero: empty");
    s.set_answer("z", None, int(4)).unwrap();
    assert_eq!(s.item("ratio", None).unwrap().value, Value::Num(2.5));
    // The server refuses such a response, naming the question.
    let mut answers = Answers::default();
    answers.values.insert("t".into(), AnswerValue::Text("五".into()));
    let errs = validate_response(&f, &answers, clock()).unwrap_err();
    assert!(errs.iter().any(|e| e.question == "calc" && e.problem.code() == "evaluation"), "{errs:?}");
}

#[test]
fn responses_are_validated_with_typed_chinese_errors() {
    let f = chain_form();
    let mut answers = Answers::default();
    // Complete and right.
    answers.values.insert("a".into(), AnswerValue::Choice("yes".into()));
    answers.values.insert("b".into(), AnswerValue::Integer(30));
    answers.values.insert("c".into(), AnswerValue::Text("情况".into()));
    answers.values.insert("d".into(), AnswerValue::Integer(2));
    answers.values.insert("e".into(), AnswerValue::Date("2026-11-30".into()));
    assert_eq!(validate_response(&f, &answers, clock()), Ok(()));
    let codes = |a: &Answers| -> Vec<(String, &'static str)> {
        validate_response(&f, a, clock()).unwrap_err().into_iter().map(|e| (e.question, e.problem.code())).collect()
    };
    // An answer to a question hidden by a = no; a missing required; a broken constraint.
    let mut a2 = answers.clone();
    a2.values.insert("a".into(), AnswerValue::Choice("no".into()));
    a2.values.remove("e");
    assert_eq!(
        codes(&a2),
        vec![("b".into(), "not_relevant"), ("c".into(), "not_relevant"), ("d".into(), "not_relevant"), ("e".into(), "required")]
    );
    let mut a3 = answers.clone();
    a3.values.insert("b".into(), AnswerValue::Integer(130));
    let errs = validate_response(&f, &a3, clock()).unwrap_err();
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].to_string(), "「题目b」：须在 0 到 120 之间");
    // Structural problems are reported before anything is evaluated.
    let mut a4 = answers.clone();
    a4.values.insert("zz".into(), AnswerValue::Integer(1));
    a4.values.insert("twice".into(), AnswerValue::Integer(1));
    a4.values.insert("b".into(), AnswerValue::Text("30".into()));
    a4.repeats.insert("a".into(), vec![RepeatInstance::default()]);
    assert_eq!(
        codes(&a4),
        vec![("b".into(), "wrong_type"), ("twice".into(), "not_answerable"), ("zz".into(), "unknown_question"), ("a".into(), "unknown_question")]
    );
    let errs = validate_response(&f, &a4, clock()).unwrap_err();
    assert_eq!(errs[0].to_string(), "「题目b」：答案类型不对：此题要的是整数");
    assert!(errs.iter().all(|e| !e.problem.message_en().is_empty()));

    // Repeats: per-instance errors name the entry (shown from 1).
    let f = roster_form();
    let mut r = Answers::default();
    r.values.insert("has_members".into(), AnswerValue::Choice("yes".into()));
    let member = |name: Option<&str>, age: i64| RepeatInstance {
        values: name
            .map(|n| ("name".to_string(), AnswerValue::Text(n.into())))
            .into_iter()
            .chain([("age".to_string(), AnswerValue::Integer(age))])
            .collect(),
    };
    r.repeats.insert("members".into(), vec![member(Some("甲"), 40), member(None, 200)]);
    let errs = validate_response(&f, &r, clock()).unwrap_err();
    let shown: Vec<String> = errs.iter().map(ToString::to_string).collect();
    assert_eq!(shown, vec!["「题目name」（第 2 条）：此题必须回答", "「题目age」（第 2 条）：答案不符合要求"]);
    assert_eq!(errs[0].instance, Some(1));
    r.repeats.insert("members".into(), vec![member(Some("甲"), 40); 151]);
    assert_eq!(validate_response(&f, &r, clock()).unwrap_err()[0].problem, Problem::TooManyInstances { max: 150 });
    r.repeats.insert("members".into(), vec![RepeatInstance { values: [("has_members".to_string(), AnswerValue::Choice("yes".into()))].into() }]);
    assert_eq!(validate_response(&f, &r, clock()).unwrap_err()[0].problem, Problem::Misplaced);
    let mut top_level_member = Answers::default();
    top_level_member.values.insert("age".into(), AnswerValue::Integer(3));
    assert_eq!(validate_response(&f, &top_level_member, clock()).unwrap_err()[0].problem, Problem::Misplaced);
    // A hidden roster's entries are answers to hidden questions.
    let mut hidden = Answers::default();
    hidden.values.insert("has_members".into(), AnswerValue::Choice("no".into()));
    hidden.repeats.insert("members".into(), vec![member(Some("甲"), 40)]);
    let codes: Vec<&str> = validate_response(&f, &hidden, clock()).unwrap_err().iter().map(|e| e.problem.code()).collect();
    assert_eq!(codes, vec!["not_relevant", "not_relevant"]);
}

#[test]
fn evaluate_form_lists_every_item_in_order_with_instances() {
    let f = roster_form();
    let mut a = Answers::default();
    a.values.insert("has_members".into(), AnswerValue::Choice("yes".into()));
    a.repeats.insert(
        "members".into(),
        vec![RepeatInstance { values: [("age".to_string(), AnswerValue::Integer(10))].into() }, RepeatInstance::default()],
    );
    let e = evaluate_form(&f, &a, clock());
    let names: Vec<String> =
        e.items.iter().map(|i| format!("{}{}", i.name, i.instance.map(|k| format!("#{k}")).unwrap_or_default())).collect();
    assert_eq!(
        names,
        vec![
            "members", "name#0", "age#0", "student#0", "school#0", "adult#0", "name#1", "age#1", "student#1", "school#1", "adult#1",
            "has_members", "n", "total_age", "adults", "elderly_care", "declared"
        ]
    );
    assert!(e.item("student", Some(0)).unwrap().visible);
    assert!(!e.item("student", Some(1)).unwrap().visible);
    assert_eq!(e.problems().map(|i| i.name.as_str()).collect::<Vec<_>>(), vec!["name", "name"]);
}

/// A small deterministic generator (no dependency): xorshift.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn incremental_re_evaluation_agrees_with_evaluation_from_scratch() {
    for (f, seed) in [(roster_form(), 7u64), (chain_form(), 11), (roster_form(), 99), (chain_form(), 12345)] {
        let mut rng = Rng(seed);
        let mut s = FormSession::new(Arc::clone(&f), &Answers::default(), clock());
        for step in 0..600 {
            let n = s.instance_count("members") as u64;
            match rng.next(10) {
                0 if f.index("members").is_some() => {
                    let _ = s.add_instance("members");
                }
                1 if n > 0 => {
                    s.remove_instance("members", rng.next(n) as u32).unwrap();
                }
                _ => {
                    let answerable: Vec<usize> = (0..f.nodes.len()).filter(|&i| f.nodes[i].kind.is_answerable()).collect();
                    let i = answerable[rng.next(answerable.len() as u64) as usize];
                    let node = &f.nodes[i];
                    let instance = match node.repeat {
                        None => None,
                        Some(_) if n == 0 => continue,
                        Some(_) => Some(rng.next(n) as u32),
                    };
                    let answer = match rng.next(6) {
                        0 => None,
                        _ => Some(match node.kind {
                            QuestionKind::Integer => AnswerValue::Integer(rng.next(140) as i64 - 5),
                            QuestionKind::SelectOne => AnswerValue::Choice(if rng.next(3) == 0 { "no" } else { "yes" }.into()),
                            QuestionKind::Date => AnswerValue::Date(format!("2026-12-0{}", 1 + rng.next(5))),
                            _ => AnswerValue::Text(["", "5", "五", "甲"][rng.next(4) as usize].into()),
                        }),
                    };
                    s.set_answer(&node.name, instance, answer).unwrap();
                }
            }
            let fresh = FormSession::new(Arc::clone(&f), &s.answers(), clock());
            assert_eq!(s.evaluation(), fresh.evaluation(), "seed {seed}, step {step}");
        }
    }
}

#[test]
fn definitions_round_trip_as_json_and_serve_labels_in_both_languages() {
    let def = chain_form().def.clone();
    let json = serde_json::to_string(&def).unwrap();
    assert_eq!(serde_json::from_str::<FormDef>(&json).unwrap(), def);
    let t = LocalText { zh: "村名".into(), en: Some("Village".into()) };
    assert_eq!((t.get("zh-CN"), t.get("en-US")), ("村名", "Village"));
    assert_eq!(LocalText::zh("村名").get("en"), "村名");
    // Integers on the wire may be written as whole floats.
    let a: AnswerValue = serde_json::from_str(r#"{"type":"integer","value":3.0}"#).unwrap();
    assert_eq!(a, AnswerValue::Integer(3));
    assert!(serde_json::from_str::<AnswerValue>(r#"{"type":"integer","value":3.5}"#).is_err());
    let target = FormTarget { node_id: None, roles: vec![crate::model::Role::GridWorker], household_tags: vec!["低保".into()] };
    assert!(target.admits_role(crate::model::Role::GridWorker) && !target.admits_role(crate::model::Role::LiaisonHead));
    assert!(target.admits_household(&["低保".into(), "残疾".into()]) && !target.admits_household(&[]));
    assert!(FormTarget::default().admits_role(crate::model::Role::LiaisonHead));
    assert_eq!(FormClock::china_at_ms(1_764_694_800_000).today.to_string(), "2025-12-03", "17:00 UTC is the next day in China");
}
