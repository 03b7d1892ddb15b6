//! A guest in more photo faces than one Rekognition search returns (4,096: a
//! wedding's couple) is still found in every photo. The cap is lowered to 3 here
//! so eight photos reach it: the reverse pass (one SearchFaces per selfie) comes
//! back full, and the photos it could not vouch for are searched face by face
//! against people (SearchUsers), whose answers are never cut.

use findme_engine::Engine;
use std::collections::BTreeSet;

use crate::matching::{engine_config, write};
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::MockConfig;
use findme_testkit::{ev, pid};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_in_more_photos_than_a_search_returns_is_found_in_every_one() {
    let server = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().expect("tmp");
    // Anna (person 1) is in all eight photos, each with one stranger (20+n).
    let photos = tmp.path().join("photos");
    for n in 0..8u32 {
        let faces = [(1, 60), (20 + n as usize, 560)].map(|(person, left)| SynthFace {
            person,
            left,
            top: 200,
            size: 160,
        });
        write(
            &photos.join(format!("IMG_{n}.JPG")),
            &synth::photo(1280, 720, &faces, 40 + n as u64),
        );
    }
    let mut config = engine_config(&tmp.path().join("data"), &server, 3);
    config.matching.search_max = 3;
    let engine = Engine::open(config).await.expect("engine");
    engine
        .create_event(&ev("wedding"), "Wedding", None)
        .await
        .expect("event");
    engine.import(vec![photos]).await.expect("import");
    for (id, person) in [("anna", 1), ("ben", 2)] {
        let selfie = tmp.path().join(format!("{id}.jpg"));
        write(&selfie, &synth::selfie(person));
        engine
            .add_participant(&ev("wedding"), &pid(id), id, Some(selfie), true)
            .await
            .expect("participant");
    }
    engine
        .match_event(Some(&ev("wedding")))
        .await
        .expect("match");

    let all = engine.all_photos().await.expect("photos");
    assert_eq!(all.len(), 8);
    for photo in &all {
        let people: BTreeSet<&str> = photo
            .faces
            .iter()
            .filter_map(|f| f.participant.as_deref())
            .collect();
        assert_eq!(people, BTreeSet::from(["anna"]), "{:?}", photo.paths);
    }
    let calls = server.stats().calls;
    assert!(
        calls.get("SearchFaces").is_some_and(|n| *n >= 1),
        "a reverse pass ran first: {calls:?}"
    );
    // Then the photos the full pass could not vouch for, face by face (all 16
    // faces when the pass came after every photo was indexed; fewer if an
    // earlier, not yet full pass covered some).
    let by_person = calls.get("SearchUsers").copied().unwrap_or(0);
    assert!((1..=16).contains(&by_person), "{calls:?}");
    assert_eq!(calls.get("CreateUser"), Some(&2), "{calls:?}");
    engine.shutdown().await;
    server.shutdown().await;
}
