//! `RekognitionMatcher` through the real AWS SDK against the in-process
//! Rekognition mock: the happy path with synthetic ground truth, single-flight
//! collection creation, and every failure the job queue must tell apart.

mod pace;
mod people;
mod selfie;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_faces::limiter::LimiterConfig;
use findme_faces::rekognition::{RekognitionConfig, RekognitionMatcher};
use findme_faces::{FaceImage, FaceMatcher, IndexedFace, MatcherError};
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::{start, CredentialRejection, MockConfig, MockServer};

const EV: &str = "findme-ev1";

fn config(server: &MockServer) -> RekognitionConfig {
    RekognitionConfig {
        region: Some("us-east-1".into()),
        endpoint: Some(server.endpoint()),
        call_timeout: Duration::from_secs(10),
        static_credentials: Some(("test".into(), "test".into())),
        // Fast enough that the limiter never paces these tests (but for the throttle test).
        limiter: LimiterConfig {
            start_tps: 100.0,
            max_concurrent: 32,
            ..LimiterConfig::default()
        },
    }
}

async fn matcher(server: &MockServer) -> RekognitionMatcher {
    RekognitionMatcher::new(config(server)).await
}

fn face(person: usize, left: u32, top: u32, size: u32) -> SynthFace {
    SynthFace {
        person,
        left,
        top,
        size,
    }
}

/// A 1280×720 photo of `persons` side by side, 140 px faces.
fn group(persons: &[usize], seed: u64) -> (Vec<u8>, Vec<SynthFace>) {
    let faces: Vec<SynthFace> = persons
        .iter()
        .enumerate()
        .map(|(i, &p)| face(p, 40 + i as u32 * 240, 250, 140))
        .collect();
    (synth::photo(1280, 720, &faces, seed), faces)
}

/// Who the mock saw in each face of the collection.
fn persons(server: &MockServer, collection: &str) -> BTreeMap<String, usize> {
    server
        .collection_faces(collection)
        .into_iter()
        .map(|f| (f.face_id, f.person))
        .collect()
}

fn calls(server: &MockServer, op: &str) -> u64 {
    server.stats().calls.get(op).copied().unwrap_or(0)
}

fn jpeg(bytes: impl AsRef<[u8]>) -> FaceImage {
    FaceImage::Jpeg(bytes.as_ref().to_vec())
}

fn ids(faces: &[IndexedFace]) -> BTreeSet<String> {
    faces.iter().map(|f| f.face_id.clone()).collect()
}

#[tokio::test]
async fn indexes_a_group_photo_and_finds_a_participant_in_it() {
    let server = start(MockConfig::default()).await;
    let m = matcher(&server).await;
    m.prepare_event(EV).await.expect("prepare");

    let (photo_a, truth_a) = group(&[1, 2, 3], 7);
    let faces_a = m
        .index_photo(EV, "ph-a", &jpeg(&photo_a))
        .await
        .expect("index a");
    assert_eq!(faces_a.len(), 3);
    for t in &truth_a {
        let want = t.bounding_box(1280, 720);
        let found = faces_a
            .iter()
            .find(|f| (f.left - want.left).abs() < 0.01 && (f.top - want.top).abs() < 0.01);
        let found = found.unwrap_or_else(|| panic!("no face at {want:?} in {faces_a:?}"));
        assert!(
            (found.width - want.width).abs() < 0.01 && (found.height - want.height).abs() < 0.01,
            "{found:?}"
        );
        assert!(found.confidence > 90.0);
        assert_eq!(persons(&server, EV)[&found.face_id], t.person);
    }
    let (photo_b, _) = group(&[4, 2], 8);
    let faces_b = m
        .index_photo(EV, "ph-b", &jpeg(&photo_b))
        .await
        .expect("index b");
    assert_eq!(faces_b.len(), 2);

    let selfie = m
        .index_selfie(EV, "p-anna", &jpeg(synth::selfie(2)), None)
        .await
        .expect("selfie")
        .face_id;
    let who = persons(&server, EV);
    assert_eq!(who[&selfie], 2);
    let similar = m.search_face(EV, &selfie, 80.0, 100).await.expect("search");
    let expected: BTreeSet<String> = who
        .iter()
        .filter(|(id, p)| **p == 2 && **id != selfie)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(expected.len(), 2, "person 2 is in both photos");
    assert_eq!(
        similar
            .iter()
            .map(|s| s.face_id.clone())
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert!(similar.iter().all(|s| s.similarity >= 99.0));
    let tags: BTreeSet<_> = similar
        .iter()
        .filter_map(|s| s.external_id.as_deref())
        .collect();
    assert_eq!(tags, BTreeSet::from(["ph-a", "ph-b"]));

    // Someone else's face finds nobody at 80 %.
    let person_1 = who
        .iter()
        .find(|(_, p)| **p == 1)
        .map(|(id, _)| id.clone())
        .expect("person 1");
    assert!(m
        .search_face(EV, &person_1, 80.0, 100)
        .await
        .expect("search")
        .is_empty());
    // A face deleted meanwhile has no matches (and is not a missing collection).
    let gone = "00000000-0000-4000-8000-00000000dead";
    assert_eq!(m.search_face(EV, gone, 80.0, 100).await, Ok(Vec::new()));

    let stats = m.stats();
    assert_eq!(stats.calls.get("IndexFaces"), Some(&3));
    assert_eq!(stats.calls.get("SearchFaces"), Some(&3));
    assert_eq!(stats.calls.get("CreateCollection"), Some(&1));
    assert_eq!(stats.throttled, 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_prepares_share_one_create_collection() {
    // Latency keeps the first call in flight while the others arrive.
    let server = start(MockConfig {
        latency_ms: 200,
        ..MockConfig::default()
    })
    .await;
    let m = Arc::new(matcher(&server).await);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.prepare_event(EV).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), Ok(()));
    }
    assert_eq!(calls(&server, "CreateCollection"), 1);
    assert_eq!(m.stats().calls.get("CreateCollection"), Some(&1));

    // Known to exist: no call at all.
    m.prepare_event(EV).await.expect("again");
    assert_eq!(calls(&server, "CreateCollection"), 1);

    // Another process (a fresh matcher) finds it existing: that is success.
    let other = matcher(&server).await;
    other
        .prepare_event(EV)
        .await
        .expect("already exists is fine");
    assert_eq!(calls(&server, "CreateCollection"), 2);
    assert_eq!(server.collections(), [EV]);
    server.shutdown().await;
}

