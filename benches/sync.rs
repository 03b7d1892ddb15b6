//! Push benchmark: photos matched with the Rekognition mock (no latency), then
//! pushed to the REAL reference event server (in-process, 127.0.0.1) over loopback.
//!   cargo bench --locked --bench sync            (1,000 photos, live: 200)
//!   cargo bench --locked --bench sync -- quick   (100 photos, live: 20)
//! Photos are 24 MP (6000x4000) camera-like JPEGs: dev set photos scaled up with a
//! few face squares painted in (8 variants, cached in target/bench-sync), each
//! file made unique by a COM segment; the per-run files live in a temp dir there.
//! Table 1, batch: `Engine::sync` from a state where every outbox row is pending
//! (background push off), beside vipsthumbnail making the same 2048 px renditions
//! and a raw loopback PUT of the renditions the server received (transfer alone).
//! Table 2, live: background push on while photos are written and imported one
//! at a time at a fixed rate; latency from the file being written to the outbox
//! row marked sent (the server acknowledged rendition and metadata).

#[path = "support/frames.rs"]
mod frames;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use findme_catalog::now_ms;
use findme_engine::{Engine, SyncTarget, Token};
use findme_event_server::Admin;
use findme_protocol::EventClient;
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::{MockConfig, MockServer};
use findme_testkit::venue;
use findme_testkit::{ev, pid};
use futures::StreamExt;
use tokio::sync::oneshot;

use frames::{pct, unique};

const BATCH: &str = "batch";
const LIVE: &str = "live";
const RAW: &str = "raw";
const PARTICIPANTS: usize = 3;
const VARIANTS: usize = 8;
const WIDTH: u32 = 6000;
const HEIGHT: u32 = 4000;
/// Live: one photo per interval (a busy photographer, sustained).
const LIVE_INTERVAL: Duration = Duration::from_millis(1000);
/// Pushes in flight for the raw upload (the push pool runs 4 workers).
const RAW_IN_FLIGHT: usize = 4;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    let (photos, live) = if quick { (100, 20) } else { (1000, 200) };
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-sync");
    let bases = base_variants(&cache);
    let root = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&cache)
        .expect("tmp");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run(root.path(), &bases, photos, live));
}

