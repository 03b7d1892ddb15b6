//! Biometric data is deleted by the backend that holds it, and never forgotten
//! before it is (issue 15): an event matched with Rekognition (the mock), then a
//! process without AWS, then one whose credentials are refused, then one that
//! can; photos removed from an event; selfie files.

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;

use findme_engine::{Engine, EngineConfig, EventChoice, MatchBackend, PhotoKey, Token};
use findme_event_server::Admin;
use findme_protocol::EventClient;
use findme_rekognition_mock::{synth, CredentialRejection, MockConfig, MockServer};
use findme_testkit::{ev, pid};
use support::venue::{engine_with_mock, face, serve_on_any_port};

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Photos of the given mock persons in `dir`; returns their SHA-256s in order.
pub(crate) fn card(dir: &Path, photos: &[&[usize]], seed: u64) -> Vec<String> {
    photos
        .iter()
        .enumerate()
        .map(|(i, people)| {
            let faces: Vec<_> = people
                .iter()
                .enumerate()
                .map(|(k, &p)| face(p, 80 + 400 * k as u32))
                .collect();
            let bytes = synth::photo(1280, 720, &faces, seed + i as u64);
            write(&dir.join(format!("IMG_{i:04}.JPG")), &bytes);
            support::sha256_hex(&bytes)
        })
        .collect()
}

async fn register(engine: &Engine, root: &Path, event: &str, people: &[usize]) {
    for &person in people {
        let selfie = root.join(format!("selfies/{event}-{person}.jpg"));
        write(&selfie, &synth::selfie(person));
        let id = format!("p{person:02}");
        engine
            .add_participant(&ev(event), &pid(&id), &id, Some(selfie), true)
            .await
            .unwrap();
    }
}

/// The event "gala" with guests 1 and 2, the card at `root/card` as its photos,
/// matched (with whatever matcher `engine` runs).
pub(crate) async fn matched_gala(engine: &Engine, root: &Path) -> findme_engine::MatchReport {
    engine
        .create_event(&ev("gala"), "Gala", None)
        .await
        .unwrap();
    register(engine, root, "gala", &[1, 2]).await;
    engine
        .import_into(vec![root.join("card")], EventChoice::Event(ev("gala")))
        .await
        .unwrap();
    engine.match_event(Some(&ev("gala"))).await.unwrap()
}

fn face_ids(mock: &MockServer, collection: &str) -> BTreeSet<String> {
    mock.collection_faces(collection)
        .into_iter()
        .map(|f| f.face_id)
        .collect()
}

