//! A read-only look into a catalog file from outside the app: what the crash
//! and kill tests (and benchmarks) check while, or after, another process writes
//! it. No writer thread, no migration, no pool: one read-only connection that
//! waits out the writer's lock. Counts the queue and the tables in the words of
//! the catalog's own types, so callers never spell SQL.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::jobs::{JobKind, JobStatus};
use crate::paths::from_bytes;
use crate::Result;

/// Length in bytes of an on-device face signature (128 × f32).
const SIGNATURE_BYTES: i64 = 512;

/// A read-only view of a catalog file.
pub struct Inspector {
    conn: Connection,
}

/// A photo of an event that the event server acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentPhoto {
    /// One of its locations.
    pub path: PathBuf,
    pub sha256: String,
    /// When its outbox row was written, and when the server acknowledged it.
    pub created_ms: i64,
    pub sent_ms: i64,
}

impl Inspector {
    /// Opens `path` read-only. Fails if there is no catalog there yet.
    pub fn open(path: &Path) -> Result<Inspector> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        Ok(Inspector { conn })
    }

    fn count(&self, sql: &str, args: impl rusqlite::Params) -> Result<u64> {
        let n: i64 = self.conn.query_row(sql, args, |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// SQLite's own `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// Photos catalogued (good and failed).
    pub fn photos(&self) -> Result<u64> {
        self.count("SELECT count(*) FROM photos", [])
    }

    /// Jobs of `kind` in `status`.
    pub fn jobs(&self, kind: JobKind, status: JobStatus) -> Result<u64> {
        self.count(
            "SELECT count(*) FROM jobs WHERE kind = ?1 AND status = ?2",
            params![kind.as_str(), status.as_str()],
        )
    }

    /// Jobs in `status`, whatever their kind.
    pub fn jobs_in(&self, status: JobStatus) -> Result<u64> {
        self.count(
            "SELECT count(*) FROM jobs WHERE status = ?1",
            [status.as_str()],
        )
    }

    /// Photos that do not have exactly `n` jobs (a photo and its jobs commit
    /// together: a crash must never leave one without them, or with two of one).
    pub fn photos_without_exactly(&self, n: u64) -> Result<u64> {
        self.count(
            "SELECT count(*) FROM photos p
              WHERE (SELECT count(*) FROM jobs j WHERE j.photo_id = p.id) <> ?1",
            [n as i64],
        )
    }

    /// Why the jobs of `kind` in `status` last failed (empty reasons left out).
    pub fn job_errors(&self, kind: JobKind, status: JobStatus) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT last_error FROM jobs
              WHERE kind = ?1 AND status = ?2 AND last_error IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![kind.as_str(), status.as_str()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The most attempts any unfinished job of these kinds has spent.
    pub fn most_attempts_unfinished(&self, kinds: &[JobKind]) -> Result<u32> {
        let mut most = 0;
        for kind in kinds {
            let n = self.count(
                "SELECT coalesce(max(attempts), 0) FROM jobs WHERE kind = ?1 AND status <> 'done'",
                [kind.as_str()],
            )?;
            most = most.max(n as u32);
        }
        Ok(most)
    }

    /// Cached rendition files the index knows of.
    pub fn renditions(&self) -> Result<u64> {
        self.count("SELECT count(*) FROM renditions", [])
    }

    /// Photos indexed for matching (in any event).
    pub fn indexed_photos(&self) -> Result<u64> {
        self.count("SELECT count(*) FROM photo_matching", [])
    }

    /// Faces of photos with a full on-device signature stored.
    pub fn photo_face_signatures(&self) -> Result<u64> {
        self.count(
            "SELECT count(*) FROM photo_faces WHERE length(embedding) = ?1",
            [SIGNATURE_BYTES],
        )
    }

    /// Signatures stored at all: photo faces' and selfies'.
    pub fn stored_signatures(&self) -> Result<u64> {
        self.count(
            "SELECT (SELECT count(*) FROM photo_faces WHERE embedding IS NOT NULL)
                  + (SELECT count(*) FROM participants WHERE embedding IS NOT NULL)",
            [],
        )
    }

    /// Whether a participant's selfie signature is stored (None: no such participant).
    pub fn selfie_signature_stored(&self, event: &str, participant: &str) -> Result<Option<bool>> {
        Ok(self
            .conn
            .query_row(
                "SELECT embedding IS NOT NULL FROM participants WHERE event_id = ?1 AND id = ?2",
                params![event, participant],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The photos of `event` the server acknowledged, in the order it did, once
    /// per location.
    pub fn sent_photos(&self, event: &str) -> Result<Vec<SentPhoto>> {
        let mut stmt = self.conn.prepare(
            "SELECT l.path, p.sha256, o.created_ms, o.sent_ms FROM outbox o
               JOIN photos p ON p.id = CAST(o.subject AS INTEGER)
               JOIN locations l ON l.photo_id = p.id
              WHERE o.event_id = ?1 AND o.kind = 'photo' AND o.sent_ms IS NOT NULL
              ORDER BY o.sent_ms",
        )?;
        let rows = stmt
            .query_map([event], |r| {
                Ok(SentPhoto {
                    path: from_bytes(r.get(0)?),
                    sha256: r.get(1)?,
                    created_ms: r.get(2)?,
                    sent_ms: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
