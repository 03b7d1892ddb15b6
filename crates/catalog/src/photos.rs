//! Photos (one per content hash) and their locations on disk.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};

use crate::arrival::{Arrival, ArrivalSource};
use crate::jobs::{self, JobKind};
use crate::paths::{subtree_range, to_bytes};
use crate::{Result, Writer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoStatus {
    Ok,
    Failed,
}

impl PhotoStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PhotoStatus::Ok => "ok",
            PhotoStatus::Failed => "failed",
        }
    }
}

/// What ingest learned from a file's bytes.
#[derive(Debug, Clone)]
pub struct PhotoFacts {
    /// Lower-case hex SHA-256: the photo's identity.
    pub sha256: String,
    pub size: u64,
    pub format: String,
    pub is_raw: bool,
    pub status: PhotoStatus,
    /// Readable reason when `status` is failed.
    pub error: Option<String>,
    /// RFC 3339 capture time.
    pub captured_at: Option<String>,
    pub offset_from_exif: bool,
    /// Sort key: capture instant, or file mtime when the file has no capture time.
    pub taken_ms: i64,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub camera_serial: Option<String>,
    pub lens: Option<String>,
    pub orientation: Option<u16>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

#[derive(Debug, Clone)]
pub enum FileContent {
    /// The file was read and hashed (its content may still be a failed photo).
    Photo(Box<PhotoFacts>),
    /// The file could not be read at all; nothing is known of its content.
    Unreadable { reason: String },
}

/// One file seen on disk, as ingest reports it to the catalog.
#[derive(Debug, Clone)]
pub struct FileRecord {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    pub content: FileContent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    /// New content: a new photo (and its jobs) was created.
    Imported { photo_id: i64 },
    /// The content was already catalogued: this path is one more location.
    Duplicate { photo_id: i64 },
    /// The file is catalogued as failed (photo_id is None when it was unreadable).
    Failed {
        photo_id: Option<i64>,
        reason: String,
    },
}

impl RecordOutcome {
    /// The photo the file was catalogued as, if it has one.
    pub fn photo_id(&self) -> Option<i64> {
        match self {
            RecordOutcome::Imported { photo_id } | RecordOutcome::Duplicate { photo_id } => {
                Some(*photo_id)
            }
            RecordOutcome::Failed { photo_id, .. } => *photo_id,
        }
    }
}

/// What the catalog last saw at a path; the quick re-scan compares against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationState {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    /// False when the file was unreadable last time (it is retried on every scan).
    pub readable: bool,
}

#[derive(Debug, Clone)]
pub struct PhotoRow {
    pub id: i64,
    pub sha256: String,
    pub paths: Vec<PathBuf>,
    pub captured_at: Option<String>,
    pub taken_ms: i64,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub camera_serial: Option<String>,
    pub lens: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    pub format: String,
    pub size: u64,
    pub status: PhotoStatus,
    pub error: Option<String>,
    pub group_id: Option<i64>,
    pub imported_ms: i64,
    /// Why no thumbnail/preview can be made (HEIC, RAW without preview).
    pub preview_error: Option<String>,
    /// Kinds of renditions in the thumbnail cache ("thumb", "preview").
    pub renditions: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogCounts {
    pub photos: u64,
    pub locations: u64,
    /// Failed photos plus unreadable files.
    pub failed: u64,
}

/// A file that could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadFailure {
    pub path: PathBuf,
    pub reason: String,
    pub seen_ms: i64,
}

