//! Sync end to end: the engine matches photos against the Rekognition mock, then
//! pushes them to the REAL reference event server on 127.0.0.1 (axum + SQLite +
//! image folder, in-process). Checks what the server holds, not what the client
//! believes it sent.

use crate::support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use findme_engine::{Engine, EngineNotice, PublishChoice, SyncTarget, Token, WebRendition};
use findme_event_server::Admin;
use findme_protocol::EventClient;
use findme_rekognition_mock::synth;
use findme_rekognition_mock::{MockConfig, MockServer};
use findme_testkit::{ev, pid};
use support::venue::{engine_with_mock, face, mock_config, serve, serve_on_any_port};
use tokio::net::TcpListener;

const EVENT: &str = "gala";
const SERIAL: &str = "SN-4455667788";

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Four photos: two with participants, one larger than the web rendition, one
/// camera-like JPEG without faces whose EXIF carries a serial number. Returns
/// the expected participants per photo SHA-256.
async fn matched_catalog(
    root: &Path,
    mock: &MockServer,
) -> (Engine, BTreeMap<String, Vec<String>>) {
    matched_catalog_pushing_to(root, mock, None).await
}

/// [`matched_catalog`] with `target` as the engine's background push target.
async fn matched_catalog_pushing_to(
    root: &Path,
    mock: &MockServer,
    target: Option<SyncTarget>,
) -> (Engine, BTreeMap<String, Vec<String>>) {
    let photos = root.join("photos");
    let mut files: Vec<(PathBuf, Vec<u8>, Vec<String>)> = vec![
        (
            photos.join("a.jpg"),
            synth::photo(1280, 720, &[face(0, 100), face(1, 600)], 1),
            vec!["p00".into(), "p01".into()],
        ),
        (
            photos.join("b.jpg"),
            synth::photo(1280, 720, &[face(2, 300)], 2),
            vec!["p02".into()],
        ),
        (
            photos.join("big.jpg"),
            synth::photo(3000, 2000, &[face(0, 900)], 3),
            vec!["p00".into()],
        ),
    ];
    let mut exif = support::exif::Exif::camera("Canon", "Canon EOS R5", "2026:05:01 14:03:22");
    exif.serial = Some(SERIAL.into());
    let camera = support::exif::splice_app1(&synth::photo(800, 600, &[], 4), &exif.to_tiff());
    files.push((photos.join("camera.jpg"), camera, vec![]));
    let mut truth = BTreeMap::new();
    for (path, bytes, people) in files {
        write(&path, &bytes);
        truth.insert(support::sha256_hex(&bytes), people);
    }
    let engine = engine_with_mock(&root.join("data"), mock, target).await;
    engine.create_event(&ev(EVENT), "Gala", None).await.unwrap();
    // The transport is under test: every photo is published, matched or not.
    engine
        .set_publish_choice(&ev(EVENT), PublishChoice::All)
        .await
        .unwrap();
    engine.import(vec![photos]).await.unwrap();
    for person in 0..3 {
        let selfie = root.join(format!("selfies/p{person:02}.jpg"));
        write(&selfie, &synth::selfie(person));
        let id = format!("p{person:02}");
        engine
            .add_participant(&ev(EVENT), &pid(&id), &id, Some(selfie), true)
            .await
            .unwrap();
    }
    let report = engine.match_event(Some(&ev(EVENT))).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    (engine, truth)
}

/// A server data folder with the event and its photographer token.
fn server_event(data: &Path) -> String {
    let admin = Admin::open(data).unwrap();
    admin
        .create_event("Gala", Some(EVENT))
        .unwrap()
        .photographer_token
}

async fn outbox(engine: &Engine) -> findme_catalog::OutboxTotals {
    engine
        .catalog()
        .read(|r| r.outbox_totals(Some(EVENT), i64::MAX))
        .await
        .unwrap()
}

