//! S3 faults (issue 18): a real event server on SQLite + S3 whose object-store
//! traffic goes through a fault-injecting proxy in front of the real store. When
//! the store refuses, resets or stalls mid-upload, the image PUT answers a
//! retryable 5xx, nothing is visible (neither the photo nor a partial object);
//! the app's retry after the store heals stores the photo exactly once. With S3
//! storage the data directory holds no image bytes.

mod common;
#[path = "s3_faults/proxy.rs"]
mod proxy;

use std::time::Duration;

use bytes::Bytes;
use common::s3::{objects, with_endpoint, with_var};
use common::stores::fresh_storage;
use common::{files_under, jpeg, meta, photo_key};
use findme_event_server::store::images::S3Images;
use findme_event_server::store::{S3Options, StorageUrl, StoreConfig};
use findme_event_server::{serve, Admin, ServerConfig};
use findme_protocol::{sha256_hex, EventClient, Token};
use proxy::{Fault, FaultProxy};
use tempfile::TempDir;

struct S3Server {
    base: String,
    root: TempDir,
    event: String,
    photographer: String,
    url: StorageUrl,
    /// Straight to the store, for looking behind the server's back.
    direct: S3Options,
    proxy: FaultProxy,
}

impl S3Server {
    /// A server whose S3 traffic goes through a fault proxy; a request times out
    /// after `timeout` (object_store's own `AWS_TIMEOUT`, e.g. "3s"; `None`: the
    /// server's default) so stalls fail quickly. Its event has these
    /// participants (id, selfie), added with the admin.
    async fn start(timeout: Option<&str>, participants: Vec<(&'static str, Vec<u8>)>) -> Self {
        let (url, direct) = fresh_storage();
        let upstream = direct
            .vars
            .iter()
            .find(|(k, _)| k == "AWS_ENDPOINT_URL_S3")
            .or_else(|| direct.vars.iter().find(|(k, _)| k == "AWS_ENDPOINT_URL"))
            .map(|(_, v)| {
                v.trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string()
            })
            .expect("an AWS_ENDPOINT_URL");
        let proxy = FaultProxy::start(upstream).await;
        let mut via_proxy = with_endpoint(&direct, &proxy.endpoint());
        if let Some(timeout) = timeout {
            via_proxy = with_var(&via_proxy, "AWS_TIMEOUT", timeout);
        }
        let root = tempfile::tempdir().unwrap();
        let store = StoreConfig {
            data_dir: Some(root.path().join("data")),
            database: None,
            storage: Some(url.clone()),
            s3: via_proxy,
        };
        // The admin owns a runtime, which must not be dropped on this one.
        let admin_store = store.clone();
        let ev = tokio::task::spawn_blocking(move || {
            let admin = Admin::open_store(&admin_store).unwrap();
            let ev = admin.create_event("Faults", Some("ev1")).unwrap();
            for (id, selfie) in participants {
                admin
                    .add_participant(&ev.event, id, &selfie, Some(id))
                    .unwrap();
            }
            ev
        })
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let config = ServerConfig::with_store(store);
        tokio::spawn(async move {
            if let Err(e) = serve(listener, config).await {
                panic!("server failed: {e}");
            }
        });
        Self {
            base,
            root,
            event: ev.event,
            photographer: ev.photographer_token,
            url,
            direct,
            proxy,
        }
    }

    /// The app's client; its timeout is longer than the server's S3 retries.
    fn photographer(&self) -> EventClient {
        EventClient::with_timeouts(
            &self.base,
            Token::new(&self.photographer),
            Duration::from_secs(90),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    async fn objects(&self) -> Vec<String> {
        objects(&self.url, &self.direct).await
    }

    async fn stored(&self, sha: &str) -> Bytes {
        let s3 = S3Images::open(&self.url, &self.direct).unwrap();
        s3.get(sha).await.unwrap()
    }
}

/// A JPEG-looking body of `len` bytes, unique per `seed`.
fn big_jpeg(len: usize, seed: u64) -> Vec<u8> {
    let mut v = jpeg(seed);
    v.truncate(v.len() - 2);
    v.extend((0..len.saturating_sub(v.len() + 2)).map(|i| (i as u64 * 13 + seed) as u8));
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// The photo's metadata is in; its image PUT meets `fault` mid-upload: a
/// retryable 5xx, the photo not visible, nothing in the bucket. After healing,
/// the app's retry stores it (201), visible, exactly one object; again → 200.
async fn fault_then_heal(fault: Fault, len: usize, n: u64) {
    // A stall fails by the request timeout: short, but long enough for a
    // healthy 8 MiB part on a loaded machine before the fault.
    let timeout = match fault {
        Fault::StallAfter(_) if len > SMALL => Some("10s"),
        Fault::StallAfter(_) => Some("3s"),
        _ => None,
    };
    let srv = S3Server::start(timeout, vec![]).await;
    let c = srv.photographer();
    let key = photo_key(n);
    c.put_metadata(&srv.event, &key, &meta(1, &[]))
        .await
        .unwrap();
    let body = big_jpeg(len, n);
    let sha = sha256_hex(&body);

    srv.proxy.set(fault);
    let err = c
        .put_image(&srv.event, &key, body.clone())
        .await
        .unwrap_err();
    assert!(srv.proxy.fired() > 0, "the fault never hit the upload");
    let status = common::status(&err);
    assert!(matches!(status, 500 | 503), "{fault:?}: {err}");
    assert!(err.is_retryable(), "{fault:?}: {err}");
    srv.proxy.heal();

    let state = c.photo_state(&srv.event, &key).await.unwrap();
    assert_eq!(state.image_sha256, None, "{fault:?}: {state:?}");
    assert!(!state.visible);
    assert_eq!(
        srv.objects().await,
        Vec::<String>::new(),
        "{fault:?}: half-written object"
    );

    let put = c.put_image(&srv.event, &key, body.clone()).await.unwrap();
    assert!(put.created, "the retry is the first successful PUT");
    assert_eq!(put.image_sha256, sha);
    let state = c.photo_state(&srv.event, &key).await.unwrap();
    assert!(state.visible, "{state:?}");
    assert_eq!(state.image_sha256.as_deref(), Some(sha.as_str()));
    assert_eq!(srv.objects().await.len(), 1);
    assert!(
        srv.stored(&sha).await == body,
        "the stored object is the whole body"
    );

    let again = c.put_image(&srv.event, &key, body).await.unwrap();
    assert!(!again.created);
    assert_eq!(srv.objects().await.len(), 1);
    assert_eq!(c.stats(&srv.event).await.unwrap().photos, 1);
}

const SMALL: usize = 1024 * 1024;
const LARGE: usize = 20 * 1024 * 1024; // multipart

#[tokio::test]
async fn a_refusing_store_fails_the_push_retryably_then_the_retry_lands_once() {
    fault_then_heal(Fault::Refuse, SMALL, 1).await;
}

#[tokio::test]
async fn a_refusing_store_fails_a_multipart_push_retryably_then_the_retry_lands_once() {
    fault_then_heal(Fault::Refuse, LARGE, 2).await;
}

#[tokio::test]
async fn a_reset_mid_upload_leaves_nothing_then_the_retry_lands_once() {
    fault_then_heal(Fault::ResetAfter(256 * 1024), SMALL, 3).await;
}

#[tokio::test]
async fn a_reset_mid_multipart_upload_leaves_nothing_then_the_retry_lands_once() {
    fault_then_heal(Fault::ResetAfter(10 * 1024 * 1024), LARGE, 4).await;
}

#[tokio::test]
async fn a_stall_mid_upload_fails_within_the_timeouts_then_the_retry_lands_once() {
    fault_then_heal(Fault::StallAfter(256 * 1024), SMALL, 5).await;
}

#[tokio::test]
async fn a_stall_mid_multipart_upload_fails_within_the_timeouts_then_the_retry_lands_once() {
    fault_then_heal(Fault::StallAfter(10 * 1024 * 1024), LARGE, 6).await;
}

#[tokio::test]
async fn with_s3_storage_the_data_dir_holds_no_image_bytes() {
    let selfie = jpeg(999);
    let srv = S3Server::start(None, vec![("ann", selfie.clone())]).await;
    let c = srv.photographer();
    let mut images = vec![selfie];
    for n in 1..=5u64 {
        let key = photo_key(100 + n);
        let (image, grid) = (big_jpeg(SMALL, n), jpeg(1000 + n));
        c.put_image(&srv.event, &key, image.clone()).await.unwrap();
        c.put_grid_image(&srv.event, &key, grid.clone())
            .await
            .unwrap();
        c.put_metadata(&srv.event, &key, &meta(1, &["ann"]))
            .await
            .unwrap();
        images.extend([image, grid]);
    }
    let data = srv.root.path().join("data");
    let files = files_under(&data);
    for f in &files {
        assert!(
            f.starts_with("event-server.sqlite3"),
            "unexpected file {f} in {files:?}"
        );
        let bytes = std::fs::read(data.join(f)).unwrap();
        for image in &images {
            // The first 4 KiB after the JPEG header are unique to each image.
            let probe = &image[4..image.len().min(4096)];
            assert!(
                !bytes.windows(probe.len()).any(|w| w == probe),
                "image bytes in {f}"
            );
        }
    }
    let mut want: Vec<String> = images
        .iter()
        .map(|i| {
            let sha = sha256_hex(i);
            format!("{}/images/{}/{sha}", srv.url.prefix, &sha[..2])
        })
        .collect();
    want.sort();
    assert_eq!(srv.objects().await, want);
}
