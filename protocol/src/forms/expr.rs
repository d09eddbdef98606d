//! The form expression language: the part of XLSForm's XPath a county uses in `relevant`, `constraint` and
//! `calculation` — `${name}`, `.` (the answer being checked), numbers and 'strings', `+ - * div mod`,
//! `= != < <= > >=`, `and or not()`, and the functions `selected()`, `count-selected()`, `if()`,
//! `string-length()`, `concat()`, `sum()`, `count()`, `today()`, `int()`, `number()`, `true()`, `false()`.
//!
//! Parsed once into an [`Expr`] whose references are already resolved to question indices, then evaluated
//! in Rust with a defined result for every input: an unanswered question is [`Value::Empty`]; arithmetic
//! with an empty operand is empty; division or `mod` by zero is empty; a text that is not a number used as
//! one, or a yes/no used as a number, is [`EvalError::TypeMismatch`]. There are no loops and no user
//! functions, and calculation cycles are refused when the form is compiled, so evaluation always ends.

use std::fmt;

/// Longest expression source accepted, in characters.
pub const MAX_SOURCE: usize = 2_000;
/// Deepest nesting of operators, parentheses and calls accepted (keeps evaluation's recursion bounded).
pub const MAX_DEPTH: usize = 48;

/// A value while evaluating.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Not answered (or hidden, or a result left undefined such as a division by zero).
    Empty,
    Num(f64),
    Str(String),
    Bool(bool),
}

impl Value {
    /// XPath truthiness: a non-empty text, a non-zero number, true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Empty => false,
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Str(s) => !s.is_empty(),
            Value::Bool(b) => *b,
        }
    }

    /// Whether it is empty (no answer, or empty text).
    pub fn is_empty(&self) -> bool {
        matches!(self, Value::Empty) || matches!(self, Value::Str(s) if s.is_empty())
    }

    /// The value as text (`concat`, `selected`): numbers without a needless `.0`, yes/no as `true`/`false`.
    pub fn as_text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Num(n) => format_number(*n),
            Value::Str(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
        }
    }

    /// The value as a number: `Ok(None)` for empty, a type error for a non-numeric text or a yes/no.
    pub fn as_number(&self) -> Result<Option<f64>, EvalError> {
        match self {
            Value::Empty => Ok(None),
            Value::Num(n) => Ok(Some(*n)),
            Value::Str(s) if s.trim().is_empty() => Ok(None),
            Value::Str(s) => match s.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Ok(Some(n)),
                _ => Err(EvalError::TypeMismatch { expected: "数字", found: describe_text(s) }),
            },
            Value::Bool(_) => Err(EvalError::TypeMismatch { expected: "数字", found: "是/否".into() }),
        }
    }

    fn numeric(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            _ => None,
        }
    }
}

fn describe_text(s: &str) -> String {
    let short: String = s.chars().take(12).collect();
    format!("文字「{short}」")
}

/// A number as text: whole numbers without a fraction, others in the shortest exact form.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A typed evaluation error (never a crash).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// 类型不符: e.g. a text that is not a number used in arithmetic.
    #[error("表达式无法计算：需要{expected}，得到的是{found}")]
    TypeMismatch { expected: &'static str, found: String },
}

/// Why an expression's source is refused (at definition time).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("表达式为空")]
    Empty,
    #[error("表达式太长（最多 {MAX_SOURCE} 个字符）")]
    TooLong,
    #[error("表达式嵌套太深（最多 {MAX_DEPTH} 层）")]
    TooDeep,
    #[error("第 {at} 个字符处有无法识别的符号「{what}」")]
    BadChar { at: usize, what: String },
    #[error("字符串没有结束引号")]
    UnterminatedString,
    #[error("引用 ${{…}} 不完整或题目名称无效")]
    BadReference,
    #[error("表达式在第 {at} 个字符处不完整或多余：{what}")]
    Unexpected { at: usize, what: String },
    #[error("未知函数 {0}()")]
    UnknownFunction(String),
    #[error("函数 {name}() 需要 {expected} 个参数，给了 {given} 个")]
    Arity { name: &'static str, expected: &'static str, given: usize },
    #[error("{0}")]
    Reference(String),
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Not,
    Selected,
    CountSelected,
    If,
    StringLength,
    Concat,
    Sum,
    Count,
    Today,
    Int,
    Number,
    True,
    False,
}

