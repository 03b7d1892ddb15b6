//! Events, participants, the faces found in photos and who was matched where.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Row};

use crate::face_vectors::Signature;
use crate::jobs::{insert_job, JobKind};
use crate::paths::{from_bytes, to_bytes};
use crate::{Reader, Result, Writer};

/// Settings key of the event new photos are matched against.
const ACTIVE_EVENT: &str = "active_event";

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: String,
    pub name: String,
    pub collection_id: String,
    pub match_threshold: f32,
    /// "absent", "ready" or "closed".
    pub collection_state: String,
    pub created_ms: i64,
    pub closed_ms: Option<i64>,
    /// The backend the event's faces were indexed with ("rekognition", "local"),
    /// None until the first face is indexed.
    pub backend: Option<String>,
    /// Cosine similarity (0-1) at which the on-device matcher accepts a match.
    pub local_threshold: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantRow {
    pub event_id: String,
    pub id: String,
    pub display_name: String,
    pub selfie_sha256: Option<String>,
    pub selfie_path: Option<PathBuf>,
    pub consent: bool,
    pub face_id: Option<String>,
    pub index_error: Option<String>,
    pub searched_ms: Option<i64>,
    pub removed: bool,
    /// Photos the participant was found in.
    pub photos: u64,
}

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
    /// Create an event (no-op if it exists); returns whether it is new.
    pub fn create_event(&self, id: &str, name: &str, threshold: f32) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO events (id, name, collection_id, match_threshold, created_ms)
             VALUES (?1, ?2, 'findme-' || ?1, ?3, ?4) ON CONFLICT (id) DO NOTHING",
            params![id, name, threshold, self.now_ms],
        )?;
        Ok(n > 0)
    }

    /// Match new photos against this event; every catalogued photo gets (again) a
    /// pending match job, which is idempotent per (event, photo).
    pub fn set_active_event(&self, id: &str) -> Result<()> {
        self.set_setting(ACTIVE_EVENT, id)?;
        self.conn.execute(
            "UPDATE jobs SET status = 'pending', attempts = 0, run_after_ms = ?1, updated_ms = ?1
              WHERE kind = 'match' AND status IN ('done', 'failed')",
            [self.now_ms],
        )?;
        Ok(())
    }

    /// "absent", "ready" or "closed". Closed is final: a job that finishes after
    /// the photographer closed the event cannot reopen it.
    pub fn set_collection_state(&self, event: &str, state: &str) -> Result<()> {
        if state == "closed" {
            self.forget_event_signatures(event)?;
        }
        self.conn.execute(
            "UPDATE events SET collection_state = ?2,
                    closed_ms = CASE WHEN ?2 = 'closed' THEN coalesce(closed_ms, ?3) ELSE closed_ms END
              WHERE id = ?1 AND (collection_state != 'closed' OR ?2 = 'closed')",
            params![event, state, self.now_ms],
        )?;
        Ok(())
    }

    /// Add or update a participant. A new selfie, or consent given, queues the
    /// selfie for indexing; consent withdrawn drops their matches at once and
    /// queues the deletion of their face from the collection.
    pub fn upsert_participant(
        &self,
        event: &str,
        id: &str,
        name: &str,
        selfie: Option<(&str, &Path)>,
        consent: bool,
    ) -> Result<()> {
        let before: Option<(Option<String>, bool, Option<i64>)> = self
            .conn
            .query_row(
                "SELECT selfie_sha256, consent, removed_ms FROM participants WHERE event_id = ?1 AND id = ?2",
                params![event, id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (sha, path) = match selfie {
            Some((sha, path)) => (Some(sha.to_string()), Some(to_bytes(path))),
            None => (None, None),
        };
        self.conn.execute(
            "INSERT INTO participants (event_id, id, display_name, selfie_sha256, selfie_path, consent, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (event_id, id) DO UPDATE SET display_name = excluded.display_name,
                selfie_sha256 = coalesce(excluded.selfie_sha256, selfie_sha256),
                selfie_path = coalesce(excluded.selfie_path, selfie_path),
                consent = excluded.consent, removed_ms = NULL, updated_ms = excluded.updated_ms",
            params![event, id, name, sha, path, consent, self.now_ms],
        )?;
        let selfie_changed = match (&before, &sha) {
            (Some((old, _, _)), Some(new)) => old.as_deref() != Some(new.as_str()),
            (None, _) => true,
            _ => false,
        };
        let consent_changed = before
            .as_ref()
            .is_some_and(|b| b.1 != consent || b.2.is_some());
        if selfie_changed {
            self.conn.execute(
                "UPDATE participants SET index_error = NULL, searched_ms = NULL WHERE event_id = ?1 AND id = ?2",
                params![event, id],
            )?;
        }
        if !consent {
            self.drop_matches_of(event, id)?;
        }
        if selfie_changed || consent_changed {
            self.requeue_participant(event, id)?;
        }
        Ok(())
    }

    /// Remove a participant: matches go now; the row stays (marked removed) until
    /// the participant job has deleted their face from the collection.
    pub fn remove_participant(&self, event: &str, id: &str) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE participants SET removed_ms = ?3, consent = 0, updated_ms = ?3
              WHERE event_id = ?1 AND id = ?2 AND removed_ms IS NULL",
            params![event, id, self.now_ms],
        )?;
        if n == 0 {
            return Ok(false);
        }
        self.drop_matches_of(event, id)?;
        crate::outbox::insert_outbox(
            self.conn,
            event,
            "participant_removed",
            id,
            None,
            self.now_ms,
        )?;
        self.requeue_participant(event, id)?;
        Ok(true)
    }

    fn drop_matches_of(&self, event: &str, participant: &str) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "DELETE FROM matches WHERE event_id = ?1 AND participant_id = ?2 RETURNING photo_id",
        )?;
        let photos: Vec<i64> = stmt
            .query_map(params![event, participant], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for photo in photos {
            self.queue_photo_push(event, photo)?;
        }
        Ok(())
    }

    fn requeue_participant(&self, event: &str, id: &str) -> Result<()> {
        let subject = format!("{event}/{id}");
        if !insert_job(
            self.conn,
            JobKind::IndexParticipant,
            &subject,
            None,
            self.now_ms,
        )? {
            self.conn.execute(
                "UPDATE jobs SET status = 'pending', attempts = 0, run_after_ms = ?2, updated_ms = ?2,
                        last_error = NULL
                  WHERE kind = 'index-participant' AND subject = ?1 AND status <> 'running'",
                params![subject, self.now_ms],
            )?;
        }
        Ok(())
    }

    /// The participant's selfie is in the collection as `face_id` (or could not
    /// be: `error`).
    pub fn record_participant_face(
        &self,
        event: &str,
        id: &str,
        face_id: Option<&str>,
        signature: Option<&Signature>,
        error: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE participants SET face_id = ?3, index_error = ?4, updated_ms = ?5,
                    embedding = ?6, model_version = ?7
              WHERE event_id = ?1 AND id = ?2",
            params![
                event,
                id,
                face_id,
                error,
                self.now_ms,
                signature.map(|s| &s.embedding),
                signature.map(|s| &s.model_version)
            ],
        )?;
        Ok(())
    }

    /// The participant's face is gone from the collection; drop a removed row.
    pub fn forget_participant_face(&self, event: &str, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE participants SET face_id = NULL, searched_ms = NULL, embedding = NULL,
                    model_version = NULL, updated_ms = ?3
              WHERE event_id = ?1 AND id = ?2",
            params![event, id, self.now_ms],
        )?;
        self.conn.execute(
            "DELETE FROM participants WHERE event_id = ?1 AND id = ?2 AND removed_ms IS NOT NULL",
            params![event, id],
        )?;
        Ok(())
    }

    /// Faces of a photo as indexed into the event's collection. Idempotent: a
    /// photo already recorded keeps its first record (returns false).
    pub fn record_photo_faces(
        &self,
        event: &str,
        photo_id: i64,
        faces: &[NewFace],
    ) -> Result<bool> {
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

    pub fn record_participant_searched(&self, event: &str, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE participants SET searched_ms = ?3 WHERE event_id = ?1 AND id = ?2",
            params![event, id, self.now_ms],
        )?;
        Ok(())
    }

    /// The sync stage must (re)send this photo: one pending outbox row per photo
    /// (a newer change replaces the pending row) and its push job.
    pub(crate) fn queue_photo_push(&self, event: &str, photo_id: i64) -> Result<()> {
        crate::outbox::queue_photo(self.conn, event, photo_id, self.now_ms)
    }
}

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: r.get(0)?,
        name: r.get(1)?,
        collection_id: r.get(2)?,
        match_threshold: r.get(3)?,
        collection_state: r.get(4)?,
        created_ms: r.get(5)?,
        closed_ms: r.get(6)?,
        backend: r.get(7)?,
        local_threshold: r.get(8)?,
    })
}

