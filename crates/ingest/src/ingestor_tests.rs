//! A file that changes while it is hashed records nothing; once it holds still
//! it is recorded with the hash of its final bytes. The change is made by a hook
//! between the hash and the second stat, the window a camera still writing hits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_catalog::{Arrival, ArrivalSource, Catalog};
use findme_media::Format;

use super::{FileOutcome, Ingestor};
use crate::hooks::{self, Point};
use crate::testutil::{jpeg, sha_hex};
use crate::{FolderWatcher, WatchConfig};

/// The first time a file under `dir` has been hashed, append `tail` to it (the
/// camera's last write landing mid-inspection); returns how often the hook ran.
fn append_once_after_hashing(dir: &Path, tail: &'static [u8]) -> Arc<AtomicU32> {
    let runs = Arc::new(AtomicU32::new(0));
    let seen = runs.clone();
    hooks::set(Point::Hashed, dir, move |path| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(tail).unwrap();
            f.sync_all().unwrap();
        }
    });
    runs
}

const TAIL: &[u8] = b"trailing bytes the camera wrote last";

/// One ingest of `path` as an imported JPEG.
async fn import(ingestor: &Ingestor, path: &Path) -> FileOutcome {
    ingestor
        .ingest(
            path.to_path_buf(),
            Format::Jpeg,
            None,
            Arrival::now(ArrivalSource::Import),
        )
        .await
        .unwrap()
}

fn final_bytes(first: &[u8]) -> Vec<u8> {
    [first, TAIL].concat()
}

#[tokio::test]
async fn a_file_changing_while_hashed_records_nothing_until_it_holds_still() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("IMG_0001.JPG");
    let first = jpeg(1);
    std::fs::write(&path, &first).unwrap();
    let runs = append_once_after_hashing(&dir, TAIL);
    let catalog = Catalog::open(&tmp.path().join("c.sqlite")).unwrap();
    let ingestor = Ingestor::new(catalog.clone(), 1, None);

    let outcome = import(&ingestor, &path).await;
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the hook ran");
    assert_eq!(outcome, FileOutcome::Changing);
    let counts = catalog.read(|r| r.counts()).await.unwrap();
    assert_eq!(
        (counts.photos, counts.locations),
        (0, 0),
        "nothing recorded"
    );

    // It holds still now: recorded with the hash of what is on disk at last.
    let outcome = import(&ingestor, &path).await;
    assert_eq!(outcome, FileOutcome::Imported);
    let want = sha_hex(&final_bytes(&first));
    let photo = catalog
        .read(move |r| r.photo_by_sha256(&want))
        .await
        .unwrap()
        .expect("the final bytes' photo");
    assert_eq!(photo.paths, vec![path]);
    let counts = catalog.read(|r| r.counts()).await.unwrap();
    assert_eq!((counts.photos, counts.locations), (1, 1));
}

/// The same through the watcher with no stability window: the file is read the
/// moment it appears, changes under the hash, and the watcher reads it again.
#[tokio::test]
async fn the_watcher_records_only_the_final_bytes_of_a_file_that_changed_while_hashed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tether");
    std::fs::create_dir_all(&dir).unwrap();
    let runs = append_once_after_hashing(&dir, TAIL);
    let catalog = Catalog::open(&tmp.path().join("c.sqlite")).unwrap();
    let ingestor = Ingestor::new(catalog.clone(), 1, None);
    let config = WatchConfig {
        stable_for: Duration::ZERO,
        tick: Duration::from_millis(20),
        ..WatchConfig::default()
    };
    let watcher = FolderWatcher::start(ingestor, config);
    watcher.add(dir.clone(), false).await;

    // Written beside the folder and renamed in, so it appears whole: only the
    // hook changes it while it is read.
    let path: PathBuf = dir.join("IMG_0002.JPG");
    let first = jpeg(2);
    let outside = tmp.path().join("IMG_0002.JPG");
    std::fs::write(&outside, &first).unwrap();
    std::fs::rename(&outside, &path).unwrap();

    let want = sha_hex(&final_bytes(&first));
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let want = want.clone();
        if catalog
            .read(move |r| r.photo_by_sha256(&want))
            .await
            .unwrap()
            .is_some()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the final bytes were never recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    watcher.shutdown().await;
    assert!(
        runs.load(Ordering::SeqCst) >= 2,
        "read once mid-change, then again"
    );
    let counts = catalog.read(|r| r.counts()).await.unwrap();
    assert_eq!(
        (counts.photos, counts.locations),
        (1, 1),
        "only the final bytes became a photo"
    );
    let mixed = sha_hex(&first);
    assert!(catalog
        .read(move |r| r.photo_by_sha256(&mixed))
        .await
        .unwrap()
        .is_none());
}
