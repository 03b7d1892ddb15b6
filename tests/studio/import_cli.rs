//! `findme import / photos / stats` on real files, through the real binary: the CLI
//! contract (README) and what happens to every kind of bad input.

use crate::support;

use std::path::Path;

use serde_json::Value;
use support::exif::Exif;
use support::{devset, findme, run_json};

fn import_json(data: &Path, paths: &[&Path]) -> Value {
    let mut cmd = findme(data);
    cmd.args(["import", "--json"]).args(paths);
    run_json(&mut cmd)
}

fn photos(data: &Path) -> Vec<Value> {
    let v = run_json(findme(data).args(["photos", "--json"]));
    v.as_array().expect("photos --json is an array").clone()
}

fn reason_for<'a>(report: &'a Value, file: &str) -> &'a str {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with(file))
        .and_then(|f| f["reason"].as_str())
        .unwrap_or_else(|| panic!("no failure reported for {file}: {report:#}"))
}

#[test]
fn the_dev_set_imports_once_with_a_reason_for_every_bad_file() {
    let data = tempfile::tempdir().unwrap();
    let set = devset();
    let report = import_json(data.path(), &[&set]);

    // 84 files; the Kite folder is 1 file + 11 symlinks to it.
    assert_eq!(report["scanned"], 96, "{report:#}");
    assert_eq!(
        report["duplicates"], 11,
        "the 11 symlinks are locations of one photo"
    );
    assert_eq!(report["unchanged"], 0);
    let imported = report["imported"].as_u64().unwrap();
    let failed = report["failed"].as_u64().unwrap();
    let skipped = report["skipped"].as_u64().unwrap();
    assert_eq!(imported + 11 + failed + skipped, 96);
    assert_eq!(
        skipped, 14,
        "GIF, ICO, WebP and the XML annotations are not photos"
    );

    for (file, words) in [
        ("hostile/zero_bytes.jpg", "empty"),
        ("hostile/empty.heic", "empty"),
        ("hostile/truncated_jpeg.jpg", "truncated"),
        ("hostile/truncated_image.png", "truncated"),
        ("hostile/truncated.heic", "truncated"),
        ("hostile/truncated_iphone7_park.heic", "truncated"),
        ("hostile/broken.png", "PNG"),
        ("hostile/corrupted.heic", "HEIF"),
    ] {
        let reason = reason_for(&report, file);
        assert!(reason.contains(words), "{file}: {reason}");
    }

    let stats = run_json(findme(data.path()).args(["stats", "--json"]));
    let photos = photos(data.path());
    assert_eq!(
        stats["catalog"]["photos"].as_u64().unwrap() as usize,
        photos.len()
    );
    // Zero-byte files have no content to catalogue: they are failures without a photo.
    assert_eq!(photos.len() as u64, imported + failed - 2);
    assert_eq!(stats["catalog"]["failed"].as_u64().unwrap(), failed);
    for key in [
        "total_enqueued",
        "total_processed",
        "pending",
        "running",
        "failed",
        "workers_active",
    ] {
        assert!(
            stats["queue"][key].is_u64(),
            "stats.queue.{key} missing: {stats:#}"
        );
    }
    // Import made every good photo's thumbnail before returning; the photos
    // joined no event, so no match job waits. Failed photos get no jobs.
    let good = photos.iter().filter(|p| p["status"] == "ok").count() as u64;
    assert_eq!(stats["queue"]["pending"].as_u64().unwrap(), 0);
    assert_eq!(stats["queue"]["total_processed"].as_u64().unwrap(), good);

    let kite = photos
        .iter()
        .find(|p| p["paths"].as_array().unwrap().len() == 12)
        .expect("kite photo");
    assert_eq!(kite["width"], 2560);
    let cr2 = photos
        .iter()
        .find(|p| p["format"] == "cr2")
        .expect("the CR2");
    assert_eq!(cr2["camera"], "Canon EOS 30D");
    assert_eq!(
        cr2["captured_at"].as_str().unwrap()[..19],
        *"2009-07-21T13:03:20"
    );
    for p in &photos {
        for key in [
            "id",
            "sha256",
            "paths",
            "captured_at",
            "camera",
            "width",
            "height",
            "orientation",
            "status",
            "error",
            "thumbnail",
            "preview",
        ] {
            assert!(p.get(key).is_some(), "photos --json lacks {key}: {p}");
        }
        let heic = p["format"] == "heif";
        match (p["status"].as_str(), heic) {
            (Some("ok"), false) => {
                assert!(p["error"].is_null(), "{p}");
                for key in ["thumbnail", "preview"] {
                    let file = p[key].as_str().unwrap_or_else(|| panic!("no {key}: {p}"));
                    assert!(Path::new(file).is_file(), "{key} {file} missing");
                }
            }
            // No HEVC decoder: catalogued, but no picture, and the reason says so.
            (Some("ok"), true) => {
                assert!(p["thumbnail"].is_null(), "{p}");
                assert!(p["error"].as_str().unwrap().contains("HEIC"), "{p}");
            }
            _ => {
                assert!(p["error"].is_string(), "{p}");
                assert!(p["thumbnail"].is_null(), "{p}");
            }
        }
    }
    // Duplicates share one set of renditions.
    let kite_thumb = kite["thumbnail"].as_str().unwrap();
    assert!(kite_thumb.contains(kite["sha256"].as_str().unwrap()));

    // The quick re-scan reads nothing it has seen (the unreadable files are retried).
    let again = import_json(data.path(), &[&set]);
    assert_eq!(again["imported"], 0);
    assert_eq!(again["duplicates"], 0);
    assert_eq!(again["unchanged"].as_u64().unwrap(), 96 - 14 - 2);
    assert_eq!(support::integrity_check(data.path()), "ok");
}