/// The server holds each photo once, visible, with the right people, and its
/// image is a metadata-free JPEG of at most 2048 px.
async fn assert_server_holds(base: &str, token: &str, truth: &BTreeMap<String, Vec<String>>) {
    let client = EventClient::new(base, Token::new(token)).unwrap();
    let stats = client.stats(EVENT).await.unwrap();
    assert_eq!(stats.photos, truth.len() as u64, "{stats:?}");
    assert_eq!(stats.matched, 3, "{stats:?}");
    for (sha, people) in truth {
        let state = client.photo_state(EVENT, sha).await.unwrap();
        assert!(state.visible, "{state:?}");
        let metadata = state.metadata.expect("metadata");
        let mut got: Vec<String> = metadata
            .faces
            .iter()
            .filter_map(|f| f.participant_id.clone())
            .collect();
        got.sort();
        assert_eq!(&got, people, "people of {sha}");
        let image = client.photo_image(sha).await.unwrap();
        assert!(image.starts_with(&[0xFF, 0xD8]), "not a JPEG");
        let decoded = image::load_from_memory(&image).expect("decodable JPEG");
        let long_edge = decoded.width().max(decoded.height());
        assert!(long_edge <= 2048, "{long_edge}");
        assert_eq!(
            metadata.width.max(metadata.height) > 2048,
            long_edge == 2048
        );
        assert!(
            !image.windows(4).any(|w| w == b"Exif"),
            "EXIF reached the server"
        );
        assert!(!image.windows(SERIAL.len()).any(|w| w == SERIAL.as_bytes()));
        let grid = client.photo_grid_image(sha).await.unwrap();
        assert_grid_of(&grid, &image);
        assert!(!grid.windows(4).any(|w| w == b"Exif"), "EXIF in the grid");
        if people.is_empty() {
            assert_eq!(metadata.camera.as_deref(), Some("Canon EOS R5"));
        }
    }
}

/// `grid` is the grid rendition of the web rendition `web`: a JPEG of the same
/// picture with a long edge of 480 px (or the web one's, if smaller), and fewer bytes.
fn assert_grid_of(grid: &[u8], web: &[u8]) {
    let small = image::load_from_memory(grid).expect("decodable grid JPEG");
    let big = image::load_from_memory(web).expect("decodable web JPEG");
    let (long, web_long) = (
        small.width().max(small.height()),
        big.width().max(big.height()),
    );
    assert_eq!(long, web_long.min(480), "grid long edge");
    assert_eq!(
        small.width() >= small.height(),
        big.width() >= big.height(),
        "same orientation"
    );
    assert!(
        grid.len() < web.len(),
        "grid {} bytes, web {} bytes",
        grid.len(),
        web.len()
    );
}

