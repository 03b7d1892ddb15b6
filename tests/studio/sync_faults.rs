//! Sync fault suite: the app pushes a matched catalog to the REAL reference event
//! server (in-process, SQLite + image folder) through a fault-injecting proxy
//! (`sync_faults/proxy.rs`), and every fault must end the same way: the server
//! holds each photo exactly once, visible, with the right participants and an
//! intact image; the client's outbox has nothing pending or failed; no push job
//! was quarantined. Venue networks fail in all of these ways, and a push that
//! loses, duplicates or half-stores a photo is what attendees would see.
//!
//! Covered: 503 answers (with and without Retry-After), a stalled server, a
//! connection reset halfway through an image body, the server killed mid-push and
//! restarted on the same port and data, and the client killed (`kill -9` of
//! `findme sync`) after the server applied a push whose answer it never got.
//!
//! Not here: duplicate PUTs and reordered metadata revisions at the server level
//! are covered by `crates/event-server/tests/push.rs` and `revisions.rs`.
//!
//! Tests 1–4 use the background push (the engine's own pool, with its backoff);
//! test 5 uses the `findme sync` CLI path. Neither exposes the push client's
//! timeout (60 s), so the stall ends with the server hanging up, not with a
//! client timeout.

mod failover;
mod old_server;
mod proxy;
mod roster_pages;
use crate::support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use findme_engine::{Engine, EngineNotice, PublishChoice, SyncTarget, Token};
use findme_event_server::{serve_with_shutdown, Admin, ServerConfig};
use findme_protocol::EventClient;
use findme_rekognition_mock::synth;
use findme_rekognition_mock::{MockConfig, MockServer};
use findme_testkit::{ev, pid};
use proxy::{delivered_ok, Event, Fault, FaultProxy, Route};
use support::venue::{engine_with_mock, face};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const EVENT: &str = "gala";

/// The reference server running in this process.
struct RunningServer(JoinHandle<()>);

impl RunningServer {
    async fn start(addr: SocketAddr, data: &Path) -> RunningServer {
        let listener = TcpListener::bind(addr).await.expect("server port");
        let config = ServerConfig::new(data);
        RunningServer(tokio::spawn(async move {
            serve_with_shutdown(listener, config, std::future::pending())
                .await
                .expect("event server");
        }))
    }

    /// Stops it the hard way: the task is dropped where it is, the port closes.
    async fn kill(self) {
        self.0.abort();
        let _ = self.0.await;
    }
}

/// A server with the event, the proxy in front of it, and a matched catalog
/// whose engine pushes to the proxy in the background (once workers start).
struct Venue {
    tmp: tempfile::TempDir,
    mock: MockServer,
    server_addr: SocketAddr,
    server: Option<RunningServer>,
    proxy: FaultProxy,
    token: String,
    engine: Engine,
    /// Participants per photo SHA-256.
    truth: BTreeMap<String, Vec<String>>,
}

impl Venue {
    async fn new(background_push: bool) -> Venue {
        let mock = findme_rekognition_mock::start(MockConfig::default()).await;
        let tmp = tempfile::tempdir().expect("tempdir");
        let admin = Admin::open(&tmp.path().join("server")).expect("server data");
        let token = admin.create_event("Gala", Some(EVENT)).unwrap();
        let server_addr = TcpListener::bind("127.0.0.1:0")
            .await
            .and_then(|l| l.local_addr())
            .expect("free port");
        let server = RunningServer::start(server_addr, &tmp.path().join("server")).await;
        let proxy = FaultProxy::start(server_addr).await;
        let target = background_push.then(|| SyncTarget {
            server: proxy.base_url(),
            event: ev(EVENT),
            token: Token::new(token.photographer_token.clone()),
        });
        let (engine, truth) = matched_catalog(tmp.path(), &mock, target).await;
        let venue = Venue {
            tmp,
            mock,
            server_addr,
            server: Some(server),
            proxy,
            token: token.photographer_token,
            engine,
            truth,
        };
        assert_eq!(venue.outbox().await.pending, venue.truth.len() as u64);
        assert!(
            venue.proxy.log().is_empty(),
            "nothing pushed before the test"
        );
        venue
    }

    fn server_data(&self) -> PathBuf {
        self.tmp.path().join("server")
    }

    fn server_client(&self) -> EventClient {
        EventClient::new(&format!("http://{}", self.server_addr), self.token()).unwrap()
    }

    fn token(&self) -> Token {
        Token::new(self.token.clone())
    }

