//! Deletion work is written with the change that asks for it, and a face that
//! arrives after its reason (consent withdrawn, photo left the event while it was
//! being indexed) is queued for deletion instead of being recorded.

mod common;

use std::path::Path;

use findme_catalog::{Catalog, DeletionTarget, NewFace, Picked, RecordOutcome, SelfieFace};

async fn photo(cat: &Catalog, sha: &str) -> i64 {
    let file = common::jpeg_record(sha);
    match cat.write(move |w| w.record_file(&file)).await.unwrap() {
        RecordOutcome::Imported { photo_id } => photo_id,
        other => panic!("{other:?}"),
    }
}

fn face(id: &str) -> NewFace {
    NewFace {
        face_id: Some(id.into()),
        left: 0.1,
        top: 0.2,
        width: 0.3,
        height: 0.4,
        confidence: 99.0,
        signature: None,
    }
}

/// An event whose faces live in Rekognition.
async fn rekognition_event(cat: &Catalog) {
    cat.write(|w| {
        w.create_event("ev", "Ev", 80.0)?;
        w.claim_event_backend("ev", "rekognition")?;
        Ok(())
    })
    .await
    .unwrap();
}

async fn targets(cat: &Catalog) -> Vec<(DeletionTarget, String)> {
    cat.read(|r| r.deletions(0, true))
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.target, d.reason))
        .collect()
}

#[tokio::test]
async fn a_selfie_face_indexed_after_consent_was_withdrawn_is_deleted_not_kept() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    rekognition_event(&cat).await;
    let selfie = Path::new("/data/selfies/abc.jpg");
    cat.write(move |w| w.upsert_participant("ev", "p1", "P One", Some(("abc", selfie)), true))
        .await
        .unwrap();
    // Withdrawn while the index-participant job was calling IndexFaces.
    cat.write(|w| w.upsert_participant("ev", "p1", "P One", None, false))
        .await
        .unwrap();
    cat.write(|w| w.record_participant_face("ev", "p1", Some("F1"), None, None))
        .await
        .unwrap();
    let p = cat
        .read(|r| r.participant("ev", "p1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.face_id, p.selfie_path), (None, None));
    assert_eq!(
        targets(&cat).await,
        [
            (
                DeletionTarget::Selfie {
                    path: selfie.to_path_buf(),
                    sha256: "abc".into()
                },
                "consent withdrawn".to_string()
            ),
            (
                DeletionTarget::Faces {
                    collection: "findme-ev".into(),
                    face_ids: vec!["F1".into()],
                    person: Some("p1".into())
                },
                "consent withdrawn".to_string()
            ),
        ]
    );
}

#[tokio::test]
async fn faces_of_a_photo_that_left_the_event_while_indexed_are_deleted_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    rekognition_event(&cat).await;
    let (kept, left) = (photo(&cat, "aa").await, photo(&cat, "bb").await);
    cat.write(move |w| {
        w.join_event("ev", &[kept, left])?;
        w.record_photo_faces("ev", kept, &[face("K1")])?;
        Ok(())
    })
    .await
    .unwrap();
    // "bb" leaves while its match job indexes it; "aa" leaves after.
    let removed = cat
        .write(move |w| w.leave_event("ev", &[left]))
        .await
        .unwrap();
    assert_eq!(removed, 1);
    let recorded = cat
        .write(move |w| w.record_photo_faces("ev", left, &[face("L1"), face("L2")]))
        .await
        .unwrap();
    assert!(!recorded);
    cat.write(move |w| w.leave_event("ev", &[kept]))
        .await
        .unwrap();
    let faces = |collection: &str, ids: &[&str]| DeletionTarget::Faces {
        collection: collection.into(),
        face_ids: ids.iter().map(|s| s.to_string()).collect(),
        person: None,
    };
    let why = "photo removed from the event".to_string();
    assert_eq!(
        targets(&cat).await,
        [
            (faces("findme-ev", &["L1", "L2"]), why.clone()),
            (faces("findme-ev", &["K1"]), why),
        ]
    );
    let members = cat.read(|r| r.event_member_count("ev")).await.unwrap();
    assert_eq!(members, 0);
    let totals = cat.read(|r| r.deletion_totals()).await.unwrap();
    assert_eq!((totals.pending, totals.rekognition_faces), (2, 3));
}

