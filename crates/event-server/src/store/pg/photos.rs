//! Photos on PostgreSQL: renditions, metadata revisions (highest wins),
//! withdrawals, and what each token may see; the rules of `photos.rs`.
//!
//! Concurrent writers of one photo converge: every write path first locks the
//! photo's row ([`lock_photo`], then `SELECT … FOR UPDATE`), so the revision it
//! compares against is the one it will overwrite (SQLite gets that from its
//! single writer).

use deadpool_postgres::GenericClient;
use findme_protocol::{DeletePhotoResponse, PhotoMetadata, PutMetadataResponse};

use super::roster::record_image;
use super::{big, execute, in_tx, query_one, query_opt, unsigned, PgMeta};
use crate::db::{now_ms, DbError};
use crate::photos::Rendition;
use crate::store::NewImage;

/// The stored state the write paths decide on.
struct Current {
    revision: i64,
    has_meta: bool,
    withdrawn: bool,
}

/// The photo's row locked for this transaction, if there is one.
async fn current<C: GenericClient>(
    tx: &C,
    event: &str,
    sha: &str,
) -> Result<Option<Current>, DbError> {
    Ok(query_opt(
        tx,
        "SELECT revision, metadata IS NOT NULL, withdrawn FROM photos
          WHERE event_id = $1 AND sha256 = $2 FOR UPDATE",
        &[&event, &sha],
    )
    .await?
    .map(|r| Current {
        revision: r.get(0),
        has_meta: r.get(1),
        withdrawn: r.get(2),
    }))
}

/// Records the push time on the event. Its row is shared by every photo write
/// of the event, so each write does this last: the row lock is then held only
/// for the commit.
async fn touch_event<C: GenericClient>(tx: &C, event: &str, now: i64) -> Result<(), DbError> {
    execute(
        tx,
        "UPDATE events SET last_push_ms = $2 WHERE id = $1",
        &[&event, &now],
    )
    .await?;
    Ok(())
}

fn column(rendition: Rendition) -> &'static str {
    match rendition {
        Rendition::Web => "image_sha256",
        Rendition::Grid => "grid_sha256",
    }
}

/// Makes sure the photo has a row and locks it for this transaction, so
/// concurrent writers of one photo queue and each decides on what the previous
/// one committed. A new row is what SQLite's first write inserts: revision 0,
/// no metadata, not withdrawn.
async fn lock_photo<C: GenericClient>(
    tx: &C,
    event: &str,
    sha: &str,
    now: i64,
) -> Result<(), DbError> {
    execute(
        tx,
        "INSERT INTO photos (event_id, sha256, updated_ms) VALUES ($1, $2, $3)
         ON CONFLICT (event_id, sha256) DO NOTHING",
        &[&event, &sha, &now],
    )
    .await?;
    Ok(())
}

impl PgMeta {
    pub async fn put_rendition(
        &self,
        rendition: Rendition,
        event: &str,
        photo: &str,
        image: &NewImage,
    ) -> Result<bool, DbError> {
        let column = column(rendition);
        in_tx!(self, |tx| {
            record_image(&tx, image).await?;
            let now = now_ms();
            lock_photo(&tx, event, photo, now).await?;
            let before: Option<String> = query_one(
                &tx,
                &format!(
                    "SELECT {column} FROM photos WHERE event_id = $1 AND sha256 = $2 FOR UPDATE"
                ),
                &[&event, &photo],
            )
            .await?
            .get(0);
            let created = if before.as_deref() == Some(image.sha256.as_str()) {
                false
            } else {
                execute(
                    &tx,
                    &format!(
                        "UPDATE photos SET {column} = $3, updated_ms = $4
                          WHERE event_id = $1 AND sha256 = $2"
                    ),
                    &[&event, &photo, &image.sha256, &now],
                )
                .await?;
                before.is_none()
            };
            touch_event(&tx, event, now).await?;
            created
        })
    }