impl Func {
    fn by_name(name: &str) -> Option<Func> {
        Some(match name {
            "not" => Func::Not,
            "selected" => Func::Selected,
            "count-selected" => Func::CountSelected,
            "if" => Func::If,
            "string-length" => Func::StringLength,
            "concat" => Func::Concat,
            "sum" => Func::Sum,
            "count" => Func::Count,
            "today" => Func::Today,
            "int" => Func::Int,
            "number" => Func::Number,
            "true" => Func::True,
            "false" => Func::False,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Func::Not => "not",
            Func::Selected => "selected",
            Func::CountSelected => "count-selected",
            Func::If => "if",
            Func::StringLength => "string-length",
            Func::Concat => "concat",
            Func::Sum => "sum",
            Func::Count => "count",
            Func::Today => "today",
            Func::Int => "int",
            Func::Number => "number",
            Func::True => "true",
            Func::False => "false",
        }
    }

    /// (min, max) arguments and how to say it.
    fn arity(self) -> (usize, usize, &'static str) {
        match self {
            Func::Today | Func::True | Func::False => (0, 0, "0"),
            Func::Not | Func::CountSelected | Func::StringLength | Func::Sum | Func::Count | Func::Int | Func::Number => {
                (1, 1, "1")
            }
            Func::Selected => (2, 2, "2"),
            Func::If => (3, 3, "3"),
            Func::Concat => (1, 64, "1 至 64"),
        }
    }
}

/// How a `${name}` reference reads its question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefMode {
    /// One value: a top-level question, or a question of the same repeat instance.
    Scalar,
    /// Every instance of a repeat's question (or the repeat itself): only inside `sum()` and `count()`.
    All,
}

/// A parsed expression, references resolved to question indices of the compiled form.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Str(String),
    /// `${name}`
    Ref(usize, RefMode),
    /// `.`: the answer being checked (constraints).
    Current,
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

impl Expr {
    /// Every question this expression reads, with how.
    pub fn refs(&self, out: &mut Vec<(usize, RefMode)>) {
        match self {
            Expr::Ref(i, m) => out.push((*i, *m)),
            Expr::Neg(e) => e.refs(out),
            Expr::Bin(_, a, b) => {
                a.refs(out);
                b.refs(out);
            }
            Expr::Call(_, args) => args.iter().for_each(|a| a.refs(out)),
            Expr::Num(_) | Expr::Str(_) | Expr::Current => {}
        }
    }

    /// Whether it uses `.`.
    pub fn uses_current(&self) -> bool {
        match self {
            Expr::Current => true,
            Expr::Neg(e) => e.uses_current(),
            Expr::Bin(_, a, b) => a.uses_current() || b.uses_current(),
            Expr::Call(_, args) => args.iter().any(Expr::uses_current),
            _ => false,
        }
    }
}

/// Resolves `${name}` while parsing: the question's index, or why the reference is not allowed there.
/// `aggregate` is true inside `sum()`/`count()`.
pub trait Resolver {
    fn resolve(&mut self, name: &str, aggregate: bool) -> Result<(usize, RefMode), String>;
}

impl<F: FnMut(&str, bool) -> Result<(usize, RefMode), String>> Resolver for F {
    fn resolve(&mut self, name: &str, aggregate: bool) -> Result<(usize, RefMode), String> {
        self(name, aggregate)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Str(String),
    Ref(String),
    Dot,
    Ident(String),
    LParen,
    RParen,
    Comma,
    Plus,
    Minus,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 64
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '+' => Tok::Plus,
            '-' => Tok::Minus,
            '*' => Tok::Star,
            '=' => Tok::Eq,
            '!' if chars.get(i + 1) == Some(&'=') => {
                i += 1;
                Tok::Ne
            }
            '<' | '>' => {
                let eq = chars.get(i + 1) == Some(&'=');
                if eq {
                    i += 1;
                }
                match (c, eq) {
                    ('<', false) => Tok::Lt,
                    ('<', true) => Tok::Le,
                    ('>', false) => Tok::Gt,
                    _ => Tok::Ge,
                }
            }
            '\'' | '"' => {
                let start = i + 1;
                let Some(len) = chars[start..].iter().position(|&q| q == c) else {
                    return Err(ParseError::UnterminatedString);
                };
                i = start + len;
                Tok::Str(chars[start..start + len].iter().collect())
            }
            '$' => {
                if chars.get(i + 1) != Some(&'{') {
                    return Err(ParseError::BadReference);
                }
                let start = i + 2;
                let Some(len) = chars[start..].iter().position(|&q| q == '}') else {
                    return Err(ParseError::BadReference);
                };
                let name: String = chars[start..start + len].iter().collect();
                if !is_name(name.trim()) {
                    return Err(ParseError::BadReference);
                }
                i = start + len;
                Tok::Ref(name.trim().to_string())
            }
            '.' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => Tok::Dot,
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i + 1 < chars.len() && (chars[i + 1].is_ascii_digit() || chars[i + 1] == '.') {
                    i += 1;
                }
                let text: String = chars[start..=i].iter().collect();
                match text.parse::<f64>() {
                    Ok(n) if n.is_finite() => Tok::Num(n),
                    _ => return Err(ParseError::BadChar { at, what: text }),
                }
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                // Function names may hold '-' (count-selected, string-length) when a letter follows.
                while i + 1 < chars.len()
                    && (chars[i + 1].is_ascii_alphanumeric()
                        || chars[i + 1] == '_'
                        || (chars[i + 1] == '-' && chars.get(i + 2).is_some_and(char::is_ascii_alphabetic)))
                {
                    i += 1;
                }
                Tok::Ident(chars[start..=i].iter().collect())
            }
            other => return Err(ParseError::BadChar { at, what: other.to_string() }),
        };
        out.push((at, tok));
        i += 1;
    }
    Ok(out)
}

