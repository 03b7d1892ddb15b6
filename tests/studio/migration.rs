//! A catalog made by the build before events became the unit of work (schema
//! v7, tests/fixtures/catalog-v7.sqlite, made by tests/fixtures/make-catalog-v7.sh)
//! opens with this build: photos already indexed or queued for an event become
//! its members; every other photo joins no event and is matched against nothing.

use crate::support::{self, run_json};

use std::collections::BTreeMap;

const FIXTURE: &[u8] = include_bytes!("../fixtures/catalog-v7.sqlite");

#[test]
fn a_v7_catalog_keeps_its_event_and_mixes_in_no_other_photo() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("catalog.sqlite"), FIXTURE).unwrap();

    let photos = run_json(support::findme(&data).args(["photos", "--json"]));
    let events: BTreeMap<String, Vec<String>> = photos
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let path = p["paths"][0].as_str().unwrap().to_string();
            let events = p["events"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e.as_str().unwrap().to_string())
                .collect();
            (path.rsplit('/').next().unwrap().to_string(), events)
        })
        .collect();
    let wedding = vec!["wedding".to_string()];
    let none: Vec<String> = Vec::new();
    assert_eq!(events["IMG_0001.JPG"], wedding);
    assert_eq!(events["IMG_0002.JPG"], wedding);
    assert_eq!(events["IMG_0003.JPG"], wedding);
    assert_eq!(
        events["IMG_0004.JPG"], none,
        "never matched: joins no event"
    );
    assert_eq!(events["IMG_0005.JPG"], none);

    // The wedding's photos stay indexed (nothing to match again); the photos of
    // no event have no match job; the gala has no photos.
    let stats = run_json(support::findme(&data).args(["stats", "--json"]));
    let by_event: BTreeMap<&str, &serde_json::Value> = stats["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e))
        .collect();
    assert_eq!(by_event["wedding"]["photos"], 3);
    assert_eq!(by_event["wedding"]["indexed"], 3);
    assert_eq!(by_event["wedding"]["matching"], 0);
    assert_eq!(by_event["gala"]["photos"], 0);
    let catalog = findme_testkit::inspect(&data).unwrap();
    use findme_catalog::{JobKind, JobStatus};
    assert_eq!(catalog.jobs(JobKind::Match, JobStatus::Pending).unwrap(), 0);
    assert_eq!(catalog.jobs(JobKind::Match, JobStatus::Done).unwrap(), 3);
    assert_eq!(support::integrity_check(&data), "ok");

    // Matching the gala now matches nothing of the wedding's or of no event.
    let report = run_json(support::findme(&data).args([
        "match",
        "--event",
        "gala",
        "--backend",
        "local",
        "--json",
    ]));
    assert_eq!(report["photos"], 0, "{report}");
}
