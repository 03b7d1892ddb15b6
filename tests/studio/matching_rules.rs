//! A promise of matching at the job level: throttling never spends an attempt.

use crate::matching::{engine_config, write};

use std::path::Path;
use std::time::{Duration, Instant};

use findme_engine::Engine;
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::MockConfig;
use findme_testkit::{ev, pid};

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

/// Creates `event` with three participants (persons 0, 1, 2); the catalogued
/// photos join it.
async fn register(engine: &Engine, selfies: &Path, event: &str) {
    engine.create_event(&ev(event), "Gala", None).await.unwrap();
    engine
        .assign(&ev(event), findme_engine::Selection::All)
        .await
        .unwrap();
    for person in 0..3 {
        let selfie = selfies.join(format!("p{person:02}.jpg"));
        write(&selfie, &synth::selfie(person));
        engine
            .add_participant(
                &ev(event),
                &pid(&format!("p{person:02}")),
                &format!("Person {person}"),
                Some(selfie),
                true,
            )
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spell_of_total_throttling_defers_jobs_and_spends_no_attempt() {
    // Every call throttled until a job has been deferred, then none.
    let server = findme_rekognition_mock::start(MockConfig {
        throttle_rate: 1.0,
        ..MockConfig::default()
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    shoot(&tmp.path().join("photos"), 4, 1);
    let engine = Engine::open(engine_config(&data, &server, 2))
        .await
        .expect("engine");
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
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
