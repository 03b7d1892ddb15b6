//! Marathon load (issue 18): L laptops push P photos each as fast as their
//! connections allow (a push pool of `inflight` requests per laptop: web
//! rendition, then metadata with 1-3 faces matched to participants), while G
//! guests, each holding one participant's attendee token, poll "my photos"
//! every 2 s; R participants are added first through `Admin`. Runs until every
//! push is done, then checks each guest's final list, and prints a table.
//!
//!   cargo bench -p findme-event-server --bench marathon -- \
//!       [config=sqlite|pg-s3|pg-s3-2|all] [laptops=4] [photos=25000] \
//!       [participants=10000] [guests=2000] [inflight=4] [poll=2]
//!
//! `pg-s3*` read the test services' variables: run
//! `eval "$(scripts/services.sh start)"` first (`all` skips them otherwise).
//! Each instance runs in this process on its own runtime (2 worker threads,
//! named `srvN` so the CPU table can tell them apart); the load runs on another
//! (`load`, 2 threads). Everything shares the machine's cores: the table says
//! how busy the machine was and where the CPU went.

mod cpu;
mod load;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use findme_event_server::store::{S3Options, StoreConfig};
use findme_event_server::{serve, Admin, ServerConfig};
use findme_protocol::{EventClient, Token};
use findme_testkit::services;

/// The load's size (see the module doc for the defaults: the full scale).
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub laptops: u64,
    pub photos: u64,
    pub participants: u64,
    pub guests: u64,
    pub in_flight: u64,
    pub poll: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Config {
    Sqlite,
    PgS3,
    PgS3Two,
}

impl Config {
    fn name(self) -> &'static str {
        match self {
            Config::Sqlite => "sqlite",
            Config::PgS3 => "pg-s3",
            Config::PgS3Two => "pg-s3-2",
        }
    }
    fn instances(self) -> usize {
        if self == Config::PgS3Two {
            2
        } else {
            1
        }
    }
    fn stores(self, root: &std::path::Path) -> anyhow::Result<StoreConfig> {
        if self == Config::Sqlite {
            return Ok(StoreConfig::local(root.join("data")));
        }
        Ok(StoreConfig {
            data_dir: None,
            database: Some(services::fresh_database_url().parse()?),
            storage: Some(services::fresh_storage_url().parse()?),
            s3: S3Options {
                vars: services::s3_env(&services::s3_endpoint()),
            },
        })
    }
}

struct Outcome {
    config: Config,
    scale: Scale,
    add_participants: Duration,
    measured: load::Measured,
    usage: cpu::Usage,
    load_before: String,
    load_after: String,
}

fn loadavg() -> String {
    let s = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn parse_args() -> anyhow::Result<(Vec<Config>, Scale)> {
    let mut configs = vec![Config::Sqlite];
    let mut scale = Scale {
        laptops: 4,
        photos: 25_000,
        participants: 10_000,
        guests: 2_000,
        in_flight: 4,
        poll: Duration::from_secs(2),
    };
    for arg in std::env::args().skip(1).filter(|a| a != "--bench") {
        let (k, v) = arg
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("expected key=value, got {arg:?}"))?;
        let n = || {
            v.parse::<u64>()
                .map_err(|e| anyhow::anyhow!("{k}={v}: {e}"))
        };
        match k {
            "config" => {
                configs = match v {
                    "sqlite" => vec![Config::Sqlite],
                    "pg-s3" => vec![Config::PgS3],
                    "pg-s3-2" => vec![Config::PgS3Two],
                    "all" => vec![Config::Sqlite, Config::PgS3, Config::PgS3Two],
                    _ => anyhow::bail!("config={v}: use sqlite, pg-s3, pg-s3-2 or all"),
                }
            }
            "laptops" => scale.laptops = n()?.max(1),
            "photos" => scale.photos = n()?,
            "participants" => scale.participants = n()?.max(1),
            "guests" => scale.guests = n()?,
            "inflight" => scale.in_flight = n()?.max(1),
            "poll" => scale.poll = Duration::from_secs(n()?.max(1)),
            _ => anyhow::bail!("unknown argument {k}"),
        }
    }
    anyhow::ensure!(
        scale.guests <= scale.participants,
        "each guest is a distinct participant: guests <= participants"
    );
    Ok((configs, scale))
}

