//! The PostgreSQL schema: its own migration list (not SQLite's, whose types and
//! `ALTER` steps differ), applied in order and recorded in `findme_schema`.
//!
//! Column names are SQLite's, so the two arms read alike; the types are
//! PostgreSQL's (BIGINT, BOOLEAN, DOUBLE PRECISION, TEXT). Differences on
//! purpose:
//! - `participants.seq` is numbered per event (`UNIQUE (event_id, seq)`) under a
//!   per-event advisory lock: the cursor is per event, and one event's writers
//!   never wait for another's.
//! - indexes for what SQLite scans cheaply on one machine but a shared server
//!   should not: images still referenced, tokens and sessions of a participant.

use deadpool_postgres::Client;

use crate::db::DbError;

/// Key of the transaction-level advisory lock the migrations run under
/// (an arbitrary constant: "findme" in ASCII).
const MIGRATION_LOCK: i64 = 0x6669_6e64_6d65;

/// Migration `n` is `MIGRATIONS[n - 1]`; never edit a released one, append.
pub const MIGRATIONS: &[&str] = &[V1, V2];

/// v1: what SQLite's schema v1 + migration v2 hold (issue 16's registration,
/// sessions, revocation, grid renditions).
const V1: &str = r#"
CREATE TABLE events (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    created_ms        BIGINT NOT NULL,
    last_push_ms      BIGINT,
    registration_open BOOLEAN NOT NULL DEFAULT FALSE,
    registration_code TEXT,
    intro             TEXT NOT NULL DEFAULT '',
    matcher           TEXT NOT NULL DEFAULT 'device' CHECK (matcher IN ('device', 'rekognition')),
    retention_days    BIGINT NOT NULL DEFAULT 30,
    ended_ms          BIGINT
);
CREATE TABLE tokens (
    hash           TEXT PRIMARY KEY,          -- hex sha256 of the token; never the token
    kind           TEXT NOT NULL CHECK (kind IN ('photographer', 'attendee')),
    event_id       TEXT NOT NULL REFERENCES events(id),
    participant_id TEXT,
    created_ms     BIGINT NOT NULL,
    revoked_ms     BIGINT
);
CREATE INDEX tokens_participant ON tokens(event_id, participant_id);
CREATE TABLE participants (
    event_id        TEXT NOT NULL REFERENCES events(id),
    id              TEXT NOT NULL,
    display_name    TEXT NOT NULL,
    selfie_sha256   TEXT,
    consent         BOOLEAN NOT NULL DEFAULT TRUE,
    deleted         BOOLEAN NOT NULL DEFAULT FALSE,
    seq             BIGINT NOT NULL,          -- the roster cursor, per event
    self_registered BOOLEAN NOT NULL DEFAULT FALSE,
    registered_ms   BIGINT,
    PRIMARY KEY (event_id, id),
    UNIQUE (event_id, seq)
);
CREATE INDEX participants_selfie ON participants(selfie_sha256);
CREATE TABLE images (
    sha256       TEXT PRIMARY KEY,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL
);
CREATE TABLE photos (
    event_id     TEXT NOT NULL REFERENCES events(id),
    sha256       TEXT NOT NULL,
    image_sha256 TEXT REFERENCES images(sha256),
    grid_sha256  TEXT REFERENCES images(sha256),
    revision     BIGINT NOT NULL DEFAULT 0,
    metadata     TEXT,                        -- the accepted PhotoMetadata as JSON
    captured_at  TEXT,
    width        BIGINT,
    height       BIGINT,
    withdrawn    BOOLEAN NOT NULL DEFAULT FALSE,
    updated_ms   BIGINT NOT NULL,
    PRIMARY KEY (event_id, sha256)
);
CREATE INDEX photos_sha ON photos(sha256);
CREATE INDEX photos_image ON photos(image_sha256);
CREATE INDEX photos_grid ON photos(grid_sha256);
CREATE TABLE photo_faces (
    event_id       TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    idx            BIGINT NOT NULL,
    participant_id TEXT,
    confidence     DOUBLE PRECISION NOT NULL,
    left_frac      DOUBLE PRECISION NOT NULL,
    top_frac       DOUBLE PRECISION NOT NULL,
    width_frac     DOUBLE PRECISION NOT NULL,
    height_frac    DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (event_id, sha256, idx)
);
CREATE INDEX photo_faces_participant ON photo_faces(event_id, participant_id);
CREATE TABLE sessions (
    hash           TEXT PRIMARY KEY,          -- hex sha256 of the cookie value
    event_id       TEXT NOT NULL REFERENCES events(id),
    participant_id TEXT NOT NULL,
    created_ms     BIGINT NOT NULL
);
CREATE INDEX sessions_participant ON sessions(event_id, participant_id);
"#;

/// v2: shared rate-limit buckets (`rate_buckets.rs`), as SQLite's v3.
const V2: &str = r#"
CREATE TABLE rate_buckets (
    key        TEXT PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_ms BIGINT NOT NULL,
    allowed    BOOLEAN NOT NULL             -- the last take's answer (RETURNING)
);
"#;

/// Applies the missing migrations in one transaction that first takes an
/// advisory lock: instances starting together queue on it, and each later one
/// finds the versions already recorded. DDL is transactional in PostgreSQL, so
/// a failed step leaves the previous version intact.
pub async fn migrate(client: &mut Client) -> Result<(), DbError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS findme_schema (
             version    BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM findme_schema", &[])
        .await?
        .get(0);
    let known = i64::try_from(MIGRATIONS.len()).unwrap_or(i64::MAX);
    if current > known {
        return Err(DbError::Corrupt(format!(
            "the database's schema is version {current}, newer than this server's {known}: \
             upgrade the server"
        )));
    }
    for (version, sql) in (1i64..)
        .zip(MIGRATIONS.iter())
        .skip(usize::try_from(current).unwrap_or(0))
    {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO findme_schema (version) VALUES ($1)",
            &[&version],
        )
        .await?;
        tracing::info!(version, "PostgreSQL schema migrated");
    }
    tx.commit().await?;
    Ok(())
}
