//! One read-only snapshot of either database, so that every read-only query of the console (lists, pages,
//! coverage, the dashboard), of the measures export and of the form report is written once and runs on SQLite
//! and on PostgreSQL alike (ADR 0016).
//!
//! * [`ReadTx`]: a read transaction — a deferred SQLite transaction on a read-only connection of its own, or a
//!   `REPEATABLE READ READ ONLY` PostgreSQL transaction on a pooled connection: every statement sees the same
//!   committed state, and nothing is written. `Storage::read_snapshot` opens one; [`read`] wraps it.
//! * Queries are written in one portable SQL: SQLite's spelling with numbered parameters `?1, ?2, …`, booleans
//!   tested as booleans (`NOT disabled`, `TRUE`), no SQLite-only functions except the ones [`to_postgres`]
//!   translates. The dialect differences live in that one function and in the value conversions below.
//! * Parameters are [`Param`] values ([`params!`]); on PostgreSQL each is converted to the type the server
//!   inferred for its placeholder (an `i64` binds to an `integer` as well as a `bigint`, a `bool` to an
//!   `integer` on SQLite). Columns are read with [`Row::get`] into Rust types whatever the backend's type
//!   (`count(*)` is `bigint` on PostgreSQL, booleans are integers on SQLite).
//! * Rows stream ([`ReadTx::each`], [`ReadTx::query_map`]); on PostgreSQL a query must not be started from
//!   inside another query's row callback (collect the outer rows first — `query_map` does).

use std::cell::RefCell;
use std::collections::HashMap;

use bytes::BytesMut;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{IsNull, ToSql, Type};

use crate::error::{Error, Result};
use crate::storage::Storage;

/// A parameter's value, borrowed from the caller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Bool(bool),
}

/// A value that binds to a placeholder.
pub trait Param {
    fn value(&self) -> Value<'_>;
}

impl Param for str {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for String {
    fn value(&self) -> Value<'_> {
        Value::Text(self)
    }
}
impl Param for i64 {
    fn value(&self) -> Value<'_> {
        Value::Int(*self)
    }
}
impl Param for i32 {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl Param for u32 {
    fn value(&self) -> Value<'_> {
        Value::Int(i64::from(*self))
    }
}
impl Param for f64 {
    fn value(&self) -> Value<'_> {
        Value::Real(*self)
    }
}
impl Param for bool {
    fn value(&self) -> Value<'_> {
        Value::Bool(*self)
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value<'_> {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value<'_> {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}

/// The parameters of a query, `?1` first: `params![path, upper, since]`.
#[macro_export]
macro_rules! read_params {
    () => { &[] as &[&dyn $crate::readtx::Param] };
    ($($p:expr),+ $(,)?) => { &[$(&$p as &dyn $crate::readtx::Param),+] as &[&dyn $crate::readtx::Param] };
}
pub use read_params as params;

/// One column of a row, as either backend gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'r> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'r str),
    Bool(bool),
}

/// A Rust type a column converts to.
pub trait FromCell: Sized {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String>;
}

fn mismatch<T>(c: Cell<'_>, want: &str) -> std::result::Result<T, String> {
    Err(format!("expected {want}, found {c:?}"))
}

impl FromCell for i64 {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Int(v) => Ok(v),
            Cell::Bool(b) => Ok(i64::from(b)),
            other => mismatch(other, "an integer"),
        }
    }
}
impl FromCell for i32 {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        i32::try_from(i64::from_cell(c)?).map_err(|e| e.to_string())
    }
}
impl FromCell for u32 {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        u32::try_from(i64::from_cell(c)?).map_err(|e| e.to_string())
    }
}
impl FromCell for u64 {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        u64::try_from(i64::from_cell(c)?).map_err(|e| e.to_string())
    }
}
impl FromCell for f64 {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Real(v) => Ok(v),
            Cell::Int(v) => Ok(v as f64),
            other => mismatch(other, "a number"),
        }
    }
}
impl FromCell for bool {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Bool(b) => Ok(b),
            Cell::Int(0) => Ok(false),
            Cell::Int(1) => Ok(true),
            other => mismatch(other, "a boolean"),
        }
    }
}
impl FromCell for String {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Text(s) => Ok(s.to_string()),
            other => mismatch(other, "text"),
        }
    }
}
impl<T: FromCell> FromCell for Option<T> {
    fn from_cell(c: Cell<'_>) -> std::result::Result<Self, String> {
        match c {
            Cell::Null => Ok(None),
            other => T::from_cell(other).map(Some),
        }
    }
}

