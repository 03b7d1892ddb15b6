//! The thumbnail cache through the engine: one decode per photo for both sizes,
//! content-addressed and shared by duplicates, LRU-bounded, rebuilt on demand, and
//! unable to serve anything but its own files.

use crate::support;

use std::path::Path;

use findme_engine::{
    Engine, EngineConfig, PhotoKey, RenditionError, RenditionKind, ThumbState, TileQuery,
};
use support::exif::Exif;

async fn engine(data: &Path, limit: Option<u64>) -> Engine {
    let mut config = EngineConfig::new(data);
    if let Some(limit) = limit {
        config.cache_limit_bytes = limit;
    }
    Engine::open(config).await.expect("engine")
}

fn long_edge(jpeg: &[u8]) -> (u32, u32) {
    let img = image::load_from_memory(jpeg).expect("a rendition is a decodable JPEG");
    (img.width(), img.height())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renditions_are_made_cached_shared_and_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let exif = Exif::camera("Canon", "Canon EOS R5", "2026:06:01 12:00:00");
    let big = support::jpeg_bytes(1, 3000, 2000, &exif);
    std::fs::create_dir_all(src.join("slot2")).unwrap();
    std::fs::write(src.join("IMG_0001.JPG"), &big).unwrap();
    std::fs::write(src.join("slot2/IMG_0001.JPG"), &big).unwrap();
    let sha = support::sha256_hex(&big);

    let data = tmp.path().join("data");
    let engine = engine(&data, None).await;
    engine.import(vec![src.clone()]).await.unwrap();
    engine.make_thumbnails().await.unwrap();
    let thumb = engine
        .rendition(&key(&sha), RenditionKind::Thumb)
        .await
        .unwrap();
    let preview = engine
        .rendition(&key(&sha), RenditionKind::Preview)
        .await
        .unwrap();
    assert_eq!(long_edge(&thumb), (320, 213));
    assert_eq!(long_edge(&preview), (2048, 1365));
    let photos = engine.all_photos().await.unwrap();
    assert_eq!(
        photos.len(),
        1,
        "two files, one photo, one set of renditions"
    );
    assert_eq!(
        std::fs::read(photos[0].thumbnail.as_ref().unwrap()).unwrap(),
        thumb
    );
    let activity = engine.activity().await.unwrap();
    assert_eq!(
        (
            activity.cache.files,
            activity.cache.hits,
            activity.cache.misses
        ),
        (2, 2, 0)
    );
    let tiles = engine.tiles(TileQuery::default()).await.unwrap();
    assert_eq!(tiles.tiles[0].thumb, ThumbState::Ready);

    // Deleting the cache folder loses nothing: the next request rebuilds.
    std::fs::remove_dir_all(data.join("cache")).unwrap();
    let again = engine
        .rendition(&key(&sha), RenditionKind::Thumb)
        .await
        .unwrap();
    assert_eq!(long_edge(&again), (320, 213));
    assert_eq!(engine.activity().await.unwrap().cache.misses, 1);

    // Without any readable original, a missing rendition is a clear 404.
    std::fs::remove_dir_all(data.join("cache")).unwrap();
    std::fs::remove_dir_all(&src).unwrap();
    match engine.rendition(&key(&sha), RenditionKind::Preview).await {
        Err(RenditionError::NotFound(reason)) => {
            assert!(reason.contains("not available"), "{reason}")
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_stays_under_its_limit_by_evicting_the_least_recently_used() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let mut shas = Vec::new();
    for i in 0..12u32 {
        let bytes = support::jpeg_bytes(
            i,
            1200,
            800,
            &Exif::camera("Canon", "Canon EOS R5", "2026:06:01 12:00:00"),
        );
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join(format!("IMG_{i:04}.JPG")), &bytes).unwrap();
        shas.push(support::sha256_hex(&bytes));
    }
    let limit = 600_000;
    let engine = engine(&tmp.path().join("data"), Some(limit)).await;
    engine.import(vec![src]).await.unwrap();
    engine.make_thumbnails().await.unwrap();
    let cache = engine.activity().await.unwrap().cache;
    assert!(cache.bytes <= limit, "{cache:?}");
    assert!(cache.files < 24, "nothing was evicted: {cache:?}");
    let on_disk: u64 = walk_bytes(&tmp.path().join("data/cache"));
    assert_eq!(
        on_disk, cache.bytes,
        "evicted files must be deleted, kept ones indexed"
    );
    // Every photo can still be shown: evicted ones are rebuilt on demand.
    for sha in &shas {
        engine
            .rendition(&key(sha), RenditionKind::Thumb)
            .await
            .unwrap();
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendition_requests_cannot_reach_outside_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let bytes = support::write_jpeg(&src.join("a.jpg"), 1, &Exif::default());
    let sha = support::sha256_hex(&bytes);
    let data = tmp.path().join("data");
    let engine = engine(&data, None).await;
    engine.import(vec![src]).await.unwrap();

    // The engine is asked with a PhotoKey only: anything else never gets that far.
    for bad in [
        "../../etc/passwd",
        "/etc/passwd",
        &"A".repeat(64),
        &"a".repeat(63),
        "..%2f..%2fetc",
        "",
    ] {
        assert!(PhotoKey::parse(bad).is_err(), "{bad}");
    }
    assert!(matches!(
        engine
            .rendition(&key(&"0".repeat(64)), RenditionKind::Thumb)
            .await,
        Err(RenditionError::NotFound(_))
    ));

    // A symlink planted where a rendition belongs is never followed.
    let secret = tmp.path().join("secret.txt");
    std::fs::write(&secret, b"not for the webview").unwrap();
    let planted = data
        .join("cache/renditions")
        .join(&sha[..2])
        .join(format!("{sha}.thumb.jpg"));
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&secret, &planted).unwrap();
    let served = engine
        .rendition(&key(&sha), RenditionKind::Thumb)
        .await
        .expect("rebuilt in place of the link");
    assert_ne!(served, b"not for the webview", "followed a planted symlink");
    assert!(long_edge(&served).0 > 0);
    assert_eq!(
        std::fs::read(&secret).unwrap(),
        b"not for the webview",
        "the link's target is untouched"
    );
    assert!(!std::fs::symlink_metadata(&planted)
        .unwrap()
        .file_type()
        .is_symlink());
    engine.shutdown().await;
}

fn walk_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            total += walk_bytes(&path);
        } else {
            total += entry.metadata().map(|m| m.len()).unwrap_or(0);
        }
    }
    total
}

