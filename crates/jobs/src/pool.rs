//! The worker tasks of one job kind.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use findme_catalog::{Catalog, ClaimedJob, JobKind};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::{backoff, JobError, JobHandler, PoolConfig};

/// Live state of a pool, for stats and the activity panel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PoolStatus {
    pub workers: usize,
    pub active: usize,
    /// Jobs this process finished (done or quarantined) since it started.
    pub processed: u64,
    /// Why the pool is paused, if it is.
    pub paused: Option<String>,
}

/// Called after each job settles (done, retried, failed, handed back): lets the
/// engine tell the UI that queue counters and tiles changed.
pub type Observer = Arc<dyn Fn(JobKind) + Send + Sync>;

struct Shared {
    observer: Option<Observer>,
    catalog: Catalog,
    kind: JobKind,
    owner: String,
    config: PoolConfig,
    wake: Notify,
    finished: Notify,
    stopping: AtomicBool,
    active: AtomicUsize,
    processed: AtomicU64,
    paused: Mutex<Option<String>>,
}

/// A running pool. Cheap to clone.
#[derive(Clone)]
pub struct WorkerPool {
    shared: Arc<Shared>,
    workers: Arc<Mutex<JoinSet<()>>>,
}

impl WorkerPool {
    /// Start `config.workers` workers for `kind`. Leases are taken in the name of
    /// `owner` (one name per process, so a clean shutdown can hand them back).
    pub fn start<H: JobHandler>(
        catalog: Catalog,
        kind: JobKind,
        owner: String,
        handler: Arc<H>,
        config: PoolConfig,
    ) -> WorkerPool {
        Self::start_observed(catalog, kind, owner, handler, config, None)
    }

    /// [`WorkerPool::start`], calling `observer` after every settled job.
    pub fn start_observed<H: JobHandler>(
        catalog: Catalog,
        kind: JobKind,
        owner: String,
        handler: Arc<H>,
        config: PoolConfig,
        observer: Option<Observer>,
    ) -> WorkerPool {
        let shared = Arc::new(Shared {
            observer,
            catalog,
            kind,
            owner,
            config,
            wake: Notify::new(),
            finished: Notify::new(),
            stopping: AtomicBool::new(false),
            active: AtomicUsize::new(0),
            processed: AtomicU64::new(0),
            paused: Mutex::new(None),
        });
        let mut set = JoinSet::new();
        for index in 0..shared.config.workers.max(1) {
            set.spawn(work(shared.clone(), handler.clone(), index));
        }
        WorkerPool {
            shared,
            workers: Arc::new(Mutex::new(set)),
        }
    }

    /// New jobs were enqueued: wake idle workers now rather than at their next poll.
    pub fn wake(&self) {
        self.shared.wake.notify_waiters();
    }

    /// (`workers`: those that may claim now.)
    pub fn status(&self) -> PoolStatus {
        PoolStatus {
            workers: self.shared.claiming(),
            active: self.shared.active.load(Ordering::Acquire),
            processed: self.shared.processed.load(Ordering::Acquire),
            paused: self.shared.paused.lock().ok().and_then(|p| p.clone()),
        }
    }

    /// Resume after a pause (the photographer fixed the cause).
    pub fn resume(&self) {
        if let Ok(mut paused) = self.shared.paused.lock() {
            *paused = None;
        }
        self.wake();
    }

    /// Wait until every job of this kind is finished (done or quarantined),
    /// scheduled retries included. Returns early if the pool is paused.
    pub async fn wait_idle(&self) -> Result<(), findme_catalog::CatalogError> {
        let kind = self.shared.kind;
        loop {
            let finished = self.shared.finished.notified();
            let busy = self
                .shared
                .catalog
                .read(move |r| r.has_unfinished_jobs(kind))
                .await?;
            if !busy || self.status().paused.is_some() {
                return Ok(());
            }
            // Woken by any job finishing; the poll covers jobs other processes finish.
            let _ = tokio::time::timeout(self.shared.config.idle_poll, finished).await;
        }
    }

    /// Stop claiming, let running jobs finish, hand leases back.
    pub async fn shutdown(&self) {
        self.shared.stopping.store(true, Ordering::Release);
        self.shared.wake.notify_waiters();
        let mut set = match self.workers.lock() {
            Ok(mut guard) => std::mem::take(&mut *guard),
            Err(_) => return,
        };
        while set.join_next().await.is_some() {}
        let owner = self.shared.owner.clone();
        if let Err(e) = self
            .shared
            .catalog
            .write(move |w| w.release_all(&owner))
            .await
        {
            tracing::warn!(error = %e, "could not hand back job leases");
        }
    }
}

/// How often a worker beyond its pool's target looks whether the target grew.
const TARGET_POLL: std::time::Duration = std::time::Duration::from_millis(200);