async fn run(root: &Path, bases: &[Vec<u8>], n: usize, n_live: usize) {
    let dir = root.join("photos");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let files: Vec<PathBuf> = (0..n)
        .map(|i| {
            let path = dir.join(format!("IMG_{i:05}.JPG"));
            std::fs::write(&path, unique(&bases[i % VARIANTS], i)).expect("write");
            path
        })
        .collect();
    let mock = findme_rekognition_mock::start(MockConfig::default()).await;
    let (base, tokens, _stop) = start_server(&root.join("server")).await;

    // Batch: match everything, then push it all with Engine::sync.
    let data = root.join("batch-data");
    let engine = venue::engine_with_mock(&data, &mock, None).await;
    let t = Instant::now();
    let imported = engine.import(vec![dir.clone()]).await.expect("import");
    let import_s = t.elapsed().as_secs_f64();
    setup_event(&engine, root, BATCH).await;
    let t = Instant::now();
    let matched = engine.match_event(Some(&ev(BATCH))).await.expect("match");
    let match_s = t.elapsed().as_secs_f64();
    let totals = outbox_totals(&engine, BATCH).await;
    let size = bases.iter().map(Vec::len).sum::<usize>() as f64 / VARIANTS as f64;
    println!(
        "\n{n} photos {WIDTH}x{HEIGHT} ({:.1} MB each), {} CPUs; import {import_s:.1} s \
         ({imported:?}); match {match_s:.1} s ({matched:?}); outbox pending {}\n",
        size / 1e6,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        totals.pending,
    );
    let sync_start = now_ms();
    let t = Instant::now();
    let report = engine
        .sync(&base, &ev(BATCH), Token::new(tokens[0].clone()))
        .await
        .expect("sync");
    let wall = t.elapsed();
    let rows = sent_rows(&data, BATCH);
    let client = EventClient::new(&base, Token::new(tokens[0].clone())).expect("client");
    let stats = client.stats(BATCH).await.expect("stats");
    if report.pushed != n as u64 || stats.photos != n as u64 || report.failed > 0 {
        println!("WARNING: pushed {report:?}, server holds {stats:?}, expected {n} photos");
    }
    let created: Vec<f64> = rows
        .iter()
        .map(|r| secs(r.sent_ms - r.created_ms))
        .collect();
    let since: Vec<f64> = rows.iter().map(|r| secs(r.sent_ms - sync_start)).collect();
    // What the server stored: the renditions, to size them and re-upload them raw.
    let renditions: Vec<Vec<u8>> = futures::stream::iter(rows.iter().map(|r| {
        let client = client.clone();
        let sha = r.sha256.clone();
        async move { client.photo_image(&sha).await.expect("image") }
    }))
    .buffered(8)
    .collect()
    .await;
    let bytes: Vec<f64> = renditions.iter().map(|r| r.len() as f64).collect();
    let raw = raw_upload(&base, &tokens[2], renditions).await;
    let vips = {
        let (files, out) = (files.clone(), root.join("vips"));
        tokio::task::spawn_blocking(move || vipsthumbnail(&files, &out))
            .await
            .expect("vips")
    };
    engine.shutdown().await;
    drop(files);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(root.join("vips"));

    println!("| batch | items | wall | items/s | MB/s | KB/rendition mean (p50/p95) | outbox created→sent p50/p95 | sync start→sent p50/p95 |");
    println!("|---|---|---|---|---|---|---|---|");
    let total = report.bytes as f64;
    println!(
        "| Engine::sync (render 2048 q85 + PUT image + PUT metadata, 4 workers) | {} | {:.1} s | {:.2} photos/s | {:.1} | {} | {} | {} |",
        report.pushed,
        wall.as_secs_f64(),
        report.pushed as f64 / wall.as_secs_f64(),
        total / 1e6 / wall.as_secs_f64(),
        kb(&bytes),
        pair(&created),
        pair(&since),
    );
    match vips {
        Some((took, out)) => println!(
            "| vipsthumbnail --size 2048 Q=85, same files | {n} | {:.1} s | {:.2} renditions/s | {:.1} | {} | – | – |",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            out.iter().sum::<f64>() / 1e6 / took.as_secs_f64(),
            kb(&out),
        ),
        None => println!("| vipsthumbnail not installed | | | | | | | |"),
    }
    let (took, sent) = raw;
    println!(
        "| raw PUT image of the same renditions ({RAW_IN_FLIGHT} in flight, loopback) | {} | {:.1} s | {:.2} uploads/s | {:.1} | {} | – | – |",
        bytes.len(),
        took.as_secs_f64(),
        bytes.len() as f64 / took.as_secs_f64(),
        sent as f64 / 1e6 / took.as_secs_f64(),
        kb(&bytes),
    );

    live(root, bases, &mock, &base, &tokens[1], n_live).await;
    mock.shutdown().await;
}