const EVENT_COLUMNS: &str = "id, name, collection_id, match_threshold, collection_state, \
     created_ms, closed_ms, backend, local_threshold";

impl Reader<'_> {
    pub fn event(&self, id: &str) -> Result<Option<EventRow>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ?1");
        Ok(self.conn.query_row(&sql, [id], event_from_row).optional()?)
    }

    pub fn active_event(&self) -> Result<Option<EventRow>> {
        match self.setting(ACTIVE_EVENT)? {
            Some(id) => self.event(&id),
            None => Ok(None),
        }
    }

    pub fn events(&self) -> Result<Vec<EventRow>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY created_ms, id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map([], event_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Participants of an event (removed ones included while their face is
    /// still being deleted), with how many photos each was found in.
    pub fn participants(&self, event: &str) -> Result<Vec<ParticipantRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.event_id, p.id, p.display_name, p.selfie_sha256, p.selfie_path, p.consent,
                    p.face_id, p.index_error, p.searched_ms, p.removed_ms IS NOT NULL,
                    (SELECT count(*) FROM matches m WHERE m.event_id = p.event_id AND m.participant_id = p.id)
               FROM participants p WHERE p.event_id = ?1 ORDER BY p.display_name, p.id",
        )?;
        let rows = stmt
            .query_map([event], participant_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn participant(&self, event: &str, id: &str) -> Result<Option<ParticipantRow>> {
        Ok(self.participants(event)?.into_iter().find(|p| p.id == id))
    }

    /// How much search work is waiting in an event (the planner's input).
    pub fn search_backlog(&self, event: &str) -> Result<SearchBacklog> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL),
                    (SELECT coalesce(sum(faces), 0) FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL),
                    (SELECT min(indexed_ms) FROM photo_matching WHERE event_id = ?1 AND searched_ms IS NULL),
                    (SELECT count(*) FROM participants WHERE event_id = ?1 AND face_id IS NOT NULL
                        AND consent = 1 AND removed_ms IS NULL AND searched_ms IS NULL),
                    (SELECT count(*) FROM participants WHERE event_id = ?1 AND face_id IS NOT NULL
                        AND consent = 1 AND removed_ms IS NULL)",
            [event],
            |r| {
                Ok(SearchBacklog {
                    photos: r.get::<_, i64>(0)? as u64,
                    faces: r.get::<_, i64>(1)? as u64,
                    oldest_ms: r.get(2)?,
                    new_participants: r.get::<_, i64>(3)? as u64,
                    participants: r.get::<_, i64>(4)? as u64,
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
            "SELECT (SELECT count(*) FROM photos WHERE status = 'ok'),
                    (SELECT count(DISTINCT photo_id) FROM matches WHERE event_id = ?1),
                    (SELECT count(*) FROM photo_faces WHERE event_id = ?1),
                    (SELECT count(*) FROM matches WHERE event_id = ?1),
                    (SELECT count(*) FROM jobs WHERE kind = 'match' AND status = 'failed'),
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

fn participant_from_row(r: &Row<'_>) -> rusqlite::Result<ParticipantRow> {
    Ok(ParticipantRow {
        event_id: r.get(0)?,
        id: r.get(1)?,
        display_name: r.get(2)?,
        selfie_sha256: r.get(3)?,
        selfie_path: r.get::<_, Option<Vec<u8>>>(4)?.map(from_bytes),
        consent: r.get(5)?,
        face_id: r.get(6)?,
        index_error: r.get(7)?,
        searched_ms: r.get(8)?,
        removed: r.get(9)?,
        photos: r.get::<_, i64>(10)? as u64,
    })
}
