//! `findme-rekognition-mock`: run the Rekognition stand-in by hand.
//!
//! ```text
//! cargo run -p findme-rekognition-mock -- --listen 127.0.0.1:9000 --tps 5 --latency-ms 100
//! AWS_ENDPOINT_URL_REKOGNITION=http://127.0.0.1:9000 <the app>
//! curl -X POST localhost:9000/__admin/config -d '{"throttle_rate":0.2}'
//! ```

use clap::Parser;
use findme_rekognition_mock::synth::{self, SynthFace};
use findme_rekognition_mock::{CredentialRejection, MockConfig};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "A local AWS Rekognition stand-in for FindMe Studio tests"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Milliseconds added to every call.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Calls per second before ThrottlingException (0 = unlimited).
    #[arg(long, default_value_t = 0.0)]
    tps: f64,
    /// Token-bucket size for --tps (0 = max(1, tps/4)).
    #[arg(long, default_value_t = 0.0)]
    tps_burst: f64,
    /// Probability of a random ThrottlingException / ProvisionedThroughputExceededException.
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Probability of a random 500 InternalServerError / 503 ServiceUnavailable.
    #[arg(long = "error-5xx-rate", default_value_t = 0.0)]
    error_5xx_rate: f64,
    /// Probability that an answer is held back --stall-ms after the call ran.
    #[arg(long, default_value_t = 0.0)]
    stall_rate: f64,
    #[arg(long, default_value_t = 0)]
    stall_ms: u64,
    /// Refuse every call: expired-token or unrecognized-client.
    #[arg(long, value_parser = parse_rejection)]
    reject_credentials: Option<CredentialRejection>,
    /// Largest accepted image (bytes).
    #[arg(long, default_value_t = findme_rekognition_mock::DEFAULT_MAX_IMAGE_BYTES)]
    max_image_bytes: usize,
    /// Seed for faults and ids.
    #[arg(long, default_value_t = MockConfig::default().seed)]
    seed: u64,
    /// Write sample photos and selfies (persons 0-3) to this folder and exit.
    #[arg(long)]
    write_samples: Option<PathBuf>,
}

fn parse_rejection(s: &str) -> Result<CredentialRejection, String> {
    match s {
        "expired-token" | "expired_token" => Ok(CredentialRejection::ExpiredToken),
        "unrecognized-client" | "unrecognized_client" => {
            Ok(CredentialRejection::UnrecognizedClient)
        }
        "off" => Ok(CredentialRejection::Off),
        _ => Err("expected expired-token, unrecognized-client or off".into()),
    }
}

fn write_samples(dir: &PathBuf) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let group = [
        SynthFace {
            person: 0,
            left: 300,
            top: 300,
            size: 160,
        },
        SynthFace {
            person: 1,
            left: 800,
            top: 350,
            size: 120,
        },
        SynthFace {
            person: 2,
            left: 1300,
            top: 280,
            size: 200,
        },
    ];
    std::fs::write(
        dir.join("group-0-1-2.jpg"),
        synth::photo(1920, 1080, &group, 1),
    )?;
    let pair = [
        SynthFace {
            person: 3,
            left: 500,
            top: 400,
            size: 140,
        },
        SynthFace {
            person: 0,
            left: 1200,
            top: 420,
            size: 100,
        },
    ];
    std::fs::write(dir.join("pair-3-0.jpg"), synth::photo(1920, 1080, &pair, 2))?;
    for p in 0..4 {
        std::fs::write(dir.join(format!("selfie-{p}.jpg")), synth::selfie(p))?;
    }
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    if let Some(dir) = &args.write_samples {
        return match write_samples(dir) {
            Ok(()) => {
                println!("wrote samples to {}", dir.display());
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write samples: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let config = MockConfig {
        latency_ms: args.latency_ms,
        tps: args.tps,
        tps_burst: args.tps_burst,
        throttle_rate: args.throttle_rate,
        error_5xx_rate: args.error_5xx_rate,
        stall_rate: args.stall_rate,
        stall_ms: args.stall_ms,
        reject_credentials: args.reject_credentials.unwrap_or_default(),
        max_image_bytes: args.max_image_bytes,
        seed: args.seed,
    };
    let server = match findme_rekognition_mock::try_start(config, args.listen).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot listen on {}: {e}", args.listen);
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("Rekognition mock on {}", server.endpoint());
    println!("  AWS_ENDPOINT_URL_REKOGNITION={}", server.endpoint());
    println!(
        "  admin: GET/POST {0}/__admin/config, GET {0}/__admin/stats",
        server.endpoint()
    );
    let _ = tokio::signal::ctrl_c().await;
    println!(
        "{}",
        serde_json::to_string_pretty(&server.stats()).unwrap_or_default()
    );
    server.shutdown().await;
    std::process::ExitCode::SUCCESS
}
