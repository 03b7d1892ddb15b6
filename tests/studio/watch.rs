//! Watched folders through the real engine, real inotify and real files.

use crate::support;

use std::path::Path;
use std::time::{Duration, Instant};

use findme_engine::{Engine, EngineConfig, EngineNotice, EventChoice, Stats, WatchConfig};
use support::exif::Exif;

/// Upper bound for any wait; hitting it fails the test with the last state seen.
const DEADLINE: Duration = Duration::from_secs(30);

async fn engine(data: &Path, watch: WatchConfig) -> Engine {
    let mut config = EngineConfig::new(data);
    config.watch = watch;
    Engine::open(config).await.expect("open engine")
}

fn quick(stable_ms: u64, grace_ms: u64) -> WatchConfig {
    WatchConfig {
        stable_for: Duration::from_millis(stable_ms),
        tick: Duration::from_millis(50),
        truncated_grace: Duration::from_millis(grace_ms),
        reconcile_every: Duration::from_secs(3600),
        poll_every: Duration::from_millis(200),
    }
}

/// Wait, on engine events, until `done(stats)` holds.
async fn wait_for(engine: &Engine, what: &str, done: impl Fn(&Stats) -> bool) -> Stats {
    let mut events = engine.subscribe();
    let start = Instant::now();
    loop {
        let stats = engine.stats().await.expect("stats");
        if done(&stats) {
            return stats;
        }
        let left = DEADLINE.checked_sub(start.elapsed()).unwrap_or_default();
        match tokio::time::timeout(left, events.recv()).await {
            Ok(_) => {}
            Err(_) => panic!("timed out waiting for {what}; last stats: {stats:?}"),
        }
    }
}

async fn paths_of(engine: &Engine, sha: &str) -> Vec<String> {
    let photos = engine.all_photos().await.unwrap();
    photos
        .into_iter()
        .find(|p| p.sha256 == sha)
        .map(|p| p.paths)
        .unwrap_or_default()
}