impl Writer<'_> {
    /// [`Writer::record_file`], and the photo joins `event` (if open) in the same
    /// transaction: a photo never exists without the membership (and match job)
    /// its import gave it, whatever kills the process.
    pub fn record_file_into(
        &self,
        rec: &FileRecord,
        event: Option<&str>,
        arrival: Arrival,
    ) -> Result<RecordOutcome> {
        let outcome = self.record_arrival(rec, arrival)?;
        if let (Some(event), Some(id)) = (event, outcome.photo_id()) {
            self.join_if_open(event, id)?;
        }
        Ok(outcome)
    }

    /// Record what ingest found at a path: create or reuse the photo for its
    /// content, point the location at it, group RAW+JPEG pairs, and (for a new good
    /// photo) enqueue the jobs of the later stages, all in this transaction.
    pub fn record_file(&self, rec: &FileRecord) -> Result<RecordOutcome> {
        self.record_arrival(rec, Arrival::now(ArrivalSource::Import))
    }

    /// [`Writer::record_file`] for a file that arrived from `arrival`'s source:
    /// a new photo keeps it (and a live source puts its jobs first).
    fn record_arrival(&self, rec: &FileRecord, arrival: Arrival) -> Result<RecordOutcome> {
        let path = to_bytes(&rec.path);
        let previous: Option<Option<i64>> = self
            .conn
            .query_row(
                "SELECT photo_id FROM locations WHERE path = ?1",
                [&path],
                |r| r.get(0),
            )
            .optional()?;

        let (photo_id, outcome) = match &rec.content {
            FileContent::Unreadable { reason } => (
                None,
                RecordOutcome::Failed {
                    photo_id: None,
                    reason: reason.clone(),
                },
            ),
            FileContent::Photo(facts) => {
                let (id, is_new) = self.upsert_photo(facts, arrival)?;
                let outcome = match (facts.status, is_new) {
                    (PhotoStatus::Failed, _) => RecordOutcome::Failed {
                        photo_id: Some(id),
                        reason: facts.error.clone().unwrap_or_else(|| "failed".into()),
                    },
                    (PhotoStatus::Ok, true) => RecordOutcome::Imported { photo_id: id },
                    (PhotoStatus::Ok, false) => RecordOutcome::Duplicate { photo_id: id },
                };
                (Some(id), outcome)
            }
        };
        let error = match &rec.content {
            FileContent::Unreadable { reason } => Some(reason.as_str()),
            FileContent::Photo(_) => None,
        };
        let dir = rec.path.parent().map(to_bytes).unwrap_or_default();
        let stem = stem_key(&rec.path);
        self.conn.execute(
            "INSERT INTO locations (path, photo_id, size, mtime_ns, dir, stem, error, seen_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (path) DO UPDATE SET photo_id = excluded.photo_id,
                size = excluded.size, mtime_ns = excluded.mtime_ns,
                error = excluded.error, seen_ms = excluded.seen_ms",
            params![
                path,
                photo_id,
                rec.size as i64,
                rec.mtime_ns,
                dir,
                stem,
                error,
                self.now_ms
            ],
        )?;
        if let Some(Some(old)) = previous {
            if Some(old) != photo_id {
                self.drop_if_orphaned_failure(old)?;
            }
        }
        if let Some(id) = photo_id {
            self.group_pairs(id, &dir, &stem)?;
            self.join_folder_events(&rec.path, id)?;
        }
        Ok(outcome)
    }

    fn upsert_photo(&self, f: &PhotoFacts, arrival: Arrival) -> Result<(i64, bool)> {
        let existing: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM photos WHERE sha256 = ?1",
                [&f.sha256],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok((id, false));
        }
        self.conn.execute(
            "INSERT INTO photos (sha256, size, format, is_raw, status, error, captured_at,
                offset_from_exif, taken_ms, camera_make, camera_model, camera_serial, lens,
                orientation, width, height, imported_ms, arrival, arrived_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                     ?18, ?19)",
            params![
                f.sha256,
                f.size as i64,
                f.format,
                f.is_raw,
                f.status.as_str(),
                f.error,
                f.captured_at,
                f.offset_from_exif,
                f.taken_ms,
                f.camera_make,
                f.camera_model,
                f.camera_serial,
                f.lens,
                f.orientation,
                f.width,
                f.height,
                self.now_ms,
                arrival.source.as_str(),
                arrival.at_ms.unwrap_or(self.now_ms).min(self.now_ms),
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        // Matching is per event: a photo's match jobs come with its memberships.
        if f.status == PhotoStatus::Ok {
            jobs::insert_job(
                self.conn,
                JobKind::Thumbnail,
                &f.sha256,
                Some(id),
                None,
                self.now_ms,
            )?;
        }
        Ok((id, true))
    }

    /// A failed photo that no file points at any more was a half-written or
    /// replaced file: forget it. Good photos stay (their file may only be moved,
    /// and later stages may already have used them).
    fn drop_if_orphaned_failure(&self, photo_id: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM photos WHERE id = ?1 AND status = 'failed'
               AND NOT EXISTS (SELECT 1 FROM locations WHERE photo_id = ?1)",
            [photo_id],
        )?;
        Ok(())
    }

    /// Group a RAW with a JPEG/HEIF of the same stem in the same folder.
    fn group_pairs(&self, photo_id: i64, dir: &[u8], stem: &str) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT p.id, p.is_raw, p.group_id FROM locations l
               JOIN photos p ON p.id = l.photo_id
              WHERE l.dir = ?1 AND l.stem = ?2 AND p.status = 'ok'",
        )?;
        let members: Vec<(i64, bool, Option<i64>)> = stmt
            .query_map(params![dir, stem], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let has_raw = members.iter().any(|m| m.1);
        let has_other = members.iter().any(|m| !m.1);
        if members.len() < 2 || !has_raw || !has_other || !members.iter().any(|m| m.0 == photo_id) {
            return Ok(());
        }
        let group = members
            .iter()
            .flat_map(|m| [Some(m.0), m.2])
            .flatten()
            .min()
            .unwrap_or(photo_id);
        for (id, _, old_group) in &members {
            self.conn.execute(
                "UPDATE photos SET group_id = ?1 WHERE id = ?2 OR (?3 IS NOT NULL AND group_id = ?3)",
                params![group, id, old_group],
            )?;
        }
        Ok(())
    }

    /// Forget the file at `path` (deleted or moved away). Returns whether it was known.
    pub fn remove_location(&self, path: &Path) -> Result<bool> {
        let bytes = to_bytes(path);
        let photo: Option<Option<i64>> = self
            .conn
            .query_row(
                "DELETE FROM locations WHERE path = ?1 RETURNING photo_id",
                [&bytes],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(Some(id)) = photo {
            self.drop_if_orphaned_failure(id)?;
        }
        Ok(photo.is_some())
    }
}

impl Writer<'_> {
    /// Forget every location strictly inside `root` (a folder was deleted).
    pub fn remove_subtree(&self, root: &Path) -> Result<u64> {
        let (lo, hi) = subtree_range(root);
        let mut stmt = self.conn.prepare_cached(
            "DELETE FROM locations WHERE path >= ?1 AND path < ?2 RETURNING photo_id",
        )?;
        let photos: Vec<Option<i64>> = stmt
            .query_map(params![lo, hi], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for id in photos.iter().flatten() {
            self.drop_if_orphaned_failure(*id)?;
        }
        Ok(photos.len() as u64)
    }
}

/// Case-insensitive file stem, the RAW+JPEG pairing key ("IMG_0001").
fn stem_key(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}
