//! Card import: verified copies into `<library>/<date>/<name>`, an optional backup,
//! the source never touched, and an honest answer to "can I format the card?".

use crate::support;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use findme_engine::{CopyOptions, Engine, EngineConfig, EngineNotice};
use serde_json::Value;
use support::exif::Exif;
use support::{findme, run_json};

fn shoot(card: &Path, name: &str, seed: u32, when: &str) -> Vec<u8> {
    support::write_jpeg(
        &card.join("DCIM/100EOS5D").join(name),
        seed,
        &Exif::camera("Canon", "Canon EOS 5D Mark IV", when),
    )
}

fn card_import(data: &Path, card: &Path, lib: &Path, backup: Option<&Path>) -> Value {
    let mut cmd = findme(data);
    cmd.args(["import", "--json", "--copy-to"]).arg(lib);
    if let Some(b) = backup {
        cmd.arg("--backup-to").arg(b);
    }
    run_json(cmd.arg(card))
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>, SystemTime)> {
    let mut files: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).unwrap();
            (
                p.clone(),
                std::fs::read(&p).unwrap(),
                meta.modified().unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn copies_are_verified_dated_backed_up_and_the_card_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let (card, lib, bak, data) = (
        tmp.path().join("card"),
        tmp.path().join("lib"),
        tmp.path().join("bak"),
        tmp.path().join("data"),
    );
    let a = shoot(&card, "IMG_0001.JPG", 1, "2026:06:01 23:59:58");
    let b = shoot(&card, "IMG_0002.JPG", 2, "2026:06:02 00:00:03");
    std::fs::copy(
        support::devset().join("raw/CanonEOS30D_IMG_5952.CR2"),
        card.join("DCIM/100EOS5D/IMG_5952.CR2"),
    )
    .unwrap();
    let before = snapshot(&card);

    let report = card_import(&data, &card, &lib, Some(&bak));
    let c = &report["card"];
    assert_eq!(c["copied"], 3, "{report:#}");
    assert_eq!(c["safe_to_format"], true, "{report:#}");
    assert!(
        c["verdict"].as_str().unwrap().starts_with("Safe to format"),
        "{c}"
    );
    assert_eq!(report["imported"], 3);
    for (root, _) in [(&lib, 0), (&bak, 1)] {
        assert_eq!(
            std::fs::read(root.join("2026-06-01/IMG_0001.JPG")).unwrap(),
            a
        );
        assert_eq!(
            std::fs::read(root.join("2026-06-02/IMG_0002.JPG")).unwrap(),
            b
        );
        assert!(
            root.join("2009-07-21/IMG_5952.CR2").is_file(),
            "the CR2 is filed by its EXIF date"
        );
        assert!(
            !root.join(".findme-incoming").exists(),
            "staging left behind in {}",
            root.display()
        );
    }
    assert_eq!(snapshot(&card), before, "the card must never be modified");

    let photos = run_json(findme(&data).args(["photos", "--json"]));
    for p in photos.as_array().unwrap() {
        let paths: Vec<&str> = p["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(paths.len(), 2, "library + backup: {paths:?}");
        assert!(
            paths.iter().all(|p| !p.contains("/card/")),
            "the card is not a location: {paths:?}"
        );
    }

    // The same card again (re-inserted): nothing copied twice, still safe.
    let again = card_import(&data, &card, &lib, Some(&bak));
    assert_eq!(
        (
            again["card"]["copied"].as_u64(),
            again["card"]["already_present"].as_u64()
        ),
        (Some(0), Some(3))
    );
    assert_eq!(again["card"]["safe_to_format"], true);
    assert_eq!(again["imported"], 0);
    assert_eq!(walk(&lib).len(), 3);
}

#[test]
fn videos_and_name_clashes_are_handled_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (card1, card2, lib, data) = (
        tmp.path().join("c1"),
        tmp.path().join("c2"),
        tmp.path().join("lib"),
        tmp.path().join("data"),
    );
    shoot(&card1, "IMG_0001.JPG", 1, "2026:06:01 10:00:00");
    let second = shoot(&card2, "IMG_0001.JPG", 2, "2026:06:01 11:00:00");
    std::fs::write(
        card2.join("DCIM/100EOS5D/MVI_0002.MOV"),
        b"not really a movie",
    )
    .unwrap();

    assert_eq!(
        card_import(&data, &card1, &lib, None)["card"]["safe_to_format"],
        true
    );
    let report = card_import(&data, &card2, &lib, None);
    let c = &report["card"];
    assert_eq!(c["copied"], 1);
    assert_eq!(
        std::fs::read(lib.join("2026-06-01/IMG_0001-1.JPG")).unwrap(),
        second,
        "a second camera's IMG_0001 gets its own name"
    );
    assert_eq!(c["safe_to_format"], false, "the video was not copied: {c}");
    let not_copied = c["not_copied"].as_array().unwrap();
    assert_eq!(not_copied.len(), 1);
    assert!(not_copied[0]["path"]
        .as_str()
        .unwrap()
        .ends_with("MVI_0002.MOV"));
    assert!(c["verdict"].as_str().unwrap().starts_with("Do not format"));
}