fn camera_exif(i: u32) -> Exif {
    Exif::camera(
        "Canon",
        "Canon EOS R5",
        &format!("2026:11:28 14:{:02}:{:02}", i / 60 % 60, i % 60),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_written_slowly_is_read_only_once_it_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let (data, watched) = (dir.path().join("data"), dir.path().join("card"));
    std::fs::create_dir_all(&watched).unwrap();
    // No grace for incomplete files: only the stability window protects here.
    let engine = engine(&data, quick(2_000, 0)).await;
    engine
        .add_watched_folder(watched.clone(), false, EventChoice::NoEvent)
        .await
        .unwrap();
    engine.start_watching().await.unwrap();

    let photo = std::fs::read(
        support::devset().join("camera-jpeg/mate_Elephants_5640x3172_SonyRX100M4.jpg"),
    )
    .unwrap();
    let target = watched.join("DSC00001.JPG");
    let mut file = std::fs::File::create(&target).unwrap();
    let mut events = engine.subscribe();
    for chunk in photo.chunks(512 * 1024) {
        // A card reader writing a big file: a chunk every 100 ms.
        std::io::Write::write_all(&mut file, chunk).unwrap();
        std::io::Write::flush(&mut file).unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        while let Ok(event) = events.try_recv() {
            assert_ne!(
                event,
                EngineNotice::PhotosChanged,
                "something was catalogued mid-copy"
            );
        }
        assert_eq!(
            engine.stats().await.unwrap().catalog.photos,
            0,
            "half a file was ingested"
        );
    }
    drop(file);
    let stats = wait_for(&engine, "the finished file", |s| s.catalog.photos == 1).await;
    assert_eq!(stats.catalog.failed, 0);
    let photos = engine.all_photos().await.unwrap();
    assert_eq!(photos[0].sha256, support::sha256_hex(&photo));
    assert_eq!(photos[0].status, "ok");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incomplete_jpeg_is_held_back_then_failed_then_replaced_when_it_completes() {
    let dir = tempfile::tempdir().unwrap();
    let (data, watched) = (dir.path().join("data"), dir.path().join("tether"));
    std::fs::create_dir_all(&watched).unwrap();
    let grace = Duration::from_millis(1_500);
    let engine = engine(&data, quick(100, grace.as_millis() as u64)).await;
    engine
        .add_watched_folder(watched.clone(), false, EventChoice::NoEvent)
        .await
        .unwrap();
    engine.start_watching().await.unwrap();

    let whole = support::jpeg_bytes(7, 640, 480, &camera_exif(7));
    let target = watched.join("IMG_0007.JPG");
    std::fs::write(&target, &whole[..whole.len() / 2]).unwrap();
    let stalled_at = Instant::now();
    let stats = wait_for(&engine, "the stalled file to fail", |s| {
        s.catalog.failed == 1
    })
    .await;
    assert!(
        stalled_at.elapsed() >= grace,
        "failed before its grace period"
    );
    assert_eq!(stats.catalog.photos, 1);
    let photos = engine.all_photos().await.unwrap();
    assert!(
        photos[0]
            .error
            .as_deref()
            .unwrap_or("")
            .contains("truncated"),
        "{:?}",
        photos[0].error
    );

    // The transfer resumes and completes: the failed stub gives way to the photo.
    std::fs::write(&target, &whole).unwrap();
    let sha = support::sha256_hex(&whole);
    wait_for(&engine, "the completed file", |s| {
        s.catalog.failed == 0 && s.catalog.photos == 1
    })
    .await;
    assert_eq!(
        paths_of(&engine, &sha).await,
        vec![target.to_string_lossy().to_string()]
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_tree_that_appears_at_once_is_ingested_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (data, watched) = (dir.path().join("data"), dir.path().join("watched"));
    std::fs::create_dir_all(&watched).unwrap();
    let engine = engine(&data, quick(200, 10_000)).await;
    engine
        .add_watched_folder(watched.clone(), false, EventChoice::NoEvent)
        .await
        .unwrap();
    engine.start_watching().await.unwrap();

    // (1) a tree prepared elsewhere and moved in with one rename;
    let staged = dir.path().join("staged");
    for i in 0..12u32 {
        support::write_jpeg(
            &staged.join(format!("DCIM/{}CANON/IMG_{i:04}.JPG", 100 + i % 3)),
            i,
            &camera_exif(i),
        );
    }
    std::fs::rename(&staged, watched.join("card1")).unwrap();
    // (2) nested folders created and filled as fast as we can (no watch exists on
    // them yet when their files land).
    for i in 12..30u32 {
        support::write_jpeg(
            &watched.join(format!("card2/a/b/c{}/IMG_{i:04}.JPG", i % 4)),
            i,
            &camera_exif(i),
        );
    }
    let stats = wait_for(&engine, "30 photos", |s| s.catalog.photos == 30).await;
    assert_eq!((stats.catalog.locations, stats.catalog.failed), (30, 0));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_move_and_delete_keep_one_photo_per_content() {
    let dir = tempfile::tempdir().unwrap();
    let (data, watched) = (dir.path().join("data"), dir.path().join("w"));
    let engine = engine(&data, quick(150, 10_000)).await;
    let a = watched.join("IMG_0001.JPG");
    let bytes = support::write_jpeg(&a, 1, &camera_exif(1));
    let sha = support::sha256_hex(&bytes);
    engine
        .add_watched_folder(watched.clone(), false, EventChoice::NoEvent)
        .await
        .unwrap();
    engine.start_watching().await.unwrap();
    wait_for(&engine, "the first photo", |s| s.catalog.photos == 1).await;

    let b = watched.join("keepers/IMG_0001.JPG");
    std::fs::create_dir_all(b.parent().unwrap()).unwrap();
    std::fs::rename(&a, &b).unwrap();
    let b_str = b.to_string_lossy().to_string();
    let start = Instant::now();
    while paths_of(&engine, &sha).await != vec![b_str.clone()] {
        assert!(
            start.elapsed() < DEADLINE,
            "move not followed: {:?}",
            paths_of(&engine, &sha).await
        );
        let _ = tokio::time::timeout(Duration::from_secs(1), engine.subscribe().recv()).await;
    }
    let stats = engine.stats().await.unwrap();
    assert_eq!((stats.catalog.photos, stats.catalog.locations), (1, 1));

    // A second copy of the same bytes is a second location, not a photo.
    std::fs::copy(&b, watched.join("IMG_0001 copy.JPG")).unwrap();
    wait_for(&engine, "the copy's location", |s| s.catalog.locations == 2).await;
    assert_eq!(engine.stats().await.unwrap().catalog.photos, 1);

    std::fs::remove_file(&b).unwrap();
    let stats = wait_for(&engine, "the deletion", |s| s.catalog.locations == 1).await;
    assert_eq!(stats.catalog.photos, 1, "a photo with a copy left stays");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_folder_goes_offline_and_forgets_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (data, card) = (dir.path().join("data"), dir.path().join("EOS_DIGITAL"));
    for i in 0..5u32 {
        support::write_jpeg(
            &card.join(format!("DCIM/IMG_{i:04}.JPG")),
            i,
            &camera_exif(i),
        );
    }
    let engine = engine(&data, quick(100, 10_000)).await;
    engine
        .add_watched_folder(card.clone(), false, EventChoice::NoEvent)
        .await
        .unwrap();
    engine.start_watching().await.unwrap();
    wait_for(&engine, "5 photos", |s| s.catalog.photos == 5).await;

    // "Unmount": the folder disappears.
    let away = dir.path().join("elsewhere");
    std::fs::rename(&card, &away).unwrap();
    let start = Instant::now();
    while engine.watched_folders().await.unwrap()[0].online {
        assert!(start.elapsed() < DEADLINE, "folder never went offline");
        let _ = tokio::time::timeout(Duration::from_secs(1), engine.subscribe().recv()).await;
    }
    let stats = engine.stats().await.unwrap();
    assert_eq!(
        (stats.catalog.photos, stats.catalog.locations),
        (5, 5),
        "offline must not delete"
    );

    // Back in the reader with one more photo: picked up, nothing doubled.
    support::write_jpeg(&away.join("DCIM/IMG_0099.JPG"), 99, &camera_exif(99));
    std::fs::rename(&away, &card).unwrap();
    let stats = wait_for(&engine, "the new photo", |s| s.catalog.photos == 6).await;
    assert_eq!(stats.catalog.locations, 6);
    assert!(engine.watched_folders().await.unwrap()[0].online);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_finds_files_and_watched_folders_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (data, share) = (dir.path().join("data"), dir.path().join("nas"));
    std::fs::create_dir_all(&share).unwrap();
    {
        let engine = engine(&data, quick(100, 10_000)).await;
        engine
            .add_watched_folder(share.clone(), true, EventChoice::NoEvent)
            .await
            .unwrap();
        engine.shutdown().await;
    }
    // Files arrive while the app is closed, and after it restarts.
    support::write_jpeg(&share.join("before.jpg"), 1, &camera_exif(1));
    let engine = engine(&data, quick(100, 10_000)).await;
    let folders = engine.watched_folders().await.unwrap();
    assert_eq!(folders.len(), 1);
    assert!(folders[0].poll);
    engine.start_watching().await.unwrap();
    wait_for(&engine, "the file written while closed", |s| {
        s.catalog.photos == 1
    })
    .await;
    support::write_jpeg(&share.join("after.jpg"), 2, &camera_exif(2));
    wait_for(&engine, "the polled file", |s| s.catalog.photos == 2).await;
    engine.shutdown().await;
}
