//! Roster deltas: each poll returns exactly the changes since its cursor.

mod common;

use common::*;
use findme_protocol::{sha256_hex, ParticipantsPage};

fn ids(page: &ParticipantsPage) -> Vec<&str> {
    page.participants.iter().map(|p| p.id.as_str()).collect()
}

#[tokio::test]
async fn delta_polls_return_exactly_the_changes_since_the_cursor() {
    let s = TestServer::start().await;
    let ph = s.photographer();

    let p0 = ph.participants("ev1", None).await.unwrap();
    assert!(p0.participants.is_empty() && !p0.more);

    let ada_selfie = jpeg(100);
    let ada_token = s
        .admin
        .add_participant("ev1", "Ada", &ada_selfie, Some("ada"))
        .unwrap()
        .attendee_token;
    s.admin
        .add_participant("ev1", "Ben", &jpeg(101), Some("ben"))
        .unwrap();
    // Another event's roster never shows up here.
    s.admin.create_event("Other", Some("ev2")).unwrap();
    s.admin
        .add_participant("ev2", "Zed", &jpeg(102), Some("zed"))
        .unwrap();

    let p1 = ph.participants("ev1", Some(&p0.cursor)).await.unwrap();
    assert_eq!(ids(&p1), ["ada", "ben"]);
    assert!(p1.participants[0].updated_at < p1.participants[1].updated_at);
    let ada = &p1.participants[0];
    assert!(ada.consent && !ada.deleted);
    assert_eq!(
        ada.selfie_sha256.as_deref(),
        Some(sha256_hex(&ada_selfie).as_str())
    );
    // The selfie URL serves the bytes with that hash.
    let bytes = ph.selfie(ada.selfie_url.as_deref().unwrap()).await.unwrap();
    assert_eq!(sha256_hex(&bytes), sha256_hex(&ada_selfie));
    // The attendee cannot fetch selfies.
    let err = s
        .client(&ada_token)
        .selfie(ada.selfie_url.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(status(&err), 403);

    // Nothing new: empty page, same cursor.
    let again = ph.participants("ev1", Some(&p1.cursor)).await.unwrap();
    assert!(again.participants.is_empty());
    assert_eq!(again.cursor, p1.cursor);

    // Withdraw Ben's consent.
    s.admin.set_consent("ev1", "ben", false).unwrap();
    let p2 = ph.participants("ev1", Some(&p1.cursor)).await.unwrap();
    assert_eq!(ids(&p2), ["ben"]);
    let ben = &p2.participants[0];
    assert!(!ben.consent && !ben.deleted && ben.selfie_url.is_none());
    assert_eq!(
        status(
            &ph.selfie(&findme_protocol::paths::selfie("ev1", "ben"))
                .await
                .unwrap_err()
        ),
        404
    );

    // Delete Ada: a tombstone, and her token stops working.
    s.admin.remove_participant("ev1", "ada").unwrap();
    let p3 = ph.participants("ev1", Some(&p2.cursor)).await.unwrap();
    assert_eq!(ids(&p3), ["ada"]);
    assert!(p3.participants[0].deleted && p3.participants[0].selfie_url.is_none());
    assert_eq!(
        status(&s.client(&ada_token).my_photos().await.unwrap_err()),
        401
    );

    // Add Carl and give Ben's consent back: both, in order of change.
    s.admin
        .add_participant("ev1", "Carl", &jpeg(103), Some("carl"))
        .unwrap();
    s.admin.set_consent("ev1", "ben", true).unwrap();
    let p4 = ph.participants("ev1", Some(&p3.cursor)).await.unwrap();
    assert_eq!(ids(&p4), ["carl", "ben"]);
    assert!(p4.participants[1].consent && p4.participants[1].selfie_url.is_some());

    // From the beginning: everyone once, latest state.
    let all = ph.participants("ev1", None).await.unwrap();
    assert_eq!(ids(&all), ["ada", "carl", "ben"]);
    assert_eq!(all.cursor, p4.cursor);
    assert_eq!(ph.stats("ev1").await.unwrap().participants, 2);

    // Garbage cursors are 400.
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/events/ev1/participants?since=-5",
            s.base
        ))
        .bearer_auth(&s.photographer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}
