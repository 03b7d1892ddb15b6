//! Photos of an event: renditions, metadata revisions, withdrawal, and what each
//! token may see (SQL only; called on blocking threads).
//!
//! A photo is *visible* to attendees when it has an image, has metadata and is not
//! withdrawn. Either half may arrive first (the outbox pushes them independently).

use std::collections::BTreeMap;

use findme_protocol::{
    paths, DeletePhotoResponse, EventStats, FaceBox, MyPhoto, PhotoMetadata, PhotoState,
    PutMetadataResponse,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::auth::Principal;
use crate::db::{now_ms, DbError};

const VISIBLE: &str = "p.image_sha256 IS NOT NULL AND p.metadata IS NOT NULL AND p.withdrawn = 0";

/// The stored state of a photo that the write paths decide on.
#[derive(Debug, Clone)]
struct Current {
    revision: i64,
    has_meta: bool,
    withdrawn: bool,
}

fn current(tx: &Connection, event: &str, sha: &str) -> Result<Option<Current>, DbError> {
    Ok(tx
        .query_row(
            "SELECT revision, metadata IS NOT NULL, withdrawn FROM photos
              WHERE event_id = ?1 AND sha256 = ?2",
            params![event, sha],
            |r| {
                Ok(Current {
                    revision: r.get(0)?,
                    has_meta: r.get(1)?,
                    withdrawn: r.get(2)?,
                })
            },
        )
        .optional()?)
}

fn touch_event(tx: &Transaction<'_>, event: &str, now: i64) -> Result<(), DbError> {
    tx.execute(
        "UPDATE events SET last_push_ms = ?2 WHERE id = ?1",
        params![event, now],
    )?;
    Ok(())
}

/// Which rendition of a photo: the web one (≈ 2048 px, what makes a photo
/// visible) or the grid one (≈ 480 px, optional: older apps never send it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendition {
    Web,
    Grid,
}

impl Rendition {
    /// The `photos` column holding this rendition's image hash.
    fn column(self) -> &'static str {
        match self {
            Rendition::Web => "image_sha256",
            Rendition::Grid => "grid_sha256",
        }
    }
}

/// Points the photo's `rendition` at its (already stored) image, inserting the
/// photo row if absent. `true` if the photo had no such rendition before (HTTP 201).
pub fn put_rendition(
    tx: &Transaction<'_>,
    rendition: Rendition,
    event: &str,
    sha: &str,
    image_sha: &str,
) -> Result<bool, DbError> {
    let now = now_ms();
    let column = rendition.column();
    let before: Option<Option<String>> = tx
        .query_row(
            &format!("SELECT {column} FROM photos WHERE event_id = ?1 AND sha256 = ?2"),
            params![event, sha],
            |r| r.get(0),
        )
        .optional()?;
    touch_event(tx, event, now)?;
    match before {
        Some(Some(old)) if old == image_sha => Ok(false),
        Some(old) => {
            tx.execute(
                &format!(
                    "UPDATE photos SET {column} = ?3, updated_ms = ?4
                      WHERE event_id = ?1 AND sha256 = ?2"
                ),
                params![event, sha, image_sha, now],
            )?;
            Ok(old.is_none())
        }
        None => {
            tx.execute(
                &format!(
                    "INSERT INTO photos (event_id, sha256, {column}, updated_ms)
                     VALUES (?1, ?2, ?3, ?4)"
                ),
                params![event, sha, image_sha, now],
            )?;
            Ok(true)
        }
    }
}

