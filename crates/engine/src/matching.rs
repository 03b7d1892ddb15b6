//! The matching stages this process runs: a pool of `match` workers, a pool of
//! `index-participant` workers and the search coordinator, all over one shared
//! [`FaceMatcher`] (so one rate limiter serves every worker). The engine holds
//! them behind [`MatchingControl`], so it does not care which backend runs.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use findme_catalog::{Catalog, JobKind};
use findme_faces::pipeline::{
    MatchJobs, Matching, MatchingConfig, ParticipantJobs, SearchCoordinator, SearchStatus,
};
use findme_faces::FaceMatcher;
use findme_jobs::{Observer, PoolConfig, PoolStatus, WorkerPool, WorkerTarget};
use tokio::sync::watch;

/// Which face service matches photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBackend {
    /// Rekognition when an AWS configuration is visible, else on-device.
    Auto,
    Rekognition,
    /// On-device (YuNet + SFace): no account, no network.
    Local,
    /// No matching in this process (match jobs wait).
    Off,
}

impl MatchBackend {
    pub fn parse(name: &str) -> Option<MatchBackend> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Some(MatchBackend::Auto),
            "rekognition" | "aws" => Some(MatchBackend::Rekognition),
            "local" | "on-device" => Some(MatchBackend::Local),
            "off" | "none" => Some(MatchBackend::Off),
            _ => None,
        }
    }
}

/// How this process matches.
#[derive(Debug, Clone)]
pub struct MatchSettings {
    pub backend: MatchBackend,
    /// Whether an AWS configuration is visible (what `Auto` picks Rekognition on;
    /// `EngineConfig::from_env` looks).
    pub aws_configured: bool,
    /// `match` and `index-participant` workers, exactly (`PHOTO_QUEUE_WORKERS`).
    /// None: 3 on the device (the CPU is the limit); with Rekognition the match
    /// pool sizes itself to the rate the quota allows (up to
    /// [`MOST_MATCH_WORKERS`]), so the learnt quota, not the pool, is the limit.
    pub workers: Option<usize>,
    /// The longest a live photo (FTP, watched folder) waits for its search.
    pub latency_bound: Duration,
    /// The longest a card's or an import's photo waits while the rest of it is
    /// indexed, so a backlog is searched in one pass.
    pub backlog_bound: Duration,
    /// Results per face search (Rekognition allows 4,096, the default). Tests
    /// lower it to reach a full answer with a handful of photos.
    pub search_max: u32,
    pub rekognition: findme_faces::rekognition::RekognitionConfig,
    pub local: findme_faces::local::LocalConfig,
}

impl MatchSettings {
    /// The defaults: `Auto` with no AWS configuration seen (so on-device), the
    /// face model in `models_dir`.
    pub fn new(models_dir: PathBuf) -> MatchSettings {
        MatchSettings {
            backend: MatchBackend::Auto,
            aws_configured: false,
            workers: None,
            latency_bound: Duration::from_secs(30),
            backlog_bound: Duration::from_secs(300),
            search_max: MatchingConfig::default().max_results,
            rekognition: findme_faces::rekognition::RekognitionConfig::default(),
            local: findme_faces::local::LocalConfig::new(models_dir),
        }
    }

    /// The AWS Rekognition configuration, when this process may call AWS (it
    /// matches with Rekognition, or an AWS configuration is visible): what
    /// deleting an event's faces from Rekognition needs, whatever matches.
    pub fn aws(&self) -> Option<findme_faces::rekognition::RekognitionConfig> {
        (self.aws_configured || self.resolved() == MatchBackend::Rekognition)
            .then(|| self.rekognition.clone())
    }

    /// The backend `Auto` stands for here.
    pub fn resolved(&self) -> MatchBackend {
        match self.backend {
            MatchBackend::Auto if self.aws_configured => MatchBackend::Rekognition,
            MatchBackend::Auto => MatchBackend::Local,
            other => other,
        }
    }
}

/// Match and participant workers unless sized to a service (the old server's 3).
const DEFAULT_WORKERS: usize = 3;
/// The most match workers a pool sized to a service's pace runs (50 TPS × ~1 s
/// per call with headroom; each idle one costs a task and nothing else).
pub const MOST_MATCH_WORKERS: usize = 64;

type BoxFuture<'a, T = ()> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The running matching stages, whatever the backend.
pub(crate) trait MatchingControl: Send + Sync {
    /// New photos, participants or an event change: look again now.
    fn wake(&self);
    /// The photographer fixed a cause of a pause (credentials, no event).
    fn resume(&self);
    fn pool_status(&self, kind: JobKind) -> Option<PoolStatus>;
    fn search_status(&self) -> SearchStatus;
    fn shutdown(&self) -> BoxFuture<'_>;
}