/// A row of a result, on either backend.
pub struct Row<'r> {
    inner: RowInner<'r>,
}

enum RowInner<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r postgres::Row),
}

impl Row<'_> {
    /// Column `i` (from 0) as `T`.
    pub fn get<T: FromCell>(&self, i: usize) -> Result<T> {
        let cell = match &self.inner {
            RowInner::Sqlite(r) => sqlite_cell(r, i)?,
            RowInner::Pg(r) => pg_cell(r, i)?,
        };
        T::from_cell(cell).map_err(|e| Error::Corrupt(format!("column {i}: {e}")))
    }

    /// Column `i` (from 0) as text borrowed from the row (`None`: NULL), for a caller that would only compare
    /// or parse it: no `String` is built.
    pub fn text(&self, i: usize) -> Result<Option<&str>> {
        let cell = match &self.inner {
            RowInner::Sqlite(r) => sqlite_cell(r, i)?,
            RowInner::Pg(r) => pg_cell(r, i)?,
        };
        match cell {
            Cell::Null => Ok(None),
            Cell::Text(s) => Ok(Some(s)),
            other => Err(Error::Corrupt(format!("column {i}: expected text, found {other:?}"))),
        }
    }
}

fn sqlite_cell<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Cell<'r>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Real(v) => Cell::Real(v),
        ValueRef::Text(t) => Cell::Text(std::str::from_utf8(t).map_err(|e| Error::Corrupt(format!("column {i}: {e}")))?),
        ValueRef::Blob(_) => return Err(Error::Corrupt(format!("column {i}: a blob"))),
    })
}

fn pg_cell(r: &postgres::Row, i: usize) -> Result<Cell<'_>> {
    let ty = r.columns().get(i).ok_or_else(|| Error::Corrupt(format!("no column {i}")))?.type_().clone();
    let cell = if ty == Type::INT8 {
        r.try_get::<_, Option<i64>>(i)?.map(Cell::Int)
    } else if ty == Type::INT4 {
        r.try_get::<_, Option<i32>>(i)?.map(|v| Cell::Int(v.into()))
    } else if ty == Type::INT2 {
        r.try_get::<_, Option<i16>>(i)?.map(|v| Cell::Int(v.into()))
    } else if ty == Type::FLOAT8 {
        r.try_get::<_, Option<f64>>(i)?.map(Cell::Real)
    } else if ty == Type::FLOAT4 {
        r.try_get::<_, Option<f32>>(i)?.map(|v| Cell::Real(v.into()))
    } else if ty == Type::BOOL {
        r.try_get::<_, Option<bool>>(i)?.map(Cell::Bool)
    } else if ty == Type::TEXT || ty == Type::VARCHAR || ty == Type::BPCHAR || ty == Type::NAME || ty == Type::UNKNOWN {
        r.try_get::<_, Option<&str>>(i)?.map(Cell::Text)
    } else {
        // `sum()` of integers is `numeric` on PostgreSQL: count, or cast in the query.
        return Err(Error::Corrupt(format!("column {i}: unsupported type {ty} (cast it in the query)")));
    };
    Ok(cell.unwrap_or(Cell::Null))
}

/// A parameter bound on PostgreSQL: converted to the type the server inferred for its placeholder.
#[derive(Debug)]
struct PgArg<'a>(Value<'a>);

