//! Sync: drains the catalog's outbox to the event server, one `push` job per
//! outbox row, through [`findme_protocol::EventClient`], and pulls the event's
//! roster (participants registered on the server) into the catalog.
//!
//! Offline is normal at a venue, so an unreachable server never costs a job an
//! attempt: the job is deferred ([`findme_jobs::JobError::Defer`]) with a growing,
//! jittered delay shared by all workers of the pool, and only one request per
//! delay probes the server. A refused token pauses the pool (nothing can work
//! until the photographer acts); a request the server rejects fails that item
//! alone, with the server's reason.

mod backoff;
mod push;
mod reconcile;
pub mod roster;

use std::sync::Arc;

use findme_catalog::{Catalog, JobKind};
use findme_jobs::{Observer, PoolConfig, WorkerPool};

pub use findme_protocol::{
    CardSize, ClientError, EventClient, Matcher, Registration, RegistrationUpdate, Token,
};
pub use push::PushJobs;
pub use reconcile::{reconcile, ReconcileReport};
pub use roster::{RosterPoller, RosterReport, ROSTER_EVERY};

/// Pushes running at once: enough to hide request latency on a venue uplink,
/// few enough that 2048 px renders do not starve ingest and matching.
pub const PUSH_WORKERS: usize = 4;

/// Default long edge of the web rendition sent to the server (px).
pub const WEB_LONG_EDGE: u32 = 2048;
/// Default JPEG quality of the web rendition.
pub const WEB_QUALITY: u8 = 85;

/// Long edge of the grid rendition (px): what a phone needs to fill a grid of
/// photos, so guests never download the web rendition just to scroll.
pub const GRID_LONG_EDGE: u32 = 480;
/// JPEG quality of the grid rendition.
pub const GRID_QUALITY: u8 = 80;

/// The web rendition guests get: a trade between upload time on a venue uplink
/// and what a guest sees on a phone or downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebRendition {
    pub long_edge: u32,
    pub quality: u8,
}

impl Default for WebRendition {
    fn default() -> Self {
        WebRendition {
            long_edge: WEB_LONG_EDGE,
            quality: WEB_QUALITY,
        }
    }
}

impl WebRendition {
    /// Within what makes sense for guests (512-4096 px, quality 50-95).
    pub fn clamped(long_edge: u32, quality: u8) -> WebRendition {
        WebRendition {
            long_edge: long_edge.clamp(512, 4096),
            quality: quality.clamp(50, 95),
        }
    }

    /// `FINDME_WEB_LONG_EDGE` and `FINDME_WEB_QUALITY` from `get` over the
    /// defaults (the binaries pass the environment: `EngineConfig::from_env`).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> WebRendition {
        let var = |key: &str| get(key).and_then(|v| v.trim().parse::<u32>().ok());
        let default = WebRendition::default();
        WebRendition::clamped(
            var("FINDME_WEB_LONG_EDGE").unwrap_or(default.long_edge),
            var("FINDME_WEB_QUALITY").map_or(default.quality, |q| q.min(100) as u8),
        )
    }
}

/// Why a push did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Server(#[from] ClientError),
    /// No location of the original can be read now (card pulled, drive offline).
    #[error("the original is not reachable: {0}")]
    SourceMissing(String),
    /// The original cannot be made into a web picture (damaged, no preview).
    #[error("no web picture can be made: {0}")]
    Unusable(String),
    #[error("catalog: {0}")]
    Catalog(#[from] findme_catalog::CatalogError),
    #[error("{0}")]
    Internal(String),
}

/// Start [`PUSH_WORKERS`] workers pushing `event`'s outbox rows with `client`,
/// photos as `web` renditions. Leases are taken as `owner`; `observer` is
/// called after every settled job.
pub fn start(
    catalog: Catalog,
    client: EventClient,
    event: &str,
    web: WebRendition,
    owner: String,
    observer: Option<Observer>,
) -> WorkerPool {
    let handler = Arc::new(PushJobs::new(catalog.clone(), client, event, web));
    let config = PoolConfig {
        workers: PUSH_WORKERS,
        // Uploads on a slow uplink can take a while; heartbeats keep the lease.
        ..PoolConfig::default()
    };
    WorkerPool::start_observed(catalog, JobKind::Push, owner, handler, config, observer)
}
