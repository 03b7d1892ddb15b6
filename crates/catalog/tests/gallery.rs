//! The gallery's reads: keyset tiles, filters, the change feed, the cache index.

use std::path::{Path, PathBuf};

use std::os::unix::ffi::OsStrExt;

use findme_catalog::{
    Catalog, FileContent, FileRecord, FoundMatch, JobKind, JobStatus, NewFace, PhotoFacts,
    PhotoStatus, PublishPolicy, TileFilter, TileSort,
};

fn record(path: &str, sha: &str, taken_ms: i64, status: PhotoStatus) -> FileRecord {
    FileRecord {
        path: PathBuf::from(path),
        size: 1,
        mtime_ns: 1,
        content: FileContent::Photo(Box::new(PhotoFacts {
            sha256: sha.to_string(),
            size: 1,
            format: "jpeg".into(),
            is_raw: false,
            error: (status == PhotoStatus::Failed).then(|| "truncated".into()),
            status,
            captured_at: None,
            offset_from_exif: false,
            taken_ms,
            camera_make: None,
            camera_model: None,
            camera_serial: None,
            lens: None,
            orientation: Some(6),
            width: Some(600),
            height: Some(400),
        })),
    }
}

async fn catalog(dir: &Path, n: i64) -> Catalog {
    let cat = Catalog::open(&dir.join("c.sqlite")).unwrap();
    cat.write(move |w| {
        for i in 0..n {
            let status = if i % 10 == 9 {
                PhotoStatus::Failed
            } else {
                PhotoStatus::Ok
            };
            // Capture order differs from import order.
            w.record_file(&record(
                &format!("/p/{i}.jpg"),
                &format!("{i:064x}"),
                (i * 37) % n,
                status,
            ))?;
        }
        Ok(())
    })
    .await
    .unwrap();
    cat
}

#[tokio::test]
async fn tiles_page_by_keyset_in_either_order_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(dir.path(), 100).await;
    for (sort, newest_first) in [
        (TileSort::Captured, false),
        (TileSort::Captured, true),
        (TileSort::Imported, false),
    ] {
        let mut keys = Vec::new();
        let mut after = None;
        loop {
            let page = cat
                .read(move |r| r.tiles(&TileFilter::All, sort, newest_first, after, 7))
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            let key = |t: &findme_catalog::TileRow| {
                if sort == TileSort::Captured {
                    t.taken_ms
                } else {
                    t.imported_ms
                }
            };
            after = Some((key(last), last.id));
            keys.extend(page.iter().map(|t| (key(t), t.id)));
        }
        assert_eq!(keys.len(), 100, "{sort:?}");
        let mut sorted = keys.clone();
        sorted.sort();
        if newest_first {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "{sort:?} newest_first={newest_first}");
    }
    let failed = cat
        .read(|r| r.tile_count(&TileFilter::Failed))
        .await
        .unwrap();
    assert_eq!(failed, 10);
    // "Unmatched" counts the active event's members only: none without an event,
    // then the 40 that join it.
    let unmatched = cat
        .read(|r| r.tile_count(&TileFilter::Unmatched))
        .await
        .unwrap();
    assert_eq!(unmatched, 0);
    let ids: Vec<i64> = cat
        .read(|r| r.tiles(&TileFilter::All, TileSort::Captured, false, None, 40))
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    cat.write(move |w| {
        w.create_event("ev", "Ev", 80.0)?;
        w.set_active_event("ev")?;
        w.join_event("ev", &ids)
    })
    .await
    .unwrap();
    let unmatched = cat
        .read(|r| r.tile_count(&TileFilter::Unmatched))
        .await
        .unwrap();
    assert_eq!(unmatched, 40);
    let nobody = cat
        .read(|r| r.tile_count(&TileFilter::Participant("p1".into())))
        .await
        .unwrap();
    assert_eq!(nobody, 0);
    let tile = cat
        .read(|r| r.tiles(&TileFilter::All, TileSort::Captured, false, None, 1))
        .await
        .unwrap();
    assert_eq!(tile[0].thumbnail_job, Some(JobStatus::Pending));
    assert_eq!(tile[0].first_path.as_deref(), Some(Path::new("/p/0.jpg")));
}

