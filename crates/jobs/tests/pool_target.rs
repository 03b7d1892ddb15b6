//! A pool with a worker target (a remote service's pace): only the first
//! `target` workers claim, and workers join as the target grows.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use findme_catalog::Catalog;
use findme_jobs::{
    ClaimedJob, JobError, JobHandler, JobKind, PoolConfig, WorkerPool, WorkerTarget,
};

/// Jobs that take a few milliseconds of (simulated) work; counts how many run at once.
#[derive(Default)]
struct Concurrency {
    running: AtomicUsize,
    most: AtomicUsize,
}

impl JobHandler for Concurrency {
    async fn run(&self, _job: &ClaimedJob) -> Result<(), JobError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(5)).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

async fn enqueue(cat: &Catalog, from: usize, n: usize) {
    cat.write(move |w| {
        for i in from..from + n {
            w.enqueue(JobKind::Thumbnail, &format!("s{i}"), None)?;
        }
        Ok(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_target_claims_and_workers_join_as_it_grows() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
    let target = Arc::new(AtomicUsize::new(2));
    let config = PoolConfig {
        workers: 8,
        target: Some(WorkerTarget::new({
            let target = target.clone();
            move || target.load(Ordering::SeqCst)
        })),
        idle_poll: Duration::from_millis(20),
        ..PoolConfig::default()
    };
    let handler = Arc::new(Concurrency::default());
    let pool = WorkerPool::start(
        cat.clone(),
        JobKind::Thumbnail,
        "p1".into(),
        handler.clone(),
        config,
    );
    enqueue(&cat, 0, 100).await;
    pool.wake();
    pool.wait_idle().await.unwrap();
    assert_eq!(
        handler.most.load(Ordering::SeqCst),
        2,
        "8 workers, a target of 2"
    );
    assert_eq!(pool.status().workers, 2);

    target.store(6, Ordering::SeqCst);
    handler.most.store(0, Ordering::SeqCst);
    enqueue(&cat, 100, 300).await;
    pool.wake();
    pool.wait_idle().await.unwrap();
    assert_eq!(
        handler.most.load(Ordering::SeqCst),
        6,
        "the target grew to 6 of 8"
    );
    assert_eq!(pool.status().workers, 6);
    assert_eq!(pool.status().processed, 400);
    pool.shutdown().await;
}
