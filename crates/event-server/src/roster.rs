//! Events and participants (SQL only; called on blocking threads).

use findme_protocol::{paths, Participant};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::db::DbError;

/// An event row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: String,
    pub name: String,
}

pub fn event(conn: &Connection, id: &str) -> Result<Option<EventRow>, DbError> {
    Ok(conn
        .query_row("SELECT id, name FROM events WHERE id = ?1", [id], |r| {
            Ok(EventRow {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })
        .optional()?)
}

/// Creates an event; `false` if the id is taken.
pub fn create_event(conn: &Connection, id: &str, name: &str) -> Result<bool, DbError> {
    let n = conn.execute(
        "INSERT OR IGNORE INTO events (id, name, created_ms) VALUES (?1, ?2, ?3)",
        params![id, name, crate::db::now_ms()],
    )?;
    Ok(n == 1)
}

/// The next roster sequence number. Must run inside the write transaction that uses
/// it: SQLite has one writer, so numbers become visible in commit order.
fn next_seq(tx: &Transaction<'_>) -> Result<i64, DbError> {
    Ok(tx.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM participants",
        [],
        |r| r.get(0),
    )?)
}

/// Adds or replaces a participant (un-deleting it, consent given). Returns its seq.
pub fn upsert_participant(
    tx: &Transaction<'_>,
    event: &str,
    id: &str,
    display_name: &str,
    selfie_sha256: &str,
) -> Result<i64, DbError> {
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO participants (event_id, id, display_name, selfie_sha256, consent, deleted, seq)
         VALUES (?1, ?2, ?3, ?4, 1, 0, ?5)
         ON CONFLICT (event_id, id) DO UPDATE SET
           display_name = excluded.display_name, selfie_sha256 = excluded.selfie_sha256,
           consent = 1, deleted = 0, seq = excluded.seq",
        params![event, id, display_name, selfie_sha256, seq],
    )?;
    Ok(seq)
}

/// Gives or withdraws consent; `false` if there is no such (live) participant.
pub fn set_consent(
    tx: &Transaction<'_>,
    event: &str,
    id: &str,
    consent: bool,
) -> Result<bool, DbError> {
    let seq = next_seq(tx)?;
    let n = tx.execute(
        "UPDATE participants SET consent = ?3, seq = ?4
          WHERE event_id = ?1 AND id = ?2 AND deleted = 0",
        params![event, id, consent, seq],
    )?;
    Ok(n == 1)
}

/// Deletes a participant, leaving a tombstone for delta polls; their tokens are
/// revoked and their sessions deleted (re-adding the id gives a fresh start). `false` if there is no such (live) participant.
pub fn delete_participant(tx: &Transaction<'_>, event: &str, id: &str) -> Result<bool, DbError> {
    let seq = next_seq(tx)?;
    let n = tx.execute(
        "UPDATE participants SET deleted = 1, consent = 0, selfie_sha256 = NULL, seq = ?3
          WHERE event_id = ?1 AND id = ?2 AND deleted = 0",
        params![event, id, seq],
    )?;
    // Re-adding the id later must not revive what this participant held.
    tx.execute(
        "UPDATE tokens SET revoked_ms = ?3
          WHERE event_id = ?1 AND participant_id = ?2 AND revoked_ms IS NULL",
        params![event, id, crate::db::now_ms()],
    )?;
    tx.execute(
        "DELETE FROM sessions WHERE event_id = ?1 AND participant_id = ?2",
        params![event, id],
    )?;
    Ok(n == 1)
}

