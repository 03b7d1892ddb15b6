//! The server's SQLite database: one connection behind a mutex, used only from
//! blocking threads (`spawn_blocking`), so SQL never stalls the async runtime.
//!
//! A reference server for one event at a time does not need a pool: SQLite
//! serialises writers anyway, and the hot path (image bytes) never touches the lock.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

/// Schema v1 (`user_version` 0 or 1; [`migrate`] takes it on). `participants.seq` is the roster cursor: a global integer sequence
/// assigned inside the write transaction, so commits (serialised by SQLite) publish
/// sequence numbers in order and a delta poll can never skip one.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS events (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    created_ms   INTEGER NOT NULL,
    last_push_ms INTEGER
);
CREATE TABLE IF NOT EXISTS tokens (
    hash           TEXT PRIMARY KEY,          -- hex sha256 of the token; never the token
    kind           TEXT NOT NULL CHECK (kind IN ('photographer', 'attendee')),
    event_id       TEXT NOT NULL REFERENCES events(id),
    participant_id TEXT,
    created_ms     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS participants (
    event_id      TEXT NOT NULL REFERENCES events(id),
    id            TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    selfie_sha256 TEXT,
    consent       INTEGER NOT NULL DEFAULT 1,
    deleted       INTEGER NOT NULL DEFAULT 0,
    seq           INTEGER NOT NULL UNIQUE,
    PRIMARY KEY (event_id, id)
);
CREATE INDEX IF NOT EXISTS participants_event_seq ON participants(event_id, seq);
CREATE TABLE IF NOT EXISTS images (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS photos (
    event_id     TEXT NOT NULL REFERENCES events(id),
    sha256       TEXT NOT NULL,
    image_sha256 TEXT REFERENCES images(sha256),
    revision     INTEGER NOT NULL DEFAULT 0,
    metadata     TEXT,                        -- the accepted PhotoMetadata as JSON
    captured_at  TEXT,
    width        INTEGER,
    height       INTEGER,
    withdrawn    INTEGER NOT NULL DEFAULT 0,
    updated_ms   INTEGER NOT NULL,
    PRIMARY KEY (event_id, sha256)
);
CREATE INDEX IF NOT EXISTS photos_sha ON photos(sha256);
CREATE TABLE IF NOT EXISTS photo_faces (
    event_id       TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    idx            INTEGER NOT NULL,
    participant_id TEXT,
    confidence     REAL NOT NULL,
    left_frac      REAL NOT NULL,
    top_frac       REAL NOT NULL,
    width_frac     REAL NOT NULL,
    height_frac    REAL NOT NULL,
    PRIMARY KEY (event_id, sha256, idx)
);
CREATE INDEX IF NOT EXISTS photo_faces_participant ON photo_faces(event_id, participant_id);
"#;

/// Schema v2: guests register themselves (issue 16). Each step runs once, in a
/// transaction, keyed by `user_version`.
///
/// - `events`: registration open/closed (closed by default: the photographer opens
///   it), an optional event code (printed on the card, not a secret like a token,
///   so stored in clear), the photographer's short text, which matcher the consent
///   text names, the retention after the close it promises, and when the
///   photographer closed the event (`ended_ms`: the retention clock's start).
/// - `participants.self_registered`: a guest who signed up on `/e/{event}`.
/// - `tokens.revoked_ms`: a revoked token stops working at once, and removing a
///   participant revokes their tokens, so re-adding the id never revives them.
/// - `sessions`: a guest's browser session (cookie), stored as a hash like tokens;
///   deleted when the guest withdraws.
/// - `photos.grid_sha256`: the ~480 px grid rendition beside the web rendition.
const MIGRATION_V2: &str = r#"
ALTER TABLE events ADD COLUMN registration_open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN registration_code TEXT;
ALTER TABLE events ADD COLUMN intro TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN matcher TEXT NOT NULL DEFAULT 'device'
    CHECK (matcher IN ('device', 'rekognition'));
ALTER TABLE events ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE events ADD COLUMN ended_ms INTEGER;
ALTER TABLE participants ADD COLUMN self_registered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN registered_ms INTEGER;
ALTER TABLE tokens ADD COLUMN revoked_ms INTEGER;
CREATE TABLE sessions (
    hash           TEXT PRIMARY KEY,          -- hex sha256 of the cookie value
    event_id       TEXT NOT NULL REFERENCES events(id),
    participant_id TEXT NOT NULL,
    created_ms     INTEGER NOT NULL
);
CREATE INDEX sessions_participant ON sessions(event_id, participant_id);
ALTER TABLE photos ADD COLUMN grid_sha256 TEXT REFERENCES images(sha256);
PRAGMA user_version = 2;
"#;

/// Schema v3: shared rate-limit buckets (issue 18, `rate_buckets.rs`): a token
/// bucket per key, so the limits hold across everything using this database.
const MIGRATION_V3: &str = r#"
CREATE TABLE rate_buckets (
    key        TEXT PRIMARY KEY,
    tokens     REAL NOT NULL,
    updated_ms INTEGER NOT NULL,
    allowed    INTEGER NOT NULL             -- the last take's answer (RETURNING)
);
PRAGMA user_version = 3;
"#;

/// The schema version [`migrate`] brings a database to.
const CURRENT_VERSION: i64 = 3;

/// Brings a v1 database to the current schema. The version is read again inside
/// the write transaction: a server and an admin command opening one data folder
/// at the same moment must not both run a step (the second would fail on
/// "duplicate column").
fn migrate(conn: &mut Connection) -> Result<(), DbError> {
    let version = |c: &Connection| -> Result<i64, DbError> {
        Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    };
    if version(conn)? >= CURRENT_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    if version(&tx)? < 2 {
        tx.execute_batch(MIGRATION_V2)?;
    }
    if version(&tx)? < 3 {
        tx.execute_batch(MIGRATION_V3)?;
    }
    tx.commit()?;
    Ok(())
}

/// Errors from the database layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    /// A PostgreSQL statement or connection failed (the server's message kept).
    #[error("database: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// No pooled PostgreSQL connection could be had (pool exhausted past its
    /// wait timeout, or the server unreachable).
    #[error("database pool: {0}")]
    PgPool(#[from] deadpool_postgres::PoolError),
    /// The PostgreSQL URL or pool settings were refused.
    #[error("database setup: {0}")]
    PgSetup(String),
    #[error("database worker failed: {0}")]
    Join(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Shared handle to the database.
#[derive(Clone)]
pub struct Db {
    conn: Arc<Mutex<Connection>>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, in WAL mode with full
    /// fsync on commit: an answered PUT survives kill -9 and power loss.
    pub fn open(path: &Path) -> Result<Self, DbError> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.execute_batch(SCHEMA)?;
        migrate(&mut conn)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Runs `f` with the connection on the calling thread (CLI and blocking code).
    pub fn with<R>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, DbError>,
    ) -> Result<R, DbError> {
        // A panic while holding the lock poisons it; the connection itself is still
        // consistent (SQLite rolls back unfinished transactions), so keep going.
        let mut guard = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }

    /// Runs `f` on a blocking thread (from async handlers).
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, DbError> + Send + 'static,
    ) -> Result<R, DbError> {
        let db = self.clone();
        tokio::task::spawn_blocking(move || db.with(f))
            .await
            .map_err(|e| DbError::Join(e.to_string()))?
    }
}

/// Milliseconds since the Unix epoch (for display fields only, never for ordering).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(conn: &Connection, table: &str) -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn processes_opening_one_v1_database_at_once_migrate_it_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        Connection::open(&path)
            .unwrap()
            .execute_batch(SCHEMA)
            .unwrap();
        let start = std::sync::Arc::new(std::sync::Barrier::new(8));
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    Db::open(&path).map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            opener.join().unwrap().unwrap();
        }
    }

    #[test]
    fn a_v1_database_is_migrated_once_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA).unwrap();
            conn.execute_batch(
                "PRAGMA user_version = 1;
                 INSERT INTO events (id, name, created_ms) VALUES ('e', 'E', 1);",
            )
            .unwrap();
        }
        for _ in 0..2 {
            let db = Db::open(&path).unwrap();
            db.with(|c| {
                assert!(columns(c, "events").contains(&"registration_open".to_string()));
                assert!(columns(c, "photos").contains(&"grid_sha256".to_string()));
                let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0))?;
                assert_eq!(version, CURRENT_VERSION);
                let open: bool = c.query_row(
                    "SELECT registration_open FROM events WHERE id = 'e'",
                    [],
                    |r| r.get(0),
                )?;
                assert!(!open, "registration starts closed");
                Ok(())
            })
            .unwrap();
        }
    }
}
