//! The job worker pools this process runs, started on demand (the app and `watch`
//! run them all the time; `import` runs the thumbnail stage until it is done,
//! `match` the matching stages; `stats` runs none).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};

use findme_catalog::{Catalog, CatalogError, JobKind};
use findme_jobs::{PoolConfig, PoolStatus, WorkerPool};
use findme_sync::{EventClient, RosterPoller, WebRendition, ROSTER_EVERY};
use findme_thumbs::{ThumbnailCache, ThumbnailJobs};
use tokio::sync::broadcast;

use crate::deletions::DeletionRunner;
use crate::matching::MatchingControl;
use crate::sync::SyncTarget;
use crate::EngineNotice;

/// Starts the matching stages over the backend chosen at open.
pub(crate) type MatchingStarter =
    Box<dyn Fn(Catalog, &str, findme_jobs::Observer) -> Box<dyn MatchingControl> + Send + Sync>;

/// What the face stages start from.
pub(crate) struct FaceSetup {
    /// How to start matching (None: no face service; match jobs wait).
    pub starter: Option<MatchingStarter>,
    /// Carries out biometric deletions, whatever matches.
    pub deletions: DeletionRunner,
}

/// What the background sync starts from.
pub(crate) struct SyncSetup {
    /// None when no event server is set up.
    pub target: Option<SyncTarget>,
    /// Where roster selfies are kept (by content hash).
    pub selfie_dir: PathBuf,
    /// What photos are pushed as.
    pub web: WebRendition,
}

/// The background sync with one event server: outbox pushes and roster pulls.
struct SyncRunning {
    push: WorkerPool,
    roster: RosterPoller,
}

/// How many thumbnail workers run: in the background, or for a caller that waits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ThumbnailWorkers {
    pub background: usize,
    pub waited: usize,
}

#[derive(Clone)]
pub(crate) struct Workers {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    thumbs: ThumbnailCache,
    owner: String,
    thumbnail_workers: ThumbnailWorkers,
    notices: broadcast::Sender<EngineNotice>,
    thumbnail: Mutex<Option<WorkerPool>>,
    /// None when no face service is configured: match jobs wait in the queue.
    matching_starter: Option<MatchingStarter>,
    matching: Mutex<Option<Arc<dyn MatchingControl>>>,
    /// None when no event server is set up: push jobs wait for `findme sync`.
    sync_target: Mutex<Option<SyncTarget>>,
    sync: Mutex<Option<SyncRunning>>,
    /// Where roster selfies are kept (by content hash).
    selfie_dir: PathBuf,
    web: WebRendition,
    /// `start` ran: a sync target set later starts at once.
    started: std::sync::atomic::AtomicBool,
    /// Carries out biometric deletions (in the background once started).
    deletions: Arc<DeletionRunner>,
    deletions_started: std::sync::Once,
}

impl Workers {
    pub(crate) fn new(
        catalog: Catalog,
        thumbs: ThumbnailCache,
        owner: String,
        thumbnail_workers: ThumbnailWorkers,
        notices: broadcast::Sender<EngineNotice>,
        faces: FaceSetup,
        sync: SyncSetup,
    ) -> Workers {
        Workers {
            inner: Arc::new(Inner {
                catalog,
                thumbs,
                owner,
                thumbnail_workers,
                notices,
                thumbnail: Mutex::new(None),
                matching_starter: faces.starter,
                matching: Mutex::new(None),
                sync_target: Mutex::new(sync.target),
                sync: Mutex::new(None),
                selfie_dir: sync.selfie_dir,
                web: sync.web,
                started: Default::default(),
                deletions: Arc::new(faces.deletions),
                deletions_started: std::sync::Once::new(),
            }),
        }
    }

    pub(crate) fn observer(&self) -> findme_jobs::Observer {
        let notices = self.inner.notices.clone();
        Arc::new(move |_kind| {
            // Tiles and queue counters changed; the shell coalesces bursts.
            let _ = notices.send(EngineNotice::QueueChanged);
            let _ = notices.send(EngineNotice::PhotosChanged);
        })
    }

    /// Start the pools if they are not running. Must run inside Tokio.
    pub(crate) fn start(&self) {
        self.start_thumbnails();
        self.start_matching();
        self.inner
            .deletions_started
            .call_once(|| self.inner.deletions.start());
        self.inner
            .started
            .store(true, std::sync::atomic::Ordering::Release);
        self.start_sync();
    }

    /// Start pushing the outbox and pulling the roster in the background if an
    /// event server is set up.
    fn start_sync(&self) {
        let Some(target) = self.sync_target() else {
            return;
        };
        let client = match EventClient::new(&target.server, target.token.clone()) {
            Ok(client) => client,
            Err(e) => {
                tracing::error!(server = %target.server, error = %e, "background sync is off");
                return;
            }
        };
        let Ok(mut slot) = self.inner.sync.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let push = findme_sync::start(
            self.inner.catalog.clone(),
            client.clone(),
            target.event.as_str(),
            self.inner.web,
            self.inner.owner.clone(),
            Some(self.observer()),
        );
        // Weak: the poller lives inside `Inner` and must not keep it alive.
        let workers: Weak<Inner> = Arc::downgrade(&self.inner);
        let roster = RosterPoller::start(
            self.inner.catalog.clone(),
            client,
            target.event.to_string(),
            self.inner.selfie_dir.clone(),
            ROSTER_EVERY,
            Arc::new(move || {
                if let Some(inner) = workers.upgrade() {
                    let workers = Workers { inner };
                    workers.wake();
                    workers.deletions_written();
                    (workers.observer())(JobKind::IndexParticipant);
                }
            }),
        );
        *slot = Some(SyncRunning { push, roster });
    }