struct Parser<'r> {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    depth: usize,
    aggregate: bool,
    resolver: &'r mut dyn Resolver,
}

/// Parses `src`, resolving each `${name}` with `resolver`.
pub fn parse(src: &str, resolver: &mut dyn Resolver) -> Result<Expr, ParseError> {
    if src.chars().count() > MAX_SOURCE {
        return Err(ParseError::TooLong);
    }
    let toks = lex(src)?;
    if toks.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut p = Parser { toks, pos: 0, depth: 0, aggregate: false, resolver };
    let e = p.or()?;
    if let Some((at, t)) = p.toks.get(p.pos) {
        return Err(ParseError::Unexpected { at: *at, what: describe(t) });
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format_number(*n),
        Tok::Str(s) => format!("'{s}'"),
        Tok::Ref(r) => format!("${{{r}}}"),
        Tok::Dot => ".".into(),
        Tok::Ident(i) => i.clone(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::Comma => ",".into(),
        Tok::Plus => "+".into(),
        Tok::Minus => "-".into(),
        Tok::Star => "*".into(),
        Tok::Eq => "=".into(),
        Tok::Ne => "!=".into(),
        Tok::Lt => "<".into(),
        Tok::Le => "<=".into(),
        Tok::Gt => ">".into(),
        Tok::Ge => ">=".into(),
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or_else(|| self.toks.last().map_or(1, |(a, _)| a + 1), |(a, _)| *a)
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w == word)
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ParseError::TooDeep);
        }
        Ok(())
    }

    fn bin(&mut self, op: BinOp, a: Expr, next: fn(&mut Self) -> Result<Expr, ParseError>) -> Result<Expr, ParseError> {
        self.pos += 1;
        self.enter()?;
        let b = next(self)?;
        self.depth -= 1;
        Ok(Expr::Bin(op, Box::new(a), Box::new(b)))
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.and()?;
        while self.keyword("or") {
            e = self.bin(BinOp::Or, e, Self::and)?;
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.equality()?;
        while self.keyword("and") {
            e = self.bin(BinOp::And, e, Self::equality)?;
        }
        Ok(e)
    }

    /// One left-associative level of the grammar: `next (op next)*`, the operator read by `op_of` (`None` ends
    /// the level). Equality, comparison, sums and products differ only in their operators and the level below.
    fn level(&mut self, next: fn(&mut Self) -> Result<Expr, ParseError>, op_of: fn(&Tok) -> Option<BinOp>) -> Result<Expr, ParseError> {
        let mut e = next(self)?;
        while let Some(op) = self.peek().and_then(op_of) {
            e = self.bin(op, e, next)?;
        }
        Ok(e)
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        self.level(Self::relational, |t| match t {
            Tok::Eq => Some(BinOp::Eq),
            Tok::Ne => Some(BinOp::Ne),
            _ => None,
        })
    }

    fn relational(&mut self) -> Result<Expr, ParseError> {
        self.level(Self::additive, |t| match t {
            Tok::Lt => Some(BinOp::Lt),
            Tok::Le => Some(BinOp::Le),
            Tok::Gt => Some(BinOp::Gt),
            Tok::Ge => Some(BinOp::Ge),
            _ => None,
        })
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        self.level(Self::multiplicative, |t| match t {
            Tok::Plus => Some(BinOp::Add),
            Tok::Minus => Some(BinOp::Sub),
            _ => None,
        })
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        self.level(Self::unary, |t| match t {
            Tok::Star => Some(BinOp::Mul),
            Tok::Ident(w) if w == "div" => Some(BinOp::Div),
            Tok::Ident(w) if w == "mod" => Some(BinOp::Mod),
            _ => None,
        })
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == Some(&Tok::Minus) {
            self.pos += 1;
            self.enter()?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(e)));
        }
        self.primary()
    }

    fn expect(&mut self, t: Tok) -> Result<(), ParseError> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(ParseError::Unexpected {
                at: self.at(),
                what: self.peek().map_or_else(|| format!("缺少「{}」", describe(&t)), describe),
            })
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let at = self.at();
        let Some(tok) = self.peek().cloned() else {
            return Err(ParseError::Unexpected { at, what: "缺少内容".into() });
        };
        self.pos += 1;
        match tok {
            Tok::Num(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Dot => Ok(Expr::Current),
            Tok::Ref(name) => {
                let (i, mode) = self.resolver.resolve(&name, self.aggregate).map_err(ParseError::Reference)?;
                Ok(Expr::Ref(i, mode))
            }
            Tok::LParen => {
                self.enter()?;
                let e = self.or()?;
                self.expect(Tok::RParen)?;
                self.depth -= 1;
                Ok(e)
            }
            Tok::Ident(name) => {
                let Some(f) = Func::by_name(&name) else {
                    return if self.peek() == Some(&Tok::LParen) {
                        Err(ParseError::UnknownFunction(name))
                    } else {
                        Err(ParseError::Unexpected { at, what: name })
                    };
                };
                self.expect(Tok::LParen)?;
                self.enter()?;
                let outer = self.aggregate;
                self.aggregate = matches!(f, Func::Sum | Func::Count);
                let mut args = Vec::new();
                if self.peek() != Some(&Tok::RParen) {
                    loop {
                        args.push(self.or()?);
                        if self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                self.aggregate = outer;
                self.expect(Tok::RParen)?;
                self.depth -= 1;
                let (min, max, expected) = f.arity();
                if args.len() < min || args.len() > max {
                    return Err(ParseError::Arity { name: f.name(), expected, given: args.len() });
                }
                if matches!(f, Func::Sum | Func::Count) && !matches!(args[0], Expr::Ref(_, RefMode::All)) {
                    return Err(ParseError::Reference(format!(
                        "{}() 的参数须是重复组中的题目（或重复组本身），如 {}(${{成员年龄}})",
                        f.name(),
                        f.name()
                    )));
                }
                Ok(Expr::Call(f, args))
            }
            other => Err(ParseError::Unexpected { at, what: describe(&other) }),
        }
    }
}

/// What evaluation reads: values of questions in the current context, and every instance's value.
pub trait Env {
    /// A scalar reference's value (hidden questions read empty).
    fn value(&self, question: usize) -> Value;
    /// Calls `f` with the value of `question` in every instance of its repeat.
    fn each(&self, question: usize, f: &mut dyn FnMut(&Value));
    /// Number of instances of the repeat holding `question` (or of the repeat `question` itself).
    fn instances(&self, question: usize) -> usize;
    /// The answer being checked (`.`).
    fn current(&self) -> Value;
    /// Today's date, `YYYY-MM-DD`, by the caller's clock.
    fn today(&self) -> &str;
}

/// Evaluates `e`.
pub fn eval(e: &Expr, env: &dyn Env) -> Result<Value, EvalError> {
    Ok(match e {
        Expr::Num(n) => Value::Num(*n),
        Expr::Str(s) => Value::Str(s.clone()),
        Expr::Current => env.current(),
        Expr::Ref(i, _) => env.value(*i),
        Expr::Neg(a) => match eval(a, env)?.as_number()? {
            Some(n) => Value::Num(-n),
            None => Value::Empty,
        },
        Expr::Bin(BinOp::Or, a, b) => Value::Bool(eval(a, env)?.truthy() || eval(b, env)?.truthy()),
        Expr::Bin(BinOp::And, a, b) => Value::Bool(eval(a, env)?.truthy() && eval(b, env)?.truthy()),
        Expr::Bin(op @ (BinOp::Eq | BinOp::Ne), a, b) => {
            let eq = equal(&eval(a, env)?, &eval(b, env)?);
            Value::Bool(if *op == BinOp::Eq { eq } else { !eq })
        }
        Expr::Bin(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), a, b) => {
            let (a, b) = (eval(a, env)?, eval(b, env)?);
            match order(&a, &b)? {
                None => Value::Bool(false),
                Some(o) => Value::Bool(match op {
                    BinOp::Lt => o.is_lt(),
                    BinOp::Le => o.is_le(),
                    BinOp::Gt => o.is_gt(),
                    _ => o.is_ge(),
                }),
            }
        }
        Expr::Bin(op, a, b) => {
            let (x, y) = (eval(a, env)?.as_number()?, eval(b, env)?.as_number()?);
            let (Some(x), Some(y)) = (x, y) else { return Ok(Value::Empty) };
            let r = match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div if y == 0.0 => return Ok(Value::Empty),
                BinOp::Div => x / y,
                BinOp::Mod if y == 0.0 => return Ok(Value::Empty),
                _ => x % y,
            };
            if r.is_finite() {
                Value::Num(r)
            } else {
                Value::Empty
            }
        }
        Expr::Call(f, args) => call(*f, args, env)?,
    })
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), other) | (other, Value::Bool(x)) => *x == other.truthy(),
        (Value::Num(x), other) | (other, Value::Num(x)) => other.numeric().is_some_and(|y| y == *x),
        _ => a.as_text() == b.as_text(),
    }
}

