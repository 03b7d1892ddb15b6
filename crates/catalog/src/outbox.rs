//! The sync outbox: what the event server must hear about, and the `push` jobs
//! that drain it.
//!
//! Each pending outbox row has one push job (subject = the row id), inserted in
//! the transaction that writes the row. The row id doubles as the revision sent
//! to the server: ids only grow, so a newer change of a photo always carries a
//! higher revision than an older one. A photo has at most one pending 'photo'
//! row; a later change replaces it with a new row (new id), so a push of the old
//! row can never mark the newer change as sent.

use std::path::PathBuf;

use rusqlite::{params, Connection, OptionalExtension};

use crate::jobs::{insert_job, JobKind};
use crate::matching::FaceRow;
use crate::{Reader, Result, Writer};

/// Counter names of the sync stage (`counters` table, all time).
pub const SYNC_PUSHED: &str = "sync.pushed";
pub const SYNC_BYTES: &str = "sync.bytes";

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub event_id: String,
    /// "photo", "photo_withdrawn" or "participant_removed".
    pub kind: String,
    /// Photo row id ("photo"), photo SHA-256 ("photo_withdrawn"), participant id.
    pub subject: String,
    pub created_ms: i64,
    pub sent_ms: Option<i64>,
}

/// Everything a push of one photo needs, read in one snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct PushPhoto {
    pub sha256: String,
    pub format: String,
    /// Where the original can be read, oldest location first.
    pub sources: Vec<PathBuf>,
    pub captured_at: Option<String>,
    /// Size of the upright original (orientation applied), if known.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub camera: Option<String>,
    /// The photo's faces matched to a participant of the event.
    pub matched: Vec<FaceRow>,
}

/// Outbox totals. `pending` excludes `failed` (rows whose push job was quarantined).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxTotals {
    pub pending: u64,
    pub sent: u64,
    pub failed: u64,
    /// Pending rows whose push job can run now (due, or running): while this is
    /// above zero a sync is still making progress.
    pub due: u64,
}

/// Insert an outbox row and its push job; returns the row id.
pub(crate) fn insert_outbox(
    conn: &Connection,
    event: &str,
    kind: &str,
    subject: &str,
    photo_id: Option<i64>,
    now_ms: i64,
) -> Result<i64> {
    let id: i64 = conn.query_row(
        "INSERT INTO outbox (event_id, kind, subject, created_ms) VALUES (?1, ?2, ?3, ?4) RETURNING id",
        params![event, kind, subject, now_ms],
        |r| r.get(0),
    )?;
    insert_job(
        conn,
        JobKind::Push,
        &id.to_string(),
        photo_id,
        Some(event),
        now_ms,
    )?;
    Ok(id)
}

/// Replace the photo's pending 'photo' row (if any) with a new one: the newer
/// change gets a higher id, hence a higher revision on the server. The new row
/// is inserted before the old one is deleted: `outbox.id` is a plain rowid, and
/// deleting the highest row first would let SQLite hand out the same id again.
pub(crate) fn queue_photo(
    conn: &Connection,
    event: &str,
    photo_id: i64,
    now_ms: i64,
) -> Result<()> {
    let subject = photo_id.to_string();
    let new = insert_outbox(conn, event, "photo", &subject, Some(photo_id), now_ms)?;
    let old: Vec<i64> = conn
        .prepare_cached(
            "DELETE FROM outbox WHERE event_id = ?1 AND kind = 'photo' AND subject = ?2
                AND sent_ms IS NULL AND id <> ?3 RETURNING id",
        )?
        .query_map(params![event, subject, new], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in old {
        // A running push of the old row finishes harmlessly: its row is gone, so it
        // cannot mark anything sent, and the server keeps the higher revision.
        conn.execute(
            "DELETE FROM jobs WHERE kind = 'push' AND subject = ?1 AND status <> 'running'",
            [id.to_string()],
        )?;
    }
    Ok(())
}

fn outbox_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        event_id: r.get(1)?,
        kind: r.get(2)?,
        subject: r.get(3)?,
        created_ms: r.get(4)?,
        sent_ms: r.get(5)?,
    })
}

const OUTBOX_COLUMNS: &str = "id, event_id, kind, subject, created_ms, sent_ms";

