//! Events, participants (the roster and its cursor) and image rows on PostgreSQL.
//!
//! **The cursor.** A PostgreSQL sequence hands out numbers in call order, not
//! commit order, so a reader could move past a number whose transaction commits
//! later and skip it forever. Every roster write therefore first takes the
//! event's advisory lock ([`next_roster_seq`]), which is held until its commit:
//! the event's numbers are taken and become visible one writer at a time, in
//! order, and `seq > cursor` never skips. READ COMMITTED matters: the number is
//! read by a statement that starts after the lock is granted, so it sees the
//! previous writer's commit (REPEATABLE READ would reuse an older snapshot).

use deadpool_postgres::GenericClient;
use findme_protocol::{paths, Participant};

use super::tokens::store_token;
use super::{big, execute, in_tx, query, query_one, query_opt, PgMeta};
use crate::auth::TokenKind;
use crate::db::{now_ms, DbError};
use crate::removal::RemovalError;
use crate::roster::EventRow;
use crate::store::{Images, NewImage};

/// Takes the event's roster lock (until this transaction ends) and returns its
/// next roster number. Call it inside the write's transaction, before any
/// other roster statement of it.
pub async fn next_roster_seq<C: GenericClient>(tx: &C, event: &str) -> Result<i64, DbError> {
    execute(
        tx,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        &[&event],
    )
    .await?;
    Ok(query_one(
        tx,
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM participants WHERE event_id = $1",
        &[&event],
    )
    .await?
    .get(0))
}

/// Adds or replaces a participant (un-deleting it, consent given); returns its
/// roster number. The write the race tests hold open.
pub async fn upsert_participant<C: GenericClient>(
    tx: &C,
    event: &str,
    id: &str,
    display_name: &str,
    selfie_sha256: &str,
) -> Result<i64, DbError> {
    let seq = next_roster_seq(tx, event).await?;
    execute(
        tx,
        "INSERT INTO participants (event_id, id, display_name, selfie_sha256, consent, deleted, seq)
         VALUES ($1, $2, $3, $4, TRUE, FALSE, $5)
         ON CONFLICT (event_id, id) DO UPDATE SET
           display_name = excluded.display_name, selfie_sha256 = excluded.selfie_sha256,
           consent = TRUE, deleted = FALSE, seq = excluded.seq",
        &[&event, &id, &display_name, &selfie_sha256, &seq],
    )
    .await?;
    Ok(seq)
}

/// Records an image row. An existing row is touched (`DO UPDATE`), which takes
/// its row lock: a writer that is about to reference the image waits for a
/// concurrent [`PgMeta::forget_image_if_unused`] (which holds it `FOR UPDATE`)
/// and then re-creates the row, instead of referencing a row being deleted.
pub(crate) async fn record_image<C: GenericClient>(
    tx: &C,
    image: &NewImage,
) -> Result<(), DbError> {
    execute(
        tx,
        "INSERT INTO images (sha256, size, content_type) VALUES ($1, $2, $3)
         ON CONFLICT (sha256) DO UPDATE SET sha256 = excluded.sha256",
        &[&image.sha256, &big(image.size), &image.content_type],
    )
    .await?;
    Ok(())
}

pub(crate) async fn event_row<C: GenericClient>(
    c: &C,
    id: &str,
) -> Result<Option<EventRow>, DbError> {
    Ok(
        query_opt(c, "SELECT id, name FROM events WHERE id = $1", &[&id])
            .await?
            .map(|r| EventRow {
                id: r.get(0),
                name: r.get(1),
            }),
    )
}

fn to_participant(event: &str, r: &tokio_postgres::Row) -> Participant {
    let id: String = r.get(0);
    let selfie: Option<String> = r.get(2);
    let consent: bool = r.get(3);
    let deleted: bool = r.get(4);
    let seq: i64 = r.get(5);
    let usable = consent && !deleted && selfie.is_some();
    Participant {
        selfie_url: usable.then(|| paths::selfie(event, &id)),
        selfie_sha256: if deleted { None } else { selfie },
        id,
        display_name: r.get(1),
        consent,
        deleted,
        updated_at: u64::try_from(seq).unwrap_or(0),
    }
}

impl PgMeta {
    pub async fn event(&self, id: &str) -> Result<Option<EventRow>, DbError> {
        event_row(&self.client().await?, id).await
    }

    pub async fn add_participant(
        &self,
        event: &str,
        id: &str,
        name: &str,
        selfie: &NewImage,
        token_hash: &str,
    ) -> Result<bool, DbError> {
        in_tx!(self, |tx| {
            if event_row(&tx, event).await?.is_none() {
                return Ok(false);
            }
            record_image(&tx, selfie).await?;
            upsert_participant(&tx, event, id, name, &selfie.sha256).await?;
            store_token(&tx, TokenKind::Attendee, token_hash, event, Some(id)).await?;
            true
        })
    }

    pub async fn set_consent(&self, event: &str, id: &str, consent: bool) -> Result<bool, DbError> {
        in_tx!(self, |tx| {
            let seq = next_roster_seq(&tx, event).await?;
            let n = execute(
                &tx,
                "UPDATE participants SET consent = $3, seq = $4
                  WHERE event_id = $1 AND id = $2 AND NOT deleted",
                &[&event, &id, &consent, &seq],
            )
            .await?;
            n == 1
        })
    }