/// A 1 MB tmpfs as the library: the disk fills up mid-card. Runs the real CLI in a
/// private mount namespace (`unshare`), so it needs no privileges and leaves no mount.
#[test]
fn a_full_disk_fails_the_files_that_do_not_fit_and_leaves_no_partial_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let (card, lib, data) = (
        tmp.path().join("card"),
        tmp.path().join("lib"),
        tmp.path().join("data"),
    );
    std::fs::create_dir_all(&lib).unwrap();
    for i in 0..4u32 {
        // Noisy 700x500 JPEGs: ~300-400 kB each, so only two or three fit.
        let bytes = support::jpeg_bytes(
            i,
            700,
            500,
            &Exif::camera("Canon", "Canon EOS R", "2026:06:01 10:00:00"),
        );
        std::fs::create_dir_all(card.join("DCIM")).unwrap();
        std::fs::write(card.join(format!("DCIM/IMG_{i:04}.JPG")), bytes).unwrap();
    }
    let script = r#"set -e
mount -t tmpfs -o size=1m tmpfs "$LIB"
"$FINDME" --data-dir "$DATA" import --json --copy-to "$LIB" "$CARD" > "$OUT/report.json"
find "$LIB" -name '*.findme-part' | wc -l > "$OUT/partials"
find "$LIB" -type f | wc -l > "$OUT/copies"
"#;
    let status = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c", script])
        .env("FINDME", env!("CARGO_BIN_EXE_findme"))
        .env("LIB", &lib)
        .env("DATA", &data)
        .env("CARD", &card)
        .env("OUT", tmp.path())
        .env("FINDME_LOG", "error")
        .status()
        .expect("run unshare");
    assert!(status.success(), "unshare/mount/findme failed: {status}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("report.json")).unwrap()).unwrap();
    let c = &report["card"];
    let copied = c["copied"].as_u64().unwrap();
    assert!((1..4).contains(&copied), "{report:#}");
    assert_eq!(c["safe_to_format"], false);
    let full: Vec<&Value> = c["not_copied"].as_array().unwrap().iter().collect();
    assert_eq!(full.len() as u64, 4 - copied);
    assert!(
        full.iter()
            .all(|f| f["reason"].as_str().unwrap().contains("disk is full")),
        "{full:?}"
    );
    let read = |name: &str| {
        std::fs::read_to_string(tmp.path().join(name))
            .unwrap()
            .trim()
            .to_string()
    };
    assert_eq!(
        read("partials"),
        "0",
        "a partial copy was left on the full disk"
    );
    assert_eq!(read("copies"), copied.to_string());
    assert_eq!(report["imported"].as_u64(), Some(copied));
}

/// The card reader is unplugged mid-import: the import ends cleanly, what was
/// copied is kept and catalogued, the rest is reported, and nothing half-copied
/// remains.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_mid_import_ends_the_import_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let (card, lib) = (tmp.path().join("EOS_DIGITAL"), tmp.path().join("lib"));
    for i in 0..300u32 {
        shoot(&card, &format!("IMG_{i:04}.JPG"), i, "2026:06:01 10:00:00");
    }
    let engine = Engine::open(EngineConfig::new(tmp.path().join("data")))
        .await
        .unwrap();
    let mut events = engine.subscribe();
    let import = {
        let (engine, card, lib) = (engine.clone(), card.clone(), lib.clone());
        tokio::spawn(async move {
            engine
                .import_card(
                    vec![card],
                    CopyOptions {
                        destination: lib,
                        backup: None,
                        layout: None,
                    },
                )
                .await
        })
    };
    loop {
        match events.recv().await.expect("events") {
            EngineNotice::ImportProgress { done, .. } if done >= 3 => break,
            _ => {}
        }
    }
    std::fs::rename(&card, tmp.path().join("unplugged")).unwrap();
    let report = import
        .await
        .unwrap()
        .expect("the import itself must not fail");
    let c = report.card.expect("card report");
    assert!(c.copied >= 3 && c.copied < 300, "copied {}", c.copied);
    assert!(!c.safe_to_format);
    assert_eq!(c.copied as usize + c.not_copied.len(), 300);
    assert!(
        c.not_copied.iter().all(|f| f.reason.contains("card")),
        "{:?}",
        &c.not_copied[..2]
    );
    let copies = walk(&lib);
    assert_eq!(
        copies.len() as u64,
        c.copied,
        "only whole, verified copies remain: {copies:?}"
    );
    assert_eq!(engine.stats().await.unwrap().catalog.photos, c.copied);
    engine.shutdown().await;
}
