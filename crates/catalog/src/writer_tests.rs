//! One writer, batched: writes that queue while the writer is busy share a
//! commit (counted by a commit hook on the writer's own connection).

use super::WriterHandle;

const WRITES: u64 = 1_000;
const MAX_BATCH: usize = 256;

#[tokio::test]
async fn writes_queued_under_load_share_few_commits() {
    let dir = tempfile::tempdir().unwrap();
    let handle = WriterHandle::start(&dir.path().join("c.sqlite"), MAX_BATCH).unwrap();
    assert_eq!(handle.commits(), 0);

    // Load: the writer is inside a slow write while a thousand callers queue
    // theirs.
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let busy = handle
        .submit(move |_| {
            let _ = gate.recv();
            Ok(())
        })
        .unwrap();
    let writes: Vec<_> = (0..WRITES)
        .map(|i| {
            handle
                .submit(move |w| {
                    w.conn.execute(
                        "INSERT INTO settings (key, value) VALUES (?1, 'x')",
                        [format!("load {i}")],
                    )?;
                    Ok(())
                })
                .unwrap()
        })
        .collect();
    release.send(()).unwrap();
    busy.await.unwrap();
    for write in futures::future::join_all(writes).await {
        write.unwrap();
    }

    // The slow write's commit, then the queue in batches of at most MAX_BATCH.
    let commits = handle.commits();
    let most = 1 + WRITES.div_ceil(MAX_BATCH as u64);
    assert!(
        (1..=most).contains(&commits),
        "{WRITES} queued writes took {commits} commits (at most {most} expected)"
    );
    // ...and every write is in.
    let counted = handle
        .submit(|w| {
            Ok(w.conn.query_row(
                "SELECT count(*) FROM settings WHERE key LIKE 'load %'",
                [],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .unwrap()
        .await
        .unwrap();
    assert_eq!(counted, WRITES as i64);
}