    async fn outbox(&self) -> findme_catalog::OutboxTotals {
        let read = self
            .engine
            .catalog()
            .read(|r| r.outbox_totals(Some(EVENT), i64::MAX));
        read.await.expect("outbox totals")
    }

    /// Starts the background push (if not yet) and returns when the outbox is
    /// empty (woken by every settled job; bounded so a regression fails instead
    /// of hanging).
    async fn push_until_drained(&self) {
        let mut events = self.engine.subscribe();
        self.engine.start_workers();
        let drained = tokio::time::timeout(Duration::from_secs(40), async {
            while self.outbox().await.pending > 0 {
                match events.recv().await {
                    Ok(EngineNotice::QueueChanged) | Err(_) => {}
                    Ok(_) => continue,
                }
            }
        })
        .await;
        let log = self.proxy.log();
        assert!(
            drained.is_ok(),
            "not drained: {:?}\n{log:#?}",
            self.outbox().await
        );
    }

    /// The end state every fault must reach.
    async fn assert_each_photo_pushed_once(&self) {
        let client = self.server_client();
        let stats = client.stats(EVENT).await.expect("server stats");
        assert_eq!(stats.photos, self.truth.len() as u64, "{stats:?}");
        assert_eq!(stats.matched, 3, "{stats:?}");
        let stored = stored_images(&self.server_data());
        // A web and a grid rendition per photo.
        assert_eq!(
            stored.len(),
            2 * self.truth.len(),
            "image files: {stored:?}"
        );
        let log = self.proxy.log();
        for (sha, people) in &self.truth {
            let state = client.photo_state(EVENT, sha).await.expect("photo state");
            assert!(state.visible, "{state:?}");
            let metadata = state.metadata.expect("metadata");
            let mut got: Vec<String> = (metadata.faces.iter())
                .filter_map(|f| f.participant_id.clone())
                .collect();
            got.sort();
            assert_eq!(&got, people, "people of {sha}");
            let image = client.photo_image(sha).await.expect("served image");
            let decoded = image::load_from_memory(&image).expect("a whole, decodable JPEG");
            assert!(decoded.width().max(decoded.height()) <= 2048);
            let served = support::sha256_hex(&image);
            assert!(stored.contains(&served), "{served} is not an image file");
            // Every upload the server acknowledged for this photo carried these bytes.
            let acked = acknowledged_image_hashes(&log, sha);
            assert!(!acked.is_empty(), "no acknowledged upload of {sha}");
            assert!(acked.iter().all(|h| *h == served), "{acked:?} vs {served}");
            let grid = client.photo_grid_image(sha).await.expect("served grid");
            let small = image::load_from_memory(&grid).expect("a whole, decodable grid JPEG");
            assert!(small.width().max(small.height()) <= 480);
            let grid_sha = support::sha256_hex(&grid);
            assert!(
                stored.contains(&grid_sha),
                "{grid_sha} is not an image file"
            );
            assert_ne!(grid_sha, served, "the grid is its own rendition");
        }
        let totals = self.outbox().await;
        assert_eq!((totals.pending, totals.failed), (0, 0), "{totals:?}");
        assert_eq!(totals.sent, self.truth.len() as u64, "{totals:?}");
        let stats = self.engine.stats().await.expect("engine stats");
        assert_eq!(stats.queue.failed, 0, "a job was quarantined: {stats:?}");
        assert_eq!(stats.sync.pushed, self.truth.len() as u64, "{stats:?}");
    }
}

/// Image files the server holds (named by their SHA-256), checking each file's
/// bytes match its name and no temp file of an interrupted upload is left.
fn stored_images(server_data: &Path) -> Vec<String> {
    let leftovers = std::fs::read_dir(server_data.join("tmp")).unwrap().count();
    assert_eq!(leftovers, 0, "partial uploads left in the server's tmp");
    let mut names = Vec::new();
    for shard in std::fs::read_dir(server_data.join("images")).unwrap() {
        for file in std::fs::read_dir(shard.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(support::sha256_hex(&bytes), name, "a damaged image file");
            names.push(name);
        }
    }
    names
}

/// `X-Content-SHA256` of each image PUT of `photo` the server answered 2xx.
fn acknowledged_image_hashes(log: &[Event], photo: &str) -> Vec<String> {
    let suffix = format!("/{photo}/image");
    log.iter()
        .filter_map(|e| match e {
            Event::Answered {
                route: Route::ImagePut,
                path,
                status: 200..=299,
                content_sha256,
                ..
            } if path.ends_with(&suffix) => content_sha256.clone(),
            _ => None,
        })
        .collect()
}

