//! Shared test support: the real-photo dev set, camera-like JPEGs with real EXIF,
//! and running the real `findme` binary.

pub mod exif;
pub use findme_testkit::{devset, venue};

use std::path::Path;
use std::process::{Command, Output};

/// `findme --data-dir DATA ARGS…` (the real binary built for these tests).
pub fn findme(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_findme"));
    cmd.arg("--data-dir").arg(data).env("FINDME_LOG", "warn");
    cmd
}

/// Run to completion, assert success, parse stdout as JSON.
/// `cmd` (the CLI) matching with Rekognition at the mock's `endpoint`, with test
/// credentials and none of the machine's own AWS profile.
pub fn with_mock_rekognition(mut cmd: Command, endpoint: &str) -> Command {
    cmd.env("FINDME_MATCH_BACKEND", "rekognition")
        .env("AWS_ENDPOINT_URL_REKOGNITION", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    cmd
}

pub fn run_json(cmd: &mut Command) -> serde_json::Value {
    let out = run_ok(cmd);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run findme");
    assert!(
        out.status.success(),
        "findme failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A small camera-like JPEG: unique pixels from `seed`, real EXIF from `exif`.
pub fn jpeg_bytes(seed: u32, width: u32, height: u32, exif: &exif::Exif) -> Vec<u8> {
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    for y in 0..height {
        for x in 0..width {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let base = (x * 255 / width.max(1)) as u8;
            pixels.extend_from_slice(&[
                base,
                (y * 255 / height.max(1)) as u8,
                (state & 0xff) as u8,
            ]);
        }
    }
    let mut encoded = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, 90)
        .encode(&pixels, width, height, image::ExtendedColorType::Rgb8)
        .expect("encode jpeg");
    exif::splice_app1(&encoded, &exif.to_tiff())
}

/// Write a camera-like JPEG to `path` (creating folders).
pub fn write_jpeg(path: &Path, seed: u32, exif: &exif::Exif) -> Vec<u8> {
    let bytes = jpeg_bytes(seed, 64, 48, exif);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(path, &bytes).expect("write jpeg");
    bytes
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut hasher = findme_media::StreamHasher::new();
    hasher.update(bytes);
    hasher.finish().to_hex()
}

/// `PRAGMA integrity_check` of a catalog, read independently of the app.
pub fn integrity_check(data: &Path) -> String {
    findme_testkit::inspect(data)
        .and_then(|catalog| catalog.integrity_check())
        .expect("integrity_check")
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
