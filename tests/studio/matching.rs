//! Face matching end to end: the engine, the real AWS SDK, and a
//! Rekognition-compatible server on 127.0.0.1 whose ground truth is colour
//! squares (the colour names the person). Photos go through ingest, the 2560 px
//! rendition, IndexFaces and the search planner like real ones.

use findme_catalog::{JobKind, JobStatus};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use findme_engine::{Engine, EngineConfig, MatchBackend};
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::{MockConfig, MockServer};
use findme_testkit::{ev, pid};

/// Person indexes 0..20 register; 20..26 are strangers.
const PARTICIPANTS: usize = 20;

async fn open_engine(data: &Path, server: &MockServer, workers: usize) -> Engine {
    Engine::open(engine_config(data, server, workers))
        .await
        .expect("engine")
}

/// The engine matching with Rekognition = the mock `server`, searching every 2 s.
pub(crate) fn engine_config(data: &Path, server: &MockServer, workers: usize) -> EngineConfig {
    let mut config = EngineConfig::new(data);
    config.matching.backend = MatchBackend::Rekognition;
    config.matching.rekognition.endpoint = Some(server.endpoint());
    config.matching.rekognition.region = Some("us-east-1".into());
    config.matching.rekognition.static_credentials = Some(("test".into(), "test".into()));
    config.matching.workers = Some(workers);
    config.matching.latency_bound = Duration::from_secs(2);
    config
}

pub(crate) fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// `count` photos with 1-4 faces each (some strangers); returns who is in each file.
fn shoot(dir: &Path, count: usize, seed: u64) -> BTreeMap<PathBuf, BTreeSet<usize>> {
    let mut truth = BTreeMap::new();
    for i in 0..count {
        let n = 1 + (i * 7 + seed as usize) % 4;
        let faces: Vec<SynthFace> = (0..n)
            .map(|k| SynthFace {
                person: (i * 5 + k * 11 + seed as usize) % 26,
                left: 60 + k as u32 * 300,
                top: 120 + (k as u32 % 2) * 200,
                size: 150,
            })
            .collect();
        let path = dir.join(format!("IMG_{i:04}.JPG"));
        write(
            &path,
            &synth::photo(1280, 720, &faces, seed * 1000 + i as u64),
        );
        truth.insert(path, faces.iter().map(|f| f.person).collect());
    }
    truth
}

/// Creates `event` with its participants; the photos catalogued so far join it
/// (photos imported later join it too, as the active event).
async fn register(engine: &Engine, dir: &Path, event: &str) {
    register_people(engine, dir, event, PARTICIPANTS).await;
}

/// Creates `event` with `people` participants (persons 0..people, selfies into
/// `dir`); the photos catalogued so far join it.
pub(crate) async fn register_people(engine: &Engine, dir: &Path, event: &str, people: usize) {
    engine.create_event(&ev(event), "Gala", None).await.unwrap();
    engine
        .assign(&ev(event), findme_engine::Selection::All)
        .await
        .unwrap();
    for person in 0..people {
        let selfie = dir.join(format!("p{person:02}.jpg"));
        write(&selfie, &synth::selfie(person));
        engine
            .add_participant(
                &ev(event),
                &pid(&format!("p{person:02}")),
                &format!("Person {person}"),
                Some(selfie),
                true,
            )
            .await
            .unwrap();
    }
}

