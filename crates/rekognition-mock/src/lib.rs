//! A local stand-in for AWS Rekognition, for FindMe Studio's tests.
//!
//! AWS cannot run here, so this server speaks Rekognition's real wire protocol (AWS JSON
//! 1.1, as the Rust SDK sends it), "detects" the synthetic faces of [`synth`] (a face is a
//! palette-coloured square and the colour is the person, which survives resizing and JPEG
//! re-encoding), and can misbehave on demand ([`MockConfig`]: latency, a TPS quota,
//! random throttles, 5xx, stalls, credential rejection).
//!
//! ```no_run
//! # async fn demo() {
//! let server = findme_rekognition_mock::start(Default::default()).await;
//! // point the SDK at it: endpoint_url(server.endpoint()) or
//! // AWS_ENDPOINT_URL_REKOGNITION=<endpoint>
//! let _ = server.endpoint();
//! server.shutdown().await;
//! # }
//! ```

pub mod detect;
pub mod error;
pub mod knobs;
pub mod model;
mod ops;
mod protocol;
mod store;
pub mod synth;
mod users;
mod validate;

pub use error::{ApiError, ErrorKind};
pub use knobs::{CredentialRejection, MockConfig, Stats, DEFAULT_MAX_IMAGE_BYTES};
pub use model::{BoundingBox, StoredFace};
pub use ops::OPERATIONS;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The face model version reported everywhere (AWS's current one).
pub const FACE_MODEL_VERSION: &str = "7.0";

/// Shared server state.
pub(crate) struct App {
    pub knobs: knobs::Knobs,
    pub store: store::Store,
    pub closing: watch::Receiver<bool>,
    request_seq: AtomicU64,
}

impl App {
    /// A request id in UUID form (`x-amzn-RequestId`, `Logref`).
    pub fn next_request_id(&self) -> String {
        let n = self.request_seq.fetch_add(1, Ordering::Relaxed) + 1;
        format!("00000000-0000-4000-8000-{n:012x}")
    }

    pub fn stats(&self) -> Stats {
        let mut s = self.knobs.stats();
        s.faces_per_collection = self.store.face_counts();
        s
    }
}

/// A running mock server. Dropping it stops the server abruptly; prefer [`shutdown`].
///
/// [`shutdown`]: MockServer::shutdown
pub struct MockServer {
    addr: SocketAddr,
    app: Arc<App>,
    closing: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// Starts a server on `127.0.0.1:0` (a free port).
///
/// # Panics
/// If no loopback port can be bound (see [`try_start`] for the fallible form).
pub async fn start(config: MockConfig) -> MockServer {
    match try_start(config, SocketAddr::from(([127, 0, 0, 1], 0))).await {
        Ok(s) => s,
        Err(e) => panic!("rekognition mock: cannot bind 127.0.0.1:0: {e}"),
    }
}

/// Starts a server on `addr`.
pub async fn try_start(config: MockConfig, addr: SocketAddr) -> std::io::Result<MockServer> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (closing, closing_rx) = watch::channel(false);
    let app = Arc::new(App {
        store: store::Store::new(config.seed),
        knobs: knobs::Knobs::new(config),
        closing: closing_rx.clone(),
        request_seq: AtomicU64::new(0),
    });
    let router = protocol::router(app.clone());
    let mut stop = closing_rx;
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stop.wait_for(|c| *c).await;
        });
        if let Err(e) = serve.await {
            tracing::error!(error = %e, "rekognition mock server failed");
        }
    });
    tracing::info!(%addr, "rekognition mock listening");
    Ok(MockServer {
        addr,
        app,
        closing,
        task: Some(task),
    })
}

impl MockServer {
    /// `http://127.0.0.1:PORT`, for `endpoint_url` / `AWS_ENDPOINT_URL_REKOGNITION`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Call counts, throttles, injected errors, faces per collection.
    pub fn stats(&self) -> Stats {
        self.app.stats()
    }

    pub fn reset_stats(&self) {
        self.app.knobs.reset_stats();
    }

    pub fn config(&self) -> MockConfig {
        self.app.knobs.config()
    }

    /// Replaces the whole config; takes effect for the next call.
    pub fn set_config(&self, config: MockConfig) {
        self.app.knobs.set_config(config);
    }

    /// Changes some knobs: `server.update_config(|c| c.tps = 5.0)`.
    pub fn update_config(&self, f: impl FnOnce(&mut MockConfig)) {
        let mut c = self.config();
        f(&mut c);
        self.set_config(c);
    }

    /// The faces of a collection in indexing order (empty if it does not exist). Each
    /// carries the `person` the mock detected, for ground-truth assertions.
    pub fn collection_faces(&self, collection_id: &str) -> Vec<StoredFace> {
        self.app.store.faces(collection_id)
    }

    /// Existing collection ids.
    pub fn collections(&self) -> Vec<String> {
        self.app.store.face_counts().into_keys().collect()
    }

    /// Stops accepting, lets in-flight calls finish (stalls and latency are cut short),
    /// and waits for the server task (at most 5 s, then aborts it).
    pub async fn shutdown(mut self) {
        let _ = self.closing.send(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        let _ = self.closing.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
