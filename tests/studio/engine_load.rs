//! The old server died when gallery scrolling exhausted its DB pool during a mass
//! upload. Here: 64 tasks page through the catalog non-stop while an import of
//! 1,500 photos writes, with a 2-connection pool and a 100 ms pool timeout.

use crate::support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use findme_engine::{CatalogOptions, Engine, EngineConfig, PhotoQuery};
use support::exif::Exif;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gallery_reads_never_fail_while_an_import_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    for i in 0..1500u32 {
        let exif = Exif::camera(
            "Canon",
            "Canon EOS R5",
            &format!(
                "2026:05:{:02} 12:{:02}:{:02}",
                1 + i / 3600,
                i / 60 % 60,
                i % 60
            ),
        );
        support::write_jpeg(
            &src.join(format!("{:03}/IMG_{i:04}.JPG", i / 100)),
            i,
            &exif,
        );
    }
    let mut config = EngineConfig::new(tmp.path().join("data"));
    config.catalog = CatalogOptions {
        readers: 2,
        reader_timeout: Duration::from_millis(100),
        ..CatalogOptions::default()
    };
    let engine = Engine::open(config).await.unwrap();

    let importing = Arc::new(AtomicBool::new(true));
    let reads = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for task in 0..64u32 {
        let (engine, importing, reads) = (engine.clone(), importing.clone(), reads.clone());
        readers.push(tokio::spawn(async move {
            while importing.load(Ordering::Acquire) {
                let page = engine
                    .photos(PhotoQuery {
                        after: None,
                        limit: 200,
                        newest_first: task % 2 == 0,
                        event: None,
                    })
                    .await
                    .expect("a gallery page read failed during import");
                if let Some(next) = page.next {
                    engine
                        .photos(PhotoQuery {
                            after: Some(next),
                            limit: 200,
                            newest_first: task % 2 == 0,
                            event: None,
                        })
                        .await
                        .expect("a second page read failed during import");
                }
                engine
                    .stats()
                    .await
                    .expect("a stats read failed during import");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let report = engine.import(vec![src]).await.expect("import");
    importing.store(false, Ordering::Release);
    for r in readers {
        r.await.expect("reader task panicked");
    }
    assert_eq!(report.imported, 1500);
    assert!(
        reads.load(Ordering::Relaxed) >= 64,
        "the readers barely ran"
    );
    assert_eq!(engine.stats().await.unwrap().catalog.photos, 1500);
    engine.shutdown().await;
}