/// When requests arrived, and their paths: all with `fault`, or (None) all.
fn arrivals(log: &[Event], fault: Option<Fault>) -> Vec<(Instant, &str)> {
    log.iter()
        .filter_map(|e| match e {
            Event::Arrived { fault: f, at, path } if fault.is_none() || *f == fault => {
                Some((*at, path.as_str()))
            }
            _ => None,
        })
        .collect()
}

/// Four photos (two with participants, one larger than the web rendition, one
/// without faces) matched against three participants.
async fn matched_catalog(
    root: &Path,
    mock: &MockServer,
    target: Option<SyncTarget>,
) -> (Engine, BTreeMap<String, Vec<String>>) {
    matched_catalog_of(EVENT, root, mock, target).await
}

/// [`matched_catalog`] for the event `event`.
async fn matched_catalog_of(
    event: &str,
    root: &Path,
    mock: &MockServer,
    target: Option<SyncTarget>,
) -> (Engine, BTreeMap<String, Vec<String>>) {
    let photos = root.join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let files = [
        (
            "a.jpg",
            synth::photo(1280, 720, &[face(0, 100), face(1, 600)], 1),
            vec!["p00", "p01"],
        ),
        (
            "b.jpg",
            synth::photo(1280, 720, &[face(2, 300)], 2),
            vec!["p02"],
        ),
        (
            "big.jpg",
            synth::photo(3000, 2000, &[face(0, 900)], 3),
            vec!["p00"],
        ),
        ("empty.jpg", synth::photo(800, 600, &[], 4), vec![]),
    ];
    let mut truth = BTreeMap::new();
    for (name, bytes, people) in files {
        std::fs::write(photos.join(name), &bytes).unwrap();
        let people = people.into_iter().map(String::from).collect();
        truth.insert(support::sha256_hex(&bytes), people);
    }
    let engine = engine_with_mock(&root.join("data"), mock, target).await;
    engine.create_event(&ev(event), "Gala", None).await.unwrap();
    // The transport is under test: every photo is published, matched or not.
    engine
        .set_publish_choice(&ev(event), PublishChoice::All)
        .await
        .unwrap();
    engine.import(vec![photos]).await.unwrap();
    std::fs::create_dir_all(root.join("selfies")).unwrap();
    for person in 0..3 {
        let id = format!("p{person:02}");
        let selfie = root.join(format!("selfies/{id}.jpg"));
        std::fs::write(&selfie, synth::selfie(person)).unwrap();
        let (event, participant) = (ev(event), pid(&id));
        let add = engine.add_participant(&event, &participant, &id, Some(selfie), true);
        add.await.unwrap();
    }
    let report = engine.match_event(Some(&ev(event))).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    (engine, truth)
}

/// 1. The server answers 503 for a while (the first with `Retry-After: 3`, then
/// without), then is healthy: everything arrives once, and the photo that was
/// told to come back in 3 s did not come back sooner.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_503_then_healthy_push_everything_once() {
    let venue = Venue::new(true).await;
    let told_to_wait = Fault::Unavailable {
        retry_after: Some(3),
    };
    let plain = Fault::Unavailable { retry_after: None };
    venue.proxy.inject(None, told_to_wait, 1);
    venue.proxy.inject(None, plain, 2);

    venue.push_until_drained().await;
    let log = venue.proxy.log();
    let told = arrivals(&log, Some(told_to_wait));
    assert_eq!((told.len(), arrivals(&log, Some(plain)).len()), (1, 2));
    let (told_at, told_path) = told[0];
    let photo = told_path.split('/').nth(6).expect("a photo path");
    let (back_at, _) = *(arrivals(&log, None).iter())
        .find(|(at, path)| *at > told_at && path.contains(photo))
        .expect("the photo came back");
    let waited = back_at - told_at;
    assert!(
        waited >= Duration::from_secs(3),
        "Retry-After ignored: {waited:?}"
    );
    assert_eq!(delivered_ok(&log, Route::MetadataPut), venue.truth.len());
    venue.assert_each_photo_pushed_once().await;
    venue.engine.shutdown().await;
}

/// 2. The server takes requests and answers nothing for 1.5 s, then hangs up:
/// no push is lost or failed, and pushes resume once it answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_delays_but_loses_nothing() {
    let mut venue = Venue::new(true).await;
    let stall = Fault::Stall(Duration::from_millis(1500));
    venue.proxy.inject(None, stall, 3);
    venue.engine.start_workers();
    let ended = |e: &Event| matches!(e, Event::StallEnded);
    venue.proxy.wait_for("an ended stall", ended).await;
    assert!(
        venue.outbox().await.pending > 0,
        "a stalled push counted as sent"
    );

    venue.push_until_drained().await;
    let log = venue.proxy.log();
    assert_eq!(arrivals(&log, Some(stall)).len(), 3);
    assert_eq!(delivered_ok(&log, Route::MetadataPut), venue.truth.len());
    venue.assert_each_photo_pushed_once().await;
    venue.engine.shutdown().await;
}

