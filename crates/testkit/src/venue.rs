//! The sync tests' shared venue: the REAL reference event server in-process on
//! 127.0.0.1, and an engine that matches with the Rekognition mock.

use std::path::Path;
use std::time::Duration;

use findme_engine::{Engine, EngineConfig, MatchBackend, SyncTarget};
use findme_event_server::{serve_with_shutdown, ServerConfig};
use findme_rekognition_mock::synth::SynthFace;
use findme_rekognition_mock::MockServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The reference server on `listener` over the data folder `data`, stopped
/// when the returned sender is dropped or sent to.
pub fn serve(listener: TcpListener, data: &Path) -> oneshot::Sender<()> {
    let (stop, stopped) = oneshot::channel::<()>();
    let config = ServerConfig::new(data);
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        serve_with_shutdown(listener, config, shutdown)
            .await
            .expect("event server");
    });
    stop
}

/// [`serve`] on a fresh port: (base URL, stop).
pub async fn serve_on_any_port(data: &Path) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    (base, serve(listener, data))
}

/// An engine in `data` matching with the Rekognition mock (2 workers, 1 s
/// latency bound), syncing in the background with `target` if given.
pub async fn engine_with_mock(
    data: &Path,
    mock: &MockServer,
    target: Option<SyncTarget>,
) -> Engine {
    let config = mock_config(data, mock, target);
    Engine::open(config).await.expect("engine")
}

/// The configuration [`engine_with_mock`] opens, to adjust before opening.
pub fn mock_config(data: &Path, mock: &MockServer, target: Option<SyncTarget>) -> EngineConfig {
    let mut config = EngineConfig::new(data);
    config.sync = target;
    config.matching.backend = MatchBackend::Rekognition;
    config.matching.rekognition.endpoint = Some(mock.endpoint());
    config.matching.rekognition.region = Some("us-east-1".into());
    config.matching.rekognition.static_credentials = Some(("test".into(), "test".into()));
    config.matching.workers = Some(2);
    config.matching.latency_bound = Duration::from_secs(1);
    config
}

/// A synthetic face of `person` at `left` px (the mock recognises it).
pub fn face(person: usize, left: u32) -> SynthFace {
    SynthFace {
        person,
        left,
        top: 150,
        size: 180,
    }
}