#[test]
fn a_folder_dropped_twice_and_both_card_slots_make_one_photo_each() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (slot1, slot2) = (tmp.path().join("CF"), tmp.path().join("SD"));
    for i in 0..20u32 {
        let exif = Exif::camera(
            "NIKON CORPORATION",
            "NIKON Z 9",
            &format!("2026:06:01 15:00:{i:02}"),
        );
        let bytes =
            support::write_jpeg(&slot1.join(format!("DCIM/100NZ9/DSC_{i:04}.JPG")), i, &exif);
        let copy = slot2.join(format!("DCIM/100NZ9/DSC_{i:04}.JPG"));
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::write(copy, bytes).unwrap();
    }
    let first = import_json(&data, &[&slot1]);
    assert_eq!(
        (first["imported"].as_u64(), first["failed"].as_u64()),
        (Some(20), Some(0))
    );
    let twice = import_json(&data, &[&slot1]);
    assert_eq!(
        (twice["imported"].as_u64(), twice["unchanged"].as_u64()),
        (Some(0), Some(20))
    );
    let slot = import_json(&data, &[&slot2]);
    assert_eq!(
        (slot["imported"].as_u64(), slot["duplicates"].as_u64()),
        (Some(0), Some(20))
    );
    // Dropping one file of an already-watched folder again changes nothing.
    let one = import_json(&data, &[&slot2.join("DCIM/100NZ9/DSC_0003.JPG")]);
    assert_eq!(one["unchanged"], 1);

    let photos = photos(&data);
    assert_eq!(photos.len(), 20);
    assert!(photos
        .iter()
        .all(|p| p["paths"].as_array().unwrap().len() == 2));
    assert_eq!(
        photos[0]["camera"], "NIKON Z 9",
        "make is not repeated when the model has it"
    );
    // One thumbnail job per photo (not per file); matching is per event, and
    // these photos joined none.
    let stats = run_json(findme(&data).args(["stats", "--json"]));
    assert_eq!(
        stats["queue"]["total_enqueued"], 20,
        "jobs are per photo, not per file"
    );
}

