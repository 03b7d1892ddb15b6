//! Two promises of matching at the job level: throttling never spends an
//! attempt, and an event stays with the backend that first matched it.

use crate::matching::{engine_config, register_people, write};
use crate::support;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use findme_engine::Engine;
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::{MockConfig, MockServer};
use findme_testkit::ev;
use tempfile::TempDir;

/// `(kind, subject, status, attempts, last_error)` of every job, in id order.
type JobRows = Vec<(String, String, String, i64, Option<String>)>;

fn jobs(data: &Path) -> JobRows {
    let db = rusqlite::Connection::open_with_flags(
        data.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.busy_timeout(Duration::from_secs(5)).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT kind, subject, status, attempts, last_error FROM jobs
              WHERE kind IN ('match', 'index-participant') ORDER BY id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows
}

/// Every (photo, participant) match of the catalog.
fn matches(data: &Path) -> Vec<(i64, String, String)> {
    let db = rusqlite::Connection::open_with_flags(
        data.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = db
        .prepare("SELECT photo_id, event_id, participant_id FROM matches ORDER BY 1, 2, 3")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows
}

/// `count` photos of one or two registered people each, into `dir`.
fn shoot(dir: &Path, count: usize, seed: u64) {
    for i in 0..count {
        let faces: Vec<SynthFace> = (0..1 + i % 2)
            .map(|k| SynthFace {
                person: (i + k) % 3,
                left: 80 + k as u32 * 400,
                top: 160,
                size: 170,
            })
            .collect();
        write(
            &dir.join(format!("IMG_{seed}_{i:02}.JPG")),
            &synth::photo(1280, 720, &faces, seed * 100 + i as u64),
        );
    }
}

/// A new engine on the mock with `config`: `count` photos (seed `seed`)
/// imported, event "gala" with three participants (persons 0, 1, 2).
async fn gala(config: MockConfig, count: usize, seed: u64) -> (MockServer, TempDir, Engine) {
    let server = findme_rekognition_mock::start(config).await;
    let tmp = tempfile::tempdir().unwrap();
    shoot(&tmp.path().join("photos"), count, seed);
    let engine = Engine::open(engine_config(&tmp.path().join("data"), &server, 2))
        .await
        .expect("engine");
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register_people(&engine, &tmp.path().join("selfies"), "gala", 3).await;
    (server, tmp, engine)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spell_of_total_throttling_defers_jobs_and_spends_no_attempt() {
    // Every call throttled until a job has been deferred, then none.
    let config = MockConfig {
        throttle_rate: 1.0,
        ..MockConfig::default()
    };
    let (server, tmp, engine) = gala(config, 4, 1).await;
    let data = tmp.path().join("data");
    let matching = tokio::spawn({
        let engine = engine.clone();
        async move { engine.match_event(Some(&ev("gala"))).await }
    });
    // A deferral: a job handed back pending with the throttling as its reason.
    let deadline = Instant::now() + Duration::from_secs(120);
    let deferred = loop {
        let rows = jobs(&data);
        if let Some(row) = rows
            .iter()
            .find(|(_, _, status, _, error)| status == "pending" && error.is_some())
        {
            break row.clone();
        }
        assert!(
            Instant::now() < deadline && !matching.is_finished(),
            "no job was deferred while every call was throttled: {rows:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("deferred: {deferred:?}");
    assert!(server.stats().throttled > 0);
    server.update_config(|c| c.throttle_rate = 0.0);

    let report = tokio::time::timeout(Duration::from_secs(240), matching)
        .await
        .expect("matching ends once the throttling stops")
        .unwrap()
        .unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    assert!(report.matches > 0, "{report:?}");
    let rows = jobs(&data);
    assert_eq!(
        rows.iter().filter(|(kind, ..)| kind == "match").count(),
        4,
        "{rows:?}"
    );
    for row in &rows {
        let (kind, subject, status, attempts, _) = row;
        assert_eq!(
            (status.as_str(), *attempts),
            ("done", 1),
            "{kind} {subject}: throttling spent an attempt ({row:?})"
        );
    }
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_matched_with_rekognition_pauses_the_local_backend_untouched() {
    let (server, tmp, engine) = gala(MockConfig::default(), 3, 2).await;
    let data = tmp.path().join("data");
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!((report.failed, report.photos), (0, 3), "{report:?}");
    assert!(report.matches > 0, "{report:?}");
    engine.shutdown().await;
    // A new photo joins the event: work the other backend could take.
    shoot(&tmp.path().join("later"), 1, 3);
    support::run_ok(
        support::findme(&data)
            .args(["import", "--no-thumbnails", "--event", "gala"])
            .arg(tmp.path().join("later")),
    );
    let (jobs_before, matches_before) = (jobs(&data), matches(&data));
    assert!(
        jobs_before
            .iter()
            .any(|(kind, _, status, ..)| kind == "match" && status == "pending"),
        "{jobs_before:?}"
    );

    let mut child = support::findme(&data)
        .args(["match", "--backend", "local", "--event", "gala", "--json"])
        .env("FINDME_MODELS_DIR", findme_testkit::models_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn findme");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "`match --backend local` never paused: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("matching paused")
            && stderr.contains("was matched with rekognition")
            && stderr.contains("--backend rekognition"),
        "it pauses with what to do: {stderr}"
    );
    assert_eq!(jobs(&data), jobs_before, "no job touched, no attempt spent");
    assert_eq!(matches(&data), matches_before, "no match touched");
    let db = rusqlite::Connection::open(data.join("catalog.sqlite")).unwrap();
    let backend: Option<String> = db
        .query_row("SELECT backend FROM events WHERE id = 'gala'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(backend.as_deref(), Some("rekognition"));
    drop(db);

    // Its own backend takes the new photo as if nothing had happened.
    let engine = Engine::open(engine_config(&data, &server, 2))
        .await
        .expect("engine");
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!((report.failed, report.photos), (0, 4), "{report:?}");
    assert!(jobs(&data)
        .iter()
        .all(|(_, _, status, attempts, _)| status == "done" && *attempts == 1));
    engine.shutdown().await;
    server.shutdown().await;
}
