//! The faces found in a participant's selfie (schema v11): their boxes, so the
//! app can draw them over the selfie, and which one is indexed. With several
//! clear faces none is indexed until the photographer picks one.

use rusqlite::{params, OptionalExtension};

use crate::{Reader, Result, Writer};

/// A face in a selfie, as fractions (0..1) of the upright selfie.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SelfieFace {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

/// What [`Writer::pick_selfie_face`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    /// The face will be indexed (the participant's job is queued).
    Queued,
    /// That face is the one indexed already: nothing changed.
    Already,
    /// The selfie has no face `n` (or the participant no selfie, or no consent).
    NoSuchFace,
}

impl Writer<'_> {
    /// The faces found in the participant's current selfie, largest first, and
    /// the one indexed (`used`, an index into `faces`). Ignored when the
    /// participant has no selfie or consent any more (withdrawn meanwhile).
    pub fn record_selfie_faces(
        &self,
        event: &str,
        id: &str,
        faces: &[SelfieFace],
        used: Option<u32>,
    ) -> Result<()> {
        if !self.selfie_wanted(event, id)? {
            return Ok(());
        }
        self.forget_selfie_faces(event, id)?;
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO selfie_faces (event_id, participant_id, n, box_left, box_top, box_width,
                                       box_height)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (n, f) in faces.iter().enumerate() {
            insert.execute(params![
                event, id, n as i64, f.left, f.top, f.width, f.height
            ])?;
        }
        self.conn.execute(
            "UPDATE participants SET face_used = ?3 WHERE event_id = ?1 AND id = ?2",
            params![event, id, used],
        )?;
        Ok(())
    }

    /// The photographer picked face `n` of the participant's selfie: the face
    /// indexed now (if another) goes, with its matches, and the participant's
    /// job indexes face `n` only. The boxes stay.
    pub fn pick_selfie_face(&self, event: &str, id: &str, n: u32) -> Result<Picked> {
        if !self.selfie_wanted(event, id)? {
            return Ok(Picked::NoSuchFace);
        }
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM selfie_faces
                             WHERE event_id = ?1 AND participant_id = ?2 AND n = ?3)",
            params![event, id, n],
            |r| r.get(0),
        )?;
        if !exists {
            return Ok(Picked::NoSuchFace);
        }
        let (face_id, used): (Option<String>, Option<u32>) = self.conn.query_row(
            "SELECT face_id, face_used FROM participants WHERE event_id = ?1 AND id = ?2",
            params![event, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if face_id.is_some() && used == Some(n) {
            return Ok(Picked::Already);
        }
        self.drop_matches_of(event, id)?;
        self.retire_face(event, id, face_id, "another face of the selfie picked")?;
        self.conn.execute(
            "UPDATE participants SET face_pick = ?3, face_used = NULL, index_error = NULL,
                    updated_ms = ?4
              WHERE event_id = ?1 AND id = ?2",
            params![event, id, n, self.now_ms],
        )?;
        self.requeue_participant(event, id)?;
        Ok(Picked::Queued)
    }

    /// The selfie's faces and the choice among them go (a new selfie, consent
    /// withdrawn, the participant removed).
    pub(crate) fn forget_selfie_faces(&self, event: &str, id: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM selfie_faces WHERE event_id = ?1 AND participant_id = ?2",
            params![event, id],
        )?;
        self.conn.execute(
            "UPDATE participants SET face_pick = NULL, face_used = NULL
              WHERE event_id = ?1 AND id = ?2",
            params![event, id],
        )?;
        Ok(())
    }

    /// The participant still wants their selfie used: present, consenting, with a selfie.
    pub(crate) fn selfie_wanted(&self, event: &str, id: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT removed_ms IS NULL AND consent = 1 AND selfie_sha256 IS NOT NULL
                   FROM participants WHERE event_id = ?1 AND id = ?2",
                params![event, id],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false))
    }
}

impl Reader<'_> {
    /// Every participant's selfie faces in `event`, largest first, by participant.
    pub(crate) fn selfie_faces_of_event(
        &self,
        event: &str,
    ) -> Result<std::collections::HashMap<String, Vec<SelfieFace>>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT participant_id, box_left, box_top, box_width, box_height FROM selfie_faces
              WHERE event_id = ?1 ORDER BY participant_id, n",
        )?;
        let mut faces: std::collections::HashMap<String, Vec<SelfieFace>> = Default::default();
        let rows = stmt.query_map([event], |r| {
            Ok((
                r.get::<_, String>(0)?,
                SelfieFace {
                    left: r.get(1)?,
                    top: r.get(2)?,
                    width: r.get(3)?,
                    height: r.get(4)?,
                },
            ))
        })?;
        for row in rows {
            let (participant, face) = row?;
            faces.entry(participant).or_default().push(face);
        }
        Ok(faces)
    }
}