/// 3. Three image uploads are cut halfway (the server gets half a body, the
/// client a reset): each photo is stored once, whole, with the SHA-256 the
/// client announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_cut_mid_body_never_leave_a_partial_image() {
    let venue = Venue::new(true).await;
    venue
        .proxy
        .inject(Some(Route::ImagePut), Fault::CutBodyHalfway, 3);

    venue.push_until_drained().await;
    let log = venue.proxy.log();
    assert_eq!(arrivals(&log, Some(Fault::CutBodyHalfway)).len(), 3);
    assert_eq!(delivered_ok(&log, Route::MetadataPut), venue.truth.len());
    venue.assert_each_photo_pushed_once().await;
    venue.engine.shutdown().await;
}

/// 4. The server is killed while the first image upload is on its way and
/// restarted on the same port and data folder: everything arrives once.
/// ("Killed" = its task dropped: the port closes, requests already accepted may
/// still finish; `kill -9` of the server binary is in the event server's
/// `tests/persistence.rs`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_push_and_restarted_gets_everything_once() {
    let mut venue = Venue::new(true).await;
    venue.proxy.inject(Some(Route::ImagePut), Fault::Hold, 1);
    venue.engine.start_workers();
    let first_upload = |e: &Event| {
        matches!(
            e,
            Event::Arrived {
                fault: Some(Fault::Hold),
                ..
            }
        )
    };
    venue.proxy.wait_for("the first upload", first_upload).await;
    venue.server.take().expect("running").kill().await;
    venue.proxy.heal(); // the held upload now meets a dead server
    let down = |e: &Event| matches!(e, Event::ServerDown);
    venue.proxy.wait_for("a refused request", down).await;
    assert!(venue.outbox().await.pending > 0);
    venue.server = Some(RunningServer::start(venue.server_addr, &venue.server_data()).await);

    venue.push_until_drained().await;
    let log = venue.proxy.log();
    assert_eq!(delivered_ok(&log, Route::MetadataPut), venue.truth.len());
    venue.assert_each_photo_pushed_once().await;
    venue.engine.shutdown().await;
}

/// 5. `findme sync` is killed (-9) after the server applied a photo's metadata
/// but before the answer reached it; a new process syncs again: the rest is
/// pushed, the applied photo is re-sent harmlessly, nothing is doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_killed_mid_push_resumes_after_restart_without_duplicates() {
    let mut venue = Venue::new(false).await;
    venue.engine.shutdown().await;
    venue
        .proxy
        .inject(Some(Route::MetadataPut), Fault::SwallowAnswer, 1);
    let data = venue.tmp.path().join("data");
    let mut sync = support::findme(&data)
        .args([
            "sync",
            "--server",
            &venue.proxy.base_url(),
            "--event",
            EVENT,
        ])
        .env("FINDME_TOKEN", &venue.token)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("findme sync");
    let swallowed = |e: &Event| {
        matches!(
            e,
            Event::Answered {
                delivered: false,
                ..
            }
        )
    };
    let applied = venue.proxy.wait_for("a swallowed answer", swallowed).await;
    sync.kill().expect("kill -9");
    tokio::task::spawn_blocking(move || sync.wait())
        .await
        .unwrap()
        .unwrap();

    let Event::Answered { path, .. } = applied else {
        unreachable!()
    };
    let photo = path.rsplit('/').next().unwrap().to_string();
    let state = venue
        .server_client()
        .photo_state(EVENT, &photo)
        .await
        .unwrap();
    assert!(
        state.visible,
        "the server applied the swallowed push: {state:?}"
    );
    venue.proxy.heal();
    venue.engine = engine_with_mock(&data, &venue.mock, None).await;
    let left = venue.outbox().await.pending;
    assert!(left > 0, "the killed sync cannot have finished");

    let base = venue.proxy.base_url();
    let report = venue.engine.sync(&base, &ev(EVENT), venue.token()).await;
    let report = report.expect("sync after restart");
    assert_eq!((report.pushed, report.pending, report.failed), (left, 0, 0));
    venue.assert_each_photo_pushed_once().await;
    venue.engine.shutdown().await;
}
