//! The job worker pools this process runs, started on demand (the app and `watch`
//! run them all the time; `import` runs the thumbnail stage until it is done;
//! `stats` runs none).

use std::sync::{Arc, Mutex};

use findme_catalog::{Catalog, CatalogError, JobKind};
use findme_jobs::{PoolConfig, PoolStatus, WorkerPool};
use findme_thumbs::{ThumbnailCache, ThumbnailJobs};
use tokio::sync::broadcast;

use crate::EngineEvent;

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
}

impl Workers {
    pub(crate) fn new(
        catalog: Catalog,
        thumbs: ThumbnailCache,
        owner: String,
        thumbnail_workers: usize,
        events: broadcast::Sender<EngineEvent>,
    ) -> Workers {
        Workers {
            inner: Arc::new(Inner {
                catalog,
                thumbs,
                owner,
                thumbnail_workers,
                events,
                thumbnail: Mutex::new(None),
            }),
        }
    }

    /// Start the pools if they are not running. Must run inside Tokio.
    pub(crate) fn start(&self) {
        let Ok(mut slot) = self.inner.thumbnail.lock() else {
            return;
        };
        if slot.is_some() {
            return;
        }
        let events = self.inner.events.clone();
        let observer: findme_jobs::Observer = Arc::new(move |_kind| {
            // Tiles and queue counters changed; the shell coalesces bursts.
            let _ = events.send(EngineEvent::QueueChanged);
            let _ = events.send(EngineEvent::PhotosChanged);
        });
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
            Some(observer),
        ));
    }

    fn thumbnail_pool(&self) -> Option<WorkerPool> {
        self.inner.thumbnail.lock().ok().and_then(|p| p.clone())
    }

    /// New jobs may be waiting.
    pub(crate) fn wake(&self) {
        if let Some(pool) = self.thumbnail_pool() {
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
            _ => None,
        }
    }

    pub(crate) async fn shutdown(&self) {
        let pool = self.inner.thumbnail.lock().ok().and_then(|mut p| p.take());
        if let Some(pool) = pool {
            pool.shutdown().await;
        }
    }
}
