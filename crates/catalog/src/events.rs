//! Events and their participants: the event new photos are matched against,
//! the collection's state, and each participant's selfie, consent and face.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Row};

use crate::deletions::DeletionTarget;
use crate::face_vectors::Signature;
use crate::jobs::{insert_job, JobKind};
use crate::paths::{from_bytes, to_bytes};
use crate::selfie_faces::SelfieFace;
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
    /// Which members its server shows.
    pub publish: crate::PublishPolicy,
    /// The server the event's sync state refers to.
    pub sent_to: Option<String>,
}

/// A participant's face id and selfie file (path, SHA-256).
#[derive(Debug, Default)]
struct Held {
    face_id: Option<String>,
    selfie: Option<(PathBuf, String)>,
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
    /// The faces found in the selfie, largest first (schema v11).
    pub selfie_faces: Vec<SelfieFace>,
    /// The face the photographer picked among several (an index into
    /// `selfie_faces`); None: the selfie's one clear face.
    pub face_pick: Option<u32>,
    /// The face indexed (an index into `selfie_faces`).
    pub face_used: Option<u32>,
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

    /// The event the photographer works on: new photos join it by default and
    /// the gallery shows its state. Touches no photo's membership and no job: the
    /// tiles' match and push state is read again for this event (one pass over the
    /// photos, on a switch only).
    pub fn set_active_event(&self, id: &str) -> Result<()> {
        self.set_setting(ACTIVE_EVENT, id)?;
        self.conn.execute(
            "UPDATE photos SET
                match_job = (SELECT status FROM jobs j WHERE j.photo_id = photos.id
                              AND j.kind = 'match' AND j.event_id = ?1),
                push_job = (SELECT status FROM jobs j WHERE j.photo_id = photos.id
                              AND j.kind = 'push' AND j.event_id = ?1 ORDER BY j.id DESC LIMIT 1)",
            [id],
        )?;
        Ok(())
    }