impl ToSql for PgArg<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let int = |t: &Type| *t == Type::INT8 || *t == Type::INT4 || *t == Type::INT2;
        match self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) if *ty == Type::INT8 => v.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
            Value::Int(v) if *ty == Type::FLOAT8 => (v as f64).to_sql(ty, out),
            Value::Int(v) if *ty == Type::BOOL && (v == 0 || v == 1) => (v == 1).to_sql(ty, out),
            Value::Real(v) if *ty == Type::FLOAT8 => v.to_sql(ty, out),
            Value::Real(v) if *ty == Type::FLOAT4 => (v as f32).to_sql(ty, out),
            Value::Bool(b) if *ty == Type::BOOL => b.to_sql(ty, out),
            Value::Bool(b) if int(ty) => PgArg(Value::Int(i64::from(b))).to_sql(ty, out),
            Value::Text(s) if *ty == Type::TEXT || *ty == Type::VARCHAR || *ty == Type::BPCHAR || *ty == Type::NAME || *ty == Type::UNKNOWN => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            other => Err(format!("a parameter of type {ty} was given {other:?}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match *self {
            Value::Null => ValueRef::Null,
            Value::Int(v) => ValueRef::Integer(v),
            Value::Real(v) => ValueRef::Real(v),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Bool(b) => ValueRef::Integer(i64::from(b)),
        }))
    }
}

/// PostgreSQL statements prepared by read transactions, by their portable SQL (kept with the connection).
pub type PgStatements = HashMap<String, postgres::Statement>;

/// A read-only snapshot transaction on either backend (see the module's documentation).
pub struct ReadTx<'a> {
    inner: Inner<'a>,
}

enum Inner<'a> {
    /// A connection with an open (deferred) transaction.
    Sqlite(&'a rusqlite::Connection),
    Pg { tx: RefCell<postgres::Transaction<'a>>, stmts: RefCell<&'a mut PgStatements> },
}

impl<'a> ReadTx<'a> {
    /// Reads on `conn`, which the caller has put in a transaction (or which nothing else writes through).
    pub fn sqlite(conn: &'a rusqlite::Connection) -> ReadTx<'a> {
        ReadTx { inner: Inner::Sqlite(conn) }
    }

    /// Reads in `tx` (started `REPEATABLE READ READ ONLY` by the caller), preparing statements into `stmts`.
    pub fn postgres(tx: postgres::Transaction<'a>, stmts: &'a mut PgStatements) -> ReadTx<'a> {
        ReadTx { inner: Inner::Pg { tx: RefCell::new(tx), stmts: RefCell::new(stmts) } }
    }

    /// Ends the transaction (nothing was written: a PostgreSQL one is committed, which releases its snapshot).
    pub fn finish(self) -> Result<()> {
        match self.inner {
            Inner::Sqlite(_) => Ok(()),
            Inner::Pg { tx, .. } => Ok(tx.into_inner().commit()?),
        }
    }