/// A status this build does not know (a newer build's, or damage) is refused
/// when the row is read: the gallery never shows it as a failure it is not.
#[tokio::test]
async fn an_unknown_job_status_is_an_error_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(dir.path(), 1).await;
    // Another writer (a newer build, or damage) leaves a value this build does not know.
    let conn = rusqlite::Connection::open(dir.path().join("c.sqlite")).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    conn.execute("UPDATE photos SET match_job = 'exploded'", [])
        .unwrap();
    drop(conn);
    let read = cat
        .read(|r| r.tiles(&TileFilter::All, TileSort::Captured, false, None, 10))
        .await;
    let err = read.expect_err("an unknown status must not read as a tile");
    assert!(err.to_string().contains("exploded"), "{err}");
}

#[tokio::test]
async fn the_change_feed_reports_new_changed_and_removed_photos() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(dir.path(), 20).await;
    let (all, removed, seq) = cat.read(|r| r.tile_changes(0, 1000)).await.unwrap();
    assert_eq!((all.len(), removed.len()), (20, 0));
    let (none, _, same) = cat.read(move |r| r.tile_changes(seq, 1000)).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(same, seq);

    // A job finishing, a rendition arriving, a new location: each changes one tile.
    let sha5 = format!("{:064x}", 5);
    let sha7 = format!("{:064x}", 7);
    let claimed = cat
        .write(|w| w.claim(JobKind::Thumbnail, "w", 60_000, 1))
        .await
        .unwrap();
    let (job_id, job_subject) = (claimed[0].id, claimed[0].subject.clone());
    cat.write(move |w| w.complete(job_id, "w")).await.unwrap();
    let s5 = sha5.clone();
    cat.write(move |w| w.put_rendition(&s5, "thumb", 100, 320, 213))
        .await
        .unwrap();
    let s7 = sha7.clone();
    cat.write(move |w| w.record_file(&record("/copy/7.jpg", &s7, 0, PhotoStatus::Ok)))
        .await
        .unwrap();
    let (changed, _, seq2) = cat.read(move |r| r.tile_changes(seq, 1000)).await.unwrap();
    let mut shas: Vec<String> = changed.iter().map(|t| t.sha256.clone()).collect();
    shas.sort();
    let mut want = vec![job_subject, sha5.clone(), sha7];
    want.sort();
    assert_eq!(shas, want);
    assert!(changed
        .iter()
        .any(|t| t.sha256 == sha5 && t.thumbnail_cached));
    assert!(seq2 > seq);

    // A failed photo replaced by good content at the same path disappears.
    let failed_sha = format!("{:064x}", 9);
    let failed_id = cat
        .read(move |r| r.photo_by_sha256(&failed_sha))
        .await
        .unwrap()
        .unwrap()
        .id;
    cat.write(|w| w.record_file(&record("/p/9.jpg", "ff", 0, PhotoStatus::Ok)))
        .await
        .unwrap();
    let (changed, removed, _) = cat.read(move |r| r.tile_changes(seq2, 1000)).await.unwrap();
    assert_eq!(removed, vec![failed_id]);
    assert!(changed.iter().any(|t| t.sha256 == "ff"));

    // Paging the feed: a full page resumes from its last row.
    let (page, _, upto) = cat.read(|r| r.tile_changes(0, 5)).await.unwrap();
    assert_eq!(page.len(), 5);
    assert_eq!(upto, page[4].change_seq);
}

