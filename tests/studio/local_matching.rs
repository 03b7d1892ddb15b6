//! On-device matching end to end, on real faces from the dev set: the engine
//! with the local backend (YuNet + SFace, no network), photos through ingest and
//! the match job like any others. Late registrants and threshold changes must be
//! matched from the stored signatures: the tests delete the photo files first, so
//! any attempt to decode a photo again would fail.

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use findme_engine::{Engine, EngineConfig, MatchBackend};
use findme_testkit::{ev, pid};

async fn open_engine(data: &Path) -> Engine {
    let mut config = EngineConfig::new(data);
    config.matching.backend = MatchBackend::Local;
    config.matching.local.models_dir = findme_testkit::models_dir();
    config.matching.workers = Some(2);
    // The dev set's group photo is only 1280 px wide: its 29 faces are ~30 px.
    config.matching.local.analyze.min_face_px = 20;
    Engine::open(config).await.expect("engine")
}

fn faces_dir() -> PathBuf {
    support::devset().join("faces")
}

/// Copies of dev-set photos into `dir` under camera-like names.
fn shoot(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let f = faces_dir();
    for (from, to) in [
        ("face_recognition/obama2.jpg", "IMG_0001.jpg"),
        ("face_recognition/obama3.jpg", "IMG_0002.jpg"),
        ("face_recognition/biden.jpg", "IMG_0003.jpg"),
        ("solvay_1927_29faces.png", "IMG_0004.png"),
        ("dlib/2008_001322.jpg", "IMG_0005.jpg"),
    ] {
        std::fs::copy(f.join(from), dir.join(to)).unwrap();
    }
    // A portrait stored sideways with EXIF orientation 6, as phones write them.
    let upright = image::open(f.join("face_recognition/obama3.jpg"))
        .unwrap()
        .to_rgb8();
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
        .encode_image(&image::imageops::rotate270(&upright))
        .unwrap();
    let sideways = support::exif::Exif {
        orientation: Some(6),
        ..support::exif::Exif::default()
    };
    std::fs::write(
        dir.join("IMG_0006.jpg"),
        support::exif::splice_app1(&jpeg, &sideways.to_tiff()),
    )
    .unwrap();
}

/// File name → participants found in it.
async fn found(engine: &Engine) -> BTreeMap<String, BTreeSet<String>> {
    engine
        .all_photos()
        .await
        .unwrap()
        .into_iter()
        .map(|p| {
            let name = Path::new(&p.paths[0])
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let people = p
                .faces
                .iter()
                .filter_map(|f| f.participant.clone())
                .collect();
            (name, people)
        })
        .collect()
}

fn expect(pairs: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
    pairs
        .iter()
        .map(|(file, people)| {
            (
                file.to_string(),
                people.iter().map(|p| p.to_string()).collect(),
            )
        })
        .collect()
}

