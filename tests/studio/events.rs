//! The event is the unit of work (issue 15): two events in one catalog, each
//! with its own card and participants, matched with the Rekognition mock and
//! pushed to the REAL reference server. Nothing of one event reaches the
//! other's collection, matches, server or counts.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use findme_engine::{Engine, EventChoice, PublishChoice, Selection, Token};
use findme_event_server::Admin;
use findme_protocol::EventClient;
use findme_rekognition_mock::synth;
use findme_rekognition_mock::MockConfig;
use findme_testkit::{ev, pid};
use support::venue::{engine_with_mock, face, serve_on_any_port};

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A card of photos, each of the given people (mock persons); returns their
/// SHA-256s.
fn card(dir: &Path, photos: &[&[usize]], seed: u64) -> BTreeSet<String> {
    let mut shas = BTreeSet::new();
    for (i, people) in photos.iter().enumerate() {
        let faces: Vec<_> = people
            .iter()
            .enumerate()
            .map(|(k, &person)| face(person, 80 + 400 * k as u32))
            .collect();
        let bytes = synth::photo(1280, 720, &faces, seed + i as u64);
        write(&dir.join(format!("IMG_{i:04}.JPG")), &bytes);
        shas.insert(support::sha256_hex(&bytes));
    }
    shas
}

