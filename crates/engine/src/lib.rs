//! The FindMe engine: the one facade the desktop app, the `findme` CLI and the tests
//! all drive. It owns the catalog, runs ingest (imports, card copies, watched
//! folders) and publishes [`EngineEvent`]s. It knows nothing of Tauri.

pub mod api;
mod convert;
mod face_eval;
mod folders;
mod gallery;
mod match_run;
mod matching;
mod owner;
mod people;
pub mod secrets;
mod sync;
mod sync_settings;
mod workers;

pub use face_eval::{evaluate_faces, FaceEvaluation};
pub use findme_face_model::eval::{Distribution, Evaluation, Rates};
pub use matching::{MatchBackend, MatchSettings};

pub use findme_sync::{Token, WebRendition};
pub use gallery::{RenditionError, RenditionKind};
pub use sync::SyncTarget;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use findme_catalog::{Catalog, CatalogError, QueueCounts};

pub use findme_catalog::CatalogOptions;
use findme_ingest::{CardOptions, FolderWatcher, IngestEvent, Ingestor};
use findme_thumbs::{CacheConfig, ThumbnailCache};
use tokio::sync::{broadcast, mpsc};

pub use api::*;
pub use findme_ingest::WatchConfig;

/// File name of the catalog inside the data directory.
pub const CATALOG_FILE: &str = "catalog.sqlite";

/// Where the engine keeps its state, and how ingest behaves.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Holds `catalog.sqlite` (and later the thumbnail cache).
    pub data_dir: PathBuf,
    pub watch: WatchConfig,
    /// Files hashed at once (default: one per CPU core).
    pub parallel_reads: usize,
    /// Catalog tuning (read pool size and timeouts, write batching).
    pub catalog: CatalogOptions,
    /// Thumbnail cache size limit (least recently used files go first).
    pub cache_limit_bytes: u64,
    /// Background thumbnail workers (on-demand renders for visible tiles come on
    /// top of these).
    pub thumbnail_workers: usize,
    /// Face matching: backend, workers, AWS settings.
    pub matching: MatchSettings,
    /// The event server the app and `watch` push to in the background (None: push
    /// only on `findme sync`, or the saved one, see `resume_saved_sync`).
    pub sync: Option<SyncTarget>,
    /// Without `sync`, start the background sync saved on the settings screen
    /// (reads the keyring at open). Only the app and `findme watch` sync in the
    /// background, so only they set it: other commands never touch the keyring.
    pub resume_saved_sync: bool,
    /// Where the settings screen keeps the event server token.
    pub secrets: Arc<dyn secrets::SecretStore>,
    /// Size and quality of the web renditions pushed to the event server.
    pub web_rendition: WebRendition,
}

impl EngineConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> EngineConfig {
        EngineConfig {
            data_dir: data_dir.into(),
            watch: WatchConfig::default(),
            parallel_reads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            catalog: CatalogOptions::default(),
            cache_limit_bytes: 5 << 30,
            // Leave a core for ingest and the UI.
            thumbnail_workers: std::thread::available_parallelism()
                .map_or(1, |n| n.get().div_ceil(2)),
            matching: MatchSettings::from_env(),
            sync: SyncTarget::from_env(),
            resume_saved_sync: false,
            secrets: Arc::new(secrets::OsKeyring),
            web_rendition: WebRendition::from_env(),
        }
    }
}

/// How a card import copies.
#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Library folder the photos are copied into.
    pub destination: PathBuf,
    /// Optional second copy (another drive).
    pub backup: Option<PathBuf>,
    /// Path of each copy inside the library; default `{date}/{name}`
    /// (see [`findme_ingest::CardOptions::layout`]).
    pub layout: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error("cannot use the data folder {path}: {reason}")]
    DataDir { path: PathBuf, reason: String },
    #[error("{0}")]
    BadRequest(String),
}

/// Cheap to clone; all clones drive the same engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    data_dir: PathBuf,
    catalog: Catalog,
    ingestor: Ingestor,
    watcher: FolderWatcher,
    thumbs: ThumbnailCache,
    workers: workers::Workers,
    events: broadcast::Sender<EngineEvent>,
    watching: AtomicBool,
    /// Job leases taken by this process carry this name (released at shutdown).
    owner: String,
    /// The face matcher this process runs ("local", "rekognition"), if any.
    matcher: Option<&'static str>,
    secrets: Arc<dyn secrets::SecretStore>,
    /// Where the background sync's target came from.
    sync_source: std::sync::Mutex<sync_settings::SyncSource>,
}

