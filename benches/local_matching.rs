//! On-device matching benchmark, as a printed table: real photos from the dev set
//! (faces/ and camera-jpeg/, each copied `COPIES` times with a distinct trailer so
//! they are distinct photos) through the engine with the local backend, against
//! the face model alone on the same files in this process (the reference: no
//! OpenCV here; docs/face-model.md).
//!   cargo bench --bench local_matching
//! Rows: model alone (decode 2560 px + analyze, one thread); the pipeline
//! (import + match, `PHOTO_QUEUE_WORKERS` workers, default 2 here); a late
//! registrant and a threshold change, both matched from stored signatures.

use std::path::{Path, PathBuf};
use std::time::Instant;

use findme_engine::{Engine, EngineConfig, MatchBackend};
use findme_face_model::{AnalyzeOptions, FaceModel};
use findme_media::{classify_path, render_rgb, Classification};
use findme_testkit::{ev, pid};

const COPIES: usize = 3;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let devset = std::env::var_os("FINDME_DEVSET")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/devset"));
    let mut files = Vec::new();
    for dir in ["faces", "camera-jpeg"] {
        collect(&devset.join(dir), &mut files);
    }
    files.sort();
    assert!(!files.is_empty(), "no photos: run scripts/devset.sh");
    let workers = std::env::var("PHOTO_QUEUE_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .unwrap_or(2);

    println!("| run | photos | faces | wall | photos/s |");
    println!("|---|---|---|---|---|");
    reference(&files);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(pipeline(&devset, &files, workers));
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(kind(&path), Classification::Photo(_)) {
            out.push(path);
        }
    }
}

/// By file name only: the dev set sits under .cache, which ingest would skip as hidden.
fn kind(path: &Path) -> Classification {
    classify_path(Path::new(path.file_name().unwrap_or_default()))
}

/// The face model alone, one thread, each distinct file once.
fn reference(files: &[PathBuf]) {
    let model =
        FaceModel::load(&findme_testkit::models_dir()).expect("models: run scripts/models.sh");
    let options = AnalyzeOptions::default();
    let started = Instant::now();
    let (mut photos, mut faces) = (0, 0);
    for path in files {
        let Classification::Photo(format) = kind(path) else {
            continue;
        };
        let Ok(pixels) = render_rgb(path, format, 2560) else {
            continue;
        };
        faces += model.analyze(&pixels, &options).expect("analyze").len();
        photos += 1;
    }
    row("model alone, 1 thread", photos, faces, started);
}

async fn pipeline(devset: &Path, files: &[PathBuf], workers: usize) {
    let tmp = tempfile::tempdir().expect("tmp");
    let photos = tmp.path().join("photos");
    std::fs::create_dir_all(&photos).expect("photos dir");
    for copy in 0..COPIES {
        for (i, path) in files.iter().enumerate() {
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("jpg");
            let mut bytes = std::fs::read(path).expect("read");
            // Bytes after the image end change the hash, not the picture.
            bytes.extend_from_slice(format!("copy {copy}").as_bytes());
            std::fs::write(photos.join(format!("IMG_{copy}_{i:03}.{ext}")), bytes).expect("write");
        }
    }
    let mut config = EngineConfig::new(tmp.path().join("data"));
    config.matching.backend = MatchBackend::Local;
    config.matching.local.models_dir = findme_testkit::models_dir();
    config.matching.workers = Some(workers);
    let engine = Engine::open(config).await.expect("engine");
    engine
        .create_event(&ev("bench"), "Bench", None)
        .await
        .expect("event");
    let selfie = |name: &str| devset.join("faces/face_recognition").join(name);
    engine
        .add_participant(
            &ev("bench"),
            &pid("obama"),
            "Barack",
            Some(selfie("obama.jpg")),
            true,
        )
        .await
        .expect("participant");

    let started = Instant::now();
    engine.import(vec![photos.clone()]).await.expect("import");
    let report = engine.match_event(Some(&ev("bench"))).await.expect("match");
    row(
        &format!("import + match, {workers} workers"),
        report.photos as usize,
        report.faces as usize,
        started,
    );
    assert_eq!(report.failed, 0, "{report:?}");

    let started = Instant::now();
    engine
        .add_participant(
            &ev("bench"),
            &pid("biden"),
            "Joe",
            Some(selfie("biden.jpg")),
            true,
        )
        .await
        .expect("participant");
    let report = engine.match_event(Some(&ev("bench"))).await.expect("match");
    row(
        "late registrant (selfie + search of stored signatures)",
        report.photos as usize,
        report.faces as usize,
        started,
    );

    let started = Instant::now();
    engine
        .set_local_threshold(&ev("bench"), 0.5)
        .await
        .expect("threshold");
    let report = engine.match_event(Some(&ev("bench"))).await.expect("match");
    row(
        "threshold change (re-search of stored signatures)",
        report.photos as usize,
        report.faces as usize,
        started,
    );
    engine.shutdown().await;
}

fn row(name: &str, photos: usize, faces: usize, started: Instant) {
    let wall = started.elapsed().as_secs_f64();
    println!(
        "| {name} | {photos} | {faces} | {:.2} s | {:.2} |",
        wall,
        photos as f64 / wall
    );
}
