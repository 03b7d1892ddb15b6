//! The FindMe engine: the one facade the desktop app, the `findme` CLI and the tests
//! all drive. It owns the catalog, runs ingest (imports, card copies, watched
//! folders) and publishes [`EngineNotice`]s. It knows nothing of Tauri.

pub mod api;
mod config;
mod convert;
mod deletions;
mod error;
mod events;
mod face_eval;
mod folders;
mod ftp;
mod ftp_receiver;
mod gallery;
#[cfg(test)]
mod gallery_filter_cases;
mod match_run;
mod matching;
mod membership;
mod owner;
mod participants;
mod photos;
mod registration;
pub mod secrets;
mod selfies;
mod sync;
mod sync_settings;
mod workers;

pub use face_eval::{evaluate_faces, FaceEvaluation};
pub use findme_face_model::eval::{Distribution, Evaluation, Rates};
pub use matching::{MatchBackend, MatchSettings};
pub use membership::{Assignment, EventChoice, PublishChange, Selection, Unassignment};

pub use config::{CopyOptions, DataDir, EngineConfig, APP_IDENTIFIER, DATA_DIR_VAR};
pub use error::{EngineError, ErrorDto, ErrorKind};
pub use findme_keys::{CameraAccount, EventId, KeyError, ParticipantId, PhotoKey, RenditionKind};
pub use findme_sync::CardSize;
pub use findme_sync::{Token, WebRendition};
pub use ftp::DEFAULT_FTP_PORT;
pub use ftp_receiver::FtpOptions;
pub use gallery::RenditionError;
pub use registration::qr_svg;
pub use sync::SyncTarget;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

pub(crate) use findme_catalog::now_ms;
use findme_catalog::Catalog;

pub use findme_catalog::CatalogOptions;
use findme_ingest::{CardOptions, FolderWatcher, IngestEvent, Ingestor};
use findme_thumbs::{CacheConfig, ThumbnailCache};
use tokio::sync::{broadcast, mpsc};

pub use api::*;
pub use findme_ingest::WatchConfig;

/// Cheap to clone; all clones drive the same engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    data: DataDir,
    catalog: Catalog,
    ingestor: Ingestor,
    watcher: FolderWatcher,
    thumbs: ThumbnailCache,
    workers: workers::Workers,
    notices: broadcast::Sender<EngineNotice>,
    watching: AtomicBool,
    /// Job leases taken by this process carry this name (released at shutdown).
    owner: String,
    /// The face matcher this process runs ("local", "rekognition"), if any.
    matcher: Option<&'static str>,
    secrets: Arc<dyn secrets::SecretStore>,
    /// Where the background sync's target came from.
    sync_source: std::sync::Mutex<sync_settings::SyncSource>,
    /// The FTP receiver, while it runs.
    ftp: tokio::sync::Mutex<Option<ftp_receiver::RunningFtp>>,
    /// Why the receiver last failed to start (shown until it starts).
    ftp_error: tokio::sync::Mutex<Option<String>>,
}

