//! Body limits, malformed input and hostile paths.

mod common;

use common::*;
use findme_protocol::{sha256_hex, ClientError, HEADER_CONTENT_SHA256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn oversized_bodies_are_413() {
    let s = TestServer::start_with(|c| c.max_image_bytes = 64 * 1024).await;
    let ph = s.photographer();
    assert_eq!(
        ph.event_info("ev1").await.unwrap().max_image_bytes,
        64 * 1024
    );
    let mut big = jpeg(1);
    big.resize(100 * 1024, 7);
    let err = ph.put_image("ev1", &photo_key(1), big).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Rejected { status: 413, .. }),
        "{err:?}"
    );
    // Exactly at the limit is fine.
    let mut fits = jpeg(2);
    fits.resize(64 * 1024, 7);
    assert!(
        ph.put_image("ev1", &photo_key(2), fits)
            .await
            .unwrap()
            .created
    );

    // JSON over 1 MB.
    let mut m = serde_json::to_value(meta(1, &[])).unwrap();
    m["padding"] = serde_json::Value::String("x".repeat(1024 * 1024));
    let resp = reqwest::Client::new()
        .put(format!(
            "{}/api/v1/events/ev1/photos/{}",
            s.base,
            photo_key(3)
        ))
        .bearer_auth(&s.photographer)
        .json(&m)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 413);
    assert_eq!(
        status(&ph.photo_state("ev1", &photo_key(3)).await.unwrap_err()),
        404
    );
}

#[tokio::test]
async fn malformed_json_is_400_with_a_message_and_unknown_fields_are_fine() {
    let s = TestServer::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/events/ev1/photos/{}", s.base, photo_key(1));
    let put = |body: &'static str| {
        http.put(&url)
            .bearer_auth(&s.photographer)
            .body(body)
            .send()
    };

    let resp = put("{\"width\": 10, \"height\": ").await.unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let msg = resp.json::<serde_json::Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("malformed metadata JSON"), "{msg}");
    let resp = put("{\"width\": \"wide\", \"height\": 1, \"revision\": 1}")
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let resp = put("{\"width\":10,\"height\":10,\"revision\":1,\"faces\":[{\"box\":{\"left\":2,\"top\":0,\"width\":0.1,\"height\":0.1}}]}")
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400, "box outside the image");

    let resp = put("{\"width\":10,\"height\":10,\"revision\":1,\"lens\":\"50mm\",\"future\":{\"a\":[1]},\
                    \"faces\":[{\"participant_id\":null,\"confidence\":50,\"box\":{\"left\":0,\"top\":0,\"width\":0.5,\"height\":0.5},\"landmarks\":[]}]}")
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let state = s
        .photographer()
        .photo_state("ev1", &photo_key(1))
        .await
        .unwrap();
    assert_eq!(state.metadata.unwrap().faces.len(), 1);
}

#[tokio::test]
async fn non_images_are_415() {
    let s = TestServer::start().await;
    let body = b"GIF89a not a jpeg".to_vec();
    let resp = reqwest::Client::new()
        .put(format!(
            "{}/api/v1/events/ev1/photos/{}/image",
            s.base,
            photo_key(1)
        ))
        .bearer_auth(&s.photographer)
        .header(HEADER_CONTENT_SHA256, sha256_hex(&body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 415);
}

/// Sends a request byte for byte (reqwest would normalise `..` away) and returns
/// the status code.
async fn raw(base: &str, request_line: &str, token: &str, body: &[u8]) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut sock = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "{request_line} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         {HEADER_CONTENT_SHA256}: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sha256_hex(body),
        body.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    sock.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text}"))
}

#[tokio::test]
async fn hostile_photo_keys_are_rejected_without_touching_files() {
    let s = TestServer::start().await;
    let ada = s.participant("ada");
    push(&s.photographer(), "ev1", 1, &["ada"]).await;
    let before_root = files_under(s.root.path());
    let body = jpeg(42);
    let upper = photo_key(5).to_uppercase();
    let short = &photo_key(5)[..63];
    let long = format!("{}0", photo_key(5));
    let cases = [
        "PUT /api/v1/events/ev1/photos/..%2F..%2F..%2Fescape/image".to_string(),
        "PUT /api/v1/events/ev1/photos/%2e%2e%2f%2e%2e%2fescape/image".to_string(),
        "PUT /api/v1/events/ev1/photos/../../../../escape/image".to_string(),
        "PUT /api/v1/events/ev1/photos/..".to_string(),
        "PUT /api/v1/events/ev1/photos/%00/image".to_string(),
        format!("PUT /api/v1/events/ev1/photos/{upper}/image"),
        format!("PUT /api/v1/events/ev1/photos/{short}/image"),
        format!("PUT /api/v1/events/ev1/photos/{long}"),
        "GET /api/v1/photos/..%2F..%2Fevent-server.sqlite3/image".to_string(),
        "GET /api/v1/photos/../../event-server.sqlite3/image".to_string(),
        "GET /api/v1/events/..%2Fev1/stats".to_string(),
        "GET /api/v1/events/ev1/participants/..%2F..%2Fimages/selfie".to_string(),
    ];
    for case in &cases {
        let code = raw(&s.base, case, &s.photographer, &body).await;
        assert!(matches!(code, 400 | 403 | 404 | 405), "{case} -> {code}");
        let code = raw(&s.base, case, &ada, &body).await;
        assert!(
            matches!(code, 400 | 403 | 404 | 405),
            "{case} (attendee) -> {code}"
        );
    }
    // Nothing was written anywhere: not in the data dir, not beside it.
    assert_eq!(
        files_under(s.root.path())
            .iter()
            .filter(|f| !f.contains("sqlite3"))
            .collect::<Vec<_>>(),
        before_root
            .iter()
            .filter(|f| !f.contains("sqlite3"))
            .collect::<Vec<_>>()
    );
    assert!(!files_under(s.root.path())
        .iter()
        .any(|f| f.contains("escape")));
    // The server is still fine.
    assert_eq!(s.photographer().stats("ev1").await.unwrap().photos, 1);
}
