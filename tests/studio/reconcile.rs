//! Reconnecting to an event server makes the catalog's sent state true of that
//! server (issue 15): a server restored from an old backup gets back the
//! photos it lost, and an event pointed at another server sends its photos
//! there. Both with the REAL reference server on 127.0.0.1.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use findme_engine::{Engine, EngineNotice, SyncTarget, Token};
use findme_event_server::{serve_with_shutdown, Admin, ServerConfig};
use findme_protocol::EventClient;
use findme_rekognition_mock::MockConfig;
use findme_testkit::ev;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::deletions::{card, matched_gala};
use crate::support::venue::{engine_with_mock, serve_on_any_port};

/// The reference server on a fixed address, stopped the hard way.
struct Server(JoinHandle<()>);

impl Server {
    async fn start(addr: SocketAddr, data: &Path) -> Server {
        let listener = TcpListener::bind(addr).await.expect("server port");
        let config = ServerConfig::new(data);
        Server(tokio::spawn(async move {
            serve_with_shutdown(listener, config, std::future::pending())
                .await
                .expect("event server");
        }))
    }

    async fn stop(self) {
        self.0.abort();
        let _ = self.0.await;
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A server data folder with the gala event; its photographer token.
fn server_with_gala(data: &Path) -> String {
    Admin::open(data)
        .unwrap()
        .create_event("Gala", Some("gala"))
        .unwrap()
        .photographer_token
}

async fn shown(base: &str, token: &str) -> u64 {
    let client = EventClient::new(base, Token::new(token)).unwrap();
    client.stats("gala").await.unwrap().photos
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restored_from_an_old_backup_gets_its_lost_photos_again() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    card(&root.join("card"), &[&[1], &[1, 2], &[2]], 90);
    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    matched_gala(&engine, root).await;
    let server_data = root.join("server");
    let token = server_with_gala(&server_data);
    // The backup is taken before any photo arrived.
    copy_dir(&server_data, &root.join("backup"));
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let base = format!("http://{addr}");
    let server = Server::start(addr, &server_data).await;
    let gala = ev("gala");
    let sync = || engine.sync(&base, &gala, Token::new(token.clone()));
    assert_eq!(sync().await.unwrap().pushed, 3);
    assert_eq!(shown(&base, &token).await, 3);
    assert_eq!(
        sync().await.unwrap().pushed,
        0,
        "nothing lost, nothing sent"
    );

    // The server is restored from the backup, at the same address.
    server.stop().await;
    std::fs::rename(&server_data, root.join("lost")).unwrap();
    copy_dir(&root.join("backup"), &server_data);
    let server = Server::start(addr, &server_data).await;
    assert_eq!(shown(&base, &token).await, 0);
    let report = sync().await.unwrap();
    assert_eq!((report.pushed, report.failed), (3, 0), "{report:?}");
    assert_eq!(shown(&base, &token).await, 3);
    server.stop().await;
    engine.shutdown().await;
    mock.shutdown().await;
}

/// Waits (bounded) until `base` shows `want` photos of the gala, woken by the
/// engine's queue changes.
async fn wait_until_shown(engine: &Engine, base: &str, token: &str, want: u64) {
    let mut notices = engine.subscribe();
    let shown_all = async {
        loop {
            if shown(base, token).await == want {
                return;
            }
            match notices.recv().await {
                Ok(EngineNotice::QueueChanged) | Err(_) => {}
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), shown_all)
        .await
        .unwrap_or_else(|_| panic!("{base} never showed {want} photos"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_pointed_at_another_server_sends_its_photos_there() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    card(&root.join("card"), &[&[1], &[1, 2], &[2]], 95);
    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    matched_gala(&engine, root).await;
    let (first_token, second_token) = (
        server_with_gala(&root.join("first")),
        server_with_gala(&root.join("second")),
    );
    let (first, _first) = serve_on_any_port(&root.join("first")).await;
    let (second, _second) = serve_on_any_port(&root.join("second")).await;
    let target = |server: &str, token: &str| SyncTarget {
        server: server.to_string(),
        event: ev("gala"),
        token: Token::new(token),
    };

    engine.start_workers();
    engine
        .set_sync_target(Some(target(&first, &first_token)))
        .await
        .unwrap();
    wait_until_shown(&engine, &first, &first_token, 3).await;
    let event = engine.event(&ev("gala")).await.unwrap();
    assert_eq!(event.server.as_deref(), Some(first.as_str()));

    engine
        .set_sync_target(Some(target(&second, &second_token)))
        .await
        .unwrap();
    wait_until_shown(&engine, &second, &second_token, 3).await;
    let event = engine.event(&ev("gala")).await.unwrap();
    assert_eq!(event.server.as_deref(), Some(second.as_str()));
    assert_eq!(
        shown(&first, &first_token).await,
        3,
        "the first server keeps its copies"
    );
    engine.shutdown().await;
    mock.shutdown().await;
}
