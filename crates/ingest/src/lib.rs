//! Getting photos into the catalog without losing or doubling any.
//!
//! - [`Ingestor`] turns one file into a catalog record: stat, quick re-scan check,
//!   streaming hash + metadata ([`findme_media`]), then one catalog write.
//! - [`import`] walks files and folders (drag-and-drop, `findme import`).
//! - [`FolderWatcher`] follows watched folders: OS notifications (or polling), a
//!   stability window so half-copied files never enter, and a periodic
//!   reconciliation scan for whatever notifications missed.
//! - [`card`] copies a card into the library with verified copies and says when
//!   the card is safe to format.

pub mod card;
mod facts;
#[cfg(test)]
mod hooks;
mod import;
mod ingestor;
mod scan;
#[cfg(test)]
mod testutil;
mod watch;

pub use card::{import_card, CardOptions, CardSummary};
pub use import::{import, ImportSummary};
pub use ingestor::{FileOutcome, Ingestor, InspectResult, Inspected};
pub use scan::{mtime_ns, ScanEntry};
pub use watch::{FolderStatus, FolderWatcher, WatchConfig};

/// What ingest tells the rest of the app while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestEvent {
    /// The catalog changed (a photo was added, failed, gained or lost a location).
    CatalogChanged,
    /// Progress of an import: files finished out of files found so far.
    Progress { done: u64, total: u64 },
    /// A watched folder went offline or came back.
    FolderStatusChanged,
}

/// Where ingest sends its events; the engine fans them out to the UI.
pub type EventSink = tokio::sync::mpsc::UnboundedSender<IngestEvent>;
