//! Durable deletion work: biometric data (face ids in a Rekognition collection,
//! a whole collection) and selfie files that must go, written in the same
//! transaction as the change that makes them go (consent withdrawn, participant
//! removed, photo removed from an event, event closed). A row stays until the
//! holder of the data confirmed the deletion; nothing ever drops one unfinished.
//!
//! Data the catalog itself holds (on-device signatures) is deleted at once in
//! that same transaction and needs no row.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension, Row};

use crate::paths::{from_bytes, to_bytes};
use crate::{Reader, Result, Writer};

/// Counter of deletions carried out (all processes, all time).
pub const DELETIONS_DONE: &str = "deletions.done";

/// What a deletion removes, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeletionTarget {
    /// Faces of a Rekognition collection; first the person (Rekognition user)
    /// of the participant `person`, which holds the selfie face.
    Faces {
        collection: String,
        face_ids: Vec<String>,
        person: Option<String>,
    },
    /// A whole Rekognition collection (the event was closed).
    Collection { collection: String },
    /// A selfie file in the data folder (unless a living participant uses the
    /// same bytes when the deletion runs).
    Selfie { path: PathBuf, sha256: String },
}

/// Who holds the data a deletion removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeletionHolder {
    /// AWS Rekognition: needs AWS credentials.
    Rekognition,
    /// This computer's data folder: any process can do it.
    Files,
}

impl DeletionHolder {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionHolder::Rekognition => "rekognition",
            DeletionHolder::Files => "files",
        }
    }
}

/// One deletion not confirmed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletionRow {
    pub id: i64,
    pub event_id: String,
    pub holder: DeletionHolder,
    pub target: DeletionTarget,
    /// Why it must go ("consent withdrawn", "event closed", …).
    pub reason: String,
    pub attempts: u32,
    /// Why the last try did not finish (or what it waits for).
    pub last_error: Option<String>,
    /// The last try failed (it is tried again later); false: not tried yet or
    /// waiting for something this process lacks (AWS sign-in).
    pub failed: bool,
}

/// Deletions not confirmed yet, per state and holder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeletionTotals {
    /// Not tried yet, or waiting for what the process lacks.
    pub pending: u64,
    /// The last try failed; tried again later.
    pub failed: u64,
    /// Unfinished ones held by Rekognition (they need AWS sign-in).
    pub rekognition: u64,
    /// Faces among the unfinished Rekognition deletions.
    pub rekognition_faces: u64,
    /// Whole collections among them.
    pub rekognition_collections: u64,
    /// What the newest waiting or failed one last said.
    pub last_error: Option<String>,
}

impl Writer<'_> {
    pub(crate) fn queue_deletion(
        &self,
        event: &str,
        target: &DeletionTarget,
        reason: &str,
    ) -> Result<()> {
        let (holder, collection, faces, person, path, sha) = match target {
            DeletionTarget::Faces {
                collection,
                face_ids,
                person,
            } => {
                if face_ids.is_empty() {
                    return Ok(());
                }
                let faces = face_ids.join(" ");
                (
                    "rekognition",
                    Some(collection.as_str()),
                    Some(faces),
                    person.as_deref(),
                    None,
                    None,
                )
            }
            DeletionTarget::Collection { collection } => (
                "rekognition",
                Some(collection.as_str()),
                None,
                None,
                None,
                None,
            ),
            DeletionTarget::Selfie { path, sha256 } => (
                "files",
                None,
                None,
                None,
                Some(to_bytes(path)),
                Some(sha256.as_str()),
            ),
        };
        let kind = match target {
            DeletionTarget::Faces { .. } => "faces",
            DeletionTarget::Collection { .. } => "collection",
            DeletionTarget::Selfie { .. } => "selfie",
        };
        self.conn.execute(
            "INSERT INTO deletions (event_id, holder, target, collection_id, face_ids, person, path,
                                    sha256, reason, run_after_ms, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0, ?10)",
            params![event, holder, kind, collection, faces, person, path, sha, reason, self.now_ms],
        )?;
        Ok(())
    }

    /// Faces of an event's index that must go, if the index is held outside
    /// the catalog (Rekognition); on-device faces live in the catalog and go with
    /// their rows.
    pub(crate) fn queue_face_deletion(
        &self,
        event: &str,
        face_ids: Vec<String>,
        person: Option<&str>,
        reason: &str,
    ) -> Result<()> {
        let held: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT collection_id, backend FROM events WHERE id = ?1",
                [event],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match held {
            Some((collection, Some(backend))) if backend == "rekognition" => self.queue_deletion(
                event,
                &DeletionTarget::Faces {
                    collection,
                    face_ids,
                    person: person.map(str::to_string),
                },
                reason,
            ),
            _ => Ok(()),
        }
    }

    /// The selfie file of a participant must go (when no living participant
    /// uses the same bytes any more).
    pub(crate) fn queue_selfie_deletion(
        &self,
        event: &str,
        path: &Path,
        sha256: &str,
        reason: &str,
    ) -> Result<()> {
        let target = DeletionTarget::Selfie {
            path: path.to_path_buf(),
            sha256: sha256.to_string(),
        };
        self.queue_deletion(event, &target, reason)
    }

    /// The holder confirmed the deletion (or had nothing to delete).
    pub fn deletion_done(&self, id: i64) -> Result<()> {
        if self
            .conn
            .execute("DELETE FROM deletions WHERE id = ?1", [id])?
            > 0
        {
            self.add_counters(&[(DELETIONS_DONE.to_string(), 1)])?;
        }
        Ok(())
    }

    /// This process cannot do it (no AWS sign-in): it stays pending, saying why.
    pub fn deletion_waiting(&self, id: i64, why: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE deletions SET state = 'pending', last_error = ?2 WHERE id = ?1",
            params![id, why],
        )?;
        Ok(())
    }

    /// The try failed; try again after `retry_after_ms`.
    pub fn deletion_failed(&self, id: i64, error: &str, retry_after_ms: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE deletions SET state = 'failed', attempts = attempts + 1, last_error = ?2,
                    run_after_ms = ?3 WHERE id = ?1",
            params![id, error, self.now_ms + retry_after_ms.max(0)],
        )?;
        Ok(())
    }
}

