//! What the writer runs per job must cost the same in a marathon's catalog as in
//! a fresh one: the rendition write, the cache eviction and the idle check, next
//! to the claim (jobs_tests.rs). Cost is SQLite's VM step count over every
//! statement a call runs, triggers included (a progress handler called on every
//! step), the same on every machine.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rusqlite::Connection;

use crate::jobs::JobKind;
use crate::{schema, Reader, Writer};

/// `photos` photos, each but the last with a cached thumbnail of 100 bytes used
/// at a distinct time, and thumbnail jobs: `done` finished, `pending` due.
fn catalog(photos: u32, done: u32, pending: u32) -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    schema::migrate(&mut conn).unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO photos (sha256, size, format, status, taken_ms, imported_ms)
         SELECT printf('%064x', i), 1, 'jpeg', 'ok', i, i FROM n",
        [photos],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO renditions (sha256, kind, bytes, width, height, last_used_ms)
         SELECT sha256, 'thumb', 100, 320, 240, id FROM photos WHERE id < ?1",
        [photos],
    )
    .unwrap();
    if done + pending > 0 {
        conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1 + ?2)
             INSERT INTO jobs (kind, subject, status, run_after_ms, created_ms, updated_ms)
             SELECT 'thumbnail', 'photo ' || i,
                    CASE WHEN i <= ?1 THEN 'done' ELSE 'pending' END, i, 0, 0 FROM n",
            [done, pending],
        )
        .unwrap();
    }
    conn
}

/// Runs `f` and counts the VM steps of everything it ran.
fn steps<T>(conn: &mut Connection, f: impl FnOnce(&Connection) -> T) -> (T, u64) {
    let counter = Arc::new(AtomicU64::new(0));
    let count = counter.clone();
    conn.progress_handler(
        1,
        Some(move || {
            count.fetch_add(1, Ordering::Relaxed);
            false
        }),
    )
    .unwrap();
    let out = f(&*conn);
    conn.progress_handler(0, None::<fn() -> bool>).unwrap();
    (out, counter.load(Ordering::Relaxed))
}

fn writer(conn: &Connection) -> Writer<'_> {
    Writer {
        conn,
        now_ms: 1_000_000_000,
    }
}

/// Small and large must cost alike: a few steps more for a deeper B-tree at
/// most, never a share of the rows.
fn assert_flat(what: &str, small: u64, large: u64) {
    assert!(small > 0, "{what}: the VM step counter read nothing");
    assert!(
        large <= small * 2,
        "{what} took {small} VM steps in the small catalog and {large} in the large one"
    );
}

const SMALL: u32 = 20;
const LARGE: u32 = 40_000;

#[test]
fn writing_a_rendition_costs_the_same_at_any_size() {
    let cost = |photos: u32| {
        let mut conn = catalog(photos, 0, 0);
        let sha = format!("{photos:064x}");
        let ((), n) = steps(&mut conn, |c| {
            writer(c)
                .put_rendition(&sha, "thumb", 100, 320, 240)
                .unwrap()
        });
        let totals = Reader { conn: &conn }.rendition_totals().unwrap();
        assert_eq!(totals, (u64::from(photos), u64::from(photos) * 100));
        n
    };
    assert_flat("a rendition write", cost(SMALL), cost(LARGE));
}

#[test]
fn evicting_costs_the_same_at_any_size() {
    let cost = |photos: u32| {
        let mut conn = catalog(photos, 0, 0);
        // 150 bytes over: the two least recently used go.
        let limit = u64::from(photos - 1) * 100 - 150;
        let (evicted, n) = steps(&mut conn, |c| writer(c).evict_renditions(limit).unwrap());
        assert_eq!(
            evicted,
            [1, 2].map(|i| (format!("{i:064x}"), "thumb".to_string()))
        );
        n
    };
    assert_flat("an eviction", cost(SMALL), cost(LARGE));
    // Under the limit it reads the kept total only.
    let cost = |photos: u32| {
        let mut conn = catalog(photos, 0, 0);
        let (evicted, n) = steps(&mut conn, |c| {
            writer(c).evict_renditions(u64::MAX / 2).unwrap()
        });
        assert!(evicted.is_empty());
        n
    };
    assert_flat(
        "an eviction check under the limit",
        cost(SMALL),
        cost(LARGE),
    );
}

#[test]
fn the_idle_check_costs_the_same_at_any_size() {
    let cost = |done: u32, pending: u32| {
        let mut conn = catalog(1, done, pending);
        let (busy, n) = steps(&mut conn, |c| {
            Reader { conn: c }
                .has_unfinished_jobs(JobKind::Thumbnail)
                .unwrap()
        });
        assert_eq!(busy, pending > 0);
        n
    };
    assert_flat(
        "the idle check with work waiting",
        cost(SMALL / 2, SMALL / 2),
        cost(LARGE / 2, LARGE / 2),
    );
    assert_flat("the idle check when idle", cost(SMALL, 0), cost(LARGE, 0));
}
