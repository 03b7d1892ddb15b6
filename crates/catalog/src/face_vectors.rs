//! Face signatures (embeddings) of the on-device matcher: stored per photo face and
//! per selfie, so that a late registrant or a new threshold is matched from the
//! stored vectors without decoding a photo again. The catalog keeps them as opaque
//! bytes with the name of the model that made them; only the matcher reads them.

use rusqlite::params;

use crate::{Reader, Result, Writer};

/// A face's signature as the matcher produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// The embedding (the model's own byte layout).
    pub embedding: Vec<u8>,
    /// The five landmarks the face was aligned on (the model's own byte layout).
    pub landmarks: Vec<u8>,
    /// Signatures of different models are not comparable.
    pub model_version: String,
}

/// A photo face's stored signature.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoSignature {
    /// Row id in `photo_faces`: rows only grow, so readers catch up by row.
    pub row: i64,
    pub face_id: String,
    pub embedding: Vec<u8>,
    pub model_version: String,
}

/// A participant's selfie signature, or its absence (consent withdrawn, removed,
/// not indexed yet) as of `updated_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfieSignature {
    pub participant_id: String,
    pub face_id: Option<String>,
    pub embedding: Option<Vec<u8>>,
    pub model_version: Option<String>,
    pub updated_ms: i64,
}

impl Writer<'_> {
    /// Tie the event to the backend that indexes its faces. Returns the backend the
    /// event is tied to (the given one, or the one that indexed it first).
    pub fn claim_event_backend(&self, event: &str, backend: &str) -> Result<Option<String>> {
        self.conn.execute(
            "UPDATE events SET backend = ?2 WHERE id = ?1 AND backend IS NULL",
            params![event, backend],
        )?;
        Ok(self
            .conn
            .query_row("SELECT backend FROM events WHERE id = ?1", [event], |r| {
                r.get(0)
            })?)
    }

    /// Set the on-device matcher's threshold (cosine, 0-1) for an event. On an
    /// event matched on this machine, matches now below it are dropped (and the
    /// change queued for the event server), and every photo and participant is
    /// searched again, so matches now above it are found from the stored
    /// signatures. Returns how many matches were dropped.
    pub fn set_local_threshold(&self, event: &str, threshold: f32) -> Result<u64> {
        let backend: Option<String> = self.conn.query_row(
            "UPDATE events SET local_threshold = ?2 WHERE id = ?1 RETURNING backend",
            params![event, threshold],
            |r| r.get(0),
        )?;
        if backend.as_deref() != Some("local") {
            return Ok(0);
        }
        let mut stmt = self.conn.prepare_cached(
            "DELETE FROM matches WHERE event_id = ?1 AND confidence < ?2 * 100.0 RETURNING photo_id",
        )?;
        let photos: Vec<i64> = stmt
            .query_map(params![event, threshold], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for photo in &photos {
            self.queue_photo_push(event, *photo)?;
        }
        self.conn.execute(
            "UPDATE photo_matching SET searched_ms = NULL WHERE event_id = ?1 AND faces > 0",
            [event],
        )?;
        self.conn.execute(
            "UPDATE participants SET searched_ms = NULL WHERE event_id = ?1",
            [event],
        )?;
        Ok(photos.len() as u64)
    }

    /// Drop every stored signature of an event (it was closed: they are biometric
    /// data no longer needed; the matches found stay).
    pub(crate) fn forget_event_signatures(&self, event: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE photo_faces SET embedding = NULL, landmarks = NULL
              WHERE event_id = ?1 AND embedding IS NOT NULL",
            [event],
        )?;
        self.conn.execute(
            "UPDATE participants SET embedding = NULL, updated_ms = ?2
              WHERE event_id = ?1 AND embedding IS NOT NULL",
            params![event, self.now_ms],
        )?;
        Ok(())
    }
}

impl Reader<'_> {
    /// Signatures of the photo faces of the event whose index is `collection`,
    /// recorded after row `after` (0: all), in row order.
    pub fn photo_signatures(&self, collection: &str, after: i64) -> Result<Vec<PhotoSignature>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.id, f.face_id, f.embedding, f.model_version
               FROM photo_faces f JOIN events e ON e.id = f.event_id
              WHERE e.collection_id = ?1 AND f.id > ?2 AND f.embedding IS NOT NULL
                AND f.face_id IS NOT NULL
              ORDER BY f.id",
        )?;
        let rows = stmt
            .query_map(params![collection, after], |r| {
                Ok(PhotoSignature {
                    row: r.get(0)?,
                    face_id: r.get(1)?,
                    embedding: r.get(2)?,
                    model_version: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Selfie signatures of the event whose index is `collection`, of participants
    /// changed at or after `since_ms` (0: all). A row without an embedding says the
    /// participant's face left the index.
    pub fn selfie_signatures(
        &self,
        collection: &str,
        since_ms: i64,
    ) -> Result<Vec<SelfieSignature>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.face_id, p.embedding, p.model_version, p.updated_ms
               FROM participants p JOIN events e ON e.id = p.event_id
              WHERE e.collection_id = ?1 AND p.updated_ms >= ?2
              ORDER BY p.updated_ms, p.id",
        )?;
        let rows = stmt
            .query_map(params![collection, since_ms], |r| {
                Ok(SelfieSignature {
                    participant_id: r.get(0)?,
                    face_id: r.get(1)?,
                    embedding: r.get(2)?,
                    model_version: r.get(3)?,
                    updated_ms: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
