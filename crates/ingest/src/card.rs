//! Card import: copy photos from a card (or any folder) into the library, verify
//! every copy by re-reading it from disk, catalogue the copies, and tell the
//! photographer whether the card is safe to format. The source is only ever read.
//!
//! Each file is copied to a hidden staging file on the destination volume while
//! its bytes are hashed, synced, dropped from the page cache and read back; only a
//! copy whose hash matches the card's is renamed into place. A half-written copy
//! therefore never carries a real photo name, and a full disk or pulled card
//! leaves nothing behind but a failure with its reason.

mod copy;
mod layout;

use std::path::{Path, PathBuf};

use findme_catalog::{Arrival, ArrivalSource, CatalogError};
use findme_media::Format;

use crate::import::ImportSummary;
use crate::ingestor::{Ingestor, InspectResult, Inspected};
use crate::scan::{mtime_ns, walk, ScanEntry};
use crate::IngestEvent;

pub use layout::DEFAULT_LAYOUT;

/// Where and how a card is copied.
#[derive(Debug, Clone)]
pub struct CardOptions {
    pub destination: PathBuf,
    pub backup: Option<PathBuf>,
    /// Relative path of each copy: `{date}` (YYYY-MM-DD of capture), `{year}`,
    /// `{month}`, `{day}`, `{camera}`, `{name}` (original file name), `{stem}`,
    /// `{ext}`. Default `{date}/{name}`.
    pub layout: String,
    /// The event the card's photos join (their verified library copies).
    pub event: Option<String>,
}

/// The outcome of a card import.
#[derive(Debug, Clone, Default)]
pub struct CardSummary {
    /// What happened to the library copies in the catalog.
    pub import: ImportSummary,
    /// Photos copied in this run and verified.
    pub copied: u64,
    /// Photos already present byte for byte at the destination (and backup).
    pub already_present: u64,
    /// Card files not safely copied, with the reason.
    pub not_copied: Vec<(PathBuf, String)>,
    pub safe_to_format: bool,
    pub verdict: String,
}

/// Copy, verify and catalogue every photo under `sources`.
pub async fn import_card(
    ingestor: &Ingestor,
    sources: &[PathBuf],
    options: &CardOptions,
) -> Result<CardSummary, CatalogError> {
    let mut summary = CardSummary::default();
    if let Err(reason) = layout::validate(&options.layout) {
        summary.verdict = format!("Nothing copied: {reason}");
        return Ok(summary);
    }
    for source in sources {
        let entries = list_card(source.clone()).await;
        let total = entries
            .iter()
            .filter(|e| matches!(e, ScanEntry::File { .. }))
            .count() as u64;
        let mut done = 0;
        let mut card_gone = false;
        for entry in entries {
            summary.import.scanned += 1;
            let (path, format) = match entry {
                ScanEntry::File { path, format, .. } => (path, format),
                ScanEntry::Skipped { path, reason } => {
                    summary.import.skipped += 1;
                    summary.import.skips.push((path.clone(), reason.clone()));
                    let reason = format!("{reason}; copy it separately");
                    summary.not_copied.push((path, reason));
                    continue;
                }
                ScanEntry::Error { path, reason } => {
                    summary.import.fail(path.clone(), reason.clone());
                    summary.not_copied.push((path, reason));
                    continue;
                }
            };
            if card_gone {
                let reason = "the card was removed before this file was copied".to_string();
                summary.not_copied.push((path, reason));
                continue;
            }
            match copy_one(ingestor, &path, format, options).await? {
                Ok(placed) => {
                    if placed.fresh {
                        summary.copied += 1;
                    } else {
                        summary.already_present += 1;
                    }
                    let outcome = ingestor
                        .record_into(
                            placed.library,
                            options.event.clone(),
                            Arrival::now(ArrivalSource::Card),
                        )
                        .await?;
                    summary.import.count(placed.library_path, outcome);
                    if let Some(backup) = placed.backup {
                        ingestor
                            .record(backup, Arrival::now(ArrivalSource::Card))
                            .await?;
                    }
                }
                Err(reason) => {
                    if !source.exists() {
                        card_gone = true;
                        tracing::warn!(card = %source.display(), "card removed during import");
                    }
                    summary.import.fail(path.clone(), reason.clone());
                    summary.not_copied.push((path, reason));
                }
            }
            done += 1;
            ingestor.emit(IngestEvent::Progress { done, total });
        }
    }
    for dest in std::iter::once(&options.destination).chain(options.backup.iter()) {
        // Only removes the staging folder if nothing is left in it.
        let _ = std::fs::remove_dir(copy::staging_dir(dest));
    }
    summary.safe_to_format =
        summary.not_copied.is_empty() && summary.copied + summary.already_present > 0;
    summary.verdict = verdict(&summary, options);
    Ok(summary)
}

