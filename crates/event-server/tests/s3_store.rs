//! `S3Images` against a real S3-compatible server (s3s-fs from `scripts/s3.sh`,
//! or whatever `AWS_ENDPOINT_URL` names): keys, idempotent PUT, multipart, errors.

mod common;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::s3::{objects, with_endpoint, with_var};
use common::stores::fresh_storage;
use findme_event_server::store::images::S3Images;
use findme_protocol::sha256_hex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn body(len: usize, seed: u8) -> Bytes {
    let mut v: Vec<u8> = (0..len)
        .map(|i| (i as u32 * 7 + seed as u32) as u8)
        .collect();
    v[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    Bytes::from(v)
}

#[tokio::test]
async fn a_put_is_stored_once_under_its_hash_and_read_back() {
    let (url, options) = fresh_storage();
    let s3 = S3Images::open(&url, &options).unwrap();
    let bytes = body(200_000, 1);
    let sha = sha256_hex(&bytes);
    assert!(!s3.exists(&sha).await.unwrap());
    assert_eq!(
        s3.get(&sha).await.unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    assert!(
        s3.put(&sha, bytes.clone()).await.unwrap(),
        "first PUT stores"
    );
    assert!(
        !s3.put(&sha, bytes.clone()).await.unwrap(),
        "second PUT is a no-op"
    );
    assert!(s3.exists(&sha).await.unwrap());
    assert_eq!(s3.get(&sha).await.unwrap(), bytes);
    assert_eq!(
        objects(&url, &options).await,
        [format!("{}/images/{}/{sha}", url.prefix, &sha[..2])]
    );
    assert!(s3.delete(&sha).await.unwrap());
    assert!(
        !s3.delete(&sha).await.unwrap(),
        "a missing key deletes as false"
    );
    assert!(!s3.exists(&sha).await.unwrap());
    assert!(objects(&url, &options).await.is_empty());
}

#[tokio::test]
async fn a_large_body_goes_up_in_parts_and_only_once() {
    let (url, options) = fresh_storage();
    let s3 = S3Images::open(&url, &options).unwrap();
    let bytes = body(20 * 1024 * 1024 + 12_345, 2);
    assert!(bytes.len() > findme_event_server::store::images::MULTIPART_THRESHOLD);
    let sha = sha256_hex(&bytes);
    assert!(s3.put(&sha, bytes.clone()).await.unwrap());
    assert!(!s3.put(&sha, bytes.clone()).await.unwrap());
    let back = s3.get(&sha).await.unwrap();
    assert_eq!(back.len(), bytes.len());
    assert!(back == bytes, "the parts were reassembled in order");
    assert_eq!(objects(&url, &options).await.len(), 1);
}

#[tokio::test]
async fn the_s3_specific_endpoint_wins_and_the_bucket_is_the_urls() {
    let (url, options) = fresh_storage();
    let real = options
        .vars
        .iter()
        .find(|(k, _)| k == "AWS_ENDPOINT_URL_S3" || k == "AWS_ENDPOINT_URL")
        .map(|(_, v)| v.clone())
        .unwrap();
    // A dead generic endpoint, the real one as AWS_ENDPOINT_URL_S3, a bucket that
    // does not exist as AWS_BUCKET: the round trip still works.
    let dead = with_endpoint(&options, "http://127.0.0.1:9");
    let tweaked = with_var(
        &with_var(&dead, "AWS_ENDPOINT_URL_S3", &real),
        "AWS_BUCKET",
        "no-such-bucket",
    );
    let s3 = S3Images::open(&url, &tweaked).unwrap();
    let bytes = body(1000, 3);
    let sha = sha256_hex(&bytes);
    assert!(s3.put(&sha, bytes.clone()).await.unwrap());
    assert_eq!(s3.get(&sha).await.unwrap(), bytes);
}

#[tokio::test]
async fn wrong_keys_are_refused_with_a_readable_error() {
    let (url, options) = fresh_storage();
    let s3 = S3Images::open(&url, &with_var(&options, "AWS_SECRET_ACCESS_KEY", "wrong")).unwrap();
    let bytes = body(1000, 4);
    let sha = sha256_hex(&bytes);
    let err = s3.put(&sha, bytes).await.unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{err}");
    assert!(
        err.to_string().contains(&format!("s3://{}/", url.bucket)),
        "{err}"
    );
}

#[tokio::test]
async fn a_failing_store_is_retried_twice_then_the_error_comes_back() {
    // A store answering every request 503 (and closing): object_store's default
    // would retry 10 times over up to 3 minutes; ours gives up after 2 retries.
    let (url, options) = fresh_storage();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counted = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = conn.read(&mut buf).await;
                let body = "<Error><Code>SlowDown</Code><Message>no</Message></Error>";
                let answer = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    let s3 = S3Images::open(&url, &with_endpoint(&options, &endpoint)).unwrap();
    let bytes = body(1000, 5);
    let sha = sha256_hex(&bytes);
    let start = Instant::now();
    let err = s3.put(&sha, bytes).await.unwrap_err();
    assert_eq!(
        requests.load(Ordering::SeqCst),
        3,
        "1 attempt + 2 retries: {err}"
    );
    assert!(err.to_string().contains("S3 PUT"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    let err = s3.exists(&sha).await.unwrap_err();
    assert_eq!(requests.load(Ordering::SeqCst), 6, "{err}");
}