async fn participants(engine: &Engine, root: &Path, event: &str, people: &[usize]) {
    engine.create_event(&ev(event), event, None).await.unwrap();
    // Each server gets every photo of its event, matched or not.
    engine
        .set_publish_choice(&ev(event), PublishChoice::All)
        .await
        .unwrap();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_events_in_one_catalog_never_cross() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // Person 0 is a wedding guest; a gala photo shows them too: it must not be
    // matched in the gala (they are no gala guest), nor reach the wedding.
    let wedding_card = card(&root.join("wedding"), &[&[0], &[0, 1], &[1], &[]], 10);
    let gala_card = card(&root.join("gala"), &[&[2], &[2, 3], &[0, 3]], 20);
    let personal = card(&root.join("personal"), &[&[1], &[2]], 30);

    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    participants(&engine, root, "wedding", &[0, 1]).await;
    participants(&engine, root, "gala", &[2, 3]).await;
    let report = engine
        .import_into(
            vec![root.join("wedding")],
            EventChoice::Event(ev("wedding")),
        )
        .await
        .unwrap();
    assert_eq!((report.imported, report.joined), (4, 4), "{report:?}");
    // What the app's Undo would take out again: exactly the photos that joined.
    let joined: BTreeSet<String> = report.joined_photos.iter().cloned().collect();
    assert_eq!(joined, wedding_card);
    let again = engine
        .import_into(
            vec![root.join("wedding")],
            EventChoice::Event(ev("wedding")),
        )
        .await
        .unwrap();
    assert_eq!(
        (again.joined, again.joined_photos.len()),
        (0, 0),
        "{again:?}"
    );
    let report = engine
        .import_into(vec![root.join("gala")], EventChoice::Event(ev("gala")))
        .await
        .unwrap();
    assert_eq!((report.imported, report.joined), (3, 3), "{report:?}");
    // A personal folder, catalogued only.
    let report = engine
        .import_into(vec![root.join("personal")], EventChoice::NoEvent)
        .await
        .unwrap();
    assert_eq!((report.imported, report.joined, report.event), (2, 0, None));

    // Switching the active event touches no other event's photos or jobs.
    engine.use_event(&ev("gala")).await.unwrap();
    let before = engine.stats().await.unwrap().events;
    engine.use_event(&ev("wedding")).await.unwrap();
    assert_eq!(engine.stats().await.unwrap().events, before);

    let wedding = engine.match_event(Some(&ev("wedding"))).await.unwrap();
    let gala = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!((wedding.photos, gala.photos), (4, 3));
    assert_eq!((wedding.failed, gala.failed), (0, 0));

    // Each collection holds its own event's photo faces (and selfies) only.
    let tags = |shas: &BTreeSet<String>| -> BTreeSet<String> {
        shas.iter().map(|s| findme_faces::photo_tag(s)).collect()
    };
    for (collection, own) in [
        ("findme-wedding", &wedding_card),
        ("findme-gala", &gala_card),
    ] {
        let indexed: BTreeSet<String> = mock
            .collection_faces(collection)
            .into_iter()
            .filter_map(|f| f.external_image_id)
            .filter(|t| t.starts_with("ph-"))
            .collect();
        assert!(!indexed.is_empty(), "{collection} holds no photo face");
        assert!(
            indexed.is_subset(&tags(own)),
            "{collection} holds faces of photos of another event or of none: {:?}",
            indexed.difference(&tags(own)).collect::<Vec<_>>()
        );
        assert!(indexed.is_disjoint(&tags(&personal)));
    }

    // Who was found where: each event's own guests in its own photos only.
    let found = |photos: Vec<findme_engine::PhotoDto>| -> BTreeMap<String, BTreeSet<String>> {
        photos
            .into_iter()
            .map(|p| {
                let people = p
                    .faces
                    .iter()
                    .filter_map(|f| f.participant.clone())
                    .collect();
                (p.sha256, people)
            })
            .collect()
    };
    let in_wedding = found(engine.event_photos(Some(ev("wedding"))).await.unwrap());
    let in_gala = found(engine.event_photos(Some(ev("gala"))).await.unwrap());
    assert_eq!(
        in_wedding.keys().cloned().collect::<BTreeSet<_>>(),
        wedding_card
    );
    assert_eq!(in_gala.keys().cloned().collect::<BTreeSet<_>>(), gala_card);
    let wedding_people: BTreeSet<String> = in_wedding.values().flatten().cloned().collect();
    let gala_people: BTreeSet<String> = in_gala.values().flatten().cloned().collect();
    assert_eq!(wedding_people, BTreeSet::from(["p00".into(), "p01".into()]));
    assert_eq!(gala_people, BTreeSet::from(["p02".into(), "p03".into()]));
    // Every photo lists its events; the personal ones none.
    for photo in engine.all_photos().await.unwrap() {
        let expected: Vec<String> = if wedding_card.contains(&photo.sha256) {
            vec!["wedding".into()]
        } else if gala_card.contains(&photo.sha256) {
            vec!["gala".into()]
        } else {
            vec![]
        };
        assert_eq!(photo.events, expected, "{}", photo.sha256);
    }

    // Each server event receives only its own photos.
    let server_data = root.join("server");
    let admin = Admin::open(&server_data).unwrap();
    let tokens: BTreeMap<&str, String> = ["wedding", "gala"]
        .into_iter()
        .map(|e| {
            (
                e,
                admin.create_event(e, Some(e)).unwrap().photographer_token,
            )
        })
        .collect();
    drop(admin);
    let (base, _server) = serve_on_any_port(&server_data).await;
    for (event, own, other) in [
        ("wedding", &wedding_card, &gala_card),
        ("gala", &gala_card, &wedding_card),
    ] {
        let token = Token::new(tokens[event].clone());
        let report = engine.sync(&base, &ev(event), token).await.unwrap();
        assert_eq!(report.pushed, own.len() as u64, "{event}: {report:?}");
        let client = EventClient::new(&base, Token::new(tokens[event].clone())).unwrap();
        assert_eq!(client.stats(event).await.unwrap().photos, own.len() as u64);
        for sha in other.iter().chain(&personal) {
            assert!(
                client.photo_state(event, sha).await.is_err(),
                "{event}'s server holds {sha}, not one of its photos"
            );
        }
    }

    // Per-event counts add up to what each event holds.
    let stats = engine.stats().await.unwrap();
    let counts: BTreeMap<String, (u64, u64)> = stats
        .events
        .iter()
        .map(|e| (e.id.clone(), (e.photos, e.pushed)))
        .collect();
    assert_eq!(counts["wedding"], (4, 4));
    assert_eq!(counts["gala"], (3, 3));
    assert_eq!(stats.catalog.photos, 4 + 3 + 2);
    engine.shutdown().await;
    mock.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_join_an_event_by_selection_and_only_then_are_matched() {
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let shas = card(&root.join("card"), &[&[0], &[1], &[0, 1]], 40);
    let engine = engine_with_mock(&root.join("data"), &mock, None).await;
    // Catalogued before any event exists: members of none.
    engine.import(vec![root.join("card")]).await.unwrap();
    participants(&engine, root, "party", &[0, 1]).await;
    assert_eq!(
        engine.match_event(Some(&ev("party"))).await.unwrap().photos,
        0
    );
    assert!(mock.collection_faces("findme-party").iter().all(|f| f
        .external_image_id
        .as_deref()
        .is_some_and(|t| !t.starts_with("ph-"))));

    // Two chosen by key, then the rest by "everything".
    let keys: Vec<_> = shas
        .iter()
        .take(2)
        .map(|s| findme_engine::PhotoKey::parse(s).unwrap())
        .collect();
    let added = engine
        .assign(&ev("party"), Selection::Photos(keys.clone()))
        .await
        .unwrap();
    assert_eq!((added.added, added.already), (2, 0));
    let again = engine
        .assign(&ev("party"), Selection::Photos(keys))
        .await
        .unwrap();
    assert_eq!((again.added, again.already), (0, 2));
    let all = engine.assign(&ev("party"), Selection::All).await.unwrap();
    assert_eq!((all.added, all.already), (1, 2));
    let report = engine.match_event(Some(&ev("party"))).await.unwrap();
    assert_eq!((report.photos, report.matched, report.failed), (3, 3, 0));

    // A closed event takes no more photos.
    engine.close_event(&ev("party")).await.unwrap();
    let err = engine
        .assign(&ev("party"), Selection::All)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), findme_engine::ErrorKind::Conflict, "{err}");
    engine.shutdown().await;
    mock.shutdown().await;
}