fn deletion_from_row(r: &Row<'_>) -> rusqlite::Result<DeletionRow> {
    let holder = match r.get::<_, String>(2)?.as_str() {
        "files" => DeletionHolder::Files,
        _ => DeletionHolder::Rekognition,
    };
    let kind: String = r.get(3)?;
    let collection: Option<String> = r.get(4)?;
    let target = match kind.as_str() {
        "selfie" => DeletionTarget::Selfie {
            path: r
                .get::<_, Option<Vec<u8>>>(7)?
                .map(from_bytes)
                .unwrap_or_default(),
            sha256: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
        },
        "collection" => DeletionTarget::Collection {
            collection: collection.unwrap_or_default(),
        },
        _ => DeletionTarget::Faces {
            collection: collection.unwrap_or_default(),
            face_ids: r
                .get::<_, Option<String>>(5)?
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            person: r.get(6)?,
        },
    };
    Ok(DeletionRow {
        id: r.get(0)?,
        event_id: r.get(1)?,
        holder,
        target,
        reason: r.get(9)?,
        attempts: r.get::<_, i64>(10)?.max(0) as u32,
        last_error: r.get(11)?,
        failed: r.get::<_, String>(12)? == "failed",
    })
}

impl Reader<'_> {
    /// Unfinished deletions in the order they were asked for (a face before its
    /// collection), those due by `now_ms` only unless `all`.
    pub fn deletions(&self, now_ms: i64, all: bool) -> Result<Vec<DeletionRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, event_id, holder, target, collection_id, face_ids, person, path, sha256,
                    reason, attempts, last_error, state
               FROM deletions WHERE ?2 OR run_after_ms <= ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![now_ms, all], deletion_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn deletion_totals(&self) -> Result<DeletionTotals> {
        let (pending, failed, rekognition, collections, faces): (i64, i64, i64, i64, i64) = self.conn.query_row(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'failed'),
                    count(*) FILTER (WHERE holder = 'rekognition'),
                    count(*) FILTER (WHERE target = 'collection'),
                    coalesce(sum(CASE WHEN target = 'faces'
                        THEN length(face_ids) - length(replace(face_ids, ' ', '')) + 1 END), 0)
               FROM deletions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        let last_error = self
            .conn
            .query_row(
                "SELECT last_error FROM deletions WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(DeletionTotals {
            pending: pending as u64,
            failed: failed as u64,
            rekognition: rekognition as u64,
            rekognition_faces: faces as u64,
            rekognition_collections: collections as u64,
            last_error,
        })
    }

    /// Whether a participant of an open event, with consent, still uses these
    /// selfie bytes (then the file must stay).
    pub fn selfie_in_use(&self, sha256: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM participants p JOIN events e ON e.id = p.event_id
                  WHERE p.selfie_sha256 = ?1 AND p.removed_ms IS NULL AND p.consent = 1
                    AND e.closed_ms IS NULL LIMIT 1",
                [sha256],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}
