//! The change feed's order on PostgreSQL (ADR 0015). Several transactions write the feed at once, on one or
//! several servers; a plain sequence would hand out numbers in start order while rows become visible in
//! commit order, and a phone whose cursor passed a number could skip a row that committed after it.
//!
//! Each feed row is numbered `base + (xid << 12) + ordinal`: the writing transaction's id (`xid8`, never
//! wraps) and the row's place in its transaction (at most [`MAX_ROWS_PER_TX`]). A reader serves only rows
//! numbered below `base + (xmin << 12)` where `xmin` is the oldest transaction still running in its snapshot:
//! every transaction below it has ended, and every transaction that may still commit has an id ≥ `xmin`, so
//! its rows will be numbered above anything served. A row that commits late is served late, never skipped.

use linkage_protocol::rules::scope;
use linkage_protocol::sync::Change;
use postgres::GenericClient;

use super::pool::Conn;
use super::{db, Db};
use crate::error::{Error, Result};

/// Feed rows one transaction may write (a push batch is at most 1000 ops; a sweep page 500 issues).
pub const MAX_ROWS_PER_TX: i64 = 1 << 12;

/// The first unserved number of the statement's snapshot: `base + (xmin << 12)`.
macro_rules! bound {
    () => {
        "(SELECT base FROM feed_origin WHERE id = 1) + (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << 12)"
    };
}

/// Hands out feed numbers inside one transaction.
#[derive(Debug, Default)]
pub struct SeqAllocator {
    /// `base + (xid << 12)` of the transaction, once asked.
    start: Option<i64>,
    used: i64,
}

impl SeqAllocator {
    /// The next feed number of the transaction `db` runs in.
    pub fn next<C: GenericClient>(&mut self, db: &mut Db<'_, C>) -> Result<i64> {
        let start = match self.start {
            Some(s) => s,
            None => {
                let r = db.one(
                    "SELECT (SELECT base FROM feed_origin WHERE id = 1) + (pg_current_xact_id()::text::bigint << 12)",
                    &[],
                )?;
                *self.start.insert(r.get(0))
            }
        };
        if self.used >= MAX_ROWS_PER_TX {
            return Err(Error::Invalid(format!("at most {MAX_ROWS_PER_TX} feed rows per transaction")));
        }
        self.used += 1;
        Ok(start + self.used - 1)
    }
}

/// The highest number a reader may serve now (0 when none).
pub fn head<C: GenericClient>(db: &mut Db<'_, C>) -> Result<i64> {
    const SQL: &str = concat!(
        "SELECT coalesce(max(seq), 0) FROM changes WHERE seq < ",
        bound!()
    );
    Ok(db.one(SQL, &[])?.get(0))
}

/// The head a reader may serve now and the highest number committed (above the head while an older
/// transaction is still open).
pub fn head_and_top<C: GenericClient>(db: &mut Db<'_, C>) -> Result<(i64, i64)> {
    const SQL: &str = concat!(
        "SELECT (SELECT coalesce(max(seq), 0) FROM changes WHERE seq < ",
        bound!(),
        "), (SELECT coalesce(max(seq), 0) FROM changes)"
    );
    let r = db.one(SQL, &[])?;
    Ok((r.get(0), r.get(1)))
}

/// Keeps a process's feed head current (its thread, [`super::PgStorage`]): nudged after each of its commits,
/// it publishes the head until every committed row is servable (an older transaction of another writer may
/// hold them back for a moment), and every [`HEAD_POLL`] it reads the head for commits of other servers, so
/// long-polls wake for them too.
pub fn keep_head(pool: std::sync::Arc<super::pool::Pool>, feed: std::sync::Arc<tokio::sync::watch::Sender<i64>>, nudges: std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    let publish = |head: i64| {
        feed.send_if_modified(|h| {
            let moved = head > *h;
            if moved {
                *h = head;
            }
            moved
        });
    };
    loop {
        match nudges.recv_timeout(HEAD_POLL) {
            Err(RecvTimeoutError::Disconnected) => return,
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
        }
        while nudges.try_recv().is_ok() {}
        let deadline = std::time::Instant::now() + SETTLE;
        loop {
            match pool.run(|c| head_and_top(&mut db(c))) {
                Ok((head, top)) => {
                    publish(head);
                    if head >= top || std::time::Instant::now() >= deadline {
                        break;
                    }
                }
                Err(e) => {
                    eprintln!("feed head check failed (will retry): {e}");
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// How often a server reads the feed head for other servers' commits.
pub const HEAD_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a pull waits for transactions older than rows already committed (a push of another phone
/// still committing) before it serves what it may: read-your-writes for a phone that just pushed.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// Changes visible at `scope_path` after `after`, at most `limit`, and whether more follow.
pub fn changes(conn: &mut Conn, scope_path: &str, after: i64, limit: u32) -> Result<(Vec<Change>, bool)> {
    let mut db = db(conn);
    // Rows committed above the bound are waiting for an older transaction: give it a moment to end.
    let deadline = std::time::Instant::now() + SETTLE;
    let mut target: Option<i64> = None;
    loop {
        let r = db.one(
            concat!(
                "SELECT ",
                bound!(),
                ", ",
                "(SELECT coalesce(max(seq), 0) FROM changes)"
            ),
            &[],
        )?;
        let (bound, top): (i64, i64) = (r.get(0), r.get(1));
        let target = *target.get_or_insert(top);
        if target < bound || target <= after || std::time::Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let rows = db.q(
        concat!(
            "SELECT seq, received_at_ms, op_json FROM changes WHERE seq > $1 AND seq < ",
            bound!(),
            " AND ((path >= $2 AND path < $3) OR (broadcast AND path = ANY($4))) ORDER BY seq LIMIT $5"
        ),
        &[&after, &scope_path, &scope::upper_bound(scope_path), &scope::ancestor_paths(scope_path), &(i64::from(limit) + 1)],
    )?;
    let mut changes = Vec::with_capacity(rows.len());
    for r in &rows {
        changes.push(Change { seq: r.get(0), received_at_ms: r.get(1), op: serde_json::from_str(r.get::<_, &str>(2))? });
    }
    let has_more = changes.len() > limit as usize;
    changes.truncate(limit as usize);
    Ok((changes, has_more))
}
