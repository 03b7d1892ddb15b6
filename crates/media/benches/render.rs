//! Rendition benchmark: prints a markdown table; run with
//!   FINDME_DEVSET=/path/to/devset cargo bench -p findme-media --bench render
//! (env FINDME_BENCH_RENDER: number of photos, default 40). The reference is
//! libvips' `vipsthumbnail` (shrink-on-load), run in the same session on the same
//! files. Test material is generated once into <workspace>/.cache/bench/render24mp/.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use findme_media::{render, Format, RawKind, RenditionRequest};

const THUMB: RenditionRequest = RenditionRequest {
    long_edge: 320,
    quality: 80,
};
const PREVIEW: RenditionRequest = RenditionRequest {
    long_edge: 2048,
    quality: 85,
};

fn main() {
    // Test runners probe every target with `--list`: a benchmark is not a test.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let workspace = findme_testkit::workspace_root();
    let workspace = workspace.canonicalize().unwrap_or(workspace);
    let devset = findme_testkit::devset();
    let count: usize = std::env::var("FINDME_BENCH_RENDER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let dir = workspace.join(".cache/bench/render24mp");
    let files = material(&dir, &devset, count);
    let bytes: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let out = tempfile::tempdir().expect("tmp");
    let vips_version = Command::new("vipsthumbnail")
        .arg("--vips-version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "vipsthumbnail missing".to_string());

    // Warm the page cache, then time every side twice and keep the better run. The
    // rounds interleave the tools, so a change in machine load hits them alike.
    for file in &files {
        std::fs::read(file).expect("read");
    }
    let cr2 = devset.join("raw/CanonEOS30D_IMG_5952.CR2");
    let cr2_runs = vec![cr2; count];
    let load_before = load_average();
    let mut best = [Duration::MAX; 8];
    for _round in 0..2 {
        let runs = [
            ours(&files, &[THUMB]),
            vipsthumbnail(&files, 320, 80, out.path(), None),
            vipsthumbnail(&files, 320, 80, out.path(), Some(1)),
            ours(&files, &[THUMB, PREVIEW]),
            vipsthumbnail(&files, 2048, 85, out.path(), None),
            vipsthumbnail(&files, 2048, 85, out.path(), Some(1)),
            raws(&cr2_runs, &[THUMB]),
            raws(&cr2_runs, &[THUMB, PREVIEW]),
        ];
        for (b, run) in best.iter_mut().zip(runs) {
            *b = (*b).min(run);
        }
    }
    let [ours_thumb, vips_thumb, vips_thumb_1, ours_both, vips_preview, vips_preview_1, cr2_thumb, cr2_both] =
        best;
    let load_after = load_average();

    let n = files.len() as f64;
    let per = |d: Duration| d.as_secs_f64() * 1000.0 / n;
    let rate = |d: Duration| n / d.as_secs_f64();
    println!(
        "\n{} distinct 6000×4000 JPEGs ({:.1} MB each, quality 92, 4:2:0), page cache warm, \
         best of 2 runs; {vips_version}; {} CPU cores\n",
        files.len(),
        bytes as f64 / 1e6 / n,
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );
    println!("| task | tool | ms / photo | photos / s |");
    println!("| --- | --- | ---: | ---: |");
    let row = |task: &str, tool: &str, d: Duration| {
        println!("| {task} | {tool} | {:.1} | {:.1} |", per(d), rate(d));
    };
    row("thumbnail 320 px", "findme render (1 thread)", ours_thumb);
    row(
        "thumbnail 320 px",
        "vipsthumbnail --size 320 (default threads)",
        vips_thumb,
    );
    row(
        "thumbnail 320 px",
        "vipsthumbnail --size 320, VIPS_CONCURRENCY=1",
        vips_thumb_1,
    );
    row(
        "thumbnail 320 + preview 2048",
        "findme render, one decode (1 thread)",
        ours_both,
    );
    row(
        "thumbnail 320 + preview 2048",
        "vipsthumbnail 320, then 2048 (default threads)",
        vips_thumb + vips_preview,
    );
    row(
        "thumbnail 320 + preview 2048",
        "vipsthumbnail 320, then 2048, VIPS_CONCURRENCY=1",
        vips_thumb_1 + vips_preview_1,
    );
    row(
        "CR2 embedded preview → 320",
        "findme render (1 thread)",
        cr2_thumb,
    );
    row(
        "CR2 embedded preview → 320 + 2048",
        "findme render (1 thread)",
        cr2_both,
    );
    println!("\nload average (1 min) before/after the runs: {load_before} / {load_after}");
    println!(
        "\nvipsthumbnail runs as one process over all files (`vipsthumbnail --size N -o \
         DIR/%s.jpg[Q=q] FILES…`); by default libvips starts a worker pool of one thread \
         per core for each image, so its 'default threads' rows use both cores. Qualities: \
         thumbnail 80, preview 85 for both tools.\n"
    );
}

/// The 1-minute load average (other work on the machine skews every timing).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".to_string())
}

fn ours(files: &[PathBuf], requests: &[RenditionRequest]) -> Duration {
    let start = Instant::now();
    for file in files {
        let out = render(file, Format::Jpeg, requests).expect("render");
        assert_eq!(out.outputs.len(), requests.len());
    }
    start.elapsed()
}

fn raws(files: &[PathBuf], requests: &[RenditionRequest]) -> Duration {
    let start = Instant::now();
    for file in files {
        let out = render(file, Format::Raw(RawKind::Cr2), requests).expect("render CR2");
        assert_eq!(out.outputs.len(), requests.len());
    }
    start.elapsed()
}

fn vipsthumbnail(
    files: &[PathBuf],
    size: u32,
    quality: u8,
    out: &Path,
    threads: Option<usize>,
) -> Duration {
    let mut command = Command::new("vipsthumbnail");
    command
        .arg("--size")
        .arg(size.to_string())
        .arg("-o")
        .arg(format!("{}/%s.jpg[Q={quality}]", out.display()))
        .args(files);
    if let Some(threads) = threads {
        command.env("VIPS_CONCURRENCY", threads.to_string());
    }
    let start = Instant::now();
    let status = command
        .status()
        .expect("run vipsthumbnail (apt install libvips-tools)");
    let took = start.elapsed();
    assert!(status.success(), "vipsthumbnail failed");
    took
}

/// `count` distinct camera-like 24 MP JPEGs: the dev set's 5640×3172 Sony photo,
/// cropped to 3:2 and scaled up once, then per file given its own sensor-like noise
/// (which also brings the size to a camera's ~8-10 MB) and encoded at quality 92
/// with an EXIF block (orientation 1, 160×107 thumbnail), as cameras write them.
fn material(dir: &Path, devset: &Path, count: usize) -> Vec<PathBuf> {
    let files: Vec<PathBuf> = (0..count)
        .map(|i| dir.join(format!("DSC{i:05}.JPG")))
        .collect();
    if files.iter().all(|f| f.is_file()) {
        return files;
    }
    eprintln!(
        "generating {count} 24 MP JPEGs in {} (once)...",
        dir.display()
    );
    std::fs::create_dir_all(dir).expect("mkdir");
    let source = std::fs::read(devset.join("camera-jpeg/mate_Elephants_5640x3172_SonyRX100M4.jpg"))
        .expect("dev set photo (set FINDME_DEVSET or run scripts/devset.sh)");
    let decoded = turbojpeg::decompress(&source, turbojpeg::PixelFormat::RGB).expect("decode");
    let (sw, sh) = (decoded.width as u32, decoded.height as u32);
    let crop_w = f64::from(sh) * 1.5;
    let base = resize(
        &decoded.pixels,
        (sw, sh),
        (f64::from(sw) - crop_w) / 2.0,
        crop_w,
        (6000, 4000),
    );
    let thumb = resize(&base, (6000, 4000), 0.0, 6000.0, (160, 107));
    let thumb = encode(&thumb, 160, 107, 80);
    let exif = exif_block(&thumb);
    for (i, file) in files.iter().enumerate() {
        if file.is_file() {
            continue;
        }
        let mut pixels = base.clone();
        let mut state =
            0x9E37_79B9_7F4A_7C15u64 ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03);
        for chunk in pixels.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for (p, noise) in chunk.iter_mut().zip(state.to_le_bytes()) {
                // Triangular noise of ±10 levels.
                let n = i32::from(noise & 0x0F) + i32::from(noise >> 4) - 15;
                *p = (i32::from(*p) + n * 2 / 3).clamp(0, 255) as u8;
            }
        }
        let jpeg = encode(&pixels, 6000, 4000, 92);
        let mut out = Vec::with_capacity(jpeg.len() + exif.len() + 4);
        out.extend_from_slice(&jpeg[..2]);
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&exif);
        out.extend_from_slice(&jpeg[2..]);
        std::fs::write(file, out).expect("write");
    }
    files
}

