//! Worker pools on a real catalog file.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use findme_catalog::Catalog;
use findme_jobs::{ClaimedJob, JobError, JobHandler, JobKind, PoolConfig, WorkerPool};

/// Records every run; behaves per subject as `script` says.
#[derive(Default)]
struct Recorder {
    runs: Mutex<HashMap<String, u32>>,
    script: Mutex<HashMap<String, Vec<Result<(), JobError>>>>,
    /// Subjects whose run never finishes.
    hang: Vec<String>,
}

impl JobHandler for Recorder {
    async fn run(&self, job: &ClaimedJob) -> Result<(), JobError> {
        *self
            .runs
            .lock()
            .unwrap()
            .entry(job.subject.clone())
            .or_default() += 1;
        if self.hang.contains(&job.subject) {
            std::future::pending::<()>().await;
        }
        let next = self
            .script
            .lock()
            .unwrap()
            .get_mut(&job.subject)
            .and_then(|s| (!s.is_empty()).then(|| s.remove(0)));
        tokio::task::yield_now().await;
        next.unwrap_or(Ok(()))
    }
}

fn config(workers: usize, lease_ms: u64) -> PoolConfig {
    PoolConfig {
        workers,
        target: None,
        lease: Duration::from_millis(lease_ms),
        idle_poll: Duration::from_millis(20),
        backoff_base: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
    }
}

async fn catalog_with_jobs(dir: &std::path::Path, n: usize) -> Catalog {
    let cat = Catalog::open(&dir.join("c.sqlite")).unwrap();
    cat.write(move |w| {
        for i in 0..n {
            w.enqueue(JobKind::Thumbnail, &format!("s{i}"), None)?;
        }
        Ok(())
    })
    .await
    .unwrap();
    cat
}

