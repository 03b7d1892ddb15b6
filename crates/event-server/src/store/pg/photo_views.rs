//! What each reader sees of the photos on PostgreSQL (one statement each, no
//! transaction needed): the photographer's state, stats, a guest's photos and
//! image access. The rules of `photos.rs`; SQLite's NULL and text ordering is
//! spelled out (`NULLS LAST`, `COLLATE "C"`) so both arms list alike.

use findme_protocol::{EventStats, FaceBox, MyPhoto, PhotoMetadata, PhotoState};

use super::{query, query_one, query_opt, unsigned, PgMeta};
use crate::auth::Principal;
use crate::db::DbError;
use crate::photos::{group_by_photo, ImageAccess, MatchedFace, Rendition};

const VISIBLE: &str = "p.image_sha256 IS NOT NULL AND p.metadata IS NOT NULL AND NOT p.withdrawn";

impl PgMeta {
    pub async fn photo_state(
        &self,
        event: &str,
        photo: &str,
    ) -> Result<Option<PhotoState>, DbError> {
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT image_sha256, revision, withdrawn, metadata FROM photos
              WHERE event_id = $1 AND sha256 = $2",
            &[&event, &photo],
        )
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let image: Option<String> = row.get(0);
        let withdrawn: bool = row.get(2);
        let metadata: Option<PhotoMetadata> = row
            .get::<_, Option<String>>(3)
            .map(|m| serde_json::from_str(&m))
            .transpose()
            .map_err(|e| DbError::Corrupt(format!("photo {photo} metadata: {e}")))?;
        Ok(Some(PhotoState {
            sha256: photo.to_string(),
            visible: image.is_some() && metadata.is_some() && !withdrawn,
            image_sha256: image,
            revision: unsigned(row.get(1)),
            withdrawn,
            metadata,
        }))
    }

    pub async fn stats(&self, event: &str) -> Result<EventStats, DbError> {
        let client = self.client().await?;
        let row = query_one(
            &client,
            &format!(
                "SELECT
                   (SELECT COUNT(*) FROM photos p WHERE p.event_id = $1 AND {VISIBLE}),
                   (SELECT COUNT(*) FROM photos p WHERE p.event_id = $1 AND {VISIBLE}
                       AND EXISTS (SELECT 1 FROM photo_faces f WHERE f.event_id = p.event_id
                                     AND f.sha256 = p.sha256 AND f.participant_id IS NOT NULL)),
                   (SELECT COUNT(*) FROM participants WHERE event_id = $1 AND NOT deleted),
                   (SELECT last_push_ms FROM events WHERE id = $1)"
            ),
            &[&event],
        )
        .await?;
        Ok(EventStats {
            photos: unsigned(row.get(0)),
            matched: unsigned(row.get(1)),
            participants: unsigned(row.get(2)),
            last_push_ms: row.get(3),
        })
    }

    /// Visible photos `participant` is matched in, newest capture first.
    pub async fn my_photos(&self, event: &str, participant: &str) -> Result<Vec<MyPhoto>, DbError> {
        let client = self.client().await?;
        let rows = query(
            &client,
            &format!(
                "SELECT p.sha256, p.captured_at, p.width, p.height,
                        f.left_frac, f.top_frac, f.width_frac, f.height_frac,
                        p.grid_sha256 IS NOT NULL
                   FROM photos p JOIN photo_faces f
                     ON f.event_id = p.event_id AND f.sha256 = p.sha256
                  WHERE p.event_id = $1 AND f.participant_id = $2 AND {VISIBLE}
                  ORDER BY p.captured_at COLLATE \"C\" DESC NULLS LAST, p.sha256 COLLATE \"C\",
                           f.idx"
            ),
            &[&event, &participant],
        )
        .await?;
        Ok(group_by_photo(rows.iter().map(|r| MatchedFace {
            photo: r.get(0),
            captured_at: r.get(1),
            width: r.get::<_, Option<i64>>(2).map_or(0, unsigned),
            height: r.get::<_, Option<i64>>(3).map_or(0, unsigned),
            face: FaceBox {
                left: r.get(4),
                top: r.get(5),
                width: r.get(6),
                height: r.get(7),
            },
            has_grid: r.get(8),
        })))
    }

    /// Photographers see every photo of their event (withdrawn too); attendees
    /// visible photos they are matched in; a missing grid falls back to the web one.
    pub async fn image_access(
        &self,
        who: &Principal,
        photo: &str,
        rendition: Rendition,
    ) -> Result<ImageAccess, DbError> {
        let client = self.client().await?;
        let participant = match who {
            Principal::Photographer { .. } => None,
            Principal::Attendee { participant, .. } => Some(participant.as_str()),
        };
        let row = query_opt(
            &client,
            "SELECT image_sha256, grid_sha256, metadata IS NOT NULL, withdrawn,
                    EXISTS (SELECT 1 FROM photo_faces f
                             WHERE f.event_id = p.event_id AND f.sha256 = p.sha256
                               AND f.participant_id = $3)
               FROM photos p WHERE event_id = $1 AND sha256 = $2",
            &[&who.event(), &photo, &participant],
        )
        .await?;
        let Some(row) = row else {
            return Ok(ImageAccess::NotFound);
        };
        let Some(web) = row.get::<_, Option<String>>(0) else {
            return Ok(ImageAccess::NotFound);
        };
        let grid: Option<String> = row.get(1);
        let (has_meta, withdrawn, matched): (bool, bool, bool) =
            (row.get(2), row.get(3), row.get(4));
        let image = match (rendition, grid) {
            (Rendition::Grid, Some(grid)) => grid,
            _ => web,
        };
        Ok(match participant {
            None => ImageAccess::Allowed(image),
            Some(_) if withdrawn || !has_meta => ImageAccess::NotFound,
            Some(_) if matched => ImageAccess::Allowed(image),
            Some(_) => ImageAccess::Forbidden,
        })
    }
}