struct Running<M> {
    match_pool: WorkerPool,
    participant_pool: WorkerPool,
    coordinator: Arc<SearchCoordinator<M>>,
    stop: watch::Sender<bool>,
    task: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Start the stages over `matcher`. Must run inside Tokio.
pub(crate) fn start<M: FaceMatcher>(
    catalog: Catalog,
    matcher: Arc<M>,
    settings: &MatchSettings,
    owner: &str,
    observer: Observer,
) -> Box<dyn MatchingControl> {
    let config = MatchingConfig {
        latency_bound: settings.latency_bound,
        backlog_bound: settings.backlog_bound,
        max_results: settings.search_max.max(1),
        ..MatchingConfig::default()
    };
    let matching = Matching::new(catalog.clone(), matcher, config);
    let pool = |workers: usize| PoolConfig {
        workers,
        ..PoolConfig::default()
    };
    let fixed = settings.workers.unwrap_or(DEFAULT_WORKERS).max(1);
    let match_config = match settings.workers {
        None if matching.wanted_workers(MOST_MATCH_WORKERS).is_some() => {
            let sized = matching.clone();
            PoolConfig {
                workers: MOST_MATCH_WORKERS,
                target: Some(WorkerTarget::new(move || {
                    sized
                        .wanted_workers(MOST_MATCH_WORKERS)
                        .unwrap_or(DEFAULT_WORKERS)
                })),
                ..PoolConfig::default()
            }
        }
        _ => pool(fixed),
    };
    let match_pool = WorkerPool::start_observed(
        catalog.clone(),
        JobKind::Match,
        owner.to_string(),
        Arc::new(MatchJobs::new(matching.clone())),
        match_config,
        Some(observer.clone()),
    );
    let participant_pool = WorkerPool::start_observed(
        catalog,
        JobKind::IndexParticipant,
        owner.to_string(),
        Arc::new(ParticipantJobs::new(matching.clone())),
        pool(fixed),
        Some(observer),
    );
    let coordinator = SearchCoordinator::new(matching);
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(coordinator.clone().run(stopped));
    Box::new(Running {
        match_pool,
        participant_pool,
        coordinator,
        stop,
        task: std::sync::Mutex::new(Some(task)),
    })
}

impl<M: FaceMatcher> MatchingControl for Running<M> {
    fn wake(&self) {
        self.match_pool.wake();
        self.participant_pool.wake();
        self.coordinator.wake();
    }

    fn resume(&self) {
        self.match_pool.resume();
        self.participant_pool.resume();
        self.coordinator.resume();
    }

    fn pool_status(&self, kind: JobKind) -> Option<PoolStatus> {
        match kind {
            JobKind::Match => Some(self.match_pool.status()),
            JobKind::IndexParticipant => Some(self.participant_pool.status()),
            _ => None,
        }
    }

    fn search_status(&self) -> SearchStatus {
        self.coordinator.status()
    }

    fn shutdown(&self) -> BoxFuture<'_> {
        Box::pin(async move {
            let _ = self.stop.send(true);
            let task = self.task.lock().ok().and_then(|mut t| t.take());
            if let Some(task) = task {
                let _ = task.await;
            }
            self.match_pool.shutdown().await;
            self.participant_pool.shutdown().await;
        })
    }
}

/// How to start the matching stages with the configured face service (None: no
/// service, match jobs wait). The client is made once and shared by all workers.
pub(crate) async fn starter(settings: &MatchSettings) -> Option<crate::workers::MatchingStarter> {
    match settings.resolved() {
        MatchBackend::Rekognition => {
            let matcher = Arc::new(
                findme_faces::rekognition::RekognitionMatcher::new(settings.rekognition.clone())
                    .await,
            );
            let settings = settings.clone();
            Some(Box::new(move |catalog, owner: &str, observer| {
                start(catalog, matcher.clone(), &settings, owner, observer)
            }))
        }
        MatchBackend::Local => {
            let settings = MatchSettings {
                // Searching costs nothing here: never hold photos back for a pass.
                latency_bound: Duration::ZERO,
                backlog_bound: Duration::ZERO,
                ..settings.clone()
            };
            Some(Box::new(move |catalog: Catalog, owner: &str, observer| {
                let matcher = Arc::new(findme_faces::local::LocalMatcher::new(
                    catalog.clone(),
                    settings.local.clone(),
                ));
                start(catalog, matcher, &settings, owner, observer)
            }))
        }
        MatchBackend::Auto | MatchBackend::Off => None,
    }
}
