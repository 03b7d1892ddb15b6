//! `findme-event-server`: serve protocol v1, or manage events and participants.
//! Argument parsing and printing only; the work is in the library.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use findme_event_server::protocol::{Matcher, Registration, RegistrationUpdate};
use findme_event_server::store::{DatabaseUrl, S3Options, StorageUrl, StoreConfig};
use findme_event_server::tokens::{TokenInfo, TokenRef};
use findme_event_server::{
    serve_tls_with_shutdown, serve_with_shutdown, Admin, ServerConfig, TlsFiles,
};
use serde_json::json;

#[derive(Parser)]
#[command(version, about = "The reference FindMe event server (protocol v1)")]
struct Cli {
    /// Folder holding the database and the images (created if missing).
    #[arg(long, env = "FINDME_EVENT_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL for events, participants and photos' metadata instead of the
    /// data directory's SQLite file: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE.
    /// Several instances may share one database.
    #[arg(long, env = "FINDME_EVENT_DATABASE", global = true)]
    database: Option<DatabaseUrl>,
    /// S3-compatible object storage for the images instead of the data
    /// directory's folder: s3://BUCKET/PREFIX. Credentials, region and endpoint
    /// come from the standard AWS_* environment (AWS_ENDPOINT_URL for MinIO, R2…;
    /// AWS_ALLOW_HTTP=true for a plain-HTTP endpoint).
    #[arg(long, env = "FINDME_EVENT_STORAGE", global = true)]
    storage: Option<StorageUrl>,
    /// Address to serve on (port 0 picks a free port; the chosen one is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: String,
    /// Serve HTTPS with this PEM certificate chain (needs --tls-key).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Largest accepted image upload in bytes (413 above).
    #[arg(long, default_value_t = findme_protocol::DEFAULT_MAX_IMAGE_BYTES)]
    max_image_bytes: usize,
    /// A reverse proxy (repeatable) whose X-Forwarded-For names the guest's
    /// address, so the guests' rate limits count each guest, not the proxy.
    #[arg(long = "trusted-proxy", value_name = "ADDR")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Seed the `demo` event with the selfies in --demo-dir and print their tokens.
    #[arg(long)]
    demo: bool,
    /// Selfies for --demo (file stem = participant id).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/demo"))]
    demo_dir: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create an event; prints its id and the photographer token (shown only once).
    CreateEvent {
        #[arg(long)]
        name: String,
        /// Event id (default: random `ev_…`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Add (or replace) a participant; prints the attendee token (shown only once).
    AddParticipant {
        #[arg(long)]
        event: String,
        #[arg(long)]
        name: String,
        /// JPEG or PNG selfie.
        #[arg(long)]
        selfie: PathBuf,
        /// Participant id (default: random `p_…`).
        #[arg(long)]
        id: Option<String>,
    },
    /// Withdraw (default) or give back a participant's consent.
    SetConsent {
        #[arg(long)]
        event: String,
        #[arg(long)]
        id: String,
        #[arg(long)]
        give: bool,
    },
    /// Delete a participant (their attendee token stops working).
    RemoveParticipant {
        #[arg(long)]
        event: String,
        #[arg(long)]
        id: String,
    },
    /// Mint another photographer token for an event.
    PhotographerToken {
        #[arg(long)]
        event: String,
    },
    /// Show, open or close the guests' self-registration (/e/EVENT); only the
    /// options given change.
    Registration(RegistrationArgs),
    /// Delete the participants of closed events whose retention has run out (the
    /// running server does this hourly); prints how many.
    PurgeExpired,
    /// List an event's tokens, oldest first: id (hash prefix, never the token),
    /// kind, participant, created, state.
    ListTokens {
        #[arg(long)]
        event: String,
    },
    /// Revoke a token at once (a running server answers 401 from its next request).
    #[command(group(clap::ArgGroup::new("which").required(true).args(["token", "id"])))]
    RevokeToken {
        /// The token itself (fmp_… or fma_…).
        #[arg(long)]
        token: Option<String>,
        /// Its id from list-tokens (a prefix of its hash, at least 8 hex characters).
        #[arg(long)]
        id: Option<String>,
    },
}

#[derive(Args)]
struct RegistrationArgs {
    #[arg(long)]
    event: String,
    /// Take sign-ups.
    #[arg(long, conflicts_with = "close")]
    open: bool,
    /// Stop taking sign-ups.
    #[arg(long)]
    close: bool,
    /// The event code guests must type (letters, digits, '-'; '' removes it).
    #[arg(long)]
    code: Option<String>,
    /// The photographer's text on the page (at most 500 characters).
    #[arg(long)]
    intro: Option<String>,
    /// Who matches faces, as the consent text says: device or rekognition.
    #[arg(long, value_parser = parse_matcher)]
    matcher: Option<Matcher>,
    /// Days guests' data is kept after the event closes (0-365).
    #[arg(long)]
    retention_days: Option<u32>,
    /// The event is over: registration closes for good, and --retention-days later
    /// every participant's data is deleted.
    #[arg(long, conflicts_with = "open")]
    end: bool,
}

fn parse_matcher(s: &str) -> Result<Matcher, String> {
    match s {
        "device" => Ok(Matcher::Device),
        "rekognition" => Ok(Matcher::Rekognition),
        _ => Err("use device or rekognition".into()),
    }
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    if cli.data_dir.is_none() && (cli.database.is_none() || cli.storage.is_none()) {
        anyhow::bail!(
            "--data-dir (or FINDME_EVENT_DATA_DIR) is required unless both --database and --storage are given"
        );
    }
    let store = StoreConfig {
        data_dir: cli.data_dir.clone(),
        database: cli.database.clone(),
        storage: cli.storage.clone(),
        // Only binaries read the environment: the S3 client gets the AWS_* variables.
        s3: S3Options {
            vars: std::env::vars()
                .filter(|(k, _)| k.starts_with("AWS_"))
                .collect(),
        },
    };
    match &cli.command {
        None => serve(&cli, store),
        Some(cmd) => admin(cmd, &store, cli.json),
    }
}

fn admin(cmd: &Command, store: &StoreConfig, json: bool) -> Result<()> {
    let admin = Admin::open_store(store)?;
    match cmd {
        Command::CreateEvent { name, id } => {
            let ev = admin.create_event(name, id.as_deref())?;
            if json {
                println!("{}", serde_json::to_string(&ev)?);
            } else {
                println!(
                    "event: {}\nphotographer token: {}",
                    ev.event, ev.photographer_token
                );
            }
        }
        Command::AddParticipant {
            event,
            name,
            selfie,
            id,
        } => {
            let p = admin.add_participant_file(event, name, selfie, id.as_deref())?;
            if json {
                println!("{}", serde_json::to_string(&p)?);
            } else {
                println!(
                    "participant: {}\nattendee token: {}",
                    p.participant, p.attendee_token
                );
            }
        }
        Command::SetConsent { event, id, give } => admin.set_consent(event, id, *give)?,
        Command::RemoveParticipant { event, id } => admin.remove_participant(event, id)?,
        Command::PhotographerToken { event } => {
            let token = admin.photographer_token(event)?;
            if json {
                println!("{}", json!({ "event": event, "photographer_token": token }));
            } else {
                println!("photographer token: {token}");
            }
        }
        Command::Registration(args) => {
            let open = match (args.open, args.close) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let update = RegistrationUpdate {
                open,
                code: args.code.clone(),
                intro: args.intro.clone(),
                matcher: args.matcher,
                retention_days: args.retention_days,
                ended: args.end.then_some(true),
            };
            let reg = if update == RegistrationUpdate::default() {
                admin.registration(&args.event)?
            } else {
                admin.set_registration(&args.event, &update)?
            };
            print_registration(&reg, json)?;
        }
        Command::PurgeExpired => {
            let removed = admin.purge_expired(findme_event_server::db::now_ms())?;
            if json {
                println!("{}", json!({ "removed": removed }));
            } else {
                println!("removed: {removed}");
            }
        }
        Command::ListTokens { event } => {
            let list = admin.list_tokens(event)?;
            if json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for t in &list {
                    println!("{}", token_line(t));
                }
            }
        }
        Command::RevokeToken { token, id } => {
            let which = match (token, id) {
                (Some(t), _) => TokenRef::Token(t),
                (_, Some(id)) => TokenRef::Id(id),
                (None, None) => anyhow::bail!("give --token or --id"),
            };
            let (info, already) = admin.revoke_token(which)?;
            if json {
                println!("{}", json!({ "token": info, "already_revoked": already }));
            } else if already {
                println!("already revoked: {}", token_line(&info));
            } else {
                println!("revoked: {}", token_line(&info));
            }
        }
    }
    Ok(())
}

