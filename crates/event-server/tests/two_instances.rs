//! Two server instances on one PostgreSQL database and one bucket, over HTTP.
//!
//! The roster cursor: guests register through both at once (the finish line of
//! a race), while the app pages the roster with its cursor, alternating between
//! the instances as a load balancer would. It must see every guest exactly once.
//!
//! The guests' rate limit holds for the deployment, not per instance, and counts
//! each guest behind a trusted proxy by the address it forwards.
//! Always on PostgreSQL + S3: a single SQLite writer cannot have the race.
//!
//! The race itself is timing-bound here: with the advisory lock replaced by a
//! plain sequence this test failed in 1 run of 3 (2026-12-07). The deterministic
//! proof is `pg_store.rs a_late_commit_is_never_skipped_by_the_cursor` (a commit
//! held late on purpose); this one checks the whole path end to end: two
//! instances, real registrations, the app's paging.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::stores::{Backend, Stores};
use findme_event_server::{serve, Admin, ServerConfig};
use findme_protocol::RegistrationUpdate;
use reqwest::multipart::{Form, Part};

const WRITERS_PER_INSTANCE: usize = 8;
const GUESTS_PER_WRITER: usize = 40;

async fn instance(stores: &Stores) -> String {
    let mut config = ServerConfig::with_store(stores.config.clone());
    config.registrations_per_minute = 1_000_000; // the limiter is not under test
    start(config).await
}

async fn start(config: ServerConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { serve(listener, config).await.unwrap() });
    base
}

async fn register(http: &reqwest::Client, base: &str, name: String, selfie: Vec<u8>) {
    let resp = post_registration(http, base, name, selfie, None).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

async fn post_registration(
    http: &reqwest::Client,
    base: &str,
    name: String,
    selfie: Vec<u8>,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let form = Form::new()
        .text("name", name)
        .text("consent", "yes")
        .part("selfie", Part::bytes(selfie).file_name("me.jpg"));
    let mut req = http
        .post(format!("{base}/e/ev1/register"))
        .header("accept", "application/json");
    if let Some(addr) = forwarded_for {
        req = req.header("x-forwarded-for", addr);
    }
    req.multipart(form).send().await.unwrap()
}

fn demo_selfie() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/ada.jpg"
    ))
    .unwrap()
}

/// An event `ev1` with registration open, on fresh PostgreSQL + S3 stores.
fn open_event(root: &std::path::Path) -> (Stores, String) {
    let stores = Stores::of(Backend::PostgresS3, root);
    let admin = Admin::open_store(&stores.config).unwrap();
    let token = admin
        .create_event("Finish line", Some("ev1"))
        .unwrap()
        .photographer_token;
    let open = RegistrationUpdate {
        open: Some(true),
        ..Default::default()
    };
    admin.set_registration("ev1", &open).unwrap();
    (stores, token)
}

