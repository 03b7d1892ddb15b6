//! The load: laptops pushing photos through a bounded pool each, guests polling
//! "my photos" until the last push is done. Every task keeps its own samples
//! (no shared lock in the load generator); they are merged at the end.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_protocol::{ClientError, EventClient, FaceBox, PhotoFace, PhotoMetadata, Token};

use crate::Scale;

pub const EVENT: &str = "marathon";
/// Bytes of a synthetic web rendition (the metadata and request rates matter).
const WEB_BYTES: usize = 4096;
/// Attempts per request before the photo counts as failed (the app retries too).
const ATTEMPTS: u32 = 5;

/// Latencies (ms) and errors of one kind of request.
#[derive(Default)]
pub struct Timings {
    pub ms: Vec<f64>,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Timings {
    fn merge(&mut self, other: Timings) {
        self.ms.extend(other.ms);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    fn error(&mut self, what: &str, e: &ClientError) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{what}: {e}"));
        }
    }

    /// (p50, p99, max) in ms.
    pub fn percentiles(&mut self) -> (f64, f64, f64) {
        if self.ms.is_empty() {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        self.ms.sort_by(f64::total_cmp);
        let at = |p: f64| self.ms[((self.ms.len() - 1) as f64 * p).round() as usize];
        (at(0.5), at(0.99), at(1.0))
    }
}

/// What the load measured.
#[derive(Default)]
pub struct Measured {
    pub put_image: Timings,
    pub put_metadata: Timings,
    pub polls: Timings,
    /// Photos whose image and metadata were both accepted.
    pub pushed: u64,
    pub failed_photos: u64,
    /// From the first push to the last one done.
    pub push_time: Duration,
    /// Guests whose final "my photos" listed exactly their expected photos.
    pub exact_guests: u64,
    pub checked_guests: u64,
}

/// A small JPEG-looking body (SOI + marker, the seed, a pattern, EOI): unique per seed.
pub fn jpeg(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0];
    v.extend_from_slice(&seed.to_le_bytes());
    v.extend((0..len as u64).map(|i| (seed.wrapping_mul(31).wrapping_add(i * 7) % 251) as u8));
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The participants (indices) matched in photo `n`: 1-3, distinct.
pub fn faces_of(n: u64, participants: u64) -> Vec<u64> {
    let h = splitmix(n);
    let count = (1 + h % 3).min(participants);
    let first = (h >> 8) % participants;
    let step = (participants / 3).max(1);
    (0..count)
        .map(|k| (first + k * step) % participants)
        .collect()
}

pub fn participant_id(i: u64) -> String {
    format!("r{i:05}")
}

fn metadata(n: u64, participants: u64) -> PhotoMetadata {
    let faces = faces_of(n, participants)
        .into_iter()
        .enumerate()
        .map(|(k, p)| PhotoFace {
            participant_id: Some(participant_id(p)),
            confidence: 97.5,
            face_box: FaceBox {
                left: 0.1 + 0.25 * k as f64,
                top: 0.3,
                width: 0.12,
                height: 0.18,
            },
        })
        .collect();
    PhotoMetadata {
        captured_at: Some(format!(
            "2026-04-12T{:02}:{:02}:{:02}+02:00",
            8 + n / 3600 % 12,
            n / 60 % 60,
            n % 60
        )),
        width: 2048,
        height: 1365,
        camera: Some("Bench Cam".into()),
        revision: 1,
        faces,
    }
}

/// Progress the reporter prints while the load runs.
#[derive(Default)]
pub struct Progress {
    pub pushed: AtomicU64,
    pub polls: AtomicU64,
    /// Set when the last push is done.
    pub done: Arc<AtomicBool>,
}

fn client(base: &str, token: &str) -> anyhow::Result<EventClient> {
    Ok(EventClient::with_timeouts(
        base,
        Token::new(token),
        Duration::from_secs(60),
        Duration::from_secs(10),
    )?)
}

/// One worker of a laptop's push pool: takes the laptop's next photo until none is left.
async fn push_worker(
    laptop: u64,
    next: Arc<AtomicU64>,
    c: EventClient,
    scale: Scale,
    progress: Arc<Progress>,
) -> Measured {
    let mut m = Measured::default();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= scale.photos {
            return m;
        }
        let n = laptop * scale.photos + i;
        let key = findme_protocol::sha256_hex(format!("marathon original {n}").as_bytes());
        let mut ok = false;
        for _ in 0..ATTEMPTS {
            let t = Instant::now();
            match c.put_image(EVENT, &key, jpeg(n, WEB_BYTES)).await {
                Ok(_) => {
                    m.put_image.ms.push(t.elapsed().as_secs_f64() * 1e3);
                    ok = true;
                    break;
                }
                Err(e) => m.put_image.error("put_image", &e),
            }
        }
        if ok {
            ok = false;
            let meta = metadata(n, scale.participants);
            for _ in 0..ATTEMPTS {
                let t = Instant::now();
                match c.put_metadata(EVENT, &key, &meta).await {
                    Ok(_) => {
                        m.put_metadata.ms.push(t.elapsed().as_secs_f64() * 1e3);
                        ok = true;
                        break;
                    }
                    Err(e) => m.put_metadata.error("put_metadata", &e),
                }
            }
        }
        if ok {
            m.pushed += 1;
            progress.pushed.fetch_add(1, Ordering::Relaxed);
        } else {
            m.failed_photos += 1;
        }
    }
}