fn order(a: &Value, b: &Value) -> Result<Option<std::cmp::Ordering>, EvalError> {
    if a.is_empty() || b.is_empty() {
        return Ok(None);
    }
    if matches!(a, Value::Bool(_)) || matches!(b, Value::Bool(_)) {
        return Err(EvalError::TypeMismatch { expected: "数字或日期", found: "是/否".into() });
    }
    match (a.numeric(), b.numeric()) {
        (Some(x), Some(y)) => Ok(x.partial_cmp(&y)),
        _ if matches!(a, Value::Num(_)) || matches!(b, Value::Num(_)) => {
            let text = if matches!(a, Value::Num(_)) { b } else { a };
            Err(EvalError::TypeMismatch { expected: "数字", found: describe_text(&text.as_text()) })
        }
        // Two texts (dates YYYY-MM-DD among them) compare as text.
        _ => Ok(Some(a.as_text().cmp(&b.as_text()))),
    }
}

fn call(f: Func, args: &[Expr], env: &dyn Env) -> Result<Value, EvalError> {
    let arg = |i: usize| eval(&args[i], env);
    Ok(match f {
        Func::True => Value::Bool(true),
        Func::False => Value::Bool(false),
        Func::Not => Value::Bool(!arg(0)?.truthy()),
        Func::Today => Value::Str(env.today().to_string()),
        Func::If => {
            if arg(0)?.truthy() {
                arg(1)?
            } else {
                arg(2)?
            }
        }
        Func::Selected => {
            let (list, item) = (arg(0)?.as_text(), arg(1)?.as_text());
            Value::Bool(list.split_whitespace().any(|c| c == item.trim()))
        }
        Func::CountSelected => Value::Num(arg(0)?.as_text().split_whitespace().count() as f64),
        Func::StringLength => Value::Num(arg(0)?.as_text().chars().count() as f64),
        Func::Concat => {
            let mut s = String::new();
            for i in 0..args.len() {
                s.push_str(&arg(i)?.as_text());
            }
            Value::Str(s)
        }
        Func::Int => match arg(0)?.as_number()? {
            Some(n) => Value::Num(n.trunc()),
            None => Value::Empty,
        },
        Func::Number => match arg(0)?.as_number()? {
            Some(n) => Value::Num(n),
            None => Value::Empty,
        },
        Func::Sum | Func::Count => {
            let Expr::Ref(q, _) = &args[0] else { unreachable!("checked when parsed") };
            if f == Func::Count {
                return Ok(Value::Num(env.instances(*q) as f64));
            }
            let mut total = 0.0;
            let mut err = None;
            env.each(*q, &mut |v| match v.as_number() {
                Ok(Some(n)) => total += n,
                Ok(None) => {}
                Err(e) => err = err.take().or(Some(e)),
            });
            if let Some(e) = err {
                return Err(e);
            }
            Value::Num(total)
        }
    })
}

impl fmt::Display for BinOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "=",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "div",
            BinOp::Mod => "mod",
        })
    }
}
