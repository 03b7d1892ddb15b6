//! The job worker pools this process runs, started on demand (the app and `watch`
//! run them all the time; `import` runs the thumbnail stage until it is done,
//! `match` the matching stages; `stats` runs none).

use std::sync::{Arc, Mutex};

use findme_catalog::{Catalog, CatalogError, JobKind};
use findme_jobs::{PoolConfig, PoolStatus, WorkerPool};
use findme_thumbs::{ThumbnailCache, ThumbnailJobs};
use tokio::sync::broadcast;

use crate::matching::MatchingControl;
use crate::EngineEvent;

/// Starts the matching stages over the backend chosen at open.
pub(crate) type MatchingStarter =
    Box<dyn Fn(Catalog, &str, findme_jobs::Observer) -> Box<dyn MatchingControl> + Send + Sync>;

/// Starts the background push pool (an event server is set up).
pub(crate) type PushStarter =
    Box<dyn Fn(Catalog, &str, findme_jobs::Observer) -> WorkerPool + Send + Sync>;

#[derive(Clone)]
pub(crate) struct Workers {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    thumbs: ThumbnailCache,
    owner: String,
    thumbnail_workers: usize,
    events: broadcast::Sender<EngineEvent>,
    thumbnail: Mutex<Option<WorkerPool>>,
    /// None when no face service is configured: match jobs wait in the queue.
    matching_starter: Option<MatchingStarter>,
    matching: Mutex<Option<Arc<dyn MatchingControl>>>,
    /// None when no event server is set up: push jobs wait for `findme sync`.
    push_starter: Option<PushStarter>,
    push: Mutex<Option<WorkerPool>>,
}

impl Workers {
    pub(crate) fn new(
        catalog: Catalog,
        thumbs: ThumbnailCache,
        owner: String,
        thumbnail_workers: usize,
        events: broadcast::Sender<EngineEvent>,
        matching_starter: Option<MatchingStarter>,
        push_starter: Option<PushStarter>,
    ) -> Workers {
        Workers {
            inner: Arc::new(Inner {
                catalog,
                thumbs,
                owner,
                thumbnail_workers,
                events,
                thumbnail: Mutex::new(None),
                matching_starter,
                matching: Mutex::new(None),
                push_starter,
                push: Mutex::new(None),
            }),
        }
    }

    pub(crate) fn observer(&self) -> findme_jobs::Observer {
        let events = self.inner.events.clone();
        Arc::new(move |_kind| {
            // Tiles and queue counters changed; the shell coalesces bursts.
            let _ = events.send(EngineEvent::QueueChanged);
            let _ = events.send(EngineEvent::PhotosChanged);
        })
    }

    /// Start the pools if they are not running. Must run inside Tokio.
    pub(crate) fn start(&self) {
        self.start_thumbnails();
        self.start_matching();
        self.start_push();
    }

    /// Start pushing the outbox in the background if an event server is set up.
    fn start_push(&self) {
        let Some(starter) = &self.inner.push_starter else {
            return;
        };
        let Ok(mut slot) = self.inner.push.lock() else {
            return;
        };
        if slot.is_none() {
            *slot = Some(starter(
                self.inner.catalog.clone(),
                &self.inner.owner,
                self.observer(),
            ));
        }
    }

    fn push_pool(&self) -> Option<WorkerPool> {
        self.inner.push.lock().ok().and_then(|p| p.clone())
    }

    pub(crate) fn start_thumbnails(&self) {
        let Ok(mut slot) = self.inner.thumbnail.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let config = PoolConfig {
            workers: self.inner.thumbnail_workers.max(1),
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

    /// New jobs may be waiting.
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
        let pool = self.inner.thumbnail.lock().ok().and_then(|mut p| p.take());
        if let Some(pool) = pool {
            pool.shutdown().await;
        }
        let push = self.inner.push.lock().ok().and_then(|mut p| p.take());
        if let Some(pool) = push {
            pool.shutdown().await;
        }
        let matching = self.inner.matching.lock().ok().and_then(|mut m| m.take());
        if let Some(matching) = matching {
            matching.shutdown().await;
        }
    }
}