async fn status_of(cat: &Catalog, subject: &str) -> (String, Option<String>) {
    let s = subject.to_string();
    cat.read(move |r| r.job_status(JobKind::Thumbnail, &s))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_runs_exactly_once_with_many_workers() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog_with_jobs(dir.path(), 200).await;
    let handler = Arc::new(Recorder::default());
    let pool = WorkerPool::start(
        cat.clone(),
        JobKind::Thumbnail,
        "p1".into(),
        handler.clone(),
        config(8, 10_000),
    );
    pool.wait_idle().await.unwrap();
    pool.shutdown().await;
    let runs = handler.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 200);
    assert!(runs.values().all(|&n| n == 1), "a job ran twice");
    assert_eq!(pool.status().processed, 200);
    let stats = cat.read(|r| r.queue_stats(i64::MAX)).await.unwrap();
    assert_eq!(stats[0].counts.total_processed, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_then_quarantine_and_the_rest_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog_with_jobs(dir.path(), 10).await;
    let retry = || {
        Err(JobError::Retry {
            reason: "throttled".into(),
            after: None,
        })
    };
    let handler = Arc::new(Recorder::default());
    handler
        .script
        .lock()
        .unwrap()
        .insert("s1".into(), vec![retry(), retry()]);
    handler
        .script
        .lock()
        .unwrap()
        .insert("s2".into(), vec![retry(); 10]);
    handler.script.lock().unwrap().insert(
        "s3".into(),
        vec![Err(JobError::Fail("not an image".into()))],
    );
    let pool = WorkerPool::start(
        cat.clone(),
        JobKind::Thumbnail,
        "p".into(),
        handler.clone(),
        config(3, 10_000),
    );
    pool.wait_idle().await.unwrap();
    pool.shutdown().await;
    let runs = handler.runs.lock().unwrap().clone();
    assert_eq!(runs["s1"], 3, "two retries then success");
    assert_eq!(status_of(&cat, "s1").await.0, "done");
    assert_eq!(runs["s2"], 5, "max attempts (5) then quarantine");
    assert_eq!(
        status_of(&cat, "s2").await,
        ("failed".into(), Some("throttled".into()))
    );
    assert_eq!(runs["s3"], 1, "a permanent failure is not retried");
    assert_eq!(
        status_of(&cat, "s3").await,
        ("failed".into(), Some("not an image".into()))
    );
    assert_eq!(status_of(&cat, "s9").await.0, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferring_never_spends_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog_with_jobs(dir.path(), 2).await;
    let defer = || {
        Err(JobError::Defer {
            reason: "throttled".into(),
            after: Duration::from_millis(2),
        })
    };
    let handler = Arc::new(Recorder::default());
    // Twice the attempts a job has (5): a retry would have quarantined it.
    handler
        .script
        .lock()
        .unwrap()
        .insert("s0".into(), vec![defer(); 10]);
    let pool = WorkerPool::start(
        cat.clone(),
        JobKind::Thumbnail,
        "p".into(),
        handler.clone(),
        config(2, 10_000),
    );
    pool.wait_idle().await.unwrap();
    pool.shutdown().await;
    assert_eq!(
        handler.runs.lock().unwrap()["s0"],
        11,
        "ten deferrals, then done"
    );
    assert_eq!(status_of(&cat, "s0").await.0, "done");
    assert_eq!(status_of(&cat, "s1").await.0, "done");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_hands_the_job_back_without_spending_an_attempt() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog_with_jobs(dir.path(), 3).await;
    let handler = Arc::new(Recorder::default());
    handler.script.lock().unwrap().insert(
        "s0".into(),
        vec![Err(JobError::Pause("credentials expired".into()))],
    );
    let pool = WorkerPool::start(
        cat.clone(),
        JobKind::Thumbnail,
        "p".into(),
        handler.clone(),
        config(1, 10_000),
    );
    pool.wait_idle().await.unwrap();
    assert_eq!(pool.status().paused.as_deref(), Some("credentials expired"));
    let (status, _) = status_of(&cat, "s0").await;
    assert_eq!(status, "pending");
    pool.resume();
    pool.wait_idle().await.unwrap();
    pool.shutdown().await;
    for s in ["s0", "s1", "s2"] {
        assert_eq!(status_of(&cat, s).await.0, "done", "{s}");
    }
    let runs = handler.runs.lock().unwrap().clone();
    assert_eq!(runs["s0"], 2);
}

/// A process dies mid-job (its runtime is torn down, nothing is handed back). The
/// next process gets the jobs once the leases expire, and each finishes once.
#[test]
fn a_crashed_workers_jobs_run_again_after_their_lease() {
    let dir = tempfile::tempdir().unwrap();
    let crashed_rt = tokio::runtime::Runtime::new().unwrap();
    let cat = crashed_rt.block_on(catalog_with_jobs(dir.path(), 4));
    let hung = Arc::new(Recorder {
        hang: (0..4).map(|i| format!("s{i}")).collect(),
        ..Recorder::default()
    });
    crashed_rt.block_on(async {
        let _pool = WorkerPool::start(
            cat.clone(),
            JobKind::Thumbnail,
            "dead".into(),
            hung.clone(),
            config(4, 300),
        );
        while hung.runs.lock().unwrap().len() < 4 {
            tokio::task::yield_now().await;
        }
    });
    drop(crashed_rt); // kill: no shutdown, leases stay taken
    assert_eq!(hung.runs.lock().unwrap().len(), 4);

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let running = cat.read(|r| r.queue_stats(0)).await.unwrap()[0]
            .counts
            .running;
        assert_eq!(running, 4, "the dead worker's jobs look running");
        let handler = Arc::new(Recorder::default());
        let pool = WorkerPool::start(
            cat.clone(),
            JobKind::Thumbnail,
            "alive".into(),
            handler.clone(),
            config(2, 10_000),
        );
        pool.wait_idle().await.unwrap();
        pool.shutdown().await;
        let runs = handler.runs.lock().unwrap().clone();
        assert_eq!(runs.len(), 4);
        assert!(runs.values().all(|&n| n == 1));
        for i in 0..4 {
            assert_eq!(status_of(&cat, &format!("s{i}")).await.0, "done");
        }
    });
}

/// Heartbeats keep a slow job's lease alive: a second pool never runs it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_a_long_job_from_running_twice() {
    struct Slow(Mutex<u32>);
    impl JobHandler for Slow {
        async fn run(&self, _job: &ClaimedJob) -> Result<(), JobError> {
            *self.0.lock().unwrap() += 1;
            // Three leases long: without heartbeats the lease would expire twice.
            tokio::time::sleep(Duration::from_millis(900)).await;
            Ok(())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog_with_jobs(dir.path(), 1).await;
    let slow = Arc::new(Slow(Mutex::new(0)));
    let a = WorkerPool::start(
        cat.clone(),
        JobKind::Thumbnail,
        "a".into(),
        slow.clone(),
        config(1, 300),
    );
    let b = WorkerPool::start(
        cat.clone(),
        JobKind::Thumbnail,
        "b".into(),
        slow.clone(),
        config(1, 300),
    );
    a.wait_idle().await.unwrap();
    b.wait_idle().await.unwrap();
    a.shutdown().await;
    b.shutdown().await;
    assert_eq!(*slow.0.lock().unwrap(), 1);
    assert_eq!(status_of(&cat, "s0").await.0, "done");
}