/// The CLI contract of events: `import --no-event`, `events create --backend`,
/// `events assign --taken-from/--taken-to` and SHA-256s, `photos --event`,
/// `events unassign`, `events publishing`, `deletions run`.
#[test]
fn the_cli_assigns_photos_by_time_range_and_by_key() {
    use support::exif::Exif;
    use support::{findme, run_json};
    let tmp = tempfile::tempdir().unwrap();
    let (data, card) = (tmp.path().join("data"), tmp.path().join("card"));
    let mut shas = Vec::new();
    for (i, hour) in ["10", "12", "14"].iter().enumerate() {
        let mut exif = Exif::camera("Canon", "Canon EOS R6", &format!("2026:06:01 {hour}:00:00"));
        exif.offset = Some("+00:00".into());
        let bytes = support::write_jpeg(&card.join(format!("IMG_{i}.JPG")), i as u32, &exif);
        shas.push(support::sha256_hex(&bytes));
    }
    let report = run_json(
        findme(&data)
            .args(["import", "--no-event", "--no-thumbnails", "--json"])
            .arg(&card),
    );
    assert_eq!(
        (report["imported"].as_u64(), report["event"].is_null()),
        (Some(3), true)
    );

    let created = run_json(findme(&data).args([
        "events",
        "create",
        "--id",
        "noon",
        "--backend",
        "local",
        "--json",
    ]));
    assert_eq!(created[0]["backend"], "local");
    assert_eq!(created[0]["publish"], "matched", "the default");
    let all = run_json(findme(&data).args(["events", "publishing", "noon", "all", "--json"]));
    assert_eq!(
        (&all[0]["id"], &all[0]["publish"], &all[0]["server"]),
        (
            &serde_json::json!("noon"),
            &serde_json::json!("all"),
            &serde_json::Value::Null
        )
    );
    let added = run_json(findme(&data).args([
        "events",
        "assign",
        "--event",
        "noon",
        "--taken-from",
        "2026-06-01T11:30:00Z",
        "--taken-to",
        "2026-06-01T12:30:00Z",
        "--json",
    ]));
    assert_eq!(added["added"], 1, "{added}");
    let by_key = run_json(
        findme(&data)
            .args(["events", "assign", "--event", "noon", "--json"])
            .args([&shas[1], &shas[2], &"0".repeat(64)]),
    );
    assert_eq!(
        (by_key["added"].as_u64(), by_key["already"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(by_key["unknown"], serde_json::json!(["0".repeat(64)]));

    let members = run_json(findme(&data).args(["photos", "--event", "noon", "--json"]));
    let listed: BTreeSet<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sha256"].as_str().unwrap())
        .collect();
    assert_eq!(listed, BTreeSet::from([shas[1].as_str(), shas[2].as_str()]));
    assert!(members
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["events"] == serde_json::json!(["noon"])));

    // A malformed range or an unknown event is the photographer's to fix.
    let bad = findme(&data)
        .args([
            "events",
            "assign",
            "--event",
            "noon",
            "--taken-from",
            "noon",
            "--taken-to",
            "later",
        ])
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let unknown = findme(&data)
        .args(["events", "assign", "--event", "gala", "--all"])
        .output()
        .unwrap();
    assert_eq!(
        unknown.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );

    // `events unassign` and `deletions run`: a photo leaves, nothing is owed
    // (on-device data goes with its rows).
    let removed = run_json(
        findme(&data)
            .args(["events", "unassign", "--event", "noon", "--json"])
            .args([&shas[2], &shas[0]]),
    );
    assert_eq!(removed, serde_json::json!({"removed": 1, "unknown": []}));
    let members = run_json(findme(&data).args(["photos", "--event", "noon", "--json"]));
    assert_eq!(members.as_array().map(Vec::len), Some(1), "{members}");
    let deletions = run_json(findme(&data).args(["deletions", "run", "--json"]));
    assert_eq!(
        deletions,
        serde_json::json!({"done": 0, "pending": 0, "failed": 0})
    );
    let stats = run_json(findme(&data).args(["stats", "--json"]));
    assert_eq!(stats["deletions"]["pending"], 0, "{stats}");
}