#[tokio::test]
async fn the_quota_throttles_and_the_limiter_slows_down() {
    let server = start(MockConfig {
        tps: 1.0,
        tps_burst: 1.0,
        ..MockConfig::default()
    })
    .await;
    let mut cfg = config(&server);
    cfg.limiter = LimiterConfig {
        start_tps: 10.0,
        ..LimiterConfig::default()
    };
    let m = RekognitionMatcher::new(cfg).await;
    m.prepare_event(EV)
        .await
        .expect("first call is within the quota");
    let before = m.limiter().rate();

    // 100 ms later is over 1 TPS: throttled, then sent again in place once the
    // slowed-down limiter lets it go, and answered.
    let faces = m
        .find_faces(EV, "ph-x")
        .await
        .expect("a throttled call is sent again");
    assert!(faces.is_empty());
    let throttled = m.stats().throttled;
    assert!(throttled >= 1, "the quota must have throttled it");
    assert_eq!(server.stats().throttled_by_quota, throttled);
    assert_eq!(
        m.stats().calls.get("ListFaces"),
        Some(&(throttled + 1)),
        "each send counts as a call"
    );
    // Halved by the throttle; the answered resend may already have added a
    // probing step back (a few hundredths, more on a loaded machine).
    assert!(
        m.limiter().rate() <= before * 0.6,
        "{} → {}",
        before,
        m.limiter().rate()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_call_throttled_again_and_again_gives_up_as_throttled() {
    let server = start(MockConfig {
        throttle_rate: 1.0,
        ..MockConfig::default()
    })
    .await;
    let mut cfg = config(&server);
    cfg.limiter = LimiterConfig {
        start_tps: 100.0,
        ..LimiterConfig::default()
    };
    let m = RekognitionMatcher::new(cfg).await;
    let err = m
        .find_faces(EV, "ph-x")
        .await
        .expect_err("every send is throttled");
    assert!(matches!(err, MatcherError::Throttled(_)), "{err:?}");
    // A bounded number of sends, then the job is handed back (deferred).
    assert_eq!(m.stats().throttled, 5);
    assert_eq!(m.stats().calls.get("ListFaces"), Some(&5));
    server.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_unreachable_endpoints_are_unavailable() {
    let server = start(MockConfig {
        error_5xx_rate: 1.0,
        ..MockConfig::default()
    })
    .await;
    let m = matcher(&server).await;
    let rate = m.limiter().rate();
    for _ in 0..8 {
        let err = m.prepare_event(EV).await.expect_err("5xx");
        assert!(matches!(err, MatcherError::Unavailable(_)), "{err:?}");
    }
    let codes = server.stats().errors;
    assert!(
        codes.contains_key("InternalServerError") && codes.contains_key("ServiceUnavailable"),
        "{codes:?}"
    );
    assert_eq!(
        m.stats().calls.get("CreateCollection"),
        Some(&8),
        "a failed prepare is retried, not cached"
    );
    assert_eq!(m.stats().throttled, 0);
    assert_eq!(
        m.limiter().rate(),
        rate,
        "no answer says nothing about the rate"
    );
    server.shutdown().await;

    // Nobody listening any more.
    let err = m.prepare_event(EV).await.expect_err("refused");
    assert!(matches!(err, MatcherError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn a_stall_past_the_call_timeout_is_unavailable() {
    let server = start(MockConfig::default()).await;
    let mut cfg = config(&server);
    cfg.call_timeout = Duration::from_millis(300);
    let m = RekognitionMatcher::new(cfg).await;
    m.prepare_event(EV).await.expect("prepare");
    server.update_config(|c| {
        c.stall_rate = 1.0;
        c.stall_ms = 30_000;
    });
    let (photo, _) = group(&[5], 1);
    let t = Instant::now();
    let err = m
        .index_photo(EV, "ph-stall", &jpeg(&photo))
        .await
        .expect_err("stalled");
    assert!(matches!(err, MatcherError::Unavailable(_)), "{err:?}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "gave up after {:?}",
        t.elapsed()
    );
    // The answer was lost but the faces were indexed: what find_faces is for.
    assert_eq!(server.collection_faces(EV).len(), 1);
    server.update_config(|c| c.stall_rate = 0.0);
    let adopted = m.find_faces(EV, "ph-stall").await.expect("find");
    assert_eq!(adopted.len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn refused_credentials_say_what_to_do() {
    let server = start(MockConfig {
        reject_credentials: CredentialRejection::ExpiredToken,
        ..MockConfig::default()
    })
    .await;
    let m = matcher(&server).await;
    match m.prepare_event(EV).await {
        Err(MatcherError::Credentials(msg)) => {
            assert!(
                msg.contains("expired") && msg.contains("aws sso login"),
                "{msg}"
            );
            assert!(!msg.contains("test"), "no key material: {msg}");
        }
        other => panic!("expected Credentials, got {other:?}"),
    }
    server.update_config(|c| c.reject_credentials = CredentialRejection::UnrecognizedClient);
    let err = m.find_faces(EV, "ph-x").await.expect_err("refused");
    assert!(
        matches!(&err, MatcherError::Credentials(msg) if msg.contains("refused")),
        "{err:?}"
    );

    server.update_config(|c| c.reject_credentials = CredentialRejection::Off);
    m.prepare_event(EV).await.expect("works once fixed");
    assert_eq!(m.stats().throttled, 0);
    server.shutdown().await;
}

#[tokio::test]
async fn unusable_images_are_bad_images() {
    let server = start(MockConfig::default()).await;
    let m = matcher(&server).await;
    m.prepare_event(EV).await.expect("prepare");

    let err = m
        .index_photo(EV, "ph-x", &jpeg(b"GIF89a definitely not a jpeg"))
        .await
        .expect_err("format");
    assert!(
        matches!(&err, MatcherError::BadImage(msg) if msg.contains("JPEG")),
        "{err:?}"
    );

    let tiny = synth::photo(40, 40, &[], 3);
    let err = m
        .index_selfie(EV, "p-x", &jpeg(&tiny), None)
        .await
        .expect_err("too small");
    assert!(matches!(err, MatcherError::BadImage(_)), "{err:?}");

    let (photo, _) = group(&[1], 2);
    server.update_config(|c| c.max_image_bytes = photo.len() - 1);
    let err = m
        .index_photo(EV, "ph-x", &jpeg(&photo))
        .await
        .expect_err("size");
    assert!(
        matches!(&err, MatcherError::BadImage(msg) if msg.contains("too large")),
        "{err:?}"
    );
    assert!(server.collection_faces(EV).is_empty());
    server.shutdown().await;
}

#[tokio::test]
async fn a_selfie_needs_exactly_one_face() {
    let server = start(MockConfig::default()).await;
    let m = matcher(&server).await;
    m.prepare_event(EV).await.expect("prepare");

    let empty = synth::photo(480, 640, &[], 11);
    assert_eq!(
        m.index_selfie(EV, "p-empty", &jpeg(&empty), None).await,
        Err(MatcherError::NoFace)
    );

    // Two people of about the same size: refused, and nothing left in the index.
    let two = synth::photo(
        640,
        480,
        &[face(3, 40, 100, 220), face(4, 340, 120, 200)],
        12,
    );
    assert_eq!(
        m.index_selfie(EV, "p-two", &jpeg(&two), None)
            .await
            .map_err(|e| e.to_string()),
        Err("several faces (2) in the selfie: pick one".to_string())
    );
    assert!(
        server.collection_faces(EV).is_empty(),
        "{:?}",
        server.collection_faces(EV)
    );

    // A small face in the background does not count.
    let main = synth::selfie_face(6);
    let crowd = synth::photo(480, 640, &[main, face(7, 10, 20, 60)], 13);
    let id = m
        .index_selfie(EV, "p-six", &jpeg(&crowd), None)
        .await
        .expect("one main face")
        .face_id;
    assert_eq!(persons(&server, EV), BTreeMap::from([(id, 6)]));
    server.shutdown().await;
}

#[tokio::test]
async fn a_collection_deleted_behind_our_back_is_recreated() {
    let server = start(MockConfig::default()).await;
    let m = matcher(&server).await;
    let other = matcher(&server).await;
    m.prepare_event(EV).await.expect("prepare");
    other
        .close_event(EV)
        .await
        .expect("someone closes the event");
    assert!(server.collections().is_empty());

    let (photo, _) = group(&[1, 2], 4);
    let err = m
        .index_photo(EV, "ph-1", &jpeg(&photo))
        .await
        .expect_err("gone");
    assert!(matches!(err, MatcherError::MissingIndex(_)), "{err:?}");
    m.prepare_event(EV).await.expect("recreate");
    assert_eq!(calls(&server, "CreateCollection"), 2);
    assert_eq!(
        m.index_photo(EV, "ph-1", &jpeg(&photo))
            .await
            .expect("index")
            .len(),
        2
    );

    // Closing twice is fine; afterwards prepare creates it again.
    m.close_event(EV).await.expect("close");
    m.close_event(EV).await.expect("close again");
    m.prepare_event(EV).await.expect("prepare after close");
    assert_eq!(calls(&server, "CreateCollection"), 3);
    server.shutdown().await;
}

#[tokio::test]
async fn faces_are_found_by_tag_and_deleted() {
    let server = start(MockConfig::default()).await;
    let m = matcher(&server).await;
    m.prepare_event(EV).await.expect("prepare");
    let (a, _) = group(&[1, 2, 3], 5);
    let (b, _) = group(&[4, 5], 6);
    let faces_a = m.index_photo(EV, "ph-a", &jpeg(&a)).await.expect("a");
    let faces_b = m.index_photo(EV, "ph-b", &jpeg(&b)).await.expect("b");

    let found = m.find_faces(EV, "ph-a").await.expect("find");
    assert_eq!(ids(&found), ids(&faces_a));
    for f in &found {
        let original = faces_a
            .iter()
            .find(|o| o.face_id == f.face_id)
            .expect("same face");
        assert!((f.left - original.left).abs() < 1e-3 && (f.width - original.width).abs() < 1e-3);
    }
    assert!(m.find_faces(EV, "ph-none").await.expect("find").is_empty());

    let doomed: Vec<String> = faces_a.iter().map(|f| f.face_id.clone()).collect();
    m.delete_faces(EV, &doomed).await.expect("delete");
    assert_eq!(
        server
            .collection_faces(EV)
            .iter()
            .map(|f| f.face_id.clone())
            .collect::<BTreeSet<_>>(),
        ids(&faces_b)
    );
    assert!(m.find_faces(EV, "ph-a").await.expect("find").is_empty());

    // Nothing to delete: no call. More than DeleteFaces takes at once: chunks.
    m.delete_faces(EV, &[]).await.expect("empty");
    assert_eq!(calls(&server, "DeleteFaces"), 1);
    let mut many: Vec<String> = (0..4100u32)
        .map(|i| format!("00000000-0000-4000-8000-{i:012x}"))
        .collect();
    many.push(faces_b[0].face_id.clone());
    m.delete_faces(EV, &many).await.expect("chunked");
    assert_eq!(calls(&server, "DeleteFaces"), 3);
    assert_eq!(server.collection_faces(EV).len(), 1);

    m.close_event(EV).await.expect("close");
    let err = m
        .delete_faces(EV, &doomed)
        .await
        .expect_err("no collection");
    assert!(matches!(err, MatcherError::MissingIndex(_)), "{err:?}");
    server.shutdown().await;
}
