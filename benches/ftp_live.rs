//! Shutter to guest over FTP: a camera (benches/ftp_camera.py, Python's ftplib,
//! one session) sends camera-size JPEGs with real faces at 1 frame/s with a
//! burst of 10 every 30 s to the engine's FTP receiver; the on-device matcher
//! matches them against two participants and the background push sends them to
//! the REAL reference event server on loopback (every searched photo published).
//! Prints arrival (transfer complete) → acknowledged by the server, per photo,
//! with the machine's load.
//!   cargo bench --locked --bench ftp_live            (300 frames)
//!   cargo bench --locked --bench ftp_live -- quick   (40 frames)
//! Material: 8 variants of 24 MP (6000x4000): a dev-set camera photo scaled up
//! with 1-3 real face photos from the dev set pasted in (cached in
//! target/bench-ftp), each frame made unique by a COM segment.

#[path = "support/frames.rs"]
mod frames;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use findme_engine::{
    CameraAccount, Engine, EngineConfig, EventChoice, FtpOptions, MatchBackend, SyncTarget, Token,
};
use findme_event_server::Admin;
use findme_testkit::{ev, pid, venue};

use frames::{pct, unique};

const EVENT: &str = "live";
const VARIANTS: usize = 8;
const WIDTH: u32 = 6000;
const HEIGHT: u32 = 4000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let frames = if args.iter().any(|a| a == "quick") {
        40
    } else {
        300
    };
    let cache = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-ftp");
    let bases = base_variants(&cache);
    let root = tempfile::Builder::new()
        .prefix("run-")
        .tempdir_in(&cache)
        .expect("tmp");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run(root.path(), &bases, frames));
}

async fn run(root: &Path, bases: &[Vec<u8>], frames: usize) {
    let shots = root.join("camera");
    std::fs::create_dir_all(&shots).expect("mkdir");
    let files: Vec<PathBuf> = (0..frames)
        .map(|i| {
            let path = shots.join(format!("DSC_{i:04}.JPG"));
            std::fs::write(&path, unique(&bases[i % VARIANTS], i)).expect("write");
            path
        })
        .collect();
    let admin = Admin::open(&root.join("server")).expect("admin");
    let token = admin
        .create_event(EVENT, Some(EVENT))
        .expect("event")
        .photographer_token;
    drop(admin);
    let (base, _stop) = venue::serve_on_any_port(&root.join("server")).await;

    let mut config = EngineConfig::new(root.join("data"));
    config.matching.backend = MatchBackend::Local;
    config.matching.local.models_dir = findme_testkit::models_dir();
    config.matching.workers = Some(2);
    config.sync = Some(SyncTarget {
        server: base.clone(),
        event: ev(EVENT),
        token: Token::new(token),
    });
    let engine = Engine::open(config).await.expect("engine");
    engine
        .create_event_with(&ev(EVENT), EVENT, Some(MatchBackend::Local), None)
        .await
        .expect("event");
    engine
        .set_publish_choice(&ev(EVENT), findme_engine::PublishChoice::All)
        .await
        .expect("publish all");
    let faces = findme_testkit::devset().join("faces/face_recognition");
    for who in ["obama", "biden"] {
        engine
            .add_participant(
                &ev(EVENT),
                &pid(who),
                who,
                Some(faces.join(format!("{who}.jpg"))),
                true,
            )
            .await
            .expect("participant");
    }
    engine.start_watching().await.expect("workers");
    let camera = engine
        .add_camera_account(CameraAccount::parse("z9").expect("name"))
        .await
        .expect("account");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    engine
        .start_ftp(FtpOptions {
            port: Some(port),
            dir: Some(root.join("library")),
            event: Some(EventChoice::Event(ev(EVENT))),
            ..FtpOptions::default()
        })
        .await
        .expect("receiver");

    let started = Instant::now();
    let sender = Command::new("python3")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/ftp_camera.py"))
        .args([
            "127.0.0.1",
            &port.to_string(),
            &camera.user,
            &camera.password,
        ])
        .args(&files)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut load = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(frames as u64 * 3 + 300);
    loop {
        load.push(loadavg());
        let stats = engine.stats().await.expect("stats");
        if stats.live.ftp.photos as usize >= frames {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not every frame reached the server"
        );
        tokio::time::sleep(Duration::from_millis(1000)).await;
    }
    let wall = started.elapsed();
    let out = sender.wait_with_output().expect("camera");
    assert!(out.status.success(), "the camera's uploads failed");
    let transfer: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1)?.parse().ok())
        .collect();
    let latencies = engine
        .catalog()
        .read(|r| r.arrival_latencies(10_000))
        .await
        .expect("latencies");
    let mut ms: Vec<f64> = latencies.iter().map(|l| l.latency_ms as f64).collect();
    ms.sort_by(f64::total_cmp);
    let mut transfer = transfer;
    transfer.sort_by(f64::total_cmp);
    let mean_load = load.iter().sum::<f64>() / load.len().max(1) as f64;
    let peak_load = load.iter().cloned().fold(0.0, f64::max);
    println!("| frames | camera transfer p50 / p95 | arrival → acknowledged p50 | p95 | max | wall | load (1-min avg, mean / peak, {} cores) |", cores());
    println!("|---|---|---|---|---|---|---|");
    println!(
        "| {frames} (1/s, burst of 10 every 30 s; 24 MP, faces) | {:.2} s / {:.2} s | {:.1} s | {:.1} s | {:.1} s | {:.0} s | {mean_load:.2} / {peak_load:.2} |",
        pct(&transfer, 0.5) / 1e3,
        pct(&transfer, 0.95) / 1e3,
        pct(&ms, 0.5) / 1e3,
        pct(&ms, 0.95) / 1e3,
        ms.last().copied().unwrap_or(f64::NAN) / 1e3,
        wall.as_secs_f64(),
    );
    engine.shutdown().await;
}

