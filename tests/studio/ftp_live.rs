//! Live photos go first: a frame arriving by FTP while a card's backlog is
//! queued gets its thumbnail and its match ahead of that backlog. The order is
//! read from the jobs' completion times, so the test does not depend on speed.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use findme_engine::{
    CameraAccount, CopyOptions, Engine, EngineConfig, EventChoice, EventId, FtpOptions,
    MatchBackend,
};
use support::exif::Exif;

const CARD_PHOTOS: u32 = 500;

async fn open_engine(data: &Path) -> Engine {
    let mut config = EngineConfig::new(data);
    config.matching.backend = MatchBackend::Local;
    config.matching.local.models_dir = findme_testkit::models_dir();
    // One worker per stage: completion order is then claim order, so the order
    // read below is the queue's, not which photo happens to be quicker (a face
    // photo's match takes longer than a faceless 160 px one's; with two workers
    // the other one finished dozens of card photos meanwhile on a loaded machine).
    config.matching.workers = Some(1);
    config.thumbnail_workers = 1;
    Engine::open(config).await.expect("engine")
}

/// (status, completion time) of the photo's job of `kind`.
fn job(db: &rusqlite::Connection, kind: &str, sha: &str) -> Option<(String, i64)> {
    db.query_row(
        "SELECT j.status, j.updated_ms FROM jobs j JOIN photos p ON p.id = j.photo_id
          WHERE j.kind = ?1 AND p.sha256 = ?2",
        [kind, sha],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .ok()
}

/// Jobs of `kind` of card photos done before `ms`, and not yet done.
fn card_jobs(db: &rusqlite::Connection, kind: &str, before_ms: i64) -> (i64, i64) {
    db.query_row(
        "SELECT count(*) FILTER (WHERE j.status = 'done' AND j.updated_ms < ?2),
                count(*) FILTER (WHERE j.status <> 'done')
           FROM jobs j JOIN photos p ON p.id = j.photo_id
          WHERE j.kind = ?1 AND p.arrival = 'card'",
        rusqlite::params![kind, before_ms],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_sent_by_ftp_is_thumbnailed_and_matched_before_a_card_backlog() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, card, lib) = (
        tmp.path().join("data"),
        tmp.path().join("card/DCIM/100CANON"),
        tmp.path().join("lib"),
    );
    std::fs::create_dir_all(&card).unwrap();
    let exif = Exif::camera("Canon", "Canon EOS R5", "2026:06:01 10:00:00");
    for i in 0..CARD_PHOTOS {
        std::fs::write(
            card.join(format!("IMG_{i:04}.JPG")),
            support::jpeg_bytes(i, 160, 120, &exif),
        )
        .unwrap();
    }
    let engine = open_engine(&data).await;
    let gala = EventId::parse("gala").unwrap();
    engine
        .create_event_with(&gala, "Gala", Some(MatchBackend::Local), None)
        .await
        .unwrap();
    // The card's backlog is queued (no workers run yet).
    let copy = CopyOptions {
        destination: lib.clone(),
        backup: None,
        layout: None,
    };
    let report = engine
        .import_card_into(
            vec![tmp.path().join("card")],
            copy,
            EventChoice::Event(gala.clone()),
        )
        .await
        .unwrap();
    assert_eq!(report.imported, u64::from(CARD_PHOTOS));

    // A camera sends a frame with faces.
    let account = engine
        .add_camera_account(CameraAccount::parse("body-a").unwrap())
        .await
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let options = FtpOptions {
        port: Some(port),
        passive_ports: Some((51060, 51079)),
        event: Some(EventChoice::Event(gala.clone())),
        ..FtpOptions::default()
    };
    engine.start_ftp(options).await.unwrap();
    let frame = support::devset().join("faces/face_recognition/obama2.jpg");
    let live_sha = support::sha256_hex(&std::fs::read(&frame).unwrap());
    let status = Command::new("curl")
        .args(["-sS", "--max-time", "30", "--user"])
        .arg(format!("{}:{}", account.user, account.password))
        .arg("-T")
        .arg(&frame)
        .arg(format!("ftp://127.0.0.1:{port}/IMG_9999.JPG"))
        .status()
        .unwrap();
    assert!(status.success());
    let db = rusqlite::Connection::open_with_flags(
        data.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while job(&db, "match", &live_sha).is_none() {
        assert!(Instant::now() < deadline, "the frame was not catalogued");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Now the workers run: everything is queued, the frame last.
    engine.start_workers();
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let done = |kind| matches!(job(&db, kind, &live_sha), Some((s, _)) if s == "done");
        let backlog = card_jobs(&db, "thumbnail", i64::MAX).1 + card_jobs(&db, "match", i64::MAX).1;
        if done("thumbnail") && done("match") && backlog == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the work did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for kind in ["thumbnail", "match"] {
        let (_, live_done) = job(&db, kind, &live_sha).unwrap();
        let (card_before, _) = card_jobs(&db, kind, live_done);
        // Without priority the frame would be last: all 500 before it. With it,
        // only what the workers held when it arrived (a claim batch) can be.
        assert!(
            card_before < i64::from(CARD_PHOTOS) / 10,
            "{kind}: {card_before} card photos were done before the live frame"
        );
    }
    engine.shutdown().await;
}