fn catalog(data: &Path) -> findme_catalog::Inspector {
    findme_testkit::inspect(data).expect("the catalog")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finds_participants_on_device_and_rematches_from_stored_signatures() {
    let tmp = tempfile::tempdir().unwrap();
    let (photos, data) = (tmp.path().join("photos"), tmp.path().join("data"));
    shoot(&photos);
    let engine = open_engine(&data).await;
    engine
        .create_event(&ev("gala"), "Gala", None)
        .await
        .unwrap();
    engine.import(vec![photos.clone()]).await.unwrap();
    engine
        .add_participant(
            &ev("gala"),
            &pid("obama"),
            "Barack",
            Some(faces_dir().join("face_recognition/obama.jpg")),
            true,
        )
        .await
        .unwrap();

    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    assert!(
        report.faces >= 25 + 3,
        "every face of every photo: {report:?}"
    );
    let none: &[&str] = &[];
    let obama_only = expect(&[
        ("IMG_0001.jpg", &["obama"]),
        ("IMG_0002.jpg", &["obama"]),
        ("IMG_0003.jpg", none),
        ("IMG_0004.png", none),
        ("IMG_0005.jpg", none),
        ("IMG_0006.jpg", &["obama"]),
    ]);
    assert_eq!(found(&engine).await, obama_only);
    let event = engine.event(&ev("gala")).await.unwrap();
    assert_eq!(event.backend.as_deref(), Some("local"));
    assert_eq!(event.local_threshold, 0.40);
    assert_eq!(
        catalog(&data).photo_face_signatures().unwrap(),
        report.faces,
        "each face's signature is stored"
    );

    // From here on no photo can be decoded again.
    std::fs::remove_dir_all(&photos).unwrap();

    // A late registrant is found in the photos already matched.
    let selfies = tmp.path().join("selfies");
    std::fs::create_dir_all(&selfies).unwrap();
    std::fs::copy(
        faces_dir().join("face_recognition/biden.jpg"),
        selfies.join("joe.jpg"),
    )
    .unwrap();
    engine
        .add_participant(
            &ev("gala"),
            &pid("biden"),
            "Joe",
            Some(selfies.join("joe.jpg")),
            true,
        )
        .await
        .unwrap();
    let report = engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!(report.failed, 0, "{report:?}");
    let both = expect(&[
        ("IMG_0001.jpg", &["obama"]),
        ("IMG_0002.jpg", &["obama"]),
        ("IMG_0003.jpg", &["biden"]),
        ("IMG_0004.png", none),
        ("IMG_0005.jpg", none),
        ("IMG_0006.jpg", &["obama"]),
    ]);
    assert_eq!(found(&engine).await, both);

    // A stricter threshold drops the matches below it; back to the default, they
    // are found again from the stored signatures.
    engine.set_local_threshold(&ev("gala"), 0.95).await.unwrap();
    engine.match_event(Some(&ev("gala"))).await.unwrap();
    let strict = found(&engine).await;
    assert!(
        strict["IMG_0001.jpg"].is_empty()
            && strict["IMG_0002.jpg"].is_empty()
            && strict["IMG_0006.jpg"].is_empty(),
        "other photos of Barack are below 0.95: {strict:?}"
    );
    engine.set_local_threshold(&ev("gala"), 0.40).await.unwrap();
    engine.match_event(Some(&ev("gala"))).await.unwrap();
    assert_eq!(found(&engine).await, both);

    // Withdrawn consent deletes the participant's signature and matches.
    engine
        .set_consent(&ev("gala"), &pid("obama"), false)
        .await
        .unwrap();
    engine.match_event(Some(&ev("gala"))).await.unwrap();
    let withdrawn = found(&engine).await;
    assert!(["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0006.jpg"]
        .iter()
        .all(|f| withdrawn[*f].is_empty()));
    assert_eq!(withdrawn["IMG_0003.jpg"].len(), 1);
    assert_eq!(
        catalog(&data)
            .selfie_signature_stored("gala", "obama")
            .unwrap(),
        Some(false)
    );

    // Closing the event drops every stored signature; the matches stay.
    engine.close_event(&ev("gala")).await.unwrap();
    assert_eq!(catalog(&data).stored_signatures().unwrap(), 0);
    assert_eq!(found(&engine).await["IMG_0003.jpg"].len(), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selfie_needs_exactly_one_clear_face() {
    let tmp = tempfile::tempdir().unwrap();
    let engine = open_engine(&tmp.path().join("data")).await;
    engine
        .create_event(&ev("gala"), "Gala", None)
        .await
        .unwrap();
    let grey = tmp.path().join("grey.jpg");
    image::RgbImage::from_pixel(640, 480, image::Rgb([128, 128, 128]))
        .save(&grey)
        .unwrap();
    for (id, selfie) in [
        ("nobody", grey),
        ("group", faces_dir().join("solvay_1927_29faces.png")),
        ("barack", faces_dir().join("face_recognition/obama.jpg")),
    ] {
        engine
            .add_participant(&ev("gala"), &pid(id), id, Some(selfie), true)
            .await
            .unwrap();
    }
    engine.match_event(Some(&ev("gala"))).await.unwrap();
    let states: BTreeMap<String, (bool, Option<String>)> = engine
        .participants(&ev("gala"))
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, (p.indexed, p.error)))
        .collect();
    assert_eq!(states["barack"], (true, None));
    assert_eq!(
        states["nobody"],
        (false, Some("no face found in the selfie".into()))
    );
    let (indexed, error) = &states["group"];
    assert!(!indexed);
    let error = error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("several faces (") && error.ends_with("in the selfie: pick one"),
        "{error}"
    );
    engine.shutdown().await;
}

#[test]
fn missing_model_files_pause_matching_with_what_to_do() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let photos = tmp.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::copy(
        faces_dir().join("face_recognition/obama2.jpg"),
        photos.join("IMG_0001.jpg"),
    )
    .unwrap();
    support::run_ok(support::findme(&data).args(["events", "create", "--id", "gala"]));
    support::run_ok(
        support::findme(&data)
            .args(["import", "--no-thumbnails"])
            .arg(&photos),
    );
    let out = support::findme(&data)
        .args(["match", "--backend", "local"])
        .env("FINDME_MODELS_DIR", tmp.path().join("no-models"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("matching paused") && stderr.contains("scripts/models.sh"),
        "{stderr}"
    );
    // Nothing was lost: the photo's match job waits for the models.
    let stats = support::run_json(support::findme(&data).args(["stats", "--json"]));
    assert_eq!(stats["queue"]["failed"], 0, "{stats}");
}