fn main() -> anyhow::Result<()> {
    let (configs, scale) = parse_args()?;
    let services_up = std::env::var("FINDME_TEST_POSTGRES").is_ok()
        && std::env::var("FINDME_TEST_S3_ENDPOINT").is_ok();
    let mut outcomes = Vec::new();
    let mut kept = Vec::new();
    for config in configs.iter().copied() {
        if config != Config::Sqlite && !services_up {
            if configs.len() == 1 {
                anyhow::bail!(
                    "{}: start the services first: eval \"$(scripts/services.sh start)\"",
                    config.name()
                );
            }
            eprintln!("{}: skipped (services not started)", config.name());
            continue;
        }
        let (outcome, data) = run_config(config, scale)?;
        outcomes.push(outcome);
        kept.push(data);
    }
    report(&mut outcomes);
    // Only now: removing 100,000 image files takes a while.
    drop(kept);
    Ok(())
}

/// Starts one instance on its own runtime; returns the runtime and its URL once it answers.
fn start_instance(
    i: usize,
    store: &StoreConfig,
    token: &str,
) -> anyhow::Result<(tokio::runtime::Runtime, String)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(format!("srv{i}"))
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let base = format!("http://{}", listener.local_addr()?);
    let config = ServerConfig::with_store(store.clone());
    rt.spawn(async move {
        if let Err(e) = serve(listener, config).await {
            eprintln!("instance {i} failed: {e}");
        }
    });
    let probe = EventClient::new(&base, Token::new(token))?;
    let answered = rt.block_on(async {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match probe.event_info(load::EVENT).await {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    answered.map_err(|e| anyhow::anyhow!("instance {i} at {base} does not answer: {e}"))?;
    Ok((rt, base))
}

/// Runs one configuration; returns its figures and its temp dir (the data).
fn run_config(config: Config, scale: Scale) -> anyhow::Result<(Outcome, tempfile::TempDir)> {
    let root = tempfile::tempdir()?;
    let store = config.stores(root.path())?;
    eprintln!("== {}: {scale:?}", config.name());
    let admin = Admin::open_store(&store)?;
    let ev = admin.create_event("Marathon", Some(load::EVENT))?;

    // Participants through the admin (in-process store calls, 4 threads).
    let t = Instant::now();
    let threads = 4u64;
    let mut tokens = vec![String::new(); scale.participants as usize];
    std::thread::scope(|s| -> anyhow::Result<()> {
        let admin = &admin;
        let workers: Vec<_> = (0..threads)
            .map(|w| {
                s.spawn(move || -> anyhow::Result<Vec<(u64, String)>> {
                    let mut out = Vec::new();
                    for i in (w..scale.participants).step_by(threads as usize) {
                        let selfie = load::jpeg((1 << 40) | i, 2048);
                        let p = admin.add_participant(
                            load::EVENT,
                            &format!("Runner {i}"),
                            &selfie,
                            Some(&load::participant_id(i)),
                        )?;
                        out.push((i, p.attendee_token));
                    }
                    Ok(out)
                })
            })
            .collect();
        for w in workers {
            let done = w
                .join()
                .map_err(|_| anyhow::anyhow!("a participant thread panicked"))??;
            for (i, token) in done {
                tokens[i as usize] = token;
            }
        }
        Ok(())
    })?;
    let add_participants = t.elapsed();
    eprintln!(
        "{} participants added in {:.1} s",
        scale.participants,
        add_participants.as_secs_f64()
    );

    let mut runtimes = Vec::new();
    let mut bases = Vec::new();
    for i in 0..config.instances() {
        let (rt, base) = start_instance(i, &store, &ev.photographer_token)?;
        runtimes.push(rt);
        bases.push(base);
    }
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()?;
    let watch = cpu::Watch {
        pg_database: store
            .database
            .as_ref()
            .and_then(|u| u.as_str().rsplit('/').next().map(str::to_string)),
        s3_port: (config != Config::Sqlite)
            .then(|| {
                services::s3_endpoint()
                    .rsplit(':')
                    .next()
                    .map(str::to_string)
            })
            .flatten(),
    };
    let clients = load_rt
        .block_on(async { load::clients(&bases, &ev.photographer_token, &tokens, scale) })?;
    let progress = Arc::new(load::Progress::default());
    let reporter = {
        let progress = progress.clone();
        let total = scale.laptops * scale.photos;
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut next = 10;
            while !progress.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let secs = started.elapsed().as_secs();
                if secs >= next {
                    next += 10;
                    let pushed = progress.pushed.load(Ordering::Relaxed);
                    eprintln!(
                        "  {secs:>4} s: {pushed}/{total} photos ({:.0}/s), {} polls, load {}",
                        pushed as f64 / secs as f64,
                        progress.polls.load(Ordering::Relaxed),
                        loadavg()
                    );
                }
            }
        })
    };
    let load_before = loadavg();
    let sampler = cpu::Sampler::start(watch, progress.done.clone());
    let measured = load_rt.block_on(load::run(clients, scale, progress.clone()));
    let usage = sampler.stop();
    let load_after = loadavg();
    progress.done.store(true, Ordering::Relaxed);
    let _ = reporter.join();
    load_rt.shutdown_background();
    for rt in runtimes {
        rt.shutdown_background();
    }
    drop(admin);
    let outcome = Outcome {
        config,
        scale,
        add_participants,
        measured: measured?,
        usage,
        load_before,
        load_after,
    };
    Ok((outcome, root))
}

