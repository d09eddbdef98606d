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

/// The first feed number of the transaction it runs in: `base + (xid << 12)` (gives the transaction its id).
pub const START_SQL: &str = "SELECT (SELECT base FROM feed_origin WHERE id = 1) + (pg_current_xact_id()::text::bigint << 12)";

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
            None => *self.start.insert(db.one(START_SQL, &[])?.get(0)),
        };
        if self.used >= MAX_ROWS_PER_TX {
            return Err(Error::Invalid(format!("at most {MAX_ROWS_PER_TX} feed rows per transaction")));
        }
        self.used += 1;
        Ok(start + self.used - 1)
    }

    /// Whether the transaction's first number is known.
    pub fn started(&self) -> bool {
        self.start.is_some()
    }

    /// The transaction's first number, read by the caller with [`START_SQL`] in a round trip of its own making.
    pub fn start_at(&mut self, start: i64) {
        self.start.get_or_insert(start);
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

/// The channel the servers of one database announce their feed commits on (`LISTEN`/`NOTIFY`); the payload
/// is the announcing storage's instance id, so a server skips its own announcements.
pub const CHANNEL: &str = "linkage_feed";

/// Why the head thread woke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nudge {
    /// This process committed feed rows: announce it to the other servers, then follow the head.
    Local,
    /// Another process announced a commit, the listener (re)connected, or a periodic recheck: follow the head.
    Remote,
}

/// Keeps a process's feed head current (its thread, [`super::PgStorage`]): nudged after each of its commits, it
/// announces them on [`CHANNEL`] (one `NOTIFY` for all the commits since its last round, off the request path
/// and outside the writing transactions: a `NOTIFY` in them would serialize every commit of the cluster on
/// PostgreSQL's notify lock, the single commit order ADR 0015 avoids), then publishes the head until every
/// committed row is servable (an older transaction of another writer may hold them back for a while).
/// Nudged by [`listen`] for other servers' announcements, it follows the head the same way, so their commits
/// wake this server's long-polls at once. Ends when every sender of `nudges` is gone.
pub fn keep_head(
    pool: std::sync::Arc<super::pool::Pool>,
    feed: std::sync::Arc<tokio::sync::watch::Sender<i64>>,
    nudges: std::sync::mpsc::Receiver<Nudge>,
    instance: String,
) {
    let publish = |head: i64| {
        feed.send_if_modified(|h| {
            let moved = head > *h;
            if moved {
                *h = head;
            }
            moved
        });
    };
    // Only characters that need no quoting (a uuid's hex digits): the payload goes into the statement text.
    debug_assert!(instance.bytes().all(|b| b.is_ascii_alphanumeric()));
    let announce = format!("BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_notify('{CHANNEL}', '{instance}'); COMMIT");
    while let Ok(first) = nudges.recv() {
        let mut pending = Some(first);
        let started = std::time::Instant::now();
        loop {
            let mut local = pending.take() == Some(Nudge::Local);
            loop {
                match nudges.try_recv() {
                    Ok(n) => local |= n == Nudge::Local,
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => return,
                }
            }
            if local {
                // Not durable (nothing is lost if it is: the others re-read their head every FEED_HEAD_RECHECK).
                if let Err(e) = pool.run(|c| Ok(c.client.batch_execute(&announce)?)) {
                    eprintln!("feed announcement failed (the other servers see it at their next head check): {e}");
                }
            }
            match pool.run(|c| head_and_top(&mut db(c))) {
                Ok((head, top)) => {
                    publish(head);
                    if head >= top {
                        break;
                    }
                }
                Err(e) => {
                    eprintln!("feed head check failed (will retry): {e}");
                    break;
                }
            }
            // Rows held back by an older open transaction (of any database of the cluster): followed closely
            // for a moment, then less often until it ends.
            std::thread::sleep(if started.elapsed() < SETTLE { HELD_BACK_QUICK } else { HELD_BACK_SLOW });
        }
    }
}

/// How often the head is re-read while committed rows are held back, first, and after [`SETTLE`].
const HELD_BACK_QUICK: std::time::Duration = std::time::Duration::from_millis(5);
const HELD_BACK_SLOW: std::time::Duration = std::time::Duration::from_millis(100);

/// The listening side of [`CHANNEL`]: a thread with a connection of its own; dropping this ends it (within
/// [`LISTEN_TICK`]).
#[derive(Debug)]
pub struct Listener {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How often the listening thread looks whether it should end, and how long it waits between reconnections.
const LISTEN_TICK: std::time::Duration = std::time::Duration::from_millis(500);

/// Starts listening on [`CHANNEL`] with a connection of its own to `config`'s database: every announcement of
/// another storage instance (payload ≠ `instance`) nudges the head thread. Returns once `LISTEN` is in force
/// (a commit announced after this returns is heard). A broken connection is reopened (then the head is read
/// once, for announcements missed meanwhile).
pub fn listen(config: postgres::Config, instance: String, nudge: std::sync::mpsc::Sender<Nudge>) -> Result<Listener> {
    use std::sync::atomic::Ordering;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let connect = move |config: &postgres::Config| -> Result<postgres::Client> {
        let mut client = config.connect(postgres::NoTls)?;
        client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
        Ok(client)
    };
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::Builder::new().name("linkage-feed-listen".into()).spawn({
        let stop = stop.clone();
        move || {
            let mut client = match connect(&config) {
                Ok(c) => {
                    let _ = ready.send(Ok(()));
                    c
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            };
            while !stop.load(Ordering::Relaxed) {
                let broken = {
                    let mut notes = client.notifications();
                    let mut iter = notes.timeout_iter(LISTEN_TICK);
                    loop {
                        match postgres::fallible_iterator::FallibleIterator::next(&mut iter) {
                            // The head thread takes every nudge waiting at once: one head check for many.
                            Ok(Some(note)) if note.payload() != instance => {
                                if nudge.send(Nudge::Remote).is_err() {
                                    return;
                                }
                            }
                            Ok(Some(_own)) => {}
                            Err(e) => break Some(e),
                            Ok(None) => break None,
                        }
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                    }
                };
                if broken.is_some() || client.is_closed() {
                    if let Some(e) = broken {
                        eprintln!("feed listener lost its connection (reconnecting): {e}");
                    }
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(LISTEN_TICK);
                        if let Ok(c) = connect(&config) {
                            client = c;
                            break;
                        }
                    }
                    if nudge.send(Nudge::Remote).is_err() {
                        return;
                    }
                }
            }
        }
    })?;
    match started.recv() {
        Ok(Ok(())) => Ok(Listener { stop }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(Error::Invalid("the feed listener did not start".into())),
    }
}

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
