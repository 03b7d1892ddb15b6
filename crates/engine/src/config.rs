//! How an engine is set up: plain data with defaults ([`EngineConfig::new`]), and
//! the one place that reads the process environment ([`EngineConfig::from_env`],
//! [`DataDir::from_env`]), which only the binaries call. A test, a benchmark or a
//! library user gets exactly what it wrote, whatever the shell around it has set.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use findme_catalog::CatalogOptions;
use findme_ingest::WatchConfig;
use findme_keys::EventId;
use findme_sync::{Token, WebRendition};

use crate::matching::{MatchBackend, MatchSettings};
use crate::secrets::{OsKeyring, SecretStore};
use crate::sync::SyncTarget;

/// The app's identifier (tauri.conf.json); the default data folder is named after it
/// so the desktop app and the CLI share one catalog.
pub const APP_IDENTIFIER: &str = "studio.findme.app";

/// Overrides the data folder (tests, several libraries side by side).
pub const DATA_DIR_VAR: &str = "FINDME_DATA_DIR";

/// The data folder and what lives where inside it. Everything the engine writes
/// is under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> DataDir {
        DataDir { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite catalog.
    pub fn catalog(&self) -> PathBuf {
        self.root.join("catalog.sqlite")
    }

    /// Participants' selfies, by content hash.
    pub fn selfies(&self) -> PathBuf {
        self.root.join("selfies")
    }

    /// The thumbnail and preview cache (disposable).
    pub fn renditions(&self) -> PathBuf {
        self.root.join("cache").join("renditions")
    }

    /// Printable registration cards fetched from the event server.
    pub fn cards(&self) -> PathBuf {
        self.root.join("cards")
    }

    /// Where photos sent by cameras over FTP land when no library folder is set.
    pub fn live(&self) -> PathBuf {
        self.root.join("live")
    }

    /// The FTP receiver's generated TLS certificate (explicit FTPS).
    pub fn ftp_tls(&self) -> PathBuf {
        self.root.join("ftp-tls")
    }

    /// Where the on-device face model is looked for by default.
    pub fn models(&self) -> PathBuf {
        self.root.join("models")
    }

    /// `FINDME_DATA_DIR`, else the platform's folder for app data named after
    /// [`APP_IDENTIFIER`] (the folder Tauri's `app_data_dir()` names): Linux
    /// `$XDG_DATA_HOME/<id>` or `~/.local/share/<id>`, macOS
    /// `~/Library/Application Support/<id>`, Windows `%APPDATA%\<id>`. For the
    /// binaries only.
    pub fn from_env() -> Option<DataDir> {
        DataDir::from_vars(&|name: &str| std::env::var_os(name))
    }

    /// [`DataDir::from_env`] over any variable source, for a given platform.
    pub fn from_vars(get: &dyn Fn(&str) -> Option<OsString>) -> Option<DataDir> {
        let set = |name: &str| get(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(dir) = set(DATA_DIR_VAR) {
            return Some(DataDir::new(dir));
        }
        let base = if cfg!(windows) {
            set("APPDATA")?
        } else if cfg!(target_os = "macos") {
            set("HOME")?.join("Library/Application Support")
        } else {
            match set("XDG_DATA_HOME") {
                Some(dir) => dir,
                None => set("HOME")?.join(".local/share"),
            }
        };
        Some(DataDir::new(base.join(APP_IDENTIFIER)))
    }
}

/// Where the engine keeps its state, and how ingest behaves.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Holds the catalog, the selfies and the thumbnail cache.
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
    /// Thumbnail workers when the caller waits for them and nothing else runs
    /// (`findme import`; default: one per core, the render limit). A pool already
    /// running in the background keeps its size.
    pub waited_thumbnail_workers: usize,
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
    pub secrets: Arc<dyn SecretStore>,
    /// Size and quality of the web renditions pushed to the event server.
    pub web_rendition: WebRendition,
}

impl EngineConfig {
    /// The defaults for a data folder. Reads nothing from the environment.
    pub fn new(data_dir: impl Into<PathBuf>) -> EngineConfig {
        let data = DataDir::new(data_dir);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        EngineConfig {
            watch: WatchConfig::default(),
            parallel_reads: cores,
            catalog: CatalogOptions::default(),
            cache_limit_bytes: 5 << 30,
            // Leave a core for ingest and the UI.
            thumbnail_workers: cores.div_ceil(2),
            waited_thumbnail_workers: cores,
            matching: MatchSettings::new(data.models()),
            sync: None,
            resume_saved_sync: false,
            secrets: Arc::new(OsKeyring),
            web_rendition: WebRendition::default(),
            data_dir: data.root,
        }
    }

    /// [`EngineConfig::new`] with the environment's settings. Only the binaries
    /// call this (README, "Environment"):
    /// - `FINDME_MATCH_BACKEND` (auto, local, rekognition, off), `PHOTO_QUEUE_WORKERS`;
    /// - an AWS configuration (`AWS_*` variables or `~/.aws` files) makes `auto`
    ///   pick Rekognition; `AWS_CONCURRENT_REQUESTS`, `FINDME_REKOGNITION_TPS`;
    /// - `FINDME_MODELS_DIR`, `FINDME_MIN_FACE_PX` for the on-device model;
    /// - `FINDME_SERVER_URL` + `FINDME_SYNC_EVENT` + `FINDME_TOKEN`: all three
    ///   start the background sync (an event id that breaks the id rule is ignored
    ///   with a warning);
    /// - `FINDME_WEB_LONG_EDGE`, `FINDME_WEB_QUALITY` for the pushed renditions.
    pub fn from_env(data_dir: impl Into<PathBuf>) -> EngineConfig {
        EngineConfig::from_vars(data_dir, &|name: &str| std::env::var_os(name))
    }