    /// What photos are pushed as.
    pub(crate) fn web_rendition(&self) -> WebRendition {
        self.inner.web
    }

    /// The event server set up now, if any.
    pub(crate) fn sync_target(&self) -> Option<SyncTarget> {
        self.inner.sync_target.lock().ok().and_then(|t| t.clone())
    }

    /// Point the background sync at another server or event (None: stop it).
    /// Running pushes finish or hand their jobs back first.
    pub(crate) async fn set_sync_target(&self, target: Option<SyncTarget>) {
        if let Ok(mut slot) = self.inner.sync_target.lock() {
            *slot = target;
        }
        self.stop_sync().await;
        if self
            .inner
            .started
            .load(std::sync::atomic::Ordering::Acquire)
        {
            self.start_sync();
        }
    }

    /// Ask the roster poller to pull now. False when no sync runs.
    pub(crate) fn pull_roster_now(&self) -> bool {
        let running = self.inner.sync.lock();
        match running.as_ref().ok().and_then(|s| s.as_ref()) {
            Some(sync) => {
                sync.roster.pull_now();
                true
            }
            None => false,
        }
    }

    async fn stop_sync(&self) {
        let running = self.inner.sync.lock().ok().and_then(|mut s| s.take());
        if let Some(sync) = running {
            sync.roster.shutdown();
            sync.push.shutdown().await;
        }
    }

    fn push_pool(&self) -> Option<WorkerPool> {
        let running = self.inner.sync.lock();
        running
            .as_ref()
            .ok()
            .and_then(|s| s.as_ref())
            .map(|s| s.push.clone())
    }

    /// Start the background thumbnail pool (beside the photographer's work).
    pub(crate) fn start_thumbnails(&self) {
        self.start_thumbnail_pool(self.inner.thumbnail_workers.background);
    }

    /// Start the thumbnail pool for a caller that waits for it (`findme import`):
    /// nothing else runs, so one worker per core. A pool already running keeps
    /// its size.
    pub(crate) fn start_waited_thumbnails(&self) {
        self.start_thumbnail_pool(self.inner.thumbnail_workers.waited);
    }

    fn start_thumbnail_pool(&self, workers: usize) {
        let Ok(mut slot) = self.inner.thumbnail.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let config = PoolConfig {
            workers: workers.max(1),
            ..PoolConfig::default()
        };
        *slot = Some(WorkerPool::start_observed(
            self.inner.catalog.clone(),
            JobKind::Thumbnail,
            self.inner.owner.clone(),
            Arc::new(ThumbnailJobs::new(self.inner.thumbs.clone())),
            config,
            Some(self.observer()),
        ));
    }

    /// Start the matching stages (if a face service is configured). Returns
    /// whether they run.
    pub(crate) fn start_matching(&self) -> bool {
        let Some(starter) = &self.inner.matching_starter else {
            return false;
        };
        let Ok(mut slot) = self.inner.matching.lock() else {
            return false;
        };
        if slot.is_none() {
            let control = starter(
                self.inner.catalog.clone(),
                &self.inner.owner,
                self.observer(),
            );
            *slot = Some(Arc::from(control));
        }
        true
    }

    pub(crate) fn matching(&self) -> Option<Arc<dyn MatchingControl>> {
        self.inner.matching.lock().ok().and_then(|m| m.clone())
    }

    /// The active event changed or a pause's cause was fixed: start over.
    pub(crate) fn event_changed(&self) {
        if let Some(matching) = self.matching() {
            matching.resume();
        }
    }

    fn thumbnail_pool(&self) -> Option<WorkerPool> {
        self.inner.thumbnail.lock().ok().and_then(|p| p.clone())
    }

    pub(crate) fn deletions(&self) -> &DeletionRunner {
        &self.inner.deletions
    }

    /// A change wrote deletion work (consent, removal, a photo leaving an
    /// event, a roster pull): the background runner looks now.
    pub(crate) fn deletions_written(&self) {
        self.inner.deletions.wake();
    }

    /// New jobs may be waiting. (Not deletion work: ingest wakes the pools on
    /// every catalogued file, and the deletion runner is woken only where
    /// deletions are written, see [`deletions_written`](Self::deletions_written).)
    pub(crate) fn wake(&self) {
        if let Some(pool) = self.thumbnail_pool() {
            pool.wake();
        }
        if let Some(matching) = self.matching() {
            matching.wake();
        }
        if let Some(pool) = self.push_pool() {
            pool.wake();
        }
    }

    pub(crate) async fn wait_for_thumbnails(&self) -> Result<(), CatalogError> {
        match self.thumbnail_pool() {
            Some(pool) => pool.wait_idle().await,
            None => Ok(()),
        }
    }

    /// (workers, status) per kind this process runs.
    pub(crate) fn status(&self, kind: JobKind) -> Option<PoolStatus> {
        match kind {
            JobKind::Thumbnail => self.thumbnail_pool().map(|p| p.status()),
            JobKind::Push => self.push_pool().map(|p| p.status()),
            kind => self.matching().and_then(|m| m.pool_status(kind)),
        }
    }

    pub(crate) async fn shutdown(&self) {
        self.inner.deletions.stop();
        let pool = self.inner.thumbnail.lock().ok().and_then(|mut p| p.take());
        if let Some(pool) = pool {
            pool.shutdown().await;
        }
        self.stop_sync().await;
        let matching = self.inner.matching.lock().ok().and_then(|mut m| m.take());
        if let Some(matching) = matching {
            matching.shutdown().await;
        }
    }
}
