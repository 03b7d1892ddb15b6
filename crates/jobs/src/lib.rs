//! Bounded worker pools over the catalog's persisted job queue.
//!
//! A [`WorkerPool`] runs `workers` tasks for one [`JobKind`]. Each claims a job
//! with a lease, keeps the lease alive with heartbeats while its handler runs, and
//! then completes it, schedules a retry (exponential backoff with jitter), or
//! quarantines it after its last attempt. A crashed process simply stops
//! heartbeating: its leases expire and the jobs are claimed again, so handlers
//! must be idempotent. The queue lives in SQLite, so nothing is lost on restart.

mod pool;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub use findme_catalog::{ClaimedJob, JobKind};
pub use pool::{Observer, PoolStatus, WorkerPool};

/// How a job attempt ended badly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth another try (throttling, timeouts, a busy server). `after` overrides
    /// the pool's backoff (e.g. a server's Retry-After).
    #[error("{reason}")]
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// The job is fine but the service it needs asked us to slow down
    /// (throttling): run it again after `after` without spending an attempt, so a
    /// long spell of throttling can never quarantine good work.
    #[error("{reason}")]
    Defer { reason: String, after: Duration },
    /// Will never work (bad image, missing file): quarantine with this reason.
    #[error("{0}")]
    Fail(String),
    /// Nothing of this kind can work until the photographer acts (expired
    /// credentials): hand the job back without spending an attempt and pause the pool.
    #[error("{0}")]
    Pause(String),
}

/// The work one job kind does.
pub trait JobHandler: Send + Sync + 'static {
    fn run(&self, job: &ClaimedJob) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// How many of a pool's workers may claim jobs right now, asked before every
/// claim: a pool whose work waits on a remote service sizes itself to the pace
/// that service allows (rate × call time), up to [`PoolConfig::workers`].
#[derive(Clone)]
pub struct WorkerTarget(Arc<dyn Fn() -> usize + Send + Sync>);

impl WorkerTarget {
    pub fn new(target: impl Fn() -> usize + Send + Sync + 'static) -> WorkerTarget {
        WorkerTarget(Arc::new(target))
    }

    /// The current target, at least 1.
    pub fn get(&self) -> usize {
        (self.0)().max(1)
    }
}

impl std::fmt::Debug for WorkerTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WorkerTarget({})", self.get())
    }
}

/// Pool tuning.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Workers started (with a `target`: the most that may ever claim at once).
    pub workers: usize,
    /// Without it every worker claims; with it only the first `target` of them.
    pub target: Option<WorkerTarget>,
    /// How long a claim is valid without a heartbeat (heartbeats every third of it).
    pub lease: Duration,
    /// How often idle workers look for due retries and expired leases of others.
    pub idle_poll: Duration,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            workers: 3,
            target: None,
            lease: Duration::from_secs(60),
            idle_poll: Duration::from_secs(1),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
        }
    }
}

/// Delay before attempt `attempt + 1`: base·2^(attempt-1), capped, with ±50% jitter
/// so that workers throttled together do not retry together.
pub fn backoff(config: &PoolConfig, attempt: u32) -> Duration {
    let exp = config
        .backoff_base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(config.backoff_max);
    let jitter = rand::random_range(0.5..1.5);
    capped.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let config = PoolConfig {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            ..PoolConfig::default()
        };
        for attempt in 1..=12u32 {
            let d = backoff(&config, attempt);
            let nominal = Duration::from_secs(1u64 << (attempt - 1)).min(Duration::from_secs(60));
            assert!(
                d >= nominal.mul_f64(0.5) && d <= nominal.mul_f64(1.5),
                "attempt {attempt}: {d:?}"
            );
        }
        let spread: std::collections::HashSet<u128> =
            (0..20).map(|_| backoff(&config, 3).as_micros()).collect();
        assert!(spread.len() > 10, "no jitter");
    }
}