impl Engine {
    /// Open (creating if needed) the catalog in `config.data_dir`. Must be called
    /// inside a Tokio runtime.
    pub async fn open(config: EngineConfig) -> Result<Engine, EngineError> {
        let data = DataDir::new(&config.data_dir);
        std::fs::create_dir_all(data.root()).map_err(|e| EngineError::Io {
            what: format!("cannot use the data folder {}", data.root().display()),
            source: e,
        })?;
        let path = data.catalog();
        let options = config.catalog.clone();
        let catalog = tokio::task::spawn_blocking(move || Catalog::open_with(&path, options))
            .await
            .map_err(|e| EngineError::task("opening the catalog", e))??;
        let (notices, _) = broadcast::channel(1024);
        let (ingest_tx, ingest_rx) = mpsc::unbounded_channel();
        let ingestor = Ingestor::new(catalog.clone(), config.parallel_reads, Some(ingest_tx));
        let watcher = FolderWatcher::start(ingestor.clone(), config.watch.clone());
        let owner = owner::this_process();
        owner::recover_dead_leases(&catalog).await?;
        let mut cache = CacheConfig::new(data.renditions());
        cache.limit_bytes = config.cache_limit_bytes;
        let thumbs = ThumbnailCache::new(catalog.clone(), cache);
        let (sync_target, sync_source) = match &config.sync {
            Some(target) => (Some(target.clone()), sync_settings::SyncSource::Environment),
            None if config.resume_saved_sync => {
                match sync_settings::saved_target(&catalog, config.secrets.clone()).await? {
                    Some(target) => (Some(target), sync_settings::SyncSource::Settings),
                    None => (None, sync_settings::SyncSource::None),
                }
            }
            None => (None, sync_settings::SyncSource::None),
        };
        let workers = workers::Workers::new(
            catalog.clone(),
            thumbs.clone(),
            owner.clone(),
            workers::ThumbnailWorkers {
                background: config.thumbnail_workers,
                waited: config.waited_thumbnail_workers,
            },
            notices.clone(),
            workers::FaceSetup {
                starter: matching::starter(&config.matching).await,
                deletions: deletions::DeletionRunner::new(catalog.clone(), config.matching.aws()),
            },
            workers::SyncSetup {
                target: sync_target.clone(),
                selfie_dir: data.selfies(),
                web: config.web_rendition,
            },
        );
        tokio::spawn(forward_notices(ingest_rx, notices.clone(), workers.clone()));
        let engine = Engine {
            inner: Arc::new(Inner {
                data,
                catalog,
                ingestor,
                watcher,
                thumbs,
                workers,
                notices,
                watching: AtomicBool::new(false),
                owner,
                matcher: match config.matching.resolved() {
                    MatchBackend::Local => Some("local"),
                    MatchBackend::Rekognition => Some("rekognition"),
                    MatchBackend::Auto | MatchBackend::Off => None,
                },
                secrets: config.secrets.clone(),
                sync_source: std::sync::Mutex::new(sync_source),
                ftp: tokio::sync::Mutex::new(None),
                ftp_error: tokio::sync::Mutex::new(None),
            }),
        };
        if let Some(target) = &sync_target {
            engine.ensure_sync_event(&target.event).await?;
        }
        Ok(engine)
    }

    /// The catalog, for the later stages built on the engine and for tests.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// The engine's notices (photos changed, import progress, folders changed).
    pub fn subscribe(&self) -> broadcast::Receiver<EngineNotice> {
        self.inner.notices.subscribe()
    }

    /// Import files and folders in place (recursively); returns when done.
    pub async fn import(&self, paths: Vec<PathBuf>) -> Result<ImportReport, EngineError> {
        self.import_into(paths, EventChoice::Active).await
    }

    /// [`Engine::import`], and the photos found (new, duplicate or unchanged)
    /// join the event `choice` names.
    pub async fn import_into(
        &self,
        paths: Vec<PathBuf>,
        choice: EventChoice,
    ) -> Result<ImportReport, EngineError> {
        let event = self.resolve(&choice).await?;
        let roots = absolute_all(paths)?;
        let members_before = self.member_count(event.as_ref()).await?;
        let started_ms = now_ms();
        let ev = event.as_ref().map(|e| e.to_string());
        let summary = findme_ingest::import(&self.inner.ingestor, &roots, ev).await?;
        let mut report = convert::import_report(summary);
        if let Some(event) = event {
            // The files read joined as they were recorded; the unchanged ones
            // (skipped by the quick re-scan) join here.
            self.join_under(&event, &roots).await?;
            report.joined = self.member_count(Some(&event)).await? - members_before;
            if report.joined > 0 {
                report.joined_photos = self.joined_since(&event, started_ms, &roots).await?;
            }
            report.event = Some(event.to_string());
        }
        Ok(report)
    }

