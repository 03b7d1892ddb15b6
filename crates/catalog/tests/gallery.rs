//! The gallery's reads: keyset tiles, filters, the change feed, the cache index.

use std::path::{Path, PathBuf};

use findme_catalog::{
    Catalog, FileContent, FileRecord, JobKind, PhotoFacts, PhotoStatus, TileFilter, TileSort,
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
    let unmatched = cat
        .read(|r| r.tile_count(&TileFilter::Unmatched))
        .await
        .unwrap();
    assert_eq!(unmatched, 100);
    let nobody = cat
        .read(|r| r.tile_count(&TileFilter::Participant("p1".into())))
        .await
        .unwrap();
    assert_eq!(nobody, 0);
    let tile = cat
        .read(|r| r.tiles(&TileFilter::All, TileSort::Captured, false, None, 1))
        .await
        .unwrap();
    assert_eq!(tile[0].thumbnail_job.as_deref(), Some("pending"));
    assert_eq!(tile[0].first_path.as_deref(), Some(Path::new("/p/0.jpg")));
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
    // Photo 0 was looked at recently; 1 and 2 are the oldest untouched.
    let used = vec![(format!("{:064x}", 0), "thumb".to_string(), i64::MAX / 2)];
    cat.write(move |w| w.touch_renditions(&used)).await.unwrap();
    let evicted = cat.write(|w| w.evict_renditions(300)).await.unwrap();
    assert_eq!(evicted.len(), 2);
    assert!(
        !evicted.iter().any(|(sha, _)| sha == &format!("{:064x}", 0)),
        "{evicted:?}"
    );
    assert_eq!(cat.read(|r| r.rendition_totals()).await.unwrap(), (3, 300));
    assert!(cat
        .write(|w| w.evict_renditions(300))
        .await
        .unwrap()
        .is_empty());
}