#[test]
fn raw_and_jpeg_of_one_shot_are_grouped() {
    let tmp = tempfile::tempdir().unwrap();
    let card = tmp.path().join("card");
    std::fs::create_dir_all(&card).unwrap();
    std::fs::copy(
        devset().join("raw/CanonEOS30D_IMG_5952.CR2"),
        card.join("IMG_5952.CR2"),
    )
    .unwrap();
    support::write_jpeg(
        &card.join("IMG_5952.JPG"),
        5952,
        &Exif::camera("Canon", "Canon EOS 30D", "2009:07:21 13:03:20"),
    );
    support::write_jpeg(
        &card.join("IMG_5953.JPG"),
        5953,
        &Exif::camera("Canon", "Canon EOS 30D", "2009:07:21 13:03:21"),
    );
    let report = import_json(&tmp.path().join("data"), &[&card]);
    assert_eq!(report["imported"], 3);
    let photos = photos(&tmp.path().join("data"));
    let group_of = |name: &str| {
        photos
            .iter()
            .find(|p| p["paths"][0].as_str().unwrap().ends_with(name))
            .unwrap()["group"]
            .clone()
    };
    assert!(group_of("IMG_5952.CR2").is_i64());
    assert_eq!(group_of("IMG_5952.CR2"), group_of("IMG_5952.JPG"));
    assert!(group_of("IMG_5953.JPG").is_null());
}

#[test]
fn exif_capture_time_keeps_subseconds_and_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let exif = Exif {
        subsec: Some("25".into()),
        offset: Some("-05:00".into()),
        serial: Some("2051234".into()),
        orientation: Some(6),
        ..Exif::camera("SONY", "ILCE-7M4", "2026:03:14 09:26:53")
    };
    let file = tmp.path().join("in/DSC01234.JPG");
    support::write_jpeg(&file, 1, &exif);
    import_json(&tmp.path().join("data"), &[&file]);
    let photos = photos(&tmp.path().join("data"));
    assert_eq!(photos[0]["captured_at"], "2026-03-14T09:26:53.25-05:00");
    assert_eq!(photos[0]["camera"], "SONY ILCE-7M4");
    assert_eq!(photos[0]["camera_serial"], "2051234");
    assert_eq!(photos[0]["orientation"], 6);
    assert_eq!(
        (photos[0]["width"].as_u64(), photos[0]["height"].as_u64()),
        (Some(64), Some(48))
    );
}

#[cfg(unix)]
#[test]
fn odd_names_symlink_loops_and_unreadable_files_fail_alone() {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let exif = Exif::camera("Canon", "Canon EOS R6", "2026:01:01 10:00:00");
    // A name that is not UTF-8 (old card readers, FAT without a codepage).
    let latin1 = src.join(std::ffi::OsStr::from_bytes(b"caf\xe9.jpg"));
    support::write_jpeg(&latin1, 1, &exif);
    support::write_jpeg(&src.join("ok.jpg"), 2, &exif);
    support::write_jpeg(&src.join("locked.jpg"), 3, &exif);
    std::fs::write(src.join("notes.txt"), "not a photo").unwrap();
    std::fs::write(src.join("fake.jpg"), "<html>this is not a JPEG</html>").unwrap();
    std::os::unix::fs::symlink("..", src.join("loop")).unwrap();
    std::fs::set_permissions(
        src.join("locked.jpg"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();

    let data = tmp.path().join("data");
    let mut cmd = if support::is_root() {
        // Root reads everything: run as nobody so the permission check is real.
        for dir in [tmp.path(), &src] {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_findme"),
        ]);
        c.arg("--data-dir").arg(&data);
        c
    } else {
        findme(&data)
    };
    cmd.args(["import", "--json"]).arg(&src);
    let report = run_json(&mut cmd);
    assert_eq!(report["imported"], 2, "{report:#}");
    assert!(reason_for(&report, "locked.jpg").contains("permission denied"));
    assert!(reason_for(&report, "fake.jpg").contains("not a JPEG"));
    assert!(reason_for(&report, "loop").contains("loop"));
    assert_eq!(report["skipped"], 1);
    let photos = photos(&data);
    let names: Vec<&str> = photos
        .iter()
        .map(|p| p["paths"][0].as_str().unwrap())
        .collect();
    assert!(
        names.iter().any(|n| n.ends_with("caf\u{fffd}.jpg")),
        "{names:?}"
    );
}
