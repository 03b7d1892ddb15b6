//! Metadata revisions, duplicate PUTs and withdrawal (DELETE).

mod common;

use common::*;

fn faces_of(state: &findme_protocol::PhotoState) -> Vec<String> {
    state
        .metadata
        .as_ref()
        .expect("metadata")
        .faces
        .iter()
        .filter_map(|f| f.participant_id.clone())
        .collect()
}

#[tokio::test]
async fn a_late_older_revision_cannot_undo_a_newer_one() {
    let s = TestServer::start().await;
    let ada = s.participant("ada");
    let ben = s.participant("ben");
    let ph = s.photographer();
    let k = photo_key(1);
    ph.put_image("ev1", &k, jpeg(1)).await.unwrap();

    let r3 = ph
        .put_metadata("ev1", &k, &meta(3, &["ada"]))
        .await
        .unwrap();
    assert!(r3.applied);
    assert_eq!(r3.revision, 3);
    let late = ph
        .put_metadata("ev1", &k, &meta(2, &["ben"]))
        .await
        .unwrap();
    assert!(!late.applied);
    assert_eq!(late.revision, 3, "the answer names the current revision");
    let state = ph.photo_state("ev1", &k).await.unwrap();
    assert_eq!(state.revision, 3);
    assert_eq!(faces_of(&state), vec!["ada"]);
    assert_eq!(s.client(&ada).my_photos().await.unwrap().photos.len(), 1);
    assert!(s.client(&ben).my_photos().await.unwrap().photos.is_empty());

    // A duplicate of the current PUT changes nothing.
    let dup = ph
        .put_metadata("ev1", &k, &meta(3, &["ben"]))
        .await
        .unwrap();
    assert!(!dup.applied);
    assert_eq!(ph.photo_state("ev1", &k).await.unwrap(), state);
    // A newer one does.
    let r4 = ph
        .put_metadata("ev1", &k, &meta(4, &["ben"]))
        .await
        .unwrap();
    assert!(r4.applied);
    assert!(s.client(&ada).my_photos().await.unwrap().photos.is_empty());
    assert_eq!(s.client(&ben).my_photos().await.unwrap().photos.len(), 1);
}

#[tokio::test]
async fn withdrawn_photos_are_not_served_to_attendees() {
    let s = TestServer::start().await;
    let ada = s.participant("ada");
    let ph = s.photographer();
    let k = push(&ph, "ev1", 1, &["ada"]).await;
    assert_eq!(s.client(&ada).photo_image(&k).await.unwrap(), jpeg(1));

    let d = ph.delete_photo("ev1", &k, None).await.unwrap();
    assert!(d.withdrawn);
    assert_eq!(d.revision, 1);
    assert!(s.client(&ada).my_photos().await.unwrap().photos.is_empty());
    assert_eq!(
        status(&s.client(&ada).photo_image(&k).await.unwrap_err()),
        404
    );
    let html = reqwest::get(format!("{}/?token={ada}", s.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&k), "withdrawn photo on the page");
    assert_eq!(ph.stats("ev1").await.unwrap().photos, 0);
    // The photographer still has it; DELETE is idempotent.
    assert_eq!(ph.photo_image(&k).await.unwrap(), jpeg(1));
    assert!(ph.delete_photo("ev1", &k, None).await.unwrap().withdrawn);

    // A retried PUT at the same revision does not bring it back; a newer one does.
    assert!(
        !ph.put_metadata("ev1", &k, &meta(1, &["ada"]))
            .await
            .unwrap()
            .applied
    );
    assert!(s.client(&ada).my_photos().await.unwrap().photos.is_empty());
    let back = ph
        .put_metadata("ev1", &k, &meta(2, &["ada"]))
        .await
        .unwrap();
    assert!(back.applied && !back.withdrawn);
    assert_eq!(s.client(&ada).my_photos().await.unwrap().photos.len(), 1);
}

#[tokio::test]
async fn delete_with_a_revision_orders_against_metadata() {
    let s = TestServer::start().await;
    let ph = s.photographer();
    let k = push(&ph, "ev1", 1, &[]).await;
    // Withdrawn as revision 10: PUTs up to 10 cannot revive it.
    let d = ph.delete_photo("ev1", &k, Some(10)).await.unwrap();
    assert_eq!((d.revision, d.withdrawn), (10, true));
    assert!(
        !ph.put_metadata("ev1", &k, &meta(5, &[]))
            .await
            .unwrap()
            .applied
    );
    assert!(
        !ph.put_metadata("ev1", &k, &meta(10, &[]))
            .await
            .unwrap()
            .applied
    );
    assert!(ph.photo_state("ev1", &k).await.unwrap().withdrawn);
    // A stale DELETE (older than the current revision) is ignored.
    assert!(
        ph.put_metadata("ev1", &k, &meta(11, &[]))
            .await
            .unwrap()
            .applied
    );
    let stale = ph.delete_photo("ev1", &k, Some(7)).await.unwrap();
    assert_eq!((stale.revision, stale.withdrawn), (11, false));
    assert!(ph.photo_state("ev1", &k).await.unwrap().visible);

    // DELETE of a photo the server never saw is remembered.
    let k2 = photo_key(2);
    assert!(
        ph.delete_photo("ev1", &k2, Some(3))
            .await
            .unwrap()
            .withdrawn
    );
    ph.put_image("ev1", &k2, jpeg(2)).await.unwrap();
    assert!(
        !ph.put_metadata("ev1", &k2, &meta(2, &[]))
            .await
            .unwrap()
            .applied
    );
    assert!(!ph.photo_state("ev1", &k2).await.unwrap().visible);
}

#[tokio::test]
async fn bad_delete_revision_is_400() {
    let s = TestServer::start().await;
    let resp = reqwest::Client::new()
        .delete(format!(
            "{}/api/v1/events/ev1/photos/{}?revision=-1",
            s.base,
            photo_key(1)
        ))
        .bearer_auth(&s.photographer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}