/// Real camera photos from the dev set: every pushed photo has a grid rendition
/// on the server, at most 480 px and smaller than its web rendition, so a guest's
/// phone fills its grid without downloading 2048 px images.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pushed_dev_set_photo_gets_a_small_grid_rendition() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let photos = tmp.path().join("photos");
    let camera = findme_testkit::devset().join("camera-jpeg");
    let mut shas = Vec::new();
    for name in [
        "mate_Dune_CanonDigitalRebel.jpg",
        "mate_Wood_KonicaMinoltaZ5.jpg",
        "plasma_OneStandsOut_NokiaN9.jpg",
        "plasma_Path_OlympusEM1.jpg",
    ] {
        let bytes = std::fs::read(camera.join(name)).unwrap();
        write(&photos.join(name), &bytes);
        shas.push(support::sha256_hex(&bytes));
    }
    let engine = engine_with_mock(&tmp.path().join("data"), &mock, None).await;
    engine.create_event(&ev(EVENT), "Gala", None).await.unwrap();
    engine
        .set_publish_choice(&ev(EVENT), PublishChoice::All)
        .await
        .unwrap();
    engine.import(vec![photos]).await.unwrap();
    engine.match_event(Some(&ev(EVENT))).await.unwrap();

    let server_data = tmp.path().join("server");
    let token = server_event(&server_data);
    let (base, _server) = serve_on_any_port(&server_data).await;
    let report = engine
        .sync(&base, &ev(EVENT), Token::new(token.clone()))
        .await
        .unwrap();
    assert_eq!((report.pushed, report.failed), (4, 0), "{report:?}");
    let client = EventClient::new(&base, Token::new(token)).unwrap();
    let mut web_bytes = 0;
    for sha in &shas {
        let web = client.photo_image(sha).await.unwrap();
        web_bytes += web.len() as u64;
        let grid = client.photo_grid_image(sha).await.unwrap();
        assert_grid_of(&grid, &web);
        let long = {
            let g = image::load_from_memory(&grid).unwrap();
            g.width().max(g.height())
        };
        assert_eq!(long, 480, "{sha}: camera photos are larger than the grid");
    }
    // The byte figure stays the web rendition's (what a guest downloads to view one).
    assert_eq!(report.bytes, web_bytes);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_every_photo_once_and_a_second_sync_pushes_nothing() {
    let started = std::time::Instant::now();
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let (engine, truth) = matched_catalog(tmp.path(), &mock).await;
    assert_eq!(outbox(&engine).await.pending, truth.len() as u64);

    let server_data = tmp.path().join("server");
    let token = server_event(&server_data);
    let (base, _server) = serve_on_any_port(&server_data).await;

    let report = engine
        .sync(&base, &ev(EVENT), Token::new(token.clone()))
        .await
        .unwrap();
    assert_eq!(report.pushed, truth.len() as u64, "{report:?}");
    assert_eq!((report.pending, report.failed), (0, 0), "{report:?}");
    assert!(report.bytes > 10_000, "{report:?}");
    assert_server_holds(&base, &token, &truth).await;
    let totals = outbox(&engine).await;
    assert_eq!((totals.pending, totals.sent), (0, truth.len() as u64));
    let stats = engine.stats().await.unwrap();
    assert_eq!(stats.sync.pushed, truth.len() as u64);
    assert_eq!(stats.sync.pending, 0);
    assert_eq!(
        stats.sync.bytes_per_photo,
        Some(report.bytes / truth.len() as u64)
    );
    // Import to acknowledged: positive, ordered, within this test's lifetime.
    let (p50, p95) = (stats.sync.latency_p50_ms, stats.sync.latency_p95_ms);
    let lifetime = started.elapsed().as_millis() as u64;
    assert!(p50.is_some_and(|p| p > 0) && p50 <= p95, "{:?}", stats.sync);
    assert!(
        p95.is_some_and(|p| p <= lifetime),
        "{:?} > {lifetime}",
        stats.sync
    );
    // The activity panel shows the same shutter-to-guest figures and camera
    // totals as `stats`, with the latest photo live.
    let activity = engine.activity().await.unwrap();
    assert_eq!(activity.live, stats.live);
    assert_eq!(activity.ftp, stats.ftp);
    let last = activity.live.last.as_ref().expect("a photo went live");
    assert!(last.latency_ms <= lifetime, "{last:?}");

    let again = engine
        .sync(&base, &ev(EVENT), Token::new(token))
        .await
        .unwrap();
    assert_eq!(again, findme_engine::SyncReport::default());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_leaves_everything_pending_until_it_comes_back() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let (engine, truth) = matched_catalog(tmp.path(), &mock).await;
    let server_data = tmp.path().join("server");
    let token = server_event(&server_data);
    // Reserve a port, then close it: connections are refused.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let base = format!("http://{addr}");

    let offline = engine
        .sync(&base, &ev(EVENT), Token::new(token.clone()))
        .await
        .unwrap();
    assert_eq!(offline.pushed, 0, "{offline:?}");
    assert_eq!(offline.pending, truth.len() as u64, "{offline:?}");
    assert_eq!(offline.failed, 0, "{offline:?}");
    let queue = engine.stats().await.unwrap().queue;
    assert_eq!(queue.failed, 0, "no push may be quarantined while offline");

    let _server = serve(TcpListener::bind(addr).await.unwrap(), &server_data);
    let online = engine
        .sync(&base, &ev(EVENT), Token::new(token.clone()))
        .await
        .unwrap();
    assert_eq!(online.pushed, truth.len() as u64, "{online:?}");
    assert_eq!((online.pending, online.failed), (0, 0), "{online:?}");
    assert_server_holds(&base, &token, &truth).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_is_an_error_and_the_cli_reports_json() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let (engine, truth) = matched_catalog(tmp.path(), &mock).await;
    let server_data = tmp.path().join("server");
    let token = server_event(&server_data);
    let (base, _server) = serve_on_any_port(&server_data).await;

    let err = engine
        .sync(&base, &ev(EVENT), Token::new("fm_not-the-token"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("token"), "{err}");
    assert!(!err.contains("fm_not-the-token"), "the token leaked: {err}");
    let totals = outbox(&engine).await;
    assert_eq!((totals.sent, totals.pending), (0, truth.len() as u64));
    engine.shutdown().await;

    let data = tmp.path().join("data");
    let cli = {
        let (data, base, token) = (data.clone(), base.clone(), token.clone());
        tokio::task::spawn_blocking(move || {
            let missing = support::findme(&data)
                .args(["sync", "--server", &base, "--event", EVENT, "--json"])
                .env_remove("FINDME_TOKEN")
                .output()
                .unwrap();
            let refused = support::findme(&data)
                .args(["sync", "--server", &base, "--event", EVENT])
                .env("FINDME_TOKEN", "fm_wrong")
                .output()
                .unwrap();
            let ok = support::run_json(
                support::findme(&data)
                    .args(["sync", "--server", &base, "--event", EVENT, "--json"])
                    .env("FINDME_TOKEN", &token),
            );
            (missing, refused, ok)
        })
        .await
        .unwrap()
    };
    let (missing, refused, ok) = cli;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("FINDME_TOKEN"));
    assert!(!refused.status.success());
    let refused_err = String::from_utf8_lossy(&refused.stderr);
    assert!(refused_err.contains("refused the token"), "{refused_err}");
    assert!(!refused_err.contains("fm_wrong"));
    assert_eq!(
        ok,
        serde_json::json!({
            "pushed": truth.len(),
            "pending": 0,
            "failed": 0,
            "bytes": ok["bytes"].as_u64().filter(|b| *b > 0).expect("bytes"),
            // The server has no registered guests: the roster pull changes nothing.
            "roster": {"added": 0, "updated": 0, "removed": 0, "failed": []},
        })
    );
    assert_server_holds(&base, &token, &truth).await;
}

