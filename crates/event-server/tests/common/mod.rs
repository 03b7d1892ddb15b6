//! Shared harness: a real server on 127.0.0.1:0 in-process, with one event, a
//! photographer token and helpers to make photos and clients.
#![allow(dead_code)] // each test binary uses a different subset

pub mod cli;
pub mod s3;
pub mod stores;

use std::time::Duration;

use findme_event_server::{serve, Admin, ServerConfig};
use findme_protocol::{EventClient, FaceBox, PhotoFace, PhotoMetadata, Token};
pub use stores::Stores;
use tempfile::TempDir;

pub struct TestServer {
    pub base: String,
    /// The temp root; the data dir is `root/data`, so tests can check that nothing
    /// was written beside it.
    pub root: TempDir,
    /// Where this server keeps things (see [`stores`]).
    pub stores: Stores,
    pub admin: Admin,
    pub event: String,
    pub photographer: String,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::start_event("Test event", tweak).await
    }

    /// A server whose event `ev1` has this name.
    pub async fn start_event(name: &str, tweak: impl FnOnce(&mut ServerConfig)) -> Self {
        let root = tempfile::tempdir().unwrap();
        let stores = Stores::new(root.path());
        let mut config = ServerConfig::with_store(stores.config.clone());
        tweak(&mut config);
        let admin = Admin::open_store(&stores.config).unwrap();
        let ev = admin.create_event(name, Some("ev1")).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            if let Err(e) = serve(listener, config).await {
                panic!("server failed: {e}");
            }
        });
        Self {
            base,
            root,
            stores,
            admin,
            event: ev.event,
            photographer: ev.photographer_token,
        }
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self.stores.data.clone()
    }

    /// Whether the server's image store holds `sha256`.
    pub fn image_stored(&self, sha256: &str) -> bool {
        self.stores.image_stored(sha256)
    }

    pub fn client(&self, token: &str) -> EventClient {
        client(&self.base, token)
    }

    pub fn photographer(&self) -> EventClient {
        self.client(&self.photographer)
    }

    /// Adds a participant with a synthetic selfie; returns the attendee token.
    pub fn participant(&self, id: &str) -> String {
        self.admin
            .add_participant(
                &self.event,
                &format!("Name of {id}"),
                &jpeg(id.len() as u64 + 1000),
                Some(id),
            )
            .unwrap()
            .attendee_token
    }
}

pub fn client(base: &str, token: &str) -> EventClient {
    EventClient::with_timeouts(
        base,
        Token::new(token),
        Duration::from_secs(20),
        Duration::from_secs(5),
    )
    .unwrap()
}

/// A small JPEG-looking body (SOI + marker, payload, EOI) unique per `seed`.
pub fn jpeg(seed: u64) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..2048u64).map(|i| (seed.wrapping_mul(31).wrapping_add(i * 7) % 251) as u8));
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// A photo key (stands for the SHA-256 of an original file).
pub fn photo_key(n: u64) -> String {
    findme_protocol::sha256_hex(format!("original photo {n}").as_bytes())
}

/// Metadata at `revision` with one face per participant id.
pub fn meta(revision: u64, people: &[&str]) -> PhotoMetadata {
    PhotoMetadata {
        captured_at: Some("2025-06-01T12:00:00+02:00".into()),
        width: 2048,
        height: 1365,
        camera: Some("Test Cam".into()),
        revision,
        faces: people
            .iter()
            .enumerate()
            .map(|(i, p)| PhotoFace {
                participant_id: Some(p.to_string()),
                confidence: 99.0,
                face_box: FaceBox {
                    left: 0.1 + 0.2 * i as f64,
                    top: 0.2,
                    width: 0.1,
                    height: 0.15,
                },
            })
            .collect(),
    }
}

/// Uploads image + metadata for photo `n`, returns its key.
pub async fn push(c: &EventClient, event: &str, n: u64, people: &[&str]) -> String {
    let key = photo_key(n);
    c.put_image(event, &key, jpeg(n)).await.unwrap();
    c.put_metadata(event, &key, &meta(1, people)).await.unwrap();
    key
}

/// Every file under `dir`, relative, sorted.
pub fn files_under(dir: &std::path::Path) -> Vec<String> {
    fn walk(base: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.push(p.strip_prefix(base).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The status of a [`findme_protocol::ClientError`] (panics if it has none).
pub fn status(e: &findme_protocol::ClientError) -> u16 {
    e.status().unwrap_or_else(|| panic!("no status in {e:?}"))
}