/// Background push on; photos written and imported one at a time.
async fn live(
    root: &Path,
    bases: &[Vec<u8>],
    mock: &MockServer,
    base: &str,
    token: &str,
    n: usize,
) {
    let data = root.join("live-data");
    let target = SyncTarget {
        server: base.to_string(),
        event: ev(LIVE),
        token: Token::new(token),
    };
    let engine = venue::engine_with_mock(&data, mock, Some(target)).await;
    setup_event(&engine, root, LIVE).await;
    engine.start_workers();
    let dir = root.join("live");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let mut shutter: HashMap<String, i64> = HashMap::new();
    let mut behind = Duration::ZERO;
    let start = Instant::now();
    for i in 0..n {
        let due = start + LIVE_INTERVAL * i as u32;
        tokio::time::sleep_until(due.into()).await;
        behind = behind.max(due.elapsed());
        let name = format!("LIVE_{i:05}.JPG");
        let path = dir.join(&name);
        // Distinct from the batch photos: the server keys images by SHA-256.
        let bytes = unique(&bases[i % VARIANTS], 1_000_000 + i);
        shutter.insert(name, now_ms());
        std::fs::write(&path, bytes).expect("write");
        engine.import(vec![path]).await.expect("import");
    }
    let shot = start.elapsed();
    let deadline = Instant::now() + Duration::from_secs(600);
    let rows = loop {
        let rows = first_sent(sent_rows(&data, LIVE));
        let pending = outbox_totals(&engine, LIVE).await.pending;
        if (rows.len() >= n && pending == 0) || Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let drained = start.elapsed();
    let client = EventClient::new(base, Token::new(token)).expect("client");
    let stats = client.stats(LIVE).await.expect("stats");
    engine.shutdown().await;
    if rows.len() != n || stats.photos != n as u64 {
        println!(
            "WARNING: live: {} of {n} sent, server holds {stats:?}",
            rows.len()
        );
    }
    let mut queued = Vec::new();
    let mut visible = Vec::new();
    for r in &rows {
        if let Some(at) = shutter.get(&r.name) {
            queued.push(secs(r.created_ms - at));
            visible.push(secs(r.sent_ms - at));
        }
    }
    println!("\n| live (background push, thumbnails + matching + push together) | photos | shooting | shutter→queued for push p50/p95 | shutter→on server p50 | p95 | max | all on server after |");
    println!("|---|---|---|---|---|---|---|---|");
    visible.sort_by(f64::total_cmp);
    println!(
        "| 1 photo / {:.1} s, import per file (max {:.0} ms behind) | {} | {:.1} s | {} | {:.2} s | {:.2} s | {:.2} s | {:.1} s |",
        LIVE_INTERVAL.as_secs_f64(),
        behind.as_secs_f64() * 1e3,
        visible.len(),
        shot.as_secs_f64(),
        pair(&queued),
        pct(&visible, 0.5),
        pct(&visible, 0.95),
        visible.last().copied().unwrap_or(f64::NAN),
        drained.as_secs_f64(),
    );
}

/// Creates `event` with its participants; the photos catalogued so far join it.
async fn setup_event(engine: &Engine, root: &Path, event: &str) {
    engine
        .create_event(&ev(event), event, None)
        .await
        .expect("event");
    engine
        .assign(&ev(event), findme_engine::Selection::All)
        .await
        .expect("photos join the event");
    for p in 0..PARTICIPANTS {
        let selfie = root.join(format!("selfies/p{p:02}.jpg"));
        std::fs::create_dir_all(selfie.parent().expect("parent")).expect("mkdir");
        std::fs::write(&selfie, synth::selfie(p)).expect("selfie");
        let id = format!("p{p:02}");
        engine
            .add_participant(&ev(event), &pid(&id), &id, Some(selfie), true)
            .await
            .expect("participant");
    }
}

/// The reference server with the three events; stops when the sender drops.
async fn start_server(data: &Path) -> (String, Vec<String>, oneshot::Sender<()>) {
    let admin = Admin::open(data).expect("admin");
    let tokens = [BATCH, LIVE, RAW]
        .iter()
        .map(|e| {
            admin
                .create_event(e, Some(e))
                .expect("event")
                .photographer_token
        })
        .collect();
    drop(admin);
    let (base, stop) = venue::serve_on_any_port(data).await;
    (base, tokens, stop)
}

async fn outbox_totals(engine: &Engine, event: &str) -> findme_catalog::OutboxTotals {
    let event = event.to_string();
    engine
        .catalog()
        .read(move |r| r.outbox_totals(Some(&event), i64::MAX))
        .await
        .expect("outbox")
}

struct Sent {
    name: String,
    sha256: String,
    created_ms: i64,
    sent_ms: i64,
}

/// Sent 'photo' rows of `event` with the photo's file name, read from the
/// catalog file from outside (the catalog's Inspector).
fn sent_rows(data: &Path, event: &str) -> Vec<Sent> {
    let catalog = findme_testkit::inspect(data).expect("catalog");
    catalog
        .sent_photos(event)
        .expect("sent photos")
        .into_iter()
        .map(|row| Sent {
            name: row
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            sha256: row.sha256,
            created_ms: row.created_ms,
            sent_ms: row.sent_ms,
        })
        .collect()
}

/// The first sent row of each photo (a re-match may push a photo again).
fn first_sent(rows: Vec<Sent>) -> Vec<Sent> {
    let mut seen = std::collections::HashSet::new();
    rows.into_iter()
        .filter(|r| seen.insert(r.sha256.clone()))
        .collect()
}

/// PUT the renditions as images of the RAW event under made-up SHA-256s.
async fn raw_upload(base: &str, token: &str, renditions: Vec<Vec<u8>>) -> (Duration, u64) {
    let client = EventClient::new(base, Token::new(token)).expect("client");
    let total: u64 = renditions.iter().map(|r| r.len() as u64).sum();
    let t = Instant::now();
    futures::stream::iter(renditions.into_iter().enumerate().map(|(i, jpeg)| {
        let client = client.clone();
        async move {
            client
                .put_image(RAW, &format!("{i:064x}"), jpeg)
                .await
                .expect("raw put");
        }
    }))
    .buffer_unordered(RAW_IN_FLIGHT)
    .collect::<Vec<()>>()
    .await;
    (t.elapsed(), total)
}

/// Time for `vipsthumbnail --size 2048 -o <out>/%s.jpg[Q=85]` over all files (in
/// runs of 100 per process) and the sizes of its outputs; None if not installed.
fn vipsthumbnail(files: &[PathBuf], out: &Path) -> Option<(Duration, Vec<f64>)> {
    Command::new("vipsthumbnail")
        .arg("--version")
        .output()
        .ok()?;
    std::fs::create_dir_all(out).expect("mkdir");
    let pattern = format!("{}/%s.jpg[Q=85]", out.display());
    let t = Instant::now();
    for chunk in files.chunks(100) {
        let status = Command::new("vipsthumbnail")
            .args(["--size", "2048", "-o", &pattern])
            .args(chunk)
            .status()
            .expect("vipsthumbnail");
        assert!(status.success(), "vipsthumbnail failed: {status}");
    }
    let took = t.elapsed();
    let sizes = std::fs::read_dir(out)
        .expect("read")
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len() as f64)
        .collect();
    Some((took, sizes))
}