/// With an event server set up, the app (and `findme watch`) push in the
/// background: no `sync` call, the photos reach the server once each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_server_set_up_the_workers_push_in_the_background() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let server_data = tmp.path().join("server");
    let token = server_event(&server_data);
    let (base, _stop) = serve_on_any_port(&server_data).await;
    let target = SyncTarget {
        server: base.clone(),
        event: ev(EVENT),
        token: Token::new(token.clone()),
    };
    let (engine, truth) = matched_catalog_pushing_to(tmp.path(), &mock, Some(target)).await;
    assert!(outbox(&engine).await.pending > 0, "matching queued pushes");

    let mut events = engine.subscribe();
    engine.start_workers();
    // Woken by every settled job; bounded so a regression fails instead of hanging.
    let drained = tokio::time::timeout(Duration::from_secs(120), async {
        while outbox(&engine).await.pending > 0 {
            match events.recv().await {
                Ok(EngineNotice::QueueChanged) | Err(_) => {}
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(
        drained.is_ok(),
        "outbox not drained: {:?}",
        outbox(&engine).await
    );
    assert_server_holds(&base, &token, &truth).await;
    engine.shutdown().await;
}

/// The web rendition setting (`EngineConfig::web_rendition`, from
/// FINDME_WEB_LONG_EDGE / FINDME_WEB_QUALITY) is what the server receives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_rendition_setting_sizes_what_guests_get() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let photo = synth::photo(3000, 2000, &[face(0, 900)], 7);
    write(&tmp.path().join("photos/big.jpg"), &photo);
    let selfie = tmp.path().join("selfie.jpg");
    write(&selfie, &synth::selfie(0));
    let mut config = mock_config(&tmp.path().join("data"), &mock, None);
    config.web_rendition = WebRendition::clamped(1024, 60);
    let engine = Engine::open(config).await.unwrap();
    engine.create_event(&ev(EVENT), "Gala", None).await.unwrap();
    // The transport is under test: every photo is published, matched or not.
    engine
        .set_publish_choice(&ev(EVENT), PublishChoice::All)
        .await
        .unwrap();
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    engine
        .add_participant(&ev(EVENT), &pid("p00"), "p00", Some(selfie), true)
        .await
        .unwrap();
    engine.match_event(Some(&ev(EVENT))).await.unwrap();

    let server_data = tmp.path().join("server");
    let token = server_event(&server_data);
    let (base, _server) = serve_on_any_port(&server_data).await;
    let report = engine
        .sync(&base, &ev(EVENT), Token::new(token.clone()))
        .await
        .unwrap();
    assert_eq!((report.pushed, report.failed), (1, 0), "{report:?}");
    let client = EventClient::new(&base, Token::new(token)).unwrap();
    let image = client
        .photo_image(&support::sha256_hex(&photo))
        .await
        .unwrap();
    let decoded = image::load_from_memory(&image).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (1024, 683));
    assert_eq!(report.bytes, image.len() as u64);
    engine.shutdown().await;
}
