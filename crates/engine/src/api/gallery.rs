//! Wire types of the gallery: tiles, the change feed, the detail view and the
//! activity panel. Same contract rules as the rest of `api`: add, never rename.

use serde::{Deserialize, Serialize};

use super::{PhotoDto, QueueStats};

/// Gallery order.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Capture time (file time when the photo has no EXIF time).
    #[default]
    Captured,
    /// When FindMe first catalogued the photo.
    Imported,
}

/// Which photos the gallery shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TileFilter {
    #[default]
    All,
    /// The photo or one of its stages failed.
    Failed,
    /// Not matched yet.
    Unmatched,
    /// Not pushed to the event server yet.
    NotPushed,
    /// Photos this participant was found in.
    Participant { id: String },
}

/// Keyset cursor: (sort key in ms, photo id) of the last tile of a page.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TileCursor {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub key: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TileQuery {
    pub after: Option<TileCursor>,
    /// Page size (capped at 2000; 0 means 500).
    pub limit: u32,
    pub sort: SortOrder,
    pub newest_first: bool,
    pub filter: TileFilter,
}

/// Where a photo's thumbnail stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ThumbState {
    /// Not made yet (asking for its URL makes it now).
    Pending,
    /// In the cache (or can be rebuilt on request).
    Ready,
    /// No picture can be made (e.g. HEIC): `preview_error` says why.
    None,
    /// The photo itself failed: `error` says why.
    Failed,
}

/// Where a later stage (matching, push) stands for a photo; null = not queued.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum StageState {
    Pending,
    Running,
    Done,
    Failed,
}

/// One grid tile: small, so 20,000 of them cost little to hold and to send.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TileDto {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub sha256: String,
    /// Capture instant (ms since the epoch; file time when unknown).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub taken_ms: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub imported_ms: i64,
    /// Displayed size (EXIF orientation applied), when known.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// File name of the first location, for hover text.
    pub name: String,
    /// "ok" or "failed".
    pub status: String,
    pub error: Option<String>,
    pub thumb: ThumbState,
    pub preview_error: Option<String>,
    pub matching: Option<StageState>,
    /// Display names of the participants found in the photo.
    pub people: Vec<String>,
    pub push: Option<StageState>,
    /// The catalog change that last touched this tile.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub change_seq: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TilePage {
    pub tiles: Vec<TileDto>,
    /// Cursor of the next page; null on the last page.
    pub next: Option<TileCursor>,
    /// Photos matching the filter in all (sizes the scroll area). Counted on a
    /// view's first page only (`after` = null), null on the pages after it:
    /// counting a filtered 100,000-photo set costs more than a page, and the
    /// change feed keeps the first count up to date.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub total: Option<u64>,
    /// Change sequence at the time of this page: ask `tile_changes` from here.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: i64,
}

/// What changed since a sequence number.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TileChanges {
    /// New or changed tiles (whatever the filter: the UI re-applies its own).
    pub changed: Vec<TileDto>,
    /// Ids of photos removed from the catalog.
    #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
    pub removed: Vec<i64>,
    /// Ask from here next time.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: i64,
    /// More changes are waiting (ask again at once).
    pub more: bool,
}

/// A face box in the displayed (upright) photo, as fractions of its size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FaceBoxDto {
    pub left: f32,
    pub top: f32,
    pub width: f32,
    pub height: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FaceDto {
    #[serde(rename = "box")]
    pub face_box: FaceBoxDto,
    /// Matched participant id, or null for an unknown face.
    pub participant: Option<String>,
    pub name: Option<String>,
    pub confidence: f32,
}

/// Everything the detail view shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PhotoDetailDto {
    pub photo: PhotoDto,
    pub tile: TileDto,
    /// Faces found (empty until matching has run).
    pub faces: Vec<FaceDto>,
}

/// One job kind's queue, for the activity panel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct QueueActivity {
    /// "thumbnail", "match", "push", "index-participant".
    pub kind: String,
    pub stats: QueueStats,
    /// Workers this process runs for the kind (0: not running here).
    pub workers: u32,
    /// Why the queue is paused, if it is.
    pub paused: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CacheStats {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub files: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub limit_bytes: u64,
    /// Thumbnail requests served from the cache / made on demand, since start.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub hits: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub misses: u64,
    /// Decodes that made a photo's renditions, on demand and in the background,
    /// since start (single-flight: one per photo however many ask at once).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub renders: u64,
}

/// The activity panel: every queue and the thumbnail cache, from real counters.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ActivityDto {
    pub queues: Vec<QueueActivity>,
    pub cache: CacheStats,
    /// Face-service calls per operation and throttled calls (absent before any).
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rekognition: Option<super::RekognitionStats>,
    /// The face matcher this process runs: "local" (on this computer),
    /// "rekognition", or null (matching off).
    pub matcher: Option<String>,
    /// Push totals, bytes per photo and import-to-guest-visible latency.
    #[serde(default)]
    pub sync: super::SyncStats,
    /// Biometric data and selfie files still to be deleted.
    #[serde(default)]
    pub deletions: super::DeletionStats,
    /// Shutter to guest per source (arrival to acknowledged) and the latest.
    #[serde(default)]
    pub live: super::LiveStats,
    /// The cameras' totals (FTP receiver).
    #[serde(default)]
    pub ftp: super::FtpStats,
}
