//! Ingest benchmark: prints a table; run with
//!   cargo bench --bench ingest
//! (env FINDME_BENCH_PHOTOS, default 200; FINDME_BENCH_LIMIT_ONLY=1 runs only the
//! rows against the machine's limit). Reference tools run in the same session on
//! the same files: `sha256sum` for hashing, `find -printf` for the re-scan, and
//! for the limit (issue 19) OpenSSL's SHA-256 and libjpeg-turbo's `djpeg -scale 1/2`
//! with one process per core. Test material is generated once into .cache/bench/.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use findme_engine::{Engine, EngineConfig};

#[path = "ingest/limit.rs"]
mod limit;
mod material;

fn main() {
    // Test runners probe every target with `--list`: a benchmark is not a test.
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(".cache/bench");
    let photos: usize = std::env::var("FINDME_BENCH_PHOTOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let big = material::big_jpegs(&root.join(format!("jpeg24mp-{photos}")), photos);
    let small = material::small_jpegs(&root.join("small10k"), 10_000);
    let linked = material::hard_links(&big, &root.join("links5000"), 5_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");

    let bytes: u64 = files_in(&big)
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let mb = bytes as f64 / 1e6;
    println!(
        "\n{} photos, {:.0} MB ({:.1} MB each), page cache warm for every run\n",
        photos,
        mb,
        mb / photos as f64
    );

    // Warm the cache, then time each side twice and keep the better run.
    sha256sum(&big);
    let limit = limit::rows(&rt, &big, photos, mb);
    if std::env::var_os("FINDME_BENCH_LIMIT_ONLY").is_some() {
        print_limit(&limit);
        return;
    }
    let reference = best_of(2, || sha256sum(&big));
    let ingest = best_of(2, || limit::import(&rt, &big, photos, false));

    // Unchanged re-scan of 10,000 files.
    let data = tempfile::tempdir().expect("tmp");
    let rescan = rt.block_on(async {
        let engine = Engine::open(EngineConfig::new(data.path()))
            .await
            .expect("engine");
        engine
            .import(vec![small.clone()])
            .await
            .expect("first import");
        let start = Instant::now();
        let report = engine.import(vec![small.clone()]).await.expect("re-scan");
        let took = start.elapsed();
        assert_eq!(report.unchanged, 10_000);
        engine.shutdown().await;
        took
    });
    let find = best_of(2, || {
        let start = Instant::now();
        let out = Command::new("find")
            .arg(&small)
            .args(["-type", "f", "-printf", "%p %s %T@\n"])
            .output()
            .expect("find");
        assert!(out.status.success());
        start.elapsed()
    });

    // Peak memory of the CLI importing 5,000 files (24 MP photos, hard-linked).
    let data = tempfile::tempdir().expect("tmp");
    let (rss_mb, rss_time) = peak_rss_of(
        Command::new(env!("CARGO_BIN_EXE_findme"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["import", "--json"])
            .arg(&linked),
    );

    let rate = |d: Duration| mb / d.as_secs_f64();
    println!("| measurement | FindMe | reference | ratio | target |");
    println!("|---|---|---|---|---|");
    println!(
        "| ingest {} x 24 MP JPEG (hash + metadata + catalog) | {:.0} MB/s, {:.1} photos/s ({:.2} s) | sha256sum {:.0} MB/s ({:.2} s) | {:.0}% | >= 90% |",
        photos,
        rate(ingest),
        photos as f64 / ingest.as_secs_f64(),
        ingest.as_secs_f64(),
        rate(reference),
        reference.as_secs_f64(),
        100.0 * reference.as_secs_f64() / ingest.as_secs_f64()
    );
    println!(
        "| unchanged re-scan, 10,000 files | {:.0} ms | find -printf {:.0} ms | | < 1 s |",
        rescan.as_secs_f64() * 1e3,
        find.as_secs_f64() * 1e3
    );
    println!(
        "| peak RSS, CLI import of 5,000 files | {rss_mb:.0} MB ({:.1} s) | | | < 300 MB |",
        rss_time.as_secs_f64()
    );
    print_limit(&limit);
}

fn print_limit(rows: &[limit::Row]) {
    println!(
        "\nAgainst the machine's limit ({} cores):\n",
        limit::cores()
    );
    println!("| measurement | FindMe | reference (the limit) | FindMe ÷ reference | goal |");
    println!("|---|---|---|---|---|");
    for row in rows {
        println!(
            "| {} | {:.2} s | {} {:.2} s | {:.2}× | {} |",
            row.name,
            row.findme.as_secs_f64(),
            row.reference_name,
            row.reference.as_secs_f64(),
            row.findme.as_secs_f64() / row.reference.as_secs_f64(),
            row.goal
        );
    }
}

fn best_of(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..n).map(|_| f()).min().unwrap_or_default()
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    files
}

fn sha256sum(dir: &Path) -> Duration {
    let files = files_in(dir);
    let start = Instant::now();
    let out = Command::new("sha256sum")
        .args(&files)
        .output()
        .expect("sha256sum");
    assert!(out.status.success());
    start.elapsed()
}

/// Run a command to completion; its own peak resident memory (MB) and wall time.
/// (wait4 reaps the child, which `Child::wait` cannot do while also returning rusage.)
#[allow(clippy::zombie_processes)]
fn peak_rss_of(cmd: &mut Command) -> (f64, Duration) {
    let start = Instant::now();
    let child = cmd
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run");
    let mut status = 0;
    // SAFETY: wait4 on our own child; it writes into the structs we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let took = start.elapsed();
    assert!(
        pid > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "import failed"
    );
    (usage.ru_maxrss as f64 / 1024.0, took)
}