fn files_in(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// An on-device process (no AWS configuration at all).
async fn engine_without_aws(data: &Path) -> Engine {
    let mut config = EngineConfig::new(data);
    config.matching.backend = MatchBackend::Local;
    Engine::open(config).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rekognition_deletions_wait_for_aws_and_are_never_forgotten() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let (root, data) = (tmp.path(), tmp.path().join("data"));
    card(&root.join("card"), &[&[1], &[1, 2], &[2]], 50);

    // Matched with Rekognition.
    let engine = engine_with_mock(&data, &mock, None).await;
    let report = matched_gala(&engine, root).await;
    assert_eq!((report.photos, report.matched), (3, 3), "{report:?}");
    let p01_face = mock
        .collection_faces("findme-gala")
        .into_iter()
        .find(|f| f.external_image_id.as_deref() == Some("p-p01"))
        .expect("p01's selfie is indexed")
        .face_id;
    engine.shutdown().await;

    // A process that matches on this computer withdraws p01's consent and
    // closes the event: nothing in AWS can be deleted from here, so it waits.
    let engine = engine_without_aws(&data).await;
    engine
        .set_consent(&ev("gala"), &pid("p01"), false)
        .await
        .unwrap();
    let closed = engine.close_event(&ev("gala")).await.unwrap();
    assert!(closed.closed);
    let stats = engine.stats().await.unwrap().deletions;
    assert_eq!((stats.pending, stats.failed), (2, 0), "{stats:?}");
    assert_eq!(
        (stats.rekognition_faces, stats.rekognition_collections),
        (1, 1)
    );
    assert!(
        stats
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("AWS sign-in"),
        "{stats:?}"
    );
    let report = engine.run_deletions().await.unwrap();
    assert_eq!((report.done, report.pending, report.failed), (0, 2, 0));
    assert!(face_ids(&mock, "findme-gala").contains(&p01_face));
    // Selfies are this computer's to delete: gone already.
    assert_eq!(files_in(&data.join("selfies")), 0);
    engine.shutdown().await;

    // AWS refuses the credentials: the deletions stay pending, nothing is lost.
    mock.update_config(|c| c.reject_credentials = CredentialRejection::ExpiredToken);
    let engine = engine_with_mock(&data, &mock, None).await;
    let report = engine.run_deletions().await.unwrap();
    assert_eq!((report.done, report.pending, report.failed), (0, 2, 0));
    assert_eq!(mock.collections(), ["findme-gala"]);
    let reason = engine.stats().await.unwrap().deletions.reason;
    assert!(
        reason.as_deref().unwrap_or("").contains("credentials"),
        "{reason:?}"
    );

    // Signed in again: the face, then the collection, leave AWS.
    mock.update_config(|c| c.reject_credentials = CredentialRejection::Off);
    let report = engine.run_deletions().await.unwrap();
    assert_eq!((report.done, report.pending, report.failed), (2, 0, 0));
    assert!(mock.collections().is_empty());
    assert_eq!(mock.stats().calls.get("DeleteFaces"), Some(&1));
    let stats = engine.stats().await.unwrap().deletions;
    assert_eq!((stats.pending, stats.failed), (0, 0));
    engine.shutdown().await;
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_photos_from_an_event_withdraws_them_and_deletes_their_faces() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let shas = card(&root.join("card"), &[&[1], &[1, 2], &[2]], 60);
    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    matched_gala(&engine, root).await;

    let server_data = root.join("server");
    let admin = Admin::open(&server_data).unwrap();
    let token = admin
        .create_event("Gala", Some("gala"))
        .unwrap()
        .photographer_token;
    drop(admin);
    let (base, _server) = serve_on_any_port(&server_data).await;
    let report = engine
        .sync(&base, &ev("gala"), Token::new(token.clone()))
        .await
        .unwrap();
    assert_eq!(report.pushed, 3, "{report:?}");

    // The photo of both guests leaves the event.
    let gone = &shas[1];
    let tag = findme_faces::photo_tag(gone);
    let its_faces = || {
        mock.collection_faces("findme-gala")
            .into_iter()
            .filter(|f| f.external_image_id.as_deref() == Some(tag.as_str()))
            .count()
    };
    assert_eq!(its_faces(), 2);
    let removed = engine
        .unassign(&ev("gala"), vec![PhotoKey::parse(gone).unwrap()])
        .await
        .unwrap();
    assert_eq!((removed.removed, removed.unknown.len()), (1, 0));
    let report = engine.run_deletions().await.unwrap();
    assert_eq!((report.done, report.pending, report.failed), (1, 0, 0));
    assert_eq!(its_faces(), 0, "its faces left the collection");
    assert_eq!(
        face_ids(&mock, "findme-gala").len(),
        2 + 2,
        "the other photos' faces and the selfies stay"
    );
    let members: BTreeSet<String> = engine
        .event_photos(Some(ev("gala")))
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.sha256)
        .collect();
    assert_eq!(members, BTreeSet::from([shas[0].clone(), shas[2].clone()]));
    let photo = engine
        .all_photos()
        .await
        .unwrap()
        .into_iter()
        .find(|p| &p.sha256 == gone)
        .unwrap();
    assert!(
        photo.events.is_empty() && photo.faces.is_empty(),
        "{photo:?}"
    );

    // The server withdraws it.
    let report = engine
        .sync(&base, &ev("gala"), Token::new(token.clone()))
        .await
        .unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    let client = EventClient::new(&base, Token::new(token)).unwrap();
    assert_eq!(client.stats("gala").await.unwrap().photos, 2);
    let counts = engine.stats().await.unwrap().events;
    assert_eq!((counts[0].photos, counts[0].pushed), (2, 2), "{counts:?}");
    engine.shutdown().await;
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_faces_of_many_removed_photos_leave_rekognition_in_one_call() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let shas = card(&root.join("card"), &[&[1], &[1, 2], &[2]], 90);
    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    matched_gala(&engine, root).await;
    let keys = shas.iter().map(|s| PhotoKey::parse(s).unwrap()).collect();
    let removed = engine.unassign(&ev("gala"), keys).await.unwrap();
    assert_eq!(removed.removed, 3);
    mock.reset_stats();
    let report = engine.run_deletions().await.unwrap();
    assert_eq!((report.done, report.pending, report.failed), (3, 0, 0));
    assert_eq!(mock.stats().calls.get("DeleteFaces"), Some(&1));
    // Only the two selfies are left in the collection.
    assert_eq!(face_ids(&mock, "findme-gala").len(), 2);
    engine.shutdown().await;
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selfie_files_go_when_their_participant_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, data) = (tmp.path(), tmp.path().join("data"));
    let selfies = data.join("selfies");
    let engine = engine_without_aws(&data).await;
    for event in ["gala", "brunch"] {
        engine.create_event(&ev(event), event, None).await.unwrap();
    }
    // p01..p03 in the gala; the brunch's p09 sent the same selfie as p03.
    register(&engine, root, "gala", &[1, 2, 3]).await;
    let shared = root.join("selfies/gala-3.jpg");
    engine
        .add_participant(&ev("brunch"), &pid("p09"), "p09", Some(shared), true)
        .await
        .unwrap();
    assert_eq!(files_in(&selfies), 3);

    engine
        .remove_participant(&ev("gala"), &pid("p01"))
        .await
        .unwrap();
    engine.run_deletions().await.unwrap();
    assert_eq!(files_in(&selfies), 2, "removed");
    engine
        .set_consent(&ev("gala"), &pid("p02"), false)
        .await
        .unwrap();
    engine.run_deletions().await.unwrap();
    assert_eq!(files_in(&selfies), 1, "withdrawn");
    engine.close_event(&ev("gala")).await.unwrap();
    assert_eq!(files_in(&selfies), 1, "the brunch still uses p03's bytes");
    engine
        .remove_participant(&ev("brunch"), &pid("p09"))
        .await
        .unwrap();
    let report = engine.run_deletions().await.unwrap();
    assert_eq!((report.pending, report.failed), (0, 0));
    assert_eq!(files_in(&selfies), 0);
    assert!(engine.participants(&ev("brunch")).await.unwrap().is_empty());
    engine.shutdown().await;
}