    /// Whether this snapshot is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.inner, Inner::Pg { .. })
    }

    /// Calls `f` on every row of `sql`, as the rows arrive.
    pub fn each(&self, sql: &str, params: &[&dyn Param], mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                if stmt.parameter_count() != params.len() {
                    return Err(Error::Corrupt(format!("query with {} parameters given {}: {sql}", stmt.parameter_count(), params.len())));
                }
                for (i, p) in params.iter().enumerate() {
                    stmt.raw_bind_parameter(i + 1, p.value())?;
                }
                let mut rows = stmt.raw_query();
                while let Some(r) = rows.next()? {
                    f(&Row { inner: RowInner::Sqlite(r) })?;
                }
                Ok(())
            }
            Inner::Pg { tx, stmts } => {
                let nested = || Error::Corrupt(format!("a query started while another one's rows were read: {sql}"));
                let mut tx = tx.try_borrow_mut().map_err(|_| nested())?;
                let stmt = {
                    let mut stmts = stmts.try_borrow_mut().map_err(|_| nested())?;
                    match stmts.get(sql) {
                        Some(s) => s.clone(),
                        None => {
                            let s = tx.prepare(&to_postgres(sql))?;
                            stmts.insert(sql.to_string(), s.clone());
                            s
                        }
                    }
                };
                if stmt.params().len() != params.len() {
                    return Err(Error::Corrupt(format!("query with {} parameters given {}: {sql}", stmt.params().len(), params.len())));
                }
                let args: Vec<PgArg<'_>> = params.iter().map(|p| PgArg(p.value())).collect();
                let mut rows = tx.query_raw(&stmt, args.iter())?;
                while let Some(r) = rows.next()? {
                    f(&Row { inner: RowInner::Pg(&r) })?;
                }
                Ok(())
            }
        }
    }

    /// Every row of `sql`, each mapped by `f`.
    pub fn query_map<T>(&self, sql: &str, params: &[&dyn Param], mut f: impl FnMut(&Row<'_>) -> Result<T>) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each(sql, params, |r| {
            out.push(f(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of `sql` mapped by `f`, if there is one.
    pub fn query_opt<T>(&self, sql: &str, params: &[&dyn Param], f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<Option<T>> {
        let mut f = Some(f);
        let mut out = None;
        self.each(sql, params, |r| {
            if let Some(f) = f.take() {
                out = Some(f(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of `sql` mapped by `f`; an error when there is none (aggregates always have one).
    pub fn query_row<T>(&self, sql: &str, params: &[&dyn Param], f: impl FnOnce(&Row<'_>) -> Result<T>) -> Result<T> {
        self.query_opt(sql, params, f)?.ok_or_else(|| Error::Corrupt(format!("no row from: {sql}")))
    }
}

/// Something a snapshot can be read from: a storage (its own snapshot), a SQLite connection (a transaction
/// on it), or a snapshot already open (read within it).
pub trait Reader {
    /// Runs `f` in one snapshot.
    fn snapshot<T: Send>(&self, f: impl FnOnce(&ReadTx<'_>) -> Result<T> + Send) -> Result<T>;
}

impl Reader for ReadTx<'_> {
    fn snapshot<T: Send>(&self, f: impl FnOnce(&ReadTx<'_>) -> Result<T> + Send) -> Result<T> {
        f(self)
    }
}

impl Reader for rusqlite::Connection {
    fn snapshot<T: Send>(&self, f: impl FnOnce(&ReadTx<'_>) -> Result<T> + Send) -> Result<T> {
        // Rolled back (nothing was written) when dropped.
        let tx = self.unchecked_transaction()?;
        let read = ReadTx::sqlite(&tx);
        let out = f(&read);
        out
    }
}

impl Reader for dyn Storage {
    fn snapshot<T: Send>(&self, f: impl FnOnce(&ReadTx<'_>) -> Result<T> + Send) -> Result<T> {
        read(self, f)
    }
}

/// Runs `f` in one read-only snapshot of `storage` (`Storage::read_snapshot`). Blocking.
pub fn read<T: Send>(storage: &dyn Storage, f: impl FnOnce(&ReadTx<'_>) -> Result<T> + Send) -> Result<T> {
    let mut f = Some(f);
    let mut out = None;
    storage.read_snapshot(&mut |tx| {
        if let Some(f) = f.take() {
            out = Some(f(tx)?);
        }
        Ok(())
    })?;
    out.ok_or_else(|| Error::Corrupt("the read snapshot did not run".into()))
}

/// The county's settings as stored (the defaults when none were set) with every imported yearly calendar.
pub fn county_config(tx: &ReadTx<'_>) -> Result<linkage_protocol::wire::CountyConfig> {
    let base: Option<String> = tx.query_opt("SELECT config_json FROM county_settings WHERE id = 1", params![], |r| r.get(0))?;
    let mut config: linkage_protocol::wire::CountyConfig = match base {
        Some(json) => serde_json::from_str(&json)?,
        None => Default::default(),
    };
    config.calendars = tx.query_map("SELECT file_json FROM county_calendars ORDER BY year", params![], |r| Ok(serde_json::from_str(&r.get::<String>(0)?)?))?;
    Ok(config)
}

/// The portable SQL of a query in PostgreSQL's spelling: `?N` → `$N`, `instr(a, b)` → `strpos(a, b)` (the
/// same arguments and answer), and `rowid` → `id` (`issue_events`' receipt order: SQLite's integer primary
/// key is named `rowid`, PostgreSQL's `id`). String literals and quoted names are left as they are.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for (_, d) in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '?' if chars.peek().is_some_and(|(_, d)| d.is_ascii_digit()) => out.push('$'),
            c if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = i + c.len_utf8();
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_ascii_alphanumeric() || d == '_' {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let word = &sql[i..end];
                let next = sql[end..].trim_start().chars().next();
                out.push_str(match word {
                    w if w.eq_ignore_ascii_case("instr") && next == Some('(') => "strpos",
                    w if w.eq_ignore_ascii_case("rowid") => "id",
                    w => w,
                });
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_spelling() {
        assert_eq!(
            to_postgres("SELECT e.rowid FROM issue_events e WHERE instr(title, ?4) > 0 AND path >= ?1 ORDER BY e.rowid"),
            "SELECT e.id FROM issue_events e WHERE strpos(title, $4) > 0 AND path >= $1 ORDER BY e.id"
        );
        // Literals and quoted names are kept; a word merely containing the names is not touched.
        assert_eq!(to_postgres("SELECT 'a?1 instr(' , \"rowid\", rowids, instr_x FROM t WHERE a = ?12"), "SELECT 'a?1 instr(' , \"rowid\", rowids, instr_x FROM t WHERE a = $12");
        assert_eq!(to_postgres("LIKE '%\"kind\":\"visit_recorded\"%' AND x = ?3"), "LIKE '%\"kind\":\"visit_recorded\"%' AND x = $3");
    }

    #[test]
    fn cells_convert_across_backends() {
        assert_eq!(bool::from_cell(Cell::Int(1)), Ok(true));
        assert_eq!(bool::from_cell(Cell::Bool(false)), Ok(false));
        assert!(bool::from_cell(Cell::Int(2)).is_err());
        assert_eq!(u32::from_cell(Cell::Int(7)), Ok(7));
        assert!(u32::from_cell(Cell::Int(-1)).is_err());
        assert_eq!(Option::<String>::from_cell(Cell::Null), Ok(None));
        assert_eq!(f64::from_cell(Cell::Int(2)), Ok(2.0));
        assert!(String::from_cell(Cell::Int(2)).is_err());
    }

    #[test]
    fn one_query_on_sqlite_with_typed_parameters() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (id TEXT, n INTEGER, flag INTEGER, x REAL); INSERT INTO t VALUES ('a', 1, 1, 0.5), ('b', 2, 0, NULL);")
            .unwrap();
        let rows = conn
            .snapshot(|tx| {
                tx.query_map("SELECT id, n, flag, x FROM t WHERE n >= ?1 AND (?2 IS NULL OR id = ?2) ORDER BY id", params![1_i64, None::<&str>], |r| {
                    Ok((r.get::<String>(0)?, r.get::<u32>(1)?, r.get::<bool>(2)?, r.get::<Option<f64>>(3)?))
                })
            })
            .unwrap();
        assert_eq!(rows, vec![("a".into(), 1, true, Some(0.5)), ("b".into(), 2, false, None)]);
        let flagged: Option<String> = conn.snapshot(|tx| tx.query_opt("SELECT id FROM t WHERE flag = ?1", params![true], |r| r.get(0))).unwrap();
        assert_eq!(flagged.as_deref(), Some("a"));
        let wrong = conn.snapshot(|tx| tx.query_row("SELECT id FROM t WHERE n = ?1", params![], |r| r.get::<String>(0)));
        assert!(wrong.is_err(), "a parameter missing is an error, not NULL");
    }
}