fn print_registration(reg: &Registration, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(reg)?);
        return Ok(());
    }
    let matcher = match reg.matcher {
        Matcher::Device => "device",
        Matcher::Rekognition => "rekognition",
    };
    println!(
        "registration: {}\ncode: {}\nintro: {}\nmatcher: {matcher}\nretention days: {}\nregistered: {}\npage: {}",
        if reg.open { "open" } else { "closed" },
        reg.code.as_deref().unwrap_or("(none)"),
        reg.intro,
        reg.retention_days,
        reg.registered,
        reg.page_path
    );
    Ok(())
}

/// `<id> <kind> <participant|-> <created> active|revoked <when>`
fn token_line(t: &TokenInfo) -> String {
    let state = match &t.revoked_at {
        Some(at) => format!("revoked {at}"),
        None => "active".to_string(),
    };
    format!(
        "{}  {}  {}  {}  {state}",
        t.id,
        t.kind,
        t.participant.as_deref().unwrap_or("-"),
        t.created
    )
}

fn serve(cli: &Cli, store: StoreConfig) -> Result<()> {
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => Some(
            TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }
            .load()?,
        ),
        _ => None,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(&cli.listen)
            .await
            .with_context(|| format!("binding {}", cli.listen))?;
        let addr = listener.local_addr()?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{addr}");
        if cli.demo {
            let (dir, store) = (cli.demo_dir.clone(), store.clone());
            let (token, people) =
                tokio::task::spawn_blocking(move || Admin::open_store(&store)?.seed_demo(&dir))
                    .await??;
            print_demo(&base, &token, &people, cli.json)?;
        }
        if cli.json {
            println!("{}", json!({ "listening": base }));
        } else {
            println!("listening on {base}");
        }
        let mut config = ServerConfig::with_store(store);
        config.max_image_bytes = cli.max_image_bytes;
        config.trusted_proxies = cli.trusted_proxies.clone();
        match tls {
            Some(tls) => serve_tls_with_shutdown(listener, config, tls, shutdown_signal()).await?,
            None => serve_with_shutdown(listener, config, shutdown_signal()).await?,
        }
        Ok(())
    })
}

fn print_demo(
    base: &str,
    token: &str,
    people: &[findme_event_server::NewParticipant],
    json: bool,
) -> Result<()> {
    if json {
        let list: Vec<_> = people
            .iter()
            .map(|p| {
                json!({ "participant": p.participant, "display_name": p.display_name,
                        "attendee_token": p.attendee_token,
                        "page": format!("{base}/?token={}", p.attendee_token) })
            })
            .collect();
        let demo = json!({ "event": "demo", "photographer_token": token, "participants": list });
        println!("{}", json!({ "demo": demo }));
    } else {
        println!("demo event: demo\nphotographer token: {token}");
        for p in people {
            println!(
                "participant {} ({}): {base}/?token={}",
                p.participant, p.display_name, p.attendee_token
            );
        }
    }
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish in-flight requests.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutting down");
}
