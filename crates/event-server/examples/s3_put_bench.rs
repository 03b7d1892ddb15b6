//! Image PUT through the event server: the folder store vs S3-compatible storage.
//!
//! `eval "$(scripts/s3.sh start)"; FINDME_TEST_S3_BUCKET=findme cargo run -p
//! findme-event-server --example s3_put_bench` — prints, per size and store, the
//! median and mean time of a PUT of fresh bytes (each body is new, so every PUT
//! stores) from the app's client over 127.0.0.1. Compare with `aws s3 cp` of
//! files of the same size (docs/scale-out.md).

use std::time::{Duration, Instant};

use anyhow::Context;
use findme_event_server::store::{S3Options, StoreConfig};
use findme_event_server::{serve, Admin, ServerConfig};
use findme_protocol::{sha256_hex, EventClient, Token};

/// Starts a server on `store`, creates an event, returns a photographer client.
async fn start(store: StoreConfig) -> anyhow::Result<(EventClient, String)> {
    let admin_store = store.clone();
    let ev = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let admin = Admin::open_store(&admin_store)?;
        Ok(admin.create_event("Bench", Some("bench"))?)
    })
    .await??;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(serve(listener, ServerConfig::with_store(store)));
    let client = EventClient::with_timeouts(
        &base,
        Token::new(&ev.photographer_token),
        Duration::from_secs(120),
        Duration::from_secs(5),
    )?;
    Ok((client, ev.event))
}

fn body(len: usize, seed: u64) -> Vec<u8> {
    let mut v: Vec<u8> = (0..len as u64)
        .map(|i| (i.wrapping_mul(2_654_435_761).wrapping_add(seed * 7919) >> 7) as u8)
        .collect();
    v[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    let n = v.len();
    v[n - 2..].copy_from_slice(&[0xFF, 0xD9]);
    v
}

async fn run(
    name: &str,
    client: &EventClient,
    event: &str,
    len: usize,
    n: u64,
) -> anyhow::Result<()> {
    let mut times = Vec::new();
    for i in 0..n {
        let bytes = body(len, i + 1 + len as u64);
        let key = sha256_hex(format!("{name} {len} {i}").as_bytes());
        let t = Instant::now();
        let put = client.put_image(event, &key, bytes).await.context("PUT")?;
        times.push(t.elapsed());
        anyhow::ensure!(put.created, "not created");
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let median = times[times.len() / 2];
    println!(
        "{name:>6} {:>5.1} MB x{n}: median {:>7.1} ms, mean {:>7.1} ms, {:>6.1} MB/s",
        len as f64 / 1e6,
        median.as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        len as f64 / 1e6 / mean.as_secs_f64()
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bucket = std::env::var("FINDME_TEST_S3_BUCKET").context("FINDME_TEST_S3_BUCKET")?;
    let vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, _)| k.starts_with("AWS_"))
        .collect();
    let dir = tempfile::tempdir()?;
    let folder = StoreConfig::local(dir.path().join("folder"));
    let s3 = StoreConfig {
        storage: Some(format!("s3://{bucket}/bench-{:08x}", rand::random::<u32>()).parse()?),
        s3: S3Options { vars },
        ..StoreConfig::local(dir.path().join("s3"))
    };
    let (fc, fe) = start(folder).await?;
    let (sc, se) = start(s3).await?;
    for (len, n) in [(1_000_000, 20), (20_000_000, 5)] {
        run("folder", &fc, &fe, len, n).await?;
        run("s3", &sc, &se, len, n).await?;
    }
    Ok(())
}