fn key(sha: &str) -> PhotoKey {
    PhotoKey::parse(sha).expect("a photo key")
}

/// The thumbnail jobs in the order the background workers claim them.
fn thumbnail_jobs(data: &Path) -> Vec<(String, String)> {
    let db = rusqlite::Connection::open_with_flags(
        data.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    let mut stmt = db
        .prepare(
            "SELECT subject, status FROM jobs WHERE kind = 'thumbnail'
              ORDER BY priority DESC, run_after_ms, id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows
}

/// Twenty tiles asking at once for one photo make one render; and with the
/// background queue full, the tile on screen is rendered at once, not in its
/// turn (checked by the queue's progress, not by a clock).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_photographer_looks_at_comes_first() {
    const PHOTOS: u32 = 24;
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..PHOTOS {
        let exif = Exif::camera(
            "Canon",
            "Canon EOS R5",
            &format!("2026:06:01 12:{:02}:{:02}", i / 60, i % 60),
        );
        // Big enough that a render takes a while: the queue stays full.
        let bytes = support::jpeg_bytes(i, 1600, 1200, &exif);
        std::fs::write(src.join(format!("IMG_{i:04}.JPG")), &bytes).unwrap();
    }
    let data = tmp.path().join("data");
    let mut config = EngineConfig::new(&data);
    config.thumbnail_workers = 1;
    config.waited_thumbnail_workers = 1;
    let engine = Engine::open(config).await.expect("engine");
    engine.import(vec![src]).await.unwrap();
    let queue = thumbnail_jobs(&data);
    assert_eq!(queue.len(), PHOTOS as usize);
    assert!(queue.iter().all(|(_, status)| status == "pending"));

    // Single-flight: 20 concurrent requests for the first photo, one render.
    let first = key(&queue[0].0);
    let asks: Vec<_> = (0..20)
        .map(|_| {
            let (engine, first) = (engine.clone(), first.clone());
            tokio::spawn(async move { engine.rendition(&first, RenditionKind::Thumb).await })
        })
        .collect();
    let mut answers = Vec::new();
    for ask in asks {
        answers.push(ask.await.unwrap().unwrap());
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "one thumbnail");
    let cache = engine.activity().await.unwrap().cache;
    assert_eq!(cache.hits + cache.misses, 20, "{cache:?}");
    assert_eq!(cache.renders, 1, "20 askers, one render: {cache:?}");

    // The background queue works through the photos in order, one at a time.
    let background = tokio::spawn({
        let engine = engine.clone();
        async move { engine.make_thumbnails().await }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while thumbnail_jobs(&data)
        .iter()
        .filter(|(_, status)| status == "done")
        .count()
        < 3
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the queue never moved"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // The tile on screen is the queue's last photo: it comes before the queue
    // gets anywhere near it.
    let last = key(&queue[queue.len() - 1].0);
    let renders_before = engine.activity().await.unwrap().cache.renders;
    let thumb = engine.rendition(&last, RenditionKind::Thumb).await.unwrap();
    let after = thumbnail_jobs(&data);
    let done = after.iter().filter(|(_, status)| status == "done").count();
    assert_eq!(long_edge(&thumb), (320, 240));
    assert_eq!(
        after.last().map(|(_, status)| status.as_str()),
        Some("pending"),
        "the tile on screen did not wait for its turn in the queue: {after:?}"
    );
    assert!(
        done < PHOTOS as usize / 2,
        "the on-demand thumbnail came after most of the queue ({done} of {PHOTOS} done)"
    );
    assert!(engine.activity().await.unwrap().cache.renders > renders_before);
    background.await.unwrap().unwrap();
    assert_eq!(
        engine.activity().await.unwrap().cache.renders,
        PHOTOS as u64,
        "every photo rendered once: the queue skipped what was already made"
    );
    engine.shutdown().await;
}

/// `findme import` waits for its thumbnails and nothing else runs: its pool has
/// the waited-for size (a worker per core by default, the render limit), while
/// the background pool keeps its share and leaves a core for the UI. (Issue 19:
/// the waiting import rendered on one worker of two cores.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waited_for_import_renders_with_all_its_workers_the_background_with_its_share() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let exif = Exif::camera("Canon", "Canon EOS R5", "2026:06:01 12:00:00");
    let bytes = support::jpeg_bytes(1, 640, 480, &exif);
    std::fs::write(src.join("IMG_0001.JPG"), &bytes).unwrap();
    for (waited, expected) in [(true, 3), (false, 1)] {
        let mut config = EngineConfig::new(tmp.path().join(format!("data-{waited}")));
        config.thumbnail_workers = 1;
        config.waited_thumbnail_workers = 3;
        config.matching.backend = findme_engine::MatchBackend::Off;
        let engine = Engine::open(config).await.expect("engine");
        engine.import(vec![src.clone()]).await.unwrap();
        if waited {
            engine.make_thumbnails().await.unwrap();
        } else {
            engine.start_workers();
        }
        let activity = engine.activity().await.unwrap();
        let workers = activity
            .queues
            .iter()
            .find(|q| q.kind == "thumbnail")
            .map(|q| q.workers);
        assert_eq!(
            workers,
            Some(expected),
            "thumbnail workers when the caller waits: {waited}"
        );
        engine.shutdown().await;
    }
}