fn report(outcomes: &mut [Outcome]) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    if let Some(o) = outcomes.first() {
        let s = o.scale;
        println!(
            "\nmarathon: {} laptops x {} photos ({} in flight each), {} participants, \
             {} guests polling every {:?}; {cores} cores",
            s.laptops, s.photos, s.in_flight, s.participants, s.guests, s.poll
        );
    }
    println!(
        "\n| config | photos pushed | push s | photos/s | put_image p50/p99 ms | \
         put_metadata p50/p99 ms | push errors | guest polls | poll p50/p99 ms | \
         poll errors | guests exact at end | participants added in |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut firsts = Vec::new();
    for o in outcomes.iter_mut() {
        let m = &mut o.measured;
        let (i50, i99, _) = m.put_image.percentiles();
        let (d50, d99, _) = m.put_metadata.percentiles();
        let (g50, g99, _) = m.polls.percentiles();
        let push_s = m.push_time.as_secs_f64();
        println!(
            "| {} | {}{} | {push_s:.0} | {:.0} | {i50:.1} / {i99:.1} | {d50:.1} / {d99:.1} | {} | {} | {g50:.1} / {g99:.1} | {} | {} of {} | {:.1} s |",
            o.config.name(),
            m.pushed,
            if m.failed_photos > 0 { format!(" ({} failed)", m.failed_photos) } else { String::new() },
            m.pushed as f64 / push_s,
            m.put_image.errors + m.put_metadata.errors,
            m.polls.ms.len(),
            m.polls.errors,
            m.exact_guests,
            m.checked_guests,
            o.add_participants.as_secs_f64(),
        );
        for t in [&m.put_image, &m.put_metadata, &m.polls] {
            if let Some(e) = &t.first_error {
                firsts.push(format!("{}: first error: {e}", o.config.name()));
            }
        }
    }
    println!("\nCPU during the load (seconds of CPU; % of one core over the run):\n");
    println!("| config | run s | where | CPU s | % of a core |");
    println!("|---|---|---|---|---|");
    for o in outcomes.iter() {
        let wall = o.usage.wall.as_secs_f64();
        for (g, s) in &o.usage.seconds {
            println!(
                "| {} | {wall:.0} | {g} | {s:.1} | {:.0} % |",
                o.config.name(),
                100.0 * s / wall
            );
        }
        println!(
            "| {} | {wall:.0} | machine busy (all processes, {cores} cores) | | {:.0} % of the machine |",
            o.config.name(),
            100.0 * o.usage.machine_busy
        );
    }
    println!();
    for o in outcomes.iter() {
        println!(
            "{}: loadavg before {}, after {}",
            o.config.name(),
            o.load_before,
            o.load_after
        );
    }
    for f in firsts {
        println!("{f}");
    }
}
