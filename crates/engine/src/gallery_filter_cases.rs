//! The gallery's filters as the engine answers them, written down for the fake
//! shell the browser tests run the built UI on (`ui/browser/mock-tauri.js`).
//!
//! The fake answers `tiles` from its own list and must filter it as the catalog's
//! SQL does. This test builds a real catalog with a photo in each state a filter
//! tells apart, asks the engine's mapping (API filter -> catalog filter, row ->
//! `TileDto`) for every filter, and writes tiles and answers to
//! `ui/browser/filter-cases.json`; `ui/browser/filter-cases.test.js` then asks the
//! fake the same questions. `scripts/test.sh` refuses a stale file, like the
//! TypeScript bindings, so a change to a filter reaches the fake or fails CI.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use findme_catalog::{
    Catalog, FileContent, FileRecord, FoundMatch, JobKind, NewFace, PhotoFacts, PhotoStatus,
    PublishPolicy, TileSort,
};
use serde_json::{json, Value};

use crate::api::TileFilter;
use crate::gallery::{catalog_filter, tile_dto};

const EVENT: &str = "ev";
const OWNER: &str = "test";

fn record(i: i64, status: PhotoStatus) -> FileRecord {
    FileRecord {
        path: PathBuf::from(format!("/card/DSC_{i:04}.JPG")),
        size: 1,
        mtime_ns: 1,
        content: FileContent::Photo(Box::new(PhotoFacts {
            sha256: format!("{i:064x}"),
            size: 1,
            format: "jpeg".into(),
            is_raw: false,
            error: (status == PhotoStatus::Failed).then(|| "The file ends early.".into()),
            status,
            captured_at: None,
            offset_from_exif: false,
            taken_ms: 1_780_000_000_000 + i * 1000,
            camera_make: None,
            camera_model: None,
            camera_serial: None,
            lens: None,
            orientation: Some(1),
            width: Some(600),
            height: Some(400),
        })),
    }
}

fn face(id: &str) -> NewFace {
    NewFace {
        face_id: Some(id.into()),
        left: 0.1,
        top: 0.2,
        width: 0.3,
        height: 0.4,
        confidence: 99.0,
        signature: None,
    }
}

/// What happens to each photo's jobs: `Some(true)` done, `Some(false)`
/// quarantined, `None` handed back pending (a retry later).
type Outcomes = BTreeMap<i64, Option<bool>>;

async fn settle(cat: &Catalog, kind: JobKind, ids: &BTreeMap<i64, i64>, outcomes: Outcomes) {
    let jobs = cat
        .write(move |w| w.claim(kind, OWNER, 60_000, 1000))
        .await
        .expect("claim");
    let by_photo: BTreeMap<i64, i64> = jobs
        .iter()
        .filter_map(|j| Some((j.photo_id?, j.id)))
        .collect();
    let plan: Vec<(i64, Option<bool>)> = outcomes
        .iter()
        .filter_map(|(i, outcome)| Some((*by_photo.get(&ids[i])?, *outcome)))
        .collect();
    // Claimed jobs no outcome names go back to pending, as a worker's would.
    let rest: Vec<i64> = jobs
        .iter()
        .map(|j| j.id)
        .filter(|id| !plan.iter().any(|(p, _)| p == id))
        .collect();
    cat.write(move |w| {
        for (job, outcome) in &plan {
            match outcome {
                Some(true) => w.complete(*job, OWNER)?,
                Some(false) => w.fail(*job, OWNER, "quarantined", None)?,
                None => w.fail(*job, OWNER, "again later", Some(60_000))?,
            };
        }
        for job in &rest {
            w.fail(*job, OWNER, "again later", Some(60_000))?;
        }
        Ok(())
    })
    .await
    .expect("settle");
}