fn verdict(s: &CardSummary, options: &CardOptions) -> String {
    let photos = s.copied + s.already_present;
    let places = if options.backup.is_some() {
        "in the library and the backup"
    } else {
        "in the library"
    };
    if s.safe_to_format {
        format!("Safe to format: all {photos} photos are copied and verified {places}.")
    } else if let Some((path, reason)) = s.not_copied.first() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        format!(
            "Do not format this card: {} file(s) are not safely copied (first: {name}: {reason}).",
            s.not_copied.len()
        )
    } else {
        "Do not format this card: no photos were found on it.".to_string()
    }
}

async fn list_card(source: PathBuf) -> Vec<ScanEntry> {
    tokio::task::spawn_blocking(move || {
        let mut entries = Vec::new();
        walk(&source, |e| {
            entries.push(e);
            true
        });
        entries
    })
    .await
    .unwrap_or_default()
}

/// A verified copy placed under its final name (and its backup).
struct Placed {
    library_path: PathBuf,
    library: Inspected,
    backup: Option<Inspected>,
    /// False when an identical file was already there.
    fresh: bool,
}

/// Copy one card file to the destination (and backup). The outer error is the
/// catalog's; the inner one is this file's readable failure.
async fn copy_one(
    _ingestor: &Ingestor,
    source: &Path,
    format: Format,
    options: &CardOptions,
) -> Result<Result<Placed, String>, CatalogError> {
    let source = source.to_path_buf();
    let options = options.clone();
    let result = tokio::task::spawn_blocking(move || copy_blocking(&source, format, &options))
        .await
        .unwrap_or_else(|e| Err(format!("internal error while copying: {e}")));
    Ok(result)
}

fn copy_blocking(source: &Path, format: Format, options: &CardOptions) -> Result<Placed, String> {
    let staged = copy::stage(source, &options.destination, format, None)?;
    let relative = layout::relative_path(
        &options.layout,
        source,
        &staged.inspection,
        staged.source_mtime_ns,
    );
    let (library_path, fresh) = copy::place(
        staged.temp,
        &options.destination.join(&relative),
        &staged.inspection.sha256,
    )?;
    let library = inspected(&library_path, staged.inspection.clone())?;
    let mut backup = None;
    let mut fresh = fresh;
    if let Some(backup_root) = &options.backup {
        // The library copy is verified and on a fast disk: read it, not the card.
        let staged_backup = copy::stage(
            &library_path,
            backup_root,
            format,
            Some(&staged.inspection.sha256),
        )?;
        let (backup_path, backup_fresh) = copy::place(
            staged_backup.temp,
            &backup_root.join(&relative),
            &staged.inspection.sha256,
        )?;
        fresh |= backup_fresh;
        backup = Some(inspected(&backup_path, staged_backup.inspection)?);
    }
    Ok(Placed {
        library_path,
        library,
        backup,
        fresh,
    })
}

fn inspected(path: &Path, inspection: findme_media::Inspection) -> Result<Inspected, String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("the copy vanished after it was written: {e}"))?;
    Ok(Inspected {
        path: path.to_path_buf(),
        size: meta.len(),
        mtime_ns: mtime_ns(&meta),
        result: InspectResult::Photo(inspection),
    })
}

#[cfg(test)]
#[path = "card_tests.rs"]
mod tests;