impl Engine {
    /// Open (creating if needed) the catalog in `config.data_dir`. Must be called
    /// inside a Tokio runtime.
    pub async fn open(config: EngineConfig) -> Result<Engine, EngineError> {
        let dir = config.data_dir.clone();
        std::fs::create_dir_all(&dir).map_err(|e| EngineError::DataDir {
            path: dir.clone(),
            reason: e.to_string(),
        })?;
        let path = dir.join(CATALOG_FILE);
        let options = config.catalog.clone();
        let catalog = tokio::task::spawn_blocking(move || Catalog::open_with(&path, options))
            .await
            .map_err(|e| EngineError::BadRequest(format!("catalog open task failed: {e}")))??;
        let (events, _) = broadcast::channel(1024);
        let (ingest_tx, ingest_rx) = mpsc::unbounded_channel();
        let ingestor = Ingestor::new(catalog.clone(), config.parallel_reads, Some(ingest_tx));
        let watcher = FolderWatcher::start(ingestor.clone(), config.watch.clone());
        let owner = owner::this_process();
        owner::recover_dead_leases(&catalog).await?;
        let mut cache = CacheConfig::new(dir.join("cache").join("renditions"));
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
            config.thumbnail_workers,
            events.clone(),
            matching::starter(&config.matching).await,
            workers::SyncSetup {
                target: sync_target.clone(),
                selfie_dir: dir.join("selfies"),
                web: config.web_rendition,
            },
        );
        tokio::spawn(forward_events(ingest_rx, events.clone(), workers.clone()));
        let engine = Engine {
            inner: Arc::new(Inner {
                data_dir: dir.clone(),
                catalog,
                ingestor,
                watcher,
                thumbs,
                workers,
                events,
                watching: AtomicBool::new(false),
                owner,
                matcher: match config.matching.resolved() {
                    MatchBackend::Local => Some("local"),
                    MatchBackend::Rekognition => Some("rekognition"),
                    MatchBackend::Auto | MatchBackend::Off => None,
                },
                secrets: config.secrets.clone(),
                sync_source: std::sync::Mutex::new(sync_source),
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

    /// Engine events (photos changed, import progress, folders changed).
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// Import files and folders in place (recursively); returns when done.
    pub async fn import(&self, paths: Vec<PathBuf>) -> Result<ImportReport, EngineError> {
        let roots = absolute_all(paths)?;
        let summary = findme_ingest::import(&self.inner.ingestor, &roots).await?;
        Ok(convert::import_report(summary))
    }

    /// Copy photos from a card (or any folder) into the library, verify each copy,
    /// catalogue the copies, and say whether the card is safe to format.
    pub async fn import_card(
        &self,
        sources: Vec<PathBuf>,
        copy: CopyOptions,
    ) -> Result<ImportReport, EngineError> {
        let sources = absolute_all(sources)?;
        let options = CardOptions {
            destination: absolute(&copy.destination)?,
            backup: copy.backup.as_deref().map(absolute).transpose()?,
            layout: copy
                .layout
                .unwrap_or_else(|| findme_ingest::card::DEFAULT_LAYOUT.to_string()),
        };
        let summary = findme_ingest::import_card(&self.inner.ingestor, &sources, &options).await?;
        Ok(convert::card_report(summary, &options))
    }

    pub async fn photos(&self, query: PhotoQuery) -> Result<PhotoPage, EngineError> {
        let limit = match query.limit {
            0 => 200,
            n => n.min(1000),
        };
        let after = query.after.map(|c| (c.taken_ms, c.id));
        let (rows, faces) = self
            .inner
            .catalog
            .read(move |r| {
                let rows = r.photos_page(after, limit, query.newest_first)?;
                let mut faces = Vec::with_capacity(rows.len());
                if let Some(event) = r.active_event()? {
                    for row in &rows {
                        faces.push(r.photo_faces(&event.id, row.id)?);
                    }
                }
                Ok((rows, faces))
            })
            .await?;
        let next = match rows.last() {
            Some(last) if rows.len() == limit as usize => Some(PhotoCursor {
                taken_ms: last.taken_ms,
                id: last.id,
            }),
            _ => None,
        };
        Ok(PhotoPage {
            photos: rows
                .into_iter()
                .zip(
                    faces
                        .into_iter()
                        .map(Some)
                        .chain(std::iter::repeat_with(|| None)),
                )
                .map(|(row, faces)| {
                    let mut dto = convert::photo_dto(row, &self.inner.thumbs);
                    dto.faces = faces
                        .unwrap_or_default()
                        .into_iter()
                        .map(convert::photo_face)
                        .collect();
                    dto
                })
                .collect(),
            next,
        })
    }

    /// Every photo, oldest capture first (the CLI's `photos --json`).
    pub async fn all_photos(&self) -> Result<Vec<PhotoDto>, EngineError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .photos(PhotoQuery {
                    after,
                    limit: 1000,
                    newest_first: false,
                })
                .await?;
            all.extend(page.photos);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Files that could not be read at all (no content hash), newest first.
    pub async fn failures(&self) -> Result<Vec<FailureDto>, EngineError> {
        let rows = self.inner.catalog.read(|r| r.read_failures(1000)).await?;
        Ok(rows
            .into_iter()
            .map(|f| FailureDto {
                path: f.path.to_string_lossy().into_owned(),
                reason: f.reason,
            })
            .collect())
    }

    pub async fn stats(&self) -> Result<Stats, EngineError> {
        let now = now_ms();
        let (counts, kinds, rekognition, outbox) = self
            .inner
            .catalog
            .read(move |r| {
                Ok((
                    r.counts()?,
                    r.queue_stats(now)?,
                    convert::rekognition_stats(r)?,
                    sync::sync_stats(r, now)?,
                ))
            })
            .await?;
        let queue = QueueCounts::total(kinds.iter().map(|k| &k.counts));
        Ok(convert::stats(counts, queue, rekognition, outbox))
    }

    /// A keyset page of gallery tiles.
    pub async fn tiles(&self, query: TileQuery) -> Result<TilePage, EngineError> {
        gallery::tiles(self, query).await
    }

    /// Tiles changed (and photos removed) since change `since` (from a page's or a
    /// previous call's `seq`).
    pub async fn tile_changes(&self, since: i64) -> Result<TileChanges, EngineError> {
        gallery::tile_changes(self, since).await
    }

    /// Everything the detail view shows for one photo.
    pub async fn photo_detail(&self, id: i64) -> Result<PhotoDetailDto, EngineError> {
        gallery::photo_detail(self, id).await
    }

    /// Queue counters per job kind and the thumbnail cache's numbers.
    pub async fn activity(&self) -> Result<ActivityDto, EngineError> {
        gallery::activity(self).await
    }

    /// The bytes of a photo's cached thumbnail or preview (JPEG), made now if
    /// missing. `sha256` comes from the webview: anything but 64 lower-case hex
    /// digits is refused before any file is touched.
    pub async fn rendition(
        &self,
        sha256: &str,
        kind: RenditionKind,
    ) -> Result<Vec<u8>, RenditionError> {
        gallery::rendition(self, sha256, kind).await
    }

    /// Run the job workers (thumbnails, matching when a face service is
    /// configured, pushing when an event server is) in this process (idempotent).
    pub fn start_workers(&self) {
        self.inner.workers.start();
    }

    /// Make every pending thumbnail and preview now, returning when none is left
    /// (the CLI's `import` waits for this).
    pub async fn make_thumbnails(&self) -> Result<(), EngineError> {
        self.inner.workers.start_thumbnails();
        self.inner.workers.wait_for_thumbnails().await?;
        Ok(())
    }

    /// Stop watchers, finish in-flight writes, release job leases, close the catalog.
    pub async fn shutdown(&self) {
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

async fn forward_events(
    mut rx: mpsc::UnboundedReceiver<IngestEvent>,
    events: broadcast::Sender<EngineEvent>,
    workers: workers::Workers,
) {
    while let Some(event) = rx.recv().await {
        let event = match event {
            IngestEvent::CatalogChanged => {
                // New photos bring new jobs.
                workers.wake();
                EngineEvent::PhotosChanged
            }
            IngestEvent::Progress { done, total } => EngineEvent::ImportProgress { done, total },
            IngestEvent::FolderStatusChanged => EngineEvent::FoldersChanged,
        };
        // No subscribers is fine (the CLI rarely listens).
        let _ = events.send(event);
    }
}

/// Make a user-supplied path absolute (relative to the working directory) so the
/// catalog never stores paths that depend on where a command ran.
fn absolute(path: &Path) -> Result<PathBuf, EngineError> {
    std::path::absolute(path)
        .map_err(|e| EngineError::BadRequest(format!("bad path {}: {e}", path.display())))
}

fn absolute_all(paths: Vec<PathBuf>) -> Result<Vec<PathBuf>, EngineError> {
    paths.iter().map(|p| absolute(p)).collect()
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The app's identifier (tauri.conf.json); the default data folder is named after it
/// so the desktop app and the CLI share one catalog.
pub const APP_IDENTIFIER: &str = "studio.findme.app";

/// `$XDG_DATA_HOME/<identifier>` (or `~/.local/share/<identifier>`; the platform
/// equivalent elsewhere), the same folder Tauri's `app_data_dir()` names.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join(APP_IDENTIFIER));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    let base = if cfg!(target_os = "macos") {
        PathBuf::from(home).join("Library/Application Support")
    } else {
        PathBuf::from(home).join(".local/share")
    };
    Some(base.join(APP_IDENTIFIER))
}
