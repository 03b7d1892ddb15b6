//! Gallery catalog benchmark: keyset page queries on a 100,000-photo catalog.
//!   cargo bench --bench gallery
//!   FINDME_BENCH_KEEP=/tmp/a.sqlite cargo bench --bench gallery   # also keeps the catalog
//! Prints p50/p99 of a 200-tile page (what the grid loads) and of the full
//! `tiles` call through the engine (a later page, and a view's first page with
//! its count), beside the same SQL in the `sqlite3` shell.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use findme_catalog::{
    Catalog, FileContent, FileRecord, PhotoFacts, PhotoStatus, TileFilter, TileSort,
};
use findme_engine::{Engine, EngineConfig, TileCursor, TileQuery};

const PHOTOS: i64 = 100_000;
const QUERIES: usize = 2_000;
/// First pages of a view (each counts the whole set, as opening the gallery does).
const FIRST_PAGES: usize = 200;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (keys, seeded) = rt.block_on(seed(dir.path().join("catalog.sqlite")));
    // Closing joins the writer thread: not from inside the runtime.
    seeded.close();
    // A copy for query experiments (scripts/ab-tiles.py).
    if let Some(keep) = std::env::var_os("FINDME_BENCH_KEEP") {
        std::fs::copy(dir.path().join("catalog.sqlite"), &keep).expect("keep a copy");
    }

    // Catalog layer: one keyset page at random positions.
    let catalog = Catalog::open(&dir.path().join("catalog.sqlite")).expect("open");
    let mut catalog_times = Vec::with_capacity(QUERIES);
    for i in 0..QUERIES {
        let after = keys[(i * 7919) % keys.len()];
        let start = Instant::now();
        let page = catalog
            .read_blocking(|r| {
                r.tiles(
                    &TileFilter::All,
                    TileSort::Captured,
                    false,
                    Some(after),
                    200,
                )
            })
            .expect("page");
        catalog_times.push(start.elapsed());
        assert!(!page.is_empty() || after == *keys.last().unwrap_or(&after));
    }
    catalog.close();

    // Engine layer (what the Tauri command runs): later pages (DTO conversion),
    // and a view's first page, which also counts the filtered set.
    let (engine_times, first_page_times) = rt.block_on(async {
        let engine = Engine::open(EngineConfig::new(dir.path()))
            .await
            .expect("engine");
        let mut times = Vec::with_capacity(QUERIES);
        for i in 0..QUERIES {
            let (key, id) = keys[(i * 7919) % keys.len()];
            let start = Instant::now();
            engine
                .tiles(TileQuery {
                    after: Some(TileCursor { key, id }),
                    limit: 200,
                    ..TileQuery::default()
                })
                .await
                .expect("tiles");
            times.push(start.elapsed());
        }
        let mut first = Vec::with_capacity(FIRST_PAGES);
        for _ in 0..FIRST_PAGES {
            let start = Instant::now();
            let page = engine
                .tiles(TileQuery {
                    limit: 300,
                    ..TileQuery::default()
                })
                .await
                .expect("first page");
            first.push(start.elapsed());
            assert_eq!(page.total, Some(PHOTOS as u64));
        }
        engine.shutdown().await;
        (times, first)
    });

    // Reference: the sqlite3 shell running the page query (same file, same plan).
    let (key, id) = keys[keys.len() / 2];
    let sql = format!(
        "SELECT p.id, p.sha256, p.taken_ms FROM photos p WHERE (p.taken_ms, p.id) > ({key}, {id}) ORDER BY p.taken_ms, p.id LIMIT 200;\n"
    );
    let script = sql.repeat(200);
    let start = Instant::now();
    let out = std::process::Command::new("sqlite3")
        .arg(dir.path().join("catalog.sqlite"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .map(|mut s| s.write_all(script.as_bytes()));
            child.wait()
        });
    let sqlite_per_query = start.elapsed() / 200;
    let sqlite = match out {
        Ok(status) if status.success() => {
            format!("{:.2} ms (mean, incl. process start)", ms(sqlite_per_query))
        }
        _ => "sqlite3 not installed".to_string(),
    };

    println!("\n{PHOTOS} photos, {QUERIES} page queries of 200 tiles at random positions\n");
    println!("| measurement | p50 | p99 | reference | target |");
    println!("|---|---|---|---|---|");
    let (p50, p99) = percentiles(catalog_times);
    println!("| catalog tiles page (keyset) | {:.2} ms | {:.2} ms | sqlite3 shell, id/sha/time only: {sqlite} | p99 < 5 ms |", ms(p50), ms(p99));
    let (p50, p99) = percentiles(engine_times);
    println!(
        "| engine `tiles`, a later page (page + DTOs) | {:.2} ms | {:.2} ms | | |",
        ms(p50),
        ms(p99)
    );
    let (p50, p99) = percentiles(first_page_times);
    println!(
        "| engine `tiles`, a view's first page of 300 (+ count of all) | {:.2} ms | {:.2} ms | | |",
        ms(p50),
        ms(p99)
    );
}

/// The catalog seeded with [`PHOTOS`] photos, and every tile's keyset key.
async fn seed(path: PathBuf) -> (Vec<(i64, i64)>, Catalog) {
    let catalog = Catalog::open(&path).expect("open");
    for chunk in 0..(PHOTOS / 5_000) {
        catalog
            .write(move |w| {
                for i in chunk * 5_000..(chunk + 1) * 5_000 {
                    w.record_file(&record(i))?;
                }
                Ok(())
            })
            .await
            .expect("seed");
    }
    let keys = catalog
        .read(|r| {
            Ok(r.tiles(
                &TileFilter::All,
                TileSort::Captured,
                false,
                None,
                PHOTOS as u32,
            )?
            .iter()
            .map(|t| (t.taken_ms, t.id))
            .collect())
        })
        .await
        .expect("keys");
    (keys, catalog)
}

fn record(i: i64) -> FileRecord {
    FileRecord {
        path: PathBuf::from(format!("/event/{:03}/IMG_{i:06}.JPG", i / 1000)),
        size: 9_000_000,
        mtime_ns: i,
        content: FileContent::Photo(Box::new(PhotoFacts {
            sha256: format!("{i:064x}"),
            size: 9_000_000,
            format: "jpeg".into(),
            is_raw: false,
            status: PhotoStatus::Ok,
            error: None,
            captured_at: None,
            offset_from_exif: false,
            // Several cameras: capture order is not import order.
            taken_ms: 1_780_000_000_000 + (i * 7_919) % PHOTOS * 1_000,
            camera_make: Some("Canon".into()),
            camera_model: Some("Canon EOS R5".into()),
            camera_serial: None,
            lens: None,
            orientation: Some(1),
            width: Some(8192),
            height: Some(5464),
        })),
    }
}

fn percentiles(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    (at(0.5), at(0.99))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
