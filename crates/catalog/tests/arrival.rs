//! How photos arrived: live sources first in the job queue, shutter-to-guest
//! figures per source, and the FTP receiver's camera accounts.

mod common;

use std::path::PathBuf;

use findme_catalog::{Arrival, ArrivalSource, Catalog, JobKind, PublishPolicy, RecordOutcome};

async fn arrive(cat: &Catalog, sha: &str, event: Option<&str>, arrival: Arrival) -> i64 {
    let (file, event) = (common::jpeg_record(sha), event.map(str::to_string));
    match cat
        .write(move |w| w.record_file_into(&file, event.as_deref(), arrival))
        .await
        .unwrap()
    {
        RecordOutcome::Imported { photo_id } => photo_id,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_live_photo_is_claimed_before_a_card_backlog_in_every_stage() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    cat.write(|w| w.create_event("ev", "Ev", 80.0).map(|_| ()))
        .await
        .unwrap();
    for i in 0..20 {
        let card = Arrival::now(ArrivalSource::Card);
        arrive(&cat, &format!("card{i:02}"), Some("ev"), card).await;
    }
    let live = arrive(&cat, "ftp", Some("ev"), Arrival::now(ArrivalSource::Ftp)).await;
    arrive(
        &cat,
        "late-card",
        Some("ev"),
        Arrival::now(ArrivalSource::Card),
    )
    .await;

    // Thumbnails and matching: the live photo's job is claimed first, although
    // twenty card photos were queued before it.
    for kind in [JobKind::Thumbnail, JobKind::Match] {
        let first = cat
            .write(move |w| w.claim(kind, "worker", 60_000, 1))
            .await
            .unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].photo_id, Some(live), "{kind:?}");
        // Then the backlog in its own order.
        let next = cat
            .write(move |w| w.claim(kind, "worker", 60_000, 1))
            .await
            .unwrap();
        assert_ne!(next[0].photo_id, Some(live));
    }
    // Publishing: the live photo's push is claimed ahead of the card photo's
    // pushed earlier.
    let card_photo = arrive(
        &cat,
        "card-pushed",
        Some("ev"),
        Arrival::now(ArrivalSource::Card),
    )
    .await;
    cat.write(move |w| {
        w.set_publish_policy("ev", PublishPolicy::All)?;
        for photo in [card_photo, live] {
            w.record_photo_faces("ev", photo, &[])?;
            w.record_matches("ev", &[], &[photo])?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let push = cat
        .write(|w| w.claim(JobKind::Push, "worker", 60_000, 1))
        .await
        .unwrap();
    assert_eq!(push[0].photo_id, Some(live));
}

#[tokio::test]
async fn latencies_count_from_the_arrival_per_source_and_the_first_arrival_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let now = findme_catalog::now_ms();
    let ftp = arrive(
        &cat,
        "a",
        Some("ev"),
        Arrival::at(ArrivalSource::Ftp, now - 7_000),
    )
    .await;
    let watch = arrive(
        &cat,
        "b",
        None,
        Arrival::at(ArrivalSource::Watch, now - 3_000),
    )
    .await;
    // The same bytes arriving again from a card do not change where it came from.
    let mut again = common::jpeg_record("a");
    again.path = PathBuf::from("/card/a.jpg");
    let outcome = cat
        .write(move |w| w.record_file_into(&again, None, Arrival::now(ArrivalSource::Card)))
        .await
        .unwrap();
    assert_eq!(outcome, RecordOutcome::Duplicate { photo_id: ftp });
    cat.write(move |w| {
        w.create_event("ev", "Ev", 80.0)?;
        w.set_publish_policy("ev", PublishPolicy::All)?;
        w.join_event("ev", &[ftp, watch])?;
        for photo in [ftp, watch] {
            w.record_photo_faces("ev", photo, &[])?;
            w.record_matches("ev", &[], &[photo])?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let rows = cat.read(|r| r.pending_outbox("ev", 10)).await.unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        cat.write(move |w| w.mark_outbox_sent(row.id, 1))
            .await
            .unwrap();
    }
    let mut latencies = cat.read(|r| r.arrival_latencies(10)).await.unwrap();
    latencies.sort_by_key(|l| l.source.as_str());
    assert_eq!(latencies.len(), 2, "{latencies:?}");
    assert_eq!(latencies[0].source, ArrivalSource::Ftp);
    assert_eq!(latencies[1].source, ArrivalSource::Watch);
    // Counted from the arrival, not from the (later) recording.
    assert!(latencies[0].latency_ms >= 7_000, "{latencies:?}");
    assert!(
        (3_000..7_000).contains(&latencies[1].latency_ms),
        "{latencies:?}"
    );
}

#[tokio::test]
async fn camera_accounts_are_unique_revocable_and_count_their_transfers() {
    let dir = tempfile::tempdir().unwrap();
    let cat = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    assert!(cat
        .write(|w| w.add_ftp_account("z9-a", "pw1"))
        .await
        .unwrap());
    assert!(!cat
        .write(|w| w.add_ftp_account("z9-a", "other"))
        .await
        .unwrap());
    assert!(cat.write(|w| w.add_ftp_account("r5", "pw2")).await.unwrap());
    cat.write(|w| {
        w.ftp_session("z9-a", 1)?;
        w.ftp_session("z9-a", 1)?;
        w.ftp_session("z9-a", -1)?;
        w.ftp_received("z9-a", "DSC_0001.JPG", 42)?;
        w.ftp_failed("r5", "notes.txt", "not a photo")
    })
    .await
    .unwrap();
    let rows = cat.read(|r| r.ftp_accounts()).await.unwrap();
    let z9 = rows.iter().find(|a| a.name == "z9-a").unwrap();
    assert_eq!(
        (z9.password.as_str(), z9.connections, z9.received),
        ("pw1", 1, 1)
    );
    assert_eq!(z9.last_file.as_deref(), Some("DSC_0001.JPG"));
    let r5 = rows.iter().find(|a| a.name == "r5").unwrap();
    assert_eq!(r5.failed, 1);
    assert_eq!(r5.last_error.as_deref(), Some("notes.txt: not a photo"));
    cat.write(|w| w.ftp_sessions_closed()).await.unwrap();
    assert!(cat.write(|w| w.remove_ftp_account("r5")).await.unwrap());
    assert!(!cat.write(|w| w.remove_ftp_account("r5")).await.unwrap());
    let rows = cat.read(|r| r.ftp_accounts()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].connections, 0);
    assert_eq!(cat.read(|r| r.ftp_password("r5")).await.unwrap(), None);
}