/// Roster changes of `event` after sequence `since`, at most `limit`, oldest first.
/// Returns the participants and the cursor (the last seq returned, else `since`).
pub fn participants_since(
    conn: &Connection,
    event: &str,
    since: i64,
    limit: usize,
) -> Result<(Vec<Participant>, i64, bool), DbError> {
    let mut stmt = conn.prepare(
        "SELECT id, display_name, selfie_sha256, consent, deleted, seq FROM participants
          WHERE event_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let fetch = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
    let mut rows: Vec<Participant> = stmt
        .query_map(params![event, since, fetch], |r| {
            let id: String = r.get(0)?;
            let selfie: Option<String> = r.get(2)?;
            let consent: bool = r.get(3)?;
            let deleted: bool = r.get(4)?;
            let seq: i64 = r.get(5)?;
            let usable = consent && !deleted && selfie.is_some();
            Ok(Participant {
                selfie_url: usable.then(|| paths::selfie(event, &id)),
                selfie_sha256: if deleted { None } else { selfie },
                id,
                display_name: r.get(1)?,
                consent,
                deleted,
                updated_at: u64::try_from(seq).unwrap_or(0),
            })
        })?
        .collect::<Result<_, _>>()?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let cursor = rows
        .last()
        .map(|p| i64::try_from(p.updated_at).unwrap_or(since))
        .unwrap_or(since);
    Ok((rows, cursor, more))
}

/// The selfie of a live, consenting participant.
pub fn selfie_sha(conn: &Connection, event: &str, id: &str) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT selfie_sha256 FROM participants
              WHERE event_id = ?1 AND id = ?2 AND deleted = 0 AND consent = 1",
            params![event, id],
            |r| r.get::<_, Option<String>>(0),
        )
        .optional()?
        .flatten())
}

/// A live participant's display name.
pub fn participant_name(
    conn: &Connection,
    event: &str,
    id: &str,
) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT display_name FROM participants WHERE event_id = ?1 AND id = ?2 AND deleted = 0",
            params![event, id],
            |r| r.get(0),
        )
        .optional()?)
}

/// Records an image in the `images` table (idempotent).
pub fn record_image(
    conn: &Connection,
    sha256: &str,
    size: usize,
    content_type: &str,
) -> Result<(), DbError> {
    conn.execute(
        "INSERT OR IGNORE INTO images (sha256, size, content_type) VALUES (?1, ?2, ?3)",
        params![
            sha256,
            i64::try_from(size).unwrap_or(i64::MAX),
            content_type
        ],
    )?;
    Ok(())
}

/// The content type of a stored image.
pub fn image_type(conn: &Connection, sha256: &str) -> Result<Option<String>, DbError> {
    Ok(conn
        .query_row(
            "SELECT content_type FROM images WHERE sha256 = ?1",
            [sha256],
            |r| r.get(0),
        )
        .optional()?)
}

/// Whether any participant's selfie or any photo's rendition is the image
/// `sha256` (a consent-withdrawn participant still holds theirs).
pub fn image_in_use(conn: &Connection, sha256: &str) -> Result<bool, DbError> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM participants WHERE selfie_sha256 = ?1)
             OR EXISTS (SELECT 1 FROM photos WHERE image_sha256 = ?1 OR grid_sha256 = ?1)",
        [sha256],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Admin;

    #[test]
    fn pages_are_cut_at_the_limit_and_resume_at_the_cursor() {
        let dir = tempfile::tempdir().unwrap();
        let admin = Admin::open(dir.path()).unwrap();
        admin.create_event("E", Some("e")).unwrap();
        for id in ["a", "b", "c", "d", "e"] {
            admin
                .add_participant("e", id, b"\xFF\xD8\xFF selfie", Some(id))
                .unwrap();
        }
        let db = crate::db::Db::open(&crate::db_path(dir.path())).unwrap();
        let mut since = 0;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let (list, cursor, more) = db.with(|c| participants_since(c, "e", since, 2)).unwrap();
            pages += 1;
            assert!(list.len() <= 2);
            seen.extend(list.into_iter().map(|p| p.id));
            assert!(cursor >= since);
            since = cursor;
            if !more {
                break;
            }
        }
        assert_eq!(seen, ["a", "b", "c", "d", "e"]);
        assert_eq!(pages, 3);
    }
}