/// 8 camera-size variants: a dev-set photo scaled to 24 MP with 1-3 dev-set
/// face photos pasted in at a natural size.
fn base_variants(cache: &Path) -> Vec<Vec<u8>> {
    std::fs::create_dir_all(cache).expect("mkdir");
    let devset = findme_testkit::devset();
    let list = |dir: &str, keep: &dyn Fn(&str) -> bool| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(devset.join(dir))
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        v.retain(|p| p.file_name().is_some_and(|n| keep(&n.to_string_lossy())));
        v.sort();
        v
    };
    let backgrounds = list("camera-jpeg", &|n| {
        n.starts_with("mate_") && n.ends_with(".jpg")
    });
    let mut faces = list("faces/face_recognition", &|n| {
        n.starts_with("obama") && n.ends_with(".jpg") && !n.contains("partial") && n != "obama.jpg"
    });
    faces.extend(list("faces/dlib", &|n| {
        n.starts_with("20") && n.ends_with(".jpg")
    }));
    assert!(
        !backgrounds.is_empty() && !faces.is_empty(),
        "run scripts/devset.sh"
    );
    (0..VARIANTS)
        .map(|v| {
            let path = cache.join(format!("base-{v}.jpg"));
            if let Ok(bytes) = std::fs::read(&path) {
                return bytes;
            }
            eprintln!("generating {} (once)...", path.display());
            let mut img = image::open(&backgrounds[v % backgrounds.len()])
                .expect("dev set photo")
                .resize_exact(WIDTH, HEIGHT, image::imageops::FilterType::Triangle)
                .to_rgb8();
            for k in 0..=(v % 3) {
                let face = image::open(&faces[(v * 3 + k) % faces.len()])
                    .expect("face photo")
                    .resize(1400, 1400, image::imageops::FilterType::Triangle)
                    .to_rgb8();
                let x = 300 + k as i64 * 1900;
                image::imageops::overlay(&mut img, &face, x, 1100);
            }
            let mut bytes = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 92)
                .encode_image(&img)
                .expect("encode");
            std::fs::write(&path, &bytes).expect("write");
            bytes
        })
        .collect()
}

fn loadavg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