#[tokio::test]
async fn the_guests_limit_holds_across_instances_per_forwarded_address() {
    let root = tempfile::tempdir().unwrap();
    let (stores, _) = open_event(root.path());
    let mut bases = Vec::new();
    for _ in 0..2 {
        let mut config = ServerConfig::with_store(stores.config.clone());
        config.registrations_per_minute = 1; // a burst of 1, one more a minute
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        bases.push(start(config).await);
    }
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let base = &bases[i % 2];
        let name = format!("runner {i}");
        let resp = post_registration(&http, base, name, demo_selfie(), Some("198.51.100.7")).await;
        statuses.push(resp.status().as_u16());
    }
    // Each instance's own bucket would let one through: two in all.
    assert_eq!(
        statuses,
        [200, 429, 429, 429],
        "one guest address, two instances"
    );
    let other = post_registration(
        &http,
        &bases[1],
        "other".into(),
        demo_selfie(),
        Some("198.51.100.8"),
    );
    assert_eq!(
        other.await.status(),
        200,
        "another guest behind the same proxy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guests_registering_through_two_instances_are_each_paged_exactly_once() {
    let root = tempfile::tempdir().unwrap();
    let (stores, token) = open_event(root.path());
    let bases = [instance(&stores).await, instance(&stores).await];
    let selfie = demo_selfie();

    let http = reqwest::Client::new();
    let mut writers = Vec::new();
    for (i, base) in bases.iter().enumerate() {
        for w in 0..WRITERS_PER_INSTANCE {
            let (http, base, selfie) = (http.clone(), base.clone(), selfie.clone());
            writers.push(tokio::spawn(async move {
                for g in 0..GUESTS_PER_WRITER {
                    // Each guest's own selfie (bytes after the JPEG's end marker),
                    // as at a real finish line: what is tested is the roster race.
                    // With one selfie for all, 640 concurrent PUTs of one key once
                    // answered a registration 503 in a full parallel run (cause not
                    // found yet: the S3 store or s3s-fs; see the stop-28 note).
                    let name = format!("guest {i}-{w}-{g}");
                    let mut own = selfie.clone();
                    own.extend_from_slice(name.as_bytes());
                    register(&http, &base, name, own).await;
                }
            }));
        }
    }
    let writing = Arc::new(AtomicBool::new(true));
    let reader = {
        let (writing, bases, token) = (writing.clone(), bases.clone(), token.clone());
        tokio::spawn(async move {
            let clients = bases.map(|b| common::client(&b, &token));
            let (mut cursor, mut seen, mut polls) = (None::<String>, BTreeMap::new(), 0usize);
            loop {
                // Read `writing` before the poll: a poll that starts after the
                // last write committed and finds nothing new ends the reading.
                let still_writing = writing.load(Ordering::SeqCst);
                let page = clients[polls % 2]
                    .participants("ev1", cursor.as_deref())
                    .await
                    .unwrap();
                polls += 1;
                for p in &page.participants {
                    *seen.entry(p.display_name.clone()).or_insert(0usize) += 1;
                }
                let empty = page.participants.is_empty();
                cursor = Some(page.cursor);
                if empty && !page.more && !still_writing {
                    return (seen, polls);
                }
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    writing.store(false, Ordering::SeqCst);
    let (seen, polls) = reader.await.unwrap();

    let expected = 2 * WRITERS_PER_INSTANCE * GUESTS_PER_WRITER;
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "seen more than once: {twice:?}");
    assert_eq!(
        seen.len(),
        expected,
        "skipped {} guests",
        expected - seen.len()
    );
    assert!(
        polls > 2,
        "the reader paged while guests registered ({polls} polls)"
    );
}

/// One image's bytes arriving many times at once through both instances (a guest
/// who taps Send twice on a slow network, two laptops pushing one rendition, a
/// retry after a timeout): every request is answered as if it were alone and the
/// bucket holds the image once. 640 such uploads once answered one registration
/// 503 (stop 28); the server's own log of any failure is printed with the test's
/// output, so a failure here names its cause.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_image_uploaded_many_times_at_once_is_stored_once_and_every_upload_succeeds() {
    const AT_ONCE: usize = 16;
    const ROUNDS: usize = 20;
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("findme_event_server=warn")
        .try_init();
    let root = tempfile::tempdir().unwrap();
    let (stores, _) = open_event(root.path());
    let bases = [instance(&stores).await, instance(&stores).await];
    let selfie = demo_selfie();
    let http = reqwest::Client::new();
    let mut senders = tokio::task::JoinSet::new();
    for s in 0..AT_ONCE {
        let (http, base, selfie) = (http.clone(), bases[s % 2].clone(), selfie.clone());
        senders.spawn(async move {
            let mut refused = Vec::new();
            for r in 0..ROUNDS {
                let name = format!("twin {s}-{r}");
                let resp =
                    post_registration(&http, &base, name.clone(), selfie.clone(), None).await;
                let status = resp.status();
                if status != 200 {
                    refused.push(format!("{name}: {status} {}", resp.text().await.unwrap()));
                }
            }
            refused
        });
    }
    let mut refused = Vec::new();
    while let Some(done) = senders.join_next().await {
        refused.extend(done.unwrap());
    }
    assert!(
        refused.is_empty(),
        "{} of {} uploads of one image refused: {refused:#?}",
        refused.len(),
        AT_ONCE * ROUNDS
    );
    let storage = stores.config.storage.as_ref().unwrap();
    let images: Vec<String> = common::s3::objects(storage, &stores.config.s3)
        .await
        .into_iter()
        .filter(|key| key.contains("/images/"))
        .collect();
    assert_eq!(images.len(), 1, "one image, stored once: {images:?}");
}