    /// "absent", "ready" or "closed". Closed is final: a job that finishes after
    /// the photographer closed the event cannot reopen it.
    pub fn set_collection_state(&self, event: &str, state: &str) -> Result<()> {
        if state == "closed" {
            self.close_event_data(event)?;
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
        // What a new selfie replaces (its face and file go).
        let replaced = match (&before, &sha) {
            (Some((Some(old), _, _)), Some(new)) if old != new => Some(self.held_by(event, id)?),
            _ => None,
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
        if selfie_changed && before.is_some() {
            if let Some(old) = replaced {
                self.retire_face(event, id, old.face_id, "selfie replaced")?;
                self.retire_selfie_file(event, old.selfie, "selfie replaced")?;
            }
        }
        let consent_changed = before
            .as_ref()
            .is_some_and(|b| b.1 != consent || b.2.is_some());
        if selfie_changed {
            self.forget_selfie_faces(event, id)?;
            self.conn.execute(
                "UPDATE participants SET index_error = NULL, searched_ms = NULL WHERE event_id = ?1 AND id = ?2",
                params![event, id],
            )?;
        }
        if !consent {
            self.drop_matches_of(event, id)?;
            self.retire_participant(event, id, "consent withdrawn")?;
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
        self.retire_participant(event, id, "participant removed")?;
        // A tombstone (no name, selfie or face) keeps the id, so an on-device
        // search cache sees the face leave; adding the id again revives it.
        self.conn.execute(
            "UPDATE participants SET display_name = '' WHERE event_id = ?1 AND id = ?2",
            params![event, id],
        )?;
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

    pub(crate) fn drop_matches_of(&self, event: &str, participant: &str) -> Result<()> {
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

    pub(crate) fn requeue_participant(&self, event: &str, id: &str) -> Result<()> {
        let subject = format!("{event}/{id}");
        if !insert_job(
            self.conn,
            JobKind::IndexParticipant,
            &subject,
            None,
            Some(event),
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
        let wanted = self.selfie_wanted(event, id)?;
        if let (false, Some(face)) = (wanted, face_id) {
            // Withdrawn or removed while the selfie was being indexed: the face
            // that was just made goes at once. (A reason without a face, such as
            // "no selfie yet", is recorded as usual.)
            let faces = vec![face.to_string()];
            return self.queue_face_deletion(event, faces, Some(id), "consent withdrawn");
        }
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

    /// What a participant holds now: their face id and selfie file.
    fn held_by(&self, event: &str, id: &str) -> Result<Held> {
        let held = self
            .conn
            .query_row(
                "SELECT face_id, selfie_path, selfie_sha256 FROM participants
                  WHERE event_id = ?1 AND id = ?2",
                params![event, id],
                |r| {
                    let path: Option<Vec<u8>> = r.get(1)?;
                    let sha: Option<String> = r.get(2)?;
                    Ok(Held {
                        face_id: r.get(0)?,
                        selfie: path.zip(sha).map(|(p, s)| (from_bytes(p), s)),
                    })
                },
            )
            .optional()?;
        Ok(held.unwrap_or_default())
    }

    /// Consent withdrawn or participant removed: their face, signature and
    /// selfie go (the ones held elsewhere through durable deletion work).
    fn retire_participant(&self, event: &str, id: &str, reason: &str) -> Result<()> {
        let held = self.held_by(event, id)?;
        self.retire_face(event, id, held.face_id, reason)?;
        self.retire_selfie_file(event, held.selfie, reason)?;
        self.forget_selfie_faces(event, id)?;
        self.conn.execute(
            "UPDATE participants SET selfie_path = NULL, selfie_sha256 = NULL
              WHERE event_id = ?1 AND id = ?2",
            params![event, id],
        )?;
        Ok(())
    }

    pub(crate) fn retire_face(
        &self,
        event: &str,
        id: &str,
        face: Option<String>,
        reason: &str,
    ) -> Result<()> {
        if let Some(face) = face {
            self.queue_face_deletion(event, vec![face], Some(id), reason)?;
        }
        self.conn.execute(
            "UPDATE participants SET face_id = NULL, searched_ms = NULL, embedding = NULL,
                    model_version = NULL, updated_ms = ?3
              WHERE event_id = ?1 AND id = ?2",
            params![event, id, self.now_ms],
        )?;
        Ok(())
    }

    fn retire_selfie_file(
        &self,
        event: &str,
        selfie: Option<(PathBuf, String)>,
        reason: &str,
    ) -> Result<()> {
        match selfie {
            Some((path, sha)) => self.queue_selfie_deletion(event, &path, &sha, reason),
            None => Ok(()),
        }
    }

    /// The event closes: its index goes (a Rekognition collection through
    /// deletion work; on-device signatures now), and so do its selfies. The
    /// matches found stay.
    fn close_event_data(&self, event: &str) -> Result<()> {
        let open: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT collection_id, backend FROM events WHERE id = ?1 AND closed_ms IS NULL",
                [event],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((collection, backend)) = open else {
            return Ok(()); // closed already
        };
        if backend.as_deref() == Some("rekognition") {
            let target = DeletionTarget::Collection { collection };
            self.queue_deletion(event, &target, "event closed")?;
        }
        self.forget_event_signatures(event)?;
        let selfies: Vec<(Vec<u8>, String)> = self
            .conn
            .prepare_cached(
                "SELECT selfie_path, selfie_sha256 FROM participants
                  WHERE event_id = ?1 AND selfie_path IS NOT NULL AND selfie_sha256 IS NOT NULL",
            )?
            .query_map([event], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (path, sha) in selfies {
            self.queue_selfie_deletion(event, &from_bytes(path), &sha, "event closed")?;
        }
        self.conn.execute(
            "UPDATE participants SET selfie_path = NULL, selfie_sha256 = NULL, face_id = NULL,
                    face_pick = NULL, face_used = NULL, updated_ms = ?2
              WHERE event_id = ?1",
            params![event, self.now_ms],
        )?;
        self.conn
            .execute("DELETE FROM selfie_faces WHERE event_id = ?1", [event])?;
        Ok(())
    }

    pub fn record_participant_searched(&self, event: &str, id: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE participants SET searched_ms = ?3 WHERE event_id = ?1 AND id = ?2",
            params![event, id, self.now_ms],
        )?;
        Ok(())
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
        publish: r.get::<_, String>(9)?.parse().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, Box::new(e))
        })?,
        sent_to: r.get(10)?,
    })
}

const EVENT_COLUMNS: &str = "id, name, collection_id, match_threshold, collection_state, \
     created_ms, closed_ms, backend, local_threshold, publish, sent_to";

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
                    (SELECT count(*) FROM matches m WHERE m.event_id = p.event_id AND m.participant_id = p.id),
                    p.face_pick, p.face_used
               FROM participants p WHERE p.event_id = ?1 ORDER BY p.display_name, p.id",
        )?;
        let mut rows: Vec<ParticipantRow> = stmt
            .query_map([event], participant_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut faces = self.selfie_faces_of_event(event)?;
        for row in &mut rows {
            row.selfie_faces = faces.remove(&row.id).unwrap_or_default();
        }
        Ok(rows)
    }

    pub fn participant(&self, event: &str, id: &str) -> Result<Option<ParticipantRow>> {
        Ok(self.participants(event)?.into_iter().find(|p| p.id == id))
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
        selfie_faces: Vec::new(),
        face_pick: r.get(11)?,
        face_used: r.get(12)?,
    })
}
