//! The retention the consent text promises: `retention_days` after the
//! photographer closed an event (`events.ended_ms`), every participant of it is
//! removed like `remove-participant` does (tombstone, tokens revoked, sessions and
//! selfie bytes deleted). The server runs it at start and every hour; admins can
//! run `findme-event-server purge-expired` from cron as well.

use rusqlite::{params, Connection};

use crate::db::DbError;
use crate::removal::{remove_participant, RemovalError};
use crate::store::{Images, Meta};

pub(crate) const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Removes the participants of every event whose retention ran out by `now_ms`;
/// returns how many were removed.
pub async fn purge_expired(
    meta: &Meta,
    images: &Images,
    now_ms: i64,
) -> Result<usize, RemovalError> {
    let due = meta.expired_participants(now_ms).await?;
    let mut removed = 0;
    for (event, id) in due {
        if remove_participant(meta, images, &event, &id).await? {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "retention: participants of closed events deleted");
    }
    Ok(removed)
}

/// The SQLite query behind [`Meta::expired_participants`].
pub(crate) fn expired_participants(
    c: &Connection,
    now_ms: i64,
) -> Result<Vec<(String, String)>, DbError> {
    let mut stmt = c.prepare(
        "SELECT p.event_id, p.id FROM participants p JOIN events e ON e.id = p.event_id
          WHERE p.deleted = 0 AND e.ended_ms IS NOT NULL
            AND e.ended_ms + e.retention_days * ?2 <= ?1
          ORDER BY p.event_id, p.id",
    )?;
    let rows = stmt.query_map(params![now_ms, DAY_MS], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}
