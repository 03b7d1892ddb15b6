//! HTTPS served by the server itself (rustls), and the client address reaching
//! handlers (`ConnectInfo<SocketAddr>`) in both modes, with graceful shutdown.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use findme_event_server::{
    serve_router, serve_tls_with_shutdown, Admin, ServerConfig, TlsConfig, TlsFiles,
};
use tokio::sync::{oneshot, Notify};

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files;
/// returns the files and the certificate PEM (for the client to trust).
fn self_signed(dir: &Path) -> (TlsFiles, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert_pem = ck.cert.pem();
    let files = TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    std::fs::write(&files.cert, &cert_pem).unwrap();
    std::fs::write(&files.key, ck.signing_key.serialize_pem()).unwrap();
    (files, cert_pem)
}

/// A client that trusts only `cert_pem`.
fn trusting(cert_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap()])
        .build()
        .unwrap()
}

#[tokio::test]
async fn https_with_the_given_certificate_and_plain_http_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (files, cert_pem) = self_signed(dir.path());
    let data = common::Stores::new(dir.path());
    let ev = Admin::open_store(&data.config)
        .unwrap()
        .create_event("E", Some("ev1"))
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve_tls_with_shutdown(
        listener,
        ServerConfig::with_store(data.config.clone()),
        files.load().unwrap(),
        async {
            let _ = stopped.await;
        },
    ));
    let url = format!("https://{addr}/api/v1/events/ev1");
    let resp = trusting(&cert_pem)
        .get(&url)
        .bearer_auth(&ev.photographer_token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let info: findme_protocol::EventInfo = resp.json().await.unwrap();
    assert_eq!(info.id, "ev1");
    // Not trusted by default (it is self-signed), and no plain HTTP on that port.
    assert!(reqwest::Client::new().get(&url).send().await.is_err());
    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/api/v1/events/ev1"))
        .send()
        .await;
    assert!(plain.is_err(), "plain HTTP answered: {plain:?}");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("server stops on shutdown")
        .unwrap()
        .unwrap();
}

#[test]
fn bad_tls_files_fail_at_load_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let (files, _) = self_signed(dir.path());
    let other = self_signed(&{
        let d = dir.path().join("other");
        std::fs::create_dir(&d).unwrap();
        d
    })
    .0;
    let missing = TlsFiles {
        cert: dir.path().join("nope.pem"),
        key: files.key.clone(),
    };
    assert!(missing.load().unwrap_err().to_string().contains("nope.pem"));
    let swapped = TlsFiles {
        cert: files.key.clone(),
        key: files.cert.clone(),
    };
    assert!(swapped.load().is_err());
    let mismatched = TlsFiles {
        cert: files.cert.clone(),
        key: other.key,
    };
    assert!(mismatched.load().is_err(), "key of another certificate");
}

/// `/addr` answers the client address a handler sees; `/slow` waits for `release`
/// after signalling `entered`.
fn probe_router(entered: Arc<Notify>, release: Arc<Notify>) -> Router {
    Router::new()
        .route(
            "/addr",
            get(|ConnectInfo(addr): ConnectInfo<SocketAddr>| async move { addr.to_string() }),
        )
        .route(
            "/slow",
            get(move || async move {
                entered.notify_one();
                release.notified().await;
                "done"
            }),
        )
}

async fn check_mode(tls: Option<(TlsConfig, String)>) {
    let (entered, release) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let (config, http, scheme) = match tls {
        Some((config, pem)) => (Some(config), trusting(&pem), "https"),
        None => (None, reqwest::Client::new(), "http"),
    };
    let server = tokio::spawn(serve_router(
        listener,
        probe_router(entered.clone(), release.clone()),
        config,
        async {
            let _ = stopped.await;
        },
    ));
    let seen: SocketAddr = http
        .get(format!("{scheme}://{addr}/addr"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(seen.ip().is_loopback() && seen.port() != 0, "{seen}");
    assert_ne!(
        seen.port(),
        addr.port(),
        "the client's address, not the server's"
    );

    // A request in flight when shutdown starts still gets its answer.
    let slow = tokio::spawn({
        let http = http.clone();
        async move {
            http.get(format!("{scheme}://{addr}/slow"))
                .send()
                .await?
                .text()
                .await
        }
    });
    entered.notified().await;
    stop.send(()).unwrap();
    // Shutdown has begun once new connections are refused; only then let the
    // in-flight request finish.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{scheme}: still accepting"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    release.notify_one();
    assert_eq!(slow.await.unwrap().unwrap(), "done", "{scheme}");
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("server stops after the in-flight request")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn handlers_see_the_client_address_and_shutdown_is_graceful_in_both_modes() {
    check_mode(None).await;
    let dir = tempfile::tempdir().unwrap();
    let (files, pem) = self_signed(dir.path());
    check_mode(Some((files.load().unwrap(), pem))).await;
}

#[tokio::test]
async fn the_binary_serves_https_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (files, cert_pem) = self_signed(dir.path());
    let data = common::Stores::new(dir.path());
    let token = common::cli::run_json(&data, &["create-event", "--name", "E", "--id", "ev1"])
        ["photographer_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_server, base) = common::cli::start(
        &data,
        &[
            "--tls-cert",
            files.cert.to_str().unwrap(),
            "--tls-key",
            files.key.to_str().unwrap(),
        ],
    );
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let resp = trusting(&cert_pem)
        .get(format!("{base}/api/v1/events/ev1/registration"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    // Only one of the two flags is a usage error.
    let out = common::cli::run_status(&data, &["--tls-cert", files.cert.to_str().unwrap()]);
    assert!(!out.status.success());
}