/// Applies metadata if its revision is newer than what the server holds (or if the
/// photo has no metadata yet and is not withdrawn). Older or equal revisions change
/// nothing; the answer says which revision is current.
pub fn put_metadata(
    tx: &Transaction<'_>,
    event: &str,
    sha: &str,
    meta: &PhotoMetadata,
    revision: i64,
) -> Result<PutMetadataResponse, DbError> {
    let now = now_ms();
    let before = current(tx, event, sha)?;
    touch_event(tx, event, now)?;
    if let Some(cur) = before {
        let newer = revision > cur.revision
            || (!cur.has_meta && !cur.withdrawn && revision >= cur.revision);
        if !newer {
            return Ok(PutMetadataResponse {
                sha256: sha.to_string(),
                revision: u64::try_from(cur.revision).unwrap_or(0),
                applied: false,
                withdrawn: cur.withdrawn,
            });
        }
    }
    let json = serde_json::to_string(meta).map_err(|e| DbError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO photos (event_id, sha256, revision, metadata, captured_at, width, height,
                             withdrawn, updated_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?8)
         ON CONFLICT (event_id, sha256) DO UPDATE SET
           revision = excluded.revision, metadata = excluded.metadata,
           captured_at = excluded.captured_at, width = excluded.width,
           height = excluded.height, withdrawn = 0, updated_ms = excluded.updated_ms",
        params![
            event,
            sha,
            revision,
            json,
            meta.captured_at,
            meta.width,
            meta.height,
            now
        ],
    )?;
    tx.execute(
        "DELETE FROM photo_faces WHERE event_id = ?1 AND sha256 = ?2",
        params![event, sha],
    )?;
    let mut ins = tx.prepare(
        "INSERT INTO photo_faces (event_id, sha256, idx, participant_id, confidence,
                                  left_frac, top_frac, width_frac, height_frac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for (i, f) in meta.faces.iter().enumerate() {
        let b = f.face_box;
        ins.execute(params![
            event,
            sha,
            i64::try_from(i).unwrap_or(i64::MAX),
            f.participant_id,
            f.confidence,
            b.left,
            b.top,
            b.width,
            b.height
        ])?;
    }
    Ok(PutMetadataResponse {
        sha256: sha.to_string(),
        revision: u64::try_from(revision).unwrap_or(0),
        applied: true,
        withdrawn: false,
    })
}

/// Withdraws a photo. With `revision`, it takes effect only if not older than the
/// current revision and then raises the current revision to it, so metadata PUTs
/// at or below it cannot revive the photo; without, it withdraws at the current one.
pub fn delete_photo(
    tx: &Transaction<'_>,
    event: &str,
    sha: &str,
    revision: Option<i64>,
) -> Result<DeletePhotoResponse, DbError> {
    let now = now_ms();
    let before = current(tx, event, sha)?;
    touch_event(tx, event, now)?;
    let target = revision.unwrap_or(before.as_ref().map_or(0, |c| c.revision));
    if let Some(cur) = before.filter(|c| target < c.revision) {
        return Ok(DeletePhotoResponse {
            sha256: sha.to_string(),
            revision: u64::try_from(cur.revision).unwrap_or(0),
            withdrawn: cur.withdrawn,
        });
    }
    tx.execute(
        "INSERT INTO photos (event_id, sha256, revision, withdrawn, updated_ms)
         VALUES (?1, ?2, ?3, 1, ?4)
         ON CONFLICT (event_id, sha256) DO UPDATE SET
           revision = excluded.revision, withdrawn = 1, updated_ms = excluded.updated_ms",
        params![event, sha, target, now],
    )?;
    Ok(DeletePhotoResponse {
        sha256: sha.to_string(),
        revision: u64::try_from(target).unwrap_or(0),
        withdrawn: true,
    })
}

/// The server's view of one photo (photographer).
pub fn photo_state(
    conn: &Connection,
    event: &str,
    sha: &str,
) -> Result<Option<PhotoState>, DbError> {
    let row = conn
        .query_row(
            "SELECT image_sha256, revision, withdrawn, metadata FROM photos
              WHERE event_id = ?1 AND sha256 = ?2",
            params![event, sha],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, bool>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((image, revision, withdrawn, meta)) = row else {
        return Ok(None);
    };
    let metadata: Option<PhotoMetadata> = meta
        .map(|m| serde_json::from_str(&m))
        .transpose()
        .map_err(|e| DbError::Corrupt(format!("photo {sha} metadata: {e}")))?;
    Ok(Some(PhotoState {
        sha256: sha.to_string(),
        visible: image.is_some() && metadata.is_some() && !withdrawn,
        image_sha256: image,
        revision: u64::try_from(revision).unwrap_or(0),
        withdrawn,
        metadata,
    }))
}

/// Event statistics (see [`EventStats`]).
pub fn stats(conn: &Connection, event: &str) -> Result<EventStats, DbError> {
    let count = |sql: &str| -> Result<u64, DbError> {
        let n: i64 = conn.query_row(sql, [event], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(EventStats {
        photos: count(&format!(
            "SELECT COUNT(*) FROM photos p WHERE p.event_id = ?1 AND {VISIBLE}"
        ))?,
        matched: count(&format!(
            "SELECT COUNT(*) FROM photos p WHERE p.event_id = ?1 AND {VISIBLE} AND EXISTS (
               SELECT 1 FROM photo_faces f WHERE f.event_id = p.event_id
                 AND f.sha256 = p.sha256 AND f.participant_id IS NOT NULL)"
        ))?,
        participants: count(
            "SELECT COUNT(*) FROM participants WHERE event_id = ?1 AND deleted = 0",
        )?,
        last_push_ms: conn
            .query_row(
                "SELECT last_push_ms FROM events WHERE id = ?1",
                [event],
                |r| r.get(0),
            )
            .optional()?
            .flatten(),
    })
}

/// One row of "my photos": a face of the participant in a visible photo.
pub(crate) struct MatchedFace {
    pub(crate) photo: String,
    pub(crate) captured_at: Option<String>,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) face: FaceBox,
    pub(crate) has_grid: bool,
}

/// The photos of `rows` in their first row's order, each with all its faces
/// (shared by the SQLite and PostgreSQL stores).
pub(crate) fn group_by_photo(rows: impl IntoIterator<Item = MatchedFace>) -> Vec<MyPhoto> {
    let mut photos: BTreeMap<String, MyPhoto> = BTreeMap::new();
    let mut order = Vec::new();
    for row in rows {
        let sha = row.photo;
        let entry = photos.entry(sha.clone()).or_insert_with(|| {
            order.push(sha.clone());
            MyPhoto {
                image_url: paths::public_photo_image(&sha),
                grid_url: row.has_grid.then(|| paths::public_photo_grid_image(&sha)),
                sha256: sha,
                captured_at: row.captured_at,
                width: row.width,
                height: row.height,
                faces: Vec::new(),
            }
        });
        entry.faces.push(row.face);
    }
    order
        .into_iter()
        .filter_map(|s| photos.remove(&s))
        .collect()
}

/// Visible photos in which `participant` is matched, newest capture first.
pub fn my_photos(
    conn: &Connection,
    event: &str,
    participant: &str,
) -> Result<Vec<MyPhoto>, DbError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT p.sha256, p.captured_at, p.width, p.height,
                f.left_frac, f.top_frac, f.width_frac, f.height_frac, p.grid_sha256 IS NOT NULL
           FROM photos p JOIN photo_faces f ON f.event_id = p.event_id AND f.sha256 = p.sha256
          WHERE p.event_id = ?1 AND f.participant_id = ?2 AND {VISIBLE}
          ORDER BY p.captured_at DESC, p.sha256, f.idx"
    ))?;
    let rows = stmt.query_map(params![event, participant], |r| {
        Ok(MatchedFace {
            photo: r.get(0)?,
            captured_at: r.get(1)?,
            width: r.get::<_, Option<u32>>(2)?.unwrap_or(0),
            height: r.get::<_, Option<u32>>(3)?.unwrap_or(0),
            face: FaceBox {
                left: r.get(4)?,
                top: r.get(5)?,
                width: r.get(6)?,
                height: r.get(7)?,
            },
            has_grid: r.get(8)?,
        })
    })?;
    Ok(group_by_photo(rows.collect::<Result<Vec<_>, _>>()?))
}

