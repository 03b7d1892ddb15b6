//! The queue's work per job must not grow with the catalog: a marathon's catalog
//! holds tens of thousands of finished jobs, and every claim runs in the writer.

use rusqlite::{Connection, StatementStatus};

use super::{JobKind, CLAIM_SQL};
use crate::{schema, Writer};

/// A catalog with `done` finished and `pending` due thumbnail jobs, and one running
/// job whose lease ran out (its worker died).
fn queue(done: u32, pending: u32) -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    schema::migrate(&mut conn).unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2)
         INSERT INTO jobs (kind, subject, status, run_after_ms, created_ms, updated_ms)
         SELECT 'thumbnail', 'photo ' || i, CASE WHEN i <= ?1 THEN 'done' ELSE 'pending' END,
                i, 0, 0 FROM n",
        [done, pending],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO jobs (kind, subject, status, run_after_ms, lease_owner, lease_until_ms,
                           created_ms, updated_ms)
         VALUES ('thumbnail', 'orphan', 'running', 0, 'dead', 5, 0, 0)",
        [],
    )
    .unwrap();
    conn
}

/// Claims two jobs; returns their subjects and the SQLite VM steps the claim took
/// (a count of operations, the same on every machine).
fn claim_two(conn: &Connection) -> (Vec<String>, i32) {
    let writer = Writer {
        conn,
        now_ms: 1_000_000,
    };
    let claimed = writer.claim(JobKind::Thumbnail, "me", 60_000, 2).unwrap();
    let steps = conn
        .prepare_cached(CLAIM_SQL)
        .unwrap()
        .get_status(StatementStatus::VmStep);
    (claimed.into_iter().map(|j| j.subject).collect(), steps)
}

#[test]
fn claiming_reads_only_the_claimable_jobs() {
    let (small_claimed, small) = claim_two(&queue(10, 10));
    let (large_claimed, large) = claim_two(&queue(20_000, 20_000));
    // The dead worker's job (due earliest) and the oldest pending one, in id order.
    assert_eq!(small_claimed, ["photo 11", "orphan"]);
    assert_eq!(large_claimed, ["photo 20001", "orphan"]);
    assert!(small > 0, "the VM step counter read nothing");
    assert!(
        large <= small * 2,
        "a claim took {small} VM steps with 20 jobs and {large} with 40,000"
    );
}
