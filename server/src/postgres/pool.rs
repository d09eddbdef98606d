//! A small pool of synchronous PostgreSQL connections for the blocking [`crate::storage::Storage`] methods,
//! each connection with its prepared statements. The `postgres` client drives tokio-postgres on a runtime of
//! its own and refuses to run inside another runtime's task; storage methods are called from
//! `spawn_blocking` threads but also straight from async tests and the CLI's async paths, so when a tokio
//! runtime is present the work runs on a short-lived scoped thread ([`Pool::run`]).

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};

use postgres::{Client, NoTls, Statement};

use crate::error::{Error, Result};

/// Prepared statements of one connection, by their SQL.
pub type Stmts = HashMap<&'static str, Statement>;

/// A connection with its prepared statements (statements live as long as the connection).
pub struct Conn {
    pub client: Client,
    pub stmts: Stmts,
    /// Statements of the portable read queries (`crate::readtx`), by their portable SQL.
    pub reads: crate::readtx::PgStatements,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn").field("statements", &self.stmts.len()).finish()
    }
}

/// At most `max` connections to one database.
pub struct Pool {
    config: postgres::Config,
    max: usize,
    /// Idle connections, and how many exist in all.
    state: Mutex<(Vec<Conn>, usize)>,
    freed: Condvar,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("max", &self.max).finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A connection taken from the pool; back to it when dropped (unless it broke).
pub struct Pooled<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("held until dropped")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("held until dropped")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        let mut state = lock(&self.pool.state);
        if conn.client.is_closed() {
            state.1 -= 1;
            drop_off_runtime(vec![conn]);
        } else {
            state.0.push(conn);
        }
        drop(state);
        self.pool.freed.notify_one();
    }
}

/// Closes connections, on a thread of their own inside a tokio runtime (closing blocks on the client's runtime).
fn drop_off_runtime(conns: Vec<Conn>) {
    if conns.is_empty() {
        return;
    }
    if tokio::runtime::Handle::try_current().is_err() {
        drop(conns);
    } else {
        std::thread::scope(|s| {
            s.spawn(move || drop(conns));
        });
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let idle = std::mem::take(&mut lock(&self.state).0);
        drop_off_runtime(idle);
    }
}

impl Pool {
    /// A pool for `url` (`postgres://user:password@host:port/database?…`); connects lazily.
    pub fn new(url: &str, max: usize) -> Result<Pool> {
        let config: postgres::Config = url.parse().map_err(|e| Error::Invalid(format!("--database: {e}")))?;
        Ok(Pool { config, max: max.max(1), state: Mutex::new((Vec::new(), 0)), freed: Condvar::new() })
    }

    /// The connection settings (for a connection of its own outside the pool: the feed listener).
    pub fn config(&self) -> &postgres::Config {
        &self.config
    }

    /// Takes an idle connection, opens one, or waits for one. Call only off a tokio runtime ([`Pool::run`]).
    fn get(&self) -> Result<Pooled<'_>> {
        let mut state = lock(&self.state);
        loop {
            if let Some(conn) = state.0.pop() {
                return Ok(Pooled { pool: self, conn: Some(conn) });
            }
            if state.1 < self.max {
                state.1 += 1;
                drop(state);
                return match self.config.connect(NoTls) {
                    Ok(client) => Ok(Pooled { pool: self, conn: Some(Conn { client, stmts: HashMap::new(), reads: HashMap::new() }) }),
                    Err(e) => {
                        lock(&self.state).1 -= 1;
                        self.freed.notify_one();
                        Err(e.into())
                    }
                };
            }
            state = self.freed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Runs `f` with a pooled connection, on a scoped thread when called inside a tokio runtime (the
    /// `postgres` client blocks on a runtime of its own, which tokio forbids inside another one).
    pub fn run<T: Send>(&self, f: impl FnOnce(&mut Conn) -> Result<T> + Send) -> Result<T> {
        let work = || {
            let mut conn = self.get()?;
            f(&mut conn)
        };
        if tokio::runtime::Handle::try_current().is_err() {
            return work();
        }
        std::thread::scope(|s| match s.spawn(work).join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        })
    }
}

/// A prepared statement of `conn` for `sql`, prepared on first use.
pub fn stmt(client: &mut impl postgres::GenericClient, stmts: &mut Stmts, sql: &'static str) -> Result<Statement> {
    if let Some(s) = stmts.get(sql) {
        return Ok(s.clone());
    }
    let s = client.prepare(sql)?;
    stmts.insert(sql, s.clone());
    Ok(s)
}