fn found(photos: &[findme_engine::PhotoDto]) -> BTreeMap<String, BTreeSet<usize>> {
    photos
        .iter()
        .map(|p| {
            let people = p
                .faces
                .iter()
                .filter_map(|f| f.participant.as_ref())
                .map(|id| id.trim_start_matches('p').parse::<usize>().unwrap())
                .collect();
            (p.paths[0].clone(), people)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_registered_face_is_found_strangers_are_not_and_participants_are_indexed_once() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let truth = shoot(&tmp.path().join("photos"), 50, 1);
    // Cold start: 50 photos queued before any participant is indexed, 8 workers
    // racing (the old server crashed here).
    let engine = open_engine(&tmp.path().join("data"), &server, 8).await;
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();

    let stats = server.stats();
    assert_eq!(stats.calls.get("CreateCollection"), Some(&1), "{stats:?}");
    assert_eq!(
        stats.calls.get("CreateUser"),
        None,
        "nobody is near the 4,096-face cut: nobody is enrolled as a person"
    );
    assert_eq!(
        stats.calls.get("IndexFaces"),
        Some(&(PARTICIPANTS as u64 + 50)),
        "each selfie and each photo exactly once"
    );
    assert_eq!(
        report.calls.get("IndexFaces"),
        stats.calls.get("IndexFaces")
    );
    assert_eq!(report.failed, 0);

    let photos = engine.all_photos().await.unwrap();
    let got = found(&photos);
    for (path, people) in &truth {
        let want: BTreeSet<usize> = people
            .iter()
            .copied()
            .filter(|p| *p < PARTICIPANTS)
            .collect();
        assert_eq!(
            got[&path.to_string_lossy().to_string()],
            want,
            "{}",
            path.display()
        );
    }
    let faces: usize = truth.values().map(|p| p.len()).sum();
    assert_eq!(
        report.faces as usize, faces,
        "every face of every photo, strangers included"
    );
    assert_eq!(
        server.collection_faces("findme-gala").len(),
        faces + PARTICIPANTS,
        "no duplicate faces"
    );
    engine.shutdown().await;
    server.shutdown().await;
}

fn one_photo(dir: &Path, name: &str, people: &[usize], seed: u64) -> PathBuf {
    let faces: Vec<SynthFace> = people
        .iter()
        .enumerate()
        .map(|(k, person)| SynthFace {
            person: *person,
            left: 60 + k as u32 * 300,
            top: 200,
            size: 160,
        })
        .collect();
    let path = dir.join(name);
    write(&path, &synth::photo(1280, 720, &faces, seed));
    path
}

fn people_of(photos: &[findme_engine::PhotoDto], path: &Path) -> BTreeSet<String> {
    let path = path.to_string_lossy();
    photos
        .iter()
        .find(|p| p.paths.iter().any(|x| *x == path))
        .map(|p| {
            p.faces
                .iter()
                .filter_map(|f| f.participant.clone())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_threshold_decides_look_alikes() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = synth::LOOKALIKES;
    // b is not registered; only a's look-alike face is in the photo.
    let photo = one_photo(&tmp.path().join("photos"), "IMG_1.JPG", &[b], 7);
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    let selfie = tmp.path().join("a.jpg");
    write(&selfie, &synth::selfie(a));
    for (event, threshold) in [("strict", 80.0), ("loose", 70.0)] {
        engine
            .create_event(&ev(event), event, Some(threshold))
            .await
            .unwrap();
        engine
            .assign(&ev(event), findme_engine::Selection::All)
            .await
            .unwrap();
        engine
            .add_participant(&ev(event), &pid("a"), "A", Some(selfie.clone()), true)
            .await
            .unwrap();
    }
    let strict = engine.match_event(Some(&ev("strict"))).await.unwrap();
    assert_eq!(
        (strict.faces, strict.matches),
        (1, 0),
        "74 % similar is below 80"
    );
    assert!(people_of(&engine.all_photos().await.unwrap(), &photo).is_empty());
    let loose = engine.match_event(Some(&ev("loose"))).await.unwrap();
    assert_eq!(
        (loose.faces, loose.matches),
        (1, 1),
        "74 % similar is above 70"
    );
    assert_eq!(
        people_of(&engine.all_photos().await.unwrap(), &photo),
        BTreeSet::from(["a".to_string()])
    );
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_registrant_finds_their_photos_without_reindexing_any() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let truth = shoot(&tmp.path().join("photos"), 12, 3);
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
    engine.match_event(Some(&ev("gala"))).await.unwrap();
    // A stranger so far (not one of the look-alikes), who is in some photos.
    let late = truth
        .values()
        .flatten()
        .copied()
        .find(|p| *p >= PARTICIPANTS)
        .expect("the shoot has strangers");
    let in_photos: Vec<&PathBuf> = truth
        .iter()
        .filter(|(_, p)| p.contains(&late))
        .map(|(f, _)| f)
        .collect();
    assert!(
        !in_photos.is_empty(),
        "the shoot must include the late registrant"
    );

    server.reset_stats();
    let selfie = tmp.path().join("late.jpg");
    write(&selfie, &synth::selfie(late));
    engine
        .add_participant(&ev("gala"), &pid("late"), "Late", Some(selfie), true)
        .await
        .unwrap();
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    let calls = server.stats().calls;
    assert_eq!(
        calls.get("IndexFaces"),
        Some(&1),
        "only the selfie is indexed: {calls:?}"
    );
    assert_eq!(
        calls.get("SearchFaces"),
        Some(&1),
        "one search finds every earlier photo: {calls:?}"
    );
    let photos = engine.all_photos().await.unwrap();
    for path in &in_photos {
        assert!(
            people_of(&photos, path).contains("late"),
            "{}",
            path.display()
        );
    }
    let with_late = photos
        .iter()
        .filter(|p| {
            p.faces
                .iter()
                .any(|f| f.participant.as_deref() == Some("late"))
        })
        .count();
    assert_eq!(with_late, in_photos.len());
    assert_eq!(report.failed, 0);
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_consent_removes_matches_and_the_face_from_the_collection() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let photo = one_photo(&tmp.path().join("photos"), "IMG_1.JPG", &[1, 2], 9);
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
    engine.match_event(Some(&ev("gala"))).await.unwrap();
    let both = BTreeSet::from(["p01".to_string(), "p02".to_string()]);
    assert_eq!(people_of(&engine.all_photos().await.unwrap(), &photo), both);
    let faces_before = server.collection_faces("findme-gala").len();

    let p = engine
        .set_consent(&ev("gala"), &pid("p01"), false)
        .await
        .unwrap();
    assert!(!p.consent);
    // The match is gone at once, before the collection is touched.
    assert_eq!(
        people_of(&engine.all_photos().await.unwrap(), &photo),
        BTreeSet::from(["p02".to_string()])
    );
    // The face leaves the collection through the catalog's deletion work.
    let report = engine.run_deletions().await.unwrap();
    assert_eq!((report.pending, report.failed), (0, 0), "{report:?}");
    assert_eq!(
        server.collection_faces("findme-gala").len(),
        faces_before - 1,
        "the selfie's face was deleted"
    );
    assert_eq!(server.stats().calls.get("DeleteFaces"), Some(&1));
    assert!(
        !engine
            .participant(&ev("gala"), &pid("p01"))
            .await
            .unwrap()
            .indexed
    );
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_an_event_deletes_its_collection_and_matches_nothing_more() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let first = one_photo(&tmp.path().join("photos"), "IMG_1.JPG", &[1, 2], 5);
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
    engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!(server.collections(), ["findme-gala"]);

    let event = engine.close_event(&ev("gala")).await.unwrap();
    assert!(event.closed);
    assert!(server.collections().is_empty(), "DeleteCollection");
    // Matches found before closing stay.
    let both = BTreeSet::from(["p01".to_string(), "p02".to_string()]);
    assert_eq!(people_of(&engine.all_photos().await.unwrap(), &first), both);

    // A photo arriving afterwards is not matched and recreates nothing.
    let calls_before: u64 = server.stats().calls.values().sum();
    one_photo(&tmp.path().join("late"), "IMG_2.JPG", &[3], 6);
    engine.import(vec![tmp.path().join("late")]).await.unwrap();
    let err = engine.match_event(None).await.expect_err("closed");
    assert!(err.to_string().contains("closed"), "{err}");
    assert!(server.collections().is_empty());
    assert_eq!(server.stats().calls.values().sum::<u64>(), calls_before);
    assert!(
        engine.use_event(&ev("gala")).await.is_err(),
        "closed is final"
    );
    // Closing again is harmless (the collection is already gone).
    assert!(engine.close_event(&ev("gala")).await.unwrap().closed);
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_throttling_delays_but_never_fails_or_doubles_anything() {
    // 30 % of calls throttled whatever the rate, on top of a 10 TPS quota.
    let server = findme_rekognition_mock::start(MockConfig {
        tps: 10.0,
        throttle_rate: 0.3,
        ..MockConfig::default()
    })
    .await;
    let tmp = tempfile::tempdir().unwrap();
    let truth = shoot(&tmp.path().join("photos"), 12, 3);
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!(report.failed, 0, "throttling must not spend attempts");
    assert!(server.stats().throttled_by_quota + report.throttled > 0);
    let faces: usize = truth.values().map(|p| p.len()).sum();
    assert_eq!(
        server.collection_faces("findme-gala").len(),
        faces + PARTICIPANTS,
        "every face once, no duplicates"
    );
    let got = found(&engine.all_photos().await.unwrap());
    for (path, people) in &truth {
        let want: BTreeSet<usize> = people
            .iter()
            .copied()
            .filter(|p| *p < PARTICIPANTS)
            .collect();
        assert_eq!(got[&path.to_string_lossy().to_string()], want);
    }
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_that_cannot_be_matched_is_quarantined_and_the_rest_go_on() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("photos");
    let good = one_photo(&dir, "IMG_1.JPG", &[3], 11);
    let bad = one_photo(&dir, "IMG_2.JPG", &[4], 12);
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    engine.import(vec![dir.clone()]).await.unwrap();
    // Damaged on disk after it was catalogued (a failing card, an editor).
    let len = std::fs::metadata(&bad).unwrap().len() as usize;
    std::fs::write(&bad, vec![0x5a; len]).unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(report.matches, 1);
    let photos = engine.all_photos().await.unwrap();
    assert_eq!(
        people_of(&photos, &good),
        BTreeSet::from(["p03".to_string()])
    );
    let catalog = findme_testkit::inspect(&tmp.path().join("data")).unwrap();
    let reasons = catalog
        .job_errors(JobKind::Match, JobStatus::Failed)
        .unwrap();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("cannot match this photo"),
        "{reasons:?}"
    );
    engine.shutdown().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_pause_matching_without_spending_attempts() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    server.update_config(|c| {
        c.reject_credentials = findme_rekognition_mock::CredentialRejection::ExpiredToken
    });
    let tmp = tempfile::tempdir().unwrap();
    let photo = one_photo(&tmp.path().join("photos"), "IMG_1.JPG", &[5], 13);
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    engine
        .import(vec![tmp.path().join("photos")])
        .await
        .unwrap();
    register(&engine, &tmp.path().join("selfies"), "gala").await;
    let err = engine
        .match_event(Some(&ev("gala")))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("paused") && err.contains("credentials"),
        "{err}"
    );
    // Jobs already in flight when the pause came finish their call (and are
    // handed back too); after shutdown every one of them is pending again.
    engine.shutdown().await;
    let catalog = findme_testkit::inspect(&tmp.path().join("data")).unwrap();
    let spent = catalog
        .most_attempts_unfinished(&[JobKind::Match, JobKind::IndexParticipant])
        .unwrap();
    assert_eq!(
        spent, 0,
        "a pause hands jobs back without spending an attempt"
    );
    assert_eq!(catalog.jobs_in(JobStatus::Failed).unwrap(), 0);

    // The photographer signs in again: matching resumes where it stopped.
    server.update_config(|c| {
        c.reject_credentials = findme_rekognition_mock::CredentialRejection::Off
    });
    let engine = open_engine(&tmp.path().join("data"), &server, 3).await;
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!((report.failed, report.matches), (0, 1));
    assert_eq!(
        people_of(&engine.all_photos().await.unwrap(), &photo),
        BTreeSet::from(["p05".to_string()])
    );
    engine.shutdown().await;
    server.shutdown().await;
}
