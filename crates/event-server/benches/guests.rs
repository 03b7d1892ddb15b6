//! 1,000 guests on their phones while the photographer pushes: each guest polls
//! "my photos" (conditional, ETag) and fetches the grid images of new photos,
//! while the app pushes 10 photos/s (web + grid rendition + metadata, three guests
//! matched in each). Prints latency percentiles, errors and the push rate held.
//!
//!   cargo bench -p findme-event-server --bench guests [-- GUESTS SECONDS [flood]]
//!
//! `flood`: meanwhile 8 connections from one address post registrations as fast
//! as they can (the default limit refuses them with 429); the push figures then
//! show whether the flood slows the photographer. Guests register from their own
//! loopback addresses (127.1.x.y), as phones on a venue's network would.
//!
//! Server and load run in this one process on separate runtimes (the server gets
//! its own worker threads), on 127.0.0.1; the table says what the machine was doing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_event_server::{serve, Admin, ServerConfig};
use findme_protocol::{EventClient, FaceBox, PhotoFace, PhotoMetadata, Token};
use reqwest::header;
use tokio::sync::Mutex;

const POLL_EVERY: Duration = Duration::from_secs(2);
const PUSHES_PER_SECOND: u64 = 10;

#[derive(Default)]
struct Samples {
    list_ms: Vec<f64>,
    grid_ms: Vec<f64>,
    push_ms: Vec<f64>,
    list_errors: u64,
    grid_errors: u64,
    push_errors: u64,
    not_modified: u64,
    first_error: Option<String>,
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn jpeg(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend((0..len as u64).map(|i| (seed.wrapping_mul(31).wrapping_add(i * 7) % 251) as u8));
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let guests: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let seconds: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(30);
    let flood = args.get(2).is_some_and(|a| a == "flood");
    let root = tempfile::tempdir()?;
    let data = root.path().join("data");
    let admin = Admin::open(&data)?;
    let ev = admin.create_event("Bench", Some("bench"))?;
    {
        let db = findme_event_server::db::Db::open(&findme_event_server::db_path(&data))?;
        db.with(|c| {
            c.execute(
                "UPDATE events SET registration_open = 1 WHERE id = 'bench'",
                [],
            )?;
            Ok(())
        })?;
    }
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = server_rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let config = ServerConfig::new(&data);
    server_rt.spawn(async move {
        if let Err(e) = serve(listener, config).await {
            eprintln!("server failed: {e}");
        }
    });
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    load_rt.block_on(run(base, ev.photographer_token, guests, seconds, flood))
}

async fn run(
    base: String,
    token: String,
    guests: usize,
    seconds: u64,
    flood: bool,
) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(2 * guests)
        .timeout(Duration::from_secs(30))
        .build()?;
    let selfie = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../assets/demo/ada.jpg"
    ))?;
    eprintln!("registering {guests} guests…");
    let mut cookies = Vec::with_capacity(guests);
    for i in 0..guests {
        let form = reqwest::multipart::Form::new()
            .text("name", format!("Guest {i}"))
            .text("consent", "yes")
            .part(
                "selfie",
                reqwest::multipart::Part::bytes(selfie.clone()).file_name("s.jpg"),
            );
        let from = std::net::Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250 + 1) as u8);
        let phone = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::V4(from))
            .build()?;
        let resp = phone
            .post(format!("{base}/e/bench/register"))
            .multipart(form)
            .send()
            .await?;
        anyhow::ensure!(resp.status() == 303, "registration {i}: {}", resp.status());
        let cookie = resp.headers()[header::SET_COOKIE].to_str()?;
        cookies.push(cookie.split(';').next().unwrap_or_default().to_string());
    }
    let photographer = EventClient::new(&base, Token::new(token))?;
    let mut ids = Vec::new();
    let mut cursor = None::<String>;
    loop {
        let page = photographer
            .participants("bench", cursor.as_deref())
            .await?;
        ids.extend(page.participants.iter().map(|p| p.id.clone()));
        cursor = Some(page.cursor);
        if !page.more {
            break;
        }
    }
    let samples = Arc::new(Mutex::new(Samples::default()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();

    let flooder = flood.then(|| {
        // Its own connections, as an attacker's would be.
        let http = reqwest::Client::new();
        let (base, selfie) = (base.clone(), selfie.clone());
        tokio::spawn(async move {
            let mut loops = Vec::new();
            for _ in 0..8 {
                let (http, base, selfie) = (http.clone(), base.clone(), selfie.clone());
                loops.push(tokio::spawn(async move {
                    let (mut refused, mut accepted) = (0u64, 0u64);
                    while Instant::now() < deadline {
                        let form = reqwest::multipart::Form::new()
                            .text("name", "Flood")
                            .text("consent", "yes")
                            .part(
                                "selfie",
                                reqwest::multipart::Part::bytes(selfie.clone()).file_name("s.jpg"),
                            );
                        match http
                            .post(format!("{base}/e/bench/register"))
                            .multipart(form)
                            .send()
                            .await
                        {
                            Ok(r) if r.status() == 429 => refused += 1,
                            Ok(_) => accepted += 1,
                            Err(_) => {}
                        }
                    }
                    (refused, accepted)
                }));
            }
            let mut total = (0, 0);
            for l in loops {
                if let Ok((r, a)) = l.await {
                    total = (total.0 + r, total.1 + a);
                }
            }
            total
        })
    });

    let pusher = {
        let samples = samples.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(1000 / PUSHES_PER_SECOND));
            let mut n = 0u64;
            while Instant::now() < deadline {
                tick.tick().await;
                n += 1;
                let key = findme_protocol::sha256_hex(format!("bench photo {n}").as_bytes());
                let faces = (0..3)
                    .map(|k| PhotoFace {
                        participant_id: Some(ids[((n * 7 + k * 131) as usize) % ids.len()].clone()),
                        confidence: 99.0,
                        face_box: FaceBox {
                            left: 0.1 + 0.2 * k as f64,
                            top: 0.2,
                            width: 0.1,
                            height: 0.15,
                        },
                    })
                    .collect();
                let meta = PhotoMetadata {
                    captured_at: Some(format!(
                        "2026-06-01T12:{:02}:{:02}+00:00",
                        n / 60 % 60,
                        n % 60
                    )),
                    width: 2048,
                    height: 1365,
                    camera: None,
                    revision: 1,
                    faces,
                };
                let t = Instant::now();
                let ok = photographer
                    .put_image("bench", &key, jpeg(n, 400_000))
                    .await
                    .is_ok()
                    && photographer
                        .put_metadata("bench", &key, &meta)
                        .await
                        .is_ok();
                let mut s = samples.lock().await;
                s.push_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                if !ok {
                    s.push_errors += 1;
                }
            }
            (n, started.elapsed())
        })
    };

    let mut tasks = Vec::new();
    for (i, cookie) in cookies.into_iter().enumerate() {
        let (http, base, samples) = (http.clone(), base.clone(), samples.clone());
        tasks.push(tokio::spawn(async move {
            // Spread the guests over the poll interval.
            tokio::time::sleep(POLL_EVERY.mul_f64(i as f64 / guests as f64)).await;
            let mut etag: Option<String> = None;
            let mut seen = std::collections::HashSet::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut req = http
                    .get(format!("{base}/e/bench/me/photos.json"))
                    .header(header::COOKIE, &cookie);
                if let Some(e) = &etag {
                    req = req.header(header::IF_NONE_MATCH, e);
                }
                let resp = req.send().await;
                let mut grids = Vec::new();
                match resp {
                    Ok(r) if r.status() == 304 => {
                        let mut s = samples.lock().await;
                        s.list_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                        s.not_modified += 1;
                    }
                    Ok(r) if r.status() == 200 => {
                        etag = r
                            .headers()
                            .get(header::ETAG)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        let body: serde_json::Value = r.json().await.unwrap_or_default();
                        samples
                            .lock()
                            .await
                            .list_ms
                            .push(t.elapsed().as_secs_f64() * 1000.0);
                        for p in body["photos"].as_array().into_iter().flatten() {
                            if let Some(g) = p["grid"].as_str() {
                                if seen.insert(g.to_string()) {
                                    grids.push(g.to_string());
                                }
                            }
                        }
                    }
                    other => {
                        let mut s = samples.lock().await;
                        s.list_errors += 1;
                        if s.first_error.is_none() {
                            s.first_error = Some(match other {
                                Ok(r) => format!("my photos: HTTP {}", r.status()),
                                Err(e) => format!("my photos: {e:?}"),
                            });
                        }
                    }
                }
                for g in grids {
                    let t = Instant::now();
                    let r = http
                        .get(format!("{base}{g}"))
                        .header(header::COOKIE, &cookie)
                        .send()
                        .await;
                    let ok = match r {
                        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    let mut s = samples.lock().await;
                    if ok {
                        s.grid_ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    } else {
                        s.grid_errors += 1;
                    }
                }
                tokio::time::sleep(POLL_EVERY).await;
            }
        }));
    }
    let (pushed, push_time) = pusher.await?;
    let flooded = match flooder {
        Some(f) => Some(f.await?),
        None => None,
    };
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut s = samples.lock().await;
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("\n{guests} guests polling every {POLL_EVERY:?}, pushes at {PUSHES_PER_SECOND}/s, {seconds} s, {} cores, loadavg {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0), load.trim());
    println!("| measure | requests | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|");
    let n_list = s.list_ms.len();
    let (l50, l99, lmax) = (
        percentile(&mut s.list_ms, 0.5),
        percentile(&mut s.list_ms, 0.99),
        percentile(&mut s.list_ms, 1.0),
    );
    println!("| my photos (photos.json; {} of them 304) | {n_list} | {l50:.1} | {l99:.1} | {lmax:.1} | {} |", s.not_modified, s.list_errors);
    let n_grid = s.grid_ms.len();
    let (g50, g99, gmax) = (
        percentile(&mut s.grid_ms, 0.5),
        percentile(&mut s.grid_ms, 0.99),
        percentile(&mut s.grid_ms, 1.0),
    );
    println!(
        "| grid image | {n_grid} | {g50:.1} | {g99:.1} | {gmax:.1} | {} |",
        s.grid_errors
    );
    let n_push = s.push_ms.len();
    let (p50, p99, pmax) = (
        percentile(&mut s.push_ms, 0.5),
        percentile(&mut s.push_ms, 0.99),
        percentile(&mut s.push_ms, 1.0),
    );
    println!(
        "| push (image 400 kB + metadata) | {n_push} | {p50:.1} | {p99:.1} | {pmax:.1} | {} |",
        s.push_errors
    );
    println!(
        "\npush rate held: {:.2}/s (goal {PUSHES_PER_SECOND}/s); {pushed} photos; run {elapsed:.1} s",
        pushed as f64 / push_time.as_secs_f64()
    );
    if let Some((refused, accepted)) = flooded {
        println!(
            "registration flood from one address: {:.0} requests/s, {refused} refused (429), {accepted} accepted",
            (refused + accepted) as f64 / push_time.as_secs_f64()
        );
    }
    if let Some(e) = &s.first_error {
        println!("first error: {e}");
    }
    Ok(())
}
