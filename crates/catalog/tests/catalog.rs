//! Catalog behaviour on real SQLite files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use findme_catalog::{
    Catalog, CatalogError, CatalogOptions, FileContent, FileRecord, JobKind, PhotoFacts,
    PhotoStatus, RecordOutcome,
};

fn facts(sha: &str, format: &str, status: PhotoStatus) -> PhotoFacts {
    PhotoFacts {
        sha256: sha.to_string(),
        size: 100,
        format: format.to_string(),
        is_raw: matches!(format, "cr2" | "nef" | "arw"),
        error: (status == PhotoStatus::Failed).then(|| "truncated".to_string()),
        status,
        captured_at: None,
        offset_from_exif: false,
        taken_ms: 1_000,
        camera_make: Some("Canon".into()),
        camera_model: Some("EOS 30D".into()),
        camera_serial: None,
        lens: None,
        orientation: Some(1),
        width: Some(10),
        height: Some(10),
    }
}

fn photo(path: &str, sha: &str) -> FileRecord {
    FileRecord {
        path: PathBuf::from(path),
        size: 100,
        mtime_ns: 5,
        content: FileContent::Photo(Box::new(facts(sha, "jpeg", PhotoStatus::Ok))),
    }
}

fn open(dir: &Path) -> Catalog {
    Catalog::open(&dir.join("catalog.sqlite")).expect("open catalog")
}

#[tokio::test]
async fn same_bytes_at_a_second_path_add_a_location_not_a_photo() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    let a = cat
        .write(|w| w.record_file(&photo("/card/A/IMG_1.JPG", "aa")))
        .await
        .unwrap();
    let b = cat
        .write(|w| w.record_file(&photo("/card/B/IMG_1.JPG", "aa")))
        .await
        .unwrap();
    let again = cat
        .write(|w| w.record_file(&photo("/card/A/IMG_1.JPG", "aa")))
        .await
        .unwrap();
    let RecordOutcome::Imported { photo_id } = a else {
        panic!("first sighting must import: {a:?}")
    };
    assert_eq!(b, RecordOutcome::Duplicate { photo_id });
    assert_eq!(again, RecordOutcome::Duplicate { photo_id });

    let counts = cat.read(|r| r.counts()).await.unwrap();
    assert_eq!((counts.photos, counts.locations, counts.failed), (1, 2, 0));
    let row = cat
        .read(|r| r.photo_by_sha256("aa"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.paths,
        vec![
            PathBuf::from("/card/A/IMG_1.JPG"),
            PathBuf::from("/card/B/IMG_1.JPG")
        ]
    );
}

#[tokio::test]
async fn a_new_photo_and_its_jobs_commit_together() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    // A folder assigned to an event: its photos join it as they are recorded.
    cat.write(|w| {
        w.create_event("ev", "Ev", 80.0)?;
        w.add_watched_folder(Path::new("/x"), false, Some("ev"))?;
        Ok(())
    })
    .await
    .unwrap();
    cat.write(|w| w.record_file(&photo("/x/1.jpg", "s1")))
        .await
        .unwrap();
    cat.write(|w| w.record_file(&photo("/x/2.jpg", "s1")))
        .await
        .unwrap();
    for (kind, subject) in [(JobKind::Thumbnail, "s1"), (JobKind::Match, "ev/s1")] {
        let status = cat
            .read(move |r| r.job_status(kind, subject))
            .await
            .unwrap();
        assert_eq!(status.map(|s| s.0), Some("pending".to_string()), "{kind:?}");
    }
    let stats = cat.read(|r| r.queue_stats(0)).await.unwrap();
    let total: u64 = stats.iter().map(|k| k.counts.total_enqueued).sum();
    assert_eq!(total, 2, "a duplicate must not enqueue again: {stats:?}");

    // A write that fails after recording a photo leaves neither photo nor jobs.
    let err = cat
        .write(|w| {
            w.record_file(&photo("/x/3.jpg", "s2"))?;
            Err::<(), _>(CatalogError::Invalid("simulated failure".into()))
        })
        .await;
    assert!(err.is_err());
    assert!(cat
        .read(|r| r.photo_by_sha256("s2"))
        .await
        .unwrap()
        .is_none());
    assert!(cat
        .read(|r| r.job_status(JobKind::Thumbnail, "s2"))
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn one_failing_write_does_not_undo_its_batch_neighbours() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    // Submit many writes at once so the writer batches them into shared transactions.
    let mut pending = Vec::new();
    for i in 0..200u32 {
        let cat = cat.clone();
        pending.push(tokio::spawn(async move {
            cat.write(move |w| {
                w.record_file(&photo(&format!("/b/{i}.jpg"), &format!("h{i}")))?;
                if i % 3 == 0 {
                    return Err(CatalogError::Invalid("odd one out".into()));
                }
                Ok(())
            })
            .await
        }));
    }
    let mut failed = 0;
    for p in pending {
        if p.await.unwrap().is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 67);
    let counts = cat.read(|r| r.counts()).await.unwrap();
    assert_eq!(counts.photos, 133);
    assert_eq!(counts.locations, 133);
}

