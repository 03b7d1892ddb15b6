//! One file into the catalog: inspect (hash + metadata, bounded parallelism), then
//! record (one catalog write). The two halves are separate so the watcher can hold
//! a truncated file back instead of recording it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use findme_catalog::{Arrival, Catalog, CatalogError, FileContent, FileRecord, RecordOutcome};
use findme_media::{inspect_file, Completeness, Format, Inspection, MediaError};
use tokio::sync::Semaphore;

use crate::facts::photo_facts;
use crate::scan::mtime_ns;
use crate::{EventSink, IngestEvent};

/// Result of reading one file, before anything is written.
#[derive(Debug, Clone)]
pub struct Inspected {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    pub result: InspectResult,
}

#[derive(Debug, Clone)]
pub enum InspectResult {
    Photo(Inspection),
    /// Nothing could be hashed; the reason is for the photographer.
    Unreadable(String),
    /// The file was deleted before or while it was read.
    Vanished,
    /// The file changed while it was being read: it is still being written.
    Changing,
}

impl Inspected {
    /// True when the bytes end early (the file may still be arriving).
    pub fn is_truncated(&self) -> bool {
        matches!(&self.result, InspectResult::Photo(i) if matches!(i.completeness, Completeness::Truncated(_)))
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    Imported,
    Duplicate,
    Failed(String),
    /// Gone before it could be read; nothing recorded.
    Vanished,
    /// Still being written; nothing recorded (the watcher retries it).
    Changing,
}

/// Shared by every ingest source. Cheap to clone.
#[derive(Clone)]
pub struct Ingestor {
    catalog: Catalog,
    read_slots: Arc<Semaphore>,
    events: Option<EventSink>,
}

impl Ingestor {
    /// `parallel_reads` files are hashed at once (one per core is right for local
    /// disks; card readers are sequential devices and gain nothing from more).
    pub fn new(catalog: Catalog, parallel_reads: usize, events: Option<EventSink>) -> Ingestor {
        Ingestor {
            catalog,
            read_slots: Arc::new(Semaphore::new(parallel_reads.max(1))),
            events,
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub(crate) fn emit(&self, event: IngestEvent) {
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }

    /// Hash and inspect `path` on a blocking thread.
    pub async fn inspect(&self, path: PathBuf, format: Format) -> Inspected {
        let Ok(_slot) = self.read_slots.acquire().await else {
            return unreadable(path, "ingest is shutting down");
        };
        let fallback = path.clone();
        tokio::task::spawn_blocking(move || inspect_blocking(path, format))
            .await
            .unwrap_or_else(|e| unreadable(fallback, &format!("internal error while reading: {e}")))
    }

    /// Write what [`Ingestor::inspect`] found into the catalog; a new photo
    /// keeps `arrival` (its source and time).
    pub async fn record(
        &self,
        inspected: Inspected,
        arrival: Arrival,
    ) -> Result<FileOutcome, CatalogError> {
        self.record_into(inspected, None, arrival).await
    }

    /// [`Ingestor::record`], and the photo joins `event` in the same transaction.
    pub async fn record_into(
        &self,
        inspected: Inspected,
        event: Option<String>,
        arrival: Arrival,
    ) -> Result<FileOutcome, CatalogError> {
        let content = match inspected.result {
            InspectResult::Vanished => {
                let path = inspected.path;
                self.catalog
                    .write(move |w| w.remove_location(&path))
                    .await?;
                return Ok(FileOutcome::Vanished);
            }
            InspectResult::Changing => return Ok(FileOutcome::Changing),
            InspectResult::Unreadable(reason) => FileContent::Unreadable { reason },
            InspectResult::Photo(inspection) => {
                let mtime_ms = inspected.mtime_ns / 1_000_000;
                FileContent::Photo(Box::new(photo_facts(&inspection, mtime_ms)))
            }
        };
        let record = FileRecord {
            path: inspected.path,
            size: inspected.size,
            mtime_ns: inspected.mtime_ns,
            content,
        };
        let path = record.path.clone();
        let outcome = self
            .catalog
            .write(move |w| w.record_file_into(&record, event.as_deref(), arrival))
            .await?;
        match &outcome {
            RecordOutcome::Imported { photo_id } => {
                tracing::info!(path = %path.display(), photo_id, "imported")
            }
            RecordOutcome::Duplicate { photo_id } => {
                tracing::debug!(path = %path.display(), photo_id, "duplicate")
            }
            RecordOutcome::Failed { reason, .. } => {
                tracing::warn!(path = %path.display(), %reason, "failed")
            }
        }
        self.emit(IngestEvent::CatalogChanged);
        Ok(match outcome {
            RecordOutcome::Imported { .. } => FileOutcome::Imported,
            RecordOutcome::Duplicate { .. } => FileOutcome::Duplicate,
            RecordOutcome::Failed { reason, .. } => FileOutcome::Failed(reason),
        })
    }

    /// Inspect and record in one go (imports; the watcher uses the halves); the
    /// photo joins `event`.
    pub async fn ingest(
        &self,
        path: PathBuf,
        format: Format,
        event: Option<String>,
        arrival: Arrival,
    ) -> Result<FileOutcome, CatalogError> {
        let inspected = self.inspect(path, format).await;
        self.record_into(inspected, event, arrival).await
    }
}

fn unreadable(path: PathBuf, reason: &str) -> Inspected {
    Inspected {
        path,
        size: 0,
        mtime_ns: 0,
        result: InspectResult::Unreadable(reason.to_string()),
    }
}

fn stat(path: &Path) -> std::io::Result<(u64, i64)> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.len(), mtime_ns(&meta)))
}

/// Stat, hash, stat again: if size or mtime moved while we read, the bytes we
/// hashed may be a mix of old and new, so nothing is recorded.
fn inspect_blocking(path: PathBuf, format: Format) -> Inspected {
    let (size, mtime_ns) = match stat(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Inspected {
                path,
                size: 0,
                mtime_ns: 0,
                result: InspectResult::Vanished,
            }
        }
        Err(e) => return unreadable(path, &format!("cannot read file information: {e}")),
    };
    let result = match inspect_file(&path, format) {
        Ok(inspection) => {
            #[cfg(test)]
            crate::hooks::run(crate::hooks::Point::Hashed, &path);
            match stat(&path) {
                Ok(after) if after == (size, mtime_ns) && inspection.size == size => {
                    InspectResult::Photo(inspection)
                }
                Ok(_) => InspectResult::Changing,
                Err(_) => InspectResult::Vanished,
            }
        }
        Err(MediaError::Vanished) => InspectResult::Vanished,
        Err(e) => InspectResult::Unreadable(e.to_string()),
    };
    Inspected {
        path,
        size,
        mtime_ns,
        result,
    }
}

#[cfg(test)]
#[path = "ingestor_tests.rs"]
mod tests;