/// Eight 24 MP variants (dev set photos scaled up, or synthetic grain without the
/// dev set), 0-2 painted faces each, encoded once at quality 92 (4:2:0).
fn base_variants(cache: &Path) -> Vec<Vec<u8>> {
    std::fs::create_dir_all(cache).expect("mkdir");
    let devset = std::env::var_os("FINDME_DEVSET")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/devset"));
    let mut sources: Vec<PathBuf> = std::fs::read_dir(devset.join("camera-jpeg"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    sources.retain(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        name.is_some_and(|n| {
            (n.starts_with("mate_") || n.starts_with("plasma_")) && n.ends_with(".jpg")
        })
    });
    sources.sort();
    (0..VARIANTS)
        .map(|v| {
            let path = cache.join(format!("base-{v}.jpg"));
            if let Ok(bytes) = std::fs::read(&path) {
                return bytes;
            }
            eprintln!("generating {} (once)...", path.display());
            let faces: Vec<SynthFace> = (0..v % 3)
                .map(|k| SynthFace {
                    // One participant and one stranger at most.
                    person: if k == 0 { v % PARTICIPANTS } else { 8 + v },
                    left: 900 + k as u32 * 2600,
                    top: 1200,
                    size: 420,
                })
                .collect();
            let img = match sources.get(v % sources.len().max(1)) {
                Some(src) => {
                    let mut img = image::open(src)
                        .expect("dev set photo")
                        .resize_exact(WIDTH, HEIGHT, image::imageops::FilterType::Triangle)
                        .to_rgb8();
                    for f in &faces {
                        for y in f.top..f.top + f.size {
                            for x in f.left..f.left + f.size {
                                img.put_pixel(x, y, image::Rgb(synth::palette(f.person)));
                            }
                        }
                    }
                    img
                }
                None => synth::render(WIDTH, HEIGHT, &faces, v as u64),
            };
            let bytes = synth::encode_jpeg(&img, 92);
            std::fs::write(&path, &bytes).expect("write");
            bytes
        })
        .collect()
}

fn secs(ms: i64) -> f64 {
    ms as f64 / 1e3
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

/// "p50 / p95 s".
fn pair(values: &[f64]) -> String {
    let v = sorted(values);
    format!("{:.2} / {:.2} s", pct(&v, 0.5), pct(&v, 0.95))
}

/// "mean (p50/p95)" in KB.
fn kb(bytes: &[f64]) -> String {
    let v = sorted(bytes);
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    format!(
        "{:.0} ({:.0}/{:.0})",
        mean / 1e3,
        pct(&v, 0.5) / 1e3,
        pct(&v, 0.95) / 1e3
    )
}