    /// [`EngineConfig::from_env`] over any variable source.
    pub fn from_vars(
        data_dir: impl Into<PathBuf>,
        get: &dyn Fn(&str) -> Option<OsString>,
    ) -> EngineConfig {
        let text = |name: &str| {
            get(name)
                .and_then(|v| v.into_string().ok())
                .filter(|v| !v.trim().is_empty())
        };
        let mut config = EngineConfig::new(data_dir);
        let matching = &mut config.matching;
        if let Some(backend) = text("FINDME_MATCH_BACKEND") {
            match MatchBackend::parse(&backend) {
                Some(backend) => matching.backend = backend,
                None => {
                    tracing::warn!(%backend, "ignoring FINDME_MATCH_BACKEND: use auto, local, rekognition or off")
                }
            }
        }
        if let Some(workers) = text("PHOTO_QUEUE_WORKERS") {
            match workers.trim().parse::<usize>() {
                Ok(n) if n > 0 => matching.workers = Some(n),
                _ => {
                    tracing::warn!(%workers, "ignoring PHOTO_QUEUE_WORKERS: not a positive whole number")
                }
            }
        }
        matching.aws_configured = findme_faces::rekognition::aws_configured_in(get);
        matching.rekognition = findme_faces::rekognition::RekognitionConfig::from_vars(text);
        if let Some(dir) = text("FINDME_MODELS_DIR") {
            matching.local.models_dir = PathBuf::from(dir);
        }
        if let Some(px) = text("FINDME_MIN_FACE_PX") {
            match px.trim().parse::<u32>() {
                Ok(px) => matching.local.analyze.min_face_px = px,
                Err(_) => tracing::warn!(%px, "ignoring FINDME_MIN_FACE_PX: not a whole number"),
            }
        }
        config.sync = sync_target(text);
        config.web_rendition = WebRendition::from_vars(text);
        config
    }
}

/// The background sync target the environment names, if it names all of it.
fn sync_target(text: impl Fn(&str) -> Option<String>) -> Option<SyncTarget> {
    let (server, event, token) = (
        text("FINDME_SERVER_URL")?,
        text("FINDME_SYNC_EVENT")?,
        text("FINDME_TOKEN")?,
    );
    match EventId::parse(event.trim()) {
        Ok(event) => Some(SyncTarget {
            server,
            event,
            token: Token::new(token),
        }),
        Err(e) => {
            tracing::warn!(error = %e, "ignoring FINDME_SYNC_EVENT");
            None
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

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, OsString)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn the_data_folder_follows_the_platform_unless_overridden() {
        let data = DataDir::from_vars(&vars(&[("HOME", "/home/ana")])).expect("a folder");
        if cfg!(target_os = "linux") {
            assert_eq!(
                data.root(),
                Path::new("/home/ana/.local/share/studio.findme.app")
            );
            let xdg = DataDir::from_vars(&vars(&[("HOME", "/home/ana"), ("XDG_DATA_HOME", "/x")]));
            assert_eq!(
                xdg.expect("a folder").root(),
                Path::new("/x/studio.findme.app")
            );
        }
        let set = DataDir::from_vars(&vars(&[("HOME", "/home/ana"), (DATA_DIR_VAR, "/d")]));
        assert_eq!(
            set.expect("a folder").catalog(),
            Path::new("/d/catalog.sqlite")
        );
        assert_eq!(DataDir::from_vars(&vars(&[])), None);
    }

    #[test]
    fn the_environment_is_read_only_by_from_vars() {
        let env = vars(&[
            ("FINDME_MATCH_BACKEND", "rekognition"),
            ("PHOTO_QUEUE_WORKERS", "7"),
            ("FINDME_MODELS_DIR", "/models"),
            ("FINDME_MIN_FACE_PX", "60"),
            ("FINDME_SERVER_URL", "https://events.example.com"),
            ("FINDME_SYNC_EVENT", "gala"),
            ("FINDME_TOKEN", "fm_secret"),
            ("FINDME_WEB_LONG_EDGE", "1024"),
            ("AWS_ACCESS_KEY_ID", "AKIA"),
        ]);
        let read = EngineConfig::from_vars("/data", &env);
        assert_eq!(read.matching.backend, MatchBackend::Rekognition);
        assert_eq!(read.matching.workers, Some(7));
        assert!(read.matching.aws_configured);
        assert_eq!(read.matching.local.models_dir, Path::new("/models"));
        assert_eq!(read.matching.local.analyze.min_face_px, 60);
        let sync = read.sync.expect("all three sync variables are set");
        assert_eq!(sync.event.as_str(), "gala");
        assert_eq!(read.web_rendition.long_edge, 1024);

        let plain = EngineConfig::new("/data");
        assert_eq!(plain.matching.resolved(), MatchBackend::Local);
        assert!(plain.sync.is_none());
        assert_eq!(plain.matching.local.models_dir, Path::new("/data/models"));
        assert_eq!(
            plain.web_rendition.long_edge,
            WebRendition::default().long_edge
        );
    }

    #[test]
    fn a_sync_event_the_server_would_refuse_starts_no_sync() {
        let env = vars(&[
            ("FINDME_SERVER_URL", "https://events.example.com"),
            ("FINDME_SYNC_EVENT", "gala.2026"),
            ("FINDME_TOKEN", "fm_secret"),
        ]);
        assert!(EngineConfig::from_vars("/data", &env).sync.is_none());
    }
}
