//! The faces found in photos and who was matched where (events and participants:
//! `events.rs`).

use rusqlite::{params, OptionalExtension};

use crate::face_vectors::Signature;
use crate::{Reader, Result, Writer};

/// A face to record, box in fractions of the upright photo.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFace {
    pub face_id: Option<String>,
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    pub confidence: f32,
    /// The face's signature, when the backend computes one on this machine.
    pub signature: Option<Signature>,
}

/// A recorded face and, if matched, who it is.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceRow {
    pub row: i64,
    pub photo_id: i64,
    pub face_id: Option<String>,
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
    pub confidence: f32,
    pub participant: Option<(String, String, f32)>,
}

/// A match found by a search: participant, the photo face (row), similarity.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundMatch {
    pub participant_id: String,
    pub face_row: i64,
    pub confidence: f32,
}

/// Work waiting for a search, for the planner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchBacklog {
    /// Indexed photos not searched yet.
    pub photos: u64,
    /// Their faces.
    pub faces: u64,
    /// When the oldest of them was indexed (ms), if any.
    pub oldest_ms: Option<i64>,
    /// The same, of those shot live (arrived over FTP or in a watched folder;
    /// a photo from before arrivals were recorded counts as live).
    pub oldest_live_ms: Option<i64>,
    /// Participants indexed but never searched against the collection.
    pub new_participants: u64,
    pub participants: u64,
}

/// `findme match` totals for one event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchTotals {
    pub photos: u64,
    pub matched: u64,
    pub faces: u64,
    pub matches: u64,
    pub failed: u64,
    pub searched: u64,
}

impl Writer<'_> {
    /// Faces of a photo as indexed into the event's collection. Idempotent: a
    /// photo already recorded keeps its first record (returns false).
    pub fn record_photo_faces(
        &self,
        event: &str,
        photo_id: i64,
        faces: &[NewFace],
    ) -> Result<bool> {
        if !self.member(event, photo_id)? {
            // Removed from the event while its faces were indexed: they go.
            let ids = faces.iter().filter_map(|f| f.face_id.clone()).collect();
            self.queue_face_deletion(event, ids, None, "photo removed from the event")?;
            return Ok(false);
        }
        let n = self.conn.execute(
            "INSERT INTO photo_matching (event_id, photo_id, indexed_ms, faces, searched_ms)
             VALUES (?1, ?2, ?3, ?4, CASE WHEN ?4 = 0 THEN ?3 END)
             ON CONFLICT (event_id, photo_id) DO NOTHING",
            params![event, photo_id, self.now_ms, faces.len() as i64],
        )?;
        if n == 0 {
            return Ok(false);
        }
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO photo_faces (event_id, photo_id, face_id, box_left, box_top, box_width, box_height,
                                      confidence, landmarks, embedding, model_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        for f in faces {
            let sig = f.signature.as_ref();
            stmt.execute(params![
                event,
                photo_id,
                f.face_id,
                f.left,
                f.top,
                f.width,
                f.height,
                f.confidence,
                sig.map(|s| &s.landmarks),
                sig.map(|s| &s.embedding),
                sig.map(|s| &s.model_version)
            ])?;
        }
        if faces.is_empty() {
            self.queue_photo_push(event, photo_id)?;
        }
        Ok(true)
    }

    /// Record matches (a participant is kept once per photo, at its best
    /// confidence) and, for `searched` photos, that their search is complete.
    pub fn record_matches(
        &self,
        event: &str,
        found: &[FoundMatch],
        searched_photos: &[i64],
    ) -> Result<u64> {
        let mut changed_photos = std::collections::BTreeSet::new();
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO matches (event_id, photo_id, participant_id, face_row, confidence, matched_ms)
             SELECT ?1, f.photo_id, ?2, f.id, ?3, ?4 FROM photo_faces f
              WHERE f.id = ?5
                AND EXISTS (SELECT 1 FROM participants p WHERE p.event_id = ?1 AND p.id = ?2
                             AND p.consent = 1 AND p.removed_ms IS NULL)
             ON CONFLICT (event_id, photo_id, participant_id) DO UPDATE
                SET face_row = excluded.face_row, confidence = excluded.confidence
              WHERE excluded.confidence > matches.confidence
             RETURNING photo_id",
        )?;
        for m in found {
            let rows: Vec<i64> = stmt
                .query_map(
                    params![
                        event,
                        m.participant_id,
                        m.confidence,
                        self.now_ms,
                        m.face_row
                    ],
                    |r| r.get(0),
                )?
                .collect::<rusqlite::Result<_>>()?;
            changed_photos.extend(rows);
        }
        let mut mark = self.conn.prepare_cached(
            "UPDATE photo_matching SET searched_ms = ?3 WHERE event_id = ?1 AND photo_id = ?2 AND searched_ms IS NULL",
        )?;
        for photo in searched_photos {
            if mark.execute(params![event, photo, self.now_ms])? > 0 {
                changed_photos.insert(*photo);
            }
        }
        for photo in &changed_photos {
            self.queue_photo_push(event, *photo)?;
        }
        Ok(changed_photos.len() as u64)
    }

    /// Add to persistent counters (e.g. "rekognition.SearchFaces").
    pub fn add_counters(&self, deltas: &[(String, u64)]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO counters (name, value) VALUES (?1, ?2)
             ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
        )?;
        for (name, delta) in deltas.iter().filter(|(_, d)| *d > 0) {
            stmt.execute(params![name, *delta as i64])?;
        }
        Ok(())
    }

    /// The sync stage must (re)send this photo: one pending outbox row per photo
    /// (a newer change replaces the pending row) and its push job. A photo the
    /// photographer unpublished is not sent; a photo the event's publishing
    /// choice leaves out (no matched participant, by default) is not sent, and
    /// withdrawn if it was (its last match went).
    pub(crate) fn queue_photo_push(&self, event: &str, photo_id: i64) -> Result<()> {
        if self.unpublished(event, photo_id)? {
            return Ok(());
        }
        if !self.included_by_choice(event, photo_id)? {
            self.withdraw_photo(event, photo_id)?;
            return Ok(());
        }
        crate::outbox::queue_photo(self.conn, event, photo_id, self.now_ms)
    }
}