#[tokio::test]
async fn the_cache_index_evicts_least_recently_used_first() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(dir.path(), 5).await;
    cat.write(|w| {
        for i in 0..5 {
            w.put_rendition(&format!("{i:064x}"), "thumb", 100, 320, 240)?;
        }
        Ok(())
    })
    .await
    .unwrap();
    // Each was last looked at at a different time, in an order that is neither
    // the keys' nor the insertion order: 3 and 1 are the least recently used.
    let base = i64::MAX / 2;
    let used: Vec<_> = [(0, 40), (1, 20), (2, 50), (3, 10), (4, 30)]
        .into_iter()
        .map(|(i, at)| (format!("{i:064x}"), "thumb".to_string(), base + at))
        .collect();
    cat.write(move |w| w.touch_renditions(&used)).await.unwrap();
    let evicted = cat.write(|w| w.evict_renditions(300)).await.unwrap();
    assert_eq!(
        evicted,
        [3, 1].map(|i| (format!("{i:064x}"), "thumb".to_string())),
        "the two least recently used, oldest first"
    );
    for (i, kept) in [(0, true), (1, false), (2, true), (3, false), (4, true)] {
        let sha = format!("{i:064x}");
        let row = cat.read(move |r| r.rendition(&sha, "thumb")).await.unwrap();
        assert_eq!(row.is_some(), kept, "rendition {i}");
    }
    assert_eq!(cat.read(|r| r.rendition_totals()).await.unwrap(), (3, 300));
    assert!(cat
        .write(|w| w.evict_renditions(300))
        .await
        .unwrap()
        .is_empty());
}