#[tokio::test]
async fn failed_content_is_a_failed_photo_and_is_forgotten_when_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    let half = FileRecord {
        content: FileContent::Photo(Box::new(facts("partial", "jpeg", PhotoStatus::Failed))),
        ..photo("/w/IMG_9.JPG", "partial")
    };
    let out = cat.write(move |w| w.record_file(&half)).await.unwrap();
    assert!(
        matches!(
            out,
            RecordOutcome::Failed {
                photo_id: Some(_),
                ..
            }
        ),
        "{out:?}"
    );
    assert_eq!(cat.read(|r| r.counts()).await.unwrap().failed, 1);
    assert!(cat
        .read(|r| r.job_status(JobKind::Thumbnail, "partial"))
        .await
        .unwrap()
        .is_none());

    // The copy completes: same path, new content.
    cat.write(|w| w.record_file(&photo("/w/IMG_9.JPG", "whole")))
        .await
        .unwrap();
    let counts = cat.read(|r| r.counts()).await.unwrap();
    assert_eq!((counts.photos, counts.locations, counts.failed), (1, 1, 0));

    // A good photo whose file is deleted keeps its row (it may be matched, pushed).
    assert!(cat
        .write(|w| w.remove_location(Path::new("/w/IMG_9.JPG")))
        .await
        .unwrap());
    let row = cat
        .read(|r| r.photo_by_sha256("whole"))
        .await
        .unwrap()
        .unwrap();
    assert!(row.paths.is_empty());
}

#[tokio::test]
async fn unreadable_files_are_failures_without_a_photo() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    let rec = FileRecord {
        path: "/x/locked.jpg".into(),
        size: 10,
        mtime_ns: 1,
        content: FileContent::Unreadable {
            reason: "permission denied".into(),
        },
    };
    let out = cat.write(move |w| w.record_file(&rec)).await.unwrap();
    assert_eq!(
        out,
        RecordOutcome::Failed {
            photo_id: None,
            reason: "permission denied".into()
        }
    );
    let failures = cat.read(|r| r.read_failures(10)).await.unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].reason, "permission denied");
    let counts = cat.read(|r| r.counts()).await.unwrap();
    assert_eq!((counts.photos, counts.failed), (0, 1));
    let under = cat
        .read(|r| r.locations_under(Path::new("/x")))
        .await
        .unwrap();
    assert!(!under[Path::new("/x/locked.jpg")].readable);
}

#[tokio::test]
async fn raw_and_jpeg_with_the_same_stem_are_grouped() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    let raw = FileRecord {
        path: "/c/IMG_0042.CR2".into(),
        size: 1,
        mtime_ns: 1,
        content: FileContent::Photo(Box::new(facts("raw42", "cr2", PhotoStatus::Ok))),
    };
    cat.write(move |w| w.record_file(&raw)).await.unwrap();
    cat.write(|w| w.record_file(&photo("/c/IMG_0042.JPG", "jpg42")))
        .await
        .unwrap();
    cat.write(|w| w.record_file(&photo("/c/IMG_0043.JPG", "jpg43")))
        .await
        .unwrap();
    cat.write(|w| w.record_file(&photo("/other/IMG_0042.JPG", "jpg42b")))
        .await
        .unwrap();
    let get = |sha: &'static str| {
        let cat = cat.clone();
        async move {
            cat.read(move |r| r.photo_by_sha256(sha))
                .await
                .unwrap()
                .unwrap()
        }
    };
    let raw = get("raw42").await;
    let jpg = get("jpg42").await;
    assert_eq!(raw.group_id, Some(raw.id.min(jpg.id)));
    assert_eq!(jpg.group_id, raw.group_id);
    assert_eq!(get("jpg43").await.group_id, None);
    assert_eq!(
        get("jpg42b").await.group_id,
        None,
        "a different folder is a different shot"
    );
}

