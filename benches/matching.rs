//! Matching benchmark: the engine, the real AWS SDK and the Rekognition-compatible
//! mock with 200 ms latency and a TPS quota, as a printed table.
//!   cargo bench --bench matching            (all scenarios, ~10 min)
//!   cargo bench --bench matching -- quick   (the 100-photo scenario only)
//! For each scenario: wall time against the quota's lower bound (calls ÷ TPS),
//! quota used, calls per photo, throttled calls, failed photos.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_engine::{Engine, EngineConfig, MatchBackend};
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::MockConfig;
use findme_testkit::{ev, pid};

struct Scenario {
    name: &'static str,
    photos: usize,
    participants: usize,
    tps: f64,
    throttle_rate: f64,
    /// Match workers (None: the default, sized to the learnt rate) and calls in
    /// flight (None: the default, 64).
    workers: Option<usize>,
    in_flight: Option<usize>,
}

const fn scenario(name: &'static str, photos: usize, participants: usize, tps: f64) -> Scenario {
    Scenario {
        name,
        photos,
        participants,
        tps,
        throttle_rate: 0.0,
        workers: None,
        in_flight: None,
    }
}

/// With 200 ms per call, 50 TPS needs 10 calls in flight all the time. Until
/// issue 19 the defaults were 3 workers and 10 in flight (25 % of a 50 TPS
/// quota); the pool now sizes itself. The 16-worker row is kept for comparison.
const SCENARIOS: &[Scenario] = &[
    scenario("100 photos, 5 TPS", 100, 20, 5.0),
    scenario("300 photos, 5 TPS", 300, 20, 5.0),
    Scenario {
        throttle_rate: 0.3,
        ..scenario("300 photos, 5 TPS, 30% throttled", 300, 20, 5.0)
    },
    scenario("300 photos, 50 TPS, defaults", 300, 20, 50.0),
    Scenario {
        workers: Some(16),
        in_flight: Some(16),
        ..scenario("300 photos, 50 TPS, 16 workers", 300, 20, 50.0)
    },
    scenario("3000 photos, 200 people, 50 TPS, defaults", 3000, 200, 50.0),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    // Other arguments pick rows by name: `-- "50 TPS"`.
    let filters: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with("--") && *a != "quick")
        .collect();
    // RUST_LOG=findme_faces=info shows the limiter's decisions on stderr.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "| scenario | calls | lower bound | wall | quota used | calls/photo | throttled | failed | match workers (peak) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let rows = SCENARIOS
        .iter()
        .take(if quick { 1 } else { SCENARIOS.len() })
        .filter(|s| filters.is_empty() || filters.iter().any(|f| s.name.contains(f.as_str())));
    for s in rows {
        rt.block_on(run(s));
    }
    // The planner's model for the example (ARCHITECTURE.md quotes it).
    let config = findme_faces::planner::PlannerConfig::default();
    let (per_face, planned) =
        findme_faces::planner::call_model(200, 3_000, 2.5, 1_000.0, config.latency_bound);
    let enroll = findme_faces::planner::enrollment_calls(200);
    println!(
        "\nplanner model, 200 participants × 3,000 photos × 2.5 faces in one go: \
         per-face only {per_face} calls, planned {planned} (+ {enroll} to enroll the participants as users, \
         only in an event where a face search came back full)"
    );
}

async fn run(s: &Scenario) {
    let server = findme_rekognition_mock::start(MockConfig {
        latency_ms: 200,
        tps: s.tps,
        throttle_rate: s.throttle_rate,
        ..MockConfig::default()
    })
    .await;
    let tmp = tempfile::tempdir().expect("tmp");
    let photos = tmp.path().join("photos");
    shoot(&photos, s.photos);
    let mut config = EngineConfig::new(tmp.path().join("data"));
    config.matching.backend = MatchBackend::Rekognition;
    config.matching.rekognition.endpoint = Some(server.endpoint());
    config.matching.rekognition.region = Some("us-east-1".into());
    config.matching.rekognition.static_credentials = Some(("bench".into(), "bench".into()));
    config.matching.workers = s.workers;
    if let Some(in_flight) = s.in_flight {
        config.matching.rekognition.limiter.max_concurrent = in_flight;
    }
    let engine = Engine::open(config).await.expect("engine");
    engine
        .create_event(&ev("bench"), "Bench", None)
        .await
        .expect("event");
    engine.import(vec![photos]).await.expect("import");
    for p in 0..s.participants {
        let selfie = tmp.path().join(format!("selfies/p{p:03}.jpg"));
        write(&selfie, &synth::selfie(p));
        engine
            .add_participant(
                &ev("bench"),
                &pid(&format!("p{p:03}")),
                &format!("P {p}"),
                Some(selfie),
                true,
            )
            .await
            .expect("participant");
    }
    let started = Instant::now();
    // The match pool's claiming workers, sampled while it runs.
    let peak = Arc::new(AtomicU32::new(0));
    let sampler = tokio::spawn({
        let (engine, peak) = (engine.clone(), peak.clone());
        async move {
            loop {
                if let Ok(activity) = engine.activity().await {
                    let workers = activity.queues.iter().find(|q| q.kind == "match");
                    peak.fetch_max(workers.map_or(0, |q| q.workers), Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let report = engine.match_event(Some(&ev("bench"))).await.expect("match");
    let wall = started.elapsed();
    sampler.abort();
    let peak = peak.load(Ordering::Relaxed);
    let stats = server.stats();
    // Every call the server answered, throttled ones included, spends quota.
    let calls: u64 = stats.calls.values().sum();
    let accepted = calls - stats.throttled;
    let bound = Duration::from_secs_f64(accepted as f64 / s.tps);
    println!(
        "| {} | {} ({}) | {:.1} s | {:.1} s | {:.0} % | {:.2} | {} | {} | {} |",
        s.name,
        accepted,
        stats
            .calls
            .iter()
            .map(|(op, n)| format!("{op} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        bound.as_secs_f64(),
        wall.as_secs_f64(),
        100.0 * bound.as_secs_f64() / wall.as_secs_f64(),
        accepted as f64 / s.photos as f64,
        stats.throttled,
        report.failed,
        peak,
    );
    engine.shutdown().await;
    server.shutdown().await;
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// `count` photos with 2.5 faces on average (1-4).
fn shoot(dir: &Path, count: usize) {
    for i in 0..count {
        let faces: Vec<SynthFace> = (0..1 + (i * 7) % 4)
            .map(|k| SynthFace {
                person: (i * 5 + k * 11) % synth::PALETTE_LEN,
                left: 60 + k as u32 * 300,
                top: 120 + (k as u32 % 2) * 200,
                size: 150,
            })
            .collect();
        write(
            &dir.join(format!("IMG_{i:05}.JPG")),
            &synth::photo(1280, 720, &faces, i as u64),
        );
    }
}
