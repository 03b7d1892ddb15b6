//! The engine's wire types: what the CLI prints as JSON and what the desktop shell
//! hands to the UI. Field names are a contract (see README "CLI contract"): add
//! fields, never rename or remove them.

use serde::{Deserialize, Serialize};

mod ftp;
mod gallery;
mod matching;
mod registration;
mod sync;

pub use ftp::*;
pub use gallery::*;
pub use matching::*;
pub use registration::*;
pub use sync::*;

/// One catalogued photo (one content hash), with every place it is stored.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PhotoDto {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub sha256: String,
    /// Every known location of these bytes (card slots, library copy, backup, drops).
    pub paths: Vec<String>,
    /// RFC 3339. Uses the camera's recorded offset; when the camera recorded none,
    /// the computer's time zone at that instant (see docs/decisions.md).
    pub captured_at: Option<String>,
    /// "Make Model", e.g. "Canon EOS 30D".
    pub camera: Option<String>,
    pub camera_serial: Option<String>,
    pub lens: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    /// "jpeg", "png", "heif", "cr2", ...
    pub format: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// "ok" or "failed".
    pub status: String,
    /// Why the photo failed, in words a photographer can act on; null when ok.
    pub error: Option<String>,
    /// Id of the RAW+JPEG group this photo belongs to (the group's lowest photo id).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub group: Option<i64>,
    /// When FindMe first catalogued these bytes (RFC 3339, UTC).
    pub imported_at: String,
    /// Absolute path of the cached ~320 px thumbnail; null while pending or when
    /// impossible (the reason is then in `error`).
    pub thumbnail: Option<String>,
    /// Absolute path of the cached ~2048 px preview; null like `thumbnail`.
    pub preview: Option<String>,
    /// Faces found in the photo for the active event, with who they are.
    pub faces: Vec<PhotoFaceDto>,
    /// The events the photo is a member of.
    #[serde(default)]
    pub events: Vec<String>,
}

/// Keyset cursor for paging photos in capture order: (capture instant in ms, id).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct PhotoCursor {
    pub taken_ms: i64,
    pub id: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PhotoQuery {
    /// Return photos strictly after this cursor (None = from the start).
    pub after: Option<PhotoCursor>,
    /// At most this many photos (capped at 1000; 0 means 200).
    pub limit: u32,
    /// Newest capture first (the gallery's default) instead of oldest first.
    #[serde(default)]
    pub newest_first: bool,
    /// Only this event's members (and their faces in it).
    #[serde(default)]
    pub event: Option<crate::EventId>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhotoPage {
    pub photos: Vec<PhotoDto>,
    /// Cursor for the next page; None when this was the last one.
    pub next: Option<PhotoCursor>,
}

/// A file that could not be imported, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FailureDto {
    pub path: String,
    pub reason: String,
}

/// What one import did. `imported` = new photos, `duplicates` = files whose content
/// was already catalogued, `unchanged` = skipped by the quick (path, size, mtime)
/// re-scan, `failed` = files that could not be catalogued as good photos,
/// `skipped` = files that are not photos FindMe catalogues (videos, sidecars...).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ImportReport {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub scanned: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub imported: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub duplicates: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unchanged: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
    pub failures: Vec<FailureDto>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub skipped: u64,
    /// Present for card imports (`--copy-to`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub card: Option<CardReport>,
    /// The event the photos found joined (null: none).
    #[serde(default)]
    pub event: Option<String>,
    /// Photos that joined it now (the others were members already).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub joined: u64,
    /// SHA-256s of the photos that joined it now (what the app's Undo removes
    /// from the event again); empty without an event.
    #[serde(default)]
    pub joined_photos: Vec<String>,
}

/// The answer to "can I format this card now?".
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CardReport {
    pub destination: String,
    pub backup: Option<String>,
    /// Photos copied in this run and verified by re-reading their hash.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub copied: u64,
    /// Photos already present, byte for byte, at the destination (and backup).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub already_present: u64,
    /// Card files that are not safely copied: failed copies and non-photo files
    /// (videos, sidecars), each with the reason.
    pub not_copied: Vec<FailureDto>,
    pub safe_to_format: bool,
    /// One sentence for the photographer, e.g. "Safe to format: all 412 photos are
    /// copied and verified in the library and the backup."
    pub verdict: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CatalogStats {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub photos: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub locations: u64,
    /// Failed photos plus files that could not be read at all.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
}

/// Job-queue counters, named as the old FindMe server's /api/admin/queue/stats.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct QueueStats {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_enqueued: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_processed: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub running: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub workers_active: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Stats {
    pub catalog: CatalogStats,
    pub queue: QueueStats,
    /// Face-service calls per operation and throttled calls, all time.
    pub rekognition: RekognitionStats,
    /// The sync outbox: pushed, pending and failed changes, all events.
    #[serde(default)]
    pub sync: SyncStats,
    /// Each event's counts, over its members only.
    #[serde(default)]
    pub events: Vec<EventStats>,
    /// Biometric data and selfie files still to be deleted, all events.
    #[serde(default)]
    pub deletions: DeletionStats,
    /// Cameras sending over FTP: photos received, transfers failed, connected.
    #[serde(default)]
    pub ftp: FtpStats,
    /// Shutter to guest per source: arrival → acknowledged by the event server.
    #[serde(default)]
    pub live: LiveStats,
}

/// One event's counts in `findme stats`: over its members only.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventStats {
    pub id: String,
    /// Photos that belong to the event.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub photos: u64,
    /// Of them, indexed (faces found) for the event.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub indexed: u64,
    /// Of them, with at least one participant found.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub matched: u64,
    /// Of them, still waiting for (or in) their match job.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub matching: u64,
    /// Of them, acknowledged by the event server.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pushed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct WatchedFolderDto {
    pub path: String,
    /// Polling instead of OS notifications (network shares, some card readers).
    pub poll: bool,
    /// False while the folder is missing (card removed, share unmounted).
    pub online: bool,
    /// The event its photos join (null: catalogue only).
    #[serde(default)]
    pub event: Option<String>,
}

/// Something the UI should know about. Bursts are coalesced by the receiver.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineNotice {
    /// The catalog gained, changed or lost photos; re-read what is on screen.
    PhotosChanged,
    /// Progress of a running import (drop, folder import, card copy).
    ImportProgress {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        done: u64,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        total: u64,
    },
    /// The set or the state of watched folders changed.
    FoldersChanged,
    /// A job queue's counters changed (thumbnails made, matches found...).
    QueueChanged,
    /// The FTP receiver started or stopped, or a camera connected, sent or failed.
    CamerasChanged,
}
