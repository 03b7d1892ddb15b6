//! Wire types of sync (pushing results to the event server). Same contract rules
//! as the rest of `api`: add fields, never rename or remove them.

use serde::{Deserialize, Serialize};

/// What `findme sync` did: outbox rows pushed by this run, rows still waiting
/// (server unreachable, original offline), rows that failed for good, and the
/// bytes of the web renditions sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SyncReport {
    pub pushed: u64,
    pub pending: u64,
    pub failed: u64,
    pub bytes: u64,
    /// What the roster pull before the push changed.
    #[serde(default)]
    pub roster: RosterStats,
}

/// Participants a roster pull added, updated or removed, and the ones whose
/// selfie could not be used (with the reason).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RosterStats {
    pub added: u64,
    pub updated: u64,
    pub removed: u64,
    #[serde(default)]
    pub failed: Vec<RosterFailure>,
}

/// A participant the roster pull could not take in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RosterFailure {
    pub participant: String,
    pub reason: String,
}

/// Outbox totals over every event, all time (`stats`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SyncStats {
    /// Changes the server has not acknowledged yet.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: u64,
    /// Changes the server acknowledged.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pushed: u64,
    /// Changes whose push failed for good (see the push jobs' reasons).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
    /// Mean web rendition bytes per photo push (absent before the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
    pub bytes_per_photo: Option<u64>,
    /// Import-to-guest-visible time of the last photos pushed (up to 1,000):
    /// median and 95th percentile in ms (absent before the first push).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
    pub latency_p50_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional, type = "number"))]
    pub latency_p95_ms: Option<u64>,
}

/// The event server set up for background sync, as the settings screen shows
/// it. The token itself never leaves the engine: only whether one is stored.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SyncSettingsDto {
    pub server_url: Option<String>,
    pub event: Option<String>,
    /// A token for this server and event is stored (or set in FINDME_TOKEN).
    pub has_token: bool,
    /// "settings" (saved in the app), "environment" (FINDME_SERVER_URL, ...;
    /// overrides the saved settings) or "none".
    pub source: String,
    /// The background push and roster pull run.
    pub running: bool,
    /// Where the token is kept ("the system keyring", ...).
    pub keyring: String,
    /// The photographer allowed a plain `http://` server that is not this
    /// computer (tokens and photos then cross the network in clear).
    #[serde(default)]
    pub allow_plain_http: bool,
}

/// What the settings screen sends; `token` None keeps the stored one. Debug
/// output redacts the token.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SyncSettingsInput {
    pub server_url: String,
    pub event: String,
    #[serde(default)]
    pub token: Option<String>,
    /// Accept a plain `http://` server that is not this computer. Without it
    /// such a URL is refused: tokens and photos would cross the venue's
    /// network in clear.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub allow_plain_http: Option<bool>,
}

impl std::fmt::Debug for SyncSettingsInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncSettingsInput")
            .field("server_url", &self.server_url)
            .field("event", &self.event)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("allow_plain_http", &self.allow_plain_http)
            .finish()
    }
}

/// The answer of the "test connection" button.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConnectionTestDto {
    pub ok: bool,
    /// For the photographer: "Connected: Wedding (wedding-2026)" or why not.
    pub message: String,
    pub event_name: Option<String>,
}