#[tokio::test]
async fn photos_page_is_keyset_ordered_by_capture_time() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    for i in 0..25i64 {
        let mut f = facts(&format!("p{i}"), "jpeg", PhotoStatus::Ok);
        f.taken_ms = (i * 7) % 25; // shuffled capture order
        let rec = FileRecord {
            path: format!("/p/{i}.jpg").into(),
            size: 1,
            mtime_ns: 1,
            content: FileContent::Photo(Box::new(f)),
        };
        cat.write(move |w| w.record_file(&rec)).await.unwrap();
    }
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = cat
            .read(move |r| r.photos_page(after, 10, false, None))
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.taken_ms, last.id));
        seen.extend(page.iter().map(|p| p.taken_ms));
    }
    assert_eq!(seen, (0..25).collect::<Vec<_>>());
    let newest = cat
        .read(|r| r.photos_page(None, 3, true, None))
        .await
        .unwrap();
    assert_eq!(
        newest.iter().map(|p| p.taken_ms).collect::<Vec<_>>(),
        vec![24, 23, 22]
    );
}

#[tokio::test]
async fn jobs_lease_retry_quarantine_and_survive_a_dead_worker() {
    let dir = tempfile::tempdir().unwrap();
    let cat = open(dir.path());
    cat.write(|w| w.record_file(&photo("/j/1.jpg", "j1")))
        .await
        .unwrap();

    // Worker A claims with a long lease and dies (never completes).
    let a = cat
        .write(|w| w.claim(JobKind::Thumbnail, "A", 60_000, 10))
        .await
        .unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].attempt, 1);
    // While the lease is live nobody else gets it.
    let none = cat
        .write(|w| w.claim(JobKind::Thumbnail, "B", 60_000, 10))
        .await
        .unwrap();
    assert!(none.is_empty(), "a live lease was claimed again: {none:?}");
    // A's lease runs out: a heartbeat that sets it in the past stands in for the
    // minute passing (each write reads the clock afresh, so it is already over).
    let id = a[0].id;
    assert!(cat.write(move |w| w.heartbeat(id, "A", -1)).await.unwrap());
    let b = cat
        .write(|w| w.claim(JobKind::Thumbnail, "B", 60_000, 10))
        .await
        .unwrap();
    assert_eq!(b.len(), 1, "an expired lease is claimable again");
    assert_eq!(b[0].id, a[0].id);
    assert_eq!(b[0].attempt, 2);
    // A's late completion is refused; B's counts.
    assert!(!cat.write(move |w| w.complete(id, "A")).await.unwrap());
    // B fails retryably until attempts run out, then the job is quarantined.
    assert!(cat
        .write(move |w| w.fail(id, "B", "server busy", Some(0)))
        .await
        .unwrap());
    for attempt in 3..=5u32 {
        let got = cat
            .write(|w| w.claim(JobKind::Thumbnail, "B", 60_000, 10))
            .await
            .unwrap();
        assert_eq!(got[0].attempt, attempt);
        cat.write(move |w| w.fail(id, "B", "server busy", Some(0)))
            .await
            .unwrap();
    }
    let status = cat
        .read(|r| r.job_status(JobKind::Thumbnail, "j1"))
        .await
        .unwrap();
    assert_eq!(
        status,
        Some(("failed".to_string(), Some("server busy".to_string())))
    );
    assert!(cat
        .write(|w| w.claim(JobKind::Thumbnail, "B", 60_000, 10))
        .await
        .unwrap()
        .is_empty());

    // Retry from the UI: fresh attempts; a clean shutdown hands jobs back uncounted.
    assert_eq!(cat.write(|w| w.retry_failed(None)).await.unwrap(), 1);
    let c = cat
        .write(|w| w.claim(JobKind::Thumbnail, "C", 60_000, 10))
        .await
        .unwrap();
    assert_eq!(c[0].attempt, 1);
    assert_eq!(cat.write(|w| w.release_all("C")).await.unwrap(), 1);
    let d = cat
        .write(|w| w.claim(JobKind::Thumbnail, "D", 60_000, 10))
        .await
        .unwrap();
    assert_eq!(d[0].attempt, 1);
    let id = d[0].id;
    assert!(cat.write(move |w| w.complete(id, "D")).await.unwrap());
    let stats = cat.read(|r| r.queue_stats(i64::MAX)).await.unwrap();
    let thumb = stats.iter().find(|k| k.kind == JobKind::Thumbnail).unwrap();
    assert_eq!(
        (
            thumb.counts.total_processed,
            thumb.counts.pending,
            thumb.counts.failed
        ),
        (1, 0, 0)
    );
}

