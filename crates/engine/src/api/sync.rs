//! Wire types of sync (pushing results to the event server). Same contract rules
//! as the rest of `api`: add fields, never rename or remove them.

use serde::{Deserialize, Serialize};

/// What `findme sync` did: outbox rows pushed by this run, rows still waiting
/// (server unreachable, original offline), rows that failed for good, and the
/// bytes of the web renditions sent.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, export_to = "../../../ui/src/lib/bindings/")
)]
pub struct SyncReport {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pushed: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub pending: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failed: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub bytes: u64,
    /// What the roster pull before the push changed.
    #[serde(default)]
    pub roster: RosterStats,
}

/// Participants a roster pull added, updated or removed, and the ones whose
/// selfie could not be used (with the reason).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, export_to = "../../../ui/src/lib/bindings/")
)]
pub struct RosterStats {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub added: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub removed: u64,
    #[serde(default)]
    pub failed: Vec<RosterFailure>,
}

/// A participant the roster pull could not take in.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, export_to = "../../../ui/src/lib/bindings/")
)]
pub struct RosterFailure {
    pub participant: String,
    pub reason: String,
}

/// Outbox totals over every event, all time (`stats`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(
    feature = "ts",
    derive(ts_rs::TS),
    ts(export, export_to = "../../../ui/src/lib/bindings/")
)]
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
}
