//! Pushing photos and who may see them, over real HTTP.

mod common;

use common::*;
use findme_protocol::{sha256_hex, ClientError, HEADER_CONTENT_SHA256};

#[tokio::test]
async fn push_then_attendees_see_exactly_their_photos() {
    let s = TestServer::start().await;
    let ada = s.participant("ada");
    let ben = s.participant("ben");
    let carl = s.participant("carl");
    let ph = s.photographer();

    let info = ph.event_info(&s.event).await.unwrap();
    assert_eq!((info.id.as_str(), info.protocol_version), ("ev1", 1));

    // Image: 201 first, 200 after.
    let k1 = photo_key(1);
    let first = ph.put_image(&s.event, &k1, jpeg(1)).await.unwrap();
    assert!(first.created);
    assert_eq!(first.image_sha256, sha256_hex(&jpeg(1)));
    let resp = reqwest::Client::new()
        .put(format!("{}/api/v1/events/ev1/photos/{k1}/image", s.base))
        .bearer_auth(&s.photographer)
        .header(HEADER_CONTENT_SHA256, sha256_hex(&jpeg(1)))
        .body(jpeg(1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200, "a repeated PUT answers 200");
    assert!(!ph.put_image(&s.event, &k1, jpeg(1)).await.unwrap().created);
    ph.put_metadata(&s.event, &k1, &meta(1, &["ada", "ben"]))
        .await
        .unwrap();
    let k2 = push(&ph, &s.event, 2, &["ben"]).await;
    let k3 = push(&ph, &s.event, 3, &[]).await;

    let mine = |t: &str| {
        let c = s.client(t);
        async move {
            let mut v: Vec<String> = c
                .my_photos()
                .await
                .unwrap()
                .photos
                .into_iter()
                .map(|p| p.sha256)
                .collect();
            v.sort();
            v
        }
    };
    assert_eq!(mine(&ada).await, vec![k1.clone()]);
    let mut both = vec![k1.clone(), k2.clone()];
    both.sort();
    assert_eq!(mine(&ben).await, both);
    assert!(mine(&carl).await.is_empty());
    let ada_view = s.client(&ada).my_photos().await.unwrap();
    assert_eq!(ada_view.participant.display_name, "Name of ada");
    assert_eq!(ada_view.photos[0].faces.len(), 1, "only ada's own face box");
    assert_eq!(
        ada_view.photos[0].image_url,
        format!("/api/v1/photos/{k1}/image")
    );

    // Image access: matched participant and photographer yes, others 403, no token 401.
    assert_eq!(s.client(&ada).photo_image(&k1).await.unwrap(), jpeg(1));
    assert_eq!(ph.photo_image(&k3).await.unwrap(), jpeg(3));
    let err = s.client(&carl).photo_image(&k1).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Unauthorized { status: 403, .. }),
        "{err:?}"
    );
    let err = s.client(&ada).photo_image(&k2).await.unwrap_err();
    assert_eq!(status(&err), 403);
    let anon = reqwest::get(format!("{}/api/v1/photos/{k1}/image", s.base))
        .await
        .unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    // The <img> form: token as a query parameter.
    let via_query = reqwest::get(format!("{}/api/v1/photos/{k1}/image?token={ada}", s.base))
        .await
        .unwrap();
    assert_eq!(via_query.status().as_u16(), 200);
    assert_eq!(via_query.bytes().await.unwrap().to_vec(), jpeg(1));

    let stats = ph.stats(&s.event).await.unwrap();
    assert_eq!((stats.photos, stats.matched, stats.participants), (3, 2, 3));
    assert!(stats.last_push_ms.is_some());
}

#[tokio::test]
async fn hash_mismatch_and_missing_header_are_400() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/events/ev1/photos/{}/image", s.base, photo_key(1));
    let resp = http
        .put(&url)
        .bearer_auth(&s.photographer)
        .header(HEADER_CONTENT_SHA256, sha256_hex(b"something else"))
        .body(jpeg(1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("does not match"),
        "{body}"
    );
    let resp = http
        .put(&url)
        .bearer_auth(&s.photographer)
        .body(jpeg(1))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let state = s
        .photographer()
        .photo_state("ev1", &photo_key(1))
        .await
        .unwrap_err();
    assert_eq!(status(&state), 404, "nothing was stored");
    assert!(!s.image_stored(&sha256_hex(&jpeg(1))));
}