    /// Copy photos from a card (or any folder) into the library, verify each copy,
    /// catalogue the copies, and say whether the card is safe to format.
    pub async fn import_card(
        &self,
        sources: Vec<PathBuf>,
        copy: CopyOptions,
    ) -> Result<ImportReport, EngineError> {
        self.import_card_into(sources, copy, EventChoice::Active)
            .await
    }

    /// [`Engine::import_card`], and the card's photos join the event `choice` names.
    pub async fn import_card_into(
        &self,
        sources: Vec<PathBuf>,
        copy: CopyOptions,
        choice: EventChoice,
    ) -> Result<ImportReport, EngineError> {
        let event = self.resolve(&choice).await?;
        let members_before = self.member_count(event.as_ref()).await?;
        let sources = absolute_all(sources)?;
        let options = CardOptions {
            destination: absolute(&copy.destination)?,
            backup: copy.backup.as_deref().map(absolute).transpose()?,
            layout: copy
                .layout
                .unwrap_or_else(|| findme_ingest::card::DEFAULT_LAYOUT.to_string()),
            event: event.as_ref().map(|e| e.to_string()),
        };
        let summary = findme_ingest::import_card(&self.inner.ingestor, &sources, &options).await?;
        // The card's destination is the library: cameras sending by FTP land
        // there too unless the photographer chose another folder.
        let library = options.destination.to_string_lossy().into_owned();
        self.inner
            .catalog
            .write(move |w| w.set_setting(ftp::LIBRARY_KEY, &library))
            .await?;
        let mut report = convert::card_report(summary, &options);
        if let Some(event) = event {
            report.joined = self.member_count(Some(&event)).await? - members_before;
            report.event = Some(event.to_string());
        }
        self.inner.workers.wake();
        Ok(report)
    }

    /// Run the job workers (thumbnails, matching when a face service is
    /// configured, pushing when an event server is) in this process (idempotent).
    pub fn start_workers(&self) {
        self.inner.workers.start();
    }

    /// Make every pending thumbnail and preview now, returning when none is left
    /// (the CLI's `import` waits for this).
    pub async fn make_thumbnails(&self) -> Result<(), EngineError> {
        self.inner.workers.start_waited_thumbnails();
        self.inner.workers.wait_for_thumbnails().await?;
        Ok(())
    }

    /// Stop watchers, finish in-flight writes, release job leases, close the catalog.
    pub async fn shutdown(&self) {
        self.stop_ftp().await;
        self.inner.watcher.shutdown().await;
        self.inner.workers.shutdown().await;
        self.inner.thumbs.flush_usage().await;
        let owner = self.inner.owner.clone();
        if let Err(e) = self
            .inner
            .catalog
            .write(move |w| w.release_all(&owner))
            .await
        {
            tracing::warn!(error = %e, "could not release job leases at shutdown");
        }
        let catalog = self.inner.catalog.clone();
        let _ = tokio::task::spawn_blocking(move || catalog.close()).await;
    }
}

async fn forward_notices(
    mut rx: mpsc::UnboundedReceiver<IngestEvent>,
    notices: broadcast::Sender<EngineNotice>,
    workers: workers::Workers,
) {
    while let Some(event) = rx.recv().await {
        let event = match event {
            IngestEvent::CatalogChanged => {
                // New photos bring new jobs.
                workers.wake();
                EngineNotice::PhotosChanged
            }
            IngestEvent::Progress { done, total } => EngineNotice::ImportProgress { done, total },
            IngestEvent::FolderStatusChanged => EngineNotice::FoldersChanged,
        };
        // No subscribers is fine (the CLI rarely listens).
        let _ = notices.send(event);
    }
}

/// Make a user-supplied path absolute (relative to the working directory) so the
/// catalog never stores paths that depend on where a command ran.
fn absolute(path: &Path) -> Result<PathBuf, EngineError> {
    std::path::absolute(path)
        .map_err(|e| EngineError::Invalid(format!("bad path {}: {e}", path.display())))
}

fn absolute_all(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, EngineError> {
    paths.iter().map(|p| absolute(p)).collect()
}
