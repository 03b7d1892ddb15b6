//! Importing files and folders in place: drag-and-drop and `findme import`.

use std::collections::HashMap;
use std::path::PathBuf;

use findme_catalog::{Arrival, ArrivalSource, CatalogError, LocationState};
use futures::StreamExt;

use crate::ingestor::{FileOutcome, Ingestor};
use crate::scan::{walk, ScanEntry};
use crate::IngestEvent;

/// What an import did (see the CLI contract for the meaning of each count).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub scanned: u64,
    pub imported: u64,
    pub duplicates: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Files that could not be catalogued as good photos, with the reason.
    pub failures: Vec<(PathBuf, String)>,
    /// Files that are not photos FindMe catalogues, with the reason.
    pub skips: Vec<(PathBuf, String)>,
}

impl ImportSummary {
    pub(crate) fn count(&mut self, path: PathBuf, outcome: FileOutcome) {
        match outcome {
            FileOutcome::Imported => self.imported += 1,
            FileOutcome::Duplicate => self.duplicates += 1,
            FileOutcome::Failed(reason) => self.fail(path, reason),
            FileOutcome::Vanished => {
                self.fail(path, "the file disappeared before it could be read".into())
            }
            FileOutcome::Changing => self.fail(
                path,
                "the file changed while it was being read (still being copied?); import it again when the copy has finished".into(),
            ),
        }
    }

    pub(crate) fn fail(&mut self, path: PathBuf, reason: String) {
        self.failed += 1;
        self.failures.push((path, reason));
    }
}

/// Files found by the walk that need reading, after the quick re-scan check.
const WALK_QUEUE: usize = 512;

/// Import every photo under `roots` (files or folders, recursively) in place;
/// each one read joins `event` as it is recorded. Files whose (path, size, mtime)
/// match the catalog are skipped without reading (the caller joins those).
pub async fn import(
    ingestor: &Ingestor,
    roots: &[PathBuf],
    event: Option<String>,
) -> Result<ImportSummary, CatalogError> {
    let mut known: HashMap<PathBuf, LocationState> = HashMap::new();
    for root in roots {
        let root = root.clone();
        let found = ingestor
            .catalog()
            .read(move |r| {
                let mut map = r.locations_under(&root)?;
                if let Some(own) = r.location(&root)? {
                    map.insert(root.clone(), own);
                }
                Ok(map)
            })
            .await?;
        known.extend(found);
    }

    let (tx, rx) = tokio::sync::mpsc::channel::<ScanEntry>(WALK_QUEUE);
    let walk_roots = roots.to_vec();
    let walker = tokio::task::spawn_blocking(move || {
        for root in &walk_roots {
            let mut open = true;
            walk(root, |entry| {
                open = tx.blocking_send(entry).is_ok();
                open
            });
            if !open {
                break;
            }
        }
    });

    let mut summary = ImportSummary::default();
    let mut to_read = Vec::new();
    let mut rx = rx;
    while let Some(entry) = rx.recv().await {
        summary.scanned += 1;
        match entry {
            ScanEntry::Skipped { path, reason } => {
                summary.skipped += 1;
                summary.skips.push((path, reason));
            }
            ScanEntry::Error { path, reason } => summary.fail(path, reason),
            ScanEntry::File {
                path,
                size,
                mtime_ns,
                format,
            } => {
                if is_unchanged(known.get(&path), size, mtime_ns) {
                    summary.unchanged += 1;
                } else {
                    to_read.push((path, format));
                }
            }
        }
    }
    let _ = walker.await;

    let total = to_read.len() as u64;
    let mut done = 0u64;
    ingestor.emit(IngestEvent::Progress { done, total });
    let mut results = futures::stream::iter(to_read)
        .map(|(path, format)| {
            let (ingestor, event) = (ingestor.clone(), event.clone());
            async move {
                let arrival = Arrival::now(ArrivalSource::Import);
                let outcome = ingestor.ingest(path.clone(), format, event, arrival).await;
                (path, outcome)
            }
        })
        .buffer_unordered(ingest_concurrency());
    while let Some((path, outcome)) = results.next().await {
        summary.count(path, outcome?);
        done += 1;
        ingestor.emit(IngestEvent::Progress { done, total });
    }
    Ok(summary)
}

/// Enough files in flight to keep every read slot and the writer busy.
fn ingest_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

pub(crate) fn is_unchanged(known: Option<&LocationState>, size: u64, mtime_ns: i64) -> bool {
    matches!(known, Some(k) if k.readable && k.size == size && k.mtime_ns == mtime_ns)
}
