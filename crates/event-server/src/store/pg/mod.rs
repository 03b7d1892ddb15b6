//! [`Meta`](super::Meta) on PostgreSQL: the same answers as the SQLite arm
//! (`store/sqlite.rs`), for several server instances sharing one database.
//!
//! - A pool of connections (deadpool, 16 by default); each method is one READ
//!   COMMITTED transaction ([`in_tx!`]) or one statement.
//! - A serialization failure or deadlock between concurrent writers retries the
//!   whole transaction a few times, so they converge instead of answering 500.
//! - The roster cursor stays gap-free with writers on several instances because
//!   every roster write numbers its change under a per-event advisory lock held
//!   until commit ([`roster::next_roster_seq`], docs/scale-out.md).
//! - The schema has its own migration list ([`schema`]), applied once under an
//!   advisory lock however many instances start at the same moment.
//!
//! The methods live beside their SQL: `roster.rs` (events, participants, images),
//! `photos.rs`, `tokens.rs`, `guests.rs` (registration, sessions).

use std::time::Duration;

use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use super::DatabaseUrl;
use crate::db::DbError;

mod guests;
mod photo_views;
mod photos;
pub mod roster;
pub mod schema;
mod tokens;

pub use deadpool_postgres::{Client, Transaction};

/// Connections per instance unless told otherwise: enough for a busy instance
/// on a small machine, well under PostgreSQL's default `max_connections` (100)
/// for a handful of instances.
pub const DEFAULT_POOL_SIZE: usize = 16;

/// Attempts of a transaction that failed on a serialization failure or deadlock.
pub(crate) const MAX_ATTEMPTS: u32 = 5;

/// A pool of connections to one PostgreSQL database.
#[derive(Clone)]
pub struct PgMeta {
    pool: Pool,
}

impl std::fmt::Debug for PgMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgMeta")
            .field("pool", &self.pool.status())
            .finish()
    }
}

/// Runs `$body` inside a READ COMMITTED transaction bound to `$tx` on a pooled
/// connection, commits, and yields the body's value. `return Ok(x)` inside the
/// body answers `x` without committing (the transaction rolls back). A
/// serialization failure or deadlock anywhere retries the whole body.
macro_rules! in_tx {
    ($meta:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = 1u32;
        loop {
            let result: Result<_, $crate::db::DbError> = async {
                let mut client = $meta.client().await?;
                // Explicit: a database whose default is REPEATABLE READ would
                // let a roster writer read MAX(seq) from before its lock wait.
                let $tx = client
                    .build_transaction()
                    .isolation_level(tokio_postgres::IsolationLevel::ReadCommitted)
                    .start()
                    .await?;
                let out = $body;
                $tx.commit().await?;
                Ok(out)
            }
            .await;
            match result {
                Err(e)
                    if $crate::store::pg::is_transient(&e)
                        && attempt < $crate::store::pg::MAX_ATTEMPTS =>
                {
                    $crate::store::pg::back_off(attempt).await;
                    attempt += 1;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use in_tx;

/// Whether an error is one a retry of the same transaction can cure: another
/// writer won a serialization race or a deadlock was broken by aborting us.
pub fn is_transient(e: &DbError) -> bool {
    match e {
        DbError::Postgres(e) => matches!(
            e.code(),
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
        ),
        _ => false,
    }
}

/// A short, growing, jittered pause, so two writers that collided do not
/// collide again in lockstep.
pub(crate) async fn back_off(attempt: u32) {
    let jitter: u64 = rand::random::<u64>() % 5;
    tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 5 + jitter)).await;
}

impl PgMeta {
    /// Connects (pool of [`DEFAULT_POOL_SIZE`]) and brings the schema up to date.
    pub async fn connect(url: &DatabaseUrl) -> Result<Self, DbError> {
        Self::connect_with_pool_size(url, DEFAULT_POOL_SIZE).await
    }

    /// Like [`PgMeta::connect`] with at most `size` connections.
    pub async fn connect_with_pool_size(url: &DatabaseUrl, size: usize) -> Result<Self, DbError> {
        let config: tokio_postgres::Config = url
            .as_str()
            .parse()
            .map_err(|e| DbError::PgSetup(format!("{url}: {e}")))?;
        // TLS: NoTls for now; a hosted database needs tokio-postgres-rustls here.
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                // A broken connection shows up as an error on first use; checking
                // each one on checkout would add a round trip per request.
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| DbError::PgSetup(e.to_string()))?;
        let meta = Self { pool };
        {
            let mut client = meta.client().await?;
            schema::migrate(&mut client).await?;
        }
        Ok(meta)
    }

    /// One UPSERT on the key's row: its row lock makes concurrent takes from
    /// several instances queue (`rate_buckets.rs` has the semantics).
    pub async fn take_token(
        &self,
        key: &str,
        per_minute: u32,
        burst: u32,
        now_ms: i64,
    ) -> Result<bool, DbError> {
        let (per_minute, burst) = crate::rate_buckets::rates(per_minute, burst);
        let sql = crate::rate_buckets::upsert_sql(
            "least",
            "greatest",
            ["$1", "$2::float8", "$3::float8", "$4::bigint"],
        );
        let client = self.client().await?;
        Ok(
            query_one(&client, &sql, &[&key, &per_minute, &burst, &now_ms])
                .await?
                .get(0),
        )
    }

    /// A pooled connection (tests use it to hold a roster transaction open).
    #[doc(hidden)]
    pub async fn client(&self) -> Result<Client, DbError> {
        Ok(self.pool.get().await?)
    }
}

/// `usize` / `u32` / `u64` into a BIGINT parameter (saturating: these are sizes
/// and counters far below 2^63).
pub(crate) fn big(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

/// A BIGINT read back into an unsigned field (negative: 0, as the SQLite arm).
pub(crate) fn unsigned<T: TryFrom<i64> + Default>(n: i64) -> T {
    T::try_from(n).unwrap_or_default()
}

/// One statement, prepared once per connection (the pool keeps the cache), then run.
pub(crate) async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, DbError> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query(&statement, params).await?)
}

/// [`query`] expecting at most one row.
pub(crate) async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, DbError> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query_opt(&statement, params).await?)
}

/// [`query`] expecting exactly one row.
pub(crate) async fn query_one<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Row, DbError> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.query_one(&statement, params).await?)
}

/// [`query`] for a statement without rows; how many rows it changed.
pub(crate) async fn execute<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, DbError> {
    let statement = c.prepare_cached(sql).await?;
    Ok(c.execute(&statement, params).await?)
}