    /// Tombstone, tokens revoked, sessions deleted (also when there is no live
    /// participant, as the SQLite arm: a re-added id never revives old tokens).
    pub async fn remove_participant(
        &self,
        event: &str,
        id: &str,
    ) -> Result<Option<Option<String>>, DbError> {
        in_tx!(self, |tx| {
            let seq = next_roster_seq(&tx, event).await?;
            let selfie: Option<String> = query_opt(
                &tx,
                "SELECT selfie_sha256 FROM participants
                  WHERE event_id = $1 AND id = $2 AND NOT deleted",
                &[&event, &id],
            )
            .await?
            .and_then(|r| r.get(0));
            let n = execute(
                &tx,
                "UPDATE participants SET deleted = TRUE, consent = FALSE, selfie_sha256 = NULL,
                        seq = $3
                  WHERE event_id = $1 AND id = $2 AND NOT deleted",
                &[&event, &id, &seq],
            )
            .await?;
            execute(
                &tx,
                "UPDATE tokens SET revoked_ms = $3
                  WHERE event_id = $1 AND participant_id = $2 AND revoked_ms IS NULL",
                &[&event, &id, &now_ms()],
            )
            .await?;
            execute(
                &tx,
                "DELETE FROM sessions WHERE event_id = $1 AND participant_id = $2",
                &[&event, &id],
            )
            .await?;
            (n == 1).then_some(selfie)
        })
    }

    /// The image row is locked `FOR UPDATE` first, so a writer about to reference
    /// it ([`record_image`]) waits; then the check, the row's deletion and the
    /// bytes' deletion, and the commit only if the bytes went.
    pub async fn forget_image_if_unused(
        &self,
        sha256: &str,
        images: &Images,
    ) -> Result<bool, RemovalError> {
        let outcome = in_tx!(self, |tx| {
            query_opt(
                &tx,
                "SELECT 1 FROM images WHERE sha256 = $1 FOR UPDATE",
                &[&sha256],
            )
            .await?;
            let in_use: bool = query_one(
                &tx,
                "SELECT EXISTS (SELECT 1 FROM participants WHERE selfie_sha256 = $1)
                     OR EXISTS (SELECT 1 FROM photos WHERE image_sha256 = $1)
                     OR EXISTS (SELECT 1 FROM photos WHERE grid_sha256 = $1)",
                &[&sha256],
            )
            .await?
            .get(0);
            if in_use {
                return Ok(Ok(false));
            }
            execute(&tx, "DELETE FROM images WHERE sha256 = $1", &[&sha256]).await?;
            // The bytes before the commit: if that fails, the rollback keeps the row.
            if let Err(e) = images.delete(sha256).await {
                return Ok(Err(e));
            }
            Ok(true)
        })?;
        outcome.map_err(|source| RemovalError::Image {
            sha256: sha256.to_string(),
            source,
        })
    }

    pub async fn expired_participants(
        &self,
        now_ms: i64,
    ) -> Result<Vec<(String, String)>, DbError> {
        let client = self.client().await?;
        let rows = query(
            &client,
            "SELECT p.event_id, p.id FROM participants p JOIN events e ON e.id = p.event_id
              WHERE NOT p.deleted AND e.ended_ms IS NOT NULL
                AND e.ended_ms + e.retention_days * $2 <= $1
              ORDER BY p.event_id COLLATE \"C\", p.id COLLATE \"C\"",
            &[&now_ms, &crate::retention::DAY_MS],
        )
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    pub async fn participants_since(
        &self,
        event: &str,
        since: i64,
        limit: usize,
    ) -> Result<(Vec<Participant>, i64, bool), DbError> {
        let client = self.client().await?;
        let fetch = big(limit).saturating_add(1);
        let rows = query(
            &client,
            "SELECT id, display_name, selfie_sha256, consent, deleted, seq FROM participants
              WHERE event_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[&event, &since, &fetch],
        )
        .await?;
        let mut list: Vec<Participant> = rows.iter().map(|r| to_participant(event, r)).collect();
        let more = list.len() > limit;
        list.truncate(limit);
        let cursor = list
            .last()
            .map(|p| i64::try_from(p.updated_at).unwrap_or(since))
            .unwrap_or(since);
        Ok((list, cursor, more))
    }

    pub async fn selfie_sha(&self, event: &str, id: &str) -> Result<Option<String>, DbError> {
        let client = self.client().await?;
        Ok(query_opt(
            &client,
            "SELECT selfie_sha256 FROM participants
              WHERE event_id = $1 AND id = $2 AND NOT deleted AND consent",
            &[&event, &id],
        )
        .await?
        .and_then(|r| r.get(0)))
    }

    pub async fn participant_name(&self, event: &str, id: &str) -> Result<Option<String>, DbError> {
        let client = self.client().await?;
        Ok(query_opt(
            &client,
            "SELECT display_name FROM participants WHERE event_id = $1 AND id = $2 AND NOT deleted",
            &[&event, &id],
        )
        .await?
        .map(|r| r.get(0)))
    }

    pub async fn image_type(&self, sha256: &str) -> Result<Option<String>, DbError> {
        let client = self.client().await?;
        Ok(query_opt(
            &client,
            "SELECT content_type FROM images WHERE sha256 = $1",
            &[&sha256],
        )
        .await?
        .map(|r| r.get(0)))
    }
}