impl Writer<'_> {
    /// Mark an outbox row sent and count the bytes pushed for it, only if it is
    /// still pending (a newer change may have replaced it meanwhile). Returns
    /// whether this call marked it.
    pub fn mark_outbox_sent(&self, id: i64, bytes: u64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE outbox SET sent_ms = ?2 WHERE id = ?1 AND sent_ms IS NULL",
            params![id, self.now_ms],
        )?;
        if n == 0 {
            return Ok(false);
        }
        self.add_counters(&[
            (SYNC_PUSHED.to_string(), 1),
            (SYNC_BYTES.to_string(), bytes),
        ])?;
        Ok(true)
    }

    /// The photographer asked to sync `event` now: every pending row gets a push
    /// job (rows written before push jobs existed have none), and jobs waiting out
    /// a connectivity backoff become due at once. Quarantined jobs stay failed.
    pub fn push_now(&self, event: &str) -> Result<()> {
        let rows: Vec<(i64, Option<i64>)> = self
            .conn
            .prepare_cached(
                "SELECT id, CASE WHEN kind = 'photo' THEN CAST(subject AS INTEGER) END
                   FROM outbox WHERE event_id = ?1 AND sent_ms IS NULL",
            )?
            .query_map([event], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, photo) in rows {
            // The photo may be gone (a job's photo_id must name a photo).
            let photo = match photo {
                Some(p) => self
                    .conn
                    .query_row("SELECT id FROM photos WHERE id = ?1", [p], |r| r.get(0))
                    .optional()?,
                None => None,
            };
            insert_job(
                self.conn,
                JobKind::Push,
                &id.to_string(),
                photo,
                Some(event),
                self.now_ms,
            )?;
        }
        self.conn.execute(
            "UPDATE jobs SET run_after_ms = ?2, updated_ms = ?2
              WHERE kind = 'push' AND status = 'pending' AND run_after_ms > ?2
                AND subject IN (SELECT CAST(id AS TEXT) FROM outbox
                                 WHERE event_id = ?1 AND sent_ms IS NULL)",
            params![event, self.now_ms],
        )?;
        Ok(())
    }
}

impl Reader<'_> {
    pub fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [id], outbox_from_row)
            .optional()?)
    }

    /// Pending rows of an event, oldest first.
    pub fn pending_outbox(&self, event: &str, limit: u32) -> Result<Vec<OutboxRow>> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE event_id = ?1 AND sent_ms IS NULL
              ORDER BY id LIMIT ?2"
        );
        let rows = self
            .conn
            .prepare_cached(&sql)?
            .query_map(params![event, limit], outbox_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Outbox totals of one event (every event when None), at `now_ms`.
    pub fn outbox_totals(&self, event: Option<&str>, now_ms: i64) -> Result<OutboxTotals> {
        Ok(self.conn.query_row(
            "SELECT sum(o.sent_ms IS NULL AND coalesce(j.status, '') <> 'failed'),
                    sum(o.sent_ms IS NOT NULL),
                    sum(o.sent_ms IS NULL AND j.status = 'failed'),
                    sum(o.sent_ms IS NULL AND (j.status = 'running'
                        OR (j.status = 'pending' AND j.run_after_ms <= ?2)))
               FROM outbox o
               LEFT JOIN jobs j ON j.kind = 'push' AND j.subject = CAST(o.id AS TEXT)
              WHERE ?1 IS NULL OR o.event_id = ?1",
            params![event, now_ms],
            |r| {
                let n = |i| -> rusqlite::Result<u64> {
                    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0) as u64)
                };
                Ok(OutboxTotals {
                    pending: n(0)?,
                    sent: n(1)?,
                    failed: n(2)?,
                    due: n(3)?,
                })
            },
        )?)
    }

    /// Photo rows sent (every event, all time): the divisor of bytes per photo.
    pub fn photo_pushes(&self) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM outbox WHERE kind = 'photo' AND sent_ms IS NOT NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// What a push of photo `photo_id` to `event` needs; None if the photo is gone.
    pub fn push_photo(&self, event: &str, photo_id: i64) -> Result<Option<PushPhoto>> {
        let Some(photo) = self.photo_by_id(photo_id)? else {
            return Ok(None);
        };
        let Some((format, sources)) = self.sources_of(&photo.sha256)? else {
            return Ok(None);
        };
        // Orientations 5-8 turn the picture a quarter: the upright size is swapped.
        let turned = matches!(photo.orientation, Some(5..=8));
        let (width, height) = if turned {
            (photo.height, photo.width)
        } else {
            (photo.width, photo.height)
        };
        let camera = match (photo.camera_make, photo.camera_model) {
            (Some(make), Some(model)) if model.starts_with(&make) => Some(model),
            (Some(make), Some(model)) => Some(format!("{make} {model}")),
            (make, model) => make.or(model),
        };
        let matched = self
            .photo_faces(event, photo_id)?
            .into_iter()
            .filter(|f| f.participant.is_some())
            .collect();
        Ok(Some(PushPhoto {
            sha256: photo.sha256,
            format,
            sources,
            captured_at: photo.captured_at,
            width,
            height,
            camera,
            matched,
        }))
    }
}
