//! The reference FindMe event server: protocol v1 (`findme-protocol`,
//! `docs/api/openapi.yaml`) over axum, on SQLite (WAL) and a folder of
//! content-addressed images (embedded), or PostgreSQL and S3-compatible storage
//! shared by several instances ([`store`]). See `docs/event-server.md`.
//!
//! Tests and embedders run it in-process: bind a `TcpListener` (e.g. on
//! `127.0.0.1:0`), then `serve(listener, config)`; manage events and participants
//! with [`Admin`] on the same data directory. For HTTPS, [`TlsFiles::load`] then
//! [`serve_tls_with_shutdown`]. Every mode serves with `ConnectInfo<SocketAddr>`
//! ([`serve_router`]), so handlers can extract the client's address.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;

pub mod admin;
mod api;
mod attendee;
pub mod auth;
pub mod card;
pub mod db;
mod error;
mod extract;
pub mod files;
mod grid;
pub mod guest;
pub mod photos;
mod rate_buckets;
pub mod registration;
mod registration_api;
pub mod removal;
pub mod retention;
pub mod roster;
mod serve;
pub mod store;
pub mod tokens;
mod upload;

pub use admin::{Admin, AdminError, CreatedEvent, NewParticipant};
pub use attendee::escape_html;
pub use findme_protocol as protocol;
pub use serve::{serve_router, TlsConfig, TlsFiles};

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where metadata and images are kept (the data directory's SQLite file and
    /// folder by default).
    pub store: store::StoreConfig,
    /// Largest accepted image body (413 above).
    pub max_image_bytes: usize,
    /// Largest accepted JSON body (413 above).
    pub max_json_bytes: usize,
    /// Guest registrations per minute per client address (burst: a third).
    pub registrations_per_minute: u32,
    /// Personal-link exchanges and unknown session cookies per minute per address.
    pub lookups_per_minute: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the guest's address (for the
    /// rate limits); from any other peer the header is ignored.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Participants per roster page (the protocol's 500 by default; tests use a
    /// few to pull a roster over many pages).
    pub roster_page_limit: usize,
}

impl ServerConfig {
    /// Defaults: 25 MB images, 1 MB JSON.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self::with_store(store::StoreConfig::local(data_dir))
    }

    /// Defaults on the given stores.
    pub fn with_store(store: store::StoreConfig) -> Self {
        Self {
            store,
            max_image_bytes: findme_protocol::DEFAULT_MAX_IMAGE_BYTES,
            max_json_bytes: findme_protocol::MAX_JSON_BYTES,
            registrations_per_minute: 30,
            lookups_per_minute: 120,
            trusted_proxies: Vec::new(),
            roster_page_limit: findme_protocol::ROSTER_PAGE_LIMIT,
        }
    }
}

/// The database file inside a data directory.
pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("event-server.sqlite3")
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error(
        "a data directory (--data-dir) is needed unless both --database and --storage are given"
    )]
    NoDataDir,
    #[error("image storage: {0}")]
    Storage(std::io::Error),
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
    #[error("TLS: {0}")]
    Tls(String),
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) meta: store::Meta,
    pub(crate) images: store::Images,
    pub(crate) config: Arc<ServerConfig>,
    pub(crate) guest_limits: Arc<guest::limit::GuestLimits>,
}

/// Opens the stores and builds the router.
pub async fn app(config: ServerConfig) -> Result<axum::Router, ServerError> {
    let (meta, images) = open_stores(&config.store).await?;
    spawn_retention(meta.clone(), images.clone());
    let guest_limits = Arc::new(guest::limit::GuestLimits::new(
        config.registrations_per_minute,
        config.lookups_per_minute,
    ));
    Ok(api::router(AppState {
        meta,
        images,
        config: Arc::new(config),
        guest_limits,
    }))
}

/// Deletes what the retention of closed events says must go: at start, then
/// hourly. With several instances each runs it; a removal is one transaction, so
/// two sweeps at once remove each participant once.
fn spawn_retention(meta: store::Meta, images: store::Images) {
    tokio::spawn(async move {
        let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            hourly.tick().await;
            if let Err(e) = retention::purge_expired(&meta, &images, db::now_ms()).await {
                tracing::error!(error = %e, "retention purge failed; retrying in an hour");
            }
        }
    });
}

/// Opens (creating the data directory, and migrating) the configured stores.
pub async fn open_stores(
    config: &store::StoreConfig,
) -> Result<(store::Meta, store::Images), ServerError> {
    let data_dir = || -> Result<&Path, ServerError> {
        let dir = config.data_dir.as_deref().ok_or(ServerError::NoDataDir)?;
        std::fs::create_dir_all(dir).map_err(|source| ServerError::DataDir {
            path: dir.to_path_buf(),
            source,
        })?;
        Ok(dir)
    };
    let images = match &config.storage {
        Some(url) => store::Images::S3(
            store::images::S3Images::open(url, &config.s3).map_err(ServerError::Storage)?,
        ),
        None => {
            let dir = data_dir()?;
            let folder = files::ImageStore::open(dir).map_err(|source| ServerError::DataDir {
                path: dir.to_path_buf(),
                source,
            })?;
            store::Images::Folder(folder)
        }
    };
    let meta = match &config.database {
        Some(url) => store::Meta::Postgres(store::pg::PgMeta::connect(url).await?),
        None => {
            let path = db_path(data_dir()?);
            let db = tokio::task::spawn_blocking(move || db::Db::open(&path))
                .await
                .map_err(|e| ServerError::Io(std::io::Error::other(e.to_string())))??;
            store::Meta::Sqlite(db)
        }
    };
    Ok((meta, images))
}

/// Serves until the listener fails.
pub async fn serve(listener: TcpListener, config: ServerConfig) -> Result<(), ServerError> {
    serve_with_shutdown(listener, config, std::future::pending()).await
}

/// Serves plain HTTP until `shutdown` completes, then finishes in-flight requests.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    serve_inner(listener, config, None, shutdown).await
}

/// Serves HTTPS itself (rustls) until `shutdown` completes, then finishes
/// in-flight requests. Load the files first with [`TlsFiles::load`], so a bad
/// certificate is reported before anything listens.
pub async fn serve_tls_with_shutdown(
    listener: TcpListener,
    config: ServerConfig,
    tls: TlsConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    serve_inner(listener, config, Some(tls), shutdown).await
}

async fn serve_inner(
    listener: TcpListener,
    config: ServerConfig,
    tls: Option<TlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let router = app(config).await?;
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, tls = tls.is_some(), "event server listening");
    }
    serve_router(listener, router, tls, shutdown).await
}