    /// Highest revision wins; the first metadata of a photo applies whatever its
    /// revision unless the photo was withdrawn first. Not applied still counts
    /// as a push (`last_push_ms`), as on SQLite.
    pub async fn put_metadata(
        &self,
        event: &str,
        photo: &str,
        meta: &PhotoMetadata,
        revision: i64,
    ) -> Result<PutMetadataResponse, DbError> {
        let json = serde_json::to_string(meta).map_err(|e| DbError::Corrupt(e.to_string()))?;
        in_tx!(self, |tx| {
            let now = now_ms();
            lock_photo(&tx, event, photo, now).await?;
            let cur = current(&tx, event, photo)
                .await?
                .ok_or_else(|| DbError::Corrupt(format!("photo {photo} vanished")))?;
            let newer = revision > cur.revision
                || (!cur.has_meta && !cur.withdrawn && revision >= cur.revision);
            let answer = if newer {
                apply_metadata(&tx, event, photo, meta, &json, revision, now).await?;
                PutMetadataResponse {
                    sha256: photo.to_string(),
                    revision: unsigned(revision),
                    applied: true,
                    withdrawn: false,
                }
            } else {
                PutMetadataResponse {
                    sha256: photo.to_string(),
                    revision: unsigned(cur.revision),
                    applied: false,
                    withdrawn: cur.withdrawn,
                }
            };
            touch_event(&tx, event, now).await?;
            answer
        })
    }

    /// Withdraws at `revision` (or the current one) unless a newer revision is
    /// held; the withdrawal of a photo never seen is remembered (its row).
    pub async fn delete_photo(
        &self,
        event: &str,
        photo: &str,
        revision: Option<i64>,
    ) -> Result<DeletePhotoResponse, DbError> {
        in_tx!(self, |tx| {
            let now = now_ms();
            lock_photo(&tx, event, photo, now).await?;
            let cur = current(&tx, event, photo)
                .await?
                .ok_or_else(|| DbError::Corrupt(format!("photo {photo} vanished")))?;
            let target = revision.unwrap_or(cur.revision);
            let answer = if target < cur.revision {
                DeletePhotoResponse {
                    sha256: photo.to_string(),
                    revision: unsigned(cur.revision),
                    withdrawn: cur.withdrawn,
                }
            } else {
                execute(
                    &tx,
                    "UPDATE photos SET revision = $3, withdrawn = TRUE, updated_ms = $4
                      WHERE event_id = $1 AND sha256 = $2",
                    &[&event, &photo, &target, &now],
                )
                .await?;
                DeletePhotoResponse {
                    sha256: photo.to_string(),
                    revision: unsigned(target),
                    withdrawn: true,
                }
            };
            touch_event(&tx, event, now).await?;
            answer
        })
    }
}

/// Stores accepted metadata and replaces the photo's faces.
async fn apply_metadata<C: GenericClient>(
    tx: &C,
    event: &str,
    photo: &str,
    meta: &PhotoMetadata,
    json: &str,
    revision: i64,
    now: i64,
) -> Result<(), DbError> {
    execute(
        tx,
        "UPDATE photos SET revision = $3, metadata = $4, captured_at = $5, width = $6,
                height = $7, withdrawn = FALSE, updated_ms = $8
          WHERE event_id = $1 AND sha256 = $2",
        &[
            &event,
            &photo,
            &revision,
            &json,
            &meta.captured_at,
            &i64::from(meta.width),
            &i64::from(meta.height),
            &now,
        ],
    )
    .await?;
    execute(
        tx,
        "DELETE FROM photo_faces WHERE event_id = $1 AND sha256 = $2",
        &[&event, &photo],
    )
    .await?;
    for (i, f) in meta.faces.iter().enumerate() {
        let b = f.face_box;
        execute(
            tx,
            "INSERT INTO photo_faces (event_id, sha256, idx, participant_id, confidence,
                                      left_frac, top_frac, width_frac, height_frac)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &event,
                &photo,
                &big(i),
                &f.participant_id,
                &f.confidence,
                &b.left,
                &b.top,
                &b.width,
                &b.height,
            ],
        )
        .await?;
    }
    Ok(())
}