/// The old server crashed when scrolling exhausted its DB pool. Here readers queue
/// for admission instead: 400 gallery-sized page reads (500 photos with their
/// paths each) through 2 connections with a 50 ms pool timeout, while a writer
/// keeps committing, all succeed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_never_exhaust_the_pool_while_writes_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open_with(
        &dir.path().join("c.sqlite"),
        CatalogOptions {
            readers: 2,
            reader_timeout: Duration::from_millis(50),
            max_batch: 64,
        },
    )
    .unwrap();
    for chunk in 0..10u32 {
        cat.write(move |w| {
            for i in chunk * 300..(chunk + 1) * 300 {
                w.record_file(&photo(&format!("/seed/{i}.jpg"), &format!("seed{i}")))?;
            }
            Ok(())
        })
        .await
        .unwrap();
    }
    let writer = {
        let cat = cat.clone();
        tokio::spawn(async move {
            for i in 0..300u32 {
                cat.write(move |w| w.record_file(&photo(&format!("/h/{i}.jpg"), &format!("w{i}"))))
                    .await
                    .unwrap();
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..400 {
        let cat = cat.clone();
        readers.push(tokio::spawn(async move {
            cat.read(|r| r.photos_page(None, 500, true, None)).await
        }));
    }
    for r in readers {
        r.await.unwrap().expect("a read failed under load");
    }
    writer.await.unwrap();
    assert_eq!(cat.read(|r| r.counts()).await.unwrap().photos, 3300);
}

#[test]
fn catalog_survives_reopen_and_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("catalog.sqlite");
    {
        let cat = Catalog::open(&path).unwrap();
        cat.write_blocking(|w| w.add_watched_folder(Path::new("/media/card"), true, None))
            .unwrap();
        cat.close();
    }
    let cat = Catalog::open(&path).unwrap();
    let folders = cat.read_blocking(|r| r.watched_folders()).unwrap();
    assert_eq!(folders.len(), 1);
    assert!(folders[0].poll);
    cat.close();
    assert!(matches!(
        cat.write_blocking(|w| w.set_setting("k", "v")),
        Err(CatalogError::Closed)
    ));

    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    match Catalog::open(&path) {
        Err(CatalogError::TooNew { .. }) => {}
        Err(other) => panic!("expected TooNew, got {other}"),
        Ok(_) => panic!("a catalog from a newer build must be refused"),
    }
}

/// The app, `findme watch` and a `findme stats` beside them each open the same
/// catalog. Opening must wait for the others' writes (even while the first of them
/// is still creating and migrating the file), never fail with "database is locked".
#[test]
fn opening_waits_while_another_connection_creates_migrates_and_writes() {
    for _round in 0..10 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        let first = {
            let path = path.clone();
            std::thread::spawn(move || {
                let cat = Catalog::open(&path).expect("first open");
                for i in 0..200 {
                    cat.write_blocking(move |w| w.set_setting("round", &i.to_string()))
                        .expect("write");
                }
                cat.close();
            })
        };
        let mut opened = 0;
        while !first.is_finished() {
            match Catalog::open(&path) {
                Ok(cat) => cat.close(),
                Err(e) => panic!("open {opened} beside a busy catalog failed: {e}"),
            }
            opened += 1;
        }
        first.join().expect("the first opener panicked");
        assert!(opened > 0, "the second opener never ran");
    }
}
