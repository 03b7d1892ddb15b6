//! Opening a catalog file: connection settings, WAL, and the migrations of
//! `migrations.rs`, tracked in `PRAGMA user_version`, each in its own transaction.

use rusqlite::Connection;

use crate::migrations::MIGRATIONS;
use crate::{CatalogError, Result};

/// The schema version this build writes.
pub const CURRENT_VERSION: i64 = MIGRATIONS.len() as i64;

/// Bring `conn` to [`CURRENT_VERSION`]. Refuses catalogs from newer builds rather
/// than guessing at their meaning.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT_VERSION {
        return Err(CatalogError::TooNew {
            found,
            known: CURRENT_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now >= version {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "catalog migrated");
    }
    Ok(())
}

/// How long a connection waits for another one's lock before giving up.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Connection settings shared by the writer and the readers.
pub fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(())
}

/// Put the file in WAL mode (a no-op when it already is) and return the mode the
/// file system allowed. SQLite answers `PRAGMA journal_mode` with "database is
/// locked" at once, without its busy handler, while another process holds a write
/// lock: the app and `findme watch` beside a `findme stats` do. So this waits out
/// such a lock itself, as the busy handler would, up to the same timeout.
pub fn enable_wal(conn: &Connection) -> Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(mode) => return Ok(mode),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog written before v6 gets its tiles' state filled in (and v7 its
    /// cache totals).
    #[test]
    fn v6_fills_in_the_tile_state_of_an_older_catalog() {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute_batch(
            "INSERT INTO photos (id, sha256, size, format, status, taken_ms, imported_ms)
                 VALUES (1, 'a', 1, 'jpeg', 'ok', 0, 0), (2, 'b', 1, 'jpeg', 'ok', 0, 0);
             INSERT INTO locations (id, path, photo_id, size, mtime_ns, dir, stem, seen_ms)
                 VALUES (7, x'2f62', 1, 1, 0, x'2f', 'b', 0), (3, x'2f61', 1, 1, 0, x'2f', 'a', 0);
             INSERT INTO jobs (kind, subject, photo_id, status, run_after_ms, created_ms, updated_ms)
                 VALUES ('thumbnail', 'a', 1, 'done', 0, 0, 0), ('match', 'a', 1, 'failed', 0, 0, 0),
                        ('push', '1', 1, 'done', 0, 0, 0), ('push', '2', 1, 'pending', 0, 0, 0);
             INSERT INTO renditions (sha256, kind, bytes, width, height, last_used_ms)
                 VALUES ('a', 'thumb', 1, 1, 1, 0), ('b', 'preview', 1, 1, 1, 0);",
        )
        .unwrap();
        // To v7: v8 makes match jobs per event (tests/studio/migration.rs).
        for sql in &MIGRATIONS[5..7] {
            conn.execute_batch(sql).unwrap();
        }
        let state = |id: i64| {
            conn.query_row(
                "SELECT thumbnail_job, match_job, push_job, thumbnail_cached, first_path
                   FROM photos WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, Option<String>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, Option<Vec<u8>>>(4)?,
                    ))
                },
            )
            .unwrap()
        };
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            state(1),
            (
                some("done"),
                some("failed"),
                some("pending"),
                true,
                Some(b"/a".to_vec())
            )
        );
        assert_eq!(state(2), (None, None, None, false, None));
        // v7 starts the cache's totals from the renditions already there.
        let totals: (i64, i64) = conn
            .query_row("SELECT files, bytes FROM rendition_totals", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(totals, (2, 2));
    }

    /// v9 turns what a v8 catalog still owed into deletion work: the Rekognition
    /// faces of withdrawn and removed participants, the collections of closed
    /// Rekognition events, and the selfie files of all of them.
    #[test]
    fn v9_turns_what_a_v8_catalog_owed_into_deletion_work() {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO events (id, name, collection_id, created_ms, backend, closed_ms) VALUES
                 ('gala', 'Gala', 'findme-gala', 0, 'rekognition', NULL),
                 ('old', 'Old', 'findme-old', 0, 'rekognition', 5),
                 ('here', 'Here', 'findme-here', 0, 'local', NULL);
             INSERT INTO participants (event_id, id, display_name, selfie_sha256, selfie_path,
                                       consent, face_id, removed_ms, updated_ms) VALUES
                 ('gala', 'ann', 'Ann', 's1', x'2f31', 1, 'F-ann', NULL, 1),
                 ('gala', 'ben', 'Ben', 's2', x'2f32', 0, 'F-ben', NULL, 1),
                 ('gala', 'cy', 'Cy', 's3', x'2f33', 1, 'F-cy', 9, 1),
                 ('here', 'dee', 'Dee', 's4', x'2f34', 0, 'p-dee', NULL, 1),
                 ('old', 'eve', 'Eve', 's5', x'2f35', 1, NULL, NULL, 1);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[8]).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT event_id, target, coalesce(face_ids, ''), coalesce(person, ''),
                        coalesce(sha256, ''), reason
                   FROM deletions ORDER BY event_id, target, person, sha256",
            )
            .unwrap();
        let rows: Vec<[String; 6]> = stmt
            .query_map([], |r| {
                Ok([
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ])
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let row = |e: &str, t: &str, f: &str, p: &str, s: &str, why: &str| {
            [e, t, f, p, s, why].map(str::to_string)
        };
        assert_eq!(
            rows,
            [
                row("gala", "faces", "F-ben", "ben", "", "consent withdrawn"),
                row("gala", "faces", "F-cy", "cy", "", "participant removed"),
                row("gala", "selfie", "", "", "s2", "consent withdrawn"),
                row("gala", "selfie", "", "", "s3", "participant removed"),
                row("here", "selfie", "", "", "s4", "consent withdrawn"),
                row("old", "collection", "", "", "", "event closed"),
                row("old", "selfie", "", "", "s5", "event closed"),
            ]
        );
        let kept: (Option<String>, Option<String>) = conn
            .query_row(
                "SELECT face_id, selfie_sha256 FROM participants WHERE id = 'ann'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, (Some("F-ann".into()), Some("s1".into())));
        let owed: i64 = conn
            .query_row(
                "SELECT count(*) FROM participants
                  WHERE id <> 'ann' AND (face_id IS NOT NULL OR selfie_path IS NOT NULL)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(owed, 0, "what is owed lives in deletions only");
    }

    /// v10 keeps what existing events' servers show (every searched photo: 'all')
    /// while new events publish matched photos only, and ties the saved sync
    /// event's sent state to the saved server (without its trailing slash).
    #[test]
    fn v10_keeps_existing_events_publishing_everything_and_knows_their_server() {
        let conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..9] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO events (id, name, collection_id, created_ms) VALUES
                 ('gala', 'Gala', 'findme-gala', 0), ('old', 'Old', 'findme-old', 0);
             INSERT INTO settings (key, value) VALUES
                 ('sync.server_url', 'https://events.example.com/'), ('sync.event', 'gala');",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[9]).unwrap();
        conn.execute(
            "INSERT INTO events (id, name, collection_id, created_ms) VALUES ('new', 'New', 'findme-new', 1)",
            [],
        )
        .unwrap();
        let rows: Vec<(String, String, Option<String>)> = conn
            .prepare("SELECT id, publish, sent_to FROM events ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let row = |id: &str, publish: &str, to: Option<&str>| {
            (id.to_string(), publish.to_string(), to.map(str::to_string))
        };
        assert_eq!(
            rows,
            [
                row("gala", "all", Some("https://events.example.com")),
                row("new", "matched", None),
                row("old", "all", None),
            ]
        );
    }

    /// v11 keeps a selfie's faces; the selfies a v10 catalog refused for
    /// several faces (with consent, not removed) are looked at again to find
    /// them, and nothing else is queued.
    #[test]
    fn v11_looks_again_at_selfies_refused_for_several_faces() {
        let conn = Connection::open_in_memory().unwrap();
        let v11 = MIGRATIONS
            .iter()
            .position(|m| *m == crate::migration_v11::V11)
            .unwrap();
        for sql in &MIGRATIONS[..v11] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO events (id, name, collection_id, created_ms, backend) VALUES
                 ('gala', 'Gala', 'findme-gala', 0, 'rekognition');
             INSERT INTO participants (event_id, id, display_name, selfie_sha256, selfie_path,
                                       consent, face_id, index_error, updated_ms) VALUES
                 ('gala', 'ann', 'Ann', 's1', x'2f31', 1, NULL,
                  'several faces (2) in the selfie: pick one', 1),
                 ('gala', 'ben', 'Ben', 's2', x'2f32', 1, NULL, 'no face found in the selfie', 1),
                 ('gala', 'cy', 'Cy', 's3', x'2f33', 0, NULL,
                  'several faces (3) in the selfie: pick one', 1),
                 ('gala', 'dee', 'Dee', 's4', x'2f34', 1, 'F-dee', NULL, 1);
             INSERT INTO jobs (kind, subject, event_id, status, attempts, run_after_ms,
                               created_ms, updated_ms) VALUES
                 ('index-participant', 'gala/ann', 'gala', 'done', 1, 0, 0, 0),
                 ('index-participant', 'gala/ben', 'gala', 'done', 1, 0, 0, 0),
                 ('index-participant', 'gala/cy', 'gala', 'done', 1, 0, 0, 0),
                 ('index-participant', 'gala/dee', 'gala', 'done', 1, 0, 0, 0);",
        )
        .unwrap();
        conn.execute_batch(MIGRATIONS[v11]).unwrap();
        let mut stmt = conn
            .prepare("SELECT subject, status, attempts FROM jobs ORDER BY subject")
            .unwrap();
        let jobs: Vec<(String, String, i64)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let job = |s: &str, status: &str, attempts| (s.to_string(), status.to_string(), attempts);
        assert_eq!(
            jobs,
            [
                job("gala/ann", "pending", 0),
                job("gala/ben", "done", 1),
                job("gala/cy", "done", 1),
                job("gala/dee", "done", 1),
            ]
        );
        let (faces, picked): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM selfie_faces),
                        (SELECT count(*) FROM participants
                          WHERE face_pick IS NOT NULL OR face_used IS NOT NULL)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((faces, picked), (0, 0));
    }
}
