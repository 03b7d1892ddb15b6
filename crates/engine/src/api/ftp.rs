//! Wire types of the FTP receiver (cameras sending photos as they are shot).
//! Same contract rules as the rest of `api`: add fields, never rename or
//! remove them. `findme ftp …` and `findme stats --json` print these.

use serde::{Deserialize, Serialize};

/// A camera account just made: what the photographer types into the camera.
/// `findme ftp accounts add NAME --json` prints exactly this.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct NewCameraAccount {
    pub user: String,
    pub password: String,
}

/// One camera account and what the camera did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CameraAccountDto {
    pub user: String,
    pub password: String,
    /// The camera has an FTP session open now.
    pub connected: bool,
    /// Photos received (all time).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received: u64,
    /// Transfers refused or failed (all time).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
    /// The last file received and when (Unix ms).
    pub last_file: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_ms: Option<i64>,
    /// The last failure ("IMG_0001.JPG: the disk is full") and when.
    pub last_error: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_error_ms: Option<i64>,
}

/// The receiver's saved settings (the app's FTP panel).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FtpSettingsDto {
    /// Run the receiver while the app runs (off by default).
    pub enabled: bool,
    pub port: u16,
    /// Passive data ports, first and last.
    pub passive_first: u16,
    pub passive_last: u16,
    /// Offer explicit FTPS (AUTH TLS) with a generated self-signed certificate.
    pub ftps: bool,
    /// The library folder photos land in; null: the default (the card import's
    /// library, else the data folder's `live`).
    pub dir: Option<String>,
    /// The event received photos join; null: the active event when it starts.
    pub event: Option<String>,
}

/// The receiver now: whether it runs, where cameras reach it, the accounts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FtpStatusDto {
    pub settings: FtpSettingsDto,
    pub running: bool,
    /// Why it is not running although enabled ("port 2121 is in use …").
    pub error: Option<String>,
    /// The port cameras connect to, while running.
    pub port: Option<u16>,
    /// This computer's addresses on the local network, for the setup sheet.
    pub addresses: Vec<String>,
    /// The folder photos land in (`<dir>/<date>/<account>/`).
    pub dir: String,
    /// The event received photos join now.
    pub event: Option<String>,
    pub accounts: Vec<CameraAccountDto>,
}

/// The receiver's totals in `findme stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FtpStats {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
    /// Cameras with a session open now.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub connected: u64,
}

/// Arrival-to-acknowledged for one source, over its recent first pushes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SourceLatency {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub photos: u64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub latency_p50_ms: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub latency_p95_ms: Option<u64>,
}

/// The latest photo a guest could see, and how long after it arrived.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LastLive {
    /// "ftp", "watch", "card" or "import".
    pub source: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub latency_ms: u64,
    /// When the event server acknowledged it (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub acknowledged_ms: i64,
}

/// Shutter to guest: from a photo's arrival on this laptop (FTP transfer
/// complete, file stable in a watched folder, copied from a card, imported)
/// to the event server acknowledging it with its matches, per source.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LiveStats {
    pub ftp: SourceLatency,
    pub watch: SourceLatency,
    pub card: SourceLatency,
    pub import: SourceLatency,
    pub last: Option<LastLive>,
}
