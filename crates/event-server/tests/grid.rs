//! The grid rendition (≈ 480 px) beside the web one, over real HTTP: the PUT
//! follows the web image's rules, matched attendees get `grid_url`, and
//! `?size=grid` serves it (or the web rendition when the app sent none).

mod common;

use common::*;
use findme_protocol::{sha256_hex, ClientError, GridOutcome, HEADER_CONTENT_SHA256};

/// A grid-sized JPEG-looking body, distinct from (and smaller than) `jpeg(seed)`.
fn small(seed: u64) -> Vec<u8> {
    let mut v = jpeg(seed + 10_000);
    v.truncate(400);
    v
}

fn grid_url(s: &TestServer, key: &str) -> String {
    format!("{}/api/v1/events/ev1/photos/{key}/grid", s.base)
}

#[tokio::test]
async fn grid_put_is_201_then_200_with_the_web_images_checks() {
    let s = TestServer::start_with(|c| c.max_image_bytes = 64 * 1024).await;
    let ph = s.photographer();
    let http = reqwest::Client::new();
    let k = photo_key(1);

    // Before the web image: the photo row is created, but nothing is visible.
    let GridOutcome::Stored(first) = ph.put_grid_image("ev1", &k, small(1)).await.unwrap() else {
        panic!("the reference server has the grid endpoint");
    };
    assert!(first.created);
    assert_eq!(
        (first.sha256.as_str(), first.image_sha256),
        (k.as_str(), sha256_hex(&small(1)))
    );
    assert!(!ph.photo_state("ev1", &k).await.unwrap().visible);
    let again = http
        .put(grid_url(&s, &k))
        .bearer_auth(&s.photographer)
        .header(HEADER_CONTENT_SHA256, sha256_hex(&small(1)))
        .body(small(1))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 200, "a repeated PUT answers 200");
    let body: serde_json::Value = again.json().await.unwrap();
    assert_eq!(body["created"], false);
    // A replacement grid for a photo that has one is 200 too.
    assert_eq!(
        ph.put_grid_image("ev1", &k, small(2)).await.unwrap(),
        GridOutcome::Stored(findme_protocol::PutImageResponse {
            sha256: k.clone(),
            image_sha256: sha256_hex(&small(2)),
            created: false,
        })
    );

    let k2 = photo_key(2);
    let mismatch = http
        .put(grid_url(&s, &k2))
        .bearer_auth(&s.photographer)
        .header(HEADER_CONTENT_SHA256, sha256_hex(b"something else"))
        .body(small(3))
        .send()
        .await
        .unwrap();
    assert_eq!(mismatch.status().as_u16(), 400);
    let body: serde_json::Value = mismatch.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("does not match"),
        "{body}"
    );
    let no_header = http
        .put(grid_url(&s, &k2))
        .bearer_auth(&s.photographer)
        .body(small(3))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status().as_u16(), 400);
    let gif = b"GIF89a not a photo".to_vec();
    let err = ph.put_grid_image("ev1", &k2, gif).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Rejected { status: 415, .. }),
        "{err:?}"
    );
    let mut big = small(4);
    big.resize(100 * 1024, 7);
    let err = ph.put_grid_image("ev1", &k2, big).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Rejected { status: 413, .. }),
        "{err:?}"
    );
    assert_eq!(
        status(&ph.photo_state("ev1", &k2).await.unwrap_err()),
        404,
        "nothing was stored for a refused grid"
    );
    assert!(!s.image_stored(&sha256_hex(&small(3))));

    // Tokens: only this event's photographer.
    let ada = s.participant("ada");
    let other = s.admin.create_event("Other", Some("ev2")).unwrap();
    for token in [ada.as_str(), other.photographer_token.as_str()] {
        let err = s
            .client(token)
            .put_grid_image("ev1", &k, small(5))
            .await
            .unwrap_err();
        assert!(
            matches!(err, ClientError::Unauthorized { status: 403, .. }),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn matched_attendees_get_the_grid_and_photos_without_one_fall_back() {
    let s = TestServer::start().await;
    let ada = s.participant("ada");
    let ben = s.participant("ben");
    let ph = s.photographer();
    // Photo 1 has a grid rendition (sent after the web one, as the app does);
    // photo 2 comes from an app that never sends one.
    let k1 = photo_key(1);
    ph.put_image("ev1", &k1, jpeg(1)).await.unwrap();
    let outcome = ph.put_grid_image("ev1", &k1, small(1)).await.unwrap();
    assert!(matches!(outcome, GridOutcome::Stored(r) if r.created));
    ph.put_metadata("ev1", &k1, &meta(1, &["ada"]))
        .await
        .unwrap();
    let k2 = push(&ph, "ev1", 2, &["ada"]).await;

    let mine = s.client(&ada).my_photos().await.unwrap();
    let listed = |k: &str| {
        mine.photos
            .iter()
            .find(|p| p.sha256 == k)
            .unwrap_or_else(|| panic!("{k} not listed"))
    };
    let with_grid = listed(&k1);
    assert_eq!(
        with_grid.grid_url.as_deref(),
        Some(format!("/api/v1/photos/{k1}/image?size=grid").as_str())
    );
    assert_eq!(with_grid.image_url, format!("/api/v1/photos/{k1}/image"));
    assert_eq!(listed(&k2).grid_url, None, "no grid sent: no grid_url");

    // The listed URL serves the small bytes (header token and the <img> form);
    // the web rendition is unchanged.
    let a = s.client(&ada);
    assert_eq!(a.photo_grid_image(&k1).await.unwrap(), small(1));
    let grid_url = with_grid.grid_url.clone().unwrap();
    let via_query = reqwest::get(format!("{}{grid_url}&token={ada}", s.base))
        .await
        .unwrap();
    assert_eq!(via_query.status().as_u16(), 200);
    assert_eq!(via_query.headers()["content-type"], "image/jpeg");
    assert_eq!(via_query.bytes().await.unwrap().to_vec(), small(1));
    assert_eq!(a.photo_image(&k1).await.unwrap(), jpeg(1));
    let web = reqwest::get(format!(
        "{}/api/v1/photos/{k1}/image?size=web&token={ada}",
        s.base
    ))
    .await
    .unwrap();
    assert_eq!(web.bytes().await.unwrap().to_vec(), jpeg(1));
    // Without a grid, ?size=grid is the web rendition.
    assert_eq!(a.photo_grid_image(&k2).await.unwrap(), jpeg(2));
    // The photographer reads it too.
    assert_eq!(ph.photo_grid_image(&k1).await.unwrap(), small(1));

    // Someone not in the photo: 403 for the grid as for the web rendition.
    let b = s.client(&ben);
    for err in [
        b.photo_grid_image(&k1).await.unwrap_err(),
        b.photo_image(&k1).await.unwrap_err(),
    ] {
        assert!(
            matches!(err, ClientError::Unauthorized { status: 403, .. }),
            "{err:?}"
        );
    }
    let anon = reqwest::get(format!("{}{grid_url}", s.base)).await.unwrap();
    assert_eq!(anon.status().as_u16(), 401);
    let bogus = reqwest::get(format!(
        "{}/api/v1/photos/{k1}/image?size=huge&token={ada}",
        s.base
    ))
    .await
    .unwrap();
    assert_eq!(bogus.status().as_u16(), 400);

    // The guest's page (the personal link exchanged for a session) fills its grid
    // with the small rendition and opens the web one; no grid: the web one.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let link = http
        .get(format!("{}/?token={ada}", s.base))
        .send()
        .await
        .unwrap();
    let cookie = link.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_string();
    let guest_image = |path: String| {
        let (http, cookie) = (http.clone(), cookie.clone());
        let url = format!("{}{path}", s.base);
        async move {
            let r = http.get(url).header("cookie", cookie).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            r.bytes().await.unwrap().to_vec()
        }
    };
    assert_eq!(
        guest_image(format!("/e/ev1/me/img/{k1}?size=grid")).await,
        small(1)
    );
    assert_eq!(guest_image(format!("/e/ev1/me/img/{k1}")).await, jpeg(1));
    assert_eq!(
        guest_image(format!("/e/ev1/me/img/{k2}?size=grid")).await,
        jpeg(2)
    );
}

#[tokio::test]
async fn a_withdrawn_photos_grid_is_not_served_to_attendees() {
    let s = TestServer::start().await;
    let ada = s.participant("ada");
    let ph = s.photographer();
    let k = push(&ph, "ev1", 1, &["ada"]).await;
    ph.put_grid_image("ev1", &k, small(1)).await.unwrap();
    assert_eq!(s.client(&ada).photo_grid_image(&k).await.unwrap(), small(1));
    ph.delete_photo("ev1", &k, None).await.unwrap();
    let err = s.client(&ada).photo_grid_image(&k).await.unwrap_err();
    assert_eq!(status(&err), 404);
    assert!(s.client(&ada).my_photos().await.unwrap().photos.is_empty());
}