#[tokio::test]
async fn metadata_before_image_is_kept_and_visible_once_both_exist() {
    let s = TestServer::start().await;
    let ada = s.participant("ada");
    let ph = s.photographer();
    let k = photo_key(7);
    ph.put_metadata("ev1", &k, &meta(1, &["ada"]))
        .await
        .unwrap();
    assert!(!ph.photo_state("ev1", &k).await.unwrap().visible);
    assert!(s.client(&ada).my_photos().await.unwrap().photos.is_empty());
    assert_eq!(
        status(&s.client(&ada).photo_image(&k).await.unwrap_err()),
        404
    );
    assert!(ph.put_image("ev1", &k, jpeg(7)).await.unwrap().created);
    assert!(ph.photo_state("ev1", &k).await.unwrap().visible);
    assert_eq!(s.client(&ada).my_photos().await.unwrap().photos.len(), 1);
}

#[tokio::test]
async fn tokens_are_scoped_to_their_event_and_role() {
    let s = TestServer::start().await;
    let other = s.admin.create_event("Other", Some("ev2")).unwrap();
    let ada = s.participant("ada");
    let k = push(&s.photographer(), "ev1", 1, &["ada"]).await;
    let b = s.client(&other.photographer_token);

    // Event B's photographer cannot read or write event A.
    let forbidden = |e: ClientError| {
        assert!(
            matches!(e, ClientError::Unauthorized { status: 403, .. }),
            "{e:?}"
        )
    };
    forbidden(b.event_info("ev1").await.unwrap_err());
    forbidden(b.participants("ev1", None).await.unwrap_err());
    forbidden(b.stats("ev1").await.unwrap_err());
    forbidden(
        b.put_image("ev1", &photo_key(9), jpeg(9))
            .await
            .unwrap_err(),
    );
    forbidden(b.put_metadata("ev1", &k, &meta(5, &[])).await.unwrap_err());
    forbidden(b.delete_photo("ev1", &k, None).await.unwrap_err());
    // Nor see its photos (404: not in B's event; nothing leaks about A).
    assert_eq!(status(&b.photo_image(&k).await.unwrap_err()), 404);
    // B's own event works.
    assert_eq!(b.event_info("ev2").await.unwrap().name, "Other");

    // An attendee token cannot write, nor read photographer endpoints.
    let a = s.client(&ada);
    forbidden(
        a.put_image("ev1", &photo_key(9), jpeg(9))
            .await
            .unwrap_err(),
    );
    forbidden(a.put_metadata("ev1", &k, &meta(5, &[])).await.unwrap_err());
    forbidden(a.delete_photo("ev1", &k, None).await.unwrap_err());
    forbidden(a.participants("ev1", None).await.unwrap_err());
    // A photographer token is not an attendee token.
    forbidden(s.photographer().my_photos().await.unwrap_err());
    // Unknown or missing token: 401.
    let err = s
        .client("fmp_not-a-real-token")
        .event_info("ev1")
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    let resp = reqwest::get(format!("{}/api/v1/events/ev1", s.base))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    // Nothing changed.
    let state = s.photographer().photo_state("ev1", &k).await.unwrap();
    assert_eq!((state.revision, state.withdrawn), (1, false));
}

#[tokio::test]
async fn attendee_page_lists_photos_and_escapes_names() {
    let s = TestServer::start().await;
    let token = s
        .admin
        .add_participant("ev1", "<b>Ada</b> & \"co\"", &jpeg(5), Some("ada"))
        .unwrap()
        .attendee_token;
    let k = push(&s.photographer(), "ev1", 1, &["ada"]).await;
    // The personal link becomes the guest pages' session; the page is theirs.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let link = http
        .get(format!("{}/?token={token}", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(link.status().as_u16(), 303);
    assert_eq!(link.headers()["referrer-policy"], "no-referrer");
    let cookie = link.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let resp = http
        .get(format!("{}/e/ev1/me", s.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["referrer-policy"], "no-referrer");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("&lt;b&gt;Ada&lt;/b&gt; &amp; &quot;co&quot;"),
        "{html}"
    );
    assert!(!html.contains("<b>Ada"), "{html}");
    assert!(
        html.contains(&format!("/e/ev1/me/img/{k}?size=grid")),
        "{html}"
    );
    assert!(!html.contains(&token), "{html}");
    let bad = reqwest::get(format!("{}/?token=nope", s.base))
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 401);
}
