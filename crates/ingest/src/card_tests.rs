//! The copy on disk differs from what was written (a failing destination disk):
//! the read-back catches it, the file is not copied, nothing carries its name,
//! and the card is not safe to format. The corruption is made by a hook between
//! the sync and the read-back, where a bad disk would return other bytes.

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use findme_catalog::Catalog;

use super::{import_card, CardOptions, DEFAULT_LAYOUT};
use crate::hooks::{self, Point};
use crate::testutil::{jpeg, sha_hex};
use crate::Ingestor;

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_copy_that_reads_back_different_is_not_copied_and_the_card_not_safe() {
    let tmp = tempfile::tempdir().unwrap();
    let card = tmp.path().join("card/DCIM/100CANON");
    let lib = tmp.path().join("lib");
    std::fs::create_dir_all(&card).unwrap();
    let good = jpeg(3);
    let bad = jpeg(4);
    std::fs::write(card.join("IMG_0001.JPG"), &good).unwrap();
    std::fs::write(card.join("IMG_0002.JPG"), &bad).unwrap();
    let card_before: Vec<_> = files_under(&card)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();

    // The staged copy of IMG_0002 gets one byte flipped on "disk".
    let corrupted = Arc::new(AtomicU32::new(0));
    let count = corrupted.clone();
    let written = bad.clone();
    hooks::set(Point::Staged, &lib, move |temp| {
        let name = temp.file_name().unwrap_or_default().to_string_lossy();
        if name.contains("IMG_0002") {
            let mut f = std::fs::OpenOptions::new().write(true).open(temp).unwrap();
            let middle = std::fs::metadata(temp).unwrap().len() / 2;
            f.seek(SeekFrom::Start(middle)).unwrap();
            let byte = written[middle as usize] ^ 0x40;
            f.write_all(&[byte]).unwrap();
            count.fetch_add(1, Ordering::SeqCst);
        }
    });

    let catalog = Catalog::open(&tmp.path().join("c.sqlite")).unwrap();
    let ingestor = Ingestor::new(catalog.clone(), 1, None);
    let options = CardOptions {
        destination: lib.clone(),
        backup: None,
        layout: DEFAULT_LAYOUT.to_string(),
        event: None,
    };
    let summary = import_card(&ingestor, &[tmp.path().join("card")], &options)
        .await
        .unwrap();

    assert_eq!(corrupted.load(Ordering::SeqCst), 1, "the hook corrupted it");
    assert_eq!(summary.copied, 1, "{summary:?}");
    assert_eq!(summary.not_copied.len(), 1, "{summary:?}");
    let (path, reason) = &summary.not_copied[0];
    assert_eq!(path, &card.join("IMG_0002.JPG"));
    assert!(reason.contains("hash mismatch"), "{reason}");
    assert!(!summary.safe_to_format, "{summary:?}");
    assert!(
        summary.verdict.starts_with("Do not format"),
        "{}",
        summary.verdict
    );

    // Only the verified copy is in the library, under its real name; no staging
    // file, no other name.
    let placed = files_under(&lib);
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert_eq!(
        placed[0].file_name().unwrap().to_string_lossy(),
        "IMG_0001.JPG"
    );
    assert_eq!(std::fs::read(&placed[0]).unwrap(), good);
    let counts = catalog.read(|r| r.counts()).await.unwrap();
    assert_eq!((counts.photos, counts.locations), (1, 1));
    let bad_sha = sha_hex(&bad);
    assert!(catalog
        .read(move |r| r.photo_by_sha256(&bad_sha))
        .await
        .unwrap()
        .is_none());
    // The card is untouched.
    let card_after: Vec<_> = files_under(&card)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    assert_eq!(card_after, card_before);
}
