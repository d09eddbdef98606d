//! The outbox: operations waiting to be pushed (DESIGN §8). Written only through `Tx::enqueue`, in the same
//! transaction as the change it describes. Here: the status the sync bar shows, and the pending operations in
//! order for the sync engine.

use linkage_protocol::wire::Operation;
use rusqlite::params;

use super::Store;
use crate::error::Result;

/// What the sync bar shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: u64,
    /// Rejected by the server and kept, with a reason, for the user to see.
    pub quarantined: u64,
    /// Age of the oldest pending operation.
    pub oldest_pending_age_ms: Option<i64>,
}

impl Store {
    /// Pending and quarantined counts and the oldest pending age.
    pub fn outbox_counts(&self) -> Result<OutboxCounts> {
        let now = self.now_ms();
        Ok(self.conn().query_row(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'quarantined'),
                    min(created_at_ms) FILTER (WHERE state = 'pending')
             FROM outbox",
            [],
            |r| {
                let oldest: Option<i64> = r.get(2)?;
                Ok(OutboxCounts {
                    pending: r.get::<_, i64>(0)? as u64,
                    quarantined: r.get::<_, i64>(1)? as u64,
                    oldest_pending_age_ms: oldest.map(|t| (now - t).max(0)),
                })
            },
        )?)
    }

    /// The next `limit` pending operations, oldest first.
    pub fn pending_operations(&self, limit: u32) -> Result<Vec<Operation>> {
        Ok(self.pending_operations_after(0, limit)?.into_iter().map(|(_, op)| op).collect())
    }

    /// The next `limit` pending operations queued after outbox position `after_seq` (0: from the oldest), with
    /// their positions, oldest first: the sync engine reads the next batch while the current one is on its way.
    pub fn pending_operations_after(&self, after_seq: i64, limit: u32) -> Result<Vec<(i64, Operation)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT seq, op_id, hlc, payload FROM outbox WHERE state = 'pending' AND seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        rows.map(|r| {
            let (seq, op_id, hlc, payload) = r?;
            Ok((seq, Operation { op_id, hlc, body: serde_json::from_str(&payload)? }))
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::clock::Clock;

    #[test]
    fn pending_operations_round_trip_in_order() {
        let (mut s, clock) = store();
        s.sign_in("gw").unwrap();
        assert_eq!(s.outbox_counts().unwrap().oldest_pending_age_ms, None);
        let draft = crate::store::issues::tests_support::draft();
        s.report_issue(draft.clone()).unwrap();
        clock.advance_ms(5_000);
        s.report_issue(draft).unwrap();
        let ops = s.pending_operations(10).unwrap();
        assert_eq!(ops.len(), 2);
        assert!(ops[0].hlc < ops[1].hlc);
        // Read on after a position: the second alone, then nothing.
        let first = s.pending_operations_after(0, 1).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].1, ops[0]);
        let rest = s.pending_operations_after(first[0].0, 10).unwrap();
        assert_eq!(rest.iter().map(|(_, op)| op.clone()).collect::<Vec<_>>(), ops[1..]);
        assert!(s.pending_operations_after(rest[0].0, 10).unwrap().is_empty());
        assert_eq!(ops[0].body.kind(), "issue_event");
        let counts = s.outbox_counts().unwrap();
        assert_eq!((counts.pending, counts.quarantined, counts.oldest_pending_age_ms), (2, 0, Some(5_000)));
        assert_eq!(clock.now_ms(), NOW + 5_000);
    }
}
