//! Face analysis speed on real photos: decode (render_rgb at 2560 px), detection
//! (YuNet on a ≤ 1280 px copy) and embedding (SFace per face), with 1 and 2 worker
//! threads sharing one model, plus peak memory. Prints tables for docs/face-model.md.
//!
//!   cargo bench -p findme-face-model
//!
//! Photos: the dev set's camera JPEGs (2000-6000 px, mostly without people) and the
//! face photos of ≥ 900 px (1-25 faces). Needs scripts/devset.sh and scripts/models.sh.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use findme_face_model::{AnalyzeOptions, FaceModel, UprightRgb};
use findme_media::{classify_path, render_rgb, Classification, Format};

const DECODE_EDGE: u32 = 2560;
const PASSES: usize = 2;

struct Photo {
    path: PathBuf,
    format: Format,
}

struct Timing {
    decode: Duration,
    detect: Duration,
    embed: Duration,
    faces: usize,
    size: (u32, u32),
}

use findme_testkit::devset;

fn photos() -> Vec<Photo> {
    let set = devset();
    let mut paths: Vec<PathBuf> = Vec::new();
    for sub in [
        "camera-jpeg",
        "faces/face_recognition",
        "faces/dlib",
        "faces",
    ] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(set.join(sub))
            .unwrap_or_else(|e| panic!("{sub}: {e}"))
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        paths.extend(found);
    }
    paths
        .into_iter()
        .filter_map(|path| {
            let name = Path::new(path.file_name()?);
            match classify_path(name) {
                Classification::Photo(format @ (Format::Jpeg | Format::Png)) => {
                    Some(Photo { path, format })
                }
                _ => None,
            }
        })
        // Only photos of at least 900 px (the VOC snapshots are 500 px).
        .filter(|p| {
            render_rgb(&p.path, p.format, 100_000)
                .map(|i| i.width.max(i.height) >= 900)
                .unwrap_or(false)
        })
        .collect()
}

fn analyze(model: &FaceModel, photo: &Photo) -> Timing {
    let options = AnalyzeOptions::default();
    let started = Instant::now();
    let image: UprightRgb =
        render_rgb(&photo.path, photo.format, DECODE_EDGE).expect("decodable photo");
    let decoded = Instant::now();
    let faces = model.detect(&image, &options).expect("detect");
    let detected = Instant::now();
    for face in &faces {
        model.embed(&image, face).expect("embed");
    }
    Timing {
        decode: decoded - started,
        detect: detected - decoded,
        embed: detected.elapsed(),
        faces: faces.len(),
        size: (image.width, image.height),
    }
}

/// Process CPU time (user + system) from /proc/self/stat, in clock ticks of 10 ms.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, s)| s).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields after the command: state is index 0, utime 11, stime 12.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// All `photos` PASSES times over `threads` workers pulling from one queue; returns
/// (wall, cpu) for the run.
fn run(model: &FaceModel, photos: &[&Photo], threads: usize) -> (Duration, Duration) {
    let next = AtomicUsize::new(0);
    let total = photos.len() * PASSES;
    let (wall, cpu) = (Instant::now(), cpu_time());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                analyze(model, photos[i % photos.len()]);
            });
        }
    });
    (wall.elapsed(), cpu_time() - cpu)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let started = Instant::now();
    let model = FaceModel::load(&findme_testkit::models_dir())
        .unwrap_or_else(|e| panic!("{e}\n(run scripts/models.sh)"));
    println!(
        "model load: {:.0} ms, peak RSS {:.0} MB",
        ms(started.elapsed()),
        peak_rss_mb()
    );
    let photos = photos();
    println!("photos: {}", photos.len());

    // Cold pass: fills the per-size detection plans (reported separately).
    let cold = Instant::now();
    for p in &photos {
        analyze(&model, p);
    }
    println!(
        "cold pass (plans built): {:.0} ms, peak RSS {:.0} MB (1 thread)",
        ms(cold.elapsed()),
        peak_rss_mb()
    );

    println!();
    println!("| photo | upright px | faces | decode ms | detect ms | embed ms | ms/face |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut timings = Vec::new();
    for p in &photos {
        let t = analyze(&model, p);
        let name = p.path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let per_face = if t.faces > 0 {
            format!("{:.0}", ms(t.embed) / t.faces as f64)
        } else {
            "-".to_string()
        };
        println!(
            "| {name} | {}×{} | {} | {:.0} | {:.0} | {:.0} | {per_face} |",
            t.size.0,
            t.size.1,
            t.faces,
            ms(t.decode),
            ms(t.detect),
            ms(t.embed)
        );
        timings.push(t);
    }
    let n = timings.len() as f64;
    let faces: usize = timings.iter().map(|t| t.faces).sum();
    let sum = |f: fn(&Timing) -> Duration| timings.iter().map(f).sum::<Duration>();
    println!(
        "| **mean** | | {:.1} | {:.0} | {:.0} | {:.0} | {:.0} |",
        faces as f64 / n,
        ms(sum(|t| t.decode)) / n,
        ms(sum(|t| t.detect)) / n,
        ms(sum(|t| t.embed)) / n,
        ms(sum(|t| t.embed)) / faces.max(1) as f64
    );

    let typical: Vec<&Photo> = photos
        .iter()
        .zip(&timings)
        .filter(|(_, t)| t.faces <= 4)
        .map(|(p, _)| p)
        .collect();
    let all: Vec<&Photo> = photos.iter().collect();
    println!();
    println!("| set | threads | photos/s | CPU ms/photo | wall ms/photo |");
    println!("|---|---:|---:|---:|---:|");
    for threads in [1, 2] {
        for (label, set) in [("all", &all), ("≤ 4 faces", &typical)] {
            let (wall, cpu) = run(&model, set, threads);
            let count = (set.len() * PASSES) as f64;
            println!(
                "| {label} ({} photos) | {threads} | {:.2} | {:.0} | {:.0} |",
                set.len(),
                count / wall.as_secs_f64(),
                ms(cpu) / count,
                ms(wall) / count
            );
        }
        println!(
            "| peak RSS after {threads} thread(s): {:.0} MB | | | | |",
            peak_rss_mb()
        );
    }
    println!();
    println!("peak RSS (VmHWM): {:.0} MB", peak_rss_mb());
}