impl Reader<'_> {
    /// How much search work is waiting in an event (the planner's input).
    pub fn search_backlog(&self, event: &str) -> Result<SearchBacklog> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL),
                    (SELECT coalesce(sum(faces), 0) FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL),
                    (SELECT min(indexed_ms) FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL),
                    (SELECT count(*) FROM participants WHERE event_id = ?1 AND face_id IS NOT NULL
                        AND consent = 1 AND removed_ms IS NULL AND searched_ms IS NULL),
                    (SELECT count(*) FROM participants WHERE event_id = ?1 AND face_id IS NOT NULL
                        AND consent = 1 AND removed_ms IS NULL),
                    (SELECT min(m.indexed_ms) FROM photo_matching m JOIN photos p ON p.id = m.photo_id
                      WHERE m.event_id = ?1 AND m.searched_ms IS NULL
                        AND coalesce(p.arrival, 'watch') IN ('ftp', 'watch'))",
            [event],
            |r| {
                Ok(SearchBacklog {
                    photos: r.get::<_, i64>(0)? as u64,
                    faces: r.get::<_, i64>(1)? as u64,
                    oldest_ms: r.get(2)?,
                    new_participants: r.get::<_, i64>(3)? as u64,
                    participants: r.get::<_, i64>(4)? as u64,
                    oldest_live_ms: r.get(5)?,
                })
            },
        )?)
    }

    /// Faces of photos waiting for a search, oldest photos first.
    pub fn waiting_faces(&self, event: &str, max_photos: u32) -> Result<(Vec<FaceRow>, Vec<i64>)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT photo_id FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL
              ORDER BY indexed_ms, photo_id LIMIT ?2",
        )?;
        let photos: Vec<i64> = stmt
            .query_map(params![event, max_photos], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut faces = Vec::new();
        for photo in &photos {
            faces.extend(self.photo_faces(event, *photo)?);
        }
        Ok((faces, photos))
    }

    /// Photo faces of an event with their matched participant, for one photo.
    pub fn photo_faces(&self, event: &str, photo_id: i64) -> Result<Vec<FaceRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.id, f.photo_id, f.face_id, f.box_left, f.box_top, f.box_width, f.box_height, f.confidence,
                    m.participant_id, p.display_name, m.confidence
               FROM photo_faces f
               LEFT JOIN matches m ON m.face_row = f.id
               LEFT JOIN participants p ON p.event_id = m.event_id AND p.id = m.participant_id
              WHERE f.event_id = ?1 AND f.photo_id = ?2 ORDER BY f.box_left, f.id",
        )?;
        let rows = stmt
            .query_map(params![event, photo_id], |r| {
                let participant = match (
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<f32>>(10)?,
                ) {
                    (Some(id), Some(name), Some(c)) => Some((id, name, c)),
                    _ => None,
                };
                Ok(FaceRow {
                    row: r.get(0)?,
                    photo_id: r.get(1)?,
                    face_id: r.get(2)?,
                    left: r.get(3)?,
                    top: r.get(4)?,
                    width: r.get(5)?,
                    height: r.get(6)?,
                    confidence: r.get(7)?,
                    participant,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The face row of a collection face id (reverse searches return face ids).
    pub fn face_row_of(&self, event: &str, face_id: &str) -> Result<Option<i64>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id FROM photo_faces WHERE event_id = ?1 AND face_id = ?2",
                params![event, face_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Whether a photo is already indexed into the event's collection.
    pub fn photo_indexed(&self, event: &str, photo_id: i64) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM photo_matching WHERE event_id = ?1 AND photo_id = ?2",
                params![event, photo_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn match_totals(&self, event: &str) -> Result<MatchTotals> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM event_photos ep JOIN photos p ON p.id = ep.photo_id
                      WHERE ep.event_id = ?1 AND p.status = 'ok'),
                    (SELECT count(DISTINCT photo_id) FROM matches WHERE event_id = ?1),
                    (SELECT count(*) FROM photo_faces WHERE event_id = ?1),
                    (SELECT count(*) FROM matches WHERE event_id = ?1),
                    (SELECT count(*) FROM jobs WHERE event_id = ?1 AND kind = 'match' AND status = 'failed'),
                    (SELECT count(*) FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NOT NULL)",
            [event],
            |r| {
                let n = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)? as u64) };
                Ok(MatchTotals { photos: n(0)?, matched: n(1)?, faces: n(2)?, matches: n(3)?, failed: n(4)?, searched: n(5)? })
            },
        )?)
    }

    /// Counters whose name starts with `prefix`, prefix stripped.
    pub fn counters(&self, prefix: &str) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT substr(name, length(?1) + 1), value FROM counters
              WHERE substr(name, 1, length(?1)) = ?1 ORDER BY name",
        )?;
        let rows = stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Collection face id → photo face row, for every photo face of an event.
    pub fn photo_face_ids(&self, event: &str) -> Result<std::collections::HashMap<String, i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT face_id, id FROM photo_faces WHERE event_id = ?1 AND face_id IS NOT NULL",
        )?;
        let rows = stmt
            .query_map([event], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Ids of the photos waiting for a search right now.
    pub fn waiting_photos(&self, event: &str) -> Result<Vec<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT photo_id FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL",
        )?;
        let rows = stmt
            .query_map([event], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Display names of the participants found in a photo (active event).
    pub fn people_in(&self, event: &str, photo_id: i64) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.display_name FROM matches m JOIN participants p
               ON p.event_id = m.event_id AND p.id = m.participant_id
              WHERE m.event_id = ?1 AND m.photo_id = ?2 ORDER BY p.display_name",
        )?;
        let rows = stmt
            .query_map(params![event, photo_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
