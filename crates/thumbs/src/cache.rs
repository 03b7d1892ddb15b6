//! Files on disk, their index rows, single-flight rebuilds and LRU eviction.

use std::collections::HashMap;
use std::io::{ErrorKind, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use findme_catalog::{now_ms, Catalog, CatalogError};
use findme_media::{render, Format, RenderError, RenditionRequest};
use tokio::sync::Semaphore;

use findme_keys::PhotoKey;
pub use findme_keys::RenditionKind;

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub dir: PathBuf,
    /// Past this many bytes the least recently used files are deleted.
    pub limit_bytes: u64,
    pub thumb_edge: u32,
    pub preview_edge: u32,
    pub quality: u8,
    /// Renders at once (each decodes a full photo; one per core at most).
    pub parallel_renders: usize,
}

impl CacheConfig {
    pub fn new(dir: PathBuf) -> CacheConfig {
        CacheConfig {
            dir,
            limit_bytes: 5 << 30,
            thumb_edge: 320,
            preview_edge: 2048,
            quality: 85,
            parallel_renders: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    #[error("no such photo")]
    UnknownPhoto,
    /// No picture can be made of this photo (readable reason).
    #[error("no preview: {0}")]
    NoPreview(String),
    /// The photo is damaged (readable reason).
    #[error("{0}")]
    Corrupt(String),
    /// No file with these bytes can be read right now (card removed, file deleted).
    #[error("the original file is not available ({0})")]
    SourceMissing(String),
    #[error("thumbnail cache: {0}")]
    Io(String),
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Cheap to clone.
#[derive(Clone)]
pub struct ThumbnailCache {
    inner: Arc<Inner>,
}

struct Inner {
    catalog: Catalog,
    config: CacheConfig,
    /// One rebuild per photo at a time; later askers wait for it.
    in_flight: Mutex<HashMap<PhotoKey, Arc<tokio::sync::Mutex<()>>>>,
    render_slots: Semaphore,
    hits: AtomicU64,
    misses: AtomicU64,
    /// Decodes that made a photo's renditions (what single-flight keeps at one).
    renders: AtomicU64,
    /// Uses not yet written to the LRU index.
    used: Mutex<Vec<(String, String, i64)>>,
}

/// Uses are written to the index in batches of this size (and at flush).
const USAGE_BATCH: usize = 256;

impl ThumbnailCache {
    pub fn new(catalog: Catalog, config: CacheConfig) -> ThumbnailCache {
        let slots = config.parallel_renders.max(1);
        ThumbnailCache {
            inner: Arc::new(Inner {
                catalog,
                config,
                in_flight: Mutex::new(HashMap::new()),
                render_slots: Semaphore::new(slots),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                renders: AtomicU64::new(0),
                used: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// Where a rendition lives: built only from a [`PhotoKey`], so only ever a
    /// name of 64 hex digits under the cache folder.
    pub fn path_of(&self, key: &PhotoKey, kind: RenditionKind) -> PathBuf {
        self.inner
            .config
            .dir
            .join(key.prefix(2))
            .join(format!("{key}.{}.jpg", kind.as_str()))
    }

    /// (hits, misses) of [`ThumbnailCache::read`] since start.
    pub fn counters(&self) -> (u64, u64) {
        (
            self.inner.hits.load(Ordering::Relaxed),
            self.inner.misses.load(Ordering::Relaxed),
        )
    }

    /// Renders (one decode making both renditions of a photo) since start, on
    /// demand and in the background.
    pub fn renders(&self) -> u64 {
        self.inner.renders.load(Ordering::Relaxed)
    }

    /// The rendition's bytes, made now if it is not cached.
    pub async fn read(
        &self,
        sha256: &PhotoKey,
        kind: RenditionKind,
    ) -> Result<Vec<u8>, ThumbError> {
        let path = self.path_of(sha256, kind);
        if let Some(bytes) = read_cached(&path).await? {
            self.inner.hits.fetch_add(1, Ordering::Relaxed);
            self.note_use(sha256, kind).await;
            return Ok(bytes);
        }
        self.inner.misses.fetch_add(1, Ordering::Relaxed);
        self.ensure(sha256).await?;
        read_cached(&path)
            .await?
            .ok_or_else(|| ThumbError::Io(format!("{} vanished after it was made", path.display())))
    }

    /// Make both renditions of a photo unless both are cached.
    pub async fn ensure(&self, sha256: &PhotoKey) -> Result<(), ThumbError> {
        let lock = {
            let mut map = self
                .inner
                .in_flight
                .lock()
                .map_err(|_| ThumbError::Io("lock poisoned".into()))?;
            map.entry(sha256.clone()).or_default().clone()
        };
        let result = {
            let _guard = lock.lock().await;
            self.ensure_locked(sha256).await
        };
        if let Ok(mut map) = self.inner.in_flight.lock() {
            if Arc::strong_count(&lock) <= 2 {
                map.remove(sha256);
            }
        }
        result
    }

    async fn ensure_locked(&self, sha256: &PhotoKey) -> Result<(), ThumbError> {
        let all_there = RenditionKind::ALL
            .iter()
            .all(|k| self.path_of(sha256, *k).is_file());
        let key = sha256.to_string();
        let indexed =
            self.inner
                .catalog
                .read(move |r| {
                    Ok(r.rendition(&key, "thumb")?.is_some()
                        && r.rendition(&key, "preview")?.is_some())
                })
                .await?;
        if all_there && indexed {
            return Ok(());
        }
        let key = sha256.to_string();
        let (format, paths) = self
            .inner
            .catalog
            .read(move |r| r.sources_of(&key))
            .await?
            .ok_or(ThumbError::UnknownPhoto)?;
        let format = Format::from_name(&format)
            .ok_or_else(|| ThumbError::Corrupt(format!("unknown format {format}")))?;
        let _slot = self
            .inner
            .render_slots
            .acquire()
            .await
            .map_err(|_| ThumbError::Io("shutting down".into()))?;
        let config = self.inner.config.clone();
        self.inner.renders.fetch_add(1, Ordering::Relaxed);
        let made = tokio::task::spawn_blocking(move || render_from_any(&paths, format, &config))
            .await
            .map_err(|e| ThumbError::Io(format!("render task failed: {e}")))??;
        self.store(sha256, made).await
    }

    async fn store(
        &self,
        sha256: &PhotoKey,
        made: Vec<(RenditionKind, findme_media::Rendition)>,
    ) -> Result<(), ThumbError> {
        let mut rows = Vec::new();
        for (kind, rendition) in made {
            let path = self.path_of(sha256, kind);
            let bytes = rendition.jpeg;
            let (w, h) = (rendition.width, rendition.height);
            let len = bytes.len() as u64;
            tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
                .await
                .map_err(|e| ThumbError::Io(e.to_string()))??;
            rows.push((kind.as_str(), len, w, h));
        }
        let key = sha256.to_string();
        let limit = self.inner.config.limit_bytes;
        let evicted = self
            .inner
            .catalog
            .write(move |w| {
                for (kind, len, width, height) in &rows {
                    w.put_rendition(&key, kind, *len, *width, *height)?;
                }
                w.evict_renditions(limit)
            })
            .await?;
        for (sha, kind) in evicted {
            let (Ok(key), Ok(kind)) = (PhotoKey::parse(&sha), kind.parse::<RenditionKind>()) else {
                tracing::warn!(sha, kind, "evicted an index row that names no cache file");
                continue;
            };
            let path = self.path_of(&key, kind);
            if let Err(e) = std::fs::remove_file(&path) {
                if e.kind() != ErrorKind::NotFound {
                    tracing::warn!(path = %path.display(), error = %e, "cannot delete evicted rendition");
                }
            }
        }
        Ok(())
    }

    async fn note_use(&self, sha256: &PhotoKey, kind: RenditionKind) {
        let batch = {
            let Ok(mut used) = self.inner.used.lock() else {
                return;
            };
            used.push((sha256.to_string(), kind.as_str().to_string(), now_ms()));
            if used.len() < USAGE_BATCH {
                return;
            }
            std::mem::take(&mut *used)
        };
        self.write_uses(batch).await;
    }

    /// Write pending LRU uses to the index (call at shutdown).
    pub async fn flush_usage(&self) {
        let batch = match self.inner.used.lock() {
            Ok(mut used) => std::mem::take(&mut *used),
            Err(_) => return,
        };
        if !batch.is_empty() {
            self.write_uses(batch).await;
        }
    }

    async fn write_uses(&self, batch: Vec<(String, String, i64)>) {
        if let Err(e) = self
            .inner
            .catalog
            .write(move |w| w.touch_renditions(&batch))
            .await
        {
            tracing::debug!(error = %e, "could not record thumbnail use");
        }
    }
}

/// Render from the first location that can be read; every location holds the
/// same bytes, so any will do (a card may have been removed since import).
fn render_from_any(
    paths: &[PathBuf],
    format: Format,
    config: &CacheConfig,
) -> Result<Vec<(RenditionKind, findme_media::Rendition)>, ThumbError> {
    let requests = [
        RenditionRequest {
            long_edge: config.thumb_edge,
            quality: config.quality,
        },
        RenditionRequest {
            long_edge: config.preview_edge,
            quality: config.quality,
        },
    ];
    let mut last_missing = "no file is known for it".to_string();
    for path in paths {
        match render(path, format, &requests) {
            Ok(made) => {
                let mut outputs = made.outputs.into_iter();
                let (Some(thumb), Some(preview)) = (outputs.next(), outputs.next()) else {
                    return Err(ThumbError::Io(
                        "the renderer returned too few pictures".into(),
                    ));
                };
                return Ok(vec![
                    (RenditionKind::Thumb, thumb),
                    (RenditionKind::Preview, preview),
                ]);
            }
            Err(RenderError::Io(e)) if e.kind() == ErrorKind::NotFound => {
                last_missing = format!("{} is gone", path.display());
            }
            Err(RenderError::Io(e)) => last_missing = format!("{}: {e}", path.display()),
            Err(RenderError::NoPreview(reason)) => return Err(ThumbError::NoPreview(reason)),
            Err(RenderError::Corrupt(reason)) | Err(RenderError::TooLarge(reason)) => {
                return Err(ThumbError::Corrupt(reason))
            }
        }
    }
    Err(ThumbError::SourceMissing(last_missing))
}

/// Read a cached file without following symlinks: the cache only ever holds
/// regular files we wrote, so anything else is refused.
async fn read_cached(path: &Path) -> Result<Option<Vec<u8>>, ThumbError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
        match options.open(&path) {
            Ok(mut file) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes)
                    .map_err(|e| ThumbError::Io(format!("{}: {e}", path.display())))?;
                Ok(Some(bytes))
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            // Something that is not our file sits where a rendition belongs (a
            // symlink): remove the link itself and rebuild.
            #[cfg(unix)]
            Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                tracing::warn!(path = %path.display(), "replacing a symlink in the thumbnail cache");
                std::fs::remove_file(&path).map_err(|e| ThumbError::Io(format!("{}: {e}", path.display())))?;
                Ok(None)
            }
            Err(e) => Err(ThumbError::Io(format!("{}: {e}", path.display()))),
        }
    })
    .await
    .map_err(|e| ThumbError::Io(e.to_string()))?
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ThumbError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| ThumbError::Io(format!("{}: {e}", dir.display())))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temp, bytes)
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            ThumbError::Io(format!("{}: {e}", path.display()))
        })
}
