//! kill -9 the CLI at random points of a 1,000-file import, then finish it: every
//! photo exactly once, the database intact, every photo's jobs still queued.

use crate::support;
use findme_catalog::{JobKind, JobStatus};

use std::process::Stdio;

use rand::{Rng, SeedableRng};
use support::exif::Exif;

#[test]
fn kill_9_mid_import_loses_and_doubles_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (src, data) = (tmp.path().join("src"), tmp.path().join("data"));
    let mut hashes = std::collections::HashSet::new();
    for i in 0..1000u32 {
        let exif = Exif::camera(
            "FUJIFILM",
            "X-T5",
            &format!(
                "2026:09:{:02} 18:{:02}:{:02}",
                1 + i / 3600,
                i / 60 % 60,
                i % 60
            ),
        );
        let bytes =
            support::write_jpeg(&src.join(format!("{:02}/DSCF{i:04}.JPG", i / 50)), i, &exif);
        hashes.insert(support::sha256_hex(&bytes));
    }
    assert_eq!(hashes.len(), 1000);

    // The card's photos join an event: each photo commits with its thumbnail
    // job and its match job for the event, or not at all.
    support::run_ok(support::findme(&data).args(["events", "create", "--id", "shoot"]));
    let seed: u64 = rand::rng().random();
    println!("kill points from seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut interrupted = 0;
    for round in 0..6 {
        let before = progress(&data);
        if before >= 1990 {
            break;
        }
        // The kill point is a progress count, not a time: the machine's speed
        // cannot move it past the end of the import.
        let target = rng.random_range(before + 1..=before + (1990 - before) / 2);
        let mut child = support::findme(&data)
            .args(["import", "--json"])
            .arg(&src)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn findme");
        let exited_early = loop {
            if child.try_wait().expect("poll findme").is_some() {
                break true;
            }
            if progress(&data) >= target {
                break false;
            }
            std::thread::yield_now();
        };
        if !exited_early {
            child.kill().expect("SIGKILL"); // kill() sends SIGKILL on Unix
        }
        let status = child.wait().unwrap();
        let now = progress(&data);
        println!("round {round}: killed at {target} ({status}), {now} of 2000 steps (photos + thumbnail jobs) done");
        if std::os::unix::process::ExitStatusExt::signal(&status) == Some(9) && now < 2000 {
            interrupted += 1;
        }
        assert_eq!(support::integrity_check(&data), "ok", "after kill {round}");
    }
    assert!(
        interrupted >= 3,
        "only {interrupted} kills interrupted an import"
    );
    let last = support::run_json(support::findme(&data).args(["import", "--json"]).arg(&src));
    assert_eq!(last["failed"], 0, "{last:#}");

    let photos = support::run_json(support::findme(&data).args(["photos", "--json"]));
    let photos = photos.as_array().unwrap();
    assert_eq!(photos.len(), 1000, "every photo exactly once");
    let seen: std::collections::HashSet<String> = photos
        .iter()
        .map(|p| p["sha256"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(seen, hashes);
    assert!(photos
        .iter()
        .all(|p| p["paths"].as_array().unwrap().len() == 1 && p["status"] == "ok"));
    assert_eq!(support::integrity_check(&data), "ok");

    let catalog = findme_testkit::inspect(&data).unwrap();
    let jobless = catalog.photos_without_exactly(2).unwrap();
    assert_eq!(
        jobless, 0,
        "a photo lost (or doubled) its thumbnail/match jobs"
    );
    // Import makes thumbnails too, so kills also landed mid-render: every
    // thumbnail job is done (none stuck under a dead process's lease), every file
    // exists, and the match jobs wait for matching.
    let jobs = |kind, status| catalog.jobs(kind, status).unwrap();
    assert_eq!(jobs(JobKind::Thumbnail, JobStatus::Done), 1000);
    assert_eq!(jobs(JobKind::Match, JobStatus::Pending), 1000);
    assert_eq!(catalog.renditions().unwrap(), 2000);
    for p in photos {
        for key in ["thumbnail", "preview"] {
            let file = p[key].as_str().unwrap_or_else(|| panic!("no {key}: {p}"));
            assert!(std::path::Path::new(file).is_file(), "{file}");
        }
    }
}

/// Photos catalogued plus thumbnail jobs done: 2000 when an import is complete.
fn progress(data: &std::path::Path) -> u64 {
    // No catalog yet, or the child is creating its tables: that is 0.
    let Ok(catalog) = findme_testkit::inspect(data) else {
        return 0;
    };
    let photos = catalog.photos().unwrap_or(0);
    photos
        + catalog
            .jobs(JobKind::Thumbnail, JobStatus::Done)
            .unwrap_or(0)
}
