//! The sync outbox: one pending row per photo with its push job, replaced (new
//! id, so a higher revision) when the photo changes again before it was sent.

use std::path::PathBuf;

use findme_catalog::{
    Catalog, FileContent, FileRecord, FoundMatch, JobKind, JobStatus, NewFace, PhotoFacts,
    PhotoStatus, PublishPolicy, RecordOutcome, TileFilter, TileSort,
};

fn record(sha: &str) -> FileRecord {
    FileRecord {
        path: PathBuf::from(format!("/card/{sha}.jpg")),
        size: 100,
        mtime_ns: 5,
        content: FileContent::Photo(Box::new(PhotoFacts {
            sha256: sha.to_string(),
            size: 100,
            format: "jpeg".into(),
            is_raw: false,
            status: PhotoStatus::Ok,
            error: None,
            captured_at: None,
            offset_from_exif: false,
            taken_ms: 1_000,
            camera_make: Some("Canon".into()),
            camera_model: Some("Canon EOS R5".into()),
            camera_serial: None,
            lens: None,
            orientation: Some(6),
            width: Some(40),
            height: Some(30),
        })),
    }
}

async fn import(cat: &Catalog, sha: &str) -> i64 {
    let file = record(sha);
    match cat.write(move |w| w.record_file(&file)).await.unwrap() {
        RecordOutcome::Imported { photo_id } => photo_id,
        other => panic!("{other:?}"),
    }
}

/// The face every test records (collection face id "f1").
fn face_f1() -> NewFace {
    NewFace {
        face_id: Some("f1".into()),
        left: 0.1,
        top: 0.2,
        width: 0.3,
        height: 0.4,
        confidence: 99.0,
        signature: None,
    }
}

#[tokio::test]
async fn a_newer_change_replaces_the_pending_row_and_the_old_one_cannot_be_marked() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let photo = import(&cat, "aa").await;
    let face = face_f1();
    let first = cat
        .write(move |w| {
            w.create_event("ev", "Ev", 80.0)?;
            // Every searched member is published, matched or not.
            w.set_publish_policy("ev", PublishPolicy::All)?;
            w.join_event("ev", &[photo])?;
            w.upsert_participant("ev", "p1", "P One", None, true)?;
            w.record_photo_faces("ev", photo, &[face])?;
            // Searched, nobody found: the photo must be pushed (without faces).
            w.record_matches("ev", &[], &[photo])?;
            Ok(())
        })
        .await;
    first.unwrap();
    let rows = cat.read(|r| r.pending_outbox("ev", 10)).await.unwrap();
    assert_eq!(rows.len(), 1);
    let old = rows[0].id;
    let job = cat
        .read(move |r| r.job_status(JobKind::Push, &old.to_string()))
        .await
        .unwrap();
    assert_eq!(job.map(|j| j.0).as_deref(), Some("pending"));

    let row = cat.read(move |r| r.face_row_of("ev", "f1")).await.unwrap();
    let found = vec![FoundMatch {
        participant_id: "p1".into(),
        face_row: row.unwrap(),
        confidence: 97.0,
    }];
    cat.write(move |w| w.record_matches("ev", &found, &[]))
        .await
        .unwrap();
    let rows = cat.read(|r| r.pending_outbox("ev", 10)).await.unwrap();
    assert_eq!(rows.len(), 1, "still one pending row per photo");
    let new = rows[0].id;
    assert!(new > old, "the newer change has the higher revision");
    let old_job = cat
        .read(move |r| r.job_status(JobKind::Push, &old.to_string()))
        .await
        .unwrap();
    assert_eq!(old_job, None, "the replaced row's job is gone");

    assert!(!cat
        .write(move |w| w.mark_outbox_sent(old, 10))
        .await
        .unwrap());
    let push = cat
        .read(move |r| r.push_photo("ev", photo))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (push.width, push.height),
        (Some(30), Some(40)),
        "upright size"
    );
    assert_eq!(push.camera.as_deref(), Some("Canon EOS R5"));
    assert_eq!(push.matched.len(), 1);
    assert!(cat
        .write(move |w| w.mark_outbox_sent(new, 10))
        .await
        .unwrap());
    assert!(!cat
        .write(move |w| w.mark_outbox_sent(new, 10))
        .await
        .unwrap());
    let totals = cat
        .read(|r| r.outbox_totals(Some("ev"), i64::MAX))
        .await
        .unwrap();
    assert_eq!((totals.pending, totals.sent, totals.failed), (0, 1, 0));
    let bytes = cat.read(|r| r.counters("sync.")).await.unwrap();
    assert_eq!(bytes, vec![("bytes".into(), 10), ("pushed".into(), 1)]);
}

/// The gallery's push state and "not pushed" filter follow the photo's newest
/// change: pushed once, then changed again, it is not pushed until that is sent.
#[tokio::test]
async fn a_photo_changed_after_its_push_counts_as_not_pushed_again() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let photo = import(&cat, "bb").await;
    let face = face_f1();
    cat.write(move |w| {
        w.create_event("ev", "Ev", 80.0)?;
        // Every searched member is published, matched or not.
        w.set_publish_policy("ev", PublishPolicy::All)?;
        w.set_active_event("ev")?;
        w.join_event("ev", &[photo])?;
        w.upsert_participant("ev", "p1", "P One", None, true)?;
        w.record_photo_faces("ev", photo, &[face])?;
        w.record_matches("ev", &[], &[photo])
    })
    .await
    .unwrap();
    let push_state = || async {
        let tiles = cat
            .read(|r| r.tiles(&TileFilter::All, TileSort::Captured, false, None, 10))
            .await
            .unwrap();
        let not_pushed = cat
            .read(|r| r.tiles(&TileFilter::NotPushed, TileSort::Captured, false, None, 10))
            .await
            .unwrap();
        (tiles[0].push_job, not_pushed.len())
    };
    assert_eq!(push_state().await, (Some(JobStatus::Pending), 1));

    // The push job runs and the row is sent.
    let job = cat
        .write(|w| w.claim(JobKind::Push, "test", 60_000, 10))
        .await
        .unwrap();
    assert_eq!(job.len(), 1);
    let (id, row) = (job[0].id, job[0].subject.parse::<i64>().unwrap());
    cat.write(move |w| {
        w.mark_outbox_sent(row, 10)?;
        w.complete(id, "test")
    })
    .await
    .unwrap();
    assert_eq!(push_state().await, (Some(JobStatus::Done), 0));

    // A match found later is a change the server has not seen.
    let face_row = cat
        .read(|r| r.face_row_of("ev", "f1"))
        .await
        .unwrap()
        .unwrap();
    let found = vec![FoundMatch {
        participant_id: "p1".into(),
        face_row,
        confidence: 97.0,
    }];
    cat.write(move |w| w.record_matches("ev", &found, &[]))
        .await
        .unwrap();
    assert_eq!(push_state().await, (Some(JobStatus::Pending), 1));
}