/// One guest: polls every `poll` until the pushes are done, then once more to
/// check that exactly the photos they are in are listed.
async fn guest(
    index: u64,
    c: EventClient,
    scale: Scale,
    expected: u64,
    progress: Arc<Progress>,
) -> Measured {
    let mut m = Measured::default();
    // Spread the guests over the poll interval, as phones would be.
    tokio::time::sleep(
        scale
            .poll
            .mul_f64(index as f64 / scale.guests.max(1) as f64),
    )
    .await;
    let mut tick = tokio::time::interval(scale.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !progress.done.load(Ordering::Relaxed) {
        tick.tick().await;
        if progress.done.load(Ordering::Relaxed) {
            break;
        }
        let t = Instant::now();
        match c.my_photos().await {
            Ok(_) => m.polls.ms.push(t.elapsed().as_secs_f64() * 1e3),
            Err(e) => m.polls.error("my_photos", &e),
        }
        progress.polls.fetch_add(1, Ordering::Relaxed);
    }
    m.checked_guests = 1;
    if let Ok(list) = c.my_photos().await {
        let mut keys: Vec<&str> = list.photos.iter().map(|p| p.sha256.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        if keys.len() as u64 == expected && list.photos.len() as u64 == expected {
            m.exact_guests = 1;
        }
    }
    m
}

/// Every client of the load, built before the clock starts (each its own
/// connection pool, as separate devices have).
pub struct Clients {
    /// (guest index, client, how many photos they are in at the end)
    guests: Vec<(u64, EventClient, u64)>,
    laptops: Vec<(u64, EventClient)>,
}

/// Laptop `l` and guest `g` use instance `l % n` and `g % n` of `bases`;
/// `tokens[i]` is participant `i`'s attendee token.
pub fn clients(
    bases: &[String],
    photographer: &str,
    tokens: &[String],
    scale: Scale,
) -> anyhow::Result<Clients> {
    // Who appears in how many photos, for the final check.
    let mut expected = vec![0u64; scale.participants as usize];
    for n in 0..scale.laptops * scale.photos {
        for p in faces_of(n, scale.participants) {
            expected[p as usize] += 1;
        }
    }
    let mut guests = Vec::new();
    for g in 0..scale.guests {
        let p = g * scale.participants / scale.guests.max(1);
        let c = client(&bases[(g as usize) % bases.len()], &tokens[p as usize])?;
        guests.push((g, c, expected[p as usize]));
    }
    let mut laptops = Vec::new();
    for l in 0..scale.laptops {
        laptops.push((l, client(&bases[(l as usize) % bases.len()], photographer)?));
    }
    Ok(Clients { guests, laptops })
}

/// Runs the whole load; returns when every push is done and every guest has
/// made its final check.
pub async fn run(
    clients: Clients,
    scale: Scale,
    progress: Arc<Progress>,
) -> anyhow::Result<Measured> {
    let Clients { guests, laptops } = clients;
    let guest_tasks: Vec<_> = guests
        .into_iter()
        .map(|(g, c, e)| tokio::spawn(guest(g, c, scale, e, progress.clone())))
        .collect();
    let started = Instant::now();
    let mut push_tasks = Vec::new();
    for (l, c) in laptops {
        let next = Arc::new(AtomicU64::new(0));
        for _ in 0..scale.in_flight {
            push_tasks.push(tokio::spawn(push_worker(
                l,
                next.clone(),
                c.clone(),
                scale,
                progress.clone(),
            )));
        }
    }
    let mut total = Measured::default();
    for t in push_tasks {
        total.add(t.await?);
    }
    total.push_time = started.elapsed();
    progress.done.store(true, Ordering::Relaxed);
    for t in guest_tasks {
        total.add(t.await?);
    }
    Ok(total)
}

impl Measured {
    fn add(&mut self, o: Measured) {
        self.put_image.merge(o.put_image);
        self.put_metadata.merge(o.put_metadata);
        self.polls.merge(o.polls);
        self.pushed += o.pushed;
        self.failed_photos += o.failed_photos;
        self.exact_guests += o.exact_guests;
        self.checked_guests += o.checked_guests;
    }
}