impl Shared {
    /// How many workers may claim now: all of them, or the target's share.
    fn claiming(&self) -> usize {
        let all = self.config.workers.max(1);
        self.config
            .target
            .as_ref()
            .map_or(all, |t| t.get().min(all))
    }
}

/// Worker `index` of the pool: claims while its index is within the target.
async fn work<H: JobHandler>(shared: Arc<Shared>, handler: Arc<H>, index: usize) {
    let kind = shared.kind;
    let lease_ms = shared.config.lease.as_millis() as i64;
    while !shared.stopping.load(Ordering::Acquire) {
        let wake = shared.wake.notified();
        let paused = shared.paused.lock().map(|p| p.is_some()).unwrap_or(false);
        let beyond_target = index >= shared.claiming();
        let job = if paused || beyond_target {
            None
        } else {
            let owner = shared.owner.clone();
            match shared
                .catalog
                .write(move |w| w.claim(kind, &owner, lease_ms, 1))
                .await
            {
                Ok(mut jobs) => jobs.pop(),
                Err(e) => {
                    tracing::error!(kind = kind.as_str(), error = %e, "cannot claim jobs");
                    None
                }
            }
        };
        let Some(job) = job else {
            // A target grows with the service's pace: look again soon.
            let wait = if beyond_target {
                TARGET_POLL.min(shared.config.idle_poll)
            } else {
                shared.config.idle_poll
            };
            let _ = tokio::time::timeout(wait, wake).await;
            continue;
        };
        shared.active.fetch_add(1, Ordering::AcqRel);
        let outcome = run_with_heartbeat(&shared, handler.as_ref(), &job).await;
        settle(&shared, &job, outcome).await;
        shared.active.fetch_sub(1, Ordering::AcqRel);
        shared.finished.notify_waiters();
        if let Some(observer) = &shared.observer {
            observer(kind);
        }
    }
}

/// Run the handler while a heartbeat keeps the lease alive.
async fn run_with_heartbeat<H: JobHandler>(
    shared: &Shared,
    handler: &H,
    job: &ClaimedJob,
) -> Result<(), JobError> {
    let lease_ms = shared.config.lease.as_millis() as i64;
    let every = shared.config.lease / 3;
    let run = handler.run(job);
    tokio::pin!(run);
    let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            outcome = &mut run => return outcome,
            _ = beat.tick() => {
                let (id, owner) = (job.id, shared.owner.clone());
                match shared.catalog.write(move |w| w.heartbeat(id, &owner, lease_ms)).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job = job.id, "lease lost; another worker may run this job too"),
                    Err(e) => tracing::warn!(job = job.id, error = %e, "heartbeat failed"),
                }
            }
        }
    }
}

async fn settle(shared: &Shared, job: &ClaimedJob, outcome: Result<(), JobError>) {
    let (id, owner) = (job.id, shared.owner.clone());
    let result = match outcome {
        Ok(()) => {
            shared.processed.fetch_add(1, Ordering::AcqRel);
            shared.catalog.write(move |w| w.complete(id, &owner)).await
        }
        Err(JobError::Retry { reason, after }) => {
            let delay = after.unwrap_or_else(|| backoff(&shared.config, job.attempt));
            tracing::info!(job = id, kind = %job.kind, attempt = job.attempt, %reason, ?delay, "job will be retried");
            if job.attempt >= job.max_attempts {
                shared.processed.fetch_add(1, Ordering::AcqRel);
            }
            let delay_ms = delay.as_millis() as i64;
            shared
                .catalog
                .write(move |w| w.fail(id, &owner, &reason, Some(delay_ms)))
                .await
        }
        Err(JobError::Defer { reason, after }) => {
            tracing::debug!(job = id, kind = %job.kind, %reason, ?after, "job deferred");
            let delay_ms = after.as_millis().min(i64::MAX as u128) as i64;
            shared
                .catalog
                .write(move |w| w.defer(id, &owner, &reason, delay_ms))
                .await
        }
        Err(JobError::Fail(reason)) => {
            tracing::warn!(job = id, kind = %job.kind, %reason, "job failed");
            shared.processed.fetch_add(1, Ordering::AcqRel);
            shared
                .catalog
                .write(move |w| w.fail(id, &owner, &reason, None))
                .await
        }
        Err(JobError::Pause(reason)) => {
            tracing::warn!(kind = %job.kind, %reason, "pausing the queue");
            // Hand the job back first: whoever sees the pause sees it pending.
            let released = shared.catalog.write(move |w| w.release(id, &owner)).await;
            if let Ok(mut paused) = shared.paused.lock() {
                *paused = Some(reason);
            }
            released
        }
    };
    if let Err(e) = result {
        tracing::error!(job = id, error = %e, "could not record the job's outcome; its lease will expire and it will run again");
    }
}
