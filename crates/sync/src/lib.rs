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
pub mod roster;

use std::sync::Arc;

use findme_catalog::{Catalog, JobKind};
use findme_jobs::{Observer, PoolConfig, WorkerPool};

pub use findme_protocol::{ClientError, EventClient, Token};
pub use push::PushJobs;
pub use roster::{RosterPoller, RosterReport, ROSTER_EVERY};

/// Pushes running at once: enough to hide request latency on a venue uplink,
/// few enough that 2048 px renders do not starve ingest and matching.
pub const PUSH_WORKERS: usize = 4;

/// Long edge of the web rendition sent to the server (px).
pub const WEB_LONG_EDGE: u32 = 2048;
/// JPEG quality of the web rendition.
pub const WEB_QUALITY: u8 = 85;

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

/// Start [`PUSH_WORKERS`] workers pushing `event`'s outbox rows with `client`.
/// Leases are taken as `owner`; `observer` is called after every settled job.
pub fn start(
    catalog: Catalog,
    client: EventClient,
    event: &str,
    owner: String,
    observer: Option<Observer>,
) -> WorkerPool {
    let handler = Arc::new(PushJobs::new(catalog.clone(), client, event));
    let config = PoolConfig {
        workers: PUSH_WORKERS,
        // Uploads on a slow uplink can take a while; heartbeats keep the lease.
        ..PoolConfig::default()
    };
    WorkerPool::start_observed(catalog, JobKind::Push, owner, handler, config, observer)
}