#[tokio::test]
async fn a_reason_without_a_face_is_recorded_for_a_participant_without_a_selfie() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    rekognition_event(&cat).await;
    cat.write(|w| {
        w.upsert_participant("ev", "p1", "P One", None, true)?;
        w.record_participant_face("ev", "p1", None, None, Some("no selfie yet"))
    })
    .await
    .unwrap();
    let p = cat
        .read(|r| r.participant("ev", "p1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.index_error.as_deref(), Some("no selfie yet"));
    assert!(targets(&cat).await.is_empty());
}

/// A selfie's faces stay with it; picking another face than the one indexed
/// retires that face (deletion work) and queues the participant again; a new
/// selfie or withdrawn consent forgets the faces.
#[tokio::test]
async fn picking_another_face_of_a_selfie_retires_the_indexed_one() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    rekognition_event(&cat).await;
    let selfie = Path::new("/data/selfies/abc.jpg");
    cat.write(move |w| w.upsert_participant("ev", "p1", "P One", Some(("abc", selfie)), true))
        .await
        .unwrap();
    let two = [
        SelfieFace {
            left: 0.1,
            top: 0.1,
            width: 0.3,
            height: 0.3,
        },
        SelfieFace {
            left: 0.6,
            top: 0.2,
            width: 0.25,
            height: 0.25,
        },
    ];
    cat.write(move |w| {
        w.record_selfie_faces("ev", "p1", &two, None)?;
        w.record_participant_face("ev", "p1", None, None, Some("several faces (2)"))
    })
    .await
    .unwrap();
    let p = cat
        .read(|r| r.participant("ev", "p1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (p.selfie_faces.len(), p.face_pick, p.face_used),
        (2, None, None)
    );

    let pick = |n| cat.write(move |w| w.pick_selfie_face("ev", "p1", n));
    assert_eq!(pick(2).await.unwrap(), Picked::NoSuchFace);
    assert_eq!(pick(0).await.unwrap(), Picked::Queued);
    cat.write(move |w| {
        w.record_selfie_faces("ev", "p1", &two, Some(0))?;
        w.record_participant_face("ev", "p1", Some("F0"), None, None)
    })
    .await
    .unwrap();
    assert_eq!(pick(0).await.unwrap(), Picked::Already);
    assert!(targets(&cat).await.is_empty(), "nothing was retired yet");

    // Another face: the indexed one goes.
    assert_eq!(pick(1).await.unwrap(), Picked::Queued);
    let p = cat
        .read(|r| r.participant("ev", "p1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            p.face_id,
            p.index_error,
            p.face_pick,
            p.face_used,
            p.selfie_faces.len()
        ),
        (None, None, Some(1), None, 2)
    );
    assert_eq!(
        targets(&cat).await,
        [(
            DeletionTarget::Faces {
                collection: "findme-ev".into(),
                face_ids: vec!["F0".into()],
                person: Some("p1".into())
            },
            "another face of the selfie picked".to_string()
        )]
    );

    // A new selfie forgets the faces and the pick.
    let other = Path::new("/data/selfies/def.jpg");
    cat.write(move |w| w.upsert_participant("ev", "p1", "P One", Some(("def", other)), true))
        .await
        .unwrap();
    let p = cat
        .read(|r| r.participant("ev", "p1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((p.selfie_faces.len(), p.face_pick), (0, None));

    // Withdrawn consent: faces recorded late are not kept.
    cat.write(|w| w.upsert_participant("ev", "p1", "P One", None, false))
        .await
        .unwrap();
    cat.write(move |w| w.record_selfie_faces("ev", "p1", &two, None))
        .await
        .unwrap();
    let p = cat
        .read(|r| r.participant("ev", "p1"))
        .await
        .unwrap()
        .unwrap();
    assert!(p.selfie_faces.is_empty());
}
