//! The ingest rows against the machine's own limit (issue 19), not a peer's tool:
//! - hashing + structure + EXIF + catalog against OpenSSL's SHA-256 (SHA-NI) of
//!   the same files on every core;
//! - a full import with its 320 px thumbnail and 2048 px preview against
//!   libjpeg-turbo's own DCT-scaled decode at 1/2 (`djpeg -scale 1/2`), one
//!   process per core: the decode a 2048 px preview cannot avoid.
//!
//! Both sides run on the same files in the same run, page cache warm, best of two.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use findme_engine::{Engine, EngineConfig};

pub struct Row {
    pub name: String,
    pub findme: Duration,
    pub reference_name: &'static str,
    pub reference: Duration,
    pub goal: &'static str,
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

pub fn rows(rt: &tokio::runtime::Runtime, dir: &Path, photos: usize, mb: f64) -> Vec<Row> {
    let openssl = super::best_of(2, || on_every_core(dir, 4, "openssl dgst -sha256"));
    let ingest = super::best_of(2, || import(rt, dir, photos, false));
    let djpeg = super::best_of(2, || {
        on_every_core(dir, 1, "djpeg -scale 1/2 -outfile /dev/null")
    });
    let full = super::best_of(2, || import(rt, dir, photos, true));
    vec![
        Row {
            name: format!(
                "ingest {photos} × 24 MP JPEG, {mb:.0} MB (hash + structure + EXIF + catalog)"
            ),
            findme: ingest,
            reference_name: "`openssl dgst -sha256`, a process per core",
            reference: openssl,
            goal: "≤ 1.05× (≥ 95 % of its speed)",
        },
        Row {
            name: format!("full import of {photos}: + 320 px thumbnail + 2048 px preview"),
            findme: full,
            reference_name: "`djpeg -scale 1/2`, a process per core",
            reference: djpeg,
            goal: "≤ 1.3×",
        },
    ]
}

/// `findme import` as the CLI runs it: catalogue, then (if asked) wait for every
/// thumbnail and preview.
pub fn import(
    rt: &tokio::runtime::Runtime,
    dir: &Path,
    photos: usize,
    renditions: bool,
) -> Duration {
    let data = tempfile::tempdir().expect("tmp");
    rt.block_on(async {
        let engine = Engine::open(EngineConfig::new(data.path()))
            .await
            .expect("engine");
        let start = Instant::now();
        let report = engine
            .import(vec![dir.to_path_buf()])
            .await
            .expect("import");
        if renditions {
            engine.make_thumbnails().await.expect("thumbnails");
        }
        let took = start.elapsed();
        assert_eq!(report.imported as usize, photos);
        engine.shutdown().await;
        took
    })
}

/// `tool FILE…` over every file of `dir`, `per_call` files a call, one call per
/// core at a time (`xargs -P`).
fn on_every_core(dir: &Path, per_call: usize, tool: &str) -> Duration {
    let script = format!(
        "ls -1 | xargs -P{} -n{per_call} {tool} > /dev/null",
        cores()
    );
    let start = Instant::now();
    let status = Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .status()
        .expect("sh");
    assert!(
        status.success(),
        "{script} failed (is it installed? scripts/setup.sh)"
    );
    start.elapsed()
}