/// Whether a principal may fetch a photo's image.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageAccess {
    /// Serve this stored image.
    Allowed(String),
    /// The photo exists in the principal's event but is not theirs to see.
    Forbidden,
    /// No such photo (with an image) in the principal's event, or withdrawn.
    NotFound,
}

/// Photographers see every photo of their event (withdrawn too); attendees see
/// visible photos they are matched in. Asked for the grid rendition of a photo
/// without one, the web rendition is allowed instead.
pub fn image_access(
    conn: &Connection,
    who: &Principal,
    sha: &str,
    rendition: Rendition,
) -> Result<ImageAccess, DbError> {
    let row: Option<(Option<String>, Option<String>, bool, bool)> = conn
        .query_row(
            "SELECT image_sha256, grid_sha256, metadata IS NOT NULL, withdrawn FROM photos
              WHERE event_id = ?1 AND sha256 = ?2",
            params![who.event(), sha],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((Some(web), grid, has_meta, withdrawn)) = row else {
        return Ok(ImageAccess::NotFound);
    };
    let image = match (rendition, grid) {
        (Rendition::Grid, Some(grid)) => grid,
        _ => web,
    };
    match who {
        Principal::Photographer { .. } => Ok(ImageAccess::Allowed(image)),
        Principal::Attendee { event, participant } => {
            if withdrawn || !has_meta {
                return Ok(ImageAccess::NotFound);
            }
            let matched: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM photo_faces
                   WHERE event_id = ?1 AND sha256 = ?2 AND participant_id = ?3)",
                params![event, sha, participant],
                |r| r.get(0),
            )?;
            Ok(if matched {
                ImageAccess::Allowed(image)
            } else {
                ImageAccess::Forbidden
            })
        }
    }
}
