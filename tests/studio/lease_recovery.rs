//! A process that dies mid-job: the next one to open the catalog hands its leases
//! back at once (not when the 60 s lease runs out), the interrupted attempt
//! counted; a job whose worker dies on every attempt ends quarantined with a
//! reason the photographer can read, instead of crashing every process forever.

use crate::support;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use findme_engine::{Engine, EngineConfig, MatchBackend};
use findme_rekognition_mock::synth;
use findme_rekognition_mock::MockConfig;

/// The catalog's default `max_attempts` of a job.
const MAX_ATTEMPTS: i64 = 5;

/// The one match job's row, read beside the app.
#[derive(Debug)]
struct JobRow {
    status: String,
    attempts: i64,
    owner: Option<String>,
    lease_until_ms: Option<i64>,
    last_error: Option<String>,
}

fn match_job(data: &Path) -> Option<JobRow> {
    let db = rusqlite::Connection::open_with_flags(
        data.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .ok()?;
    db.busy_timeout(Duration::from_secs(5)).ok()?;
    db.query_row(
        "SELECT status, attempts, lease_owner, lease_until_ms, last_error
           FROM jobs WHERE kind = 'match'",
        [],
        |r| {
            Ok(JobRow {
                status: r.get(0)?,
                attempts: r.get(1)?,
                owner: r.get(2)?,
                lease_until_ms: r.get(3)?,
                last_error: r.get(4)?,
            })
        },
    )
    .ok()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_processs_leases_come_back_at_once_and_a_job_that_kills_every_worker_is_quarantined()
{
    // Every Rekognition call is held for two minutes: the match job is running
    // under its process's 60 s lease whenever that process is killed.
    let server = findme_rekognition_mock::start(MockConfig {
        latency_ms: 120_000,
        ..MockConfig::default()
    })
    .await;
    let endpoint = server.endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let (photos, data) = (tmp.path().join("photos"), tmp.path().join("data"));
    std::fs::create_dir_all(&photos).unwrap();
    let face = findme_testkit::venue::face(0, 100);
    std::fs::write(
        photos.join("IMG_001.JPG"),
        synth::photo(1280, 720, &[face], 1),
    )
    .unwrap();
    support::run_ok(support::findme(&data).args(["events", "create", "--id", "gala"]));
    support::run_ok(
        support::findme(&data)
            .args(["import", "--no-thumbnails", "--event", "gala"])
            .arg(&photos),
    );

    for attempt in 1..=MAX_ATTEMPTS {
        // A worker that dies on this job every time: the process is killed as
        // soon as its attempt is under way (by progress, not by time).
        let mut child = support::with_mock_rekognition(support::findme(&data), &endpoint)
            .args(["match", "--event", "gala", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn findme");
        let mark = format!("/{}/", child.id());
        let deadline = Instant::now() + Duration::from_secs(50);
        let held = loop {
            if let Some(status) = child.try_wait().expect("poll findme") {
                panic!("findme match ended ({status}) before its attempt {attempt} was killed");
            }
            if let Some(job) = match_job(&data) {
                if job.status == "running"
                    && job.attempts == attempt
                    && job.owner.as_deref().is_some_and(|o| o.contains(&mark))
                {
                    break job;
                }
            }
            assert!(
                Instant::now() < deadline,
                "attempt {attempt} never started: {:?}",
                match_job(&data)
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        let lease = held.lease_until_ms.unwrap_or(0);
        assert!(
            lease > now_ms() + 20_000,
            "the dead process's lease would hold the job for most of a minute: {held:?}"
        );

        // The next process to open the catalog finds the dead owner's lease.
        let mut config = EngineConfig::new(&data);
        config.matching.backend = MatchBackend::Off;
        let engine = Engine::open(config).await.expect("engine");
        let job = match_job(&data).expect("the match job");
        let opened = now_ms();
        if attempt < MAX_ATTEMPTS {
            // Claimable at once (a claim takes running jobs whose lease is
            // past), and the attempt that died still counts.
            assert_eq!(job.status, "running", "{job:?}");
            assert!(
                job.lease_until_ms.is_some_and(|l| l < opened),
                "the dead owner's job is claimable right after open: {job:?}"
            );
            assert_eq!(job.attempts, attempt, "the attempt is kept: {job:?}");
        } else {
            assert_eq!(
                job.status, "failed",
                "a job whose worker died on every attempt is quarantined: {job:?}"
            );
            assert_eq!(job.attempts, MAX_ATTEMPTS, "{job:?}");
            let reason = job.last_error.unwrap_or_default();
            assert!(
                reason.contains("died during its last attempt (5 of 5)"),
                "a readable reason: {reason:?}"
            );
            assert!(job.owner.is_none(), "no lease left behind");
        }
        engine.shutdown().await;
    }

    // Matching now ends instead of crashing its process again: the photo is
    // counted as failed.
    server.update_config(|c| c.latency_ms = 0);
    let report = support::run_json(
        support::with_mock_rekognition(support::findme(&data), &endpoint)
            .args(["match", "--event", "gala", "--json"]),
    );
    assert_eq!(report["failed"], 1, "{report:#}");
    let job = match_job(&data).expect("the match job");
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("failed", MAX_ATTEMPTS)
    );
    server.shutdown().await;
}
