//! Shared rate-limit buckets (issue 18): a token bucket per key (e.g. a route
//! and a client address) in the metadata store, so every instance behind a load
//! balancer draws from the same bucket. One UPSERT per request: the row's lock
//! (PostgreSQL) or the single writer (SQLite) makes each take atomic.
//!
//! Semantics, the same as the in-memory `guest::limit::RateLimit`: a new key
//! starts full with `burst` tokens; a bucket refills at `per_minute` tokens per
//! minute of `now_ms` since its last take, up to `burst`; a request is allowed
//! if at least one whole token is there, and then takes it. Both numbers count
//! as at least 1. A `now_ms` older than the bucket's (another instance's clock
//! behind) refills nothing and never moves the bucket's time back.

use rusqlite::{params, Connection};

use crate::db::DbError;

/// The bucket's level after refilling, in SQL over the old row; `p`, `b`, `n`
/// are the dialect's placeholders for per-minute, burst and now. Columns are
/// qualified: PostgreSQL finds a bare `tokens` ambiguous with `excluded.tokens`.
fn refilled(least: &str, greatest: &str, p: &str, b: &str, n: &str) -> String {
    format!(
        "{least}({b}, rate_buckets.tokens \
         + {greatest}(0, {n} - rate_buckets.updated_ms) * {p} / 60000.0)"
    )
}

/// The UPSERT for one dialect: `least`/`greatest` are PostgreSQL's names for
/// SQLite's scalar `min`/`max`.
pub(crate) fn upsert_sql(least: &str, greatest: &str, params: [&str; 4]) -> String {
    let [key, p, b, n] = params;
    let level = refilled(least, greatest, p, b, n);
    format!(
        "INSERT INTO rate_buckets (key, tokens, updated_ms, allowed)
         VALUES ({key}, {b} - 1, {n}, TRUE)
         ON CONFLICT (key) DO UPDATE SET
           allowed = {level} >= 1,
           tokens = {level} - CASE WHEN {level} >= 1 THEN 1 ELSE 0 END,
           updated_ms = {greatest}(rate_buckets.updated_ms, {n})
         RETURNING allowed"
    )
}

/// The clamped numbers both arms bind.
pub(crate) fn rates(per_minute: u32, burst: u32) -> (f64, f64) {
    (f64::from(per_minute.max(1)), f64::from(burst.max(1)))
}

/// [`crate::store::Meta::take_token`] on SQLite.
pub(crate) fn take_token(
    c: &Connection,
    key: &str,
    per_minute: u32,
    burst: u32,
    now_ms: i64,
) -> Result<bool, DbError> {
    let (per_minute, burst) = rates(per_minute, burst);
    let sql = upsert_sql("min", "max", ["?1", "?2", "?3", "?4"]);
    Ok(c.query_row(&sql, params![key, per_minute, burst, now_ms], |r| r.get(0))?)
}
