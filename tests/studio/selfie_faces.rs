//! A group selfie on device, on real faces from the dev set: the participant is
//! told "several faces: pick one" with every face's box; once the photographer
//! picks one, that face alone is indexed and the participant is found in their
//! photos (and not in the other person's).

use std::path::Path;

use findme_engine::{Engine, EngineConfig, ErrorKind, MatchBackend};
use findme_testkit::{ev, pid};

use crate::support;

async fn open_engine(data: &Path) -> Engine {
    let mut config = EngineConfig::new(data);
    config.matching.backend = MatchBackend::Local;
    config.matching.local.models_dir = findme_testkit::models_dir();
    config.matching.workers = Some(2);
    Engine::open(config).await.expect("engine")
}

/// Barack (left) and Joe (right) side by side, each scaled to the same height:
/// two faces of about the same size in one selfie.
fn pair_selfie(to: &Path) {
    let faces = support::devset().join("faces/face_recognition");
    let load = |name: &str| {
        image::open(faces.join(name))
            .unwrap()
            .resize(2000, 700, image::imageops::FilterType::Triangle)
            .to_rgb8()
    };
    let (left, right) = (load("obama.jpg"), load("biden.jpg"));
    let mut pair = image::RgbImage::new(left.width() + right.width(), 700);
    image::imageops::replace(&mut pair, &left, 0, 0);
    image::imageops::replace(&mut pair, &right, i64::from(left.width()), 0);
    pair.save(to).unwrap();
}

/// Participants found in each photo, by file name.
async fn found_in(engine: &Engine, file: &str) -> Vec<String> {
    let photos = engine.all_photos().await.unwrap();
    let photo = photos
        .iter()
        .find(|p| p.paths.iter().any(|path| path.ends_with(file)))
        .expect("the photo");
    photo
        .faces
        .iter()
        .filter_map(|f| f.participant.clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_selfie_asks_for_a_face_and_the_picked_one_is_matched() {
    let tmp = tempfile::tempdir().unwrap();
    let (photos, data) = (tmp.path().join("photos"), tmp.path().join("data"));
    std::fs::create_dir_all(&photos).unwrap();
    let faces = support::devset().join("faces/face_recognition");
    std::fs::copy(faces.join("obama2.jpg"), photos.join("IMG_0001.jpg")).unwrap();
    std::fs::copy(faces.join("biden.jpg"), photos.join("IMG_0002.jpg")).unwrap();
    let selfie = tmp.path().join("pair.jpg");
    pair_selfie(&selfie);

    let engine = open_engine(&data).await;
    let gala = ev("gala");
    engine.create_event(&gala, "Gala", None).await.unwrap();
    engine.import(vec![photos.clone()]).await.unwrap();
    engine
        .add_participant(&gala, &pid("barack"), "Barack", Some(selfie), true)
        .await
        .unwrap();
    let report = engine.match_event(Some(&gala)).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");

    // Two faces, kept with the participant; none is indexed.
    let p = engine.participant(&gala, &pid("barack")).await.unwrap();
    assert_eq!(
        p.error.as_deref(),
        Some("several faces (2) in the selfie: pick one"),
        "{p:?}"
    );
    assert!(p.selfie && !p.indexed && p.face.is_none(), "{p:?}");
    assert_eq!(p.faces.len(), 2, "{p:?}");
    for f in &p.faces {
        assert!(
            f.left >= 0.0 && f.top >= 0.0 && f.left + f.width <= 1.0 && f.top + f.height <= 1.001
        );
    }
    assert!(found_in(&engine, "IMG_0001.jpg").await.is_empty());

    // Nothing to pick past the faces found.
    let err = engine
        .pick_participant_face(&gala, &pid("barack"), 2)
        .await
        .expect_err("there is no third face");
    assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");

    // Barack is the face on the left half.
    let barack = p
        .faces
        .iter()
        .position(|f| f.left < 0.5)
        .expect("a face on the left") as u32;
    let picked = engine
        .pick_participant_face(&gala, &pid("barack"), barack)
        .await
        .unwrap();
    assert_eq!((picked.error.as_deref(), picked.faces.len()), (None, 2));
    engine.match_event(Some(&gala)).await.unwrap();
    let p = engine.participant(&gala, &pid("barack")).await.unwrap();
    assert!(p.indexed && p.error.is_none(), "{p:?}");
    assert_eq!((p.face, p.faces.len()), (Some(barack), 2), "{p:?}");
    assert_eq!(found_in(&engine, "IMG_0001.jpg").await, ["barack"]);
    assert!(
        found_in(&engine, "IMG_0002.jpg").await.is_empty(),
        "Joe's face was not indexed as Barack's"
    );

    // The list's picture of the selfie is a small JPEG.
    let jpeg = engine
        .selfie_thumbnail(&gala, &pid("barack"))
        .await
        .unwrap();
    assert!(jpeg.starts_with(&[0xFF, 0xD8]) && jpeg.len() < 100_000);

    // Picking the other face swaps them: Barack's matches go with his face.
    let joe = 1 - barack;
    engine
        .pick_participant_face(&gala, &pid("barack"), joe)
        .await
        .unwrap();
    engine.match_event(Some(&gala)).await.unwrap();
    let p = engine.participant(&gala, &pid("barack")).await.unwrap();
    assert_eq!((p.indexed, p.face), (true, Some(joe)), "{p:?}");
    assert!(found_in(&engine, "IMG_0001.jpg").await.is_empty());
    assert_eq!(found_in(&engine, "IMG_0002.jpg").await, ["barack"]);
}

/// `findme participants pick-face`: the CLI contract's fields, and its exit
/// codes when there is nothing to pick (2) or no such participant (3).
#[test]
fn the_cli_picks_faces_and_says_why_it_cannot() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let selfie = support::devset().join("faces/face_recognition/obama.jpg");
    support::run_ok(support::findme(&data).args(["events", "create", "--id", "gala"]));
    support::run_ok(
        support::findme(&data)
            .args(["participants", "add", "--event", "gala", "--id", "ann"])
            .args(["--name", "Ann", "--no-consent", "--selfie"])
            .arg(&selfie),
    );
    let list = support::run_json(support::findme(&data).args([
        "participants",
        "list",
        "--event",
        "gala",
        "--json",
    ]));
    let ann = &list[0];
    assert_eq!(
        (&ann["selfie"], &ann["faces"], &ann["face"]),
        (
            &serde_json::json!(false),
            &serde_json::json!([]),
            &serde_json::Value::Null
        ),
        "{list}"
    );
    let pick = |id: &str| {
        support::findme(&data)
            .args(["participants", "pick-face", "--event", "gala", "--id", id])
            .args(["--face", "0", "--json"])
            .output()
            .unwrap()
    };
    let nothing = pick("ann");
    assert_eq!(nothing.status.code(), Some(2), "{nothing:?}");
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("no face was found"));
    assert_eq!(pick("nobody").status.code(), Some(3));
}