fn resize(src: &[u8], size: (u32, u32), left: f64, width: f64, to: (u32, u32)) -> Vec<u8> {
    let src = ImageRef::new(size.0, size.1, src, PixelType::U8x3).expect("image");
    let mut dst = Image::new(to.0, to.1, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(left, 0.0, width, f64::from(size.1));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .expect("resize");
    dst.into_vec()
}

fn encode(pixels: &[u8], width: usize, height: usize, quality: i32) -> Vec<u8> {
    let mut compressor = turbojpeg::Compressor::new().expect("compressor");
    compressor.set_quality(quality);
    compressor.set_subsamp(turbojpeg::Subsamp::Sub2x2);
    compressor
        .compress_to_vec(turbojpeg::Image {
            pixels,
            width,
            pitch: width * 3,
            height,
            format: turbojpeg::PixelFormat::RGB,
        })
        .expect("encode")
}

/// "Exif\0\0" + a little-endian TIFF block: IFD0 with Make, Model and Orientation 1,
/// IFD1 pointing at `thumb`.
fn exif_block(thumb: &[u8]) -> Vec<u8> {
    let entry = |tag: u16, typ: u16, count: u32, value: u32| {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.to_le_bytes());
        e.extend_from_slice(&typ.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&value.to_le_bytes());
        e
    };
    let (make, model) = (b"SONY\0\0\0\0", b"ILCE-7M3\0\0\0\0");
    // Header 8, IFD0 (3 entries) 42, IFD1 (2 entries) 30, then the strings and thumb.
    let strings_at = 8 + 42 + 30;
    let model_at = strings_at + make.len();
    let thumb_at = model_at + model.len();
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend(entry(0x010F, 2, 5, strings_at as u32));
    tiff.extend(entry(0x0110, 2, 9, model_at as u32));
    tiff.extend(entry(0x0112, 3, 1, 1));
    tiff.extend_from_slice(&50u32.to_le_bytes());
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend(entry(0x0201, 4, 1, thumb_at as u32));
    tiff.extend(entry(0x0202, 4, 1, thumb.len() as u32));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(make);
    tiff.extend_from_slice(model);
    tiff.extend_from_slice(thumb);
    [&b"Exif\0\0"[..], &tiff].concat()
}
