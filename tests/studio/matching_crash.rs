//! kill -9 `findme match` at random points, then run it again: every photo is
//! matched exactly once, and the collection holds every face exactly once (an
//! IndexFaces whose answer was lost to the kill is adopted, not repeated).

use crate::support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::MockConfig;
use rand::{Rng, SeedableRng};

const PHOTOS: usize = 60;
const PARTICIPANTS: usize = 12;

fn with_aws(cmd: Command, endpoint: &str) -> Command {
    let mut cmd = support::with_mock_rekognition(cmd, endpoint);
    cmd.env("PHOTO_QUEUE_WORKERS", "4");
    cmd
}

/// Photos indexed so far (the kill point is a count, not a time).
fn indexed(data: &Path) -> u64 {
    findme_testkit::inspect(data)
        .and_then(|catalog| catalog.indexed_photos())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_matching_loses_and_doubles_nothing() {
    // Some latency so the kills land while calls are in flight.
    let server = findme_rekognition_mock::start(MockConfig {
        latency_ms: 15,
        ..MockConfig::default()
    })
    .await;
    let endpoint = server.endpoint();
    let tmp = tempfile::tempdir().unwrap();
    let (photos, selfies, data) = (
        tmp.path().join("photos"),
        tmp.path().join("selfies"),
        tmp.path().join("data"),
    );
    std::fs::create_dir_all(&photos).unwrap();
    std::fs::create_dir_all(&selfies).unwrap();
    let mut faces_total = 0;
    let mut truth = Vec::new();
    for i in 0..PHOTOS {
        let people: Vec<usize> = (0..1 + i % 3)
            .map(|k| (i * 7 + k * 5) % (PARTICIPANTS + 4))
            .collect();
        let faces: Vec<SynthFace> = people
            .iter()
            .enumerate()
            .map(|(k, p)| SynthFace {
                person: *p,
                left: 40 + k as u32 * 400,
                top: 180,
                size: 170,
            })
            .collect();
        faces_total += faces.len();
        std::fs::write(
            photos.join(format!("IMG_{i:03}.JPG")),
            synth::photo(1280, 720, &faces, i as u64),
        )
        .unwrap();
        truth.push(
            people
                .into_iter()
                .filter(|p| *p < PARTICIPANTS)
                .collect::<BTreeSet<_>>(),
        );
    }
    for p in 0..PARTICIPANTS {
        std::fs::write(selfies.join(format!("p{p:02}.jpg")), synth::selfie(p)).unwrap();
    }
    // The event first (its participants create it): the import's photos join it.
    support::run_ok(
        support::findme(&data)
            .args(["participants", "import", "--event", "gala"])
            .arg(&selfies),
    );
    support::run_ok(
        support::findme(&data)
            .args(["import", "--no-thumbnails", "--event", "gala"])
            .arg(&photos),
    );

    let seed: u64 = rand::rng().random();
    println!("kill points from seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut interrupted = 0;
    for round in 0..4 {
        let before = indexed(&data);
        if before as usize >= PHOTOS - 5 {
            break;
        }
        let target = rng.random_range(before + 1..=before + (PHOTOS as u64 - 5 - before) / 2);
        let mut child = with_aws(support::findme(&data), &endpoint)
            .args(["match", "--event", "gala", "--json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn findme");
        let exited = loop {
            if child.try_wait().expect("poll findme").is_some() {
                break true;
            }
            if indexed(&data) >= target {
                break false;
            }
            tokio::task::yield_now().await;
        };
        if !exited {
            child.kill().expect("SIGKILL");
        }
        let status = child.wait().unwrap();
        println!(
            "round {round}: kill at {target} photos indexed ({status}), {} indexed",
            indexed(&data)
        );
        if std::os::unix::process::ExitStatusExt::signal(&status) == Some(9) {
            interrupted += 1;
        }
        assert_eq!(support::integrity_check(&data), "ok");
    }
    assert!(
        interrupted >= 2,
        "only {interrupted} kills interrupted matching"
    );

    let report = support::run_json(
        with_aws(support::findme(&data), &endpoint).args(["match", "--event", "gala", "--json"]),
    );
    assert_eq!(report["failed"], 0, "{report:#}");
    assert_eq!(report["faces"], faces_total as u64, "{report:#}");
    let stored = server.collection_faces("findme-gala");
    assert_eq!(
        stored.len(),
        faces_total + PARTICIPANTS,
        "every face in the collection exactly once"
    );
    let ids: BTreeSet<_> = stored.iter().map(|f| f.external_image_id.clone()).collect();
    assert_eq!(
        ids.len(),
        PHOTOS + PARTICIPANTS,
        "every photo and selfie indexed"
    );

    let listed = support::run_json(support::findme(&data).args(["photos", "--json"]));
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), PHOTOS);
    for p in listed {
        let name = p["paths"][0].as_str().unwrap();
        let i: usize = name[name.len() - 7..name.len() - 4].parse().unwrap();
        let found: BTreeSet<usize> = p["faces"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["participant"].as_str())
            .map(|id| id[1..].parse().unwrap())
            .collect();
        assert_eq!(found, truth[i], "{name}");
    }
    server.shutdown().await;
}