#[tokio::test]
async fn the_filters_are_written_down_for_the_fake_shell() {
    let dir = tempfile::tempdir().expect("tmp");
    let cat = Catalog::open(&dir.path().join("c.sqlite")).expect("catalog");
    // 0 and 9 are failed files; 7, 8 and 9 are in no event.
    let failed_files = [0, 9];
    let in_event: BTreeSet<i64> = (0..7).collect();
    cat.write(move |w| {
        for i in 0..10 {
            let status = if failed_files.contains(&i) {
                PhotoStatus::Failed
            } else {
                PhotoStatus::Ok
            };
            w.record_file(&record(i, status))?;
        }
        Ok(())
    })
    .await
    .expect("photos");
    let mut ids = BTreeMap::new();
    for i in 0..10 {
        let sha = format!("{i:064x}");
        let id = cat
            .read(move |r| r.photo_by_sha256(&sha))
            .await
            .expect("read")
            .expect("recorded")
            .id;
        ids.insert(i, id);
    }
    let members: Vec<i64> = in_event.iter().map(|i| ids[i]).collect();
    cat.write(move |w| {
        w.create_event(EVENT, "Wedding", 80.0)?;
        w.set_publish_policy(EVENT, PublishPolicy::All)?;
        w.set_active_event(EVENT)?;
        w.join_event(EVENT, &members)?;
        w.upsert_participant(EVENT, "p1", "Ana", None, true)?;
        w.upsert_participant(EVENT, "p2", "Ben", None, true)?;
        Ok(())
    })
    .await
    .expect("event");

    // Thumbnails: made (and cached) for 1, 3, 4, 5, 7; failed for 2 and 8.
    let made = [1, 3, 4, 5, 7];
    settle(
        &cat,
        JobKind::Thumbnail,
        &ids,
        [
            (1, Some(true)),
            (2, Some(false)),
            (3, Some(true)),
            (4, Some(true)),
        ]
        .into_iter()
        .chain([(5, Some(true)), (7, Some(true)), (8, Some(false))])
        .collect(),
    )
    .await;
    cat.write(move |w| {
        for i in made {
            w.put_rendition(&format!("{i:064x}"), "thumb", 100, 320, 213)?;
        }
        Ok(())
    })
    .await
    .expect("renditions");

    // Matching: 1, 4, 5 done (Ana in 4; Ana and Ben in 5); 3 failed; 2 and 6 wait.
    settle(
        &cat,
        JobKind::Match,
        &ids,
        [
            (1, Some(true)),
            (3, Some(false)),
            (4, Some(true)),
            (5, Some(true)),
        ]
        .into_iter()
        .collect(),
    )
    .await;
    let (p1, p4, p5) = (ids[&1], ids[&4], ids[&5]);
    cat.write(move |w| {
        // A face nobody is (1): searched, published, no match.
        w.record_photo_faces(EVENT, p1, &[face("f1")])?;
        w.record_photo_faces(EVENT, p4, &[face("f4")])?;
        w.record_photo_faces(EVENT, p5, &[face("f5a"), face("f5b")])?;
        Ok(())
    })
    .await
    .expect("faces");
    let mut found = Vec::new();
    for (face_id, participant) in [("f4", "p1"), ("f5a", "p1"), ("f5b", "p2")] {
        let row = cat
            .read(move |r| r.face_row_of(EVENT, face_id))
            .await
            .expect("read")
            .expect("face");
        found.push(FoundMatch {
            participant_id: participant.into(),
            face_row: row,
            confidence: 97.0,
        });
    }
    cat.write(move |w| w.record_matches(EVENT, &found, &[p1, p4, p5]))
        .await
        .expect("matches");

    // Pushes (one job per searched photo): 1 done, 4 failed, 5 waits.
    settle(
        &cat,
        JobKind::Push,
        &ids,
        [(1, Some(true)), (4, Some(false))].into_iter().collect(),
    )
    .await;

    let rows = cat
        .read(|r| {
            r.tiles(
                &findme_catalog::TileFilter::All,
                TileSort::Captured,
                false,
                None,
                1000,
            )
        })
        .await
        .expect("tiles");
    let participants_of: BTreeMap<i64, Vec<&str>> = [(p4, vec!["p1"]), (p5, vec!["p1", "p2"])]
        .into_iter()
        .collect();
    let tiles: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            let thumbnail_job = row.thumbnail_job.map(|s| s.as_str());
            let mut tile = serde_json::to_value(tile_dto(row)).expect("json");
            // The catalog stamps the wall clock; the file must not change by itself.
            tile["imported_ms"] = json!(0);
            // What the catalog knows and a tile does not carry.
            tile["facts"] = json!({
                "in_event": members_contains(&ids, &in_event, id),
                "thumbnail_job": thumbnail_job,
                "participant_ids": participants_of.get(&id).cloned().unwrap_or_default(),
            });
            tile
        })
        .collect();

    let filters = [
        TileFilter::All,
        TileFilter::Failed,
        TileFilter::Unmatched,
        TileFilter::NotPushed,
        TileFilter::Participant { id: "p1".into() },
        TileFilter::Participant { id: "p2".into() },
        TileFilter::Participant {
            id: "nobody".into(),
        },
    ];
    let mut cases = Vec::new();
    for filter in filters {
        let wanted = catalog_filter(&filter);
        let ids: Vec<i64> = cat
            .read(move |r| r.tiles(&wanted, TileSort::Captured, false, None, 1000))
            .await
            .expect("tiles")
            .iter()
            .map(|t| t.id)
            .collect();
        cases.push(json!({ "filter": filter, "ids": ids }));
    }
    // Each filter must tell some photos apart, or the cases test nothing.
    for case in &cases[1..] {
        let n = case["ids"].as_array().map_or(0, Vec::len);
        assert!(n < tiles.len(), "{case} keeps every photo");
    }
    assert!(cases[1..4].iter().all(|c| c["ids"] != json!([])));

    let fixture = json!({
        "note": "Written by crates/engine/src/gallery_filter_cases.rs: do not edit.",
        "participants": [{ "id": "p1", "name": "Ana" }, { "id": "p2", "name": "Ben" }],
        "tiles": tiles,
        "cases": cases,
    });
    let text = serde_json::to_string_pretty(&fixture).expect("json") + "\n";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/browser/filter-cases.json");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).expect("write the fixture");
    }
}

fn members_contains(ids: &BTreeMap<i64, i64>, in_event: &BTreeSet<i64>, id: i64) -> bool {
    in_event.iter().any(|i| ids[i] == id)
}