/// The cache's size is kept by triggers (schema v7) instead of summed on every
/// write: it must equal the sum after every kind of change.
#[tokio::test]
async fn the_cache_totals_follow_every_write_forget_and_eviction() {
    let dir = tempfile::tempdir().unwrap();
    let cat = catalog(dir.path(), 6).await;
    let db = dir.path().join("c.sqlite");
    let summed = || {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT count(*), coalesce(sum(bytes), 0) FROM renditions",
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )
        .unwrap()
    };
    assert_eq!(cat.read(|r| r.rendition_totals()).await.unwrap(), (0, 0));
    cat.write(|w| {
        for i in 0..6 {
            w.put_rendition(&format!("{i:064x}"), "thumb", 100 + i, 320, 240)?;
            w.put_rendition(&format!("{i:064x}"), "preview", 1000, 2048, 1365)?;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        cat.read(|r| r.rendition_totals()).await.unwrap(),
        (12, 6615)
    );
    // Made again at another size (a new encoder): replaced, not added.
    cat.write(|w| w.put_rendition(&format!("{:064x}", 0), "preview", 400, 2048, 1365))
        .await
        .unwrap();
    assert_eq!(
        cat.read(|r| r.rendition_totals()).await.unwrap(),
        (12, 6015)
    );
    cat.write(|w| w.forget_rendition(&format!("{:064x}", 1), "thumb"))
        .await
        .unwrap();
    assert_eq!(
        cat.read(|r| r.rendition_totals()).await.unwrap(),
        (11, 5914)
    );
    let evicted = cat.write(|w| w.evict_renditions(3000)).await.unwrap();
    let totals = cat.read(|r| r.rendition_totals()).await.unwrap();
    assert_eq!(totals, summed());
    assert_eq!(totals.0, 11 - evicted.len() as u64);
    assert!(totals.1 <= 3000 && totals.1 > 2000, "{totals:?}");
}

/// A tile's stage states, thumbnail flag and first location as the jobs, the
/// cache index and the locations say (the correlated subqueries tiles were read
/// with before schema v6 kept them on the photo row).
/// The tile's state from the tables it summarises: match and push state are the
/// active event's.
const TILE_STATE_FROM_SOURCES: &str = "SELECT p.id,
    (SELECT status FROM jobs j WHERE j.photo_id = p.id AND j.kind = 'thumbnail'),
    (SELECT status FROM jobs j WHERE j.photo_id = p.id AND j.kind = 'match'
        AND j.event_id IS (SELECT value FROM settings WHERE key = 'active_event')),
    (SELECT status FROM jobs j WHERE j.photo_id = p.id AND j.kind = 'push'
        AND j.event_id IS (SELECT value FROM settings WHERE key = 'active_event')
      ORDER BY j.id DESC LIMIT 1),
    EXISTS (SELECT 1 FROM renditions r WHERE r.sha256 = p.sha256 AND r.kind = 'thumb'),
    (SELECT path FROM locations l WHERE l.photo_id = p.id ORDER BY l.id LIMIT 1)
  FROM photos p ORDER BY p.id";

type TileState = (
    i64,
    Option<JobStatus>,
    Option<JobStatus>,
    Option<JobStatus>,
    bool,
    Option<Vec<u8>>,
);

/// Every tile's stored state equals the sources', and the filters count alike.
async fn assert_tiles_agree(cat: &Catalog, db: &Path, step: &str) {
    let mut stored: Vec<TileState> = cat
        .read(|r| r.tiles(&TileFilter::All, TileSort::Imported, false, None, 10_000))
        .await
        .unwrap()
        .into_iter()
        .map(|t| {
            let path = t.first_path.map(|p| p.as_os_str().as_bytes().to_vec());
            let state = (t.thumbnail_job, t.match_job, t.push_job);
            (t.id, state.0, state.1, state.2, t.thumbnail_cached, path)
        })
        .collect();
    stored.sort_by_key(|t| t.0);
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(TILE_STATE_FROM_SOURCES).unwrap();
    let sources: Vec<TileState> = stmt
        .query_map([], |r| {
            let status = |i: usize| -> rusqlite::Result<Option<JobStatus>> {
                Ok(r.get::<_, Option<String>>(i)?
                    .map(|s| JobStatus::parse(&s).expect("a known job status")))
            };
            Ok((
                r.get(0)?,
                status(1)?,
                status(2)?,
                status(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(stored, sources, "after {step}");
    let count = |sql: &str| -> u64 {
        conn.query_row(
            &format!("SELECT count(*) FROM photos p WHERE {sql}"),
            [],
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as u64
    };
    let by_sources = [
        count("p.status = 'failed' OR EXISTS (SELECT 1 FROM jobs j WHERE j.photo_id = p.id AND j.status = 'failed')"),
        count("EXISTS (SELECT 1 FROM event_photos ep WHERE ep.photo_id = p.id AND ep.event_id = 'ev')
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.photo_id = p.id AND j.kind = 'match'
                               AND j.event_id = 'ev' AND j.status = 'done')"),
        count("EXISTS (SELECT 1 FROM event_photos ep WHERE ep.photo_id = p.id AND ep.event_id = 'ev')
               AND coalesce((SELECT status FROM jobs j WHERE j.photo_id = p.id AND j.kind = 'push'
                             AND j.event_id = 'ev' ORDER BY j.id DESC LIMIT 1), '') <> 'done'"),
    ];
    let filters = [
        TileFilter::Failed,
        TileFilter::Unmatched,
        TileFilter::NotPushed,
    ];
    for (filter, want) in filters.into_iter().zip(by_sources) {
        let got = cat.read(move |r| r.tile_count(&filter)).await.unwrap();
        assert_eq!(got, want, "count after {step}");
    }
}

#[tokio::test]
async fn a_tile_row_keeps_its_jobs_cache_and_first_location_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.sqlite");
    let cat = catalog(dir.path(), 12).await;
    assert_tiles_agree(&cat, &db, "import").await;
    // The photos join the active event: each gets its match job for it.
    cat.write(|w| {
        w.create_event("ev", "Ev", 80.0)?;
        // Every searched member is published, matched or not.
        w.set_publish_policy("ev", PublishPolicy::All)?;
        w.set_active_event("ev")?;
        w.join_event_everything("ev")
    })
    .await
    .unwrap();
    assert_tiles_agree(&cat, &db, "joining the event").await;
    let sha = |i: i64| format!("{i:064x}");
    let id_of = |i: i64| {
        let s = sha(i);
        let cat = cat.clone();
        async move {
            cat.read(move |r| r.photo_by_sha256(&s))
                .await
                .unwrap()
                .unwrap()
                .id
        }
    };

    // Thumbnail jobs: done, quarantined, one left running.
    let jobs = cat
        .write(|w| w.claim(JobKind::Thumbnail, "w", 60_000, 5))
        .await
        .unwrap();
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    cat.write(move |w| {
        for id in &ids[..3] {
            w.complete(*id, "w")?;
        }
        w.fail(ids[3], "w", "disk full", None)
    })
    .await
    .unwrap();
    assert_tiles_agree(&cat, &db, "thumbnail jobs").await;
    // Match jobs: one retried later (pending again), one quarantined.
    let jobs = cat
        .write(|w| w.claim(JobKind::Match, "w", 60_000, 2))
        .await
        .unwrap();
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    cat.write(move |w| {
        w.fail(ids[0], "w", "throttled", Some(1_000))?;
        w.fail(ids[1], "w", "no such file", None)
    })
    .await
    .unwrap();
    assert_tiles_agree(&cat, &db, "match jobs").await;

    // The cache: thumbnails made, one forgotten, a preview (not a thumbnail).
    let (s0, s1, s2, s3) = (sha(0), sha(1), sha(2), sha(3));
    cat.write(move |w| {
        for s in [&s0, &s1, &s2] {
            w.put_rendition(s, "thumb", 100, 320, 213)?;
        }
        w.put_rendition(&s3, "preview", 900, 2048, 1365)?;
        w.forget_rendition(&s1, "thumb")
    })
    .await
    .unwrap();
    assert_tiles_agree(&cat, &db, "cache").await;
    cat.write(|w| w.evict_renditions(100)).await.unwrap();
    assert_tiles_agree(&cat, &db, "eviction").await;

    // Locations: a second copy, then the first copy goes; new content at a
    // known path takes that location from its photo.
    let s4 = sha(4);
    cat.write(move |w| w.record_file(&record("/q/4.jpg", &s4, 0, PhotoStatus::Ok)))
        .await
        .unwrap();
    cat.write(|w| w.remove_location(Path::new("/p/4.jpg")))
        .await
        .unwrap();
    cat.write(|w| w.record_file(&record("/p/5.jpg", "ee", 0, PhotoStatus::Ok)))
        .await
        .unwrap();
    assert_tiles_agree(&cat, &db, "locations").await;

    // Pushes: a photo searched (push job), then matched (the job replaced by a
    // newer one), pushed; quarantined jobs retried.
    let photo = id_of(0).await;
    let face = NewFace {
        face_id: Some("f1".into()),
        left: 0.1,
        top: 0.2,
        width: 0.3,
        height: 0.4,
        confidence: 99.0,
        signature: None,
    };
    cat.write(move |w| {
        w.upsert_participant("ev", "p1", "P One", None, true)?;
        w.record_photo_faces("ev", photo, &[face])?;
        w.record_matches("ev", &[], &[photo])
    })
    .await
    .unwrap();
    assert_tiles_agree(&cat, &db, "first push job").await;
    // The first push is under way when the photo changes again: its job stays,
    // a newer one joins it, and finishing the older one leaves the newer's state.
    let first = cat
        .write(|w| w.claim(JobKind::Push, "w", 60_000, 5))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    let row = cat
        .read(|r| r.face_row_of("ev", "f1"))
        .await
        .unwrap()
        .unwrap();
    let found = vec![FoundMatch {
        participant_id: "p1".into(),
        face_row: row,
        confidence: 97.0,
    }];
    cat.write(move |w| w.record_matches("ev", &found, &[]))
        .await
        .unwrap();
    assert_tiles_agree(&cat, &db, "a newer push job").await;
    let older = first[0].id;
    cat.write(move |w| w.complete(older, "w")).await.unwrap();
    assert_tiles_agree(&cat, &db, "the older push done").await;
    let newer = cat
        .write(|w| w.claim(JobKind::Push, "w", 60_000, 5))
        .await
        .unwrap();
    assert_eq!(newer.len(), 1);
    let newer = newer[0].id;
    cat.write(move |w| w.complete(newer, "w")).await.unwrap();
    assert_tiles_agree(&cat, &db, "pushed").await;
    cat.write(|w| w.retry_failed(None)).await.unwrap();
    assert_tiles_agree(&cat, &db, "retry").await;
}
